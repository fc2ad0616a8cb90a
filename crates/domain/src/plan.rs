//! Plans and the configurable catalog of DESIGN.md section 3.
//!
//! | plan | price | seats |
//! |---|---|---|
//! | trial | free for 14 days | not capped |
//! | freemium | 0 | 3 |
//! | standard, monthly | 49.95 / month | 3 included; extra seat 4.95 / month |
//! | standard, yearly | 479.00 / year | 3 included; extra seat 59.40 / year |

use crate::entitlements::{Feature, UpgradeRequired};
use crate::money::{Currency, Money, MoneyError};
use crate::quota::Quota;
use crate::time::Interval;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::fmt;

/// The kind of plan a tenant is on.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize, PartialOrd, Ord)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum PlanKind {
    /// The 14-day trial: all features, seats not capped.
    Trial,
    /// Free forever: 3 seats, ads, premium features gated.
    Freemium,
    /// Paid per seat, monthly or yearly.
    Standard,
}

impl PlanKind {
    /// `trial`, `freemium`, `standard`.
    pub fn as_str(&self) -> &'static str {
        match self {
            PlanKind::Trial => "trial",
            PlanKind::Freemium => "freemium",
            PlanKind::Standard => "standard",
        }
    }

    /// Parses a plan name.
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim().to_ascii_lowercase().as_str() {
            "trial" => Some(PlanKind::Trial),
            "freemium" | "free" => Some(PlanKind::Freemium),
            "standard" => Some(PlanKind::Standard),
            _ => None,
        }
    }
}

impl fmt::Display for PlanKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The two prices of one billing interval (DESIGN.md "Billing model"): the base
/// price (quantity 1, includes the included seats) and the extra-seat price
/// (quantity = seats − included, never negative).
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct Prices {
    /// Base price per period.
    pub base: Money,
    /// Price of one extra seat per period.
    pub extra_seat: Money,
}

/// What happens when dunning gives up (DESIGN.md "Dunning").
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DunningOutcome {
    /// Fall back to freemium (the default).
    Freemium,
    /// Suspend the tenant.
    Suspend,
}

/// Why a catalog was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CatalogError {
    /// A price is negative, zero where it must be positive, or in another currency.
    #[error("invalid price for {0}: prices are positive and in the catalog's currency")]
    Price(&'static str),
    /// A count that must be positive is zero.
    #[error("{0} must be at least 1")]
    Zero(&'static str),
    /// A period longer than ten years.
    #[error("{0} must be at most 3660")]
    TooLong(&'static str),
    /// The reminder comes before the trial starts.
    #[error("the trial reminder must come inside the trial")]
    Reminder,
}

/// Every number of DESIGN.md section 3, configurable. Build with
/// [`PlanCatalog::default`] (the DESIGN.md figures) and adjust through
/// [`PlanCatalog::validate`]d changes.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct PlanCatalog {
    /// The currency of every price.
    pub currency: Currency,
    /// Trial length in days (14).
    pub trial_days: u32,
    /// Days before the trial end when the reminder goes out (3).
    pub trial_reminder_days: u32,
    /// Seats of the freemium plan (3).
    pub freemium_seats: u32,
    /// Seats the standard base price includes (3).
    pub included_seats: u32,
    /// Monthly prices (49.95 + 4.95 per extra seat).
    pub monthly: Prices,
    /// Yearly prices (479.00 + 59.40 per extra seat).
    pub yearly: Prices,
    /// Days of payment retries before dunning gives up (14, Stripe's Smart Retries window).
    pub grace_days: u32,
    /// What a tenant becomes when dunning gives up.
    pub dunning_outcome: DunningOutcome,
    /// Days a deleted tenant is kept before purge (30).
    pub retention_days: u32,
    /// Days a signup waiting for its payment method is kept before purge (7;
    /// its slug is free again after).
    pub unfinished_signup_days: u32,
    /// The provider's minimum charge; smaller invoices carry over (Stripe: 0.50 EUR).
    pub minimum_charge: Money,
    /// Days an invitation stays valid (7).
    pub invitation_days: u32,
    /// Quota of the trial.
    pub trial_quota: Quota,
    /// Quota of freemium.
    pub freemium_quota: Quota,
    /// Quota of standard.
    pub standard_quota: Quota,
    /// Features freemium lacks ("upgrade to use").
    pub premium_features: BTreeSet<Feature>,
}

impl Default for PlanCatalog {
    fn default() -> Self {
        const MIB: u64 = 1024 * 1024;
        let paid_quota = Quota {
            requests_per_minute: 1200,
            api_calls_per_month: crate::quota::PAID_API_CALLS_PER_MONTH,
            storage_bytes: 10 * 1024 * MIB,
            active_users: None,
        };
        PlanCatalog {
            currency: Currency::EUR,
            trial_days: 14,
            trial_reminder_days: 3,
            freemium_seats: 3,
            included_seats: 3,
            monthly: Prices { base: Money::eur(4995), extra_seat: Money::eur(495) },
            // 4.95 × 12 = 59.40 (DESIGN.md: extra seat 4.95 × 12 = 59.40 / year).
            yearly: Prices { base: Money::eur(47900), extra_seat: Money::eur(5940) },
            grace_days: 14,
            dunning_outcome: DunningOutcome::Freemium,
            retention_days: 30,
            unfinished_signup_days: 7,
            minimum_charge: Money::eur(50),
            invitation_days: 7,
            trial_quota: paid_quota,
            freemium_quota: Quota {
                requests_per_minute: 60,
                api_calls_per_month: crate::quota::FREEMIUM_API_CALLS_PER_MONTH,
                storage_bytes: 100 * MIB,
                active_users: None,
            },
            standard_quota: paid_quota,
            premium_features: [Feature::custom_roles(), Feature::audit_log(), Feature::api_keys()]
                .into_iter()
                .collect(),
        }
    }
}

impl PlanCatalog {
    /// Checks a catalog built or changed by configuration.
    pub fn validate(self) -> Result<Self, CatalogError> {
        for (name, price, positive) in [
            ("monthly base", self.monthly.base, true),
            ("monthly extra seat", self.monthly.extra_seat, true),
            ("yearly base", self.yearly.base, true),
            ("yearly extra seat", self.yearly.extra_seat, true),
            ("minimum charge", self.minimum_charge, false),
        ] {
            let bad = price.currency() != self.currency || price.cents() < 0 || (positive && price.cents() == 0);
            if bad {
                return Err(CatalogError::Price(name));
            }
        }
        for (name, v) in [
            ("trial days", self.trial_days),
            ("freemium seats", self.freemium_seats),
            ("included seats", self.included_seats),
            ("grace days", self.grace_days),
            ("retention days", self.retention_days),
            ("unfinished signup days", self.unfinished_signup_days),
            ("invitation days", self.invitation_days),
        ] {
            if v == 0 {
                return Err(CatalogError::Zero(name));
            }
        }
        if self.trial_reminder_days >= self.trial_days {
            return Err(CatalogError::Reminder);
        }
        for (name, v) in [
            ("trial days", self.trial_days),
            ("grace days", self.grace_days),
            ("retention days", self.retention_days),
            ("unfinished signup days", self.unfinished_signup_days),
            ("invitation days", self.invitation_days),
        ] {
            if v > 3660 {
                return Err(CatalogError::TooLong(name));
            }
        }
        Ok(self)
    }

    /// The prices of an interval.
    pub fn prices(&self, interval: Interval) -> Prices {
        match interval {
            Interval::Month => self.monthly,
            Interval::Year => self.yearly,
        }
    }

    /// Extra seats billed for `seats` licensed seats: `seats − included`, never negative.
    pub fn extra_seats(&self, seats: u32) -> u32 {
        seats.saturating_sub(self.included_seats)
    }

    /// The price per period of `seats` seats on standard: base + extra × price.
    ///
    /// Worked example (DESIGN.md): 7 seats monthly = 4995 + (7 − 3) × 495 = 6975 cents.
    pub fn price(&self, interval: Interval, seats: u32) -> Result<Money, MoneyError> {
        let p = self.prices(interval);
        p.base.checked_add(p.extra_seat.checked_mul(self.extra_seats(seats))?)
    }

    /// The quota of a plan.
    pub fn quota(&self, plan: PlanKind) -> Quota {
        match plan {
            PlanKind::Trial => self.trial_quota,
            PlanKind::Freemium => self.freemium_quota,
            PlanKind::Standard => self.standard_quota,
        }
    }

    /// Whether `plan` includes `feature`; freemium lacks the premium features,
    /// the trial and standard include everything.
    pub fn entitles(&self, plan: PlanKind, feature: &Feature) -> Result<(), UpgradeRequired> {
        if plan == PlanKind::Freemium && self.premium_features.contains(feature) {
            return Err(UpgradeRequired { feature: feature.clone(), current: plan, unlocked_by: PlanKind::Standard });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_seven_seat_monthly_tenant_pays_4995_plus_4_times_495() {
        // 3 seats are in the base price, so 7 seats bill 4 extra: 4995 + 4 × 495 = 6975.
        let c = PlanCatalog::default();
        assert_eq!(c.price(Interval::Month, 7).unwrap(), Money::eur(6975));
    }

    #[test]
    fn the_yearly_plan_costs_479_with_3_seats_and_59_40_per_extra_seat() {
        let c = PlanCatalog::default();
        assert_eq!(c.price(Interval::Year, 3).unwrap(), Money::eur(47900));
        // 4.95 × 12 = 59.40 per extra seat and year.
        assert_eq!(c.yearly.extra_seat, c.monthly.extra_seat.checked_mul(12).unwrap());
        assert_eq!(c.price(Interval::Year, 4).unwrap(), Money::eur(47900 + 5940));
    }

    #[test]
    fn fewer_seats_than_included_bill_no_negative_extra() {
        let c = PlanCatalog::default();
        assert_eq!(c.extra_seats(1), 0);
        assert_eq!(c.price(Interval::Month, 1).unwrap(), Money::eur(4995));
    }

    #[test]
    fn freemium_lacks_premium_features_and_names_the_plan_that_unlocks_them() {
        let c = PlanCatalog::default();
        let err = c.entitles(PlanKind::Freemium, &Feature::custom_roles()).unwrap_err();
        assert_eq!(err.unlocked_by, PlanKind::Standard);
        assert!(c.entitles(PlanKind::Trial, &Feature::custom_roles()).is_ok());
        assert!(c.entitles(PlanKind::Standard, &Feature::audit_log()).is_ok());
        assert!(c.entitles(PlanKind::Freemium, &Feature::parse("timesheets").unwrap()).is_ok());
    }

    #[test]
    fn a_bad_catalog_is_refused() {
        let mut c = PlanCatalog::default();
        c.monthly.base = Money::eur(0);
        assert_eq!(c.validate(), Err(CatalogError::Price("monthly base")));
        let c = PlanCatalog { trial_reminder_days: 14, ..PlanCatalog::default() };
        assert_eq!(c.validate(), Err(CatalogError::Reminder));
        assert!(PlanCatalog::default().validate().is_ok());
    }
}

//! Coupons and promotion codes (issue 23, "promotion codes"): what a discount
//! takes off, for how long, and who may redeem a code — modelled as Stripe
//! models them, so that the billing simulator and Stripe agree.
//!
//! Amounts are integer cents. A percentage is held in basis points (20 % is
//! 2,000) and, as Stripe does, taken off **each line** of an invoice or a
//! proration and rounded half away from zero per line. Worked example (the
//! issue's): 1 → 2 extra seats at €4.95/month with 10 of 30 days left and
//! 20 % off: the credit −165 becomes −132 and the charge 330 becomes 264, so
//! 132 cents are charged. An amount off is taken off the total once (never
//! below zero).
//!
//! A redeemed code becomes an [`AppliedDiscount`] on the subscription, which
//! the provider holds and applies to each invoice made while it runs; tenantry
//! shows it and counts it in the recurring revenue ([`price_after`]).

use crate::ids::{CouponId, PromotionCodeId};
use crate::money::{Currency, Money, MoneyError, div_round_half_away};
use crate::plan::PlanCatalog;
use crate::proration::ChargeLine;
use crate::time::Interval;
use chrono::{DateTime, Months, Utc};
use serde::{Deserialize, Serialize};

/// The most basis points: 100 %.
pub const FULL: u32 = 10_000;

/// The longest repeating discount, in months.
pub const MAX_MONTHS: u32 = 36;

/// What a coupon takes off.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Off {
    /// A share of each line, in basis points (1 to 10,000).
    Percent {
        /// 2,000 is 20 %.
        basis_points: u32,
    },
    /// A fixed amount off the total.
    Amount {
        /// Positive.
        amount: Money,
    },
}

/// For how long a discount applies once redeemed.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum DiscountDuration {
    /// The next invoice only.
    Once,
    /// The invoices of this many months from the redemption (1 to 36).
    Repeating {
        /// Months.
        months: u32,
    },
    /// Every invoice.
    Forever,
}

/// Why a coupon or a promotion code was refused as written. Nothing was made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CouponError {
    /// A percentage outside 0.01 % to 100 %.
    #[error("a percentage lies between 1 and 10000 basis points (0.01 % to 100 %)")]
    Percent,
    /// An amount that is not positive.
    #[error("an amount off is positive")]
    Amount,
    /// A repeating duration outside 1 to 36 months (or months for another duration).
    #[error("a repeating discount lasts 1 to {MAX_MONTHS} months (and only a repeating one has months)")]
    Months,
    /// A redemption limit of zero.
    #[error("a redemption limit is at least 1")]
    Limit,
    /// A name that is empty, longer than 100 characters or holds control characters.
    #[error("a coupon's name is 1 to 100 characters, without control characters")]
    Name,
    /// Neither or both of a percentage and an amount.
    #[error("a coupon takes off either a percentage or an amount")]
    Off,
    /// A code that is not 3 to 32 of `A-Z 0-9 - _` (letters are upper-cased).
    #[error("a promotion code is 3 to 32 letters, digits, `-` or `_`")]
    Code,
}

/// Why a promotion code was not redeemed: each a stable problem code. Nothing changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RedeemError {
    /// Past its expiry (or its coupon's last redemption date).
    #[error("this promotion code has expired")]
    Expired,
    /// Its redemptions (or its coupon's) are used up.
    #[error("this promotion code has been used as often as it may be")]
    Exhausted,
    /// Only for customers who have not paid before.
    #[error("this promotion code is for new customers only")]
    NotFirstTime,
    /// Switched off by the superuser.
    #[error("this promotion code is no longer active")]
    Inactive,
}

/// A coupon: what is taken off, for how long, and how often it may be redeemed.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct Coupon {
    /// What it takes off.
    pub off: Off,
    /// For how long.
    pub duration: DiscountDuration,
    /// How often it may be redeemed in all (`None`: no limit).
    pub max_redemptions: Option<u32>,
    /// The last moment it may be redeemed.
    pub redeem_by: Option<DateTime<Utc>>,
    /// How often it was redeemed.
    pub times_redeemed: u32,
}

impl Coupon {
    /// A new coupon, checked.
    pub fn new(
        off: Off,
        duration: DiscountDuration,
        max_redemptions: Option<u32>,
        redeem_by: Option<DateTime<Utc>>,
    ) -> Result<Self, CouponError> {
        match off {
            Off::Percent { basis_points } if !(1..=FULL).contains(&basis_points) => return Err(CouponError::Percent),
            Off::Amount { amount } if amount.cents() <= 0 => return Err(CouponError::Amount),
            _ => {}
        }
        if let DiscountDuration::Repeating { months } = duration
            && !(1..=MAX_MONTHS).contains(&months)
        {
            return Err(CouponError::Months);
        }
        if max_redemptions == Some(0) {
            return Err(CouponError::Limit);
        }
        Ok(Self { off, duration, max_redemptions, redeem_by, times_redeemed: 0 })
    }

    /// Until when a discount redeemed at `at` applies (`None`: forever; for
    /// `Once`, the redemption itself: the next invoice only, which the caller applies).
    pub fn applies_until(&self, at: DateTime<Utc>) -> Option<DateTime<Utc>> {
        match self.duration {
            DiscountDuration::Once => Some(at),
            DiscountDuration::Repeating { months } => at.checked_add_months(Months::new(months)),
            DiscountDuration::Forever => None,
        }
    }
}

/// A promotion code: the text a customer enters, for one coupon.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct PromotionCode {
    /// The text, upper-cased (`SPRING20`).
    pub code: String,
    /// Only customers who have not paid before may redeem it.
    pub first_time_only: bool,
    /// The last moment it may be redeemed.
    pub expires_at: Option<DateTime<Utc>>,
    /// How often it may be redeemed (`None`: as its coupon allows).
    pub max_redemptions: Option<u32>,
    /// How often it was redeemed.
    pub times_redeemed: u32,
    /// Whether it may be redeemed at all.
    pub active: bool,
}

impl PromotionCode {
    /// A new, active code, its text checked and upper-cased.
    pub fn new(
        code: &str,
        first_time_only: bool,
        expires_at: Option<DateTime<Utc>>,
        max_redemptions: Option<u32>,
    ) -> Result<Self, CouponError> {
        let code = code.trim().to_ascii_uppercase();
        let shaped = (3..=32).contains(&code.len())
            && code.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
        if !shaped {
            return Err(CouponError::Code);
        }
        if max_redemptions == Some(0) {
            return Err(CouponError::Limit);
        }
        Ok(Self { code, first_time_only, expires_at, max_redemptions, times_redeemed: 0, active: true })
    }

    /// Redeems the code for `coupon` at `now` by a customer who has
    /// (`paid_before`) or has not paid before: both counts go up, or — refused
    /// — nothing changes.
    pub fn redeem(&mut self, coupon: &mut Coupon, now: DateTime<Utc>, paid_before: bool) -> Result<(), RedeemError> {
        if !self.active {
            return Err(RedeemError::Inactive);
        }
        if self.expires_at.is_some_and(|at| now > at) || coupon.redeem_by.is_some_and(|at| now > at) {
            return Err(RedeemError::Expired);
        }
        let used_up = |max: Option<u32>, used: u32| max.is_some_and(|m| used >= m);
        if used_up(self.max_redemptions, self.times_redeemed) || used_up(coupon.max_redemptions, coupon.times_redeemed)
        {
            return Err(RedeemError::Exhausted);
        }
        if self.first_time_only && paid_before {
            return Err(RedeemError::NotFirstTime);
        }
        self.times_redeemed = self.times_redeemed.saturating_add(1);
        coupon.times_redeemed = coupon.times_redeemed.saturating_add(1);
        Ok(())
    }
}

/// A coupon as the superuser made it: its name, its rules and counts, and its
/// id at the payment provider.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct CouponRecord {
    /// Its id.
    pub id: CouponId,
    /// What the superuser calls it (shown on invoices: "Spring 2027").
    pub name: String,
    /// What it takes off, for how long, how often.
    pub coupon: Coupon,
    /// The provider's id of it (`None` until the provider made it).
    pub provider_id: Option<String>,
    /// When it was made.
    pub created_at: DateTime<Utc>,
}

/// A promotion code as the superuser made it, for one coupon.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct PromotionCodeRecord {
    /// Its id.
    pub id: PromotionCodeId,
    /// The coupon it redeems.
    pub coupon_id: CouponId,
    /// The code, its rules and counts.
    pub promotion: PromotionCode,
    /// The provider's id of it.
    pub provider_id: Option<String>,
    /// When it was made.
    pub created_at: DateTime<Utc>,
}

/// A discount on a subscription: the code redeemed, what it takes off and
/// until when. Each invoice made while it runs is discounted by [`discounted`].
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AppliedDiscount {
    /// The promotion code redeemed (`SPRING20`).
    pub code: String,
    /// What it takes off.
    pub off: Off,
    /// For how long.
    pub duration: DiscountDuration,
    /// When it was redeemed.
    pub applied_at: DateTime<Utc>,
    /// Repeating: the invoices made before then are discounted; once: the
    /// next invoice, made at the latest then; forever: `None`.
    pub ends_at: Option<DateTime<Utc>>,
}

impl AppliedDiscount {
    /// `coupon` redeemed through `code` at `at`; `next_invoice_at` is when the
    /// subscription's next invoice is made (a `Once` discount applies to it).
    pub fn new(code: &str, coupon: &Coupon, at: DateTime<Utc>, next_invoice_at: DateTime<Utc>) -> Self {
        let ends_at = match coupon.duration {
            DiscountDuration::Once => Some(next_invoice_at.max(at)),
            _ => coupon.applies_until(at),
        };
        Self { code: code.to_owned(), off: coupon.off, duration: coupon.duration, applied_at: at, ends_at }
    }

    /// Whether an invoice made at `at` is discounted.
    pub fn applies_at(&self, at: DateTime<Utc>) -> bool {
        if at < self.applied_at {
            return false;
        }
        match (self.duration, self.ends_at) {
            (DiscountDuration::Once, Some(end)) => at <= end,
            (DiscountDuration::Repeating { .. }, Some(end)) => at < end,
            _ => true,
        }
    }

    /// Whether it lowers the recurring revenue (a one-time discount does not, as in Stripe's MRR).
    pub fn recurring(&self) -> bool {
        !matches!(self.duration, DiscountDuration::Once)
    }
}

/// The price of `seats` seats on `interval` invoiced at `at` for the period
/// starting then, after `discount` when it applies to an invoice made then.
pub fn price_at(
    catalog: &PlanCatalog,
    interval: Interval,
    seats: u32,
    at: DateTime<Utc>,
    discount: Option<&AppliedDiscount>,
) -> Result<Money, MoneyError> {
    let full = catalog.price(interval, seats)?;
    let Some(d) = discount.filter(|d| d.applies_at(at)) else {
        return Ok(full);
    };
    let lines = crate::proration::full_period_lines(catalog, interval, seats, at).map_err(|_| MoneyError::Overflow)?;
    Ok(discounted(catalog.currency, &lines, &d.off)?.1)
}

/// The recurring price of a period starting at `start`: after `discount`
/// when it is recurring and runs then (or, in the period it was redeemed in,
/// at its redemption) — what the recurring revenue (MRR) counts.
pub fn price_after(
    catalog: &PlanCatalog,
    interval: Interval,
    seats: u32,
    start: DateTime<Utc>,
    discount: Option<&AppliedDiscount>,
) -> Result<Money, MoneyError> {
    match discount.filter(|d| d.recurring()) {
        Some(d) => price_at(catalog, interval, seats, start.max(d.applied_at), Some(d)),
        None => catalog.price(interval, seats),
    }
}

/// The discount of each of `lines` under `off`, and what is charged after it.
/// A percentage is taken off each line (a credit's discount is negative: the
/// credit shrinks too) and rounded half away from zero per line; an amount is
/// taken off the total once, never below zero, and shown on no line.
pub fn discounted(currency: Currency, lines: &[ChargeLine], off: &Off) -> Result<(Vec<Money>, Money), MoneyError> {
    let total = Money::sum(currency, lines.iter().map(|l| l.amount))?;
    match off {
        Off::Percent { basis_points } => {
            let mut per_line = Vec::with_capacity(lines.len());
            for l in lines {
                let cut =
                    div_round_half_away(i128::from(l.amount.cents()) * i128::from(*basis_points), i128::from(FULL))?;
                per_line.push(Money::from_cents(i64::try_from(cut).map_err(|_| MoneyError::Overflow)?, currency));
            }
            let cut = Money::sum(currency, per_line.iter().copied())?;
            Ok((per_line, Money::from_cents(total.cents() - cut.cents(), currency)))
        }
        Off::Amount { amount } => {
            let after = (total.cents() - amount.cents()).max(0).min(total.cents().max(0));
            Ok((vec![Money::zero(currency); lines.len()], Money::from_cents(after, currency)))
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // test code
mod tests {
    use super::*;
    use crate::plan::PlanCatalog;
    use crate::time::{Interval, Period};
    use chrono::TimeZone;
    use proptest::prelude::*;

    fn t(m: u32, d: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, m, d, 0, 0, 0).unwrap()
    }

    fn twenty() -> Off {
        Off::Percent { basis_points: 2_000 }
    }

    /// The worked example: 1 → 2 extra seats at €4.95/month with 10
    /// of 30 days left and 20 % off: −165 + 330 = 165 becomes −132 + 264 = 132.
    #[test]
    fn twenty_percent_off_a_seat_increase_is_minus_132_plus_264() {
        let period = Period::new(t(11, 1), t(12, 1)).unwrap();
        let preview =
            crate::proration::seat_increase(&PlanCatalog::default(), Interval::Month, 1, 2, &period, t(11, 21))
                .unwrap();
        let amounts: Vec<i64> = preview.lines.iter().map(|l| l.amount.cents()).collect();
        assert_eq!(amounts, vec![-165, 330]);
        let (cuts, after) = discounted(Currency::EUR, &preview.lines, &twenty()).unwrap();
        assert_eq!(cuts.iter().map(|m| m.cents()).collect::<Vec<_>>(), vec![-33, 66]);
        assert_eq!(after.cents(), 132);
    }

    #[test]
    fn a_month_at_twenty_percent_off_is_3996_and_an_amount_off_never_goes_below_zero() {
        let lines = crate::proration::full_period_lines(&PlanCatalog::default(), Interval::Month, 3, t(12, 1)).unwrap();
        assert_eq!(discounted(Currency::EUR, &lines, &twenty()).unwrap().1.cents(), 3996); // 4995 − 999
        let ten_off = Off::Amount { amount: Money::eur(1000) };
        assert_eq!(discounted(Currency::EUR, &lines, &ten_off).unwrap().1.cents(), 3995);
        let too_much = Off::Amount { amount: Money::eur(10_000) };
        assert_eq!(discounted(Currency::EUR, &lines, &too_much).unwrap().1.cents(), 0);
        let full = Off::Percent { basis_points: FULL };
        assert_eq!(discounted(Currency::EUR, &lines, &full).unwrap().1.cents(), 0);
    }

    #[test]
    fn coupons_and_codes_are_refused_as_written_when_out_of_range() {
        let once = DiscountDuration::Once;
        assert_eq!(Coupon::new(Off::Percent { basis_points: 0 }, once, None, None), Err(CouponError::Percent));
        assert_eq!(Coupon::new(Off::Percent { basis_points: 10_001 }, once, None, None), Err(CouponError::Percent));
        assert_eq!(Coupon::new(Off::Amount { amount: Money::eur(0) }, once, None, None), Err(CouponError::Amount));
        let long = DiscountDuration::Repeating { months: 37 };
        assert_eq!(Coupon::new(twenty(), long, None, None), Err(CouponError::Months));
        assert_eq!(Coupon::new(twenty(), once, Some(0), None), Err(CouponError::Limit));
        for bad in ["ab", "way-too-long-for-a-promotion-code-x", "SPRING 20", "ÉTÉ20"] {
            assert_eq!(PromotionCode::new(bad, false, None, None), Err(CouponError::Code), "{bad}");
        }
        assert_eq!(PromotionCode::new(" spring_20 ", false, None, None).unwrap().code, "SPRING_20");
    }

    #[test]
    fn each_refusal_has_its_reason_and_changes_nothing() {
        let repeating = DiscountDuration::Repeating { months: 3 };
        let mut coupon = Coupon::new(twenty(), repeating, Some(2), Some(t(12, 31))).unwrap();
        assert_eq!(coupon.applies_until(t(11, 21)), Some(Utc.with_ymd_and_hms(2027, 2, 21, 0, 0, 0).unwrap()));
        let mut code = PromotionCode::new("SPRING20", true, Some(t(12, 1)), None).unwrap();
        let before = (code.clone(), coupon.clone());
        assert_eq!(code.redeem(&mut coupon, t(11, 2), true), Err(RedeemError::NotFirstTime));
        assert_eq!(code.redeem(&mut coupon, t(12, 2), false), Err(RedeemError::Expired));
        assert_eq!((code.clone(), coupon.clone()), before, "refusals change nothing");
        code.redeem(&mut coupon, t(11, 2), false).unwrap();
        code.redeem(&mut coupon, t(11, 3), false).unwrap();
        assert_eq!(code.redeem(&mut coupon, t(11, 4), false), Err(RedeemError::Exhausted), "the coupon's 2 are used");
        code.active = false;
        assert_eq!(code.redeem(&mut coupon, t(11, 4), false), Err(RedeemError::Inactive));
        assert_eq!((code.times_redeemed, coupon.times_redeemed), (2, 2));
    }

    /// 20 % for 3 months redeemed on 5 December, monthly renewals on the 15th:
    /// the invoices of 15 December, January and February are discounted (made
    /// before 5 March), the one of 15 March is not — the months count from the
    /// redemption, as Stripe counts them.
    #[test]
    fn a_repeating_discount_covers_the_invoices_made_in_its_months_and_a_once_the_next_one() {
        let coupon = Coupon::new(twenty(), DiscountDuration::Repeating { months: 3 }, None, None).unwrap();
        let at = Utc.with_ymd_and_hms(2026, 12, 5, 0, 0, 0).unwrap();
        let next = Utc.with_ymd_and_hms(2026, 12, 15, 0, 0, 0).unwrap();
        let d = AppliedDiscount::new("SPRING20", &coupon, at, next);
        assert_eq!(d.ends_at, Some(Utc.with_ymd_and_hms(2027, 3, 5, 0, 0, 0).unwrap()));
        let renewals: Vec<bool> = [(2026, 12, 15), (2027, 1, 15), (2027, 2, 15), (2027, 3, 15)]
            .iter()
            .map(|(y, m, day)| d.applies_at(Utc.with_ymd_and_hms(*y, *m, *day, 0, 0, 0).unwrap()))
            .collect();
        assert_eq!(renewals, vec![true, true, true, false]);
        assert!(!d.applies_at(at - chrono::Duration::seconds(1)), "nothing before the redemption");
        let once = Coupon::new(twenty(), DiscountDuration::Once, None, None).unwrap();
        let o = AppliedDiscount::new("ONCE", &once, at, next);
        assert!(o.applies_at(next) && !o.applies_at(next + chrono::Duration::seconds(1)) && !o.recurring());
        let catalog = PlanCatalog::default();
        let start = Utc.with_ymd_and_hms(2027, 1, 15, 0, 0, 0).unwrap();
        assert_eq!(price_after(&catalog, Interval::Month, 3, start, Some(&d)).unwrap().cents(), 3996);
        assert_eq!(price_after(&catalog, Interval::Month, 3, start, Some(&o)).unwrap().cents(), 4995, "once: no MRR");
        let later = Utc.with_ymd_and_hms(2027, 3, 15, 0, 0, 0).unwrap();
        assert_eq!(price_after(&catalog, Interval::Month, 3, later, Some(&d)).unwrap().cents(), 4995);
        // The period it was redeemed in counts from the redemption.
        let current = Utc.with_ymd_and_hms(2026, 11, 15, 0, 0, 0).unwrap();
        assert_eq!(price_after(&catalog, Interval::Month, 3, current, Some(&d)).unwrap().cents(), 3996);
    }

    proptest! {
        /// A percentage off never makes a line cost more, never turns a
        /// charge into a credit, and 100 % leaves nothing; the total after is
        /// the lines minus their discounts, exactly.
        #[test]
        fn a_percentage_off_shrinks_every_line_toward_zero(
            amounts in proptest::collection::vec(-100_000i64..100_000, 1..6),
            basis_points in 1u32..=FULL,
        ) {
            let period = Period::new(t(11, 1), t(12, 1)).unwrap();
            let lines: Vec<ChargeLine> = amounts
                .iter()
                .map(|a| ChargeLine {
                    item: crate::proration::LineItem::Base,
                    kind: crate::proration::LineKind::FullPeriod,
                    interval: Interval::Month,
                    quantity: 1,
                    unit_amount: Money::eur(a.abs()),
                    period,
                    amount: Money::eur(*a),
                })
                .collect();
            let (cuts, after) = discounted(Currency::EUR, &lines, &Off::Percent { basis_points }).unwrap();
            for (line, cut) in lines.iter().zip(&cuts) {
                let left = line.amount.cents() - cut.cents();
                prop_assert!(left.abs() <= line.amount.cents().abs());
                prop_assert!(left == 0 || left.signum() == line.amount.cents().signum());
                if basis_points == FULL {
                    prop_assert_eq!(left, 0);
                }
            }
            let sum: i64 = amounts.iter().sum::<i64>() - cuts.iter().map(|c| c.cents()).sum::<i64>();
            prop_assert_eq!(after.cents(), sum);
        }
    }
}

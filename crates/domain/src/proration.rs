//! Proration, following Stripe's semantics so that the preview the app shows is
//! what is charged (DESIGN.md section 3, "Proration" and "Interval change").
//!
//! A quantity change produces two lines on the changed item:
//!
//! * a **credit** for the unused time of the old quantity:
//!   `−round(unit × old_qty × remaining / period)`;
//! * a **charge** for the remaining time of the new quantity:
//!   `round(unit × new_qty × remaining / period)`;
//!
//! each rounded to whole cents, halves away from zero, in seconds; the total is
//! their sum. A line whose quantity is 0 is left out (Stripe prints none).
//!
//! An interval change monthly → yearly credits the unused monthly time of each
//! item and charges the yearly prices in full; the billing date moves to the
//! change. A reduction (fewer seats, yearly → monthly) charges nothing now and
//! takes effect at the period end.

use crate::money::{Currency, Money, MoneyError, div_round_half_away};
use crate::plan::PlanCatalog;
use crate::time::{Interval, Period, PeriodError};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Why a proration could not be computed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProrationError {
    /// The proration date is after the period: the preview is stale.
    #[error("the billing period ended at {period_end}; preview the change again")]
    PreviewExpired {
        /// When the period the preview was made in ended.
        period_end: DateTime<Utc>,
    },
    /// Arithmetic failed.
    #[error(transparent)]
    Money(#[from] MoneyError),
    /// A period could not be built.
    #[error(transparent)]
    Period(#[from] PeriodError),
}

/// Which subscription item a line is for.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum LineItem {
    /// The base price (quantity 1, includes the included seats).
    Base,
    /// The extra-seat price.
    ExtraSeats,
}

/// What a line does.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum LineKind {
    /// Credit for the unused time of the old quantity or interval (negative).
    UnusedTime,
    /// Charge for the remaining time of the new quantity.
    RemainingTime,
    /// A full period at the new price (interval change, new subscription, renewal).
    FullPeriod,
}

/// One line of a preview or invoice.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChargeLine {
    /// Which item.
    pub item: LineItem,
    /// Credit, prorated charge or full period.
    pub kind: LineKind,
    /// The interval of the price.
    pub interval: Interval,
    /// Quantity billed.
    pub quantity: u32,
    /// Unit price per full period.
    pub unit_amount: Money,
    /// The time the line covers.
    pub period: Period,
    /// The amount, negative for credits.
    pub amount: Money,
}

/// The outcome of a change, before it is made: lines, total, and the
/// `proration_date` the change request must echo.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChargePreview {
    /// The lines, credits first.
    pub lines: Vec<ChargeLine>,
    /// What is charged before tax: the sum of the lines less `discount`.
    pub total: Money,
    /// A promotion code's discount taken off the lines (`None`: none).
    #[serde(default)]
    pub discount: Option<Money>,
    /// The instant the proration is computed for.
    pub proration_date: DateTime<Utc>,
    /// When the change takes effect: the proration date, or the period end for
    /// scheduled reductions.
    pub effective_at: DateTime<Utc>,
}

impl ChargePreview {
    /// A change that costs nothing now and applies at `effective_at`.
    pub fn scheduled(currency: Currency, proration_date: DateTime<Utc>, effective_at: DateTime<Utc>) -> Self {
        Self { lines: Vec::new(), total: Money::zero(currency), discount: None, proration_date, effective_at }
    }

    /// The preview with `off` taken off its lines (a percentage per line,
    /// rounded per line; an amount off the total): what a discounted
    /// subscription is charged for the change.
    pub fn discounted_by(mut self, currency: Currency, off: &crate::discount::Off) -> Result<Self, MoneyError> {
        if self.lines.is_empty() {
            return Ok(self);
        }
        let (_, after) = crate::discount::discounted(currency, &self.lines, off)?;
        let cut = self.total.cents() - after.cents();
        self.discount = (cut != 0).then(|| Money::from_cents(cut, currency));
        self.total = after;
        Ok(self)
    }

    fn from_lines(currency: Currency, lines: Vec<ChargeLine>, at: DateTime<Utc>) -> Result<Self, MoneyError> {
        let total = Money::sum(currency, lines.iter().map(|l| l.amount))?;
        Ok(Self { lines, total, discount: None, proration_date: at, effective_at: at })
    }
}

/// Checks that `at` lies inside `period`: a proration date from another period
/// belongs to a preview made before the period rolled over (DESIGN.md: refused
/// as `preview_expired`).
pub fn check_proration_date(period: &Period, at: DateTime<Utc>) -> Result<(), ProrationError> {
    if at >= period.end() {
        return Err(ProrationError::PreviewExpired { period_end: period.end() });
    }
    if at < period.start() {
        return Err(ProrationError::PreviewExpired { period_end: period.start() });
    }
    Ok(())
}

/// `round(unit × quantity × remaining_seconds / period_seconds)`, halves away from zero.
pub fn prorated(unit: Money, quantity: u32, period: &Period, at: DateTime<Utc>) -> Result<Money, ProrationError> {
    let numerator = i128::from(unit.cents())
        .checked_mul(i128::from(quantity))
        .and_then(|n| n.checked_mul(i128::from(period.remaining_seconds(at))))
        .ok_or(MoneyError::Overflow)?;
    let cents = div_round_half_away(numerator, i128::from(period.seconds()))?;
    let cents = i64::try_from(cents).map_err(|_| MoneyError::Overflow)?;
    Ok(Money::from_cents(cents, unit.currency()))
}

/// The two proration lines of a quantity change of one item (see the module doc).
#[allow(clippy::too_many_arguments)]
pub fn quantity_change_lines(
    item: LineItem,
    interval: Interval,
    unit: Money,
    old_quantity: u32,
    new_quantity: u32,
    period: &Period,
    at: DateTime<Utc>,
) -> Result<Vec<ChargeLine>, ProrationError> {
    check_proration_date(period, at)?;
    let covered = Period::new(at, period.end())?;
    let mut lines = Vec::with_capacity(2);
    if old_quantity > 0 {
        lines.push(ChargeLine {
            item,
            kind: LineKind::UnusedTime,
            interval,
            quantity: old_quantity,
            unit_amount: unit,
            period: covered,
            amount: prorated(unit, old_quantity, period, at)?.checked_neg()?,
        });
    }
    if new_quantity > 0 {
        lines.push(ChargeLine {
            item,
            kind: LineKind::RemainingTime,
            interval,
            quantity: new_quantity,
            unit_amount: unit,
            period: covered,
            amount: prorated(unit, new_quantity, period, at)?,
        });
    }
    Ok(lines)
}

/// Preview of raising the extra-seat quantity from `old_extra` to `new_extra` at `at`.
///
/// Worked example (DESIGN.md): 1 → 2 extra seats at 4.95/month with 10 of 30 days
/// left: −round(495 × 1 × 10/30) + round(495 × 2 × 10/30) = −165 + 330 = 165 cents.
pub fn seat_increase(
    catalog: &PlanCatalog,
    interval: Interval,
    old_extra: u32,
    new_extra: u32,
    period: &Period,
    at: DateTime<Utc>,
) -> Result<ChargePreview, ProrationError> {
    let unit = catalog.prices(interval).extra_seat;
    let lines = quantity_change_lines(LineItem::ExtraSeats, interval, unit, old_extra, new_extra, period, at)?;
    Ok(ChargePreview::from_lines(catalog.currency, lines, at)?)
}

/// The full-period lines of `seats` seats on `interval` starting at `start`.
pub fn full_period_lines(
    catalog: &PlanCatalog,
    interval: Interval,
    seats: u32,
    start: DateTime<Utc>,
) -> Result<Vec<ChargeLine>, ProrationError> {
    let prices = catalog.prices(interval);
    let period = Period::starting(start, interval)?;
    let extra = catalog.extra_seats(seats);
    let mut lines = vec![ChargeLine {
        item: LineItem::Base,
        kind: LineKind::FullPeriod,
        interval,
        quantity: 1,
        unit_amount: prices.base,
        period,
        amount: prices.base,
    }];
    if extra > 0 {
        lines.push(ChargeLine {
            item: LineItem::ExtraSeats,
            kind: LineKind::FullPeriod,
            interval,
            quantity: extra,
            unit_amount: prices.extra_seat,
            period,
            amount: prices.extra_seat.checked_mul(extra)?,
        });
    }
    Ok(lines)
}

/// Preview of a new paid subscription (or a renewal): a full period, no proration.
pub fn new_period(
    catalog: &PlanCatalog,
    interval: Interval,
    seats: u32,
    start: DateTime<Utc>,
) -> Result<ChargePreview, ProrationError> {
    let lines = full_period_lines(catalog, interval, seats, start)?;
    Ok(ChargePreview::from_lines(catalog.currency, lines, start)?)
}

/// Preview of switching `seats` seats from `from` to `to` now: each item's unused
/// time is credited and the new interval is charged in full from `at`.
///
/// Worked example (DESIGN.md): 7 seats monthly → yearly with 10 of 30 days left:
/// credits −round(4995 × 10/30) − round(495 × 4 × 10/30) = −1665 − 660 = −2325;
/// charges 47900 + 4 × 5940 = 71660; total 69335 cents.
pub fn interval_change_now(
    catalog: &PlanCatalog,
    from: Interval,
    to: Interval,
    seats: u32,
    period: &Period,
    at: DateTime<Utc>,
) -> Result<ChargePreview, ProrationError> {
    let old = catalog.prices(from);
    let extra = catalog.extra_seats(seats);
    let mut lines = quantity_change_lines(LineItem::Base, from, old.base, 1, 0, period, at)?;
    lines.extend(quantity_change_lines(LineItem::ExtraSeats, from, old.extra_seat, extra, 0, period, at)?);
    lines.extend(full_period_lines(catalog, to, seats, at)?);
    Ok(ChargePreview::from_lines(catalog.currency, lines, at)?)
}

/// What an invoice charges now and what carries over, given the provider's
/// minimum charge (Stripe: amounts below the minimum are not charged but added to
/// the next invoice; credits likewise stay on the customer's balance).
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct Settlement {
    /// Collected now.
    pub charge_now: Money,
    /// Carried to the next invoice (positive: owed; negative: credit).
    pub carry_over: Money,
}

/// Settles an invoice `total` (already including any previous carry-over).
pub fn settle(total: Money, minimum_charge: Money) -> Settlement {
    let zero = Money::zero(total.currency());
    if total.cents() >= minimum_charge.cents() && total.cents() > 0 {
        Settlement { charge_now: total, carry_over: zero }
    } else {
        Settlement { charge_now: zero, carry_over: total }
    }
}

#[cfg(test)]
mod tests {
    //! The worked examples of DESIGN.md section 3 in a 30-day period:
    //! 2026-11-01T00:00Z .. 2026-12-01T00:00Z, change at 2026-11-21T00:00Z,
    //! so 10 of 30 days (864000 of 2592000 seconds, one third) remain.
    use super::*;
    use chrono::TimeZone;
    use proptest::prelude::*;

    fn at(d: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, d, 0, 0, 0).unwrap()
    }
    fn november() -> Period {
        Period::new(at(1), Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap()).unwrap()
    }

    #[test]
    fn zero_to_one_extra_seat_costs_165_cents() {
        // 495 × 1 × 10/30 = 165 exactly; no credit line because the old quantity is 0.
        let p = seat_increase(&PlanCatalog::default(), Interval::Month, 0, 1, &november(), at(21)).unwrap();
        assert_eq!(p.lines.len(), 1);
        assert_eq!(p.total, Money::eur(165));
    }

    #[test]
    fn one_to_two_extra_seats_is_minus_165_plus_330() {
        // credit −495 × 1 × 1/3 = −165; charge 495 × 2 × 1/3 = 330; total 165.
        let p = seat_increase(&PlanCatalog::default(), Interval::Month, 1, 2, &november(), at(21)).unwrap();
        let amounts: Vec<i64> = p.lines.iter().map(|l| l.amount.cents()).collect();
        assert_eq!(amounts, vec![-165, 330]);
        assert_eq!(p.total, Money::eur(165));
        assert_eq!(p.proration_date, at(21));
    }

    #[test]
    fn seven_seats_monthly_to_yearly_costs_69335_cents() {
        // unused monthly time: −4995/3 = −1665, −(4 × 495)/3 = −660  → −2325
        // yearly in full: 47900 + 4 × 5940 = 71660                   → +71660
        // total: 71660 − 2325 = 69335
        let c = PlanCatalog::default();
        let p = interval_change_now(&c, Interval::Month, Interval::Year, 7, &november(), at(21)).unwrap();
        let amounts: Vec<i64> = p.lines.iter().map(|l| l.amount.cents()).collect();
        assert_eq!(amounts, vec![-1665, -660, 47900, 23760]);
        let credit: i64 = amounts.iter().filter(|a| **a < 0).sum();
        assert_eq!(credit, -2325);
        assert_eq!(p.total, Money::eur(69335));
        // the new yearly period starts at the change
        assert_eq!(p.lines[2].period.start(), at(21));
        assert_eq!(p.lines[2].period.end(), Utc.with_ymd_and_hms(2027, 11, 21, 0, 0, 0).unwrap());
    }

    #[test]
    fn a_proration_date_after_the_period_is_an_expired_preview() {
        let end = Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap();
        let err = seat_increase(&PlanCatalog::default(), Interval::Month, 0, 1, &november(), end).unwrap_err();
        assert_eq!(err, ProrationError::PreviewExpired { period_end: end });
        let before = Utc.with_ymd_and_hms(2026, 10, 31, 0, 0, 0).unwrap();
        assert!(matches!(
            seat_increase(&PlanCatalog::default(), Interval::Month, 0, 1, &november(), before),
            Err(ProrationError::PreviewExpired { .. })
        ));
    }

    #[test]
    fn halves_round_away_from_zero_on_each_line() {
        // 495 × 1 × 1s / 2s = 247.5 → 248 (charge) and −248 (credit).
        let p = Period::new(at(1), at(1) + chrono::Duration::seconds(2)).unwrap();
        let lines = quantity_change_lines(
            LineItem::ExtraSeats,
            Interval::Month,
            Money::eur(495),
            1,
            2,
            &p,
            at(1) + chrono::Duration::seconds(1),
        )
        .unwrap();
        assert_eq!(lines[0].amount, Money::eur(-248));
        assert_eq!(lines[1].amount, Money::eur(495));
    }

    #[test]
    fn small_invoices_carry_over_to_the_next_one() {
        let min = Money::eur(50);
        assert_eq!(settle(Money::eur(49), min), Settlement { charge_now: Money::eur(0), carry_over: Money::eur(49) });
        assert_eq!(settle(Money::eur(50), min), Settlement { charge_now: Money::eur(50), carry_over: Money::eur(0) });
        assert_eq!(
            settle(Money::eur(-100), min),
            Settlement { charge_now: Money::eur(0), carry_over: Money::eur(-100) }
        );
    }

    proptest! {
        #[test]
        fn lines_sum_to_the_total_and_adding_seats_never_charges_less_than_zero(
            old in 0u32..200, add in 1u32..200, offset in 0i64..(30 * 86_400), yearly in any::<bool>()
        ) {
            let c = PlanCatalog::default();
            let interval = if yearly { Interval::Year } else { Interval::Month };
            let period = Period::starting(at(1), interval).unwrap();
            let when = at(1) + chrono::Duration::seconds(offset);
            let p = seat_increase(&c, interval, old, old + add, &period, when).unwrap();
            let sum: i64 = p.lines.iter().map(|l| l.amount.cents()).sum();
            prop_assert_eq!(sum, p.total.cents());
            prop_assert!(p.total.cents() >= 0);
            // never more than a full period of the added seats
            prop_assert!(p.total.cents() <= i64::from(add) * c.prices(interval).extra_seat.cents() + 1);
        }
    }
}

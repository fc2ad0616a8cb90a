//! Money: integer cents in one ISO 4217 currency. No floating point anywhere.
//!
//! Rounding is written down once, here: [`div_round_half_away`] rounds a ratio
//! of integers to the nearest whole cent, halves away from zero — Stripe's rule
//! for prorations (DESIGN.md section 3, "Proration").

use serde::{Deserialize, Serialize};
use std::fmt;

/// Why a money value or operation was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    /// Two amounts of different currencies were combined.
    #[error("cannot combine {0} with {1}")]
    CurrencyMismatch(Currency, Currency),
    /// The result does not fit in 64 bits of cents.
    #[error("amount overflow")]
    Overflow,
    /// The currency code is not three ASCII letters.
    #[error("`{0}` is not an ISO 4217 currency code")]
    Currency(String),
    /// A decimal amount could not be read.
    #[error("`{0}` is not an amount with at most two decimals")]
    Decimal(String),
    /// A ratio with a zero or negative denominator.
    #[error("a proration needs a positive period length")]
    EmptyPeriod,
}

/// An ISO 4217 alphabetic currency code, upper-case.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(value_type = String, pattern = "^[A-Z]{3}$"))]
#[serde(try_from = "String", into = "String")]
pub struct Currency([u8; 3]);

impl Currency {
    /// The euro, tenantry's default currency.
    pub const EUR: Currency = Currency(*b"EUR");

    /// Parses three ASCII letters.
    pub fn parse(text: &str) -> Result<Self, MoneyError> {
        let up = text.trim().to_ascii_uppercase();
        match up.as_bytes() {
            [a, b, c] if [a, b, c].iter().all(|x| x.is_ascii_uppercase()) => Ok(Self([*a, *b, *c])),
            _ => Err(MoneyError::Currency(text.chars().take(10).collect())),
        }
    }

    /// The code, e.g. `EUR`.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or("???")
    }
}

impl TryFrom<String> for Currency {
    type Error = MoneyError;
    fn try_from(value: String) -> Result<Self, MoneyError> {
        Self::parse(&value)
    }
}
impl From<Currency> for String {
    fn from(c: Currency) -> String {
        c.as_str().to_owned()
    }
}
impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
impl fmt::Debug for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An amount of money: signed integer cents (minor units) and a currency.
///
/// Negative amounts are credits. Arithmetic is checked: mixing currencies or
/// overflowing is an error, never a wrong number.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Money {
    cents: i64,
    currency: Currency,
}

impl Money {
    /// An amount in minor units (cents).
    pub const fn from_cents(cents: i64, currency: Currency) -> Self {
        Self { cents, currency }
    }

    /// Euro cents.
    pub const fn eur(cents: i64) -> Self {
        Self::from_cents(cents, Currency::EUR)
    }

    /// Zero in a currency.
    pub const fn zero(currency: Currency) -> Self {
        Self::from_cents(0, currency)
    }

    /// Reads `49.95`, `-16.5` or `479` (at most two decimals) without floats.
    pub fn parse_decimal(text: &str, currency: Currency) -> Result<Self, MoneyError> {
        let bad = || MoneyError::Decimal(text.chars().take(30).collect());
        let t = text.trim();
        let (negative, digits) = match t.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, t),
        };
        let (whole, frac) = digits.split_once('.').unwrap_or((digits, ""));
        if whole.is_empty()
            || frac.len() > 2
            || !whole.bytes().all(|b| b.is_ascii_digit())
            || !frac.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(bad());
        }
        let whole: i64 = whole.parse().map_err(|_| bad())?;
        let frac_cents: i64 = match frac.len() {
            0 => 0,
            1 => frac.parse::<i64>().map_err(|_| bad())? * 10,
            _ => frac.parse().map_err(|_| bad())?,
        };
        let cents = whole.checked_mul(100).and_then(|c| c.checked_add(frac_cents)).ok_or(MoneyError::Overflow)?;
        Ok(Self::from_cents(if negative { -cents } else { cents }, currency))
    }

    /// The amount in cents.
    pub const fn cents(&self) -> i64 {
        self.cents
    }

    /// The currency.
    pub const fn currency(&self) -> Currency {
        self.currency
    }

    /// `self + other`, same currency required.
    pub fn checked_add(self, other: Money) -> Result<Money, MoneyError> {
        self.same_currency(other)?;
        let cents = self.cents.checked_add(other.cents).ok_or(MoneyError::Overflow)?;
        Ok(Self::from_cents(cents, self.currency))
    }

    /// `self - other`, same currency required.
    pub fn checked_sub(self, other: Money) -> Result<Money, MoneyError> {
        self.same_currency(other)?;
        let cents = self.cents.checked_sub(other.cents).ok_or(MoneyError::Overflow)?;
        Ok(Self::from_cents(cents, self.currency))
    }

    /// `self × quantity`.
    pub fn checked_mul(self, quantity: u32) -> Result<Money, MoneyError> {
        let cents = self.cents.checked_mul(i64::from(quantity)).ok_or(MoneyError::Overflow)?;
        Ok(Self::from_cents(cents, self.currency))
    }

    /// The credit of the same size.
    pub fn checked_neg(self) -> Result<Money, MoneyError> {
        let cents = self.cents.checked_neg().ok_or(MoneyError::Overflow)?;
        Ok(Self::from_cents(cents, self.currency))
    }

    /// Sums amounts of one currency; an empty list sums to zero in `currency`.
    pub fn sum<I: IntoIterator<Item = Money>>(currency: Currency, items: I) -> Result<Money, MoneyError> {
        items.into_iter().try_fold(Money::zero(currency), Money::checked_add)
    }

    fn same_currency(self, other: Money) -> Result<(), MoneyError> {
        if self.currency == other.currency {
            Ok(())
        } else {
            Err(MoneyError::CurrencyMismatch(self.currency, other.currency))
        }
    }
}

impl fmt::Display for Money {
    /// `49.95 EUR`, `-16.50 EUR`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.cents < 0 { "-" } else { "" };
        let abs = self.cents.unsigned_abs();
        write!(f, "{sign}{}.{:02} {}", abs / 100, abs % 100, self.currency)
    }
}

impl fmt::Debug for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// `numerator / denominator` rounded to the nearest integer, halves away from zero.
///
/// Integer only: for a positive denominator `d`, `|n| / d` rounds half up as
/// `(2|n| + d) / 2d`, and the sign of `n` is put back.
pub fn div_round_half_away(numerator: i128, denominator: i128) -> Result<i128, MoneyError> {
    if denominator <= 0 {
        return Err(MoneyError::EmptyPeriod);
    }
    let magnitude = numerator
        .unsigned_abs()
        .checked_mul(2)
        .and_then(|n| n.checked_add(denominator.unsigned_abs()))
        .ok_or(MoneyError::Overflow)?
        / (denominator.unsigned_abs() * 2);
    let magnitude = i128::try_from(magnitude).map_err(|_| MoneyError::Overflow)?;
    Ok(if numerator < 0 { -magnitude } else { magnitude })
}

/// Monthly recurring revenue in cents from per-period amounts (DESIGN.md
/// "Quotas"): monthly amounts count in full, yearly amounts as amount / 12,
/// **rounded once after summing** (so twelve tenants at 479.00 a year give
/// exactly 479.00 of MRR, not 12 × 39.92).
pub fn mrr_cents(monthly_amounts: &[i64], yearly_amounts: &[i64]) -> Result<i64, MoneyError> {
    let monthly: i128 = monthly_amounts.iter().map(|&c| i128::from(c)).sum();
    let yearly: i128 = yearly_amounts.iter().map(|&c| i128::from(c)).sum();
    let total = monthly.checked_add(div_round_half_away(yearly, 12)?).ok_or(MoneyError::Overflow)?;
    i64::try_from(total).map_err(|_| MoneyError::Overflow)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn amounts_print_with_two_decimals_and_the_currency() {
        assert_eq!(Money::eur(4995).to_string(), "49.95 EUR");
        assert_eq!(Money::eur(-1650).to_string(), "-16.50 EUR");
        assert_eq!(Money::eur(5).to_string(), "0.05 EUR");
    }

    #[test]
    fn decimals_parse_without_floats() {
        assert_eq!(Money::parse_decimal("49.95", Currency::EUR).unwrap(), Money::eur(4995));
        assert_eq!(Money::parse_decimal("479", Currency::EUR).unwrap(), Money::eur(47900));
        assert_eq!(Money::parse_decimal("-16.5", Currency::EUR).unwrap(), Money::eur(-1650));
        for bad in ["", "4.999", "1e3", "abc", ".5", "--1", "1.-2"] {
            assert!(Money::parse_decimal(bad, Currency::EUR).is_err(), "{bad}");
        }
    }

    #[test]
    fn currencies_do_not_mix() {
        let usd = Money::from_cents(100, Currency::parse("usd").unwrap());
        assert!(matches!(Money::eur(1).checked_add(usd), Err(MoneyError::CurrencyMismatch(..))));
        assert!(Currency::parse("EURO").is_err());
    }

    #[test]
    fn overflow_is_an_error_not_a_wrong_number() {
        assert_eq!(Money::eur(i64::MAX).checked_add(Money::eur(1)), Err(MoneyError::Overflow));
        assert_eq!(Money::eur(i64::MAX).checked_mul(2), Err(MoneyError::Overflow));
        assert_eq!(Money::eur(i64::MIN).checked_neg(), Err(MoneyError::Overflow));
    }

    #[test]
    fn rounding_is_half_away_from_zero() {
        assert_eq!(div_round_half_away(5, 2).unwrap(), 3);
        assert_eq!(div_round_half_away(-5, 2).unwrap(), -3);
        assert_eq!(div_round_half_away(4, 3).unwrap(), 1);
        assert_eq!(div_round_half_away(-4, 3).unwrap(), -1);
        assert_eq!(div_round_half_away(495 * 10, 30).unwrap(), 165);
        assert!(div_round_half_away(1, 0).is_err());
    }

    #[test]
    fn mrr_counts_a_yearly_amount_as_a_twelfth_rounded_once() {
        // 12 yearly tenants at 479.00: 12 × 47900 / 12 = 47900 exactly.
        assert_eq!(mrr_cents(&[], &[47900; 12]).unwrap(), 47900);
        // One yearly tenant: 47900 / 12 = 3991.67 -> 3992; plus 6975 monthly = 10967.
        assert_eq!(mrr_cents(&[6975], &[47900]).unwrap(), 10967);
    }

    proptest! {
        #[test]
        fn rounding_is_within_half_a_unit(n in -1_000_000_000i64..1_000_000_000, d in 1i64..1_000_000) {
            let q = div_round_half_away(i128::from(n), i128::from(d)).unwrap();
            // |q·d − n| ≤ d/2
            prop_assert!((q * i128::from(d) - i128::from(n)).abs() * 2 <= i128::from(d));
            // symmetric around zero
            prop_assert_eq!(div_round_half_away(-i128::from(n), i128::from(d)).unwrap(), -q);
        }
    }
}

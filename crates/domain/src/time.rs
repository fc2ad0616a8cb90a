//! Billing intervals and periods. Time is always handed in; nothing here reads a clock.

use chrono::{DateTime, Months, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Why a period could not be formed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PeriodError {
    /// `end` is not after `start`.
    #[error("a period must end after it starts ({start} .. {end})")]
    Empty {
        /// Start given.
        start: DateTime<Utc>,
        /// End given.
        end: DateTime<Utc>,
    },
    /// A date beyond chrono's range.
    #[error("date out of range")]
    OutOfRange,
}

/// `at + by`, or the last representable instant instead of a panic when a date
/// that came from outside (a provider's period, an operator's trial end) is absurd.
pub fn saturating_add(at: DateTime<Utc>, by: chrono::Duration) -> DateTime<Utc> {
    at.checked_add_signed(by).unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// A billing interval.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize, PartialOrd, Ord)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Interval {
    /// Billed every calendar month from the anchor.
    Month,
    /// Billed every twelve months from the anchor.
    Year,
}

impl Interval {
    /// The stable name used in APIs and storage (`month`, `year`).
    pub fn as_str(&self) -> &'static str {
        match self {
            Interval::Month => "month",
            Interval::Year => "year",
        }
    }

    /// Parses `month`/`monthly`/`year`/`yearly`.
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim().to_ascii_lowercase().as_str() {
            "month" | "monthly" => Some(Interval::Month),
            "year" | "yearly" | "annual" => Some(Interval::Year),
            _ => None,
        }
    }

    fn months(self) -> u32 {
        match self {
            Interval::Month => 1,
            Interval::Year => 12,
        }
    }

    /// The `n`-th boundary after `anchor`: `anchor + n` intervals, computed from the
    /// anchor each time so that a subscription started on the 31st bills on the
    /// last day of shorter months and returns to the 31st after (Stripe's rule).
    pub fn boundary(self, anchor: DateTime<Utc>, n: u32) -> Result<DateTime<Utc>, PeriodError> {
        let months = n.checked_mul(self.months()).ok_or(PeriodError::OutOfRange)?;
        anchor.checked_add_months(Months::new(months)).ok_or(PeriodError::OutOfRange)
    }

    /// The period of this interval that contains `at`, counting from `anchor`
    /// (`at` before the anchor gives the first period).
    pub fn period_containing(self, anchor: DateTime<Utc>, at: DateTime<Utc>) -> Result<Period, PeriodError> {
        let mut n = 0u32;
        loop {
            let end = self.boundary(anchor, n + 1)?;
            if at < end {
                return Period::new(self.boundary(anchor, n)?, end);
            }
            n = n.checked_add(1).ok_or(PeriodError::OutOfRange)?;
        }
    }
}

impl fmt::Display for Interval {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A half-open time range `[start, end)` with `start < end`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(try_from = "PeriodParts", into = "PeriodParts")]
pub struct Period {
    start: DateTime<Utc>,
    end: DateTime<Utc>,
}

/// The serialised shape of a [`Period`].
#[derive(Serialize, Deserialize)]
struct PeriodParts {
    start: DateTime<Utc>,
    end: DateTime<Utc>,
}

impl TryFrom<PeriodParts> for Period {
    type Error = PeriodError;
    fn try_from(p: PeriodParts) -> Result<Self, PeriodError> {
        Period::new(p.start, p.end)
    }
}
impl From<Period> for PeriodParts {
    fn from(p: Period) -> Self {
        PeriodParts { start: p.start, end: p.end }
    }
}

impl Period {
    /// `[start, end)`; refuses empty or inverted ranges.
    pub fn new(start: DateTime<Utc>, end: DateTime<Utc>) -> Result<Self, PeriodError> {
        if end > start { Ok(Self { start, end }) } else { Err(PeriodError::Empty { start, end }) }
    }

    /// One interval starting at `start`.
    pub fn starting(start: DateTime<Utc>, interval: Interval) -> Result<Self, PeriodError> {
        Self::new(start, interval.boundary(start, 1)?)
    }

    /// Inclusive start.
    pub fn start(&self) -> DateTime<Utc> {
        self.start
    }

    /// Exclusive end.
    pub fn end(&self) -> DateTime<Utc> {
        self.end
    }

    /// Whether `at` lies in `[start, end)`.
    pub fn contains(&self, at: DateTime<Utc>) -> bool {
        self.start <= at && at < self.end
    }

    /// Length in whole seconds (always > 0).
    pub fn seconds(&self) -> i64 {
        (self.end - self.start).num_seconds().max(1)
    }

    /// Seconds from `at` to the end, clamped to `[0, seconds()]`.
    pub fn remaining_seconds(&self, at: DateTime<Utc>) -> i64 {
        let at = at.max(self.start);
        (self.end - at).num_seconds().clamp(0, self.seconds())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn utc(y: i32, m: u32, d: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, 0, 0, 0).unwrap()
    }

    #[test]
    fn monthly_periods_follow_the_anchor_day() {
        let anchor = utc(2026, 1, 31);
        assert_eq!(Interval::Month.boundary(anchor, 1).unwrap(), utc(2026, 2, 28));
        assert_eq!(Interval::Month.boundary(anchor, 2).unwrap(), utc(2026, 3, 31));
        let p = Interval::Month.period_containing(anchor, utc(2026, 3, 1)).unwrap();
        assert_eq!((p.start(), p.end()), (utc(2026, 2, 28), utc(2026, 3, 31)));
        let y = Period::starting(utc(2026, 11, 21), Interval::Year).unwrap();
        assert_eq!(y.end(), utc(2027, 11, 21));
    }

    #[test]
    fn a_period_knows_its_remaining_time() {
        let p = Period::new(utc(2026, 11, 1), utc(2026, 12, 1)).unwrap();
        assert_eq!(p.seconds(), 30 * 86_400);
        assert_eq!(p.remaining_seconds(utc(2026, 11, 21)), 10 * 86_400);
        assert_eq!(p.remaining_seconds(utc(2027, 1, 1)), 0);
        assert!(p.contains(utc(2026, 11, 1)) && !p.contains(utc(2026, 12, 1)));
        assert!(Period::new(utc(2026, 12, 1), utc(2026, 12, 1)).is_err());
    }

    #[test]
    fn periods_deserialize_only_when_valid() {
        let bad = r#"{"start":"2026-12-01T00:00:00Z","end":"2026-11-01T00:00:00Z"}"#;
        assert!(serde_json::from_str::<Period>(bad).is_err());
    }
}

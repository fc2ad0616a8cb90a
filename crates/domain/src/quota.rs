//! Per-tenant quotas: API requests per minute, API calls per month and storage
//! bytes by plan, with per-tenant overrides set by the superuser (DESIGN.md
//! "Quotas").

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// The freemium plan's monthly API calls: 50,000 (about 1,600 a day — a small
/// team's integration syncing every few minutes fits; a busy one upgrades).
pub const FREEMIUM_API_CALLS_PER_MONTH: u64 = 50_000;
/// The trial's and the standard plan's monthly API calls: 2,000,000 (about 46
/// a minute around the clock; the per-minute limit, 1,200, caps bursts).
pub const PAID_API_CALLS_PER_MONTH: u64 = 2_000_000;

/// The limits of one plan.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct Quota {
    /// API requests per minute (the HTTP layer enforces it, answering 429).
    pub requests_per_minute: u32,
    /// API calls per calendar month, UTC (the HTTP layer meters and enforces
    /// it, answering 429 `quota_exceeded` until the next month).
    pub api_calls_per_month: u64,
    /// Bytes the tenant may store.
    pub storage_bytes: u64,
    /// Active users (used seats) the plan allows besides its seats; `None`: the
    /// seats alone decide (the default of every plan).
    #[serde(default)]
    pub active_users: Option<u32>,
}

/// A superuser's per-tenant override; `None` keeps the plan's value.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct QuotaOverride {
    /// Replaces the plan's requests per minute.
    pub requests_per_minute: Option<u32>,
    /// Replaces the plan's API calls per month.
    #[serde(default)]
    pub api_calls_per_month: Option<u64>,
    /// Replaces the plan's storage bytes.
    pub storage_bytes: Option<u64>,
    /// Caps the active users (used seats) below the licensed seats.
    #[serde(default)]
    pub active_users: Option<u32>,
}

impl Quota {
    /// The plan's quota with a tenant's override applied.
    pub fn with_override(self, o: &QuotaOverride) -> Quota {
        Quota {
            requests_per_minute: o.requests_per_minute.unwrap_or(self.requests_per_minute),
            api_calls_per_month: o.api_calls_per_month.unwrap_or(self.api_calls_per_month),
            storage_bytes: o.storage_bytes.unwrap_or(self.storage_bytes),
            active_users: o.active_users.or(self.active_users),
        }
    }
}

/// Storing more would exceed the tenant's storage quota.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("storing {requested} more bytes would exceed the quota of {limit} bytes ({used} in use)")]
pub struct StorageQuotaExceeded {
    /// Bytes in use.
    pub used: u64,
    /// Bytes asked for.
    pub requested: u64,
    /// The limit.
    pub limit: u64,
}

/// Whether `requested` more bytes fit next to `used` under `quota`.
pub fn check_storage(quota: &Quota, used: u64, requested: u64) -> Result<u64, StorageQuotaExceeded> {
    match used.checked_add(requested) {
        Some(total) if total <= quota.storage_bytes => Ok(total),
        _ => Err(StorageQuotaExceeded { used, requested, limit: quota.storage_bytes }),
    }
}

/// The month's API calls are used up.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "the monthly allowance of {limit} API calls is used up ({used} this month); it resets at {}",
    resets_at.format("%Y-%m-%dT%H:%M:%SZ")
)]
pub struct ApiCallQuotaExceeded {
    /// Calls counted this month.
    pub used: u64,
    /// The allowance.
    pub limit: u64,
    /// When the allowance is full again: the first instant of the next month (UTC).
    pub resets_at: DateTime<Utc>,
}

/// The first instant of the month after the one `now` is in (UTC).
pub fn next_month_start(now: DateTime<Utc>) -> DateTime<Utc> {
    let (year, month) = if now.month() == 12 { (now.year() + 1, 1) } else { (now.year(), now.month() + 1) };
    NaiveDate::from_ymd_opt(year, month, 1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map_or(DateTime::<Utc>::MAX_UTC, |d| d.and_utc())
}

/// Whether one more API call fits after `used` calls this month: the call that
/// makes `used` reach the allowance is the last one allowed.
pub fn check_api_calls(quota: &Quota, used: u64, now: DateTime<Utc>) -> Result<(), ApiCallQuotaExceeded> {
    if used < quota.api_calls_per_month {
        Ok(())
    } else {
        Err(ApiCallQuotaExceeded { used, limit: quota.api_calls_per_month, resets_at: next_month_start(now) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_override_replaces_only_what_it_names() {
        let q = Quota { requests_per_minute: 60, api_calls_per_month: 1000, storage_bytes: 100, active_users: None };
        let o = QuotaOverride {
            requests_per_minute: Some(600),
            api_calls_per_month: Some(5000),
            storage_bytes: None,
            active_users: Some(5),
        };
        assert_eq!(
            q.with_override(&o),
            Quota { requests_per_minute: 600, api_calls_per_month: 5000, storage_bytes: 100, active_users: Some(5) }
        );
    }

    #[test]
    fn storage_up_to_the_limit_fits_and_one_byte_more_does_not() {
        let q = Quota { requests_per_minute: 60, api_calls_per_month: 1000, storage_bytes: 100, active_users: None };
        assert_eq!(check_storage(&q, 60, 40), Ok(100));
        assert_eq!(check_storage(&q, 60, 41), Err(StorageQuotaExceeded { used: 60, requested: 41, limit: 100 }));
        assert!(check_storage(&q, u64::MAX, 1).is_err());
    }

    #[test]
    fn the_call_that_reaches_the_allowance_is_the_last_and_the_next_month_starts_afresh() {
        let q = Quota { requests_per_minute: 60, api_calls_per_month: 3, storage_bytes: 100, active_users: None };
        let now = chrono::DateTime::parse_from_rfc3339("2026-12-31T23:59:59Z").unwrap().with_timezone(&Utc);
        assert!(check_api_calls(&q, 2, now).is_ok());
        let refused = check_api_calls(&q, 3, now).unwrap_err();
        assert_eq!((refused.used, refused.limit), (3, 3));
        assert_eq!(refused.resets_at.to_rfc3339(), "2027-01-01T00:00:00+00:00");
        assert!(refused.to_string().contains("resets at 2027-01-01T00:00:00Z"), "{refused}");
        let mid = chrono::DateTime::parse_from_rfc3339("2026-02-14T12:00:00Z").unwrap().with_timezone(&Utc);
        assert_eq!(next_month_start(mid).to_rfc3339(), "2026-03-01T00:00:00+00:00");
    }
}

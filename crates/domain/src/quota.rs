//! Per-tenant quotas: API requests per minute and storage bytes by plan, with
//! per-tenant overrides set by the superuser (DESIGN.md "Quotas").

use serde::{Deserialize, Serialize};

/// The limits of one plan.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct Quota {
    /// API requests per minute (the HTTP layer enforces it, answering 429).
    pub requests_per_minute: u32,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_override_replaces_only_what_it_names() {
        let q = Quota { requests_per_minute: 60, storage_bytes: 100, active_users: None };
        let o = QuotaOverride { requests_per_minute: Some(600), storage_bytes: None, active_users: Some(5) };
        assert_eq!(q.with_override(&o), Quota { requests_per_minute: 600, storage_bytes: 100, active_users: Some(5) });
    }

    #[test]
    fn storage_up_to_the_limit_fits_and_one_byte_more_does_not() {
        let q = Quota { requests_per_minute: 60, storage_bytes: 100, active_users: None };
        assert_eq!(check_storage(&q, 60, 40), Ok(100));
        assert_eq!(check_storage(&q, 60, 41), Err(StorageQuotaExceeded { used: 60, requested: 41, limit: 100 }));
        assert!(check_storage(&q, u64::MAX, 1).is_err());
    }
}

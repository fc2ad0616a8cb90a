//! Per-tenant request rate limits (DESIGN.md "Quotas"): each tenant gets the
//! requests per minute of its plan, or the superuser's override for it.
//!
//! The requests are counted by the `RateLimiter` port under the key
//! `tenant:<id>`: in this process (governor) by default, or in Redis when
//! `REDIS_URL` is set, so that several instances share one budget. A tenant's
//! quota (with the monthly API allowance the meter enforces) is read through
//! the use cases and kept for [`QUOTA_TTL`]. The superuser acting in a tenant,
//! and an impersonation, are not counted against it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tenantry_domain::TenantId;
use tenantry_domain::quota::Quota;
use tenantry_ports::{Actor, InProcessRateLimiter, InfraError, Rate, RateLimiter, TenantScope, Tenantry};

/// How long a tenant's quota is trusted before it is read again.
pub const QUOTA_TTL: Duration = Duration::from_secs(30);

/// The tenants' limits: their quotas (cached) and the limiter that counts.
pub struct RateLimits {
    quotas: Mutex<HashMap<TenantId, (Quota, Instant)>>,
    limiter: Arc<dyn RateLimiter>,
}

impl Default for RateLimits {
    fn default() -> Self {
        Self::new(Arc::new(InProcessRateLimiter::default()))
    }
}

impl std::fmt::Debug for RateLimits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RateLimits")
    }
}

/// What a request learned about its tenant's limit (the `X-RateLimit-*` headers).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateInfo {
    /// Requests per minute.
    pub limit: u32,
    /// Requests left now.
    pub remaining: u32,
    /// Seconds until the full allowance is back.
    pub reset_secs: u64,
    /// Set when this request was refused: seconds until one more is allowed.
    pub retry_after_secs: Option<u64>,
}

impl RateLimits {
    /// Limits counted by `limiter` (in-process, or shared through Redis).
    pub fn new(limiter: Arc<dyn RateLimiter>) -> Self {
        Self { quotas: Mutex::new(HashMap::new()), limiter }
    }

    /// The limiter (the anonymous throttles count with it too).
    pub fn limiter(&self) -> Arc<dyn RateLimiter> {
        self.limiter.clone()
    }

    /// The tenant's quota in force, read through the use cases at most every [`QUOTA_TTL`].
    pub async fn quota(&self, tenantry: &Tenantry, scope: &TenantScope) -> Result<Quota, InfraError> {
        let tenant = scope.tenant_id();
        let cached = {
            let quotas = self.quotas.lock().unwrap_or_else(|p| p.into_inner());
            quotas.get(&tenant).filter(|(_, read_at)| read_at.elapsed() < QUOTA_TTL).map(|(q, _)| *q)
        };
        match cached {
            Some(q) => Ok(q),
            None => {
                let quota = tenantry.effective_quota(scope).await?;
                let mut quotas = self.quotas.lock().unwrap_or_else(|p| p.into_inner());
                quotas.insert(tenant, (quota, Instant::now()));
                Ok(quota)
            }
        }
    }

    /// Forgets a tenant's cached quota (the superuser changed it): this
    /// instance reads it again at the tenant's next request.
    pub fn forget(&self, tenant: TenantId) {
        self.quotas.lock().unwrap_or_else(|p| p.into_inner()).remove(&tenant);
    }

    /// Counts one request of `scope`'s tenant. `Ok(None)`: not limited (the
    /// superuser, an impersonation, or a system actor).
    pub async fn check(&self, tenantry: &Tenantry, scope: &TenantScope) -> Result<Option<RateInfo>, InfraError> {
        if !matches!(scope.actor(), Actor::User { .. } | Actor::ApiKey { .. }) {
            return Ok(None);
        }
        let quota = self.quota(tenantry, scope).await?;
        let key = format!("tenant:{}", scope.tenant_id());
        let d = self.limiter.check(&key, Rate::per_minute(quota.requests_per_minute)).await?;
        Ok(Some(RateInfo {
            limit: d.limit,
            remaining: d.remaining,
            reset_secs: d.reset_secs(),
            retry_after_secs: if d.allowed { None } else { Some(d.retry_after_secs().unwrap_or(1)) },
        }))
    }
}

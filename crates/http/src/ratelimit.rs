//! Per-tenant request rate limits (DESIGN.md "Quotas"): each tenant gets the
//! requests per minute of its plan, or the superuser's override for it.
//!
//! One governor limiter per tenant — a keyed limiter has one quota for all its
//! keys, and tenants' quotas differ. A tenant's quota is read through the use
//! cases and kept for [`QUOTA_TTL`]; when it changes, the tenant gets a fresh
//! limiter. The superuser acting in a tenant is not counted against it.
//!
//! Limits are per process: with several instances behind a load balancer a
//! tenant may make up to (instances × its quota) requests a minute.

use governor::clock::{Clock as _, DefaultClock};
use governor::middleware::StateInformationMiddleware;
use governor::state::{InMemoryState, NotKeyed};
use governor::{Quota as GovernorQuota, RateLimiter};
use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tenantry_domain::TenantId;
use tenantry_ports::{Actor, InfraError, TenantScope, Tenantry};

/// How long a tenant's quota is trusted before it is read again.
pub const QUOTA_TTL: Duration = Duration::from_secs(30);

type Limiter = RateLimiter<NotKeyed, InMemoryState, DefaultClock, StateInformationMiddleware>;

struct Entry {
    per_minute: u32,
    limiter: Arc<Limiter>,
    read_at: Instant,
}

/// The limiters of every tenant seen.
#[derive(Default)]
pub struct RateLimits {
    tenants: Mutex<HashMap<TenantId, Entry>>,
    clock: DefaultClock,
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
    /// Counts one request of `scope`'s tenant. `Ok(None)`: not limited (the
    /// superuser, or a system actor).
    pub async fn check(&self, tenantry: &Tenantry, scope: &TenantScope) -> Result<Option<RateInfo>, InfraError> {
        if !matches!(scope.actor(), Actor::User { .. } | Actor::ApiKey { .. }) {
            return Ok(None);
        }
        let tenant = scope.tenant_id();
        let limiter = match self.fresh(tenant) {
            Some(found) => found,
            None => {
                let quota = tenantry.effective_quota(scope).await?;
                self.install(tenant, quota.requests_per_minute)
            }
        };
        let (limit, limiter) = limiter;
        // Milliseconds for one request to come back (GCRA replenishes evenly).
        let per_request_ms = 60_000 / u64::from(limit.max(1));
        Ok(Some(match limiter.check() {
            Ok(snapshot) => {
                let remaining = snapshot.remaining_burst_capacity();
                let missing = limit.saturating_sub(remaining);
                RateInfo {
                    limit,
                    remaining,
                    reset_secs: ceil_secs(per_request_ms * u64::from(missing)),
                    retry_after_secs: None,
                }
            }
            Err(not_until) => {
                let wait = not_until.wait_time_from(self.clock.now());
                let wait_secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
                RateInfo {
                    limit,
                    remaining: 0,
                    reset_secs: ceil_secs(per_request_ms * u64::from(limit)),
                    retry_after_secs: Some(wait_secs.max(1)),
                }
            }
        }))
    }

    fn fresh(&self, tenant: TenantId) -> Option<(u32, Arc<Limiter>)> {
        let tenants = self.tenants.lock().unwrap_or_else(|p| p.into_inner());
        tenants.get(&tenant).filter(|e| e.read_at.elapsed() < QUOTA_TTL).map(|e| (e.per_minute, e.limiter.clone()))
    }

    fn install(&self, tenant: TenantId, per_minute: u32) -> (u32, Arc<Limiter>) {
        let per_minute = per_minute.max(1);
        let mut tenants = self.tenants.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        match tenants.get_mut(&tenant) {
            // The same quota: keep the limiter (and what it counted).
            Some(e) if e.per_minute == per_minute => {
                e.read_at = now;
                (e.per_minute, e.limiter.clone())
            }
            _ => {
                let rate = NonZeroU32::new(per_minute).unwrap_or(NonZeroU32::MIN);
                let limiter = Arc::new(
                    RateLimiter::direct(GovernorQuota::per_minute(rate))
                        .with_middleware::<StateInformationMiddleware>(),
                );
                tenants.insert(tenant, Entry { per_minute, limiter: limiter.clone(), read_at: now });
                (per_minute, limiter)
            }
        }
    }
}

/// Whole seconds, rounded up.
fn ceil_secs(ms: u64) -> u64 {
    ms.div_ceil(1000)
}

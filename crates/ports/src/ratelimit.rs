//! The `RateLimiter` port (issue 19): one request counted under a key against a
//! rate, answered with what the `X-RateLimit-*` and `Retry-After` headers say.
//!
//! Every limit of the service goes through it: a tenant's requests per minute
//! (key `tenant:<id>`) and the anonymous throttles of issue 18 (per address,
//! per account, cross-tenant). Two implementations: [`InProcessRateLimiter`]
//! here (governor's GCRA, one process), and `tenantry-redis`'s limiter, shared
//! by every instance on one Redis (a Lua GCRA, one round trip per check), which
//! falls back to the in-process one when Redis does not answer.
//!
//! Both are the generic cell rate algorithm with the same figures: one request
//! comes back every `60 s / per_minute`, at most `burst` at once. With TAT the
//! theoretical arrival time and `T` the emission interval, a request at `now`
//! is allowed when `max(TAT, now) + T − burst·T ≤ now`; then
//! `remaining = ⌊(now − (TAT' − burst·T)) / T⌋` and the bucket is full again at
//! `TAT'` (`reset`); refused, one more is allowed at `TAT + T − burst·T`.
//! governor does not show its TAT, so the in-process limiter reports the reset
//! as `T × (burst − remaining)` (allowed) and `T × burst` (refused): up to one
//! interval more than Redis's exact `TAT' − now`; the allowed/remaining/retry
//! figures agree.

use crate::error::InfraError;
use async_trait::async_trait;
use governor::clock::{Clock as _, DefaultClock};
use governor::middleware::StateInformationMiddleware;
use governor::state::keyed::DefaultKeyedStateStore;
use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A limit: `per_minute` requests replenished evenly, at most `burst` at once.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Rate {
    /// Requests a minute (at least 1).
    pub per_minute: u32,
    /// Requests at once (at least 1).
    pub burst: u32,
}

impl Rate {
    /// `per_minute` a minute, all of them at once.
    pub fn per_minute(per_minute: u32) -> Self {
        Self { per_minute: per_minute.max(1), burst: per_minute.max(1) }
    }

    /// `per_minute` a minute, at most `burst` at once.
    pub fn with_burst(per_minute: u32, burst: u32) -> Self {
        Self { per_minute: per_minute.max(1), burst: burst.max(1) }
    }

    /// The emission interval: how long one request takes to come back.
    /// (Whole microseconds, at least one: the Redis limiter counts in µs.)
    pub fn interval(&self) -> Duration {
        Duration::from_micros((60_000_000 / u64::from(self.per_minute.max(1))).max(1))
    }
}

/// The answer for one request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateDecision {
    /// Whether the request may go on.
    pub allowed: bool,
    /// The limit (the burst: what a full bucket holds).
    pub limit: u32,
    /// Requests left now.
    pub remaining: u32,
    /// How long until the bucket is full again.
    pub reset_after: Duration,
    /// Refused: how long until one more request is allowed.
    pub retry_after: Option<Duration>,
}

impl RateDecision {
    /// `reset_after` in whole seconds, rounded up.
    pub fn reset_secs(&self) -> u64 {
        ceil_secs(self.reset_after)
    }

    /// `retry_after` in whole seconds, rounded up, at least 1.
    pub fn retry_after_secs(&self) -> Option<u64> {
        self.retry_after.map(|d| ceil_secs(d).max(1))
    }
}

/// Whole seconds, rounded up.
pub fn ceil_secs(d: Duration) -> u64 {
    d.as_secs() + u64::from(d.subsec_nanos() > 0)
}

/// Counts requests under keys against rates.
#[cfg_attr(feature = "mocks", mockall::automock)]
#[async_trait]
pub trait RateLimiter: Send + Sync {
    /// Counts one request under `key` against `rate`. An error means the
    /// limiter could not decide (its store did not answer); callers that must
    /// not fail open use a limiter that falls back instead.
    async fn check(&self, key: &str, rate: Rate) -> Result<RateDecision, InfraError>;
}

type Keyed = governor::RateLimiter<String, DefaultKeyedStateStore<String>, DefaultClock, StateInformationMiddleware>;

/// Checks between two sweeps of the keys whose buckets are full again.
const SWEEP_EVERY: u64 = 4_096;

/// The in-process limiter: governor's keyed GCRA, one keyed limiter per rate.
/// With several instances each counts its own requests.
#[derive(Default)]
pub struct InProcessRateLimiter {
    limiters: Mutex<HashMap<Rate, Arc<Keyed>>>,
    checks: AtomicU64,
    clock: DefaultClock,
}

impl std::fmt::Debug for InProcessRateLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("InProcessRateLimiter")
    }
}

impl InProcessRateLimiter {
    /// Counts one request under `key` against `rate` (never fails).
    pub fn check_now(&self, key: &str, rate: Rate) -> RateDecision {
        let rate = Rate::with_burst(rate.per_minute, rate.burst);
        let limiter = {
            let mut limiters = self.limiters.lock().unwrap_or_else(|p| p.into_inner());
            limiters
                .entry(rate)
                .or_insert_with(|| {
                    let per_minute = NonZeroU32::new(rate.per_minute).unwrap_or(NonZeroU32::MIN);
                    let burst = NonZeroU32::new(rate.burst).unwrap_or(NonZeroU32::MIN);
                    Arc::new(
                        governor::RateLimiter::keyed(governor::Quota::per_minute(per_minute).allow_burst(burst))
                            .with_middleware::<StateInformationMiddleware>(),
                    )
                })
                .clone()
        };
        if self.checks.fetch_add(1, Ordering::Relaxed) % SWEEP_EVERY == SWEEP_EVERY - 1 {
            limiter.retain_recent();
        }
        let interval = rate.interval();
        match limiter.check_key(&key.to_owned()) {
            Ok(snapshot) => {
                let remaining = snapshot.remaining_burst_capacity();
                let missing = rate.burst.saturating_sub(remaining);
                RateDecision {
                    allowed: true,
                    limit: rate.burst,
                    remaining,
                    reset_after: interval.saturating_mul(missing),
                    retry_after: None,
                }
            }
            Err(not_until) => RateDecision {
                allowed: false,
                limit: rate.burst,
                remaining: 0,
                reset_after: interval.saturating_mul(rate.burst),
                retry_after: Some(not_until.wait_time_from(self.clock.now())),
            },
        }
    }
}

#[async_trait]
impl RateLimiter for InProcessRateLimiter {
    async fn check(&self, key: &str, rate: Rate) -> Result<RateDecision, InfraError> {
        Ok(self.check_now(key, rate))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_bucket_counts_down_then_refuses_with_the_interval_to_wait() {
        let l = InProcessRateLimiter::default();
        let rate = Rate::per_minute(3);
        let first = l.check_now("tenant:a", rate);
        assert_eq!((first.allowed, first.limit, first.remaining), (true, 3, 2));
        assert_eq!(first.reset_secs(), 20);
        assert_eq!(l.check_now("tenant:a", rate).remaining, 1);
        assert_eq!(l.check_now("tenant:a", rate).remaining, 0);
        let refused = l.check_now("tenant:a", rate);
        assert!(!refused.allowed);
        // One request comes back every 20 s.
        assert!((19..=20).contains(&refused.retry_after_secs().unwrap_or(0)), "{refused:?}");
        // Another key has its own bucket.
        assert!(l.check_now("tenant:b", rate).allowed);
    }

    #[test]
    fn a_burst_smaller_than_the_rate_caps_what_goes_at_once() {
        let l = InProcessRateLimiter::default();
        let rate = Rate::with_burst(600, 2);
        assert!(l.check_now("k", rate).allowed);
        assert!(l.check_now("k", rate).allowed);
        assert!(!l.check_now("k", rate).allowed);
    }
}

//! [`SharedRateLimiter`]: Redis when it answers, this instance's in-process
//! limiter when it does not (never "allow everything").

use crate::limiter::{RedisLimiterOptions, RedisRateLimiter, RedisSetupError};
use async_trait::async_trait;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tenantry_ports::{InProcessRateLimiter, InfraError, Rate, RateDecision, RateLimiter};

/// The counter of checks answered by the in-process limiter because Redis did not.
pub const FALLBACK_COUNTER: &str = "tenantry_ratelimit_fallback_total";

/// The limiter the service uses: the [`RedisRateLimiter`] when one is
/// configured and answers, else the [`InProcessRateLimiter`] (each instance
/// then counts its own requests, so the limits still hold per instance).
///
/// When Redis fails or does not answer within the timeout, the check is
/// answered in process, `tenantry_ratelimit_fallback_total` goes up, and Redis
/// is not tried again for the cool-down (so a dead Redis does not add a timeout
/// to every request); then one check tries it again (reconnecting if needed).
/// A warning is logged when an outage starts, an info line when it ends.
pub struct SharedRateLimiter {
    redis: Option<RedisRateLimiter>,
    local: InProcessRateLimiter,
    cool_down: Duration,
    epoch: Instant,
    /// In an outage: Redis failed last time it was tried.
    down: AtomicBool,
    /// Microseconds after `epoch` before which Redis is not tried (in an outage).
    retry_at: AtomicU64,
    fallbacks: AtomicU64,
}

impl std::fmt::Debug for SharedRateLimiter {
    // The Redis limiter prints host:port only, never the URL's password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedRateLimiter")
            .field("redis", &self.redis)
            .field("shared", &self.is_shared())
            .field("fallbacks", &self.fallbacks())
            .field("cool_down", &self.cool_down)
            .finish()
    }
}

impl SharedRateLimiter {
    /// Shared on the Redis at `url`, falling back as `options` say. Only a
    /// malformed URL is an error: a server that does not answer yet is tried
    /// at the first check (call [`probe`](Self::probe) to try it now). Must be
    /// called inside a Tokio runtime.
    pub fn connect(url: &str, options: &RedisLimiterOptions) -> Result<Self, RedisSetupError> {
        Ok(Self::new(Some(RedisRateLimiter::connect(url, options)?), options.cool_down))
    }

    /// Shared on `redis` when given, with this cool-down after a failure.
    pub fn new(redis: Option<RedisRateLimiter>, cool_down: Duration) -> Self {
        Self {
            redis,
            local: InProcessRateLimiter::default(),
            cool_down,
            epoch: Instant::now(),
            down: AtomicBool::new(false),
            retry_at: AtomicU64::new(0),
            fallbacks: AtomicU64::new(0),
        }
    }

    /// In process only (no Redis configured): nothing is shared, nothing falls back.
    pub fn in_process() -> Self {
        Self::new(None, Duration::ZERO)
    }

    /// Whether checks go to Redis: one is configured and answered last time it
    /// was tried (or has not been tried yet).
    pub fn is_shared(&self) -> bool {
        self.redis.is_some() && !self.down.load(Ordering::Acquire)
    }

    /// How many checks the in-process limiter answered because Redis did not.
    pub fn fallbacks(&self) -> u64 {
        self.fallbacks.load(Ordering::Relaxed)
    }

    /// Tries Redis now (a `PING`, cool-down or not), records the outcome as a
    /// check would (logging a change), and says whether the limiter is shared.
    /// For start-up and readiness.
    pub async fn probe(&self) -> bool {
        let Some(redis) = &self.redis else { return false };
        match redis.ping().await {
            Ok(()) => self.answered(redis),
            Err(e) => self.failed(redis, &e),
        }
        self.is_shared()
    }

    fn now_us(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_micros()).unwrap_or(u64::MAX)
    }

    /// Whether this check may try Redis: always outside an outage; in one, the
    /// first check after the cool-down (it claims the next cool-down, so the
    /// others keep falling back meanwhile).
    fn may_try(&self) -> bool {
        if !self.down.load(Ordering::Acquire) {
            return true;
        }
        let now = self.now_us();
        let at = self.retry_at.load(Ordering::Acquire);
        now >= at
            && self
                .retry_at
                .compare_exchange(at, now.saturating_add(self.cool_down_us()), Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
    }

    fn cool_down_us(&self) -> u64 {
        u64::try_from(self.cool_down.as_micros()).unwrap_or(u64::MAX)
    }

    fn answered(&self, redis: &RedisRateLimiter) {
        if self.down.swap(false, Ordering::AcqRel) {
            tracing::info!(server = redis.server(), "Redis answers again: rate limits are shared again");
        }
    }

    fn failed(&self, redis: &RedisRateLimiter, error: &InfraError) {
        self.retry_at.store(self.now_us().saturating_add(self.cool_down_us()), Ordering::Release);
        if self.down.swap(true, Ordering::AcqRel) {
            tracing::debug!(server = redis.server(), error = %error, "Redis still does not answer");
        } else {
            tracing::warn!(
                server = redis.server(),
                error = %error,
                cool_down = ?self.cool_down,
                "Redis does not answer: rate limits fall back to this instance's in-process limiter"
            );
        }
    }
}

#[async_trait]
impl RateLimiter for SharedRateLimiter {
    /// Never fails: Redis's answer, or the in-process limiter's.
    async fn check(&self, key: &str, rate: Rate) -> Result<RateDecision, InfraError> {
        let Some(redis) = &self.redis else { return Ok(self.local.check_now(key, rate)) };
        if self.may_try() {
            match redis.check(key, rate).await {
                Ok(decision) => {
                    self.answered(redis);
                    return Ok(decision);
                }
                Err(e) => self.failed(redis, &e),
            }
        }
        self.fallbacks.fetch_add(1, Ordering::Relaxed);
        metrics::counter!(FALLBACK_COUNTER).increment(1);
        Ok(self.local.check_now(key, rate))
    }
}

//! tenantry's rate limits on Redis (issue 19): the `RateLimiter` port shared by
//! every instance.
//!
//! - [`RedisRateLimiter`]: the GCRA of `tenantry_ports::ratelimit` as one
//!   atomic Lua script on the server's clock, one round trip (`EVALSHA`) per
//!   check; keys expire when their bucket is full again.
//! - [`SharedRateLimiter`]: what the service uses. Redis when it answers; when
//!   it does not (an error, or no answer within a short timeout), this
//!   instance's `InProcessRateLimiter` answers — limits keep holding, per
//!   instance — and Redis is left alone for a cool-down before it is tried again.

mod limiter;
mod shared;

pub use limiter::{DEFAULT_KEY_PREFIX, RedisLimiterOptions, RedisRateLimiter, RedisSetupError};
pub use shared::{FALLBACK_COUNTER, SharedRateLimiter};

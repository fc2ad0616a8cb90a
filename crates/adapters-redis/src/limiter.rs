//! [`RedisRateLimiter`]: the GCRA of `tenantry_ports::ratelimit` in one Lua
//! script, run atomically by Redis, one round trip per check.

use async_trait::async_trait;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{RedisError, Script};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{LazyLock, Mutex, PoisonError};
use std::time::Duration;
use tenantry_ports::{InfraError, Rate, RateDecision, RateLimiter};

/// The GCRA script (see `gcra.lua`). `Script` sends `EVALSHA`; only when the
/// server does not know the script yet (`NOSCRIPT`) does it load it and retry.
static GCRA: LazyLock<Script> = LazyLock::new(|| Script::new(include_str!("gcra.lua")));

/// The default prefix of every key the limiter writes.
pub const DEFAULT_KEY_PREFIX: &str = "tenantry:rl:";

/// How the Redis limiter talks to Redis, and how the shared limiter falls back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RedisLimiterOptions {
    /// Prefixed to every key (default [`DEFAULT_KEY_PREFIX`]).
    pub key_prefix: String,
    /// The longest a check waits for Redis, connecting included (default 250 ms);
    /// past it the check fails (and the shared limiter falls back).
    pub timeout: Duration,
    /// After a failure, how long the shared limiter answers from the in-process
    /// limiter without trying Redis (default 1 s).
    pub cool_down: Duration,
}

impl Default for RedisLimiterOptions {
    fn default() -> Self {
        Self {
            key_prefix: DEFAULT_KEY_PREFIX.to_owned(),
            timeout: Duration::from_millis(250),
            cool_down: Duration::from_secs(1),
        }
    }
}

/// Why a Redis limiter could not be made (nothing is connected yet, so a
/// server that does not answer is not one of them).
#[derive(Debug, thiserror::Error)]
pub enum RedisSetupError {
    /// The URL does not parse as a Redis URL (the message never repeats the URL).
    #[error("invalid Redis URL: {0}")]
    InvalidUrl(String),
    /// Made outside a Tokio runtime (the connection needs one).
    #[error("the Redis rate limiter must be made inside a Tokio runtime")]
    NoRuntime,
    /// The client could not be set up.
    #[error("the Redis client could not be set up: {0}")]
    Client(String),
}

/// The rate limiter shared by every instance on one Redis: each check is one
/// `EVALSHA` of an atomic GCRA script reading the server's clock.
///
/// One multiplexed connection, reconnected when it drops. A check that gets no
/// answer within the timeout fails with [`InfraError::Unavailable`]; use
/// [`SharedRateLimiter`](crate::SharedRateLimiter) to fall back instead.
pub struct RedisRateLimiter {
    /// Holds the password: never printed.
    client: redis::Client,
    config: ConnectionManagerConfig,
    conn: Mutex<ConnectionManager>,
    /// The last failure was not an I/O error: the connection manager may not
    /// recover from it by itself (it keeps a connection attempt that failed
    /// otherwise, e.g. on a refused AUTH, forever), so the next check starts a
    /// new one.
    stale: AtomicBool,
    key_prefix: String,
    timeout: Duration,
    server: String,
}

impl std::fmt::Debug for RedisRateLimiter {
    // host:port only: never the URL (it may hold a password).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisRateLimiter")
            .field("server", &self.server)
            .field("key_prefix", &self.key_prefix)
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl RedisRateLimiter {
    /// A limiter on the Redis at `url` (`redis://[user:password@]host[:port][/db]`).
    /// Connects lazily: a server that does not answer yet is not an error, the
    /// first check connects (and fails if it still does not answer). Must be
    /// called inside a Tokio runtime.
    pub fn connect(url: &str, options: &RedisLimiterOptions) -> Result<Self, RedisSetupError> {
        if tokio::runtime::Handle::try_current().is_err() {
            return Err(RedisSetupError::NoRuntime);
        }
        let client = redis::Client::open(url).map_err(|e| RedisSetupError::InvalidUrl(e.to_string()))?;
        let server = client.get_connection_info().addr().to_string();
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(options.timeout))
            .set_response_timeout(Some(options.timeout))
            // One attempt per reconnection: the shared limiter's cool-down paces the retries.
            .set_number_of_retries(0);
        let conn = ConnectionManager::new_lazy_with_config(client.clone(), config.clone())
            .map_err(|e| RedisSetupError::Client(e.to_string()))?;
        Ok(Self {
            client,
            config,
            conn: Mutex::new(conn),
            stale: AtomicBool::new(false),
            key_prefix: options.key_prefix.clone(),
            timeout: options.timeout,
            server,
        })
    }

    /// The connection (a cheap handle), a new one if the last failure asked for it.
    fn connection(&self) -> ConnectionManager {
        let mut conn = self.conn.lock().unwrap_or_else(PoisonError::into_inner);
        if self.stale.swap(false, Ordering::AcqRel) {
            match ConnectionManager::new_lazy_with_config(self.client.clone(), self.config.clone()) {
                Ok(fresh) => *conn = fresh,
                Err(e) => tracing::debug!(server = self.server, error = %e, "no new Redis connection"),
            }
        }
        conn.clone()
    }

    /// The server, as `host:port` (no credentials): for logs.
    pub fn server(&self) -> &str {
        &self.server
    }

    /// The prefix of every key this limiter writes.
    pub fn key_prefix(&self) -> &str {
        &self.key_prefix
    }

    /// Whether Redis answers a `PING` within the timeout.
    pub async fn ping(&self) -> Result<(), InfraError> {
        let mut conn = self.connection();
        let ping = async {
            let cmd = redis::cmd("PING");
            match cmd.query_async::<()>(&mut conn).await {
                Err(e) if reconnected(&e) => cmd.query_async::<()>(&mut conn).await,
                other => other,
            }
        };
        match tokio::time::timeout(self.timeout, ping).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(self.failed(e)),
            Err(_) => Err(self.timed_out()),
        }
    }

    async fn eval(&self, key: &str, interval_us: u64, burst: u32) -> Result<(i64, i64, i64, i64), RedisError> {
        let mut conn = self.connection();
        let mut invocation = GCRA.prepare_invoke();
        invocation.key(format!("{}{key}", self.key_prefix)).arg(interval_us).arg(burst);
        match invocation.invoke_async(&mut conn).await {
            // The connection had dropped (or its last reconnection had failed);
            // the manager has just started a new one: try once more on it,
            // within the same timeout. Not retried otherwise.
            Err(e) if reconnected(&e) => invocation.invoke_async(&mut conn).await,
            other => other,
        }
    }

    fn failed(&self, e: RedisError) -> InfraError {
        // The manager starts a new connection after I/O errors only.
        if !e.is_io_error() {
            self.stale.store(true, Ordering::Release);
        }
        // Redis's errors never hold the URL; host:port does not hold the password.
        InfraError::Unavailable(anyhow::anyhow!("Redis at {}: {e}", self.server))
    }

    fn timed_out(&self) -> InfraError {
        InfraError::Unavailable(anyhow::anyhow!("Redis at {} did not answer within {:?}", self.server, self.timeout))
    }
}

/// Errors after which the connection manager reconnects.
fn reconnected(e: &RedisError) -> bool {
    e.is_io_error() || e.is_unrecoverable_error()
}

#[async_trait]
impl RateLimiter for RedisRateLimiter {
    async fn check(&self, key: &str, rate: Rate) -> Result<RateDecision, InfraError> {
        let rate = Rate::with_burst(rate.per_minute, rate.burst);
        // At least 1 µs: the script divides by it.
        let interval_us = u64::try_from(rate.interval().as_micros()).unwrap_or(u64::MAX).max(1);
        let (allowed, remaining, reset_us, retry_us) =
            match tokio::time::timeout(self.timeout, self.eval(key, interval_us, rate.burst)).await {
                Ok(Ok(answer)) => answer,
                Ok(Err(e)) => return Err(self.failed(e)),
                Err(_) => return Err(self.timed_out()),
            };
        let micros = |us: i64| Duration::from_micros(u64::try_from(us).unwrap_or(0));
        Ok(RateDecision {
            allowed: allowed == 1,
            limit: rate.burst,
            remaining: u32::try_from(remaining.max(0)).unwrap_or(u32::MAX).min(rate.burst),
            reset_after: micros(reset_us),
            retry_after: (allowed != 1).then(|| micros(retry_us)),
        })
    }
}

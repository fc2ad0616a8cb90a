//! The shared limiter when Redis does not answer: the in-process limiter
//! answers (refusals included), the outage is logged once and counted, a dead
//! or hanging Redis costs one timeout per cool-down, and the limiter is shared
//! again once Redis answers. Through a proxy in front of the real Redis
//! (`REDIS_URL`, or 127.0.0.1:6379); without it: `NOT RUN` (a failure under `CI=true`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Mode, Proxy, random_prefix, redis_or_skip, upstream_of, url_via};
use metrics::{Counter, Gauge, Histogram, Key, KeyName, Metadata, Recorder, SharedString, Unit};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, Mutex, Once};
use std::time::{Duration, Instant};
use tenantry_ports::{Rate, RateDecision, RateLimiter};
use tenantry_redis::{FALLBACK_COUNTER, RedisLimiterOptions, RedisRateLimiter, RedisSetupError, SharedRateLimiter};

const TIMEOUT: Duration = Duration::from_millis(250);
const COOL_DOWN: Duration = Duration::from_secs(1);
/// What a check may take beyond the timeout on a busy 2-core machine.
const SLACK: Duration = Duration::from_millis(250);

fn options() -> RedisLimiterOptions {
    RedisLimiterOptions { key_prefix: random_prefix(), timeout: TIMEOUT, cool_down: COOL_DOWN }
}

/// `tenantry_ratelimit_fallback_total`, from a recorder installed once for this binary.
fn fallback_metric() -> u64 {
    static VALUE: LazyLock<Arc<AtomicU64>> = LazyLock::new(Arc::default);
    static INSTALL: Once = Once::new();
    struct Only;
    impl Recorder for Only {
        fn describe_counter(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
        fn describe_gauge(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
        fn describe_histogram(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
        fn register_counter(&self, key: &Key, _: &Metadata<'_>) -> Counter {
            if key.name() == FALLBACK_COUNTER { Counter::from_arc(VALUE.clone()) } else { Counter::noop() }
        }
        fn register_gauge(&self, _: &Key, _: &Metadata<'_>) -> Gauge {
            Gauge::noop()
        }
        fn register_histogram(&self, _: &Key, _: &Metadata<'_>) -> Histogram {
            Histogram::noop()
        }
    }
    INSTALL.call_once(|| metrics::set_global_recorder(Only).expect("the only recorder"));
    VALUE.load(Ordering::SeqCst)
}

/// The log lines of this thread (the tests run on a current-thread runtime).
struct Logs {
    buf: Arc<Mutex<Vec<u8>>>,
    _guard: tracing::subscriber::DefaultGuard,
}

impl Logs {
    fn capture() -> Self {
        let buf = Arc::new(Mutex::new(Vec::new()));
        let sink = buf.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::DEBUG)
            .with_writer(move || Sink(sink.clone()))
            .finish();
        Self { buf, _guard: tracing::subscriber::set_default(subscriber) }
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.buf.lock().unwrap()).into_owned()
    }

    fn count(&self, level: &str, words: &str) -> usize {
        self.text().lines().filter(|l| l.contains(level) && l.contains(words)).count()
    }
}

struct Sink(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Sink {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A check, and how long it took.
async fn timed(l: &SharedRateLimiter, key: &str, rate: Rate) -> (RateDecision, Duration) {
    let started = Instant::now();
    let decision = l.check(key, rate).await.expect("the shared limiter always answers");
    (decision, started.elapsed())
}

#[tokio::test]
async fn an_outage_falls_back_in_process_then_redis_is_shared_again() {
    let test = "an_outage_falls_back_in_process_then_redis_is_shared_again";
    let Some(url) = redis_or_skip(test).await else { return };
    let logs = Logs::capture();
    let upstream = upstream_of(&url).expect("a TCP Redis");
    let mut proxy = Proxy::start(upstream, Mode::Forward).await;
    let limiter = SharedRateLimiter::connect(&url_via(&url, proxy.addr), &options()).unwrap();
    let rate = Rate::per_minute(2);

    let (first, _) = timed(&limiter, "tenant:a", rate).await;
    assert!(first.allowed && limiter.is_shared() && limiter.fallbacks() == 0, "{first:?}");
    assert!(proxy.frames() >= 1, "the check went to Redis");

    // Redis goes away: the listener and every connection close.
    proxy.stop().await;
    let metric_before = fallback_metric();
    let mut answers = Vec::new();
    for _ in 0..3 {
        let (d, took) = timed(&limiter, "tenant:b", rate).await;
        assert!(took <= TIMEOUT + SLACK, "a check took {took:?}");
        answers.push(d.allowed);
    }
    // The in-process limiter still refuses the 3rd (never "allow everything").
    assert_eq!(answers, [true, true, false]);
    assert!(!limiter.is_shared());
    assert_eq!(limiter.fallbacks(), 3);
    assert!(fallback_metric() >= metric_before + 3, "the counter went up");
    assert_eq!(logs.count("WARN", "Redis does not answer"), 1, "{}", logs.text());

    // Let the connection manager's background reconnection run (and fail)
    // while Redis is away, as it would on a multi-threaded runtime.
    tokio::time::sleep(Duration::from_millis(100)).await;

    // Redis is back on the same port, but the cool-down is not over: not tried yet.
    let proxy = Proxy::start_on(proxy.addr, upstream, Mode::Forward).await;
    let (_, took) = timed(&limiter, "tenant:c", rate).await;
    assert!(took < TIMEOUT, "a check in the cool-down took {took:?}");
    assert_eq!((limiter.fallbacks(), proxy.frames()), (4, 0));

    // After it: one check tries Redis again, reconnects, and the limiter is shared.
    tokio::time::sleep(COOL_DOWN + Duration::from_millis(100)).await;
    let (back, took) = timed(&limiter, "tenant:b", rate).await;
    assert!(took <= TIMEOUT + SLACK, "the first check after the cool-down took {took:?}");
    assert!(limiter.is_shared(), "shared again");
    assert_eq!(limiter.fallbacks(), 4);
    assert!(proxy.frames() >= 1, "the check went to Redis");
    // Redis's own bucket for tenant:b (untouched during the outage).
    assert!(back.allowed && back.remaining == 1, "{back:?}");
    assert_eq!(logs.count("WARN", "Redis does not answer"), 1, "warned once: {}", logs.text());
    assert_eq!(logs.count("INFO", "Redis answers again"), 1, "{}", logs.text());
}

#[tokio::test]
async fn a_hanging_redis_costs_one_timeout_per_cool_down() {
    let test = "a_hanging_redis_costs_one_timeout_per_cool_down";
    let Some(url) = redis_or_skip(test).await else { return };
    // Accepts connections, never answers.
    let proxy = Proxy::start(upstream_of(&url).expect("a TCP Redis"), Mode::Stall).await;
    let limiter = SharedRateLimiter::connect(&url_via(&url, proxy.addr), &options()).unwrap();
    let rate = Rate::per_minute(2);
    let started = Instant::now();
    let (mut slow, mut checks, mut refused) = (0u32, 0u32, 0u32);
    while started.elapsed() < Duration::from_millis(2_600) {
        let (d, took) = timed(&limiter, "tenant:a", rate).await;
        assert!(took <= TIMEOUT + SLACK, "a check took {took:?}");
        checks += 1;
        slow += u32::from(took >= TIMEOUT - Duration::from_millis(50));
        refused += u32::from(!d.allowed);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Tried at 0, after ~1.25 s and ~2.5 s: the other checks skip Redis.
    assert!((1..=3).contains(&slow), "{slow} of {checks} checks waited for the timeout");
    assert!(checks >= 30, "only {checks} checks");
    assert_eq!(limiter.fallbacks(), u64::from(checks));
    assert_eq!(refused, checks - 2, "2 a minute: the in-process limiter refuses the rest");
    assert!(!limiter.is_shared());
}

/// Deletes the test's ACL user, whatever happens.
struct AclUser {
    url: String,
    name: String,
}

impl Drop for AclUser {
    fn drop(&mut self) {
        if let Ok(mut c) = redis::Client::open(self.url.as_str()).and_then(|c| c.get_connection()) {
            let _: redis::RedisResult<()> = redis::cmd("ACL").arg("DELUSER").arg(&self.name).query(&mut c);
        }
    }
}

#[tokio::test]
async fn a_refused_password_is_never_shown_and_the_limiter_recovers_once_accepted() {
    let test = "a_refused_password_is_never_shown_and_the_limiter_recovers_once_accepted";
    let Some(url) = redis_or_skip(test).await else { return };
    let logs = Logs::capture();
    let upstream = upstream_of(&url).expect("a TCP Redis");
    let user = AclUser { url: url.clone(), name: format!("tenantry-test-{}", &random_prefix()[14..30]) };
    let password = "hunter2-secret";
    let mut with_password = redis::parse_redis_url(&url).unwrap();
    with_password.set_username(&user.name).unwrap();
    with_password.set_password(Some(password)).unwrap();

    // No such user yet: AUTH is refused, the check falls back, the outage is logged.
    let limiter = SharedRateLimiter::connect(with_password.as_str(), &options()).unwrap();
    assert!(!limiter.probe().await, "a refused password does not connect");
    assert!(limiter.check("k", Rate::per_minute(2)).await.unwrap().allowed);
    assert_eq!(limiter.fallbacks(), 1);
    let printed = format!("{limiter:?}");
    let logged = logs.text();
    assert!(logged.contains("Redis does not answer"), "{logged}");
    assert!(logged.contains(&format!(":{}", upstream.port())), "the server is named: {logged}");
    for text in [&printed, &logged] {
        assert!(!text.contains("hunter2"), "{text}");
    }

    // The server accepts the password now: after the cool-down the limiter
    // connects anew (a refused AUTH is not retried by the connection manager).
    let client = redis::Client::open(url.as_str()).unwrap();
    let mut admin = client.get_multiplexed_async_connection().await.unwrap();
    redis::cmd("ACL")
        .arg("SETUSER")
        .arg(&user.name)
        .arg("on")
        .arg(format!(">{password}"))
        .arg("~*")
        .arg("+@all")
        .query_async::<()>(&mut admin)
        .await
        .unwrap();
    tokio::time::sleep(COOL_DOWN + Duration::from_millis(100)).await;
    let back = limiter.check("k", Rate::per_minute(2)).await.unwrap();
    assert!(limiter.is_shared(), "shared again: {}", logs.text());
    assert!(back.allowed && back.remaining == 1, "Redis's bucket: {back:?}");
    assert_eq!(limiter.fallbacks(), 1);
    assert!(!logs.text().contains("hunter2"));
}

#[tokio::test]
async fn a_malformed_url_is_an_error_a_server_that_does_not_answer_is_not() {
    assert!(matches!(
        SharedRateLimiter::connect("http://:hunter2@example.com/", &options()),
        Err(RedisSetupError::InvalidUrl(m)) if !m.contains("hunter2")
    ));
    assert!(matches!(SharedRateLimiter::connect("not a url", &options()), Err(RedisSetupError::InvalidUrl(_))));
    // Nothing listens on port 1: the limiter starts on the fallback.
    let limiter = SharedRateLimiter::connect("redis://:hunter2@127.0.0.1:1/", &options()).unwrap();
    assert!(!format!("{limiter:?}").contains("hunter2"));
    assert!(limiter.is_shared(), "not tried yet");
    let answers: Vec<bool> = {
        let mut v = Vec::new();
        for _ in 0..3 {
            v.push(limiter.check("k", Rate::per_minute(2)).await.unwrap().allowed);
        }
        v
    };
    assert_eq!(answers, [true, true, false]);
    assert!(!limiter.is_shared());
    assert_eq!(limiter.fallbacks(), 3);
}

#[test]
fn the_limiter_needs_a_tokio_runtime() {
    assert!(matches!(
        RedisRateLimiter::connect("redis://127.0.0.1:6379/", &RedisLimiterOptions::default()),
        Err(RedisSetupError::NoRuntime)
    ));
    // Without Redis nothing is shared, nothing falls back.
    let local = SharedRateLimiter::in_process();
    assert!(!local.is_shared());
    assert_eq!(local.fallbacks(), 0);
}

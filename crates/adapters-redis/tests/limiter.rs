//! The Redis limiter against the real Redis (`REDIS_URL`, or 127.0.0.1:6379):
//! same answers as the in-process limiter, one budget across instances, one
//! round trip per check. Without Redis: `NOT RUN` (a failure under `CI=true`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Mode, Proxy, random_prefix, redis_or_skip, upstream_of, url_via};
use std::time::{Duration, Instant};
use tenantry_ports::{InProcessRateLimiter, Rate, RateLimiter};
use tenantry_redis::{RedisLimiterOptions, RedisRateLimiter};

fn options(prefix: &str) -> RedisLimiterOptions {
    // Generous: these tests are about the answers, not the fallback.
    RedisLimiterOptions { key_prefix: prefix.to_owned(), timeout: Duration::from_secs(2), ..Default::default() }
}

fn within(a: Option<Duration>, b: Option<Duration>, what: &str) {
    match (a, b) {
        (None, None) => {}
        (Some(a), Some(b)) => assert!(a.abs_diff(b) <= Duration::from_secs(1), "{what}: {a:?} vs {b:?}"),
        _ => panic!("{what}: {a:?} vs {b:?}"),
    }
}

#[tokio::test]
async fn redis_answers_as_the_in_process_limiter_does() {
    let Some(url) = redis_or_skip("redis_answers_as_the_in_process_limiter_does").await else { return };
    let prefix = random_prefix();
    let redis = RedisRateLimiter::connect(&url, &options(&prefix)).unwrap();
    let local = InProcessRateLimiter::default();

    // The port's example: 3 a minute, the first leaves 2 and is full again in
    // 20 s; the 4th at once is refused for about 20 s.
    let first = redis.check("tenant:a", Rate::per_minute(3)).await.unwrap();
    assert_eq!((first.allowed, first.limit, first.remaining, first.reset_secs()), (true, 3, 2, 20), "{first:?}");
    let _ = local.check_now("tenant:a", Rate::per_minute(3));

    for (key, rate, checks) in [
        ("tenant:a", Rate::per_minute(3), 3),
        ("tenant:b", Rate::per_minute(1), 3),
        ("tenant:c", Rate::with_burst(10, 2), 4),
        ("tenant:d", Rate::with_burst(20, 5), 7),
    ] {
        for i in 0..checks {
            let r = redis.check(key, rate).await.unwrap();
            let l = local.check_now(key, rate);
            let what = format!("{key} {rate:?} check {i}: redis {r:?}, in process {l:?}");
            assert_eq!((r.allowed, r.limit, r.remaining), (l.allowed, l.limit, l.remaining), "{what}");
            within(Some(r.reset_after), Some(l.reset_after), &what);
            within(r.retry_after, l.retry_after, &what);
        }
    }

    // 3/min after 4 checks: refused, one back in about 20 s.
    let refused = redis.check("tenant:a", Rate::per_minute(3)).await.unwrap();
    assert!(!refused.allowed);
    assert!((19..=20).contains(&refused.retry_after_secs().unwrap()), "{refused:?}");

    // The key is kept until its bucket is full again, no longer (SET ... PX).
    let client = redis::Client::open(url.as_str()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let ttl: i64 = redis::cmd("PTTL").arg(format!("{prefix}tenant:b")).query_async(&mut conn).await.unwrap();
    // 1/min, one allowed: full again in 60 s.
    assert!((58_000..=60_000).contains(&ttl), "PTTL {ttl}");
    let stored: String = redis::cmd("GET").arg(format!("{prefix}tenant:b")).query_async(&mut conn).await.unwrap();
    assert!(stored.bytes().all(|b| b.is_ascii_digit()) && stored.len() >= 16, "TAT stored as {stored:?}");
}

#[tokio::test]
async fn two_instances_share_one_budget() {
    let Some(url) = redis_or_skip("two_instances_share_one_budget").await else { return };
    let prefix = random_prefix();
    // Two limiters, two connections: two instances of the service.
    let a = RedisRateLimiter::connect(&url, &options(&prefix)).unwrap();
    let b = RedisRateLimiter::connect(&url, &options(&prefix)).unwrap();
    let rate = Rate::per_minute(60);
    let started = Instant::now();
    let mut allowed = 0u32;
    for i in 0..100 {
        let limiter = if i % 2 == 0 { &a } else { &b };
        if limiter.check("tenant:shared", rate).await.unwrap().allowed {
            allowed += 1;
        }
    }
    // One request comes back every second while the test runs.
    let refill = u32::try_from(started.elapsed().as_micros() / rate.interval().as_micros()).unwrap();
    assert!((60..=60 + refill).contains(&allowed), "{allowed} allowed (refill during the test: {refill})");
}

#[tokio::test]
async fn each_check_is_one_round_trip() {
    let Some(url) = redis_or_skip("each_check_is_one_round_trip").await else { return };
    let proxy = Proxy::start(upstream_of(&url).expect("a TCP Redis"), Mode::Forward).await;
    let redis = RedisRateLimiter::connect(&url_via(&url, proxy.addr), &options(&random_prefix())).unwrap();
    // Connects, and loads the script if the server does not know it yet.
    redis.check("warm", Rate::per_minute(5)).await.unwrap();
    assert!(proxy.frames() >= 1, "the limiter goes through the proxy");
    proxy.reset();

    let n = 25;
    for i in 0..n {
        let rate = if i % 2 == 0 { Rate::per_minute(5) } else { Rate::with_burst(600, 3) };
        redis.check(&format!("tenant:{}", i % 3), rate).await.unwrap();
    }
    assert_eq!(proxy.frames(), n, "{:?}", proxy.commands());
    assert!(proxy.commands().iter().all(|c| c == "EVALSHA"), "{:?}", proxy.commands());
}

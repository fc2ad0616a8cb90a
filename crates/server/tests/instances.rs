#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed step is a failed test
//! Several instances (issue 19, item 6): two processes of the `tenantry`
//! binary on one PostgreSQL database and one Redis, billing through the Stripe
//! fake over HTTP (the adapter tests' stateful fake, on a port of this test):
//!
//! - a Stripe event delivered to one instance and again to the other is
//!   applied once, and both show the same subscription;
//! - a tenant limited to 60 requests a minute gets 60 successes across both
//!   (± the refill during the test's own requests), not 60 on each;
//! - a logout on one ends the session on the other;
//! - a job (an export) queued on one, with both schedulers polling every
//!   second, runs once;
//! - 100 invitations at once, spread over both, on a tenant with 4 free
//!   seats: exactly 4 are issued, 96 refused with `seat_limit_reached`, and
//!   both then show 5 seats used (the cap) (the seat rule's advisory lock holds
//!   across processes — issue 26, on Citus too);
//! - 1,000 API calls spread over both are metered as exactly 1,000: one
//!   instance writes them every second, the other only when it is stopped
//!   (the graceful shutdown's flush);
//! - the journey of the HTTP issue against the binary: a trial with a card
//!   on file → standard monthly with 3 seats → a fourth seat refused →
//!   2 seats more at the previewed price → cancelled → the period ends at
//!   Stripe → freemium (issue 26: `.ci/run` runs this test on Citus and
//!   through PgBouncer as well as on PostgreSQL).
//!
//! Needs PostgreSQL (DATABASE_ADMIN_URL) and Redis (REDIS_URL, or the local
//! 127.0.0.1:6379): without either it prints NOT RUN, and fails under CI=true.

#[path = "../../adapters-stripe/tests/it/support/fake_stripe.rs"]
mod fake_stripe;

use reqwest::StatusCode;
use serde_json::{Value, json};
use std::io::{Read as _, Write as _};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tenantry_postgres::testing::TestDatabase;

const WEBHOOK_SECRET: &str = "whsec_instances";

/// The Stripe fake's clock: the real time, moved forward by the test (the
/// end of a billing period), while the binaries keep the real time.
#[derive(Default)]
struct StripeClock(std::sync::atomic::AtomicI64);

impl StripeClock {
    fn skip_days(&self, days: i64) {
        self.0.fetch_add(days * 86_400, std::sync::atomic::Ordering::SeqCst);
    }
}

impl tenantry_ports::Clock for StripeClock {
    fn now(&self) -> chrono::DateTime<chrono::Utc> {
        chrono::Utc::now() + chrono::Duration::seconds(self.0.load(std::sync::atomic::Ordering::SeqCst))
    }
}

/// Delivers a Stripe event to an instance, signed now (the binary checks the
/// signature's time against its own clock); answers the receipt's outcome.
async fn deliver(http: &reqwest::Client, base: &str, body: &str) -> String {
    let signature =
        stripe_webhook::Webhook::generate_test_header(body, WEBHOOK_SECRET, Some(chrono::Utc::now().timestamp()));
    let response = http
        .post(format!("{base}/v1/webhooks/stripe"))
        .header("content-type", "application/json")
        .header("stripe-signature", &signature)
        .body(body.to_owned())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let receipt: Value = response.json().await.unwrap();
    receipt["outcome"].as_str().unwrap().to_owned()
}
const PASSWORD: &str = "correct horse battery staple";

/// `REDIS_URL` or the local server when it answers PING; else NOT RUN (a failure under CI=true).
fn redis_or_skip(test: &str) -> Option<String> {
    let url = std::env::var("REDIS_URL").ok().filter(|u| !u.is_empty()).unwrap_or("redis://127.0.0.1:6379/".into());
    let hostport = url.trim_start_matches("redis://").split(['/', '?']).next().unwrap_or("").rsplit('@').next();
    let answer = hostport.and_then(|hp| {
        let mut s = std::net::TcpStream::connect(hp).ok()?;
        s.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
        s.write_all(b"PING\r\n").ok()?;
        let mut buf = [0u8; 64];
        let n = s.read(&mut buf).ok()?;
        Some(String::from_utf8_lossy(&buf[..n]).into_owned())
    });
    // A password-protected server answers NOAUTH: it is there, the URL carries the password.
    if answer.as_deref().is_some_and(|a| a.starts_with("+PONG") || a.starts_with("-NOAUTH")) {
        return Some(url);
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "{test}: Redis at {hostport:?} does not answer; it may not be skipped in CI (set REDIS_URL)"
    );
    eprintln!("NOT RUN {test}: Redis at {hostport:?} does not answer; start it or set REDIS_URL");
    None
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

struct Instance {
    name: &'static str,
    child: Child,
    base: String,
    log: std::path::PathBuf,
}

impl Instance {
    fn start(name: &'static str, env: &[(&str, String)]) -> Self {
        let port = free_port();
        let log = std::env::temp_dir().join(format!("tenantry-instance-{}-{name}-{port}.log", std::process::id()));
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_tenantry"));
        cmd.env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("TENANTRY_ADDR", format!("127.0.0.1:{port}"))
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stderr(Stdio::null());
        let file = std::fs::File::create(&log).unwrap();
        cmd.stderr(file.try_clone().unwrap()).stdout(file);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = cmd.spawn().unwrap();
        Self { name, child, base: format!("http://127.0.0.1:{port}"), log }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    async fn ready(&mut self, http: &reqwest::Client) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(r) = http.get(format!("{}/readyz", self.base)).send().await
                && r.status() == StatusCode::OK
            {
                return;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("instance {} exited ({status}):\n{}", self.name, self.log());
            }
            assert!(Instant::now() < deadline, "instance {} not ready:\n{}", self.name, self.log());
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// SIGTERM, as a deployment stops a process, and the exit awaited.
    async fn stop(&mut self) {
        let pid = self.child.id().to_string();
        assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                assert!(status.success(), "instance {} stopped with {status}:\n{}", self.name, self.log());
                return;
            }
            assert!(Instant::now() < deadline, "instance {} did not stop:\n{}", self.name, self.log());
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.log);
    }
}

async fn call(
    http: &reqwest::Client,
    method: reqwest::Method,
    url: String,
    token: Option<&str>,
    body: Option<Value>,
) -> (StatusCode, reqwest::header::HeaderMap, Value) {
    let mut request = http.request(method, url);
    if let Some(t) = token {
        request = request.bearer_auth(t);
    }
    if let Some(b) = body {
        request = request.json(&b);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let value = response.json().await.unwrap_or(Value::Null);
    (status, headers, value)
}

/// 100 invitations at once over both instances for a tenant capped at 5 used
/// seats (the owner uses one): exactly 4 issued. Returns the calls made.
async fn a_seat_rush_across_both(
    http: &reqwest::Client,
    admin: &sqlx::PgPool,
    both: &[String; 2],
    (tenant, owner): (&str, &str),
) -> usize {
    sqlx::query(
        "UPDATE tenantry.tenants SET quota_override = '{\"active_users\": 5}'::jsonb WHERE tenant_id = $1::uuid",
    )
    .bind(tenant)
    .execute(admin)
    .await
    .unwrap();
    let rush = (0..100).map(|i| {
        let url = format!("{}/v1/tenants/{tenant}/invitations", both[i % 2]);
        let body = json!({"email": format!("rush{i}@seats.example.com"), "role": "member"});
        async move { call(http, reqwest::Method::POST, url, Some(owner), Some(body)).await }
    });
    let answers = futures::future::join_all(rush).await;
    let issued = answers.iter().filter(|(status, ..)| *status == StatusCode::CREATED).count();
    let refused = answers.iter().filter(|(_, _, body)| body["code"] == "seat_limit_reached").count();
    assert_eq!(
        (issued, refused),
        (4, 96),
        "{:?}",
        answers.iter().map(|a| &a.2).find(|b| b["code"] != "seat_limit_reached")
    );
    for base in both {
        let (status, _, usage) =
            call(http, reqwest::Method::GET, format!("{base}/v1/tenants/{tenant}/subscription"), Some(owner), None)
                .await;
        assert_eq!(status, StatusCode::OK, "{usage}");
        assert_eq!(
            (usage["seats_used"].as_u64(), usage["pending_invitations"].as_u64()),
            (Some(5), Some(4)),
            "{usage}"
        );
    }
    answers.len() + both.len()
}

/// The journey of the HTTP issue (crates/http's, there on a fake clock)
/// against the binary: a trial with a card on file → standard monthly, 3
/// seats → two invitations, a third refused → 5 seats at the previewed
/// price → the third invited → cancelled → the period ends at Stripe (the
/// fake's clock 40 days on, its events delivered) → freemium, where a premium
/// feature answers `upgrade_required`.
async fn a_journey_to_paid_and_back_to_freemium(
    http: &reqwest::Client,
    base: &str,
    fake: &fake_stripe::FakeStripe,
    stripe_clock: &StripeClock,
) {
    use reqwest::Method;
    let deliver_all = || async {
        for body in fake.advance() {
            deliver(http, base, &body).await;
        }
    };
    let (tid, owner) = signup(http, base, "journey").await;
    let t = |rest: &str| format!("{base}/v1/tenants/{tid}{rest}");
    deliver_all().await;
    // A card on file, as a completed setup Checkout leaves it: in the fake, and the event tenantry hears.
    let customer = fake.customer_of(&tid).expect("the signup made a Stripe customer");
    fake.attach_card(&customer, true);
    let fixture =
        concat!(env!("CARGO_MANIFEST_DIR"), "/../adapters-stripe/tests/fixtures/event_checkout_session_completed.json");
    let mut completed: Value = serde_json::from_str(&std::fs::read_to_string(fixture).unwrap()).unwrap();
    completed["id"] = json!(format!("evt_journey_card_{customer}"));
    completed["created"] = json!(chrono::Utc::now().timestamp());
    completed["data"]["object"]["customer"] = json!(customer);
    completed["data"]["object"]["setup_intent"] = Value::Null;
    assert_eq!(deliver(http, base, &completed.to_string()).await, "applied");
    let standard = json!({"plan": "standard", "interval": "month"});
    let (status, _, answer) = call(http, Method::POST, t("/subscription/plan"), Some(&owner), Some(standard)).await;
    assert_eq!((status, answer["outcome"].as_str()), (StatusCode::OK, Some("changed")), "{answer}");
    assert_eq!(answer["subscription"]["seats"], 3, "{answer}");
    deliver_all().await;

    let invite = |who: &str| {
        let body = json!({"email": format!("{who}@journey.example.com"), "role": "member"});
        call(http, Method::POST, t("/invitations"), Some(&owner), Some(body))
    };
    for who in ["ann", "bob"] {
        let (status, _, answer) = invite(who).await;
        assert_eq!(status, StatusCode::CREATED, "{answer}");
    }
    let (status, _, refused) = invite("cat").await;
    assert_eq!((status, refused["code"].as_str()), (StatusCode::CONFLICT, Some("seat_limit_reached")), "{refused}");

    let (status, _, preview) =
        call(http, Method::POST, t("/subscription/preview"), Some(&owner), Some(json!({"seats": 5}))).await;
    assert_eq!(status, StatusCode::OK, "{preview}");
    assert!(preview["total"]["cents"].as_i64().unwrap() > 0 && preview["proration_date"].is_string(), "{preview}");
    let buy = json!({"seats": 5, "proration_date": preview["proration_date"]});
    let (status, _, bought) = call(http, Method::POST, t("/subscription/seats"), Some(&owner), Some(buy)).await;
    assert_eq!(status, StatusCode::OK, "{bought}");
    assert_eq!(bought["charged"], preview["total"], "charged what was previewed");
    deliver_all().await;
    let (status, _, answer) = invite("cat").await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");

    let (status, _, answer) = call(http, Method::POST, t("/subscription/cancel"), Some(&owner), Some(json!({}))).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    deliver_all().await;
    let (_, _, sub) = call(http, Method::GET, t("/subscription"), Some(&owner), None).await;
    assert_eq!(sub["plan"], "standard", "paid until the period ends: {sub}");
    stripe_clock.skip_days(40);
    deliver_all().await;
    let login = json!({"tenant": "journey", "email": "owner@journey.example.com", "password": PASSWORD});
    let (status, _, tokens) = call(http, Method::POST, format!("{base}/v1/auth/login"), None, Some(login)).await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    let owner = tokens["access_token"].as_str().unwrap().to_owned();
    let (_, _, sub) = call(http, Method::GET, t("/subscription"), Some(&owner), None).await;
    assert_eq!(sub["plan"], "freemium", "{sub}");
    let role = json!({"name": "Approver", "permissions": ["users:read"]});
    let (status, _, gated) = call(http, Method::POST, t("/roles"), Some(&owner), Some(role)).await;
    assert_eq!((status, gated["code"].as_str()), (StatusCode::FORBIDDEN, Some("upgrade_required")), "{gated}");
}

async fn signup(http: &reqwest::Client, base: &str, slug: &str) -> (String, String) {
    let body = json!({"company_name": format!("{slug} Ltd"), "slug": slug, "email": format!("owner@{slug}.example.com"),
                      "password": PASSWORD, "name": "Owner"});
    let (status, _, answer) = call(http, reqwest::Method::POST, format!("{base}/v1/signup"), None, Some(body)).await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    (answer["tenant"]["id"].as_str().unwrap().to_owned(), answer["access_token"].as_str().unwrap().to_owned())
}

async fn api_calls(admin: &sqlx::PgPool, tenant: &str) -> i64 {
    sqlx::query_scalar("SELECT coalesce(sum(api_calls), 0)::bigint FROM tenantry.usage WHERE tenant_id = $1::uuid")
        .bind(tenant)
        .fetch_one(admin)
        .await
        .unwrap()
}

/// One rate limit across both: 60 a minute for `t1` (the superuser's
/// override, written as the operator would), counted in Redis; answers how
/// many calls were allowed.
async fn one_rate_limit_across_both(http: &reqwest::Client, admin: &sqlx::PgPool, both: &[String; 2], t1: &str) -> u32 {
    sqlx::query("UPDATE tenantry.tenants SET quota_override = '{\"requests_per_minute\": 60}'::jsonb WHERE tenant_id = $1::uuid")
        .bind(t1)
        .execute(admin)
        .await
        .unwrap();
    let owner1 = {
        let body = json!({"tenant": "limited", "email": "owner@limited.example.com", "password": PASSWORD});
        let (status, _, answer) =
            call(http, reqwest::Method::POST, format!("{}/v1/auth/login", both[0]), None, Some(body)).await;
        assert_eq!(status, StatusCode::OK, "{answer}");
        answer["access_token"].as_str().unwrap().to_owned()
    };
    let started = Instant::now();
    let (mut allowed, mut refused) = (0u32, 0u32);
    for i in 0..100 {
        let base = &both[i % 2];
        let (status, headers, body) =
            call(http, reqwest::Method::GET, format!("{base}/v1/tenants/{t1}/users"), Some(&owner1), None).await;
        assert_eq!(headers["x-ratelimit-limit"], "60", "{body}");
        match status {
            StatusCode::OK => allowed += 1,
            StatusCode::TOO_MANY_REQUESTS => {
                assert_eq!(body["code"], "rate_limited", "{body}");
                assert!(headers.contains_key("retry-after"));
                refused += 1;
            }
            other => panic!("{other}: {body}"),
        }
    }
    // One request comes back every second: what the test's own duration refilled may pass too.
    let refill = started.elapsed().as_secs() as u32 + 1;
    assert!((60..=60 + refill).contains(&allowed), "{allowed} allowed, {refused} refused in {:?}", started.elapsed());
    assert_eq!(allowed + refused, 100);
    allowed
}

/// A job queued on A runs once, though both schedulers look for due work
/// every second; answers the API calls made for `t2` so far.
async fn a_job_runs_once(
    http: &reqwest::Client,
    admin: &sqlx::PgPool,
    (a, b): (&Instance, &Instance),
    (t2, owner2): (&str, &str),
    mut calls2: usize,
) -> usize {
    let (status, _, export) =
        call(http, reqwest::Method::POST, format!("{}/v1/tenants/{t2}/exports", a.base), Some(owner2), None).await;
    assert!(status.is_success(), "{export}");
    calls2 += 1;
    let eid = export["id"].as_str().unwrap().to_owned();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let base = if calls2.is_multiple_of(2) { &a.base } else { &b.base };
        let (status, _, view) =
            call(http, reqwest::Method::GET, format!("{base}/v1/tenants/{t2}/exports/{eid}"), Some(owner2), None).await;
        assert_eq!(status, StatusCode::OK, "{view}");
        calls2 += 1;
        if view["status"] == "ready" {
            break;
        }
        assert_ne!(view["status"], "failed", "{view}");
        assert!(Instant::now() < deadline, "the export never ran: {view}\n{}\n{}", a.log(), b.log());
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let jobs: Vec<(i32, String)> = sqlx::query_as(
        "SELECT attempts, state FROM tenantry.jobs WHERE tenant_id = $1::uuid AND kind->>'kind' = 'export'",
    )
    .bind(t2)
    .fetch_all(admin)
    .await
    .unwrap();
    assert_eq!(jobs, vec![(1, "done".to_owned())], "one attempt by one instance");
    let ready: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM tenantry.audit_events WHERE tenant_id = $1::uuid AND action = 'data.export_ready'",
    )
    .bind(t2)
    .fetch_one(admin)
    .await
    .unwrap();
    assert_eq!(ready, 1);
    calls2
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_share_limits_sessions_jobs_billing_and_metering() {
    let test = "two_instances_share_limits_sessions_jobs_billing_and_metering";
    let Some(admin_url) = tenantry_postgres::testing::admin_url(test) else { return };
    let Some(redis) = redis_or_skip(test) else { return };
    let db = TestDatabase::create(&admin_url).await.unwrap();
    let admin = sqlx::PgPool::connect_with(db.admin_options()).await.unwrap();
    let stripe_clock = Arc::new(StripeClock::default());
    let (stripe, fake) = fake_stripe::FakeStripe::start(stripe_clock.clone()).await;
    let prefix = format!("tenantry:test:{}:{}:", std::process::id(), free_port());
    let common = |flush: &str| {
        vec![
            ("DATABASE_URL", db.service_url()),
            ("DATABASE_POOLER", if db.pooled() { "transaction" } else { "none" }.to_owned()),
            ("TENANTRY_JWT_SECRET", "ab".repeat(32)),
            ("TENANTRY_DATA_KEY", "5e".repeat(32)),
            ("TENANTRY_BACKUP_KEY", "42".repeat(32)),
            ("STRIPE_SECRET_KEY", "sk_test_instances".to_owned()),
            ("STRIPE_WEBHOOK_SECRET", WEBHOOK_SECRET.to_owned()),
            ("STRIPE_API_BASE", stripe.uri()),
            ("REDIS_URL", redis.clone()),
            ("TENANTRY_REDIS_KEY_PREFIX", prefix.clone()),
            ("TENANTRY_SCHEDULER_SECS", "1".to_owned()),
            ("TENANTRY_MAIL", "console".to_owned()),
            ("TENANTRY_METER_FLUSH_SECS", flush.to_owned()),
            // Cardless trials, set explicitly: this test is about instances
            // sharing limits, meters and webhooks; the payment method at signup
            // (the default) is tested by crates/http (Stripe fake) and the browser tests.
            ("TENANTRY_PAYMENT_METHOD_AT_SIGNUP", "optional".to_owned()),
            // Stripe's hosted pages return to an absolute address (the journey changes plans).
            ("TENANTRY_PUBLIC_URL", "https://tenantry.example.com".to_owned()),
        ]
    };
    // A writes its metered calls only when it stops; B every second.
    let mut a = Instance::start("a", &common("60"));
    let a_started = Instant::now();
    let mut b = Instance::start("b", &common("1"));
    let http = reqwest::Client::new();
    a.ready(&http).await;
    b.ready(&http).await;
    let both = [a.base.clone(), b.base.clone()];

    let (t1, _) = signup(&http, &a.base, "limited").await;
    let (t2, owner2) = signup(&http, &b.base, "shared").await;
    let (t3, owner3) = signup(&http, &a.base, "metered").await;
    let (t4, owner4) = signup(&http, &b.base, "seats").await;

    // Billing: each signup made a Stripe customer and a trialing subscription in the fake;
    // its events, delivered to B and again to A, are applied once.
    let events = fake.advance();
    assert!(events.len() >= 3, "the fake emitted the subscriptions' events: {events:?}");
    for body in &events {
        let mut outcomes = Vec::new();
        for base in [&b.base, &a.base] {
            outcomes.push(deliver(&http, base, body).await);
        }
        assert_ne!(outcomes[0], "duplicate", "{outcomes:?}");
        assert_eq!(outcomes[1], "duplicate", "the second instance sees the first's receipt: {outcomes:?}");
    }
    let mut calls2 = 0;
    let mut views = Vec::new();
    for base in &both {
        let (status, _, sub) =
            call(&http, reqwest::Method::GET, format!("{base}/v1/tenants/{t2}/subscription"), Some(&owner2), None)
                .await;
        assert_eq!(status, StatusCode::OK, "{sub}");
        calls2 += 1;
        views.push(sub);
    }
    assert_eq!(views[0], views[1], "both instances show one subscription");
    assert_eq!(views[0]["status"], "trialing", "{}", views[0]);

    let allowed = one_rate_limit_across_both(&http, &admin, &both, &t1).await;

    // A logout on A ends the session on B.
    let login = json!({"tenant": "shared", "email": "owner@shared.example.com", "password": PASSWORD});
    let (_, _, tokens) =
        call(&http, reqwest::Method::POST, format!("{}/v1/auth/login", a.base), None, Some(login)).await;
    let session = tokens["access_token"].as_str().unwrap().to_owned();
    let users = format!("{}/v1/tenants/{t2}/users", b.base);
    assert_eq!(call(&http, reqwest::Method::GET, users.clone(), Some(&session), None).await.0, StatusCode::OK);
    calls2 += 1;
    let (status, _, _) =
        call(&http, reqwest::Method::POST, format!("{}/v1/auth/logout", a.base), Some(&session), None).await;
    assert!(status.is_success(), "{status}");
    let (status, _, body) = call(&http, reqwest::Method::GET, users, Some(&session), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");

    calls2 = a_job_runs_once(&http, &admin, (&a, &b), (&t2, &owner2), calls2).await;
    let calls4 = a_seat_rush_across_both(&http, &admin, &both, (&t4, &owner4)).await;

    // 1,000 API calls of t3 spread over both, eight at a time.
    let calls = (0..1000).map(|i| {
        let url = format!("{}/v1/tenants/{t3}/users", both[i % 2]);
        let (http, owner3) = (http.clone(), owner3.clone());
        async move { http.get(url).bearer_auth(owner3).send().await.unwrap().status() }
    });
    let statuses: Vec<StatusCode> =
        futures::StreamExt::collect(futures::StreamExt::buffer_unordered(futures::stream::iter(calls), 8)).await;
    assert!(statuses.iter().all(|s| *s == StatusCode::OK), "{:?}", statuses.iter().find(|s| **s != StatusCode::OK));
    // B's half is written within a second or two; A's only when A stops.
    let deadline = Instant::now() + Duration::from_secs(10);
    while api_calls(&admin, &t3).await < 500 {
        assert!(Instant::now() < deadline, "B's flush did not come");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // A's first flush comes a minute after its start; this test gets here well before.
    assert!(a_started.elapsed() < Duration::from_secs(55), "too slow to tell A's flush from B's");
    assert_eq!(api_calls(&admin, &t3).await, 500, "A has not flushed yet (its interval is a minute)");
    a.stop().await;
    assert!(a.log().contains("metered usage flushed"), "{}", a.log());
    tokio::time::sleep(Duration::from_millis(2500)).await; // B's last second
    assert_eq!(api_calls(&admin, &t3).await, 1000, "exactly the calls made");
    assert_eq!(api_calls(&admin, &t1).await, i64::from(allowed), "t1: the allowed calls, not the refused");
    assert_eq!(api_calls(&admin, &t2).await, i64::try_from(calls2).unwrap(), "t2: every call of the test");
    assert_eq!(api_calls(&admin, &t4).await, i64::try_from(calls4).unwrap(), "t4: every call of the rush");
    a_journey_to_paid_and_back_to_freemium(&http, &b.base, &fake, &stripe_clock).await;
    b.stop().await;
    admin.close().await;
    db.drop_now().await.unwrap();
}

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed step is a failed test
//! The anonymous endpoints' throttles (issue 18) with the limits as shipped —
//! 10 at once then 6 a minute per client address, 5 then 3 a minute per
//! account named — on the real router: the 429s with `Retry-After`, as
//! problem+json and as a page; `X-Forwarded-For` believed only from a trusted
//! proxy; the superuser raising the limits; and cross-tenant attempts throttled
//! before anything is audited, the repeated ones aggregated. On the embedded
//! default's memory store and on PostgreSQL (the limits are a stored setting).

use crate::support;
use support::{TestStore, on_both};

use reqwest::StatusCode;
use serde_json::{Value, json};
use tenantry_testkit::Harness;
use tenantry_testkit::harness::PASSWORD;

async fn post(base: &str, path: &str, body: Value, headers: &[(&str, &str)]) -> (StatusCode, Option<u64>, Value) {
    let mut request = reqwest::Client::new().post(format!("{base}{path}")).json(&body);
    for (k, v) in headers {
        request = request.header(*k, *v);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    let retry = response.headers().get("retry-after").map(|v| v.to_str().unwrap().parse().unwrap());
    let text = response.text().await.unwrap();
    (status, retry, serde_json::from_str(&text).unwrap_or(Value::Null))
}

fn login(slug: &str, email: &str, password: &str) -> Value {
    json!({"tenant": slug, "email": email, "password": password})
}

async fn limits_as_shipped(h: Harness) {
    let t = h.signup("acme").await.unwrap();
    h.superuser("ops@platform.example.com").await.unwrap();
    let state = support::state_for(&h);
    let base = support::serve_as_shipped(state).await;
    // One account: five attempts, the sixth is throttled — before the password is checked.
    for i in 0..5 {
        let (status, _, body) =
            post(&base, "/v1/auth/login", login("acme", &t.owner_email, "wrong password!!"), &[]).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "attempt {i}: {body}");
    }
    let (status, retry, body) = post(&base, "/v1/auth/login", login("acme", &t.owner_email, PASSWORD), &[]).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::TOO_MANY_REQUESTS, Some("too_many_requests")), "{body}");
    assert!(retry.is_some_and(|s| (1..=20).contains(&s)), "Retry-After: {retry:?}");
    // The address: ten requests at once in all (five counted above, and the refused sixth), then 429 for any account.
    for i in 0..4 {
        let (status, _, body) =
            post(&base, "/v1/auth/login", login("acme", &format!("other{i}@acme.example.com"), PASSWORD), &[]).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "another account {i}: {body}");
    }
    let (status, retry, body) =
        post(&base, "/v1/auth/password-reset", json!({"tenant": "acme", "email": "x@acme.example.com"}), &[]).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "every anonymous endpoint counts against the address");
    assert!(retry.is_some());
    // The API's refusal by address is problem+json (the web's is a page, below).
    assert_eq!(body["code"], "too_many_requests", "{body}");
    // A forged X-Forwarded-For from an untrusted peer changes nothing.
    let forged = [("x-forwarded-for", "203.0.113.77")];
    let (status, _, _) = post(&base, "/v1/auth/login", login("acme", "new@acme.example.com", PASSWORD), &forged).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "the socket's address counts");
    // The web's login answers a page.
    let web = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let page = web
        .post(format!("{base}/login"))
        .form(&[("tenant", "acme"), ("email", t.owner_email.as_str()), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(page.headers().get("retry-after").is_some());
    assert!(page.headers()["content-type"].to_str().unwrap().starts_with("text/html"));

    // The superuser raises the limits (as test suites do): new buckets at once. (The
    // superuser's own login comes through the service: the address is used up.)
    let su = h
        .tenantry
        .login(tenantry_ports::services::auth::LoginInput {
            tenant: None,
            email: "ops@platform.example.com".into(),
            password: secrecy::SecretString::from(PASSWORD),
        })
        .await
        .unwrap();
    let keys_state = support::state_for(&h);
    let token = tenantry_http::auth::pair(&keys_state.keys, keys_state.clock.as_ref(), &su.principal, 0).unwrap();
    let base2 = support::serve_as_shipped(keys_state).await;
    let patch = json!({"anonymous_limits": {"per_address": {"burst": 1000, "per_minute": 1000}}});
    let response = reqwest::Client::new()
        .patch(format!("{base2}/v1/admin/settings"))
        .bearer_auth(&token.access_token)
        .json(&patch)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let bad = json!({"anonymous_limits": {"per_account": {"burst": 0, "per_minute": 1}}});
    let response = reqwest::Client::new()
        .patch(format!("{base2}/v1/admin/settings"))
        .bearer_auth(&token.access_token)
        .json(&bad)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _, body) = post(&base, "/v1/auth/login", login("acme", "new@acme.example.com", PASSWORD), &[]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "raised: {body}");
    // The account's own bucket is still as shipped.
    let (status, _, _) = post(&base, "/v1/auth/login", login("acme", &t.owner_email, PASSWORD), &[]).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
}

/// The harness on `store`.
async fn app(store: &TestStore) -> Harness {
    store.harness(Harness::builder())
}

on_both!(limits_as_shipped);

#[tokio::test]
async fn a_trusted_proxys_forwarded_address_is_the_client() {
    let h = Harness::new();
    h.signup("acme").await.unwrap();
    let proxies = tenantry_http::client::TrustedProxies::parse("127.0.0.0/8").unwrap();
    let base = support::serve_as_shipped(support::state_for(&h).with_trusted_proxies(proxies)).await;
    for i in 0..10 {
        let from = [("x-forwarded-for", "203.0.113.7")];
        let (status, _, _) =
            post(&base, "/v1/auth/login", login("acme", &format!("u{i}@acme.example.com"), PASSWORD), &from).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let from = [("x-forwarded-for", "203.0.113.7")];
    let (status, _, _) = post(&base, "/v1/auth/login", login("acme", "u@acme.example.com", PASSWORD), &from).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "203.0.113.7 used its ten");
    // Another client behind the same proxy has its own bucket; one that prepends a fake hop gains nothing.
    let other = [("x-forwarded-for", "198.51.100.4")];
    let (status, _, _) = post(&base, "/v1/auth/login", login("acme", "v@acme.example.com", PASSWORD), &other).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let spoofed = [("x-forwarded-for", "192.0.2.99, 203.0.113.7")];
    let (status, _, _) = post(&base, "/v1/auth/login", login("acme", "w@acme.example.com", PASSWORD), &spoofed).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "the rightmost untrusted hop is the client");
}

#[tokio::test]
async fn cross_tenant_attempts_are_throttled_before_authorisation_and_repeated_ones_aggregated() {
    let h = Harness::new();
    let a = h.signup("acme").await.unwrap();
    let b = h.signup("globex").await.unwrap();
    let state = support::state_for(&h);
    let token = tenantry_http::auth::pair(&state.keys, state.clock.as_ref(), &a.owner, 0).unwrap().access_token;
    let base = support::serve_as_shipped(state).await;
    let http = reqwest::Client::new();
    let mut statuses = Vec::new();
    for _ in 0..14 {
        let r = http.get(format!("{base}/v1/tenants/{}/users", b.id)).bearer_auth(&token).send().await.unwrap();
        statuses.push(r.status());
    }
    assert_eq!(statuses.iter().filter(|s| **s == StatusCode::NOT_FOUND).count(), 10, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == StatusCode::TOO_MANY_REQUESTS).count(), 4, "{statuses:?}");
    // acme's own tenant still answers.
    let r = http.get(format!("{base}/v1/tenants/{}/users", a.id)).bearer_auth(&token).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    // Ten attempts reached authorisation in one minute: one event written at once,
    // the nine after it counted and written as one when the minute is over.
    let owner = h.owner_scope(&a).await.unwrap();
    let attempts = |page: &tenantry_ports::services::audit::AuditPage| -> Vec<serde_json::Value> {
        page.events
            .iter()
            .filter(|e| e.action.as_str() == "access.cross_tenant_attempt")
            .map(|e| serde_json::to_value(&e.details).unwrap())
            .collect()
    };
    let before = attempts(&h.tenantry.audit_events(&owner, Default::default()).await.unwrap());
    assert_eq!(before.len(), 1, "{before:?}");
    h.clock.advance(chrono::Duration::seconds(61));
    assert_eq!(h.tenantry.flush_cross_tenant_attempts().await, 1);
    let after = attempts(&h.tenantry.audit_events(&owner, Default::default()).await.unwrap());
    assert_eq!(after.len(), 2, "{after:?}");
    assert!(after.iter().any(|d| d["repeated"] == json!("9")), "{after:?}");
}

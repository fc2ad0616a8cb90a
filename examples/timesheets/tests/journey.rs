#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed setup is a failed test
//! The timesheets example as a black box over HTTP on PostgreSQL: a member
//! logs time, a viewer reads but cannot log, a manager approves once, and
//! another tenant sees none of it (404 for its paths and its entry ids).

use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::ConnectOptions;
use std::sync::Arc;
use tenantry_example_timesheets::{Timesheets, migrate, policy, routes};
use tenantry_http::auth::TokenKeys;
use tenantry_http::{AppState, router_with_product};
use tenantry_postgres::testing::{TestDatabase, admin_url};
use tenantry_testkit::Harness;
use tenantry_testkit::harness::PASSWORD;

struct App {
    base: String,
    client: reqwest::Client,
}

impl App {
    async fn call(&self, method: reqwest::Method, path: &str, token: &str, body: Option<Value>) -> (StatusCode, Value) {
        let mut request = self.client.request(method, format!("{}{path}", self.base)).bearer_auth(token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let text = response.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    async fn login(&self, slug: &str, email: &str) -> String {
        let body: Value = self
            .client
            .post(format!("{}/v1/auth/login", self.base))
            .json(&json!({"tenant": slug, "email": email, "password": PASSWORD}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        body["access_token"].as_str().unwrap_or_else(|| panic!("{body}")).to_owned()
    }
}

#[tokio::test]
async fn log_approve_and_read_timesheets_within_one_tenant_only() {
    let Some(admin) = admin_url("log_approve_and_read_timesheets_within_one_tenant_only") else {
        return;
    };
    let db = TestDatabase::create(&admin).await.unwrap();
    migrate(&secrecy::SecretString::from(db.admin_options().to_url_lossy().to_string())).await.unwrap();
    let store = db.store().await.unwrap();
    let h =
        Harness::builder().store(Arc::new(store.clone()), Arc::new(store.clone())).policy(policy().unwrap()).build();
    let state = AppState::new(h.tenantry.clone(), TokenKeys::random().unwrap(), Arc::new(h.clock.clone()));
    let product = routes(Arc::new(Timesheets::new(h.tenantry.clone(), store.clone())));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let app = router_with_product(state, product);
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let app = App { base, client: reqwest::Client::new() };

    let alpha = h.signup("alpha").await.unwrap();
    let beta = h.signup("beta").await.unwrap();
    for (email, role) in
        [("mia@alpha.example.com", "member"), ("max@alpha.example.com", "manager"), ("val@alpha.example.com", "viewer")]
    {
        h.add_user(&alpha, email, role).await.unwrap();
    }
    let mia = app.login("alpha", "mia@alpha.example.com").await;
    let max = app.login("alpha", "max@alpha.example.com").await;
    let val = app.login("alpha", "val@alpha.example.com").await;
    let beta_owner = app.login("beta", &beta.owner_email).await;
    let (a, b) = (alpha.id.to_string(), beta.id.to_string());
    let sheets = |tid: &str| format!("/v1/tenants/{tid}/timesheets");
    use reqwest::Method;

    // A member logs time.
    let (status, entry) = app
        .call(
            Method::POST,
            &sheets(&a),
            &mia,
            Some(json!({"project": "Apollo", "day": "2026-11-02", "minutes": 90, "note": "design"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{entry}");
    assert_eq!(entry["status"], "submitted");
    let eid = entry["id"].as_str().unwrap().to_owned();
    // Bad input: 422 naming the field, nothing written.
    let (status, problem) = app
        .call(Method::POST, &sheets(&a), &mia, Some(json!({"project": "Apollo", "day": "2026-11-02", "minutes": 0})))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert!(problem["detail"].as_str().unwrap().contains("minutes"), "{problem}");
    let (status, _) = app.call(Method::POST, &sheets(&a), &mia, Some(json!({"project": "Apollo"}))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    // A viewer reads, but may not log or approve.
    let (status, list) = app.call(Method::GET, &sheets(&a), &val, None).await;
    assert_eq!((status, list.as_array().map(Vec::len)), (StatusCode::OK, Some(1)), "{list}");
    let (status, _) = app
        .call(Method::POST, &sheets(&a), &val, Some(json!({"project": "X", "day": "2026-11-02", "minutes": 5})))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // The member may not approve; the manager approves once.
    let approve = format!("{}/{eid}/approve", sheets(&a));
    assert_eq!(app.call(Method::POST, &approve, &mia, None).await.0, StatusCode::FORBIDDEN);
    let (status, approved) = app.call(Method::POST, &approve, &max, None).await;
    assert_eq!((status, approved["status"].as_str()), (StatusCode::OK, Some("approved")), "{approved}");
    let (status, problem) = app.call(Method::POST, &format!("{}/{eid}/reject", sheets(&a)), &max, None).await;
    assert_eq!((status, problem["code"].as_str()), (StatusCode::CONFLICT, Some("already_decided")));

    // Another tenant: alpha's paths answer 404; alpha's entry id under beta's own path is missing too.
    for (method, path) in [(Method::GET, sheets(&a)), (Method::POST, approve.clone())] {
        let (status, problem) = app.call(method, &path, &beta_owner, None).await;
        assert_eq!((status, problem["code"].as_str()), (StatusCode::NOT_FOUND, Some("not_found")), "{path}");
    }
    let (status, _) = app.call(Method::POST, &format!("{}/{eid}/approve", sheets(&b)), &beta_owner, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, list) = app.call(Method::GET, &sheets(&b), &beta_owner, None).await;
    assert_eq!((status, list), (StatusCode::OK, json!([])));
    let (_, malformed) = app.call(Method::POST, &format!("{}/not-an-id/approve", sheets(&a)), &max, None).await;
    assert_eq!(malformed["code"], "not_found");

    store.close().await;
    db.drop_now().await.unwrap();
}

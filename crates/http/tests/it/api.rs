//! Black-box tests of the v1 API: the real router on a random port, driven by
//! an HTTP client, with a fake clock and the billing simulator (the testkit's
//! harness) — each test twice: on the embedded default's memory store and on a
//! fresh PostgreSQL database (`on_both!`). Every answer a test reads through
//! [`TestApp::call`] is held to the OpenAPI document's schema for its status.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed step is a failed test

use crate::support;
use support::{TestStore, on_both};

use chrono::Duration;
use reqwest::{Method, StatusCode};
use secrecy::SecretString;
use serde_json::{Value, json};
use support::contract::DOCUMENT;
use tenantry_testkit::Harness;
use tenantry_testkit::harness::PASSWORD;

struct TestApp {
    base: String,
    client: reqwest::Client,
    h: Harness,
}

async fn spawn_app(h: Harness) -> TestApp {
    let base = support::serve(support::state_for(&h)).await;
    TestApp { base, client: reqwest::Client::new(), h }
}

/// The app on `store`.
async fn app(store: &TestStore) -> TestApp {
    spawn_app(store.harness(Harness::builder())).await
}

/// The app on `store` under the `required` trial policy (the binary's default).
async fn app_requiring_a_payment_method(store: &TestStore) -> TestApp {
    use tenantry_domain::settings::PaymentMethodAtSignup;
    spawn_app(store.harness(Harness::builder().payment_method_at_signup(PaymentMethodAtSignup::Required))).await
}

/// The app on `store`, where superusers must have two-factor authentication
/// (as the binary on PostgreSQL requires).
async fn app_with_superuser_mfa(store: &TestStore) -> TestApp {
    spawn_app(store.harness(Harness::builder().superuser_mfa(true))).await
}

impl TestApp {
    async fn call(&self, method: Method, path: &str, token: Option<&str>, body: Option<Value>) -> (StatusCode, Value) {
        let mut request = self.client.request(method.clone(), format!("{}{path}", self.base));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let content_type =
            response.headers().get("content-type").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
        let text = response.text().await.unwrap();
        let value = if text.is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap() };
        if status.is_client_error() || status.is_server_error() {
            assert_eq!(content_type, "application/problem+json", "{method} {path}: {text}");
        }
        assert_ne!(status, StatusCode::INTERNAL_SERVER_ERROR, "{method} {path}: {text}");
        match DOCUMENT.answer(method.as_str(), path, status.as_u16()) {
            Some(Some(schema)) => {
                let errors = DOCUMENT.errors(&schema, &value);
                assert!(errors.is_empty(), "{method} {path} answered {status} off its schema: {errors:#?}\n{text}");
            }
            Some(None) => {
                assert!(text.is_empty(), "{method} {path} answered {status} with an undocumented body: {text}")
            }
            None => {}
        }
        (status, value)
    }
    async fn get(&self, path: &str, token: &str) -> (StatusCode, Value) {
        self.call(Method::GET, path, Some(token), None).await
    }
    async fn post(&self, path: &str, token: Option<&str>, body: Value) -> (StatusCode, Value) {
        self.call(Method::POST, path, token, Some(body)).await
    }

    /// Signs a tenant up: (tenant id, owner's access token).
    async fn signup(&self, slug: &str) -> (String, String) {
        let (status, body) = self
            .post(
                "/v1/signup",
                None,
                json!({"company_name": format!("{slug} Ltd"), "slug": slug, "email": format!("owner@{slug}.example.com"),
                       "password": PASSWORD, "name": "Owner"}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        (body["tenant"]["id"].as_str().unwrap().to_owned(), body["access_token"].as_str().unwrap().to_owned())
    }

    /// Invites `email` as `role` and accepts the mailed link: the new user's access token.
    async fn add_user(&self, tid: &str, admin: &str, email: &str, role: &str) -> String {
        let (status, body) = self
            .post(&format!("/v1/tenants/{tid}/invitations"), Some(admin), json!({"email": email, "role": role}))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        self.accept(email).await
    }

    /// Logs in again (access tokens live 15 minutes of the service's clock).
    async fn login(&self, slug: &str, email: &str) -> String {
        let (status, body) =
            self.post("/v1/auth/login", None, json!({"tenant": slug, "email": email, "password": PASSWORD})).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["access_token"].as_str().unwrap().to_owned()
    }

    async fn accept(&self, email: &str) -> String {
        use secrecy::ExposeSecret;
        let token = self.h.mailer.invitation_token(email).unwrap();
        let (status, body) = self
            .post(
                "/v1/invitations/accept",
                None,
                json!({"token": token.expose_secret(), "name": format!("User {email}"), "password": PASSWORD}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body["access_token"].as_str().unwrap().to_owned()
    }
}

async fn health_signup_me_and_problem_answers(app: TestApp) {
    let (status, _) = app.call(Method::GET, "/healthz", None, None).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = app.call(Method::GET, "/readyz", None, None).await;
    assert_eq!(status, StatusCode::OK);

    let (tid, token) = app.signup("acme").await;
    let (status, me) = app.get("/v1/me", &token).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["tenant"]["id"], tid);
    assert_eq!(me["user"]["role"], "owner");
    assert!(!me.to_string().contains("password"), "no password field in {me}");

    // A taken slug, a bad email, a short password: typed refusals.
    let (status, body) = app
        .post(
            "/v1/signup",
            None,
            json!({"company_name": "X", "slug": "acme", "email": "a@b.example.com", "password": PASSWORD, "name": "N"}),
        )
        .await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::CONFLICT, Some("slug_taken")));
    let (status, body) = app
        .post(
            "/v1/signup",
            None,
            json!({"company_name": "X", "slug": "other", "email": "nope", "password": PASSWORD, "name": "N"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["code"], "invalid_email");
    // A body of the wrong shape names the field.
    let (status, body) = app.post("/v1/signup", None, json!({"slug": 7})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["code"], "invalid_body");
    assert!(body["detail"].as_str().unwrap().contains("slug"), "{body}");
    // Too big a body: 413, as problem+json.
    let big = "x".repeat(100 * 1024);
    let (status, body) = app.post("/v1/signup", None, json!({"company_name": big})).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::PAYLOAD_TOO_LARGE, Some("body_too_large")));
    // No token, a forged token, a refresh token used as access token.
    let (status, body) = app.call(Method::GET, "/v1/me", None, None).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("unauthenticated")));
    let (status, _) = app.get("/v1/me", "eyJhbGciOiJIUzI1NiJ9.e30.c2lnbmF0dXJl").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // Unknown paths and malformed ids: 404, as for anything missing.
    let (status, _) = app.get("/v1/nothing-here", &token).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = app.get(&format!("/v1/tenants/{tid}/users/not-an-id"), &token).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = app.get("/v1/tenants/not-a-tenant", &token).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
on_both!(health_signup_me_and_problem_answers);

async fn login_refresh_and_a_deactivated_users_tokens_stop_working(app: TestApp) {
    let (tid, owner) = app.signup("acme").await;
    let ann = app.add_user(&tid, &owner, "ann@acme.example.com", "member").await;
    let (status, tokens) = app
        .post("/v1/auth/login", None, json!({"tenant": "acme", "email": "ann@acme.example.com", "password": PASSWORD}))
        .await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    assert_eq!(tokens["token_type"], "Bearer");
    let refresh = tokens["refresh_token"].as_str().unwrap().to_owned();
    // A refresh token is not an access token.
    let (status, _) = app.get("/v1/me", &refresh).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, renewed) = app.post("/v1/auth/refresh", None, json!({"refresh_token": refresh})).await;
    assert_eq!(status, StatusCode::OK, "{renewed}");
    // The same answer for an unknown email and a wrong password.
    let (s1, b1) = app
        .post("/v1/auth/login", None, json!({"tenant": "acme", "email": "who@acme.example.com", "password": PASSWORD}))
        .await;
    let (s2, b2) = app
        .post(
            "/v1/auth/login",
            None,
            json!({"tenant": "acme", "email": "ann@acme.example.com", "password": "wrong password!"}),
        )
        .await;
    assert_eq!((s1, &b1["code"], &b1["detail"]), (s2, &b2["code"], &b2["detail"]));
    // Deactivated: access and refresh tokens are refused at once.
    let (_, users) = app.get(&format!("/v1/tenants/{tid}/users"), &owner).await;
    let ann_id = users.as_array().unwrap().iter().find(|u| u["email"] == "ann@acme.example.com").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, body) = app
        .call(Method::PATCH, &format!("/v1/tenants/{tid}/users/{ann_id}"), Some(&owner), Some(json!({"active": false})))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, _) = app.get(&format!("/v1/tenants/{tid}"), &ann).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) =
        app.post("/v1/auth/refresh", None, json!({"refresh_token": renewed["refresh_token"].as_str().unwrap()})).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // Logout ends the caller's session (its access and refresh tokens); their other sessions hold
    // until "sign out everywhere" ends them all.
    let bob = app.add_user(&tid, &owner, "bob@acme.example.com", "member").await;
    let (_, bobs) = app
        .post("/v1/auth/login", None, json!({"tenant": "acme", "email": "bob@acme.example.com", "password": PASSWORD}))
        .await;
    let (status, _) = app.call(Method::POST, "/v1/auth/logout", Some(&bob), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = app.get("/v1/me", &bob).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let bob_later = bobs["access_token"].as_str().unwrap();
    assert_eq!(app.get("/v1/me", bob_later).await.0, StatusCode::OK, "the other session holds");
    let (status, _) = app.call(Method::DELETE, "/v1/me/sessions", Some(bob_later), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(app.get("/v1/me", bob_later).await.0, StatusCode::UNAUTHORIZED);
    let (status, _) = app.post("/v1/auth/refresh", None, json!({"refresh_token": bobs["refresh_token"]})).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // And an access token expires with the service's clock.
    app.h.clock.advance(Duration::minutes(16));
    let (status, body) = app.get("/v1/me", &owner).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(body["detail"].as_str().unwrap().contains("expired"), "{body}");
}
on_both!(login_refresh_and_a_deactivated_users_tokens_stop_working);

/// Every tenant path of tenant A, asked with tenant B's owner token: 404 —
/// exactly what a missing tenant gets — and the attempt is in B's audit log.
async fn another_tenants_paths_answer_404_and_the_attempt_is_audited(app: TestApp) {
    let (a, a_owner) = app.signup("alpha").await;
    let (b, b_owner) = app.signup("beta").await;
    let (_, a_users) = app.get(&format!("/v1/tenants/{a}/users"), &a_owner).await;
    let a_user = a_users[0]["id"].as_str().unwrap().to_owned();
    let missing = "01a20857-41d8-701a-835b-da6eeca99118";
    let paths = [
        (Method::GET, String::new()),
        (Method::PATCH, String::new()),
        (Method::GET, "/users".into()),
        (Method::GET, format!("/users/{a_user}")),
        (Method::PATCH, format!("/users/{a_user}")),
        (Method::DELETE, format!("/users/{a_user}")),
        (Method::POST, "/owner".into()),
        (Method::GET, "/invitations".into()),
        (Method::POST, "/invitations".into()),
        (Method::GET, "/roles".into()),
        (Method::POST, "/roles".into()),
        (Method::GET, "/subscription".into()),
        (Method::POST, "/subscription/preview".into()),
        (Method::POST, "/subscription/seats".into()),
        (Method::POST, "/subscription/plan".into()),
        (Method::POST, "/subscription/cancel".into()),
        (Method::POST, "/subscription/continue-free".into()),
        (Method::POST, "/subscription/promotion-code/preview".into()),
        (Method::POST, "/subscription/promotion-code".into()),
        (Method::POST, "/billing/checkout".into()),
        (Method::POST, "/billing/portal".into()),
        (Method::GET, "/invoices".into()),
        (Method::GET, "/audit-events".into()),
        (Method::GET, "/usage".into()),
        (Method::GET, "/ads/decision".into()),
    ];
    for (method, rest) in &paths {
        for tenant in [a.as_str(), missing] {
            let path = format!("/v1/tenants/{tenant}{rest}");
            let body = (*method != Method::GET && *method != Method::DELETE).then(|| json!({}));
            let (status, answer) = app.call(method.clone(), &path, Some(&b_owner), body).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{method} {path}: {answer}");
            assert_eq!(answer["code"], "not_found");
        }
    }
    // Nothing of alpha changed, and beta's log holds the attempts: the first at each
    // tenant at once, the repeated ones of a minute as one event once it is over.
    let (_, still) = app.get(&format!("/v1/tenants/{a}/users"), &a_owner).await;
    assert_eq!(still, a_users);
    app.h.clock.advance(Duration::seconds(61));
    app.h.tenantry.flush_cross_tenant_attempts().await;
    let (_, log) =
        app.get(&format!("/v1/tenants/{b}/audit-events?action=access.cross_tenant_attempt&limit=100"), &b_owner).await;
    let accounted: usize = log["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["details"]["repeated"].as_str().map_or(1, |n| n.parse::<usize>().unwrap()))
        .sum();
    assert_eq!(accounted, 2 * paths.len(), "every attempt is accounted for: {log}");
    assert!(!log.to_string().contains(&a_user), "beta's log names no id of alpha's users");
}
on_both!(another_tenants_paths_answer_404_and_the_attempt_is_audited);

/// The journey of the HTTP issue, over HTTP.
async fn journey(app: &TestApp) {
    let (tid, owner) = app.signup("acme").await;
    let t = |rest: &str| format!("/v1/tenants/{tid}{rest}");
    let (_, sub) = app.get(&t("/subscription"), &owner).await;
    assert_eq!(sub["status"], "trialing");
    assert_eq!(sub["seats"], Value::Null, "seats are not capped in the trial");

    // Standard monthly needs a payment method first: Checkout, completed in the simulator.
    let (status, answer) =
        app.post(&t("/subscription/plan"), Some(&owner), json!({"plan": "standard", "interval": "month"})).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["outcome"], "checkout_required");
    // The simulator's own Checkout page, for the signed-in owner: a form of test cards; choosing
    // one returns to the API.
    let url = answer["checkout"]["url"].as_str().unwrap().to_owned();
    let browser = support::web::WebSession::login(&app.base, "acme", "owner@acme.example.com").await;
    let page = browser.get(&url).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.headers["content-security-policy"].to_str().unwrap().contains("default-src 'none'"));
    assert!(page.body.contains("value=\"succeeds\""));
    let done = browser
        .post(url.split('?').next().unwrap(), &[("card", "succeeds"), ("return_to", "/v1/billing/return")])
        .await;
    assert_eq!((done.status, done.location.as_deref()), (StatusCode::SEE_OTHER, Some("/v1/billing/return")));
    let (status, answer) =
        app.post(&t("/subscription/plan"), Some(&owner), json!({"plan": "standard", "interval": "month"})).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["outcome"], "changed");
    assert_eq!(answer["subscription"]["seats"], 3);
    app.h.tick().await;

    // Two invitations, both accepted: 3 of 3 seats used; a third refused, one seat missing.
    app.add_user(&tid, &owner, "ann@acme.example.com", "member").await;
    app.add_user(&tid, &owner, "bob@acme.example.com", "member").await;
    let (status, refused) =
        app.post(&t("/invitations"), Some(&owner), json!({"email": "cat@acme.example.com", "role": "member"})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{refused}");
    assert_eq!(refused["code"], "seat_limit_reached");
    assert!(refused["detail"].as_str().unwrap().contains('1'), "{refused}");

    // Preview +2 seats, buy them at the preview's proration date: charged = previewed.
    app.h.clock.advance(Duration::days(10));
    let owner = app.login("acme", "owner@acme.example.com").await;
    let (status, preview) = app.post(&t("/subscription/preview"), Some(&owner), json!({"seats": 5})).await;
    assert_eq!(status, StatusCode::OK, "{preview}");
    let total = preview["total"].clone();
    let date = preview["proration_date"].clone();
    assert!(total["cents"].as_i64().unwrap() > 0 && date.is_string(), "{preview}");
    app.h.clock.advance(Duration::minutes(2));
    let (status, bought) =
        app.post(&t("/subscription/seats"), Some(&owner), json!({"seats": 5, "proration_date": date})).await;
    assert_eq!(status, StatusCode::OK, "{bought}");
    assert_eq!(bought["charged"], total);
    app.h.tick().await;

    // Two more users: 5 active; a reduction to 4 is refused.
    app.add_user(&tid, &owner, "cat@acme.example.com", "member").await;
    app.add_user(&tid, &owner, "dan@acme.example.com", "viewer").await;
    let (status, refused) = app.post(&t("/subscription/seats"), Some(&owner), json!({"seats": 4})).await;
    assert_eq!((status, refused["code"].as_str()), (StatusCode::CONFLICT, Some("below_used_seats")), "{refused}");

    // Cancel; the period ends; freemium with the owner and the two oldest users active.
    let (status, answer) = app.post(&t("/subscription/cancel"), Some(&owner), json!({})).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    app.h.advance_days(25).await;
    let (_, login) = app
        .post(
            "/v1/auth/login",
            None,
            json!({"tenant": "acme", "email": "owner@acme.example.com", "password": PASSWORD}),
        )
        .await;
    let owner = login["access_token"].as_str().unwrap().to_owned();
    let (_, sub) = app.get(&t("/subscription"), &owner).await;
    assert_eq!(sub["plan"], "freemium", "{sub}");
    assert_eq!(sub["active_users"], 3);
    let (_, users) = app.get(&t("/users"), &owner).await;
    let active: Vec<&str> = users
        .as_array()
        .unwrap()
        .iter()
        .filter(|u| u["status"] == "active")
        .map(|u| u["email"].as_str().unwrap())
        .collect();
    assert!(active.contains(&"owner@acme.example.com"), "{active:?}");
    assert!(!active.contains(&"cat@acme.example.com") && !active.contains(&"dan@acme.example.com"), "{active:?}");
    // A premium feature (custom roles) answers upgrade_required.
    let (status, gated) =
        app.post(&t("/roles"), Some(&owner), json!({"name": "Approver", "permissions": ["users:read"]})).await;
    assert_eq!((status, gated["code"].as_str()), (StatusCode::FORBIDDEN, Some("upgrade_required")), "{gated}");
}

async fn the_journey_from_trial_to_paid_to_freemium_over_http(app: TestApp) {
    journey(&app).await;
}
on_both!(the_journey_from_trial_to_paid_to_freemium_over_http);

async fn the_superuser_sees_the_platform_and_a_tenant_user_does_not(app: TestApp) {
    let (tid, owner) = app.signup("acme").await;
    app.h.superuser("ops@platform.example.com").await.unwrap();
    let (status, tokens) =
        app.post("/v1/auth/login", None, json!({"email": "ops@platform.example.com", "password": PASSWORD})).await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    let su = tokens["access_token"].as_str().unwrap().to_owned();
    let (status, list) = app.get("/v1/admin/tenants", &su).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert!(list.to_string().contains(&tid));
    let (status, stats) = app.get("/v1/admin/stats", &su).await;
    assert_eq!(status, StatusCode::OK, "{stats}");
    let (status, detail) = app.get(&format!("/v1/admin/tenants/{tid}"), &su).await;
    assert_eq!(status, StatusCode::OK, "{detail}");
    // A tenant owner on the platform paths: they do not exist for them.
    for path in ["/v1/admin/tenants", "/v1/admin/stats", "/v1/admin/audit-events", "/v1/admin/ads/campaigns"] {
        let (status, _) = app.get(path, &owner).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
    }
    let (status, _) = app.get(&format!("/v1/admin/tenants/{tid}"), &owner).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // The superuser's access to the tenant is in the platform log.
    let (_, log) = app.get(&format!("/v1/admin/audit-events?tenant={tid}"), &su).await;
    assert!(log.to_string().contains("platform.tenant_accessed"), "{log}");
}
on_both!(the_superuser_sees_the_platform_and_a_tenant_user_does_not);

async fn a_tenants_request_rate_is_limited_by_its_quota_with_headers_and_retry_after(app: TestApp) {
    let (tid, owner) = app.signup("busy").await;
    let (other, other_owner) = app.signup("calm").await;
    app.h.superuser("ops@platform.example.com").await.unwrap();
    let (_, tokens) =
        app.post("/v1/auth/login", None, json!({"email": "ops@platform.example.com", "password": PASSWORD})).await;
    let su = tokens["access_token"].as_str().unwrap().to_owned();
    let (status, body) = app
        .call(
            Method::PATCH,
            &format!("/v1/admin/tenants/{tid}"),
            Some(&su),
            Some(json!({"quota_override": {"requests_per_minute": 5}})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let url = format!("{}/v1/tenants/{tid}/subscription", app.base);
    for left in (0..5).rev() {
        let response = app.client.get(&url).bearer_auth(&owner).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()["x-ratelimit-limit"], "5");
        assert_eq!(response.headers()["x-ratelimit-remaining"], left.to_string().as_str());
        assert!(response.headers().contains_key("x-ratelimit-reset"));
    }
    let refused = app.client.get(&url).bearer_auth(&owner).send().await.unwrap();
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = refused.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=12).contains(&wait), "one request comes back every 12 s: {wait}");
    assert_eq!(refused.headers()["x-ratelimit-remaining"], "0");
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["code"], "rate_limited");
    // Another tenant has its own allowance (the plan's default).
    let response = app
        .client
        .get(format!("{}/v1/tenants/{other}/subscription", app.base))
        .bearer_auth(&other_owner)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let limit: u32 = response.headers()["x-ratelimit-limit"].to_str().unwrap().parse().unwrap();
    assert!(limit > 5, "{limit}");
    // The superuser acting in the busy tenant is not counted against it.
    let (status, _) = app.get(&format!("/v1/admin/tenants/{tid}"), &su).await;
    assert_eq!(status, StatusCode::OK);
}
on_both!(a_tenants_request_rate_is_limited_by_its_quota_with_headers_and_retry_after);

async fn the_openapi_document_describes_every_operation_and_the_docs_are_served(app: TestApp) {
    let (status, doc) = app.call(Method::GET, "/openapi.json", None, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(doc["openapi"], "3.1.0");
    let operations: usize = doc["paths"].as_object().unwrap().values().map(|p| p.as_object().unwrap().len()).sum();
    // 99, and the files (issue 27): list, upload, download, delete; the logo's upload, removal and public route.
    assert_eq!(operations, 106, "every route of the router is documented");
    let plan = &doc["paths"]["/v1/tenants/{tid}/subscription/plan"]["post"];
    assert_eq!(plan["security"][0]["bearer"], json!([]));
    assert_eq!(
        plan["responses"]["4XX"]["content"]["application/problem+json"]["schema"]["$ref"],
        "#/components/schemas/ProblemBody"
    );
    assert_eq!(doc["components"]["schemas"]["PlanName"]["enum"], json!(["freemium", "standard"]));
    // Every success answer with a body has a typed schema: no operation answers "any JSON",
    // and nothing reachable from its schema is "any JSON" either.
    let mut typed = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            for (status, response) in operation["responses"].as_object().unwrap() {
                if !status.starts_with('2') {
                    continue;
                }
                let Some(content) = response.get("content") else {
                    assert_eq!(status, "204", "{method} {path}: a {status} without a body");
                    continue;
                };
                // The binary answers: the superuser's sealed backup, a stored file's bytes.
                let binary = &content["application/octet-stream"]["schema"];
                if !binary.is_null() {
                    assert!(
                        [
                            ("post", "/v1/admin/tenants/{tid}/backups"),
                            ("get", "/v1/tenants/{tid}/files/{fid}"),
                            ("get", "/logos/{tid}/{fid}"),
                        ]
                        .contains(&(method.as_str(), path.as_str())),
                        "{method} {path}: binary"
                    );
                    assert!(binary.get("type").is_some(), "{method} {path}: {binary}");
                    typed += 1;
                    continue;
                }
                let schema = &content["application/json"]["schema"];
                assert!(
                    schema.get("$ref").is_some() || schema.get("type").is_some(),
                    "{method} {path} {status}: neither a component nor a typed schema: {schema}"
                );
                if let Some(any) = unconstrained_within(&doc, schema, &mut Vec::new()) {
                    panic!("{method} {path} {status}: `{any}` accepts any JSON");
                }
                typed += 1;
            }
        }
    }
    // 83 operations answer with a body (the other 20 answer 204); starting an export has two (202 and 200).
    // (The files of issue 27 added six: list, upload, download, delete, the logo's upload and public route.)
    assert_eq!(typed, 84, "every 2xx answer with a body is typed");
    // The shapes serde writes, where the derive alone would have been wrong.
    let schemas = &doc["components"]["schemas"];
    let actions = schemas["AuditAction"]["anyOf"][0]["enum"].as_array().unwrap();
    assert!(actions.contains(&json!("invitation.created")) && !actions.contains(&json!("UserInvited")), "{actions:?}");
    assert_eq!(
        schemas["AuditAction"]["anyOf"][1]["pattern"], "^[a-z][a-z0-9_]*\\.[a-z][a-z0-9_]*$",
        "products' actions"
    );
    assert_eq!(schemas["RoleRef"]["anyOf"][0]["enum"][0], "owner");
    assert_eq!(schemas["Currency"]["type"], "string");
    assert_eq!(schemas["TokenPair"]["properties"]["token_type"]["enum"], json!(["Bearer"]));
    assert_eq!(schemas["UserView"]["properties"]["status"]["enum"], json!(["active", "deactivated"]));
    let docs = app.client.get(format!("{}/docs/", app.base)).send().await.unwrap();
    assert_eq!(docs.status(), StatusCode::OK);
    assert!(docs.headers()["content-security-policy"].to_str().unwrap().starts_with("default-src 'self'"));
    assert!(docs.text().await.unwrap().contains("swagger"), "Swagger UI is served from the binary");
}
on_both!(the_openapi_document_describes_every_operation_and_the_docs_are_served);

/// Where in `schema` (followed through `$ref`s) a sub-schema accepts any JSON
/// value (`{}`, `true`, or only annotations), if anywhere.
fn unconstrained_within(doc: &Value, schema: &Value, seen: &mut Vec<String>) -> Option<String> {
    const ANNOTATIONS: &[&str] = &["description", "title", "example", "examples", "default", "deprecated"];
    let object = match schema {
        Value::Bool(true) => return Some("true".into()),
        Value::Object(object) => object,
        _ => return None,
    };
    if object.keys().all(|k| ANNOTATIONS.contains(&k.as_str())) {
        return Some(schema.to_string());
    }
    if let Some(target) = object.get("$ref").and_then(Value::as_str) {
        if seen.iter().any(|s| s == target) {
            return None;
        }
        seen.push(target.to_owned());
        let name = target.trim_start_matches("#/components/schemas/");
        return unconstrained_within(doc, &doc["components"]["schemas"][name], seen).map(|at| format!("{name}: {at}"));
    }
    let mut children: Vec<&Value> = Vec::new();
    for key in ["items", "additionalProperties", "propertyNames"] {
        children.extend(object.get(key).filter(|v| v.is_object()));
    }
    for key in ["allOf", "anyOf", "oneOf", "prefixItems"] {
        children.extend(object.get(key).and_then(Value::as_array).into_iter().flatten());
    }
    children.extend(object.get("properties").and_then(Value::as_object).into_iter().flat_map(|p| p.values()));
    children.into_iter().find_map(|child| unconstrained_within(doc, child, seen))
}

/// Real answers against the component schemas they are documented with; and the
/// checker refuses an answer that strays from its schema (it is not vacuous).
async fn real_answers_match_their_component_schemas(app: TestApp) {
    let conforms = |component: &str, value: &Value| {
        let errors = DOCUMENT.errors(&DOCUMENT.component(component), value);
        assert!(errors.is_empty(), "{component}: {errors:#?}\n{value:#}");
    };
    let (status, signed_up) = app
        .post(
            "/v1/signup",
            None,
            json!({"company_name": "Shape Ltd", "slug": "shape", "email": "owner@shape.example.com",
                   "password": PASSWORD, "name": "Owner"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{signed_up}");
    conforms("SignedUpAnswer", &signed_up);
    let tid = signed_up["tenant"]["id"].as_str().unwrap().to_owned();
    let owner = signed_up["access_token"].as_str().unwrap().to_owned();
    let t = |rest: &str| format!("/v1/tenants/{tid}{rest}");

    let (_, me) = app.get("/v1/me", &owner).await;
    conforms("MeAnswer", &me);
    conforms("MeView", &me);
    let (status, subscription) = app.get(&t("/subscription"), &owner).await;
    assert_eq!(status, StatusCode::OK, "{subscription}");
    conforms("SubscriptionView", &subscription);
    assert!(subscription["trial_ends_at"].is_string(), "{subscription}");

    // A card on file (Checkout, completed in the simulator); then a plan preview during
    // the trial (lines and a total), and a seat preview.
    let (status, session) = app.post(&t("/billing/checkout"), Some(&owner), json!({})).await;
    assert_eq!(status, StatusCode::OK, "{session}");
    conforms("HostedSession", &session);
    let tenant = tenantry_domain::TenantId::parse(&tid).unwrap();
    app.h.add_card(tenant, tenantry_testkit::TestCard::Succeeds).await.unwrap();
    let (status, preview) =
        app.post(&t("/subscription/preview"), Some(&owner), json!({"plan": "standard", "interval": "year"})).await;
    assert_eq!(status, StatusCode::OK, "{preview}");
    conforms("PreviewView", &preview);
    assert!(!preview["lines"].as_array().unwrap().is_empty() && preview["plan_change"].is_object(), "{preview}");
    // Paid now; then a seat preview, and the seats bought at its proration date.
    let (status, changed) =
        app.post(&t("/subscription/plan"), Some(&owner), json!({"plan": "standard", "interval": "month"})).await;
    assert_eq!((status, changed["outcome"].as_str()), (StatusCode::OK, Some("changed")), "{changed}");
    conforms("PlanChanged", &changed);
    app.h.tick().await;
    let (status, preview) = app.post(&t("/subscription/preview"), Some(&owner), json!({"seats": 5})).await;
    assert_eq!(status, StatusCode::OK, "{preview}");
    conforms("PreviewView", &preview);
    assert!(preview["seat_change"].is_object(), "{preview}");
    let date = preview["proration_date"].clone();
    let (status, bought) =
        app.post(&t("/subscription/seats"), Some(&owner), json!({"seats": 5, "proration_date": date})).await;
    assert_eq!(status, StatusCode::OK, "{bought}");
    conforms("SeatsChanged", &bought);
    let (_, invoices) = app.get(&t("/invoices"), &owner).await;
    assert!(!invoices.as_array().unwrap().is_empty(), "{invoices}");

    // Events of several kinds of actor and target in the log, then the log.
    app.add_user(&tid, &owner, "ann@shape.example.com", "member").await;
    app.post("/v1/auth/login", None, json!({"tenant": "shape", "email": "nobody@shape.example.com", "password": "x"}))
        .await;
    let (status, page) = app.get(&t("/audit-events"), &owner).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    conforms("AuditPage", &page);
    let events = page["events"].as_array().unwrap();
    assert!(events.len() >= 3, "{page}");
    assert!(events.iter().any(|e| e["action"] == "invitation.created"), "{page}");

    // The superuser's answers: a tenant with its admin, and a campaign (targeted, then for all).
    app.h.superuser("ops@platform.example.com").await.unwrap();
    let (_, tokens) =
        app.post("/v1/auth/login", None, json!({"email": "ops@platform.example.com", "password": PASSWORD})).await;
    let su = tokens["access_token"].as_str().unwrap().to_owned();
    let (status, created) = app
        .post(
            "/v1/admin/tenants",
            Some(&su),
            json!({"company_name": "Made Ltd", "slug": "made", "admin_email": "admin@made.example.com",
                   "admin_name": "Admin", "admin_password": PASSWORD}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    conforms("CreatedTenant", &created);
    let campaign = json!({"name": "Spring", "format": "banner", "text": "Go paid", "link_url": "https://example.com/",
        "tenants": [tid], "starts_at": "2020-01-01T00:00:00Z", "ends_at": "2100-01-01T00:00:00Z"});
    let (status, created) = app.post("/v1/admin/ads/campaigns", Some(&su), campaign.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    conforms("AdCampaign", &created);
    assert_eq!(created["target"], json!({"kind": "tenants", "tenants": [tid]}));
    let cid = created["id"].as_str().unwrap().to_owned();
    let mut all = campaign;
    all.as_object_mut().unwrap().remove("tenants");
    let (status, updated) =
        app.call(Method::PUT, &format!("/v1/admin/ads/campaigns/{cid}"), Some(&su), Some(all)).await;
    assert_eq!(status, StatusCode::OK, "{updated}");
    assert_eq!(updated["target"], json!({"kind": "all_freemium"}));
    let (_, mut stats) = app.get(&format!("/v1/admin/ads/campaigns/{cid}"), &su).await;
    conforms("CampaignStats", &stats);
    // No freemium tenant saw it, so `daily` is empty: serde's form of a day's counts, checked as well.
    let day = chrono::NaiveDate::from_ymd_opt(2026, 3, 1).unwrap();
    let counts = tenantry_ports::store::AdCounts { impressions: 7, clicks: 1 };
    stats["daily"] = serde_json::to_value(vec![(day, counts)]).unwrap();
    conforms("CampaignStats", &stats);
    let (_, list) = app.get("/v1/admin/ads/campaigns", &su).await;
    assert_eq!(list.as_array().unwrap().len(), 1, "{list}");

    // Stray answers are refused: a field missing, a wrong enum value, an action by its Rust name.
    let mut broken = subscription.clone();
    broken.as_object_mut().unwrap().remove("status");
    assert!(!DOCUMENT.errors(&DOCUMENT.component("SubscriptionView"), &broken).is_empty());
    let mut broken = signed_up.clone();
    broken["token_type"] = json!("bearer");
    assert!(!DOCUMENT.errors(&DOCUMENT.component("SignedUpAnswer"), &broken).is_empty());
    let mut broken = page.clone();
    broken["events"][0]["action"] = json!("UserInvited");
    assert!(!DOCUMENT.errors(&DOCUMENT.component("AuditPage"), &broken).is_empty());
}
on_both!(real_answers_match_their_component_schemas);

async fn metrics_count_requests_by_route_template_and_status(app: TestApp) {
    let (tid, owner) = app.signup("metered").await;
    for _ in 0..3 {
        app.get(&format!("/v1/tenants/{tid}/users"), &owner).await;
    }
    app.get(&format!("/v1/tenants/{tid}/users/not-an-id"), &owner).await;
    // Invented methods are one `OTHER` series, however many there are.
    for i in 0..20 {
        let method = reqwest::Method::from_bytes(format!("INVENTED{i}").as_bytes()).unwrap();
        app.client.request(method, format!("{}/v1/tenants/{tid}/users", app.base)).send().await.unwrap();
    }
    // Only the scraper's token reads the metrics.
    let metrics = format!("{}/metrics", app.base);
    assert_eq!(app.client.get(&metrics).send().await.unwrap().status(), 401, "no token");
    let wrong = app.client.get(&metrics).bearer_auth("not the metrics token at all").send().await.unwrap();
    assert_eq!(wrong.status(), 401, "a wrong token");
    assert_eq!(app.client.get(&metrics).bearer_auth(&owner).send().await.unwrap().status(), 401, "a user's token");
    let text = app.client.get(&metrics).bearer_auth(support::METRICS_TOKEN).send().await.unwrap().text().await.unwrap();
    assert!(!text.contains("INVENTED"), "no invented method is a label");
    assert!(text.contains(r#"method="OTHER""#), "{text}");
    let users = text
        .lines()
        .find(|l| {
            l.starts_with("http_requests_total")
                && l.contains(r#"route="/v1/tenants/{tid}/users""#)
                && l.contains(r#"status="200""#)
        })
        .unwrap_or_else(|| panic!("no users counter in {text}"));
    let count: u64 = users.rsplit(' ').next().unwrap().parse().unwrap();
    assert!(count >= 3, "{users}");
    assert!(text.contains(r#"route="/v1/tenants/{tid}/users/{uid}""#) && text.contains(r#"status="404""#));
    assert!(text.contains("http_request_duration_seconds_bucket"), "a latency histogram");
    assert!(!text.contains(&tid), "no tenant id is a label");
}
on_both!(metrics_count_requests_by_route_template_and_status);

/// Authorisation by role, endpoint by endpoint: a viewer changes nothing, a
/// member neither manages users nor billing, an admin does both but cannot
/// transfer ownership; a refusal is 403 `forbidden` and leaves the tenant as it was.
async fn every_write_endpoint_refuses_the_roles_that_may_not_use_it(app: TestApp) {
    let (tid, owner) = app.signup("roles").await;
    let viewer = app.add_user(&tid, &owner, "vic@roles.example.com", "viewer").await;
    let member = app.add_user(&tid, &owner, "mel@roles.example.com", "member").await;
    let admin = app.add_user(&tid, &owner, "ada@roles.example.com", "admin").await;
    let (_, users) = app.get(&format!("/v1/tenants/{tid}/users"), &owner).await;
    let id_of = |email: &str| {
        users.as_array().unwrap().iter().find(|u| u["email"] == email).unwrap()["id"].as_str().unwrap().to_owned()
    };
    let mel = id_of("mel@roles.example.com");
    let ada = id_of("ada@roles.example.com");
    let t = |rest: &str| format!("/v1/tenants/{tid}{rest}");
    let writes: Vec<(Method, String, Value)> = vec![
        (Method::PATCH, t(""), json!({"name": "Renamed"})),
        (Method::PATCH, t(&format!("/users/{mel}")), json!({"role": "viewer"})),
        (Method::DELETE, t(&format!("/users/{mel}")), Value::Null),
        (Method::POST, t("/invitations"), json!({"email": "new@roles.example.com", "role": "member"})),
        (Method::POST, t("/roles"), json!({"name": "Approver", "permissions": ["users:read"]})),
        (Method::POST, t("/subscription/seats"), json!({"seats": 5})),
        (Method::POST, t("/subscription/plan"), json!({"plan": "standard", "interval": "month"})),
        (Method::POST, t("/subscription/cancel"), Value::Null),
        (Method::POST, t("/subscription/continue-free"), Value::Null),
        (Method::POST, t("/subscription/promotion-code/preview"), json!({"code": "SPRING20"})),
        (Method::POST, t("/subscription/promotion-code"), json!({"code": "SPRING20"})),
        (Method::POST, t("/billing/checkout"), Value::Null),
        (Method::POST, t("/billing/portal"), Value::Null),
        (Method::POST, t("/owner"), json!({"user_id": mel})),
    ];
    let (_, before) = app.get(&t("/users"), &owner).await;
    for token in [&viewer, &member] {
        for (method, path, body) in &writes {
            let body = (!body.is_null()).then(|| body.clone());
            let (status, answer) = app.call(method.clone(), path, Some(token), body).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{method} {path}: {answer}");
            assert_eq!(answer["code"], "forbidden");
        }
    }
    // An admin may manage users, but not take or give the ownership.
    let (status, answer) = app.post(&t("/owner"), Some(&admin), json!({"user_id": ada})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{answer}");
    let (_, after) = app.get(&t("/users"), &owner).await;
    assert_eq!(before, after, "the refusals changed nothing");
    let (status, answer) =
        app.call(Method::PATCH, &t(&format!("/users/{mel}")), Some(&admin), Some(json!({"role": "viewer"}))).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
}
on_both!(every_write_endpoint_refuses_the_roles_that_may_not_use_it);

/// API keys: shown once, stored hashed, one tenant and one built-in role each;
/// a key acts as its role and is audited as itself; revoked, it stops at once;
/// another tenant's paths answer 404 to it, and a made-up key 401.
async fn api_keys_act_as_their_role_in_their_tenant_only_until_revoked(app: TestApp) {
    let (tid, owner) = app.signup("keys").await;
    let (other, _) = app.signup("elsewhere").await;
    let t = |rest: &str| format!("/v1/tenants/{tid}{rest}");
    // owner role and custom roles are refused; a viewer key is made
    let (status, body) = app.post(&t("/api-keys"), Some(&owner), json!({"name": "root", "role": "owner"})).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_role")));
    let (status, issued) =
        app.post(&t("/api-keys"), Some(&owner), json!({"name": "reporting", "role": "viewer"})).await;
    assert_eq!(status, StatusCode::CREATED, "{issued}");
    let key = issued["secret"].as_str().unwrap().to_owned();
    assert!(key.starts_with("tkey_"));
    let kid = issued["key"]["id"].as_str().unwrap().to_owned();
    // listed without its secret
    let (_, listed) = app.get(&t("/api-keys"), &owner).await;
    assert!(!listed.to_string().contains(&key[key.len() - 20..]), "{listed}");
    assert_eq!(listed[0]["role"], "viewer");
    // it reads as a viewer, cannot write, and is audited as itself
    let (status, me) = app.get("/v1/me", &key).await;
    assert_eq!((status, me["api_key"]["role"].as_str()), (StatusCode::OK, Some("viewer")), "{me}");
    assert_eq!(app.get(&t("/users"), &key).await.0, StatusCode::OK);
    let (status, _) =
        app.post(&t("/invitations"), Some(&key), json!({"email": "x@keys.example.com", "role": "member"})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (_, log) = app.get(&t("/audit-events?limit=50"), &owner).await;
    let by_key = log["events"].as_array().unwrap().iter().any(|e| e["actor"] == json!({"kind": "api_key", "id": kid}));
    assert!(by_key, "the key's refusal is audited as the key: {log}");
    // another tenant: 404; a made-up key: 401; a refresh with a key: 401
    assert_eq!(app.get(&format!("/v1/tenants/{other}/users"), &key).await.0, StatusCode::NOT_FOUND);
    let forged = format!("{}{}", &key[..key.len() - 4], "AAAA");
    assert_eq!(app.get(&t("/users"), &forged).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(app.get(&t("/users"), "tkey_nonsense").await.0, StatusCode::UNAUTHORIZED);
    // revoked: it stops at once; revoking twice is a conflict
    let (status, _) = app.call(Method::DELETE, &t(&format!("/api-keys/{kid}")), Some(&owner), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(app.get(&t("/users"), &key).await.0, StatusCode::UNAUTHORIZED);
    let (status, body) = app.call(Method::DELETE, &t(&format!("/api-keys/{kid}")), Some(&owner), None).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::CONFLICT, Some("already_revoked")));
    // a member may not manage keys
    let member = app.add_user(&tid, &owner, "mel@keys.example.com", "member").await;
    let (status, _) = app.post(&t("/api-keys"), Some(&member), json!({"name": "mine", "role": "viewer"})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}
on_both!(api_keys_act_as_their_role_in_their_tenant_only_until_revoked);

/// A GDPR export over HTTP: queued (202) — asked again while it runs, the same
/// one (200) —, refused to a member and to another tenant, not ready until the
/// jobs ran, then a JSON archive without any secret, audited, and gone after
/// seven days.
async fn a_gdpr_export_is_produced_in_the_background_downloaded_without_secrets_and_expires(app: TestApp) {
    use secrecy::ExposeSecret;
    let (tid, owner) = app.signup("acme").await;
    let (other_tid, other_owner) = app.signup("umbrella").await;
    let member = app.add_user(&tid, &owner, "mia@acme.example.com", "member").await;
    // Secrets that must never reach the archive: an API key's text and the invitation link's token.
    let (status, key) =
        app.post(&format!("/v1/tenants/{tid}/api-keys"), Some(&owner), json!({"name": "ci", "role": "viewer"})).await;
    assert_eq!(status, StatusCode::CREATED, "{key}");
    let key_secret = key["secret"].as_str().unwrap().to_owned();
    let (status, _) = app
        .post(
            &format!("/v1/tenants/{tid}/invitations"),
            Some(&owner),
            json!({"email": "pending@acme.example.com", "role": "viewer"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let invitation_token = app.h.mailer.invitation_token("pending@acme.example.com").unwrap();

    let exports = format!("/v1/tenants/{tid}/exports");
    let (status, queued) = app.post(&exports, Some(&owner), json!({})).await;
    assert_eq!((status, queued["status"].as_str()), (StatusCode::ACCEPTED, Some("queued")), "{queued}");
    let eid = queued["id"].as_str().unwrap().to_owned();
    let (status, again) = app.post(&exports, Some(&owner), json!({})).await;
    assert_eq!((status, again["id"].as_str()), (StatusCode::OK, Some(eid.as_str())), "one export at a time");
    // A member may not; another tenant sees nothing of it.
    assert_eq!(app.post(&exports, Some(&member), json!({})).await.0, StatusCode::FORBIDDEN);
    for path in [exports.clone(), format!("{exports}/{eid}"), format!("{exports}/{eid}/download")] {
        assert_eq!(app.get(&path, &other_owner).await.0, StatusCode::NOT_FOUND, "{path}");
    }
    let foreign = format!("/v1/tenants/{other_tid}/exports/{eid}");
    assert_eq!(app.get(&foreign, &other_owner).await.0, StatusCode::NOT_FOUND);
    assert_eq!(app.get(&format!("{foreign}/download"), &other_owner).await.0, StatusCode::NOT_FOUND);
    let (status, problem) = app.get(&format!("{exports}/{eid}/download"), &owner).await;
    assert_eq!((status, problem["code"].as_str()), (StatusCode::CONFLICT, Some("export_not_ready")), "{problem}");

    // The scheduler runs the job.
    let tick = app.h.tick().await;
    assert_eq!((tick.jobs, tick.job_failures), (1, 0), "{tick:?}");
    let mailed: Vec<_> =
        app.h.mailer.sent_to("owner@acme.example.com").into_iter().map(|m| m.message.template()).collect();
    assert!(mailed.contains(&"export_ready"), "the requester is told: {mailed:?}");
    let (status, ready) = app.get(&format!("{exports}/{eid}"), &owner).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!((ready["status"].as_str(), ready["percent"].as_u64()), (Some("ready"), Some(100)), "{ready}");
    let response =
        app.client.get(format!("{}{exports}/{eid}/download", app.base)).bearer_auth(&owner).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let disposition = response.headers()["content-disposition"].to_str().unwrap().to_owned();
    assert!(disposition.starts_with("attachment; filename=\"tenantry-export-acme-"), "{disposition}");
    let text = response.text().await.unwrap();
    assert_eq!(ready["size_bytes"].as_u64(), Some(text.len() as u64));
    let (_, archive) = app.get(&format!("{exports}/{eid}/download"), &owner).await; // checked against its schema
    assert_eq!(archive["format"], "tenantry-export/1");
    assert_eq!(archive["tenant_id"], tid.as_str());
    let users: Vec<&str> =
        archive["sections"]["users"].as_array().unwrap().iter().map(|u| u["email"].as_str().unwrap()).collect();
    assert_eq!(users.len(), 2, "{users:?}");
    assert!(users.contains(&"mia@acme.example.com"));
    assert_eq!(archive["sections"]["api_keys"][0]["name"], "ci");
    assert_eq!(archive["sections"]["invitations"].as_array().map(Vec::len), Some(2));
    assert!(text.contains("data.export_requested"), "the audit log is in the archive");
    // No secret of any kind: no password hash, no key text or hash, no link token or hash.
    // `prefix_<tenant>_<object>_<secret>`: the store keeps the secret part's SHA-256.
    let hash_of = |token: &str| {
        let secret = token.split_once('_').unwrap().1.splitn(3, '_').nth(2).unwrap().to_owned();
        tenantry_domain::token::TokenHash::of(&SecretString::from(secret)).to_hex()
    };
    let (key_hash, token_hash) = (hash_of(&key_secret), hash_of(invitation_token.expose_secret()));
    for secret in [
        key_secret.as_str(),
        invitation_token.expose_secret(),
        PASSWORD,
        "$argon2",
        "password_hash",
        "secret_hash",
        "token_hash",
    ] {
        assert!(!text.contains(secret), "the archive contains {secret}");
    }
    for hash in [key_hash, token_hash] {
        assert!(!text.contains(&hash), "the archive contains a hash");
    }
    // Nothing of the other tenant.
    assert!(!text.contains(&other_tid) && !text.contains("umbrella"));
    // Audited: requested, ready, downloaded.
    let (_, log) = app.get(&format!("/v1/tenants/{tid}/audit-events?limit=100"), &owner).await;
    for action in ["data.export_requested", "data.export_ready", "data.export_downloaded"] {
        assert!(log.to_string().contains(action), "{action}: {log}");
    }
    // Seven days later the archive is gone.
    app.h.advance(Duration::days(7)).await;
    let owner = app.login("acme", "owner@acme.example.com").await;
    let (status, expired) = app.get(&format!("{exports}/{eid}"), &owner).await;
    assert_eq!((status, expired["status"].as_str()), (StatusCode::OK, Some("expired")), "{expired}");
    let (status, problem) = app.get(&format!("{exports}/{eid}/download"), &owner).await;
    assert_eq!((status, problem["code"].as_str()), (StatusCode::CONFLICT, Some("export_expired")), "{problem}");
    // A new one may be started.
    assert_eq!(app.post(&exports, Some(&owner), json!({})).await.0, StatusCode::ACCEPTED);
}
on_both!(a_gdpr_export_is_produced_in_the_background_downloaded_without_secrets_and_expires);

/// The owner's deletion request over HTTP: access ends at once for everyone
/// but the owner, who can still read the profile, take the data out (an
/// export) and cancel; cancelled, everything is back; not cancelled, the
/// tenant is purged after 30 days.
async fn the_owner_deletes_the_tenant_keeps_the_export_and_may_cancel_until_the_purge(app: TestApp) {
    let (tid, owner) = app.signup("leaving").await;
    let admin = app.add_user(&tid, &owner, "ada@leaving.example.com", "admin").await;
    let deletion = format!("/v1/tenants/{tid}/deletion");
    let (status, problem) = app.call(Method::DELETE, &deletion, Some(&owner), None).await;
    assert_eq!((status, problem["code"].as_str()), (StatusCode::CONFLICT, Some("no_deletion_to_cancel")), "{problem}");
    assert_eq!(app.call(Method::POST, &deletion, Some(&admin), None).await.0, StatusCode::FORBIDDEN, "owner only");
    assert_eq!(app.call(Method::POST, &deletion, Some(&owner), None).await.0, StatusCode::NO_CONTENT);
    let (status, problem) = app.call(Method::POST, &deletion, Some(&owner), None).await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    // Access ends for the others at once; the owner keeps the profile and the data.
    let (status, problem) = app.get(&format!("/v1/tenants/{tid}/users"), &admin).await;
    assert_eq!((status, problem["code"].as_str()), (StatusCode::FORBIDDEN, Some("tenant_inactive")), "{problem}");
    assert_eq!(app.get(&format!("/v1/tenants/{tid}"), &owner).await.0, StatusCode::OK);
    assert_eq!(app.get(&format!("/v1/tenants/{tid}/users"), &owner).await.0, StatusCode::FORBIDDEN);
    let (status, export) = app.post(&format!("/v1/tenants/{tid}/exports"), Some(&owner), json!({})).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{export}");
    app.h.tick().await;
    let download = format!("/v1/tenants/{tid}/exports/{}/download", export["id"].as_str().unwrap());
    assert_eq!(app.get(&download, &owner).await.0, StatusCode::OK);
    // Cancelled: everything is back.
    assert_eq!(app.call(Method::DELETE, &deletion, Some(&owner), None).await.0, StatusCode::NO_CONTENT);
    assert_eq!(app.get(&format!("/v1/tenants/{tid}/users"), &admin).await.0, StatusCode::OK);
    // Asked again and left: listed for the superuser, purged after the retention period.
    assert_eq!(app.call(Method::POST, &deletion, Some(&owner), None).await.0, StatusCode::NO_CONTENT);
    app.h.superuser("ops@platform.example.com").await.unwrap();
    let (_, tokens) =
        app.post("/v1/auth/login", None, json!({"email": "ops@platform.example.com", "password": PASSWORD})).await;
    let su = tokens["access_token"].as_str().unwrap().to_owned();
    let (status, jobs) = app.get("/v1/admin/jobs", &su).await;
    assert_eq!(status, StatusCode::OK, "{jobs}");
    let purges = jobs["pending_purges"].as_array().unwrap();
    assert_eq!(purges.len(), 1, "{jobs}");
    assert_eq!((purges[0]["tenant_id"].as_str(), purges[0]["slug"].as_str()), (Some(tid.as_str()), Some("leaving")));
    let requested = chrono::DateTime::parse_from_rfc3339(purges[0]["requested_at"].as_str().unwrap()).unwrap();
    let purge_at = chrono::DateTime::parse_from_rfc3339(purges[0]["purge_at"].as_str().unwrap()).unwrap();
    assert_eq!(purge_at - requested, Duration::days(30));
    assert_eq!(app.get("/v1/admin/jobs", &owner).await.0, StatusCode::NOT_FOUND, "a tenant user has no such path");
    app.h.advance_days(31).await;
    let (_, tokens) =
        app.post("/v1/auth/login", None, json!({"email": "ops@platform.example.com", "password": PASSWORD})).await;
    let su = tokens["access_token"].as_str().unwrap().to_owned();
    let (_, jobs) = app.get("/v1/admin/jobs", &su).await;
    assert_eq!(jobs["pending_purges"], json!([]), "purged: no longer pending");
    let (status, _) = app
        .post(
            "/v1/auth/login",
            None,
            json!({"tenant": "leaving", "email": "owner@leaving.example.com", "password": PASSWORD}),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "the tenant is gone");
}
on_both!(the_owner_deletes_the_tenant_keeps_the_export_and_may_cancel_until_the_purge);

/// A trial reminder whose mail failed for good is listed at `GET /v1/admin/jobs`
/// (the timer's change stood: its mail job failed) and the superuser retries
/// it: once (a second retry is a 409), never for a tenant user.
async fn a_reminder_mail_that_failed_for_good_is_listed_and_retried_by_the_superuser(app: TestApp) {
    let (tid, _) = app.signup("stuck").await;
    app.h.mailer.set_failing(true);
    app.h.advance_days(11).await;
    app.h.advance(Duration::hours(6)).await;
    app.h.superuser("ops@platform.example.com").await.unwrap();
    let (_, tokens) =
        app.post("/v1/auth/login", None, json!({"email": "ops@platform.example.com", "password": PASSWORD})).await;
    let su = tokens["access_token"].as_str().unwrap().to_owned();
    let (status, jobs) = app.get("/v1/admin/jobs", &su).await;
    assert_eq!(status, StatusCode::OK, "{jobs}");
    let failed = jobs["failed"].as_array().unwrap();
    assert_eq!(failed.len(), 1, "{jobs}");
    assert_eq!(
        (failed[0]["tenant_id"].as_str(), failed[0]["kind"]["kind"].as_str()),
        (Some(tid.as_str()), Some("mail"))
    );
    assert_eq!(jobs["failed_mails"][0]["template"], "trial_reminder", "{jobs}");
    assert_eq!(jobs["failed_mails"][0]["to"], "owner@stuck.example.com", "{jobs}");
    assert_eq!(jobs["failed_mails"][0]["job_id"], failed[0]["id"], "{jobs}");
    assert_eq!((failed[0]["attempts"].as_u64(), failed[0]["state"]["state"].as_str()), (Some(5), Some("failed")));
    let retry = format!("/v1/admin/tenants/{tid}/jobs/{}/retry", failed[0]["id"].as_str().unwrap());
    let (_, tokens) = app
        .post(
            "/v1/auth/login",
            None,
            json!({"tenant": "stuck", "email": "owner@stuck.example.com", "password": PASSWORD}),
        )
        .await;
    let owner = tokens["access_token"].as_str().unwrap().to_owned();
    assert_eq!(app.post(&retry, Some(&owner), json!({})).await.0, StatusCode::NOT_FOUND, "not for a tenant user");
    let unknown = format!("/v1/admin/tenants/{tid}/jobs/{}/retry", "01900000-0000-7000-8000-0000000000ff");
    let (status, problem) = app.post(&unknown, Some(&su), json!({})).await;
    assert_eq!((status, problem["code"].as_str()), (StatusCode::NOT_FOUND, Some("not_found")), "{problem}");
    let (status, problem) = app.post(&format!("/v1/admin/tenants/{tid}/jobs/nope/retry"), Some(&su), json!({})).await;
    assert!(status.is_client_error(), "{status} {problem}");
    app.h.mailer.set_failing(false);
    let (status, job) = app.post(&retry, Some(&su), json!({})).await;
    assert_eq!(
        (status, job["state"]["state"].as_str(), job["attempts"].as_u64()),
        (StatusCode::OK, Some("pending"), Some(0))
    );
    app.h.tick().await;
    let (_, jobs) = app.get("/v1/admin/jobs", &su).await;
    assert_eq!(jobs["failed"], json!([]), "{jobs}");
    let (status, problem) = app.post(&retry, Some(&su), json!({})).await;
    assert_eq!((status, problem["code"].as_str()), (StatusCode::CONFLICT, Some("job_not_failed")), "{problem}");
    let reminders = app.h.mailer.sent().iter().filter(|m| m.message.template() == "trial_reminder").count();
    assert_eq!(reminders, 1, "the reminder went out once, after the retry");
}
on_both!(a_reminder_mail_that_failed_for_good_is_listed_and_retried_by_the_superuser);

/// GDPR erasure over HTTP: refused to members, for the owner and for oneself;
/// the user becomes a pseudonym and can no longer log in; their data is gone
/// from the tenant's audit log and its exports; asked twice, 409.
async fn a_user_is_erased_and_no_answer_shows_them_again(app: TestApp) {
    let (tid, owner) = app.signup("forget").await;
    let member = app.add_user(&tid, &owner, "zoe.ziegler@forget.example.com", "member").await;
    let (_, me) = app.get("/v1/me", &member).await;
    let uid = me["user"]["id"].as_str().unwrap().to_owned();
    let (_, owner_me) = app.get("/v1/me", &owner).await;
    let owner_id = owner_me["user"]["id"].as_str().unwrap().to_owned();
    let erase = |id: &str| format!("/v1/tenants/{tid}/users/{id}/erase");
    assert_eq!(app.post(&erase(&uid), Some(&member), json!({})).await.0, StatusCode::FORBIDDEN);
    let (status, problem) = app.post(&erase(&owner_id), Some(&owner), json!({})).await;
    assert_eq!((status, problem["code"].as_str()), (StatusCode::CONFLICT, Some("cannot_target_self")), "{problem}");
    // An export made before the erasure holds the person; it is deleted with the erasure.
    let (_, export) = app.post(&format!("/v1/tenants/{tid}/exports"), Some(&owner), json!({})).await;
    app.h.tick().await;
    let download = format!("/v1/tenants/{tid}/exports/{}/download", export["id"].as_str().unwrap());
    let (status, archive) = app.get(&download, &owner).await;
    assert_eq!(status, StatusCode::OK);
    assert!(archive.to_string().contains("zoe.ziegler@forget.example.com"));

    let (status, erased) = app.post(&erase(&uid), Some(&owner), json!({})).await;
    assert_eq!(status, StatusCode::OK, "{erased}");
    assert_eq!(erased["email"].as_str(), Some(format!("erased-{}@erased.invalid", uid.replace('-', "")).as_str()));
    assert_eq!((erased["name"].as_str(), erased["status"].as_str()), (Some("Erased user"), Some("deactivated")));
    let (status, problem) = app.post(&erase(&uid), Some(&owner), json!({})).await;
    assert_eq!((status, problem["code"].as_str()), (StatusCode::CONFLICT, Some("already_erased")), "{problem}");
    // Their session ended; the address no longer logs in.
    assert_eq!(app.get("/v1/me", &member).await.0, StatusCode::UNAUTHORIZED);
    let login = json!({"tenant": "forget", "email": "zoe.ziegler@forget.example.com", "password": PASSWORD});
    assert_eq!(app.post("/v1/auth/login", None, login).await.0, StatusCode::UNAUTHORIZED);
    // Nothing the tenant's admins can read shows them any more.
    let (status, problem) = app.get(&download, &owner).await;
    assert_eq!((status, problem["code"].as_str()), (StatusCode::CONFLICT, Some("export_expired")), "{problem}");
    for path in ["/users", "/invitations?all=true", "/audit-events?limit=200"] {
        let (status, body) = app.get(&format!("/v1/tenants/{tid}{path}"), &owner).await;
        assert_eq!(status, StatusCode::OK);
        let text = body.to_string().to_lowercase();
        assert!(!text.contains("zoe") && !text.contains("ziegler"), "{path}: {body}");
    }
    let (_, log) = app.get(&format!("/v1/tenants/{tid}/audit-events?action=user.erased"), &owner).await;
    assert_eq!(log["events"][0]["target"]["id"], uid.as_str());
    // A new export is clean.
    let (_, export) = app.post(&format!("/v1/tenants/{tid}/exports"), Some(&owner), json!({})).await;
    app.h.tick().await;
    let (status, archive) =
        app.get(&format!("/v1/tenants/{tid}/exports/{}/download", export["id"].as_str().unwrap()), &owner).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!archive.to_string().to_lowercase().contains("zoe"), "{archive}");
}
on_both!(a_user_is_erased_and_no_answer_shows_them_again);

/// Password reset over HTTP: the same 202 for an unknown tenant, an unknown
/// address and a real one; only the real one gets a mail; the code sets the
/// password once, ends the old sessions and lifts a lock; a reused, expired,
/// tampered or malformed code changes nothing; weak passwords are refused.
/// The superuser can mail a link for support; a tenant owner cannot use that path.
async fn a_forgotten_password_is_reset_once_by_mail(app: TestApp) {
    use secrecy::ExposeSecret;
    let (tid, owner) = app.signup("resets").await;
    app.add_user(&tid, &owner, "rita@resets.example.com", "member").await;
    let old_session = app.login("resets", "rita@resets.example.com").await;
    // Lock the account with wrong passwords.
    for _ in 0..5 {
        let wrong =
            json!({"tenant": "resets", "email": "rita@resets.example.com", "password": "not the password at all"});
        assert_eq!(app.post("/v1/auth/login", None, wrong).await.0, StatusCode::UNAUTHORIZED);
    }
    let before = app.h.mailer.sent_to("rita@resets.example.com").len();
    for body in [
        json!({"tenant": "nowhere", "email": "rita@resets.example.com"}),
        json!({"tenant": "resets", "email": "nobody@resets.example.com"}),
        json!({"tenant": "resets", "email": "not an address"}),
        json!({"tenant": "resets", "email": "rita@resets.example.com"}),
    ] {
        let (status, answer) = app.post("/v1/auth/password-reset", None, body).await;
        assert_eq!((status, answer), (StatusCode::NO_CONTENT, Value::Null), "the same answer every time");
    }
    assert_eq!(app.h.mailer.sent_to("rita@resets.example.com").len(), before + 1, "one mail, to the real account");
    // Asking again within the minute mails nothing more (the same answer).
    let again = json!({"tenant": "resets", "email": "rita@resets.example.com"});
    assert_eq!(app.post("/v1/auth/password-reset", None, again).await.0, StatusCode::NO_CONTENT);
    assert_eq!(app.h.mailer.sent_to("rita@resets.example.com").len(), before + 1, "no flood");
    assert!(app.h.mailer.sent_to("nobody@resets.example.com").is_empty());
    let token = app.h.mailer.reset_token("rita@resets.example.com").unwrap();
    let confirm = |token: &str, password: &str| json!({"token": token, "password": password});
    let new_password = "a brand new passphrase 42";
    // Refusals change nothing.
    let (status, problem) =
        app.post("/v1/auth/password-reset/confirm", None, confirm(token.expose_secret(), "short")).await;
    assert_eq!((status, problem["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("weak_password")));
    let mut tampered = token.expose_secret().to_owned();
    tampered.pop();
    tampered.push(if token.expose_secret().ends_with('A') { 'B' } else { 'A' });
    for bad in [tampered.as_str(), "trst_garbage"] {
        let (status, problem) = app.post("/v1/auth/password-reset/confirm", None, confirm(bad, new_password)).await;
        assert_eq!(
            (status, problem["code"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_token")),
            "{bad}"
        );
    }
    // The code works once.
    let (status, _) =
        app.post("/v1/auth/password-reset/confirm", None, confirm(token.expose_secret(), new_password)).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, problem) =
        app.post("/v1/auth/password-reset/confirm", None, confirm(token.expose_secret(), new_password)).await;
    assert_eq!((status, problem["code"].as_str()), (StatusCode::CONFLICT, Some("token_used")));
    assert_eq!(app.get("/v1/me", &old_session).await.0, StatusCode::UNAUTHORIZED, "old sessions end");
    let login = |password: &str| json!({"tenant": "resets", "email": "rita@resets.example.com", "password": password});
    assert_eq!(app.post("/v1/auth/login", None, login(PASSWORD)).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(app.post("/v1/auth/login", None, login(new_password)).await.0, StatusCode::OK, "the lock is lifted");
    // A code older than an hour no longer works.
    app.h.clock.advance(Duration::minutes(1));
    app.post("/v1/auth/password-reset", None, json!({"tenant": "resets", "email": "rita@resets.example.com"})).await;
    let late = app.h.mailer.reset_token("rita@resets.example.com").unwrap();
    app.h.clock.advance(Duration::minutes(61));
    let (status, problem) = app
        .post("/v1/auth/password-reset/confirm", None, confirm(late.expose_secret(), "yet another passphrase 7"))
        .await;
    assert_eq!((status, problem["code"].as_str()), (StatusCode::CONFLICT, Some("token_expired")));
    // The superuser mails a link for support; the tenant's owner has no such path.
    let (_, rita) =
        app.get(&format!("/v1/tenants/{tid}/users"), &app.login("resets", "owner@resets.example.com").await).await;
    let uid = rita.as_array().unwrap().iter().find(|u| u["email"] == "rita@resets.example.com").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let support = format!("/v1/admin/tenants/{tid}/users/{uid}/password-reset");
    let owner = app.login("resets", "owner@resets.example.com").await;
    assert_eq!(app.post(&support, Some(&owner), json!({})).await.0, StatusCode::NOT_FOUND);
    app.h.superuser("ops@platform.example.com").await.unwrap();
    let (_, tokens) =
        app.post("/v1/auth/login", None, json!({"email": "ops@platform.example.com", "password": PASSWORD})).await;
    let su = tokens["access_token"].as_str().unwrap().to_owned();
    let before = app.h.mailer.sent_to("rita@resets.example.com").len();
    assert_eq!(app.post(&support, Some(&su), json!({})).await.0, StatusCode::NO_CONTENT);
    assert_eq!(app.h.mailer.sent_to("rita@resets.example.com").len(), before + 1);
    let (_, log) =
        app.get(&format!("/v1/tenants/{tid}/audit-events?action=auth.password_reset_requested"), &owner).await;
    assert_eq!(log["events"][0]["actor"]["kind"], "superuser", "{log}");
}
on_both!(a_forgotten_password_is_reset_once_by_mail);

/// E-mail verification: the owner gets a code at signup and proves the
/// address once; an invited user is verified by the invitation itself; a
/// resend is refused once verified; bad and reused codes change nothing.
async fn addresses_are_verified_by_mail_at_signup_and_by_the_invitation(app: TestApp) {
    use secrecy::ExposeSecret;
    let (tid, owner) = app.signup("proven").await;
    let (_, me) = app.get("/v1/me", &owner).await;
    assert_eq!(me["user"]["email_verified"], false, "{me}");
    let token = app.h.mailer.verification_token("owner@proven.example.com").expect("a code is mailed at signup");
    let (status, problem) = app.post("/v1/auth/verify-email", None, json!({"token": "tver_nonsense"})).await;
    assert_eq!((status, problem["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_token")));
    // A password-reset code is not a verification code (and the other way round).
    let (status, _) = app
        .post(
            "/v1/auth/password-reset/confirm",
            None,
            json!({"token": token.expose_secret(), "password": "whatever passphrase 9"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        app.post("/v1/auth/verify-email", None, json!({"token": token.expose_secret()})).await.0,
        StatusCode::NO_CONTENT
    );
    let (status, problem) = app.post("/v1/auth/verify-email", None, json!({"token": token.expose_secret()})).await;
    assert_eq!((status, problem["code"].as_str()), (StatusCode::CONFLICT, Some("token_used")));
    let (_, me) = app.get("/v1/me", &owner).await;
    assert_eq!(me["user"]["email_verified"], true, "{me}");
    let (status, problem) = app.post("/v1/me/email-verification", Some(&owner), json!({})).await;
    assert_eq!((status, problem["code"].as_str()), (StatusCode::CONFLICT, Some("already_verified")));
    // The invitation proves the invited address.
    let member = app.add_user(&tid, &owner, "vic@proven.example.com", "member").await;
    let (_, me) = app.get("/v1/me", &member).await;
    assert_eq!(me["user"]["email_verified"], true, "{me}");
    assert!(app.h.mailer.verification_token("vic@proven.example.com").is_none());
}
on_both!(addresses_are_verified_by_mail_at_signup_and_by_the_invitation);

/// Support impersonation: only the superuser starts it; it acts as the user
/// (reads, the user's own work) but never on billing, security or data rights;
/// every action shows the operator in the tenant's log; it ends at its time,
/// and at once when the operator's sessions end; it cannot be refreshed.
async fn the_superuser_impersonates_a_user_for_support_within_limits(app: TestApp) {
    let (tid, owner) = app.signup("helpme").await;
    let admin = app.add_user(&tid, &owner, "ada@helpme.example.com", "admin").await;
    let (_, me) = app.get("/v1/me", &admin).await;
    let uid = me["user"]["id"].as_str().unwrap().to_owned();
    let path = format!("/v1/admin/tenants/{tid}/impersonate");
    // A tenant admin on the platform path: it does not exist for them.
    assert_eq!(app.post(&path, Some(&admin), json!({"user_id": uid})).await.0, StatusCode::NOT_FOUND);
    app.h.superuser("ops@platform.example.com").await.unwrap();
    let (_, tokens) =
        app.post("/v1/auth/login", None, json!({"email": "ops@platform.example.com", "password": PASSWORD})).await;
    let su = tokens["access_token"].as_str().unwrap().to_owned();
    let (status, problem) = app.post(&path, Some(&su), json!({"user_id": uid, "minutes": 90})).await;
    assert_eq!((status, problem["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_minutes")));
    let (status, started) = app.post(&path, Some(&su), json!({"user_id": uid})).await;
    assert_eq!(status, StatusCode::CREATED, "{started}");
    assert_eq!((started["expires_in"].as_i64(), started["user"]["id"].as_str()), (Some(1800), Some(uid.as_str())));
    let acting = started["access_token"].as_str().unwrap().to_owned();
    // Bound to its tenant: another tenant's paths do not exist for it.
    let (other, _) = app.signup("elsewhere").await;
    for path in [format!("/v1/tenants/{other}"), format!("/v1/tenants/{other}/users")] {
        assert_eq!(app.get(&path, &acting).await.0, StatusCode::NOT_FOUND, "{path}");
    }
    // Reads and ordinary work, as the user.
    let (status, me) = app.get("/v1/me", &acting).await;
    assert_eq!((status, me["user"]["id"].as_str()), (StatusCode::OK, Some(uid.as_str())));
    assert_eq!(app.get(&format!("/v1/tenants/{tid}/users"), &acting).await.0, StatusCode::OK);
    assert_eq!(app.get(&format!("/v1/tenants/{tid}/subscription"), &acting).await.0, StatusCode::OK);
    // Never billing, security or data rights, although the user is an admin.
    let t = |rest: &str| format!("/v1/tenants/{tid}{rest}");
    for (method, path, body) in [
        (Method::POST, t("/subscription/seats"), Some(json!({"seats": 5}))),
        (Method::POST, t("/billing/portal"), Some(json!({}))),
        (Method::POST, t("/api-keys"), Some(json!({"name": "x", "role": "viewer"}))),
        (Method::POST, t("/invitations"), Some(json!({"email": "new@helpme.example.com", "role": "member"}))),
        (Method::PATCH, t(""), Some(json!({"name": "Renamed"}))),
        (Method::POST, t("/exports"), Some(json!({}))),
        (Method::POST, t("/roles"), Some(json!({"name": "R", "permissions": ["users:read"]}))),
    ] {
        let (status, problem) = app.call(method.clone(), &path, Some(&acting), body).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{method} {path}: {problem}");
    }
    // Refreshing is not possible; the tenant's log shows the operator behind the user.
    let (status, _) = app.post("/v1/auth/refresh", None, json!({"refresh_token": acting})).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (_, log) = app.get(&t("/audit-events?limit=200"), &owner).await;
    let events = log["events"].as_array().unwrap();
    assert!(
        events.iter().any(|e| e["action"] == "platform.impersonation_started" && e["target"]["id"] == uid.as_str())
    );
    assert!(events.iter().any(|e| e["actor"]["kind"] == "impersonation" && e["action"] == "access.denied"), "{log}");
    // Time-boxed: after 30 minutes the token no longer works.
    app.h.clock.advance(Duration::minutes(30));
    assert_eq!(app.get("/v1/me", &acting).await.0, StatusCode::UNAUTHORIZED);
    // It is a recorded session: its logout ends it at once, before its time.
    let (_, tokens) =
        app.post("/v1/auth/login", None, json!({"email": "ops@platform.example.com", "password": PASSWORD})).await;
    let su = tokens["access_token"].as_str().unwrap().to_owned();
    let (_, started) = app.post(&path, Some(&su), json!({"user_id": uid, "minutes": 5})).await;
    let acting = started["access_token"].as_str().unwrap().to_owned();
    assert_eq!(app.get("/v1/me", &acting).await.0, StatusCode::OK);
    assert_eq!(app.post("/v1/auth/logout", Some(&acting), json!({})).await.0, StatusCode::NO_CONTENT);
    assert_eq!(app.get("/v1/me", &acting).await.0, StatusCode::UNAUTHORIZED);
    // And it ends with the operator's "sign out everywhere".
    let (_, started) = app.post(&path, Some(&su), json!({"user_id": uid, "minutes": 5})).await;
    let acting = started["access_token"].as_str().unwrap().to_owned();
    assert_eq!(app.get("/v1/me", &acting).await.0, StatusCode::OK);
    assert_eq!(app.call(Method::DELETE, "/v1/me/sessions", Some(&su), None).await.0, StatusCode::NO_CONTENT);
    assert_eq!(app.get("/v1/me", &acting).await.0, StatusCode::UNAUTHORIZED);
}
on_both!(the_superuser_impersonates_a_user_for_support_within_limits);

/// The superuser's encrypted backup and its restore over HTTP: the archive is
/// answered as bytes (no tenant user may ask for it), uploaded back as a clone
/// under a new slug (whose owner logs in with the same password), and a
/// tampered or mismatched upload is refused as problem+json, writing nothing.
async fn the_superuser_backs_a_tenant_up_and_restores_it_as_a_clone(app: TestApp) {
    let (tid, owner) = app.signup("vault").await;
    app.add_user(&tid, &owner, "ada@vault.example.com", "member").await;
    let backup_path = format!("/v1/admin/tenants/{tid}/backups");
    assert_eq!(app.post(&backup_path, Some(&owner), json!({})).await.0, StatusCode::NOT_FOUND);
    app.h.superuser("ops@platform.example.com").await.unwrap();
    let (_, tokens) =
        app.post("/v1/auth/login", None, json!({"email": "ops@platform.example.com", "password": PASSWORD})).await;
    let su = tokens["access_token"].as_str().unwrap().to_owned();
    let response = app.client.post(format!("{}{backup_path}", app.base)).bearer_auth(&su).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "application/octet-stream");
    let disposition = response.headers()["content-disposition"].to_str().unwrap().to_owned();
    assert!(disposition.starts_with("attachment; filename=\"tenantry-backup-vault-"), "{disposition}");
    let archive = response.bytes().await.unwrap().to_vec();
    assert!(archive.starts_with(b"TNTRYBAK"));
    assert!(!String::from_utf8_lossy(&archive).contains("ada@vault"), "the archive is encrypted");

    let upload = |query: &str, bytes: Vec<u8>| {
        let url = format!("{}/v1/admin/tenants/{tid}/restore{query}", app.base);
        let request = app.client.post(url).bearer_auth(&su).header("content-type", "application/octet-stream");
        async move {
            let response = request.body(bytes).send().await.unwrap();
            let status = response.status();
            let content_type = response.headers()["content-type"].to_str().unwrap().to_owned();
            let body: Value = response.json().await.unwrap();
            (status, content_type, body)
        }
    };
    let mut tampered = archive.clone();
    let middle = tampered.len() / 2;
    tampered[middle] ^= 1;
    for (query, bytes, code) in [
        ("?mode=clone&slug=vault-copy", tampered, "backup_tampered"),
        ("?mode=clone&slug=vault-copy", archive[..40].to_vec(), "backup_truncated"),
        ("?mode=clone&slug=vault-copy", b"hello".to_vec(), "not_a_backup"),
        ("?mode=clone", archive.clone(), "invalid_query"),
        ("?mode=other", archive.clone(), "invalid_query"),
        ("?mode=clone&slug=vault", archive.clone(), "slug_taken"),
    ] {
        let (status, content_type, problem) = upload(query, bytes).await;
        assert!(status.is_client_error(), "{query}: {status} {problem}");
        assert_eq!((content_type.as_str(), problem["code"].as_str()), ("application/problem+json", Some(code)));
    }
    let (other, _) = app.signup("stranger").await;
    let url = format!("{}/v1/admin/tenants/{other}/restore", app.base);
    let response = app.client.post(url).bearer_auth(&su).body(archive.clone()).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let problem: Value = response.json().await.unwrap();
    assert_eq!(problem["code"], "backup_foreign_tenant");
    // A tenant user cannot restore.
    let url = format!("{}/v1/admin/tenants/{tid}/restore", app.base);
    let response = app.client.post(url).bearer_auth(&owner).body(archive.clone()).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);

    let (status, _, restored) = upload("?mode=clone&slug=vault-copy", archive.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{restored}");
    let errors = DOCUMENT.errors(
        &DOCUMENT.answer("POST", &format!("/v1/admin/tenants/{tid}/restore"), 201).unwrap().unwrap(),
        &restored,
    );
    assert!(errors.is_empty(), "{errors:#?}");
    assert_eq!((restored["mode"].as_str(), restored["tenant"]["slug"].as_str()), (Some("clone"), Some("vault-copy")));
    assert_ne!(restored["tenant"]["id"].as_str(), Some(tid.as_str()));
    // A clone holds no credentials: the answer says so, the old password opens nothing, a reset link does.
    assert_eq!(restored["credentials"]["passwords_reset"], 2, "{restored}");
    assert!(restored["note"].as_str().unwrap().contains("reset link"), "{restored}");
    let login = json!({"tenant": "vault-copy", "email": "ada@vault.example.com", "password": PASSWORD});
    let (status, refused) = app.post("/v1/auth/login", None, login.clone()).await;
    assert_eq!((status, refused["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("invalid_credentials")));
    let reset = json!({"tenant": "vault-copy", "email": "ada@vault.example.com"});
    assert_eq!(app.post("/v1/auth/password-reset", None, reset).await.0, StatusCode::NO_CONTENT);
    let token = app.h.mailer.reset_token("ada@vault.example.com").unwrap();
    let confirm = json!({"token": secrecy::ExposeSecret::expose_secret(&token), "password": PASSWORD});
    assert_eq!(app.post("/v1/auth/password-reset/confirm", None, confirm).await.0, StatusCode::NO_CONTENT);
    let (status, tokens) = app.post("/v1/auth/login", None, login).await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    // The same-id restore of the untouched tenant ends every session of it; the trail in the platform log.
    let (status, _, restored) = upload("", archive).await;
    assert_eq!((status, restored["mode"].as_str()), (StatusCode::CREATED, Some("same_id")));
    assert_eq!(restored["credentials"]["sessions_ended"], 2, "{restored}");
    assert_eq!(app.get(&format!("/v1/tenants/{tid}"), &owner).await.0, StatusCode::UNAUTHORIZED);
    app.login("vault", "owner@vault.example.com").await;
    let (_, log) = app.get("/v1/admin/audit-events?limit=200", &su).await;
    let actions: Vec<&str> = log["events"].as_array().unwrap().iter().filter_map(|e| e["action"].as_str()).collect();
    assert!(actions.contains(&"tenant.backed_up") && actions.contains(&"tenant.restored"), "{actions:?}");
}
on_both!(the_superuser_backs_a_tenant_up_and_restores_it_as_a_clone);

/// Two-factor authentication over HTTP: enrolment at `/v1/me/mfa`, a login
/// that answers `{mfa_required, mfa_token}`, the second step at `/v1/auth/mfa`
/// (the `mfa_token` opens nothing else), and the superuser's settings making
/// 2FA mandatory for a role.
async fn two_factor_logins_and_the_platform_settings(app: TestApp) {
    use secrecy::ExposeSecret;
    use tenantry_domain::mfa::{TotpSecret, code_at};
    let (tid, owner) = app.signup("otp").await;
    let (status, started) = app.post("/v1/me/mfa", Some(&owner), json!({"password": PASSWORD})).await;
    assert_eq!(status, StatusCode::CREATED, "{started}");
    let secret = TotpSecret::from_base32(started["secret"].as_str().unwrap()).unwrap();
    let code = |app: &TestApp| code_at(&secret, app.h.clock_now()).unwrap().expose_secret().to_owned();
    let (status, problem) = app.post("/v1/me/mfa/confirm", Some(&owner), json!({"code": "12345"})).await;
    assert_eq!((status, problem["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_code")));
    let (status, codes) = app.post("/v1/me/mfa/confirm", Some(&owner), json!({"code": code(&app)})).await;
    assert_eq!((status, codes["recovery_codes"].as_array().map(Vec::len)), (StatusCode::OK, Some(10)));
    let (_, me) = app.get("/v1/me/mfa", &owner).await;
    assert_eq!((me["enabled"].as_bool(), me["recovery_codes_remaining"].as_u64()), (Some(true), Some(10)));

    let credentials = json!({"tenant": "otp", "email": "owner@otp.example.com", "password": PASSWORD});
    let (status, challenge) = app.post("/v1/auth/login", None, credentials.clone()).await;
    assert_eq!((status, challenge["mfa_required"].as_bool()), (StatusCode::OK, Some(true)), "{challenge}");
    assert!(challenge.get("access_token").is_none());
    let mfa_token = challenge["mfa_token"].as_str().unwrap().to_owned();
    // The mfa token opens nothing else.
    assert_eq!(app.get("/v1/me", &mfa_token).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(app.get(&format!("/v1/tenants/{tid}"), &mfa_token).await.0, StatusCode::UNAUTHORIZED);
    let (status, problem) = app.post("/v1/auth/mfa", None, json!({"mfa_token": mfa_token, "code": "000000"})).await;
    assert_eq!((status, problem["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("wrong_mfa_code")));
    app.h.clock.advance(Duration::seconds(30));
    let (status, tokens) = app.post("/v1/auth/mfa", None, json!({"mfa_token": mfa_token, "code": code(&app)})).await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    let access = tokens["access_token"].as_str().unwrap().to_owned();
    assert_eq!(app.get(&format!("/v1/tenants/{tid}"), &access).await.0, StatusCode::OK);
    // The mfa token expires after five minutes.
    app.h.clock.advance(Duration::minutes(5));
    let (status, _) = app.post("/v1/auth/mfa", None, json!({"mfa_token": mfa_token, "code": code(&app)})).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // The superuser's settings: a tenant user cannot see them; mandatory 2FA for members.
    assert_eq!(app.get("/v1/admin/settings", &access).await.0, StatusCode::NOT_FOUND);
    app.h.superuser("ops@platform.example.com").await.unwrap();
    let (_, su) =
        app.post("/v1/auth/login", None, json!({"email": "ops@platform.example.com", "password": PASSWORD})).await;
    let su = su["access_token"].as_str().unwrap().to_owned();
    let (status, settings) = app.get("/v1/admin/settings", &su).await;
    assert_eq!((status, settings["password"]["min_chars"].as_u64()), (StatusCode::OK, Some(12)));
    let member = app.add_user(&tid, &access, "m@otp.example.com", "member").await;
    let patch = json!({"mfa": {"required_roles": ["member"]}});
    let (status, problem) =
        app.call(Method::PATCH, "/v1/admin/settings", Some(&su), Some(json!({"password": {"min_chars": 3}}))).await;
    assert_eq!((status, problem["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_settings")));
    let (status, settings) = app.call(Method::PATCH, "/v1/admin/settings", Some(&su), Some(patch)).await;
    assert_eq!((status, settings["mfa"]["required_roles"][0].as_str()), (StatusCode::OK, Some("member")), "{settings}");
    let (status, problem) = app.get(&format!("/v1/tenants/{tid}/users"), &member).await;
    assert_eq!((status, problem["code"].as_str()), (StatusCode::FORBIDDEN, Some("mfa_enrolment_required")));
    let (_, status_body) = app.get("/v1/me/mfa", &member).await;
    assert_eq!((status_body["required"].as_bool(), status_body["enabled"].as_bool()), (Some(true), Some(false)));
    assert_eq!(app.get(&format!("/v1/tenants/{tid}/users"), &access).await.0, StatusCode::OK);
}
on_both!(two_factor_logins_and_the_platform_settings);

/// Issue 18: every login is a session. The caller lists theirs (the current
/// one marked, with its client and network), ends one (its access and refresh
/// tokens stop, the others hold); refresh tokens rotate, and a spent one used
/// again ends its whole session — the thief's copy and the newer token alike —
/// and is audited. The superuser's sessions behave the same.
async fn sessions_are_listed_and_ended_and_refresh_tokens_rotate(app: TestApp) {
    let (tid, owner) = app.signup("sessions").await;
    app.add_user(&tid, &owner, "sam@sessions.example.com", "member").await;
    let login = |agent: &'static str| {
        let request = app
            .client
            .post(format!("{}/v1/auth/login", app.base))
            .header("user-agent", agent)
            .json(&json!({"tenant": "sessions", "email": "sam@sessions.example.com", "password": PASSWORD}));
        async move { request.send().await.unwrap().json::<Value>().await.unwrap() }
    };
    let laptop = login("Laptop/1.0").await;
    let phone = login("Phone/2.0").await;
    let laptop_access = laptop["access_token"].as_str().unwrap().to_owned();
    let phone_access = phone["access_token"].as_str().unwrap().to_owned();
    let (status, list) = app.get("/v1/me/sessions", &laptop_access).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    let list = list.as_array().unwrap().clone();
    assert_eq!(list.len(), 3, "the invitation's, the laptop's and the phone's: {list:?}");
    let current: Vec<&Value> = list.iter().filter(|s| s["current"] == true).collect();
    assert_eq!(current.len(), 1);
    assert_eq!(
        (current[0]["user_agent"].as_str(), current[0]["address"].as_str()),
        (Some("Laptop/1.0"), Some("127.0.0.0/24"))
    );
    let phone_id = list.iter().find(|s| s["user_agent"] == "Phone/2.0").unwrap()["id"].as_str().unwrap().to_owned();

    // Ending the phone's session: its tokens stop, the laptop's hold; another's id is 404.
    let (status, _) =
        app.call(Method::DELETE, &format!("/v1/me/sessions/{phone_id}"), Some(&laptop_access), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(app.get("/v1/me", &phone_access).await.0, StatusCode::UNAUTHORIZED);
    let (status, _) = app.post("/v1/auth/refresh", None, json!({"refresh_token": phone["refresh_token"]})).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(app.get("/v1/me", &laptop_access).await.0, StatusCode::OK);
    let (_, owners) = app.get("/v1/me/sessions", &owner).await;
    let owners_own = owners[0]["id"].as_str().unwrap().to_owned();
    let (status, _) =
        app.call(Method::DELETE, &format!("/v1/me/sessions/{owners_own}"), Some(&laptop_access), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "another user's session is not the caller's");
    assert_eq!(app.get("/v1/me", &owner).await.0, StatusCode::OK);

    // Rotation: each refresh answers the next token; the spent one again ends the session.
    let first = laptop["refresh_token"].as_str().unwrap().to_owned();
    let (status, second) = app.post("/v1/auth/refresh", None, json!({"refresh_token": first})).await;
    assert_eq!(status, StatusCode::OK, "{second}");
    let (status, third) = app.post("/v1/auth/refresh", None, json!({"refresh_token": second["refresh_token"]})).await;
    assert_eq!(status, StatusCode::OK, "{third}");
    let (status, reused) = app.post("/v1/auth/refresh", None, json!({"refresh_token": first})).await;
    assert_eq!((status, reused["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("refresh_token_reused")));
    let (status, _) = app.post("/v1/auth/refresh", None, json!({"refresh_token": third["refresh_token"]})).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "the newest token of the session is dead too");
    assert_eq!(app.get("/v1/me", third["access_token"].as_str().unwrap()).await.0, StatusCode::UNAUTHORIZED);
    let (_, log) = app.get(&format!("/v1/tenants/{tid}/audit-events?action=session.refresh_reused"), &owner).await;
    assert_eq!(log["events"].as_array().unwrap().len(), 1, "{log}");

    // The superuser's sessions too.
    app.h.superuser("ops@sessions.example.com").await.unwrap();
    let (_, su) =
        app.post("/v1/auth/login", None, json!({"email": "ops@sessions.example.com", "password": PASSWORD})).await;
    let su_refresh = su["refresh_token"].as_str().unwrap().to_owned();
    let (status, renewed) = app.post("/v1/auth/refresh", None, json!({"refresh_token": su_refresh})).await;
    assert_eq!(status, StatusCode::OK, "{renewed}");
    let (_, mine) = app.get("/v1/me/sessions", renewed["access_token"].as_str().unwrap()).await;
    // The harness signed in once itself; this login is the other session, and the current one.
    let mine = mine.as_array().unwrap();
    assert_eq!(mine.len(), 2, "{mine:?}");
    assert_eq!(mine.iter().filter(|s| s["current"] == json!(true)).count(), 1, "{mine:?}");
    let (status, reused) = app.post("/v1/auth/refresh", None, json!({"refresh_token": su_refresh})).await;
    assert_eq!((status, reused["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("refresh_token_reused")));
    assert_eq!(app.get("/v1/admin/stats", renewed["access_token"].as_str().unwrap()).await.0, StatusCode::UNAUTHORIZED);
}
on_both!(sessions_are_listed_and_ended_and_refresh_tokens_rotate);

/// Issue 18: the superuser's second factor over the API. Created without one,
/// the superuser's tokens open nothing but their own account until they enrol
/// (with their password); then a login takes a code, each code works once, and
/// the superuser can remove a tenant user's second factor, audited.
async fn the_superuser_enrols_in_two_factor_before_anything_else_and_codes_work_once(app: TestApp) {
    use tenantry_domain::mfa::{TotpSecret, code_at};
    let (tid, owner) = app.signup("guarded").await;
    let input = tenantry_ports::services::auth::NewSuperuser {
        email: "fresh@platform.example.com".into(),
        name: "Fresh".into(),
        password: secrecy::SecretString::from(PASSWORD),
        totp_secret: None,
    };
    app.h.tenantry.create_superuser(app.h.operator.as_ref(), input).await.unwrap();
    let login = json!({"email": "fresh@platform.example.com", "password": PASSWORD});
    let (status, tokens) = app.post("/v1/auth/login", None, login.clone()).await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    let su = tokens["access_token"].as_str().unwrap().to_owned();
    let (status, refused) = app.get("/v1/admin/stats", &su).await;
    assert_eq!((status, refused["code"].as_str()), (StatusCode::FORBIDDEN, Some("mfa_enrolment_required")));
    let (status, _) = app.get(&format!("/v1/admin/tenants/{tid}"), &su).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, mfa) = app.get("/v1/me/mfa", &su).await;
    assert_eq!((status, &mfa["required"], &mfa["enabled"]), (StatusCode::OK, &json!(true), &json!(false)));
    // Enrolment needs the password.
    let (status, wrong) = app.post("/v1/me/mfa", Some(&su), json!({"password": "not the password at all"})).await;
    assert_eq!((status, wrong["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("wrong_password")));
    let (status, started) = app.post("/v1/me/mfa", Some(&su), json!({"password": PASSWORD})).await;
    assert_eq!(status, StatusCode::CREATED, "{started}");
    let secret = TotpSecret::from_base32(started["secret"].as_str().unwrap()).unwrap();
    let code = |at| secrecy::ExposeSecret::expose_secret(&code_at(&secret, at).unwrap()).to_owned();
    let (status, codes) = app.post("/v1/me/mfa/confirm", Some(&su), json!({"code": code(app.h.clock_now())})).await;
    assert_eq!(status, StatusCode::OK, "{codes}");
    assert_eq!(codes["recovery_codes"].as_array().unwrap().len(), 10);
    assert_eq!(app.get("/v1/admin/stats", &su).await.0, StatusCode::OK, "enrolled: the platform opens");
    // The next login takes a code; the same code works once.
    app.h.clock.advance(Duration::seconds(30));
    let (status, challenge) = app.post("/v1/auth/login", None, login.clone()).await;
    assert_eq!((status, &challenge["mfa_required"]), (StatusCode::OK, &json!(true)), "{challenge}");
    let mfa_token = challenge["mfa_token"].as_str().unwrap().to_owned();
    let now_code = code(app.h.clock_now());
    let (status, done) = app.post("/v1/auth/mfa", None, json!({"mfa_token": mfa_token, "code": now_code})).await;
    assert_eq!(status, StatusCode::OK, "{done}");
    let su = done["access_token"].as_str().unwrap().to_owned();
    let (status, again) = app.post("/v1/auth/mfa", None, json!({"mfa_token": mfa_token, "code": now_code})).await;
    assert_eq!((status, again["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("wrong_mfa_code")));
    // A superuser's second factor is not turned off over the API.
    let off = json!({"password": PASSWORD, "code": code(app.h.clock_now() + Duration::seconds(30))});
    let (status, body) = app.call(Method::DELETE, "/v1/me/mfa", Some(&su), Some(off)).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::CONFLICT, Some("mfa_required")));

    // The owner enrols; the superuser removes it (a lost phone), audited; the owner's sessions end.
    let (_, started) = app.post("/v1/me/mfa", Some(&owner), json!({"password": PASSWORD})).await;
    let owner_secret = TotpSecret::from_base32(started["secret"].as_str().unwrap()).unwrap();
    let owner_code =
        secrecy::ExposeSecret::expose_secret(&code_at(&owner_secret, app.h.clock_now()).unwrap()).to_owned();
    let (status, _) = app.post("/v1/me/mfa/confirm", Some(&owner), json!({"code": owner_code})).await;
    assert_eq!(status, StatusCode::OK);
    let (_, me) = app.get("/v1/me", &owner).await;
    let owner_id = me["user"]["id"].as_str().unwrap().to_owned();
    let path = format!("/v1/admin/tenants/{tid}/users/{owner_id}/mfa");
    let (status, _) = app.call(Method::DELETE, &path, Some(&owner), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "a tenant user cannot use the platform's reset");
    let (status, _) = app.call(Method::DELETE, &path, Some(&su), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(app.get("/v1/me", &owner).await.0, StatusCode::UNAUTHORIZED, "the owner's sessions ended");
    let (status, body) = app.call(Method::DELETE, &path, Some(&su), None).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::CONFLICT, Some("mfa_not_enabled")));
    let (_, log) = app.get(&format!("/v1/admin/audit-events?tenant_id={tid}&action=auth.mfa_reset"), &su).await;
    // In the tenant's log and the platform's.
    assert_eq!(log["events"].as_array().map(Vec::len), Some(2), "{log}");
}
on_both!(the_superuser_enrols_in_two_factor_before_anything_else_and_codes_work_once, app_with_superuser_mfa);

/// Issue 20 over HTTP: the mail that answered 503 without a mail server now
/// answers 204 and waits in the outbox; each person's mail preferences
/// (`/v1/me/notifications`; an API key has none); a broadcast previewed and
/// sent by the superuser (a tenant user gets 404) reaches the opted-in
/// people; its link unsubscribes without a token of the API, a forged one is
/// 422 `invalid_link`. Every answer is checked against the OpenAPI document.
async fn mail_never_fails_a_request_and_preferences_and_broadcasts_work_over_http(app: TestApp) {
    let (tid, owner) = app.signup("mailbox").await;
    let member = app.add_user(&tid, &owner, "keen@mailbox.example.com", "member").await;
    app.h.superuser("ops@platform.example.com").await.unwrap();
    let (_, tokens) =
        app.post("/v1/auth/login", None, json!({"email": "ops@platform.example.com", "password": PASSWORD})).await;
    let su = tokens["access_token"].as_str().unwrap().to_owned();

    // The mail server is down: the operations that answered 503 answer 204; their mails wait.
    app.h.mailer.set_failing(true);
    let (status, body) = app.post("/v1/me/email-verification", Some(&owner), json!({})).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (_, users) = app.get(&format!("/v1/tenants/{tid}/users"), &owner).await;
    let keen = users.as_array().unwrap().iter().find(|u| u["email"] == "keen@mailbox.example.com").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let reset = format!("/v1/admin/tenants/{tid}/users/{keen}/password-reset");
    let (status, body) = app.post(&reset, Some(&su), json!({})).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (status, issued) = app
        .post(
            &format!("/v1/tenants/{tid}/invitations"),
            Some(&owner),
            json!({"email": "late@mailbox.example.com", "role": "member"}),
        )
        .await;
    assert_eq!((status, issued["mailed"].as_bool()), (StatusCode::CREATED, Some(false)), "{issued}");
    app.h.mailer.set_failing(false);
    app.h.clock.advance(Duration::minutes(1));
    app.h.tenantry.run_due_jobs(100).await.unwrap();
    assert_eq!(app.h.mailer.count("owner@mailbox.example.com", "verify_email"), 2, "the signup's and the resent one");
    assert_eq!(app.h.mailer.count("keen@mailbox.example.com", "password_reset"), 1);
    assert_eq!(app.h.mailer.count("late@mailbox.example.com", "invitation"), 1);

    // Preferences: the member's, the owner's; an unknown field is refused.
    let (status, prefs) = app.get("/v1/me/notifications", &member).await;
    assert_eq!(status, StatusCode::OK, "{prefs}");
    assert_eq!(
        (prefs["billing"].as_bool(), prefs["product_updates"].as_bool(), prefs["receives_billing"].as_bool()),
        (Some(true), Some(false), Some(false))
    );
    let (status, prefs) =
        app.call(Method::PATCH, "/v1/me/notifications", Some(&member), Some(json!({"product_updates": true}))).await;
    assert_eq!((status, prefs["product_updates"].as_bool()), (StatusCode::OK, Some(true)), "{prefs}");
    let (status, problem) =
        app.call(Method::PATCH, "/v1/me/notifications", Some(&member), Some(json!({"newsletter": true}))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    let (status, _) = app
        .call(
            Method::PATCH,
            &format!("/v1/tenants/{tid}"),
            Some(&owner),
            Some(json!({"notifications": {"billing_emails": true, "product_updates": true}})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, prefs) = app.get("/v1/me/notifications", &member).await;
    assert_eq!((status, prefs["tenant_product_updates"].as_bool()), (StatusCode::OK, Some(true)), "{prefs}");

    // The broadcast: only the superuser; previewed, then queued; it reaches the member alone.
    let draft = json!({"subject": "What is new", "body": "One.\n\nTwo."});
    let (status, _) = app.post("/v1/admin/broadcasts/preview", Some(&owner), draft.clone()).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "not for a tenant user");
    let (status, problem) = app.post("/v1/admin/broadcasts", Some(&su), json!({"subject": "a\nb", "body": "x"})).await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_subject")),
        "{problem}"
    );
    let (status, preview) = app.post("/v1/admin/broadcasts/preview", Some(&su), draft.clone()).await;
    assert_eq!(
        (status, preview["recipients"].as_u64(), preview["tenants"].as_u64()),
        (StatusCode::OK, Some(1), Some(1)),
        "{preview}"
    );
    assert!(preview["text"].as_str().unwrap().contains("One.\n\nTwo."), "{preview}");
    let (status, sent) = app.post("/v1/admin/broadcasts", Some(&su), draft).await;
    assert_eq!((status, sent["recipients"].as_u64()), (StatusCode::ACCEPTED, Some(1)), "{sent}");
    app.h.clock.advance(Duration::minutes(1));
    app.h.tenantry.run_due_jobs(100).await.unwrap();
    assert_eq!(app.h.mailer.count("keen@mailbox.example.com", "product_update"), 1);
    assert_eq!(app.h.mailer.count("owner@mailbox.example.com", "product_update"), 0, "the owner did not opt in");

    // The link: a forged one is refused and changes nothing; the real one needs no login.
    let token = app
        .h
        .mailer
        .sent_to("keen@mailbox.example.com")
        .into_iter()
        .find_map(|m| match m.message {
            tenantry_ports::system::Message::ProductUpdate { unsubscribe, .. } => {
                Some(secrecy::ExposeSecret::expose_secret(&unsubscribe).to_owned())
            }
            _ => None,
        })
        .unwrap();
    let (status, problem) = app.post("/v1/unsubscribe", None, json!({"token": format!("{token}A")})).await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_link")),
        "{problem}"
    );
    let (_, prefs) = app.get("/v1/me/notifications", &member).await;
    assert_eq!(prefs["product_updates"].as_bool(), Some(true));
    let (status, _) = app.post("/v1/unsubscribe", None, json!({"token": token})).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, prefs) = app.get("/v1/me/notifications", &member).await;
    assert_eq!(prefs["product_updates"].as_bool(), Some(false));

    // An API key is no person: it has no mail preferences.
    let (status, key) =
        app.post(&format!("/v1/tenants/{tid}/api-keys"), Some(&owner), json!({"name": "CI", "role": "member"})).await;
    assert_eq!(status, StatusCode::CREATED, "{key}");
    let (status, _) = app.get("/v1/me/notifications", key["secret"].as_str().unwrap()).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
on_both!(mail_never_fails_a_request_and_preferences_and_broadcasts_work_over_http);

/// Under the `required` trial policy: signup answers 201 with the tenant
/// `pending_payment_method` and a setup Checkout; every tenant operation the
/// document lists then fails — 403 `payment_method_required` wherever the
/// request reaches its use case — except reading the tenant and its
/// subscription and starting a Checkout; once the simulator's Checkout is
/// completed the same token works, and the trial has started with the yearly
/// interval chosen at signup.
async fn a_tenant_waiting_for_its_payment_method_can_do_nothing_but_start_its_checkout(app: TestApp) {
    let (status, answer) = app
        .post(
            "/v1/signup",
            None,
            json!({"company_name": "Acme", "slug": "acme", "email": "olive@acme.example.com",
                   "password": "correct horse battery", "name": "Olive", "plan": "standard", "interval": "year"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    assert_eq!(answer["status"], "pending_payment_method", "{answer}");
    let checkout = answer["checkout"]["id"].as_str().unwrap().to_owned();
    assert!(answer["checkout"]["url"].as_str().unwrap().starts_with("/billing/simulator/checkout/"), "{answer}");
    let (tid, token) =
        (answer["tenant"]["id"].as_str().unwrap().to_owned(), answer["access_token"].as_str().unwrap().to_owned());
    let (_, doc) = app.call(Method::GET, "/openapi.json", None, None).await;
    let open = [
        ("get", "/v1/tenants/{tid}"),
        ("get", "/v1/tenants/{tid}/subscription"),
        ("post", "/v1/tenants/{tid}/billing/checkout"),
    ];
    let (mut refused, mut before_the_use_case) = (0, Vec::new());
    for (path, item) in doc["paths"].as_object().unwrap() {
        if !path.starts_with("/v1/tenants/{tid}") {
            continue;
        }
        for method in item.as_object().unwrap().keys() {
            let concrete = path.replace("{tid}", &tid);
            let concrete = unknown_ids(&concrete);
            let verb = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let body = (verb != Method::GET && verb != Method::DELETE).then(|| json!({}));
            let (status, value) = app.call(verb, &concrete, Some(&token), body).await;
            if open.contains(&(method.as_str(), path.as_str())) {
                assert!(status.is_success(), "{method} {path} is open while waiting: {status} {value}");
                continue;
            }
            assert!(!status.is_success(), "{method} {path} succeeded while waiting: {value}");
            if status == StatusCode::FORBIDDEN {
                assert_eq!(value["code"], "payment_method_required", "{method} {path}: {value}");
                refused += 1;
            } else {
                before_the_use_case.push(format!("{method} {path} {status} {}", value["code"]));
            }
        }
    }
    // Refusals that come before any use case (an unreadable body or id) are the
    // only other answers, and few: the rest reached the gate.
    assert!(refused >= 30, "{refused} refused; others: {before_the_use_case:#?}");
    assert!(
        before_the_use_case
            .iter()
            .all(|l| l.contains(" 422 ") || l.contains(" 404 ") || l.contains(" 400 ") || l.contains(" 415 ")),
        "{before_the_use_case:#?}"
    );

    app.h.simulator.complete_checkout(&checkout, tenantry_testkit::TestCard::Succeeds).unwrap();
    app.h.tick().await;
    let (status, sub) = app.get(&format!("/v1/tenants/{tid}/subscription"), &token).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        (sub["status"].as_str(), sub["interval"].as_str(), sub["trial_days_left"].as_i64()),
        (Some("trialing"), Some("year"), Some(14)),
        "{sub}"
    );
    let (status, _) = app.get(&format!("/v1/tenants/{tid}/users"), &token).await;
    assert_eq!(status, StatusCode::OK);
}
on_both!(a_tenant_waiting_for_its_payment_method_can_do_nothing_but_start_its_checkout, app_requiring_a_payment_method);

/// `path` with each `{…}` segment left replaced by an id that exists nowhere.
fn unknown_ids(path: &str) -> String {
    path.split('/')
        .map(|seg| if seg.starts_with('{') { "0191e6a0-0000-7000-8000-0000000000ff" } else { seg })
        .collect::<Vec<_>>()
        .join("/")
}

/// Promotion codes over HTTP: the superuser makes a coupon and its code
/// (`/v1/admin/coupons`), a tenant's owner previews and applies it
/// (`…/subscription/promotion-code[/preview]`), each refusal is problem+json
/// with its stable code, a code at signup is checked there, and a tenant's
/// user cannot reach the superuser's routes.
async fn promotion_codes_over_http(app: TestApp) {
    let conforms = |component: &str, value: &Value| {
        let errors = DOCUMENT.errors(&DOCUMENT.component(component), value);
        assert!(errors.is_empty(), "{component}: {errors:#?}\n{value:#}");
    };
    app.h.superuser("ops@platform.example.com").await.unwrap();
    let (_, tokens) =
        app.post("/v1/auth/login", None, json!({"email": "ops@platform.example.com", "password": PASSWORD})).await;
    let su = tokens["access_token"].as_str().unwrap().to_owned();
    let (status, coupon) = app
        .post(
            "/v1/admin/coupons",
            Some(&su),
            json!({"name": "Spring", "percent_off_basis_points": 2000, "duration": "repeating", "duration_in_months": 3}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{coupon}");
    conforms("CouponView", &coupon);
    let (status, refused) = app
        .post(
            "/v1/admin/coupons",
            Some(&su),
            json!({"name": "Both", "percent_off_basis_points": 2000,
            "amount_off_cents": 100, "duration": "forever"}),
        )
        .await;
    assert_eq!((status, refused["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_request")));
    let cid = coupon["id"].as_str().unwrap();
    let (status, code) =
        app.post(&format!("/v1/admin/coupons/{cid}/promotion-codes"), Some(&su), json!({"code": "spring20"})).await;
    assert_eq!((status, code["code"].as_str()), (StatusCode::CREATED, Some("SPRING20")), "{code}");
    conforms("PromotionCodeView", &code);
    let (status, taken) =
        app.post(&format!("/v1/admin/coupons/{cid}/promotion-codes"), Some(&su), json!({"code": "SPRING20"})).await;
    assert_eq!((status, taken["code"].as_str()), (StatusCode::CONFLICT, Some("promotion_code_taken")));

    let (status, refused) = app
        .post(
            "/v1/signup",
            None,
            json!({"company_name": "Coded Ltd", "slug": "coded", "email": "owner@coded.example.com",
            "password": PASSWORD, "name": "Owner", "promotion_code": "NOPE"}),
        )
        .await;
    assert_eq!((status, refused["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("promotion_code_unknown")));
    let (tid, owner) = app.signup("promo").await;
    let t = |rest: &str| format!("/v1/tenants/{tid}{rest}");
    let (status, nothing) =
        app.post(&t("/subscription/promotion-code"), Some(&owner), json!({"code": "SPRING20"})).await;
    assert_eq!((status, nothing["code"].as_str()), (StatusCode::CONFLICT, Some("nothing_to_discount")), "{nothing}");
    let tenant = tenantry_domain::TenantId::parse(&tid).unwrap();
    app.h.add_card(tenant, tenantry_testkit::TestCard::Succeeds).await.unwrap();
    let (status, unknown) =
        app.post(&t("/subscription/promotion-code/preview"), Some(&owner), json!({"code": "NOPE"})).await;
    assert_eq!((status, unknown["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("promotion_code_unknown")));
    let (status, preview) =
        app.post(&t("/subscription/promotion-code/preview"), Some(&owner), json!({"code": "spring20"})).await;
    assert_eq!(status, StatusCode::OK, "{preview}");
    conforms("DiscountPreview", &preview);
    assert_eq!(preview["next_invoice"]["total"]["cents"], json!(3996), "{preview}");
    let (status, view) = app.post(&t("/subscription/promotion-code"), Some(&owner), json!({"code": "SPRING20"})).await;
    assert_eq!(status, StatusCode::OK, "{view}");
    conforms("SubscriptionView", &view);
    assert_eq!(view["discount"]["code"], "SPRING20", "{view}");
    let (status, again) = app.post(&t("/subscription/promotion-code"), Some(&owner), json!({"code": "SPRING20"})).await;
    assert_eq!((status, again["code"].as_str()), (StatusCode::CONFLICT, Some("discount_already_applied")));

    let (status, list) = app.get("/v1/admin/coupons", &su).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    conforms("Promotions", &list);
    assert_eq!(list["promotion_codes"][0]["times_redeemed"], json!(1), "{list}");
    let pid = code["id"].as_str().unwrap();
    let (status, off) = app
        .call(Method::PATCH, &format!("/v1/admin/promotion-codes/{pid}"), Some(&su), Some(json!({"active": false})))
        .await;
    assert_eq!((status, off["active"].as_bool()), (StatusCode::OK, Some(false)), "{off}");
    let (other, other_owner) = app.signup("other").await;
    app.h
        .add_card(tenantry_domain::TenantId::parse(&other).unwrap(), tenantry_testkit::TestCard::Succeeds)
        .await
        .unwrap();
    let (status, inactive) = app
        .post(
            &format!("/v1/tenants/{other}/subscription/promotion-code"),
            Some(&other_owner),
            json!({"code": "SPRING20"}),
        )
        .await;
    assert_eq!(
        (status, inactive["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("promotion_code_inactive"))
    );
    for (method, path) in [
        (Method::GET, "/v1/admin/coupons".to_owned()),
        (Method::POST, format!("/v1/admin/coupons/{cid}/promotion-codes")),
        (Method::PATCH, format!("/v1/admin/promotion-codes/{pid}")),
    ] {
        let body = (method != Method::GET).then(|| json!({"code": "MINE", "active": true}));
        let (status, answer) = app.call(method.clone(), &path, Some(&owner), body).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{method} {path}: {answer}");
    }
}
on_both!(promotion_codes_over_http);

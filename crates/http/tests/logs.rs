//! No password, token or signing key reaches a log line, at any level, while
//! the service handles signups, logins (good and bad), invitations, refreshes
//! and refusals. Its own test binary: the subscriber is global, so the server's
//! worker threads log into it too.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed step is a failed test

#[path = "it/support/mod.rs"]
mod support;

use secrecy::ExposeSecret;
use serde_json::{Value, json};
use std::sync::Arc;
use tenantry_http::AppState;
use tenantry_http::auth::TokenKeys;
use tenantry_testkit::Harness;
use tenantry_testkit::fakes::CapturedLog;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_password_token_or_key_reaches_the_log() {
    let captured = CapturedLog::default();
    tracing::subscriber::set_global_default(captured.subscriber()).unwrap();
    let h = Harness::new();
    let secret = "a51c0ffee0ddba11deadbeefcafef00d0123456789abcdef0123456789abcdef";
    let keys = TokenKeys::from_secret(&secret.to_owned().into()).unwrap();
    assert!(!format!("{keys:?}").contains(secret));
    let state =
        AppState::new(h.tenantry.clone(), keys, Arc::new(h.clock.clone()), Arc::new(tenantry_mail::Links::default()));
    assert!(!format!("{state:?}").contains(secret));
    let base = support::serve(state).await;
    let client = reqwest::Client::new();
    let post = |path: &str, token: Option<&str>, body: Value| {
        let mut request = client.post(format!("{base}{path}")).json(&body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send()
    };
    let owner_password = "owner-password-never-logged";
    let signup: Value = post(
        "/v1/signup",
        None,
        json!({"company_name": "Acme", "slug": "acme", "email": "owner@acme.example.com", "password": owner_password, "name": "O"}),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let access = signup["access_token"].as_str().unwrap().to_owned();
    let refresh = signup["refresh_token"].as_str().unwrap().to_owned();
    let tid = signup["tenant"]["id"].as_str().unwrap().to_owned();
    for wrong in ["wrong-password-one!", "wrong-password-two!"] {
        post("/v1/auth/login", None, json!({"tenant": "acme", "email": "owner@acme.example.com", "password": wrong}))
            .await
            .unwrap();
    }
    post(
        &format!("/v1/tenants/{tid}/invitations"),
        Some(&access),
        json!({"email": "ann@acme.example.com", "role": "member"}),
    )
    .await
    .unwrap();
    let invitation = h.mailer.invitation_token("ann@acme.example.com").unwrap();
    let ann_password = "anns-password-never-logged";
    post(
        "/v1/invitations/accept",
        None,
        json!({"token": invitation.expose_secret(), "name": "Ann", "password": ann_password}),
    )
    .await
    .unwrap();
    post("/v1/auth/refresh", None, json!({"refresh_token": refresh})).await.unwrap();
    // a refused token and a refused body log too
    client.get(format!("{base}/v1/me")).bearer_auth("garbage.token.here").send().await.unwrap();
    post("/v1/signup", None, json!({"password": owner_password})).await.unwrap();

    let log = captured.text();
    assert!(log.contains("request"), "the layers did log: {log}");
    for secret_text in
        [owner_password, ann_password, "wrong-password-one!", secret, invitation.expose_secret(), &access, &refresh]
    {
        assert!(!log.contains(secret_text), "a secret reached the log");
    }
}

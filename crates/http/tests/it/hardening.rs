#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed step is a failed test
//! The hardening list of issue 18 that the other suites do not cover: without
//! a metrics token the main listener does not serve `/metrics`; behind https
//! every answer carries `Strict-Transport-Security`, behind http none does.

use crate::support;

use reqwest::StatusCode;
use tenantry_testkit::Harness;

#[tokio::test]
async fn without_a_metrics_token_the_metrics_are_not_served() {
    let h = Harness::new();
    let base = support::serve(support::state_for(&h).with_metrics_token(None)).await;
    let client = reqwest::Client::new();
    for token in [None, Some(support::METRICS_TOKEN)] {
        let mut request = client.get(format!("{base}/metrics"));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let answer = request.send().await.unwrap();
        assert_eq!(answer.status(), StatusCode::NOT_FOUND);
        assert!(!answer.text().await.unwrap().contains("http_requests_total"));
    }
}

#[tokio::test]
async fn behind_https_every_answer_asks_for_https_only() {
    let client = reqwest::Client::new();
    let h = Harness::new();
    let https = support::serve(support::state_for(&h).with_public_url(Some("https://app.example.com".into()))).await;
    for path in ["/healthz", "/login", "/v1/me", "/no/such/page"] {
        let answer = client.get(format!("{https}{path}")).send().await.unwrap();
        assert_eq!(
            answer.headers().get("strict-transport-security").and_then(|v| v.to_str().ok()),
            Some("max-age=31536000; includeSubDomains"),
            "{path}"
        );
    }
    let h = Harness::new();
    let http = support::serve(support::state_for(&h).with_public_url(Some("http://localhost:8080".into()))).await;
    let answer = client.get(format!("{http}/healthz")).send().await.unwrap();
    assert!(answer.headers().get("strict-transport-security").is_none(), "not over plain http");
}

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed setup is a failed test
//! A product's own routes mounted with `router_with_product` under
//! `/v1/tenants/{tid}/`: they receive the authorised scope through `InTenant`,
//! another tenant's `{tid}` answers 404 and is audited exactly as for
//! tenantry's routes, and the product's registered permissions are checked
//! (and refusals audited) by `Tenantry::require_permission`.

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::sync::Arc;
use tenantry_domain::rbac::{BuiltinRole, Policy};
use tenantry_http::auth::{InTenant, TokenKeys};
use tenantry_http::problem::ApiError;
use tenantry_http::{AppState, router_with_product};
use tenantry_testkit::Harness;

/// The product's handlers: a read needs `notes:read`, a write `notes:write`.
async fn list_notes(State(state): State<AppState>, InTenant(scope): InTenant) -> Result<axum::Json<Value>, ApiError> {
    state.tenantry.require_permission(&scope, "notes:read", "notes.list").await?;
    Ok(axum::Json(json!({ "tenant": scope.tenant_id().to_string(), "notes": [] })))
}

async fn add_note(State(state): State<AppState>, InTenant(scope): InTenant) -> Result<axum::Json<Value>, ApiError> {
    state.tenantry.require_permission(&scope, "notes:write", "notes.create").await?;
    Ok(axum::Json(json!({ "tenant": scope.tenant_id().to_string(), "created": true })))
}

async fn typo(State(state): State<AppState>, InTenant(scope): InTenant) -> Result<axum::Json<Value>, ApiError> {
    state.tenantry.require_permission(&scope, "notes:wirte", "notes.typo").await?;
    Ok(axum::Json(json!({})))
}

async fn signup(client: &reqwest::Client, base: &str, slug: &str) -> (String, String) {
    let body: Value = client
        .post(format!("{base}/v1/signup"))
        .json(&json!({"company_name": slug, "slug": slug, "email": format!("owner@{slug}.example.com"),
                      "password": "correct horse battery", "name": "Owner"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    (body["tenant"]["id"].as_str().unwrap().to_owned(), body["access_token"].as_str().unwrap().to_owned())
}

#[tokio::test]
async fn product_routes_get_the_scope_wall_3_and_their_permissions() {
    let policy = Policy::builder()
        .permission("notes:read", &[BuiltinRole::Admin, BuiltinRole::Manager, BuiltinRole::Member, BuiltinRole::Viewer])
        .unwrap()
        .permission("notes:write", &[BuiltinRole::Admin, BuiltinRole::Member])
        .unwrap()
        .build();
    let h = Harness::builder().policy(policy).build();
    let state = AppState::new(
        h.tenantry.clone(),
        TokenKeys::random().unwrap(),
        Arc::new(h.clock.clone()),
        Arc::new(tenantry_mail::Links::default()),
    );
    let product = Router::new().route("/notes", get(list_notes).post(add_note)).route("/notes-typo", get(typo));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let app = router_with_product(state, product);
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let client = reqwest::Client::new();
    let (a, a_token) = signup(&client, &base, "alpha").await;
    let (b, _) = signup(&client, &base, "beta").await;

    // The owner reads and writes in its own tenant; the scope is its tenant.
    let own = client.get(format!("{base}/v1/tenants/{a}/notes")).bearer_auth(&a_token).send().await.unwrap();
    assert_eq!(own.status(), StatusCode::OK);
    assert!(own.headers().contains_key("x-ratelimit-limit"), "the tenant's rate limit applies");
    assert_eq!(own.json::<Value>().await.unwrap()["tenant"], a.as_str());
    let wrote = client.post(format!("{base}/v1/tenants/{a}/notes")).bearer_auth(&a_token).send().await.unwrap();
    assert_eq!(wrote.status(), StatusCode::OK);

    // Another tenant's path: 404 as for a missing tenant, and the caller's own
    // tenant's log records the attempt (the target goes only to the platform log).
    for request in
        [client.get(format!("{base}/v1/tenants/{b}/notes")), client.post(format!("{base}/v1/tenants/{b}/notes"))]
    {
        let answer = request.bearer_auth(&a_token).send().await.unwrap();
        assert_eq!(answer.status(), StatusCode::NOT_FOUND);
        assert_eq!(answer.headers()["content-type"], "application/problem+json");
    }
    // (The second, in the same minute, is written as a repeat once the minute is over.)
    h.clock.advance(chrono::Duration::seconds(61));
    h.tenantry.flush_cross_tenant_attempts().await;
    let log: Value = client
        .get(format!("{base}/v1/tenants/{a}/audit-events?action=access.cross_tenant_attempt&limit=100"))
        .bearer_auth(&a_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let events = log["events"].as_array().unwrap();
    assert_eq!(events.len(), 2, "{log}");
    assert!(events.iter().any(|e| e["details"]["repeated"] == "1"), "{log}");

    // A viewer reads but may not write; the refusal is a 403 naming the permission, and audited.
    let invited: Value = client
        .post(format!("{base}/v1/tenants/{a}/invitations"))
        .bearer_auth(&a_token)
        .json(&json!({"email": "vera@alpha.example.com", "role": "viewer"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(invited["invitation"]["id"].is_string(), "{invited}");
    let (_, viewer) = h.accept("vera@alpha.example.com").await.unwrap();
    let scope = h.scope(&viewer, tenantry_domain::TenantId::parse(&a).unwrap()).await.unwrap();
    assert!(h.tenantry.require_permission(&scope, "notes:read", "notes.list").await.is_ok());
    let refused = h.tenantry.require_permission(&scope, "notes:write", "notes.create").await.unwrap_err();
    assert_eq!(refused.to_string(), "this needs the permission `notes:write`");
    // A permission the policy does not know allows nothing, not even to the owner.
    let typo = client.get(format!("{base}/v1/tenants/{a}/notes-typo")).bearer_auth(&a_token).send().await.unwrap();
    assert_eq!(typo.status(), StatusCode::FORBIDDEN);
    let denied: Value = client
        .get(format!("{base}/v1/tenants/{a}/audit-events?action=access.denied&limit=100"))
        .bearer_auth(&a_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(denied["events"].as_array().unwrap().len(), 2, "{denied}");
}

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed setup is a failed test
//! The timesheets example as a black box over HTTP, on the memory store and
//! on PostgreSQL: a member logs time, a viewer reads but cannot log, a manager
//! approves once (recorded in the tenant's audit log), another tenant sees
//! none of it (404 for its paths and its entry ids), and the tenant's GDPR
//! export carries the product's rows.

use crate::support;

use reqwest::StatusCode;
use serde_json::{Value, json};
use support::Served;
use tenantry_postgres::testing::admin_url;

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
}

#[tokio::test]
async fn log_approve_and_read_timesheets_within_one_tenant_only_in_memory() {
    journey(Served::memory().await).await;
}

#[tokio::test]
async fn log_approve_and_read_timesheets_within_one_tenant_only_on_postgres() {
    let Some(admin) = admin_url("log_approve_and_read_timesheets_within_one_tenant_only_on_postgres") else {
        return;
    };
    journey(Served::postgres(&admin).await).await;
}

async fn journey(served: Served) {
    let h = &served.h;
    let app = App { base: served.base.clone(), client: reqwest::Client::new() };

    let alpha = h.signup("alpha").await.unwrap();
    let beta = h.signup("beta").await.unwrap();
    for (email, role) in
        [("mia@alpha.example.com", "member"), ("max@alpha.example.com", "manager"), ("val@alpha.example.com", "viewer")]
    {
        h.add_user(&alpha, email, role).await.unwrap();
    }
    let mia = served.login("alpha", "mia@alpha.example.com").await;
    let max = served.login("alpha", "max@alpha.example.com").await;
    let val = served.login("alpha", "val@alpha.example.com").await;
    let beta_owner = served.login("beta", &beta.owner_email).await;
    let alpha_owner = served.login("alpha", &alpha.owner_email).await;
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

    // The approval is in alpha's audit log, by the manager, about the member;
    // beta's log has no such event.
    let approvals = "/audit-events?action=timesheets.entry_approved";
    let (status, page) = app.call(Method::GET, &format!("/v1/tenants/{a}{approvals}"), &alpha_owner, None).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let events = page["events"].as_array().unwrap_or_else(|| panic!("{page}"));
    assert_eq!(events.len(), 1, "{page}");
    assert_eq!(events[0]["action"], "timesheets.entry_approved");
    assert_eq!(events[0]["details"]["entry"], eid.as_str());
    assert_eq!(events[0]["actor"]["kind"], "user");
    assert_eq!(events[0]["target"]["kind"], "user");
    assert_eq!(events[0]["target"]["id"], entry["user_id"]);
    let (status, page) = app.call(Method::GET, &format!("/v1/tenants/{b}{approvals}"), &beta_owner, None).await;
    assert_eq!((status, page["events"].as_array().map(Vec::len)), (StatusCode::OK, Some(0)), "{page}");
    // The refused decision wrote no event.
    let rejections = format!("/v1/tenants/{a}/audit-events?action=timesheets.entry_rejected");
    let (_, page) = app.call(Method::GET, &rejections, &alpha_owner, None).await;
    assert_eq!(page["events"].as_array().map(Vec::len), Some(0), "{page}");

    // The tenant's GDPR export includes the product's table — alpha's entry only.
    let (status, export) = app.call(Method::POST, &format!("/v1/tenants/{a}/exports"), &alpha_owner, None).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{export}");
    let tick = h.tick().await;
    assert_eq!((tick.jobs, tick.job_failures), (1, 0), "{tick:?}");
    let download = format!("/v1/tenants/{a}/exports/{}/download", export["id"].as_str().unwrap());
    let (status, archive) = app.call(Method::GET, &download, &alpha_owner, None).await;
    assert_eq!(status, StatusCode::OK, "{archive}");
    let rows =
        archive["sections"]["product_tables"]["timesheets.entries"].as_array().unwrap_or_else(|| panic!("{archive}"));
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["id"], eid.as_str());
    assert_eq!((rows[0]["project"].as_str(), rows[0]["status"].as_str()), (Some("Apollo"), Some("approved")));
    assert!(!archive.to_string().contains(&b), "nothing of beta");

    served.close().await;
}

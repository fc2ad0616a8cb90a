#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed step is a failed test
//! True numbers (issue 19) on the real router, on the embedded default's memory
//! store and on PostgreSQL: every authenticated API request of a tenant is one
//! metered API call and every tenant page a user sees one page view, written
//! by the meter's flush (never per request); the usage view, the superuser's
//! tenant detail and the statistics read them; the monthly API allowance
//! answers 429 `quota_exceeded` naming the quota and its reset, the
//! superuser's override raises it and the next month starts afresh. Every
//! premium feature × every plan answers as the catalog says (`upgrade_required`
//! on freemium, with the premium label and the upgrade link on the pages), an
//! API key stops working after a downgrade, and the ads of tenantry's own
//! pages count their impressions and clicks.

use crate::support;
use support::{TestStore, on_both};

use reqwest::StatusCode;
use serde_json::{Value, json};
use std::collections::BTreeSet;
use support::web::WebSession;
use tenantry_domain::{Feature, PlanCatalog};
use tenantry_http::AppState;
use tenantry_testkit::Harness;
use tenantry_testkit::harness::PASSWORD;

struct App {
    h: Harness,
    state: AppState,
    base: String,
    http: reqwest::Client,
}

impl App {
    async fn new(h: Harness) -> Self {
        let state = support::state_for(&h);
        let base = support::serve(state.clone()).await;
        let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        Self { h, state, base, http }
    }

    async fn call(&self, method: reqwest::Method, path: &str, token: &str, body: Option<Value>) -> (StatusCode, Value) {
        let mut request = self.http.request(method, format!("{}{path}", self.base)).bearer_auth(token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let retry = response.headers().get("retry-after").map(|v| v.to_str().unwrap().to_owned());
        let text = response.text().await.unwrap();
        let mut value: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        if let (Some(retry), Value::Object(map)) = (retry, &mut value) {
            map.insert("retry-after".into(), Value::String(retry));
        }
        assert_ne!(status, StatusCode::INTERNAL_SERVER_ERROR, "{path}: {text}");
        (status, value)
    }

    async fn get(&self, path: &str, token: &str) -> (StatusCode, Value) {
        self.call(reqwest::Method::GET, path, token, None).await
    }

    async fn login(&self, slug: &str, email: &str) -> String {
        let body = if slug.is_empty() {
            json!({"email": email, "password": PASSWORD})
        } else {
            json!({"tenant": slug, "email": email, "password": PASSWORD})
        };
        let response = self.http.post(format!("{}/v1/auth/login", self.base)).json(&body).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let answer: Value = response.json().await.unwrap();
        answer["access_token"].as_str().unwrap().to_owned()
    }

    /// This month's figures as the store has them (read directly: not an API call).
    async fn stored(&self, tenant: &tenantry_testkit::TestTenant) -> tenantry_ports::services::usage::UsageView {
        let scope = self.h.owner_scope(tenant).await.unwrap();
        self.h.tenantry.usage(&scope).await.unwrap()
    }

    async fn flush(&self) -> tenantry_http::meter::Flushed {
        let flushed = self.state.meter.flush(&self.h.tenantry).await;
        assert_eq!(flushed.failed, 0, "{flushed:?}");
        flushed
    }
}

/// Puts a tenant on freemium now, as the superuser does (a downgrade).
async fn to_freemium(h: &Harness, tenant: &tenantry_testkit::TestTenant) {
    let su = match h.superuser("downgrades@platform.example.com").await {
        Ok(su) => su,
        Err(_) => h.superuser_login("downgrades@platform.example.com").await.unwrap(),
    };
    let scope = h.tenantry.authorize(&su, tenant.id).await.unwrap();
    let patch = tenantry_ports::services::admin::AdminTenantPatch { force_freemium: true, ..Default::default() };
    h.tenantry.admin_update_tenant(&scope, patch).await.unwrap();
}

/// The harness on `store`.
async fn app(store: &TestStore) -> Harness {
    store.harness(Harness::builder())
}

async fn api_calls_and_page_views_are_metered_and_the_monthly_allowance_holds(h: Harness) {
    let t = h.signup("acme").await.unwrap();
    h.superuser("ops@platform.example.com").await.unwrap();
    let app = App::new(h).await;
    let tid = t.id.to_string();
    let owner = app.login("acme", &t.owner_email).await;

    // Seven API calls: counted in the process, in the store only after the flush.
    for _ in 0..7 {
        assert_eq!(app.get(&format!("/v1/tenants/{tid}/users"), &owner).await.0, StatusCode::OK);
    }
    assert_eq!(app.stored(&t).await.api_calls, 0, "no write per request");
    assert_eq!(app.state.meter.unflushed(), (7, 0));
    let flushed = app.flush().await;
    assert_eq!((flushed.api_calls, flushed.tenants), (7, 1));
    assert_eq!(app.stored(&t).await.api_calls, 7);
    assert_eq!(app.flush().await.api_calls, 0, "a flush writes each count once");

    // The superuser's own requests are not the tenant's API calls; refused ones are not counted either.
    let su = app.login("", "ops@platform.example.com").await;
    assert_eq!(app.get(&format!("/v1/tenants/{tid}/users"), &su).await.0, StatusCode::OK);
    assert_eq!(app.get(&format!("/v1/tenants/{tid}/no-such-thing"), &owner).await.0, StatusCode::NOT_FOUND);
    app.flush().await;
    assert_eq!(app.stored(&t).await.api_calls, 7);

    // Web pages: one page view each, apart from the API calls.
    let web = WebSession::login(&app.base, "acme", &t.owner_email).await; // one view: the first page
    for path in ["/app/acme", "/app/acme/settings", "/app/acme/settings/users"] {
        assert_eq!(web.get(path).await.status, StatusCode::OK, "{path}");
    }
    app.flush().await;
    let usage = app.stored(&t).await;
    assert_eq!((usage.api_calls, usage.page_views), (7, 4), "{usage:?}");

    // The usage view (itself a call), the superuser's detail and the statistics read the same figures.
    let (_, view) = app.get(&format!("/v1/tenants/{tid}/usage"), &owner).await;
    assert_eq!((view["api_calls"].as_u64(), view["page_views"].as_u64()), (Some(7), Some(4)), "{view}");
    assert_eq!(view["api_calls_per_month"].as_u64(), Some(tenantry_domain::quota::PAID_API_CALLS_PER_MONTH));
    app.flush().await; // the usage call: 8
    let (_, detail) = app.get(&format!("/v1/admin/tenants/{tid}"), &su).await;
    assert_eq!(detail["usage"]["api_calls"].as_u64(), Some(8), "{detail}");
    let (_, stats) = app.get("/v1/admin/stats", &su).await;
    assert_eq!((stats["api_calls_this_month"].as_u64(), stats["page_views_this_month"].as_u64()), (Some(8), Some(4)));
    let admin_page = WebSession::login(&app.base, "", "ops@platform.example.com").await;
    let page = admin_page.get(&format!("/admin/tenants/{tid}")).await;
    assert!(page.body.contains("8 of 2000000 this month"), "{}", page.body);
    let page = admin_page.get("/admin/stats").await;
    assert!(page.body.contains("<dd id=\"stat-api-calls\">8</dd>"), "{}", page.body);
    assert!(page.body.contains("<dd id=\"stat-page-views\">4</dd>"), "{}", page.body);

    // The GDPR export holds the same figures (the request is call 9, written before the job runs).
    let exports = format!("/v1/tenants/{tid}/exports");
    let (status, queued) = app.call(reqwest::Method::POST, &exports, &owner, Some(json!({}))).await;
    assert!(status.is_success(), "{queued}");
    app.flush().await;
    let tick = app.h.tick().await;
    assert_eq!((tick.jobs, tick.job_failures), (1, 0), "{tick:?}");
    let (status, archive) = app.get(&format!("{exports}/{}/download", queued["id"].as_str().unwrap()), &owner).await;
    assert_eq!(status, StatusCode::OK);
    let counters = &archive["sections"]["usage"]["counters"];
    assert_eq!((counters["api_calls"].as_u64(), counters["page_views"].as_u64()), (Some(9), Some(4)), "{counters}");
    app.flush().await;
    let used = app.stored(&t).await.api_calls;
    assert_eq!(used, 10, "the download was call 10");

    // The superuser's override: three more calls this month, then 429 naming the quota and its reset.
    let (status, body) = app
        .call(
            reqwest::Method::PATCH,
            &format!("/v1/admin/tenants/{tid}"),
            &su,
            Some(json!({"quota_override": {"api_calls_per_month": used + 3}})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    for _ in 0..3 {
        assert_eq!(app.get(&format!("/v1/tenants/{tid}/users"), &owner).await.0, StatusCode::OK);
    }
    let (status, refused) = app.get(&format!("/v1/tenants/{tid}/users"), &owner).await;
    assert_eq!(
        (status, refused["code"].as_str()),
        (StatusCode::TOO_MANY_REQUESTS, Some("quota_exceeded")),
        "{refused}"
    );
    assert_eq!(refused["quota"], "api_calls_per_month");
    let next_month = tenantry_domain::quota::next_month_start(app.h.clock_now());
    assert_eq!(
        refused["resets_at"].as_str().map(|s| s.parse::<chrono::DateTime<chrono::Utc>>().unwrap()),
        Some(next_month)
    );
    let wait: i64 = refused["retry-after"].as_str().unwrap().parse().unwrap();
    assert_eq!(wait, (next_month - app.h.clock_now()).num_seconds().max(1), "Retry-After: until the reset");
    assert!(refused["detail"].as_str().unwrap().contains(&format!("{} API calls", used + 3)), "{refused}");
    app.flush().await;
    assert_eq!(app.stored(&t).await.api_calls, used + 3, "the refused call is not counted");
    // Pages are not API calls: they keep working.
    assert_eq!(web.get("/app/acme").await.status, StatusCode::OK);

    // Raised again: the tenant goes on at once on this instance.
    let (status, _) = app
        .call(
            reqwest::Method::PATCH,
            &format!("/v1/admin/tenants/{tid}"),
            &su,
            Some(json!({"quota_override": {"api_calls_per_month": used + 4}})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(app.get(&format!("/v1/tenants/{tid}/users"), &owner).await.0, StatusCode::OK);
    assert_eq!(app.get(&format!("/v1/tenants/{tid}/users"), &owner).await.0, StatusCode::TOO_MANY_REQUESTS);

    // A new month starts afresh.
    app.h.advance(next_month - app.h.clock_now() + chrono::Duration::minutes(1)).await;
    let owner = app.login("acme", &t.owner_email).await;
    assert_eq!(app.get(&format!("/v1/tenants/{tid}/users"), &owner).await.0, StatusCode::OK);
    app.flush().await;
    assert_eq!(app.stored(&t).await.api_calls, 1, "this month's first call");
}
on_both!(api_calls_and_page_views_are_metered_and_the_monthly_allowance_holds);

/// How a feature is used over HTTP: (method, path under the tenant, body).
fn probe(feature: &Feature) -> (reqwest::Method, &'static str, Option<Value>) {
    match feature.as_str() {
        "custom_roles" => {
            (reqwest::Method::POST, "/roles", Some(json!({"name": "Approver", "permissions": ["users:read"]})))
        }
        "audit_log" => (reqwest::Method::GET, "/audit-events", None),
        "api_keys" => (reqwest::Method::POST, "/api-keys", Some(json!({"name": "ci", "role": "member"}))),
        other => panic!("the premium feature `{other}` has no probe here: add how it is used"),
    }
}

/// The page where a feature is used, and the element of its form.
fn page_of(feature: &Feature) -> (&'static str, &'static str) {
    match feature.as_str() {
        "custom_roles" => ("/settings/roles", "id=\"create-role\""),
        "audit_log" => ("/settings/audit", "id=\"audit-filter\""),
        "api_keys" => ("/settings/api-keys", "id=\"create-key\""),
        other => panic!("the premium feature `{other}` has no page here"),
    }
}

async fn every_feature_answers_as_the_plan_says(h: Harness) {
    let catalog = PlanCatalog::default();
    let premium: BTreeSet<&str> = catalog.premium_features.iter().map(Feature::as_str).collect();
    assert_eq!(premium, BTreeSet::from(["api_keys", "audit_log", "custom_roles"]), "each has a probe below");
    let trial = h.signup("trial").await.unwrap();
    let freemium = h.signup("free").await.unwrap();
    to_freemium(&h, &freemium).await;
    let standard = h.paid_tenant("paid", 3).await.unwrap();
    let app = App::new(h).await;
    let product_feature = Feature::parse("timesheets_export").unwrap();
    for (tenant, plan) in [(&trial, "trial"), (&freemium, "freemium"), (&standard, "standard")] {
        let token = app.login(&tenant.slug, &tenant.owner_email).await;
        let (_, sub) = app.get(&format!("/v1/tenants/{}/subscription", tenant.id), &token).await;
        assert_eq!(sub["plan"], plan, "{sub}");
        let web = WebSession::login(&app.base, &tenant.slug, &tenant.owner_email).await;
        for feature in &catalog.premium_features {
            let (method, path, body) = probe(feature);
            let (status, answer) = app.call(method, &format!("/v1/tenants/{}{path}", tenant.id), &token, body).await;
            let (page, form) = page_of(feature);
            let page = web.get(&format!("/app/{}{page}", tenant.slug)).await;
            assert_eq!(page.status, StatusCode::OK, "{plan} {feature:?}: {}", page.body);
            if plan == "freemium" {
                assert_eq!(
                    (status, answer["code"].as_str()),
                    (StatusCode::FORBIDDEN, Some("upgrade_required")),
                    "{plan} {feature:?}: {answer}"
                );
                assert!(answer["detail"].as_str().unwrap().contains("upgrade to standard"), "{answer}");
                assert!(
                    page.body.contains(&format!("id=\"premium-{feature}\"")),
                    "{plan} {feature:?}: no premium label"
                );
                assert!(page.body.contains("Upgrade to standard"), "{plan} {feature:?}: no upgrade link");
                assert!(page.body.contains(&format!("href=\"/app/{}/settings#plan-h\"", tenant.slug)));
                assert!(!page.body.contains(form), "{plan} {feature:?}: the gated form is not offered");
            } else {
                assert!(status.is_success(), "{plan} {feature:?}: {status} {answer}");
                assert!(page.body.contains(form), "{plan} {feature:?}: the form");
                assert!(!page.body.contains("id=\"premium-"), "{plan} {feature:?}: no premium label");
            }
        }
        // A product's own feature, not in the premium list, is open on every plan.
        let scope = app.h.owner_scope(tenant).await.unwrap();
        let open = app
            .h
            .tenantry
            .require_feature::<tenantry_ports::services::usage::UsageError>(&scope, &product_feature)
            .await;
        assert!(open.is_ok(), "{plan}: {open:?}");
        let gated = app
            .h
            .tenantry
            .require_feature::<tenantry_ports::services::usage::UsageError>(&scope, &Feature::api_keys())
            .await;
        assert_eq!(gated.is_err(), plan == "freemium", "{plan}: {gated:?}");
    }
}
on_both!(every_feature_answers_as_the_plan_says);

async fn an_api_key_stops_working_after_a_downgrade_and_can_still_be_revoked(h: Harness) {
    let t = h.signup("acme").await.unwrap();
    let app = App::new(h).await;
    let tid = t.id.to_string();
    let owner = app.login("acme", &t.owner_email).await;
    let (status, issued) = app
        .call(
            reqwest::Method::POST,
            &format!("/v1/tenants/{tid}/api-keys"),
            &owner,
            Some(json!({"name": "ci", "role": "member"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{issued}");
    let key = issued["secret"].as_str().unwrap().to_owned();
    let key_id = issued["key"]["id"].as_str().unwrap().to_owned();
    assert_eq!(app.get(&format!("/v1/tenants/{tid}/users"), &key).await.0, StatusCode::OK);

    to_freemium(&app.h, &t).await;
    let (status, refused) = app.get(&format!("/v1/tenants/{tid}/users"), &key).await;
    assert_eq!((status, refused["code"].as_str()), (StatusCode::FORBIDDEN, Some("upgrade_required")), "{refused}");
    // The owner still sees the key and revokes it.
    let (status, keys) = app.get(&format!("/v1/tenants/{tid}/api-keys"), &owner).await;
    assert_eq!(status, StatusCode::OK);
    assert!(keys.to_string().contains(&key_id), "{keys}");
    let (status, _) =
        app.call(reqwest::Method::DELETE, &format!("/v1/tenants/{tid}/api-keys/{key_id}"), &owner, None).await;
    assert!(status.is_success(), "{status}");
    // A refused key's request is not an API call of the tenant.
    app.flush().await;
    let (_, usage) = app.get(&format!("/v1/tenants/{tid}/usage"), &owner).await;
    assert_eq!(usage["api_calls"].as_u64(), Some(4), "create, use, list, revoke: {usage}");
}
on_both!(an_api_key_stops_working_after_a_downgrade_and_can_still_be_revoked);

async fn the_web_pages_count_ad_impressions_and_clicks_and_redirect_only_to_the_campaign(h: Harness) {
    use tenantry_ports::services::admin::CampaignInput;
    let t = h.signup("acme").await.unwrap();
    to_freemium(&h, &t).await;
    let su = h.superuser("ops@platform.example.com").await.unwrap();
    let platform = h.tenantry.authorize_platform(&su).await.unwrap();
    let now = h.clock_now();
    let campaign = h
        .tenantry
        .create_campaign(
            &platform,
            CampaignInput {
                name: "Spring".into(),
                format: tenantry_domain::ads::AdFormat::Banner,
                text: "Try the accounting add-on".into(),
                image_url: None,
                link_url: "https://ads.example.com/spring".into(),
                tenants: None,
                starts_at: now - chrono::Duration::days(1),
                ends_at: now + chrono::Duration::days(30),
                enabled: true,
            },
        )
        .await
        .unwrap();
    let app = App::new(h).await;
    let web = WebSession::login(&app.base, "acme", &t.owner_email).await; // one page: one impression
    let page = web.get("/app/acme").await;
    let click = format!("/app/acme/ads/{}/click", campaign.id);
    assert!(page.body.contains(&format!("href=\"{click}\"")), "the banner links through the click endpoint");
    assert!(!page.body.contains("href=\"https://ads.example.com/spring\""), "never straight to the target");
    let counts = |stats: tenantry_ports::services::admin::CampaignStats| {
        stats.daily.iter().fold((0, 0), |(i, c), (_, n)| (i + n.impressions, c + n.clicks))
    };
    let stats = app.h.tenantry.campaign_stats(&platform, campaign.id).await.unwrap();
    assert_eq!(counts(stats), (2, 0), "two pages shown, two impressions");

    let answer = web.get(&click).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER);
    assert_eq!(answer.location.as_deref(), Some("https://ads.example.com/spring"));
    let stats = app.h.tenantry.campaign_stats(&platform, campaign.id).await.unwrap();
    assert_eq!(counts(stats), (2, 1));
    // Nothing the request says can move the target; an unknown campaign is a 404 page and counts nothing.
    let answer = web.get(&format!("{click}?next=https://evil.example.com")).await;
    assert_eq!(answer.location.as_deref(), Some("https://ads.example.com/spring"));
    let unknown = web.get(&format!("/app/acme/ads/{}/click", "0190a1b2-0000-7000-8000-000000000001")).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert!(unknown.location.is_none());
    let stats = app.h.tenantry.campaign_stats(&platform, campaign.id).await.unwrap();
    assert_eq!(counts(stats), (2, 2));

    // A campaign shown only to another tenant: this tenant's click is a 404 and counts nothing.
    let other = app.h.signup("other").await.unwrap();
    to_freemium(&app.h, &other).await;
    let theirs = app
        .h
        .tenantry
        .create_campaign(
            &platform,
            CampaignInput {
                name: "Only for other".into(),
                format: tenantry_domain::ads::AdFormat::Banner,
                text: "Just for you".into(),
                image_url: None,
                link_url: "https://ads.example.com/other".into(),
                tenants: Some(vec![other.id]),
                starts_at: now - chrono::Duration::days(1),
                ends_at: now + chrono::Duration::days(30),
                enabled: true,
            },
        )
        .await
        .unwrap();
    let foreign = web.get(&format!("/app/acme/ads/{}/click", theirs.id)).await;
    assert_eq!(foreign.status, StatusCode::NOT_FOUND);
    assert!(foreign.location.is_none());
    let stats = app.h.tenantry.campaign_stats(&platform, theirs.id).await.unwrap();
    assert_eq!(counts(stats), (0, 0));
    // Another tenant's slug is 404 too (wall 3), before anything is counted.
    let elsewhere = web.get(&format!("/app/other/ads/{}/click", theirs.id)).await;
    assert_eq!(elsewhere.status, StatusCode::NOT_FOUND);
    let stats = app.h.tenantry.campaign_stats(&platform, theirs.id).await.unwrap();
    assert_eq!(counts(stats), (0, 0));
}
on_both!(the_web_pages_count_ad_impressions_and_clicks_and_redirect_only_to_the_campaign);

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed setup is a failed test
//! `POST /v1/webhooks/stripe` end to end: the real router with the Stripe
//! adapter as the payment provider, Stripe faked in process (wiremock, the
//! adapter's fixtures), payloads signed with async-stripe's test-header helper.
//! Each body runs on the memory store and on PostgreSQL.

use crate::support;
use support::{TestStore, on_both};

use chrono::DateTime;
use reqwest::StatusCode;
use secrecy::SecretString;
use serde_json::{Value, json};
use std::sync::Arc;
use tenantry_domain::plan::PlanCatalog;
use tenantry_domain::settings::PaymentMethodAtSignup;
use tenantry_http::AppState;
use tenantry_http::auth::TokenKeys;
use tenantry_stripe::catalog::{PriceIds, PriceKind};
use tenantry_stripe::webhook::StripeWebhooks;
use tenantry_stripe::{StripeConfig, StripeProvider};
use tenantry_testkit::{FakeClock, Harness};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const SECRET: &str = "whsec_test_tenantry";
/// 2026-11-21T00:01:40Z: the fixtures' proration date, plus a little.
const NOW: i64 = 1_795_219_300;

fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!("{}/../adapters-stripe/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

fn json_body(name: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_raw(fixture(name), "application/json")
}

struct App {
    base: String,
    client: reqwest::Client,
    _stripe: MockServer,
}

async fn spawn(store: Option<tenantry_postgres::testing::StoreFollower>) -> App {
    spawn_with(store, PaymentMethodAtSignup::Optional).await
}

async fn spawn_with(store: Option<tenantry_postgres::testing::StoreFollower>, policy: PaymentMethodAtSignup) -> App {
    let stripe = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/checkout/sessions"))
        .and(wiremock::matchers::body_string_contains("mode=setup"))
        .respond_with(json_body("checkout_session_setup.json"))
        .mount(&stripe)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/customers"))
        .respond_with(json_body("customer.json"))
        .mount(&stripe)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/subscriptions"))
        .respond_with(json_body("subscription_trialing.json"))
        .mount(&stripe)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/subscriptions/sub_1"))
        .respond_with(json_body("subscription_trialing.json"))
        .mount(&stripe)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/setup_intents/seti_T1"))
        .respond_with(json_body("setup_intent.json"))
        .mount(&stripe)
        .await;
    // The card a completed setup-mode Checkout collected becomes the customer's default.
    Mock::given(method("POST"))
        .and(path("/v1/customers/cus_T1"))
        .and(wiremock::matchers::body_string_contains("pm_card_T1"))
        .respond_with(json_body("customer.json"))
        .mount(&stripe)
        .await;
    let now = DateTime::from_timestamp(NOW, 0).unwrap();
    let config = StripeConfig {
        secret_key: SecretString::from("sk_test_x".to_owned()),
        webhook_secret: SecretString::from(SECRET.to_owned()),
        api_base: Some(stripe.uri()),
        public_url: Some("https://app.example.com".into()),
        automatic_tax: false,
    };
    let prices = PriceIds::new([
        (PriceKind::Base(tenantry_domain::Interval::Month), "price_base_month".to_owned()),
        (PriceKind::Seat(tenantry_domain::Interval::Month), "price_seat_month".to_owned()),
        (PriceKind::Base(tenantry_domain::Interval::Year), "price_base_year".to_owned()),
        (PriceKind::Seat(tenantry_domain::Interval::Year), "price_seat_year".to_owned()),
    ])
    .unwrap();
    let provider = Arc::new(
        StripeProvider::with_prices(config, PlanCatalog::default(), prices, None, Arc::new(FakeClock::at(now)))
            .unwrap(),
    );
    let mut builder = Harness::builder().start(now).payments(provider.clone()).payment_method_at_signup(policy);
    if let Some(store) = store {
        let operator = Arc::new(store.operator());
        builder = builder.stores(move |clock| tenantry_testkit::Stores::of(store.at(clock), operator));
    }
    let h = builder.build();
    let state = AppState::new(
        h.tenantry.clone(),
        TokenKeys::random().unwrap(),
        Arc::new(h.clock.clone()),
        Arc::new(tenantry_mail::Links::default()),
    )
    .with_stripe_webhooks(Arc::new(StripeWebhooks::new(SecretString::from(SECRET.to_owned()), provider)));
    let base = support::serve(state).await;
    App { base, client: reqwest::Client::new(), _stripe: stripe }
}

impl App {
    async fn deliver(&self, body: &str, signature: Option<String>) -> (StatusCode, Value) {
        let mut request = self
            .client
            .post(format!("{}/v1/webhooks/stripe", self.base))
            .header("content-type", "application/json")
            .body(body.to_owned());
        if let Some(sig) = signature {
            request = request.header("stripe-signature", sig);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    async fn get(&self, path: &str, token: &str) -> Value {
        let response = self.client.get(format!("{}{path}", self.base)).bearer_auth(token).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        response.json().await.unwrap()
    }

    /// Signs `acme` up (its Stripe customer is the fixtures' `cus_T1`): the 201's body.
    async fn signup(&self) -> Value {
        let response = self
            .client
            .post(format!("{}/v1/signup", self.base))
            .json(&json!({"company_name": "Acme", "slug": "acme", "email": "owner@acme.test",
                          "password": "correct horse battery", "name": "Ann"}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::CREATED);
        response.json().await.unwrap()
    }

    /// A tenant whose Stripe customer is the fixtures' `cus_T1`: (tenant id, owner token).
    async fn tenant(&self) -> (String, String) {
        let body = self.signup().await;
        (body["tenant"]["id"].as_str().unwrap().to_owned(), body["access_token"].as_str().unwrap().to_owned())
    }

    async fn paid_events(&self, tid: &str, token: &str) -> usize {
        let page =
            self.get(&format!("/v1/tenants/{tid}/audit-events?action=billing.invoice_paid&limit=100"), token).await;
        page["events"].as_array().map_or(0, Vec::len)
    }
}

fn sign(body: &str, secret: &str, at: i64) -> String {
    stripe_webhook::Webhook::generate_test_header(body, secret, Some(at))
}

async fn exactly_once(app: App) {
    let (tid, token) = app.tenant().await;
    let body = fixture("event_invoice_paid.json");
    // Ten deliveries of the same event at once: one effect.
    let deliveries = (0..10).map(|_| app.deliver(&body, Some(sign(&body, SECRET, NOW))));
    let answers = futures::future::join_all(deliveries).await;
    let outcomes: Vec<String> = answers
        .iter()
        .map(|(status, body)| {
            assert_eq!(*status, StatusCode::OK, "{body}");
            body["outcome"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(outcomes.iter().filter(|o| *o == "applied").count(), 1, "{outcomes:?}");
    assert_eq!(outcomes.iter().filter(|o| *o == "duplicate").count(), 9, "{outcomes:?}");
    assert_eq!(app.paid_events(&tid, &token).await, 1);
    let invoices = app.get(&format!("/v1/tenants/{tid}/invoices"), &token).await;
    assert_eq!(invoices.as_array().map_or(0, Vec::len), 1, "{invoices}");
}

async fn refused_deliveries_change_nothing(app: App) {
    let (tid, token) = app.tenant().await;
    let body = fixture("event_invoice_paid.json");
    let tampered = body.replace("\"amount_paid\": 7182", "\"amount_paid\": 1");
    for (payload, signature) in [
        (tampered.as_str(), Some(sign(&body, SECRET, NOW))),
        (body.as_str(), Some(sign(&body, "whsec_wrong", NOW))),
        (body.as_str(), Some(sign(&body, SECRET, NOW - 301))),
        (body.as_str(), None),
        (body.as_str(), Some("t=abc,v1=zz".to_owned())),
    ] {
        let (status, problem) = app.deliver(payload, signature).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{problem}");
        assert_eq!(problem["code"], "invalid_signature");
    }
    assert_eq!(app.paid_events(&tid, &token).await, 0);
    // An event tenantry does not handle is acknowledged; a handled one it cannot read is a 5xx (Stripe retries).
    let unknown = fixture("event_unknown_type.json");
    let (status, receipt) = app.deliver(&unknown, Some(sign(&unknown, SECRET, NOW))).await;
    assert_eq!((status, receipt["outcome"].as_str()), (StatusCode::OK, Some("ignored")));
    let broken = fixture("event_subscription_updated_broken.json");
    let (status, problem) = app.deliver(&broken, Some(sign(&broken, SECRET, NOW))).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR, "{problem}");
    assert_eq!(problem["code"], "webhook_unreadable");
    // Events beyond the API's 64 KiB body limit are read (Stripe's invoices with many lines); beyond
    // 1 MiB they are refused before anything is read.
    let large = format!("{unknown}{}", " ".repeat(200 * 1024));
    let (status, receipt) = app.deliver(&large, Some(sign(&large, SECRET, NOW))).await;
    assert_eq!((status, receipt["outcome"].as_str()), (StatusCode::OK, Some("ignored")), "a 200 KiB event");
    let huge = format!("{body}{}", " ".repeat(1024 * 1024));
    let (status, problem) = app.deliver(&huge, Some(sign(&huge, SECRET, NOW))).await;
    assert_eq!((status, problem["code"].as_str()), (StatusCode::PAYLOAD_TOO_LARGE, Some("body_too_large")));
    assert_eq!(app.paid_events(&tid, &token).await, 0);
    // Within the tolerance it is applied.
    let (status, receipt) = app.deliver(&body, Some(sign(&body, SECRET, NOW - 300))).await;
    assert_eq!((status, receipt["outcome"].as_str()), (StatusCode::OK, Some("applied")));
    assert_eq!(app.paid_events(&tid, &token).await, 1);
}

/// A realistic sequence of a trial with a card added and a failed then
/// confirmed payment, delivered in several orders (and partly twice): the
/// final state is the same whatever the order.
async fn order_does_not_matter(app: App) {
    let (tid, token) = app.tenant().await;
    let mut names = vec![
        "event_subscription_created.json",
        "event_checkout_session_completed.json",
        "event_subscription_updated.json",
        "event_trial_will_end.json",
        "event_invoice_payment_failed.json",
        "event_invoice_payment_action_required.json",
        "event_invoice_paid.json",
    ];
    // One fixed shuffle per run (a rotation and a reversal), then the sequence again.
    names.rotate_left(3);
    names.reverse();
    let again = names.clone();
    names.extend(again);
    for name in &names {
        let body = fixture(name);
        let (status, receipt) = app.deliver(&body, Some(sign(&body, SECRET, NOW))).await;
        assert_eq!(status, StatusCode::OK, "{name}: {receipt}");
    }
    let subscription = app.get(&format!("/v1/tenants/{tid}/subscription"), &token).await;
    assert_eq!(subscription["payment_method_on_file"], true, "{subscription}");
    assert_eq!(subscription["status"], "trialing", "{subscription}");
    assert_eq!(app.paid_events(&tid, &token).await, 1);
    let invoices = app.get(&format!("/v1/tenants/{tid}/invoices"), &token).await;
    let ids: std::collections::BTreeSet<&str> =
        invoices.as_array().unwrap().iter().map(|i| i["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), invoices.as_array().unwrap().len(), "each invoice once: {invoices}");
}

/// The same sequence in its natural order gives the same final state.
async fn natural_order(app: App) {
    let (tid, token) = app.tenant().await;
    for name in [
        "event_subscription_created.json",
        "event_checkout_session_completed.json",
        "event_subscription_updated.json",
        "event_trial_will_end.json",
        "event_invoice_payment_failed.json",
        "event_invoice_payment_action_required.json",
        "event_invoice_paid.json",
    ] {
        let body = fixture(name);
        let (status, receipt) = app.deliver(&body, Some(sign(&body, SECRET, NOW))).await;
        assert_eq!(status, StatusCode::OK, "{name}: {receipt}");
    }
    let subscription = app.get(&format!("/v1/tenants/{tid}/subscription"), &token).await;
    assert_eq!(subscription["payment_method_on_file"], true, "{subscription}");
    assert_eq!(subscription["status"], "trialing", "{subscription}");
    assert_eq!(app.paid_events(&tid, &token).await, 1);
}

/// The service with the Stripe adapter on `store`.
async fn app(store: &TestStore) -> App {
    spawn(store.follower()).await
}

/// The same under the `required` trial policy (the binary's default).
async fn required_app(store: &TestStore) -> App {
    spawn_with(store.follower(), PaymentMethodAtSignup::Required).await
}

/// Under the `required` trial policy: signup answers a setup Checkout and a
/// tenant that waits (its routes 403 `payment_method_required`, its
/// subscription readable); `setup_intent.succeeded` starts the trial;
/// `checkout.session.completed` for the same setup after it changes nothing.
async fn a_required_signup_starts_its_trial_on_the_setup_event(app: App) {
    let body = app.signup().await;
    assert_eq!(body["status"], "pending_payment_method", "{body}");
    assert_eq!(body["checkout"]["url"], "https://checkout.stripe.com/c/pay/cs_test_1", "{body}");
    let (tid, token) = (body["tenant"]["id"].as_str().unwrap(), body["access_token"].as_str().unwrap());
    let users = app.client.get(format!("{}/v1/tenants/{tid}/users", app.base)).bearer_auth(token).send().await.unwrap();
    assert_eq!(users.status(), StatusCode::FORBIDDEN);
    let problem: Value = users.json().await.unwrap();
    assert_eq!(problem["code"], "payment_method_required", "{problem}");
    let waiting = app.get(&format!("/v1/tenants/{tid}/subscription"), token).await;
    assert_eq!(
        (waiting["status"].as_str(), waiting["payment_method_on_file"].as_bool()),
        (Some("pending_payment_method"), Some(false))
    );

    let setup = fixture("event_setup_intent_succeeded.json");
    let (status, receipt) = app.deliver(&setup, Some(sign(&setup, SECRET, NOW))).await;
    assert_eq!((status, receipt["outcome"].as_str()), (StatusCode::OK, Some("applied")), "{receipt}");
    let started = app.get(&format!("/v1/tenants/{tid}/subscription"), token).await;
    assert_eq!(
        (started["status"].as_str(), started["trial_days_left"].as_i64()),
        (Some("trialing"), Some(14)),
        "{started}"
    );
    assert_eq!(started["payment_method_on_file"], true);
    let completed = fixture("event_checkout_session_completed.json");
    let (status, _) = app.deliver(&completed, Some(sign(&completed, SECRET, NOW))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        app.get(&format!("/v1/tenants/{tid}/subscription"), token).await,
        started,
        "the second signal changes nothing"
    );
    app.get(&format!("/v1/tenants/{tid}/users"), token).await;
}

on_both!(a_required_signup_starts_its_trial_on_the_setup_event, required_app);
on_both!(exactly_once);
on_both!(refused_deliveries_change_nothing);
on_both!(order_does_not_matter);
on_both!(natural_order);

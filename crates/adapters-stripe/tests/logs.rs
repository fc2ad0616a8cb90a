#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed setup is a failed test
//! Neither the Stripe secret key nor the webhook signing secret reaches a log
//! line or a `Debug` output, at every level, through successful calls,
//! refused calls and webhook verification.

#[path = "it/support/mod.rs"]
mod support;

use chrono::{TimeZone, Utc};
use secrecy::SecretString;
use std::sync::Arc;
use support::fake_stripe::FakeStripe;
use tenantry_domain::Interval;
use tenantry_domain::plan::PlanCatalog;
use tenantry_ports::payment::{CustomerDetails, IdempotencyKey, PaymentProvider};
use tenantry_stripe::webhook::StripeWebhooks;
use tenantry_stripe::{StripeConfig, StripeProvider};
use tenantry_testkit::FakeClock;
use tenantry_testkit::fakes::CapturedLog;

const KEY: &str = "sk_test_must_never_be_logged_51Hx";
const WEBHOOK_SECRET: &str = "whsec_must_never_be_logged_9Qz";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_stripe_secret_reaches_the_log() {
    let captured = CapturedLog::default();
    tracing::subscriber::set_global_default(captured.subscriber()).unwrap();
    let now = Utc.with_ymd_and_hms(2026, 11, 1, 9, 0, 0).unwrap();
    let clock = FakeClock::at(now);
    let (server, _fake) = FakeStripe::start(Arc::new(clock.clone())).await;
    let config = StripeConfig {
        secret_key: SecretString::from(KEY.to_owned()),
        webhook_secret: SecretString::from(WEBHOOK_SECRET.to_owned()),
        api_base: Some(server.uri()),
        public_url: None,
        automatic_tax: false,
    };
    let prices = support::price_ids();
    let provider = Arc::new(
        StripeProvider::with_prices(config.clone(), PlanCatalog::default(), prices, None, Arc::new(clock)).unwrap(),
    );
    let details = CustomerDetails {
        tenant_id: tenantry_domain::TenantId::parse("0191e6a0-0000-7000-8000-000000000001").unwrap(),
        name: "Acme".into(),
        email: tenantry_domain::Email::parse("owner@acme.test").unwrap(),
        country: None,
        vat_id: None,
    };
    let customer = provider.create_customer(&details, &IdempotencyKey("log-1".into())).await.unwrap();
    provider
        .start_trial(&customer, now + chrono::Duration::days(14), Interval::Month, &IdempotencyKey("log-2".into()))
        .await
        .unwrap();
    // Refused calls log too: a subscription that does not exist, a paid plan without a card.
    assert!(provider.subscription("sub_missing").await.unwrap().is_none());
    assert!(provider.start_subscription(&customer, Interval::Month, 0, &IdempotencyKey("log-3".into())).await.is_err());
    let hooks = StripeWebhooks::new(SecretString::from(WEBHOOK_SECRET.to_owned()), provider.clone());
    let body = r#"{"id":"evt_1","object":"event","api_version":"2026-09-30.endive","created":1,"livemode":false,"pending_webhooks":1,"request":null,"type":"billing.unknown","data":{"object":{}}}"#;
    let good = stripe_webhook::Webhook::generate_test_header(body, WEBHOOK_SECRET, Some(now.timestamp()));
    assert!(hooks.event(body, Some(&good), now).await.is_ok());
    assert!(hooks.event(body, Some("t=1,v1=00"), now).await.is_err());

    for text in [format!("{config:?}"), format!("{provider:?}"), format!("{hooks:?}")] {
        assert!(!text.contains(KEY) && !text.contains(WEBHOOK_SECRET), "{text}");
    }
    let log = captured.text();
    assert!(log.lines().count() > 10, "the log captured too little to prove anything:\n{log}");
    assert!(!log.contains(KEY), "the secret key reached the log");
    assert!(!log.contains(WEBHOOK_SECRET), "the webhook secret reached the log");
}

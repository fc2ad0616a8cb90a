#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed setup is a failed test
//! The Stripe adapter against an in-process fake of Stripe's API (wiremock)
//! serving the JSON fixtures of `tests/fixtures` (their amounts are computed by
//! hand from Stripe's proration formula in `fixtures/README.md`, not by the
//! domain, so the agreement tests below are not circular). The fake checks the
//! form-encoded parameters each call sends.

use chrono::{DateTime, TimeZone, Utc};
use secrecy::SecretString;
use std::sync::Arc;
use tenantry_domain::Interval;
use tenantry_domain::plan::PlanCatalog;
use tenantry_domain::proration;
use tenantry_domain::subscription::ProviderStatus;
use tenantry_ports::payment::BillingEventKind;
use tenantry_ports::payment::{ChangeRequest, IdempotencyKey, PaymentError, PaymentProvider, ProviderChange};
use tenantry_stripe::catalog::{PriceIds, PriceKind};
use tenantry_stripe::webhook::{StripeWebhooks, WebhookRefusal};
use tenantry_stripe::{StripeConfig, StripeProvider};
use tenantry_testkit::fakes::FakeClock;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use crate::support;

const SECRET: &str = "whsec_test_tenantry";

fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

fn json(name: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_raw(fixture(name), "application/json")
}

fn error(status: u16, name: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_raw(fixture(name), "application/json")
}

fn ts(y: i32, m: u32, d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, 0, 0, 0).unwrap()
}

fn prices() -> PriceIds {
    support::price_ids()
}

fn config(server: &MockServer) -> StripeConfig {
    StripeConfig {
        secret_key: SecretString::from("sk_test_never_logged".to_owned()),
        webhook_secret: SecretString::from(SECRET.to_owned()),
        api_base: Some(server.uri()),
        public_url: Some("https://app.example.com".into()),
        automatic_tax: false,
    }
}

async fn provider(server: &MockServer, now: DateTime<Utc>) -> Arc<StripeProvider> {
    let clock = Arc::new(FakeClock::at(now));
    Arc::new(
        StripeProvider::with_prices(config(server), PlanCatalog::default(), prices(), Some("bpc_1".into()), clock)
            .unwrap(),
    )
}

/// A matcher: the form body holds every one of `pairs`.
struct FormHas(Vec<(&'static str, String)>);

impl wiremock::Match for FormHas {
    fn matches(&self, request: &Request) -> bool {
        let got = support::fake_stripe::pairs(&String::from_utf8_lossy(&request.body));
        self.0.iter().all(|(k, v)| got.iter().any(|(gk, gv)| gk == k && gv == v))
    }
}

fn has(pairs: &[(&'static str, &str)]) -> FormHas {
    FormHas(pairs.iter().map(|(k, v)| (*k, (*v).to_owned())).collect())
}

async fn serve_subscription(server: &MockServer, name: &str) {
    Mock::given(method("GET")).and(path("/v1/subscriptions/sub_1")).respond_with(json(name)).mount(server).await;
}

// ------------------------------------------------------------------ reading Stripe's objects

#[tokio::test]
async fn subscriptions_read_as_snapshots() {
    let server = MockServer::start().await;
    let p = provider(&server, ts(2026, 11, 21)).await;
    serve_subscription(&server, "subscription_active.json").await;
    let s = p.subscription("sub_1").await.unwrap().unwrap();
    assert_eq!(s.customer, "cus_T1");
    assert_eq!(s.snapshot.status, ProviderStatus::Active);
    assert_eq!(s.snapshot.interval, Interval::Month);
    assert_eq!((s.snapshot.extra_seats, s.snapshot.extra_seats_next_period), (2, 2));
    assert_eq!((s.snapshot.period.start(), s.snapshot.period.end()), (ts(2026, 11, 1), ts(2026, 12, 1)));
    assert!(!s.snapshot.cancel_at_period_end);
}

#[tokio::test]
async fn a_trial_reads_as_trialing_over_the_trial_and_a_schedule_gives_the_next_period() {
    let server = MockServer::start().await;
    let p = provider(&server, ts(2026, 11, 21)).await;
    Mock::given(method("GET"))
        .and(path("/v1/subscriptions/sub_trial"))
        .respond_with(json("subscription_trialing.json"))
        .mount(&server)
        .await;
    let t = p.subscription("sub_trial").await.unwrap().unwrap();
    assert_eq!(t.snapshot.status, ProviderStatus::Trialing);
    assert_eq!((t.snapshot.period.start(), t.snapshot.period.end()), (ts(2026, 11, 1), ts(2026, 11, 15)));
    assert_eq!(t.snapshot.extra_seats, 0);

    serve_subscription(&server, "subscription_with_schedule.json").await;
    Mock::given(method("GET"))
        .and(path("/v1/subscription_schedules/sub_sched_1"))
        .respond_with(json("subscription_schedule.json"))
        .mount(&server)
        .await;
    let s = p.subscription("sub_1").await.unwrap().unwrap();
    assert_eq!((s.snapshot.interval, s.snapshot.extra_seats), (Interval::Year, 4));
    assert_eq!((s.snapshot.interval_next_period, s.snapshot.extra_seats_next_period), (Interval::Month, 2));
}

#[tokio::test]
async fn a_missing_subscription_is_none_and_errors_are_typed() {
    let server = MockServer::start().await;
    let p = provider(&server, ts(2026, 11, 21)).await;
    Mock::given(method("GET"))
        .and(path("/v1/subscriptions/sub_gone"))
        .respond_with(error(404, "error_resource_missing.json"))
        .mount(&server)
        .await;
    assert!(p.subscription("sub_gone").await.unwrap().is_none());
    Mock::given(method("GET"))
        .and(path("/v1/subscriptions/sub_busy"))
        .respond_with(error(429, "error_rate_limit.json"))
        .mount(&server)
        .await;
    assert!(matches!(p.subscription("sub_busy").await, Err(PaymentError::Unavailable(_))));
    Mock::given(method("POST"))
        .and(path("/v1/subscriptions"))
        .respond_with(error(402, "error_card_declined.json"))
        .mount(&server)
        .await;
    let declined = p.start_subscription("cus_T1", Interval::Month, 0, &IdempotencyKey("k-start".into())).await;
    assert!(matches!(declined, Err(PaymentError::CardDeclined(_))), "{declined:?}");
}

#[tokio::test]
async fn invoices_carry_tax_and_hosted_links() {
    let server = MockServer::start().await;
    let p = provider(&server, ts(2026, 12, 2)).await;
    Mock::given(method("GET")).and(path("/v1/invoices")).respond_with(json("invoices_list.json")).mount(&server).await;
    let invoices = p.invoices("cus_T1").await.unwrap();
    assert_eq!(invoices.len(), 2);
    let renewal = &invoices[0];
    assert_eq!((renewal.subtotal.cents(), renewal.tax.cents(), renewal.total.cents()), (5985, 1197, 7182));
    assert!(renewal.hosted_url.is_some() && renewal.pdf_url.is_some());
    let proration = &invoices[1];
    assert_eq!(proration.subtotal.cents(), 165);
    assert!(proration.lines.iter().all(|l| l.proration));
    assert_eq!(proration.lines.iter().map(|l| l.amount.cents()).sum::<i64>(), 165);
}

// ------------------------------------------------------------------ previews agree with the domain

#[tokio::test]
async fn the_seat_preview_is_stripes_and_agrees_with_the_domain() {
    let server = MockServer::start().await;
    let at = ts(2026, 11, 21);
    let p = provider(&server, at).await;
    serve_subscription(&server, "subscription_active.json").await;
    Mock::given(method("POST"))
        .and(path("/v1/invoices/create_preview"))
        .and(has(&[
            ("subscription", "sub_1"),
            ("subscription_details[items][0][id]", "si_seat"),
            ("subscription_details[items][0][quantity]", "4"),
            ("subscription_details[proration_behavior]", "always_invoice"),
            ("subscription_details[proration_date]", &at.timestamp().to_string()),
        ]))
        .respond_with(json("invoice_preview_seats.json"))
        .expect(1)
        .mount(&server)
        .await;
    let request = ChangeRequest {
        subscription: "sub_1".into(),
        change: ProviderChange::IncreaseSeats { from_extra: 2, to_extra: 4 },
        proration_date: at,
    };
    let stripe = p.preview_change(&request).await.unwrap();
    assert_eq!(stripe.total.cents(), 330);
    let period = tenantry_domain::Period::new(ts(2026, 11, 1), ts(2026, 12, 1)).unwrap();
    let domain = proration::seat_increase(&PlanCatalog::default(), Interval::Month, 2, 4, &period, at).unwrap();
    assert_eq!(domain.total, stripe.total);
    let amounts = |p: &proration::ChargePreview| p.lines.iter().map(|l| (l.kind, l.amount.cents())).collect::<Vec<_>>();
    assert_eq!(amounts(&domain), amounts(&stripe));
}

/// The pre-invoice warning's figures are Stripe's upcoming-invoice preview
/// of the subscription (no change asked): its lines, tax and total, charged
/// when the next period starts; none for a subscription cancelling at its end.
#[tokio::test]
async fn the_upcoming_invoice_is_stripes_preview_of_the_subscription() {
    let server = MockServer::start().await;
    let p = provider(&server, ts(2026, 11, 28)).await;
    Mock::given(method("GET"))
        .and(path("/v1/subscriptions/sub_1"))
        .respond_with(json("subscription_active.json"))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/invoices/create_preview"))
        .and(has(&[("subscription", "sub_1"), ("automatic_tax[enabled]", "false")]))
        .respond_with(json("invoice_renewal_paid.json"))
        .expect(1)
        .mount(&server)
        .await;
    let upcoming = p.upcoming_invoice("sub_1").await.unwrap().unwrap();
    assert_eq!(upcoming.at, ts(2026, 12, 1));
    assert_eq!((upcoming.subtotal.cents(), upcoming.tax.cents(), upcoming.total.cents()), (5985, 1197, 7182));
    assert_eq!(upcoming.discount.cents(), 0);
    let lines: Vec<_> = upcoming.lines.iter().map(|l| (l.item, l.quantity, l.amount.cents())).collect();
    assert_eq!(lines, vec![(proration::LineItem::Base, 1, 4995), (proration::LineItem::ExtraSeats, 2, 990)]);

    let cancelling = MockServer::start().await;
    let p = provider(&cancelling, ts(2026, 11, 28)).await;
    Mock::given(method("GET"))
        .and(path("/v1/subscriptions/sub_1"))
        .respond_with(json("subscription_canceling.json"))
        .mount(&cancelling)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/invoices/create_preview"))
        .respond_with(json("invoice_renewal_paid.json"))
        .expect(0)
        .mount(&cancelling)
        .await;
    assert_eq!(p.upcoming_invoice("sub_1").await.unwrap(), None);
}

/// The superuser's "pause payments" is `pause_collection[behavior]=void`;
/// resuming sends the empty value that clears it (a request written out on
/// rc.10's request builder, which its typed builder cannot send); a comp is a
/// 100 % coupon repeating for its months, put on the subscription with the
/// comp's end in the metadata. Each is read back into the snapshot.
#[tokio::test]
async fn pausing_resuming_and_comping_send_stripes_parameters_and_read_back() {
    use tenantry_domain::subscription::Collection;
    let server = MockServer::start().await;
    let at = ts(2026, 11, 21);
    let p = provider(&server, at).await;
    let mut paused = serde_json::from_str::<serde_json::Value>(&fixture("subscription_active.json")).unwrap();
    paused["pause_collection"] = serde_json::json!({"behavior": "void", "resumes_at": null});
    let until = ts(2027, 2, 21);
    let mut comped = serde_json::from_str::<serde_json::Value>(&fixture("subscription_active.json")).unwrap();
    comped["metadata"]["tenantry_free_until"] = serde_json::json!(until.timestamp().to_string());
    // What each read of the subscription answers, in turn: before each change, and after it.
    for (n, body) in [&paused, &paused, &comped].iter().enumerate() {
        Mock::given(method("GET"))
            .and(path("/v1/subscriptions/sub_1"))
            .respond_with(ResponseTemplate::new(200).set_body_json(*body))
            .up_to_n_times(2)
            .with_priority(u8::try_from(n + 1).unwrap())
            .mount(&server)
            .await;
    }
    Mock::given(method("POST"))
        .and(path("/v1/subscriptions/sub_1"))
        .and(has(&[("pause_collection[behavior]", "void")]))
        .respond_with(ResponseTemplate::new(200).set_body_json(&paused))
        .expect(1)
        .mount(&server)
        .await;
    let request = |change| ChangeRequest { subscription: "sub_1".into(), change, proration_date: at };
    let key = |k: &str| tenantry_ports::payment::IdempotencyKey(k.to_owned());
    let done = p.change(&request(ProviderChange::PauseCollection { paused: true }), &key("k-pause")).await.unwrap();
    assert_eq!(done.subscription.snapshot.collection, Collection { paused: true, free_until: None });

    Mock::given(method("POST"))
        .and(path("/v1/subscriptions/sub_1"))
        .and(wiremock::matchers::body_string("pause_collection="))
        .respond_with(json("subscription_active.json"))
        .expect(1)
        .mount(&server)
        .await;
    p.change(&request(ProviderChange::PauseCollection { paused: false }), &key("k-resume")).await.unwrap();

    Mock::given(method("POST"))
        .and(path("/v1/coupons"))
        .and(has(&[("percent_off", "100.0"), ("duration", "repeating"), ("duration_in_months", "3")]))
        .respond_with(json("coupon_comp.json"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/subscriptions/sub_1"))
        .and(has(&[
            ("discounts[0][coupon]", "Z4OV52SU"),
            ("metadata[tenantry_free_until]", &until.timestamp().to_string()),
        ]))
        .respond_with(ResponseTemplate::new(200).set_body_json(&comped))
        .expect(1)
        .mount(&server)
        .await;
    let done = p.change(&request(ProviderChange::Comp { months: 3 }), &key("k-comp")).await.unwrap();
    assert_eq!(done.subscription.snapshot.collection, Collection { paused: false, free_until: Some(until) });
    let refused = p.change(&request(ProviderChange::Comp { months: 37 }), &key("k-comp-37")).await;
    assert!(matches!(refused, Err(PaymentError::Rejected(_))), "{refused:?}");
}

/// Promotion codes on Stripe, checked against rc.10-shaped fixtures: a
/// coupon is `percent_off` (or `amount_off` with the currency) with its
/// duration, limit and last date; a promotion code is `promotion[type]=coupon`
/// with its coupon, `restrictions[first_time_transaction]` and its limits; the
/// preview asks Stripe's create-preview with `discounts[0][promotion_code]`;
/// applying it sets the subscription's `discounts` and records the discount in
/// its metadata (clearing a comp's), and it reads back; a code switches off.
#[tokio::test]
async fn promotion_codes_send_stripes_parameters_and_read_back() {
    use tenantry_domain::discount::{
        AppliedDiscount, Coupon, CouponRecord, DiscountDuration, Off, PromotionCode, PromotionCodeRecord,
    };
    use tenantry_domain::{CouponId, Money, PromotionCodeId};
    let server = MockServer::start().await;
    let at = ts(2026, 11, 21);
    let p = provider(&server, at).await;
    let key = |k: &str| tenantry_ports::payment::IdempotencyKey(k.to_owned());
    let coupon = CouponRecord {
        id: CouponId::parse("019a6f3c-0000-7000-8000-000000000002").unwrap(),
        name: "Spring 2027".into(),
        coupon: Coupon::new(
            Off::Percent { basis_points: 2_000 },
            DiscountDuration::Repeating { months: 3 },
            Some(100),
            Some(ts(2027, 1, 1)),
        )
        .unwrap(),
        provider_id: None,
        created_at: at,
    };
    Mock::given(method("POST"))
        .and(path("/v1/coupons"))
        .and(has(&[
            ("percent_off", "20.0"),
            ("duration", "repeating"),
            ("duration_in_months", "3"),
            ("max_redemptions", "100"),
            ("redeem_by", "1798761600"),
            ("name", "Spring 2027"),
            ("metadata[tenantry_coupon]", "019a6f3c-0000-7000-8000-000000000002"),
        ]))
        .and(wiremock::matchers::header("idempotency-key", "k-coupon"))
        .respond_with(json("coupon_spring.json"))
        .expect(1)
        .mount(&server)
        .await;
    assert_eq!(p.create_coupon(&coupon, &key("k-coupon")).await.unwrap(), "coupon_spring");
    let ten_off = CouponRecord {
        coupon: Coupon::new(Off::Amount { amount: Money::eur(1_000) }, DiscountDuration::Once, None, None).unwrap(),
        ..coupon.clone()
    };
    Mock::given(method("POST"))
        .and(path("/v1/coupons"))
        .and(has(&[("amount_off", "1000"), ("currency", "eur"), ("duration", "once")]))
        .respond_with(json("coupon_spring.json"))
        .expect(1)
        .mount(&server)
        .await;
    p.create_coupon(&ten_off, &key("k-ten")).await.unwrap();

    let code = PromotionCodeRecord {
        id: PromotionCodeId::parse("019a6f3c-0000-7000-8000-000000000001").unwrap(),
        coupon_id: coupon.id,
        promotion: PromotionCode::new("SPRING20", true, Some(ts(2027, 1, 1)), Some(100)).unwrap(),
        provider_id: None,
        created_at: at,
    };
    Mock::given(method("POST"))
        .and(path("/v1/promotion_codes"))
        .and(has(&[
            ("promotion[type]", "coupon"),
            ("promotion[coupon]", "coupon_spring"),
            ("code", "SPRING20"),
            ("restrictions[first_time_transaction]", "true"),
            ("max_redemptions", "100"),
            ("expires_at", "1798761600"),
            ("metadata[tenantry_promotion_code]", "019a6f3c-0000-7000-8000-000000000001"),
        ]))
        .respond_with(json("promotion_code.json"))
        .expect(1)
        .mount(&server)
        .await;
    assert_eq!(p.create_promotion_code(&code, "coupon_spring", &key("k-code")).await.unwrap(), "promo_1SPRING");

    let discount = AppliedDiscount::new("SPRING20", &coupon.coupon, at, ts(2026, 12, 1));
    Mock::given(method("GET"))
        .and(path("/v1/subscriptions/sub_1"))
        .respond_with(json("subscription_active.json"))
        .mount(&server)
        .await;
    let mut preview = serde_json::from_str::<serde_json::Value>(&fixture("invoice_renewal_paid.json")).unwrap();
    preview["total_discount_amounts"] = serde_json::json!([{"amount": 1197, "discount": "di_1"}]);
    preview["total"] = serde_json::json!(5985 - 1197 + 958);
    preview["total_excluding_tax"] = serde_json::json!(5985 - 1197);
    Mock::given(method("POST"))
        .and(path("/v1/invoices/create_preview"))
        .and(has(&[("subscription", "sub_1"), ("discounts[0][promotion_code]", "promo_1SPRING")]))
        .respond_with(ResponseTemplate::new(200).set_body_json(&preview))
        .expect(1)
        .mount(&server)
        .await;
    let seen = p.preview_discount("sub_1", "promo_1SPRING", &discount).await.unwrap().unwrap();
    assert_eq!(
        (seen.subtotal.cents(), seen.discount.cents(), seen.tax.cents(), seen.total.cents()),
        (5985, 1197, 958, 5746),
        "VAT on the discounted amount, as Stripe computes it"
    );

    let mut applied = serde_json::from_str::<serde_json::Value>(&fixture("subscription_active.json")).unwrap();
    applied["discounts"] = serde_json::json!(["di_1"]);
    applied["metadata"]["tenantry_discount"] = serde_json::json!(serde_json::to_string(&discount).unwrap());
    Mock::given(method("POST"))
        .and(path("/v1/subscriptions/sub_1"))
        .and(has(&[
            ("discounts[0][promotion_code]", "promo_1SPRING"),
            ("metadata[tenantry_discount]", &serde_json::to_string(&discount).unwrap()),
            ("metadata[tenantry_free_until]", ""),
        ]))
        .respond_with(ResponseTemplate::new(200).set_body_json(&applied))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/subscriptions/sub_1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(&applied))
        .with_priority(1)
        .mount(&server)
        .await;
    let done = p.apply_discount("sub_1", "promo_1SPRING", &discount, &key("k-apply")).await.unwrap();
    assert_eq!(done.snapshot.discount, Some(discount.clone()));
    // The same metadata on a subscription without discounts (Stripe removed a used-up one): none.
    applied["discounts"] = serde_json::json!([]);
    Mock::given(method("GET"))
        .and(path("/v1/subscriptions/sub_used"))
        .respond_with(ResponseTemplate::new(200).set_body_json(&applied))
        .mount(&server)
        .await;
    let used = p.subscription("sub_used").await.unwrap().unwrap();
    assert_eq!(used.snapshot.discount, None);

    Mock::given(method("POST"))
        .and(path("/v1/promotion_codes/promo_1SPRING"))
        .and(has(&[("active", "false")]))
        .respond_with(json("promotion_code.json"))
        .expect(1)
        .mount(&server)
        .await;
    p.set_promotion_code_active("promo_1SPRING", false, &key("k-off")).await.unwrap();
}

#[tokio::test]
async fn the_interval_preview_is_stripes_and_agrees_with_the_domain() {
    let server = MockServer::start().await;
    let at = ts(2026, 11, 21);
    let p = provider(&server, at).await;
    Mock::given(method("GET"))
        .and(path("/v1/subscriptions/sub_1"))
        .respond_with(json("subscription_active.json"))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/invoices/create_preview"))
        .and(has(&[
            ("subscription_details[items][0][price]", "price_base_year"),
            ("subscription_details[items][1][price]", "price_seat_year"),
            ("subscription_details[items][1][quantity]", "4"),
            ("subscription_details[billing_cycle_anchor][type]", "now"),
        ]))
        .respond_with(json("invoice_preview_interval.json"))
        .expect(1)
        .mount(&server)
        .await;
    let request = ChangeRequest {
        subscription: "sub_1".into(),
        change: ProviderChange::IntervalNow { to: Interval::Year, extra_seats: 4 },
        proration_date: at,
    };
    let stripe = p.preview_change(&request).await.unwrap();
    assert_eq!(stripe.total.cents(), 69_335);
    let period = tenantry_domain::Period::new(ts(2026, 11, 1), ts(2026, 12, 1)).unwrap();
    let domain =
        proration::interval_change_now(&PlanCatalog::default(), Interval::Month, Interval::Year, 7, &period, at)
            .unwrap();
    assert_eq!(domain.total, stripe.total);
}

#[tokio::test]
async fn a_preview_outside_the_period_is_refused_without_asking_for_one() {
    let server = MockServer::start().await;
    let p = provider(&server, ts(2026, 12, 2)).await;
    serve_subscription(&server, "subscription_active.json").await;
    let request = ChangeRequest {
        subscription: "sub_1".into(),
        change: ProviderChange::IncreaseSeats { from_extra: 2, to_extra: 4 },
        proration_date: ts(2026, 12, 2),
    };
    assert!(matches!(p.preview_change(&request).await, Err(PaymentError::Rejected(_))));
}

// ------------------------------------------------------------------ changes

#[tokio::test]
async fn adding_seats_invoices_at_once_pending_if_incomplete_with_the_preview_date_and_a_key() {
    let server = MockServer::start().await;
    let at = ts(2026, 11, 21);
    let p = provider(&server, at).await;
    Mock::given(method("GET"))
        .and(path("/v1/subscriptions/sub_1"))
        .respond_with(json("subscription_active.json"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/subscriptions/sub_1"))
        .and(header("idempotency-key", "seats:t:7:abc"))
        .and(has(&[
            ("items[0][id]", "si_seat"),
            ("items[0][quantity]", "4"),
            ("proration_behavior", "always_invoice"),
            ("payment_behavior", "pending_if_incomplete"),
            ("proration_date", &at.timestamp().to_string()),
        ]))
        .respond_with(json("subscription_active_after_increase.json"))
        .expect(1)
        .mount(&server)
        .await;
    serve_subscription(&server, "subscription_active_after_increase.json").await;
    let request = ChangeRequest {
        subscription: "sub_1".into(),
        change: ProviderChange::IncreaseSeats { from_extra: 2, to_extra: 4 },
        proration_date: at,
    };
    let outcome = p.change(&request, &IdempotencyKey("seats:t:7:abc".into())).await.unwrap();
    assert_eq!(outcome.subscription.snapshot.extra_seats, 4);
    assert_eq!(outcome.subscription.snapshot.extra_seats_next_period, 4);
}

#[tokio::test]
async fn a_declined_card_leaves_the_quantity_and_says_so() {
    let server = MockServer::start().await;
    let at = ts(2026, 11, 21);
    let p = provider(&server, at).await;
    serve_subscription(&server, "subscription_active.json").await;
    Mock::given(method("POST"))
        .and(path("/v1/subscriptions/sub_1"))
        .respond_with(json("subscription_pending_update.json"))
        .expect(1)
        .mount(&server)
        .await;
    let request = ChangeRequest {
        subscription: "sub_1".into(),
        change: ProviderChange::IncreaseSeats { from_extra: 2, to_extra: 4 },
        proration_date: at,
    };
    let refused = p.change(&request, &IdempotencyKey("k".into())).await;
    assert!(matches!(refused, Err(PaymentError::CardDeclined(_))), "{refused:?}");
}

#[tokio::test]
async fn a_reduction_becomes_the_next_phase_of_a_schedule() {
    let server = MockServer::start().await;
    let p = provider(&server, ts(2026, 11, 21)).await;
    serve_subscription(&server, "subscription_yearly.json").await;
    Mock::given(method("POST"))
        .and(path("/v1/subscription_schedules"))
        .and(has(&[("from_subscription", "sub_1")]))
        .respond_with(json("subscription_schedule.json"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/subscription_schedules/sub_sched_1"))
        .and(has(&[
            ("end_behavior", "release"),
            ("phases[0][items][1][price]", "price_seat_year"),
            ("phases[0][items][1][quantity]", "4"),
            ("phases[0][end_date]", &ts(2027, 11, 21).timestamp().to_string()),
            ("phases[1][items][1][price]", "price_seat_year"),
            ("phases[1][items][1][quantity]", "2"),
            ("phases[1][proration_behavior]", "none"),
        ]))
        .respond_with(json("subscription_schedule.json"))
        .expect(1)
        .mount(&server)
        .await;
    let request = ChangeRequest {
        subscription: "sub_1".into(),
        change: ProviderChange::ScheduleSeats { extra_seats_next_period: 2 },
        proration_date: ts(2026, 11, 21),
    };
    p.change(&request, &IdempotencyKey("k-reduce".into())).await.unwrap();
}

#[tokio::test]
async fn a_trial_starts_with_cancel_when_no_payment_method_and_a_pinned_billing_mode() {
    let server = MockServer::start().await;
    let p = provider(&server, ts(2026, 11, 1)).await;
    Mock::given(method("POST"))
        .and(path("/v1/subscriptions"))
        .and(header("idempotency-key", "trial:t:0:x"))
        .and(has(&[
            ("customer", "cus_T1"),
            ("items[0][price]", "price_base_month"),
            ("items[0][quantity]", "1"),
            ("items[1][price]", "price_seat_month"),
            ("items[1][quantity]", "0"),
            ("trial_end", &ts(2026, 11, 15).timestamp().to_string()),
            ("trial_settings[end_behavior][missing_payment_method]", "cancel"),
            ("billing_mode[type]", "flexible"),
        ]))
        .respond_with(json("subscription_trialing.json"))
        .expect(1)
        .mount(&server)
        .await;
    let sub = p
        .start_trial("cus_T1", ts(2026, 11, 15), Interval::Month, &IdempotencyKey("trial:t:0:x".into()))
        .await
        .unwrap();
    assert_eq!(sub.snapshot.status, ProviderStatus::Trialing);
}

#[tokio::test]
async fn checkout_is_setup_mode_for_the_existing_customer() {
    let server = MockServer::start().await;
    let p = provider(&server, ts(2026, 11, 1)).await;
    Mock::given(method("POST"))
        .and(path("/v1/checkout/sessions"))
        .and(has(&[
            ("mode", "setup"),
            ("customer", "cus_T1"),
            ("currency", "eur"),
            ("success_url", "https://app.example.com/v1/billing/return"),
        ]))
        .respond_with(json("checkout_session_setup.json"))
        .expect(1)
        .mount(&server)
        .await;
    let session = p
        .checkout_session("cus_T1", &tenantry_ports::payment::ReturnPath::from_static("/v1/billing/return"))
        .await
        .unwrap();
    assert!(session.url.starts_with("https://checkout.stripe.com/"));
    Mock::given(method("POST"))
        .and(path("/v1/billing_portal/sessions"))
        .and(has(&[("customer", "cus_T1"), ("configuration", "bpc_1")]))
        .respond_with(json("billing_portal_session.json"))
        .expect(1)
        .mount(&server)
        .await;
    p.portal_session("cus_T1", &tenantry_ports::payment::ReturnPath::from_static("/v1/billing/return")).await.unwrap();
}

#[test]
fn the_secret_key_never_shows_in_debug_output() {
    let config = StripeConfig {
        secret_key: SecretString::from("sk_live_very_secret".to_owned()),
        webhook_secret: SecretString::from("whsec_very_secret".to_owned()),
        api_base: None,
        public_url: None,
        automatic_tax: false,
    };
    let text = format!("{config:?}");
    assert!(!text.contains("very_secret"), "{text}");
}

// ------------------------------------------------------------------ webhooks

fn signed(payload: &str, secret: &str, at: DateTime<Utc>) -> String {
    stripe_webhook::Webhook::generate_test_header(payload, secret, Some(at.timestamp()))
}

#[tokio::test]
async fn webhooks_are_verified_against_the_raw_body_and_the_clock() {
    let server = MockServer::start().await;
    let now = DateTime::from_timestamp(1_795_219_300, 0).unwrap();
    let p = provider(&server, now).await;
    let hooks = StripeWebhooks::new(SecretString::from(SECRET.to_owned()), p);
    let body = fixture("event_invoice_paid.json");
    let event = hooks.event(&body, Some(&signed(&body, SECRET, now)), now).await.unwrap().unwrap();
    assert!(matches!(event.kind, BillingEventKind::InvoicePaid(_)));
    assert_eq!(event.customer, "cus_T1");

    let tampered = body.replace("cus_T1", "cus_T2");
    let refused = hooks.event(&tampered, Some(&signed(&body, SECRET, now)), now).await;
    assert!(matches!(refused, Err(WebhookRefusal::BadSignature)));
    let wrong = hooks.event(&body, Some(&signed(&body, "whsec_other", now)), now).await;
    assert!(matches!(wrong, Err(WebhookRefusal::BadSignature)));
    let stale = now - chrono::Duration::seconds(301);
    assert!(matches!(
        hooks.event(&body, Some(&signed(&body, SECRET, stale)), now).await,
        Err(WebhookRefusal::BadSignature)
    ));
    let in_tolerance = now - chrono::Duration::seconds(300);
    assert!(hooks.event(&body, Some(&signed(&body, SECRET, in_tolerance)), now).await.is_ok());
    assert!(matches!(hooks.event(&body, None, now).await, Err(WebhookRefusal::BadSignature)));
}

#[tokio::test]
async fn unknown_events_are_ignored_and_broken_known_ones_are_errors() {
    let server = MockServer::start().await;
    let now = DateTime::from_timestamp(1_795_219_300, 0).unwrap();
    let hooks = StripeWebhooks::new(SecretString::from(SECRET.to_owned()), provider(&server, now).await);
    for name in ["event_unknown_type.json", "event_unhandled_charge_succeeded.json"] {
        let body = fixture(name);
        assert!(hooks.event(&body, Some(&signed(&body, SECRET, now)), now).await.unwrap().is_none(), "{name}");
    }
    let body = fixture("event_subscription_updated_broken.json");
    let broken = hooks.event(&body, Some(&signed(&body, SECRET, now)), now).await;
    assert!(matches!(broken, Err(WebhookRefusal::Unreadable(_))), "{broken:?}");
}

#[tokio::test]
async fn subscription_events_apply_the_current_state_not_the_payload() {
    let server = MockServer::start().await;
    let now = DateTime::from_timestamp(1_795_219_300, 0).unwrap();
    let p = provider(&server, now).await;
    // Whatever the (possibly stale) payload says, the subscription is fetched again.
    serve_subscription(&server, "subscription_active_after_increase.json").await;
    let hooks = StripeWebhooks::new(SecretString::from(SECRET.to_owned()), p);
    let body = fixture("event_subscription_updated.json");
    let event = hooks.event(&body, Some(&signed(&body, SECRET, now)), now).await.unwrap().unwrap();
    match event.kind {
        BillingEventKind::SubscriptionUpdated(ps) => assert_eq!(ps.snapshot.extra_seats, 4),
        other => panic!("{other:?}"),
    }
}

#[test]
fn the_setup_intent_fixture_reads() {
    let text = fixture("setup_intent.json");
    let parsed: stripe_shared::SetupIntent = miniserde::json::from_str(&text).unwrap();
    assert_eq!(parsed.payment_method.map(|m| m.id().to_string()).as_deref(), Some("pm_card_T1"));
}

// ------------------------------------------------------------------ the catalog

fn list(items: Vec<serde_json::Value>, url: &str) -> ResponseTemplate {
    ResponseTemplate::new(200)
        .set_body_json(serde_json::json!({"object": "list", "data": items, "has_more": false, "url": url}))
}

#[tokio::test]
async fn sync_catalog_creates_what_is_missing_then_changes_nothing() {
    let catalog = PlanCatalog::default();
    // A Stripe account with nothing in it.
    let empty = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/products/prod_tenantry_standard"))
        .respond_with(error(404, "error_resource_missing.json"))
        .mount(&empty)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/products"))
        .and(has(&[("id", "prod_tenantry_standard")]))
        .respond_with(json("product.json"))
        .expect(1)
        .mount(&empty)
        .await;
    Mock::given(method("GET")).and(path("/v1/prices")).respond_with(list(vec![], "/v1/prices")).mount(&empty).await;
    for (key, amount, interval) in [
        ("tenantry_base_month", "4995", "month"),
        ("tenantry_seat_month", "495", "month"),
        ("tenantry_base_year", "47900", "year"),
        ("tenantry_seat_year", "5940", "year"),
    ] {
        Mock::given(method("POST"))
            .and(path("/v1/prices"))
            .and(has(&[
                ("lookup_key", key),
                ("unit_amount", amount),
                ("recurring[interval]", interval),
                ("currency", "eur"),
                ("tax_behavior", "exclusive"),
                ("transfer_lookup_key", "true"),
                ("product", "prod_tenantry_standard"),
            ]))
            .respond_with(ResponseTemplate::new(200).set_body_json({
                let prices: serde_json::Value = serde_json::from_str(&fixture("prices_list.json")).unwrap();
                prices["data"].as_array().unwrap().iter().find(|p| p["lookup_key"] == key).unwrap().clone()
            }))
            .expect(1)
            .mount(&empty)
            .await;
    }
    Mock::given(method("GET"))
        .and(path("/v1/billing_portal/configurations"))
        .respond_with(list(vec![], "/v1/billing_portal/configurations"))
        .mount(&empty)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/billing_portal/configurations"))
        .and(has(&[
            ("features[payment_method_update][enabled]", "true"),
            ("features[invoice_history][enabled]", "true"),
            ("metadata[tenantry]", "portal-v1"),
        ]))
        .respond_with(json("billing_portal_configuration.json"))
        .expect(1)
        .mount(&empty)
        .await;
    let client = config(&empty).client().unwrap();
    let first = tenantry_stripe::catalog::sync_catalog(&client, &catalog).await.unwrap();
    assert!(first.product_created && first.portal_created);
    assert_eq!(first.prices_created.len(), 4);

    // The same account afterwards: nothing is created again.
    let synced = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/products/prod_tenantry_standard"))
        .respond_with(json("product.json"))
        .mount(&synced)
        .await;
    let prices: serde_json::Value = serde_json::from_str(&fixture("prices_list.json")).unwrap();
    Mock::given(method("GET"))
        .and(path("/v1/prices"))
        .respond_with(list(prices["data"].as_array().unwrap().clone(), "/v1/prices"))
        .mount(&synced)
        .await;
    let mut portal: serde_json::Value = serde_json::from_str(&fixture("billing_portal_configuration.json")).unwrap();
    portal["metadata"] = serde_json::json!({"tenantry": "portal-v1"});
    Mock::given(method("GET"))
        .and(path("/v1/billing_portal/configurations"))
        .respond_with(list(vec![portal], "/v1/billing_portal/configurations"))
        .mount(&synced)
        .await;
    Mock::given(method("POST")).respond_with(ResponseTemplate::new(500)).expect(0).mount(&synced).await;
    let client = config(&synced).client().unwrap();
    let second = tenantry_stripe::catalog::sync_catalog(&client, &catalog).await.unwrap();
    assert!(!second.product_created && !second.portal_created && second.prices_created.is_empty());
    assert_eq!(second.prices_kept.len(), 4);
    // And the provider finds the prices and the portal by themselves.
    let ids = PriceIds::load(&client).await.unwrap();
    assert_eq!(ids.id(PriceKind::Seat(Interval::Year)), "price_seat_year");

    // A price whose amount differs from the catalog is replaced (the key moves to the new price).
    let mut dearer = catalog.clone();
    dearer.monthly.extra_seat = tenantry_domain::Money::eur(595);
    Mock::given(method("POST"))
        .and(path("/v1/prices"))
        .and(has(&[("lookup_key", "tenantry_seat_month"), ("unit_amount", "595"), ("transfer_lookup_key", "true")]))
        .respond_with(ResponseTemplate::new(200).set_body_json(prices["data"][1].clone()))
        .with_priority(1)
        .expect(1)
        .mount(&synced)
        .await;
    let third = tenantry_stripe::catalog::sync_catalog(&client, &dearer).await.unwrap();
    assert_eq!(third.prices_created, vec!["tenantry_seat_month".to_owned()]);
}

fn endpoint(version: &str, events: &[&str], secret: Option<&str>) -> serde_json::Value {
    serde_json::json!({
        "id": "we_1", "object": "webhook_endpoint", "api_version": version, "application": null,
        "created": 1_795_219_200, "description": "tenantry billing", "enabled_events": events,
        "livemode": false, "metadata": {}, "secret": secret, "status": "enabled",
        "url": "https://app.example.com/v1/webhooks/stripe"
    })
}

#[tokio::test]
async fn the_webhook_endpoint_is_created_pinned_to_the_api_version_or_refused_when_it_differs() {
    use tenantry_stripe::catalog::{EndpointSync, WEBHOOK_EVENTS, sync_webhook_endpoint};
    let url = "https://app.example.com/v1/webhooks/stripe";
    let version = stripe_shared::version::VERSION.as_str();
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/webhook_endpoints"))
        .respond_with(list(vec![], "/v1/webhook_endpoints"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/webhook_endpoints"))
        .and(has(&[
            ("url", url),
            ("api_version", version),
            ("enabled_events[0]", "checkout.session.completed"),
            ("enabled_events[1]", "setup_intent.succeeded"),
            ("enabled_events[8]", "invoice.payment_action_required"),
        ]))
        .respond_with(ResponseTemplate::new(200).set_body_json(endpoint(
            version,
            &WEBHOOK_EVENTS,
            Some("whsec_created"),
        )))
        .expect(1)
        .mount(&server)
        .await;
    let client = config(&server).client().unwrap();
    match sync_webhook_endpoint(&client, url).await.unwrap() {
        EndpointSync::Created { id, secret } => {
            assert_eq!(id, "we_1");
            assert_eq!(secrecy::ExposeSecret::expose_secret(&secret), "whsec_created");
        }
        other => panic!("{other:?}"),
    }
    // Afterwards it is kept; one with another version is refused with the fix.
    Mock::given(method("GET"))
        .and(path("/v1/webhook_endpoints"))
        .respond_with(list(vec![endpoint(version, &WEBHOOK_EVENTS, None)], "/v1/webhook_endpoints"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    assert!(matches!(sync_webhook_endpoint(&client, url).await.unwrap(), EndpointSync::Kept { .. }));
    // One made before tenantry handled `setup_intent.succeeded` gets it: its list is replaced by all of them.
    let older: Vec<&str> = WEBHOOK_EVENTS.iter().copied().filter(|e| *e != "setup_intent.succeeded").collect();
    Mock::given(method("GET"))
        .and(path("/v1/webhook_endpoints"))
        .respond_with(list(vec![endpoint(version, &older, None)], "/v1/webhook_endpoints"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/webhook_endpoints/we_1"))
        .and(has(&[
            ("enabled_events[0]", "checkout.session.completed"),
            ("enabled_events[1]", "setup_intent.succeeded"),
            ("enabled_events[8]", "invoice.payment_action_required"),
        ]))
        .respond_with(ResponseTemplate::new(200).set_body_json(endpoint(version, &WEBHOOK_EVENTS, None)))
        .expect(1)
        .mount(&server)
        .await;
    match sync_webhook_endpoint(&client, url).await.unwrap() {
        EndpointSync::Updated { id, added } => {
            assert_eq!(id, "we_1");
            assert_eq!(added, vec!["setup_intent.succeeded".to_owned()]);
        }
        other => panic!("{other:?}"),
    }
    Mock::given(method("GET"))
        .and(path("/v1/webhook_endpoints"))
        .respond_with(list(vec![endpoint("2024-06-20", &WEBHOOK_EVENTS, None)], "/v1/webhook_endpoints"))
        .mount(&server)
        .await;
    let refused = sync_webhook_endpoint(&client, url).await;
    assert!(matches!(&refused, Err(PaymentError::Rejected(m)) if m.contains("delete it")), "{refused:?}");
}

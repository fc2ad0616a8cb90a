#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed setup is a failed test
//! The same service-level billing scenario on the local simulator and on the
//! Stripe adapter against a stateful Stripe fake: after every step both give
//! the same subscription view (plan, status, seats now and next period,
//! interval, price, next invoice) and the same amounts (previews, charges).
//!
//! The fake computes its amounts with Stripe's proration formula written out
//! in `it/support/fake_stripe.rs`, independently of the domain and the simulator.

use crate::support;

use chrono::{DateTime, Duration, TimeZone, Utc};
use secrecy::SecretString;
use serde_json::Value;
use std::sync::Arc;
use support::fake_stripe::FakeStripe;
use tenantry_domain::Interval;
use tenantry_domain::plan::PlanCatalog;
use tenantry_domain::settings::PaymentMethodAtSignup;
use tenantry_domain::subscription::{PlanChoice, PlanTiming};
use tenantry_ports::TenantScope;
use tenantry_ports::payment::{BillingEvent, BillingEventKind};
use tenantry_ports::services::billing::{PlanChanged, PreviewInput};
use tenantry_stripe::webhook::StripeWebhooks;
use tenantry_stripe::{StripeConfig, StripeProvider};
use tenantry_testkit::harness::TestTenant;
use tenantry_testkit::{FakeClock, Harness, TestCard};

const RETURN: &tenantry_ports::payment::ReturnPath =
    &tenantry_ports::payment::ReturnPath::from_static("/v1/billing/return");

struct Side {
    name: &'static str,
    h: Harness,
    stripe: Option<(wiremock::MockServer, FakeStripe, StripeWebhooks)>,
}

const WEBHOOK_SECRET: &str = "whsec_scenarios";

impl Side {
    fn simulator(start: DateTime<Utc>) -> Self {
        Self::simulator_with(start, PaymentMethodAtSignup::Optional)
    }

    fn simulator_with(start: DateTime<Utc>, policy: PaymentMethodAtSignup) -> Self {
        Side {
            name: "simulator",
            h: Harness::builder().start(start).payment_method_at_signup(policy).build(),
            stripe: None,
        }
    }

    async fn stripe(start: DateTime<Utc>) -> Self {
        Self::stripe_with(start, PaymentMethodAtSignup::Optional).await
    }

    async fn stripe_with(start: DateTime<Utc>, policy: PaymentMethodAtSignup) -> Self {
        let clock = FakeClock::at(start);
        let (server, fake) = FakeStripe::start(Arc::new(clock.clone())).await;
        let config = StripeConfig {
            secret_key: SecretString::from("sk_test_x".to_owned()),
            webhook_secret: SecretString::from(WEBHOOK_SECRET.to_owned()),
            api_base: Some(server.uri()),
            public_url: Some("https://app.example.com".into()),
            automatic_tax: false,
        };
        let prices = support::price_ids();
        let provider = Arc::new(
            StripeProvider::with_prices(config, PlanCatalog::default(), prices, None, Arc::new(clock.clone())).unwrap(),
        );
        let hooks = StripeWebhooks::new(SecretString::from(WEBHOOK_SECRET.to_owned()), provider.clone());
        let h = Harness::builder().clock(clock).payments(provider).payment_method_at_signup(policy).build();
        Side { name: "stripe", h, stripe: Some((server, fake, hooks)) }
    }

    /// Lets the provider's timeline catch up with the clock and its events
    /// arrive (on Stripe: signed webhook payloads through the adapter's
    /// verification and mapping), then runs the due timers; until quiet.
    async fn settle(&self) {
        match &self.stripe {
            None => {
                self.h.tick().await;
            }
            Some((_, fake, hooks)) => {
                for _ in 0..16 {
                    let now = self.h.clock_now();
                    let payloads = fake.advance();
                    for payload in &payloads {
                        let signature = stripe_webhook::Webhook::generate_test_header(
                            payload,
                            WEBHOOK_SECRET,
                            Some(now.timestamp()),
                        );
                        if let Some(event) = hooks.event(payload, Some(&signature), now).await.unwrap() {
                            self.h.tenantry.handle_billing_event(&event).await.unwrap();
                        }
                    }
                    self.h.tick().await;
                    if payloads.is_empty() {
                        break;
                    }
                }
            }
        }
    }

    /// Moves the clock by `by` in steps of at most an hour, settling after each.
    async fn advance(&self, by: Duration) {
        let end = self.h.clock_now() + by;
        while self.h.clock_now() < end {
            let step = (end - self.h.clock_now()).min(Duration::hours(1));
            self.h.clock.advance(step);
            self.settle().await;
        }
    }

    async fn card(&self, tenant: &TestTenant, works: bool) {
        match &self.stripe {
            None => {
                let card = if works { TestCard::Succeeds } else { TestCard::Declines };
                self.h.add_card(tenant.id, card).await.unwrap();
            }
            Some((_, fake, _)) => {
                let customer = fake.customer_of(&tenant.id.to_string()).unwrap();
                fake.attach_card(&customer, works);
                // What checkout.session.completed becomes.
                let event = BillingEvent {
                    id: format!("evt_card_{}_{works}", self.h.clock_now().timestamp()),
                    occurred_at: self.h.clock_now(),
                    customer,
                    kind: BillingEventKind::PaymentMethodAttached,
                };
                self.h.tenantry.handle_billing_event(&event).await.unwrap();
            }
        }
    }

    async fn view(&self, owner: &TenantScope) -> Value {
        serde_json::to_value(self.h.tenantry.subscription_view(owner).await.unwrap()).unwrap()
    }
}

fn charged(outcome: &PlanChanged) -> Option<i64> {
    match outcome {
        PlanChanged::Changed { charged, .. } => charged.map(|m| m.cents()),
        other => panic!("{other:?}"),
    }
}

/// Runs `step` on both sides and checks that they answer alike.
macro_rules! both {
    ($sides:expr, |$side:ident, $owner:ident| $step:expr) => {{
        let mut answers = Vec::new();
        for ($side, $owner) in $sides.iter() {
            answers.push(($side.name, $step));
        }
        for ($side, _) in $sides.iter() {
            $side.settle().await;
        }
        let (first_name, first) = &answers[0];
        for (name, answer) in &answers[1..] {
            assert_eq!(first, answer, "{first_name} and {name} differ");
        }
        answers.remove(0).1
    }};
}

#[tokio::test]
async fn the_simulator_and_stripe_agree_on_states_and_amounts() {
    let start = Utc.with_ymd_and_hms(2026, 11, 1, 9, 0, 0).unwrap();
    let mut sides = Vec::new();
    for side in [Side::simulator(start), Side::stripe(start).await] {
        let tenant = side.h.signup("acme").await.unwrap();
        let owner = side.h.owner_scope(&tenant).await.unwrap();
        sides.push((side, (tenant, owner)));
    }
    let sides: Vec<(Side, (TestTenant, TenantScope))> = sides;

    // The trial, uncapped.
    both!(sides, |side, t| side.view(&t.1).await);
    for (side, _) in &sides {
        side.advance(Duration::days(3)).await;
    }
    for (side, (tenant, _)) in &sides {
        side.card(tenant, true).await;
    }
    let view = both!(sides, |side, t| side.view(&t.1).await);
    assert_eq!(view["payment_method_on_file"], true);

    // Subscribe now: the trial ends, the first month (3 seats) is charged.
    let paid = both!(sides, |side, t| charged(
        &side
            .h
            .tenantry
            .change_plan(&t.1, PlanChoice::Standard(Interval::Month), PlanTiming::Now, None, RETURN)
            .await
            .unwrap()
    ));
    assert_eq!(paid, Some(4995));
    let view = both!(sides, |side, t| side.view(&t.1).await);
    assert_eq!((view["status"].as_str(), view["seats"].as_u64()), (Some("active"), Some(3)));

    // Ten days later: preview +2 seats, then buy them with the preview's date.
    for (side, _) in &sides {
        side.advance(Duration::days(10)).await;
    }
    let preview = both!(sides, |side, t| {
        let p = side
            .h
            .tenantry
            .preview_change(&t.1, PreviewInput { seats: Some(5), plan: None, timing: PlanTiming::Now })
            .await
            .unwrap();
        (
            p.preview.total.cents(),
            p.preview.proration_date,
            p.preview.lines.iter().map(|l| l.amount.cents()).collect::<Vec<_>>(),
        )
    });
    assert!(preview.0 > 0);
    let bought = both!(sides, |side, t| side
        .h
        .tenantry
        .change_seats(&t.1, 5, Some(preview.1))
        .await
        .unwrap()
        .charged
        .map(|m| m.cents()));
    assert_eq!(bought, Some(preview.0), "charged = previewed");
    let view = both!(sides, |side, t| side.view(&t.1).await);
    assert_eq!((view["seats"].as_u64(), view["seats_next_period"].as_u64()), (Some(5), Some(5)));

    // A reduction is scheduled for the renewal: nothing charged now.
    let reduced = both!(sides, |side, t| side.h.tenantry.change_seats(&t.1, 4, None).await.unwrap().charged);
    assert_eq!(reduced, None);
    let view = both!(sides, |side, t| side.view(&t.1).await);
    assert_eq!((view["seats"].as_u64(), view["seats_next_period"].as_u64()), (Some(5), Some(4)));

    // Monthly → yearly now: the unused month credited, the year charged in full.
    for (side, _) in &sides {
        side.advance(Duration::days(2)).await;
    }
    let yearly = both!(sides, |side, t| charged(
        &side
            .h
            .tenantry
            .change_plan(&t.1, PlanChoice::Standard(Interval::Year), PlanTiming::Now, None, RETURN)
            .await
            .unwrap()
    ));
    assert!(yearly.is_some_and(|c| c > 47_900), "{yearly:?}");
    let view = both!(sides, |side, t| side.view(&t.1).await);
    assert_eq!(view["interval"], "year");

    // Yearly → monthly at the period end, then cancel, then resume.
    both!(sides, |side, t| charged(
        &side
            .h
            .tenantry
            .change_plan(&t.1, PlanChoice::Standard(Interval::Month), PlanTiming::Now, None, RETURN)
            .await
            .unwrap()
    ));
    let view = both!(sides, |side, t| side.view(&t.1).await);
    assert_eq!(view["interval_next_period"], "month");
    both!(sides, |side, t| side.h.tenantry.cancel_subscription(&t.1, RETURN).await.is_ok());
    let view = both!(sides, |side, t| side.view(&t.1).await);
    assert_eq!(view["status"], "canceling_at_period_end");
    both!(sides, |side, t| charged(
        &side
            .h
            .tenantry
            .change_plan(&t.1, PlanChoice::Standard(Interval::Year), PlanTiming::Now, None, RETURN)
            .await
            .unwrap()
    ));
    let view = both!(sides, |side, t| side.view(&t.1).await);
    assert_eq!(view["status"], "active");

    // A declined card: the seats stay as they were, on both.
    for (side, (tenant, _)) in &sides {
        side.card(tenant, false).await;
    }
    let refused = both!(sides, |side, t| {
        let e = side.h.tenantry.change_seats(&t.1, 6, None).await.unwrap_err();
        tenantry_ports::Problem::code(&e)
    });
    assert_eq!(refused, "payment_declined");
    let view = both!(sides, |side, t| side.view(&t.1).await);
    assert_eq!(view["seats"].as_u64(), Some(5));
}

/// Time passes on both: the trial converts by itself, a scheduled reduction
/// applies at the renewal, a failed renewal goes past due, and after the
/// grace window the tenant is freemium with the newest users deactivated.
#[tokio::test]
async fn the_simulator_and_stripe_agree_over_time() {
    let start = Utc.with_ymd_and_hms(2026, 11, 1, 9, 0, 0).unwrap();
    let mut sides = Vec::new();
    for side in [Side::simulator(start), Side::stripe(start).await] {
        let tenant = side.h.signup("acme").await.unwrap();
        let owner = side.h.owner_scope(&tenant).await.unwrap();
        side.card(&tenant, true).await;
        sides.push((side, (tenant, owner)));
    }
    let sides: Vec<(Side, (TestTenant, TenantScope))> = sides;
    let days = |n: i64| {
        let sides = &sides;
        async move {
            for (side, _) in sides {
                side.advance(Duration::days(n)).await;
            }
        }
    };

    // Day 14: the trial converts by itself (a card is on file): 3 seats, monthly.
    days(15).await;
    let view = both!(sides, |side, t| side.view(&t.1).await);
    assert_eq!((view["status"].as_str(), view["seats"].as_u64()), (Some("active"), Some(3)), "{view}");

    // Two more seats now, one fewer from the renewal.
    both!(sides, |side, t| side.h.tenantry.change_seats(&t.1, 5, None).await.unwrap().charged.map(|m| m.cents()));
    both!(sides, |side, t| side.h.tenantry.change_seats(&t.1, 4, None).await.unwrap().charged);
    let view = both!(sides, |side, t| side.view(&t.1).await);
    assert_eq!((view["seats"].as_u64(), view["seats_next_period"].as_u64()), (Some(5), Some(4)));

    // The renewal applies the reduction: 4 seats billed from then on.
    days(31).await;
    let view = both!(sides, |side, t| side.view(&t.1).await);
    assert_eq!((view["seats"].as_u64(), view["seats_next_period"].as_u64()), (Some(4), Some(4)), "{view}");
    assert_eq!(view["price"]["cents"].as_i64(), Some(4995 + 495));

    // The card starts declining: the next renewal fails, the tenant is past due.
    for (side, (tenant, _)) in &sides {
        side.card(tenant, false).await;
    }
    days(31).await;
    let view = both!(sides, |side, t| side.view(&t.1).await);
    assert_eq!(view["status"], "past_due", "{view}");

    // After the grace window: freemium, with the 3 freemium seats.
    days(15).await;
    let view = both!(sides, |side, t| side.view(&t.1).await);
    assert_eq!((view["status"].as_str(), view["seats"].as_u64()), (Some("freemium"), Some(3)), "{view}");
}

/// A trial without a payment method ends in freemium on both (Stripe cancels
/// it: `missing_payment_method = cancel`), and so does one set to "continue free".
#[tokio::test]
async fn a_trial_without_a_card_or_continuing_free_ends_in_freemium_on_both() {
    let start = Utc.with_ymd_and_hms(2026, 11, 1, 9, 0, 0).unwrap();
    for continue_free in [false, true] {
        let mut sides = Vec::new();
        for side in [Side::simulator(start), Side::stripe(start).await] {
            let tenant = side.h.signup("acme").await.unwrap();
            let owner = side.h.owner_scope(&tenant).await.unwrap();
            if continue_free {
                side.card(&tenant, true).await;
            }
            sides.push((side, (tenant, owner)));
        }
        let sides: Vec<(Side, (TestTenant, TenantScope))> = sides;
        if continue_free {
            let answer = both!(sides, |side, t| side.h.tenantry.continue_free(&t.1, RETURN).await.is_ok());
            assert!(answer);
            let view = both!(sides, |side, t| side.view(&t.1).await);
            assert_eq!(view["continue_free"], true, "{view}");
        }
        for (side, _) in &sides {
            side.advance(Duration::days(15)).await;
        }
        let view = both!(sides, |side, t| side.view(&t.1).await);
        assert_eq!((view["status"].as_str(), view["seats"].as_u64()), (Some("freemium"), Some(3)), "{view}");
    }
}

/// The specified trial on both (DESIGN.md "Trial start and end"): signup
/// waits for a payment method with nothing at the provider but the customer;
/// the setup Checkout's completion starts the 14-day trial (on Stripe: a
/// trialing subscription from then); at its end the monthly plan is charged
/// by itself for 3 seats: one paid invoice of 4995 cents.
#[tokio::test]
async fn a_payment_method_at_signup_starts_the_trial_and_it_converts_by_itself_on_both() {
    use tenantry_ports::services::auth::SignupPlan;
    let start = Utc.with_ymd_and_hms(2026, 11, 1, 9, 0, 0).unwrap();
    let mut waiting = Vec::new();
    for side in [
        Side::simulator_with(start, PaymentMethodAtSignup::Required),
        Side::stripe_with(start, PaymentMethodAtSignup::Required).await,
    ] {
        let (tenant, done) = side.h.sign_up("acme", SignupPlan::Standard, Interval::Month).await.unwrap();
        assert_eq!(done.status.as_str(), "pending_payment_method", "{}", side.name);
        assert!(done.checkout.is_some(), "{}: a setup Checkout at signup", side.name);
        let owner = side.h.owner_scope(&tenant).await.unwrap();
        let view = side.view(&owner).await;
        assert_eq!((view["status"].as_str(), view["trial_ends_at"].as_str()), (Some("pending_payment_method"), None));
        waiting.push((side, tenant));
    }
    let mut sides = Vec::new();
    for (side, tenant) in waiting {
        side.card(&tenant, true).await;
        side.settle().await;
        let owner = side.h.owner_scope(&tenant).await.unwrap();
        sides.push((side, (tenant, owner)));
    }
    let sides: Vec<(Side, (TestTenant, TenantScope))> = sides;
    let view = both!(sides, |side, t| side.view(&t.1).await);
    assert_eq!((view["status"].as_str(), view["trial_days_left"].as_i64()), (Some("trialing"), Some(14)), "{view}");
    // Day 11 of the trial: the reminder and the pre-invoice warning of the first invoice, alike.
    for (side, _) in &sides {
        side.advance(Duration::days(11)).await;
    }
    let warned = both!(sides, |side, t| side
        .h
        .mailer
        .sent_to(&t.0.owner_email)
        .iter()
        .filter_map(|m| match &m.message {
            tenantry_ports::system::Message::UpcomingInvoice { total, at, lines, .. } => {
                Some((total.cents(), *at, lines.len()))
            }
            _ => None,
        })
        .collect::<Vec<_>>());
    assert_eq!(warned.len(), 1, "{warned:?}");
    assert_eq!((warned[0].0, warned[0].2), (4995, 1), "the base price alone (no extra seat): {warned:?}");
    for (side, _) in &sides {
        side.advance(Duration::days(4)).await;
    }
    let view = both!(sides, |side, t| side.view(&t.1).await);
    assert_eq!((view["status"].as_str(), view["seats"].as_u64()), (Some("active"), Some(3)), "{view}");
    let paid = both!(sides, |side, t| side
        .h
        .tenantry
        .invoices(&t.1)
        .await
        .unwrap()
        .iter()
        .filter(|i| i.status == tenantry_ports::payment::InvoiceStatus::Paid)
        .map(|i| i.total.cents())
        .collect::<Vec<_>>());
    assert_eq!(paid, vec![4995]);
}

/// The superuser's pause, resume and comp on both: the same views after each
/// step, and the same invoices — a paused renewal charges nothing, the comp's
/// two months are free (0.00), then the full price again.
#[tokio::test]
async fn pausing_resuming_and_comping_agree_on_both() {
    use tenantry_ports::services::admin::AdminTenantPatch;
    let start = Utc.with_ymd_and_hms(2026, 11, 1, 9, 0, 0).unwrap();
    let mut sides = Vec::new();
    for side in [Side::simulator(start), Side::stripe(start).await] {
        side.h.superuser("ops@platform.example.com").await.unwrap();
        let tenant = side.h.signup("acme").await.unwrap();
        side.card(&tenant, true).await;
        let owner = side.h.owner_scope(&tenant).await.unwrap();
        sides.push((side, (tenant, owner)));
    }
    let sides: Vec<(Side, (TestTenant, TenantScope))> = sides;
    let advance = |days: i64| {
        let sides = &sides;
        async move {
            for (side, _) in sides {
                side.advance(Duration::days(days)).await;
            }
        }
    };
    advance(15).await; // the trial converted on day 14: 4995 paid
    let patch = |side: &Side, tenant: &TestTenant, p: AdminTenantPatch| {
        let (h, id) = (side.h.clone(), tenant.id);
        async move {
            let su = h.superuser_login("ops@platform.example.com").await.unwrap();
            let scope = h.scope(&su, id).await.unwrap();
            let d = h.tenantry.admin_update_tenant(&scope, p).await.unwrap();
            (d.subscription.collection_paused, d.subscription.free_until, d.subscription.mrr().map(|m| m.cents()))
        }
    };
    let paid = |side: &Side, owner: &TenantScope| {
        let (h, owner) = (side.h.clone(), owner.clone());
        async move {
            let mut list: Vec<i64> = h
                .tenantry
                .invoices(&owner)
                .await
                .unwrap()
                .iter()
                .filter(|i| i.status == tenantry_ports::payment::InvoiceStatus::Paid)
                .map(|i| i.total.cents())
                .collect();
            list.reverse();
            list
        }
    };
    let paused = both!(sides, |side, t| patch(
        side,
        &t.0,
        AdminTenantPatch { collection_paused: Some(true), ..Default::default() }
    )
    .await);
    assert_eq!(paused, (true, None, Some(0)));
    advance(31).await; // the renewal is voided on both
    let view = both!(sides, |side, t| side.view(&t.1).await);
    assert_eq!((view["status"].as_str(), view["collection_paused"].as_bool()), (Some("active"), Some(true)), "{view}");
    assert_eq!(both!(sides, |side, t| paid(side, &t.1).await), vec![4995]);
    let resumed = both!(sides, |side, t| patch(
        side,
        &t.0,
        AdminTenantPatch { collection_paused: Some(false), ..Default::default() }
    )
    .await);
    assert_eq!(resumed, (false, None, Some(4995)));
    let comped =
        both!(sides, |side, t| patch(side, &t.0, AdminTenantPatch { comp_months: Some(2), ..Default::default() })
            .await);
    assert!(comped.1.is_some() && comped.2 == Some(0), "{comped:?}");
    advance(31 + 31 + 31).await;
    assert_eq!(both!(sides, |side, t| paid(side, &t.1).await), vec![4995, 0, 0, 4995]);
    let view = both!(sides, |side, t| side.view(&t.1).await);
    assert_eq!(view["free_until"], serde_json::Value::Null, "the comp is over: {view}");
}

/// The specified journey with a promotion code on both (issue 23): the
/// `required` signup, the setup Checkout, the trial converting by itself
/// (4995), and 5 days into month 1 `SPRING20` — 20 % for 3 months — made by
/// the superuser on each provider (Stripe: a coupon and a promotion code),
/// previewed and applied by the owner. The invoices of months 2, 3 and 4,
/// their pre-invoice warnings and the MRR are 39.96 on both; month 5 is
/// 49.95 again; a one-time seat increase in month 2 is discounted per line.
#[tokio::test]
async fn a_twenty_percent_code_for_three_months_agrees_on_both() {
    use tenantry_ports::services::auth::SignupPlan;
    use tenantry_ports::services::promotions::{CouponInput, DurationKind, PromotionCodeInput};
    let start = Utc.with_ymd_and_hms(2026, 11, 1, 9, 0, 0).unwrap();
    let mut waiting = Vec::new();
    for side in [
        Side::simulator_with(start, PaymentMethodAtSignup::Required),
        Side::stripe_with(start, PaymentMethodAtSignup::Required).await,
    ] {
        let who = tenantry_testkit::promotions::platform(&side.h).await.unwrap();
        let coupon = CouponInput {
            name: "Spring".into(),
            percent_off_basis_points: Some(2_000),
            amount_off_cents: None,
            duration: DurationKind::Repeating,
            duration_in_months: Some(3),
            max_redemptions: Some(100),
            redeem_by: None,
        };
        let coupon = side.h.tenantry.create_coupon(&who, coupon).await.unwrap();
        assert!(coupon.provider_id.is_some(), "{}: made at the provider", side.name);
        let code = PromotionCodeInput {
            code: "SPRING20".into(),
            first_time_only: true,
            expires_at: None,
            max_redemptions: None,
        };
        side.h.tenantry.create_promotion_code(&who, coupon.id, code).await.unwrap();
        let (tenant, _) = side.h.sign_up("acme", SignupPlan::Standard, Interval::Month).await.unwrap();
        waiting.push((side, tenant, who));
    }
    let mut sides = Vec::new();
    let mut platform = Vec::new();
    for (side, tenant, who) in waiting {
        side.card(&tenant, true).await;
        side.settle().await;
        let owner = side.h.owner_scope(&tenant).await.unwrap();
        sides.push((side, (tenant, owner)));
        platform.push(who);
    }
    let sides: Vec<(Side, (TestTenant, TenantScope))> = sides;
    let advance = |days: i64| {
        let sides = &sides;
        async move {
            for (side, _) in sides {
                side.advance(Duration::days(days)).await;
            }
        }
    };
    // A first-time code during the trial: the tenant has not paid yet. Applied after month 1 is paid, refused.
    advance(14 + 5).await;
    let refused = both!(sides, |side, t| side
        .h
        .tenantry
        .apply_promotion_code(&t.1, "SPRING20")
        .await
        .err()
        .map(|e| tenantry_ports::Problem::code(&e)));
    assert_eq!(refused, Some("promotion_code_not_first_time"));
    // The superuser makes a code for everyone.
    for ((side, _), who) in sides.iter().zip(&platform) {
        let coupon = side.h.tenantry.promotions(who).await.unwrap().coupons[0].id;
        let code = PromotionCodeInput {
            code: "SPRING-ALL".into(),
            first_time_only: false,
            expires_at: None,
            max_redemptions: None,
        };
        side.h.tenantry.create_promotion_code(who, coupon, code).await.unwrap();
    }
    let preview = both!(sides, |side, t| {
        let p = side.h.tenantry.preview_promotion_code(&t.1, "spring-all").await.unwrap();
        p.next_invoice.map(|n| (n.subtotal.cents(), n.discount.cents(), n.total.cents(), n.at))
    });
    assert_eq!(preview.map(|p| (p.0, p.1, p.2)), Some((4995, 999, 3996)));
    let view = both!(sides, |side, t| {
        serde_json::to_value(side.h.tenantry.apply_promotion_code(&t.1, "SPRING-ALL").await.unwrap()).unwrap()
    });
    assert_eq!(view["discount"]["code"], "SPRING-ALL", "{view}");
    assert_eq!(view["next_invoice"]["amount"]["cents"], serde_json::json!(3996), "{view}");
    let mrr = |side: &Side, t: &TestTenant| {
        let (h, id) = (side.h.clone(), t.id);
        async move {
            let su = h.superuser_login("ops@platform.example.com").await.unwrap();
            let scope = h.scope(&su, id).await.unwrap();
            h.tenantry.admin_tenant_detail(&scope).await.unwrap().subscription.mrr().map(|m| m.cents())
        }
    };
    assert_eq!(both!(sides, |side, t| mrr(side, &t.0).await), Some(3996));
    let paid = |side: &Side, owner: &TenantScope| {
        let (h, owner) = (side.h.clone(), owner.clone());
        async move {
            let mut list: Vec<(i64, Option<i64>)> = h
                .tenantry
                .invoices(&owner)
                .await
                .unwrap()
                .iter()
                .filter(|i| i.status == tenantry_ports::payment::InvoiceStatus::Paid)
                .map(|i| (i.total.cents(), i.discount.map(|d| d.cents())))
                .collect();
            list.reverse();
            list
        }
    };
    let warned = |side: &Side, t: &TestTenant| -> Vec<i64> {
        side.h
            .mailer
            .sent_to(&t.owner_email)
            .iter()
            .filter_map(|m| match &m.message {
                tenantry_ports::system::Message::UpcomingInvoice { total, .. } => Some(total.cents()),
                _ => None,
            })
            .collect()
    };
    // Month 2 (from 12-15): the renewal discounted; a seat bought on its 10th day is discounted per line.
    advance(26 + 10).await;
    assert_eq!(both!(sides, |side, t| mrr(side, &t.0).await), Some(3996));
    let seat = both!(sides, |side, t| {
        let input = PreviewInput { seats: Some(4), plan: None, timing: PlanTiming::Now };
        let p = side.h.tenantry.preview_change(&t.1, input).await.unwrap().preview;
        (p.lines.iter().map(|l| l.amount.cents()).collect::<Vec<_>>(), p.discount.map(|d| d.cents()), p.total.cents())
    });
    // 2026-12-26 09:00, 20 of the period's 31 days left: 495 × 20/31 = 319.35 → 319; 20 % of it 63.8 → 64.
    assert_eq!(seat, (vec![319], Some(64), 255), "the remaining time, less 20 % of the line");
    let charged = both!(sides, |side, t| side.h.tenantry.change_seats(&t.1, 4, None).await.unwrap().charged);
    assert_eq!(charged.map(|c| c.cents()), Some(seat.2), "charged as previewed");
    // Months 3, 4 and 5.
    advance(31 + 31 + 28 + 3).await;
    let paid = both!(sides, |side, t| paid(side, &t.1).await);
    let renewals: Vec<(i64, Option<i64>)> = paid.iter().copied().filter(|(total, _)| *total > 1000).collect();
    assert_eq!(
        renewals,
        vec![(4995, None), (3996, Some(999)), (4392, Some(1098)), (4392, Some(1098)), (5490, None)],
        "month 1 full, months 2 to 4 discounted (from month 3 with the fourth seat), month 5 full: {paid:?}"
    );
    let warned = both!(sides, |side, t| warned(side, &t.0));
    assert_eq!(warned, vec![4995, 3996, 4392, 4392, 5490]);
    assert_eq!(both!(sides, |side, t| mrr(side, &t.0).await), Some(5490));
    let view = both!(sides, |side, t| side.view(&t.1).await);
    assert_eq!(view["discount"], serde_json::Value::Null, "the code's months are over: {view}");
}

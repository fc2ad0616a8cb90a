//! The billing rules of DESIGN.md section 3 through the services and the
//! simulator, with the worked examples in the 30-day period
//! 2026-11-01T00:00Z .. 2026-12-01T00:00Z and the change at 2026-11-21T00:00Z.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed step is a failed test

use chrono::{Duration, TimeZone, Utc};
use tenantry_domain::subscription::{PlanChoice, PlanTiming, SeatChange};
use tenantry_domain::{Interval, Money, PlanKind, SubscriptionStatus};
use tenantry_ports::Problem;
use tenantry_ports::payment::BillingEventKind;
use tenantry_ports::services::billing::{PlanChanged, PreviewInput};
use tenantry_testkit::{Harness, TestCard, TestTenant};

const URL: &tenantry_ports::payment::ReturnPath = &tenantry_ports::payment::ReturnPath::from_static("/billing");

/// A tenant on standard monthly since 2026-11-01 with `seats` seats (1 user).
async fn paying(h: &Harness, slug: &str, seats: i64) -> TestTenant {
    let t = h.signup(slug).await.unwrap();
    h.add_card(t.id, TestCard::Succeeds).await.unwrap();
    let owner = h.owner_scope(&t).await.unwrap();
    h.tenantry.change_plan(&owner, PlanChoice::Standard(Interval::Month), PlanTiming::Now, None, URL).await.unwrap();
    if seats > 3 {
        h.tenantry.change_seats(&owner, seats, None).await.unwrap();
    }
    h.tick().await;
    t
}

fn nov(day: u32) -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, day, 0, 0, 0).unwrap()
}

#[tokio::test]
async fn a_seven_seat_monthly_tenant_pays_6975_cents_a_month() {
    // 4995 base (3 seats included) + 4 extra × 495 = 6975.
    let h = Harness::new();
    let t = paying(&h, "seven", 7).await;
    let view = h.tenantry.subscription_view(&h.owner_scope(&t).await.unwrap()).await.unwrap();
    assert_eq!(view.price, Some(Money::eur(6975)));
    assert_eq!(
        view.next_invoice.map(|n| (n.at, n.amount)),
        Some((Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap(), Money::eur(6975)))
    );
}

#[tokio::test]
async fn zero_to_one_extra_seat_on_the_21st_costs_165_cents() {
    // 495 × 1 × 10/30 days = 165; no credit line (the old quantity is 0).
    let h = Harness::new();
    let t = paying(&h, "addone", 3).await;
    h.clock.set(nov(21));
    let owner = h.owner_scope(&t).await.unwrap();
    let preview =
        h.tenantry.preview_change(&owner, PreviewInput { seats: Some(4), ..Default::default() }).await.unwrap();
    assert_eq!(preview.preview.total, Money::eur(165));
    assert_eq!(preview.preview.lines.len(), 1);
    let done = h.tenantry.change_seats(&owner, 4, Some(preview.preview.proration_date)).await.unwrap();
    assert_eq!(done.charged, Some(Money::eur(165)));
}

#[tokio::test]
async fn one_to_two_extra_seats_on_the_21st_is_minus_165_plus_330() {
    // credit −495 × 1 × 1/3 = −165; charge 495 × 2 × 1/3 = 330; total 165.
    let h = Harness::new();
    let t = paying(&h, "addtwo", 4).await;
    h.clock.set(nov(21));
    let owner = h.owner_scope(&t).await.unwrap();
    let preview =
        h.tenantry.preview_change(&owner, PreviewInput { seats: Some(5), ..Default::default() }).await.unwrap();
    let amounts: Vec<i64> = preview.preview.lines.iter().map(|l| l.amount.cents()).collect();
    assert_eq!(amounts, vec![-165, 330]);
    let done = h.tenantry.change_seats(&owner, 5, Some(preview.preview.proration_date)).await.unwrap();
    assert_eq!(done.charged, Some(Money::eur(165)));
    let invoice = h.simulator.invoice_by_id(done.invoice_id.as_deref().unwrap()).unwrap();
    assert_eq!(invoice.lines.iter().map(|l| l.amount.cents()).collect::<Vec<_>>(), vec![-165, 330]);
}

#[tokio::test]
async fn seven_seats_monthly_to_yearly_on_the_21st_costs_69335_cents() {
    // unused monthly time: −4995/3 − 1980/3 = −1665 − 660 = −2325;
    // yearly in full: 47900 + 4 × 5940 = 71660; total 69335; billing date moves to the 21st.
    let h = Harness::new();
    let t = paying(&h, "yearly", 7).await;
    h.clock.set(nov(21));
    let owner = h.owner_scope(&t).await.unwrap();
    let choice = PlanChoice::Standard(Interval::Year);
    let preview =
        h.tenantry.preview_change(&owner, PreviewInput { plan: Some(choice), ..Default::default() }).await.unwrap();
    assert_eq!(preview.preview.total, Money::eur(69335));
    let done = h
        .tenantry
        .change_plan(&owner, choice, PlanTiming::Now, Some(preview.preview.proration_date), URL)
        .await
        .unwrap();
    let PlanChanged::Changed { charged, subscription, .. } = done else { panic!() };
    assert_eq!(charged, Some(Money::eur(69335)));
    assert_eq!(subscription.interval, Some(Interval::Year));
    assert_eq!(subscription.current_period_end, Some(Utc.with_ymd_and_hms(2027, 11, 21, 0, 0, 0).unwrap()));
}

#[tokio::test]
async fn a_seat_reduction_keeps_the_licence_until_december_first_and_then_applies() {
    let h = Harness::new();
    let t = paying(&h, "reduce", 7).await;
    h.clock.set(nov(21));
    let owner = h.owner_scope(&t).await.unwrap();
    let done = h.tenantry.change_seats(&owner, 5, None).await.unwrap();
    assert!(matches!(done.change, SeatChange::ScheduleReduction { to: 5, .. }));
    assert_eq!(done.charged, None);
    assert_eq!((done.subscription.seats, done.subscription.seats_next_period), (Some(7), Some(5)));
    // the licence is unchanged until 2026-12-01 ...
    h.advance(Duration::days(9) + Duration::hours(23)).await;
    let view = h.tenantry.subscription_view(&owner).await.unwrap();
    assert_eq!(view.seats, Some(7));
    // ... and then applied; the renewal invoice bills 5 seats: 4995 + 2 × 495 = 5985
    h.advance(Duration::hours(2)).await;
    let view = h.tenantry.subscription_view(&owner).await.unwrap();
    assert_eq!((view.seats, view.seats_next_period), (Some(5), Some(5)));
    let invoices = h.tenantry.invoices(&owner).await.unwrap();
    assert_eq!(invoices[0].total, Money::eur(5985));
}

#[tokio::test]
async fn the_same_seat_request_made_again_from_a_later_state_is_applied_again() {
    // 4 → 5 → 4 (a scheduled reduction) → 5 (its withdrawal) within one instant:
    // the second "4" and "5" repeat earlier requests word for word, but from
    // another state, so they must reach the provider as new requests (found by
    // the seats property: a key made of request and time alone replayed the
    // first answer and the two views of the subscription drifted apart).
    let h = Harness::new();
    let t = paying(&h, "again", 3).await;
    h.clock.set(nov(21));
    let owner = h.owner_scope(&t).await.unwrap();
    for (seats, now, next) in [(4, 4, 4), (5, 5, 5), (4, 5, 4), (5, 5, 5), (4, 5, 4)] {
        let done = h.tenantry.change_seats(&owner, seats, None).await.unwrap();
        assert_eq!((done.subscription.seats, done.subscription.seats_next_period), (Some(now), Some(next)));
        let customer = h.simulator.customer_of(t.id).unwrap();
        let provider = h.simulator.current_subscription(&customer).unwrap();
        assert_eq!(
            (provider.snapshot.extra_seats + 3, provider.snapshot.extra_seats_next_period + 3),
            (now, next),
            "the provider agrees after asking for {seats}"
        );
    }
    h.tick().await;
    let view = h.tenantry.subscription_view(&owner).await.unwrap();
    assert_eq!((view.seats, view.seats_next_period), (Some(5), Some(4)));
}

#[tokio::test]
async fn yearly_to_monthly_is_scheduled_for_the_end_of_the_yearly_period() {
    let h = Harness::new();
    let t = paying(&h, "backmonthly", 3).await;
    let owner = h.owner_scope(&t).await.unwrap();
    h.tenantry.change_plan(&owner, PlanChoice::Standard(Interval::Year), PlanTiming::Now, None, URL).await.unwrap();
    let PlanChanged::Changed { charged, subscription, .. } = h
        .tenantry
        .change_plan(&owner, PlanChoice::Standard(Interval::Month), PlanTiming::Now, None, URL)
        .await
        .unwrap()
    else {
        panic!()
    };
    assert_eq!(charged, None);
    assert_eq!(
        (subscription.interval, subscription.interval_next_period),
        (Some(Interval::Year), Some(Interval::Month))
    );
    assert_eq!(subscription.next_invoice.map(|n| n.amount), Some(Money::eur(4995)));
}

#[tokio::test]
async fn a_preview_made_before_the_period_rolled_over_has_expired() {
    let h = Harness::new();
    let t = paying(&h, "expired", 4).await;
    let owner = h.owner_scope(&t).await.unwrap();
    h.clock.set(nov(30));
    let preview =
        h.tenantry.preview_change(&owner, PreviewInput { seats: Some(5), ..Default::default() }).await.unwrap();
    h.advance(Duration::days(2)).await;
    let err = h.tenantry.change_seats(&owner, 5, Some(preview.preview.proration_date)).await.unwrap_err();
    assert_eq!(err.code(), "preview_expired");
    assert_eq!(h.tenantry.subscription_view(&owner).await.unwrap().seats, Some(4));
}

#[tokio::test]
async fn an_invoice_below_the_minimum_charge_carries_over_to_the_next_one() {
    // One extra seat with 2 hours left of a 30-day period: 495 × 2/720 = 1.375 → 1 cent.
    let h = Harness::new();
    let t = paying(&h, "tiny", 3).await;
    let owner = h.owner_scope(&t).await.unwrap();
    h.clock.set(Utc.with_ymd_and_hms(2026, 11, 30, 22, 0, 0).unwrap());
    let done = h.tenantry.change_seats(&owner, 4, None).await.unwrap();
    assert_eq!(done.charged, Some(Money::eur(1)));
    let invoice = h.simulator.invoice_by_id(done.invoice_id.as_deref().unwrap()).unwrap();
    assert_eq!(invoice.amount_paid, Money::eur(0));
    assert_eq!(invoice.carried_over, Money::eur(1));
    // The renewal on 2026-12-01 adds the cent: 4995 + 495 + 1 = 5491 due.
    h.advance(Duration::hours(3)).await;
    let renewal = &h.tenantry.invoices(&owner).await.unwrap()[0];
    assert_eq!(renewal.total, Money::eur(5490));
    assert_eq!(renewal.starting_balance, Money::eur(1));
    assert_eq!(renewal.amount_paid, Money::eur(5491));
}

#[tokio::test]
async fn a_declined_card_leaves_the_seats_unchanged_with_a_clear_error() {
    let h = Harness::new();
    let t = paying(&h, "declined", 3).await;
    h.add_card(t.id, TestCard::Declines).await.unwrap();
    let owner = h.owner_scope(&t).await.unwrap();
    let err = h.tenantry.change_seats(&owner, 5, None).await.unwrap_err();
    assert_eq!(err.code(), "payment_declined");
    assert!(err.to_string().contains("declined"));
    assert_eq!(h.tenantry.subscription_view(&owner).await.unwrap().seats, Some(3));
}

#[tokio::test]
async fn the_trial_reminder_goes_out_once_on_day_eleven_and_the_trial_converts_on_day_fourteen() {
    let h = Harness::new();
    let t = h.signup("remind").await.unwrap();
    h.add_user(&t, "ann@remind.example.com", "admin").await.unwrap();
    h.add_user(&t, "bob@remind.example.com", "member").await.unwrap();
    h.add_user(&t, "cat@remind.example.com", "member").await.unwrap();
    h.add_card(t.id, TestCard::Succeeds).await.unwrap();
    h.advance_days(10).await;
    assert_eq!(h.mailer.count(&t.owner_email, "trial_reminder"), 0);
    h.advance_days(1).await; // day 11: the simulator's trial_will_end and the timer both fire
    assert_eq!(h.mailer.count(&t.owner_email, "trial_reminder"), 1);
    assert_eq!(h.mailer.count("ann@remind.example.com", "trial_reminder"), 1, "admins get it too");
    assert_eq!(h.mailer.count("bob@remind.example.com", "trial_reminder"), 0);
    h.advance_days(2).await;
    assert_eq!(h.mailer.count(&t.owner_email, "trial_reminder"), 1, "sent once per trial");
    let owner = h.owner_scope(&t).await.unwrap();
    assert_eq!(h.tenantry.subscription_view(&owner).await.unwrap().status, SubscriptionStatus::Trialing);
    h.advance_days(1).await; // day 14
    let view = h.tenantry.subscription_view(&owner).await.unwrap();
    assert_eq!(view.status, SubscriptionStatus::Active);
    // seats = max(3, used) = 4 (owner + 3 users); the first invoice bills 4995 + 495
    assert_eq!(view.seats, Some(4));
    assert_eq!(h.tenantry.invoices(&owner).await.unwrap()[0].total, Money::eur(5490));
    assert_eq!(h.mailer.count(&t.owner_email, "trial_converted"), 1);
}

#[tokio::test]
async fn a_trial_without_a_payment_method_becomes_freemium_and_frees_seats_newest_first() {
    let h = Harness::new();
    let t = h.signup("nocard").await.unwrap();
    for who in ["a", "b", "c", "d"] {
        h.add_user(&t, &format!("{who}@nocard.example.com"), "member").await.unwrap();
        h.clock.advance(Duration::minutes(1));
    }
    let owner = h.owner_scope(&t).await.unwrap();
    h.tenantry
        .invite(
            &owner,
            tenantry_ports::services::invitations::InviteInput {
                email: "e@nocard.example.com".into(),
                role: "member".into(),
            },
        )
        .await
        .unwrap();
    h.advance_days(15).await;
    let owner = h.owner_scope(&t).await.unwrap();
    let view = h.tenantry.subscription_view(&owner).await.unwrap();
    assert_eq!(view.plan, PlanKind::Freemium);
    assert_eq!((view.active_users, view.pending_invitations), (3, 0));
    let users = h.tenantry.list_users(&owner).await.unwrap();
    let active: Vec<&str> = users.iter().filter(|u| u.status == "active").map(|u| u.email.as_str()).collect();
    assert_eq!(active, vec!["owner@nocard.example.com", "a@nocard.example.com", "b@nocard.example.com"]);
    assert_eq!(h.mailer.count(&t.owner_email, "downgraded"), 1);
}

#[tokio::test]
async fn continue_free_during_the_trial_becomes_freemium_at_its_end_even_with_a_card() {
    let h = Harness::new();
    let t = h.signup("freebie").await.unwrap();
    h.add_card(t.id, TestCard::Succeeds).await.unwrap();
    let owner = h.owner_scope(&t).await.unwrap();
    h.tenantry.continue_free(&owner, URL).await.unwrap();
    assert!(h.tenantry.subscription_view(&owner).await.unwrap().continue_free);
    h.advance_days(15).await;
    assert_eq!(h.tenantry.subscription_view(&owner).await.unwrap().plan, PlanKind::Freemium);
    assert!(h.tenantry.invoices(&owner).await.unwrap().is_empty(), "nothing was charged");
}

#[tokio::test]
async fn choosing_yearly_for_the_trial_end_converts_to_yearly() {
    let h = Harness::new();
    let t = h.signup("yearafter").await.unwrap();
    h.add_card(t.id, TestCard::Succeeds).await.unwrap();
    let owner = h.owner_scope(&t).await.unwrap();
    h.tenantry
        .change_plan(&owner, PlanChoice::Standard(Interval::Year), PlanTiming::AtTrialEnd, None, URL)
        .await
        .unwrap();
    h.advance_days(15).await;
    let view = h.tenantry.subscription_view(&owner).await.unwrap();
    assert_eq!((view.status, view.interval), (SubscriptionStatus::Active, Some(Interval::Year)));
    assert_eq!(h.tenantry.invoices(&owner).await.unwrap()[0].total, Money::eur(47900));
}

#[tokio::test]
async fn dunning_keeps_access_for_fourteen_days_then_downgrades_with_the_seat_rules() {
    let h = Harness::new();
    let t = paying(&h, "dunning", 5).await;
    for who in ["a", "b", "c", "d"] {
        h.add_user(&t, &format!("{who}@dunning.example.com"), "member").await.unwrap();
        h.clock.advance(Duration::minutes(1));
    }
    h.add_card(t.id, TestCard::Declines).await.unwrap();
    h.clock.set(Utc.with_ymd_and_hms(2026, 11, 30, 23, 0, 0).unwrap());
    h.advance(Duration::hours(2)).await; // renewal on 2026-12-01 fails
    let owner = h.owner_scope(&t).await.unwrap();
    let view = h.tenantry.subscription_view(&owner).await.unwrap();
    assert_eq!(view.status, SubscriptionStatus::PastDue);
    assert_eq!(view.active_users, 5, "full access while past due");
    assert_eq!(h.mailer.count(&t.owner_email, "payment_failed"), 1);
    h.advance_days(13).await;
    assert_eq!(h.tenantry.subscription_view(&owner).await.unwrap().status, SubscriptionStatus::PastDue);
    h.advance_days(2).await;
    let owner = h.owner_scope(&t).await.unwrap();
    let view = h.tenantry.subscription_view(&owner).await.unwrap();
    assert_eq!(view.plan, PlanKind::Freemium);
    assert_eq!(view.active_users, 3);
    let users = h.tenantry.list_users(&owner).await.unwrap();
    let deactivated: Vec<&str> = users.iter().filter(|u| u.status != "active").map(|u| u.email.as_str()).collect();
    assert_eq!(deactivated, vec!["c@dunning.example.com", "d@dunning.example.com"], "newest first, never the owner");
}

#[tokio::test]
async fn paying_while_past_due_restores_everything() {
    let h = Harness::new();
    let t = paying(&h, "recover", 4).await;
    h.add_card(t.id, TestCard::Declines).await.unwrap();
    h.clock.set(Utc.with_ymd_and_hms(2026, 11, 30, 23, 0, 0).unwrap());
    h.advance(Duration::hours(2)).await;
    let owner = h.owner_scope(&t).await.unwrap();
    assert_eq!(h.tenantry.subscription_view(&owner).await.unwrap().status, SubscriptionStatus::PastDue);
    h.advance_days(3).await;
    h.add_card(t.id, TestCard::Succeeds).await.unwrap(); // the Portal: a new card is retried at once
    let view = h.tenantry.subscription_view(&owner).await.unwrap();
    assert_eq!((view.status, view.seats), (SubscriptionStatus::Active, Some(4)));
    let err = h.tenantry.change_seats(&owner, 3, None).await;
    assert!(err.is_ok(), "billing works again: {err:?}");
}

#[tokio::test]
async fn billing_events_apply_once_however_often_and_concurrently_they_arrive() {
    let h = Harness::new();
    let t = h.signup("replay").await.unwrap();
    let customer = h.simulator.customer_of(t.id).unwrap();
    h.simulator.attach_card(&customer, TestCard::Succeeds).unwrap();
    let events = h.simulator.take_events();
    let attached = events.iter().find(|e| matches!(e.kind, BillingEventKind::PaymentMethodAttached)).unwrap().clone();
    let mut handles = Vec::new();
    for _ in 0..10 {
        let svc = h.tenantry.clone();
        let e = attached.clone();
        handles.push(tokio::spawn(async move { svc.handle_billing_event(&e).await.unwrap() }));
    }
    let mut applied = 0;
    for handle in handles {
        if handle.await.unwrap() == tenantry_ports::services::billing::BillingEventOutcome::Applied {
            applied += 1;
        }
    }
    assert_eq!(applied, 1);
    let owner = h.owner_scope(&t).await.unwrap();
    let audit = h.tenantry.audit_events(&owner, Default::default()).await.unwrap();
    let added = audit.events.iter().filter(|e| e.action == tenantry_domain::AuditAction::PaymentMethodAdded).count();
    assert_eq!(added, 1);
}

#[tokio::test]
async fn a_late_old_subscription_event_does_not_move_the_subscription_backwards() {
    let h = Harness::new();
    let t = paying(&h, "ordering", 3).await;
    let owner = h.owner_scope(&t).await.unwrap();
    // Capture the events of a seat change, then change again and replay the first late.
    h.tenantry.change_seats(&owner, 5, None).await.unwrap();
    let first = h.simulator.take_events();
    h.clock.advance(Duration::minutes(5));
    h.tenantry.change_seats(&owner, 6, None).await.unwrap();
    h.tick().await;
    for e in first.iter().rev() {
        h.tenantry.handle_billing_event(e).await.unwrap();
    }
    assert_eq!(h.tenantry.subscription_view(&owner).await.unwrap().seats, Some(6));
}

/// The expected record of [`tenantry_testkit::scenarios::specified_trial`]
/// (signed up at 2026-11-01T00:00Z, Checkout completed 12 hours later).
pub(crate) fn specified_trial_expected() -> tenantry_testkit::scenarios::SpecifiedTrial {
    tenantry_testkit::scenarios::SpecifiedTrial {
        at_signup: SubscriptionStatus::PendingPaymentMethod,
        checkout: true,
        refused_while_waiting: vec!["payment_method_required"; 4],
        purge_at: Some(Utc.with_ymd_and_hms(2026, 11, 8, 0, 0, 0).unwrap()),
        after_checkout: (SubscriptionStatus::Trialing, Some(14)),
        reminders: 1,
        warned: vec![4995],
        after_trial: (SubscriptionStatus::Active, Some(3)),
        paid_invoices: vec![4995],
    }
}

#[tokio::test]
async fn a_payment_method_at_signup_starts_the_trial_and_the_plan_is_charged_at_its_end() {
    use tenantry_domain::settings::PaymentMethodAtSignup;
    let h = Harness::builder().payment_method_at_signup(PaymentMethodAtSignup::Required).build();
    let seen = tenantry_testkit::scenarios::specified_trial(&h, "specified").await.unwrap();
    assert_eq!(seen, specified_trial_expected());
}

#[tokio::test]
async fn a_signup_that_never_gets_its_payment_method_is_purged_after_seven_days_and_frees_its_slug() {
    use tenantry_domain::settings::PaymentMethodAtSignup;
    let h = Harness::builder().payment_method_at_signup(PaymentMethodAtSignup::Required).build();
    let seen = tenantry_testkit::scenarios::unfinished_signup(&h, "unfinished").await.unwrap();
    assert!(seen.there_on_day_6 && seen.gone_on_day_7 && seen.slug_free_again, "{seen:?}");
}

#[tokio::test]
async fn freemium_at_signup_needs_no_payment_method_and_a_yearly_choice_is_kept_for_the_trials_end() {
    use tenantry_domain::settings::PaymentMethodAtSignup;
    use tenantry_ports::services::auth::SignupPlan;
    let h = Harness::builder().payment_method_at_signup(PaymentMethodAtSignup::Required).build();
    let (free, done) = h.sign_up("free", SignupPlan::Freemium, Interval::Month).await.unwrap();
    assert_eq!((done.status, done.checkout.is_some()), (SubscriptionStatus::Freemium, false));
    let owner = h.owner_scope(&free).await.unwrap();
    h.tenantry.list_users(&owner).await.unwrap();
    let (yearly, done) = h.sign_up("yearly", SignupPlan::Standard, Interval::Year).await.unwrap();
    h.simulator.complete_checkout(&done.checkout.unwrap().id, TestCard::Succeeds).unwrap();
    h.tick().await;
    let owner = h.owner_scope(&yearly).await.unwrap();
    let view = h.tenantry.subscription_view(&owner).await.unwrap();
    assert_eq!((view.status, view.interval), (SubscriptionStatus::Trialing, Some(Interval::Year)));
    h.advance_days(15).await;
    let owner = h.owner_scope(&yearly).await.unwrap();
    let view = h.tenantry.subscription_view(&owner).await.unwrap();
    assert_eq!((view.status, view.interval), (SubscriptionStatus::Active, Some(Interval::Year)));
    assert_eq!(view.price, Some(Money::eur(47900)));
}

#[tokio::test]
async fn a_cardless_trial_ends_in_freemium_or_suspended_as_the_platform_says_but_continue_free_is_the_tenants() {
    use tenantry_domain::settings::SettingsPatch;
    for (setting, chose_free, expected) in [
        ("freemium", false, SubscriptionStatus::Freemium),
        ("suspended", false, SubscriptionStatus::Suspended),
        ("suspended", true, SubscriptionStatus::Freemium),
    ] {
        let h = Harness::new();
        let su = h.superuser("ops@platform.example.com").await.unwrap();
        let who = h.tenantry.authorize_platform(&su).await.unwrap();
        let patch: SettingsPatch =
            serde_json::from_value(serde_json::json!({"trial": {"trial_without_payment_method_ends_in": setting}}))
                .unwrap();
        h.tenantry.update_settings(&who, &patch).await.unwrap();
        let t = h.signup("cardless").await.unwrap();
        let owner = h.owner_scope(&t).await.unwrap();
        if chose_free {
            h.tenantry.continue_free(&owner, &tenantry_ports::payment::ReturnPath::from_static("/")).await.unwrap();
        }
        h.advance_days(15).await;
        let su = h.superuser_login("ops@platform.example.com").await.unwrap();
        let admin = h.scope(&su, t.id).await.unwrap();
        let view = h.tenantry.subscription_view(&admin).await.unwrap();
        assert_eq!(view.status, expected, "{setting} {chose_free}");
        assert_eq!(view.plan, PlanKind::Freemium, "{setting} {chose_free}: freemium underneath");
    }
}

/// The totals of the pre-invoice warnings `to` received, in cents.
fn warned_totals(h: &Harness, to: &str) -> Vec<i64> {
    h.mailer
        .sent_to(to)
        .iter()
        .filter_map(|m| match &m.message {
            tenantry_ports::system::Message::UpcomingInvoice { total, .. } => Some(total.cents()),
            _ => None,
        })
        .collect()
}

/// DESIGN.md "Notifications": 3 days (the platform's setting) before each
/// renewal the owners and admins who kept it on get the upcoming invoice —
/// the seats bought since included, once per invoice, again next period; an
/// admin who switched it off gets none; a cancelled plan gets none.
#[tokio::test]
async fn the_pre_invoice_warning_tells_the_next_invoice_three_days_before_each_renewal() {
    use tenantry_ports::services::notifications::MailPrefsPatch;
    let h = Harness::new();
    let t = h.paid_tenant("warned", 3).await.unwrap(); // monthly, 2026-11-01 .. 12-01
    h.add_user(&t, "ann@warned.example.com", "admin").await.unwrap();
    h.add_user(&t, "bob@warned.example.com", "admin").await.unwrap();
    let bob = h.login("warned", "bob@warned.example.com").await.unwrap();
    let bob = h.scope(&bob, t.id).await.unwrap();
    let off = MailPrefsPatch { upcoming_invoice: Some(false), ..MailPrefsPatch::default() };
    h.tenantry.set_my_mail_prefs(&bob, off).await.unwrap();
    // A fourth seat bought on day 10 (3 users and the owner need it from the next invoice on).
    h.advance_days(10).await;
    let owner = h.owner_scope(&t).await.unwrap();
    h.tenantry.change_seats(&owner, 4, None).await.unwrap();
    h.advance_days(16).await; // 11-27
    assert_eq!(warned_totals(&h, &t.owner_email), Vec::<i64>::new(), "not before 3 days ahead");
    h.advance_days(1).await; // 11-28: 3 days before 12-01
    assert_eq!(warned_totals(&h, &t.owner_email), vec![4995 + 495]);
    assert_eq!(warned_totals(&h, "ann@warned.example.com"), vec![5490], "admins get it");
    assert_eq!(warned_totals(&h, "bob@warned.example.com"), Vec::<i64>::new(), "switched off");
    let mail =
        h.mailer.sent_to(&t.owner_email).into_iter().find(|m| m.message.template() == "upcoming_invoice").unwrap();
    let tenantry_ports::system::Message::UpcomingInvoice { at, lines, .. } = &mail.message else { unreachable!() };
    assert_eq!(*at, Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap());
    assert_eq!(lines.len(), 2, "the base price and the extra seat");
    h.advance_days(2).await;
    assert_eq!(warned_totals(&h, &t.owner_email).len(), 1, "once per invoice");
    // The next period's, 3 days before 2027-01-01.
    h.advance_days(29).await; // 12-29
    assert_eq!(warned_totals(&h, &t.owner_email), vec![5490, 5490]);
    // Cancelled: no invoice is coming, no warning.
    let owner = h.owner_scope(&t).await.unwrap();
    h.tenantry.cancel_subscription(&owner, &tenantry_ports::payment::ReturnPath::from_static("/")).await.unwrap();
    h.advance_days(31).await;
    assert_eq!(warned_totals(&h, &t.owner_email).len(), 2);
}

/// The paid invoices' totals and the voided ones' count, oldest first, as
/// the provider lists them (a voided invoice sends no event tenantry caches).
async fn invoice_totals(h: &Harness, t: &TestTenant) -> (Vec<i64>, usize) {
    use tenantry_ports::PaymentProvider;
    use tenantry_ports::payment::InvoiceStatus;
    let customer = h.simulator.customer_of(t.id).unwrap();
    let mut invoices = h.simulator.invoices(&customer).await.unwrap();
    invoices.reverse();
    let paid = invoices.iter().filter(|i| i.status == InvoiceStatus::Paid).map(|i| i.total.cents()).collect();
    (paid, invoices.iter().filter(|i| i.status == InvoiceStatus::Void).count())
}

/// The superuser (`ops@platform.example.com`), signed in now, in `t`.
async fn ops(h: &Harness, t: &TestTenant) -> tenantry_ports::TenantScope {
    let su = h.superuser_login("ops@platform.example.com").await.unwrap();
    h.scope(&su, t.id).await.unwrap()
}

/// DESIGN.md "the superuser can intervene … pause payments": suspending a
/// paying tenant pauses collection (the renewal's invoice is voided, nothing
/// charged) and resuming clears it; collection pauses alone too; a comp of 2
/// months makes the next two renewals free (0.00, paid) and counts as no
/// MRR, the third is full price; every change is audited.
#[tokio::test]
async fn the_superuser_pauses_payments_by_suspending_or_alone_and_comps_the_plan() {
    use tenantry_ports::services::admin::AdminTenantPatch;
    let h = Harness::new();
    h.superuser("ops@platform.example.com").await.unwrap();
    let t = h.paid_tenant("paused", 3).await.unwrap(); // monthly from 2026-11-01, 4995 paid
    let patch = |p: AdminTenantPatch| {
        let (h, t) = (&h, &t);
        async move { h.tenantry.admin_update_tenant(&ops(h, t).await, p).await }
    };
    let detail = patch(AdminTenantPatch { suspended: Some(true), ..Default::default() }).await.unwrap();
    assert!(detail.subscription.collection_paused, "suspending a paying tenant pauses its collection");
    h.advance_days(30).await; // the 12-01 renewal: voided
    assert_eq!(invoice_totals(&h, &t).await, (vec![4995], 1));
    let detail = patch(AdminTenantPatch { suspended: Some(false), ..Default::default() }).await.unwrap();
    assert!(!detail.subscription.collection_paused, "resuming clears it");
    assert_eq!(detail.subscription.status, SubscriptionStatus::Active);
    // Paused alone, without suspending: the tenant works, nothing is charged.
    let detail = patch(AdminTenantPatch { collection_paused: Some(true), ..Default::default() }).await.unwrap();
    assert!(detail.subscription.collection_paused && detail.subscription.status == SubscriptionStatus::Active);
    assert_eq!(detail.subscription.mrr().map(|m| m.cents()), Some(0), "paused: no recurring revenue");
    let owner = h.owner_scope(&t).await.unwrap();
    h.tenantry.list_users(&owner).await.unwrap();
    h.advance_days(31).await; // 2027-01-01: voided
    assert_eq!(invoice_totals(&h, &t).await, (vec![4995], 2));
    patch(AdminTenantPatch { collection_paused: Some(false), ..Default::default() }).await.unwrap();
    // Comped for 2 months from 2027-01-02: 02-01 and 03-01 free, 04-01 full.
    h.advance_days(1).await;
    let detail = patch(AdminTenantPatch { comp_months: Some(2), ..Default::default() }).await.unwrap();
    assert_eq!(detail.subscription.free_until, Some(Utc.with_ymd_and_hms(2027, 3, 2, 0, 0, 0).unwrap()));
    assert_eq!(detail.subscription.mrr().map(|m| m.cents()), Some(0), "free: no recurring revenue");
    h.advance_days(30 + 28 + 31).await; // to 2027-04-01
    assert_eq!(invoice_totals(&h, &t).await, (vec![4995, 0, 0, 4995], 2));
    let detail = h.tenantry.admin_tenant_detail(&ops(&h, &t).await).await.unwrap();
    assert_eq!(detail.subscription.free_until, None, "the comp is over");
    assert_eq!(detail.subscription.mrr().map(|m| m.cents()), Some(4995));
    let refused = patch(AdminTenantPatch { comp_months: Some(37), ..Default::default() }).await;
    assert_eq!(refused.unwrap_err().code(), "invalid_request");
    let changes = h
        .tenantry
        .audit_events(
            &ops(&h, &t).await,
            tenantry_ports::services::audit::AuditFilter {
                action: Some("billing.collection_changed".into()),
                limit: Some(100),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .events
        .len();
    assert!(changes >= 5, "paused, resumed, paused, resumed, comped (and the comp's end): {changes}");
    // A tenant without a paid plan has nothing to pause.
    let trial = h.signup("trialing").await.unwrap();
    let refused = h
        .tenantry
        .admin_update_tenant(
            &ops(&h, &trial).await,
            AdminTenantPatch { collection_paused: Some(true), ..Default::default() },
        )
        .await;
    assert_eq!(refused.unwrap_err().code(), "invalid_request");
}

/// A paid invoice's receipt — its number, total and PDF link — goes to the
/// tenant's billing e-mail when it set one, else to its owner; once per
/// invoice, none for one that charged nothing.
#[tokio::test]
async fn a_paid_invoice_is_mailed_with_its_pdf_to_the_billing_email_or_else_the_owner() {
    use tenantry_ports::services::tenant::SettingsInput;
    let h = Harness::new();
    let t = h.paid_tenant("receipts", 3).await.unwrap(); // 4995 paid on 2026-11-01
    let receipts = |to: &str| {
        h.mailer
            .sent_to(to)
            .into_iter()
            .filter_map(|m| match m.message {
                tenantry_ports::system::Message::InvoicePaid { total, pdf_url, .. } => Some((total.cents(), pdf_url)),
                _ => None,
            })
            .collect::<Vec<_>>()
    };
    let first = receipts(&t.owner_email);
    assert_eq!(first.len(), 1, "{first:?}");
    assert_eq!(first[0].0, 4995);
    let pdf = first[0].1.clone().unwrap();
    assert!(pdf.starts_with("/billing/simulator/invoices/") && pdf.contains("/pdf?key="), "{pdf}");
    // With a billing e-mail, the next one goes there instead.
    let owner = h.owner_scope(&t).await.unwrap();
    let settings = SettingsInput { billing_email: Some(Some("ap@receipts.example.com".into())), ..Default::default() };
    h.tenantry.update_tenant(&owner, settings).await.unwrap();
    h.advance_days(31).await;
    assert_eq!(receipts(&t.owner_email).len(), 1, "the owner got only the first");
    assert_eq!(receipts("ap@receipts.example.com").iter().map(|r| r.0).collect::<Vec<_>>(), vec![4995]);
    h.tick().await;
    assert_eq!(receipts("ap@receipts.example.com").len(), 1, "once per invoice");
}

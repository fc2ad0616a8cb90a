//! Cancellations, deletions, trial extensions and late provider events: the
//! cases where local state and the payment provider could drift apart.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed step is a failed test

use chrono::{Duration, TimeZone, Utc};
use tenantry_domain::subscription::{PlanChoice, PlanTiming};
use tenantry_domain::{Interval, Money, PlanKind, SubscriptionStatus};
use tenantry_ports::Problem;
use tenantry_ports::payment::BillingEventKind;
use tenantry_ports::services::admin::AdminTenantPatch;
use tenantry_ports::services::invitations::InviteInput;
use tenantry_testkit::{Harness, TestCard, TestTenant};

const URL: &tenantry_ports::payment::ReturnPath = &tenantry_ports::payment::ReturnPath::from_static("/billing");

async fn paying(h: &Harness, slug: &str) -> TestTenant {
    let t = h.signup(slug).await.unwrap();
    h.add_card(t.id, TestCard::Succeeds).await.unwrap();
    let owner = h.owner_scope(&t).await.unwrap();
    h.tenantry.change_plan(&owner, PlanChoice::Standard(Interval::Month), PlanTiming::Now, None, URL).await.unwrap();
    h.tick().await;
    t
}

#[tokio::test]
async fn a_refused_plan_change_keeps_a_scheduled_cancellation_here_and_at_the_provider() {
    let h = Harness::new();
    let t = paying(&h, "keepcancel").await;
    let owner = h.owner_scope(&t).await.unwrap();
    h.tenantry.cancel_subscription(&owner, URL).await.unwrap();
    h.tick().await;
    h.add_card(t.id, TestCard::Declines).await.unwrap();
    h.clock.advance(Duration::days(5));
    // monthly -> yearly would charge now and withdraw the cancellation; the card declines
    let err = h
        .tenantry
        .change_plan(&owner, PlanChoice::Standard(Interval::Year), PlanTiming::Now, None, URL)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "payment_declined");
    h.tick().await;
    assert_eq!(h.tenantry.subscription_view(&owner).await.unwrap().status, SubscriptionStatus::CancelingAtPeriodEnd);
    let customer = h.simulator.customer_of(t.id).unwrap();
    assert!(h.simulator.current_subscription(&customer).unwrap().snapshot.cancel_at_period_end);
    h.advance_days(30).await;
    assert_eq!(h.tenantry.subscription_view(&h.owner_scope(&t).await.unwrap()).await.unwrap().plan, PlanKind::Freemium);
}

#[tokio::test]
async fn a_deletion_request_stops_billing_and_cancelling_it_restores_billing() {
    let h = Harness::new();
    let gone = paying(&h, "gone").await;
    let back = paying(&h, "back").await;
    h.clock.set(Utc.with_ymd_and_hms(2026, 11, 21, 0, 0, 0).unwrap());
    h.tenantry.request_deletion(&h.owner_scope(&gone).await.unwrap()).await.unwrap();
    h.tenantry.request_deletion(&h.owner_scope(&back).await.unwrap()).await.unwrap();
    h.tick().await;
    h.tenantry.cancel_deletion(&h.owner_scope(&back).await.unwrap()).await.unwrap();
    h.advance_days(12).await; // past the renewal on 2026-12-01
    let invoices = |t: &TestTenant| h.simulator.customer_of(t.id).unwrap();
    let gone_invoices = tenantry_ports::PaymentProvider::invoices(&h.simulator, &invoices(&gone)).await.unwrap();
    assert_eq!(gone_invoices.len(), 1, "no renewal is charged while the tenant waits for its purge");
    let back_invoices = tenantry_ports::PaymentProvider::invoices(&h.simulator, &invoices(&back)).await.unwrap();
    assert_eq!(back_invoices.len(), 2, "a cancelled deletion renews as before");
    let view = h.tenantry.subscription_view(&h.owner_scope(&back).await.unwrap()).await.unwrap();
    assert_eq!(view.status, SubscriptionStatus::Active);
}

#[tokio::test]
async fn a_trial_under_deletion_does_not_convert() {
    let h = Harness::new();
    let t = h.signup("trialgone").await.unwrap();
    h.add_card(t.id, TestCard::Succeeds).await.unwrap();
    h.tenantry.request_deletion(&h.owner_scope(&t).await.unwrap()).await.unwrap();
    h.advance_days(16).await;
    let customer = h.simulator.customer_of(t.id).unwrap();
    assert!(tenantry_ports::PaymentProvider::invoices(&h.simulator, &customer).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_tenant_pending_deletion_is_read_only_for_its_owner() {
    let h = Harness::new();
    let t = h.signup("frozen").await.unwrap();
    let owner = h.owner_scope(&t).await.unwrap();
    h.tenantry.request_deletion(&owner).await.unwrap();
    let owner = h.owner_scope(&t).await.unwrap();
    let err = h
        .tenantry
        .invite(&owner, InviteInput { email: "x@frozen.example.com".into(), role: "member".into() })
        .await
        .unwrap_err();
    assert_eq!(err.code(), "forbidden");
    assert!(h.tenantry.get_tenant(&owner).await.is_ok());
    h.tenantry.cancel_deletion(&owner).await.unwrap();
    let owner = h.owner_scope(&t).await.unwrap();
    h.tenantry
        .invite(&owner, InviteInput { email: "x@frozen.example.com".into(), role: "member".into() })
        .await
        .unwrap();
}

#[tokio::test]
async fn the_superusers_trial_extension_is_kept_by_the_provider() {
    let h = Harness::new();
    let t = h.signup("longer").await.unwrap();
    h.add_card(t.id, TestCard::Succeeds).await.unwrap();
    let su = h.superuser("ops@platform.example.com").await.unwrap();
    let scope = h.tenantry.authorize(&su, t.id).await.unwrap();
    let end = Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap();
    h.tenantry
        .admin_update_tenant(&scope, AdminTenantPatch { trial_ends_at: Some(end), ..Default::default() })
        .await
        .unwrap();
    h.advance_days(16).await;
    let owner = h.owner_scope(&t).await.unwrap();
    let view = h.tenantry.subscription_view(&owner).await.unwrap();
    assert_eq!((view.status, view.trial_ends_at), (SubscriptionStatus::Trialing, Some(end)));
    h.advance_days(15).await;
    assert_eq!(h.tenantry.subscription_view(&owner).await.unwrap().status, SubscriptionStatus::Active);
    // a refused patch changes nothing, here or at the provider
    let err = h
        .tenantry
        .admin_update_tenant(
            &scope,
            AdminTenantPatch { force_freemium: true, suspended: Some(false), ..Default::default() },
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), "not_suspended");
    let customer = h.simulator.customer_of(t.id).unwrap();
    assert!(h.simulator.current_subscription(&customer).is_some(), "the provider subscription was not ended");
}

#[tokio::test]
async fn the_next_invoice_of_a_trial_bills_the_seats_in_use() {
    let h = Harness::new();
    let t = h.signup("sixusers").await.unwrap();
    for i in 0..5 {
        h.add_user(&t, &format!("u{i}@sixusers.example.com"), "member").await.unwrap();
    }
    h.add_card(t.id, TestCard::Succeeds).await.unwrap();
    let view = h.tenantry.subscription_view(&h.owner_scope(&t).await.unwrap()).await.unwrap();
    // 6 used: 4995 + 3 × 495 = 6480
    assert_eq!(view.next_invoice.map(|n| n.amount), Some(Money::eur(6480)));
}

#[tokio::test]
async fn a_late_event_of_a_subscription_tenantry_ended_is_ignored() {
    let h = Harness::new();
    let t = paying(&h, "retired").await;
    let owner = h.owner_scope(&t).await.unwrap();
    let customer = h.simulator.customer_of(t.id).unwrap();
    let old = h.simulator.current_subscription(&customer).unwrap();
    h.add_card(t.id, TestCard::Declines).await.unwrap();
    h.clock.set(Utc.with_ymd_and_hms(2026, 11, 30, 23, 0, 0).unwrap());
    h.advance(Duration::hours(2)).await; // renewal fails: past due
    h.tenantry.cancel_subscription(&owner, URL).await.unwrap(); // ends it now
    h.tick().await;
    assert_eq!(h.tenantry.subscription_view(&owner).await.unwrap().plan, PlanKind::Freemium);
    // a stale "active" snapshot of the old subscription arrives late
    let late = tenantry_ports::payment::BillingEvent {
        id: "evt_late".into(),
        occurred_at: h.clock_now(),
        customer: customer.clone(),
        kind: BillingEventKind::SubscriptionUpdated(old),
    };
    let outcome = h.tenantry.handle_billing_event(&late).await.unwrap();
    assert_eq!(outcome, tenantry_ports::services::billing::BillingEventOutcome::Ignored);
    assert_eq!(h.tenantry.subscription_view(&owner).await.unwrap().plan, PlanKind::Freemium);
}

#[tokio::test]
async fn a_trial_without_a_provider_subscription_starts_its_paid_plan_at_the_end() {
    let h = Harness::new();
    // the provider takes the customer but is down when the trial subscription is made
    h.simulator.fail_next("start_trial");
    let t = h.signup("notrialsub").await.unwrap();
    h.add_card(t.id, TestCard::Succeeds).await.unwrap();
    h.advance_days(15).await;
    let owner = h.owner_scope(&t).await.unwrap();
    let view = h.tenantry.subscription_view(&owner).await.unwrap();
    assert_eq!(
        view.status,
        SubscriptionStatus::Active,
        "a tenant that converts is never paid without a provider subscription"
    );
    assert_eq!(h.tenantry.invoices(&owner).await.unwrap()[0].total, Money::eur(4995));
    let customer = h.simulator.customer_of(t.id).unwrap();
    assert!(h.simulator.current_subscription(&customer).is_some());
}

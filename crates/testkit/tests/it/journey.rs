//! The whole user journey of the HTTP issue, through the application services:
//! trial → standard monthly → seats full → buy seats at the previewed price →
//! reduction refused → cancel → period end → freemium with the newest users
//! deactivated, ads shown and a premium feature gated.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed step is a failed test

use chrono::Duration;
use tenantry_domain::subscription::{PlanChoice, PlanTiming};
use tenantry_domain::{Interval, Money, PlanKind, SubscriptionStatus};
use tenantry_ports::Problem;
use tenantry_ports::services::AccessError;
use tenantry_ports::services::admin::CampaignInput;
use tenantry_ports::services::billing::{BillingError, PlanChanged, PreviewInput};
use tenantry_ports::services::invitations::{InvitationError, InviteInput};
use tenantry_ports::services::roles::{RoleError, RoleInput};
use tenantry_testkit::{Harness, TestCard};

#[tokio::test]
async fn a_tenant_goes_from_trial_to_paid_to_freemium_and_keeps_its_owner() {
    let h = Harness::new();
    let acme = h.signup("acme").await.unwrap();
    let owner = h.owner_scope(&acme).await.unwrap();

    // Signup: trial, seats not capped.
    let view = h.tenantry.subscription_view(&owner).await.unwrap();
    assert_eq!(view.status, SubscriptionStatus::Trialing);
    assert_eq!(view.seats, None);
    assert_eq!(view.trial_days_left, Some(14));

    // Choosing standard without a payment method answers a Checkout session.
    let answer = h
        .tenantry
        .change_plan(
            &owner,
            PlanChoice::Standard(Interval::Month),
            PlanTiming::Now,
            None,
            &tenantry_ports::payment::ReturnPath::from_static("/billing"),
        )
        .await
        .unwrap();
    let PlanChanged::CheckoutRequired { checkout } = answer else {
        panic!("expected a checkout session, got {answer:?}")
    };
    assert!(checkout.url.starts_with("/billing/simulator/checkout/"));
    h.simulator.complete_checkout(&checkout.id, TestCard::Succeeds).unwrap();
    h.tick().await;

    // Now standard monthly: the trial ends, 3 seats included, 49.95 charged.
    let answer = h
        .tenantry
        .change_plan(
            &owner,
            PlanChoice::Standard(Interval::Month),
            PlanTiming::Now,
            None,
            &tenantry_ports::payment::ReturnPath::from_static("/billing"),
        )
        .await
        .unwrap();
    let PlanChanged::Changed { charged, subscription, .. } = answer else { panic!("expected a change") };
    assert_eq!(charged, Some(Money::eur(4995)));
    assert_eq!(subscription.status, SubscriptionStatus::Active);
    assert_eq!(subscription.seats, Some(3));
    h.tick().await;

    // Two invitations fill the seats; both accept.
    h.add_user(&acme, "ann@acme.example.com", "member").await.unwrap();
    h.add_user(&acme, "bob@acme.example.com", "member").await.unwrap();
    let view = h.tenantry.subscription_view(&owner).await.unwrap();
    assert_eq!((view.seats_used, view.active_users), (3, 3));

    // A third is refused, saying one seat is missing.
    let err = h
        .tenantry
        .invite(&owner, InviteInput { email: "cat@acme.example.com".into(), role: "member".into() })
        .await
        .unwrap_err();
    assert_eq!(err.code(), "seat_limit_reached");
    let InvitationError::SeatLimitReached(missing) = err else { panic!() };
    assert_eq!(missing.missing, 1);

    // Preview +2 seats, buy them with the preview's proration date: charged = previewed.
    h.clock.advance(Duration::days(10));
    let preview =
        h.tenantry.preview_change(&owner, PreviewInput { seats: Some(5), ..Default::default() }).await.unwrap();
    assert!(preview.preview.total.cents() > 0);
    let lines: i64 = preview.preview.lines.iter().map(|l| l.amount.cents()).sum();
    assert_eq!(lines, preview.preview.total.cents());
    h.clock.advance(Duration::minutes(3));
    let bought = h.tenantry.change_seats(&owner, 5, Some(preview.preview.proration_date)).await.unwrap();
    assert_eq!(bought.charged, Some(preview.preview.total));
    assert_eq!(bought.subscription.seats, Some(5));
    h.tick().await;

    // Two more users.
    h.add_user(&acme, "cat@acme.example.com", "member").await.unwrap();
    h.add_user(&acme, "dan@acme.example.com", "viewer").await.unwrap();

    // A reduction below the used seats is refused with the count to free.
    let err = h.tenantry.change_seats(&owner, 4, None).await.unwrap_err();
    assert_eq!(err.code(), "below_used_seats");
    assert!(err.to_string().contains("free 1"), "{err}");

    // Cancel: freemium at the period end.
    h.tenantry.cancel_subscription(&owner, &tenantry_ports::payment::ReturnPath::from_static("/")).await.unwrap();
    assert_eq!(h.tenantry.subscription_view(&owner).await.unwrap().status, SubscriptionStatus::CancelingAtPeriodEnd);

    // A campaign for freemium tenants exists.
    let su = h.superuser("ops@platform.example.com").await.unwrap();
    let platform = h.tenantry.authorize_platform(&su).await.unwrap();
    let now = h.clock_now();
    h.tenantry
        .create_campaign(
            &platform,
            CampaignInput {
                name: "Upgrade".into(),
                format: tenantry_domain::AdFormat::Banner,
                text: "Go premium".into(),
                image_url: None,
                link_url: "https://example.com/upgrade".into(),
                tenants: None,
                starts_at: now,
                ends_at: now + Duration::days(365),
                enabled: true,
            },
        )
        .await
        .unwrap();

    // The period ends; the provider ends the subscription; freemium.
    h.advance_days(25).await;
    let owner = h.owner_scope(&acme).await.unwrap();
    let view = h.tenantry.subscription_view(&owner).await.unwrap();
    assert_eq!(view.plan, PlanKind::Freemium);
    assert_eq!(view.active_users, 3, "owner kept, the newest two deactivated");
    let users = h.tenantry.list_users(&owner).await.unwrap();
    let active: Vec<&str> = users.iter().filter(|u| u.status == "active").map(|u| u.email.as_str()).collect();
    assert!(active.contains(&"owner@acme.example.com"));
    assert!(active.contains(&"ann@acme.example.com") && active.contains(&"bob@acme.example.com"));
    assert_eq!(h.mailer.count("owner@acme.example.com", "downgraded"), 1);

    // Ads are shown; a premium feature answers upgrade_required.
    let (_, ann) = (0, h.login("acme", "ann@acme.example.com").await.unwrap());
    let ann_scope = h.scope(&ann, acme.id).await.unwrap();
    let decision = h.tenantry.ad_decision(&ann_scope).await.unwrap();
    assert!(decision.banner.is_some());
    let err = h
        .tenantry
        .create_role(
            &owner,
            RoleInput { name: "Approver".into(), description: None, permissions: vec!["users:read".into()] },
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, RoleError::Access(AccessError::UpgradeRequired(ref u)) if u.unlocked_by == PlanKind::Standard)
    );
    assert_eq!(err.code(), "upgrade_required");

    // Upgrading again and reactivating within the new seats works.
    let err = h.tenantry.change_seats(&owner, 4, None).await.unwrap_err();
    assert!(matches!(err, BillingError::Subscription(_)));
}

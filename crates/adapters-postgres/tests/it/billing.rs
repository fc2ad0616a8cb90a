//! The specified trial (DESIGN.md "Trial start and end") over PostgreSQL: the
//! same scenarios as the in-memory store's, with the same expected records.

use std::sync::Arc;
use tenantry_domain::settings::PaymentMethodAtSignup;
use tenantry_postgres::testing::{TestDatabase, admin_url};
use tenantry_testkit::{Harness, Stores};

/// A fresh database and a harness on it under the `required` trial policy
/// (`None`: no PostgreSQL, said as NOT RUN by `admin_url`).
async fn required(test: &str) -> Option<(TestDatabase, Harness)> {
    let admin = admin_url(test)?;
    let db = TestDatabase::create(&admin).await.unwrap();
    let store = db.store().await.unwrap();
    let h = Harness::builder()
        .payment_method_at_signup(PaymentMethodAtSignup::Required)
        .stores(|clock| Stores::of(db.follower(&store).at(clock), Arc::new(db.operator())))
        .build();
    Some((db, h))
}

#[tokio::test]
async fn a_payment_method_at_signup_starts_the_trial_and_the_plan_is_charged_at_its_end_in_postgres() {
    let Some((_db, h)) = required("a_payment_method_at_signup_starts_the_trial_in_postgres").await else { return };
    let seen = tenantry_testkit::scenarios::specified_trial(&h, "specified").await.unwrap();
    assert_eq!(seen.at_signup, tenantry_domain::SubscriptionStatus::PendingPaymentMethod);
    assert_eq!(seen.refused_while_waiting, vec!["payment_method_required"; 4]);
    assert_eq!(seen.after_checkout, (tenantry_domain::SubscriptionStatus::Trialing, Some(14)));
    assert_eq!(seen.reminders, 1);
    assert_eq!(seen.warned, vec![4995]);
    assert_eq!(seen.after_trial, (tenantry_domain::SubscriptionStatus::Active, Some(3)));
    assert_eq!(seen.paid_invoices, vec![4995]);
    assert!(seen.checkout && seen.purge_at.is_some(), "{seen:?}");
}

#[tokio::test]
async fn a_signup_that_never_gets_its_payment_method_is_purged_and_frees_its_slug_in_postgres() {
    let Some((_db, h)) = required("an_unfinished_signup_is_purged_in_postgres").await else { return };
    let seen = tenantry_testkit::scenarios::unfinished_signup(&h, "unfinished").await.unwrap();
    assert!(seen.there_on_day_6 && seen.gone_on_day_7 && seen.slug_free_again, "{seen:?}");
}

/// Promotion codes over PostgreSQL: the journey's record is the in-memory
/// store's, exactly (issue 23, part 3).
#[tokio::test]
async fn a_twenty_percent_code_for_three_months_discounts_months_two_to_four_in_postgres() {
    let Some((_db, h)) = required("a_twenty_percent_code_in_postgres").await else { return };
    let seen = tenantry_testkit::promotions::promoted_journey(&h, "promoted").await.unwrap();
    assert_eq!(seen, tenantry_testkit::promotions::promoted_journey_expected());
}

/// The code's row lock: two tenants taking the last redemption at once, on
/// two connections — exactly one gets it, and it is counted once.
#[tokio::test]
async fn two_tenants_taking_the_last_redemption_at_once_one_gets_it_in_postgres() {
    let Some((_db, h)) = required("the_last_redemption_in_postgres").await else { return };
    let seen = tenantry_testkit::promotions::last_redemption_race(&h).await.unwrap();
    assert_eq!(seen.answers, vec!["applied", "promotion_code_exhausted"]);
    assert_eq!((seen.times_redeemed, seen.discounted), (1, 1));
}

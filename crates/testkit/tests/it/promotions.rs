//! Promotion codes (issue 23, part 3) through the
//! services and the billing simulator: the specified journey with a 20 %-for-
//! 3-months code, the refusals with their stable codes, the last redemption
//! going to exactly one tenant, and the worked example of a discounted seat
//! increase (−132 + 264 = 132 cents).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed step is a failed test

use chrono::{Duration, TimeZone, Utc};
use tenantry_domain::settings::PaymentMethodAtSignup;
use tenantry_ports::Problem;
use tenantry_ports::services::promotions::{CouponInput, DurationKind, PromotionCodeInput};
use tenantry_testkit::promotions::{last_redemption_race, paying_owner, percent_code, platform};
use tenantry_testkit::{Harness, TestCard};

#[tokio::test]
async fn a_twenty_percent_code_for_three_months_discounts_months_two_to_four_and_month_five_is_full() {
    let h = Harness::builder().payment_method_at_signup(PaymentMethodAtSignup::Required).build();
    let seen = tenantry_testkit::promotions::promoted_journey(&h, "promoted").await.unwrap();
    assert_eq!(seen, tenantry_testkit::promotions::promoted_journey_expected());
}

#[tokio::test]
async fn two_tenants_taking_the_last_redemption_at_once_one_gets_it() {
    let h = Harness::new();
    let seen = last_redemption_race(&h).await.unwrap();
    assert_eq!(seen.answers, vec!["applied", "promotion_code_exhausted"]);
    assert_eq!((seen.times_redeemed, seen.discounted), (1, 1));
}

/// Each refusal has its stable code, and changes nothing: no redemption is
/// counted, the subscription carries no discount.
#[tokio::test]
async fn each_refusal_has_its_code_and_counts_nothing() {
    let h = Harness::new();
    let who = platform(&h).await.unwrap();
    let expiry = h.clock_now() + Duration::days(1);
    percent_code(&h, &who, "GONE", 1_000, None, |c| PromotionCodeInput { expires_at: Some(expiry), ..c })
        .await
        .unwrap();
    percent_code(&h, &who, "ONLY1", 1_000, None, |c| PromotionCodeInput { max_redemptions: Some(1), ..c })
        .await
        .unwrap();
    percent_code(&h, &who, "NEWBIE", 1_000, None, |c| PromotionCodeInput { first_time_only: true, ..c }).await.unwrap();
    percent_code(&h, &who, "SWITCHED", 1_000, None, |c| c).await.unwrap();
    let switched = h.tenantry.promotions(&who).await.unwrap();
    let switched = switched.promotion_codes.iter().find(|c| c.code == "SWITCHED").unwrap().id;
    h.tenantry.set_promotion_code_active(&who, switched, false).await.unwrap();

    let (_, used) = paying_owner(&h, "used").await.unwrap();
    h.tenantry.apply_promotion_code(&used, "ONLY1").await.unwrap();
    h.advance_days(2).await;
    let (_, paid) = paying_owner(&h, "paid").await.unwrap();
    assert_eq!(code(h.tenantry.apply_promotion_code(&paid, "NOPE").await), "promotion_code_unknown");
    assert_eq!(code(h.tenantry.apply_promotion_code(&paid, "GONE").await), "promotion_code_expired");
    assert_eq!(code(h.tenantry.apply_promotion_code(&paid, "ONLY1").await), "promotion_code_exhausted");
    assert_eq!(code(h.tenantry.apply_promotion_code(&paid, "NEWBIE").await), "promotion_code_not_first_time");
    assert_eq!(code(h.tenantry.apply_promotion_code(&paid, "SWITCHED").await), "promotion_code_inactive");
    assert_eq!(code(h.tenantry.preview_promotion_code(&paid, "GONE").await), "promotion_code_expired");
    assert_eq!(code(h.tenantry.apply_promotion_code(&used, "NEWBIE").await), "discount_already_applied");
    // A trial with a card has not paid: the first-time code is for it.
    let trial = h.signup("trying").await.unwrap();
    h.add_card(trial.id, TestCard::Succeeds).await.unwrap();
    let trying = h.owner_scope(&trial).await.unwrap();
    assert_eq!(code(h.tenantry.apply_promotion_code(&trying, "newbie").await), "applied");
    // A cardless trial and a freemium tenant have nothing to discount.
    let cardless = h.signup("cardless").await.unwrap();
    let cardless = h.owner_scope(&cardless).await.unwrap();
    assert_eq!(code(h.tenantry.apply_promotion_code(&cardless, "NEWBIE").await), "nothing_to_discount");
    // A member may not.
    let members = h.signup("members").await.unwrap();
    h.add_card(members.id, TestCard::Succeeds).await.unwrap();
    let (_, member) = h.add_user(&members, "mia@members.example.com", "member").await.unwrap();
    let member = h.scope(&member, members.id).await.unwrap();
    assert_eq!(code(h.tenantry.apply_promotion_code(&member, "NEWBIE").await), "forbidden");

    let counts: Vec<(String, u32)> = h
        .tenantry
        .promotions(&who)
        .await
        .unwrap()
        .promotion_codes
        .iter()
        .map(|c| (c.code.clone(), c.times_redeemed))
        .collect();
    let count = |name: &str| counts.iter().find(|(c, _)| c == name).map(|(_, n)| *n).unwrap();
    assert_eq!((count("GONE"), count("ONLY1"), count("NEWBIE"), count("SWITCHED")), (0, 1, 1, 0));
    assert!(h.tenantry.subscription_view(&paid).await.unwrap().discount.is_none(), "nothing applied");
}

/// The superuser's inputs are checked as written, and a code's text is unique.
#[tokio::test]
async fn coupons_and_codes_are_refused_as_written_and_a_code_is_unique() {
    let h = Harness::new();
    let who = platform(&h).await.unwrap();
    let coupon = |percent: Option<u32>, amount: Option<i64>, duration: DurationKind, months: Option<u32>| CouponInput {
        name: "Test".into(),
        percent_off_basis_points: percent,
        amount_off_cents: amount,
        duration,
        duration_in_months: months,
        max_redemptions: None,
        redeem_by: None,
    };
    for bad in [
        coupon(Some(0), None, DurationKind::Forever, None),
        coupon(Some(10_001), None, DurationKind::Forever, None),
        coupon(Some(2_000), Some(100), DurationKind::Forever, None),
        coupon(None, None, DurationKind::Forever, None),
        coupon(None, Some(0), DurationKind::Once, None),
        coupon(Some(2_000), None, DurationKind::Repeating, None),
        coupon(Some(2_000), None, DurationKind::Repeating, Some(37)),
        coupon(Some(2_000), None, DurationKind::Once, Some(3)),
        CouponInput { name: " ".into(), ..coupon(Some(2_000), None, DurationKind::Forever, None) },
    ] {
        let e = h.tenantry.create_coupon(&who, bad.clone()).await.unwrap_err();
        assert_eq!(e.code(), "invalid_request", "{bad:?}");
    }
    let made = h.tenantry.create_coupon(&who, coupon(None, Some(1_000), DurationKind::Once, None)).await.unwrap();
    assert_eq!(made.amount_off.map(|m| m.cents()), Some(1_000));
    let code = |text: &str| PromotionCodeInput {
        code: text.into(),
        first_time_only: false,
        expires_at: None,
        max_redemptions: None,
    };
    h.tenantry.create_promotion_code(&who, made.id, code("TEN-OFF")).await.unwrap();
    let again = h.tenantry.create_promotion_code(&who, made.id, code("ten-off")).await.unwrap_err();
    assert_eq!(again.code(), "promotion_code_taken");
    let bad = h.tenantry.create_promotion_code(&who, made.id, code("no spaces")).await.unwrap_err();
    assert_eq!(bad.code(), "invalid_request");
    let listed = h.tenantry.promotions(&who).await.unwrap();
    assert_eq!((listed.coupons.len(), listed.promotion_codes.len()), (1, 1), "nothing made by the refusals");
}

/// The worked example: 1 → 2 extra seats at €4.95/month with 10 of
/// 30 days left and 20 % off: the preview and the invoice are −132 + 264 = 132.
#[tokio::test]
async fn twenty_percent_off_a_seat_increase_on_the_21st_charges_132_cents() {
    use tenantry_ports::services::billing::PreviewInput;
    let h = Harness::new();
    let who = platform(&h).await.unwrap();
    percent_code(&h, &who, "TWENTY", 2_000, None, |c| c).await.unwrap();
    let t = h.paid_tenant("worked", 4).await.unwrap(); // 1 extra seat since 2026-11-01
    let owner = h.owner_scope(&t).await.unwrap();
    h.tenantry.apply_promotion_code(&owner, "TWENTY").await.unwrap();
    h.advance_days(20).await; // 2026-11-21: 10 of 30 days left
    let owner = h.owner_scope(&t).await.unwrap();
    let input = PreviewInput { seats: Some(5), plan: None, timing: tenantry_domain::subscription::PlanTiming::Now };
    let preview = h.tenantry.preview_change(&owner, input).await.unwrap().preview;
    let lines: Vec<i64> = preview.lines.iter().map(|l| l.amount.cents()).collect();
    assert_eq!((lines, preview.discount.map(|d| d.cents()), preview.total.cents()), (vec![-165, 330], Some(33), 132));
    h.tenantry.change_seats(&owner, 5, Some(preview.proration_date)).await.unwrap();
    let invoices = h.tenantry.invoices(&owner).await.unwrap();
    let newest = invoices.iter().max_by_key(|i| i.created_at).unwrap();
    assert_eq!(
        (newest.subtotal.cents(), newest.discount.map(|d| d.cents()), newest.total.cents()),
        (165, Some(33), 132)
    );
    assert_eq!(newest.created_at, Utc.with_ymd_and_hms(2026, 11, 21, 0, 0, 0).unwrap());
}

/// €10 off once: the next renewal only; the rest full price, and no MRR
/// counted off for it (a one-time discount is not recurring revenue).
#[tokio::test]
async fn an_amount_off_once_takes_ten_euros_off_the_next_invoice_only() {
    let h = Harness::new();
    let who = platform(&h).await.unwrap();
    let input = CouponInput {
        name: "Welcome".into(),
        percent_off_basis_points: None,
        amount_off_cents: Some(1_000),
        duration: DurationKind::Once,
        duration_in_months: None,
        max_redemptions: None,
        redeem_by: None,
    };
    let coupon = h.tenantry.create_coupon(&who, input).await.unwrap();
    let code =
        PromotionCodeInput { code: "WELCOME".into(), first_time_only: false, expires_at: None, max_redemptions: None };
    h.tenantry.create_promotion_code(&who, coupon.id, code).await.unwrap();
    let (t, owner) = paying_owner(&h, "welcome").await.unwrap();
    let preview = h.tenantry.preview_promotion_code(&owner, "WELCOME").await.unwrap();
    let next = preview.next_invoice.unwrap();
    assert_eq!((next.subtotal.cents(), next.discount.cents(), next.total.cents()), (4995, 1000, 3995));
    let view = h.tenantry.apply_promotion_code(&owner, "WELCOME").await.unwrap();
    assert_eq!(view.next_invoice.map(|n| n.amount.cents()), Some(3995));
    assert_eq!(view.mrr().map(|m| m.cents()), Some(4995), "once is not recurring");
    h.advance_days(31).await;
    h.advance_days(31).await;
    let owner = h.owner_scope(&t).await.unwrap();
    let mut invoices = h.tenantry.invoices(&owner).await.unwrap();
    invoices.sort_by_key(|i| i.created_at);
    let totals: Vec<i64> = invoices.iter().map(|i| i.total.cents()).collect();
    assert_eq!(totals, vec![4995, 3995, 4995]);
    assert!(h.tenantry.subscription_view(&owner).await.unwrap().discount.is_none(), "used up");
}

/// `applied`, or the refusal's stable code.
fn code<T>(r: Result<T, tenantry_ports::services::promotions::PromotionError>) -> &'static str {
    match r {
        Ok(_) => "applied",
        Err(e) => e.code(),
    }
}

fn signup_input(
    slug: &str,
    plan: tenantry_ports::services::auth::SignupPlan,
    code: &str,
) -> tenantry_ports::services::auth::SignupInput {
    tenantry_ports::services::auth::SignupInput {
        company_name: format!("{slug} Ltd"),
        slug: slug.into(),
        email: format!("owner@{slug}.example.com"),
        password: secrecy::SecretString::from(tenantry_testkit::harness::PASSWORD.to_owned()),
        name: "Owner".into(),
        plan,
        interval: tenantry_domain::Interval::Month,
        promotion_code: Some(code.into()),
        language: None,
    }
}

/// A code entered at signup is checked there (a refusal creates nothing)
/// and redeemed when the payment method is on file: the trial's first
/// invoice is discounted. One that expired in between is forgotten, the
/// refusal audited, and the trial goes on.
#[tokio::test]
async fn a_code_at_signup_is_checked_then_and_redeemed_when_the_payment_method_is_on_file() {
    use tenantry_ports::services::auth::SignupPlan;
    let h = Harness::builder().payment_method_at_signup(PaymentMethodAtSignup::Required).build();
    let who = platform(&h).await.unwrap();
    percent_code(&h, &who, "SPRING20", 2_000, Some(3), |c| c).await.unwrap();
    let soon = h.clock_now() + Duration::hours(1);
    percent_code(&h, &who, "HOUR", 2_000, Some(3), |c| PromotionCodeInput { expires_at: Some(soon), ..c })
        .await
        .unwrap();

    let unknown = h.tenantry.signup(signup_input("nope", SignupPlan::Standard, "NOPE")).await.unwrap_err();
    assert_eq!(unknown.code(), "promotion_code_unknown");
    let free = h.tenantry.signup(signup_input("nope", SignupPlan::Freemium, "SPRING20")).await.unwrap_err();
    assert_eq!(free.code(), "nothing_to_discount");
    let slug = tenantry_domain::Slug::parse("nope").unwrap();
    assert!(h.tenantry.deps().directory.resolve_slug(&slug).await.unwrap().is_none(), "nothing was created");

    let done = h.tenantry.signup(signup_input("coded", SignupPlan::Standard, " spring20 ")).await.unwrap();
    let late = h.tenantry.signup(signup_input("late", SignupPlan::Standard, "HOUR")).await.unwrap();
    h.advance(Duration::hours(2)).await;
    for signed in [&done, &late] {
        let checkout = signed.checkout.clone().unwrap();
        h.simulator.complete_checkout(&checkout.id, TestCard::Succeeds).unwrap();
    }
    h.tick().await;
    let owner = h.scope(&done.principal, done.tenant.id).await.unwrap();
    let view = h.tenantry.subscription_view(&owner).await.unwrap();
    assert_eq!(view.discount.as_ref().map(|d| d.code.as_str()), Some("SPRING20"), "{view:?}");
    assert_eq!(view.next_invoice.map(|n| n.amount.cents()), Some(3996), "the trial's first invoice is discounted");
    let late_owner = h.scope(&late.principal, late.tenant.id).await.unwrap();
    let late_view = h.tenantry.subscription_view(&late_owner).await.unwrap();
    assert_eq!((late_view.status, late_view.discount.is_none()), (tenantry_domain::SubscriptionStatus::Trialing, true));
    let filter = tenantry_ports::services::audit::AuditFilter {
        action: Some("billing.discount_applied".into()),
        ..Default::default()
    };
    let log = h.tenantry.audit_events(&late_owner, filter).await.unwrap();
    let refused = log
        .events
        .iter()
        .find(|e| e.action == tenantry_domain::AuditAction::DiscountApplied)
        .map(|e| (e.outcome, e.details.get("reason").cloned()));
    assert_eq!(refused, Some((tenantry_domain::AuditOutcome::Failed, Some("promotion_code_expired".into()))));
    h.advance_days(14).await;
    let owner = h.login("coded", "owner@coded.example.com").await.unwrap();
    let owner = h.scope(&owner, done.tenant.id).await.unwrap();
    let invoices = h.tenantry.invoices(&owner).await.unwrap();
    assert_eq!(invoices.iter().map(|i| i.total.cents()).collect::<Vec<_>>(), vec![3996]);
    let counts = h.tenantry.promotions(&who).await.unwrap();
    let redeemed: Vec<(String, u32)> =
        counts.promotion_codes.iter().map(|c| (c.code.clone(), c.times_redeemed)).collect();
    assert!(redeemed.contains(&("SPRING20".into(), 1)) && redeemed.contains(&("HOUR".into(), 0)), "{redeemed:?}");
}

//! Promotion-code scenarios (issue 23, part 3), run
//! on any store: the in-memory suite and the PostgreSQL suite call the same
//! functions and compare the same records.

use crate::harness::{Harness, HarnessError, TestTenant};
use chrono::{DateTime, Utc};
use tenantry_ports::error::Problem;
use tenantry_ports::payment::InvoiceStatus;
use tenantry_ports::services::promotions::{CouponInput, DurationKind, PromotionCodeInput};
use tenantry_ports::system::Message;
use tenantry_ports::{PlatformScope, TenantScope};

/// The superuser `ops@platform.example.com`, created now, signed in.
pub async fn platform(h: &Harness) -> Result<PlatformScope, HarnessError> {
    let su = match h.superuser_login("ops@platform.example.com").await {
        Ok(p) => p,
        Err(_) => h.superuser("ops@platform.example.com").await?,
    };
    h.tenantry.authorize_platform(&su).await.map_err(|e| HarnessError(e.to_string()))
}

/// A coupon of `basis_points` off for `months` months (forever without),
/// with its code `code`.
pub async fn percent_code(
    h: &Harness,
    who: &PlatformScope,
    code: &str,
    basis_points: u32,
    months: Option<u32>,
    code_input: impl FnOnce(PromotionCodeInput) -> PromotionCodeInput,
) -> Result<(), HarnessError> {
    let err = |e: &dyn std::fmt::Display| HarnessError(e.to_string());
    let coupon = CouponInput {
        name: format!("{code} coupon"),
        percent_off_basis_points: Some(basis_points),
        amount_off_cents: None,
        duration: if months.is_some() { DurationKind::Repeating } else { DurationKind::Forever },
        duration_in_months: months,
        max_redemptions: None,
        redeem_by: None,
    };
    let coupon = h.tenantry.create_coupon(who, coupon).await.map_err(|e| err(&e))?;
    let input = code_input(PromotionCodeInput {
        code: code.to_owned(),
        first_time_only: false,
        expires_at: None,
        max_redemptions: None,
    });
    h.tenantry.create_promotion_code(who, coupon.id, input).await.map_err(|e| err(&e))?;
    Ok(())
}

/// What the specified journey with a promotion code showed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PromotedJourney {
    /// Trial reminders the owner had at the trial's end (one, on day 11).
    pub reminders: usize,
    /// The status once the trial ended with nothing done.
    pub after_trial: tenantry_domain::SubscriptionStatus,
    /// The preview of the code during month 1: the next invoice's total and discount.
    pub previewed: Option<(i64, i64)>,
    /// The discount's code and end on the subscription once applied.
    pub applied: Option<(String, Option<DateTime<Utc>>)>,
    /// Totals of the pre-invoice warnings the owner received, in order.
    pub warned: Vec<i64>,
    /// Totals of the paid invoices, oldest first.
    pub paid: Vec<i64>,
    /// The tenant's MRR on the superuser's list in each month (1 to 5),
    /// read a day after that month's invoice.
    pub mrr: Vec<i64>,
    /// The times the code was redeemed, as the superuser sees it.
    pub times_redeemed: u32,
}

/// The specified journey (a harness with the `required` trial policy):
/// signup, the setup Checkout 12 hours later, the 14-day trial (its reminder
/// on day 11), €49.95
/// charged at its end for 3 seats; 5 days into month 1 the owner applies
/// `SPRING20` (20 % for 3 months): the invoices of months 2, 3 and 4, their
/// warnings and the MRR are discounted (39.96), month 5 is full price again.
pub async fn promoted_journey(h: &Harness, slug: &str) -> Result<PromotedJourney, HarnessError> {
    use tenantry_domain::Interval;
    use tenantry_ports::services::auth::SignupPlan;
    let err = |e: &dyn std::fmt::Display| HarnessError(e.to_string());
    let who = platform(h).await?;
    percent_code(h, &who, "SPRING20", 2_000, Some(3), |c| c).await?;
    let (tenant, done) = h.sign_up(slug, SignupPlan::Standard, Interval::Month).await?;
    h.advance(chrono::Duration::hours(12)).await;
    let checkout = done.checkout.clone().ok_or_else(|| HarnessError("no Checkout at signup".into()))?;
    h.simulator.complete_checkout(&checkout.id, crate::simulator::TestCard::Succeeds).map_err(|e| err(&e))?;
    h.tick().await;
    h.advance_days(14).await; // the trial's end: month 1 is invoiced
    let reminders = h.mailer.count(&tenant.owner_email, "trial_reminder");
    let owner = h.owner_scope(&tenant).await?;
    let after_trial = h.tenantry.subscription_view(&owner).await.map_err(|e| err(&e))?.status;
    let mut mrr = Vec::new();
    h.advance_days(5).await;
    let owner = h.owner_scope(&tenant).await?;
    let preview = h.tenantry.preview_promotion_code(&owner, "spring20").await.map_err(|e| err(&e))?;
    let view = h.tenantry.apply_promotion_code(&owner, " Spring20 ").await.map_err(|e| err(&e))?;
    let applied = view.discount.as_ref().map(|d| (d.code.clone(), d.ends_at));
    mrr.push(tenant_mrr(h, &who, &tenant).await?);
    for _ in 2..=5 {
        // The next renewal (a month of 28 to 31 days), and a day more.
        let renewal = subscription_end(h, &tenant).await?;
        let wait = (renewal - h.clock_now()).num_days() + 1;
        h.advance_days(wait).await;
        mrr.push(tenant_mrr(h, &who, &tenant).await?);
    }
    let owner = h.owner_scope(&tenant).await?;
    let mut invoices = h.tenantry.invoices(&owner).await.map_err(|e| err(&e))?;
    invoices.sort_by_key(|i| i.created_at);
    let promotions = h.tenantry.promotions(&who).await.map_err(|e| err(&e))?;
    Ok(PromotedJourney {
        reminders,
        after_trial,
        previewed: preview.next_invoice.map(|n| (n.total.cents(), n.discount.cents())),
        applied,
        warned: warned(h, &tenant),
        paid: invoices.iter().filter(|i| i.status == InvoiceStatus::Paid).map(|i| i.total.cents()).collect(),
        mrr,
        times_redeemed: promotions.promotion_codes.iter().map(|c| c.times_redeemed).sum(),
    })
}

/// The expected record of [`promoted_journey`].
pub fn promoted_journey_expected() -> PromotedJourney {
    use chrono::TimeZone;
    PromotedJourney {
        reminders: 1,
        after_trial: tenantry_domain::SubscriptionStatus::Active,
        previewed: Some((3996, 999)),
        // Applied on 2026-11-20 12:00 (5 days after the trial's end): 3 months from then.
        applied: Some(("SPRING20".into(), Utc.with_ymd_and_hms(2027, 2, 20, 12, 0, 0).single())),
        warned: vec![4995, 3996, 3996, 3996, 4995],
        paid: vec![4995, 3996, 3996, 3996, 4995],
        mrr: vec![3996, 3996, 3996, 3996, 4995],
        times_redeemed: 1,
    }
}

/// The totals of the pre-invoice warnings the owner of `t` received.
fn warned(h: &Harness, t: &TestTenant) -> Vec<i64> {
    h.mailer
        .sent_to(&t.owner_email)
        .iter()
        .filter_map(|m| match &m.message {
            Message::UpcomingInvoice { total, .. } => Some(total.cents()),
            _ => None,
        })
        .collect()
}

/// The end of `t`'s current period.
async fn subscription_end(h: &Harness, t: &TestTenant) -> Result<DateTime<Utc>, HarnessError> {
    let owner = h.owner_scope(t).await?;
    let view = h.tenantry.subscription_view(&owner).await.map_err(|e| HarnessError(e.to_string()))?;
    view.current_period_end.ok_or_else(|| HarnessError(format!("no period: {view:?}")))
}

/// `t`'s MRR in cents as the superuser's tenant list counts it.
async fn tenant_mrr(h: &Harness, who: &PlatformScope, t: &TestTenant) -> Result<i64, HarnessError> {
    let list = h
        .tenantry
        .admin_list_tenants(who, tenantry_ports::directory::TenantListQuery { limit: 100, ..Default::default() })
        .await
        .map_err(|e| HarnessError(e.to_string()))?;
    list.iter()
        .find(|s| s.id == t.id)
        .and_then(tenantry_ports::directory::TenantSummary::mrr_cents)
        .ok_or_else(|| HarnessError("the tenant has no MRR".into()))
}

/// Two tenants redeeming the last redemption at once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LastRedemption {
    /// What each answered: `applied` or the refusal's code.
    pub answers: Vec<&'static str>,
    /// The code's redemptions counted.
    pub times_redeemed: u32,
    /// How many of the two subscriptions carry the discount.
    pub discounted: usize,
}

/// `LAST1` may be redeemed once; two paying tenants apply it at the same
/// time: exactly one gets it, the other is told it is used up.
pub async fn last_redemption_race(h: &Harness) -> Result<LastRedemption, HarnessError> {
    let who = platform(h).await?;
    percent_code(h, &who, "LAST1", 1_000, None, |c| PromotionCodeInput { max_redemptions: Some(1), ..c }).await?;
    let a = h.paid_tenant("race-a", 3).await?;
    let b = h.paid_tenant("race-b", 3).await?;
    let (sa, sb) = (h.owner_scope(&a).await?, h.owner_scope(&b).await?);
    let (ra, rb) =
        tokio::join!(h.tenantry.apply_promotion_code(&sa, "LAST1"), h.tenantry.apply_promotion_code(&sb, "LAST1"));
    let answer = |r: &Result<_, tenantry_ports::services::promotions::PromotionError>| match r {
        Ok(_) => "applied",
        Err(e) => e.code(),
    };
    let mut answers = vec![answer(&ra), answer(&rb)];
    answers.sort_unstable();
    let promotions = h.tenantry.promotions(&who).await.map_err(|e| HarnessError(e.to_string()))?;
    let mut discounted = 0;
    for s in [&sa, &sb] {
        let view = h.tenantry.subscription_view(s).await.map_err(|e| HarnessError(e.to_string()))?;
        discounted += usize::from(view.discount.is_some());
    }
    Ok(LastRedemption {
        answers,
        times_redeemed: promotions.promotion_codes.iter().map(|c| c.times_redeemed).sum(),
        discounted,
    })
}

/// The owner's scope of a new paying tenant `slug` (monthly, 3 seats).
pub async fn paying_owner(h: &Harness, slug: &str) -> Result<(TestTenant, TenantScope), HarnessError> {
    let t = h.paid_tenant(slug, 3).await?;
    let owner = h.owner_scope(&t).await?;
    Ok((t, owner))
}

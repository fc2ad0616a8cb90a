//! The contract of [`PaymentProvider`], for the simulator and the Stripe adapter.

use super::{Broken, Context};
use crate::ensure;
use crate::simulator::TestCard;
use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use std::sync::Arc;
use tenantry_domain::subscription::ProviderStatus;
use tenantry_domain::{Email, Interval, Money, TenantId};
use tenantry_ports::Clock;
use tenantry_ports::payment::{
    ChangeRequest, CustomerDetails, IdempotencyKey, InvoiceStatus, PaymentError, PaymentProvider, ProviderChange,
};

/// What a contract run needs beyond the port: test cards, and the time.
#[async_trait]
pub trait ProviderHarness: Send + Sync {
    /// The provider under test.
    fn provider(&self) -> Arc<dyn PaymentProvider>;
    /// Gives a customer a test card.
    async fn attach_card(&self, customer: &str, card: TestCard) -> Result<(), Broken>;
    /// The provider's idea of now.
    fn now(&self) -> DateTime<Utc>;
}

/// The simulator on a fixed clock.
pub struct SimulatorHarness {
    /// The simulator.
    pub simulator: crate::simulator::BillingSimulator,
    /// Its clock.
    pub clock: crate::fakes::FakeClock,
}

#[async_trait]
impl ProviderHarness for SimulatorHarness {
    fn provider(&self) -> Arc<dyn PaymentProvider> {
        Arc::new(self.simulator.clone())
    }
    async fn attach_card(&self, customer: &str, card: TestCard) -> Result<(), Broken> {
        self.simulator.attach_card(customer, card).ctx("attach card")
    }
    fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }
}

fn key(text: &str) -> IdempotencyKey {
    IdempotencyKey(text.to_owned())
}

/// Runs every clause. `tenant` names the customer's tenant in metadata.
pub async fn run(h: &dyn ProviderHarness, tenant: TenantId) -> Result<(), Broken> {
    let p = h.provider();
    let details = CustomerDetails {
        tenant_id: tenant,
        name: "Acme GmbH".into(),
        email: Email::parse("billing@acme.example.com").ctx("email")?,
        country: None,
        vat_id: None,
    };
    let customer = p.create_customer(&details, &key("c1")).await.ctx("create customer")?;
    ensure!(
        p.create_customer(&details, &key("c1")).await.ctx("again")? == customer,
        "the same idempotency key returns the same customer"
    );
    ensure!(
        p.create_customer(&details, &key("c2")).await.ctx("another")? != customer,
        "another key creates another customer"
    );

    let trial = trial_then_conversion(h, &customer).await?;
    seat_changes(h, &customer, &trial).await?;
    endings(h, &customer, &trial).await?;
    let other = p.create_customer(&details, &key("c3")).await.ctx("a second customer")?;
    discounts(h, &other).await
}

/// Coupons and promotion codes: made once per key; a first-time code is
/// refused to a customer who has paid (nothing changes); another code's
/// preview and its application take 20 % off the next invoice (4995 → 3996),
/// and the subscription reads with the discount.
async fn discounts(h: &dyn ProviderHarness, customer: &str) -> Result<(), Broken> {
    use tenantry_domain::EntityId;
    use tenantry_domain::discount::{
        AppliedDiscount, Coupon, CouponRecord, DiscountDuration, Off, PromotionCode, PromotionCodeRecord,
    };
    let p = h.provider();
    let now = h.now();
    h.attach_card(customer, TestCard::Succeeds).await?;
    let sub = p.start_subscription(customer, Interval::Month, 0, &key("s-d1")).await.ctx("subscribe")?.subscription;
    let id = |n: u8| tenantry_domain::ids::uuid_v7_from_parts(u64::from(n), [n; 10]);
    let coupon = CouponRecord {
        id: tenantry_domain::CouponId::from_uuid(id(7)).ctx("coupon id")?,
        name: "Spring".into(),
        coupon: Coupon::new(
            Off::Percent { basis_points: 2_000 },
            DiscountDuration::Repeating { months: 3 },
            Some(10),
            None,
        )
        .ctx("coupon")?,
        provider_id: None,
        created_at: now,
    };
    let made = p.create_coupon(&coupon, &key("co1")).await.ctx("create coupon")?;
    ensure!(p.create_coupon(&coupon, &key("co1")).await.ctx("again")? == made, "a coupon is made once per key");
    let code = |n: u8, text: &str, first_time: bool| -> Result<PromotionCodeRecord, Broken> {
        Ok(PromotionCodeRecord {
            id: tenantry_domain::PromotionCodeId::from_uuid(id(n)).ctx("code id")?,
            coupon_id: coupon.id,
            promotion: PromotionCode::new(text, first_time, None, None).ctx("code")?,
            provider_id: None,
            created_at: now,
        })
    };
    let newbie = p.create_promotion_code(&code(8, "NEWBIE", true)?, &made, &key("pc1")).await.ctx("first-time code")?;
    let spring = p.create_promotion_code(&code(9, "SPRING20", false)?, &made, &key("pc2")).await.ctx("code")?;
    let end = sub.snapshot.period.end();
    let refused = p
        .apply_discount(&sub.id, &newbie, &AppliedDiscount::new("NEWBIE", &coupon.coupon, now, end), &key("ad0"))
        .await;
    ensure!(matches!(refused, Err(PaymentError::Rejected(_))), "a first-time code is refused to a payer: {refused:?}");
    ensure!(
        p.subscription(&sub.id).await.ctx("read")?.and_then(|s| s.snapshot.discount).is_none(),
        "a refused code leaves the subscription as it was"
    );
    let discount = AppliedDiscount::new("SPRING20", &coupon.coupon, now, end);
    let preview = p.preview_discount(&sub.id, &spring, &discount).await.ctx("preview")?.ctx("an upcoming invoice")?;
    ensure!(
        (preview.subtotal.cents(), preview.discount.cents(), preview.total.cents(), preview.at)
            == (4995, 999, 3996, end),
        "the preview takes 20 % off the next invoice: {preview:?}"
    );
    ensure!(
        p.subscription(&sub.id).await.ctx("read")?.and_then(|s| s.snapshot.discount).is_none(),
        "a preview changes nothing"
    );
    let applied = p.apply_discount(&sub.id, &spring, &discount, &key("ad1")).await.ctx("apply")?;
    ensure!(
        applied.snapshot.discount.as_ref().map(|d| (&d.code, d.off, d.ends_at))
            == Some((&discount.code, discount.off, discount.ends_at)),
        "the subscription reads with the discount: {:?}",
        applied.snapshot.discount
    );
    let upcoming = p.upcoming_invoice(&sub.id).await.ctx("upcoming")?.ctx("an upcoming invoice")?;
    ensure!(upcoming.total.cents() == 3996, "the next invoice is discounted: {upcoming:?}");
    p.set_promotion_code_active(&spring, false, &key("off1")).await.ctx("switch off")?;
    Ok(())
}

/// A trial starts without a charge; ending it is refused without a card and
/// charges the first period with one. Answers the subscription's id.
async fn trial_then_conversion(h: &dyn ProviderHarness, customer: &str) -> Result<String, Broken> {
    let p = h.provider();
    let customer = customer.to_owned();
    // A trial: trialing, no charge.
    let now = h.now();
    let trial = p.start_trial(&customer, now + Duration::days(14), Interval::Month, &key("t1")).await.ctx("trial")?;
    ensure!(
        trial.snapshot.status == ProviderStatus::Trialing && trial.snapshot.extra_seats == 0,
        "a trial starts trialing with no extra seat"
    );
    ensure!(
        p.start_trial(&customer, now + Duration::days(14), Interval::Month, &key("t1")).await.ctx("again")?.id
            == trial.id,
        "a trial start is idempotent"
    );
    ensure!(p.invoices(&customer).await.ctx("invoices")?.is_empty(), "a trial charges nothing");

    // Subscribing now without a card is refused and creates nothing.
    let refused = p
        .change(
            &ChangeRequest {
                subscription: trial.id.clone(),
                change: ProviderChange::EndTrialNow { interval: Interval::Month, extra_seats: 1 },
                proration_date: now,
            },
            &key("e0"),
        )
        .await;
    ensure!(refused.is_err(), "ending a trial without a payment method is refused");
    ensure!(
        p.subscription(&trial.id).await.ctx("get")?.map(|s| s.snapshot.status) == Some(ProviderStatus::Trialing),
        "a refused change leaves the subscription as it was"
    );

    // With a card: the first period (1 extra seat) is charged: 4995 + 495.
    h.attach_card(&customer, TestCard::Succeeds).await?;
    let converted = p
        .change(
            &ChangeRequest {
                subscription: trial.id.clone(),
                change: ProviderChange::EndTrialNow { interval: Interval::Month, extra_seats: 1 },
                proration_date: now,
            },
            &key("e1"),
        )
        .await
        .ctx("convert")?;
    ensure!(
        converted.subscription.snapshot.status == ProviderStatus::Active,
        "the subscription is active after conversion"
    );
    ensure!(
        converted.invoice.as_ref().map(|i| i.total) == Some(Money::eur(5490)),
        "the first period costs 5490: {:?}",
        converted.invoice.as_ref().map(|i| i.total)
    );
    Ok(trial.id)
}

/// A seat increase charges what its preview showed, once per key; dates
/// outside the period, a reused key and a declined card change nothing; a
/// reduction waits for the period end.
async fn seat_changes(h: &dyn ProviderHarness, customer: &str, subscription: &str) -> Result<(), Broken> {
    let p = h.provider();
    let now = h.now();
    // Preview = charge for a seat increase at a proration date.
    let future = ChangeRequest {
        subscription: subscription.to_owned(),
        change: ProviderChange::IncreaseSeats { from_extra: 1, to_extra: 2 },
        proration_date: h.now() + Duration::hours(1),
    };
    ensure!(p.preview_change(&future).await.is_err(), "a proration date in the future is refused by the preview");
    ensure!(p.change(&future, &key("s0")).await.is_err(), "a proration date in the future is refused by the change");
    let request = ChangeRequest { proration_date: h.now(), ..future };
    let preview = p.preview_change(&request).await.ctx("preview")?;
    let sum: i64 = preview.lines.iter().map(|l| l.amount.cents()).sum();
    ensure!(sum == preview.total.cents() && preview.total.cents() >= 0, "preview lines sum to a non-negative total");
    let charged = p
        .change(&ChangeRequest { proration_date: preview.proration_date, ..request.clone() }, &key("s1"))
        .await
        .ctx("add a seat")?;
    ensure!(
        charged.invoice.as_ref().map(|i| i.total) == Some(preview.total),
        "the change charges what the preview showed"
    );
    ensure!(charged.subscription.snapshot.extra_seats == 2, "the quantity changed");
    let replay = p
        .change(&ChangeRequest { proration_date: preview.proration_date, ..request.clone() }, &key("s1"))
        .await
        .ctx("replay")?;
    ensure!(
        replay.subscription.snapshot.extra_seats == 2
            && replay.invoice.as_ref().map(|i| &i.id) == charged.invoice.as_ref().map(|i| &i.id),
        "a retried change with the same key has its effect once"
    );
    let reused = p
        .change(
            &ChangeRequest {
                subscription: subscription.to_owned(),
                change: ProviderChange::IncreaseSeats { from_extra: 2, to_extra: 3 },
                proration_date: preview.proration_date,
            },
            &key("s1"),
        )
        .await;
    ensure!(reused.is_err(), "a key reused for another request is refused");
    ensure!(
        p.subscription(subscription).await.ctx("get")?.map(|s| s.snapshot.extra_seats) == Some(2),
        "a refused key reuse changes nothing"
    );

    // A proration date outside the period is refused.
    let stale = ChangeRequest {
        subscription: subscription.to_owned(),
        change: ProviderChange::IncreaseSeats { from_extra: 2, to_extra: 3 },
        proration_date: now - Duration::days(40),
    };
    ensure!(p.preview_change(&stale).await.is_err(), "a proration date outside the current period is refused");

    // A declined card leaves the quantity unchanged.
    h.attach_card(customer, TestCard::Declines).await?;
    let declined = p
        .change(
            &ChangeRequest {
                subscription: subscription.to_owned(),
                change: ProviderChange::IncreaseSeats { from_extra: 2, to_extra: 3 },
                proration_date: h.now(),
            },
            &key("s2"),
        )
        .await;
    ensure!(matches!(declined, Err(PaymentError::CardDeclined(_))), "a declined card is CardDeclined");
    ensure!(
        p.subscription(subscription).await.ctx("get")?.map(|s| s.snapshot.extra_seats) == Some(2),
        "a declined payment leaves the quantity unchanged"
    );

    // A scheduled reduction changes the next period only.
    let scheduled = p
        .change(
            &ChangeRequest {
                subscription: subscription.to_owned(),
                change: ProviderChange::ScheduleSeats { extra_seats_next_period: 0 },
                proration_date: h.now(),
            },
            &key("s3"),
        )
        .await
        .ctx("schedule")?;
    ensure!(
        scheduled.subscription.snapshot.extra_seats == 2
            && scheduled.subscription.snapshot.extra_seats_next_period == 0,
        "a reduction keeps the quantity until the period end"
    );
    ensure!(scheduled.invoice.is_none(), "a reduction charges nothing now");
    Ok(())
}

/// Cancelling, unknown ids, sessions and the invoice list.
async fn endings(h: &dyn ProviderHarness, customer: &str, subscription: &str) -> Result<(), Broken> {
    let p = h.provider();
    // Cancel now; unknown ids.
    p.cancel_now(subscription, &key("x1")).await.ctx("cancel")?;
    ensure!(
        p.subscription(subscription).await.ctx("get")?.map(|s| s.snapshot.status) == Some(ProviderStatus::Canceled),
        "a cancelled subscription reads as canceled"
    );
    ensure!(p.subscription("sub_unknown").await.ctx("unknown")?.is_none(), "an unknown subscription is None");
    ensure!(
        matches!(
            p.checkout_session("cus_unknown", &tenantry_ports::payment::ReturnPath::from_static("/")).await,
            Err(PaymentError::NotFound)
        ),
        "a session for an unknown customer is NotFound"
    );
    let session = p
        .checkout_session(customer, &tenantry_ports::payment::ReturnPath::from_static("/back"))
        .await
        .ctx("checkout")?;
    ensure!(!session.url.is_empty() && !session.id.is_empty(), "a checkout session has an id and a URL");
    // Newest first; the two charges made (the conversion's and the added seat's)
    // are paid. A provider may also list the declined attempt's invoice (Stripe
    // keeps it open until the pending update expires), never as paid.
    let invoices = p.invoices(customer).await.ctx("invoices")?;
    let listed = || invoices.iter().map(|i| (&i.id, i.created_at, i.total, i.status)).collect::<Vec<_>>();
    ensure!(
        invoices.windows(2).all(|w| w[0].created_at >= w[1].created_at),
        "invoices come newest first: {:?}",
        listed()
    );
    let paid: Vec<i64> = invoices.iter().filter(|i| i.status == InvoiceStatus::Paid).map(|i| i.total.cents()).collect();
    ensure!(paid == vec![495, 5490], "the seat's and the conversion's invoices are paid, nothing else: {:?}", listed());
    Ok(())
}

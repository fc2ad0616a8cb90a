//! Changes at the period end (fewer seats, yearly → monthly) as a subscription
//! schedule of two phases: the current period as it is, then one period of the
//! next interval and quantity, after which the schedule releases the
//! subscription (docs/decisions/0012). Stripe applies the phase exactly at the
//! renewal, so the renewal invoice already bills the new quantity and interval.

use crate::IdempotencyKey;
use crate::catalog::{PriceIds, PriceKind};
use crate::errors::payment_error;
use crate::key_strategy;
use stripe::{Client, StripeRequest};
use stripe_billing::subscription_schedule::{
    CreateSubscriptionSchedule, ReleaseSubscriptionSchedule, RetrieveSubscriptionSchedule, UpdateSubscriptionSchedule,
    UpdateSubscriptionSchedulePhases, UpdateSubscriptionSchedulePhasesDuration,
    UpdateSubscriptionSchedulePhasesDurationInterval, UpdateSubscriptionSchedulePhasesEndDate,
    UpdateSubscriptionSchedulePhasesItems, UpdateSubscriptionSchedulePhasesProrationBehavior,
    UpdateSubscriptionSchedulePhasesStartDate, UpdateSubscriptionScheduleProrationBehavior,
};
use stripe_shared::{SubscriptionSchedule, SubscriptionScheduleEndBehavior};
use tenantry_domain::{Interval, Period};
use tenantry_ports::payment::PaymentError;

pub(crate) async fn retrieve(client: &Client, id: &str) -> Result<SubscriptionSchedule, PaymentError> {
    RetrieveSubscriptionSchedule::new(id).send(client).await.map_err(payment_error)
}

/// A schedule that takes over the subscription as it is; returns its id.
pub(crate) async fn create_from(
    client: &Client,
    subscription: &str,
    key: &IdempotencyKey,
) -> Result<String, PaymentError> {
    let schedule = CreateSubscriptionSchedule::new()
        .from_subscription(subscription)
        .customize()
        .request_strategy(key_strategy(key)?)
        .send(client)
        .await
        .map_err(payment_error)?;
    Ok(schedule.id.to_string())
}

/// Releases the subscription from its schedule (it goes on as it is now).
pub(crate) async fn release(client: &Client, id: &str, key: &IdempotencyKey) -> Result<(), PaymentError> {
    ReleaseSubscriptionSchedule::new(id)
        .customize()
        .request_strategy(key_strategy(key)?)
        .send(client)
        .await
        .map_err(payment_error)?;
    Ok(())
}

fn phase_items(prices: &PriceIds, (interval, extra): (Interval, u32)) -> Vec<UpdateSubscriptionSchedulePhasesItems> {
    let mut base = UpdateSubscriptionSchedulePhasesItems::new();
    base.price = Some(prices.id(PriceKind::Base(interval)).to_owned());
    base.quantity = Some(1);
    let mut seat = UpdateSubscriptionSchedulePhasesItems::new();
    seat.price = Some(prices.id(PriceKind::Seat(interval)).to_owned());
    seat.quantity = Some(u64::from(extra));
    vec![base, seat]
}

/// The two phases: `current` until the period end, then one period of `next`.
pub(crate) fn two_phases(
    prices: &PriceIds,
    period: Period,
    current: (Interval, u32),
    next: (Interval, u32),
) -> Result<Vec<UpdateSubscriptionSchedulePhases>, PaymentError> {
    let mut now = UpdateSubscriptionSchedulePhases::new(phase_items(prices, current));
    now.start_date = Some(UpdateSubscriptionSchedulePhasesStartDate::Timestamp(period.start().timestamp()));
    now.end_date = Some(UpdateSubscriptionSchedulePhasesEndDate::Timestamp(period.end().timestamp()));
    now.proration_behavior = Some(UpdateSubscriptionSchedulePhasesProrationBehavior::None);
    let mut then = UpdateSubscriptionSchedulePhases::new(phase_items(prices, next));
    let mut duration = UpdateSubscriptionSchedulePhasesDuration::new(match next.0 {
        Interval::Month => UpdateSubscriptionSchedulePhasesDurationInterval::Month,
        Interval::Year => UpdateSubscriptionSchedulePhasesDurationInterval::Year,
    });
    duration.interval_count = Some(1);
    then.duration = Some(duration);
    then.proration_behavior = Some(UpdateSubscriptionSchedulePhasesProrationBehavior::None);
    Ok(vec![now, then])
}

/// Replaces the schedule's phases; the schedule releases after the last one.
pub(crate) async fn update(
    client: &Client,
    id: &str,
    phases: Vec<UpdateSubscriptionSchedulePhases>,
    key: &IdempotencyKey,
) -> Result<(), PaymentError> {
    UpdateSubscriptionSchedule::new(id)
        .phases(phases)
        .end_behavior(SubscriptionScheduleEndBehavior::Release)
        .proration_behavior(UpdateSubscriptionScheduleProrationBehavior::None)
        .customize()
        .request_strategy(key_strategy(key)?)
        .send(client)
        .await
        .map_err(payment_error)?;
    Ok(())
}

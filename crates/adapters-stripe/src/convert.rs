//! Stripe's objects in tenantry's terms: subscriptions become
//! [`ProviderSubscription`] snapshots, invoices become [`Invoice`]s, preview
//! invoices become [`ChargePreview`]s. Pure functions of the Stripe objects and
//! the catalog's price ids, so they are tested on the JSON fixtures directly.

use crate::catalog::{PriceIds, PriceKind};
use crate::errors::unexpected;
use chrono::{DateTime, Utc};
use stripe_shared::{InvoiceLineItem, Subscription, SubscriptionSchedule, SubscriptionStatus};
use tenantry_domain::money::Currency;
use tenantry_domain::plan::PlanCatalog;
use tenantry_domain::proration::{ChargeLine, ChargePreview, LineItem, LineKind};
use tenantry_domain::subscription::{ProviderSnapshot, ProviderStatus};
use tenantry_domain::{Interval, Money, Period};
use tenantry_ports::payment::{Invoice, InvoiceLine, InvoiceStatus, PaymentError, ProviderSubscription};

/// Subscription metadata that remembers the next period's interval and extra
/// seats while a cancellation at period end replaced the schedule holding them
/// (Stripe refuses `cancel_at_period_end` on a subscription a schedule manages).
pub(crate) const NEXT_INTERVAL: &str = "tenantry_next_interval";
/// See [`NEXT_INTERVAL`].
pub(crate) const NEXT_EXTRA_SEATS: &str = "tenantry_next_extra_seats";

/// A Unix timestamp as a UTC instant.
pub(crate) fn instant(ts: i64) -> Result<DateTime<Utc>, PaymentError> {
    DateTime::from_timestamp(ts, 0).ok_or_else(|| unexpected(format!("timestamp {ts} out of range")))
}

/// The Stripe currency code in tenantry's terms.
pub(crate) fn currency(code: &stripe_types::Currency) -> Result<Currency, PaymentError> {
    Currency::parse(&code.to_string().to_ascii_uppercase()).map_err(|e| unexpected(e.to_string()))
}

/// The interval and extra-seat quantity a set of (price id, quantity) items
/// describes; the base item decides the interval.
pub(crate) fn interval_and_extra<'a>(
    prices: &PriceIds,
    items: impl IntoIterator<Item = (&'a str, Option<u64>)>,
) -> Result<(Interval, u32), PaymentError> {
    let mut interval = None;
    let mut extra = 0_u32;
    for (price, quantity) in items {
        match prices.kind_of(price) {
            Some(PriceKind::Base(i)) => interval = Some(i),
            Some(PriceKind::Seat(_)) => {
                extra = u32::try_from(quantity.unwrap_or(0)).map_err(|_| unexpected("seat quantity out of range"))?
            }
            None => return Err(unexpected(format!("price {price} is not one of tenantry's"))),
        }
    }
    Ok((interval.ok_or_else(|| unexpected("the subscription has no base price"))?, extra))
}

/// The subscription's items: (item id, price id, quantity).
pub(crate) fn items(sub: &Subscription) -> Vec<(String, String, Option<u64>)> {
    sub.items.data.iter().map(|i| (i.id.to_string(), i.price.id.to_string(), i.quantity)).collect()
}

/// The item id of the base and of the extra-seat price.
pub(crate) fn item_ids(sub: &Subscription, prices: &PriceIds) -> Result<(String, Option<String>), PaymentError> {
    let mut base = None;
    let mut seat = None;
    for (id, price, _) in items(sub) {
        match prices.kind_of(&price) {
            Some(PriceKind::Base(_)) => base = Some(id),
            Some(PriceKind::Seat(_)) => seat = Some(id),
            None => {}
        }
    }
    Ok((base.ok_or_else(|| unexpected("the subscription has no base price"))?, seat))
}

/// The current period: the trial while trialing, else the items' period.
pub(crate) fn current_period(sub: &Subscription) -> Result<Period, PaymentError> {
    let (start, end) = match (&sub.status, sub.trial_start, sub.trial_end) {
        (SubscriptionStatus::Trialing, Some(s), Some(e)) => (s, e),
        _ => {
            let item = sub.items.data.first().ok_or_else(|| unexpected("a subscription without items"))?;
            (item.current_period_start, item.current_period_end)
        }
    };
    Period::new(instant(start)?, instant(end)?).map_err(|e| unexpected(e.to_string()))
}

/// The snapshot of a Stripe subscription (with its schedule, when it has one)
/// observed at `observed_at`.
/// The subscription metadata key where tenantry records until when its comp
/// (a 100 % coupon) runs: Stripe's discount says it too, but only when expanded.
pub(crate) const FREE_UNTIL: &str = "tenantry_free_until";

/// The subscription metadata key where tenantry records the promotion code's
/// discount it applied (JSON of `AppliedDiscount`): Stripe's discount names
/// only its coupon unless expanded, and tenantry shows what it takes off.
pub(crate) const DISCOUNT: &str = "tenantry_discount";

/// The promotion code's discount on `sub` while it runs at `at`: recorded
/// in its metadata, and still on the subscription (Stripe removes a one-time
/// discount once used, and a repeating one at its end).
fn discount(sub: &Subscription, at: DateTime<Utc>) -> Option<tenantry_domain::discount::AppliedDiscount> {
    let recorded = sub.metadata.get(DISCOUNT).filter(|v| !v.is_empty())?;
    let d: tenantry_domain::discount::AppliedDiscount = serde_json::from_str(recorded).ok()?;
    (!sub.discounts.is_empty() && d.applies_at(at)).then_some(d)
}

/// Until when tenantry's comp of `sub` runs (its metadata).
fn free_until(sub: &Subscription) -> Option<DateTime<Utc>> {
    let ts = sub.metadata.get(FREE_UNTIL)?.parse::<i64>().ok()?;
    DateTime::from_timestamp(ts, 0)
}

pub(crate) fn provider_subscription(
    sub: &Subscription,
    schedule: Option<&SubscriptionSchedule>,
    prices: &PriceIds,
    observed_at: DateTime<Utc>,
) -> Result<ProviderSubscription, PaymentError> {
    let status = match &sub.status {
        SubscriptionStatus::Trialing => ProviderStatus::Trialing,
        SubscriptionStatus::Active => ProviderStatus::Active,
        SubscriptionStatus::PastDue | SubscriptionStatus::Unpaid | SubscriptionStatus::Incomplete => {
            ProviderStatus::PastDue
        }
        SubscriptionStatus::Canceled | SubscriptionStatus::IncompleteExpired | SubscriptionStatus::Paused => {
            ProviderStatus::Canceled
        }
        other => return Err(unexpected(format!("subscription status {}", other.as_str()))),
    };
    let (interval, extra_seats) =
        interval_and_extra(prices, sub.items.data.iter().map(|i| (i.price.id.as_str(), i.quantity)))?;
    let period = current_period(sub)?;
    // The next period: the schedule's next phase; while cancelling, the one
    // remembered when the schedule gave way to the cancellation; else as now.
    let (interval_next_period, extra_seats_next_period) = match schedule.and_then(|s| next_phase(s, period.end())) {
        Some(phase) => interval_and_extra(prices, phase.items.iter().map(|i| (i.price.id().as_str(), i.quantity)))?,
        None => remembered_next(sub).unwrap_or((interval, extra_seats)),
    };
    Ok(ProviderSubscription {
        id: sub.id.to_string(),
        customer: sub.customer.id().to_string(),
        snapshot: ProviderSnapshot {
            status,
            interval,
            extra_seats,
            extra_seats_next_period,
            interval_next_period,
            period,
            cancel_at_period_end: sub.cancel_at_period_end
                || sub.cancel_at.is_some_and(|at| instant(at).is_ok_and(|at| at <= period.end())),
            collection: tenantry_domain::subscription::Collection {
                paused: sub.pause_collection.is_some(),
                free_until: free_until(sub).filter(|until| *until > observed_at),
            },
            discount: discount(sub, observed_at),
            observed_at,
        },
    })
}

/// The schedule's phase that starts at `period_end` (the next period), if any.
pub(crate) fn next_phase(
    schedule: &SubscriptionSchedule,
    period_end: DateTime<Utc>,
) -> Option<&stripe_shared::SubscriptionSchedulePhaseConfiguration> {
    schedule.phases.iter().find(|p| instant(p.start_date).is_ok_and(|start| start == period_end))
}

/// The remembered next period (see [`NEXT_INTERVAL`]), if the metadata holds one.
pub(crate) fn remembered_next(sub: &Subscription) -> Option<(Interval, u32)> {
    let interval = match sub.metadata.get(NEXT_INTERVAL)?.as_str() {
        "month" => Interval::Month,
        "year" => Interval::Year,
        _ => return None,
    };
    let extra = sub.metadata.get(NEXT_EXTRA_SEATS)?.parse().ok()?;
    Some((interval, extra))
}

/// A Stripe invoice in tenantry's terms (amounts in integer cents, tax summed
/// over the invoice's taxes).
pub(crate) fn invoice(inv: &stripe_shared::Invoice) -> Result<Invoice, PaymentError> {
    let cur = currency(&inv.currency)?;
    let money = |cents: i64| Money::from_cents(cents, cur);
    let id = inv.id.as_ref().ok_or_else(|| unexpected("an invoice without an id"))?.to_string();
    let status = match &inv.status {
        Some(stripe_shared::InvoiceStatus::Draft) | None => InvoiceStatus::Draft,
        Some(stripe_shared::InvoiceStatus::Open) => InvoiceStatus::Open,
        Some(stripe_shared::InvoiceStatus::Paid) => InvoiceStatus::Paid,
        Some(stripe_shared::InvoiceStatus::Void) => InvoiceStatus::Void,
        Some(stripe_shared::InvoiceStatus::Uncollectible) => InvoiceStatus::Uncollectible,
        Some(other) => return Err(unexpected(format!("invoice status {}", other.as_str()))),
    };
    let tax: i64 = inv.total_taxes.iter().flatten().map(|t| t.amount).sum();
    let lines = inv
        .lines
        .data
        .iter()
        .map(|line| {
            Ok(InvoiceLine {
                description: line.description.clone().unwrap_or_default(),
                quantity: u32::try_from(line.quantity.unwrap_or(0)).unwrap_or(u32::MAX),
                amount: money(line.amount),
                proration: is_proration(line),
                period: line_period(line).ok(),
            })
        })
        .collect::<Result<Vec<_>, PaymentError>>()?;
    Ok(Invoice {
        id,
        number: inv.number.clone(),
        status,
        subtotal: money(inv.subtotal),
        discount: Some(money(discounts(inv))).filter(|d| d.cents() != 0),
        tax: money(tax),
        total: money(inv.total),
        starting_balance: money(inv.starting_balance),
        amount_paid: money(inv.amount_paid),
        amount_due: money(inv.amount_due),
        carried_over: money(inv.ending_balance.unwrap_or(0)),
        created_at: instant(inv.created)?,
        period: Period::new(instant(inv.period_start)?, instant(inv.period_end)?).ok(),
        lines,
        hosted_url: inv.hosted_invoice_url.clone(),
        pdf_url: inv.invoice_pdf.clone(),
    })
}

/// What an invoice's discounts take off, in all (positive).
fn discounts(inv: &stripe_shared::Invoice) -> i64 {
    inv.total_discount_amounts.iter().flatten().map(|d| d.amount).sum()
}

fn is_proration(line: &InvoiceLineItem) -> bool {
    line.parent.as_ref().and_then(|p| p.subscription_item_details.as_ref()).is_some_and(|d| d.proration)
}

fn line_period(line: &InvoiceLineItem) -> Result<Period, PaymentError> {
    Period::new(instant(line.period.start)?, instant(line.period.end)?).map_err(|e| unexpected(e.to_string()))
}

fn line_price(line: &InvoiceLineItem) -> Option<String> {
    line.pricing.as_ref()?.price_details.as_ref().map(|d| d.price.id().to_string())
}

/// A preview invoice (Stripe's create-preview) as the port's charge preview:
/// credits are the negative proration lines, prorated charges the positive
/// ones, full periods the rest; the total is the subtotal (before tax).
/// Stripe's preview of a subscription's next invoice: its lines as
/// [`preview`] reads them, its discounts and tax, and when it is charged (the
/// lines' period start; the next payment attempt when it has no line).
pub(crate) fn upcoming(
    inv: &stripe_shared::Invoice,
    prices: &PriceIds,
    catalog: &PlanCatalog,
) -> Result<tenantry_ports::payment::UpcomingInvoice, PaymentError> {
    let cur = currency(&inv.currency)?;
    let lines = preview(inv, prices, catalog, DateTime::<Utc>::MIN_UTC)?.lines;
    let at = match lines.iter().map(|l| l.period.start()).min() {
        Some(at) => at,
        None => instant(inv.next_payment_attempt.ok_or_else(|| unexpected("an upcoming invoice without a date"))?)?,
    };
    let discount = discounts(inv);
    let tax = inv.total - inv.total_excluding_tax.unwrap_or(inv.total);
    Ok(tenantry_ports::payment::UpcomingInvoice {
        at,
        lines,
        subtotal: Money::from_cents(inv.subtotal, cur),
        discount: Money::from_cents(discount, cur),
        tax: Money::from_cents(tax, cur),
        total: Money::from_cents(inv.total, cur),
    })
}

pub(crate) fn preview(
    inv: &stripe_shared::Invoice,
    prices: &PriceIds,
    catalog: &PlanCatalog,
    proration_date: DateTime<Utc>,
) -> Result<ChargePreview, PaymentError> {
    let cur = currency(&inv.currency)?;
    let mut lines = Vec::new();
    for line in &inv.lines.data {
        let price = line_price(line).ok_or_else(|| unexpected("a preview line without a price"))?;
        let kind = prices.kind_of(&price).ok_or_else(|| unexpected(format!("price {price} is not tenantry's")))?;
        let item = match kind {
            PriceKind::Base(_) => LineItem::Base,
            PriceKind::Seat(_) => LineItem::ExtraSeats,
        };
        let line_kind = match (is_proration(line), line.amount < 0) {
            (_, true) => LineKind::UnusedTime,
            (true, false) => LineKind::RemainingTime,
            (false, false) => LineKind::FullPeriod,
        };
        lines.push(ChargeLine {
            item,
            kind: line_kind,
            interval: kind.interval(),
            quantity: u32::try_from(line.quantity.unwrap_or(0)).unwrap_or(u32::MAX),
            unit_amount: kind.amount(catalog),
            period: line_period(line)?,
            amount: Money::from_cents(line.amount, cur),
        });
    }
    // Credits first, as the domain lists them.
    lines.sort_by_key(|l| l.kind != LineKind::UnusedTime);
    let discount = discounts(inv);
    Ok(ChargePreview {
        lines,
        total: Money::from_cents(inv.subtotal - discount, cur),
        discount: (discount != 0).then(|| Money::from_cents(discount, cur)),
        proration_date,
        effective_at: proration_date,
    })
}

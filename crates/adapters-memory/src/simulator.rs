//! The local billing simulator: a [`PaymentProvider`] that keeps customers,
//! subscriptions, invoices and payment methods in memory and runs the money
//! timeline of DESIGN.md off the [`Clock`] — trial end (convert with a payment
//! method, end without one or when set to cancel), renewals that apply
//! scheduled seat and interval changes, payment retries over the grace window,
//! and the minimum charge that carries small amounts over to the next invoice.
//!
//! It emits the same provider-neutral [`BillingEvent`]s as the Stripe adapter,
//! collected in an outbox ([`BillingSimulator::take_events`]) that the embedded
//! default's scheduler ([`run_timeline`], which the test harness calls too) feeds into
//! `Tenantry::handle_billing_event`. Prorations use the domain's two-line rule,
//! so a preview for a `proration_date` equals what a change at that date charges.
//!
//! Its "cards" are test cards: [`TestCard::Succeeds`], [`TestCard::Declines`],
//! [`TestCard::RequiresAction`].

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use tenantry_domain::discount::{self, AppliedDiscount, Coupon, CouponRecord, Off, PromotionCode, PromotionCodeRecord};
use tenantry_domain::proration::{self, ChargeLine, ChargePreview, LineItem, LineKind, check_proration_date, settle};
use tenantry_domain::subscription::{ProviderSnapshot, ProviderStatus};
use tenantry_domain::{Interval, Money, Period, PlanCatalog};
use tenantry_ports::payment::{
    BillingEvent, BillingEventKind, ChangeOutcome, ChangeRequest, CustomerDetails, HostedSession, IdempotencyKey,
    Invoice, InvoiceLine, InvoiceStatus, PaymentError, PaymentProvider, ProviderChange, ProviderSubscription,
    ReturnPath, UpcomingInvoice,
};
use tenantry_ports::services::scheduler::Tick;
use tenantry_ports::{Clock, Tenantry};

/// Days after the first failure on which the simulator retries a payment
/// (Stripe's Smart Retries spread about 8 tries over the grace window; these
/// end on the last day of the default 14-day window).
pub const RETRY_DAYS: [i64; 6] = [1, 3, 5, 7, 10, 14];

/// A test card's behaviour.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TestCard {
    /// Every charge succeeds.
    Succeeds,
    /// Every charge is declined.
    Declines,
    /// Every charge needs the customer's confirmation (3-D Secure).
    RequiresAction,
}

#[derive(Clone, Debug)]
struct SimCustomer {
    details: CustomerDetails,
    card: Option<TestCard>,
    /// Carried to the next invoice, in cents (positive: owed; negative: credit).
    balance: i64,
}

#[derive(Clone, Debug)]
struct SimSub {
    id: String,
    customer: String,
    status: ProviderStatus,
    interval: Interval,
    extra: u32,
    extra_next: u32,
    interval_next: Interval,
    period: Period,
    anchor: DateTime<Utc>,
    trial_end: Option<DateTime<Utc>>,
    trial_will_end_sent: bool,
    cancel_at_period_end: bool,
    open_invoice: Option<String>,
    first_failure: Option<DateTime<Utc>>,
    retries_done: usize,
    next_retry: Option<DateTime<Utc>>,
    /// Collection paused: each period's invoice is voided.
    paused: bool,
    /// Free (100 % off) for the periods starting before then.
    comp_until: Option<DateTime<Utc>>,
    /// A promotion code's discount: the invoices made while it runs are discounted.
    discount: Option<AppliedDiscount>,
}

impl SimSub {
    /// The discount of an invoice made at `at`, if any; a one-time discount
    /// is used up by it, and one that has run out goes.
    fn take_discount(&mut self, at: DateTime<Utc>) -> Option<Off> {
        let d = self.discount.clone()?;
        if !d.applies_at(at) {
            if d.ends_at.is_some_and(|end| at >= end) {
                self.discount = None;
            }
            return None;
        }
        if matches!(d.duration, discount::DiscountDuration::Once) {
            self.discount = None;
        }
        Some(d.off)
    }
}

#[derive(Clone, Debug)]
enum Remembered {
    Customer(String),
    Subscription(ProviderSubscription),
    Outcome(Box<ChangeOutcome>),
    Done,
}

#[derive(Clone, Debug)]
struct Session {
    customer: String,
    checkout: bool,
    completed: bool,
    expires_at: DateTime<Utc>,
}

/// How long a hosted Checkout session can be used (Stripe's default: 24 hours).
pub const CHECKOUT_SESSION_TTL: Duration = Duration::hours(24);
/// How long a hosted Portal session can be used (Stripe's portal sessions are short-lived).
pub const PORTAL_SESSION_TTL: Duration = Duration::hours(1);

/// Which hosted page a session opens.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HostedPage {
    /// Checkout in setup mode: add a payment method.
    Checkout,
    /// The Customer Portal: replace the payment method, see the invoices.
    Portal,
}

/// A live hosted session: whose it is. The pages act only for a signed-in
/// user of `tenant_id` with the billing permission.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostedSessionInfo {
    /// The provider customer.
    pub customer: String,
    /// The tenant its metadata names.
    pub tenant_id: tenantry_domain::TenantId,
    /// Checkout or Portal.
    pub page: HostedPage,
}

/// A hosted session's id: 256 random bits (an outsider cannot guess one, and
/// ids never follow each other), or an error when the OS has no randomness.
fn session_id(prefix: &str) -> Result<String, PaymentError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| PaymentError::Unavailable(anyhow::anyhow!("no OS randomness: {e}")))?;
    Ok(format!("{prefix}_sim_{}", hex::encode(bytes)))
}

#[derive(Default, Debug)]
struct SimState {
    /// This simulator's namespace: ids of two simulators never collide (several
    /// simulators may share one database in tests).
    instance: u64,
    seq: u64,
    customers: BTreeMap<String, SimCustomer>,
    subs: BTreeMap<String, SimSub>,
    invoices: BTreeMap<String, (String, Invoice)>,
    /// Each invoice's link key: its page and PDF open for whoever holds the
    /// link, as Stripe's hosted invoice pages do (the ids alone are guessable).
    invoice_keys: BTreeMap<String, String>,
    /// Idempotency keys: the request each was first used for, and its answer.
    remembered: HashMap<String, (String, Remembered)>,
    outbox: Vec<BillingEvent>,
    sessions: BTreeMap<String, Session>,
    /// Operations that fail once with `Unavailable` (fault injection for outages).
    failing: Vec<&'static str>,
    /// Coupons made here, by id.
    coupons: BTreeMap<String, Coupon>,
    /// Promotion codes made here, by id: the code and its coupon's id.
    promotion_codes: BTreeMap<String, (PromotionCode, String)>,
}

/// Why a simulator-only operation (checkout completion) was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SimulatorError {
    /// No such session or customer.
    #[error("unknown session or customer")]
    Unknown,
    /// The checkout was completed before.
    #[error("the checkout session was completed before")]
    AlreadyCompleted,
    /// The session is past its end (checkout 24 hours, portal 1 hour).
    #[error("the session has expired; start again from the billing page")]
    Expired,
}

/// The local billing simulator. Cheap to clone (shared state).
#[derive(Clone)]
pub struct BillingSimulator {
    clock: Arc<dyn Clock>,
    catalog: PlanCatalog,
    state: Arc<Mutex<SimState>>,
}

impl std::fmt::Debug for BillingSimulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BillingSimulator")
    }
}

enum Charge {
    Paid,
    Declined,
    ActionRequired,
}

impl SimState {
    fn id(&mut self, prefix: &str) -> String {
        self.seq += 1;
        format!("{prefix}_sim{}_{:06}", self.instance, self.seq)
    }

    fn snapshot(sub: &SimSub, at: DateTime<Utc>) -> ProviderSnapshot {
        ProviderSnapshot {
            status: sub.status,
            interval: sub.interval,
            extra_seats: sub.extra,
            extra_seats_next_period: sub.extra_next,
            interval_next_period: sub.interval_next,
            period: sub.period,
            cancel_at_period_end: sub.cancel_at_period_end,
            collection: tenantry_domain::subscription::Collection { paused: sub.paused, free_until: sub.comp_until },
            discount: sub.discount.clone().filter(|d| d.applies_at(at)),
            observed_at: at,
        }
    }

    fn provider_sub(sub: &SimSub, at: DateTime<Utc>) -> ProviderSubscription {
        ProviderSubscription { id: sub.id.clone(), customer: sub.customer.clone(), snapshot: Self::snapshot(sub, at) }
    }

    fn emit(&mut self, customer: &str, at: DateTime<Utc>, kind: BillingEventKind) {
        let id = self.id("evt");
        self.outbox.push(BillingEvent { id, occurred_at: at, customer: customer.to_owned(), kind });
    }

    fn emit_sub(&mut self, sub_id: &str, at: DateTime<Utc>) {
        if let Some(sub) = self.subs.get(sub_id).cloned() {
            let ps = Self::provider_sub(&sub, at);
            let kind = if sub.status == ProviderStatus::Canceled {
                BillingEventKind::SubscriptionDeleted(ps)
            } else {
                BillingEventKind::SubscriptionUpdated(ps)
            };
            self.emit(&sub.customer, at, kind);
        }
    }

    /// The promotion code with the simulator's id `code` and its coupon, as
    /// the simulator holds them (copies), when `discount` is theirs; else `Rejected`.
    fn redeemable(
        &self,
        code: &str,
        _customer: &str,
        discount: &AppliedDiscount,
    ) -> Result<(PromotionCode, Coupon), PaymentError> {
        let (promotion, coupon_id) =
            self.promotion_codes.get(code).ok_or_else(|| PaymentError::Rejected("no such promotion code".into()))?;
        let coupon =
            self.coupons.get(coupon_id).ok_or_else(|| PaymentError::Rejected("the code's coupon is gone".into()))?;
        if promotion.code != discount.code || coupon.off != discount.off || coupon.duration != discount.duration {
            return Err(PaymentError::Rejected("the discount is not the promotion code's".into()));
        }
        Ok((promotion.clone(), coupon.clone()))
    }

    /// Whether `customer` has paid an invoice before (a first-time code refuses them).
    fn paid_before(&self, customer: &str) -> bool {
        self.invoices
            .values()
            .any(|(c, i)| c == customer && i.status == InvoiceStatus::Paid && i.amount_paid.cents() > 0)
    }

    fn charge(&self, customer: &str, amount: i64) -> Charge {
        if amount <= 0 {
            return Charge::Paid;
        }
        match self.customers.get(customer).and_then(|c| c.card) {
            Some(TestCard::Succeeds) => Charge::Paid,
            Some(TestCard::RequiresAction) => Charge::ActionRequired,
            Some(TestCard::Declines) | None => Charge::Declined,
        }
    }
}

fn describe(line: &ChargeLine) -> String {
    let item = match line.item {
        LineItem::Base => "Standard plan (3 seats included)".to_owned(),
        LineItem::ExtraSeats => format!("{} extra seat(s)", line.quantity),
    };
    match line.kind {
        LineKind::UnusedTime => format!("Unused time on {item} ({})", line.interval),
        LineKind::RemainingTime => format!("Remaining time on {item} ({})", line.interval),
        LineKind::FullPeriod => format!("{item} ({})", line.interval),
    }
}

impl BillingSimulator {
    /// A simulator on `clock` billing by `catalog`.
    pub fn new(clock: Arc<dyn Clock>, catalog: PlanCatalog) -> Self {
        static INSTANCES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        let instance = INSTANCES.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Self { clock, catalog, state: Arc::new(Mutex::new(SimState { instance, ..SimState::default() })) }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, SimState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Builds an invoice for `lines` at `at`, less `off` (a promotion code's
    /// discount): applies the customer's balance, the minimum charge and the
    /// charge itself. On a refused charge the invoice is `Open` (the caller
    /// decides whether to keep it).
    fn invoice(
        &self,
        st: &mut SimState,
        customer: &str,
        lines: &[ChargeLine],
        at: DateTime<Utc>,
        period: Option<Period>,
        off: Option<&Off>,
    ) -> (Invoice, Charge, i64) {
        let currency = self.catalog.currency;
        let subtotal: i64 = lines.iter().map(|l| l.amount.cents()).sum();
        let total = match off.map(|o| discount::discounted(currency, lines, o)) {
            Some(Ok((_, after))) => after.cents(),
            _ => subtotal,
        };
        let balance = st.customers.get(customer).map_or(0, |c| c.balance);
        let settlement = settle(Money::from_cents(total + balance, currency), self.catalog.minimum_charge);
        let charge = st.charge(customer, settlement.charge_now.cents());
        let id = st.id("in");
        let number = format!("SIM-{:06}", st.seq);
        let paid = matches!(charge, Charge::Paid);
        // Without OS randomness the invoice has no links (nothing guessable is made).
        let key = session_id("ik").ok();
        if let Some(key) = &key {
            st.invoice_keys.insert(id.clone(), key.clone());
        }
        let invoice = Invoice {
            hosted_url: key.as_ref().map(|k| format!("/billing/simulator/invoices/{id}?key={k}")),
            pdf_url: key.as_ref().map(|k| format!("/billing/simulator/invoices/{id}/pdf?key={k}")),
            id,
            number: Some(number),
            status: if paid { InvoiceStatus::Paid } else { InvoiceStatus::Open },
            subtotal: Money::from_cents(subtotal, currency),
            discount: (total != subtotal).then(|| Money::from_cents(subtotal - total, currency)),
            tax: Money::zero(currency),
            total: Money::from_cents(total, currency),
            starting_balance: Money::from_cents(balance, currency),
            amount_paid: if paid { settlement.charge_now } else { Money::zero(currency) },
            amount_due: settlement.charge_now,
            carried_over: settlement.carry_over,
            created_at: at,
            period,
            lines: lines
                .iter()
                .map(|l| InvoiceLine {
                    description: describe(l),
                    quantity: l.quantity,
                    amount: l.amount,
                    proration: l.kind != LineKind::FullPeriod,
                    period: Some(l.period),
                })
                .collect(),
        };
        (invoice, charge, settlement.carry_over.cents())
    }

    /// A period's invoice under a comp: its lines, and a line taking them off
    /// in full (Stripe: a 100 % coupon), so the total is zero.
    fn free_invoice(
        &self,
        st: &mut SimState,
        customer: &str,
        lines: &[ChargeLine],
        at: DateTime<Utc>,
        period: Period,
        until: DateTime<Utc>,
    ) -> (Invoice, Charge, i64) {
        let (mut invoice, charge, carry) = self.invoice(st, customer, &[], at, Some(period), None);
        let full: i64 = lines.iter().map(|l| l.amount.cents()).sum();
        invoice.lines = lines
            .iter()
            .map(|l| InvoiceLine {
                description: describe(l),
                quantity: l.quantity,
                amount: l.amount,
                proration: false,
                period: Some(l.period),
            })
            .chain(std::iter::once(InvoiceLine {
                description: format!("100 % off (free until {})", until.format("%Y-%m-%d")),
                quantity: 1,
                amount: Money::from_cents(-full, self.catalog.currency),
                proration: false,
                period: Some(period),
            }))
            .collect();
        (invoice, charge, carry)
    }

    /// Records an invoice and moves the customer's balance.
    fn book(st: &mut SimState, customer: &str, invoice: &Invoice, new_balance: i64) {
        if let Some(c) = st.customers.get_mut(customer) {
            c.balance = new_balance;
        }
        st.invoices.insert(invoice.id.clone(), (customer.to_owned(), invoice.clone()));
    }

    /// Processes every step of the money timeline that is due at the clock's
    /// time, in time order, emitting events.
    pub fn advance(&self) {
        let now = self.clock.now();
        let mut st = self.lock();
        loop {
            let next = st
                .subs
                .values()
                .filter_map(|s| self.next_step(s).map(|(t, step)| (t, s.id.clone(), step)))
                .filter(|(t, _, _)| *t <= now)
                .min_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(&b.1)));
            let Some((at, id, step)) = next else { break };
            self.run_step(&mut st, &id, step, at);
        }
    }

    fn next_step(&self, s: &SimSub) -> Option<(DateTime<Utc>, Step)> {
        match s.status {
            ProviderStatus::Trialing => {
                let end = s.trial_end?;
                let warn = end - Duration::days(i64::from(self.catalog.trial_reminder_days));
                if !s.trial_will_end_sent && warn < end {
                    Some((warn.max(s.period.start()), Step::TrialWillEnd))
                } else {
                    Some((end, Step::TrialEnd))
                }
            }
            ProviderStatus::Active => Some((s.period.end(), Step::Renew)),
            ProviderStatus::PastDue => s.next_retry.map(|t| (t, Step::Retry)),
            ProviderStatus::Canceled => None,
        }
    }

    fn run_step(&self, st: &mut SimState, id: &str, step: Step, at: DateTime<Utc>) {
        let Some(mut sub) = st.subs.get(id).cloned() else { return };
        match step {
            Step::TrialWillEnd => {
                sub.trial_will_end_sent = true;
                let end = sub.trial_end.unwrap_or(at);
                st.subs.insert(sub.id.clone(), sub.clone());
                st.emit(&sub.customer, at, BillingEventKind::TrialWillEnd { trial_end: end });
            }
            Step::TrialEnd => {
                let has_card = st.customers.get(&sub.customer).is_some_and(|c| c.card.is_some());
                sub.trial_end = None;
                if sub.cancel_at_period_end || !has_card {
                    // trial_settings.end_behavior.missing_payment_method = cancel
                    sub.status = ProviderStatus::Canceled;
                    st.subs.insert(sub.id.clone(), sub.clone());
                    st.emit_sub(&sub.id, at);
                    return;
                }
                sub.anchor = at;
                sub.interval = sub.interval_next;
                sub.extra = sub.extra_next;
                self.start_period(st, sub, at);
            }
            Step::Renew => {
                if sub.cancel_at_period_end {
                    sub.status = ProviderStatus::Canceled;
                    st.subs.insert(sub.id.clone(), sub.clone());
                    st.emit_sub(&sub.id, at);
                    return;
                }
                if sub.interval_next != sub.interval {
                    sub.interval = sub.interval_next;
                    sub.anchor = at;
                }
                sub.extra = sub.extra_next;
                self.start_period(st, sub, at);
            }
            Step::Retry => self.retry(st, sub, at),
        }
    }

    /// Opens a new period at `at` and invoices it in full.
    fn start_period(&self, st: &mut SimState, mut sub: SimSub, at: DateTime<Utc>) {
        let period = match sub.interval.period_containing(sub.anchor, at) {
            Ok(p) => p,
            Err(_) => return,
        };
        sub.period = period;
        sub.status = ProviderStatus::Active;
        let seats = self.catalog.included_seats.saturating_add(sub.extra);
        let Ok(lines) = proration::full_period_lines(&self.catalog, sub.interval, seats, period.start()) else {
            return;
        };
        if sub.paused {
            // Stripe's pause_collection {behavior: void}: the period's invoice is
            // made and voided at once; nothing is charged, the period runs on.
            let (mut invoice, _, _) = self.invoice(st, &sub.customer, &lines, at, Some(period), None);
            invoice.status = InvoiceStatus::Void;
            invoice.amount_paid = Money::zero(self.catalog.currency);
            invoice.amount_due = Money::zero(self.catalog.currency);
            invoice.carried_over = Money::zero(self.catalog.currency);
            let balance = st.customers.get(&sub.customer).map_or(0, |c| c.balance);
            Self::book(st, &sub.customer, &invoice, balance);
            st.subs.insert(sub.id.clone(), sub.clone());
            st.emit_sub(&sub.id, at);
            return;
        }
        if sub.comp_until.is_some_and(|until| period.start() >= until) {
            sub.comp_until = None; // the comp's months are over
        }
        let off = sub.take_discount(at);
        let (invoice, charge, carry) = match sub.comp_until {
            Some(until) => self.free_invoice(st, &sub.customer, &lines, at, period, until),
            None => self.invoice(st, &sub.customer, &lines, at, Some(period), off.as_ref()),
        };
        match charge {
            Charge::Paid => {
                Self::book(st, &sub.customer, &invoice, carry);
                st.subs.insert(sub.id.clone(), sub.clone());
                st.emit_sub(&sub.id, at);
                st.emit(&sub.customer, at, BillingEventKind::InvoicePaid(invoice));
            }
            refused => {
                Self::book(st, &sub.customer, &invoice, 0);
                sub.status = ProviderStatus::PastDue;
                sub.open_invoice = Some(invoice.id.clone());
                sub.first_failure = Some(at);
                sub.retries_done = 0;
                sub.next_retry = Some(at + Duration::days(self.retry_days()[0]));
                st.subs.insert(sub.id.clone(), sub.clone());
                st.emit_sub(&sub.id, at);
                let kind = match refused {
                    Charge::ActionRequired => BillingEventKind::InvoicePaymentActionRequired(invoice),
                    _ => BillingEventKind::InvoicePaymentFailed(invoice),
                };
                st.emit(&sub.customer, at, kind);
            }
        }
    }

    fn retry_days(&self) -> Vec<i64> {
        let grace = i64::from(self.catalog.grace_days);
        let mut days: Vec<i64> = RETRY_DAYS.iter().copied().filter(|d| *d < grace).collect();
        days.push(grace);
        days
    }

    /// One payment retry of a past-due subscription.
    fn retry(&self, st: &mut SimState, mut sub: SimSub, at: DateTime<Utc>) {
        let Some(invoice_id) = sub.open_invoice.clone() else { return };
        let Some((customer, mut invoice)) = st.invoices.get(&invoice_id).cloned() else { return };
        match st.charge(&customer, invoice.amount_due.cents()) {
            Charge::Paid => {
                invoice.status = InvoiceStatus::Paid;
                invoice.amount_paid = invoice.amount_due;
                st.invoices.insert(invoice.id.clone(), (customer.clone(), invoice.clone()));
                sub.status = ProviderStatus::Active;
                sub.open_invoice = None;
                sub.first_failure = None;
                sub.next_retry = None;
                st.subs.insert(sub.id.clone(), sub.clone());
                st.emit(&customer, at, BillingEventKind::InvoicePaid(invoice));
                st.emit_sub(&sub.id, at);
            }
            _ => {
                sub.retries_done += 1;
                let schedule = self.retry_days();
                let first = sub.first_failure.unwrap_or(at);
                match schedule.get(sub.retries_done) {
                    Some(days) => {
                        sub.next_retry = Some(first + Duration::days(*days));
                        st.subs.insert(sub.id.clone(), sub.clone());
                        st.emit(&customer, at, BillingEventKind::InvoicePaymentFailed(invoice));
                    }
                    None => {
                        // Retries exhausted at the end of the grace window: the subscription ends.
                        invoice.status = InvoiceStatus::Uncollectible;
                        st.invoices.insert(invoice.id.clone(), (customer.clone(), invoice.clone()));
                        sub.status = ProviderStatus::Canceled;
                        sub.next_retry = None;
                        st.subs.insert(sub.id.clone(), sub.clone());
                        st.emit(&customer, at, BillingEventKind::InvoicePaymentFailed(invoice));
                        st.emit_sub(&sub.id, at);
                    }
                }
            }
        }
    }

    /// Every event emitted since the last call, oldest first.
    pub fn take_events(&self) -> Vec<BillingEvent> {
        std::mem::take(&mut self.lock().outbox)
    }

    /// Makes the next call of `operation` (`start_trial`, `change`, ...) fail with
    /// `Unavailable`, as an outage of the provider would.
    pub fn fail_next(&self, operation: &'static str) {
        self.lock().failing.push(operation);
    }

    fn outage(&self, operation: &'static str) -> Result<(), PaymentError> {
        let mut st = self.lock();
        match st.failing.iter().position(|o| *o == operation) {
            Some(i) => {
                st.failing.remove(i);
                Err(PaymentError::Unavailable(anyhow::anyhow!("simulated outage of {operation}")))
            }
            None => Ok(()),
        }
    }

    /// How many events wait in the outbox.
    pub fn pending_events(&self) -> usize {
        self.lock().outbox.len()
    }

    /// Attaches (or replaces) the customer's payment method, as completing a
    /// Checkout or using the Portal does; a past-due subscription is retried at once.
    pub fn attach_card(&self, customer: &str, card: TestCard) -> Result<(), SimulatorError> {
        let now = self.clock.now();
        let mut st = self.lock();
        let c = st.customers.get_mut(customer).ok_or(SimulatorError::Unknown)?;
        c.card = Some(card);
        st.emit(customer, now, BillingEventKind::PaymentMethodAttached);
        let past_due: Vec<SimSub> = st
            .subs
            .values()
            .filter(|s| s.customer == customer && s.status == ProviderStatus::PastDue)
            .cloned()
            .collect();
        for sub in past_due {
            self.retry(&mut st, sub, now);
        }
        Ok(())
    }

    /// Completes a Checkout session (the simulator's Checkout page calls this).
    pub fn complete_checkout(&self, session: &str, card: TestCard) -> Result<String, SimulatorError> {
        let now = self.clock.now();
        let customer = {
            let mut st = self.lock();
            let s = st.sessions.get_mut(session).ok_or(SimulatorError::Unknown)?;
            if !s.checkout {
                return Err(SimulatorError::Unknown);
            }
            if s.expires_at <= now {
                return Err(SimulatorError::Expired);
            }
            if s.completed {
                return Err(SimulatorError::AlreadyCompleted);
            }
            s.completed = true;
            s.customer.clone()
        };
        self.attach_card(&customer, card)?;
        Ok(customer)
    }

    /// A live Checkout or Portal session: its customer, the customer's tenant
    /// and its page (`None` when unknown or expired).
    pub fn hosted_session(&self, session: &str) -> Option<HostedSessionInfo> {
        let now = self.clock.now();
        let st = self.lock();
        let s = st.sessions.get(session).filter(|s| s.expires_at > now)?;
        let tenant_id = st.customers.get(&s.customer)?.details.tenant_id;
        let page = if s.checkout { HostedPage::Checkout } else { HostedPage::Portal };
        Some(HostedSessionInfo { customer: s.customer.clone(), tenant_id, page })
    }

    /// The customer's current subscription (the newest that has not ended).
    pub fn current_subscription(&self, customer: &str) -> Option<ProviderSubscription> {
        let now = self.clock.now();
        let st = self.lock();
        st.subs
            .values()
            .rfind(|s| s.customer == customer && s.status != ProviderStatus::Canceled)
            .map(|s| SimState::provider_sub(s, now))
    }

    /// The customer's balance carried to the next invoice.
    pub fn balance(&self, customer: &str) -> Option<Money> {
        self.lock().customers.get(customer).map(|c| Money::from_cents(c.balance, self.catalog.currency))
    }

    /// The customer whose metadata names `tenant`.
    pub fn customer_of(&self, tenant: tenantry_domain::TenantId) -> Option<String> {
        self.lock().customers.iter().find(|(_, c)| c.details.tenant_id == tenant).map(|(id, _)| id.clone())
    }

    /// One invoice.
    pub fn invoice_by_id(&self, id: &str) -> Option<Invoice> {
        self.lock().invoices.get(id).map(|(_, i)| i.clone())
    }

    /// The invoice `id` with its customer, for the holder of its link's `key`
    /// (compared in constant time); `None` for an unknown id or a wrong key.
    pub fn invoice_document(&self, id: &str, key: &str) -> Option<crate::invoice_pdf::InvoiceDocument> {
        use subtle::ConstantTimeEq;
        let st = self.lock();
        let expected = st.invoice_keys.get(id)?;
        if !bool::from(expected.as_bytes().ct_eq(key.as_bytes())) {
            return None;
        }
        let (customer, invoice) = st.invoices.get(id)?;
        let customer = st.customers.get(customer)?.details.clone();
        Some(crate::invoice_pdf::InvoiceDocument { invoice: invoice.clone(), customer })
    }

    /// The remembered answer to `key`, when it was used for this same `request`;
    /// like Stripe, a key reused with other parameters is refused.
    fn remembered(st: &SimState, key: &IdempotencyKey, request: &str) -> Result<Option<Remembered>, PaymentError> {
        match st.remembered.get(&key.0) {
            None => Ok(None),
            Some((first, answer)) if first == request => Ok(Some(answer.clone())),
            Some(_) => Err(PaymentError::Rejected(format!(
                "the idempotency key {} was used for another request (keys must be unique per request)",
                key.0
            ))),
        }
    }

    fn sub_mut<'a>(st: &'a mut SimState, id: &str) -> Result<&'a mut SimSub, PaymentError> {
        match st.subs.get_mut(id) {
            Some(s) if s.status != ProviderStatus::Canceled => Ok(s),
            Some(_) => Err(PaymentError::Rejected("the subscription has ended".into())),
            None => Err(PaymentError::NotFound),
        }
    }

    /// Prices a change without making it.
    fn price(
        &self,
        sub: &SimSub,
        change: &ProviderChange,
        at: DateTime<Utc>,
        has_card: bool,
    ) -> Result<Option<ChargePreview>, PaymentError> {
        let rejected = |e: proration::ProrationError| PaymentError::Rejected(e.to_string());
        match *change {
            ProviderChange::IncreaseSeats { from_extra, to_extra } => {
                if !matches!(sub.status, ProviderStatus::Active) {
                    return Err(PaymentError::Rejected("seats are added only to an active subscription".into()));
                }
                if from_extra != sub.extra || to_extra <= from_extra {
                    return Err(PaymentError::Rejected(format!(
                        "the extra-seat quantity is {}, not {from_extra}",
                        sub.extra
                    )));
                }
                check_proration_date(&sub.period, at).map_err(rejected)?;
                Ok(Some(
                    proration::seat_increase(&self.catalog, sub.interval, from_extra, to_extra, &sub.period, at)
                        .map_err(rejected)?,
                ))
            }
            ProviderChange::EndTrialNow { interval, extra_seats } => {
                if sub.status != ProviderStatus::Trialing {
                    return Err(PaymentError::Rejected("not trialing".into()));
                }
                if !has_card {
                    return Err(PaymentError::Rejected("the customer has no payment method".into()));
                }
                let seats = self.catalog.included_seats.saturating_add(extra_seats);
                Ok(Some(proration::new_period(&self.catalog, interval, seats, at).map_err(rejected)?))
            }
            ProviderChange::IntervalNow { to, extra_seats } => {
                if !matches!(sub.status, ProviderStatus::Active) || to == sub.interval {
                    return Err(PaymentError::Rejected(
                        "the interval can change now only on an active subscription".into(),
                    ));
                }
                check_proration_date(&sub.period, at).map_err(rejected)?;
                let seats = self.catalog.included_seats.saturating_add(extra_seats);
                Ok(Some(
                    proration::interval_change_now(&self.catalog, sub.interval, to, seats, &sub.period, at)
                        .map_err(rejected)?,
                ))
            }
            _ => Ok(None),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Step {
    TrialWillEnd,
    TrialEnd,
    Renew,
    Retry,
}

#[async_trait]
impl PaymentProvider for BillingSimulator {
    async fn create_customer(&self, details: &CustomerDetails, key: &IdempotencyKey) -> Result<String, PaymentError> {
        self.outage("create_customer")?;
        let mut st = self.lock();
        let fingerprint = format!("create_customer {details:?}");
        if let Some(Remembered::Customer(id)) = Self::remembered(&st, key, &fingerprint)? {
            return Ok(id);
        }
        let id = st.id("cus");
        st.customers.insert(id.clone(), SimCustomer { details: details.clone(), card: None, balance: 0 });
        st.remembered.insert(key.0.clone(), (fingerprint, Remembered::Customer(id.clone())));
        Ok(id)
    }

    async fn update_customer(&self, customer: &str, details: &CustomerDetails) -> Result<(), PaymentError> {
        self.outage("update_customer")?;
        let mut st = self.lock();
        let c = st.customers.get_mut(customer).ok_or(PaymentError::NotFound)?;
        if c.details.tenant_id != details.tenant_id {
            return Err(PaymentError::Rejected("a customer's tenant cannot change".into()));
        }
        c.details = details.clone();
        Ok(())
    }

    async fn start_trial(
        &self,
        customer: &str,
        trial_end: DateTime<Utc>,
        interval: Interval,
        key: &IdempotencyKey,
    ) -> Result<ProviderSubscription, PaymentError> {
        self.outage("start_trial")?;
        let now = self.clock.now();
        let mut st = self.lock();
        let fingerprint = format!("start_trial {customer} {trial_end:?} {interval:?}");
        if let Some(Remembered::Subscription(s)) = Self::remembered(&st, key, &fingerprint)? {
            return Ok(s);
        }
        if !st.customers.contains_key(customer) {
            return Err(PaymentError::NotFound);
        }
        let period = Period::new(now, trial_end).map_err(|e| PaymentError::Rejected(e.to_string()))?;
        let id = st.id("sub");
        let sub = SimSub {
            id: id.clone(),
            customer: customer.to_owned(),
            status: ProviderStatus::Trialing,
            interval,
            extra: 0,
            extra_next: 0,
            interval_next: interval,
            period,
            anchor: trial_end,
            trial_end: Some(trial_end),
            trial_will_end_sent: false,
            cancel_at_period_end: false,
            open_invoice: None,
            first_failure: None,
            retries_done: 0,
            next_retry: None,
            paused: false,
            comp_until: None,
            discount: None,
        };
        let ps = SimState::provider_sub(&sub, now);
        st.subs.insert(id.clone(), sub);
        st.emit_sub(&id, now);
        st.remembered.insert(key.0.clone(), (fingerprint, Remembered::Subscription(ps.clone())));
        Ok(ps)
    }

    async fn start_subscription(
        &self,
        customer: &str,
        interval: Interval,
        extra_seats: u32,
        key: &IdempotencyKey,
    ) -> Result<ChangeOutcome, PaymentError> {
        self.outage("start_subscription")?;
        let now = self.clock.now();
        let mut st = self.lock();
        let fingerprint = format!("start_subscription {customer} {interval:?} {extra_seats}");
        if let Some(Remembered::Outcome(o)) = Self::remembered(&st, key, &fingerprint)? {
            return Ok(*o);
        }
        let c = st.customers.get(customer).ok_or(PaymentError::NotFound)?;
        if c.card.is_none() {
            return Err(PaymentError::Rejected("the customer has no payment method".into()));
        }
        if st.subs.values().any(|s| s.customer == customer && s.status != ProviderStatus::Canceled) {
            return Err(PaymentError::Rejected("the customer already has a subscription".into()));
        }
        let seats = self.catalog.included_seats.saturating_add(extra_seats);
        let lines = proration::full_period_lines(&self.catalog, interval, seats, now)
            .map_err(|e| PaymentError::Rejected(e.to_string()))?;
        let period = lines.first().map(|l| l.period).ok_or_else(|| PaymentError::Rejected("no lines".into()))?;
        let (invoice, charge, carry) = self.invoice(&mut st, customer, &lines, now, Some(period), None);
        match charge {
            Charge::Declined => return Err(PaymentError::CardDeclined("your card was declined".into())),
            Charge::ActionRequired => return Err(PaymentError::ActionRequired { hosted_url: invoice.hosted_url }),
            Charge::Paid => {}
        }
        Self::book(&mut st, customer, &invoice, carry);
        let id = st.id("sub");
        let sub = SimSub {
            id: id.clone(),
            customer: customer.to_owned(),
            status: ProviderStatus::Active,
            interval,
            extra: extra_seats,
            extra_next: extra_seats,
            interval_next: interval,
            period,
            anchor: now,
            trial_end: None,
            trial_will_end_sent: true,
            cancel_at_period_end: false,
            open_invoice: None,
            first_failure: None,
            retries_done: 0,
            next_retry: None,
            paused: false,
            comp_until: None,
            discount: None,
        };
        let outcome = ChangeOutcome { subscription: SimState::provider_sub(&sub, now), invoice: Some(invoice.clone()) };
        st.subs.insert(id.clone(), sub);
        st.emit_sub(&id, now);
        st.emit(customer, now, BillingEventKind::InvoicePaid(invoice));
        st.remembered.insert(key.0.clone(), (fingerprint, Remembered::Outcome(Box::new(outcome.clone()))));
        Ok(outcome)
    }

    async fn subscription(&self, id: &str) -> Result<Option<ProviderSubscription>, PaymentError> {
        self.outage("subscription")?;
        let now = self.clock.now();
        Ok(self.lock().subs.get(id).map(|s| SimState::provider_sub(s, now)))
    }

    async fn preview_change(&self, request: &ChangeRequest) -> Result<ChargePreview, PaymentError> {
        self.outage("preview_change")?;
        if request.proration_date > self.clock.now() {
            return Err(PaymentError::Rejected("the proration date lies in the future".into()));
        }
        let st = self.lock();
        let sub = st.subs.get(&request.subscription).ok_or(PaymentError::NotFound)?;
        let has_card = st.customers.get(&sub.customer).is_some_and(|c| c.card.is_some());
        match self.price(sub, &request.change, request.proration_date, has_card)? {
            Some(p) => match sub.discount.as_ref().filter(|d| d.applies_at(request.proration_date)) {
                Some(d) => p.discounted_by(self.catalog.currency, &d.off).map_err(|e| PaymentError::Unknown(e.into())),
                None => Ok(p),
            },
            None => {
                let effective = match request.change {
                    ProviderChange::ScheduleSeats { .. } | ProviderChange::ScheduleInterval { .. } => sub.period.end(),
                    _ => request.proration_date,
                };
                Ok(ChargePreview::scheduled(self.catalog.currency, request.proration_date, effective))
            }
        }
    }

    async fn preview_subscription(
        &self,
        customer: &str,
        interval: Interval,
        extra_seats: u32,
        at: DateTime<Utc>,
    ) -> Result<ChargePreview, PaymentError> {
        self.outage("preview_subscription")?;
        if !self.lock().customers.contains_key(customer) {
            return Err(PaymentError::NotFound);
        }
        proration::new_period(&self.catalog, interval, self.catalog.included_seats.saturating_add(extra_seats), at)
            .map_err(|e| PaymentError::Rejected(e.to_string()))
    }

    async fn change(&self, request: &ChangeRequest, key: &IdempotencyKey) -> Result<ChangeOutcome, PaymentError> {
        self.outage("change")?;
        let now = self.clock.now();
        let at = request.proration_date;
        if at > now {
            return Err(PaymentError::Rejected("the proration date lies in the future".into()));
        }
        let mut st = self.lock();
        let fingerprint = format!("change {request:?}");
        if let Some(Remembered::Outcome(o)) = Self::remembered(&st, key, &fingerprint)? {
            return Ok(*o);
        }
        let current = Self::sub_mut(&mut st, &request.subscription)?.clone();
        let has_card = st.customers.get(&current.customer).is_some_and(|c| c.card.is_some());
        let preview = self.price(&current, &request.change, at, has_card)?;
        let mut next = current.clone();
        let mut invoice = None;
        match request.change {
            ProviderChange::TrialSeats { extra_seats } => {
                if next.status != ProviderStatus::Trialing {
                    return Err(PaymentError::Rejected("not trialing".into()));
                }
                next.extra = extra_seats;
                next.extra_next = extra_seats;
            }
            ProviderChange::TrialEnd { ends_at } => {
                if next.status != ProviderStatus::Trialing {
                    return Err(PaymentError::Rejected("not trialing".into()));
                }
                next.trial_end = Some(ends_at);
                next.trial_will_end_sent = false;
                next.period =
                    Period::new(next.period.start(), ends_at).map_err(|e| PaymentError::Rejected(e.to_string()))?;
            }
            ProviderChange::TrialSettings { interval, cancel_at_trial_end } => {
                if next.status != ProviderStatus::Trialing {
                    return Err(PaymentError::Rejected("not trialing".into()));
                }
                next.interval = interval;
                next.interval_next = interval;
                next.cancel_at_period_end = cancel_at_trial_end;
            }
            ProviderChange::EndTrialNow { interval, extra_seats } => {
                next.status = ProviderStatus::Active;
                next.trial_end = None;
                next.trial_will_end_sent = true;
                next.cancel_at_period_end = false;
                next.interval = interval;
                next.interval_next = interval;
                next.extra = extra_seats;
                next.extra_next = extra_seats;
                next.anchor = at;
                next.period = Period::starting(at, interval).map_err(|e| PaymentError::Rejected(e.to_string()))?;
            }
            ProviderChange::IncreaseSeats { to_extra, .. } => {
                next.extra = to_extra;
                next.extra_next = to_extra;
            }
            ProviderChange::ScheduleSeats { extra_seats_next_period } => {
                if extra_seats_next_period > next.extra {
                    return Err(PaymentError::Rejected("a scheduled quantity cannot exceed the current one".into()));
                }
                next.extra_next = extra_seats_next_period;
            }
            ProviderChange::IntervalNow { to, extra_seats } => {
                next.interval = to;
                next.interval_next = to;
                next.extra = extra_seats;
                next.extra_next = extra_seats;
                next.anchor = at;
                next.period = Period::starting(at, to).map_err(|e| PaymentError::Rejected(e.to_string()))?;
            }
            ProviderChange::ScheduleInterval { to } => next.interval_next = to,
            ProviderChange::CancelAtPeriodEnd { cancel } => {
                if next.status == ProviderStatus::Trialing {
                    return Err(PaymentError::Rejected("use the trial settings during the trial".into()));
                }
                next.cancel_at_period_end = cancel;
            }
            ProviderChange::PauseCollection { paused } => {
                if !matches!(next.status, ProviderStatus::Active | ProviderStatus::PastDue) {
                    return Err(PaymentError::Rejected("only a paid subscription's collection pauses".into()));
                }
                next.paused = paused;
            }
            ProviderChange::Comp { months } => {
                if !matches!(next.status, ProviderStatus::Active | ProviderStatus::PastDue) {
                    return Err(PaymentError::Rejected("only a paid subscription is comped".into()));
                }
                if !(1..=36).contains(&months) {
                    return Err(PaymentError::Rejected("a comp lasts 1 to 36 months".into()));
                }
                let until = at
                    .checked_add_months(chrono::Months::new(months))
                    .ok_or_else(|| PaymentError::Rejected("the comp ends too late".into()))?;
                next.comp_until = Some(until);
                next.discount = None; // a comp replaces the subscription's discounts, as on Stripe
            }
        }
        if let Some(preview) = preview {
            let off = next.take_discount(now);
            let (inv, charge, carry) =
                self.invoice(&mut st, &current.customer, &preview.lines, now, Some(next.period), off.as_ref());
            match charge {
                // pending_if_incomplete: a refused payment leaves the subscription as it was.
                Charge::Declined => return Err(PaymentError::CardDeclined("your card was declined".into())),
                Charge::ActionRequired => return Err(PaymentError::ActionRequired { hosted_url: inv.hosted_url }),
                Charge::Paid => {}
            }
            Self::book(&mut st, &current.customer, &inv, carry);
            invoice = Some(inv);
        }
        st.subs.insert(next.id.clone(), next.clone());
        st.emit_sub(&next.id, now);
        if let Some(inv) = &invoice {
            st.emit(&next.customer, now, BillingEventKind::InvoicePaid(inv.clone()));
        }
        let outcome = ChangeOutcome { subscription: SimState::provider_sub(&next, now), invoice };
        st.remembered.insert(key.0.clone(), (fingerprint, Remembered::Outcome(Box::new(outcome.clone()))));
        Ok(outcome)
    }

    async fn cancel_now(&self, subscription: &str, key: &IdempotencyKey) -> Result<(), PaymentError> {
        self.outage("cancel_now")?;
        let now = self.clock.now();
        let mut st = self.lock();
        let fingerprint = format!("cancel_now {subscription}");
        if let Some(Remembered::Done) = Self::remembered(&st, key, &fingerprint)? {
            return Ok(());
        }
        let sub = st.subs.get_mut(subscription).ok_or(PaymentError::NotFound)?;
        if sub.status != ProviderStatus::Canceled {
            sub.status = ProviderStatus::Canceled;
            sub.next_retry = None;
            st.emit_sub(subscription, now);
        }
        st.remembered.insert(key.0.clone(), (fingerprint, Remembered::Done));
        Ok(())
    }

    async fn checkout_session(&self, customer: &str, return_to: &ReturnPath) -> Result<HostedSession, PaymentError> {
        self.outage("checkout_session")?;
        let mut st = self.lock();
        if !st.customers.contains_key(customer) {
            return Err(PaymentError::NotFound);
        }
        let id = session_id("cs")?;
        let expires_at = self.clock.now() + CHECKOUT_SESSION_TTL;
        st.sessions.insert(
            id.clone(),
            Session { customer: customer.to_owned(), checkout: true, completed: false, expires_at },
        );
        Ok(HostedSession {
            url: format!("/billing/simulator/checkout/{id}?return_to={}", encode(return_to.as_str())),
            id,
        })
    }

    async fn portal_session(&self, customer: &str, return_to: &ReturnPath) -> Result<HostedSession, PaymentError> {
        self.outage("portal_session")?;
        let mut st = self.lock();
        if !st.customers.contains_key(customer) {
            return Err(PaymentError::NotFound);
        }
        let id = session_id("bps")?;
        let expires_at = self.clock.now() + PORTAL_SESSION_TTL;
        st.sessions.insert(
            id.clone(),
            Session { customer: customer.to_owned(), checkout: false, completed: false, expires_at },
        );
        Ok(HostedSession {
            url: format!("/billing/simulator/portal/{id}?return_to={}", encode(return_to.as_str())),
            id,
        })
    }

    async fn invoices(&self, customer: &str) -> Result<Vec<Invoice>, PaymentError> {
        self.outage("invoices")?;
        let st = self.lock();
        let mut list: Vec<Invoice> =
            st.invoices.values().filter(|(c, _)| c == customer).map(|(_, i)| i.clone()).collect();
        list.sort_by(|a, b| (b.created_at, &b.id).cmp(&(a.created_at, &a.id)));
        Ok(list)
    }

    async fn upcoming_invoice(&self, subscription: &str) -> Result<Option<UpcomingInvoice>, PaymentError> {
        self.outage("upcoming_invoice")?;
        let st = self.lock();
        let sub = st.subs.get(subscription).ok_or(PaymentError::NotFound)?;
        self.upcoming(sub, sub.discount.as_ref())
    }

    async fn preview_discount(
        &self,
        subscription: &str,
        code: &str,
        discount: &AppliedDiscount,
    ) -> Result<Option<UpcomingInvoice>, PaymentError> {
        self.outage("preview_discount")?;
        let st = self.lock();
        let sub = st.subs.get(subscription).ok_or(PaymentError::NotFound)?;
        st.redeemable(code, &sub.customer, discount)?;
        self.upcoming(sub, Some(discount))
    }

    async fn create_coupon(&self, coupon: &CouponRecord, key: &IdempotencyKey) -> Result<String, PaymentError> {
        self.outage("create_coupon")?;
        let mut st = self.lock();
        let fingerprint = format!("create_coupon {:?}", coupon.coupon);
        if let Some(Remembered::Customer(id)) = Self::remembered(&st, key, &fingerprint)? {
            return Ok(id);
        }
        let id = st.id("coupon");
        let fresh = Coupon { times_redeemed: 0, ..coupon.coupon.clone() };
        st.coupons.insert(id.clone(), fresh);
        st.remembered.insert(key.0.clone(), (fingerprint, Remembered::Customer(id.clone())));
        Ok(id)
    }

    async fn create_promotion_code(
        &self,
        code: &PromotionCodeRecord,
        coupon: &str,
        key: &IdempotencyKey,
    ) -> Result<String, PaymentError> {
        self.outage("create_promotion_code")?;
        let mut st = self.lock();
        let fingerprint = format!("create_promotion_code {:?} {coupon}", code.promotion);
        if let Some(Remembered::Customer(id)) = Self::remembered(&st, key, &fingerprint)? {
            return Ok(id);
        }
        if !st.coupons.contains_key(coupon) {
            return Err(PaymentError::NotFound);
        }
        if st.promotion_codes.values().any(|(p, _)| p.code == code.promotion.code && p.active) {
            return Err(PaymentError::Rejected("an active promotion code with this text exists".into()));
        }
        let id = st.id("promo");
        let fresh = PromotionCode { times_redeemed: 0, ..code.promotion.clone() };
        st.promotion_codes.insert(id.clone(), (fresh, coupon.to_owned()));
        st.remembered.insert(key.0.clone(), (fingerprint, Remembered::Customer(id.clone())));
        Ok(id)
    }

    async fn set_promotion_code_active(
        &self,
        code: &str,
        active: bool,
        _key: &IdempotencyKey,
    ) -> Result<(), PaymentError> {
        self.outage("set_promotion_code_active")?;
        let mut st = self.lock();
        let (promotion, _) = st.promotion_codes.get_mut(code).ok_or(PaymentError::NotFound)?;
        promotion.active = active;
        Ok(())
    }

    async fn apply_discount(
        &self,
        subscription: &str,
        code: &str,
        discount: &AppliedDiscount,
        key: &IdempotencyKey,
    ) -> Result<ProviderSubscription, PaymentError> {
        self.outage("apply_discount")?;
        let now = self.clock.now();
        let mut st = self.lock();
        let fingerprint = format!("apply_discount {subscription} {code} {discount:?}");
        if let Some(Remembered::Subscription(s)) = Self::remembered(&st, key, &fingerprint)? {
            return Ok(s);
        }
        let sub = st.subs.get(subscription).ok_or(PaymentError::NotFound)?.clone();
        if !matches!(sub.status, ProviderStatus::Trialing | ProviderStatus::Active | ProviderStatus::PastDue) {
            return Err(PaymentError::Rejected("only a live subscription takes a promotion code".into()));
        }
        // The same rules as tenantry's, on the simulator's own counts.
        let (mut promotion, mut coupon) = st.redeemable(code, &sub.customer, discount)?;
        let paid_before = st.paid_before(&sub.customer);
        promotion.redeem(&mut coupon, now, paid_before).map_err(|e| PaymentError::Rejected(e.to_string()))?;
        if let Some((p, coupon_id)) = st.promotion_codes.get_mut(code) {
            *p = promotion;
            let coupon_id = coupon_id.clone();
            st.coupons.insert(coupon_id, coupon);
        }
        let mut next = sub;
        next.discount = Some(discount.clone());
        next.comp_until = None; // a discount replaces a comp's coupon, as on Stripe
        st.subs.insert(next.id.clone(), next.clone());
        st.emit_sub(&next.id, now);
        let ps = SimState::provider_sub(&next, now);
        st.remembered.insert(key.0.clone(), (fingerprint, Remembered::Subscription(ps.clone())));
        Ok(ps)
    }
}

impl BillingSimulator {
    /// The next invoice of `sub` as the timeline will make it, less `discount`
    /// when it applies then.
    fn upcoming(
        &self,
        sub: &SimSub,
        discount: Option<&AppliedDiscount>,
    ) -> Result<Option<UpcomingInvoice>, PaymentError> {
        // What the timeline will invoice next: the trial's end, or the renewal
        // with the next period's interval and seats (as `start_period` does).
        let at = match sub.status {
            ProviderStatus::Trialing => sub.trial_end.unwrap_or(sub.period.end()),
            ProviderStatus::Active if !sub.cancel_at_period_end && !sub.paused => sub.period.end(),
            _ => return Ok(None),
        };
        let seats = self.catalog.included_seats.saturating_add(sub.extra_next);
        let lines = proration::full_period_lines(&self.catalog, sub.interval_next, seats, at)
            .map_err(|e| PaymentError::Unknown(anyhow::anyhow!("upcoming invoice: {e}")))?;
        let currency = self.catalog.currency;
        let subtotal = Money::sum(currency, lines.iter().map(|l| l.amount))
            .map_err(|e| PaymentError::Unknown(anyhow::anyhow!("upcoming invoice: {e}")))?;
        // A comp still running then takes it all off; else a discount applying then.
        let free = sub.comp_until.is_some_and(|until| at < until);
        let discount = match discount.filter(|d| d.applies_at(at)) {
            _ if free => subtotal,
            Some(d) => {
                let (_, after) = discount::discounted(currency, &lines, &d.off)
                    .map_err(|e| PaymentError::Unknown(anyhow::anyhow!("upcoming invoice: {e}")))?;
                Money::from_cents(subtotal.cents() - after.cents(), currency)
            }
            None => Money::zero(currency),
        };
        let total = Money::from_cents(subtotal.cents() - discount.cents(), currency);
        Ok(Some(UpcomingInvoice { at, lines, subtotal, discount, tax: Money::zero(currency), total }))
    }
}

/// Percent-encodes a return URL for a query string (unreserved characters pass).
fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => (b as char).to_string(),
            other => format!("%{other:02X}"),
        })
        .collect()
}

/// One step of a scheduler whose provider is this simulator (the embedded
/// default's, and the test harness's clock): moves the simulator's timeline to
/// its clock, hands its events to `tenantry` (as a webhook would) and runs the
/// due timers — again until nothing more happens (at most 16 rounds) — then the
/// daily work and the due jobs.
pub async fn run_timeline(tenantry: &Tenantry, simulator: &BillingSimulator) -> Tick {
    let mut report = Tick::default();
    for _ in 0..16 {
        simulator.advance();
        let events = simulator.take_events();
        tenantry.apply_billing_events(&events, &mut report).await;
        tenantry.run_timers_into(&mut report).await;
        if events.is_empty() && simulator.pending_events() == 0 {
            break;
        }
    }
    tenantry.run_jobs_into(&mut report).await;
    report
}

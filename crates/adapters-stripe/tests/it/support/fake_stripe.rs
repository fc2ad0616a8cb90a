//! A stateful in-process fake of the slice of Stripe's API the adapter uses,
//! mounted on a wiremock server: customers, subscriptions (create, retrieve,
//! update, cancel), preview invoices, subscription schedules, invoices and
//! Checkout sessions. Its answers are the fixtures of `tests/fixtures` with
//! their values replaced, so they deserialize into async-stripe rc.10's types
//! exactly as Stripe's do.
//!
//! Amounts follow Stripe's documented proration (per changed item, a credit
//! `−round(unit × old_qty × remaining / period)` and a charge
//! `round(unit × new_qty × remaining / period)`, halves away from zero),
//! written here again on purpose instead of calling the domain, so that the
//! simulator-vs-Stripe scenarios compare two independent computations.
//!
//! Like Stripe, it honours idempotency keys (a replay answers the first
//! answer; a key reused with other parameters is refused), refuses
//! `cancel_at_period_end` on a subscription a schedule manages, answers 402 for
//! `error_if_incomplete` when the payment fails, and keeps the subscription
//! unchanged with a `pending_update` for `pending_if_incomplete`.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use chrono::{DateTime, Months, Utc};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use tenantry_ports::Clock;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

fn fixture(name: &str) -> Value {
    // From this crate's tests and from the service's (which include this file).
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../adapters-stripe/tests/fixtures");
    let text = std::fs::read_to_string(format!("{dir}/{name}")).unwrap();
    serde_json::from_str(&text).unwrap()
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Every {
    Month,
    Year,
}

impl Every {
    fn name(self) -> &'static str {
        match self {
            Every::Month => "month",
            Every::Year => "year",
        }
    }
    fn add(self, at: i64) -> i64 {
        let start = DateTime::from_timestamp(at, 0).unwrap();
        let months = if self == Every::Month { 1 } else { 12 };
        start.checked_add_months(Months::new(months)).unwrap().timestamp()
    }
    fn base(self) -> i64 {
        if self == Every::Month { 4995 } else { 47900 }
    }
    fn seat(self) -> i64 {
        if self == Every::Month { 495 } else { 5940 }
    }
}

fn price_id(base: bool, every: Every) -> String {
    format!("price_{}_{}", if base { "base" } else { "seat" }, every.name())
}

fn price_kind(id: &str) -> (bool, Every) {
    let every = if id.ends_with("year") { Every::Year } else { Every::Month };
    (id.contains("base"), every)
}

/// Stripe's proration of one item: `round(unit × qty × remaining / period)`, halves away from zero.
fn prorate(unit: i64, qty: u64, (start, end): (i64, i64), at: i64) -> i64 {
    let n = i128::from(unit) * i128::from(qty) * i128::from(end - at);
    let d = i128::from(end - start);
    let q = n / d;
    let r = n % d;
    let rounded = if 2 * r.abs() >= d { q + n.signum() } else { q };
    i64::try_from(rounded).unwrap()
}

#[derive(Clone, Debug)]
struct Line {
    base: bool,
    every: Every,
    qty: u64,
    amount: i64,
    proration: bool,
    period: (i64, i64),
}

#[derive(Clone, Debug)]
struct Sub {
    id: String,
    customer: String,
    status: &'static str,
    every: Every,
    extra: u64,
    period: (i64, i64),
    trial: Option<(i64, i64)>,
    cancel_at_period_end: bool,
    metadata: BTreeMap<String, String>,
    schedule: Option<String>,
    latest_invoice: Option<String>,
    pending: Option<u64>,
    trial_will_end_sent: bool,
    first_failure: Option<i64>,
    retries: usize,
    next_retry: Option<i64>,
    /// `pause_collection: {behavior: void}`.
    paused: bool,
    /// A 100 % coupon: its id and the end of its months.
    comp: Option<(String, i64)>,
    /// A promotion code's discount: its coupon, and until when it applies.
    discount: Option<Discount>,
}

/// A coupon: percent or amount off, for how long, how often.
#[derive(Clone, Debug)]
struct FakeCoupon {
    percent_off: Option<f64>,
    amount_off: Option<i64>,
    duration: String,
    months: Option<i64>,
    max_redemptions: Option<i64>,
    redeem_by: Option<i64>,
    times_redeemed: i64,
}

/// A promotion code of a coupon.
#[derive(Clone, Debug)]
struct FakePromo {
    code: String,
    coupon: String,
    first_time: bool,
    max_redemptions: Option<i64>,
    expires_at: Option<i64>,
    times_redeemed: i64,
    active: bool,
}

/// A discount on a subscription (Stripe's `discount` object, reduced).
#[derive(Clone, Debug)]
struct Discount {
    id: String,
    coupon: FakeCoupon,
    /// Repeating: invoices before then; once: `None` until used, then gone.
    end: Option<i64>,
}

impl Discount {
    /// The discount of `lines` (positive), as Stripe computes it: a percent
    /// of each line rounded half away from zero, or an amount off the total.
    fn amount(&self, lines: &[Line]) -> i64 {
        match (self.coupon.percent_off, self.coupon.amount_off) {
            (Some(pct), _) => lines
                .iter()
                .map(|l| {
                    // pct has at most two decimals: work in hundredths of a percent.
                    let bp = (pct * 100.0).round() as i64;
                    let n = i128::from(l.amount) * i128::from(bp);
                    let (q, r) = (n / 10_000, n % 10_000);
                    i64::try_from(if 2 * r.abs() >= 10_000 { q + n.signum() } else { q }).unwrap()
                })
                .sum(),
            (None, Some(off)) => off.min(lines.iter().map(|l| l.amount).sum::<i64>().max(0)),
            _ => 0,
        }
    }
    /// Whether an invoice made at `at` is discounted.
    fn applies(&self, at: i64) -> bool {
        self.end.is_none_or(|end| at < end)
    }
}

#[derive(Clone, Debug)]
struct Phase {
    start: i64,
    end: i64,
    every: Every,
    extra: u64,
}

#[derive(Default)]
struct State {
    next: u32,
    customers: BTreeMap<String, (String, Option<bool>)>,
    subs: BTreeMap<String, Sub>,
    schedules: BTreeMap<String, (String, Vec<Phase>)>,
    invoices: Vec<(String, Value)>,
    keys: HashMap<String, (String, u16, Value)>,
    outbox: Vec<(String, Value, i64)>,
    coupons: BTreeMap<String, FakeCoupon>,
    promos: BTreeMap<String, FakePromo>,
}

impl State {
    fn id(&mut self, prefix: &str) -> String {
        self.next += 1;
        format!("{prefix}_{}", self.next)
    }
}

/// The fake; clones share the state.
#[derive(Clone)]
pub struct FakeStripe {
    state: Arc<Mutex<State>>,
    clock: Arc<dyn Clock>,
}

type Answer = Result<Value, (u16, Value)>;

fn stripe_error(status: u16, kind: &str, code: &str, message: &str) -> (u16, Value) {
    (status, json!({"error": {"type": kind, "code": code, "message": message}}))
}

fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 3 <= bytes.len() {
            out.push(u8::from_str_radix(std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap(), 16).unwrap());
            i += 3;
        } else {
            out.push(if bytes[i] == b'+' { b' ' } else { bytes[i] });
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

/// `key=value` pairs of a form body or query string.
pub fn pairs(text: &str) -> Vec<(String, String)> {
    text.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k), decode(v))
        })
        .collect()
}

struct Form(Vec<(String, String)>);

impl Form {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }
    /// The same form with `subscription_details[x]...` read as `x...`.
    fn details(&self) -> Form {
        Form(
            self.0
                .iter()
                .filter_map(|(k, v)| {
                    let rest = k.strip_prefix("subscription_details[")?;
                    let (head, tail) = rest.split_once(']')?;
                    Some((format!("{head}{tail}"), v.clone()))
                })
                .collect(),
        )
    }
    /// `items[i][id|price|quantity]` for i = 0, 1, ...
    fn items(&self, prefix: &str) -> Vec<(Option<String>, Option<String>, Option<u64>)> {
        (0..)
            .map_while(|i| {
                let id = self.get(&format!("{prefix}[{i}][id]")).map(str::to_owned);
                let price = self.get(&format!("{prefix}[{i}][price]")).map(str::to_owned);
                let qty = self.get(&format!("{prefix}[{i}][quantity]")).map(|q| q.parse().unwrap());
                (id.is_some() || price.is_some() || qty.is_some()).then_some((id, price, qty))
            })
            .collect()
    }
}

impl FakeStripe {
    /// Mounts the fake on a new server; its clock is the harness's.
    pub async fn start(clock: Arc<dyn Clock>) -> (MockServer, FakeStripe) {
        let server = MockServer::start().await;
        let fake = FakeStripe { state: Arc::default(), clock };
        Mock::given(wiremock::matchers::any()).respond_with(fake.clone()).mount(&server).await;
        (server, fake)
    }

    /// Gives the customer a card that works (or declines).
    pub fn attach_card(&self, customer: &str, works: bool) {
        let mut st = self.state.lock().unwrap();
        st.customers.get_mut(customer).unwrap().1 = Some(works);
    }

    /// The customer of a tenant (by the metadata tenantry sets).
    pub fn customer_of(&self, tenant: &str) -> Option<String> {
        let st = self.state.lock().unwrap();
        st.customers.iter().find(|(_, (t, _))| t == tenant).map(|(id, _)| id.clone())
    }

    fn now(&self) -> i64 {
        self.clock.now().timestamp()
    }

    /// Moves Stripe's timeline to the clock — trial_will_end three days
    /// before a trial ends; the trial end (converting with a card on file,
    /// cancelling without); renewals, applying a schedule's next phase; Smart
    /// Retries of a failed renewal on days 1, 3, 5, 7, 10 and 14, then
    /// cancellation — and returns the webhook payloads Stripe would send since
    /// the last call (including those of API calls), oldest first.
    pub fn advance(&self) -> Vec<String> {
        let now = self.now();
        let mut st = self.state.lock().unwrap();
        loop {
            let due = st
                .subs
                .values()
                .filter_map(|s| {
                    let at = match s.status {
                        "trialing" => {
                            let end = s.trial?.1;
                            if s.trial_will_end_sent { end } else { end - 3 * 86_400 }
                        }
                        "active" => s.period.1,
                        "past_due" => s.next_retry?,
                        _ => return None,
                    };
                    (at <= now).then(|| (at, s.id.clone()))
                })
                .min();
            let Some((at, id)) = due else { break };
            self.step(&mut st, &id, at);
        }
        let events = std::mem::take(&mut st.outbox);
        events
            .into_iter()
            .map(|(kind, object, at)| {
                st.next += 1;
                let mut event = fixture("event_subscription_updated.json");
                event["id"] = json!(format!("evt_{}", st.next));
                event["type"] = json!(kind);
                event["created"] = json!(at);
                event["data"] = json!({"object": object});
                event.to_string()
            })
            .collect()
    }

    fn step(&self, st: &mut State, id: &str, at: i64) {
        let Some(mut sub) = st.subs.get(id).cloned() else { return };
        let works = Self::card(st, &sub.customer);
        let has_card = st.customers.get(&sub.customer).is_some_and(|(_, c)| c.is_some());
        match sub.status {
            "trialing" if !sub.trial_will_end_sent && sub.trial.is_some_and(|t| at < t.1) => {
                sub.trial_will_end_sent = true;
                st.subs.insert(id.to_owned(), sub);
                self.emit_sub(st, id, "customer.subscription.trial_will_end", at);
            }
            "trialing" => {
                let end = sub.trial.map_or(at, |t| t.1);
                sub.trial = None;
                if sub.cancel_at_period_end || !has_card {
                    sub.status = "canceled";
                    st.subs.insert(id.to_owned(), sub);
                    self.emit_sub(st, id, "customer.subscription.deleted", at);
                    return;
                }
                sub.period = (end, sub.every.add(end));
                self.renew(st, sub, works, at);
            }
            "active" => {
                if sub.cancel_at_period_end {
                    sub.status = "canceled";
                    st.subs.insert(id.to_owned(), sub);
                    self.emit_sub(st, id, "customer.subscription.deleted", at);
                    return;
                }
                let end = sub.period.1;
                if let Some(schedule) = sub.schedule.clone() {
                    let phase =
                        st.schedules.get(&schedule).and_then(|(_, ps)| ps.iter().find(|p| p.start == end)).cloned();
                    if let Some(phase) = phase {
                        sub.every = phase.every;
                        sub.extra = phase.extra;
                    }
                    // end_behavior=release once its last phase has begun.
                    st.schedules.remove(&schedule);
                    sub.schedule = None;
                }
                sub.period = (end, sub.every.add(end));
                self.renew(st, sub, works, at);
            }
            "past_due" => {
                let invoice = sub.latest_invoice.clone().unwrap_or_default();
                if works {
                    if let Some((_, v)) = st.invoices.iter_mut().find(|(_, v)| v["id"] == json!(invoice)) {
                        v["status"] = json!("paid");
                        v["amount_paid"] = v["amount_due"].clone();
                        v["amount_remaining"] = json!(0);
                    }
                    sub.status = "active";
                    sub.first_failure = None;
                    sub.next_retry = None;
                    st.subs.insert(id.to_owned(), sub);
                    Self::emit_invoice(st, &invoice, "invoice.paid", at);
                    self.emit_sub(st, id, "customer.subscription.updated", at);
                    return;
                }
                sub.retries += 1;
                const RETRY_DAYS: [i64; 6] = [1, 3, 5, 7, 10, 14];
                let first = sub.first_failure.unwrap_or(at);
                match RETRY_DAYS.get(sub.retries) {
                    Some(days) => {
                        sub.next_retry = Some(first + days * 86_400);
                        st.subs.insert(id.to_owned(), sub);
                        Self::emit_invoice(st, &invoice, "invoice.payment_failed", at);
                    }
                    None => {
                        // Billing settings: cancel the subscription when all retries failed.
                        sub.status = "canceled";
                        sub.next_retry = None;
                        st.subs.insert(id.to_owned(), sub);
                        Self::emit_invoice(st, &invoice, "invoice.payment_failed", at);
                        self.emit_sub(st, id, "customer.subscription.deleted", at);
                    }
                }
            }
            _ => {}
        }
    }

    /// Opens the (already set) new period and invoices it in full.
    fn renew(&self, st: &mut State, mut sub: Sub, works: bool, at: i64) {
        let id = sub.id.clone();
        let mut lines = full_lines(sub.every, sub.extra, sub.period);
        if sub.paused {
            // pause_collection {behavior: void}: the invoice is made and voided; nothing is charged.
            let invoice = self.invoice_at(st, &sub, &lines, "void", "subscription_cycle", at);
            sub.latest_invoice = Some(invoice);
            st.subs.insert(id.clone(), sub);
            self.emit_sub(st, &id, "customer.subscription.updated", at);
            return;
        }
        match &sub.comp {
            // A repeating coupon applies to the invoices of its months, then goes.
            Some((_, until)) if sub.period.0 < *until => {
                let off: i64 = lines.iter().map(|l| l.amount).sum();
                lines.push(Line {
                    base: true,
                    every: sub.every,
                    qty: 1,
                    amount: -off,
                    proration: false,
                    period: sub.period,
                });
            }
            Some(_) => {
                sub.comp = None;
                sub.metadata.remove("tenantry_free_until");
            }
            None => {}
        }
        let discount = Self::take_discount(&mut sub, &lines, at);
        let status = if works { "paid" } else { "open" };
        let invoice = self.invoice_with(st, &sub, &lines, discount, status, "subscription_cycle", at);
        sub.latest_invoice = Some(invoice.clone());
        if works {
            sub.status = "active";
            st.subs.insert(id.clone(), sub);
            self.emit_sub(st, &id, "customer.subscription.updated", at);
            Self::emit_invoice(st, &invoice, "invoice.paid", at);
        } else {
            sub.status = "past_due";
            sub.first_failure = Some(at);
            sub.retries = 0;
            sub.next_retry = Some(at + 86_400);
            st.subs.insert(id.clone(), sub);
            self.emit_sub(st, &id, "customer.subscription.updated", at);
            Self::emit_invoice(st, &invoice, "invoice.payment_failed", at);
        }
    }

    fn handle(&self, request: &Request) -> (u16, Value) {
        let method = request.method.to_string();
        let path = request.url.path().to_owned();
        let body = String::from_utf8_lossy(&request.body).into_owned();
        let form = Form(pairs(if method == "GET" { request.url.query().unwrap_or("") } else { &body }));
        let key = request.headers.get("idempotency-key").map(|v| v.to_str().unwrap().to_owned());
        let fingerprint = format!("{method} {path} {body}");
        // Not Stripe's rule but tenantry's: every call that changes something
        // carries an idempotency key (a preview changes nothing).
        if method != "GET" && key.is_none() && path != "/v1/invoices/create_preview" {
            return stripe_error(
                400,
                "invalid_request_error",
                "missing_idempotency_key",
                &format!("{method} {path} without an idempotency key"),
            );
        }
        let mut st = self.state.lock().unwrap();
        if let Some(k) = &key
            && let Some((seen, status, answer)) = st.keys.get(k)
        {
            if *seen == fingerprint {
                return (*status, answer.clone());
            }
            return stripe_error(
                400,
                "idempotency_error",
                "idempotency_key_in_use",
                "Keys for idempotent requests can only be used with the same parameters they were first used with.",
            );
        }
        let segments: Vec<&str> = path.trim_start_matches("/v1/").split('/').collect();
        let answer = match (method.as_str(), segments.as_slice()) {
            ("POST", ["customers"]) => self.create_customer(&mut st, &form),
            ("POST", ["customers", _]) => Ok(fixture("customer.json")),
            ("POST", ["subscriptions"]) => self.create_subscription(&mut st, &form),
            ("GET", ["subscriptions", id]) => self.render_sub(&st, id, form.get("expand[0]") == Some("schedule")),
            ("POST", ["subscriptions", id]) => self.update_subscription(&mut st, id, &form),
            ("DELETE", ["subscriptions", id]) => {
                match st.subs.get_mut(*id) {
                    Some(s) => s.status = "canceled",
                    None => {
                        return stripe_error(404, "invalid_request_error", "resource_missing", "No such subscription");
                    }
                }
                let now = self.now();
                self.emit_sub(&mut st, id, "customer.subscription.deleted", now);
                self.render_sub(&st, id, false)
            }
            ("POST", ["invoices", "create_preview"]) => self.preview(&st, &form),
            ("GET", ["invoices"]) => {
                let customer = form.get("customer").unwrap_or_default().to_owned();
                let mut data: Vec<Value> =
                    st.invoices.iter().filter(|(c, _)| *c == customer).map(|(_, i)| i.clone()).collect();
                data.reverse();
                Ok(json!({"object": "list", "data": data, "has_more": false, "url": "/v1/invoices"}))
            }
            ("POST", ["subscription_schedules"]) => self.create_schedule(&mut st, &form),
            ("GET", ["subscription_schedules", id]) => self.render_schedule(&st, id),
            ("POST", ["subscription_schedules", id]) => self.update_schedule(&mut st, id, &form),
            ("POST", ["subscription_schedules", id, "release"]) => {
                let id = (*id).to_owned();
                let answer = self.render_schedule(&st, &id);
                if let Some((sub, _)) = st.schedules.remove(&id)
                    && let Some(s) = st.subs.get_mut(&sub)
                {
                    s.schedule = None;
                }
                answer
            }
            // What the service reads at start: the catalog's prices and its portal configuration.
            ("GET", ["prices"]) => Ok(fixture("prices_list.json")),
            ("GET", ["billing_portal", "configurations"]) => Ok(json!({
                "object": "list", "data": [], "has_more": false, "url": "/v1/billing_portal/configurations"
            })),
            // As Stripe: a session for a customer it does not know is refused (400, resource_missing).
            // A coupon (the comp's id carries its months for the subscription update to read).
            ("POST", ["coupons"]) => {
                let months: Option<i64> = form.get("duration_in_months").map(|m| m.parse().unwrap());
                let made = FakeCoupon {
                    percent_off: form.get("percent_off").map(|p| p.parse().unwrap()),
                    amount_off: form.get("amount_off").map(|a| a.parse().unwrap()),
                    duration: form.get("duration").unwrap_or("once").to_owned(),
                    months,
                    max_redemptions: form.get("max_redemptions").map(|m| m.parse().unwrap()),
                    redeem_by: form.get("redeem_by").map(|m| m.parse().unwrap()),
                    times_redeemed: 0,
                };
                let id = format!("coupon_{}m_{}", months.unwrap_or(0), st.id("c"));
                let mut coupon = fixture("coupon_comp.json");
                coupon["id"] = json!(id);
                coupon["duration"] = json!(made.duration);
                coupon["duration_in_months"] = json!(months);
                coupon["percent_off"] = json!(made.percent_off);
                coupon["amount_off"] = json!(made.amount_off);
                coupon["currency"] = json!(form.get("currency"));
                coupon["max_redemptions"] = json!(made.max_redemptions);
                coupon["redeem_by"] = json!(made.redeem_by);
                coupon["name"] = json!(form.get("name"));
                st.coupons.insert(id, made);
                Ok(coupon)
            }
            ("POST", ["promotion_codes"]) => self.create_promo(&mut st, &form),
            ("POST", ["promotion_codes", id]) => {
                let id = (*id).to_owned();
                match st.promos.get_mut(&id) {
                    Some(p) => {
                        if let Some(active) = form.get("active") {
                            p.active = active == "true";
                        }
                        let p = p.clone();
                        Ok(render_promo(&id, &p))
                    }
                    None => {
                        Err(stripe_error(404, "invalid_request_error", "resource_missing", "No such promotion code"))
                    }
                }
            }
            ("POST", ["checkout", "sessions"]) => match form.get("customer") {
                Some(customer) if !st.customers.contains_key(customer) => Err(stripe_error(
                    400,
                    "invalid_request_error",
                    "resource_missing",
                    &format!("No such customer: '{customer}'"),
                )),
                customer => {
                    let mut session = fixture("checkout_session_setup.json");
                    session["customer"] = json!(customer);
                    Ok(session)
                }
            },
            _ => Err(stripe_error(
                404,
                "invalid_request_error",
                "resource_missing",
                &format!("no fake for {method} {path}"),
            )),
        };
        let (status, value) = match answer {
            Ok(v) => (200, v),
            Err(e) => e,
        };
        if let Some(k) = key {
            st.keys.insert(k, (fingerprint, status, value.clone()));
        }
        (status, value)
    }

    fn create_customer(&self, st: &mut State, form: &Form) -> Answer {
        let id = st.id("cus");
        let tenant = form.get("metadata[tenant_id]").unwrap_or_default().to_owned();
        st.customers.insert(id.clone(), (tenant, None));
        let mut customer = fixture("customer.json");
        customer["id"] = json!(id);
        Ok(customer)
    }

    fn card(st: &State, customer: &str) -> bool {
        st.customers.get(customer).and_then(|(_, c)| *c) == Some(true)
    }

    fn create_subscription(&self, st: &mut State, form: &Form) -> Answer {
        let now = self.now();
        let customer = form.get("customer").unwrap_or_default().to_owned();
        let items = form.items("items");
        let mut every = Every::Month;
        let mut extra = 0;
        for (_, price, qty) in &items {
            let (base, e) = price_kind(price.as_deref().unwrap_or_default());
            every = e;
            if !base {
                extra = qty.unwrap_or(1);
            }
        }
        let id = st.id("sub");
        let mut sub = Sub {
            id: id.clone(),
            customer: customer.clone(),
            status: "active",
            every,
            extra,
            period: (now, every.add(now)),
            trial: None,
            cancel_at_period_end: false,
            metadata: BTreeMap::new(),
            schedule: None,
            latest_invoice: None,
            pending: None,
            trial_will_end_sent: false,
            first_failure: None,
            retries: 0,
            next_retry: None,
            paused: false,
            comp: None,
            discount: None,
        };
        if let Some(end) = form.get("trial_end") {
            let end: i64 = end.parse().unwrap();
            sub.status = "trialing";
            sub.trial = Some((now, end));
            sub.period = (now, end);
        } else {
            if !Self::card(st, &customer) {
                return Err(stripe_error(402, "card_error", "card_declined", "Your card was declined."));
            }
            let lines = full_lines(every, extra, sub.period);
            sub.latest_invoice = Some(self.invoice(st, &sub, &lines, "paid", "subscription_create"));
        }
        st.subs.insert(id.clone(), sub);
        self.emit_sub(st, &id, "customer.subscription.created", self.now());
        self.render_sub(st, &id, false)
    }

    fn emit_sub(&self, st: &mut State, id: &str, kind: &str, at: i64) {
        if let Ok(object) = self.render_sub(st, id, false) {
            st.outbox.push((kind.to_owned(), object, at));
        }
    }

    fn emit_invoice(st: &mut State, id: &str, kind: &str, at: i64) {
        if let Some((_, v)) = st.invoices.iter().find(|(_, v)| v["id"] == json!(id)) {
            let v = v.clone();
            st.outbox.push((kind.to_owned(), v, at));
        }
    }

    /// What `form` would do to `sub` now: the subscription after it and the invoice lines.
    fn plan(&self, sub: &Sub, form: &Form) -> Result<(Sub, Vec<Line>), (u16, Value)> {
        let now = self.now();
        let at: i64 = form.get("proration_date").map_or(now, |d| d.parse().unwrap());
        let mut next = sub.clone();
        for (_, price, qty) in form.items("items") {
            if let Some(p) = &price {
                let (base, e) = price_kind(p);
                next.every = e;
                if !base && let Some(q) = qty {
                    next.extra = q;
                }
            } else if let Some(q) = qty {
                next.extra = q;
            }
        }
        if let Some(c) = form.get("cancel_at_period_end") {
            if sub.schedule.is_some() {
                return Err(stripe_error(
                    400,
                    "invalid_request_error",
                    "parameter_invalid",
                    "The subscription is managed by a subscription schedule; update the schedule instead.",
                ));
            }
            next.cancel_at_period_end = c == "true";
        }
        match form.get("pause_collection[behavior]") {
            Some("void") => next.paused = true,
            Some(other) => panic!("the fake knows pause_collection[behavior]=void only, not {other}"),
            None if form.0.iter().any(|(k, v)| k == "pause_collection" && v.is_empty()) => next.paused = false,
            None => {}
        }
        if let Some(coupon) = form.get("discounts[0][coupon]") {
            let months = st_coupon_months(coupon);
            next.comp = Some((coupon.to_owned(), add_months(now, months)));
        }
        for (k, v) in &form.0 {
            if let Some(name) = k.strip_prefix("metadata[").and_then(|r| r.strip_suffix(']')) {
                if v.is_empty() {
                    next.metadata.remove(name);
                } else {
                    next.metadata.insert(name.to_owned(), v.clone());
                }
            }
        }
        let mut lines = Vec::new();
        match form.get("trial_end") {
            Some("now") => {
                next.status = "active";
                next.trial = None;
                next.period = (now, next.every.add(now));
                lines = full_lines(next.every, next.extra, next.period);
            }
            Some(ts) => {
                let end: i64 = ts.parse().unwrap();
                next.trial = next.trial.map(|(s, _)| (s, end));
                next.period = (next.period.0, end);
            }
            None if sub.status == "trialing" => {}
            None if form.get("billing_cycle_anchor[type]") == Some("now") => {
                lines.push(credit(true, sub.every, 1, sub.period, at));
                if sub.extra > 0 {
                    lines.push(credit(false, sub.every, sub.extra, sub.period, at));
                }
                next.period = (now, next.every.add(now));
                lines.extend(full_lines(next.every, next.extra, next.period));
            }
            None if form.get("proration_behavior") == Some("always_invoice") && next.extra != sub.extra => {
                if sub.extra > 0 {
                    lines.push(credit(false, sub.every, sub.extra, sub.period, at));
                }
                let amount = prorate(sub.every.seat(), next.extra, sub.period, at);
                lines.push(Line {
                    base: false,
                    every: sub.every,
                    qty: next.extra,
                    amount,
                    proration: true,
                    period: (at, sub.period.1),
                });
            }
            None => {}
        }
        Ok((next, lines))
    }

    fn update_subscription(&self, st: &mut State, id: &str, form: &Form) -> Answer {
        let Some(sub) = st.subs.get(id).cloned() else {
            return Err(stripe_error(404, "invalid_request_error", "resource_missing", "No such subscription"));
        };
        let (mut next, lines) = self.plan(&sub, form)?;
        if let Some(promo) = form.get("discounts[0][promotion_code]") {
            // The discounts list is replaced: a comp's coupon goes.
            next.discount = Some(self.redeem(st, promo, &sub.customer)?);
            next.comp = None;
        } else if next.comp.is_some() && form.get("discounts[0][coupon]").is_some() {
            next.discount = None;
        }
        let total: i64 = lines.iter().map(|l| l.amount).sum();
        if !lines.is_empty() {
            if total > 0 && !Self::card(st, &sub.customer) {
                match form.get("payment_behavior") {
                    Some("pending_if_incomplete") => {
                        let mut kept = sub.clone();
                        kept.pending = Some(next.extra);
                        kept.latest_invoice = Some(self.invoice(st, &sub, &lines, "open", "subscription_update"));
                        st.subs.insert(id.to_owned(), kept);
                        let answer = self.render_sub(st, id, false);
                        if let Some(s) = st.subs.get_mut(id) {
                            s.pending = None;
                        }
                        return answer;
                    }
                    _ => return Err(stripe_error(402, "card_error", "card_declined", "Your card was declined.")),
                }
            }
            let discount = Self::take_discount(&mut next, &lines, self.now());
            let made = self.invoice_with(st, &next, &lines, discount, "paid", "subscription_update", self.now());
            next.latest_invoice = Some(made);
        }
        let invoice = (!lines.is_empty()).then(|| next.latest_invoice.clone()).flatten();
        st.subs.insert(id.to_owned(), next);
        self.emit_sub(st, id, "customer.subscription.updated", self.now());
        if let Some(invoice) = invoice {
            Self::emit_invoice(st, &invoice, "invoice.paid", self.now());
        }
        self.render_sub(st, id, false)
    }

    fn preview(&self, st: &State, form: &Form) -> Answer {
        let details = form.details();
        let lines = match form.get("subscription") {
            // The subscription's upcoming invoice (no change asked), as `step` will
            // make it: the trial's end or the renewal, with the schedule's next phase.
            Some(id)
                if details.items("items").is_empty()
                    && form.get("subscription_details[cancel_at_period_end]").is_none() =>
            {
                let sub = st.subs.get(id).ok_or_else(|| {
                    stripe_error(404, "invalid_request_error", "resource_missing", "No such subscription")
                })?;
                let start = match (sub.status, sub.trial) {
                    ("trialing", Some((_, end))) => end,
                    ("active", _) if !sub.cancel_at_period_end => sub.period.1,
                    _ => {
                        return Err(stripe_error(
                            400,
                            "invalid_request_error",
                            "invoice_upcoming_none",
                            "No upcoming invoices for customer",
                        ));
                    }
                };
                let phase = sub
                    .schedule
                    .as_ref()
                    .and_then(|s| st.schedules.get(s))
                    .and_then(|(_, ps)| ps.iter().find(|p| p.start == start))
                    .map_or((sub.every, sub.extra), |p| (p.every, p.extra));
                full_lines(phase.0, phase.1, (start, phase.0.add(start)))
            }
            Some(id) => {
                let sub = st.subs.get(id).ok_or_else(|| {
                    stripe_error(404, "invalid_request_error", "resource_missing", "No such subscription")
                })?;
                let (_, lines) = self.plan(sub, &details)?;
                lines
            }
            None => {
                let now = self.now();
                let mut every = Every::Month;
                let mut extra = 0;
                for (_, price, qty) in details.items("items") {
                    let (base, e) = price_kind(price.as_deref().unwrap_or_default());
                    every = e;
                    if !base {
                        extra = qty.unwrap_or(0);
                    }
                }
                full_lines(every, extra, (now, every.add(now)))
            }
        };
        let sub = form.get("subscription").and_then(|id| st.subs.get(id)).cloned();
        // The discount: one asked for (`discounts[0][promotion_code]`), else the subscription's.
        let at = lines.iter().map(|l| l.period.0).min().unwrap_or(self.now());
        let asked = match form.get("discounts[0][promotion_code]") {
            Some(promo) => {
                let customer = sub.as_ref().map(|s| s.customer.clone()).unwrap_or_default();
                Some(self.redeemable(st, promo, &customer)?)
            }
            None => None,
        };
        let discount = asked
            .or_else(|| sub.as_ref().and_then(|s| s.discount.clone()))
            .filter(|d| d.applies(at))
            .map_or(0, |d| d.amount(&lines));
        Ok(render_invoice(
            "upcoming_in_preview",
            form.get("customer")
                .map(str::to_owned)
                .or_else(|| sub.as_ref().map(|s| s.customer.clone()))
                .unwrap_or_default()
                .as_str(),
            sub.as_ref().map(|s| s.id.as_str()),
            &lines,
            discount,
            "draft",
            "upcoming",
            self.now(),
        ))
    }

    fn invoice(&self, st: &mut State, sub: &Sub, lines: &[Line], status: &str, reason: &str) -> String {
        self.invoice_at(st, sub, lines, status, reason, self.now())
    }

    fn invoice_at(&self, st: &mut State, sub: &Sub, lines: &[Line], status: &str, reason: &str, at: i64) -> String {
        self.invoice_with(st, sub, lines, 0, status, reason, at)
    }

    #[allow(clippy::too_many_arguments)]
    fn invoice_with(
        &self,
        st: &mut State,
        sub: &Sub,
        lines: &[Line],
        discount: i64,
        status: &str,
        reason: &str,
        at: i64,
    ) -> String {
        let id = st.id("in");
        let value = render_invoice(&id, &sub.customer, Some(&sub.id), lines, discount, status, reason, at);
        st.invoices.push((sub.customer.clone(), value));
        id
    }

    /// The discount of `lines` invoiced at `at` on `sub` (0 without one); a
    /// one-time discount is used up, one past its end goes.
    fn take_discount(sub: &mut Sub, lines: &[Line], at: i64) -> i64 {
        let Some(d) = sub.discount.clone() else { return 0 };
        if !d.applies(at) {
            sub.discount = None;
            return 0;
        }
        if d.coupon.duration == "once" {
            sub.discount = None;
        }
        d.amount(lines)
    }

    /// The promotion code `promo` and its coupon as a discount starting now,
    /// if `customer` may redeem it (Stripe's checks), counting nothing.
    fn redeemable(&self, st: &State, promo: &str, customer: &str) -> Result<Discount, (u16, Value)> {
        let now = self.now();
        let refuse = |message: &str| stripe_error(400, "invalid_request_error", "promotion_code_invalid", message);
        let p = st.promos.get(promo).ok_or_else(|| refuse("No such promotion code"))?;
        let coupon = st.coupons.get(&p.coupon).ok_or_else(|| refuse("No such coupon"))?;
        if !p.active || p.expires_at.is_some_and(|at| now > at) || coupon.redeem_by.is_some_and(|at| now > at) {
            return Err(refuse("This promotion code is not active"));
        }
        if p.max_redemptions.is_some_and(|m| p.times_redeemed >= m)
            || coupon.max_redemptions.is_some_and(|m| coupon.times_redeemed >= m)
        {
            return Err(refuse("This promotion code has been used up"));
        }
        let paid_before = st.invoices.iter().any(|(c, v)| c == customer && v["amount_paid"].as_i64().unwrap_or(0) > 0);
        if p.first_time && paid_before {
            return Err(refuse("This promotion code is for first-time customers"));
        }
        let end = match (coupon.duration.as_str(), coupon.months) {
            ("repeating", Some(m)) => Some(add_months(now, m)),
            _ => None,
        };
        Ok(Discount { id: format!("di_{promo}_{now}"), coupon: coupon.clone(), end })
    }

    /// Redeems `promo` for `customer`: counted on the code and its coupon.
    fn redeem(&self, st: &mut State, promo: &str, customer: &str) -> Result<Discount, (u16, Value)> {
        let d = self.redeemable(st, promo, customer)?;
        if let Some(p) = st.promos.get_mut(promo) {
            p.times_redeemed += 1;
            let coupon = p.coupon.clone();
            if let Some(c) = st.coupons.get_mut(&coupon) {
                c.times_redeemed += 1;
            }
        }
        Ok(d)
    }

    fn create_promo(&self, st: &mut State, form: &Form) -> Answer {
        let coupon = form.get("promotion[coupon]").unwrap_or_default().to_owned();
        assert_eq!(form.get("promotion[type]"), Some("coupon"), "rc.10 names the promotion's type");
        if !st.coupons.contains_key(&coupon) {
            return Err(stripe_error(400, "invalid_request_error", "resource_missing", "No such coupon"));
        }
        let code = form.get("code").unwrap_or_default().to_owned();
        if st.promos.values().any(|p| p.code == code && p.active) {
            return Err(stripe_error(400, "invalid_request_error", "duplicate", "An active promotion code exists"));
        }
        let promo = FakePromo {
            code,
            coupon,
            first_time: form.get("restrictions[first_time_transaction]") == Some("true"),
            max_redemptions: form.get("max_redemptions").map(|m| m.parse().unwrap()),
            expires_at: form.get("expires_at").map(|m| m.parse().unwrap()),
            times_redeemed: 0,
            active: true,
        };
        let id = st.id("promo");
        let value = render_promo(&id, &promo);
        st.promos.insert(id, promo);
        Ok(value)
    }

    fn create_schedule(&self, st: &mut State, form: &Form) -> Answer {
        let sub_id = form.get("from_subscription").unwrap_or_default().to_owned();
        let sub =
            st.subs.get(&sub_id).cloned().ok_or_else(|| {
                stripe_error(404, "invalid_request_error", "resource_missing", "No such subscription")
            })?;
        let id = st.id("sub_sched");
        st.schedules.insert(
            id.clone(),
            (
                sub_id.clone(),
                vec![Phase { start: sub.period.0, end: sub.period.1, every: sub.every, extra: sub.extra }],
            ),
        );
        if let Some(s) = st.subs.get_mut(&sub_id) {
            s.schedule = Some(id.clone());
        }
        self.render_schedule(st, &id)
    }

    fn update_schedule(&self, st: &mut State, id: &str, form: &Form) -> Answer {
        let mut phases = Vec::new();
        let mut previous_end = 0;
        for i in 0.. {
            let items = form.items(&format!("phases[{i}][items]"));
            if items.is_empty() {
                break;
            }
            let mut every = Every::Month;
            let mut extra = 0;
            for (_, price, qty) in items {
                let (base, e) = price_kind(price.as_deref().unwrap_or_default());
                every = e;
                if !base {
                    extra = qty.unwrap_or(0);
                }
            }
            let start = form.get(&format!("phases[{i}][start_date]")).map_or(previous_end, |s| s.parse().unwrap());
            let end = match form.get(&format!("phases[{i}][end_date]")) {
                Some(e) => e.parse().unwrap(),
                None => every.add(start),
            };
            previous_end = end;
            phases.push(Phase { start, end, every, extra });
        }
        match st.schedules.get_mut(id) {
            Some((_, p)) => *p = phases,
            None => return Err(stripe_error(404, "invalid_request_error", "resource_missing", "No such schedule")),
        }
        self.render_schedule(st, id)
    }

    fn render_schedule(&self, st: &State, id: &str) -> Answer {
        let (sub, phases) = st
            .schedules
            .get(id)
            .ok_or_else(|| stripe_error(404, "invalid_request_error", "resource_missing", "No such schedule"))?;
        let mut value = fixture("subscription_schedule.json");
        let template = value["phases"][0].clone();
        value["id"] = json!(id);
        value["subscription"] = json!(sub);
        value["customer"] = json!(st.subs.get(sub).map(|s| s.customer.clone()));
        value["phases"] = json!(
            phases
                .iter()
                .map(|p| {
                    let mut phase = template.clone();
                    phase["start_date"] = json!(p.start);
                    phase["end_date"] = json!(p.end);
                    let item = phase["items"][0].clone();
                    let items: Vec<Value> = [(true, 1), (false, p.extra)]
                        .iter()
                        .map(|(base, qty)| {
                            let mut it = item.clone();
                            it["price"] = json!(price_id(*base, p.every));
                            it["plan"] = json!(price_id(*base, p.every));
                            it["quantity"] = json!(qty);
                            it
                        })
                        .collect();
                    phase["items"] = json!(items);
                    phase
                })
                .collect::<Vec<_>>()
        );
        value["current_phase"] = json!({"start_date": phases[0].start, "end_date": phases[0].end});
        Ok(value)
    }

    fn render_sub(&self, st: &State, id: &str, expand_schedule: bool) -> Answer {
        let sub = st
            .subs
            .get(id)
            .ok_or_else(|| stripe_error(404, "invalid_request_error", "resource_missing", "No such subscription"))?;
        let mut value = fixture("subscription_active.json");
        let prices = fixture("prices_list.json");
        let item_template = value["items"]["data"][1].clone();
        let price_object =
            |pid: &str| prices["data"].as_array().unwrap().iter().find(|p| p["id"] == pid).cloned().unwrap();
        let item = |base: bool, qty: u64| {
            let pid = price_id(base, sub.every);
            let mut it = item_template.clone();
            it["id"] = json!(format!("si_{}_{}", if base { "base" } else { "seat" }, sub.id));
            it["price"] = price_object(&pid);
            let mut plan = it["plan"].clone();
            plan["id"] = json!(pid);
            plan["amount"] = json!(if base { sub.every.base() } else { sub.every.seat() });
            plan["amount_decimal"] = json!(plan["amount"].to_string());
            plan["interval"] = json!(sub.every.name());
            it["plan"] = plan;
            it["quantity"] = json!(qty);
            it["subscription"] = json!(sub.id);
            it["current_period_start"] = json!(sub.period.0);
            it["current_period_end"] = json!(sub.period.1);
            it
        };
        value["id"] = json!(sub.id);
        value["customer"] = json!(sub.customer);
        value["status"] = json!(sub.status);
        value["items"]["data"] = json!([item(true, 1), item(false, sub.extra)]);
        value["items"]["url"] = json!(format!("/v1/subscription_items?subscription={}", sub.id));
        value["billing_cycle_anchor"] = json!(sub.period.0);
        value["trial_start"] = json!(sub.trial.map(|t| t.0));
        value["trial_end"] = json!(sub.trial.map(|t| t.1));
        value["cancel_at_period_end"] = json!(sub.cancel_at_period_end);
        value["cancel_at"] = json!(sub.cancel_at_period_end.then_some(sub.period.1));
        value["metadata"] = json!(sub.metadata);
        value["pause_collection"] =
            if sub.paused { json!({"behavior": "void", "resumes_at": null}) } else { Value::Null };
        value["discounts"] = json!(
            sub.comp
                .iter()
                .map(|(c, _)| format!("di_{c}"))
                .chain(sub.discount.iter().map(|d| d.id.clone()))
                .collect::<Vec<_>>()
        );
        value["schedule"] = match (&sub.schedule, expand_schedule) {
            (Some(s), true) => self.render_schedule(st, s)?,
            (Some(s), false) => json!(s),
            (None, _) => Value::Null,
        };
        value["latest_invoice"] = match &sub.latest_invoice {
            Some(i) => {
                st.invoices.iter().find(|(_, v)| v["id"] == json!(i)).map(|(_, v)| v.clone()).unwrap_or(Value::Null)
            }
            None => Value::Null,
        };
        value["pending_update"] = match sub.pending {
            Some(q) => {
                let mut p = fixture("subscription_pending_update.json")["pending_update"].clone();
                p["subscription_items"] = json!([item(true, 1), item(false, q)]);
                p
            }
            None => Value::Null,
        };
        Ok(value)
    }
}

fn credit(base: bool, every: Every, qty: u64, period: (i64, i64), at: i64) -> Line {
    let unit = if base { every.base() } else { every.seat() };
    Line { base, every, qty, amount: -prorate(unit, qty, period, at), proration: true, period: (at, period.1) }
}

fn full_lines(every: Every, extra: u64, period: (i64, i64)) -> Vec<Line> {
    let mut lines = vec![Line { base: true, every, qty: 1, amount: every.base(), proration: false, period }];
    if extra > 0 {
        lines.push(Line {
            base: false,
            every,
            qty: extra,
            amount: every.seat() * i64::try_from(extra).unwrap(),
            proration: false,
            period,
        });
    }
    lines
}

#[allow(clippy::too_many_arguments)]
fn render_invoice(
    id: &str,
    customer: &str,
    sub: Option<&str>,
    lines: &[Line],
    discount: i64,
    status: &str,
    reason: &str,
    now: i64,
) -> Value {
    let mut value = fixture("invoice_proration_paid.json");
    let template = value["lines"]["data"][0].clone();
    let subtotal: i64 = lines.iter().map(|l| l.amount).sum();
    let total = subtotal - discount;
    let paid = if status == "paid" { total.max(0) } else { 0 };
    value["id"] = json!(id);
    value["customer"] = json!(customer);
    value["status"] = json!(status);
    value["billing_reason"] = json!(reason);
    value["created"] = json!(now);
    for field in ["subtotal", "subtotal_excluding_tax"] {
        value[field] = json!(subtotal);
    }
    for field in ["total", "total_excluding_tax"] {
        value[field] = json!(total);
    }
    value["total_discount_amounts"] =
        if discount == 0 { json!([]) } else { json!([{"amount": discount, "discount": format!("di_{id}")}]) };
    value["amount_due"] = json!(total.max(0));
    value["amount_paid"] = json!(paid);
    value["amount_remaining"] = json!(total.max(0) - paid);
    value["starting_balance"] = json!(0);
    value["ending_balance"] = json!(total.min(0));
    value["period_start"] = json!(lines.iter().map(|l| l.period.0).min().unwrap_or(now));
    value["period_end"] = json!(lines.iter().map(|l| l.period.1).max().unwrap_or(now));
    value["parent"]["subscription_details"]["subscription"] = json!(sub);
    value["lines"]["data"] = json!(
        lines
            .iter()
            .enumerate()
            .map(|(i, l)| {
                let mut line = template.clone();
                line["id"] = json!(format!("il_{id}_{i}"));
                line["invoice"] = json!(id);
                line["amount"] = json!(l.amount);
                line["subtotal"] = json!(l.amount);
                line["quantity"] = json!(l.qty);
                line["description"] =
                    json!(format!("{} × {} ({})", l.qty, if l.base { "base" } else { "seat" }, l.every.name()));
                line["period"] = json!({"start": l.period.0, "end": l.period.1});
                line["pricing"]["price_details"]["price"] = json!(price_id(l.base, l.every));
                line["pricing"]["unit_amount_decimal"] = json!(l.amount.to_string());
                line["parent"]["subscription_item_details"]["proration"] = json!(l.proration);
                line["parent"]["subscription_item_details"]["subscription"] = json!(sub);
                line
            })
            .collect::<Vec<_>>()
    );
    value["lines"]["total_count"] = json!(lines.len());
    value
}

impl Respond for FakeStripe {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let (status, body) = self.handle(request);
        ResponseTemplate::new(status).set_body_raw(body.to_string(), "application/json")
    }
}

/// When the fake's clock is a test clock.
pub fn at(ts: DateTime<Utc>) -> i64 {
    ts.timestamp()
}

/// The months of a coupon this fake made (`coupon_{months}m_…`).
fn st_coupon_months(id: &str) -> i64 {
    id.strip_prefix("coupon_").and_then(|r| r.split_once("m_")).and_then(|(m, _)| m.parse().ok()).unwrap_or(1)
}

/// `at` plus `months` calendar months (as Stripe counts a repeating coupon).
fn add_months(at: i64, months: i64) -> i64 {
    let start = chrono::DateTime::from_timestamp(at, 0).unwrap();
    start.checked_add_months(chrono::Months::new(u32::try_from(months).unwrap())).unwrap().timestamp()
}

fn render_promo(id: &str, p: &FakePromo) -> Value {
    let mut value = fixture("promotion_code.json");
    value["id"] = json!(id);
    value["code"] = json!(p.code);
    value["active"] = json!(p.active);
    value["promotion"]["coupon"] = json!(p.coupon);
    value["restrictions"]["first_time_transaction"] = json!(p.first_time);
    value["max_redemptions"] = json!(p.max_redemptions);
    value["expires_at"] = json!(p.expires_at);
    value["times_redeemed"] = json!(p.times_redeemed);
    value
}

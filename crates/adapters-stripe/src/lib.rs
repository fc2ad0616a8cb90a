//! tenantry's Stripe adapter: the [`PaymentProvider`] port on async-stripe
//! 1.0 (rc.10), the catalog sync ([`catalog::sync_catalog`]) and the
//! signature-verified webhooks mapped onto the port's provider-neutral
//! [`BillingEvent`](tenantry_ports::payment::BillingEvent)s ([`webhook`]).
//!
//! The billing model of DESIGN.md maps onto Stripe as: a customer per tenant
//! (tenant id in metadata); one subscription with two items, the base price
//! (quantity 1) and the extra-seat price (quantity = seats − included), pinned
//! to the `flexible` billing mode; the trial as a Stripe trial that cancels
//! when no payment method is on file; seat additions invoiced at once with
//! `always_invoice` + `pending_if_incomplete`; reductions and yearly → monthly
//! as the next phase of a subscription schedule (docs/decisions/0012).
//!
//! The secret key lives in a [`SecretString`] and only reaches the client's
//! `Authorization` header (marked sensitive there); [`StripeConfig`]'s `Debug`
//! redacts it.

#![forbid(unsafe_code)]

pub mod catalog;
mod convert;
mod errors;
mod schedule;
pub mod webhook;

use crate::catalog::{PriceIds, PriceKind};
use crate::convert::{NEXT_EXTRA_SEATS, NEXT_INTERVAL};
use crate::errors::{payment_error, unexpected};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};
use std::collections::HashMap;
use std::sync::Arc;
use stripe::{Client, ClientBuilder, RequestStrategy, StripeRequest};
use stripe_billing::billing_portal_session::CreateBillingPortalSession;
use stripe_billing::invoice::CreatePreviewInvoiceDiscounts;
use stripe_billing::invoice::{
    CreatePreviewInvoice, CreatePreviewInvoiceAutomaticTax, CreatePreviewInvoiceSubscriptionDetails,
    CreatePreviewInvoiceSubscriptionDetailsBillingCycleAnchor,
    CreatePreviewInvoiceSubscriptionDetailsBillingCycleAnchorType, CreatePreviewInvoiceSubscriptionDetailsItems,
    CreatePreviewInvoiceSubscriptionDetailsProrationBehavior, CreatePreviewInvoiceSubscriptionDetailsTrialEnd,
    ListInvoice,
};
use stripe_billing::subscription::{
    CancelSubscription, CreateSubscription, CreateSubscriptionAutomaticTax, CreateSubscriptionBillingMode,
    CreateSubscriptionBillingModeType, CreateSubscriptionItems, CreateSubscriptionPaymentBehavior,
    CreateSubscriptionTrialEnd, CreateSubscriptionTrialSettings, CreateSubscriptionTrialSettingsEndBehavior,
    CreateSubscriptionTrialSettingsEndBehaviorMissingPaymentMethod, RetrieveSubscription, UpdateSubscription,
    UpdateSubscriptionBillingCycleAnchor, UpdateSubscriptionBillingCycleAnchorType, UpdateSubscriptionItems,
    UpdateSubscriptionPauseCollection, UpdateSubscriptionPauseCollectionBehavior, UpdateSubscriptionPaymentBehavior,
    UpdateSubscriptionProrationBehavior, UpdateSubscriptionTrialEnd,
};
use stripe_billing::tax_id::{CreateCustomerTaxId, CreateCustomerTaxIdType, ListCustomerTaxId};
use stripe_checkout::checkout_session::CreateCheckoutSession;
use stripe_core::customer::{
    CreateCustomer, CreateCustomerTaxIdData, CreateCustomerTaxIdDataType, OptionalFieldsCustomerAddress, UpdateCustomer,
};
use stripe_product::coupon::CreateCoupon;
use stripe_product::promotion_code::{
    CreatePromotionCode, CreatePromotionCodePromotion, CreatePromotionCodePromotionType,
    CreatePromotionCodeRestrictions, UpdatePromotionCode,
};
use stripe_shared::{CheckoutSessionMode, Subscription, SubscriptionSchedule};
use tenantry_domain::Interval;
use tenantry_domain::discount::{AppliedDiscount, CouponRecord, DiscountDuration, Off, PromotionCodeRecord};
use tenantry_domain::plan::PlanCatalog;
use tenantry_domain::proration::ChargePreview;
use tenantry_domain::subscription::ProviderStatus;
use tenantry_ports::payment::{
    ChangeOutcome, ChangeRequest, CustomerDetails, HostedSession, IdempotencyKey, Invoice, PaymentError,
    PaymentProvider, ProviderChange, ProviderSubscription, ReturnPath, UpcomingInvoice,
};
use tenantry_ports::system::Clock;

/// How to reach Stripe.
#[derive(Clone)]
pub struct StripeConfig {
    /// `sk_live_...` / `sk_test_...` (or a restricted key).
    pub secret_key: SecretString,
    /// The webhook endpoint's signing secret (`whsec_...`).
    pub webhook_secret: SecretString,
    /// Another API base (tests point it at an in-process fake); Stripe's by default.
    pub api_base: Option<String>,
    /// Where the service is reachable from browsers (`https://app.example.com`):
    /// hosted pages return there. Relative return URLs are joined to it.
    pub public_url: Option<String>,
    /// Stripe Tax computes the tax on subscriptions and previews.
    pub automatic_tax: bool,
}

impl std::fmt::Debug for StripeConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StripeConfig")
            .field("secret_key", &"[redacted]")
            .field("webhook_secret", &"[redacted]")
            .field("api_base", &self.api_base)
            .field("public_url", &self.public_url)
            .field("automatic_tax", &self.automatic_tax)
            .finish()
    }
}

impl StripeConfig {
    /// The async-stripe client this configuration describes.
    pub fn client(&self) -> Result<Client, PaymentError> {
        let mut builder = ClientBuilder::new(self.secret_key.expose_secret()).app_info(
            "tenantry",
            Some(env!("CARGO_PKG_VERSION").to_owned()),
            None,
        );
        if let Some(base) = &self.api_base {
            let base = if base.ends_with('/') { base.clone() } else { format!("{base}/") };
            builder = builder.url(base);
        }
        builder.build().map_err(|e| PaymentError::Rejected(format!("the Stripe configuration is not usable: {e}")))
    }
}

/// How far Stripe's clock may be ahead of ours when a proration date is
/// checked (the service allows a client the same).
const CLOCK_SKEW: chrono::Duration = chrono::Duration::seconds(300);

/// The payment provider on Stripe.
pub struct StripeProvider {
    client: Client,
    prices: PriceIds,
    portal: Option<String>,
    catalog: PlanCatalog,
    config: StripeConfig,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for StripeProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StripeProvider").field("prices", &self.prices).field("config", &self.config).finish()
    }
}

fn key_strategy(key: &IdempotencyKey) -> Result<RequestStrategy, PaymentError> {
    stripe::IdempotencyKey::new(&key.0)
        .map(RequestStrategy::Idempotent)
        .map_err(|e| PaymentError::Rejected(format!("idempotency key: {e}")))
}

/// A derived key for the second and later Stripe calls one port call makes.
fn sub_key(key: &IdempotencyKey, step: &str) -> IdempotencyKey {
    IdempotencyKey(format!("{}:{step}", key.0))
}

/// 16 hex digits of SHA-256 of a value's JSON: names a request in a key.
fn fingerprint(value: &impl serde::Serialize) -> String {
    use sha2::Digest;
    let bytes = serde_json::to_vec(value).unwrap_or_default();
    let digest = sha2::Sha256::digest(&bytes);
    hex::encode(digest.get(..8).unwrap_or_default())
}

fn stripe_interval(interval: Interval) -> &'static str {
    interval.as_str()
}

impl StripeProvider {
    /// Connects: finds the catalog's four prices (and the portal configuration)
    /// by lookup key. Fails with a clear message when `tenantry stripe
    /// sync-catalog` has not been run.
    pub async fn connect(
        config: StripeConfig,
        catalog: PlanCatalog,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, PaymentError> {
        let client = config.client()?;
        let prices = PriceIds::load(&client).await?;
        let portal = catalog::portal_configuration(&client).await?;
        Ok(Self { client, prices, portal, catalog, config, clock })
    }

    /// A provider with known price ids (tests; no lookup at start).
    pub fn with_prices(
        config: StripeConfig,
        catalog: PlanCatalog,
        prices: PriceIds,
        portal: Option<String>,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, PaymentError> {
        Ok(Self { client: config.client()?, prices, portal, catalog, config, clock })
    }

    /// The client (for the webhook's follow-up calls).
    pub(crate) fn client(&self) -> &Client {
        &self.client
    }

    /// Hosted sessions are keyed per customer and minute: a retried request
    /// (a double click, a lost answer) gets the same page, a later one a new page.
    fn session_key(&self, what: &str, customer: &str) -> String {
        format!("tenantry:{what}:{customer}:{}", self.clock.now().timestamp() / 60)
    }

    fn price(&self, kind: PriceKind) -> String {
        self.prices.id(kind).to_owned()
    }

    /// The return path as the absolute address Stripe's hosted pages need.
    fn absolute(&self, path: &ReturnPath) -> Result<String, PaymentError> {
        match &self.config.public_url {
            Some(base) => Ok(format!("{}{path}", base.trim_end_matches('/'))),
            None => Err(PaymentError::Rejected(
                "hosted Stripe pages need an absolute return address: set TENANTRY_PUBLIC_URL".into(),
            )),
        }
    }

    /// The subscription with its schedule expanded.
    pub(crate) async fn fetch(
        &self,
        id: &str,
    ) -> Result<Option<(Subscription, Option<SubscriptionSchedule>)>, PaymentError> {
        match RetrieveSubscription::new(id).expand(vec!["schedule".to_owned()]).send(&self.client).await {
            Ok(sub) => {
                let schedule = match &sub.schedule {
                    Some(s) => match s.as_object() {
                        Some(obj) => Some(obj.clone()),
                        None => Some(schedule::retrieve(&self.client, s.id().as_str()).await?),
                    },
                    None => None,
                };
                Ok(Some((sub, schedule)))
            }
            Err(e) => match payment_error(e) {
                PaymentError::NotFound => Ok(None),
                other => Err(other),
            },
        }
    }

    pub(crate) fn snapshot(
        &self,
        sub: &Subscription,
        schedule: Option<&SubscriptionSchedule>,
        observed_at: DateTime<Utc>,
    ) -> Result<ProviderSubscription, PaymentError> {
        convert::provider_subscription(sub, schedule, &self.prices, observed_at)
    }

    /// A proration date lies in the current period and not after now (the
    /// port's rule, the simulator's too): a date still to come would price a
    /// change at a moment that has not happened yet. Stripe's clock and ours
    /// may differ by a little (a period that Stripe just started can begin a
    /// moment "after" our now): [`CLOCK_SKEW`] of that is allowed.
    fn check_proration_date(&self, sub: &Subscription, at: DateTime<Utc>) -> Result<(), PaymentError> {
        let period = convert::current_period(sub)?;
        if at < period.start() || at >= period.end() {
            return Err(PaymentError::Rejected("the proration date lies outside the current period".into()));
        }
        if at > self.clock.now() + CLOCK_SKEW {
            return Err(PaymentError::Rejected("the proration date lies in the future".into()));
        }
        Ok(())
    }

    async fn current(&self, id: &str) -> Result<(Subscription, Option<SubscriptionSchedule>), PaymentError> {
        self.fetch(id).await?.ok_or(PaymentError::NotFound)
    }

    fn create_items(&self, interval: Interval, extra_seats: u32) -> Vec<CreateSubscriptionItems> {
        let mut base = CreateSubscriptionItems::new();
        base.price = Some(self.price(PriceKind::Base(interval)));
        base.quantity = Some(1);
        let mut seat = CreateSubscriptionItems::new();
        seat.price = Some(self.price(PriceKind::Seat(interval)));
        seat.quantity = Some(u64::from(extra_seats));
        vec![base, seat]
    }

    /// Items of an update: the base and seat items moved to `interval`'s
    /// prices, with `extra_seats` on the seat item (added if missing).
    fn update_items(
        &self,
        sub: &Subscription,
        interval: Option<Interval>,
        extra_seats: Option<u32>,
    ) -> Result<Vec<UpdateSubscriptionItems>, PaymentError> {
        let (base_id, seat_id) = convert::item_ids(sub, &self.prices)?;
        let (current_interval, current_extra) = convert::interval_and_extra(
            &self.prices,
            sub.items.data.iter().map(|i| (i.price.id.as_str(), i.quantity)),
        )?;
        let mut items = Vec::new();
        if let Some(i) = interval {
            let mut base = UpdateSubscriptionItems::new();
            base.id = Some(base_id);
            base.price = Some(self.price(PriceKind::Base(i)));
            base.quantity = Some(1);
            items.push(base);
        }
        if interval.is_some() || extra_seats.is_some() {
            let mut seat = UpdateSubscriptionItems::new();
            // A new price moves the item; a missing seat item is added at the current interval.
            if interval.is_some() || seat_id.is_none() {
                seat.price = Some(self.price(PriceKind::Seat(interval.unwrap_or(current_interval))));
            }
            seat.id = seat_id;
            seat.quantity = Some(u64::from(extra_seats.unwrap_or(current_extra)));
            items.push(seat);
        }
        Ok(items)
    }

    fn preview_items(
        &self,
        sub: &Subscription,
        interval: Option<Interval>,
        extra_seats: Option<u32>,
    ) -> Result<Vec<CreatePreviewInvoiceSubscriptionDetailsItems>, PaymentError> {
        Ok(self
            .update_items(sub, interval, extra_seats)?
            .into_iter()
            .map(|u| {
                let mut p = CreatePreviewInvoiceSubscriptionDetailsItems::new();
                p.id = u.id;
                p.price = u.price;
                p.quantity = u.quantity;
                p
            })
            .collect())
    }

    /// Sends an update and reads the answer: a pending update (the payment of
    /// `pending_if_incomplete` failed) is a refusal, and Stripe kept the
    /// subscription as it was.
    async fn update(
        &self,
        update: UpdateSubscription,
        key: &IdempotencyKey,
    ) -> Result<(Subscription, Option<Invoice>), PaymentError> {
        let sub = update
            .expand(vec!["latest_invoice".to_owned()])
            .customize()
            .request_strategy(key_strategy(key)?)
            .send(&self.client)
            .await
            .map_err(payment_error)?;
        let latest = sub.latest_invoice.as_ref().and_then(|i| i.as_object()).map(convert::invoice).transpose()?;
        if sub.pending_update.is_some() {
            return Err(PaymentError::CardDeclined(
                "the payment failed; the subscription is unchanged (update the payment method and try again)".into(),
            ));
        }
        Ok((sub, latest))
    }

    /// The invoice a change issued now: the latest invoice, if this change created it.
    fn issued_now(before: &Subscription, after: &Subscription, latest: Option<Invoice>) -> Option<Invoice> {
        let before_id = before.latest_invoice.as_ref().and_then(|i| i.id().as_ref().map(|id| id.to_string()));
        let after_id = after.latest_invoice.as_ref().and_then(|i| i.id().as_ref().map(|id| id.to_string()));
        if after_id.is_some() && after_id != before_id { latest } else { None }
    }

    /// The invoice a prorated change at `at` issued: the latest invoice when
    /// this change created it — or, on a retry with the same idempotency key
    /// (Stripe answers the first response again, and the subscription read
    /// before already shows that invoice), when its proration lines start at
    /// `at`, so that a retried change reports the charge it made once.
    fn issued_at(
        before: &Subscription,
        after: &Subscription,
        latest: Option<Invoice>,
        at: DateTime<Utc>,
    ) -> Option<Invoice> {
        let prorated_at = |i: &Invoice| {
            i.lines
                .iter()
                .any(|l| l.proration && l.period.as_ref().is_some_and(|p| p.start().timestamp() == at.timestamp()))
        };
        if latest.as_ref().is_some_and(prorated_at) { latest } else { Self::issued_now(before, after, latest) }
    }

    async fn outcome(&self, id: &str, invoice: Option<Invoice>) -> Result<ChangeOutcome, PaymentError> {
        let (sub, schedule) = self.current(id).await?;
        Ok(ChangeOutcome { subscription: self.snapshot(&sub, schedule.as_ref(), self.clock.now())?, invoice })
    }

    /// Makes the next period (interval, extra seats) what `next` says: a
    /// schedule whose second phase holds it, or none when it equals the current one.
    async fn set_next_period(
        &self,
        sub: &Subscription,
        schedule: Option<&SubscriptionSchedule>,
        next: (Interval, u32),
        key: &IdempotencyKey,
    ) -> Result<(), PaymentError> {
        let period = convert::current_period(sub)?;
        let current = convert::interval_and_extra(
            &self.prices,
            sub.items.data.iter().map(|i| (i.price.id.as_str(), i.quantity)),
        )?;
        if next == current {
            if let Some(s) = schedule {
                schedule::release(&self.client, s.id.as_str(), &sub_key(key, "release")).await?;
            }
            return Ok(());
        }
        let id = match schedule {
            Some(s) => s.id.to_string(),
            None => schedule::create_from(&self.client, sub.id.as_str(), &sub_key(key, "schedule")).await?,
        };
        let phases = schedule::two_phases(&self.prices, period, current, next)?;
        schedule::update(&self.client, &id, phases, &sub_key(key, "phases")).await
    }

    fn next_of(
        &self,
        sub: &Subscription,
        schedule: Option<&SubscriptionSchedule>,
    ) -> Result<(Interval, u32), PaymentError> {
        let snap = self.snapshot(sub, schedule, self.clock.now())?.snapshot;
        Ok((snap.interval_next_period, snap.extra_seats_next_period))
    }
}

impl StripeProvider {
    /// Ends the subscription at the period's end (`cancel`) or withdraws that.
    /// Stripe refuses `cancel_at_period_end` on a subscription a schedule
    /// manages: the schedule goes, its next period remembered in the metadata
    /// and set up again when the cancellation is withdrawn.
    async fn cancel_at_period_end(
        &self,
        sub: &Subscription,
        schedule: Option<&SubscriptionSchedule>,
        cancel: bool,
        key: &IdempotencyKey,
    ) -> Result<(), PaymentError> {
        let base = UpdateSubscription::new(sub.id.as_str());
        if cancel {
            let current = self.snapshot(sub, schedule, self.clock.now())?.snapshot;
            let mut metadata = HashMap::new();
            if let Some(s) = schedule {
                metadata.insert(NEXT_INTERVAL.to_owned(), stripe_interval(current.interval_next_period).to_owned());
                metadata.insert(NEXT_EXTRA_SEATS.to_owned(), current.extra_seats_next_period.to_string());
                schedule::release(&self.client, s.id.as_str(), &sub_key(key, "release")).await?;
            }
            self.update(base.cancel_at_period_end(true).metadata(metadata), key).await?;
        } else {
            let remembered = convert::remembered_next(sub);
            let cleared = HashMap::from([
                (NEXT_INTERVAL.to_owned(), String::new()),
                (NEXT_EXTRA_SEATS.to_owned(), String::new()),
            ]);
            let (after, _) = self.update(base.cancel_at_period_end(false).metadata(cleared), key).await?;
            if let Some(next) = remembered {
                self.set_next_period(&after, None, next, key).await?;
            }
        }
        Ok(())
    }

    /// Pauses collection (`pause_collection[behavior]=void`: each invoice is
    /// voided) or resumes it (the empty value, [`ResumeCollection`]).
    async fn set_collection(&self, id: &str, paused: bool, key: &IdempotencyKey) -> Result<(), PaymentError> {
        if paused {
            let pause = UpdateSubscriptionPauseCollection::new(UpdateSubscriptionPauseCollectionBehavior::Void);
            self.update(UpdateSubscription::new(id).pause_collection(pause), key).await?;
        } else {
            // rc.10's builder cannot send the empty value that clears it.
            ResumeCollection(id.to_owned())
                .customize()
                .request_strategy(key_strategy(key)?)
                .send(&self.client)
                .await
                .map_err(payment_error)?;
        }
        Ok(())
    }

    /// The plan free for `months` months from `at`: a 100 % coupon repeating
    /// for them, on the subscription, its end in the metadata.
    async fn comp(&self, id: &str, months: u32, at: DateTime<Utc>, key: &IdempotencyKey) -> Result<(), PaymentError> {
        let until = at
            .checked_add_months(chrono::Months::new(months))
            .ok_or_else(|| PaymentError::Rejected("the comp ends too late".into()))?;
        let coupon = CreateCoupon::new()
            .percent_off(100.0)
            .duration(stripe_shared::CouponDuration::Repeating)
            .duration_in_months(i64::from(months))
            .name(format!("tenantry: free for {months} months"))
            .customize()
            .request_strategy(key_strategy(&sub_key(key, "coupon"))?)
            .send(&self.client)
            .await
            .map_err(payment_error)?;
        let discount = stripe_billing::subscription::DiscountsDataParam {
            coupon: Some(coupon.id.to_string()),
            ..Default::default()
        };
        // A comp replaces the subscription's discounts (a promotion code's too).
        let metadata = HashMap::from([
            (convert::FREE_UNTIL.to_owned(), until.timestamp().to_string()),
            (convert::DISCOUNT.to_owned(), String::new()),
        ]);
        self.update(UpdateSubscription::new(id).discounts(vec![discount]).metadata(metadata), key).await?;
        Ok(())
    }
}

/// `POST /v1/subscriptions/{id}` with `pause_collection=` (empty): resumes
/// collection. async-stripe rc.10 has no way to send the empty value Stripe
/// needs to clear the field, so this one request is written out on its
/// request builder (its parameters are checked against a fixture like the others).
struct ResumeCollection(String);

impl StripeRequest for ResumeCollection {
    type Output = Subscription;

    fn build(&self) -> stripe_client_core::RequestBuilder {
        stripe_client_core::RequestBuilder::new(
            stripe_client_core::StripeMethod::Post,
            format!("/subscriptions/{}", self.0),
        )
        .form(&ClearPauseCollection { pause_collection: "" })
    }
}

/// The form of [`ResumeCollection`]: `pause_collection=`.
#[derive(serde::Serialize)]
struct ClearPauseCollection {
    pause_collection: &'static str,
}

#[async_trait]
impl PaymentProvider for StripeProvider {
    async fn create_customer(&self, details: &CustomerDetails, key: &IdempotencyKey) -> Result<String, PaymentError> {
        let mut request = CreateCustomer::new()
            .name(details.name.clone())
            .email(details.email.to_string())
            .metadata(HashMap::from([("tenant_id".to_owned(), details.tenant_id.to_string())]));
        if let Some(country) = &details.country {
            let mut address = OptionalFieldsCustomerAddress::new();
            address.country = Some(country.as_str().to_owned());
            request = request.address(address);
        }
        if let Some(vat) = &details.vat_id {
            request = request
                .tax_id_data(vec![CreateCustomerTaxIdData::new(CreateCustomerTaxIdDataType::EuVat, vat.as_str())]);
        }
        let customer =
            request.customize().request_strategy(key_strategy(key)?).send(&self.client).await.map_err(payment_error)?;
        Ok(customer.id.to_string())
    }

    async fn update_customer(&self, customer: &str, details: &CustomerDetails) -> Result<(), PaymentError> {
        let mut request = UpdateCustomer::new(customer).name(details.name.clone()).email(details.email.to_string());
        if let Some(country) = &details.country {
            let mut address = OptionalFieldsCustomerAddress::new();
            address.country = Some(country.as_str().to_owned());
            request = request.address(address);
        }
        // Keyed by the update itself: a retry of the same update is applied once.
        let update_key = format!(
            "tenantry:customer:{customer}:{}",
            fingerprint(&(details.name.as_str(), details.email.as_str(), details.country.as_ref().map(|c| c.as_str())))
        );
        request
            .customize()
            .request_strategy(catalog::keyed(&update_key)?)
            .send(&self.client)
            .await
            .map_err(payment_error)?;
        // A new VAT id is added to the customer's tax ids (Stripe keeps the
        // earlier ones; invoices show every id on file).
        if let Some(vat) = &details.vat_id {
            let known = ListCustomerTaxId::new(customer).send(&self.client).await.map_err(payment_error)?;
            if !known.data.iter().any(|t| t.value == vat.as_str()) {
                CreateCustomerTaxId::new(customer, CreateCustomerTaxIdType::EuVat, vat.as_str())
                    .customize()
                    .request_strategy(catalog::keyed(&format!("tenantry:tax-id:{customer}:{}", vat.as_str()))?)
                    .send(&self.client)
                    .await
                    .map_err(payment_error)?;
            }
        }
        Ok(())
    }

    async fn start_trial(
        &self,
        customer: &str,
        trial_end: DateTime<Utc>,
        interval: Interval,
        key: &IdempotencyKey,
    ) -> Result<ProviderSubscription, PaymentError> {
        let mut end = CreateSubscriptionTrialSettingsEndBehavior::new();
        end.missing_payment_method = Some(CreateSubscriptionTrialSettingsEndBehaviorMissingPaymentMethod::Cancel);
        let sub = CreateSubscription::new()
            .customer(customer)
            .items(self.create_items(interval, 0))
            .trial_end(CreateSubscriptionTrialEnd::Timestamp(trial_end.timestamp()))
            .trial_settings(CreateSubscriptionTrialSettings::new(end))
            .billing_mode(CreateSubscriptionBillingMode::new(CreateSubscriptionBillingModeType::Flexible))
            .automatic_tax(CreateSubscriptionAutomaticTax::new(self.config.automatic_tax))
            .metadata(HashMap::from([("tenantry".to_owned(), "standard".to_owned())]))
            .customize()
            .request_strategy(key_strategy(key)?)
            .send(&self.client)
            .await
            .map_err(payment_error)?;
        self.snapshot(&sub, None, self.clock.now())
    }

    async fn start_subscription(
        &self,
        customer: &str,
        interval: Interval,
        extra_seats: u32,
        key: &IdempotencyKey,
    ) -> Result<ChangeOutcome, PaymentError> {
        let sub = CreateSubscription::new()
            .customer(customer)
            .items(self.create_items(interval, extra_seats))
            .payment_behavior(CreateSubscriptionPaymentBehavior::ErrorIfIncomplete)
            .billing_mode(CreateSubscriptionBillingMode::new(CreateSubscriptionBillingModeType::Flexible))
            .automatic_tax(CreateSubscriptionAutomaticTax::new(self.config.automatic_tax))
            .metadata(HashMap::from([("tenantry".to_owned(), "standard".to_owned())]))
            .expand(vec!["latest_invoice".to_owned()])
            .customize()
            .request_strategy(key_strategy(key)?)
            .send(&self.client)
            .await
            .map_err(payment_error)?;
        let invoice = sub.latest_invoice.as_ref().and_then(|i| i.as_object()).map(convert::invoice).transpose()?;
        Ok(ChangeOutcome { subscription: self.snapshot(&sub, None, self.clock.now())?, invoice })
    }

    async fn subscription(&self, id: &str) -> Result<Option<ProviderSubscription>, PaymentError> {
        match self.fetch(id).await? {
            Some((sub, schedule)) => Ok(Some(self.snapshot(&sub, schedule.as_ref(), self.clock.now())?)),
            None => Ok(None),
        }
    }

    async fn preview_change(&self, request: &ChangeRequest) -> Result<ChargePreview, PaymentError> {
        let (sub, _) = self.current(&request.subscription).await?;
        let period = convert::current_period(&sub)?;
        let at = request.proration_date;
        self.check_proration_date(&sub, at)?;
        let mut details = CreatePreviewInvoiceSubscriptionDetails::new();
        details.proration_date = Some(at.timestamp());
        details.proration_behavior = Some(CreatePreviewInvoiceSubscriptionDetailsProrationBehavior::AlwaysInvoice);
        match request.change {
            ProviderChange::IncreaseSeats { to_extra, .. } => {
                details.items = Some(self.preview_items(&sub, None, Some(to_extra))?);
            }
            ProviderChange::IntervalNow { to, extra_seats } => {
                details.items = Some(self.preview_items(&sub, Some(to), Some(extra_seats))?);
                details.billing_cycle_anchor = Some(CreatePreviewInvoiceSubscriptionDetailsBillingCycleAnchor::new(
                    CreatePreviewInvoiceSubscriptionDetailsBillingCycleAnchorType::Now,
                ));
            }
            ProviderChange::EndTrialNow { interval, extra_seats } => {
                details.items = Some(self.preview_items(&sub, Some(interval), Some(extra_seats))?);
                details.trial_end = Some(CreatePreviewInvoiceSubscriptionDetailsTrialEnd::Now);
            }
            ProviderChange::ScheduleSeats { .. } | ProviderChange::ScheduleInterval { .. } => {
                return Ok(ChargePreview::scheduled(self.catalog.currency, at, period.end()));
            }
            ProviderChange::TrialSeats { .. }
            | ProviderChange::TrialSettings { .. }
            | ProviderChange::TrialEnd { .. }
            | ProviderChange::CancelAtPeriodEnd { .. }
            | ProviderChange::PauseCollection { .. }
            | ProviderChange::Comp { .. } => {
                return Ok(ChargePreview::scheduled(self.catalog.currency, at, at));
            }
        }
        let invoice = CreatePreviewInvoice::new()
            .automatic_tax(CreatePreviewInvoiceAutomaticTax::new(self.config.automatic_tax))
            .subscription(request.subscription.clone())
            .subscription_details(details)
            .send(&self.client)
            .await
            .map_err(payment_error)?;
        convert::preview(&invoice, &self.prices, &self.catalog, at)
    }

    async fn preview_subscription(
        &self,
        customer: &str,
        interval: Interval,
        extra_seats: u32,
        at: DateTime<Utc>,
    ) -> Result<ChargePreview, PaymentError> {
        let mut details = CreatePreviewInvoiceSubscriptionDetails::new();
        details.items = Some(
            self.create_items(interval, extra_seats)
                .into_iter()
                .map(|c| {
                    let mut p = CreatePreviewInvoiceSubscriptionDetailsItems::new();
                    p.price = c.price;
                    p.quantity = c.quantity;
                    p
                })
                .collect(),
        );
        let invoice = CreatePreviewInvoice::new()
            .automatic_tax(CreatePreviewInvoiceAutomaticTax::new(self.config.automatic_tax))
            .customer(customer)
            .subscription_details(details)
            .send(&self.client)
            .await
            .map_err(payment_error)?;
        convert::preview(&invoice, &self.prices, &self.catalog, at)
    }

    async fn change(&self, request: &ChangeRequest, key: &IdempotencyKey) -> Result<ChangeOutcome, PaymentError> {
        if let ProviderChange::Comp { months } = request.change
            && !(1..=36).contains(&months)
        {
            return Err(PaymentError::Rejected("a comp lasts 1 to 36 months".into()));
        }
        let id = request.subscription.as_str();
        let (sub, schedule) = self.current(id).await?;
        let at = request.proration_date;
        let trialing = sub.status == stripe_shared::SubscriptionStatus::Trialing;
        let base = || UpdateSubscription::new(id);
        match request.change {
            ProviderChange::TrialSeats { extra_seats } => {
                if !trialing {
                    return Err(PaymentError::Rejected("not trialing".into()));
                }
                let update = base()
                    .items(self.update_items(&sub, None, Some(extra_seats))?)
                    .proration_behavior(UpdateSubscriptionProrationBehavior::None);
                self.update(update, key).await?;
                self.outcome(id, None).await
            }
            ProviderChange::TrialSettings { interval, cancel_at_trial_end } => {
                if !trialing {
                    return Err(PaymentError::Rejected("not trialing".into()));
                }
                let update = base()
                    .items(self.update_items(&sub, Some(interval), None)?)
                    .cancel_at_period_end(cancel_at_trial_end)
                    .proration_behavior(UpdateSubscriptionProrationBehavior::None);
                self.update(update, key).await?;
                self.outcome(id, None).await
            }
            ProviderChange::TrialEnd { ends_at } => {
                if !trialing {
                    return Err(PaymentError::Rejected("not trialing".into()));
                }
                let update = base()
                    .trial_end(UpdateSubscriptionTrialEnd::Timestamp(ends_at.timestamp()))
                    .proration_behavior(UpdateSubscriptionProrationBehavior::None);
                self.update(update, key).await?;
                self.outcome(id, None).await
            }
            ProviderChange::EndTrialNow { interval, extra_seats } => {
                // error_if_incomplete: a refused first payment changes nothing
                // (the trial goes on as it was).
                let update = base()
                    .items(self.update_items(&sub, Some(interval), Some(extra_seats))?)
                    .trial_end(UpdateSubscriptionTrialEnd::Now)
                    .cancel_at_period_end(false)
                    .payment_behavior(UpdateSubscriptionPaymentBehavior::ErrorIfIncomplete)
                    .proration_behavior(UpdateSubscriptionProrationBehavior::AlwaysInvoice);
                let (after, latest) = self.update(update, key).await?;
                let invoice = Self::issued_now(&sub, &after, latest);
                self.outcome(id, invoice).await
            }
            ProviderChange::IncreaseSeats { to_extra, .. } => {
                self.check_proration_date(&sub, at)?;
                let next_interval = self.next_of(&sub, schedule.as_ref())?.0;
                let update = base()
                    .items(self.update_items(&sub, None, Some(to_extra))?)
                    .proration_behavior(UpdateSubscriptionProrationBehavior::AlwaysInvoice)
                    .proration_date(at.timestamp())
                    .payment_behavior(UpdateSubscriptionPaymentBehavior::PendingIfIncomplete);
                let (after, latest) = self.update(update, key).await?;
                let invoice = Self::issued_at(&sub, &after, latest, at);
                // The added seats hold for the next period too (a scheduled
                // reduction is withdrawn); a scheduled interval change stays.
                if let Err(e) = self.set_next_period(&after, schedule.as_ref(), (next_interval, to_extra), key).await {
                    tracing::error!(subscription = %id, error = %e, "seats added, but the next period's schedule was not updated");
                }
                self.outcome(id, invoice).await
            }
            ProviderChange::ScheduleSeats { extra_seats_next_period } => {
                let (current_extra, next_interval) = {
                    let snap = self.snapshot(&sub, schedule.as_ref(), self.clock.now())?.snapshot;
                    (snap.extra_seats, snap.interval_next_period)
                };
                if extra_seats_next_period > current_extra {
                    return Err(PaymentError::Rejected("a scheduled quantity cannot exceed the current one".into()));
                }
                self.set_next_period(&sub, schedule.as_ref(), (next_interval, extra_seats_next_period), key).await?;
                self.outcome(id, None).await
            }
            ProviderChange::ScheduleInterval { to } => {
                let next_extra = self.next_of(&sub, schedule.as_ref())?.1;
                self.set_next_period(&sub, schedule.as_ref(), (to, next_extra), key).await?;
                self.outcome(id, None).await
            }
            ProviderChange::IntervalNow { to, extra_seats } => {
                self.check_proration_date(&sub, at)?;
                if let Some(s) = &schedule {
                    schedule::release(&self.client, s.id.as_str(), &sub_key(key, "release")).await?;
                }
                let update = base()
                    .items(self.update_items(&sub, Some(to), Some(extra_seats))?)
                    .billing_cycle_anchor(UpdateSubscriptionBillingCycleAnchor::new(
                        UpdateSubscriptionBillingCycleAnchorType::Now,
                    ))
                    .proration_behavior(UpdateSubscriptionProrationBehavior::AlwaysInvoice)
                    .proration_date(at.timestamp())
                    .payment_behavior(UpdateSubscriptionPaymentBehavior::PendingIfIncomplete);
                match self.update(update, key).await {
                    Ok((after, latest)) => {
                        let invoice = Self::issued_at(&sub, &after, latest, at);
                        self.outcome(id, invoice).await
                    }
                    Err(e) => {
                        // Refused: put the released schedule back as it was.
                        if let Some(s) = &schedule {
                            let next = self.next_of(&sub, Some(s))?;
                            if let Err(restore) = self.set_next_period(&sub, None, next, &sub_key(key, "restore")).await
                            {
                                tracing::error!(subscription = %id, error = %restore, "the next period's schedule could not be restored");
                            }
                        }
                        Err(e)
                    }
                }
            }
            ProviderChange::CancelAtPeriodEnd { cancel } => {
                if trialing {
                    return Err(PaymentError::Rejected("use the trial settings during the trial".into()));
                }
                self.cancel_at_period_end(&sub, schedule.as_ref(), cancel, key).await?;
                self.outcome(id, None).await
            }
            ProviderChange::PauseCollection { paused } => {
                if trialing {
                    return Err(PaymentError::Rejected("only a paid subscription's collection pauses".into()));
                }
                self.set_collection(id, paused, key).await?;
                self.outcome(id, None).await
            }
            ProviderChange::Comp { months } => {
                if trialing {
                    return Err(PaymentError::Rejected("only a paid subscription is comped".into()));
                }
                self.comp(id, months, at, key).await?;
                self.outcome(id, None).await
            }
        }
    }

    async fn cancel_now(&self, subscription: &str, key: &IdempotencyKey) -> Result<(), PaymentError> {
        match self.fetch(subscription).await? {
            None => return Err(PaymentError::NotFound),
            Some((sub, _))
                if self.snapshot(&sub, None, self.clock.now())?.snapshot.status == ProviderStatus::Canceled =>
            {
                return Ok(());
            }
            Some(_) => {}
        }
        CancelSubscription::new(subscription)
            .prorate(false)
            .invoice_now(false)
            .customize()
            .request_strategy(key_strategy(key)?)
            .send(&self.client)
            .await
            .map_err(payment_error)?;
        Ok(())
    }

    async fn checkout_session(&self, customer: &str, return_to: &ReturnPath) -> Result<HostedSession, PaymentError> {
        let back = self.absolute(return_to)?;
        let session = CreateCheckoutSession::new()
            .mode(CheckoutSessionMode::Setup)
            .customer(customer)
            .currency(catalog::currency(&self.catalog)?)
            .success_url(back)
            .customize()
            .request_strategy(catalog::keyed(&self.session_key("checkout", customer))?)
            .send(&self.client)
            .await
            .map_err(payment_error)?;
        let url = session.url.clone().ok_or_else(|| unexpected("a Checkout session without a url"))?;
        Ok(HostedSession { id: session.id.to_string(), url })
    }

    async fn portal_session(&self, customer: &str, return_to: &ReturnPath) -> Result<HostedSession, PaymentError> {
        let back = self.absolute(return_to)?;
        let configuration = self.portal.clone().ok_or_else(|| {
            PaymentError::Rejected(
                "the Customer Portal configuration is missing; run `tenantry stripe sync-catalog`".into(),
            )
        })?;
        let session = CreateBillingPortalSession::new()
            .customer(customer)
            .configuration(configuration)
            .return_url(back)
            .customize()
            .request_strategy(catalog::keyed(&self.session_key("portal", customer))?)
            .send(&self.client)
            .await
            .map_err(payment_error)?;
        Ok(HostedSession { id: session.id.to_string(), url: session.url.clone() })
    }

    async fn invoices(&self, customer: &str) -> Result<Vec<Invoice>, PaymentError> {
        let list = ListInvoice::new().customer(customer).limit(100).send(&self.client).await.map_err(payment_error)?;
        let mut invoices =
            list.data.iter().filter(|i| i.id.is_some()).map(convert::invoice).collect::<Result<Vec<_>, _>>()?;
        invoices.sort_by(|a, b| (b.created_at, &b.id).cmp(&(a.created_at, &a.id)));
        Ok(invoices)
    }

    async fn upcoming_invoice(&self, subscription: &str) -> Result<Option<UpcomingInvoice>, PaymentError> {
        let Some((sub, _)) = self.fetch(subscription).await? else { return Ok(None) };
        // Stripe has no upcoming invoice for these (its preview answers an error).
        let coming = matches!(
            sub.status,
            stripe_shared::SubscriptionStatus::Trialing | stripe_shared::SubscriptionStatus::Active
        ) && !sub.cancel_at_period_end;
        if !coming {
            return Ok(None);
        }
        let invoice = CreatePreviewInvoice::new()
            .automatic_tax(CreatePreviewInvoiceAutomaticTax::new(self.config.automatic_tax))
            .subscription(subscription)
            .send(&self.client)
            .await
            .map_err(payment_error)?;
        convert::upcoming(&invoice, &self.prices, &self.catalog).map(Some)
    }

    async fn preview_discount(
        &self,
        subscription: &str,
        code: &str,
        _discount: &AppliedDiscount,
    ) -> Result<Option<UpcomingInvoice>, PaymentError> {
        let Some((sub, _)) = self.fetch(subscription).await? else { return Ok(None) };
        let coming = matches!(
            sub.status,
            stripe_shared::SubscriptionStatus::Trialing
                | stripe_shared::SubscriptionStatus::Active
                | stripe_shared::SubscriptionStatus::PastDue
        ) && !sub.cancel_at_period_end;
        if !coming {
            return Ok(None);
        }
        let discount = CreatePreviewInvoiceDiscounts {
            promotion_code: Some(code.to_owned()),
            ..CreatePreviewInvoiceDiscounts::new()
        };
        let invoice = CreatePreviewInvoice::new()
            .automatic_tax(CreatePreviewInvoiceAutomaticTax::new(self.config.automatic_tax))
            .subscription(subscription)
            .discounts(vec![discount])
            .send(&self.client)
            .await
            .map_err(payment_error)?;
        convert::upcoming(&invoice, &self.prices, &self.catalog).map(Some)
    }

    async fn create_coupon(&self, coupon: &CouponRecord, key: &IdempotencyKey) -> Result<String, PaymentError> {
        let mut create = CreateCoupon::new()
            .name(coupon.name.clone())
            .metadata(HashMap::from([("tenantry_coupon".to_owned(), coupon.id.to_string())]));
        create = match coupon.coupon.off {
            Off::Percent { basis_points } => create.percent_off(f64::from(basis_points) / 100.0),
            Off::Amount { amount } => create.amount_off(amount.cents()).currency(catalog::currency(&self.catalog)?),
        };
        create = match coupon.coupon.duration {
            DiscountDuration::Once => create.duration(stripe_shared::CouponDuration::Once),
            DiscountDuration::Forever => create.duration(stripe_shared::CouponDuration::Forever),
            DiscountDuration::Repeating { months } => {
                create.duration(stripe_shared::CouponDuration::Repeating).duration_in_months(i64::from(months))
            }
        };
        if let Some(max) = coupon.coupon.max_redemptions {
            create = create.max_redemptions(i64::from(max));
        }
        if let Some(at) = coupon.coupon.redeem_by {
            create = create.redeem_by(at.timestamp());
        }
        let made =
            create.customize().request_strategy(key_strategy(key)?).send(&self.client).await.map_err(payment_error)?;
        Ok(made.id.to_string())
    }

    async fn create_promotion_code(
        &self,
        code: &PromotionCodeRecord,
        coupon: &str,
        key: &IdempotencyKey,
    ) -> Result<String, PaymentError> {
        let promotion = CreatePromotionCodePromotion {
            coupon: Some(coupon.to_owned()),
            ..CreatePromotionCodePromotion::new(CreatePromotionCodePromotionType::Coupon)
        };
        let mut create = CreatePromotionCode::new(promotion)
            .code(code.promotion.code.clone())
            .metadata(HashMap::from([("tenantry_promotion_code".to_owned(), code.id.to_string())]));
        if code.promotion.first_time_only {
            let restrictions =
                CreatePromotionCodeRestrictions { first_time_transaction: Some(true), ..Default::default() };
            create = create.restrictions(restrictions);
        }
        if let Some(max) = code.promotion.max_redemptions {
            create = create.max_redemptions(i64::from(max));
        }
        if let Some(at) = code.promotion.expires_at {
            create = create.expires_at(at.timestamp());
        }
        let made =
            create.customize().request_strategy(key_strategy(key)?).send(&self.client).await.map_err(payment_error)?;
        Ok(made.id.to_string())
    }

    async fn set_promotion_code_active(
        &self,
        code: &str,
        active: bool,
        key: &IdempotencyKey,
    ) -> Result<(), PaymentError> {
        UpdatePromotionCode::new(code)
            .active(active)
            .customize()
            .request_strategy(key_strategy(key)?)
            .send(&self.client)
            .await
            .map_err(payment_error)?;
        Ok(())
    }

    async fn apply_discount(
        &self,
        subscription: &str,
        code: &str,
        discount: &AppliedDiscount,
        key: &IdempotencyKey,
    ) -> Result<ProviderSubscription, PaymentError> {
        let data = stripe_billing::subscription::DiscountsDataParam {
            promotion_code: Some(code.to_owned()),
            ..Default::default()
        };
        let recorded = serde_json::to_string(discount).map_err(|e| unexpected(e.to_string()))?;
        // The discount replaces a comp's coupon, as the discounts list is replaced.
        let metadata =
            HashMap::from([(convert::DISCOUNT.to_owned(), recorded), (convert::FREE_UNTIL.to_owned(), String::new())]);
        self.update(UpdateSubscription::new(subscription).discounts(vec![data]).metadata(metadata), key).await?;
        // Read again with its schedule: a scheduled change of the next period stays in the snapshot.
        Ok(self.outcome(subscription, None).await?.subscription)
    }
}

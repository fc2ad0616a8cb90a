//! The payment provider port (Stripe in production, the local billing simulator
//! for the embedded default and tests) and the provider-neutral billing events.
//!
//! **Who owns time** (DESIGN.md section 3): the provider owns the money timeline
//! — trial end, renewals, payment retries — and reports it as [`BillingEvent`]s;
//! tenantry decides what each state means. Both implementations MUST follow the
//! billing model: per interval a base price (quantity 1, includes the included
//! seats) and an extra-seat price (quantity = seats − included, never negative);
//! a seat change is a quantity change of the extra-seat item only.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tenantry_domain::proration::ChargePreview;
use tenantry_domain::subscription::ProviderSnapshot;
use tenantry_domain::text::{CountryCode, VatId};
use tenantry_domain::{Email, Interval, Money, Period, TenantId};

/// What the provider needs to know about a tenant as a customer.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct CustomerDetails {
    /// Stored in the customer's metadata.
    pub tenant_id: TenantId,
    /// Legal or company name.
    pub name: String,
    /// Where invoices go.
    pub email: Email,
    /// Billing country (for tax).
    pub country: Option<CountryCode>,
    /// VAT id.
    pub vat_id: Option<VatId>,
}

/// The provider's subscription: its id, customer and state.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct ProviderSubscription {
    /// Provider id (`sub_...`).
    pub id: String,
    /// Provider customer id (`cus_...`).
    pub customer: String,
    /// The state in tenantry's terms.
    pub snapshot: ProviderSnapshot,
}

/// A change to an existing provider subscription.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ProviderChange {
    /// During the trial: the extra-seat quantity to bill at conversion (no charge now).
    TrialSeats {
        /// Extra seats.
        extra_seats: u32,
    },
    /// During the trial: the interval to convert to, and whether to end
    /// (become freemium) at the trial end instead.
    TrialSettings {
        /// Interval after the trial.
        interval: Interval,
        /// Cancel at the trial end ("continue free").
        cancel_at_trial_end: bool,
    },
    /// During the trial: move its end (the superuser's extension).
    TrialEnd {
        /// The new end.
        ends_at: DateTime<Utc>,
    },
    /// During the trial: end it now and start the paid period at once (the
    /// first period is invoiced and charged now, the billing date is today); a
    /// declined payment MUST leave the trial as it was.
    EndTrialNow {
        /// Interval of the paid plan.
        interval: Interval,
        /// Extra seats.
        extra_seats: u32,
    },
    /// Raise the extra-seat quantity now: prorated and invoiced at once; a
    /// declined payment MUST leave the quantity unchanged (pending-if-incomplete).
    IncreaseSeats {
        /// Extra seats before.
        from_extra: u32,
        /// Extra seats after.
        to_extra: u32,
    },
    /// Set the extra-seat quantity of the next period (a reduction, or back to
    /// the current quantity to withdraw one). No charge now.
    ScheduleSeats {
        /// Extra seats from the next period.
        extra_seats_next_period: u32,
    },
    /// Switch interval now: unused time credited, the new interval charged in
    /// full, the billing date moves to the proration date.
    IntervalNow {
        /// New interval.
        to: Interval,
        /// Extra seats.
        extra_seats: u32,
    },
    /// The interval from the next period (back to the current one withdraws a change).
    ScheduleInterval {
        /// Interval from the next period.
        to: Interval,
    },
    /// End at the period end (`true`) or withdraw that (`false`).
    CancelAtPeriodEnd {
        /// Whether to end.
        cancel: bool,
    },
    /// Pause collecting the invoices (`true`: each is voided, nothing is
    /// charged; Stripe's `pause_collection: {behavior: void}`) or resume
    /// (`false`). No charge now.
    PauseCollection {
        /// Whether paused.
        paused: bool,
    },
    /// The paid plan free for `months` months from now (a 100 % discount with
    /// that duration; Stripe: a coupon). No charge now.
    Comp {
        /// 1 to 36.
        months: u32,
    },
}

/// A change request; `proration_date` is the instant the amounts are computed
/// for (the preview's, echoed).
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct ChangeRequest {
    /// The provider subscription.
    pub subscription: String,
    /// The change.
    pub change: ProviderChange,
    /// The proration instant.
    pub proration_date: DateTime<Utc>,
}

/// A change's result: the subscription after it and the invoice it produced.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct ChangeOutcome {
    /// The subscription after the change.
    pub subscription: ProviderSubscription,
    /// The invoice issued now, if any.
    pub invoice: Option<Invoice>,
}

/// Invoice status.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum InvoiceStatus {
    /// Not finalised.
    Draft,
    /// Finalised, awaiting payment.
    Open,
    /// Paid (or settled by balance / carry-over).
    Paid,
    /// Voided.
    Void,
    /// Given up.
    Uncollectible,
}

/// One invoice line.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InvoiceLine {
    /// Human description.
    pub description: String,
    /// Quantity.
    pub quantity: u32,
    /// Amount (negative for credits).
    pub amount: Money,
    /// Whether it is a proration.
    pub proration: bool,
    /// The time it covers.
    pub period: Option<Period>,
}

/// An invoice, as the provider issued it (cached locally per tenant).
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Invoice {
    /// Provider id (`in_...`).
    pub id: String,
    /// Printed number.
    pub number: Option<String>,
    /// Status.
    pub status: InvoiceStatus,
    /// Sum of lines before discounts and tax.
    pub subtotal: Money,
    /// A promotion code's discount taken off the subtotal (`None`: none).
    #[serde(default)]
    pub discount: Option<Money>,
    /// Tax.
    pub tax: Money,
    /// Subtotal − discount + tax.
    pub total: Money,
    /// Carried over from earlier invoices (positive: owed; negative: credit applied).
    pub starting_balance: Money,
    /// Collected.
    pub amount_paid: Money,
    /// Still due.
    pub amount_due: Money,
    /// Carried to the next invoice (below the minimum charge, or credit left).
    pub carried_over: Money,
    /// When issued.
    pub created_at: DateTime<Utc>,
    /// The service period.
    pub period: Option<Period>,
    /// Lines.
    pub lines: Vec<InvoiceLine>,
    /// A page to view and pay it.
    pub hosted_url: Option<String>,
    /// PDF.
    pub pdf_url: Option<String>,
}

/// The next invoice of a subscription as the provider would make it now
/// (Stripe's upcoming-invoice preview): what the pre-invoice warning tells.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UpcomingInvoice {
    /// When it is charged (the period's start).
    pub at: DateTime<Utc>,
    /// Its lines (the base price and the extra seats, for the next period).
    pub lines: Vec<tenantry_domain::proration::ChargeLine>,
    /// Sum of the lines, before discounts and tax.
    pub subtotal: Money,
    /// Discounts (a positive amount taken off).
    pub discount: Money,
    /// Tax (VAT), when the provider computes it.
    pub tax: Money,
    /// What will be charged: subtotal − discount + tax.
    pub total: Money,
}

/// Where a hosted billing page sends the browser back: a path on this
/// service (`/app/acme/settings`), which the provider's adapter makes absolute
/// with the service's public address. Never a caller's URL, so the provider's
/// page cannot be turned into an open redirect.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReturnPath(std::borrow::Cow<'static, str>);

/// A return path that is not a path on this service.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("a return path is a path on this service (\"/\" then printable characters, not \"//\"), not {0:?}")]
pub struct NotAPath(String);

/// `/`, then printable ASCII without `\\`, and not `//` (a scheme-relative URL).
const fn is_local_path(path: &str) -> bool {
    let b = path.as_bytes();
    if b.is_empty() || b[0] != b'/' || (b.len() > 1 && (b[1] == b'/' || b[1] == b'\\')) {
        return false;
    }
    let mut i = 0;
    while i < b.len() {
        if b[i] <= b' ' || b[i] >= 0x7f || b[i] == b'\\' {
            return false;
        }
        i += 1;
    }
    true
}

impl ReturnPath {
    /// A path known when the code is written, checked by the compiler when used
    /// in a `const` (`const BACK: ReturnPath = ReturnPath::from_static("/back");`).
    pub const fn from_static(path: &'static str) -> Self {
        assert!(is_local_path(path), "a return path is a path on this service");
        ReturnPath(std::borrow::Cow::Borrowed(path))
    }

    /// A path made at run time (with a tenant's slug, say).
    pub fn parse(path: impl Into<String>) -> Result<Self, NotAPath> {
        let path = path.into();
        if is_local_path(&path) { Ok(ReturnPath(std::borrow::Cow::Owned(path))) } else { Err(NotAPath(path)) }
    }

    /// The path.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for ReturnPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A page hosted by the provider (Checkout, Customer Portal).
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HostedSession {
    /// Session id.
    pub id: String,
    /// Where to send the browser.
    pub url: String,
}

/// An idempotency key: a retried call with the same key MUST have the effect
/// once, and a key reused with other parameters MUST be refused (as Stripe does).
#[derive(Clone, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
pub struct IdempotencyKey(pub String);

impl IdempotencyKey {
    /// The key of `request` (its parameters, serialized) made for `operation`
    /// from revision `revision` of `tenant`'s subscription:
    /// `{operation}:{tenant}:{revision}:{32 hex digits of SHA-256}`.
    ///
    /// A retry of the same request from the same saved state — its unit of work
    /// failed after the provider answered — reuses the key, so the provider
    /// applies it once. The same request made again from any later state (after
    /// a change and its undo, say) gets a new key and is applied again.
    pub fn for_request(operation: &str, tenant: TenantId, revision: u64, request: &impl Serialize) -> Self {
        use sha2::Digest;
        // Serializing plain data cannot fail; an empty body still gives a key
        // unique to the operation and the state.
        let body = serde_json::to_vec(request).unwrap_or_default();
        let digest = sha2::Sha256::digest(&body);
        let short = hex::encode(digest.get(..16).unwrap_or_default());
        Self(format!("{operation}:{tenant}:{revision}:{short}"))
    }

    /// The key of making a platform object (a coupon, a promotion code) with tenantry's id `id`.
    pub fn for_platform(operation: &str, id: impl std::fmt::Display) -> Self {
        Self(format!("{operation}:{id}"))
    }
}

/// What the provider can answer besides success. Every error leaves the
/// provider's subscription as it was.
#[derive(Debug, thiserror::Error)]
pub enum PaymentError {
    /// The card was declined; nothing changed.
    #[error("the payment was declined: {0}")]
    CardDeclined(String),
    /// The customer must confirm the payment (3-D Secure); nothing changed.
    #[error("the payment needs the customer's confirmation")]
    ActionRequired {
        /// Where the customer confirms.
        hosted_url: Option<String>,
    },
    /// The provider refused the request as invalid.
    #[error("the payment provider refused the request: {0}")]
    Rejected(String),
    /// The named customer or subscription does not exist at the provider.
    #[error("not found at the payment provider")]
    NotFound,
    /// Rate limited, down or unreachable; retry later.
    #[error("the payment provider is unavailable: {0}")]
    Unavailable(#[source] anyhow::Error),
    /// Anything else.
    #[error(transparent)]
    Unknown(#[from] anyhow::Error),
}

/// The payment provider.
///
/// Every implementation MUST: keep amounts in integer cents; compute
/// prorations with the two-line rule of DESIGN.md (a preview for a
/// `proration_date` equals what a change with the same date charges); refuse a
/// proration date outside the current period or after now (beyond the
/// provider's clock skew) with `Rejected`; honour
/// idempotency keys; leave the subscription unchanged on any error.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait PaymentProvider: Send + Sync {
    /// Creates a customer; the same key MUST return the same customer.
    async fn create_customer(&self, details: &CustomerDetails, key: &IdempotencyKey) -> Result<String, PaymentError>;

    /// Updates a customer's name, email, country and VAT id.
    async fn update_customer(&self, customer: &str, details: &CustomerDetails) -> Result<(), PaymentError>;

    /// Starts the trial subscription (base + extra-seat items, no charge until
    /// `trial_end`); at the trial end it converts when a payment method is on
    /// file and it was not set to cancel, and ends otherwise.
    async fn start_trial(
        &self,
        customer: &str,
        trial_end: DateTime<Utc>,
        interval: Interval,
        key: &IdempotencyKey,
    ) -> Result<ProviderSubscription, PaymentError>;

    /// Starts a paid subscription now (freemium → standard): a full period is
    /// invoiced and charged at once; a declined payment MUST create nothing.
    async fn start_subscription(
        &self,
        customer: &str,
        interval: Interval,
        extra_seats: u32,
        key: &IdempotencyKey,
    ) -> Result<ChangeOutcome, PaymentError>;

    /// The subscription as the provider sees it now; `Ok(None)` if it does not exist.
    async fn subscription(&self, id: &str) -> Result<Option<ProviderSubscription>, PaymentError>;

    /// What a change would charge, changing nothing.
    async fn preview_change(&self, request: &ChangeRequest) -> Result<ChargePreview, PaymentError>;

    /// What a new subscription would charge now, changing nothing.
    async fn preview_subscription(
        &self,
        customer: &str,
        interval: Interval,
        extra_seats: u32,
        at: DateTime<Utc>,
    ) -> Result<ChargePreview, PaymentError>;

    /// Makes a change; charges what the preview for the same date showed.
    async fn change(&self, request: &ChangeRequest, key: &IdempotencyKey) -> Result<ChangeOutcome, PaymentError>;

    /// Ends a subscription now (dunning gave up, tenant purged).
    async fn cancel_now(&self, subscription: &str, key: &IdempotencyKey) -> Result<(), PaymentError>;

    /// A Checkout session in setup mode: adds a payment method to the customer
    /// (and its subscription); never creates a second subscription.
    async fn checkout_session(&self, customer: &str, return_to: &ReturnPath) -> Result<HostedSession, PaymentError>;

    /// A Customer Portal session limited to payment methods and invoices.
    async fn portal_session(&self, customer: &str, return_to: &ReturnPath) -> Result<HostedSession, PaymentError>;

    /// The customer's invoices, newest first.
    async fn invoices(&self, customer: &str) -> Result<Vec<Invoice>, PaymentError>;

    /// The subscription's next invoice as it would be made now (seats, price,
    /// discount, tax); `None` when none is coming (cancelling at the period's
    /// end, canceled, past due).
    async fn upcoming_invoice(&self, subscription: &str) -> Result<Option<UpcomingInvoice>, PaymentError>;

    /// Makes `coupon` at the provider (Stripe: a coupon); the same key MUST
    /// answer the same id. Answers the provider's id.
    async fn create_coupon(
        &self,
        coupon: &tenantry_domain::discount::CouponRecord,
        key: &IdempotencyKey,
    ) -> Result<String, PaymentError>;

    /// Makes `code` at the provider for the coupon with the provider id
    /// `coupon` (Stripe: a promotion code, first-time customers only when the
    /// code says so). Answers the provider's id.
    async fn create_promotion_code(
        &self,
        code: &tenantry_domain::discount::PromotionCodeRecord,
        coupon: &str,
        key: &IdempotencyKey,
    ) -> Result<String, PaymentError>;

    /// The next invoice of `subscription` as [`PaymentProvider::upcoming_invoice`]
    /// answers it, had the promotion code with the provider id `code` been
    /// applied now as `discount` (Stripe: the preview with `discounts`): what
    /// a tenant sees before applying a code. Changes nothing.
    async fn preview_discount(
        &self,
        subscription: &str,
        code: &str,
        discount: &tenantry_domain::discount::AppliedDiscount,
    ) -> Result<Option<UpcomingInvoice>, PaymentError>;

    /// Switches the promotion code with the provider id `code` on or off
    /// (a switch is idempotent itself; the key names this one request).
    async fn set_promotion_code_active(
        &self,
        code: &str,
        active: bool,
        key: &IdempotencyKey,
    ) -> Result<(), PaymentError>;

    /// Applies the promotion code with the provider id `code` to
    /// `subscription`: the invoices made while `discount` runs are discounted
    /// as it says (a percentage per line). Replaces an earlier discount; no
    /// charge now. The provider MUST refuse a code it would not redeem
    /// (`Rejected`), leaving the subscription as it was.
    async fn apply_discount(
        &self,
        subscription: &str,
        code: &str,
        discount: &tenantry_domain::discount::AppliedDiscount,
        key: &IdempotencyKey,
    ) -> Result<ProviderSubscription, PaymentError>;
}

/// A provider event in tenantry's terms (the Stripe adapter maps Stripe's
/// webhooks onto these; the simulator emits them as its clock advances).
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct BillingEvent {
    /// The provider's event id; each is applied at most once.
    pub id: String,
    /// When it happened at the provider.
    pub occurred_at: DateTime<Utc>,
    /// The customer it concerns.
    pub customer: String,
    /// What happened.
    pub kind: BillingEventKind,
}

/// What happened at the provider.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(tag = "type", content = "data", rename_all = "snake_case")]
pub enum BillingEventKind {
    /// A payment method was attached (Checkout completed).
    PaymentMethodAttached,
    /// A subscription was created or changed.
    SubscriptionUpdated(ProviderSubscription),
    /// A subscription ended.
    SubscriptionDeleted(ProviderSubscription),
    /// The trial ends soon (Stripe: 3 days before).
    TrialWillEnd {
        /// When it ends.
        trial_end: DateTime<Utc>,
    },
    /// An invoice was paid.
    InvoicePaid(Invoice),
    /// An invoice payment failed; the provider will retry.
    InvoicePaymentFailed(Invoice),
    /// An invoice needs the customer's confirmation.
    InvoicePaymentActionRequired(Invoice),
}

/// Why a provider's webhook delivery was not applied.
#[derive(Debug, thiserror::Error)]
pub enum WebhookRefusal {
    /// Missing or wrong signature, or a timestamp outside the tolerance: 400,
    /// and nothing changes.
    #[error("the webhook signature is missing, wrong or stale")]
    BadSignature,
    /// A signed event tenantry handles could not be read (5xx: the provider
    /// retries, and the error is logged).
    #[error("a signed provider event could not be read: {0}")]
    Unreadable(String),
    /// The provider could not be asked for the current state (5xx: it retries).
    #[error(transparent)]
    Provider(#[from] PaymentError),
}

/// The provider's webhook deliveries, verified and mapped onto [`BillingEvent`]s.
///
/// Every implementation MUST: verify the signature against the raw payload at
/// `now` (refusing a missing, wrong or stale one with `BadSignature`, before
/// reading anything else); answer `Ok(None)` for a valid event tenantry does not
/// handle; never log or return the signing secret.
#[async_trait]
pub trait WebhookVerifier: Send + Sync {
    /// Verifies `payload` against `signature` at `now`, and maps the event.
    async fn verify(
        &self,
        payload: &str,
        signature: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Option<BillingEvent>, WebhookRefusal>;
}

#[cfg(test)]
mod return_path_tests {
    use super::{NotAPath, ReturnPath};

    #[test]
    fn a_return_path_is_a_path_on_this_service_and_nothing_else() {
        const BACK: ReturnPath = ReturnPath::from_static("/v1/billing/return");
        assert_eq!(BACK.as_str(), "/v1/billing/return");
        assert_eq!(
            ReturnPath::parse("/app/acme/settings?done=card").map(|p| p.to_string()).as_deref(),
            Ok("/app/acme/settings?done=card")
        );
        for bad in ["", "app", "https://evil.example", "//evil.example/x", "/\\evil.example", "/a b", "/a\nb", "/é"] {
            assert_eq!(ReturnPath::parse(bad), Err(NotAPath(bad.to_owned())), "{bad:?}");
        }
    }
}

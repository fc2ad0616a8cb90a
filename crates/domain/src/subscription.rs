//! The subscription as an explicit state machine (DESIGN.md section 3).
//!
//! ```text
//!             signup
//!               │
//!               ▼            continue free / no payment method
//!          ┌─────────┐ ─────────────────────────────────────────┐
//!          │Trialing │                                          ▼
//!          └─────────┘ ──── payment method at trial end ──► ┌────────┐  cancel  ┌──────────────────────┐
//!                                                           │ Active │ ───────► │CancelingAtPeriodEnd  │
//!     ┌──────────┐ ◄── upgrade (payment method) ─────────── └────────┘ ◄─────── └──────────────────────┘
//!     │ Freemium │                                           │    ▲   resume            │ period end
//!     └──────────┘ ◄── grace expired ── ┌─────────┐ ◄─failed─┘    │paid                 ▼
//!          ▲                            │ PastDue │ ──────────────┘                  Freemium
//!          └──────── (or Suspended) ─── └─────────┘
//!
//!   any state ──suspend──► Suspended{resume}        any state ──delete──► PendingDeletion{resume}
//! ```
//!
//! Every transition is a method that either changes the subscription and
//! returns the [`SubscriptionEvent`]s it caused, or returns a
//! [`SubscriptionError`] and leaves the subscription exactly as it was.
//!
//! **Who owns time** (DESIGN.md): the payment provider owns the money timeline
//! (trial end, renewals, retries) and reports it as [`ProviderSnapshot`]s, which
//! [`Subscription::apply_snapshot`] maps onto these states. The local rules
//! (`end_trial`, `expire_grace`, `end_canceled_period`) are the same decisions
//! taken when the provider has no subscription for the tenant or is late.

use crate::ids::TenantId;
use crate::money::Money;
use crate::plan::{DunningOutcome, PlanCatalog, PlanKind};
use crate::proration::{self, ChargePreview, ProrationError};
use crate::seats::{SeatLimit, Seats};
use crate::time::{Interval, Period, PeriodError, saturating_add};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

/// How long after a provider-owned deadline (trial end, period end) tenantry
/// waits for the provider's event before asking the provider itself.
pub const PROVIDER_SLACK: Duration = Duration::hours(1);

/// Why a subscription change was refused. The subscription is unchanged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SubscriptionError {
    /// The change needs the standard plan.
    #[error("the tenant is on {0}; this needs the paid plan")]
    NotOnPaidPlan(SubscriptionStatus),
    /// The change is only possible during the trial.
    #[error("the tenant is not in its trial")]
    NotTrialing,
    /// A payment is overdue; pay first.
    #[error("a payment is past due; update the payment method first")]
    PaymentPastDue,
    /// Upgrading needs a payment method on file.
    #[error("a payment method is needed first")]
    PaymentMethodRequired,
    /// The tenant is suspended or pending deletion.
    #[error("the tenant is {0}")]
    TenantInactive(SubscriptionStatus),
    /// Nothing would change.
    #[error("the subscription already is as requested")]
    Unchanged,
    /// Fewer seats than the base price includes.
    #[error("the plan includes {minimum} seats; fewer cannot be licensed")]
    BelowIncludedSeats {
        /// The included seats.
        minimum: u32,
    },
    /// Fewer seats than are in use.
    #[error(
        "{requested} seats requested but {used} are in use; free {missing} first by revoking invitations or deactivating users"
    )]
    BelowUsedSeats {
        /// Seats asked for.
        requested: u32,
        /// Seats in use (active users + pending invitations).
        used: u32,
        /// How many must be freed.
        missing: u32,
    },
    /// Already suspended.
    #[error("the tenant is already suspended")]
    AlreadySuspended,
    /// Not suspended.
    #[error("the tenant is not suspended")]
    NotSuspended,
    /// Already pending deletion.
    #[error("the tenant's deletion is already requested")]
    AlreadyPendingDeletion,
    /// No deletion to cancel, or the purge is due.
    #[error("there is no deletion request that can still be cancelled")]
    NoDeletionToCancel,
    /// A deadline that has not come yet.
    #[error("not due before {0}")]
    NotDue(DateTime<Utc>),
    /// Already canceling.
    #[error("the subscription is already set to end at the period end")]
    AlreadyCanceling,
    /// The proration could not be computed (stale preview, overflow).
    #[error(transparent)]
    Proration(#[from] ProrationError),
}

impl From<PeriodError> for SubscriptionError {
    fn from(e: PeriodError) -> Self {
        SubscriptionError::Proration(ProrationError::Period(e))
    }
}

/// The seven statuses a tenant's subscription can have.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize, PartialOrd, Ord)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SubscriptionStatus {
    /// Signed up; the trial starts when a payment method is on file.
    PendingPaymentMethod,
    /// In the 14-day trial.
    Trialing,
    /// Paid and current.
    Active,
    /// A payment failed; full access while the provider retries.
    PastDue,
    /// Free plan with ads.
    Freemium,
    /// Paid until the period end, then freemium.
    CancelingAtPeriodEnd,
    /// Suspended by the superuser or dunning.
    Suspended,
    /// Deletion requested; purged after the retention period.
    PendingDeletion,
}

impl SubscriptionStatus {
    /// Every status.
    pub const ALL: [SubscriptionStatus; 8] = [
        SubscriptionStatus::PendingPaymentMethod,
        SubscriptionStatus::Trialing,
        SubscriptionStatus::Active,
        SubscriptionStatus::PastDue,
        SubscriptionStatus::Freemium,
        SubscriptionStatus::CancelingAtPeriodEnd,
        SubscriptionStatus::Suspended,
        SubscriptionStatus::PendingDeletion,
    ];

    /// The stable name (`past_due`, ...).
    pub fn as_str(&self) -> &'static str {
        match self {
            SubscriptionStatus::PendingPaymentMethod => "pending_payment_method",
            SubscriptionStatus::Trialing => "trialing",
            SubscriptionStatus::Active => "active",
            SubscriptionStatus::PastDue => "past_due",
            SubscriptionStatus::Freemium => "freemium",
            SubscriptionStatus::CancelingAtPeriodEnd => "canceling_at_period_end",
            SubscriptionStatus::Suspended => "suspended",
            SubscriptionStatus::PendingDeletion => "pending_deletion",
        }
    }

    /// Parses the stable name.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

impl fmt::Display for SubscriptionStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How the provider collects a paid plan's invoices: paused (each invoice
/// voided, nothing charged — the superuser's "pause payments", and every
/// suspension of a paying tenant) and/or free until a date (the superuser's
/// comp: a 100 % discount for some months). The provider holds it; tenantry
/// shows it and counts such a plan as no recurring revenue.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct Collection {
    /// Collection is paused: invoices are voided.
    pub paused: bool,
    /// The plan is free (100 % off) until then.
    pub free_until: Option<DateTime<Utc>>,
}

impl Collection {
    /// Whether nothing is charged now (paused, or free).
    pub fn charges_nothing(&self) -> bool {
        self.paused || self.free_until.is_some()
    }
}

/// The licence of a paid subscription.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct PaidPlan {
    /// Billing interval now.
    pub interval: Interval,
    /// Licensed seats now (at least the included seats).
    pub seats: u32,
    /// Seats from the next period on (lower than `seats` when a reduction is scheduled).
    pub seats_next_period: u32,
    /// Interval from the next period on (monthly when yearly → monthly is scheduled).
    pub interval_next_period: Interval,
    /// The current billing period.
    pub period: Period,
    /// How its invoices are collected (paused, free until).
    #[serde(default)]
    pub collection: Collection,
}

impl PaidPlan {
    fn fresh(interval: Interval, seats: u32, period: Period) -> Self {
        Self {
            interval,
            seats,
            seats_next_period: seats,
            interval_next_period: interval,
            period,
            collection: Collection::default(),
        }
    }

    /// The seats new invitations are checked against: the lower of now and next
    /// period (DESIGN.md: "new invitations are checked against the lower number").
    pub fn seat_cap(&self) -> u32 {
        self.seats.min(self.seats_next_period)
    }
}

/// Why a tenant ended up on freemium.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FreemiumReason {
    /// The trial ended without a payment method, or the admin chose to continue free.
    TrialEnded,
    /// A cancellation reached the period end.
    Canceled,
    /// Dunning gave up.
    PaymentFailed,
    /// The superuser moved it.
    Platform,
}

/// The state of a subscription, with the data each state needs.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum SubscriptionState {
    /// Signed up under the `required` trial policy: the trial starts when a
    /// payment method is on file; purged after the catalog's
    /// `unfinished_signup_days` if it never is.
    PendingPaymentMethod {
        /// When the tenant signed up.
        since: DateTime<Utc>,
        /// The interval chosen for after the trial.
        interval_after: Interval,
    },
    /// In the trial; `interval_after` is used if it converts.
    Trialing {
        /// The trial.
        trial: Period,
        /// The interval chosen for after the trial (monthly unless chosen).
        interval_after: Interval,
        /// The admin chose to become freemium at the trial end.
        continue_free: bool,
    },
    /// Paid and current.
    Active(PaidPlan),
    /// A payment failed at `since`.
    PastDue {
        /// The licence, unchanged.
        plan: PaidPlan,
        /// When the first payment failed.
        since: DateTime<Utc>,
    },
    /// Paid until the period end, then freemium.
    CancelingAtPeriodEnd(PaidPlan),
    /// Free with ads.
    Freemium {
        /// Since when.
        since: DateTime<Utc>,
    },
    /// Suspended; `resume` is where an unsuspend returns to.
    Suspended {
        /// Since when.
        since: DateTime<Utc>,
        /// The state before.
        resume: Box<SubscriptionState>,
    },
    /// Deletion requested; purged at `purge_at` unless cancelled.
    PendingDeletion {
        /// When requested.
        requested_at: DateTime<Utc>,
        /// When the data is purged.
        purge_at: DateTime<Utc>,
        /// The state before.
        resume: Box<SubscriptionState>,
    },
}

impl SubscriptionState {
    fn status(&self) -> SubscriptionStatus {
        match self {
            SubscriptionState::PendingPaymentMethod { .. } => SubscriptionStatus::PendingPaymentMethod,
            SubscriptionState::Trialing { .. } => SubscriptionStatus::Trialing,
            SubscriptionState::Active(_) => SubscriptionStatus::Active,
            SubscriptionState::PastDue { .. } => SubscriptionStatus::PastDue,
            SubscriptionState::CancelingAtPeriodEnd(_) => SubscriptionStatus::CancelingAtPeriodEnd,
            SubscriptionState::Freemium { .. } => SubscriptionStatus::Freemium,
            SubscriptionState::Suspended { .. } => SubscriptionStatus::Suspended,
            SubscriptionState::PendingDeletion { .. } => SubscriptionStatus::PendingDeletion,
        }
    }

    /// The billing state under any suspension or deletion request.
    fn billing(&self) -> &SubscriptionState {
        match self {
            SubscriptionState::Suspended { resume, .. } | SubscriptionState::PendingDeletion { resume, .. } => {
                resume.billing()
            }
            other => other,
        }
    }

    fn billing_mut(&mut self) -> &mut SubscriptionState {
        match self {
            SubscriptionState::Suspended { resume, .. } | SubscriptionState::PendingDeletion { resume, .. } => {
                resume.billing_mut()
            }
            other => other,
        }
    }

    fn paid(&self) -> Option<&PaidPlan> {
        match self {
            SubscriptionState::Active(p)
            | SubscriptionState::CancelingAtPeriodEnd(p)
            | SubscriptionState::PastDue { plan: p, .. } => Some(p),
            _ => None,
        }
    }
}

/// The payment provider's handles for this tenant (opaque ids such as `cus_...`).
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct ProviderLink {
    /// The customer.
    pub customer: String,
    /// The current subscription, if any (none on freemium).
    pub subscription: Option<String>,
}

/// Something a transition did; the services turn these into audit events,
/// mails and seat enforcement.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum SubscriptionEvent {
    /// The trial started.
    TrialStarted {
        /// When it ends.
        ends_at: DateTime<Utc>,
    },
    /// The admin chose to become freemium at the trial end.
    ContinueFreeChosen,
    /// The admin chose the interval for after the trial.
    IntervalAfterTrialChosen {
        /// The interval.
        interval: Interval,
    },
    /// The trial converted to the paid plan.
    TrialConverted {
        /// Interval.
        interval: Interval,
        /// Seats licensed.
        seats: u32,
    },
    /// Freemium → standard.
    Upgraded {
        /// Interval.
        interval: Interval,
        /// Seats licensed.
        seats: u32,
    },
    /// The tenant is now on freemium (seat rules of a downgrade apply).
    EnteredFreemium {
        /// Why.
        reason: FreemiumReason,
    },
    /// Seats were added now.
    SeatsIncreased {
        /// Before.
        from: u32,
        /// After.
        to: u32,
    },
    /// A reduction takes effect at the period end.
    SeatReductionScheduled {
        /// Seats now.
        from: u32,
        /// Seats next period.
        to: u32,
        /// When.
        effective_at: DateTime<Utc>,
    },
    /// A scheduled reduction was withdrawn.
    SeatReductionCancelled,
    /// A scheduled reduction took effect.
    SeatReductionApplied {
        /// Before.
        from: u32,
        /// After.
        to: u32,
    },
    /// The interval changed now.
    IntervalChanged {
        /// Before.
        from: Interval,
        /// After.
        to: Interval,
    },
    /// An interval change takes effect at the period end.
    IntervalChangeScheduled {
        /// The new interval.
        to: Interval,
        /// When.
        effective_at: DateTime<Utc>,
    },
    /// A scheduled interval change was withdrawn.
    IntervalChangeCancelled,
    /// The subscription ends at the period end.
    CancelScheduled {
        /// When.
        effective_at: DateTime<Utc>,
    },
    /// A scheduled cancellation was withdrawn.
    CancelRevoked,
    /// A new period began.
    Renewed {
        /// The new period.
        period: Period,
    },
    /// A payment failed.
    BecamePastDue,
    /// The overdue payment succeeded.
    PaymentRecovered,
    /// A payment method was added.
    PaymentMethodAdded,
    /// Suspended.
    Suspended,
    /// Unsuspended.
    Resumed,
    /// Deletion requested.
    DeletionRequested {
        /// When the purge happens.
        purge_at: DateTime<Utc>,
    },
    /// Deletion cancelled.
    DeletionCancelled,
    /// The provider collects the paid plan otherwise now (paused or resumed,
    /// free until a date or no longer).
    CollectionChanged {
        /// As it is now.
        collection: Collection,
    },
}

/// The state of the provider's subscription, as reported by an event or fetched.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct ProviderSnapshot {
    /// The provider's status.
    pub status: ProviderStatus,
    /// Interval now.
    pub interval: Interval,
    /// Extra-seat quantity now.
    pub extra_seats: u32,
    /// Extra-seat quantity from the next period (scheduled reductions).
    pub extra_seats_next_period: u32,
    /// Interval from the next period.
    pub interval_next_period: Interval,
    /// The current period (the trial while trialing).
    pub period: Period,
    /// Whether it ends at the period end.
    pub cancel_at_period_end: bool,
    /// How its invoices are collected (paused, free until).
    #[serde(default)]
    pub collection: Collection,
    /// A promotion code's discount, while it runs.
    #[serde(default)]
    pub discount: Option<crate::discount::AppliedDiscount>,
    /// When the provider observed this state (event creation time); older
    /// snapshots than the last applied one are ignored (out-of-order delivery).
    pub observed_at: DateTime<Utc>,
}

/// The provider's subscription status.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProviderStatus {
    /// In the trial.
    Trialing,
    /// Paid.
    Active,
    /// Payment failed, retrying.
    PastDue,
    /// Ended.
    Canceled,
}

/// What a requested seat count would do.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SeatChange {
    /// Add seats now, prorated and invoiced at once.
    Increase {
        /// Seats now.
        from: u32,
        /// Seats after.
        to: u32,
    },
    /// Lower the seats at the period end.
    ScheduleReduction {
        /// Seats now.
        from: u32,
        /// Seats next period.
        to: u32,
        /// The period end.
        effective_at: DateTime<Utc>,
    },
    /// Keep the current seats (withdraws a scheduled reduction).
    CancelReduction,
}

/// A priced seat change, computed without changing anything.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct SeatQuote {
    /// What would happen.
    pub change: SeatChange,
    /// What it costs now.
    pub preview: ChargePreview,
    /// Extra-seat quantity before and after (for the provider).
    pub extra_seats: (u32, u32),
}

/// A plan a tenant can choose.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(tag = "plan", content = "interval", rename_all = "snake_case")]
pub enum PlanChoice {
    /// The free plan.
    Freemium,
    /// The paid plan with an interval.
    Standard(Interval),
}

/// When a plan chosen during the trial takes effect.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PlanTiming {
    /// Now: during the trial, the trial ends early and the first period is
    /// charged at once (what "subscribe" does in Cashier or Stripe's `trial_end=now`).
    #[default]
    Now,
    /// At the trial end: only the interval (or "continue free") used at
    /// conversion is set; nothing is charged now.
    AtTrialEnd,
}

/// What a plan request would do.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PlanChange {
    /// During the trial: end it now and start the paid plan (a full period charged).
    ConvertTrialNow {
        /// Interval.
        interval: Interval,
        /// Seats: the included seats, or the used seats if more.
        seats: u32,
    },
    /// During the trial: convert to this interval at the trial end.
    TrialInterval {
        /// The interval.
        interval: Interval,
    },
    /// During the trial: become freemium at the trial end.
    TrialContinueFree,
    /// Freemium → standard now, a full period charged.
    StartPaid {
        /// Interval.
        interval: Interval,
        /// Seats (the included seats, or the used seats if more).
        seats: u32,
    },
    /// Monthly → yearly now (credit + full yearly charge; billing date moves).
    IntervalNow {
        /// Before.
        from: Interval,
        /// After.
        to: Interval,
    },
    /// Yearly → monthly at the period end.
    IntervalAtPeriodEnd {
        /// The new interval.
        to: Interval,
        /// When.
        effective_at: DateTime<Utc>,
    },
    /// Withdraw a scheduled interval change.
    CancelIntervalChange,
    /// Standard → freemium at the period end.
    CancelAtPeriodEnd {
        /// When.
        effective_at: DateTime<Utc>,
    },
    /// Withdraw a cancellation and keep the current interval.
    Resume,
}

/// A priced plan change, computed without changing anything.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct PlanQuote {
    /// What would happen.
    pub change: PlanChange,
    /// Whether a scheduled cancellation is withdrawn as well.
    pub resumes: bool,
    /// What it costs now.
    pub preview: ChargePreview,
}

/// A tenant's subscription.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Subscription {
    /// Every field, private: read through the accessors, changed by the transitions.
    r: SubscriptionRecord,
}

/// Subscription as a store keeps it: every field, for [`Subscription::restore`] and
/// [`Subscription::record`]. Changes go through [`Subscription`]'s transitions.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct SubscriptionRecord {
    /// The tenant.
    pub tenant_id: TenantId,
    /// The state.
    pub state: SubscriptionState,
    /// Whether the provider holds a usable payment method.
    pub payment_method_on_file: bool,
    /// The provider's ids.
    pub provider: Option<ProviderLink>,
    /// Observation time of the newest provider snapshot applied.
    pub provider_synced_at: Option<DateTime<Utc>>,
    /// When a timer last looked at this subscription and found the provider
    /// had not moved yet (backs off the next look by [`PROVIDER_SLACK`]).
    pub timer_checked_at: Option<DateTime<Utc>>,
    /// How many times this subscription was saved: names the state a provider
    /// request was made from, so that a retry from the same state reuses its
    /// idempotency key and the same request from a later state does not.
    #[serde(default)]
    pub revision: u64,
    /// The promotion code's discount the provider applies, while it runs.
    #[serde(default)]
    pub discount: Option<crate::discount::AppliedDiscount>,
    /// A promotion code entered at signup, redeemed once a payment method is
    /// on file (the trial's provider subscription exists then).
    #[serde(default)]
    pub signup_promotion_code: Option<String>,
}

/// Reading: one accessor per field (the fields are private, so that every change is a transition).
impl Subscription {
    /// The tenant.
    pub fn tenant_id(&self) -> TenantId {
        self.r.tenant_id
    }
    /// The state.
    pub fn state(&self) -> &SubscriptionState {
        &self.r.state
    }
    /// Whether the provider holds a usable payment method.
    pub fn payment_method_on_file(&self) -> bool {
        self.r.payment_method_on_file
    }
    /// The promotion code's discount, while it runs.
    pub fn discount(&self) -> Option<&crate::discount::AppliedDiscount> {
        self.r.discount.as_ref()
    }
    /// The promotion code entered at signup, not yet redeemed.
    pub fn signup_promotion_code(&self) -> Option<&str> {
        self.r.signup_promotion_code.as_deref()
    }
    /// Remembers the promotion code entered at signup (checked by the caller).
    pub fn remember_signup_promotion_code(&mut self, code: &str) {
        self.r.signup_promotion_code = Some(code.to_owned());
    }
    /// Forgets the signup's promotion code (redeemed, or refused when it was tried).
    pub fn forget_signup_promotion_code(&mut self) {
        self.r.signup_promotion_code = None;
    }
    /// The provider's ids.
    pub fn provider(&self) -> &Option<ProviderLink> {
        &self.r.provider
    }
    /// Observation time of the newest provider snapshot applied.
    pub fn provider_synced_at(&self) -> Option<DateTime<Utc>> {
        self.r.provider_synced_at
    }
    /// When a timer last looked at this subscription and found the provider
    /// had not moved yet (backs off the next look by [`PROVIDER_SLACK`]).
    pub fn timer_checked_at(&self) -> Option<DateTime<Utc>> {
        self.r.timer_checked_at
    }
    /// How many times this subscription was saved: names the state a provider
    /// request was made from, so that a retry from the same state reuses its
    /// idempotency key and the same request from a later state does not.
    pub fn revision(&self) -> u64 {
        self.r.revision
    }

    /// The subscription from what a store kept.
    pub fn restore(r: SubscriptionRecord) -> Self {
        Self { r }
    }

    /// What a store keeps of it.
    pub fn record(&self) -> SubscriptionRecord {
        self.r.clone()
    }
}

impl Subscription {
    /// A new subscription in its trial, starting at `now` (DESIGN.md: the trial
    /// starts at signup and lasts 14 days; monthly unless yearly is chosen).
    pub fn start_trial(
        tenant_id: TenantId,
        now: DateTime<Utc>,
        catalog: &PlanCatalog,
    ) -> Result<(Self, SubscriptionEvent), SubscriptionError> {
        let trial = Period::new(now, saturating_add(now, Duration::days(i64::from(catalog.trial_days))))?;
        let sub = Self {
            r: SubscriptionRecord {
                tenant_id,
                state: SubscriptionState::Trialing { trial, interval_after: Interval::Month, continue_free: false },
                payment_method_on_file: false,
                provider: None,
                provider_synced_at: None,
                timer_checked_at: None,
                revision: 0,
                discount: None,
                signup_promotion_code: None,
            },
        };
        Ok((sub, SubscriptionEvent::TrialStarted { ends_at: trial.end() }))
    }

    /// A new subscription waiting for its payment method (the `required` trial
    /// policy): [`Subscription::payment_method_added`] starts the trial.
    pub fn await_payment_method(tenant_id: TenantId, now: DateTime<Utc>, interval_after: Interval) -> Self {
        Self {
            r: SubscriptionRecord {
                tenant_id,
                state: SubscriptionState::PendingPaymentMethod { since: now, interval_after },
                payment_method_on_file: false,
                provider: None,
                provider_synced_at: None,
                timer_checked_at: None,
                revision: 0,
                discount: None,
                signup_promotion_code: None,
            },
        }
    }

    /// A subscription that starts on freemium (e.g. a tenant the superuser creates without a trial).
    pub fn start_freemium(tenant_id: TenantId, now: DateTime<Utc>) -> Self {
        Self {
            r: SubscriptionRecord {
                tenant_id,
                state: SubscriptionState::Freemium { since: now },
                payment_method_on_file: false,
                provider: None,
                provider_synced_at: None,
                timer_checked_at: None,
                revision: 0,
                discount: None,
                signup_promotion_code: None,
            },
        }
    }

    // ----- reading -------------------------------------------------------

    /// The status.
    pub fn status(&self) -> SubscriptionStatus {
        self.r.state.status()
    }

    /// The billing state under any suspension or deletion request.
    pub fn state_under_lifecycle(&self) -> &SubscriptionState {
        self.r.state.billing()
    }

    /// The status of the billing state under a suspension or deletion request.
    pub fn billing_status(&self) -> SubscriptionStatus {
        self.r.state.billing().status()
    }

    /// The plan in force.
    pub fn plan_kind(&self) -> PlanKind {
        match self.r.state.billing() {
            SubscriptionState::Trialing { .. } | SubscriptionState::PendingPaymentMethod { .. } => PlanKind::Trial,
            SubscriptionState::Freemium { .. } => PlanKind::Freemium,
            _ => PlanKind::Standard,
        }
    }

    /// The paid licence, if on the paid plan.
    pub fn paid_plan(&self) -> Option<&PaidPlan> {
        self.r.state.billing().paid()
    }

    /// The interval now (paid) or after the trial (trialing).
    pub fn interval(&self) -> Option<Interval> {
        match self.r.state.billing() {
            SubscriptionState::Trialing { interval_after, .. }
            | SubscriptionState::PendingPaymentMethod { interval_after, .. } => Some(*interval_after),
            other => other.paid().map(|p| p.interval),
        }
    }

    /// When the trial ends, while trialing.
    pub fn trial_ends_at(&self) -> Option<DateTime<Utc>> {
        match self.r.state.billing() {
            SubscriptionState::Trialing { trial, .. } => Some(trial.end()),
            _ => None,
        }
    }

    /// The current billing period, when paid.
    pub fn current_period(&self) -> Option<Period> {
        self.paid_plan().map(|p| p.period)
    }

    /// Whether users of the tenant may use the service (not suspended, not pending deletion).
    pub fn allows_access(&self) -> bool {
        !matches!(self.r.state, SubscriptionState::Suspended { .. } | SubscriptionState::PendingDeletion { .. })
    }

    /// Whether the tenant sees ads.
    pub fn shows_ads(&self) -> bool {
        self.plan_kind() == PlanKind::Freemium && self.allows_access()
    }

    /// How many seats may be used now.
    pub fn seat_limit(&self, catalog: &PlanCatalog) -> SeatLimit {
        match self.r.state.billing() {
            SubscriptionState::Trialing { .. } => SeatLimit::Uncapped,
            SubscriptionState::Freemium { .. } => SeatLimit::Capped(catalog.freemium_seats),
            other => SeatLimit::Capped(other.paid().map(PaidPlan::seat_cap).unwrap_or(catalog.freemium_seats)),
        }
    }

    /// Licensed seats now and next period (`None` while uncapped).
    pub fn seats(&self, catalog: &PlanCatalog) -> (Option<u32>, Option<u32>) {
        match self.r.state.billing() {
            SubscriptionState::Trialing { .. } => (None, None),
            SubscriptionState::Freemium { .. } => (Some(catalog.freemium_seats), Some(catalog.freemium_seats)),
            other => match other.paid() {
                Some(p) => (Some(p.seats), Some(p.seats_next_period)),
                None => (None, None),
            },
        }
    }

    /// The price per period now (paid plan only).
    pub fn price(&self, catalog: &PlanCatalog) -> Option<Money> {
        self.paid_plan().and_then(|p| catalog.price(p.interval, p.seats).ok())
    }

    /// The price of the next period, reflecting scheduled changes; `None` when
    /// nothing will be billed (freemium, cancellation at period end).
    /// During the trial the conversion bills max(included, `used`) seats.
    pub fn next_invoice(&self, catalog: &PlanCatalog, used: u32) -> Option<(DateTime<Utc>, Money)> {
        match self.r.state.billing() {
            SubscriptionState::Trialing { trial, interval_after, continue_free: false }
                if self.r.payment_method_on_file =>
            {
                let seats = used.max(catalog.included_seats);
                crate::discount::price_at(catalog, *interval_after, seats, trial.end(), self.r.discount.as_ref())
                    .ok()
                    .map(|m| (trial.end(), m))
            }
            SubscriptionState::Active(p) | SubscriptionState::PastDue { plan: p, .. } => {
                let (interval, at) = (p.interval_next_period, p.period.end());
                crate::discount::price_at(catalog, interval, p.seats_next_period, at, self.r.discount.as_ref())
                    .ok()
                    .map(|m| (at, m))
            }
            _ => None,
        }
    }

    /// This subscription's contribution to MRR: `(amount, interval)` of the price
    /// per period, for paid plans that will renew or are being collected.
    pub fn recurring_amount(&self, catalog: &PlanCatalog) -> Option<(Money, Interval)> {
        match self.r.state.billing() {
            // Paused or free: nothing is collected, so no recurring revenue.
            SubscriptionState::Active(p) | SubscriptionState::PastDue { plan: p, .. }
                if p.collection.charges_nothing() =>
            {
                Some((Money::zero(catalog.currency), p.interval))
            }
            SubscriptionState::Active(p) | SubscriptionState::PastDue { plan: p, .. } => {
                crate::discount::price_after(catalog, p.interval, p.seats, p.period.start(), self.r.discount.as_ref())
                    .ok()
                    .map(|m| (m, p.interval))
            }
            _ => None,
        }
    }

    /// The next instant a timer should look at this subscription, or `None`.
    ///
    /// `reminder_sent` says whether the trial reminder for the current trial has gone out.
    pub fn next_due_at(&self, catalog: &PlanCatalog, reminder_sent: bool) -> Option<DateTime<Utc>> {
        let due = match &self.r.state {
            SubscriptionState::PendingDeletion { purge_at, .. } => Some(*purge_at),
            SubscriptionState::PendingPaymentMethod { since, .. } => Some(self.unfinished_purge_at(*since, catalog)),
            SubscriptionState::Suspended { .. } => None,
            SubscriptionState::Trialing { trial, .. } => {
                let reminder = trial.end() - Duration::days(i64::from(catalog.trial_reminder_days));
                Some(if reminder_sent { saturating_add(trial.end(), PROVIDER_SLACK) } else { reminder })
            }
            SubscriptionState::Active(p) | SubscriptionState::CancelingAtPeriodEnd(p) => {
                Some(saturating_add(p.period.end(), PROVIDER_SLACK))
            }
            SubscriptionState::PastDue { since, .. } => {
                Some(saturating_add(*since, Duration::days(i64::from(catalog.grace_days))))
            }
            SubscriptionState::Freemium { .. } => None,
        };
        match (due, self.r.timer_checked_at) {
            (Some(d), Some(checked)) => Some(d.max(saturating_add(checked, PROVIDER_SLACK))),
            (d, _) => d,
        }
    }

    // ----- guards --------------------------------------------------------

    fn ensure_active_tenant(&self) -> Result<(), SubscriptionError> {
        if self.allows_access() { Ok(()) } else { Err(SubscriptionError::TenantInactive(self.status())) }
    }

    // ----- trial ---------------------------------------------------------

    /// The trial rule (DESIGN.md "Trial end"): converts to standard when a
    /// payment method is on file and the admin did not choose to continue free.
    pub fn trial_converts(&self) -> bool {
        matches!(self.r.state.billing(), SubscriptionState::Trialing { continue_free: false, .. })
            && self.r.payment_method_on_file
    }

    /// Ends the trial by the local rule at `now` (≥ the trial end): standard with
    /// seats = max(included, used) when [`Self::trial_converts`], otherwise freemium.
    pub fn end_trial(
        &mut self,
        now: DateTime<Utc>,
        used: u32,
        catalog: &PlanCatalog,
    ) -> Result<Vec<SubscriptionEvent>, SubscriptionError> {
        let converts = self.trial_converts();
        let SubscriptionState::Trialing { trial, interval_after, .. } = self.r.state.billing() else {
            return Err(SubscriptionError::NotTrialing);
        };
        if now < trial.end() {
            return Err(SubscriptionError::NotDue(trial.end()));
        }
        let (end, interval) = (trial.end(), *interval_after);
        if converts {
            let seats = used.max(catalog.included_seats);
            let period = Period::starting(end, interval)?;
            *self.r.state.billing_mut() = SubscriptionState::Active(PaidPlan::fresh(interval, seats, period));
            Ok(vec![SubscriptionEvent::TrialConverted { interval, seats }])
        } else {
            *self.r.state.billing_mut() = SubscriptionState::Freemium { since: end };
            Ok(vec![SubscriptionEvent::EnteredFreemium { reason: FreemiumReason::TrialEnded }])
        }
    }

    /// Ends the trial at `now` (≥ its end) as freemium, whatever the payment
    /// method: the paid plan could not start.
    pub fn end_trial_unconverted(&mut self, now: DateTime<Utc>) -> Result<Vec<SubscriptionEvent>, SubscriptionError> {
        let SubscriptionState::Trialing { trial, .. } = self.r.state.billing() else {
            return Err(SubscriptionError::NotTrialing);
        };
        if now < trial.end() {
            return Err(SubscriptionError::NotDue(trial.end()));
        }
        let since = trial.end();
        *self.r.state.billing_mut() = SubscriptionState::Freemium { since };
        Ok(vec![SubscriptionEvent::EnteredFreemium { reason: FreemiumReason::TrialEnded }])
    }

    /// During the trial: become freemium at the trial end instead of converting.
    pub fn continue_free(&mut self) -> Result<Vec<SubscriptionEvent>, SubscriptionError> {
        self.ensure_active_tenant()?;
        match self.r.state.billing_mut() {
            SubscriptionState::Trialing { continue_free: true, .. } => Err(SubscriptionError::Unchanged),
            SubscriptionState::Trialing { continue_free, .. } => {
                *continue_free = true;
                Ok(vec![SubscriptionEvent::ContinueFreeChosen])
            }
            _ => Err(SubscriptionError::NotTrialing),
        }
    }

    // ----- seats ---------------------------------------------------------

    /// Prices a request for `target` seats at `at` without changing anything.
    ///
    /// More seats than now: added at once, prorated. Fewer: scheduled for the
    /// period end, refused below the used seats (the error says how many must be
    /// freed) or below the included seats. The current number withdraws a
    /// scheduled reduction.
    pub fn quote_seats(
        &self,
        target: Seats,
        used: u32,
        at: DateTime<Utc>,
        catalog: &PlanCatalog,
    ) -> Result<SeatQuote, SubscriptionError> {
        self.ensure_active_tenant()?;
        let plan = match self.r.state.billing() {
            SubscriptionState::Active(p) | SubscriptionState::CancelingAtPeriodEnd(p) => *p,
            SubscriptionState::PastDue { .. } => return Err(SubscriptionError::PaymentPastDue),
            other => return Err(SubscriptionError::NotOnPaidPlan(other.status())),
        };
        proration::check_proration_date(&plan.period, at)?;
        let n = target.get();
        if n < catalog.included_seats {
            return Err(SubscriptionError::BelowIncludedSeats { minimum: catalog.included_seats });
        }
        if n < used {
            return Err(SubscriptionError::BelowUsedSeats { requested: n, used, missing: used - n });
        }
        let old_extra = catalog.extra_seats(plan.seats);
        if n > plan.seats {
            let new_extra = catalog.extra_seats(n);
            let preview = proration::seat_increase(catalog, plan.interval, old_extra, new_extra, &plan.period, at)?;
            return Ok(SeatQuote {
                change: SeatChange::Increase { from: plan.seats, to: n },
                preview,
                extra_seats: (old_extra, new_extra),
            });
        }
        if n == plan.seats_next_period {
            return Err(SubscriptionError::Unchanged);
        }
        let change = if n == plan.seats {
            SeatChange::CancelReduction
        } else {
            SeatChange::ScheduleReduction { from: plan.seats, to: n, effective_at: plan.period.end() }
        };
        let effective = if n == plan.seats { at } else { plan.period.end() };
        Ok(SeatQuote {
            change,
            preview: ChargePreview::scheduled(catalog.currency, at, effective),
            extra_seats: (old_extra, catalog.extra_seats(n)),
        })
    }

    /// Applies a quote made by [`Self::quote_seats`] on this same state.
    pub fn apply_seats(&mut self, quote: &SeatQuote) -> Result<Vec<SubscriptionEvent>, SubscriptionError> {
        let plan = match self.r.state.billing_mut() {
            SubscriptionState::Active(p) | SubscriptionState::CancelingAtPeriodEnd(p) => p,
            SubscriptionState::PastDue { .. } => return Err(SubscriptionError::PaymentPastDue),
            other => return Err(SubscriptionError::NotOnPaidPlan(other.status())),
        };
        Ok(match quote.change {
            SeatChange::Increase { from, to } => {
                plan.seats = to;
                plan.seats_next_period = to;
                vec![SubscriptionEvent::SeatsIncreased { from, to }]
            }
            SeatChange::ScheduleReduction { from, to, effective_at } => {
                plan.seats_next_period = to;
                vec![SubscriptionEvent::SeatReductionScheduled { from, to, effective_at }]
            }
            SeatChange::CancelReduction => {
                plan.seats_next_period = plan.seats;
                vec![SubscriptionEvent::SeatReductionCancelled]
            }
        })
    }

    // ----- plan and interval -----------------------------------------------

    /// Prices a plan request at `at` without changing anything.
    pub fn quote_plan(
        &self,
        choice: PlanChoice,
        timing: PlanTiming,
        used: u32,
        at: DateTime<Utc>,
        catalog: &PlanCatalog,
    ) -> Result<PlanQuote, SubscriptionError> {
        self.ensure_active_tenant()?;
        let scheduled = |effective_at| ChargePreview::scheduled(catalog.currency, at, effective_at);
        let quote = |change, resumes, preview| Ok(PlanQuote { change, resumes, preview });
        match (self.r.state.billing(), choice) {
            (SubscriptionState::Trialing { .. }, PlanChoice::Standard(interval)) if timing == PlanTiming::Now => {
                if !self.r.payment_method_on_file {
                    return Err(SubscriptionError::PaymentMethodRequired);
                }
                let seats = used.max(catalog.included_seats);
                let preview = proration::new_period(catalog, interval, seats, at)?;
                quote(PlanChange::ConvertTrialNow { interval, seats }, false, preview)
            }
            (SubscriptionState::Trialing { trial, interval_after, continue_free }, PlanChoice::Standard(i)) => {
                if *interval_after == i && !continue_free {
                    return Err(SubscriptionError::Unchanged);
                }
                quote(PlanChange::TrialInterval { interval: i }, false, scheduled(trial.end()))
            }
            (SubscriptionState::Trialing { trial, continue_free, .. }, PlanChoice::Freemium) => {
                if *continue_free {
                    return Err(SubscriptionError::Unchanged);
                }
                quote(PlanChange::TrialContinueFree, false, scheduled(trial.end()))
            }
            (SubscriptionState::Freemium { .. }, PlanChoice::Freemium) => Err(SubscriptionError::Unchanged),
            (SubscriptionState::Freemium { .. }, PlanChoice::Standard(interval)) => {
                if !self.r.payment_method_on_file {
                    return Err(SubscriptionError::PaymentMethodRequired);
                }
                let seats = used.max(catalog.included_seats);
                let preview = proration::new_period(catalog, interval, seats, at)?;
                quote(PlanChange::StartPaid { interval, seats }, false, preview)
            }
            (SubscriptionState::PastDue { .. }, _) => Err(SubscriptionError::PaymentPastDue),
            (SubscriptionState::Active(p), PlanChoice::Freemium) => {
                quote(PlanChange::CancelAtPeriodEnd { effective_at: p.period.end() }, false, scheduled(p.period.end()))
            }
            (SubscriptionState::CancelingAtPeriodEnd(_), PlanChoice::Freemium) => {
                Err(SubscriptionError::AlreadyCanceling)
            }
            (SubscriptionState::Active(p), PlanChoice::Standard(to)) => Self::quote_interval(p, to, false, at, catalog),
            (SubscriptionState::CancelingAtPeriodEnd(p), PlanChoice::Standard(to)) => {
                Self::quote_interval(p, to, true, at, catalog)
            }
            (other, _) => Err(SubscriptionError::TenantInactive(other.status())),
        }
    }

    fn quote_interval(
        p: &PaidPlan,
        to: Interval,
        resumes: bool,
        at: DateTime<Utc>,
        catalog: &PlanCatalog,
    ) -> Result<PlanQuote, SubscriptionError> {
        proration::check_proration_date(&p.period, at)?;
        let scheduled = |effective_at| ChargePreview::scheduled(catalog.currency, at, effective_at);
        let (change, preview) = if to == p.interval {
            if p.interval_next_period != p.interval {
                (PlanChange::CancelIntervalChange, scheduled(at))
            } else if resumes {
                (PlanChange::Resume, scheduled(at))
            } else {
                return Err(SubscriptionError::Unchanged);
            }
        } else if to == Interval::Year {
            // Monthly → yearly takes effect now (DESIGN.md "Interval change").
            let preview = proration::interval_change_now(catalog, p.interval, to, p.seats, &p.period, at)?;
            (PlanChange::IntervalNow { from: p.interval, to }, preview)
        } else if p.interval_next_period == to {
            return Err(SubscriptionError::Unchanged);
        } else {
            // Yearly → monthly is scheduled for the end of the yearly period.
            (PlanChange::IntervalAtPeriodEnd { to, effective_at: p.period.end() }, scheduled(p.period.end()))
        };
        Ok(PlanQuote { change, resumes, preview })
    }

    /// Applies a quote made by [`Self::quote_plan`] on this same state, at `at`.
    pub fn apply_plan(
        &mut self,
        quote: &PlanQuote,
        at: DateTime<Utc>,
    ) -> Result<Vec<SubscriptionEvent>, SubscriptionError> {
        // Work on a copy: a refusal half-way (after withdrawing a cancellation)
        // must leave the subscription exactly as it was.
        let mut next = self.clone();
        let events = next.apply_plan_in_place(quote, at)?;
        *self = next;
        Ok(events)
    }

    fn apply_plan_in_place(
        &mut self,
        quote: &PlanQuote,
        at: DateTime<Utc>,
    ) -> Result<Vec<SubscriptionEvent>, SubscriptionError> {
        self.ensure_active_tenant()?;
        let mut events = Vec::new();
        let state = self.r.state.billing_mut();
        if quote.resumes
            && let SubscriptionState::CancelingAtPeriodEnd(p) = state
        {
            *state = SubscriptionState::Active(*p);
            events.push(SubscriptionEvent::CancelRevoked);
        }
        match (state, quote.change) {
            (
                SubscriptionState::Trialing { interval_after, continue_free, .. },
                PlanChange::TrialInterval { interval },
            ) => {
                *interval_after = interval;
                *continue_free = false;
                events.push(SubscriptionEvent::IntervalAfterTrialChosen { interval });
            }
            (SubscriptionState::Trialing { continue_free, .. }, PlanChange::TrialContinueFree) => {
                *continue_free = true;
                events.push(SubscriptionEvent::ContinueFreeChosen);
            }
            (state @ SubscriptionState::Trialing { .. }, PlanChange::ConvertTrialNow { interval, seats }) => {
                *state = SubscriptionState::Active(PaidPlan::fresh(interval, seats, Period::starting(at, interval)?));
                events.push(SubscriptionEvent::TrialConverted { interval, seats });
            }
            (state @ SubscriptionState::Freemium { .. }, PlanChange::StartPaid { interval, seats }) => {
                *state = SubscriptionState::Active(PaidPlan::fresh(interval, seats, Period::starting(at, interval)?));
                events.push(SubscriptionEvent::Upgraded { interval, seats });
            }
            (SubscriptionState::Active(p), PlanChange::IntervalNow { from, to }) => {
                *p = PaidPlan::fresh(to, p.seats_next_period.max(p.seats), Period::starting(at, to)?);
                events.push(SubscriptionEvent::IntervalChanged { from, to });
            }
            (SubscriptionState::Active(p), PlanChange::IntervalAtPeriodEnd { to, effective_at }) => {
                p.interval_next_period = to;
                events.push(SubscriptionEvent::IntervalChangeScheduled { to, effective_at });
            }
            (SubscriptionState::Active(p), PlanChange::CancelIntervalChange) => {
                p.interval_next_period = p.interval;
                events.push(SubscriptionEvent::IntervalChangeCancelled);
            }
            (state @ SubscriptionState::Active(_), PlanChange::CancelAtPeriodEnd { effective_at }) => {
                if let SubscriptionState::Active(p) = state {
                    *state = SubscriptionState::CancelingAtPeriodEnd(*p);
                }
                events.push(SubscriptionEvent::CancelScheduled { effective_at });
            }
            (SubscriptionState::Active(_), PlanChange::Resume) => {}
            (other, _) => return Err(SubscriptionError::NotOnPaidPlan(other.status())),
        }
        Ok(events)
    }

    /// Cancel (DESIGN.md "Cancellation"): a paid plan falls back to freemium at
    /// the period end; during the trial it means "continue free"; while past due
    /// it ends now (no more retries).
    pub fn cancel(&mut self, now: DateTime<Utc>) -> Result<Vec<SubscriptionEvent>, SubscriptionError> {
        self.ensure_active_tenant()?;
        match self.r.state.billing_mut() {
            SubscriptionState::Trialing { .. } => self.continue_free(),
            state @ SubscriptionState::Active(_) => {
                let SubscriptionState::Active(p) = state else {
                    return Err(SubscriptionError::Unchanged);
                };
                let effective_at = p.period.end();
                *state = SubscriptionState::CancelingAtPeriodEnd(*p);
                Ok(vec![SubscriptionEvent::CancelScheduled { effective_at }])
            }
            state @ SubscriptionState::PastDue { .. } => {
                *state = SubscriptionState::Freemium { since: now };
                Ok(vec![SubscriptionEvent::EnteredFreemium { reason: FreemiumReason::Canceled }])
            }
            SubscriptionState::CancelingAtPeriodEnd(_) => Err(SubscriptionError::AlreadyCanceling),
            other => Err(SubscriptionError::NotOnPaidPlan(other.status())),
        }
    }

    // ----- provider-driven ---------------------------------------------------

    /// The next revision: every save is one (the idempotency keys of the
    /// provider's requests are made from it).
    pub fn next_revision(&mut self) {
        self.r.revision = self.r.revision.saturating_add(1);
    }

    /// The provider's customer, just created for the tenant (no subscription yet).
    pub fn link_customer(&mut self, customer: String) {
        self.r.provider = Some(ProviderLink { customer, subscription: None });
    }

    /// The provider's subscription, just started for the linked customer.
    pub fn link_subscription(&mut self, id: String) {
        if let Some(link) = &mut self.r.provider {
            link.subscription = Some(id);
        }
    }

    /// The provider's subscription ended: the link forgets it and answers its id.
    pub fn unlink_subscription(&mut self) -> Option<String> {
        self.r.provider.as_mut().and_then(|link| link.subscription.take())
    }

    /// The provider link another unit of work made (a signup's customer,
    /// created outside the unit of work that saved the subscription).
    pub fn adopt_provider(&mut self, link: Option<ProviderLink>) {
        self.r.provider = link;
    }

    /// A restore into another tenant (a clone): the provider's customer and
    /// subscription stay with the original.
    pub fn unlink_provider(&mut self) {
        self.r.provider = None;
        self.r.provider_synced_at = None;
    }

    /// A timer looked at the subscription at `now` and found nothing to do yet.
    pub fn checked_by_timer(&mut self, now: DateTime<Utc>) {
        self.r.timer_checked_at = Some(now);
    }

    /// The provider reports a usable payment method at `now`; a tenant waiting
    /// for it starts its trial now (DESIGN.md "Trial start and end").
    pub fn payment_method_added(&mut self, now: DateTime<Utc>, catalog: &PlanCatalog) -> Vec<SubscriptionEvent> {
        let mut events = Vec::new();
        if !self.r.payment_method_on_file {
            self.r.payment_method_on_file = true;
            events.push(SubscriptionEvent::PaymentMethodAdded);
        }
        if let SubscriptionState::PendingPaymentMethod { interval_after, .. } = self.r.state {
            let end = saturating_add(now, Duration::days(i64::from(catalog.trial_days)));
            if let Ok(trial) = Period::new(now, end) {
                self.r.state = SubscriptionState::Trialing { trial, interval_after, continue_free: false };
                events.push(SubscriptionEvent::TrialStarted { ends_at: end });
            }
        }
        events
    }

    /// What changed from one paid licence to the next as the provider reports
    /// it: collection, renewal, interval, seats.
    fn paid_plan_moves(old: &PaidPlan, new: &PaidPlan) -> Vec<SubscriptionEvent> {
        let mut events = Vec::new();
        if old.collection != new.collection {
            events.push(SubscriptionEvent::CollectionChanged { collection: new.collection });
        }
        if new.period.start() >= old.period.end() {
            events.push(SubscriptionEvent::Renewed { period: new.period });
        }
        if new.interval != old.interval {
            events.push(SubscriptionEvent::IntervalChanged { from: old.interval, to: new.interval });
        }
        if new.seats < old.seats {
            events.push(SubscriptionEvent::SeatReductionApplied { from: old.seats, to: new.seats });
        } else if new.seats > old.seats {
            events.push(SubscriptionEvent::SeatsIncreased { from: old.seats, to: new.seats });
        }
        events
    }

    /// Maps the provider's view onto the local state. Stale snapshots (older than
    /// the last applied) change nothing; applying the same snapshot twice changes
    /// nothing the second time.
    pub fn apply_snapshot(&mut self, snap: &ProviderSnapshot, catalog: &PlanCatalog) -> Vec<SubscriptionEvent> {
        if self.r.provider_synced_at.is_some_and(|t| snap.observed_at < t) {
            return Vec::new();
        }
        self.r.provider_synced_at = Some(snap.observed_at);
        self.r.timer_checked_at = None;
        self.r.discount = snap.discount.clone();
        let dunning = catalog.dunning_outcome;
        let remote_plan = PaidPlan {
            interval: snap.interval,
            seats: catalog.included_seats.saturating_add(snap.extra_seats),
            seats_next_period: catalog.included_seats.saturating_add(snap.extra_seats_next_period),
            interval_next_period: snap.interval_next_period,
            period: snap.period,
            collection: snap.collection,
        };
        let suspended_or_deleting = !self.allows_access();
        let state = self.r.state.billing_mut();
        let before = state.clone();
        let mut events = Vec::new();
        let next = match snap.status {
            ProviderStatus::Trialing => {
                let continue_free = snap.cancel_at_period_end;
                SubscriptionState::Trialing { trial: snap.period, interval_after: snap.interval, continue_free }
            }
            ProviderStatus::Active | ProviderStatus::PastDue => {
                let local = before.paid().copied();
                match &before {
                    SubscriptionState::Trialing { .. } => events.push(SubscriptionEvent::TrialConverted {
                        interval: remote_plan.interval,
                        seats: remote_plan.seats,
                    }),
                    SubscriptionState::Freemium { .. } => events
                        .push(SubscriptionEvent::Upgraded { interval: remote_plan.interval, seats: remote_plan.seats }),
                    _ => {}
                }
                if let Some(old) = local {
                    events.extend(Self::paid_plan_moves(&old, &remote_plan));
                }
                match snap.status {
                    ProviderStatus::PastDue => {
                        let since = match &before {
                            SubscriptionState::PastDue { since, .. } => *since,
                            _ => {
                                events.push(SubscriptionEvent::BecamePastDue);
                                snap.observed_at
                            }
                        };
                        SubscriptionState::PastDue { plan: remote_plan, since }
                    }
                    _ if snap.cancel_at_period_end => {
                        if !matches!(before, SubscriptionState::CancelingAtPeriodEnd(_)) {
                            events.push(SubscriptionEvent::CancelScheduled { effective_at: remote_plan.period.end() });
                        }
                        SubscriptionState::CancelingAtPeriodEnd(remote_plan)
                    }
                    _ => {
                        match &before {
                            SubscriptionState::PastDue { .. } => events.push(SubscriptionEvent::PaymentRecovered),
                            SubscriptionState::CancelingAtPeriodEnd(_) => events.push(SubscriptionEvent::CancelRevoked),
                            _ => {}
                        }
                        SubscriptionState::Active(remote_plan)
                    }
                }
            }
            ProviderStatus::Canceled => match &before {
                SubscriptionState::Freemium { .. } => before.clone(),
                other => {
                    let reason = match other {
                        SubscriptionState::Trialing { .. } => FreemiumReason::TrialEnded,
                        SubscriptionState::PastDue { .. } => FreemiumReason::PaymentFailed,
                        _ => FreemiumReason::Canceled,
                    };
                    events.push(SubscriptionEvent::EnteredFreemium { reason });
                    SubscriptionState::Freemium { since: snap.observed_at }
                }
            },
        };
        let dunning_suspends = dunning == DunningOutcome::Suspend
            && matches!(before, SubscriptionState::PastDue { .. })
            && snap.status == ProviderStatus::Canceled
            && !suspended_or_deleting;
        *state = next;
        if dunning_suspends {
            let inner = std::mem::replace(&mut self.r.state, SubscriptionState::Freemium { since: snap.observed_at });
            self.r.state = SubscriptionState::Suspended { since: snap.observed_at, resume: Box::new(inner) };
            events.push(SubscriptionEvent::Suspended);
        }
        events
    }

    /// Grace expiry (DESIGN.md "Dunning"): still past due `grace_days` after the
    /// first failure → freemium, or suspended by configuration.
    pub fn expire_grace(
        &mut self,
        now: DateTime<Utc>,
        catalog: &PlanCatalog,
    ) -> Result<Vec<SubscriptionEvent>, SubscriptionError> {
        let SubscriptionState::PastDue { since, .. } = self.r.state.billing() else {
            return Err(SubscriptionError::NotOnPaidPlan(self.billing_status()));
        };
        let due = saturating_add(*since, Duration::days(i64::from(catalog.grace_days)));
        if now < due {
            return Err(SubscriptionError::NotDue(due));
        }
        *self.r.state.billing_mut() = SubscriptionState::Freemium { since: now };
        let mut events = vec![SubscriptionEvent::EnteredFreemium { reason: FreemiumReason::PaymentFailed }];
        if catalog.dunning_outcome == DunningOutcome::Suspend && self.allows_access() {
            events.extend(self.suspend(now)?);
        }
        Ok(events)
    }

    /// A cancellation reached its period end → freemium.
    pub fn end_canceled_period(&mut self, now: DateTime<Utc>) -> Result<Vec<SubscriptionEvent>, SubscriptionError> {
        let SubscriptionState::CancelingAtPeriodEnd(p) = self.r.state.billing() else {
            return Err(SubscriptionError::NotOnPaidPlan(self.billing_status()));
        };
        if now < p.period.end() {
            return Err(SubscriptionError::NotDue(p.period.end()));
        }
        let since = p.period.end();
        *self.r.state.billing_mut() = SubscriptionState::Freemium { since };
        Ok(vec![SubscriptionEvent::EnteredFreemium { reason: FreemiumReason::Canceled }])
    }

    /// The superuser puts the tenant on freemium now.
    pub fn force_freemium(&mut self, now: DateTime<Utc>) -> Result<Vec<SubscriptionEvent>, SubscriptionError> {
        if matches!(self.r.state.billing(), SubscriptionState::Freemium { .. }) {
            return Err(SubscriptionError::Unchanged);
        }
        *self.r.state.billing_mut() = SubscriptionState::Freemium { since: now };
        Ok(vec![SubscriptionEvent::EnteredFreemium { reason: FreemiumReason::Platform }])
    }

    /// The superuser extends (or shortens) a running trial to end at `ends_at`.
    pub fn set_trial_end(&mut self, ends_at: DateTime<Utc>) -> Result<Vec<SubscriptionEvent>, SubscriptionError> {
        let SubscriptionState::Trialing { trial, .. } = self.r.state.billing_mut() else {
            return Err(SubscriptionError::NotTrialing);
        };
        *trial = Period::new(trial.start(), ends_at)?;
        Ok(vec![SubscriptionEvent::TrialStarted { ends_at }])
    }

    // ----- lifecycle -----------------------------------------------------------

    /// Suspends the tenant (superuser, or dunning by configuration).
    pub fn suspend(&mut self, now: DateTime<Utc>) -> Result<Vec<SubscriptionEvent>, SubscriptionError> {
        match self.r.state {
            SubscriptionState::Suspended { .. } => Err(SubscriptionError::AlreadySuspended),
            SubscriptionState::PendingDeletion { .. } => Err(SubscriptionError::TenantInactive(self.status())),
            _ => {
                let inner = std::mem::replace(&mut self.r.state, SubscriptionState::Freemium { since: now });
                self.r.state = SubscriptionState::Suspended { since: now, resume: Box::new(inner) };
                Ok(vec![SubscriptionEvent::Suspended])
            }
        }
    }

    /// Lifts a suspension.
    pub fn unsuspend(&mut self) -> Result<Vec<SubscriptionEvent>, SubscriptionError> {
        match &mut self.r.state {
            SubscriptionState::Suspended { resume, .. } => {
                let inner =
                    std::mem::replace(resume.as_mut(), SubscriptionState::Freemium { since: DateTime::UNIX_EPOCH });
                self.r.state = inner;
                Ok(vec![SubscriptionEvent::Resumed])
            }
            _ => Err(SubscriptionError::NotSuspended),
        }
    }

    /// The owner requests deletion: access ends now, the purge follows after the
    /// retention period (30 days) unless cancelled.
    pub fn request_deletion(
        &mut self,
        now: DateTime<Utc>,
        catalog: &PlanCatalog,
    ) -> Result<Vec<SubscriptionEvent>, SubscriptionError> {
        if matches!(self.r.state, SubscriptionState::PendingDeletion { .. }) {
            return Err(SubscriptionError::AlreadyPendingDeletion);
        }
        let purge_at = saturating_add(now, Duration::days(i64::from(catalog.retention_days)));
        let inner = std::mem::replace(&mut self.r.state, SubscriptionState::Freemium { since: now });
        self.r.state = SubscriptionState::PendingDeletion { requested_at: now, purge_at, resume: Box::new(inner) };
        Ok(vec![SubscriptionEvent::DeletionRequested { purge_at }])
    }

    /// Cancels a deletion request before the purge.
    pub fn cancel_deletion(&mut self, now: DateTime<Utc>) -> Result<Vec<SubscriptionEvent>, SubscriptionError> {
        match &mut self.r.state {
            SubscriptionState::PendingDeletion { purge_at, resume, .. } if now < *purge_at => {
                let inner = std::mem::replace(resume.as_mut(), SubscriptionState::Freemium { since: now });
                self.r.state = inner;
                Ok(vec![SubscriptionEvent::DeletionCancelled])
            }
            _ => Err(SubscriptionError::NoDeletionToCancel),
        }
    }

    /// Whether the tenant's data is due for purging at `now`.
    pub fn purge_due(&self, now: DateTime<Utc>, catalog: &PlanCatalog) -> bool {
        match self.r.state {
            SubscriptionState::PendingDeletion { purge_at, .. } => now >= purge_at,
            SubscriptionState::PendingPaymentMethod { since, .. } => now >= self.unfinished_purge_at(since, catalog),
            _ => false,
        }
    }

    /// When a signup that never got its payment method is purged.
    fn unfinished_purge_at(&self, since: DateTime<Utc>, catalog: &PlanCatalog) -> DateTime<Utc> {
        saturating_add(since, Duration::days(i64::from(catalog.unfinished_signup_days)))
    }

    /// When the next invoice is charged, if one is coming: the trial's end for
    /// a trial that converts, the period's end for a paid plan that renews
    /// (not while cancelling, past due, suspended or pending deletion).
    pub fn next_charge_at(&self) -> Option<DateTime<Utc>> {
        match &self.r.state {
            SubscriptionState::Trialing { trial, continue_free: false, .. } if self.r.payment_method_on_file => {
                Some(trial.end())
            }
            SubscriptionState::Active(p) if !p.collection.paused => Some(p.period.end()),
            _ => None,
        }
    }

    /// While waiting for the payment method: when the unfinished signup is purged.
    pub fn unfinished_signup_purged_at(&self, catalog: &PlanCatalog) -> Option<DateTime<Utc>> {
        match self.r.state {
            SubscriptionState::PendingPaymentMethod { since, .. } => Some(self.unfinished_purge_at(since, catalog)),
            _ => None,
        }
    }

    /// Whether the tenant waits for a payment method before its trial starts
    /// (every tenant route answers `payment_method_required` meanwhile).
    pub fn awaits_payment_method(&self) -> bool {
        matches!(self.r.state, SubscriptionState::PendingPaymentMethod { .. })
    }

    /// Whether this is a trial that will end without a payment method and
    /// without "continue free" chosen: the trial policy's
    /// `trial_without_payment_method_ends_in` decides what it becomes.
    pub fn cardless_trial(&self) -> bool {
        matches!(self.r.state, SubscriptionState::Trialing { continue_free: false, .. })
            && !self.r.payment_method_on_file
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{EntityId, uuid_v7_from_parts};
    use chrono::TimeZone;
    use proptest::prelude::*;

    fn t(m: u32, d: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, m, d, 0, 0, 0).unwrap()
    }
    fn tenant() -> TenantId {
        TenantId::from_uuid(uuid_v7_from_parts(1, [0; 10])).unwrap()
    }
    fn catalog() -> PlanCatalog {
        PlanCatalog::default()
    }
    /// Active monthly with `seats`, period 2026-11-01 .. 2026-12-01.
    fn active(seats: u32) -> Subscription {
        let mut s = Subscription::start_freemium(tenant(), t(11, 1));
        s.r.state = SubscriptionState::Active(PaidPlan::fresh(
            Interval::Month,
            seats,
            Period::new(t(11, 1), t(12, 1)).unwrap(),
        ));
        s.r.payment_method_on_file = true;
        s
    }
    fn seats(n: i64) -> Seats {
        Seats::new(n).unwrap()
    }

    #[test]
    fn a_trial_lasts_fourteen_days_and_caps_no_seats() {
        let (s, ev) = Subscription::start_trial(tenant(), t(11, 1), &catalog()).unwrap();
        assert_eq!(ev, SubscriptionEvent::TrialStarted { ends_at: t(11, 15) });
        assert_eq!(s.status(), SubscriptionStatus::Trialing);
        assert_eq!(s.seat_limit(&catalog()), SeatLimit::Uncapped);
        // reminder 3 days before the end
        assert_eq!(s.next_due_at(&catalog(), false), Some(t(11, 12)));
        assert_eq!(s.next_due_at(&catalog(), true), Some(t(11, 15) + PROVIDER_SLACK));
    }

    #[test]
    fn a_trial_with_a_payment_method_converts_with_max_of_three_and_used_seats() {
        let (mut s, _) = Subscription::start_trial(tenant(), t(11, 1), &catalog()).unwrap();
        assert_eq!(s.end_trial(t(11, 14), 5, &catalog()), Err(SubscriptionError::NotDue(t(11, 15))));
        s.payment_method_added(t(11, 2), &catalog());
        let ev = s.end_trial(t(11, 15), 5, &catalog()).unwrap();
        assert_eq!(ev, vec![SubscriptionEvent::TrialConverted { interval: Interval::Month, seats: 5 }]);
        assert_eq!(s.seats(&catalog()), (Some(5), Some(5)));
        assert_eq!(s.current_period().unwrap().start(), t(11, 15));

        let (mut small, _) = Subscription::start_trial(tenant(), t(11, 1), &catalog()).unwrap();
        small.payment_method_added(t(11, 2), &catalog());
        small.end_trial(t(11, 15), 1, &catalog()).unwrap();
        assert_eq!(small.seats(&catalog()).0, Some(3));
    }

    #[test]
    fn a_trial_without_a_payment_method_or_with_continue_free_becomes_freemium() {
        let (mut s, _) = Subscription::start_trial(tenant(), t(11, 1), &catalog()).unwrap();
        s.end_trial(t(11, 15), 5, &catalog()).unwrap();
        assert_eq!(s.status(), SubscriptionStatus::Freemium);

        let (mut chose_free, _) = Subscription::start_trial(tenant(), t(11, 1), &catalog()).unwrap();
        chose_free.payment_method_added(t(11, 2), &catalog());
        chose_free.continue_free().unwrap();
        assert_eq!(chose_free.continue_free(), Err(SubscriptionError::Unchanged));
        let ev = chose_free.end_trial(t(11, 15), 1, &catalog()).unwrap();
        assert_eq!(ev, vec![SubscriptionEvent::EnteredFreemium { reason: FreemiumReason::TrialEnded }]);
    }

    #[test]
    fn adding_a_seat_on_the_21st_of_november_is_prorated_to_165_cents() {
        // 4 seats = 1 extra; 5 seats = 2 extra: −165 + 330 = 165 (DESIGN.md).
        let s = active(4);
        let q = s.quote_seats(seats(5), 4, t(11, 21), &catalog()).unwrap();
        assert_eq!(q.change, SeatChange::Increase { from: 4, to: 5 });
        assert_eq!(q.preview.total, Money::eur(165));
        assert_eq!(q.extra_seats, (1, 2));
    }

    #[test]
    fn a_seat_reduction_keeps_the_licence_until_the_period_end_then_applies() {
        let mut s = active(7);
        let q = s.quote_seats(seats(5), 4, t(11, 21), &catalog()).unwrap();
        assert_eq!(q.preview.total, Money::eur(0));
        assert_eq!(q.preview.effective_at, t(12, 1));
        s.apply_seats(&q).unwrap();
        // the licence is unchanged until 2026-12-01 ...
        assert_eq!(s.seats(&catalog()), (Some(7), Some(5)));
        // ... but new invitations are checked against the lower number
        assert_eq!(s.seat_limit(&catalog()), SeatLimit::Capped(5));
        // the provider renews on 2026-12-01 with the scheduled quantity
        let snap = ProviderSnapshot {
            status: ProviderStatus::Active,
            interval: Interval::Month,
            extra_seats: 2,
            extra_seats_next_period: 2,
            interval_next_period: Interval::Month,
            period: Period::new(t(12, 1), Utc.with_ymd_and_hms(2027, 1, 1, 0, 0, 0).unwrap()).unwrap(),
            cancel_at_period_end: false,
            collection: Default::default(),
            discount: None,
            observed_at: t(12, 1),
        };
        let ev = s.apply_snapshot(&snap, &catalog());
        assert!(ev.contains(&SubscriptionEvent::SeatReductionApplied { from: 7, to: 5 }));
        assert_eq!(s.seats(&catalog()), (Some(5), Some(5)));
    }

    #[test]
    fn a_reduction_below_the_used_seats_says_how_many_must_go() {
        let s = active(7);
        assert_eq!(
            s.quote_seats(seats(4), 6, t(11, 21), &catalog()),
            Err(SubscriptionError::BelowUsedSeats { requested: 4, used: 6, missing: 2 })
        );
        assert_eq!(
            s.quote_seats(seats(2), 1, t(11, 21), &catalog()),
            Err(SubscriptionError::BelowIncludedSeats { minimum: 3 })
        );
        assert_eq!(s.quote_seats(seats(7), 1, t(11, 21), &catalog()), Err(SubscriptionError::Unchanged));
    }

    #[test]
    fn a_preview_from_a_past_period_has_expired() {
        let s = active(4);
        assert!(matches!(
            s.quote_seats(seats(5), 4, t(12, 1), &catalog()),
            Err(SubscriptionError::Proration(ProrationError::PreviewExpired { .. }))
        ));
    }

    #[test]
    fn monthly_to_yearly_happens_now_and_moves_the_billing_date() {
        let mut s = active(7);
        let q = s.quote_plan(PlanChoice::Standard(Interval::Year), PlanTiming::Now, 7, t(11, 21), &catalog()).unwrap();
        assert_eq!(q.preview.total, Money::eur(69335));
        s.apply_plan(&q, t(11, 21)).unwrap();
        let p = s.paid_plan().unwrap();
        assert_eq!(p.interval, Interval::Year);
        assert_eq!(p.period.start(), t(11, 21));
    }

    #[test]
    fn yearly_to_monthly_waits_for_the_end_of_the_yearly_period() {
        let mut s = active(3);
        let q = s.quote_plan(PlanChoice::Standard(Interval::Year), PlanTiming::Now, 3, t(11, 21), &catalog()).unwrap();
        s.apply_plan(&q, t(11, 21)).unwrap();
        let q = s.quote_plan(PlanChoice::Standard(Interval::Month), PlanTiming::Now, 3, t(11, 22), &catalog()).unwrap();
        assert_eq!(q.preview.total, Money::eur(0));
        s.apply_plan(&q, t(11, 22)).unwrap();
        let p = s.paid_plan().unwrap();
        assert_eq!((p.interval, p.interval_next_period), (Interval::Year, Interval::Month));
        assert_eq!(s.next_invoice(&catalog(), 1).unwrap().1, Money::eur(4995));
    }

    #[test]
    fn subscribing_during_the_trial_converts_now_and_choosing_for_the_trial_end_does_not() {
        let (mut s, _) = Subscription::start_trial(tenant(), t(11, 1), &catalog()).unwrap();
        assert_eq!(
            s.quote_plan(PlanChoice::Standard(Interval::Month), PlanTiming::Now, 1, t(11, 3), &catalog()),
            Err(SubscriptionError::PaymentMethodRequired)
        );
        let later = s
            .quote_plan(PlanChoice::Standard(Interval::Year), PlanTiming::AtTrialEnd, 1, t(11, 3), &catalog())
            .unwrap();
        assert_eq!(later.preview.total, Money::eur(0));
        assert_eq!(later.preview.effective_at, t(11, 15));
        s.apply_plan(&later, t(11, 3)).unwrap();
        assert_eq!(s.interval(), Some(Interval::Year));
        s.payment_method_added(t(11, 2), &catalog());
        let now =
            s.quote_plan(PlanChoice::Standard(Interval::Month), PlanTiming::Now, 4, t(11, 3), &catalog()).unwrap();
        // 4 used seats: 4995 + 1 × 495 = 5490
        assert_eq!(now.preview.total, Money::eur(5490));
        s.apply_plan(&now, t(11, 3)).unwrap();
        assert_eq!(s.status(), SubscriptionStatus::Active);
        assert_eq!(s.seats(&catalog()), (Some(4), Some(4)));
        assert_eq!(s.current_period().unwrap().start(), t(11, 3));
    }

    #[test]
    fn upgrading_from_freemium_needs_a_payment_method() {
        let mut s = Subscription::start_freemium(tenant(), t(11, 1));
        assert_eq!(
            s.quote_plan(PlanChoice::Standard(Interval::Month), PlanTiming::Now, 2, t(11, 2), &catalog()),
            Err(SubscriptionError::PaymentMethodRequired)
        );
        s.payment_method_added(t(11, 2), &catalog());
        let q = s.quote_plan(PlanChoice::Standard(Interval::Month), PlanTiming::Now, 2, t(11, 2), &catalog()).unwrap();
        assert_eq!(q.preview.total, Money::eur(4995));
        s.apply_plan(&q, t(11, 2)).unwrap();
        assert_eq!(s.status(), SubscriptionStatus::Active);
    }

    #[test]
    fn cancel_falls_back_to_freemium_at_the_period_end_and_can_be_withdrawn() {
        let mut s = active(3);
        s.cancel(t(11, 10)).unwrap();
        assert_eq!(s.status(), SubscriptionStatus::CancelingAtPeriodEnd);
        assert_eq!(s.cancel(t(11, 10)), Err(SubscriptionError::AlreadyCanceling));
        let q = s.quote_plan(PlanChoice::Standard(Interval::Month), PlanTiming::Now, 3, t(11, 11), &catalog()).unwrap();
        assert_eq!(q.change, PlanChange::Resume);
        s.apply_plan(&q, t(11, 11)).unwrap();
        assert_eq!(s.status(), SubscriptionStatus::Active);
        s.cancel(t(11, 12)).unwrap();
        assert_eq!(s.end_canceled_period(t(11, 30)), Err(SubscriptionError::NotDue(t(12, 1))));
        s.end_canceled_period(t(12, 1)).unwrap();
        assert_eq!(s.status(), SubscriptionStatus::Freemium);
    }

    #[test]
    fn dunning_keeps_access_during_grace_then_downgrades() {
        let mut s = active(5);
        let mut snap = ProviderSnapshot {
            status: ProviderStatus::PastDue,
            interval: Interval::Month,
            extra_seats: 2,
            extra_seats_next_period: 2,
            interval_next_period: Interval::Month,
            period: Period::new(t(11, 1), t(12, 1)).unwrap(),
            cancel_at_period_end: false,
            collection: Default::default(),
            discount: None,
            observed_at: t(11, 2),
        };
        assert_eq!(s.apply_snapshot(&snap, &catalog()), vec![SubscriptionEvent::BecamePastDue]);
        assert!(s.allows_access());
        assert_eq!(s.next_due_at(&catalog(), false), Some(t(11, 16)));
        assert!(matches!(s.expire_grace(t(11, 15), &catalog()), Err(SubscriptionError::NotDue(_))));
        // paying while past due restores everything
        snap.status = ProviderStatus::Active;
        snap.observed_at = t(11, 3);
        assert_eq!(s.apply_snapshot(&snap, &catalog()), vec![SubscriptionEvent::PaymentRecovered]);
        // a stale past-due snapshot delivered late changes nothing
        snap.status = ProviderStatus::PastDue;
        snap.observed_at = t(11, 2);
        assert!(s.apply_snapshot(&snap, &catalog()).is_empty());
        assert_eq!(s.status(), SubscriptionStatus::Active);
        // fail again and let the grace run out
        snap.observed_at = t(11, 4);
        s.apply_snapshot(&snap, &catalog());
        let ev = s.expire_grace(t(11, 18), &catalog()).unwrap();
        assert_eq!(ev, vec![SubscriptionEvent::EnteredFreemium { reason: FreemiumReason::PaymentFailed }]);
    }

    #[test]
    fn dunning_can_suspend_instead_by_configuration() {
        let mut c = catalog();
        c.dunning_outcome = DunningOutcome::Suspend;
        let mut s = active(3);
        s.r.state = SubscriptionState::PastDue { plan: *s.paid_plan().unwrap(), since: t(11, 2) };
        s.expire_grace(t(11, 16), &c).unwrap();
        assert_eq!(s.status(), SubscriptionStatus::Suspended);
        assert_eq!(s.billing_status(), SubscriptionStatus::Freemium);
    }

    #[test]
    fn a_signup_waiting_for_its_payment_method_starts_the_trial_when_it_is_on_file() {
        let c = catalog();
        let mut s = Subscription::await_payment_method(tenant(), t(11, 1), Interval::Year);
        assert_eq!(s.status(), SubscriptionStatus::PendingPaymentMethod);
        assert_eq!(s.status().as_str(), "pending_payment_method");
        assert!(s.awaits_payment_method());
        assert_eq!(s.plan_kind(), PlanKind::Trial);
        assert_eq!(s.trial_ends_at(), None, "no trial yet");
        // purged 7 days after signup if the method never comes
        assert_eq!(s.next_due_at(&c, false), Some(t(11, 8)));
        assert!(!s.purge_due(t(11, 7), &c));
        assert!(s.purge_due(t(11, 8), &c));
        // nothing billable can be quoted meanwhile
        assert!(matches!(
            s.quote_plan(PlanChoice::Standard(Interval::Month), PlanTiming::Now, 1, t(11, 2), &c),
            Err(SubscriptionError::TenantInactive(SubscriptionStatus::PendingPaymentMethod))
        ));
        // the method arrives on day 3: 14 days of trial from then, yearly after
        let events = s.payment_method_added(t(11, 3), &c);
        assert_eq!(
            events,
            vec![SubscriptionEvent::PaymentMethodAdded, SubscriptionEvent::TrialStarted { ends_at: t(11, 17) }]
        );
        assert_eq!(s.status(), SubscriptionStatus::Trialing);
        assert_eq!(s.trial_ends_at(), Some(t(11, 17)));
        assert_eq!(s.interval(), Some(Interval::Year));
        assert!(s.trial_converts());
        assert!(!s.cardless_trial());
        assert!(!s.purge_due(t(12, 1), &c));
        // a second report changes nothing
        assert_eq!(s.payment_method_added(t(11, 4), &c), vec![]);
        assert_eq!(s.trial_ends_at(), Some(t(11, 17)));
    }

    #[test]
    fn a_cardless_trial_is_one_without_a_method_and_without_continue_free() {
        let c = catalog();
        let (mut s, _) = Subscription::start_trial(tenant(), t(11, 1), &c).unwrap();
        assert!(s.cardless_trial());
        s.continue_free().unwrap();
        assert!(!s.cardless_trial(), "the admin chose freemium: not the policy's to decide");
        let (mut carded, _) = Subscription::start_trial(tenant(), t(11, 1), &c).unwrap();
        carded.payment_method_added(t(11, 2), &c);
        assert!(!carded.cardless_trial());
    }

    #[test]
    fn suspension_and_deletion_keep_the_billing_state_to_return_to() {
        let mut s = active(4);
        s.suspend(t(11, 3)).unwrap();
        assert!(!s.allows_access());
        assert_eq!(s.suspend(t(11, 3)), Err(SubscriptionError::AlreadySuspended));
        assert!(matches!(s.quote_seats(seats(5), 1, t(11, 4), &catalog()), Err(SubscriptionError::TenantInactive(_))));
        s.unsuspend().unwrap();
        assert_eq!(s.status(), SubscriptionStatus::Active);

        s.request_deletion(t(11, 5), &catalog()).unwrap();
        assert!(!s.purge_due(t(12, 4), &catalog()));
        assert!(s.purge_due(t(12, 5), &catalog()));
        s.cancel_deletion(t(11, 6)).unwrap();
        assert_eq!(s.seats(&catalog()).0, Some(4));
        s.request_deletion(t(11, 7), &catalog()).unwrap();
        assert_eq!(s.cancel_deletion(t(12, 7)), Err(SubscriptionError::NoDeletionToCancel));
    }

    #[test]
    fn the_same_snapshot_applied_twice_changes_nothing_the_second_time() {
        let (mut s, _) = Subscription::start_trial(tenant(), t(11, 1), &catalog()).unwrap();
        let snap = ProviderSnapshot {
            status: ProviderStatus::Active,
            interval: Interval::Month,
            extra_seats: 1,
            extra_seats_next_period: 1,
            interval_next_period: Interval::Month,
            period: Period::new(t(11, 15), t(12, 15)).unwrap(),
            cancel_at_period_end: false,
            collection: Default::default(),
            discount: None,
            observed_at: t(11, 15),
        };
        assert_eq!(
            s.apply_snapshot(&snap, &catalog()),
            vec![SubscriptionEvent::TrialConverted { interval: Interval::Month, seats: 4 }]
        );
        let once = s.clone();
        assert!(s.apply_snapshot(&snap, &catalog()).is_empty());
        assert_eq!(s, once);
    }

    fn arb_op() -> impl Strategy<Value = u8> {
        0u8..16
    }

    fn arb_status() -> impl Strategy<Value = ProviderStatus> {
        prop_oneof![
            Just(ProviderStatus::Trialing),
            Just(ProviderStatus::Active),
            Just(ProviderStatus::PastDue),
            Just(ProviderStatus::Canceled)
        ]
    }

    proptest! {
        /// Property (e) for the state machine: a refused transition leaves the
        /// subscription exactly as it was — including quotes applied to a state
        /// other than the one they were made from, and provider snapshots of any
        /// status arriving in any order.
        #[test]
        fn a_refused_transition_changes_nothing(
            ops in proptest::collection::vec((arb_op(), 1i64..12, 0u32..12, 0i64..90, arb_status(), any::<bool>()), 1..40),
            pending in any::<bool>(),
        ) {
            let c = catalog();
            let mut s = if pending {
                Subscription::await_payment_method(tenant(), t(11, 1), Interval::Month)
            } else {
                Subscription::start_trial(tenant(), t(11, 1), &c).unwrap().0
            };
            let mut stale_plan: Option<PlanQuote> = None;
            let mut stale_seats: Option<SeatQuote> = None;
            for (op, n, used, day, status, flag) in ops {
                let now = t(11, 1) + Duration::days(day);
                let before = s.clone();
                let timing = if flag { PlanTiming::Now } else { PlanTiming::AtTrialEnd };
                let result: Result<Vec<SubscriptionEvent>, SubscriptionError> = match op {
                    0 => s.quote_seats(seats(n), used, now, &c).and_then(|q| s.apply_seats(&q)),
                    1 => s.quote_plan(PlanChoice::Standard(Interval::Year), timing, used, now, &c).and_then(|q| s.apply_plan(&q, now)),
                    2 => s.quote_plan(PlanChoice::Standard(Interval::Month), timing, used, now, &c).and_then(|q| s.apply_plan(&q, now)),
                    3 => s.quote_plan(PlanChoice::Freemium, PlanTiming::Now, used, now, &c).and_then(|q| s.apply_plan(&q, now)),
                    4 => s.cancel(now),
                    5 => s.end_trial(now, used, &c),
                    6 => Ok(s.payment_method_added(now, &c)),
                    7 => s.expire_grace(now, &c),
                    8 => s.suspend(now),
                    9 => s.unsuspend(),
                    10 => s.request_deletion(now, &c),
                    11 => s.cancel_deletion(now),
                    12 => {
                        // a provider snapshot of any status, possibly older than the last
                        let start = t(11, 1) + Duration::days(day / 2);
                        let snap = ProviderSnapshot {
                            status,
                            interval: if flag { Interval::Month } else { Interval::Year },
                            extra_seats: used,
                            extra_seats_next_period: used / 2,
                            interval_next_period: Interval::Month,
                            period: Period::starting(start, if flag { Interval::Month } else { Interval::Year }).unwrap(),
                            cancel_at_period_end: n % 3 == 0,
                            collection: Default::default(),
                            discount: None,
                            observed_at: now,
                        };
                        Ok(s.apply_snapshot(&snap, &c))
                    }
                    13 => {
                        // keep a quote for later, made on the state as it is now
                        stale_plan = s.quote_plan(PlanChoice::Standard(if flag { Interval::Year } else { Interval::Month }), timing, used, now, &c).ok();
                        stale_seats = s.quote_seats(seats(n), used, now, &c).ok();
                        Ok(Vec::new())
                    }
                    14 => match &stale_plan {
                        Some(q) => s.apply_plan(q, now),
                        None => Ok(Vec::new()),
                    },
                    _ => match &stale_seats {
                        Some(q) => s.apply_seats(q),
                        None => Ok(Vec::new()),
                    },
                };
                if result.is_err() {
                    prop_assert_eq!(&s, &before);
                }
                // seats never fall below the included seats on the paid plan
                if let Some(p) = s.paid_plan() {
                    prop_assert!(p.seats >= c.included_seats && p.seats_next_period >= c.included_seats);
                }
            }
        }
    }
}

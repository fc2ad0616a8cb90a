//! Subscription and billing use cases: view, preview, seats, plan and interval,
//! cancel, continue free, Checkout and Portal sessions, invoices, and the
//! provider's billing events.
//!
//! A change is priced by the domain and by the provider (the provider's preview
//! is the truth when they differ, and the difference is logged), made at the
//! provider with an idempotency key and the preview's `proration_date`, and
//! then recorded locally in the same unit of work. Should the commit fail after
//! the provider changed, the provider's `subscription.updated` event carries the
//! new state and reconciles it.

use super::access::Attempt;
use super::steps::count;
use super::subscription_state::trial_reminder_key;
use super::views::SubscriptionView;
use super::{AccessError, Tenantry, infra_from_store};
use crate::error::InfraError;
use crate::payment::{
    BillingEvent, BillingEventKind, ChangeOutcome, ChangeRequest, HostedSession, IdempotencyKey, Invoice, PaymentError,
    ProviderChange, ReturnPath,
};
use crate::scope::TenantScope;
use crate::store::{Access, TenantTx};
use crate::system::{Mail, Message};
use chrono::{DateTime, Utc};
use serde::Serialize;
use tenantry_domain::audit::{AuditTarget, SystemActor};
use tenantry_domain::proration::{ChargePreview, ProrationError};
use tenantry_domain::rbac::builtin;
use tenantry_domain::seats::{Seats, SeatsError};
use tenantry_domain::subscription::{
    PlanChange, PlanChoice, PlanTiming, ProviderStatus, SeatChange, SubscriptionError, SubscriptionEvent,
    SubscriptionState,
};
use tenantry_domain::{AuditAction, AuditOutcome, Money, Subscription};

/// How far in the future a client's `proration_date` may lie (clock skew).
const PRORATION_SKEW_SECONDS: i64 = 300;

/// Why a billing request was refused. The subscription and seats are unchanged.
#[derive(Debug, thiserror::Error)]
pub enum BillingError {
    /// Bad seat count.
    #[error(transparent)]
    InvalidSeats(#[from] SeatsError),
    /// A malformed request.
    #[error("{0}")]
    InvalidRequest(&'static str),
    /// A rule of the subscription refused it (stale preview, below used seats, ...).
    #[error(transparent)]
    Subscription(#[from] SubscriptionError),
    /// The card was declined; nothing changed.
    #[error("the payment was declined: {0}; update the payment method and try again")]
    PaymentDeclined(String),
    /// The payment needs the customer's confirmation; nothing changed.
    #[error("the payment needs confirmation")]
    PaymentActionRequired {
        /// Where to confirm it.
        hosted_url: Option<String>,
    },
    /// The payment provider could not be reached or refused the request.
    #[error("billing is unavailable: {0}")]
    Provider(PaymentError),
    /// Access.
    #[error(transparent)]
    Access(#[from] AccessError),
    /// Infrastructure.
    #[error(transparent)]
    Infra(#[from] InfraError),
}
infra_from_store!(BillingError);

impl From<PaymentError> for BillingError {
    fn from(e: PaymentError) -> Self {
        match e {
            PaymentError::CardDeclined(why) => BillingError::PaymentDeclined(why),
            PaymentError::ActionRequired { hosted_url } => BillingError::PaymentActionRequired { hosted_url },
            other => BillingError::Provider(other),
        }
    }
}

crate::problem!(BillingError {
    BillingError::InvalidSeats(_) => ("invalid_seats", Invalid),
    BillingError::InvalidRequest(_) => ("invalid_request", Invalid),
    BillingError::Subscription(e) => (via e),
    BillingError::PaymentDeclined(_) => ("payment_declined", PaymentRequired),
    BillingError::PaymentActionRequired { .. } => ("payment_action_required", PaymentRequired),
    BillingError::Provider(PaymentError::Rejected(_)) => ("billing_rejected", Invalid),
    BillingError::Provider(PaymentError::CardDeclined(_)) => ("billing_unavailable", Unavailable),
    BillingError::Provider(PaymentError::ActionRequired { .. }) => ("billing_unavailable", Unavailable),
    BillingError::Provider(PaymentError::NotFound) => ("billing_unavailable", Unavailable),
    BillingError::Provider(PaymentError::Unavailable(_)) => ("billing_unavailable", Unavailable),
    BillingError::Provider(PaymentError::Unknown(_)) => ("billing_unavailable", Unavailable),
    BillingError::Access(e) => (via e),
    BillingError::Infra(e) => (via e),
});

// A subscription rule's refusal, wherever a use case meets it (billing, the
// superuser's changes, deletion): each rule its own code.
crate::problem!(SubscriptionError {
    SubscriptionError::NotOnPaidPlan(_) => ("not_on_paid_plan", Conflict),
    SubscriptionError::NotTrialing => ("not_trialing", Conflict),
    SubscriptionError::PaymentPastDue => ("payment_past_due", PaymentRequired),
    SubscriptionError::PaymentMethodRequired => ("payment_method_required", PaymentRequired),
    SubscriptionError::TenantInactive(_) => ("tenant_inactive", Forbidden),
    SubscriptionError::Unchanged => ("unchanged", Conflict),
    SubscriptionError::BelowIncludedSeats { .. } => ("below_included_seats", Invalid),
    SubscriptionError::BelowUsedSeats { .. } => ("below_used_seats", Conflict),
    SubscriptionError::AlreadySuspended => ("subscription_conflict", Conflict),
    SubscriptionError::NotSuspended => ("subscription_conflict", Conflict),
    SubscriptionError::AlreadyPendingDeletion => ("subscription_conflict", Conflict),
    SubscriptionError::NoDeletionToCancel => ("subscription_conflict", Conflict),
    SubscriptionError::NotDue(_) => ("subscription_conflict", Conflict),
    SubscriptionError::AlreadyCanceling => ("already_canceling", Conflict),
    SubscriptionError::Proration(ProrationError::PreviewExpired { .. }) => ("preview_expired", Gone),
    SubscriptionError::Proration(ProrationError::Money(_)) => ("subscription_conflict", Conflict),
    SubscriptionError::Proration(ProrationError::Period(_)) => ("subscription_conflict", Conflict),
});

/// `POST /subscription/preview` input: exactly one of `seats` and `plan`.
#[derive(Debug, Clone, Copy, Default)]
pub struct PreviewInput {
    /// A seat count.
    pub seats: Option<i64>,
    /// A plan and interval.
    pub plan: Option<PlanChoice>,
    /// During the trial: convert now (default) or at the trial end.
    pub timing: PlanTiming,
}

/// What a change would do and cost; changes nothing.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PreviewView {
    /// The seat change, for seat previews.
    pub seat_change: Option<SeatChange>,
    /// The plan change, for plan previews.
    pub plan_change: Option<PlanChange>,
    /// Lines, total, `proration_date` (echo it in the change) and `effective_at`.
    #[serde(flatten)]
    pub preview: ChargePreview,
}

/// A seat change was made.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SeatsChanged {
    /// What happened.
    pub change: SeatChange,
    /// The amount invoiced now (seat additions).
    pub charged: Option<Money>,
    /// The invoice, if one was issued.
    pub invoice_id: Option<String>,
    /// The subscription after the change.
    pub subscription: SubscriptionView,
}

/// The outcome of a plan request.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum PlanChanged {
    /// Done.
    Changed {
        /// What happened.
        change: PlanChange,
        /// The amount invoiced now.
        charged: Option<Money>,
        /// The subscription after the change.
        subscription: Box<SubscriptionView>,
    },
    /// A payment method is needed first: send the admin to this Checkout page,
    /// then ask again.
    CheckoutRequired {
        /// The Checkout session.
        checkout: HostedSession,
    },
}

/// What handling a billing event did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BillingEventOutcome {
    /// Applied (once).
    Applied,
    /// Seen before: acknowledged, nothing applied.
    Duplicate,
    /// Not about a known tenant or subscription: acknowledged and ignored.
    Ignored,
}

impl Tenantry {
    fn proration_instant(&self, requested: Option<DateTime<Utc>>) -> Result<DateTime<Utc>, BillingError> {
        let now = self.now();
        match requested {
            None => Ok(now),
            Some(at) if (at - now).num_seconds() > PRORATION_SKEW_SECONDS => {
                Err(BillingError::InvalidRequest("the proration date lies in the future"))
            }
            Some(at) => Ok(at.min(now)),
        }
    }

    fn provider_subscription(sub: &Subscription) -> Result<(String, String), BillingError> {
        match &sub.provider() {
            Some(link) => match &link.subscription {
                Some(s) => Ok((link.customer.clone(), s.clone())),
                None => Err(BillingError::Provider(PaymentError::NotFound)),
            },
            None => Err(BillingError::Provider(PaymentError::NotFound)),
        }
    }

    /// `GET /v1/tenants/{tid}/subscription`.
    pub async fn subscription_view(&self, scope: &TenantScope) -> Result<SubscriptionView, BillingError> {
        self.require(scope, builtin::BILLING_READ, Attempt::ReadSubscription).await?;
        let now = self.now();
        let mut tx = self.begin(scope, Access::Read).await?;
        self.view_in(tx.as_mut(), now).await
    }

    async fn view_in(&self, tx: &mut dyn TenantTx, now: DateTime<Utc>) -> Result<SubscriptionView, BillingError> {
        let sub = self.subscription(tx).await?;
        let (usage, _, _) = self.seat_usage(tx, now).await?;
        Ok(SubscriptionView::build(&sub, self.catalog(), usage.active_users, usage.pending_invitations, now))
    }

    /// `POST /v1/tenants/{tid}/subscription/preview`: what a seat or plan change
    /// would charge now, with the `proration_date` to echo; changes nothing.
    pub async fn preview_change(&self, scope: &TenantScope, input: PreviewInput) -> Result<PreviewView, BillingError> {
        self.require(scope, builtin::BILLING_MANAGE, AuditAction::PlanChanged).await?;
        let at = self.now();
        let mut tx = self.begin(scope, Access::Read).await?;
        let sub = self.subscription(tx.as_mut()).await?;
        let (usage, _, _) = self.seat_usage(tx.as_mut(), at).await?;
        let catalog = self.catalog();
        match (input.seats, input.plan) {
            (Some(n), None) => {
                let quote = sub.quote_seats(Seats::new(n)?, usage.used(), at, catalog)?;
                let preview = match quote.change {
                    SeatChange::Increase { .. } => {
                        let (from_extra, to_extra) = quote.extra_seats;
                        let change = ProviderChange::IncreaseSeats { from_extra, to_extra };
                        self.provider_preview(&sub, change, at, quote.preview).await?
                    }
                    _ => quote.preview,
                };
                Ok(PreviewView { seat_change: Some(quote.change), plan_change: None, preview })
            }
            (None, Some(choice)) => {
                let quote = sub.quote_plan(choice, input.timing, usage.used(), at, catalog)?;
                let preview = match quote.change {
                    PlanChange::ConvertTrialNow { interval, seats } => {
                        let change = ProviderChange::EndTrialNow { interval, extra_seats: catalog.extra_seats(seats) };
                        self.provider_preview(&sub, change, at, quote.preview).await?
                    }
                    PlanChange::IntervalNow { to, .. } => {
                        let extra_seats = catalog.extra_seats(sub.paid_plan().map_or(0, |p| p.seats));
                        self.provider_preview(&sub, ProviderChange::IntervalNow { to, extra_seats }, at, quote.preview)
                            .await?
                    }
                    PlanChange::StartPaid { interval, seats } => match &sub.provider() {
                        Some(link) => {
                            let extra = catalog.extra_seats(seats);
                            let remote =
                                self.deps.payments.preview_subscription(&link.customer, interval, extra, at).await?;
                            Self::check_agreement(&quote.preview, &remote);
                            remote
                        }
                        None => quote.preview,
                    },
                    _ => quote.preview,
                };
                Ok(PreviewView { seat_change: None, plan_change: Some(quote.change), preview })
            }
            _ => Err(BillingError::InvalidRequest("give exactly one of `seats` and `plan`")),
        }
    }

    /// The provider's preview of a change to the tenant's subscription (the
    /// truth that will be charged), compared with the domain's.
    async fn provider_preview(
        &self,
        sub: &Subscription,
        change: ProviderChange,
        at: DateTime<Utc>,
        local: ChargePreview,
    ) -> Result<ChargePreview, BillingError> {
        let (_, subscription) = Self::provider_subscription(sub)?;
        let remote =
            self.deps.payments.preview_change(&ChangeRequest { subscription, change, proration_date: at }).await?;
        // A promotion code's discount running now is taken off the change too.
        let local = match sub.discount().filter(|d| d.applies_at(at)) {
            Some(d) => local
                .discounted_by(self.catalog().currency, &d.off)
                .map_err(|e| BillingError::Subscription(SubscriptionError::Proration(ProrationError::Money(e))))?,
            None => local,
        };
        Self::check_agreement(&local, &remote);
        Ok(remote)
    }

    fn check_agreement(local: &ChargePreview, remote: &ChargePreview) {
        if local.total != remote.total {
            tracing::warn!(local = %local.total, provider = %remote.total, "the provider's preview differs from the domain's; the provider's is used");
        }
    }

    /// `POST /v1/tenants/{tid}/subscription/seats`: more seats are added and
    /// invoiced at once (prorated, charged = previewed for the echoed
    /// `proration_date`); fewer are scheduled for the period end and refused
    /// below the used seats.
    pub async fn change_seats(
        &self,
        scope: &TenantScope,
        seats: i64,
        proration_date: Option<DateTime<Utc>>,
    ) -> Result<SeatsChanged, BillingError> {
        self.require(scope, builtin::BILLING_MANAGE, AuditAction::SeatsAdded).await?;
        let target = Seats::new(seats)?;
        let at = self.proration_instant(proration_date)?;
        let now = self.now();
        let mut tx = self.begin(scope, Access::Write).await?;
        let mut sub = self.subscription(tx.as_mut()).await?;
        let (usage, _, _) = self.seat_usage(tx.as_mut(), now).await?;
        let quote = sub.quote_seats(target, usage.used(), at, self.catalog())?;
        let (_, id) = Self::provider_subscription(&sub)?;
        let change = match quote.change {
            SeatChange::Increase { .. } => {
                ProviderChange::IncreaseSeats { from_extra: quote.extra_seats.0, to_extra: quote.extra_seats.1 }
            }
            _ => ProviderChange::ScheduleSeats { extra_seats_next_period: quote.extra_seats.1 },
        };
        let request = ChangeRequest { subscription: id, change, proration_date: at };
        let idem = IdempotencyKey::for_request("seats", scope.tenant_id(), sub.revision(), &request);
        let outcome = self.deps.payments.change(&request, &idem).await?;
        let mut events = sub.apply_seats(&quote)?;
        events.extend(sub.apply_snapshot(&outcome.subscription.snapshot, self.catalog()));
        let (charged, mails) = self.finish_change(tx.as_mut(), scope, &mut sub, &events, &outcome).await?;
        self.save_subscription(tx.as_mut(), &mut sub).await?;
        let subscription = self.view_in(tx.as_mut(), now).await?;
        let queued = self.queue_mails(tx.as_mut(), scope, mails).await?;
        tx.commit().await?;
        self.deliver(queued).await;
        Ok(SeatsChanged { change: quote.change, charged, invoice_id: outcome.invoice.map(|i| i.id), subscription })
    }

    /// Records an invoice and the change's events; returns the amount charged.
    async fn finish_change(
        &self,
        tx: &mut dyn TenantTx,
        scope: &TenantScope,
        sub: &mut Subscription,
        events: &[SubscriptionEvent],
        outcome: &ChangeOutcome,
    ) -> Result<(Option<Money>, Vec<Mail>), BillingError> {
        if let Some(invoice) = &outcome.invoice {
            tx.save_invoice(invoice).await?;
        }
        let mails = self.apply_subscription_events(tx, scope, sub, events).await?;
        Ok((outcome.invoice.as_ref().map(|i| i.total), mails))
    }

    /// `POST /v1/tenants/{tid}/subscription/plan`: plan and interval changes
    /// (monthly → yearly now, yearly → monthly at the period end, freemium →
    /// standard now, standard → freemium at the period end; during the trial,
    /// the interval after the trial or "continue free"). Answers a Checkout
    /// session when a payment method is needed first.
    pub async fn change_plan(
        &self,
        scope: &TenantScope,
        choice: PlanChoice,
        timing: PlanTiming,
        proration_date: Option<DateTime<Utc>>,
        return_to: &ReturnPath,
    ) -> Result<PlanChanged, BillingError> {
        self.require(scope, builtin::BILLING_MANAGE, AuditAction::PlanChanged).await?;
        let at = self.proration_instant(proration_date)?;
        self.plan_change(scope, choice, timing, at, return_to, |_| Ok(())).await
    }

    /// A plan change in one unit of work; `guard` checks the state it applies to
    /// (so that "continue free" cannot become a cancellation of a trial that
    /// converted a moment before).
    async fn plan_change(
        &self,
        scope: &TenantScope,
        choice: PlanChoice,
        timing: PlanTiming,
        at: DateTime<Utc>,
        return_to: &ReturnPath,
        guard: fn(&Subscription) -> Result<(), SubscriptionError>,
    ) -> Result<PlanChanged, BillingError> {
        let now = self.now();
        let mut tx = self.begin(scope, Access::Write).await?;
        let mut sub = self.subscription(tx.as_mut()).await?;
        guard(&sub)?;
        let (usage, _, _) = self.seat_usage(tx.as_mut(), now).await?;
        let quote = match sub.quote_plan(choice, timing, usage.used(), at, self.catalog()) {
            Err(SubscriptionError::PaymentMethodRequired) => {
                let checkout = self.checkout_in(tx.as_mut(), scope, &mut sub, return_to).await?;
                tx.commit().await?;
                return Ok(PlanChanged::CheckoutRequired { checkout });
            }
            other => other?,
        };
        let tenant = scope.tenant_id();
        let mut outcome: Option<ChangeOutcome> = None;
        let request = |id: &str, change| ChangeRequest { subscription: id.to_owned(), change, proration_date: at };
        if quote.resumes {
            let (_, id) = Self::provider_subscription(&sub)?;
            let resume = request(&id, ProviderChange::CancelAtPeriodEnd { cancel: false });
            let idem = IdempotencyKey::for_request("resume", tenant, sub.revision(), &resume);
            outcome = Some(self.deps.payments.change(&resume, &idem).await?);
        }
        let provider_change = match quote.change {
            PlanChange::ConvertTrialNow { interval, seats } => {
                Some(ProviderChange::EndTrialNow { interval, extra_seats: self.catalog().extra_seats(seats) })
            }
            PlanChange::TrialInterval { interval } => {
                Some(ProviderChange::TrialSettings { interval, cancel_at_trial_end: false })
            }
            PlanChange::TrialContinueFree => Some(ProviderChange::TrialSettings {
                interval: sub.interval().unwrap_or(tenantry_domain::Interval::Month),
                cancel_at_trial_end: true,
            }),
            PlanChange::StartPaid { .. } => None,
            PlanChange::IntervalNow { to, .. } => {
                let extra = self.catalog().extra_seats(sub.paid_plan().map_or(0, |p| p.seats));
                Some(ProviderChange::IntervalNow { to, extra_seats: extra })
            }
            PlanChange::IntervalAtPeriodEnd { to, .. } => Some(ProviderChange::ScheduleInterval { to }),
            PlanChange::CancelIntervalChange => Some(ProviderChange::ScheduleInterval {
                to: sub.interval().unwrap_or(tenantry_domain::Interval::Month),
            }),
            PlanChange::CancelAtPeriodEnd { .. } => Some(ProviderChange::CancelAtPeriodEnd { cancel: true }),
            PlanChange::Resume => None,
        };
        if matches!(
            quote.change,
            PlanChange::TrialInterval { .. } | PlanChange::TrialContinueFree | PlanChange::ConvertTrialNow { .. }
        ) {
            self.ensure_billing_link(tx.as_mut(), &mut sub).await?;
        }
        if let Some(change) = provider_change {
            let (_, id) = Self::provider_subscription(&sub)?;
            let change = request(&id, change);
            let idem = IdempotencyKey::for_request("plan", tenant, sub.revision(), &change);
            match self.deps.payments.change(&change, &idem).await {
                Ok(done) => outcome = Some(done),
                Err(e) => {
                    if quote.resumes {
                        // The cancellation was withdrawn for this change; the change
                        // failed, so put the cancellation back.
                        let undo = request(&id, ProviderChange::CancelAtPeriodEnd { cancel: true });
                        let undo_key = IdempotencyKey::for_request("resume-undo", tenant, sub.revision(), &undo);
                        if let Err(u) = self.deps.payments.change(&undo, &undo_key).await {
                            tracing::error!(subscription = %id, error = %u, "a withdrawn cancellation could not be restored");
                        }
                    }
                    return Err(e.into());
                }
            }
        }
        if let PlanChange::StartPaid { interval, seats } = quote.change {
            self.ensure_billing_link(tx.as_mut(), &mut sub).await?;
            let customer = sub
                .provider()
                .as_ref()
                .map(|l| l.customer.clone())
                .ok_or(BillingError::Provider(PaymentError::NotFound))?;
            let extra = self.catalog().extra_seats(seats);
            let idem = IdempotencyKey::for_request("start", tenant, sub.revision(), &(&customer, interval, extra));
            let started = self.deps.payments.start_subscription(&customer, interval, extra, &idem).await?;
            sub.link_subscription(started.subscription.id.clone());
            outcome = Some(started);
        }
        let mut events = sub.apply_plan(&quote, at)?;
        let (charged, mails) = match &outcome {
            Some(outcome) => {
                events.extend(sub.apply_snapshot(&outcome.subscription.snapshot, self.catalog()));
                self.finish_change(tx.as_mut(), scope, &mut sub, &events, outcome).await?
            }
            None => (None, self.apply_subscription_events(tx.as_mut(), scope, &mut sub, &events).await?),
        };
        self.save_subscription(tx.as_mut(), &mut sub).await?;
        let subscription = self.view_in(tx.as_mut(), now).await?;
        let queued = self.queue_mails(tx.as_mut(), scope, mails).await?;
        tx.commit().await?;
        self.deliver(queued).await;
        Ok(PlanChanged::Changed { change: quote.change, charged, subscription: Box::new(subscription) })
    }

    /// `POST /v1/tenants/{tid}/subscription/cancel`: a paid plan falls back to
    /// freemium at the period end; during the trial it becomes freemium at the
    /// trial end; while past due it ends now.
    pub async fn cancel_subscription(
        &self,
        scope: &TenantScope,
        return_to: &ReturnPath,
    ) -> Result<PlanChanged, BillingError> {
        self.require(scope, builtin::BILLING_MANAGE, AuditAction::CancelScheduled).await?;
        let now = self.now();
        let mut tx = self.begin(scope, Access::Write).await?;
        let mut sub = self.subscription(tx.as_mut()).await?;
        if !matches!(sub.state(), SubscriptionState::PastDue { .. }) {
            drop(tx);
            let not_past_due = |s: &Subscription| match s.state() {
                SubscriptionState::PastDue { .. } => Err(SubscriptionError::PaymentPastDue),
                _ => Ok(()),
            };
            return self.plan_change(scope, PlanChoice::Freemium, PlanTiming::Now, now, return_to, not_past_due).await;
        }
        let (_, id) = Self::provider_subscription(&sub)?;
        let events = sub.cancel(now)?;
        self.deps
            .payments
            .cancel_now(&id, &IdempotencyKey::for_request("cancel", sub.tenant_id(), sub.revision(), &id))
            .await?;
        let mails = self.apply_subscription_events(tx.as_mut(), scope, &mut sub, &events).await?;
        self.save_subscription(tx.as_mut(), &mut sub).await?;
        let subscription = self.view_in(tx.as_mut(), now).await?;
        let queued = self.queue_mails(tx.as_mut(), scope, mails).await?;
        tx.commit().await?;
        self.deliver(queued).await;
        Ok(PlanChanged::Changed {
            change: PlanChange::CancelAtPeriodEnd { effective_at: now },
            charged: None,
            subscription: Box::new(subscription),
        })
    }

    /// `POST /v1/tenants/{tid}/subscription/continue-free`: during the trial,
    /// become freemium at its end instead of converting.
    pub async fn continue_free(
        &self,
        scope: &TenantScope,
        return_to: &ReturnPath,
    ) -> Result<PlanChanged, BillingError> {
        self.require(scope, builtin::BILLING_MANAGE, AuditAction::TrialContinueFree).await?;
        let trialing = |s: &Subscription| match s.state() {
            SubscriptionState::Trialing { .. } => Ok(()),
            _ => Err(SubscriptionError::NotTrialing),
        };
        self.plan_change(scope, PlanChoice::Freemium, PlanTiming::Now, self.now(), return_to, trialing).await
    }

    async fn checkout_in(
        &self,
        tx: &mut dyn TenantTx,
        scope: &TenantScope,
        sub: &mut Subscription,
        return_to: &ReturnPath,
    ) -> Result<HostedSession, BillingError> {
        let customer = self.ensure_billing_link(tx, sub).await?;
        let session = self.deps.payments.checkout_session(&customer, return_to).await?;
        self.save_subscription(tx, sub).await?;
        let event =
            self.event(scope, AuditAction::CheckoutStarted, Some(AuditTarget::Subscription), AuditOutcome::Success)?;
        tx.append_audit(&event).await?;
        Ok(session)
    }

    /// Whether `scope` may act on a hosted billing page (the billing
    /// simulator's Checkout when `checkout`, else its Customer Portal): the
    /// `billing:manage` permission, refused and audited as any other. A tenant
    /// waiting for its payment method reaches Checkout only (which ends the wait).
    pub async fn require_hosted_billing(&self, scope: &TenantScope, checkout: bool) -> Result<(), AccessError> {
        let attempt = if checkout { AuditAction::CheckoutStarted } else { AuditAction::PortalOpened };
        self.require(scope, builtin::BILLING_MANAGE, attempt).await
    }

    /// `POST /v1/tenants/{tid}/billing/checkout`: a Checkout session in setup
    /// mode that adds a payment method (never a second subscription).
    pub async fn checkout_session(
        &self,
        scope: &TenantScope,
        return_to: &ReturnPath,
    ) -> Result<HostedSession, BillingError> {
        self.require(scope, builtin::BILLING_MANAGE, AuditAction::CheckoutStarted).await?;
        let mut tx = self.begin(scope, Access::Write).await?;
        let mut sub = self.subscription(tx.as_mut()).await?;
        let session = self.checkout_in(tx.as_mut(), scope, &mut sub, return_to).await?;
        tx.commit().await?;
        Ok(session)
    }

    /// `POST /v1/tenants/{tid}/billing/portal`: a Customer Portal session for
    /// payment methods and invoices.
    pub async fn portal_session(
        &self,
        scope: &TenantScope,
        return_to: &ReturnPath,
    ) -> Result<HostedSession, BillingError> {
        self.require(scope, builtin::BILLING_MANAGE, AuditAction::PortalOpened).await?;
        let mut tx = self.begin(scope, Access::Write).await?;
        let mut sub = self.subscription(tx.as_mut()).await?;
        let customer = self.ensure_billing_link(tx.as_mut(), &mut sub).await?;
        let session = self.deps.payments.portal_session(&customer, return_to).await?;
        self.save_subscription(tx.as_mut(), &mut sub).await?;
        let event =
            self.event(scope, AuditAction::PortalOpened, Some(AuditTarget::Subscription), AuditOutcome::Success)?;
        tx.append_audit(&event).await?;
        tx.commit().await?;
        Ok(session)
    }

    /// `GET /v1/tenants/{tid}/invoices`: the invoices cached from the provider's
    /// events, newest first (asks the provider when the cache is empty).
    pub async fn invoices(&self, scope: &TenantScope) -> Result<Vec<Invoice>, BillingError> {
        self.require(scope, builtin::BILLING_MANAGE, Attempt::ReadInvoices).await?;
        let mut tx = self.begin(scope, Access::Read).await?;
        let cached = tx.invoices().await?;
        if !cached.is_empty() {
            return Ok(cached);
        }
        let sub = self.subscription(tx.as_mut()).await?;
        drop(tx);
        match &sub.provider() {
            Some(link) => Ok(self.deps.payments.invoices(&link.customer).await?),
            None => Ok(Vec::new()),
        }
    }

    /// During the trial, tells the provider how many extra seats to bill at
    /// conversion (DESIGN.md: seats = max(3, used seats)). Best effort: the
    /// conversion corrects a quantity the provider missed.
    pub(crate) async fn sync_trial_seats(&self, sub: &Subscription, used: u32) {
        if !matches!(sub.state(), SubscriptionState::Trialing { .. }) {
            return;
        }
        let Ok((_, id)) = Self::provider_subscription(sub) else {
            return;
        };
        let extra = self.catalog().extra_seats(used);
        let change = ProviderChange::TrialSeats { extra_seats: extra };
        let request = ChangeRequest { subscription: id.clone(), change, proration_date: self.now() };
        // The subscription is not saved for this (the seats used live elsewhere),
        // so its revision does not tell one sync from the next: each attempt gets
        // its own key. Setting an absolute quantity twice is harmless.
        let attempt = self.deps.ids.new_uuid();
        if let Err(e) = self
            .deps
            .payments
            .change(
                &request,
                &IdempotencyKey::for_request("trial-seats", sub.tenant_id(), sub.revision(), &(&request, attempt)),
            )
            .await
        {
            tracing::warn!(subscription = %id, error = %e, "trial seat quantity not synced; corrected at conversion");
        }
    }

    /// After a committed change of the used seats: during the trial, pass the
    /// new quantity on to the provider (best effort).
    pub(crate) async fn after_seat_change(&self, scope: &TenantScope) {
        let now = self.now();
        let read = async {
            let mut tx = self.begin(scope, Access::Read).await?;
            let sub = self.subscription(tx.as_mut()).await?;
            let (usage, _, _) = self.seat_usage(tx.as_mut(), now).await?;
            Ok::<_, InfraError>((sub, usage.used()))
        };
        match read.await {
            Ok((sub, used)) => self.sync_trial_seats(&sub, used).await,
            Err(e) => {
                tracing::warn!(tenant = %scope.tenant_id(), error = %e, "trial seat sync skipped")
            }
        }
    }

    /// The provider's billing events (Stripe webhooks mapped by the Stripe
    /// adapter; the simulator's timeline). Each event id is applied once, in the
    /// same unit of work as its effect; out-of-order snapshots never move the
    /// subscription backwards.
    pub async fn handle_billing_event(&self, event: &BillingEvent) -> Result<BillingEventOutcome, BillingError> {
        let Some(tenant_id) = self.deps.directory.resolve_billing_customer(&event.customer).await? else {
            tracing::info!(event = %event.id, "billing event for an unknown customer ignored");
            return Ok(BillingEventOutcome::Ignored);
        };
        let scope = self.system_scope(tenant_id, SystemActor::Billing);
        let now = self.now();
        let ends_in = self.platform_settings().await?.trial.trial_without_payment_method_ends_in;
        let mut tx = self.begin(&scope, Access::Write).await?;
        if !tx.record_billing_event(&event.id, now).await? {
            return Ok(BillingEventOutcome::Duplicate);
        }
        let Some(mut sub) = tx.subscription().await? else {
            return Ok(BillingEventOutcome::Ignored);
        };
        let mut events = Vec::new();
        let mut mails = Vec::new();
        let cardless = sub.cardless_trial();
        let current = sub.provider().as_ref().and_then(|l| l.subscription.clone());
        // A promotion code entered at signup waits for the payment method.
        let mut signup_code = None;
        match &event.kind {
            BillingEventKind::PaymentMethodAttached => {
                signup_code = sub.signup_promotion_code().map(str::to_owned);
                let added = sub.payment_method_added(now, self.catalog());
                if added.iter().any(|e| matches!(e, SubscriptionEvent::TrialStarted { .. })) {
                    // The wait for the payment method is over: the provider's
                    // trial subscription starts now, ending with the local trial.
                    if let Err(e) = self.ensure_billing_link(tx.as_mut(), &mut sub).await {
                        tracing::warn!(tenant = %tenant_id, error = %e, "trial subscription not started at the provider; the trial's end starts the paid plan");
                    }
                }
                events.extend(added);
            }
            BillingEventKind::SubscriptionUpdated(ps) | BillingEventKind::SubscriptionDeleted(ps)
                if tx.is_marked(&super::subscription_state::ended_subscription_key(&ps.id)).await? =>
            {
                // A subscription tenantry already ended (a late or replayed event): not ours any more.
                tx.commit().await?;
                return Ok(BillingEventOutcome::Ignored);
            }
            BillingEventKind::SubscriptionUpdated(ps) | BillingEventKind::SubscriptionDeleted(ps) => {
                let deleted = matches!(event.kind, BillingEventKind::SubscriptionDeleted(_));
                match &current {
                    Some(id) if *id != ps.id => {
                        // An older subscription of this customer (e.g. the ended trial): not ours any more.
                        tx.commit().await?;
                        return Ok(BillingEventOutcome::Ignored);
                    }
                    None if deleted || ps.snapshot.status == ProviderStatus::Canceled => {}
                    None => {
                        sub.link_subscription(ps.id.clone());
                        events.extend(sub.apply_snapshot(&ps.snapshot, self.catalog()));
                    }
                    Some(_) => events.extend(sub.apply_snapshot(&ps.snapshot, self.catalog())),
                }
            }
            BillingEventKind::TrialWillEnd { .. } => {
                let (usage, _, _) = self.seat_usage(tx.as_mut(), now).await?;
                self.sync_trial_seats(&sub, usage.used()).await;
                mails.extend(self.trial_reminder(tx.as_mut(), &scope, &sub).await?);
            }
            BillingEventKind::InvoicePaid(invoice) => {
                tx.save_invoice(invoice).await?;
                // The receipt with its PDF, once per invoice (none for one that charged nothing).
                if invoice.total.cents() > 0 && tx.mark(&format!("mail:invoice_paid:{}", invoice.id), now).await? {
                    let tenant = self.tenant_row(tx.as_mut()).await?;
                    let users = tx.users().await?;
                    let message = Message::InvoicePaid {
                        number: invoice.number.clone().unwrap_or_else(|| invoice.id.clone()),
                        total: invoice.total,
                        issued_at: invoice.created_at,
                        pdf_url: invoice.pdf_url.clone(),
                    };
                    mails.extend(Self::billing_mails(&tenant, &users, &message));
                }
                let event = self
                    .event(&scope, AuditAction::InvoicePaid, Some(AuditTarget::Subscription), AuditOutcome::Success)?
                    .with("invoice", &invoice.id)
                    .with("total", invoice.total);
                tx.append_audit(&event).await?;
                if matches!(sub.state().clone(), SubscriptionState::PastDue { .. }) {
                    events.extend(self.refetch(&mut sub).await?);
                }
            }
            BillingEventKind::InvoicePaymentFailed(invoice) => {
                tx.save_invoice(invoice).await?;
                if tx.mark(&format!("mail:payment_failed:{}", invoice.id), now).await? {
                    let tenant = self.tenant_row(tx.as_mut()).await?;
                    let users = tx.users().await?;
                    let message = Message::PaymentFailed {
                        amount_due: invoice.amount_due,
                        hosted_url: invoice.hosted_url.clone(),
                    };
                    mails.extend(Self::billing_mails(&tenant, &users, &message));
                }
                events.extend(self.refetch(&mut sub).await?);
            }
            BillingEventKind::InvoicePaymentActionRequired(invoice) => {
                tx.save_invoice(invoice).await?;
                let event = self.event(
                    &scope,
                    AuditAction::PaymentActionRequired,
                    Some(AuditTarget::Subscription),
                    AuditOutcome::Success,
                )?;
                tx.append_audit(&event.with("invoice", &invoice.id)).await?;
                if tx.mark(&format!("mail:action_required:{}", invoice.id), now).await? {
                    let tenant = self.tenant_row(tx.as_mut()).await?;
                    let users = tx.users().await?;
                    let message = Message::PaymentActionRequired { hosted_url: invoice.hosted_url.clone() };
                    mails.extend(Self::billing_mails(&tenant, &users, &message));
                }
            }
        }
        if events.iter().any(|e| matches!(e, SubscriptionEvent::TrialConverted { .. })) {
            events.extend(self.cover_used_seats(tx.as_mut(), &mut sub, now).await);
        }
        Self::cardless_trial_end(&mut sub, cardless, ends_in, &mut events, now);
        mails.extend(self.apply_subscription_events(tx.as_mut(), &scope, &mut sub, &events).await?);
        // Used seats never exceed the licence: if the provider licenses fewer
        // seats than are used (a conversion whose extra seats could not be
        // bought), the seat rules of a downgrade apply to the licensed number.
        mails.extend(self.enforce_licence(tx.as_mut(), &scope, &sub, now).await?);
        self.save_subscription(tx.as_mut(), &mut sub).await?;
        let queued = self.queue_mails(tx.as_mut(), &scope, mails).await?;
        tx.commit().await?;
        self.deliver(queued).await;
        if let Some(code) = signup_code {
            // In units of work of its own (the code's row lock is never held with the tenant's).
            self.redeem_signup_code(&scope, &code).await;
        }
        Ok(BillingEventOutcome::Applied)
    }

    /// Re-reads the provider's subscription and applies it (invoice events say
    /// little about the subscription; the provider's current state is the truth).
    pub(crate) async fn refetch(&self, sub: &mut Subscription) -> Result<Vec<SubscriptionEvent>, BillingError> {
        let Ok((_, id)) = Self::provider_subscription(sub) else {
            return Ok(Vec::new());
        };
        match self.deps.payments.subscription(&id).await? {
            Some(ps) => Ok(sub.apply_snapshot(&ps.snapshot, self.catalog())),
            None => Ok(Vec::new()),
        }
    }

    /// After a trial converted: if more seats are used than the provider
    /// licensed (the trial quantity was not synced), buy the difference now.
    async fn cover_used_seats(
        &self,
        tx: &mut dyn TenantTx,
        sub: &mut Subscription,
        now: DateTime<Utc>,
    ) -> Vec<SubscriptionEvent> {
        let Ok((usage, _, _)) = self.seat_usage(tx, now).await else {
            return Vec::new();
        };
        let Some(plan) = sub.paid_plan().copied() else {
            return Vec::new();
        };
        if usage.used() <= plan.seats {
            return Vec::new();
        }
        let Ok((_, id)) = Self::provider_subscription(sub) else {
            return Vec::new();
        };
        let (from_extra, to_extra) = (self.catalog().extra_seats(plan.seats), self.catalog().extra_seats(usage.used()));
        let change = ProviderChange::IncreaseSeats { from_extra, to_extra };
        let at = now.max(plan.period.start());
        let request = ChangeRequest { subscription: id.clone(), change, proration_date: at };
        let idem = IdempotencyKey::for_request("convert-seats", sub.tenant_id(), sub.revision(), &request);
        match self.deps.payments.change(&request, &idem).await {
            Ok(outcome) => {
                if let Some(invoice) = &outcome.invoice
                    && let Err(e) = tx.save_invoice(invoice).await
                {
                    tracing::warn!(error = %e, "invoice of the conversion's seats not cached");
                }
                sub.apply_snapshot(&outcome.subscription.snapshot, self.catalog())
            }
            Err(e) => {
                tracing::warn!(subscription = %id, error = %e, used = usage.used(), "seats used at conversion could not be bought");
                Vec::new()
            }
        }
    }

    /// The trial reminder, once per trial (DESIGN.md: whichever signal — the
    /// timer or the provider's `trial_will_end` — arrives first).
    pub(crate) async fn trial_reminder(
        &self,
        tx: &mut dyn TenantTx,
        scope: &TenantScope,
        sub: &Subscription,
    ) -> Result<Vec<Mail>, InfraError> {
        let Some(end) = sub.trial_ends_at() else {
            return Ok(Vec::new());
        };
        if !tx.mark(&trial_reminder_key(end), self.now()).await? {
            return Ok(Vec::new());
        }
        let tenant = self.tenant_row(tx).await?;
        let users = tx.users().await?;
        let message = Message::TrialReminder { trial_ends_at: end, converts: sub.trial_converts() };
        let mails = Self::billing_mails(&tenant, &users, &message);
        let event = self
            .event(scope, AuditAction::TrialReminderSent, Some(AuditTarget::Subscription), AuditOutcome::Success)?
            .with("recipients", count(mails.iter()));
        tx.append_audit(&event).await?;
        Ok(mails)
    }
}

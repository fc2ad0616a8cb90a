//! A subscription's state and its consequences: saving it with its derived facts, seat usage and limits, the billing customer, and turning its events into audit events, mails and seat enforcement.

use super::Tenantry;
use crate::error::{InfraError, StoreError};
use crate::payment::{ChangeRequest, CustomerDetails, IdempotencyKey, PaymentError, ProviderChange};
use crate::scope::TenantScope;
use crate::services::steps::count;
use crate::store::{SubscriptionFacts, TenantTx};
use crate::system::{Mail, Message};
use chrono::{DateTime, Utc};
use tenantry_domain::audit::AuditTarget;
use tenantry_domain::downgrade::plan_downgrade;
use tenantry_domain::invitation::RevokeReason;
use tenantry_domain::seats::{SeatLimit, SeatUsage};
use tenantry_domain::settings::CardlessTrialEnd;
use tenantry_domain::subscription::{SubscriptionEvent, SubscriptionState};
use tenantry_domain::user::DeactivationReason;
use tenantry_domain::{AuditAction, AuditOutcome, Invitation, Subscription, Tenant, User};

/// The marker recording that tenantry ended a provider subscription: later
/// events about it are ignored (they would re-adopt a subscription that is gone).
/// It is not one of the short-lived markers
/// (`directory::housekeeping::SHORT_LIVED_MARKERS`: a mail sent once, a modal
/// shown once a day, deleted after 90 days): it stays as long as the tenant.
pub(crate) fn ended_subscription_key(id: &str) -> String {
    format!("provider:ended:{id}")
}

/// The marker recording that the reminder for the trial ending at `end` went out.
pub(crate) fn trial_reminder_key(end: DateTime<Utc>) -> String {
    format!("mail:trial_reminder:{}", end.timestamp())
}

/// The marker recording that the pre-invoice warning for the invoice charged
/// at `at` went out (or that its window passed): one per invoice date, so a
/// renewal date that moves gets its own warning.
pub(crate) fn upcoming_invoice_key(at: DateTime<Utc>) -> String {
    format!("mail:upcoming_invoice:{}", at.timestamp())
}

impl Tenantry {
    pub(crate) async fn subscription(&self, tx: &mut dyn TenantTx) -> Result<Subscription, InfraError> {
        tx.subscription()
            .await?
            .ok_or_else(|| InfraError::Unknown(anyhow::anyhow!("subscription row missing in its own scope")))
    }

    /// Saves `sub` as its next revision, with the facts the cross-tenant paths read.
    pub(crate) async fn save_subscription(
        &self,
        tx: &mut dyn TenantTx,
        sub: &mut Subscription,
    ) -> Result<(), StoreError> {
        sub.next_revision();
        let next_due_at = self.next_deadline(tx, sub).await?;
        let catalog = self.catalog();
        let facts = SubscriptionFacts {
            status: sub.status(),
            plan: sub.plan_kind(),
            interval: sub.interval(),
            seats: sub.seats(catalog).0,
            recurring_cents: sub.recurring_amount(catalog).map(|(m, _)| m.cents()),
            next_due_at,
        };
        tx.save_subscription(sub, &facts).await
    }

    /// When the tenant's timers are next due (`Subscription::next_due_at`,
    /// knowing whether this trial's reminder went out).
    pub(crate) async fn next_deadline(
        &self,
        tx: &mut dyn TenantTx,
        sub: &Subscription,
    ) -> Result<Option<DateTime<Utc>>, StoreError> {
        let reminder_sent = match sub.trial_ends_at() {
            Some(end) => tx.is_marked(&trial_reminder_key(end)).await?,
            None => false,
        };
        let due = sub.next_due_at(self.catalog(), reminder_sent);
        // The pre-invoice warning, until it went out for the next invoice's date
        // (backed off like the provider's deadlines when the provider did not answer).
        let warning = match sub.next_charge_at() {
            Some(at) if !tx.is_marked(&upcoming_invoice_key(at)).await? => {
                let days = i64::from(self.settings_seen().billing.pre_invoice_warning_days);
                let warn_at = at - chrono::Duration::days(days);
                Some(match sub.timer_checked_at() {
                    Some(checked) => warn_at.max(checked + tenantry_domain::subscription::PROVIDER_SLACK),
                    None => warn_at,
                })
            }
            _ => None,
        };
        Ok(match (due, warning) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        })
    }

    /// The next invoice as the provider would make it now, or — for a trial
    /// the provider holds no subscription of (it starts the paid plan at the
    /// trial's end) — as the catalog prices it: the plan chosen, for
    /// max(included, used) seats.
    pub(crate) async fn upcoming_invoice_of(
        &self,
        sub: &Subscription,
        used: u32,
    ) -> Result<Option<crate::payment::UpcomingInvoice>, PaymentError> {
        if let Some(id) = sub.provider().as_ref().and_then(|l| l.subscription.clone()) {
            return self.deps.payments.upcoming_invoice(&id).await;
        }
        let Some(at) = sub.next_charge_at() else { return Ok(None) };
        let catalog = self.catalog();
        let (interval, seats) = match sub.paid_plan() {
            Some(p) => (p.interval_next_period, p.seats_next_period),
            None => (sub.interval().unwrap_or(tenantry_domain::Interval::Month), used.max(catalog.included_seats)),
        };
        let unknown = |e: &dyn std::fmt::Display| PaymentError::Unknown(anyhow::anyhow!("upcoming invoice: {e}"));
        let lines =
            tenantry_domain::proration::full_period_lines(catalog, interval, seats, at).map_err(|e| unknown(&e))?;
        let subtotal =
            tenantry_domain::Money::sum(catalog.currency, lines.iter().map(|l| l.amount)).map_err(|e| unknown(&e))?;
        let zero = tenantry_domain::Money::zero(catalog.currency);
        Ok(Some(crate::payment::UpcomingInvoice { at, lines, subtotal, discount: zero, tax: zero, total: subtotal }))
    }

    /// Active users, pending invitations, and the seats they use at `now`.
    pub(crate) async fn seat_usage(
        &self,
        tx: &mut dyn TenantTx,
        now: DateTime<Utc>,
    ) -> Result<(SeatUsage, Vec<User>, Vec<Invitation>), StoreError> {
        let users = tx.users().await?;
        let invitations = tx.invitations().await?;
        let usage = SeatUsage {
            active_users: count(users.iter().filter(|u| u.is_active())),
            pending_invitations: count(invitations.iter().filter(|i| i.is_pending(now))),
        };
        Ok((usage, users, invitations))
    }

    /// The seats that may be used now: the subscription's licence, capped by an
    /// active-users quota of the plan or the tenant's override.
    pub(crate) async fn seat_limit(&self, tx: &mut dyn TenantTx, sub: &Subscription) -> Result<SeatLimit, InfraError> {
        let tenant = self.tenant_row(tx).await?;
        let cap = self.plan_quota(sub.plan_kind()).await?.with_override(tenant.quota_override()).active_users;
        Ok(sub.seat_limit(self.catalog()).capped_by(cap))
    }

    /// The customer details the provider needs.
    pub(crate) fn customer_details(tenant: &Tenant, users: &[User]) -> Option<CustomerDetails> {
        let owner = users.iter().find(|u| u.is_owner())?;
        let billing = &tenant.settings().billing;
        Some(CustomerDetails {
            tenant_id: tenant.id(),
            name: billing.legal_name.as_ref().unwrap_or(tenant.name()).to_string(),
            email: billing.billing_email.clone().unwrap_or_else(|| owner.email().clone()),
            country: billing.country,
            vat_id: billing.vat_id.clone(),
        })
    }

    /// Makes sure the tenant is a customer of the provider, and, while
    /// trialing, has its trial subscription there. Changes `sub.provider`.
    pub(crate) async fn ensure_billing_link(
        &self,
        tx: &mut dyn TenantTx,
        sub: &mut Subscription,
    ) -> Result<String, PaymentError> {
        let tenant = self.tenant_row(tx).await.map_err(|e| PaymentError::Unknown(e.into()))?;
        let users = match &sub.provider() {
            Some(_) => Vec::new(),
            None => tx.users().await.map_err(|e| PaymentError::Unknown(e.into()))?,
        };
        self.link_with_provider(&tenant, &users, sub).await
    }

    /// The provider calls of [`Tenantry::ensure_billing_link`] for `tenant`
    /// with its `users` (read only when no customer exists yet); no unit of
    /// work is needed (signup calls it with none open). Returns the customer.
    pub(crate) async fn link_with_provider(
        &self,
        tenant: &Tenant,
        users: &[User],
        sub: &mut Subscription,
    ) -> Result<String, PaymentError> {
        let customer = match &sub.provider() {
            Some(link) => link.customer.clone(),
            None => {
                let details = Self::customer_details(tenant, users)
                    .ok_or_else(|| PaymentError::Unknown(anyhow::anyhow!("tenant without owner")))?;
                let key = IdempotencyKey::for_request("customer", tenant.id(), sub.revision(), &details);
                let customer = self.deps.payments.create_customer(&details, &key).await?;
                sub.link_customer(customer.clone());
                customer
            }
        };
        if let SubscriptionState::Trialing { trial, interval_after, .. } = &sub.state()
            && sub.provider().as_ref().is_some_and(|l| l.subscription.is_none())
        {
            let params = (&customer, trial.end(), interval_after);
            let key = IdempotencyKey::for_request("trial", tenant.id(), sub.revision(), &params);
            let ps = self.deps.payments.start_trial(&customer, trial.end(), *interval_after, &key).await?;
            sub.link_subscription(ps.id);
        }
        Ok(customer)
    }

    /// The trial policy's `trial_without_payment_method_ends_in`: a trial that
    /// was `cardless` ([`Subscription::cardless_trial`] before its end) and
    /// has just become freemium is suspended on top when the platform says so
    /// (read by the caller before its unit of work opened).
    pub(crate) fn cardless_trial_end(
        sub: &mut Subscription,
        cardless: bool,
        ends_in: CardlessTrialEnd,
        events: &mut Vec<SubscriptionEvent>,
        now: DateTime<Utc>,
    ) {
        let ended = events.iter().any(|e| {
            matches!(
                e,
                SubscriptionEvent::EnteredFreemium {
                    reason: tenantry_domain::subscription::FreemiumReason::TrialEnded
                }
            )
        });
        if cardless && ended && ends_in == CardlessTrialEnd::Suspended {
            match sub.suspend(now) {
                Ok(suspended) => events.extend(suspended),
                Err(e) => tracing::warn!(tenant = %sub.tenant_id(), error = %e, "cardless trial end not suspended"),
            }
        }
    }

    /// Turns subscription events into audit events, mails, and — when the
    /// tenant fell to freemium — the seat rules of a downgrade (revoke pending
    /// invitations beyond the seats, deactivate the newest users, never the
    /// owner). Returns the mails to send after commit.
    pub(crate) async fn apply_subscription_events(
        &self,
        tx: &mut dyn TenantTx,
        scope: &TenantScope,
        sub: &mut Subscription,
        events: &[SubscriptionEvent],
    ) -> Result<Vec<Mail>, InfraError> {
        let now = self.now();
        let mut mails = Vec::new();
        for ev in events {
            let (action, details): (AuditAction, Vec<(&str, String)>) = match ev {
                SubscriptionEvent::TrialStarted { ends_at } => {
                    (AuditAction::TrialStarted, vec![("ends_at", ends_at.to_rfc3339())])
                }
                SubscriptionEvent::ContinueFreeChosen => (AuditAction::TrialContinueFree, vec![]),
                SubscriptionEvent::IntervalAfterTrialChosen { interval } => {
                    (AuditAction::PlanChanged, vec![("interval_after_trial", interval.to_string())])
                }
                SubscriptionEvent::TrialConverted { interval, seats } => {
                    let tenant = self.tenant_row(tx).await?;
                    let users = tx.users().await?;
                    mails.extend(Self::billing_mails(
                        &tenant,
                        &users,
                        &Message::TrialConverted { interval: *interval, seats: *seats },
                    ));
                    (
                        AuditAction::TrialConverted,
                        vec![("interval", interval.to_string()), ("seats", seats.to_string())],
                    )
                }
                SubscriptionEvent::Upgraded { interval, seats } => (
                    AuditAction::PlanChanged,
                    vec![("plan", "standard".into()), ("interval", interval.to_string()), ("seats", seats.to_string())],
                ),
                SubscriptionEvent::EnteredFreemium { reason } => {
                    let limit = self.catalog().freemium_seats;
                    let (deactivated, revoked) = self.enforce_seats(tx, scope, limit, now).await?;
                    let tenant = self.tenant_row(tx).await?;
                    let users = tx.users().await?;
                    let message = Message::Downgraded { reason: *reason, deactivated, revoked_invitations: revoked };
                    mails.extend(Self::billing_mails(&tenant, &users, &message));
                    if let Some(id) = sub.unlink_subscription() {
                        tx.mark(&ended_subscription_key(&id), now).await?;
                    }
                    (AuditAction::DowngradedToFreemium, vec![("reason", format!("{reason:?}").to_lowercase())])
                }
                SubscriptionEvent::SeatsIncreased { from, to } => {
                    (AuditAction::SeatsAdded, vec![("from", from.to_string()), ("to", to.to_string())])
                }
                SubscriptionEvent::SeatReductionScheduled { from, to, effective_at } => (
                    AuditAction::SeatReductionScheduled,
                    vec![
                        ("from", from.to_string()),
                        ("to", to.to_string()),
                        ("effective_at", effective_at.to_rfc3339()),
                    ],
                ),
                SubscriptionEvent::SeatReductionCancelled => {
                    (AuditAction::SeatReductionScheduled, vec![("cancelled", "true".into())])
                }
                SubscriptionEvent::SeatReductionApplied { from, to } => {
                    (AuditAction::SeatReductionApplied, vec![("from", from.to_string()), ("to", to.to_string())])
                }
                SubscriptionEvent::IntervalChanged { from, to } => {
                    (AuditAction::PlanChanged, vec![("from", from.to_string()), ("to", to.to_string())])
                }
                SubscriptionEvent::IntervalChangeScheduled { to, effective_at } => (
                    AuditAction::IntervalChangeScheduled,
                    vec![("to", to.to_string()), ("effective_at", effective_at.to_rfc3339())],
                ),
                SubscriptionEvent::IntervalChangeCancelled => {
                    (AuditAction::IntervalChangeScheduled, vec![("cancelled", "true".into())])
                }
                SubscriptionEvent::CancelScheduled { effective_at } => {
                    (AuditAction::CancelScheduled, vec![("effective_at", effective_at.to_rfc3339())])
                }
                SubscriptionEvent::CancelRevoked => (AuditAction::CancelRevoked, vec![]),
                SubscriptionEvent::Renewed { period } => {
                    (AuditAction::Renewed, vec![("period_end", period.end().to_rfc3339())])
                }
                SubscriptionEvent::BecamePastDue => (AuditAction::PastDue, vec![]),
                SubscriptionEvent::PaymentRecovered => (AuditAction::PaymentRecovered, vec![]),
                SubscriptionEvent::PaymentMethodAdded => (AuditAction::PaymentMethodAdded, vec![]),
                SubscriptionEvent::Suspended => (AuditAction::TenantSuspended, vec![]),
                SubscriptionEvent::Resumed => (AuditAction::TenantResumed, vec![]),
                SubscriptionEvent::DeletionRequested { purge_at } => {
                    // At most once a day: requesting and cancelling in a loop mails no one more.
                    let day = self.now().date_naive();
                    if tx.mark(&format!("mail:deletion_requested:{day}"), self.now()).await? {
                        let tenant = self.tenant_row(tx).await?;
                        let users = tx.users().await?;
                        let message = Message::DeletionRequested { purge_at: *purge_at };
                        mails.extend(Self::billing_mails(&tenant, &users, &message));
                    }
                    (AuditAction::TenantDeletionRequested, vec![("purge_at", purge_at.to_rfc3339())])
                }
                SubscriptionEvent::DeletionCancelled => (AuditAction::TenantDeletionCancelled, vec![]),
                SubscriptionEvent::CollectionChanged { collection } => (
                    AuditAction::CollectionChanged,
                    vec![
                        ("paused", collection.paused.to_string()),
                        ("free_until", collection.free_until.map_or("none".into(), |at| at.to_rfc3339())),
                    ],
                ),
            };
            let mut event = self.event(scope, action, Some(AuditTarget::Subscription), AuditOutcome::Success)?;
            for (k, v) in details {
                event = event.with(k, v);
            }
            tx.append_audit(&event).await?;
        }
        Ok(mails)
    }

    /// DESIGN.md "Seats": pending invitations beyond `limit` are revoked and users
    /// beyond it deactivated newest-first (never the owner), reversibly and
    /// audited. Returns the deactivated emails and the number of invitations revoked.
    async fn enforce_seats(
        &self,
        tx: &mut dyn TenantTx,
        scope: &TenantScope,
        limit: u32,
        now: DateTime<Utc>,
    ) -> Result<(Vec<String>, u32), InfraError> {
        let (_, users, invitations) = self.seat_usage(tx, now).await?;
        let plan = plan_downgrade(&users, &invitations, now, limit);
        let mut deactivated = Vec::new();
        for id in &plan.deactivate {
            if let Some(mut user) = users.iter().find(|u| u.id() == *id).cloned()
                && user.deactivate(now, DeactivationReason::Downgrade).is_ok()
            {
                tx.update_user(&user).await?;
                deactivated.push(user.email().to_string());
                let event = self
                    .event(
                        scope,
                        AuditAction::UserDeactivated,
                        Some(AuditTarget::User(user.id())),
                        AuditOutcome::Success,
                    )?
                    .with("reason", "seats");
                tx.append_audit(&event).await?;
            }
        }
        for id in &plan.revoke {
            if let Some(mut inv) = invitations.iter().find(|i| i.id() == *id).cloned()
                && inv.revoke(now, RevokeReason::Downgrade).is_ok()
            {
                tx.update_invitation(&inv).await?;
                let event = self
                    .event(
                        scope,
                        AuditAction::InvitationRevoked,
                        Some(AuditTarget::Invitation(inv.id())),
                        AuditOutcome::Success,
                    )?
                    .with("reason", "seats");
                tx.append_audit(&event).await?;
            }
        }
        Ok((deactivated, count(plan.revoke.iter())))
    }

    /// Brings used seats back within a paid licence that is lower than them
    /// (see `handle_billing_event`); the admins are told.
    pub(crate) async fn enforce_licence(
        &self,
        tx: &mut dyn TenantTx,
        scope: &TenantScope,
        sub: &Subscription,
        now: DateTime<Utc>,
    ) -> Result<Vec<Mail>, InfraError> {
        let SeatLimit::Capped(licensed) = sub.seat_limit(self.catalog()) else { return Ok(Vec::new()) };
        let (usage, _, _) = self.seat_usage(tx, now).await?;
        if usage.used() <= licensed || sub.plan_kind() != tenantry_domain::PlanKind::Standard {
            return Ok(Vec::new());
        }
        let (deactivated, revoked) = self.enforce_seats(tx, scope, licensed, now).await?;
        let tenant = self.tenant_row(tx).await?;
        let users = tx.users().await?;
        let message = Message::SeatsFreed { licensed, deactivated, revoked_invitations: revoked };
        Ok(Self::billing_mails(&tenant, &users, &message))
    }

    /// Asks the provider for `change` on the tenant's provider subscription (if
    /// it has one), keyed by `operation` and the subscription's revision, and
    /// applies the provider's answer to `sub`. Returns `None` when there is no
    /// provider subscription to change.
    pub(crate) async fn change_at_provider(
        &self,
        scope: &TenantScope,
        sub: &mut Subscription,
        operation: &str,
        change: ProviderChange,
    ) -> Result<Option<Vec<SubscriptionEvent>>, PaymentError> {
        let Some(id) = sub.provider().as_ref().and_then(|l| l.subscription.clone()) else { return Ok(None) };
        let request = ChangeRequest { subscription: id, change, proration_date: self.now() };
        let key = IdempotencyKey::for_request(operation, scope.tenant_id(), sub.revision(), &request);
        let done = self.deps.payments.change(&request, &key).await?;
        Ok(Some(sub.apply_snapshot(&done.subscription.snapshot, self.catalog())))
    }
}

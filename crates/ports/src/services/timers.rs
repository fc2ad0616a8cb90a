//! Timers: the use cases that happen because time passed — trial reminder,
//! trial end, period end, grace expiry, retention purge. Each takes the time
//! from the [`Clock`](crate::Clock); a scheduler (or a test) calls
//! [`Tenantry::run_due_timers`].
//!
//! The provider owns the money timeline, so a deadline it owns (trial end,
//! renewal, end of a cancelled period, dunning) is first *asked* of the provider
//! when its event is late by more than `PROVIDER_SLACK`; tenantry applies the
//! local rule only when the provider has no subscription for the tenant, and
//! enforces its own grace period when the provider is still retrying after it.

use super::Tenantry;
use super::jobs::JobReport;
use super::views::SubscriptionView;
use crate::error::InfraError;
use crate::payment::{IdempotencyKey, PaymentError};
use crate::scope::TenantScope;
use crate::store::{Access, TenantTx};
use crate::system::{Mail, Message};
use chrono::{DateTime, Duration, Utc};
use tenantry_domain::audit::{AuditTarget, SystemActor};
use tenantry_domain::job::{Job, JobKind, JobState};
use tenantry_domain::subscription::{PROVIDER_SLACK, ProviderStatus, SubscriptionEvent, SubscriptionState};
use tenantry_domain::time::saturating_add;
use tenantry_domain::{AuditAction, AuditActor, AuditEvent, AuditOutcome, Subscription, TenantId};

/// What a timer did for one tenant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TimerAction {
    /// The trial reminder went out.
    TrialReminderSent,
    /// The pre-invoice warning went out.
    UpcomingInvoiceWarned,
    /// The provider's state was fetched and applied.
    Reconciled,
    /// The provider has not moved yet; looked again later.
    Waiting,
    /// The trial ended by the local rule (no provider subscription).
    TrialEndedLocally,
    /// A cancelled period ended by the local rule.
    CanceledPeriodEnded,
    /// Dunning gave up after the grace period.
    GraceExpired,
    /// The tenant's data was purged after the retention period.
    Purged,
}

/// What one run of [`Tenantry::run_due_timers`] did.
#[derive(Debug, Clone, Default)]
pub struct TimerReport {
    /// Tenants whose deadline had come and got a `Timers` job for it.
    pub enqueued: u32,
    /// Tenants that could not get their job (looked at again on the next run).
    pub enqueue_failures: Vec<(TenantId, String)>,
    /// The due jobs run after (timers and any other kind).
    pub jobs: JobReport,
}

impl TimerReport {
    /// Timers jobs done.
    pub fn timers_done(&self) -> usize {
        self.jobs.timers.len()
    }

    /// Timers that failed: jobs that could not be made, and timers jobs whose
    /// attempt failed (retried with backoff, listed once they fail for good).
    pub fn timer_failures(&self) -> usize {
        self.enqueue_failures.len() + self.jobs.timer_failures
    }

    /// What the timers did, per tenant.
    pub fn actions(&self) -> impl Iterator<Item = (TenantId, TimerAction)> + '_ {
        self.jobs.timers.iter().flat_map(|(t, actions)| actions.iter().map(move |a| (*t, *a)))
    }
}

impl Tenantry {
    /// The scheduler's timer step: every tenant whose deadline has come gets a
    /// [`JobKind::Timers`] job for that deadline (one per deadline, made under
    /// the tenant's write lock, so several instances make it once), then the due
    /// jobs run ([`Tenantry::run_due_jobs`]): a timer that fails is retried with
    /// backoff and, after its last attempt, listed at `GET /v1/admin/jobs`.
    pub async fn run_due_timers(&self, limit: u32) -> Result<TimerReport, InfraError> {
        // (The scheduler's tick also writes the counts of repeated cross-tenant attempts.)
        self.flush_cross_tenant_attempts().await;
        let now = self.now();
        let due = self.deps.directory.due_tenants(limit).await?;
        let mut report = TimerReport::default();
        for tenant in due {
            match self.enqueue_timers(tenant, now).await {
                Ok(true) => report.enqueued += 1,
                Ok(false) => {}
                Err(e) => {
                    tracing::warn!(%tenant, error = %e, "the tenant's timers job could not be made; tried again on the next run");
                    report.enqueue_failures.push((tenant, e.to_string()));
                }
            }
        }
        report.jobs = self.run_due_jobs(limit).await?;
        Ok(report)
    }

    /// Makes the tenant's `Timers` job for its current deadline, unless one is
    /// pending for it or failed for good on it (listed for the superuser, who
    /// may retry it). Returns whether a job was made.
    async fn enqueue_timers(&self, tenant: TenantId, now: DateTime<Utc>) -> Result<bool, InfraError> {
        let scope = self.system_scope(tenant, SystemActor::Scheduler);
        let mut tx = self.begin(&scope, Access::Write).await?;
        let Some(sub) = tx.subscription().await? else { return Ok(false) };
        let Some(deadline) = self.next_deadline(tx.as_mut(), &sub).await? else { return Ok(false) };
        if deadline > now {
            return Ok(false);
        }
        let kind = JobKind::Timers(deadline);
        if tx.jobs_of_kind(&kind).await?.iter().any(|j| !matches!(j.state, JobState::Done { .. })) {
            return Ok(false);
        }
        tx.insert_job(&Job::new(self.new_id()?, tenant, kind, now, now)).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Runs the due timers of one tenant (a [`JobKind::Timers`] job's work;
    /// idempotent: it does what the subscription's state says is due now).
    pub async fn run_tenant_timers(&self, tenant_id: TenantId) -> Result<Vec<TimerAction>, InfraError> {
        let scope = self.system_scope(tenant_id, SystemActor::Scheduler);
        let now = self.now();
        let settings = self.platform_settings().await?;
        let ends_in = settings.trial.trial_without_payment_method_ends_in;
        let mut tx = self.begin(&scope, Access::Write).await?;
        let Some(mut sub) = tx.subscription().await? else {
            return Ok(Vec::new());
        };
        if sub.purge_due(now, self.catalog()) {
            return self.purge(tx, &scope, &sub).await.map(|()| vec![TimerAction::Purged]);
        }
        let mut actions = Vec::new();
        let mut events = Vec::new();
        let mut mails: Vec<Mail> = Vec::new();
        let catalog = self.catalog().clone();
        let cardless = sub.cardless_trial();
        let warning_days = i64::from(settings.billing.pre_invoice_warning_days);
        match self.pre_invoice_warning(tx.as_mut(), &mut sub, warning_days, now).await? {
            Warning::Sent(sent) => {
                mails.extend(sent);
                actions.push(TimerAction::UpcomingInvoiceWarned);
            }
            Warning::Wait => actions.push(TimerAction::Waiting),
            Warning::None => {}
        }
        match sub.state().clone() {
            SubscriptionState::Trialing { trial, .. } => {
                let reminder_at = trial.end() - Duration::days(i64::from(catalog.trial_reminder_days));
                if now >= reminder_at && now < trial.end() {
                    let (usage, _, _) = self.seat_usage(tx.as_mut(), now).await?;
                    self.sync_trial_seats(&sub, usage.used()).await;
                    let sent = self.trial_reminder(tx.as_mut(), &scope, &sub).await?;
                    if !sent.is_empty() {
                        actions.push(TimerAction::TrialReminderSent);
                    }
                    mails.extend(sent);
                } else if now >= trial.end() {
                    // The reminder's window has passed unsent (the service was down):
                    // record it as done so that the trial's end is the next deadline.
                    tx.mark(&super::subscription_state::trial_reminder_key(trial.end()), now).await?;
                }
                if now >= saturating_add(trial.end(), PROVIDER_SLACK) {
                    let (action, evs) = self.reconcile(&mut sub, now).await;
                    events.extend(evs);
                    let action = match action {
                        Reconcile::Gone => {
                            events.extend(self.end_trial_without_provider(tx.as_mut(), &mut sub, now).await?);
                            TimerAction::TrialEndedLocally
                        }
                        other => other.action(),
                    };
                    actions.push(action);
                }
            }
            SubscriptionState::Active(p) | SubscriptionState::CancelingAtPeriodEnd(p)
                if now >= saturating_add(p.period.end(), PROVIDER_SLACK) =>
            {
                let (action, evs) = self.reconcile(&mut sub, now).await;
                events.extend(evs);
                let action = match action {
                    Reconcile::Gone => {
                        if let Some(snapshot) = ended(&sub, now) {
                            events.extend(sub.apply_snapshot(&snapshot, &catalog));
                        }
                        TimerAction::CanceledPeriodEnded
                    }
                    other => other.action(),
                };
                actions.push(action);
            }
            SubscriptionState::PastDue { since, .. }
                if now >= saturating_add(since, Duration::days(i64::from(catalog.grace_days))) =>
            {
                let (action, evs) = self.reconcile(&mut sub, now).await;
                events.extend(evs);
                if matches!(sub.state(), SubscriptionState::PastDue { .. }) {
                    // The provider still retries after tenantry's grace: end it (DESIGN.md "Dunning").
                    if let Some(id) = sub.provider().as_ref().and_then(|l| l.subscription.clone()) {
                        let key = IdempotencyKey::for_request("dunning", tenant_id, sub.revision(), &id);
                        match self.deps.payments.cancel_now(&id, &key).await {
                            Ok(()) | Err(PaymentError::NotFound) => {}
                            Err(e) => return self.wait(tx, &mut sub, e).await,
                        }
                    }
                    match sub.expire_grace(now, &catalog) {
                        Ok(evs) => events.extend(evs),
                        Err(e) => tracing::warn!(tenant = %tenant_id, error = %e, "grace expiry"),
                    }
                    actions.push(TimerAction::GraceExpired);
                } else {
                    actions.push(action.action());
                }
            }
            _ => {}
        }
        if actions.contains(&TimerAction::Waiting) {
            sub.checked_by_timer(now);
        }
        Self::cardless_trial_end(&mut sub, cardless, ends_in, &mut events, now);
        mails.extend(self.apply_subscription_events(tx.as_mut(), &scope, &mut sub, &events).await?);
        self.save_subscription(tx.as_mut(), &mut sub).await?;
        let queued = self.queue_mails(tx.as_mut(), &scope, mails).await?;
        tx.commit().await?;
        self.deliver(queued).await;
        Ok(actions)
    }

    /// The pre-invoice warning (DESIGN.md "Notifications"), when the next
    /// invoice is `days` away or less and its warning has not gone out: the
    /// upcoming invoice's figures to the owners and admins who kept it on.
    /// Marked once per invoice date (also when its window passed unsent).
    async fn pre_invoice_warning(
        &self,
        tx: &mut dyn TenantTx,
        sub: &mut Subscription,
        days: i64,
        now: DateTime<Utc>,
    ) -> Result<Warning, InfraError> {
        let Some(at) = sub.next_charge_at() else { return Ok(Warning::None) };
        let key = super::subscription_state::upcoming_invoice_key(at);
        if now < at - Duration::days(days) || tx.is_marked(&key).await? {
            return Ok(Warning::None);
        }
        if now >= at {
            tx.mark(&key, now).await?;
            return Ok(Warning::None);
        }
        let (usage, _, _) = self.seat_usage(tx, now).await?;
        let upcoming = match self.upcoming_invoice_of(sub, usage.used()).await {
            Ok(upcoming) => upcoming,
            Err(e) => {
                tracing::warn!(tenant = %sub.tenant_id(), error = %e, "the upcoming invoice was not read; the warning waits");
                return Ok(Warning::Wait);
            }
        };
        tx.mark(&key, now).await?;
        // Nothing coming, or nothing to charge (a comp): no warning.
        let Some(u) = upcoming.filter(|u| u.total.cents() > 0) else { return Ok(Warning::None) };
        let tenant = self.tenant_row(tx).await?;
        let users = tx.users().await?;
        let message = Message::UpcomingInvoice {
            slug: tenant.slug().to_string(),
            at: u.at,
            lines: u.lines,
            subtotal: u.subtotal,
            discount: u.discount,
            tax: u.tax,
            total: u.total,
        };
        Ok(Warning::Sent(Self::billing_mails(&tenant, &users, &message)))
    }

    /// The trial ended and the provider has no subscription for it (it was never
    /// made, or is gone): a tenant that converts gets its paid subscription
    /// started now (the first period charged); if that fails, or it does not
    /// convert, it becomes freemium. Never a paid plan without a provider subscription.
    async fn end_trial_without_provider(
        &self,
        tx: &mut dyn TenantTx,
        sub: &mut Subscription,
        now: DateTime<Utc>,
    ) -> Result<Vec<SubscriptionEvent>, InfraError> {
        let (usage, _, _) = self.seat_usage(tx, now).await?;
        let customer = sub.provider().as_ref().map(|l| l.customer.clone());
        if let (true, Some(customer)) = (sub.trial_converts(), customer) {
            let interval = sub.interval().unwrap_or(tenantry_domain::Interval::Month);
            let extra = self.catalog().extra_seats(usage.used());
            let params = (&customer, interval, extra);
            let key = IdempotencyKey::for_request("trial-start", sub.tenant_id(), sub.revision(), &params);
            match self.deps.payments.start_subscription(&customer, interval, extra, &key).await {
                Ok(started) => {
                    sub.link_subscription(started.subscription.id.clone());
                    if let Some(invoice) = &started.invoice {
                        tx.save_invoice(invoice).await?;
                    }
                    return Ok(sub.apply_snapshot(&started.subscription.snapshot, self.catalog()));
                }
                Err(e) => {
                    tracing::warn!(tenant = %sub.tenant_id(), error = %e, "the paid subscription could not start at the trial end")
                }
            }
        }
        Ok(sub.end_trial_unconverted(now).unwrap_or_default())
    }

    async fn wait(
        &self,
        mut tx: Box<dyn TenantTx>,
        sub: &mut Subscription,
        error: PaymentError,
    ) -> Result<Vec<TimerAction>, InfraError> {
        tracing::warn!(tenant = %sub.tenant_id(), error = %error, "the payment provider did not answer a timer; retried later");
        sub.checked_by_timer(self.now());
        self.save_subscription(tx.as_mut(), sub).await?;
        tx.commit().await?;
        Ok(vec![TimerAction::Waiting])
    }

    /// Asks the provider for the subscription and applies it.
    async fn reconcile(&self, sub: &mut Subscription, now: DateTime<Utc>) -> (Reconcile, Vec<SubscriptionEvent>) {
        let Some(id) = sub.provider().as_ref().and_then(|l| l.subscription.clone()) else {
            return (Reconcile::Gone, Vec::new());
        };
        match self.deps.payments.subscription(&id).await {
            Ok(Some(ps)) => {
                let before = sub.clone();
                let events = sub.apply_snapshot(&ps.snapshot, self.catalog());
                if events.is_empty() && before.state() == sub.state() {
                    sub.checked_by_timer(now);
                    (Reconcile::Unchanged, events)
                } else {
                    (Reconcile::Applied, events)
                }
            }
            Ok(None) | Err(PaymentError::NotFound) => (Reconcile::Gone, Vec::new()),
            Err(e) => {
                tracing::warn!(subscription = %id, error = %e, "provider not reached by a timer");
                sub.checked_by_timer(now);
                (Reconcile::Unchanged, Vec::new())
            }
        }
    }

    /// Purges a tenant whose deletion retention ran out: ends its provider
    /// subscription, deletes its files' bytes and every tenant-owned row, and records the purge in the
    /// platform log (the tenant's own log goes with it).
    async fn purge(
        &self,
        mut tx: Box<dyn TenantTx>,
        scope: &TenantScope,
        sub: &Subscription,
    ) -> Result<(), InfraError> {
        if let Some(id) = sub.provider().as_ref().and_then(|l| l.subscription.clone()) {
            let key = IdempotencyKey::for_request("purge", scope.tenant_id(), sub.revision(), &id);
            match self.deps.payments.cancel_now(&id, &key).await {
                Ok(()) | Err(PaymentError::NotFound) => {}
                Err(e) => return Err(InfraError::Unavailable(anyhow::anyhow!("provider: {e}"))),
            }
        }
        // The files' bytes first (an object store is not in the unit of work): if they cannot be
        // deleted, nothing is purged and the timer tries again; PostgreSQL's chunks go again
        // with the tenant's rows.
        self.deps.files.delete_tenant(scope.tenant_id()).await.map_err(|e| {
            InfraError::Unavailable(anyhow::anyhow!("the file store did not delete the tenant's files: {e}"))
        })?;
        tx.purge_tenant().await?;
        tx.commit().await?;
        let mut ptx = self.deps.store.begin_platform().await?;
        ptx.append_platform_audit(&AuditEvent {
            id: self.new_id()?,
            at: self.now(),
            tenant_id: None,
            actor: AuditActor::System(SystemActor::Scheduler),
            action: AuditAction::TenantPurged,
            target: Some(AuditTarget::Tenant(scope.tenant_id())),
            outcome: AuditOutcome::Success,
            details: Default::default(),
        })
        .await?;
        ptx.commit().await?;
        Ok(())
    }

    /// The subscription as a test or dashboard sees it right now (no permission
    /// check: for system callers such as schedulers and the superuser's detail view).
    pub(crate) async fn subscription_snapshot(&self, scope: &TenantScope) -> Result<SubscriptionView, InfraError> {
        let now = self.now();
        let mut tx = self.begin(scope, Access::Read).await?;
        let sub = self.subscription(tx.as_mut()).await?;
        let (usage, _, _) = self.seat_usage(tx.as_mut(), now).await?;
        Ok(SubscriptionView::build(&sub, self.catalog(), usage.active_users, usage.pending_invitations, now))
    }
}

/// What the pre-invoice warning step did.
enum Warning {
    /// Nothing due (or its window passed, marked).
    None,
    /// The provider did not answer: looked at again later.
    Wait,
    /// Its mails, to queue.
    Sent(Vec<Mail>),
}

enum Reconcile {
    Applied,
    Unchanged,
    Gone,
}

impl Reconcile {
    fn action(&self) -> TimerAction {
        match self {
            Reconcile::Applied => TimerAction::Reconciled,
            Reconcile::Unchanged | Reconcile::Gone => TimerAction::Waiting,
        }
    }
}

/// A snapshot saying the provider's subscription has ended (it is gone there).
fn ended(sub: &Subscription, now: DateTime<Utc>) -> Option<tenantry_domain::subscription::ProviderSnapshot> {
    let plan = sub.paid_plan().copied();
    let period = match plan {
        Some(p) => p.period,
        None => tenantry_domain::Period::starting(now, tenantry_domain::Interval::Month).ok()?,
    };
    Some(tenantry_domain::subscription::ProviderSnapshot {
        status: ProviderStatus::Canceled,
        interval: plan.map_or(tenantry_domain::Interval::Month, |p| p.interval),
        extra_seats: 0,
        extra_seats_next_period: 0,
        interval_next_period: plan.map_or(tenantry_domain::Interval::Month, |p| p.interval_next_period),
        period,
        cancel_at_period_end: false,
        collection: Default::default(),
        discount: None,
        observed_at: now.max(sub.provider_synced_at().unwrap_or(now)),
    })
}

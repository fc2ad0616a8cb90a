//! Scheduled work (issue 8): workers claim due jobs across tenants through the
//! directory's one named path (`claim_due_jobs`: leased, one attempt counted,
//! never claimed twice), run each inside its tenant's scope as the scheduler,
//! and record the outcome in the tenant's own unit of work: done; or failed,
//! retried with backoff (`tenantry_domain::job`), and after the last attempt
//! kept as failed, audited, and listed for the superuser
//! (`GET /v1/admin/jobs`) — never dropped.

use super::timers::TimerAction;
use super::{Tenantry, infra_from_store};
use crate::directory::TenantListQuery;
use crate::error::InfraError;
use crate::scope::{Actor, PlatformScope, TenantScope};
use crate::services::admin::AdminError;
use crate::store::Access;
use tenantry_domain::audit::AuditTarget;
use tenantry_domain::audit::SystemActor;
use tenantry_domain::job::{Job, JobKind};
use tenantry_domain::subscription::SubscriptionState;
use tenantry_domain::{AuditAction, AuditOutcome, JobId, TenantId};
use tenantry_domain::{Subscription, SubscriptionStatus};

/// What one run of [`Tenantry::run_due_jobs`] did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct JobReport {
    /// Jobs claimed.
    pub claimed: usize,
    /// Jobs done.
    pub done: Vec<(TenantId, JobId)>,
    /// Jobs that failed this time, with the error (retried later unless final).
    pub failed: Vec<(TenantId, JobId, String)>,
    /// Of those, the ones that will not be retried.
    pub gave_up: Vec<(TenantId, JobId)>,
    /// Of the jobs done, the timers jobs, with what each did.
    pub timers: Vec<(TenantId, Vec<TimerAction>)>,
    /// Of the failed attempts, the timers jobs'.
    pub timer_failures: usize,
}

impl Tenantry {
    /// Claims and runs up to `limit` due jobs (the scheduler's tick, and
    /// `tenantry jobs run-due`). A job's failure is recorded on the job, never
    /// returned: only a failure to reach the store is.
    pub async fn run_due_jobs(&self, limit: u32) -> Result<JobReport, InfraError> {
        let claimed = self.deps.directory.claim_due_jobs(limit).await?;
        let mut report = JobReport { claimed: claimed.len(), ..JobReport::default() };
        for (tenant, id) in claimed {
            match self.run_claimed_job(tenant, id).await? {
                JobOutcome::Done { timers } => {
                    report.done.push((tenant, id));
                    if let Some(actions) = timers {
                        report.timers.push((tenant, actions));
                    }
                }
                JobOutcome::Failed { error, last, is_timers } => {
                    if last {
                        report.gave_up.push((tenant, id));
                    }
                    report.failed.push((tenant, id, error));
                    report.timer_failures += usize::from(is_timers);
                }
            }
        }
        Ok(report)
    }

    /// Runs one job this worker claimed and records its outcome on the job.
    pub(crate) async fn run_claimed_job(&self, tenant: TenantId, id: JobId) -> Result<JobOutcome, InfraError> {
        let (is_timers, outcome) = self.run_job(tenant, id).await;
        Ok(match outcome {
            Ok(actions) => {
                self.settle_job(tenant, id, None).await?;
                JobOutcome::Done { timers: is_timers.then_some(actions) }
            }
            Err(e) => {
                let error = e.to_string();
                tracing::warn!(%tenant, job = %id, error = %error, "a job failed");
                let last = self.settle_job(tenant, id, Some(&error)).await?;
                JobOutcome::Failed { error, last, is_timers }
            }
        })
    }

    /// Runs one claimed job; says whether it was a timers job, and what its timers did.
    async fn run_job(&self, tenant: TenantId, id: JobId) -> (bool, Result<Vec<TimerAction>, InfraError>) {
        let scope = self.system_scope(tenant, SystemActor::Scheduler);
        let job = async {
            let mut tx = self.begin(&scope, Access::Read).await?;
            tx.job(id).await.map_err(InfraError::from)
        };
        let kind = match job.await {
            Ok(Some(job)) => job.kind,
            Ok(None) => return (false, Ok(Vec::new())),
            Err(e) => return (false, Err(e)),
        };
        match kind {
            JobKind::Export(export) => (false, self.produce_export(&scope, export).await.map(|()| Vec::new())),
            JobKind::ExpireExport(export) => (false, self.expire_export(&scope, export).await.map(|()| Vec::new())),
            JobKind::Timers(_) => (true, self.run_tenant_timers(tenant).await),
            JobKind::Mail(mail) => (false, self.send_queued_mail(&scope, mail).await.map(|()| Vec::new())),
        }
    }

    /// `POST /v1/admin/tenants/{tid}/jobs/{job_id}/retry` (the superuser, in
    /// the tenant's scope): a job that failed for good is pending again, due
    /// now, with all its attempts (audited in the tenant's log as `job.retried`).
    pub async fn retry_job(&self, scope: &TenantScope, id: JobId) -> Result<Job, JobError> {
        let Actor::Superuser { .. } = scope.actor() else { return Err(JobError::NotFound) };
        let mut tx = self.begin(scope, Access::Write).await?;
        let mut job = tx.job(id).await?.ok_or(JobError::NotFound)?;
        if !job.retry(self.now()) {
            return Err(JobError::NotFailed);
        }
        tx.update_job(&job).await?;
        let event = self
            .event(scope, AuditAction::JobRetried, kind_target(&job), AuditOutcome::Success)?
            .with("job", job.id)
            .with("last_error", job.last_error.as_deref().unwrap_or_default().chars().take(200).collect::<String>());
        tx.append_audit(&event).await?;
        tx.commit().await?;
        Ok(job)
    }

    /// Records a job's outcome; returns whether it failed for good.
    async fn settle_job(&self, tenant: TenantId, id: JobId, error: Option<&str>) -> Result<bool, InfraError> {
        let scope = self.system_scope(tenant, SystemActor::Scheduler);
        let now = self.now();
        let mut tx = self.begin(&scope, Access::Write).await?;
        let Some(mut job) = tx.job(id).await? else { return Ok(false) };
        let last = match error {
            None => {
                job.succeed(now);
                false
            }
            Some(error) => job.fail(error, now),
        };
        tx.update_job(&job).await?;
        if last {
            let event = self
                .event(&scope, AuditAction::JobFailed, kind_target(&job), AuditOutcome::Failed)?
                .with("job", job.id)
                .with("attempts", job.attempts)
                .with("error", job.last_error.as_deref().unwrap_or_default().chars().take(200).collect::<String>());
            tx.append_audit(&event).await?;
        }
        tx.commit().await?;
        if last && let (JobKind::Export(export), Some(error)) = (job.kind, error) {
            self.fail_export(&scope, export, error).await?;
        }
        Ok(last)
    }

    /// Jobs that failed for good, newest first.
    pub async fn failed_jobs(&self, _who: &PlatformScope, limit: u32) -> Result<Vec<Job>, AdminError> {
        Ok(self.deps.directory.failed_jobs(limit.clamp(1, 500)).await.map_err(InfraError::from)?)
    }

    /// `GET /v1/admin/jobs`: jobs that failed for good (newest first) and the
    /// tenants waiting for their purge (soonest first).
    pub async fn admin_jobs(&self, who: &PlatformScope, limit: u32) -> Result<AdminJobs, AdminError> {
        let failed = self.failed_jobs(who, limit).await?;
        let mut pending_purges = Vec::new();
        for status in [SubscriptionStatus::PendingDeletion, SubscriptionStatus::PendingPaymentMethod] {
            let query =
                TenantListQuery { status: Some(status), limit: limit.clamp(1, 500), ..TenantListQuery::default() };
            for tenant in self.deps.directory.list_tenants(&query).await? {
                // The purge date, read in the tenant's own scope by the scheduler
                // (the actor that will purge it), read-only.
                let scope = self.system_scope(tenant.id, SystemActor::Scheduler);
                let mut tx = self.begin(&scope, Access::Read).await?;
                let sub = tx.subscription().await?;
                let (requested_at, purge_at, reason) = match sub.as_ref().map(Subscription::state) {
                    Some(SubscriptionState::PendingDeletion { requested_at, purge_at, .. }) => {
                        (*requested_at, *purge_at, PurgeReason::DeletionRequested)
                    }
                    Some(SubscriptionState::PendingPaymentMethod { since, .. }) => {
                        let Some(at) = sub.as_ref().and_then(|s| s.unfinished_signup_purged_at(self.catalog())) else {
                            continue;
                        };
                        (*since, at, PurgeReason::PaymentMethodNeverAdded)
                    }
                    _ => continue,
                };
                pending_purges.push(PendingPurge {
                    tenant_id: tenant.id,
                    slug: tenant.slug.to_string(),
                    name: tenant.name,
                    requested_at,
                    purge_at,
                    reason,
                });
            }
        }
        pending_purges.sort_by_key(|p| (p.purge_at, p.tenant_id));
        // What each failed mail was, read in its tenant's scope by the scheduler (the actor that sends it).
        let mut failed_mails = Vec::new();
        for job in &failed {
            let JobKind::Mail(id) = job.kind else { continue };
            let scope = self.system_scope(job.tenant_id, SystemActor::Scheduler);
            let mut tx = self.begin(&scope, Access::Read).await?;
            if let Some(mail) = tx.queued_mail(id).await? {
                failed_mails.push(FailedMail {
                    job_id: job.id,
                    template: mail.mail.message.template().to_owned(),
                    to: mail.mail.to.to_string(),
                    queued_at: mail.created_at,
                });
            }
        }
        Ok(AdminJobs { failed, failed_mails, pending_purges })
    }
}

/// What became of one claimed job.
#[derive(Debug)]
pub(crate) enum JobOutcome {
    /// Done; a timers job's actions.
    Done { timers: Option<Vec<TimerAction>> },
    /// Failed this time (retried later unless `last`).
    Failed { error: String, last: bool, is_timers: bool },
}

/// The superuser's view of scheduled work.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AdminJobs {
    /// Jobs that failed on their last attempt, newest first (never dropped).
    pub failed: Vec<Job>,
    /// Of those, the mails: what each was and to whom.
    pub failed_mails: Vec<FailedMail>,
    /// Tenants whose deletion was requested, soonest purge first.
    pub pending_purges: Vec<PendingPurge>,
}

/// A mail of the outbox whose job failed for good.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FailedMail {
    /// Its job (in `failed`).
    pub job_id: JobId,
    /// Its template (`invitation`, `trial_reminder`, ...).
    pub template: String,
    /// Its recipient.
    pub to: String,
    /// When the change that caused it queued it.
    pub queued_at: chrono::DateTime<chrono::Utc>,
}

/// A tenant waiting for its purge.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PendingPurge {
    /// The tenant.
    pub tenant_id: TenantId,
    /// Its slug.
    pub slug: String,
    /// Its name.
    pub name: String,
    /// When the owner (or the superuser) asked.
    pub requested_at: chrono::DateTime<chrono::Utc>,
    /// When its data is purged, unless the deletion is cancelled first (or
    /// the payment method comes).
    pub purge_at: chrono::DateTime<chrono::Utc>,
    /// Why.
    pub reason: PurgeReason,
}

/// Why a tenant waits for its purge.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum PurgeReason {
    /// Its owner (or the superuser) asked for its deletion (`requested_at`).
    DeletionRequested,
    /// It signed up (`requested_at`) under the `required` trial policy and
    /// never put a payment method on file.
    PaymentMethodNeverAdded,
}

fn kind_target(job: &Job) -> Option<AuditTarget> {
    match job.kind {
        JobKind::Export(id) | JobKind::ExpireExport(id) => Some(AuditTarget::Export(id)),
        JobKind::Timers(_) | JobKind::Mail(_) => Some(AuditTarget::Tenant(job.tenant_id)),
    }
}

/// Why a job could not be retried.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// No such job in that tenant.
    #[error("no such job")]
    NotFound,
    /// Only a job that failed for good can be retried.
    #[error("the job has not failed for good: it is pending or done")]
    NotFailed,
    /// Infrastructure.
    #[error(transparent)]
    Infra(#[from] InfraError),
}

infra_from_store!(JobError);

crate::problem!(JobError {
    JobError::NotFound => ("not_found", NotFound),
    JobError::NotFailed => ("job_not_failed", Conflict),
    JobError::Infra(e) => (via e),
});

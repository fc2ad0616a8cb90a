//! Scheduled work (issue 8): workers claim due jobs across tenants through the
//! directory's one named path (`claim_due_jobs`: leased, one attempt counted,
//! never claimed twice), run each inside its tenant's scope as the scheduler,
//! and record the outcome in the tenant's own unit of work: done; or failed,
//! retried with backoff (`tenantry_domain::job`), and after the last attempt
//! kept as failed, audited, and listed for the superuser
//! (`GET /v1/admin/jobs`) — never dropped.

use super::Tenantry;
use crate::directory::TenantListQuery;
use crate::error::InfraError;
use crate::scope::PlatformScope;
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
}

impl Tenantry {
    /// Claims and runs up to `limit` due jobs (the scheduler's tick, and
    /// `tenantry jobs run-due`). A job's failure is recorded on the job, never
    /// returned: only a failure to reach the store is.
    pub async fn run_due_jobs(&self, limit: u32) -> Result<JobReport, InfraError> {
        let claimed = self.deps.directory.claim_due_jobs(self.now(), limit).await?;
        let mut report = JobReport { claimed: claimed.len(), ..JobReport::default() };
        for (tenant, id) in claimed {
            match self.run_job(tenant, id).await {
                Ok(()) => {
                    self.settle_job(tenant, id, None).await?;
                    report.done.push((tenant, id));
                }
                Err(e) => {
                    let error = e.to_string();
                    tracing::warn!(%tenant, job = %id, error = %error, "a job failed");
                    if self.settle_job(tenant, id, Some(&error)).await? {
                        report.gave_up.push((tenant, id));
                    }
                    report.failed.push((tenant, id, error));
                }
            }
        }
        Ok(report)
    }

    async fn run_job(&self, tenant: TenantId, id: JobId) -> Result<(), InfraError> {
        let scope = self.system_scope(tenant, SystemActor::Scheduler);
        let job = {
            let mut tx = self.begin(&scope, Access::Read).await?;
            tx.job(id).await?
        };
        let Some(job) = job else { return Ok(()) };
        match job.kind {
            JobKind::Export(export) => self.produce_export(&scope, export).await,
            JobKind::ExpireExport(export) => self.expire_export(&scope, export).await,
        }
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
        let query = TenantListQuery {
            status: Some(SubscriptionStatus::PendingDeletion),
            limit: limit.clamp(1, 500),
            ..TenantListQuery::default()
        };
        let mut pending_purges = Vec::new();
        for tenant in self.deps.directory.list_tenants(&query).await? {
            // The purge date, read in the tenant's own scope by the scheduler
            // (the actor that will purge it), read-only.
            let scope = self.system_scope(tenant.id, SystemActor::Scheduler);
            let mut tx = self.begin(&scope, Access::Read).await?;
            if let Some(Subscription {
                state: SubscriptionState::PendingDeletion { requested_at, purge_at, .. }, ..
            }) = tx.subscription().await?
            {
                pending_purges.push(PendingPurge {
                    tenant_id: tenant.id,
                    slug: tenant.slug.to_string(),
                    name: tenant.name,
                    requested_at,
                    purge_at,
                });
            }
        }
        pending_purges.sort_by_key(|p| (p.purge_at, p.tenant_id));
        Ok(AdminJobs { failed, pending_purges })
    }
}

/// The superuser's view of scheduled work.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AdminJobs {
    /// Jobs that failed on their last attempt, newest first (never dropped).
    pub failed: Vec<Job>,
    /// Tenants whose deletion was requested, soonest purge first.
    pub pending_purges: Vec<PendingPurge>,
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
    /// When its data is purged, unless the deletion is cancelled first.
    pub purge_at: chrono::DateTime<chrono::Utc>,
}

fn kind_target(job: &Job) -> Option<AuditTarget> {
    match job.kind {
        JobKind::Export(id) | JobKind::ExpireExport(id) => Some(AuditTarget::Export(id)),
    }
}

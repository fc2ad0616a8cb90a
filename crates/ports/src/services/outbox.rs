//! The mail outbox (issue 20): a change that causes mail writes it, as a
//! [`QueuedMail`] and a [`JobKind::Mail`] job, in its own unit of work — so a
//! rolled-back change mails nothing and a committed one is never lost — and the
//! job runner sends it with the jobs' retries and backoff; a mail that finally
//! fails is listed for the superuser (`GET /v1/admin/jobs`, the Jobs page) and
//! the change that caused it stands. A request never fails because mail is
//! slow or down.
//!
//! Sending is idempotent per mail: every attempt carries the same `Message-ID`
//! ([`crate::system::message_id`]); the server's acceptance is recorded at
//! once in its own unit of work, and a mail recorded as sent is not sent again
//! (a retry after the worker died, or after its lease ran out, finds it sent).
//! The one window left is the server's acceptance whose answer never arrived:
//! the retry then sends a second copy with the same `Message-ID`.
//!
//! When a mail goes: [`MailDelivery`].

use super::Tenantry;
use crate::error::InfraError;
use crate::scope::TenantScope;
use crate::store::{Access, TenantTx};
use crate::system::{Mail, QueuedMail};
use tenantry_domain::audit::SystemActor;
use tenantry_domain::job::{Job, JobKind};
use tenantry_domain::{JobId, MailId, TenantId};

/// When a queued mail is first tried. In every mode the mail and its job are
/// committed with the change first; a failed attempt is the job's, retried by
/// the scheduler.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum MailDelivery {
    /// Right after the commit, before the use case returns (the library's
    /// default: a caller sees its mail gone when the call returns; a slow mail
    /// server makes the call slow, never failed).
    #[default]
    Awaited,
    /// Right after the commit, in a task of its own (the service's mode: the
    /// request's answer never waits for the mail server).
    Spawned,
    /// Only by the scheduler's job runner (its next tick).
    Scheduled,
}

/// Mails written to the outbox by one unit of work, to be tried once it commits.
#[must_use = "deliver the queued mails after the commit"]
#[derive(Debug, Default)]
pub(crate) struct Queued(Vec<(TenantId, JobId)>);

impl Tenantry {
    /// Writes `mails` to the outbox of the scope's tenant, each with its job,
    /// in the caller's unit of work; [`Self::deliver`] after the commit.
    pub(crate) async fn queue_mails(
        &self,
        tx: &mut dyn TenantTx,
        scope: &TenantScope,
        mails: impl IntoIterator<Item = Mail>,
    ) -> Result<Queued, InfraError> {
        let now = self.now();
        let tenant_id = scope.tenant_id();
        let mut queued = Queued::default();
        for mail in mails {
            queued.0.push((tenant_id, self.queue_mail_at(tx, tenant_id, mail, now).await?));
        }
        Ok(queued)
    }

    /// Writes one mail and its job, due at `due`, in the caller's unit of
    /// work; the job's id. (A broadcast's mails fall due one after another.)
    pub(crate) async fn queue_mail_at(
        &self,
        tx: &mut dyn TenantTx,
        tenant_id: TenantId,
        mail: Mail,
        due: chrono::DateTime<chrono::Utc>,
    ) -> Result<JobId, InfraError> {
        let now = self.now();
        let id: MailId = self.new_id()?;
        tx.insert_mail(&QueuedMail { id, tenant_id, mail, created_at: now, sent: None }).await?;
        let job = Job::new(self.new_id()?, tenant_id, JobKind::Mail(id), due, now);
        tx.insert_job(&job).await?;
        Ok(job.id)
    }

    /// Tries the mails a committed unit of work queued, as [`MailDelivery`]
    /// says; how many went out before it returns (none unless `Awaited`).
    pub(crate) async fn deliver(&self, queued: Queued) -> usize {
        if queued.0.is_empty() {
            return 0;
        }
        match self.config.mail_delivery {
            MailDelivery::Awaited => {
                // In a task of its own, awaited: a caller that stops waiting (a
                // request timed out, its client left) does not cancel a send
                // between the server's acceptance and its record.
                let this = self.clone();
                tokio::spawn(async move { this.deliver_now(queued.0).await }).await.unwrap_or(0)
            }
            MailDelivery::Spawned => {
                let this = self.clone();
                tokio::spawn(async move { this.deliver_now(queued.0).await });
                0
            }
            MailDelivery::Scheduled => 0,
        }
    }

    /// Claims and runs each job (unless the scheduler claimed it first); a
    /// failure is recorded on the job, never returned. The count sent.
    ///
    /// Boxed: a job's work may queue mail and deliver it (an export that is
    /// ready), so this future contains itself.
    fn deliver_now(
        &self,
        jobs: Vec<(TenantId, JobId)>,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = usize> + Send + '_>> {
        Box::pin(async move {
            let mut sent = 0;
            for (tenant, id) in jobs {
                match self.claim_and_run(tenant, id).await {
                    Ok(true) => sent += 1,
                    Ok(false) => {}
                    Err(e) => tracing::warn!(%tenant, job = %id, error = %e, "a queued mail was left to the scheduler"),
                }
            }
            sent
        })
    }

    async fn claim_and_run(&self, tenant: TenantId, id: JobId) -> Result<bool, InfraError> {
        let scope = self.system_scope(tenant, SystemActor::Scheduler);
        let mut tx = self.begin(&scope, Access::Write).await?;
        let claimed = tx.claim_job(id, self.now()).await?;
        tx.commit().await?;
        if claimed.is_none() {
            return Ok(false);
        }
        Ok(matches!(self.run_claimed_job(tenant, id).await?, super::jobs::JobOutcome::Done { .. }))
    }

    /// A [`JobKind::Mail`] job's work: sends the mail unless it was sent (or
    /// is gone), and records the server's acceptance at once.
    pub(crate) async fn send_queued_mail(&self, scope: &TenantScope, id: MailId) -> Result<(), InfraError> {
        let queued = {
            let mut tx = self.begin(scope, Access::Read).await?;
            tx.queued_mail(id).await?
        };
        let Some(queued) = queued.filter(|q| q.sent.is_none()) else { return Ok(()) };
        let accepted = self.deps.mailer.send(&queued.mail, id).await.map_err(|e| {
            InfraError::Unavailable(anyhow::anyhow!("mail {} not sent: {e}", queued.mail.message.template()))
        })?;
        let mut tx = self.begin(scope, Access::Write).await?;
        tx.mark_mail_sent(id, self.now(), &accepted).await?;
        tx.commit().await?;
        Ok(())
    }
}

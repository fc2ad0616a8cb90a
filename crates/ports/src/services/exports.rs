//! GDPR exports (DESIGN.md "Data rights"): `POST /v1/tenants/{tid}/exports`
//! queues an export and its job in one unit of work; a worker
//! ([`Tenantry::run_due_jobs`]) produces the archive section by section,
//! recording progress; the archive is downloadable for seven days, then a
//! second job deletes it. The archive is the tenant's data **without secrets**:
//! it is built from the same views the API answers with (no password hash, no
//! token or key hash), plus the rows of every registered product table.
//! Requests, readiness, failures and downloads are audited.

use super::{AccessError, Tenantry, infra_from_store};
use crate::error::{ErrorKind, InfraError, Problem};
use crate::payment::Invoice;
use crate::scope::TenantScope;
use crate::services::api_keys::ApiKeyView;
use crate::services::views::{InvitationView, RoleView, SubscriptionView, TenantView, UserView};
use crate::store::UsageCounters;
use crate::store::{Access, AuditQuery, Month};
use crate::system::{Mail, Message};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;
use tenantry_domain::audit::{AuditActor, AuditTarget};
use tenantry_domain::export::{EXPORT_FORMAT, Export, ExportStatus};
use tenantry_domain::job::{Job, JobKind};
use tenantry_domain::rbac::builtin;
use tenantry_domain::{AuditAction, AuditEvent, AuditEventId, AuditOutcome, ExportId, TenantId};

/// The archive's sections, in the order they are written.
pub const SECTIONS: [&str; 10] = [
    "tenant",
    "users",
    "invitations",
    "roles",
    "api_keys",
    "subscription",
    "invoices",
    "usage",
    "audit_events",
    "product_tables",
];

/// An export as the API shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ExportView {
    /// Id.
    pub id: ExportId,
    /// Where it stands now (a ready export past its expiry is `expired`).
    pub status: ExportStatus,
    /// Progress in whole percent.
    pub percent: u32,
    /// Sections written.
    pub sections_done: u32,
    /// Sections in all (0 until it runs).
    pub sections_total: u32,
    /// The archive's size (0 until ready).
    pub size_bytes: u64,
    /// Who asked.
    pub requested_by: AuditActor,
    /// When it was asked for.
    pub created_at: DateTime<Utc>,
    /// When it was ready or failed.
    pub finished_at: Option<DateTime<Utc>>,
    /// Downloadable until then.
    pub expires_at: Option<DateTime<Utc>>,
}

impl ExportView {
    /// The view at `now`.
    pub fn at(e: &Export, now: DateTime<Utc>) -> Self {
        Self {
            id: e.id,
            status: e.status_at(now),
            percent: e.percent(),
            sections_done: e.sections_done,
            sections_total: e.sections_total,
            size_bytes: e.size_bytes,
            requested_by: e.requested_by,
            created_at: e.created_at,
            finished_at: e.finished_at,
            expires_at: e.expires_at,
        }
    }
}

/// What a request for an export answered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExportRequested {
    /// The export.
    pub export: ExportView,
    /// `false` when one was already queued or running (and this is it).
    pub created: bool,
}

/// A ready archive.
#[derive(Clone, Debug)]
pub struct ExportArchive {
    /// The file name to offer (`tenantry-export-acme-2026-11-23.json`).
    pub filename: String,
    /// The JSON document.
    pub bytes: Vec<u8>,
}

/// Why an export request or download was refused. Nothing changed.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// Still queued or running.
    #[error("the export is not ready yet ({0}% done); ask its status and download it when it is ready")]
    NotReady(u32),
    /// Failed for good; start another.
    #[error("the export failed; start another")]
    Failed,
    /// Past its expiry: the archive is gone.
    #[error("the export expired and its archive was deleted; start another")]
    Expired,
    /// Access.
    #[error(transparent)]
    Access(#[from] AccessError),
    /// Infrastructure.
    #[error(transparent)]
    Infra(#[from] InfraError),
}
infra_from_store!(ExportError);

impl Problem for ExportError {
    fn code(&self) -> &'static str {
        match self {
            ExportError::NotReady(_) => "export_not_ready",
            ExportError::Failed => "export_failed",
            ExportError::Expired => "export_expired",
            ExportError::Access(e) => e.code(),
            ExportError::Infra(e) => e.code(),
        }
    }
    fn kind(&self) -> ErrorKind {
        match self {
            ExportError::NotReady(_) | ExportError::Failed => ErrorKind::Conflict,
            ExportError::Expired => ErrorKind::Gone,
            ExportError::Access(e) => e.kind(),
            ExportError::Infra(e) => e.kind(),
        }
    }
}

/// The archive: a JSON document of this shape (`format` names its version).
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ExportDocument {
    /// `tenantry-export/1`.
    pub format: String,
    /// Whose data.
    pub tenant_id: TenantId,
    /// Which export.
    pub export_id: ExportId,
    /// When it was written.
    pub exported_at: DateTime<Utc>,
    /// The data.
    pub sections: ExportSections,
}

/// The tenant's data, section by section, as the API shows it (no secrets).
#[derive(Clone, Debug, Default, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ExportSections {
    /// The tenant profile and settings.
    pub tenant: Option<TenantView>,
    /// Every user (never a password hash).
    pub users: Vec<UserView>,
    /// Every invitation (never its token).
    pub invitations: Vec<InvitationView>,
    /// The custom roles.
    pub roles: Vec<RoleView>,
    /// The API keys (never their secrets or hashes).
    pub api_keys: Vec<ApiKeyView>,
    /// The subscription.
    pub subscription: Option<SubscriptionView>,
    /// The invoices.
    pub invoices: Vec<Invoice>,
    /// This month's usage.
    pub usage: Option<ExportUsage>,
    /// The whole audit log, newest first.
    pub audit_events: Vec<AuditEvent>,
    /// Every registered product table's rows (`schema.table` → rows).
    #[cfg_attr(feature = "openapi", schema(value_type = std::collections::BTreeMap<String, Vec<Object>>))]
    pub product_tables: BTreeMap<String, Vec<Value>>,
}

/// Usage in the archive.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ExportUsage {
    /// The month.
    pub month: Month,
    /// Its counters.
    pub counters: UsageCounters,
    /// Bytes stored.
    pub storage_bytes: u64,
}

impl Tenantry {
    /// `POST /v1/tenants/{tid}/exports`: queues a GDPR export — or, while one
    /// is queued or running, answers that one (`created: false`).
    pub async fn request_export(&self, scope: &TenantScope) -> Result<ExportRequested, ExportError> {
        self.require(scope, builtin::DATA_MANAGE, AuditAction::ExportRequested.as_str()).await?;
        let now = self.now();
        let mut tx = self.begin(scope, Access::Write).await?;
        if let Some(running) = tx.exports().await?.into_iter().find(Export::in_progress) {
            return Ok(ExportRequested { export: ExportView::at(&running, now), created: false });
        }
        let export = Export::new(self.new_id()?, scope.tenant_id(), scope.actor().audit(), now);
        tx.insert_export(&export).await?;
        tx.insert_job(&Job::new(self.new_id()?, scope.tenant_id(), JobKind::Export(export.id), now, now)).await?;
        let event = self.event(
            scope,
            AuditAction::ExportRequested,
            Some(AuditTarget::Export(export.id)),
            AuditOutcome::Success,
        )?;
        tx.append_audit(&event).await?;
        tx.commit().await?;
        Ok(ExportRequested { export: ExportView::at(&export, now), created: true })
    }

    /// `GET /v1/tenants/{tid}/exports`: every export of the tenant, newest first.
    pub async fn list_exports(&self, scope: &TenantScope) -> Result<Vec<ExportView>, ExportError> {
        self.require(scope, builtin::DATA_MANAGE, "data.exports_read").await?;
        let now = self.now();
        let mut tx = self.begin(scope, Access::Read).await?;
        Ok(tx.exports().await?.iter().map(|e| ExportView::at(e, now)).collect())
    }

    /// `GET /v1/tenants/{tid}/exports/{eid}`: one export's status and progress.
    pub async fn export_status(&self, scope: &TenantScope, id: ExportId) -> Result<ExportView, ExportError> {
        self.require(scope, builtin::DATA_MANAGE, "data.exports_read").await?;
        let now = self.now();
        let mut tx = self.begin(scope, Access::Read).await?;
        let export = tx.export(id).await?.ok_or(AccessError::NotFound)?;
        Ok(ExportView::at(&export, now))
    }

    /// `GET /v1/tenants/{tid}/exports/{eid}/download`: the archive, while it is
    /// ready (409 before, 410 after it expired); the download is audited.
    pub async fn download_export(&self, scope: &TenantScope, id: ExportId) -> Result<ExportArchive, ExportError> {
        self.require(scope, builtin::DATA_MANAGE, AuditAction::ExportDownloaded.as_str()).await?;
        let now = self.now();
        let mut tx = self.begin(scope, Access::Write).await?;
        let export = tx.export(id).await?.ok_or(AccessError::NotFound)?;
        match export.status_at(now) {
            ExportStatus::Ready => {}
            ExportStatus::Queued | ExportStatus::Running => return Err(ExportError::NotReady(export.percent())),
            ExportStatus::Failed => return Err(ExportError::Failed),
            ExportStatus::Expired => return Err(ExportError::Expired),
        }
        let bytes = tx.export_file(id).await?.ok_or(ExportError::Expired)?;
        let slug = tx.tenant().await?.map(|t| t.slug.to_string()).unwrap_or_default();
        let event = self
            .event(scope, AuditAction::ExportDownloaded, Some(AuditTarget::Export(id)), AuditOutcome::Success)?
            .with("bytes", bytes.len());
        tx.append_audit(&event).await?;
        tx.commit().await?;
        let day = export.finished_at.unwrap_or(export.created_at).format("%Y-%m-%d");
        Ok(ExportArchive { filename: format!("tenantry-export-{slug}-{day}.json"), bytes })
    }

    /// The export job: writes every section, recording progress after each,
    /// then stores the archive and schedules its deletion at expiry. Run again
    /// after a crash, it starts over (nothing of a half-built archive is kept).
    pub(crate) async fn produce_export(&self, scope: &TenantScope, id: ExportId) -> Result<(), InfraError> {
        let mut tx = self.begin(scope, Access::Write).await?;
        let erasures_before = tx.erasures().await?.len();
        let Some(mut export) = tx.export(id).await? else { return Ok(()) };
        if !export.in_progress() {
            return Ok(()); // Already produced (a retried job whose first run finished).
        }
        export.status = ExportStatus::Running;
        export.sections_done = 0;
        export.sections_total = u32::try_from(SECTIONS.len()).unwrap_or(u32::MAX);
        tx.update_export(&export).await?;
        tx.commit().await?;

        let sections = self.export_sections(scope, &mut export).await?;
        let now = self.now();
        let document = ExportDocument {
            format: EXPORT_FORMAT.to_owned(),
            tenant_id: scope.tenant_id(),
            export_id: id,
            exported_at: now,
            sections,
        };
        let bytes = serde_json::to_vec_pretty(&document)
            .map_err(|e| InfraError::Unknown(anyhow::anyhow!("export archive: {e}")))?;
        let mut tx = self.begin(scope, Access::Write).await?;
        // A user erased while the sections were read may be in them: this
        // archive is thrown away and the job runs again (after its backoff).
        if tx.erasures().await?.len() != erasures_before {
            return Err(InfraError::Unknown(anyhow::anyhow!(
                "a user was erased while the export was written; it is written again"
            )));
        }
        export.finish(u64::try_from(bytes.len()).unwrap_or(u64::MAX), now);
        tx.put_export_file(id, &bytes).await?;
        tx.update_export(&export).await?;
        if let Some(end) = export.expires_at {
            tx.insert_job(&Job::new(self.new_id()?, scope.tenant_id(), JobKind::ExpireExport(id), end, now)).await?;
        }
        let event = self
            .event(scope, AuditAction::ExportReady, Some(AuditTarget::Export(id)), AuditOutcome::Success)?
            .with("bytes", bytes.len());
        tx.append_audit(&event).await?;
        // The requester hears that it is ready (a user; an API key has no mailbox).
        let mut mails = Vec::new();
        if let (AuditActor::User(uid), Some(tenant), Some(expires_at)) =
            (export.requested_by, tx.tenant().await?, export.expires_at)
            && let Some(user) = tx.user(uid).await?.filter(|u| u.is_active())
        {
            mails.push(Mail {
                to: user.email,
                tenant: Some(Self::mail_tenant(&tenant)),
                message: Message::ExportReady { export_id: id, size_bytes: export.size_bytes, expires_at },
            });
        }
        tx.commit().await?;
        self.send_all(&mails).await;
        Ok(())
    }

    /// The sections, each read in its own unit of work from the views the API
    /// answers with, the export's progress recorded after each.
    async fn export_sections(&self, scope: &TenantScope, export: &mut Export) -> Result<ExportSections, InfraError> {
        let now = self.now();
        let mut s = ExportSections::default();
        for (i, name) in SECTIONS.iter().enumerate() {
            let mut tx = self.begin(scope, Access::Read).await?;
            let tx = tx.as_mut();
            match *name {
                "tenant" => s.tenant = tx.tenant().await?.as_ref().map(TenantView::from),
                "users" => s.users = tx.users().await?.iter().map(UserView::from).collect(),
                "invitations" => {
                    s.invitations = tx.invitations().await?.iter().map(|i| InvitationView::at(i, now)).collect()
                }
                "roles" => s.roles = tx.roles().await?.iter().map(|r| RoleView::custom(r, self.policy())).collect(),
                "api_keys" => s.api_keys = tx.api_keys().await?.iter().map(ApiKeyView::from).collect(),
                "subscription" => {
                    if let Some(sub) = tx.subscription().await? {
                        let (usage, _, _) = self.seat_usage(tx, now).await?;
                        s.subscription = Some(SubscriptionView::build(
                            &sub,
                            self.catalog(),
                            usage.active_users,
                            usage.pending_invitations,
                            now,
                        ));
                    }
                }
                "invoices" => s.invoices = tx.invoices().await?,
                "usage" => {
                    let month = Month::of(now);
                    s.usage = Some(ExportUsage {
                        month,
                        counters: tx.usage(month).await?,
                        storage_bytes: tx.storage_used().await?,
                    });
                }
                "audit_events" => {
                    let mut before: Option<AuditEventId> = None;
                    loop {
                        let query = AuditQuery { before, limit: 1000, ..AuditQuery::default() };
                        let page = tx.audit_events(&query).await?;
                        let full = page.len() == 1000;
                        before = page.last().map(|e| e.id);
                        s.audit_events.extend(page);
                        if !full {
                            break;
                        }
                    }
                }
                _ => {
                    s.product_tables = tx.product_rows().await?.into_iter().map(|t| (t.table, t.rows)).collect();
                }
            }
            let mut write = self.begin(scope, Access::Write).await?;
            export.sections_done = u32::try_from(i + 1).unwrap_or(u32::MAX);
            write.update_export(export).await?;
            write.commit().await?;
        }
        Ok(s)
    }

    /// The expiry job: deletes the archive; the export reads as expired.
    pub(crate) async fn expire_export(&self, scope: &TenantScope, id: ExportId) -> Result<(), InfraError> {
        let mut tx = self.begin(scope, Access::Write).await?;
        let Some(mut export) = tx.export(id).await? else { return Ok(()) };
        tx.delete_export_file(id).await?;
        if export.status == ExportStatus::Ready {
            export.status = ExportStatus::Expired;
            tx.update_export(&export).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// A failed export job's last attempt: the export is marked failed and audited.
    pub(crate) async fn fail_export(&self, scope: &TenantScope, id: ExportId, error: &str) -> Result<(), InfraError> {
        let mut tx = self.begin(scope, Access::Write).await?;
        let Some(mut export) = tx.export(id).await? else { return Ok(()) };
        export.status = ExportStatus::Failed;
        export.finished_at = Some(self.now());
        tx.update_export(&export).await?;
        let event = self
            .event(scope, AuditAction::ExportFailed, Some(AuditTarget::Export(id)), AuditOutcome::Failed)?
            .with("error", error.chars().take(200).collect::<String>());
        tx.append_audit(&event).await?;
        tx.commit().await?;
        Ok(())
    }
}

//! GDPR exports (DESIGN.md "Data rights"): `POST /v1/tenants/{tid}/exports`
//! queues an export and its job in one unit of work; a worker
//! ([`Tenantry::run_due_jobs`]) produces the archive section by section,
//! recording progress; the archive is downloadable for seven days, then a
//! second job deletes it. The archive is the tenant's data **without secrets**:
//! it is built from the same views the API answers with (no password hash, no
//! token or key hash), plus the rows of every registered product table.
//! Requests, readiness, failures and downloads are audited.

use super::access::Attempt;
use super::{AccessError, Tenantry, infra_from_store};
use crate::error::InfraError;
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
pub const SECTIONS: [&str; 11] = [
    "tenant",
    "users",
    "invitations",
    "roles",
    "api_keys",
    "subscription",
    "invoices",
    "usage",
    "files",
    "audit_events",
    "product_tables",
];

/// One value of the archive as JSON.
fn to_json<T: Serialize + ?Sized>(value: &T) -> Result<String, InfraError> {
    serde_json::to_string(value).map_err(|e| InfraError::Unknown(anyhow::anyhow!("export archive: {e}")))
}

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
            id: e.id(),
            status: e.status_at(now),
            percent: e.percent(),
            sections_done: e.sections_done(),
            sections_total: e.sections_total(),
            size_bytes: e.size_bytes(),
            requested_by: e.requested_by(),
            created_at: e.created_at(),
            finished_at: e.finished_at(),
            expires_at: e.expires_at(),
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

/// A ready archive, read chunk by chunk, each chunk in a unit of work of its
/// own: a download never holds the whole archive ([`next_chunk`](Self::next_chunk);
/// the HTTP layer streams it).
#[derive(Clone)]
pub struct ExportArchive {
    /// The file name to offer (`tenantry-export-acme-2026-11-23.json`).
    pub filename: String,
    /// The archive's length.
    pub size_bytes: u64,
    tenantry: Tenantry,
    scope: TenantScope,
    id: ExportId,
    offset: u64,
}

impl std::fmt::Debug for ExportArchive {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExportArchive")
            .field("filename", &self.filename)
            .field("size_bytes", &self.size_bytes)
            .field("offset", &self.offset)
            .finish_non_exhaustive()
    }
}

impl ExportArchive {
    /// Bytes per chunk.
    pub const CHUNK: u32 = 256 * 1024;

    /// The next chunk, `None` after the last. An archive deleted or cut short
    /// while it is read (it expired meanwhile) is [`ExportError::Expired`].
    pub async fn next_chunk(&mut self) -> Result<Option<Vec<u8>>, ExportError> {
        if self.offset >= self.size_bytes {
            return Ok(None);
        }
        let mut tx = self.tenantry.begin(&self.scope, Access::Read).await?;
        let left = u32::try_from(self.size_bytes - self.offset).unwrap_or(Self::CHUNK);
        let chunk = tx.export_file_chunk(self.id, self.offset, left.min(Self::CHUNK)).await?;
        let chunk = chunk.filter(|c| !c.is_empty()).ok_or(ExportError::Expired)?;
        self.offset = self.offset.saturating_add(u64::try_from(chunk.len()).unwrap_or(u64::MAX));
        Ok(Some(chunk))
    }

    /// The whole archive in memory, for small archives and tests (the
    /// service's own answers stream it).
    pub async fn read_all(mut self) -> Result<Vec<u8>, ExportError> {
        let mut all = Vec::new();
        while let Some(chunk) = self.next_chunk().await? {
            all.extend_from_slice(&chunk);
        }
        Ok(all)
    }
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

crate::problem!(ExportError {
    ExportError::NotReady(_) => ("export_not_ready", Conflict),
    ExportError::Failed => ("export_failed", Conflict),
    ExportError::Expired => ("export_expired", Gone),
    ExportError::Access(e) => (via e),
    ExportError::Infra(e) => (via e),
});

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
    /// The files, as a manifest: what each is and where it is downloaded
    /// (with the tenant's credentials, while it is kept; issue 27).
    pub files: Vec<ExportFile>,
    /// The whole audit log, newest first.
    pub audit_events: Vec<AuditEvent>,
    /// Every registered product table's rows (`schema.table` → rows).
    #[cfg_attr(feature = "openapi", schema(value_type = std::collections::BTreeMap<String, Vec<Object>>))]
    pub product_tables: BTreeMap<String, Vec<Value>>,
}

/// A file in the archive's manifest.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ExportFile {
    /// The file.
    #[serde(flatten)]
    pub file: crate::services::files::FileView,
    /// Its bytes: `GET` this path of the API.
    pub download: String,
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
        self.require(scope, builtin::DATA_MANAGE, AuditAction::ExportRequested).await?;
        let now = self.now();
        let mut tx = self.begin(scope, Access::Write).await?;
        if let Some(running) = tx.exports().await?.into_iter().find(Export::in_progress) {
            return Ok(ExportRequested { export: ExportView::at(&running, now), created: false });
        }
        let export = Export::new(self.new_id()?, scope.tenant_id(), scope.actor().audit(), now);
        tx.insert_export(&export).await?;
        tx.insert_job(&Job::new(self.new_id()?, scope.tenant_id(), JobKind::Export(export.id()), now, now)).await?;
        let event = self.event(
            scope,
            AuditAction::ExportRequested,
            Some(AuditTarget::Export(export.id())),
            AuditOutcome::Success,
        )?;
        tx.append_audit(&event).await?;
        tx.commit().await?;
        Ok(ExportRequested { export: ExportView::at(&export, now), created: true })
    }

    /// `GET /v1/tenants/{tid}/exports`: every export of the tenant, newest first.
    pub async fn list_exports(&self, scope: &TenantScope) -> Result<Vec<ExportView>, ExportError> {
        self.require(scope, builtin::DATA_MANAGE, Attempt::ReadExports).await?;
        let now = self.now();
        let mut tx = self.begin(scope, Access::Read).await?;
        Ok(tx.exports().await?.iter().map(|e| ExportView::at(e, now)).collect())
    }

    /// `GET /v1/tenants/{tid}/exports/{eid}`: one export's status and progress.
    pub async fn export_status(&self, scope: &TenantScope, id: ExportId) -> Result<ExportView, ExportError> {
        self.require(scope, builtin::DATA_MANAGE, Attempt::ReadExports).await?;
        let now = self.now();
        let mut tx = self.begin(scope, Access::Read).await?;
        let export = tx.export(id).await?.ok_or(AccessError::NotFound)?;
        Ok(ExportView::at(&export, now))
    }

    /// `GET /v1/tenants/{tid}/exports/{eid}/download`: the archive, while it is
    /// ready (409 before, 410 after it expired); the download is audited.
    pub async fn download_export(&self, scope: &TenantScope, id: ExportId) -> Result<ExportArchive, ExportError> {
        self.require(scope, builtin::DATA_MANAGE, AuditAction::ExportDownloaded).await?;
        let now = self.now();
        let mut tx = self.begin(scope, Access::Write).await?;
        let export = tx.export(id).await?.ok_or(AccessError::NotFound)?;
        match export.status_at(now) {
            ExportStatus::Ready => {}
            ExportStatus::Queued | ExportStatus::Running => return Err(ExportError::NotReady(export.percent())),
            ExportStatus::Failed => return Err(ExportError::Failed),
            ExportStatus::Expired => return Err(ExportError::Expired),
        }
        let slug = tx.tenant().await?.map(|t| t.slug().to_string()).unwrap_or_default();
        let event = self
            .event(scope, AuditAction::ExportDownloaded, Some(AuditTarget::Export(id)), AuditOutcome::Success)?
            .with("bytes", export.size_bytes());
        tx.append_audit(&event).await?;
        tx.commit().await?;
        let day = export.finished_at().unwrap_or(export.created_at()).format("%Y-%m-%d");
        Ok(ExportArchive {
            filename: format!("tenantry-export-{slug}-{day}.json"),
            size_bytes: export.size_bytes(),
            tenantry: self.clone(),
            scope: scope.clone(),
            id,
            offset: 0,
        })
    }

    /// The export job: writes the archive section by section — each section
    /// read in a unit of work of its own and appended to the stored archive
    /// with the export's progress, the audit log page by page — so neither
    /// the job nor the store's client ever holds the whole archive. Run again
    /// after a crash, it starts over (a half-written archive is deleted first).
    pub(crate) async fn produce_export(&self, scope: &TenantScope, id: ExportId) -> Result<(), InfraError> {
        let mut tx = self.begin(scope, Access::Write).await?;
        let erasures_before = tx.erasures().await?.len();
        let Some(mut export) = tx.export(id).await? else { return Ok(()) };
        if !export.in_progress() {
            return Ok(()); // Already produced (a retried job whose first run finished).
        }
        export.start(u32::try_from(SECTIONS.len()).unwrap_or(u32::MAX));
        tx.delete_export_file(id).await?;
        tx.update_export(&export).await?;
        tx.commit().await?;

        let now = self.now();
        let size = self.write_sections(scope, &mut export, now).await?;
        let mut tx = self.begin(scope, Access::Write).await?;
        // A user erased while the sections were read may be in them: this
        // archive is thrown away and the job runs again (after its backoff).
        if tx.erasures().await?.len() != erasures_before {
            tx.delete_export_file(id).await?;
            tx.commit().await?;
            return Err(InfraError::Unknown(anyhow::anyhow!(
                "a user was erased while the export was written; it is written again"
            )));
        }
        export.finish(size, now);
        tx.update_export(&export).await?;
        // The archive counts in the storage used while it is kept (never refused: it is a right).
        let used = tx.storage_used().await?;
        tx.set_storage_used(used.saturating_add(size)).await?;
        if let Some(end) = export.expires_at() {
            tx.insert_job(&Job::new(self.new_id()?, scope.tenant_id(), JobKind::ExpireExport(id), end, now)).await?;
        }
        let event = self
            .event(scope, AuditAction::ExportReady, Some(AuditTarget::Export(id)), AuditOutcome::Success)?
            .with("bytes", size);
        tx.append_audit(&event).await?;
        // The requester hears that it is ready (a user; an API key has no mailbox).
        let mut mails = Vec::new();
        if let (AuditActor::User(uid), Some(tenant), Some(expires_at)) =
            (export.requested_by(), tx.tenant().await?, export.expires_at())
            && let Some(user) = tx.user(uid).await?.filter(|u| u.is_active())
        {
            mails.push(
                Mail::new(
                    user.email().clone(),
                    Some(Self::mail_tenant(&tenant)),
                    Message::ExportReady { export_id: id, size_bytes: export.size_bytes(), expires_at },
                )
                .read_by(user.preferences()),
            );
        }
        let queued = self.queue_mails(tx.as_mut(), scope, mails).await?;
        tx.commit().await?;
        self.deliver(queued).await;
        Ok(())
    }

    /// Appends `bytes` to the export's archive in a unit of work of its own,
    /// with the progress when a section is done.
    async fn append_to_archive(
        &self,
        scope: &TenantScope,
        export: &Export,
        bytes: &[u8],
        progress: bool,
    ) -> Result<u64, InfraError> {
        let mut tx = self.begin(scope, Access::Write).await?;
        tx.append_export_file(export.id(), bytes).await?;
        if progress {
            tx.update_export(export).await?;
        }
        tx.commit().await?;
        Ok(u64::try_from(bytes.len()).unwrap_or(u64::MAX))
    }

    /// Writes the archive ([`ExportDocument`]'s shape: the header, then each
    /// section of [`SECTIONS`] from the views the API answers with, the
    /// export's progress recorded after each); answers its length.
    async fn write_sections(
        &self,
        scope: &TenantScope,
        export: &mut Export,
        now: DateTime<Utc>,
    ) -> Result<u64, InfraError> {
        let mut written = 0u64;
        let header = format!(
            "{{\"format\":{},\"tenant_id\":{},\"export_id\":{},\"exported_at\":{},\"sections\":{{",
            to_json(&EXPORT_FORMAT)?,
            to_json(&scope.tenant_id())?,
            to_json(&export.id())?,
            to_json(&now)?
        );
        written += self.append_to_archive(scope, export, header.as_bytes(), false).await?;
        for (i, name) in SECTIONS.iter().enumerate() {
            let mut out = format!("{}{}:", if i == 0 { "" } else { "," }, to_json(name)?);
            if *name == "audit_events" {
                // Page by page, newest first, each page read and appended on its own.
                out.push('[');
                let mut before: Option<AuditEventId> = None;
                let mut first = true;
                loop {
                    let page = {
                        let mut tx = self.begin(scope, Access::Read).await?;
                        tx.audit_events(&AuditQuery { before, limit: 1000, ..AuditQuery::default() }).await?
                    };
                    let full = page.len() == 1000;
                    before = page.last().map(|e| e.id);
                    for event in &page {
                        if !first {
                            out.push(',');
                        }
                        first = false;
                        out.push_str(&to_json(event)?);
                    }
                    written += self.append_to_archive(scope, export, out.as_bytes(), false).await?;
                    out.clear();
                    if !full {
                        break;
                    }
                }
                out.push(']');
            } else {
                let mut tx = self.begin(scope, Access::Read).await?;
                out.push_str(&self.export_section(tx.as_mut(), name, now).await?);
            }
            if i + 1 == SECTIONS.len() {
                out.push_str("}}");
            }
            export.progress(u32::try_from(i + 1).unwrap_or(u32::MAX));
            written += self.append_to_archive(scope, export, out.as_bytes(), true).await?;
        }
        Ok(written)
    }

    /// One section (but the audit log) as JSON, from the views the API answers with.
    async fn export_section(
        &self,
        tx: &mut dyn crate::store::TenantTx,
        name: &str,
        now: DateTime<Utc>,
    ) -> Result<String, InfraError> {
        match name {
            "tenant" => to_json(&tx.tenant().await?.as_ref().map(TenantView::from)),
            "users" => to_json(&tx.users().await?.iter().map(UserView::from).collect::<Vec<_>>()),
            "invitations" => {
                to_json(&tx.invitations().await?.iter().map(|i| InvitationView::at(i, now)).collect::<Vec<_>>())
            }
            "roles" => {
                to_json(&tx.roles().await?.iter().map(|r| RoleView::custom(r, self.policy())).collect::<Vec<_>>())
            }
            "api_keys" => to_json(&tx.api_keys().await?.iter().map(ApiKeyView::from).collect::<Vec<_>>()),
            "subscription" => {
                let view = match tx.subscription().await? {
                    Some(sub) => {
                        let (usage, _, _) = self.seat_usage(tx, now).await?;
                        Some(SubscriptionView::build(
                            &sub,
                            self.catalog(),
                            usage.active_users,
                            usage.pending_invitations,
                            now,
                        ))
                    }
                    None => None,
                };
                to_json(&view)
            }
            "invoices" => to_json(&tx.invoices().await?),
            "files" => {
                let tenant = tx.tenant().await?.map(|t| t.id());
                let files: Vec<ExportFile> = tx
                    .files()
                    .await?
                    .iter()
                    .map(|f| ExportFile {
                        file: crate::services::files::FileView::from(f),
                        download: tenant.map(|t| format!("/v1/tenants/{t}/files/{}", f.id)).unwrap_or_default(),
                    })
                    .collect();
                to_json(&files)
            }
            "usage" => {
                let month = Month::of(now);
                to_json(&Some(ExportUsage {
                    month,
                    counters: tx.usage(month).await?,
                    storage_bytes: tx.storage_used().await?,
                }))
            }
            _ => {
                let tables: BTreeMap<String, Vec<Value>> =
                    tx.product_rows().await?.into_iter().map(|t| (t.table, t.rows)).collect();
                to_json(&tables)
            }
        }
    }

    /// The expiry job: deletes the archive; the export reads as expired.
    pub(crate) async fn expire_export(&self, scope: &TenantScope, id: ExportId) -> Result<(), InfraError> {
        let mut tx = self.begin(scope, Access::Write).await?;
        let Some(mut export) = tx.export(id).await? else { return Ok(()) };
        tx.delete_export_file(id).await?;
        // Only a ready archive expires, and it gives its bytes back.
        if export.expire() {
            tx.update_export(&export).await?;
            let used = tx.storage_used().await?;
            tx.set_storage_used(used.saturating_sub(export.size_bytes())).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// A failed export job's last attempt: the export is marked failed and audited.
    pub(crate) async fn fail_export(&self, scope: &TenantScope, id: ExportId, error: &str) -> Result<(), InfraError> {
        let mut tx = self.begin(scope, Access::Write).await?;
        let Some(mut export) = tx.export(id).await? else { return Ok(()) };
        export.fail(self.now());
        tx.delete_export_file(id).await?; // whatever a failed run had written
        tx.update_export(&export).await?;
        let event = self
            .event(scope, AuditAction::ExportFailed, Some(AuditTarget::Export(id)), AuditOutcome::Failed)?
            .with("error", error.chars().take(200).collect::<String>());
        tx.append_audit(&event).await?;
        tx.commit().await?;
        Ok(())
    }
}

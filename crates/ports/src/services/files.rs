//! Tenant files (issue 27): upload, list, download, delete — behind the same
//! walls as every tenant row, counted to the byte against the storage quota.
//!
//! An upload streams: its first bytes decide its type (sniffed, never the
//! client's word, checked against the accepted types), the rest goes to the
//! [`crate::files::FileStore`] as it arrives, counted and hashed on the way and
//! stopped at the upload limit or at what is left of the quota. Then one unit
//! of work checks the quota again — another upload may have committed in the
//! meantime: the tenant's writer lock serialises the two, so of two uploads
//! that together exceed the quota exactly one is kept — and writes the row,
//! the storage counter and the audit event together. Bytes that are not kept
//! (refused, or the unit of work failed) are deleted at once.

use super::access::Attempt;
use super::{AccessError, Tenantry, infra_from_store};
use crate::error::InfraError;
use crate::files::{ByteStream, FileStoreError, Meter, Metered};
use crate::scope::TenantScope;
use crate::store::{Access, TenantTx};
use bytes::{Bytes, BytesMut};
use chrono::{DateTime, Utc};
use futures::StreamExt as _;
use serde::Serialize;
use tenantry_domain::audit::AuditTarget;
use tenantry_domain::file::{
    DEFAULT_ALLOWED_TYPES, FileError, FileName, FilePurpose, LOGO_MAX_BYTES, SNIFF_BYTES, StoredFile, check_logo,
    check_type, sniff,
};
use tenantry_domain::quota::{Quota, StorageQuotaExceeded, check_storage};
use tenantry_domain::rbac::builtin;
use tenantry_domain::{AuditAction, AuditOutcome, FileId, TenantId, UserId};

/// A file as listed and answered (its bytes are downloaded separately).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FileView {
    /// Id.
    pub id: FileId,
    /// Its name (the last component of what the uploader sent).
    pub name: String,
    /// Its type, sniffed from its bytes.
    pub content_type: String,
    /// Its size in bytes.
    pub size: u64,
    /// The SHA-256 of its bytes, hex.
    pub sha256: String,
    /// Who uploaded it.
    pub uploaded_by: Option<UserId>,
    /// When.
    pub uploaded_at: DateTime<Utc>,
    /// What it is for.
    pub purpose: FilePurpose,
}

impl From<&StoredFile> for FileView {
    fn from(f: &StoredFile) -> Self {
        Self {
            id: f.id,
            name: f.name.as_str().to_owned(),
            content_type: f.content_type.clone(),
            size: f.size,
            sha256: f.sha256.clone(),
            uploaded_by: f.uploaded_by,
            uploaded_at: f.uploaded_at,
            purpose: f.purpose,
        }
    }
}

/// Why a file was not stored, answered or deleted. Nothing changed.
#[derive(Debug, thiserror::Error)]
pub enum FilesError {
    /// The name, type or size.
    #[error(transparent)]
    Rule(#[from] FileError),
    /// Storing it would pass the tenant's storage quota.
    #[error(transparent)]
    StorageQuotaExceeded(#[from] StorageQuotaExceeded),
    /// The upload broke off or was malformed.
    #[error("the upload could not be read: {0}")]
    Upload(String),
    /// Access.
    #[error(transparent)]
    Access(#[from] AccessError),
    /// Infrastructure.
    #[error(transparent)]
    Infra(#[from] InfraError),
}
infra_from_store!(FilesError);

crate::problem!(FilesError {
    FilesError::Rule(FileError::BadName) => ("invalid_file_name", Invalid),
    FilesError::Rule(FileError::Empty) => ("empty_file", Invalid),
    FilesError::Rule(FileError::TooLarge { .. }) => ("file_too_large", TooLarge),
    FilesError::Rule(FileError::TypeNotAllowed(_)) => ("file_type_not_allowed", UnsupportedType),
    FilesError::Rule(FileError::LogoType(_)) => ("invalid_logo_type", UnsupportedType),
    FilesError::Rule(FileError::TypeList(_)) => ("invalid_file_types", Invalid),
    FilesError::StorageQuotaExceeded(_) => ("storage_quota_exceeded", TooLarge),
    FilesError::Upload(_) => ("upload_failed", Invalid),
    FilesError::Access(e) => (via e),
    FilesError::Infra(e) => (via e),
});

/// An upload: the name the client gave and its bytes as they arrive.
pub struct Upload {
    /// The client's file name (only its last component is kept).
    pub name: String,
    /// The bytes.
    pub content: ByteStream,
}

impl std::fmt::Debug for Upload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Upload").field("name", &self.name).finish_non_exhaustive()
    }
}

/// The first bytes of a stream (at least [`SNIFF_BYTES`] unless it is
/// shorter), and the whole stream again, those bytes first.
async fn peek(mut content: ByteStream) -> Result<(Bytes, ByteStream), FileStoreError> {
    let mut head = BytesMut::new();
    let mut ended = false;
    while head.len() < SNIFF_BYTES {
        match content.next().await {
            Some(chunk) => head.extend_from_slice(&chunk?),
            None => {
                ended = true;
                break;
            }
        }
    }
    let head = head.freeze();
    let first = futures::stream::once(futures::future::ready(Ok(head.clone())));
    // A stream that has ended is not polled again.
    let rest: ByteStream = if ended { Box::pin(futures::stream::empty()) } else { content };
    Ok((head, Box::pin(first.chain(rest))))
}

/// A file store that failed to answer a read.
fn read_failed(e: FileStoreError) -> InfraError {
    match e {
        FileStoreError::Unavailable(e) => InfraError::Unavailable(e),
        other => InfraError::Unknown(anyhow::anyhow!(other)),
    }
}

/// What the quota leaves, and the types the tenant accepts.
struct Room {
    quota: Quota,
    used: u64,
    types: Option<Vec<String>>,
}

impl Tenantry {
    async fn storage_room(&self, tx: &mut dyn TenantTx) -> Result<Room, InfraError> {
        let tenant = self.tenant_row(tx).await?;
        let sub = self.subscription(tx).await?;
        let quota = self.plan_quota(sub.plan_kind()).await?.with_override(tenant.quota_override());
        Ok(Room { quota, used: tx.storage_used().await?, types: tenant.settings().file_types.clone() })
    }

    /// `POST /v1/tenants/{tid}/files`: stores a file of the tenant's.
    pub async fn upload_file(&self, scope: &TenantScope, upload: Upload) -> Result<FileView, FilesError> {
        self.require(scope, builtin::FILES_WRITE, AuditAction::FileUploaded).await?;
        let file = self.store_file(scope, upload, FilePurpose::Attachment).await?;
        Ok(FileView::from(&file))
    }

    /// Streams, checks and keeps a file (see the module documentation).
    async fn store_file(
        &self,
        scope: &TenantScope,
        upload: Upload,
        purpose: FilePurpose,
    ) -> Result<StoredFile, FilesError> {
        let name = FileName::parse(&upload.name)?;
        let room = {
            let mut tx = self.begin(scope, Access::Read).await?;
            self.storage_room(tx.as_mut()).await?
        };
        let most = match purpose {
            FilePurpose::Logo => LOGO_MAX_BYTES,
            FilePurpose::Attachment => self.config.max_upload_bytes,
        };
        let left = room.quota.storage_bytes.saturating_sub(room.used);
        let limit = most.min(left);
        let too_much = |e: FileStoreError| -> FilesError {
            match e {
                FileStoreError::TooLarge { .. } if limit < most => {
                    FilesError::StorageQuotaExceeded(StorageQuotaExceeded {
                        used: room.used,
                        requested: limit.saturating_add(1),
                        limit: room.quota.storage_bytes,
                    })
                }
                FileStoreError::TooLarge { .. } => FilesError::Rule(FileError::TooLarge { limit: most }),
                FileStoreError::Upload(why) => FilesError::Upload(why),
                FileStoreError::Unavailable(e) => FilesError::Infra(InfraError::Unavailable(e)),
            }
        };
        let (metered, meter) = Metered::new(upload.content, limit);
        let (head, content) = peek(Box::pin(metered)).await.map_err(too_much)?;
        if head.is_empty() {
            return Err(FileError::Empty.into());
        }
        let content_type = sniff(&head, &name);
        match purpose {
            FilePurpose::Logo => check_logo(&content_type, 0)?,
            FilePurpose::Attachment => match &room.types {
                Some(types) => check_type(&content_type, types)?,
                None => check_type(&content_type, DEFAULT_ALLOWED_TYPES)?,
            },
        }
        let id: FileId = self.new_id()?;
        let tenant = scope.tenant_id();
        if let Err(e) = self.deps.files.put(tenant, id, content).await {
            let refused = too_much(e);
            if let FilesError::StorageQuotaExceeded(q) = &refused {
                self.record_denial(scope, AuditAction::StorageQuotaExceeded.as_str(), &q.to_string()).await;
            }
            return Err(refused);
        }
        let kept = self.keep_file(scope, id, name, content_type, &meter, purpose).await;
        if kept.is_err() {
            // Not kept: its bytes go now (a failure here leaves bytes without a row, which
            // `FileStore::list` names).
            if let Err(e) = self.deps.files.delete(tenant, id).await {
                tracing::warn!(file = %id, error = %e, "the bytes of a refused upload could not be deleted");
            }
        }
        if let Err(FilesError::StorageQuotaExceeded(q)) = &kept {
            self.record_denial(scope, AuditAction::StorageQuotaExceeded.as_str(), &q.to_string()).await;
        }
        kept
    }

    /// The unit of work that keeps an uploaded file: the quota checked again,
    /// the row, the storage counter and the audit event together.
    async fn keep_file(
        &self,
        scope: &TenantScope,
        id: FileId,
        name: FileName,
        content_type: String,
        meter: &Meter,
        purpose: FilePurpose,
    ) -> Result<StoredFile, FilesError> {
        let (size, sha256) = meter.finish();
        let mut tx = self.begin(scope, Access::Write).await?;
        let room = self.storage_room(tx.as_mut()).await?;
        let total = check_storage(&room.quota, room.used, size)?;
        let file = StoredFile {
            id,
            tenant_id: scope.tenant_id(),
            name,
            content_type,
            size,
            sha256,
            uploaded_by: scope.actor().user_id(),
            uploaded_at: self.now(),
            purpose,
        };
        tx.insert_file(&file).await?;
        tx.set_storage_used(total).await?;
        let event = self
            .event(scope, AuditAction::FileUploaded, Some(AuditTarget::File(id)), AuditOutcome::Success)?
            .with("name", file.name.as_str())
            .with("content_type", file.content_type.as_str())
            .with("size", file.size.to_string())
            .with("purpose", purpose.as_str());
        tx.append_audit(&event).await?;
        tx.commit().await?;
        Ok(file)
    }

    /// `GET /v1/tenants/{tid}/files`: the tenant's files, newest first.
    pub async fn list_files(&self, scope: &TenantScope) -> Result<Vec<FileView>, FilesError> {
        self.require(scope, builtin::FILES_READ, Attempt::ReadFiles).await?;
        let mut tx = self.begin(scope, Access::Read).await?;
        Ok(tx.files().await?.iter().map(FileView::from).collect())
    }

    /// `GET /v1/tenants/{tid}/files/{fid}`: a file and its bytes, streamed.
    pub async fn download_file(&self, scope: &TenantScope, id: FileId) -> Result<(FileView, ByteStream), FilesError> {
        self.require(scope, builtin::FILES_READ, Attempt::ReadFiles).await?;
        let file = {
            let mut tx = self.begin(scope, Access::Read).await?;
            tx.file(id).await?.ok_or(AccessError::NotFound)?
        };
        let bytes = self.deps.files.get(scope.tenant_id(), id).await.map_err(read_failed)?;
        let bytes = bytes
            .ok_or_else(|| InfraError::Unknown(anyhow::anyhow!("the bytes of file {id} are missing from the store")))?;
        Ok((FileView::from(&file), bytes))
    }

    /// `DELETE /v1/tenants/{tid}/files/{fid}`: one's own file with
    /// `files:write`, anyone's with `tenant:update`; its bytes leave the quota.
    pub async fn delete_file(&self, scope: &TenantScope, id: FileId) -> Result<FileView, FilesError> {
        self.require(scope, builtin::FILES_WRITE, AuditAction::FileDeleted).await?;
        let mut tx = self.begin(scope, Access::Write).await?;
        let file = tx.file(id).await?.ok_or(AccessError::NotFound)?;
        let own = file.uploaded_by.is_some() && file.uploaded_by == scope.actor().user_id();
        if !own {
            drop(tx);
            self.require(scope, builtin::TENANT_UPDATE, AuditAction::FileDeleted).await?;
            tx = self.begin(scope, Access::Write).await?;
            tx.file(id).await?.ok_or(AccessError::NotFound)?;
        }
        tx.delete_file(id).await?;
        let used = tx.storage_used().await?;
        tx.set_storage_used(used.saturating_sub(file.size)).await?;
        let event = self
            .event(scope, AuditAction::FileDeleted, Some(AuditTarget::File(id)), AuditOutcome::Success)?
            .with("name", file.name.as_str())
            .with("size", file.size.to_string());
        tx.append_audit(&event).await?;
        tx.commit().await?;
        if let Err(e) = self.deps.files.delete(scope.tenant_id(), id).await {
            tracing::warn!(file = %id, error = %e, "a deleted file's bytes could not be removed; FileStore::list names them");
        }
        Ok(FileView::from(&file))
    }
}

impl Tenantry {
    /// `PUT /v1/tenants/{tid}/logo`: the tenant's logo, uploaded (a PNG or a
    /// JPEG of at most 1 MiB, by its bytes), stored as one of its files and
    /// shown on its pages from `/logos/{tid}/{fid}`; its mails show it from
    /// `public_base` + that path when the service's public address is https
    /// (`TENANTRY_PUBLIC_URL`). The previous uploaded logo is deleted.
    pub async fn upload_logo(
        &self,
        scope: &TenantScope,
        upload: Upload,
        public_base: Option<&str>,
    ) -> Result<FileView, FilesError> {
        self.require(scope, builtin::TENANT_UPDATE, AuditAction::TenantUpdated).await?;
        let file = self.store_file(scope, upload, FilePurpose::Logo).await?;
        let url = public_base.and_then(|base| {
            let path = format!("{}/logos/{}/{}", base.trim_end_matches('/'), scope.tenant_id(), file.id);
            tenantry_domain::text::HttpsUrl::parse(&path).ok()
        });
        let previous = self.set_logo(scope, Some(file.id), url).await;
        match previous {
            Ok(previous) => {
                self.forget_logo(scope, previous).await;
                Ok(FileView::from(&file))
            }
            Err(e) => {
                // Not the logo: the file goes with its bytes.
                self.forget_logo(scope, Some(file.id)).await;
                Err(e)
            }
        }
    }

    /// `DELETE /v1/tenants/{tid}/logo`: no logo any more (the uploaded one is deleted).
    pub async fn remove_logo(&self, scope: &TenantScope) -> Result<(), FilesError> {
        self.require(scope, builtin::TENANT_UPDATE, AuditAction::TenantUpdated).await?;
        let previous = self.set_logo(scope, None, None).await?;
        self.forget_logo(scope, previous).await;
        Ok(())
    }

    /// The branding's logo set to `file` (and `url` for mails) in one unit of
    /// work; answers the uploaded logo it replaced.
    async fn set_logo(
        &self,
        scope: &TenantScope,
        file: Option<FileId>,
        url: Option<tenantry_domain::text::HttpsUrl>,
    ) -> Result<Option<FileId>, FilesError> {
        let mut tx = self.begin(scope, Access::Write).await?;
        let mut tenant = self.tenant_row(tx.as_mut()).await?;
        let previous = tenant.settings().branding.logo_file;
        let patch =
            tenantry_domain::tenant::TenantPatch { logo_file: Some(file), logo_url: Some(url), ..Default::default() };
        let changed = tenant.apply(patch);
        tx.update_tenant(&tenant).await?;
        let event = self
            .event(scope, AuditAction::TenantUpdated, Some(AuditTarget::Tenant(tenant.id())), AuditOutcome::Success)?
            .with("fields", changed.join(","));
        tx.append_audit(&event).await?;
        tx.commit().await?;
        Ok(previous.filter(|p| Some(*p) != file))
    }

    /// Deletes a replaced logo's file and bytes (a failure is logged: the
    /// file stays among the tenant's files, which its admins may delete).
    async fn forget_logo(&self, scope: &TenantScope, file: Option<FileId>) {
        let Some(id) = file else { return };
        let done: Result<(), FilesError> = async {
            let mut tx = self.begin(scope, Access::Write).await?;
            let Some(row) = tx.file(id).await? else { return Ok(()) };
            tx.delete_file(id).await?;
            let used = tx.storage_used().await?;
            tx.set_storage_used(used.saturating_sub(row.size)).await?;
            let event = self
                .event(scope, AuditAction::FileDeleted, Some(AuditTarget::File(id)), AuditOutcome::Success)?
                .with("name", row.name.as_str())
                .with("purpose", row.purpose.as_str());
            tx.append_audit(&event).await?;
            tx.commit().await?;
            Ok(())
        }
        .await;
        if let Err(e) = done {
            tracing::warn!(file = %id, error = %e, "a replaced logo could not be deleted");
            return;
        }
        if let Err(e) = self.deps.files.delete(scope.tenant_id(), id).await {
            tracing::warn!(file = %id, error = %e, "a replaced logo's bytes could not be removed");
        }
    }

    /// `GET /logos/{tid}/{fid}` (anyone: pages and mail clients load it):
    /// the tenant's current logo, and nothing else — another file of the
    /// tenant, an older logo or another tenant's answers `NotFound`.
    pub async fn public_logo(&self, tenant: TenantId, id: FileId) -> Result<(FileView, ByteStream), FilesError> {
        let scope = self.system_scope(tenant, tenantry_domain::audit::SystemActor::Logo);
        let file = {
            let mut tx = self.begin(&scope, Access::Read).await?;
            let Some(row) = tx.tenant().await? else { return Err(AccessError::NotFound.into()) };
            if row.settings().branding.logo_file != Some(id) {
                return Err(AccessError::NotFound.into());
            }
            tx.file(id).await?.filter(|f| f.purpose == FilePurpose::Logo).ok_or(AccessError::NotFound)?
        };
        let bytes = self.deps.files.get(tenant, id).await.map_err(read_failed)?;
        Ok((FileView::from(&file), bytes.ok_or(AccessError::NotFound)?))
    }
}

//! The superuser's encrypted per-tenant backup and its restore (DESIGN.md
//! "Data rights"): `POST /v1/admin/tenants/{tid}/backups` answers an archive of
//! every row the tenant owns (see [`crate::backup`] for its layout), sealed
//! under the platform's backup key; `POST /v1/admin/tenants/{tid}/restore`
//! takes such an archive back — under the same id (replacing what the tenant
//! holds now, or bringing a purged tenant back) or as a clone under a new id
//! and slug — in one unit of work of that one tenant, and re-applies the
//! erasure ledger so that no erased person comes back, and the credential
//! ledger so that no revoked credential does: every restored user's sessions
//! end, a password changed since the backup must be set again, a user removed
//! since stays removed, a key revoked since stays revoked, and the archive's
//! one-time links and pending invitations are void. A clone receives no
//! credentials at all: its users set a password by a reset link.
//!
//! An archive is opened (key, authentication tag, format, tenant) before any
//! unit of work begins: a corrupt, truncated, tampered, foreign or
//! other-key archive is refused and nothing is written.

use super::Tenantry;
use super::users::UserError;
use super::views::TenantView;
use crate::backup::{self, ArchiveError, BackupContents};
use crate::error::{Constraint, InfraError, StoreError};
use crate::scope::{Actor, PlatformScope, TenantScope};
use crate::store::{Access, LoadChanges};
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use tenantry_domain::audit::AuditTarget;
use tenantry_domain::slug::SlugError;
use tenantry_domain::user::{Erasure, UserRuleError};
use tenantry_domain::{AuditAction, AuditOutcome, Slug, TenantId};

/// A backup made.
#[derive(Debug, Clone)]
pub struct Backup {
    /// The sealed archive.
    pub archive: Vec<u8>,
    /// The tenant.
    pub tenant_id: TenantId,
    /// Its slug (for the file name).
    pub slug: String,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// How to restore.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RestoreMode {
    /// Under the archive's own id: what the tenant holds now is replaced (or a
    /// purged tenant comes back).
    SameId,
    /// As a new tenant with a new id and this slug; the original is untouched
    /// and the clone has no billing link.
    Clone {
        /// The clone's slug.
        slug: String,
    },
}

/// A restore done.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Restored {
    /// The restored tenant (the clone, for a clone).
    pub tenant: TenantView,
    /// `same_id` or `clone`.
    pub mode: &'static str,
    /// The tenant the archive was made of.
    pub source_tenant_id: TenantId,
    /// When the archive was made.
    pub backup_created_at: DateTime<Utc>,
    /// Rows written, by table.
    pub rows: BTreeMap<String, usize>,
    /// Users erased again from the ledger (erased after the backup was made).
    pub erasures_reapplied: u32,
    /// What became of the archive's credentials.
    pub credentials: CredentialsVoided,
    /// What the users of the restored tenant must do (a clone's: set a password).
    pub note: String,
}

/// What a restore did to the credentials the archive carried: none of them
/// opens more than it did when it was last valid, and a clone's none at all.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CredentialsVoided {
    /// Users whose every session (token) from before the restore ended.
    pub sessions_ended: u32,
    /// Users who must set a password by a reset link: their password changed
    /// since the backup (the archive holds an old one), or — a clone — all.
    pub passwords_reset: u32,
    /// Users removed since the backup, removed again.
    pub users_removed: u32,
    /// API keys revoked since the backup (or — a clone — every key), revoked.
    pub api_keys_revoked: u32,
    /// One-time links (password reset, e-mail verification) of the archive, void.
    pub links_voided: u64,
    /// Pending invitations of the archive, revoked (their links are void).
    pub invitations_voided: u32,
    /// Mails of the archive's outbox not yet sent (they may carry a link),
    /// deleted: their jobs then finish without sending.
    pub mails_voided: u64,
    /// Users deactivated since the backup, deactivated again.
    pub users_deactivated: u32,
    /// Users whose second factor was replaced or removed since the backup:
    /// the archive's is not restored (they enrol again).
    pub second_factors_removed: u32,
    /// The archive's owner was removed since the backup: restored deactivated,
    /// with no password; the superuser transfers the ownership to a user.
    pub owner_removed_since: bool,
}

/// Why a backup or restore was refused. Nothing was written.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    /// Not the superuser, or no such tenant.
    #[error("not found")]
    NotFound,
    /// No backup key is configured (`TENANTRY_BACKUP_KEY`).
    #[error("backups are not configured: set TENANTRY_BACKUP_KEY (64 hex characters)")]
    NotConfigured,
    /// The archive was refused.
    #[error(transparent)]
    Archive(#[from] ArchiveError),
    /// The archive is another tenant's than the path's.
    #[error("the backup is of another tenant ({0})")]
    ForeignTenant(TenantId),
    /// The archive's rows do not fit this deployment (another store, or a
    /// table or column this schema no longer has).
    #[error("the backup cannot be restored here: {0}")]
    Incompatible(String),
    /// Bad clone slug.
    #[error(transparent)]
    InvalidSlug(#[from] SlugError),
    /// The slug (the clone's, or the archive's own for a purged tenant) is taken.
    #[error("the slug `{0}` is taken by another tenant")]
    SlugTaken(String),
    /// The archive's billing customer belongs to another tenant now.
    #[error("the backup's billing customer belongs to another tenant now")]
    BillingCustomerTaken,
    /// The archive's owner has been erased since: restoring would bring them back.
    #[error("the backup's owner was erased since it was made; it cannot be restored")]
    ErasedOwner,
    /// Infrastructure.
    #[error(transparent)]
    Infra(#[from] InfraError),
}

impl From<StoreError> for BackupError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Incompatible(what) => BackupError::Incompatible(what),
            StoreError::Conflict(Constraint::BillingCustomer) => BackupError::BillingCustomerTaken,
            other => BackupError::Infra(other.into()),
        }
    }
}

impl From<UserError> for BackupError {
    fn from(e: UserError) -> Self {
        match e {
            UserError::Rule(UserRuleError::OwnerProtected) => BackupError::ErasedOwner,
            UserError::Infra(e) => BackupError::Infra(e),
            other => BackupError::Infra(InfraError::Unknown(anyhow::anyhow!("re-applying an erasure: {other}"))),
        }
    }
}

crate::problem!(BackupError {
    BackupError::NotFound => ("not_found", NotFound),
    BackupError::NotConfigured => ("backups_not_configured", Conflict),
    BackupError::Archive(ArchiveError::Truncated) => ("backup_truncated", Invalid),
    BackupError::Archive(ArchiveError::NotABackup) => ("not_a_backup", Invalid),
    BackupError::Archive(ArchiveError::UnsupportedFormat { .. }) => ("backup_format_unsupported", Invalid),
    BackupError::Archive(ArchiveError::WrongKey) => ("backup_key_mismatch", Invalid),
    BackupError::Archive(ArchiveError::Tampered) => ("backup_tampered", Invalid),
    BackupError::Archive(ArchiveError::Unreadable(_)) => ("backup_unreadable", Invalid),
    BackupError::ForeignTenant(_) => ("backup_foreign_tenant", Invalid),
    BackupError::Incompatible(_) => ("backup_incompatible", Invalid),
    BackupError::InvalidSlug(_) => ("invalid_slug", Invalid),
    BackupError::SlugTaken(_) => ("slug_taken", Conflict),
    BackupError::BillingCustomerTaken => ("billing_customer_taken", Conflict),
    BackupError::ErasedOwner => ("backup_owner_erased", Conflict),
    BackupError::Infra(e) => (via e),
});

impl Tenantry {
    fn backup_key(&self) -> Result<&backup::BackupKey, BackupError> {
        self.config.backup_key.as_ref().ok_or(BackupError::NotConfigured)
    }

    /// `POST /v1/admin/tenants/{tid}/backups` (superuser): every row of the
    /// tenant, sealed. Audited in the tenant's log and the platform log.
    pub async fn backup_tenant(&self, scope: &TenantScope) -> Result<Backup, BackupError> {
        let Actor::Superuser { id } = *scope.actor() else { return Err(BackupError::NotFound) };
        let key = self.backup_key()?;
        let created_at = self.now();
        let (mut contents, stored) = {
            let mut tx = self.begin(scope, Access::Read).await?;
            let tenant = tx.tenant().await?.ok_or(BackupError::NotFound)?;
            let contents = BackupContents {
                tenant_id: tenant.id(),
                slug: tenant.slug().to_string(),
                created_at,
                erasures: tx.erasures().await?,
                rows: tx.dump_rows().await?,
                files: Vec::new(),
            };
            (contents, tx.files().await?)
        };
        // The files' bytes, through the file store (the rows name them).
        for file in &stored {
            let bytes = self.deps.files.get(scope.tenant_id(), file.id).await.map_err(|e| {
                InfraError::Unavailable(anyhow::anyhow!("the file store did not answer for a backup: {e}"))
            })?;
            let Some(bytes) = bytes else {
                tracing::warn!(file = %file.id, "a file's bytes are missing from the store; the backup has its row only");
                continue;
            };
            let bytes = crate::files::read_all(bytes, file.size).await.map_err(|e| {
                InfraError::Unavailable(anyhow::anyhow!("a file's bytes could not be read for a backup: {e}"))
            })?;
            contents.files.push(crate::backup::FileBytes { id: file.id, bytes });
        }
        let nonce = backup::nonce_from(&self.deps.tokens.secret().map_err(InfraError::Unknown)?);
        let archive = backup::seal(key, &contents, nonce)?;
        let event = self
            .event(
                scope,
                AuditAction::TenantBackedUp,
                Some(AuditTarget::Tenant(scope.tenant_id())),
                AuditOutcome::Success,
            )?
            .with("bytes", archive.len())
            .with("rows", contents.rows.counts().values().sum::<usize>());
        let tx = self.begin(scope, Access::Write).await?;
        self.commit_audited_in_both(tx, event).await?;
        tracing::info!(tenant = %contents.tenant_id, superuser = %id.as_uuid(), bytes = archive.len(), "tenant backed up");
        Ok(Backup { archive, tenant_id: contents.tenant_id, slug: contents.slug, created_at })
    }

    /// `POST /v1/admin/tenants/{tid}/restore` (superuser): restores `archive`,
    /// a backup of tenant `tenant_id`, in one unit of work of the target tenant.
    pub async fn restore_tenant(
        &self,
        who: &PlatformScope,
        tenant_id: TenantId,
        archive: &[u8],
        mode: RestoreMode,
    ) -> Result<Restored, BackupError> {
        // Everything about the archive is checked before anything is written.
        let key = self.backup_key()?;
        let contents = backup::open(key, archive)?;
        if contents.tenant_id != tenant_id {
            return Err(BackupError::ForeignTenant(contents.tenant_id));
        }
        let (target, changes, mode_name) = match &mode {
            RestoreMode::SameId => (tenant_id, LoadChanges::default(), "same_id"),
            RestoreMode::Clone { slug } => {
                let slug = Slug::parse(slug)?;
                if self.deps.directory.resolve_slug(&slug).await?.is_some() {
                    return Err(BackupError::SlugTaken(slug.to_string()));
                }
                (self.new_id()?, LoadChanges { slug: Some(slug), unlink_billing: true }, "clone")
            }
        };
        let mut rows = contents.rows.clone();
        if target != tenant_id {
            rows.retarget(tenant_id, target);
            // A clone keeps no second factor (its secret is a credential, sealed
            // for the archive's tenant): dropped before the rows are read.
            rows.clear_field("users", "mfa");
        }
        // The ledger: the platform's copy of the archive's tenant (it outlives
        // purges; read in that tenant's scope, which a clone's is not) and the
        // archive's own.
        let superuser = Actor::Superuser { id: who.superuser() };
        let mut ledger = {
            let source = TenantScope::new(tenant_id, superuser, self.all_permissions());
            let mut tx = self.begin(&source, Access::Read).await?;
            tx.platform_erasures().await?
        };
        ledger.extend(contents.erasures.iter().cloned());

        let scope = TenantScope::new(target, superuser, self.all_permissions());
        let mut tx = self.begin(&scope, Access::Write).await?;
        // And the tenant's own ledger as it stands (a same-id restore replaces it),
        // and the platform's credential ledger before the archive's rows write over it.
        ledger.extend(tx.erasures().await?);
        let credentials = match mode {
            RestoreMode::SameId => Some(tx.credential_ledger().await?),
            RestoreMode::Clone { .. } => None,
        };
        match tx.load_rows(&rows, &changes).await {
            Err(StoreError::Conflict(Constraint::TenantSlug)) => {
                return Err(BackupError::SlugTaken(changes.slug.map_or(contents.slug.clone(), |s| s.to_string())));
            }
            other => other?,
        }
        let restored_ledger: BTreeSet<_> = tx.erasures().await?.into_iter().map(|e| e.user_id).collect();
        let mut reapplied = 0u32;
        let mut seen = BTreeSet::new();
        for entry in ledger {
            if !seen.insert(entry.user_id) {
                continue;
            }
            let Some(mut user) = tx.user(entry.user_id).await? else { continue };
            let erasure = Erasure { tenant_id: target, ..entry };
            if user.is_erased() {
                if !restored_ledger.contains(&entry.user_id) {
                    tx.record_erasure(&erasure).await?;
                }
                continue;
            }
            self.erase_in(tx.as_mut(), &mut user, &erasure).await?;
            reapplied += 1;
        }
        let voided = self.void_credentials(tx.as_mut(), credentials.as_ref()).await?;
        let tenant =
            tx.tenant().await?.ok_or_else(|| BackupError::Incompatible("the backup holds no tenant row".into()))?;
        let event = self
            .event(&scope, AuditAction::TenantRestored, Some(AuditTarget::Tenant(target)), AuditOutcome::Success)?
            .with("mode", mode_name)
            .with("source_tenant", tenant_id)
            .with("backup_created_at", contents.created_at.to_rfc3339())
            .with("erasures_reapplied", reapplied)
            .with("sessions_ended", voided.sessions_ended)
            .with("passwords_reset", voided.passwords_reset)
            .with("users_removed", voided.users_removed)
            .with("api_keys_revoked", voided.api_keys_revoked)
            .with("users_deactivated", voided.users_deactivated)
            .with("second_factors_removed", voided.second_factors_removed)
            .with("owner_removed_since", voided.owner_removed_since);
        tx.append_audit(&event).await?;
        match tx.commit().await {
            Err(StoreError::Conflict(Constraint::TenantSlug)) => {
                return Err(BackupError::SlugTaken(tenant.slug().to_string()));
            }
            other => other?,
        }
        self.copy_to_platform_log(event).await?;
        self.restore_file_bytes(target, &contents.files).await?;
        tracing::info!(tenant = %target, source = %tenant_id, mode = mode_name, reapplied, "tenant restored");
        let note = match (&mode, voided.passwords_reset) {
            (RestoreMode::Clone { .. }, _) => format!(
                "The clone holds no credentials: its users set a password through a reset link (the login's \
                 \"forgot password\", or POST /v1/auth/password-reset with the workspace `{}`); it has no API keys.",
                tenant.slug()
            ),
            (RestoreMode::SameId, 0) => {
                "Every session from before the restore has ended: users log in again with their password.".into()
            }
            (RestoreMode::SameId, n) => format!(
                "Every session from before the restore has ended. {n} user(s) changed their password after the \
                 backup was made: they set a new one through a reset link (POST /v1/auth/password-reset)."
            ),
        };
        Ok(Restored {
            tenant: TenantView::from(&tenant),
            mode: mode_name,
            source_tenant_id: tenant_id,
            backup_created_at: contents.created_at,
            rows: rows.counts(),
            erasures_reapplied: reapplied,
            credentials: voided,
            note,
        })
    }

    /// After a restore's rows committed: the archive's file bytes written for
    /// the restored tenant, and bytes the store holds for files the restored
    /// rows do not name (a same-id restore's files made since the backup)
    /// deleted. A failure names it; the rows stand, and the restore may run again.
    async fn restore_file_bytes(&self, target: TenantId, files: &[crate::backup::FileBytes]) -> Result<(), InfraError> {
        let unavailable =
            |e: crate::files::FileStoreError| InfraError::Unavailable(anyhow::anyhow!("restoring the files: {e}"));
        for file in files {
            self.deps.files.delete(target, file.id).await.map_err(unavailable)?;
            self.deps.files.put(target, file.id, crate::files::once(file.bytes.clone())).await.map_err(unavailable)?;
        }
        let kept: BTreeSet<_> = files.iter().map(|f| f.id).collect();
        for id in self.deps.files.list(target).await.map_err(unavailable)? {
            if !kept.contains(&id) {
                self.deps.files.delete(target, id).await.map_err(unavailable)?;
            }
        }
        Ok(())
    }

    /// The restored rows' credentials, made no stronger than they were when
    /// last valid (`ledger`: the platform's credential ledger of the same
    /// tenant), or — a clone, `None` — void altogether.
    async fn void_credentials(
        &self,
        tx: &mut dyn crate::store::TenantTx,
        ledger: Option<&crate::store::CredentialLedger>,
    ) -> Result<CredentialsVoided, BackupError> {
        let now = self.now();
        let unusable = self.deps.hasher.decoy();
        let mut done = CredentialsVoided::default();
        for mut user in tx.users().await? {
            let known = ledger.and_then(|l| l.users.get(&user.id())).cloned().unwrap_or_default();
            if known.removed && ledger.is_some() {
                if !user.is_owner() {
                    tx.delete_user(user.id()).await?;
                    done.users_removed += 1;
                    continue;
                }
                // The archive's owner was removed since (after handing the ownership on): the
                // tenant needs an owner row, but they are not let back in — deactivated, with no
                // password nor second factor — until the superuser transfers the ownership.
                user.bar(now);
                user.void_password(unusable.clone());
                user.remove_mfa();
                user.move_tokens_past(known.max_token_version);
                tx.update_user(&user).await?;
                done.owner_removed_since = true;
                done.sessions_ended += 1;
                continue;
            }
            let changed_since = known.password_digest.as_ref().is_some_and(|d| *d != user.password_hash().digest());
            if !user.is_erased() && (ledger.is_none() || changed_since) {
                // The archive's hash is an old password (or, in a clone, no one's to keep).
                user.void_password(unusable.clone());
                done.passwords_reset += 1;
            }
            if ledger.is_none() {
                // A clone keeps no second factor either: its secret is a credential.
                user.remove_mfa();
            } else if let Some(latest) = &known.mfa
                && user.mfa().as_ref().map(|m| m.secret.fingerprint()) != *latest
                && user.mfa().is_some()
            {
                // Replaced or removed since (a lost phone): the archive's secret stays gone.
                user.remove_mfa();
                done.second_factors_removed += 1;
            }
            if known.deactivated && user.is_active() && !user.is_owner() && ledger.is_some() {
                // Deactivated since the backup: a revocation the restore keeps.
                user.bar(now);
                done.users_deactivated += 1;
            }
            // Past every version the user ever had: no token from before opens anything.
            user.move_tokens_past(known.max_token_version);
            tx.update_user(&user).await?;
            done.sessions_ended += 1;
        }
        for mut key in tx.api_keys().await? {
            let revoked_since = ledger.is_none_or(|l| l.revoked_keys.contains(&key.id()));
            if revoked_since && key.revoke(now).is_ok() {
                tx.update_api_key(&key).await?;
                done.api_keys_revoked += 1;
            }
        }
        done.links_voided = tx.expire_links(now).await?;
        done.mails_voided = tx.void_unsent_mails().await?;
        for mut invitation in tx.invitations().await? {
            if invitation.revoke(now, tenantry_domain::invitation::RevokeReason::Restore).is_ok() {
                tx.update_invitation(&invitation).await?;
                done.invitations_voided += 1;
            }
        }
        Ok(done)
    }
}

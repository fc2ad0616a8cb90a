//! The store ports and their unit of work.
//!
//! A tenant-scoped transaction ([`TenantTx`]) is opened with a
//! [`TenantScope`](crate::TenantScope) and sees only that tenant's rows; every
//! method of every store trait below is reached through one. The platform
//! transaction ([`PlatformTx`]) reaches the platform tables, which hold no tenant
//! data (superusers, ad campaigns and their counters, the platform audit log).
//! The platform tables are written only through narrow operations that take no
//! password hash, token version or time from the caller: the store dates what
//! it writes with its own clock (in PostgreSQL `tenantry.now()`, each a
//! `SECURITY DEFINER` function — the service role has no DML on them), and
//! creating a superuser needs more than the service's rights ([`OperatorStore`]).
//!
//! Contract (every implementation MUST; the testkit's contract suites check it):
//! - reads and writes of a `TenantTx` concern only the scope's tenant; a write of
//!   an entity whose `tenant_id` is another tenant's is refused with
//!   `StoreError::Unknown` and changes nothing;
//! - nothing is visible to other units of work before `commit`; dropping a
//!   transaction without commit rolls everything back;
//! - `Access::Write` units of work of one tenant are serialised (the second
//!   waits for the first to commit or roll back), so seat checks cannot
//!   interleave; `Access::Read` units of work refuse writes;
//! - uniqueness violations answer `StoreError::Conflict` with the constraint, and
//!   **abort the unit of work** (as a database transaction is aborted): every later
//!   call answers `StoreError::Unknown` and nothing of it can commit; use cases
//!   return at once and drop it;
//! - lists come back in the documented order;
//! - `begin_authorizing` answers exactly the facts [`read_authorization_facts`]
//!   reads in a fresh unit of work of the same tenant (never a row of another);
//!   a read unit of work it opens may answer a row it read there (the tenant,
//!   the user) again without reading it twice — the row the caller was
//!   authorised on, which a fresh read in the same unit of work gives unless
//!   another transaction committed a change in between.

use crate::payment::Invoice;
use async_trait::async_trait;
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use tenantry_domain::PromotionCodeId;
use tenantry_domain::discount::{CouponRecord, PromotionCodeRecord};
use tenantry_domain::export::Export;
use tenantry_domain::job::{Job, JobKind};
use tenantry_domain::password_reset::PasswordReset;
use tenantry_domain::rbac::CustomRole;
use tenantry_domain::session::{RefreshError, Session, SessionEnd, SessionKind};
use tenantry_domain::user::Erasure;
use tenantry_domain::user::PlatformUser;
use tenantry_domain::{
    AdCampaign, AuditAction, AuditEvent, AuditEventId, CampaignId, Email, Interval, Invitation, InvitationId, PlanKind,
    PlatformUserId, RoleId, RoleRef, Subscription, SubscriptionStatus, Tenant, User, UserId,
};
use tenantry_domain::{ApiKey, ApiKeyId, ExportId, JobId, ResetId, SessionId};

use crate::error::StoreError;
use crate::scope::TenantScope;

/// Whether a unit of work may write.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Access {
    /// Reads only; writes are refused.
    Read,
    /// Reads and writes, serialised with other writers of the tenant.
    Write,
}

/// A calendar month (UTC), the unit of usage metering.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Month {
    /// Year.
    pub year: i32,
    /// 1..=12.
    pub month: u32,
}

impl Month {
    /// The month `at` falls in.
    pub fn of(at: DateTime<Utc>) -> Self {
        Self { year: at.year(), month: at.month() }
    }
    /// The first day of the month.
    pub fn first_day(&self) -> Option<NaiveDate> {
        NaiveDate::from_ymd_opt(self.year, self.month, 1)
    }
}

/// Metered usage of one tenant in one month.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UsageCounters {
    /// API requests.
    pub api_calls: u64,
    /// Successful logins.
    pub logins: u64,
    /// Web page views (the service's own pages).
    #[serde(default)]
    pub page_views: u64,
}

/// An increment of usage.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default, Serialize, Deserialize)]
pub struct UsageDelta {
    /// API requests to add.
    pub api_calls: u64,
    /// Logins to add.
    pub logins: u64,
    /// Page views to add.
    pub page_views: u64,
}

/// Figures derived from a subscription that the named cross-tenant paths
/// (tenant list, stats, due work) read without interpreting the state: the
/// service computes them with the domain whenever it saves a subscription.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct SubscriptionFacts {
    /// Status.
    pub status: SubscriptionStatus,
    /// Plan in force.
    pub plan: PlanKind,
    /// Interval (paid or chosen for after the trial).
    pub interval: Option<Interval>,
    /// Licensed seats now (None: uncapped).
    pub seats: Option<u32>,
    /// Price per period in cents of a paid plan that counts towards MRR.
    pub recurring_cents: Option<i64>,
    /// The next time a timer should look at the tenant.
    pub next_due_at: Option<DateTime<Utc>>,
}

/// A page request for the audit log: newest first, `before` is the last id of
/// the previous page.
#[derive(Clone, PartialEq, Eq, Debug, Default, Serialize, Deserialize)]
pub struct AuditQuery {
    /// Only events older than this one.
    pub before: Option<AuditEventId>,
    /// At most this many (the service caps it).
    pub limit: u32,
    /// Only this action.
    pub action: Option<AuditAction>,
    /// Only events by or about this user.
    pub user: Option<UserId>,
}

/// The scoped tenant's row.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait TenantStore: Send {
    /// The tenant; `Ok(None)` if it was never created or has been purged.
    async fn tenant(&mut self) -> Result<Option<Tenant>, StoreError>;
    /// Creates the tenant. MUST answer `Conflict(TenantSlug)` when another tenant
    /// holds the slug and `Conflict(PrimaryKey)` when the tenant exists.
    async fn insert_tenant(&mut self, tenant: &Tenant) -> Result<(), StoreError>;
    /// Replaces the tenant's profile (the slug never changes); `NotFound` if absent.
    async fn update_tenant(&mut self, tenant: &Tenant) -> Result<(), StoreError>;
    /// Deletes every row of the tenant in every tenant-owned table, and its slug
    /// and billing-customer entries.
    async fn purge_tenant(&mut self) -> Result<(), StoreError>;
}

/// The tenant's users.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait UserStore: Send {
    /// One user.
    async fn user(&mut self, id: UserId) -> Result<Option<User>, StoreError>;
    /// The user with this (normalised) email.
    async fn user_by_email(&mut self, email: &Email) -> Result<Option<User>, StoreError>;
    /// All users, oldest first (by `created_at`, then id).
    async fn users(&mut self) -> Result<Vec<User>, StoreError>;
    /// Adds a user; `Conflict(UserEmail)` if the email is taken in the tenant;
    /// `Conflict(RoleReference)` if its custom role does not exist.
    async fn insert_user(&mut self, user: &User) -> Result<(), StoreError>;
    /// Replaces a user; `NotFound` if absent; `Conflict(UserEmail)` and
    /// `Conflict(RoleReference)` as above.
    async fn update_user(&mut self, user: &User) -> Result<(), StoreError>;
    /// Deletes a user; `NotFound` if absent.
    async fn delete_user(&mut self, id: UserId) -> Result<(), StoreError>;
}

/// The tenant's invitations.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait InvitationStore: Send {
    /// One invitation.
    async fn invitation(&mut self, id: InvitationId) -> Result<Option<Invitation>, StoreError>;
    /// All invitations, newest first.
    async fn invitations(&mut self) -> Result<Vec<Invitation>, StoreError>;
    /// Adds one; `Conflict(PrimaryKey)` if the id exists; `Conflict(RoleReference)`
    /// if its custom role does not exist.
    async fn insert_invitation(&mut self, invitation: &Invitation) -> Result<(), StoreError>;
    /// Replaces one; `NotFound` if absent; `Conflict(RoleReference)` as above.
    async fn update_invitation(&mut self, invitation: &Invitation) -> Result<(), StoreError>;
}

/// The tenant's custom roles.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait RoleStore: Send {
    /// One role.
    async fn role(&mut self, id: RoleId) -> Result<Option<CustomRole>, StoreError>;
    /// All roles, by name.
    async fn roles(&mut self) -> Result<Vec<CustomRole>, StoreError>;
    /// Adds one; `Conflict(RoleName)` if the name is taken (case-insensitively).
    async fn insert_role(&mut self, role: &CustomRole) -> Result<(), StoreError>;
    /// Replaces one; `NotFound` if absent; `Conflict(RoleName)` as above.
    async fn update_role(&mut self, role: &CustomRole) -> Result<(), StoreError>;
    /// Deletes one; `NotFound` if absent; `Conflict(RoleReference)` while a user
    /// holds it. Invitations that refer to it are deleted with it (the roles use
    /// case refuses first while a pending one does).
    async fn delete_role(&mut self, id: RoleId) -> Result<(), StoreError>;
}

/// The tenant's API keys.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait ApiKeyStore: Send {
    /// One key (revoked ones too).
    async fn api_key(&mut self, id: ApiKeyId) -> Result<Option<ApiKey>, StoreError>;
    /// Every key, newest first.
    async fn api_keys(&mut self) -> Result<Vec<ApiKey>, StoreError>;
    /// Adds one; `Conflict(PrimaryKey)` if the id exists; `Conflict(RoleReference)`
    /// for a custom role (keys hold built-in roles only).
    async fn insert_api_key(&mut self, key: &ApiKey) -> Result<(), StoreError>;
    /// Replaces one (revocation); `NotFound` if absent.
    async fn update_api_key(&mut self, key: &ApiKey) -> Result<(), StoreError>;
}

/// The tenant's subscription, invoices and processed billing events.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait SubscriptionStore: Send {
    /// The subscription; `None` only before signup completes.
    async fn subscription(&mut self) -> Result<Option<Subscription>, StoreError>;
    /// Inserts or replaces the subscription with its derived facts. The
    /// subscription's `provider.customer`, if any, becomes resolvable through
    /// `TenantDirectory::resolve_billing_customer`; `Conflict(BillingCustomer)`
    /// if another tenant holds that customer.
    async fn save_subscription(
        &mut self,
        subscription: &Subscription,
        facts: &SubscriptionFacts,
    ) -> Result<(), StoreError>;
    /// Cached invoices, newest first.
    async fn invoices(&mut self) -> Result<Vec<Invoice>, StoreError>;
    /// Inserts or replaces a cached invoice (by provider id).
    async fn save_invoice(&mut self, invoice: &Invoice) -> Result<(), StoreError>;
    /// Records a provider event id; `Ok(false)` if it was recorded before
    /// (the caller then applies nothing). Recorded in the same unit of work as
    /// the event's effect, so a failed handler records nothing.
    async fn record_billing_event(&mut self, event_id: &str, at: DateTime<Utc>) -> Result<bool, StoreError>;
}

/// One replacement in the audit log's details (GDPR erasure): events keep
/// their actor ids (pseudonymous), but no detail may keep a person's data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Redaction {
    /// The text to remove (an email, a name).
    pub find: String,
    /// What replaces it.
    pub replace: String,
    /// Replace only detail values equal to `find` (for names, which may occur
    /// inside unrelated words); otherwise every occurrence inside a value.
    pub whole_value: bool,
}

impl Redaction {
    /// Applies the redactions to one event's details; whether anything changed.
    pub fn apply_all(redactions: &[Redaction], details: &mut BTreeMap<String, String>) -> bool {
        let mut changed = false;
        for value in details.values_mut() {
            for r in redactions.iter().filter(|r| !r.find.is_empty()) {
                if r.whole_value && *value == r.find {
                    value.clone_from(&r.replace);
                    changed = true;
                } else if !r.whole_value && value.contains(&r.find) {
                    *value = value.replace(&r.find, &r.replace);
                    changed = true;
                }
            }
        }
        changed
    }
}

/// The tenant's audit log (append-only, but for erasure's redactions).
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait AuditStore: Send {
    /// Appends an event; its `tenant_id` MUST be the scope's tenant.
    async fn append_audit(&mut self, event: &AuditEvent) -> Result<(), StoreError>;
    /// Rewrites the details of the tenant's events (the one change the
    /// append-only log allows: erasure); the number of events changed.
    async fn redact_audit(&mut self, redactions: &[Redaction]) -> Result<u64, StoreError>;
    /// A page of events, newest first (by id, which is time-ordered).
    async fn audit_events(&mut self, query: &AuditQuery) -> Result<Vec<AuditEvent>, StoreError>;
}

/// Metering of the tenant's usage.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait UsageStore: Send {
    /// Usage in a month (zeros if none).
    async fn usage(&mut self, month: Month) -> Result<UsageCounters, StoreError>;
    /// Adds to a month's usage (atomic increments) and answers the month's
    /// totals after the addition (with what other writers added before).
    async fn add_usage(&mut self, month: Month, delta: UsageDelta) -> Result<UsageCounters, StoreError>;
    /// Bytes stored now.
    async fn storage_used(&mut self) -> Result<u64, StoreError>;
    /// Sets the bytes stored now.
    async fn set_storage_used(&mut self, bytes: u64) -> Result<(), StoreError>;
}

/// Per-tenant records that a one-time thing happened (a mail sent once,
/// whichever signal arrives first; an ad modal shown to a user on a day).
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait MarkerStore: Send {
    /// Records `key`; `Ok(false)` if it was already recorded.
    async fn mark(&mut self, key: &str, at: DateTime<Utc>) -> Result<bool, StoreError>;
    /// Whether `key` is recorded.
    async fn is_marked(&mut self, key: &str) -> Result<bool, StoreError>;
    /// Forgets `key` (a mail that could not be sent is tried again later).
    async fn unmark(&mut self, key: &str) -> Result<(), StoreError>;
}

/// The tenant's scheduled work (claiming across tenants is the directory's
/// named path, `TenantDirectory::claim_due_jobs`).
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait JobStore: Send {
    /// Adds a job.
    async fn insert_job(&mut self, job: &Job) -> Result<(), StoreError>;
    /// One job of the tenant.
    async fn job(&mut self, id: JobId) -> Result<Option<Job>, StoreError>;
    /// The tenant's jobs of exactly this kind (any state), oldest first.
    async fn jobs_of_kind(&mut self, kind: &JobKind) -> Result<Vec<Job>, StoreError>;
    /// Saves a job's new state (`NotFound` if it does not exist).
    async fn update_job(&mut self, job: &Job) -> Result<(), StoreError>;
    /// Claims one job if it is claimable at `now` (`Job::claim`): MUST be
    /// atomic with every other claimer (`TenantDirectory::claim_due_jobs`
    /// included), so that one attempt never runs twice. `None`: not claimable.
    async fn claim_job(&mut self, id: JobId, now: DateTime<Utc>) -> Result<Option<Job>, StoreError>;
}

/// The tenant's outbox: every mail a change causes, written in the change's
/// unit of work (so a rolled-back change mails nothing) and sent by the job
/// runner. A token a mail carries is a credential: stores MUST keep it sealed
/// (PostgreSQL: with the data key, for the row) and MUST forget it once the
/// mail is sent.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait OutboxStore: Send {
    /// Adds a mail; `Conflict(PrimaryKey)` if the id exists.
    async fn insert_mail(&mut self, mail: &crate::system::QueuedMail) -> Result<(), StoreError>;
    /// One mail of the outbox, with its token while unsent.
    async fn queued_mail(
        &mut self,
        id: tenantry_domain::MailId,
    ) -> Result<Option<crate::system::QueuedMail>, StoreError>;
    /// Records that the server accepted a mail (forgetting its token);
    /// `NotFound` if it is not in the outbox.
    async fn mark_mail_sent(
        &mut self,
        id: tenantry_domain::MailId,
        at: DateTime<Utc>,
        accepted: &crate::system::Accepted,
    ) -> Result<(), StoreError>;
    /// An erasure: deletes every mail, sent or not, to `email` or naming the
    /// person — a text value of the mail that contains `email` or equals
    /// `name` (an invitation they sent, a notice listing them); the count.
    async fn forget_mails_of(&mut self, email: &tenantry_domain::Email, name: &str) -> Result<u64, StoreError>;
    /// Deletes every unsent mail (a restore: the links they carry are void); the count.
    async fn void_unsent_mails(&mut self) -> Result<u64, StoreError>;
}

/// The tenant's GDPR exports and their files.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait ExportStore: Send {
    /// Adds an export.
    async fn insert_export(&mut self, export: &Export) -> Result<(), StoreError>;
    /// Saves an export's new state (`NotFound` if it does not exist).
    async fn update_export(&mut self, export: &Export) -> Result<(), StoreError>;
    /// One export.
    async fn export(&mut self, id: ExportId) -> Result<Option<Export>, StoreError>;
    /// Every export of the tenant, newest first.
    async fn exports(&mut self) -> Result<Vec<Export>, StoreError>;
    /// Appends to an export's archive (creating it): the export job writes it
    /// section by section, never whole.
    async fn append_export_file(&mut self, id: ExportId, bytes: &[u8]) -> Result<(), StoreError>;
    /// At most `len` bytes of an export's archive from `offset` (empty at or
    /// past its end), or `None` without an archive: downloads read it chunk by chunk.
    async fn export_file_chunk(&mut self, id: ExportId, offset: u64, len: u32) -> Result<Option<Vec<u8>>, StoreError>;
    /// Deletes an export's archive (none is fine).
    async fn delete_export_file(&mut self, id: ExportId) -> Result<(), StoreError>;
}

/// What the tenant keeps about its files (issue 27; the bytes are the
/// [`crate::files::FileStore`]'s). The storage counter
/// ([`UsageStore::storage_used`]) changes in the same unit of work.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait FileRecordStore: Send {
    /// Adds a file; `Conflict(PrimaryKey)` if the id exists.
    async fn insert_file(&mut self, file: &tenantry_domain::file::StoredFile) -> Result<(), StoreError>;
    /// One file of the tenant.
    async fn file(
        &mut self,
        id: tenantry_domain::FileId,
    ) -> Result<Option<tenantry_domain::file::StoredFile>, StoreError>;
    /// The tenant's files, newest first.
    async fn files(&mut self) -> Result<Vec<tenantry_domain::file::StoredFile>, StoreError>;
    /// Removes a file's row (`NotFound` if absent).
    async fn delete_file(&mut self, id: tenantry_domain::FileId) -> Result<(), StoreError>;
}

/// The tenant's password reset links.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait ResetStore: Send {
    /// Adds a link.
    async fn insert_reset(&mut self, reset: &PasswordReset) -> Result<(), StoreError>;
    /// One link.
    async fn reset(&mut self, id: ResetId) -> Result<Option<PasswordReset>, StoreError>;
    /// Saves a link's use (`NotFound` if it does not exist).
    async fn update_reset(&mut self, reset: &PasswordReset) -> Result<(), StoreError>;
    /// Ends every link of the tenant that has not expired by `at` (it expires
    /// at `at`: a restore voids the links the archive carried); the count.
    async fn expire_links(&mut self, at: DateTime<Utc>) -> Result<u64, StoreError>;
    /// Ends, the same way, every link of one user for one purpose (a password
    /// reset voids the user's other reset links); the count.
    async fn expire_links_of(
        &mut self,
        user: UserId,
        purpose: tenantry_domain::password_reset::LinkPurpose,
        at: DateTime<Utc>,
    ) -> Result<u64, StoreError>;
}

/// The tenant's sessions: its users' (API and browser) and the superuser's
/// support sessions as one of them.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait SessionStore: Send {
    /// Adds one; `Conflict(PrimaryKey)` if the id exists; the user must be the tenant's.
    async fn insert_session(&mut self, session: &Session) -> Result<(), StoreError>;
    /// One session of the tenant (ended ones too).
    async fn session(&mut self, id: SessionId) -> Result<Option<Session>, StoreError>;
    /// Saves a session's use, rotation or end (`NotFound` if absent).
    async fn update_session(&mut self, session: &Session) -> Result<(), StoreError>;
    /// The sessions of one user that have not ended, newest first.
    async fn sessions_of(&mut self, user: UserId) -> Result<Vec<Session>, StoreError>;
    /// Forgets the client (user agent, network) of every session of one user,
    /// ended ones too, and ends the live ones at `at` (an erasure); the count
    /// of sessions changed.
    async fn forget_sessions_of(&mut self, user: UserId, at: DateTime<Utc>) -> Result<u64, StoreError>;
}

/// What the platform keeps of one user's credentials (see [`CredentialStore`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UserCredentials {
    /// The highest token version the user ever had.
    pub max_token_version: u32,
    /// The digest of the latest password hash (`PasswordHash::digest`).
    pub password_digest: Option<String>,
    /// Whether the user was removed.
    pub removed: bool,
    /// Whether the user was deactivated at their latest write.
    pub deactivated: bool,
    /// The fingerprint of the user's second factor at their latest write
    /// (`TotpSecret::fingerprint`; `Some(None)`: none), or `None` when the
    /// ledger has not seen it (rows from before it kept one).
    pub mfa: Option<Option<String>>,
}

/// The platform's ledger of one tenant's credentials, kept through its purge:
/// what a restore of an older backup needs so that no revoked credential comes
/// back (no session from before, no old password, no removed user, no revoked key).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CredentialLedger {
    /// Per user.
    pub users: BTreeMap<UserId, UserCredentials>,
    /// The API keys revoked.
    pub revoked_keys: std::collections::BTreeSet<ApiKeyId>,
}

/// The credential ledger. Every implementation MUST keep it by itself on
/// every write of a user (a higher token version, a new password hash — as a
/// digest —, whether the user is active, the fingerprint of their second factor), every removal of a user (`delete_user`; a purge or a restore's
/// reload is none) and every revocation of an API key, committed with the
/// write, and keep it through the tenant's purge.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait CredentialStore: Send {
    /// This tenant's part of the ledger (also of a purged tenant whose id the
    /// unit of work names).
    async fn credential_ledger(&mut self) -> Result<CredentialLedger, StoreError>;
}

/// The tenant's erasure ledger, and the platform's copy of it.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait ErasureStore: Send {
    /// Records an erasure in the tenant's ledger and, committed with it, in the
    /// platform's copy (ids only; the copy outlives the tenant's purge, so that
    /// a restore of an older backup never brings the person back).
    async fn record_erasure(&mut self, erasure: &Erasure) -> Result<(), StoreError>;
    /// Every erasure of the tenant, oldest first.
    async fn erasures(&mut self) -> Result<Vec<Erasure>, StoreError>;
    /// The platform's copy of this tenant's ledger (also of a purged tenant
    /// whose id the unit of work names), oldest first.
    async fn platform_erasures(&mut self) -> Result<Vec<Erasure>, StoreError>;
}

/// One registered product table's rows of the tenant, as JSON.
#[derive(Clone, Debug, PartialEq)]
pub struct ProductTableRows {
    /// `schema.table`.
    pub table: String,
    /// The rows (each a JSON object).
    pub rows: Vec<serde_json::Value>,
}

/// The rows of the products' registered tables (docs/EMBEDDING.md), for
/// exports, backups and restores.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait ProductDataStore: Send {
    /// Every registered product table with the tenant's rows, by table name.
    async fn product_rows(&mut self) -> Result<Vec<ProductTableRows>, StoreError>;
}

/// What a restore changes in the rows it loads.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LoadChanges {
    /// A clone's own slug (the original keeps its own).
    pub slug: Option<tenantry_domain::Slug>,
    /// Drop the payment provider's customer and subscription ids (a clone must
    /// not share the original's billing).
    pub unlink_billing: bool,
}

/// Every row of the tenant at once, for the superuser's backup and restore
/// (DESIGN.md "Data rights").
#[async_trait]
pub trait BackupStore: Send {
    /// Every row the tenant owns — tenantry's tables and the registered product
    /// tables, secrets included — in the order a restore inserts them.
    async fn dump_rows(&mut self) -> Result<crate::backup::TenantRows, StoreError>;
    /// Replaces everything the tenant owns with `rows`, which must name this
    /// unit of work's tenant (a clone's rows are retargeted first). Rows of
    /// another kind of store, or a table or column this schema lacks, answer
    /// `StoreError::Incompatible`; a slug or billing customer taken by another
    /// tenant answers `Conflict`; in every case nothing is written.
    async fn load_rows(&mut self, rows: &crate::backup::TenantRows, changes: &LoadChanges) -> Result<(), StoreError>;
}

/// A unit of work inside one tenant: every tenant store, one transaction.
#[async_trait]
pub trait TenantTx:
    TenantStore
    + UserStore
    + InvitationStore
    + RoleStore
    + ApiKeyStore
    + SubscriptionStore
    + AuditStore
    + UsageStore
    + MarkerStore
    + JobStore
    + OutboxStore
    + ExportStore
    + FileRecordStore
    + ErasureStore
    + ResetStore
    + SessionStore
    + CredentialStore
    + ProductDataStore
    + BackupStore
    + Send
{
    /// Makes every write visible at once.
    async fn commit(self: Box<Self>) -> Result<(), StoreError>;
}

/// Counts of one ad campaign on one day.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AdCounts {
    /// Times shown.
    pub impressions: u64,
    /// Times clicked.
    pub clicks: u64,
}

/// Which ad counter.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AdCountKind {
    /// An impression.
    Impression,
    /// A click.
    Click,
}

/// The platform tables: no tenant data. Every write is one narrow operation
/// dated by the store's own clock; none takes a hash, a token version or a
/// time from the caller.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait PlatformStore: Send {
    /// A superuser by email.
    async fn superuser_by_email(&mut self, email: &Email) -> Result<Option<PlatformUser>, StoreError>;
    /// A superuser by id.
    async fn superuser(&mut self, id: PlatformUserId) -> Result<Option<PlatformUser>, StoreError>;
    /// Counts one failed login of an active superuser, atomically (parallel
    /// failures all count): `policy.max_failures` in a row lock the account for
    /// `policy.lock_minutes` from the store's now, which is answered; a lock in
    /// force counts nothing (`None`), and one that has run out starts a fresh count.
    async fn superuser_login_failed(
        &mut self,
        id: PlatformUserId,
        policy: tenantry_domain::password::LockoutPolicy,
    ) -> Result<Option<DateTime<Utc>>, StoreError>;
    /// Records a successful login, atomically: only when the superuser is
    /// active, not locked at the store's now, and still at `token_version`
    /// (unchanged since the password was checked) — then the failures are
    /// cleared and `true` answered; otherwise nothing changes and `false`.
    async fn superuser_login_succeeded(&mut self, id: PlatformUserId, token_version: u32) -> Result<bool, StoreError>;
    /// Ends every session of a superuser (its token version moves on,
    /// atomically); `false` when there is no such active superuser.
    async fn end_superuser_sessions(&mut self, id: PlatformUserId) -> Result<bool, StoreError>;
    /// Renames an active superuser (their profile); `false` otherwise. It
    /// takes no credential: a superuser's password is the operator's
    /// ([`OperatorStore::set_superuser_password`]).
    async fn rename_superuser(
        &mut self,
        id: PlatformUserId,
        name: &tenantry_domain::text::PersonName,
    ) -> Result<bool, StoreError>;
    /// Starts (or restarts) the two-factor enrolment of an active superuser
    /// with `secret`, dated by the store — only while none is enabled (an
    /// enabled second factor is never replaced here); `false` otherwise.
    async fn begin_superuser_mfa(
        &mut self,
        id: PlatformUserId,
        secret: &tenantry_domain::mfa::TotpSecret,
    ) -> Result<bool, StoreError>;
    /// Saves the superuser's two-factor state `mfa` (a confirmation, a code
    /// or recovery code used, new recovery codes), atomically and only when it
    /// moves forward from the stored one (`Mfa::may_follow`: the same secret,
    /// a newer code, one more recovery code used) — so a code works once even
    /// when two logins race with it; `false` when it does not (nothing changes).
    async fn save_superuser_mfa(
        &mut self,
        id: PlatformUserId,
        mfa: &tenantry_domain::mfa::Mfa,
    ) -> Result<bool, StoreError>;
    /// Begins session `id` of an active superuser at the store's now, at its
    /// current token version, with `kind`'s limits (`SessionLimits::of`); the
    /// session, or `None` for no such active superuser.
    async fn start_superuser_session(
        &mut self,
        id: SessionId,
        superuser: PlatformUserId,
        kind: SessionKind,
        user_agent: Option<String>,
        address: Option<String>,
    ) -> Result<Option<Session>, StoreError>;
    /// One session of a superuser (ended ones too).
    async fn superuser_session(&mut self, id: SessionId) -> Result<Option<Session>, StoreError>;
    /// A superuser's sessions that have not ended, newest first.
    async fn superuser_sessions(&mut self, superuser: PlatformUserId) -> Result<Vec<Session>, StoreError>;
    /// Records a use of a session at the store's now (kept to the minute).
    async fn touch_superuser_session(&mut self, id: SessionId) -> Result<(), StoreError>;
    /// Exchanges a refresh token of generation `presented` of session `id`,
    /// atomically, by `Session::rotate`'s rule at the store's now: the next
    /// generation, or why not (`Reused` has ended the session).
    async fn rotate_superuser_session(
        &mut self,
        id: SessionId,
        presented: u32,
    ) -> Result<Result<u32, RefreshError>, StoreError>;
    /// Ends one session at the store's now; `false` when it had ended (or never was).
    async fn end_superuser_session(&mut self, id: SessionId, why: SessionEnd) -> Result<bool, StoreError>;
    /// All campaigns, oldest first.
    async fn campaigns(&mut self) -> Result<Vec<AdCampaign>, StoreError>;
    /// One campaign.
    async fn campaign(&mut self, id: CampaignId) -> Result<Option<AdCampaign>, StoreError>;
    /// Adds one.
    async fn insert_campaign(&mut self, campaign: &AdCampaign) -> Result<(), StoreError>;
    /// Replaces one; `NotFound` if absent.
    async fn update_campaign(&mut self, campaign: &AdCampaign) -> Result<(), StoreError>;
    /// Deletes one and its counters; `NotFound` if absent.
    async fn delete_campaign(&mut self, id: CampaignId) -> Result<(), StoreError>;
    /// Counts of every campaign on a day.
    async fn ad_counts(&mut self, day: NaiveDate) -> Result<BTreeMap<CampaignId, AdCounts>, StoreError>;
    /// Daily counts of one campaign, oldest first.
    async fn campaign_counts(&mut self, id: CampaignId) -> Result<Vec<(NaiveDate, AdCounts)>, StoreError>;
    /// Adds one to a counter of the store's today (UTC); `NotFound` for no such campaign.
    async fn add_ad_count(&mut self, id: CampaignId, kind: AdCountKind) -> Result<(), StoreError>;
    /// Appends to the platform audit log (events with `tenant_id: None`, and
    /// copies of cross-tenant attempts), dated by the store's clock.
    async fn append_platform_audit(&mut self, event: &AuditEvent) -> Result<(), StoreError>;
    /// Records the platform's figures of the store's today (platform totals,
    /// no tenant data); `Ok(false)` when that day was recorded already (kept as it was).
    async fn record_daily_stats(&mut self, stats: &serde_json::Value) -> Result<bool, StoreError>;
    /// The recorded days from `since` on, oldest first.
    async fn daily_stats(&mut self, since: NaiveDate) -> Result<Vec<(NaiveDate, serde_json::Value)>, StoreError>;
    /// The superuser's platform settings (`None` until first saved).
    async fn settings(&mut self) -> Result<Option<tenantry_domain::settings::PlatformSettings>, StoreError>;
    /// Saves the platform settings.
    async fn save_settings(&mut self, settings: &tenantry_domain::settings::PlatformSettings)
    -> Result<(), StoreError>;
    /// The coupons, newest first.
    async fn coupons(&mut self) -> Result<Vec<CouponRecord>, StoreError>;
    /// Adds a coupon (dated by the store; its counts start at zero).
    async fn insert_coupon(&mut self, coupon: &CouponRecord) -> Result<(), StoreError>;
    /// The promotion codes, newest first.
    async fn promotion_codes(&mut self) -> Result<Vec<PromotionCodeRecord>, StoreError>;
    /// Adds a promotion code of an existing coupon (dated by the store; its
    /// count starts at zero); `Conflict(PromotionCode)` when its text is taken.
    async fn insert_promotion_code(&mut self, code: &PromotionCodeRecord) -> Result<(), StoreError>;
    /// The promotion code with the text `code` and its coupon, both locked
    /// until the unit of work ends: concurrent redemptions are counted one
    /// after the other, so the last redemption goes to exactly one.
    async fn promotion_code_for_update(
        &mut self,
        code: &str,
    ) -> Result<Option<(PromotionCodeRecord, CouponRecord)>, StoreError>;
    /// Counts `delta` redemptions (1: one more; −1: one given back when the
    /// provider refused it) on the code and on its coupon; `false` when there
    /// is no such code. Counts never go below zero.
    async fn count_redemption(&mut self, code: PromotionCodeId, delta: i32) -> Result<bool, StoreError>;
    /// Switches a promotion code on or off; `false` when there is no such code.
    async fn set_promotion_code_active(&mut self, code: PromotionCodeId, active: bool) -> Result<bool, StoreError>;
}

/// What takes more than the service's own rights: creating a platform
/// superuser. In PostgreSQL it is the owner's connection (`DATABASE_ADMIN_URL`,
/// `tenantry create-superuser`): the service role cannot plant a superuser.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait OperatorStore: Send + Sync {
    /// Adds `user` and appends `event` (its creation) to the platform log, at
    /// once; `Conflict(SuperuserEmail)` when the email is taken (nothing written).
    async fn insert_superuser(&self, user: &PlatformUser, event: &AuditEvent) -> Result<(), StoreError>;
    /// Removes the two-factor authentication of the superuser with `email`
    /// (a lost device and lost recovery codes), ends their sessions and appends
    /// `event`, at once; `false` when there is no such superuser.
    async fn reset_superuser_mfa(&self, email: &Email, event: &AuditEvent) -> Result<bool, StoreError>;
    /// Sets the password hash of the superuser with `email`, lifts a login
    /// lock, ends their sessions and appends `event`, at once; `false` when
    /// there is no such superuser.
    async fn set_superuser_password(
        &self,
        email: &Email,
        hash: &tenantry_domain::password::PasswordHash,
        event: &AuditEvent,
    ) -> Result<bool, StoreError>;
}

/// A unit of work on the platform tables.
#[async_trait]
pub trait PlatformTx: PlatformStore + Send {
    /// Makes every write visible at once.
    async fn commit(self: Box<Self>) -> Result<(), StoreError>;
}

/// What authorising a caller reads in its tenant, named by the caller's token:
/// the user (and the session the token belongs to) or the API key.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AuthorizationRead {
    /// The user whose token it is.
    pub user: Option<UserId>,
    /// The session the token belongs to.
    pub session: Option<SessionId>,
    /// The API key.
    pub api_key: Option<ApiKeyId>,
}

/// What [`UnitOfWork::begin_authorizing`] found: the rows authorising a caller
/// needs, all of the unit of work's tenant, `None` where there is none.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AuthorizationFacts {
    /// The user named.
    pub user: Option<User>,
    /// The session named.
    pub session: Option<Session>,
    /// The API key named.
    pub api_key: Option<ApiKey>,
    /// The tenant's subscription.
    pub subscription: Option<Subscription>,
    /// The custom role of the user or the key, when it has one.
    pub custom_role: Option<CustomRole>,
}

/// Reads `read`'s facts in `tx` one by one: the reference behaviour of
/// [`UnitOfWork::begin_authorizing`] (a store may batch them; the answer is the same).
pub async fn read_authorization_facts(
    tx: &mut dyn TenantTx,
    read: &AuthorizationRead,
) -> Result<AuthorizationFacts, StoreError> {
    let user = match read.user {
        Some(id) => tx.user(id).await?,
        None => None,
    };
    let session = match read.session {
        Some(id) => tx.session(id).await?,
        None => None,
    };
    let api_key = match read.api_key {
        Some(id) => tx.api_key(id).await?,
        None => None,
    };
    let role = user.as_ref().map(|u| u.role()).or(api_key.as_ref().map(|k| k.role()));
    let custom_role = match role {
        Some(RoleRef::Custom(id)) => tx.role(id).await?,
        _ => None,
    };
    Ok(AuthorizationFacts { user, session, api_key, subscription: tx.subscription().await?, custom_role })
}

/// Opens units of work. See the module documentation for the contract.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait UnitOfWork: Send + Sync {
    /// A unit of work inside `scope`'s tenant.
    async fn begin(&self, scope: &TenantScope, access: Access) -> Result<Box<dyn TenantTx>, StoreError>;
    /// A unit of work inside `scope`'s tenant, and in it what authorising a
    /// caller needs ([`AuthorizationRead`]): the same answer as
    /// [`read_authorization_facts`] on a fresh unit of work (the in-memory
    /// store reads them so; PostgreSQL in one statement).
    async fn begin_authorizing(
        &self,
        scope: &TenantScope,
        access: Access,
        read: &AuthorizationRead,
    ) -> Result<(Box<dyn TenantTx>, AuthorizationFacts), StoreError> {
        let mut tx = self.begin(scope, access).await?;
        let facts = read_authorization_facts(tx.as_mut(), read).await?;
        Ok((tx, facts))
    }
    /// A unit of work on the platform tables.
    async fn begin_platform(&self) -> Result<Box<dyn PlatformTx>, StoreError>;
    /// Whether the store answers (readiness).
    async fn ping(&self) -> Result<(), StoreError>;
}

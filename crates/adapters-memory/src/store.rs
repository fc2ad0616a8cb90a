//! The in-memory store: every store port, the unit of work and the named
//! cross-tenant lookups, with the transactional semantics of the database.
//!
//! * Each tenant's data sits behind its own async mutex. A unit of work holds
//!   the tenant's lock from `begin` to commit or drop, so units of work of one
//!   tenant are serialised (like `SELECT … FOR UPDATE` on the tenant row), and
//!   works on a copy that replaces the data only on `commit`; dropping the
//!   transaction rolls back by forgetting the copy.
//! * A transaction holds **only its own tenant's data**: there is nothing of
//!   another tenant in reach to return by mistake (wall 2's equivalent).
//! * The cross-tenant lookups read a committed index (slugs, billing
//!   customers, per-tenant summary facts, the audit logs) updated at commit,
//!   never a tenant's live data.
//! * The store has its own clock (the system's, or a test's): the named paths
//!   and the platform writes take their time from it, never from the caller —
//!   as PostgreSQL's take `tenantry.now()`.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use tenantry_domain::ResetId;
use tenantry_domain::export::Export;
use tenantry_domain::job::Job;
use tenantry_domain::password_reset::PasswordReset;
use tenantry_domain::rbac::{CustomRole, RoleRef};
use tenantry_domain::session::Session;
use tenantry_domain::user::{Erasure, PlatformUser};
use tenantry_domain::{
    AdCampaign, ApiKey, ApiKeyId, AuditEvent, AuditTarget, CampaignId, Email, Invitation, InvitationId, PlatformUserId,
    RoleId, Slug, Subscription, Tenant, TenantId, User, UserId,
};
use tenantry_domain::{ExportId, JobId, SessionId};
use tenantry_ports::directory::NAMED_PATH_MAX_ROWS;
use tenantry_ports::error::{Constraint, StoreError};
use tenantry_ports::payment::Invoice;
use tenantry_ports::store::{
    Access, AdCounts, AuditQuery, CredentialLedger, Month, OperatorStore, PlatformTx, Redaction, SubscriptionFacts,
    TenantTx, UnitOfWork, UsageCounters,
};
use tenantry_ports::{Clock, TenantScope};
use tokio::sync::{Mutex as AsyncMutex, OwnedMutexGuard};

mod accounts;
mod backup;
mod commit;
mod directory;
mod platform;
mod product;
mod records;
pub use product::{MemoryScoped, ProductRows, ProductTableError};

/// Everything one tenant owns.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TenantData {
    /// The tenant row.
    pub tenant: Option<Tenant>,
    /// Users by id.
    pub users: BTreeMap<UserId, User>,
    /// Invitations by id.
    pub invitations: BTreeMap<InvitationId, Invitation>,
    /// Custom roles by id.
    pub roles: BTreeMap<RoleId, CustomRole>,
    /// API keys by id.
    pub api_keys: BTreeMap<ApiKeyId, ApiKey>,
    /// The subscription and its derived facts.
    pub subscription: Option<(Subscription, SubscriptionFacts)>,
    /// Cached invoices by provider id.
    pub invoices: BTreeMap<String, Invoice>,
    /// Processed provider event ids.
    pub billing_events: BTreeSet<String>,
    /// Usage by month.
    pub usage: BTreeMap<Month, UsageCounters>,
    /// Bytes stored.
    pub storage_bytes: u64,
    /// One-time markers.
    pub markers: BTreeMap<String, DateTime<Utc>>,
    /// The erasure ledger, oldest first.
    pub erasures: Vec<Erasure>,
    /// Password reset links by id.
    pub resets: BTreeMap<ResetId, PasswordReset>,
    /// Scheduled work by id.
    pub jobs: BTreeMap<JobId, Job>,
    /// The outbox by id.
    pub mails: BTreeMap<tenantry_domain::MailId, tenantry_ports::system::QueuedMail>,
    /// GDPR exports by id.
    pub exports: BTreeMap<ExportId, Export>,
    /// Sessions (users' and support sessions) by id.
    pub sessions: BTreeMap<SessionId, Session>,
    /// What the tenant keeps about its files (the bytes are the file store's).
    pub files: BTreeMap<tenantry_domain::FileId, tenantry_domain::file::StoredFile>,
    /// Export archives (shared: a unit of work's copy does not copy the bytes).
    pub export_files: BTreeMap<ExportId, Arc<Vec<u8>>>,
    /// Rows of the registered product tables: table → the product's key → row.
    pub product: BTreeMap<String, BTreeMap<String, serde_json::Value>>,
    /// The audit log, oldest first (shared copy-on-write: readers take a
    /// reference, the next writer appends in place once they are done).
    pub audit: Arc<Vec<AuditEvent>>,
}

#[derive(Clone, Debug, Default)]
struct PlatformData {
    superusers: BTreeMap<PlatformUserId, PlatformUser>,
    campaigns: BTreeMap<CampaignId, AdCampaign>,
    ad_counts: BTreeMap<(CampaignId, NaiveDate), AdCounts>,
    /// Shared copy-on-write: every platform unit of work copies the platform
    /// data, and this grows by a day at a time (written once a day).
    daily_stats: Arc<BTreeMap<NaiveDate, serde_json::Value>>,
    /// The superuser's settings.
    settings: Option<tenantry_domain::settings::PlatformSettings>,
    /// The superusers' own sessions.
    superuser_sessions: BTreeMap<SessionId, Session>,
    /// The superuser's coupons.
    coupons: BTreeMap<tenantry_domain::CouponId, tenantry_domain::discount::CouponRecord>,
    /// Their promotion codes.
    promotion_codes: BTreeMap<tenantry_domain::PromotionCodeId, tenantry_domain::discount::PromotionCodeRecord>,
}

/// What the cross-tenant lookups may see of one tenant (committed state only).
#[derive(Clone, Debug)]
struct Summary {
    tenant: Tenant,
    facts: Option<SubscriptionFacts>,
    active_users: u32,
    /// The proven addresses of its active users (the `/find-workspace` lookup's index).
    active_emails: BTreeSet<tenantry_domain::Email>,
    usage: BTreeMap<Month, UsageCounters>,
    storage_bytes: u64,
}

#[derive(Default, Debug)]
struct Committed {
    slugs: HashMap<Slug, TenantId>,
    customers: HashMap<String, TenantId>,
    summaries: HashMap<TenantId, Summary>,
    /// Committed tenant logs (a purge removes the tenant's).
    audit: Vec<AuditEvent>,
    /// Every tenant's pending and failed jobs (the claim's and the failed
    /// list's index; the rows themselves live in the tenant's data).
    jobs: HashMap<(TenantId, JobId), Job>,
    /// The platform log (kept through purges; copies of cross-tenant attempts
    /// keep the attacker's tenant id for filtering).
    platform_audit: Vec<AuditEvent>,
}

struct Inner {
    tenants: Mutex<HashMap<TenantId, Arc<AsyncMutex<TenantData>>>>,
    platform: Arc<AsyncMutex<PlatformData>>,
    committed: RwLock<Committed>,
    fail_next_commit: AtomicBool,
    /// The registered product tables.
    product_tables: Mutex<BTreeSet<String>>,
    /// Per product table, the columns the export leaves out.
    export_excluded: Mutex<BTreeMap<String, Vec<String>>>,
    /// The platform's copy of the erasure ledger (kept through purges),
    /// written when the tenant's erasure commits.
    erasure_ledger: Mutex<Vec<Erasure>>,
    /// The platform's credential ledger (kept through purges), per tenant.
    credentials: Mutex<HashMap<TenantId, CredentialLedger>>,
    /// The store's own clock: the time of the named paths and platform writes.
    clock: Arc<dyn Clock>,
    /// The bytes of the tenants' files (object_store's memory store).
    files: tenantry_objects::ObjectFileStore,
}

/// The in-memory implementation of [`UnitOfWork`], [`TenantDirectory`] and
/// [`OperatorStore`].
#[derive(Clone)]
pub struct MemoryStore {
    inner: Arc<Inner>,
}

impl Default for MemoryStore {
    fn default() -> Self {
        Self::with_clock(Arc::new(tenantry_ports::defaults::SystemClock::default()))
    }
}

impl std::fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MemoryStore")
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl MemoryStore {
    /// An empty store on the system's clock.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty store on `clock` (a test's fake clock: the named paths then
    /// see the time the test set, as PostgreSQL's `tenantry.now()` does).
    pub fn with_clock(clock: Arc<dyn Clock>) -> Self {
        Self {
            inner: Arc::new(Inner {
                tenants: Mutex::default(),
                platform: Arc::default(),
                committed: RwLock::default(),
                fail_next_commit: AtomicBool::default(),
                product_tables: Mutex::default(),
                export_excluded: Mutex::default(),
                erasure_ledger: Mutex::default(),
                credentials: Mutex::default(),
                files: tenantry_objects::ObjectFileStore::in_memory(),
                clock,
            }),
        }
    }

    fn now(&self) -> DateTime<Utc> {
        self.inner.clock.now()
    }

    fn slot(&self, tenant: TenantId) -> Arc<AsyncMutex<TenantData>> {
        lock(&self.inner.tenants).entry(tenant).or_default().clone()
    }

    /// A copy of everything one tenant owns (for tests that compare states).
    pub async fn snapshot(&self, tenant: TenantId) -> TenantData {
        self.slot(tenant).lock().await.clone()
    }

    /// The ids of every tenant that exists.
    pub fn tenant_ids(&self) -> Vec<TenantId> {
        let committed = self.inner.committed.read().unwrap_or_else(|p| p.into_inner());
        let mut ids: Vec<TenantId> = committed.summaries.keys().copied().collect();
        ids.sort();
        ids
    }

    /// Makes the next tenant commit fail with `Unavailable` (fault injection).
    pub fn fail_next_commit(&self) {
        self.inner.fail_next_commit.store(true, Ordering::SeqCst);
    }
}

fn mismatch(what: &str) -> StoreError {
    StoreError::Unknown(anyhow::anyhow!("{what} of another tenant refused by the unit of work's scope"))
}

fn read_only() -> StoreError {
    StoreError::Unknown(anyhow::anyhow!("write in a read-only unit of work"))
}

/// A unit of work inside one tenant.
struct MemTenantTx {
    tenant: TenantId,
    access: Access,
    /// Set by a conflict: like a database transaction, the unit of work is aborted.
    aborted: bool,
    /// The tenant's lock, held by writers until commit or drop (readers work on
    /// a snapshot and hold nothing, as under READ COMMITTED).
    guard: Option<OwnedMutexGuard<TenantData>>,
    work: TenantData,
    /// The audit log as it was at `begin`.
    base_audit: Arc<Vec<AuditEvent>>,
    appended: Vec<AuditEvent>,
    /// Redactions of the committed log, applied at commit.
    redactions: Vec<Redaction>,
    /// Erasures for the platform's copy of the ledger, added at commit.
    ledger_copies: Vec<Erasure>,
    /// Credential notes for the platform's ledger, applied at commit.
    credential_notes: Vec<CredentialNote>,
    purged: bool,
    inner: Arc<Inner>,
}

/// One change of the platform's credential ledger.
#[derive(Clone, Debug)]
enum CredentialNote {
    /// A user was written with this token version, password hash digest,
    /// active state and second factor's fingerprint.
    User { id: UserId, version: u32, digest: String, active: bool, mfa: Option<String> },
    /// A user was removed.
    Removed(UserId),
    /// A key was revoked.
    KeyRevoked(ApiKeyId),
}

/// The fingerprint of a user's second factor, if they have one.
fn mfa_fingerprint(user: &User) -> Option<String> {
    user.mfa().as_ref().map(|m| m.secret.fingerprint())
}

impl CredentialNote {
    fn of(user: &User) -> Self {
        CredentialNote::User {
            id: user.id(),
            version: user.token_version(),
            digest: user.password_hash().digest(),
            active: user.is_active(),
            mfa: mfa_fingerprint(user),
        }
    }

    fn apply(&self, ledger: &mut CredentialLedger) {
        match self {
            CredentialNote::User { id, version, digest, active, mfa } => {
                let entry = ledger.users.entry(*id).or_default();
                entry.max_token_version = entry.max_token_version.max(*version);
                entry.password_digest = Some(digest.clone());
                entry.deactivated = !*active;
                entry.mfa = Some(mfa.clone());
            }
            CredentialNote::Removed(id) => ledger.users.entry(*id).or_default().removed = true,
            CredentialNote::KeyRevoked(id) => {
                ledger.revoked_keys.insert(*id);
            }
        }
    }
}

fn aborted() -> StoreError {
    StoreError::Unknown(anyhow::anyhow!("the unit of work was aborted by an earlier conflict"))
}

impl MemTenantTx {
    fn writable(&self) -> Result<(), StoreError> {
        if self.aborted {
            return Err(aborted());
        }
        if self.access == Access::Write { Ok(()) } else { Err(read_only()) }
    }
    /// A conflict aborts the unit of work (as PostgreSQL aborts the transaction).
    fn conflict(&mut self, c: Constraint) -> StoreError {
        self.aborted = true;
        StoreError::Conflict(c)
    }
    fn live(&self) -> Result<(), StoreError> {
        if self.aborted { Err(aborted()) } else { Ok(()) }
    }
    fn own(&self, tenant: TenantId, what: &str) -> Result<(), StoreError> {
        if tenant == self.tenant { Ok(()) } else { Err(mismatch(what)) }
    }
    /// A custom role referred to must exist in the tenant (the foreign key).
    fn role_exists(&mut self, role: RoleRef) -> Result<(), StoreError> {
        match role {
            RoleRef::Custom(id) if !self.work.roles.contains_key(&id) => Err(self.conflict(Constraint::RoleReference)),
            _ => Ok(()),
        }
    }
    fn slug_taken_by_other(&self, slug: &Slug) -> bool {
        let committed = self.inner.committed.read().unwrap_or_else(|p| p.into_inner());
        committed.slugs.get(slug).is_some_and(|t| *t != self.tenant)
    }
}

fn audit_matches(e: &AuditEvent, q: &AuditQuery) -> bool {
    q.before.is_none_or(|b| e.id < b)
        && q.action.as_ref().is_none_or(|a| e.action == *a)
        && q.user.is_none_or(|u| e.actor.user() == Some(u) || e.target == Some(AuditTarget::User(u)))
}

/// A query whose limit is capped at what one call of a named path answers.
fn capped(query: &AuditQuery) -> AuditQuery {
    AuditQuery { limit: query.limit.min(NAMED_PATH_MAX_ROWS), ..query.clone() }
}

fn page_of<'a>(events: impl Iterator<Item = &'a AuditEvent>, q: &AuditQuery) -> Vec<AuditEvent> {
    let mut list: Vec<AuditEvent> = events.filter(|e| audit_matches(e, q)).cloned().collect();
    list.sort_by_key(|e| std::cmp::Reverse(e.id));
    list.truncate(usize::try_from(q.limit).unwrap_or(usize::MAX));
    list
}

/// A unit of work on the platform tables.
struct MemPlatformTx {
    aborted: bool,
    guard: OwnedMutexGuard<PlatformData>,
    work: PlatformData,
    appended: Vec<AuditEvent>,
    inner: Arc<Inner>,
}

impl MemPlatformTx {
    fn conflict(&mut self, c: Constraint) -> StoreError {
        self.aborted = true;
        StoreError::Conflict(c)
    }
    fn live(&self) -> Result<(), StoreError> {
        if self.aborted { Err(aborted()) } else { Ok(()) }
    }
}

impl MemoryStore {
    /// The operator's change to the superuser with `email`: `change`, their
    /// sessions ended, `event` in the platform log, at once; `false` for no
    /// such superuser.
    async fn operate(&self, email: &Email, event: &AuditEvent, change: impl FnOnce(&mut PlatformUser)) -> bool {
        let mut platform = self.inner.platform.lock().await;
        let Some(su) = platform.superusers.values_mut().find(|u| u.email == *email) else { return false };
        change(su);
        su.token_version = su.token_version.wrapping_add(1);
        let event = AuditEvent {
            at: self.now(),
            target: Some(tenantry_domain::audit::AuditTarget::Superuser(su.id)),
            ..event.clone()
        };
        self.inner.committed.write().unwrap_or_else(|p| p.into_inner()).platform_audit.push(event);
        true
    }
}

#[async_trait]
impl OperatorStore for MemoryStore {
    async fn insert_superuser(&self, user: &PlatformUser, event: &AuditEvent) -> Result<(), StoreError> {
        let mut platform = self.inner.platform.lock().await;
        if platform.superusers.values().any(|u| u.email == user.email) {
            return Err(StoreError::Conflict(Constraint::SuperuserEmail));
        }
        if platform.superusers.contains_key(&user.id) {
            return Err(StoreError::Conflict(Constraint::PrimaryKey));
        }
        platform.superusers.insert(user.id, user.clone());
        let event = AuditEvent { at: self.now(), ..event.clone() };
        self.inner.committed.write().unwrap_or_else(|p| p.into_inner()).platform_audit.push(event);
        Ok(())
    }
    async fn reset_superuser_mfa(&self, email: &Email, event: &AuditEvent) -> Result<bool, StoreError> {
        Ok(self
            .operate(email, event, |su| {
                su.mfa = None;
            })
            .await)
    }
    async fn set_superuser_password(
        &self,
        email: &Email,
        hash: &tenantry_domain::password::PasswordHash,
        event: &AuditEvent,
    ) -> Result<bool, StoreError> {
        Ok(self
            .operate(email, event, |su| {
                su.password_hash = hash.clone();
                su.throttle = Default::default();
            })
            .await)
    }
}

#[async_trait]
impl UnitOfWork for MemoryStore {
    async fn begin(&self, scope: &TenantScope, access: Access) -> Result<Box<dyn TenantTx>, StoreError> {
        Ok(Box::new(self.open(scope, access).await))
    }

    async fn begin_platform(&self) -> Result<Box<dyn PlatformTx>, StoreError> {
        let guard = self.inner.platform.clone().lock_owned().await;
        let work = guard.clone();
        Ok(Box::new(MemPlatformTx { aborted: false, guard, work, appended: Vec::new(), inner: self.inner.clone() }))
    }

    async fn ping(&self) -> Result<(), StoreError> {
        Ok(())
    }
}

impl MemoryStore {
    /// A unit of work inside `scope`'s tenant (tenantry's own and a product's).
    async fn open(&self, scope: &TenantScope, access: Access) -> MemTenantTx {
        let slot = self.slot(scope.tenant_id());
        let guard = slot.lock_owned().await;
        let work = guard.clone_without_audit();
        let base_audit = guard.audit.clone();
        // Readers let go at once; writers keep the lock until commit or drop.
        let guard = match access {
            Access::Write => Some(guard),
            Access::Read => None,
        };
        MemTenantTx {
            tenant: scope.tenant_id(),
            access,
            guard,
            work,
            base_audit,
            appended: Vec::new(),
            redactions: Vec::new(),
            ledger_copies: Vec::new(),
            credential_notes: Vec::new(),
            purged: false,
            aborted: false,
            inner: self.inner.clone(),
        }
    }
}

impl TenantData {
    fn clone_without_audit(&self) -> TenantData {
        TenantData {
            tenant: self.tenant.clone(),
            users: self.users.clone(),
            invitations: self.invitations.clone(),
            roles: self.roles.clone(),
            api_keys: self.api_keys.clone(),
            subscription: self.subscription.clone(),
            invoices: self.invoices.clone(),
            billing_events: self.billing_events.clone(),
            usage: self.usage.clone(),
            storage_bytes: self.storage_bytes,
            markers: self.markers.clone(),
            erasures: self.erasures.clone(),
            resets: self.resets.clone(),
            jobs: self.jobs.clone(),
            mails: self.mails.clone(),
            exports: self.exports.clone(),
            export_files: self.export_files.clone(),
            files: self.files.clone(),
            sessions: self.sessions.clone(),
            product: self.product.clone(),
            audit: Arc::new(Vec::new()),
        }
    }
}

/// The bytes of tenants' files, in memory with the store (object_store's
/// memory store, through the object-store adapter).
#[async_trait::async_trait]
impl tenantry_ports::files::FileStore for MemoryStore {
    async fn put(
        &self,
        tenant: TenantId,
        id: tenantry_domain::FileId,
        content: tenantry_ports::files::ByteStream,
    ) -> Result<(), tenantry_ports::files::FileStoreError> {
        self.inner.files.put(tenant, id, content).await
    }
    async fn get(
        &self,
        tenant: TenantId,
        id: tenantry_domain::FileId,
    ) -> Result<Option<tenantry_ports::files::ByteStream>, tenantry_ports::files::FileStoreError> {
        self.inner.files.get(tenant, id).await
    }
    async fn delete(
        &self,
        tenant: TenantId,
        id: tenantry_domain::FileId,
    ) -> Result<(), tenantry_ports::files::FileStoreError> {
        self.inner.files.delete(tenant, id).await
    }
    async fn list(
        &self,
        tenant: TenantId,
    ) -> Result<Vec<tenantry_domain::FileId>, tenantry_ports::files::FileStoreError> {
        self.inner.files.list(tenant).await
    }
    async fn delete_tenant(&self, tenant: TenantId) -> Result<(), tenantry_ports::files::FileStoreError> {
        self.inner.files.delete_tenant(tenant).await
    }
}

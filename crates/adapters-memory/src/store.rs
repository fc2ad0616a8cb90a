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
use tenantry_domain::job::{Job, JobKind, JobState};
use tenantry_domain::password::LockoutPolicy;
use tenantry_domain::password_reset::PasswordReset;
use tenantry_domain::rbac::{CustomRole, RoleRef};
use tenantry_domain::session::{RefreshError, Session, SessionEnd, SessionKind, SessionOwner};
use tenantry_domain::user::{Erasure, FailedLogin, PlatformUser};
use tenantry_domain::{
    AdCampaign, ApiKey, ApiKeyId, AuditEvent, AuditEventId, AuditTarget, CampaignId, Email, Interval, Invitation,
    InvitationId, PlatformUserId, RoleId, Slug, Subscription, SubscriptionStatus, Tenant, TenantId, User, UserId,
};
use tenantry_domain::{ExportId, JobId, SessionId};
use tenantry_ports::directory::{
    AuditReadReason, CLAIM_MAX_JOBS, Housekept, NAMED_PATH_MAX_ROWS, PlatformFigures, TenantListQuery, TenantSummary,
    audit_read_event,
};
use tenantry_ports::error::{Constraint, StoreError};
use tenantry_ports::payment::Invoice;
use tenantry_ports::store::{
    Access, AdCountKind, AdCounts, ApiKeyStore, AuditQuery, AuditStore, CredentialLedger, CredentialStore,
    ErasureStore, ExportStore, InvitationStore, JobStore, MarkerStore, Month, OperatorStore, PlatformStore, PlatformTx,
    ProductDataStore, ProductTableRows, Redaction, ResetStore, RoleStore, SessionStore, SubscriptionFacts,
    SubscriptionStore, TenantStore, TenantTx, UnitOfWork, UsageCounters, UsageDelta, UsageStore, UserStore,
};
use tenantry_ports::{Clock, TenantDirectory, TenantScope};
use tokio::sync::{Mutex as AsyncMutex, OwnedMutexGuard};

mod backup;
mod product;
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
}

/// What the cross-tenant lookups may see of one tenant (committed state only).
#[derive(Clone, Debug)]
struct Summary {
    tenant: Tenant,
    facts: Option<SubscriptionFacts>,
    active_users: u32,
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
    user.mfa.as_ref().map(|m| m.secret.fingerprint())
}

impl CredentialNote {
    fn of(user: &User) -> Self {
        CredentialNote::User {
            id: user.id,
            version: user.token_version,
            digest: user.password_hash.digest(),
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

#[async_trait]
impl TenantStore for MemTenantTx {
    async fn tenant(&mut self) -> Result<Option<Tenant>, StoreError> {
        self.live()?;
        Ok(self.work.tenant.clone())
    }
    async fn insert_tenant(&mut self, tenant: &Tenant) -> Result<(), StoreError> {
        self.writable()?;
        self.own(tenant.id, "a tenant row")?;
        if self.work.tenant.is_some() {
            return Err(self.conflict(Constraint::PrimaryKey));
        }
        if self.slug_taken_by_other(&tenant.slug) {
            return Err(self.conflict(Constraint::TenantSlug));
        }
        self.work.tenant = Some(tenant.clone());
        self.purged = false;
        Ok(())
    }
    async fn update_tenant(&mut self, tenant: &Tenant) -> Result<(), StoreError> {
        self.writable()?;
        self.own(tenant.id, "a tenant row")?;
        match &mut self.work.tenant {
            Some(t) => {
                let slug = t.slug.clone();
                *t = Tenant { slug, ..tenant.clone() };
                Ok(())
            }
            None => Err(StoreError::NotFound),
        }
    }
    async fn purge_tenant(&mut self) -> Result<(), StoreError> {
        self.writable()?;
        self.work = TenantData::default();
        self.appended.clear();
        self.purged = true;
        Ok(())
    }
}

#[async_trait]
impl UserStore for MemTenantTx {
    async fn user(&mut self, id: UserId) -> Result<Option<User>, StoreError> {
        self.live()?;
        Ok(self.work.users.get(&id).cloned())
    }
    async fn user_by_email(&mut self, email: &Email) -> Result<Option<User>, StoreError> {
        self.live()?;
        Ok(self.work.users.values().find(|u| u.email == *email).cloned())
    }
    async fn users(&mut self) -> Result<Vec<User>, StoreError> {
        self.live()?;
        let mut users: Vec<User> = self.work.users.values().cloned().collect();
        users.sort_by_key(|u| (u.created_at, u.id));
        Ok(users)
    }
    async fn insert_user(&mut self, user: &User) -> Result<(), StoreError> {
        self.writable()?;
        self.own(user.tenant_id, "a user")?;
        if self.work.tenant.is_none() {
            return Err(StoreError::Unknown(anyhow::anyhow!("foreign key: the tenant does not exist")));
        }
        if self.work.users.contains_key(&user.id) {
            return Err(self.conflict(Constraint::PrimaryKey));
        }
        if self.work.users.values().any(|u| u.email == user.email) {
            return Err(self.conflict(Constraint::UserEmail));
        }
        self.role_exists(user.role)?;
        self.work.users.insert(user.id, user.clone());
        self.credential_notes.push(CredentialNote::of(user));
        Ok(())
    }
    async fn update_user(&mut self, user: &User) -> Result<(), StoreError> {
        self.writable()?;
        self.own(user.tenant_id, "a user")?;
        let Some(before) = self.work.users.get(&user.id) else {
            return Err(StoreError::NotFound);
        };
        let credentials_changed = before.token_version != user.token_version
            || before.password_hash != user.password_hash
            || before.is_active() != user.is_active()
            || mfa_fingerprint(before) != mfa_fingerprint(user);
        if self.work.users.values().any(|u| u.email == user.email && u.id != user.id) {
            return Err(self.conflict(Constraint::UserEmail));
        }
        self.role_exists(user.role)?;
        self.work.users.insert(user.id, user.clone());
        if credentials_changed {
            self.credential_notes.push(CredentialNote::of(user));
        }
        Ok(())
    }
    async fn delete_user(&mut self, id: UserId) -> Result<(), StoreError> {
        self.writable()?;
        self.work.users.remove(&id).ok_or(StoreError::NotFound)?;
        self.work.sessions.retain(|_, s| s.owner != SessionOwner::User(id));
        self.credential_notes.push(CredentialNote::Removed(id));
        Ok(())
    }
}

#[async_trait]
impl InvitationStore for MemTenantTx {
    async fn invitation(&mut self, id: InvitationId) -> Result<Option<Invitation>, StoreError> {
        self.live()?;
        Ok(self.work.invitations.get(&id).cloned())
    }
    async fn invitations(&mut self) -> Result<Vec<Invitation>, StoreError> {
        self.live()?;
        let mut list: Vec<Invitation> = self.work.invitations.values().cloned().collect();
        list.sort_by_key(|i| std::cmp::Reverse((i.created_at, i.id)));
        Ok(list)
    }
    async fn insert_invitation(&mut self, invitation: &Invitation) -> Result<(), StoreError> {
        self.writable()?;
        self.own(invitation.tenant_id, "an invitation")?;
        if self.work.invitations.contains_key(&invitation.id) {
            return Err(self.conflict(Constraint::PrimaryKey));
        }
        self.role_exists(invitation.role)?;
        self.work.invitations.insert(invitation.id, invitation.clone());
        Ok(())
    }
    async fn update_invitation(&mut self, invitation: &Invitation) -> Result<(), StoreError> {
        self.writable()?;
        self.own(invitation.tenant_id, "an invitation")?;
        if !self.work.invitations.contains_key(&invitation.id) {
            return Err(StoreError::NotFound);
        }
        self.role_exists(invitation.role)?;
        match self.work.invitations.get_mut(&invitation.id) {
            Some(slot) => {
                *slot = invitation.clone();
                Ok(())
            }
            None => Err(StoreError::NotFound),
        }
    }
}

#[async_trait]
impl ApiKeyStore for MemTenantTx {
    async fn api_key(&mut self, id: ApiKeyId) -> Result<Option<ApiKey>, StoreError> {
        self.live()?;
        Ok(self.work.api_keys.get(&id).cloned())
    }
    async fn api_keys(&mut self) -> Result<Vec<ApiKey>, StoreError> {
        self.live()?;
        let mut keys: Vec<ApiKey> = self.work.api_keys.values().cloned().collect();
        keys.sort_by_key(|k| std::cmp::Reverse((k.created_at, k.id)));
        Ok(keys)
    }
    async fn insert_api_key(&mut self, key: &ApiKey) -> Result<(), StoreError> {
        self.writable()?;
        self.own(key.tenant_id, "an API key")?;
        if self.work.api_keys.contains_key(&key.id) {
            return Err(self.conflict(Constraint::PrimaryKey));
        }
        if !matches!(key.role, RoleRef::Builtin(_)) {
            // Keys hold built-in roles only.
            return Err(self.conflict(Constraint::RoleReference));
        }
        self.work.api_keys.insert(key.id, key.clone());
        Ok(())
    }
    async fn update_api_key(&mut self, key: &ApiKey) -> Result<(), StoreError> {
        self.writable()?;
        self.own(key.tenant_id, "an API key")?;
        match self.work.api_keys.get_mut(&key.id) {
            Some(slot) => {
                *slot = key.clone();
                if key.revoked_at.is_some() {
                    self.credential_notes.push(CredentialNote::KeyRevoked(key.id));
                }
                Ok(())
            }
            None => Err(StoreError::NotFound),
        }
    }
}

#[async_trait]
impl RoleStore for MemTenantTx {
    async fn role(&mut self, id: RoleId) -> Result<Option<CustomRole>, StoreError> {
        self.live()?;
        Ok(self.work.roles.get(&id).cloned())
    }
    async fn roles(&mut self) -> Result<Vec<CustomRole>, StoreError> {
        self.live()?;
        let mut roles: Vec<CustomRole> = self.work.roles.values().cloned().collect();
        roles.sort_by(|a, b| a.name.as_str().to_lowercase().cmp(&b.name.as_str().to_lowercase()).then(a.id.cmp(&b.id)));
        Ok(roles)
    }
    async fn insert_role(&mut self, role: &CustomRole) -> Result<(), StoreError> {
        self.writable()?;
        self.own(role.tenant_id, "a role")?;
        if self.work.roles.contains_key(&role.id) {
            return Err(self.conflict(Constraint::PrimaryKey));
        }
        let name = role.name.as_str().to_lowercase();
        if self.work.roles.values().any(|r| r.name.as_str().to_lowercase() == name) {
            return Err(self.conflict(Constraint::RoleName));
        }
        self.work.roles.insert(role.id, role.clone());
        Ok(())
    }
    async fn update_role(&mut self, role: &CustomRole) -> Result<(), StoreError> {
        self.writable()?;
        self.own(role.tenant_id, "a role")?;
        if !self.work.roles.contains_key(&role.id) {
            return Err(StoreError::NotFound);
        }
        let name = role.name.as_str().to_lowercase();
        if self.work.roles.values().any(|r| r.id != role.id && r.name.as_str().to_lowercase() == name) {
            return Err(self.conflict(Constraint::RoleName));
        }
        self.work.roles.insert(role.id, role.clone());
        Ok(())
    }
    async fn delete_role(&mut self, id: RoleId) -> Result<(), StoreError> {
        self.writable()?;
        if !self.work.roles.contains_key(&id) {
            return Err(StoreError::NotFound);
        }
        let referenced = RoleRef::Custom(id);
        if self.work.users.values().any(|u| u.role == referenced) {
            return Err(self.conflict(Constraint::RoleReference));
        }
        self.work.invitations.retain(|_, i| i.role != referenced);
        self.work.roles.remove(&id).map(|_| ()).ok_or(StoreError::NotFound)
    }
}

#[async_trait]
impl SubscriptionStore for MemTenantTx {
    async fn subscription(&mut self) -> Result<Option<Subscription>, StoreError> {
        self.live()?;
        Ok(self.work.subscription.as_ref().map(|(s, _)| s.clone()))
    }
    async fn save_subscription(
        &mut self,
        subscription: &Subscription,
        facts: &SubscriptionFacts,
    ) -> Result<(), StoreError> {
        self.writable()?;
        self.own(subscription.tenant_id, "a subscription")?;
        if self.work.tenant.is_none() {
            return Err(StoreError::Unknown(anyhow::anyhow!("foreign key: the tenant does not exist")));
        }
        if let Some(link) = &subscription.provider {
            let taken = {
                let committed = self.inner.committed.read().unwrap_or_else(|p| p.into_inner());
                committed.customers.get(&link.customer).is_some_and(|t| *t != self.tenant)
            };
            if taken {
                return Err(self.conflict(Constraint::BillingCustomer));
            }
        }
        self.work.subscription = Some((subscription.clone(), *facts));
        Ok(())
    }
    async fn invoices(&mut self) -> Result<Vec<Invoice>, StoreError> {
        self.live()?;
        let mut list: Vec<Invoice> = self.work.invoices.values().cloned().collect();
        list.sort_by(|a, b| (b.created_at, &b.id).cmp(&(a.created_at, &a.id)));
        Ok(list)
    }
    async fn save_invoice(&mut self, invoice: &Invoice) -> Result<(), StoreError> {
        self.writable()?;
        self.work.invoices.insert(invoice.id.clone(), invoice.clone());
        Ok(())
    }
    async fn record_billing_event(&mut self, event_id: &str, _at: DateTime<Utc>) -> Result<bool, StoreError> {
        self.writable()?;
        Ok(self.work.billing_events.insert(event_id.to_owned()))
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

#[async_trait]
impl AuditStore for MemTenantTx {
    async fn append_audit(&mut self, event: &AuditEvent) -> Result<(), StoreError> {
        self.writable()?;
        if event.tenant_id != Some(self.tenant) {
            return Err(mismatch("an audit event"));
        }
        self.appended.push(event.clone());
        Ok(())
    }
    async fn redact_audit(&mut self, redactions: &[Redaction]) -> Result<u64, StoreError> {
        self.writable()?;
        let existing = if self.purged { &[][..] } else { &self.base_audit[..] };
        let mut changed: u64 = 0;
        for e in existing {
            let mut details = e.details.clone();
            if Redaction::apply_all(redactions, &mut details) {
                changed += 1;
            }
        }
        for e in &mut self.appended {
            if Redaction::apply_all(redactions, &mut e.details) {
                changed += 1;
            }
        }
        self.redactions.extend(redactions.iter().cloned());
        Ok(changed)
    }
    async fn audit_events(&mut self, query: &AuditQuery) -> Result<Vec<AuditEvent>, StoreError> {
        self.live()?;
        let existing = if self.purged { &[][..] } else { &self.base_audit[..] };
        Ok(page_of(existing.iter().chain(self.appended.iter()), query))
    }
}

#[async_trait]
impl UsageStore for MemTenantTx {
    async fn usage(&mut self, month: Month) -> Result<UsageCounters, StoreError> {
        self.live()?;
        Ok(self.work.usage.get(&month).copied().unwrap_or_default())
    }
    async fn add_usage(&mut self, month: Month, delta: UsageDelta) -> Result<UsageCounters, StoreError> {
        self.writable()?;
        let c = self.work.usage.entry(month).or_default();
        c.api_calls = c.api_calls.saturating_add(delta.api_calls);
        c.logins = c.logins.saturating_add(delta.logins);
        c.page_views = c.page_views.saturating_add(delta.page_views);
        Ok(*c)
    }
    async fn storage_used(&mut self) -> Result<u64, StoreError> {
        self.live()?;
        Ok(self.work.storage_bytes)
    }
    async fn set_storage_used(&mut self, bytes: u64) -> Result<(), StoreError> {
        self.writable()?;
        self.work.storage_bytes = bytes;
        Ok(())
    }
}

#[async_trait]
impl MarkerStore for MemTenantTx {
    async fn mark(&mut self, key: &str, at: DateTime<Utc>) -> Result<bool, StoreError> {
        self.writable()?;
        if self.work.markers.contains_key(key) {
            return Ok(false);
        }
        self.work.markers.insert(key.to_owned(), at);
        Ok(true)
    }
    async fn is_marked(&mut self, key: &str) -> Result<bool, StoreError> {
        self.live()?;
        Ok(self.work.markers.contains_key(key))
    }
    async fn unmark(&mut self, key: &str) -> Result<(), StoreError> {
        self.writable()?;
        self.work.markers.remove(key);
        Ok(())
    }
}

#[async_trait]
impl JobStore for MemTenantTx {
    async fn insert_job(&mut self, job: &Job) -> Result<(), StoreError> {
        self.writable()?;
        self.own(job.tenant_id, "a job")?;
        if self.work.jobs.contains_key(&job.id) {
            return Err(self.conflict(Constraint::PrimaryKey));
        }
        self.work.jobs.insert(job.id, job.clone());
        Ok(())
    }
    async fn job(&mut self, id: JobId) -> Result<Option<Job>, StoreError> {
        self.live()?;
        Ok(self.work.jobs.get(&id).cloned())
    }
    async fn jobs_of_kind(&mut self, kind: &JobKind) -> Result<Vec<Job>, StoreError> {
        self.live()?;
        let mut jobs: Vec<Job> = self.work.jobs.values().filter(|j| j.kind == *kind).cloned().collect();
        jobs.sort_by_key(|j| (j.created_at, j.id));
        Ok(jobs)
    }
    async fn update_job(&mut self, job: &Job) -> Result<(), StoreError> {
        self.writable()?;
        self.own(job.tenant_id, "a job")?;
        match self.work.jobs.get_mut(&job.id) {
            Some(slot) => {
                *slot = job.clone();
                Ok(())
            }
            None => Err(StoreError::NotFound),
        }
    }
    async fn claim_job(&mut self, id: JobId, now: DateTime<Utc>) -> Result<Option<Job>, StoreError> {
        // A writer holds the tenant's lock: the directory's claim waits for it.
        self.writable()?;
        let Some(job) = self.work.jobs.get_mut(&id).filter(|j| j.claimable(now)) else { return Ok(None) };
        job.claim(now);
        Ok(Some(job.clone()))
    }
}

#[async_trait]
impl tenantry_ports::store::OutboxStore for MemTenantTx {
    async fn insert_mail(&mut self, mail: &tenantry_ports::system::QueuedMail) -> Result<(), StoreError> {
        self.writable()?;
        self.own(mail.tenant_id, "a mail")?;
        if self.work.mails.contains_key(&mail.id) {
            return Err(self.conflict(Constraint::PrimaryKey));
        }
        self.work.mails.insert(mail.id, mail.clone());
        Ok(())
    }
    async fn queued_mail(
        &mut self,
        id: tenantry_domain::MailId,
    ) -> Result<Option<tenantry_ports::system::QueuedMail>, StoreError> {
        self.live()?;
        Ok(self.work.mails.get(&id).cloned())
    }
    async fn mark_mail_sent(
        &mut self,
        id: tenantry_domain::MailId,
        at: DateTime<Utc>,
        accepted: &tenantry_ports::system::Accepted,
    ) -> Result<(), StoreError> {
        self.writable()?;
        let mail = self.work.mails.get_mut(&id).ok_or(StoreError::NotFound)?;
        mail.mail.message.set_token(secrecy::SecretString::from(""));
        mail.sent = Some((at, accepted.clone()));
        Ok(())
    }
    async fn forget_mails_of(&mut self, email: &Email, name: &str) -> Result<u64, StoreError> {
        self.writable()?;
        fn names(v: &serde_json::Value, email: &str, name: &str) -> bool {
            match v {
                serde_json::Value::String(s) => s.contains(email) || (!name.is_empty() && s == name),
                serde_json::Value::Array(a) => a.iter().any(|v| names(v, email, name)),
                serde_json::Value::Object(o) => o.values().any(|v| names(v, email, name)),
                _ => false,
            }
        }
        let before = self.work.mails.len();
        self.work.mails.retain(|_, m| {
            m.mail.to != *email && !serde_json::to_value(&m.mail).is_ok_and(|v| names(&v, email.as_str(), name))
        });
        Ok(u64::try_from(before - self.work.mails.len()).unwrap_or(u64::MAX))
    }
    async fn void_unsent_mails(&mut self) -> Result<u64, StoreError> {
        self.writable()?;
        let before = self.work.mails.len();
        self.work.mails.retain(|_, m| m.sent.is_some());
        Ok(u64::try_from(before - self.work.mails.len()).unwrap_or(u64::MAX))
    }
}

#[async_trait]
impl ExportStore for MemTenantTx {
    async fn insert_export(&mut self, export: &Export) -> Result<(), StoreError> {
        self.writable()?;
        self.own(export.tenant_id, "an export")?;
        if self.work.exports.contains_key(&export.id) {
            return Err(self.conflict(Constraint::PrimaryKey));
        }
        self.work.exports.insert(export.id, export.clone());
        Ok(())
    }
    async fn update_export(&mut self, export: &Export) -> Result<(), StoreError> {
        self.writable()?;
        self.own(export.tenant_id, "an export")?;
        match self.work.exports.get_mut(&export.id) {
            Some(slot) => {
                *slot = export.clone();
                Ok(())
            }
            None => Err(StoreError::NotFound),
        }
    }
    async fn export(&mut self, id: ExportId) -> Result<Option<Export>, StoreError> {
        self.live()?;
        Ok(self.work.exports.get(&id).cloned())
    }
    async fn exports(&mut self) -> Result<Vec<Export>, StoreError> {
        self.live()?;
        let mut list: Vec<Export> = self.work.exports.values().cloned().collect();
        list.sort_by_key(|e| std::cmp::Reverse((e.created_at, e.id)));
        Ok(list)
    }
    async fn append_export_file(&mut self, id: ExportId, bytes: &[u8]) -> Result<(), StoreError> {
        self.writable()?;
        if !self.work.exports.contains_key(&id) {
            return Err(StoreError::Unknown(anyhow::anyhow!("foreign key: the export does not exist")));
        }
        Arc::make_mut(self.work.export_files.entry(id).or_default()).extend_from_slice(bytes);
        Ok(())
    }
    async fn export_file_chunk(&mut self, id: ExportId, offset: u64, len: u32) -> Result<Option<Vec<u8>>, StoreError> {
        self.live()?;
        Ok(self.work.export_files.get(&id).map(|file| {
            let start = usize::try_from(offset).unwrap_or(usize::MAX).min(file.len());
            let end = start.saturating_add(usize::try_from(len).unwrap_or(usize::MAX)).min(file.len());
            file.get(start..end).map(<[u8]>::to_vec).unwrap_or_default()
        }))
    }
    async fn delete_export_file(&mut self, id: ExportId) -> Result<(), StoreError> {
        self.writable()?;
        self.work.export_files.remove(&id);
        Ok(())
    }
}

#[async_trait]
impl ErasureStore for MemTenantTx {
    async fn record_erasure(&mut self, erasure: &Erasure) -> Result<(), StoreError> {
        self.writable()?;
        self.own(erasure.tenant_id, "an erasure")?;
        self.work.erasures.push(erasure.clone());
        self.ledger_copies.push(erasure.clone());
        Ok(())
    }
    async fn erasures(&mut self) -> Result<Vec<Erasure>, StoreError> {
        self.live()?;
        Ok(self.work.erasures.clone())
    }
    async fn platform_erasures(&mut self) -> Result<Vec<Erasure>, StoreError> {
        self.live()?;
        let mut found: Vec<Erasure> =
            lock(&self.inner.erasure_ledger).iter().filter(|e| e.tenant_id == self.tenant).cloned().collect();
        found.sort_by_key(|e| (e.erased_at, e.user_id));
        Ok(found)
    }
}

#[async_trait]
impl ResetStore for MemTenantTx {
    async fn insert_reset(&mut self, reset: &PasswordReset) -> Result<(), StoreError> {
        self.writable()?;
        self.own(reset.tenant_id, "a password reset")?;
        if !self.work.users.contains_key(&reset.user_id) {
            return Err(StoreError::Unknown(anyhow::anyhow!("foreign key: the user does not exist")));
        }
        if self.work.resets.contains_key(&reset.id) {
            return Err(self.conflict(Constraint::PrimaryKey));
        }
        self.work.resets.insert(reset.id, reset.clone());
        Ok(())
    }
    async fn reset(&mut self, id: ResetId) -> Result<Option<PasswordReset>, StoreError> {
        self.live()?;
        Ok(self.work.resets.get(&id).cloned())
    }
    async fn update_reset(&mut self, reset: &PasswordReset) -> Result<(), StoreError> {
        self.writable()?;
        self.own(reset.tenant_id, "a password reset")?;
        match self.work.resets.get_mut(&reset.id) {
            Some(slot) => {
                *slot = reset.clone();
                Ok(())
            }
            None => Err(StoreError::NotFound),
        }
    }
    async fn expire_links_of(
        &mut self,
        user: UserId,
        purpose: tenantry_domain::password_reset::LinkPurpose,
        at: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        self.writable()?;
        let mut n = 0;
        for link in
            self.work.resets.values_mut().filter(|r| r.user_id == user && r.purpose == purpose && r.expires_at > at)
        {
            link.expires_at = at;
            n += 1;
        }
        Ok(n)
    }
    async fn expire_links(&mut self, at: DateTime<Utc>) -> Result<u64, StoreError> {
        self.writable()?;
        let mut n = 0;
        for link in self.work.resets.values_mut().filter(|r| r.expires_at > at) {
            link.expires_at = at;
            n += 1;
        }
        Ok(n)
    }
}

#[async_trait]
impl SessionStore for MemTenantTx {
    async fn insert_session(&mut self, session: &Session) -> Result<(), StoreError> {
        self.writable()?;
        let SessionOwner::User(user) = session.owner else { return Err(mismatch("a superuser's session")) };
        if !self.work.users.contains_key(&user) {
            return Err(StoreError::Unknown(anyhow::anyhow!("foreign key: the user does not exist")));
        }
        if self.work.sessions.contains_key(&session.id) {
            return Err(self.conflict(Constraint::PrimaryKey));
        }
        self.work.sessions.insert(session.id, session.clone());
        Ok(())
    }
    async fn session(&mut self, id: SessionId) -> Result<Option<Session>, StoreError> {
        self.live()?;
        Ok(self.work.sessions.get(&id).cloned())
    }
    async fn update_session(&mut self, session: &Session) -> Result<(), StoreError> {
        self.writable()?;
        match self.work.sessions.get_mut(&session.id) {
            Some(slot) if slot.owner == session.owner => {
                *slot = session.clone();
                Ok(())
            }
            _ => Err(StoreError::NotFound),
        }
    }
    async fn sessions_of(&mut self, user: UserId) -> Result<Vec<Session>, StoreError> {
        self.live()?;
        let mut list: Vec<Session> = self
            .work
            .sessions
            .values()
            .filter(|s| s.owner == SessionOwner::User(user) && s.ended.is_none())
            .cloned()
            .collect();
        list.sort_by_key(|s| std::cmp::Reverse((s.created_at, s.id)));
        Ok(list)
    }
    async fn forget_sessions_of(&mut self, user: UserId, at: DateTime<Utc>) -> Result<u64, StoreError> {
        self.writable()?;
        let mut changed = 0;
        for s in self.work.sessions.values_mut().filter(|s| s.owner == SessionOwner::User(user)) {
            if s.user_agent.is_some() || s.address.is_some() || s.ended.is_none() {
                s.user_agent = None;
                s.address = None;
                if s.ended.is_none() {
                    s.end(at, SessionEnd::Erased);
                }
                changed += 1;
            }
        }
        Ok(changed)
    }
}

#[async_trait]
impl CredentialStore for MemTenantTx {
    async fn credential_ledger(&mut self) -> Result<CredentialLedger, StoreError> {
        self.live()?;
        let mut ledger = lock(&self.inner.credentials).get(&self.tenant).cloned().unwrap_or_default();
        for note in &self.credential_notes {
            note.apply(&mut ledger);
        }
        Ok(ledger)
    }
}

#[async_trait]
impl ProductDataStore for MemTenantTx {
    async fn product_rows(&mut self) -> Result<Vec<ProductTableRows>, StoreError> {
        self.live()?;
        let tables: Vec<String> = lock(&self.inner.product_tables).iter().cloned().collect();
        let excluded = lock(&self.inner.export_excluded).clone();
        Ok(tables
            .into_iter()
            .map(|table| {
                let left_out = excluded.get(&table).map(Vec::as_slice).unwrap_or_default();
                let rows = self
                    .work
                    .product
                    .get(&table)
                    .map(|r| {
                        r.values()
                            .cloned()
                            .map(|mut row| {
                                if let Some(object) = row.as_object_mut() {
                                    for column in left_out {
                                        object.remove(column);
                                    }
                                }
                                row
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                ProductTableRows { table, rows }
            })
            .collect())
    }
}

#[async_trait]
impl TenantTx for MemTenantTx {
    async fn commit(mut self: Box<Self>) -> Result<(), StoreError> {
        self.live()?;
        if self.access == Access::Read {
            return Ok(());
        }
        if self.inner.fail_next_commit.swap(false, Ordering::SeqCst) {
            return Err(StoreError::Unavailable(anyhow::anyhow!("injected commit failure")));
        }
        let tenant_id = self.tenant;
        let mut committed = self.inner.committed.write().unwrap_or_else(|p| p.into_inner());
        // Unique constraints across tenants are checked again under the index lock.
        if let Some(t) = &self.work.tenant
            && committed.slugs.get(&t.slug).is_some_and(|owner| *owner != tenant_id)
        {
            return Err(StoreError::Conflict(Constraint::TenantSlug));
        }
        let customer =
            self.work.subscription.as_ref().and_then(|(s, _)| s.provider.as_ref().map(|l| l.customer.clone()));
        if let Some(c) = &customer
            && committed.customers.get(c).is_some_and(|owner| *owner != tenant_id)
        {
            return Err(StoreError::Conflict(Constraint::BillingCustomer));
        }
        committed.slugs.retain(|_, t| *t != tenant_id);
        committed.customers.retain(|_, t| *t != tenant_id);
        if self.purged {
            committed.audit.retain(|e| e.tenant_id != Some(tenant_id));
        }
        if !self.redactions.is_empty() {
            for e in committed.audit.iter_mut().filter(|e| e.tenant_id == Some(tenant_id)) {
                Redaction::apply_all(&self.redactions, &mut e.details);
            }
        }
        committed.audit.extend(self.appended.iter().cloned());
        committed.jobs.retain(|(t, _), _| *t != tenant_id);
        for job in self.work.jobs.values().filter(|j| !matches!(j.state, JobState::Done { .. })) {
            committed.jobs.insert((tenant_id, job.id), job.clone());
        }
        match &self.work.tenant {
            Some(t) => {
                committed.slugs.insert(t.slug.clone(), tenant_id);
                if let Some(c) = customer {
                    committed.customers.insert(c, tenant_id);
                }
                let summary = Summary {
                    tenant: t.clone(),
                    facts: self.work.subscription.as_ref().map(|(_, f)| *f),
                    active_users: u32::try_from(self.work.users.values().filter(|u| u.is_active()).count())
                        .unwrap_or(u32::MAX),
                    usage: self.work.usage.clone(),
                    storage_bytes: self.work.storage_bytes,
                };
                committed.summaries.insert(tenant_id, summary);
            }
            None => {
                committed.summaries.remove(&tenant_id);
            }
        }
        let Some(mut guard) = self.guard.take() else {
            return Err(StoreError::Unknown(anyhow::anyhow!("a writer without its lock")));
        };
        {
            let mut ledger = lock(&self.inner.erasure_ledger);
            for copy in self.ledger_copies.drain(..) {
                if !ledger.contains(&copy) {
                    ledger.push(copy);
                }
            }
        }
        {
            let mut credentials = lock(&self.inner.credentials);
            let ledger = credentials.entry(tenant_id).or_default();
            for note in self.credential_notes.drain(..) {
                note.apply(ledger);
            }
        }
        let mut work = std::mem::take(&mut self.work);
        // Let go of this transaction's own reference so that the append below
        // happens in place unless a reader still holds the old log.
        self.base_audit = Arc::new(Vec::new());
        let mut audit = if self.purged { Arc::new(Vec::new()) } else { std::mem::take(&mut guard.audit) };
        if !self.redactions.is_empty() {
            for e in Arc::make_mut(&mut audit).iter_mut() {
                Redaction::apply_all(&self.redactions, &mut e.details);
            }
        }
        Arc::make_mut(&mut audit).append(&mut self.appended);
        work.audit = audit;
        *guard = work;
        Ok(())
    }
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

#[async_trait]
impl PlatformStore for MemPlatformTx {
    async fn superuser_by_email(&mut self, email: &Email) -> Result<Option<PlatformUser>, StoreError> {
        self.live()?;
        Ok(self.work.superusers.values().find(|u| u.email == *email).cloned())
    }
    async fn superuser(&mut self, id: PlatformUserId) -> Result<Option<PlatformUser>, StoreError> {
        self.live()?;
        Ok(self.work.superusers.get(&id).cloned())
    }
    async fn superuser_login_failed(
        &mut self,
        id: PlatformUserId,
        policy: LockoutPolicy,
    ) -> Result<Option<DateTime<Utc>>, StoreError> {
        self.live()?;
        let now = self.inner.clock.now();
        let Some(su) = self.work.superusers.get_mut(&id).filter(|su| su.active) else { return Ok(None) };
        Ok(match su.throttle.record_failure(now, &policy) {
            FailedLogin::LockedNow { until } => Some(until),
            // (The superuser's throttle counts in all; it never locks one address alone.)
            FailedLogin::LockedForAddress { until } => Some(until),
            FailedLogin::Counted { .. } | FailedLogin::AlreadyLocked { .. } => None,
        })
    }
    async fn superuser_login_succeeded(&mut self, id: PlatformUserId, token_version: u32) -> Result<bool, StoreError> {
        self.live()?;
        let now = self.inner.clock.now();
        match self.work.superusers.get_mut(&id) {
            Some(su) if su.active && su.token_version == token_version && su.throttle.locked_at(now).is_none() => {
                su.throttle.record_success();
                su.last_login_at = Some(now);
                Ok(true)
            }
            _ => Ok(false),
        }
    }
    async fn end_superuser_sessions(&mut self, id: PlatformUserId) -> Result<bool, StoreError> {
        self.live()?;
        match self.work.superusers.get_mut(&id).filter(|su| su.active) {
            Some(su) => {
                su.token_version = su.token_version.wrapping_add(1);
                Ok(true)
            }
            None => Ok(false),
        }
    }
    async fn begin_superuser_mfa(
        &mut self,
        id: PlatformUserId,
        secret: &tenantry_domain::mfa::TotpSecret,
    ) -> Result<bool, StoreError> {
        self.live()?;
        let now = self.inner.clock.now();
        match self.work.superusers.get_mut(&id).filter(|su| su.active) {
            Some(su) if !su.mfa.as_ref().is_some_and(tenantry_domain::mfa::Mfa::is_enabled) => {
                su.mfa = Some(tenantry_domain::mfa::Mfa::start(secret.clone(), now));
                Ok(true)
            }
            _ => Ok(false),
        }
    }
    async fn save_superuser_mfa(
        &mut self,
        id: PlatformUserId,
        mfa: &tenantry_domain::mfa::Mfa,
    ) -> Result<bool, StoreError> {
        self.live()?;
        let now = self.inner.clock.now();
        let Some(su) = self.work.superusers.get_mut(&id).filter(|su| su.active) else { return Ok(false) };
        let Some(stored) = su.mfa.as_ref() else { return Ok(false) };
        if !stored.may_follow(mfa) {
            return Ok(false);
        }
        // The store dates the confirmation, as the platform's operation does.
        let enabled_at = stored.enabled_at.or(Some(now));
        su.mfa = Some(tenantry_domain::mfa::Mfa { enabled_at, ..mfa.clone() });
        Ok(true)
    }
    async fn campaigns(&mut self) -> Result<Vec<AdCampaign>, StoreError> {
        self.live()?;
        let mut list: Vec<AdCampaign> = self.work.campaigns.values().cloned().collect();
        list.sort_by_key(|c| (c.created_at, c.id));
        Ok(list)
    }
    async fn campaign(&mut self, id: CampaignId) -> Result<Option<AdCampaign>, StoreError> {
        self.live()?;
        Ok(self.work.campaigns.get(&id).cloned())
    }
    async fn insert_campaign(&mut self, campaign: &AdCampaign) -> Result<(), StoreError> {
        self.live()?;
        if self.work.campaigns.contains_key(&campaign.id) {
            return Err(self.conflict(Constraint::PrimaryKey));
        }
        self.work.campaigns.insert(campaign.id, campaign.clone());
        Ok(())
    }
    async fn update_campaign(&mut self, campaign: &AdCampaign) -> Result<(), StoreError> {
        self.live()?;
        match self.work.campaigns.get_mut(&campaign.id) {
            Some(slot) => {
                *slot = campaign.clone();
                Ok(())
            }
            None => Err(StoreError::NotFound),
        }
    }
    async fn delete_campaign(&mut self, id: CampaignId) -> Result<(), StoreError> {
        self.live()?;
        self.work.campaigns.remove(&id).ok_or(StoreError::NotFound)?;
        self.work.ad_counts.retain(|(c, _), _| *c != id);
        Ok(())
    }
    async fn ad_counts(&mut self, day: NaiveDate) -> Result<BTreeMap<CampaignId, AdCounts>, StoreError> {
        self.live()?;
        Ok(self.work.ad_counts.iter().filter(|((_, d), _)| *d == day).map(|((c, _), n)| (*c, *n)).collect())
    }
    async fn campaign_counts(&mut self, id: CampaignId) -> Result<Vec<(NaiveDate, AdCounts)>, StoreError> {
        self.live()?;
        Ok(self.work.ad_counts.iter().filter(|((c, _), _)| *c == id).map(|((_, d), n)| (*d, *n)).collect())
    }
    async fn add_ad_count(&mut self, id: CampaignId, kind: AdCountKind) -> Result<(), StoreError> {
        self.live()?;
        let day = self.inner.clock.now().date_naive();
        if !self.work.campaigns.contains_key(&id) {
            return Err(StoreError::NotFound);
        }
        let counts = self.work.ad_counts.entry((id, day)).or_default();
        match kind {
            AdCountKind::Impression => counts.impressions += 1,
            AdCountKind::Click => counts.clicks += 1,
        }
        Ok(())
    }
    async fn append_platform_audit(&mut self, event: &AuditEvent) -> Result<(), StoreError> {
        self.live()?;
        self.appended.push(AuditEvent { at: self.inner.clock.now(), ..event.clone() });
        Ok(())
    }
    async fn record_daily_stats(&mut self, stats: &serde_json::Value) -> Result<bool, StoreError> {
        self.live()?;
        let day = self.inner.clock.now().date_naive();
        if self.work.daily_stats.contains_key(&day) {
            return Ok(false);
        }
        Arc::make_mut(&mut self.work.daily_stats).insert(day, stats.clone());
        Ok(true)
    }
    async fn daily_stats(&mut self, since: NaiveDate) -> Result<Vec<(NaiveDate, serde_json::Value)>, StoreError> {
        self.live()?;
        Ok(self.work.daily_stats.range(since..).map(|(d, v)| (*d, v.clone())).collect())
    }
    async fn settings(&mut self) -> Result<Option<tenantry_domain::settings::PlatformSettings>, StoreError> {
        self.live()?;
        Ok(self.work.settings.clone())
    }
    async fn save_settings(
        &mut self,
        settings: &tenantry_domain::settings::PlatformSettings,
    ) -> Result<(), StoreError> {
        self.live()?;
        self.work.settings = Some(settings.clone());
        Ok(())
    }
    async fn start_superuser_session(
        &mut self,
        id: SessionId,
        superuser: PlatformUserId,
        kind: SessionKind,
        user_agent: Option<String>,
        address: Option<String>,
    ) -> Result<Option<Session>, StoreError> {
        self.live()?;
        let Some(su) = self.work.superusers.get(&superuser).filter(|su| su.active) else { return Ok(None) };
        if self.work.superuser_sessions.contains_key(&id) {
            return Err(self.conflict(Constraint::PrimaryKey));
        }
        let now = self.inner.clock.now();
        let mut session =
            Session::begin(id, SessionOwner::Superuser(superuser), kind, su.token_version, now, None, None, None);
        session.user_agent = user_agent;
        session.address = address;
        self.work.superuser_sessions.insert(id, session.clone());
        Ok(Some(session))
    }
    async fn superuser_session(&mut self, id: SessionId) -> Result<Option<Session>, StoreError> {
        self.live()?;
        Ok(self.work.superuser_sessions.get(&id).cloned())
    }
    async fn superuser_sessions(&mut self, superuser: PlatformUserId) -> Result<Vec<Session>, StoreError> {
        self.live()?;
        let mut list: Vec<Session> = self
            .work
            .superuser_sessions
            .values()
            .filter(|s| s.owner == SessionOwner::Superuser(superuser) && s.ended.is_none())
            .cloned()
            .collect();
        list.sort_by_key(|s| std::cmp::Reverse((s.created_at, s.id)));
        Ok(list)
    }
    async fn touch_superuser_session(&mut self, id: SessionId) -> Result<(), StoreError> {
        self.live()?;
        let now = self.inner.clock.now();
        if let Some(session) = self.work.superuser_sessions.get_mut(&id).filter(|s| s.ended.is_none()) {
            session.touch(now);
        }
        Ok(())
    }
    async fn rotate_superuser_session(
        &mut self,
        id: SessionId,
        presented: u32,
    ) -> Result<Result<u32, RefreshError>, StoreError> {
        self.live()?;
        let now = self.inner.clock.now();
        let Some(session) = self.work.superuser_sessions.get_mut(&id) else { return Ok(Err(RefreshError::Ended)) };
        let SessionOwner::Superuser(owner) = session.owner else { return Ok(Err(RefreshError::Ended)) };
        let Some(version) = self.work.superusers.get(&owner).filter(|su| su.active).map(|su| su.token_version) else {
            return Ok(Err(RefreshError::Ended));
        };
        Ok(session.rotate(presented, now, version))
    }
    async fn end_superuser_session(&mut self, id: SessionId, why: SessionEnd) -> Result<bool, StoreError> {
        self.live()?;
        let now = self.inner.clock.now();
        match self.work.superuser_sessions.get_mut(&id).filter(|s| s.ended.is_none()) {
            Some(session) => {
                session.end(now, why);
                Ok(true)
            }
            None => Ok(false),
        }
    }
}

#[async_trait]
impl PlatformTx for MemPlatformTx {
    async fn commit(mut self: Box<Self>) -> Result<(), StoreError> {
        self.live()?;
        let mut committed = self.inner.committed.write().unwrap_or_else(|p| p.into_inner());
        committed.platform_audit.append(&mut self.appended);
        *self.guard = std::mem::take(&mut self.work);
        Ok(())
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
        let mut platform = self.inner.platform.lock().await;
        let Some(su) = platform.superusers.values_mut().find(|u| u.email == *email) else { return Ok(false) };
        su.mfa = None;
        su.token_version = su.token_version.wrapping_add(1);
        let event = AuditEvent {
            at: self.now(),
            target: Some(tenantry_domain::audit::AuditTarget::Superuser(su.id)),
            ..event.clone()
        };
        self.inner.committed.write().unwrap_or_else(|p| p.into_inner()).platform_audit.push(event);
        Ok(true)
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
            sessions: self.sessions.clone(),
            product: self.product.clone(),
            audit: Arc::new(Vec::new()),
        }
    }
}

#[async_trait]
impl TenantDirectory for MemoryStore {
    async fn resolve_slug(&self, slug: &Slug) -> Result<Option<TenantId>, StoreError> {
        Ok(self.inner.committed.read().unwrap_or_else(|p| p.into_inner()).slugs.get(slug).copied())
    }

    async fn resolve_billing_customer(&self, customer: &str) -> Result<Option<TenantId>, StoreError> {
        Ok(self.inner.committed.read().unwrap_or_else(|p| p.into_inner()).customers.get(customer).copied())
    }

    async fn due_tenants(&self, limit: u32) -> Result<Vec<TenantId>, StoreError> {
        let now = self.now();
        let limit = limit.min(NAMED_PATH_MAX_ROWS);
        let committed = self.inner.committed.read().unwrap_or_else(|p| p.into_inner());
        let mut due: Vec<(DateTime<Utc>, TenantId)> = committed
            .summaries
            .iter()
            .filter_map(|(id, s)| s.facts.and_then(|f| f.next_due_at).filter(|d| *d <= now).map(|d| (d, *id)))
            .collect();
        due.sort();
        Ok(due.into_iter().take(usize::try_from(limit).unwrap_or(usize::MAX)).map(|(_, id)| id).collect())
    }

    async fn claim_due_jobs(&self, limit: u32) -> Result<Vec<(TenantId, JobId)>, StoreError> {
        let now = self.now();
        let limit = limit.min(CLAIM_MAX_JOBS);
        let mut candidates: Vec<(DateTime<Utc>, TenantId, JobId)> = {
            let committed = self.inner.committed.read().unwrap_or_else(|p| p.into_inner());
            committed.jobs.iter().filter(|(_, j)| j.claimable(now)).map(|((t, id), j)| (j.run_at, *t, *id)).collect()
        };
        candidates.sort();
        let mut claimed = Vec::new();
        for (_, tenant, id) in candidates {
            if claimed.len() >= usize::try_from(limit).unwrap_or(usize::MAX) {
                break;
            }
            // Under the tenant's lock (after any writer of it commits), as the
            // database claims under the row's lock: a second claimer finds it leased.
            let slot = self.slot(tenant);
            let mut data = slot.lock().await;
            let Some(job) = data.jobs.get_mut(&id).filter(|j| j.claimable(now)) else { continue };
            job.claim(now);
            let job = job.clone();
            drop(data);
            self.inner.committed.write().unwrap_or_else(|p| p.into_inner()).jobs.insert((tenant, id), job);
            claimed.push((tenant, id));
        }
        Ok(claimed)
    }

    async fn housekeeping(&self) -> Result<Housekept, StoreError> {
        use tenantry_ports::directory::housekeeping::{
            DONE_JOB_RETENTION_DAYS, LINK_RETENTION_DAYS, MARKER_RETENTION_DAYS, SENT_MAIL_RETENTION_DAYS,
            SESSION_RETENTION_DAYS, SHORT_LIVED_MARKERS,
        };
        let now = self.now();
        let links_expired_before = now - chrono::Duration::days(LINK_RETENTION_DAYS);
        let jobs_done_before = now - chrono::Duration::days(DONE_JOB_RETENTION_DAYS);
        let markers_before = now - chrono::Duration::days(MARKER_RETENTION_DAYS);
        let sessions_before = now - chrono::Duration::days(SESSION_RETENTION_DAYS);
        let mails_sent_before = now - chrono::Duration::days(SENT_MAIL_RETENTION_DAYS);
        let old_session = |s: &Session| s.ended.map_or(s.expires_at, |(at, _)| at.min(s.expires_at)) < sessions_before;
        let platform_sessions = {
            let mut platform = self.inner.platform.lock().await;
            let before = platform.superuser_sessions.len();
            platform.superuser_sessions.retain(|_, s| !old_session(s));
            before.saturating_sub(platform.superuser_sessions.len())
        };
        let slots: Vec<(TenantId, Arc<AsyncMutex<TenantData>>)> =
            lock(&self.inner.tenants).iter().map(|(t, s)| (*t, s.clone())).collect();
        let mut out =
            Housekept { sessions: u64::try_from(platform_sessions).unwrap_or(u64::MAX), ..Housekept::default() };
        let old = |j: &Job| matches!(j.state, JobState::Done { at } if at < jobs_done_before);
        let short_lived = |k: &str| SHORT_LIVED_MARKERS.iter().any(|p| k.starts_with(p));
        for (tenant, slot) in slots {
            // Under the tenant's lock, as the database deletes under the rows' locks.
            let mut data = slot.lock().await;
            let links = data.resets.len();
            data.resets.retain(|_, r| r.expires_at >= links_expired_before);
            let links = links.saturating_sub(data.resets.len());
            let markers = data.markers.len();
            data.markers.retain(|k, at| *at >= markers_before || !short_lived(k));
            out.markers += u64::try_from(markers.saturating_sub(data.markers.len())).unwrap_or(u64::MAX);
            let sessions = data.sessions.len();
            data.sessions.retain(|_, s| !old_session(s));
            out.sessions += u64::try_from(sessions.saturating_sub(data.sessions.len())).unwrap_or(u64::MAX);
            let mails = data.mails.len();
            data.mails.retain(|_, m| m.sent.as_ref().is_none_or(|(at, _)| *at >= mails_sent_before));
            out.mails += u64::try_from(mails.saturating_sub(data.mails.len())).unwrap_or(u64::MAX);
            let gone: Vec<JobId> = data.jobs.values().filter(|j| old(j)).map(|j| j.id).collect();
            for id in &gone {
                data.jobs.remove(id);
            }
            drop(data);
            let mut committed = self.inner.committed.write().unwrap_or_else(|p| p.into_inner());
            for id in &gone {
                committed.jobs.remove(&(tenant, *id));
            }
            out.account_links += u64::try_from(links).unwrap_or(u64::MAX);
            out.jobs += u64::try_from(gone.len()).unwrap_or(u64::MAX);
        }
        Ok(out)
    }

    async fn failed_jobs(&self, limit: u32) -> Result<Vec<Job>, StoreError> {
        let limit = limit.min(NAMED_PATH_MAX_ROWS);
        let committed = self.inner.committed.read().unwrap_or_else(|p| p.into_inner());
        let mut failed: Vec<Job> =
            committed.jobs.values().filter(|j| matches!(j.state, JobState::Failed { .. })).cloned().collect();
        failed.sort_by_key(|j| {
            std::cmp::Reverse(match &j.state {
                JobState::Failed { at, .. } => (*at, j.id),
                _ => (j.created_at, j.id),
            })
        });
        failed.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        Ok(failed)
    }

    async fn list_tenants(&self, query: &TenantListQuery) -> Result<Vec<TenantSummary>, StoreError> {
        let committed = self.inner.committed.read().unwrap_or_else(|p| p.into_inner());
        let needle = query.search.as_deref().map(str::to_lowercase);
        let mut rows: Vec<TenantSummary> = committed
            .summaries
            .values()
            .filter_map(|s| {
                let f = s.facts?;
                Some(TenantSummary {
                    id: s.tenant.id,
                    slug: s.tenant.slug.clone(),
                    name: s.tenant.name.to_string(),
                    status: f.status,
                    plan: f.plan,
                    interval: f.interval,
                    seats: f.seats,
                    active_users: s.active_users,
                    recurring_cents: f.recurring_cents,
                    created_at: s.tenant.created_at,
                })
            })
            .filter(|r| query.status.is_none_or(|st| r.status == st))
            .filter(|r| {
                needle.as_deref().is_none_or(|n| r.name.to_lowercase().contains(n) || r.slug.as_str().contains(n))
            })
            .collect();
        rows.sort_by_key(|r| std::cmp::Reverse((r.created_at, r.id)));
        Ok(rows
            .into_iter()
            .skip(usize::try_from(query.offset).unwrap_or(usize::MAX))
            .take(usize::try_from(query.limit.min(NAMED_PATH_MAX_ROWS)).unwrap_or(usize::MAX))
            .collect())
    }

    async fn platform_figures(&self) -> Result<PlatformFigures, StoreError> {
        let month = Month::of(self.now());
        let committed = self.inner.committed.read().unwrap_or_else(|p| p.into_inner());
        let mut f = PlatformFigures { month: Some(month), ..PlatformFigures::default() };
        for status in SubscriptionStatus::ALL {
            f.tenants_by_status.insert(status, 0);
        }
        for s in committed.summaries.values() {
            let Some(facts) = s.facts else { continue };
            *f.tenants_by_status.entry(facts.status).or_default() += 1;
            f.active_users += u64::from(s.active_users);
            let usage = s.usage.get(&month).copied().unwrap_or_default();
            f.logins += usage.logins;
            f.api_calls += usage.api_calls;
            f.page_views += usage.page_views;
            f.storage_bytes += s.storage_bytes;
            if let (Some(cents), Some(interval)) = (facts.recurring_cents, facts.interval) {
                match interval {
                    Interval::Month => f.monthly_recurring_cents.push(cents),
                    Interval::Year => f.yearly_recurring_cents.push(cents),
                }
            }
        }
        Ok(f)
    }

    async fn tenant_audit_events(&self, tenant: TenantId, query: &AuditQuery) -> Result<Vec<AuditEvent>, StoreError> {
        let committed = self.inner.committed.read().unwrap_or_else(|p| p.into_inner());
        let tenant_log = committed.audit.iter().filter(|e| e.tenant_id == Some(tenant));
        let platform_log = committed.platform_audit.iter().filter(|e| e.tenant_id == Some(tenant));
        Ok(page_of(tenant_log.chain(platform_log), &capped(query)))
    }

    async fn all_audit_events(
        &self,
        event_id: AuditEventId,
        superuser: PlatformUserId,
        reason: &AuditReadReason,
        query: &AuditQuery,
    ) -> Result<Vec<AuditEvent>, StoreError> {
        let active = self.inner.platform.lock().await.superusers.get(&superuser).is_some_and(|su| su.active);
        if !active {
            return Ok(Vec::new());
        }
        let read = audit_read_event(event_id, self.now(), superuser, reason, query);
        let mut committed = self.inner.committed.write().unwrap_or_else(|p| p.into_inner());
        if committed.platform_audit.iter().any(|e| e.id == event_id) {
            return Err(StoreError::Conflict(Constraint::PrimaryKey));
        }
        committed.platform_audit.push(read);
        Ok(page_of(committed.audit.iter().chain(committed.platform_audit.iter()), &capped(query)))
    }
}

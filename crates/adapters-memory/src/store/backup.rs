//! The memory store's side of the superuser's backup and restore: everything
//! one tenant owns ([`TenantData`]) as rows of JSON, table by table, and back.
//! The rows are the domain's own serde forms (a user's password hash included:
//! a backup is complete); a memory archive restores into a memory store only.

use super::{MemTenantTx, TenantData, lock};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::Arc;
use tenantry_domain::password::PasswordHash;
use tenantry_domain::user::UserStatus;
use tenantry_domain::{Email, RoleRef, TenantId, User, UserId};
use tenantry_ports::backup::{TableRows, TenantRows};
use tenantry_ports::error::{Constraint, StoreError};
use tenantry_ports::store::{BackupStore, LoadChanges, Month, UsageCounters};

/// The store name written into memory archives.
pub const STORE: &str = "memory";

/// A user as a backup row (the domain's `User` has no serde form on purpose:
/// nothing else may write its password hash out).
#[derive(Serialize, Deserialize)]
struct UserRow {
    id: UserId,
    tenant_id: TenantId,
    email: Email,
    name: String,
    role: RoleRef,
    status: UserStatus,
    password_hash: String,
    created_at: DateTime<Utc>,
    throttle: tenantry_domain::user::AccountThrottle,
    token_version: u32,
    last_login_at: Option<DateTime<Utc>>,
    email_verified_at: Option<DateTime<Utc>>,
    #[serde(default)]
    mfa: Option<tenantry_domain::mfa::Mfa>,
    #[serde(default)]
    mail_prefs: tenantry_domain::user::MailPrefs,
    #[serde(default)]
    preferences: tenantry_domain::preferences::Preferences,
}

impl UserRow {
    fn of(u: &User) -> Self {
        UserRow {
            id: u.id(),
            tenant_id: u.tenant_id(),
            email: u.email().clone(),
            name: u.name().to_string(),
            role: u.role(),
            status: u.status(),
            password_hash: u.password_hash().expose().to_owned(),
            created_at: u.created_at(),
            throttle: u.throttle().clone(),
            token_version: u.token_version(),
            last_login_at: u.last_login_at(),
            email_verified_at: u.email_verified_at(),
            mfa: u.mfa().clone(),
            mail_prefs: u.mail_prefs(),
            preferences: u.preferences(),
        }
    }

    fn into_user(self) -> Result<User, StoreError> {
        Ok(User::restore(tenantry_domain::UserRecord {
            id: self.id,
            tenant_id: self.tenant_id,
            email: self.email,
            name: tenantry_domain::text::PersonName::parse(&self.name).map_err(incompatible)?,
            role: self.role,
            status: self.status,
            password_hash: PasswordHash::from_encoded(self.password_hash.into()),
            created_at: self.created_at,
            throttle: self.throttle,
            token_version: self.token_version,
            last_login_at: self.last_login_at,
            email_verified_at: self.email_verified_at,
            mfa: self.mfa,
            mail_prefs: self.mail_prefs,
            preferences: self.preferences,
        }))
    }
}

fn incompatible(e: impl std::fmt::Display) -> StoreError {
    StoreError::Incompatible(e.to_string())
}

fn to_rows<T: Serialize>(table: &str, items: impl IntoIterator<Item = T>) -> Result<TableRows, StoreError> {
    let rows = items
        .into_iter()
        .map(|i| serde_json::to_value(i).map_err(|e| StoreError::Unknown(e.into())))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(TableRows { table: table.into(), columns: Vec::new(), rows })
}

fn from_rows<T: DeserializeOwned>(rows: &[Value], table: &str) -> Result<Vec<T>, StoreError> {
    rows.iter().map(|r| serde_json::from_value(r.clone()).map_err(|e| incompatible(format!("{table}: {e}")))).collect()
}

/// The tables of a memory archive, in the order they are written.
const TABLES: [&str; 21] = [
    "tenant",
    "users",
    "invitations",
    "roles",
    "api_keys",
    "subscription",
    "invoices",
    "billing_events",
    "usage",
    "storage",
    "markers",
    "erasures",
    "resets",
    "jobs",
    "mails",
    "exports",
    "export_files",
    "files",
    "sessions",
    "product",
    "audit",
];

impl MemTenantTx {
    fn rows_of(&self) -> Result<TenantRows, StoreError> {
        let d = &self.work;
        let base = if self.purged { &[][..] } else { &self.base_audit[..] };
        let audit: Vec<_> = base.iter().chain(self.appended.iter()).collect();
        let tables = vec![
            to_rows("tenant", d.tenant.iter())?,
            to_rows("users", d.users.values().map(UserRow::of))?,
            to_rows("invitations", d.invitations.values())?,
            to_rows("roles", d.roles.values())?,
            to_rows("api_keys", d.api_keys.values())?,
            to_rows("subscription", d.subscription.iter().map(|(s, f)| json!({"subscription": s, "facts": f})))?,
            to_rows("invoices", d.invoices.values())?,
            to_rows("billing_events", d.billing_events.iter())?,
            to_rows("usage", d.usage.iter().map(|(m, c)| json!({"month": m, "counters": c})))?,
            to_rows("storage", [json!({"bytes": d.storage_bytes})])?,
            to_rows("markers", d.markers.iter().map(|(k, at)| json!({"key": k, "at": at})))?,
            to_rows("erasures", d.erasures.iter())?,
            to_rows("resets", d.resets.values())?,
            to_rows("jobs", d.jobs.values())?,
            to_rows("mails", d.mails.values())?,
            to_rows("exports", d.exports.values())?,
            to_rows(
                "export_files",
                d.export_files.iter().map(|(id, b)| json!({"id": id, "bytes": hex::encode(&**b)})),
            )?,
            // What tenantry keeps about the files; their bytes travel beside the rows
            // (`BackupContents::files`), whatever the file store.
            to_rows("files", d.files.values())?,
            to_rows("sessions", d.sessions.values())?,
            to_rows(
                "product",
                d.product
                    .iter()
                    .flat_map(|(t, rows)| rows.iter().map(move |(k, r)| json!({"table": t, "key": k, "row": r}))),
            )?,
            to_rows("audit", audit)?,
        ];
        Ok(TenantRows { store: STORE.into(), tables })
    }

    fn data_of(&self, rows: &TenantRows) -> Result<TenantData, StoreError> {
        if rows.store != STORE {
            return Err(incompatible(format!("a backup of a {} store cannot be restored into memory", rows.store)));
        }
        let mut by_name: BTreeMap<&str, &[Value]> = BTreeMap::new();
        for t in &rows.tables {
            if !TABLES.contains(&t.table.as_str()) {
                return Err(incompatible(format!("unknown table `{}`", t.table)));
            }
            by_name.insert(t.table.as_str(), &t.rows);
        }
        let get = |name: &str| by_name.get(name).copied().unwrap_or(&[]);
        #[derive(Deserialize)]
        struct Sub {
            subscription: tenantry_domain::Subscription,
            facts: tenantry_ports::store::SubscriptionFacts,
        }
        #[derive(Deserialize)]
        struct Usage {
            month: Month,
            counters: UsageCounters,
        }
        #[derive(Deserialize)]
        struct Storage {
            bytes: u64,
        }
        #[derive(Deserialize)]
        struct Marker {
            key: String,
            at: DateTime<Utc>,
        }
        #[derive(Deserialize)]
        struct File {
            id: tenantry_domain::ExportId,
            bytes: String,
        }
        #[derive(Deserialize)]
        struct Product {
            table: String,
            key: String,
            row: Value,
        }
        let mut d = TenantData { tenant: from_rows(get("tenant"), "tenant")?.into_iter().next(), ..Default::default() };
        for u in from_rows::<UserRow>(get("users"), "users")? {
            let u = u.into_user()?;
            d.users.insert(u.id(), u);
        }
        for i in from_rows::<tenantry_domain::Invitation>(get("invitations"), "invitations")? {
            d.invitations.insert(i.id(), i);
        }
        for r in from_rows::<tenantry_domain::rbac::CustomRole>(get("roles"), "roles")? {
            d.roles.insert(r.id, r);
        }
        for k in from_rows::<tenantry_domain::ApiKey>(get("api_keys"), "api_keys")? {
            d.api_keys.insert(k.id(), k);
        }
        d.subscription = from_rows::<Sub>(get("subscription"), "subscription")?
            .into_iter()
            .next()
            .map(|s| (s.subscription, s.facts));
        for i in from_rows::<tenantry_ports::payment::Invoice>(get("invoices"), "invoices")? {
            d.invoices.insert(i.id.clone(), i);
        }
        d.billing_events = from_rows::<String>(get("billing_events"), "billing_events")?.into_iter().collect();
        for u in from_rows::<Usage>(get("usage"), "usage")? {
            d.usage.insert(u.month, u.counters);
        }
        d.storage_bytes = from_rows::<Storage>(get("storage"), "storage")?.first().map_or(0, |s| s.bytes);
        for m in from_rows::<Marker>(get("markers"), "markers")? {
            d.markers.insert(m.key, m.at);
        }
        d.erasures = from_rows(get("erasures"), "erasures")?;
        for r in from_rows::<tenantry_domain::password_reset::PasswordReset>(get("resets"), "resets")? {
            d.resets.insert(r.id, r);
        }
        for j in from_rows::<tenantry_domain::job::Job>(get("jobs"), "jobs")? {
            d.jobs.insert(j.id, j);
        }
        for m in from_rows::<tenantry_ports::system::QueuedMail>(get("mails"), "mails")? {
            d.mails.insert(m.id, m);
        }
        for e in from_rows::<tenantry_domain::export::Export>(get("exports"), "exports")? {
            d.exports.insert(e.id(), e);
        }
        for f in from_rows::<File>(get("export_files"), "export_files")? {
            d.export_files.insert(f.id, Arc::new(hex::decode(&f.bytes).map_err(incompatible)?));
        }
        for f in from_rows::<tenantry_domain::file::StoredFile>(get("files"), "files")? {
            d.files.insert(f.id, f);
        }
        for s in from_rows::<tenantry_domain::session::Session>(get("sessions"), "sessions")? {
            d.sessions.insert(s.id(), s);
        }
        let registered = lock(&self.inner.product_tables).clone();
        for p in from_rows::<Product>(get("product"), "product")? {
            if !registered.contains(&p.table) {
                return Err(incompatible(format!("the product table `{}` is not registered here", p.table)));
            }
            d.product.entry(p.table).or_default().insert(p.key, p.row);
        }
        d.audit = Arc::new(from_rows(get("audit"), "audit")?);
        Ok(d)
    }

    /// Every row must be this tenant's (the store's wall, as row-level security is in SQL).
    fn all_own(&self, d: &TenantData) -> Result<(), StoreError> {
        let t = self.tenant;
        let own = d.tenant.iter().all(|x| x.id() == t)
            && d.users.values().all(|x| x.tenant_id() == t)
            && d.invitations.values().all(|x| x.tenant_id() == t)
            && d.roles.values().all(|x| x.tenant_id == t)
            && d.api_keys.values().all(|x| x.tenant_id() == t)
            && d.subscription.iter().all(|(s, _)| s.tenant_id() == t)
            && d.erasures.iter().all(|x| x.tenant_id == t)
            && d.resets.values().all(|x| x.tenant_id == t)
            && d.jobs.values().all(|x| x.tenant_id == t)
            && d.exports.values().all(|x| x.tenant_id() == t)
            && d.files.values().all(|x| x.tenant_id == t)
            && d.sessions.values().all(|x| match x.owner() {
                tenantry_domain::session::SessionOwner::User(u) => d.users.contains_key(&u),
                tenantry_domain::session::SessionOwner::Superuser(_) => false,
            })
            && d.audit.iter().all(|x| x.tenant_id == Some(t));
        if own { Ok(()) } else { Err(super::mismatch("a restored row")) }
    }
}

#[async_trait]
impl BackupStore for MemTenantTx {
    async fn dump_rows(&mut self) -> Result<TenantRows, StoreError> {
        self.live()?;
        self.rows_of()
    }

    async fn load_rows(&mut self, rows: &TenantRows, changes: &LoadChanges) -> Result<(), StoreError> {
        self.writable()?;
        let mut data = self.data_of(rows)?;
        self.all_own(&data)?;
        if let Some(slug) = &changes.slug
            && let Some(t) = &mut data.tenant
        {
            t.restore_as(slug.clone());
        }
        if changes.unlink_billing
            && let Some((s, _)) = &mut data.subscription
        {
            s.unlink_provider();
        }
        if let Some(t) = &data.tenant
            && self.slug_taken_by_other(t.slug())
        {
            return Err(self.conflict(Constraint::TenantSlug));
        }
        let audit = std::mem::take(&mut data.audit);
        self.work = data;
        self.appended = Arc::unwrap_or_clone(audit);
        self.redactions.clear();
        self.purged = true;
        Ok(())
    }
}

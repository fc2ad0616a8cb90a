//! # The timesheets example
//!
//! A small but real product module built only on tenantry's public embedding
//! API (docs/EMBEDDING.md): employees log time per project and day, managers
//! approve or reject it, everyone reads. It has its own migration (one table,
//! made tenant-owned by `tenantry.register_product_table`), its own
//! permissions in tenantry's RBAC, its own audit events, its use cases on
//! tenant-scoped transactions, and its routes mounted with
//! `router_with_product`.
//!
//! Its store has two adapters, like tenantry's: [`PgEntries`] on
//! `PgStore::scoped` transactions — whose queries carry no `WHERE tenant_id`:
//! row-level security confines them — and [`MemoryEntries`] on
//! `MemoryStore::scoped`, which holds one tenant's rows only, for the embedded
//! default and offline tests. The use cases are written once, above both.

use async_trait::async_trait;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Extension, Path};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, NaiveDate, Utc};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use sqlx::Row;
use std::sync::Arc;
use tenantry_domain::rbac::{BuiltinRole, Policy, RbacError};
use tenantry_domain::{AuditTarget, EntityId, ProductAction, UserId};
use tenantry_http::AppState;
use tenantry_http::auth::InTenant;
use tenantry_http::problem::ApiError;
use tenantry_memory::MemoryStore;
use tenantry_memory::store::{MemoryScoped, ProductTableError};
use tenantry_ports::services::AccessError;
use tenantry_ports::store::Access;
use tenantry_ports::{ErrorKind, InfraError, Problem, StoreError, TenantScope, Tenantry};
use tenantry_postgres::embedding::ScopedTx;
use tenantry_postgres::{MigrateError, PgStore};
use uuid::Uuid;

/// Read every entry of the tenant.
pub const READ: &str = "timesheets:read";
/// Log one's own time.
pub const LOG: &str = "timesheets:log";
/// Approve or reject entries.
pub const APPROVE: &str = "timesheets:approve";

/// The product's table.
pub const TABLE: &str = "timesheets.entries";
/// The audit action of an approval.
pub const APPROVED: &str = "timesheets.entry_approved";
/// The audit action of a rejection.
pub const REJECTED: &str = "timesheets.entry_rejected";

/// tenantry's policy with the product's permissions: everyone reads; members,
/// managers and admins log; managers and admins approve (the owner holds all).
pub fn policy() -> Result<Policy, RbacError> {
    use BuiltinRole::*;
    Ok(Policy::builder()
        .permission(READ, &[Admin, Manager, Member, Viewer])?
        .permission(LOG, &[Admin, Manager, Member])?
        .permission(APPROVE, &[Admin, Manager])?
        .build())
}

/// The product's migrations.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Where the product keeps its migration history (never tenantry's).
pub const HISTORY_TABLE: &str = "timesheets._migrations";

/// Runs tenantry's migrations, then the product's, as the owner.
pub async fn migrate(admin_url: &SecretString) -> Result<(), MigrateError> {
    tenantry_postgres::embedding::migrate_product(admin_url, &MIGRATOR, HISTORY_TABLE).await
}

/// Where an entry stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Logged, waiting for a manager.
    Submitted,
    /// Approved by a manager.
    Approved,
    /// Rejected by a manager.
    Rejected,
}

impl Status {
    fn as_str(self) -> &'static str {
        match self {
            Status::Submitted => "submitted",
            Status::Approved => "approved",
            Status::Rejected => "rejected",
        }
    }

    fn parse(text: &str) -> Result<Self, StoreError> {
        match text {
            "submitted" => Ok(Status::Submitted),
            "approved" => Ok(Status::Approved),
            "rejected" => Ok(Status::Rejected),
            other => Err(StoreError::Unknown(anyhow::anyhow!("timesheets.entries: unknown status `{other}`"))),
        }
    }
}

/// One entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// Id.
    pub id: Uuid,
    /// Who worked.
    pub user_id: Uuid,
    /// The project.
    pub project: String,
    /// The day.
    pub day: NaiveDate,
    /// Minutes worked (1 to 1440).
    pub minutes: i32,
    /// A note.
    pub note: String,
    /// Where it stands.
    pub status: Status,
    /// Who approved or rejected it.
    pub decided_by: Option<Uuid>,
    /// When it was logged.
    pub created_at: DateTime<Utc>,
}

/// Time to log.
#[derive(Clone, Debug, Deserialize)]
pub struct LogInput {
    /// The project (1 to 100 characters).
    pub project: String,
    /// The day.
    pub day: NaiveDate,
    /// Minutes (1 to 1440).
    pub minutes: i32,
    /// A note (at most 500 characters).
    #[serde(default)]
    pub note: String,
}

/// Why a timesheet request was refused; nothing changed.
#[derive(Debug, thiserror::Error)]
pub enum TimesheetError {
    /// A field is invalid.
    #[error("`{0}`: {1}")]
    Invalid(&'static str, &'static str),
    /// No such entry in the tenant (also for another tenant's ids).
    #[error("not found")]
    NotFound,
    /// The entry was already approved or rejected.
    #[error("the entry was already {}", .0.as_str())]
    AlreadyDecided(Status),
    /// Only a user logs time (not an API key or the operator).
    #[error("only a user of the tenant logs time")]
    NotAUser,
    /// Access.
    #[error(transparent)]
    Access(#[from] AccessError),
    /// The store.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// tenantry's clock or id generator.
    #[error(transparent)]
    Infra(#[from] InfraError),
}

impl Problem for TimesheetError {
    fn code(&self) -> &'static str {
        match self {
            TimesheetError::Invalid(..) => "invalid_request",
            TimesheetError::NotFound => "not_found",
            TimesheetError::AlreadyDecided(_) => "already_decided",
            TimesheetError::NotAUser => "not_a_user",
            TimesheetError::Access(e) => e.code(),
            TimesheetError::Store(_) | TimesheetError::Infra(_) => "internal_error",
        }
    }
    fn kind(&self) -> ErrorKind {
        match self {
            TimesheetError::Invalid(..) => ErrorKind::Invalid,
            TimesheetError::NotFound => ErrorKind::NotFound,
            TimesheetError::AlreadyDecided(_) => ErrorKind::Conflict,
            TimesheetError::NotAUser => ErrorKind::Forbidden,
            TimesheetError::Access(e) => e.kind(),
            TimesheetError::Store(StoreError::Unavailable(_)) | TimesheetError::Infra(InfraError::Unavailable(_)) => {
                ErrorKind::Unavailable
            }
            TimesheetError::Store(_) | TimesheetError::Infra(_) => ErrorKind::Internal,
        }
    }
}

/// The product's store port: a unit of work on the scope's tenant's entries.
#[async_trait]
pub trait EntryStore: Send + Sync {
    /// A unit of work confined to `scope`'s tenant.
    async fn begin(&self, scope: &TenantScope, access: Access) -> Result<Box<dyn EntryTx>, StoreError>;
}

/// A unit of work on one tenant's entries; dropped without commit, it rolls back.
#[async_trait]
pub trait EntryTx: Send {
    /// Adds an entry.
    async fn insert(&mut self, entry: &Entry) -> Result<(), StoreError>;
    /// The newest entries (by day, then by logging time), at most `limit`.
    async fn list(&mut self, limit: usize) -> Result<Vec<Entry>, StoreError>;
    /// One entry, locked against concurrent decisions until the end.
    async fn entry_for_update(&mut self, id: Uuid) -> Result<Option<Entry>, StoreError>;
    /// Records a decision.
    async fn decide(&mut self, entry: &Entry) -> Result<(), StoreError>;
    /// Appends a product audit event to the tenant's log.
    async fn audit(&mut self, event: &tenantry_domain::AuditEvent) -> Result<(), StoreError>;
    /// Commits.
    async fn commit(self: Box<Self>) -> Result<(), StoreError>;
}

/// The product's use cases.
pub struct Timesheets {
    tenantry: Tenantry,
    store: Arc<dyn EntryStore>,
}

impl Timesheets {
    /// On tenantry's use cases (for permissions, the clock, ids and audit events) and an entry store.
    pub fn new(tenantry: Tenantry, store: Arc<dyn EntryStore>) -> Self {
        Self { tenantry, store }
    }

    /// On PostgreSQL (after [`migrate`]).
    pub fn on_postgres(tenantry: Tenantry, store: PgStore) -> Self {
        Self::new(tenantry, Arc::new(PgEntries(store)))
    }

    /// On tenantry's memory store (the embedded default); registers the table.
    pub fn in_memory(tenantry: Tenantry, store: MemoryStore) -> Result<Self, ProductTableError> {
        store.register_product_table(TABLE)?;
        Ok(Self::new(tenantry, Arc::new(MemoryEntries(store))))
    }

    /// Logs the caller's own time.
    pub async fn log(&self, scope: &TenantScope, input: LogInput) -> Result<Entry, TimesheetError> {
        self.tenantry.require_permission(scope, LOG, "timesheets.log").await?;
        let user = scope.actor().user_id().ok_or(TimesheetError::NotAUser)?;
        let project = input.project.trim();
        if project.is_empty() || project.chars().count() > 100 {
            return Err(TimesheetError::Invalid("project", "1 to 100 characters"));
        }
        if !(1..=1440).contains(&input.minutes) {
            return Err(TimesheetError::Invalid("minutes", "between 1 and 1440"));
        }
        if input.note.chars().count() > 500 {
            return Err(TimesheetError::Invalid("note", "at most 500 characters"));
        }
        let entry = Entry {
            id: self.tenantry.new_uuid(),
            user_id: user.as_uuid(),
            project: project.to_owned(),
            day: input.day,
            minutes: input.minutes,
            note: input.note,
            status: Status::Submitted,
            decided_by: None,
            created_at: self.tenantry.now(),
        };
        let mut tx = self.store.begin(scope, Access::Write).await?;
        tx.insert(&entry).await?;
        tx.commit().await?;
        Ok(entry)
    }

    /// Every entry of the tenant, newest day first (at most 500).
    pub async fn list(&self, scope: &TenantScope) -> Result<Vec<Entry>, TimesheetError> {
        self.tenantry.require_permission(scope, READ, "timesheets.list").await?;
        let mut tx = self.store.begin(scope, Access::Read).await?;
        Ok(tx.list(500).await?)
    }

    /// Approves (`true`) or rejects a submitted entry, recording it in the tenant's audit log.
    pub async fn decide(&self, scope: &TenantScope, id: Uuid, approve: bool) -> Result<Entry, TimesheetError> {
        self.tenantry.require_permission(scope, APPROVE, "timesheets.decide").await?;
        let (status, action) = if approve { (Status::Approved, APPROVED) } else { (Status::Rejected, REJECTED) };
        let action = ProductAction::new(action).map_err(|e| InfraError::Unknown(e.into()))?;
        let mut tx = self.store.begin(scope, Access::Write).await?;
        let mut entry = tx.entry_for_update(id).await?.ok_or(TimesheetError::NotFound)?;
        if entry.status != Status::Submitted {
            return Err(TimesheetError::AlreadyDecided(entry.status));
        }
        entry.status = status;
        entry.decided_by = scope.actor().user_id().map(|u| u.as_uuid());
        tx.decide(&entry).await?;
        let about = UserId::from_uuid(entry.user_id).ok().map(AuditTarget::User);
        let event = self
            .tenantry
            .product_event(scope, action, about)?
            .with("entry", entry.id)
            .with("project", &entry.project)
            .with("minutes", entry.minutes);
        tx.audit(&event).await?;
        tx.commit().await?;
        Ok(entry)
    }
}

/// Entries in PostgreSQL, on `PgStore::scoped` transactions: no statement
/// names the tenant — row-level security confines every one of them.
pub struct PgEntries(pub PgStore);

struct PgEntryTx(ScopedTx);

fn store_error(e: sqlx::Error) -> StoreError {
    StoreError::Unknown(e.into())
}

#[async_trait]
impl EntryStore for PgEntries {
    async fn begin(&self, scope: &TenantScope, access: Access) -> Result<Box<dyn EntryTx>, StoreError> {
        Ok(Box::new(PgEntryTx(self.0.scoped(scope, access).await?)))
    }
}

#[async_trait]
impl EntryTx for PgEntryTx {
    async fn insert(&mut self, e: &Entry) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO timesheets.entries (tenant_id, id, user_id, project, day, minutes, note, status, created_at) \
             VALUES (current_setting('tenantry.tenant_id')::uuid, $1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(e.id)
        .bind(e.user_id)
        .bind(&e.project)
        .bind(e.day)
        .bind(e.minutes)
        .bind(&e.note)
        .bind(e.status.as_str())
        .bind(e.created_at)
        .execute(self.0.conn())
        .await
        .map_err(store_error)?;
        Ok(())
    }

    async fn list(&mut self, limit: usize) -> Result<Vec<Entry>, StoreError> {
        // No tenant filter: row-level security shows this tenant's rows only.
        let rows = sqlx::query("SELECT * FROM timesheets.entries ORDER BY day DESC, created_at DESC, id LIMIT $1")
            .bind(i64::try_from(limit).unwrap_or(i64::MAX))
            .fetch_all(self.0.conn())
            .await
            .map_err(store_error)?;
        rows.iter().map(entry).collect()
    }

    async fn entry_for_update(&mut self, id: Uuid) -> Result<Option<Entry>, StoreError> {
        let row = sqlx::query("SELECT * FROM timesheets.entries WHERE id = $1 FOR UPDATE")
            .bind(id)
            .fetch_optional(self.0.conn())
            .await
            .map_err(store_error)?;
        row.as_ref().map(entry).transpose()
    }

    async fn decide(&mut self, e: &Entry) -> Result<(), StoreError> {
        let done = sqlx::query("UPDATE timesheets.entries SET status = $2, decided_by = $3 WHERE id = $1")
            .bind(e.id)
            .bind(e.status.as_str())
            .bind(e.decided_by)
            .execute(self.0.conn())
            .await
            .map_err(store_error)?;
        if done.rows_affected() == 1 { Ok(()) } else { Err(StoreError::NotFound) }
    }

    async fn audit(&mut self, event: &tenantry_domain::AuditEvent) -> Result<(), StoreError> {
        self.0.audit(event).await
    }

    async fn commit(self: Box<Self>) -> Result<(), StoreError> {
        self.0.commit().await
    }
}

fn entry(row: &sqlx::postgres::PgRow) -> Result<Entry, StoreError> {
    Ok(Entry {
        id: row.try_get("id").map_err(store_error)?,
        user_id: row.try_get("user_id").map_err(store_error)?,
        project: row.try_get("project").map_err(store_error)?,
        day: row.try_get("day").map_err(store_error)?,
        minutes: row.try_get("minutes").map_err(store_error)?,
        note: row.try_get("note").map_err(store_error)?,
        status: Status::parse(row.try_get("status").map_err(store_error)?)?,
        decided_by: row.try_get("decided_by").map_err(store_error)?,
        created_at: row.try_get("created_at").map_err(store_error)?,
    })
}

/// Entries in tenantry's memory store, on `MemoryStore::scoped` units of work
/// (which hold one tenant's rows only). Writers hold the tenant's lock, so
/// reading an entry "for update" needs nothing more.
pub struct MemoryEntries(pub MemoryStore);

struct MemoryEntryTx(MemoryScoped);

#[async_trait]
impl EntryStore for MemoryEntries {
    async fn begin(&self, scope: &TenantScope, access: Access) -> Result<Box<dyn EntryTx>, StoreError> {
        Ok(Box::new(MemoryEntryTx(self.0.scoped(scope, access).await?)))
    }
}

#[async_trait]
impl EntryTx for MemoryEntryTx {
    async fn insert(&mut self, e: &Entry) -> Result<(), StoreError> {
        self.0.table(TABLE)?.insert(&e.id.to_string(), e)
    }

    async fn list(&mut self, limit: usize) -> Result<Vec<Entry>, StoreError> {
        let mut all: Vec<Entry> = self.0.table(TABLE)?.list()?;
        all.sort_by(|a, b| b.day.cmp(&a.day).then(b.created_at.cmp(&a.created_at)).then(a.id.cmp(&b.id)));
        all.truncate(limit);
        Ok(all)
    }

    async fn entry_for_update(&mut self, id: Uuid) -> Result<Option<Entry>, StoreError> {
        self.0.table(TABLE)?.get(&id.to_string())
    }

    async fn decide(&mut self, e: &Entry) -> Result<(), StoreError> {
        self.0.table(TABLE)?.update(&e.id.to_string(), e)
    }

    async fn audit(&mut self, event: &tenantry_domain::AuditEvent) -> Result<(), StoreError> {
        self.0.audit(event).await
    }

    async fn commit(self: Box<Self>) -> Result<(), StoreError> {
        self.0.commit().await
    }
}

type Answer<T> = Result<Json<T>, ApiError>;

async fn list(Extension(app): Extension<Arc<Timesheets>>, InTenant(scope): InTenant) -> Answer<Vec<Entry>> {
    Ok(Json(app.list(&scope).await?))
}

async fn log(
    Extension(app): Extension<Arc<Timesheets>>,
    InTenant(scope): InTenant,
    body: Result<Json<LogInput>, JsonRejection>,
) -> Answer<Entry> {
    let Json(input) = body.map_err(ApiError::json)?;
    Ok(Json(app.log(&scope, input).await?))
}

/// An entry id from the path; a malformed one is as missing as another tenant's.
fn entry_id(text: &str) -> Result<Uuid, ApiError> {
    Uuid::try_parse(text).map_err(|_| ApiError::not_found())
}

async fn approve(
    Extension(app): Extension<Arc<Timesheets>>,
    InTenant(scope): InTenant,
    Path((_, eid)): Path<(String, String)>,
) -> Answer<Entry> {
    Ok(Json(app.decide(&scope, entry_id(&eid)?, true).await?))
}

async fn reject(
    Extension(app): Extension<Arc<Timesheets>>,
    InTenant(scope): InTenant,
    Path((_, eid)): Path<(String, String)>,
) -> Answer<Entry> {
    Ok(Json(app.decide(&scope, entry_id(&eid)?, false).await?))
}

/// The product's routes, for [`tenantry_http::router_with_product`]:
/// `GET/POST /v1/tenants/{tid}/timesheets`, `POST .../timesheets/{eid}/approve|reject`.
pub fn routes(app: Arc<Timesheets>) -> Router<AppState> {
    Router::new()
        .route("/timesheets", get(list).post(log))
        .route("/timesheets/{eid}/approve", post(approve))
        .route("/timesheets/{eid}/reject", post(reject))
        .layer(Extension(app))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // test code
mod tests {
    use super::*;

    #[test]
    fn the_audit_actions_are_valid_product_actions() {
        for action in [APPROVED, REJECTED] {
            assert_eq!(ProductAction::new(action).unwrap().as_str(), action);
        }
    }
}

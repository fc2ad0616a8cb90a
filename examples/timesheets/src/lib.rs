//! # The timesheets example
//!
//! A small but real product module built only on tenantry's public embedding
//! API (docs/EMBEDDING.md): employees log time per project and day, managers
//! approve or reject it, everyone reads. It has its own migration (one table,
//! made tenant-owned by `tenantry.register_product_table`), its own
//! permissions in tenantry's RBAC, its use cases on `PgStore::scoped`
//! transactions — whose queries carry no `WHERE tenant_id`: row-level security
//! confines them — and its routes mounted with `router_with_product`.

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
use tenantry_http::AppState;
use tenantry_http::auth::InTenant;
use tenantry_http::problem::ApiError;
use tenantry_ports::services::AccessError;
use tenantry_ports::store::Access;
use tenantry_ports::{ErrorKind, Problem, StoreError, TenantScope, Tenantry};
use tenantry_postgres::{MigrateError, PgStore};
use uuid::Uuid;

/// Read every entry of the tenant.
pub const READ: &str = "timesheets:read";
/// Log one's own time.
pub const LOG: &str = "timesheets:log";
/// Approve or reject entries.
pub const APPROVE: &str = "timesheets:approve";

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

/// One entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
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
    /// `submitted`, `approved` or `rejected`.
    pub status: String,
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
    #[error("the entry was already {0}")]
    AlreadyDecided(String),
    /// Only a user logs time (not an API key or the operator).
    #[error("only a user of the tenant logs time")]
    NotAUser,
    /// Access.
    #[error(transparent)]
    Access(#[from] AccessError),
    /// The store.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Problem for TimesheetError {
    fn code(&self) -> &'static str {
        match self {
            TimesheetError::Invalid(..) => "invalid_request",
            TimesheetError::NotFound => "not_found",
            TimesheetError::AlreadyDecided(_) => "already_decided",
            TimesheetError::NotAUser => "not_a_user",
            TimesheetError::Access(e) => e.code(),
            TimesheetError::Store(_) => "internal_error",
        }
    }
    fn kind(&self) -> ErrorKind {
        match self {
            TimesheetError::Invalid(..) => ErrorKind::Invalid,
            TimesheetError::NotFound => ErrorKind::NotFound,
            TimesheetError::AlreadyDecided(_) => ErrorKind::Conflict,
            TimesheetError::NotAUser => ErrorKind::Forbidden,
            TimesheetError::Access(e) => e.kind(),
            TimesheetError::Store(StoreError::Unavailable(_)) => ErrorKind::Unavailable,
            TimesheetError::Store(_) => ErrorKind::Internal,
        }
    }
}

fn store_error(e: sqlx::Error) -> StoreError {
    StoreError::Unknown(e.into())
}

/// The product's use cases.
pub struct Timesheets {
    tenantry: Tenantry,
    store: PgStore,
}

impl Timesheets {
    /// On tenantry's use cases (for permissions) and its PostgreSQL store (for scoped transactions).
    pub fn new(tenantry: Tenantry, store: PgStore) -> Self {
        Self { tenantry, store }
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
        let mut tx = self.store.scoped(scope, Access::Write).await?;
        let row = sqlx::query(
            "INSERT INTO timesheets.entries (tenant_id, id, user_id, project, day, minutes, note, status, created_at) \
             VALUES (current_setting('tenantry.tenant_id')::uuid, gen_random_uuid(), $1, $2, $3, $4, $5, 'submitted', now()) \
             RETURNING *",
        )
        .bind(user.as_uuid())
        .bind(project)
        .bind(input.day)
        .bind(input.minutes)
        .bind(&input.note)
        .fetch_one(tx.conn())
        .await
        .map_err(store_error)?;
        let entry = entry(&row)?;
        tx.commit().await?;
        Ok(entry)
    }

    /// Every entry of the tenant, newest day first (at most 500).
    pub async fn list(&self, scope: &TenantScope) -> Result<Vec<Entry>, TimesheetError> {
        self.tenantry.require_permission(scope, READ, "timesheets.list").await?;
        let mut tx = self.store.scoped(scope, Access::Read).await?;
        // No tenant filter: row-level security shows this tenant's rows only.
        let rows = sqlx::query("SELECT * FROM timesheets.entries ORDER BY day DESC, created_at DESC LIMIT 500")
            .fetch_all(tx.conn())
            .await
            .map_err(store_error)?;
        rows.iter().map(entry).collect()
    }

    /// Approves (`true`) or rejects a submitted entry.
    pub async fn decide(&self, scope: &TenantScope, id: Uuid, approve: bool) -> Result<Entry, TimesheetError> {
        self.tenantry.require_permission(scope, APPROVE, "timesheets.decide").await?;
        let decided_by = scope.actor().user_id().map(|u| u.as_uuid());
        let mut tx = self.store.scoped(scope, Access::Write).await?;
        let current = sqlx::query("SELECT status FROM timesheets.entries WHERE id = $1 FOR UPDATE")
            .bind(id)
            .fetch_optional(tx.conn())
            .await
            .map_err(store_error)?
            .ok_or(TimesheetError::NotFound)?;
        let status: String = current.try_get("status").map_err(store_error)?;
        if status != "submitted" {
            return Err(TimesheetError::AlreadyDecided(status));
        }
        let row = sqlx::query("UPDATE timesheets.entries SET status = $2, decided_by = $3 WHERE id = $1 RETURNING *")
            .bind(id)
            .bind(if approve { "approved" } else { "rejected" })
            .bind(decided_by)
            .fetch_one(tx.conn())
            .await
            .map_err(store_error)?;
        let entry = entry(&row)?;
        tx.commit().await?;
        Ok(entry)
    }
}

fn entry(row: &sqlx::postgres::PgRow) -> Result<Entry, TimesheetError> {
    let get = |e: sqlx::Error| TimesheetError::Store(store_error(e));
    Ok(Entry {
        id: row.try_get("id").map_err(get)?,
        user_id: row.try_get("user_id").map_err(get)?,
        project: row.try_get("project").map_err(get)?,
        day: row.try_get("day").map_err(get)?,
        minutes: row.try_get("minutes").map_err(get)?,
        note: row.try_get("note").map_err(get)?,
        status: row.try_get("status").map_err(get)?,
        decided_by: row.try_get("decided_by").map_err(get)?,
        created_at: row.try_get("created_at").map_err(get)?,
    })
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

//! The store on PostgreSQL: the product's migration, and `PgStore::scoped` transactions. Row-level
//! security confines every statement to the transaction's tenant; each also names the tenant
//! (`WHERE tenant_id = …`), which on Citus sends it to the one shard that holds the tenant (a
//! row lock across shards is refused there).

use crate::{Entry, EntryStore, EntryTx, Status};
use async_trait::async_trait;
use secrecy::SecretString;
use sqlx::Row;
use tenantry_ports::store::Access;
use tenantry_ports::{StoreError, TenantScope};
use tenantry_postgres::embedding::ScopedTx;
use tenantry_postgres::{MigrateError, PgStore};
use uuid::Uuid;

/// The product's migrations.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Where the product keeps its migration history (never tenantry's).
pub const HISTORY_TABLE: &str = "timesheets._migrations";

/// Runs tenantry's migrations, then the product's, as the owner.
pub async fn migrate(admin_url: &SecretString) -> Result<(), MigrateError> {
    tenantry_postgres::embedding::migrate_product(admin_url, &MIGRATOR, HISTORY_TABLE).await
}

/// Entries in PostgreSQL, on `PgStore::scoped` transactions: row-level
/// security confines every statement; each names the tenant for routing.
pub struct PgEntries(pub PgStore);

struct PgEntryTx(ScopedTx);

pub(crate) fn store_error(e: sqlx::Error) -> StoreError {
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
        let rows = sqlx::query(
            "SELECT * FROM timesheets.entries WHERE tenant_id = $2 ORDER BY day DESC, created_at DESC, id LIMIT $1",
        )
        .bind(i64::try_from(limit).unwrap_or(i64::MAX))
        .bind(self.0.tenant_id().as_uuid())
        .fetch_all(self.0.conn())
        .await
        .map_err(store_error)?;
        rows.iter().map(entry).collect()
    }

    async fn entry_for_update(&mut self, id: Uuid) -> Result<Option<Entry>, StoreError> {
        let row = sqlx::query("SELECT * FROM timesheets.entries WHERE tenant_id = $2 AND id = $1 FOR UPDATE")
            .bind(id)
            .bind(self.0.tenant_id().as_uuid())
            .fetch_optional(self.0.conn())
            .await
            .map_err(store_error)?;
        row.as_ref().map(entry).transpose()
    }

    async fn decide(&mut self, e: &Entry) -> Result<(), StoreError> {
        let done =
            sqlx::query("UPDATE timesheets.entries SET status = $2, decided_by = $3 WHERE tenant_id = $4 AND id = $1")
                .bind(e.id)
                .bind(e.status.as_str())
                .bind(e.decided_by)
                .bind(self.0.tenant_id().as_uuid())
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

pub(crate) fn entry(row: &sqlx::postgres::PgRow) -> Result<Entry, StoreError> {
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

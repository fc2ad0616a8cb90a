//! The embedding API: a product's own tenant-owned tables, as safe as
//! tenantry's without the product team having to remember anything.
//!
//! - **Schema**: in the product's own migration, one line per table,
//!   `SELECT tenantry.register_product_table('timesheets.entries');` (migration
//!   `0005_product_tables.sql`): the shape is checked, row-level security is
//!   enabled and forced with the standard policy, the service role is granted
//!   access, and the table is recorded in the registry ([`product_tables`]).
//! - **History**: [`migrate_product`] runs the product's sqlx migrations as the
//!   owner with a history table of its own, so they never collide with tenantry's.
//! - **Queries**: [`PgStore::scoped`] opens a transaction on which
//!   `tenantry.tenant_id` is already set to a [`TenantScope`]'s tenant — and a
//!   scope only comes from tenantry's front door (wall 1). Whatever SQL the
//!   product runs on it, row-level security (wall 2) shows and accepts only
//!   that tenant's rows: a query that forgets `WHERE tenant_id` still sees one
//!   tenant. The transaction runs as the product's own role,
//!   `tenantry_product` ([`crate::PgOptions::product_url`]), which is granted
//!   the registered product tables and the scoped helper that appends a
//!   product's audit event — nothing of tenantry's own tables or named paths,
//!   so even product SQL that an attacker steers (an injection) cannot read
//!   tenantry's users or write the platform. There is no public way to get a
//!   connection of the service role from the store.

use crate::{MigrateError, PgStore, error, lock_key};
use secrecy::SecretString;
use sqlx::{PgConnection, Postgres, Transaction};
use tenantry_domain::{AuditEvent, TenantId};
use tenantry_ports::store::Access;
use tenantry_ports::{StoreError, TenantScope};

/// A transaction scoped to one tenant, for a product's own queries.
///
/// Row-level security holds on every statement run on [`ScopedTx::conn`]. A
/// writer holds the tenant's advisory lock until it ends (decision 0006), so
/// product writes serialise with tenantry's own writes of the same tenant.
/// Dropped without [`ScopedTx::commit`], it rolls back.
pub struct ScopedTx {
    tx: Transaction<'static, Postgres>,
    tenant: TenantId,
}

impl std::fmt::Debug for ScopedTx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScopedTx").field("tenant", &self.tenant).finish_non_exhaustive()
    }
}

impl ScopedTx {
    /// The tenant every statement is confined to.
    pub fn tenant_id(&self) -> TenantId {
        self.tenant
    }

    /// The connection to run the product's statements on (`sqlx::query(..).fetch_all(tx.conn())`).
    pub fn conn(&mut self) -> &mut PgConnection {
        &mut self.tx
    }

    /// Appends a product's audit event ([`tenantry_ports::Tenantry::product_event`])
    /// to the tenant's log in this transaction, so it is recorded exactly when
    /// the change it describes commits — on plain PostgreSQL and on Citus. An
    /// event of another tenant (or of the platform log) is refused; in the
    /// database the product role may only insert into the log, into the
    /// transaction's tenant (the tenant policies), and the trigger
    /// `product_audit_rules` (migration 0032) refuses tenantry's own
    /// namespaces and dates the event by tenantry's clock.
    pub async fn audit(&mut self, event: &AuditEvent) -> Result<(), StoreError> {
        if event.tenant_id != Some(self.tenant) {
            return Err(StoreError::Unknown(anyhow::anyhow!(
                "an audit event of another log refused by the transaction's scope"
            )));
        }
        crate::tenant_tx::insert_audit(self.tenant.as_uuid(), event)
            .execute(&mut *self.tx)
            .await
            .map_err(error::store)?;
        Ok(())
    }

    /// Commits.
    pub async fn commit(self) -> Result<(), StoreError> {
        self.tx.commit().await.map_err(error::store)
    }

    /// Rolls back (dropping does too).
    pub async fn rollback(self) -> Result<(), StoreError> {
        self.tx.rollback().await.map_err(error::store)
    }
}

/// How a unit of work starts: one simple query, and on Citus a second one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Begin {
    /// The transaction (and what goes with it), in one round trip.
    pub(crate) first: String,
    /// On Citus: the tenant, alone in its own query (see [`begin_sql`]).
    pub(crate) then: Option<String>,
}

impl From<&str> for Begin {
    fn from(first: &str) -> Self {
        Self { first: first.to_owned(), then: None }
    }
}

/// The `BEGIN` of a unit of work for `tenant`: the transaction, the tenant for
/// row-level security (`SET LOCAL`: transaction-local), and for writers the
/// tenant's advisory lock. Formatted from a parsed UUID and an i64, never
/// from text a caller supplied.
///
/// On plain PostgreSQL it is one simple query, one round trip. On a Citus
/// coordinator (`citus`) the tenant must reach the workers that hold the
/// tenant's shards, or their row-level security sees no tenant and answers
/// no rows (a `set_config(…, true)` is not propagated). Citus propagates a
/// `SET LOCAL` made under `citus.propagate_set_commands = 'local'` by replaying,
/// on each worker transaction it opens, the *whole query string* the `SET` came
/// in — checked on a 13.2.2 cluster: in one string with the `BEGIN` and the
/// advisory lock, the workers warned "there is already a transaction in
/// progress" and took the tenant's advisory lock too, which a second connection
/// of the same transaction to the same worker would wait on. So on Citus the
/// tenant's `SET LOCAL` is a query of its own (two round trips), and only it is
/// replayed (issue 26).
pub(crate) fn begin_sql(tenant: TenantId, access: Access, citus: bool) -> Begin {
    let start = match access {
        Access::Read => "BEGIN READ ONLY".to_owned(),
        Access::Write => format!("BEGIN; SELECT pg_advisory_xact_lock({})", lock_key(tenant)),
    };
    begin_in(tenant, start, citus)
}

/// A transaction that `start` opens, set to `tenant` as [`begin_sql`] sets it
/// (the file store's chunk writes open one without the tenant's writer lock:
/// an upload must not hold the tenant's other writers for its duration).
pub(crate) fn begin_in(tenant: TenantId, start: String, citus: bool) -> Begin {
    let set = format!("SET LOCAL tenantry.tenant_id = '{}'", tenant.as_uuid().hyphenated());
    if citus {
        Begin { first: format!("{start}; SET LOCAL citus.propagate_set_commands = 'local'"), then: Some(set) }
    } else {
        Begin { first: format!("{start}; {set}"), then: None }
    }
}

impl PgStore {
    /// A transaction for a product's own queries, confined to `scope`'s
    /// tenant, as the product role. `StoreError::Unknown` when the store was
    /// connected without [`crate::PgOptions::product_url`].
    pub async fn scoped(&self, scope: &TenantScope, access: Access) -> Result<ScopedTx, StoreError> {
        let tenant = scope.tenant_id();
        let Some(product) = &self.product else {
            return Err(StoreError::Unknown(anyhow::anyhow!(
                "no product role: connect the store with PgOptions::product_url (DATABASE_PRODUCT_URL, the role \
                 tenantry_product that `tenantry migrate` creates)"
            )));
        };
        let tx = crate::open_on(product, begin_sql(tenant, access, self.citus)).await?;
        Ok(ScopedTx { tx, tenant })
    }

    /// The registered product tables (schema-qualified), for exports and restores.
    pub async fn product_tables(&self) -> Result<Vec<String>, StoreError> {
        product_tables(self.pool()).await
    }
}

/// The registered product tables of the database behind `pool`.
pub async fn product_tables(pool: &sqlx::PgPool) -> Result<Vec<String>, StoreError> {
    // In a transaction, as every statement through a transaction pooler must be.
    let mut tx = pool.begin().await.map_err(error::store)?;
    let tables = sqlx::query_scalar("SELECT table_name FROM tenantry.product_tables ORDER BY table_name")
        .fetch_all(&mut *tx)
        .await
        .map_err(error::store)?;
    tx.commit().await.map_err(error::store)?;
    Ok(tables)
}

/// Why a product's history table name was refused.
fn check_history_table(name: &str) -> Result<(), MigrateError> {
    let valid = !name.is_empty()
        && name.len() <= 63
        && name.split('.').count() <= 2
        && name.split('.').all(|part| {
            !part.is_empty()
                && part.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
                && !part.starts_with(|c: char| c.is_ascii_digit())
        });
    if !valid {
        return Err(MigrateError::Connect(format!(
            "`{name}` is not a usable migration history table name (lower-case letters, digits and _; optionally schema.table)"
        )));
    }
    if name == "_sqlx_migrations" || name.starts_with("tenantry.") || name.starts_with("tenantry_lookup.") {
        return Err(MigrateError::Connect(format!(
            "`{name}` would share tenantry's migration history; give the product its own (e.g. `timesheets._migrations`)"
        )));
    }
    Ok(())
}

/// Runs a product's migrations as the owner (`DATABASE_ADMIN_URL`), after
/// tenantry's own, keeping their history in `history_table` (e.g.
/// `timesheets._migrations`; its schema is created first if missing, so the
/// product's own `CREATE SCHEMA` says `IF NOT EXISTS`).
pub async fn migrate_product(
    admin_url: &SecretString,
    migrator: &sqlx::migrate::Migrator,
    history_table: &str,
) -> Result<(), MigrateError> {
    check_history_table(history_table)?;
    let pool = crate::admin_pool(admin_url).await?;
    crate::MIGRATOR.run(&pool).await?;
    // On Citus tenantry's tables are distributed before the product's, whose keys reference them.
    crate::distribute_on(&pool).await?;
    let mut product = sqlx::migrate::Migrator::with_migrations(migrator.iter().cloned().collect());
    product.dangerous_set_table_name(history_table.to_owned());
    if let Some((schema, _)) = history_table.split_once('.') {
        product.create_schema(schema.to_owned());
    }
    product.run(&pool).await?;
    // The history holds no tenant data: the verifier counts it among the platform's tables.
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "COMMENT ON TABLE {history_table} IS 'tenantry:platform migration history of a product'"
    )))
    .execute(&pool)
    .await
    .map_err(|e| MigrateError::Connect(e.to_string()))?;
    // And the product's tenant-owned tables, colocated with tenantry's.
    let distributed = crate::distribute_on(&pool).await;
    pool.close().await;
    distributed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn history_tables_are_the_products_own_and_plain_names() {
        assert!(check_history_table("timesheets._migrations").is_ok());
        assert!(check_history_table("timesheets_migrations").is_ok());
        for bad in ["", "_sqlx_migrations", "tenantry.x", "a.b.c", "x; DROP TABLE y", "Upper", "1abc", "a..b"] {
            assert!(check_history_table(bad).is_err(), "{bad}");
        }
    }
}

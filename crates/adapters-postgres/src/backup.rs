//! PostgreSQL's side of the superuser's backup and restore: every row of the
//! tenant in every tenant-owned table — tenantry's and the products' registered
//! tables alike, found by the `tenantry:tenant-owned` mark that
//! `make_tenant_owned` puts on each — read and written inside the tenant's own
//! transaction, so that row-level security confines both to the tenant.
//!
//! Tables are written parents first (the order of their foreign keys). Each
//! table's rows carry the columns they were written with: a backup made before
//! a migration added a column restores with that column's default (a column
//! without one refuses the restore, naming it); a table or column the backup
//! has and the schema no longer has refuses it too. Nothing is committed unless
//! every row went in.

use crate::error::store;
use crate::tenant_tx::PgTenantTx;
use async_trait::async_trait;
use sqlx::Row;
use sqlx::types::Json;
use std::collections::{BTreeMap, BTreeSet};
use tenantry_ports::backup::{TableRows, TenantRows};
use tenantry_ports::error::StoreError;
use tenantry_ports::store::{BackupStore, LoadChanges};

/// The store name written into PostgreSQL archives.
pub const STORE: &str = "postgres";

/// One tenant-owned table of the live schema.
struct Table {
    /// `schema.table`, quoted as `format('%I.%I')` quotes.
    name: String,
    /// Every column, in order.
    columns: Vec<String>,
    /// Columns a restore may write (not generated).
    writable: BTreeSet<String>,
    /// Whether the service role may delete from it (the others go with the
    /// tenant's row, by their cascade).
    deletable: bool,
}

/// Rows a statement of a reload inserts (each row is one bound JSON value).
const LOAD_BATCH: usize = 100;

impl PgTenantTx {
    /// The tenant-owned tables, parents before children.
    async fn tenant_tables(&mut self) -> Result<Vec<Table>, StoreError> {
        let found = sqlx::query(
            "SELECT format('%I.%I', n.nspname, c.relname) AS name, \
                    array_agg(a.attname::text ORDER BY a.attnum) AS columns, \
                    array_agg(a.attname::text ORDER BY a.attnum) FILTER (WHERE a.attgenerated = '') AS writable, \
                    has_table_privilege(c.oid, 'DELETE') AS deletable \
             FROM pg_class c \
             JOIN pg_namespace n ON n.oid = c.relnamespace \
             JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped \
             WHERE c.relkind IN ('r', 'p') AND obj_description(c.oid, 'pg_class') = 'tenantry:tenant-owned' \
             GROUP BY c.oid, n.nspname, c.relname",
        )
        .fetch_all(&mut *self.tx)
        .await
        .map_err(|e| self.fail(e))?;
        let mut tables = BTreeMap::new();
        for row in &found {
            let name: String = row.try_get("name").map_err(store)?;
            let columns: Vec<String> = row.try_get("columns").map_err(store)?;
            let writable: Option<Vec<String>> = row.try_get("writable").map_err(store)?;
            let deletable: bool = row.try_get("deletable").map_err(store)?;
            tables.insert(
                name.clone(),
                Table { name, columns, writable: writable.unwrap_or_default().into_iter().collect(), deletable },
            );
        }
        let links = sqlx::query(
            "SELECT format('%I.%I', cn.nspname, c.relname) AS child, format('%I.%I', pn.nspname, p.relname) AS parent \
             FROM pg_constraint k \
             JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace cn ON cn.oid = c.relnamespace \
             JOIN pg_class p ON p.oid = k.confrelid JOIN pg_namespace pn ON pn.oid = p.relnamespace \
             WHERE k.contype = 'f' AND k.conrelid <> k.confrelid",
        )
        .fetch_all(&mut *self.tx)
        .await
        .map_err(|e| self.fail(e))?;
        let mut parents: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for row in &links {
            let child: String = row.try_get("child").map_err(store)?;
            let parent: String = row.try_get("parent").map_err(store)?;
            if tables.contains_key(&child) && tables.contains_key(&parent) {
                parents.entry(child).or_default().insert(parent);
            }
        }
        // Parents first; ties by name, so the order is stable.
        let mut ordered = Vec::with_capacity(tables.len());
        let mut placed = BTreeSet::new();
        while !tables.is_empty() {
            let ready: Vec<String> = tables
                .keys()
                .filter(|t| parents.get(*t).is_none_or(|ps| ps.iter().all(|p| placed.contains(p))))
                .cloned()
                .collect();
            if ready.is_empty() {
                return Err(StoreError::Unknown(anyhow::anyhow!(
                    "the foreign keys between tenant-owned tables form a cycle: {:?}",
                    tables.keys().collect::<Vec<_>>()
                )));
            }
            for name in ready {
                if let Some(t) = tables.remove(&name) {
                    ordered.push(t);
                }
                placed.insert(name);
            }
        }
        Ok(ordered)
    }
}

/// A value refused by the schema (a missing column without default, a bad
/// text form): the archive does not fit; a uniqueness conflict stays one.
fn load_error(table: &str, e: sqlx::Error) -> StoreError {
    if let sqlx::Error::Database(db) = &e {
        let code = db.code().unwrap_or_default();
        if (code.starts_with("22") || code.starts_with("23")) && code != "23505" {
            return StoreError::Incompatible(format!("{table}: {}", db.message()));
        }
    }
    store(e)
}

#[async_trait]
impl BackupStore for PgTenantTx {
    async fn dump_rows(&mut self) -> Result<TenantRows, StoreError> {
        let tables = self.tenant_tables().await?;
        let mut out = Vec::with_capacity(tables.len());
        // A file's bytes travel beside the rows (`BackupContents::files`), read through the
        // file store whichever it is: its chunks here would carry them twice.
        for table in tables.into_iter().filter(|t| t.name != "tenantry.file_chunks") {
            // The name comes from the catalog, quoted by format('%I.%I'); row-level
            // security confines the read to this tenant, and the filter says so too.
            let rows: Json<Vec<serde_json::Value>> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                "SELECT coalesce(jsonb_agg(to_jsonb(t) ORDER BY to_jsonb(t)::text), '[]'::jsonb) FROM {} t \
                 WHERE t.tenant_id = $1",
                table.name
            )))
            .bind(self.t())
            .fetch_one(&mut *self.tx)
            .await
            .map_err(|e| self.fail(e))?;
            out.push(TableRows { table: table.name, columns: table.columns, rows: rows.0 });
        }
        Ok(TenantRows { store: STORE.into(), tables: out })
    }

    async fn load_rows(&mut self, rows: &TenantRows, changes: &LoadChanges) -> Result<(), StoreError> {
        self.writable()?;
        if rows.store != STORE {
            return Err(StoreError::Incompatible(format!(
                "a backup of a {} store cannot be restored into PostgreSQL",
                rows.store
            )));
        }
        let tables = self.tenant_tables().await?;
        let by_name: BTreeMap<&str, &Table> = tables.iter().map(|t| (t.name.as_str(), t)).collect();
        let tenant = self.t().to_string();
        // Everything is checked before the first write.
        for given in &rows.tables {
            let Some(table) = by_name.get(given.table.as_str()) else {
                return Err(StoreError::Incompatible(format!("the table {} does not exist here", given.table)));
            };
            if let Some(missing) = given.columns.iter().find(|c| !table.columns.contains(c)) {
                return Err(StoreError::Incompatible(format!(
                    "the column {missing} of {} does not exist here",
                    given.table
                )));
            }
            for row in &given.rows {
                if row.get("tenant_id").and_then(|v| v.as_str()) != Some(tenant.as_str()) {
                    return Err(StoreError::Unknown(anyhow::anyhow!(
                        "a row of another tenant refused by the unit of work's scope"
                    )));
                }
            }
        }
        // Out with what the tenant holds now: children first; the tenant's row
        // last takes the append-only tables with it (their cascade).
        for table in tables.iter().rev().filter(|t| t.deletable) {
            sqlx::query(sqlx::AssertSqlSafe(format!("DELETE FROM {} WHERE tenant_id = $1", table.name)))
                .bind(self.t())
                .execute(&mut *self.tx)
                .await
                .map_err(|e| self.fail(e))?;
        }
        self.release_tenant().await?;
        let given: BTreeMap<&str, &TableRows> = rows.tables.iter().map(|t| (t.table.as_str(), t)).collect();
        for table in &tables {
            let Some(given) = given.get(table.name.as_str()) else { continue };
            if given.rows.is_empty() {
                continue;
            }
            let mut values = given.rows.clone();
            for row in &mut values {
                let Some(obj) = row.as_object_mut() else {
                    return Err(StoreError::Incompatible(format!("a row of {} is not an object", table.name)));
                };
                if table.name == "tenantry.tenants"
                    && let Some(slug) = &changes.slug
                {
                    obj.insert("slug".into(), slug.as_str().into());
                }
                if table.name == "tenantry.subscriptions" && changes.unlink_billing {
                    for c in ["provider_customer", "provider_subscription", "provider_synced_at", "discount"] {
                        obj.insert(c.into(), serde_json::Value::Null);
                    }
                }
            }
            let columns: Vec<String> = given
                .columns
                .iter()
                .filter(|c| table.writable.contains(*c))
                .map(|c| format!("\"{}\"", c.replace('"', "\"\"")))
                .collect();
            let list = columns.join(", ");
            // Rows as VALUES, each column read from its row's JSON on the way in, up to
            // LOAD_BATCH rows a statement: an INSERT … SELECT would be copied into Citus's shards
            // with COPY, which row-level security refuses (issue 26); VALUES are one tenant's
            // rows, sent to its shard as they are.
            for batch in values.chunks(LOAD_BATCH) {
                let rows: Vec<String> = (1..=batch.len())
                    .map(|i| {
                        let cells: Vec<String> = columns
                            .iter()
                            .map(|c| format!("(jsonb_populate_record(NULL::{t}, ${i})).{c}", t = table.name))
                            .collect();
                        format!("({})", cells.join(", "))
                    })
                    .collect();
                let sql = format!(
                    "INSERT INTO {t} ({list}) OVERRIDING SYSTEM VALUE VALUES {rows}",
                    t = table.name,
                    rows = rows.join(", ")
                );
                let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
                for row in batch {
                    q = q.bind(Json(row));
                }
                if let Err(e) = q.execute(&mut *self.tx).await {
                    self.aborted = true;
                    return Err(load_error(&table.name, e));
                }
            }
        }
        // The platform's notes of the rows as they now stand (a taken slug: `Conflict(TenantSlug)`).
        self.note_reloaded().await
    }
}

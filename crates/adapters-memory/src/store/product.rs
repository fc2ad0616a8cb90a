//! The embedding API in memory: a product's own tenant-owned tables on the
//! embedded default, the counterpart of `PgStore::scoped` (docs/EMBEDDING.md).
//!
//! A product registers its tables ([`MemoryStore::register_product_table`], the
//! counterpart of `tenantry.register_product_table`) and runs its use cases on
//! a [`MemoryScoped`] transaction: a unit of work of tenantry's memory store,
//! holding **only the scope's tenant's data** — there is no row of another
//! tenant in reach (wall 2's equivalent), whatever the product's code does.
//! Rows are kept as JSON values under a key the product chooses (its primary
//! key without the tenant), and read and written as the product's own serde
//! types. Writers hold the tenant's lock until commit or drop, like tenantry's
//! own units of work; dropping without [`MemoryScoped::commit`] rolls back.

use super::{MemTenantTx, MemoryStore, lock};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::collections::BTreeMap;
use tenantry_domain::{AuditEvent, TenantId};
use tenantry_ports::TenantScope;
use tenantry_ports::error::{Constraint, StoreError};
use tenantry_ports::store::{Access, AuditStore, TenantTx};

/// Why a product table name was refused (nothing was registered).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ProductTableError {
    /// Not `schema.table` in lower-case letters, digits and `_`.
    #[error("`{0}` is not a product table name: write `schema.table` in lower-case letters, digits and _")]
    Malformed(String),
    /// A column to leave out of the export that is no column name.
    #[error("`{0}` is not a column name: write it in lower-case letters, digits and _")]
    MalformedColumn(String),
    /// A table in tenantry's own schemas.
    #[error("`{0}` lies in tenantry's own schema; give product tables a schema of their own")]
    TenantrysSchema(String),
}

/// A lower-case SQL identifier (letters, digits and `_`, at most 63).
fn ident(w: &str) -> bool {
    !w.is_empty()
        && w.len() <= 63
        && w.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
        && w.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

fn check_table_name(name: &str) -> Result<(), ProductTableError> {
    let malformed = || ProductTableError::Malformed(name.chars().take(130).collect());
    let (schema, table) = name.split_once('.').ok_or_else(malformed)?;
    if !ident(schema) || !ident(table) {
        return Err(malformed());
    }
    if schema == "tenantry" || schema == "tenantry_lookup" {
        return Err(ProductTableError::TenantrysSchema(name.to_owned()));
    }
    Ok(())
}

impl MemoryStore {
    /// Registers a product table (`timesheets.entries`), once at start-up; the
    /// in-memory counterpart of `SELECT tenantry.register_product_table(..)`.
    /// Registering twice is harmless.
    pub fn register_product_table(&self, name: &str) -> Result<(), ProductTableError> {
        self.register_product_table_excluding(name, &[])
    }

    /// [`register_product_table`](Self::register_product_table) with the
    /// columns the tenant's data export leaves out (the counterpart of
    /// `register_product_table('t', p_export_excluded => ARRAY['api_secret'])`);
    /// registering again replaces the list.
    pub fn register_product_table_excluding(
        &self,
        name: &str,
        export_excluded: &[&str],
    ) -> Result<(), ProductTableError> {
        check_table_name(name)?;
        if let Some(column) = export_excluded.iter().find(|c| !ident(c)) {
            return Err(ProductTableError::MalformedColumn(column.chars().take(130).collect()));
        }
        lock(&self.inner.product_tables).insert(name.to_owned());
        lock(&self.inner.export_excluded)
            .insert(name.to_owned(), export_excluded.iter().map(|c| (*c).to_owned()).collect());
        Ok(())
    }

    /// The registered product tables, for exports and restores.
    pub fn product_tables(&self) -> Vec<String> {
        lock(&self.inner.product_tables).iter().cloned().collect()
    }

    /// A unit of work for a product's own tables, confined to `scope`'s tenant.
    pub async fn scoped(&self, scope: &TenantScope, access: Access) -> Result<MemoryScoped, StoreError> {
        Ok(MemoryScoped { tx: Box::new(self.open(scope, access).await) })
    }
}

/// A unit of work on a product's tables, holding one tenant's data only.
pub struct MemoryScoped {
    tx: Box<MemTenantTx>,
}

impl std::fmt::Debug for MemoryScoped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryScoped").field("tenant", &self.tx.tenant).finish_non_exhaustive()
    }
}

impl MemoryScoped {
    /// The tenant this unit of work is confined to.
    pub fn tenant_id(&self) -> TenantId {
        self.tx.tenant
    }

    /// The scope's tenant's rows of a registered table.
    pub fn table(&mut self, name: &str) -> Result<ProductRows<'_>, StoreError> {
        self.tx.live()?;
        if !lock(&self.tx.inner.product_tables).contains(name) {
            return Err(StoreError::Unknown(anyhow::anyhow!(
                "`{}` is not a registered product table (MemoryStore::register_product_table)",
                name.chars().take(130).collect::<String>()
            )));
        }
        Ok(ProductRows { tx: &mut self.tx, table: name.to_owned() })
    }

    /// Appends a product's audit event (`Tenantry::product_event`) to the
    /// tenant's log, recorded when this unit of work commits; an event of
    /// another tenant is refused.
    pub async fn audit(&mut self, event: &AuditEvent) -> Result<(), StoreError> {
        self.tx.append_audit(event).await
    }

    /// Makes every write visible at once.
    pub async fn commit(self) -> Result<(), StoreError> {
        TenantTx::commit(self.tx).await
    }

    /// Forgets every write (dropping does too).
    pub fn rollback(self) {}
}

/// One tenant's rows of one product table, by key.
pub struct ProductRows<'a> {
    tx: &'a mut MemTenantTx,
    table: String,
}

fn unreadable(table: &str, e: serde_json::Error) -> StoreError {
    StoreError::Unknown(anyhow::anyhow!("a row of {table} does not read as the product's type: {e}"))
}

impl ProductRows<'_> {
    fn rows(&self) -> Option<&BTreeMap<String, serde_json::Value>> {
        self.tx.work.product.get(&self.table)
    }

    fn rows_mut(&mut self) -> Result<&mut BTreeMap<String, serde_json::Value>, StoreError> {
        self.tx.writable()?;
        // The foreign key to the tenant: no rows for a tenant that does not exist.
        if self.tx.work.tenant.is_none() {
            return Err(StoreError::Unknown(anyhow::anyhow!("foreign key: the tenant does not exist")));
        }
        Ok(self.tx.work.product.entry(self.table.clone()).or_default())
    }

    fn value<T: Serialize>(&self, row: &T) -> Result<serde_json::Value, StoreError> {
        serde_json::to_value(row).map_err(|e| unreadable(&self.table, e))
    }

    /// The row under `key`.
    pub fn get<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, StoreError> {
        match self.rows().and_then(|rows| rows.get(key)) {
            Some(v) => serde_json::from_value(v.clone()).map(Some).map_err(|e| unreadable(&self.table, e)),
            None => Ok(None),
        }
    }

    /// Every row, in key order.
    pub fn list<T: DeserializeOwned>(&self) -> Result<Vec<T>, StoreError> {
        self.rows()
            .into_iter()
            .flat_map(|rows| rows.values())
            .map(|v| serde_json::from_value(v.clone()).map_err(|e| unreadable(&self.table, e)))
            .collect()
    }

    /// Adds a row; a key already taken is a primary-key conflict (which, as
    /// in the database, aborts the unit of work).
    pub fn insert<T: Serialize>(&mut self, key: &str, row: &T) -> Result<(), StoreError> {
        self.tx.writable()?;
        let value = self.value(row)?;
        if self.rows().is_some_and(|rows| rows.contains_key(key)) {
            return Err(self.tx.conflict(Constraint::PrimaryKey));
        }
        self.rows_mut()?.insert(key.to_owned(), value);
        Ok(())
    }

    /// Replaces the row under `key`; `NotFound` when there is none.
    pub fn update<T: Serialize>(&mut self, key: &str, row: &T) -> Result<(), StoreError> {
        let value = self.value(row)?;
        match self.rows_mut()?.get_mut(key) {
            Some(slot) => {
                *slot = value;
                Ok(())
            }
            None => Err(StoreError::NotFound),
        }
    }

    /// Removes the row under `key`; `NotFound` when there is none.
    pub fn delete(&mut self, key: &str) -> Result<(), StoreError> {
        self.rows_mut()?.remove(key).map(|_| ()).ok_or(StoreError::NotFound)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn product_table_names_are_schema_qualified_and_not_tenantrys() {
        assert_eq!(check_table_name("timesheets.entries"), Ok(()));
        assert_eq!(check_table_name("crm._leads2"), Ok(()));
        for bad in ["entries", "Timesheets.entries", "a.b.c", "a.", ".b", "a.b c", "a.b;drop", "1a.b"] {
            assert!(matches!(check_table_name(bad), Err(ProductTableError::Malformed(_))), "{bad}");
        }
        for own in ["tenantry.users", "tenantry_lookup.x"] {
            assert!(matches!(check_table_name(own), Err(ProductTableError::TenantrysSchema(_))), "{own}");
        }
    }
}

//! The product's own tables, for the tenant's export.

use super::PgTenantTx;
use async_trait::async_trait;
use sqlx::types::Json;
use tenantry_ports::error::StoreError;
use tenantry_ports::store::{ProductDataStore, ProductTableRows};

#[async_trait]
impl ProductDataStore for PgTenantTx {
    async fn product_rows(&mut self) -> Result<Vec<ProductTableRows>, StoreError> {
        let tables: Vec<(String, Vec<String>)> =
            sqlx::query_as("SELECT table_name, export_excluded FROM tenantry.product_tables ORDER BY table_name")
                .fetch_all(&mut *self.tx)
                .await
                .map_err(|e| self.fail(e))?;
        let mut out = Vec::with_capacity(tables.len());
        for (table, excluded) in tables {
            // The registry holds names as `format('%I.%I')` wrote them (quoted
            // identifiers), and only the owner's `register_product_table` writes it.
            // Row-level security confines the read to this tenant; the filter names it too, so
            // that on Citus the read goes to the tenant's shard only (every registered table has
            // `tenant_id`). The columns registered as left out of the export are removed here.
            let rows: Json<Vec<serde_json::Value>> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                "SELECT coalesce(jsonb_agg(to_jsonb(t) - $1::text[] ORDER BY to_jsonb(t)::text), '[]'::jsonb) \
                 FROM {table} t WHERE t.tenant_id = $2"
            )))
            .bind(&excluded)
            .bind(self.t())
            .fetch_one(&mut *self.tx)
            .await
            .map_err(|e| self.fail(e))?;
            out.push(ProductTableRows { table, rows: rows.0 });
        }
        Ok(out)
    }
}

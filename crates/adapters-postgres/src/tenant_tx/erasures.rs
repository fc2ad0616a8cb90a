//! The tenant's erasure records (what was erased, never whose data).

use super::PgTenantTx;
use crate::rows;
use async_trait::async_trait;
use sqlx::types::Json;
use tenantry_domain::user::Erasure;
use tenantry_ports::error::StoreError;
use tenantry_ports::store::ErasureStore;

#[async_trait]
impl ErasureStore for PgTenantTx {
    async fn record_erasure(&mut self, e: &Erasure) -> Result<(), StoreError> {
        self.writable()?;
        self.own(e.tenant_id, "an erasure")?;
        self.execute(
            sqlx::query(
                "INSERT INTO tenantry.erasures (tenant_id, user_id, erased_at, erased_by) VALUES ($1, $2, $3, $4)",
            )
            .bind(self.t())
            .bind(e.user_id.as_uuid())
            .bind(e.erased_at)
            .bind(Json(&e.erased_by)),
        )
        .await?;
        Ok(())
    }

    async fn erasures(&mut self) -> Result<Vec<Erasure>, StoreError> {
        let found = self
            .all(
                sqlx::query("SELECT * FROM tenantry.erasures WHERE tenant_id = $1 ORDER BY erased_at, user_id")
                    .bind(self.t()),
            )
            .await?;
        found.iter().map(rows::erasure).collect()
    }

    async fn platform_erasures(&mut self) -> Result<Vec<Erasure>, StoreError> {
        // The platform's copy is written by a trigger on tenantry.erasures (migration 0015) and
        // read for the transaction's tenant only.
        let found = self.all(sqlx::query("SELECT * FROM tenantry_lookup.erasure_ledger()")).await?;
        found.iter().map(rows::erasure).collect()
    }
}

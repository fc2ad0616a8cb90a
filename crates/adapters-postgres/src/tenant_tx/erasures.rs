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
        let written = self
            .all(
                sqlx::query(
                    "INSERT INTO tenantry.erasures (tenant_id, user_id, erased_at, erased_by) VALUES ($1, $2, $3, $4) \
                 RETURNING user_id, erased_at, erased_by",
                )
                .bind(self.t())
                .bind(e.user_id.as_uuid())
                .bind(e.erased_at)
                .bind(Json(&e.erased_by)),
            )
            .await?;
        self.note_erasures(&written).await
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
        // The platform's copy is written with each erasure (`record_erasure`, notes.rs) and
        // read for the transaction's tenant only.
        let found = self.all(sqlx::query("SELECT * FROM tenantry_lookup.erasure_ledger()")).await?;
        found.iter().map(rows::erasure).collect()
    }
}

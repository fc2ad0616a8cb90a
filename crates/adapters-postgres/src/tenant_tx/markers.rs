//! Markers: one-time facts of the tenant (a mail sent once, a step done).

use super::PgTenantTx;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use tenantry_ports::error::StoreError;
use tenantry_ports::store::MarkerStore;

#[async_trait]
impl MarkerStore for PgTenantTx {
    async fn mark(&mut self, key: &str, at: DateTime<Utc>) -> Result<bool, StoreError> {
        self.writable()?;
        let changed = self
            .execute(
                sqlx::query(
                    "INSERT INTO tenantry.markers (tenant_id, key, at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                )
                .bind(self.t())
                .bind(key)
                .bind(at),
            )
            .await?;
        Ok(changed == 1)
    }

    async fn is_marked(&mut self, key: &str) -> Result<bool, StoreError> {
        let found: Option<i32> = sqlx::query_scalar("SELECT 1 FROM tenantry.markers WHERE tenant_id = $1 AND key = $2")
            .bind(self.t())
            .bind(key)
            .fetch_optional(&mut *self.tx)
            .await
            .map_err(|e| self.fail(e))?;
        Ok(found.is_some())
    }

    async fn unmark(&mut self, key: &str) -> Result<(), StoreError> {
        self.writable()?;
        self.execute(
            sqlx::query("DELETE FROM tenantry.markers WHERE tenant_id = $1 AND key = $2").bind(self.t()).bind(key),
        )
        .await?;
        Ok(())
    }
}

//! The tenant's API keys (`tenantry.api_keys`; only hashes are stored).

use super::PgTenantTx;
use crate::rows;
use async_trait::async_trait;
use tenantry_domain::{ApiKey, ApiKeyId, RoleRef};
use tenantry_ports::error::{Constraint, StoreError};
use tenantry_ports::store::ApiKeyStore;

#[async_trait]
impl ApiKeyStore for PgTenantTx {
    async fn api_key(&mut self, id: ApiKeyId) -> Result<Option<ApiKey>, StoreError> {
        let row = self
            .optional(
                sqlx::query("SELECT * FROM tenantry.api_keys WHERE tenant_id = $1 AND id = $2")
                    .bind(self.t())
                    .bind(id.as_uuid()),
            )
            .await?;
        row.as_ref().map(rows::api_key).transpose()
    }

    async fn api_keys(&mut self) -> Result<Vec<ApiKey>, StoreError> {
        let found = self
            .all(
                sqlx::query("SELECT * FROM tenantry.api_keys WHERE tenant_id = $1 ORDER BY created_at DESC, id DESC")
                    .bind(self.t()),
            )
            .await?;
        found.iter().map(rows::api_key).collect()
    }

    async fn insert_api_key(&mut self, key: &ApiKey) -> Result<(), StoreError> {
        self.writable()?;
        self.own(key.tenant_id(), "an API key")?;
        let RoleRef::Builtin(role) = key.role() else {
            // Keys hold built-in roles only (the table has no custom role column).
            self.aborted = true;
            return Err(StoreError::Conflict(Constraint::RoleReference));
        };
        let written = self.all(sqlx::query(
            "INSERT INTO tenantry.api_keys (tenant_id, id, name, role, secret_hash, created_by, created_at, revoked_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id, revoked_at",
        )
        .bind(self.t())
        .bind(key.id().as_uuid())
        .bind(key.name().as_str())
        .bind(role.as_str())
        .bind(key.secret_hash().to_hex())
        .bind(key.created_by().map(|u| u.as_uuid()))
        .bind(key.created_at())
        .bind(key.revoked_at())).await?;
        self.note_keys_revoked(&written).await
    }

    async fn update_api_key(&mut self, key: &ApiKey) -> Result<(), StoreError> {
        self.writable()?;
        self.own(key.tenant_id(), "an API key")?;
        let written = self
            .all(
                sqlx::query(
                    "UPDATE tenantry.api_keys SET name = $3, revoked_at = $4 WHERE tenant_id = $1 AND id = $2 \
                     RETURNING id, revoked_at",
                )
                .bind(self.t())
                .bind(key.id().as_uuid())
                .bind(key.name().as_str())
                .bind(key.revoked_at()),
            )
            .await?;
        if written.is_empty() {
            return Err(StoreError::NotFound);
        }
        self.note_keys_revoked(&written).await
    }
}

//! The tenant's own row in its unit of work.

use super::PgTenantTx;
use crate::rows;
use async_trait::async_trait;
use sqlx::types::Json;
use tenantry_domain::Tenant;
use tenantry_ports::error::StoreError;
use tenantry_ports::store::TenantStore;

#[async_trait]
impl TenantStore for PgTenantTx {
    async fn tenant(&mut self) -> Result<Option<Tenant>, StoreError> {
        if let Some(seen) = self.seen_tenant() {
            return Ok(Some(seen));
        }
        let row =
            self.optional(sqlx::query("SELECT * FROM tenantry.tenants WHERE tenant_id = $1").bind(self.t())).await?;
        row.as_ref().map(rows::tenant).transpose()
    }

    async fn insert_tenant(&mut self, tenant: &Tenant) -> Result<(), StoreError> {
        self.writable()?;
        self.own(tenant.id(), "a tenant row")?;
        self.execute(
            sqlx::query(
                "INSERT INTO tenantry.tenants (tenant_id, slug, name, created_at, settings, quota_override) \
             VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(self.t())
            .bind(tenant.slug().as_str())
            .bind(tenant.name().as_str())
            .bind(tenant.created_at())
            .bind(Json(&tenant.settings()))
            .bind(Json(&tenant.quota_override())),
        )
        .await?;
        self.claim_slug(tenant.slug().as_str()).await
    }

    async fn update_tenant(&mut self, tenant: &Tenant) -> Result<(), StoreError> {
        self.writable()?;
        self.own(tenant.id(), "a tenant row")?;
        let changed = self
            .execute(
                sqlx::query(
                    "UPDATE tenantry.tenants SET name = $2, settings = $3, quota_override = $4 WHERE tenant_id = $1",
                )
                .bind(self.t())
                .bind(tenant.name().as_str())
                .bind(Json(&tenant.settings()))
                .bind(Json(&tenant.quota_override())),
            )
            .await?;
        if changed == 0 { Err(StoreError::NotFound) } else { Ok(()) }
    }

    async fn purge_tenant(&mut self) -> Result<(), StoreError> {
        self.writable()?;
        // Every tenant-owned table references tenants ON DELETE CASCADE; the
        // slug and billing-customer entries are released with it (notes.rs).
        self.execute(sqlx::query("DELETE FROM tenantry.tenants WHERE tenant_id = $1").bind(self.t())).await?;
        self.release_tenant().await
    }
}

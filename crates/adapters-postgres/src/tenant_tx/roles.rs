//! The tenant's custom roles (`tenantry.roles`).

use super::PgTenantTx;
use crate::rows;
use async_trait::async_trait;
use tenantry_domain::RoleId;
use tenantry_domain::rbac::CustomRole;
use tenantry_ports::error::StoreError;
use tenantry_ports::store::RoleStore;

#[async_trait]
impl RoleStore for PgTenantTx {
    async fn role(&mut self, id: RoleId) -> Result<Option<CustomRole>, StoreError> {
        let row = self
            .optional(
                sqlx::query("SELECT * FROM tenantry.roles WHERE tenant_id = $1 AND id = $2")
                    .bind(self.t())
                    .bind(id.as_uuid()),
            )
            .await?;
        row.as_ref().map(rows::role).transpose()
    }

    async fn roles(&mut self) -> Result<Vec<CustomRole>, StoreError> {
        let found = self
            .all(
                sqlx::query("SELECT * FROM tenantry.roles WHERE tenant_id = $1 ORDER BY lower(name), id")
                    .bind(self.t()),
            )
            .await?;
        found.iter().map(rows::role).collect()
    }

    async fn insert_role(&mut self, role: &CustomRole) -> Result<(), StoreError> {
        self.writable()?;
        self.own(role.tenant_id, "a role")?;
        self.execute(sqlx::query(
            "INSERT INTO tenantry.roles (tenant_id, id, name, description, permissions, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(self.t())
        .bind(role.id.as_uuid())
        .bind(role.name.as_str())
        .bind(role.description.as_ref().map(|d| d.as_str()))
        .bind(role.permissions.iter().map(|p| p.as_str().to_owned()).collect::<Vec<_>>())
        .bind(role.created_at)).await?;
        Ok(())
    }

    async fn update_role(&mut self, role: &CustomRole) -> Result<(), StoreError> {
        self.writable()?;
        self.own(role.tenant_id, "a role")?;
        let changed = self.execute(sqlx::query(
            "UPDATE tenantry.roles SET name = $3, description = $4, permissions = $5 WHERE tenant_id = $1 AND id = $2",
        )
        .bind(self.t())
        .bind(role.id.as_uuid())
        .bind(role.name.as_str())
        .bind(role.description.as_ref().map(|d| d.as_str()))
        .bind(role.permissions.iter().map(|p| p.as_str().to_owned()).collect::<Vec<_>>())).await?;
        if changed == 0 { Err(StoreError::NotFound) } else { Ok(()) }
    }

    async fn delete_role(&mut self, id: RoleId) -> Result<(), StoreError> {
        self.writable()?;
        let changed = self
            .execute(
                sqlx::query("DELETE FROM tenantry.roles WHERE tenant_id = $1 AND id = $2")
                    .bind(self.t())
                    .bind(id.as_uuid()),
            )
            .await?;
        if changed == 0 { Err(StoreError::NotFound) } else { Ok(()) }
    }
}

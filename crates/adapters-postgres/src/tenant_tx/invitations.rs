//! The tenant's invitations (`tenantry.invitations`).

use super::{PgTenantTx, Statement};
use crate::rows;
use async_trait::async_trait;
use tenantry_domain::{Invitation, InvitationId};
use tenantry_ports::error::StoreError;
use tenantry_ports::store::InvitationStore;

impl PgTenantTx {
    /// Binds `$1`–`$12`, an invitation's row as both the insert and the
    /// update write it (tenant, id, then every changeable column).
    fn bind_invitation<'q>(&self, q: Statement<'q>, i: &'q Invitation) -> Statement<'q> {
        let (role, custom) = rows::role_columns(i.role());
        let (state, state_at, accepted, reason) = rows::invitation_status(&i.status());
        q.bind(self.t())
            .bind(i.id().as_uuid())
            .bind(i.email().as_str())
            .bind(role)
            .bind(custom)
            .bind(i.token_hash().to_hex())
            .bind(i.expires_at())
            .bind(state)
            .bind(state_at)
            .bind(accepted)
            .bind(reason)
            .bind(i32::try_from(i.sent_count()).unwrap_or(i32::MAX))
    }
}

#[async_trait]
impl InvitationStore for PgTenantTx {
    async fn invitation(&mut self, id: InvitationId) -> Result<Option<Invitation>, StoreError> {
        let row = self
            .optional(
                sqlx::query("SELECT * FROM tenantry.invitations WHERE tenant_id = $1 AND id = $2")
                    .bind(self.t())
                    .bind(id.as_uuid()),
            )
            .await?;
        row.as_ref().map(rows::invitation).transpose()
    }

    async fn invitations(&mut self) -> Result<Vec<Invitation>, StoreError> {
        let found = self
            .all(
                sqlx::query(
                    "SELECT * FROM tenantry.invitations WHERE tenant_id = $1 ORDER BY created_at DESC, id DESC",
                )
                .bind(self.t()),
            )
            .await?;
        found.iter().map(rows::invitation).collect()
    }

    async fn insert_invitation(&mut self, i: &Invitation) -> Result<(), StoreError> {
        self.writable()?;
        self.own(i.tenant_id(), "an invitation")?;
        let q = sqlx::query(
            "INSERT INTO tenantry.invitations (tenant_id, id, email, role, custom_role_id, token_hash, expires_at, \
             state, state_at, accepted_user_id, revoke_reason, sent_count, invited_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
        );
        let q = self.bind_invitation(q, i).bind(i.invited_by().map(|u| u.as_uuid())).bind(i.created_at());
        self.execute(q).await?;
        Ok(())
    }

    async fn update_invitation(&mut self, i: &Invitation) -> Result<(), StoreError> {
        self.writable()?;
        self.own(i.tenant_id(), "an invitation")?;
        let q = sqlx::query(
            "UPDATE tenantry.invitations SET email = $3, role = $4, custom_role_id = $5, token_hash = $6, \
             expires_at = $7, state = $8, state_at = $9, accepted_user_id = $10, revoke_reason = $11, sent_count = $12 \
             WHERE tenant_id = $1 AND id = $2",
        );
        let q = self.bind_invitation(q, i);
        if self.execute(q).await? == 0 { Err(StoreError::NotFound) } else { Ok(()) }
    }
}

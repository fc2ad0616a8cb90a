//! The tenant's user sessions and their refresh tokens.

use super::PgTenantTx;
use crate::rows;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use tenantry_domain::SessionId;
use tenantry_domain::UserId;
use tenantry_domain::session::{Session, SessionOwner};
use tenantry_ports::error::StoreError;
use tenantry_ports::store::SessionStore;

#[async_trait]
impl SessionStore for PgTenantTx {
    async fn insert_session(&mut self, s: &Session) -> Result<(), StoreError> {
        self.writable()?;
        let SessionOwner::User(user) = s.owner() else {
            return Err(StoreError::Unknown(anyhow::anyhow!("a superuser's session belongs to the platform")));
        };
        self.execute(
            sqlx::query(
                "INSERT INTO tenantry.sessions (tenant_id, id, user_id, kind, impersonator, token_version, \
             refresh_generation, created_at, last_used_at, idle_seconds, expires_at, user_agent, address, ended_at, \
             ended_reason) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
            )
            .bind(self.t())
            .bind(s.id().as_uuid())
            .bind(user.as_uuid())
            .bind(s.kind().as_str())
            .bind(s.impersonator().map(|i| i.as_uuid()))
            .bind(i64::from(s.token_version()))
            .bind(i64::from(s.refresh_generation()))
            .bind(s.created_at())
            .bind(s.last_used_at())
            .bind(i32::try_from(s.idle().num_seconds()).unwrap_or(i32::MAX))
            .bind(s.expires_at())
            .bind(s.user_agent().as_deref())
            .bind(s.address().as_deref())
            .bind(s.ended().map(|(at, _)| at))
            .bind(s.ended().map(|(_, why)| why.as_str())),
        )
        .await?;
        Ok(())
    }

    async fn session(&mut self, id: SessionId) -> Result<Option<Session>, StoreError> {
        let row = self
            .optional(
                sqlx::query("SELECT * FROM tenantry.sessions WHERE tenant_id = $1 AND id = $2")
                    .bind(self.t())
                    .bind(id.as_uuid()),
            )
            .await?;
        row.as_ref().map(rows::session).transpose()
    }

    async fn update_session(&mut self, s: &Session) -> Result<(), StoreError> {
        self.writable()?;
        let SessionOwner::User(user) = s.owner() else { return Err(StoreError::NotFound) };
        let changed = self
            .execute(
                sqlx::query(
                    "UPDATE tenantry.sessions SET refresh_generation = $4, last_used_at = $5, ended_at = $6, \
             ended_reason = $7, user_agent = $8, address = $9 WHERE tenant_id = $1 AND id = $2 AND user_id = $3",
                )
                .bind(self.t())
                .bind(s.id().as_uuid())
                .bind(user.as_uuid())
                .bind(i64::from(s.refresh_generation()))
                .bind(s.last_used_at())
                .bind(s.ended().map(|(at, _)| at))
                .bind(s.ended().map(|(_, why)| why.as_str()))
                .bind(s.user_agent().as_deref())
                .bind(s.address().as_deref()),
            )
            .await?;
        if changed == 1 { Ok(()) } else { Err(StoreError::NotFound) }
    }

    async fn forget_sessions_of(&mut self, user: UserId, at: DateTime<Utc>) -> Result<u64, StoreError> {
        self.writable()?;
        let changed = self
            .execute(
                sqlx::query(
                    "UPDATE tenantry.sessions SET user_agent = NULL, address = NULL, \
             ended_reason = coalesce(ended_reason, 'erased'), ended_at = coalesce(ended_at, $3) \
             WHERE tenant_id = $1 AND user_id = $2 \
               AND (user_agent IS NOT NULL OR address IS NOT NULL OR ended_at IS NULL)",
                )
                .bind(self.t())
                .bind(user.as_uuid())
                .bind(at),
            )
            .await?;
        Ok(changed)
    }

    async fn sessions_of(&mut self, user: UserId) -> Result<Vec<Session>, StoreError> {
        let found = self
            .all(
                sqlx::query(
                    "SELECT * FROM tenantry.sessions WHERE tenant_id = $1 AND user_id = $2 AND ended_at IS NULL \
             ORDER BY created_at DESC, id DESC",
                )
                .bind(self.t())
                .bind(user.as_uuid()),
            )
            .await?;
        found.iter().map(rows::session).collect()
    }
}

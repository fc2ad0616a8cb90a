//! The tenant's account links (`tenantry.account_links`): password resets, e-mail verifications and changes.

use super::PgTenantTx;
use crate::error::{corrupt, store};
use crate::rows;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::Row;
use tenantry_domain::ResetId;
use tenantry_domain::UserId;
use tenantry_domain::password_reset::{LinkPurpose, PasswordReset};
use tenantry_ports::error::StoreError;
use tenantry_ports::store::ResetStore;

#[async_trait]
impl ResetStore for PgTenantTx {
    async fn insert_reset(&mut self, r: &PasswordReset) -> Result<(), StoreError> {
        self.writable()?;
        self.own(r.tenant_id, "a password reset")?;
        self.execute(sqlx::query(
            "INSERT INTO tenantry.account_links (tenant_id, id, user_id, token_hash, created_at, expires_at, used_at, purpose, new_email) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(self.t())
        .bind(r.id.as_uuid())
        .bind(r.user_id.as_uuid())
        .bind(r.token_hash.to_hex())
        .bind(r.created_at)
        .bind(r.expires_at)
        .bind(r.used_at)
        .bind(r.purpose.as_str())
        .bind(r.new_email.as_ref().map(tenantry_domain::Email::as_str))).await?;
        Ok(())
    }

    async fn reset(&mut self, id: ResetId) -> Result<Option<PasswordReset>, StoreError> {
        let row = self
            .optional(
                sqlx::query("SELECT * FROM tenantry.account_links WHERE tenant_id = $1 AND id = $2")
                    .bind(self.t())
                    .bind(id.as_uuid()),
            )
            .await?;
        let Some(r) = row else { return Ok(None) };
        let purpose: &str = r.try_get("purpose").map_err(store)?;
        Ok(Some(PasswordReset {
            id: rows::id(r.try_get("id").map_err(store)?, "password reset")?,
            purpose: LinkPurpose::parse(purpose).ok_or_else(|| corrupt("account link", purpose))?,
            tenant_id: rows::id(r.try_get("tenant_id").map_err(store)?, "password reset")?,
            user_id: rows::id(r.try_get("user_id").map_err(store)?, "password reset")?,
            token_hash: tenantry_domain::token::TokenHash::from_hex(r.try_get("token_hash").map_err(store)?)
                .map_err(|e| corrupt("password reset", e))?,
            created_at: r.try_get("created_at").map_err(store)?,
            expires_at: r.try_get("expires_at").map_err(store)?,
            used_at: r.try_get("used_at").map_err(store)?,
            new_email: r
                .try_get::<Option<&str>, _>("new_email")
                .map_err(store)?
                .map(tenantry_domain::Email::parse)
                .transpose()
                .map_err(|e| corrupt("account link", e))?,
        }))
    }

    async fn update_reset(&mut self, r: &PasswordReset) -> Result<(), StoreError> {
        self.writable()?;
        self.own(r.tenant_id, "a password reset")?;
        let changed = self
            .execute(
                sqlx::query("UPDATE tenantry.account_links SET used_at = $3 WHERE tenant_id = $1 AND id = $2")
                    .bind(self.t())
                    .bind(r.id.as_uuid())
                    .bind(r.used_at),
            )
            .await?;
        if changed == 1 { Ok(()) } else { Err(StoreError::NotFound) }
    }

    async fn expire_links_of(
        &mut self,
        user: UserId,
        purpose: LinkPurpose,
        at: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        self.writable()?;
        let changed = self
            .execute(
                sqlx::query(
                    "UPDATE tenantry.account_links SET expires_at = $4 \
             WHERE tenant_id = $1 AND user_id = $2 AND purpose = $3 AND expires_at > $4",
                )
                .bind(self.t())
                .bind(user.as_uuid())
                .bind(purpose.as_str())
                .bind(at),
            )
            .await?;
        Ok(changed)
    }

    async fn expire_links(&mut self, at: DateTime<Utc>) -> Result<u64, StoreError> {
        self.writable()?;
        let changed = self
            .execute(
                sqlx::query(
                    "UPDATE tenantry.account_links SET expires_at = $2 WHERE tenant_id = $1 AND expires_at > $2",
                )
                .bind(self.t())
                .bind(at),
            )
            .await?;
        Ok(changed)
    }
}

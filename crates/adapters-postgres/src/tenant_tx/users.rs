//! The tenant's users (`tenantry.users`).

use super::notes::CREDENTIALS;
use super::{PgTenantTx, Statement};
use crate::rows;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::types::Json;
use tenantry_domain::user::UserStatus;
use tenantry_domain::{Email, User, UserId};
use tenantry_ports::error::StoreError;
use tenantry_ports::store::UserStore;
use uuid::Uuid;

fn user_binds(user: &User) -> (&'static str, Option<Uuid>, bool, Option<DateTime<Utc>>, Option<&'static str>) {
    let (role, custom) = rows::role_columns(user.role());
    match user.status() {
        UserStatus::Active => (role, custom, true, None, None),
        UserStatus::Deactivated { at, reason } => (role, custom, false, Some(at), Some(rows::reason_text(reason))),
    }
}

impl PgTenantTx {
    /// Binds `$1`–`$20`, a user's row as both the insert and the update write
    /// it (tenant, id, then every changeable column in the tables' order).
    fn bind_user<'q>(&self, q: Statement<'q>, user: &'q User) -> Result<Statement<'q>, StoreError> {
        let (role, custom, active, deactivated_at, reason) = user_binds(user);
        Ok(q.bind(self.t())
            .bind(user.id().as_uuid())
            .bind(user.email().as_str())
            .bind(user.name().as_str())
            .bind(role)
            .bind(custom)
            .bind(active)
            .bind(deactivated_at)
            .bind(reason)
            .bind(user.password_hash().expose())
            .bind(i32::try_from(user.throttle().failures).unwrap_or(i32::MAX))
            .bind(user.throttle().locked_until)
            .bind(i64::from(user.token_version()))
            .bind(user.last_login_at())
            .bind(user.email_verified_at())
            .bind(rows::user_mfa_json(self.key.as_ref(), user)?)
            .bind(user.throttle().window_started)
            .bind(Json(&user.throttle().addresses))
            .bind(Json(&user.mail_prefs()))
            .bind(Json(&user.preferences())))
    }
}

#[async_trait]
impl UserStore for PgTenantTx {
    async fn user(&mut self, id: UserId) -> Result<Option<User>, StoreError> {
        if let Some(seen) = self.seen_user(id) {
            return Ok(Some(seen));
        }
        let row = self
            .optional(
                sqlx::query("SELECT * FROM tenantry.users WHERE tenant_id = $1 AND id = $2")
                    .bind(self.t())
                    .bind(id.as_uuid()),
            )
            .await?;
        row.as_ref().map(|r| rows::user(r, self.key.as_ref())).transpose()
    }

    async fn user_by_email(&mut self, email: &Email) -> Result<Option<User>, StoreError> {
        let row = self
            .optional(
                sqlx::query("SELECT * FROM tenantry.users WHERE tenant_id = $1 AND email = $2")
                    .bind(self.t())
                    .bind(email.as_str()),
            )
            .await?;
        row.as_ref().map(|r| rows::user(r, self.key.as_ref())).transpose()
    }

    async fn users(&mut self) -> Result<Vec<User>, StoreError> {
        let found = self
            .all(
                sqlx::query("SELECT * FROM tenantry.users WHERE tenant_id = $1 ORDER BY created_at, id").bind(self.t()),
            )
            .await?;
        found.iter().map(|r| rows::user(r, self.key.as_ref())).collect()
    }

    async fn insert_user(&mut self, user: &User) -> Result<(), StoreError> {
        self.writable()?;
        self.own(user.tenant_id(), "a user")?;
        let sql = format!(
            "INSERT INTO tenantry.users (tenant_id, id, email, name, role, custom_role_id, active, deactivated_at, \
             deactivated_reason, password_hash, failed_logins, locked_until, token_version, last_login_at, \
             email_verified_at, mfa, failures_since, login_addresses, mail_prefs, preferences, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21) \
             RETURNING {CREDENTIALS}"
        );
        let q = sqlx::query(sqlx::AssertSqlSafe(sql));
        let q = self.bind_user(q, user)?.bind(user.created_at());
        let written = self.all(q).await?;
        self.note_credentials(&written).await
    }

    async fn update_user(&mut self, user: &User) -> Result<(), StoreError> {
        self.writable()?;
        self.own(user.tenant_id(), "a user")?;
        let sql = format!(
            "UPDATE tenantry.users SET email = $3, name = $4, role = $5, custom_role_id = $6, active = $7, \
             deactivated_at = $8, deactivated_reason = $9, password_hash = $10, failed_logins = $11, \
             locked_until = $12, token_version = $13, last_login_at = $14, email_verified_at = $15, mfa = $16, \
             failures_since = $17, login_addresses = $18, mail_prefs = $19, preferences = $20 WHERE tenant_id = $1 AND id = $2 \
             RETURNING {CREDENTIALS}"
        );
        let q = sqlx::query(sqlx::AssertSqlSafe(sql));
        let q = self.bind_user(q, user)?;
        let written = self.all(q).await?;
        if written.is_empty() {
            return Err(StoreError::NotFound);
        }
        self.note_credentials(&written).await
    }

    async fn delete_user(&mut self, id: UserId) -> Result<(), StoreError> {
        self.writable()?;
        // The removal goes into the platform's credential ledger, in the same unit of work (notes.rs).
        let gone = self
            .execute(
                sqlx::query("DELETE FROM tenantry.users WHERE tenant_id = $1 AND id = $2")
                    .bind(self.t())
                    .bind(id.as_uuid()),
            )
            .await?;
        if gone == 0 {
            return Err(StoreError::NotFound);
        }
        self.note_user_removed(id.as_uuid()).await
    }
}

//! The credential ledger: what the tenant's users can still log in with.

use super::PgTenantTx;
use crate::error::store;
use crate::rows;
use async_trait::async_trait;
use sqlx::Row;
use tenantry_domain::UserId;
use tenantry_ports::error::StoreError;
use tenantry_ports::store::{CredentialLedger, CredentialStore, UserCredentials};
use uuid::Uuid;

#[async_trait]
impl CredentialStore for PgTenantTx {
    async fn credential_ledger(&mut self) -> Result<CredentialLedger, StoreError> {
        // Kept by the writes of users and api_keys and by `delete_user` (notes.rs); read for
        // the transaction's tenant only.
        let users = self.all(sqlx::query("SELECT * FROM tenantry_lookup.credential_ledger()")).await?;
        let keys: Vec<Uuid> = sqlx::query_scalar("SELECT * FROM tenantry_lookup.revoked_api_keys()")
            .fetch_all(&mut *self.tx)
            .await
            .map_err(|e| self.fail(e))?;
        let mut ledger = CredentialLedger::default();
        for row in &users {
            let user: UserId = rows::id(row.try_get("user_id").map_err(store)?, "credential ledger")?;
            let version: i64 = row.try_get("max_token_version").map_err(store)?;
            ledger.users.insert(
                user,
                UserCredentials {
                    max_token_version: u32::try_from(version).unwrap_or(u32::MAX),
                    password_digest: row.try_get("password_digest").map_err(store)?,
                    removed: row.try_get("removed").map_err(store)?,
                    deactivated: row.try_get("deactivated").map_err(store)?,
                    mfa: if row.try_get("mfa_known").map_err(store)? {
                        Some(row.try_get("mfa_fingerprint").map_err(store)?)
                    } else {
                        None
                    },
                },
            );
        }
        for key in keys {
            ledger.revoked_keys.insert(rows::id(key, "revoked key")?);
        }
        Ok(ledger)
    }
}

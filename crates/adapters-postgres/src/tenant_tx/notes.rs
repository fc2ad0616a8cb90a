//! The platform's notes of a tenant's writes: its slug, its billing customer,
//! and the ledgers a restore consults (credentials, revoked keys, erasures).
//!
//! Each is a named function (migration 0030) called right after the write it
//! follows, in the same unit of work, with the values the write returned —
//! never in the same statement (on Citus a one-tenant statement may run whole
//! on a worker, where the platform tables are not) and never read back by the
//! function (on Citus the tenant's row is in the service role's worker
//! transaction, which the owner's connection does not see). Decision 0029.

use super::PgTenantTx;
use sqlx::Row;
use sqlx::postgres::PgRow;
use sqlx::types::Json;
use tenantry_ports::error::StoreError;
use uuid::Uuid;

/// What a `RETURNING` (or a `SELECT`) of `tenantry.users` gives the credential note.
pub(crate) const CREDENTIALS: &str =
    "id, token_version, password_hash, active, mfa ->> 'fingerprint' AS mfa_fingerprint";

/// What a `RETURNING` (or a `SELECT`) of `tenantry.api_keys` gives the revocation note.
pub(crate) const REVOCATIONS: &str = "id, revoked_at";

/// What a `RETURNING` (or a `SELECT`) of `tenantry.erasures` gives the erasure note.
pub(crate) const ERASURES: &str = "user_id, erased_at, erased_by";

impl PgTenantTx {
    /// Runs one note (a call of a named function) in the unit of work.
    async fn note(&mut self, q: super::Statement<'_>) -> Result<(), StoreError> {
        self.one(q).await.map(drop)
    }

    /// Users as written (`rows` have the [`CREDENTIALS`] columns).
    pub(crate) async fn note_credentials(&mut self, rows: &[PgRow]) -> Result<(), StoreError> {
        if rows.is_empty() {
            return Ok(());
        }
        let mut ids = Vec::with_capacity(rows.len());
        let mut versions = Vec::with_capacity(rows.len());
        let mut hashes = Vec::with_capacity(rows.len());
        let mut active = Vec::with_capacity(rows.len());
        let mut fingerprints = Vec::with_capacity(rows.len());
        for row in rows {
            ids.push(row.try_get::<Uuid, _>("id").map_err(|e| self.fail(e))?);
            versions.push(row.try_get::<i64, _>("token_version").map_err(|e| self.fail(e))?);
            hashes.push(row.try_get::<String, _>("password_hash").map_err(|e| self.fail(e))?);
            active.push(row.try_get::<bool, _>("active").map_err(|e| self.fail(e))?);
            fingerprints.push(row.try_get::<Option<String>, _>("mfa_fingerprint").map_err(|e| self.fail(e))?);
        }
        self.note(
            sqlx::query("SELECT tenantry_lookup.note_credentials($1, $2, $3, $4, $5)")
                .bind(ids)
                .bind(versions)
                .bind(hashes)
                .bind(active)
                .bind(fingerprints),
        )
        .await
    }

    /// API keys as written (`rows` have the [`REVOCATIONS`] columns); the
    /// revoked ones are noted.
    pub(crate) async fn note_keys_revoked(&mut self, rows: &[PgRow]) -> Result<(), StoreError> {
        let mut ids = Vec::new();
        let mut at = Vec::new();
        for row in rows {
            let revoked: Option<chrono::DateTime<chrono::Utc>> = row.try_get("revoked_at").map_err(|e| self.fail(e))?;
            if let Some(revoked) = revoked {
                ids.push(row.try_get::<Uuid, _>("id").map_err(|e| self.fail(e))?);
                at.push(revoked);
            }
        }
        if ids.is_empty() {
            return Ok(());
        }
        self.note(sqlx::query("SELECT tenantry_lookup.note_keys_revoked($1, $2)").bind(ids).bind(at)).await
    }

    /// Erasures as recorded (`rows` have the [`ERASURES`] columns).
    pub(crate) async fn note_erasures(&mut self, rows: &[PgRow]) -> Result<(), StoreError> {
        if rows.is_empty() {
            return Ok(());
        }
        let mut users = Vec::with_capacity(rows.len());
        let mut at = Vec::with_capacity(rows.len());
        let mut by = Vec::with_capacity(rows.len());
        for row in rows {
            users.push(row.try_get::<Uuid, _>("user_id").map_err(|e| self.fail(e))?);
            at.push(row.try_get::<chrono::DateTime<chrono::Utc>, _>("erased_at").map_err(|e| self.fail(e))?);
            by.push(row.try_get::<Json<serde_json::Value>, _>("erased_by").map_err(|e| self.fail(e))?);
        }
        self.note(sqlx::query("SELECT tenantry_lookup.note_erasures($1, $2, $3)").bind(users).bind(at).bind(by)).await
    }

    /// The removal of a user (a store's delete; a purge or a reload is not one).
    pub(crate) async fn note_user_removed(&mut self, user: Uuid) -> Result<(), StoreError> {
        self.note(sqlx::query("SELECT tenantry_lookup.note_user_removed($1)").bind(user)).await
    }

    /// A new tenant's slug (taken: `Conflict(TenantSlug)`).
    pub(crate) async fn claim_slug(&mut self, slug: &str) -> Result<(), StoreError> {
        self.note(sqlx::query("SELECT tenantry_lookup.claim_slug($1)").bind(slug)).await
    }

    /// The tenant's slug and billing customer released (purge, reload).
    pub(crate) async fn release_tenant(&mut self) -> Result<(), StoreError> {
        self.note(sqlx::query("SELECT tenantry_lookup.release_tenant()")).await
    }

    /// The tenant's billing customer as its subscription names it.
    pub(crate) async fn set_billing_customer(&mut self, customer: Option<&str>) -> Result<(), StoreError> {
        self.note(sqlx::query("SELECT tenantry_lookup.set_billing_customer($1)").bind(customer)).await
    }

    /// After the tenant's rows were reloaded (a restore): every note again,
    /// from the rows as they now stand.
    pub(crate) async fn note_reloaded(&mut self) -> Result<(), StoreError> {
        let t = self.t();
        let slug: Option<String> = self
            .optional(sqlx::query("SELECT slug FROM tenantry.tenants WHERE tenant_id = $1").bind(t))
            .await?
            .map(|r| r.try_get("slug"))
            .transpose()
            .map_err(|e| self.fail(e))?;
        if let Some(slug) = slug {
            self.claim_slug(&slug).await?;
        }
        let customer: Option<String> = self
            .optional(sqlx::query("SELECT provider_customer FROM tenantry.subscriptions WHERE tenant_id = $1").bind(t))
            .await?
            .map(|r| r.try_get("provider_customer"))
            .transpose()
            .map_err(|e| self.fail(e))?
            .flatten();
        self.set_billing_customer(customer.as_deref()).await?;
        let users = self.reloaded(CREDENTIALS, "tenantry.users", "").await?;
        self.note_credentials(&users).await?;
        let keys = self.reloaded(REVOCATIONS, "tenantry.api_keys", "AND revoked_at IS NOT NULL").await?;
        self.note_keys_revoked(&keys).await?;
        let erasures = self.reloaded(ERASURES, "tenantry.erasures", "").await?;
        self.note_erasures(&erasures).await
    }

    /// The tenant's rows of `table` (one of this module's constants as `columns`,
    /// and a fixed `and` clause), as they now stand.
    async fn reloaded(&mut self, columns: &str, table: &str, and: &str) -> Result<Vec<PgRow>, StoreError> {
        let t = self.t();
        self.all(
            sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {columns} FROM {table} WHERE tenant_id = $1 {and}")))
                .bind(t),
        )
        .await
    }
}

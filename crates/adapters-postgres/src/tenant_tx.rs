//! A unit of work inside one tenant: one transaction on which
//! `tenantry.tenant_id` is set (transaction-local), so that row-level security
//! shows and accepts only that tenant's rows. Queries still name the tenant
//! explicitly — belt and braces, and it lets the planner use the indexes that
//! lead with tenant_id.

use crate::error::{Db, corrupt, store};
use crate::rows;
use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::postgres::Postgres;
use sqlx::types::Json;
use sqlx::{Row, Transaction};
use tenantry_domain::export::Export;
use tenantry_domain::job::{Job, JobKind};
use tenantry_domain::password_reset::{LinkPurpose, PasswordReset};
use tenantry_domain::rbac::CustomRole;
use tenantry_domain::session::{Session, SessionOwner};
use tenantry_domain::user::Erasure;
use tenantry_domain::user::UserStatus;
use tenantry_domain::{
    ApiKey, ApiKeyId, AuditEvent, AuditTarget, Email, Invitation, InvitationId, RoleId, RoleRef, Subscription, Tenant,
    TenantId, User, UserId,
};
use tenantry_domain::{ExportId, JobId, ResetId, SessionId};
use tenantry_ports::error::{Constraint, StoreError};
use tenantry_ports::payment::Invoice;
use tenantry_ports::store::{
    Access, ApiKeyStore, AuditQuery, AuditStore, CredentialLedger, CredentialStore, ErasureStore, ExportStore,
    InvitationStore, JobStore, MarkerStore, Month, ProductDataStore, ProductTableRows, Redaction, ResetStore,
    RoleStore, SessionStore, SubscriptionFacts, SubscriptionStore, TenantStore, TenantTx, UsageCounters, UsageDelta,
    UsageStore, UserCredentials, UserStore,
};
use uuid::Uuid;

pub(crate) struct PgTenantTx {
    pub(crate) tenant: TenantId,
    pub(crate) access: Access,
    pub(crate) tx: Transaction<'static, Postgres>,
    /// Set by any SQL error: PostgreSQL has aborted the transaction (and would
    /// answer COMMIT with a silent rollback, which must not pass for success).
    pub(crate) aborted: bool,
    /// Seals and opens the TOTP secrets (the store's data key).
    pub(crate) key: Option<tenantry_ports::crypto::DataKey>,
}

impl PgTenantTx {
    pub(crate) fn fail(&mut self, e: sqlx::Error) -> StoreError {
        self.aborted = true;
        store(e)
    }
    pub(crate) fn t(&self) -> Uuid {
        self.tenant.as_uuid()
    }
    pub(crate) fn writable(&self) -> Result<(), StoreError> {
        if self.access == Access::Write {
            Ok(())
        } else {
            Err(StoreError::Unknown(anyhow::anyhow!("write in a read-only unit of work")))
        }
    }
    fn own(&self, tenant: TenantId, what: &str) -> Result<(), StoreError> {
        if tenant == self.tenant {
            Ok(())
        } else {
            Err(StoreError::Unknown(anyhow::anyhow!("{what} of another tenant refused by the unit of work's scope")))
        }
    }
}

fn month_date(m: Month) -> Result<NaiveDate, StoreError> {
    m.first_day().ok_or_else(|| corrupt("usage", "month out of range"))
}

fn i64_of(v: u64, what: &str) -> Result<i64, StoreError> {
    i64::try_from(v).map_err(|e| corrupt(what, e))
}

#[async_trait]
impl TenantStore for PgTenantTx {
    async fn tenant(&mut self) -> Result<Option<Tenant>, StoreError> {
        let row = sqlx::query("SELECT * FROM tenantry.tenants WHERE tenant_id = $1")
            .bind(self.t())
            .fetch_optional(&mut *self.tx)
            .await
            .map_err(|e| self.fail(e))?;
        row.as_ref().map(rows::tenant).transpose()
    }

    async fn insert_tenant(&mut self, tenant: &Tenant) -> Result<(), StoreError> {
        self.writable()?;
        self.own(tenant.id, "a tenant row")?;
        sqlx::query(
            "INSERT INTO tenantry.tenants (tenant_id, slug, name, created_at, settings, quota_override) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(self.t())
        .bind(tenant.slug.as_str())
        .bind(tenant.name.as_str())
        .bind(tenant.created_at)
        .bind(Json(&tenant.settings))
        .bind(Json(&tenant.quota_override))
        .execute(&mut *self.tx)
        .await
        .map_err(|e| self.fail(e))?;
        Ok(())
    }

    async fn update_tenant(&mut self, tenant: &Tenant) -> Result<(), StoreError> {
        self.writable()?;
        self.own(tenant.id, "a tenant row")?;
        let done = sqlx::query(
            "UPDATE tenantry.tenants SET name = $2, settings = $3, quota_override = $4 WHERE tenant_id = $1",
        )
        .bind(self.t())
        .bind(tenant.name.as_str())
        .bind(Json(&tenant.settings))
        .bind(Json(&tenant.quota_override))
        .execute(&mut *self.tx)
        .await
        .map_err(|e| self.fail(e))?;
        if done.rows_affected() == 0 { Err(StoreError::NotFound) } else { Ok(()) }
    }

    async fn purge_tenant(&mut self) -> Result<(), StoreError> {
        self.writable()?;
        // Every tenant-owned table references tenants ON DELETE CASCADE; the triggers
        // remove the slug and billing-customer entries.
        sqlx::query("DELETE FROM tenantry.tenants WHERE tenant_id = $1")
            .bind(self.t())
            .execute(&mut *self.tx)
            .await
            .map_err(|e| self.fail(e))?;
        Ok(())
    }
}

fn user_binds(user: &User) -> (&'static str, Option<Uuid>, bool, Option<DateTime<Utc>>, Option<&'static str>) {
    let (role, custom) = rows::role_columns(user.role);
    match user.status {
        UserStatus::Active => (role, custom, true, None, None),
        UserStatus::Deactivated { at, reason } => (role, custom, false, Some(at), Some(rows::reason_text(reason))),
    }
}

#[async_trait]
impl UserStore for PgTenantTx {
    async fn user(&mut self, id: UserId) -> Result<Option<User>, StoreError> {
        let row = sqlx::query("SELECT * FROM tenantry.users WHERE tenant_id = $1 AND id = $2")
            .bind(self.t())
            .bind(id.as_uuid())
            .fetch_optional(&mut *self.tx)
            .await
            .map_err(|e| self.fail(e))?;
        row.as_ref().map(|r| rows::user(r, self.key.as_ref())).transpose()
    }

    async fn user_by_email(&mut self, email: &Email) -> Result<Option<User>, StoreError> {
        let row = sqlx::query("SELECT * FROM tenantry.users WHERE tenant_id = $1 AND email = $2")
            .bind(self.t())
            .bind(email.as_str())
            .fetch_optional(&mut *self.tx)
            .await
            .map_err(|e| self.fail(e))?;
        row.as_ref().map(|r| rows::user(r, self.key.as_ref())).transpose()
    }

    async fn users(&mut self) -> Result<Vec<User>, StoreError> {
        let found = sqlx::query("SELECT * FROM tenantry.users WHERE tenant_id = $1 ORDER BY created_at, id")
            .bind(self.t())
            .fetch_all(&mut *self.tx)
            .await
            .map_err(|e| self.fail(e))?;
        found.iter().map(|r| rows::user(r, self.key.as_ref())).collect()
    }

    async fn insert_user(&mut self, user: &User) -> Result<(), StoreError> {
        self.writable()?;
        self.own(user.tenant_id, "a user")?;
        let (role, custom, active, deactivated_at, reason) = user_binds(user);
        sqlx::query(
            "INSERT INTO tenantry.users (tenant_id, id, email, name, role, custom_role_id, active, deactivated_at, \
             deactivated_reason, password_hash, created_at, failed_logins, locked_until, token_version, last_login_at, \
             email_verified_at, mfa, failures_since, login_addresses, mail_prefs) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)",
        )
        .bind(self.t())
        .bind(user.id.as_uuid())
        .bind(user.email.as_str())
        .bind(user.name.as_str())
        .bind(role)
        .bind(custom)
        .bind(active)
        .bind(deactivated_at)
        .bind(reason)
        .bind(user.password_hash.expose())
        .bind(user.created_at)
        .bind(i32::try_from(user.throttle.failures).unwrap_or(i32::MAX))
        .bind(user.throttle.locked_until)
        .bind(i64::from(user.token_version))
        .bind(user.last_login_at)
        .bind(user.email_verified_at)
        .bind(rows::user_mfa_json(self.key.as_ref(), user)?)
        .bind(user.throttle.window_started)
        .bind(Json(&user.throttle.addresses))
        .bind(Json(&user.mail_prefs))
        .execute(&mut *self.tx)
        .await
        .map_err(|e| self.fail(e))?;
        Ok(())
    }

    async fn update_user(&mut self, user: &User) -> Result<(), StoreError> {
        self.writable()?;
        self.own(user.tenant_id, "a user")?;
        let (role, custom, active, deactivated_at, reason) = user_binds(user);
        let done = sqlx::query(
            "UPDATE tenantry.users SET email = $3, name = $4, role = $5, custom_role_id = $6, active = $7, \
             deactivated_at = $8, deactivated_reason = $9, password_hash = $10, failed_logins = $11, \
             locked_until = $12, token_version = $13, last_login_at = $14, email_verified_at = $15, mfa = $16, \
             failures_since = $17, login_addresses = $18, mail_prefs = $19 WHERE tenant_id = $1 AND id = $2",
        )
        .bind(self.t())
        .bind(user.id.as_uuid())
        .bind(user.email.as_str())
        .bind(user.name.as_str())
        .bind(role)
        .bind(custom)
        .bind(active)
        .bind(deactivated_at)
        .bind(reason)
        .bind(user.password_hash.expose())
        .bind(i32::try_from(user.throttle.failures).unwrap_or(i32::MAX))
        .bind(user.throttle.locked_until)
        .bind(i64::from(user.token_version))
        .bind(user.last_login_at)
        .bind(user.email_verified_at)
        .bind(rows::user_mfa_json(self.key.as_ref(), user)?)
        .bind(user.throttle.window_started)
        .bind(Json(&user.throttle.addresses))
        .bind(Json(&user.mail_prefs))
        .execute(&mut *self.tx)
        .await
        .map_err(|e| self.fail(e))?;
        if done.rows_affected() == 0 { Err(StoreError::NotFound) } else { Ok(()) }
    }

    async fn delete_user(&mut self, id: UserId) -> Result<(), StoreError> {
        self.writable()?;
        // The removal goes into the platform's credential ledger in the same statement (migration 0016).
        let done = sqlx::query(
            "WITH gone AS (DELETE FROM tenantry.users WHERE tenant_id = $1 AND id = $2 RETURNING id) \
             SELECT tenantry_lookup.note_user_removed(id) FROM gone",
        )
        .bind(self.t())
        .bind(id.as_uuid())
        .fetch_all(&mut *self.tx)
        .await
        .map_err(|e| self.fail(e))?;
        if done.is_empty() { Err(StoreError::NotFound) } else { Ok(()) }
    }
}

#[async_trait]
impl InvitationStore for PgTenantTx {
    async fn invitation(&mut self, id: InvitationId) -> Result<Option<Invitation>, StoreError> {
        let row = sqlx::query("SELECT * FROM tenantry.invitations WHERE tenant_id = $1 AND id = $2")
            .bind(self.t())
            .bind(id.as_uuid())
            .fetch_optional(&mut *self.tx)
            .await
            .map_err(|e| self.fail(e))?;
        row.as_ref().map(rows::invitation).transpose()
    }

    async fn invitations(&mut self) -> Result<Vec<Invitation>, StoreError> {
        let found =
            sqlx::query("SELECT * FROM tenantry.invitations WHERE tenant_id = $1 ORDER BY created_at DESC, id DESC")
                .bind(self.t())
                .fetch_all(&mut *self.tx)
                .await
                .map_err(|e| self.fail(e))?;
        found.iter().map(rows::invitation).collect()
    }

    async fn insert_invitation(&mut self, i: &Invitation) -> Result<(), StoreError> {
        self.writable()?;
        self.own(i.tenant_id, "an invitation")?;
        let (role, custom) = rows::role_columns(i.role);
        let (state, state_at, accepted, reason) = rows::invitation_status(&i.status);
        sqlx::query(
            "INSERT INTO tenantry.invitations (tenant_id, id, email, role, custom_role_id, token_hash, invited_by, \
             created_at, expires_at, state, state_at, accepted_user_id, revoke_reason, sent_count) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
        )
        .bind(self.t())
        .bind(i.id.as_uuid())
        .bind(i.email.as_str())
        .bind(role)
        .bind(custom)
        .bind(i.token_hash.to_hex())
        .bind(i.invited_by.map(|u| u.as_uuid()))
        .bind(i.created_at)
        .bind(i.expires_at)
        .bind(state)
        .bind(state_at)
        .bind(accepted)
        .bind(reason)
        .bind(i32::try_from(i.sent_count).unwrap_or(i32::MAX))
        .execute(&mut *self.tx)
        .await
        .map_err(|e| self.fail(e))?;
        Ok(())
    }

    async fn update_invitation(&mut self, i: &Invitation) -> Result<(), StoreError> {
        self.writable()?;
        self.own(i.tenant_id, "an invitation")?;
        let (role, custom) = rows::role_columns(i.role);
        let (state, state_at, accepted, reason) = rows::invitation_status(&i.status);
        let done = sqlx::query(
            "UPDATE tenantry.invitations SET email = $3, role = $4, custom_role_id = $5, token_hash = $6, \
             expires_at = $7, state = $8, state_at = $9, accepted_user_id = $10, revoke_reason = $11, sent_count = $12 \
             WHERE tenant_id = $1 AND id = $2",
        )
        .bind(self.t())
        .bind(i.id.as_uuid())
        .bind(i.email.as_str())
        .bind(role)
        .bind(custom)
        .bind(i.token_hash.to_hex())
        .bind(i.expires_at)
        .bind(state)
        .bind(state_at)
        .bind(accepted)
        .bind(reason)
        .bind(i32::try_from(i.sent_count).unwrap_or(i32::MAX))
        .execute(&mut *self.tx)
        .await
        .map_err(|e| self.fail(e))?;
        if done.rows_affected() == 0 { Err(StoreError::NotFound) } else { Ok(()) }
    }
}

#[async_trait]
impl ApiKeyStore for PgTenantTx {
    async fn api_key(&mut self, id: ApiKeyId) -> Result<Option<ApiKey>, StoreError> {
        let row = sqlx::query("SELECT * FROM tenantry.api_keys WHERE tenant_id = $1 AND id = $2")
            .bind(self.t())
            .bind(id.as_uuid())
            .fetch_optional(&mut *self.tx)
            .await
            .map_err(|e| self.fail(e))?;
        row.as_ref().map(rows::api_key).transpose()
    }

    async fn api_keys(&mut self) -> Result<Vec<ApiKey>, StoreError> {
        let found =
            sqlx::query("SELECT * FROM tenantry.api_keys WHERE tenant_id = $1 ORDER BY created_at DESC, id DESC")
                .bind(self.t())
                .fetch_all(&mut *self.tx)
                .await
                .map_err(|e| self.fail(e))?;
        found.iter().map(rows::api_key).collect()
    }

    async fn insert_api_key(&mut self, key: &ApiKey) -> Result<(), StoreError> {
        self.writable()?;
        self.own(key.tenant_id, "an API key")?;
        let RoleRef::Builtin(role) = key.role else {
            // Keys hold built-in roles only (the table has no custom role column).
            self.aborted = true;
            return Err(StoreError::Conflict(Constraint::RoleReference));
        };
        sqlx::query(
            "INSERT INTO tenantry.api_keys (tenant_id, id, name, role, secret_hash, created_by, created_at, revoked_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(self.t())
        .bind(key.id.as_uuid())
        .bind(key.name.as_str())
        .bind(role.as_str())
        .bind(key.secret_hash.to_hex())
        .bind(key.created_by.map(|u| u.as_uuid()))
        .bind(key.created_at)
        .bind(key.revoked_at)
        .execute(&mut *self.tx)
        .await
        .map_err(|e| self.fail(e))?;
        Ok(())
    }

    async fn update_api_key(&mut self, key: &ApiKey) -> Result<(), StoreError> {
        self.writable()?;
        self.own(key.tenant_id, "an API key")?;
        let done =
            sqlx::query("UPDATE tenantry.api_keys SET name = $3, revoked_at = $4 WHERE tenant_id = $1 AND id = $2")
                .bind(self.t())
                .bind(key.id.as_uuid())
                .bind(key.name.as_str())
                .bind(key.revoked_at)
                .execute(&mut *self.tx)
                .await
                .map_err(|e| self.fail(e))?;
        if done.rows_affected() == 0 { Err(StoreError::NotFound) } else { Ok(()) }
    }
}

#[async_trait]
impl RoleStore for PgTenantTx {
    async fn role(&mut self, id: RoleId) -> Result<Option<CustomRole>, StoreError> {
        let row = sqlx::query("SELECT * FROM tenantry.roles WHERE tenant_id = $1 AND id = $2")
            .bind(self.t())
            .bind(id.as_uuid())
            .fetch_optional(&mut *self.tx)
            .await
            .map_err(|e| self.fail(e))?;
        row.as_ref().map(rows::role).transpose()
    }

    async fn roles(&mut self) -> Result<Vec<CustomRole>, StoreError> {
        let found = sqlx::query("SELECT * FROM tenantry.roles WHERE tenant_id = $1 ORDER BY lower(name), id")
            .bind(self.t())
            .fetch_all(&mut *self.tx)
            .await
            .map_err(|e| self.fail(e))?;
        found.iter().map(rows::role).collect()
    }

    async fn insert_role(&mut self, role: &CustomRole) -> Result<(), StoreError> {
        self.writable()?;
        self.own(role.tenant_id, "a role")?;
        sqlx::query(
            "INSERT INTO tenantry.roles (tenant_id, id, name, description, permissions, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(self.t())
        .bind(role.id.as_uuid())
        .bind(role.name.as_str())
        .bind(role.description.as_ref().map(|d| d.as_str()))
        .bind(role.permissions.iter().map(|p| p.as_str().to_owned()).collect::<Vec<_>>())
        .bind(role.created_at)
        .execute(&mut *self.tx)
        .await.map_err(|e| self.fail(e))?;
        Ok(())
    }

    async fn update_role(&mut self, role: &CustomRole) -> Result<(), StoreError> {
        self.writable()?;
        self.own(role.tenant_id, "a role")?;
        let done = sqlx::query(
            "UPDATE tenantry.roles SET name = $3, description = $4, permissions = $5 WHERE tenant_id = $1 AND id = $2",
        )
        .bind(self.t())
        .bind(role.id.as_uuid())
        .bind(role.name.as_str())
        .bind(role.description.as_ref().map(|d| d.as_str()))
        .bind(role.permissions.iter().map(|p| p.as_str().to_owned()).collect::<Vec<_>>())
        .execute(&mut *self.tx)
        .await
        .map_err(|e| self.fail(e))?;
        if done.rows_affected() == 0 { Err(StoreError::NotFound) } else { Ok(()) }
    }

    async fn delete_role(&mut self, id: RoleId) -> Result<(), StoreError> {
        self.writable()?;
        let done = sqlx::query("DELETE FROM tenantry.roles WHERE tenant_id = $1 AND id = $2")
            .bind(self.t())
            .bind(id.as_uuid())
            .execute(&mut *self.tx)
            .await
            .map_err(|e| self.fail(e))?;
        if done.rows_affected() == 0 { Err(StoreError::NotFound) } else { Ok(()) }
    }
}

#[async_trait]
impl SubscriptionStore for PgTenantTx {
    async fn subscription(&mut self) -> Result<Option<Subscription>, StoreError> {
        let row = sqlx::query("SELECT state, payment_method_on_file, provider_customer, provider_subscription, provider_synced_at, timer_checked_at, revision FROM tenantry.subscriptions WHERE tenant_id = $1")
            .bind(self.t())
            .fetch_optional(&mut *self.tx)
            .await.map_err(|e| self.fail(e))?;
        let Some(row) = row else { return Ok(None) };
        let customer: Option<String> = row.try_get("provider_customer").db()?;
        Ok(Some(Subscription {
            tenant_id: self.tenant,
            state: row.try_get::<Json<_>, _>("state").db()?.0,
            payment_method_on_file: row.try_get("payment_method_on_file").db()?,
            provider: customer
                .map(|customer| -> Result<_, StoreError> {
                    Ok(tenantry_domain::subscription::ProviderLink {
                        customer,
                        subscription: row.try_get("provider_subscription").db()?,
                    })
                })
                .transpose()?,
            provider_synced_at: row.try_get("provider_synced_at").db()?,
            timer_checked_at: row.try_get("timer_checked_at").db()?,
            revision: u64::try_from(row.try_get::<i64, _>("revision").db()?).unwrap_or(0),
        }))
    }

    async fn save_subscription(&mut self, s: &Subscription, f: &SubscriptionFacts) -> Result<(), StoreError> {
        self.writable()?;
        self.own(s.tenant_id, "a subscription")?;
        let status = serde_json::to_value(f.status).map_err(|e| corrupt("subscription", e))?;
        let plan = serde_json::to_value(f.plan).map_err(|e| corrupt("subscription", e))?;
        sqlx::query(
            "INSERT INTO tenantry.subscriptions (tenant_id, state, payment_method_on_file, provider_customer, \
             provider_subscription, provider_synced_at, timer_checked_at, status, plan, billing_interval, seats, \
             recurring_cents, next_due_at, revision) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) \
             ON CONFLICT (tenant_id) DO UPDATE SET state = EXCLUDED.state, \
             payment_method_on_file = EXCLUDED.payment_method_on_file, provider_customer = EXCLUDED.provider_customer, \
             provider_subscription = EXCLUDED.provider_subscription, provider_synced_at = EXCLUDED.provider_synced_at, \
             timer_checked_at = EXCLUDED.timer_checked_at, status = EXCLUDED.status, plan = EXCLUDED.plan, \
             billing_interval = EXCLUDED.billing_interval, seats = EXCLUDED.seats, \
             recurring_cents = EXCLUDED.recurring_cents, next_due_at = EXCLUDED.next_due_at, \
             revision = EXCLUDED.revision",
        )
        .bind(self.t())
        .bind(Json(&s.state))
        .bind(s.payment_method_on_file)
        .bind(s.provider.as_ref().map(|l| l.customer.as_str()))
        .bind(s.provider.as_ref().and_then(|l| l.subscription.as_deref()))
        .bind(s.provider_synced_at)
        .bind(s.timer_checked_at)
        .bind(status.as_str().unwrap_or_default().to_owned())
        .bind(plan.as_str().unwrap_or_default().to_owned())
        .bind(f.interval.map(|i| i.as_str()))
        .bind(f.seats.map(|n| i32::try_from(n).unwrap_or(i32::MAX)))
        .bind(f.recurring_cents)
        .bind(f.next_due_at)
        .bind(i64::try_from(s.revision).unwrap_or(i64::MAX))
        .execute(&mut *self.tx)
        .await
        .map_err(|e| self.fail(e))?;
        Ok(())
    }

    async fn invoices(&mut self) -> Result<Vec<Invoice>, StoreError> {
        let found =
            sqlx::query("SELECT data FROM tenantry.invoices WHERE tenant_id = $1 ORDER BY created_at DESC, id DESC")
                .bind(self.t())
                .fetch_all(&mut *self.tx)
                .await
                .map_err(|e| self.fail(e))?;
        found.iter().map(|r| r.try_get::<Json<Invoice>, _>("data").db().map(|j| j.0)).collect()
    }

    async fn save_invoice(&mut self, invoice: &Invoice) -> Result<(), StoreError> {
        self.writable()?;
        sqlx::query(
            "INSERT INTO tenantry.invoices (tenant_id, id, created_at, data) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (tenant_id, id) DO UPDATE SET created_at = EXCLUDED.created_at, data = EXCLUDED.data",
        )
        .bind(self.t())
        .bind(invoice.id.as_str())
        .bind(invoice.created_at)
        .bind(Json(invoice))
        .execute(&mut *self.tx)
        .await
        .map_err(|e| self.fail(e))?;
        Ok(())
    }

    async fn record_billing_event(&mut self, event_id: &str, at: DateTime<Utc>) -> Result<bool, StoreError> {
        self.writable()?;
        let done = sqlx::query(
            "INSERT INTO tenantry.billing_events (tenant_id, event_id, received_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        )
        .bind(self.t())
        .bind(event_id)
        .bind(at)
        .execute(&mut *self.tx)
        .await.map_err(|e| self.fail(e))?;
        Ok(done.rows_affected() == 1)
    }
}

pub(crate) fn target_user(t: &Option<AuditTarget>) -> Option<Uuid> {
    match t {
        Some(AuditTarget::User(u)) => Some(u.as_uuid()),
        _ => None,
    }
}

fn int(v: u32) -> i32 {
    i32::try_from(v).unwrap_or(i32::MAX)
}

#[async_trait]
impl JobStore for PgTenantTx {
    async fn insert_job(&mut self, j: &Job) -> Result<(), StoreError> {
        self.writable()?;
        self.own(j.tenant_id, "a job")?;
        let (state, finished_at) = rows::job_state_columns(&j.state);
        sqlx::query(
            "INSERT INTO tenantry.jobs (tenant_id, id, kind, run_at, attempts, leased_until, last_error, state, finished_at, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(self.t())
        .bind(j.id.as_uuid())
        .bind(Json(&j.kind))
        .bind(j.run_at)
        .bind(int(j.attempts))
        .bind(j.leased_until)
        .bind(j.last_error.as_deref())
        .bind(state)
        .bind(finished_at)
        .bind(j.created_at)
        .execute(&mut *self.tx)
        .await
        .map_err(|e| self.fail(e))?;
        Ok(())
    }

    async fn job(&mut self, id: JobId) -> Result<Option<Job>, StoreError> {
        let row = sqlx::query("SELECT * FROM tenantry.jobs WHERE tenant_id = $1 AND id = $2")
            .bind(self.t())
            .bind(id.as_uuid())
            .fetch_optional(&mut *self.tx)
            .await
            .map_err(|e| self.fail(e))?;
        row.as_ref().map(rows::job).transpose()
    }

    async fn jobs_of_kind(&mut self, kind: &JobKind) -> Result<Vec<Job>, StoreError> {
        let rows =
            sqlx::query("SELECT * FROM tenantry.jobs WHERE tenant_id = $1 AND kind = $2 ORDER BY created_at, id")
                .bind(self.t())
                .bind(Json(kind))
                .fetch_all(&mut *self.tx)
                .await
                .map_err(|e| self.fail(e))?;
        rows.iter().map(rows::job).collect()
    }

    async fn update_job(&mut self, j: &Job) -> Result<(), StoreError> {
        self.writable()?;
        self.own(j.tenant_id, "a job")?;
        let (state, finished_at) = rows::job_state_columns(&j.state);
        let done = sqlx::query(
            "UPDATE tenantry.jobs SET run_at = $3, attempts = $4, leased_until = $5, last_error = $6, state = $7, finished_at = $8 \
             WHERE tenant_id = $1 AND id = $2",
        )
        .bind(self.t())
        .bind(j.id.as_uuid())
        .bind(j.run_at)
        .bind(int(j.attempts))
        .bind(j.leased_until)
        .bind(j.last_error.as_deref())
        .bind(state)
        .bind(finished_at)
        .execute(&mut *self.tx)
        .await
        .map_err(|e| self.fail(e))?;
        if done.rows_affected() == 1 { Ok(()) } else { Err(StoreError::NotFound) }
    }

    async fn claim_job(&mut self, id: JobId, now: chrono::DateTime<chrono::Utc>) -> Result<Option<Job>, StoreError> {
        self.writable()?;
        // The row's lock orders this claim with the directory's (FOR UPDATE SKIP
        // LOCKED): after waiting, the row read is the one the other claim wrote.
        let row = sqlx::query("SELECT * FROM tenantry.jobs WHERE tenant_id = $1 AND id = $2 FOR UPDATE")
            .bind(self.t())
            .bind(id.as_uuid())
            .fetch_optional(&mut *self.tx)
            .await
            .map_err(|e| self.fail(e))?;
        let Some(mut job) = row.as_ref().map(rows::job).transpose()? else { return Ok(None) };
        if !job.claimable(now) {
            return Ok(None);
        }
        job.claim(now);
        self.update_job(&job).await?;
        Ok(Some(job))
    }
}

#[async_trait]
impl tenantry_ports::store::OutboxStore for PgTenantTx {
    async fn insert_mail(&mut self, m: &tenantry_ports::system::QueuedMail) -> Result<(), StoreError> {
        self.writable()?;
        self.own(m.tenant_id, "a mail")?;
        let token = match m.mail.message.token() {
            Some(token) => Some(rows::seal_mail_token(self.key.as_ref(), m.tenant_id, m.id, &token)?),
            None => None,
        };
        let (sent_at, message_id, reply) = match &m.sent {
            Some((at, accepted)) => (Some(*at), Some(accepted.message_id.as_str()), Some(accepted.reply.as_str())),
            None => (None, None, None),
        };
        sqlx::query(
            "INSERT INTO tenantry.mails (tenant_id, id, template, to_email, mail, token, created_at, sent_at, message_id, reply) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(self.t())
        .bind(m.id.as_uuid())
        .bind(m.mail.message.template())
        .bind(m.mail.to.as_str())
        .bind(Json(&m.mail))
        .bind(token)
        .bind(m.created_at)
        .bind(sent_at)
        .bind(message_id)
        .bind(reply)
        .execute(&mut *self.tx)
        .await
        .map_err(|e| self.fail(e))?;
        Ok(())
    }

    async fn queued_mail(
        &mut self,
        id: tenantry_domain::MailId,
    ) -> Result<Option<tenantry_ports::system::QueuedMail>, StoreError> {
        let row = sqlx::query("SELECT * FROM tenantry.mails WHERE tenant_id = $1 AND id = $2")
            .bind(self.t())
            .bind(id.as_uuid())
            .fetch_optional(&mut *self.tx)
            .await
            .map_err(|e| self.fail(e))?;
        row.as_ref().map(|r| rows::queued_mail(self.key.as_ref(), r)).transpose()
    }

    async fn mark_mail_sent(
        &mut self,
        id: tenantry_domain::MailId,
        at: chrono::DateTime<chrono::Utc>,
        accepted: &tenantry_ports::system::Accepted,
    ) -> Result<(), StoreError> {
        self.writable()?;
        let done = sqlx::query(
            "UPDATE tenantry.mails SET sent_at = $3, message_id = $4, reply = $5, token = NULL \
             WHERE tenant_id = $1 AND id = $2",
        )
        .bind(self.t())
        .bind(id.as_uuid())
        .bind(at)
        .bind(&accepted.message_id)
        .bind(&accepted.reply)
        .execute(&mut *self.tx)
        .await
        .map_err(|e| self.fail(e))?;
        if done.rows_affected() == 0 { Err(StoreError::NotFound) } else { Ok(()) }
    }

    async fn forget_mails_of(&mut self, email: &tenantry_domain::Email, name: &str) -> Result<u64, StoreError> {
        self.writable()?;
        // Every string value at any depth of the mail (`$.**`): one that contains the
        // address or is the name marks the mail as the person's.
        let done = sqlx::query(
            "DELETE FROM tenantry.mails m WHERE m.tenant_id = $1 AND (m.to_email = $2 OR EXISTS ( \
                 SELECT 1 FROM jsonb_path_query(m.mail, 'strict $.**') AS v(value) \
                 WHERE jsonb_typeof(v.value) = 'string' \
                   AND (strpos(v.value #>> '{}', $2) > 0 OR ($3 <> '' AND v.value #>> '{}' = $3))))",
        )
        .bind(self.t())
        .bind(email.as_str())
        .bind(name)
        .execute(&mut *self.tx)
        .await
        .map_err(|e| self.fail(e))?;
        Ok(done.rows_affected())
    }

    async fn void_unsent_mails(&mut self) -> Result<u64, StoreError> {
        self.writable()?;
        let done = sqlx::query("DELETE FROM tenantry.mails WHERE tenant_id = $1 AND sent_at IS NULL")
            .bind(self.t())
            .execute(&mut *self.tx)
            .await
            .map_err(|e| self.fail(e))?;
        Ok(done.rows_affected())
    }
}

#[async_trait]
impl ExportStore for PgTenantTx {
    async fn insert_export(&mut self, e: &Export) -> Result<(), StoreError> {
        self.writable()?;
        self.own(e.tenant_id, "an export")?;
        sqlx::query(
            "INSERT INTO tenantry.exports (tenant_id, id, requested_by, status, sections_done, sections_total, size_bytes, created_at, finished_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(self.t())
        .bind(e.id.as_uuid())
        .bind(Json(&e.requested_by))
        .bind(e.status.as_str())
        .bind(int(e.sections_done))
        .bind(int(e.sections_total))
        .bind(i64::try_from(e.size_bytes).unwrap_or(i64::MAX))
        .bind(e.created_at)
        .bind(e.finished_at)
        .bind(e.expires_at)
        .execute(&mut *self.tx)
        .await
        .map_err(|e| self.fail(e))?;
        Ok(())
    }

    async fn update_export(&mut self, e: &Export) -> Result<(), StoreError> {
        self.writable()?;
        self.own(e.tenant_id, "an export")?;
        let done = sqlx::query(
            "UPDATE tenantry.exports SET status = $3, sections_done = $4, sections_total = $5, size_bytes = $6, finished_at = $7, expires_at = $8 \
             WHERE tenant_id = $1 AND id = $2",
        )
        .bind(self.t())
        .bind(e.id.as_uuid())
        .bind(e.status.as_str())
        .bind(int(e.sections_done))
        .bind(int(e.sections_total))
        .bind(i64::try_from(e.size_bytes).unwrap_or(i64::MAX))
        .bind(e.finished_at)
        .bind(e.expires_at)
        .execute(&mut *self.tx)
        .await
        .map_err(|e| self.fail(e))?;
        if done.rows_affected() == 1 { Ok(()) } else { Err(StoreError::NotFound) }
    }

    async fn export(&mut self, id: ExportId) -> Result<Option<Export>, StoreError> {
        let row = sqlx::query("SELECT * FROM tenantry.exports WHERE tenant_id = $1 AND id = $2")
            .bind(self.t())
            .bind(id.as_uuid())
            .fetch_optional(&mut *self.tx)
            .await
            .map_err(|e| self.fail(e))?;
        row.as_ref().map(rows::export).transpose()
    }

    async fn exports(&mut self) -> Result<Vec<Export>, StoreError> {
        let found =
            sqlx::query("SELECT * FROM tenantry.exports WHERE tenant_id = $1 ORDER BY created_at DESC, id DESC")
                .bind(self.t())
                .fetch_all(&mut *self.tx)
                .await
                .map_err(|e| self.fail(e))?;
        found.iter().map(rows::export).collect()
    }

    async fn append_export_file(&mut self, id: ExportId, bytes: &[u8]) -> Result<(), StoreError> {
        self.writable()?;
        sqlx::query(
            "INSERT INTO tenantry.export_files (tenant_id, export_id, content) VALUES ($1, $2, $3) \
             ON CONFLICT (tenant_id, export_id) DO UPDATE SET content = tenantry.export_files.content || EXCLUDED.content",
        )
        .bind(self.t())
        .bind(id.as_uuid())
        .bind(bytes)
        .execute(&mut *self.tx)
        .await
        .map_err(|e| self.fail(e))?;
        Ok(())
    }

    async fn export_file_chunk(&mut self, id: ExportId, offset: u64, len: u32) -> Result<Option<Vec<u8>>, StoreError> {
        // The column is stored uncompressed (migration 0024): substring reads only the chunk's pages.
        // PostgreSQL's substring counts from 1 in int4 (a bytea holds at most 1 GB).
        let from = i32::try_from(offset).ok().and_then(|o| o.checked_add(1)).ok_or_else(|| {
            StoreError::Unknown(anyhow::anyhow!("an export archive's offset {offset} is past what PostgreSQL holds"))
        })?;
        let len = i32::try_from(len).unwrap_or(i32::MAX);
        sqlx::query_scalar(
            "SELECT substring(content FROM $3 FOR $4) FROM tenantry.export_files WHERE tenant_id = $1 AND export_id = $2",
        )
        .bind(self.t())
        .bind(id.as_uuid())
        .bind(from)
        .bind(len)
        .fetch_optional(&mut *self.tx)
        .await
        .map_err(|e| self.fail(e))
    }

    async fn delete_export_file(&mut self, id: ExportId) -> Result<(), StoreError> {
        self.writable()?;
        sqlx::query("DELETE FROM tenantry.export_files WHERE tenant_id = $1 AND export_id = $2")
            .bind(self.t())
            .bind(id.as_uuid())
            .execute(&mut *self.tx)
            .await
            .map_err(|e| self.fail(e))?;
        Ok(())
    }
}

#[async_trait]
impl ErasureStore for PgTenantTx {
    async fn record_erasure(&mut self, e: &Erasure) -> Result<(), StoreError> {
        self.writable()?;
        self.own(e.tenant_id, "an erasure")?;
        sqlx::query("INSERT INTO tenantry.erasures (tenant_id, user_id, erased_at, erased_by) VALUES ($1, $2, $3, $4)")
            .bind(self.t())
            .bind(e.user_id.as_uuid())
            .bind(e.erased_at)
            .bind(Json(&e.erased_by))
            .execute(&mut *self.tx)
            .await
            .map_err(|e| self.fail(e))?;
        Ok(())
    }

    async fn erasures(&mut self) -> Result<Vec<Erasure>, StoreError> {
        let found = sqlx::query("SELECT * FROM tenantry.erasures WHERE tenant_id = $1 ORDER BY erased_at, user_id")
            .bind(self.t())
            .fetch_all(&mut *self.tx)
            .await
            .map_err(|e| self.fail(e))?;
        found.iter().map(rows::erasure).collect()
    }

    async fn platform_erasures(&mut self) -> Result<Vec<Erasure>, StoreError> {
        // The platform's copy is written by a trigger on tenantry.erasures (migration 0015) and
        // read for the transaction's tenant only.
        let found = sqlx::query("SELECT * FROM tenantry_lookup.erasure_ledger()")
            .fetch_all(&mut *self.tx)
            .await
            .map_err(|e| self.fail(e))?;
        found.iter().map(rows::erasure).collect()
    }
}

#[async_trait]
impl ResetStore for PgTenantTx {
    async fn insert_reset(&mut self, r: &PasswordReset) -> Result<(), StoreError> {
        self.writable()?;
        self.own(r.tenant_id, "a password reset")?;
        sqlx::query(
            "INSERT INTO tenantry.account_links (tenant_id, id, user_id, token_hash, created_at, expires_at, used_at, purpose) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(self.t())
        .bind(r.id.as_uuid())
        .bind(r.user_id.as_uuid())
        .bind(r.token_hash.to_hex())
        .bind(r.created_at)
        .bind(r.expires_at)
        .bind(r.used_at)
        .bind(r.purpose.as_str())
        .execute(&mut *self.tx)
        .await
        .map_err(|e| self.fail(e))?;
        Ok(())
    }

    async fn reset(&mut self, id: ResetId) -> Result<Option<PasswordReset>, StoreError> {
        let row = sqlx::query("SELECT * FROM tenantry.account_links WHERE tenant_id = $1 AND id = $2")
            .bind(self.t())
            .bind(id.as_uuid())
            .fetch_optional(&mut *self.tx)
            .await
            .map_err(|e| self.fail(e))?;
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
        }))
    }

    async fn update_reset(&mut self, r: &PasswordReset) -> Result<(), StoreError> {
        self.writable()?;
        self.own(r.tenant_id, "a password reset")?;
        let done = sqlx::query("UPDATE tenantry.account_links SET used_at = $3 WHERE tenant_id = $1 AND id = $2")
            .bind(self.t())
            .bind(r.id.as_uuid())
            .bind(r.used_at)
            .execute(&mut *self.tx)
            .await
            .map_err(|e| self.fail(e))?;
        if done.rows_affected() == 1 { Ok(()) } else { Err(StoreError::NotFound) }
    }

    async fn expire_links_of(
        &mut self,
        user: UserId,
        purpose: LinkPurpose,
        at: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        self.writable()?;
        let done = sqlx::query(
            "UPDATE tenantry.account_links SET expires_at = $4 \
             WHERE tenant_id = $1 AND user_id = $2 AND purpose = $3 AND expires_at > $4",
        )
        .bind(self.t())
        .bind(user.as_uuid())
        .bind(purpose.as_str())
        .bind(at)
        .execute(&mut *self.tx)
        .await
        .map_err(|e| self.fail(e))?;
        Ok(done.rows_affected())
    }

    async fn expire_links(&mut self, at: DateTime<Utc>) -> Result<u64, StoreError> {
        self.writable()?;
        let done =
            sqlx::query("UPDATE tenantry.account_links SET expires_at = $2 WHERE tenant_id = $1 AND expires_at > $2")
                .bind(self.t())
                .bind(at)
                .execute(&mut *self.tx)
                .await
                .map_err(|e| self.fail(e))?;
        Ok(done.rows_affected())
    }
}

#[async_trait]
impl SessionStore for PgTenantTx {
    async fn insert_session(&mut self, s: &Session) -> Result<(), StoreError> {
        self.writable()?;
        let SessionOwner::User(user) = s.owner else {
            return Err(StoreError::Unknown(anyhow::anyhow!("a superuser's session belongs to the platform")));
        };
        sqlx::query(
            "INSERT INTO tenantry.sessions (tenant_id, id, user_id, kind, impersonator, token_version, \
             refresh_generation, created_at, last_used_at, idle_seconds, expires_at, user_agent, address, ended_at, \
             ended_reason) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
        )
        .bind(self.t())
        .bind(s.id.as_uuid())
        .bind(user.as_uuid())
        .bind(s.kind.as_str())
        .bind(s.impersonator.map(|i| i.as_uuid()))
        .bind(i64::from(s.token_version))
        .bind(i64::from(s.refresh_generation))
        .bind(s.created_at)
        .bind(s.last_used_at)
        .bind(i32::try_from(s.idle.num_seconds()).unwrap_or(i32::MAX))
        .bind(s.expires_at)
        .bind(s.user_agent.as_deref())
        .bind(s.address.as_deref())
        .bind(s.ended.map(|(at, _)| at))
        .bind(s.ended.map(|(_, why)| why.as_str()))
        .execute(&mut *self.tx)
        .await
        .map_err(|e| self.fail(e))?;
        Ok(())
    }

    async fn session(&mut self, id: SessionId) -> Result<Option<Session>, StoreError> {
        let row = sqlx::query("SELECT * FROM tenantry.sessions WHERE tenant_id = $1 AND id = $2")
            .bind(self.t())
            .bind(id.as_uuid())
            .fetch_optional(&mut *self.tx)
            .await
            .map_err(|e| self.fail(e))?;
        row.as_ref().map(rows::session).transpose()
    }

    async fn update_session(&mut self, s: &Session) -> Result<(), StoreError> {
        self.writable()?;
        let SessionOwner::User(user) = s.owner else { return Err(StoreError::NotFound) };
        let done = sqlx::query(
            "UPDATE tenantry.sessions SET refresh_generation = $4, last_used_at = $5, ended_at = $6, \
             ended_reason = $7, user_agent = $8, address = $9 WHERE tenant_id = $1 AND id = $2 AND user_id = $3",
        )
        .bind(self.t())
        .bind(s.id.as_uuid())
        .bind(user.as_uuid())
        .bind(i64::from(s.refresh_generation))
        .bind(s.last_used_at)
        .bind(s.ended.map(|(at, _)| at))
        .bind(s.ended.map(|(_, why)| why.as_str()))
        .bind(s.user_agent.as_deref())
        .bind(s.address.as_deref())
        .execute(&mut *self.tx)
        .await
        .map_err(|e| self.fail(e))?;
        if done.rows_affected() == 1 { Ok(()) } else { Err(StoreError::NotFound) }
    }

    async fn forget_sessions_of(&mut self, user: UserId, at: DateTime<Utc>) -> Result<u64, StoreError> {
        self.writable()?;
        let done = sqlx::query(
            "UPDATE tenantry.sessions SET user_agent = NULL, address = NULL, \
             ended_reason = coalesce(ended_reason, 'erased'), ended_at = coalesce(ended_at, $3) \
             WHERE tenant_id = $1 AND user_id = $2 \
               AND (user_agent IS NOT NULL OR address IS NOT NULL OR ended_at IS NULL)",
        )
        .bind(self.t())
        .bind(user.as_uuid())
        .bind(at)
        .execute(&mut *self.tx)
        .await
        .map_err(|e| self.fail(e))?;
        Ok(done.rows_affected())
    }

    async fn sessions_of(&mut self, user: UserId) -> Result<Vec<Session>, StoreError> {
        let found = sqlx::query(
            "SELECT * FROM tenantry.sessions WHERE tenant_id = $1 AND user_id = $2 AND ended_at IS NULL \
             ORDER BY created_at DESC, id DESC",
        )
        .bind(self.t())
        .bind(user.as_uuid())
        .fetch_all(&mut *self.tx)
        .await
        .map_err(|e| self.fail(e))?;
        found.iter().map(rows::session).collect()
    }
}

#[async_trait]
impl CredentialStore for PgTenantTx {
    async fn credential_ledger(&mut self) -> Result<CredentialLedger, StoreError> {
        // Kept by triggers on users and api_keys and by `delete_user` (migration 0016); read for
        // the transaction's tenant only.
        let users = sqlx::query("SELECT * FROM tenantry_lookup.credential_ledger()")
            .fetch_all(&mut *self.tx)
            .await
            .map_err(|e| self.fail(e))?;
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

#[async_trait]
impl ProductDataStore for PgTenantTx {
    async fn product_rows(&mut self) -> Result<Vec<ProductTableRows>, StoreError> {
        let tables: Vec<(String, Vec<String>)> =
            sqlx::query_as("SELECT table_name, export_excluded FROM tenantry.product_tables ORDER BY table_name")
                .fetch_all(&mut *self.tx)
                .await
                .map_err(|e| self.fail(e))?;
        let mut out = Vec::with_capacity(tables.len());
        for (table, excluded) in tables {
            // The registry holds names as `format('%I.%I')` wrote them (quoted
            // identifiers), and only the owner's `register_product_table` writes it.
            // No tenant filter: row-level security confines the read to this tenant.
            // The columns registered as left out of the export are removed here.
            let rows: Json<Vec<serde_json::Value>> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                "SELECT coalesce(jsonb_agg(to_jsonb(t) - $1::text[] ORDER BY to_jsonb(t)::text), '[]'::jsonb) \
                 FROM {table} t"
            )))
            .bind(&excluded)
            .fetch_one(&mut *self.tx)
            .await
            .map_err(|e| self.fail(e))?;
            out.push(ProductTableRows { table, rows: rows.0 });
        }
        Ok(out)
    }
}

/// Appends `e` to `tenant`'s log on `conn` (tenantry's unit of work and a
/// product's scoped transaction both write through this).
async fn insert_audit(conn: &mut sqlx::PgConnection, tenant: Uuid, e: &AuditEvent) -> Result<(), sqlx::Error> {
    let actor_user = e.actor.user().map(|u| u.as_uuid());
    sqlx::query(
        "INSERT INTO tenantry.audit_events (tenant_id, id, at, actor, actor_user, action, target, target_user, outcome, details) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(tenant)
    .bind(e.id.as_uuid())
    .bind(e.at)
    .bind(Json(&e.actor))
    .bind(actor_user)
    .bind(e.action.as_str())
    .bind(e.target.as_ref().map(Json))
    .bind(target_user(&e.target))
    .bind(rows::outcome_text(e.outcome))
    .bind(Json(&e.details))
    .execute(conn)
    .await
    .map(|_| ())
}

#[async_trait]
impl AuditStore for PgTenantTx {
    async fn append_audit(&mut self, e: &AuditEvent) -> Result<(), StoreError> {
        self.writable()?;
        match e.tenant_id {
            Some(t) => self.own(t, "an audit event")?,
            None => return Err(StoreError::Unknown(anyhow::anyhow!("a platform event in a tenant log"))),
        }
        let tenant = self.t();
        insert_audit(&mut self.tx, tenant, e).await.map_err(|e| self.fail(e))
    }

    async fn redact_audit(&mut self, redactions: &[Redaction]) -> Result<u64, StoreError> {
        self.writable()?;
        let mut changed = std::collections::BTreeSet::new();
        for r in redactions.iter().filter(|r| !r.find.is_empty()) {
            // Each string value of the details: replaced when equal to (or, unless
            // `whole_value`, containing) the text; other values kept as they are.
            let ids: Vec<Uuid> = sqlx::query_scalar(
                "UPDATE tenantry.audit_events e SET details = ( \
                     SELECT coalesce(jsonb_object_agg(d.key, CASE \
                         WHEN jsonb_typeof(d.value) = 'string' AND $4 AND d.value #>> '{}' = $2 THEN to_jsonb($3::text) \
                         WHEN jsonb_typeof(d.value) = 'string' AND NOT $4 THEN to_jsonb(replace(d.value #>> '{}', $2, $3)) \
                         ELSE d.value END), '{}'::jsonb) \
                     FROM jsonb_each(e.details) AS d(key, value)) \
                 WHERE e.tenant_id = $1 AND EXISTS ( \
                     SELECT 1 FROM jsonb_each_text(e.details) AS t(key, value) \
                     WHERE CASE WHEN $4 THEN t.value = $2 ELSE strpos(t.value, $2) > 0 END) \
                 RETURNING e.id",
            )
            .bind(self.t())
            .bind(&r.find)
            .bind(&r.replace)
            .bind(r.whole_value)
            .fetch_all(&mut *self.tx)
            .await
            .map_err(|e| self.fail(e))?;
            changed.extend(ids);
        }
        Ok(u64::try_from(changed.len()).unwrap_or(u64::MAX))
    }

    async fn audit_events(&mut self, q: &AuditQuery) -> Result<Vec<AuditEvent>, StoreError> {
        let found = sqlx::query(
            "SELECT * FROM tenantry.audit_events WHERE tenant_id = $1 \
             AND ($2::uuid IS NULL OR id < $2) AND ($3::text IS NULL OR action = $3) \
             AND ($4::uuid IS NULL OR actor_user = $4 OR target_user = $4) \
             ORDER BY id DESC LIMIT $5",
        )
        .bind(self.t())
        .bind(q.before.map(|b| b.as_uuid()))
        .bind(q.action.as_ref().map(|a| a.as_str()))
        .bind(q.user.map(|u| u.as_uuid()))
        .bind(i64::from(q.limit))
        .fetch_all(&mut *self.tx)
        .await
        .map_err(|e| self.fail(e))?;
        found.iter().map(|r| rows::audit(r, Some(self.t()))).collect()
    }
}

#[async_trait]
impl UsageStore for PgTenantTx {
    async fn usage(&mut self, month: Month) -> Result<UsageCounters, StoreError> {
        let row =
            sqlx::query("SELECT api_calls, logins, page_views FROM tenantry.usage WHERE tenant_id = $1 AND month = $2")
                .bind(self.t())
                .bind(month_date(month)?)
                .fetch_optional(&mut *self.tx)
                .await
                .map_err(|e| self.fail(e))?;
        match row {
            Some(r) => usage_counters(&r),
            None => Ok(UsageCounters::default()),
        }
    }

    async fn add_usage(&mut self, month: Month, delta: UsageDelta) -> Result<UsageCounters, StoreError> {
        self.writable()?;
        let row = sqlx::query(
            "INSERT INTO tenantry.usage (tenant_id, month, api_calls, logins, page_views) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (tenant_id, month) DO UPDATE SET api_calls = tenantry.usage.api_calls + EXCLUDED.api_calls, \
             logins = tenantry.usage.logins + EXCLUDED.logins, \
             page_views = tenantry.usage.page_views + EXCLUDED.page_views \
             RETURNING api_calls, logins, page_views",
        )
        .bind(self.t())
        .bind(month_date(month)?)
        .bind(i64_of(delta.api_calls, "usage")?)
        .bind(i64_of(delta.logins, "usage")?)
        .bind(i64_of(delta.page_views, "usage")?)
        .fetch_one(&mut *self.tx)
        .await
        .map_err(|e| self.fail(e))?;
        usage_counters(&row)
    }

    async fn storage_used(&mut self) -> Result<u64, StoreError> {
        let bytes: Option<i64> = sqlx::query_scalar("SELECT bytes FROM tenantry.storage WHERE tenant_id = $1")
            .bind(self.t())
            .fetch_optional(&mut *self.tx)
            .await
            .map_err(|e| self.fail(e))?;
        Ok(bytes.map_or(0, |b| u64::try_from(b).unwrap_or(0)))
    }

    async fn set_storage_used(&mut self, bytes: u64) -> Result<(), StoreError> {
        self.writable()?;
        sqlx::query(
            "INSERT INTO tenantry.storage (tenant_id, bytes) VALUES ($1, $2) ON CONFLICT (tenant_id) DO UPDATE SET bytes = EXCLUDED.bytes",
        )
        .bind(self.t())
        .bind(i64_of(bytes, "storage")?)
        .execute(&mut *self.tx)
        .await.map_err(|e| self.fail(e))?;
        Ok(())
    }
}

#[async_trait]
impl MarkerStore for PgTenantTx {
    async fn mark(&mut self, key: &str, at: DateTime<Utc>) -> Result<bool, StoreError> {
        self.writable()?;
        let done =
            sqlx::query("INSERT INTO tenantry.markers (tenant_id, key, at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
                .bind(self.t())
                .bind(key)
                .bind(at)
                .execute(&mut *self.tx)
                .await
                .map_err(|e| self.fail(e))?;
        Ok(done.rows_affected() == 1)
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
        sqlx::query("DELETE FROM tenantry.markers WHERE tenant_id = $1 AND key = $2")
            .bind(self.t())
            .bind(key)
            .execute(&mut *self.tx)
            .await
            .map_err(|e| self.fail(e))?;
        Ok(())
    }
}

#[async_trait]
impl TenantTx for PgTenantTx {
    async fn commit(self: Box<Self>) -> Result<(), StoreError> {
        if self.aborted {
            return Err(StoreError::Unknown(anyhow::anyhow!("the unit of work was aborted by an earlier error")));
        }
        self.tx.commit().await.map_err(store)
    }
}

/// A month's usage row (`api_calls`, `logins`, `page_views`).
fn usage_counters(r: &sqlx::postgres::PgRow) -> Result<UsageCounters, StoreError> {
    let count =
        |name: &str| -> Result<u64, StoreError> { Ok(u64::try_from(r.try_get::<i64, _>(name).db()?).unwrap_or(0)) };
    Ok(UsageCounters { api_calls: count("api_calls")?, logins: count("logins")?, page_views: count("page_views")? })
}

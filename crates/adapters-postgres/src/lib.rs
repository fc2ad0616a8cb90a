//! # tenantry-postgres
//!
//! Every store port of `tenantry-ports` on PostgreSQL with sqlx: the unit of
//! work, the tenant stores, the platform store and the named cross-tenant paths.
//! This is wall 2 of DESIGN.md section 2 — even a query that forgets its
//! `WHERE tenant_id` returns nothing of another tenant:
//!
//! - every tenant-owned table has `tenant_id`, a tenant-leading primary key,
//!   tenant-inclusive foreign keys, and row-level security **enabled and forced**
//!   with a policy on the transaction-local setting `tenantry.tenant_id`
//!   (`migrations/0001_core.sql`);
//! - the service connects as `tenantry_app`, which owns no table, is not a
//!   superuser and has no BYPASSRLS — [`PgStore::connect`] refuses any other role;
//! - each unit of work is one transaction that starts by setting the tenant
//!   (`set_config(..., true)`: transaction-local, so a pooled connection never
//!   carries a tenant into the next request) and, for writers, taking the
//!   tenant's advisory lock (docs/decisions/0006);
//! - the only reads across tenants are the `SECURITY DEFINER` functions of
//!   schema `tenantry_lookup`, each returning only what its path needs.
//!
//! ## Invariants (stated as absences)
//!
//! - There is no public way to get a connection or a transaction without a
//!   tenant scope, and no query in this crate is built from text at run time:
//!   the one formatted statement (the start of a unit of work) formats a parsed
//!   UUID and an integer; the test helpers format database names they made.
//! - Nothing here reads across tenants except through `tenantry_lookup`.
//! - The service role never runs migrations; the owner never serves requests.

mod backup;
pub mod embedding;
mod error;
mod platform;
mod rows;
mod tenant_tx;
pub mod testing;
pub mod verify;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use std::str::FromStr;
use std::time::Duration;
use tenantry_domain::job::Job;
use tenantry_domain::{AuditEvent, JobId, Slug, TenantId};
use tenantry_ports::directory::{
    Housekeeping, Housekept, PlatformAuditQuery, PlatformFigures, TenantListQuery, TenantSummary,
};
use tenantry_ports::error::StoreError;
use tenantry_ports::store::{Access, Month, PlatformTx, TenantTx, UnitOfWork};
use tenantry_ports::{TenantDirectory, TenantScope};

pub use verify::{IsolationReport, verify_isolation};

/// The role the service connects as (created by the migrations).
pub const SERVICE_ROLE: &str = "tenantry_app";

/// The embedded migrations (run by [`migrate`] with the owner's URL).
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Why the store could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// The URL does not parse.
    #[error("DATABASE_URL is not a PostgreSQL URL: {0}")]
    Url(String),
    /// The server does not answer.
    #[error("PostgreSQL does not answer: {0}")]
    Unreachable(String),
    /// The role would bypass row-level security or owns tables.
    #[error(
        "refusing to serve as role `{role}`: {why}. Row-level security does not hold for such a role. \
         Fix: run `tenantry migrate` with DATABASE_ADMIN_URL set to the owner's URL (it creates the role \
         `tenantry_app`), give `tenantry_app` a password (`ALTER ROLE tenantry_app PASSWORD '...'`), \
         and set DATABASE_URL=postgres://tenantry_app:...@host/db"
    )]
    UnsafeRole {
        /// The role connected as.
        role: String,
        /// What is wrong with it.
        why: String,
    },
    /// The schema is missing (migrations not run).
    #[error("the tenantry schema is missing; run `tenantry migrate` with DATABASE_ADMIN_URL first")]
    NotMigrated,
}

/// Why migrations failed.
#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    /// The admin URL does not parse or the server does not answer.
    #[error("cannot reach PostgreSQL with DATABASE_ADMIN_URL: {0}")]
    Connect(String),
    /// A migration failed (nothing of it was applied).
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

/// Options of the store.
#[derive(Clone, Debug)]
pub struct PgOptions {
    /// Pool size.
    pub max_connections: u32,
    /// How long a request may wait for a connection.
    pub acquire_timeout: Duration,
}

impl Default for PgOptions {
    fn default() -> Self {
        Self { max_connections: 16, acquire_timeout: Duration::from_secs(5) }
    }
}

/// A small pool connected as the owner, for migrations.
pub(crate) async fn admin_pool(admin_url: &SecretString) -> Result<sqlx::PgPool, MigrateError> {
    let options =
        PgConnectOptions::from_str(admin_url.expose_secret()).map_err(|e| MigrateError::Connect(e.to_string()))?;
    PgPoolOptions::new()
        .max_connections(2)
        .acquire_timeout(Duration::from_secs(10))
        .connect_with(options)
        .await
        .map_err(|e| MigrateError::Connect(e.to_string()))
}

/// Runs the embedded migrations as the owner (`DATABASE_ADMIN_URL`); creates the
/// service role if missing. Idempotent; safe to run from several instances.
pub async fn migrate(admin_url: &SecretString) -> Result<(), MigrateError> {
    let pool = admin_pool(admin_url).await?;
    MIGRATOR.run(&pool).await?;
    pool.close().await;
    Ok(())
}

/// The PostgreSQL store: [`UnitOfWork`] and [`TenantDirectory`].
#[derive(Clone)]
pub struct PgStore {
    pool: PgPool,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PgStore")
    }
}

/// An advisory-lock key for a tenant (collisions only serialise two tenants' writers).
fn lock_key(tenant: TenantId) -> i64 {
    let (hi, lo) = tenant.as_uuid().as_u64_pair();
    i64::from_ne_bytes((hi ^ lo).to_ne_bytes())
}

impl PgStore {
    /// Connects as the service role and checks that it is safe: not a superuser,
    /// no BYPASSRLS, owns no tenantry table. Any other role is refused with the fix.
    pub async fn connect(database_url: &SecretString, options: PgOptions) -> Result<Self, ConnectError> {
        let connect =
            PgConnectOptions::from_str(database_url.expose_secret()).map_err(|e| ConnectError::Url(e.to_string()))?;
        let pool = PgPoolOptions::new()
            .max_connections(options.max_connections)
            .acquire_timeout(options.acquire_timeout)
            // No ping before each unit of work: it costs a round trip every time
            // (measured in docs/PERFORMANCE.md). A connection that died in the
            // pool fails the unit of work's first statement instead, before
            // anything was done, and `begin` then takes another (see `open`).
            .test_before_acquire(false)
            .connect_with(connect)
            .await
            .map_err(|e| ConnectError::Unreachable(e.to_string()))?;
        let store = Self { pool };
        store.check_role().await?;
        Ok(store)
    }

    /// Checks the connected role (see [`PgStore::connect`]).
    pub async fn check_role(&self) -> Result<(), ConnectError> {
        let (role, superuser, bypass, owned, schema): (String, bool, bool, i64, bool) = sqlx::query_as(
            "SELECT r.rolname::text, r.rolsuper, r.rolbypassrls, \
                    (SELECT count(*) FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
                     WHERE c.relowner = r.oid AND n.nspname IN ('tenantry', 'tenantry_lookup')), \
                    EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = 'tenantry') \
             FROM pg_catalog.pg_roles r WHERE r.rolname = current_user",
        )
        .fetch_one(&self.pool)
        .await
        .map_err(|e| ConnectError::Unreachable(e.to_string()))?;
        let why = if superuser {
            Some("it is a superuser".to_owned())
        } else if bypass {
            Some("it has BYPASSRLS".to_owned())
        } else if owned > 0 {
            Some(format!("it owns {owned} tenantry table(s)"))
        } else {
            None
        };
        if let Some(why) = why {
            return Err(ConnectError::UnsafeRole { role, why });
        }
        if !schema {
            return Err(ConnectError::NotMigrated);
        }
        Ok(())
    }

    /// The pool, for the isolation verifier's catalog queries (never for data).
    pub(crate) fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Starts a transaction with `begin` (a simple query). A pooled connection
    /// that turns out dead (the server restarted, a proxy cut it) is dropped
    /// and the next one tried — nothing has happened yet, so this is safe —
    /// up to one more time than the pool has connections; then the error is
    /// reported as `Unavailable`.
    async fn open(&self, begin: String) -> Result<sqlx::Transaction<'static, sqlx::Postgres>, StoreError> {
        let attempts = self.pool.options().get_max_connections().saturating_add(1);
        let mut tried = 0;
        loop {
            tried += 1;
            match self.pool.begin_with(sqlx::AssertSqlSafe(begin.clone())).await {
                Ok(tx) => return Ok(tx),
                Err(e) if error::dead_connection(&e) && tried < attempts => {
                    tracing::debug!(error = %e, "a pooled connection was dead; trying another");
                }
                Err(e) => return Err(error::store(e)),
            }
        }
    }

    /// Closes the pool.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

#[async_trait]
impl UnitOfWork for PgStore {
    async fn begin(&self, scope: &TenantScope, access: Access) -> Result<Box<dyn TenantTx>, StoreError> {
        let tenant = scope.tenant_id();
        // One round trip (decisions 0006 and 0010): see `embedding::begin_sql`.
        let begin = embedding::begin_sql(tenant, access);
        let tx = self.open(begin).await?;
        Ok(Box::new(tenant_tx::PgTenantTx { tenant, access, tx, aborted: false }))
    }

    async fn begin_platform(&self) -> Result<Box<dyn PlatformTx>, StoreError> {
        let tx = self.open("BEGIN".to_owned()).await?;
        Ok(Box::new(platform::PgPlatformTx { tx, aborted: false }))
    }

    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await.map_err(error::store)?;
        Ok(())
    }
}

#[async_trait]
impl TenantDirectory for PgStore {
    async fn resolve_slug(&self, slug: &Slug) -> Result<Option<TenantId>, StoreError> {
        platform::Lookups(&self.pool).resolve_slug(slug).await
    }
    async fn resolve_billing_customer(&self, customer: &str) -> Result<Option<TenantId>, StoreError> {
        platform::Lookups(&self.pool).resolve_billing_customer(customer).await
    }
    async fn due_tenants(&self, now: DateTime<Utc>, limit: u32) -> Result<Vec<TenantId>, StoreError> {
        platform::Lookups(&self.pool).due_tenants(now, limit).await
    }
    async fn claim_due_jobs(&self, now: DateTime<Utc>, limit: u32) -> Result<Vec<(TenantId, JobId)>, StoreError> {
        platform::Lookups(&self.pool).claim_due_jobs(now, limit).await
    }
    async fn failed_jobs(&self, limit: u32) -> Result<Vec<Job>, StoreError> {
        platform::Lookups(&self.pool).failed_jobs(limit).await
    }
    async fn housekeeping(&self, cutoffs: &Housekeeping) -> Result<Housekept, StoreError> {
        platform::Lookups(&self.pool).housekeeping(cutoffs).await
    }
    async fn list_tenants(&self, query: &TenantListQuery) -> Result<Vec<TenantSummary>, StoreError> {
        platform::Lookups(&self.pool).list_tenants(query).await
    }
    async fn platform_figures(&self, month: Month) -> Result<PlatformFigures, StoreError> {
        platform::Lookups(&self.pool).platform_figures(month).await
    }
    async fn audit_events(&self, query: &PlatformAuditQuery) -> Result<Vec<AuditEvent>, StoreError> {
        platform::Lookups(&self.pool).audit_events(query).await
    }
}

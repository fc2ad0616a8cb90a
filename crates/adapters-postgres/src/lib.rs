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
//!   (`SET LOCAL`: transaction-local, so a pooled connection never carries a
//!   tenant into the next request; propagated to Citus workers, see
//!   `embedding::begin_sql`) and, for writers, taking the
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
pub mod citus;
mod cols;
pub mod embedding;
mod error;
pub mod files;
mod platform;
mod rows;
mod tenant_tx;
pub mod testing;
pub mod verify;

use async_trait::async_trait;
use secrecy::{ExposeSecret, SecretString};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;
use tenantry_domain::job::Job;
use tenantry_domain::user::PlatformUser;
use tenantry_domain::{AuditEvent, AuditEventId, JobId, PlatformUserId, Slug, TenantId};
use tenantry_ports::crypto::DataKey;
use tenantry_ports::directory::{AuditReadReason, Housekept, PlatformFigures, TenantListQuery, TenantSummary};
use tenantry_ports::error::StoreError;
use tenantry_ports::store::{
    Access, AuditQuery, AuthorizationFacts, AuthorizationRead, OperatorStore, PlatformTx, TenantTx, UnitOfWork,
};
use tenantry_ports::{TenantDirectory, TenantScope};

pub use verify::{IsolationReport, verify_isolation};

/// The role the service connects as (created by the migrations).
pub const SERVICE_ROLE: &str = "tenantry_app";

/// The role product code connects as (created by the migrations): granted on
/// the registered product tables and the scoped helpers only.
pub const PRODUCT_ROLE: &str = "tenantry_product";

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
    /// Sealing the TOTP secrets written before sealing existed failed (those
    /// sealed before the failure stay sealed; the rest are read as they are).
    #[error("sealing the TOTP secrets failed: {0}")]
    Seal(String),
    /// Distributing the tenant-owned tables on a Citus coordinator failed
    /// (the tables distributed before the failure stay distributed; the next
    /// run goes on from there).
    #[error("distributing the tenant tables on Citus failed: {0}")]
    Citus(String),
}

/// Options of the store.
#[derive(Clone, Debug)]
pub struct PgOptions {
    /// Pool size.
    pub max_connections: u32,
    /// How long a request may wait for a connection.
    pub acquire_timeout: Duration,
    /// The product role's URL (`tenantry_product`, `DATABASE_PRODUCT_URL`):
    /// [`PgStore::scoped`] transactions run on it, so product code never
    /// holds a connection of the service role. `None`: no product code runs.
    pub product_url: Option<SecretString>,
    /// The key that seals TOTP secrets at rest (`TENANTRY_DATA_KEY`; see
    /// `tenantry_ports::crypto`). `None`: they are written as they are (the
    /// binary always sets one on PostgreSQL); sealed ones then do not open.
    pub data_key: Option<DataKey>,
    /// The URLs lead to a pooler in transaction mode (PgBouncer's
    /// `pool_mode = transaction`, `DATABASE_POOLER=transaction`), which may
    /// give each transaction — and each statement outside one — another
    /// server connection (decision 0031): no statement is prepared by name
    /// (sqlx's statement cache off), the startup parameter
    /// `extra_float_digits` is not sent (PgBouncer refuses it), and the named
    /// paths run inside a transaction of their own. tenantry sets a tenant only
    /// transaction-locally, so none outlives its transaction on a server
    /// connection either way.
    pub transaction_pooler: bool,
}

impl Default for PgOptions {
    fn default() -> Self {
        Self {
            max_connections: 16,
            acquire_timeout: Duration::from_secs(5),
            product_url: None,
            data_key: None,
            transaction_pooler: false,
        }
    }
}

/// Whether two URLs lead to the same host and port (a refused URL leads nowhere).
pub fn same_server(a: &SecretString, b: &SecretString) -> bool {
    match (PgConnectOptions::from_str(a.expose_secret()), PgConnectOptions::from_str(b.expose_secret())) {
        (Ok(a), Ok(b)) => a.get_host() == b.get_host() && a.get_port() == b.get_port(),
        _ => false,
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
/// service role if missing; on a Citus coordinator then distributes the
/// tenant-owned tables ([`citus::distribute`]). Idempotent; safe to run from
/// several instances.
pub async fn migrate(admin_url: &SecretString) -> Result<(), MigrateError> {
    let pool = admin_pool(admin_url).await?;
    let result = migrate_on(&pool).await;
    pool.close().await;
    result
}

/// [`migrate`] on the owner's pool.
pub(crate) async fn migrate_on(pool: &PgPool) -> Result<(), MigrateError> {
    MIGRATOR.run(pool).await?;
    distribute_on(pool).await
}

/// The Citus step of a migration (nothing on plain PostgreSQL).
pub(crate) async fn distribute_on(pool: &PgPool) -> Result<(), MigrateError> {
    let done = citus::distribute(pool).await.map_err(|e| MigrateError::Citus(e.to_string()))?;
    if !done.distributed.is_empty() {
        tracing::info!(distributed = ?done.distributed, already = done.already, "tenant tables distributed on Citus");
    }
    Ok(())
}

/// Seals, as the owner (`DATABASE_ADMIN_URL`), every TOTP secret written
/// before sealing existed (issue 18): the tenant users' in each tenant's scope,
/// the superusers'. Idempotent (sealed ones are left); answers how many were
/// sealed. A row changed meanwhile is left for the next run.
pub async fn seal_secrets(admin_url: &SecretString, key: &DataKey) -> Result<u64, MigrateError> {
    let pool = admin_pool(admin_url).await?;
    let result = seal_on(&pool, key).await;
    pool.close().await;
    result
}

async fn seal_on(pool: &PgPool, key: &DataKey) -> Result<u64, MigrateError> {
    use tenantry_domain::EntityId;
    let fail = |e: &dyn std::fmt::Display| MigrateError::Seal(e.to_string());
    let plain: Vec<(uuid::Uuid, uuid::Uuid, sqlx::types::Json<serde_json::Value>)> = sqlx::query_as(
        "SELECT tenant_id, id, mfa FROM tenantry.users WHERE mfa IS NOT NULL AND mfa->>'secret' NOT LIKE 'v1:%'",
    )
    .fetch_all(pool)
    .await
    .map_err(|e| fail(&e))?;
    let mut sealed = 0;
    let citus = citus::is_citus(pool).await.map_err(|e| fail(&e))?;
    for (tenant, user, sqlx::types::Json(mfa)) in plain {
        let secret = mfa.get("secret").and_then(|s| s.as_str()).unwrap_or_default();
        let tenant_id = TenantId::from_uuid(tenant).map_err(|e| fail(&e))?;
        let aad = tenantry_ports::crypto::user_totp_aad(
            tenant_id,
            tenantry_domain::UserId::from_uuid(user).map_err(|e| fail(&e))?,
        );
        let mut next = mfa.clone();
        if let Some(object) = next.as_object_mut() {
            object.insert(
                "secret".into(),
                serde_json::Value::String(key.seal(secret.as_bytes(), &aad).map_err(|e| fail(&e))?),
            );
        }
        // The tenant's unit of work, as every other (its rows are behind forced row-level security).
        let mut tx = open_on(pool, embedding::begin_sql(tenant_id, tenantry_ports::store::Access::Write, citus))
            .await
            .map_err(|e| fail(&e))?;
        let done = sqlx::query("UPDATE tenantry.users SET mfa = $4 WHERE tenant_id = $1 AND id = $2 AND mfa = $3")
            .bind(tenant)
            .bind(user)
            .bind(sqlx::types::Json(&mfa))
            .bind(sqlx::types::Json(&next))
            .execute(&mut *tx)
            .await
            .map_err(|e| fail(&e))?;
        tx.commit().await.map_err(|e| fail(&e))?;
        sealed += done.rows_affected();
    }
    let operators: Vec<(uuid::Uuid, String)> =
        sqlx::query_as("SELECT id, mfa_secret FROM tenantry.superusers WHERE mfa_secret NOT LIKE 'v1:%'")
            .fetch_all(pool)
            .await
            .map_err(|e| fail(&e))?;
    for (id, secret) in operators {
        let superuser = tenantry_domain::PlatformUserId::from_uuid(id).map_err(|e| fail(&e))?;
        let value = key
            .seal(secret.as_bytes(), &tenantry_ports::crypto::superuser_totp_aad(superuser))
            .map_err(|e| fail(&e))?;
        let done = sqlx::query("UPDATE tenantry.superusers SET mfa_secret = $3 WHERE id = $1 AND mfa_secret = $2")
            .bind(id)
            .bind(&secret)
            .bind(value)
            .execute(pool)
            .await
            .map_err(|e| fail(&e))?;
        sealed += done.rows_affected();
    }
    Ok(sealed)
}

/// The PostgreSQL store: [`UnitOfWork`] and [`TenantDirectory`].
#[derive(Clone)]
pub struct PgStore {
    pool: PgPool,
    /// The product role's pool (see [`PgOptions::product_url`]).
    product: Option<PgPool>,
    /// Only test stores (`testing`): the fake clock `tenantry.now()` follows.
    time: Option<Arc<testing::Follower>>,
    /// Seals the TOTP secrets (see [`PgOptions::data_key`]).
    data_key: Option<DataKey>,
    /// The database is a Citus coordinator: units of work set the tenant so
    /// that it reaches the workers (`embedding::begin_sql`).
    citus: bool,
    /// The pool leads to a transaction pooler ([`PgOptions::transaction_pooler`]).
    pooled: bool,
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

/// The `BEGIN` of a platform unit of work: no tenant, whatever a connection
/// was left with.
const PLATFORM_BEGIN: &str = "BEGIN; SELECT set_config('tenantry.tenant_id', '', true)";

/// Who uses a pool's connections, which decides what a connection must forget
/// on its way back to the pool.
#[derive(Clone, Copy, PartialEq, Eq)]
enum PoolOf {
    /// tenantry's own units of work: each sets the tenant (or none) in its
    /// first statement, transaction-locally, whatever a connection carries;
    /// outside them the service role runs only the `tenantry_lookup` functions
    /// and platform tables, which no tenant setting changes (decision 0025).
    Service,
    /// Product code, which may set the tenant for its session itself.
    Product,
}

/// A pool of `url`: no ping before each unit of work (it costs a round trip
/// every time, measured in docs/PERFORMANCE.md — a connection that died in the
/// pool fails the unit of work's first statement instead, before anything was
/// done, and `begin` then takes another, see `open`). The product role's
/// connections forget any tenant a session-level `set_config` left on them
/// when they go back to the pool, so that product code never carries a tenant
/// into the next use of the connection.
async fn pool(url: &SecretString, options: &PgOptions, of: PoolOf) -> Result<PgPool, ConnectError> {
    let connect = PgConnectOptions::from_str(url.expose_secret()).map_err(|e| ConnectError::Url(e.to_string()))?;
    let connect =
        if options.transaction_pooler { connect.statement_cache_capacity(0).extra_float_digits(None) } else { connect };
    let pool = PgPoolOptions::new()
        .max_connections(options.max_connections)
        .acquire_timeout(options.acquire_timeout)
        .test_before_acquire(false);
    let pool = match of {
        PoolOf::Service => pool,
        // A simple query: one round trip, nothing prepared (through a transaction
        // pooler it resets whichever idle server connection takes it — harmless).
        PoolOf::Product => pool.after_release(|conn, _| {
            Box::pin(async move {
                sqlx::raw_sql("SELECT set_config('tenantry.tenant_id', '', false)").execute(&mut *conn).await?;
                Ok(true)
            })
        }),
    };
    pool.connect_with(connect).await.map_err(|e| ConnectError::Unreachable(e.to_string()))
}

/// What a role is that would make row-level security not hold, if anything.
async fn unsafe_role(pool: &PgPool) -> Result<(String, Option<String>, bool, bool), ConnectError> {
    let unreachable = |e: sqlx::Error| ConnectError::Unreachable(e.to_string());
    // In a transaction, as every statement through a transaction pooler must be.
    let mut tx = pool.begin().await.map_err(unreachable)?;
    let (role, superuser, bypass, owned, owns_db, member_of_owner, schema, citus): (
        String,
        bool,
        bool,
        i64,
        bool,
        bool,
        bool,
        bool,
    ) = sqlx::query_as(
        "SELECT r.rolname::text, r.rolsuper, r.rolbypassrls, \
                (SELECT count(*) FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
                 WHERE c.relowner = r.oid AND n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\\_%'), \
                EXISTS (SELECT 1 FROM pg_catalog.pg_database d WHERE d.datname = current_database() AND d.datdba = r.oid), \
                coalesce((SELECT pg_catalog.pg_has_role(r.oid, n.nspowner, 'MEMBER') FROM pg_catalog.pg_namespace n \
                          WHERE n.nspname = 'tenantry'), false), \
                EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = 'tenantry'), \
                EXISTS (SELECT 1 FROM pg_catalog.pg_extension WHERE extname = 'citus') \
         FROM pg_catalog.pg_roles r WHERE r.rolname = current_user",
    )
    .fetch_one(&mut *tx)
    .await
    .map_err(unreachable)?;
    tx.commit().await.map_err(unreachable)?;
    let why = if superuser {
        Some("it is a superuser".to_owned())
    } else if bypass {
        Some("it has BYPASSRLS".to_owned())
    } else if owned > 0 {
        Some(format!("it owns {owned} table(s) or other relations"))
    } else if owns_db {
        Some("it owns the database".to_owned())
    } else if member_of_owner {
        Some("it is a member of the role that owns tenantry's schema (it could SET ROLE to it)".to_owned())
    } else {
        None
    };
    Ok((role, why, schema, citus))
}

impl PgStore {
    /// Connects as the service role and checks that it is safe: not a superuser,
    /// no BYPASSRLS, owns no relation in any schema nor the database, is no
    /// member of the owner's role. Any other role is refused with the fix. With
    /// [`PgOptions::product_url`], the product role is connected and checked
    /// the same way (and may not be the service role).
    pub async fn connect(database_url: &SecretString, options: PgOptions) -> Result<Self, ConnectError> {
        let pool = pool(database_url, &options, PoolOf::Service).await?;
        let product = match &options.product_url {
            Some(url) => Some(pool_of_product(url, &options).await?),
            None => None,
        };
        let mut store = Self {
            pool,
            product,
            time: None,
            data_key: options.data_key,
            citus: false,
            pooled: options.transaction_pooler,
        };
        store.citus = store.checked_role().await?;
        Ok(store)
    }

    /// Checks the connected role (see [`PgStore::connect`]).
    pub async fn check_role(&self) -> Result<(), ConnectError> {
        self.checked_role().await.map(drop)
    }

    /// [`PgStore::check_role`], answering whether the database is a Citus
    /// coordinator (learnt in the same query: the connection is checked once).
    async fn checked_role(&self) -> Result<bool, ConnectError> {
        let (role, why, schema, citus) = unsafe_role(&self.pool).await?;
        if let Some(why) = why {
            return Err(ConnectError::UnsafeRole { role, why });
        }
        if !schema {
            return Err(ConnectError::NotMigrated);
        }
        Ok(citus)
    }

    /// Makes `tenantry.now()` show the test's clock before a unit of work or a
    /// named path (test stores only; a no-op in production).
    async fn follow_time(&self) -> Result<(), StoreError> {
        match &self.time {
            Some(follower) => follower.sync().await,
            None => Ok(()),
        }
    }

    /// The named cross-tenant paths on this store's pool.
    fn lookups(&self) -> platform::Lookups<'_> {
        platform::Lookups { pool: &self.pool, pooled: self.pooled }
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
    async fn open(&self, begin: embedding::Begin) -> Result<sqlx::Transaction<'static, sqlx::Postgres>, StoreError> {
        open_on(&self.pool, begin).await
    }

    /// Closes the pool.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

impl PgStore {
    /// A unit of work inside `scope`'s tenant, opened in one round trip
    /// (decisions 0006 and 0010): see `embedding::begin_sql`.
    async fn open_tenant(&self, scope: &TenantScope, access: Access) -> Result<tenant_tx::PgTenantTx, StoreError> {
        self.follow_time().await?;
        let tenant = scope.tenant_id();
        let tx = self.open(embedding::begin_sql(tenant, access, self.citus)).await?;
        Ok(tenant_tx::PgTenantTx {
            tenant,
            access,
            tx,
            aborted: false,
            key: self.data_key.clone(),
            seen: tenant_tx::Seen::default(),
        })
    }
}

/// [`PgStore::open`] on `pool`, run to its end in a task of its own.
///
/// sqlx's `begin` is not cancel-safe: dropped while it waits for the server (a
/// client that disconnects while its unit of work waits for the tenant's
/// advisory lock), it leaves the transaction it sent open on the connection,
/// which goes back to the pool inside it — holding the tenant's lock while
/// idle, and given to the next request, which then runs inside a stranger's
/// transaction ("there is already a transaction in progress"). In a task of its
/// own the `BEGIN` always completes; a transaction nobody waits for any more is
/// then dropped, which rolls it back before the connection is pooled again.
pub(crate) async fn open_on(
    pool: &PgPool,
    begin: embedding::Begin,
) -> Result<sqlx::Transaction<'static, sqlx::Postgres>, StoreError> {
    let pool = pool.clone();
    tokio::spawn(async move {
        let mut tx = begin_on(&pool, begin.first).await?;
        if let Some(then) = begin.then {
            sqlx::raw_sql(sqlx::AssertSqlSafe(then)).execute(&mut *tx).await.map_err(error::store)?;
        }
        Ok(tx)
    })
    .await
    .map_err(|e| StoreError::Unknown(anyhow::anyhow!("the task opening a transaction ended: {e}")))?
}

async fn begin_on(pool: &PgPool, begin: String) -> Result<sqlx::Transaction<'static, sqlx::Postgres>, StoreError> {
    let attempts = pool.options().get_max_connections().saturating_add(1);
    let mut tried = 0;
    loop {
        tried += 1;
        match pool.begin_with(sqlx::AssertSqlSafe(begin.clone())).await {
            Ok(tx) => return Ok(tx),
            Err(e) if error::dead_connection(&e) && tried < attempts => {
                tracing::debug!(error = %e, "a pooled connection was dead; trying another");
            }
            Err(e) => return Err(error::store(e)),
        }
    }
}

/// The product role's pool: checked like the service role's, and refused when
/// it is the service role itself (which reaches every tenantry table).
async fn pool_of_product(url: &SecretString, options: &PgOptions) -> Result<PgPool, ConnectError> {
    let product = pool(url, options, PoolOf::Product).await?;
    let (role, why, ..) = unsafe_role(&product).await?;
    let unreachable = |e: sqlx::Error| ConnectError::Unreachable(e.to_string());
    let mut tx = product.begin().await.map_err(unreachable)?;
    let reaches_tenantry: bool = sqlx::query_scalar(
        "SELECT has_schema_privilege('tenantry_lookup', 'USAGE') OR \
                coalesce(has_table_privilege('tenantry.users', 'SELECT'), false)",
    )
    .fetch_one(&mut *tx)
    .await
    .map_err(unreachable)?;
    tx.commit().await.map_err(unreachable)?;
    let why = why.or_else(|| {
        reaches_tenantry.then(|| "it reaches tenantry's own tables or named paths (use tenantry_product)".to_owned())
    });
    match why {
        Some(why) => Err(ConnectError::UnsafeRole { role, why }),
        None => Ok(product),
    }
}

#[async_trait]
impl UnitOfWork for PgStore {
    async fn begin(&self, scope: &TenantScope, access: Access) -> Result<Box<dyn TenantTx>, StoreError> {
        Ok(Box::new(self.open_tenant(scope, access).await?))
    }

    /// The unit of work and the authorising facts in one statement after its
    /// `BEGIN` (see `tenant_tx::authorizing`): two round trips in all.
    async fn begin_authorizing(
        &self,
        scope: &TenantScope,
        access: Access,
        read: &AuthorizationRead,
    ) -> Result<(Box<dyn TenantTx>, AuthorizationFacts), StoreError> {
        let mut tx = self.open_tenant(scope, access).await?;
        let facts = tx.authorizing(read).await?;
        Ok((Box::new(tx), facts))
    }

    async fn begin_platform(&self) -> Result<Box<dyn PlatformTx>, StoreError> {
        self.follow_time().await?;
        // No tenant on the platform's units of work, whatever a connection was left with.
        let tx = self.open(PLATFORM_BEGIN.into()).await?;
        Ok(Box::new(platform::PgPlatformTx { tx, aborted: false, key: self.data_key.clone() }))
    }

    async fn ping(&self) -> Result<(), StoreError> {
        // A simple query: nothing prepared, one round trip, safe through a pooler.
        sqlx::raw_sql("SELECT 1").execute(&self.pool).await.map_err(error::store)?;
        Ok(())
    }
}

#[async_trait]
impl TenantDirectory for PgStore {
    async fn resolve_slug(&self, slug: &Slug) -> Result<Option<TenantId>, StoreError> {
        self.lookups().resolve_slug(slug).await
    }

    async fn tenants_of_email(&self, email: &tenantry_domain::Email) -> Result<Vec<TenantId>, StoreError> {
        self.lookups().tenants_of_email(email).await
    }
    async fn resolve_billing_customer(&self, customer: &str) -> Result<Option<TenantId>, StoreError> {
        self.lookups().resolve_billing_customer(customer).await
    }
    async fn due_tenants(&self, limit: u32) -> Result<Vec<TenantId>, StoreError> {
        self.follow_time().await?;
        self.lookups().due_tenants(limit).await
    }
    async fn claim_due_jobs(&self, limit: u32) -> Result<Vec<(TenantId, JobId)>, StoreError> {
        self.follow_time().await?;
        self.lookups().claim_due_jobs(limit).await
    }
    async fn failed_jobs(&self, limit: u32) -> Result<Vec<Job>, StoreError> {
        self.lookups().failed_jobs(limit).await
    }
    async fn housekeeping(&self) -> Result<Housekept, StoreError> {
        self.follow_time().await?;
        self.lookups().housekeeping().await
    }
    async fn list_tenants(&self, query: &TenantListQuery) -> Result<Vec<TenantSummary>, StoreError> {
        self.lookups().list_tenants(query).await
    }
    async fn platform_figures(&self) -> Result<PlatformFigures, StoreError> {
        self.follow_time().await?;
        self.lookups().platform_figures().await
    }
    async fn tenant_audit_events(&self, tenant: TenantId, query: &AuditQuery) -> Result<Vec<AuditEvent>, StoreError> {
        self.lookups().tenant_audit_events(tenant, query).await
    }
    async fn all_audit_events(
        &self,
        event_id: AuditEventId,
        superuser: PlatformUserId,
        reason: &AuditReadReason,
        query: &AuditQuery,
    ) -> Result<Vec<AuditEvent>, StoreError> {
        self.follow_time().await?;
        self.lookups().all_audit_events(event_id, superuser, reason, query).await
    }
}

/// The owner's connection for what the service role may not do: creating a
/// platform superuser (`tenantry create-superuser`, with `DATABASE_ADMIN_URL`).
#[derive(Clone)]
pub struct PgOperator {
    pool: PgPool,
    data_key: Option<DataKey>,
}

impl std::fmt::Debug for PgOperator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PgOperator")
    }
}

impl PgOperator {
    /// Connects as the owner (`DATABASE_ADMIN_URL`).
    pub async fn connect(admin_url: &SecretString) -> Result<Self, MigrateError> {
        Ok(Self { pool: admin_pool(admin_url).await?, data_key: None })
    }

    /// With the key that seals a new superuser's TOTP secret (as the store's).
    pub fn with_data_key(mut self, key: Option<DataKey>) -> Self {
        self.data_key = key;
        self
    }

    pub(crate) fn from_pool(pool: PgPool) -> Self {
        Self { pool, data_key: None }
    }

    /// Closes the pool.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

#[async_trait]
impl OperatorStore for PgOperator {
    async fn insert_superuser(&self, u: &PlatformUser, e: &AuditEvent) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await.map_err(error::store)?;
        // An operator's second factor (the automation path) is enabled from the start, dated here.
        let secret =
            u.mfa.as_ref().map(|m| rows::seal_superuser_secret(self.data_key.as_ref(), u.id, &m.secret)).transpose()?;
        sqlx::query(
            "INSERT INTO tenantry.superusers (id, email, name, password_hash, active, failed_logins, locked_until, \
             token_version, created_at, last_login_at, mfa_secret, mfa_secret_digest, mfa) \
             VALUES ($1, $2, $3, $4, $5, 0, NULL, 0, tenantry.now(), NULL, $6, $7, CASE WHEN $6 IS NULL THEN NULL ELSE \
             jsonb_build_object('started_at', tenantry.now(), 'enabled_at', tenantry.now(), 'last_used_step', NULL, \
             'recovery', '[]'::jsonb) END)",
        )
        .bind(u.id.as_uuid())
        .bind(u.email.as_str())
        .bind(u.name.as_str())
        .bind(u.password_hash.expose())
        .bind(u.active)
        .bind(secret.as_deref())
        .bind(u.mfa.as_ref().map(|m| m.secret.fingerprint()))
        .execute(&mut *tx)
        .await
        .map_err(error::store)?;
        append_platform_audit(&mut tx, e).await?;
        tx.commit().await.map_err(error::store)
    }

    async fn reset_superuser_mfa(&self, email: &tenantry_domain::Email, e: &AuditEvent) -> Result<bool, StoreError> {
        let change = sqlx::query_scalar(
            "UPDATE tenantry.superusers SET mfa_secret = NULL, mfa_secret_digest = NULL, mfa = NULL, \
             token_version = token_version + 1 \
             WHERE email = $1 RETURNING id",
        )
        .bind(email.as_str());
        self.operate(change, e).await
    }

    async fn set_superuser_password(
        &self,
        email: &tenantry_domain::Email,
        hash: &tenantry_domain::password::PasswordHash,
        e: &AuditEvent,
    ) -> Result<bool, StoreError> {
        let change = sqlx::query_scalar(
            "UPDATE tenantry.superusers SET password_hash = $2, failed_logins = 0, locked_until = NULL, \
             token_version = token_version + 1 WHERE email = $1 RETURNING id",
        )
        .bind(email.as_str())
        .bind(hash.expose());
        self.operate(change, e).await
    }
}

impl PgOperator {
    /// The operator's `change` to one superuser (an UPDATE … RETURNING id)
    /// and `e` naming them in the platform log, in one owner's transaction;
    /// `false` when it changed nobody.
    async fn operate(
        &self,
        change: sqlx::query::QueryScalar<'_, sqlx::Postgres, uuid::Uuid, sqlx::postgres::PgArguments>,
        e: &AuditEvent,
    ) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await.map_err(error::store)?;
        let id = change.fetch_optional(&mut *tx).await.map_err(error::store)?;
        let Some(id) = id else { return Ok(false) };
        let target = <tenantry_domain::PlatformUserId as tenantry_domain::EntityId>::from_uuid(id)
            .map_err(|err| StoreError::Unknown(anyhow::anyhow!("a superuser id: {err}")))?;
        let event = AuditEvent { target: Some(tenantry_domain::audit::AuditTarget::Superuser(target)), ..e.clone() };
        append_platform_audit(&mut tx, &event).await?;
        tx.commit().await.map_err(error::store)?;
        Ok(true)
    }
}

/// Appends `e` to the platform log in the owner's transaction `tx`, dated by tenantry's clock.
async fn append_platform_audit(
    tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
    e: &AuditEvent,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO tenantry.platform_audit (id, at, tenant_id, actor, action, target, outcome, details) \
             VALUES ($1, tenantry.now(), NULL, $2, $3, $4, $5, $6)",
    )
    .bind(e.id.as_uuid())
    .bind(sqlx::types::Json(&e.actor))
    .bind(e.action.as_str())
    .bind(e.target.as_ref().map(sqlx::types::Json))
    .bind(rows::outcome_text(e.outcome))
    .bind(sqlx::types::Json(&e.details))
    .execute(&mut **tx)
    .await
    .map_err(error::store)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed step is a failed test
    use super::*;
    use crate::testing::{TestDatabase, admin_url, citus_url};

    /// On a Citus coordinator (issue 26), with a table distributed by `tenant_id` under forced
    /// row-level security, as a role without BYPASSRLS: a unit of work's tenant reaches the
    /// workers (its rows are read and written, a multi-shard read sees only them), the form for
    /// plain PostgreSQL would read nothing there (it fails closed), and a writer's advisory lock
    /// is taken on the coordinator only — no worker holds one for it.
    #[tokio::test]
    async fn on_citus_a_unit_of_work_sets_its_tenant_on_the_workers_and_locks_on_the_coordinator() {
        let Some(url) = citus_url("on_citus_a_unit_of_work_sets_its_tenant_on_the_workers") else { return };
        let admin = PgPoolOptions::new().max_connections(2).connect(&url).await.unwrap();
        let schema = format!("citus_probe_{}", std::process::id());
        let (a, b) = (
            TenantId::parse("0190d2c4-2c54-7000-8000-00000000000a").unwrap(),
            TenantId::parse("0190d2c4-2c54-7000-8000-00000000000b").unwrap(),
        );
        let setup = format!(
            "DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema};
             CREATE TABLE {schema}.notes (tenant_id uuid NOT NULL, id int NOT NULL, PRIMARY KEY (tenant_id, id));
             ALTER TABLE {schema}.notes ENABLE ROW LEVEL SECURITY; ALTER TABLE {schema}.notes FORCE ROW LEVEL SECURITY;
             CREATE POLICY tenant_isolation ON {schema}.notes
               USING (tenant_id = NULLIF(current_setting('tenantry.tenant_id', true), '')::uuid);
             SELECT create_distributed_table('{schema}.notes', 'tenant_id');
             DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'citus_probe') THEN
               CREATE ROLE citus_probe LOGIN; END IF; END $$;
             GRANT USAGE ON SCHEMA {schema} TO citus_probe; GRANT SELECT, INSERT ON {schema}.notes TO citus_probe;
             INSERT INTO {schema}.notes SELECT '{a}', g FROM generate_series(1, 3) g;
             INSERT INTO {schema}.notes SELECT '{b}', g FROM generate_series(1, 4) g;"
        );
        sqlx::raw_sql(sqlx::AssertSqlSafe(setup)).execute(&admin).await.unwrap();
        let app_url = url.replacen("postgres://postgres@", "postgres://citus_probe@", 1);
        let app = PgPoolOptions::new().max_connections(2).connect(&app_url).await.unwrap();
        assert!(citus::is_citus(&app).await.unwrap(), "the coordinator is recognised");
        let count = |filter: &'static str| format!("SELECT count(*) FROM {schema}.notes {filter}");
        let own = format!("WHERE tenant_id = '{a}'");

        let mut tx = open_on(&app, embedding::begin_sql(a, Access::Read, true)).await.unwrap();
        let routed: i64 =
            sqlx::query_scalar(sqlx::AssertSqlSafe(format!("{} {own}", count("")))).fetch_one(&mut *tx).await.unwrap();
        let everywhere: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(count(""))).fetch_one(&mut *tx).await.unwrap();
        assert_eq!((routed, everywhere), (3, 3), "the tenant's rows, and only them, on every shard");
        tx.rollback().await.unwrap();

        let mut tx = open_on(&app, embedding::begin_sql(a, Access::Read, false)).await.unwrap();
        let unpropagated: i64 =
            sqlx::query_scalar(sqlx::AssertSqlSafe(format!("{} {own}", count("")))).fetch_one(&mut *tx).await.unwrap();
        assert_eq!(unpropagated, 0, "without propagation the workers see no tenant: nothing, never another's");
        tx.rollback().await.unwrap();

        let mut tx = open_on(&app, embedding::begin_sql(a, Access::Write, true)).await.unwrap();
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("INSERT INTO {schema}.notes VALUES ('{a}', 100)")))
            .execute(&mut *tx)
            .await
            .unwrap();
        let written: i64 =
            sqlx::query_scalar(sqlx::AssertSqlSafe(format!("{} {own}", count("")))).fetch_one(&mut *tx).await.unwrap();
        assert_eq!(written, 4);
        let held: Vec<String> = sqlx::query_scalar(
            "SELECT result FROM run_command_on_workers($$SELECT count(*) FROM pg_locks l JOIN pg_stat_activity s              USING (pid) WHERE l.locktype = 'advisory' AND s.usename = 'citus_probe'$$)",
        )
        .fetch_all(&admin)
        .await
        .unwrap();
        assert_eq!(held, ["0", "0"], "no worker holds the tenant's advisory lock");
        tx.commit().await.unwrap();

        let mut tx = open_on(&app, embedding::begin_sql(b, Access::Read, true)).await.unwrap();
        let theirs: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(count(""))).fetch_one(&mut *tx).await.unwrap();
        assert_eq!(theirs, 4, "another tenant sees its own four, not the first one's");
        tx.rollback().await.unwrap();
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP SCHEMA {schema} CASCADE"))).execute(&admin).await.unwrap();
    }

    /// A session-level tenant that product code left on a pooled connection is
    /// gone when the connection is next used: the pool resets it on release.
    #[tokio::test]
    async fn a_pooled_connection_never_carries_a_tenant_into_the_next_unit_of_work() {
        let Some(admin) = admin_url("a_pooled_connection_never_carries_a_tenant") else { return };
        let db = TestDatabase::create(&admin).await.unwrap();
        let options = PgOptions {
            max_connections: 1,
            product_url: Some(SecretString::from(db.product_url())),
            ..PgOptions::default()
        };
        let store = PgStore::connect(&SecretString::from(db.service_url()), options).await.unwrap();
        let product = store.product.clone().unwrap();
        let tenant = "0190d2c4-2c54-7000-8000-000000000001";
        let mut conn = product.acquire().await.unwrap();
        sqlx::query(sqlx::AssertSqlSafe(format!("SELECT set_config('tenantry.tenant_id', '{tenant}', false)")))
            .execute(&mut *conn)
            .await
            .unwrap();
        drop(conn);
        let mut conn = product.acquire().await.unwrap();
        let left: String = sqlx::query_scalar("SELECT current_setting('tenantry.tenant_id', true)")
            .fetch_one(&mut *conn)
            .await
            .unwrap();
        assert_eq!(left, "", "the next user of the connection found a tenant set");
        drop(conn);

        // The service role's pool does not reset on release (decision 0025): a
        // tenant left on one of its connections reaches none of tenantry's units
        // of work, each of which sets its own (or none) in its first statement.
        let other = TenantId::parse("0190d2c4-2c54-7000-8000-000000000002").unwrap();
        let mut conn = store.pool.acquire().await.unwrap();
        sqlx::query(sqlx::AssertSqlSafe(format!("SELECT set_config('tenantry.tenant_id', '{tenant}', false)")))
            .execute(&mut *conn)
            .await
            .unwrap();
        drop(conn);
        for access in [Access::Read, Access::Write] {
            let mut tx = store.open(embedding::begin_sql(other, access, store.citus)).await.unwrap();
            let seen: String = sqlx::query_scalar("SELECT current_setting('tenantry.tenant_id', true)")
                .fetch_one(&mut *tx)
                .await
                .unwrap();
            assert_eq!(seen, other.to_string(), "a {access:?} unit of work saw the tenant left on its connection");
        }
        let mut tx = store.open(PLATFORM_BEGIN.into()).await.unwrap();
        let seen: String =
            sqlx::query_scalar("SELECT current_setting('tenantry.tenant_id', true)").fetch_one(&mut *tx).await.unwrap();
        assert_eq!(seen, "", "a platform unit of work saw the tenant left on its connection");
        drop(tx);
        store.close().await;
        db.drop_now().await.unwrap();
    }
}

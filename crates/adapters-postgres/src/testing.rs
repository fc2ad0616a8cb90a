//! Test databases: each test gets its own database, created from a template
//! that the migrations ran on once, so tests run in parallel and leave nothing
//! behind. The code under test connects as the service role (and product code
//! as the product role), exactly as in production; the admin URL
//! (`DATABASE_ADMIN_URL`, an owner or superuser) creates and drops databases,
//! creates superusers ([`TestDatabase::operator`]) and — for a test that drives
//! a fake clock — stops `tenantry.now()` at the clock's time before every unit
//! of work and named path of a store made by [`TestDatabase::store_at`] (the
//! service role cannot move it).

use crate::{MIGRATOR, PRODUCT_ROLE, PgOperator, PgOptions, PgStore, SERVICE_ROLE};
use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::{ConnectOptions, Connection};
use std::str::FromStr;
use std::sync::Arc;
use tenantry_ports::{Clock, StoreError};

/// The owner's hold on one test database's `tenantry.clock`: the time it was
/// last stopped at (shared by every store that follows a clock on it).
pub(crate) struct TimeControl {
    admin: PgPool,
    fixed: tokio::sync::Mutex<Option<DateTime<Utc>>>,
}

/// A test store's clock: before each unit of work and named path the
/// database's `tenantry.now()` is stopped at `clock`'s time, when it shows
/// another.
pub(crate) struct Follower {
    control: Arc<TimeControl>,
    clock: Arc<dyn Clock>,
}

impl Follower {
    pub(crate) async fn sync(&self) -> Result<(), StoreError> {
        let now = self.clock.now();
        let mut fixed = self.control.fixed.lock().await;
        if *fixed != Some(now) {
            sqlx::query("UPDATE tenantry.clock SET fixed_at = $1")
                .bind(now)
                .execute(&self.control.admin)
                .await
                .map_err(crate::error::store)?;
            *fixed = Some(now);
        }
        Ok(())
    }
}

/// The local server with trust authentication, as on the project's machines
/// (what `.ci/run` sets `DATABASE_ADMIN_URL` to, and what the benches default to).
pub const DEFAULT_ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// The admin URL for tests (`DATABASE_ADMIN_URL`, an owner or superuser URL),
/// or `None` with one clear line on stderr saying the PostgreSQL test did not
/// run (DESIGN.md section 6). Under `CI=true` a missing URL is an error, never a
/// skip; a URL whose server does not answer fails the test, naming the fix.
pub fn admin_url(test: &str) -> Option<SecretString> {
    match std::env::var("DATABASE_ADMIN_URL") {
        Ok(url) if !url.is_empty() => Some(SecretString::from(url)),
        _ => {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "DATABASE_ADMIN_URL must be set in CI (the PostgreSQL tests may not be skipped)"
            );
            eprintln!("NOT RUN {test}: set DATABASE_ADMIN_URL={DEFAULT_ADMIN_URL} to run the PostgreSQL tests");
            None
        }
    }
}

/// A test store and its database's clock, detached from the [`TestDatabase`]
/// (cheap to clone; for harnesses made in closures).
#[derive(Clone)]
pub struct StoreFollower {
    control: Arc<TimeControl>,
    store: PgStore,
}

impl StoreFollower {
    /// The store (sharing its pools), whose `tenantry.now()` is stopped at
    /// `clock`'s time before each unit of work and named path.
    pub fn at(&self, clock: Arc<dyn Clock>) -> PgStore {
        PgStore { time: Some(Arc::new(Follower { control: self.control.clone(), clock })), ..self.store.clone() }
    }

    /// The owner's connection for creating superusers.
    pub fn operator(&self) -> PgOperator {
        PgOperator::from_pool(self.control.admin.clone()).with_data_key(Some(test_data_key()))
    }
}

/// Why a test database could not be made.
#[derive(Debug, thiserror::Error)]
#[error("test database: {0}")]
pub struct TestDbError(pub String);

fn err(e: impl std::fmt::Display) -> TestDbError {
    TestDbError(e.to_string())
}

/// A fresh database migrated from the template; dropped by [`TestDatabase::drop_now`].
pub struct TestDatabase {
    /// Its name.
    pub name: String,
    admin: PgConnectOptions,
    time: Arc<TimeControl>,
}

/// The template's name: one per set of migrations (a changed migration makes a new one).
fn template_name() -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for m in MIGRATOR.iter() {
        for b in m.checksum.iter() {
            h = (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("tenantry_tpl_{h:016x}")
}

impl TestDatabase {
    /// Creates a database from the migrated template (making the template on first use).
    pub async fn create(admin_url: &SecretString) -> Result<TestDatabase, TestDbError> {
        let admin = PgConnectOptions::from_str(admin_url.expose_secret()).map_err(err)?;
        let mut conn = admin.connect().await.map_err(|e| {
            TestDbError(format!(
                "PostgreSQL at {}:{} does not answer ({e}); start it, or point DATABASE_ADMIN_URL at an \
                 owner or superuser URL of one that does (unset, the PostgreSQL tests are not run)",
                admin.get_host(),
                admin.get_port()
            ))
        })?;
        // One creator at a time across test processes: advisory locks live in the
        // admin database that every test process connects to.
        sqlx::query("SELECT pg_advisory_lock(7408521438)").execute(&mut conn).await.map_err(err)?;
        let result = Self::create_locked(&mut conn, &admin).await;
        let _ = sqlx::query("SELECT pg_advisory_unlock(7408521438)").execute(&mut conn).await;
        let _ = conn.close().await;
        result
    }

    async fn create_locked(
        conn: &mut sqlx::PgConnection,
        admin: &PgConnectOptions,
    ) -> Result<TestDatabase, TestDbError> {
        let template = template_name();
        let exists: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
            .bind(&template)
            .fetch_one(&mut *conn)
            .await
            .map_err(err)?;
        if !exists {
            let building = format!("{template}_building");
            sqlx::query(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {building} WITH (FORCE)")))
                .execute(&mut *conn)
                .await
                .map_err(err)?;
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {building}")))
                .execute(&mut *conn)
                .await
                .map_err(err)?;
            let pool = PgPoolOptions::new()
                .max_connections(1)
                .connect_with(admin.clone().database(&building))
                .await
                .map_err(err)?;
            MIGRATOR.run(&pool).await.map_err(err)?;
            pool.close().await;
            sqlx::query(sqlx::AssertSqlSafe(format!("ALTER DATABASE {building} RENAME TO {template}")))
                .execute(&mut *conn)
                .await
                .map_err(err)?;
        }
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let nanos =
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
        let name = format!("tenantry_test_{}_{n}_{}", std::process::id(), nanos % 1_000_000_000_000);
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name} TEMPLATE {template}")))
            .execute(&mut *conn)
            .await
            .map_err(err)?;
        // The owner's pool connects when first used (a test that moves no clock never does).
        let pool = PgPoolOptions::new().max_connections(2).connect_lazy_with(admin.clone().database(&name));
        let time = Arc::new(TimeControl { admin: pool, fixed: tokio::sync::Mutex::new(None) });
        Ok(TestDatabase { name, admin: admin.clone(), time })
    }

    /// The service role's URL options for this database.
    pub fn service_options(&self) -> PgConnectOptions {
        self.admin.clone().database(&self.name).username(SERVICE_ROLE).password("")
    }

    /// The service role's URL for this database (for a binary under test).
    pub fn service_url(&self) -> String {
        self.service_options().to_url_lossy().to_string()
    }

    /// The owner's (admin's) options for this database.
    pub fn admin_options(&self) -> PgConnectOptions {
        self.admin.clone().database(&self.name)
    }

    /// The product role's URL for this database.
    pub fn product_url(&self) -> String {
        self.admin.clone().database(&self.name).username(PRODUCT_ROLE).password("").to_url_lossy().to_string()
    }

    /// The store, connected as the service role exactly as in production (and
    /// product code as the product role), on the database's own clock.
    pub async fn store(&self) -> Result<PgStore, TestDbError> {
        let options = PgOptions {
            max_connections: 8,
            product_url: Some(SecretString::from(self.product_url())),
            data_key: Some(test_data_key()),
            ..PgOptions::default()
        };
        PgStore::connect(&SecretString::from(self.service_url()), options).await.map_err(err)
    }

    /// [`TestDatabase::store`] whose `tenantry.now()` follows `clock` (a
    /// test's fake clock): its named paths and platform writes see the time the
    /// test set, as the in-memory store on the same clock does.
    pub async fn store_at(&self, clock: Arc<dyn Clock>) -> Result<PgStore, TestDbError> {
        Ok(self.follower(&self.store().await?).at(clock))
    }

    /// `store` (of this database), ready to follow a test's clock — see
    /// [`StoreFollower::at`] — and the owner's operator.
    pub fn follower(&self, store: &PgStore) -> StoreFollower {
        StoreFollower { control: self.time.clone(), store: store.clone() }
    }

    /// The owner's connection for creating superusers (what `tenantry
    /// create-superuser` does with `DATABASE_ADMIN_URL`).
    pub fn operator(&self) -> PgOperator {
        PgOperator::from_pool(self.time.admin.clone()).with_data_key(Some(test_data_key()))
    }

    /// Sets `tenantry.now()` back to the database's own clock.
    pub async fn release_time(&self) -> Result<(), TestDbError> {
        sqlx::query("UPDATE tenantry.clock SET fixed_at = NULL, offset_by = '0'")
            .execute(&self.time.admin)
            .await
            .map_err(err)?;
        *self.time.fixed.lock().await = None;
        Ok(())
    }

    /// Drops the database.
    pub async fn drop_now(self) -> Result<(), TestDbError> {
        self.time.admin.close().await;
        let mut conn = self.admin.connect().await.map_err(err)?;
        sqlx::query(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name)))
            .execute(&mut conn)
            .await
            .map_err(err)?;
        let _ = conn.close().await;
        Ok(())
    }
}

/// The data key every test store seals its TOTP secrets with.
pub fn test_data_key() -> tenantry_ports::crypto::DataKey {
    tenantry_ports::crypto::DataKey::from_bytes([0x5e; 32])
}

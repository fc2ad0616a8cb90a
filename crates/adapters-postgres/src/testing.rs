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

/// The URL in `var` (a service a script of the repo starts: `script` starts
/// it and prints the URL), or None with a `NOT RUN` line; under `CI=true` its
/// absence fails the test (`.ci/run` starts the service).
fn url_or_not_run(var: &str, script: &str, test: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            assert!(std::env::var("CI").as_deref() != Ok("true"), "{var} must be set in CI (`{script}` prints it)");
            eprintln!("NOT RUN {test}: start one with `{script}` and set {var} to the URL it prints");
            None
        }
    }
}

/// The coordinator of a Citus cluster (`TENANTRY_CITUS_URL`, as `scripts/citus-cluster start`
/// prints it), or None with a `NOT RUN` line; under `CI=true` its absence fails the test.
pub fn citus_url(test: &str) -> Option<String> {
    url_or_not_run("TENANTRY_CITUS_URL", "scripts/citus-cluster start", test)
}

/// A PgBouncer in transaction mode in front of the admin URL's server
/// (`TENANTRY_PGBOUNCER_URL`, as `scripts/pgbouncer start` prints it), or None
/// with a `NOT RUN` line; under `CI=true` its absence fails the test.
pub fn pgbouncer_url(test: &str) -> Option<String> {
    url_or_not_run("TENANTRY_PGBOUNCER_URL", "scripts/pgbouncer start", test)
}

/// `TENANTRY_TEST_POOLER`: a transaction pooler's URL (host and port) through
/// which every test database's service and product roles connect, as
/// `DATABASE_POOLER=transaction` deployments do — `.ci/run` runs suites so.
pub const TEST_POOLER_VAR: &str = "TENANTRY_TEST_POOLER";

fn test_pooler() -> Result<Option<PgConnectOptions>, TestDbError> {
    match std::env::var(TEST_POOLER_VAR) {
        Ok(url) if !url.trim().is_empty() => PgConnectOptions::from_str(url.trim())
            .map(Some)
            .map_err(|e| TestDbError(format!("{TEST_POOLER_VAR}={url:?}: {e}"))),
        _ => Ok(None),
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
///
/// On a Citus coordinator (the admin URL's database has the extension and its
/// workers) the template is made on every node — the extension in each, the
/// workers added, the migrations and the distribution run through the
/// coordinator (4 shards a table: a test's tenants are few) — and each test's
/// database is copied from it on every node: the copies share the shards'
/// names and placements, so the coordinator's metadata holds for them.
pub struct TestDatabase {
    /// Its name.
    pub name: String,
    admin: PgConnectOptions,
    /// The Citus workers' admin options (none on plain PostgreSQL).
    workers: Vec<PgConnectOptions>,
    time: Arc<TimeControl>,
    /// The transaction pooler the service and product roles connect through, if any.
    pooler: Option<PgConnectOptions>,
}

/// Shards a table on a test's Citus cluster.
const TEST_SHARD_COUNT: &str = "4";

/// Runs each of `statements` (built from names this module made) on `conn`,
/// one by one (`CREATE DATABASE` may not share a query string).
async fn run(conn: &mut sqlx::PgConnection, statements: &[String]) -> Result<(), TestDbError> {
    for sql in statements {
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql.clone())).execute(&mut *conn).await.map_err(err)?;
    }
    Ok(())
}

/// Runs `statements` on each node's admin database.
async fn on_nodes(nodes: &[PgConnectOptions], statements: &[String]) -> Result<(), TestDbError> {
    for node in nodes {
        let mut conn = node.connect().await.map_err(err)?;
        run(&mut conn, statements).await?;
        let _ = conn.close().await;
    }
    Ok(())
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
        let workers = citus_workers(conn, admin).await?;
        let exists: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
            .bind(&template)
            .fetch_one(&mut *conn)
            .await
            .map_err(err)?;
        if !exists {
            let building = format!("{template}_building");
            let create =
                [format!("DROP DATABASE IF EXISTS {building} WITH (FORCE)"), format!("CREATE DATABASE {building}")];
            on_nodes(&workers, &create).await?;
            run(conn, &create).await?;
            let migrating = if workers.is_empty() {
                admin.clone().database(&building)
            } else {
                citus_template(admin, &workers, &building).await?
            };
            let pool = PgPoolOptions::new().max_connections(1).connect_with(migrating).await.map_err(err)?;
            let migrated = if workers.is_empty() {
                MIGRATOR.run(&pool).await.map_err(err)
            } else {
                crate::migrate_on(&pool).await.map_err(err)
            };
            pool.close().await;
            migrated?;
            // Nobody may be connected to a template (Citus keeps a daemon and cached connections in each).
            let seal = [
                format!("ALTER DATABASE {building} WITH ALLOW_CONNECTIONS false"),
                format!("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{building}'"),
                format!("ALTER DATABASE {building} RENAME TO {template}"),
            ];
            on_nodes(&workers, &seal).await?;
            run(conn, &seal).await?;
        }
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let nanos =
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
        let name = format!("tenantry_test_{}_{n}_{}", std::process::id(), nanos % 1_000_000_000_000);
        let copy = [format!("CREATE DATABASE {name} TEMPLATE {template}")];
        on_nodes(&workers, &copy).await?;
        run(conn, &copy).await?;
        // The owner's pool connects when first used (a test that moves no clock never does).
        let pool = PgPoolOptions::new().max_connections(2).connect_lazy_with(admin.clone().database(&name));
        let time = Arc::new(TimeControl { admin: pool, fixed: tokio::sync::Mutex::new(None) });
        Ok(TestDatabase { name, admin: admin.clone(), workers, time, pooler: test_pooler()? })
    }

    /// On a Citus cluster (`admin_url` its coordinator): a database on every
    /// node with the extension and the workers, migrated but **not
    /// distributed** — what restoring a single PostgreSQL's dump onto a Citus
    /// coordinator gives, before `tenantry migrate` distributes it (issue 26's
    /// move). Dropped by [`TestDatabase::drop_now`].
    pub async fn create_undistributed_on_citus(admin_url: &SecretString) -> Result<TestDatabase, TestDbError> {
        let admin = PgConnectOptions::from_str(admin_url.expose_secret()).map_err(err)?;
        let mut conn = admin.connect().await.map_err(err)?;
        let workers = citus_workers(&mut conn, &admin).await?;
        if workers.is_empty() {
            return Err(TestDbError("not a Citus coordinator with workers".into()));
        }
        let nanos =
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
        let name = format!("tenantry_move_{}_{}", std::process::id(), nanos % 1_000_000_000_000);
        let create = [format!("CREATE DATABASE {name}")];
        on_nodes(&workers, &create).await?;
        run(&mut conn, &create).await?;
        let _ = conn.close().await;
        let coordinator = citus_template(&admin, &workers, &name).await?;
        let pool = PgPoolOptions::new().max_connections(1).connect_with(coordinator).await.map_err(err)?;
        let migrated = MIGRATOR.run(&pool).await.map_err(err);
        pool.close().await;
        migrated?;
        let pool = PgPoolOptions::new().max_connections(2).connect_lazy_with(admin.clone().database(&name));
        let time = Arc::new(TimeControl { admin: pool, fixed: tokio::sync::Mutex::new(None) });
        Ok(TestDatabase { name, admin, workers, time, pooler: test_pooler()? })
    }

    /// The owner's URL for this database (for `tenantry migrate`).
    pub fn admin_url(&self) -> SecretString {
        SecretString::from(self.admin_options().to_url_lossy().to_string())
    }

    /// The service and product roles connect through the transaction pooler
    /// at `url` (its host and port; e.g. `scripts/pgbouncer start`'s URL).
    pub fn through_pooler(mut self, url: &str) -> Result<Self, TestDbError> {
        self.pooler = Some(PgConnectOptions::from_str(url).map_err(err)?);
        Ok(self)
    }

    /// Whether the roles connect through a transaction pooler.
    pub fn pooled(&self) -> bool {
        self.pooler.is_some()
    }

    /// This database as `role`, through the pooler when there is one.
    fn role_options(&self, role: &str) -> PgConnectOptions {
        let direct = self.admin.clone().database(&self.name).username(role).password("");
        match &self.pooler {
            // As the store connects through one (`PgOptions::transaction_pooler`).
            Some(p) => {
                direct.host(p.get_host()).port(p.get_port()).statement_cache_capacity(0).extra_float_digits(None)
            }
            None => direct,
        }
    }

    /// The service role's URL options for this database.
    pub fn service_options(&self) -> PgConnectOptions {
        self.role_options(SERVICE_ROLE)
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
        self.role_options(PRODUCT_ROLE).to_url_lossy().to_string()
    }

    /// The store, connected as the service role exactly as in production (and
    /// product code as the product role), on the database's own clock.
    pub async fn store(&self) -> Result<PgStore, TestDbError> {
        let options = PgOptions {
            max_connections: 8,
            product_url: Some(SecretString::from(self.product_url())),
            data_key: Some(test_data_key()),
            transaction_pooler: self.pooled(),
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
        let drop = [format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name)];
        // On Citus a node's maintenance daemon (a background worker, which FORCE does not end)
        // may still be leaving the database: a few tries, a moment apart.
        for node in std::iter::once(&self.admin).chain(&self.workers) {
            let mut tries = 0;
            loop {
                tries += 1;
                match on_nodes(std::slice::from_ref(node), &drop).await {
                    Err(e) if tries < 10 && e.0.contains("is being accessed by other users") => {
                        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
                    }
                    other => break other?,
                }
            }
        }
        Ok(())
    }
}

/// The workers of the Citus cluster whose coordinator `conn` is connected to
/// (its admin database has the extension and the nodes), as admin options;
/// none on plain PostgreSQL.
async fn citus_workers(
    conn: &mut sqlx::PgConnection,
    admin: &PgConnectOptions,
) -> Result<Vec<PgConnectOptions>, TestDbError> {
    let citus: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus')")
        .fetch_one(&mut *conn)
        .await
        .map_err(err)?;
    if !citus {
        return Ok(Vec::new());
    }
    let nodes: Vec<(String, i32)> = sqlx::query_as(
        "SELECT nodename::text, nodeport FROM pg_dist_node WHERE groupid <> 0 AND noderole = 'primary' \
         ORDER BY nodename, nodeport",
    )
    .fetch_all(&mut *conn)
    .await
    .map_err(err)?;
    if nodes.is_empty() {
        return Err(TestDbError("the Citus coordinator has no workers (scripts/citus-cluster start adds two)".into()));
    }
    nodes
        .into_iter()
        .map(|(host, port)| Ok(admin.clone().host(&host).port(u16::try_from(port).map_err(err)?)))
        .collect()
}

/// Prepares the template `building` (made empty on every node) on a Citus
/// cluster: the extension on every node, the coordinator and the workers
/// registered in it. Answers the coordinator's options for migrating it.
async fn citus_template(
    admin: &PgConnectOptions,
    workers: &[PgConnectOptions],
    building: &str,
) -> Result<PgConnectOptions, TestDbError> {
    let in_building: Vec<PgConnectOptions> = workers.iter().map(|w| w.clone().database(building)).collect();
    on_nodes(&in_building, &["CREATE EXTENSION citus".to_owned()]).await?;
    let coordinator = admin.clone().database(building);
    let mut conn = coordinator.connect().await.map_err(err)?;
    let mut setup = vec![
        "CREATE EXTENSION citus".to_owned(),
        format!("SELECT citus_set_coordinator_host('{}', {})", admin.get_host(), admin.get_port()),
    ];
    for w in workers {
        setup.push(format!("SELECT citus_add_node('{}', {})", w.get_host(), w.get_port()));
    }
    run(&mut conn, &setup).await?;
    let _ = conn.close().await;
    Ok(coordinator.options([("citus.shard_count", TEST_SHARD_COUNT)]))
}

/// The data key every test store seals its TOTP secrets with.
pub fn test_data_key() -> tenantry_ports::crypto::DataKey {
    tenantry_ports::crypto::DataKey::from_bytes([0x5e; 32])
}

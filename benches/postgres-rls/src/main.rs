//! A tenant-scoped point read (one user by id) through row-level security,
//! against the same read on a table without RLS, filtered only by its explicit
//! `WHERE tenant_id` (autocommit, prepared, one round trip).
//!
//! Run by hand, with PostgreSQL at `DATABASE_ADMIN_URL` (default: the local
//! server): `cd benches/postgres-rls && cargo run --release`. It makes its own
//! database from tenantry's migrated template and drops it at the end.
//!
//! The variants are alternated round by round (so drift of a shared machine
//! hits them alike); each round times `READS` sequential reads per variant on
//! one warm connection, and the report gives the median per-read time over the
//! rounds, the ratio to the baseline (baseline time ÷ variant time: 1.0 is as
//! fast, 0.5 half as fast) and the client/server round trips per read. A
//! second part runs `CONCURRENCY` clients at once for throughput.

use secrecy::SecretString;
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::{ConnectOptions, Connection};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tenantry_domain::{EntityId, UserId};
use tenantry_ports::store::Access;
use tenantry_ports::{TenantScope, UnitOfWork};
use tenantry_postgres::PgStore;
use tenantry_postgres::testing::{DEFAULT_ADMIN_URL, TestDatabase};
use tenantry_testkit::Harness;

const TENANTS: usize = 20;
const USERS_PER_TENANT: usize = 2_000;
const ROUNDS: usize = 15;
const READS: usize = 2_000;
const CONCURRENCY: usize = 8;
const THROUGHPUT_SECS: u64 = 3;

const PLAIN: &str = "SELECT * FROM bench.users_plain WHERE tenant_id = $1 AND id = $2";
const RLS_READ: &str = "SELECT * FROM tenantry.users WHERE tenant_id = $1 AND id = $2";
const LATERAL: &str = "SELECT u.* FROM (SELECT set_config('tenantry.tenant_id', $1, true) AS t) s, \
     LATERAL (SELECT * FROM tenantry.users WHERE tenant_id = s.t::uuid AND id = $2) u";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Variant {
    /// No RLS on the table; explicit filter; autocommit; 1 round trip.
    Plain,
    /// RLS; set_config in a FROM subquery the read depends on (LATERAL); 1 round trip.
    Lateral,
    /// RLS; BEGIN + set_config as one simple query, the read, COMMIT; 3 round trips.
    BeginWithSet,
    /// RLS; BEGIN, set_config, the read, COMMIT; 4 round trips.
    FourStatements,
    /// RLS; through the adapter (`PgStore::begin(scope, Read)`, `user(id)`, drop) as the services do:
    /// BEGIN+set_config as one simple query, the read, the ROLLBACK of the dropped transaction.
    Adapter,
}

impl Variant {
    const ALL: [Variant; 5] =
        [Variant::Plain, Variant::Lateral, Variant::BeginWithSet, Variant::FourStatements, Variant::Adapter];
    fn name(self) -> &'static str {
        match self {
            Variant::Plain => "no RLS, explicit WHERE tenant_id (baseline)",
            Variant::Lateral => "RLS, one prepared statement (set_config LATERAL)",
            Variant::BeginWithSet => "RLS, BEGIN+set_config in one simple query, read, COMMIT",
            Variant::FourStatements => "RLS, BEGIN / set_config / read / COMMIT",
            Variant::Adapter => "RLS, through the adapter (PgStore, as the services read)",
        }
    }
}

struct Target {
    tenant: uuid::Uuid,
    user: uuid::Uuid,
    scope: usize,
}

struct Bench {
    pool: PgPool,
    store: PgStore,
    scopes: Vec<TenantScope>,
    targets: Vec<Target>,
}

type Failure = Box<dyn std::error::Error + Send + Sync>;

impl Bench {
    async fn read(&self, conn: &mut sqlx::PgConnection, variant: Variant, t: &Target) -> Result<bool, Failure> {
        let found = match variant {
            Variant::Plain => {
                sqlx::query(PLAIN).bind(t.tenant).bind(t.user).fetch_optional(&mut *conn).await?.is_some()
            }
            Variant::Lateral => {
                sqlx::query(LATERAL).bind(t.tenant.to_string()).bind(t.user).fetch_optional(&mut *conn).await?.is_some()
            }
            Variant::BeginWithSet => {
                let begin = format!("BEGIN READ ONLY; SELECT set_config('tenantry.tenant_id', '{}', true)", t.tenant);
                let mut tx = sqlx::Connection::begin_with(&mut *conn, sqlx::AssertSqlSafe(begin)).await?;
                let row = sqlx::query(RLS_READ).bind(t.tenant).bind(t.user).fetch_optional(&mut *tx).await?;
                tx.commit().await?;
                row.is_some()
            }
            Variant::FourStatements => {
                let mut tx = sqlx::Connection::begin_with(&mut *conn, "BEGIN READ ONLY").await?;
                sqlx::query("SELECT set_config('tenantry.tenant_id', $1, true)")
                    .bind(t.tenant.to_string())
                    .execute(&mut *tx)
                    .await?;
                let row = sqlx::query(RLS_READ).bind(t.tenant).bind(t.user).fetch_optional(&mut *tx).await?;
                tx.commit().await?;
                row.is_some()
            }
            Variant::Adapter => {
                let scope = self.scopes.get(t.scope).ok_or("no scope")?;
                let mut tx = self.store.begin(scope, Access::Read).await?;
                tx.user(UserId::from_uuid(t.user)?).await?.is_some()
            }
        };
        Ok(found)
    }
}

async fn setup() -> Result<(TestDatabase, Bench), Failure> {
    let admin_url = std::env::var("DATABASE_ADMIN_URL").unwrap_or_else(|_| DEFAULT_ADMIN_URL.to_owned());
    let db = TestDatabase::create(&SecretString::from(admin_url)).await?;
    let store = db.store().await?;
    let h = Harness::builder().store(Arc::new(store.clone()), Arc::new(store.clone())).build();
    let mut scopes = Vec::new();
    let mut tenants = Vec::new();
    for i in 0..TENANTS {
        let t = h.signup(&format!("bench{i:02}")).await?;
        scopes.push(h.owner_scope(&t).await?);
        tenants.push(t.id.as_uuid());
    }
    // Bulk users as the owner (copies of each owner row), then the baseline table without RLS.
    let mut admin = db.admin_options().connect().await?;
    for tenant in &tenants {
        // Ids are UUID v7, as the domain requires of every id it reads back.
        let ids: Vec<uuid::Uuid> = (0..USERS_PER_TENANT).map(|_| uuid::Uuid::now_v7()).collect();
        sqlx::query(
            "INSERT INTO tenantry.users \
             SELECT u.tenant_id, g.id, 'user' || g.n || '@bench.example.com', u.name, \
                    'member', NULL, true, NULL, NULL, u.password_hash, u.created_at, 0, NULL, 0, NULL \
             FROM tenantry.users u, unnest($1::uuid[]) WITH ORDINALITY AS g(id, n) \
             WHERE u.tenant_id = $2 AND u.role = 'owner'",
        )
        .bind(&ids)
        .bind(tenant)
        .execute(&mut admin)
        .await?;
    }
    sqlx::raw_sql(
        "CREATE SCHEMA bench; \
         CREATE TABLE bench.users_plain (LIKE tenantry.users INCLUDING ALL); \
         INSERT INTO bench.users_plain SELECT * FROM tenantry.users; \
         GRANT USAGE ON SCHEMA bench TO tenantry_app; \
         GRANT SELECT ON bench.users_plain TO tenantry_app; \
         ANALYZE tenantry.users; ANALYZE bench.users_plain;",
    )
    .execute(&mut admin)
    .await?;
    let pairs: Vec<(uuid::Uuid, uuid::Uuid)> =
        sqlx::query_as("SELECT tenant_id, id FROM tenantry.users ORDER BY md5(id::text) LIMIT 4000")
            .fetch_all(&mut admin)
            .await?;
    admin.close().await?;
    let targets = pairs
        .into_iter()
        .map(|(tenant, user)| Target { tenant, user, scope: tenants.iter().position(|t| *t == tenant).unwrap_or(0) })
        .collect();
    let pool = PgPoolOptions::new().max_connections(CONCURRENCY as u32).connect_with(db.service_options()).await?;
    Ok((db, Bench { pool, store, scopes, targets }))
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v.get(v.len() / 2).copied().unwrap_or_default()
}

async fn latency(bench: &Bench) -> Result<Vec<(Variant, Duration)>, Failure> {
    let mut conn = bench.pool.acquire().await?;
    let mut samples: Vec<Vec<Duration>> = vec![Vec::new(); Variant::ALL.len()];
    for round in 0..=ROUNDS {
        for (v, variant) in Variant::ALL.iter().enumerate() {
            let start = Instant::now();
            for i in 0..READS {
                let t = &bench.targets[(round * READS + i) % bench.targets.len()];
                if !bench.read(&mut conn, *variant, t).await? {
                    return Err(format!("{variant:?} did not find a user it must find").into());
                }
            }
            // Round 0 warms every variant up (statement caches, buffers) and is not counted.
            if round > 0 {
                samples[v].push(start.elapsed() / READS as u32);
            }
        }
    }
    Ok(Variant::ALL.iter().copied().zip(samples.into_iter().map(median)).collect())
}

async fn throughput(bench: &Arc<Bench>, variant: Variant) -> Result<f64, Failure> {
    let deadline = Instant::now() + Duration::from_secs(THROUGHPUT_SECS);
    let mut tasks = Vec::new();
    for c in 0..CONCURRENCY {
        let bench = bench.clone();
        tasks.push(tokio::spawn(async move {
            let mut conn = bench.pool.acquire().await?;
            let mut n = 0usize;
            while Instant::now() < deadline {
                let t = &bench.targets[(c * 7919 + n) % bench.targets.len()];
                bench.read(&mut conn, variant, t).await?;
                n += 1;
            }
            Ok::<usize, Failure>(n)
        }));
    }
    let mut total = 0;
    for task in tasks {
        total += task.await??;
    }
    Ok(total as f64 / THROUGHPUT_SECS as f64)
}

fn round_trips(variant: Variant) -> &'static str {
    match variant {
        Variant::Plain | Variant::Lateral => "1",
        Variant::BeginWithSet | Variant::Adapter => "3",
        Variant::FourStatements => "4",
    }
}

#[tokio::main]
async fn main() -> Result<(), Failure> {
    let (db, bench) = setup().await?;
    if std::env::var("BENCH_SETUP_ONLY").is_ok() {
        // Leaves the database for EXPLAIN: drop it by hand afterwards.
        println!("database {} left in place", db.name);
        return Ok(());
    }
    let bench = Arc::new(bench);
    println!(
        "{TENANTS} tenants × {} users; {ROUNDS} rounds × {READS} reads per variant, alternated",
        USERS_PER_TENANT + 1
    );
    let lat = latency(&bench).await?;
    let base = lat.first().map(|(_, d)| *d).unwrap_or_default();
    println!("\n| variant | round trips | median per read | ratio to baseline |\n|---|---|---|---|");
    for (variant, d) in &lat {
        println!(
            "| {} | {} | {:.1} µs | {:.2}× |",
            variant.name(),
            round_trips(*variant),
            d.as_secs_f64() * 1e6,
            base.as_secs_f64() / d.as_secs_f64()
        );
    }
    println!("\n{CONCURRENCY} concurrent clients, {THROUGHPUT_SECS} s each, variants alternated twice:");
    let mut rates: Vec<Vec<f64>> = vec![Vec::new(); Variant::ALL.len()];
    for _ in 0..2 {
        for (v, variant) in Variant::ALL.iter().enumerate() {
            rates[v].push(throughput(&bench, *variant).await?);
        }
    }
    let mean = |r: &Vec<f64>| r.iter().sum::<f64>() / r.len() as f64;
    let base_rate = rates.first().map(mean).unwrap_or(1.0);
    println!("\n| variant | reads/s | ratio to baseline |\n|---|---|---|");
    for (variant, r) in Variant::ALL.iter().zip(&rates) {
        println!("| {} | {:.0} | {:.2}× |", variant.name(), mean(r), mean(r) / base_rate);
    }
    bench.store.close().await;
    bench.pool.close().await;
    db.drop_now().await?;
    Ok(())
}

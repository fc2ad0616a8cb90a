//! Through PgBouncer in transaction mode (issue 26, decision 0031): every
//! transaction — and every statement outside one — may get another server
//! connection, which the pooler's few server connections (`scripts/pgbouncer`
//! keeps 4 per database and role) pass from client to client all the time.
//! The store's units of work, its named cross-tenant paths and the seat rule
//! hold under concurrency there; no tenant a unit of work set is seen by the
//! next client of its server connection; and a tenant some other client left
//! on a server connection session-wide changes nothing tenantry reads.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed step is a failed test

use sqlx::ConnectOptions;
use std::collections::BTreeSet;
use std::sync::Arc;
use tenantry_domain::{Email, Slug};
use tenantry_ports::TenantDirectory;
use tenantry_ports::directory::TenantListQuery;
use tenantry_postgres::PgStore;
use tenantry_postgres::testing::{TestDatabase, admin_url, pgbouncer_url};
use tenantry_testkit::scenarios::{SeatRush, seat_rush};
use tenantry_testkit::{Harness, Stores, TestTenant};

/// What a server connection shows a transaction that sets no tenant.
async fn probe(conn: &mut sqlx::PgConnection) -> (i32, Option<String>, i64) {
    let mut tx = sqlx::Connection::begin(&mut *conn).await.unwrap();
    let seen: (i32, Option<String>, i64) = sqlx::query_as(
        "SELECT pg_backend_pid(), nullif(current_setting('tenantry.tenant_id', true), ''), \
                (SELECT count(*) FROM tenantry.users)",
    )
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    seen
}

/// 240 units of work and named paths at once, over `tenants`, each checked.
async fn concurrent_work(h: Arc<Harness>, store: PgStore, tenants: Arc<Vec<TestTenant>>) {
    let mut work = tokio::task::JoinSet::new();
    for k in 0..240usize {
        let t = tenants[k % tenants.len()].clone();
        let (h, store) = (h.clone(), store.clone());
        work.spawn(async move {
            match k % 4 {
                0 => assert_eq!(store.resolve_slug(&Slug::parse(&t.slug).unwrap()).await.unwrap(), Some(t.id)),
                1 => {
                    // A login: the slug's named path, then the tenant's unit of work.
                    let principal = h.login(&t.slug, &t.owner_email).await.unwrap();
                    let scope = h.tenantry.authorize_to_read(&principal, t.id).await.unwrap();
                    assert_eq!(h.tenantry.get_tenant(&scope).await.unwrap().id, t.id);
                    // (A scope keeps its unit of work for its first read: let it go before a named path.)
                    drop(scope);
                    let email = Email::parse(&t.owner_email).unwrap();
                    assert!(
                        store.tenants_of_email(&email).await.unwrap().is_empty(),
                        "an unproven address is not named"
                    );
                }
                2 => {
                    let scope = h.tenantry.authorize_to_read(&t.owner, t.id).await.unwrap();
                    assert_eq!(h.tenantry.get_tenant(&scope).await.unwrap().id, t.id);
                    let users = h.tenantry.list_users(&scope).await.unwrap();
                    assert!(!users.is_empty() && users.iter().all(|u| u.tenant_id == t.id), "only its own users");
                }
                _ => {
                    let all = store.list_tenants(&TenantListQuery { limit: 50, ..Default::default() }).await.unwrap();
                    assert_eq!(all.len(), 6, "the platform's list sees every tenant, once");
                }
            }
        });
    }
    while let Some(done) = work.join_next().await {
        done.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn through_pgbouncer_units_of_work_and_named_paths_hold_and_no_tenant_outlives_its_transaction() {
    let test = "through_pgbouncer_units_of_work_and_named_paths_hold";
    let Some(admin) = admin_url(test) else { return };
    let Some(pooler) = pgbouncer_url(test) else { return };
    let db = TestDatabase::create(&admin).await.unwrap().through_pooler(&pooler).unwrap();
    let store = db.store().await.unwrap();
    let h =
        Harness::builder().stores(|clock| Stores::of(db.follower(&store).at(clock), Arc::new(db.operator()))).build();
    let mut tenants = Vec::new();
    for i in 0..6 {
        tenants.push(h.signup(&format!("pooled{i}")).await.unwrap());
    }
    let (h, tenants) = (Arc::new(h), Arc::new(tenants));
    // Units of work and named paths of six tenants, 240 at once; meanwhile
    // clients that set no tenant look at what the server connections show them.
    let work = tokio::spawn(concurrent_work(h.clone(), store.clone(), tenants.clone()));
    let mut probes = tokio::task::JoinSet::new();
    for _ in 0..4 {
        let options = db.service_options();
        probes.spawn(async move {
            let mut conn = options.connect().await.unwrap();
            let mut seen = Vec::new();
            for _ in 0..40 {
                seen.push(probe(&mut conn).await);
                tokio::task::yield_now().await;
            }
            seen
        });
    }
    work.await.unwrap();
    let mut servers: BTreeSet<i32> = BTreeSet::new();
    while let Some(seen) = probes.join_next().await {
        for (pid, tenant, users) in seen.unwrap() {
            assert_eq!(tenant, None, "a tenant outlived its transaction on server connection {pid}");
            assert_eq!(users, 0, "a transaction without a tenant saw users on server connection {pid}");
            servers.insert(pid);
        }
    }
    assert!(servers.len() <= 4, "160 probe transactions shared the pooler's 4 server connections with the store's");

    // Another client of the pooler leaves tenant 0 on a server connection,
    // session-wide: tenantry's units of work and named paths are not moved by it.
    let mut leaky = db.service_options().connect().await.unwrap();
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "SELECT set_config('tenantry.tenant_id', '{}', false)",
        tenants[0].id.as_uuid()
    )))
    .execute(&mut leaky)
    .await
    .unwrap();
    drop(leaky);
    concurrent_work(h.clone(), store.clone(), tenants.clone()).await;

    // The seat rule through the pooler: 100 requests at once on 5 free seats.
    let rush = seat_rush(&h, "pooledrush").await.unwrap();
    assert_eq!(rush, SeatRush { succeeded: 5, refused: 95, other: Vec::new(), seats_used: 10, seats: Some(10) });

    store.close().await;
    db.drop_now().await.unwrap();
}

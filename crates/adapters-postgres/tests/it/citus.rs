//! On a Citus cluster (issue 26; `TENANTRY_CITUS_URL`, NOT RUN without it, an error under
//! CI=true): a database that already has tenants — a single PostgreSQL's, restored onto a
//! coordinator, its tables still local — is distributed by `tenantry migrate`, and afterwards the
//! same tenants log in, read their own users and nothing of each other, and the verifier finds
//! every tenant table distributed and walled; no row stays behind in the coordinator's shells.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed step is a failed test

use secrecy::SecretString;
use sqlx::postgres::PgPoolOptions;
use std::sync::Arc;
use tenantry_postgres::testing::{TestDatabase, citus_url};
use tenantry_postgres::verify_isolation;
use tenantry_testkit::{Harness, Stores};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_with_tenants_moves_onto_citus_with_migrate_and_keeps_them_apart() {
    let Some(url) = citus_url("a_database_with_tenants_moves_onto_citus_with_migrate_and_keeps_them_apart") else {
        return;
    };
    let db = TestDatabase::create_undistributed_on_citus(&SecretString::from(url)).await.unwrap();
    let admin = PgPoolOptions::new().max_connections(1).connect_with(db.admin_options()).await.unwrap();
    let distributed = || async {
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM pg_dist_partition").fetch_one(&admin).await.unwrap()
    };
    assert_eq!(distributed().await, 0, "restored as local tables");

    // Before: two tenants, each with a second user, on the coordinator's local tables.
    let store = db.store().await.unwrap();
    let h =
        Harness::builder().stores(|clock| Stores::of(db.follower(&store).at(clock), Arc::new(db.operator()))).build();
    let acme = h.signup("acme").await.unwrap();
    let globex = h.signup("globex").await.unwrap();
    h.add_user(&acme, "ann@acme.example.com", "member").await.unwrap();
    h.add_user(&globex, "gus@globex.example.com", "member").await.unwrap();
    store.close().await;

    tenantry_postgres::migrate(&db.admin_url()).await.unwrap();
    assert_eq!(distributed().await, 21, "every tenant table distributed");
    let left_behind: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM pg_class c JOIN pg_dist_partition d ON d.logicalrelid = c.oid \
         WHERE pg_relation_size(c.oid) > 0",
    )
    .fetch_one(&admin)
    .await
    .unwrap();
    assert_eq!(left_behind, 0, "the coordinator's shell tables hold no rows after the move");

    // After: the same tenants, on the shards, through the service role.
    let store = db.store().await.unwrap();
    let h =
        Harness::builder().stores(|clock| Stores::of(db.follower(&store).at(clock), Arc::new(db.operator()))).build();
    for (tenant, member) in [(&acme, "ann@acme.example.com"), (&globex, "gus@globex.example.com")] {
        let owner = h.login(&tenant.slug, &tenant.owner_email).await.unwrap();
        let scope = h.scope(&owner, tenant.id).await.unwrap();
        let mut users: Vec<String> =
            h.tenantry.list_users(&scope).await.unwrap().into_iter().map(|u| u.email.to_string()).collect();
        users.sort();
        let mut expected = vec![tenant.owner_email.clone(), member.to_owned()];
        expected.sort();
        assert_eq!(users, expected, "{}'s users, and only them", tenant.slug);
        let other = if tenant.id == acme.id { &globex } else { &acme };
        assert!(h.scope(&owner, other.id).await.is_err(), "no way into the other tenant");
    }
    db.release_time().await.unwrap();
    let report = verify_isolation(&store).await.unwrap();
    assert!(report.ok(), "{:?}", report.findings);
    // A second run distributes nothing more and keeps the walls.
    tenantry_postgres::migrate(&db.admin_url()).await.unwrap();
    assert_eq!(distributed().await, 21);
    store.close().await;
    admin.close().await;
    db.drop_now().await.unwrap();
}

/// A later migration of tenantry's own, as `tenantry migrate` would apply it
/// to a cluster already distributed: a column on a distributed table, a new
/// tenant-owned table (a test stand-in, version 9000).
const LATER: &str = "\
ALTER TABLE tenantry.users ADD COLUMN later_nickname text NOT NULL DEFAULT 'none';
CREATE TABLE tenantry.later_things (
    tenant_id uuid NOT NULL REFERENCES tenantry.tenants ON DELETE CASCADE,
    id        uuid NOT NULL,
    label     text NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
SELECT tenantry.make_tenant_owned('tenantry.later_things', 'SELECT, INSERT', false);
";

/// `migrate` on a distributed schema (issue 26, item 6): the migrations run
/// through the coordinator — Citus carries `ALTER TABLE` to every shard — and
/// the run's distribution step distributes a new tenant table and walls its
/// shards; the tenants' rows stay where they were, the new column and table
/// serve each tenant its own rows only, the verifier is clean.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_later_migration_applies_through_the_coordinator_to_the_distributed_schema() {
    use sqlx::migrate::{Migration, MigrationType, Migrator};
    use sqlx::{ConnectOptions, SqlSafeStr};
    let Some(url) = citus_url("a_later_migration_applies_through_the_coordinator_to_the_distributed_schema") else {
        return;
    };
    let db = TestDatabase::create(&SecretString::from(url)).await.unwrap();
    let store = db.store().await.unwrap();
    let h =
        Harness::builder().stores(|clock| Stores::of(db.follower(&store).at(clock), Arc::new(db.operator()))).build();
    let acme = h.signup("acme").await.unwrap();
    let globex = h.signup("globex").await.unwrap();
    store.close().await;

    let admin = PgPoolOptions::new().max_connections(1).connect_with(db.admin_options()).await.unwrap();
    let mut migrations: Vec<Migration> = tenantry_postgres::MIGRATOR.iter().cloned().collect();
    migrations.push(Migration::new(
        9000,
        "a later migration".into(),
        MigrationType::Simple,
        LATER.into_sql_str(),
        false,
    ));
    Migrator::with_migrations(migrations).run(&admin).await.unwrap();
    let done = tenantry_postgres::citus::distribute(&admin).await.unwrap();
    assert_eq!(done.distributed, vec!["tenantry.later_things".to_owned()], "only the new table is distributed");
    let shards_with_column: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM run_command_on_shards('tenantry.users', \
           $$SELECT count(*) FROM information_schema.columns WHERE table_schema = 'tenantry' \
             AND table_name = split_part('%s', '.', 2) AND column_name = 'later_nickname'$$) WHERE result = '1'",
    )
    .fetch_one(&admin)
    .await
    .unwrap();
    assert_eq!(shards_with_column, 4, "the column reached every shard of tenantry.users");

    // Each tenant writes and reads the new table through the service role, and sees only its own.
    let mut service = db.service_options().connect().await.unwrap();
    for (tenant, label) in [(&acme, "acme's"), (&globex, "globex's")] {
        let mut tx = sqlx::Connection::begin(&mut service).await.unwrap();
        crate::set_tenant(&mut tx, tenant.id.as_uuid()).await;
        sqlx::query("INSERT INTO tenantry.later_things VALUES ($1, gen_random_uuid(), $2)")
            .bind(tenant.id.as_uuid())
            .bind(label)
            .execute(&mut *tx)
            .await
            .unwrap();
        tx.commit().await.unwrap();
    }
    for (tenant, label) in [(&acme, "acme's"), (&globex, "globex's")] {
        let mut tx = sqlx::Connection::begin(&mut service).await.unwrap();
        crate::set_tenant(&mut tx, tenant.id.as_uuid()).await;
        let labels: Vec<String> =
            sqlx::query_scalar("SELECT label FROM tenantry.later_things").fetch_all(&mut *tx).await.unwrap();
        assert_eq!(labels, vec![label.to_owned()], "its own row only, without a filter");
        let nicknames: Vec<String> =
            sqlx::query_scalar("SELECT later_nickname FROM tenantry.users").fetch_all(&mut *tx).await.unwrap();
        assert_eq!(nicknames, vec!["none".to_owned()], "the new column, on its one user");
        tx.rollback().await.unwrap();
    }
    drop(service);
    db.release_time().await.unwrap();
    let store = db.store().await.unwrap();
    let report = verify_isolation(&store).await.unwrap();
    assert!(report.ok(), "{:?}", report.findings);
    store.close().await;
    admin.close().await;
    db.drop_now().await.unwrap();
}

//! Races over PostgreSQL. The seat rule: 100 seat-consuming requests at once
//! on 5 free seats end with exactly 5 successes — writers of a tenant take its
//! advisory lock (docs/decisions/0006); without it, READ COMMITTED lets
//! several requests count the same free seat. The superuser's lockout: 20
//! parallel wrong passwords all count (one atomic update each, decision 0019)
//! and the right one is refused after them; a logout racing wrong passwords
//! stays a logout. A unit of work abandoned while it waits for the tenant's
//! lock (its client went away) leaves no transaction open on a pooled connection.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed step is a failed test

use std::sync::Arc;
use tenantry_postgres::testing::{TestDatabase, admin_url};
use tenantry_testkit::Harness;
use tenantry_testkit::Stores;
use tenantry_testkit::scenarios::{SeatRush, SuperuserRace, seat_rush, superuser_race};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_hundred_concurrent_seat_requests_on_five_free_seats_end_with_exactly_five_successes_in_postgres() {
    let Some(admin) = admin_url("a_hundred_concurrent_seat_requests_in_postgres") else { return };
    let db = TestDatabase::create(&admin).await.unwrap();
    let store = db.store().await.unwrap();
    let h =
        Harness::builder().stores(|clock| Stores::of(db.follower(&store).at(clock), Arc::new(db.operator()))).build();
    let rush = seat_rush(&h, "rush").await;
    store.close().await;
    db.drop_now().await.unwrap();
    assert_eq!(
        rush.unwrap(),
        SeatRush { succeeded: 5, refused: 95, other: Vec::new(), seats_used: 10, seats: Some(10) },
        "the seat rule must hold under concurrency"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_parallel_wrong_superuser_passwords_lock_the_account_and_a_racing_logout_holds_in_postgres() {
    let Some(admin) = admin_url("twenty_parallel_wrong_superuser_passwords_in_postgres") else { return };
    let db = TestDatabase::create(&admin).await.unwrap();
    let store = db.store().await.unwrap();
    let h =
        Harness::builder().stores(|clock| Stores::of(db.follower(&store).at(clock), Arc::new(db.operator()))).build();
    let race = superuser_race(&h, 20, 8).await;
    store.close().await;
    db.drop_now().await.unwrap();
    assert_eq!(
        race.unwrap(),
        SuperuserRace {
            wrong_refused: 20,
            right_refused_after: true,
            failures_counted: 5,
            locked: true,
            revived_after_logout: 0
        },
        "every wrong password counts, the lock holds, a logout holds"
    );
}

/// A request dropped while its unit of work waits for the tenant's advisory
/// lock (the client disconnected) must not leave its `BEGIN` open on the
/// connection: pooled inside a transaction, it held the tenant's lock while
/// idle and handed the next request a stranger's transaction (seen as 503s
/// and "there is already a transaction in progress" under load).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_unit_of_work_abandoned_while_waiting_for_the_lock_leaves_no_open_transaction() {
    use tenantry_ports::UnitOfWork;
    use tenantry_ports::store::Access;
    let Some(admin) = admin_url("a_unit_of_work_abandoned_while_waiting_for_the_lock") else { return };
    let db = TestDatabase::create(&admin).await.unwrap();
    let store = db.store().await.unwrap();
    let h =
        Harness::builder().stores(|clock| Stores::of(db.follower(&store).at(clock), Arc::new(db.operator()))).build();
    let t = h.signup("abandoned").await.unwrap();
    let scope = h.owner_scope(&t).await.unwrap();
    let owner = sqlx::PgPool::connect_with(db.admin_options()).await.unwrap();
    let open_in_pool = || async {
        sqlx::query_scalar::<_, i64>(
            "SELECT count(*) FROM pg_stat_activity WHERE usename = 'tenantry_app' AND datname = current_database() \
             AND state LIKE 'idle in transaction%'",
        )
        .fetch_one(&owner)
        .await
        .unwrap()
    };
    for round in 0..5 {
        // A writer holds the tenant's lock; three more are abandoned while they wait for it.
        let holder = store.begin(&scope, Access::Write).await.unwrap();
        for _ in 0..3 {
            let waiting =
                tokio::time::timeout(std::time::Duration::from_millis(50), store.begin(&scope, Access::Write));
            assert!(waiting.await.is_err(), "round {round}: the lock is held, so the begin waits");
        }
        drop(holder);
        // Once the lock is free the abandoned begins complete and are rolled back: nothing stays open.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        loop {
            let open = open_in_pool().await;
            if open == 0 {
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "round {round}: {open} pooled connections inside a transaction"
            );
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        // And the next writer gets the lock at once.
        let next = tokio::time::timeout(std::time::Duration::from_secs(2), store.begin(&scope, Access::Write)).await;
        drop(next.expect("the lock is free").unwrap());
    }
    owner.close().await;
    store.close().await;
    db.drop_now().await.unwrap();
}

/// A request holds one pooled connection at a time (decision 0025): on a pool
/// of ONE connection, a user is authorised with the platform settings' cache
/// empty (they are read before the unit of work opens, not while it holds the
/// connection), the read unit of work kept for the request answers its read
/// without a second connection, and a write after it lets the kept one go
/// first. Before, a settings miss during authorisation waited for a second
/// connection: with every connection held so, the pool stalled until its
/// acquire timeout and answered 503.
#[tokio::test]
async fn authorising_and_reading_on_a_pool_of_one_connection_never_waits_for_a_second() {
    use secrecy::SecretString;
    use tenantry_ports::services::tenant::SettingsInput;
    use tenantry_postgres::{PgOptions, PgStore};
    let Some(admin) = admin_url("authorising_on_a_pool_of_one_connection") else { return };
    let db = TestDatabase::create(&admin).await.unwrap();
    let options = PgOptions {
        max_connections: 1,
        acquire_timeout: std::time::Duration::from_secs(3),
        data_key: Some(tenantry_postgres::testing::test_data_key()),
        transaction_pooler: db.pooled(),
        ..PgOptions::default()
    };
    let one = PgStore::connect(&SecretString::from(db.service_url()), options).await.unwrap();
    let h = Harness::builder().stores(|clock| Stores::of(db.follower(&one).at(clock), Arc::new(db.operator()))).build();
    let t = h.signup("single").await.unwrap();
    for _ in 0..3 {
        h.tenantry.forget_settings();
        let scope = h.tenantry.authorize_to_read(&t.owner, t.id).await.unwrap();
        assert_eq!(h.tenantry.get_tenant(&scope).await.unwrap().id, t.id);
        let rename = SettingsInput { name: Some("Single Renamed".into()), ..Default::default() };
        let scope = h.tenantry.authorize_to_read(&t.owner, t.id).await.unwrap();
        h.tenantry.update_tenant(&scope, rename).await.unwrap();
    }
    one.close().await;
    db.drop_now().await.unwrap();
}

//! Races over PostgreSQL. The seat rule: 100 seat-consuming requests at once
//! on 5 free seats end with exactly 5 successes — writers of a tenant take its
//! advisory lock (docs/decisions/0006); without it, READ COMMITTED lets
//! several requests count the same free seat. The superuser's lockout: 20
//! parallel wrong passwords all count (one atomic update each, decision 0019)
//! and the right one is refused after them; a logout racing wrong passwords
//! stays a logout.

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

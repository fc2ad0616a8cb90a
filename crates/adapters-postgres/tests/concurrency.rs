//! The seat rule under concurrency, over PostgreSQL: 100 seat-consuming
//! requests at once on 5 free seats end with exactly 5 successes. Writers of a
//! tenant take its advisory lock (docs/decisions/0006); without it, READ
//! COMMITTED lets several requests count the same free seat.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed step is a failed test

use std::sync::Arc;
use tenantry_postgres::testing::{TestDatabase, admin_url};
use tenantry_testkit::Harness;
use tenantry_testkit::scenarios::{SeatRush, seat_rush};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_hundred_concurrent_seat_requests_on_five_free_seats_end_with_exactly_five_successes_in_postgres() {
    let Some(admin) = admin_url("a_hundred_concurrent_seat_requests_in_postgres") else { return };
    let db = TestDatabase::create(&admin).await.unwrap();
    let store = db.store().await.unwrap();
    let h = Harness::builder().store(Arc::new(store.clone()), Arc::new(store.clone())).build();
    let rush = seat_rush(&h, "rush").await;
    store.close().await;
    db.drop_now().await.unwrap();
    assert_eq!(
        rush.unwrap(),
        SeatRush { succeeded: 5, refused: 95, other: Vec::new(), seats_used: 10, seats: Some(10) },
        "the seat rule must hold under concurrency"
    );
}

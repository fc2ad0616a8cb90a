//! The isolation property over PostgreSQL: the testkit's generated multi-tenant
//! sequences (every tenant-scoped use case, actors of three tenants, 30 % of
//! targets in another tenant), checked after every operation for isolation,
//! seats, owner, proration and refusals — now through row-level security.
//! 2 × 250 sequences per run (`TENANTRY_TEST_SCALE` scales the count of each).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed step is a failed test

use proptest::test_runner::{Config, TestRunner};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use tenantry_postgres::testing::{TestDatabase, admin_url};
use tenantry_testkit::Harness;
use tenantry_testkit::Stores;
use tenantry_testkit::properties::run_named_sequence;
use tenantry_testkit::strategies::{Mix, ops_mix};

fn cases() -> u32 {
    tenantry_testkit::scale::cases(250)
}

fn run(test: &str, mix: Mix) {
    let Some(admin) = admin_url(test) else { return };
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let db = rt.block_on(TestDatabase::create(&admin)).unwrap();
    let store = rt.block_on(db.store()).unwrap();
    let counter = AtomicUsize::new(0);
    let ids: Arc<dyn tenantry_ports::IdGenerator> = Arc::new(tenantry_testkit::SequentialIds::default());
    let mut runner = TestRunner::new(Config {
        cases: cases(),
        failure_persistence: None,
        max_shrink_iters: 512,
        ..Config::default()
    });
    let result = runner.run(&ops_mix(3, 40, mix), |ops| {
        // Sequences share the database; each gets its own tenants, superuser and clock.
        let prefix = format!("s{}x", counter.fetch_add(1, Ordering::SeqCst));
        let h = Harness::builder()
            .stores(|clock| Stores::of(db.follower(&store).at(clock), Arc::new(db.operator())))
            .ids(ids.clone())
            .build();
        rt.block_on(run_named_sequence(h, 3, &prefix, &ops)).map(|_| ())
    });
    rt.block_on(store.close());
    rt.block_on(db.drop_now()).unwrap();
    if let Err(e) = result {
        panic!("{e}");
    }
}

#[test]
fn no_tenant_reads_changes_or_counts_another_tenants_rows_through_postgres() {
    run("no_tenant_reads_changes_or_counts_another_tenants_rows_through_postgres", Mix::Balanced);
}

#[test]
fn seats_and_owners_hold_through_postgres_under_seat_pressure() {
    run("seats_and_owners_hold_through_postgres_under_seat_pressure", Mix::Seats);
}

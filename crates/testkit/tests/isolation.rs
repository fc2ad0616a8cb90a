//! Property (a) — isolation — with (b) seats, (c) owner, (d) proration and
//! (e) refusal checked after every operation: random interleavings of every
//! tenant-scoped use case by actors of three tenants, over the in-memory store.
//!
//! 4 × 2 500 = 10 000 sequences of up to 50 operations per run; the case count
//! of each test can be raised with `PROPTEST_CASES`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed step is a failed test

use proptest::prelude::*;
use tenantry_testkit::Harness;
use tenantry_testkit::properties::run_sequence;
use tenantry_testkit::strategies::{Mix, ops_mix};

const TENANTS: u8 = 3;

fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(2_500);
    ProptestConfig { cases, max_shrink_iters: 4_096, failure_persistence: None, ..ProptestConfig::default() }
}

fn run(ops: &[tenantry_testkit::strategies::Op]) -> Result<(), TestCaseError> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| TestCaseError::fail(e.to_string()))?;
    rt.block_on(run_sequence(Harness::new(), usize::from(TENANTS), ops)).map(|_| ())
}

proptest! {
    #![proptest_config(config())]

    /// Every use case with everyday weights.
    #[test]
    fn no_operation_of_one_tenant_reads_changes_or_counts_another_tenants_data(ops in ops_mix(TENANTS, 50, Mix::Balanced)) {
        run(&ops)?;
    }

    /// A second, independent batch of the same.
    #[test]
    fn isolation_holds_in_a_second_independent_batch(ops in ops_mix(TENANTS, 50, Mix::Balanced)) {
        run(&ops)?;
    }

    /// Seat pressure: (b) used seats never exceed the licensed seats, with isolation checked throughout.
    #[test]
    fn used_seats_never_exceed_licensed_seats_under_any_sequence(ops in ops_mix(TENANTS, 50, Mix::Seats)) {
        run(&ops)?;
    }

    /// Ownership and roles: (c) exactly one owner, never deactivated, removed or demoted.
    #[test]
    fn every_tenant_keeps_exactly_one_active_owner(ops in ops_mix(TENANTS, 50, Mix::Owner)) {
        run(&ops)?;
    }
}

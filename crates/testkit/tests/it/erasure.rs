#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed step is a failed test
//! GDPR erasure in memory: afterwards, nothing the tenant holds — users,
//! invitations, audit log, exports and their archives — contains the person's
//! email or name (searched in everything the store keeps for the tenant, after
//! checking that the same search finds them before); the ledger records it.
//! The PostgreSQL counterpart searches every table: `adapters-postgres/tests/erasure.rs`.

use tenantry_testkit::Harness;
use tenantry_testkit::scenarios::erase_someone;

fn everything(data: &tenantry_testkit::memory::TenantData) -> String {
    let archives: Vec<String> =
        data.export_files.values().map(|bytes| String::from_utf8_lossy(bytes).into_owned()).collect();
    format!("{data:?} {archives:?}").to_lowercase()
}

#[tokio::test]
async fn an_erased_user_leaves_no_trace_in_anything_the_tenant_holds() {
    let h = Harness::new();
    let memory = h.memory.clone();
    let seen = memory.clone();
    let erased = erase_someone(&h, "forget", |t, email| async move {
        let before = everything(&seen.snapshot(t.id).await);
        assert!(before.contains(&email), "the search must find the person before the erasure");
        assert!(before.matches(&email).count() >= 4, "user, invitation, audit and archive: {before}");
        assert!(before.contains("quixotebrowser/1.0") && before.contains("198.51.100.0/24"), "a session: {before}");
    })
    .await
    .unwrap();
    let data = memory.snapshot(erased.tenant.id).await;
    let after = everything(&data);
    for trace in [erased.email.as_str(), erased.name.as_str(), "quentin", "quixote", "198.51.100"] {
        assert!(!after.contains(&trace.to_lowercase()), "{trace} is still there: {after}");
    }
    assert_eq!(data.erasures.len(), 1, "the ledger records the erasure");
    assert!(data.users.values().any(|u| u.is_erased()));
}

//! The superuser's backup and restore in memory (the same scenarios run on
//! PostgreSQL in the adapter's tests).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed step is a failed test

use tenantry_testkit::Harness;
use tenantry_testkit::restore;

#[tokio::test]
async fn backup_purge_restore_reproduces_every_table() {
    let h = Harness::new();
    let restored = restore::purge_and_restore(&h, "phoenix").await.unwrap();
    assert_eq!(restored.mode, "same_id");
    assert_eq!(restored.erasures_reapplied, 0);
    assert!(restored.rows.values().sum::<usize>() > 20, "{:?}", restored.rows);
}

#[tokio::test]
async fn an_erased_user_stays_erased_after_restoring_an_older_backup() {
    let h = Harness::new();
    restore::erased_stays_erased(&h, "lethe", false).await.unwrap();
}

#[tokio::test]
async fn an_erased_user_stays_erased_even_after_a_purge() {
    let h = Harness::new();
    restore::erased_stays_erased(&h, "lethe", true).await.unwrap();
}

/// Issue 17: no session from before the restore, no password changed since
/// the backup, no removed user, no revoked key, no mailed link comes back.
#[tokio::test]
async fn a_restore_brings_no_revoked_credential_back() {
    let h = Harness::new();
    assert_eq!(restore::revoked_stays_revoked(&h, "vault").await.unwrap(), restore::REVOKED_STAY_REVOKED);
    assert_eq!(restore::removed_owner_stays_out(&h, "throne").await.unwrap(), (false, false, true, true));
}

#[tokio::test]
async fn a_clone_gets_its_own_id_slug_and_no_billing_link() {
    let h = Harness::new();
    let (_, restored) = restore::clone_tenant(&h, "dolly").await.unwrap();
    assert_eq!(restored.mode, "clone");
}

#[tokio::test]
async fn bad_archives_are_refused_and_change_nothing() {
    let h = Harness::new();
    let codes = restore::refusals(&h, "guard").await.unwrap();
    assert_eq!(codes, restore::REFUSAL_CODES);
}

#[tokio::test]
async fn without_a_key_backups_are_refused() {
    use tenantry_ports::Problem;
    let h = Harness::builder().backup_key(None).build();
    let su = h.superuser("ops@x.example.com").await.unwrap();
    let t = h.signup("keyless").await.unwrap();
    let scope = h.scope(&su, t.id).await.unwrap();
    assert_eq!(h.tenantry.backup_tenant(&scope).await.unwrap_err().code(), "backups_not_configured");
    // and a tenant user, even the owner, is not the superuser
    let owner = h.owner_scope(&t).await.unwrap();
    let h2 = Harness::new();
    drop(h2);
    assert_eq!(h.tenantry.backup_tenant(&owner).await.unwrap_err().code(), "not_found");
}

#[test]
fn restoring_tenant_a_never_changes_tenant_b() {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    restore::check_restore_isolation(32, &rt, |i| (Harness::new(), format!("p{i}"))).unwrap();
}

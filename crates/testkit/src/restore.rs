//! Backup and restore scenarios, written once and run on every store (the
//! testkit's own tests in memory, the PostgreSQL adapter's tests on a real
//! database): a backup opened with the harness key is the tenant's every row,
//! table by table, so comparing two archives compares every table.

use crate::harness::{Harness, HarnessError, TestTenant, test_backup_key};
use serde_json::Value;
use std::collections::BTreeMap;
use tenantry_domain::TenantId;
use tenantry_domain::user::DeactivationReason;
use tenantry_ports::Principal;
use tenantry_ports::backup::{self, BackupContents};
use tenantry_ports::services::api_keys::ApiKeyInput;
use tenantry_ports::services::backups::{RestoreMode, Restored};
use tenantry_ports::services::invitations::InviteInput;
use tenantry_ports::services::roles::RoleInput;

fn fail(e: impl std::fmt::Display) -> HarnessError {
    HarnessError(e.to_string())
}

/// Audit actions that a backup, a restore and the operator's access add by
/// design; everything else must come back exactly.
pub const RESTORE_NOISE: [&str; 3] = ["platform.tenant_accessed", "tenant.backed_up", "tenant.restored"];

/// Every table of an archive's contents by name, rows in a stable order,
/// without the audit events in [`RESTORE_NOISE`].
pub fn comparable(contents: &BackupContents) -> BTreeMap<String, Vec<String>> {
    contents
        .rows
        .tables
        .iter()
        .map(|t| {
            let mut rows: Vec<String> = t
                .rows
                .iter()
                .filter(|r| !r.get("action").and_then(Value::as_str).is_some_and(|a| RESTORE_NOISE.contains(&a)))
                .map(Value::to_string)
                .collect();
            rows.sort();
            (t.table.clone(), rows)
        })
        .collect()
}

/// The tenant's every row now, through the superuser's backup (opened with the harness key).
pub async fn contents_of(h: &Harness, su: &Principal, tenant: TenantId) -> Result<BackupContents, HarnessError> {
    let scope = h.scope(su, tenant).await?;
    let made = h.tenantry.backup_tenant(&scope).await.map_err(fail)?;
    backup::open(&test_backup_key(), &made.archive).map_err(fail)
}

/// A tenant with something in every table: users (one deactivated), a pending
/// invitation, a custom role, an API key, a finished export with its archive,
/// usage, markers and audit events.
pub async fn busy_tenant(h: &Harness, slug: &str) -> Result<TestTenant, HarnessError> {
    let t = h.signup(slug).await?;
    let owner = h.owner_scope(&t).await?;
    let (member, _) = h.add_user(&t, &format!("member@{slug}.example.com"), "member").await?;
    h.add_user(&t, &format!("gone@{slug}.example.com"), "viewer").await?;
    h.login(slug, &format!("member@{slug}.example.com")).await?;
    h.tenantry
        .invite(&owner, InviteInput { email: format!("pending@{slug}.example.com"), role: "viewer".into() })
        .await
        .map_err(fail)?;
    h.tenantry
        .create_role(
            &owner,
            RoleInput { name: "Auditor".into(), description: None, permissions: vec!["audit:read".into()] },
        )
        .await
        .map_err(fail)?;
    h.tenantry.create_api_key(&owner, ApiKeyInput { name: "ci".into(), role: "viewer".into() }).await.map_err(fail)?;
    h.tenantry.deactivate_user(&owner, member).await.map_err(fail)?;
    h.tenantry.request_export(&owner).await.map_err(fail)?;
    h.tenantry.run_due_jobs(10).await.map_err(fail)?;
    Ok(t)
}

/// Backup → deletion → purge → restore under the same id reproduces every
/// table; the owner logs in again.
pub async fn purge_and_restore(h: &Harness, slug: &str) -> Result<Restored, HarnessError> {
    let su = h.superuser(&format!("ops@{slug}.example.com")).await?;
    let t = busy_tenant(h, slug).await?;
    let before = contents_of(h, &su, t.id).await?;
    let archive = {
        let scope = h.scope(&su, t.id).await?;
        h.tenantry.backup_tenant(&scope).await.map_err(fail)?.archive
    };
    let owner = h.owner_scope(&t).await?;
    h.tenantry.request_deletion(&owner).await.map_err(fail)?;
    h.advance_days(31).await;
    if h.scope(&su, t.id).await.is_ok() {
        return Err(HarnessError("the tenant was not purged after 31 days".into()));
    }
    let who = h.tenantry.authorize_platform(&su).await.map_err(fail)?;
    let restored = h.tenantry.restore_tenant(&who, t.id, &archive, RestoreMode::SameId).await.map_err(fail)?;
    let after = contents_of(h, &su, t.id).await?;
    let (b, a) = (comparable(&before), comparable(&after));
    if b != a {
        let differing: Vec<&String> = b.keys().chain(a.keys()).filter(|k| b.get(*k) != a.get(*k)).collect();
        return Err(HarnessError(format!("tables differ after the restore: {differing:?}")));
    }
    h.login(slug, &t.owner_email).await?;
    Ok(restored)
}

/// A user erased after the backup stays erased when the older backup is
/// restored — under the same id while the tenant lives, and after its purge.
/// Answers the email that must be found nowhere.
pub async fn erased_stays_erased(h: &Harness, slug: &str, purge_between: bool) -> Result<String, HarnessError> {
    let su = h.superuser(&format!("ops@{slug}.example.com")).await?;
    let t = h.signup(slug).await?;
    let email = format!("forget.me@{slug}.example.com");
    let (id, _) = h.add_user(&t, &email, "member").await?;
    let archive = {
        let scope = h.scope(&su, t.id).await?;
        h.tenantry.backup_tenant(&scope).await.map_err(fail)?.archive
    };
    let owner = h.owner_scope(&t).await?;
    h.tenantry.erase_user(&owner, id).await.map_err(fail)?;
    if purge_between {
        h.tenantry.request_deletion(&owner).await.map_err(fail)?;
        h.advance_days(31).await;
    }
    let who = h.tenantry.authorize_platform(&su).await.map_err(fail)?;
    let restored = h.tenantry.restore_tenant(&who, t.id, &archive, RestoreMode::SameId).await.map_err(fail)?;
    if restored.erasures_reapplied != 1 {
        return Err(HarnessError(format!("{} erasures re-applied, expected 1", restored.erasures_reapplied)));
    }
    let after = contents_of(h, &su, t.id).await?;
    let text = serde_json::to_string(&after.rows).map_err(fail)?.to_lowercase();
    if text.contains(&email) || text.contains(&format!("user {email}")) {
        return Err(HarnessError("the erased user's email is back after the restore".into()));
    }
    if h.login(slug, &email).await.is_ok() {
        return Err(HarnessError("the erased user can log in after the restore".into()));
    }
    if after.erasures.len() != 1 {
        return Err(HarnessError(format!("the tenant's ledger holds {} erasures, expected 1", after.erasures.len())));
    }
    Ok(email)
}

/// A clone under a new id and slug: the original is untouched, the clone
/// holds the same people (who log in to it with the same password) and has
/// no billing link.
pub async fn clone_tenant(h: &Harness, slug: &str) -> Result<(TenantId, Restored), HarnessError> {
    let su = h.superuser(&format!("ops@{slug}.example.com")).await?;
    let t = busy_tenant(h, slug).await?;
    let archive = {
        let scope = h.scope(&su, t.id).await?;
        h.tenantry.backup_tenant(&scope).await.map_err(fail)?.archive
    };
    let original = comparable(&contents_of(h, &su, t.id).await?);
    if !serde_json::to_string(&original).map_err(fail)?.contains("cus_") {
        return Err(HarnessError("the original has no billing customer to leave behind".into()));
    }
    let who = h.tenantry.authorize_platform(&su).await.map_err(fail)?;
    let copy = format!("{slug}-copy");
    let restored = h
        .tenantry
        .restore_tenant(&who, t.id, &archive, RestoreMode::Clone { slug: copy.clone() })
        .await
        .map_err(fail)?;
    let clone_id = restored.tenant.id;
    if clone_id == t.id || restored.tenant.slug.as_str() != copy {
        return Err(HarnessError("the clone did not get its own id and slug".into()));
    }
    if comparable(&contents_of(h, &su, t.id).await?) != original {
        return Err(HarnessError("cloning changed the original".into()));
    }
    h.login(&copy, &format!("owner@{slug}.example.com")).await?;
    let clone_rows = contents_of(h, &su, clone_id).await?;
    // (The restore's own audit event names its source; every other row must not.)
    let text = serde_json::to_string(&comparable(&clone_rows)).map_err(fail)?;
    if text.contains(&t.id.as_uuid().to_string()) {
        return Err(HarnessError("the clone's rows still name the original tenant".into()));
    }
    if text.contains("cus_") {
        return Err(HarnessError("the clone shares the original's billing customer".into()));
    }
    Ok((clone_id, restored))
}

/// The codes [`refusals`] answers, in order.
pub const REFUSAL_CODES: [&str; 7] = [
    "backup_foreign_tenant",
    "backup_truncated",
    "backup_tampered",
    "not_a_backup",
    "backup_key_mismatch",
    "slug_taken",
    "invalid_slug",
];

/// What a restore refuses, each leaving both tenants as they were: another
/// tenant's archive, a truncated or tampered one, garbage, one sealed with
/// another key, a clone onto a taken slug. Answers the refusal codes in order.
pub async fn refusals(h: &Harness, slug: &str) -> Result<Vec<&'static str>, HarnessError> {
    use tenantry_ports::Problem;
    let su = h.superuser(&format!("ops@{slug}.example.com")).await?;
    let a = busy_tenant(h, slug).await?;
    let b = h.signup(&format!("{slug}-b")).await?;
    let archive = {
        let scope = h.scope(&su, a.id).await?;
        h.tenantry.backup_tenant(&scope).await.map_err(fail)?.archive
    };
    let (before_a, before_b) =
        (comparable(&contents_of(h, &su, a.id).await?), comparable(&contents_of(h, &su, b.id).await?));
    let who = h.tenantry.authorize_platform(&su).await.map_err(fail)?;
    let mut tampered = archive.clone();
    let last = tampered.len() - 1;
    tampered[last] ^= 0x80;
    let other_key = {
        let contents = backup::open(&test_backup_key(), &archive).map_err(fail)?;
        backup::seal(&backup::BackupKey::from_bytes([9; 32]), &contents, [1; 12]).map_err(fail)?
    };
    let attempts: Vec<(TenantId, Vec<u8>, RestoreMode)> = vec![
        (b.id, archive.clone(), RestoreMode::SameId),
        (a.id, archive[..archive.len() / 2].to_vec(), RestoreMode::SameId),
        (a.id, tampered, RestoreMode::SameId),
        (a.id, b"not a backup at all, just some text".to_vec(), RestoreMode::SameId),
        (a.id, other_key, RestoreMode::SameId),
        (a.id, archive.clone(), RestoreMode::Clone { slug: b.slug.clone() }),
        (a.id, archive.clone(), RestoreMode::Clone { slug: "Not A Slug!".into() }),
    ];
    let mut codes = Vec::new();
    for (target, bytes, mode) in attempts {
        match h.tenantry.restore_tenant(&who, target, &bytes, mode).await {
            Ok(_) => return Err(HarnessError(format!("a bad restore onto {target} was accepted"))),
            Err(e) => codes.push(e.code()),
        }
    }
    if comparable(&contents_of(h, &su, a.id).await?) != before_a
        || comparable(&contents_of(h, &su, b.id).await?) != before_b
    {
        return Err(HarnessError("a refused restore changed a tenant".into()));
    }
    Ok(codes)
}

/// A change made to a tenant in the isolation property.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    /// Invite and accept a member.
    AddUser,
    /// A pending invitation.
    Invite,
    /// A custom role.
    Role,
    /// An API key.
    ApiKey,
    /// Erase the newest non-owner user.
    Erase,
    /// An export, produced.
    Export,
}

/// Up to `max` changes.
pub fn changes(max: usize) -> impl proptest::strategy::Strategy<Value = Vec<Change>> {
    use proptest::prelude::*;
    proptest::collection::vec(
        prop_oneof![
            Just(Change::AddUser),
            Just(Change::Invite),
            Just(Change::Role),
            Just(Change::ApiKey),
            Just(Change::Erase),
            Just(Change::Export)
        ],
        0..=max,
    )
}

async fn apply(h: &Harness, t: &TestTenant, changes: &[Change], tag: &str) -> Result<(), HarnessError> {
    let owner = h.owner_scope(t).await?;
    for (i, change) in changes.iter().enumerate() {
        match change {
            Change::AddUser => {
                h.add_user(t, &format!("u{tag}{i}@{}.example.com", t.slug), "member").await?;
            }
            Change::Invite => {
                let input = InviteInput { email: format!("i{tag}{i}@{}.example.com", t.slug), role: "viewer".into() };
                h.tenantry.invite(&owner, input).await.map_err(fail)?;
            }
            Change::Role => {
                let input = RoleInput {
                    name: format!("Role {tag}{i}"),
                    description: None,
                    permissions: vec!["audit:read".into()],
                };
                h.tenantry.create_role(&owner, input).await.map_err(fail)?;
            }
            Change::ApiKey => {
                let input = ApiKeyInput { name: format!("key {tag}{i}"), role: "viewer".into() };
                h.tenantry.create_api_key(&owner, input).await.map_err(fail)?;
            }
            Change::Erase => {
                let users = h.tenantry.list_users(&owner).await.map_err(fail)?;
                if let Some(u) = users
                    .iter()
                    .rev()
                    .find(|u| u.id != t.owner_id && u.deactivated_reason != Some(DeactivationReason::Erased))
                {
                    h.tenantry.erase_user(&owner, u.id).await.map_err(fail)?;
                }
            }
            Change::Export => {
                h.tenantry.request_export(&owner).await.map_err(fail)?;
                h.tenantry.run_due_jobs(10).await.map_err(fail)?;
            }
        }
    }
    Ok(())
}

/// The property's one case: both tenants get `before`; A is backed up, gets
/// `after`, and is restored (same id, or as a clone). B's every row and its
/// entry in the platform directory are exactly as they were.
pub async fn restore_leaves_the_other_tenant_alone(
    h: &Harness,
    prefix: &str,
    before: &[Change],
    after: &[Change],
    clone: bool,
) -> Result<(), HarnessError> {
    use tenantry_ports::directory::TenantListQuery;
    let su = h.superuser(&format!("ops@{prefix}.example.com")).await?;
    let a = h.signup(&format!("{prefix}-a")).await?;
    let b = h.signup(&format!("{prefix}-b")).await?;
    apply(h, &a, before, "a").await?;
    apply(h, &b, before, "b").await?;
    let archive = {
        let scope = h.scope(&su, a.id).await?;
        h.tenantry.backup_tenant(&scope).await.map_err(fail)?.archive
    };
    apply(h, &a, after, "later").await?;
    let who = h.tenantry.authorize_platform(&su).await.map_err(fail)?;
    let listed = |search: String| TenantListQuery { search: Some(search), status: None, offset: 0, limit: 10 };
    let b_rows = comparable(&contents_of(h, &su, b.id).await?);
    let b_listed = h.tenantry.admin_list_tenants(&who, listed(b.slug.clone())).await.map_err(fail)?;
    let mode = if clone { RestoreMode::Clone { slug: format!("{prefix}-c") } } else { RestoreMode::SameId };
    h.tenantry.restore_tenant(&who, a.id, &archive, mode).await.map_err(fail)?;
    if comparable(&contents_of(h, &su, b.id).await?) != b_rows {
        return Err(HarnessError("restoring tenant A changed tenant B's rows".into()));
    }
    if h.tenantry.admin_list_tenants(&who, listed(b.slug.clone())).await.map_err(fail)? != b_listed {
        return Err(HarnessError("restoring tenant A changed tenant B's directory entry".into()));
    }
    Ok(())
}

/// Runs [`restore_leaves_the_other_tenant_alone`] on `cases` random cases,
/// each on the harness `harness(i)` makes with slug prefix `prefix(i)`.
pub fn check_restore_isolation(
    cases: u32,
    rt: &tokio::runtime::Runtime,
    harness: impl Fn(usize) -> (Harness, String),
) -> Result<(), String> {
    use proptest::prelude::*;
    use proptest::test_runner::{Config, TestCaseError, TestRunner};
    let counter = std::cell::Cell::new(0usize);
    let mut runner = TestRunner::new(Config { cases, failure_persistence: None, ..Config::default() });
    runner
        .run(&(changes(4), changes(4), any::<bool>()), |(before, after, clone)| {
            let i = counter.get();
            counter.set(i + 1);
            let (h, prefix) = harness(i);
            rt.block_on(restore_leaves_the_other_tenant_alone(&h, &prefix, &before, &after, clone))
                .map_err(|e| TestCaseError::fail(e.0))
        })
        .map_err(|e| e.to_string())
}

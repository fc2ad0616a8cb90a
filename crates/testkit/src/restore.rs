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

/// [`comparable`], without what a restore deliberately changes in the
/// archive's credentials (issue 17): the users' token versions (every session
/// ends), the pending invitations' state (void) and the one-time links'
/// expiry (void). A restore must give back everything else exactly.
pub fn comparable_but_credentials(contents: &BackupContents) -> BTreeMap<String, Vec<String>> {
    let mut contents = contents.clone();
    for table in &mut contents.rows.tables {
        let voided: &[&str] = match table.table.rsplit('.').next().unwrap_or_default() {
            "users" => &["token_version"],
            "invitations" => &["state", "state_at", "revoke_reason", "status"],
            "account_links" | "resets" => &["expires_at"],
            _ => &[],
        };
        for row in &mut table.rows {
            if let Some(object) = row.as_object_mut() {
                for column in voided {
                    object.remove(*column);
                }
            }
        }
    }
    comparable(&contents)
}

/// The token version of each user in an archive's contents.
fn token_versions(contents: &BackupContents) -> BTreeMap<String, u64> {
    contents
        .rows
        .tables
        .iter()
        .filter(|t| t.table.rsplit('.').next() == Some("users"))
        .flat_map(|t| t.rows.iter())
        .filter_map(|r| Some((r.get("id")?.as_str()?.to_owned(), r.get("token_version")?.as_u64()?)))
        .collect()
}

/// The tenant's every row now, through the superuser's backup (opened with the harness key).
pub async fn contents_of(h: &Harness, su: &Principal, tenant: TenantId) -> Result<BackupContents, HarnessError> {
    let scope = h.scope(su, tenant).await?;
    let made = h.tenantry.backup_tenant(&scope).await.map_err(fail)?;
    backup::open(&test_backup_key(), &made.archive).map_err(fail)
}

/// The bytes of the file every [`busy_tenant`] holds.
pub const CONTRACT: &[u8] = b"%PDF-1.7\nthe busy tenant's contract\n%%EOF\n";

/// The bytes of the tenant's one file (its `contract.pdf`), downloaded as the
/// superuser `su` would.
pub async fn contract_of(h: &Harness, su: &Principal, tenant: TenantId) -> Result<Vec<u8>, HarnessError> {
    let scope = h.scope(su, tenant).await?;
    let files = h.tenantry.list_files(&scope).await.map_err(fail)?;
    let file = files.iter().find(|f| f.name == "contract.pdf").ok_or_else(|| HarnessError("no contract.pdf".into()))?;
    let (_, bytes) = h.tenantry.download_file(&scope, file.id).await.map_err(fail)?;
    tenantry_ports::files::read_all(bytes, 1 << 20).await.map_err(fail)
}

/// A tenant with something in every table: users (one deactivated), a pending
/// invitation, a custom role, an API key, a file, a finished export with its
/// archive, usage, markers and audit events.
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
    let upload = tenantry_ports::services::files::Upload {
        name: "contract.pdf".into(),
        content: tenantry_ports::files::once(CONTRACT),
    };
    h.tenantry.upload_file(&owner, upload).await.map_err(fail)?;
    h.tenantry.request_export(&owner).await.map_err(fail)?;
    h.tenantry.run_due_jobs(10).await.map_err(fail)?;
    Ok(t)
}

/// Backup → deletion → purge → restore under the same id reproduces every
/// table but the credentials it voids (every user's token version is past the
/// archive's, the pending invitation is void); the owner logs in again with
/// the same password.
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
    // A month later the operator logs in again (sessions idle out).
    let su = h.superuser_login(&format!("ops@{slug}.example.com")).await?;
    if h.scope(&su, t.id).await.is_ok() {
        return Err(HarnessError("the tenant was not purged after 31 days".into()));
    }
    let who = h.tenantry.authorize_platform(&su).await.map_err(fail)?;
    let restored = h.tenantry.restore_tenant(&who, t.id, &archive, RestoreMode::SameId).await.map_err(fail)?;
    let after = contents_of(h, &su, t.id).await?;
    let (b, a) = (comparable_but_credentials(&before), comparable_but_credentials(&after));
    if b != a {
        let differing: Vec<&String> = b.keys().chain(a.keys()).filter(|k| b.get(*k) != a.get(*k)).collect();
        return Err(HarnessError(format!("tables differ after the restore: {differing:?}")));
    }
    let (was, is) = (token_versions(&before), token_versions(&after));
    if was.len() != 3 || was.keys().ne(is.keys()) || was.iter().any(|(id, v)| is.get(id).is_none_or(|n| n <= v)) {
        return Err(HarnessError(format!("every user's sessions must end: {was:?} → {is:?}")));
    }
    let c = &restored.credentials;
    if (c.sessions_ended, c.passwords_reset, c.users_removed, c.api_keys_revoked, c.invitations_voided)
        != (3, 0, 0, 0, 1)
    {
        return Err(HarnessError(format!("the restore voided other credentials than expected: {c:?}")));
    }
    h.login(slug, &t.owner_email).await?;
    if contract_of(h, &su, t.id).await? != CONTRACT {
        return Err(HarnessError("the restored file's bytes differ from the backed-up ones".into()));
    }
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
    let su = h.superuser_login(&format!("ops@{slug}.example.com")).await?;
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
/// holds the same people but none of their credentials (the old password opens
/// nothing: a reset link does, and then the new password), no live API key and
/// no billing link; the answer says so.
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
    let owner_email = format!("owner@{slug}.example.com");
    if h.login(&copy, &owner_email).await.is_ok() {
        return Err(HarnessError("the clone's owner logged in with the original's password".into()));
    }
    let c = &restored.credentials;
    if c.passwords_reset != 3
        || c.api_keys_revoked != 1
        || c.invitations_voided != 1
        || !restored.note.contains("reset")
    {
        return Err(HarnessError(format!("the clone kept credentials: {c:?} ({})", restored.note)));
    }
    reset_password(h, &copy, &owner_email).await?;
    if contract_of(h, &su, clone_id).await? != CONTRACT || contract_of(h, &su, t.id).await? != CONTRACT {
        return Err(HarnessError("the clone's file or the original's is not the backed-up one".into()));
    }
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

/// The mailed reset link of `email` in workspace `slug`, followed: the harness
/// password becomes the account's again, and the login works.
async fn reset_password(h: &Harness, slug: &str, email: &str) -> Result<(), HarnessError> {
    use tenantry_ports::services::account::{ResetConfirmation, ResetRequest};
    h.tenantry.request_password_reset(ResetRequest { tenant: slug.into(), email: email.into() }).await.map_err(fail)?;
    let token = h.mailer.reset_token(email).ok_or_else(|| HarnessError(format!("no reset link mailed to {email}")))?;
    let password = secrecy::SecretString::from(crate::harness::PASSWORD);
    h.tenantry.confirm_password_reset(ResetConfirmation { token, password }).await.map_err(fail)?;
    h.login(slug, email).await.map(|_| ())
}

/// What [`revoked_stays_revoked`] saw after the restore.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revocations {
    /// The owner's token from before the backup (ended by the restore).
    pub old_session_works: bool,
    /// The member's password changed after the backup: the archive's old one.
    pub old_password_works: bool,
    /// The member's newer password (not in the archive either).
    pub new_password_works: bool,
    /// The member, after a reset link.
    pub works_after_reset: bool,
    /// A user removed after the backup.
    pub removed_user_is_back: bool,
    /// An API key revoked after the backup.
    pub revoked_key_works: bool,
    /// The pending invitation's mailed link.
    pub invitation_link_works: bool,
    /// A password reset link mailed before the backup.
    pub old_reset_link_works: bool,
    /// A user deactivated after the backup logs in again.
    pub deactivated_user_works: bool,
    /// A second factor removed after the backup (a lost phone) is back.
    pub removed_second_factor_is_back: bool,
    /// What the restore said it voided.
    pub voided: tenantry_ports::services::backups::CredentialsVoided,
}

/// What [`revoked_stays_revoked`] must see: nothing opens anything but the
/// member's reset link; the restore says it ended 4 users' sessions (owner,
/// member, leaver, deputy; the removed viewer is gone again), deactivated the
/// leaver again, dropped the deputy's old second factor, reset the member's password,
/// revoked the key, voided the invitation and two links (the owner's reset
/// link and the signup's e-mail verification link).
pub const REVOKED_STAY_REVOKED: Revocations = Revocations {
    old_session_works: false,
    old_password_works: false,
    new_password_works: false,
    works_after_reset: true,
    removed_user_is_back: false,
    revoked_key_works: false,
    invitation_link_works: false,
    old_reset_link_works: false,
    deactivated_user_works: false,
    removed_second_factor_is_back: false,
    voided: tenantry_ports::services::backups::CredentialsVoided {
        sessions_ended: 4,
        passwords_reset: 1,
        users_removed: 1,
        api_keys_revoked: 1,
        links_voided: 2,
        invitations_voided: 1,
        // Every mail of the archive had gone out when the backup was made.
        mails_voided: 0,
        users_deactivated: 1,
        second_factors_removed: 1,
        owner_removed_since: false,
    },
};

/// Issue 17: a restore under the same id brings no revoked credential back.
/// Before the backup: the owner holds a session, a member a password, a key
/// is live, a viewer exists, an invitation and a reset link are out. After it:
/// the member changes the password, the key is revoked, the viewer removed.
/// The older backup is restored; then nothing of that opens anything.
pub async fn revoked_stays_revoked(h: &Harness, slug: &str) -> Result<Revocations, HarnessError> {
    use tenantry_ports::services::account::{ResetConfirmation, ResetRequest};
    let su = h.superuser(&format!("ops@{slug}.example.com")).await?;
    let t = h.signup(slug).await?;
    let owner = h.owner_scope(&t).await?;
    let member = format!("member@{slug}.example.com");
    let (member_id, _) = h.add_user(&t, &member, "member").await?;
    let viewer = format!("viewer@{slug}.example.com");
    let (viewer_id, _) = h.add_user(&t, &viewer, "viewer").await?;
    let key = h
        .tenantry
        .create_api_key(&owner, ApiKeyInput { name: "ci".into(), role: "viewer".into() })
        .await
        .map_err(fail)?;
    let leaver = format!("leaver@{slug}.example.com");
    let (leaver_id, _) = h.add_user(&t, &leaver, "member").await?;
    let deputy = format!("deputy@{slug}.example.com");
    let (deputy_id, _) = h.add_user(&t, &deputy, "member").await?;
    {
        let principal = h.login(slug, &deputy).await?;
        let password = secrecy::SecretString::from(crate::harness::PASSWORD);
        let started = h.tenantry.start_mfa(&principal, &password).await.map_err(fail)?;
        let secret =
            tenantry_domain::mfa::TotpSecret::from_base32(secrecy::ExposeSecret::expose_secret(&started.secret))
                .map_err(fail)?;
        let code = tenantry_domain::mfa::code_at(&secret, h.clock_now()).ok_or_else(|| fail("no code"))?;
        h.tenantry.confirm_mfa(&principal, secrecy::ExposeSecret::expose_secret(&code)).await.map_err(fail)?;
    }
    let invited = format!("invited@{slug}.example.com");
    h.tenantry.invite(&owner, InviteInput { email: invited.clone(), role: "viewer".into() }).await.map_err(fail)?;
    h.tenantry
        .request_password_reset(ResetRequest { tenant: slug.into(), email: t.owner_email.clone() })
        .await
        .map_err(fail)?;
    let old_link = h.mailer.reset_token(&t.owner_email).ok_or_else(|| HarnessError("no reset link".into()))?;
    let invitation = h.mailer.invitation_token(&invited).ok_or_else(|| HarnessError("no invitation".into()))?;
    let archive = {
        let scope = h.scope(&su, t.id).await?;
        h.tenantry.backup_tenant(&scope).await.map_err(fail)?.archive
    };
    // After the backup: a password change (by a reset link), a key revoked, a user removed.
    h.clock.advance(chrono::Duration::minutes(2));
    h.tenantry
        .request_password_reset(ResetRequest { tenant: slug.into(), email: member.clone() })
        .await
        .map_err(fail)?;
    let link = h.mailer.reset_token(&member).ok_or_else(|| HarnessError("no reset link".into()))?;
    let newer = secrecy::SecretString::from("a newer password of the member");
    h.tenantry
        .confirm_password_reset(ResetConfirmation { token: link, password: newer.clone() })
        .await
        .map_err(fail)?;
    h.tenantry.revoke_api_key(&owner, key.key.id).await.map_err(fail)?;
    h.tenantry.remove_user(&owner, viewer_id).await.map_err(fail)?;
    h.tenantry.deactivate_user(&owner, leaver_id).await.map_err(fail)?;
    // The deputy lost their phone: the superuser removed their second factor.
    h.tenantry.reset_user_mfa(&h.scope(&su, t.id).await?, deputy_id).await.map_err(fail)?;

    let who = h.tenantry.authorize_platform(&su).await.map_err(fail)?;
    let restored = h.tenantry.restore_tenant(&who, t.id, &archive, RestoreMode::SameId).await.map_err(fail)?;

    let login = |email: String, password: secrecy::SecretString| {
        let t = h.tenantry.clone();
        let slug = slug.to_owned();
        async move {
            t.login(tenantry_ports::services::auth::LoginInput { tenant: Some(slug), email, password }).await.is_ok()
        }
    };
    let old_session_works = h.tenantry.authorize(&t.owner, t.id).await.is_ok();
    let old_password_works = login(member.clone(), secrecy::SecretString::from(crate::harness::PASSWORD)).await;
    let new_password_works = login(member.clone(), newer).await;
    let revoked_key_works = {
        let principal = tenantry_ports::Tenantry::api_key_principal(&key.secret)
            .ok_or_else(|| HarnessError("the key's text names no key".into()))?;
        h.tenantry.authorize(&principal, t.id).await.is_ok()
    };
    let removed_user_is_back = {
        let mut tx = h
            .tenantry
            .deps()
            .store
            .begin(&owner_scope_again(h, &t).await?, tenantry_ports::store::Access::Read)
            .await
            .map_err(fail)?;
        tx.user(viewer_id).await.map_err(fail)?.is_some()
    };
    let invitation_link_works = h
        .tenantry
        .accept_invitation(tenantry_ports::services::invitations::AcceptInput {
            token: invitation,
            name: "Invited".into(),
            password: secrecy::SecretString::from(crate::harness::PASSWORD),
        })
        .await
        .is_ok();
    let old_reset_link_works = h
        .tenantry
        .confirm_password_reset(ResetConfirmation {
            token: old_link,
            password: secrecy::SecretString::from("an attacker's chosen password"),
        })
        .await
        .is_ok();
    let works_after_reset = reset_password(h, slug, &member).await.is_ok();
    let deactivated_user_works = login(leaver.clone(), secrecy::SecretString::from(crate::harness::PASSWORD)).await;
    // The deputy's login asks for a second factor only if the archive's secret came back.
    let removed_second_factor_is_back = h
        .tenantry
        .login(tenantry_ports::services::auth::LoginInput {
            tenant: Some(slug.to_owned()),
            email: deputy.clone(),
            password: secrecy::SecretString::from(crate::harness::PASSWORD),
        })
        .await
        .map_err(fail)?
        .mfa_required;
    let _ = member_id;
    Ok(Revocations {
        old_session_works,
        old_password_works,
        new_password_works,
        works_after_reset,
        removed_user_is_back,
        revoked_key_works,
        invitation_link_works,
        old_reset_link_works,
        deactivated_user_works,
        removed_second_factor_is_back,
        voided: restored.credentials,
    })
}

/// Issue 17: the archive's owner handed the ownership on and was removed after
/// the backup; restored, they get nothing back (not their password, not a
/// reset link) and the superuser can hand the ownership to a user of the
/// tenant. Answers (old owner's password works, a reset link reaches them,
/// the superuser's transfer worked, the restore's answer said so).
pub async fn removed_owner_stays_out(h: &Harness, slug: &str) -> Result<(bool, bool, bool, bool), HarnessError> {
    use tenantry_ports::services::account::ResetRequest;
    let su = h.superuser(&format!("ops@{slug}.example.com")).await?;
    let t = h.signup(slug).await?;
    let heir = format!("heir@{slug}.example.com");
    let (heir_id, _) = h.add_user(&t, &heir, "admin").await?;
    let archive = {
        let scope = h.scope(&su, t.id).await?;
        h.tenantry.backup_tenant(&scope).await.map_err(fail)?.archive
    };
    let owner = h.owner_scope(&t).await?;
    h.tenantry.transfer_ownership(&owner, heir_id).await.map_err(fail)?;
    let heir_scope = h.scope(&h.login(slug, &heir).await?, t.id).await?;
    h.tenantry.remove_user(&heir_scope, t.owner_id).await.map_err(fail)?;
    let who = h.tenantry.authorize_platform(&su).await.map_err(fail)?;
    let restored = h.tenantry.restore_tenant(&who, t.id, &archive, RestoreMode::SameId).await.map_err(fail)?;
    let old_owner_works = h
        .tenantry
        .login(tenantry_ports::services::auth::LoginInput {
            tenant: Some(slug.to_owned()),
            email: t.owner_email.clone(),
            password: secrecy::SecretString::from(crate::harness::PASSWORD),
        })
        .await
        .is_ok();
    h.tenantry
        .request_password_reset(ResetRequest { tenant: slug.into(), email: t.owner_email.clone() })
        .await
        .map_err(fail)?;
    let reset_link_sent = h.mailer.reset_token(&t.owner_email).is_some();
    let transferred = h.tenantry.transfer_ownership(&h.scope(&su, t.id).await?, heir_id).await.is_ok();
    Ok((old_owner_works, reset_link_sent, transferred, restored.credentials.owner_removed_since))
}

/// The owner's scope after a restore ended the owner's sessions: a new login.
async fn owner_scope_again(h: &Harness, t: &TestTenant) -> Result<tenantry_ports::TenantScope, HarnessError> {
    let principal = h.login(&t.slug, &t.owner_email).await?;
    h.scope(&principal, t.id).await
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

//! Authentication, authorisation and the walls as the services enforce them.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed step is a failed test

use chrono::Duration;
use secrecy::SecretString;
use tenantry_domain::{AuditAction, AuditOutcome};
use tenantry_ports::Problem;
use tenantry_ports::services::auth::{AuthorizeError, LoginError, LoginInput};
use tenantry_ports::services::invitations::InviteInput;
use tenantry_ports::services::users::UserPatch;
use tenantry_testkit::Harness;
use tenantry_testkit::harness::PASSWORD;

fn login(slug: Option<&str>, email: &str, password: &str) -> LoginInput {
    LoginInput {
        tenant: slug.map(str::to_owned),
        email: email.to_owned(),
        password: SecretString::from(password.to_owned()),
    }
}

#[tokio::test]
async fn unknown_tenant_unknown_email_and_wrong_password_get_the_same_answer() {
    let h = Harness::new();
    let t = h.signup("acme").await.unwrap();
    let answers = [
        h.tenantry.login(login(Some("nobody"), &t.owner_email, PASSWORD)).await.unwrap_err(),
        h.tenantry.login(login(Some("acme"), "nobody@acme.example.com", PASSWORD)).await.unwrap_err(),
        h.tenantry.login(login(Some("acme"), &t.owner_email, "wrong password!!")).await.unwrap_err(),
        h.tenantry.login(login(Some("acme"), "not an email", PASSWORD)).await.unwrap_err(),
    ];
    for a in &answers {
        assert!(matches!(a, LoginError::InvalidCredentials), "{a:?}");
        assert_eq!(a.to_string(), "invalid credentials");
    }
}

/// DESIGN.md §3 as issue 18 set it: five failures from one address lock the
/// account for that address for fifteen minutes (audited; the holder still logs
/// in from elsewhere, so a stranger cannot keep them out); twenty from all
/// addresses within fifteen minutes lock it everywhere, audited and mailed.
#[tokio::test]
async fn five_failures_lock_an_account_for_their_address_and_twenty_from_anywhere_lock_it_everywhere() {
    use tenantry_ports::services::sessions::ClientInfo;
    let h = Harness::new();
    let t = h.signup("locky").await.unwrap();
    let from =
        |last: u8| ClientInfo { address: Some(std::net::IpAddr::from([198, 51, 100, last])), ..ClientInfo::api() };
    let attempt = |password: &'static str, last: u8| {
        let (tenantry, email) = (h.tenantry.clone(), t.owner_email.clone());
        async move { tenantry.login_from(login(Some("locky"), &email, password), &from(last)).await }
    };
    for _ in 0..5 {
        attempt("wrong password!!", 1).await.unwrap_err();
    }
    assert_eq!(h.mailer.count(&t.owner_email, "account_locked"), 0, "a lock for one address is not mailed");
    // Even the right password is refused from that address, with the same answer...
    let err = attempt(PASSWORD, 1).await.unwrap_err();
    assert!(matches!(err, LoginError::InvalidCredentials));
    // ...and works from another.
    assert!(attempt(PASSWORD, 2).await.is_ok(), "the holder logs in from elsewhere");
    h.clock.advance(Duration::minutes(14));
    assert!(attempt(PASSWORD, 1).await.is_err());
    h.clock.advance(Duration::minutes(1));
    assert!(attempt(PASSWORD, 1).await.is_ok(), "the address's lock ends after 15 minutes");

    // Twenty failures from twenty addresses (none of them locked on its own) lock it everywhere.
    for i in 0..20 {
        attempt("wrong password!!", 10 + i).await.unwrap_err();
    }
    assert_eq!(h.mailer.count(&t.owner_email, "account_locked"), 1, "a lock everywhere is mailed");
    assert!(attempt(PASSWORD, 99).await.is_err(), "locked for every address");
    h.clock.advance(Duration::minutes(15));
    assert!(attempt(PASSWORD, 99).await.is_ok());

    let owner = h.owner_scope(&t).await.unwrap();
    let audit = h.tenantry.audit_events(&owner, Default::default()).await.unwrap();
    let failed = audit.events.iter().filter(|e| e.action == AuditAction::LoginFailed).count();
    assert_eq!(failed, 5 + 2 + 20 + 1, "every failure is audited");
    let locks: Vec<&str> = audit
        .events
        .iter()
        .filter(|e| e.action == AuditAction::AccountLocked)
        .filter_map(|e| e.details.get("for").map(String::as_str))
        .collect();
    assert_eq!(locks, vec!["all_addresses", "one_address"], "both locks audited (newest first)");
}

#[tokio::test]
async fn a_token_of_tenant_a_on_tenant_b_is_not_found_and_audited_in_a_and_the_platform_log() {
    let h = Harness::new();
    let a = h.signup("alpha").await.unwrap();
    let b = h.signup("beta").await.unwrap();
    let err = h.tenantry.authorize(&a.owner, b.id).await.unwrap_err();
    assert!(matches!(err, AuthorizeError::NotFound));
    assert_eq!(err.code(), "not_found");
    let missing = tenantry_domain::TenantId::parse("01936b2e-0000-7000-8000-00000000dead").unwrap();
    let err_missing = h.tenantry.authorize(&a.owner, missing).await.unwrap_err();
    assert_eq!(err.to_string(), err_missing.to_string(), "no existence oracle");
    let owner_a = h.owner_scope(&a).await.unwrap();
    let audit = h.tenantry.audit_events(&owner_a, Default::default()).await.unwrap();
    let attempt = audit.events.iter().find(|e| e.action == AuditAction::CrossTenantAttempt).unwrap();
    assert_eq!(attempt.outcome, AuditOutcome::Denied);
    let owner_b = h.owner_scope(&b).await.unwrap();
    let audit_b = h.tenantry.audit_events(&owner_b, Default::default()).await.unwrap();
    assert!(audit_b.events.iter().all(|e| e.action != AuditAction::CrossTenantAttempt), "nothing is written to B");
    let su = h.superuser("ops@platform.example.com").await.unwrap();
    let platform = h.tenantry.authorize_platform(&su).await.unwrap();
    let log = h.tenantry.platform_audit(&platform, None, Default::default(), None).await.unwrap();
    assert!(log.events.iter().filter(|e| e.action == AuditAction::CrossTenantAttempt).count() >= 2);
}

#[tokio::test]
async fn a_deactivated_user_or_a_changed_role_invalidates_older_tokens() {
    let h = Harness::new();
    let t = h.signup("tokens").await.unwrap();
    let (ann_id, ann) = h.add_user(&t, "ann@tokens.example.com", "admin").await.unwrap();
    assert!(h.tenantry.authorize(&ann, t.id).await.is_ok());
    let owner = h.owner_scope(&t).await.unwrap();
    h.tenantry.change_role(&owner, ann_id, "viewer").await.unwrap();
    assert!(matches!(h.tenantry.authorize(&ann, t.id).await, Err(AuthorizeError::Unauthenticated)));
    let ann = h.login("tokens", "ann@tokens.example.com").await.unwrap();
    let scope = h.tenantry.authorize(&ann, t.id).await.unwrap();
    // the new token carries the new role's permissions
    let err = h
        .tenantry
        .invite(&scope, InviteInput { email: "x@example.com".into(), role: "member".into() })
        .await
        .unwrap_err();
    assert_eq!(err.code(), "forbidden");
    h.tenantry.deactivate_user(&owner, ann_id).await.unwrap();
    assert!(matches!(h.tenantry.authorize(&ann, t.id).await, Err(AuthorizeError::Unauthenticated)));
    assert!(h.login("tokens", "ann@tokens.example.com").await.is_err());
}

#[tokio::test]
async fn a_refusal_for_a_missing_permission_is_audited_and_changes_nothing_else() {
    let h = Harness::new();
    let t = h.signup("perm").await.unwrap();
    let (_, viewer) = h.add_user(&t, "vic@perm.example.com", "viewer").await.unwrap();
    let scope = h.scope(&viewer, t.id).await.unwrap();
    let before = h.tenantry.list_users(&scope).await.unwrap();
    let err = h
        .tenantry
        .invite(&scope, InviteInput { email: "x@example.com".into(), role: "member".into() })
        .await
        .unwrap_err();
    assert_eq!(err.code(), "forbidden");
    assert!(err.to_string().contains("invitations:manage"));
    assert_eq!(h.tenantry.list_users(&scope).await.unwrap(), before);
    let owner = h.owner_scope(&t).await.unwrap();
    assert!(h.tenantry.list_invitations(&owner, true).await.unwrap().iter().all(|i| i.email != "x@example.com"));
    let audit = h.tenantry.audit_events(&owner, Default::default()).await.unwrap();
    assert!(audit.events.iter().any(|e| e.action == AuditAction::AccessDenied
        && e.details.get("reason").map(String::as_str) == Some("invitations:manage")));
}

#[tokio::test]
async fn the_owner_can_be_neither_deactivated_removed_nor_demoted_but_ownership_moves() {
    let h = Harness::new();
    let t = h.signup("owners").await.unwrap();
    let (ann_id, ann) = h.add_user(&t, "ann@owners.example.com", "admin").await.unwrap();
    let ann_scope = h.scope(&ann, t.id).await.unwrap();
    for err in [
        h.tenantry.deactivate_user(&ann_scope, t.owner_id).await.unwrap_err(),
        h.tenantry.change_role(&ann_scope, t.owner_id, "member").await.unwrap_err(),
        h.tenantry.remove_user(&ann_scope, t.owner_id).await.unwrap_err(),
    ] {
        assert_eq!(err.code(), "owner_protected", "{err}");
    }
    // the admin cannot transfer ownership; the owner can
    assert_eq!(h.tenantry.transfer_ownership(&ann_scope, ann_id).await.unwrap_err().code(), "forbidden");
    let owner = h.owner_scope(&t).await.unwrap();
    h.tenantry.transfer_ownership(&owner, ann_id).await.unwrap();
    let users = h
        .tenantry
        .list_users(&h.scope(&h.login("owners", "ann@owners.example.com").await.unwrap(), t.id).await.unwrap())
        .await
        .unwrap();
    let roles: Vec<(String, String)> = users.iter().map(|u| (u.email.clone(), u.role.to_string())).collect();
    assert!(roles.contains(&("ann@owners.example.com".into(), "owner".into())));
    assert!(roles.contains(&(t.owner_email.clone(), "admin".into())));
}

#[tokio::test]
async fn the_superuser_logs_in_without_a_tenant_and_acts_inside_one_audited() {
    let h = Harness::new();
    let t = h.signup("managed").await.unwrap();
    let su = h.superuser("ops@platform.example.com").await.unwrap();
    let scope = h.tenantry.authorize(&su, t.id).await.unwrap();
    let detail = h.tenantry.admin_tenant_detail(&scope).await.unwrap();
    assert_eq!(detail.tenant.id, t.id);
    let owner = h.owner_scope(&t).await.unwrap();
    let audit = h.tenantry.audit_events(&owner, Default::default()).await.unwrap();
    assert!(audit.events.iter().any(|e| e.action == AuditAction::PlatformAccess));
    // a tenant user cannot reach the platform paths
    assert!(matches!(h.tenantry.authorize_platform(&t.owner).await, Err(AuthorizeError::NotFound)));
    // a tenant scope is not a platform scope
    assert_eq!(h.tenantry.admin_tenant_detail(&owner).await.unwrap_err().code(), "not_found");
}

#[tokio::test]
async fn a_suspended_tenant_cannot_log_in_until_the_suspension_is_lifted() {
    let h = Harness::new();
    let t = h.signup("paused").await.unwrap();
    let su = h.superuser("ops@platform.example.com").await.unwrap();
    let scope = h.tenantry.authorize(&su, t.id).await.unwrap();
    h.tenantry
        .admin_update_tenant(
            &scope,
            tenantry_ports::services::admin::AdminTenantPatch { suspended: Some(true), ..Default::default() },
        )
        .await
        .unwrap();
    let err = h.tenantry.login(login(Some("paused"), &t.owner_email, PASSWORD)).await.unwrap_err();
    assert_eq!(err.code(), "tenant_inactive");
    assert!(matches!(h.tenantry.authorize(&t.owner, t.id).await, Err(AuthorizeError::TenantInactive(_))));
    h.tenantry
        .admin_update_tenant(
            &scope,
            tenantry_ports::services::admin::AdminTenantPatch { suspended: Some(false), ..Default::default() },
        )
        .await
        .unwrap();
    assert!(h.login("paused", &t.owner_email).await.is_ok());
}

#[tokio::test]
async fn deletion_ends_access_now_only_the_owner_can_cancel_and_the_tenant_is_purged_after_thirty_days() {
    let h = Harness::new();
    let t = h.signup("leaving").await.unwrap();
    let (_, ann) = h.add_user(&t, "ann@leaving.example.com", "admin").await.unwrap();
    let ann_scope = h.scope(&ann, t.id).await.unwrap();
    assert_eq!(h.tenantry.request_deletion(&ann_scope).await.unwrap_err().code(), "forbidden");
    let owner = h.owner_scope(&t).await.unwrap();
    // A file, whose bytes go with the purge (issue 27).
    let upload = tenantry_ports::services::files::Upload {
        name: "contract.txt".into(),
        content: tenantry_ports::files::once(&b"the contract"[..]),
    };
    h.tenantry.upload_file(&owner, upload).await.unwrap();
    h.tenantry.request_deletion(&owner).await.unwrap();
    assert!(matches!(h.tenantry.authorize(&ann, t.id).await, Err(AuthorizeError::TenantInactive(_))));
    let owner = h.owner_scope(&t).await.unwrap();
    h.tenantry.cancel_deletion(&owner).await.unwrap();
    assert!(h.tenantry.authorize(&ann, t.id).await.is_ok());
    h.tenantry.request_deletion(&owner).await.unwrap();
    h.advance_days(29).await;
    assert!(
        h.tenantry
            .deps()
            .directory
            .resolve_slug(&tenantry_domain::Slug::parse("leaving").unwrap())
            .await
            .unwrap()
            .is_some()
    );
    h.advance_days(2).await;
    assert!(
        h.tenantry
            .deps()
            .directory
            .resolve_slug(&tenantry_domain::Slug::parse("leaving").unwrap())
            .await
            .unwrap()
            .is_none()
    );
    assert!(matches!(h.tenantry.authorize(&t.owner, t.id).await, Err(AuthorizeError::Unauthenticated)));
    assert!(h.memory.snapshot(t.id).await.users.is_empty(), "every row is gone");
    assert!(h.tenantry.deps().files.list(t.id).await.unwrap().is_empty(), "every file's bytes are gone");
    let _ = UserPatch::default();
}

/// A scope authorised for one request's read (`authorize_to_read`) answers its
/// first read in the unit of work it was authorised in — what another unit of
/// work committed in between is not in it, the next read sees it — and is
/// otherwise a scope like any other: it writes, and a refusal is audited.
#[tokio::test]
async fn a_scope_authorised_to_read_reads_once_in_the_unit_of_work_it_was_authorised_in() {
    use tenantry_ports::services::tenant::SettingsInput;
    let h = Harness::new();
    let t = h.signup("kept").await.unwrap();
    let owner = h.owner_scope(&t).await.unwrap();
    let before = h.tenantry.get_tenant(&owner).await.unwrap().name;
    let reading = h.tenantry.authorize_to_read(&t.owner, t.id).await.unwrap();
    let rename = SettingsInput { name: Some("Kept Renamed".into()), ..Default::default() };
    h.tenantry.update_tenant(&owner, rename).await.unwrap();
    assert_eq!(h.tenantry.get_tenant(&reading).await.unwrap().name, before, "the first read is the authorising one");
    assert_eq!(h.tenantry.get_tenant(&reading).await.unwrap().name, "Kept Renamed", "the next read is a new one");
    let again = SettingsInput { name: Some("Kept Again".into()), ..Default::default() };
    let reading = h.tenantry.authorize_to_read(&t.owner, t.id).await.unwrap();
    h.tenantry.update_tenant(&reading, again).await.unwrap();
    assert_eq!(h.tenantry.get_tenant(&owner).await.unwrap().name, "Kept Again", "a write with it holds");
    let (_, viewer) = h.add_user(&t, "vic@kept.example.com", "viewer").await.unwrap();
    let reading = h.tenantry.authorize_to_read(&viewer, t.id).await.unwrap();
    let refused = h.tenantry.update_tenant(&reading, SettingsInput::default()).await.unwrap_err();
    assert_eq!(refused.code(), "forbidden");
    let audit = h.tenantry.audit_events(&owner, Default::default()).await.unwrap();
    assert!(
        audit.events.iter().any(|e| e.action == AuditAction::AccessDenied
            && e.details.get("attempted").map(String::as_str) == Some("tenant.updated")),
        "the refusal is audited"
    );
}

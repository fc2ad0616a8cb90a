//! TOTP two-factor authentication and the platform's security settings, with
//! a fixed clock: enrolment, the login's second step, single-use codes and
//! recovery codes, the lock after five wrong codes, mandatory 2FA by role,
//! the password policy, and no TOTP secret in a GDPR export; the password
//! that enrolment and removal need; the superuser's mandatory second factor,
//! the superuser's reset of a user's, and the operator's reset of a superuser's.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed step is a failed test

use chrono::Duration;
use secrecy::{ExposeSecret, SecretString};
use tenantry_domain::mfa::{TotpSecret, code_at};
use tenantry_domain::settings::SettingsPatch;
use tenantry_ports::Problem;
use tenantry_ports::services::auth::{LoginInput, SignupInput};
use tenantry_testkit::Harness;
use tenantry_testkit::harness::PASSWORD;

fn login_input(slug: &str, email: &str) -> LoginInput {
    LoginInput { tenant: Some(slug.into()), email: email.into(), password: SecretString::from(PASSWORD) }
}

fn pw() -> SecretString {
    SecretString::from(PASSWORD)
}

fn code(h: &Harness, secret: &TotpSecret) -> String {
    code_at(secret, h.clock_now()).unwrap().expose_secret().to_owned()
}

/// Enrols the user behind `principal`: the secret and the recovery codes.
async fn enrol(h: &Harness, principal: &tenantry_ports::Principal) -> (TotpSecret, Vec<String>) {
    let started = h.tenantry.start_mfa(principal, &pw()).await.unwrap();
    let secret = TotpSecret::from_base32(started.secret.expose_secret()).unwrap();
    assert!(started.otpauth_url.expose_secret().starts_with("otpauth://totp/"));
    // Shown once, and never in a Debug print (so never in a log line that prints one).
    assert!(!format!("{started:?}").contains(started.secret.expose_secret()));
    let codes = h.tenantry.confirm_mfa(principal, &code(h, &secret)).await.unwrap();
    assert!(!format!("{codes:?}").contains(codes.recovery_codes[0].expose_secret()));
    (secret, codes.recovery_codes.iter().map(|c| c.expose_secret().to_owned()).collect())
}

#[tokio::test]
async fn a_login_with_totp_takes_a_second_step_and_each_code_works_once() {
    let h = Harness::new();
    let t = h.signup("twofa").await.unwrap();
    let status = h.tenantry.mfa_status(&t.owner).await.unwrap();
    assert!(!status.enabled && !status.pending && !status.required);
    // A wrong first code does not enable anything.
    h.tenantry.start_mfa(&t.owner, &pw()).await.unwrap();
    assert_eq!(h.tenantry.confirm_mfa(&t.owner, "000000").await.unwrap_err().code(), "wrong_code");
    let (secret, recovery) = enrol(&h, &t.owner).await;
    assert_eq!(recovery.len(), 10);
    let status = h.tenantry.mfa_status(&t.owner).await.unwrap();
    assert!(status.enabled && status.recovery_codes_remaining == 10);

    // The password alone no longer logs in: it answers the second step's principal.
    let first = h.tenantry.login(login_input("twofa", &t.owner_email)).await.unwrap();
    assert!(first.mfa_required && first.user.is_none());
    // The code used to confirm is spent; the next step's code works, once.
    h.clock.advance(Duration::seconds(30));
    let now_code = code(&h, &secret);
    let done = h.tenantry.complete_mfa_login(&first.principal, &now_code).await.unwrap();
    assert!(!done.mfa_required && done.user.is_some());
    assert_eq!(h.tenantry.complete_mfa_login(&first.principal, &now_code).await.unwrap_err().code(), "wrong_mfa_code");
    // A recovery code works once, in any spelling.
    let spelled = recovery[0].to_uppercase().replace('-', " ");
    h.tenantry.complete_mfa_login(&first.principal, &spelled).await.unwrap();
    assert_eq!(
        h.tenantry.complete_mfa_login(&first.principal, &recovery[0]).await.unwrap_err().code(),
        "wrong_mfa_code"
    );
    assert_eq!(h.tenantry.mfa_status(&t.owner).await.unwrap().recovery_codes_remaining, 9);
    // Five wrong codes lock the account, even for the right code afterwards.
    for _ in 0..5 {
        h.tenantry.complete_mfa_login(&first.principal, "123456").await.unwrap_err();
    }
    h.clock.advance(Duration::seconds(30));
    let right = code(&h, &secret);
    assert_eq!(
        h.tenantry.complete_mfa_login(&first.principal, &right).await.unwrap_err().code(),
        "invalid_credentials"
    );
    h.clock.advance(Duration::minutes(15));
    let right = code(&h, &secret);
    h.tenantry.complete_mfa_login(&first.principal, &right).await.unwrap();
    // Turning it off takes a code; then the password alone logs in again.
    h.clock.advance(Duration::seconds(30));
    assert_eq!(h.tenantry.disable_mfa(&t.owner, &pw(), "999999").await.unwrap_err().code(), "wrong_code");
    h.tenantry.disable_mfa(&t.owner, &pw(), &code(&h, &secret)).await.unwrap();
    assert!(!h.tenantry.login(login_input("twofa", &t.owner_email)).await.unwrap().mfa_required);
    // The log tells the story.
    let owner = h.owner_scope(&t).await.unwrap();
    let log = h.tenantry.audit_events(&owner, Default::default()).await.unwrap();
    let actions: Vec<&str> = log.events.iter().map(|e| e.action.as_str()).collect();
    for expected in ["auth.mfa_enabled", "auth.mfa_disabled", "auth.account_locked"] {
        assert!(actions.contains(&expected), "{expected} missing: {actions:?}");
    }
}

#[tokio::test]
async fn mandatory_two_factor_closes_the_tenant_until_the_user_enrols() {
    let h = Harness::new();
    let su = h.superuser("ops@platform.example.com").await.unwrap();
    let who = h.tenantry.authorize_platform(&su).await.unwrap();
    let t = h.signup("strict").await.unwrap();
    let (_, member) = h.add_user(&t, "m@strict.example.com", "member").await.unwrap();
    let patch: SettingsPatch =
        serde_json::from_value(serde_json::json!({"mfa": {"required_roles": ["owner"]}})).unwrap();
    let settings = h.tenantry.update_settings(&who, &patch).await.unwrap();
    assert!(settings.mfa.required_roles.contains(&tenantry_domain::BuiltinRole::Owner));
    // The owner is closed out of the tenant (but may enrol); the member, whose role is not named, is not.
    assert_eq!(h.tenantry.authorize(&t.owner, t.id).await.unwrap_err().code(), "mfa_enrolment_required");
    h.tenantry.authorize(&member, t.id).await.unwrap();
    assert!(h.tenantry.mfa_status(&t.owner).await.unwrap().required);
    let (secret, _) = enrol(&h, &t.owner).await;
    h.tenantry.authorize(&t.owner, t.id).await.unwrap();
    // Required: it cannot be turned off.
    h.clock.advance(Duration::seconds(30));
    assert_eq!(h.tenantry.disable_mfa(&t.owner, &pw(), &code(&h, &secret)).await.unwrap_err().code(), "mfa_required");
    // For everyone.
    let all: SettingsPatch = serde_json::from_value(serde_json::json!({"mfa": {"required_for_all": true}})).unwrap();
    h.tenantry.update_settings(&who, &all).await.unwrap();
    assert_eq!(h.tenantry.authorize(&member, t.id).await.unwrap_err().code(), "mfa_enrolment_required");
}

#[tokio::test]
async fn the_password_policy_is_the_platforms_and_bad_settings_change_nothing() {
    let h = Harness::new();
    let su = h.superuser("ops@platform.example.com").await.unwrap();
    let who = h.tenantry.authorize_platform(&su).await.unwrap();
    let signup = |slug: &str, password: &str| SignupInput {
        company_name: "Co".into(),
        slug: slug.into(),
        email: format!("o@{slug}.example.com"),
        password: SecretString::from(password),
        name: "Owner".into(),
        plan: tenantry_ports::services::auth::SignupPlan::Standard,
        interval: tenantry_domain::Interval::Month,
        promotion_code: None,
        language: None,
    };
    // Defaults: 12 characters, no breached-list check.
    h.tenantry.signup(signup("first", "passwordpassword")).await.unwrap();
    let longer: SettingsPatch =
        serde_json::from_value(serde_json::json!({"password": {"min_chars": 20, "check_breached": true}})).unwrap();
    h.tenantry.update_settings(&who, &longer).await.unwrap();
    assert_eq!(h.tenantry.signup(signup("second", "a-fine-password-16")).await.unwrap_err().code(), "weak_password");
    // Breached: an entry of the shipped list, long enough for the length rule.
    let breached = "12345678900987654321";
    let err = h.tenantry.signup(signup("third", breached)).await.unwrap_err();
    assert!(err.code() == "weak_password" && err.to_string().contains("breached"), "{err}");
    h.tenantry.signup(signup("fourth", "correct horse battery staple")).await.unwrap();
    // Out of range: refused as a whole, nothing changed.
    let before = h.tenantry.admin_settings(&who).await.unwrap();
    let bad: SettingsPatch =
        serde_json::from_value(serde_json::json!({"password": {"min_chars": 4}, "mfa": {"required_for_all": true}}))
            .unwrap();
    assert_eq!(h.tenantry.update_settings(&who, &bad).await.unwrap_err().code(), "invalid_settings");
    assert_eq!(h.tenantry.admin_settings(&who).await.unwrap(), before);
}

#[tokio::test]
async fn a_gdpr_export_carries_no_totp_secret_nor_recovery_code() {
    let h = Harness::new();
    let t = h.signup("secretive").await.unwrap();
    let (secret, recovery) = enrol(&h, &t.owner).await;
    let owner = h.owner_scope(&t).await.unwrap();
    let export = h.tenantry.request_export(&owner).await.unwrap().export;
    h.tenantry.run_due_jobs(10).await.unwrap();
    let archive = h.tenantry.download_export(&owner, export.id).await.unwrap();
    let text = String::from_utf8(archive.read_all().await.unwrap()).unwrap().to_lowercase();
    assert!(text.replace([' ', '\n'], "").contains("\"mfa_enabled\":true"), "the export says 2FA is on");
    let base32 = secret.to_base32().expose_secret().to_lowercase();
    assert!(!text.contains(&base32), "the TOTP secret is in the export");
    for code in recovery {
        assert!(!text.contains(&code), "a recovery code is in the export");
    }
}

#[tokio::test]
async fn enrolling_and_removing_take_the_password_and_wrong_ones_lock_the_account() {
    let h = Harness::new();
    let t = h.signup("careful").await.unwrap();
    let wrong = SecretString::from("not the password at all");
    assert_eq!(h.tenantry.start_mfa(&t.owner, &wrong).await.unwrap_err().code(), "wrong_password");
    assert!(!h.tenantry.mfa_status(&t.owner).await.unwrap().pending, "nothing started");
    let (secret, _) = enrol(&h, &t.owner).await;
    h.clock.advance(Duration::seconds(30));
    assert_eq!(
        h.tenantry.disable_mfa(&t.owner, &wrong, &code(&h, &secret)).await.unwrap_err().code(),
        "wrong_password"
    );
    assert!(h.tenantry.mfa_status(&t.owner).await.unwrap().enabled, "still on");
    // Wrong passwords and codes here count as failed logins: five lock the account.
    for _ in 0..2 {
        h.tenantry.start_mfa(&t.owner, &wrong).await.unwrap_err();
        h.tenantry.renew_recovery_codes(&t.owner, "000000").await.unwrap_err();
    }
    let locked = h.tenantry.login(login_input("careful", &t.owner_email)).await.unwrap_err();
    assert_eq!(locked.code(), "invalid_credentials", "locked after 1 + 4 failures");
    // Locked like any five failures from one client (DESIGN.md §3): audited, and
    // mailed only when failures from everywhere lock it everywhere.
    let owner = h.owner_scope(&t).await.unwrap();
    let log = h.tenantry.audit_events(&owner, Default::default()).await.unwrap();
    assert!(log.events.iter().any(|e| e.action.as_str() == "auth.account_locked"
        && e.details.get("for").map(String::as_str) == Some("one_address")));
}

#[tokio::test]
async fn a_superuser_without_a_second_factor_can_only_enrol_when_it_is_mandatory() {
    use tenantry_ports::services::auth::NewSuperuser;
    let h = Harness::builder().superuser_mfa(true).build();
    let t = h.signup("acme").await.unwrap();
    // Created without one (as `tenantry create-superuser` without --totp-secret-file does).
    let input = NewSuperuser {
        email: "new@platform.example.com".into(),
        name: "New".into(),
        password: pw(),
        totp_secret: None,
    };
    h.tenantry.create_superuser(h.operator.as_ref(), input).await.unwrap();
    let first =
        h.tenantry.login(LoginInput { tenant: None, ..login_input("", "new@platform.example.com") }).await.unwrap();
    assert!(!first.mfa_required, "nothing to ask yet");
    let su = first.principal;
    assert_eq!(h.tenantry.authorize_platform(&su).await.unwrap_err().code(), "mfa_enrolment_required");
    assert_eq!(h.tenantry.authorize(&su, t.id).await.unwrap_err().code(), "mfa_enrolment_required");
    // Its own account still works: status, sessions, enrolment.
    assert!(h.tenantry.mfa_status(&su).await.unwrap().required);
    assert_eq!(h.tenantry.sessions(&su).await.unwrap().len(), 1);
    let (secret, recovery) = enrol(&h, &su).await;
    h.tenantry.authorize_platform(&su).await.unwrap();
    h.tenantry.authorize(&su, t.id).await.unwrap();
    // From now on the password alone is not enough, and each code works once.
    h.clock.advance(Duration::seconds(30));
    let next =
        h.tenantry.login(LoginInput { tenant: None, ..login_input("", "new@platform.example.com") }).await.unwrap();
    assert!(next.mfa_required);
    assert_eq!(h.tenantry.authorize_platform(&next.principal).await.unwrap_err().code(), "unauthenticated");
    let c = code(&h, &secret);
    let done = h.tenantry.complete_mfa_login(&next.principal, &c).await.unwrap();
    h.tenantry.authorize_platform(&done.principal).await.unwrap();
    assert_eq!(h.tenantry.complete_mfa_login(&next.principal, &c).await.unwrap_err().code(), "wrong_mfa_code");
    h.tenantry.complete_mfa_login(&next.principal, &recovery[0]).await.unwrap();
    assert_eq!(
        h.tenantry.complete_mfa_login(&next.principal, &recovery[0]).await.unwrap_err().code(),
        "wrong_mfa_code"
    );
    // Only the operator removes it.
    h.clock.advance(Duration::seconds(30));
    assert_eq!(
        h.tenantry.disable_mfa(&done.principal, &pw(), &code(&h, &secret)).await.unwrap_err().code(),
        "mfa_required"
    );
    assert!(h.tenantry.reset_superuser_mfa(h.operator.as_ref(), "new@platform.example.com").await.unwrap());
    assert_eq!(h.tenantry.authorize_platform(&done.principal).await.unwrap_err().code(), "unauthenticated");
    let again =
        h.tenantry.login(LoginInput { tenant: None, ..login_input("", "new@platform.example.com") }).await.unwrap();
    assert!(!again.mfa_required);
    assert_eq!(h.tenantry.authorize_platform(&again.principal).await.unwrap_err().code(), "mfa_enrolment_required");
    // The platform log tells the story.
    let ops = h.superuser("ops@platform.example.com").await.unwrap();
    let who = h.tenantry.authorize_platform(&ops).await.unwrap();
    let log = h.tenantry.platform_audit(&who, None, Default::default(), None).await.unwrap();
    let actions: Vec<&str> = log.events.iter().map(|e| e.action.as_str()).collect();
    for expected in ["auth.mfa_enabled", "auth.mfa_reset", "auth.login_failed"] {
        assert!(actions.contains(&expected), "{expected} missing: {actions:?}");
    }
}

#[tokio::test]
async fn the_superuser_resets_a_users_second_factor_audited_and_the_users_sessions_end() {
    let h = Harness::new();
    let t = h.signup("lost").await.unwrap();
    enrol(&h, &t.owner).await;
    let su = h.superuser("ops@platform.example.com").await.unwrap();
    let scope = h.tenantry.authorize(&su, t.id).await.unwrap();
    h.tenantry.reset_user_mfa(&scope, t.owner_id).await.unwrap();
    assert_eq!(h.tenantry.reset_user_mfa(&scope, t.owner_id).await.unwrap_err().code(), "mfa_not_enabled");
    assert_eq!(h.tenantry.authorize(&t.owner, t.id).await.unwrap_err().code(), "unauthenticated", "sessions ended");
    let done = h.tenantry.login(login_input("lost", &t.owner_email)).await.unwrap();
    assert!(!done.mfa_required, "the password alone logs in again");
    // Not for the tenant's own admins, and never another tenant's user.
    let owner = h.owner_scope(&t).await.unwrap();
    assert_eq!(h.tenantry.reset_user_mfa(&owner, t.owner_id).await.unwrap_err().code(), "not_found");
    let other = h.signup("other").await.unwrap();
    assert_eq!(h.tenantry.reset_user_mfa(&scope, other.owner_id).await.unwrap_err().code(), "not_found");
    let log = h.tenantry.audit_events(&owner, Default::default()).await.unwrap();
    assert!(log.events.iter().any(|e| e.action.as_str() == "auth.mfa_reset"));
}

/// A browser session due for its once-a-minute "last used" touch opens the
/// two-factor pages (which work in a write unit of work of the tenant): the
/// touch is saved in that unit of work, not in a second writer of the same
/// tenant, which would wait for the first for ever.
#[tokio::test]
async fn a_browser_session_due_for_its_touch_opens_the_two_factor_pages() {
    use tenantry_domain::session::SessionKind;
    use tenantry_ports::services::sessions::ClientInfo;
    let h = Harness::new();
    let t = h.signup("touchy").await.unwrap();
    let browser = ClientInfo { kind: SessionKind::Web, user_agent: Some("Firefox".into()), address: None };
    let done = h.tenantry.login_from(login_input("touchy", &t.owner_email), &browser).await.unwrap();
    h.clock.advance(Duration::minutes(2));
    let status = tokio::time::timeout(std::time::Duration::from_secs(10), h.tenantry.mfa_status(&done.principal))
        .await
        .expect("the two-factor status waited for itself");
    assert!(status.is_ok(), "{status:?}");
    let sessions = h.tenantry.sessions(&done.principal).await.unwrap();
    let current = sessions.iter().find(|s| s.current).unwrap();
    assert!(current.last_used_at > current.created_at, "the session's last use moved on: {current:?}");
}

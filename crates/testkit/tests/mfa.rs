//! TOTP two-factor authentication and the platform's security settings, with
//! a fixed clock: enrolment, the login's second step, single-use codes and
//! recovery codes, the lock after five wrong codes, mandatory 2FA by role,
//! the password policy, and no TOTP secret in a GDPR export.

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

fn code(h: &Harness, secret: &TotpSecret) -> String {
    code_at(secret, h.clock_now()).unwrap().expose_secret().to_owned()
}

/// Enrols the user behind `principal`: the secret and the recovery codes.
async fn enrol(h: &Harness, principal: &tenantry_ports::Principal) -> (TotpSecret, Vec<String>) {
    let started = h.tenantry.start_mfa(principal).await.unwrap();
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
    h.tenantry.start_mfa(&t.owner).await.unwrap();
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
    assert_eq!(h.tenantry.disable_mfa(&t.owner, "999999").await.unwrap_err().code(), "wrong_code");
    h.tenantry.disable_mfa(&t.owner, &code(&h, &secret)).await.unwrap();
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
    assert_eq!(h.tenantry.disable_mfa(&t.owner, &code(&h, &secret)).await.unwrap_err().code(), "mfa_required");
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
    let text = String::from_utf8(archive.bytes).unwrap().to_lowercase();
    assert!(text.replace([' ', '\n'], "").contains("\"mfa_enabled\":true"), "the export says 2FA is on");
    let base32 = secret.to_base32().expose_secret().to_lowercase();
    assert!(!text.contains(&base32), "the TOTP secret is in the export");
    for code in recovery {
        assert!(!text.contains(&code), "a recovery code is in the export");
    }
}

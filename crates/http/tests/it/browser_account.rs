#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed step is a failed test
//! The account flows in a real browser (issue 24), each as a person would
//! go through it: signup → payment method → verify → invite → the invitee
//! joins, with the keyboard only up to the upgrade; forgot → reset → login;
//! two-factor made mandatory for admins → enrolment (the code computed from
//! the key the page shows) → logout → login with a code → with a recovery
//! code; an address change; one browser ending the other's session; and
//! finding one's workspaces. Screenshots go to `target/screenshots/`.

use crate::browser::{browser, click, count, driver, fill, login, logout, path, shot, text, unlabelled};
use crate::support;

use fantoccini::{Client, Locator};
use secrecy::ExposeSecret;
use tenantry_domain::settings::PaymentMethodAtSignup;
use tenantry_testkit::Harness;
use tenantry_testkit::harness::PASSWORD;

const TAB: &str = "\u{e004}";
const ENTER: &str = "\u{e007}";

/// Presses Tab until the element `css` has the focus (at most 80 times):
/// the keyboard reaches it in the page's order.
async fn tab_to(c: &Client, css: &str) {
    for _ in 0..80 {
        let here = c
            .execute("return document.activeElement.matches(arguments[0]);", vec![serde_json::json!(css)])
            .await
            .unwrap();
        if here.as_bool() == Some(true) {
            return;
        }
        c.active_element().await.unwrap().send_keys(TAB).await.unwrap();
    }
    panic!("{css}: Tab never reaches it");
}

/// Tabs to the field and types into it.
async fn type_into(c: &Client, css: &str, text: &str) {
    tab_to(c, css).await;
    c.active_element().await.unwrap().send_keys(text).await.unwrap();
}

/// Tabs to the button and presses Enter; waits for the next page.
async fn press(c: &Client, css: &str) {
    tab_to(c, css).await;
    let page = c.find(Locator::Css("html")).await.unwrap();
    c.active_element().await.unwrap().send_keys(ENTER).await.unwrap();
    for _ in 0..200 {
        if page.tag_name().await.is_err() {
            for _ in 0..100 {
                let state = c.execute("return document.readyState", vec![]).await;
                if state.ok().and_then(|v| v.as_str().map(str::to_owned)).as_deref() == Some("complete") {
                    return;
                }
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("{css}: Enter led to no new page");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_company_signs_up_adds_a_card_verifies_invites_and_upgrades_with_the_keyboard_only() {
    let test = "a_new_company_signs_up_adds_a_card_verifies_invites_and_upgrades_with_the_keyboard_only";
    let Some(driver) = driver(test) else { return };
    let h = Harness::builder().payment_method_at_signup(PaymentMethodAtSignup::Required).build();
    let base = support::serve(support::state_for(&h)).await;
    let c = browser(&driver).await;

    // Signup, from the login page, with the keyboard only.
    c.goto(&format!("{base}/signup")).await.unwrap();
    type_into(&c, "#company_name", "Umbrella BV").await;
    type_into(&c, "#slug", "umbrella").await;
    type_into(&c, "#name", "Una Owner").await;
    type_into(&c, "#email", "una@umbrella.example.com").await;
    type_into(&c, "#password", PASSWORD).await;
    shot(&c, "signup").await;
    press(&c, "#create-workspace").await;
    // The payment method first (the platform asks for one at signup): the provider's page.
    assert!(path(&c).await.starts_with("/billing/simulator/checkout/"), "{}", path(&c).await);
    press(&c, "button[value='succeeds']").await;
    assert_eq!(path(&c).await, "/app/umbrella?welcome=1");
    assert!(text(&c, "body").await.contains("Getting started"), "the getting-started page");
    assert!(text(&c, ".verify-notice").await.contains("Confirm your address"), "{}", text(&c, ".verify-notice").await);
    shot(&c, "getting-started").await;

    // The mailed link confirms the address; the banner goes.
    let token = h.mailer.verification_token("una@umbrella.example.com").expect("the verification was mailed");
    c.goto(&format!("{base}/verify?token={}", token.expose_secret())).await.unwrap();
    press(&c, "#confirm-address").await;
    assert!(text(&c, "#verified").await.contains("Thank you"));
    c.goto(&format!("{base}/app/umbrella")).await.unwrap();
    assert_eq!(count(&c, ".verify-notice").await, 0, "verified: no banner");

    // Invite a colleague, with the keyboard only.
    c.goto(&format!("{base}/app/umbrella/settings/users")).await.unwrap();
    type_into(&c, "#invite-email", "vic@umbrella.example.com").await;
    press(&c, "#invite").await;
    assert!(text(&c, "[role=status]").await.contains("vic@umbrella.example.com"));

    // Upgrade: the trial to the paid plan now, with the keyboard only.
    c.goto(&format!("{base}/app/umbrella/settings")).await.unwrap();
    press(&c, "form[action='/app/umbrella/settings/plan'] input[value='standard-month'] + button").await;
    assert_eq!(path(&c).await, "/app/umbrella/settings?done=plan");
    assert_eq!(text(&c, "#plan").await, "Standard, monthly");
    logout(&c).await;

    // The invitee joins from the mailed link.
    let invitation = h.mailer.invitation_token("vic@umbrella.example.com").expect("the invitation was mailed");
    c.goto(&format!("{base}/invitations/accept?token={}", invitation.expose_secret())).await.unwrap();
    fill(&c, "#name", "Vic Member").await;
    fill(&c, "#password", PASSWORD).await;
    click(&c, "#accept").await;
    assert_eq!(path(&c).await, "/app/umbrella");
    assert!(text(&c, "#signed-in").await.contains("Vic Member"));
    c.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forgotten_password_is_reset_from_the_mailed_link_and_a_forgotten_workspace_is_mailed() {
    let test = "a_forgotten_password_is_reset_from_the_mailed_link_and_a_forgotten_workspace_is_mailed";
    let Some(driver) = driver(test) else { return };
    let h = Harness::new();
    let t = h.signup("acme").await.unwrap();
    // Only a proven address is named by /find-workspace: the owner confirmed theirs.
    let proof = h.mailer.verification_token(&t.owner_email).unwrap();
    h.tenantry.verify_email(&proof).await.unwrap();
    let base = support::serve(support::state_for(&h)).await;
    let c = browser(&driver).await;

    c.goto(&format!("{base}/login")).await.unwrap();
    click(&c, "#forgot").await;
    assert_eq!(path(&c).await, "/forgot");
    fill(&c, "#tenant", "acme").await;
    fill(&c, "#email", &t.owner_email).await;
    click(&c, "#send-link").await;
    assert!(text(&c, "#sent").await.contains("If this workspace has an account"));
    let token = h.mailer.reset_token(&t.owner_email).expect("the link was mailed");
    c.goto(&format!("{base}/reset?token={}", token.expose_secret())).await.unwrap();
    // Too short: refused, the summary leads to the field.
    fill(&c, "#password", "short").await;
    c.execute("document.getElementById('password').removeAttribute('minlength')", vec![]).await.unwrap();
    click(&c, "#set-password").await;
    assert_eq!(
        c.find(Locator::Css(".error-summary a")).await.unwrap().attr("href").await.unwrap().as_deref(),
        Some("#password")
    );
    fill(&c, "#password", "a brand new passphrase 9").await;
    click(&c, "#set-password").await;
    click(&c, "main a.button").await;
    assert_eq!(path(&c).await, "/login");
    fill(&c, "#tenant", "acme").await;
    fill(&c, "#email", &t.owner_email).await;
    fill(&c, "#password", "a brand new passphrase 9").await;
    click(&c, "form.card button[type=submit]").await;
    assert_eq!(path(&c).await, "/app/acme", "the new password opens the workspace");
    logout(&c).await;

    // Which workspace was it? The mail's link fills it in.
    click(&c, "#find-workspace").await;
    assert_eq!(path(&c).await, "/find-workspace");
    assert_eq!(unlabelled(&c).await, Vec::<String>::new());
    fill(&c, "#email", &t.owner_email).await;
    click(&c, "#find").await;
    assert!(text(&c, "#sent").await.contains("a mail for each one"));
    shot(&c, "find-workspace").await;
    let mut mail = None;
    for _ in 0..1000 {
        mail = h.mailer.sent_to(&t.owner_email).into_iter().find(|m| m.message.template() == "workspace_reminder");
        if mail.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let links = tenantry_mail::Links { public_url: Some(base.clone()) };
    let rendered = tenantry_mail::render(&mail.expect("the workspace was mailed"), &links);
    let link = rendered.text.split_whitespace().find(|w| w.contains("/login?tenant=")).unwrap().to_owned();
    c.goto(&link).await.unwrap();
    assert_eq!(
        c.find(Locator::Css("#tenant")).await.unwrap().prop("value").await.unwrap().as_deref(),
        Some("acme"),
        "the workspace is filled in"
    );
    c.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_must_enrol_in_two_factor_then_logs_in_with_a_code_and_with_a_recovery_code() {
    use tenantry_domain::mfa::{TotpSecret, code_at};
    use tenantry_domain::settings::{MfaPolicyPatch, SettingsPatch};
    let test = "an_admin_must_enrol_in_two_factor_then_logs_in_with_a_code_and_with_a_recovery_code";
    let Some(driver) = driver(test) else { return };
    let h = Harness::new();
    let t = h.signup("acme").await.unwrap();
    h.add_user(&t, "ada@acme.example.com", "admin").await.unwrap();
    let su = h.superuser("ops@platform.example.com").await.unwrap();
    let who = h.tenantry.authorize_platform(&su).await.unwrap();
    let patch = SettingsPatch {
        mfa: Some(MfaPolicyPatch {
            required_for_all: Some(false),
            required_roles: Some([tenantry_domain::BuiltinRole::Admin].into_iter().collect()),
        }),
        ..SettingsPatch::default()
    };
    h.tenantry.update_settings(&who, &patch).await.unwrap();
    let base = support::serve(support::state_for(&h)).await;
    let c = browser(&driver).await;

    login(&c, &base, "acme", "ada@acme.example.com").await;
    assert_eq!(path(&c).await, "/account/mfa", "an admin is taken to the enrolment");
    c.goto(&format!("{base}/app/acme/settings/users")).await.unwrap();
    assert_eq!(path(&c).await, "/account/mfa", "and can do nothing else until done");
    fill(&c, "#start-password", PASSWORD).await;
    click(&c, "form[action='/account/mfa/start'] button").await;
    assert_eq!(count(&c, "figure.qr svg").await, 1);
    let key = text(&c, "#totp-secret").await.replace(' ', "");
    let secret = TotpSecret::from_base32(&key).unwrap();
    let code = code_at(&secret, h.clock_now()).unwrap();
    fill(&c, "#confirm-code", code.expose_secret()).await;
    click(&c, "form[action='/account/mfa/confirm'] button").await;
    let codes: Vec<String> = {
        let items = c.find_all(Locator::Css("#recovery-codes li")).await.unwrap();
        let mut out = Vec::new();
        for item in items {
            out.push(item.text().await.unwrap());
        }
        out
    };
    assert_eq!(codes.len(), 10, "ten recovery codes, shown once");
    c.goto(&format!("{base}/app/acme/settings/users")).await.unwrap();
    assert_eq!(path(&c).await, "/app/acme/settings/users", "enrolled: the workspace opens");
    logout(&c).await;

    // With a code from the app (the next 30-second step: a code works once).
    h.clock.advance(chrono::Duration::seconds(30));
    login(&c, &base, "acme", "ada@acme.example.com").await;
    assert!(path(&c).await.starts_with("/login"), "a second step: {}", path(&c).await);
    fill(&c, "#code", code_at(&secret, h.clock_now()).unwrap().expose_secret()).await;
    click(&c, "form[action='/login/mfa'] button").await;
    assert_eq!(path(&c).await, "/app/acme");
    logout(&c).await;

    // With a recovery code (the phone is lost).
    login(&c, &base, "acme", "ada@acme.example.com").await;
    fill(&c, "#code", &codes[0]).await;
    click(&c, "form[action='/login/mfa'] button").await;
    assert_eq!(path(&c).await, "/app/acme", "a recovery code opens it once");
    logout(&c).await;
    login(&c, &base, "acme", "ada@acme.example.com").await;
    fill(&c, "#code", &codes[0]).await;
    click(&c, "form[action='/login/mfa'] button").await;
    assert!(text(&c, "[role=alert]").await.contains("used already"), "a used recovery code is refused");
    c.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_address_changes_by_the_link_and_one_browser_ends_the_others_session() {
    let test = "an_address_changes_by_the_link_and_one_browser_ends_the_others_session";
    let Some(driver) = driver(test) else { return };
    let h = Harness::new();
    let t = h.signup("acme").await.unwrap();
    let base = support::serve(support::state_for(&h)).await;
    let here = browser(&driver).await;
    let there = browser(&driver).await;
    login(&there, &base, "acme", &t.owner_email).await;
    assert_eq!(path(&there).await, "/app/acme");
    login(&here, &base, "acme", &t.owner_email).await;

    // The address: a link to the new one, the old one told.
    here.goto(&format!("{base}/app/acme/profile")).await.unwrap();
    fill(&here, "#new_email", "olive@new.example.com").await;
    fill(&here, "#email_password", PASSWORD).await;
    click(&here, "#change-email").await;
    assert!(text(&here, "[role=status]").await.contains("A link is on its way"));
    shot(&here, "profile").await;
    assert_eq!(h.mailer.count(&t.owner_email, "email_change_requested"), 1);
    let token = h.mailer.email_change_token("olive@new.example.com").unwrap();
    here.goto(&format!("{base}/email-change?token={}", token.expose_secret())).await.unwrap();
    click(&here, "#confirm-email-change").await;
    assert!(text(&here, "#email-changed").await.contains("Sign in with the new address"));
    here.goto(&format!("{base}/app/acme/profile")).await.unwrap();
    assert_eq!(text(&here, "#email").await, "olive@new.example.com");

    // The sessions page lists both browsers (and the signup's API session); ending the other
    // browser's signs it out at once.
    here.goto(&format!("{base}/account/sessions")).await.unwrap();
    assert_eq!(count(&here, "#sessions tbody tr").await, 3);
    let other = here
        .execute(
            "return Array.from(document.querySelectorAll('#sessions tbody tr'))\
                .find(r => r.cells[0].textContent.startsWith('web') && !r.textContent.includes('(this one)')).id;",
            vec![],
        )
        .await
        .unwrap();
    let other = other.as_str().unwrap().to_owned();
    click(&here, &format!("#{other} button")).await;
    assert_eq!(count(&here, "#sessions tbody tr").await, 2);
    there.goto(&format!("{base}/app/acme/settings")).await.unwrap();
    assert_eq!(path(&there).await, "/login", "the other browser's session ended");
    here.goto(&format!("{base}/app/acme")).await.unwrap();
    assert_eq!(path(&here).await, "/app/acme", "this one holds");
    here.close().await.unwrap();
    there.close().await.unwrap();
}

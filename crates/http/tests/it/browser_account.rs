#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed step is a failed test
//! The account flows in a real browser (issue 24), each as a person would
//! go through it: signup → payment method → verify → invite → the invitee
//! joins, with the keyboard only up to the upgrade; forgot → reset → login;
//! two-factor made mandatory for admins → enrolment (the code computed from
//! the key the page shows) → logout → login with a code → with a recovery
//! code; an address change; one browser ending the other's session; and
//! finding one's workspaces. Screenshots go to `target/screenshots/`.
//!
//! Each journey runs twice (issue 25): in Dutch, chosen by the browser's
//! `Accept-Language: nl`; and in English, chosen by the users' own setting
//! against a workspace whose default is Dutch (the journey that signs up
//! creates its workspace in the browser's language). The assertions read the
//! expected texts from the catalogue in the run's language.

use crate::browser::{browser_in, click, count, driver, fill, login, logout, path, shot, text, unlabelled};
use crate::support;

use fantoccini::{Client, Locator};
use secrecy::ExposeSecret;
use tenantry_domain::settings::PaymentMethodAtSignup;
use tenantry_testkit::Harness;
use tenantry_testkit::harness::PASSWORD;

/// One run of a journey: the language it is read in, and what chose it.
#[derive(Clone, Copy, Debug)]
enum Run {
    /// Dutch, by the browser's `Accept-Language`.
    Dutch,
    /// English, by the users' own setting (the workspace's default is Dutch).
    English,
}

impl Run {
    fn language(self) -> tenantry_i18n::Language {
        match self {
            Run::Dutch => tenantry_i18n::Language::Nl,
            Run::English => tenantry_i18n::Language::En,
        }
    }

    /// What the browser asks for.
    fn accept(self) -> &'static str {
        match self {
            Run::Dutch => "nl",
            Run::English => "en-US",
        }
    }

    /// A catalogue message in the run's language.
    fn said(self, id: &str) -> String {
        tenantry_i18n::Locale::new(self.language(), tenantry_i18n::TimeZone::utc()).text(id)
    }

    /// A message with arguments in the run's language.
    fn said_with(self, id: &str, args: &[(&str, tenantry_i18n::Arg<'_>)]) -> String {
        tenantry_i18n::Locale::new(self.language(), tenantry_i18n::TimeZone::utc()).text_with(id, args)
    }

    /// A refusal's text as a page shows it: the use case's English, or the
    /// catalogue's sentence for its code.
    fn refusal(self, code: &str, english: &str) -> String {
        match self {
            Run::English => english.to_owned(),
            Run::Dutch => self.said(&format!("problem-{code}")),
        }
    }

    /// A screenshot's name in this run.
    fn shot(self, name: &str) -> String {
        format!("{}-{name}", self.language().tag())
    }

    /// The English run: the workspace reads Dutch by default and each user chose English.
    async fn set_up(self, h: &Harness, t: &tenantry_testkit::harness::TestTenant, users: &[&str]) {
        if let Run::English = self {
            let owner = h.owner_scope(t).await.unwrap();
            let input = tenantry_ports::services::tenant::SettingsInput {
                language: Some(Some("nl".into())),
                ..Default::default()
            };
            h.tenantry.update_tenant(&owner, input).await.unwrap();
            for email in users {
                // The owner acts through the signup's session (a login would add one to the sessions page).
                let scope = if *email == t.owner_email {
                    h.owner_scope(t).await.unwrap()
                } else {
                    let principal = h.login(&t.slug, email).await.unwrap();
                    h.scope(&principal, t.id).await.unwrap()
                };
                let patch = tenantry_ports::services::profile::PreferencesPatch {
                    language: Some("en".into()),
                    time_zone: None,
                };
                h.tenantry.update_me(&scope, None, &patch).await.unwrap();
            }
        }
    }

    /// The page in `c` is in this run's language.
    async fn check(self, c: &Client) {
        let lang = c.find(Locator::Css("html")).await.unwrap().attr("lang").await.unwrap();
        assert_eq!(lang.as_deref(), Some(self.language().tag()), "{self:?} at {}", path(c).await);
    }
}

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
    signup_journey(Run::English).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_dutch_a_new_company_signs_up_adds_a_card_verifies_invites_and_upgrades() {
    signup_journey(Run::Dutch).await;
}

async fn signup_journey(run: Run) {
    let test = "a_new_company_signs_up_adds_a_card_verifies_invites_and_upgrades_with_the_keyboard_only";
    let Some(driver) = driver(test) else { return };
    let h = Harness::builder().payment_method_at_signup(PaymentMethodAtSignup::Required).build();
    let base = support::serve(support::state_for(&h)).await;
    let c = browser_in(&driver, run.accept()).await;

    // Signup, from the login page, with the keyboard only.
    c.goto(&format!("{base}/signup")).await.unwrap();
    type_into(&c, "#company_name", "Umbrella BV").await;
    type_into(&c, "#slug", "umbrella").await;
    type_into(&c, "#name", "Una Owner").await;
    type_into(&c, "#email", "una@umbrella.example.com").await;
    type_into(&c, "#password", PASSWORD).await;
    run.check(&c).await;
    shot(&c, &run.shot("signup")).await;
    press(&c, "#create-workspace").await;
    // The payment method first (the platform asks for one at signup): the provider's page.
    assert!(path(&c).await.starts_with("/billing/simulator/checkout/"), "{}", path(&c).await);
    press(&c, "button[value='succeeds']").await;
    assert_eq!(path(&c).await, "/app/umbrella?welcome=1");
    run.check(&c).await;
    assert!(text(&c, "body").await.contains(&run.said("tenant-home-start-title")), "the getting-started page");
    let notice = text(&c, ".verify-notice").await;
    assert!(notice.contains(&run.said("tenant-verify-before")), "{notice}");
    shot(&c, &run.shot("getting-started")).await;

    // The mailed link confirms the address; the banner goes.
    let token = h.mailer.verification_token("una@umbrella.example.com").expect("the verification was mailed");
    c.goto(&format!("{base}/verify?token={}", token.expose_secret())).await.unwrap();
    press(&c, "#confirm-address").await;
    assert!(text(&c, "#verified").await.contains(&run.said("account-verify-done")));
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
    let standard = run.said("billing-plan-standard");
    assert_eq!(text(&c, "#plan").await, run.said_with("billing-plan-monthly", &[("plan", standard.as_str().into())]));
    run.check(&c).await;
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
    forgotten_journey(Run::English).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_dutch_a_forgotten_password_is_reset_and_a_forgotten_workspace_is_mailed() {
    forgotten_journey(Run::Dutch).await;
}

async fn forgotten_journey(run: Run) {
    let test = "a_forgotten_password_is_reset_from_the_mailed_link_and_a_forgotten_workspace_is_mailed";
    let Some(driver) = driver(test) else { return };
    let h = Harness::new();
    let t = h.signup("acme").await.unwrap();
    run.set_up(&h, &t, &[&t.owner_email]).await;
    // Only a proven address is named by /find-workspace: the owner confirmed theirs.
    let proof = h.mailer.verification_token(&t.owner_email).unwrap();
    h.tenantry.verify_email(&proof).await.unwrap();
    let base = support::serve(support::state_for(&h)).await;
    let c = browser_in(&driver, run.accept()).await;

    c.goto(&format!("{base}/login")).await.unwrap();
    click(&c, "#forgot").await;
    assert_eq!(path(&c).await, "/forgot");
    fill(&c, "#tenant", "acme").await;
    fill(&c, "#email", &t.owner_email).await;
    click(&c, "#send-link").await;
    run.check(&c).await;
    assert_eq!(text(&c, "#sent").await, run.said("account-forgot-sent"));
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
    run.check(&c).await;
    logout(&c).await;

    // Which workspace was it? The mail's link fills it in.
    click(&c, "#find-workspace").await;
    assert_eq!(path(&c).await, "/find-workspace");
    assert_eq!(unlabelled(&c).await, Vec::<String>::new());
    fill(&c, "#email", &t.owner_email).await;
    click(&c, "#find").await;
    assert_eq!(text(&c, "#sent").await, run.said("account-find-sent"));
    run.check(&c).await;
    shot(&c, &run.shot("find-workspace")).await;
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
    two_factor_journey(Run::English).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_dutch_an_admin_must_enrol_in_two_factor_then_logs_in_with_a_code_and_a_recovery_code() {
    two_factor_journey(Run::Dutch).await;
}

async fn two_factor_journey(run: Run) {
    use tenantry_domain::mfa::{TotpSecret, code_at};
    use tenantry_domain::settings::{MfaPolicyPatch, SettingsPatch};
    let test = "an_admin_must_enrol_in_two_factor_then_logs_in_with_a_code_and_with_a_recovery_code";
    let Some(driver) = driver(test) else { return };
    let h = Harness::new();
    let t = h.signup("acme").await.unwrap();
    h.add_user(&t, "ada@acme.example.com", "admin").await.unwrap();
    run.set_up(&h, &t, &["ada@acme.example.com"]).await;
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
    let c = browser_in(&driver, run.accept()).await;

    login(&c, &base, "acme", "ada@acme.example.com").await;
    assert_eq!(path(&c).await, "/account/mfa", "an admin is taken to the enrolment");
    run.check(&c).await;
    c.goto(&format!("{base}/app/acme/settings/users")).await.unwrap();
    assert_eq!(path(&c).await, "/account/mfa", "and can do nothing else until done");
    fill(&c, "#start-password", PASSWORD).await;
    click(&c, "form[action='/account/mfa/start'] button").await;
    assert_eq!(count(&c, "figure.qr svg").await, 1);
    shot(&c, &run.shot("mfa-enrolment")).await;
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
    let refused = run.refusal("wrong_mfa_code", "used already");
    assert!(text(&c, "[role=alert]").await.contains(&refused), "a used recovery code is refused");
    c.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_address_changes_by_the_link_and_one_browser_ends_the_others_session() {
    address_journey(Run::English).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_dutch_an_address_changes_by_the_link_and_one_browser_ends_the_others_session() {
    address_journey(Run::Dutch).await;
}

async fn address_journey(run: Run) {
    let test = "an_address_changes_by_the_link_and_one_browser_ends_the_others_session";
    let Some(driver) = driver(test) else { return };
    let h = Harness::new();
    let t = h.signup("acme").await.unwrap();
    run.set_up(&h, &t, &[&t.owner_email]).await;
    let base = support::serve(support::state_for(&h)).await;
    let here = browser_in(&driver, run.accept()).await;
    let there = browser_in(&driver, run.accept()).await;
    login(&there, &base, "acme", &t.owner_email).await;
    assert_eq!(path(&there).await, "/app/acme");
    login(&here, &base, "acme", &t.owner_email).await;

    // The address: a link to the new one, the old one told.
    here.goto(&format!("{base}/app/acme/profile")).await.unwrap();
    fill(&here, "#new_email", "olive@new.example.com").await;
    fill(&here, "#email_password", PASSWORD).await;
    click(&here, "#change-email").await;
    assert_eq!(text(&here, "[role=status]").await, run.said("tenant-profile-saved-email"));
    run.check(&here).await;
    shot(&here, &run.shot("profile")).await;
    assert_eq!(h.mailer.count(&t.owner_email, "email_change_requested"), 1);
    let token = h.mailer.email_change_token("olive@new.example.com").unwrap();
    here.goto(&format!("{base}/email-change?token={}", token.expose_secret())).await.unwrap();
    click(&here, "#confirm-email-change").await;
    assert!(text(&here, "#email-changed").await.contains(&run.said("account-email-change-done")));
    here.goto(&format!("{base}/app/acme/profile")).await.unwrap();
    assert_eq!(text(&here, "#email").await, "olive@new.example.com");

    // The sessions page lists both browsers (and the signup's API session); ending the other
    // browser's signs it out at once.
    here.goto(&format!("{base}/account/sessions")).await.unwrap();
    assert_eq!(count(&here, "#sessions tbody tr").await, 3);
    let other = here
        .execute(
            "return Array.from(document.querySelectorAll('#sessions tbody tr'))\
                .find(r => r.cells[0].textContent.startsWith(arguments[0]) && !r.textContent.includes(arguments[1])).id;",
            vec![
                serde_json::json!(run.said("account-sessions-kind-web")),
                serde_json::json!(run.said("account-sessions-current")),
            ],
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

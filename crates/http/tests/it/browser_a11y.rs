#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed step is a failed test
//! Accessibility in a real browser (issue 24): axe-core (npm, pinned in
//! `tests/a11y`) injected into headless Chromium over WebDriver and run with
//! the WCAG 2.0/2.1 A and AA rules on every page an owner, an admin, a
//! member, the superuser and someone not signed in can reach — including a
//! refused form with its error summary — with no violation allowed.

use crate::browser::{axe, axe_source, browser, click, driver, fill, login, logout, path};
use crate::support;

use tenantry_testkit::Harness;
use tenantry_testkit::harness::PASSWORD;

/// Runs axe on each page, collecting every violation with the page it is on.
async fn check(c: &fantoccini::Client, base: &str, source: &str, who: &str, pages: &[String], found: &mut Vec<String>) {
    for page in pages {
        c.goto(&format!("{base}{page}")).await.unwrap();
        for v in axe(c, source).await {
            found.push(format!("{who} {page}: {v}"));
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_of_every_role_passes_axe_core_with_the_wcag_21_aa_rules() {
    let test = "every_page_of_every_role_passes_axe_core_with_the_wcag_21_aa_rules";
    let Some(source) = axe_source(test) else { return };
    let Some(driver) = driver(test) else { return };
    let h = Harness::new();
    let su = h.superuser("ops@platform.example.com").await.unwrap();
    let t = h.signup("acme").await.unwrap();
    h.add_user(&t, "ada@acme.example.com", "admin").await.unwrap();
    h.add_user(&t, "max@acme.example.com", "member").await.unwrap();
    // Something in every list: an invitation, a role, a key, an export, an ad, a coupon.
    let owner = h.owner_scope(&t).await.unwrap();
    let invite = tenantry_ports::services::invitations::InviteInput {
        email: "new@acme.example.com".into(),
        role: "viewer".into(),
    };
    h.tenantry.invite(&owner, invite).await.unwrap();
    let platform = h.tenantry.authorize_platform(&su).await.unwrap();
    crate::browser::ad_campaigns(&h, &platform).await;
    // Acme converts at its trial's end (every premium form shown); a paying tenant (the seat
    // preview) and one on freemium (the ads: banner and modal).
    h.add_card(t.id, tenantry_testkit::simulator::TestCard::Succeeds).await.unwrap();
    let paid = h.paid_tenant("globex", 3).await.unwrap();
    let free = h.signup("freebie").await.unwrap();
    h.advance_days(15).await;
    let base = support::serve(support::state_for(&h)).await;
    let c = browser(&driver).await;
    let mut found = Vec::new();

    // Someone not signed in, and a refused signup with its error summary.
    let anonymous: Vec<String> = [
        "/login",
        "/signup",
        "/forgot",
        "/reset?token=x",
        "/verify?token=x",
        "/email-change?token=x",
        "/find-workspace",
        "/invitations/accept?token=x",
        "/no-such-page",
    ]
    .map(String::from)
    .to_vec();
    check(&c, &base, &source, "anonymous", &anonymous, &mut found).await;
    c.goto(&format!("{base}/signup")).await.unwrap();
    fill(&c, "#company_name", "Initech").await;
    fill(&c, "#slug", "acme").await;
    fill(&c, "#name", "Ina").await;
    fill(&c, "#email", "ina@initech.example.com").await;
    fill(&c, "#password", PASSWORD).await;
    click(&c, "#create-workspace").await;
    for v in axe(&c, &source).await {
        found.push(format!("anonymous refused signup: {v}"));
    }

    let tenant_pages = |extra: &[&str]| -> Vec<String> {
        let mut pages: Vec<String> =
            ["/app/acme", "/app/acme/profile", "/account/mfa", "/account/sessions", "/account/notifications"]
                .map(String::from)
                .to_vec();
        pages.extend(extra.iter().map(|p| format!("/app/acme/{p}")));
        pages
    };
    let settings = [
        "settings",
        "settings/users",
        "settings/roles",
        "settings/api-keys",
        "settings/branding",
        "settings/audit",
        "settings/exports",
        "settings/notifications",
    ];
    for (who, email, extra) in [
        ("owner", t.owner_email.as_str(), &settings[..]),
        ("admin", "ada@acme.example.com", &settings[..]),
        ("member", "max@acme.example.com", &["settings"][..]),
    ] {
        login(&c, &base, "acme", email).await;
        assert_eq!(path(&c).await, "/app/acme", "{who} signed in");
        check(&c, &base, &source, who, &tenant_pages(extra), &mut found).await;
        logout(&c).await;
    }

    // The paying owner's price preview of one more seat, and the two-factor enrolment's steps.
    login(&c, &base, "globex", &paid.owner_email).await;
    c.goto(&format!("{base}/app/globex/settings")).await.unwrap();
    click(&c, "#add-seat").await;
    for v in axe(&c, &source).await {
        found.push(format!("paying owner, seat preview: {v}"));
    }
    c.goto(&format!("{base}/account/mfa")).await.unwrap();
    fill(&c, "#start-password", PASSWORD).await;
    click(&c, "form[action='/account/mfa/start'] button").await;
    for v in axe(&c, &source).await {
        found.push(format!("paying owner, two-factor enrolment: {v}"));
    }
    c.goto(&format!("{base}/app/globex")).await.unwrap();
    logout(&c).await;
    login(&c, &base, "freebie", &free.owner_email).await;
    assert_eq!(crate::browser::count(&c, "dialog.ad-modal").await, 1, "the day's modal");
    for v in axe(&c, &source).await {
        found.push(format!("freemium owner, home with the ads: {v}"));
    }
    check(&c, &base, &source, "freemium owner", &["/app/freebie/settings".to_owned()], &mut found).await;
    logout(&c).await;

    login(&c, &base, "", "ops@platform.example.com").await;
    let admin: Vec<String> = [
        "/admin".to_owned(),
        "/admin/stats".to_owned(),
        "/admin/audit".to_owned(),
        "/admin/jobs".to_owned(),
        "/admin/ads".to_owned(),
        "/admin/coupons".to_owned(),
        "/admin/broadcasts".to_owned(),
        "/admin/settings".to_owned(),
        "/admin/profile".to_owned(),
        format!("/admin/tenants/{}", t.id),
        "/account/mfa".to_owned(),
        "/account/sessions".to_owned(),
    ]
    .to_vec();
    check(&c, &base, &source, "superuser", &admin, &mut found).await;
    c.close().await.unwrap();
    assert!(found.is_empty(), "{} violations:\n{}", found.len(), found.join("\n"));
}

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
    let crate::browser::EveryPage { t, paid, free } = crate::browser::every_page(&h).await;
    let base = support::serve(support::state_for(&h)).await;
    let c = browser(&driver).await;
    let mut found = Vec::new();

    // Someone not signed in, and a refused signup with its error summary.
    let anonymous: Vec<String> = crate::browser::ANONYMOUS.map(String::from).to_vec();
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
    let settings = crate::browser::SETTINGS;
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
    let admin = crate::browser::admin_pages(t.id);
    check(&c, &base, &source, "superuser", &admin, &mut found).await;
    c.close().await.unwrap();
    assert!(found.is_empty(), "{} violations:\n{}", found.len(), found.join("\n"));
}

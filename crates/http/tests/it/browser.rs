#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed step is a failed test
//! The web interface in a real browser (issue 9): headless Chromium (Debian's
//! `chromium` and `chromium-driver`), driven over WebDriver by fantoccini,
//! against the service on the in-memory harness and its billing simulator.
//!
//! Without `chromedriver` these tests print `NOT RUN` and pass — except under
//! `CI=true`, where they fail (`.ci/run` installs the packages first). Screenshots
//! of the main pages are written to `target/screenshots/` (the README's come
//! from there).

use crate::support;

use fantoccini::{Client, ClientBuilder, Locator};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use tenantry_testkit::Harness;
use tenantry_testkit::harness::PASSWORD;

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";

/// chromedriver on a free port, killed when dropped.
pub(super) struct Driver {
    child: Child,
    url: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(super) fn driver(test: &str) -> Option<Driver> {
    let path = std::env::var("TENANTRY_CHROMEDRIVER").unwrap_or_else(|_| CHROMEDRIVER.to_owned());
    if !std::path::Path::new(&path).exists() {
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!("{test}: {path} is missing; CI installs Debian's chromium and chromium-driver (see .ci/run)");
        }
        eprintln!("NOT RUN: {test} (no {path}; install Debian's chromium and chromium-driver)");
        return None;
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let child = Command::new(&path)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("{test}: cannot start {path}: {e}"));
    Some(Driver { child, url: format!("http://127.0.0.1:{port}") })
}

pub(super) async fn browser(driver: &Driver) -> Client {
    browser_in(driver, "en-US").await
}

/// A browser whose `Accept-Language` is `language` (as a person's browser set to it sends it).
pub(super) async fn browser_in(driver: &Driver, language: &str) -> Client {
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({
            "binary": std::env::var("TENANTRY_CHROMIUM").unwrap_or_else(|_| CHROMIUM.to_owned()),
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,1000",
                     format!("--lang={language}"), format!("--accept-lang={language}")],
            "prefs": { "intl.accept_languages": language },
        }),
    );
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    let mut last = None;
    for _ in 0..50 {
        match ClientBuilder::new(connector.clone()).capabilities(caps.clone()).connect(&driver.url).await {
            Ok(client) => return client,
            Err(e) => last = Some(e),
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("chromedriver did not answer: {last:?}");
}

fn screenshots() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// axe-core's script, installed by `npm ci --prefix crates/http/tests/a11y`
/// (its version pinned in that folder's package-lock.json).
const AXE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/a11y/node_modules/axe-core/axe.min.js");

/// The axe-core source; without it the accessibility checks print `NOT RUN`
/// and the test returns — except under `CI=true`, where it fails (`.ci/run`
/// installs it).
pub(super) fn axe_source(test: &str) -> Option<String> {
    match std::fs::read_to_string(AXE) {
        Ok(source) => Some(source),
        Err(e) if std::env::var("CI").as_deref() == Ok("true") => {
            panic!("{test}: {AXE}: {e}; CI installs it with `npm ci --prefix crates/http/tests/a11y`")
        }
        Err(_) => {
            eprintln!("NOT RUN: {test} (no axe-core; run `npm ci --prefix crates/http/tests/a11y`)");
            None
        }
    }
}

/// The WCAG 2.1 A and AA violations axe-core finds on the page in `c`, each
/// as `rule (impact): the first few elements`.
pub(super) async fn axe(c: &Client, source: &str) -> Vec<String> {
    c.execute(source, vec![]).await.unwrap();
    let run = "const done = arguments[arguments.length - 1];\
        axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})\
        .then(r => done(r.violations.map(v => v.id + ' (' + v.impact + '): ' + v.nodes.slice(0, 4)\
            .map(n => n.target.join(' ') + ' ' + (n.failureSummary || '').replace(/\\s+/g, ' ').slice(0, 160)).join(' | '))))\
        .catch(e => done(['axe failed: ' + e]));";
    let found = c.execute_async(run, vec![]).await.unwrap();
    found.as_array().unwrap().iter().map(|v| v.as_str().unwrap_or_default().to_owned()).collect()
}

/// Something on every page every role can reach (the superuser ops@platform.example.com exists): acme (the owner, admin Ada,
/// member Max, an invitation, an ad campaign of each format, a card: it converts at its trial's
/// end); globex paying for 3 seats; freebie on freemium (the ads) — 15 days on.
pub(super) struct EveryPage {
    pub t: tenantry_testkit::harness::TestTenant,
    pub paid: tenantry_testkit::harness::TestTenant,
    pub free: tenantry_testkit::harness::TestTenant,
}

pub(super) async fn every_page(h: &Harness) -> EveryPage {
    let su = h.superuser("ops@platform.example.com").await.unwrap();
    let t = h.signup("acme").await.unwrap();
    h.add_user(&t, "ada@acme.example.com", "admin").await.unwrap();
    h.add_user(&t, "max@acme.example.com", "member").await.unwrap();
    let owner = h.owner_scope(&t).await.unwrap();
    let invite = tenantry_ports::services::invitations::InviteInput {
        email: "new@acme.example.com".into(),
        role: "viewer".into(),
    };
    h.tenantry.invite(&owner, invite).await.unwrap();
    let platform = h.tenantry.authorize_platform(&su).await.unwrap();
    ad_campaigns(h, &platform).await;
    h.add_card(t.id, tenantry_testkit::simulator::TestCard::Succeeds).await.unwrap();
    let paid = h.paid_tenant("globex", 3).await.unwrap();
    let free = h.signup("freebie").await.unwrap();
    h.advance_days(15).await;
    EveryPage { t, paid, free }
}

/// A tenant's settings pages, under `/app/{slug}/`.
pub(super) const SETTINGS: [&str; 8] = [
    "settings",
    "settings/users",
    "settings/roles",
    "settings/api-keys",
    "settings/branding",
    "settings/audit",
    "settings/exports",
    "settings/notifications",
];

/// The pages of someone not signed in (the links' pages with a token that fits nothing).
pub(super) const ANONYMOUS: [&str; 11] = [
    "/login",
    "/login?tenant=acme",
    "/signup",
    "/forgot",
    "/reset?token=x",
    "/verify?token=x",
    "/email-change?token=x",
    "/find-workspace",
    "/invitations/accept?token=x",
    "/unsubscribe?token=x",
    "/no-such-page",
];

/// The superuser's pages (and a tenant's detail).
pub(super) fn admin_pages(tenant: tenantry_domain::TenantId) -> Vec<String> {
    [
        "/admin".to_owned(),
        "/admin/stats".to_owned(),
        "/admin/audit".to_owned(),
        "/admin/jobs".to_owned(),
        "/admin/ads".to_owned(),
        "/admin/coupons".to_owned(),
        "/admin/broadcasts".to_owned(),
        "/admin/settings".to_owned(),
        "/admin/profile".to_owned(),
        format!("/admin/tenants/{tenant}"),
        "/account/mfa".to_owned(),
        "/account/sessions".to_owned(),
    ]
    .to_vec()
}

/// A banner and a modal campaign for every freemium tenant, running from yesterday for 30 days.
pub(super) async fn ad_campaigns(h: &Harness, platform: &tenantry_ports::PlatformScope) {
    use tenantry_domain::ads::AdFormat;
    use tenantry_ports::services::admin::CampaignInput;
    for (name, format) in [("Banner", AdFormat::Banner), ("Modal", AdFormat::Modal)] {
        let input = CampaignInput {
            name: name.into(),
            format,
            text: format!("{name}: try Acme Cloud"),
            image_url: None,
            link_url: "https://ads.example.com/acme".into(),
            tenants: None,
            starts_at: h.clock_now() - chrono::Duration::days(1),
            ends_at: h.clock_now() + chrono::Duration::days(30),
            enabled: true,
        };
        h.tenantry.create_campaign(platform, input).await.unwrap();
    }
}

pub(super) async fn shot(c: &Client, name: &str) {
    let png = c.screenshot().await.unwrap();
    std::fs::write(screenshots().join(format!("{name}.png")), png).unwrap();
}

pub(super) async fn fill(c: &Client, css: &str, text: &str) {
    let field = c.find(Locator::Css(css)).await.unwrap_or_else(|e| panic!("{css}: {e}"));
    field.clear().await.unwrap();
    field.send_keys(text).await.unwrap();
}

/// Clicks and waits for the next page (every click here submits a form or follows a link).
pub(super) async fn click(c: &Client, css: &str) {
    let page = c.find(Locator::Css("html")).await.unwrap();
    c.find(Locator::Css(css)).await.unwrap_or_else(|e| panic!("{css}: {e}")).click().await.unwrap();
    for _ in 0..100 {
        if page.tag_name().await.is_err() {
            // The old page is gone; wait for the new one to be complete.
            for _ in 0..100 {
                let state = c.execute("return document.readyState", vec![]).await;
                if state.ok().and_then(|v| v.as_str().map(str::to_owned)).as_deref() == Some("complete") {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("{css}: the click led to no new page");
}

pub(super) async fn text(c: &Client, css: &str) -> String {
    c.find(Locator::Css(css)).await.unwrap_or_else(|e| panic!("{css}: {e}")).text().await.unwrap()
}

pub(super) async fn count(c: &Client, css: &str) -> usize {
    c.find_all(Locator::Css(css)).await.unwrap().len()
}

/// Form fields without a label (by `for`, by a wrapping label, or `aria-label`), as `tag#id`.
pub(super) async fn unlabelled(c: &Client) -> Vec<String> {
    let script = "return Array.from(document.querySelectorAll('input:not([type=hidden]), select, textarea'))\
        .filter(e => e.labels.length === 0 && !e.getAttribute('aria-label'))\
        .map(e => e.tagName.toLowerCase() + '#' + e.id + '[' + e.name + ']');";
    let found = c.execute(script, vec![]).await.unwrap();
    found.as_array().unwrap().iter().map(|v| v.as_str().unwrap_or_default().to_owned()).collect()
}

/// Whether the page is wider than the window (it should reflow instead).
pub(super) async fn overflows(c: &Client) -> bool {
    let script = "return document.documentElement.scrollWidth > window.innerWidth + 1;";
    c.execute(script, vec![]).await.unwrap().as_bool().unwrap()
}

pub(super) async fn path(c: &Client) -> String {
    let url = c.current_url().await.unwrap();
    match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_owned(),
    }
}

pub(super) async fn login(c: &Client, base: &str, tenant: &str, email: &str) {
    c.goto(&format!("{base}/login")).await.unwrap();
    fill(c, "#tenant", tenant).await;
    fill(c, "#email", email).await;
    fill(c, "#password", PASSWORD).await;
    click(c, "form.card button[type=submit]").await;
}

pub(super) async fn logout(c: &Client) {
    click(c, "form[action='/logout'] button").await;
}

pub(super) async fn invite(c: &Client, base: &str, email: &str) {
    c.goto(&format!("{base}/app/acme/settings/users")).await.unwrap();
    fill(c, "#invite-email", email).await;
    click(c, "#invite").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_superuser_creates_a_tenant_whose_admin_fills_the_seats_buys_one_and_the_new_user_logs_in() {
    let test = "the_superuser_creates_a_tenant_whose_admin_fills_the_seats_buys_one_and_the_new_user_logs_in";
    let Some(driver) = driver(test) else { return };
    let h = Harness::new();
    h.superuser("ops@platform.example.com").await.unwrap();
    let base = support::serve(support::state_for(&h)).await;
    let c = browser(&driver).await;

    // Not logged in: every page leads to the login.
    c.goto(&format!("{base}/admin")).await.unwrap();
    assert_eq!(path(&c).await, "/login");
    shot(&c, "login").await;

    // The superuser creates a tenant.
    login(&c, &base, "", "ops@platform.example.com").await;
    assert_eq!(path(&c).await, "/admin");
    fill(&c, "#company_name", "Acme GmbH").await;
    fill(&c, "#slug", "acme").await;
    fill(&c, "#admin_name", "Ada Admin").await;
    fill(&c, "#admin_email", "ada@acme.example.com").await;
    fill(&c, "#admin_password", PASSWORD).await;
    click(&c, "#create-tenant").await;
    assert!(path(&c).await.starts_with("/admin/tenants/"), "{}", path(&c).await);
    assert!(text(&c, "h1").await.contains("Acme GmbH"));
    c.goto(&format!("{base}/admin")).await.unwrap();
    assert!(text(&c, "#tenants").await.contains("Acme GmbH"));
    shot(&c, "admin-tenants").await;
    logout(&c).await;
    assert_eq!(path(&c).await, "/login");

    // The tenant's admin moves to the paid plan: Checkout first (no card yet), then the same button again.
    login(&c, &base, "acme", "ada@acme.example.com").await;
    assert_eq!(path(&c).await, "/app/acme");
    c.goto(&format!("{base}/app/acme/settings")).await.unwrap();
    assert!(text(&c, "#plan").await.starts_with("Trial"), "{}", text(&c, "#plan").await);
    assert!(text(&c, "#trial").await.contains("14 days left"), "{}", text(&c, "#trial").await);
    click(&c, "form[action='/app/acme/settings/plan'] input[value='standard-month'] + button").await;
    assert!(path(&c).await.starts_with("/billing/simulator/checkout/"), "{}", path(&c).await);
    click(&c, "button[value='succeeds']").await;
    assert_eq!(path(&c).await, "/app/acme/settings?done=card");
    click(&c, "form[action='/app/acme/settings/plan'] input[value='standard-month'] + button").await;
    assert_eq!(path(&c).await, "/app/acme/settings?done=plan");
    assert_eq!(text(&c, "#plan").await, "Standard, monthly");
    assert_eq!(text(&c, "#seats").await, "1 used of 3 licensed");
    shot(&c, "billing").await;
    // Every field of the admin's pages has a label; on a phone-sized window nothing overflows.
    for page in SETTINGS.iter().filter(|p| **p != "settings/notifications").chain(&["profile"]) {
        c.goto(&format!("{base}/app/acme/{page}")).await.unwrap();
        assert_eq!(unlabelled(&c).await, Vec::<String>::new(), "{page}");
    }
    // The pages of someone not signed in (issue 24), each field labelled too.
    for page in ["/signup", "/forgot", "/reset?token=x", "/verify?token=x"] {
        c.goto(&format!("{base}{page}")).await.unwrap();
        assert_eq!(unlabelled(&c).await, Vec::<String>::new(), "{page}");
    }
    c.set_window_size(390, 844).await.unwrap();
    for page in ["settings", "settings/users"] {
        c.goto(&format!("{base}/app/acme/{page}")).await.unwrap();
        if overflows(&c).await {
            let wide = c.execute("return Array.from(document.querySelectorAll('body *')).filter(e => e.getBoundingClientRect().right > window.innerWidth + 1).slice(0, 8).map(e => e.tagName + '.' + e.className + '#' + e.id + ' ' + Math.round(e.getBoundingClientRect().right));", vec![]).await.unwrap();
            panic!("{page} is wider than a phone: {wide}");
        }
    }
    shot(&c, "users-phone").await;
    c.set_window_size(1280, 1000).await.unwrap();

    // Invitations until the seat limit; the fourth seat is refused, clearly, and nothing is sent.
    invite(&c, &base, "bob@acme.example.com").await;
    invite(&c, &base, "cem@acme.example.com").await;
    assert!(text(&c, "#seat-usage").await.starts_with("3 seats used of 3"));
    invite(&c, &base, "dana@acme.example.com").await;
    let refusal = text(&c, "[role=alert]").await;
    assert!(refusal.to_lowercase().contains("seat"), "{refusal}");
    assert!(!text(&c, "#invitations").await.contains("dana@"), "the refused invitation was not made");
    assert!(h.mailer.invitation_token("dana@acme.example.com").is_none());
    shot(&c, "users-seat-limit").await;

    // One more seat, after its price is shown.
    c.goto(&format!("{base}/app/acme/settings")).await.unwrap();
    let label = text(&c, "#add-seat").await;
    assert_eq!(label, "+1 user (€4.95/month)");
    click(&c, "#add-seat").await;
    let total = text(&c, "#preview-total").await;
    assert!(total.starts_with('€') && total != "€0.00", "{total}");
    assert!(text(&c, "#preview-h").await.contains("From 3 to 4 seats"));
    shot(&c, "seat-preview").await;
    click(&c, "#confirm-seats").await;
    assert_eq!(path(&c).await, "/app/acme/settings?done=seats");
    assert_eq!(text(&c, "#seats").await, "3 used of 4 licensed");
    invite(&c, &base, "dana@acme.example.com").await;
    assert!(text(&c, "[role=status]").await.contains("dana@acme.example.com"));
    logout(&c).await;

    // The new user accepts the mailed invitation and is signed in.
    let token = h.mailer.invitation_token("dana@acme.example.com").expect("the invitation was mailed");
    let token = secrecy::ExposeSecret::expose_secret(&token).to_owned();
    c.goto(&format!("{base}/invitations/accept?token={token}")).await.unwrap();
    fill(&c, "#name", "Dana Doe").await;
    fill(&c, "#password", PASSWORD).await;
    click(&c, "#accept").await;
    assert_eq!(path(&c).await, "/app/acme");
    assert!(text(&c, "#signed-in").await.contains("Dana Doe"));
    logout(&c).await;
    login(&c, &base, "acme", "dana@acme.example.com").await;
    assert_eq!(path(&c).await, "/app/acme", "the new user logs in");

    // A user of Acme reaches no page or form of another tenant (404), nor the control plane.
    h.signup("globex").await.unwrap();
    for page in ["/app/globex", "/app/globex/settings", "/app/globex/settings/users", "/admin", "/admin/stats"] {
        c.goto(&format!("{base}{page}")).await.unwrap();
        assert_eq!(text(&c, "h1").await, "Not found", "{page}");
    }
    c.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_freemium_tenant_sees_one_banner_per_page_and_the_modal_at_most_once_a_day() {
    let test = "a_freemium_tenant_sees_one_banner_per_page_and_the_modal_at_most_once_a_day";
    let Some(driver) = driver(test) else { return };
    let h = Harness::new();
    let t = h.signup("freebie").await.unwrap();
    // No card at the trial's end: freemium (DESIGN.md "Trial end").
    h.advance_days(15).await;
    let su = h.superuser("ops@platform.example.com").await.unwrap();
    let platform = h.tenantry.authorize_platform(&su).await.unwrap();
    ad_campaigns(&h, &platform).await;
    let base = support::serve(support::state_for(&h)).await;
    let c = browser(&driver).await;
    // The login lands on the tenant's home: the day's modal is there, once.
    login(&c, &base, "freebie", &t.owner_email).await;
    assert_eq!(path(&c).await, "/app/freebie");
    let mut modals = vec![count(&c, "dialog.ad-modal").await];
    assert_eq!(count(&c, "aside.ad-banner").await, 1);
    shot(&c, "freemium-modal").await;
    for page in ["/app/freebie/settings", "/app/freebie/settings/users", "/app/freebie"] {
        c.goto(&format!("{base}{page}")).await.unwrap();
        assert_eq!(count(&c, "aside.ad-banner").await, 1, "one banner on {page}");
        modals.push(count(&c, "dialog.ad-modal").await);
    }
    assert_eq!(modals, vec![1, 0, 0, 0], "the modal once a day");
    // The next day (the browser in use meanwhile: an idle day would end its session).
    h.clock.advance(chrono::Duration::hours(12));
    c.goto(&format!("{base}/app/freebie/settings/users")).await.unwrap();
    h.clock.advance(chrono::Duration::hours(12));
    c.goto(&format!("{base}/app/freebie/settings")).await.unwrap();
    assert_eq!(count(&c, "dialog.ad-modal").await, 1, "the next day, once more");
    assert_eq!(count(&c, "aside.ad-banner").await, 1);
    assert!(text(&c, "#status").await.contains("freemium"));
    shot(&c, "freemium-billing").await;
    c.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_superusers_charts_come_from_the_daily_snapshots_and_a_support_session_is_visible_and_ends() {
    let test = "the_superusers_charts_come_from_the_daily_snapshots_and_a_support_session_is_visible_and_ends";
    let Some(driver) = driver(test) else { return };
    let h = Harness::new();
    h.superuser("ops@platform.example.com").await.unwrap();
    // A few days of history: one more tenant a day, the daily snapshot taken by the scheduler's tick.
    let mut last = None;
    for day in 0..4 {
        last = Some(h.signup(&format!("day{day}")).await.unwrap());
        h.advance_days(1).await;
    }
    let t = last.unwrap();
    let base = support::serve(support::state_for(&h)).await;
    let c = browser(&driver).await;
    login(&c, &base, "", "ops@platform.example.com").await;

    // The keyboard reaches "skip to content" first.
    c.find(Locator::Css("body")).await.unwrap().send_keys("\u{e004}").await.unwrap();
    let focused = c.active_element().await.unwrap().text().await.unwrap();
    assert_eq!(focused, "Skip to content");

    for page in ["/admin", "/admin/audit", "/admin/ads", "/admin/stats"] {
        c.goto(&format!("{base}{page}")).await.unwrap();
        assert_eq!(unlabelled(&c).await, Vec::<String>::new(), "{page}");
    }
    c.goto(&format!("{base}/admin/stats")).await.unwrap();
    assert_eq!(text(&c, "#stat-tenants").await, "4");
    assert_eq!(count(&c, "figure.chart svg").await, 4, "tenants by status, MRR, active users, logins");
    assert!(count(&c, "figure.chart svg polyline").await >= 3, "lines over the days");
    assert!(
        text(&c, "body").await.contains("November 2026"),
        "logins by month (labelled with the day of their last snapshot)"
    );
    shot(&c, "admin-stats").await;

    c.goto(&format!("{base}/admin/tenants/{}", t.id)).await.unwrap();
    shot(&c, "admin-tenant").await;
    click(&c, &format!("form[action='/admin/tenants/{}/users/{}/impersonate'] button", t.id, t.owner_id)).await;
    assert_eq!(path(&c).await, "/app/day3");
    assert!(text(&c, ".support").await.contains("Support session"));
    shot(&c, "support-session").await;
    click(&c, "#stop-impersonation").await;
    assert_eq!(path(&c).await, "/admin");
    c.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_superuser_enrols_in_two_factor_at_the_first_login_and_ends_another_session() {
    use secrecy::ExposeSecret;
    use tenantry_domain::mfa::{TotpSecret, code_at};
    let test = "the_superuser_enrols_in_two_factor_at_the_first_login_and_ends_another_session";
    let Some(driver) = driver(test) else { return };
    let h = Harness::builder().superuser_mfa(true).build();
    let email = "fresh@platform.example.com";
    let input = tenantry_ports::services::auth::NewSuperuser {
        email: email.into(),
        name: "Fresh".into(),
        password: secrecy::SecretString::from(PASSWORD),
        totp_secret: None,
    };
    h.tenantry.create_superuser(h.operator.as_ref(), input).await.unwrap();
    let base = support::serve(support::state_for(&h)).await;
    let c = browser(&driver).await;
    login(&c, &base, "", email).await;
    assert_eq!(path(&c).await, "/account/mfa", "taken to the enrolment first");
    assert_eq!(unlabelled(&c).await, Vec::<String>::new());
    fill(&c, "form[action='/account/mfa/start'] input[name=password]", PASSWORD).await;
    click(&c, "form[action='/account/mfa/start'] button").await;
    assert_eq!(count(&c, "figure.qr svg").await, 1, "a QR code for the app");
    assert_eq!(unlabelled(&c).await, Vec::<String>::new());
    shot(&c, "mfa-enrolment").await;
    let key = text(&c, "#totp-secret").await.replace(' ', "");
    let secret = TotpSecret::from_base32(&key).unwrap();
    let code = code_at(&secret, h.clock_now()).unwrap().expose_secret().to_owned();
    fill(&c, "form[action='/account/mfa/confirm'] input[name=code]", &code).await;
    click(&c, "form[action='/account/mfa/confirm'] button").await;
    assert_eq!(count(&c, "#recovery-codes li").await, 10, "ten recovery codes, shown once");
    click(&c, "main a").await;
    assert_eq!(path(&c).await, "/admin", "the platform opens");

    // Another session of the superuser (an API client), ended from the browser.
    h.clock.advance(chrono::Duration::seconds(30));
    let pending = h
        .tenantry
        .login(tenantry_ports::services::auth::LoginInput {
            tenant: None,
            email: email.into(),
            password: secrecy::SecretString::from(PASSWORD),
        })
        .await
        .unwrap();
    let code = code_at(&secret, h.clock_now()).unwrap().expose_secret().to_owned();
    let other = h.tenantry.complete_mfa_login(&pending.principal, &code).await.unwrap().principal;
    h.tenantry.authorize_platform(&other).await.unwrap();
    c.goto(&format!("{base}/account/sessions")).await.unwrap();
    assert_eq!(count(&c, "#sessions tbody tr").await, 2);
    assert_eq!(unlabelled(&c).await, Vec::<String>::new());
    shot(&c, "sessions").await;
    let sid = other.session().unwrap();
    click(&c, &format!("#session-{sid} button")).await;
    assert_eq!(path(&c).await, "/account/sessions");
    assert_eq!(count(&c, "#sessions tbody tr").await, 1);
    assert_eq!(
        h.tenantry.authorize_platform(&other).await.unwrap_err().to_string(),
        "the credentials are no longer valid; log in again",
        "the other session ended at once"
    );
    c.close().await.unwrap();
}

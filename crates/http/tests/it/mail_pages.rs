#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed step is a failed test
//! Mail on the web (issue 20), without a browser: the owner sets the tenant's
//! notifications (billing e-mail, refusable billing mails, product updates);
//! each person sets their own mail (a member sees no billing choice); the
//! superuser composes, previews and sends a product update that reaches the
//! people who opted in; the mailed link unsubscribes without signing in — by
//! the page's button and by a mail client's one-click POST — and a forged link
//! changes nothing; nobody but the superuser reaches the broadcast pages; a
//! form without the session's token changes nothing.

use crate::support;

use reqwest::StatusCode;
use secrecy::ExposeSecret;
use support::web::{WebSession as Browser, answer};
use tenantry_ports::system::Message;
use tenantry_testkit::Harness;

/// The unsubscribe token of the newest product update mailed to `to`.
fn unsubscribe_token(h: &Harness, to: &str) -> String {
    h.mailer
        .sent_to(to)
        .into_iter()
        .rev()
        .find_map(|m| match m.message {
            Message::ProductUpdate { unsubscribe, .. } => Some(unsubscribe.expose_secret().to_owned()),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no product update mailed to {to}"))
}

/// Tenant `acme` with its owner and a member (`keen@…`) signed in on the
/// pages, and the superuser.
struct Mail {
    h: Harness,
    t: tenantry_testkit::TestTenant,
    base: String,
    owner: Browser,
    member: Browser,
    ops: Browser,
}

const SUBJECT: &str = "Timesheets, faster";
const BODY: &str = "New.\n\nMore.";

impl Mail {
    async fn new() -> Self {
        let h = Harness::new();
        h.superuser("ops@platform.example.com").await.unwrap();
        let t = h.signup("acme").await.unwrap();
        h.add_user(&t, "keen@acme.example.com", "member").await.unwrap();
        let base = support::serve(support::state_for(&h)).await;
        let owner = Browser::login(&base, "acme", &t.owner_email).await;
        let member = Browser::login(&base, "acme", "keen@acme.example.com").await;
        let ops = Browser::login(&base, "", "ops@platform.example.com").await;
        Mail { h, t, base, owner, member, ops }
    }

    /// The owner's scope.
    async fn owner_scope(&self) -> tenantry_ports::TenantScope {
        self.h.owner_scope(&self.t).await.unwrap()
    }

    /// The member's scope.
    async fn member_scope(&self) -> tenantry_ports::TenantScope {
        self.h.scope(&self.h.login("acme", "keen@acme.example.com").await.unwrap(), self.t.id).await.unwrap()
    }

    /// Through the pages: the tenant takes product updates and its billing mail goes to
    /// `books@…`; the member and the owner opt in (the owner refusing billing mails).
    async fn opt_in(&self) {
        let saved = self
            .owner
            .post(
                "/app/acme/settings/notifications",
                &[("billing_emails", "on"), ("product_updates", "on"), ("billing_email", "books@acme.example.com")],
            )
            .await;
        assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
        let member = self.member.post("/account/notifications", &[("product_updates", "on")]).await;
        assert_eq!(member.status, StatusCode::SEE_OTHER);
        let owner = self.owner.post("/account/notifications", &[("product_updates", "on")]).await;
        assert_eq!(owner.status, StatusCode::SEE_OTHER);
    }

    /// The superuser's preview of the update: the page, and the key its Send form carries.
    async fn preview(&self) -> (support::web::Answer, String) {
        let preview = self.ops.post("/admin/broadcasts/preview", &[("subject", SUBJECT), ("body", BODY)]).await;
        assert_eq!(preview.status, StatusCode::OK, "{}", preview.body);
        let at = preview.body.find("name=\"key\" value=\"").expect("the Send form carries the preview's key") + 18;
        let key = preview.body[at..].split('"').next().unwrap().to_owned();
        (preview, key)
    }

    /// The update sent from the pages and delivered.
    async fn send(&self) {
        let (_, key) = self.preview().await;
        let queued = self.ops.post("/admin/broadcasts", &[("subject", SUBJECT), ("body", BODY), ("key", &key)]).await;
        assert_eq!(queued.status, StatusCode::ACCEPTED, "{}", queued.body);
        self.deliver().await;
    }

    /// Both opted in and the update delivered; a client without a session (a mail reader's).
    async fn with_an_update_sent() -> (Self, reqwest::Client) {
        let m = Mail::new().await;
        m.opt_in().await;
        m.send().await;
        (m, reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap())
    }

    /// A minute later, the due jobs run (the outbox delivers).
    async fn deliver(&self) {
        self.h.clock.advance(chrono::Duration::minutes(1));
        self.h.tenantry.run_due_jobs(100).await.unwrap();
    }
}

#[tokio::test]
async fn the_owner_sets_the_tenants_notifications_and_a_forged_or_refused_form_changes_nothing() {
    let m = Mail::new().await;
    let page = m.owner.get("/app/acme/settings/notifications").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("id=\"tenant-billing\"") && page.body.contains("id=\"tenant-updates\""));
    let forged = m
        .owner
        .post_raw(
            "/app/acme/settings/notifications",
            &[("csrf", "0".repeat(32).as_str()), ("product_updates", "on"), ("billing_email", "x@evil.example.com")],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let scope = m.owner_scope().await;
    assert!(!m.h.tenantry.get_tenant(&scope).await.unwrap().settings.notifications.product_updates);
    let bad = m
        .owner
        .post("/app/acme/settings/notifications", &[("billing_emails", "on"), ("billing_email", "not an address")])
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
    assert!(bad.body.contains("role=\"alert\""), "the refusal is shown");
    assert!(m.h.tenantry.get_tenant(&scope).await.unwrap().settings.billing.billing_email.is_none());
    m.opt_in().await;
    let settings = m.h.tenantry.get_tenant(&scope).await.unwrap().settings;
    assert!(settings.notifications.product_updates && settings.notifications.billing_emails);
    assert_eq!(settings.billing.billing_email.unwrap().as_str(), "books@acme.example.com");
}

#[tokio::test]
async fn each_person_sets_their_own_mail_and_a_member_has_no_billing_mail_to_refuse() {
    let m = Mail::new().await;
    let mine = m.member.get("/account/notifications").await;
    assert_eq!(mine.status, StatusCode::OK, "{}", mine.body);
    assert!(!mine.body.contains("id=\"pref-billing\""), "a member receives no billing mail to refuse");
    let theirs = m.owner.get("/account/notifications").await;
    assert!(theirs.body.contains("id=\"pref-billing\""));
    m.opt_in().await;
    let owner_prefs = m.h.tenantry.my_mail_prefs(&m.owner_scope().await).await.unwrap();
    assert!(owner_prefs.prefs.product_updates && !owner_prefs.prefs.billing, "{owner_prefs:?}");
    assert!(m.h.tenantry.my_mail_prefs(&m.member_scope().await).await.unwrap().prefs.product_updates);
}

#[tokio::test]
async fn only_the_superuser_reaches_the_broadcast_pages() {
    let m = Mail::new().await;
    assert_eq!(m.ops.get("/admin/broadcasts").await.status, StatusCode::OK);
    for who in [&m.member, &m.owner] {
        assert_eq!(who.get("/admin/broadcasts").await.status, StatusCode::NOT_FOUND);
        let sneaky = who.post("/admin/broadcasts", &[("subject", "Hi"), ("body", "Spam")]).await;
        assert_eq!(sneaky.status, StatusCode::NOT_FOUND);
    }
    m.deliver().await;
    assert_eq!(m.h.mailer.count("keen@acme.example.com", "product_update"), 0, "nothing was sent");
}

#[tokio::test]
async fn a_broadcast_is_previewed_without_queueing_then_sent_once_to_the_people_who_opted_in() {
    let m = Mail::new().await;
    m.opt_in().await;
    let refused = m.ops.post("/admin/broadcasts/preview", &[("subject", ""), ("body", "Text")]).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.body);
    let sent_before = m.h.mailer.sent().len();
    let (preview, key) = m.preview().await;
    assert!(preview.body.contains("Goes to <strong>2</strong> people in 1 workspace."), "{}", preview.body);
    assert!(preview.body.contains("Unsubscribe from product updates"), "the preview shows the link's place");
    m.deliver().await;
    assert_eq!(m.h.mailer.sent().len(), sent_before, "a preview queues nothing");
    let form = [("subject", SUBJECT), ("body", BODY), ("key", key.as_str())];
    let queued = m.ops.post("/admin/broadcasts", &form).await;
    assert_eq!(queued.status, StatusCode::ACCEPTED, "{}", queued.body);
    assert!(queued.body.contains("Queued for 2 people in 1 workspace;"), "{}", queued.body);
    // A second click on Send: nothing is queued twice.
    let twice = m.ops.post("/admin/broadcasts", &form).await;
    assert_eq!(twice.status, StatusCode::ACCEPTED, "{}", twice.body);
    assert!(twice.body.contains("Queued for 0 people") && twice.body.contains("1 workspace had it queued already"));
    m.deliver().await;
    assert_eq!(m.h.mailer.count("keen@acme.example.com", "product_update"), 1);
    assert_eq!(m.h.mailer.count(&m.t.owner_email, "product_update"), 1);
    assert_eq!(m.h.mailer.count("books@acme.example.com", "product_update"), 0, "the billing e-mail is no person");
}

#[tokio::test]
async fn the_mailed_link_unsubscribes_by_its_pages_button_and_a_forged_one_changes_nothing() {
    let (m, anonymous) = Mail::with_an_update_sent().await;
    // Without a session: a page with a button (a link checker unsubscribes nobody), then done.
    let base = &m.base;
    let token = unsubscribe_token(&m.h, "keen@acme.example.com");
    let page = answer(anonymous.get(format!("{base}/unsubscribe?token={token}")).send().await.unwrap()).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let member_scope = m.member_scope().await;
    assert!(
        m.h.tenantry.my_mail_prefs(&member_scope).await.unwrap().prefs.product_updates,
        "showing the page changes nothing"
    );
    let forged = format!("{}x", &token[..token.len() - 1]);
    let refused =
        answer(anonymous.post(format!("{base}/unsubscribe")).form(&[("token", forged.as_str())]).send().await.unwrap())
            .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.body);
    assert!(
        m.h.tenantry.my_mail_prefs(&member_scope).await.unwrap().prefs.product_updates,
        "a forged link changes nothing"
    );
    let done =
        answer(anonymous.post(format!("{base}/unsubscribe")).form(&[("token", token.as_str())]).send().await.unwrap())
            .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    assert!(done.body.contains("id=\"unsubscribed\""));
    assert!(!m.h.tenantry.my_mail_prefs(&member_scope).await.unwrap().prefs.product_updates);
}

#[tokio::test]
async fn a_mail_clients_one_click_post_unsubscribes_and_one_from_another_site_is_refused() {
    let (m, anonymous) = Mail::with_an_update_sent().await;
    // RFC 8058: the token in the URL, no Origin, no cookie, and the body as the RFC says,
    // multipart/form-data (not read).
    let base = &m.base;
    let token = unsubscribe_token(&m.h, "keen@acme.example.com");
    let cross = answer(
        anonymous
            .post(format!("{base}/unsubscribe"))
            .header("Sec-Fetch-Site", "cross-site")
            .form(&[("token", token.as_str())])
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(cross.status, StatusCode::FORBIDDEN);
    assert!(m.h.tenantry.my_mail_prefs(&m.member_scope().await).await.unwrap().prefs.product_updates);
    let token = unsubscribe_token(&m.h, &m.t.owner_email);
    let multipart =
        "--xyz\r\nContent-Disposition: form-data; name=\"List-Unsubscribe\"\r\n\r\nOne-Click\r\n--xyz--\r\n";
    let one_click = answer(
        anonymous
            .post(format!("{base}/unsubscribe?token={token}"))
            .header("content-type", "multipart/form-data; boundary=xyz")
            .body(multipart)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(one_click.status, StatusCode::OK, "{}", one_click.body);
    assert!(!m.h.tenantry.my_mail_prefs(&m.owner_scope().await).await.unwrap().prefs.product_updates);
}

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

#[tokio::test]
async fn tenant_and_personal_preferences_a_broadcast_and_its_unsubscribe_link_work_on_the_web() {
    let h = Harness::new();
    h.superuser("ops@platform.example.com").await.unwrap();
    let t = h.signup("acme").await.unwrap();
    let (keen, _) = h.add_user(&t, "keen@acme.example.com", "member").await.unwrap();
    let base = support::serve(support::state_for(&h)).await;
    let owner = Browser::login(&base, "acme", &t.owner_email).await;
    let member = Browser::login(&base, "acme", "keen@acme.example.com").await;
    let ops = Browser::login(&base, "", "ops@platform.example.com").await;

    // The tenant's notifications: a forged form changes nothing; the real one saves.
    let page = owner.get("/app/acme/settings/notifications").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("id=\"tenant-billing\"") && page.body.contains("id=\"tenant-updates\""));
    let forged = owner
        .post_raw(
            "/app/acme/settings/notifications",
            &[("csrf", "0".repeat(32).as_str()), ("product_updates", "on"), ("billing_email", "x@evil.example.com")],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let scope = h.owner_scope(&t).await.unwrap();
    assert!(!h.tenantry.get_tenant(&scope).await.unwrap().settings.notifications.product_updates);
    let bad = owner
        .post("/app/acme/settings/notifications", &[("billing_emails", "on"), ("billing_email", "not an address")])
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
    assert!(bad.body.contains("role=\"alert\""), "the refusal is shown");
    let saved = owner
        .post(
            "/app/acme/settings/notifications",
            &[("billing_emails", "on"), ("product_updates", "on"), ("billing_email", "books@acme.example.com")],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let settings = h.tenantry.get_tenant(&scope).await.unwrap().settings;
    assert!(settings.notifications.product_updates && settings.notifications.billing_emails);
    assert_eq!(settings.billing.billing_email.unwrap().as_str(), "books@acme.example.com");

    // Each person's own mail: the member has no billing choice; both opt in; the owner refuses billing mails.
    let mine = member.get("/account/notifications").await;
    assert_eq!(mine.status, StatusCode::OK, "{}", mine.body);
    assert!(!mine.body.contains("id=\"pref-billing\""), "a member receives no billing mail to refuse");
    assert_eq!(member.post("/account/notifications", &[("product_updates", "on")]).await.status, StatusCode::SEE_OTHER);
    let theirs = owner.get("/account/notifications").await;
    assert!(theirs.body.contains("id=\"pref-billing\""));
    assert_eq!(owner.post("/account/notifications", &[("product_updates", "on")]).await.status, StatusCode::SEE_OTHER);
    let owner_prefs = h.tenantry.my_mail_prefs(&scope).await.unwrap();
    assert!(owner_prefs.prefs.product_updates && !owner_prefs.prefs.billing, "{owner_prefs:?}");

    // Only the superuser reaches the broadcast pages.
    assert_eq!(member.get("/admin/broadcasts").await.status, StatusCode::NOT_FOUND);
    let sneaky = member.post("/admin/broadcasts", &[("subject", "Hi"), ("body", "Spam")]).await;
    assert_eq!(sneaky.status, StatusCode::NOT_FOUND);

    // Compose, preview (nothing queued), send.
    let compose = ops.get("/admin/broadcasts").await;
    assert_eq!(compose.status, StatusCode::OK, "{}", compose.body);
    let refused = ops.post("/admin/broadcasts/preview", &[("subject", ""), ("body", "Text")]).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.body);
    let sent_before = h.mailer.sent().len();
    let preview =
        ops.post("/admin/broadcasts/preview", &[("subject", "Timesheets, faster"), ("body", "New.\n\nMore.")]).await;
    assert_eq!(preview.status, StatusCode::OK, "{}", preview.body);
    assert!(preview.body.contains("Goes to <strong>2</strong> people in 1 workspaces"), "{}", preview.body);
    assert!(preview.body.contains("Unsubscribe from product updates"), "the preview shows the link's place");
    h.clock.advance(chrono::Duration::minutes(1));
    h.tenantry.run_due_jobs(100).await.unwrap();
    assert_eq!(h.mailer.sent().len(), sent_before, "a preview queues nothing");
    let key = {
        let at = preview.body.find("name=\"key\" value=\"").expect("the Send form carries the preview's key") + 18;
        preview.body[at..].split('"').next().unwrap().to_owned()
    };
    let form = [("subject", "Timesheets, faster"), ("body", "New.\n\nMore."), ("key", key.as_str())];
    let queued = ops.post("/admin/broadcasts", &form).await;
    assert_eq!(queued.status, StatusCode::ACCEPTED, "{}", queued.body);
    assert!(queued.body.contains("Queued for 2 people in 1 workspaces"), "{}", queued.body);
    // A second click on Send: nothing is queued twice.
    let twice = ops.post("/admin/broadcasts", &form).await;
    assert_eq!(twice.status, StatusCode::ACCEPTED, "{}", twice.body);
    assert!(twice.body.contains("Queued for 0 people") && twice.body.contains("1 workspaces had it queued already"));
    h.clock.advance(chrono::Duration::minutes(1));
    h.tenantry.run_due_jobs(100).await.unwrap();
    assert_eq!(h.mailer.count("keen@acme.example.com", "product_update"), 1);
    assert_eq!(h.mailer.count(&t.owner_email, "product_update"), 1);
    assert_eq!(h.mailer.count("books@acme.example.com", "product_update"), 0, "the billing e-mail is no person");

    // The member's link, without a session: a page with a button (a link checker unsubscribes nobody), then done.
    let anonymous = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let token = unsubscribe_token(&h, "keen@acme.example.com");
    let page = answer(anonymous.get(format!("{base}/unsubscribe?token={token}")).send().await.unwrap()).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let member_scope = h.scope(&h.login("acme", "keen@acme.example.com").await.unwrap(), t.id).await.unwrap();
    assert!(
        h.tenantry.my_mail_prefs(&member_scope).await.unwrap().prefs.product_updates,
        "showing the page changes nothing"
    );
    let forged = format!("{}x", &token[..token.len() - 1]);
    let refused =
        answer(anonymous.post(format!("{base}/unsubscribe")).form(&[("token", forged.as_str())]).send().await.unwrap())
            .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.body);
    assert!(
        h.tenantry.my_mail_prefs(&member_scope).await.unwrap().prefs.product_updates,
        "a forged link changes nothing"
    );
    let done =
        answer(anonymous.post(format!("{base}/unsubscribe")).form(&[("token", token.as_str())]).send().await.unwrap())
            .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    assert!(done.body.contains("id=\"unsubscribed\""));
    assert!(!h.tenantry.my_mail_prefs(&member_scope).await.unwrap().prefs.product_updates);
    let _ = keen;

    // The owner's, as a mail client's one-click POST (RFC 8058): the token in the URL, no Origin, no
    // cookie, and the body as the RFC says, multipart/form-data (not read).
    let token = unsubscribe_token(&h, &t.owner_email);
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
    assert!(!h.tenantry.my_mail_prefs(&scope).await.unwrap().prefs.product_updates);
    // From another site's page, refused.
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
}

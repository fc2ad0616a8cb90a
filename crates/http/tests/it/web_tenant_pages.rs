#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed step is a failed test
//! A tenant's other settings pages, without a browser: roles, API keys (the
//! secret shown once, then revoked), branding (a refusal changes nothing),
//! the audit log and its filters, GDPR exports (requested, produced by the
//! worker, downloaded); a form without the session's CSRF token is refused and
//! changes nothing; another tenant's user gets 404 from every page and form.

use crate::support;

use reqwest::StatusCode;
use reqwest::header::{CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE};
use tenantry_testkit::Harness;

use support::web::WebSession as Browser;

/// The value of the attribute `attr` of the element whose text starts at `marker`.
fn attr_after(page: &str, marker: &str, attr: &str) -> Option<String> {
    let rest = &page[page.find(marker)?..];
    let at = rest.find(&format!("{attr}=\""))? + attr.len() + 2;
    Some(rest[at..].split('"').next()?.to_owned())
}

/// The ids of the rows whose `id` starts with `prefix` (`key-`, `export-`).
fn row_ids(page: &str, prefix: &str) -> Vec<String> {
    let needle = format!("<tr id=\"{prefix}");
    page.match_indices(&needle).map(|(at, _)| page[at + needle.len()..].split('"').next().unwrap().to_owned()).collect()
}

/// The HTML of the table row with this id.
fn row<'a>(page: &'a str, id: &str) -> &'a str {
    let start = page.find(&format!("<tr id=\"{id}\"")).unwrap_or_else(|| panic!("no row {id} in {page}"));
    let end = page[start..].find("</tr>").unwrap();
    &page[start..start + end]
}

const PAGES: [&str; 5] = ["roles", "api-keys", "branding", "audit", "exports"];

#[tokio::test]
async fn every_page_answers_the_owner_and_an_api_key_is_shown_once_then_revoked() {
    let h = Harness::new();
    let t = h.signup("acme").await.unwrap();
    let base = support::serve(support::state_for(&h)).await;
    let b = Browser::login(&base, "acme", &t.owner_email).await;

    for p in PAGES {
        let page = b.get(&format!("/app/acme/settings/{p}")).await;
        assert_eq!(page.status, StatusCode::OK, "{p}: {}", page.body);
        assert!(page.body.contains("name=\"csrf\""), "{p}: the navigation's logout form carries the token");
    }
    let roles = b.get("/app/acme/settings/roles").await.body;
    for role in ["owner", "admin", "manager", "member", "viewer"] {
        assert!(roles.contains(&format!("id=\"role-{role}\"")), "{role} is listed");
    }
    assert!(roles.contains("<th scope=\"col\">Permissions</th>"));

    // Created: the secret is on the answer, once.
    let created = b.post("/app/acme/settings/api-keys", &[("name", "CI deploys"), ("role", "member")]).await;
    assert_eq!(created.status, StatusCode::OK, "{}", created.body);
    assert_eq!(created.headers.get(CACHE_CONTROL).unwrap(), "no-store");
    let secret = attr_after(&created.body, "id=\"new-key-secret\"", "value").expect("the new key's secret");
    assert!(secret.starts_with("tkey_"), "{secret}");
    assert!(created.body.contains("it is not shown again"));
    let list = b.get("/app/acme/settings/api-keys").await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(!list.body.contains(&secret), "the list never shows the secret");
    assert!(!list.body.contains("new-key-secret"));
    let keys = row_ids(&list.body, "key-");
    assert_eq!(keys.len(), 1, "{}", list.body);
    let kid = &keys[0];
    let key_row = row(&list.body, &format!("key-{kid}"));
    assert!(key_row.contains("CI deploys") && key_row.contains("member") && key_row.contains("active"), "{key_row}");

    // The secret works over the API until the key is revoked.
    let api = reqwest::Client::new();
    let me = api.get(format!("{base}/v1/me")).bearer_auth(&secret).send().await.unwrap();
    assert_eq!(me.status(), StatusCode::OK);

    // A refused key: the form again with the refusal, nothing created.
    let refused = b.post("/app/acme/settings/api-keys", &[("name", "root"), ("role", "owner")]).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.body);
    assert!(refused.body.contains("role=\"alert\""));
    assert!(!refused.body.contains("tkey_"));
    assert_eq!(row_ids(&b.get("/app/acme/settings/api-keys").await.body, "key-").len(), 1);

    // Revoked: back to the list, which says so.
    let revoked = b.post(&format!("/app/acme/settings/api-keys/{kid}/revoke"), &[]).await;
    assert_eq!(revoked.status, StatusCode::SEE_OTHER, "{}", revoked.body);
    assert_eq!(revoked.location.as_deref(), Some("/app/acme/settings/api-keys"));
    let list = b.get("/app/acme/settings/api-keys").await.body;
    let key_row = row(&list, &format!("key-{kid}"));
    assert!(key_row.contains("revoked"), "{key_row}");
    assert!(!key_row.contains("/revoke"), "a revoked key has no revoke button");
    let me = api.get(format!("{base}/v1/me")).bearer_auth(&secret).send().await.unwrap();
    assert_eq!(me.status(), StatusCode::UNAUTHORIZED);
    let again = b.post(&format!("/app/acme/settings/api-keys/{kid}/revoke"), &[]).await;
    assert_eq!(again.status, StatusCode::CONFLICT, "the use case's refusal, as a page");
    let bad = b.post("/app/acme/settings/api-keys/not-an-id/revoke", &[]).await;
    assert_eq!(bad.status, StatusCode::NOT_FOUND);

    // The audit log lists the creation and the revocation, newest first.
    let audit = b.get("/app/acme/settings/audit").await;
    assert_eq!(audit.status, StatusCode::OK);
    let created_at = audit.body.find("<code>api_key.created</code>").expect("the key's creation is audited");
    let revoked_at = audit.body.find("<code>api_key.revoked</code>").expect("the key's revocation is audited");
    assert!(revoked_at < created_at, "newest first");
    let filtered = b.get("/app/acme/settings/audit?action=api_key.created").await;
    assert_eq!(filtered.status, StatusCode::OK);
    assert!(filtered.body.contains("<code>api_key.created</code>"));
    assert!(!filtered.body.contains("<code>api_key.revoked</code>"));
    assert!(filtered.body.contains("value=\"api_key.created\""), "the filter is kept in the form");
    let unknown = b.get("/app/acme/settings/audit?action=Not%20an%20action").await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", unknown.body);
    assert!(unknown.body.contains("unknown audit action"));
    let bad_user = b.get("/app/acme/settings/audit?user=nobody").await;
    assert_eq!(bad_user.status, StatusCode::UNPROCESSABLE_ENTITY);

    // Paging: one event a page, the link leads to older ones with the same filter.
    let first = b.get("/app/acme/settings/audit?limit=1").await.body;
    assert_eq!(row_ids(&first, "event-").len(), 1);
    let next = attr_after(&first, "id=\"next-page\"", "href").expect("a next page link").replace("&amp;", "&");
    assert!(next.contains("before=") && next.contains("limit=1"), "{next}");
    let second = b.get(&next).await;
    assert_eq!(second.status, StatusCode::OK);
    let ids = row_ids(&second.body, "event-");
    assert_eq!(ids.len(), 1);
    assert_ne!(ids, row_ids(&first, "event-"), "the next page is another event");
}

#[tokio::test]
async fn branding_is_saved_or_refused_whole() {
    let h = Harness::new();
    let t = h.signup("acme").await.unwrap();
    let base = support::serve(support::state_for(&h)).await;
    let b = Browser::login(&base, "acme", &t.owner_email).await;

    let bad = b
        .post("/app/acme/settings/branding", &[("primary_color", "red"), ("logo_url", "https://cdn.example.com/a.png")])
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
    assert!(bad.body.contains("role=\"alert\""));
    assert!(bad.body.contains("value=\"red\""), "the typed value is kept for correction");
    let page = b.get("/app/acme/settings/branding").await.body;
    assert!(!page.contains("cdn.example.com"), "nothing changed: the logo of the refused form was not saved");
    assert!(attr_after(&page, "id=\"primary-color\"", "value").unwrap().is_empty());

    let http = b
        .post("/app/acme/settings/branding", &[("primary_color", "#112233"), ("logo_url", "http://x.example.com")])
        .await;
    assert_eq!(http.status, StatusCode::UNPROCESSABLE_ENTITY, "a logo must be https");

    let good = b
        .post(
            "/app/acme/settings/branding",
            &[("primary_color", "#1A2B3C"), ("logo_url", "https://cdn.example.com/a.png")],
        )
        .await;
    assert_eq!(good.status, StatusCode::SEE_OTHER, "{}", good.body);
    let shown = b.get(good.location.as_deref().unwrap()).await;
    assert_eq!(shown.status, StatusCode::OK);
    assert!(shown.body.contains("id=\"branding-saved\""));
    assert_eq!(attr_after(&shown.body, "id=\"primary-color\"", "value").as_deref(), Some("#1a2b3c"));
    assert_eq!(attr_after(&shown.body, "id=\"logo-url\"", "value").as_deref(), Some("https://cdn.example.com/a.png"));
    assert!(shown.body.contains("id=\"current-color\""));
    // The logo stands beside the tenant's name on its pages, and the colour is their accent.
    let home = b.get("/app/acme").await.body;
    assert!(home.contains("<img class=\"logo\" src=\"https://cdn.example.com/a.png\""), "{home}");
    assert!(home.contains("href=\"/app/acme/brand.css\""), "{home}");
    let css = b.get("/app/acme/brand.css").await;
    assert_eq!(css.headers.get(CONTENT_TYPE).unwrap(), "text/css; charset=utf-8");
    assert_eq!(css.body.trim(), ":root { --accent: #1a2b3c; }");

    // Emptied fields clear the branding.
    let cleared = b.post("/app/acme/settings/branding", &[("primary_color", ""), ("logo_url", "")]).await;
    assert_eq!(cleared.status, StatusCode::SEE_OTHER);
    let page = b.get("/app/acme/settings/branding").await.body;
    assert!(!page.contains("#1a2b3c") && !page.contains("cdn.example.com"));
}

#[tokio::test]
async fn an_export_is_requested_produced_and_downloaded() {
    let h = Harness::new();
    let t = h.signup("acme").await.unwrap();
    let base = support::serve(support::state_for(&h)).await;
    let b = Browser::login(&base, "acme", &t.owner_email).await;

    assert!(b.get("/app/acme/settings/exports").await.body.contains("id=\"no-exports\""));
    let asked = b.post("/app/acme/settings/exports", &[]).await;
    assert_eq!(asked.status, StatusCode::SEE_OTHER, "{}", asked.body);
    let location = asked.location.unwrap();
    let eid = location.split("requested=").nth(1).expect("the new export is pointed at").to_owned();
    let list = b.get(&location).await.body;
    assert!(list.contains("id=\"export-notice\""));
    assert!(row(&list, &format!("export-{eid}")).contains("queued"));
    assert!(!list.contains("/download"), "nothing to download yet");
    let early = b.get(&format!("/app/acme/settings/exports/{eid}/download")).await;
    assert_eq!(early.status, StatusCode::CONFLICT, "not ready: the use case's refusal");

    // Asked again while queued: the same one.
    let again = b.post("/app/acme/settings/exports", &[]).await;
    assert_eq!(again.status, StatusCode::SEE_OTHER);
    assert_eq!(again.location.as_deref(), Some(format!("/app/acme/settings/exports?running={eid}").as_str()));
    assert_eq!(row_ids(&b.get("/app/acme/settings/exports").await.body, "export-").len(), 1);

    h.tick().await;
    let list = b.get("/app/acme/settings/exports").await.body;
    let export_row = row(&list, &format!("export-{eid}"));
    assert!(export_row.contains("ready") && export_row.contains("100%"), "{export_row}");
    let href = format!("/app/acme/settings/exports/{eid}/download");
    assert!(export_row.contains(&href));
    let archive = b.get(&href).await;
    assert_eq!(archive.status, StatusCode::OK, "{}", archive.body);
    assert_eq!(archive.headers.get(CONTENT_TYPE).unwrap(), "application/json");
    assert_eq!(archive.headers.get(CACHE_CONTROL).unwrap(), "no-store");
    let disposition = archive.headers.get(CONTENT_DISPOSITION).unwrap().to_str().unwrap();
    assert!(disposition.starts_with("attachment; filename=\"tenantry-export-acme"), "{disposition}");
    let document: serde_json::Value = serde_json::from_str(&archive.body).unwrap();
    assert!(document.is_object());
    assert!(archive.body.contains(&t.owner_email), "the archive holds the tenant's data");
    assert_eq!(b.get("/app/acme/settings/exports/nope/download").await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_form_without_the_sessions_token_is_refused_and_changes_nothing() {
    let h = Harness::new();
    let t = h.signup("acme").await.unwrap();
    let base = support::serve(support::state_for(&h)).await;
    let b = Browser::login(&base, "acme", &t.owner_email).await;
    let kept = b.post("/app/acme/settings/api-keys", &[("name", "kept"), ("role", "viewer")]).await;
    assert_eq!(kept.status, StatusCode::OK);
    let kid = row_ids(&b.get("/app/acme/settings/api-keys").await.body, "key-").remove(0);

    for csrf in ["", "0123456789abcdef0123456789abcdef"] {
        let key =
            b.post_raw("/app/acme/settings/api-keys", &[("csrf", csrf), ("name", "forged"), ("role", "admin")]).await;
        assert_eq!(key.status, StatusCode::FORBIDDEN, "{}", key.body);
        let revoke = b.post_raw(&format!("/app/acme/settings/api-keys/{kid}/revoke"), &[("csrf", csrf)]).await;
        assert_eq!(revoke.status, StatusCode::FORBIDDEN);
        let brand = b
            .post_raw("/app/acme/settings/branding", &[("csrf", csrf), ("primary_color", "#ff0000"), ("logo_url", "")])
            .await;
        assert_eq!(brand.status, StatusCode::FORBIDDEN);
        let export = b.post_raw("/app/acme/settings/exports", &[("csrf", csrf)]).await;
        assert_eq!(export.status, StatusCode::FORBIDDEN);
    }
    let missing = b.post_raw("/app/acme/settings/exports", &[]).await;
    assert!(missing.status.is_client_error(), "no token at all: {}", missing.status);

    let list = b.get("/app/acme/settings/api-keys").await.body;
    assert_eq!(row_ids(&list, "key-"), vec![kid.clone()], "no key created");
    assert!(row(&list, &format!("key-{kid}")).contains("active"), "not revoked");
    assert!(!b.get("/app/acme/settings/branding").await.body.contains("#ff0000"));
    assert!(b.get("/app/acme/settings/exports").await.body.contains("id=\"no-exports\""));
}

#[tokio::test]
async fn another_tenants_user_gets_404_from_every_page_and_form() {
    let h = Harness::new();
    let acme = h.signup("acme").await.unwrap();
    let globex = h.signup("globex").await.unwrap();
    let base = support::serve(support::state_for(&h)).await;
    let owner = Browser::login(&base, "acme", &acme.owner_email).await;
    owner.post("/app/acme/settings/api-keys", &[("name", "acme key"), ("role", "member")]).await;
    let kid = row_ids(&owner.get("/app/acme/settings/api-keys").await.body, "key-").remove(0);
    owner.post("/app/acme/settings/exports", &[]).await;
    h.tick().await;
    let eid = row_ids(&owner.get("/app/acme/settings/exports").await.body, "export-").remove(0);

    let intruder = Browser::login(&base, "globex", &globex.owner_email).await;
    for p in PAGES {
        let page = intruder.get(&format!("/app/acme/settings/{p}")).await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{p}");
        assert!(!page.body.contains("acme key"));
    }
    let download = intruder.get(&format!("/app/acme/settings/exports/{eid}/download")).await;
    assert_eq!(download.status, StatusCode::NOT_FOUND);
    assert!(!download.body.contains(&acme.owner_email));
    let posts: [(String, Vec<(&str, &str)>); 4] = [
        ("/app/acme/settings/api-keys".to_owned(), vec![("name", "stolen"), ("role", "admin")]),
        (format!("/app/acme/settings/api-keys/{kid}/revoke"), vec![]),
        ("/app/acme/settings/branding".to_owned(), vec![("primary_color", "#ff0000"), ("logo_url", "")]),
        ("/app/acme/settings/exports".to_owned(), vec![]),
    ];
    for (path, form) in &posts {
        let answer = intruder.post(path, form).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{path}: {}", answer.body);
        assert!(!answer.body.contains("tkey_"));
    }
    // Their own pages still answer.
    assert_eq!(intruder.get("/app/globex/settings/api-keys").await.status, StatusCode::OK);

    // acme is unchanged.
    let list = owner.get("/app/acme/settings/api-keys").await.body;
    assert_eq!(row_ids(&list, "key-"), vec![kid.clone()]);
    assert!(row(&list, &format!("key-{kid}")).contains("active"));
    assert!(!owner.get("/app/acme/settings/branding").await.body.contains("#ff0000"));
    assert_eq!(row_ids(&owner.get("/app/acme/settings/exports").await.body, "export-"), vec![eid]);
}

#[tokio::test]
async fn a_custom_role_is_made_from_checkboxes_refused_whole_when_invalid_and_deleted() {
    let h = Harness::new();
    let acme = h.signup("acme").await.unwrap();
    let globex = h.signup("globex").await.unwrap();
    let base = support::serve(support::state_for(&h)).await;
    let owner = Browser::login(&base, "acme", &acme.owner_email).await;
    let page = owner.get("/app/acme/settings/roles").await.body;
    assert!(page.contains("name=\"perm.audit:read\""), "every permission is offered");
    // No name: refused, nothing made.
    let refused = owner.post("/app/acme/settings/roles", &[("name", ""), ("perm.audit:read", "on")]).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.body);
    assert!(!refused.body.contains(">custom<"));
    let made = owner
        .post("/app/acme/settings/roles", &[("name", "Auditor"), ("perm.audit:read", "on"), ("perm.usage:read", "on")])
        .await;
    assert_eq!((made.status, made.location.as_deref()), (StatusCode::SEE_OTHER, Some("/app/acme/settings/roles")));
    let list = owner.get("/app/acme/settings/roles").await.body;
    let roles = h.tenantry.list_roles(&h.owner_scope(&acme).await.unwrap()).await.unwrap();
    let auditor = roles.iter().find(|r| r.name == "Auditor").expect("made");
    assert_eq!(auditor.permissions, vec!["audit:read".to_owned(), "usage:read".to_owned()]);
    let delete = format!("/app/acme/settings/roles/{}/delete", auditor.id.unwrap());
    assert!(list.contains(&delete));
    // Another tenant cannot delete it (404), nor make one here.
    let intruder = Browser::login(&base, "globex", &globex.owner_email).await;
    assert_eq!(intruder.post(&delete, &[]).await.status, StatusCode::NOT_FOUND);
    assert_eq!(intruder.post("/app/acme/settings/roles", &[("name", "Spy")]).await.status, StatusCode::NOT_FOUND);
    let deleted = owner.post(&delete, &[]).await;
    assert_eq!(deleted.status, StatusCode::SEE_OTHER, "{}", deleted.body);
    let roles = h.tenantry.list_roles(&h.owner_scope(&acme).await.unwrap()).await.unwrap();
    assert!(roles.iter().all(|r| r.builtin), "only the built-in roles are left");
}

/// The billing simulator's hosted pages act only for a signed-in user of the
/// session's tenant who may manage billing: an anonymous browser is sent to
/// the login and back, another tenant's owner gets 404 (audited), a member
/// 403; ids are 256 random bits, end (Checkout after 24 hours, the Portal after
/// one), and a form needs the session's CSRF token; a return address is
/// followed only when it is a plain path here.
#[tokio::test]
async fn the_hosted_billing_pages_act_only_for_a_signed_in_user_who_may_manage_billing() {
    let h = Harness::new();
    let acme = h.signup("acme").await.unwrap();
    let other = h.signup("other").await.unwrap();
    h.add_user(&acme, "mia@acme.example.com", "member").await.unwrap();
    let base = support::serve(support::state_for(&h)).await;
    let scope = h.owner_scope(&acme).await.unwrap();
    let checkout = h
        .tenantry
        .checkout_session(&scope, &tenantry_ports::payment::ReturnPath::from_static("/app/acme/settings"))
        .await
        .unwrap();
    let portal = h
        .tenantry
        .portal_session(&scope, &tenantry_ports::payment::ReturnPath::from_static("/app/acme/settings"))
        .await
        .unwrap();
    let second = h
        .tenantry
        .checkout_session(&scope, &tenantry_ports::payment::ReturnPath::from_static("/app/acme/settings"))
        .await
        .unwrap();
    for s in [&checkout, &portal, &second] {
        let secret = s.id.rsplit('_').next().unwrap();
        assert!(secret.len() == 64 && secret.chars().all(|c| c.is_ascii_hexdigit()), "{}", s.id);
    }
    assert_ne!(checkout.id, second.id);
    let checkout_path = checkout.url.split('?').next().unwrap().to_owned();
    let portal_path = portal.url.split('?').next().unwrap().to_owned();

    // Anonymous: to the login and, once signed in, back to the page.
    let anonymous = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let page = support::web::answer(anonymous.get(format!("{base}{}", checkout.url)).send().await.unwrap()).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    let to_login = page.location.unwrap();
    assert!(to_login.starts_with("/login?next=%2Fbilling%2Fsimulator%2Fcheckout%2F"), "{to_login}");
    let login_page = support::web::answer(anonymous.get(format!("{base}{to_login}")).send().await.unwrap()).await;
    assert!(login_page.body.contains(&format!("name=\"next\" value=\"{}", checkout_path)), "{}", login_page.body);
    let form = [
        ("tenant", "acme"),
        ("email", acme.owner_email.as_str()),
        ("password", tenantry_testkit::harness::PASSWORD),
        ("next", checkout.url.as_str()),
    ];
    let signed_in =
        support::web::answer(anonymous.post(format!("{base}/login")).form(&form).send().await.unwrap()).await;
    assert_eq!((signed_in.status, signed_in.location.as_deref()), (StatusCode::SEE_OTHER, Some(checkout.url.as_str())));
    for path in [&checkout_path, &portal_path] {
        let posted = anonymous.post(format!("{base}{path}")).form(&[("card", "declines")]).send().await.unwrap();
        assert_eq!(posted.status(), StatusCode::SEE_OTHER, "an anonymous post goes to the login");
    }
    assert!(h.simulator.customer_of(acme.id).is_some());
    assert!(!h.tenantry.subscription_view(&scope).await.unwrap().payment_method_on_file, "nothing was attached");

    // Another tenant's owner: 404 on every page and form, and the attempt is in the platform's log.
    let stranger = Browser::login(&base, "other", &other.owner_email).await;
    for path in [&checkout.url, &portal.url] {
        assert_eq!(stranger.get(path).await.status, StatusCode::NOT_FOUND, "{path}");
    }
    for path in [&checkout_path, &portal_path] {
        let posted = stranger.post(path, &[("card", "declines"), ("return_to", "/")]).await;
        assert_eq!(posted.status, StatusCode::NOT_FOUND, "{path}");
    }
    // A member of the tenant may not manage billing: 403.
    let mia = Browser::login(&base, "acme", "mia@acme.example.com").await;
    assert_eq!(mia.get(&checkout.url).await.status, StatusCode::FORBIDDEN);
    assert_eq!(mia.post(&portal_path, &[("card", "declines")]).await.status, StatusCode::FORBIDDEN);

    // The owner: the pages, a portal id on the checkout's path is nothing, the CSRF token is required.
    let owner = Browser::login(&base, "acme", &acme.owner_email).await;
    let page = owner.get(&checkout.url).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains(&format!("name=\"csrf\" value=\"{}\"", owner.csrf)));
    assert_eq!(owner.get(&portal_path.replace("/portal/", "/checkout/")).await.status, StatusCode::NOT_FOUND);
    let forged =
        owner.post_raw(&checkout_path, &[("card", "succeeds"), ("csrf", "0123456789abcdef0123456789abcdef")]).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert!(!h.tenantry.subscription_view(&scope).await.unwrap().payment_method_on_file);
    // A return address that browsers would read as another host is not followed.
    let done = owner.post(&checkout_path, &[("card", "succeeds"), ("return_to", "/\t/evil.example.com")]).await;
    assert_eq!((done.status, done.location.as_deref()), (StatusCode::SEE_OTHER, Some("/")), "{}", done.body);
    assert!(h.tenantry.subscription_view(&scope).await.unwrap().payment_method_on_file);
    let portal_page = owner.get(&portal.url).await;
    assert_eq!(portal_page.status, StatusCode::OK, "{}", portal_page.body);

    // Sessions end: the Portal after an hour, Checkout after 24 hours.
    h.clock.advance(chrono::Duration::minutes(61));
    let owner = Browser::login(&base, "acme", &acme.owner_email).await;
    assert_eq!(owner.get(&portal.url).await.status, StatusCode::NOT_FOUND);
    assert_eq!(owner.get(&second.url).await.status, StatusCode::OK);
    h.clock.advance(chrono::Duration::hours(23));
    let owner = Browser::login(&base, "acme", &acme.owner_email).await;
    assert_eq!(owner.get(&second.url).await.status, StatusCode::NOT_FOUND);
}

/// Under the `required` trial policy (the binary's default) a new tenant's
/// owner sees only `/start` — every tenant page leads there — until the
/// simulator's setup Checkout, reached by its button, puts a card on file;
/// then the trial shows on the billing page and the pages open.
#[tokio::test]
async fn a_tenant_waiting_for_its_payment_method_sees_only_the_start_page_until_the_checkout() {
    use tenantry_domain::settings::PaymentMethodAtSignup;
    let h = Harness::builder().payment_method_at_signup(PaymentMethodAtSignup::Required).build();
    let t = h.signup("acme").await.unwrap();
    let base = support::serve(support::state_for(&h)).await;
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let form =
        [("tenant", "acme"), ("email", t.owner_email.as_str()), ("password", tenantry_testkit::harness::PASSWORD)];
    let login = http.post(format!("{base}/login")).form(&form).send().await.unwrap();
    assert_eq!(login.status(), StatusCode::SEE_OTHER);
    let set = login.headers().get(reqwest::header::SET_COOKIE).unwrap().to_str().unwrap();
    let cookie = set.split(';').next().unwrap().to_owned();
    let get = |path: String| {
        let (http, cookie) = (http.clone(), cookie.clone());
        async move {
            support::web::answer(http.get(path).header(reqwest::header::COOKIE, cookie).send().await.unwrap()).await
        }
    };
    for page in ["/app/acme", "/app/acme/settings", "/app/acme/settings/users", "/app/acme/settings/roles"] {
        let answer = get(format!("{base}{page}")).await;
        assert_eq!(answer.status, StatusCode::SEE_OTHER, "{page}");
        assert_eq!(answer.headers.get(reqwest::header::LOCATION).unwrap(), "/start", "{page}");
    }
    let start = get(format!("{base}/start")).await;
    assert_eq!(start.status, StatusCode::OK, "{}", start.body);
    assert!(start.body.contains("Add a payment method to start your trial"), "{}", start.body);
    assert!(start.body.contains("8 November 2026"), "the unfinished signup's deletion date: {}", start.body);
    let csrf = support::web::csrf_in(&start.body).unwrap();
    // A form without the session's token changes nothing.
    let forged = http
        .post(format!("{base}/start/checkout"))
        .header(reqwest::header::COOKIE, &cookie)
        .form(&[("csrf", "forged")])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    let to_checkout = http
        .post(format!("{base}/start/checkout"))
        .header(reqwest::header::COOKIE, &cookie)
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(to_checkout.status(), StatusCode::SEE_OTHER);
    let checkout = to_checkout.headers().get(reqwest::header::LOCATION).unwrap().to_str().unwrap().to_owned();
    assert!(checkout.starts_with("/billing/simulator/checkout/"), "{checkout}");
    let page = get(format!("{base}{checkout}")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let csrf = support::web::csrf_in(&page.body).unwrap();
    let action = checkout.split('?').next().unwrap();
    let done = http
        .post(format!("{base}{action}"))
        .header(reqwest::header::COOKIE, &cookie)
        .form(&[("csrf", csrf.as_str()), ("card", "succeeds"), ("return_to", "/app/acme/settings?done=card")])
        .send()
        .await
        .unwrap();
    assert_eq!(done.status(), StatusCode::SEE_OTHER);
    assert_eq!(done.headers().get(reqwest::header::LOCATION).unwrap(), "/app/acme/settings?done=card");
    let billing = get(format!("{base}/app/acme/settings?done=card")).await;
    assert_eq!(billing.status, StatusCode::OK, "{}", billing.body);
    assert!(billing.body.contains("badge-trial"), "{}", billing.body);
    assert_eq!(get(format!("{base}/app/acme/settings/users")).await.status, StatusCode::OK);
    let back = get(format!("{base}/start")).await;
    assert_eq!(back.headers.get(reqwest::header::LOCATION).unwrap(), "/app/acme", "the wait is over");
}

/// DESIGN.md "Dunning": while a payment is past due, every page of an owner
/// or admin carries the notice with the grace period's end and the button to
/// the payment method (the simulator's portal here); a member's pages do not.
#[tokio::test]
async fn while_a_payment_is_past_due_every_admin_page_says_until_when_and_offers_the_fix() {
    let h = Harness::new();
    let t = h.paid_tenant("dun", 3).await.unwrap(); // monthly from 2026-11-01
    h.add_user(&t, "mo@dun.example.com", "member").await.unwrap();
    h.add_card(t.id, tenantry_testkit::TestCard::Declines).await.unwrap();
    h.advance_days(30).await; // the renewal on 12-01 fails
    let base = support::serve(support::state_for(&h)).await;
    let owner = Browser::login(&base, "dun", &t.owner_email).await;
    for page in ["/app/dun", "/app/dun/settings/users", "/app/dun/settings/roles"] {
        let answer = owner.get(page).await;
        assert_eq!(answer.status, StatusCode::OK, "{page}");
        assert!(answer.body.contains("id=\"dunning\""), "{page}: {}", answer.body);
        assert!(answer.body.contains("by 15 December 2026"), "{page}: the grace period's end: {}", answer.body);
    }
    let to_portal = owner.post("/app/dun/settings/portal", &[]).await;
    assert_eq!(to_portal.status, StatusCode::SEE_OTHER);
    assert!(
        to_portal
            .headers
            .get(reqwest::header::LOCATION)
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("/billing/simulator/portal/")
    );
    let member = Browser::login(&base, "dun", "mo@dun.example.com").await;
    assert!(!member.get("/app/dun").await.body.contains("id=\"dunning\""), "a member is not asked to pay");
    // Paid again: the notice is gone.
    h.add_card(t.id, tenantry_testkit::TestCard::Succeeds).await.unwrap();
    h.advance_days(3).await;
    assert!(!owner.get("/app/dun").await.body.contains("id=\"dunning\""));
}

/// The billing simulator's invoice links (what the invoice list and the
/// receipt mail carry) open without signing in for whoever holds them — the
/// page with its total, and a real PDF as an unsniffable private download —
/// and a wrong or missing key is 404.
#[tokio::test]
async fn the_simulators_invoice_page_and_pdf_open_with_their_link_and_only_with_it() {
    let h = Harness::new();
    let t = h.paid_tenant("inv", 3).await.unwrap();
    let base = support::serve(support::state_for(&h)).await;
    let owner = h.owner_scope(&t).await.unwrap();
    let invoice = h.tenantry.invoices(&owner).await.unwrap().remove(0);
    let (page, pdf) = (invoice.hosted_url.unwrap(), invoice.pdf_url.unwrap());
    let anonymous = reqwest::Client::new();
    let answer = anonymous.get(format!("{base}{page}")).send().await.unwrap();
    assert_eq!(answer.status(), StatusCode::OK);
    assert_eq!(answer.headers().get(CACHE_CONTROL).unwrap(), "private, no-store");
    let body = answer.text().await.unwrap();
    assert!(body.contains("id=\"invoice-total\">€49.95"), "{body}");
    let answer = anonymous.get(format!("{base}{pdf}")).send().await.unwrap();
    assert_eq!(answer.status(), StatusCode::OK);
    assert_eq!(answer.headers().get(CONTENT_TYPE).unwrap(), "application/pdf");
    assert!(answer.headers().get(CONTENT_DISPOSITION).unwrap().to_str().unwrap().starts_with("attachment"));
    assert_eq!(answer.headers().get("x-content-type-options").unwrap(), "nosniff");
    let bytes = answer.bytes().await.unwrap();
    assert!(bytes.starts_with(b"%PDF-") && bytes.len() > 500, "a PDF document");
    let (path, _) = pdf.split_once("?key=").unwrap();
    for wrong in [path.to_owned(), format!("{path}?key=0000"), format!("{path}?key=")] {
        let answer = anonymous.get(format!("{base}{wrong}")).send().await.unwrap();
        assert_eq!(answer.status(), StatusCode::NOT_FOUND, "{wrong}");
    }
}

/// Issue 25: the workspace's default language and time zone, set on the
/// branding page, are what a user who chose nothing reads in (pages and
/// moments); a user's own choice in their profile beats it; a time zone
/// tenantry does not know is refused with nothing changed.
#[tokio::test]
async fn the_workspace_language_and_time_zone_are_the_default_of_whoever_chose_none() {
    use tenantry_domain::preferences::{Language, TimeZone};
    let h = Harness::new();
    let t = h.signup("acme").await.unwrap();
    h.add_user(&t, "nina@acme.example.com", "member").await.unwrap();
    h.add_user(&t, "eric@acme.example.com", "member").await.unwrap();
    let base = support::serve(support::state_for(&h)).await;
    let owner = Browser::login(&base, "acme", &t.owner_email).await;

    // Unset: the form offers the reader's browser and UTC, labelled; the pages are English.
    let page = owner.get("/app/acme/settings/branding").await.body;
    assert!(page.contains("<html lang=\"en\">"), "{page}");
    assert!(page.contains("action=\"/app/acme/settings/locale\""), "{page}");
    for field in ["workspace-language", "workspace-time-zone"] {
        assert!(page.contains(&format!("for=\"{field}\"")), "{field} is labelled");
    }
    assert!(page.contains("<option value=\"\" selected>The reader's browser decides</option>"), "{page}");
    assert!(page.contains("<option value=\"\" selected>UTC</option>"), "{page}");
    assert!(page.contains("<option value=\"nl\" lang=\"nl\">Nederlands</option>"), "each language in itself");

    // Eric chooses English for himself; Nina chooses nothing.
    let eric = Browser::login(&base, "acme", "eric@acme.example.com").await;
    let chose = eric.post("/app/acme/profile/preferences", &[("language", "en"), ("time_zone", "")]).await;
    assert_eq!(chose.status, StatusCode::SEE_OTHER, "{}", chose.body);

    // The owner sets the workspace to Dutch in Amsterdam.
    let saved = owner.post("/app/acme/settings/locale", &[("language", "nl"), ("time_zone", "Europe/Amsterdam")]).await;
    assert_eq!(
        (saved.status, saved.location.as_deref()),
        (StatusCode::SEE_OTHER, Some("/app/acme/settings/branding?saved=locale")),
        "{}",
        saved.body
    );
    let scope = h.owner_scope(&t).await.unwrap();
    let defaults = h.tenantry.get_tenant(&scope).await.unwrap().settings.defaults;
    assert_eq!(defaults.language, Some(Language::Nl));
    assert_eq!(defaults.time_zone, Some(TimeZone::parse("Europe/Amsterdam").unwrap()));
    let page = owner.get("/app/acme/settings/branding?saved=locale").await.body;
    assert!(page.contains("<html lang=\"nl\">"), "the owner chose nothing either: {page}");
    assert!(page.contains("De taal en tijdzone zijn opgeslagen."), "the language form's notice, in Dutch: {page}");
    assert!(page.contains("<option value=\"nl\" lang=\"nl\" selected>Nederlands</option>"), "{page}");
    assert!(page.contains("<option value=\"Europe/Amsterdam\" selected>Europe/Amsterdam</option>"), "{page}");

    // Moments are written in the workspace's zone: an audit event at its instant in Amsterdam.
    let audit = owner.get("/app/acme/settings/audit").await.body;
    let at = attr_after(&audit, "<time ", "datetime").expect("an event");
    let shown = audit[audit.find(&format!("datetime=\"{at}\">")).unwrap()..].split('>').nth(1).unwrap();
    let shown = shown.split('<').next().unwrap();
    let amsterdam = TimeZone::parse("Europe/Amsterdam").unwrap().tz();
    let local = chrono::DateTime::parse_from_rfc3339(&at).unwrap().with_timezone(&amsterdam);
    assert!(shown.ends_with(&format!(" om {}", local.format("%H:%M"))), "{shown} is {at} in Amsterdam, in Dutch");

    // Nina chose nothing: Dutch. Eric chose English: English.
    let nina = Browser::login(&base, "acme", "nina@acme.example.com").await;
    let home = nina.get("/app/acme").await.body;
    assert!(home.contains("<html lang=\"nl\">"), "{home}");
    assert!(home.contains("Aan de slag"), "{home}");
    let home = eric.get("/app/acme").await.body;
    assert!(home.contains("<html lang=\"en\">"), "{home}");
    assert!(home.contains("Getting started"), "{home}");

    // A time zone tenantry does not know: refused, the summary leads to the field, nothing changed.
    let bad = owner.post("/app/acme/settings/locale", &[("language", "en"), ("time_zone", "Mars/Olympus")]).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
    assert!(bad.body.contains("class=\"error-summary\" role=\"alert\""), "{}", bad.body);
    assert!(bad.body.contains("href=\"#workspace-time-zone\""), "{}", bad.body);
    assert!(bad.body.contains("<option value=\"en\" lang=\"en\" selected>English</option>"), "the choice is kept");
    assert_eq!(h.tenantry.get_tenant(&scope).await.unwrap().settings.defaults, defaults);
    assert!(nina.get("/app/acme").await.body.contains("<html lang=\"nl\">"));
    // Without the session's token: refused, nothing changed.
    let forged = owner
        .post_raw("/app/acme/settings/locale", &[("csrf", "0123456789abcdef0123456789abcdef"), ("language", "en")])
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert_eq!(h.tenantry.get_tenant(&scope).await.unwrap().settings.defaults, defaults);
}

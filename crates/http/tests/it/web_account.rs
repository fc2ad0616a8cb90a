#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed step is a failed test
//! The rest of the account flows (issue 24): an address changed by a link to
//! the new one (the old one told), language and time zone, `/find-workspace`
//! (one mail per workspace, the same page whatever the address, a platform
//! record with the address hashed), and the superuser's own profile.

use crate::support;

use reqwest::StatusCode;
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;
use support::web::WebSession as Browser;
use tenantry_ports::services::audit::AuditFilter;
use tenantry_ports::services::auth::LoginInput;
use tenantry_testkit::Harness;
use tenantry_testkit::harness::PASSWORD;

fn login_input(slug: &str, email: &str) -> LoginInput {
    LoginInput { tenant: Some(slug.into()), email: email.into(), password: SecretString::from(PASSWORD) }
}

#[tokio::test]
async fn an_address_moves_only_by_the_link_to_the_new_one_and_the_old_one_is_told() {
    let h = Harness::new();
    let t = h.signup("acme").await.unwrap();
    h.add_user(&t, "bob@acme.example.com", "member").await.unwrap();
    let base = support::serve(support::state_for(&h)).await;
    let b = Browser::login(&base, "acme", &t.owner_email).await;
    let page = b.get("/app/acme/profile").await;
    for field in ["new_email", "email_password", "language", "time_zone"] {
        assert!(page.body.contains(&format!("for=\"{field}\"")), "{field} is labelled");
    }

    // Refusals change nothing and name the field to correct.
    let wrong = b
        .post("/app/acme/profile/email", &[("new_email", "olive@new.example.com"), ("password", "not it at all")])
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", wrong.body);
    assert!(wrong.body.contains("href=\"#email_password\""), "the summary links the field: {}", wrong.body);
    let taken =
        b.post("/app/acme/profile/email", &[("new_email", "bob@acme.example.com"), ("password", PASSWORD)]).await;
    assert_eq!(taken.status, StatusCode::CONFLICT, "{}", taken.body);
    assert!(taken.body.contains("href=\"#new_email\""), "{}", taken.body);
    let same = b.post("/app/acme/profile/email", &[("new_email", &t.owner_email), ("password", PASSWORD)]).await;
    assert_eq!(same.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", same.body);
    assert!(h.mailer.email_change_token("olive@new.example.com").is_none(), "nothing mailed");

    // A reset link mailed to the old address before the change.
    h.tenantry
        .request_password_reset(tenantry_ports::services::account::ResetRequest {
            tenant: "acme".into(),
            email: t.owner_email.clone(),
        })
        .await
        .unwrap();
    let old_reset = h.mailer.reset_token(&t.owner_email).unwrap();

    let asked =
        b.post("/app/acme/profile/email", &[("new_email", "Olive@New.example.com"), ("password", PASSWORD)]).await;
    assert_eq!(asked.status, StatusCode::SEE_OTHER, "{}", asked.body);
    assert_eq!(h.mailer.count(&t.owner_email, "email_change_requested"), 1, "the old address is told");
    let told = h.mailer.sent_to(&t.owner_email).into_iter().last().unwrap();
    let rendered = tenantry_mail::templates::render(&told, &Default::default());
    assert!(rendered.text.contains("olive@new.example.com") && !rendered.text.contains("tchg_"), "{}", rendered.text);
    let token = h.mailer.email_change_token("olive@new.example.com").expect("the link went to the new address");
    assert!(h.login("acme", &t.owner_email).await.is_ok(), "nothing moved before the link is followed");

    // The mailed link: GET shows a button (a scanner's prefetch changes nothing), POST moves the account.
    let link = format!("/email-change?token={}", token.expose_secret());
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let shown = support::web::answer(http.get(format!("{base}{link}")).send().await.unwrap()).await;
    assert_eq!(shown.status, StatusCode::OK);
    assert!(shown.body.contains("Use this address"));
    assert!(h.login("acme", &t.owner_email).await.is_ok(), "opening the link moves nothing");
    let done = support::web::answer(
        http.post(format!("{base}/email-change")).form(&[("token", token.expose_secret())]).send().await.unwrap(),
    )
    .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    assert!(done.body.contains("Your address is changed"));
    assert!(h.login("acme", &t.owner_email).await.is_err(), "the old address signs in no more");
    let me = h.tenantry.login(login_input("acme", "olive@new.example.com")).await.unwrap();
    let scope = h.scope(&me.principal, t.id).await.unwrap();
    let view = h.tenantry.me(&scope).await.unwrap();
    assert_eq!(view.user.email, "olive@new.example.com");
    assert!(view.user.email_verified, "the link that reached it proved it");

    // The link works once; the reset mailed to the old address is void.
    let again = support::web::answer(
        http.post(format!("{base}/email-change")).form(&[("token", token.expose_secret())]).send().await.unwrap(),
    )
    .await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.body);
    assert!(again.body.contains("the link was used already"), "{}", again.body);
    let reset = h
        .tenantry
        .confirm_password_reset(tenantry_ports::services::account::ResetConfirmation {
            token: old_reset,
            password: SecretString::from("another long passphrase 2"),
        })
        .await;
    assert!(reset.is_err(), "a reset link of the old address no longer works");

    // Audited: the failed try, the request, the change.
    let log = h.tenantry.audit_events(&scope, AuditFilter::default()).await.unwrap();
    let actions: Vec<(String, String)> =
        log.events.iter().map(|e| (e.action.as_str().to_owned(), format!("{:?}", e.outcome))).collect();
    for (action, outcome) in [
        ("user.email_change_requested", "Failed"),
        ("user.email_change_requested", "Success"),
        ("user.email_changed", "Success"),
    ] {
        assert!(actions.contains(&(action.into(), outcome.into())), "{action} {outcome}: {actions:?}");
    }
}

#[tokio::test]
async fn the_api_changes_the_address_language_and_time_zone_of_the_caller_only() {
    let h = Harness::new();
    let t = h.signup("acme").await.unwrap();
    let base = support::serve(support::state_for(&h)).await;
    let http = reqwest::Client::new();
    let login: serde_json::Value = http
        .post(format!("{base}/v1/auth/login"))
        .json(&json!({"tenant": "acme", "email": t.owner_email, "password": PASSWORD}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let bearer = format!("Bearer {}", login["access_token"].as_str().unwrap());
    let patch = |body: serde_json::Value| {
        http.patch(format!("{base}/v1/me")).header("authorization", &bearer).json(&body).send()
    };
    // One refused field changes nothing, not even the valid one beside it.
    let refused = patch(json!({"name": "Olive", "time_zone": "Mars/Olympus"})).await.unwrap();
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let problem: serde_json::Value = refused.json().await.unwrap();
    assert_eq!(problem["code"], "invalid_preference", "{problem}");
    let chosen = patch(json!({"language": "nl", "time_zone": "Europe/Amsterdam"})).await.unwrap();
    assert_eq!(chosen.status(), StatusCode::OK);
    let view: serde_json::Value = chosen.json().await.unwrap();
    assert_eq!((view["language"].as_str(), view["time_zone"].as_str()), (Some("nl"), Some("Europe/Amsterdam")));
    assert_eq!(view["name"], "Owner of acme", "the name stayed");
    let cleared = patch(json!({"language": ""})).await.unwrap().json::<serde_json::Value>().await.unwrap();
    assert_eq!((cleared["language"].is_null(), cleared["time_zone"].as_str()), (true, Some("Europe/Amsterdam")));

    // The address over the API: a wrong password refused, then the link confirms.
    let change = |password: &str| {
        http.post(format!("{base}/v1/me/email"))
            .header("authorization", &bearer)
            .json(&json!({"email": "olive@new.example.com", "password": password}))
            .send()
    };
    assert_eq!(change("not it at all").await.unwrap().status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(change(PASSWORD).await.unwrap().status(), StatusCode::NO_CONTENT);
    let token = h.mailer.email_change_token("olive@new.example.com").unwrap();
    let confirm = |token: &str| http.post(format!("{base}/v1/auth/email-change")).json(&json!({"token": token})).send();
    assert_eq!(confirm("tchg_nonsense").await.unwrap().status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(confirm(token.expose_secret()).await.unwrap().status(), StatusCode::NO_CONTENT);
    assert!(h.tenantry.login(login_input("acme", "olive@new.example.com")).await.is_ok());
    assert!(h.login("acme", &t.owner_email).await.is_err(), "the old address opens nothing");
}

/// Whoever asked for the change with a stolen password loses it when the
/// person changes the password or signs out everywhere, as the old address's
/// mail tells them to.
#[tokio::test]
async fn a_password_change_or_signing_out_everywhere_voids_a_pending_address_change() {
    let h = Harness::new();
    let t = h.signup("acme").await.unwrap();
    let scope = h.owner_scope(&t).await.unwrap();
    let password = SecretString::from(PASSWORD);
    h.tenantry.request_email_change(&scope, "thief@evil.example.com", &password).await.unwrap();
    let stolen = h.mailer.email_change_token("thief@evil.example.com").unwrap();
    let client = tenantry_ports::services::sessions::ClientInfo::api();
    let new = SecretString::from("the owner's new passphrase");
    let renewed = h.tenantry.change_my_password(&scope, &password, &new, &client).await.unwrap();
    let refused = h.tenantry.confirm_email_change(&stolen).await.unwrap_err();
    assert_eq!(refused.to_string(), "the link expired; ask for a new one");
    assert!(h.tenantry.login(login_input("acme", "thief@evil.example.com")).await.is_err());

    // The same after signing out everywhere (the next minute: one request a minute mails).
    h.clock.advance(chrono::Duration::minutes(1));
    let scope = h.scope(&renewed, t.id).await.unwrap();
    h.tenantry.request_email_change(&scope, "thief2@evil.example.com", &new).await.unwrap();
    let stolen = h.mailer.email_change_token("thief2@evil.example.com").unwrap();
    h.tenantry.logout_everywhere(&renewed).await.unwrap();
    assert!(h.tenantry.confirm_email_change(&stolen).await.is_err(), "void after signing out everywhere");
}

#[tokio::test]
async fn the_profile_page_saves_language_and_time_zone() {
    let h = Harness::new();
    let t = h.signup("acme").await.unwrap();
    let base = support::serve(support::state_for(&h)).await;
    let b = Browser::login(&base, "acme", &t.owner_email).await;
    let saved = b.post("/app/acme/profile/preferences", &[("language", "nl"), ("time_zone", "Europe/Amsterdam")]).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let page = b.get("/app/acme/profile?saved=preferences").await;
    assert!(page.body.contains("<option value=\"nl\" lang=\"nl\" selected>"), "Dutch chosen");
    assert!(page.body.contains("<option value=\"Europe/Amsterdam\" selected>"), "the zone chosen");
    let bad = b.post("/app/acme/profile/preferences", &[("language", "xx"), ("time_zone", "")]).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
    assert!(b.get("/app/acme/profile").await.body.contains("<option value=\"nl\" lang=\"nl\" selected>"), "unchanged");
}

/// Waits for the mails the lookup sends after its answer.
async fn mails_of(h: &Harness, to: &str, template: &str, n: usize) -> usize {
    for _ in 0..1000 {
        if h.mailer.count(to, template) >= n {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    h.mailer.count(to, template)
}

#[tokio::test]
async fn find_workspace_mails_each_workspace_from_its_own_outbox_and_says_the_same_to_everyone() {
    let h = Harness::new();
    let acme = h.signup("acme").await.unwrap();
    let globex = h.signup("globex").await.unwrap();
    h.signup("initech").await.unwrap();
    let shared = "dana@example.com";
    h.add_user(&acme, shared, "member").await.unwrap();
    h.add_user(&globex, shared, "admin").await.unwrap();
    let base = support::serve(support::state_for(&h)).await;
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();

    let form = support::web::answer(http.get(format!("{base}/find-workspace")).send().await.unwrap()).await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains("for=\"email\""));
    let login = support::web::answer(http.get(format!("{base}/login")).send().await.unwrap()).await;
    assert!(login.body.contains("href=\"/find-workspace\""), "the login leads there");

    let ask = |email: &'static str| {
        let http = http.clone();
        let base = base.clone();
        async move {
            support::web::answer(
                http.post(format!("{base}/find-workspace")).form(&[("email", email)]).send().await.unwrap(),
            )
            .await
        }
    };
    let known = ask("Dana@Example.com").await;
    let unknown = ask("nobody@example.com").await;
    assert_eq!((known.status, unknown.status), (StatusCode::OK, StatusCode::OK));
    assert_eq!(known.body, unknown.body, "the same page whatever the address");

    assert_eq!(mails_of(&h, shared, "workspace_reminder", 2).await, 2, "one mail per workspace");
    let mails: Vec<_> =
        h.mailer.sent_to(shared).into_iter().filter(|m| m.message.template() == "workspace_reminder").collect();
    let mut from: Vec<_> = mails.iter().map(|m| m.tenant.as_ref().unwrap().id).collect();
    from.sort();
    let mut expected = vec![acme.id, globex.id];
    expected.sort();
    assert_eq!(from, expected, "each from its own workspace");
    for m in &mails {
        let text = tenantry_mail::templates::render(m, &Default::default()).text;
        let own = &m.tenant.as_ref().unwrap().name;
        let other = if own.starts_with("acme") { "globex" } else { "acme" };
        assert!(text.contains(own) && !text.contains(other), "a mail names its own workspace only: {text}");
    }
    assert_eq!(h.mailer.count("nobody@example.com", "workspace_reminder"), 0);

    // Asking again within the minute mails nothing more (the mailbox cannot be flooded).
    ask("dana@example.com").await;
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert_eq!(h.mailer.count(shared, "workspace_reminder"), 2);

    // The named lookup is in the platform log, the address hashed.
    let su = h.superuser("ops@platform.example.com").await.unwrap();
    let platform = h.tenantry.authorize_platform(&su).await.unwrap();
    let log = h.tenantry.platform_audit(&platform, None, AuditFilter::default(), Some("test")).await.unwrap();
    let lookups: Vec<_> = log.events.iter().filter(|e| e.action.as_str() == "platform.workspaces_looked_up").collect();
    assert_eq!(lookups.len(), 3, "every lookup recorded");
    let json = serde_json::to_string(&lookups).unwrap();
    assert!(!json.contains("dana@") && !json.contains("nobody@"), "no address in the log: {json}");
    assert!(json.contains(r#""workspaces":"2""#) && json.contains(r#""workspaces":"0""#), "{json}");
    assert!(json.contains("email_hmac"), "a keyed pseudonym, searchable with the key only: {json}");

    // The API answers the same, 204, whatever the address.
    for email in ["dana@example.com", "x@example.com", "not an address"] {
        let r =
            http.post(format!("{base}/v1/auth/find-workspace")).json(&json!({"email": email})).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::NO_CONTENT, "{email}");
    }
}

#[tokio::test]
async fn the_superuser_renames_themselves_and_a_tenant_user_finds_no_admin_profile() {
    let h = Harness::new();
    let t = h.signup("acme").await.unwrap();
    h.superuser("ops@platform.example.com").await.unwrap();
    let base = support::serve(support::state_for(&h)).await;
    let su = Browser::login(&base, "", "ops@platform.example.com").await;
    let page = su.get("/admin/profile").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("href=\"/account/mfa\"") && page.body.contains("href=\"/account/sessions\""));
    assert!(page.body.contains("tenantry set-superuser-password"));
    let blank = su.post("/admin/profile/name", &[("name", " ")]).await;
    assert_eq!(blank.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", blank.body);
    assert!(blank.body.contains("href=\"#name\""));
    let renamed = su.post("/admin/profile/name", &[("name", "Olga Ops")]).await;
    assert_eq!(renamed.status, StatusCode::SEE_OTHER, "{}", renamed.body);
    assert!(su.get("/admin/profile?saved=name").await.body.contains("value=\"Olga Ops\""));
    let user = Browser::login(&base, "acme", &t.owner_email).await;
    assert_eq!(user.get("/admin/profile").await.status, StatusCode::NOT_FOUND);
    assert_eq!(user.post("/admin/profile/name", &[("name", "Mallory")]).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_operator_sets_a_superusers_password_and_their_sessions_end() {
    let h = Harness::new();
    let old = h.superuser("ops@platform.example.com").await.unwrap();
    let new = SecretString::from("a brand new operator passphrase");
    let done = h.tenantry.set_superuser_password(h.operator.as_ref(), "ops@platform.example.com", &new).await;
    assert!(done.unwrap());
    assert!(h.tenantry.authorize_platform(&old).await.is_err(), "the old session ended");
    let login = |password: SecretString| {
        h.tenantry.login(LoginInput { tenant: None, email: "ops@platform.example.com".into(), password })
    };
    assert!(login(SecretString::from(PASSWORD)).await.is_err(), "the old password opens nothing");
    assert!(login(new).await.is_ok());
    let weak =
        h.tenantry.set_superuser_password(h.operator.as_ref(), "ops@platform.example.com", &"short".into()).await;
    assert!(weak.is_err(), "the policy applies");
    let nobody = h
        .tenantry
        .set_superuser_password(h.operator.as_ref(), "nobody@platform.example.com", &"a long enough passphrase".into())
        .await;
    assert!(!nobody.unwrap());
}

#[tokio::test]
async fn the_login_and_signup_pages_switch_language_and_remember_it_in_a_cookie() {
    let h = Harness::new();
    let base = support::serve(support::state_for(&h)).await;
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let get = |path: &str, headers: &[(&'static str, &'static str)]| {
        let mut request = http.get(format!("{base}{path}"));
        for (k, v) in headers {
            request = request.header(*k, *v);
        }
        async move { support::web::answer(request.send().await.unwrap()).await }
    };

    // Both pages offer every language, each written in itself, the one in force marked.
    let signup = get("/signup", &[]).await;
    assert!(signup.body.contains("<html lang=\"en\">"), "English without a choice");
    for (id, tag, name) in [("lang-en", "en", "English"), ("lang-nl", "nl", "Nederlands")] {
        let link = format!("id=\"{id}\" href=\"/language/{tag}?back=%2Fsignup\" lang=\"{tag}\" hreflang=\"{tag}\"");
        assert!(signup.body.contains(&link), "{link}: {}", signup.body);
        assert!(signup.body.contains(&format!(">{name}</a>")), "{name}");
    }
    assert!(signup.body.contains("hreflang=\"en\" aria-current=\"true\">English"), "{}", signup.body);
    assert_eq!(signup.body.matches("aria-current=\"true\"").count(), 1);
    let login = get("/login?tenant=acme", &[]).await;
    assert!(
        login.body.contains("href=\"/language/nl?back=%2Flogin%3Ftenant%3Dacme\""),
        "the workspace filled in comes back: {}",
        login.body
    );

    // The switch: a cookie, and back to the page.
    let switched = get("/language/nl?back=/signup", &[]).await;
    assert_eq!(switched.status, StatusCode::SEE_OTHER);
    assert_eq!(switched.location.as_deref(), Some("/signup"));
    let cookie = switched.headers.get("set-cookie").expect("a cookie").to_str().unwrap();
    assert!(cookie.starts_with("__Host-tenantry_lang=nl;"), "{cookie}");
    let dutch = get("/signup", &[("cookie", "__Host-tenantry_lang=nl")]).await;
    assert_eq!(dutch.status, StatusCode::OK);
    assert!(dutch.body.contains("<html lang=\"nl\">"), "{}", dutch.body);
    assert!(dutch.body.contains("Maak je werkruimte aan") && !dutch.body.contains("Create your workspace"));
    assert!(dutch.body.contains("hreflang=\"nl\" aria-current=\"true\">Nederlands"), "{}", dutch.body);
    assert!(dutch.body.contains("€ 49,95"), "the price as a Dutch reader writes it");

    // The browser's language alone does the same.
    let browser = get("/login", &[("accept-language", "nl")]).await;
    assert!(browser.body.contains("<html lang=\"nl\">"), "{}", browser.body);
    assert!(browser.body.contains("Wachtwoord vergeten?") && !browser.body.contains("Forgot your password?"));
    // The cookie beats the browser.
    let chosen = get("/login", &[("accept-language", "nl"), ("cookie", "__Host-tenantry_lang=en")]).await;
    assert!(chosen.body.contains("<html lang=\"en\">") && chosen.body.contains("Forgot your password?"));

    // Back only to a path of this service; an unknown language sets nothing.
    let away = get("/language/nl?back=//evil.example", &[]).await;
    assert_eq!((away.status, away.location.as_deref()), (StatusCode::SEE_OTHER, Some("/")));
    for evil in ["//evil.example", "https://evil.example", "/\\evil.example"] {
        let query = serde_urlencoded::to_string([("back", evil)]).unwrap();
        let away = get(&format!("/language/nl?{query}"), &[]).await;
        assert_eq!((away.status, away.location.as_deref()), (StatusCode::SEE_OTHER, Some("/")), "{evil}");
    }
    let unknown = get("/language/xx?back=/login", &[]).await;
    assert_eq!(unknown.location.as_deref(), Some("/login"));
    assert!(unknown.headers.get("set-cookie").is_none());
}

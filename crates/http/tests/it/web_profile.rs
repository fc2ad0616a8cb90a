#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed step is a failed test
//! "Your profile" (issue 24): the name, and the password with the current one
//! — a wrong one refused and audited, the other sessions ended, this browser
//! still signed in; and over the API, `PATCH /v1/me` and `POST /v1/me/password`.

use crate::support;

use reqwest::StatusCode;
use reqwest::header::{COOKIE, SET_COOKIE};
use serde_json::json;
use support::web::WebSession as Browser;
use tenantry_testkit::Harness;
use tenantry_testkit::harness::PASSWORD;

#[tokio::test]
async fn a_user_renames_themselves_and_changes_their_password_with_the_current_one() {
    let h = Harness::new();
    let t = h.signup("acme").await.unwrap();
    let base = support::serve(support::state_for(&h)).await;
    let first = Browser::login(&base, "acme", &t.owner_email).await;
    let other = Browser::login(&base, "acme", &t.owner_email).await;
    let page = first.get("/app/acme/profile").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    for field in ["name", "current_password", "new_password"] {
        assert!(page.body.contains(&format!("for=\"{field}\"")), "{field} is labelled");
    }
    let renamed = first.post("/app/acme/profile/name", &[("name", "Olive Owner")]).await;
    assert_eq!(renamed.status, StatusCode::SEE_OTHER);
    assert!(first.get("/app/acme/profile?saved=name").await.body.contains("value=\"Olive Owner\""));
    let blank = first.post("/app/acme/profile/name", &[("name", "  ")]).await;
    assert_eq!(blank.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", blank.body);

    let wrong = first
        .post(
            "/app/acme/profile/password",
            &[("current_password", "not it at all"), ("new_password", "a new long passphrase 1")],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", wrong.body);
    assert!(wrong.body.contains("the current password is not right"), "{}", wrong.body);
    let changed = first
        .post(
            "/app/acme/profile/password",
            &[("current_password", PASSWORD), ("new_password", "a new long passphrase 1")],
        )
        .await;
    assert_eq!(changed.status, StatusCode::SEE_OTHER, "{}", changed.body);
    let cookie = changed.headers[SET_COOKIE].to_str().unwrap().split(';').next().unwrap().to_owned();
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let after =
        http.get(format!("{base}/app/acme/profile?saved=password")).header(COOKIE, &cookie).send().await.unwrap();
    assert_eq!(after.status(), StatusCode::OK, "this browser goes on in its new session");
    assert_eq!(other.get("/app/acme").await.status, StatusCode::SEE_OTHER, "the other browser's session ended");
    assert!(h.login("acme", &t.owner_email).await.is_err(), "the old password opens nothing");
    let fresh = h
        .tenantry
        .login(tenantry_ports::services::auth::LoginInput {
            tenant: Some("acme".into()),
            email: t.owner_email.clone(),
            password: secrecy::SecretString::from("a new long passphrase 1".to_owned()),
        })
        .await;
    assert!(fresh.is_ok(), "the new one does");
}

#[tokio::test]
async fn the_api_renames_and_changes_the_password_of_the_caller_only() {
    let h = Harness::new();
    let t = h.signup("acme").await.unwrap();
    let base = support::serve(support::state_for(&h)).await;
    let http = reqwest::Client::new();
    let login = http
        .post(format!("{base}/v1/auth/login"))
        .json(&json!({"tenant": "acme", "email": t.owner_email, "password": PASSWORD}))
        .send()
        .await
        .unwrap()
        .json::<serde_json::Value>()
        .await
        .unwrap();
    let token = login["access_token"].as_str().unwrap().to_owned();
    let renamed =
        http.patch(format!("{base}/v1/me")).bearer_auth(&token).json(&json!({"name": "Olive"})).send().await.unwrap();
    assert_eq!(renamed.status(), StatusCode::OK);
    assert_eq!(renamed.json::<serde_json::Value>().await.unwrap()["name"], "Olive");
    let wrong = http
        .post(format!("{base}/v1/me/password"))
        .bearer_auth(&token)
        .json(&json!({"current_password": "nope nope nope", "new_password": "a new long passphrase 2"}))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(wrong.json::<serde_json::Value>().await.unwrap()["code"], "wrong_password");
    let done = http
        .post(format!("{base}/v1/me/password"))
        .bearer_auth(&token)
        .json(&json!({"current_password": PASSWORD, "new_password": "a new long passphrase 2"}))
        .send()
        .await
        .unwrap();
    assert_eq!(done.status(), StatusCode::OK);
    let pair = done.json::<serde_json::Value>().await.unwrap();
    let old = http.get(format!("{base}/v1/me")).bearer_auth(&token).send().await.unwrap();
    assert_eq!(old.status(), StatusCode::UNAUTHORIZED, "the old token stops working");
    let new =
        http.get(format!("{base}/v1/me")).bearer_auth(pair["access_token"].as_str().unwrap()).send().await.unwrap();
    assert_eq!(new.status(), StatusCode::OK, "the new pair works");
    // The superuser has no tenant profile here: 404, as for anything not theirs.
    h.superuser("ops@platform.example.com").await.unwrap();
    let su = http
        .post(format!("{base}/v1/auth/login"))
        .json(&json!({"email": "ops@platform.example.com", "password": PASSWORD}))
        .send()
        .await
        .unwrap()
        .json::<serde_json::Value>()
        .await
        .unwrap();
    let su = su["access_token"].as_str().unwrap().to_owned();
    let refused =
        http.patch(format!("{base}/v1/me")).bearer_auth(&su).json(&json!({"name": "Root"})).send().await.unwrap();
    assert_eq!(refused.status(), StatusCode::NOT_FOUND);
}

/// Mandatory two-factor authentication for a role (issue 24, item 5): an
/// owner without it is taken to the enrolment from every page of the
/// workspace, enrols with the key the page shows (its QR code beside it),
/// gets ten recovery codes once, and then reaches the workspace.
#[tokio::test]
async fn an_owner_who_must_have_two_factor_is_taken_to_the_enrolment_and_then_let_in() {
    use secrecy::ExposeSecret;
    use tenantry_domain::settings::{MfaPolicyPatch, SettingsPatch};
    let h = Harness::new();
    let t = h.signup("acme").await.unwrap();
    let su = h.superuser("ops@platform.example.com").await.unwrap();
    let who = h.tenantry.authorize_platform(&su).await.unwrap();
    let patch = SettingsPatch {
        mfa: Some(MfaPolicyPatch {
            required_for_all: Some(false),
            required_roles: Some([tenantry_domain::BuiltinRole::Owner].into_iter().collect()),
        }),
        ..SettingsPatch::default()
    };
    let base = support::serve(support::state_for(&h)).await;
    let owner = Browser::login(&base, "acme", &t.owner_email).await;
    h.tenantry.update_settings(&who, &patch).await.unwrap();
    for page in ["/app/acme", "/app/acme/settings", "/app/acme/profile"] {
        let shown = owner.get(page).await;
        assert_eq!(shown.status, StatusCode::SEE_OTHER, "{page}");
        assert_eq!(shown.location.as_deref(), Some("/account/mfa"), "{page}");
    }
    let start = owner.post("/account/mfa/start", &[("password", PASSWORD)]).await;
    assert_eq!(start.status, StatusCode::OK, "{}", start.body);
    assert!(start.body.contains("<svg"), "the QR code, drawn on the server");
    let key = start.body.split("id=\"totp-secret\">").nth(1).unwrap().split('<').next().unwrap().replace(' ', "");
    let secret = tenantry_domain::mfa::TotpSecret::from_base32(&key).unwrap();
    let code = tenantry_domain::mfa::code_at(&secret, h.clock_now()).unwrap();
    let hidden = |name: &str| {
        start.body.split(&format!("name=\"{name}\" value=\"")).nth(1).unwrap().split('"').next().unwrap().to_owned()
    };
    let (secret_field, url_field) = (hidden("secret"), hidden("otpauth_url").replace("&amp;", "&"));
    let confirmed = owner
        .post(
            "/account/mfa/confirm",
            &[("code", code.expose_secret()), ("secret", secret_field.as_str()), ("otpauth_url", url_field.as_str())],
        )
        .await;
    assert_eq!(confirmed.status, StatusCode::OK, "{}", confirmed.body);
    assert_eq!(confirmed.body.matches("<li><code>").count(), 10, "ten recovery codes, once: {}", confirmed.body);
    assert_eq!(owner.get("/app/acme").await.status, StatusCode::OK, "enrolled: the workspace opens");
}

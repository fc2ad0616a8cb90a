#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed step is a failed test
//! A forgotten password and an unconfirmed address in the browser (issue 24):
//! `/forgot` answers the same whether or not the account exists and mails
//! the link, `/reset?token=` sets the password once, `/verify?token=` asks
//! for a button (opening the link alone confirms nothing), and every tenant
//! page says so until the address is confirmed, with "mail the link again".

use crate::support;

use reqwest::StatusCode;
use secrecy::ExposeSecret;
use support::web::{WebSession as Browser, answer};
use tenantry_testkit::Harness;

fn anonymous() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

#[tokio::test]
async fn a_forgotten_password_is_set_again_from_the_mailed_link_once() {
    let h = Harness::new();
    let t = h.signup("acme").await.unwrap();
    let base = support::serve(support::state_for(&h)).await;
    let http = anonymous();
    let login = answer(http.get(format!("{base}/login")).send().await.unwrap()).await;
    assert!(login.body.contains("href=\"/forgot\""), "{}", login.body);
    let page = answer(http.get(format!("{base}/forgot")).send().await.unwrap()).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("for=\"tenant\"") && page.body.contains("for=\"email\""), "labelled fields");

    let ask = |tenant: &'static str, email: String| {
        let (http, base) = (http.clone(), base.clone());
        async move {
            answer(
                http.post(format!("{base}/forgot"))
                    .form(&[("tenant", tenant), ("email", &email)])
                    .send()
                    .await
                    .unwrap(),
            )
            .await
        }
    };
    let nobody = ask("acme", "nobody@acme.example.com".into()).await;
    let no_tenant = ask("nowhere", t.owner_email.clone()).await;
    let real = ask("acme", t.owner_email.clone()).await;
    assert_eq!(real.status, StatusCode::OK, "{}", real.body);
    assert_eq!(
        (nobody.body.clone(), no_tenant.body.clone()),
        (real.body.clone(), real.body.clone()),
        "no account oracle"
    );
    assert!(h.mailer.sent_to("nobody@acme.example.com").is_empty());
    let token = h.mailer.reset_token(&t.owner_email).expect("the reset mail");

    let form = answer(http.get(format!("{base}/reset?token={}", token.expose_secret())).send().await.unwrap()).await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains(token.expose_secret()), "the form carries the link's code");
    let post = |password: &'static str| {
        let (http, base, token) = (http.clone(), base.clone(), token.expose_secret().to_owned());
        async move {
            answer(
                http.post(format!("{base}/reset"))
                    .form(&[("token", token.as_str()), ("password", password)])
                    .send()
                    .await
                    .unwrap(),
            )
            .await
        }
    };
    let short = post("short").await;
    assert_eq!(short.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", short.body);
    assert!(short.body.contains("role=\"alert\""), "the refusal on the form: {}", short.body);
    let done = post("a brand new passphrase 42").await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    assert!(done.body.contains("id=\"reset-done\""), "{}", done.body);
    let again = post("another new passphrase 43").await;
    assert!(again.status.is_client_error(), "a link works once: {}", again.status);
    let logged = http
        .post(format!("{base}/login"))
        .form(&[("tenant", "acme"), ("email", t.owner_email.as_str()), ("password", "a brand new passphrase 42")])
        .send()
        .await
        .unwrap();
    assert_eq!(logged.status(), StatusCode::SEE_OTHER, "the new password opens the account");
    let incomplete = answer(http.get(format!("{base}/reset")).send().await.unwrap()).await;
    assert_eq!(incomplete.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn every_page_asks_to_confirm_the_address_until_the_mailed_link_is_followed() {
    let h = Harness::new();
    let t = h.signup("acme").await.unwrap();
    let base = support::serve(support::state_for(&h)).await;
    let owner = Browser::login(&base, "acme", &t.owner_email).await;
    for page in ["/app/acme", "/app/acme/settings", "/app/acme/settings/users"] {
        let shown = owner.get(page).await;
        assert!(shown.body.contains("id=\"verify-notice\""), "{page}: {}", shown.body);
    }
    let before = h.mailer.count(&t.owner_email, "verify_email");
    let resent = owner.post("/app/acme/verification", &[]).await;
    assert_eq!(resent.status, StatusCode::SEE_OTHER, "{}", resent.body);
    assert_eq!(h.mailer.count(&t.owner_email, "verify_email"), before + 1, "the link mailed again");
    let token = h.mailer.verification_token(&t.owner_email).expect("a verification mail");

    let http = anonymous();
    let link = answer(http.get(format!("{base}/verify?token={}", token.expose_secret())).send().await.unwrap()).await;
    assert_eq!(link.status, StatusCode::OK);
    assert!(link.body.contains("id=\"confirm-address\""), "{}", link.body);
    assert!(owner.get("/app/acme").await.body.contains("id=\"verify-notice\""), "opening the link confirms nothing");
    let wrong =
        answer(http.post(format!("{base}/verify")).form(&[("token", "tver_nonsense")]).send().await.unwrap()).await;
    assert!(wrong.status.is_client_error() && wrong.body.contains("role=\"alert\""), "{}", wrong.status);
    let confirmed =
        answer(http.post(format!("{base}/verify")).form(&[("token", token.expose_secret())]).send().await.unwrap())
            .await;
    assert_eq!(confirmed.status, StatusCode::OK, "{}", confirmed.body);
    assert!(confirmed.body.contains("id=\"verified\""));
    assert!(!owner.get("/app/acme").await.body.contains("id=\"verify-notice\""), "confirmed: no notice");
    let forged = owner.post_raw("/app/acme/verification", &[("csrf", "forged")]).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
}

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed step is a failed test
//! `/signup` in the browser (issue 24): the form says the rules, a refusal
//! keeps what was typed but the password, a signup signs the browser in and
//! goes on to the payment method's Checkout (the `required` trial policy) or
//! to the getting-started page.

use crate::support;

use reqwest::StatusCode;
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use support::web::answer;
use tenantry_domain::settings::PaymentMethodAtSignup;
use tenantry_testkit::Harness;
use tenantry_testkit::harness::PASSWORD;

fn client() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

fn form<'a>(slug: &'a str, changes: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut f = vec![
        ("company_name", "Newco Ltd"),
        ("slug", slug),
        ("name", "Nora Owner"),
        ("email", "nora@newco.example.com"),
        ("password", PASSWORD),
        ("plan", "standard"),
        ("interval", "month"),
        ("promotion_code", ""),
    ];
    for (k, v) in changes {
        f.retain(|(name, _)| name != k);
        f.push((k, v));
    }
    f
}

#[tokio::test]
async fn a_new_workspace_is_made_on_the_signup_page_and_lands_on_getting_started() {
    let h = Harness::new();
    h.signup("taken").await.unwrap();
    let base = support::serve(support::state_for(&h)).await;
    let http = client();
    let page = answer(http.get(format!("{base}/signup")).send().await.unwrap()).await;
    assert_eq!(page.status, StatusCode::OK);
    for field in ["company_name", "slug", "name", "email", "password", "promotion_code"] {
        assert!(page.body.contains(&format!("for=\"{field}\"")), "{field} has a label");
    }
    assert!(page.body.contains("at least 12 characters"), "the password policy is said");

    let post = |f: Vec<(&str, &str)>| {
        let (http, base) = (http.clone(), base.clone());
        let f: Vec<(String, String)> = f.into_iter().map(|(k, v)| (k.to_owned(), v.to_owned())).collect();
        async move { http.post(format!("{base}/signup")).form(&f).send().await.unwrap() }
    };
    let bad = answer(post(form("Not A Slug", &[])).await).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
    assert!(bad.body.contains("role=\"alert\"") && bad.body.contains("value=\"Newco Ltd\""), "{}", bad.body);
    assert!(!bad.body.contains(PASSWORD), "the password is never sent back");
    let taken = answer(post(form("taken", &[])).await).await;
    assert_eq!(taken.status, StatusCode::CONFLICT, "{}", taken.body);
    let code = answer(post(form("newco", &[("promotion_code", "NOPE")])).await).await;
    assert_eq!(code.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(code.body.contains("there is no such promotion code"), "{}", code.body);

    let made = post(form("newco", &[])).await;
    assert_eq!(made.status(), StatusCode::SEE_OTHER);
    assert_eq!(made.headers()[LOCATION], "/app/newco?welcome=1");
    let cookie = made.headers()[SET_COOKIE].to_str().unwrap().split(';').next().unwrap().to_owned();
    let home =
        answer(http.get(format!("{base}/app/newco?welcome=1")).header(COOKIE, &cookie).send().await.unwrap()).await;
    assert_eq!(home.status, StatusCode::OK, "{}", home.body);
    for marker in ["id=\"welcome\"", "id=\"getting-started\"", "id=\"trial-left\"", "id=\"verify-notice\""] {
        assert!(home.body.contains(marker), "{marker}: {}", home.body);
    }
}

#[tokio::test]
async fn under_the_required_trial_policy_the_signup_page_continues_into_the_checkout() {
    let h = Harness::builder().payment_method_at_signup(PaymentMethodAtSignup::Required).build();
    let base = support::serve(support::state_for(&h)).await;
    let f: Vec<(String, String)> = form("carded", &[]).into_iter().map(|(k, v)| (k.to_owned(), v.to_owned())).collect();
    let made = client().post(format!("{base}/signup")).form(&f).send().await.unwrap();
    assert_eq!(made.status(), StatusCode::SEE_OTHER);
    let to = made.headers()[LOCATION].to_str().unwrap();
    assert!(to.starts_with("/billing/simulator/checkout/"), "{to}");
    assert!(to.ends_with("return_to=/app/carded%3Fwelcome%3D1"), "back to getting started: {to}");
    assert!(made.headers().get(SET_COOKIE).is_some(), "signed in");
}

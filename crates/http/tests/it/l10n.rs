//! Which language a reader gets where the pages and the API meet it (issue 25):
//! the API localises a problem's `detail` only when `Accept-Language` asks
//! (the language switch's cookie is the pages' business), and the account's
//! own pages (`/account/…`) follow the user's setting as the workspace's do.

use crate::support;
use crate::support::web::WebSession;
use reqwest::StatusCode;
use tenantry_i18n::{Language, Locale, TimeZone};
use tenantry_testkit::Harness;

async fn detail(base: &str, headers: &[(&str, &str)]) -> (StatusCode, String) {
    let mut request = reqwest::Client::new().get(format!("{base}/v1/me"));
    for (k, v) in headers {
        request = request.header(*k, *v);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["code"], "unauthenticated", "{body}");
    (status, body["detail"].as_str().unwrap().to_owned())
}

#[tokio::test]
async fn the_api_localises_a_problems_detail_only_when_accept_language_asks() {
    let h = Harness::new();
    let base = support::serve(support::state_for(&h)).await;
    let (status, english) = detail(&base, &[]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let dutch = Locale::new(Language::Nl, TimeZone::utc()).text("problem-unauthenticated");
    assert_ne!(english, dutch);
    assert_eq!(detail(&base, &[("accept-language", "nl-NL,nl;q=0.9")]).await, (status, dutch.clone()));
    assert_eq!(
        detail(&base, &[("accept-language", "fr")]).await,
        (status, english.clone()),
        "a language tenantry lacks"
    );
    assert_eq!(
        detail(&base, &[("cookie", "__Host-tenantry_lang=nl")]).await,
        (status, english),
        "the switch is the pages'"
    );
}

#[tokio::test]
async fn the_accounts_own_pages_follow_the_users_language_and_zone() {
    let h = Harness::new();
    let t = h.signup("acme").await.unwrap();
    let owner = h.owner_scope(&t).await.unwrap();
    let patch = tenantry_ports::services::profile::PreferencesPatch {
        language: Some("nl".into()),
        time_zone: Some("Europe/Amsterdam".into()),
    };
    h.tenantry.update_me(&owner, None, &patch).await.unwrap();
    let base = support::serve(support::state_for(&h)).await;
    let s = WebSession::login(&base, "acme", &t.owner_email).await;
    for page in ["/account/sessions", "/account/mfa", "/account/notifications"] {
        let answer = s.get(page).await;
        assert_eq!(answer.status, StatusCode::OK, "{page}");
        assert!(answer.body.contains("<html lang=\"nl\">"), "{page} in the user's language: {}", answer.body);
    }
    // The sessions page writes its moments in the user's zone, the Dutch way (`… om HH:MM`).
    assert!(s.get("/account/sessions").await.body.contains(" om "), "moments written in Dutch");
}

//! The mailed unsubscribe link (`/unsubscribe`), which works without signing in — also as a mail client's one-click POST (RFC 8058).

use crate::l10n::t;
use crate::state::AppState;
use crate::web::layout::{Page, alert};
use crate::web::{PageError, PageResult};
use axum::Router;
use axum::extract::{Query, State};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use maud::html;
use serde::Deserialize;

/// Its pages anyone may post to (behind the per-address throttle).
pub(super) fn anonymous() -> Router<AppState> {
    Router::new().route("/unsubscribe", post(unsubscribe))
}

/// Its pages.
pub(super) fn routes() -> Router<AppState> {
    Router::new().route("/unsubscribe", get(unsubscribe_page))
}

#[derive(Deserialize, Default)]
pub(crate) struct TokenQuery {
    token: Option<String>,
}

/// `GET /unsubscribe?token=`: the mailed link's page — a button, so that a
/// link checker that follows links unsubscribes nobody.
pub(crate) async fn unsubscribe_page(Query(q): Query<TokenQuery>) -> PageResult {
    let token = q.token.unwrap_or_default();
    let title = t!("account-unsubscribe-title");
    let body = html! {
        h1 { (title) }
        p { (t!("account-unsubscribe-intro")) }
        form.card method="post" action="/unsubscribe" {
            input type="hidden" name="token" value=(token);
            button #unsubscribe type="submit" { (t!("account-unsubscribe-submit")) }
        }
    };
    Ok(Page::bare(&title, body).into_response())
}

/// `POST /unsubscribe`: from the page's button (the token in the form), or a
/// mail client's one-click POST (RFC 8058: the token in the URL, a body of
/// `List-Unsubscribe=One-Click` sent as a form or as `multipart/form-data`,
/// which is not read). A post from another site's page is refused.
pub(crate) async fn unsubscribe(
    State(state): State<AppState>,
    Query(q): Query<TokenQuery>,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> PageResult {
    if !crate::web::session::same_site(&headers) {
        return Err(crate::web::session::cross_site());
    }
    let urlencoded = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("application/x-www-form-urlencoded"));
    let from_form =
        urlencoded.then(|| serde_urlencoded::from_bytes::<TokenQuery>(&body).ok().and_then(|f| f.token)).flatten();
    let token = from_form.or(q.token).unwrap_or_default();
    match state.tenantry.unsubscribe(&token).await {
        Ok(()) => Ok(Page::bare(
            &t!("account-unsubscribed-title"),
            html! {
                h1 { (t!("account-unsubscribed-title")) }
                p #unsubscribed role="status" { (t!("account-unsubscribed")) }
            },
        )
        .into_response()),
        Err(e) => {
            let e = PageError::from(e);
            let title = t!("account-unsubscribe-title");
            let body = html! { h1 { (title) } (alert(Some(e.detail().as_str()))) };
            Ok((e.status(), Page::bare(&title, body)).into_response())
        }
    }
}

//! The reader of the request being answered (issue 25): which language and
//! time zone its pages and problem texts are written in.
//!
//! A layer around every request settles a first guess — the language the
//! reader picked with the login or signup page's switch (a cookie), else the
//! browser's `Accept-Language`, else English; UTC — and keeps it for the
//! request's task. A page that learns more settles it further
//! ([`settle`]): the tenant's default language and time zone, then the
//! signed-in user's own. Pages ask [`reader`] for it, through the [`t!`]
//! macro; problem+json asks [`accepted`] whether the client named a language at
//! all (the API localises its `detail` texts only then).

use std::cell::Cell;

use axum::extract::{Path, Query, Request};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tenantry_i18n::{Language, Locale, Preferences};

/// The cookie the language switch sets (a year; not a secret, no session).
/// `__Host-`: set by this host only, over https, for every path — a sibling
/// subdomain cannot plant one (it decides a signup's workspace language).
pub(crate) const LANG_COOKIE: &str = "__Host-tenantry_lang";

#[derive(Clone, Copy)]
struct Reader {
    locale: Locale,
    /// The request named a language (the switch's cookie or `Accept-Language`).
    asked: bool,
    /// The request's `Accept-Language` named one (what the API's problem texts follow).
    accepted: bool,
}

tokio::task_local! {
    static READER: Cell<Reader>;
}

/// The reader of the request being answered (English, UTC outside a request).
pub(crate) fn reader() -> Locale {
    READER.try_with(|r| r.get().locale).unwrap_or_default()
}

/// Whether the request's `Accept-Language` named a language tenantry speaks:
/// the API localises its problem texts only then.
pub(crate) fn accepted() -> bool {
    READER.try_with(|r| r.get().accepted).unwrap_or(false)
}

/// The language the request named (the switch's cookie or `Accept-Language`),
/// if it named one tenantry speaks — what a signup makes the new workspace's
/// default.
pub(crate) fn requested() -> Option<Language> {
    READER.try_with(|r| r.get()).ok().filter(|r| r.asked && !r.locale.is_pseudo()).map(|r| r.locale.language())
}

/// Settles the reader further, most specific last: the tenant's defaults,
/// then the user's own choice.
pub(crate) fn settle(layers: &[&Preferences]) {
    let _outside_a_request = READER.try_with(|r| {
        let mut reader = r.get();
        reader.locale = reader.locale.settled(layers);
        reader.asked = reader.asked || layers.iter().any(|p| p.language.is_some());
        r.set(reader);
    });
}

/// Settles the reader on a workspace's defaults and then on its user's own
/// choice (one unit of work: `/v1/me`'s); the workspace's name, when read.
pub(crate) async fn settle_scope(state: &crate::AppState, scope: &tenantry_ports::TenantScope) -> Option<String> {
    match state.tenantry.me(scope).await {
        Ok(me) => {
            settle(&[&me.tenant.settings.defaults, &me.user.preferences()]);
            Some(me.tenant.name)
        }
        // Not a user (the superuser in a tenant's pages): the workspace's defaults.
        Err(_) => {
            let t = state.tenantry.get_tenant(scope).await.ok()?;
            settle(&[&t.settings.defaults]);
            Some(t.name)
        }
    }
}

/// What the request says about its reader's language.
fn first_guess(headers: &HeaderMap) -> Reader {
    let picked = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == LANG_COOKIE)
        .and_then(|(_, v)| tenantry_i18n::chosen(v.trim()));
    let accepted =
        || headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()).and_then(tenantry_i18n::negotiate);
    let from_header = accepted();
    match picked.or(from_header) {
        Some(locale) => Reader { locale, asked: true, accepted: from_header.is_some() },
        None => Reader { locale: Locale::default(), asked: false, accepted: false },
    }
}

/// The layer: the request's first guess, kept for its task.
pub(crate) async fn layer(request: Request, next: Next) -> Response {
    let reader = first_guess(request.headers());
    let mut response = READER.scope(Cell::new(reader), next.run(request)).await;
    // Pages differ by language: caches must key on what chose it.
    response.headers_mut().append(header::VARY, HeaderValue::from_static("Accept-Language, Cookie"));
    response
}

/// A message in the reader's language: `t!("id")`, `t!("id", name = value)`.
macro_rules! t {
    ($id:literal) => { $crate::l10n::reader().text($id) };
    ($id:literal, $($name:ident = $value:expr),+ $(,)?) => {
        $crate::l10n::reader().text_with($id, &[$((stringify!($name), tenantry_i18n::Arg::from($value))),+])
    };
}
pub(crate) use t;

#[derive(Deserialize)]
pub(crate) struct Back {
    back: Option<String>,
}

/// `GET /language/{tag}?back=/login`: the language switch of the login and
/// signup pages — remembers the choice in a cookie and goes back (to a path
/// on this service only).
pub(crate) async fn switch(Path(tag): Path<String>, Query(back): Query<Back>) -> Response {
    let to = crate::web::safe_path(back.back.as_deref());
    let Ok(language) = Language::parse(&tag) else {
        return Redirect::to(&to).into_response();
    };
    let cookie = format!("{LANG_COOKIE}={}; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age=31536000", language.tag());
    let mut response = Redirect::to(&to).into_response();
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // test code
mod tests {
    use super::*;

    fn guess(pairs: &[(&str, &str)]) -> (Language, bool) {
        let mut headers = HeaderMap::new();
        for (k, v) in pairs {
            headers
                .append(axum::http::HeaderName::from_bytes(k.as_bytes()).unwrap(), HeaderValue::from_str(v).unwrap());
        }
        let r = first_guess(&headers);
        (r.locale.language(), r.asked)
    }

    #[test]
    fn the_switch_beats_the_browser_and_english_is_the_default() {
        assert_eq!(guess(&[]), (Language::En, false));
        assert_eq!(guess(&[("accept-language", "nl-NL,nl;q=0.9")]), (Language::Nl, true));
        assert_eq!(
            guess(&[("accept-language", "nl"), ("cookie", "a=b; __Host-tenantry_lang=en")]),
            (Language::En, true)
        );
        assert_eq!(guess(&[("accept-language", "fr"), ("cookie", "__Host-tenantry_lang=xx")]), (Language::En, false));
        assert_eq!(guess(&[("cookie", "tenantry_lang=nl")]), (Language::En, false), "only the __Host- cookie counts");
    }
}

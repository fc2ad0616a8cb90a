//! The web interface (issue 9): server-rendered pages on the same use cases as
//! the API — the superuser's control plane under `/admin`, and each tenant's
//! settings under `/app/{slug}/settings` — with no business rule in a page.
//!
//! - **Sessions**: logging in at `/login` sets one cookie, `tenantry_session`
//!   (`HttpOnly; Secure; SameSite=Strict`), holding a refresh-use token of the
//!   API's kind: the store authorises it on every page exactly as a bearer
//!   token (a logout, password change or deactivation ends it), and it never
//!   reaches a script.
//! - **CSRF**: every form carries a token derived from the session (SHA-256 of
//!   the cookie's value under a label), checked on every POST, and a POST whose
//!   `Origin` is another site is refused before anything runs.
//! - **Isolation**: `/app/{slug}` is authorised by `Tenantry::authorize_slug`,
//!   so another tenant's pages answer 404 — as a missing tenant's — and the
//!   attempt is audited, as over the API.
//! - **No script**: plain forms and links; the stylesheet is shipped in the
//!   binary; a strict Content-Security-Policy (`default-src 'none'`).

mod account;
mod admin;
mod billing_simulator;
mod charts;
mod forms;
mod invitation;
mod layout;
mod recovery;
mod session;
mod signup;
mod tenant;
mod unsubscribe;

use crate::l10n::t;
use crate::problem::ApiError;
use crate::state::AppState;
use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
pub(crate) use layout::Page;
pub(crate) use session::safe_path;
use tower_http::set_header::SetResponseHeaderLayer;

const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self' https: data:; form-action 'self'; \
                   frame-ancestors 'none'; base-uri 'none'";

/// The pages' routes (merged into [`crate::router`]): each module owns its own.
pub(crate) fn routes(state: &AppState) -> Router<AppState> {
    // What anyone can post: the per-address throttle first (issue 18).
    let anonymous = Router::new()
        .merge(session::anonymous())
        .merge(invitation::anonymous())
        .merge(recovery::anonymous())
        .merge(signup::anonymous())
        .merge(unsubscribe::anonymous())
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), crate::throttle::per_address));
    Router::new()
        .merge(anonymous)
        .merge(session::routes())
        .merge(account::routes())
        .merge(invitation::routes())
        .merge(recovery::routes())
        .merge(signup::routes())
        .merge(unsubscribe::routes())
        .merge(tenant::routes())
        .merge(admin::routes())
        .route("/assets/app.css", get(stylesheet))
        .route("/language/{tag}", get(crate::l10n::switch))
        // Every page's policy, unless the answer brings a stricter one of its own (a stored
        // file's download: `sandbox`, issue 27).
        .layer(SetResponseHeaderLayer::if_not_present(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP)))
}

/// The billing simulator's hosted Checkout and Portal pages (merged into
/// [`crate::router`] only when the simulator is the payment provider).
pub(crate) fn simulator_routes() -> Router<AppState> {
    Router::new()
        .route(
            "/billing/simulator/checkout/{id}",
            get(billing_simulator::checkout_page).post(billing_simulator::checkout_submit),
        )
        .route(
            "/billing/simulator/portal/{id}",
            get(billing_simulator::portal_page).post(billing_simulator::portal_submit),
        )
        .route("/billing/simulator/invoices/{id}", get(billing_simulator::invoice_page))
        .route("/billing/simulator/invoices/{id}/pdf", get(billing_simulator::invoice_pdf))
        .layer(SetResponseHeaderLayer::overriding(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP)))
}

async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("text/css; charset=utf-8")),
            (header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=3600")),
        ],
        include_str!("app.css"),
    )
        .into_response()
}

/// A page's refusal: the use case's typed error as a page with its status.
#[derive(Debug)]
pub(crate) struct PageError(ApiError, Said);

/// Who wrote a refusal's text: the use case (English, with its specifics; a
/// reader of another language gets the catalogue's sentence for its code) or
/// the page itself, already in the reader's language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Said {
    ByTheUseCase,
    ByThePage,
}

impl<E: tenantry_ports::Problem> From<E> for PageError {
    fn from(e: E) -> Self {
        Self(ApiError::from(e), Said::ByTheUseCase)
    }
}

impl From<ApiError> for PageError {
    fn from(e: ApiError) -> Self {
        Self(e, Said::ByTheUseCase)
    }
}

impl PageError {
    /// A refusal the page words itself, in the reader's language.
    fn new(status: StatusCode, code: &'static str, detail: &str) -> Self {
        Self(ApiError::new(status, code, detail), Said::ByThePage)
    }
    fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", &t!("common-error-no-page"))
    }
    fn status(&self) -> StatusCode {
        self.0.status()
    }
    /// What happened, in the reader's language.
    fn detail(&self) -> String {
        match self.1 {
            Said::ByThePage => self.0.detail().to_owned(),
            Said::ByTheUseCase => crate::problem::localised(self.0.code(), self.0.detail()),
        }
    }
    /// The field of a form the refusal concerns: the id `fields` gives its
    /// problem code, if any.
    fn field(&self, fields: &[(&str, &'static str)]) -> Option<&'static str> {
        fields.iter().find(|(code, _)| *code == self.0.code()).map(|(_, id)| *id)
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        if self.status() == StatusCode::UNAUTHORIZED {
            // The session no longer holds (logged out, password or role changed): log in again.
            return session::to_login();
        }
        if self.0.code() == "mfa_enrolment_required" {
            // The account must set up two-factor authentication before anything else.
            return axum::response::Redirect::to("/account/mfa").into_response();
        }
        if self.0.code() == "payment_method_required" {
            // The tenant's trial starts with a payment method on file: that page first.
            return axum::response::Redirect::to("/start").into_response();
        }
        let title = match self.status() {
            StatusCode::NOT_FOUND => t!("common-error-not-found"),
            StatusCode::FORBIDDEN => t!("common-error-forbidden"),
            s if s.is_server_error() => t!("common-error-server"),
            _ => t!("common-error-refused"),
        };
        let body = maud::html! {
            h1 { (title) }
            p.error role="alert" { (self.detail()) }
            p { a href="/" { (t!("common-error-back")) } }
        };
        (self.status(), Page::bare(&title, body)).into_response()
    }
}

type PageResult = Result<Response, PageError>;

/// An unknown address: a page for a browser (it asks for HTML), problem+json
/// for anything else and for every `/v1/` path.
pub(crate) async fn unknown(uri: axum::http::Uri, headers: axum::http::HeaderMap) -> Response {
    let wants_html =
        headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|accept| accept.contains("text/html"));
    if wants_html && !uri.path().starts_with("/v1/") {
        let mut page = PageError::not_found().into_response();
        page.headers_mut().insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
        page
    } else {
        crate::problem::ApiError::not_found().into_response()
    }
}

/// A throttle's refusal as a page: 429 with `Retry-After`.
pub(crate) fn too_many(e: ApiError) -> Response {
    let wait = e.retry_after_secs();
    let mut response = PageError::from(e).into_response();
    if let Some(seconds) = wait {
        response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    response
}

//! Browser sessions: the login and logout forms, the session cookie, the CSRF
//! token derived from it, and the check that a form was posted by this site.

use crate::auth;
use crate::auth::TokenUse;
use crate::l10n::t;
use crate::state::AppState;
use crate::web::layout::{Nav, Page, alert, csrf_field, moment, summary};
use crate::web::{PageError, PageResult};
use axum::Router;
use axum::extract::{FromRequest, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use maud::{Markup, html};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};
use tenantry_domain::session::SessionKind;
use tenantry_ports::Principal;
use tenantry_ports::services::auth::LoginInput;

/// Its pages anyone may post to (behind the per-address throttle).
pub(super) fn anonymous() -> Router<AppState> {
    Router::new().route("/login", post(login_submit)).route("/login/mfa", post(mfa_submit))
}

/// Its pages.
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/login", get(login_page))
        .route("/logout", post(logout))
        .route("/impersonation/stop", post(stop_impersonation))
        .route("/account/sessions", get(sessions_page))
        .route("/account/sessions/end-all", post(end_all_sessions))
        .route("/account/sessions/{sid}/end", post(end_session))
}

/// The session cookie's name. `__Host-`: the browser keeps it only when it is
/// `Secure`, for `Path=/` and without a `Domain` — no other host (a sibling
/// subdomain) can set or shadow it.
pub(crate) const COOKIE: &str = "__Host-tenantry_session";
/// The cookie of a support session: the superuser acting as a tenant user
/// (time-boxed; while it holds, it is the session; the superuser's own stays).
pub(crate) const IMPERSONATION: &str = "__Host-tenantry_impersonation";

/// A logged-in browser: the principal its cookie proves, not yet authorised
/// for anything (the pages authorise it for their tenant or the platform).
pub(crate) struct Session {
    /// Who.
    pub principal: Principal,
    /// The token every form of this session carries.
    pub csrf: String,
    /// A support session: the superuser acting as this user until then.
    pub impersonating: Option<chrono::DateTime<chrono::Utc>>,
}

impl FromRequestParts<AppState> for Session {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        // The control plane always runs as the superuser: a support session
        // (valid, expired or refused) never stands between them and `/admin`.
        let control_plane = parts.uri.path() == "/admin" || parts.uri.path().starts_with("/admin/");
        if let Some(token) = cookie(&parts.headers, IMPERSONATION).filter(|_| !control_plane) {
            let verified = auth::verify(&state.keys, state.clock.as_ref(), token.expose_secret(), TokenUse::Access);
            if let Ok(principal @ Principal::Impersonation { .. }) = verified {
                let until = auth::expiry(&state.keys, token.expose_secret());
                return Ok(Session { principal, csrf: csrf_of(&token), impersonating: until });
            }
            // Expired or not one: the superuser's own session applies again.
        }
        let to_login = || Redirect::to("/login").into_response();
        let token = cookie(&parts.headers, COOKIE).ok_or_else(to_login)?;
        let principal = auth::verify(&state.keys, state.clock.as_ref(), token.expose_secret(), TokenUse::Web)
            .map_err(|_| to_login())?;
        if parts.uri.path().starts_with("/account/") {
            settle_reader(state, &principal).await;
        }
        Ok(Session { principal, csrf: csrf_of(&token), impersonating: None })
    }
}

/// The account's own pages (`/account/…`, outside any `/app/{slug}`) read in
/// the user's language and zone, else their workspace's, as its pages do
/// (`tenant::tenant` settles those). The superuser has no such setting.
async fn settle_reader(state: &AppState, principal: &Principal) {
    let Some(tenant) = principal.tenant_id() else { return };
    if let Ok(scope) = state.tenantry.authorize(principal, tenant).await {
        crate::l10n::settle_scope(state, &scope).await;
    }
}

/// The CSRF token of a session: SHA-256 of its cookie under a label, so a page
/// of another site, which cannot read the cookie, cannot know it.
fn csrf_of(token: &SecretString) -> String {
    let digest = Sha256::new().chain_update(b"tenantry-web-csrf\0").chain_update(token.expose_secret()).finalize();
    hex::encode(&digest[..16])
}

fn cookie(headers: &HeaderMap, name: &str) -> Option<SecretString> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| SecretString::from(v.to_owned()))
}

fn set_cookie(token: &str) -> Result<HeaderValue, PageError> {
    let max_age = auth::REFRESH_TTL.num_seconds();
    HeaderValue::from_str(&format!("{COOKIE}={token}; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age={max_age}"))
        .map_err(|_| session_not_set())
}

/// The support session's cookie, ending when the impersonation ends.
pub(crate) fn impersonation_cookie(token: &str, seconds: i64) -> Result<HeaderValue, PageError> {
    HeaderValue::from_str(&format!(
        "{IMPERSONATION}={token}; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age={}",
        seconds.max(0)
    ))
    .map_err(|_| session_not_set())
}

fn session_not_set() -> PageError {
    PageError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal_error", &t!("account-error-session-not-set"))
}

/// `POST /impersonation/stop`: back to the superuser's own session (the end
/// is audited, as the start was).
pub(crate) async fn stop_impersonation(
    State(state): State<AppState>,
    session: Session,
    WebForm(form): WebForm<CsrfForm>,
) -> PageResult {
    session.check(&form.csrf)?;
    if session.impersonating.is_some()
        && let Err(e) = state.tenantry.end_impersonation(&session.principal).await
    {
        // The cookie goes either way; a session that no longer holds has nothing left to end.
        tracing::warn!(error = %e, "the end of a support session was not recorded");
    }
    let mut response = Redirect::to("/admin").into_response();
    response.headers_mut().insert(header::SET_COOKIE, clear_impersonation());
    Ok(response)
}

fn clear_cookie() -> HeaderValue {
    HeaderValue::from_static("__Host-tenantry_session=; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=0")
}

/// A form posted by a page of this site: refused (403) when the browser says
/// it comes from another origin, and (422) when it is not the form expected.
pub(crate) struct WebForm<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for WebForm<T> {
    type Rejection = PageError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !same_site(req.headers()) {
            return Err(cross_site());
        }
        let axum::Form(value) = axum::Form::<T>::from_request(req, state).await.map_err(|e| {
            let reason = e.to_string();
            PageError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_form",
                &t!("account-error-form-incomplete", reason = reason),
            )
        })?;
        Ok(WebForm(value))
    }
}

/// The refusal of a form another site's page posted.
pub(crate) fn cross_site() -> PageError {
    PageError::new(StatusCode::FORBIDDEN, "cross_site_form", &t!("account-error-cross-site"))
}

/// Whether a form post comes from this site, as the browser tells: by
/// `Sec-Fetch-Site` where it sends it (every current browser), else by
/// `Origin` against `Host`. A request with neither (not a browser) passes: the
/// session forms' CSRF token is what stops it.
pub(crate) fn same_site(headers: &HeaderMap) -> bool {
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        return site == "same-origin" || site == "none";
    }
    match headers.get(header::ORIGIN).and_then(|o| o.to_str().ok()) {
        None => true,
        Some(origin) => {
            let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or_default();
            origin.split_once("://").is_some_and(|(_, rest)| rest == host)
        }
    }
}

impl Session {
    /// Refuses a form whose CSRF token is not this session's (compared in
    /// constant time: how long the comparison takes says nothing of the token).
    pub(crate) fn check(&self, csrf: &str) -> Result<(), PageError> {
        use subtle::ConstantTimeEq;
        if csrf.len() == self.csrf.len() && bool::from(csrf.as_bytes().ct_eq(self.csrf.as_bytes())) {
            Ok(())
        } else {
            Err(PageError::new(StatusCode::FORBIDDEN, "csrf", &t!("account-error-csrf")))
        }
    }
}

/// `/`: the superuser's control plane, the user's tenant, or the login.
pub(crate) async fn home(State(state): State<AppState>, session: Option<Session>) -> Response {
    let Some(session) = session else { return Redirect::to("/login").into_response() };
    match session.principal {
        Principal::Superuser { .. } => Redirect::to("/admin").into_response(),
        Principal::User { tenant_id, .. } | Principal::Impersonation { tenant_id, .. } => {
            match state.tenantry.authorize(&session.principal, tenant_id).await {
                Ok(scope) => match state.tenantry.get_tenant(&scope).await {
                    Ok(t) => Redirect::to(&format!("/app/{}", t.slug)).into_response(),
                    Err(e) => PageError::from(e).into_response(),
                },
                Err(tenantry_ports::services::auth::AuthorizeError::MfaEnrolmentRequired) => {
                    Redirect::to("/account/mfa").into_response()
                }
                Err(_) => logged_out(Redirect::to("/login").into_response()),
            }
        }
        Principal::ApiKey { .. } => Redirect::to("/login").into_response(),
    }
}

impl axum::extract::OptionalFromRequestParts<AppState> for Session {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Option<Self>, Self::Rejection> {
        Ok(<Session as FromRequestParts<AppState>>::from_request_parts(parts, state).await.ok())
    }
}

/// A path on this service to send a browser to, or `/`: it must start with
/// one `/` (not `//` or `/\\`, which browsers read as another host) and hold no
/// backslash, control or whitespace character (`/\t/evil.example.com` is read
/// as `//evil.example.com`), and parse as a path and query.
pub(crate) fn safe_path(to: Option<&str>) -> String {
    let plain = |p: &str| {
        p.starts_with('/')
            && !p.starts_with("//")
            && !p.chars().any(|c| c == '\\' || c.is_control() || c.is_whitespace())
            && p.parse::<axum::http::uri::PathAndQuery>().is_ok()
    };
    match to {
        Some(path) if plain(path) => path.to_owned(),
        _ => "/".to_owned(),
    }
}

/// To the login, and back to `uri` once signed in.
pub(crate) fn login_then(uri: &axum::http::Uri) -> Response {
    let back = uri.path_and_query().map_or("/", |p| p.as_str());
    let query = serde_urlencoded::to_string([("next", back)]).unwrap_or_default();
    Redirect::to(&format!("/login?{query}")).into_response()
}

fn login_form(message: Option<&str>, tenant: &str, email: &str, next: &str) -> Page {
    // The switch comes back to this form as it is: the workspace filled in, the page to go on to.
    let mut back = Vec::new();
    if !tenant.is_empty() {
        back.push(("tenant", tenant));
    }
    if next != "/" {
        back.push(("next", next));
    }
    let back = match serde_urlencoded::to_string(&back) {
        Ok(query) if !query.is_empty() => format!("/login?{query}"),
        _ => "/login".to_owned(),
    };
    let title = t!("account-login-title");
    Page::bare(
        &title,
        html! {
            (language_switch(&back))
            h1 { (title) }
            (summary(message, message.map(|_| "email")))
            form.card method="post" action="/login" {
                input type="hidden" name="next" value=(next);
                label for="tenant" { (t!("account-login-workspace")) span.hint { " " (t!("account-login-workspace-hint")) } }
                input #tenant name="tenant" type="text" value=(tenant) autocomplete="organization";
                label for="email" { (t!("account-email")) }
                input #email name="email" type="email" value=(email) required autocomplete="username";
                label for="password" { (t!("account-password")) }
                input #password name="password" type="password" required autocomplete="current-password";
                button type="submit" { (t!("account-login-submit")) }
            }
            p { a #forgot href="/forgot" { (t!("account-forgot-password-link")) } " · "
                a #find-workspace href="/find-workspace" { (t!("account-forgot-workspace-link")) } }
        },
    )
}

/// The login and signup pages' language switch (issue 25): a link per
/// language, each written in itself, through `/language/{tag}` (which keeps
/// the choice in a cookie) and back to `back`, a path of this service.
pub(crate) fn language_switch(back: &str) -> Markup {
    let current = crate::l10n::reader().language();
    let query = serde_urlencoded::to_string([("back", back)]).unwrap_or_default();
    html! {
        nav.language-switch aria-label=(t!("account-language-switch")) {
            @for (i, language) in tenantry_i18n::Language::ALL.into_iter().enumerate() {
                @if i > 0 { " · " }
                a id={ "lang-" (language.tag()) } href={ "/language/" (language.tag()) "?" (query) }
                    lang=(language.tag()) hreflang=(language.tag())
                    aria-current=[(language == current).then_some("true")] { (language.endonym()) }
            }
        }
    }
}

/// Where to go after the login, and the workspace to fill in (a mailed link's).
#[derive(Deserialize)]
pub(crate) struct Next {
    next: Option<String>,
    tenant: Option<String>,
}

/// `GET /login[?next=/path][&tenant=slug]`.
pub(crate) async fn login_page(axum::extract::Query(next): axum::extract::Query<Next>) -> Page {
    let tenant = next.tenant.as_deref().map(str::trim).filter(|t| tenantry_domain::Slug::parse(t).is_ok());
    login_form(None, tenant.unwrap_or(""), "", &safe_path(next.next.as_deref()))
}

#[derive(Deserialize)]
pub(crate) struct LoginForm {
    #[serde(default)]
    tenant: String,
    email: String,
    password: SecretString,
    #[serde(default)]
    next: Option<String>,
}

/// `POST /login`: the API's login, for a browser's session; a second factor is
/// asked on the next form.
pub(crate) async fn login_submit(
    State(state): State<AppState>,
    client: crate::client::Client,
    WebForm(form): WebForm<LoginForm>,
) -> PageResult {
    let tenant = form.tenant.trim().to_owned();
    let next = safe_path(form.next.as_deref());
    let account = format!("login:{tenant}:{}", form.email.trim());
    if let Err(e) = state.throttles.account(&state.tenantry, &account).await {
        return Ok(super::too_many(e));
    }
    let input = LoginInput {
        tenant: (!tenant.is_empty()).then(|| tenant.clone()),
        email: form.email.clone(),
        password: form.password,
    };
    let done = match state.tenantry.login_from(input, &client.web()).await {
        Ok(done) => done,
        Err(e) => {
            let e = PageError::from(e);
            let page = login_form(Some(e.detail().as_str()), &tenant, &form.email, &next);
            return Ok((e.status(), page).into_response());
        }
    };
    if done.mfa_required {
        let mfa_token = auth::issue(&state.keys, state.clock.as_ref(), &done.principal, TokenUse::Mfa)?;
        return Ok(mfa_form(None, &mfa_token, &next).into_response());
    }
    signed_in(&state, &done.principal, &next)
}

/// Signs the browser in and sends it to `location`: a path of this service, or
/// the payment provider's hosted page the use case answered (an address
/// tenantry made, never one a caller gave).
pub(crate) fn signed_in_to(state: &AppState, principal: &Principal, location: &str) -> PageResult {
    let token = auth::issue(&state.keys, state.clock.as_ref(), principal, TokenUse::Web)?;
    let mut response = Redirect::to(location).into_response();
    response.headers_mut().insert(header::SET_COOKIE, set_cookie(&token)?);
    Ok(response)
}

fn signed_in(state: &AppState, principal: &Principal, next: &str) -> PageResult {
    let token = auth::issue(&state.keys, state.clock.as_ref(), principal, TokenUse::Web)?;
    let mut response = Redirect::to(&safe_path(Some(next))).into_response();
    response.headers_mut().insert(header::SET_COOKIE, set_cookie(&token)?);
    Ok(response)
}

fn mfa_form(message: Option<&str>, mfa_token: &str, next: &str) -> Page {
    let title = t!("account-login-mfa-title");
    Page::bare(
        &title,
        html! {
            h1 { (title) }
            (alert(message))
            form.card method="post" action="/login/mfa" {
                input type="hidden" name="mfa_token" value=(mfa_token);
                input type="hidden" name="next" value=(next);
                label for="code" { (t!("account-login-mfa-code")) }
                input #code name="code" type="text" inputmode="numeric" required autocomplete="one-time-code";
                button type="submit" { (t!("account-continue")) }
            }
        },
    )
}

#[derive(Deserialize)]
pub(crate) struct MfaForm {
    mfa_token: SecretString,
    code: SecretString,
    #[serde(default)]
    next: Option<String>,
}

/// `POST /login/mfa`: the login's second step.
pub(crate) async fn mfa_submit(
    State(state): State<AppState>,
    client: crate::client::Client,
    WebForm(form): WebForm<MfaForm>,
) -> PageResult {
    let pending = auth::verify(&state.keys, state.clock.as_ref(), form.mfa_token.expose_secret(), TokenUse::Mfa)
        .map_err(|_| PageError::new(StatusCode::UNAUTHORIZED, "unauthenticated", &t!("account-error-login-expired")))?;
    let next = safe_path(form.next.as_deref());
    if let Err(e) = state.throttles.account(&state.tenantry, &crate::throttle::principal_key(&pending)).await {
        return Ok(super::too_many(e));
    }
    match state.tenantry.complete_mfa_login_from(&pending, form.code.expose_secret(), &client.web()).await {
        Ok(done) => signed_in(&state, &done.principal, &next),
        Err(e) => {
            let e = PageError::from(e);
            Ok((e.status(), mfa_form(Some(e.detail().as_str()), form.mfa_token.expose_secret(), &next)).into_response())
        }
    }
}

/// A form that carries nothing but this session's CSRF token.
#[derive(Deserialize)]
pub(crate) struct CsrfForm {
    /// The token.
    pub csrf: String,
}

/// `POST /logout`: ends this browser's session (the account's others hold)
/// and clears the cookies. During a support session it ends the support
/// session and the superuser's own browser session too.
pub(crate) async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    session: Session,
    WebForm(form): WebForm<CsrfForm>,
) -> PageResult {
    session.check(&form.csrf)?;
    state.tenantry.logout(&session.principal).await?;
    if session.impersonating.is_some()
        && let Some(own) = cookie(&headers, COOKIE)
        && let Ok(principal) = auth::verify(&state.keys, state.clock.as_ref(), own.expose_secret(), TokenUse::Web)
    {
        state.tenantry.logout(&principal).await?;
    }
    Ok(logged_out(Redirect::to("/login").into_response()))
}

/// Back to the login, forgetting the session.
pub(crate) fn to_login() -> Response {
    logged_out(Redirect::to("/login").into_response())
}

/// Clears both cookies: the session's and any support session's.
fn logged_out(mut response: Response) -> Response {
    response.headers_mut().append(header::SET_COOKIE, clear_cookie());
    response.headers_mut().append(header::SET_COOKIE, clear_impersonation());
    response
}

fn clear_impersonation() -> HeaderValue {
    HeaderValue::from_static("__Host-tenantry_impersonation=; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=0")
}

/// `GET /account/sessions`: the account's sessions (browsers, API clients,
/// support sessions as the user), each with an End button, and "sign out
/// everywhere".
pub(crate) async fn sessions_page(State(state): State<AppState>, session: Session) -> PageResult {
    let list = state.tenantry.sessions(&session.principal).await?;
    let back = match session.principal {
        Principal::Superuser { .. } => "/admin",
        _ => "/",
    };
    let title = t!("account-sessions-title");
    let none = t!("account-sessions-unknown");
    Ok(Page::bare(
        &title,
        html! {
            h1 { (title) }
            p.hint { (t!("account-sessions-intro")) }
            div.scroll {
                table #sessions {
                    thead { tr {
                        th scope="col" { (t!("account-sessions-kind")) } th scope="col" { (t!("account-sessions-client")) }
                        th scope="col" { (t!("account-sessions-network")) } th scope="col" { (t!("account-sessions-started")) }
                        th scope="col" { (t!("account-sessions-last-used")) } th scope="col" { "" }
                    } }
                    tbody {
                        @for s in &list {
                            tr id={ "session-" (s.id) } {
                                td { (kind(s.kind)) @if s.current { " " (t!("account-sessions-current")) } }
                                td { (s.user_agent.as_deref().unwrap_or(&none)) }
                                td { (s.address.as_deref().unwrap_or(&none)) }
                                td { (moment(s.created_at)) }
                                td { (moment(s.last_used_at)) }
                                td {
                                    form.inline method="post" action={ "/account/sessions/" (s.id) "/end" } {
                                        (field(&session))
                                        button type="submit"
                                            aria-label=(t!("account-sessions-end-label", started = moment(s.created_at))) {
                                            (t!("account-sessions-end"))
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            form.card method="post" action="/account/sessions/end-all" {
                (field(&session))
                button #end-all type="submit" { (t!("account-sessions-end-all")) }
            }
            p { a href=(back) { (t!("account-back")) } }
        },
    )
    .into_response())
}

/// A session's kind, as the list names it.
fn kind(kind: SessionKind) -> String {
    match kind {
        SessionKind::Api => t!("account-sessions-kind-api"),
        SessionKind::Web => t!("account-sessions-kind-web"),
        SessionKind::Impersonation => t!("account-sessions-kind-impersonation"),
    }
}

/// `POST /account/sessions/{sid}/end`: ends one of the account's sessions
/// (another account's id is 404); this browser's own ends with a logout.
pub(crate) async fn end_session(
    State(state): State<AppState>,
    session: Session,
    axum::extract::Path(sid): axum::extract::Path<String>,
    WebForm(form): WebForm<CsrfForm>,
) -> PageResult {
    session.check(&form.csrf)?;
    let sid = tenantry_domain::SessionId::parse(&sid).map_err(|_| PageError::not_found())?;
    state.tenantry.end_session(&session.principal, sid).await?;
    if session.principal.session() == Some(sid) {
        return Ok(logged_out(Redirect::to("/login").into_response()));
    }
    Ok(Redirect::to("/account/sessions").into_response())
}

/// `POST /account/sessions/end-all`: signs the account out everywhere, this browser too.
pub(crate) async fn end_all_sessions(
    State(state): State<AppState>,
    session: Session,
    WebForm(form): WebForm<CsrfForm>,
) -> PageResult {
    session.check(&form.csrf)?;
    state.tenantry.logout_everywhere(&session.principal).await?;
    Ok(logged_out(Redirect::to("/login").into_response()))
}

/// Signs a browser in as `principal` (after an invitation is accepted).
pub(crate) fn sign_in(state: &AppState, principal: &Principal) -> PageResult {
    signed_in(state, principal, "/")
}

/// The navigation of the superuser's pages.
pub(crate) fn admin_nav(session: &Session) -> Nav {
    Nav::Admin { csrf: session.csrf.clone() }
}

/// The hidden field of this session's forms.
pub(crate) fn field(session: &Session) -> maud::Markup {
    csrf_field(&session.csrf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_csrf_token_depends_on_the_session_and_never_contains_it() {
        let a = SecretString::from("header.payload.signature-a".to_owned());
        let b = SecretString::from("header.payload.signature-b".to_owned());
        assert_ne!(csrf_of(&a), csrf_of(&b));
        assert_eq!(csrf_of(&a), csrf_of(&a));
        assert_eq!(csrf_of(&a).len(), 32);
        assert!(!csrf_of(&a).contains("signature"));
    }

    #[test]
    fn a_form_from_another_site_is_told_apart() {
        let headers = |pairs: &[(&'static str, &'static str)]| {
            let mut h = HeaderMap::new();
            for (k, v) in pairs {
                h.insert(*k, HeaderValue::from_static(v));
            }
            h
        };
        assert!(same_site(&headers(&[("sec-fetch-site", "same-origin"), ("origin", "null")])));
        assert!(!same_site(&headers(&[("sec-fetch-site", "cross-site")])));
        assert!(!same_site(&headers(&[("sec-fetch-site", "same-site")])));
        assert!(same_site(&headers(&[("origin", "https://t.example.com"), ("host", "t.example.com")])));
        assert!(!same_site(&headers(&[("origin", "https://evil.example.com"), ("host", "t.example.com")])));
        assert!(!same_site(&headers(&[("origin", "null"), ("host", "t.example.com")])));
        assert!(same_site(&headers(&[])), "not a browser: the CSRF token decides");
    }

    #[test]
    fn only_plain_paths_on_this_service_are_followed() {
        assert_eq!(safe_path(Some("/v1/billing/return")), "/v1/billing/return");
        assert_eq!(safe_path(Some("/app/acme/settings?x=1")), "/app/acme/settings?x=1");
        for bad in [
            "https://evil.example.com",
            "//evil.example.com",
            "/\\evil.example.com",
            "/\t/evil.example.com",
            "/%09/evil.example.com\n",
            "/ /evil.example.com",
            "/\r\n/evil.example.com",
            "evil.example.com",
            "",
        ] {
            assert_eq!(safe_path(Some(bad)), "/", "{bad:?}");
        }
        assert_eq!(safe_path(None), "/");
    }

    #[test]
    fn the_cookie_is_found_among_others() {
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, HeaderValue::from_static("a=1; __Host-tenantry_session=tok; b=2"));
        assert_eq!(cookie(&headers, COOKIE).map(|s| s.expose_secret().to_owned()), Some("tok".to_owned()));
        assert!(cookie(&headers, "missing").is_none());
    }
}

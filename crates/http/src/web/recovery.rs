//! A forgotten password and an address to confirm, in the browser (issue
//! 24): `/forgot` asks for the link (the same answer whether or not the
//! account exists), `/reset?token=…` — the mail's link — sets the new
//! password, `/verify?token=…` confirms the address with one button (a GET
//! changes nothing: a mail scanner opening the link confirms nothing),
//! `/email-change?token=…` moves an account to its new address the same way,
//! and `/find-workspace` mails the workspaces of an address (the same page
//! whatever the address). Each posts to the same use case as the API, behind
//! the same throttles.

use crate::l10n::t;
use crate::state::AppState;
use crate::web::layout::{Page, alert, summary};
use crate::web::session::WebForm;
use crate::web::{PageError, PageResult, too_many};
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use maud::html;
use secrecy::SecretString;
use serde::Deserialize;
use tenantry_ports::services::account::{ResetConfirmation, ResetRequest};

/// Its forms anyone may post (behind the per-address throttle).
pub(super) fn anonymous() -> Router<AppState> {
    Router::new()
        .route("/forgot", post(forgot_submit))
        .route("/reset", post(reset_submit))
        .route("/verify", post(verify_submit))
        .route("/email-change", post(email_change_submit))
        .route("/find-workspace", post(find_workspace_submit))
}

/// Its pages.
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/forgot", get(forgot_page))
        .route("/reset", get(reset_page))
        .route("/verify", get(verify_page))
        .route("/email-change", get(email_change_page))
        .route("/find-workspace", get(find_workspace_page))
}

fn forgot_form(error: Option<&str>, tenant: &str, email: &str) -> Page {
    let title = t!("account-forgot-title");
    Page::bare(
        &title,
        html! {
            h1 { (title) }
            (alert(error))
            p { (t!("account-forgot-intro")) }
            form.card method="post" action="/forgot" {
                label for="tenant" { (t!("account-login-workspace")) span.hint { " " (t!("account-forgot-workspace-hint")) } }
                input #tenant name="tenant" type="text" value=(tenant) required autocomplete="organization";
                label for="email" { (t!("account-email")) }
                input #email name="email" type="email" value=(email) required autocomplete="username";
                button #send-link type="submit" { (t!("account-forgot-submit")) }
            }
            p { a href="/login" { (t!("account-back-to-login")) } }
        },
    )
}

/// `GET /forgot`.
pub(crate) async fn forgot_page() -> Page {
    forgot_form(None, "", "")
}

#[derive(Deserialize)]
pub(crate) struct ForgotForm {
    tenant: String,
    email: String,
}

/// `POST /forgot`: the link is mailed when the account exists; the page says
/// the same either way (no account oracle).
pub(crate) async fn forgot_submit(State(state): State<AppState>, WebForm(form): WebForm<ForgotForm>) -> PageResult {
    let account = format!("reset:{}:{}", form.tenant.trim(), form.email.trim());
    if let Err(e) = state.throttles.account(&state.tenantry, &account).await {
        return Ok(too_many(e));
    }
    let input = ResetRequest { tenant: form.tenant, email: form.email };
    state.tenantry.request_password_reset(input).await?;
    let title = t!("account-check-mail");
    Ok(Page::bare(
        &title,
        html! {
            h1 { (title) }
            p #sent role="status" { (t!("account-forgot-sent")) }
            p { a href="/login" { (t!("account-back-to-login")) } }
        },
    )
    .into_response())
}

#[derive(Deserialize)]
pub(crate) struct TokenQuery {
    token: Option<String>,
}

/// The mailed link a page was opened without its token.
enum Link {
    Reset,
    Confirmation,
    AddressChange,
}

fn missing_token(link: Link) -> PageError {
    let detail = match link {
        Link::Reset => t!("account-link-incomplete-reset"),
        Link::Confirmation => t!("account-link-incomplete-confirmation"),
        Link::AddressChange => t!("account-link-incomplete-address-change"),
    };
    PageError::new(StatusCode::NOT_FOUND, "invalid_token", &detail)
}

fn reset_form(token: &str, error: Option<&PageError>) -> Page {
    let title = t!("account-reset-title");
    Page::bare(
        &title,
        html! {
            h1 { (title) }
            (summary(error.map(PageError::detail).as_deref(), error.and_then(|e| e.field(&[("weak_password", "password")]))))
            form.card method="post" action="/reset" {
                input type="hidden" name="token" value=(token);
                label for="password" {
                    (t!("account-reset-password")) span.hint { " " (t!("account-reset-password-hint")) }
                }
                input #password name="password" type="password" required autocomplete="new-password" minlength="8";
                button #set-password type="submit" { (t!("account-reset-submit")) }
            }
            p.hint { (t!("account-reset-sessions-end")) }
        },
    )
}

/// `GET /reset?token=…`: the reset mail's link.
pub(crate) async fn reset_page(Query(q): Query<TokenQuery>) -> PageResult {
    match q.token.filter(|t| !t.is_empty()) {
        Some(token) => Ok(reset_form(&token, None).into_response()),
        None => Err(missing_token(Link::Reset)),
    }
}

#[derive(Deserialize)]
pub(crate) struct ResetForm {
    token: String,
    password: SecretString,
}

/// `POST /reset`: the new password (the link works once, for an hour).
pub(crate) async fn reset_submit(State(state): State<AppState>, WebForm(form): WebForm<ResetForm>) -> PageResult {
    let token = SecretString::from(form.token.clone());
    if let Err(e) = state.throttles.account(&state.tenantry, &crate::throttle::link_key(&token)).await {
        return Ok(too_many(e));
    }
    match state.tenantry.confirm_password_reset(ResetConfirmation { token, password: form.password }).await {
        Ok(()) => Ok(Page::bare(
            &t!("account-reset-done-title"),
            html! {
                h1 { (t!("account-reset-done-title")) }
                p #reset-done role="status" { (t!("account-reset-done")) }
                p { a.button href="/login" { (t!("account-log-in")) } }
            },
        )
        .into_response()),
        Err(e) => {
            let e = PageError::from(e);
            Ok((e.status(), reset_form(&form.token, Some(&e))).into_response())
        }
    }
}

fn verify_form(token: &str, error: Option<&str>) -> Page {
    let title = t!("account-verify-title");
    Page::bare(
        &title,
        html! {
            h1 { (title) }
            (alert(error))
            form.card method="post" action="/verify" {
                input type="hidden" name="token" value=(token);
                p { (t!("account-verify-intro")) }
                button #confirm-address type="submit" { (t!("account-verify-submit")) }
            }
        },
    )
}

/// `GET /verify?token=…`: the verification mail's link — a button, so that
/// opening the link alone (a mail scanner's prefetch) confirms nothing.
pub(crate) async fn verify_page(Query(q): Query<TokenQuery>) -> PageResult {
    match q.token.filter(|t| !t.is_empty()) {
        Some(token) => Ok(verify_form(&token, None).into_response()),
        None => Err(missing_token(Link::Confirmation)),
    }
}

#[derive(Deserialize)]
pub(crate) struct VerifyForm {
    token: String,
}

/// `POST /verify`: the address confirmed (once, within seven days).
pub(crate) async fn verify_submit(State(state): State<AppState>, WebForm(form): WebForm<VerifyForm>) -> PageResult {
    let token = SecretString::from(form.token.clone());
    if let Err(e) = state.throttles.account(&state.tenantry, &crate::throttle::link_key(&token)).await {
        return Ok(too_many(e));
    }
    match state.tenantry.verify_email(&token).await {
        Ok(()) => Ok(Page::bare(
            &t!("account-verify-done-title"),
            html! {
                h1 { (t!("account-verify-done-title")) }
                p #verified role="status" { (t!("account-verify-done")) }
                p { a.button href="/login" { (t!("account-verify-done-continue")) } }
            },
        )
        .into_response()),
        Err(e) => {
            let e = PageError::from(e);
            Ok((e.status(), verify_form(&form.token, Some(e.detail().as_str()))).into_response())
        }
    }
}

fn email_change_form(token: &str, error: Option<&str>) -> Page {
    let title = t!("account-email-change-title");
    Page::bare(
        &title,
        html! {
            h1 { (title) }
            (alert(error))
            form.card method="post" action="/email-change" {
                input type="hidden" name="token" value=(token);
                p { (t!("account-email-change-intro")) }
                button #confirm-email-change type="submit" { (t!("account-email-change-submit")) }
            }
        },
    )
}

/// `GET /email-change?token=…`: the link mailed to a new address — a button,
/// as for `/verify`.
pub(crate) async fn email_change_page(Query(q): Query<TokenQuery>) -> PageResult {
    match q.token.filter(|t| !t.is_empty()) {
        Some(token) => Ok(email_change_form(&token, None).into_response()),
        None => Err(missing_token(Link::AddressChange)),
    }
}

/// `POST /email-change`: the account moved (once, within a day).
pub(crate) async fn email_change_submit(
    State(state): State<AppState>,
    WebForm(form): WebForm<VerifyForm>,
) -> PageResult {
    let token = SecretString::from(form.token.clone());
    if let Err(e) = state.throttles.account(&state.tenantry, &crate::throttle::link_key(&token)).await {
        return Ok(too_many(e));
    }
    match state.tenantry.confirm_email_change(&token).await {
        Ok(()) => Ok(Page::bare(
            &t!("account-email-change-done-title"),
            html! {
                h1 { (t!("account-email-change-done-title")) }
                p #email-changed role="status" { (t!("account-email-change-done")) }
                p { a.button href="/login" { (t!("account-log-in")) } }
            },
        )
        .into_response()),
        Err(e) => {
            let e = PageError::from(e);
            Ok((e.status(), email_change_form(&form.token, Some(e.detail().as_str()))).into_response())
        }
    }
}

/// `GET /find-workspace`.
pub(crate) async fn find_workspace_page() -> Page {
    let title = t!("account-find-title");
    Page::bare(
        &title,
        html! {
            h1 { (title) }
            p { (t!("account-find-intro")) }
            form.card method="post" action="/find-workspace" {
                label for="email" { (t!("account-email")) }
                input #email name="email" type="email" required autocomplete="email";
                button #find type="submit" { (t!("account-find-submit")) }
            }
            p { a href="/login" { (t!("account-back-to-login")) } }
        },
    )
}

#[derive(Deserialize)]
pub(crate) struct FindForm {
    email: String,
}

/// `POST /find-workspace`: the same page whatever the address (and as quick:
/// the lookup runs after the answer).
pub(crate) async fn find_workspace_submit(
    State(state): State<AppState>,
    WebForm(form): WebForm<FindForm>,
) -> PageResult {
    if let Err(e) =
        state.throttles.account(&state.tenantry, &format!("find:{}", form.email.trim().to_lowercase())).await
    {
        return Ok(too_many(e));
    }
    crate::api::account::find_workspaces_later(&state, form.email);
    let title = t!("account-check-mail");
    Ok(Page::bare(
        &title,
        html! {
            h1 { (title) }
            p #sent role="status" { (t!("account-find-sent")) }
            p { a href="/login" { (t!("account-back-to-login")) } }
        },
    )
    .into_response())
}

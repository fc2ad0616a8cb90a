//! A forgotten password and an address to confirm, in the browser (issue
//! 24): `/forgot` asks for the link (the same answer whether or not the
//! account exists), `/reset?token=…` — the mail's link — sets the new
//! password, `/verify?token=…` confirms the address with one button (a GET
//! changes nothing: a mail scanner opening the link confirms nothing),
//! `/email-change?token=…` moves an account to its new address the same way,
//! and `/find-workspace` mails the workspaces of an address (the same page
//! whatever the address). Each posts to the same use case as the API, behind
//! the same throttles.

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
    Page::bare(
        "Forgot your password?",
        html! {
            h1 { "Forgot your password?" }
            (alert(error))
            p { "We mail a link to set a new one (valid for an hour) to the address of your account." }
            form.card method="post" action="/forgot" {
                label for="tenant" { "Workspace" span.hint { " (its short name, as at the login)" } }
                input #tenant name="tenant" type="text" value=(tenant) required autocomplete="organization";
                label for="email" { "E-mail" }
                input #email name="email" type="email" value=(email) required autocomplete="username";
                button #send-link type="submit" { "Mail me a link" }
            }
            p { a href="/login" { "Back to the login" } }
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
    Ok(Page::bare(
        "Check your mail",
        html! {
            h1 { "Check your mail" }
            p #sent role="status" {
                "If this workspace has an account with this address, a link to set a new password is on its way. "
                "It works once, for an hour."
            }
            p { a href="/login" { "Back to the login" } }
        },
    )
    .into_response())
}

#[derive(Deserialize)]
pub(crate) struct TokenQuery {
    token: Option<String>,
}

fn missing_token(what: &str) -> PageError {
    PageError::new(StatusCode::NOT_FOUND, "invalid_token", &format!("This {what} link is incomplete."))
}

fn reset_form(token: &str, error: Option<&PageError>) -> Page {
    Page::bare(
        "Set a new password",
        html! {
            h1 { "Set a new password" }
            (summary(error.map(PageError::detail), error.and_then(|e| e.field(&[("weak_password", "password")]))))
            form.card method="post" action="/reset" {
                input type="hidden" name="token" value=(token);
                label for="password" {
                    "New password" span.hint { " (at least the length the platform asks, 8 characters by default)" }
                }
                input #password name="password" type="password" required autocomplete="new-password" minlength="8";
                button #set-password type="submit" { "Set the password" }
            }
            p.hint { "Every session of your account ends: log in again with the new password." }
        },
    )
}

/// `GET /reset?token=…`: the reset mail's link.
pub(crate) async fn reset_page(Query(q): Query<TokenQuery>) -> PageResult {
    match q.token.filter(|t| !t.is_empty()) {
        Some(token) => Ok(reset_form(&token, None).into_response()),
        None => Err(missing_token("reset")),
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
            "Your password is set",
            html! {
                h1 { "Your password is set" }
                p #reset-done role="status" { "Log in with it: every other session of your account has ended." }
                p { a.button href="/login" { "Log in" } }
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
    Page::bare(
        "Confirm your address",
        html! {
            h1 { "Confirm your address" }
            (alert(error))
            form.card method="post" action="/verify" {
                input type="hidden" name="token" value=(token);
                p { "This confirms that the address this link was mailed to is yours." }
                button #confirm-address type="submit" { "Confirm my address" }
            }
        },
    )
}

/// `GET /verify?token=…`: the verification mail's link — a button, so that
/// opening the link alone (a mail scanner's prefetch) confirms nothing.
pub(crate) async fn verify_page(Query(q): Query<TokenQuery>) -> PageResult {
    match q.token.filter(|t| !t.is_empty()) {
        Some(token) => Ok(verify_form(&token, None).into_response()),
        None => Err(missing_token("confirmation")),
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
            "Your address is confirmed",
            html! {
                h1 { "Your address is confirmed" }
                p #verified role="status" { "Thank you." }
                p { a.button href="/login" { "Go to your workspace" } }
            },
        )
        .into_response()),
        Err(e) => {
            let e = PageError::from(e);
            Ok((e.status(), verify_form(&form.token, Some(e.detail()))).into_response())
        }
    }
}

fn email_change_form(token: &str, error: Option<&str>) -> Page {
    Page::bare(
        "Confirm your new address",
        html! {
            h1 { "Confirm your new address" }
            (alert(error))
            form.card method="post" action="/email-change" {
                input type="hidden" name="token" value=(token);
                p { "Your account moves to the address this link was mailed to: you sign in with it from now on." }
                button #confirm-email-change type="submit" { "Use this address" }
            }
        },
    )
}

/// `GET /email-change?token=…`: the link mailed to a new address — a button,
/// as for `/verify`.
pub(crate) async fn email_change_page(Query(q): Query<TokenQuery>) -> PageResult {
    match q.token.filter(|t| !t.is_empty()) {
        Some(token) => Ok(email_change_form(&token, None).into_response()),
        None => Err(missing_token("address change")),
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
            "Your address is changed",
            html! {
                h1 { "Your address is changed" }
                p #email-changed role="status" { "Sign in with the new address from now on." }
                p { a.button href="/login" { "Log in" } }
            },
        )
        .into_response()),
        Err(e) => {
            let e = PageError::from(e);
            Ok((e.status(), email_change_form(&form.token, Some(e.detail()))).into_response())
        }
    }
}

/// `GET /find-workspace`.
pub(crate) async fn find_workspace_page() -> Page {
    Page::bare(
        "Find your workspace",
        html! {
            h1 { "Find your workspace" }
            p { "We mail you the name and sign-in link of each workspace where your address has an account." }
            form.card method="post" action="/find-workspace" {
                label for="email" { "E-mail" }
                input #email name="email" type="email" required autocomplete="email";
                button #find type="submit" { "Mail me my workspaces" }
            }
            p { a href="/login" { "Back to the login" } }
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
    Ok(Page::bare(
        "Check your mail",
        html! {
            h1 { "Check your mail" }
            p #sent role="status" {
                "If this address has an account in a workspace, a mail for each one is on its way, "
                "with its name and a link to sign in."
            }
            p { a href="/login" { "Back to the login" } }
        },
    )
    .into_response())
}

//! The account's two-factor authentication on the web (issue 18): the same
//! use cases as `/v1/me/mfa`, for tenant users and the superuser. A superuser
//! (or a user whom the platform requires it of) without a second factor is
//! sent here by every other page until enrolled.
//!
//! Enrolment: the password starts it (a wrong one counts toward the lockout);
//! the page then shows the secret once, as a QR code of its `otpauth://` URL
//! and as text; the first code from the app confirms it and shows the ten
//! recovery codes, once.

use crate::l10n::t;
use crate::state::AppState;
use crate::web::layout::{Page, alert};
use crate::web::session::{Session, WebForm, field};
use crate::web::{PageError, PageResult};
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use maud::{Markup, PreEscaped, html};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use tenantry_ports::services::mfa::{MfaEnrolment, MfaStatus, RecoveryCodes};
use tenantry_ports::{Principal, Problem};

/// Its pages.
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/account/mfa", get(mfa_page))
        .route("/account/mfa/start", post(mfa_start))
        .route("/account/mfa/confirm", post(mfa_confirm))
        .route("/account/mfa/recovery-codes", post(mfa_recovery_codes))
        .route("/account/mfa/disable", post(mfa_disable))
}

/// Where "Continue" leads once the account may work again.
fn home_of(session: &Session) -> &'static str {
    match session.principal {
        Principal::Superuser { .. } => "/admin",
        _ => "/",
    }
}

/// `GET /account/mfa`: where two-factor authentication stands, and its forms.
pub(crate) async fn mfa_page(State(state): State<AppState>, session: Session) -> PageResult {
    let status = state.tenantry.mfa_status(&session.principal).await?;
    Ok(status_page(&session, &status, None, StatusCode::OK).into_response())
}

fn status_page(session: &Session, status: &MfaStatus, message: Option<&str>, code: StatusCode) -> impl IntoResponse {
    let superuser = matches!(session.principal, Principal::Superuser { .. });
    let title = t!("account-mfa-title");
    let body = html! {
        h1 { (title) }
        (alert(message))
        @if status.enabled {
            p { (t!("account-mfa-on")) " " (t!("account-mfa-codes-left", count = status.recovery_codes_remaining)) }
            form.card method="post" action="/account/mfa/recovery-codes" {
                h2 { (t!("account-mfa-renew-title")) }
                p.hint { (t!("account-mfa-renew-hint")) }
                (field(session))
                label for="renew-code" { (t!("account-mfa-app-code")) }
                input #renew-code name="code" inputmode="numeric" autocomplete="one-time-code" required;
                button type="submit" { (t!("account-mfa-renew-submit")) }
            }
            @if !status.required {
                form.card method="post" action="/account/mfa/disable" {
                    h2 { (t!("account-mfa-off-title")) }
                    (field(session))
                    label for="off-password" { (t!("account-password")) }
                    input #off-password name="password" type="password" autocomplete="current-password" required;
                    label for="off-code" { (t!("account-mfa-app-or-recovery-code")) }
                    input #off-code name="code" autocomplete="one-time-code" required;
                    button type="submit" { (t!("account-mfa-off-submit")) }
                }
            } @else if superuser {
                p.hint { (t!("account-mfa-required-operators")) }
            } @else {
                p.hint { (t!("account-mfa-required-account")) }
            }
            p { a href=(home_of(session)) { (t!("account-back")) } }
        } @else {
            @if status.required {
                p.error role="alert" { (t!("account-mfa-needed")) }
            }
            p { (t!("account-mfa-intro")) }
            form.card method="post" action="/account/mfa/start" {
                (field(session))
                label for="start-password" { (t!("account-password")) }
                input #start-password name="password" type="password" autocomplete="current-password" required;
                button type="submit" { (t!("account-mfa-start-submit")) }
            }
            @if !status.required { p { a href=(home_of(session)) { (t!("account-back")) } } }
        }
    };
    (code, Page::bare(&title, body))
}

/// The password that starts an enrolment.
#[derive(Deserialize)]
pub(crate) struct StartForm {
    csrf: String,
    password: SecretString,
}

/// `POST /account/mfa/start`: a new secret, shown once with its QR code, and the confirmation form.
pub(crate) async fn mfa_start(
    State(state): State<AppState>,
    session: Session,
    WebForm(form): WebForm<StartForm>,
) -> PageResult {
    session.check(&form.csrf)?;
    match state.tenantry.start_mfa(&session.principal, &form.password).await {
        Ok(enrolment) => Ok(confirm_page(&session, &enrolment, None, StatusCode::OK).into_response()),
        Err(e) if e.code() == "wrong_password" => {
            let status = state.tenantry.mfa_status(&session.principal).await?;
            let err = PageError::from(e);
            Ok(status_page(&session, &status, Some(err.detail().as_str()), err.status()).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

/// The QR code of an `otpauth://` URL, as inline SVG (no script, no style:
/// the Content-Security-Policy holds).
fn qr(url: &SecretString) -> Markup {
    match qrcode::QrCode::new(url.expose_secret().as_bytes()) {
        Ok(code) => {
            let svg = code.render::<qrcode::render::svg::Color<'_>>().min_dimensions(200, 200).build();
            let svg = svg.find("<svg").map_or(svg.as_str(), |at| &svg[at..]).to_owned();
            html! { figure.qr aria-label=(t!("account-mfa-qr-label")) { (PreEscaped(svg)) } }
        }
        Err(_) => html! {},
    }
}

fn confirm_page(
    session: &Session,
    enrolment: &MfaEnrolment,
    message: Option<&str>,
    code: StatusCode,
) -> impl IntoResponse {
    let secret = enrolment.secret.expose_secret();
    let grouped: Vec<String> = secret.as_bytes().chunks(4).map(|c| String::from_utf8_lossy(c).into_owned()).collect();
    let title = t!("account-mfa-setup-title");
    let body = html! {
        h1 { (title) }
        (alert(message))
        ol {
            li { (t!("account-mfa-setup-scan")) }
            li { (t!("account-mfa-setup-enter", digits = 6u32)) }
        }
        (qr(&enrolment.otpauth_url))
        p { (t!("account-mfa-setup-key")) " " code #totp-secret { (grouped.join(" ")) } }
        form.card method="post" action="/account/mfa/confirm" {
            (field(session))
            // Only to show the same key again after a mistyped code: the store keeps the real one.
            input type="hidden" name="secret" value=(secret);
            input type="hidden" name="otpauth_url" value=(enrolment.otpauth_url.expose_secret());
            label for="confirm-code" { (t!("account-mfa-setup-code")) }
            input #confirm-code name="code" inputmode="numeric" autocomplete="one-time-code" required autofocus;
            button type="submit" { (t!("account-mfa-setup-submit")) }
        }
    };
    (code, Page::bare(&title, body))
}

/// A code, with the enrolment being shown (to show it again after a mistake).
#[derive(Deserialize)]
pub(crate) struct ConfirmForm {
    csrf: String,
    code: SecretString,
    secret: Option<SecretString>,
    otpauth_url: Option<SecretString>,
}

/// `POST /account/mfa/confirm`: the first code turns it on; the recovery codes, once.
pub(crate) async fn mfa_confirm(
    State(state): State<AppState>,
    session: Session,
    WebForm(form): WebForm<ConfirmForm>,
) -> PageResult {
    session.check(&form.csrf)?;
    match state.tenantry.confirm_mfa(&session.principal, form.code.expose_secret()).await {
        Ok(codes) => Ok(codes_page(&session, &codes).into_response()),
        Err(e) if e.status_is_invalid() => {
            let err = PageError::from(e);
            match (form.secret, form.otpauth_url) {
                (Some(secret), Some(otpauth_url)) => {
                    let enrolment = MfaEnrolment { secret, otpauth_url };
                    Ok(confirm_page(&session, &enrolment, Some(err.detail().as_str()), err.status()).into_response())
                }
                _ => Err(err),
            }
        }
        Err(e) => Err(e.into()),
    }
}

/// Invalid-input refusals re-show their form.
trait InvalidInput {
    fn status_is_invalid(&self) -> bool;
}

impl<E: Problem> InvalidInput for E {
    fn status_is_invalid(&self) -> bool {
        self.kind() == tenantry_ports::error::ErrorKind::Invalid
    }
}

fn codes_page(session: &Session, codes: &RecoveryCodes) -> impl IntoResponse {
    let title = t!("account-mfa-codes-title");
    let body = html! {
        h1 { (title) }
        p { (t!("account-mfa-codes-intro")) }
        ul #recovery-codes {
            @for c in &codes.recovery_codes { li { code { (c.expose_secret()) } } }
        }
        p { a href=(home_of(session)) { (t!("account-continue")) } }
    };
    Page::bare(&title, body)
}

/// A code.
#[derive(Deserialize)]
pub(crate) struct CodeForm {
    csrf: String,
    code: SecretString,
}

/// `POST /account/mfa/recovery-codes`: new recovery codes for a current code.
pub(crate) async fn mfa_recovery_codes(
    State(state): State<AppState>,
    session: Session,
    WebForm(form): WebForm<CodeForm>,
) -> PageResult {
    session.check(&form.csrf)?;
    match state.tenantry.renew_recovery_codes(&session.principal, form.code.expose_secret()).await {
        Ok(codes) => Ok(codes_page(&session, &codes).into_response()),
        Err(e) if e.status_is_invalid() => refused(&state, &session, e.into()).await,
        Err(e) => Err(e.into()),
    }
}

/// The password and a code that turn it off.
#[derive(Deserialize)]
pub(crate) struct DisableForm {
    csrf: String,
    password: SecretString,
    code: SecretString,
}

/// `POST /account/mfa/disable`: off, with the password and a code.
pub(crate) async fn mfa_disable(
    State(state): State<AppState>,
    session: Session,
    WebForm(form): WebForm<DisableForm>,
) -> PageResult {
    session.check(&form.csrf)?;
    match state.tenantry.disable_mfa(&session.principal, &form.password, form.code.expose_secret()).await {
        Ok(()) => Ok(Redirect::to("/account/mfa").into_response()),
        Err(e) if e.status_is_invalid() => refused(&state, &session, e.into()).await,
        Err(e) => Err(e.into()),
    }
}

/// The status page again, with the refusal above its forms.
async fn refused(state: &AppState, session: &Session, err: PageError) -> PageResult {
    let status = state.tenantry.mfa_status(&session.principal).await?;
    Ok(status_page(session, &status, Some(err.detail().as_str()), err.status()).into_response())
}

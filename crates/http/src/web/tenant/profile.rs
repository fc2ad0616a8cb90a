//! "Your profile" (`/app/{slug}/profile`, issue 24): the signed-in user's
//! name and password (with the current one), and the way to their two-factor
//! authentication, sessions and mail. The same use cases as `PATCH /v1/me`
//! and `POST /v1/me/password`.

use crate::state::AppState;
use crate::web::forms::Saved;
use crate::web::layout::alert;
use crate::web::session::{Session, WebForm, field, signed_in_to};
use crate::web::tenant::{nav, page, posted, tenant};
use crate::web::{PageError, PageResult, too_many};
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use maud::{Markup, html};
use secrecy::SecretString;
use serde::Deserialize;
use tenantry_ports::TenantScope;

/// Its pages.
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/app/{slug}/profile", get(profile))
        .route("/app/{slug}/profile/name", post(rename))
        .route("/app/{slug}/profile/password", post(password))
}

async fn body(
    state: &AppState,
    session: &Session,
    slug: &str,
    scope: &TenantScope,
    notice: Option<&str>,
    error: Option<&str>,
) -> Result<Markup, PageError> {
    let me = state.tenantry.me(scope).await?;
    let min = state.tenantry.platform_settings().await?.password.min_chars;
    let base = format!("/app/{slug}/profile");
    Ok(html! {
        h1 { "Your profile" }
        @if let Some(n) = notice { p.notice role="status" #saved { (n) } }
        (alert(error))
        section.card aria-labelledby="name-h" {
            h2 #name-h { "Name" }
            form method="post" action={ (base) "/name" } {
                (field(session))
                label for="name" { "Your name" }
                input #name name="name" type="text" value=(me.user.name) required autocomplete="name";
                button #save-name type="submit" { "Save the name" }
            }
            p { "E-mail: " strong #email { (me.user.email) }
                @if !me.user.email_verified { " (not confirmed yet)" } }
        }
        section.card aria-labelledby="password-h" {
            h2 #password-h { "Password" }
            form method="post" action={ (base) "/password" } {
                (field(session))
                label for="current_password" { "Current password" }
                input #current_password name="current_password" type="password" required autocomplete="current-password";
                label for="new_password" { "New password" span.hint { " (at least " (min) " characters)" } }
                input #new_password name="new_password" type="password" required minlength=(min) autocomplete="new-password";
                button #change-password type="submit" { "Change the password" }
            }
            p.hint { "Your other sessions end; this browser stays signed in." }
        }
        section.card aria-labelledby="security-h" {
            h2 #security-h { "Security and mail" }
            ul.links {
                li { a href="/account/mfa" { "Two-factor authentication" }
                    @if me.user.mfa_enabled { " (on)" } @else { " (off)" } }
                li { a href="/account/sessions" { "Your sessions" } }
                li { a href="/account/notifications" { "Your mail" } }
            }
        }
    })
}

/// `GET /app/{slug}/profile`.
pub(crate) async fn profile(
    State(state): State<AppState>,
    session: Session,
    Path(slug): Path<String>,
    Query(q): Query<Saved>,
) -> PageResult {
    let (scope, name) = tenant(&state, &session, &slug).await?;
    let notice = match q.saved.as_deref() {
        Some("name") => Some("Your name is saved."),
        Some("password") => Some("Your password is changed; your other sessions have ended."),
        _ => None,
    };
    let body = body(&state, &session, &slug, &scope, notice, None).await?;
    Ok(page(&state, &scope, "Your profile", nav(&session, &slug, &name), body).await.into_response())
}

/// The page again with `e`'s reason (nothing changed).
async fn refused(
    state: &AppState,
    session: &Session,
    slug: &str,
    scope: &TenantScope,
    name: &str,
    e: PageError,
) -> PageResult {
    let body = body(state, session, slug, scope, None, Some(e.detail())).await?;
    let page = page(state, scope, "Your profile", nav(session, slug, name), body).await;
    Ok((e.status(), page).into_response())
}

#[derive(Deserialize)]
pub(crate) struct NameForm {
    csrf: String,
    name: String,
}

/// `POST /app/{slug}/profile/name`.
pub(crate) async fn rename(
    State(state): State<AppState>,
    session: Session,
    Path(slug): Path<String>,
    WebForm(form): WebForm<NameForm>,
) -> PageResult {
    let (scope, name) = posted(&state, &session, &slug, &form.csrf).await?;
    match state.tenantry.rename_me(&scope, &form.name).await {
        Ok(_) => Ok(Redirect::to(&format!("/app/{slug}/profile?saved=name")).into_response()),
        Err(e) => refused(&state, &session, &slug, &scope, &name, PageError::from(e)).await,
    }
}

#[derive(Deserialize)]
pub(crate) struct PasswordForm {
    csrf: String,
    current_password: SecretString,
    new_password: SecretString,
}

/// `POST /app/{slug}/profile/password`: the browser goes on in a new session.
pub(crate) async fn password(
    State(state): State<AppState>,
    session: Session,
    client: crate::client::Client,
    Path(slug): Path<String>,
    WebForm(form): WebForm<PasswordForm>,
) -> PageResult {
    let (scope, name) = posted(&state, &session, &slug, &form.csrf).await?;
    if let Some(user) = scope.actor().user_id()
        && let Err(e) = state.throttles.account(&state.tenantry, &format!("password:{user}")).await
    {
        return Ok(too_many(e));
    }
    match state.tenantry.change_my_password(&scope, &form.current_password, &form.new_password, &client.web()).await {
        Ok(principal) => signed_in_to(&state, &principal, &format!("/app/{slug}/profile?saved=password")),
        Err(e) => refused(&state, &session, &slug, &scope, &name, PageError::from(e)).await,
    }
}

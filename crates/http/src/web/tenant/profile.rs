//! "Your profile" (`/app/{slug}/profile`, issue 24): the signed-in user's
//! name, address (moved by a link to the new one), password (with the
//! current one), language and time zone, and the way to their two-factor
//! authentication, sessions and mail. The same use cases as `PATCH /v1/me`,
//! `POST /v1/me/email` and `POST /v1/me/password`.

use crate::l10n::t;
use crate::state::AppState;
use crate::web::forms::Saved;
use crate::web::layout::summary;
use crate::web::session::{Session, WebForm, field, signed_in_to};
use crate::web::tenant::{nav, page, posted, tenant, zone_choices};
use crate::web::{PageError, PageResult, too_many};
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use maud::{Markup, html};
use secrecy::SecretString;
use serde::Deserialize;
use tenantry_domain::preferences::Language;
use tenantry_ports::TenantScope;
use tenantry_ports::services::profile::PreferencesPatch;

/// Its pages.
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/app/{slug}/profile", get(profile))
        .route("/app/{slug}/profile/name", post(rename))
        .route("/app/{slug}/profile/password", post(password))
        .route("/app/{slug}/profile/email", post(email))
        .route("/app/{slug}/profile/preferences", post(preferences))
}

async fn body(
    state: &AppState,
    session: &Session,
    slug: &str,
    scope: &TenantScope,
    notice: Option<&str>,
    error: Option<(&PageError, &[(&str, &'static str)])>,
) -> Result<Markup, PageError> {
    let me = state.tenantry.me(scope).await?;
    let min = state.tenantry.platform_settings().await?.password.min_chars;
    let base = format!("/app/{slug}/profile");
    Ok(html! {
        h1 { (t!("tenant-profile-title")) }
        @if let Some(n) = notice { p.notice role="status" #saved { (n) } }
        (summary(error.map(|(e, _)| e.detail()).as_deref(), error.and_then(|(e, fields)| e.field(fields))))
        section.card aria-labelledby="name-h" {
            h2 #name-h { (t!("tenant-profile-name-title")) }
            form method="post" action={ (base) "/name" } {
                (field(session))
                label for="name" { (t!("tenant-profile-name")) }
                input #name name="name" type="text" value=(me.user.name) required autocomplete="name";
                button #save-name type="submit" { (t!("tenant-profile-name-save")) }
            }
        }
        section.card aria-labelledby="email-h" {
            h2 #email-h { (t!("tenant-profile-email-title")) }
            p {
                (t!("tenant-profile-email-current")) " " strong #email { (me.user.email) }
                @if me.user.email_verified {
                    (t!("tenant-profile-email-current-end"))
                } @else {
                    " " (t!("tenant-profile-email-unconfirmed"))
                }
            }
            form method="post" action={ (base) "/email" } {
                (field(session))
                label for="new_email" { (t!("tenant-profile-email-new")) }
                input #new_email name="new_email" type="email" required autocomplete="email";
                label for="email_password" { (t!("tenant-profile-current-password")) }
                input #email_password name="password" type="password" required autocomplete="current-password";
                button #change-email type="submit" { (t!("tenant-profile-email-change")) }
            }
            p.hint { (t!("tenant-profile-email-hint")) }
        }
        section.card aria-labelledby="preferences-h" {
            h2 #preferences-h { (t!("tenant-profile-preferences-title")) }
            form method="post" action={ (base) "/preferences" } {
                (field(session))
                label for="language" { (t!("tenant-profile-language")) }
                select #language name="language" {
                    option value="" selected[me.user.language.is_none()] { (t!("tenant-profile-as-workspace")) }
                    @for l in Language::ALL {
                        option value=(l.tag()) lang=(l.tag()) selected[me.user.language == Some(l)] { (l.endonym()) }
                    }
                }
                label for="time_zone" { (t!("tenant-profile-time-zone")) }
                select #time_zone name="time_zone" {
                    option value="" selected[me.user.time_zone.is_none()] { (t!("tenant-profile-as-workspace")) }
                    @for z in zone_choices(me.user.time_zone.as_deref().unwrap_or_default(), true) {
                        option value=(z) selected[me.user.time_zone.as_deref() == Some(z)] { (z) }
                    }
                }
                button #save-preferences type="submit" { (t!("tenant-profile-preferences-save")) }
            }
        }
        section.card aria-labelledby="password-h" {
            h2 #password-h { (t!("tenant-profile-password-title")) }
            form method="post" action={ (base) "/password" } {
                (field(session))
                label for="current_password" { (t!("tenant-profile-current-password")) }
                input #current_password name="current_password" type="password" required autocomplete="current-password";
                label for="new_password" {
                    (t!("tenant-profile-password-new")) " "
                    span.hint { (t!("tenant-profile-password-min", count = min)) }
                }
                input #new_password name="new_password" type="password" required minlength=(min) autocomplete="new-password";
                button #change-password type="submit" { (t!("tenant-profile-password-change")) }
            }
            p.hint { (t!("tenant-profile-password-hint")) }
        }
        section.card aria-labelledby="security-h" {
            h2 #security-h { (t!("tenant-profile-security-title")) }
            ul.links {
                li { a href="/account/mfa" { (t!("tenant-profile-mfa")) } " "
                    @if me.user.mfa_enabled { (t!("tenant-profile-mfa-on")) } @else { (t!("tenant-profile-mfa-off")) } }
                li { a href="/account/sessions" { (t!("tenant-profile-sessions")) } }
                li { a href="/account/notifications" { (t!("tenant-profile-mail")) } }
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
        Some("name") => Some(t!("tenant-profile-saved-name")),
        Some("password") => Some(t!("tenant-profile-saved-password")),
        Some("email") => Some(t!("tenant-profile-saved-email")),
        Some("preferences") => Some(t!("tenant-profile-saved-preferences")),
        _ => None,
    };
    let body = body(&state, &session, &slug, &scope, notice.as_deref(), None).await?;
    Ok(page(&state, &scope, &t!("tenant-profile-title"), nav(&session, &slug, &name), body).await.into_response())
}

/// The page again with `e`'s reason (nothing changed).
async fn refused(
    state: &AppState,
    session: &Session,
    slug: &str,
    scope: &TenantScope,
    name: &str,
    e: PageError,
    fields: &[(&str, &'static str)],
) -> PageResult {
    let body = body(state, session, slug, scope, None, Some((&e, fields))).await?;
    let page = page(state, scope, &t!("tenant-profile-title"), nav(session, slug, name), body).await;
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
        Err(e) => {
            refused(&state, &session, &slug, &scope, &name, PageError::from(e), &[("invalid_name", "name")]).await
        }
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
        Err(e) => {
            let fields = [("wrong_password", "current_password"), ("weak_password", "new_password")];
            refused(&state, &session, &slug, &scope, &name, PageError::from(e), &fields).await
        }
    }
}

#[derive(Deserialize)]
pub(crate) struct EmailForm {
    csrf: String,
    new_email: String,
    password: SecretString,
}

/// `POST /app/{slug}/profile/email`: the link to the new address, the old one told.
pub(crate) async fn email(
    State(state): State<AppState>,
    session: Session,
    Path(slug): Path<String>,
    WebForm(form): WebForm<EmailForm>,
) -> PageResult {
    let (scope, name) = posted(&state, &session, &slug, &form.csrf).await?;
    if let Some(user) = scope.actor().user_id()
        && let Err(e) = state.throttles.account(&state.tenantry, &format!("password:{user}")).await
    {
        return Ok(too_many(e));
    }
    match state.tenantry.request_email_change(&scope, &form.new_email, &form.password).await {
        Ok(()) => Ok(Redirect::to(&format!("/app/{slug}/profile?saved=email")).into_response()),
        Err(e) => {
            let fields = [
                ("wrong_password", "email_password"),
                ("invalid_email", "new_email"),
                ("same_email", "new_email"),
                ("email_taken", "new_email"),
            ];
            refused(&state, &session, &slug, &scope, &name, PageError::from(e), &fields).await
        }
    }
}

#[derive(Deserialize)]
pub(crate) struct PreferencesForm {
    csrf: String,
    language: String,
    time_zone: String,
}

/// `POST /app/{slug}/profile/preferences`.
pub(crate) async fn preferences(
    State(state): State<AppState>,
    session: Session,
    Path(slug): Path<String>,
    WebForm(form): WebForm<PreferencesForm>,
) -> PageResult {
    let (scope, name) = posted(&state, &session, &slug, &form.csrf).await?;
    let patch = PreferencesPatch { language: Some(form.language), time_zone: Some(form.time_zone) };
    match state.tenantry.update_me(&scope, None, &patch).await {
        Ok(_) => Ok(Redirect::to(&format!("/app/{slug}/profile?saved=preferences")).into_response()),
        Err(e) => refused(&state, &session, &slug, &scope, &name, PageError::from(e), &[]).await,
    }
}

//! A tenant's branding — name, colour and logo — and its default language
//! and time zone (issue 25), for whoever has not chosen their own.

use crate::l10n::t;
use crate::state::AppState;
use crate::web::layout::{alert, summary};
use crate::web::session::{Session, WebForm, field};
use crate::web::tenant::{nav, page, posted, tenant, zone_choices};
use crate::web::{PageError, PageResult};
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use maud::{Markup, html};
use serde::Deserialize;
use tenantry_domain::preferences::{Language, TimeZone};
use tenantry_ports::services::tenant::SettingsInput;
use tenantry_ports::services::views::TenantView;

/// Its pages.
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/app/{slug}/settings/branding", get(branding).post(save_branding))
        .route(
            "/app/{slug}/settings/branding/logo",
            post(upload_logo).layer(axum::extract::DefaultBodyLimit::disable()),
        )
        .route("/app/{slug}/settings/branding/logo/remove", post(remove_logo))
        .route("/app/{slug}/settings/locale", post(save_locale))
}

#[derive(Deserialize, Default)]
pub(crate) struct BrandingNotice {
    saved: Option<String>,
}

/// What the page shows besides the settings: a notice, or one form's
/// refusal with the values typed into it.
#[derive(Default)]
struct Shown<'a> {
    /// Which form was saved: `branding`, or `locale` (the language and time zone).
    saved: Option<&'a str>,
    /// The branding form refused: its reason and the colour and logo typed.
    branding: Option<(&'a str, (&'a str, &'a str))>,
    /// The language form refused: its reason, the field it concerns, and the
    /// language and time zone chosen.
    locale: Option<(&'a str, Option<&'static str>, (&'a str, &'a str))>,
}

fn branding_body(session: &Session, slug: &str, view: &TenantView, shown: Shown<'_>) -> Markup {
    let settings = &view.settings;
    let current = &settings.branding;
    let color = current.primary_color.as_ref().map(|c| c.as_str());
    let logo = current.logo_url.as_ref().map(|u| u.as_str());
    // What the pages show: the uploaded logo from this origin, else the address.
    let shown_logo = match current.logo_file {
        Some(file) => Some(format!("/logos/{}/{file}", view.id)),
        None => logo.map(str::to_owned),
    };
    let (color_value, logo_value) = match shown.branding {
        Some((_, typed)) => typed,
        None => (color.unwrap_or(""), logo.unwrap_or("")),
    };
    let defaults = &settings.defaults;
    let (language, zone) = match shown.locale {
        Some((_, _, chosen)) => chosen,
        None => (defaults.language.map_or("", Language::tag), defaults.time_zone.map_or("", TimeZone::name)),
    };
    html! {
        h1 { (t!("tenant-branding-title")) }
        @match shown.saved {
            Some("locale") => p.notice #branding-saved role="status" { (t!("tenant-locale-saved")) },
            Some(_) => p.notice #branding-saved role="status" { (t!("tenant-branding-saved")) },
            None => {},
        }
        section.card aria-labelledby="current-h" {
            h2 #current-h { (t!("tenant-branding-now")) }
            dl.facts #current-branding {
                dt { (t!("tenant-branding-color")) }
                dd #current-color {
                    @if let Some(c) = color { code { (c) } } @else { (t!("tenant-branding-color-none")) }
                }
                dt { (t!("tenant-branding-logo")) }
                dd #current-logo {
                    @if let Some(url) = &shown_logo {
                        img.logo src=(url) alt=(t!("tenant-branding-logo-alt")) height="48";
                        br;
                        code { (url) }
                    } @else {
                        (t!("tenant-branding-logo-none"))
                    }
                }
            }
        }
        section.card aria-labelledby="logo-h" {
            h2 #logo-h { (t!("tenant-branding-logo-upload-title")) }
            p.hint { (t!("tenant-branding-logo-upload-hint")) }
            form #logo-upload method="post" enctype="multipart/form-data" action={ "/app/" (slug) "/settings/branding/logo" } {
                (field(session))
                label for="logo-file" { (t!("tenant-branding-logo-file")) }
                input #logo-file type="file" name="file" accept="image/png,image/jpeg" required;
                button #upload-logo type="submit" { (t!("tenant-branding-logo-upload")) }
            }
            @if shown_logo.is_some() {
                form.inline #logo-remove method="post" action={ "/app/" (slug) "/settings/branding/logo/remove" } {
                    (field(session))
                    button.link type="submit" { (t!("tenant-branding-logo-remove")) }
                }
            }
        }
        section.card aria-labelledby="branding-h" {
            h2 #branding-h { (t!("tenant-branding-change")) }
            (alert(shown.branding.map(|(e, _)| e)))
            form #branding method="post" action={ "/app/" (slug) "/settings/branding" } {
                (field(session))
                label for="primary-color" {
                    (t!("tenant-branding-color")) " " span.hint { (t!("tenant-branding-color-hint")) }
                }
                input #primary-color name="primary_color" type="text" value=(color_value) placeholder="#1f6feb"
                    maxlength="7" autocomplete="off" spellcheck="false";
                label for="logo-url" {
                    (t!("tenant-branding-logo-url")) " " span.hint { (t!("tenant-branding-logo-url-hint")) }
                }
                input #logo-url name="logo_url" type="url" value=(logo_value)
                    placeholder=(t!("tenant-branding-logo-url-placeholder"));
                button #save-branding type="submit" { (t!("tenant-branding-save")) }
            }
        }
        section.card aria-labelledby="locale-h" #workspace-locale {
            h2 #locale-h { (t!("tenant-locale-title")) }
            p.hint { (t!("tenant-locale-intro")) }
            (summary(shown.locale.map(|(e, _, _)| e), shown.locale.and_then(|(_, f, _)| f)))
            form #locale method="post" action={ "/app/" (slug) "/settings/locale" } {
                (field(session))
                label for="workspace-language" { (t!("tenant-locale-language")) }
                select #workspace-language name="language" {
                    option value="" selected[language.is_empty()] { (t!("tenant-locale-language-browser")) }
                    @for l in Language::ALL {
                        option value=(l.tag()) lang=(l.tag()) selected[language == l.tag()] { (l.endonym()) }
                    }
                }
                label for="workspace-time-zone" { (t!("tenant-locale-time-zone")) }
                select #workspace-time-zone name="time_zone" {
                    option value="" selected[zone.is_empty()] { (t!("tenant-locale-time-zone-utc")) }
                    @for z in zone_choices(zone, false) {
                        option value=(z) selected[zone == z] { (z) }
                    }
                }
                button #save-locale type="submit" { (t!("tenant-locale-save")) }
            }
        }
    }
}

/// `GET /app/{slug}/settings/branding`: the colour and logo, the workspace's
/// language and time zone, and the forms changing them.
pub(crate) async fn branding(
    State(state): State<AppState>,
    session: Session,
    Path(slug): Path<String>,
    Query(n): Query<BrandingNotice>,
) -> PageResult {
    let (scope, name) = tenant(&state, &session, &slug).await?;
    let view = state.tenantry.get_tenant(&scope).await?;
    let shown = Shown { saved: n.saved.as_deref(), ..Shown::default() };
    let body = branding_body(&session, &slug, &view, shown);
    Ok(page(&state, &scope, &t!("tenant-branding-title"), nav(&session, &slug, &name), body).await.into_response())
}

#[derive(Deserialize)]
pub(crate) struct BrandingForm {
    csrf: String,
    #[serde(default)]
    primary_color: String,
    #[serde(default)]
    logo_url: String,
}

/// `POST /app/{slug}/settings/branding`: the change (an empty field clears it),
/// or the form again with the refusal and nothing changed.
pub(crate) async fn save_branding(
    State(state): State<AppState>,
    session: Session,
    Path(slug): Path<String>,
    WebForm(form): WebForm<BrandingForm>,
) -> PageResult {
    let (scope, name) = posted(&state, &session, &slug, &form.csrf).await?;
    let input = SettingsInput {
        primary_color: Some(Some(form.primary_color.clone())),
        logo_url: Some(Some(form.logo_url.clone())),
        ..SettingsInput::default()
    };
    match state.tenantry.update_tenant(&scope, input).await {
        Ok(_) => Ok(Redirect::to(&format!("/app/{slug}/settings/branding?saved=1")).into_response()),
        Err(e) => {
            let e = PageError::from(e);
            let view = state.tenantry.get_tenant(&scope).await?;
            let detail = e.detail();
            let typed = (form.primary_color.as_str(), form.logo_url.as_str());
            let shown = Shown { branding: Some((detail.as_str(), typed)), ..Shown::default() };
            let body = branding_body(&session, &slug, &view, shown);
            let page = page(&state, &scope, &t!("tenant-branding-title"), nav(&session, &slug, &name), body).await;
            Ok((e.status(), page).into_response())
        }
    }
}

#[derive(Deserialize)]
pub(crate) struct LocaleForm {
    csrf: String,
    #[serde(default)]
    language: String,
    #[serde(default)]
    time_zone: String,
}

/// `POST /app/{slug}/settings/locale`: the workspace's default language and
/// time zone (the same use case as `PATCH /v1/tenants/{tid}`; empty: none —
/// the reader's browser decides, UTC), or the form again with the refusal
/// and nothing changed.
pub(crate) async fn save_locale(
    State(state): State<AppState>,
    session: Session,
    Path(slug): Path<String>,
    WebForm(form): WebForm<LocaleForm>,
) -> PageResult {
    let (scope, name) = posted(&state, &session, &slug, &form.csrf).await?;
    let input = SettingsInput {
        language: Some(Some(form.language.clone())),
        time_zone: Some(Some(form.time_zone.clone())),
        ..SettingsInput::default()
    };
    match state.tenantry.update_tenant(&scope, input).await {
        Ok(_) => Ok(Redirect::to(&format!("/app/{slug}/settings/branding?saved=locale")).into_response()),
        Err(e) => {
            let e = PageError::from(e);
            let view = state.tenantry.get_tenant(&scope).await?;
            let detail = e.detail();
            // Both are `invalid_preference`: the field is the one that does not read.
            let language_reads = form.language.trim().is_empty() || Language::parse(&form.language).is_ok();
            let which = if language_reads { "workspace-time-zone" } else { "workspace-language" };
            let field = e.field(&[("invalid_preference", which)]);
            let chosen = (form.language.as_str(), form.time_zone.as_str());
            let shown = Shown { locale: Some((detail.as_str(), field, chosen)), ..Shown::default() };
            let body = branding_body(&session, &slug, &view, shown);
            let page = page(&state, &scope, &t!("tenant-branding-title"), nav(&session, &slug, &name), body).await;
            Ok((e.status(), page).into_response())
        }
    }
}

/// `POST /app/{slug}/settings/branding/logo`: an uploaded logo (the form's
/// CSRF token first, then the image), or the page's refusal.
pub(crate) async fn upload_logo(
    State(state): State<AppState>,
    session: Session,
    Path(slug): Path<String>,
    request: axum::extract::Request,
) -> PageResult {
    let (texts, upload) = crate::api::multipart_upload(request).await?;
    let csrf = texts.get("csrf").map(String::as_str).unwrap_or_default();
    let (scope, _) = posted(&state, &session, &slug, csrf).await?;
    state.tenantry.upload_logo(&scope, upload, state.public_url.as_deref()).await?;
    Ok(Redirect::to(&format!("/app/{slug}/settings/branding?saved=1")).into_response())
}

/// `POST /app/{slug}/settings/branding/logo/remove`: no logo any more.
pub(crate) async fn remove_logo(
    State(state): State<AppState>,
    session: Session,
    Path(slug): Path<String>,
    WebForm(form): WebForm<crate::web::session::CsrfForm>,
) -> PageResult {
    let (scope, _) = posted(&state, &session, &slug, &form.csrf).await?;
    state.tenantry.remove_logo(&scope).await?;
    Ok(Redirect::to(&format!("/app/{slug}/settings/branding?saved=1")).into_response())
}

//! A tenant's branding: name, colour and logo.

use crate::state::AppState;
use crate::web::layout::alert;
use crate::web::session::{Session, WebForm, field};
use crate::web::tenant::{nav, page, posted, tenant};
use crate::web::{PageError, PageResult};
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect};
use axum::routing::get;
use maud::{Markup, html};
use serde::Deserialize;
use tenantry_ports::services::tenant::SettingsInput;

/// Its pages.
pub(super) fn routes() -> Router<AppState> {
    Router::new().route("/app/{slug}/settings/branding", get(branding).post(save_branding))
}

#[derive(Deserialize, Default)]
pub(crate) struct BrandingNotice {
    saved: Option<String>,
}

fn branding_body(
    session: &Session,
    slug: &str,
    current: &tenantry_domain::tenant::Branding,
    typed: Option<(&str, &str)>,
    saved: bool,
    error: Option<&str>,
) -> Markup {
    let color = current.primary_color.as_ref().map(|c| c.as_str());
    let logo = current.logo_url.as_ref().map(|u| u.as_str());
    let (color_value, logo_value) = typed.unwrap_or((color.unwrap_or(""), logo.unwrap_or("")));
    html! {
        h1 { "Branding" }
        @if saved {
            p.notice #branding-saved role="status" { "The branding has been saved." }
        }
        section.card aria-labelledby="current-h" {
            h2 #current-h { "Now" }
            dl.facts #current-branding {
                dt { "Primary colour" }
                dd #current-color { @if let Some(c) = color { code { (c) } } @else { "none (the default)" } }
                dt { "Logo" }
                dd #current-logo {
                    @if let Some(url) = logo {
                        img.logo src=(url) alt="The workspace's logo" height="48";
                        br;
                        code { (url) }
                    } @else {
                        "none"
                    }
                }
            }
        }
        section.card aria-labelledby="branding-h" {
            h2 #branding-h { "Change" }
            (alert(error))
            form #branding method="post" action={ "/app/" (slug) "/settings/branding" } {
                (field(session))
                label for="primary-color" { "Primary colour" span.hint { " (#rrggbb; leave empty for the default)" } }
                input #primary-color name="primary_color" type="text" value=(color_value) placeholder="#1f6feb"
                    maxlength="7" autocomplete="off" spellcheck="false";
                label for="logo-url" { "Logo URL" span.hint { " (https://…; leave empty for none)" } }
                input #logo-url name="logo_url" type="url" value=(logo_value) placeholder="https://example.com/logo.png";
                button #save-branding type="submit" { "Save" }
            }
        }
    }
}

/// `GET /app/{slug}/settings/branding`: the colour and logo, and the form changing them.
pub(crate) async fn branding(
    State(state): State<AppState>,
    session: Session,
    Path(slug): Path<String>,
    Query(n): Query<BrandingNotice>,
) -> PageResult {
    let (scope, name) = tenant(&state, &session, &slug).await?;
    let view = state.tenantry.get_tenant(&scope).await?;
    let body = branding_body(&session, &slug, &view.settings.branding, None, n.saved.is_some(), None);
    Ok(page(&state, &scope, "Branding", nav(&session, &slug, &name), body).await.into_response())
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
            let typed = Some((form.primary_color.as_str(), form.logo_url.as_str()));
            let body = branding_body(&session, &slug, &view.settings.branding, typed, false, Some(e.detail()));
            let page = page(&state, &scope, "Branding", nav(&session, &slug, &name), body).await;
            Ok((e.status(), page).into_response())
        }
    }
}

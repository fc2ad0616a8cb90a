//! A tenant's home page, its branding stylesheet, and the freemium ad's counted click.

use crate::state::AppState;
use crate::web::session::Session;
use crate::web::tenant::{nav, page, tenant};
use crate::web::{PageError, PageResult};
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use maud::html;

/// Its pages.
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/app/{slug}", get(home))
        .route("/app/{slug}/brand.css", get(brand_css))
        .route("/app/{slug}/ads/{cid}/click", get(ad_click))
}

/// `GET /app/{slug}/ads/{cid}/click`: counts a click on an ad this tenant may
/// see and redirects to the campaign's registered address — never to an
/// address the request names (no open redirect).
pub(crate) async fn ad_click(
    State(state): State<AppState>,
    session: Session,
    Path((slug, cid)): Path<(String, String)>,
) -> PageResult {
    let (scope, _) = tenant(&state, &session, &slug).await?;
    let cid = tenantry_domain::CampaignId::parse(&cid).map_err(|_| PageError::not_found())?;
    let target = state.tenantry.ad_click(&scope, cid).await?;
    Ok((StatusCode::SEE_OTHER, [(axum::http::header::LOCATION, target.to_string())]).into_response())
}

/// `GET /app/{slug}/brand.css`: the tenant's primary colour as the pages'
/// accent (empty without one). The colour was checked as `#rrggbb` when saved.
pub(crate) async fn brand_css(State(state): State<AppState>, session: Session, Path(slug): Path<String>) -> PageResult {
    let (scope, _) = tenant(&state, &session, &slug).await?;
    let css = match state.tenantry.get_tenant(&scope).await?.settings.branding.primary_color {
        Some(color) => format!(":root {{ --accent: {}; }}\n", color.as_str()),
        None => String::new(),
    };
    Ok(([(axum::http::header::CONTENT_TYPE, "text/css; charset=utf-8")], css).into_response())
}

/// `GET /app/{slug}`.
pub(crate) async fn home(State(state): State<AppState>, session: Session, Path(slug): Path<String>) -> PageResult {
    let (scope, name) = tenant(&state, &session, &slug).await?;
    let me = state.tenantry.me(&scope).await.ok();
    let body = html! {
        h1 { (name) }
        @if let Some(me) = &me {
            p #signed-in { "Signed in as " strong { (me.user.name) } " (" (me.role_name) ")." }
        }
        ul.links {
            li { a href={ "/app/" (slug) "/settings" } { "Subscription & billing" } }
            li { a href={ "/app/" (slug) "/settings/users" } { "Users & invitations" } }
        }
    };
    Ok(page(&state, &scope, &name, nav(&session, &slug, &name), body).await.into_response())
}

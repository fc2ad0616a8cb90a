//! A tenant's home page, its branding stylesheet, and the freemium ad's counted click.

use crate::l10n::t;
use crate::state::AppState;
use crate::web::session::{CsrfForm, Session, WebForm};
use crate::web::tenant::{nav, page, posted, role_word, tenant};
use crate::web::{PageError, PageResult};
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use maud::html;

/// Its pages.
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/app/{slug}", get(home))
        .route("/app/{slug}/brand.css", get(brand_css))
        .route("/app/{slug}/ads/{cid}/click", get(ad_click))
        .route("/app/{slug}/verification", post(resend_verification))
}

/// `POST /app/{slug}/verification`: the confirmation link mailed again (the
/// notice on every page offers it until the address is confirmed).
pub(crate) async fn resend_verification(
    State(state): State<AppState>,
    session: Session,
    Path(slug): Path<String>,
    WebForm(form): WebForm<CsrfForm>,
) -> PageResult {
    let (scope, _) = posted(&state, &session, &slug, &form.csrf).await?;
    match state.tenantry.resend_verification(&scope).await {
        // Confirmed meanwhile (another tab): nothing to mail, the notice is gone.
        Ok(()) | Err(tenantry_ports::services::account::AdminResetError::AlreadyVerified) => {
            Ok(Redirect::to(&format!("/app/{slug}?sent=verification")).into_response())
        }
        Err(e) => Err(e.into()),
    }
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
pub(crate) async fn home(
    State(state): State<AppState>,
    session: Session,
    Path(slug): Path<String>,
    axum::extract::Query(q): axum::extract::Query<HomeQuery>,
) -> PageResult {
    let (scope, name) = tenant(&state, &session, &slug).await?;
    let me = state.tenantry.me(&scope).await.ok();
    // What the subscription says, for those who may read it (members may not).
    let trial = state.tenantry.subscription_view(&scope).await.ok();
    let body = html! {
        h1 { (name) }
        @if q.sent.as_deref() == Some("verification") {
            p.notice role="status" #verification-sent { (t!("tenant-home-verification-sent")) }
        }
        @if q.welcome.is_some() {
            p.notice role="status" #welcome { (t!("tenant-home-welcome")) }
        }
        (getting_started(&slug, trial.as_ref()))
        @if let Some(me) = &me {
            p #signed-in {
                (t!("tenant-home-signed-in")) " " strong { (me.user.name) } " "
                (t!("tenant-home-signed-in-role", role = role_word(&me.user.role, &me.role_name)))
            }
        }
        ul.links {
            li { a href={ "/app/" (slug) "/settings" } { (t!("tenant-home-link-billing")) } }
            li { a href={ "/app/" (slug) "/settings/users" } { (t!("tenant-users-title")) } }
        }
    };
    Ok(page(&state, &scope, &name, nav(&session, &slug, &name), body).await.into_response())
}

#[derive(serde::Deserialize, Default)]
pub(crate) struct HomeQuery {
    sent: Option<String>,
    welcome: Option<String>,
}

/// The first steps: invite the team, choose a plan, and how long the trial lasts.
fn getting_started(slug: &str, sub: Option<&tenantry_ports::services::views::SubscriptionView>) -> maud::Markup {
    html! {
        section.card aria-labelledby="start-h" #getting-started {
            h2 #start-h { (t!("tenant-home-start-title")) }
            ol {
                li { a href={ "/app/" (slug) "/settings/users" } { (t!("tenant-home-start-invite")) } }
                li { a href={ "/app/" (slug) "/settings#change-h" } { (t!("tenant-home-start-plan")) } }
            }
            @if let Some(days) = sub.and_then(|s| s.trial_days_left) {
                p #trial-left {
                    (t!("tenant-home-trial-left")) " " strong { (days) } " "
                    (t!("tenant-home-trial-left-days", count = days))
                }
            }
        }
    }
}

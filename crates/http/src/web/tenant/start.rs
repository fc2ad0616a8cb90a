//! "Add a payment method to start your trial": the one page of a tenant that
//! signed up under the `required` trial policy and has no payment method on
//! file yet (every other tenant page leads here), and its button to the setup
//! Checkout.

use crate::l10n::t;
use crate::state::AppState;
use crate::web::layout::{Page, day};
use crate::web::session::{CsrfForm, Session, WebForm, field};
use crate::web::tenant::nav;
use crate::web::{PageError, PageResult};
use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use maud::html;
use tenantry_ports::TenantScope;
use tenantry_ports::payment::ReturnPath;

/// Its pages.
pub(super) fn routes() -> Router<AppState> {
    Router::new().route("/start", get(start)).route("/start/checkout", post(checkout))
}

/// The session's tenant, authorised, with its slug and name; the reader
/// settles on the workspace's language and time zone, then on the user's own.
async fn own_tenant(state: &AppState, session: &Session) -> Result<(TenantScope, String, String), PageError> {
    let tenant_id = session.principal.tenant_id().ok_or_else(PageError::not_found)?;
    let scope = state.tenantry.authorize(&session.principal, tenant_id).await?;
    let tenant = state.tenantry.get_tenant(&scope).await?;
    crate::l10n::settle_scope(state, &scope).await;
    Ok((scope, tenant.slug.to_string(), tenant.name))
}

/// `GET /start`: what the wait is for, and the button that ends it; a tenant
/// whose trial has started goes to its home page.
pub(crate) async fn start(State(state): State<AppState>, session: Session) -> PageResult {
    let (scope, slug, name) = own_tenant(&state, &session).await?;
    if !scope.awaits_payment_method() {
        return Ok(Redirect::to(&format!("/app/{slug}")).into_response());
    }
    let sub = state.tenantry.subscription_view(&scope).await?;
    let trial_days = state.tenantry.catalog().trial_days;
    let body = html! {
        h1 { (t!("billing-start-heading")) }
        p #start-why { (t!("billing-start-why", days = trial_days)) }
        @if let Some(at) = sub.purge_at {
            p #start-expiry { (t!("billing-start-expiry", date = day(at))) }
        }
        form method="post" action="/start/checkout" {
            (field(&session))
            button #start-checkout type="submit" { (t!("billing-add-payment-method")) }
        }
    };
    Ok(Page::new(&t!("billing-start-title"), nav(&session, &slug, &name), body).into_response())
}

/// `POST /start/checkout`: to the provider's setup Checkout; back on the
/// billing page, where the started trial shows.
pub(crate) async fn checkout(
    State(state): State<AppState>,
    session: Session,
    WebForm(form): WebForm<CsrfForm>,
) -> PageResult {
    session.check(&form.csrf)?;
    let (scope, slug, _) = own_tenant(&state, &session).await?;
    let back = ReturnPath::parse(format!("/app/{slug}/settings?done=card")).map_err(|_| PageError::not_found())?;
    let hosted = state.tenantry.checkout_session(&scope, &back).await?;
    Ok(Redirect::to(&hosted.url).into_response())
}

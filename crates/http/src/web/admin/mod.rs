//! The superuser's control plane (`/admin`). Only the platform administrator reaches it: everyone else gets 404. No business rule here: the forms are read into the use cases' inputs, which decide.

mod audit;
mod broadcasts;
mod campaigns;
mod coupons;
mod jobs;
mod profile;
mod settings;
mod stats;
mod tenants;

use crate::state::AppState;
use crate::web::PageError;
use crate::web::session::Session;
use axum::Router;
use axum::http::StatusCode;
use tenantry_ports::PlatformScope;

/// The control plane's front door: the superuser's scope. A tenant user is
/// told there is nothing here, as for any unknown page; a session that no
/// longer holds (logged out elsewhere) goes back to the login.
pub(crate) async fn platform(state: &AppState, session: &Session) -> Result<PlatformScope, PageError> {
    state.tenantry.authorize_platform(&session.principal).await.map_err(|e| {
        let e = PageError::from(e);
        // A superuser who must still enrol in 2FA is sent to do so (see `PageError`).
        if e.status() == StatusCode::UNAUTHORIZED || e.0.code() == "mfa_enrolment_required" {
            e
        } else {
            PageError::not_found()
        }
    })
}

/// Every page under `/admin`.
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .merge(audit::routes())
        .merge(broadcasts::routes())
        .merge(campaigns::routes())
        .merge(coupons::routes())
        .merge(jobs::routes())
        .merge(profile::routes())
        .merge(settings::routes())
        .merge(stats::routes())
        .merge(tenants::routes())
}

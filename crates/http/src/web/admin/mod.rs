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

use crate::l10n::t;
use crate::state::AppState;
use crate::web::PageError;
use crate::web::session::Session;
use axum::Router;
use axum::http::StatusCode;
use tenantry_domain::PlanKind;
use tenantry_domain::SubscriptionStatus;
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

/// A subscription's status as the status filter and the charts name it.
fn status_name(s: SubscriptionStatus) -> String {
    match s {
        SubscriptionStatus::PendingPaymentMethod => t!("admin-status-pending-payment-method"),
        SubscriptionStatus::Trialing => t!("admin-status-trialing"),
        SubscriptionStatus::Active => t!("admin-status-active"),
        SubscriptionStatus::PastDue => t!("admin-status-past-due"),
        SubscriptionStatus::Freemium => t!("admin-status-freemium"),
        SubscriptionStatus::CancelingAtPeriodEnd => t!("admin-status-canceling"),
        SubscriptionStatus::Suspended => t!("admin-status-suspended"),
        SubscriptionStatus::PendingDeletion => t!("admin-status-pending-deletion"),
    }
}

/// A plan's kind, for a person.
fn plan_name(plan: PlanKind) -> String {
    match plan {
        PlanKind::Trial => t!("admin-plan-trial"),
        PlanKind::Freemium => t!("admin-plan-freemium"),
        PlanKind::Standard => t!("admin-plan-standard"),
    }
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

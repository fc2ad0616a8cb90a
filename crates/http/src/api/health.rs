//! The probes: `/healthz` (the process answers) and `/readyz` (its store answers).

use crate::api::{Answer, Refused, ok};
use crate::state::AppState;
use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Its routes.
pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(healthz)).routes(routes!(readyz))
}

/// The answer of the health probes.
#[derive(Serialize, ToSchema)]
pub(crate) struct Health {
    /// `ok` at `/healthz` (the process is up), `ready` at `/readyz` (the store answers).
    status: HealthStatus,
}

/// What a health probe found.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum HealthStatus {
    /// The process is up.
    Ok,
    /// The store answers.
    Ready,
}

#[utoipa::path(get, path = "/healthz", tag = "Health", description = "The process is up.",
    responses((status = 200, description = "Done", body = Health), Refused),
)]
pub(crate) async fn healthz() -> Answer {
    ok(Health { status: HealthStatus::Ok })
}

#[utoipa::path(get, path = "/readyz", tag = "Health", description = "The store answers.",
    responses((status = 200, description = "Done", body = Health), Refused),
)]
pub(crate) async fn readyz(State(state): State<AppState>) -> Answer {
    state.tenantry.ready().await?;
    ok(Health { status: HealthStatus::Ready })
}

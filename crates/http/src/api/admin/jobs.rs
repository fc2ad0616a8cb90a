//! The superuser's view of the job queue, and retrying a failed job.

use crate::api::{Answer, Ids, Params, Refused, TenantPath, ok};
use crate::auth::{InTenant, Platform};
use crate::state::AppState;
use axum::extract::State;
use serde::Deserialize;
use tenantry_domain::TenantId;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Its routes.
pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(admin_jobs)).routes(routes!(admin_retry_job))
}

/// `GET /v1/admin/jobs`'s query.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub(crate) struct JobsQuery {
    /// At most this many (1 to 500, default 100).
    limit: Option<u32>,
}

#[utoipa::path(get, path = "/v1/admin/jobs", tag = "Admin", description = "Jobs that failed on their last attempt, newest first (they are never dropped), and the tenants waiting for their purge.",
    params(JobsQuery),
    responses((status = 200, description = "Done", body = tenantry_ports::services::jobs::AdminJobs), Refused),
    security(("bearer" = [])),
)]
pub(crate) async fn admin_jobs(
    State(state): State<AppState>,
    Platform(who): Platform,
    Params(query): Params<JobsQuery>,
) -> Answer {
    ok(state.tenantry.admin_jobs(&who, query.limit.unwrap_or(100)).await?)
}

#[utoipa::path(post, path = "/v1/admin/tenants/{tid}/jobs/{job_id}/retry", tag = "Admin", description = "Retries a job that failed for good (listed by `GET /v1/admin/jobs`): it is pending again, due now, with all its attempts. 409 `job_not_failed` for a job that is pending or done. Audited in the tenant's log (`job.retried`).",
    params(TenantPath, ("job_id" = String, Path, format = Uuid, description = "A job of the tenant")),
    responses((status = 200, description = "Pending again", body = tenantry_domain::job::Job), Refused),
    security(("bearer" = [])),
)]
pub(crate) async fn admin_retry_job(
    State(state): State<AppState>,
    InTenant(scope): InTenant,
    Ids((_, job_id)): Ids<(TenantId, tenantry_domain::JobId)>,
) -> Answer {
    ok(state.tenantry.retry_job(&scope, job_id).await?)
}

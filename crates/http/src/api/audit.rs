//! The tenant's audit log and its usage.

use crate::api::{Answer, Params, Refused, TenantPath, ok};
use crate::auth::InTenant;
use crate::state::AppState;
use axum::extract::State;
use serde::Deserialize;
use tenantry_domain::{AuditEventId, UserId};
use tenantry_ports::services::audit::{AuditFilter, AuditPage};
use tenantry_ports::services::usage::UsageView;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Its routes under `/v1/tenants/{tid}` (the tenant's rate limit and its headers).
pub(super) fn tenant() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(audit_events)).routes(routes!(usage))
}

#[derive(Deserialize, Default, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct AuditQuery {
    /// The `next_before` of the previous page.
    #[param(value_type = Option<String>, format = Uuid)]
    before: Option<AuditEventId>,
    /// Page size.
    limit: Option<u32>,
    /// Only this action (e.g. `invitation.created`).
    action: Option<String>,
    /// Only events by or about this user.
    #[param(value_type = Option<String>, format = Uuid)]
    user: Option<UserId>,
}

impl AuditQuery {
    fn filter(&self) -> AuditFilter {
        AuditFilter { before: self.before, limit: self.limit, action: self.action.clone(), user: self.user }
    }
}

#[utoipa::path(get, path = "/v1/tenants/{tid}/audit-events", tag = "Audit", description = "The audit log of the tenant, newest first.",
    params(TenantPath, AuditQuery),
    responses((status = 200, description = "Done", body = AuditPage), Refused),
    security(("bearer" = [])),
)]
pub(crate) async fn audit_events(
    State(state): State<AppState>,
    InTenant(scope): InTenant,
    Params(q): Params<AuditQuery>,
) -> Answer {
    ok(state.tenantry.audit_events(&scope, q.filter()).await?)
}

#[utoipa::path(get, path = "/v1/tenants/{tid}/usage", tag = "Usage", description = "Usage this month against the limits of the plan.",
    params(TenantPath),
    responses((status = 200, description = "Done", body = UsageView), Refused),
    security(("bearer" = [])),
)]
pub(crate) async fn usage(State(state): State<AppState>, InTenant(scope): InTenant) -> Answer {
    ok(state.tenantry.usage(&scope).await?)
}

//! The platform: its settings, statistics and audit log.

use crate::api::{Answer, Body, Params, Refused, ok};
use crate::auth::Platform;
use crate::state::AppState;
use axum::extract::State;
use serde::Deserialize;
use tenantry_domain::{AuditEventId, TenantId, UserId};
use tenantry_ports::services::admin::PlatformStats;
use tenantry_ports::services::audit::{AuditFilter, AuditPage};
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Its routes.
pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(admin_settings, admin_patch_settings))
        .routes(routes!(admin_stats))
        .routes(routes!(admin_audit))
}

#[utoipa::path(get, path = "/v1/admin/settings", tag = "Admin", description = "The platform's security settings: password policy (length, breached-list check), mandatory two-factor authentication (everyone, or by built-in role), default quotas by plan.",
    responses((status = 200, description = "Done", body = tenantry_domain::settings::PlatformSettings), Refused),
    security(("bearer" = [])),
)]
pub(crate) async fn admin_settings(State(state): State<AppState>, Platform(who): Platform) -> Answer {
    ok(state.tenantry.admin_settings(&who).await?)
}

#[utoipa::path(patch, path = "/v1/admin/settings", tag = "Admin", description = "Changes what the body names (a value out of range refuses the whole change: 422 `invalid_settings`). Audited in the platform log.",
    request_body = tenantry_domain::settings::SettingsPatch,
    responses((status = 200, description = "Done", body = tenantry_domain::settings::PlatformSettings), Refused),
    security(("bearer" = [])),
)]
pub(crate) async fn admin_patch_settings(
    State(state): State<AppState>,
    Platform(who): Platform,
    Body(patch): Body<tenantry_domain::settings::SettingsPatch>,
) -> Answer {
    ok(state.tenantry.update_settings(&who, &patch).await?)
}

#[utoipa::path(get, path = "/v1/admin/stats", tag = "Admin", description = "Platform figures.",
    responses((status = 200, description = "Done", body = PlatformStats), Refused),
    security(("bearer" = [])),
)]
pub(crate) async fn admin_stats(State(state): State<AppState>, Platform(who): Platform) -> Answer {
    ok(state.tenantry.platform_stats(&who).await?)
}

/// The superuser's audit read: one tenant's log, or every tenant's (recorded, with a reason).
#[derive(Deserialize, Default, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct AdminAuditQuery {
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
    /// Only this tenant's log (and the platform log's events about it).
    #[param(value_type = Option<String>, format = Uuid)]
    tenant: Option<TenantId>,
    /// Without `tenant`: why every tenant's log is read (1–200 characters;
    /// recorded in the platform log as `platform.audit_read`).
    reason: Option<String>,
}

#[utoipa::path(get, path = "/v1/admin/audit-events", tag = "Admin",
    description = "One tenant's audit log (`tenant`), or every tenant's and the platform's — a read the platform log records (`platform.audit_read`, with `reason`).",
    params(AdminAuditQuery),
    responses((status = 200, description = "Done", body = AuditPage), Refused),
    security(("bearer" = [])),
)]
pub(crate) async fn admin_audit(
    State(state): State<AppState>,
    Platform(who): Platform,
    Params(q): Params<AdminAuditQuery>,
) -> Answer {
    let filter = AuditFilter { before: q.before, limit: q.limit, action: q.action, user: q.user };
    ok(state.tenantry.platform_audit(&who, q.tenant, filter, q.reason.as_deref()).await?)
}

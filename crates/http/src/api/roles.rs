//! A tenant's custom roles.

use crate::api::{Answer, Body, Ids, Refused, TenantPath, created, no_content, ok};
use crate::auth::InTenant;
use crate::state::AppState;
use axum::extract::State;
use serde::Deserialize;
use tenantry_domain::{RoleId, TenantId};
use tenantry_ports::services::roles::{RoleInput, RolePatch};
use tenantry_ports::services::views::RoleView;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Its routes under `/v1/tenants/{tid}` (the tenant's rate limit and its headers).
pub(super) fn tenant() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_roles, create_role)).routes(routes!(patch_role, delete_role))
}

#[utoipa::path(get, path = "/v1/tenants/{tid}/roles", tag = "Roles", description = "Built-in and custom roles with their permissions.",
    params(TenantPath),
    responses((status = 200, description = "Done", body = Vec<RoleView>), Refused),
    security(("bearer" = [])),
)]
pub(crate) async fn list_roles(State(state): State<AppState>, InTenant(scope): InTenant) -> Answer {
    ok(state.tenantry.list_roles(&scope).await?)
}

#[derive(Deserialize, ToSchema)]
pub(crate) struct RoleBody {
    name: String,
    description: Option<String>,
    permissions: Vec<String>,
}

#[utoipa::path(post, path = "/v1/tenants/{tid}/roles", tag = "Roles", description = "A custom role.",
    request_body = RoleBody,
    params(TenantPath),
    responses((status = 201, description = "Done", body = RoleView), Refused),
    security(("bearer" = [])),
)]
pub(crate) async fn create_role(
    State(state): State<AppState>,
    InTenant(scope): InTenant,
    Body(body): Body<RoleBody>,
) -> Answer {
    let input = RoleInput { name: body.name, description: body.description, permissions: body.permissions };
    created(state.tenantry.create_role(&scope, input).await?)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RolePatchBody {
    name: Option<String>,
    #[serde(default, with = "crate::api::double_option")]
    description: Option<Option<String>>,
    permissions: Option<Vec<String>>,
}

#[utoipa::path(patch, path = "/v1/tenants/{tid}/roles/{rid}", tag = "Roles", description = "Change a custom role.",
    request_body = RolePatchBody,
    params(TenantPath, ("rid" = String, Path, format = Uuid, description = "A custom role of the tenant")),
    responses((status = 200, description = "Done", body = RoleView), Refused),
    security(("bearer" = [])),
)]
pub(crate) async fn patch_role(
    State(state): State<AppState>,
    InTenant(scope): InTenant,
    Ids((_, rid)): Ids<(TenantId, RoleId)>,
    Body(body): Body<RolePatchBody>,
) -> Answer {
    let patch = RolePatch { name: body.name, description: body.description, permissions: body.permissions };
    ok(state.tenantry.update_role(&scope, rid, patch).await?)
}

#[utoipa::path(delete, path = "/v1/tenants/{tid}/roles/{rid}", tag = "Roles", description = "Delete a custom role nobody holds.",
    params(TenantPath, ("rid" = String, Path, format = Uuid, description = "A custom role of the tenant")),
    responses((status = 204, description = "Done"), Refused),
    security(("bearer" = [])),
)]
pub(crate) async fn delete_role(
    State(state): State<AppState>,
    InTenant(scope): InTenant,
    Ids((_, rid)): Ids<(TenantId, RoleId)>,
) -> Answer {
    state.tenantry.delete_role(&scope, rid).await?;
    no_content()
}

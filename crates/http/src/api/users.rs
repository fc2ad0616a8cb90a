//! A tenant's users: list, read, change, deactivate, erase.

use crate::api::{Answer, Body, Ids, Refused, TenantPath, no_content, ok};
use crate::auth::InTenant;
use crate::state::AppState;
use axum::extract::State;
use serde::Deserialize;
use tenantry_domain::{TenantId, UserId};
use tenantry_ports::services::users::UserPatch;
use tenantry_ports::services::views::UserView;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Its routes under `/v1/tenants/{tid}` (the tenant's rate limit and its headers).
pub(super) fn tenant() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_users))
        .routes(routes!(get_user, patch_user, delete_user))
        .routes(routes!(erase_user))
}

#[utoipa::path(get, path = "/v1/tenants/{tid}/users", tag = "Users", description = "Users of the tenant.",
    params(TenantPath),
    responses((status = 200, description = "Done", body = Vec<UserView>), Refused),
    security(("bearer" = [])),
)]
pub(crate) async fn list_users(State(state): State<AppState>, InTenant(scope): InTenant) -> Answer {
    ok(state.tenantry.list_users(&scope).await?)
}

#[utoipa::path(get, path = "/v1/tenants/{tid}/users/{uid}", tag = "Users", description = "One user.",
    params(TenantPath, ("uid" = String, Path, format = Uuid, description = "A user of the tenant")),
    responses((status = 200, description = "Done", body = UserView), Refused),
    security(("bearer" = [])),
)]
pub(crate) async fn get_user(
    State(state): State<AppState>,
    InTenant(scope): InTenant,
    Ids((_, uid)): Ids<(TenantId, UserId)>,
) -> Answer {
    ok(state.tenantry.get_user(&scope, uid).await?)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct UserPatchBody {
    role: Option<String>,
    active: Option<bool>,
}

#[utoipa::path(patch, path = "/v1/tenants/{tid}/users/{uid}", tag = "Users", description = "Change role; deactivate or reactivate.",
    request_body = UserPatchBody,
    params(TenantPath, ("uid" = String, Path, format = Uuid, description = "A user of the tenant")),
    responses((status = 200, description = "Done", body = UserView), Refused),
    security(("bearer" = [])),
)]
pub(crate) async fn patch_user(
    State(state): State<AppState>,
    InTenant(scope): InTenant,
    Ids((_, uid)): Ids<(TenantId, UserId)>,
    Body(body): Body<UserPatchBody>,
) -> Answer {
    ok(state.tenantry.update_user(&scope, uid, UserPatch { role: body.role, active: body.active }).await?)
}

#[utoipa::path(delete, path = "/v1/tenants/{tid}/users/{uid}", tag = "Users", description = "Remove a user.",
    params(TenantPath, ("uid" = String, Path, format = Uuid, description = "A user of the tenant")),
    responses((status = 204, description = "Done"), Refused),
    security(("bearer" = [])),
)]
pub(crate) async fn delete_user(
    State(state): State<AppState>,
    InTenant(scope): InTenant,
    Ids((_, uid)): Ids<(TenantId, UserId)>,
) -> Answer {
    state.tenantry.remove_user(&scope, uid).await?;
    no_content()
}

#[utoipa::path(post, path = "/v1/tenants/{tid}/users/{uid}/erase", tag = "Data rights", description = "GDPR erasure of one user: their email and name become a pseudonym everywhere (user, invitations, audit details), the account is deactivated for good, finished exports are deleted, and the erasure is recorded for restores. Never the owner, never oneself.",
    params(TenantPath, ("uid" = String, Path, format = Uuid, description = "A user of the tenant")),
    responses((status = 200, description = "The erased user (pseudonymous)", body = UserView), Refused),
    security(("bearer" = [])),
)]
pub(crate) async fn erase_user(
    State(state): State<AppState>,
    InTenant(scope): InTenant,
    Ids((_, uid)): Ids<(TenantId, UserId)>,
) -> Answer {
    ok(state.tenantry.erase_user(&scope, uid).await?)
}

//! A tenant's API keys.

use crate::api::{Answer, Body, Ids, Refused, TenantPath, created, ok};
use crate::auth::InTenant;
use crate::state::AppState;
use axum::extract::State;
use serde::Deserialize;
use tenantry_domain::{ApiKeyId, TenantId};
use tenantry_ports::services::api_keys::{ApiKeyIssued, ApiKeyView};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Its routes under `/v1/tenants/{tid}` (the tenant's rate limit and its headers).
pub(super) fn tenant() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_api_keys, create_api_key)).routes(routes!(revoke_api_key))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ApiKeyBody {
    /// What the key is for.
    name: String,
    /// A built-in role other than owner: admin, manager, member or viewer.
    role: String,
}

#[utoipa::path(get, path = "/v1/tenants/{tid}/api-keys", tag = "API keys", description = "The tenant's API keys (never their secrets).",
    params(TenantPath),
    responses((status = 200, description = "Done", body = Vec<ApiKeyView>), Refused),
    security(("bearer" = [])),
)]
pub(crate) async fn list_api_keys(State(state): State<AppState>, InTenant(scope): InTenant) -> Answer {
    ok(state.tenantry.list_api_keys(&scope).await?)
}

#[utoipa::path(post, path = "/v1/tenants/{tid}/api-keys", tag = "API keys", description = "A new key; its text (send it as a bearer token) is shown once.",
    request_body = ApiKeyBody,
    params(TenantPath),
    responses((status = 201, description = "Done", body = ApiKeyIssued), Refused),
    security(("bearer" = [])),
)]
pub(crate) async fn create_api_key(
    State(state): State<AppState>,
    InTenant(scope): InTenant,
    Body(body): Body<ApiKeyBody>,
) -> Answer {
    let input = tenantry_ports::services::api_keys::ApiKeyInput { name: body.name, role: body.role };
    created(state.tenantry.create_api_key(&scope, input).await?)
}

#[utoipa::path(delete, path = "/v1/tenants/{tid}/api-keys/{kid}", tag = "API keys", description = "Revoke a key: it stops working at once.",
    params(TenantPath, ("kid" = String, Path, format = Uuid, description = "A key of the tenant")),
    responses((status = 200, description = "Done", body = ApiKeyView), Refused),
    security(("bearer" = [])),
)]
pub(crate) async fn revoke_api_key(
    State(state): State<AppState>,
    InTenant(scope): InTenant,
    Ids((_, kid)): Ids<(TenantId, ApiKeyId)>,
) -> Answer {
    ok(state.tenantry.revoke_api_key(&scope, kid).await?)
}

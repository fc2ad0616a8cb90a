//! The tenant itself: its settings, its owner, and its deletion request.

use crate::api::{Answer, Body, Refused, TenantPath, no_content, ok};
use crate::auth::InTenant;
use crate::state::AppState;
use axum::extract::State;
use serde::Deserialize;
use tenantry_domain::UserId;
use tenantry_domain::tenant::NotificationPrefs;
use tenantry_ports::services::tenant::SettingsInput;
use tenantry_ports::services::views::{TenantView, UserView};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Its routes under `/v1/tenants/{tid}` (the tenant's rate limit and its headers).
pub(super) fn tenant() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_tenant, patch_tenant))
        .routes(routes!(transfer_owner))
        .routes(routes!(request_deletion, cancel_deletion))
}

#[utoipa::path(get, path = "/v1/tenants/{tid}", tag = "Tenant", description = "Tenant profile and settings.",
    params(TenantPath),
    responses((status = 200, description = "Done", body = TenantView), Refused),
    security(("bearer" = [])),
)]
pub(crate) async fn get_tenant(State(state): State<AppState>, InTenant(scope): InTenant) -> Answer {
    ok(state.tenantry.get_tenant(&scope).await?)
}

#[derive(Deserialize, Default, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct TenantPatchBody {
    name: Option<String>,
    #[serde(default, with = "crate::api::double_option")]
    primary_color: Option<Option<String>>,
    #[serde(default, with = "crate::api::double_option")]
    logo_url: Option<Option<String>>,
    #[schema(value_type = Option<Object>)]
    notifications: Option<NotificationPrefs>,
    #[serde(default, with = "crate::api::double_option")]
    legal_name: Option<Option<String>>,
    #[serde(default, with = "crate::api::double_option")]
    country: Option<Option<String>>,
    #[serde(default, with = "crate::api::double_option")]
    vat_id: Option<Option<String>>,
    #[serde(default, with = "crate::api::double_option")]
    billing_email: Option<Option<String>>,
    /// The workspace's default language for whoever has not chosen one: `en`, `nl`, or null.
    #[serde(default, with = "crate::api::double_option")]
    language: Option<Option<String>>,
    /// The workspace's default time zone (an IANA name such as `Europe/Amsterdam`), or null.
    #[serde(default, with = "crate::api::double_option")]
    time_zone: Option<Option<String>>,
    /// The types of files the workspace accepts (1 to 50 `type/subtype` names; never `text/html`,
    /// `application/xhtml+xml` or `image/svg+xml`), or null for the default list of documents and images.
    #[serde(default, with = "crate::api::double_option")]
    #[schema(min_items = 1, max_items = 50)]
    file_types: Option<Option<Vec<String>>>,
}

#[utoipa::path(patch, path = "/v1/tenants/{tid}", tag = "Tenant", description = "Change profile, branding, notifications and billing details.",
    request_body = TenantPatchBody,
    params(TenantPath),
    responses((status = 200, description = "Done", body = TenantView), Refused),
    security(("bearer" = [])),
)]
pub(crate) async fn patch_tenant(
    State(state): State<AppState>,
    InTenant(scope): InTenant,
    Body(body): Body<TenantPatchBody>,
) -> Answer {
    let input = SettingsInput {
        name: body.name,
        primary_color: body.primary_color,
        logo_url: body.logo_url,
        notifications: body.notifications,
        legal_name: body.legal_name,
        country: body.country,
        vat_id: body.vat_id,
        billing_email: body.billing_email,
        language: body.language,
        time_zone: body.time_zone,
        file_types: body.file_types,
    };
    ok(state.tenantry.update_tenant(&scope, input).await?)
}

#[derive(Deserialize, ToSchema)]
pub(crate) struct OwnerBody {
    #[schema(value_type = String, format = Uuid)]
    user_id: UserId,
}

#[utoipa::path(post, path = "/v1/tenants/{tid}/owner", tag = "Users", description = "Transfer ownership to another active user.",
    request_body = OwnerBody,
    params(TenantPath),
    responses((status = 200, description = "Done", body = UserView), Refused),
    security(("bearer" = [])),
)]
pub(crate) async fn transfer_owner(
    State(state): State<AppState>,
    InTenant(scope): InTenant,
    Body(body): Body<OwnerBody>,
) -> Answer {
    ok(state.tenantry.transfer_ownership(&scope, body.user_id).await?)
}

#[utoipa::path(post, path = "/v1/tenants/{tid}/deletion", tag = "Data rights", description = "The owner asks for the tenant's deletion: access ends at once (the owner keeps reading the profile, exporting the data and cancelling); billing stops; everything is purged after the retention period (30 days).",
    params(TenantPath),
    responses((status = 204, description = "Done"), Refused),
    security(("bearer" = [])),
)]
pub(crate) async fn request_deletion(State(state): State<AppState>, InTenant(scope): InTenant) -> Answer {
    state.tenantry.request_deletion(&scope).await?;
    no_content()
}

#[utoipa::path(delete, path = "/v1/tenants/{tid}/deletion", tag = "Data rights", description = "The owner cancels a pending deletion before the purge: access and billing resume.",
    params(TenantPath),
    responses((status = 204, description = "Done"), Refused),
    security(("bearer" = [])),
)]
pub(crate) async fn cancel_deletion(State(state): State<AppState>, InTenant(scope): InTenant) -> Answer {
    state.tenantry.cancel_deletion(&scope).await?;
    no_content()
}

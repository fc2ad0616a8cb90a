//! The freemium plan's ads: the decision and the counted impressions and clicks.

use crate::api::{Answer, Ids, Refused, TenantPath, no_content, ok};
use crate::auth::InTenant;
use crate::state::AppState;
use axum::extract::State;
use tenantry_domain::{CampaignId, TenantId};
use tenantry_ports::services::ads::AdDecisionView;
use tenantry_ports::store::AdCountKind;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Its routes under `/v1/tenants/{tid}` (the tenant's rate limit and its headers).
pub(super) fn tenant() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(ad_decision)).routes(routes!(ad_impression)).routes(routes!(ad_click))
}

#[utoipa::path(get, path = "/v1/tenants/{tid}/ads/decision", tag = "Ads", description = "What ad, if any, to render now.",
    params(TenantPath),
    responses((status = 200, description = "Done", body = AdDecisionView), Refused),
    security(("bearer" = [])),
)]
pub(crate) async fn ad_decision(State(state): State<AppState>, InTenant(scope): InTenant) -> Answer {
    ok(state.tenantry.ad_decision(&scope).await?)
}

#[utoipa::path(post, path = "/v1/tenants/{tid}/ads/{cid}/impression", tag = "Ads", description = "Count a view.",
    params(TenantPath, ("cid" = String, Path, format = Uuid, description = "An ad campaign")),
    responses((status = 204, description = "Done"), Refused),
    security(("bearer" = [])),
)]
pub(crate) async fn ad_impression(
    State(state): State<AppState>,
    InTenant(scope): InTenant,
    Ids((_, cid)): Ids<(TenantId, CampaignId)>,
) -> Answer {
    state.tenantry.record_ad_event(&scope, cid, AdCountKind::Impression).await?;
    no_content()
}

#[utoipa::path(post, path = "/v1/tenants/{tid}/ads/{cid}/click", tag = "Ads", description = "Count a click.",
    params(TenantPath, ("cid" = String, Path, format = Uuid, description = "An ad campaign")),
    responses((status = 204, description = "Done"), Refused),
    security(("bearer" = [])),
)]
pub(crate) async fn ad_click(
    State(state): State<AppState>,
    InTenant(scope): InTenant,
    Ids((_, cid)): Ids<(TenantId, CampaignId)>,
) -> Answer {
    state.tenantry.record_ad_event(&scope, cid, AdCountKind::Click).await?;
    no_content()
}

//! The ad campaigns of the freemium plan.

use crate::api::{Answer, Body, Ids, Refused, created, no_content, ok};
use crate::auth::Platform;
use crate::state::AppState;
use axum::extract::State;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use tenantry_domain::{AdCampaign, AdFormat, CampaignId, TenantId};
use tenantry_ports::services::admin::{CampaignInput, CampaignStats};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Its routes.
pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_campaigns, create_campaign)).routes(routes!(
        campaign_stats,
        update_campaign,
        delete_campaign
    ))
}

#[derive(Deserialize, ToSchema)]
pub(crate) struct CampaignBody {
    name: String,
    #[schema(value_type = String)]
    format: AdFormat,
    text: String,
    image_url: Option<String>,
    link_url: String,
    #[schema(value_type = Option<Vec<String>>)]
    tenants: Option<Vec<TenantId>>,
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
    #[serde(default = "yes")]
    enabled: bool,
}

impl CampaignBody {
    fn input(self) -> CampaignInput {
        CampaignInput {
            name: self.name,
            format: self.format,
            text: self.text,
            image_url: self.image_url,
            link_url: self.link_url,
            tenants: self.tenants,
            starts_at: self.starts_at,
            ends_at: self.ends_at,
            enabled: self.enabled,
        }
    }
}

fn yes() -> bool {
    true
}

#[utoipa::path(get, path = "/v1/admin/ads/campaigns", tag = "Admin", description = "Ad campaigns.",
    responses((status = 200, description = "Done", body = Vec<AdCampaign>), Refused),
    security(("bearer" = [])),
)]
pub(crate) async fn list_campaigns(State(state): State<AppState>, Platform(who): Platform) -> Answer {
    ok(state.tenantry.list_campaigns(&who).await?)
}

#[utoipa::path(post, path = "/v1/admin/ads/campaigns", tag = "Admin", description = "A new campaign.",
    request_body = CampaignBody,
    responses((status = 201, description = "Done", body = AdCampaign), Refused),
    security(("bearer" = [])),
)]
pub(crate) async fn create_campaign(
    State(state): State<AppState>,
    Platform(who): Platform,
    Body(body): Body<CampaignBody>,
) -> Answer {
    created(state.tenantry.create_campaign(&who, body.input()).await?)
}

#[utoipa::path(get, path = "/v1/admin/ads/campaigns/{cid}", tag = "Admin", description = "A campaign and its counts.",
    params(("cid" = String, Path, format = Uuid, description = "An ad campaign")),
    responses((status = 200, description = "Done", body = CampaignStats), Refused),
    security(("bearer" = [])),
)]
pub(crate) async fn campaign_stats(
    State(state): State<AppState>,
    Platform(who): Platform,
    Ids(cid): Ids<CampaignId>,
) -> Answer {
    ok(state.tenantry.campaign_stats(&who, cid).await?)
}

#[utoipa::path(put, path = "/v1/admin/ads/campaigns/{cid}", tag = "Admin", description = "Replace a campaign.",
    request_body = CampaignBody,
    params(("cid" = String, Path, format = Uuid, description = "An ad campaign")),
    responses((status = 200, description = "Done", body = AdCampaign), Refused),
    security(("bearer" = [])),
)]
pub(crate) async fn update_campaign(
    State(state): State<AppState>,
    Platform(who): Platform,
    Ids(cid): Ids<CampaignId>,
    Body(body): Body<CampaignBody>,
) -> Answer {
    ok(state.tenantry.update_campaign(&who, cid, body.input()).await?)
}

#[utoipa::path(delete, path = "/v1/admin/ads/campaigns/{cid}", tag = "Admin", description = "Delete a campaign.",
    params(("cid" = String, Path, format = Uuid, description = "An ad campaign")),
    responses((status = 204, description = "Done"), Refused),
    security(("bearer" = [])),
)]
pub(crate) async fn delete_campaign(
    State(state): State<AppState>,
    Platform(who): Platform,
    Ids(cid): Ids<CampaignId>,
) -> Answer {
    state.tenantry.delete_campaign(&who, cid).await?;
    no_content()
}

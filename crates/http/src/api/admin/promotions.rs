//! The superuser's coupons and promotion codes.

use crate::api::{Answer, Body, Ids, Refused, created, ok};
use crate::auth::Platform;
use crate::state::AppState;
use axum::extract::State;
use serde::Deserialize;
use tenantry_domain::{CouponId, PromotionCodeId};
use tenantry_ports::services::promotions::{
    CouponInput, CouponView, PromotionCodeInput, PromotionCodeView, Promotions,
};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Its routes.
pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_coupons, create_coupon))
        .routes(routes!(create_promotion_code))
        .routes(routes!(update_promotion_code))
}

#[utoipa::path(get, path = "/v1/admin/coupons", tag = "Admin", description = "The coupons and their promotion codes, newest first, with their redemption counts.",
    responses((status = 200, description = "Done", body = Promotions), Refused),
    security(("bearer" = [])),
)]
pub(crate) async fn list_coupons(State(state): State<AppState>, Platform(who): Platform) -> Answer {
    ok(state.tenantry.promotions(&who).await?)
}

#[utoipa::path(post, path = "/v1/admin/coupons", tag = "Admin", description = "A new coupon: a percentage (basis points) or an amount (cents) off, once, repeating for some months or forever, with an optional redemption limit and last redemption date. Made at the payment provider first.",
    request_body = CouponInput,
    responses((status = 201, description = "Done", body = CouponView), Refused),
    security(("bearer" = [])),
)]
pub(crate) async fn create_coupon(
    State(state): State<AppState>,
    Platform(who): Platform,
    Body(body): Body<CouponInput>,
) -> Answer {
    created(state.tenantry.create_coupon(&who, body).await?)
}

#[utoipa::path(post, path = "/v1/admin/coupons/{cid}/promotion-codes", tag = "Admin", description = "A promotion code of a coupon (optionally for first-time customers only, limited, expiring). 409 `promotion_code_taken` when the text is in use.",
    request_body = PromotionCodeInput,
    params(("cid" = String, Path, format = Uuid, description = "A coupon")),
    responses((status = 201, description = "Done", body = PromotionCodeView), Refused),
    security(("bearer" = [])),
)]
pub(crate) async fn create_promotion_code(
    State(state): State<AppState>,
    Platform(who): Platform,
    Ids(cid): Ids<CouponId>,
    Body(body): Body<PromotionCodeInput>,
) -> Answer {
    created(state.tenantry.create_promotion_code(&who, cid, body).await?)
}

/// What changes on a promotion code.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PromotionCodePatch {
    /// Whether it may be redeemed.
    active: bool,
}

#[utoipa::path(patch, path = "/v1/admin/promotion-codes/{pid}", tag = "Admin", description = "Switches a promotion code on or off.",
    request_body = PromotionCodePatch,
    params(("pid" = String, Path, format = Uuid, description = "A promotion code")),
    responses((status = 200, description = "Done", body = PromotionCodeView), Refused),
    security(("bearer" = [])),
)]
pub(crate) async fn update_promotion_code(
    State(state): State<AppState>,
    Platform(who): Platform,
    Ids(pid): Ids<PromotionCodeId>,
    Body(body): Body<PromotionCodePatch>,
) -> Answer {
    ok(state.tenantry.set_promotion_code_active(&who, pid, body.active).await?)
}

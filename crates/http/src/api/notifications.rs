//! The caller's mail preferences and the unsubscribe link's endpoint.

use crate::api::{Answer, Body, Refused, no_content, ok};
use crate::auth::Caller;
use crate::state::AppState;
use axum::extract::State;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Its routes.
pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(my_notifications, patch_my_notifications))
}

/// Its routes anyone may call (behind the per-address throttle).
pub(super) fn anonymous() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(unsubscribe))
}

#[utoipa::path(get, path = "/v1/me/notifications", tag = "Auth", description = "The caller's mail preferences, and what their tenant allows. Account mails and the billing notices a tenant cannot refuse go whatever these say.",
    responses((status = 200, description = "Done", body = tenantry_ports::services::notifications::MailPrefsView), Refused),
    security(("bearer" = [])),
)]
pub(crate) async fn my_notifications(State(state): State<AppState>, Caller(principal): Caller) -> Answer {
    let scope = state.tenantry.authorize_person(&principal).await?;
    ok(state.tenantry.my_mail_prefs(&scope).await?)
}

/// `PATCH /v1/me/notifications`'s body (an absent field stays as it is).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct MailPrefsBody {
    /// The billing mails an owner or admin may refuse.
    billing: Option<bool>,
    /// The platform's product updates (off until you opt in).
    product_updates: Option<bool>,
    /// The pre-invoice warning (owners and admins; on until switched off).
    upcoming_invoice: Option<bool>,
}

#[utoipa::path(patch, path = "/v1/me/notifications", tag = "Auth", description = "Changes the caller's own mail preferences (audited as `user.mail_preferences_changed`).",
    request_body = MailPrefsBody,
    responses((status = 200, description = "Done", body = tenantry_ports::services::notifications::MailPrefsView), Refused),
    security(("bearer" = [])),
)]
pub(crate) async fn patch_my_notifications(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Body(body): Body<MailPrefsBody>,
) -> Answer {
    let scope = state.tenantry.authorize_person(&principal).await?;
    let patch = tenantry_ports::services::notifications::MailPrefsPatch {
        billing: body.billing,
        product_updates: body.product_updates,
        upcoming_invoice: body.upcoming_invoice,
    };
    ok(state.tenantry.set_my_mail_prefs(&scope, patch).await?)
}

/// `POST /v1/unsubscribe`'s body.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct UnsubscribeBody {
    /// The token of a product update's unsubscribe link.
    token: String,
}

#[utoipa::path(post, path = "/v1/unsubscribe", tag = "Auth", description = "Ends the product updates of the person a mailed unsubscribe link names, without signing in. The link is signed and does only this, for its own person. 422 `invalid_link` for a link this platform did not make.",
    request_body = UnsubscribeBody,
    responses((status = 204, description = "No more product updates"), Refused),
)]
pub(crate) async fn unsubscribe(State(state): State<AppState>, Body(body): Body<UnsubscribeBody>) -> Answer {
    state.tenantry.unsubscribe(&body.token).await?;
    no_content()
}

//! The subscription: its view, previews, seats, plan, cancel, freemium, the provider's hosted pages and invoices.

use crate::api::{Answer, Body, Refused, TenantPath, ok};
use crate::auth::InTenant;
use crate::problem::ApiError;
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tenantry_domain::Interval;
use tenantry_domain::subscription::{PlanChoice, PlanTiming};
use tenantry_ports::payment::{HostedSession, Invoice, ReturnPath};
use tenantry_ports::services::billing::{PlanChanged, PreviewInput, PreviewView, SeatsChanged};
use tenantry_ports::services::promotions::DiscountPreview;
use tenantry_ports::services::views::SubscriptionView;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Its routes.
pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(billing_return))
}

/// Its routes under `/v1/tenants/{tid}` (the tenant's rate limit and its headers).
pub(super) fn tenant() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(subscription))
        .routes(routes!(preview))
        .routes(routes!(change_seats))
        .routes(routes!(change_plan))
        .routes(routes!(cancel))
        .routes(routes!(continue_free))
        .routes(routes!(checkout))
        .routes(routes!(portal))
        .routes(routes!(invoices))
        .routes(routes!(preview_promotion_code))
        .routes(routes!(apply_promotion_code))
}

/// Where hosted billing pages send the browser back to.
const RETURN_PATH: ReturnPath = ReturnPath::from_static("/v1/billing/return");

/// Where a hosted billing page returned to.
#[derive(Serialize, ToSchema)]
pub(crate) struct BillingReturn {
    /// Always `returned`.
    status: Returned,
    /// What the client does next.
    #[schema(value_type = String)]
    next: &'static str,
}

/// The status of [`BillingReturn`].
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Returned {
    /// Back from the hosted page.
    Returned,
}

/// Where hosted billing pages send the browser back to: ask the API again.
#[utoipa::path(get, path = "/v1/billing/return", tag = "Billing", description = "Where hosted billing pages return to.",
    responses((status = 200, description = "Done", body = BillingReturn), Refused),
)]
pub(crate) async fn billing_return() -> Answer {
    ok(BillingReturn { status: Returned::Returned, next: "read the subscription, or repeat the plan request" })
}

#[utoipa::path(get, path = "/v1/tenants/{tid}/subscription", tag = "Subscription", description = "Plan, status, seats, trial, period, price.",
    params(TenantPath),
    responses((status = 200, description = "Done", body = SubscriptionView), Refused),
    security(("bearer" = [])),
)]
pub(crate) async fn subscription(State(state): State<AppState>, InTenant(scope): InTenant) -> Answer {
    ok(state.tenantry.subscription_view(&scope).await?)
}

/// A plan by name.
#[derive(Deserialize, Clone, Copy, ToSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum PlanName {
    Freemium,
    Standard,
}

/// A billing interval.
#[derive(Deserialize, Clone, Copy, ToSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum IntervalName {
    Month,
    Year,
}

/// When a plan chosen during the trial takes effect: `now` ends the trial and
/// charges at once; `at_trial_end` only sets what the trial converts to.
#[derive(Deserialize, Clone, Copy, Default, ToSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum TimingName {
    #[default]
    Now,
    AtTrialEnd,
}

impl From<TimingName> for PlanTiming {
    fn from(t: TimingName) -> Self {
        match t {
            TimingName::Now => PlanTiming::Now,
            TimingName::AtTrialEnd => PlanTiming::AtTrialEnd,
        }
    }
}

/// The plan choice of a body: `standard` needs an interval; `freemium` takes none.
fn plan_choice(plan: PlanName, interval: Option<IntervalName>) -> Result<PlanChoice, ApiError> {
    match (plan, interval) {
        (PlanName::Freemium, None) => Ok(PlanChoice::Freemium),
        (PlanName::Standard, Some(IntervalName::Month)) => Ok(PlanChoice::Standard(Interval::Month)),
        (PlanName::Standard, Some(IntervalName::Year)) => Ok(PlanChoice::Standard(Interval::Year)),
        (PlanName::Standard, None) => Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
            "interval: the standard plan needs an interval (month or year)",
        )),
        (PlanName::Freemium, Some(_)) => {
            Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_body", "interval: the freemium plan has none"))
        }
    }
}

#[derive(Deserialize, Default, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PreviewBody {
    /// Seats to preview (a seat change).
    seats: Option<i64>,
    /// A plan to preview (a plan change).
    plan: Option<PlanName>,
    /// Its interval (with `standard`).
    interval: Option<IntervalName>,
    #[serde(default)]
    timing: TimingName,
}

#[utoipa::path(post, path = "/v1/tenants/{tid}/subscription/preview", tag = "Subscription", description = "Lines, total and proration_date of a change, changing nothing.",
    request_body = PreviewBody,
    params(TenantPath),
    responses((status = 200, description = "Done", body = PreviewView), Refused),
    security(("bearer" = [])),
)]
pub(crate) async fn preview(
    State(state): State<AppState>,
    InTenant(scope): InTenant,
    Body(body): Body<PreviewBody>,
) -> Answer {
    let plan = body.plan.map(|p| plan_choice(p, body.interval)).transpose()?;
    let input = PreviewInput { seats: body.seats, plan, timing: body.timing.into() };
    ok(state.tenantry.preview_change(&scope, input).await?)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SeatsBody {
    seats: i64,
    proration_date: Option<DateTime<Utc>>,
}

#[utoipa::path(post, path = "/v1/tenants/{tid}/subscription/seats", tag = "Subscription", description = "Buy seats now or reduce them at renewal.",
    request_body = SeatsBody,
    params(TenantPath),
    responses((status = 200, description = "Done", body = SeatsChanged), Refused),
    security(("bearer" = [])),
)]
pub(crate) async fn change_seats(
    State(state): State<AppState>,
    InTenant(scope): InTenant,
    Body(body): Body<SeatsBody>,
) -> Answer {
    ok(state.tenantry.change_seats(&scope, body.seats, body.proration_date).await?)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PlanBody {
    plan: PlanName,
    /// Required with `standard`.
    interval: Option<IntervalName>,
    #[serde(default)]
    timing: TimingName,
    /// The `proration_date` of the preview being confirmed.
    proration_date: Option<DateTime<Utc>>,
}

#[utoipa::path(post, path = "/v1/tenants/{tid}/subscription/plan", tag = "Subscription", description = "Change plan or interval (answers a Checkout session when a payment method is needed).",
    request_body = PlanBody,
    params(TenantPath),
    responses((status = 200, description = "Done", body = PlanChanged), Refused),
    security(("bearer" = [])),
)]
pub(crate) async fn change_plan(
    State(state): State<AppState>,
    InTenant(scope): InTenant,
    Body(body): Body<PlanBody>,
) -> Answer {
    let plan = plan_choice(body.plan, body.interval)?;
    ok(state.tenantry.change_plan(&scope, plan, body.timing.into(), body.proration_date, &RETURN_PATH).await?)
}

#[utoipa::path(post, path = "/v1/tenants/{tid}/subscription/cancel", tag = "Subscription", description = "To freemium at the period end.",
    params(TenantPath),
    responses((status = 200, description = "Done", body = PlanChanged), Refused),
    security(("bearer" = [])),
)]
pub(crate) async fn cancel(State(state): State<AppState>, InTenant(scope): InTenant) -> Answer {
    ok(state.tenantry.cancel_subscription(&scope, &RETURN_PATH).await?)
}

#[utoipa::path(post, path = "/v1/tenants/{tid}/subscription/continue-free", tag = "Subscription", description = "During the trial: become freemium at its end.",
    params(TenantPath),
    responses((status = 200, description = "Done", body = PlanChanged), Refused),
    security(("bearer" = [])),
)]
pub(crate) async fn continue_free(State(state): State<AppState>, InTenant(scope): InTenant) -> Answer {
    ok(state.tenantry.continue_free(&scope, &RETURN_PATH).await?)
}

#[utoipa::path(post, path = "/v1/tenants/{tid}/billing/checkout", tag = "Billing", description = "A Checkout session to add a payment method.",
    params(TenantPath),
    responses((status = 200, description = "Done", body = HostedSession), Refused),
    security(("bearer" = [])),
)]
pub(crate) async fn checkout(State(state): State<AppState>, InTenant(scope): InTenant) -> Answer {
    ok(state.tenantry.checkout_session(&scope, &RETURN_PATH).await?)
}

#[utoipa::path(post, path = "/v1/tenants/{tid}/billing/portal", tag = "Billing", description = "A Customer Portal session.",
    params(TenantPath),
    responses((status = 200, description = "Done", body = HostedSession), Refused),
    security(("bearer" = [])),
)]
pub(crate) async fn portal(State(state): State<AppState>, InTenant(scope): InTenant) -> Answer {
    ok(state.tenantry.portal_session(&scope, &RETURN_PATH).await?)
}

#[utoipa::path(get, path = "/v1/tenants/{tid}/invoices", tag = "Billing", description = "Invoices.",
    params(TenantPath),
    responses((status = 200, description = "Done", body = Vec<Invoice>), Refused),
    security(("bearer" = [])),
)]
pub(crate) async fn invoices(State(state): State<AppState>, InTenant(scope): InTenant) -> Answer {
    ok(state.tenantry.invoices(&scope).await?)
}

/// A promotion code, as the customer typed it.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PromotionCodeBody {
    /// The code (case does not matter).
    code: String,
}

#[utoipa::path(post, path = "/v1/tenants/{tid}/subscription/promotion-code/preview", tag = "Subscription",
    description = "What a promotion code would take off the next invoice (the discount and the invoice with it); counts and changes nothing. Refusals: `promotion_code_unknown`, `promotion_code_expired`, `promotion_code_exhausted`, `promotion_code_not_first_time`, `promotion_code_inactive`, `discount_already_applied`, `plan_comped`, `nothing_to_discount`.",
    params(TenantPath),
    request_body = PromotionCodeBody,
    responses((status = 200, description = "Done", body = DiscountPreview), Refused),
    security(("bearer" = [])),
)]
pub(crate) async fn preview_promotion_code(
    State(state): State<AppState>,
    InTenant(scope): InTenant,
    Body(body): Body<PromotionCodeBody>,
) -> Answer {
    ok(state.tenantry.preview_promotion_code(&scope, &body.code).await?)
}

#[utoipa::path(post, path = "/v1/tenants/{tid}/subscription/promotion-code", tag = "Subscription",
    description = "Redeems a promotion code and applies its discount to the subscription (the invoices made while it runs are discounted; no charge now). The same refusals as the preview; the last redemption of a code goes to exactly one tenant.",
    params(TenantPath),
    request_body = PromotionCodeBody,
    responses((status = 200, description = "Done", body = SubscriptionView), Refused),
    security(("bearer" = [])),
)]
pub(crate) async fn apply_promotion_code(
    State(state): State<AppState>,
    InTenant(scope): InTenant,
    Body(body): Body<PromotionCodeBody>,
) -> Answer {
    ok(state.tenantry.apply_promotion_code(&scope, &body.code).await?)
}

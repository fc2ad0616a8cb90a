//! `POST /v1/webhooks/stripe`: Stripe's deliveries, verified against the raw
//! body, mapped by the Stripe adapter and applied by the billing service (the
//! event id is recorded in the same unit of work as its effect).
//!
//! Answers: 200 when applied, already applied (a redelivery) or not handled;
//! 400 for a missing, wrong or stale signature (nothing changes); 5xx when a
//! handled event could not be read or applied, so Stripe delivers it again.

use crate::problem::{ApiError, ProblemBody};
use crate::state::AppState;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use tenantry_ports::payment::WebhookRefusal;
use tenantry_ports::services::billing::BillingEventOutcome;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Its route: Stripe's events (an invoice with many lines) outgrow the API's body limit.
pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(stripe)).layer(axum::extract::DefaultBodyLimit::max(BODY_LIMIT))
}

/// What tenantry did with a delivery.
#[derive(Serialize, ToSchema)]
pub(crate) struct WebhookReceipt {
    /// `applied`, `duplicate` (seen before: no second effect) or `ignored`.
    outcome: &'static str,
}

/// The largest webhook body accepted: 1 MiB (Stripe's events stay far below).
pub(crate) const BODY_LIMIT: usize = 1024 * 1024;

#[utoipa::path(post, path = "/v1/webhooks/stripe", tag = "Billing",
    description = "Stripe's webhook deliveries (signed with the endpoint's secret; only when Stripe is configured).",
    request_body(content = String, content_type = "application/json", description = "The raw Stripe event"),
    params(("Stripe-Signature" = String, Header, description = "t=...,v1=...")),
    responses(
        (status = 200, description = "Applied, a redelivery, or not handled", body = WebhookReceipt),
        (status = "4XX", description = "Bad signature (nothing changed), or Stripe not configured", body = ProblemBody, content_type = "application/problem+json"),
    ),
)]
pub(crate) async fn stripe(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<String, axum::extract::rejection::StringRejection>,
) -> Response {
    let Some(webhooks) = state.stripe.clone() else {
        return ApiError::not_found().into_response();
    };
    let body = match body {
        Ok(body) => body,
        Err(r) => {
            let status = r.status();
            let code = if status == StatusCode::PAYLOAD_TOO_LARGE { "body_too_large" } else { "invalid_body" };
            return ApiError::new(status, code, r.body_text()).into_response();
        }
    };
    let signature = headers.get("stripe-signature").and_then(|v| v.to_str().ok());
    let event = match webhooks.verify(&body, signature, state.clock.now()).await {
        Ok(Some(event)) => event,
        Ok(None) => return receipt("ignored"),
        Err(WebhookRefusal::BadSignature) => {
            tracing::warn!("Stripe webhook refused: bad or stale signature");
            return ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_signature",
                "the Stripe-Signature header is missing, does not match the body, or is older than 300 seconds",
            )
            .into_response();
        }
        Err(WebhookRefusal::Unreadable(reason)) => {
            tracing::error!(%reason, "a signed Stripe event could not be read; Stripe will retry");
            return ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "webhook_unreadable",
                "the event could not be read",
            )
            .into_response();
        }
        Err(WebhookRefusal::Provider(e)) => {
            tracing::warn!(error = %e, "Stripe could not be asked about a webhook; Stripe will retry");
            return ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "billing_unavailable", "retry later")
                .into_response();
        }
    };
    match state.tenantry.handle_billing_event(&event).await {
        Ok(BillingEventOutcome::Applied) => receipt("applied"),
        Ok(BillingEventOutcome::Duplicate) => receipt("duplicate"),
        Ok(BillingEventOutcome::Ignored) => receipt("ignored"),
        Err(e) => {
            let error = ApiError::from(e);
            // A client-side refusal of one of Stripe's events is still ours to
            // fix: answer 5xx so that Stripe keeps it and delivers it again.
            if error.status().is_server_error() {
                error.into_response()
            } else {
                tracing::error!(code = error.code(), event = %event.id, "a Stripe event was refused");
                ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, error.code(), "the event could not be applied")
                    .into_response()
            }
        }
    }
}

fn receipt(outcome: &'static str) -> Response {
    (StatusCode::OK, axum::Json(WebhookReceipt { outcome })).into_response()
}

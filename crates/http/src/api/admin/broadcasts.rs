//! Product-update broadcasts: preview and send.

use crate::api::{Answer, Body, Refused, ok};
use crate::auth::Platform;
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Its routes.
pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(admin_preview_broadcast)).routes(routes!(admin_send_broadcast))
}

/// A broadcast's text.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct BroadcastBody {
    /// One line, 1 to 200 characters.
    subject: String,
    /// Plain text, 1 to 20000 characters; paragraphs by blank lines.
    body: String,
    /// The broadcast's idempotency key (1 to 64 of `A-Z a-z 0-9 _ -`; the preview answers one): sending
    /// again with it queues nothing twice. Absent: a new broadcast.
    key: Option<String>,
}

impl BroadcastBody {
    fn draft(self) -> tenantry_ports::services::notifications::BroadcastDraft {
        tenantry_ports::services::notifications::BroadcastDraft {
            subject: self.subject,
            body: self.body,
            key: self.key,
        }
    }
}

/// A broadcast as it would go.
#[derive(Serialize, ToSchema)]
pub(crate) struct BroadcastPreviewAnswer {
    /// The key to send it with (sending twice with it sends once).
    key: String,
    /// Tenants with at least one recipient.
    tenants: u64,
    /// People who would receive it (opted in, in tenants that allow product updates).
    recipients: u64,
    /// The subject line.
    subject: String,
    /// The plain-text body as sent (its unsubscribe link a placeholder).
    text: String,
    /// The HTML body as sent.
    html: String,
}

#[utoipa::path(post, path = "/v1/admin/broadcasts/preview", tag = "Admin", description = "How many would receive a product update, and the mail as they would get it. Queues nothing.",
    request_body = BroadcastBody,
    responses((status = 200, description = "Done", body = BroadcastPreviewAnswer), Refused),
    security(("bearer" = [])),
)]
pub(crate) async fn admin_preview_broadcast(
    State(state): State<AppState>,
    Platform(who): Platform,
    Body(body): Body<BroadcastBody>,
) -> Answer {
    let preview = state.tenantry.preview_broadcast(&who, &body.draft()).await?;
    let rendered = state.mails.render(&preview.sample);
    ok(BroadcastPreviewAnswer {
        key: preview.key,
        tenants: preview.tenants,
        recipients: preview.recipients,
        subject: rendered.subject,
        text: rendered.text,
        html: rendered.html,
    })
}

#[utoipa::path(post, path = "/v1/admin/broadcasts", tag = "Admin", description = "Sends a product update to every person who opted in, in every tenant that allows them: one outbox mail each, with its own unsubscribe link, due one after the other (120 a minute). Audited in the platform log before the first mail (`platform.broadcast_started`) and after the last (`platform.broadcast_sent`). With the preview's `key`, sending again (a retry after 503 `broadcast_interrupted`, a second click) skips the tenants done: nothing is sent twice.",
    request_body = BroadcastBody,
    responses((status = 202, description = "Queued", body = tenantry_ports::services::notifications::BroadcastSent), Refused),
    security(("bearer" = [])),
)]
pub(crate) async fn admin_send_broadcast(
    State(state): State<AppState>,
    Platform(who): Platform,
    Body(body): Body<BroadcastBody>,
) -> Answer {
    let sent = state.tenantry.send_broadcast(&who, &body.draft()).await?;
    Ok((StatusCode::ACCEPTED, axum::Json(sent)).into_response())
}

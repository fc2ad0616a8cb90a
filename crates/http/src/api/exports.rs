//! GDPR exports: request, follow, download.

use crate::api::{Answer, Ids, Refused, TenantPath, ok};
use crate::auth::InTenant;
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use tenantry_domain::ExportId;
use tenantry_domain::TenantId;
use tenantry_ports::services::exports::{ExportDocument, ExportView};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Its routes under `/v1/tenants/{tid}` (the tenant's rate limit and its headers).
pub(super) fn tenant() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(request_export, list_exports))
        .routes(routes!(export_status))
        .routes(routes!(download_export))
}

#[utoipa::path(post, path = "/v1/tenants/{tid}/exports", tag = "Data rights", description = "Start a GDPR export of the tenant's data (without secrets), produced in the background: 202 with the new export, or 200 with the one already queued or running.",
    params(TenantPath),
    responses((status = 202, description = "Queued", body = ExportView), (status = 200, description = "One is already queued or running: that one", body = ExportView), Refused),
    security(("bearer" = [])),
)]
pub(crate) async fn request_export(State(state): State<AppState>, InTenant(scope): InTenant) -> Answer {
    let answer = state.tenantry.request_export(&scope).await?;
    let status = if answer.created { StatusCode::ACCEPTED } else { StatusCode::OK };
    let location = format!("/v1/tenants/{}/exports/{}", scope.tenant_id(), answer.export.id);
    Ok((status, [(axum::http::header::LOCATION, location)], axum::Json(answer.export)).into_response())
}

#[utoipa::path(get, path = "/v1/tenants/{tid}/exports", tag = "Data rights", description = "The tenant's exports, newest first.",
    params(TenantPath),
    responses((status = 200, description = "Done", body = Vec<ExportView>), Refused),
    security(("bearer" = [])),
)]
pub(crate) async fn list_exports(State(state): State<AppState>, InTenant(scope): InTenant) -> Answer {
    ok(state.tenantry.list_exports(&scope).await?)
}

#[utoipa::path(get, path = "/v1/tenants/{tid}/exports/{eid}", tag = "Data rights", description = "One export: status, progress, size and expiry.",
    params(TenantPath, ("eid" = String, Path, format = Uuid, description = "An export of the tenant")),
    responses((status = 200, description = "Done", body = ExportView), Refused),
    security(("bearer" = [])),
)]
pub(crate) async fn export_status(
    State(state): State<AppState>,
    InTenant(scope): InTenant,
    Ids((_, eid)): Ids<(TenantId, ExportId)>,
) -> Answer {
    ok(state.tenantry.export_status(&scope, eid).await?)
}

#[utoipa::path(get, path = "/v1/tenants/{tid}/exports/{eid}/download", tag = "Data rights", description = "The archive (a JSON document), while the export is ready: 409 `export_not_ready` before, 409 `export_expired` after seven days.",
    params(TenantPath, ("eid" = String, Path, format = Uuid, description = "An export of the tenant")),
    responses((status = 200, description = "The archive", body = ExportDocument, content_type = "application/json"), Refused),
    security(("bearer" = [])),
)]
pub(crate) async fn download_export(
    State(state): State<AppState>,
    InTenant(scope): InTenant,
    Ids((_, eid)): Ids<(TenantId, ExportId)>,
) -> Answer {
    Ok(export_download(state.tenantry.download_export(&scope, eid).await?))
}

/// An export's archive as a download (the API's and the web page's answer),
/// streamed chunk by chunk with its length: the service never holds it whole.
/// An archive that expires while it is sent ends the body early (the client
/// sees a short body against the `Content-Length`).
pub(crate) fn export_download(archive: tenantry_ports::services::exports::ExportArchive) -> Response {
    use axum::http::header;
    let disposition = format!("attachment; filename=\"{}\"", archive.filename);
    let length = archive.size_bytes.to_string();
    let chunks = futures::stream::unfold(Some(archive), |archive| async move {
        let mut archive = archive?;
        match archive.next_chunk().await {
            Ok(Some(chunk)) => Some((Ok(axum::body::Bytes::from(chunk)), Some(archive))),
            Ok(None) => None,
            Err(e) => {
                tracing::warn!(error = %e, "an export's download ended early");
                Some((Err(std::io::Error::other(e.to_string())), None))
            }
        }
    });
    (
        [
            (header::CONTENT_TYPE, "application/json".to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
            (header::CACHE_CONTROL, "no-store".to_owned()),
            (header::CONTENT_LENGTH, length),
        ],
        axum::body::Body::from_stream(chunks),
    )
        .into_response()
}

//! The superuser's backups and restores of one tenant.

use crate::api::{Answer, Ids, Params, Refused, TenantPath, created};
use crate::auth::{InTenant, Platform};
use crate::problem::ApiError;
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::Deserialize;
use tenantry_domain::TenantId;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Its routes: a restore takes an archive up to [`RESTORE_LIMIT`], far above the API's body limit.
pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(admin_backup)).merge(
        OpenApiRouter::new().routes(routes!(admin_restore)).layer(axum::extract::DefaultBodyLimit::max(RESTORE_LIMIT)),
    )
}

#[utoipa::path(post, path = "/v1/admin/tenants/{tid}/backups", tag = "Admin", description = "An encrypted backup of every row the tenant owns (tenantry's tables and the products' registered tables), sealed with AES-256-GCM under the platform's backup key (`TENANTRY_BACKUP_KEY`). The archive is answered, not kept: the operator holds it. 409 `backups_not_configured` without a key. Audited.",
    params(TenantPath),
    responses((status = 200, description = "The sealed archive", content_type = "application/octet-stream", body = Vec<u8>), Refused),
    security(("bearer" = [])),
)]
pub(crate) async fn admin_backup(State(state): State<AppState>, InTenant(scope): InTenant) -> Answer {
    use axum::http::header;
    let made = state.tenantry.backup_tenant(&scope).await?;
    let disposition = format!(
        "attachment; filename=\"tenantry-backup-{}-{}.tbk\"",
        made.slug,
        made.created_at.format("%Y%m%dT%H%M%SZ")
    );
    Ok((
        [
            (header::CONTENT_TYPE, "application/octet-stream".to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        made.archive,
    )
        .into_response())
}

/// How `POST /v1/admin/tenants/{tid}/restore` restores.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub(crate) struct RestoreQuery {
    /// `same_id` (default): replace what the tenant holds now, or bring a purged tenant back;
    /// `clone`: a new tenant with a new id and `slug`, the original untouched, without billing link.
    #[param(inline, value_type = Option<String>, pattern = "^(same_id|clone)$")]
    mode: Option<ModeName>,
    /// The clone's slug (required with `mode=clone`).
    slug: Option<String>,
}

/// The restore's `mode` as the query names it (anything else is refused with
/// the query, 422 `invalid_query`).
#[derive(Deserialize, Clone, Copy, Default)]
#[serde(rename_all = "snake_case")]
pub(crate) enum ModeName {
    /// Under the archive's own id.
    #[default]
    SameId,
    /// As a new tenant.
    Clone,
}

/// The largest archive a restore takes.
pub const RESTORE_LIMIT: usize = 256 * 1024 * 1024;

#[utoipa::path(post, path = "/v1/admin/tenants/{tid}/restore", tag = "Admin", description = "Restores an uploaded backup of tenant `tid` (the request body is the archive as `POST …/backups` answered it) in one unit of work of that one tenant, re-applying the erasure ledger so that no erased person comes back. A corrupt, truncated, tampered, other-key or other-tenant archive is refused before anything is written (422 `backup_tampered`, `backup_truncated`, `not_a_backup`, `backup_key_mismatch`, `backup_foreign_tenant`, `backup_incompatible`, `backup_format_unsupported`). Audited in the tenant's log and the platform log.",
    params(("tid" = String, Path, format = Uuid, description = "The tenant the archive is of"), RestoreQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "The archive"),
    responses((status = 201, description = "Restored", body = tenantry_ports::services::backups::Restored), Refused),
    security(("bearer" = [])),
)]
pub(crate) async fn admin_restore(
    State(state): State<AppState>,
    Platform(who): Platform,
    Ids(tid): Ids<TenantId>,
    Params(query): Params<RestoreQuery>,
    body: Result<axum::body::Bytes, axum::extract::rejection::BytesRejection>,
) -> Answer {
    use tenantry_ports::services::backups::RestoreMode;
    let mode = match (query.mode.unwrap_or_default(), query.slug) {
        (ModeName::SameId, None) => RestoreMode::SameId,
        (ModeName::Clone, Some(slug)) => RestoreMode::Clone { slug },
        (ModeName::SameId, Some(_)) => {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_query",
                "`slug` names a clone's slug: use it with `mode=clone`",
            ));
        }
        (ModeName::Clone, None) => {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_query",
                "`mode=clone` needs the clone's `slug`",
            ));
        }
    };
    let body = body.map_err(|e| ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "body_too_large", e.body_text()))?;
    created(state.tenantry.restore_tenant(&who, tid, &body, mode).await?)
}

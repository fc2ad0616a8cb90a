//! A tenant's files (issue 27): upload (multipart, streamed), list, download
//! (streamed, served so that nothing uploaded can run in tenantry's origin),
//! delete.

use crate::api::{Answer, Ids, Refused, TenantPath, created, ok};
use crate::auth::InTenant;
use crate::problem::ApiError;
use crate::state::AppState;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures::StreamExt as _;
use tenantry_domain::{FileId, TenantId};
use tenantry_ports::files::FileStoreError;
use tenantry_ports::services::files::{FileView, Upload};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Its routes under `/v1/tenants/{tid}`. The upload's size is the service's
/// to limit (`TENANTRY_MAX_UPLOAD_BYTES`, counted as the bytes stream in), not
/// the body extractors' 1 MiB.
pub(super) fn tenant() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_files, upload_file))
        .routes(routes!(download_file, delete_file))
        .routes(routes!(upload_logo, remove_logo))
        .layer(axum::extract::DefaultBodyLimit::disable())
}

/// The public route of a tenant's current logo (its pages and its mails load it).
pub(super) fn public() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(logo))
}

#[utoipa::path(put, path = "/v1/tenants/{tid}/logo", tag = "Files",
    description = "The tenant's logo: `multipart/form-data` with one part `file`, a PNG or JPEG image (by its bytes: 415 `invalid_logo_type`) of at most 1 MiB (413 `file_too_large`). Its pages show it, and its mails from the service's public https address; the previous logo is deleted.",
    request_body(content = FileUpload, content_type = "multipart/form-data"),
    params(TenantPath),
    responses((status = 200, description = "The logo's file", body = FileView), Refused),
    security(("bearer" = [])),
)]
pub(crate) async fn upload_logo(State(state): State<AppState>, InTenant(scope): InTenant, request: Request) -> Answer {
    let upload = file_part(request).await?;
    ok(state.tenantry.upload_logo(&scope, upload, state.public_url.as_deref()).await?)
}

#[utoipa::path(delete, path = "/v1/tenants/{tid}/logo", tag = "Files", description = "No logo any more (an uploaded one is deleted).",
    params(TenantPath),
    responses((status = 204, description = "Done"), Refused),
    security(("bearer" = [])),
)]
pub(crate) async fn remove_logo(State(state): State<AppState>, InTenant(scope): InTenant) -> Answer {
    state.tenantry.remove_logo(&scope).await?;
    crate::api::no_content()
}

#[utoipa::path(get, path = "/logos/{tid}/{fid}", tag = "Files",
    description = "A tenant's current logo, to anyone (its pages and mail clients load it); any other file, an older logo or an unknown one answers 404.",
    params(TenantPath, ("fid" = String, Path, format = Uuid, description = "The logo's file")),
    responses((status = 200, description = "The image", content_type = "application/octet-stream", body = Vec<u8>), Refused),
)]
pub(crate) async fn logo(State(state): State<AppState>, Ids((tid, fid)): Ids<(TenantId, FileId)>) -> Answer {
    let (file, bytes) = state.tenantry.public_logo(tid, fid).await?;
    let mut answer = file_download(&file, bytes);
    // An image to show, not a download: inline, cached (a new logo is a new address).
    let headers = answer.headers_mut();
    headers.insert(header::CONTENT_DISPOSITION, axum::http::HeaderValue::from_static("inline"));
    headers.insert(header::CACHE_CONTROL, axum::http::HeaderValue::from_static("public, max-age=86400, immutable"));
    Ok(answer)
}

/// A multipart upload: one part named `file`, with a file name.
#[derive(ToSchema)]
#[allow(dead_code)] // the document's description of the form; the handler reads the parts as they stream
pub(crate) struct FileUpload {
    /// The file (its name is the part's `filename`).
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

#[utoipa::path(get, path = "/v1/tenants/{tid}/files", tag = "Files", description = "The tenant's files, newest first.",
    params(TenantPath),
    responses((status = 200, description = "Done", body = Vec<FileView>), Refused),
    security(("bearer" = [])),
)]
pub(crate) async fn list_files(State(state): State<AppState>, InTenant(scope): InTenant) -> Answer {
    ok(state.tenantry.list_files(&scope).await?)
}

#[utoipa::path(post, path = "/v1/tenants/{tid}/files", tag = "Files",
    description = "Stores a file: `multipart/form-data` with one part `file`. Its type is sniffed from its bytes and must be one the tenant accepts (415 `file_type_not_allowed`); it may not be larger than the service's upload limit (413 `file_too_large`) nor pass the tenant's storage quota (413 `storage_quota_exceeded`; of two uploads that together pass it, one is kept).",
    request_body(content = FileUpload, content_type = "multipart/form-data"),
    params(TenantPath),
    responses((status = 201, description = "Stored", body = FileView), Refused),
    security(("bearer" = [])),
)]
pub(crate) async fn upload_file(State(state): State<AppState>, InTenant(scope): InTenant, request: Request) -> Answer {
    let upload = file_part(request).await?;
    created(state.tenantry.upload_file(&scope, upload).await?)
}

/// The part `file` of a multipart request, as a stream (never read whole).
pub(crate) async fn file_part(request: Request) -> Result<Upload, ApiError> {
    Ok(multipart_upload(request).await?.1)
}

/// The text parts before the part `file` (at most 16 of 4 KiB each: a page's
/// form sends its CSRF token first), and the part `file` as a stream.
pub(crate) async fn multipart_upload(
    request: Request,
) -> Result<(std::collections::BTreeMap<String, String>, Upload), ApiError> {
    let refused = |detail: &str| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_upload", detail);
    let content_type = request.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let boundary = multer::parse_boundary(content_type)
        .map_err(|_| refused("send the file as multipart/form-data, in a part named `file`"))?;
    let mut parts = multer::Multipart::new(request.into_body().into_data_stream(), boundary);
    let mut texts = std::collections::BTreeMap::new();
    loop {
        match parts.next_field().await {
            Ok(Some(field)) if field.name() == Some("file") => {
                let name = field.file_name().unwrap_or_default().to_owned();
                // The field reads from the request through the multipart parser, kept alive with it.
                let content = futures::stream::unfold((field, parts), |(mut field, parts)| async move {
                    let next = field.next().await?;
                    Some((next.map_err(|e| FileStoreError::Upload(e.to_string())), (field, parts)))
                });
                return Ok((texts, Upload { name, content: Box::pin(content) }));
            }
            Ok(Some(mut field)) => {
                let name = field.name().unwrap_or_default().to_owned();
                let mut text = Vec::new();
                while let Some(chunk) = field.chunk().await.map_err(|e| refused(&e.to_string()))? {
                    text.extend_from_slice(&chunk);
                    if text.len() > 4096 {
                        return Err(refused("a text part of the form is longer than 4 KiB"));
                    }
                }
                if texts.len() >= 16 {
                    return Err(refused("the form has more than 16 parts before `file`"));
                }
                texts.insert(name, String::from_utf8_lossy(&text).into_owned());
            }
            Ok(None) => return Err(refused("the form has no part named `file`")),
            Err(e) => return Err(refused(&format!("the multipart body could not be read: {e}"))),
        }
    }
}

#[utoipa::path(get, path = "/v1/tenants/{tid}/files/{fid}", tag = "Files",
    description = "The file's bytes, streamed, as an attachment that cannot run in this origin (`Content-Disposition: attachment`, `X-Content-Type-Options: nosniff`, `Content-Security-Policy: sandbox`).",
    params(TenantPath, ("fid" = String, Path, format = Uuid, description = "A file of the tenant")),
    responses((status = 200, description = "The file", content_type = "application/octet-stream", body = Vec<u8>), Refused),
    security(("bearer" = [])),
)]
pub(crate) async fn download_file(
    State(state): State<AppState>,
    InTenant(scope): InTenant,
    Ids((_, fid)): Ids<(TenantId, FileId)>,
) -> Answer {
    let (file, bytes) = state.tenantry.download_file(&scope, fid).await?;
    Ok(file_download(&file, bytes))
}

/// A stored file as a download (the API's and the pages' answer): streamed,
/// with its length, as an attachment that a browser neither sniffs nor runs.
pub(crate) fn file_download(file: &FileView, bytes: tenantry_ports::files::ByteStream) -> Response {
    let body = bytes.map(|chunk| {
        chunk.map_err(|e| {
            tracing::warn!(error = %e, "a file's download ended early");
            std::io::Error::other(e.to_string())
        })
    });
    (
        [
            (header::CONTENT_TYPE, file.content_type.clone()),
            (header::CONTENT_DISPOSITION, content_disposition(&file.name)),
            (header::CONTENT_LENGTH, file.size.to_string()),
            (header::CONTENT_SECURITY_POLICY, "sandbox".to_owned()),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
            (header::CACHE_CONTROL, "private, no-store".to_owned()),
            (header::ETAG, format!("\"{}\"", file.sha256)),
        ],
        axum::body::Body::from_stream(body),
    )
        .into_response()
}

/// `attachment`, with the name as ASCII for old clients and exactly in
/// `filename*` (RFC 6266, RFC 8187): no quote, backslash or control
/// character reaches the header.
pub(crate) fn content_disposition(name: &str) -> String {
    let ascii: String = name
        .chars()
        .map(|c| if (c.is_ascii_graphic() && c != '"' && c != '\\') || c == ' ' { c } else { '_' })
        .collect();
    let mut exact = String::with_capacity(name.len() * 3);
    for byte in name.bytes() {
        let plain = byte.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&byte);
        if plain {
            exact.push(char::from(byte));
        } else {
            exact.push_str(&format!("%{byte:02X}"));
        }
    }
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{exact}")
}

#[utoipa::path(delete, path = "/v1/tenants/{tid}/files/{fid}", tag = "Files",
    description = "Deletes a file: one's own with `files:write`, anyone's with `tenant:update`; its bytes leave the storage quota.",
    params(TenantPath, ("fid" = String, Path, format = Uuid, description = "A file of the tenant")),
    responses((status = 200, description = "Deleted", body = FileView), Refused),
    security(("bearer" = [])),
)]
pub(crate) async fn delete_file(
    State(state): State<AppState>,
    InTenant(scope): InTenant,
    Ids((_, fid)): Ids<(TenantId, FileId)>,
) -> Answer {
    ok(state.tenantry.delete_file(&scope, fid).await?)
}

#[cfg(test)]
mod tests {
    use super::content_disposition;

    #[test]
    fn a_file_name_cannot_break_out_of_its_header() {
        assert_eq!(
            content_disposition("receipt 2026.pdf"),
            "attachment; filename=\"receipt 2026.pdf\"; filename*=UTF-8''receipt%202026.pdf"
        );
        let evil = "a\"; filename=evil.html\r\nSet-Cookie: x=1.pdf";
        let header = content_disposition(evil);
        assert!(!header.contains('\r') && !header.contains('\n'), "{header}");
        assert_eq!(header.matches('"').count(), 2, "{header}");
        assert!(axum::http::HeaderValue::from_str(&header).is_ok());
        assert_eq!(
            content_disposition("Grüße.txt"),
            "attachment; filename=\"Gr__e.txt\"; filename*=UTF-8''Gr%C3%BC%C3%9Fe.txt"
        );
    }
}

//! A tenant's files (issue 27): the list, an upload form, downloads, deletes.

use crate::l10n::t;
use crate::state::AppState;
use crate::web::PageResult;
use crate::web::forms::{given, id_of};
use crate::web::layout::moment;
use crate::web::session::{CsrfForm, Session, WebForm, field};
use crate::web::tenant::{nav, page, posted, tenant};
use axum::Router;
use axum::extract::{Path, Query, Request, State};
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use maud::html;
use serde::Deserialize;
use tenantry_domain::FileId;

/// Its pages. The upload's size is the service's to limit, as in the API.
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/app/{slug}/settings/files", get(files).post(upload))
        .route("/app/{slug}/settings/files/{fid}", get(download))
        .route("/app/{slug}/settings/files/{fid}/delete", post(delete))
        .layer(axum::extract::DefaultBodyLimit::disable())
}

#[derive(Deserialize, Default)]
pub(crate) struct FileNotice {
    uploaded: Option<String>,
    deleted: Option<String>,
}

/// A size as people read it.
pub(crate) fn size(bytes: u64) -> String {
    match bytes {
        b if b >= 10 << 20 => t!("tenant-files-size-mb", count = b >> 20),
        b if b >= 10 << 10 => t!("tenant-files-size-kb", count = b >> 10),
        b => t!("tenant-files-size-bytes", count = b),
    }
}

/// `GET /app/{slug}/settings/files`: the files, the storage used, and the upload form.
pub(crate) async fn files(
    State(state): State<AppState>,
    session: Session,
    Path(slug): Path<String>,
    Query(n): Query<FileNotice>,
) -> PageResult {
    let (scope, name) = tenant(&state, &session, &slug).await?;
    let list = state.tenantry.list_files(&scope).await?;
    let usage = state.tenantry.usage(&scope).await.ok();
    let accepted: Vec<String> = match state.tenantry.get_tenant(&scope).await.ok().and_then(|t| t.settings.file_types) {
        Some(types) => types,
        None => tenantry_domain::file::DEFAULT_ALLOWED_TYPES.iter().map(|t| (*t).to_owned()).collect(),
    };
    let body = html! {
        h1 { (t!("tenant-files-title")) }
        p { (t!("tenant-files-intro")) }
        details #accepted-types {
            summary { (t!("tenant-files-accepted")) }
            ul { @for t in &accepted { li { code { (t) } } } }
        }
        @if let Some(u) = &usage {
            p #storage-used {
                (t!("tenant-files-used", used = size(u.storage_bytes), limit = size(u.storage_limit_bytes)))
                " "
                meter min="0" max=(u.storage_limit_bytes) value=(u.storage_bytes) aria-label=(t!("tenant-files-title")) {}
            }
            @if u.storage_bytes > u.storage_limit_bytes {
                p.notice #over-quota role="alert" { (t!("tenant-files-over-quota")) }
            }
        }
        @if given(&n.uploaded).is_some() {
            p.notice #file-notice role="status" { (t!("tenant-files-uploaded")) }
        } @else if given(&n.deleted).is_some() {
            p.notice #file-notice role="status" { (t!("tenant-files-deleted")) }
        }
        form.card method="post" enctype="multipart/form-data" action={ "/app/" (slug) "/settings/files" } {
            (field(&session))
            label for="file" { (t!("tenant-files-choose")) }
            input #file type="file" name="file" required;
            button #upload type="submit" { (t!("tenant-files-upload")) }
        }
        @if list.is_empty() {
            p #no-files { (t!("tenant-files-none")) }
        } @else {
            table #files {
                caption { (t!("tenant-files-caption")) }
                thead {
                    tr {
                        th scope="col" { (t!("tenant-files-name")) }
                        th scope="col" { (t!("tenant-files-type")) }
                        th scope="col" { (t!("tenant-files-size")) }
                        th scope="col" { (t!("tenant-files-uploaded-at")) }
                        th scope="col" { (t!("tenant-files-actions")) }
                    }
                }
                tbody {
                    @for f in &list {
                        tr id={ "file-" (f.id) } {
                            td { a href={ "/app/" (slug) "/settings/files/" (f.id) } download { (f.name) } }
                            td { code { (f.content_type) } }
                            td { (size(f.size)) }
                            td { (moment(f.uploaded_at)) }
                            td {
                                form.inline method="post" action={ "/app/" (slug) "/settings/files/" (f.id) "/delete" } {
                                    (field(&session))
                                    button.link type="submit" { (t!("tenant-files-delete")) }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(page(&state, &scope, &t!("tenant-files-title"), nav(&session, &slug, &name), body).await.into_response())
}

/// `POST /app/{slug}/settings/files`: the form's CSRF token first, then the file, streamed.
pub(crate) async fn upload(
    State(state): State<AppState>,
    session: Session,
    Path(slug): Path<String>,
    request: Request,
) -> PageResult {
    let (texts, upload) = crate::api::multipart_upload(request).await?;
    let csrf = texts.get("csrf").map(String::as_str).unwrap_or_default();
    let (scope, _) = posted(&state, &session, &slug, csrf).await?;
    let file = state.tenantry.upload_file(&scope, upload).await?;
    Ok(Redirect::to(&format!("/app/{slug}/settings/files?uploaded={}", file.id)).into_response())
}

/// `GET /app/{slug}/settings/files/{fid}`: the file, with the API's headers.
pub(crate) async fn download(
    State(state): State<AppState>,
    session: Session,
    Path((slug, fid)): Path<(String, String)>,
) -> PageResult {
    let (scope, _) = tenant(&state, &session, &slug).await?;
    let fid = id_of::<FileId>(&fid)?;
    let (file, bytes) = state.tenantry.download_file(&scope, fid).await?;
    Ok(crate::api::file_download(&file, bytes))
}

/// `POST /app/{slug}/settings/files/{fid}/delete`.
pub(crate) async fn delete(
    State(state): State<AppState>,
    session: Session,
    Path((slug, fid)): Path<(String, String)>,
    WebForm(form): WebForm<CsrfForm>,
) -> PageResult {
    let (scope, _) = posted(&state, &session, &slug, &form.csrf).await?;
    let fid = id_of::<FileId>(&fid)?;
    let file = state.tenantry.delete_file(&scope, fid).await?;
    Ok(Redirect::to(&format!("/app/{slug}/settings/files?deleted={}", file.id)).into_response())
}

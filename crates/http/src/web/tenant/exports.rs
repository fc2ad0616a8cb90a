//! A tenant's GDPR exports: requested, followed, downloaded.

use crate::state::AppState;
use crate::web::PageResult;
use crate::web::forms::{given, id_of, when};
use crate::web::session::{CsrfForm, Session, WebForm, field};
use crate::web::tenant::{nav, page, posted, tenant};
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect};
use axum::routing::get;
use maud::{Markup, html};
use serde::Deserialize;
use tenantry_domain::ExportId;
use tenantry_domain::export::ExportStatus;
use tenantry_ports::services::exports::ExportView;

/// Its pages.
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/app/{slug}/settings/exports", get(exports).post(request_export))
        .route("/app/{slug}/settings/exports/{eid}/download", get(download_export))
}

#[derive(Deserialize, Default)]
pub(crate) struct ExportNotice {
    requested: Option<String>,
    running: Option<String>,
}

fn size(bytes: u64) -> String {
    match bytes {
        b if b >= 10 << 20 => format!("{} MB", b >> 20),
        b if b >= 10 << 10 => format!("{} kB", b >> 10),
        b => format!("{b} bytes"),
    }
}

fn export_row(slug: &str, e: &ExportView, current: Option<&str>) -> Markup {
    let id = e.id.to_string();
    let highlighted = current == Some(id.as_str());
    html! {
        tr id={ "export-" (id) } class=[highlighted.then_some("current")] {
            td { (when(e.created_at)) }
            td.export-status { span class={ "badge badge-" (ExportStatus::as_str(e.status)) } { (ExportStatus::as_str(e.status)) } }
            td {
                progress max="100" value=(e.percent) aria-label="Progress" { (e.percent) "%" }
                " " (e.percent) "%"
            }
            td { @if e.status == ExportStatus::Ready { (size(e.size_bytes)) } }
            td { @if let Some(at) = e.expires_at { (when(at)) } }
            td {
                @if e.status == ExportStatus::Ready {
                    a.download href={ "/app/" (slug) "/settings/exports/" (id) "/download" } download {
                        "Download"
                    }
                }
            }
        }
    }
}

/// `GET /app/{slug}/settings/exports`: the GDPR exports and the button asking for one.
pub(crate) async fn exports(
    State(state): State<AppState>,
    session: Session,
    Path(slug): Path<String>,
    Query(n): Query<ExportNotice>,
) -> PageResult {
    let (scope, name) = tenant(&state, &session, &slug).await?;
    let list = state.tenantry.list_exports(&scope).await?;
    let current = given(&n.requested).or(given(&n.running));
    let body = html! {
        h1 { "Data export" }
        p { "An export is a JSON archive of the workspace's data (never passwords or key secrets). "
            "It is produced in the background and can be downloaded for seven days." }
        @if given(&n.requested).is_some() {
            p.notice #export-notice role="status" { "The export has been requested: reload this page to follow it." }
        } @else if given(&n.running).is_some() {
            p.notice #export-notice role="status" {
                "An export is already being produced: it is highlighted below. Reload this page to follow it."
            }
        }
        form.card method="post" action={ "/app/" (slug) "/settings/exports" } {
            (field(&session))
            button #request-export type="submit" { "Request an export" }
        }
        @if list.is_empty() {
            p #no-exports { "No exports yet." }
        } @else {
            table #exports {
                caption { "Exports, newest first" }
                thead {
                    tr {
                        th scope="col" { "Requested" }
                        th scope="col" { "Status" }
                        th scope="col" { "Progress" }
                        th scope="col" { "Size" }
                        th scope="col" { "Available until" }
                        th scope="col" { "Archive" }
                    }
                }
                tbody {
                    @for e in &list { (export_row(&slug, e, current)) }
                }
            }
        }
    };
    Ok(page(&state, &scope, "Data export", nav(&session, &slug, &name), body).await.into_response())
}

/// `POST /app/{slug}/settings/exports`: a new export, or the one already under
/// way; back to the list, which points at it.
pub(crate) async fn request_export(
    State(state): State<AppState>,
    session: Session,
    Path(slug): Path<String>,
    WebForm(form): WebForm<CsrfForm>,
) -> PageResult {
    let (scope, _) = posted(&state, &session, &slug, &form.csrf).await?;
    let answer = state.tenantry.request_export(&scope).await?;
    let key = if answer.created { "requested" } else { "running" };
    Ok(Redirect::to(&format!("/app/{slug}/settings/exports?{key}={}", answer.export.id)).into_response())
}

/// `GET /app/{slug}/settings/exports/{eid}/download`: the archive, with the API's headers.
pub(crate) async fn download_export(
    State(state): State<AppState>,
    session: Session,
    Path((slug, eid)): Path<(String, String)>,
) -> PageResult {
    let (scope, _) = tenant(&state, &session, &slug).await?;
    let eid = id_of::<ExportId>(&eid)?;
    Ok(crate::api::export_download(state.tenantry.download_export(&scope, eid).await?))
}

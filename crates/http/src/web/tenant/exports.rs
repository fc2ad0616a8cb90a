//! A tenant's GDPR exports: requested, followed, downloaded.

use crate::l10n::t;
use crate::state::AppState;
use crate::web::PageResult;
use crate::web::forms::{given, id_of};
use crate::web::layout::moment;
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
        b if b >= 10 << 20 => t!("tenant-exports-size-mb", count = b >> 20),
        b if b >= 10 << 10 => t!("tenant-exports-size-kb", count = b >> 10),
        b => t!("tenant-exports-size-bytes", count = b),
    }
}

/// An export's status as its badge says it.
fn status_text(status: ExportStatus) -> String {
    match status {
        ExportStatus::Queued => t!("tenant-exports-status-queued"),
        ExportStatus::Running => t!("tenant-exports-status-running"),
        ExportStatus::Ready => t!("tenant-exports-status-ready"),
        ExportStatus::Failed => t!("tenant-exports-status-failed"),
        ExportStatus::Expired => t!("tenant-exports-status-expired"),
    }
}

fn export_row(slug: &str, e: &ExportView, current: Option<&str>) -> Markup {
    let id = e.id.to_string();
    let highlighted = current == Some(id.as_str());
    html! {
        tr id={ "export-" (id) } class=[highlighted.then_some("current")] {
            td { (moment(e.created_at)) }
            td.export-status { span class={ "badge badge-" (ExportStatus::as_str(e.status)) } { (status_text(e.status)) } }
            td {
                progress max="100" value=(e.percent) aria-label=(t!("tenant-exports-progress")) {
                    (t!("tenant-exports-percent", percent = e.percent))
                }
                " " (t!("tenant-exports-percent", percent = e.percent))
            }
            td { @if e.status == ExportStatus::Ready { (size(e.size_bytes)) } }
            td { @if let Some(at) = e.expires_at { (moment(at)) } }
            td {
                @if e.status == ExportStatus::Ready {
                    a.download href={ "/app/" (slug) "/settings/exports/" (id) "/download" } download {
                        (t!("tenant-exports-download"))
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
        h1 { (t!("tenant-exports-title")) }
        p { (t!("tenant-exports-intro")) }
        @if given(&n.requested).is_some() {
            p.notice #export-notice role="status" { (t!("tenant-exports-requested")) }
        } @else if given(&n.running).is_some() {
            p.notice #export-notice role="status" { (t!("tenant-exports-running")) }
        }
        form.card method="post" action={ "/app/" (slug) "/settings/exports" } {
            (field(&session))
            button #request-export type="submit" { (t!("tenant-exports-request")) }
        }
        @if list.is_empty() {
            p #no-exports { (t!("tenant-exports-none")) }
        } @else {
            table #exports {
                caption { (t!("tenant-exports-caption")) }
                thead {
                    tr {
                        th scope="col" { (t!("tenant-exports-requested-at")) }
                        th scope="col" { (t!("tenant-exports-status")) }
                        th scope="col" { (t!("tenant-exports-progress")) }
                        th scope="col" { (t!("tenant-exports-size")) }
                        th scope="col" { (t!("tenant-exports-available-until")) }
                        th scope="col" { (t!("tenant-exports-archive")) }
                    }
                }
                tbody {
                    @for e in &list { (export_row(&slug, e, current)) }
                }
            }
        }
    };
    Ok(page(&state, &scope, &t!("tenant-exports-title"), nav(&session, &slug, &name), body).await.into_response())
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

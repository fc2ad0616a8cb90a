//! The scheduled work: jobs that failed for good, with a retry, and the tenants waiting for their purge.

use crate::l10n::t;
use crate::state::AppState;
use crate::web::admin::platform;
use crate::web::layout::{Page, day, moment};
use crate::web::session::{Session, WebForm, admin_nav, field};
use crate::web::{PageError, PageResult};
use axum::Router;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use maud::html;
use serde::Deserialize;
use tenantry_domain::TenantId;
use tenantry_ports::services::jobs::PurgeReason;

/// Its pages.
pub(super) fn routes() -> Router<AppState> {
    Router::new().route("/admin/jobs", get(jobs)).route("/admin/tenants/{tid}/jobs/{jid}/retry", post(retry_job))
}

/// What a job does, for a person; a mail by its template and recipient.
fn job_label(job: &tenantry_domain::job::Job, mails: &[tenantry_ports::services::jobs::FailedMail]) -> String {
    match mails.iter().find(|m| m.job_id == job.id) {
        Some(m) => t!("admin-job-mail-to", template = &m.template, to = &m.to),
        None => job_kind(&job.kind),
    }
}

/// What a job does, for a person.
fn job_kind(kind: &tenantry_domain::job::JobKind) -> String {
    use tenantry_domain::job::JobKind;
    match kind {
        JobKind::Export(id) => t!("admin-job-export", id = id.to_string()),
        JobKind::ExpireExport(id) => t!("admin-job-expire-export", id = id.to_string()),
        JobKind::Timers(at) => t!("admin-job-timers", at = moment(*at)),
        JobKind::Mail(id) => t!("admin-job-mail", id = id.to_string()),
    }
}

/// `GET /admin/jobs`: jobs that failed on their last attempt (newest first),
/// each with its tenant, attempts, last error and a Retry button, and the
/// tenants waiting for their purge.
pub(crate) async fn jobs(State(state): State<AppState>, session: Session) -> PageResult {
    let who = platform(&state, &session).await?;
    let jobs = state.tenantry.admin_jobs(&who, 200).await?;
    let body = html! {
        h1 { (t!("admin-jobs-title")) }
        p.hint { (t!("admin-jobs-intro")) }
        section.card aria-labelledby="failed-h" {
            h2 #failed-h { (t!("admin-jobs-failed", count = jobs.failed.len())) }
            @if jobs.failed.is_empty() {
                p #no-failed-jobs { (t!("admin-jobs-none-failed")) }
            } @else {
                table #failed-jobs {
                    thead { tr {
                        th scope="col" { (t!("admin-jobs-job")) } th scope="col" { (t!("admin-label-tenant")) }
                        th.num scope="col" { (t!("admin-jobs-attempts")) } th scope="col" { (t!("admin-jobs-last-error")) }
                        th scope="col" { (t!("admin-label-since")) } th scope="col" { span.hint { (t!("admin-label-action")) } }
                    } }
                    tbody {
                        @for j in &jobs.failed {
                            tr id={ "job-" (j.id) } {
                                td { (job_label(j, &jobs.failed_mails)) }
                                td { a href={ "/admin/tenants/" (j.tenant_id) } { code { (j.tenant_id) } } }
                                td.num { (j.attempts) }
                                td { @if let Some(e) = &j.last_error { code { (e) } } }
                                td { (day(j.run_at)) }
                                td {
                                    form.inline method="post" action={ "/admin/tenants/" (j.tenant_id) "/jobs/" (j.id) "/retry" } {
                                        (field(&session))
                                        button type="submit" aria-label=(t!("admin-jobs-retry-label", id = j.id.to_string())) {
                                            (t!("admin-jobs-retry"))
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        section.card aria-labelledby="purges-h" {
            h2 #purges-h { (t!("admin-jobs-purges", count = jobs.pending_purges.len())) }
            @if jobs.pending_purges.is_empty() {
                p #no-purges { (t!("admin-jobs-no-purges")) }
            } @else {
                table #pending-purges {
                    thead { tr {
                        th scope="col" { (t!("admin-label-tenant")) } th scope="col" { (t!("admin-jobs-why")) }
                        th scope="col" { (t!("admin-label-since")) } th scope="col" { (t!("admin-jobs-purged-on")) }
                    } }
                    tbody {
                        @for p in &jobs.pending_purges {
                            tr { td { a href={ "/admin/tenants/" (p.tenant_id) } { (p.name) } " (" (p.slug) ")" }
                                 td { (match p.reason {
                                     PurgeReason::DeletionRequested => t!("admin-jobs-reason-deletion"),
                                     PurgeReason::PaymentMethodNeverAdded => t!("admin-jobs-reason-no-payment-method"),
                                 }) }
                                 td { (day(p.requested_at)) } td { (day(p.purge_at)) } }
                        }
                    }
                }
            }
        }
    };
    Ok(Page::new(&t!("admin-jobs-title"), admin_nav(&session), body).into_response())
}

#[derive(Deserialize)]
pub(crate) struct RetryForm {
    csrf: String,
}

/// `POST /admin/tenants/{tid}/jobs/{jid}/retry`: the job is due again now with
/// all its attempts (audited in the tenant's log); back to the list.
pub(crate) async fn retry_job(
    State(state): State<AppState>,
    session: Session,
    Path((tid, jid)): Path<(String, String)>,
    WebForm(form): WebForm<RetryForm>,
) -> PageResult {
    platform(&state, &session).await?;
    session.check(&form.csrf)?;
    let tid = TenantId::parse(&tid).map_err(|_| PageError::not_found())?;
    let jid = tenantry_domain::ids::JobId::parse(&jid).map_err(|_| PageError::not_found())?;
    let scope = state.tenantry.authorize(&session.principal, tid).await?;
    state.tenantry.retry_job(&scope, jid).await?;
    Ok(Redirect::to("/admin/jobs").into_response())
}

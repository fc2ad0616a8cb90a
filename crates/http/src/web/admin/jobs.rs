//! The scheduled work: jobs that failed for good, with a retry, and the tenants waiting for their purge.

use crate::state::AppState;
use crate::web::admin::platform;
use crate::web::layout::{Page, day};
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
        Some(m) => format!("mail {} to {}", m.template, m.to),
        None => job_kind(&job.kind),
    }
}

/// What a job does, for a person.
fn job_kind(kind: &tenantry_domain::job::JobKind) -> String {
    use tenantry_domain::job::JobKind;
    match kind {
        JobKind::Export(id) => format!("GDPR export {id}"),
        JobKind::ExpireExport(id) => format!("expiry of export {id}"),
        JobKind::Timers(at) => format!("timers due {}", at.format("%Y-%m-%d %H:%M UTC")),
        JobKind::Mail(id) => format!("mail {id}"),
    }
}

/// `GET /admin/jobs`: jobs that failed on their last attempt (newest first),
/// each with its tenant, attempts, last error and a Retry button, and the
/// tenants waiting for their purge.
pub(crate) async fn jobs(State(state): State<AppState>, session: Session) -> PageResult {
    let who = platform(&state, &session).await?;
    let jobs = state.tenantry.admin_jobs(&who, 200).await?;
    let body = html! {
        h1 { "Jobs" }
        p.hint { "Scheduled work runs every minute and is retried after 30 s, 1, 2 and 4 minutes; a job that failed its fifth attempt stays here until it is retried." }
        section.card aria-labelledby="failed-h" {
            h2 #failed-h { "Failed for good (" (jobs.failed.len()) ")" }
            @if jobs.failed.is_empty() {
                p #no-failed-jobs { "No failed job." }
            } @else {
                table #failed-jobs {
                    thead { tr {
                        th scope="col" { "Job" } th scope="col" { "Tenant" } th.num scope="col" { "Attempts" }
                        th scope="col" { "Last error" } th scope="col" { "Since" } th scope="col" { span.hint { "Action" } }
                    } }
                    tbody {
                        @for j in &jobs.failed {
                            tr id={ "job-" (j.id) } {
                                td { (job_label(j, &jobs.failed_mails)) }
                                td { a href={ "/admin/tenants/" (j.tenant_id) } { code { (j.tenant_id) } } }
                                td.num { (j.attempts) }
                                td { (j.last_error.as_deref().unwrap_or("")) }
                                td { (day(j.run_at)) }
                                td {
                                    form.inline method="post" action={ "/admin/tenants/" (j.tenant_id) "/jobs/" (j.id) "/retry" } {
                                        (field(&session))
                                        button type="submit" aria-label={ "Retry the job " (j.id) } { "Retry" }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        section.card aria-labelledby="purges-h" {
            h2 #purges-h { "Waiting for their purge (" (jobs.pending_purges.len()) ")" }
            @if jobs.pending_purges.is_empty() {
                p #no-purges { "No tenant is waiting for its purge." }
            } @else {
                table #pending-purges {
                    thead { tr { th scope="col" { "Tenant" } th scope="col" { "Why" } th scope="col" { "Since" } th scope="col" { "Purged on" } } }
                    tbody {
                        @for p in &jobs.pending_purges {
                            tr { td { a href={ "/admin/tenants/" (p.tenant_id) } { (p.name) } " (" (p.slug) ")" }
                                 td { (match p.reason {
                                     PurgeReason::DeletionRequested => "deletion requested",
                                     PurgeReason::PaymentMethodNeverAdded => "signup without a payment method",
                                 }) }
                                 td { (day(p.requested_at)) } td { (day(p.purge_at)) } }
                        }
                    }
                }
            }
        }
    };
    Ok(Page::new("Jobs", admin_nav(&session), body).into_response())
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

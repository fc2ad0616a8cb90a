//! The platform's audit log across tenants (filters and a cursor).

use crate::l10n::t;
use crate::state::AppState;
use crate::web::admin::platform;
use crate::web::forms::{encode, given};
use crate::web::layout::{Page, alert, moment};
use crate::web::session::{Session, admin_nav};
use crate::web::{PageError, PageResult};
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use maud::{Markup, html};
use serde::Deserialize;
use tenantry_domain::audit::{AuditActor, AuditOutcome, AuditTarget};
use tenantry_domain::{AuditAction, AuditEvent, AuditEventId, TenantId, UserId};
use tenantry_ports::services::audit::{AuditFilter, AuditPage};

/// Its pages.
pub(super) fn routes() -> Router<AppState> {
    Router::new().route("/admin/audit", get(audit))
}

/// The audit page's filters, as typed (each checked before the use case runs).
#[derive(Deserialize, Default)]
pub(crate) struct AuditQuery {
    tenant: Option<String>,
    action: Option<String>,
    user: Option<String>,
    before: Option<String>,
    limit: Option<String>,
    reason: Option<String>,
}

/// The filters once read.
struct AuditParams {
    tenant: Option<TenantId>,
    filter: AuditFilter,
}

/// The filters, or why one cannot be read (in the reader's language).
fn audit_params(q: &AuditQuery) -> Result<AuditParams, String> {
    let tenant = given(&q.tenant).map(|t| TenantId::parse(t).map_err(|_| t!("admin-audit-bad-tenant"))).transpose()?;
    let user = given(&q.user).map(|u| UserId::parse(u).map_err(|_| t!("admin-audit-bad-user"))).transpose()?;
    let before =
        given(&q.before).map(|b| AuditEventId::parse(b).map_err(|_| t!("admin-audit-bad-cursor"))).transpose()?;
    let limit = given(&q.limit).map(|l| l.parse::<u32>().map_err(|_| t!("admin-audit-bad-limit"))).transpose()?;
    let action = given(&q.action).map(str::to_owned);
    Ok(AuditParams { tenant, filter: AuditFilter { before, limit, action, user } })
}

/// `GET /admin/audit`: every tenant's and the platform's events, newest first.
pub(crate) async fn audit(State(state): State<AppState>, session: Session, Query(q): Query<AuditQuery>) -> PageResult {
    let who = platform(&state, &session).await?;
    let read = match audit_params(&q) {
        Ok(p) => state.tenantry.platform_audit(&who, p.tenant, p.filter, given(&q.reason)).await.map_err(|e| {
            let e = PageError::from(e);
            (e.status(), e.detail())
        }),
        // A filter the page cannot read: its own words, not the generic refusal of a form.
        Err(message) => Err((StatusCode::UNPROCESSABLE_ENTITY, message)),
    };
    match read {
        Ok(page) => Ok(audit_page(&session, &q, Some(&page), None).into_response()),
        Err((status, message)) => Ok((status, audit_page(&session, &q, None, Some(message.as_str()))).into_response()),
    }
}

fn audit_page(session: &Session, q: &AuditQuery, page: Option<&AuditPage>, error: Option<&str>) -> Page {
    let value = |v: &Option<String>| given(v).unwrap_or("").to_owned();
    let next = page.and_then(|p| p.next_before).map(|before| {
        let mut link = format!("/admin/audit?before={before}");
        for (name, v) in [
            ("tenant", &q.tenant),
            ("action", &q.action),
            ("user", &q.user),
            ("limit", &q.limit),
            ("reason", &q.reason),
        ] {
            if let Some(v) = given(v) {
                link.push_str(&format!("&{name}={}", encode(v)));
            }
        }
        link
    });
    let body = html! {
        h1 { (t!("admin-audit-title")) }
        p.hint { (t!("admin-audit-intro")) }
        form.filters #audit-filters method="get" action="/admin/audit" role="search" {
            label for="filter-tenant" { (t!("admin-audit-tenant-id")) }
            input #filter-tenant name="tenant" type="text" value=(value(&q.tenant)) size="38";
            label for="filter-action" { (t!("admin-label-action")) }
            input #filter-action name="action" type="text" list="audit-actions" value=(value(&q.action));
            datalist #audit-actions {
                @for a in AuditAction::ALL { option value=(a.as_str()) {} }
            }
            label for="filter-user" { (t!("admin-audit-user-id")) }
            input #filter-user name="user" type="text" value=(value(&q.user)) size="38";
            label for="filter-reason" { (t!("admin-audit-reason")) }
            input #filter-reason name="reason" type="text" maxlength="200" value=(value(&q.reason))
                placeholder=(t!("admin-audit-reason-placeholder"));
            label for="filter-limit" { (t!("admin-audit-per-page")) }
            select #filter-limit name="limit" {
                @for n in ["50", "100", "200"] {
                    option value=(n) selected[given(&q.limit) == Some(n)] { (n) }
                }
            }
            button type="submit" { (t!("admin-filter")) }
            a href="/admin/audit" { (t!("admin-audit-clear")) }
        }
        (alert(error))
        @if let Some(page) = page {
            table #audit-events {
                thead { tr {
                    th scope="col" { (t!("admin-audit-when")) } th scope="col" { (t!("admin-label-tenant")) }
                    th scope="col" { (t!("admin-audit-who")) } th scope="col" { (t!("admin-label-action")) }
                    th scope="col" { (t!("admin-audit-target")) } th scope="col" { (t!("admin-audit-outcome")) }
                    th scope="col" { (t!("admin-audit-details")) }
                } }
                tbody {
                    @for e in &page.events { (event_row(e)) }
                }
            }
            @if page.events.is_empty() { p #no-events { (t!("admin-audit-none")) } }
            @if let Some(link) = &next {
                p { a #next-page href=(link) rel="next" { (t!("admin-audit-next")) } }
            }
        }
    };
    Page::new(&t!("admin-audit-title"), admin_nav(session), body)
}

fn event_row(e: &AuditEvent) -> Markup {
    html! {
        tr {
            td { time datetime=(e.at.to_rfc3339()) { (moment(e.at)) } }
            td {
                @if let Some(t) = e.tenant_id { a href={ "/admin/tenants/" (t) } { code { (t) } } }
                @else { (t!("admin-audit-platform")) }
            }
            td { (actor(&e.actor)) }
            td { code { (e.action.as_str()) } }
            td { @if let Some(t) = &e.target { (target(t)) } @else { "–" } }
            td { (outcome(&e.outcome)) }
            td {
                // The details as recorded: machine keys and stored values, shown as code.
                @for (k, v) in &e.details { span.detail { code { (k) } ": " code { (v) } } " " }
            }
        }
    }
}

/// The serde name of a unit enum (`success`, `scheduler`).
fn snake<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_value(value).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
}

fn outcome(o: &AuditOutcome) -> String {
    match o {
        AuditOutcome::Success => t!("admin-audit-outcome-success"),
        AuditOutcome::Denied => t!("admin-audit-outcome-denied"),
        AuditOutcome::Failed => t!("admin-audit-outcome-failed"),
    }
}

/// Who acted; an automatic part of the system by its code name (`scheduler`).
fn actor(a: &AuditActor) -> String {
    match a {
        AuditActor::User(u) => t!("admin-audit-actor-user", id = u.to_string()),
        AuditActor::Superuser(p) => t!("admin-audit-actor-superuser", id = p.to_string()),
        AuditActor::ApiKey(k) => t!("admin-audit-actor-api-key", id = k.to_string()),
        AuditActor::Impersonation { superuser, user } => {
            t!("admin-audit-actor-impersonation", superuser = superuser.to_string(), user = user.to_string())
        }
        AuditActor::System(s) => t!("admin-audit-actor-system", name = snake(s)),
        AuditActor::Anonymous => t!("admin-audit-actor-anonymous"),
    }
}

fn target(t: &AuditTarget) -> Markup {
    html! {
        @match t {
            AuditTarget::Tenant(id) => {
                (t!("admin-audit-target-tenant")) " " a href={ "/admin/tenants/" (id) } { code { (id) } }
            }
            AuditTarget::User(id) => { (t!("admin-audit-target-user")) " " code { (id) } }
            AuditTarget::Invitation(id) => { (t!("admin-audit-target-invitation")) " " code { (id) } }
            AuditTarget::Role(id) => { (t!("admin-audit-target-role")) " " code { (id) } }
            AuditTarget::Subscription => { (t!("admin-audit-target-subscription")) }
            AuditTarget::Campaign(id) => {
                (t!("admin-audit-target-campaign")) " " a href={ "/admin/ads/" (id) } { code { (id) } }
            }
            AuditTarget::Superuser(id) => { (t!("admin-audit-target-superuser")) " " code { (id) } }
            AuditTarget::ApiKey(id) => { (t!("admin-audit-target-api-key")) " " code { (id) } }
            AuditTarget::Export(id) => { (t!("admin-audit-target-export")) " " code { (id) } }
            AuditTarget::File(id) => { (t!("admin-audit-target-file")) " " code { (id) } }
            AuditTarget::ForeignTenant(id) => { (t!("admin-audit-target-foreign-tenant")) " " code { (id) } }
        }
    }
}

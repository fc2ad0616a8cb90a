//! The platform's audit log across tenants (filters and a cursor).

use crate::state::AppState;
use crate::web::admin::platform;
use crate::web::forms::{encode, given, invalid};
use crate::web::layout::{Page, alert};
use crate::web::session::{Session, admin_nav};
use crate::web::{PageError, PageResult};
use axum::Router;
use axum::extract::{Query, State};
use axum::response::IntoResponse;
use axum::routing::get;
use maud::{Markup, html};
use serde::Deserialize;
use tenantry_domain::audit::{AuditActor, AuditTarget};
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

fn audit_params(q: &AuditQuery) -> Result<AuditParams, PageError> {
    let tenant = given(&q.tenant)
        .map(|t| TenantId::parse(t).map_err(|_| invalid("The tenant id is not an identifier (a UUID v7).")))
        .transpose()?;
    let user = given(&q.user)
        .map(|u| UserId::parse(u).map_err(|_| invalid("The user id is not an identifier (a UUID v7).")))
        .transpose()?;
    let before = given(&q.before)
        .map(|b| {
            AuditEventId::parse(b).map_err(|_| invalid("The page cursor is not valid; start from the first page."))
        })
        .transpose()?;
    let limit =
        given(&q.limit).map(|l| l.parse::<u32>().map_err(|_| invalid("The page size is not a number."))).transpose()?;
    let action = given(&q.action).map(str::to_owned);
    Ok(AuditParams { tenant, filter: AuditFilter { before, limit, action, user } })
}

/// `GET /admin/audit`: every tenant's and the platform's events, newest first.
pub(crate) async fn audit(State(state): State<AppState>, session: Session, Query(q): Query<AuditQuery>) -> PageResult {
    let who = platform(&state, &session).await?;
    let read = match audit_params(&q) {
        Ok(p) => {
            state.tenantry.platform_audit(&who, p.tenant, p.filter, given(&q.reason)).await.map_err(PageError::from)
        }
        Err(e) => Err(e),
    };
    match read {
        Ok(page) => Ok(audit_page(&session, &q, Some(&page), None).into_response()),
        Err(e) => Ok((e.status(), audit_page(&session, &q, None, Some(e.detail()))).into_response()),
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
        h1 { "Audit log" }
        p.hint {
            "Every tenant's events and the platform's own, newest first. Reading every tenant's log is itself "
            "recorded in the platform log, with the reason given; a tenant id reads that tenant's log only."
        }
        form.filters #audit-filters method="get" action="/admin/audit" role="search" {
            label for="filter-tenant" { "Tenant id" }
            input #filter-tenant name="tenant" type="text" value=(value(&q.tenant)) size="38";
            label for="filter-action" { "Action" }
            input #filter-action name="action" type="text" list="audit-actions" value=(value(&q.action));
            datalist #audit-actions {
                @for a in AuditAction::ALL { option value=(a.as_str()) {} }
            }
            label for="filter-user" { "User id" }
            input #filter-user name="user" type="text" value=(value(&q.user)) size="38";
            label for="filter-reason" { "Reason (recorded)" }
            input #filter-reason name="reason" type="text" maxlength="200" value=(value(&q.reason))
                placeholder="the platform audit log viewed";
            label for="filter-limit" { "Per page" }
            select #filter-limit name="limit" {
                @for n in ["50", "100", "200"] {
                    option value=(n) selected[given(&q.limit) == Some(n)] { (n) }
                }
            }
            button type="submit" { "Filter" }
            a href="/admin/audit" { "Clear" }
        }
        (alert(error))
        @if let Some(page) = page {
            table #audit-events {
                thead { tr {
                    th scope="col" { "When (UTC)" } th scope="col" { "Tenant" } th scope="col" { "Who" }
                    th scope="col" { "Action" } th scope="col" { "Target" } th scope="col" { "Outcome" }
                    th scope="col" { "Details" }
                } }
                tbody {
                    @for e in &page.events { (event_row(e)) }
                }
            }
            @if page.events.is_empty() { p #no-events { "No event matches." } }
            @if let Some(link) = &next {
                p { a #next-page href=(link) rel="next" { "Next page (older events)" } }
            }
        }
    };
    Page::new("Audit log", admin_nav(session), body)
}

fn event_row(e: &AuditEvent) -> Markup {
    html! {
        tr {
            td { time datetime=(e.at.to_rfc3339()) { (e.at.format("%Y-%m-%d %H:%M:%S")) } }
            td {
                @if let Some(t) = e.tenant_id { a href={ "/admin/tenants/" (t) } { code { (t) } } }
                @else { "platform" }
            }
            td { (actor(&e.actor)) }
            td { code { (e.action.as_str()) } }
            td { @if let Some(t) = &e.target { (target(t)) } @else { "–" } }
            td { (snake(&e.outcome)) }
            td {
                @for (k, v) in &e.details { span.detail { (k) ": " (v) } " " }
            }
        }
    }
}

/// The serde name of a unit enum (`success`, `scheduler`).
fn snake<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_value(value).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
}

fn actor(a: &AuditActor) -> String {
    match a {
        AuditActor::User(u) => format!("user {u}"),
        AuditActor::Superuser(p) => format!("platform administrator {p}"),
        AuditActor::ApiKey(k) => format!("API key {k}"),
        AuditActor::Impersonation { superuser, user } => format!("platform administrator {superuser} as user {user}"),
        AuditActor::System(s) => format!("system ({})", snake(s)),
        AuditActor::Anonymous => "anonymous".to_owned(),
    }
}

fn target(t: &AuditTarget) -> Markup {
    html! {
        @match t {
            AuditTarget::Tenant(id) => { "tenant " a href={ "/admin/tenants/" (id) } { code { (id) } } }
            AuditTarget::User(id) => { "user " code { (id) } }
            AuditTarget::Invitation(id) => { "invitation " code { (id) } }
            AuditTarget::Role(id) => { "role " code { (id) } }
            AuditTarget::Subscription => { "subscription" }
            AuditTarget::Campaign(id) => { "campaign " a href={ "/admin/ads/" (id) } { code { (id) } } }
            AuditTarget::Superuser(id) => { "platform administrator " code { (id) } }
            AuditTarget::ApiKey(id) => { "API key " code { (id) } }
            AuditTarget::Export(id) => { "export " code { (id) } }
            AuditTarget::ForeignTenant(id) => { "another tenant " code { (id) } }
        }
    }
}

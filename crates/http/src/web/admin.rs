//! The superuser's control plane (`/admin`): the tenants with search and status
//! filter, creating a tenant, one tenant's detail with suspend and resume, and
//! the platform statistics with charts drawn from the daily snapshots. Only the
//! platform administrator reaches it: everyone else gets 404.

use super::charts::{Series, line_chart};
use super::layout::{Page, alert, day, money, status};
use super::session::{Session, WebForm, admin_nav, field};
use super::{PageError, PageResult};
use crate::state::AppState;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use maud::{Markup, html};
use secrecy::SecretString;
use serde::Deserialize;
use tenantry_domain::{Interval, Money, SubscriptionStatus, TenantId};
use tenantry_ports::PlatformScope;
use tenantry_ports::directory::{TenantListQuery, TenantSummary};
use tenantry_ports::services::admin::{AdminNewTenant, AdminTenantPatch};

async fn platform(state: &AppState, session: &Session) -> Result<PlatformScope, PageError> {
    // A tenant user is told there is nothing here, as for any unknown page.
    state.tenantry.authorize_platform(&session.principal).await.map_err(|_| PageError::not_found())
}

#[derive(Deserialize, Default)]
pub(crate) struct ListQuery {
    q: Option<String>,
    status: Option<String>,
}

/// Monthly recurring revenue of one tenant: a yearly price counts a twelfth
/// (rounded down to the cent, as the platform figures do).
fn mrr(t: &TenantSummary, currency: tenantry_domain::Currency) -> Option<Money> {
    let cents = t.recurring_cents?;
    let monthly = match t.interval {
        Some(Interval::Year) => cents.div_euclid(12),
        _ => cents,
    };
    Some(Money::from_cents(monthly, currency))
}

/// `GET /admin`: the tenants.
pub(crate) async fn tenants(State(state): State<AppState>, session: Session, Query(q): Query<ListQuery>) -> PageResult {
    let who = platform(&state, &session).await?;
    Ok(tenants_page(&state, &session, &who, &q, None).await?.into_response())
}

async fn tenants_page(
    state: &AppState,
    session: &Session,
    who: &PlatformScope,
    q: &ListQuery,
    error: Option<&str>,
) -> Result<Page, PageError> {
    let search = q.q.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned);
    let filter = q.status.as_deref().and_then(SubscriptionStatus::parse);
    let query = TenantListQuery { search: search.clone(), status: filter, offset: 0, limit: 200 };
    let list = state.tenantry.admin_list_tenants(who, query).await?;
    let currency = state.tenantry.catalog().currency;
    let body = html! {
        h1 { "Tenants" }
        form.filters method="get" action="/admin" role="search" {
            label for="q" { "Search" }
            input #q name="q" type="search" value=(search.as_deref().unwrap_or(""));
            label for="status-filter" { "Status" }
            select #status-filter name="status" {
                option value="" { "any" }
                @for s in SubscriptionStatus::ALL {
                    option value=(s.as_str()) selected[filter == Some(s)] { (s.as_str().replace('_', " ")) }
                }
            }
            button type="submit" { "Filter" }
        }
        table #tenants {
            thead { tr {
                th scope="col" { "Tenant" } th scope="col" { "Status" } th scope="col" { "Plan" }
                th.num scope="col" { "Seats" } th.num scope="col" { "Active users" } th.num scope="col" { "MRR" }
                th scope="col" { "Since" }
            } }
            tbody {
                @for t in &list {
                    tr {
                        td { a href={ "/admin/tenants/" (t.id) } { (t.name) } br; span.hint { (t.slug) } }
                        td { (status(t.status)) }
                        td { (t.plan.as_str()) }
                        td.num { @if let Some(s) = t.seats { (s) } @else { "–" } }
                        td.num { (t.active_users) }
                        td.num { @if let Some(m) = mrr(t, currency) { (money(m)) } @else { "–" } }
                        td { (day(t.created_at)) }
                    }
                }
            }
        }
        @if list.is_empty() { p { "No tenant matches." } }
        section.card aria-labelledby="new-h" {
            h2 #new-h { "Create a tenant" }
            (alert(error))
            form method="post" action="/admin/tenants" {
                (field(session))
                label for="company_name" { "Company name" }
                input #company_name name="company_name" type="text" required;
                label for="slug" { "Short name (in addresses)" }
                input #slug name="slug" type="text" required pattern="[a-z0-9][a-z0-9-]*";
                label for="admin_name" { "Administrator's name" }
                input #admin_name name="admin_name" type="text" required;
                label for="admin_email" { "Administrator's e-mail" }
                input #admin_email name="admin_email" type="email" required;
                label for="admin_password" { "Administrator's first password" }
                input #admin_password name="admin_password" type="password" required autocomplete="new-password";
                button #create-tenant type="submit" { "Create tenant" }
            }
        }
    };
    Ok(Page::new("Tenants", admin_nav(session), body))
}

#[derive(Deserialize)]
pub(crate) struct NewTenantForm {
    csrf: String,
    company_name: String,
    slug: String,
    admin_name: String,
    admin_email: String,
    admin_password: SecretString,
}

/// `POST /admin/tenants`.
pub(crate) async fn create_tenant(
    State(state): State<AppState>,
    session: Session,
    WebForm(form): WebForm<NewTenantForm>,
) -> PageResult {
    let who = platform(&state, &session).await?;
    session.check(&form.csrf)?;
    let input = AdminNewTenant {
        company_name: form.company_name,
        slug: form.slug,
        admin_email: form.admin_email,
        admin_name: form.admin_name,
        admin_password: form.admin_password,
    };
    match state.tenantry.admin_create_tenant(&who, input).await {
        Ok(done) => Ok(Redirect::to(&format!("/admin/tenants/{}", done.tenant.id)).into_response()),
        Err(e) => {
            let e = PageError::from(e);
            let page = tenants_page(&state, &session, &who, &ListQuery::default(), Some(e.detail())).await?;
            Ok((e.status(), page).into_response())
        }
    }
}

fn tenant_id(text: &str) -> Result<TenantId, PageError> {
    TenantId::parse(text).map_err(|_| PageError::not_found())
}

/// `GET /admin/tenants/{tid}`: one tenant (audited in its log, as over the API).
pub(crate) async fn tenant(State(state): State<AppState>, session: Session, Path(tid): Path<String>) -> PageResult {
    platform(&state, &session).await?;
    let scope = state.tenantry.authorize(&session.principal, tenant_id(&tid)?).await?;
    let d = state.tenantry.admin_tenant_detail(&scope).await?;
    let sub = &d.subscription;
    let suspended = sub.status == SubscriptionStatus::Suspended;
    let body = html! {
        h1 { (d.tenant.name) " " (status(sub.status)) }
        p.hint { "Short name " code { (d.tenant.slug) } " · since " (day(d.tenant.created_at)) }
        section.card aria-labelledby="sub-h" {
            h2 #sub-h { "Subscription" }
            dl.facts {
                dt { "Plan" } dd { (sub.plan.as_str()) @if let Some(i) = sub.interval { ", " (i.as_str()) } }
                dt { "Seats" } dd { (sub.seats_used) " used" @if let Some(s) = sub.seats { " of " (s) } }
                @if let Some(p) = sub.price { dt { "Price" } dd { (money(p)) } }
                @if let Some(n) = &sub.next_invoice { dt { "Next invoice" } dd { (money(n.amount)) " on " (day(n.at)) } }
                @if let Some(left) = sub.trial_days_left { dt { "Trial" } dd { (left) " days left" } }
                @if let Some(at) = sub.purge_at { dt { "Purge" } dd { (day(at)) } }
            }
            form method="post" action={ "/admin/tenants/" (d.tenant.id) "/status" } {
                (field(&session))
                @if suspended {
                    input type="hidden" name="suspended" value="false";
                    button #resume type="submit" { "Resume the tenant" }
                } @else {
                    input type="hidden" name="suspended" value="true";
                    button.danger #suspend type="submit" { "Suspend the tenant" }
                }
            }
        }
        section.card aria-labelledby="users-h" {
            h2 #users-h { "Users (" (d.users.len()) ")" }
            table {
                thead { tr { th scope="col" { "Name" } th scope="col" { "E-mail" } th scope="col" { "Role" } th scope="col" { "Status" } th scope="col" { "Last login" } } }
                tbody {
                    @for u in &d.users {
                        tr {
                            td { (u.name) } td { (u.email) } td { (u.role) } td { (u.status) }
                            td { @if let Some(at) = u.last_login_at { (day(at)) } @else { "never" } }
                        }
                    }
                }
            }
        }
    };
    Ok(Page::new(&d.tenant.name, admin_nav(&session), body).into_response())
}

#[derive(Deserialize)]
pub(crate) struct StatusForm {
    csrf: String,
    suspended: String,
}

/// `POST /admin/tenants/{tid}/status`: suspend or resume (audited).
pub(crate) async fn set_status(
    State(state): State<AppState>,
    session: Session,
    Path(tid): Path<String>,
    WebForm(form): WebForm<StatusForm>,
) -> PageResult {
    platform(&state, &session).await?;
    session.check(&form.csrf)?;
    let suspended = match form.suspended.as_str() {
        "true" => true,
        "false" => false,
        _ => return Err(PageError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_form", "Suspend or resume?")),
    };
    let tid = tenant_id(&tid)?;
    let scope = state.tenantry.authorize(&session.principal, tid).await?;
    let patch = AdminTenantPatch { suspended: Some(suspended), ..AdminTenantPatch::default() };
    state.tenantry.admin_update_tenant(&scope, patch).await?;
    Ok(Redirect::to(&format!("/admin/tenants/{tid}")).into_response())
}

/// `GET /admin/stats`: the platform now, and its history from the daily snapshots.
pub(crate) async fn stats(State(state): State<AppState>, session: Session) -> PageResult {
    let who = platform(&state, &session).await?;
    let stats = state.tenantry.platform_stats(&who).await?;
    let days: Vec<String> = stats.history.iter().map(|d| d.day.format("%m-%d").to_string()).collect();
    let by_status: Vec<Series> = SubscriptionStatus::ALL
        .into_iter()
        .filter(|s| stats.history.iter().any(|d| d.totals.tenants_by_status.get(s).copied().unwrap_or(0) > 0))
        .map(|s| Series {
            name: s.as_str().replace('_', " "),
            values: stats
                .history
                .iter()
                .map(|d| d.totals.tenants_by_status.get(&s).copied().unwrap_or(0) as f64)
                .collect(),
        })
        .collect();
    let single = |name: &str, f: &dyn Fn(&tenantry_ports::services::admin::PlatformTotals) -> f64| {
        vec![Series { name: name.to_owned(), values: stats.history.iter().map(|d| f(&d.totals)).collect() }]
    };
    let mrr = single("MRR (€)", &|t| t.mrr.cents() as f64 / 100.0);
    let users = single("active users", &|t| t.active_users as f64);
    let logins = single("logins this month", &|t| t.logins_this_month as f64);
    let now = &stats.now;
    let body = html! {
        h1 { "Platform statistics" }
        dl.facts.summary {
            dt { "Tenants" } dd #stat-tenants { (now.tenants) }
            dt { "Active users" } dd { (now.active_users) }
            dt { "MRR" } dd { (money(now.mrr)) }
            dt { "Logins this month" } dd { (now.logins_this_month) }
        }
        @if stats.history.is_empty() {
            p { "The first daily snapshot is taken by the scheduler; charts appear from then on." }
        } @else {
            (chart("Tenants by status", &days, &by_status))
            (chart("Monthly recurring revenue", &days, &mrr))
            (chart("Active users", &days, &users))
            (chart("Logins per month", &days, &logins))
        }
    };
    Ok(Page::new("Statistics", admin_nav(&session), body).into_response())
}

fn chart(title: &str, days: &[String], series: &[Series]) -> Markup {
    html! {
        figure.chart {
            figcaption { (title) }
            (line_chart(title, days, series))
        }
    }
}

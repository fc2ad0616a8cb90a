//! The tenants with search and status filter, creating a tenant, one tenant's detail with its overrides, suspend and resume, deletion, impersonation and second-factor resets.

use crate::state::AppState;
use crate::web::admin::platform;
use crate::web::forms::{id_of, invalid};
use crate::web::layout::{Page, alert, day, money, status};
use crate::web::session::{CsrfForm, Session, WebForm, admin_nav, field};
use crate::web::{PageError, PageResult};
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use maud::html;
use secrecy::SecretString;
use serde::Deserialize;
use tenantry_domain::{Money, SubscriptionStatus, TenantId};
use tenantry_ports::PlatformScope;
use tenantry_ports::directory::{TenantListQuery, TenantSummary};
use tenantry_ports::services::admin::{AdminNewTenant, AdminTenantPatch};

/// Its pages.
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/tenants/{tid}/users/{uid}/impersonate", post(impersonate))
        .route("/admin/tenants/{tid}/users/{uid}/mfa-reset", post(reset_mfa))
        .route("/admin/tenants/{tid}/override", post(override_tenant))
        .route("/admin/tenants/{tid}/delete", post(delete_tenant))
        .route("/admin", get(tenants))
        .route("/admin/tenants", post(create_tenant))
        .route("/admin/tenants/{tid}", get(tenant))
        .route("/admin/tenants/{tid}/status", post(set_status))
        .route("/admin/tenants/{tid}/collection", post(set_collection))
        .route("/admin/tenants/{tid}/comp", post(comp))
}

#[derive(Deserialize, Default)]
pub(crate) struct ListQuery {
    q: Option<String>,
    status: Option<String>,
}

/// Monthly recurring revenue of one tenant, as the domain computes it (pages compute no money).
fn mrr(t: &TenantSummary, currency: tenantry_domain::Currency) -> Option<Money> {
    t.mrr_cents().map(|cents| Money::from_cents(cents, currency))
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

/// `GET /admin/tenants/{tid}`: one tenant (audited in its log, as over the API).
pub(crate) async fn tenant(State(state): State<AppState>, session: Session, Path(tid): Path<String>) -> PageResult {
    platform(&state, &session).await?;
    Ok(detail_page(&state, &session, id_of::<TenantId>(&tid)?, None).await?.into_response())
}

async fn detail_page(
    state: &AppState,
    session: &Session,
    tid: TenantId,
    error: Option<&str>,
) -> Result<Page, PageError> {
    let scope = state.tenantry.authorize(&session.principal, tid).await?;
    let d = state.tenantry.admin_tenant_detail(&scope).await?;
    let usage = state.tenantry.usage(&scope).await.ok();
    let q = d.quota_override;
    let opt = |v: Option<u64>| v.map(|v| v.to_string()).unwrap_or_default();
    let sub = &d.subscription;
    let suspended = sub.status == SubscriptionStatus::Suspended;
    let body = html! {
        h1 { (d.tenant.name) " " (status(sub.status)) }
        p.hint { "Short name " code { (d.tenant.slug) } " · since " (day(d.tenant.created_at)) }
        (alert(error))
        section.card aria-labelledby="sub-h" {
            h2 #sub-h { "Subscription" }
            dl.facts {
                dt { "Plan" } dd { (sub.plan.as_str()) @if let Some(i) = sub.interval { ", " (i.as_str()) } }
                dt { "Seats" } dd { (sub.seats_used) " used" @if let Some(s) = sub.seats { " of " (s) } }
                @if let Some(p) = sub.price { dt { "Price" } dd { (money(p)) } }
                @if let Some(m) = sub.mrr() { dt { "MRR" } dd { (money(m)) } }
                @if let Some(n) = &sub.next_invoice { dt { "Next invoice" } dd { (money(n.amount)) " on " (day(n.at)) } }
                @if let Some(left) = sub.trial_days_left { dt { "Trial" } dd { (left) " days left" } }
                @if let Some(at) = sub.purge_at { dt { "Purge" } dd { (day(at)) } }
                @if sub.collection_paused { dt { "Payments" } dd #collection-paused { "paused: invoices are voided" } }
                @if let Some(until) = sub.free_until { dt { "Free" } dd #free-until { "until " (day(until)) } }
            }
            @if sub.price.is_some() {
                form.inline method="post" action={ "/admin/tenants/" (d.tenant.id) "/collection" } {
                    (field(session))
                    @if sub.collection_paused {
                        input type="hidden" name="paused" value="false";
                        button #resume-payments type="submit" { "Resume payments" }
                    } @else {
                        input type="hidden" name="paused" value="true";
                        button #pause-payments type="submit" { "Pause payments" }
                    }
                }
                form.inline method="post" action={ "/admin/tenants/" (d.tenant.id) "/comp" } {
                    (field(session))
                    label for="comp-months" { "Free for (months, 1 to 36) " }
                    input #comp-months name="months" type="number" min="1" max="36" required value="1";
                    button #comp type="submit" { "Give the plan free" }
                }
            }
            form method="post" action={ "/admin/tenants/" (d.tenant.id) "/status" } {
                (field(session))
                @if suspended {
                    input type="hidden" name="suspended" value="false";
                    button #resume type="submit" { "Resume the tenant" }
                } @else {
                    input type="hidden" name="suspended" value="true";
                    button.danger #suspend type="submit" { "Suspend the tenant" }
                }
            }
        }
        @if let Some(u) = &usage {
            section.card aria-labelledby="usage-h" {
                h2 #usage-h { "Usage this month" }
                dl.facts #usage {
                    dt { "API calls" } dd #api-calls { (u.api_calls) " of " (u.api_calls_per_month) " this month" }
                    dt { "Page views" } dd #page-views { (u.page_views) }
                    dt { "Logins" } dd { (u.logins) }
                    dt { "Storage" } dd { (u.storage_bytes) " of " (u.storage_limit_bytes) " bytes" }
                    dt { "Requests per minute" } dd { (u.requests_per_minute) }
                    dt { "Active users" } dd { (u.active_users) " (+ " (u.pending_invitations) " invited)" }
                }
            }
        }
        section.card aria-labelledby="override-h" {
            h2 #override-h { "Plan and limits override" }
            form method="post" action={ "/admin/tenants/" (d.tenant.id) "/override" } {
                (field(session))
                label for="rpm" { "Requests per minute " span.hint { "(empty: the plan's)" } }
                input #rpm name="requests_per_minute" type="number" min="1" value=(opt(q.requests_per_minute.map(u64::from)));
                label for="calls" { "API calls per month " span.hint { "(empty: the plan's)" } }
                input #calls name="api_calls_per_month" type="number" min="0" value=(opt(q.api_calls_per_month));
                label for="storage" { "Storage bytes " span.hint { "(empty: the plan's)" } }
                input #storage name="storage_bytes" type="number" min="0" value=(opt(q.storage_bytes));
                label for="users-cap" { "Active users at most " span.hint { "(empty: the licensed seats)" } }
                input #users-cap name="active_users" type="number" min="1" value=(opt(q.active_users.map(u64::from)));
                @if let Some(end) = sub.trial_ends_at {
                    label for="trial-end" { "Trial ends on" }
                    input #trial-end name="trial_ends_at" type="date" value=(end.format("%Y-%m-%d"));
                }
                label { input name="force_freemium" type="checkbox" value="true"; " Put the tenant on freemium now" }
                button #save-override type="submit" { "Save" }
            }
        }
        section.card aria-labelledby="users-h" {
            h2 #users-h { "Users (" (d.users.len()) ")" }
            table {
                thead { tr {
                    th scope="col" { "Name" } th scope="col" { "E-mail" } th scope="col" { "Role" } th scope="col" { "Status" }
                    th scope="col" { "Last login" } th scope="col" { span.hint { "Support" } }
                } }
                tbody {
                    @for u in &d.users {
                        tr {
                            td { (u.name) } td { (u.email) } td { (u.role) } td { (u.status) }
                            td { @if let Some(at) = u.last_login_at { (day(at)) } @else { "never" } }
                            td {
                                @if u.status == "active" {
                                    form.inline method="post" action={ "/admin/tenants/" (d.tenant.id) "/users/" (u.id) "/impersonate" } {
                                        (field(session))
                                        button.link type="submit" { "Act as " span.hint { (u.email) } " for 30 minutes" }
                                    }
                                }
                                @if u.mfa_enabled {
                                    form.inline method="post" action={ "/admin/tenants/" (d.tenant.id) "/users/" (u.id) "/mfa-reset" } {
                                        (field(session))
                                        button.link type="submit" aria-label={ "Remove the two-factor authentication of " (u.email) } {
                                            "Remove two-factor"
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        @if sub.status != SubscriptionStatus::PendingDeletion {
            section.card aria-labelledby="delete-h" {
                h2 #delete-h { "Delete" }
                p { "The tenant's data is purged after the retention period; its owner can cancel until then." }
                form method="post" action={ "/admin/tenants/" (d.tenant.id) "/delete" } {
                    (field(session))
                    button.danger #delete-tenant type="submit" { "Delete the tenant" }
                }
            }
        }
    };
    Ok(Page::new(&d.tenant.name, admin_nav(session), body))
}

#[derive(Deserialize)]
pub(crate) struct OverrideForm {
    csrf: String,
    #[serde(default)]
    requests_per_minute: String,
    #[serde(default)]
    api_calls_per_month: String,
    #[serde(default)]
    storage_bytes: String,
    #[serde(default)]
    active_users: String,
    trial_ends_at: Option<String>,
    force_freemium: Option<String>,
}

fn optional<T: std::str::FromStr>(text: &str, what: &str) -> Result<Option<T>, String> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    text.parse().map(Some).map_err(|_| format!("{what} must be a whole number (or empty)."))
}

/// `POST /admin/tenants/{tid}/override`: limits, trial end, freemium now (audited).
pub(crate) async fn override_tenant(
    State(state): State<AppState>,
    session: Session,
    Path(tid): Path<String>,
    WebForm(form): WebForm<OverrideForm>,
) -> PageResult {
    platform(&state, &session).await?;
    session.check(&form.csrf)?;
    let tid = id_of::<TenantId>(&tid)?;
    let parsed = (|| {
        let quota = tenantry_domain::quota::QuotaOverride {
            requests_per_minute: optional(&form.requests_per_minute, "Requests per minute")?,
            api_calls_per_month: optional(&form.api_calls_per_month, "API calls per month")?,
            storage_bytes: optional(&form.storage_bytes, "Storage bytes")?,
            active_users: optional(&form.active_users, "Active users")?,
        };
        let trial_ends_at = match form.trial_ends_at.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
            Some(d) => Some(
                chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d")
                    .map_err(|_| "The trial's end must be a date.".to_owned())?
                    .and_time(chrono::NaiveTime::MIN)
                    .and_utc(),
            ),
            None => None,
        };
        Ok::<_, String>((quota, trial_ends_at))
    })();
    let (quota, trial_ends_at) = match parsed {
        Ok(p) => p,
        Err(message) => {
            let page = detail_page(&state, &session, tid, Some(&message)).await?;
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
    };
    let scope = state.tenantry.authorize(&session.principal, tid).await?;
    let current = state.tenantry.subscription_view(&scope).await?;
    let patch = AdminTenantPatch {
        suspended: None,
        quota_override: Some(quota),
        // Only a moved date is a change (the form shows the current one).
        trial_ends_at: trial_ends_at.filter(|t| current.trial_ends_at.map(|c| c.date_naive()) != Some(t.date_naive())),
        force_freemium: form.force_freemium.as_deref() == Some("true"),
        ..AdminTenantPatch::default()
    };
    if let Err(e) = state.tenantry.admin_update_tenant(&scope, patch).await {
        let e = PageError::from(e);
        let page = detail_page(&state, &session, tid, Some(e.detail())).await?;
        return Ok((e.status(), page).into_response());
    }
    // The new limits take effect at this instance's next request (others within their cache's 30 s).
    state.limits.forget(tid);
    Ok(Redirect::to(&format!("/admin/tenants/{tid}")).into_response())
}

/// `POST /admin/tenants/{tid}/delete`: the deletion request (purged after the retention period).
pub(crate) async fn delete_tenant(
    State(state): State<AppState>,
    session: Session,
    Path(tid): Path<String>,
    WebForm(form): WebForm<CsrfForm>,
) -> PageResult {
    platform(&state, &session).await?;
    session.check(&form.csrf)?;
    let tid = id_of::<TenantId>(&tid)?;
    let scope = state.tenantry.authorize(&session.principal, tid).await?;
    state.tenantry.admin_delete_tenant(&scope).await?;
    Ok(Redirect::to(&format!("/admin/tenants/{tid}")).into_response())
}

/// A superuser's form posted about one user of one tenant: the platform
/// session, its CSRF token, the ids (malformed: 404) and the tenant's scope.
async fn user_form(
    state: &AppState,
    session: &Session,
    (tid, uid): (&str, &str),
    form: &CsrfForm,
) -> Result<(tenantry_ports::TenantScope, tenantry_domain::UserId), PageError> {
    platform(state, session).await?;
    session.check(&form.csrf)?;
    let tid = id_of::<TenantId>(tid)?;
    let uid = tenantry_domain::UserId::parse(uid).map_err(|_| PageError::not_found())?;
    Ok((state.tenantry.authorize(&session.principal, tid).await?, uid))
}

/// `POST /admin/tenants/{tid}/users/{uid}/impersonate`: a support session as
/// that user (30 minutes; audited in the tenant's log; billing and security
/// settings stay closed), in a cookie of its own beside the superuser's.
pub(crate) async fn impersonate(
    State(state): State<AppState>,
    session: Session,
    Path((tid, uid)): Path<(String, String)>,
    WebForm(form): WebForm<CsrfForm>,
) -> PageResult {
    let (scope, uid) = user_form(&state, &session, (&tid, &uid), &form).await?;
    let started = state.tenantry.impersonate(&scope, uid, None).await?;
    let token = crate::auth::issue_impersonation(&state.keys, state.clock.as_ref(), &started.principal, started.until)?;
    let seconds = (started.until - state.clock.now()).num_seconds();
    let mut response = Redirect::to("/").into_response();
    response
        .headers_mut()
        .insert(axum::http::header::SET_COOKIE, crate::web::session::impersonation_cookie(&token, seconds)?);
    Ok(response)
}

/// `POST /admin/tenants/{tid}/users/{uid}/mfa-reset`: the superuser removes a
/// user's second factor (lost device and codes; identity checked out of band).
/// Audited; the user's sessions end.
pub(crate) async fn reset_mfa(
    State(state): State<AppState>,
    session: Session,
    Path((tid, uid)): Path<(String, String)>,
    WebForm(form): WebForm<CsrfForm>,
) -> PageResult {
    let (scope, uid) = user_form(&state, &session, (&tid, &uid), &form).await?;
    state.tenantry.reset_user_mfa(&scope, uid).await?;
    Ok(Redirect::to(&format!("/admin/tenants/{}", scope.tenant_id())).into_response())
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
    let tid = id_of::<TenantId>(&tid)?;
    let scope = state.tenantry.authorize(&session.principal, tid).await?;
    let patch = AdminTenantPatch { suspended: Some(suspended), ..AdminTenantPatch::default() };
    state.tenantry.admin_update_tenant(&scope, patch).await?;
    state.limits.forget(scope.tenant_id());
    Ok(Redirect::to(&format!("/admin/tenants/{tid}")).into_response())
}

#[derive(Deserialize)]
pub(crate) struct CollectionForm {
    csrf: String,
    paused: String,
}

#[derive(Deserialize)]
pub(crate) struct CompForm {
    csrf: String,
    months: String,
}

/// Applies `patch` to the tenant `tid` for the superuser, then back to its
/// page; a refusal shows the page again with it (nothing changed).
async fn apply_patch(state: &AppState, session: &Session, tid: &str, patch: AdminTenantPatch) -> PageResult {
    platform(state, session).await?;
    let tid = id_of::<TenantId>(tid)?;
    let scope = state.tenantry.authorize(&session.principal, tid).await?;
    if let Err(e) = state.tenantry.admin_update_tenant(&scope, patch).await {
        let e = PageError::from(e);
        let page = detail_page(state, session, tid, Some(e.detail())).await?;
        return Ok((e.status(), page).into_response());
    }
    Ok(Redirect::to(&format!("/admin/tenants/{tid}")).into_response())
}

/// `POST /admin/tenants/{tid}/collection`: pause or resume collecting the
/// paid plan's invoices, without suspending (audited).
pub(crate) async fn set_collection(
    State(state): State<AppState>,
    session: Session,
    Path(tid): Path<String>,
    WebForm(form): WebForm<CollectionForm>,
) -> PageResult {
    session.check(&form.csrf)?;
    let paused = match form.paused.as_str() {
        "true" => true,
        "false" => false,
        _ => return Err(invalid("Pause or resume?")),
    };
    let patch = AdminTenantPatch { collection_paused: Some(paused), ..AdminTenantPatch::default() };
    apply_patch(&state, &session, &tid, patch).await
}

/// `POST /admin/tenants/{tid}/comp`: the paid plan free for some months (audited).
pub(crate) async fn comp(
    State(state): State<AppState>,
    session: Session,
    Path(tid): Path<String>,
    WebForm(form): WebForm<CompForm>,
) -> PageResult {
    session.check(&form.csrf)?;
    let months = form.months.trim().parse::<u32>().map_err(|_| invalid("The months are a number from 1 to 36."))?;
    let patch = AdminTenantPatch { comp_months: Some(months), ..AdminTenantPatch::default() };
    apply_patch(&state, &session, &tid, patch).await
}

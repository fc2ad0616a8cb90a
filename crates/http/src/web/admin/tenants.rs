//! The tenants with search and status filter, creating a tenant, one tenant's detail with its overrides, suspend and resume, deletion, impersonation and second-factor resets.

use crate::l10n::t;
use crate::state::AppState;
use crate::web::admin::{plan_name, platform, status_name};
use crate::web::forms::id_of;
use crate::web::layout::{Page, alert, day, money, status};
use crate::web::session::{CsrfForm, Session, WebForm, admin_nav, field};
use crate::web::{PageError, PageResult};
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use maud::{Markup, html};
use secrecy::SecretString;
use serde::Deserialize;
use tenantry_domain::rbac::{BuiltinRole, RoleRef};
use tenantry_domain::{Interval, Money, SubscriptionStatus, TenantId};
use tenantry_ports::PlatformScope;
use tenantry_ports::directory::{TenantListQuery, TenantSummary};
use tenantry_ports::services::admin::{AdminNewTenant, AdminTenantPatch, TenantDetail};
use tenantry_ports::services::usage::UsageView;

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
        h1 { (t!("admin-tenants-title")) }
        form.filters method="get" action="/admin" role="search" {
            label for="q" { (t!("admin-tenants-search")) }
            input #q name="q" type="search" value=(search.as_deref().unwrap_or(""));
            label for="status-filter" { (t!("admin-label-status")) }
            select #status-filter name="status" {
                option value="" { (t!("admin-tenants-status-any")) }
                @for s in SubscriptionStatus::ALL {
                    option value=(s.as_str()) selected[filter == Some(s)] { (status_name(s)) }
                }
            }
            button type="submit" { (t!("admin-filter")) }
        }
        table #tenants {
            thead { tr {
                th scope="col" { (t!("admin-label-tenant")) } th scope="col" { (t!("admin-label-status")) }
                th scope="col" { (t!("admin-label-plan")) } th.num scope="col" { (t!("admin-label-seats")) }
                th.num scope="col" { (t!("admin-label-active-users")) } th.num scope="col" { (t!("admin-label-mrr")) }
                th scope="col" { (t!("admin-label-since")) }
            } }
            tbody {
                @for t in &list {
                    tr {
                        td { a href={ "/admin/tenants/" (t.id) } { (t.name) } br; span.hint { (t.slug) } }
                        td { (status(t.status)) }
                        td { (plan_name(t.plan)) }
                        td.num { @if let Some(s) = t.seats { (s) } @else { "–" } }
                        td.num { (t.active_users) }
                        td.num { @if let Some(m) = mrr(t, currency) { (money(m)) } @else { "–" } }
                        td { (day(t.created_at)) }
                    }
                }
            }
        }
        @if list.is_empty() { p { (t!("admin-tenants-none")) } }
        section.card aria-labelledby="new-h" {
            h2 #new-h { (t!("admin-tenants-new-heading")) }
            (alert(error))
            form method="post" action="/admin/tenants" {
                (field(session))
                label for="company_name" { (t!("admin-tenants-new-company")) }
                input #company_name name="company_name" type="text" required;
                label for="slug" { (t!("admin-tenants-new-slug")) }
                input #slug name="slug" type="text" required pattern="[a-z0-9][a-z0-9-]*";
                label for="admin_name" { (t!("admin-tenants-new-admin-name")) }
                input #admin_name name="admin_name" type="text" required;
                label for="admin_email" { (t!("admin-tenants-new-admin-email")) }
                input #admin_email name="admin_email" type="email" required;
                label for="admin_password" { (t!("admin-tenants-new-admin-password")) }
                input #admin_password name="admin_password" type="password" required autocomplete="new-password";
                button #create-tenant type="submit" { (t!("admin-tenants-new-submit")) }
            }
        }
    };
    Ok(Page::new(&t!("admin-tenants-title"), admin_nav(session), body))
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
            let page = tenants_page(&state, &session, &who, &ListQuery::default(), Some(e.detail().as_str())).await?;
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
    let sub = &d.subscription;
    let suspended = sub.status == SubscriptionStatus::Suspended;
    let body = html! {
        h1 { (d.tenant.name) " " (status(sub.status)) }
        p.hint {
            (t!("admin-tenant-short-name")) " " code { (d.tenant.slug) } " "
            (t!("admin-tenant-since", date = day(d.tenant.created_at)))
        }
        (alert(error))
        section.card aria-labelledby="sub-h" {
            h2 #sub-h { (t!("admin-tenant-subscription")) }
            dl.facts {
                dt { (t!("admin-label-plan")) }
                dd { (plan_name(sub.plan)) @if let Some(i) = sub.interval { ", " (interval_name(i)) } }
                dt { (t!("admin-label-seats")) }
                dd {
                    @if let Some(s) = sub.seats { (t!("admin-tenant-seats-used-of", used = sub.seats_used, seats = s)) }
                    @else { (t!("admin-tenant-seats-used", used = sub.seats_used)) }
                }
                @if let Some(p) = sub.price { dt { (t!("admin-tenant-price")) } dd { (money(p)) } }
                @if let Some(m) = sub.mrr() { dt { (t!("admin-label-mrr")) } dd { (money(m)) } }
                @if let Some(n) = &sub.next_invoice {
                    dt { (t!("admin-tenant-next-invoice")) }
                    dd { (t!("admin-tenant-next-invoice-value", amount = money(n.amount), date = day(n.at))) }
                }
                @if let Some(left) = sub.trial_days_left {
                    dt { (t!("admin-tenant-trial")) } dd { (t!("admin-tenant-trial-left", count = left)) }
                }
                @if let Some(at) = sub.purge_at { dt { (t!("admin-tenant-purge")) } dd { (day(at)) } }
                @if sub.collection_paused {
                    dt { (t!("admin-tenant-payments")) } dd #collection-paused { (t!("admin-tenant-payments-paused")) }
                }
                @if let Some(until) = sub.free_until {
                    dt { (t!("admin-tenant-free")) } dd #free-until { (t!("admin-tenant-free-until", date = day(until))) }
                }
            }
            @if sub.price.is_some() {
                form.inline method="post" action={ "/admin/tenants/" (d.tenant.id) "/collection" } {
                    (field(session))
                    @if sub.collection_paused {
                        input type="hidden" name="paused" value="false";
                        button #resume-payments type="submit" { (t!("admin-tenant-resume-payments")) }
                    } @else {
                        input type="hidden" name="paused" value="true";
                        button #pause-payments type="submit" { (t!("admin-tenant-pause-payments")) }
                    }
                }
                form.inline method="post" action={ "/admin/tenants/" (d.tenant.id) "/comp" } {
                    (field(session))
                    label for="comp-months" { (t!("admin-tenant-comp-months")) " " }
                    input #comp-months name="months" type="number" min="1" max="36" required value="1";
                    button #comp type="submit" { (t!("admin-tenant-comp")) }
                }
            }
            form method="post" action={ "/admin/tenants/" (d.tenant.id) "/status" } {
                (field(session))
                @if suspended {
                    input type="hidden" name="suspended" value="false";
                    button #resume type="submit" { (t!("admin-tenant-resume")) }
                } @else {
                    input type="hidden" name="suspended" value="true";
                    button.danger #suspend type="submit" { (t!("admin-tenant-suspend")) }
                }
            }
        }
        @if let Some(u) = &usage { (usage_card(u)) }
        (override_card(session, &d))
        section.card aria-labelledby="users-h" {
            h2 #users-h { (t!("admin-tenant-users", count = d.users.len())) }
            table {
                thead { tr {
                    th scope="col" { (t!("admin-label-name")) } th scope="col" { (t!("admin-tenant-email")) }
                    th scope="col" { (t!("admin-tenant-role")) } th scope="col" { (t!("admin-label-status")) }
                    th scope="col" { (t!("admin-tenant-last-login")) } th scope="col" { span.hint { (t!("admin-tenant-support")) } }
                } }
                tbody {
                    @for u in &d.users {
                        tr {
                            td { (u.name) } td { (u.email) } td { (role_name(&u.role)) } td { (user_status(u.status)) }
                            td { @if let Some(at) = u.last_login_at { (day(at)) } @else { (t!("admin-tenant-never")) } }
                            td {
                                @if u.status == "active" {
                                    form.inline method="post" action={ "/admin/tenants/" (d.tenant.id) "/users/" (u.id) "/impersonate" } {
                                        (field(session))
                                        button.link type="submit" {
                                            (t!("admin-tenant-act-as")) " " span.hint { (u.email) } " " (t!("admin-tenant-act-as-for"))
                                        }
                                    }
                                }
                                @if u.mfa_enabled {
                                    form.inline method="post" action={ "/admin/tenants/" (d.tenant.id) "/users/" (u.id) "/mfa-reset" } {
                                        (field(session))
                                        button.link type="submit" aria-label=(t!("admin-tenant-remove-mfa-label", email = &u.email)) {
                                            (t!("admin-tenant-remove-mfa"))
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
                h2 #delete-h { (t!("admin-tenant-delete-heading")) }
                p { (t!("admin-tenant-delete-explained")) }
                form method="post" action={ "/admin/tenants/" (d.tenant.id) "/delete" } {
                    (field(session))
                    button.danger #delete-tenant type="submit" { (t!("admin-tenant-delete")) }
                }
            }
        }
    };
    Ok(Page::new(&d.tenant.name, admin_nav(session), body))
}

/// This month's metered usage against the limits in force.
fn usage_card(u: &UsageView) -> Markup {
    html! {
        section.card aria-labelledby="usage-h" {
            h2 #usage-h { (t!("admin-tenant-usage")) }
            dl.facts #usage {
                dt { (t!("admin-tenant-api-calls")) }
                dd #api-calls { (t!("admin-tenant-api-calls-value", used = u.api_calls, limit = u.api_calls_per_month)) }
                dt { (t!("admin-tenant-page-views")) } dd #page-views { (u.page_views) }
                dt { (t!("admin-tenant-logins")) } dd { (u.logins) }
                dt { (t!("admin-tenant-storage")) }
                dd { (t!("admin-tenant-storage-value", used = u.storage_bytes, limit = u.storage_limit_bytes)) }
                dt { (t!("admin-label-requests-per-minute")) } dd { (u.requests_per_minute) }
                dt { (t!("admin-label-active-users")) }
                dd { (t!("admin-tenant-active-users-value", active = u.active_users, invited = u.pending_invitations)) }
            }
        }
    }
}

/// The form overriding the tenant's limits, trial end and plan.
fn override_card(session: &Session, d: &TenantDetail) -> Markup {
    let q = d.quota_override;
    let opt = |v: Option<u64>| v.map(|v| v.to_string()).unwrap_or_default();
    html! {
        section.card aria-labelledby="override-h" {
            h2 #override-h { (t!("admin-override-heading")) }
            form method="post" action={ "/admin/tenants/" (d.tenant.id) "/override" } {
                (field(session))
                label for="rpm" { (t!("admin-label-requests-per-minute")) " " span.hint { (t!("admin-override-empty-plan")) } }
                input #rpm name="requests_per_minute" type="number" min="1" value=(opt(q.requests_per_minute.map(u64::from)));
                label for="calls" { (t!("admin-override-api-calls")) " " span.hint { (t!("admin-override-empty-plan")) } }
                input #calls name="api_calls_per_month" type="number" min="0" value=(opt(q.api_calls_per_month));
                label for="storage" { (t!("admin-override-storage")) " " span.hint { (t!("admin-override-empty-plan")) } }
                input #storage name="storage_bytes" type="number" min="0" value=(opt(q.storage_bytes));
                label for="users-cap" { (t!("admin-override-active-users")) " " span.hint { (t!("admin-override-empty-seats")) } }
                input #users-cap name="active_users" type="number" min="1" value=(opt(q.active_users.map(u64::from)));
                @if let Some(end) = d.subscription.trial_ends_at {
                    label for="trial-end" { (t!("admin-override-trial-end")) }
                    // The form's value: an ISO date, as `input type=date` sends and expects it.
                    input #trial-end name="trial_ends_at" type="date" value=(end.date_naive().to_string());
                }
                label { input name="force_freemium" type="checkbox" value="true"; " " (t!("admin-override-freemium")) }
                button #save-override type="submit" { (t!("admin-override-save")) }
            }
        }
    }
}

/// A billing interval, for a person.
fn interval_name(i: Interval) -> String {
    match i {
        Interval::Month => t!("admin-interval-month"),
        Interval::Year => t!("admin-interval-year"),
    }
}

/// A user's role: a built-in one by its name, a custom one by its id.
fn role_name(role: &RoleRef) -> String {
    match role {
        RoleRef::Builtin(BuiltinRole::Owner) => t!("admin-role-owner"),
        RoleRef::Builtin(BuiltinRole::Admin) => t!("admin-role-admin"),
        RoleRef::Builtin(BuiltinRole::Manager) => t!("admin-role-manager"),
        RoleRef::Builtin(BuiltinRole::Member) => t!("admin-role-member"),
        RoleRef::Builtin(BuiltinRole::Viewer) => t!("admin-role-viewer"),
        RoleRef::Custom(id) => id.to_string(),
    }
}

/// A user's status (`active`, `deactivated`), for a person.
fn user_status(status: &str) -> String {
    match status {
        "active" => t!("admin-user-status-active"),
        "deactivated" => t!("admin-user-status-deactivated"),
        other => other.to_owned(),
    }
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

fn optional<T: std::str::FromStr>(text: &str, what: String) -> Result<Option<T>, String> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    text.parse().map(Some).map_err(|_| t!("admin-override-not-a-number", field = what))
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
            requests_per_minute: optional(&form.requests_per_minute, t!("admin-label-requests-per-minute"))?,
            api_calls_per_month: optional(&form.api_calls_per_month, t!("admin-override-api-calls"))?,
            storage_bytes: optional(&form.storage_bytes, t!("admin-override-storage"))?,
            active_users: optional(&form.active_users, t!("admin-label-active-users"))?,
        };
        let trial_ends_at = match form.trial_ends_at.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
            Some(d) => Some(
                chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d")
                    .map_err(|_| t!("admin-override-trial-not-a-date"))?
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
        let page = detail_page(&state, &session, tid, Some(e.detail().as_str())).await?;
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
    let tid = id_of::<TenantId>(&tid)?;
    let suspended = match form.suspended.as_str() {
        "true" => true,
        "false" => false,
        _ => return refuse(&state, &session, tid, &t!("admin-tenant-suspend-or-resume")).await,
    };
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

/// The tenant's page again with why the form was refused (nothing changed):
/// the page's own words, in the reader's language. For the superuser only.
async fn refuse(state: &AppState, session: &Session, tid: TenantId, message: &str) -> PageResult {
    platform(state, session).await?;
    let page = detail_page(state, session, tid, Some(message)).await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}

/// Applies `patch` to the tenant `tid` for the superuser, then back to its
/// page; a refusal shows the page again with it (nothing changed).
async fn apply_patch(state: &AppState, session: &Session, tid: &str, patch: AdminTenantPatch) -> PageResult {
    platform(state, session).await?;
    let tid = id_of::<TenantId>(tid)?;
    let scope = state.tenantry.authorize(&session.principal, tid).await?;
    if let Err(e) = state.tenantry.admin_update_tenant(&scope, patch).await {
        let e = PageError::from(e);
        let page = detail_page(state, session, tid, Some(e.detail().as_str())).await?;
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
        _ => return refuse(&state, &session, id_of(&tid)?, &t!("admin-tenant-pause-or-resume")).await,
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
    let Ok(months) = form.months.trim().parse::<u32>() else {
        return refuse(&state, &session, id_of(&tid)?, &t!("admin-tenant-comp-months-invalid")).await;
    };
    let patch = AdminTenantPatch { comp_months: Some(months), ..AdminTenantPatch::default() };
    apply_patch(&state, &session, &tid, patch).await
}

//! A tenant's other settings pages: its roles (read only), its API keys
//! (created with the secret shown once, revoked), its branding, its audit log
//! (filtered, a page at a time) and its GDPR exports (requested, followed,
//! downloaded). Each page calls the use case the JSON API calls and renders its
//! view; refusals are the use case's, with its status.

use super::app::{nav, page, posted, tenant};
use super::layout::{alert, day};
use super::session::{CsrfForm, Session, WebForm, field};
use super::{PageError, PageResult};
use crate::state::AppState;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect};
use chrono::{DateTime, Utc};
use maud::{Markup, html};
use secrecy::ExposeSecret;
use serde::Deserialize;
use tenantry_domain::audit::SystemActor;
use tenantry_domain::export::ExportStatus;
use tenantry_domain::{ApiKeyId, AuditActor, AuditEventId, AuditOutcome, AuditTarget, ExportId, UserId};
use tenantry_ports::TenantScope;
use tenantry_ports::services::api_keys::{ApiKeyInput, ApiKeyIssued};
use tenantry_ports::services::audit::AuditFilter;
use tenantry_ports::services::exports::ExportView;
use tenantry_ports::services::tenant::SettingsInput;
use tenantry_ports::services::views::UserView;

/// An id from the path, or 404 when it is not one (as a missing object's).
fn id_of<T, E>(parsed: Result<T, E>) -> Result<T, PageError> {
    parsed.map_err(|_| PageError::not_found())
}

/// A query value, `None` when absent or blank.
fn given(value: Option<&String>) -> Option<&str> {
    value.map(|v| v.trim()).filter(|v| !v.is_empty())
}

/// `2026-11-23 14:05 UTC`.
fn when(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// A query-string value, percent-encoded (unreserved characters kept).
fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

// ---------------------------------------------------------------- roles

/// `GET /app/{slug}/settings/roles`: every role and what it may do, the
/// form for a custom role, and deleting one.
pub(crate) async fn roles(State(state): State<AppState>, session: Session, Path(slug): Path<String>) -> PageResult {
    let (scope, name) = tenant(&state, &session, &slug).await?;
    let body = roles_body(&state, &session, &scope, &slug, None).await?;
    Ok(page(&state, &scope, "Roles", nav(&session, &slug, &name), body).await.into_response())
}

async fn roles_body(
    state: &AppState,
    session: &Session,
    scope: &TenantScope,
    slug: &str,
    error: Option<&str>,
) -> Result<Markup, PageError> {
    let roles = state.tenantry.list_roles(scope).await?;
    let gate = premium_gate(state, scope, slug, tenantry_domain::Feature::custom_roles(), "Custom roles").await?;
    // Every permission there is: the owner's role holds them all (tenantry's and the product's).
    let mut all: Vec<&String> = roles.iter().flat_map(|r| r.permissions.iter()).collect();
    all.sort();
    all.dedup();
    Ok(html! {
        h1 { "Roles" }
        p { "What each role may do. Built-in roles are the same in every workspace." }
        table #roles {
            caption { "Roles and their permissions" }
            thead {
                tr {
                    th scope="col" { "Role" }
                    th scope="col" { "Kind" }
                    th scope="col" { "Description" }
                    th scope="col" { "Permissions" }
                    th scope="col" { span.hint { "Actions" } }
                }
            }
            tbody {
                @for r in &roles {
                    tr id={ "role-" (r.role) } {
                        th scope="row" { (r.name) }
                        td { @if r.builtin { "built-in" } @else { "custom" } }
                        td { (r.description.as_deref().unwrap_or("")) }
                        td {
                            @if r.permissions.is_empty() {
                                "none"
                            } @else {
                                ul.perms {
                                    @for p in &r.permissions { li { code { (p) } } }
                                }
                            }
                        }
                        td {
                            @if let (false, Some(id)) = (r.builtin, r.id) {
                                form.inline method="post" action={ "/app/" (slug) "/settings/roles/" (id) "/delete" } {
                                    (field(session))
                                    button.link type="submit" { "Delete " span.hint { (r.name) } }
                                }
                            }
                        }
                    }
                }
            }
        }
        section.card aria-labelledby="new-role-h" {
            h2 #new-role-h { "A custom role" }
            @if let Some(gate) = &gate {
                (gate)
            } @else {
            (alert(error))
            form method="post" action={ "/app/" (slug) "/settings/roles" } {
                (field(session))
                label for="role-name" { "Name" }
                input #role-name name="name" type="text" required;
                label for="role-description" { "Description " span.hint { "(optional)" } }
                input #role-description name="description" type="text";
                fieldset {
                    legend { "Permissions" }
                    @for p in &all {
                        label.check { input type="checkbox" name={ "perm." (p) } value="on"; " " code { (p) } }
                    }
                }
                button #create-role type="submit" { "Create the role" }
            }
            }
        }
    })
}

/// `POST /app/{slug}/settings/roles`: a custom role (checkboxes `perm.<name>`).
pub(crate) async fn create_role(
    State(state): State<AppState>,
    session: Session,
    Path(slug): Path<String>,
    WebForm(form): WebForm<std::collections::HashMap<String, String>>,
) -> PageResult {
    session.check(form.get("csrf").map(String::as_str).unwrap_or_default())?;
    let (scope, name) = tenant(&state, &session, &slug).await?;
    let mut permissions: Vec<String> = form.keys().filter_map(|k| k.strip_prefix("perm.")).map(str::to_owned).collect();
    permissions.sort();
    let input = tenantry_ports::services::roles::RoleInput {
        name: form.get("name").cloned().unwrap_or_default(),
        description: form.get("description").filter(|d| !d.trim().is_empty()).cloned(),
        permissions,
    };
    match state.tenantry.create_role(&scope, input).await {
        Ok(_) => Ok(Redirect::to(&format!("/app/{slug}/settings/roles")).into_response()),
        Err(e) => {
            let e = PageError::from(e);
            let body = roles_body(&state, &session, &scope, &slug, Some(e.detail())).await?;
            let page = page(&state, &scope, "Roles", nav(&session, &slug, &name), body).await;
            Ok((e.status(), page).into_response())
        }
    }
}

/// `POST /app/{slug}/settings/roles/{rid}/delete` (refused while someone holds it).
pub(crate) async fn delete_role(
    State(state): State<AppState>,
    session: Session,
    Path((slug, rid)): Path<(String, String)>,
    WebForm(form): WebForm<CsrfForm>,
) -> PageResult {
    let (scope, name) = posted(&state, &session, &slug, &form.csrf).await?;
    let rid = id_of(tenantry_domain::RoleId::parse(&rid))?;
    if let Err(e) = state.tenantry.delete_role(&scope, rid).await {
        let e = PageError::from(e);
        let body = roles_body(&state, &session, &scope, &slug, Some(e.detail())).await?;
        let page = page(&state, &scope, "Roles", nav(&session, &slug, &name), body).await;
        return Ok((e.status(), page).into_response());
    }
    Ok(Redirect::to(&format!("/app/{slug}/settings/roles")).into_response())
}

// ---------------------------------------------------------------- API keys

const KEY_ROLES: [(&str, &str); 4] =
    [("admin", "Admin"), ("manager", "Manager"), ("member", "Member"), ("viewer", "Viewer")];

/// What the key form shows: the values typed (after a refusal) and the refusal.
#[derive(Default)]
struct KeyFormState<'a> {
    name: &'a str,
    role: &'a str,
    error: Option<&'a str>,
}

async fn api_keys_body(
    state: &AppState,
    session: &Session,
    scope: &TenantScope,
    slug: &str,
    issued: Option<&ApiKeyIssued>,
    form: KeyFormState<'_>,
) -> Result<Markup, PageError> {
    let keys = state.tenantry.list_api_keys(scope).await?;
    let gate = premium_gate(state, scope, slug, tenantry_domain::Feature::api_keys(), "API keys").await?;
    let base = format!("/app/{slug}/settings/api-keys");
    let role = if form.role.is_empty() { "member" } else { form.role };
    Ok(html! {
        h1 { "API keys" }
        p { "An API key gives a program access to this workspace with one role. Send it as "
            code { "Authorization: Bearer <key>" } "." }
        @if let Some(issued) = issued {
            section.card #new-key role="status" aria-labelledby="new-key-h" {
                h2 #new-key-h { "Key “" (issued.key.name) "” created" }
                p.notice #new-key-note {
                    strong { "Copy it now: it is not shown again." }
                    " Only a fingerprint of it is kept; if it is lost, revoke it and create another."
                }
                label for="new-key-secret" { "The key" }
                input #new-key-secret type="text" readonly value=(issued.secret.expose_secret()) size="80"
                    autocomplete="off" spellcheck="false";
            }
        }
        section.card aria-labelledby="create-key-h" {
            h2 #create-key-h { "Create a key" }
            @if let Some(gate) = &gate {
                (gate)
            } @else {
            (alert(form.error))
            form #create-key method="post" action=(base) {
                (field(session))
                label for="key-name" { "Name" span.hint { " (what it is for)" } }
                input #key-name name="name" type="text" required value=(form.name);
                label for="key-role" { "Role" }
                select #key-role name="role" {
                    @for (value, label) in KEY_ROLES {
                        option value=(value) selected[value == role] { (label) }
                    }
                }
                button #create-key-button type="submit" { "Create key" }
            }
            }
        }
        section.card aria-labelledby="keys-h" {
            h2 #keys-h { "Keys" }
            @if keys.is_empty() {
                p #no-keys { "No keys yet." }
            } @else {
                table #api-keys {
                    thead {
                        tr {
                            th scope="col" { "Name" }
                            th scope="col" { "Role" }
                            th scope="col" { "Key id" }
                            th scope="col" { "Created" }
                            th scope="col" { "Status" }
                            th scope="col" { "Action" }
                        }
                    }
                    tbody {
                        @for k in &keys {
                            tr id={ "key-" (k.id) } {
                                th scope="row" { (k.name) }
                                td { (k.role) }
                                td { code { (k.id) } }
                                td { (day(k.created_at)) }
                                @if let Some(at) = k.revoked_at {
                                    td.key-status { span.badge.badge-revoked { "revoked" } " on " (day(at)) }
                                    td {}
                                } @else {
                                    td.key-status { span.badge.badge-active { "active" } }
                                    td {
                                        form.inline method="post" action={ (base) "/" (k.id) "/revoke" } {
                                            (field(session))
                                            button.danger type="submit" aria-label={ "Revoke the key " (k.name) } {
                                                "Revoke"
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    })
}

/// `GET /app/{slug}/settings/api-keys`: the keys (never their secrets) and the form for a new one.
pub(crate) async fn api_keys(State(state): State<AppState>, session: Session, Path(slug): Path<String>) -> PageResult {
    let (scope, name) = tenant(&state, &session, &slug).await?;
    let body = api_keys_body(&state, &session, &scope, &slug, None, KeyFormState::default()).await?;
    Ok(page(&state, &scope, "API keys", nav(&session, &slug, &name), body).await.into_response())
}

#[derive(Deserialize)]
pub(crate) struct KeyForm {
    csrf: String,
    name: String,
    role: String,
}

/// `POST /app/{slug}/settings/api-keys`: a new key, its secret shown on this
/// answer only; a refusal shows the form again with nothing created.
pub(crate) async fn create_api_key(
    State(state): State<AppState>,
    session: Session,
    Path(slug): Path<String>,
    WebForm(form): WebForm<KeyForm>,
) -> PageResult {
    let (scope, name) = posted(&state, &session, &slug, &form.csrf).await?;
    let input = ApiKeyInput { name: form.name.clone(), role: form.role.clone() };
    let (issued, refusal) = match state.tenantry.create_api_key(&scope, input).await {
        Ok(issued) => (Some(issued), None),
        Err(e) => (None, Some(PageError::from(e))),
    };
    let status = refusal.as_ref().map_or(StatusCode::OK, PageError::status);
    let typed = match &refusal {
        Some(e) => KeyFormState { name: &form.name, role: &form.role, error: Some(e.detail()) },
        None => KeyFormState::default(),
    };
    let body = api_keys_body(&state, &session, &scope, &slug, issued.as_ref(), typed).await?;
    let mut response =
        (status, page(&state, &scope, "API keys", nav(&session, &slug, &name), body).await).into_response();
    // The answer may hold a secret: no cache keeps it.
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

/// `POST /app/{slug}/settings/api-keys/{kid}/revoke`: the key stops working; back to the list.
pub(crate) async fn revoke_api_key(
    State(state): State<AppState>,
    session: Session,
    Path((slug, kid)): Path<(String, String)>,
    WebForm(form): WebForm<CsrfForm>,
) -> PageResult {
    let (scope, _) = posted(&state, &session, &slug, &form.csrf).await?;
    let kid = id_of(ApiKeyId::parse(&kid))?;
    state.tenantry.revoke_api_key(&scope, kid).await?;
    Ok(Redirect::to(&format!("/app/{slug}/settings/api-keys")).into_response())
}

// ---------------------------------------------------------------- branding

#[derive(Deserialize, Default)]
pub(crate) struct BrandingNotice {
    saved: Option<String>,
}

fn branding_body(
    session: &Session,
    slug: &str,
    current: &tenantry_domain::tenant::Branding,
    typed: Option<(&str, &str)>,
    saved: bool,
    error: Option<&str>,
) -> Markup {
    let color = current.primary_color.as_ref().map(|c| c.as_str());
    let logo = current.logo_url.as_ref().map(|u| u.as_str());
    let (color_value, logo_value) = typed.unwrap_or((color.unwrap_or(""), logo.unwrap_or("")));
    html! {
        h1 { "Branding" }
        @if saved {
            p.notice #branding-saved role="status" { "The branding has been saved." }
        }
        section.card aria-labelledby="current-h" {
            h2 #current-h { "Now" }
            dl.facts #current-branding {
                dt { "Primary colour" }
                dd #current-color { @if let Some(c) = color { code { (c) } } @else { "none (the default)" } }
                dt { "Logo" }
                dd #current-logo {
                    @if let Some(url) = logo {
                        img.logo src=(url) alt="The workspace's logo" height="48";
                        br;
                        code { (url) }
                    } @else {
                        "none"
                    }
                }
            }
        }
        section.card aria-labelledby="branding-h" {
            h2 #branding-h { "Change" }
            (alert(error))
            form #branding method="post" action={ "/app/" (slug) "/settings/branding" } {
                (field(session))
                label for="primary-color" { "Primary colour" span.hint { " (#rrggbb; leave empty for the default)" } }
                input #primary-color name="primary_color" type="text" value=(color_value) placeholder="#1f6feb"
                    maxlength="7" autocomplete="off" spellcheck="false";
                label for="logo-url" { "Logo URL" span.hint { " (https://…; leave empty for none)" } }
                input #logo-url name="logo_url" type="url" value=(logo_value) placeholder="https://example.com/logo.png";
                button #save-branding type="submit" { "Save" }
            }
        }
    }
}

/// `GET /app/{slug}/settings/branding`: the colour and logo, and the form changing them.
pub(crate) async fn branding(
    State(state): State<AppState>,
    session: Session,
    Path(slug): Path<String>,
    Query(n): Query<BrandingNotice>,
) -> PageResult {
    let (scope, name) = tenant(&state, &session, &slug).await?;
    let view = state.tenantry.get_tenant(&scope).await?;
    let body = branding_body(&session, &slug, &view.settings.branding, None, n.saved.is_some(), None);
    Ok(page(&state, &scope, "Branding", nav(&session, &slug, &name), body).await.into_response())
}

#[derive(Deserialize)]
pub(crate) struct BrandingForm {
    csrf: String,
    #[serde(default)]
    primary_color: String,
    #[serde(default)]
    logo_url: String,
}

/// `POST /app/{slug}/settings/branding`: the change (an empty field clears it),
/// or the form again with the refusal and nothing changed.
pub(crate) async fn save_branding(
    State(state): State<AppState>,
    session: Session,
    Path(slug): Path<String>,
    WebForm(form): WebForm<BrandingForm>,
) -> PageResult {
    let (scope, name) = posted(&state, &session, &slug, &form.csrf).await?;
    let input = SettingsInput {
        primary_color: Some(Some(form.primary_color.clone())),
        logo_url: Some(Some(form.logo_url.clone())),
        ..SettingsInput::default()
    };
    match state.tenantry.update_tenant(&scope, input).await {
        Ok(_) => Ok(Redirect::to(&format!("/app/{slug}/settings/branding?saved=1")).into_response()),
        Err(e) => {
            let e = PageError::from(e);
            let view = state.tenantry.get_tenant(&scope).await?;
            let typed = Some((form.primary_color.as_str(), form.logo_url.as_str()));
            let body = branding_body(&session, &slug, &view.settings.branding, typed, false, Some(e.detail()));
            let page = page(&state, &scope, "Branding", nav(&session, &slug, &name), body).await;
            Ok((e.status(), page).into_response())
        }
    }
}

// ---------------------------------------------------------------- audit log

#[derive(Deserialize, Default)]
pub(crate) struct AuditParams {
    action: Option<String>,
    user: Option<String>,
    before: Option<String>,
    limit: Option<String>,
}

fn invalid_filter(detail: &str) -> PageError {
    PageError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_query", detail)
}

impl AuditParams {
    /// The use case's filter; a value that is not one of its types is refused.
    fn filter(&self) -> Result<AuditFilter, PageError> {
        let user = given(self.user.as_ref())
            .map(UserId::parse)
            .transpose()
            .map_err(|_| invalid_filter("The user filter must be one of the workspace's users."))?;
        let before = given(self.before.as_ref())
            .map(AuditEventId::parse)
            .transpose()
            .map_err(|_| invalid_filter("The page link is not valid; start again from the first page."))?;
        let limit = given(self.limit.as_ref())
            .map(str::parse::<u32>)
            .transpose()
            .map_err(|_| invalid_filter("The page size must be a whole number."))?;
        Ok(AuditFilter { before, limit, action: given(self.action.as_ref()).map(str::to_owned), user })
    }

    /// The query string of the same filters at another cursor.
    fn next(&self, before: AuditEventId) -> String {
        let mut q = format!("before={before}");
        for (key, value) in [("action", &self.action), ("user", &self.user), ("limit", &self.limit)] {
            if let Some(v) = given(value.as_ref()) {
                q.push_str(&format!("&{key}={}", encode(v)));
            }
        }
        q
    }
}

fn system_name(s: SystemActor) -> &'static str {
    match s {
        SystemActor::Billing => "billing",
        SystemActor::Scheduler => "scheduler",
        SystemActor::Signup => "signup",
        SystemActor::InvitationLink => "invitation link",
        SystemActor::UnsubscribeLink => "unsubscribe link",
        SystemActor::Login => "login",
        SystemActor::Meter => "metering",
    }
}

fn user_name(users: &[UserView], id: UserId) -> String {
    users.iter().find(|u| u.id == id).map(|u| u.name.clone()).unwrap_or_else(|| format!("user {id}"))
}

fn actor_text(users: &[UserView], actor: &AuditActor) -> String {
    match *actor {
        AuditActor::User(u) => user_name(users, u),
        AuditActor::Superuser(_) => "platform administrator".to_owned(),
        AuditActor::ApiKey(k) => format!("API key {k}"),
        AuditActor::Impersonation { user, .. } => format!("platform administrator as {}", user_name(users, user)),
        AuditActor::System(s) => format!("system ({})", system_name(s)),
        AuditActor::Anonymous => "anonymous".to_owned(),
    }
}

fn target_text(users: &[UserView], target: Option<&AuditTarget>) -> String {
    match target {
        None => String::new(),
        Some(AuditTarget::Tenant(_)) => "the workspace".to_owned(),
        Some(AuditTarget::User(u)) => user_name(users, *u),
        Some(AuditTarget::Invitation(id)) => format!("invitation {id}"),
        Some(AuditTarget::Role(id)) => format!("role {id}"),
        Some(AuditTarget::Subscription) => "the subscription".to_owned(),
        Some(AuditTarget::Campaign(id)) => format!("ad campaign {id}"),
        Some(AuditTarget::Superuser(_)) => "a platform administrator".to_owned(),
        Some(AuditTarget::ApiKey(id)) => format!("API key {id}"),
        Some(AuditTarget::Export(id)) => format!("export {id}"),
        Some(AuditTarget::ForeignTenant(id)) => format!("another workspace ({id})"),
    }
}

fn outcome_text(o: AuditOutcome) -> &'static str {
    match o {
        AuditOutcome::Success => "success",
        AuditOutcome::Denied => "denied",
        AuditOutcome::Failed => "failed",
    }
}

/// `GET /app/{slug}/settings/audit`: the audit log, newest first, filtered by
/// action and user, with a link to the next (older) page.
pub(crate) async fn audit(
    State(state): State<AppState>,
    session: Session,
    Path(slug): Path<String>,
    Query(q): Query<AuditParams>,
) -> PageResult {
    let (scope, name) = tenant(&state, &session, &slug).await?;
    if let Some(gate) =
        premium_gate(&state, &scope, &slug, tenantry_domain::Feature::audit_log(), "The audit log").await?
    {
        let body = html! { h1 { "Audit log" } section.card { (gate) } };
        return Ok(page(&state, &scope, "Audit log", nav(&session, &slug, &name), body).await.into_response());
    }
    let filter = q.filter()?;
    let events = state.tenantry.audit_events(&scope, filter).await?;
    // The names of the users (the filter's choices); without the right to list them, ids.
    let users = state.tenantry.list_users(&scope).await.ok();
    let known = users.as_deref().unwrap_or_default();
    let base = format!("/app/{slug}/settings/audit");
    let action = given(q.action.as_ref()).unwrap_or("");
    let user = given(q.user.as_ref()).unwrap_or("");
    let body = html! {
        h1 { "Audit log" }
        form.card #audit-filter method="get" action=(base) role="search" aria-label="Filter the audit log" {
            label for="filter-action" { "Action" span.hint { " (e.g. api_key.created; empty for all)" } }
            input #filter-action name="action" type="text" value=(action) autocomplete="off" spellcheck="false";
            @if let Some(users) = &users {
                label for="filter-user" { "User" span.hint { " (who acted or was acted upon)" } }
                select #filter-user name="user" {
                    option value="" selected[user.is_empty()] { "Anyone" }
                    @for u in users {
                        option value=(u.id) selected[u.id.to_string() == user] { (u.name) " (" (u.email) ")" }
                    }
                }
            } @else {
                label for="filter-user" { "User id" span.hint { " (empty for anyone)" } }
                input #filter-user name="user" type="text" value=(user) autocomplete="off" spellcheck="false";
            }
            @if let Some(limit) = given(q.limit.as_ref()) {
                input type="hidden" name="limit" value=(limit);
            }
            button #apply-filter type="submit" { "Filter" }
            " "
            a href=(base) { "Clear" }
        }
        @if events.events.is_empty() {
            p #no-events { "No events." }
        } @else {
            table #audit {
                caption { "Events, newest first" }
                thead {
                    tr {
                        th scope="col" { "When" }
                        th scope="col" { "Action" }
                        th scope="col" { "Who" }
                        th scope="col" { "On what" }
                        th scope="col" { "Outcome" }
                        th scope="col" { "Details" }
                    }
                }
                tbody {
                    @for e in &events.events {
                        tr id={ "event-" (e.id) } {
                            td { time datetime=(e.at.to_rfc3339()) { (when(e.at)) } }
                            td.action { code { (e.action) } }
                            td { (actor_text(known, &e.actor)) }
                            td { (target_text(known, e.target.as_ref())) }
                            td { (outcome_text(e.outcome)) }
                            td {
                                @for (k, v) in &e.details {
                                    span.detail { (k) ": " (v) } " "
                                }
                            }
                        }
                    }
                }
            }
        }
        @if let Some(next) = events.next_before {
            nav aria-label="Pages" {
                a #next-page href={ (base) "?" (q.next(next)) } rel="next" { "Older events" }
            }
        }
    };
    Ok(page(&state, &scope, "Audit log", nav(&session, &slug, &name), body).await.into_response())
}

// ---------------------------------------------------------------- exports

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
    let current = given(n.requested.as_ref()).or(given(n.running.as_ref()));
    let body = html! {
        h1 { "Data export" }
        p { "An export is a JSON archive of the workspace's data (never passwords or key secrets). "
            "It is produced in the background and can be downloaded for seven days." }
        @if given(n.requested.as_ref()).is_some() {
            p.notice #export-notice role="status" { "The export has been requested: reload this page to follow it." }
        } @else if given(n.running.as_ref()).is_some() {
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
    let eid = id_of(ExportId::parse(&eid))?;
    Ok(crate::api::export_download(state.tenantry.download_export(&scope, eid).await?))
}

/// Where a premium feature the tenant's plan lacks would be: the premium label,
/// what the plan unlocking it gives, and the link to the plan page. `None`
/// when the plan includes the feature.
pub(super) async fn premium_gate(
    state: &AppState,
    scope: &TenantScope,
    slug: &str,
    feature: tenantry_domain::Feature,
    what: &str,
) -> Result<Option<Markup>, PageError> {
    let Some(gated) = state.tenantry.entitlement(scope, &feature).await? else {
        return Ok(None);
    };
    Ok(Some(html! {
        p.premium id={ "premium-" (feature) } {
            span.badge.badge-premium { "Premium" } " "
            (what) " are included in the " (gated.unlocked_by) " plan, not in " (gated.current) ". "
            a.upgrade href={ "/app/" (slug) "/settings#plan-h" } { "Upgrade to " (gated.unlocked_by) }
        }
    }))
}

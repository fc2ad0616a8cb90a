//! A tenant's audit log, filtered, a page at a time.

use crate::state::AppState;
use crate::web::forms::{encode, given, invalid_query, when};
use crate::web::session::Session;
use crate::web::tenant::{nav, page, premium_gate, tenant};
use crate::web::{PageError, PageResult};
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::IntoResponse;
use axum::routing::get;
use maud::html;
use serde::Deserialize;
use tenantry_domain::audit::SystemActor;
use tenantry_domain::{AuditActor, AuditEventId, AuditOutcome, AuditTarget, UserId};
use tenantry_ports::services::audit::AuditFilter;
use tenantry_ports::services::views::UserView;

/// Its pages.
pub(super) fn routes() -> Router<AppState> {
    Router::new().route("/app/{slug}/settings/audit", get(audit))
}

#[derive(Deserialize, Default)]
pub(crate) struct AuditParams {
    action: Option<String>,
    user: Option<String>,
    before: Option<String>,
    limit: Option<String>,
}

impl AuditParams {
    /// The use case's filter; a value that is not one of its types is refused.
    fn filter(&self) -> Result<AuditFilter, PageError> {
        let user = given(&self.user)
            .map(UserId::parse)
            .transpose()
            .map_err(|_| invalid_query("The user filter must be one of the workspace's users."))?;
        let before = given(&self.before)
            .map(AuditEventId::parse)
            .transpose()
            .map_err(|_| invalid_query("The page link is not valid; start again from the first page."))?;
        let limit = given(&self.limit)
            .map(str::parse::<u32>)
            .transpose()
            .map_err(|_| invalid_query("The page size must be a whole number."))?;
        Ok(AuditFilter { before, limit, action: given(&self.action).map(str::to_owned), user })
    }

    /// The query string of the same filters at another cursor.
    fn next(&self, before: AuditEventId) -> String {
        let mut q = format!("before={before}");
        for (key, value) in [("action", &self.action), ("user", &self.user), ("limit", &self.limit)] {
            if let Some(v) = given(value) {
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
    let action = given(&q.action).unwrap_or("");
    let user = given(&q.user).unwrap_or("");
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
            @if let Some(limit) = given(&q.limit) {
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

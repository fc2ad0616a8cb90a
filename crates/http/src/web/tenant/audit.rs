//! A tenant's audit log, filtered, a page at a time.

use crate::l10n::t;
use crate::state::AppState;
use crate::web::forms::{encode, given, invalid_query};
use crate::web::layout::moment;
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
            .map_err(|_| invalid_query(&t!("tenant-audit-invalid-user")))?;
        let before = given(&self.before)
            .map(AuditEventId::parse)
            .transpose()
            .map_err(|_| invalid_query(&t!("tenant-audit-invalid-before")))?;
        let limit = given(&self.limit)
            .map(str::parse::<u32>)
            .transpose()
            .map_err(|_| invalid_query(&t!("tenant-audit-invalid-limit")))?;
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

fn system_name(s: SystemActor) -> String {
    match s {
        SystemActor::Billing => t!("tenant-audit-system-billing"),
        SystemActor::Scheduler => t!("tenant-audit-system-scheduler"),
        SystemActor::Signup => t!("tenant-audit-system-signup"),
        SystemActor::InvitationLink => t!("tenant-audit-system-invitation-link"),
        SystemActor::UnsubscribeLink => t!("tenant-audit-system-unsubscribe-link"),
        SystemActor::Logo => t!("tenant-audit-system-logo"),
        SystemActor::Login => t!("tenant-audit-system-login"),
        SystemActor::Meter => t!("tenant-audit-system-meter"),
    }
}

fn user_name(users: &[UserView], id: UserId) -> String {
    users
        .iter()
        .find(|u| u.id == id)
        .map(|u| u.name.clone())
        .unwrap_or_else(|| t!("tenant-audit-user-id", id = id.to_string()))
}

fn actor_text(users: &[UserView], actor: &AuditActor) -> String {
    match *actor {
        AuditActor::User(u) => user_name(users, u),
        AuditActor::Superuser(_) => t!("tenant-audit-actor-superuser"),
        AuditActor::ApiKey(k) => t!("tenant-audit-actor-api-key", id = k.to_string()),
        AuditActor::Impersonation { user, .. } => t!("tenant-audit-actor-impersonation", name = user_name(users, user)),
        AuditActor::System(s) => t!("tenant-audit-actor-system", name = system_name(s)),
        AuditActor::Anonymous => t!("tenant-audit-actor-anonymous"),
    }
}

fn target_text(users: &[UserView], target: Option<&AuditTarget>) -> String {
    match target {
        None => String::new(),
        Some(AuditTarget::Tenant(_)) => t!("tenant-audit-target-tenant"),
        Some(AuditTarget::User(u)) => user_name(users, *u),
        Some(AuditTarget::Invitation(id)) => t!("tenant-audit-target-invitation", id = id.to_string()),
        Some(AuditTarget::Role(id)) => t!("tenant-audit-target-role", id = id.to_string()),
        Some(AuditTarget::Subscription) => t!("tenant-audit-target-subscription"),
        Some(AuditTarget::Campaign(id)) => t!("tenant-audit-target-campaign", id = id.to_string()),
        Some(AuditTarget::Superuser(_)) => t!("tenant-audit-target-superuser"),
        Some(AuditTarget::ApiKey(id)) => t!("tenant-audit-target-api-key", id = id.to_string()),
        Some(AuditTarget::Export(id)) => t!("tenant-audit-target-export", id = id.to_string()),
        Some(AuditTarget::File(id)) => t!("tenant-audit-target-file", id = id.to_string()),
        Some(AuditTarget::ForeignTenant(id)) => t!("tenant-audit-target-foreign-tenant", id = id.to_string()),
    }
}

fn outcome_text(o: AuditOutcome) -> String {
    match o {
        AuditOutcome::Success => t!("tenant-audit-outcome-success"),
        AuditOutcome::Denied => t!("tenant-audit-outcome-denied"),
        AuditOutcome::Failed => t!("tenant-audit-outcome-failed"),
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
    if let Some(gate) = premium_gate(&state, &scope, &slug, tenantry_domain::Feature::audit_log()).await? {
        let body = html! { h1 { (t!("tenant-audit-title")) } section.card { (gate) } };
        let title = t!("tenant-audit-title");
        return Ok(page(&state, &scope, &title, nav(&session, &slug, &name), body).await.into_response());
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
        h1 { (t!("tenant-audit-title")) }
        form.card #audit-filter method="get" action=(base) role="search" aria-label=(t!("tenant-audit-filter-label")) {
            label for="filter-action" {
                (t!("tenant-audit-action")) " " span.hint { (t!("tenant-audit-action-hint")) }
            }
            input #filter-action name="action" type="text" value=(action) autocomplete="off" spellcheck="false";
            @if let Some(users) = &users {
                label for="filter-user" {
                    (t!("tenant-audit-user")) " " span.hint { (t!("tenant-audit-user-hint")) }
                }
                select #filter-user name="user" {
                    option value="" selected[user.is_empty()] { (t!("tenant-audit-anyone")) }
                    @for u in users {
                        option value=(u.id) selected[u.id.to_string() == user] {
                            (t!("tenant-audit-user-option", name = u.name.as_str(), email = u.email.as_str()))
                        }
                    }
                }
            } @else {
                label for="filter-user" {
                    (t!("tenant-audit-user-id-label")) " " span.hint { (t!("tenant-audit-user-id-hint")) }
                }
                input #filter-user name="user" type="text" value=(user) autocomplete="off" spellcheck="false";
            }
            @if let Some(limit) = given(&q.limit) {
                input type="hidden" name="limit" value=(limit);
            }
            button #apply-filter type="submit" { (t!("tenant-audit-filter")) }
            " "
            a href=(base) { (t!("tenant-audit-clear")) }
        }
        @if events.events.is_empty() {
            p #no-events { (t!("tenant-audit-none")) }
        } @else {
            table #audit {
                caption { (t!("tenant-audit-caption")) }
                thead {
                    tr {
                        th scope="col" { (t!("tenant-audit-when")) }
                        th scope="col" { (t!("tenant-audit-action")) }
                        th scope="col" { (t!("tenant-audit-who")) }
                        th scope="col" { (t!("tenant-audit-on-what")) }
                        th scope="col" { (t!("tenant-audit-outcome")) }
                        th scope="col" { (t!("tenant-audit-details")) }
                    }
                }
                tbody {
                    @for e in &events.events {
                        tr id={ "event-" (e.id) } {
                            td { time datetime=(e.at.to_rfc3339()) { (moment(e.at)) } }
                            td.action { code { (e.action) } }
                            td { (actor_text(known, &e.actor)) }
                            td { (target_text(known, e.target.as_ref())) }
                            td { (outcome_text(e.outcome)) }
                            td {
                                @for (k, v) in &e.details {
                                    // Machine keys and values, shown as code.
                                    code.detail { (k) ": " (v) } " "
                                }
                            }
                        }
                    }
                }
            }
        }
        @if let Some(next) = events.next_before {
            nav aria-label=(t!("tenant-audit-pages")) {
                a #next-page href={ (base) "?" (q.next(next)) } rel="next" { (t!("tenant-audit-older")) }
            }
        }
    };
    Ok(page(&state, &scope, &t!("tenant-audit-title"), nav(&session, &slug, &name), body).await.into_response())
}

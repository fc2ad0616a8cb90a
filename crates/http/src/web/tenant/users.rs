//! "Users & invitations": the users with their roles and seats, inviting, resending and revoking invitations, deactivating and reactivating users.

use crate::l10n::t;
use crate::state::AppState;
use crate::web::forms::id_of;
use crate::web::layout::{alert, day};
use crate::web::session::{CsrfForm, Session, WebForm, field};
use crate::web::tenant::{nav, page, posted, role_option, role_word, tenant};
use crate::web::{PageError, PageResult};
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use maud::{Markup, html};
use serde::Deserialize;
use tenantry_domain::{BuiltinRole, PlanKind};
use tenantry_ports::TenantScope;
use tenantry_ports::services::invitations::InviteInput;

/// Its pages.
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/app/{slug}/settings/users", get(users))
        .route("/app/{slug}/settings/invitations", post(invite))
        .route("/app/{slug}/settings/invitations/{iid}/revoke", post(revoke_invitation))
        .route("/app/{slug}/settings/invitations/{iid}/resend", post(resend_invitation))
        .route("/app/{slug}/settings/users/{uid}/active", post(set_active))
}

/// `POST /app/{slug}/settings/invitations/{iid}/revoke` (frees its seat).
pub(crate) async fn revoke_invitation(
    State(state): State<AppState>,
    session: Session,
    Path((slug, iid)): Path<(String, String)>,
    WebForm(form): WebForm<CsrfForm>,
) -> PageResult {
    let (scope, _) = posted(&state, &session, &slug, &form.csrf).await?;
    state.tenantry.revoke_invitation(&scope, id_of(&iid)?).await?;
    Ok(Redirect::to(&format!("/app/{slug}/settings/users")).into_response())
}

/// `POST /app/{slug}/settings/invitations/{iid}/resend`.
pub(crate) async fn resend_invitation(
    State(state): State<AppState>,
    session: Session,
    Path((slug, iid)): Path<(String, String)>,
    WebForm(form): WebForm<CsrfForm>,
) -> PageResult {
    let (scope, _) = posted(&state, &session, &slug, &form.csrf).await?;
    state.tenantry.resend_invitation(&scope, id_of(&iid)?).await?;
    Ok(Redirect::to(&format!("/app/{slug}/settings/users")).into_response())
}

#[derive(Deserialize)]
pub(crate) struct ActiveForm {
    csrf: String,
    active: String,
}

/// `POST /app/{slug}/settings/users/{uid}/active`: deactivate (frees the seat) or reactivate.
pub(crate) async fn set_active(
    State(state): State<AppState>,
    session: Session,
    Path((slug, uid)): Path<(String, String)>,
    WebForm(form): WebForm<ActiveForm>,
) -> PageResult {
    let (scope, name) = posted(&state, &session, &slug, &form.csrf).await?;
    let active = match form.active.as_str() {
        "true" => true,
        "false" => false,
        _ => return Err(crate::web::forms::invalid(&t!("tenant-users-active-invalid"))),
    };
    let patch = tenantry_ports::services::users::UserPatch { role: None, active: Some(active) };
    if let Err(e) = state.tenantry.update_user(&scope, id_of(&uid)?, patch).await {
        let e = PageError::from(e);
        let body = users_body(&state, &session, &scope, &slug, Some(e.detail().as_str()), None).await?;
        let page = page(&state, &scope, &t!("tenant-users-title"), nav(&session, &slug, &name), body).await;
        return Ok((e.status(), page).into_response());
    }
    Ok(Redirect::to(&format!("/app/{slug}/settings/users")).into_response())
}

/// `GET /app/{slug}/settings/users`.
pub(crate) async fn users(State(state): State<AppState>, session: Session, Path(slug): Path<String>) -> PageResult {
    let (scope, name) = tenant(&state, &session, &slug).await?;
    let body = users_body(&state, &session, &scope, &slug, None, None).await?;
    Ok(page(&state, &scope, &t!("tenant-users-title"), nav(&session, &slug, &name), body).await.into_response())
}

async fn users_body(
    state: &AppState,
    session: &Session,
    scope: &TenantScope,
    slug: &str,
    error: Option<&str>,
    invited: Option<&str>,
) -> Result<Markup, PageError> {
    let users = state.tenantry.list_users(scope).await?;
    let invitations = state.tenantry.list_invitations(scope, false).await?;
    let sub = state.tenantry.subscription_view(scope).await?;
    Ok(html! {
        h1 { (t!("tenant-users-title")) }
        @if let Some(email) = invited {
            p.notice role="status" { (t!("tenant-users-invited", email = email)) }
        }
        p #seat-usage {
            @if let Some(seats) = sub.seats {
                (t!("tenant-users-seats-used-of", count = sub.seats_used, seats = seats))
            } @else {
                (t!("tenant-users-seats-used", count = sub.seats_used))
            }
        }
        section.card aria-labelledby="invite-h" {
            h2 #invite-h { (t!("tenant-users-invite-title")) }
            (alert(error))
            @if error.is_some() && sub.plan == PlanKind::Standard {
                p { a href={ "/app/" (slug) "/settings" } { (t!("tenant-users-buy-seat")) } }
            }
            form method="post" action={ "/app/" (slug) "/settings/invitations" } {
                (field(session))
                label for="invite-email" { (t!("tenant-users-email")) }
                input #invite-email name="email" type="email" required;
                label for="invite-role" { (t!("tenant-users-role")) }
                select #invite-role name="role" {
                    @for role in [BuiltinRole::Member, BuiltinRole::Viewer, BuiltinRole::Manager, BuiltinRole::Admin] {
                        option value=(role.as_str()) selected[role == BuiltinRole::Member] { (role_option(role)) }
                    }
                }
                button #invite type="submit" { (t!("tenant-users-invite-button")) }
            }
        }
        section.card aria-labelledby="users-h" {
            h2 #users-h { (t!("tenant-users-users-title")) }
            table #users {
                thead { tr {
                    th scope="col" { (t!("tenant-users-name")) } th scope="col" { (t!("tenant-users-email")) }
                    th scope="col" { (t!("tenant-users-role")) } th scope="col" { (t!("tenant-users-status")) }
                    th scope="col" { span.hint { (t!("tenant-users-actions")) } }
                } }
                tbody {
                    @for u in &users {
                        tr {
                            td { (u.name) } td { (u.email) } td { (role_word(&u.role, &u.role.to_string())) }
                            td { (user_status(u.status)) }
                            td {
                                @if !u.role.is_owner() {
                                    form.inline method="post" action={ "/app/" (slug) "/settings/users/" (u.id) "/active" } {
                                        (field(session))
                                        @if u.status == "active" {
                                            input type="hidden" name="active" value="false";
                                            button.link type="submit" { (t!("tenant-users-deactivate")) " " span.hint { (u.email) } }
                                        } @else {
                                            input type="hidden" name="active" value="true";
                                            button.link type="submit" { (t!("tenant-users-reactivate")) " " span.hint { (u.email) } }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        section.card aria-labelledby="inv-h" {
            h2 #inv-h { (t!("tenant-users-pending-title")) }
            @if invitations.is_empty() {
                p { (t!("tenant-users-pending-none")) }
            } @else {
                table #invitations {
                    thead { tr {
                        th scope="col" { (t!("tenant-users-email")) } th scope="col" { (t!("tenant-users-role")) }
                        th scope="col" { (t!("tenant-users-expires")) }
                        th scope="col" { span.hint { (t!("tenant-users-actions")) } }
                    } }
                    tbody {
                        @for i in &invitations {
                            tr {
                                td { (i.email) } td { (role_word(&i.role, &i.role.to_string())) } td { (day(i.expires_at)) }
                                td {
                                    form.inline method="post" action={ "/app/" (slug) "/settings/invitations/" (i.id) "/resend" } {
                                        (field(session))
                                        button.link type="submit" { (t!("tenant-users-resend")) " " span.hint { (i.email) } }
                                    }
                                    " "
                                    form.inline method="post" action={ "/app/" (slug) "/settings/invitations/" (i.id) "/revoke" } {
                                        (field(session))
                                        button.link type="submit" { (t!("tenant-users-revoke")) " " span.hint { (i.email) } }
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

#[derive(Deserialize)]
pub(crate) struct InviteForm {
    csrf: String,
    email: String,
    role: String,
}

/// `POST /app/{slug}/settings/invitations`: the invitation, or the page again
/// with the refusal (e.g. every seat taken) and nothing changed.
pub(crate) async fn invite(
    State(state): State<AppState>,
    session: Session,
    Path(slug): Path<String>,
    WebForm(form): WebForm<InviteForm>,
) -> PageResult {
    let (scope, name) = posted(&state, &session, &slug, &form.csrf).await?;
    let (status, error, invited) =
        match state.tenantry.invite(&scope, InviteInput { email: form.email.clone(), role: form.role }).await {
            Ok(_) => (StatusCode::OK, None, Some(form.email.as_str())),
            Err(e) => {
                let e = PageError::from(e);
                (e.status(), Some(e.detail()), None)
            }
        };
    let body = users_body(&state, &session, &scope, &slug, error.as_deref(), invited).await?;
    let page = page(&state, &scope, &t!("tenant-users-title"), nav(&session, &slug, &name), body).await;
    Ok((status, page).into_response())
}

/// A user's status as the table shows it.
fn user_status(status: &str) -> String {
    match status {
        "active" => t!("tenant-users-status-active"),
        "deactivated" => t!("tenant-users-status-deactivated"),
        other => other.to_owned(),
    }
}

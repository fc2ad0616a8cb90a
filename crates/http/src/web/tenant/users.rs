//! "Users & invitations": the users with their roles and seats, inviting, resending and revoking invitations, deactivating and reactivating users.

use crate::state::AppState;
use crate::web::forms::id_of;
use crate::web::layout::{alert, day};
use crate::web::session::{CsrfForm, Session, WebForm, field};
use crate::web::tenant::{nav, page, posted, tenant};
use crate::web::{PageError, PageResult};
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use maud::{Markup, html};
use serde::Deserialize;
use tenantry_domain::PlanKind;
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
        _ => return Err(PageError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_form", "Deactivate or reactivate?")),
    };
    let patch = tenantry_ports::services::users::UserPatch { role: None, active: Some(active) };
    if let Err(e) = state.tenantry.update_user(&scope, id_of(&uid)?, patch).await {
        let e = PageError::from(e);
        let body = users_body(&state, &session, &scope, &slug, Some(e.detail()), None).await?;
        let page = page(&state, &scope, "Users & invitations", nav(&session, &slug, &name), body).await;
        return Ok((e.status(), page).into_response());
    }
    Ok(Redirect::to(&format!("/app/{slug}/settings/users")).into_response())
}

/// `GET /app/{slug}/settings/users`.
pub(crate) async fn users(State(state): State<AppState>, session: Session, Path(slug): Path<String>) -> PageResult {
    let (scope, name) = tenant(&state, &session, &slug).await?;
    let body = users_body(&state, &session, &scope, &slug, None, None).await?;
    Ok(page(&state, &scope, "Users & invitations", nav(&session, &slug, &name), body).await.into_response())
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
        h1 { "Users & invitations" }
        @if let Some(email) = invited {
            p.notice role="status" { "Invitation sent to " (email) "." }
        }
        p #seat-usage {
            (sub.seats_used) @if sub.seats_used == 1 { " seat used" } @else { " seats used" }
            @if let Some(seats) = sub.seats { " of " (seats) }
            "."
        }
        section.card aria-labelledby="invite-h" {
            h2 #invite-h { "Invite someone" }
            (alert(error))
            @if error.is_some() && sub.plan == PlanKind::Standard {
                p { a href={ "/app/" (slug) "/settings" } { "Buy a seat on the billing page" } }
            }
            form method="post" action={ "/app/" (slug) "/settings/invitations" } {
                (field(session))
                label for="invite-email" { "E-mail" }
                input #invite-email name="email" type="email" required;
                label for="invite-role" { "Role" }
                select #invite-role name="role" {
                    option value="member" selected { "Member" }
                    option value="viewer" { "Viewer" }
                    option value="manager" { "Manager" }
                    option value="admin" { "Admin" }
                }
                button #invite type="submit" { "Send invitation" }
            }
        }
        section.card aria-labelledby="users-h" {
            h2 #users-h { "Users" }
            table #users {
                thead { tr {
                    th scope="col" { "Name" } th scope="col" { "E-mail" } th scope="col" { "Role" }
                    th scope="col" { "Status" } th scope="col" { span.hint { "Actions" } }
                } }
                tbody {
                    @for u in &users {
                        tr {
                            td { (u.name) } td { (u.email) } td { (u.role) } td { (u.status) }
                            td {
                                @if u.role.to_string() != "owner" {
                                    form.inline method="post" action={ "/app/" (slug) "/settings/users/" (u.id) "/active" } {
                                        (field(session))
                                        @if u.status == "active" {
                                            input type="hidden" name="active" value="false";
                                            button.link type="submit" { "Deactivate " span.hint { (u.email) } }
                                        } @else {
                                            input type="hidden" name="active" value="true";
                                            button.link type="submit" { "Reactivate " span.hint { (u.email) } }
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
            h2 #inv-h { "Pending invitations" }
            @if invitations.is_empty() {
                p { "None." }
            } @else {
                table #invitations {
                    thead { tr {
                        th scope="col" { "E-mail" } th scope="col" { "Role" } th scope="col" { "Expires" }
                        th scope="col" { span.hint { "Actions" } }
                    } }
                    tbody {
                        @for i in &invitations {
                            tr {
                                td { (i.email) } td { (i.role) } td { (day(i.expires_at)) }
                                td {
                                    form.inline method="post" action={ "/app/" (slug) "/settings/invitations/" (i.id) "/resend" } {
                                        (field(session))
                                        button.link type="submit" { "Resend " span.hint { (i.email) } }
                                    }
                                    " "
                                    form.inline method="post" action={ "/app/" (slug) "/settings/invitations/" (i.id) "/revoke" } {
                                        (field(session))
                                        button.link type="submit" { "Revoke " span.hint { (i.email) } }
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
                (e.status(), Some(e.detail().to_owned()), None)
            }
        };
    let body = users_body(&state, &session, &scope, &slug, error.as_deref(), invited).await?;
    let page = page(&state, &scope, "Users & invitations", nav(&session, &slug, &name), body).await;
    Ok((status, page).into_response())
}

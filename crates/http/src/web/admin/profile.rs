//! The superuser's own profile (`/admin/profile`, issue 24): their name, and
//! the way to their two-factor authentication and sessions — the same pages a
//! tenant's user has. A superuser's password is not changed here: the service
//! role cannot write one (the platform seal, migration 0015), so the operator
//! sets it with `tenantry set-superuser-password` and the owner's rights.

use crate::l10n::t;
use crate::state::AppState;
use crate::web::admin::platform;
use crate::web::forms::Saved;
use crate::web::layout::{Page, summary};
use crate::web::session::{Session, WebForm, admin_nav, field};
use crate::web::{PageError, PageResult};
use axum::Router;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use maud::html;
use serde::Deserialize;
use tenantry_ports::services::superusers::SuperuserView;

/// Its pages.
pub(super) fn routes() -> Router<AppState> {
    Router::new().route("/admin/profile", get(profile)).route("/admin/profile/name", post(rename))
}

fn page(session: &Session, me: &SuperuserView, notice: Option<&str>, error: Option<&PageError>) -> Page {
    let field_of = error.and_then(|e| e.field(&[("invalid_name", "name")]));
    Page::new(
        &t!("admin-profile-title"),
        admin_nav(session),
        html! {
            h1 { (t!("admin-profile-title")) }
            @if let Some(n) = notice { p.notice role="status" { (n) } }
            (summary(error.map(PageError::detail).as_deref(), field_of))
            section.card aria-labelledby="name-h" {
                h2 #name-h { (t!("admin-label-name")) }
                form method="post" action="/admin/profile/name" {
                    (field(session))
                    label for="name" { (t!("admin-profile-your-name")) }
                    input #name name="name" type="text" value=(me.name) required autocomplete="name";
                    button #save-name type="submit" { (t!("admin-profile-save-name")) }
                }
                p { (t!("admin-profile-sign-in-as")) " " strong #email { (me.email) } "." }
            }
            section.card aria-labelledby="security-h" {
                h2 #security-h { (t!("admin-profile-security")) }
                ul.links {
                    li { a href="/account/mfa" { (t!("admin-profile-mfa")) } " "
                        @if me.mfa_enabled { (t!("admin-profile-mfa-on")) } @else { (t!("admin-profile-mfa-off")) } }
                    li { a href="/account/sessions" { (t!("admin-profile-sessions")) } }
                }
                p.hint {
                    (t!("admin-profile-password-hint")) " "
                    code { "tenantry set-superuser-password --email …" } "."
                }
            }
        },
    )
}

/// `GET /admin/profile`.
pub(crate) async fn profile(State(state): State<AppState>, session: Session, Query(q): Query<Saved>) -> PageResult {
    let who = platform(&state, &session).await?;
    let me = state.tenantry.superuser_profile(&who).await?;
    let notice = q.saved.as_deref().map(|_| t!("admin-profile-saved"));
    Ok(page(&session, &me, notice.as_deref(), None).into_response())
}

#[derive(Deserialize)]
pub(crate) struct NameForm {
    csrf: String,
    name: String,
}

/// `POST /admin/profile/name`.
pub(crate) async fn rename(
    State(state): State<AppState>,
    session: Session,
    WebForm(form): WebForm<NameForm>,
) -> PageResult {
    session.check(&form.csrf)?;
    let who = platform(&state, &session).await?;
    match state.tenantry.rename_superuser(&who, &form.name).await {
        Ok(()) => Ok(Redirect::to("/admin/profile?saved=name").into_response()),
        Err(e) => {
            let e = PageError::from(e);
            let me = state.tenantry.superuser_profile(&who).await?;
            Ok((e.status(), page(&session, &me, None, Some(&e))).into_response())
        }
    }
}

//! A tenant's roles: each role and what it may do, and its custom roles.

use crate::l10n::t;
use crate::state::AppState;
use crate::web::forms::id_of;
use crate::web::layout::alert;
use crate::web::session::{CsrfForm, Session, WebForm, field};
use crate::web::tenant::{nav, page, posted, premium_gate, role_word, tenant};
use crate::web::{PageError, PageResult};
use axum::Router;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use maud::{Markup, html};
use tenantry_ports::TenantScope;

/// Its pages.
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/app/{slug}/settings/roles", get(roles).post(create_role))
        .route("/app/{slug}/settings/roles/{rid}/delete", post(delete_role))
}

/// `GET /app/{slug}/settings/roles`: every role and what it may do, the
/// form for a custom role, and deleting one.
pub(crate) async fn roles(State(state): State<AppState>, session: Session, Path(slug): Path<String>) -> PageResult {
    let (scope, name) = tenant(&state, &session, &slug).await?;
    let body = roles_body(&state, &session, &scope, &slug, None).await?;
    Ok(page(&state, &scope, &t!("tenant-roles-title"), nav(&session, &slug, &name), body).await.into_response())
}

async fn roles_body(
    state: &AppState,
    session: &Session,
    scope: &TenantScope,
    slug: &str,
    error: Option<&str>,
) -> Result<Markup, PageError> {
    let roles = state.tenantry.list_roles(scope).await?;
    let gate = premium_gate(state, scope, slug, tenantry_domain::Feature::custom_roles()).await?;
    // Every permission there is: the owner's role holds them all (tenantry's and the product's).
    let mut all: Vec<&String> = roles.iter().flat_map(|r| r.permissions.iter()).collect();
    all.sort();
    all.dedup();
    Ok(html! {
        h1 { (t!("tenant-roles-title")) }
        p { (t!("tenant-roles-intro")) }
        table #roles {
            caption { (t!("tenant-roles-caption")) }
            thead {
                tr {
                    th scope="col" { (t!("tenant-roles-role")) }
                    th scope="col" { (t!("tenant-roles-kind")) }
                    th scope="col" { (t!("tenant-roles-description")) }
                    th scope="col" { (t!("tenant-roles-permissions")) }
                    th scope="col" { span.hint { (t!("tenant-roles-actions")) } }
                }
            }
            tbody {
                @for r in &roles {
                    tr id={ "role-" (r.role) } {
                        th scope="row" { (role_word(&r.role, &r.name)) }
                        td { @if r.builtin { (t!("tenant-roles-builtin")) } @else { (t!("tenant-roles-custom")) } }
                        td { (r.description.as_deref().unwrap_or("")) }
                        td {
                            @if r.permissions.is_empty() {
                                (t!("tenant-roles-no-permissions"))
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
                                    button.link type="submit" { (t!("tenant-roles-delete")) " " span.hint { (r.name) } }
                                }
                            }
                        }
                    }
                }
            }
        }
        section.card aria-labelledby="new-role-h" {
            h2 #new-role-h { (t!("tenant-roles-new-title")) }
            @if let Some(gate) = &gate {
                (gate)
            } @else {
            (alert(error))
            form method="post" action={ "/app/" (slug) "/settings/roles" } {
                (field(session))
                label for="role-name" { (t!("tenant-roles-name")) }
                input #role-name name="name" type="text" required;
                label for="role-description" { (t!("tenant-roles-description")) " " span.hint { (t!("tenant-roles-optional")) } }
                input #role-description name="description" type="text";
                fieldset {
                    legend { (t!("tenant-roles-permissions")) }
                    @for p in &all {
                        label.check { input type="checkbox" name={ "perm." (p) } value="on"; " " code { (p) } }
                    }
                }
                button #create-role type="submit" { (t!("tenant-roles-create")) }
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
            let body = roles_body(&state, &session, &scope, &slug, Some(e.detail().as_str())).await?;
            let page = page(&state, &scope, &t!("tenant-roles-title"), nav(&session, &slug, &name), body).await;
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
    let rid = id_of::<tenantry_domain::RoleId>(&rid)?;
    if let Err(e) = state.tenantry.delete_role(&scope, rid).await {
        let e = PageError::from(e);
        let body = roles_body(&state, &session, &scope, &slug, Some(e.detail().as_str())).await?;
        let page = page(&state, &scope, &t!("tenant-roles-title"), nav(&session, &slug, &name), body).await;
        return Ok((e.status(), page).into_response());
    }
    Ok(Redirect::to(&format!("/app/{slug}/settings/roles")).into_response())
}

//! A tenant's API keys: created with the secret shown once, revoked.

use crate::state::AppState;
use crate::web::forms::id_of;
use crate::web::layout::{alert, day};
use crate::web::session::{CsrfForm, Session, WebForm, field};
use crate::web::tenant::{nav, page, posted, premium_gate, tenant};
use crate::web::{PageError, PageResult};
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use maud::{Markup, html};
use secrecy::ExposeSecret;
use serde::Deserialize;
use tenantry_domain::ApiKeyId;
use tenantry_ports::TenantScope;
use tenantry_ports::services::api_keys::{ApiKeyInput, ApiKeyIssued};

/// Its pages.
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/app/{slug}/settings/api-keys", get(api_keys).post(create_api_key))
        .route("/app/{slug}/settings/api-keys/{kid}/revoke", post(revoke_api_key))
}

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
    let kid = id_of::<ApiKeyId>(&kid)?;
    state.tenantry.revoke_api_key(&scope, kid).await?;
    Ok(Redirect::to(&format!("/app/{slug}/settings/api-keys")).into_response())
}

//! A tenant's API keys: created with the secret shown once, revoked.

use crate::l10n::t;
use crate::state::AppState;
use crate::web::forms::id_of;
use crate::web::layout::{alert, day};
use crate::web::session::{CsrfForm, Session, WebForm, field};
use crate::web::tenant::{nav, page, posted, premium_gate, role_option, role_word, tenant};
use crate::web::{PageError, PageResult};
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use maud::{Markup, html};
use secrecy::ExposeSecret;
use serde::Deserialize;
use tenantry_domain::{ApiKeyId, BuiltinRole};
use tenantry_ports::TenantScope;
use tenantry_ports::services::api_keys::{ApiKeyInput, ApiKeyIssued};

/// Its pages.
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/app/{slug}/settings/api-keys", get(api_keys).post(create_api_key))
        .route("/app/{slug}/settings/api-keys/{kid}/revoke", post(revoke_api_key))
}

const KEY_ROLES: [BuiltinRole; 4] =
    [BuiltinRole::Admin, BuiltinRole::Manager, BuiltinRole::Member, BuiltinRole::Viewer];

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
    let gate = premium_gate(state, scope, slug, tenantry_domain::Feature::api_keys()).await?;
    let base = format!("/app/{slug}/settings/api-keys");
    let role = if form.role.is_empty() { "member" } else { form.role };
    Ok(html! {
        h1 { (t!("tenant-api-keys-title")) }
        p { (t!("tenant-api-keys-intro")) " "
            code { (t!("tenant-api-keys-header")) } (t!("tenant-api-keys-intro-end")) }
        @if let Some(issued) = issued {
            section.card #new-key role="status" aria-labelledby="new-key-h" {
                h2 #new-key-h { (t!("tenant-api-keys-created", name = issued.key.name.as_str())) }
                p.notice #new-key-note {
                    strong { (t!("tenant-api-keys-copy-now")) }
                    " " (t!("tenant-api-keys-fingerprint"))
                }
                label for="new-key-secret" { (t!("tenant-api-keys-the-key")) }
                input #new-key-secret type="text" readonly value=(issued.secret.expose_secret()) size="80"
                    autocomplete="off" spellcheck="false";
            }
        }
        section.card aria-labelledby="create-key-h" {
            h2 #create-key-h { (t!("tenant-api-keys-create-title")) }
            @if let Some(gate) = &gate {
                (gate)
            } @else {
            (alert(form.error))
            form #create-key method="post" action=(base) {
                (field(session))
                label for="key-name" { (t!("tenant-api-keys-name")) " " span.hint { (t!("tenant-api-keys-name-hint")) } }
                input #key-name name="name" type="text" required value=(form.name);
                label for="key-role" { (t!("tenant-api-keys-role")) }
                select #key-role name="role" {
                    @for r in KEY_ROLES {
                        option value=(r.as_str()) selected[r.as_str() == role] { (role_option(r)) }
                    }
                }
                button #create-key-button type="submit" { (t!("tenant-api-keys-create-button")) }
            }
            }
        }
        section.card aria-labelledby="keys-h" {
            h2 #keys-h { (t!("tenant-api-keys-keys-title")) }
            @if keys.is_empty() {
                p #no-keys { (t!("tenant-api-keys-none")) }
            } @else {
                table #api-keys {
                    thead {
                        tr {
                            th scope="col" { (t!("tenant-api-keys-name")) }
                            th scope="col" { (t!("tenant-api-keys-role")) }
                            th scope="col" { (t!("tenant-api-keys-key-id")) }
                            th scope="col" { (t!("tenant-api-keys-created-at")) }
                            th scope="col" { (t!("tenant-api-keys-status")) }
                            th scope="col" { (t!("tenant-api-keys-action")) }
                        }
                    }
                    tbody {
                        @for k in &keys {
                            tr id={ "key-" (k.id) } {
                                th scope="row" { (k.name) }
                                td { (role_word(&k.role, &k.role.to_string())) }
                                td { code { (k.id) } }
                                td { (day(k.created_at)) }
                                @if let Some(at) = k.revoked_at {
                                    td.key-status {
                                        span.badge.badge-revoked { (t!("tenant-api-keys-revoked")) } " "
                                        (t!("tenant-api-keys-revoked-on", date = day(at)))
                                    }
                                    td {}
                                } @else {
                                    td.key-status { span.badge.badge-active { (t!("tenant-api-keys-active")) } }
                                    td {
                                        form.inline method="post" action={ (base) "/" (k.id) "/revoke" } {
                                            (field(session))
                                            button.danger type="submit"
                                                aria-label=(t!("tenant-api-keys-revoke-label", name = k.name.as_str())) {
                                                (t!("tenant-api-keys-revoke"))
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
    Ok(page(&state, &scope, &t!("tenant-api-keys-title"), nav(&session, &slug, &name), body).await.into_response())
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
    let said = refusal.as_ref().map(PageError::detail);
    let typed = match &said {
        Some(e) => KeyFormState { name: &form.name, role: &form.role, error: Some(e.as_str()) },
        None => KeyFormState::default(),
    };
    let body = api_keys_body(&state, &session, &scope, &slug, issued.as_ref(), typed).await?;
    let mut response =
        (status, page(&state, &scope, &t!("tenant-api-keys-title"), nav(&session, &slug, &name), body).await)
            .into_response();
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

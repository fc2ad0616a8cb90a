//! The tenant's mail settings (`/app/{slug}/settings/notifications`): the refusable billing mails, product updates, the billing e-mail.

use crate::l10n::t;
use crate::state::AppState;
use crate::web::forms::{Saved, ticked};
use crate::web::layout::alert;
use crate::web::session::{Session, WebForm, field};
use crate::web::tenant::{nav, page, posted, tenant};
use crate::web::{PageError, PageResult};
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect};
use axum::routing::get;
use maud::{Markup, html};
use serde::Deserialize;
use tenantry_domain::tenant::NotificationPrefs;
use tenantry_ports::services::tenant::SettingsInput;

/// Its pages.
pub(super) fn routes() -> Router<AppState> {
    Router::new().route("/app/{slug}/settings/notifications", get(tenant_page).post(save_tenant))
}

fn tenant_body(
    session: &Session,
    slug: &str,
    prefs: NotificationPrefs,
    billing_email: &str,
    saved: bool,
    error: Option<&str>,
) -> Markup {
    html! {
        h1 { (t!("tenant-notifications-title")) }
        @if saved { p.notice role="status" { (t!("tenant-notifications-saved")) } }
        (alert(error))
        form.card method="post" action={ "/app/" (slug) "/settings/notifications" } {
            (field(session))
            label for="billing-email" { (t!("tenant-notifications-billing-email")) }
            input #billing-email name="billing_email" type="email" value=(billing_email) autocomplete="email";
            p.hint { (t!("tenant-notifications-billing-email-hint")) }
            label {
                input #tenant-billing type="checkbox" name="billing_emails" checked[prefs.billing_emails];
                " " (t!("tenant-notifications-billing-mails"))
            }
            p.hint { (t!("tenant-notifications-always-mailed")) }
            label {
                input #tenant-updates type="checkbox" name="product_updates" checked[prefs.product_updates];
                " " (t!("tenant-notifications-product-updates"))
            }
            button type="submit" { (t!("tenant-notifications-save")) }
        }
    }
}

/// `GET /app/{slug}/settings/notifications`: the tenant's mail settings.
pub(crate) async fn tenant_page(
    State(state): State<AppState>,
    session: Session,
    Path(slug): Path<String>,
    Query(saved): Query<Saved>,
) -> PageResult {
    let (scope, name) = tenant(&state, &session, &slug).await?;
    let view = state.tenantry.get_tenant(&scope).await?;
    let email = view.settings.billing.billing_email.as_ref().map(|e| e.to_string()).unwrap_or_default();
    let body = tenant_body(&session, &slug, view.settings.notifications, &email, saved.saved.is_some(), None);
    Ok(page(&state, &scope, &t!("tenant-notifications-title"), nav(&session, &slug, &name), body).await.into_response())
}

#[derive(Deserialize)]
pub(crate) struct TenantForm {
    csrf: String,
    #[serde(default)]
    billing_email: String,
    billing_emails: Option<String>,
    product_updates: Option<String>,
}

/// `POST /app/{slug}/settings/notifications`: saves them (the same use case
/// as `PATCH /v1/tenants/{tid}`), or the form again with the refusal.
pub(crate) async fn save_tenant(
    State(state): State<AppState>,
    session: Session,
    Path(slug): Path<String>,
    WebForm(form): WebForm<TenantForm>,
) -> PageResult {
    let (scope, name) = posted(&state, &session, &slug, &form.csrf).await?;
    let prefs = NotificationPrefs {
        billing_emails: ticked(&form.billing_emails),
        product_updates: ticked(&form.product_updates),
    };
    let email = form.billing_email.trim();
    let input = SettingsInput {
        notifications: Some(prefs),
        billing_email: Some((!email.is_empty()).then(|| email.to_owned())),
        ..SettingsInput::default()
    };
    match state.tenantry.update_tenant(&scope, input).await {
        Ok(_) => Ok(Redirect::to(&format!("/app/{slug}/settings/notifications?saved=1")).into_response()),
        Err(e) => {
            let e = PageError::from(e);
            let body = tenant_body(&session, &slug, prefs, email, false, Some(e.detail().as_str()));
            let page = page(&state, &scope, &t!("tenant-notifications-title"), nav(&session, &slug, &name), body).await;
            Ok((e.status(), page).into_response())
        }
    }
}

//! A person's own mail preferences (`/account/notifications`).

use crate::l10n::t;
use crate::state::AppState;
use crate::web::PageResult;
use crate::web::forms::{Saved, ticked};
use crate::web::layout::Page;
use crate::web::session::{Session, WebForm, field};
use axum::Router;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect};
use axum::routing::get;
use maud::{Markup, html};
use serde::Deserialize;
use tenantry_ports::services::notifications::{MailPrefsPatch, MailPrefsView};

/// Its pages.
pub(super) fn routes() -> Router<AppState> {
    Router::new().route("/account/notifications", get(prefs_page).post(save_prefs))
}

fn prefs_body(session: &Session, view: &MailPrefsView, saved: bool) -> Markup {
    html! {
        h1 { (t!("account-mail-title")) }
        @if saved { p.notice role="status" { (t!("account-saved")) } }
        p.hint { (t!("account-mail-always")) }
        form.card method="post" action="/account/notifications" {
            (field(session))
            @if view.receives_billing {
                label {
                    input #pref-billing type="checkbox" name="billing" checked[view.prefs.billing];
                    " " (t!("account-mail-billing"))
                }
                label {
                    input #pref-upcoming-invoice type="checkbox" name="upcoming_invoice" checked[view.prefs.upcoming_invoice];
                    " " (t!("account-mail-upcoming-invoice"))
                }
                p.hint {
                    (t!("account-mail-billing-notices"))
                    @if !view.tenant_billing_emails { " " (t!("account-mail-billing-off")) }
                }
            }
            label {
                input #pref-updates type="checkbox" name="product_updates" checked[view.prefs.product_updates];
                " " (t!("account-mail-product-updates"))
            }
            @if !view.tenant_product_updates {
                p.hint #updates-off { (t!("account-mail-product-updates-off")) }
            }
            button type="submit" { (t!("account-save")) }
        }
        p { a href="/" { (t!("account-back")) } }
    }
}

/// `GET /account/notifications`: the person's mail preferences.
pub(crate) async fn prefs_page(
    State(state): State<AppState>,
    session: Session,
    Query(saved): Query<Saved>,
) -> PageResult {
    let scope = state.tenantry.authorize_person(&session.principal).await?;
    let view = state.tenantry.my_mail_prefs(&scope).await?;
    Ok(Page::bare(&t!("account-mail-title"), prefs_body(&session, &view, saved.saved.is_some())).into_response())
}

#[derive(Deserialize)]
pub(crate) struct PrefsForm {
    csrf: String,
    billing: Option<String>,
    product_updates: Option<String>,
    upcoming_invoice: Option<String>,
}

/// `POST /account/notifications`: saves them (an unticked box is off; the
/// billing box is only an owner's or admin's).
pub(crate) async fn save_prefs(
    State(state): State<AppState>,
    session: Session,
    WebForm(form): WebForm<PrefsForm>,
) -> PageResult {
    session.check(&form.csrf)?;
    let scope = state.tenantry.authorize_person(&session.principal).await?;
    let current = state.tenantry.my_mail_prefs(&scope).await?;
    let patch = MailPrefsPatch {
        billing: current.receives_billing.then(|| ticked(&form.billing)),
        product_updates: Some(ticked(&form.product_updates)),
        upcoming_invoice: current.receives_billing.then(|| ticked(&form.upcoming_invoice)),
    };
    state.tenantry.set_my_mail_prefs(&scope, patch).await?;
    Ok(Redirect::to("/account/notifications?saved=1").into_response())
}

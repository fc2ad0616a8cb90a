//! A person's own mail preferences (`/account/notifications`).

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
        h1 { "Your mail" }
        @if saved { p.notice role="status" { "Saved." } }
        p.hint { "Mails about your own account (invitations, reset and verification links, a locked account, your \
                  data export) always reach you." }
        form.card method="post" action="/account/notifications" {
            (field(session))
            @if view.receives_billing {
                label {
                    input #pref-billing type="checkbox" name="billing" checked[view.prefs.billing];
                    " Billing mails I may refuse (a trial that became the paid plan)"
                }
                label {
                    input #pref-upcoming-invoice type="checkbox" name="upcoming_invoice" checked[view.prefs.upcoming_invoice];
                    " A warning before each invoice, with its amount"
                }
                p.hint {
                    "Notices that need action — the trial ending, a failed payment, a move to the free plan, users \
                     suspended — reach every owner and admin regardless."
                    @if !view.tenant_billing_emails { " Your workspace has switched the refusable ones off for everyone." }
                }
            }
            label {
                input #pref-updates type="checkbox" name="product_updates" checked[view.prefs.product_updates];
                " Product updates from the platform"
            }
            @if !view.tenant_product_updates {
                p.hint #updates-off { "Your workspace does not allow product updates: none reach you while it does not." }
            }
            button type="submit" { "Save" }
        }
        p { a href="/" { "Back" } }
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
    Ok(Page::bare("Your mail", prefs_body(&session, &view, saved.saved.is_some())).into_response())
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

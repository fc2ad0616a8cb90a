//! The superuser's product-update broadcast (`/admin/broadcasts`): compose, preview, send.

use crate::l10n::t;
use crate::state::AppState;
use crate::web::layout::{Page, alert, moment};
use crate::web::session::{Session, WebForm, field};
use crate::web::{PageError, PageResult};
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use maud::{Markup, html};
use serde::Deserialize;
use tenantry_ports::services::notifications::BroadcastDraft;

/// Its pages.
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/broadcasts", get(broadcasts).post(send))
        .route("/admin/broadcasts/preview", post(preview))
}

fn compose(session: &Session, subject: &str, text: &str, error: Option<&str>) -> Markup {
    html! {
        (alert(error))
        form.card #compose method="post" action="/admin/broadcasts/preview" {
            (field(session))
            label for="subject" { (t!("platform-broadcasts-field-subject")) }
            input #subject name="subject" value=(subject) maxlength="200" required;
            label for="body" { (t!("platform-broadcasts-field-text")) }
            textarea #body name="body" rows="12" maxlength="20000" required { (text) }
            p.hint { (t!("platform-broadcasts-field-text-hint")) }
            button type="submit" { (t!("platform-broadcasts-preview-button")) }
        }
    }
}

/// `GET /admin/broadcasts`: compose a product update.
pub(crate) async fn broadcasts(State(state): State<AppState>, session: Session) -> PageResult {
    crate::web::admin::platform(&state, &session).await?;
    let body = html! {
        h1 { (t!("platform-broadcasts-title")) }
        p.hint { (t!("platform-broadcasts-intro")) }
        (compose(&session, "", "", None))
    };
    Ok(admin_page(&session, body).into_response())
}

/// The compose form again with the refusal, nothing queued.
fn refused(session: &Session, form: &BroadcastForm, e: PageError) -> axum::response::Response {
    let body = html! { h1 { (t!("platform-broadcasts-title")) } (compose(session, &form.subject, &form.body, Some(e.detail().as_str()))) };
    (e.status(), admin_page(session, body)).into_response()
}

fn admin_page(session: &Session, body: Markup) -> Page {
    Page::new(&t!("platform-broadcasts-title"), crate::web::layout::Nav::Admin { csrf: session.csrf.clone() }, body)
}

#[derive(Deserialize)]
pub(crate) struct BroadcastForm {
    csrf: String,
    #[serde(default)]
    subject: String,
    #[serde(default)]
    body: String,
    /// The preview's idempotency key (a second click on Send sends once).
    key: Option<String>,
}

/// `POST /admin/broadcasts/preview`: the mail as it goes, how many get it,
/// and the Send button (nothing is queued yet).
pub(crate) async fn preview(
    State(state): State<AppState>,
    session: Session,
    WebForm(form): WebForm<BroadcastForm>,
) -> PageResult {
    session.check(&form.csrf)?;
    let who = crate::web::admin::platform(&state, &session).await?;
    let draft = BroadcastDraft { subject: form.subject.clone(), body: form.body.clone(), key: None };
    match state.tenantry.preview_broadcast(&who, &draft).await {
        Ok(preview) => {
            let rendered = state.mails.render(&preview.sample);
            let body = html! {
                h1 { (t!("platform-broadcasts-title")) }
                section.card #preview aria-labelledby="preview-h" {
                    h2 #preview-h { (t!("platform-broadcasts-preview-heading")) }
                    p #recipients {
                        (t!("platform-broadcasts-goes-to")) " " strong { (preview.recipients) } " "
                        (t!("platform-broadcasts-goes-to-rest", people = preview.recipients, tenants = preview.tenants))
                    }
                    // The mail itself as the mail templates write it (their own messages).
                    p { strong { (t!("platform-broadcasts-subject")) " " } (rendered.subject) }
                    pre.mail { (rendered.text) }
                    form method="post" action="/admin/broadcasts" {
                        (field(&session))
                        input type="hidden" name="subject" value=(form.subject);
                        input type="hidden" name="body" value=(form.body);
                        input type="hidden" name="key" value=(preview.key);
                        button #send type="submit" { (t!("platform-broadcasts-send", people = preview.recipients)) }
                    }
                }
                (compose(&session, &form.subject, &form.body, None))
            };
            Ok(admin_page(&session, body).into_response())
        }
        Err(e) => Ok(refused(&session, &form, e.into())),
    }
}

/// `POST /admin/broadcasts`: queues it (audited), and says how many and until when.
pub(crate) async fn send(
    State(state): State<AppState>,
    session: Session,
    WebForm(form): WebForm<BroadcastForm>,
) -> PageResult {
    session.check(&form.csrf)?;
    let who = crate::web::admin::platform(&state, &session).await?;
    let draft = BroadcastDraft { subject: form.subject.clone(), body: form.body.clone(), key: form.key.clone() };
    match state.tenantry.send_broadcast(&who, &draft).await {
        Ok(sent) => {
            let body = html! {
                h1 { (t!("platform-broadcasts-title")) }
                p.notice #queued role="status" {
                    (t!("platform-broadcasts-queued", people = sent.recipients, tenants = sent.tenants,
                        due = moment(sent.last_due_at)))
                    @if sent.tenants_already_done > 0 {
                        " " (t!("platform-broadcasts-queued-already", tenants = sent.tenants_already_done))
                    }
                }
                p {
                    a href="/admin/broadcasts" { (t!("platform-broadcasts-write-another")) } " · "
                    a href="/admin/jobs" { (t!("platform-broadcasts-jobs")) }
                }
            };
            Ok((StatusCode::ACCEPTED, admin_page(&session, body)).into_response())
        }
        Err(e) => Ok(refused(&session, &form, e.into())),
    }
}

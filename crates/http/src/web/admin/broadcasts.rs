//! The superuser's product-update broadcast (`/admin/broadcasts`): compose, preview, send.

use crate::state::AppState;
use crate::web::layout::{Page, alert};
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
            label for="subject" { "Subject" }
            input #subject name="subject" value=(subject) maxlength="200" required;
            label for="body" { "Text" }
            textarea #body name="body" rows="12" maxlength="20000" required { (text) }
            p.hint { "Plain text; a blank line starts a paragraph. Every mail ends with the person's own unsubscribe link." }
            button type="submit" { "Preview" }
        }
    }
}

/// `GET /admin/broadcasts`: compose a product update.
pub(crate) async fn broadcasts(State(state): State<AppState>, session: Session) -> PageResult {
    crate::web::admin::platform(&state, &session).await?;
    let body = html! {
        h1 { "Product updates" }
        p.hint { "Mailed to the people who opted in, in the workspaces that allow product updates — 120 a minute, \
                  through the outbox." }
        (compose(&session, "", "", None))
    };
    Ok(admin_page(&session, body).into_response())
}

/// The compose form again with the refusal, nothing queued.
fn refused(session: &Session, form: &BroadcastForm, e: PageError) -> axum::response::Response {
    let body = html! { h1 { "Product updates" } (compose(session, &form.subject, &form.body, Some(e.detail()))) };
    (e.status(), admin_page(session, body)).into_response()
}

fn admin_page(session: &Session, body: Markup) -> Page {
    Page::new("Product updates", crate::web::layout::Nav::Admin { csrf: session.csrf.clone() }, body)
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
                h1 { "Product updates" }
                section.card #preview aria-labelledby="preview-h" {
                    h2 #preview-h { "Preview" }
                    p #recipients { "Goes to " strong { (preview.recipients) } " people in " (preview.tenants) " workspaces." }
                    p { strong { "Subject: " } (rendered.subject) }
                    pre.mail { (rendered.text) }
                    form method="post" action="/admin/broadcasts" {
                        (field(&session))
                        input type="hidden" name="subject" value=(form.subject);
                        input type="hidden" name="body" value=(form.body);
                        input type="hidden" name="key" value=(preview.key);
                        button #send type="submit" { "Send to " (preview.recipients) " people" }
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
                h1 { "Product updates" }
                p.notice #queued role="status" {
                    "Queued for " (sent.recipients) " people in " (sent.tenants) " workspaces; the last falls due at "
                    (sent.last_due_at.format("%Y-%m-%d %H:%M UTC")) ". Failures show on the Jobs page."
                    @if sent.tenants_already_done > 0 {
                        " " (sent.tenants_already_done) " workspaces had it queued already (sent once)."
                    }
                }
                p { a href="/admin/broadcasts" { "Write another" } " · " a href="/admin/jobs" { "Jobs" } }
            };
            Ok((StatusCode::ACCEPTED, admin_page(&session, body)).into_response())
        }
        Err(e) => Ok(refused(&session, &form, e.into())),
    }
}

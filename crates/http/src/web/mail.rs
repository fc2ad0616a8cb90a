//! Mail on the web (issue 20): a person's own mail preferences
//! (`/account/notifications`), the tenant's (`/app/{slug}/settings/notifications`:
//! the refusable billing mails, product updates, the billing e-mail), the
//! superuser's product-update broadcast (`/admin/broadcasts`: compose, preview,
//! send) and the mailed unsubscribe link (`/unsubscribe`), which works without
//! signing in — also as a mail client's one-click POST (RFC 8058).

use super::app::{nav, page, posted, tenant};
use super::layout::{Page, alert};
use super::session::{Session, WebForm, field};
use super::{PageError, PageResult};
use crate::state::AppState;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use maud::{Markup, html};
use serde::Deserialize;
use tenantry_domain::tenant::NotificationPrefs;
use tenantry_ports::Principal;
use tenantry_ports::services::notifications::{BroadcastDraft, MailPrefsPatch, MailPrefsView};
use tenantry_ports::services::tenant::SettingsInput;

/// A checkbox: present when ticked.
fn ticked(value: &Option<String>) -> bool {
    value.is_some()
}

#[derive(Deserialize, Default)]
pub(crate) struct Saved {
    saved: Option<String>,
}

// ---------------------------------------------------------------- the person's own

async fn person_scope(state: &AppState, session: &Session) -> Result<tenantry_ports::TenantScope, PageError> {
    match session.principal {
        Principal::User { tenant_id, .. } | Principal::Impersonation { tenant_id, .. } => {
            Ok(state.tenantry.authorize(&session.principal, tenant_id).await?)
        }
        // The platform's operator has no tenant mail.
        _ => Err(PageError::not_found()),
    }
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
    let scope = person_scope(&state, &session).await?;
    let view = state.tenantry.my_mail_prefs(&scope).await?;
    Ok(Page::bare("Your mail", prefs_body(&session, &view, saved.saved.is_some())).into_response())
}

#[derive(Deserialize)]
pub(crate) struct PrefsForm {
    csrf: String,
    billing: Option<String>,
    product_updates: Option<String>,
}

/// `POST /account/notifications`: saves them (an unticked box is off; the
/// billing box is only an owner's or admin's).
pub(crate) async fn save_prefs(
    State(state): State<AppState>,
    session: Session,
    WebForm(form): WebForm<PrefsForm>,
) -> PageResult {
    session.check(&form.csrf)?;
    let scope = person_scope(&state, &session).await?;
    let current = state.tenantry.my_mail_prefs(&scope).await?;
    let patch = MailPrefsPatch {
        billing: current.receives_billing.then(|| ticked(&form.billing)),
        product_updates: Some(ticked(&form.product_updates)),
    };
    state.tenantry.set_my_mail_prefs(&scope, patch).await?;
    Ok(Redirect::to("/account/notifications?saved=1").into_response())
}

// ---------------------------------------------------------------- the tenant's

fn tenant_body(
    session: &Session,
    slug: &str,
    prefs: NotificationPrefs,
    billing_email: &str,
    saved: bool,
    error: Option<&str>,
) -> Markup {
    html! {
        h1 { "Notifications" }
        @if saved { p.notice role="status" { "Saved." } }
        (alert(error))
        form.card method="post" action={ "/app/" (slug) "/settings/notifications" } {
            (field(session))
            label for="billing-email" { "Billing e-mail" }
            input #billing-email name="billing_email" type="email" value=(billing_email) autocomplete="email";
            p.hint { "Every billing mail also goes here (an accounts-payable mailbox, say). Empty: owners and admins only." }
            label {
                input #tenant-billing type="checkbox" name="billing_emails" checked[prefs.billing_emails];
                " Billing mails we may refuse (a trial that became the paid plan)"
            }
            p.hint { "The trial ending, a failed payment or one needing action, a move to the free plan and users \
                      suspended are always mailed: they need someone to act." }
            label {
                input #tenant-updates type="checkbox" name="product_updates" checked[prefs.product_updates];
                " Let our people receive the platform's product updates (each person still opts in)"
            }
            button type="submit" { "Save" }
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
    Ok(page(&state, &scope, "Notifications", nav(&session, &slug, &name), body).await.into_response())
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
            let body = tenant_body(&session, &slug, prefs, email, false, Some(e.detail()));
            let page = page(&state, &scope, "Notifications", nav(&session, &slug, &name), body).await;
            Ok((e.status(), page).into_response())
        }
    }
}

// ---------------------------------------------------------------- the superuser's broadcast

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
    super::admin::platform(&state, &session).await?;
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
    Page::new("Product updates", super::layout::Nav::Admin { csrf: session.csrf.clone() }, body)
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
    let who = super::admin::platform(&state, &session).await?;
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
    let who = super::admin::platform(&state, &session).await?;
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

// ---------------------------------------------------------------- the unsubscribe link

#[derive(Deserialize, Default)]
pub(crate) struct TokenQuery {
    token: Option<String>,
}

/// `GET /unsubscribe?token=`: the mailed link's page — a button, so that a
/// link checker that follows links unsubscribes nobody.
pub(crate) async fn unsubscribe_page(Query(q): Query<TokenQuery>) -> PageResult {
    let token = q.token.unwrap_or_default();
    let body = html! {
        h1 { "Unsubscribe" }
        p { "Stop receiving the platform's product updates at this address? Mails about your account and billing \
             are not affected." }
        form.card method="post" action="/unsubscribe" {
            input type="hidden" name="token" value=(token);
            button #unsubscribe type="submit" { "Unsubscribe" }
        }
    };
    Ok(Page::bare("Unsubscribe", body).into_response())
}

/// `POST /unsubscribe`: from the page's button (the token in the form), or a
/// mail client's one-click POST (RFC 8058: the token in the URL, a body of
/// `List-Unsubscribe=One-Click` sent as a form or as `multipart/form-data`,
/// which is not read). A post from another site's page is refused.
pub(crate) async fn unsubscribe(
    State(state): State<AppState>,
    Query(q): Query<TokenQuery>,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> PageResult {
    if !super::session::same_site(&headers) {
        return Err(PageError::new(StatusCode::FORBIDDEN, "cross_site_form", "This form was posted by another site."));
    }
    let urlencoded = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("application/x-www-form-urlencoded"));
    let from_form =
        urlencoded.then(|| serde_urlencoded::from_bytes::<TokenQuery>(&body).ok().and_then(|f| f.token)).flatten();
    let token = from_form.or(q.token).unwrap_or_default();
    match state.tenantry.unsubscribe(&token).await {
        Ok(()) => Ok(Page::bare(
            "Unsubscribed",
            html! {
                h1 { "Unsubscribed" }
                p #unsubscribed role="status" { "You will receive no more product updates. You can opt in again under \
                                                 “Your mail” once signed in." }
            },
        )
        .into_response()),
        Err(e) => {
            let e = PageError::from(e);
            let body = html! { h1 { "Unsubscribe" } (alert(Some(e.detail()))) };
            Ok((e.status(), Page::bare("Unsubscribe", body)).into_response())
        }
    }
}

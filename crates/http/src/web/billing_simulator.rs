//! The billing simulator's own hosted pages, where Stripe's stand when the
//! simulator is the payment provider (the embedded default, or PostgreSQL with
//! `TENANTRY_BILLING=simulator` for a demo or a test): Checkout (add a payment
//! method: pick a test card) and the Customer Portal (replace the card, see the
//! invoices).
//!
//! A page acts only for a signed-in user of the session's tenant with the
//! billing permission: an anonymous browser is sent to the login (and back),
//! another tenant's user gets 404 (the attempt audited, as everywhere), a user
//! without `billing:manage` 403. Session ids are 256 random bits and end
//! (Checkout after 24 hours, the Portal after one). Forms carry the web
//! session's CSRF token; `return_to` is followed only when it is a plain path
//! on this service.
//!
//! An invoice's page and its PDF open for whoever holds the invoice's link (a
//! random key in it, compared in constant time), as Stripe's hosted invoice
//! pages and PDF links do: the invoice mail's reader need not sign in. A wrong
//! key or id is 404.
//!
//! The pages are in the reader's language; the PDF (rendered by the memory
//! adapter) and the invoice lines' descriptions the simulator writes stay English.

use super::{PageError, PageResult};
use crate::l10n::t;
use crate::state::AppState;
use crate::web::layout::{Page, day, money};
use crate::web::session::{Session, WebForm, field, login_then, safe_path};
use axum::extract::{OriginalUri, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use maud::{Markup, html};
use serde::Deserialize;
use tenantry_memory::simulator::{HostedPage, HostedSessionInfo, SimulatorError};
use tenantry_memory::{BillingSimulator, TestCard, run_timeline};
use tenantry_ports::payment::InvoiceStatus;
use tenantry_ports::{PaymentProvider, TenantScope};

/// Where the pages go back to.
#[derive(Deserialize)]
pub(crate) struct Back {
    return_to: Option<String>,
}

/// A card chosen on a page.
#[derive(Deserialize)]
pub(crate) struct CardForm {
    csrf: String,
    card: String,
    return_to: Option<String>,
}

fn card(name: &str) -> Result<TestCard, PageError> {
    match name {
        "succeeds" => Ok(TestCard::Succeeds),
        "declines" => Ok(TestCard::Declines),
        "requires_action" => Ok(TestCard::RequiresAction),
        _ => Err(PageError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_card", &t!("billing-simulator-error-card"))),
    }
}

/// Why the simulator refused a card, in the reader's language.
fn refused(e: &SimulatorError) -> String {
    match e {
        SimulatorError::Unknown => t!("billing-simulator-error-unknown"),
        SimulatorError::AlreadyCompleted => t!("billing-simulator-error-completed"),
        SimulatorError::Expired => t!("billing-simulator-error-expired"),
    }
}

/// An invoice's status as its reader says it (also the billing page's invoice list).
pub(crate) fn invoice_status(status: InvoiceStatus) -> String {
    match status {
        InvoiceStatus::Draft => t!("billing-invoice-draft"),
        InvoiceStatus::Open => t!("billing-invoice-open"),
        InvoiceStatus::Paid => t!("billing-invoice-paid"),
        InvoiceStatus::Void => t!("billing-invoice-void"),
        InvoiceStatus::Uncollectible => t!("billing-invoice-uncollectible"),
    }
}

fn simulator(state: &AppState) -> Result<&BillingSimulator, PageError> {
    state.simulator.as_ref().ok_or_else(PageError::not_found)
}

/// The session `id` opened on `page`, for a signed-in user of its tenant who
/// may manage billing: the tenant's scope (404 for an unknown, expired or
/// other page's id and for another tenant's user, 403 without the permission).
async fn authorised(
    state: &AppState,
    session: &Session,
    id: &str,
    page: HostedPage,
) -> Result<(HostedSessionInfo, TenantScope), PageError> {
    let hosted = simulator(state)?.hosted_session(id).filter(|h| h.page == page).ok_or_else(PageError::not_found)?;
    let scope = state.tenantry.authorize(&session.principal, hosted.tenant_id).await?;
    state.tenantry.require_hosted_billing(&scope, page == HostedPage::Checkout).await?;
    crate::l10n::settle_scope(state, &scope).await;
    Ok((hosted, scope))
}

fn frame(title: &str, body: Markup) -> Page {
    Page::bare(
        title,
        html! {
            p.notice role="note" { strong { (t!("billing-simulator")) } " " (t!("billing-simulator-note")) }
            h1 { (title) }
            (body)
        },
    )
}

fn card_buttons(session: &Session, action: &str, return_to: &str) -> Markup {
    html! {
        form.card method="post" action=(action) {
            (field(session))
            input type="hidden" name="return_to" value=(return_to);
            button type="submit" name="card" value="succeeds" { (t!("billing-simulator-card-succeeds")) }
            button type="submit" name="card" value="declines" { (t!("billing-simulator-card-declines")) }
            button type="submit" name="card" value="requires_action" {
                (t!("billing-simulator-card-requires-action"))
            }
        }
    }
}

/// `GET /billing/simulator/checkout/{id}`.
pub(crate) async fn checkout_page(
    State(state): State<AppState>,
    session: Option<Session>,
    OriginalUri(uri): OriginalUri,
    Path(id): Path<String>,
    Query(back): Query<Back>,
) -> PageResult {
    let Some(session) = session else { return Ok(login_then(&uri)) };
    authorised(&state, &session, &id, HostedPage::Checkout).await?;
    let back = safe_path(back.return_to.as_deref());
    Ok(frame(
        &t!("billing-add-payment-method"),
        html! {
            p { (t!("billing-simulator-checkout-intro")) }
            (card_buttons(&session, &format!("/billing/simulator/checkout/{id}"), &back))
        },
    )
    .into_response())
}

/// `POST /billing/simulator/checkout/{id}`.
pub(crate) async fn checkout_submit(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<String>,
    WebForm(form): WebForm<CardForm>,
) -> PageResult {
    session.check(&form.csrf)?;
    authorised(&state, &session, &id, HostedPage::Checkout).await?;
    let sim = simulator(&state)?;
    let chosen = card(&form.card)?;
    sim.complete_checkout(&id, chosen)
        .map_err(|e| PageError::new(StatusCode::CONFLICT, "checkout_closed", &refused(&e)))?;
    // What a webhook would bring: the provider's events, applied now.
    run_timeline(&state.tenantry, sim).await;
    Ok(Redirect::to(&safe_path(form.return_to.as_deref())).into_response())
}

/// `GET /billing/simulator/portal/{id}`.
pub(crate) async fn portal_page(
    State(state): State<AppState>,
    session: Option<Session>,
    OriginalUri(uri): OriginalUri,
    Path(id): Path<String>,
    Query(back): Query<Back>,
) -> PageResult {
    let Some(session) = session else { return Ok(login_then(&uri)) };
    let (hosted, _) = authorised(&state, &session, &id, HostedPage::Portal).await?;
    let back = safe_path(back.return_to.as_deref());
    let invoices = simulator(&state)?.invoices(&hosted.customer).await.unwrap_or_default();
    Ok(frame(
        &t!("billing-simulator-portal"),
        html! {
            h2 { (t!("billing-invoices")) }
            div.scroll {
                table {
                    thead { tr {
                        th { (t!("billing-invoice")) } th { (t!("billing-date")) } th { (t!("billing-status")) }
                        th { (t!("billing-total")) }
                    } }
                    tbody {
                        @for i in &invoices {
                            tr {
                                td { code { (i.number.as_deref().unwrap_or(&i.id)) } }
                                td { (day(i.created_at)) }
                                td { (invoice_status(i.status)) }
                                td { (money(i.total)) }
                            }
                        }
                    }
                }
            }
            h2 { (t!("billing-simulator-replace")) }
            (card_buttons(&session, &format!("/billing/simulator/portal/{id}"), &back))
            p { a href=(back) { (t!("billing-simulator-back")) } }
        },
    )
    .into_response())
}

/// `POST /billing/simulator/portal/{id}`.
pub(crate) async fn portal_submit(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<String>,
    WebForm(form): WebForm<CardForm>,
) -> PageResult {
    session.check(&form.csrf)?;
    let (hosted, _) = authorised(&state, &session, &id, HostedPage::Portal).await?;
    let sim = simulator(&state)?;
    let chosen = card(&form.card)?;
    sim.attach_card(&hosted.customer, chosen)
        .map_err(|e| PageError::new(StatusCode::CONFLICT, "portal_closed", &refused(&e)))?;
    run_timeline(&state.tenantry, sim).await;
    Ok(Redirect::to(&safe_path(form.return_to.as_deref())).into_response())
}

/// The key of an invoice's link.
#[derive(Deserialize)]
pub(crate) struct InvoiceKey {
    key: Option<String>,
}

fn invoice_document(
    state: &AppState,
    id: &str,
    key: &InvoiceKey,
) -> Result<tenantry_memory::invoice_pdf::InvoiceDocument, PageError> {
    let key = key.key.as_deref().ok_or_else(PageError::not_found)?;
    simulator(state)?.invoice_document(id, key).ok_or_else(PageError::not_found)
}

/// `GET /billing/simulator/invoices/{id}?key=…`: the invoice as a page, with its PDF.
pub(crate) async fn invoice_page(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(key): Query<InvoiceKey>,
) -> PageResult {
    let doc = invoice_document(&state, &id, &key)?;
    let i = &doc.invoice;
    let number = i.number.clone().unwrap_or_else(|| i.id.clone());
    let pdf = i.pdf_url.clone().unwrap_or_default();
    let body = html! {
        p {
            (t!("billing-simulator-invoice-to")) " " strong { (doc.customer.name) }
            " · " (day(i.created_at)) " · " (invoice_status(i.status))
        }
        div.scroll {
            table #invoice-lines {
                thead { tr {
                    th { (t!("billing-simulator-description")) } th.num { (t!("billing-simulator-quantity")) }
                    th.num { (t!("billing-amount")) }
                } }
                tbody {
                    @for l in &i.lines {
                        tr { td { (l.description) } td.num { (l.quantity) } td.num { (money(l.amount)) } }
                    }
                }
                tfoot {
                    tr {
                        th scope="row" colspan="2" { (t!("billing-simulator-subtotal")) } td.num { (money(i.subtotal)) }
                    }
                    @if doc.customer.vat_id.is_some() && doc.customer.country.is_some() {
                        tr { th scope="row" colspan="2" { (t!("billing-vat")) } td.num { (money(i.tax)) } }
                    }
                    tr {
                        th scope="row" colspan="2" { (t!("billing-total")) } td.num #invoice-total { (money(i.total)) }
                    }
                }
            }
        }
        p { a #invoice-pdf href=(pdf) { (t!("billing-simulator-pdf")) } }
    };
    let mut response = frame(&t!("billing-simulator-invoice-title", number = number), body).into_response();
    private(&mut response);
    Ok(response)
}

/// `GET /billing/simulator/invoices/{id}/pdf?key=…`: the invoice's PDF, as a
/// download that no browser sniffs into something else.
pub(crate) async fn invoice_pdf(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(key): Query<InvoiceKey>,
) -> PageResult {
    use axum::http::{HeaderValue, header};
    let doc = invoice_document(&state, &id, &key)?;
    let bytes = tenantry_memory::invoice_pdf::invoice_pdf(&doc, "tenantry (billing simulator)");
    // The number is the simulator's own `SIM-000001`: safe in a header.
    let name = doc.invoice.number.clone().unwrap_or_else(|| doc.invoice.id.clone());
    let disposition = HeaderValue::from_str(&format!("attachment; filename=\"{name}.pdf\""))
        .unwrap_or_else(|_| HeaderValue::from_static("attachment"));
    let mut response = ([(header::CONTENT_TYPE, HeaderValue::from_static("application/pdf"))], bytes).into_response();
    response.headers_mut().insert(header::CONTENT_DISPOSITION, disposition);
    response.headers_mut().insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    private(&mut response);
    Ok(response)
}

/// An invoice is no one else's: not kept by shared caches, not sent on as a referrer.
fn private(response: &mut axum::response::Response) {
    use axum::http::{HeaderValue, header};
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    response.headers_mut().insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
}

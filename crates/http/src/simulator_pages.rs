//! The billing simulator's own minimal hosted pages, served when Stripe is not
//! configured: Checkout (add a payment method: pick a test card) and the
//! Customer Portal (replace the card, see the invoices). They stand where
//! Stripe's pages stand, so that the flows of the API are whole without Stripe.
//!
//! Plain HTML forms, no script; a strict Content-Security-Policy. `return_to`
//! is followed only when it is a path on this service (no open redirect).

use crate::problem::ApiError;
use crate::state::AppState;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use serde::Deserialize;
use tenantry_ports::PaymentProvider;
use tenantry_testkit::TestCard;
use tenantry_testkit::harness::run_timeline;

const CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'";

/// The pages' routes (mounted by [`crate::router`] when the state has a simulator).
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/billing/simulator/checkout/{id}", get(checkout_page).post(checkout_submit))
        .route("/billing/simulator/portal/{id}", get(portal_page).post(portal_submit))
}

#[derive(Deserialize)]
struct Back {
    return_to: Option<String>,
}

#[derive(Deserialize)]
struct CardForm {
    card: String,
    return_to: Option<String>,
}

fn card(name: &str) -> Result<TestCard, ApiError> {
    match name {
        "succeeds" => Ok(TestCard::Succeeds),
        "declines" => Ok(TestCard::Declines),
        "requires_action" => Ok(TestCard::RequiresAction),
        _ => Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_card",
            "card must be succeeds, declines or requires_action",
        )),
    }
}

/// A path on this service, or `/`.
fn safe_return(to: Option<&str>) -> String {
    match to {
        Some(path) if path.starts_with('/') && !path.starts_with("//") && !path.contains('\\') => path.to_owned(),
        _ => "/".to_owned(),
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&#39;")
}

fn page(title: &str, body: &str) -> Response {
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" \
         content=\"width=device-width\"><title>{title}</title><style>body{{font:16px system-ui;max-width:36rem;\
         margin:2rem auto;padding:0 1rem}}button{{display:block;margin:.5rem 0;padding:.5rem 1rem}}\
         table{{border-collapse:collapse}}td,th{{padding:.25rem .5rem;border-bottom:1px solid #ccc}}</style></head>\
         <body><p><strong>Billing simulator</strong> — no real payment is made.</p><h1>{title}</h1>{body}</body></html>",
        title = escape(title)
    );
    let mut response = (StatusCode::OK, axum::response::Html(html)).into_response();
    response.headers_mut().insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    response
}

fn simulator(state: &AppState) -> Result<&tenantry_testkit::BillingSimulator, ApiError> {
    state.simulator.as_ref().ok_or_else(ApiError::not_found)
}

fn card_buttons(action: &str, return_to: &str) -> String {
    format!(
        "<form method=\"post\" action=\"{action}\"><input type=\"hidden\" name=\"return_to\" value=\"{back}\">\
         <button name=\"card\" value=\"succeeds\">Test card: payments succeed</button>\
         <button name=\"card\" value=\"declines\">Test card: payments are declined</button>\
         <button name=\"card\" value=\"requires_action\">Test card: payments need confirmation (3-D Secure)</button>\
         </form>",
        action = escape(action),
        back = escape(return_to)
    )
}

async fn checkout_page(State(state): State<AppState>, Path(id): Path<String>, Query(back): Query<Back>) -> Response {
    let Ok(sim) = simulator(&state) else { return ApiError::not_found().into_response() };
    if sim.session_customer(&id).is_none() {
        return ApiError::not_found().into_response();
    }
    let back = safe_return(back.return_to.as_deref());
    page(
        "Add a payment method",
        &format!(
            "<p>Choose the test card to save for this customer.</p>{}",
            card_buttons(&format!("/billing/simulator/checkout/{id}"), &back)
        ),
    )
}

async fn checkout_submit(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Form(form): Form<CardForm>,
) -> Result<Response, ApiError> {
    let sim = simulator(&state)?;
    let chosen = card(&form.card)?;
    sim.complete_checkout(&id, chosen)
        .map_err(|e| ApiError::new(StatusCode::CONFLICT, "checkout_closed", e.to_string()))?;
    // What a webhook would bring: the provider's events, applied now.
    run_timeline(&state.tenantry, sim).await;
    Ok(Redirect::to(&safe_return(form.return_to.as_deref())).into_response())
}

async fn portal_page(State(state): State<AppState>, Path(id): Path<String>, Query(back): Query<Back>) -> Response {
    let Ok(sim) = simulator(&state) else { return ApiError::not_found().into_response() };
    let Some(customer) = sim.session_customer(&id) else { return ApiError::not_found().into_response() };
    let back = safe_return(back.return_to.as_deref());
    let invoices = sim.invoices(&customer).await.unwrap_or_default();
    let rows: String = invoices
        .iter()
        .map(|i| {
            format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(i.number.as_deref().unwrap_or(&i.id)),
                i.created_at.format("%Y-%m-%d"),
                escape(&format!("{:?}", i.status)),
                i.total
            )
        })
        .collect();
    page(
        "Billing portal",
        &format!(
            "<h2>Invoices</h2><table><tr><th>invoice</th><th>date</th><th>status</th><th>total</th></tr>{rows}</table>\
             <h2>Replace the payment method</h2>{}<p><a href=\"{}\">Back</a></p>",
            card_buttons(&format!("/billing/simulator/portal/{id}"), &back),
            escape(&back)
        ),
    )
}

async fn portal_submit(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Form(form): Form<CardForm>,
) -> Result<Response, ApiError> {
    let sim = simulator(&state)?;
    let customer = sim.session_customer(&id).ok_or_else(ApiError::not_found)?;
    let chosen = card(&form.card)?;
    sim.attach_card(&customer, chosen)
        .map_err(|e| ApiError::new(StatusCode::CONFLICT, "portal_closed", e.to_string()))?;
    run_timeline(&state.tenantry, sim).await;
    Ok(Redirect::to(&safe_return(form.return_to.as_deref())).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_paths_on_this_service_are_followed() {
        assert_eq!(safe_return(Some("/v1/billing/return")), "/v1/billing/return");
        assert_eq!(safe_return(Some("https://evil.example.com")), "/");
        assert_eq!(safe_return(Some("//evil.example.com")), "/");
        assert_eq!(safe_return(Some("/\\evil.example.com")), "/");
        assert_eq!(safe_return(None), "/");
    }

    #[test]
    fn html_is_escaped() {
        assert_eq!(escape("<a href=\"x\">'&'</a>"), "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
    }
}

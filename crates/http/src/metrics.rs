//! Prometheus metrics at `/metrics`: `http_requests_total` by method, route
//! template and status, and `http_request_duration_seconds` (a histogram) by
//! method and route template. Routes are templates (`/v1/tenants/{tid}/users`),
//! so no tenant id or other value of a request becomes a label, and methods
//! are the standard ones (`OTHER` for the rest), so a client cannot create
//! series by inventing methods.
//!
//! The figures are the operator's, not the internet's: the main listener
//! answers `/metrics` only to `Authorization: Bearer <TENANTRY_METRICS_TOKEN>`
//! (404 without a token configured, 401 with a wrong one); or the binary serves
//! them on a listener of their own (`TENANTRY_METRICS_ADDR`, e.g. an address
//! only the scraper reaches), which needs no token.

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::sync::OnceLock;
use std::time::Instant;

/// Latency buckets, in seconds.
const BUCKETS: &[f64] = &[0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0];

/// The process's recorder (installed on first use; one per process, as metrics are global).
fn handle() -> Option<&'static PrometheusHandle> {
    static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Full("http_request_duration_seconds".into()), BUCKETS)
                .ok()?;
            match builder.install_recorder() {
                Ok(handle) => Some(handle),
                Err(e) => {
                    tracing::warn!(error = %e, "metrics recorder not installed; /metrics stays empty");
                    None
                }
            }
        })
        .as_ref()
}

/// Counts and times every request.
pub async fn track(request: Request, next: Next) -> Response {
    let _ = handle();
    let route =
        request.extensions().get::<MatchedPath>().map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let method = method_label(request.method());
    let started = Instant::now();
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    metrics::counter!("http_requests_total", "method" => method, "route" => route.clone(), "status" => status)
        .increment(1);
    metrics::histogram!("http_request_duration_seconds", "method" => method, "route" => route)
        .record(started.elapsed().as_secs_f64());
    response
}

/// A method's label: the standard methods by name, every other `OTHER`.
pub fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        Method::TRACE => "TRACE",
        Method::CONNECT => "CONNECT",
        _ => "OTHER",
    }
}

/// `GET /metrics` on the main listener: for the bearer of the metrics token only.
pub async fn guarded(State(state): State<crate::state::AppState>, headers: HeaderMap) -> Response {
    use secrecy::ExposeSecret;
    use subtle::ConstantTimeEq;
    let Some(token) = state.metrics_token.as_deref() else {
        return crate::problem::ApiError::not_found().into_response();
    };
    let presented = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    let expected = token.expose_secret().as_bytes();
    if presented.len() == expected.len() && bool::from(presented.as_bytes().ct_eq(expected)) {
        render().await
    } else {
        crate::problem::ApiError::unauthenticated("the metrics token is missing or wrong").into_response()
    }
}

/// The Prometheus text format (the separate metrics listener serves it as is).
pub async fn render() -> Response {
    let body = handle().map(PrometheusHandle::render).unwrap_or_default();
    ([(axum::http::header::CONTENT_TYPE, "text/plain; version=0.0.4")], body).into_response()
}

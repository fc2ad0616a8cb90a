//! # tenantry-http
//!
//! tenantry's v1 HTTP API (DESIGN.md section 4) as an axum router a product can
//! mount in its own app — [`router`] — and the `tenantry` binary that serves it
//! on the embedded default (in memory, with the local billing simulator) or on
//! PostgreSQL.
//!
//! Every handler is a thin adapter over one use case of [`tenantry_ports::Tenantry`]:
//! it parses the request, calls the use case, and answers its view as JSON or
//! its typed error as RFC 9457 problem+json ([`problem`]). Wall 3 lives in the
//! extractors ([`auth`]): a token proves identity only; the tenant in the path is
//! authorised by the use cases' front door, which answers 404 for another
//! tenant's — exactly as for a missing one — and audits the attempt.
//!
//! ## Invariants (stated as absences)
//!
//! - No handler holds a business rule; no handler reads a store.
//! - No response carries a password, password hash, token hash or signing key;
//!   tokens appear only in the answers that hand them out.
//! - No client mistake answers 500: bodies, queries and paths are parsed into
//!   typed errors (422, 404) before any use case runs.

mod api;
pub mod auth;
pub mod client;
pub(crate) mod l10n;
pub mod meter;
pub mod metrics;
pub mod openapi;
pub mod problem;
pub mod ratelimit;
pub mod state;
pub mod throttle;
mod web;

pub use state::{AppState, Shared};

use axum::Router;
use axum::http::{HeaderName, HeaderValue, header};
use axum::routing::get;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

/// The largest request body accepted (64 KiB: every v1 body is small JSON).
pub const BODY_LIMIT: usize = 64 * 1024;

/// The v1 API, health endpoints and the common layers (request ids, security
/// headers, body limit, tracing that never records bodies or headers).
pub fn router(state: AppState) -> Router {
    router_with_product(state, Router::new())
}

/// [`router`] with a product's own routes mounted under `/v1/tenants/{tid}/`,
/// beside tenantry's. Their handlers take [`auth::InTenant`] to receive the
/// authorised scope, so wall 3 applies to them unchanged (another tenant's
/// `{tid}` answers 404 and is audited), as do the tenant's rate limit and its
/// headers, and the common layers. Permissions registered by the product are
/// checked with [`tenantry_ports::Tenantry::require_permission`]. A product
/// route that collides with one of tenantry's panics when the router is built
/// (at start-up, never on a request).
pub fn router_with_product(state: AppState, product: Router<AppState>) -> Router {
    let api::Api { anonymous, tenant, other } = api::api();
    // What anyone can call: the per-address throttle first (issue 18; the
    // handlers add the per-account one).
    let (anonymous, _) = anonymous
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), throttle::per_address))
        .split_for_parts();
    let (tenant, _) = tenant.split_for_parts();
    let tenant = tenant
        .merge(Router::new().nest("/v1/tenants/{tid}", product))
        .layer(axum::middleware::from_fn(auth::rate_limit_headers));
    let (other, _) = other.split_for_parts();
    let request_id = HeaderName::from_static("x-request-id");
    let pages = if state.simulator.is_some() { web::simulator_routes() } else { Router::new() };
    // Served behind https (TENANTRY_PUBLIC_URL): browsers are told never to use plain http for a year.
    let https = state.public_url.as_deref().is_some_and(|url| url.starts_with("https://"));
    let hsts = https.then(|| {
        SetResponseHeaderLayer::overriding(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        )
    });
    Router::new()
        .merge(pages)
        .merge(web::routes(&state))
        .merge(
            Router::from(
                utoipa_swagger_ui::SwaggerUi::new("/docs")
                    .url("/openapi.json", openapi::document()),
            )
            // Swagger UI is served from the binary: nothing from elsewhere may load.
            .layer(SetResponseHeaderLayer::if_not_present(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(
                    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; \
                     img-src 'self' data:; frame-ancestors 'none'",
                ),
            )),
        )
        .route("/metrics", get(metrics::guarded))
        .merge(anonymous)
        .merge(tenant)
        .merge(other)
        .fallback(web::unknown)
        .with_state(state)
        // The reader's language and time zone, for pages and problem texts (issue 25).
        .layer(axum::middleware::from_fn(l10n::layer))
        // The body extractors refuse more (413 as problem+json, see `problem`).
        .layer(axum::extract::DefaultBodyLimit::max(BODY_LIMIT))
        .layer(SetResponseHeaderLayer::overriding(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
        .layer(SetResponseHeaderLayer::overriding(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")))
        .layer(SetResponseHeaderLayer::overriding(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer")))
        .layer(SetResponseHeaderLayer::if_not_present(header::CACHE_CONTROL, HeaderValue::from_static("no-store")))
        // Spans name the path only: a query may carry a link's secret (the invitation mail's link).
        .layer(TraceLayer::new_for_http().make_span_with(|request: &axum::http::Request<_>| {
            tracing::debug_span!("request", method = %request.method(), path = %request.uri().path())
        }))
        .layer(tower::util::option_layer(hsts))
        .layer(axum::middleware::from_fn(metrics::track))
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
}

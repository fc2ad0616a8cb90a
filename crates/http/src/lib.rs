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

pub mod auth;
pub mod client;
pub mod meter;
pub mod metrics;
pub mod openapi;
pub mod problem;
pub mod ratelimit;
mod routes;
pub mod state;
pub mod throttle;
mod web;
mod webhooks;

pub use state::AppState;

use axum::Router;
use axum::http::{HeaderName, HeaderValue, header};
use axum::routing::{get, post};
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
    let tenant = Router::new()
        .route("/", get(routes::get_tenant).patch(routes::patch_tenant))
        .route("/users", get(routes::list_users))
        .route("/users/{uid}", get(routes::get_user).patch(routes::patch_user).delete(routes::delete_user))
        .route("/users/{uid}/erase", post(routes::erase_user))
        .route("/owner", post(routes::transfer_owner))
        .route("/deletion", post(routes::request_deletion).delete(routes::cancel_deletion))
        .route("/invitations", get(routes::list_invitations).post(routes::invite))
        .route("/invitations/{iid}", axum::routing::delete(routes::revoke_invitation))
        .route("/invitations/{iid}/resend", post(routes::resend_invitation))
        .route("/roles", get(routes::list_roles).post(routes::create_role))
        .route("/roles/{rid}", axum::routing::patch(routes::patch_role).delete(routes::delete_role))
        .route("/api-keys", get(routes::list_api_keys).post(routes::create_api_key))
        .route("/api-keys/{kid}", axum::routing::delete(routes::revoke_api_key))
        .route("/subscription", get(routes::subscription))
        .route("/subscription/preview", post(routes::preview))
        .route("/subscription/seats", post(routes::change_seats))
        .route("/subscription/plan", post(routes::change_plan))
        .route("/subscription/cancel", post(routes::cancel))
        .route("/subscription/continue-free", post(routes::continue_free))
        .route("/billing/checkout", post(routes::checkout))
        .route("/billing/portal", post(routes::portal))
        .route("/invoices", get(routes::invoices))
        .route("/audit-events", get(routes::audit_events))
        .route("/usage", get(routes::usage))
        .route("/exports", get(routes::list_exports).post(routes::request_export))
        .route("/exports/{eid}", get(routes::export_status))
        .route("/exports/{eid}/download", get(routes::download_export))
        .route("/ads/decision", get(routes::ad_decision))
        .route("/ads/{cid}/impression", post(routes::ad_impression))
        .route("/ads/{cid}/click", post(routes::ad_click))
        .merge(product)
        .layer(axum::middleware::from_fn(auth::rate_limit_headers));
    let admin = Router::new()
        .route("/tenants", get(routes::admin_tenants).post(routes::admin_create_tenant))
        .route(
            "/tenants/{tid}",
            get(routes::admin_tenant).patch(routes::admin_patch_tenant).delete(routes::admin_delete_tenant),
        )
        .route("/tenants/{tid}/users/{uid}/password-reset", post(routes::admin_password_reset))
        .route("/tenants/{tid}/users/{uid}/mfa", axum::routing::delete(routes::admin_reset_mfa))
        .route("/tenants/{tid}/impersonate", post(routes::impersonate))
        .route("/tenants/{tid}/backups", post(routes::admin_backup))
        .route(
            "/tenants/{tid}/restore",
            post(routes::admin_restore).layer(axum::extract::DefaultBodyLimit::max(routes::RESTORE_LIMIT)),
        )
        .route("/stats", get(routes::admin_stats))
        .route("/jobs", get(routes::admin_jobs))
        .route("/broadcasts", post(routes::admin_send_broadcast))
        .route("/broadcasts/preview", post(routes::admin_preview_broadcast))
        .route("/tenants/{tid}/jobs/{job_id}/retry", post(routes::admin_retry_job))
        .route("/settings", get(routes::admin_settings).patch(routes::admin_patch_settings))
        .route("/audit-events", get(routes::admin_audit))
        .route("/ads/campaigns", get(routes::list_campaigns).post(routes::create_campaign))
        .route(
            "/ads/campaigns/{cid}",
            get(routes::campaign_stats).put(routes::update_campaign).delete(routes::delete_campaign),
        );
    // What anyone can call: the per-address throttle first (issue 18; the
    // handlers add the per-account one).
    let anonymous = Router::new()
        .route("/signup", post(routes::signup))
        .route("/auth/login", post(routes::login))
        .route("/auth/mfa", post(routes::mfa_login))
        .route("/auth/password-reset", post(routes::password_reset))
        .route("/auth/verify-email", post(routes::verify_email))
        .route("/auth/password-reset/confirm", post(routes::password_reset_confirm))
        .route("/invitations/accept", post(routes::accept_invitation))
        .route("/unsubscribe", post(routes::unsubscribe))
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), throttle::per_address));
    let v1 = Router::new()
        .merge(anonymous)
        .route("/auth/refresh", post(routes::refresh))
        .route("/auth/logout", post(routes::logout))
        .route("/me/mfa", get(routes::mfa_status).post(routes::mfa_start).delete(routes::mfa_disable))
        .route("/me/mfa/confirm", post(routes::mfa_confirm))
        .route("/me/mfa/recovery-codes", post(routes::mfa_recovery_codes))
        .route("/me/email-verification", post(routes::resend_verification))
        .route("/me/notifications", get(routes::my_notifications).patch(routes::patch_my_notifications))
        .route("/me", get(routes::me))
        .route("/me/sessions", get(routes::my_sessions).delete(routes::end_all_sessions))
        .route("/me/sessions/{sid}", axum::routing::delete(routes::end_my_session))
        // Stripe's events (an invoice with many lines) outgrow the API's body limit.
        .route(
            "/webhooks/stripe",
            post(webhooks::stripe).layer(axum::extract::DefaultBodyLimit::max(webhooks::BODY_LIMIT)),
        )
        .nest("/tenants/{tid}", tenant)
        .nest("/admin", admin);
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
                    .url("/openapi.json", <openapi::ApiDoc as utoipa::OpenApi>::openapi()),
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
        .route("/v1/billing/return", get(routes::billing_return))
        .route("/metrics", get(metrics::guarded))
        .route("/healthz", get(routes::healthz))
        .route("/readyz", get(routes::readyz))
        .nest("/v1", v1)
        .fallback(|| async { problem::ApiError::not_found() })
        .with_state(state)
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

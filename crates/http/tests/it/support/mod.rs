//! Shared by the HTTP test binaries: the real router on a random loopback port.

#![allow(dead_code, unused_imports, unused_macros, clippy::unwrap_used)] // each test binary uses part of it; test code

pub mod contract;
mod store;
pub mod web;

pub(crate) use store::on_both;
pub use store::{StoreKind, TestStore};

use std::sync::Arc;
use tenantry_http::auth::TokenKeys;
use tenantry_http::{AppState, router};
use tenantry_testkit::Harness;

/// The bearer token the test services answer `/metrics` to.
pub const METRICS_TOKEN: &str = "the test scraper's metrics token";

/// The service's state on a harness: its use cases, its clock, its billing
/// simulator (whose pages are then served), a random signing key, and
/// [`METRICS_TOKEN`] for `/metrics`.
pub fn state_for(h: &Harness) -> AppState {
    AppState::new(
        h.tenantry.clone(),
        TokenKeys::random().unwrap(),
        Arc::new(h.clock.clone()),
        Arc::new(tenantry_mail::Links::default()),
    )
    .with_simulator(h.simulator.clone())
    .with_metrics_token(Some(METRICS_TOKEN.to_owned().into()))
}

/// Serves `state` on 127.0.0.1 at a free port, with the anonymous endpoints'
/// throttles raised as far as the platform setting goes (every request of a
/// test comes from 127.0.0.1; `throttle.rs` tests the limits themselves); the
/// base URL.
pub async fn serve(state: AppState) -> String {
    tenantry_testkit::harness::raise_anonymous_limits(&state.tenantry).await.unwrap();
    serve_as_shipped(state).await
}

/// Serves `state` with the platform's settings as they are.
pub async fn serve_as_shipped(state: AppState) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let app = router(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    base
}

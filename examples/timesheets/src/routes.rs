//! The product's routes under `/v1/tenants/{tid}/timesheets`, mounted with `router_with_product`: each takes the authorised scope from `InTenant`.

use crate::{Entry, LogInput, Timesheets};
use axum::extract::rejection::JsonRejection;
use axum::extract::{Extension, Path};
use axum::routing::{get, post};
use axum::{Json, Router};
use std::sync::Arc;
use tenantry_http::AppState;
use tenantry_http::auth::InTenant;
use tenantry_http::problem::ApiError;
use uuid::Uuid;

type Answer<T> = Result<Json<T>, ApiError>;

async fn list(Extension(app): Extension<Arc<Timesheets>>, InTenant(scope): InTenant) -> Answer<Vec<Entry>> {
    Ok(Json(app.list(&scope).await?))
}

async fn log(
    Extension(app): Extension<Arc<Timesheets>>,
    InTenant(scope): InTenant,
    body: Result<Json<LogInput>, JsonRejection>,
) -> Answer<Entry> {
    let Json(input) = body.map_err(ApiError::json)?;
    Ok(Json(app.log(&scope, input).await?))
}

/// An entry id from the path; a malformed one is as missing as another tenant's.
fn entry_id(text: &str) -> Result<Uuid, ApiError> {
    Uuid::try_parse(text).map_err(|_| ApiError::not_found())
}

async fn approve(
    Extension(app): Extension<Arc<Timesheets>>,
    InTenant(scope): InTenant,
    Path((_, eid)): Path<(String, String)>,
) -> Answer<Entry> {
    Ok(Json(app.decide(&scope, entry_id(&eid)?, true).await?))
}

async fn reject(
    Extension(app): Extension<Arc<Timesheets>>,
    InTenant(scope): InTenant,
    Path((_, eid)): Path<(String, String)>,
) -> Answer<Entry> {
    Ok(Json(app.decide(&scope, entry_id(&eid)?, false).await?))
}

/// The product's routes, for [`tenantry_http::router_with_product`]:
/// `GET/POST /v1/tenants/{tid}/timesheets`, `POST .../timesheets/{eid}/approve|reject`.
pub fn routes(app: Arc<Timesheets>) -> Router<AppState> {
    Router::new()
        .route("/timesheets", get(list).post(log))
        .route("/timesheets/{eid}/approve", post(approve))
        .route("/timesheets/{eid}/reject", post(reject))
        .layer(Extension(app))
}

//! The baseline of issue 22: what a bare axum + sqlx service achieves for the
//! same tenant-scoped point read that `GET /v1/tenants/{tid}` answers, on the
//! same database, connected as the same role (`tenantry_app`, row-level
//! security forced):
//!
//! * `GET /rls/{tid}` — `BEGIN READ ONLY; set_config('tenantry.tenant_id', …)`
//!   (one simple query), the prepared read, `COMMIT`: three round trips, as
//!   tenantry's unit of work;
//! * `GET /plain/{tid}` — the prepared read alone on a pooled connection (for
//!   reference: what the transaction costs; RLS then shows no rows, so this
//!   route connects as the admin URL's role).
//!
//! No authentication, no audit, no metering: the floor a real service stands on.
//! Usage: `DATABASE_URL=… ADMIN_URL=… ADDR=127.0.0.1:18090 tenantry-bench-bare-axum`.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::Row;

#[derive(Clone)]
struct Pools {
    app: PgPool,
    admin: PgPool,
}

const READ: &str = "SELECT tenant_id, slug, name, created_at FROM tenantry.tenants WHERE tenant_id = $1";

fn tenant_json(row: &sqlx::postgres::PgRow) -> Result<serde_json::Value, sqlx::Error> {
    let id: uuid::Uuid = row.try_get("tenant_id")?;
    let slug: String = row.try_get("slug")?;
    let name: String = row.try_get("name")?;
    let created: chrono::DateTime<chrono::Utc> = row.try_get("created_at")?;
    Ok(serde_json::json!({"id": id, "slug": slug, "name": name, "created_at": created}))
}

fn fail(e: sqlx::Error) -> StatusCode {
    eprintln!("{e}");
    StatusCode::INTERNAL_SERVER_ERROR
}

async fn rls(State(p): State<Pools>, Path(tid): Path<uuid::Uuid>) -> Result<Json<serde_json::Value>, StatusCode> {
    let begin = format!("BEGIN READ ONLY; SELECT set_config('tenantry.tenant_id', '{}', true)", tid.hyphenated());
    let mut tx = p.app.begin_with(sqlx::AssertSqlSafe(begin)).await.map_err(fail)?;
    let row = sqlx::query(READ).bind(tid).fetch_optional(&mut *tx).await.map_err(fail)?;
    tx.commit().await.map_err(fail)?;
    let row = row.ok_or(StatusCode::NOT_FOUND)?;
    Ok(Json(tenant_json(&row).map_err(fail)?))
}

async fn plain(State(p): State<Pools>, Path(tid): Path<uuid::Uuid>) -> Result<Json<serde_json::Value>, StatusCode> {
    let row = sqlx::query(READ).bind(tid).fetch_optional(&p.admin).await.map_err(fail)?;
    let row = row.ok_or(StatusCode::NOT_FOUND)?;
    Ok(Json(tenant_json(&row).map_err(fail)?))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let url = std::env::var("DATABASE_URL")?;
    let admin = std::env::var("ADMIN_URL")?;
    let addr = std::env::var("ADDR").unwrap_or_else(|_| "127.0.0.1:18090".to_owned());
    // The same pool size as tenantry's default (PgOptions::max_connections).
    let size = std::env::var("POOL_SIZE").ok().and_then(|s| s.parse().ok()).unwrap_or(16);
    let app = PgPoolOptions::new().max_connections(size).connect(&url).await?;
    let admin = PgPoolOptions::new().max_connections(size).connect(&admin).await?;
    let router = Router::new()
        .route("/rls/{tid}", get(rls))
        .route("/plain/{tid}", get(plain))
        .with_state(Pools { app, admin });
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    axum::serve(listener, router).await?;
    Ok(())
}

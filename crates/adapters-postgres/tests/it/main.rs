//! The integration tests of this crate, one binary: one module per behaviour
//! area (see each module's own documentation).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed step is a failed test

mod backup;
mod billing;
mod citus;
mod concurrency;
mod contracts;
mod embedding;
mod erasure;
mod files;
mod isolation;
mod jobs;
mod outbox;
mod pooler;
mod rls;
mod secrets;

/// Sets `tenant` for the rest of the transaction on `conn` as the store does: `set_config` on
/// plain PostgreSQL; on a Citus coordinator `SET LOCAL` under `citus.propagate_set_commands`, in
/// a query of its own (decision 0028), or the workers see no tenant.
pub(crate) async fn set_tenant(conn: &mut sqlx::PgConnection, tenant: uuid::Uuid) {
    let citus: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus')")
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    if citus {
        sqlx::raw_sql("SET LOCAL citus.propagate_set_commands = 'local'").execute(&mut *conn).await.unwrap();
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("SET LOCAL tenantry.tenant_id = '{tenant}'")))
            .execute(&mut *conn)
            .await
            .unwrap();
    } else {
        sqlx::query("SELECT set_config('tenantry.tenant_id', $1, true)")
            .bind(tenant.to_string())
            .execute(&mut *conn)
            .await
            .unwrap();
    }
}

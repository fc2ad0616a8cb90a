//! Tenant files on PostgreSQL (issue 27): the file store's contract on the
//! chunks table (through the service role, the tenant set, forced RLS — on
//! Citus on the tenant's shard), the files service with its quota race, and
//! the walls under the bytes: the service role set to another tenant reads,
//! lists and deletes none of a tenant's chunks or file rows.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed step is a failed test

use sqlx::Connection as _;
use std::sync::Arc;
use tenantry_postgres::testing::{TestDatabase, admin_url};
use tenantry_testkit::contract::files;
use tenantry_testkit::{Harness, Stores};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_postgres_file_store_keeps_the_contract() {
    let Some(admin) = admin_url("the_postgres_file_store_keeps_the_contract") else { return };
    let db = TestDatabase::create(&admin).await.unwrap();
    let store = db.store().await.unwrap();
    let h =
        Harness::builder().stores(|clock| Stores::of(db.follower(&store).at(clock), Arc::new(db.operator()))).build();
    let a = h.signup("alpha").await.unwrap();
    let b = h.signup("beta").await.unwrap();
    let kept = files::file_store(&store, a.id, b.id).await;
    store.close().await;
    db.drop_now().await.unwrap();
    kept.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_are_counted_to_the_byte_confined_to_their_tenant_and_typed_by_their_bytes_on_postgres() {
    let Some(admin) = admin_url("files_are_counted_to_the_byte_on_postgres") else { return };
    let db = TestDatabase::create(&admin).await.unwrap();
    let store = db.store().await.unwrap();
    let h =
        Harness::builder().stores(|clock| Stores::of(db.follower(&store).at(clock), Arc::new(db.operator()))).build();
    let done = files::files_service(&h).await;
    store.close().await;
    db.drop_now().await.unwrap();
    done.unwrap();
}

/// Below the service: the service role, set to tenant B, sees none of A's
/// chunks or file rows and changes none; with no tenant set it sees nothing.
#[tokio::test]
async fn the_service_role_set_to_another_tenant_reaches_no_chunk_or_file_row() {
    let Some(admin) = admin_url("the_service_role_set_to_another_tenant_reaches_no_chunk") else { return };
    let db = TestDatabase::create(&admin).await.unwrap();
    let store = db.store().await.unwrap();
    let h =
        Harness::builder().stores(|clock| Stores::of(db.follower(&store).at(clock), Arc::new(db.operator()))).build();
    let a = h.signup("alpha").await.unwrap();
    let b = h.signup("beta").await.unwrap();
    let owner = h.owner_scope(&a).await.unwrap();
    let upload = tenantry_ports::services::files::Upload {
        name: "contract.pdf".into(),
        content: tenantry_ports::files::once(&b"%PDF-1.7\nalpha's contract"[..]),
    };
    let file = h.tenantry.upload_file(&owner, upload).await.unwrap();
    let mut service = sqlx::PgConnection::connect(&db.service_url()).await.unwrap();
    for setting in [Some(b.id.as_uuid().to_string()), None] {
        let mut tx = service.begin().await.unwrap();
        if let Some(tenant) = &setting {
            // As the adapter sets it (on Citus it reaches the workers).
            let set =
                format!("SET LOCAL citus.propagate_set_commands = 'local'; SET LOCAL tenantry.tenant_id = '{tenant}'");
            sqlx::raw_sql(sqlx::AssertSqlSafe(set)).execute(&mut *tx).await.unwrap();
        }
        for sql in [
            "SELECT count(*) FROM tenantry.file_chunks",
            "SELECT count(*) FROM tenantry.files",
            "SELECT count(*) FROM tenantry.file_chunks WHERE file_id = $1",
        ] {
            let seen: i64 =
                sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).bind(file.id.as_uuid()).fetch_one(&mut *tx).await.unwrap();
            assert_eq!(seen, 0, "{sql} as {setting:?}");
        }
        let deleted = sqlx::query("DELETE FROM tenantry.file_chunks WHERE file_id = $1")
            .bind(file.id.as_uuid())
            .execute(&mut *tx)
            .await
            .unwrap();
        assert_eq!(deleted.rows_affected(), 0, "deleted A's chunks as {setting:?}");
        tx.commit().await.unwrap();
    }
    let (_, bytes) = h.tenantry.download_file(&owner, file.id).await.unwrap();
    assert_eq!(files::digest(bytes).await.unwrap().0, 25, "A's file is whole");
    drop(service);
    store.close().await;
    db.drop_now().await.unwrap();
}

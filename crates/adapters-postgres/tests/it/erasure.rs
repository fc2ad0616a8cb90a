//! GDPR erasure on PostgreSQL: afterwards no row of any table — tenantry's,
//! and every other schema's but the catalogs — contains the person's email or
//! name (the same search finds them before the erasure).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed step is a failed test

use sqlx::{ConnectOptions, PgConnection};
use std::sync::Arc;
use tenantry_postgres::testing::{TestDatabase, admin_url};
use tenantry_testkit::Harness;
use tenantry_testkit::Stores;
use tenantry_testkit::scenarios::erase_someone;

/// Every row of every user table, as text (bytea archives decoded), lower-cased — read as the owner.
async fn everything(conn: &mut PgConnection) -> String {
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT format('%I.%I', table_schema, table_name) FROM information_schema.tables \
         WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema')",
    )
    .fetch_all(&mut *conn)
    .await
    .unwrap();
    let mut all = String::new();
    for table in tables {
        // The owner reads every tenant's rows through its lookup policy.
        let text: Option<String> =
            sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT string_agg(t::text, ' ') FROM {table} t")))
                .fetch_one(&mut *conn)
                .await
                .unwrap();
        all.push_str(&text.unwrap_or_default());
        all.push(' ');
    }
    let archives: Vec<Vec<u8>> =
        sqlx::query_scalar("SELECT content FROM tenantry.export_files").fetch_all(&mut *conn).await.unwrap();
    for a in archives {
        all.push_str(&String::from_utf8_lossy(&a));
    }
    all.to_lowercase()
}

#[tokio::test]
async fn an_erased_user_leaves_no_trace_in_any_table() {
    let Some(admin) = admin_url("an_erased_user_leaves_no_trace_in_any_table") else { return };
    let db = TestDatabase::create(&admin).await.unwrap();
    let store = db.store().await.unwrap();
    let h =
        Harness::builder().stores(|clock| Stores::of(db.follower(&store).at(clock), Arc::new(db.operator()))).build();
    let options = db.admin_options();
    let erased = erase_someone(&h, "forget", |_, email| {
        let options = options.clone();
        async move {
            let mut owner = options.connect().await.unwrap();
            let before = everything(&mut owner).await;
            assert!(before.contains(&email), "the search must find the person before the erasure");
            assert!(before.contains("quixotebrowser/1.0") && before.contains("198.51.100.0/24"), "a session");
        }
    })
    .await
    .unwrap();
    let mut owner = db.admin_options().connect().await.unwrap();
    let after = everything(&mut owner).await;
    let ledger: i64 = sqlx::query_scalar("SELECT count(*) FROM tenantry.erasures").fetch_one(&mut owner).await.unwrap();
    drop(owner);
    store.close().await;
    db.drop_now().await.unwrap();
    for trace in [erased.email.as_str(), erased.name.as_str(), "quentin", "quixote", "198.51.100"] {
        assert!(!after.contains(&trace.to_lowercase()), "{trace} is still in a table");
    }
    assert_eq!(ledger, 1);
}

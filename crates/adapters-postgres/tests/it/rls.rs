//! Wall 2 on its own: direct SQL as the service role, with no application code
//! in between. Even a query that forgets its `WHERE tenant_id` sees nothing of
//! another tenant, and the service role cannot switch the protection off.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed step is a failed test

use secrecy::SecretString;
use sqlx::{ConnectOptions, Connection, PgConnection, Row};
use std::sync::Arc;
use tenantry_postgres::testing::{TestDatabase, admin_url};
use tenantry_postgres::{ConnectError, PgOptions, PgStore, verify_isolation};
use tenantry_testkit::Harness;
use tenantry_testkit::Stores;

/// A database with two tenants (alpha with 2 users, beta with 1) made through the services.
async fn two_tenants(admin: &SecretString) -> (TestDatabase, PgStore, [uuid::Uuid; 2]) {
    let db = TestDatabase::create(admin).await.unwrap();
    let store = db.store().await.unwrap();
    let h =
        Harness::builder().stores(|clock| Stores::of(db.follower(&store).at(clock), Arc::new(db.operator()))).build();
    let a = h.signup("alpha").await.unwrap();
    h.add_user(&a, "ann@alpha.example.com", "member").await.unwrap();
    let b = h.signup("beta").await.unwrap();
    (db, store, [a.id.as_uuid(), b.id.as_uuid()])
}

async fn service(db: &TestDatabase) -> PgConnection {
    db.service_options().connect().await.unwrap()
}

const TENANT_TABLES: &[&str] = &[
    "tenantry.tenants",
    "tenantry.users",
    "tenantry.roles",
    "tenantry.invitations",
    "tenantry.subscriptions",
    "tenantry.invoices",
    "tenantry.billing_events",
    "tenantry.audit_events",
    "tenantry.usage",
    "tenantry.storage",
    "tenantry.markers",
    "tenantry.api_keys",
    "tenantry.jobs",
    "tenantry.exports",
    "tenantry.export_files",
    "tenantry.erasures",
    "tenantry.account_links",
    "tenantry.sessions",
    "tenantry.mails",
    "tenantry.files",
    "tenantry.file_chunks",
];

async fn count(conn: &mut PgConnection, table: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT count(*) FROM {table}"))).fetch_one(conn).await.unwrap()
}

#[tokio::test]
async fn without_a_tenant_set_every_tenant_owned_table_is_empty_to_the_service_role() {
    let Some(admin) = admin_url("without_a_tenant_set_every_tenant_owned_table_is_empty_to_the_service_role") else {
        return;
    };
    let (db, store, _) = two_tenants(&admin).await;
    let mut conn = service(&db).await;
    for table in TENANT_TABLES {
        assert_eq!(count(&mut conn, table).await, 0, "{table} shows rows without a tenant");
    }
    // and the owner sees the rows, so they are there
    let mut owner = db.admin_options().connect().await.unwrap();
    assert!(count(&mut owner, "tenantry.users").await >= 3);
    store.close().await;
    db.drop_now().await.unwrap();
}

#[tokio::test]
async fn a_query_that_forgets_its_tenant_filter_still_sees_only_the_scoped_tenant() {
    let Some(admin) = admin_url("a_query_that_forgets_its_tenant_filter_still_sees_only_the_scoped_tenant") else {
        return;
    };
    let (db, store, [alpha, beta]) = two_tenants(&admin).await;
    let mut conn = service(&db).await;
    let mut tx = conn.begin().await.unwrap();
    crate::set_tenant(&mut tx, alpha).await;
    // no WHERE tenant_id anywhere:
    let tenants: Vec<uuid::Uuid> =
        sqlx::query_scalar("SELECT DISTINCT tenant_id FROM tenantry.users").fetch_all(&mut *tx).await.unwrap();
    assert_eq!(tenants, vec![alpha]);
    let audit: Vec<uuid::Uuid> =
        sqlx::query_scalar("SELECT DISTINCT tenant_id FROM tenantry.audit_events").fetch_all(&mut *tx).await.unwrap();
    assert_eq!(audit, vec![alpha]);
    let beta_users: i64 = sqlx::query_scalar("SELECT count(*) FROM tenantry.users WHERE tenant_id = $1")
        .bind(beta)
        .fetch_one(&mut *tx)
        .await
        .unwrap();
    assert_eq!(beta_users, 0, "asking for beta by name inside alpha's scope finds nothing");
    tx.rollback().await.unwrap();
    // the setting is transaction-local: the next transaction on the same connection has no tenant
    let mut tx = conn.begin().await.unwrap();
    assert_eq!(count(&mut tx, "tenantry.users").await, 0);
    tx.rollback().await.unwrap();
    store.close().await;
    db.drop_now().await.unwrap();
}

/// The one-statement read measured in docs/PERFORMANCE.md: `set_config` in a
/// FROM subquery that the read depends on through LATERAL, prepared, in
/// autocommit. Its safety is not taken on trust: the policy must see the tenant
/// the statement sets (not the one before, not none), a forgotten tenant filter
/// must still see only that tenant, and nothing may outlive the statement.
const ONE_STATEMENT_READ: &str = "SELECT u.id FROM (SELECT set_config('tenantry.tenant_id', $1, true) AS t) s, \
     LATERAL (SELECT id FROM tenantry.users WHERE id = $2 AND s.t IS NOT NULL) u";

#[tokio::test]
async fn the_one_statement_lateral_read_sees_only_the_tenant_it_sets_and_leaves_nothing_behind() {
    let Some(admin) = admin_url("the_one_statement_lateral_read_sees_only_the_tenant_it_sets") else { return };
    let (db, store, [alpha, beta]) = two_tenants(&admin).await;
    let mut admin_conn = db.admin_options().connect().await.unwrap();
    let alpha_user: uuid::Uuid = sqlx::query_scalar("SELECT id FROM tenantry.users WHERE tenant_id = $1 LIMIT 1")
        .bind(alpha)
        .fetch_one(&mut admin_conn)
        .await
        .unwrap();
    let mut conn = service(&db).await;
    let read = |tenant: uuid::Uuid| {
        sqlx::query_scalar::<_, uuid::Uuid>(ONE_STATEMENT_READ).bind(tenant.to_string()).bind(alpha_user)
    };
    let citus: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus')")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    if citus {
        // On Citus a `set_config` is not sent to the workers: the shape reads nothing there — it
        // fails closed, and the store does not use it (decision 0028).
        assert_eq!(read(alpha).fetch_optional(&mut conn).await.unwrap(), None);
        store.close().await;
        db.drop_now().await.unwrap();
        return;
    }
    // Scoped to alpha, the read finds alpha's user: the policy saw the tenant set in the same statement.
    assert_eq!(read(alpha).fetch_optional(&mut conn).await.unwrap(), Some(alpha_user));
    // Scoped to beta, asking for alpha's user by id (and no tenant filter in the read) finds nothing,
    // also right after a statement that set alpha on the same connection.
    assert_eq!(read(beta).fetch_optional(&mut conn).await.unwrap(), None);
    assert_eq!(read(alpha).fetch_optional(&mut conn).await.unwrap(), Some(alpha_user));
    assert_eq!(read(beta).fetch_optional(&mut conn).await.unwrap(), None);
    // The setting was local to each autocommit statement: nothing is left for the next one.
    assert_eq!(count(&mut conn, "tenantry.users").await, 0);
    let left: Option<String> = sqlx::query_scalar("SELECT nullif(current_setting('tenantry.tenant_id', true), '')")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(left, None);
    // The shape fails closed: an empty tenant reads nothing.
    let none = sqlx::query_scalar::<_, uuid::Uuid>(ONE_STATEMENT_READ).bind("").bind(alpha_user);
    assert_eq!(none.fetch_optional(&mut conn).await.unwrap(), None);
    store.close().await;
    db.drop_now().await.unwrap();
}

#[tokio::test]
async fn with_tenant_a_set_rows_of_tenant_b_can_be_neither_inserted_updated_nor_deleted() {
    let Some(admin) = admin_url("with_tenant_a_set_rows_of_tenant_b_can_be_neither_inserted_updated_nor_deleted")
    else {
        return;
    };
    let (db, store, [alpha, beta]) = two_tenants(&admin).await;
    let mut conn = service(&db).await;
    let attempts: &[&'static str] = &[
        "INSERT INTO tenantry.markers (tenant_id, key, at) VALUES ($1, 'sneaky', now())",
        "INSERT INTO tenantry.usage (tenant_id, month, api_calls, logins) VALUES ($1, '2026-11-01', 1, 1)",
    ];
    for sql in attempts {
        let mut tx = conn.begin().await.unwrap();
        crate::set_tenant(&mut tx, alpha).await;
        let err = sqlx::query(*sql).bind(beta).execute(&mut *tx).await.unwrap_err();
        assert!(err.to_string().contains("row-level security"), "{sql}: {err}");
        tx.rollback().await.unwrap();
    }
    let mut tx = conn.begin().await.unwrap();
    crate::set_tenant(&mut tx, alpha).await;
    let updated = sqlx::query("UPDATE tenantry.users SET name = 'hacked' WHERE tenant_id = $1")
        .bind(beta)
        .execute(&mut *tx)
        .await
        .unwrap();
    assert_eq!(updated.rows_affected(), 0, "beta's users are invisible, so nothing is updated");
    let deleted =
        sqlx::query("DELETE FROM tenantry.users WHERE tenant_id = $1").bind(beta).execute(&mut *tx).await.unwrap();
    assert_eq!(deleted.rows_affected(), 0);
    // moving an own row to another tenant is refused by WITH CHECK
    let err = sqlx::query("UPDATE tenantry.users SET tenant_id = $1 WHERE tenant_id = $2")
        .bind(beta)
        .bind(alpha)
        .execute(&mut *tx)
        .await
        .unwrap_err();
    // (Citus refuses a change of the distribution column before row-level security is asked.)
    let err = err.to_string();
    assert!(
        err.contains("row-level security")
            || err.contains("foreign key")
            || err.contains("modifying the partition value of rows is not allowed"),
        "{err}"
    );
    tx.rollback().await.unwrap();
    let mut owner = db.admin_options().connect().await.unwrap();
    let names: Vec<String> = sqlx::query_scalar("SELECT name FROM tenantry.users WHERE tenant_id = $1")
        .bind(beta)
        .fetch_all(&mut owner)
        .await
        .unwrap();
    assert!(names.iter().all(|n| n != "hacked"));
    store.close().await;
    db.drop_now().await.unwrap();
}

#[tokio::test]
async fn the_service_role_cannot_switch_row_level_security_off_or_read_the_platform_indexes() {
    let Some(admin) = admin_url("the_service_role_cannot_switch_row_level_security_off_or_read_the_platform_indexes")
    else {
        return;
    };
    let (db, store, _) = two_tenants(&admin).await;
    let mut conn = service(&db).await;
    for sql in [
        "ALTER TABLE tenantry.users DISABLE ROW LEVEL SECURITY",
        "ALTER TABLE tenantry.users NO FORCE ROW LEVEL SECURITY",
        "DROP POLICY tenant_isolation ON tenantry.users",
        "CREATE POLICY open ON tenantry.users USING (true)",
        "SET ROLE postgres",
        "SET row_security = off",
        "SELECT * FROM tenantry.tenant_slugs",
        "SELECT * FROM tenantry.billing_customers",
        "SELECT * FROM tenantry.platform_audit",
        "SELECT tenantry.make_tenant_owned('tenantry.users')",
        "CREATE TABLE tenantry.mine (tenant_id uuid)",
    ] {
        let mut tx = conn.begin().await.unwrap();
        let result = sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&mut *tx).await;
        // `SET row_security = off` is accepted but then refuses any query that RLS would filter
        if sql.starts_with("SET row_security") {
            result.unwrap();
            assert!(sqlx::query("SELECT count(*) FROM tenantry.users").execute(&mut *tx).await.is_err());
        } else {
            assert!(result.is_err(), "the service role could run: {sql}");
        }
        tx.rollback().await.unwrap();
    }
    // the named paths answer, narrowly
    let slug: Option<uuid::Uuid> =
        sqlx::query_scalar("SELECT tenantry_lookup.resolve_slug('alpha')").fetch_one(&mut conn).await.unwrap();
    assert!(slug.is_some());
    store.close().await;
    db.drop_now().await.unwrap();
}

/// A fingerprint of every platform table and the cross-tenant job rows, read as the owner.
async fn platform_fingerprint(db: &TestDatabase) -> Vec<(String, String)> {
    let mut owner = db.admin_options().connect().await.unwrap();
    let mut out = Vec::new();
    for table in [
        "superusers",
        "platform_settings",
        "erasure_ledger",
        "ad_campaigns",
        "ad_counts",
        "platform_daily_stats",
        "platform_audit",
        "clock",
        "jobs",
        "account_links",
        "markers",
        "tenant_slugs",
        "billing_customers",
    ] {
        let digest: String = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM tenantry.{table} t"
        )))
        .fetch_one(&mut owner)
        .await
        .unwrap();
        out.push((table.to_owned(), digest));
    }
    out
}

/// Issue 17: the service role writes no platform table (each write is a
/// narrow function that takes no hash, version or time), moves no clock,
/// reads no other tenant's erasure ledger, and the named paths take neither a
/// time nor "NULL for every tenant" from it.
#[tokio::test]
async fn the_service_role_writes_no_platform_table_and_the_named_paths_take_no_time_from_it() {
    let Some(admin) = admin_url("the_service_role_writes_no_platform_table") else { return };
    let (db, store, [a, _]) = two_tenants(&admin).await;
    let before = platform_fingerprint(&db).await;
    let mut conn = service(&db).await;
    let refused = [
        "INSERT INTO tenantry.superusers (id, email, name, password_hash, active, failed_logins, token_version, \
         created_at) VALUES (gen_random_uuid(), 'evil@example.com', 'Evil', 'x', true, 0, 0, now())",
        "UPDATE tenantry.superusers SET failed_logins = 0, locked_until = NULL",
        "UPDATE tenantry.superusers SET token_version = 0",
        "DELETE FROM tenantry.superusers",
        "INSERT INTO tenantry.platform_settings (id, settings) VALUES (true, '{}') ON CONFLICT (id) DO UPDATE SET settings = '{}'",
        "UPDATE tenantry.platform_settings SET settings = '{}'",
        "SELECT count(*) FROM tenantry.erasure_ledger",
        "INSERT INTO tenantry.erasure_ledger VALUES (gen_random_uuid(), gen_random_uuid(), now(), '{}')",
        "INSERT INTO tenantry.ad_campaigns VALUES (gen_random_uuid(), now(), '{}')",
        "UPDATE tenantry.ad_campaigns SET data = '{}'",
        "DELETE FROM tenantry.ad_campaigns",
        "INSERT INTO tenantry.ad_counts SELECT id, current_date, 1000, 1000 FROM tenantry.ad_campaigns",
        "UPDATE tenantry.ad_counts SET impressions = impressions + 1000",
        "INSERT INTO tenantry.platform_daily_stats VALUES ('2001-01-01', '{}')",
        "DELETE FROM tenantry.platform_daily_stats",
        "INSERT INTO tenantry.platform_audit (id, at, actor, action, outcome, details) \
         VALUES (gen_random_uuid(), now(), '{}', 'forged', 'success', '{}')",
        "UPDATE tenantry.clock SET offset_by = interval '100 years'",
        "UPDATE tenantry.clock SET fixed_at = 'infinity'",
        "TRUNCATE tenantry.platform_audit",
        "SELECT tenantry.now()",
        // The old forms that took a time, cut-offs or "NULL for every tenant" are gone.
        "SELECT * FROM tenantry_lookup.due_tenants('infinity'::timestamptz, 1000)",
        "SELECT * FROM tenantry_lookup.claim_due_jobs('infinity'::timestamptz, 2147483647, 1000)",
        "SELECT * FROM tenantry_lookup.housekeeping('infinity', 'infinity', 'infinity', ARRAY[''])",
        "SELECT * FROM tenantry_lookup.audit_events(NULL, false, NULL, 1000, NULL, NULL)",
        "SELECT * FROM tenantry_lookup.tenant_audit_events(NULL, NULL, 1000, NULL, NULL)",
        "SELECT * FROM tenantry_lookup.all_audit_events(gen_random_uuid(), gen_random_uuid(), '', NULL, 1000, NULL, NULL)",
    ];
    for sql in refused {
        let mut tx = conn.begin().await.unwrap();
        let result = sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&mut *tx).await;
        assert!(result.is_err(), "the service role could run: {sql}");
        tx.rollback().await.unwrap();
    }
    // With a tenant set, the platform copy of the erasure ledger answers that tenant's rows only.
    let mut tx = conn.begin().await.unwrap();
    crate::set_tenant(&mut tx, a).await;
    let foreign: i64 =
        sqlx::query_scalar("SELECT count(*) FROM tenantry_lookup.erasure_ledger() WHERE tenant_id <> current_setting('tenantry.tenant_id')::uuid")
            .fetch_one(&mut *tx)
            .await
            .unwrap();
    assert_eq!(foreign, 0);
    tx.rollback().await.unwrap();
    // An unknown superuser's read of every tenant's log answers nothing and records nothing.
    let read: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM tenantry_lookup.all_audit_events(gen_random_uuid(), gen_random_uuid(), 'curious', NULL, 1000, NULL, NULL)",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert_eq!(read, 0);
    assert_eq!(platform_fingerprint(&db).await, before, "nothing of the platform changed");

    // The named paths' time is tenantry.now(): the owner moves it (here: the clock shifted to the
    // tenants' signup day, then 40 days on), the service role cannot.
    let mut owner = db.admin_options().connect().await.unwrap();
    sqlx::query("UPDATE tenantry.clock SET fixed_at = NULL, offset_by = '2026-11-01T00:00:00Z'::timestamptz - now()")
        .execute(&mut owner)
        .await
        .unwrap();
    let due: Vec<uuid::Uuid> =
        sqlx::query_scalar("SELECT * FROM tenantry_lookup.due_tenants(10)").fetch_all(&mut conn).await.unwrap();
    assert!(due.is_empty(), "nothing is due on the signup day: {due:?}");
    sqlx::query("UPDATE tenantry.clock SET offset_by = offset_by + interval '40 days'")
        .execute(&mut owner)
        .await
        .unwrap();
    let due: Vec<uuid::Uuid> =
        sqlx::query_scalar("SELECT * FROM tenantry_lookup.due_tenants(10)").fetch_all(&mut conn).await.unwrap();
    assert_eq!(due.len(), 2, "both tenants are due 40 days on");
    let report = verify_isolation(&store).await.unwrap();
    assert!(
        report.findings.iter().any(|f| f.object == "tenantry.clock" && f.problem.contains("shifted by")),
        "check-isolation reports a shifted clock: {report:?}"
    );
    sqlx::query("UPDATE tenantry.clock SET offset_by = '0'").execute(&mut owner).await.unwrap();
    store.close().await;
    db.drop_now().await.unwrap();
}

#[tokio::test]
async fn the_store_refuses_to_serve_as_a_superuser_and_names_the_fix() {
    let Some(admin) = admin_url("the_store_refuses_to_serve_as_a_superuser_and_names_the_fix") else { return };
    let db = TestDatabase::create(&admin).await.unwrap();
    let url = SecretString::from(db.admin_options().to_url_lossy().to_string());
    let err = PgStore::connect(&url, PgOptions::default()).await.unwrap_err();
    assert!(matches!(err, ConnectError::UnsafeRole { .. }), "{err}");
    let text = err.to_string();
    assert!(text.contains("superuser") && text.contains("tenantry migrate") && text.contains("tenantry_app"), "{text}");
    db.drop_now().await.unwrap();
}

#[tokio::test]
async fn the_verifier_passes_the_schema_and_names_an_unprotected_table_and_an_unsafe_view() {
    let Some(admin) = admin_url("the_verifier_passes_the_schema_and_names_an_unprotected_table_and_an_unsafe_view")
    else {
        return;
    };
    let db = TestDatabase::create(&admin).await.unwrap();
    let store = db.store().await.unwrap();
    let clean = verify_isolation(&store).await.unwrap();
    assert!(clean.ok(), "{:?}", clean.findings);
    assert_eq!(clean.protected.len(), TENANT_TABLES.len(), "{:?}", clean.protected);
    assert!(clean.platform.contains(&"tenantry.tenant_slugs".to_owned()));
    assert!(clean.definers.iter().all(|d| d.expected));
    assert_eq!(clean.role, "tenantry_app");

    let mut owner = db.admin_options().connect().await.unwrap();
    for sql in [
        "CREATE TABLE public.timesheets (tenant_id uuid NOT NULL, id uuid NOT NULL, hours int, PRIMARY KEY (tenant_id, id))",
        "CREATE TABLE public.leaky (id uuid PRIMARY KEY, tenant_id uuid NOT NULL)",
        "ALTER TABLE public.leaky ENABLE ROW LEVEL SECURITY",
        "CREATE VIEW public.all_users AS SELECT tenant_id, email FROM tenantry.users",
        "CREATE FUNCTION public.peek() RETURNS bigint LANGUAGE sql SECURITY DEFINER AS 'SELECT count(*) FROM tenantry.users'",
    ] {
        sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&mut owner).await.unwrap();
    }
    let report = verify_isolation(&store).await.unwrap();
    assert!(!report.ok());
    let about = |object: &str| {
        report.findings.iter().filter(|f| f.object == object).map(|f| f.problem.clone()).collect::<Vec<_>>()
    };
    assert!(about("public.timesheets").iter().any(|p| p.contains("not enabled")), "{:?}", report.findings);
    assert!(about("public.leaky").iter().any(|p| p.contains("not forced")));
    assert!(about("public.leaky").iter().any(|p| p.contains("primary key")));
    assert!(about("public.all_users").iter().any(|p| p.contains("security_invoker")));
    assert!(about("public.peek").iter().any(|p| p.contains("SECURITY DEFINER")));
    // a view that is security_invoker passes
    sqlx::query("DROP VIEW public.all_users").execute(&mut owner).await.unwrap();
    sqlx::query(
        "CREATE VIEW public.all_users WITH (security_invoker = true) AS SELECT tenant_id, email FROM tenantry.users",
    )
    .execute(&mut owner)
    .await
    .unwrap();
    let report = verify_isolation(&store).await.unwrap();
    assert!(report.findings.iter().all(|f| f.object != "public.all_users"));
    store.close().await;
    let _ = owner.close().await;
    db.drop_now().await.unwrap();
}

#[tokio::test]
async fn a_lost_connection_rolls_back_and_reports_a_retryable_error() {
    let Some(admin) = admin_url("a_lost_connection_rolls_back_and_reports_a_retryable_error") else { return };
    let db = TestDatabase::create(&admin).await.unwrap();
    let store = db.store().await.unwrap();
    let h =
        Harness::builder().stores(|clock| Stores::of(db.follower(&store).at(clock), Arc::new(db.operator()))).build();
    let t = h.signup("fragile").await.unwrap();
    let owner = h.owner_scope(&t).await.unwrap();
    let mut tx = tenantry_ports::UnitOfWork::begin(&store, &owner, tenantry_ports::store::Access::Write).await.unwrap();
    let mut users = tx.users().await.unwrap();
    let user = tenantry_testkit::edited_user(&users.remove(0), |u| {
        u.name = tenantry_domain::text::PersonName::parse("Renamed").unwrap();
    });
    tx.update_user(&user).await.unwrap();
    // the server drops every connection of the service role to this database
    let mut conn = db.admin_options().connect().await.unwrap();
    sqlx::query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND usename = 'tenantry_app'")
        .execute(&mut conn)
        .await
        .unwrap();
    let err = tx.commit().await.unwrap_err();
    assert!(matches!(err, tenantry_ports::StoreError::Unavailable(_)), "{err:?}");
    // Every pooled connection is dead now; the next unit of work still gets a live one
    // (the store does not ping before each unit of work, it replaces dead ones at BEGIN).
    let view = h.tenantry.list_users(&h.owner_scope(&t).await.unwrap()).await.unwrap();
    assert!(view.iter().all(|u| u.name != "Renamed"), "nothing was committed");
    let _ = Row::len(&sqlx::query("SELECT 1").fetch_one(&mut conn).await.unwrap());
    store.close().await;
    db.drop_now().await.unwrap();
}

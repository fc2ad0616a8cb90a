//! The embedding API on PostgreSQL: a product table registered with one line
//! of its migration gets the walls — a product query that forgets
//! `WHERE tenant_id` still sees and changes only the scoped tenant's rows —
//! its migrations keep their own history, a table of the wrong shape is
//! refused with the fix, and the verifier names product tables made without
//! the helper.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed step is a failed test

use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::{ConnectOptions, Row};
use std::borrow::Cow;
use std::sync::Arc;
use tenantry_ports::store::Access;
use tenantry_postgres::embedding::migrate_product;
use tenantry_postgres::testing::{TestDatabase, admin_url};
use tenantry_postgres::verify_isolation;
use tenantry_testkit::Harness;
use tenantry_testkit::Stores;

const PRODUCT_SQL: &str = "
CREATE SCHEMA IF NOT EXISTS timesheets;
CREATE TABLE timesheets.entries (
    tenant_id uuid    NOT NULL REFERENCES tenantry.tenants ON DELETE CASCADE,
    id        uuid    NOT NULL,
    user_id   uuid    NOT NULL,
    hours     integer NOT NULL CHECK (hours BETWEEN 1 AND 24),
    note      text    NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES tenantry.users (tenant_id, id)
);
SELECT tenantry.register_product_table('timesheets.entries');
";

fn product_migrator() -> Migrator {
    Migrator::with_migrations(vec![Migration::new(
        20_261_123_000_001,
        Cow::Borrowed("timesheets"),
        MigrationType::Simple,
        sqlx::SqlSafeStr::into_sql_str(PRODUCT_SQL),
        false,
    )])
}

#[tokio::test]
async fn a_product_query_without_a_tenant_filter_sees_and_changes_only_its_tenant() {
    let Some(admin) = admin_url("a_product_query_without_a_tenant_filter_sees_and_changes_only_its_tenant") else {
        return;
    };
    let db = TestDatabase::create(&admin).await.unwrap();
    let db_admin = secrecy::SecretString::from(db.admin_options().to_url_lossy().to_string());
    migrate_product(&db_admin, &product_migrator(), "timesheets._migrations").await.unwrap();
    // Twice: the product's history knows it ran; tenantry's own history holds none of it.
    migrate_product(&db_admin, &product_migrator(), "timesheets._migrations").await.unwrap();
    let mut owner = db.admin_options().connect().await.unwrap();
    let product_versions: i64 =
        sqlx::query_scalar("SELECT count(*) FROM timesheets._migrations").fetch_one(&mut owner).await.unwrap();
    let tenantry_versions: Vec<i64> =
        sqlx::query_scalar("SELECT version FROM _sqlx_migrations").fetch_all(&mut owner).await.unwrap();
    assert_eq!(product_versions, 1);
    assert!(!tenantry_versions.contains(&20_261_123_000_001));

    let store = db.store().await.unwrap();
    assert_eq!(store.product_tables().await.unwrap(), vec!["timesheets.entries".to_owned()]);
    let h =
        Harness::builder().stores(|clock| Stores::of(db.follower(&store).at(clock), Arc::new(db.operator()))).build();
    let a = h.signup("alpha").await.unwrap();
    let b = h.signup("beta").await.unwrap();
    let (scope_a, scope_b) = (h.owner_scope(&a).await.unwrap(), h.owner_scope(&b).await.unwrap());
    for (scope, owner_id, n) in [(&scope_a, a.owner_id, 3), (&scope_b, b.owner_id, 2)] {
        let mut tx = store.scoped(scope, Access::Write).await.unwrap();
        assert_eq!(tx.tenant_id(), scope.tenant_id());
        for i in 0..n {
            sqlx::query("INSERT INTO timesheets.entries VALUES ($1, gen_random_uuid(), $2, $3, 'work')")
                .bind(scope.tenant_id().as_uuid())
                .bind(owner_id.as_uuid())
                .bind(i + 1)
                .execute(tx.conn())
                .await
                .unwrap();
        }
        tx.commit().await.unwrap();
    }

    // No WHERE tenant_id anywhere below.
    let mut tx = store.scoped(&scope_a, Access::Write).await.unwrap();
    let rows = sqlx::query("SELECT tenant_id FROM timesheets.entries").fetch_all(tx.conn()).await.unwrap();
    assert_eq!(rows.len(), 3);
    assert!(rows.iter().all(|r| r.get::<uuid::Uuid, _>("tenant_id") == a.id.as_uuid()));
    let updated = sqlx::query("UPDATE timesheets.entries SET note = 'changed'").execute(tx.conn()).await.unwrap();
    assert_eq!(updated.rows_affected(), 3);
    // Writing a row for another tenant is refused by the policy's WITH CHECK.
    let foreign = sqlx::query("INSERT INTO timesheets.entries VALUES ($1, gen_random_uuid(), $2, 1, 'x')")
        .bind(b.id.as_uuid())
        .bind(b.owner_id.as_uuid())
        .execute(tx.conn())
        .await;
    assert!(foreign.is_err(), "a row of another tenant was written");
    drop(tx);
    let mut tx = store.scoped(&scope_a, Access::Write).await.unwrap();
    let deleted = sqlx::query("DELETE FROM timesheets.entries").execute(tx.conn()).await.unwrap();
    assert_eq!(deleted.rows_affected(), 3);
    tx.commit().await.unwrap();
    // Beta's rows are untouched.
    let mut tx = store.scoped(&scope_b, Access::Read).await.unwrap();
    let notes: Vec<String> =
        sqlx::query_scalar("SELECT note FROM timesheets.entries").fetch_all(tx.conn()).await.unwrap();
    assert_eq!(notes, vec!["work".to_owned(), "work".to_owned()]);
    drop(tx);
    // A read-only scope cannot write.
    let mut tx = store.scoped(&scope_b, Access::Read).await.unwrap();
    assert!(sqlx::query("DELETE FROM timesheets.entries").execute(tx.conn()).await.is_err());
    drop(tx);

    // A product audit event commits with the change it records, in its own tenant's log only.
    let action = tenantry_domain::ProductAction::new("timesheets.entry_logged").unwrap();
    let event = h.tenantry.product_event(&scope_b, action, None).unwrap().with("minutes", 5);
    let mut tx = store.scoped(&scope_a, Access::Write).await.unwrap();
    assert!(tx.audit(&event).await.is_err(), "an event of another tenant was appended");
    drop(tx);
    let mut tx = store.scoped(&scope_b, Access::Write).await.unwrap();
    tx.audit(&event).await.unwrap();
    drop(tx);
    // Read back through tenantry's own unit of work: the product role cannot read tenantry's log.
    let logged = |scope: tenantry_ports::TenantScope| {
        let store = store.clone();
        async move {
            let mut tx = tenantry_ports::store::UnitOfWork::begin(&store, &scope, Access::Read).await.unwrap();
            let query = tenantry_ports::store::AuditQuery {
                limit: 100,
                action: Some(tenantry_domain::AuditAction::parse("timesheets.entry_logged").unwrap()),
                ..Default::default()
            };
            tx.audit_events(&query).await.unwrap().len()
        }
    };
    assert_eq!(logged(scope_b.clone()).await, 0, "rolled back with its transaction");
    let mut tx = store.scoped(&scope_b, Access::Write).await.unwrap();
    tx.audit(&event).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(logged(scope_b.clone()).await, 1);
    assert_eq!(logged(scope_a.clone()).await, 0);
    let mut audit = tenantry_ports::store::UnitOfWork::begin(&store, &scope_b, Access::Read).await.unwrap();
    let query = tenantry_ports::store::AuditQuery { limit: 100, ..Default::default() };
    let read = audit.audit_events(&query).await.unwrap();
    // As written, dated by the database (tenantry's clock; on a Citus shard the worker's, decision 0032).
    let as_written =
        |e: &tenantry_domain::AuditEvent| tenantry_domain::AuditEvent { at: event.at, ..e.clone() } == event;
    assert!(read.iter().any(as_written), "the event reads back as written");
    drop(audit);

    // The verifier counts the product table among the protected ones (with the
    // database's own clock again: a stopped one is a finding).
    db.release_time().await.unwrap();
    let report = verify_isolation(&store).await.unwrap();
    assert!(report.protected.iter().any(|t| t == "timesheets.entries"), "{report:?}");
    assert!(report.findings.is_empty(), "{report:?}");
    store.close().await;
    drop(owner);
    db.drop_now().await.unwrap();
}

#[tokio::test]
async fn badly_shaped_product_tables_are_refused_with_the_fix_and_unregistered_ones_are_reported() {
    let Some(admin) =
        admin_url("badly_shaped_product_tables_are_refused_with_the_fix_and_unregistered_ones_are_reported")
    else {
        return;
    };
    let db = TestDatabase::create(&admin).await.unwrap();
    let mut owner = db.admin_options().connect().await.unwrap();
    sqlx::query("CREATE SCHEMA crm").execute(&mut owner).await.unwrap();
    let cases = [
        (
            "CREATE TABLE crm.no_tenant (id uuid PRIMARY KEY)",
            "crm.no_tenant",
            "needs a column `tenant_id uuid NOT NULL`",
        ),
        (
            "CREATE TABLE crm.id_first (tenant_id uuid NOT NULL, id uuid, PRIMARY KEY (id, tenant_id))",
            "crm.id_first",
            "must start with tenant_id",
        ),
        (
            "CREATE TABLE crm.loose_fk (tenant_id uuid NOT NULL, id uuid, owner uuid, PRIMARY KEY (tenant_id, id), \
             FOREIGN KEY (owner) REFERENCES crm.loose_fk_target (id))",
            "crm.loose_fk",
            "must include tenant_id",
        ),
        (
            "CREATE TABLE tenantry.sneaky (tenant_id uuid NOT NULL, id uuid, PRIMARY KEY (tenant_id, id))",
            "tenantry.sneaky",
            "schema of their own",
        ),
    ];
    sqlx::query("CREATE TABLE crm.loose_fk_target (id uuid PRIMARY KEY)").execute(&mut owner).await.unwrap();
    for (create, table, expected) in cases {
        sqlx::query(create).execute(&mut owner).await.unwrap();
        let refused = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT tenantry.register_product_table('{table}')")))
            .execute(&mut owner)
            .await
            .unwrap_err()
            .to_string();
        assert!(refused.contains(expected), "{table}: {refused}");
    }
    let registered: i64 =
        sqlx::query_scalar("SELECT count(*) FROM tenantry.product_tables").fetch_one(&mut owner).await.unwrap();
    assert_eq!(registered, 0, "a refused table was registered");

    // A well-shaped table created without the helper, and a view over a
    // registered one without security_invoker: both named by the verifier.
    sqlx::query("CREATE TABLE crm.deals (tenant_id uuid NOT NULL, id uuid, PRIMARY KEY (tenant_id, id))")
        .execute(&mut owner)
        .await
        .unwrap();
    sqlx::query("CREATE TABLE crm.contacts (tenant_id uuid NOT NULL, id uuid, PRIMARY KEY (tenant_id, id))")
        .execute(&mut owner)
        .await
        .unwrap();
    sqlx::query("SELECT tenantry.register_product_table('crm.contacts')").execute(&mut owner).await.unwrap();
    sqlx::query("CREATE VIEW crm.all_contacts AS SELECT * FROM crm.contacts").execute(&mut owner).await.unwrap();
    let store = db.store().await.unwrap();
    let report = verify_isolation(&store).await.unwrap();
    let named = |object: &str| report.findings.iter().any(|f| f.object == object);
    assert!(named("crm.deals"), "{report:?}");
    assert!(named("crm.all_contacts"), "{report:?}");
    assert!(!named("crm.contacts"), "{report:?}");
    store.close().await;
    drop(owner);
    db.drop_now().await.unwrap();
}

/// Issue 17: product code runs as its own role. It reaches its registered
/// tables and the one scoped helper (a product's audit event, in a product's
/// namespace, into the transaction's tenant) — not tenantry's tables, named
/// paths or clock. A permissive `USING (true)` policy planted on a product
/// table widens nothing for the service or product role (tenantry's
/// restrictive wall), and the verifier names it; so it names a table that
/// holds tenant data without being tenant-owned.
#[tokio::test]
async fn the_product_role_reaches_its_tables_only_and_a_planted_open_policy_widens_nothing() {
    let Some(admin) = admin_url("the_product_role_reaches_its_tables_only") else { return };
    let db = TestDatabase::create(&admin).await.unwrap();
    let db_admin = secrecy::SecretString::from(db.admin_options().to_url_lossy().to_string());
    migrate_product(&db_admin, &product_migrator(), "timesheets._migrations").await.unwrap();
    let store = db.store().await.unwrap();
    let h =
        Harness::builder().stores(|clock| Stores::of(db.follower(&store).at(clock), Arc::new(db.operator()))).build();
    let a = h.signup("alpha").await.unwrap();
    let b = h.signup("beta").await.unwrap();
    let (scope_a, scope_b) = (h.owner_scope(&a).await.unwrap(), h.owner_scope(&b).await.unwrap());
    let mut tx = store.scoped(&scope_a, Access::Write).await.unwrap();
    sqlx::query("INSERT INTO timesheets.entries VALUES ($1, gen_random_uuid(), $2, 8, 'alpha''s secret')")
        .bind(a.id.as_uuid())
        .bind(a.owner_id.as_uuid())
        .execute(tx.conn())
        .await
        .unwrap();
    tx.commit().await.unwrap();

    let refused = [
        "SELECT count(*) FROM tenantry.users",
        "SELECT count(*) FROM tenantry.audit_events",
        "SELECT count(*) FROM tenantry.superusers",
        "SELECT tenantry_lookup.resolve_slug('alpha')",
        "SELECT * FROM tenantry_lookup.due_tenants(10)",
        "SELECT tenantry.now()",
        "UPDATE tenantry.clock SET offset_by = '1 day'",
        "SELECT tenantry.register_product_table('timesheets.entries')",
        "INSERT INTO tenantry.audit_events (tenant_id, id, at, actor, action, outcome, details) \
         VALUES (current_setting('tenantry.tenant_id')::uuid, gen_random_uuid(), now(), '{}', 'auth.login_succeeded', \
         'success', '{}')",
    ];
    for sql in refused {
        let mut tx = store.scoped(&scope_a, Access::Write).await.unwrap();
        let result = sqlx::query(sqlx::AssertSqlSafe(sql)).execute(tx.conn()).await;
        assert!(result.is_err(), "the product role could run: {sql}");
    }
    // The helper refuses every namespace of tenantry's own (its audit log is evidence).
    let namespaces = tenantry_domain::AuditAction::ALL
        .iter()
        .map(|a| a.as_str().split('.').next().unwrap())
        .chain(tenantry_domain::audit::RESERVED_NAMESPACES.iter().copied());
    for namespace in namespaces {
        let forged = format!("{namespace}.forged");
        let mut tx = store.scoped(&scope_a, Access::Write).await.unwrap();
        let result = sqlx::query(
            "SELECT tenantry.append_product_audit(gen_random_uuid(), now(), '{}', NULL, $1, NULL, NULL, 'success', '{}')",
        )
        .bind(&forged)
        .execute(tx.conn())
        .await;
        assert!(result.is_err(), "the helper appended {forged}");
    }
    // A product's own action goes into the transaction's tenant, whatever tenant the caller names nowhere.
    let mut tx = store.scoped(&scope_a, Access::Write).await.unwrap();
    sqlx::query(
        "SELECT tenantry.append_product_audit($1, '2001-01-01T00:00:00Z', '{\"kind\": \"anonymous\"}', NULL, \
         'timesheets.exported', NULL, NULL, 'success', '{}')",
    )
    .bind(h.tenantry.deps().ids.new_uuid())
    .execute(tx.conn())
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let mut read = tenantry_ports::store::UnitOfWork::begin(&store, &scope_a, Access::Read).await.unwrap();
    let query = tenantry_ports::store::AuditQuery {
        limit: 10,
        action: tenantry_domain::AuditAction::parse("timesheets.exported"),
        ..Default::default()
    };
    let events = read.audit_events(&query).await.unwrap();
    assert_eq!(events.len(), 1);
    // Dated by tenantry's clock, not the caller's 2001 (migrations 0023, 0032) — on a Citus shard,
    // by the worker's clock (tenantry's clock table is the coordinator's; only tests shift it).
    let mut owner = db.admin_options().connect().await.unwrap();
    let citus: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus')")
        .fetch_one(&mut owner)
        .await
        .unwrap();
    let clock = if citus { chrono::Utc::now() } else { h.clock_now() };
    let off = (events[0].at - clock).num_seconds().abs();
    assert!(off < 60, "dated {} by the caller, tenantry's clock says {clock}", events[0].at);
    drop(read);

    // A permissive `USING (true)` planted by the owner: neither role of tenant B sees alpha's row.
    sqlx::query("CREATE POLICY open_to_all ON timesheets.entries USING (true) WITH CHECK (true)")
        .execute(&mut owner)
        .await
        .unwrap();
    let mut tx = store.scoped(&scope_b, Access::Write).await.unwrap();
    let seen: i64 = sqlx::query_scalar("SELECT count(*) FROM timesheets.entries").fetch_one(tx.conn()).await.unwrap();
    assert_eq!(seen, 0, "the product role in beta saw alpha's entry through a planted policy");
    let forged = sqlx::query("INSERT INTO timesheets.entries VALUES ($1, gen_random_uuid(), $2, 1, 'x')")
        .bind(a.id.as_uuid())
        .bind(a.owner_id.as_uuid())
        .execute(tx.conn())
        .await;
    assert!(forged.is_err(), "the product role in beta wrote into alpha through a planted policy");
    drop(tx);
    let mut tx = tenantry_ports::store::UnitOfWork::begin(&store, &scope_b, Access::Read).await.unwrap();
    let rows = tx.product_rows().await.unwrap();
    assert!(rows.iter().all(|t| t.rows.is_empty()), "the service role in beta saw alpha's entry: {rows:?}");
    drop(tx);
    // Tenant data outside the walls: a table referring to tenantry.tenants, and one in a product schema.
    sqlx::query("CREATE TABLE public.shadow (tenant uuid REFERENCES tenantry.tenants, secret text)")
        .execute(&mut owner)
        .await
        .unwrap();
    sqlx::query("CREATE TABLE timesheets.scratch (note text)").execute(&mut owner).await.unwrap();
    let report = verify_isolation(&store).await.unwrap();
    let problem =
        |object: &str, words: &str| report.findings.iter().any(|f| f.object == object && f.problem.contains(words));
    assert!(problem("timesheets.entries", "open_to_all"), "the planted policy is named: {report:?}");
    assert!(problem("public.shadow", "not tenant-owned"), "{report:?}");
    assert!(problem("timesheets.scratch", "not tenant-owned"), "{report:?}");
    assert!(!report.findings.iter().any(|f| f.object == "timesheets._migrations"), "the history is the platform's");
    assert!(!report.protected.iter().any(|t| t == "timesheets.entries"), "{report:?}");
    sqlx::query("DROP POLICY open_to_all ON timesheets.entries").execute(&mut owner).await.unwrap();
    // A restrictive policy only narrows: allowed.
    sqlx::query("CREATE POLICY only_long ON timesheets.entries AS RESTRICTIVE USING (hours > 0)")
        .execute(&mut owner)
        .await
        .unwrap();
    let report = verify_isolation(&store).await.unwrap();
    assert!(report.protected.iter().any(|t| t == "timesheets.entries"), "{report:?}");
    // Without the trigger that holds a product's audit rules, the product role's INSERT would
    // write anything: the verifier names it (migration 0032).
    for sql in ["SET citus.enable_unsafe_triggers = on", "DROP TRIGGER product_audit_rules ON tenantry.audit_events"] {
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql)).execute(&mut owner).await.unwrap();
    }
    let report = verify_isolation(&store).await.unwrap();
    assert!(
        report
            .findings
            .iter()
            .any(|f| f.object == "tenantry.audit_events" && f.problem.contains("product_audit_rules")),
        "{report:?}"
    );
    store.close().await;
    drop(owner);
    db.drop_now().await.unwrap();
}

/// `register_product_table(…, p_export_excluded => ARRAY[…])`: the named
/// columns are left out of the tenant's data export (the rows are not); an
/// unknown column is refused and registers nothing.
#[tokio::test]
async fn the_export_leaves_out_the_columns_registered_as_excluded() {
    let Some(admin) = admin_url("the_export_leaves_out_the_columns_registered_as_excluded") else {
        return;
    };
    let db = TestDatabase::create(&admin).await.unwrap();
    let mut owner = db.admin_options().connect().await.unwrap();
    sqlx::raw_sql(
        "CREATE SCHEMA crm; \
         CREATE TABLE crm.integrations (tenant_id uuid NOT NULL REFERENCES tenantry.tenants ON DELETE CASCADE, \
           id text NOT NULL, name text NOT NULL, api_secret text NOT NULL, PRIMARY KEY (tenant_id, id)); \
         CREATE TABLE crm.leads (tenant_id uuid NOT NULL REFERENCES tenantry.tenants ON DELETE CASCADE, \
           id text NOT NULL, PRIMARY KEY (tenant_id, id))",
    )
    .execute(&mut owner)
    .await
    .unwrap();
    let unknown =
        sqlx::query("SELECT tenantry.register_product_table('crm.leads', p_export_excluded => ARRAY['nope'])")
            .execute(&mut owner)
            .await
            .unwrap_err();
    assert!(unknown.to_string().contains("has no column nope"), "{unknown}");
    sqlx::query("SELECT tenantry.register_product_table('crm.integrations', p_export_excluded => ARRAY['api_secret'])")
        .execute(&mut owner)
        .await
        .unwrap();

    let store = db.store().await.unwrap();
    assert_eq!(store.product_tables().await.unwrap(), vec!["crm.integrations".to_owned()], "crm.leads not registered");
    let h =
        Harness::builder().stores(|clock| Stores::of(db.follower(&store).at(clock), Arc::new(db.operator()))).build();
    let a = h.signup("alpha").await.unwrap();
    let scope = h.owner_scope(&a).await.unwrap();
    let mut tx = store.scoped(&scope, Access::Write).await.unwrap();
    sqlx::query("INSERT INTO crm.integrations VALUES ($1, 'mailchimp', 'Mailchimp', 'sk-integration-secret-4711')")
        .bind(scope.tenant_id().as_uuid())
        .execute(tx.conn())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let export = h.tenantry.request_export(&scope).await.unwrap().export;
    h.tenantry.run_due_jobs(10).await.unwrap();
    let text =
        String::from_utf8(h.tenantry.download_export(&scope, export.id).await.unwrap().read_all().await.unwrap())
            .unwrap();
    assert!(text.contains("Mailchimp"), "the row is exported: {text}");
    assert!(!text.contains("sk-integration-secret-4711") && !text.contains("api_secret"), "{text}");
}

/// A product's audit event in the unit of work of its own write commits with
/// the write, on plain PostgreSQL and on Citus (where, before migration 0032,
/// the owner's helper was a second role on the tenant's shards and Citus
/// refused it); rolled back, neither is kept.
#[tokio::test]
async fn a_product_audit_event_commits_with_the_products_write_on_postgres_and_on_citus() {
    let Some(admin) = admin_url("a_product_audit_event_commits_with_the_products_write_on_postgres_and_on_citus")
    else {
        return;
    };
    let db = TestDatabase::create(&admin).await.unwrap();
    let db_admin = secrecy::SecretString::from(db.admin_options().to_url_lossy().to_string());
    migrate_product(&db_admin, &product_migrator(), "timesheets._migrations").await.unwrap();
    let mut owner = db.admin_options().connect().await.unwrap();
    let citus: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus')")
        .fetch_one(&mut owner)
        .await
        .unwrap();
    let store = db.store().await.unwrap();
    let h =
        Harness::builder().stores(|clock| Stores::of(db.follower(&store).at(clock), Arc::new(db.operator()))).build();
    let a = h.signup("alpha").await.unwrap();
    let scope = h.owner_scope(&a).await.unwrap();
    let action = tenantry_domain::ProductAction::new("timesheets.approved").unwrap();
    for commit in [false, true] {
        let mut tx = store.scoped(&scope, Access::Write).await.unwrap();
        sqlx::query("INSERT INTO timesheets.entries VALUES ($1, gen_random_uuid(), $2, 8, 'approved work')")
            .bind(a.id.as_uuid())
            .bind(a.owner_id.as_uuid())
            .execute(tx.conn())
            .await
            .unwrap();
        let event = h.tenantry.product_event(&scope, action.clone(), None).unwrap();
        tx.audit(&event).await.unwrap();
        if commit {
            tx.commit().await.unwrap();
        } else {
            tx.rollback().await.unwrap();
        }
        let mut read = tenantry_ports::store::UnitOfWork::begin(&store, &scope, Access::Read).await.unwrap();
        let query = tenantry_ports::store::AuditQuery {
            limit: 10,
            action: tenantry_domain::AuditAction::parse("timesheets.approved"),
            ..Default::default()
        };
        let events = read.audit_events(&query).await.unwrap();
        drop(read);
        let mut tx = store.scoped(&scope, Access::Read).await.unwrap();
        let entries: i64 =
            sqlx::query_scalar("SELECT count(*) FROM timesheets.entries").fetch_one(tx.conn()).await.unwrap();
        drop(tx);
        let kept = usize::from(commit);
        assert_eq!((entries, events.len()), (i64::from(commit), kept), "the write and its event, both or neither");
        if let Some(event) = events.first() {
            // Dated by tenantry's clock (on a Citus shard, the worker's).
            let clock = if citus { chrono::Utc::now() } else { h.clock_now() };
            assert!((event.at - clock).num_seconds().abs() < 60, "dated {}, the clock says {clock}", event.at);
        }
    }
    store.close().await;
    db.drop_now().await.unwrap();
}

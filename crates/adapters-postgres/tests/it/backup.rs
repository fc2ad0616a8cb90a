//! The superuser's backup and restore on PostgreSQL: the testkit's scenarios
//! (every tenant-owned table compared after backup → purge → restore; erased
//! users stay erased, even after a purge; clones; refusals; the property that
//! restoring one tenant never changes another), plus what only SQL has —
//! restoring an archive made before a column was added, and refusing one that
//! has a table or column this schema lacks, or rows of another store.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed step is a failed test

use sqlx::ConnectOptions;
use std::sync::Arc;
use tenantry_ports::Problem;
use tenantry_ports::backup::{self, BackupContents};
use tenantry_ports::services::backups::RestoreMode;
use tenantry_postgres::testing::{TestDatabase, admin_url};
use tenantry_testkit::Stores;
use tenantry_testkit::harness::test_backup_key;
use tenantry_testkit::{Harness, SequentialIds, restore};

#[tokio::test]
async fn backup_and_restore_scenarios_on_postgres() {
    let Some(admin) = admin_url("backup_and_restore_scenarios_on_postgres") else { return };
    let db = TestDatabase::create(&admin).await.unwrap();
    let store = db.store().await.unwrap();
    let h =
        Harness::builder().stores(|clock| Stores::of(db.follower(&store).at(clock), Arc::new(db.operator()))).build();
    let purged = restore::purge_and_restore(&h, "phoenix").await;
    let erased = restore::erased_stays_erased(&h, "lethe", false).await;
    let erased_purged = restore::erased_stays_erased(&h, "styx", true).await;
    let cloned = restore::clone_tenant(&h, "dolly").await;
    let refused = restore::refusals(&h, "guard").await;
    let revoked = restore::revoked_stays_revoked(&h, "vault").await;
    let throne = restore::removed_owner_stays_out(&h, "throne").await;
    // Every tenant-owned table of tenantry's schema is in the archive.
    let su = h.superuser("ops@tables.example.com").await.unwrap();
    let t = restore::busy_tenant(&h, "tables").await.unwrap();
    let tables: Vec<String> =
        restore::contents_of(&h, &su, t.id).await.unwrap().rows.tables.iter().map(|t| t.table.clone()).collect();
    let mut owner = db.admin_options().connect().await.unwrap();
    let owned: Vec<String> = sqlx::query_scalar(
        "SELECT format('%I.%I', n.nspname, c.relname) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE c.relkind = 'r' AND n.nspname = 'tenantry' AND obj_description(c.oid, 'pg_class') = 'tenantry:tenant-owned'",
    )
    .fetch_all(&mut owner)
    .await
    .unwrap();
    drop(owner);
    store.close().await;
    db.drop_now().await.unwrap();

    let purged = purged.unwrap();
    assert!(purged.rows.values().sum::<usize>() > 20, "{:?}", purged.rows);
    assert!(purged.rows.get("tenantry.users").is_some_and(|n| *n == 3), "{:?}", purged.rows);
    erased.unwrap();
    erased_purged.unwrap();
    cloned.unwrap();
    assert_eq!(refused.unwrap(), restore::REFUSAL_CODES);
    assert_eq!(revoked.unwrap(), restore::REVOKED_STAY_REVOKED);
    assert_eq!(throne.unwrap(), (false, false, true, true), "the removed owner stays out");
    assert!(owned.len() >= 15, "{owned:?}");
    // Every tenant-owned table but the file chunks: a file's bytes travel beside the rows, read
    // through the file store (decision 0033; the restore scenarios check them byte for byte).
    for table in owned.into_iter().filter(|t| t != "tenantry.file_chunks") {
        assert!(tables.contains(&table), "{table} is not in the backup: {tables:?}");
    }
    assert!(!tables.iter().any(|t| t == "tenantry.file_chunks"), "the bytes are not in the rows twice");
    // Parents come first.
    assert_eq!(tables[0], "tenantry.tenants");
}

#[tokio::test]
async fn archives_of_an_older_schema_restore_and_foreign_shapes_are_refused() {
    let Some(admin) = admin_url("archives_of_an_older_schema_restore_and_foreign_shapes_are_refused") else { return };
    let db = TestDatabase::create(&admin).await.unwrap();
    let store = db.store().await.unwrap();
    let h =
        Harness::builder().stores(|clock| Stores::of(db.follower(&store).at(clock), Arc::new(db.operator()))).build();
    let su = h.superuser("ops@older.example.com").await.unwrap();
    let t = restore::busy_tenant(&h, "older").await.unwrap();
    let contents = restore::contents_of(&h, &su, t.id).await.unwrap();
    let who = h.tenantry.authorize_platform(&su).await.unwrap();
    let reseal = |c: &BackupContents| backup::seal(&test_backup_key(), c, [5; 12]).unwrap();
    let edit = |f: &dyn Fn(&mut BackupContents)| {
        let mut c = contents.clone();
        f(&mut c);
        reseal(&c)
    };
    let users = |c: &mut BackupContents| c.rows.tables.iter().position(|t| t.table == "tenantry.users").unwrap();

    // Made before migration 0009 added users.email_verified_at: the column takes its default.
    let older = edit(&|c| {
        let i = users(c);
        c.rows.tables[i].columns.retain(|col| col != "email_verified_at");
        for row in &mut c.rows.tables[i].rows {
            row.as_object_mut().unwrap().remove("email_verified_at");
        }
    });
    let restored = h.tenantry.restore_tenant(&who, t.id, &older, RestoreMode::SameId).await;
    let after = restore::contents_of(&h, &su, t.id).await.unwrap();

    // A column this schema does not have, a table it does not have, a required column missing,
    // rows of the memory store: refused, nothing written.
    let unknown_column = edit(&|c| {
        let i = users(c);
        c.rows.tables[i].columns.push("shoe_size".into());
    });
    let unknown_table = edit(&|c| {
        c.rows.tables.push(backup::TableRows { table: "tenantry.gone".into(), columns: vec![], rows: vec![] });
    });
    let missing_required = edit(&|c| {
        let i = users(c);
        c.rows.tables[i].columns.retain(|col| col != "password_hash");
        for row in &mut c.rows.tables[i].rows {
            row.as_object_mut().unwrap().remove("password_hash");
        }
    });
    let memory = edit(&|c| c.rows.store = "memory".into());
    let mut codes = Vec::new();
    for archive in [unknown_column, unknown_table, missing_required, memory] {
        codes.push(h.tenantry.restore_tenant(&who, t.id, &archive, RestoreMode::SameId).await.unwrap_err().code());
    }
    let unchanged = restore::contents_of(&h, &su, t.id).await.unwrap();
    // An archive from the memory store cannot go into PostgreSQL (and the other way round).
    let mem = Harness::builder().ids(Arc::new(SequentialIds::default())).build();
    let mem_su = mem.superuser("ops@mem.example.com").await.unwrap();
    let mem_t = mem.signup("older").await.unwrap();
    let mem_archive = {
        let scope = mem.scope(&mem_su, mem_t.id).await.unwrap();
        mem.tenantry.backup_tenant(&scope).await.unwrap().archive
    };
    let pg_archive = {
        let scope = h.scope(&su, t.id).await.unwrap();
        h.tenantry.backup_tenant(&scope).await.unwrap().archive
    };
    let mem_who = mem.tenantry.authorize_platform(&mem_su).await.unwrap();
    let pg_into_memory =
        mem.tenantry.restore_tenant(&mem_who, t.id, &pg_archive, RestoreMode::SameId).await.unwrap_err().code();
    let memory_into_pg =
        h.tenantry.restore_tenant(&who, mem_t.id, &mem_archive, RestoreMode::SameId).await.unwrap_err().code();
    store.close().await;
    db.drop_now().await.unwrap();

    restored.unwrap();
    let verified = |c: &BackupContents| {
        let i = c.rows.tables.iter().position(|t| t.table == "tenantry.users").unwrap();
        c.rows.tables[i].rows.iter().filter(|r| !r["email_verified_at"].is_null()).count()
    };
    assert!(verified(&contents) > 0, "the scenario has verified users");
    assert_eq!(verified(&after), 0, "the column added since takes its default");
    assert_eq!(codes, ["backup_incompatible"; 4]);
    assert_eq!(restore::comparable(&unchanged), restore::comparable(&after));
    assert_eq!(pg_into_memory, "backup_incompatible");
    assert_eq!(memory_into_pg, "backup_incompatible");
}

#[test]
fn restoring_tenant_a_never_changes_tenant_b_on_postgres() {
    let Some(admin) = admin_url("restoring_tenant_a_never_changes_tenant_b_on_postgres") else { return };
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let db = rt.block_on(TestDatabase::create(&admin)).unwrap();
    let store = rt.block_on(db.store()).unwrap();
    // One database for every case: shared ids, a slug prefix per case.
    let ids = Arc::new(SequentialIds::default());
    let result = restore::check_restore_isolation(8, &rt, |i| {
        let h = Harness::builder()
            .stores(|clock| Stores::of(db.follower(&store).at(clock), Arc::new(db.operator())))
            .ids(ids.clone())
            .build();
        (h, format!("p{i}"))
    });
    rt.block_on(store.close());
    rt.block_on(db.drop_now()).unwrap();
    result.unwrap();
}

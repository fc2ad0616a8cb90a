#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed step is a failed test
//! The embedding API in memory (`MemoryStore::scoped`): a product's rows are
//! confined to the scope's tenant, read-only units refuse writes, a dropped
//! unit rolls back, a conflict aborts it, and audit events of another tenant
//! are refused — the memory counterpart of `adapters-postgres/tests/embedding.rs`.

use serde::{Deserialize, Serialize};
use tenantry_domain::{AuditAction, ProductAction};
use tenantry_ports::StoreError;
use tenantry_ports::error::Constraint;
use tenantry_ports::store::Access;
use tenantry_testkit::memory::ProductTableError;
use tenantry_testkit::{Harness, MemoryStore};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct Note {
    text: String,
}

fn note(text: &str) -> Note {
    Note { text: text.to_owned() }
}

async fn two_tenants() -> (Harness, MemoryStore, tenantry_ports::TenantScope, tenantry_ports::TenantScope) {
    let h = Harness::new();
    let memory = h.memory.clone();
    memory.register_product_table("crm.notes").unwrap();
    let a = h.signup("alpha").await.unwrap();
    let b = h.signup("bravo").await.unwrap();
    let (sa, sb) = (h.owner_scope(&a).await.unwrap(), h.owner_scope(&b).await.unwrap());
    (h, memory, sa, sb)
}

#[tokio::test]
async fn a_scoped_unit_sees_and_changes_only_its_tenants_rows() {
    let (_h, memory, alpha, bravo) = two_tenants().await;
    for (scope, texts) in [(&alpha, ["a1", "a2"]), (&bravo, ["b1", "b2"])] {
        let mut tx = memory.scoped(scope, Access::Write).await.unwrap();
        for t in texts {
            tx.table("crm.notes").unwrap().insert(t, &note(t)).unwrap();
        }
        tx.commit().await.unwrap();
    }
    // Same keys in both tenants are distinct rows (the key is the tenant's own).
    let mut tx = memory.scoped(&bravo, Access::Write).await.unwrap();
    tx.table("crm.notes").unwrap().insert("a1", &note("bravo's a1")).unwrap();
    tx.commit().await.unwrap();

    // Listing "everything" lists one tenant's rows.
    let mut tx = memory.scoped(&alpha, Access::Read).await.unwrap();
    let rows: Vec<Note> = tx.table("crm.notes").unwrap().list().unwrap();
    assert_eq!(rows, vec![note("a1"), note("a2")]);
    assert_eq!(tx.table("crm.notes").unwrap().get::<Note>("b1").unwrap(), None);
    drop(tx);
    // Changing or deleting another tenant's key changes nothing of it.
    let mut tx = memory.scoped(&alpha, Access::Write).await.unwrap();
    assert!(matches!(tx.table("crm.notes").unwrap().update("b1", &note("stolen")), Err(StoreError::NotFound)));
    assert!(matches!(tx.table("crm.notes").unwrap().delete("b2"), Err(StoreError::NotFound)));
    tx.commit().await.unwrap();
    let mut tx = memory.scoped(&bravo, Access::Read).await.unwrap();
    let rows: Vec<Note> = tx.table("crm.notes").unwrap().list().unwrap();
    assert_eq!(rows, vec![note("bravo's a1"), note("b1"), note("b2")]);
}

#[tokio::test]
async fn writes_need_a_writer_a_commit_a_registered_table_and_a_free_key() {
    let (_h, memory, alpha, _) = two_tenants().await;
    let read = |memory: MemoryStore, scope: tenantry_ports::TenantScope| async move {
        let mut tx = memory.scoped(&scope, Access::Read).await.unwrap();
        tx.table("crm.notes").unwrap().list::<Note>().unwrap()
    };
    // A reader may not write.
    let mut tx = memory.scoped(&alpha, Access::Read).await.unwrap();
    assert!(tx.table("crm.notes").unwrap().insert("x", &note("x")).is_err());
    drop(tx);
    // Dropped without commit: rolled back.
    let mut tx = memory.scoped(&alpha, Access::Write).await.unwrap();
    tx.table("crm.notes").unwrap().insert("x", &note("x")).unwrap();
    drop(tx);
    assert!(read(memory.clone(), alpha.clone()).await.is_empty());
    tx = memory.scoped(&alpha, Access::Write).await.unwrap();
    tx.table("crm.notes").unwrap().insert("x", &note("x")).unwrap();
    tx.rollback();
    assert!(read(memory.clone(), alpha.clone()).await.is_empty());
    // A taken key is a primary-key conflict that aborts the unit of work.
    let mut tx = memory.scoped(&alpha, Access::Write).await.unwrap();
    tx.table("crm.notes").unwrap().insert("k", &note("first")).unwrap();
    let again = tx.table("crm.notes").unwrap().insert("k", &note("second"));
    assert!(matches!(again, Err(StoreError::Conflict(Constraint::PrimaryKey))), "{again:?}");
    assert!(tx.commit().await.is_err());
    assert!(read(memory.clone(), alpha.clone()).await.is_empty());
    // An unregistered table is refused by name; bad names are refused at registration.
    let mut tx = memory.scoped(&alpha, Access::Write).await.unwrap();
    let err = tx.table("crm.leads").map(|_| ()).unwrap_err();
    assert!(err.to_string().contains("crm.leads"), "{err}");
    assert!(matches!(memory.register_product_table("tenantry.notes"), Err(ProductTableError::TenantrysSchema(_))));
    assert!(matches!(memory.register_product_table("notes"), Err(ProductTableError::Malformed(_))));
    assert_eq!(memory.product_tables(), vec!["crm.notes".to_owned()]);
}

#[tokio::test]
async fn product_audit_events_commit_with_the_change_and_stay_in_their_tenant() {
    let (h, memory, alpha, bravo) = two_tenants().await;
    let action = ProductAction::new("crm.note_added").unwrap();
    let event = h.tenantry.product_event(&alpha, action.clone(), None).unwrap().with("note", "a1");
    assert_eq!(event.action, AuditAction::Product(action.clone()));
    // Into another tenant's unit of work: refused.
    let mut tx = memory.scoped(&bravo, Access::Write).await.unwrap();
    assert!(tx.audit(&event).await.is_err());
    drop(tx);
    // Rolled back with the change; committed with it.
    let mut tx = memory.scoped(&alpha, Access::Write).await.unwrap();
    tx.table("crm.notes").unwrap().insert("a1", &note("a1")).unwrap();
    tx.audit(&event).await.unwrap();
    drop(tx);
    let count = |memory: MemoryStore, t| async move {
        memory.snapshot(t).await.audit.iter().filter(|e| e.action.as_str() == "crm.note_added").count()
    };
    assert_eq!(count(memory.clone(), alpha.tenant_id()).await, 0);
    let mut tx = memory.scoped(&alpha, Access::Write).await.unwrap();
    tx.table("crm.notes").unwrap().insert("a1", &note("a1")).unwrap();
    tx.audit(&event).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(count(memory.clone(), alpha.tenant_id()).await, 1);
    assert_eq!(count(memory.clone(), bravo.tenant_id()).await, 0);
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct Integration {
    name: String,
    api_secret: String,
}

/// A product's own secret in a registered table, named at registration as left
/// out of the export: the tenant's data export has the row, not the secret.
#[tokio::test]
async fn the_export_leaves_out_the_columns_registered_as_excluded() {
    let (h, memory, alpha, _) = two_tenants().await;
    memory.register_product_table_excluding("crm.integrations", &["api_secret"]).unwrap();
    let mut tx = memory.scoped(&alpha, Access::Write).await.unwrap();
    let row = Integration { name: "Mailchimp".into(), api_secret: "sk-integration-secret-4711".into() };
    tx.table("crm.integrations").unwrap().insert("mailchimp", &row).unwrap();
    tx.table("crm.notes").unwrap().insert("n1", &note("kept in the export")).unwrap();
    tx.commit().await.unwrap();
    let export = h.tenantry.request_export(&alpha).await.unwrap().export;
    h.tenantry.run_due_jobs(10).await.unwrap();
    let text =
        String::from_utf8(h.tenantry.download_export(&alpha, export.id).await.unwrap().read_all().await.unwrap())
            .unwrap();
    assert!(text.contains("Mailchimp") && text.contains("kept in the export"), "the rows are exported: {text}");
    assert!(!text.contains("sk-integration-secret-4711") && !text.contains("api_secret"), "{text}");
    // A column name that is no identifier is refused, and the list stays.
    let refused = memory.register_product_table_excluding("crm.integrations", &["api secret; --"]);
    assert!(matches!(refused, Err(ProductTableError::MalformedColumn(_))), "{refused:?}");
}

/// Issue 18: an export is written section by section (the audit log page by
/// page) and read back chunk by chunk; a large one comes back whole, as one
/// JSON document, in several chunks, with every audit event once.
#[tokio::test]
async fn a_large_export_is_written_in_pieces_and_read_in_chunks() {
    use tenantry_ports::services::exports::ExportArchive;
    let (h, memory, alpha, _) = two_tenants().await;
    let action = ProductAction::new("crm.note_added").unwrap();
    let mut tx = memory.scoped(&alpha, Access::Write).await.unwrap();
    for i in 0..2500 {
        let event =
            h.tenantry.product_event(&alpha, action.clone(), None).unwrap().with("note", format!("note {i:04}"));
        tx.audit(&event).await.unwrap();
    }
    tx.commit().await.unwrap();
    let export = h.tenantry.request_export(&alpha).await.unwrap().export;
    h.tenantry.run_due_jobs(10).await.unwrap();
    let mut archive = h.tenantry.download_export(&alpha, export.id).await.unwrap();
    assert!(archive.size_bytes > u64::from(ExportArchive::CHUNK) * 2, "{} bytes", archive.size_bytes);
    let (mut bytes, mut chunks) = (Vec::new(), 0);
    while let Some(chunk) = archive.next_chunk().await.unwrap() {
        assert!(chunk.len() <= ExportArchive::CHUNK as usize);
        bytes.extend_from_slice(&chunk);
        chunks += 1;
    }
    assert!(chunks >= 3, "{chunks} chunks");
    assert_eq!(bytes.len() as u64, archive.size_bytes);
    let document: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(document["format"], "tenantry-export/1");
    let events = document["sections"]["audit_events"].as_array().unwrap();
    let notes: std::collections::BTreeSet<&str> = events.iter().filter_map(|e| e["details"]["note"].as_str()).collect();
    assert_eq!(notes.len(), 2500, "every product event once, across three pages of the log");
    assert!(document["sections"]["users"].as_array().is_some_and(|u| !u.is_empty()));
    // The export's progress counted every section.
    let status = h.tenantry.export_status(&alpha, export.id).await.unwrap();
    // 11 sections since the files manifest (issue 27).
    assert_eq!((status.sections_done, status.sections_total, status.size_bytes), (11, 11, archive.size_bytes));
}

//! Tenant files on the in-memory store (issue 27): the file store's contract
//! (object_store's memory store) and the files service.

use tenantry_testkit::Harness;
use tenantry_testkit::contract::files;

#[tokio::test]
async fn the_memory_file_store_keeps_the_contract() {
    let h = Harness::new();
    let a = h.signup("alpha").await.unwrap();
    let b = h.signup("beta").await.unwrap();
    files::file_store(h.tenantry.deps().files.as_ref(), a.id, b.id).await.unwrap();
}

#[tokio::test]
async fn files_are_counted_to_the_byte_confined_to_their_tenant_and_typed_by_their_bytes_in_memory() {
    files::files_service(&Harness::new()).await.unwrap();
}

//! The object-store file store on the local file system (issue 27): the
//! file store's contract, keys that stay in their tenant's folder, and a
//! 50 MB upload and download that never holds the file whole (the process's
//! peak resident memory grows by far less than the file).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed step is a failed test

use tenantry_domain::{EntityId as _, FileId, TenantId};
use tenantry_objects::ObjectFileStore;
use tenantry_ports::files::FileStore as _;
use tenantry_testkit::contract::files;

fn tenant(n: u128) -> TenantId {
    TenantId::from_uuid(uuid::Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0000 | n)).unwrap()
}

#[tokio::test]
async fn the_local_file_store_keeps_the_contract_and_its_keys_stay_in_the_tenants_folder() {
    let dir = tempfile::tempdir().unwrap();
    let store = ObjectFileStore::local(dir.path()).unwrap();
    files::file_store(&store, tenant(1), tenant(2)).await.unwrap();
    // What is on disk: only under tenants/<tenant>/files/<file id>.
    let id = FileId::from_uuid(uuid::Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0abc)).unwrap();
    store.put(tenant(3), id, tenantry_ports::files::once(&b"kept"[..])).await.unwrap();
    let path =
        dir.path().join("tenants").join(tenant(3).as_uuid().to_string()).join("files").join(id.as_uuid().to_string());
    assert_eq!(std::fs::read(&path).unwrap(), b"kept");
    // A stray file in the folder (not a file id) is not listed as one.
    std::fs::write(path.with_file_name("notes.txt"), b"stray").unwrap();
    assert_eq!(store.list(tenant(3)).await.unwrap(), vec![id]);
}

/// The resident peak of this process (`VmHWM`), in bytes.
fn peak_resident() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse::<u64>().unwrap() * 1024
}

#[tokio::test]
async fn fifty_megabytes_go_in_and_out_without_being_held_whole() {
    const SIZE: u64 = 50 * 1024 * 1024;
    let dir = tempfile::tempdir().unwrap();
    let store = ObjectFileStore::local(dir.path()).unwrap();
    let id = FileId::from_uuid(uuid::Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0050)).unwrap();
    let before = peak_resident();
    store.put(tenant(9), id, files::generated(SIZE, 256 * 1024, 5)).await.unwrap();
    let (len, sha) = files::digest(store.get(tenant(9), id).await.unwrap().unwrap()).await.unwrap();
    let grown = peak_resident().saturating_sub(before);
    assert_eq!(len, SIZE);
    assert_eq!(sha, files::digest(files::generated(SIZE, 1024 * 1024, 5)).await.unwrap().1);
    // The store buffers 5 MiB a part, two parts in flight; the file is 50 MiB.
    assert!(grown < 25 * 1024 * 1024, "the peak grew by {grown} bytes for a {SIZE}-byte file");
}

//! A 50 MB file in and out of PostgreSQL's chunks without being held whole
//! (issue 27): the process's resident peak grows by far less than the file.
//! A test binary of its own, so that no other test's memory is measured.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed step is a failed test

use std::sync::Arc;
use tenantry_domain::{EntityId as _, FileId};
use tenantry_ports::files::FileStore as _;
use tenantry_postgres::testing::{TestDatabase, admin_url};
use tenantry_testkit::contract::files;
use tenantry_testkit::{Harness, Stores};

/// The resident peak of this process (`VmHWM`), in bytes.
fn peak_resident() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse::<u64>().unwrap() * 1024
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_megabytes_go_in_and_out_of_postgres_without_being_held_whole() {
    const SIZE: u64 = 50 * 1024 * 1024;
    let Some(admin) = admin_url("fifty_megabytes_go_in_and_out_of_postgres") else { return };
    let db = TestDatabase::create(&admin).await.unwrap();
    let store = db.store().await.unwrap();
    let h =
        Harness::builder().stores(|clock| Stores::of(db.follower(&store).at(clock), Arc::new(db.operator()))).build();
    let t = h.signup("large").await.unwrap();
    let id = FileId::from_uuid(uuid::Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0050)).unwrap();
    let expected = files::digest(files::generated(SIZE, 1024 * 1024, 9)).await.unwrap();
    let before = peak_resident();
    store.put(t.id, id, files::generated(SIZE, 256 * 1024, 9)).await.unwrap();
    let got = files::digest(store.get(t.id, id).await.unwrap().unwrap()).await.unwrap();
    let grown = peak_resident().saturating_sub(before);
    store.close().await;
    db.drop_now().await.unwrap();
    assert_eq!(got, expected, "the file comes back byte for byte");
    // A chunk is 1 MiB; the file is 50 MiB.
    assert!(grown < 25 * 1024 * 1024, "the peak grew by {grown} bytes for a {SIZE}-byte file");
}

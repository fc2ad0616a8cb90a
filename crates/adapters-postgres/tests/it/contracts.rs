//! The testkit's contract suites against PostgreSQL: the in-memory and the
//! PostgreSQL behaviours may not drift. Each clause gets a fresh database.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed step is a failed test

use async_trait::async_trait;
use secrecy::SecretString;
use std::sync::{Arc, Mutex};
use tenantry_postgres::testing::{TestDatabase, admin_url};
use tenantry_testkit::Stores;
use tenantry_testkit::contract::store::{FreshStores, StoreFactory};
use tenantry_testkit::contract::{directory, store};

struct PgFactory {
    admin: SecretString,
    databases: Mutex<Vec<TestDatabase>>,
}

#[async_trait]
impl StoreFactory for PgFactory {
    async fn fresh(&self) -> FreshStores {
        let db = TestDatabase::create(&self.admin).await.unwrap();
        let store = db.follower(&db.store().await.unwrap());
        self.databases.lock().unwrap().push(db);
        Box::new(move |clock| Stores::of(store.at(clock), Arc::new(store.operator())))
    }
}

impl PgFactory {
    async fn drop_all(self) {
        let dbs = std::mem::take(&mut *self.databases.lock().unwrap());
        for db in dbs {
            db.drop_now().await.unwrap();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_keeps_the_store_contract() {
    let Some(admin) = admin_url("postgres_keeps_the_store_contract") else { return };
    let factory = PgFactory { admin, databases: Mutex::new(Vec::new()) };
    let result = store::run(&factory).await;
    factory.drop_all().await;
    result.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_keeps_the_directory_contract() {
    let Some(admin) = admin_url("postgres_keeps_the_directory_contract") else { return };
    let factory = PgFactory { admin, databases: Mutex::new(Vec::new()) };
    let result = directory::run(&factory).await;
    factory.drop_all().await;
    result.unwrap();
}

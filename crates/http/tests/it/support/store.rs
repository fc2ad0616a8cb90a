//! The store a test runs on — the embedded default's memory store or a fresh
//! PostgreSQL database connected as the service role — and `on_both!`, which
//! runs one test body on each.

use std::sync::Arc;
use tenantry_postgres::PgStore;
use tenantry_postgres::testing::{StoreFollower, TestDatabase, admin_url};
use tenantry_testkit::harness::HarnessBuilder;
use tenantry_testkit::{Harness, Stores};

/// Which store a test runs on.
#[derive(Clone, Copy, Debug)]
pub enum StoreKind {
    /// The embedded default's memory store.
    Memory,
    /// A fresh PostgreSQL database (`DATABASE_ADMIN_URL`), row-level security in the path.
    Postgres,
}

/// A test's store; [`TestStore::close`] drops its database when the test passed
/// (a failed test leaves it for inspection).
pub struct TestStore {
    pg: Option<(TestDatabase, PgStore)>,
    /// The runtime a synchronous test's store was opened on, kept while the
    /// store lives (its connections belong to it).
    setup: Option<tokio::runtime::Runtime>,
}

impl TestStore {
    /// The store of `kind` for `test`; `None` (with one NOT RUN line, and an
    /// error under `CI=true`) when PostgreSQL is asked for and not configured.
    pub async fn open(kind: StoreKind, test: &str) -> Option<Self> {
        match kind {
            StoreKind::Memory => Some(Self { pg: None, setup: None }),
            StoreKind::Postgres => {
                let admin = admin_url(test)?;
                let db = TestDatabase::create(&admin).await.unwrap();
                let store = db.store().await.unwrap();
                Some(Self { pg: Some((db, store)), setup: None })
            }
        }
    }

    /// [`TestStore::open`] for a synchronous test (a property test's setup).
    pub fn open_blocking(kind: StoreKind, test: &str) -> Option<Self> {
        let setup = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let store = setup.block_on(Self::open(kind, test))?;
        Some(Self { setup: Some(setup), ..store })
    }

    /// `builder`'s harness on this store; on PostgreSQL the database's clock
    /// follows the harness's.
    pub fn harness(&self, builder: HarnessBuilder<'_>) -> Harness {
        match &self.pg {
            None => builder.build(),
            Some((db, store)) => {
                builder.stores(|clock| Stores::of(db.follower(store).at(clock), Arc::new(db.operator()))).build()
            }
        }
    }

    /// The PostgreSQL store, detached (for services composed by hand); `None` on memory.
    pub fn follower(&self) -> Option<StoreFollower> {
        self.pg.as_ref().map(|(db, store)| db.follower(store))
    }

    /// Closes the pools and drops the database.
    pub async fn close(self) {
        if let Some((db, store)) = self.pg {
            store.close().await;
            db.drop_now().await.unwrap();
        }
    }

    /// [`TestStore::close`] for a synchronous test.
    pub fn close_blocking(mut self) {
        let setup = match self.setup.take() {
            Some(setup) => setup,
            None => tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap(),
        };
        setup.block_on(self.close());
    }
}

/// `on_both!(body)` (or `on_both!(body, make)`): the async test `body(make(&store).await)`
/// as `body::in_memory` and `body::on_postgres`; `make` defaults to the
/// module's `app`.
macro_rules! on_both {
    ($name:ident) => {
        $crate::support::on_both!($name, app);
    };
    ($name:ident, $make:ident) => {
        mod $name {
            async fn run(kind: $crate::support::StoreKind) {
                let Some(store) = $crate::support::TestStore::open(kind, module_path!()).await else {
                    return;
                };
                super::$name(super::$make(&store).await).await;
                store.close().await;
            }
            #[tokio::test]
            async fn in_memory() {
                run($crate::support::StoreKind::Memory).await;
            }
            #[tokio::test]
            async fn on_postgres() {
                run($crate::support::StoreKind::Postgres).await;
            }
        }
    };
}
pub(crate) use on_both;

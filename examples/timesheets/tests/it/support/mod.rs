//! The example served over HTTP on either store, for the black-box tests.

use sqlx::ConnectOptions;
use std::sync::Arc;
use tenantry_example_timesheets::{Timesheets, migrate, policy, routes};
use tenantry_http::auth::TokenKeys;
use tenantry_http::{AppState, router_with_product};
use tenantry_postgres::PgStore;
use tenantry_postgres::testing::TestDatabase;
use tenantry_testkit::{Harness, Stores};

/// tenantry with the timesheets routes, listening on a free port.
pub struct Served {
    /// The harness (signups, users, the fake clock).
    pub h: Harness,
    /// `http://127.0.0.1:port`.
    pub base: String,
    db: Option<(TestDatabase, PgStore)>,
}

impl Served {
    /// On the memory store (the embedded default's).
    pub async fn memory() -> Served {
        // The harness's own memory store (on its clock) is the store both serve.
        let h = Harness::builder().policy(policy().unwrap()).build();
        let product = Timesheets::in_memory(h.tenantry.clone(), h.memory.clone()).unwrap();
        Self::serve(h, product, None).await
    }

    /// On a fresh PostgreSQL database with the product's migrations.
    pub async fn postgres(admin: &secrecy::SecretString) -> Served {
        let db = TestDatabase::create(admin).await.unwrap();
        migrate(&secrecy::SecretString::from(db.admin_options().to_url_lossy().to_string())).await.unwrap();
        let store = db.store().await.unwrap();
        let h = Harness::builder()
            .stores(|clock| Stores::of(db.follower(&store).at(clock), Arc::new(db.operator())))
            .policy(policy().unwrap())
            .build();
        let product = Timesheets::on_postgres(h.tenantry.clone(), store.clone());
        Self::serve(h, product, Some((db, store))).await
    }

    async fn serve(h: Harness, product: Timesheets, db: Option<(TestDatabase, PgStore)>) -> Served {
        tenantry_testkit::harness::raise_anonymous_limits(&h.tenantry).await.unwrap();
        let state = AppState::new(
            h.tenantry.clone(),
            TokenKeys::random().unwrap(),
            Arc::new(h.clock.clone()),
            Arc::new(tenantry_mail::Links::default()),
        );
        let app = router_with_product(state, routes(Arc::new(product)));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Served { h, base, db }
    }

    /// An access token for `email` of tenant `slug` (the harness password).
    pub async fn login(&self, slug: &str, email: &str) -> String {
        let body: serde_json::Value = reqwest::Client::new()
            .post(format!("{}/v1/auth/login", self.base))
            .json(&serde_json::json!({"tenant": slug, "email": email, "password": tenantry_testkit::harness::PASSWORD}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        body["access_token"].as_str().unwrap_or_else(|| panic!("{body}")).to_owned()
    }

    /// Drops the test database, if any.
    pub async fn close(self) {
        if let Some((db, store)) = self.db {
            store.close().await;
            db.drop_now().await.unwrap();
        }
    }
}

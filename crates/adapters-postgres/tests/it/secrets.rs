//! TOTP secrets sealed at rest (issue 18): after a user and a superuser enrol,
//! no row holds a secret in the clear; a sealed secret copied onto another
//! user's row does not open (the store fails closed); one written before
//! sealing is read as it is and sealed by `seal_secrets` (`tenantry migrate`);
//! a store with another key opens none.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed step is a failed test

use secrecy::{ExposeSecret, SecretString};
use sqlx::ConnectOptions;
use std::sync::Arc;
use tenantry_domain::mfa::{TotpSecret, code_at};
use tenantry_ports::crypto::DataKey;
use tenantry_ports::store::{Access, UnitOfWork};
use tenantry_postgres::testing::{TestDatabase, admin_url};
use tenantry_postgres::{PgOptions, PgStore};
use tenantry_testkit::harness::{PASSWORD, superuser_totp};
use tenantry_testkit::{Harness, Stores};

#[tokio::test]
async fn totp_secrets_are_sealed_at_rest_and_open_only_for_their_row_with_the_key() {
    let Some(admin) = admin_url("totp_secrets_are_sealed_at_rest") else { return };
    let db = TestDatabase::create(&admin).await.unwrap();
    let store = db.store().await.unwrap();
    let h = Harness::builder()
        .superuser_mfa(true)
        .stores(|clock| Stores::of(db.follower(&store).at(clock), Arc::new(db.operator())))
        .build();
    let t = h.signup("sealed").await.unwrap();
    let (_, other) = h.add_user(&t, "other@sealed.example.com", "member").await.unwrap();
    let enrolment = h.tenantry.start_mfa(&t.owner, &SecretString::from(PASSWORD)).await.unwrap();
    let secret = TotpSecret::from_base32(enrolment.secret.expose_secret()).unwrap();
    let code = code_at(&secret, h.clock_now()).unwrap().expose_secret().to_owned();
    h.tenantry.confirm_mfa(&t.owner, &code).await.unwrap();
    h.superuser("ops@platform.example.com").await.unwrap();
    let operator_secret = superuser_totp("ops@platform.example.com").to_base32().expose_secret().to_owned();

    // Nothing in the database shows either secret.
    let mut owner = db.admin_options().connect().await.unwrap();
    let users: String = sqlx::query_scalar("SELECT string_agg(coalesce(mfa::text, ''), ' ') FROM tenantry.users")
        .fetch_one(&mut owner)
        .await
        .unwrap();
    assert!(!users.contains(enrolment.secret.expose_secret()), "a user's TOTP secret in the clear");
    assert!(users.contains("\"secret\": \"v1:"), "sealed: {users}");
    let operators: String = sqlx::query_scalar("SELECT string_agg(mfa_secret, ' ') FROM tenantry.superusers")
        .fetch_one(&mut owner)
        .await
        .unwrap();
    assert!(!operators.contains(&operator_secret) && operators.starts_with("v1:"), "{operators}");
    // The login's second step still works through the store.
    h.clock.advance(chrono::Duration::seconds(30));
    let pending = h.login("sealed", &t.owner_email).await.unwrap();
    let code = code_at(&secret, h.clock_now()).unwrap().expose_secret().to_owned();
    h.tenantry.complete_mfa_login(&pending, &code).await.unwrap();

    // The owner's sealed secret copied onto another user's row does not open there: the read fails closed.
    sqlx::query("SELECT set_config('tenantry.tenant_id', $1, false)")
        .bind(t.id.to_string())
        .execute(&mut owner)
        .await
        .unwrap();
    let sealed: serde_json::Value = sqlx::query_scalar("SELECT mfa FROM tenantry.users WHERE id = $1")
        .bind(t.owner_id.as_uuid())
        .fetch_one(&mut owner)
        .await
        .unwrap();
    sqlx::query("UPDATE tenantry.users SET mfa = $1 WHERE id = $2")
        .bind(sealed)
        .bind(match other {
            tenantry_ports::Principal::User { user_id, .. } => user_id.as_uuid(),
            _ => unreachable!(),
        })
        .execute(&mut owner)
        .await
        .unwrap();
    let scope = h.owner_scope(&t).await.unwrap();
    let mut tx = store.begin(&scope, Access::Read).await.unwrap();
    let refused = tx.users().await.unwrap_err();
    assert!(refused.to_string().contains("does not open"), "{refused}");
    drop(tx);

    // A store with another key opens none of them.
    let stranger = PgStore::connect(
        &SecretString::from(db.service_url()),
        PgOptions {
            data_key: Some(DataKey::from_bytes([1; 32])),
            transaction_pooler: db.pooled(),
            ..PgOptions::default()
        },
    )
    .await
    .unwrap();
    let mut ptx = stranger.begin_platform().await.unwrap();
    let email = tenantry_domain::Email::parse("ops@platform.example.com").unwrap();
    assert!(ptx.superuser_by_email(&email).await.is_err(), "another key does not open the operator's secret");
    drop(ptx);
    stranger.close().await;
    store.close().await;
    db.drop_now().await.unwrap();
}

#[tokio::test]
async fn secrets_written_before_sealing_are_read_and_then_sealed_by_migrate() {
    let Some(admin) = admin_url("secrets_written_before_sealing") else { return };
    let db = TestDatabase::create(&admin).await.unwrap();
    let store = db.store().await.unwrap();
    let h =
        Harness::builder().stores(|clock| Stores::of(db.follower(&store).at(clock), Arc::new(db.operator()))).build();
    let t = h.signup("legacy").await.unwrap();
    let enrolment = h.tenantry.start_mfa(&t.owner, &SecretString::from(PASSWORD)).await.unwrap();
    let base32 = enrolment.secret.expose_secret().to_owned();
    let secret = TotpSecret::from_base32(&base32).unwrap();
    let code = code_at(&secret, h.clock_now()).unwrap().expose_secret().to_owned();
    h.tenantry.confirm_mfa(&t.owner, &code).await.unwrap();
    // As a version before sealing wrote it: the secret in the clear.
    let mut owner = db.admin_options().connect().await.unwrap();
    sqlx::query("SELECT set_config('tenantry.tenant_id', $1, false)")
        .bind(t.id.to_string())
        .execute(&mut owner)
        .await
        .unwrap();
    sqlx::query("UPDATE tenantry.users SET mfa = jsonb_set(mfa, '{secret}', to_jsonb($2::text)) WHERE id = $1")
        .bind(t.owner_id.as_uuid())
        .bind(&base32)
        .execute(&mut owner)
        .await
        .unwrap();
    h.clock.advance(chrono::Duration::seconds(30));
    let pending = h.login("legacy", &t.owner_email).await.unwrap();
    let code = code_at(&secret, h.clock_now()).unwrap().expose_secret().to_owned();
    h.tenantry.complete_mfa_login(&pending, &code).await.unwrap();
    // (The login wrote the user again: sealed. Put the clear one back to see migrate seal it.)
    sqlx::query("UPDATE tenantry.users SET mfa = jsonb_set(mfa, '{secret}', to_jsonb($2::text)) WHERE id = $1")
        .bind(t.owner_id.as_uuid())
        .bind(&base32)
        .execute(&mut owner)
        .await
        .unwrap();
    let url = SecretString::from(db.admin_options().to_url_lossy().to_string());
    let key = tenantry_postgres::testing::test_data_key();
    assert_eq!(tenantry_postgres::seal_secrets(&url, &key).await.unwrap(), 1);
    assert_eq!(tenantry_postgres::seal_secrets(&url, &key).await.unwrap(), 0, "idempotent");
    let stored: String = sqlx::query_scalar("SELECT mfa->>'secret' FROM tenantry.users WHERE id = $1")
        .bind(t.owner_id.as_uuid())
        .fetch_one(&mut owner)
        .await
        .unwrap();
    assert!(stored.starts_with("v1:") && !stored.contains(&base32), "{stored}");
    h.clock.advance(chrono::Duration::seconds(30));
    let pending = h.login("legacy", &t.owner_email).await.unwrap();
    let code = code_at(&secret, h.clock_now()).unwrap().expose_secret().to_owned();
    h.tenantry.complete_mfa_login(&pending, &code).await.unwrap();
    store.close().await;
    db.drop_now().await.unwrap();
}

#[tokio::test]
async fn a_clone_of_a_tenant_with_second_factors_restores_without_them() {
    let Some(admin) = admin_url("a_clone_of_a_tenant_with_second_factors") else { return };
    let db = TestDatabase::create(&admin).await.unwrap();
    let store = db.store().await.unwrap();
    let h =
        Harness::builder().stores(|clock| Stores::of(db.follower(&store).at(clock), Arc::new(db.operator()))).build();
    let t = h.signup("twofa").await.unwrap();
    let enrolment = h.tenantry.start_mfa(&t.owner, &SecretString::from(PASSWORD)).await.unwrap();
    let secret = TotpSecret::from_base32(enrolment.secret.expose_secret()).unwrap();
    let code = code_at(&secret, h.clock_now()).unwrap().expose_secret().to_owned();
    h.tenantry.confirm_mfa(&t.owner, &code).await.unwrap();
    let su = h.superuser("ops@platform.example.com").await.unwrap();
    let scope = h.tenantry.authorize(&su, t.id).await.unwrap();
    let backup = h.tenantry.backup_tenant(&scope).await.unwrap();
    let who = h.tenantry.authorize_platform(&su).await.unwrap();
    let mode = tenantry_ports::services::backups::RestoreMode::Clone { slug: "twofa-copy".into() };
    let restored = h.tenantry.restore_tenant(&who, t.id, &backup.archive, mode).await.unwrap();
    let clone = h.tenantry.authorize(&su, restored.tenant.id).await.unwrap();
    let users = h.tenantry.list_users(&clone).await.unwrap();
    assert!(users.iter().all(|u| !u.mfa_enabled), "the clone keeps no second factor");
    // And a same-id restore keeps the owner's, sealed for the same row.
    let mode = tenantry_ports::services::backups::RestoreMode::SameId;
    h.tenantry.restore_tenant(&who, t.id, &backup.archive, mode).await.unwrap();
    let scope = h.tenantry.authorize(&su, t.id).await.unwrap();
    let users = h.tenantry.list_users(&scope).await.unwrap();
    assert!(users.iter().any(|u| u.mfa_enabled));
    store.close().await;
    db.drop_now().await.unwrap();
}

//! The mail outbox on PostgreSQL (issue 20): the scenarios of
//! `tenantry_testkit::outbox` (the broadcast and its unsubscribe links too), and the link token a waiting mail carries kept
//! sealed at rest and gone once the mail is sent.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed step is a failed test

use secrecy::ExposeSecret;
use sqlx::ConnectOptions;
use std::sync::Arc;
use tenantry_domain::EntityId;
use tenantry_ports::services::invitations::InviteInput;
use tenantry_postgres::testing::{TestDatabase, admin_url};
use tenantry_testkit::outbox::{
    Broadcast, ErasedAndVoided, FailingMail, LateAnswer, broadcast, erased_and_voided, failing_mail, late_answer,
    rolled_back_mail,
};
use tenantry_testkit::{Harness, Stores};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_outbox_scenarios_hold_on_postgres() {
    let Some(admin) = admin_url("the_outbox_scenarios_hold_on_postgres") else { return };
    let db = TestDatabase::create(&admin).await.unwrap();
    let store = db.store().await.unwrap();
    // One harness (its ids are sequential: a second one on the database would repeat them).
    let h =
        Harness::builder().stores(|clock| Stores::of(db.follower(&store).at(clock), Arc::new(db.operator()))).build();
    let failing = failing_mail(&h, "outbox").await;
    let rolled_back = rolled_back_mail(&h, "rollback").await;
    let late = late_answer(&h, "late").await;
    let voided = erased_and_voided(&h, "voided").await;
    let news = broadcast(&h, "news").await;
    store.close().await;
    db.drop_now().await.unwrap();
    assert_eq!(failing.unwrap(), FailingMail::expected());
    assert_eq!(rolled_back.unwrap(), (0, 0));
    assert_eq!(late.unwrap(), LateAnswer::expected());
    assert_eq!(voided.unwrap(), ErasedAndVoided::expected());
    assert_eq!(news.unwrap(), Broadcast::expected("news"));
}

#[tokio::test]
async fn a_waiting_mails_token_is_sealed_at_rest_and_forgotten_once_sent() {
    let Some(admin) = admin_url("a_waiting_mails_token_is_sealed_at_rest") else { return };
    let db = TestDatabase::create(&admin).await.unwrap();
    let store = db.store().await.unwrap();
    let h =
        Harness::builder().stores(|clock| Stores::of(db.follower(&store).at(clock), Arc::new(db.operator()))).build();
    let t = h.signup("sealedmail").await.unwrap();
    let owner = h.owner_scope(&t).await.unwrap();
    h.mailer.set_failing(true);
    let email = "waiting@sealedmail.example.com";
    let issued = h.tenantry.invite(&owner, InviteInput { email: email.into(), role: "member".into() }).await.unwrap();
    assert!(!issued.mailed, "the mail waits in the outbox");
    let mut admin_conn = db.admin_options().connect().await.unwrap();
    let stored: (String, String) = sqlx::query_as(
        "SELECT token, mail::text FROM tenantry.mails WHERE to_email = $1 AND template = 'invitation' AND sent_at IS NULL",
    )
    .bind(email)
    .fetch_one(&mut admin_conn)
    .await
    .unwrap();
    assert!(stored.0.starts_with("v1:"), "the token is sealed: {}", stored.0);
    h.mailer.set_failing(false);
    h.clock.advance(chrono::Duration::minutes(1));
    h.tenantry.run_due_jobs(100).await.unwrap();
    let token = h.mailer.invitation_token(email).expect("the mail went out with its token");
    assert!(!stored.0.contains(token.expose_secret()) && !stored.1.contains(token.expose_secret()));
    let after: (Option<String>, Option<String>, Option<String>) = sqlx::query_as(
        "SELECT token, message_id, reply FROM tenantry.mails WHERE to_email = $1 AND template = 'invitation'",
    )
    .bind(email)
    .fetch_one(&mut admin_conn)
    .await
    .unwrap();
    assert_eq!(after.0, None, "a sent mail keeps no token");
    assert!(after.1.is_some_and(|id| id.starts_with('<') && id.ends_with("@recording.test>")));
    assert_eq!(after.2.as_deref(), Some("250 recorded"));
    // The token that went out works.
    h.accept(email).await.unwrap();
    drop(admin_conn);
    store.close().await;
    db.drop_now().await.unwrap();
}

/// The provider's payment page a billing mail carries (whoever holds it sees
/// the invoice) is kept like a token: sealed while the mail waits, not in the
/// mail's JSON, gone once sent.
#[tokio::test]
async fn a_waiting_billing_mails_payment_link_is_sealed_at_rest() {
    use tenantry_ports::store::{Access, UnitOfWork};
    use tenantry_ports::system::{Accepted, Mail, Message, QueuedMail};
    let Some(admin) = admin_url("a_waiting_billing_mails_payment_link_is_sealed_at_rest") else { return };
    let db = TestDatabase::create(&admin).await.unwrap();
    let store = db.store().await.unwrap();
    let h =
        Harness::builder().stores(|clock| Stores::of(db.follower(&store).at(clock), Arc::new(db.operator()))).build();
    let t = h.signup("paylink").await.unwrap();
    let scope = h.owner_scope(&t).await.unwrap();
    let url = "https://invoice.stripe.com/i/acct_1/secret-invoice-page";
    let id = tenantry_domain::MailId::from_uuid(tenantry_domain::ids::uuid_v7_from_parts(9, [9; 10])).unwrap();
    let mail = QueuedMail {
        id,
        tenant_id: t.id,
        mail: Mail {
            to: tenantry_domain::Email::parse(&t.owner_email).unwrap(),
            tenant: None,
            message: Message::PaymentActionRequired { hosted_url: Some(url.into()) },
            reader: Default::default(),
        },
        created_at: h.clock_now(),
        sent: None,
    };
    let mut tx = store.begin(&scope, Access::Write).await.unwrap();
    tx.insert_mail(&mail).await.unwrap();
    tx.commit().await.unwrap();
    let mut admin_conn = db.admin_options().connect().await.unwrap();
    let row: (String, String) = sqlx::query_as("SELECT token, mail::text FROM tenantry.mails WHERE id = $1")
        .bind(id.as_uuid())
        .fetch_one(&mut admin_conn)
        .await
        .unwrap();
    assert!(row.0.starts_with("v1:") && !row.0.contains("secret-invoice"), "sealed: {}", row.0);
    assert!(!row.1.contains("secret-invoice"), "not in the JSON: {}", row.1);
    let mut tx = store.begin(&scope, Access::Write).await.unwrap();
    let read = tx.queued_mail(id).await.unwrap().unwrap();
    assert!(matches!(&read.mail.message, Message::PaymentActionRequired { hosted_url: Some(u) } if u == url));
    let accepted = Accepted { message_id: format!("<{id}@example.com>"), reply: "250 ok".into() };
    tx.mark_mail_sent(id, h.clock_now(), &accepted).await.unwrap();
    tx.commit().await.unwrap();
    let token: Option<String> = sqlx::query_scalar("SELECT token FROM tenantry.mails WHERE id = $1")
        .bind(id.as_uuid())
        .fetch_one(&mut admin_conn)
        .await
        .unwrap();
    assert_eq!(token, None, "gone once sent");
    drop(admin_conn);
    store.close().await;
    db.drop_now().await.unwrap();
}

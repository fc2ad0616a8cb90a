//! The mail outbox on the in-memory store (issue 20); the same scenarios run
//! on PostgreSQL in `tenantry-postgres`'s tests.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed step is a failed test

use tenantry_testkit::Harness;
use tenantry_testkit::outbox::{
    Broadcast, ErasedAndVoided, FailingMail, LateAnswer, broadcast, erased_and_voided, failing_mail, late_answer,
    rolled_back_mail,
};

#[tokio::test]
async fn a_broadcast_reaches_exactly_the_opted_in_people_of_every_tenant_and_a_link_unsubscribes_only_its_own() {
    let h = Harness::new();
    assert_eq!(broadcast(&h, "news").await.unwrap(), Broadcast::expected("news"));
}

#[tokio::test]
async fn a_change_whose_mail_fails_stands_and_its_mail_is_retried_listed_and_sent_once_after_a_retry() {
    let h = Harness::new();
    assert_eq!(failing_mail(&h, "outbox").await.unwrap(), FailingMail::expected());
}

#[tokio::test]
async fn a_rolled_back_change_sends_nothing() {
    let h = Harness::new();
    assert_eq!(rolled_back_mail(&h, "rollback").await.unwrap(), (0, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_caller_that_stops_waiting_after_the_server_accepted_gets_its_mail_sent_once() {
    let h = Harness::new();
    assert_eq!(late_answer(&h, "late").await.unwrap(), LateAnswer::expected());
}

#[tokio::test]
async fn an_erased_persons_waiting_mail_and_a_restored_archives_unsent_mail_are_never_sent() {
    let h = Harness::new();
    assert_eq!(erased_and_voided(&h, "voided").await.unwrap(), ErasedAndVoided::expected());
}

/// A deletion request mails every owner and admin (a notice the tenant cannot
/// refuse), even an admin who switched billing mails off; never a member, and
/// never the billing e-mail (nobody proved it); asking again the same day (a
/// request-and-cancel loop) mails no one again.
#[tokio::test]
async fn a_deletion_request_is_mailed_to_the_owners_and_admins_whatever_they_chose_once_a_day() {
    use tenantry_ports::services::notifications::MailPrefsPatch;
    use tenantry_ports::services::tenant::SettingsInput;
    let h = Harness::new();
    let t = h.signup("leaving").await.unwrap();
    let owner = h.owner_scope(&t).await.unwrap();
    let (_, admin) = h.add_user(&t, "admin@leaving.example.com", "admin").await.unwrap();
    h.add_user(&t, "member@leaving.example.com", "member").await.unwrap();
    let admin_scope = h.scope(&admin, t.id).await.unwrap();
    let off = MailPrefsPatch { billing: Some(false), ..MailPrefsPatch::default() };
    h.tenantry.set_my_mail_prefs(&admin_scope, off).await.unwrap();
    let books = SettingsInput { billing_email: Some(Some("books@leaving.example.com".into())), ..Default::default() };
    h.tenantry.update_tenant(&owner, books).await.unwrap();
    h.tenantry.request_deletion(&owner).await.unwrap();
    for _ in 0..3 {
        h.tenantry.cancel_deletion(&owner).await.unwrap();
        h.tenantry.request_deletion(&owner).await.unwrap();
    }
    for (to, n) in [
        ("owner@leaving.example.com", 1),
        ("admin@leaving.example.com", 1),
        ("books@leaving.example.com", 0),
        ("member@leaving.example.com", 0),
    ] {
        assert_eq!(h.mailer.count(to, "deletion_requested"), n, "{to}");
    }
}

/// Opting in to product updates is the person's consent: a support session
/// (the superuser acting as the user) cannot give it, though it can opt out.
#[tokio::test]
async fn a_support_session_cannot_opt_a_person_in_to_product_updates() {
    use tenantry_ports::services::notifications::{MailPrefsError, MailPrefsPatch};
    let h = Harness::new();
    let su = h.superuser("ops@consent.example.com").await.unwrap();
    let t = h.signup("consent").await.unwrap();
    let (member, principal) = h.add_user(&t, "pat@consent.example.com", "member").await.unwrap();
    let as_su = h.scope(&su, t.id).await.unwrap();
    let acting = h.tenantry.impersonate(&as_su, member, None).await.unwrap();
    let support = h.scope(&acting.principal, t.id).await.unwrap();
    let opt_in = MailPrefsPatch { product_updates: Some(true), ..MailPrefsPatch::default() };
    let refused = h.tenantry.set_my_mail_prefs(&support, opt_in).await;
    assert!(matches!(refused, Err(MailPrefsError::ConsentIsPersonal)), "{refused:?}");
    let own = h.scope(&principal, t.id).await.unwrap();
    assert!(!h.tenantry.my_mail_prefs(&own).await.unwrap().prefs.product_updates, "nothing changed");
    h.tenantry.set_my_mail_prefs(&own, opt_in).await.unwrap();
    let opt_out = MailPrefsPatch { product_updates: Some(false), ..MailPrefsPatch::default() };
    h.tenantry.set_my_mail_prefs(&support, opt_out).await.unwrap();
    assert!(!h.tenantry.my_mail_prefs(&own).await.unwrap().prefs.product_updates, "opting out on their behalf works");
}

/// Each mail carries what its reader is read in (issue 25): the tenant's
/// default language and time zone always, and the recipient's own choice when
/// the recipient is a user who made one — an invitee, who has no account
/// yet, reads in the tenant's defaults.
#[tokio::test]
async fn a_mail_carries_the_tenants_defaults_and_its_users_own_language() {
    use tenantry_domain::preferences::{Language, Preferences, TimeZone};
    use tenantry_ports::services::account::ResetRequest;
    use tenantry_ports::services::profile::PreferencesPatch;
    use tenantry_ports::services::tenant::SettingsInput;
    let h = Harness::new();
    let t = h.signup("taal").await.unwrap();
    let owner = h.owner_scope(&t).await.unwrap();
    let dutch = SettingsInput {
        language: Some(Some("nl".into())),
        time_zone: Some(Some("Europe/Amsterdam".into())),
        ..Default::default()
    };
    h.tenantry.update_tenant(&owner, dutch).await.unwrap();
    let defaults =
        Preferences { language: Some(Language::Nl), time_zone: Some(TimeZone::parse("Europe/Amsterdam").unwrap()) };

    h.add_user(&t, "lid@taal.example.com", "member").await.unwrap();
    let invited = h.mailer.sent_to("lid@taal.example.com").into_iter().last().unwrap();
    assert_eq!(invited.message.template(), "invitation");
    assert_eq!(invited.tenant.as_ref().unwrap().defaults, defaults);
    assert_eq!(invited.reader, Preferences::default(), "an invitee chose nothing yet");

    let english = PreferencesPatch { language: Some("en".into()), time_zone: None };
    h.tenantry.update_me(&owner, None, &english).await.unwrap();
    let ask = ResetRequest { tenant: "taal".into(), email: t.owner_email.clone() };
    h.tenantry.request_password_reset(ask).await.unwrap();
    let reset = h.mailer.sent_to(&t.owner_email).into_iter().last().unwrap();
    assert_eq!(reset.message.template(), "password_reset");
    assert_eq!(reset.tenant.as_ref().unwrap().defaults, defaults);
    assert_eq!(reset.reader, Preferences { language: Some(Language::En), time_zone: None }, "the owner's own choice");
}

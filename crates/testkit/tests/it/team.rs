//! Invitations, seats under concurrency, roles, ads, quotas and the superuser's figures.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed step is a failed test

use chrono::Duration;
use secrecy::{ExposeSecret, SecretString};
use std::sync::Arc;
use tenantry_domain::subscription::{PlanChoice, PlanTiming};
use tenantry_domain::{AdFormat, BuiltinRole, Interval, Money, Policy, SubscriptionStatus};
use tenantry_ports::Problem;
use tenantry_ports::services::admin::{AdminTenantPatch, CampaignInput};
use tenantry_ports::services::invitations::{AcceptInput, InviteInput};
use tenantry_ports::services::roles::RoleInput;
use tenantry_ports::store::AdCountKind;
use tenantry_testkit::harness::PASSWORD;
use tenantry_testkit::scenarios::{SeatRush, SuperuserRace, seat_rush, superuser_race};
use tenantry_testkit::{Harness, TestTenant};

fn invite(email: &str, role: &str) -> InviteInput {
    InviteInput { email: email.to_owned(), role: role.to_owned() }
}

async fn paid(h: &Harness, slug: &str, seats: i64) -> TestTenant {
    h.paid_tenant(slug, seats).await.unwrap()
}

#[tokio::test]
async fn an_invitation_is_single_use_expires_after_seven_days_and_a_resend_replaces_the_link() {
    let h = Harness::new();
    let t = h.signup("invites").await.unwrap();
    let owner = h.owner_scope(&t).await.unwrap();
    let issued = h.tenantry.invite(&owner, invite("ann@invites.example.com", "member")).await.unwrap();
    assert!(issued.mailed);
    let first = h.mailer.invitation_token("ann@invites.example.com").unwrap();
    // resend: the old link stops working
    h.clock.advance(Duration::days(6));
    h.tenantry.resend_invitation(&owner, issued.invitation.id).await.unwrap();
    let second = h.mailer.invitation_token("ann@invites.example.com").unwrap();
    assert_ne!(first.expose_secret(), second.expose_secret());
    let accept =
        |token: SecretString| AcceptInput { token, name: "Ann".into(), password: SecretString::from(PASSWORD) };
    assert_eq!(h.tenantry.accept_invitation(accept(first)).await.unwrap_err().code(), "invalid_token");
    // the new link lasts 7 days from the resend
    h.clock.advance(Duration::days(6));
    h.tenantry.accept_invitation(accept(second.clone())).await.unwrap();
    assert_eq!(h.tenantry.accept_invitation(accept(second)).await.unwrap_err().code(), "invitation_already_accepted");
    // an unused invitation expires after 7 days
    h.tenantry.invite(&owner, invite("bob@invites.example.com", "member")).await.unwrap();
    let bob = h.mailer.invitation_token("bob@invites.example.com").unwrap();
    h.clock.advance(Duration::days(7));
    assert_eq!(h.tenantry.accept_invitation(accept(bob)).await.unwrap_err().code(), "invitation_expired");
}

#[tokio::test]
async fn revoking_frees_the_seat_and_kills_the_link() {
    let h = Harness::new();
    let t = paid(&h, "revoke", 3).await;
    let owner = h.owner_scope(&t).await.unwrap();
    let a = h.tenantry.invite(&owner, invite("a@revoke.example.com", "member")).await.unwrap();
    h.tenantry.invite(&owner, invite("b@revoke.example.com", "member")).await.unwrap();
    assert_eq!(
        h.tenantry.invite(&owner, invite("c@revoke.example.com", "member")).await.unwrap_err().code(),
        "seat_limit_reached"
    );
    h.tenantry.revoke_invitation(&owner, a.invitation.id).await.unwrap();
    h.tenantry.invite(&owner, invite("c@revoke.example.com", "member")).await.unwrap();
    let token = h.mailer.invitation_token("a@revoke.example.com").unwrap();
    let err = h
        .tenantry
        .accept_invitation(AcceptInput { token, name: "A".into(), password: SecretString::from(PASSWORD) })
        .await
        .unwrap_err();
    assert_eq!(err.code(), "invitation_revoked");
}

#[tokio::test]
async fn an_admin_cannot_give_the_owner_role_or_more_than_it_holds() {
    let h = Harness::new();
    let t = h.signup("grants").await.unwrap();
    let owner = h.owner_scope(&t).await.unwrap();
    assert_eq!(
        h.tenantry.invite(&owner, invite("x@grants.example.com", "owner")).await.unwrap_err().code(),
        "role_not_grantable"
    );
    // a custom role with invitations:manage cannot invite admins
    let inviter = h
        .tenantry
        .create_role(
            &owner,
            RoleInput {
                name: "Inviter".into(),
                description: None,
                permissions: vec!["invitations:manage".into(), "users:read".into()],
            },
        )
        .await
        .unwrap();
    let (_, ivy) = h.add_user(&t, "ivy@grants.example.com", &inviter.role.to_string()).await.unwrap();
    let ivy = h.scope(&ivy, t.id).await.unwrap();
    assert_eq!(
        h.tenantry.invite(&ivy, invite("y@grants.example.com", "admin")).await.unwrap_err().code(),
        "role_not_grantable"
    );
    h.tenantry.invite(&ivy, invite("y@grants.example.com", &inviter.role.to_string())).await.unwrap();
    // and cannot make a role with permissions it lacks
    let err = h
        .tenantry
        .create_role(
            &ivy,
            RoleInput { name: "Boss".into(), description: None, permissions: vec!["billing:manage".into()] },
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), "forbidden", "ivy lacks roles:manage to begin with");
    let err = h
        .tenantry
        .create_role(
            &owner,
            RoleInput { name: "Deleter".into(), description: None, permissions: vec!["tenant:delete".into()] },
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), "reserved_permission");
}

#[tokio::test]
async fn products_register_permissions_that_custom_roles_grant() {
    let policy = Policy::builder()
        .permission(
            "timesheets:read",
            &[BuiltinRole::Admin, BuiltinRole::Manager, BuiltinRole::Member, BuiltinRole::Viewer],
        )
        .unwrap()
        .permission("timesheets:approve", &[BuiltinRole::Admin, BuiltinRole::Manager])
        .unwrap()
        .build();
    let h = Harness::builder().policy(policy).build();
    let t = h.signup("sheets").await.unwrap();
    let owner = h.owner_scope(&t).await.unwrap();
    let approver = h
        .tenantry
        .create_role(
            &owner,
            RoleInput {
                name: "Approver".into(),
                description: Some("approves hours".into()),
                permissions: vec!["timesheets:approve".into()],
            },
        )
        .await
        .unwrap();
    assert_eq!(approver.permissions, vec!["timesheets:approve".to_owned()]);
    let (_, pat) = h.add_user(&t, "pat@sheets.example.com", &approver.role.to_string()).await.unwrap();
    let scope = h.scope(&pat, t.id).await.unwrap();
    let approve = h.tenantry.policy().permission("timesheets:approve").unwrap();
    assert!(scope.can(approve));
    assert!(!scope.can(tenantry_domain::rbac::builtin::USERS_MANAGE));
    let err = h
        .tenantry
        .create_role(
            &owner,
            RoleInput { name: "Nope".into(), description: None, permissions: vec!["timesheets:delete".into()] },
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), "unknown_permission");
    // a role in use cannot be deleted
    assert_eq!(h.tenantry.delete_role(&owner, approver.id.unwrap()).await.unwrap_err().code(), "role_in_use");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_hundred_concurrent_seat_requests_on_five_free_seats_end_with_exactly_five_successes() {
    let h = Harness::new();
    let rush = seat_rush(&h, "rush").await.unwrap();
    assert_eq!(
        rush,
        SeatRush { succeeded: 5, refused: 95, other: Vec::new(), seats_used: 10, seats: Some(10) },
        "the seat rule must hold under concurrency"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_parallel_wrong_superuser_passwords_lock_the_account_and_a_racing_logout_holds() {
    let h = Harness::new();
    let race = superuser_race(&h, 20, 8).await.unwrap();
    assert_eq!(
        race,
        SuperuserRace {
            wrong_refused: 20,
            right_refused_after: true,
            failures_counted: 5,
            locked: true,
            revived_after_logout: 0
        },
        "every wrong password counts, the lock holds, a logout holds"
    );
}

#[tokio::test]
async fn freemium_tenants_see_one_banner_per_page_and_a_modal_once_a_day() {
    let h = Harness::new();
    let t = h.signup("adsee").await.unwrap();
    let paid_t = paid(&h, "adfree", 3).await;
    let su = h.superuser("ops@platform.example.com").await.unwrap();
    let platform = h.tenantry.authorize_platform(&su).await.unwrap();
    let now = h.clock_now();
    for (format, text) in
        [(AdFormat::Banner, "Banner one"), (AdFormat::Banner, "Banner two"), (AdFormat::Modal, "Modal")]
    {
        h.tenantry
            .create_campaign(
                &platform,
                CampaignInput {
                    name: text.into(),
                    format,
                    text: text.into(),
                    image_url: None,
                    link_url: "https://example.com/upgrade".into(),
                    tenants: None,
                    starts_at: now,
                    ends_at: now + Duration::days(90),
                    enabled: true,
                },
            )
            .await
            .unwrap();
    }
    let owner = h.owner_scope(&t).await.unwrap();
    assert_eq!(h.tenantry.ad_decision(&owner).await.unwrap(), Default::default(), "trials see no ads");
    h.tenantry.continue_free(&owner, &tenantry_ports::payment::ReturnPath::from_static("/")).await.unwrap();
    h.advance_days(15).await;
    let owner = h.owner_scope(&t).await.unwrap();
    let first = h.tenantry.ad_decision(&owner).await.unwrap();
    let banner = first.banner.clone().unwrap();
    assert!(first.modal.is_some());
    h.tenantry.record_ad_event(&owner, banner.campaign_id, AdCountKind::Impression).await.unwrap();
    let second = h.tenantry.ad_decision(&owner).await.unwrap();
    assert!(second.modal.is_none(), "one modal per user per day");
    assert_ne!(second.banner.unwrap().campaign_id, banner.campaign_id, "banners rotate by impressions");
    h.clock.advance(Duration::days(1));
    assert!(h.tenantry.ad_decision(&owner).await.unwrap().modal.is_some(), "a new day, a new modal");
    let paying = h.owner_scope(&paid_t).await.unwrap();
    assert_eq!(h.tenantry.ad_decision(&paying).await.unwrap(), Default::default(), "paying tenants see no ads");
    assert_eq!(
        h.tenantry.record_ad_event(&paying, banner.campaign_id, AdCountKind::Click).await.unwrap_err().code(),
        "not_found"
    );
    let stats = h.tenantry.campaign_stats(&platform, banner.campaign_id).await.unwrap();
    assert_eq!(stats.daily.iter().map(|(_, c)| c.impressions).sum::<u64>(), 1);
}

#[tokio::test]
async fn storage_and_active_users_are_refused_beyond_the_quota_and_the_superuser_can_override_them() {
    let h = Harness::new();
    let t = h.signup("bytes").await.unwrap();
    let owner = h.owner_scope(&t).await.unwrap();
    let su = h.superuser("ops@platform.example.com").await.unwrap();
    let scope = h.tenantry.authorize(&su, t.id).await.unwrap();
    h.tenantry
        .admin_update_tenant(
            &scope,
            AdminTenantPatch {
                quota_override: Some(tenantry_domain::quota::QuotaOverride {
                    requests_per_minute: Some(5),
                    api_calls_per_month: None,
                    storage_bytes: Some(1000),
                    active_users: Some(2),
                }),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(h.tenantry.effective_quota(&owner).await.unwrap().requests_per_minute, 5);
    assert_eq!(h.tenantry.reserve_storage(&owner, 600).await.unwrap(), 600);
    let err = h.tenantry.reserve_storage(&owner, 401).await.unwrap_err();
    assert_eq!(err.code(), "storage_quota_exceeded");
    assert_eq!(h.tenantry.usage(&owner).await.unwrap().storage_bytes, 600);
    h.tenantry.release_storage(&owner, 200).await.unwrap();
    assert_eq!(h.tenantry.reserve_storage(&owner, 600).await.unwrap(), 1000);
    // the active-users override caps used seats even in the uncapped trial
    h.tenantry.invite(&owner, invite("one@bytes.example.com", "member")).await.unwrap();
    let err = h.tenantry.invite(&owner, invite("two@bytes.example.com", "member")).await.unwrap_err();
    assert_eq!(err.code(), "seat_limit_reached");
    assert_eq!(h.tenantry.usage(&owner).await.unwrap().seats, Some(2));
}

#[tokio::test]
async fn platform_stats_count_tenants_users_logins_and_mrr_with_yearly_as_a_twelfth() {
    let h = Harness::new();
    let monthly = paid(&h, "monthly", 7).await; // 6975 / month
    let yearly = paid(&h, "yearly", 3).await;
    let owner = h.owner_scope(&yearly).await.unwrap();
    h.tenantry
        .change_plan(
            &owner,
            PlanChoice::Standard(Interval::Year),
            PlanTiming::Now,
            None,
            &tenantry_ports::payment::ReturnPath::from_static("/"),
        )
        .await
        .unwrap();
    h.signup("trialist").await.unwrap();
    h.login("monthly", &monthly.owner_email).await.unwrap();
    let su = h.superuser("ops@platform.example.com").await.unwrap();
    let platform = h.tenantry.authorize_platform(&su).await.unwrap();
    let stats = h.tenantry.platform_stats(&platform).await.unwrap();
    assert_eq!(stats.now.tenants, 3);
    assert_eq!(stats.now.tenants_by_status.get(&SubscriptionStatus::Active), Some(&2));
    assert_eq!(stats.now.tenants_by_status.get(&SubscriptionStatus::Trialing), Some(&1));
    // 6975 + round(47900 / 12) = 6975 + 3992 = 10967
    assert_eq!(stats.now.mrr, Money::eur(10967));
    assert_eq!(stats.now.active_users, 3);
    assert!(stats.now.logins_this_month >= 1);
    let list = h
        .tenantry
        .admin_list_tenants(&platform, tenantry_ports::directory::TenantListQuery { limit: 10, ..Default::default() })
        .await
        .unwrap();
    assert_eq!(list.len(), 3);
    let _ = Arc::new(());
}

#[tokio::test]
async fn a_role_that_only_past_invitations_offered_can_be_deleted_and_takes_them_along() {
    let h = Harness::new();
    let t = h.signup("pastroles").await.unwrap();
    let owner = h.owner_scope(&t).await.unwrap();
    let input = || RoleInput { name: "Approver".into(), description: None, permissions: vec!["users:read".into()] };
    let role = h.tenantry.create_role(&owner, input()).await.unwrap();
    let role_id = role.id.unwrap();
    let offered = h.tenantry.invite(&owner, invite("old@pastroles.example.com", &role.role.to_string())).await.unwrap();
    // a pending invitation offering the role keeps it
    let err = h.tenantry.delete_role(&owner, role_id).await.unwrap_err();
    assert_eq!(err.code(), "role_in_use");
    // once revoked, the invitation no longer does: the role goes, and the old invitation with it
    h.tenantry.revoke_invitation(&owner, offered.invitation.id).await.unwrap();
    h.tenantry.delete_role(&owner, role_id).await.unwrap();
    let listed = h.tenantry.list_invitations(&owner, true).await.unwrap();
    assert!(listed.iter().all(|i| i.id != offered.invitation.id), "the revoked invitation went with its role");
    // and the name is free again
    h.tenantry.create_role(&owner, input()).await.unwrap();
}

#[tokio::test]
async fn the_scheduler_records_the_platform_totals_once_a_day_for_the_history() {
    let h = Harness::new();
    h.signup("day-one").await.unwrap();
    h.tick().await;
    h.tick().await; // twice on one day: recorded once
    h.advance_days(1).await;
    h.signup("day-two").await.unwrap();
    h.signup("day-two-b").await.unwrap();
    h.advance_days(1).await;
    let su = h.superuser("ops@platform.example.com").await.unwrap();
    let platform = h.tenantry.authorize_platform(&su).await.unwrap();
    let stats = h.tenantry.platform_stats(&platform).await.unwrap();
    let days: Vec<(String, u64)> = stats.history.iter().map(|d| (d.day.to_string(), d.totals.tenants)).collect();
    assert_eq!(days, vec![("2026-11-01".into(), 1), ("2026-11-02".into(), 1), ("2026-11-03".into(), 3)]);
    assert_eq!(stats.now.tenants, 3);
    let again = h.tenantry.run_daily_work().await.unwrap();
    assert!(!again.ran && !again.snapshot_recorded, "today's work is done already");
}

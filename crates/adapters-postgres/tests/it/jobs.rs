//! Scheduled work on PostgreSQL: schedulers racing on the jobs table run each
//! job once (`claim_due_jobs`: `FOR UPDATE SKIP LOCKED`); a job whose worker
//! died is claimed again when its lease ends, and runs once; a job that fails
//! on every attempt is kept as failed and listed through the named path.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed step is a failed test

use chrono::Duration;
use sqlx::ConnectOptions;
use std::sync::Arc;
use tenantry_domain::export::ExportStatus;
use tenantry_postgres::testing::{TestDatabase, admin_url};
use tenantry_testkit::Harness;
use tenantry_testkit::Stores;
use tenantry_testkit::scenarios::{
    DeadWorker, FailingTimer, JobRace, TimerRace, dead_worker, failing_timer, housekeeping, job_race, timer_race,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn schedulers_racing_on_the_jobs_table_run_each_job_once() {
    let Some(admin) = admin_url("schedulers_racing_on_the_jobs_table_run_each_job_once") else { return };
    let db = TestDatabase::create(&admin).await.unwrap();
    let store = db.store().await.unwrap();
    let h =
        Harness::builder().stores(|clock| Stores::of(db.follower(&store).at(clock), Arc::new(db.operator()))).build();
    // Two service instances: two pools on one database.
    let race = job_race(&h, "race", 16).await;
    let dead = dead_worker(&h, "lazarus").await;
    store.close().await;
    db.drop_now().await.unwrap();
    assert_eq!(race.unwrap(), JobRace { claimed: 16, done: 16, ready: 16, ready_events: 16 });
    assert_eq!(
        dead.unwrap(),
        DeadWorker { claimed_during_lease: 0, done_after_lease: 1, attempts: 2, ready: 1, ready_events: 1 }
    );
}

#[tokio::test]
async fn a_job_failing_every_attempt_is_kept_failed_and_listed() {
    let Some(admin) = admin_url("a_job_failing_every_attempt_is_kept_failed_and_listed") else { return };
    let db = TestDatabase::create(&admin).await.unwrap();
    let store = db.store().await.unwrap();
    let h =
        Harness::builder().stores(|clock| Stores::of(db.follower(&store).at(clock), Arc::new(db.operator()))).build();
    let t = h.signup("flaky").await.unwrap();
    let scope = h.owner_scope(&t).await.unwrap();
    let export = h.tenantry.request_export(&scope).await.unwrap().export;
    // The archive can never be stored: every attempt fails.
    let mut owner = db.admin_options().connect().await.unwrap();
    sqlx::query("REVOKE INSERT ON tenantry.export_files FROM tenantry_app").execute(&mut owner).await.unwrap();
    let mut attempts = 0;
    for _ in 0..5 {
        let report = h.tenantry.run_due_jobs(10).await.unwrap();
        attempts += report.claimed;
        assert_eq!(report.done.len(), 0, "{report:?}");
        h.clock.advance(Duration::hours(1));
    }
    let su = h.superuser("ops@platform.example.com").await.unwrap();
    let platform = h.tenantry.authorize_platform(&su).await.unwrap();
    let failed = h.tenantry.failed_jobs(&platform, 100).await.unwrap();
    let status = h.tenantry.export_status(&scope, export.id).await.unwrap().status;
    let again = h.tenantry.run_due_jobs(10).await.unwrap().claimed;
    sqlx::query("GRANT INSERT ON tenantry.export_files TO tenantry_app").execute(&mut owner).await.unwrap();
    drop(owner);
    store.close().await;
    db.drop_now().await.unwrap();
    assert_eq!(attempts, 5);
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert_eq!((failed[0].attempts, failed[0].tenant_id), (5, t.id));
    assert_eq!(status, ExportStatus::Failed);
    assert_eq!(again, 0, "a failed job is never claimed again");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn schedulers_racing_on_the_timers_make_and_run_one_job_per_tenant() {
    let Some(admin) = admin_url("schedulers_racing_on_the_timers_make_and_run_one_job_per_tenant") else { return };
    let db = TestDatabase::create(&admin).await.unwrap();
    let store = db.store().await.unwrap();
    let h =
        Harness::builder().stores(|clock| Stores::of(db.follower(&store).at(clock), Arc::new(db.operator()))).build();
    let race = timer_race(&h, "timers", 12).await;
    store.close().await;
    db.drop_now().await.unwrap();
    assert_eq!(race.unwrap(), TimerRace { enqueued: 12, done: 12, reminders: 12 });
}

#[tokio::test]
async fn a_timer_failing_every_attempt_is_listed_and_retried_by_the_superuser() {
    let Some(admin) = admin_url("a_timer_failing_every_attempt_is_listed_and_retried_by_the_superuser") else { return };
    let db = TestDatabase::create(&admin).await.unwrap();
    let store = db.store().await.unwrap();
    let h =
        Harness::builder().stores(|clock| Stores::of(db.follower(&store).at(clock), Arc::new(db.operator()))).build();
    let failing = failing_timer(&h, "flaky-mail").await;
    store.close().await;
    db.drop_now().await.unwrap();
    assert_eq!(failing.unwrap(), FailingTimer::expected());
}

#[tokio::test]
async fn housekeeping_deletes_expired_links_old_done_jobs_and_short_lived_markers_only() {
    let Some(admin) = admin_url("housekeeping_deletes_expired_links_old_done_jobs_and_short_lived_markers_only") else {
        return;
    };
    let db = TestDatabase::create(&admin).await.unwrap();
    let store = db.store().await.unwrap();
    let h =
        Harness::builder().stores(|clock| Stores::of(db.follower(&store).at(clock), Arc::new(db.operator()))).build();
    let kept = housekeeping(&h, "tidy").await;
    store.close().await;
    db.drop_now().await.unwrap();
    let kept = kept.unwrap();
    assert_eq!(
        (kept.links, kept.export_jobs, kept.throttle_marker, kept.lasting_marker),
        ([2, 1, 0], [2, 0], [true, false], true),
        "{kept:?}"
    );
    // Jobs: the export's two and the three mails' (issue 20: every mail is a job); their outbox records too.
    assert_eq!((kept.deleted.0, kept.deleted.1, kept.deleted.3), (2, 5, 3), "{kept:?}");
    assert!(kept.deleted.2 >= 1, "{kept:?}");
}

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed step is a failed test
//! Scheduled work in memory: two schedulers racing run each job once; a job
//! whose worker died is run again when its lease ends, once; a job that keeps
//! failing is retried with backoff (30 s, 1, 2, 4 min) and after its fifth
//! attempt kept as failed — audited and listed for the superuser, never dropped.
//! The PostgreSQL counterparts are in `adapters-postgres/tests/jobs.rs`.

use chrono::Duration;
use tenantry_domain::export::ExportStatus;
use tenantry_domain::job::{JobKind, JobState};
use tenantry_testkit::Harness;
use tenantry_testkit::scenarios::{
    DeadWorker, FailingTimer, JobRace, TimerRace, dead_worker, failing_timer, housekeeping, job_race, timer_race,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_schedulers_racing_run_each_job_once() {
    let race = job_race(&Harness::new(), "race", 8).await.unwrap();
    assert_eq!(race, JobRace { claimed: 8, done: 8, ready: 8, ready_events: 8 });
}

#[tokio::test]
async fn a_timer_failing_every_attempt_is_listed_made_once_per_deadline_and_retried_by_the_superuser() {
    assert_eq!(failing_timer(&Harness::new(), "flaky-mail").await.unwrap(), FailingTimer::expected());
}

#[tokio::test]
async fn housekeeping_deletes_expired_links_old_done_jobs_and_short_lived_markers_only() {
    let kept = housekeeping(&Harness::new(), "tidy").await.unwrap();
    assert_eq!(
        (kept.links, kept.export_jobs, kept.throttle_marker, kept.lasting_marker),
        ([2, 1, 0], [2, 0], [true, false], true),
        "{kept:?}"
    );
    // Jobs: the export's two and the three mails' (issue 20: every mail is a job); their outbox records too.
    assert_eq!((kept.deleted.0, kept.deleted.1, kept.deleted.3), (2, 5, 3), "{kept:?}");
    assert!(kept.deleted.2 >= 1, "{kept:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_schedulers_racing_on_the_timers_make_and_run_one_job_per_tenant() {
    let race = timer_race(&Harness::new(), "timers", 8).await.unwrap();
    assert_eq!(race, TimerRace { enqueued: 8, done: 8, reminders: 8 });
}

#[tokio::test]
async fn a_job_whose_worker_died_runs_again_after_its_lease_once() {
    let dead = dead_worker(&Harness::new(), "lazarus").await.unwrap();
    assert_eq!(
        dead,
        DeadWorker { claimed_during_lease: 0, done_after_lease: 1, attempts: 2, ready: 1, ready_events: 1 }
    );
}

#[tokio::test]
async fn a_failing_job_is_retried_with_backoff_then_kept_failed_audited_and_listed() {
    let h = Harness::new();
    let memory = h.memory.clone();
    let t = h.signup("flaky").await.unwrap();
    let scope = h.owner_scope(&t).await.unwrap();
    let export = h.tenantry.request_export(&scope).await.unwrap().export;
    let su = h.superuser("ops@platform.example.com").await.unwrap();
    let platform = h.tenantry.authorize_platform(&su).await.unwrap();
    let mut waits = Vec::new();
    for attempt in 1..=5 {
        memory.fail_next_commit();
        let report = h.tenantry.run_due_jobs(10).await.unwrap();
        assert_eq!((report.claimed, report.failed.len()), (1, 1), "attempt {attempt}: {report:?}");
        assert_eq!(report.gave_up.len(), usize::from(attempt == 5));
        // Not before its backoff.
        let early = h.tenantry.run_due_jobs(10).await.unwrap();
        assert_eq!(early.claimed, 0, "attempt {attempt} retried at once");
        if attempt < 5 {
            let jobs = memory.snapshot(t.id).await.jobs;
            let job = jobs.values().find(|j| matches!(j.kind, JobKind::Export(_))).unwrap();
            assert_eq!(job.last_error.as_deref().map(|e| e.contains("injected")), Some(true));
            waits.push((job.run_at - h.clock_now()).num_seconds());
            h.clock.advance(job.run_at - h.clock_now());
        }
    }
    assert_eq!(waits, vec![30, 60, 120, 240], "backoff in seconds");
    let failed = h.tenantry.failed_jobs(&platform, 100).await.unwrap();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].attempts, 5);
    assert!(matches!(&failed[0].state, JobState::Failed { error, .. } if error.contains("injected")), "{failed:?}");
    // Never claimed again; the export reads failed; both are in the tenant's log.
    h.clock.advance(Duration::days(1));
    assert_eq!(h.tenantry.run_due_jobs(10).await.unwrap().claimed, 0);
    assert_eq!(h.tenantry.export_status(&scope, export.id).await.unwrap().status, ExportStatus::Failed);
    let log = memory.snapshot(t.id).await.audit;
    for action in ["job.failed", "data.export_failed"] {
        assert_eq!(log.iter().filter(|e| e.action.as_str() == action).count(), 1, "{action}");
    }
    // A new export may be asked for.
    assert!(h.tenantry.request_export(&scope).await.unwrap().created);
}

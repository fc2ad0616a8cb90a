//! Scheduled work: one tenant's unit of background work (an export, an
//! export's expiry, the tenant's timers at one deadline, or one mail of its outbox), claimed by a worker for a lease, retried with backoff when it fails, and
//! kept as `failed` — listed for the superuser, never dropped — after its last
//! attempt.
//!
//! The rule, with its numbers: attempt *n* (1-based) that fails is retried
//! after `30 s × 2^(n−1)`, at most one hour: 30 s, 1 min, 2 min, 4 min; the
//! fifth failure is final. A worker that dies mid-job leaves its lease
//! (5 minutes) to run out; the job is then claimed again, and that claim
//! counts as its next attempt.

use crate::ids::{ExportId, JobId, MailId, TenantId};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// Attempts before a job is left failed.
pub const MAX_ATTEMPTS: u32 = 5;
/// How long a claim holds a job before another worker may take it.
pub const LEASE_SECONDS: i64 = 300;
/// The first retry's delay.
pub const FIRST_BACKOFF_SECONDS: i64 = 30;
/// The longest retry delay.
pub const MAX_BACKOFF_SECONDS: i64 = 3600;
/// Days a done job is kept before the daily housekeeping deletes it (failed
/// jobs are kept until retried: they are the superuser's to see).
pub const DONE_RETENTION_DAYS: i64 = 30;

/// What to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum JobKind {
    /// Produce a GDPR export.
    Export(ExportId),
    /// Delete an export's archive when it expires.
    ExpireExport(ExportId),
    /// Run the tenant's timers (trial reminder and end, period end, grace
    /// expiry, retention purge) for the deadline given — the subscription's
    /// `next_due_at` when the job was made. One job per deadline: a deadline
    /// whose job failed for good is not tried again until the superuser
    /// retries it or the deadline moves.
    Timers(DateTime<Utc>),
    /// Send one mail of the tenant's outbox (written in the unit of work of
    /// the change that caused it). Sending is idempotent: a mail recorded as
    /// sent is not sent again, and one no longer in the outbox (its recipient
    /// erased, or voided by a restore) is done without sending.
    Mail(MailId),
}

/// Where a job stands.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum JobState {
    /// Waiting for `run_at` (or running, while a claim's lease lasts).
    Pending,
    /// Done.
    Done {
        /// When.
        at: DateTime<Utc>,
    },
    /// Failed on its last attempt; listed for the superuser.
    Failed {
        /// When.
        at: DateTime<Utc>,
        /// The last error.
        error: String,
    },
}

/// One unit of scheduled work of one tenant.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Job {
    /// Its id.
    pub id: JobId,
    /// Whose.
    pub tenant_id: TenantId,
    /// What.
    pub kind: JobKind,
    /// Due from.
    pub run_at: DateTime<Utc>,
    /// Claims so far (each claim is an attempt).
    pub attempts: u32,
    /// A claim holds it until then.
    pub leased_until: Option<DateTime<Utc>>,
    /// The last failure, kept while it is retried.
    pub last_error: Option<String>,
    /// Where it stands.
    pub state: JobState,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}

/// The delay before retrying after the `attempt`-th (1-based) failure.
pub fn backoff(attempt: u32) -> Duration {
    let doublings = attempt.saturating_sub(1).min(20);
    let seconds = FIRST_BACKOFF_SECONDS.saturating_mul(1_i64 << doublings);
    Duration::seconds(seconds.min(MAX_BACKOFF_SECONDS))
}

/// Errors are kept short in the job row (and never carry secrets: callers pass
/// their error's display text).
const MAX_ERROR_CHARS: usize = 500;

impl Job {
    /// A new job, due at `run_at`.
    pub fn new(id: JobId, tenant_id: TenantId, kind: JobKind, run_at: DateTime<Utc>, now: DateTime<Utc>) -> Self {
        Job {
            id,
            tenant_id,
            kind,
            run_at,
            attempts: 0,
            leased_until: None,
            last_error: None,
            state: JobState::Pending,
            created_at: now,
        }
    }

    /// Whether a worker may claim it now.
    pub fn claimable(&self, now: DateTime<Utc>) -> bool {
        self.state == JobState::Pending && self.run_at <= now && self.leased_until.is_none_or(|l| l <= now)
    }

    /// A worker's claim: one more attempt, held for the lease.
    pub fn claim(&mut self, now: DateTime<Utc>) {
        self.attempts = self.attempts.saturating_add(1);
        self.leased_until = Some(now + Duration::seconds(LEASE_SECONDS));
    }

    /// The superuser's retry of a job that failed for good: pending again, due
    /// now, with a fresh set of attempts (the last error is kept until it runs).
    /// Returns `false` (and changes nothing) unless it had failed for good.
    pub fn retry(&mut self, now: DateTime<Utc>) -> bool {
        if !matches!(self.state, JobState::Failed { .. }) {
            return false;
        }
        self.state = JobState::Pending;
        self.attempts = 0;
        self.run_at = now;
        self.leased_until = None;
        true
    }

    /// Done.
    pub fn succeed(&mut self, now: DateTime<Utc>) {
        self.state = JobState::Done { at: now };
        self.leased_until = None;
    }

    /// A failed attempt: retried after [`backoff`], or failed for good after
    /// [`MAX_ATTEMPTS`]. Returns whether it is final.
    pub fn fail(&mut self, error: &str, now: DateTime<Utc>) -> bool {
        let error: String = error.chars().take(MAX_ERROR_CHARS).collect();
        self.leased_until = None;
        self.last_error = Some(error.clone());
        if self.attempts >= MAX_ATTEMPTS {
            self.state = JobState::Failed { at: now, error };
            true
        } else {
            self.run_at = now + backoff(self.attempts.max(1));
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn at(s: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_790_000_000 + s, 0).unwrap_or_default()
    }

    fn job() -> Job {
        let id = JobId::parse("01900000-0000-7000-8000-000000000001").unwrap();
        let tenant = TenantId::parse("01900000-0000-7000-8000-000000000002").unwrap();
        let export = ExportId::parse("01900000-0000-7000-8000-000000000003").unwrap();
        Job::new(id, tenant, JobKind::Export(export), at(0), at(0))
    }

    #[test]
    fn retries_back_off_30s_1m_2m_4m_then_the_fifth_failure_is_final() {
        let mut j = job();
        let mut now = at(0);
        let mut delays = Vec::new();
        for attempt in 1..=MAX_ATTEMPTS {
            assert!(j.claimable(now), "attempt {attempt}");
            j.claim(now);
            assert!(!j.claimable(now), "a claimed job is held");
            let last = j.fail("smtp down", now);
            assert_eq!(last, attempt == MAX_ATTEMPTS);
            if !last {
                delays.push((j.run_at - now).num_seconds());
                assert!(!j.claimable(now));
                now = j.run_at;
            }
        }
        assert_eq!(delays, vec![30, 60, 120, 240]);
        assert!(matches!(&j.state, JobState::Failed { error, .. } if error == "smtp down"));
        assert!(!j.claimable(at(1_000_000)), "a failed job is never claimed again");
    }

    #[test]
    fn a_dead_workers_lease_runs_out_and_the_next_claim_is_the_next_attempt() {
        let mut j = job();
        j.claim(at(0));
        assert!(!j.claimable(at(LEASE_SECONDS - 1)));
        assert!(j.claimable(at(LEASE_SECONDS)));
        j.claim(at(LEASE_SECONDS));
        assert_eq!(j.attempts, 2);
        j.succeed(at(LEASE_SECONDS + 1));
        assert!(!j.claimable(at(1_000_000)));
    }

    #[test]
    fn only_a_job_that_failed_for_good_is_retried_and_it_gets_all_its_attempts_again() {
        let mut j = job();
        assert!(!j.retry(at(0)), "a pending job is not retried");
        for n in 0..i64::from(MAX_ATTEMPTS) {
            j.claim(j.run_at.max(at(n)));
            j.fail("down", j.run_at.max(at(n)));
        }
        assert!(matches!(j.state, JobState::Failed { .. }));
        assert!(j.retry(at(10_000)));
        assert_eq!((j.state.clone(), j.attempts, j.run_at), (JobState::Pending, 0, at(10_000)));
        assert!(j.claimable(at(10_000)));
        assert_eq!(j.last_error.as_deref(), Some("down"), "the last error stays until the retry runs");
        j.claim(at(10_000));
        j.succeed(at(10_001));
        assert!(!j.retry(at(10_002)), "a done job is not retried");
    }

    #[test]
    fn a_timers_job_names_its_deadline() {
        let kind = JobKind::Timers(at(60));
        let json = serde_json::to_value(kind).unwrap();
        assert_eq!(json["kind"], "timers");
        assert_eq!(serde_json::from_value::<JobKind>(json).unwrap(), kind);
    }

    #[test]
    fn backoff_is_capped_at_an_hour() {
        assert_eq!(backoff(1).num_seconds(), 30);
        assert_eq!(backoff(8).num_seconds(), 3600);
        assert_eq!(backoff(u32::MAX).num_seconds(), 3600);
    }

    proptest! {
        #[test]
        fn backoff_never_shrinks_and_stays_within_bounds(a in 1u32..1000) {
            let (this, next) = (backoff(a).num_seconds(), backoff(a + 1).num_seconds());
            prop_assert!((FIRST_BACKOFF_SECONDS..=MAX_BACKOFF_SECONDS).contains(&this));
            prop_assert!(next >= this);
        }

        #[test]
        fn errors_are_kept_short(len in 0usize..2000) {
            let mut j = job();
            j.claim(at(0));
            j.fail(&"x".repeat(len), at(0));
            prop_assert!(j.last_error.unwrap_or_default().chars().count() <= MAX_ERROR_CHARS);
        }
    }
}

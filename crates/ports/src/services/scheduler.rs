//! The scheduler's step: what the service's scheduler (and a test's clock)
//! runs every few seconds — the due timers, the daily platform work and the due
//! jobs — and, when a local provider keeps the money timeline, the billing
//! events it emitted ([`Tenantry::apply_billing_events`]). The binary and the
//! tests call the same functions; only the loop around them differs.

use super::Tenantry;
use super::jobs::JobReport;
use crate::payment::BillingEvent;
use crate::services::billing::BillingEventOutcome;

/// What one scheduler step did.
#[derive(Clone, Debug, Default)]
pub struct Tick {
    /// Billing events applied.
    pub applied: usize,
    /// Billing events seen before.
    pub duplicates: usize,
    /// Billing events that failed (a real provider would redeliver them).
    pub failed: usize,
    /// Tenants whose timers ran.
    pub timers: u32,
    /// Tenants whose timers failed (or runs that failed as a whole).
    pub timer_failures: usize,
    /// Jobs done.
    pub jobs: usize,
    /// Job attempts that failed (retried later, or kept as failed).
    pub job_failures: usize,
}

impl Tick {
    fn add_jobs(&mut self, r: &JobReport) {
        self.timers += u32::try_from(r.timers.len()).unwrap_or(u32::MAX);
        self.timer_failures += r.timer_failures;
        self.jobs += r.done.len().saturating_sub(r.timers.len());
        self.job_failures += r.failed.len().saturating_sub(r.timer_failures);
    }

    /// Adds another step's counts to this one.
    pub fn add(&mut self, other: &Tick) {
        self.applied += other.applied;
        self.duplicates += other.duplicates;
        self.failed += other.failed;
        self.timers += other.timers;
        self.timer_failures += other.timer_failures;
        self.jobs += other.jobs;
        self.job_failures += other.job_failures;
    }

    /// Whether every event and timer went through.
    pub fn clean(&self) -> bool {
        self.failed == 0 && self.timer_failures == 0
    }
}

impl Tenantry {
    /// One step with an outside provider (Stripe owns the money timeline and
    /// reports it by webhook): the due timers, then the daily work and the due jobs.
    pub async fn scheduler_step(&self) -> Tick {
        let mut report = Tick::default();
        self.run_timers_into(&mut report).await;
        self.run_jobs_into(&mut report).await;
        report
    }

    /// Hands a local provider's events to [`Tenantry::handle_billing_event`]
    /// (as a webhook would), counting them into `report`; a failed one is
    /// logged and counted (a real provider would redeliver it).
    pub async fn apply_billing_events(&self, events: &[BillingEvent], report: &mut Tick) {
        for event in events {
            match self.handle_billing_event(event).await {
                Ok(BillingEventOutcome::Duplicate) => report.duplicates += 1,
                Ok(_) => report.applied += 1,
                Err(e) => {
                    tracing::warn!(event = %event.id, error = %e, "billing event failed");
                    report.failed += 1;
                }
            }
        }
    }

    /// Runs the due timers into `report`: [`Tenantry::run_due_timers`] makes
    /// each due tenant's timers job and runs the due jobs (other kinds with them).
    pub async fn run_timers_into(&self, report: &mut Tick) {
        match self.run_due_timers(10_000).await {
            Ok(r) => {
                report.timer_failures += r.enqueue_failures.len();
                report.add_jobs(&r.jobs);
            }
            Err(e) => {
                tracing::warn!(error = %e, "timers failed");
                report.timer_failures += 1;
            }
        }
    }

    /// Runs the daily platform work and the due jobs ([`Tenantry::run_due_jobs`])
    /// into `report`: the step's other half, on a local timeline or on Stripe's.
    pub async fn run_jobs_into(&self, report: &mut Tick) {
        if let Err(e) = self.run_daily_work().await {
            tracing::warn!(error = %e, "the daily platform work failed; retried on the next run");
        }
        match self.run_due_jobs(1_000).await {
            Ok(r) => report.add_jobs(&r),
            Err(e) => {
                tracing::warn!(error = %e, "jobs failed");
                report.job_failures += 1;
            }
        }
    }
}

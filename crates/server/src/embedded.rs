//! The embedded default: everything in memory, billing by the local simulator,
//! mail to the console. Nothing is persisted; it is for trying tenantry out and
//! for development, and says so loudly when it starts.

use std::sync::Arc;
use std::time::Duration;
use tenantry_mail::ConsoleMailer;
use tenantry_memory::{BillingSimulator, MemoryStore, run_timeline};
use tenantry_ports::defaults::{Argon2idHasher, OsTokenGenerator, SystemClock, UuidV7Generator};
use tenantry_ports::{Clock, Deps, Tenantry, TenantryConfig};

/// The embedded default's parts.
#[derive(Clone)]
pub struct Embedded {
    /// The use cases.
    pub tenantry: Tenantry,
    /// The clock they read.
    pub clock: Arc<dyn Clock>,
    /// The local billing simulator (the payment provider).
    pub simulator: BillingSimulator,
    /// The in-memory store, for a product's own tables (`MemoryStore::scoped`).
    pub store: MemoryStore,
}

/// Why the embedded default could not be built.
#[derive(Debug, thiserror::Error)]
#[error("cannot build the embedded default: {0}")]
pub struct EmbeddedError(String);

impl Embedded {
    /// In-memory stores, the billing simulator on the system clock, UUID v7
    /// ids, OS-random secrets, Argon2id, and the console mailer.
    pub fn new(config: TenantryConfig) -> Result<Self, EmbeddedError> {
        let clock: Arc<dyn Clock> = Arc::new(SystemClock::default());
        let simulator = BillingSimulator::new(clock.clone(), config.catalog.clone());
        let memory = MemoryStore::new();
        let hasher = Argon2idHasher::new().map_err(|e| EmbeddedError(e.to_string()))?;
        let deps = Deps {
            store: Arc::new(memory.clone()),
            files: Arc::new(memory.clone()),
            directory: Arc::new(memory.clone()),
            payments: Arc::new(simulator.clone()),
            clock: clock.clone(),
            ids: Arc::new(UuidV7Generator::default()),
            tokens: Arc::new(OsTokenGenerator),
            hasher: Arc::new(hasher),
            mailer: Arc::new(ConsoleMailer::default()),
        };
        Ok(Self { tenantry: Tenantry::new(deps, config), clock, simulator, store: memory })
    }

    /// Runs the simulator's money timeline and the due timers every `every`,
    /// until the returned handle is aborted (the service's scheduler).
    pub fn spawn_scheduler(&self, every: Duration) -> tokio::task::JoinHandle<()> {
        spawn_scheduler(self.tenantry.clone(), Some(self.simulator.clone()), every)
    }
}

/// The service's scheduler: every `every`, the due timers and the due jobs —
/// and, with the local simulator as the provider, its money timeline first
/// (with Stripe, Stripe owns that timeline and reports it by webhook) — until
/// the handle is aborted.
pub fn spawn_scheduler(
    tenantry: Tenantry,
    simulator: Option<BillingSimulator>,
    every: Duration,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut interval = tokio::time::interval(every);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            interval.tick().await;
            let tick = match &simulator {
                Some(simulator) => run_timeline(&tenantry, simulator).await,
                None => tenantry.scheduler_step().await,
            };
            if tick.applied > 0 || tick.timers > 0 || tick.jobs > 0 || tick.failed > 0 || tick.timer_failures > 0 {
                tracing::info!(
                    applied = tick.applied,
                    timers = tick.timers,
                    jobs = tick.jobs,
                    failed = tick.failed + tick.timer_failures + tick.job_failures,
                    "scheduler"
                );
            }
        }
    })
}

//! The embedded default: everything in memory, billing by the local simulator,
//! mail to the console. Nothing is persisted; it is for trying tenantry out and
//! for development, and says so loudly when it starts.

use async_trait::async_trait;
use std::sync::Arc;
use std::time::Duration;
use tenantry_domain::MailId;
use tenantry_memory::{BillingSimulator, MemoryStore, run_timeline};
use tenantry_ports::defaults::{Argon2idHasher, OsTokenGenerator, SystemClock, UuidV7Generator};
use tenantry_ports::system::{Accepted, Mail, message_id};
use tenantry_ports::{Clock, Deps, Mailer, Tenantry, TenantryConfig};

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

/// The mailer of the operator's commands (which mail nothing): should one
/// queue a mail, it is not sent, and the log says so (the recipient's domain
/// and the template only: never the address, nor the content, which may carry
/// a link's secret); the mail stays in the outbox for the service's job runner.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoMailer;

#[async_trait]
impl Mailer for NoMailer {
    async fn send(&self, mail: &Mail, _id: MailId) -> Result<Accepted, anyhow::Error> {
        let domain = mail.to.as_str().rsplit_once('@').map_or("", |(_, domain)| domain);
        tracing::warn!(
            to_domain = domain,
            template = mail.message.template(),
            "mail not sent: no mailer is configured"
        );
        Err(anyhow::anyhow!("no mailer is configured (TENANTRY_MAIL=console prints mails, for development)"))
    }
}

/// The embedded default's mailer: prints each mail's text (rendered by the
/// same templates as SMTP mail) to standard output — the console is the
/// mailbox — and never to the log. An invitation's code is the one thing a
/// person needs from it, so it is printed whole.
#[derive(Debug, Default, Clone)]
pub struct ConsoleMailer {
    links: tenantry_mail::Links,
}

impl ConsoleMailer {
    /// With links to `public_url` (else API paths).
    pub fn new(public_url: Option<String>) -> Self {
        Self { links: tenantry_mail::Links { public_url } }
    }
}

#[async_trait]
impl Mailer for ConsoleMailer {
    async fn send(&self, mail: &Mail, id: MailId) -> Result<Accepted, anyhow::Error> {
        let rendered = tenantry_mail::render(mail, &self.links);
        println!("--- mail to {} (not sent, shown here): {} ---\n{}---", mail.to, rendered.subject, rendered.text);
        Ok(Accepted { message_id: message_id(id, None), reply: "console".into() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tenantry_domain::{Email, EntityId};

    #[tokio::test]
    async fn without_a_mailer_nothing_is_sent_and_the_caller_is_told() {
        let mail = Mail {
            to: Email::parse("ann@example.com").unwrap(),
            tenant: None,
            message: tenantry_ports::system::Message::TrialReminder {
                trial_ends_at: chrono::DateTime::UNIX_EPOCH,
                converts: false,
            },
        };
        let id = tenantry_domain::MailId::from_uuid(tenantry_domain::ids::uuid_v7_from_parts(1, [1; 10])).unwrap();
        assert!(NoMailer.send(&mail, id).await.is_err());
    }
}

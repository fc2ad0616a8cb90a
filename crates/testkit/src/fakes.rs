//! Controllable stand-ins for the small ports: a clock tests move by hand,
//! sequential ids and predictable secrets, a fast password hasher for property
//! tests, and a mailer that records what it sends.

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use tenantry_domain::Email;
use tenantry_domain::ids::uuid_v7_from_parts;
use tenantry_domain::password::PasswordHash;
use tenantry_ports::system::{
    Accepted, Clock, IdGenerator, Mail, Mailer, Message, PasswordHasher, TokenGenerator, message_id,
};
use uuid::Uuid;

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// A clock that stands still until moved.
#[derive(Clone, Debug)]
pub struct FakeClock {
    now: Arc<Mutex<DateTime<Utc>>>,
}

impl FakeClock {
    /// A clock showing `start`.
    pub fn at(start: DateTime<Utc>) -> Self {
        Self { now: Arc::new(Mutex::new(start)) }
    }

    /// Moves the clock forward (a negative duration is ignored: clocks never go back).
    pub fn advance(&self, by: Duration) {
        let mut now = lock(&self.now);
        if by > Duration::zero() {
            *now += by;
        }
    }

    /// Moves the clock to `at` if that is later than now.
    pub fn set(&self, at: DateTime<Utc>) {
        let mut now = lock(&self.now);
        if at > *now {
            *now = at;
        }
    }
}

impl Clock for FakeClock {
    fn now(&self) -> DateTime<Utc> {
        *lock(&self.now)
    }
}

/// Strictly increasing UUID v7 values from a counter: deterministic, so that a
/// failing property test replays exactly.
#[derive(Debug, Default)]
pub struct SequentialIds {
    next: AtomicU64,
}

impl IdGenerator for SequentialIds {
    fn new_uuid(&self) -> Uuid {
        let n = self.next.fetch_add(1, Ordering::SeqCst);
        let mut tail = [0u8; 10];
        tail[2..].copy_from_slice(&n.to_be_bytes());
        // 1.7e12 ms is late 2023; one millisecond per id keeps the order strict.
        uuid_v7_from_parts(1_700_000_000_000 + n, tail)
    }
}

/// Predictable 64-hex-character secrets (tests only: anyone can guess them).
#[derive(Debug, Default)]
pub struct PredictableTokens {
    next: AtomicU64,
}

impl TokenGenerator for PredictableTokens {
    fn secret(&self) -> Result<SecretString, anyhow::Error> {
        let n = self.next.fetch_add(1, Ordering::SeqCst);
        Ok(SecretString::from(hex::encode(Sha256::digest(n.to_be_bytes()))))
    }
}

/// SHA-256 "hashing" for property tests, where Argon2id would make ten thousand
/// sequences take hours. Never use it for real passwords.
#[derive(Debug, Default, Clone, Copy)]
pub struct InsecureFastHasher;

fn fast_hash(password: &str) -> String {
    format!("$fast-sha256${}", hex::encode(Sha256::digest(password.as_bytes())))
}

#[async_trait]
impl PasswordHasher for InsecureFastHasher {
    async fn hash(&self, password: &SecretString) -> Result<PasswordHash, anyhow::Error> {
        Ok(PasswordHash::from_encoded(SecretString::from(fast_hash(password.expose_secret()))))
    }
    async fn verify(&self, password: &SecretString, hash: &PasswordHash) -> Result<bool, anyhow::Error> {
        Ok(fast_hash(password.expose_secret()) == hash.expose())
    }
    fn decoy(&self) -> PasswordHash {
        PasswordHash::from_encoded(SecretString::from("$fast-sha256$decoy-matches-nothing"))
    }
}

/// A mailer that keeps every mail, and can be told to fail, or to answer
/// late (after it has accepted the mail).
#[derive(Clone, Debug, Default)]
pub struct RecordingMailer {
    sent: Arc<Mutex<Vec<Mail>>>,
    ids: Arc<Mutex<Vec<tenantry_domain::MailId>>>,
    failing: Arc<Mutex<bool>>,
    answer_after: Arc<Mutex<Option<std::time::Duration>>>,
}

impl RecordingMailer {
    /// A new, working mailer.
    pub fn new() -> Self {
        Self::default()
    }

    /// Every mail sent so far.
    pub fn sent(&self) -> Vec<Mail> {
        lock(&self.sent).clone()
    }

    /// Mails sent to `to`.
    pub fn sent_to(&self, to: &str) -> Vec<Mail> {
        let Ok(to) = Email::parse(to) else { return Vec::new() };
        self.sent().into_iter().filter(|m| m.to == to).collect()
    }

    /// The newest invitation token mailed to `to`.
    pub fn invitation_token(&self, to: &str) -> Option<SecretString> {
        self.sent_to(to).into_iter().rev().find_map(|m| match m.message {
            Message::Invitation { token, .. } => Some(token),
            _ => None,
        })
    }

    /// The newest password reset code mailed to `to`.
    pub fn reset_token(&self, to: &str) -> Option<SecretString> {
        self.sent_to(to).into_iter().rev().find_map(|m| match m.message {
            Message::PasswordReset { token, .. } => Some(token),
            _ => None,
        })
    }

    /// The newest verification code mailed to `to`.
    pub fn verification_token(&self, to: &str) -> Option<SecretString> {
        self.sent_to(to).into_iter().rev().find_map(|m| match m.message {
            Message::VerifyEmail { token, .. } => Some(token),
            _ => None,
        })
    }

    /// The newest e-mail change code mailed to `to` (the new address).
    pub fn email_change_token(&self, to: &str) -> Option<SecretString> {
        self.sent_to(to).into_iter().rev().find_map(|m| match m.message {
            Message::ConfirmEmailChange { token, .. } => Some(token),
            _ => None,
        })
    }

    /// The invitation token mailed to `to` on behalf of `tenant`, newest first.
    pub fn invitation_token_from(&self, to: &str, tenant: tenantry_domain::TenantId) -> Option<SecretString> {
        self.sent_to(to).into_iter().rev().find_map(|m| match (m.message, m.tenant) {
            (Message::Invitation { token, .. }, Some(t)) if t.id == tenant => Some(token),
            _ => None,
        })
    }

    /// How many mails of a template (`trial_reminder`, ...) went to `to`.
    pub fn count(&self, to: &str, template: &str) -> usize {
        self.sent_to(to).iter().filter(|m| m.message.template() == template).count()
    }

    /// Makes every send fail until `false` is set again.
    pub fn set_failing(&self, failing: bool) {
        *lock(&self.failing) = failing;
    }

    /// Accepts each mail at once but answers only after `delay` (a slow
    /// server; `None`: at once).
    pub fn set_answer_after(&self, delay: Option<std::time::Duration>) {
        *lock(&self.answer_after) = delay;
    }

    /// The outbox id of every mail accepted, in order (an id twice: sent twice).
    pub fn accepted_ids(&self) -> Vec<tenantry_domain::MailId> {
        lock(&self.ids).clone()
    }
}

#[async_trait]
impl Mailer for RecordingMailer {
    async fn send(&self, mail: &Mail, id: tenantry_domain::MailId) -> Result<Accepted, anyhow::Error> {
        if *lock(&self.failing) {
            anyhow::bail!("the recording mailer was told to fail");
        }
        lock(&self.sent).push(mail.clone());
        lock(&self.ids).push(id);
        let delay = *lock(&self.answer_after);
        if let Some(delay) = delay {
            tokio::time::sleep(delay).await;
        }
        Ok(Accepted { message_id: message_id(id, Some("recording.test")), reply: "250 recorded".into() })
    }
}

/// A log sink for tests that assert what reaches the log: give a clone to a
/// tracing subscriber's writer, then read [`CapturedLog::text`].
#[derive(Clone, Default, Debug)]
pub struct CapturedLog(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl CapturedLog {
    /// A subscriber that writes every event, at every level, to this sink
    /// (plain text, no colours): install it with `set_default` for one thread
    /// or `set_global_default` for a whole test binary.
    pub fn subscriber(&self) -> impl tracing::Subscriber + Send + Sync + 'static {
        let sink = self.clone();
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_writer(move || sink.clone())
            .with_ansi(false)
            .finish()
    }

    /// Everything written so far (invalid UTF-8 replaced).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap_or_else(|p| p.into_inner())).into_owned()
    }
}

impl std::io::Write for CapturedLog {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

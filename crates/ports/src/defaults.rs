//! Production implementations of the small ports that need no infrastructure:
//! the system clock, UUID v7 ids, OS-random secrets and Argon2id password hashing.
//! (The stores, payment provider and mailer live in adapter crates.)

use crate::system::{Clock, IdGenerator, PasswordHasher, TokenGenerator};
use anyhow::Context as _;
use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};
use std::sync::Mutex;
use std::time::SystemTime;
use tenantry_domain::ids::uuid_v7_from_parts;
use tenantry_domain::password::PasswordHash;
use uuid::Uuid;

/// The operating system's clock, never going backwards within the process.
#[derive(Debug, Default)]
pub struct SystemClock {
    last: Mutex<Option<DateTime<Utc>>>,
}

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        let now = DateTime::<Utc>::from(SystemTime::now());
        let mut last = self.last.lock().unwrap_or_else(|p| p.into_inner());
        let now = last.map_or(now, |l| l.max(now));
        *last = Some(now);
        now
    }
}

/// UUID v7 from the system time and OS randomness, strictly increasing: within
/// one millisecond the 12-bit `rand_a` field counts up (RFC 9562 §6.2, method 1),
/// and on overflow the timestamp advances by one millisecond.
#[derive(Debug, Default)]
pub struct UuidV7Generator {
    state: Mutex<(u64, u16)>,
}

impl IdGenerator for UuidV7Generator {
    fn new_uuid(&self) -> Uuid {
        let wall =
            u64::try_from(SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map(|d| d.as_millis()).unwrap_or(0))
                .unwrap_or(u64::MAX >> 16);
        let mut random = [0u8; 10];
        // A failing OS RNG leaves zeros in `rand_b`; the counter keeps ids unique.
        let _ = getrandom::fill(&mut random);
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let (last_ms, last_counter) = *state;
        let (ms, counter) = if wall > last_ms {
            // fresh millisecond: start the counter low, leaving room to count up
            (wall, u16::from_be_bytes([random[0], random[1]]) & 0x01ff)
        } else if last_counter < 0x0fff {
            (last_ms, last_counter + 1)
        } else {
            (last_ms + 1, 0)
        };
        *state = (ms, counter);
        let [hi, lo] = counter.to_be_bytes();
        random[0] = hi & 0x0f;
        random[1] = lo;
        uuid_v7_from_parts(ms, random)
    }
}

/// 256-bit secrets from the OS random source, hex-encoded (64 characters).
#[derive(Debug, Default, Clone, Copy)]
pub struct OsTokenGenerator;

impl TokenGenerator for OsTokenGenerator {
    fn secret(&self) -> Result<SecretString, anyhow::Error> {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("the OS random source failed: {e}"))?;
        Ok(SecretString::from(hex::encode(bytes)))
    }
}

/// Argon2id with OWASP's parameters (19 MiB, 2 iterations, 1 lane); hashing
/// runs on the blocking thread pool when a tokio runtime is present.
///
/// At most `permits` hashes run at once (half the cores by default, at least
/// one): a burst of logins cannot take every core and starve the
/// authenticated requests (measured in `.ci/attack.py`: with 2 × the cores a
/// burst of ten logins on two cores raised a signed-in GET's p99 to 117 ms). A
/// hash that waits longer than `queue` for its turn is given up with
/// [`HasherBusy`] (the use case answers 503, nothing changed). Every hash that
/// runs is counted in `tenantry_password_hashes_total{op}`, every one given
/// up in `tenantry_password_hashes_refused_total`.
pub struct Argon2idHasher {
    decoy: PasswordHash,
    permits: std::sync::Arc<tokio::sync::Semaphore>,
    queue: std::time::Duration,
}

impl std::fmt::Debug for Argon2idHasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Argon2idHasher")
    }
}

/// A password hash was given up: every permit stayed taken for the whole queue time.
#[derive(Debug, thiserror::Error)]
#[error("password hashing is busy; retry")]
pub struct HasherBusy;

/// A hasher's error as the use cases answer it: [`HasherBusy`] is
/// `Unavailable` (503, retry), anything else `Unknown`.
pub fn hasher_error(e: anyhow::Error) -> crate::error::InfraError {
    if e.is::<HasherBusy>() { crate::error::InfraError::Unavailable(e) } else { crate::error::InfraError::Unknown(e) }
}

/// The default number of hashes at once: half the cores, at least one (each
/// Argon2id hash is single-threaded and takes a core while it runs).
pub fn default_hash_permits() -> usize {
    (std::thread::available_parallelism().map_or(2, |n| n.get()) / 2).max(1)
}

impl Argon2idHasher {
    /// A hasher with its decoy hash computed once.
    pub fn new() -> Result<Self, anyhow::Error> {
        let mut decoy_password = [0u8; 32];
        getrandom::fill(&mut decoy_password).map_err(|e| anyhow::anyhow!("random source: {e}"))?;
        let decoy = hash_blocking(&SecretString::from(hex::encode(decoy_password)))?;
        Ok(Self {
            decoy,
            permits: std::sync::Arc::new(tokio::sync::Semaphore::new(default_hash_permits())),
            queue: std::time::Duration::from_secs(2),
        })
    }

    /// At most `permits` hashes at once, each waiting at most `queue` for its turn.
    pub fn with_limits(mut self, permits: usize, queue: std::time::Duration) -> Self {
        self.permits = std::sync::Arc::new(tokio::sync::Semaphore::new(permits.max(1)));
        self.queue = queue;
        self
    }

    /// Runs `f` (one hash) when a permit is free, within the queue time.
    async fn limited<T: Send + 'static>(
        &self,
        op: &'static str,
        f: impl FnOnce() -> Result<T, anyhow::Error> + Send + 'static,
    ) -> Result<T, anyhow::Error> {
        let permit = match tokio::time::timeout(self.queue, self.permits.clone().acquire_owned()).await {
            Ok(Ok(permit)) => permit,
            Ok(Err(_)) | Err(_) => {
                metrics::counter!("tenantry_password_hashes_refused_total", "op" => op).increment(1);
                return Err(HasherBusy.into());
            }
        };
        metrics::counter!("tenantry_password_hashes_total", "op" => op).increment(1);
        let result = off_the_runtime(f).await;
        drop(permit);
        result?
    }
}

fn hash_blocking(password: &SecretString) -> Result<PasswordHash, anyhow::Error> {
    let hash = argon2::Argon2::default()
        .hash_password(password.expose_secret().as_bytes())
        .map_err(|e| anyhow::anyhow!("argon2: {e}"))?;
    Ok(PasswordHash::from_encoded(SecretString::from(hash.to_string())))
}

fn verify_blocking(password: &SecretString, hash: &PasswordHash) -> Result<bool, anyhow::Error> {
    match argon2::Argon2::default().verify_password(password.expose_secret().as_bytes(), hash.expose()) {
        Ok(()) => Ok(true),
        Err(argon2::password_hash::Error::PasswordInvalid) => Ok(false),
        Err(e) => Err(anyhow::anyhow!("argon2: {e}")),
    }
}

async fn off_the_runtime<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Result<T, anyhow::Error> {
    match tokio::runtime::Handle::try_current() {
        Ok(handle) => handle.spawn_blocking(f).await.context("password hashing task"),
        Err(_) => Ok(f()),
    }
}

#[async_trait]
impl PasswordHasher for Argon2idHasher {
    async fn hash(&self, password: &SecretString) -> Result<PasswordHash, anyhow::Error> {
        let password = password.clone();
        self.limited("hash", move || hash_blocking(&password)).await
    }

    async fn verify(&self, password: &SecretString, hash: &PasswordHash) -> Result<bool, anyhow::Error> {
        let (password, hash) = (password.clone(), hash.clone());
        self.limited("verify", move || verify_blocking(&password, &hash)).await
    }

    fn decoy(&self) -> PasswordHash {
        self.decoy.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tenantry_domain::ids::{EntityId, TenantId};

    #[test]
    fn ids_are_v7_and_strictly_increasing() {
        let ids = UuidV7Generator::default();
        let mut last = ids.new_uuid();
        for _ in 0..10_000 {
            let next = ids.new_uuid();
            assert!(next > last);
            assert!(TenantId::from_uuid(next).is_ok());
            last = next;
        }
    }

    #[test]
    fn secrets_are_long_url_safe_and_different() {
        let a = OsTokenGenerator.secret().unwrap();
        let b = OsTokenGenerator.secret().unwrap();
        assert!(tenantry_domain::token::valid_secret(&a));
        assert_ne!(a.expose_secret(), b.expose_secret());
    }

    #[tokio::test]
    async fn hashes_beyond_the_permits_wait_and_are_given_up_after_the_queue_time() {
        let hasher =
            std::sync::Arc::new(Argon2idHasher::new().unwrap().with_limits(1, std::time::Duration::from_millis(1)));
        let pw = SecretString::from("correct horse battery staple");
        let hash = hasher.hash(&pw).await.unwrap();
        let runs: Vec<_> = (0..4)
            .map(|_| {
                let (hasher, pw, hash) = (hasher.clone(), pw.clone(), hash.clone());
                tokio::spawn(async move { hasher.verify(&pw, &hash).await })
            })
            .collect();
        let mut done = 0;
        let mut busy = 0;
        for run in runs {
            match run.await.unwrap() {
                Ok(true) => done += 1,
                Err(e) => {
                    assert!(e.is::<HasherBusy>(), "{e}");
                    assert!(matches!(hasher_error(e), crate::error::InfraError::Unavailable(_)));
                    busy += 1;
                }
                Ok(false) => panic!("the right password was refused"),
            }
        }
        assert!(done >= 1 && busy >= 1, "one permit, four at once: {done} ran, {busy} given up");
        assert!(matches!(hasher_error(anyhow::anyhow!("other")), crate::error::InfraError::Unknown(_)));
    }

    #[tokio::test]
    async fn argon2id_verifies_the_right_password_only() {
        let hasher = Argon2idHasher::new().unwrap();
        let pw = SecretString::from("correct horse battery staple");
        let hash = hasher.hash(&pw).await.unwrap();
        assert!(hash.expose().starts_with("$argon2id$"));
        assert!(hasher.verify(&pw, &hash).await.unwrap());
        assert!(!hasher.verify(&SecretString::from("wrong password!!"), &hash).await.unwrap());
        assert!(!hasher.verify(&pw, &hasher.decoy()).await.unwrap());
        assert!(!format!("{hasher:?} {hash:?}").contains("argon2id$v"));
    }

    #[test]
    fn the_system_clock_never_goes_backwards() {
        let clock = SystemClock::default();
        let a = clock.now();
        assert!(clock.now() >= a);
    }
}

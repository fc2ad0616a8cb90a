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
#[derive(Clone)]
pub struct Argon2idHasher {
    decoy: PasswordHash,
}

impl std::fmt::Debug for Argon2idHasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Argon2idHasher")
    }
}

impl Argon2idHasher {
    /// A hasher with its decoy hash computed once.
    pub fn new() -> Result<Self, anyhow::Error> {
        let mut decoy_password = [0u8; 32];
        getrandom::fill(&mut decoy_password).map_err(|e| anyhow::anyhow!("random source: {e}"))?;
        let decoy = hash_blocking(&SecretString::from(hex::encode(decoy_password)))?;
        Ok(Self { decoy })
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
        off_the_runtime(move || hash_blocking(&password)).await?
    }

    async fn verify(&self, password: &SecretString, hash: &PasswordHash) -> Result<bool, anyhow::Error> {
        let (password, hash) = (password.clone(), hash.clone());
        off_the_runtime(move || verify_blocking(&password, &hash)).await?
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

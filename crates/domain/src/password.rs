//! Password rules (DESIGN.md "Users"): at least 12 characters by default, hashed
//! with Argon2id by the `PasswordHasher` port, 5 failures lock the account for 15
//! minutes. The hash itself is a secret-like value that never reaches a log.

use chrono::Duration;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Why a password was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    /// Shorter than the policy's minimum.
    #[error("a password needs at least {min} characters")]
    TooShort {
        /// The minimum.
        min: usize,
    },
    /// Longer than the policy's maximum (Argon2 inputs are bounded to keep hashing cheap).
    #[error("a password has at most {max} characters")]
    TooLong {
        /// The maximum.
        max: usize,
    },
    /// Only whitespace.
    #[error("a password cannot be only whitespace")]
    Blank,
    /// In the shipped list of breached passwords (when the platform checks it).
    #[error("this password appears in a list of breached passwords; choose another")]
    Breached,
}

/// Length rules for new passwords.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct PasswordPolicy {
    /// Minimum characters (12).
    pub min_chars: usize,
    /// Maximum characters (1024).
    pub max_chars: usize,
}

impl Default for PasswordPolicy {
    fn default() -> Self {
        Self { min_chars: 12, max_chars: 1024 }
    }
}

impl PasswordPolicy {
    /// Checks a new password against the policy.
    pub fn check(&self, password: &SecretString) -> Result<(), PasswordError> {
        let p = password.expose_secret();
        let n = p.chars().count();
        if p.trim().is_empty() {
            return Err(PasswordError::Blank);
        }
        if n < self.min_chars {
            return Err(PasswordError::TooShort { min: self.min_chars });
        }
        if n > self.max_chars {
            return Err(PasswordError::TooLong { max: self.max_chars });
        }
        Ok(())
    }
}

/// An encoded password hash (a PHC string such as `$argon2id$v=19$...`).
///
/// Kept in a `SecretString`: it never appears in Debug output, logs or exports.
#[derive(Clone)]
pub struct PasswordHash(SecretString);

impl PasswordHash {
    /// Wraps an encoded hash produced by a `PasswordHasher`.
    pub fn from_encoded(encoded: SecretString) -> Self {
        Self(encoded)
    }
    /// The encoded hash, for the hasher and the store only.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }

    /// SHA-256 (hex) of the encoded hash: tells two hashes apart without
    /// holding either (the platform's credential ledger keeps it).
    pub fn digest(&self) -> String {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(self.expose().as_bytes()))
    }
}

impl PartialEq for PasswordHash {
    fn eq(&self, other: &Self) -> bool {
        self.expose() == other.expose()
    }
}
impl Eq for PasswordHash {}

impl fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PasswordHash([REDACTED])")
    }
}

/// Failed-login lockout (DESIGN.md §3: 5 failures from one address lock the
/// account for that address for 15 minutes; 20 from all addresses within 15
/// minutes lock it everywhere).
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct LockoutPolicy {
    /// Consecutive failures from one address that lock the account for it (5).
    pub max_failures: u32,
    /// How long a lock lasts, and the window of the everywhere count, in minutes (15).
    pub lock_minutes: i64,
    /// Failures from all addresses within the window that lock it everywhere (20).
    pub max_failures_everywhere: u32,
}

impl Default for LockoutPolicy {
    fn default() -> Self {
        Self { max_failures: 5, lock_minutes: 15, max_failures_everywhere: 20 }
    }
}

impl LockoutPolicy {
    /// The lock duration.
    pub fn lock_duration(&self) -> Duration {
        Duration::minutes(self.lock_minutes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn twelve_characters_is_the_default_minimum() {
        let p = PasswordPolicy::default();
        assert_eq!(p.check(&SecretString::from("elevenchars")), Err(PasswordError::TooShort { min: 12 }));
        assert_eq!(p.check(&SecretString::from("twelve chars")), Ok(()));
        assert_eq!(p.check(&SecretString::from(" ".repeat(20))), Err(PasswordError::Blank));
        assert_eq!(p.check(&SecretString::from("x".repeat(1025))), Err(PasswordError::TooLong { max: 1024 }));
        // characters, not bytes: twelve umlauts are twelve characters
        assert_eq!(p.check(&SecretString::from("ü".repeat(12))), Ok(()));
    }

    #[test]
    fn a_hash_never_shows_in_debug_output() {
        let h = PasswordHash::from_encoded(SecretString::from("$argon2id$v=19$secret-bits"));
        assert_eq!(format!("{h:?}"), "PasswordHash([REDACTED])");
    }
}

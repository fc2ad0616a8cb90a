//! Secrets sealed at rest (issue 18): the TOTP secrets of two-factor
//! authentication are kept under AES-256-GCM with the platform's data key
//! (`TENANTRY_DATA_KEY`, 64 hex characters), which lives in the service's
//! configuration, never in the database. The associated data names the row a
//! value belongs to (the tenant and the user, or the superuser), so a sealed
//! value copied into another row — or a stolen database without the key —
//! opens nothing.
//!
//! The sealed text is `v1:` and the hex of a fresh 12-byte nonce followed by
//! the ciphertext and its tag. A text without the prefix is a value written
//! before sealing existed: the stores still read it (and seal it when they
//! next write it; `tenantry migrate` seals them all).

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use secrecy::{ExposeSecret, SecretBox, SecretString};

/// The prefix of a sealed value.
pub const SEALED_PREFIX: &str = "v1:";

/// The platform's data key: 32 bytes. Never printed (Debug shows a fingerprint).
#[derive(Clone)]
pub struct DataKey(std::sync::Arc<SecretBox<[u8; 32]>>);

impl std::fmt::Debug for DataKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use sha2::Digest;
        let digest =
            sha2::Sha256::new().chain_update(b"tenantry-data-key\0").chain_update(self.0.expose_secret()).finalize();
        write!(f, "DataKey({})", hex::encode(&digest[..8]))
    }
}

/// Why a key text was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a data key is 64 hexadecimal characters (32 bytes; e.g. `openssl rand -hex 32`)")]
pub struct DataKeyError;

/// Why a sealed value did not open (another key, another row, or damaged).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    /// Not a sealed value of this format.
    #[error("not a sealed value")]
    Malformed,
    /// The key or the row is not the one it was sealed under, or it was changed.
    #[error("the sealed value does not open with this key for this row")]
    WrongKeyOrRow,
    /// No randomness for a nonce.
    #[error("no randomness for a nonce")]
    NoRandomness,
}

impl DataKey {
    /// A key from its 32 bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(std::sync::Arc::new(SecretBox::new(Box::new(bytes))))
    }

    /// Reads 64 hex characters.
    pub fn from_hex(text: &SecretString) -> Result<Self, DataKeyError> {
        let bytes = SecretBox::new(Box::new(hex::decode(text.expose_secret().trim()).map_err(|_| DataKeyError)?));
        let arr: [u8; 32] = bytes.expose_secret().as_slice().try_into().map_err(|_| DataKeyError)?;
        Ok(Self::from_bytes(arr))
    }

    /// A random key (the embedded default, whose data ends with the process).
    pub fn random() -> Result<Self, SealError> {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).map_err(|_| SealError::NoRandomness)?;
        Ok(Self::from_bytes(bytes))
    }

    fn cipher(&self) -> Aes256Gcm {
        Aes256Gcm::new(self.0.expose_secret().into())
    }

    /// Seals `plain` for the row `aad` names.
    pub fn seal(&self, plain: &[u8], aad: &[u8]) -> Result<String, SealError> {
        let mut nonce = [0u8; 12];
        getrandom::fill(&mut nonce).map_err(|_| SealError::NoRandomness)?;
        let sealed = self
            .cipher()
            .encrypt(&Nonce::from(nonce), Payload { msg: plain, aad })
            .map_err(|_| SealError::Malformed)?;
        let mut out = Vec::with_capacity(12 + sealed.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        Ok(format!("{SEALED_PREFIX}{}", hex::encode(out)))
    }

    /// Opens a value sealed for the row `aad` names.
    pub fn open(&self, sealed: &str, aad: &[u8]) -> Result<SecretBox<Vec<u8>>, SealError> {
        let hex_text = sealed.strip_prefix(SEALED_PREFIX).ok_or(SealError::Malformed)?;
        let bytes = hex::decode(hex_text).map_err(|_| SealError::Malformed)?;
        if bytes.len() < 12 + 16 {
            return Err(SealError::Malformed);
        }
        let (nonce, ciphertext) = bytes.split_at(12);
        let nonce: [u8; 12] = nonce.try_into().map_err(|_| SealError::Malformed)?;
        let plain = self
            .cipher()
            .decrypt(&Nonce::from(nonce), Payload { msg: ciphertext, aad })
            .map_err(|_| SealError::WrongKeyOrRow)?;
        Ok(SecretBox::new(Box::new(plain)))
    }

    /// Whether `text` is a sealed value (else: one written before sealing).
    pub fn is_sealed(text: &str) -> bool {
        text.starts_with(SEALED_PREFIX)
    }
}

/// The associated data of a tenant user's TOTP secret.
pub fn user_totp_aad(tenant: tenantry_domain::TenantId, user: tenantry_domain::UserId) -> Vec<u8> {
    format!("tenantry:totp:user:{tenant}:{user}").into_bytes()
}

/// The associated data of the link token an outbox mail carries until it is sent.
pub fn mail_token_aad(tenant: tenantry_domain::TenantId, mail: tenantry_domain::MailId) -> Vec<u8> {
    format!("tenantry:mail-token:{tenant}:{mail}").into_bytes()
}

/// The associated data of a superuser's TOTP secret.
pub fn superuser_totp_aad(superuser: tenantry_domain::PlatformUserId) -> Vec<u8> {
    format!("tenantry:totp:superuser:{superuser}").into_bytes()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // test code
mod tests {
    use super::*;

    #[test]
    fn a_sealed_value_opens_only_with_its_key_for_its_row() {
        let key = DataKey::from_bytes([7; 32]);
        let sealed = key.seal(b"JBSWY3DPEHPK3PXP", b"row a").unwrap();
        assert!(DataKey::is_sealed(&sealed) && !sealed.contains("JBSWY3DPEHPK3PXP"));
        assert_eq!(key.open(&sealed, b"row a").unwrap().expose_secret().as_slice(), b"JBSWY3DPEHPK3PXP");
        assert_eq!(key.open(&sealed, b"row b").err(), Some(SealError::WrongKeyOrRow), "another row");
        assert_eq!(DataKey::from_bytes([8; 32]).open(&sealed, b"row a").err(), Some(SealError::WrongKeyOrRow));
        let mut tampered = sealed.clone();
        tampered.pop();
        tampered.push(if sealed.ends_with('0') { '1' } else { '0' });
        assert_eq!(key.open(&tampered, b"row a").err(), Some(SealError::WrongKeyOrRow));
        assert_eq!(key.open("JBSWY3DPEHPK3PXP", b"row a").err(), Some(SealError::Malformed));
        assert_ne!(key.seal(b"x", b"r").unwrap(), key.seal(b"x", b"r").unwrap(), "a fresh nonce each time");
        assert!(!format!("{key:?}").contains("0707"), "{key:?}");
    }

    #[test]
    fn a_key_is_64_hex_characters() {
        assert!(DataKey::from_hex(&SecretString::from("ab".repeat(32))).is_ok());
        assert_eq!(DataKey::from_hex(&SecretString::from("ab".repeat(31))).err(), Some(DataKeyError));
        assert_eq!(DataKey::from_hex(&SecretString::from("zz".repeat(32))).err(), Some(DataKeyError));
    }
}

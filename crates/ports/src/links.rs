//! Signed, single-purpose links that work without signing in (issue 20): the
//! unsubscribe link of a product update. The token names the tenant and the
//! user and what it may do — nothing else — and carries an HMAC-SHA256 of
//! that under the platform's link key, so that no one can make one for
//! another person, nor turn one into anything else: it only ever switches its
//! own user's product updates off (which is why it needs no expiry).
//!
//! Form: `u1.` + base64url(tenant id ‖ user id) + `.` + base64url(tag), the tag
//! computed over `tenantry:unsubscribe:v1` ‖ the 32 id bytes.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{KeyInit, Mac};
use secrecy::{ExposeSecret, SecretBox, SecretString};
use tenantry_domain::{EntityId, TenantId, UserId};

type HmacSha256 = hmac::Hmac<sha2::Sha256>;

/// The platform's key for signed links: 32 bytes, never printed. The binary
/// derives it from `TENANTRY_JWT_SECRET` (so every instance shares it); the
/// embedded default draws a random one (its links end with the process).
#[derive(Clone)]
pub struct LinkKey(std::sync::Arc<SecretBox<[u8; 32]>>);

impl std::fmt::Debug for LinkKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LinkKey([redacted])")
    }
}

impl LinkKey {
    /// A key from its 32 bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(std::sync::Arc::new(SecretBox::new(Box::new(bytes))))
    }

    /// A key derived from another secret (HMAC-SHA256 of a fixed label under
    /// it): the link key never equals the secret it comes from.
    pub fn derived_from(secret: &[u8]) -> Self {
        use sha2::Digest;
        // HMAC takes a key of any length (`new_from_slice` never refuses one);
        // should it ever, the label is hashed with the secret instead.
        let mut bytes = [0u8; 32];
        match <HmacSha256 as KeyInit>::new_from_slice(secret) {
            Ok(mut mac) => {
                mac.update(b"tenantry:link-key:v1");
                bytes.copy_from_slice(&mac.finalize().into_bytes());
            }
            Err(_) => {
                bytes.copy_from_slice(
                    &sha2::Sha256::new().chain_update(b"tenantry:link-key:v1\0").chain_update(secret).finalize(),
                );
            }
        }
        Self::from_bytes(bytes)
    }

    /// A key from a fresh secret (the embedded default's).
    pub fn from_secret(secret: &SecretString) -> Self {
        Self::derived_from(secret.expose_secret().as_bytes())
    }

    /// A keyed pseudonym of `value` (hex HMAC-SHA256 under this key and a
    /// label): the same value gives the same pseudonym under the same key, so
    /// a log can be searched for an address without holding it, and a
    /// dictionary cannot reverse it without the key. `None` only if HMAC
    /// refused the key.
    pub fn pseudonym(&self, value: &str) -> Option<String> {
        let mut mac = <HmacSha256 as KeyInit>::new_from_slice(self.0.expose_secret()).ok()?;
        mac.update(b"tenantry:pseudonym:v1\0");
        mac.update(value.as_bytes());
        Some(hex::encode(mac.finalize().into_bytes()))
    }

    fn mac(&self) -> Option<HmacSha256> {
        let mut mac = <HmacSha256 as KeyInit>::new_from_slice(self.0.expose_secret()).ok()?;
        mac.update(b"tenantry:unsubscribe:v1");
        Some(mac)
    }

    /// The unsubscribe token of one user (a secret of sorts: it is mailed only
    /// to that user; never logged). `None` only if HMAC refused the key, which
    /// a 32-byte key never is.
    pub fn unsubscribe_token(&self, tenant: TenantId, user: UserId) -> Option<SecretString> {
        let mut ids = [0u8; 32];
        ids[..16].copy_from_slice(tenant.as_uuid().as_bytes());
        ids[16..].copy_from_slice(user.as_uuid().as_bytes());
        let mut mac = self.mac()?;
        mac.update(&ids);
        let tag = mac.finalize().into_bytes();
        Some(SecretString::from(format!("u1.{}.{}", URL_SAFE_NO_PAD.encode(ids), URL_SAFE_NO_PAD.encode(tag))))
    }

    /// The tenant and user an unsubscribe token names, if this key signed it.
    pub fn open_unsubscribe(&self, token: &str) -> Option<(TenantId, UserId)> {
        let mut parts = token.trim().split('.');
        let (Some("u1"), Some(ids), Some(tag), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
            return None;
        };
        let ids = URL_SAFE_NO_PAD.decode(ids).ok()?;
        let tag = URL_SAFE_NO_PAD.decode(tag).ok()?;
        if ids.len() != 32 {
            return None;
        }
        let mut mac = self.mac()?;
        mac.update(&ids);
        mac.verify_slice(&tag).ok()?; // constant time
        let tenant = TenantId::from_uuid(uuid::Uuid::from_slice(&ids[..16]).ok()?).ok()?;
        let user = UserId::from_uuid(uuid::Uuid::from_slice(&ids[16..]).ok()?).ok()?;
        Some((tenant, user))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // test code
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ids(a: u128, b: u128) -> (TenantId, UserId) {
        let v7 = |n: u128| uuid::Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0000 | (n & 0xffff_ffff_ffff));
        (TenantId::from_uuid(v7(a)).unwrap(), UserId::from_uuid(v7(b)).unwrap())
    }

    #[test]
    fn a_token_opens_to_its_own_tenant_and_user_under_its_key_only() {
        let key = LinkKey::from_bytes([7; 32]);
        let (t, u) = ids(1, 2);
        let token = key.unsubscribe_token(t, u).unwrap();
        assert_eq!(key.open_unsubscribe(token.expose_secret()), Some((t, u)));
        assert_eq!(LinkKey::from_bytes([8; 32]).open_unsubscribe(token.expose_secret()), None);
        assert!(!format!("{key:?}").contains('7'));
    }

    #[test]
    fn the_derived_key_differs_from_its_secret_and_is_stable() {
        let a = LinkKey::derived_from(&[1; 32]);
        let b = LinkKey::derived_from(&[1; 32]);
        let (t, u) = ids(3, 4);
        assert_eq!(
            a.unsubscribe_token(t, u).unwrap().expose_secret(),
            b.unsubscribe_token(t, u).unwrap().expose_secret()
        );
        assert_ne!(a.0.expose_secret(), &[1; 32]);
    }

    proptest! {
        /// Swapping in another tenant's or user's ids, or changing any
        /// character, makes a token open nothing (or, for a change the
        /// encoding ignores, the same ids).
        #[test]
        fn a_changed_token_opens_nothing_else(a in 1u128..1000, b in 1u128..1000, c in 1u128..1000, at in 0usize..200, ch in "[A-Za-z0-9_.-]") {
            let key = LinkKey::from_bytes([9; 32]);
            let (t, u) = ids(a, b);
            let token = key.unsubscribe_token(t, u).unwrap().expose_secret().to_owned();
            let (other_t, _) = ids(c, b);
            let forged = key.unsubscribe_token(other_t, u).unwrap().expose_secret().to_owned();
            // The other tenant's ids with this token's tag.
            let spliced = format!("{}.{}", forged.rsplit_once('.').unwrap().0, token.rsplit_once('.').unwrap().1);
            if other_t != t {
                prop_assert_eq!(key.open_unsubscribe(&spliced), None);
            }
            let mut changed: Vec<char> = token.chars().collect();
            let i = at % changed.len();
            changed[i] = ch.chars().next().unwrap();
            let changed: String = changed.into_iter().collect();
            let opened = key.open_unsubscribe(&changed);
            prop_assert!(opened.is_none() || opened == Some((t, u)), "{changed} opened {opened:?}");
        }
    }
}

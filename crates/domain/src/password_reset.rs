//! Password reset by mail (DESIGN.md "Account security"): a link that works
//! once, for one hour. Only the hash of its secret is stored.

use crate::ids::{ResetId, TenantId, UserId};
use crate::token::TokenHash;
use chrono::{DateTime, Duration, Utc};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};

/// How long a reset link works.
pub const RESET_VALIDITY_MINUTES: i64 = 60;

/// Why a reset link was refused (nothing changed).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ResetError {
    /// Not this link's secret, or no such link.
    #[error("the reset link is not valid")]
    Invalid,
    /// Older than an hour.
    #[error("the reset link expired; ask for a new one")]
    Expired,
    /// Used already.
    #[error("the reset link was used already; ask for a new one")]
    Used,
}

/// One reset link.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordReset {
    /// Its id (in the link).
    pub id: ResetId,
    /// The tenant.
    pub tenant_id: TenantId,
    /// Whose password.
    pub user_id: UserId,
    /// The hash of the link's secret.
    pub token_hash: TokenHash,
    /// When it was asked for.
    pub created_at: DateTime<Utc>,
    /// It works until then.
    pub expires_at: DateTime<Utc>,
    /// When it was used.
    pub used_at: Option<DateTime<Utc>>,
}

impl PasswordReset {
    /// A new link for `user`, working for [`RESET_VALIDITY_MINUTES`].
    pub fn new(id: ResetId, tenant_id: TenantId, user_id: UserId, secret: &SecretString, now: DateTime<Utc>) -> Self {
        PasswordReset {
            id,
            tenant_id,
            user_id,
            token_hash: TokenHash::of(secret),
            created_at: now,
            expires_at: now + Duration::minutes(RESET_VALIDITY_MINUTES),
            used_at: None,
        }
    }

    /// Checks the link without using it.
    pub fn check(&self, secret: &SecretString, now: DateTime<Utc>) -> Result<(), ResetError> {
        if !self.token_hash.matches(secret) {
            return Err(ResetError::Invalid);
        }
        if self.used_at.is_some() {
            return Err(ResetError::Used);
        }
        if now >= self.expires_at {
            return Err(ResetError::Expired);
        }
        Ok(())
    }

    /// Uses the link (once).
    pub fn redeem(&mut self, secret: &SecretString, now: DateTime<Utc>) -> Result<(), ResetError> {
        self.check(secret, now)?;
        self.used_at = Some(now);
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // test code
mod tests {
    use super::*;
    use crate::ids::{EntityId, uuid_v7_from_parts};

    #[test]
    fn a_link_works_once_for_one_hour_and_only_with_its_secret() {
        let now = DateTime::from_timestamp(1_790_000_000, 0).unwrap();
        let secret = SecretString::from("s".repeat(43));
        let reset = PasswordReset::new(
            ResetId::from_uuid(uuid_v7_from_parts(1, [1; 10])).unwrap(),
            TenantId::from_uuid(uuid_v7_from_parts(1, [2; 10])).unwrap(),
            UserId::from_uuid(uuid_v7_from_parts(1, [3; 10])).unwrap(),
            &secret,
            now,
        );
        let wrong = SecretString::from("t".repeat(43));
        assert_eq!(reset.clone().redeem(&wrong, now), Err(ResetError::Invalid));
        assert_eq!(reset.clone().redeem(&secret, now + Duration::minutes(60)), Err(ResetError::Expired));
        let mut used = reset.clone();
        used.redeem(&secret, now + Duration::minutes(59)).unwrap();
        assert_eq!(used.redeem(&secret, now + Duration::minutes(59)), Err(ResetError::Used));
        assert_eq!(reset.check(&secret, now), Ok(()));
    }
}

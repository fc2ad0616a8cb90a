//! One-time account links sent by mail (DESIGN.md "Account security"): a
//! password reset (works once, for one hour), an e-mail verification (once,
//! for seven days) and an e-mail change (once, for a day, sent to the new
//! address it carries). Only the hash of a link's secret is stored.

use crate::ids::{ResetId, TenantId, UserId};
use crate::token::TokenHash;
use chrono::{DateTime, Duration, Utc};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};

/// How long a reset link works.
pub const RESET_VALIDITY_MINUTES: i64 = 60;
/// How long a verification link works.
pub const VERIFICATION_VALIDITY_DAYS: i64 = 7;
/// How long an e-mail change link works.
pub const EMAIL_CHANGE_VALIDITY_HOURS: i64 = 24;
/// Days an expired link is kept (to tell "expired" from "unknown" in the
/// answer to a late click) before the daily housekeeping deletes it.
pub const LINK_RETENTION_DAYS: i64 = 7;

/// What a link is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkPurpose {
    /// Set a new password.
    PasswordReset,
    /// Prove the address.
    EmailVerification,
    /// Move the account to the new address the link carries (and reached).
    EmailChange,
}

impl LinkPurpose {
    /// The stored text.
    pub fn as_str(self) -> &'static str {
        match self {
            LinkPurpose::PasswordReset => "password_reset",
            LinkPurpose::EmailVerification => "email_verification",
            LinkPurpose::EmailChange => "email_change",
        }
    }

    /// Reads the stored text.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "password_reset" => Some(LinkPurpose::PasswordReset),
            "email_verification" => Some(LinkPurpose::EmailVerification),
            "email_change" => Some(LinkPurpose::EmailChange),
            _ => None,
        }
    }
}

/// Why a reset link was refused (nothing changed).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ResetError {
    /// Not this link's secret, or no such link.
    #[error("the link is not valid")]
    Invalid,
    /// Older than an hour.
    #[error("the link expired; ask for a new one")]
    Expired,
    /// Used already.
    #[error("the link was used already; ask for a new one")]
    Used,
}

/// One link.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordReset {
    /// Its id (in the link).
    pub id: ResetId,
    /// What it is for.
    pub purpose: LinkPurpose,
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
    /// The address an e-mail change link moves the account to; `None` for the others.
    #[serde(default)]
    pub new_email: Option<crate::Email>,
}

impl PasswordReset {
    /// A new reset link for `user`, working for [`RESET_VALIDITY_MINUTES`].
    pub fn new(id: ResetId, tenant_id: TenantId, user_id: UserId, secret: &SecretString, now: DateTime<Utc>) -> Self {
        PasswordReset {
            id,
            purpose: LinkPurpose::PasswordReset,
            tenant_id,
            user_id,
            token_hash: TokenHash::of(secret),
            created_at: now,
            expires_at: now + Duration::minutes(RESET_VALIDITY_MINUTES),
            used_at: None,
            new_email: None,
        }
    }

    /// A new verification link for `user`, working for [`VERIFICATION_VALIDITY_DAYS`].
    pub fn verification(
        id: ResetId,
        tenant_id: TenantId,
        user_id: UserId,
        secret: &SecretString,
        now: DateTime<Utc>,
    ) -> Self {
        PasswordReset {
            purpose: LinkPurpose::EmailVerification,
            expires_at: now + Duration::days(VERIFICATION_VALIDITY_DAYS),
            ..Self::new(id, tenant_id, user_id, secret, now)
        }
    }

    /// A new e-mail change link for `user` to `new_email`, working for
    /// [`EMAIL_CHANGE_VALIDITY_HOURS`].
    pub fn email_change(
        id: ResetId,
        tenant_id: TenantId,
        user_id: UserId,
        new_email: crate::Email,
        secret: &SecretString,
        now: DateTime<Utc>,
    ) -> Self {
        PasswordReset {
            purpose: LinkPurpose::EmailChange,
            expires_at: now + Duration::hours(EMAIL_CHANGE_VALIDITY_HOURS),
            new_email: Some(new_email),
            ..Self::new(id, tenant_id, user_id, secret, now)
        }
    }

    /// Checks the link without using it.
    pub fn check(&self, secret: &SecretString, now: DateTime<Utc>) -> Result<(), ResetError> {
        self.check_for(self.purpose, secret, now)
    }

    /// Checks the link for `purpose` (a link of another purpose is invalid).
    pub fn check_for(&self, purpose: LinkPurpose, secret: &SecretString, now: DateTime<Utc>) -> Result<(), ResetError> {
        if purpose != self.purpose || !self.token_hash.matches(secret) {
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

    /// Uses the link for `purpose` (once).
    pub fn redeem(
        &mut self,
        purpose: LinkPurpose,
        secret: &SecretString,
        now: DateTime<Utc>,
    ) -> Result<(), ResetError> {
        self.check_for(purpose, secret, now)?;
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
        let p = LinkPurpose::PasswordReset;
        assert_eq!(reset.clone().redeem(p, &wrong, now), Err(ResetError::Invalid));
        assert_eq!(reset.clone().redeem(p, &secret, now + Duration::minutes(60)), Err(ResetError::Expired));
        let mut used = reset.clone();
        used.redeem(p, &secret, now + Duration::minutes(59)).unwrap();
        assert_eq!(used.redeem(p, &secret, now + Duration::minutes(59)), Err(ResetError::Used));
        assert_eq!(reset.check(&secret, now), Ok(()));
        assert_eq!(reset.check_for(LinkPurpose::EmailVerification, &secret, now), Err(ResetError::Invalid));
        let verify = PasswordReset::verification(reset.id, reset.tenant_id, reset.user_id, &secret, now);
        assert_eq!(
            verify.check_for(LinkPurpose::EmailVerification, &secret, now + Duration::days(7) - Duration::seconds(1)),
            Ok(())
        );
        assert_eq!(
            verify.check_for(LinkPurpose::EmailVerification, &secret, now + Duration::days(7)),
            Err(ResetError::Expired)
        );
        assert_eq!(verify.check_for(LinkPurpose::PasswordReset, &secret, now), Err(ResetError::Invalid));
        let to = crate::Email::parse("new@example.com").unwrap();
        let change = PasswordReset::email_change(reset.id, reset.tenant_id, reset.user_id, to.clone(), &secret, now);
        assert_eq!(change.new_email, Some(to));
        let change_purpose = LinkPurpose::EmailChange;
        assert_eq!(change.check_for(change_purpose, &secret, now + Duration::hours(24) - Duration::seconds(1)), Ok(()));
        assert_eq!(change.check_for(change_purpose, &secret, now + Duration::hours(24)), Err(ResetError::Expired));
        assert_eq!(change.check_for(LinkPurpose::EmailVerification, &secret, now), Err(ResetError::Invalid));
        assert_eq!(LinkPurpose::parse(change_purpose.as_str()), Some(change_purpose));
    }
}

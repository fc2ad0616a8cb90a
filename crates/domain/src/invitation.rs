//! Invitations (DESIGN.md "Seats", issue: 7 days by default, single use,
//! revocable): a pending invitation occupies a seat until it is accepted,
//! revoked or expires.

use crate::email::Email;
use crate::ids::{InvitationId, TenantId, UserId};
use crate::rbac::RoleRef;
use crate::time::saturating_add;
use crate::token::TokenHash;
use chrono::{DateTime, Duration, Utc};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};

/// Why an invitation cannot be used or changed as asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvitationError {
    /// Past its expiry.
    #[error("the invitation expired at {0}; ask for a new one")]
    Expired(DateTime<Utc>),
    /// Already accepted (single use).
    #[error("the invitation has already been used")]
    AlreadyAccepted,
    /// Revoked by an admin or a downgrade.
    #[error("the invitation has been revoked")]
    Revoked,
    /// The secret does not match (an old link after a resend, or a forged one).
    #[error("the invitation link is not valid")]
    InvalidToken,
}

/// Why an invitation was revoked.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RevokeReason {
    /// An admin revoked it.
    Admin,
    /// A downgrade to freemium needed the seat.
    Downgrade,
    /// The superuser restored the tenant from a backup: its links are void.
    Restore,
}

/// Where an invitation stands.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum InvitationStatus {
    /// Waiting (unless expired: see [`Invitation::is_pending`]).
    Pending,
    /// Turned into a user.
    Accepted {
        /// When.
        at: DateTime<Utc>,
        /// The user it became.
        user_id: UserId,
    },
    /// Withdrawn.
    Revoked {
        /// When.
        at: DateTime<Utc>,
        /// Why.
        reason: RevokeReason,
    },
}

/// An invitation to join one tenant with one role.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Invitation {
    /// Every field, private: read through the accessors, changed by the transitions.
    r: InvitationRecord,
}

/// Invitation as a store keeps it: every field, for [`Invitation::restore`] and
/// [`Invitation::record`]. Changes go through [`Invitation`]'s transitions.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct InvitationRecord {
    /// Its id (also part of the token).
    pub id: InvitationId,
    /// The tenant invited to.
    pub tenant_id: TenantId,
    /// Who is invited.
    pub email: Email,
    /// The role they will have.
    pub role: RoleRef,
    /// Hash of the secret in the link; the secret itself is never stored.
    pub token_hash: TokenHash,
    /// The user who invited (None for the superuser or the system).
    pub invited_by: Option<UserId>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When the current link stops working.
    pub expires_at: DateTime<Utc>,
    /// State.
    pub status: InvitationStatus,
    /// How many times the link was sent (1 + resends).
    pub sent_count: u32,
}

/// Reading: one accessor per field (the fields are private, so that every change is a transition).
impl Invitation {
    /// Its id (also part of the token).
    pub fn id(&self) -> InvitationId {
        self.r.id
    }
    /// The tenant invited to.
    pub fn tenant_id(&self) -> TenantId {
        self.r.tenant_id
    }
    /// Who is invited.
    pub fn email(&self) -> &Email {
        &self.r.email
    }
    /// The role they will have.
    pub fn role(&self) -> RoleRef {
        self.r.role
    }
    /// Hash of the secret in the link; the secret itself is never stored.
    pub fn token_hash(&self) -> &TokenHash {
        &self.r.token_hash
    }
    /// The user who invited (None for the superuser or the system).
    pub fn invited_by(&self) -> Option<UserId> {
        self.r.invited_by
    }
    /// When it was created.
    pub fn created_at(&self) -> DateTime<Utc> {
        self.r.created_at
    }
    /// When the current link stops working.
    pub fn expires_at(&self) -> DateTime<Utc> {
        self.r.expires_at
    }
    /// State.
    pub fn status(&self) -> InvitationStatus {
        self.r.status
    }
    /// How many times the link was sent (1 + resends).
    pub fn sent_count(&self) -> u32 {
        self.r.sent_count
    }

    /// The invitation from what a store kept.
    pub fn restore(r: InvitationRecord) -> Self {
        Self { r }
    }

    /// What a store keeps of it.
    pub fn record(&self) -> InvitationRecord {
        self.r.clone()
    }
}

impl Invitation {
    /// A new pending invitation valid for `valid_days`.
    #[allow(clippy::too_many_arguments)]
    pub fn issue(
        id: InvitationId,
        tenant_id: TenantId,
        email: Email,
        role: RoleRef,
        token_hash: TokenHash,
        invited_by: Option<UserId>,
        now: DateTime<Utc>,
        valid_days: u32,
    ) -> Self {
        Self {
            r: InvitationRecord {
                id,
                tenant_id,
                email,
                role,
                token_hash,
                invited_by,
                created_at: now,
                expires_at: saturating_add(now, Duration::days(i64::from(valid_days))),
                status: InvitationStatus::Pending,
                sent_count: 1,
            },
        }
    }

    /// Pending and not expired at `now`: it occupies a seat.
    pub fn is_pending(&self, now: DateTime<Utc>) -> bool {
        self.r.status == InvitationStatus::Pending && now < self.r.expires_at
    }

    /// Checks that the token's secret may accept this invitation at `now`.
    pub fn check_acceptable(&self, secret: &SecretString, now: DateTime<Utc>) -> Result<(), InvitationError> {
        if !self.r.token_hash.matches(secret) {
            return Err(InvitationError::InvalidToken);
        }
        match self.r.status {
            InvitationStatus::Accepted { .. } => Err(InvitationError::AlreadyAccepted),
            InvitationStatus::Revoked { .. } => Err(InvitationError::Revoked),
            InvitationStatus::Pending if now >= self.r.expires_at => Err(InvitationError::Expired(self.r.expires_at)),
            InvitationStatus::Pending => Ok(()),
        }
    }

    /// Marks it accepted by `user_id`.
    pub fn accept(
        &mut self,
        secret: &SecretString,
        user_id: UserId,
        now: DateTime<Utc>,
    ) -> Result<(), InvitationError> {
        self.check_acceptable(secret, now)?;
        self.r.status = InvitationStatus::Accepted { at: now, user_id };
        Ok(())
    }

    /// Revokes a pending (or expired, still unused) invitation.
    pub fn revoke(&mut self, now: DateTime<Utc>, reason: RevokeReason) -> Result<(), InvitationError> {
        match self.r.status {
            InvitationStatus::Accepted { .. } => Err(InvitationError::AlreadyAccepted),
            InvitationStatus::Revoked { .. } => Err(InvitationError::Revoked),
            InvitationStatus::Pending => {
                self.r.status = InvitationStatus::Revoked { at: now, reason };
                Ok(())
            }
        }
    }

    /// GDPR erasure of the person invited: the address becomes their pseudonym.
    pub fn erase_email(&mut self, pseudonym: Email) {
        self.r.email = pseudonym;
    }

    /// Replaces the link (new secret, new expiry); the old link stops working.
    pub fn resend(
        &mut self,
        token_hash: TokenHash,
        now: DateTime<Utc>,
        valid_days: u32,
    ) -> Result<(), InvitationError> {
        match self.r.status {
            InvitationStatus::Accepted { .. } => Err(InvitationError::AlreadyAccepted),
            InvitationStatus::Revoked { .. } => Err(InvitationError::Revoked),
            InvitationStatus::Pending => {
                self.r.token_hash = token_hash;
                self.r.expires_at = saturating_add(now, Duration::days(i64::from(valid_days)));
                self.r.sent_count = self.r.sent_count.saturating_add(1);
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{EntityId, uuid_v7_from_parts};
    use crate::rbac::BuiltinRole;
    use chrono::TimeZone;

    fn secret(c: char) -> SecretString {
        SecretString::from(c.to_string().repeat(64))
    }

    fn invitation() -> Invitation {
        Invitation::issue(
            InvitationId::from_uuid(uuid_v7_from_parts(1, [1; 10])).unwrap(),
            TenantId::from_uuid(uuid_v7_from_parts(1, [2; 10])).unwrap(),
            Email::parse("new@example.com").unwrap(),
            RoleRef::Builtin(BuiltinRole::Member),
            TokenHash::of(&secret('a')),
            None,
            Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap(),
            7,
        )
    }

    #[test]
    fn an_invitation_is_single_use() {
        let mut inv = invitation();
        let user = UserId::from_uuid(uuid_v7_from_parts(2, [3; 10])).unwrap();
        inv.accept(&secret('a'), user, inv.r.created_at).unwrap();
        assert_eq!(inv.accept(&secret('a'), user, inv.r.created_at), Err(InvitationError::AlreadyAccepted));
        assert!(!inv.is_pending(inv.r.created_at));
    }

    #[test]
    fn an_invitation_expires_after_seven_days() {
        let inv = invitation();
        let almost = inv.r.created_at + Duration::days(7) - Duration::seconds(1);
        assert!(inv.is_pending(almost));
        assert!(inv.check_acceptable(&secret('a'), almost).is_ok());
        let expired = inv.r.created_at + Duration::days(7);
        assert!(!inv.is_pending(expired));
        assert_eq!(inv.check_acceptable(&secret('a'), expired), Err(InvitationError::Expired(expired)));
    }

    #[test]
    fn a_resend_replaces_the_link_and_a_wrong_secret_is_refused() {
        let mut inv = invitation();
        let later = inv.r.created_at + Duration::days(6);
        inv.resend(TokenHash::of(&secret('b')), later, 7).unwrap();
        assert_eq!(inv.check_acceptable(&secret('a'), later), Err(InvitationError::InvalidToken));
        assert!(inv.check_acceptable(&secret('b'), later + Duration::days(6)).is_ok());
        assert_eq!(inv.r.sent_count, 2);
    }

    #[test]
    fn a_revoked_invitation_cannot_be_accepted_resent_or_revoked_again() {
        let mut inv = invitation();
        inv.revoke(inv.r.created_at, RevokeReason::Admin).unwrap();
        assert_eq!(inv.check_acceptable(&secret('a'), inv.r.created_at), Err(InvitationError::Revoked));
        assert_eq!(inv.revoke(inv.r.created_at, RevokeReason::Admin), Err(InvitationError::Revoked));
        assert_eq!(inv.resend(TokenHash::of(&secret('b')), inv.r.created_at, 7), Err(InvitationError::Revoked));
    }
}

//! The seat rule of a downgrade to freemium (DESIGN.md "Seats"): pending
//! invitations beyond the limit are revoked and users beyond it deactivated
//! newest-first, never the owner — reversibly, so an admin can reactivate within
//! the new seats or after upgrading again.

use crate::ids::{InvitationId, UserId};
use crate::invitation::Invitation;
use crate::user::User;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// What a downgrade must change to fit `limit` seats.
#[derive(Clone, PartialEq, Eq, Debug, Default, Serialize, Deserialize)]
pub struct DowngradePlan {
    /// Invitations to revoke.
    pub revoke: Vec<InvitationId>,
    /// Users to deactivate (reason: downgrade).
    pub deactivate: Vec<UserId>,
}

impl DowngradePlan {
    /// Whether nothing needs to change.
    pub fn is_empty(&self) -> bool {
        self.revoke.is_empty() && self.deactivate.is_empty()
    }
}

/// Chooses what to revoke and deactivate so that used seats fit `limit`.
///
/// Active users keep their seats before pending invitations do: the owner
/// first, then the other users oldest-first; invitations fill what is left,
/// oldest-first. Everything beyond is revoked or deactivated — so the newest
/// users go first and the owner never does.
pub fn plan_downgrade(users: &[User], invitations: &[Invitation], now: DateTime<Utc>, limit: u32) -> DowngradePlan {
    let mut active: Vec<&User> = users.iter().filter(|u| u.is_active()).collect();
    active.sort_by_key(|u| (!u.is_owner(), u.created_at(), u.id()));
    let mut pending: Vec<&Invitation> = invitations.iter().filter(|i| i.is_pending(now)).collect();
    pending.sort_by_key(|i| (i.created_at(), i.id()));

    let limit = usize::try_from(limit).unwrap_or(usize::MAX).max(1);
    let deactivate: Vec<UserId> = active.iter().skip(limit).filter(|u| !u.is_owner()).map(|u| u.id()).collect();
    let kept_users = active.len().min(limit);
    let room = limit.saturating_sub(kept_users);
    let revoke = pending.iter().skip(room).map(|i| i.id()).collect();
    DowngradePlan { revoke, deactivate }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::email::Email;
    use crate::ids::{EntityId, TenantId, uuid_v7_from_parts};
    use crate::password::PasswordHash;
    use crate::rbac::{BuiltinRole, RoleRef};
    use crate::text::PersonName;
    use crate::token::TokenHash;
    use chrono::{Duration, TimeZone};
    use secrecy::SecretString;

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap()
    }
    fn tenant() -> TenantId {
        TenantId::from_uuid(uuid_v7_from_parts(1, [0; 10])).unwrap()
    }
    fn user(n: u8, role: RoleRef) -> User {
        User::new(
            UserId::from_uuid(uuid_v7_from_parts(u64::from(n), [n; 10])).unwrap(),
            tenant(),
            Email::parse(&format!("u{n}@example.com")).unwrap(),
            PersonName::parse("U").unwrap(),
            role,
            PasswordHash::from_encoded(SecretString::from("h")),
            t0() + Duration::days(i64::from(n)),
        )
    }
    fn invitation(n: u8) -> Invitation {
        Invitation::issue(
            InvitationId::from_uuid(uuid_v7_from_parts(u64::from(n), [n; 10])).unwrap(),
            tenant(),
            Email::parse(&format!("i{n}@example.com")).unwrap(),
            RoleRef::Builtin(BuiltinRole::Member),
            TokenHash::of(&SecretString::from("x".repeat(64))),
            None,
            t0() + Duration::days(i64::from(n)),
            7,
        )
    }

    #[test]
    fn the_newest_users_go_first_and_the_owner_never() {
        // The owner joined last (ownership was transferred to the newest user).
        let users = vec![
            user(1, RoleRef::Builtin(BuiltinRole::Admin)),
            user(2, RoleRef::Builtin(BuiltinRole::Member)),
            user(3, RoleRef::Builtin(BuiltinRole::Member)),
            user(4, RoleRef::Builtin(BuiltinRole::Member)),
            user(5, RoleRef::OWNER),
        ];
        let plan = plan_downgrade(&users, &[], t0() + Duration::days(6), 3);
        assert_eq!(plan.deactivate, vec![users[2].id(), users[3].id()]);
        assert!(plan.revoke.is_empty());
    }

    #[test]
    fn invitations_are_revoked_before_users_lose_seats() {
        let users = vec![user(1, RoleRef::OWNER), user(2, RoleRef::Builtin(BuiltinRole::Member))];
        let invitations = vec![invitation(3), invitation(4)];
        let plan = plan_downgrade(&users, &invitations, t0() + Duration::days(5), 3);
        assert!(plan.deactivate.is_empty());
        assert_eq!(plan.revoke, vec![invitations[1].id()]);
    }

    #[test]
    fn nothing_changes_when_everything_fits() {
        let users = vec![user(1, RoleRef::OWNER)];
        assert!(plan_downgrade(&users, &[invitation(2)], t0() + Duration::days(3), 3).is_empty());
    }
}

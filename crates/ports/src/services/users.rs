//! Users of a tenant: list, change role, deactivate, reactivate, remove, and
//! ownership transfer. The owner can never be deactivated, removed or demoted.

use super::access::Attempt;
use super::invitations::InvitationError;
use super::views::UserView;
use super::{AccessError, Tenantry, infra_from_store};
use crate::error::InfraError;
use crate::scope::TenantScope;
use crate::store::{Access, Redaction};
use tenantry_domain::audit::AuditTarget;
use tenantry_domain::export::ExportStatus;
use tenantry_domain::rbac::{PermissionSet, RbacError, builtin};
use tenantry_domain::seats::{SeatLimitReached, ensure_room};
use tenantry_domain::user::{DeactivationReason, Erasure, UserRuleError, transfer_ownership};
use tenantry_domain::{AuditAction, AuditOutcome, RoleRef, User, UserId};

/// Why a user change was refused. Nothing changed.
#[derive(Debug, thiserror::Error)]
pub enum UserError {
    /// Unknown or malformed role.
    #[error(transparent)]
    InvalidRole(#[from] RbacError),
    /// The role cannot be given by this actor.
    #[error("this role cannot be given by you: {0}")]
    RoleNotGrantable(&'static str),
    /// The target holds permissions the actor lacks.
    #[error("this user has permissions you do not have")]
    TargetOutranks,
    /// An actor cannot deactivate or remove itself.
    #[error("you cannot deactivate or remove yourself")]
    SelfTarget,
    /// A rule about owners and states.
    #[error(transparent)]
    Rule(#[from] UserRuleError),
    /// No free seat to reactivate into.
    #[error(transparent)]
    SeatLimitReached(#[from] SeatLimitReached),
    /// Access.
    #[error(transparent)]
    Access(#[from] AccessError),
    /// Infrastructure.
    #[error(transparent)]
    Infra(#[from] InfraError),
}
infra_from_store!(UserError);

impl From<InvitationError> for UserError {
    fn from(e: InvitationError) -> Self {
        match e {
            InvitationError::InvalidRole(r) => UserError::InvalidRole(r),
            InvitationError::RoleNotGrantable(why) => UserError::RoleNotGrantable(why),
            InvitationError::Access(a) => UserError::Access(a),
            InvitationError::Infra(i) => UserError::Infra(i),
            other => UserError::Infra(InfraError::Unknown(anyhow::anyhow!("unexpected: {other}"))),
        }
    }
}

crate::problem!(UserError {
    UserError::InvalidRole(_) => ("invalid_role", Invalid),
    UserError::RoleNotGrantable(_) => ("role_not_grantable", Forbidden),
    UserError::TargetOutranks => ("target_outranks_you", Forbidden),
    UserError::SelfTarget => ("cannot_target_self", Conflict),
    UserError::Rule(UserRuleError::OwnerProtected) => ("owner_protected", Conflict),
    UserError::Rule(UserRuleError::OwnerByTransferOnly) => ("owner_by_transfer_only", Conflict),
    UserError::Rule(UserRuleError::InvalidNewOwner) => ("invalid_new_owner", Conflict),
    UserError::Rule(UserRuleError::NotOwner) => ("not_owner", Conflict),
    UserError::Rule(UserRuleError::AlreadyActive) => ("already_active", Conflict),
    UserError::Rule(UserRuleError::AlreadyDeactivated) => ("already_deactivated", Conflict),
    UserError::Rule(UserRuleError::SameRole) => ("same_role", Conflict),
    UserError::Rule(UserRuleError::Erased) => ("already_erased", Conflict),
    UserError::SeatLimitReached(_) => ("seat_limit_reached", Conflict),
    UserError::Access(e) => (via e),
    UserError::Infra(e) => (via e),
});

/// A change to one user (`PATCH /v1/tenants/{tid}/users/{uid}`).
#[derive(Debug, Clone, Default)]
pub struct UserPatch {
    /// New role.
    pub role: Option<String>,
    /// `Some(false)` deactivates, `Some(true)` reactivates.
    pub active: Option<bool>,
}

impl Tenantry {
    /// `GET /v1/tenants/{tid}/users`: every user of the tenant, oldest first.
    pub async fn list_users(&self, scope: &TenantScope) -> Result<Vec<UserView>, UserError> {
        self.require(scope, builtin::USERS_READ, Attempt::ReadUsers).await?;
        let mut tx = self.begin(scope, Access::Read).await?;
        Ok(tx.users().await?.iter().map(UserView::from).collect())
    }

    /// One user of the tenant.
    pub async fn get_user(&self, scope: &TenantScope, id: UserId) -> Result<UserView, UserError> {
        self.require(scope, builtin::USERS_READ, Attempt::ReadUsers).await?;
        let mut tx = self.begin(scope, Access::Read).await?;
        let user = tx.user(id).await?.ok_or(AccessError::NotFound)?;
        Ok(UserView::from(&user))
    }

    async fn target(
        &self,
        tx: &mut dyn crate::store::TenantTx,
        scope: &TenantScope,
        id: UserId,
    ) -> Result<User, UserError> {
        let user = tx.user(id).await?.ok_or(AccessError::NotFound)?;
        let perms = self.role_permissions(tx, user.role()).await?.unwrap_or(PermissionSet::EMPTY);
        if !Self::may_grant(scope, &perms) && !user.is_owner() {
            return Err(UserError::TargetOutranks);
        }
        Ok(user)
    }

    /// `PATCH /v1/tenants/{tid}/users/{uid}`: role and/or active state, in one unit of work.
    pub async fn update_user(&self, scope: &TenantScope, id: UserId, patch: UserPatch) -> Result<UserView, UserError> {
        self.require(scope, builtin::USERS_MANAGE, AuditAction::UserRoleChanged).await?;
        let role = patch.role.as_deref().map(RoleRef::parse).transpose()?;
        let now = self.now();
        let mut tx = self.begin(scope, Access::Write).await?;
        let mut user = self.target(tx.as_mut(), scope, id).await?;
        let mut events = Vec::new();
        if let Some(role) = role {
            self.check_grantable(tx.as_mut(), scope, role).await?;
            let from = user.role();
            user.change_role(role)?;
            events.push(
                self.event(scope, AuditAction::UserRoleChanged, Some(AuditTarget::User(id)), AuditOutcome::Success)?
                    .with("from", from)
                    .with("to", role),
            );
        }
        match patch.active {
            Some(false) => {
                if scope.actor().user_id() == Some(id) {
                    return Err(UserError::SelfTarget);
                }
                user.deactivate(now, DeactivationReason::Admin)?;
                events.push(self.event(
                    scope,
                    AuditAction::UserDeactivated,
                    Some(AuditTarget::User(id)),
                    AuditOutcome::Success,
                )?);
            }
            Some(true) => {
                let (usage, _, _) = self.seat_usage(tx.as_mut(), now).await?;
                let sub = self.subscription(tx.as_mut()).await?;
                user.reactivate()?;
                ensure_room(usage, self.seat_limit(tx.as_mut(), &sub).await?, 1)?;
                events.push(self.event(
                    scope,
                    AuditAction::UserReactivated,
                    Some(AuditTarget::User(id)),
                    AuditOutcome::Success,
                )?);
            }
            None => {}
        }
        if events.is_empty() {
            return Ok(UserView::from(&user));
        }
        tx.update_user(&user).await?;
        for e in &events {
            tx.append_audit(e).await?;
        }
        tx.commit().await?;
        if patch.active.is_some() {
            self.after_seat_change(scope).await;
        }
        Ok(UserView::from(&user))
    }

    /// Deactivates a user (never the owner); the seat is free at once.
    pub async fn deactivate_user(&self, scope: &TenantScope, id: UserId) -> Result<UserView, UserError> {
        self.update_user(scope, id, UserPatch { role: None, active: Some(false) }).await
    }

    /// Reactivates a user within the licensed seats.
    pub async fn reactivate_user(&self, scope: &TenantScope, id: UserId) -> Result<UserView, UserError> {
        self.update_user(scope, id, UserPatch { role: None, active: Some(true) }).await
    }

    /// Changes a user's role (never to or from owner).
    pub async fn change_role(&self, scope: &TenantScope, id: UserId, role: &str) -> Result<UserView, UserError> {
        self.update_user(scope, id, UserPatch { role: Some(role.to_owned()), active: None }).await
    }

    /// `DELETE /v1/tenants/{tid}/users/{uid}`: removes a user (never the owner).
    pub async fn remove_user(&self, scope: &TenantScope, id: UserId) -> Result<(), UserError> {
        self.require(scope, builtin::USERS_MANAGE, AuditAction::UserRemoved).await?;
        let mut tx = self.begin(scope, Access::Write).await?;
        let user = self.target(tx.as_mut(), scope, id).await?;
        user.ensure_removable()?;
        if scope.actor().user_id() == Some(id) {
            return Err(UserError::SelfTarget);
        }
        tx.delete_user(id).await?;
        let event = self
            .event(scope, AuditAction::UserRemoved, Some(AuditTarget::User(id)), AuditOutcome::Success)?
            .with("email", user.email());
        tx.append_audit(&event).await?;
        tx.commit().await?;
        self.after_seat_change(scope).await;
        Ok(())
    }

    /// `POST /v1/tenants/{tid}/users/{uid}/erase` (owner/admin): GDPR erasure
    /// (DESIGN.md "Data rights"). In one unit of work: the user's email and name
    /// are replaced by a pseudonym everywhere — the user row, the invitations
    /// sent to them, every audit event's details (events keep their
    /// pseudonymous actor id) — the account is deactivated for good (seat freed,
    /// sessions ended), finished exports are deleted (their archives held the
    /// data), and the erasure is recorded in the ledger a restore re-applies.
    /// Never the owner (transfer ownership first) nor oneself. Product tables
    /// hold ids, not people (docs/EMBEDDING.md).
    pub async fn erase_user(&self, scope: &TenantScope, id: UserId) -> Result<UserView, UserError> {
        self.require(scope, builtin::DATA_MANAGE, AuditAction::UserErased).await?;
        if scope.actor().user_id() == Some(id) {
            return Err(UserError::SelfTarget);
        }
        let now = self.now();
        {
            // The rules first (never the owner, not twice), so that the ledger below
            // records only an erasure that may happen.
            let mut tx = self.begin(scope, Access::Read).await?;
            self.target(tx.as_mut(), scope, id).await?.erase(now, self.deps.hasher.decoy())?;
        }
        // The tenant's ledger and the platform's copy are written in the unit of
        // work of the erasure (`ErasureStore::record_erasure`): both or neither.
        let erasure =
            Erasure { tenant_id: scope.tenant_id(), user_id: id, erased_at: now, erased_by: scope.actor().audit() };
        let mut tx = self.begin(scope, Access::Write).await?;
        let mut user = self.target(tx.as_mut(), scope, id).await?;
        let redacted = self.erase_in(tx.as_mut(), &mut user, &erasure).await?;
        let event = self
            .event(scope, AuditAction::UserErased, Some(AuditTarget::User(id)), AuditOutcome::Success)?
            .with("audit_events_redacted", redacted);
        tx.append_audit(&event).await?;
        tx.commit().await?;
        self.after_seat_change(scope).await;
        Ok(UserView::from(&user))
    }

    /// Erases `user` inside `tx` (DESIGN.md "Data rights"): pseudonym in the
    /// user row, the invitations to them and every audit detail; finished
    /// exports deleted; the erasure recorded in the tenant's ledger. Answers
    /// how many audit events were redacted. Shared by the erasure and by the
    /// restore, which re-applies the ledger.
    pub(crate) async fn erase_in(
        &self,
        tx: &mut dyn crate::store::TenantTx,
        user: &mut tenantry_domain::User,
        erasure: &Erasure,
    ) -> Result<u64, UserError> {
        let (email, name) = (user.email().clone(), user.name().to_string());
        user.erase(erasure.erased_at, self.deps.hasher.decoy())?;
        tx.update_user(user).await?;
        // The mails to or naming the person, sent (their record) or not (their jobs then finish
        // without sending; an invitation they sent can be resent).
        tx.forget_mails_of(&email, &name).await?;
        for mut invitation in tx.invitations().await?.into_iter().filter(|i| *i.email() == email) {
            invitation.erase_email(user.email().clone());
            tx.update_invitation(&invitation).await?;
        }
        let redactions = [
            Redaction { find: email.to_string(), replace: user.email().to_string(), whole_value: false },
            Redaction { find: name, replace: user.name().to_string(), whole_value: true },
        ];
        let redacted = tx.redact_audit(&redactions).await?;
        for mut export in tx.exports().await? {
            if export.status() == ExportStatus::Ready {
                tx.delete_export_file(export.id()).await?;
                export.expire();
                tx.update_export(&export).await?;
            }
        }
        // The sessions' clients (user agents, networks) are personal data too.
        tx.forget_sessions_of(user.id(), erasure.erased_at).await?;
        tx.record_erasure(erasure).await?;
        Ok(redacted)
    }

    /// `POST /v1/tenants/{tid}/owner`: the owner hands ownership to another
    /// active user and becomes an admin.
    pub async fn transfer_ownership(&self, scope: &TenantScope, new_owner: UserId) -> Result<UserView, UserError> {
        self.require(scope, builtin::OWNERSHIP_TRANSFER, AuditAction::OwnershipTransferred).await?;
        let mut tx = self.begin(scope, Access::Write).await?;
        let users = tx.users().await?;
        let mut owner = users
            .iter()
            .find(|u| u.is_owner())
            .cloned()
            .ok_or_else(|| InfraError::Unknown(anyhow::anyhow!("tenant without owner")))?;
        if let Some(actor) = scope.actor().user_id()
            && actor != owner.id()
        {
            return Err(UserError::Rule(UserRuleError::NotOwner));
        }
        let mut target = users.iter().find(|u| u.id() == new_owner).cloned().ok_or(AccessError::NotFound)?;
        transfer_ownership(&mut owner, &mut target)?;
        tx.update_user(&owner).await?;
        tx.update_user(&target).await?;
        let event = self
            .event(
                scope,
                AuditAction::OwnershipTransferred,
                Some(AuditTarget::User(target.id())),
                AuditOutcome::Success,
            )?
            .with("from", owner.id());
        tx.append_audit(&event).await?;
        tx.commit().await?;
        Ok(UserView::from(&target))
    }
}

//! Invitations: create, list, revoke, resend, accept. A pending invitation
//! occupies a seat; the seat check and the insert happen in one unit of work
//! that is serialised with every other writer of the tenant, so concurrent
//! invitations can never exceed the licensed seats.

use super::access::Attempt;
use super::views::{InvitationView, UserView};
use super::{AccessError, Tenantry, infra_from_store};
use crate::error::{InfraError, StoreError};
use crate::scope::{Principal, TenantScope};
use crate::store::{Access, TenantTx};
use crate::system::{Mail, Message};
use secrecy::SecretString;
use tenantry_domain::audit::{AuditTarget, SystemActor};
use tenantry_domain::email::EmailError;
use tenantry_domain::invitation::{InvitationError as RuleError, RevokeReason};
use tenantry_domain::password::PasswordError;
use tenantry_domain::rbac::{RbacError, builtin};
use tenantry_domain::seats::{SeatLimitReached, ensure_room};
use tenantry_domain::text::{PersonName, TextError};
use tenantry_domain::token::{InvitationToken, TokenHash, valid_secret};
use tenantry_domain::{AuditAction, AuditOutcome, Email, Invitation, InvitationId, RoleRef, User};

/// Input of [`Tenantry::invite`].
#[derive(Debug, Clone)]
pub struct InviteInput {
    /// Who to invite.
    pub email: String,
    /// The role they get (`member`, `admin`, or a custom role's id).
    pub role: String,
}

/// An invitation was created (or resent), its mail queued in the same unit of work.
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InvitationIssued {
    /// The invitation.
    pub invitation: InvitationView,
    /// Whether the mail went out before the answer. `false`: it waits in the
    /// outbox, and the job runner keeps trying (it is never lost; one that
    /// finally fails is listed for the superuser).
    pub mailed: bool,
}

/// Why an invitation was not created, revoked or resent. Nothing changed.
#[derive(Debug, thiserror::Error)]
pub enum InvitationError {
    /// Bad email.
    #[error(transparent)]
    InvalidEmail(#[from] EmailError),
    /// Unknown or malformed role.
    #[error(transparent)]
    InvalidRole(#[from] RbacError),
    /// The owner role cannot be given by invitation, or the role grants more
    /// than the inviter holds.
    #[error("this role cannot be given by you: {0}")]
    RoleNotGrantable(&'static str),
    /// The person is already a user of the tenant.
    #[error("{0} is already a user of this tenant")]
    AlreadyMember(String),
    /// A pending invitation for this email exists.
    #[error("an invitation for {0} is already pending; resend it instead")]
    AlreadyInvited(String),
    /// No free seat.
    #[error(transparent)]
    SeatLimitReached(#[from] SeatLimitReached),
    /// The invitation cannot be revoked or resent in its state.
    #[error(transparent)]
    Rule(#[from] RuleError),
    /// Access.
    #[error(transparent)]
    Access(#[from] AccessError),
    /// Infrastructure.
    #[error(transparent)]
    Infra(#[from] InfraError),
}
infra_from_store!(InvitationError);

crate::problem!(InvitationError {
    InvitationError::InvalidEmail(_) => ("invalid_email", Invalid),
    InvitationError::InvalidRole(_) => ("invalid_role", Invalid),
    InvitationError::RoleNotGrantable(_) => ("role_not_grantable", Forbidden),
    InvitationError::AlreadyMember(_) => ("already_member", Conflict),
    InvitationError::AlreadyInvited(_) => ("already_invited", Conflict),
    InvitationError::SeatLimitReached(_) => ("seat_limit_reached", Conflict),
    InvitationError::Rule(RuleError::AlreadyAccepted) => ("invitation_already_accepted", Conflict),
    InvitationError::Rule(RuleError::Revoked) => ("invitation_revoked", Conflict),
    InvitationError::Rule(RuleError::Expired(_)) => ("invitation_expired", Conflict),
    InvitationError::Rule(RuleError::InvalidToken) => ("invalid_token", Conflict),
    InvitationError::Access(e) => (via e),
    InvitationError::Infra(e) => (via e),
});

/// Input of [`Tenantry::accept_invitation`].
#[derive(Debug)]
pub struct AcceptInput {
    /// The token from the link.
    pub token: SecretString,
    /// The new user's name.
    pub name: String,
    /// The new user's password.
    pub password: SecretString,
}

/// The invitation became a user.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Accepted {
    /// The new user.
    pub user: UserView,
    /// To issue the new user's first token.
    pub principal: Principal,
}

/// Why an invitation could not be accepted. Nothing changed.
#[derive(Debug, thiserror::Error)]
pub enum AcceptError {
    /// Malformed, forged, replaced by a resend, or of a tenant that does not exist.
    #[error("the invitation link is not valid")]
    InvalidToken,
    /// Expired.
    #[error("the invitation has expired; ask for a new one")]
    Expired,
    /// Used before.
    #[error("the invitation has already been used")]
    AlreadyUsed,
    /// Revoked.
    #[error("the invitation has been revoked")]
    Revoked,
    /// Bad name.
    #[error(transparent)]
    InvalidName(#[from] TextError),
    /// Weak password.
    #[error(transparent)]
    WeakPassword(#[from] PasswordError),
    /// The email became a user meanwhile.
    #[error("a user with this email already exists in the tenant")]
    AlreadyMember,
    /// The tenant is suspended or pending deletion.
    #[error("the tenant is not accepting new users")]
    TenantInactive,
    /// The role offered no longer exists.
    #[error("the role offered no longer exists; ask for a new invitation")]
    RoleGone,
    /// Infrastructure.
    #[error(transparent)]
    Infra(#[from] InfraError),
}
infra_from_store!(AcceptError);

crate::problem!(AcceptError {
    AcceptError::InvalidToken => ("invalid_token", NotFound),
    AcceptError::Expired => ("invitation_expired", Gone),
    AcceptError::AlreadyUsed => ("invitation_already_accepted", Gone),
    AcceptError::Revoked => ("invitation_revoked", Gone),
    AcceptError::InvalidName(_) => ("invalid_name", Invalid),
    AcceptError::WeakPassword(_) => ("weak_password", Invalid),
    AcceptError::AlreadyMember => ("already_member", Conflict),
    AcceptError::TenantInactive => ("tenant_inactive", Forbidden),
    AcceptError::RoleGone => ("role_gone", Gone),
    AcceptError::Infra(e) => (via e),
});

impl Tenantry {
    /// Checks that `role` exists in the tenant, is not the owner's, and grants no
    /// more than the actor holds.
    pub(crate) async fn check_grantable(
        &self,
        tx: &mut dyn TenantTx,
        scope: &TenantScope,
        role: RoleRef,
    ) -> Result<(), InvitationError> {
        if role.is_owner() {
            return Err(InvitationError::RoleNotGrantable("the owner role is given only by transferring ownership"));
        }
        let Some(perms) = self.role_permissions(tx, role).await? else {
            return Err(InvitationError::InvalidRole(RbacError::UnknownRole(role.to_string())));
        };
        if !Self::may_grant(scope, &perms) {
            return Err(InvitationError::RoleNotGrantable("it has permissions you do not have"));
        }
        Ok(())
    }

    /// `POST /v1/tenants/{tid}/invitations`: invites one person with one role;
    /// refused when no seat is free (the error says how many are missing).
    pub async fn invite(&self, scope: &TenantScope, input: InviteInput) -> Result<InvitationIssued, InvitationError> {
        self.require(scope, builtin::INVITATIONS_MANAGE, AuditAction::UserInvited).await?;
        let email = Email::parse(&input.email)?;
        let role = RoleRef::parse(&input.role)?;
        let now = self.now();
        let mut tx = self.begin(scope, Access::Write).await?;
        self.check_grantable(tx.as_mut(), scope, role).await?;
        if tx.user_by_email(&email).await?.is_some() {
            return Err(InvitationError::AlreadyMember(email.to_string()));
        }
        let (usage, _, invitations) = self.seat_usage(tx.as_mut(), now).await?;
        if invitations.iter().any(|i| *i.email() == email && i.is_pending(now)) {
            return Err(InvitationError::AlreadyInvited(email.to_string()));
        }
        let sub = self.subscription(tx.as_mut()).await?;
        ensure_room(usage, self.seat_limit(tx.as_mut(), &sub).await?, 1)?;

        let secret = self.new_secret()?;
        let invitation = Invitation::issue(
            self.new_id()?,
            scope.tenant_id(),
            email,
            role,
            TokenHash::of(&secret),
            scope.actor().user_id(),
            now,
            self.catalog().invitation_days,
        );
        tx.insert_invitation(&invitation).await?;
        let event = self
            .event(
                scope,
                AuditAction::UserInvited,
                Some(AuditTarget::Invitation(invitation.id())),
                AuditOutcome::Success,
            )?
            .with("email", invitation.email())
            .with("role", invitation.role());
        tx.append_audit(&event).await?;
        let mail = self.invitation_mail(tx.as_mut(), scope, &invitation, secret).await?;
        let queued = self.queue_mails(tx.as_mut(), scope, [mail]).await?;
        tx.commit().await?;
        let mailed = self.deliver(queued).await == 1;
        self.after_seat_change(scope).await;
        Ok(InvitationIssued { invitation: InvitationView::at(&invitation, now), mailed })
    }

    pub(crate) fn new_secret(&self) -> Result<SecretString, InfraError> {
        let secret = self.deps.tokens.secret().map_err(InfraError::Unknown)?;
        if valid_secret(&secret) {
            Ok(secret)
        } else {
            Err(InfraError::Unknown(anyhow::anyhow!("the token generator made a malformed secret")))
        }
    }

    async fn invitation_mail(
        &self,
        tx: &mut dyn TenantTx,
        scope: &TenantScope,
        invitation: &Invitation,
        secret: SecretString,
    ) -> Result<Mail, InfraError> {
        let tenant = self.tenant_row(tx).await?;
        let inviter = match scope.actor().user_id() {
            Some(id) => tx.user(id).await?.map(|u| u.name().to_string()),
            None => None,
        };
        let token = InvitationToken { tenant_id: invitation.tenant_id(), invitation_id: invitation.id(), secret };
        // An invitee has no account yet: they read in the tenant's defaults.
        Ok(Mail::new(
            invitation.email().clone(),
            Some(Self::mail_tenant(&tenant)),
            Message::Invitation {
                inviter,
                role: self.role_name(tx, invitation.role()).await?,
                token: token.to_secret_string(),
                expires_at: invitation.expires_at(),
            },
        ))
    }

    /// `GET /v1/tenants/{tid}/invitations`: pending invitations (or all, newest first).
    pub async fn list_invitations(
        &self,
        scope: &TenantScope,
        include_closed: bool,
    ) -> Result<Vec<InvitationView>, InvitationError> {
        self.require(scope, builtin::INVITATIONS_MANAGE, Attempt::ReadInvitations).await?;
        let now = self.now();
        let mut tx = self.begin(scope, Access::Read).await?;
        Ok(tx
            .invitations()
            .await?
            .iter()
            .filter(|i| include_closed || i.is_pending(now))
            .map(|i| InvitationView::at(i, now))
            .collect())
    }

    /// `DELETE /v1/tenants/{tid}/invitations/{iid}`: revokes; the seat is free at once.
    pub async fn revoke_invitation(
        &self,
        scope: &TenantScope,
        id: InvitationId,
    ) -> Result<InvitationView, InvitationError> {
        self.require(scope, builtin::INVITATIONS_MANAGE, AuditAction::InvitationRevoked).await?;
        let now = self.now();
        let mut tx = self.begin(scope, Access::Write).await?;
        let mut invitation = tx.invitation(id).await?.ok_or(AccessError::NotFound)?;
        invitation.revoke(now, RevokeReason::Admin)?;
        tx.update_invitation(&invitation).await?;
        let event = self.event(
            scope,
            AuditAction::InvitationRevoked,
            Some(AuditTarget::Invitation(id)),
            AuditOutcome::Success,
        )?;
        tx.append_audit(&event).await?;
        tx.commit().await?;
        self.after_seat_change(scope).await;
        Ok(InvitationView::at(&invitation, now))
    }

    /// `POST /v1/tenants/{tid}/invitations/{iid}/resend`: a new link (the old one
    /// stops working) valid for another 7 days. An expired invitation needs a
    /// free seat again, since it stopped occupying one when it expired.
    pub async fn resend_invitation(
        &self,
        scope: &TenantScope,
        id: InvitationId,
    ) -> Result<InvitationIssued, InvitationError> {
        self.require(scope, builtin::INVITATIONS_MANAGE, AuditAction::InvitationResent).await?;
        let now = self.now();
        let mut tx = self.begin(scope, Access::Write).await?;
        let mut invitation = tx.invitation(id).await?.ok_or(AccessError::NotFound)?;
        if !invitation.is_pending(now) {
            let (usage, _, _) = self.seat_usage(tx.as_mut(), now).await?;
            let sub = self.subscription(tx.as_mut()).await?;
            // only a still-unused (expired) invitation gets here past `resend`'s own checks
            if invitation.status() == tenantry_domain::invitation::InvitationStatus::Pending {
                ensure_room(usage, self.seat_limit(tx.as_mut(), &sub).await?, 1)?;
            }
        }
        let secret = self.new_secret()?;
        invitation.resend(TokenHash::of(&secret), now, self.catalog().invitation_days)?;
        tx.update_invitation(&invitation).await?;
        let event =
            self.event(scope, AuditAction::InvitationResent, Some(AuditTarget::Invitation(id)), AuditOutcome::Success)?;
        tx.append_audit(&event).await?;
        let mail = self.invitation_mail(tx.as_mut(), scope, &invitation, secret).await?;
        let queued = self.queue_mails(tx.as_mut(), scope, [mail]).await?;
        tx.commit().await?;
        let mailed = self.deliver(queued).await == 1;
        self.after_seat_change(scope).await;
        Ok(InvitationIssued { invitation: InvitationView::at(&invitation, now), mailed })
    }

    /// `POST /v1/invitations/accept`: the token names its tenant; the new user
    /// is created there with the invited role (the seat was held by the
    /// invitation), logged in by an API session.
    pub async fn accept_invitation(&self, input: AcceptInput) -> Result<Accepted, AcceptError> {
        self.accept_invitation_from(input, &super::sessions::ClientInfo::api()).await
    }

    /// [`Tenantry::accept_invitation`] from `client`: the new user's first
    /// session is of its kind.
    pub async fn accept_invitation_from(
        &self,
        input: AcceptInput,
        client: &super::sessions::ClientInfo,
    ) -> Result<Accepted, AcceptError> {
        use secrecy::ExposeSecret;
        let token = InvitationToken::parse(input.token.expose_secret()).map_err(|_| AcceptError::InvalidToken)?;
        let name = PersonName::parse(&input.name)?;
        self.check_new_password(&input.password).await??;
        let scope = self.system_scope(token.tenant_id, SystemActor::InvitationLink);
        // Every cheap check first, in a read unit of work; the password is hashed
        // with no unit of work open; the write re-checks under the tenant's lock.
        {
            let mut tx = self.begin(&scope, Access::Read).await?;
            self.acceptable(tx.as_mut(), &token, self.now()).await?;
        }
        let hash = self.deps.hasher.hash(&input.password).await.map_err(crate::defaults::hasher_error)?;
        let now = self.now();
        let mut tx = self.begin(&scope, Access::Write).await?;
        let mut invitation = self.acceptable(tx.as_mut(), &token, now).await?;
        let mut user = User::new(
            self.new_id()?,
            scope.tenant_id(),
            invitation.email().clone(),
            name,
            invitation.role(),
            hash,
            now,
        );
        // The invitation's link reached this address: it is proven.
        user.verify_email(now);
        invitation.accept(&token.secret, user.id(), now).map_err(|_| AcceptError::InvalidToken)?;
        match tx.insert_user(&user).await {
            Err(StoreError::Conflict(_)) => return Err(AcceptError::AlreadyMember),
            other => other?,
        }
        tx.update_invitation(&invitation).await?;
        let event = self
            .event(&scope, AuditAction::InvitationAccepted, Some(AuditTarget::User(user.id())), AuditOutcome::Success)?
            .with("invitation", invitation.id());
        tx.append_audit(&event).await?;
        let session = self.begin_user_session(tx.as_mut(), &user, client, None, None).await?;
        tx.commit().await?;
        Ok(Accepted {
            principal: Principal::User {
                tenant_id: user.tenant_id(),
                user_id: user.id(),
                token_version: user.token_version(),
                session: Some(session.id()),
            },
            user: UserView::from(&user),
        })
    }

    /// The invitation a token may accept now, or why not.
    async fn acceptable(
        &self,
        tx: &mut dyn TenantTx,
        token: &InvitationToken,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Invitation, AcceptError> {
        if tx.tenant().await?.is_none() {
            return Err(AcceptError::InvalidToken);
        }
        let invitation = tx.invitation(token.invitation_id).await?.ok_or(AcceptError::InvalidToken)?;
        invitation.check_acceptable(&token.secret, now).map_err(|e| match e {
            RuleError::Expired(_) => AcceptError::Expired,
            RuleError::AlreadyAccepted => AcceptError::AlreadyUsed,
            RuleError::Revoked => AcceptError::Revoked,
            RuleError::InvalidToken => AcceptError::InvalidToken,
        })?;
        if !self.subscription(tx).await?.allows_access() {
            return Err(AcceptError::TenantInactive);
        }
        if self.role_permissions(tx, invitation.role()).await?.is_none() {
            return Err(AcceptError::RoleGone);
        }
        if tx.user_by_email(invitation.email()).await?.is_some() {
            return Err(AcceptError::AlreadyMember);
        }
        Ok(invitation)
    }
}

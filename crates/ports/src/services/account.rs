//! Account security (issue 8): one-time links by mail.
//!
//! - **Password reset**: asking for a link answers the same whether or not the
//!   address exists (nothing to learn from it); the link works once, for an
//!   hour, and only its secret's hash is kept; using it sets the password (the
//!   policy applies), ends every session and lifts a login lock. The superuser
//!   can send a link for support.
//! - **E-mail verification**: a code is mailed at signup (the owner's address);
//!   it proves the address once, within seven days; it can be sent again. An
//!   accepted invitation proves its address by itself.
//! - **E-mail change**: the link mailed to the new address moves the account
//!   (asked for on the profile: `Tenantry::request_email_change`).
//! - **Find your workspace**: an address in, one mail per workspace out.

use super::{AccessError, Tenantry, infra_from_store};
use crate::error::InfraError;
use crate::scope::{Actor, TenantScope};
use crate::store::Access;
use crate::system::{Mail, Message};
use secrecy::{ExposeSecret, SecretString};
use tenantry_domain::audit::{AuditTarget, SystemActor};
use tenantry_domain::password::PasswordError;
use tenantry_domain::password_reset::{LinkPurpose, PasswordReset, ResetError};
use tenantry_domain::token::ResetToken;
use tenantry_domain::{AuditAction, AuditOutcome, Email, Slug, User, UserId};

/// Input of [`Tenantry::request_password_reset`].
#[derive(Debug, Clone)]
pub struct ResetRequest {
    /// The tenant's slug.
    pub tenant: String,
    /// The account's email.
    pub email: String,
}

/// Input of [`Tenantry::confirm_password_reset`].
#[derive(Debug, Clone)]
pub struct ResetConfirmation {
    /// The mailed token.
    pub token: SecretString,
    /// The new password.
    pub password: SecretString,
}

/// Why a reset was refused. Nothing changed.
#[derive(Debug, thiserror::Error)]
pub enum ResetRefusal {
    /// The link is malformed, unknown, or not its secret.
    #[error(transparent)]
    Link(#[from] ResetError),
    /// The new password breaks the policy.
    #[error(transparent)]
    WeakPassword(#[from] PasswordError),
    /// An e-mail change link's address is another account's by now.
    #[error("another account of this workspace uses that address by now")]
    EmailTaken,
    /// Infrastructure.
    #[error(transparent)]
    Infra(#[from] InfraError),
}
infra_from_store!(ResetRefusal);

crate::problem!(ResetRefusal {
    ResetRefusal::Link(ResetError::Invalid) => ("invalid_token", Invalid),
    ResetRefusal::Link(ResetError::Expired) => ("token_expired", Gone),
    ResetRefusal::Link(ResetError::Used) => ("token_used", Gone),
    ResetRefusal::WeakPassword(_) => ("weak_password", Invalid),
    ResetRefusal::EmailTaken => ("email_taken", Conflict),
    ResetRefusal::Infra(e) => (via e),
});

/// Why the superuser's reset link was not sent.
#[derive(Debug, thiserror::Error)]
pub enum AdminResetError {
    /// Not the superuser, or no such user in the tenant.
    #[error(transparent)]
    Access(#[from] AccessError),
    /// The account cannot sign in (deactivated or erased).
    #[error("the user is deactivated; reactivate them first")]
    Inactive,
    /// The address is verified already.
    #[error("the address is verified already")]
    AlreadyVerified,
    /// Infrastructure.
    #[error(transparent)]
    Infra(#[from] InfraError),
}
infra_from_store!(AdminResetError);

crate::problem!(AdminResetError {
    AdminResetError::Access(e) => (via e),
    AdminResetError::Inactive => ("user_inactive", Conflict),
    AdminResetError::AlreadyVerified => ("already_verified", Conflict),
    AdminResetError::Infra(e) => (via e),
});

impl Tenantry {
    /// `POST /v1/auth/password-reset`: mails a reset link when `email` is an
    /// active user of the tenant; answers `Ok` in every case — an unknown
    /// tenant, an unknown address and a deactivated account look the same.
    pub async fn request_password_reset(&self, input: ResetRequest) -> Result<(), InfraError> {
        let (Ok(slug), Ok(email)) = (Slug::parse(&input.tenant), Email::parse(&input.email)) else { return Ok(()) };
        let Some(tenant_id) = self.deps.directory.resolve_slug(&slug).await? else { return Ok(()) };
        let scope = self.system_scope(tenant_id, SystemActor::Login);
        let mut tx = self.begin(&scope, Access::Write).await?;
        let Some(user) = tx.user_by_email(&email).await?.filter(User::is_active) else { return Ok(()) };
        // At most one link a minute per account: asking again sooner mails nothing
        // (and answers the same), so the endpoint cannot flood a mailbox.
        let minute = self.now().timestamp().div_euclid(60);
        if !tx.mark(&format!("mail:password_reset:{}:{minute}", user.id()), self.now()).await? {
            return Ok(());
        }
        let action = Some(AuditAction::PasswordResetRequested);
        let mail = self.issue_link(tx.as_mut(), &scope, &user, LinkPurpose::PasswordReset, action).await?;
        let queued = self.queue_mails(tx.as_mut(), &scope, [mail]).await?;
        tx.commit().await?;
        self.deliver(queued).await;
        Ok(())
    }

    /// `POST /v1/admin/tenants/{tid}/users/{uid}/password-reset`: the
    /// superuser sends a user a reset link (support); audited in the tenant's log.
    pub async fn admin_password_reset(&self, scope: &TenantScope, id: UserId) -> Result<(), AdminResetError> {
        if !matches!(scope.actor(), Actor::Superuser { .. }) {
            return Err(AccessError::NotFound.into());
        }
        let mut tx = self.begin(scope, Access::Write).await?;
        let user = tx.user(id).await?.ok_or(AccessError::NotFound)?;
        if !user.is_active() {
            return Err(AdminResetError::Inactive);
        }
        let action = Some(AuditAction::PasswordResetRequested);
        let mail = self.issue_link(tx.as_mut(), scope, &user, LinkPurpose::PasswordReset, action).await?;
        let queued = self.queue_mails(tx.as_mut(), scope, [mail]).await?;
        tx.commit().await?;
        self.deliver(queued).await;
        Ok(())
    }

    /// Stores a one-time link for `user` and returns its mail (sent by the
    /// caller after commit); `action`, if any, is audited.
    pub(crate) async fn issue_link(
        &self,
        tx: &mut dyn crate::store::TenantTx,
        scope: &TenantScope,
        user: &User,
        purpose: LinkPurpose,
        action: Option<AuditAction>,
    ) -> Result<Mail, InfraError> {
        let now = self.now();
        let secret = self.new_secret()?;
        let id = self.new_id()?;
        let link = match purpose {
            LinkPurpose::PasswordReset => PasswordReset::new(id, scope.tenant_id(), user.id(), &secret, now),
            LinkPurpose::EmailVerification => {
                PasswordReset::verification(id, scope.tenant_id(), user.id(), &secret, now)
            }
            LinkPurpose::EmailChange => {
                return Err(InfraError::Unknown(anyhow::anyhow!("an e-mail change link needs its new address")));
            }
        };
        self.mail_link(tx, scope, user, link, secret, action).await
    }

    /// Stores an e-mail change link for `user` to `new_email` and returns its
    /// mail to that address (sent by the caller after commit); `action`, if
    /// any, is audited.
    pub(crate) async fn issue_link_to(
        &self,
        tx: &mut dyn crate::store::TenantTx,
        scope: &TenantScope,
        user: &User,
        new_email: Email,
        action: Option<AuditAction>,
    ) -> Result<Mail, InfraError> {
        let secret = self.new_secret()?;
        let link =
            PasswordReset::email_change(self.new_id()?, scope.tenant_id(), user.id(), new_email, &secret, self.now());
        self.mail_link(tx, scope, user, link, secret, action).await
    }

    async fn mail_link(
        &self,
        tx: &mut dyn crate::store::TenantTx,
        scope: &TenantScope,
        user: &User,
        link: PasswordReset,
        secret: SecretString,
        action: Option<AuditAction>,
    ) -> Result<Mail, InfraError> {
        tx.insert_reset(&link).await?;
        if let Some(action) = action {
            let event = self.event(scope, action, Some(AuditTarget::User(user.id())), AuditOutcome::Success)?;
            tx.append_audit(&event).await?;
        }
        let tenant = self.tenant_row(tx).await?;
        let purpose = link.purpose;
        let token =
            ResetToken { tenant_id: scope.tenant_id(), reset_id: link.id, secret }.to_secret_string_for(purpose);
        let expires_at = link.expires_at;
        let message = match purpose {
            LinkPurpose::PasswordReset => Message::PasswordReset { token, expires_at },
            LinkPurpose::EmailVerification => Message::VerifyEmail { token, expires_at },
            LinkPurpose::EmailChange => Message::ConfirmEmailChange { token, expires_at },
        };
        let to = link.new_email.unwrap_or_else(|| user.email().clone());
        Ok(Mail::new(to, Some(Self::mail_tenant(&tenant)), message).read_by(user.preferences()))
    }

    /// `POST /v1/auth/email-change`: moves an account to the new address its
    /// mailed link carries (once, within a day; the link reaching it proves
    /// the address). The account's other e-mail change and password reset
    /// links are void (the resets went to the old address). Audited
    /// (`user.email_changed`). A refused link changes nothing.
    pub async fn confirm_email_change(&self, token: &SecretString) -> Result<(), ResetRefusal> {
        let (scope, mut tx, link) = self.use_link(LinkPurpose::EmailChange, token).await?;
        let now = link.used_at.unwrap_or_else(|| self.now());
        let new_email = link.new_email.clone().ok_or(ResetError::Invalid)?;
        let mut user = tx.user(link.user_id).await?.filter(User::is_active).ok_or(ResetError::Invalid)?;
        if tx.user_by_email(&new_email).await?.is_some_and(|other| other.id() != user.id()) {
            return Err(ResetRefusal::EmailTaken);
        }
        user.change_email(new_email, now);
        tx.update_user(&user).await?;
        tx.update_reset(&link).await?;
        tx.expire_links_of(user.id(), LinkPurpose::EmailChange, now).await?;
        tx.expire_links_of(user.id(), LinkPurpose::PasswordReset, now).await?;
        let event =
            self.event(&scope, AuditAction::EmailChanged, Some(AuditTarget::User(user.id())), AuditOutcome::Success)?;
        tx.append_audit(&event).await?;
        tx.commit().await?;
        Ok(())
    }

    /// `POST /v1/auth/find-workspace`: mails the address, from each workspace
    /// where it has an active account (at most
    /// [`WORKSPACES_MAX`](crate::directory::WORKSPACES_MAX)), that workspace's
    /// name and sign-in link — one mail per workspace, queued in that
    /// workspace's own outbox, so no workspace's outbox names another. A
    /// named cross-tenant lookup (DESIGN.md §2) over proven addresses only:
    /// recorded in the platform log with a keyed pseudonym of the address
    /// (HMAC under the link key: no dictionary reverses it) and the number
    /// found. Answers `Ok` whatever the address; a workspace mails an address
    /// at most once an hour.
    pub async fn find_workspaces(&self, email: &str) -> Result<(), InfraError> {
        let Ok(email) = Email::parse(email) else { return Ok(()) };
        let tenants = self.deps.directory.tenants_of_email(&email).await?;
        let lookup = tenantry_domain::AuditEvent {
            id: self.new_id()?,
            at: self.now(),
            tenant_id: None,
            actor: tenantry_domain::AuditActor::Anonymous,
            action: AuditAction::WorkspacesLookedUp,
            target: None,
            outcome: AuditOutcome::Success,
            details: Default::default(),
        }
        .with("workspaces", tenants.len());
        let lookup = match self.links.as_ref().and_then(|k| k.pseudonym(email.as_str())) {
            Some(pseudonym) => lookup.with("email_hmac", pseudonym),
            None => lookup,
        };
        let mut ptx = self.deps.store.begin_platform().await?;
        ptx.append_platform_audit(&lookup).await?;
        ptx.commit().await?;
        for tenant_id in tenants {
            let scope = self.system_scope(tenant_id, SystemActor::Login);
            let mut tx = self.begin(&scope, Access::Write).await?;
            let Some(user) = tx.user_by_email(&email).await?.filter(User::is_active) else { continue };
            // A suspended workspace, or one pending deletion, opens to nobody: it is not named.
            if !self.subscription(tx.as_mut()).await?.allows_access() {
                continue;
            }
            let tenant = self.tenant_row(tx.as_mut()).await?;
            let hour = self.now().timestamp().div_euclid(3600);
            if !tx.mark(&format!("mail:find_workspace:{}:{hour}", user.id()), self.now()).await? {
                continue;
            }
            let mail = Mail::new(
                user.email().clone(),
                Some(Self::mail_tenant(&tenant)),
                Message::WorkspaceReminder { slug: tenant.slug().to_string() },
            )
            .read_by(user.preferences());
            let queued = self.queue_mails(tx.as_mut(), &scope, [mail]).await?;
            tx.commit().await?;
            self.deliver(queued).await;
        }
        Ok(())
    }

    /// Opens the tenant `token` names in a write unit of work and uses its
    /// link for `purpose` (once); the caller writes the link back with its
    /// change. A malformed, unknown, used or expired link is refused.
    async fn use_link(
        &self,
        purpose: LinkPurpose,
        token: &SecretString,
    ) -> Result<(TenantScope, Box<dyn crate::store::TenantTx>, PasswordReset), ResetRefusal> {
        let token = ResetToken::parse_for(purpose, token.expose_secret()).map_err(|_| ResetError::Invalid)?;
        let scope = self.system_scope(token.tenant_id, SystemActor::Login);
        let mut tx = self.begin(&scope, Access::Write).await?;
        let mut link = tx.reset(token.reset_id).await?.ok_or(ResetError::Invalid)?;
        link.redeem(purpose, &token.secret, self.now())?;
        Ok((scope, tx, link))
    }

    /// `POST /v1/auth/verify-email`: proves the address with a mailed link
    /// (once, within seven days). A refused link changes nothing.
    pub async fn verify_email(&self, token: &SecretString) -> Result<(), ResetRefusal> {
        let (scope, mut tx, link) = self.use_link(LinkPurpose::EmailVerification, token).await?;
        let now = link.used_at.unwrap_or_else(|| self.now());
        let mut user = tx.user(link.user_id).await?.filter(|u| !u.is_erased()).ok_or(ResetError::Invalid)?;
        user.verify_email(now);
        tx.update_user(&user).await?;
        tx.update_reset(&link).await?;
        let event =
            self.event(&scope, AuditAction::EmailVerified, Some(AuditTarget::User(user.id())), AuditOutcome::Success)?;
        tx.append_audit(&event).await?;
        tx.commit().await?;
        Ok(())
    }

    /// `POST /v1/me/email-verification`: mails the caller a new verification
    /// link (`already_verified` when there is nothing to prove).
    pub async fn resend_verification(&self, scope: &TenantScope) -> Result<(), AdminResetError> {
        let Some(id) = scope.actor().user_id() else { return Err(AccessError::NotFound.into()) };
        let mut tx = self.begin(scope, Access::Write).await?;
        let user = tx.user(id).await?.ok_or(AccessError::NotFound)?;
        if user.email_verified_at().is_some() {
            return Err(AdminResetError::AlreadyVerified);
        }
        let mail = self.issue_link(tx.as_mut(), scope, &user, LinkPurpose::EmailVerification, None).await?;
        let queued = self.queue_mails(tx.as_mut(), scope, [mail]).await?;
        tx.commit().await?;
        self.deliver(queued).await;
        Ok(())
    }

    /// `POST /v1/auth/password-reset/confirm`: sets a new password with a
    /// mailed link (once, within the hour); every session of the user ends and
    /// a login lock is lifted. A refused link changes nothing.
    pub async fn confirm_password_reset(&self, input: ResetConfirmation) -> Result<(), ResetRefusal> {
        let token = ResetToken::parse(input.token.expose_secret()).map_err(|_| ResetError::Invalid)?;
        self.check_new_password(&input.password).await??;
        let scope = self.system_scope(token.tenant_id, SystemActor::Login);
        // The cheap checks first; the password is hashed with no unit of work open.
        {
            let mut tx = self.begin(&scope, Access::Read).await?;
            let reset = tx.reset(token.reset_id).await?.ok_or(ResetError::Invalid)?;
            reset.check_for(LinkPurpose::PasswordReset, &token.secret, self.now())?;
        }
        let hash = self.deps.hasher.hash(&input.password).await.map_err(crate::defaults::hasher_error)?;
        let now = self.now();
        let mut tx = self.begin(&scope, Access::Write).await?;
        let mut reset = tx.reset(token.reset_id).await?.ok_or(ResetError::Invalid)?;
        reset.redeem(LinkPurpose::PasswordReset, &token.secret, now)?;
        let mut user = tx.user(reset.user_id).await?.filter(User::is_active).ok_or(ResetError::Invalid)?;
        user.set_password(hash);
        user.unlock();
        tx.update_user(&user).await?;
        tx.update_reset(&reset).await?;
        // The user's other password-reset links are void (their sessions ended with the
        // new password: `set_password` moves the token version on).
        tx.expire_links_of(user.id(), LinkPurpose::PasswordReset, now).await?;
        // An address change asked for by whoever had the old password is void too.
        tx.expire_links_of(user.id(), LinkPurpose::EmailChange, now).await?;
        let event =
            self.event(&scope, AuditAction::PasswordReset, Some(AuditTarget::User(user.id())), AuditOutcome::Success)?;
        tx.append_audit(&event).await?;
        tx.commit().await?;
        Ok(())
    }
}

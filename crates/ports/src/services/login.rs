//! Login (with the lockout and the superuser's path) and logout, one session or all.

use super::sessions::ClientInfo;
use super::views::UserView;
use super::{Tenantry, infra_from_store};
use crate::error::InfraError;
use crate::scope::{Actor, PlatformScope, Principal, TenantScope};
use crate::services::auth::AuthorizeError;
use crate::services::impersonation::ImpersonationError;
use crate::store::{Access, Month, UsageDelta};
use crate::system::{Mail, Message};
use secrecy::SecretString;
use tenantry_domain::audit::{AuditTarget, SystemActor};
use tenantry_domain::rbac::PermissionSet;
use tenantry_domain::subscription::SubscriptionState;
use tenantry_domain::user::FailedLogin;
use tenantry_domain::{AuditAction, AuditActor, AuditEvent, AuditOutcome, Email, Slug, SubscriptionStatus, User};

/// Input of [`Tenantry::login`].
#[derive(Debug)]
pub struct LoginInput {
    /// The tenant's slug; `None` for the platform superuser.
    pub tenant: Option<String>,
    /// Email.
    pub email: String,
    /// Password.
    pub password: SecretString,
}

/// Why a login was refused. Unknown tenant, unknown email, wrong password,
/// deactivated user and locked account all answer `InvalidCredentials` (no
/// enumeration); the lock is told to the account holder by mail.
#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    /// The credentials do not match an active, unlocked account.
    #[error("invalid credentials")]
    InvalidCredentials,
    /// The credentials are right but the tenant is suspended or pending deletion.
    #[error("the tenant is {0}")]
    TenantInactive(SubscriptionStatus),
    /// The second factor (a TOTP code or a recovery code) was wrong or used
    /// already; it counts as a failed login.
    #[error("the code is wrong or was used already")]
    WrongSecondFactor,
    /// Infrastructure.
    #[error(transparent)]
    Infra(#[from] InfraError),
}
infra_from_store!(LoginError);

crate::problem!(LoginError {
    LoginError::InvalidCredentials => ("invalid_credentials", Unauthenticated),
    LoginError::TenantInactive(_) => ("tenant_inactive", Forbidden),
    LoginError::WrongSecondFactor => ("wrong_mfa_code", Unauthenticated),
    LoginError::Infra(e) => (via e),
});

/// A successful login.
#[derive(Debug, Clone, serde::Serialize)]
pub struct LoggedIn {
    /// To issue tokens.
    pub principal: Principal,
    /// The user (tenant logins).
    pub user: Option<UserView>,
    /// The password was right and the user has two-factor authentication:
    /// `principal` may only finish the login at `/v1/auth/mfa` (the HTTP layer
    /// signs it into a short-lived `mfa_token`, never into access tokens).
    pub mfa_required: bool,
}

impl Tenantry {
    /// Login (`POST /v1/auth/login`): a tenant user names the tenant's slug; the
    /// superuser names none. Five failures lock an account for fifteen minutes.
    /// The session is an API client's.
    pub async fn login(&self, input: LoginInput) -> Result<LoggedIn, LoginError> {
        self.login_from(input, &ClientInfo::api()).await
    }

    /// [`Tenantry::login`] from `client`: the session is of its kind, with its
    /// user agent and network.
    pub async fn login_from(&self, input: LoginInput, client: &ClientInfo) -> Result<LoggedIn, LoginError> {
        let Some(slug_text) = input.tenant else {
            return self.superuser_login(&input.email, &input.password, client).await;
        };
        let (Ok(slug), Ok(email)) = (Slug::parse(&slug_text), Email::parse(&input.email)) else {
            self.decoy_verify(&input.password).await;
            return Err(LoginError::InvalidCredentials);
        };
        let Some(tenant_id) = self.deps.directory.resolve_slug(&slug).await? else {
            self.decoy_verify(&input.password).await;
            return Err(LoginError::InvalidCredentials);
        };
        let scope = self.system_scope(tenant_id, SystemActor::Login);
        // Read, then hash with no unit of work open (hashing takes tens of
        // milliseconds; holding the tenant's write lock meanwhile would let anyone
        // who knows a slug stall the tenant's writers), then record the outcome.
        let found = {
            let mut tx = self.begin(&scope, Access::Read).await?;
            tx.user_by_email(&email).await?
        };
        let matches = match &found {
            Some(user) => self
                .deps
                .hasher
                .verify(&input.password, user.password_hash())
                .await
                .map_err(crate::defaults::hasher_error)?,
            None => {
                self.decoy_verify(&input.password).await;
                false
            }
        };
        let now = self.now();
        let mut tx = self.begin(&scope, Access::Write).await?;
        // Re-read under the lock: the user may have changed while the password was hashed.
        let current = match &found {
            Some(user) => tx.user(user.id()).await?,
            None => None,
        };
        let Some(mut user) = current else {
            let event = self
                .event(&scope, AuditAction::LoginFailed, None, AuditOutcome::Failed)?
                // The domain only: the address tried may be an erased person's
                // (or a stranger's), and the log must not bring it back.
                .with("email_domain", email.as_str().rsplit_once('@').map_or("", |(_, d)| d))
                .with("reason", "unknown_email");
            let event = AuditEvent { actor: AuditActor::Anonymous, ..event };
            tx.append_audit(&event).await?;
            tx.commit().await?;
            return Err(LoginError::InvalidCredentials);
        };
        // The hash checked must still be the user's hash.
        let matches = matches && found.as_ref().is_some_and(|f| f.password_hash() == user.password_hash());
        let target = Some(AuditTarget::User(user.id()));
        let address = tenantry_domain::user::address_key(client.address);
        let refusal = if user.throttle().locked_at(now, &address).is_some() {
            Some("locked")
        } else if !user.is_active() {
            Some("deactivated")
        } else if !matches {
            Some("wrong_password")
        } else {
            None
        };
        if let Some(reason) = refusal {
            let mut mails = Vec::new();
            let mut event = self
                .event(&scope, AuditAction::LoginFailed, target.clone(), AuditOutcome::Failed)?
                .with("reason", reason);
            event.actor = AuditActor::User(user.id());
            tx.append_audit(&event).await?;
            if reason == "wrong_password" {
                mails.extend(self.count_login_failure(tx.as_mut(), &scope, &mut user, &address).await?);
                tx.update_user(&user).await?;
            }
            let queued = self.queue_mails(tx.as_mut(), &scope, mails).await?;
            tx.commit().await?;
            self.deliver(queued).await;
            return Err(LoginError::InvalidCredentials);
        }
        let sub = self.subscription(tx.as_mut()).await?;
        let owner_may_cancel_deletion =
            user.is_owner() && matches!(sub.state(), SubscriptionState::PendingDeletion { .. });
        if !sub.allows_access() && !owner_may_cancel_deletion {
            return Err(LoginError::TenantInactive(sub.status()));
        }
        if user.mfa().as_ref().is_some_and(tenantry_domain::mfa::Mfa::is_enabled) {
            // The second step (`complete_mfa_login`) records the login, or the failure,
            // and begins the session; this principal names none (it authorises nothing).
            let principal =
                Principal::User { tenant_id, user_id: user.id(), token_version: user.token_version(), session: None };
            return Ok(LoggedIn { principal, user: None, mfa_required: true });
        }
        user.record_login(now, &address);
        tx.update_user(&user).await?;
        let session = self.begin_user_session(tx.as_mut(), &user, client, None, None).await?;
        let principal = Principal::User {
            tenant_id,
            user_id: user.id(),
            token_version: user.token_version(),
            session: Some(session.id()),
        };
        tx.add_usage(Month::of(now), UsageDelta { logins: 1, ..UsageDelta::default() }).await?;
        let mut event = self.event(&scope, AuditAction::LoginSucceeded, target, AuditOutcome::Success)?;
        event.actor = AuditActor::User(user.id());
        tx.append_audit(&event).await?;
        tx.commit().await?;
        Ok(LoggedIn { principal, user: Some(UserView::from(&user)), mfa_required: false })
    }

    /// Counts a failed login of `user` from `address` (DESIGN.md §3): a lock
    /// for that address is audited; a lock everywhere is audited and mailed
    /// (the mail is answered, to send after commit). The caller saves the user.
    pub(crate) async fn count_login_failure(
        &self,
        tx: &mut dyn crate::store::TenantTx,
        scope: &TenantScope,
        user: &mut User,
        address: &str,
    ) -> Result<Vec<Mail>, InfraError> {
        let now = self.now();
        let target = Some(AuditTarget::User(user.id()));
        let (until, everywhere) = match user.record_failed_login(now, address, &self.config.lockout) {
            FailedLogin::LockedNow { until } => (until, true),
            FailedLogin::LockedForAddress { until } => (until, false),
            FailedLogin::Counted { .. } | FailedLogin::AlreadyLocked { .. } => return Ok(Vec::new()),
        };
        let mut locked = self.event(scope, AuditAction::AccountLocked, target, AuditOutcome::Success)?;
        locked.actor = AuditActor::User(user.id());
        let locked = locked
            .with("until", until.to_rfc3339())
            .with("for", if everywhere { "all_addresses" } else { "one_address" });
        tx.append_audit(&locked).await?;
        if !everywhere {
            return Ok(Vec::new());
        }
        let tenant = self.tenant_row(tx).await?;
        Ok(vec![
            Mail::new(user.email().clone(), Some(Self::mail_tenant(&tenant)), Message::AccountLocked { until })
                .read_by(user.preferences()),
        ])
    }

    async fn decoy_verify(&self, password: &SecretString) {
        // Same work as a real check, so that unknown accounts answer in similar time.
        let _ = self.deps.hasher.verify(password, &self.deps.hasher.decoy()).await;
    }

    /// The superuser's login. The password is checked with no unit of work
    /// open; the outcome is then recorded by the store's atomic operations, so
    /// parallel wrong guesses all count (and lock the account), a right one
    /// racing them is refused once the lock holds, and a failure never writes
    /// back a token version a logout moved on (decision 0019).
    async fn superuser_login(
        &self,
        email: &str,
        password: &SecretString,
        client: &ClientInfo,
    ) -> Result<LoggedIn, LoginError> {
        let Ok(email) = Email::parse(email) else {
            self.decoy_verify(password).await;
            return Err(LoginError::InvalidCredentials);
        };
        let found = {
            let mut tx = self.deps.store.begin_platform().await?;
            tx.superuser_by_email(&email).await?
        };
        let Some(su) = found else {
            self.decoy_verify(password).await;
            return Err(LoginError::InvalidCredentials);
        };
        let now = self.now();
        // Hashed whatever the account's state, so that a locked or inactive one answers in the same time.
        let verified =
            self.deps.hasher.verify(password, &su.password_hash).await.map_err(crate::defaults::hasher_error)?;
        let matches = verified && su.active && su.throttle.locked_at(now).is_none();
        if matches && su.mfa.as_ref().is_some_and(tenantry_domain::mfa::Mfa::is_enabled) {
            // The second step (`complete_mfa_login`) records the login, or the
            // failure, and begins the session; this principal names none.
            let principal = Principal::Superuser { id: su.id, token_version: su.token_version, session: None };
            return Ok(LoggedIn { principal, user: None, mfa_required: true });
        }
        let mut tx = self.deps.store.begin_platform().await?;
        let accepted = matches && tx.superuser_login_succeeded(su.id, su.token_version).await?;
        if !accepted {
            tx.append_platform_audit(&self.superuser_event(&su, AuditAction::LoginFailed, AuditOutcome::Failed)?)
                .await?;
            if !matches && tx.superuser_login_failed(su.id, self.config.lockout).await?.is_some() {
                tx.append_platform_audit(&self.superuser_event(
                    &su,
                    AuditAction::AccountLocked,
                    AuditOutcome::Success,
                )?)
                .await?;
            }
            tx.commit().await?;
            return Err(LoginError::InvalidCredentials);
        }
        tx.append_platform_audit(&self.superuser_event(&su, AuditAction::LoginSucceeded, AuditOutcome::Success)?)
            .await?;
        tx.commit().await?;
        let session = self.begin_superuser_session(su.id, client).await?.ok_or(LoginError::InvalidCredentials)?.id();
        Ok(LoggedIn {
            principal: Principal::Superuser { id: su.id, token_version: su.token_version, session: Some(session) },
            user: None,
            mfa_required: false,
        })
    }

    /// `POST /v1/auth/logout`: ends the caller's session — every token of it
    /// stops working; their other sessions hold (`logout_everywhere` ends
    /// them all). A support session ends as the web's Stop ends it. Audited.
    pub async fn logout(&self, principal: &Principal) -> Result<(), AuthorizeError> {
        match *principal {
            Principal::Impersonation { .. } => self.end_impersonation(principal).await.map_err(|e| match e {
                ImpersonationError::Infra(e) => AuthorizeError::Infra(e),
                _ => AuthorizeError::Unauthenticated,
            }),
            Principal::ApiKey { tenant_id, .. } => {
                // A key has no session to end (it is revoked through the API-keys endpoint).
                self.authorize(principal, tenant_id).await.map(|_| ())
            }
            Principal::User { session: Some(sid), .. } | Principal::Superuser { session: Some(sid), .. } => self
                .end_one_session(principal, sid, tenantry_domain::session::SessionEnd::LoggedOut)
                .await
                .map_err(|e| match e {
                    crate::services::sessions::SessionError::Infra(e) => AuthorizeError::Infra(e),
                    _ => AuthorizeError::Unauthenticated,
                }),
            Principal::User { .. } | Principal::Superuser { .. } => Err(AuthorizeError::Unauthenticated),
        }
    }

    /// `DELETE /v1/me/sessions` ("sign out everywhere"): ends every session of
    /// the caller's account at once — their token version moves on, so every
    /// access and refresh token issued to them so far stops working. Audited.
    pub async fn logout_everywhere(&self, principal: &Principal) -> Result<(), AuthorizeError> {
        match *principal {
            Principal::User { tenant_id, user_id, .. } => {
                // Not through `authorize` alone: a user who must still enrol in 2FA may sign out too.
                match self.authorize(principal, tenant_id).await {
                    Ok(_) | Err(AuthorizeError::MfaEnrolmentRequired) => {}
                    Err(e) => return Err(e),
                }
                let probe = self.system_scope(tenant_id, SystemActor::Login);
                let mut tx = self.begin(&probe, Access::Write).await?;
                let Some(mut user) = tx.user(user_id).await?.filter(User::is_active) else {
                    return Err(AuthorizeError::Unauthenticated);
                };
                let scope =
                    TenantScope::new(tenant_id, Actor::User { user_id, role: user.role() }, PermissionSet::EMPTY);
                user.end_sessions();
                tx.update_user(&user).await?;
                // Signing out everywhere also voids a pending address change (a stolen session's).
                tx.expire_links_of(user_id, tenantry_domain::password_reset::LinkPurpose::EmailChange, self.now())
                    .await?;
                let event = self.event(
                    &scope,
                    AuditAction::SignedOutEverywhere,
                    Some(AuditTarget::User(user_id)),
                    AuditOutcome::Success,
                )?;
                tx.append_audit(&event).await?;
                tx.commit().await?;
                Ok(())
            }
            Principal::Superuser { id, .. } => {
                self.authorize_platform_account(principal).await?;
                let who = PlatformScope::new(id);
                let mut tx = self.deps.store.begin_platform().await?;
                if !tx.end_superuser_sessions(id).await? {
                    return Err(AuthorizeError::Unauthenticated);
                }
                tx.append_platform_audit(&self.platform_event(&who, AuditAction::SignedOutEverywhere, None)?).await?;
                tx.commit().await?;
                Ok(())
            }
            Principal::ApiKey { .. } | Principal::Impersonation { .. } => Err(AuthorizeError::Unauthenticated),
        }
    }
}

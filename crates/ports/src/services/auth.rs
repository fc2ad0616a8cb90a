//! Signup, login, and the authorisation step that turns a verified
//! [`Principal`] into a [`TenantScope`] — wall 3's check that the token's tenant
//! is the path's tenant lives here, so every adapter gets it the same way.

use super::sessions::ClientInfo;
use super::views::{MeView, TenantView, UserView};
use super::{AccessError, Tenantry, infra_from_store};
use crate::error::{InfraError, StoreError};
use crate::scope::{Actor, PlatformScope, Principal, TenantScope};
use crate::store::{Access, Month, OperatorStore, UsageDelta};
use crate::system::{Mail, Message};
use chrono::{DateTime, Utc};
use secrecy::SecretString;
use tenantry_domain::audit::{AuditTarget, SystemActor};
use tenantry_domain::email::EmailError;
use tenantry_domain::password::PasswordError;
use tenantry_domain::password_reset::LinkPurpose;
use tenantry_domain::rbac::{PermissionSet, builtin};
use tenantry_domain::slug::SlugError;
use tenantry_domain::subscription::SubscriptionState;
use tenantry_domain::text::{CompanyName, PersonName, TextError};
use tenantry_domain::user::{FailedLogin, PlatformUser};
use tenantry_domain::{
    AuditAction, AuditActor, AuditEvent, AuditOutcome, Email, RoleRef, Slug, Subscription, SubscriptionStatus, Tenant,
    TenantId, User, UserId,
};

/// Input of [`Tenantry::signup`].
#[derive(Debug)]
pub struct SignupInput {
    /// Company name.
    pub company_name: String,
    /// Desired slug.
    pub slug: String,
    /// Owner's email.
    pub email: String,
    /// Owner's password.
    pub password: SecretString,
    /// Owner's name.
    pub name: String,
}

/// Result of a signup: the tenant in its trial, its owner, and the owner's principal.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SignedUp {
    /// The tenant.
    pub tenant: TenantView,
    /// The owner.
    pub user: UserView,
    /// To issue the owner's first access token.
    pub principal: Principal,
}

/// Why a signup was refused. Nothing was created.
#[derive(Debug, thiserror::Error)]
pub enum SignupError {
    /// Bad company or person name.
    #[error(transparent)]
    InvalidName(#[from] TextError),
    /// Bad slug.
    #[error(transparent)]
    InvalidSlug(#[from] SlugError),
    /// The slug is taken.
    #[error("the slug `{0}` is taken")]
    SlugTaken(String),
    /// Bad email.
    #[error(transparent)]
    InvalidEmail(#[from] EmailError),
    /// Password too short or long.
    #[error(transparent)]
    WeakPassword(#[from] PasswordError),
    /// Infrastructure.
    #[error(transparent)]
    Infra(#[from] InfraError),
}
infra_from_store!(SignupError);

crate::problem!(SignupError {
    SignupError::InvalidName(_) => ("invalid_name", Invalid),
    SignupError::InvalidSlug(_) => ("invalid_slug", Invalid),
    SignupError::SlugTaken(_) => ("slug_taken", Conflict),
    SignupError::InvalidEmail(_) => ("invalid_email", Invalid),
    SignupError::WeakPassword(_) => ("weak_password", Invalid),
    SignupError::Infra(e) => (via e),
});

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

/// Why a principal was not authorised for a tenant.
#[derive(Debug, thiserror::Error)]
pub enum AuthorizeError {
    /// The principal no longer matches an active account (deactivated, role or
    /// password changed since the token was issued): authenticate again.
    #[error("the credentials are no longer valid; log in again")]
    Unauthenticated,
    /// Another tenant, or a tenant that does not exist (no existence oracle);
    /// a cross-tenant attempt is recorded in the principal's tenant and the platform log.
    #[error("not found")]
    NotFound,
    /// The tenant is suspended or pending deletion.
    #[error("the tenant is {0}")]
    TenantInactive(SubscriptionStatus),
    /// The platform requires two-factor authentication for this user, who has
    /// not enrolled yet: only `/v1/me/mfa` is open to them.
    #[error("two-factor authentication is required for this account: enrol at /v1/me/mfa")]
    MfaEnrolmentRequired,
    /// An API key of a tenant whose plan no longer includes API keys (a
    /// downgrade): the key is kept, and works again after an upgrade.
    #[error(transparent)]
    UpgradeRequired(#[from] tenantry_domain::UpgradeRequired),
    /// Infrastructure.
    #[error(transparent)]
    Infra(#[from] InfraError),
}
infra_from_store!(AuthorizeError);

crate::problem!(AuthorizeError {
    AuthorizeError::Unauthenticated => ("unauthenticated", Unauthenticated),
    AuthorizeError::NotFound => ("not_found", NotFound),
    AuthorizeError::TenantInactive(_) => ("tenant_inactive", Forbidden),
    AuthorizeError::MfaEnrolmentRequired => ("mfa_enrolment_required", Forbidden),
    AuthorizeError::UpgradeRequired(_) => ("upgrade_required", UpgradeRequired),
    AuthorizeError::Infra(e) => (via e),
});

/// Input of [`Tenantry::create_superuser`].
#[derive(Debug)]
pub struct NewSuperuser {
    /// Email.
    pub email: String,
    /// Name.
    pub name: String,
    /// Password.
    pub password: SecretString,
    /// A TOTP secret the operator holds: the superuser starts with two-factor
    /// authentication enabled (the automation path for scripts; no recovery codes).
    pub totp_secret: Option<tenantry_domain::mfa::TotpSecret>,
}

/// Why a superuser was not created.
#[derive(Debug, thiserror::Error)]
pub enum CreateSuperuserError {
    /// Bad email.
    #[error(transparent)]
    InvalidEmail(#[from] EmailError),
    /// Bad name.
    #[error(transparent)]
    InvalidName(#[from] TextError),
    /// Weak password.
    #[error(transparent)]
    WeakPassword(#[from] PasswordError),
    /// The email is taken.
    #[error("a superuser with this email exists")]
    EmailTaken,
    /// Infrastructure.
    #[error(transparent)]
    Infra(#[from] InfraError),
}
infra_from_store!(CreateSuperuserError);

crate::problem!(CreateSuperuserError {
    CreateSuperuserError::InvalidEmail(_) => ("invalid_email", Invalid),
    CreateSuperuserError::InvalidName(_) => ("invalid_name", Invalid),
    CreateSuperuserError::WeakPassword(_) => ("weak_password", Invalid),
    CreateSuperuserError::EmailTaken => ("email_taken", Conflict),
    CreateSuperuserError::Infra(e) => (via e),
});

/// Everything a tenant owner or a superuser gives to create a tenant.
pub(crate) struct NewTenant {
    pub company: CompanyName,
    pub slug: Slug,
    pub email: Email,
    pub name: PersonName,
    pub password: SecretString,
}

impl Tenantry {
    /// Every permission the policy knows: what system actors and the superuser hold inside a tenant.
    pub(crate) fn all_permissions(&self) -> PermissionSet {
        PermissionSet::of(&self.policy().all().map(|(p, _)| p).collect::<Vec<_>>())
    }

    /// A system actor's scope in one tenant (billing events, timers, signup, invitation links).
    pub(crate) fn system_scope(&self, tenant_id: TenantId, who: SystemActor) -> TenantScope {
        TenantScope::system(tenant_id, who, self.all_permissions())
    }

    /// Public signup (`POST /v1/signup`): creates the tenant in its 14-day trial
    /// with the caller as owner, logged in by an API session.
    pub async fn signup(&self, input: SignupInput) -> Result<SignedUp, SignupError> {
        self.signup_from(input, &ClientInfo::api()).await
    }

    /// [`Tenantry::signup`] from `client`: the owner's first session is of its kind.
    pub async fn signup_from(&self, input: SignupInput, client: &ClientInfo) -> Result<SignedUp, SignupError> {
        let new = NewTenant {
            company: CompanyName::parse(&input.company_name)?,
            slug: Slug::parse(&input.slug)?,
            email: Email::parse(&input.email)?,
            name: PersonName::parse(&input.name)?,
            password: input.password,
        };
        self.check_new_password(&new.password).await??;
        let (tenant, owner) = self.create_tenant_with_owner(new, SystemActor::Signup, None).await?;
        let scope = self.system_scope(tenant.id, SystemActor::Signup);
        let mut tx = self.begin(&scope, Access::Write).await?;
        let session = self.begin_user_session(tx.as_mut(), &owner, client, None, None).await?;
        tx.commit().await?;
        let principal = Principal::User {
            tenant_id: tenant.id,
            user_id: owner.id,
            token_version: owner.token_version,
            session: Some(session.id),
        };
        Ok(SignedUp { tenant: TenantView::from(&tenant), user: UserView::from(&owner), principal })
    }

    /// Creates a tenant, its owner and its trial in one unit of work. The
    /// provider link is made on the way when the provider answers; if it does
    /// not, the tenant is created anyway and linked later (checkout, timers).
    pub(crate) async fn create_tenant_with_owner(
        &self,
        new: NewTenant,
        creator: SystemActor,
        superuser: Option<tenantry_domain::PlatformUserId>,
    ) -> Result<(Tenant, User), SignupError> {
        if self.deps.directory.resolve_slug(&new.slug).await?.is_some() {
            return Err(SignupError::SlugTaken(new.slug.to_string()));
        }
        let hash = self.deps.hasher.hash(&new.password).await.map_err(crate::defaults::hasher_error)?;
        let now = self.now();
        let tenant_id: TenantId = self.new_id()?;
        let scope = match superuser {
            Some(id) => TenantScope::new(tenant_id, Actor::Superuser { id }, self.all_permissions()),
            None => self.system_scope(tenant_id, creator),
        };
        let tenant = Tenant {
            id: tenant_id,
            slug: new.slug.clone(),
            name: new.company,
            created_at: now,
            settings: Default::default(),
            quota_override: Default::default(),
        };
        let owner = User::new(self.new_id()?, tenant_id, new.email, new.name, RoleRef::OWNER, hash, now);
        let (mut sub, started) = Subscription::start_trial(tenant_id, now, self.catalog())
            .map_err(|e| InfraError::Unknown(anyhow::anyhow!("trial: {e}")))?;

        let mut tx = self.begin(&scope, Access::Write).await?;
        match tx.insert_tenant(&tenant).await {
            Err(StoreError::Conflict(_)) => {
                return Err(SignupError::SlugTaken(new.slug.to_string()));
            }
            other => other?,
        }
        tx.insert_user(&owner).await?;
        self.save_subscription(tx.as_mut(), &mut sub).await?;
        let created = self
            .event(&scope, AuditAction::TenantCreated, Some(AuditTarget::Tenant(tenant_id)), AuditOutcome::Success)?
            .with("slug", &tenant.slug)
            .with("owner", owner.id);
        tx.append_audit(&created).await?;
        // A trial's start mails nothing; should it ever, the mails go with the verification.
        let mut mails = self.apply_subscription_events(tx.as_mut(), &scope, &mut sub, &[started]).await?;
        // The owner proves the address with a mailed link (signup and the superuser's creation alike).
        let verification = self.issue_link(tx.as_mut(), &scope, &owner, LinkPurpose::EmailVerification, None).await?;
        mails.push(verification);
        let queued = self.queue_mails(tx.as_mut(), &scope, mails).await?;
        match tx.commit().await {
            Err(StoreError::Conflict(_)) => {
                return Err(SignupError::SlugTaken(new.slug.to_string()));
            }
            other => other?,
        }
        self.deliver(queued).await;
        // The provider is called after the tenant exists, with no unit of work
        // open (issue 18): a slow provider holds no lock; if it does not answer,
        // the tenant is linked later (checkout, timers).
        if let Err(e) = self.link_after_creation(&scope, &tenant, &owner).await {
            tracing::warn!(tenant = %tenant_id, error = %e, "payment provider not reached at signup; the tenant is linked later");
        }
        Ok((tenant, owner))
    }

    /// Makes a new tenant the provider's customer (and its trial the
    /// provider's), then records the link — unless something linked it meanwhile.
    async fn link_after_creation(&self, scope: &TenantScope, tenant: &Tenant, owner: &User) -> Result<(), InfraError> {
        let mut sub = {
            let mut tx = self.begin(scope, Access::Read).await?;
            self.subscription(tx.as_mut()).await?
        };
        if sub.provider.is_some() {
            return Ok(());
        }
        // The customer is kept even when the trial subscription then fails: the
        // trial's end starts the paid plan for that customer (the timers).
        let linked = self
            .link_with_provider(tenant, std::slice::from_ref(owner), &mut sub)
            .await
            .map_err(|e| InfraError::Unavailable(anyhow::anyhow!("payment provider: {e}")));
        if sub.provider.is_some() {
            let mut tx = self.begin(scope, Access::Write).await?;
            let mut current = self.subscription(tx.as_mut()).await?;
            if current.provider.is_none() {
                current.provider = sub.provider;
                self.save_subscription(tx.as_mut(), &mut current).await?;
                tx.commit().await?;
            }
        }
        linked
    }

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
                .verify(&input.password, &user.password_hash)
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
            Some(user) => tx.user(user.id).await?,
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
        let matches = matches && found.as_ref().is_some_and(|f| f.password_hash == user.password_hash);
        let target = Some(AuditTarget::User(user.id));
        let address = tenantry_domain::user::address_key(client.address);
        let refusal = if user.throttle.locked_at(now, &address).is_some() {
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
            event.actor = AuditActor::User(user.id);
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
            user.is_owner() && matches!(sub.state, SubscriptionState::PendingDeletion { .. });
        if !sub.allows_access() && !owner_may_cancel_deletion {
            return Err(LoginError::TenantInactive(sub.status()));
        }
        if user.mfa.as_ref().is_some_and(tenantry_domain::mfa::Mfa::is_enabled) {
            // The second step (`complete_mfa_login`) records the login, or the failure,
            // and begins the session; this principal names none (it authorises nothing).
            let principal =
                Principal::User { tenant_id, user_id: user.id, token_version: user.token_version, session: None };
            return Ok(LoggedIn { principal, user: None, mfa_required: true });
        }
        user.throttle.record_success(&address);
        user.last_login_at = Some(now);
        tx.update_user(&user).await?;
        let session = self.begin_user_session(tx.as_mut(), &user, client, None, None).await?;
        let principal = Principal::User {
            tenant_id,
            user_id: user.id,
            token_version: user.token_version,
            session: Some(session.id),
        };
        tx.add_usage(Month::of(now), UsageDelta { logins: 1, ..UsageDelta::default() }).await?;
        let mut event = self.event(&scope, AuditAction::LoginSucceeded, target, AuditOutcome::Success)?;
        event.actor = AuditActor::User(user.id);
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
        let target = Some(AuditTarget::User(user.id));
        let (until, everywhere) = match user.throttle.record_failure(now, address, &self.config.lockout) {
            FailedLogin::LockedNow { until } => (until, true),
            FailedLogin::LockedForAddress { until } => (until, false),
            FailedLogin::Counted { .. } | FailedLogin::AlreadyLocked { .. } => return Ok(Vec::new()),
        };
        let mut locked = self.event(scope, AuditAction::AccountLocked, target, AuditOutcome::Success)?;
        locked.actor = AuditActor::User(user.id);
        let locked = locked
            .with("until", until.to_rfc3339())
            .with("for", if everywhere { "all_addresses" } else { "one_address" });
        tx.append_audit(&locked).await?;
        if !everywhere {
            return Ok(Vec::new());
        }
        let tenant = self.tenant_row(tx).await?;
        Ok(vec![Mail {
            to: user.email.clone(),
            tenant: Some(Self::mail_tenant(&tenant)),
            message: Message::AccountLocked { until },
        }])
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
        let session = self.begin_superuser_session(su.id, client).await?.ok_or(LoginError::InvalidCredentials)?.id;
        Ok(LoggedIn {
            principal: Principal::Superuser { id: su.id, token_version: su.token_version, session: Some(session) },
            user: None,
            mfa_required: false,
        })
    }

    /// [`Tenantry::authorize`] for a tenant named by its slug (the web pages'
    /// `/app/{slug}`): a slug that names no tenant answers `NotFound`, like
    /// another tenant's (which is audited as a cross-tenant attempt).
    pub async fn authorize_slug(&self, principal: &Principal, slug: &str) -> Result<TenantScope, AuthorizeError> {
        let Ok(slug) = Slug::parse(slug) else { return Err(AuthorizeError::NotFound) };
        let Some(tenant_id) = self.deps.directory.resolve_slug(&slug).await? else {
            return Err(AuthorizeError::NotFound);
        };
        self.authorize(principal, tenant_id).await
    }

    /// The caller's own tenant, as a person: a user's, or the one the superuser
    /// impersonates. Anyone else (the superuser as such, an API key) gets
    /// `NotFound`: there is no person's tenant to act in.
    pub async fn authorize_person(&self, principal: &Principal) -> Result<TenantScope, AuthorizeError> {
        match principal {
            Principal::User { tenant_id, .. } | Principal::Impersonation { tenant_id, .. } => {
                self.authorize(principal, *tenant_id).await
            }
            _ => Err(AuthorizeError::NotFound),
        }
    }

    /// The authorisation step: a verified principal asks to act in `tenant_id`.
    ///
    /// **Only pass a principal whose token signature you verified** (the HTTP
    /// layer's JWT or API-key check). A `Principal` is a claim, not a proof: it
    /// carries no secret, and its ids may be visible to others (for example in
    /// audit logs). Whoever can make `authorize` accept an unverified principal
    /// can act as anyone.
    ///
    /// A user of another tenant gets `NotFound` — exactly what a missing tenant
    /// gets — and the attempt is written to the user's own tenant log and the
    /// platform log (DESIGN.md wall 3). A deactivated user, or a token from
    /// before a role or password change, gets `Unauthenticated`. The superuser
    /// gets owner-level permissions inside the tenant, audited as a platform action.
    pub async fn authorize(&self, principal: &Principal, tenant_id: TenantId) -> Result<TenantScope, AuthorizeError> {
        match *principal {
            Principal::User { tenant_id: own, user_id, token_version, .. } => {
                if own != tenant_id {
                    let actor = Actor::User { user_id, role: RoleRef::Builtin(tenantry_domain::BuiltinRole::Viewer) };
                    self.record_cross_tenant_attempt(own, actor, tenant_id).await;
                    return Err(AuthorizeError::NotFound);
                }
                let probe = self.system_scope(tenant_id, SystemActor::Login);
                let mut tx = self.begin(&probe, Access::Read).await?;
                let Some(user) = tx.user(user_id).await? else {
                    return Err(AuthorizeError::Unauthenticated);
                };
                if !user.is_active() || user.token_version != token_version {
                    return Err(AuthorizeError::Unauthenticated);
                }
                self.check_user_session(tx.as_mut(), principal, &user).await?;
                if !user.mfa.as_ref().is_some_and(tenantry_domain::mfa::Mfa::is_enabled)
                    && self.platform_settings().await?.mfa_required_for(user.role)
                {
                    // Mandatory 2FA: only `/v1/me/mfa` (which does not come through here) is open.
                    return Err(AuthorizeError::MfaEnrolmentRequired);
                }
                let sub = self.subscription(tx.as_mut()).await?;
                let owner_may_cancel_deletion =
                    user.is_owner() && matches!(sub.state, SubscriptionState::PendingDeletion { .. });
                if !sub.allows_access() && !owner_may_cancel_deletion {
                    return Err(AuthorizeError::TenantInactive(sub.status()));
                }
                let mut permissions =
                    self.role_permissions(tx.as_mut(), user.role).await?.unwrap_or(PermissionSet::EMPTY);
                if owner_may_cancel_deletion {
                    // Deletion deactivates the tenant at once: the owner keeps only
                    // what reading the profile, cancelling the deletion and taking
                    // the data out need.
                    let kept = PermissionSet::of(&[builtin::TENANT_READ, builtin::TENANT_DELETE, builtin::DATA_MANAGE]);
                    permissions = permissions.intersection(&kept);
                }
                Ok(TenantScope::new(tenant_id, Actor::User { user_id, role: user.role }, permissions))
            }
            Principal::ApiKey { tenant_id: own, key_id, secret_hash } => {
                // The key is checked in its own tenant first: a made-up key gets 401 and
                // writes nothing anywhere.
                let probe = self.system_scope(own, SystemActor::Login);
                let mut tx = self.begin(&probe, Access::Read).await?;
                let key = match tx.api_key(key_id).await? {
                    Some(key) if key.is_active() && key.secret_hash.same_as(&secret_hash) => key,
                    _ => return Err(AuthorizeError::Unauthenticated),
                };
                if own != tenant_id {
                    drop(tx);
                    self.record_cross_tenant_attempt(own, Actor::ApiKey { key_id, role: key.role }, tenant_id).await;
                    return Err(AuthorizeError::NotFound);
                }
                let sub = self.subscription(tx.as_mut()).await?;
                if !sub.allows_access() {
                    return Err(AuthorizeError::TenantInactive(sub.status()));
                }
                self.catalog().entitles(sub.plan_kind(), &tenantry_domain::Feature::api_keys())?;
                let permissions = self.role_permissions(tx.as_mut(), key.role).await?.unwrap_or(PermissionSet::EMPTY);
                Ok(TenantScope::new(tenant_id, Actor::ApiKey { key_id, role: key.role }, permissions))
            }
            Principal::Impersonation {
                tenant_id: own, user_id, user_version, superuser, superuser_version, ..
            } => {
                if own != tenant_id {
                    return Err(AuthorizeError::NotFound);
                }
                let mut ptx = self.deps.store.begin_platform().await?;
                let operator = ptx
                    .superuser(superuser)
                    .await?
                    .is_some_and(|su| su.active && su.token_version == superuser_version);
                drop(ptx);
                if !operator {
                    return Err(AuthorizeError::Unauthenticated);
                }
                let probe = self.system_scope(tenant_id, SystemActor::Login);
                let mut tx = self.begin(&probe, Access::Read).await?;
                let Some(user) = tx.user(user_id).await? else { return Err(AuthorizeError::Unauthenticated) };
                if !user.is_active() || user.token_version != user_version {
                    return Err(AuthorizeError::Unauthenticated);
                }
                self.check_user_session(tx.as_mut(), principal, &user).await?;
                let sub = self.subscription(tx.as_mut()).await?;
                if !sub.allows_access() {
                    return Err(AuthorizeError::TenantInactive(sub.status()));
                }
                let permissions = impersonation_permissions(
                    self.role_permissions(tx.as_mut(), user.role).await?.unwrap_or(PermissionSet::EMPTY),
                );
                Ok(TenantScope::new(
                    tenant_id,
                    Actor::Impersonation { user_id, role: user.role, superuser },
                    permissions,
                ))
            }
            Principal::Superuser { id, .. } => {
                self.authorize_platform(principal).await?;
                let scope = TenantScope::new(tenant_id, Actor::Superuser { id }, self.all_permissions());
                let mut tx = self.begin(&scope, Access::Write).await?;
                if tx.tenant().await?.is_none() {
                    return Err(AuthorizeError::NotFound);
                }
                let event = self.event(
                    &scope,
                    AuditAction::PlatformAccess,
                    Some(AuditTarget::Tenant(tenant_id)),
                    AuditOutcome::Success,
                )?;
                self.commit_audited_in_both(tx, event).await?;
                Ok(scope)
            }
        }
    }

    /// The end of a support session before its time (the web's Stop): its
    /// session ends at once (the token opens nothing from then on), recorded in
    /// the tenant's log and the platform log, as its start was.
    pub async fn end_impersonation(&self, principal: &Principal) -> Result<(), ImpersonationError> {
        let Principal::Impersonation { tenant_id, user_id, session: Some(sid), .. } = *principal else {
            return Err(ImpersonationError::NotFound);
        };
        let scope = self.authorize(principal, tenant_id).await.map_err(|e| match e {
            AuthorizeError::Infra(e) => ImpersonationError::Infra(e),
            _ => ImpersonationError::NotFound,
        })?;
        let event = self.event(
            &scope,
            AuditAction::ImpersonationEnded,
            Some(AuditTarget::User(user_id)),
            AuditOutcome::Success,
        )?;
        let mut tx = self.begin(&scope, Access::Write).await?;
        if let Some(mut session) = tx.session(sid).await? {
            session.end(self.now(), tenantry_domain::session::SessionEnd::Stopped);
            tx.update_session(&session).await?;
        }
        self.commit_audited_in_both(tx, event).await?;
        Ok(())
    }

    /// `POST /v1/admin/tenants/{tid}/impersonate`: the superuser (already
    /// authorised into the tenant) acts as one active user for `minutes` (1 to
    /// 60; 30 by default) — explicitly, audited in the tenant's log and the
    /// platform log, and with the user's role minus billing, security and data
    /// rights ([`IMPERSONATION_DENIED`]). The HTTP layer signs a token that ends
    /// at `until`.
    pub async fn impersonate(
        &self,
        scope: &TenantScope,
        user_id: UserId,
        minutes: Option<u32>,
    ) -> Result<Impersonation, ImpersonationError> {
        let Actor::Superuser { id } = *scope.actor() else { return Err(ImpersonationError::NotFound) };
        let minutes = minutes.unwrap_or(30);
        if !(1..=60).contains(&minutes) {
            return Err(ImpersonationError::InvalidMinutes);
        }
        let mut ptx = self.deps.store.begin_platform().await?;
        let superuser_version = ptx
            .superuser(id)
            .await?
            .filter(|su| su.active)
            .map(|su| su.token_version)
            .ok_or(ImpersonationError::NotFound)?;
        drop(ptx);
        let now = self.now();
        let until = now + chrono::Duration::minutes(i64::from(minutes));
        let mut tx = self.begin(scope, Access::Write).await?;
        let user = tx.user(user_id).await?.ok_or(ImpersonationError::NotFound)?;
        if !user.is_active() {
            return Err(ImpersonationError::UserInactive);
        }
        // The support session is recorded: it holds until `until`, or until Stop ends it.
        let client = ClientInfo { kind: tenantry_domain::session::SessionKind::Impersonation, ..ClientInfo::api() };
        let session = self.begin_user_session(tx.as_mut(), &user, &client, Some(until), Some(id)).await?;
        let event = self
            .event(scope, AuditAction::ImpersonationStarted, Some(AuditTarget::User(user_id)), AuditOutcome::Success)?
            .with("minutes", minutes)
            .with("until", until.to_rfc3339())
            .with("session", session.id);
        self.commit_audited_in_both(tx, event).await?;
        Ok(Impersonation {
            principal: Principal::Impersonation {
                tenant_id: scope.tenant_id(),
                user_id,
                user_version: user.token_version,
                superuser: id,
                superuser_version,
                session: Some(session.id),
            },
            user: crate::services::views::UserView::from(&user),
            until,
        })
    }

    /// The superuser's authorisation for the platform paths: an active
    /// superuser at the token's version, in a live session of theirs.
    pub async fn authorize_platform(&self, principal: &Principal) -> Result<PlatformScope, AuthorizeError> {
        let Principal::Superuser { id, .. } = *principal else {
            // A tenant user on a platform path: indistinguishable from a missing route.
            return Err(AuthorizeError::NotFound);
        };
        let enrolled = self.authorize_platform_account(principal).await?;
        if self.config.superuser_mfa_required && !enrolled {
            return Err(AuthorizeError::MfaEnrolmentRequired);
        }
        Ok(PlatformScope::new(id))
    }

    /// The superuser's own account (their sessions, their second factor):
    /// [`Tenantry::authorize_platform`] without the mandatory-2FA gate. Answers
    /// whether their two-factor authentication is enabled.
    pub(crate) async fn authorize_platform_account(&self, principal: &Principal) -> Result<bool, AuthorizeError> {
        let Principal::Superuser { id, token_version, .. } = *principal else {
            return Err(AuthorizeError::NotFound);
        };
        let su = {
            let mut tx = self.deps.store.begin_platform().await?;
            tx.superuser(id).await?.filter(|su| su.active && su.token_version == token_version)
        };
        let Some(su) = su else { return Err(AuthorizeError::Unauthenticated) };
        self.check_superuser_session(principal, token_version).await?;
        Ok(su.mfa.as_ref().is_some_and(tenantry_domain::mfa::Mfa::is_enabled))
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
                let scope = TenantScope::new(tenant_id, Actor::User { user_id, role: user.role }, PermissionSet::EMPTY);
                user.end_sessions();
                tx.update_user(&user).await?;
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

    /// Creates a platform superuser (the `create-superuser` command and the
    /// embedded default's bootstrap) through `operator` — more than the
    /// service's own rights: in PostgreSQL the owner's connection
    /// (`DATABASE_ADMIN_URL`), since the service role may not plant a
    /// superuser. Not reachable over HTTP.
    pub async fn create_superuser(
        &self,
        operator: &dyn OperatorStore,
        input: NewSuperuser,
    ) -> Result<tenantry_domain::PlatformUserId, CreateSuperuserError> {
        let email = Email::parse(&input.email)?;
        let name = PersonName::parse(&input.name)?;
        self.check_new_password(&input.password).await??;
        let hash = self.deps.hasher.hash(&input.password).await.map_err(crate::defaults::hasher_error)?;
        let now = self.now();
        let su = PlatformUser {
            id: self.new_id()?,
            email,
            name,
            password_hash: hash,
            active: true,
            throttle: Default::default(),
            token_version: 0,
            created_at: now,
            last_login_at: None,
            mfa: input.totp_secret.map(|secret| tenantry_domain::mfa::Mfa::enrolled(secret, now)),
        };
        let event = AuditEvent {
            id: self.new_id()?,
            at: now,
            tenant_id: None,
            actor: AuditActor::System(SystemActor::Signup),
            action: AuditAction::SuperuserCreated,
            target: Some(AuditTarget::Superuser(su.id)),
            outcome: AuditOutcome::Success,
            details: Default::default(),
        };
        let event = if su.mfa.is_some() { event.with("second_factor", "totp") } else { event };
        match operator.insert_superuser(&su, &event).await {
            Err(StoreError::Conflict(_)) => Err(CreateSuperuserError::EmailTaken),
            other => Ok(other.map(|()| su.id)?),
        }
    }

    /// `tenantry reset-superuser-mfa`: the operator removes the second factor of
    /// the superuser with `email` (a lost device and lost recovery codes); their
    /// sessions end, and where it is mandatory they enrol again at the next
    /// login. Audited. `Ok(false)` for no such superuser.
    pub async fn reset_superuser_mfa(
        &self,
        operator: &dyn OperatorStore,
        email: &str,
    ) -> Result<bool, CreateSuperuserError> {
        let email = Email::parse(email)?;
        let event = AuditEvent {
            id: self.new_id()?,
            at: self.now(),
            tenant_id: None,
            actor: AuditActor::System(SystemActor::Signup),
            action: AuditAction::MfaReset,
            target: None,
            outcome: AuditOutcome::Success,
            details: Default::default(),
        }
        .with("by", "operator");
        Ok(operator.reset_superuser_mfa(&email, &event).await?)
    }

    /// `GET /v1/me`: the caller, their tenant, role and permissions.
    pub async fn me(&self, scope: &TenantScope) -> Result<MeView, MeError> {
        // A user, or the superuser impersonating one (who sees that user's view).
        let Some(user_id) = scope.actor().user_id() else {
            return Err(MeError::NotAUser);
        };
        let mut tx = self.begin(scope, Access::Read).await?;
        let user = tx.user(user_id).await?.ok_or(AccessError::NotFound)?;
        let tenant = self.tenant_row(tx.as_mut()).await?;
        let sub = self.subscription(tx.as_mut()).await?;
        let role_name = self.role_name(tx.as_mut(), user.role).await?;
        Ok(MeView {
            user: UserView::from(&user),
            tenant: TenantView::from(&tenant),
            role_name,
            permissions: self.policy().names_of(scope.permissions()),
            plan: sub.plan_kind(),
            status: sub.status(),
        })
    }
}

/// Why `me` failed.
#[derive(Debug, thiserror::Error)]
pub enum MeError {
    /// The scope's actor is not a tenant user (the superuser or a system actor).
    #[error("only tenant users have a profile here")]
    NotAUser,
    /// Access.
    #[error(transparent)]
    Access(#[from] AccessError),
    /// Infrastructure.
    #[error(transparent)]
    Infra(#[from] InfraError),
}
infra_from_store!(MeError);

crate::problem!(MeError {
    MeError::NotAUser => ("not_a_user", NotFound),
    MeError::Access(e) => (via e),
    MeError::Infra(e) => (via e),
});

/// What an impersonating superuser may not do, whatever the user's role:
/// billing, the tenant's settings, users, invitations and roles, API keys,
/// deletion and ownership, exports and erasure.
pub const IMPERSONATION_DENIED: [tenantry_domain::rbac::Permission; 9] = [
    builtin::TENANT_UPDATE,
    builtin::TENANT_DELETE,
    builtin::OWNERSHIP_TRANSFER,
    builtin::USERS_MANAGE,
    builtin::INVITATIONS_MANAGE,
    builtin::ROLES_MANAGE,
    builtin::BILLING_MANAGE,
    builtin::API_KEYS_MANAGE,
    builtin::DATA_MANAGE,
];

/// A role's permissions as an impersonating superuser holds them.
pub fn impersonation_permissions(mut role: PermissionSet) -> PermissionSet {
    for denied in IMPERSONATION_DENIED {
        role.remove(denied);
    }
    role
}

/// A started impersonation.
#[derive(Debug, Clone)]
pub struct Impersonation {
    /// What the token will carry.
    pub principal: Principal,
    /// The user acted as.
    pub user: crate::services::views::UserView,
    /// When it ends.
    pub until: DateTime<Utc>,
}

/// Why an impersonation was refused. Nothing changed.
#[derive(Debug, thiserror::Error)]
pub enum ImpersonationError {
    /// Not the superuser, or no such user in the tenant.
    #[error("not found")]
    NotFound,
    /// Out of range.
    #[error("`minutes` must be between 1 and 60")]
    InvalidMinutes,
    /// The user cannot sign in.
    #[error("the user is deactivated")]
    UserInactive,
    /// Infrastructure.
    #[error(transparent)]
    Infra(#[from] InfraError),
}
infra_from_store!(ImpersonationError);

crate::problem!(ImpersonationError {
    ImpersonationError::NotFound => ("not_found", NotFound),
    ImpersonationError::InvalidMinutes => ("invalid_minutes", Invalid),
    ImpersonationError::UserInactive => ("user_inactive", Conflict),
    ImpersonationError::Infra(e) => (via e),
});

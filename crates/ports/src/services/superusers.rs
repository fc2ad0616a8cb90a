//! The platform's superusers: creating one, setting one's password and
//! resetting one's second factor (the operator's commands, with the owner's
//! rights), and a superuser's own profile (their name) under `/admin/profile`.

use super::{Tenantry, infra_from_store};
use crate::error::{InfraError, StoreError};
use crate::store::OperatorStore;
use secrecy::SecretString;
use tenantry_domain::audit::{AuditTarget, SystemActor};
use tenantry_domain::email::EmailError;
use tenantry_domain::password::PasswordError;
use tenantry_domain::text::{PersonName, TextError};
use tenantry_domain::user::PlatformUser;
use tenantry_domain::{AuditAction, AuditActor, AuditEvent, AuditOutcome, Email};

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
crate::problem!(CreateSuperuserError {
    CreateSuperuserError::InvalidEmail(_) => ("invalid_email", Invalid),
    CreateSuperuserError::InvalidName(_) => ("invalid_name", Invalid),
    CreateSuperuserError::WeakPassword(_) => ("weak_password", Invalid),
    CreateSuperuserError::EmailTaken => ("email_taken", Conflict),
    CreateSuperuserError::Infra(e) => (via e),
});
infra_from_store!(CreateSuperuserError);

/// A superuser's own profile.
#[derive(Clone, Debug, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SuperuserView {
    /// Their id.
    pub id: tenantry_domain::PlatformUserId,
    /// Their address (changed by the operator).
    pub email: String,
    /// Their name.
    pub name: String,
    /// Whether logins ask for a second factor.
    pub mfa_enabled: bool,
    /// Their last login.
    pub last_login_at: Option<chrono::DateTime<chrono::Utc>>,
}

impl Tenantry {
    /// `/admin/profile`: the calling superuser.
    pub async fn superuser_profile(&self, who: &crate::scope::PlatformScope) -> Result<SuperuserView, InfraError> {
        let mut ptx = self.deps.store.begin_platform().await?;
        let su = ptx.superuser(who.superuser()).await?.ok_or(StoreError::NotFound)?;
        Ok(SuperuserView {
            id: su.id,
            email: su.email.to_string(),
            name: su.name.to_string(),
            mfa_enabled: su.mfa.as_ref().is_some_and(tenantry_domain::mfa::Mfa::is_enabled),
            last_login_at: su.last_login_at,
        })
    }

    /// `POST /admin/profile/name`: the calling superuser's name. Audited in
    /// the platform log (`user.profile_changed`).
    pub async fn rename_superuser(
        &self,
        who: &crate::scope::PlatformScope,
        name: &str,
    ) -> Result<(), CreateSuperuserError> {
        let name = PersonName::parse(name)?;
        let mut ptx = self.deps.store.begin_platform().await?;
        if !ptx.rename_superuser(who.superuser(), &name).await? {
            return Err(InfraError::from(StoreError::NotFound).into());
        }
        let event = self
            .platform_event(who, AuditAction::ProfileChanged, Some(AuditTarget::Superuser(who.superuser())))?
            .with("field", "name");
        ptx.append_platform_audit(&event).await?;
        ptx.commit().await?;
        Ok(())
    }

    /// `tenantry set-superuser-password`: the operator sets the password of
    /// the superuser with `email` (the platform's policy applies); a login
    /// lock is lifted and their sessions end. Audited
    /// (`auth.password_changed`, by the operator). `Ok(false)` for no such
    /// superuser. The service role cannot do this (a superuser's password is
    /// never a service-role write): it takes the owner's rights, as creating one does.
    pub async fn set_superuser_password(
        &self,
        operator: &dyn OperatorStore,
        email: &str,
        password: &SecretString,
    ) -> Result<bool, CreateSuperuserError> {
        let email = Email::parse(email)?;
        self.check_new_password(password).await??;
        let hash = self.deps.hasher.hash(password).await.map_err(crate::defaults::hasher_error)?;
        let event = AuditEvent {
            id: self.new_id()?,
            at: self.now(),
            tenant_id: None,
            actor: AuditActor::System(SystemActor::Signup),
            action: AuditAction::PasswordChanged,
            target: None,
            outcome: AuditOutcome::Success,
            details: Default::default(),
        }
        .with("by", "operator");
        Ok(operator.set_superuser_password(&email, &hash, &event).await?)
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
}

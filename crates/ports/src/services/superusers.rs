//! The platform's superusers: creating one (the operator's command) and resetting one's second factor.

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

impl Tenantry {
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

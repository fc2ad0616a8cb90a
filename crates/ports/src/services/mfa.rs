//! TOTP two-factor authentication (DESIGN.md "Account security"): a user
//! enrols at `/v1/me/mfa` (a secret and its `otpauth://` URL for the
//! authenticator app), confirms with a first code (and receives ten single-use
//! recovery codes, shown once), and from then on a login answers
//! `{mfa_required, mfa_token}` and is finished at `/v1/auth/mfa` with a code or
//! a recovery code. Wrong second factors count as failed logins (five lock the
//! account for fifteen minutes). The superuser may make 2FA mandatory for every
//! user or for built-in roles (platform settings): such a user without 2FA is
//! refused everywhere in the tenant (`mfa_enrolment_required`) until enrolled.

use super::auth::{LoggedIn, LoginError};
use super::views::UserView;
use super::{Tenantry, infra_from_store};
use crate::error::{ErrorKind, InfraError, Problem};
use crate::scope::{Principal, TenantScope};
use crate::store::{Access, Month, UsageDelta};
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use sha2::{Digest, Sha256};
use tenantry_domain::audit::{AuditTarget, SystemActor};
use tenantry_domain::mfa::{self, Mfa, MfaError, RECOVERY_CODES, TotpSecret};
use tenantry_domain::token::TokenHash;
use tenantry_domain::user::FailedLogin;
use tenantry_domain::{AuditAction, AuditActor, AuditOutcome, User};

/// The issuer an authenticator app shows next to the account.
pub const ISSUER: &str = "tenantry";

/// Where a user's two-factor authentication stands.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MfaStatus {
    /// Confirmed: logins ask for a code.
    pub enabled: bool,
    /// Started and waiting for its first code.
    pub pending: bool,
    /// The platform requires it for this user (all users, or the user's role).
    pub required: bool,
    /// Unused recovery codes.
    pub recovery_codes_remaining: u32,
}

/// A started enrolment: what the authenticator app needs. Shown once.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MfaEnrolment {
    /// The secret, base32 (for typing it in).
    #[serde(serialize_with = "expose")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub secret: SecretString,
    /// The `otpauth://totp/...` URL (for a QR code).
    #[serde(serialize_with = "expose")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub otpauth_url: SecretString,
}

/// Recovery codes, shown once (each works once, in place of a code).
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RecoveryCodes {
    /// The codes.
    #[serde(serialize_with = "expose_all")]
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<String>))]
    pub recovery_codes: Vec<SecretString>,
}

fn expose<S: serde::Serializer>(s: &SecretString, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(s.expose_secret())
}

fn expose_all<S: serde::Serializer>(codes: &[SecretString], serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_seq(codes.iter().map(|c| c.expose_secret()))
}

/// Why a two-factor step was refused. Nothing changed (but a wrong code at
/// login counts as a failed login).
#[derive(Debug, thiserror::Error)]
pub enum MfaServiceError {
    /// The code was refused.
    #[error(transparent)]
    Code(MfaError),
    /// Not a tenant user (the superuser and API keys have no 2FA here), or the
    /// account is no longer valid.
    #[error("the credentials are no longer valid; log in again")]
    Unauthenticated,
    /// Enrolled already.
    #[error("two-factor authentication is enabled already")]
    AlreadyEnabled,
    /// No enrolment to confirm, or nothing to disable.
    #[error("two-factor authentication is not enabled")]
    NotEnabled,
    /// The platform requires it for this user: it cannot be turned off.
    #[error("two-factor authentication is required for this account by the platform")]
    Required,
    /// Infrastructure.
    #[error(transparent)]
    Infra(#[from] InfraError),
}
infra_from_store!(MfaServiceError);

impl Problem for MfaServiceError {
    fn code(&self) -> &'static str {
        match self {
            MfaServiceError::Code(MfaError::Malformed) => "invalid_code",
            MfaServiceError::Code(MfaError::Replayed) => "code_used",
            MfaServiceError::Code(_) => "wrong_code",
            MfaServiceError::Unauthenticated => "unauthenticated",
            MfaServiceError::AlreadyEnabled => "mfa_already_enabled",
            MfaServiceError::NotEnabled => "mfa_not_enabled",
            MfaServiceError::Required => "mfa_required",
            MfaServiceError::Infra(e) => e.code(),
        }
    }
    fn kind(&self) -> ErrorKind {
        match self {
            MfaServiceError::Code(_) => ErrorKind::Invalid,
            MfaServiceError::Unauthenticated => ErrorKind::Unauthenticated,
            MfaServiceError::AlreadyEnabled | MfaServiceError::NotEnabled | MfaServiceError::Required => {
                ErrorKind::Conflict
            }
            MfaServiceError::Infra(e) => e.kind(),
        }
    }
}

impl Tenantry {
    /// `n` random bytes from the `TokenGenerator` port (a generated secret, hashed).
    fn random_bytes<const N: usize>(&self) -> Result<[u8; N], InfraError> {
        let secret = self.deps.tokens.secret().map_err(InfraError::Unknown)?;
        let digest = Sha256::digest(secret.expose_secret().as_bytes());
        let mut out = [0u8; N];
        let n = N.min(digest.len());
        out[..n].copy_from_slice(&digest[..n]);
        Ok(out)
    }

    /// The caller's own account, in a write unit of work of their tenant —
    /// without the mandatory-2FA gate (this is where a user enrols).
    async fn own_account(
        &self,
        principal: &Principal,
    ) -> Result<(TenantScope, Box<dyn crate::store::TenantTx>, User), MfaServiceError> {
        let Principal::User { tenant_id, user_id, token_version, .. } = *principal else {
            return Err(MfaServiceError::Unauthenticated);
        };
        let scope = self.system_scope(tenant_id, SystemActor::Login);
        let mut tx = self.begin(&scope, Access::Write).await?;
        match tx.user(user_id).await? {
            Some(user) if user.is_active() && user.token_version == token_version => {
                // The session the token names must hold too (a revoked one opens nothing here either).
                self.check_user_session(tx.as_mut(), principal, &user).await.map_err(|e| match e {
                    super::auth::AuthorizeError::Infra(e) => MfaServiceError::Infra(e),
                    _ => MfaServiceError::Unauthenticated,
                })?;
                Ok((scope, tx, user))
            }
            _ => Err(MfaServiceError::Unauthenticated),
        }
    }

    fn user_event(
        &self,
        scope: &TenantScope,
        user: &User,
        action: AuditAction,
        outcome: AuditOutcome,
    ) -> Result<tenantry_domain::AuditEvent, InfraError> {
        let mut event = self.event(scope, action, Some(AuditTarget::User(user.id)), outcome)?;
        event.actor = AuditActor::User(user.id);
        Ok(event)
    }

    /// `GET /v1/me/mfa`.
    pub async fn mfa_status(&self, principal: &Principal) -> Result<MfaStatus, MfaServiceError> {
        let (_, _, user) = self.own_account(principal).await?;
        let required = self.platform_settings().await?.mfa_required_for(user.role);
        Ok(MfaStatus {
            enabled: user.mfa.as_ref().is_some_and(Mfa::is_enabled),
            pending: user.mfa.as_ref().is_some_and(|m| !m.is_enabled()),
            required,
            recovery_codes_remaining: user
                .mfa
                .as_ref()
                .map_or(0, |m| u32::try_from(m.recovery_remaining()).unwrap_or(u32::MAX)),
        })
    }

    /// `POST /v1/me/mfa`: starts (or restarts) an enrolment with a new secret.
    pub async fn start_mfa(&self, principal: &Principal) -> Result<MfaEnrolment, MfaServiceError> {
        let (_, mut tx, mut user) = self.own_account(principal).await?;
        if user.mfa.as_ref().is_some_and(Mfa::is_enabled) {
            return Err(MfaServiceError::AlreadyEnabled);
        }
        let secret = TotpSecret::from_bytes(self.random_bytes::<20>()?);
        let otpauth_url = mfa::otpauth_url(&secret, ISSUER, user.email.as_str()).map_err(MfaServiceError::Code)?;
        let enrolment = MfaEnrolment { secret: secret.to_base32(), otpauth_url };
        user.mfa = Some(Mfa::start(secret, self.now()));
        tx.update_user(&user).await?;
        tx.commit().await?;
        Ok(enrolment)
    }

    /// `POST /v1/me/mfa/confirm`: the first code from the app turns 2FA on;
    /// answers ten recovery codes (shown once). Audited.
    pub async fn confirm_mfa(&self, principal: &Principal, code: &str) -> Result<RecoveryCodes, MfaServiceError> {
        let (scope, mut tx, mut user) = self.own_account(principal).await?;
        let mut enrolment = user.mfa.clone().ok_or(MfaServiceError::NotEnabled)?;
        let (codes, hashes) = self.recovery_codes()?;
        enrolment.confirm(code, self.now(), hashes).map_err(|e| match e {
            MfaError::AlreadyEnabled => MfaServiceError::AlreadyEnabled,
            other => MfaServiceError::Code(other),
        })?;
        user.mfa = Some(enrolment);
        tx.update_user(&user).await?;
        // Every other session of the account was opened with the password alone: they end.
        let ended = self.end_other_sessions(tx.as_mut(), &user, principal.session()).await?;
        let event = self.user_event(&scope, &user, AuditAction::MfaEnabled, AuditOutcome::Success)?;
        tx.append_audit(&event.with("other_sessions_ended", ended)).await?;
        tx.commit().await?;
        Ok(RecoveryCodes { recovery_codes: codes })
    }

    /// `POST /v1/me/mfa/recovery-codes`: ten new recovery codes for a current
    /// code (the old ones stop working).
    pub async fn renew_recovery_codes(
        &self,
        principal: &Principal,
        code: &str,
    ) -> Result<RecoveryCodes, MfaServiceError> {
        let (scope, mut tx, mut user) = self.own_account(principal).await?;
        let mut enrolment = user.mfa.clone().filter(Mfa::is_enabled).ok_or(MfaServiceError::NotEnabled)?;
        enrolment.verify(code, self.now()).map_err(MfaServiceError::Code)?;
        let (codes, hashes) = self.recovery_codes()?;
        enrolment.replace_recovery(hashes);
        user.mfa = Some(enrolment);
        tx.update_user(&user).await?;
        let event = self.user_event(&scope, &user, AuditAction::MfaRecoveryCodesRenewed, AuditOutcome::Success)?;
        tx.append_audit(&event).await?;
        tx.commit().await?;
        Ok(RecoveryCodes { recovery_codes: codes })
    }

    /// `DELETE /v1/me/mfa`: turns 2FA off with a current code or a recovery
    /// code — unless the platform requires it for the user. Audited.
    pub async fn disable_mfa(&self, principal: &Principal, code: &str) -> Result<(), MfaServiceError> {
        let (scope, mut tx, mut user) = self.own_account(principal).await?;
        let Some(mut enrolment) = user.mfa.clone() else { return Err(MfaServiceError::NotEnabled) };
        if enrolment.is_enabled() {
            if self.platform_settings().await?.mfa_required_for(user.role) {
                return Err(MfaServiceError::Required);
            }
            enrolment.verify(code, self.now()).map_err(MfaServiceError::Code)?;
            let event = self.user_event(&scope, &user, AuditAction::MfaDisabled, AuditOutcome::Success)?;
            tx.append_audit(&event).await?;
        }
        // (An unconfirmed enrolment is simply dropped.)
        user.mfa = None;
        tx.update_user(&user).await?;
        tx.commit().await?;
        Ok(())
    }

    fn recovery_codes(&self) -> Result<(Vec<SecretString>, Vec<TokenHash>), InfraError> {
        let mut codes = Vec::with_capacity(RECOVERY_CODES);
        let mut hashes = Vec::with_capacity(RECOVERY_CODES);
        for _ in 0..RECOVERY_CODES {
            let code = mfa::recovery_code_text(self.random_bytes::<10>()?);
            let hash = mfa::recovery_hash(code.expose_secret())
                .ok_or_else(|| InfraError::Unknown(anyhow::anyhow!("a generated recovery code did not parse")))?;
            codes.push(code);
            hashes.push(hash);
        }
        Ok((codes, hashes))
    }

    /// `POST /v1/auth/mfa`: the login's second step. `pending` is the principal
    /// the first step's `mfa_token` carried (verified by the caller). A wrong
    /// code counts as a failed login; the right one finishes the login.
    pub async fn complete_mfa_login(&self, pending: &Principal, code: &str) -> Result<LoggedIn, LoginError> {
        self.complete_mfa_login_from(pending, code, &super::sessions::ClientInfo::api()).await
    }

    /// [`Tenantry::complete_mfa_login`] from `client`: the session begun is of its kind.
    pub async fn complete_mfa_login_from(
        &self,
        pending: &Principal,
        code: &str,
        client: &super::sessions::ClientInfo,
    ) -> Result<LoggedIn, LoginError> {
        let Principal::User { tenant_id, user_id, token_version, session: None } = *pending else {
            return Err(LoginError::InvalidCredentials);
        };
        let now = self.now();
        let scope = self.system_scope(tenant_id, SystemActor::Login);
        let mut tx = self.begin(&scope, Access::Write).await?;
        let Some(mut user) = tx.user(user_id).await? else { return Err(LoginError::InvalidCredentials) };
        if !user.is_active() || user.token_version != token_version || user.throttle.locked_at(now).is_some() {
            return Err(LoginError::InvalidCredentials);
        }
        let Some(mut enrolment) = user.mfa.clone().filter(Mfa::is_enabled) else {
            return Err(LoginError::InvalidCredentials);
        };
        let recovery_before = enrolment.recovery_remaining();
        if let Err(e) = enrolment.verify(code, now) {
            let reason = match e {
                MfaError::Replayed => "mfa_code_used",
                _ => "wrong_mfa_code",
            };
            let event =
                self.user_event(&scope, &user, AuditAction::LoginFailed, AuditOutcome::Failed)?.with("reason", reason);
            tx.append_audit(&event).await?;
            if let FailedLogin::LockedNow { until } = user.throttle.record_failure(now, &self.config.lockout) {
                let locked = self.user_event(&scope, &user, AuditAction::AccountLocked, AuditOutcome::Success)?;
                tx.append_audit(&locked.with("until", until.to_rfc3339())).await?;
            }
            tx.update_user(&user).await?;
            tx.commit().await?;
            return Err(LoginError::WrongSecondFactor);
        }
        let second = if enrolment.recovery_remaining() < recovery_before { "recovery_code" } else { "totp" };
        user.mfa = Some(enrolment);
        user.throttle.record_success();
        user.last_login_at = Some(now);
        tx.update_user(&user).await?;
        tx.add_usage(Month::of(now), UsageDelta { logins: 1, api_calls: 0 }).await?;
        let event = self
            .user_event(&scope, &user, AuditAction::LoginSucceeded, AuditOutcome::Success)?
            .with("second_factor", second);
        tx.append_audit(&event).await?;
        let session = self.begin_user_session(tx.as_mut(), &user, client, None, None).await?;
        tx.commit().await?;
        Ok(LoggedIn {
            principal: Principal::User {
                tenant_id,
                user_id,
                token_version: user.token_version,
                session: Some(session.id),
            },
            user: Some(UserView::from(&user)),
            mfa_required: false,
        })
    }
}

//! TOTP two-factor authentication (DESIGN.md "Account security"): a user
//! enrols at `/v1/me/mfa` (a secret and its `otpauth://` URL for the
//! authenticator app), confirms with a first code (and receives ten single-use
//! recovery codes, shown once), and from then on a login answers
//! `{mfa_required, mfa_token}` and is finished at `/v1/auth/mfa` with a code or
//! a recovery code. Wrong second factors count as failed logins (five lock the
//! account for fifteen minutes). The superuser may make 2FA mandatory for every
//! user or for built-in roles (platform settings): such a user without 2FA is
//! refused everywhere in the tenant (`mfa_enrolment_required`) until enrolled.
//!
//! The superuser uses the same code and endpoints (issue 18). With
//! `TenantryConfig::superuser_mfa_required` (always on PostgreSQL) a superuser
//! without a confirmed second factor can do nothing but enrol. Their state
//! lives on the platform's store, written through narrow operations that only
//! move it forward (`Mfa::may_follow`); only the operator removes it
//! (`tenantry reset-superuser-mfa`). Starting and removing an enrolment need
//! the account's password; wrong passwords and codes here count toward the
//! lockout like failed logins.

use super::auth::{LoggedIn, LoginError};
use super::views::UserView;
use super::{Tenantry, infra_from_store};
use crate::error::InfraError;
use crate::scope::{Principal, TenantScope};
use crate::store::{Access, Month, UsageDelta};
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use sha2::{Digest, Sha256};
use tenantry_domain::audit::{AuditTarget, SystemActor};
use tenantry_domain::mfa::{self, Mfa, MfaError, RECOVERY_CODES, TotpSecret};
use tenantry_domain::token::TokenHash;
use tenantry_domain::user::PlatformUser;
use tenantry_domain::{AuditAction, AuditActor, AuditEvent, AuditOutcome, User, UserId};

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
    /// The platform requires it for this user: it cannot be turned off (a
    /// superuser's is removed only by the operator).
    #[error("two-factor authentication is required for this account by the platform")]
    Required,
    /// The account's password was wrong (it counts toward the lockout).
    #[error("the password is wrong")]
    WrongPassword,
    /// No such user in the tenant.
    #[error("not found")]
    NotFound,
    /// Infrastructure.
    #[error(transparent)]
    Infra(#[from] InfraError),
}
infra_from_store!(MfaServiceError);

crate::problem!(MfaServiceError {
    MfaServiceError::Code(MfaError::Malformed) => ("invalid_code", Invalid),
    MfaServiceError::Code(MfaError::Replayed) => ("code_used", Invalid),
    MfaServiceError::Code(MfaError::WrongCode) => ("wrong_code", Invalid),
    MfaServiceError::Code(MfaError::NotEnabled) => ("wrong_code", Invalid),
    MfaServiceError::Code(MfaError::AlreadyEnabled) => ("wrong_code", Invalid),
    MfaServiceError::Code(MfaError::InvalidSecret) => ("wrong_code", Invalid),
    MfaServiceError::Code(MfaError::InvalidLabel) => ("wrong_code", Invalid),
    MfaServiceError::Unauthenticated => ("unauthenticated", Unauthenticated),
    MfaServiceError::AlreadyEnabled => ("mfa_already_enabled", Conflict),
    MfaServiceError::NotEnabled => ("mfa_not_enabled", Conflict),
    MfaServiceError::Required => ("mfa_required", Conflict),
    MfaServiceError::WrongPassword => ("wrong_password", Invalid),
    MfaServiceError::NotFound => ("not_found", NotFound),
    MfaServiceError::Infra(e) => (via e),
});

/// The caller's own account for a two-factor step.
#[allow(clippy::large_enum_variant, reason = "one lives for one request, never in a collection")]
enum Own {
    /// A tenant user, in a write unit of work of their tenant.
    User { scope: TenantScope, tx: Box<dyn crate::store::TenantTx>, user: User },
    /// The superuser (their state is written through the platform's narrow operations).
    Superuser(PlatformUser),
}

impl Own {
    fn mfa(&self) -> Option<&Mfa> {
        match self {
            Own::User { user, .. } => user.mfa().as_ref(),
            Own::Superuser(su) => su.mfa.as_ref(),
        }
    }

    fn email(&self) -> &str {
        match self {
            Own::User { user, .. } => user.email().as_str(),
            Own::Superuser(su) => su.email.as_str(),
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

    /// The caller's own account — without the mandatory-2FA gate (this is
    /// where one enrols): a tenant user in a write unit of work of their
    /// tenant, or the superuser; the session the token names must hold.
    async fn own_account(&self, principal: &Principal) -> Result<Own, MfaServiceError> {
        let unauthenticated = |e: super::auth::AuthorizeError| match e {
            super::auth::AuthorizeError::Infra(e) => MfaServiceError::Infra(e),
            _ => MfaServiceError::Unauthenticated,
        };
        match *principal {
            Principal::User { tenant_id, user_id, token_version, .. } => {
                let scope = self.system_scope(tenant_id, SystemActor::Login);
                let mut tx = self.begin(&scope, Access::Write).await?;
                match tx.user(user_id).await? {
                    Some(user) if user.is_active() && user.token_version() == token_version => {
                        let found = match principal.session() {
                            Some(id) => tx.session(id).await?,
                            None => None,
                        };
                        // Touched in this unit of work: a second writer of the tenant would wait for it.
                        if let Some(touched) =
                            self.check_user_session(found, principal, &user).map_err(unauthenticated)?
                        {
                            tx.update_session(&touched).await?;
                        }
                        Ok(Own::User { scope, tx, user })
                    }
                    _ => Err(MfaServiceError::Unauthenticated),
                }
            }
            Principal::Superuser { id, token_version, .. } => {
                let su = {
                    let mut ptx = self.deps.store.begin_platform().await?;
                    ptx.superuser(id).await?
                };
                match su {
                    Some(su) if su.active && su.token_version == token_version => {
                        self.check_superuser_session(principal, token_version).await.map_err(unauthenticated)?;
                        Ok(Own::Superuser(su))
                    }
                    _ => Err(MfaServiceError::Unauthenticated),
                }
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
    ) -> Result<AuditEvent, InfraError> {
        let mut event = self.event(scope, action, Some(AuditTarget::User(user.id())), outcome)?;
        event.actor = AuditActor::User(user.id());
        Ok(event)
    }

    /// A platform audit event of the superuser about their own account (its
    /// login, lock and second factor), now.
    pub(crate) fn superuser_event(
        &self,
        su: &PlatformUser,
        action: AuditAction,
        outcome: AuditOutcome,
    ) -> Result<AuditEvent, InfraError> {
        Ok(AuditEvent {
            id: self.new_id()?,
            at: self.now(),
            tenant_id: None,
            actor: AuditActor::Superuser(su.id),
            action,
            target: Some(AuditTarget::Superuser(su.id)),
            outcome,
            details: Default::default(),
        })
    }

    /// A wrong password or code at a two-factor step of `own`'s, from
    /// `address`: counted as a failed login (DESIGN.md §3) and audited.
    async fn count_failure(
        &self,
        own: Own,
        reason: &str,
        address: Option<std::net::IpAddr>,
    ) -> Result<(), MfaServiceError> {
        match own {
            Own::User { scope, mut tx, mut user } => {
                let event = self.user_event(&scope, &user, AuditAction::LoginFailed, AuditOutcome::Failed)?;
                tx.append_audit(&event.with("reason", reason)).await?;
                let address = tenantry_domain::user::address_key(address);
                let mails = self.count_login_failure(tx.as_mut(), &scope, &mut user, &address).await?;
                tx.update_user(&user).await?;
                let queued = self.queue_mails(tx.as_mut(), &scope, mails).await?;
                tx.commit().await?;
                self.deliver(queued).await;
            }
            Own::Superuser(su) => {
                let mut ptx = self.deps.store.begin_platform().await?;
                let event = self.superuser_event(&su, AuditAction::LoginFailed, AuditOutcome::Failed)?;
                ptx.append_platform_audit(&event.with("reason", reason)).await?;
                if let Some(until) = ptx.superuser_login_failed(su.id, self.config.lockout).await? {
                    let locked = self.superuser_event(&su, AuditAction::AccountLocked, AuditOutcome::Success)?;
                    ptx.append_platform_audit(&locked.with("until", until.to_rfc3339())).await?;
                }
                ptx.commit().await?;
            }
        }
        Ok(())
    }

    /// The caller's password, checked with no unit of work open; a wrong one
    /// (or a locked account) counts as a failed login and is `WrongPassword`.
    async fn check_own_password(&self, principal: &Principal, password: &SecretString) -> Result<(), MfaServiceError> {
        let (hash, locked) = match self.own_account(principal).await? {
            Own::User { user, .. } => {
                let unknown = tenantry_domain::user::address_key(None);
                (user.password_hash().clone(), user.throttle().locked_at(self.now(), &unknown).is_some())
            }
            Own::Superuser(su) => (su.password_hash.clone(), su.throttle.locked_at(self.now()).is_some()),
        };
        let matches = self.deps.hasher.verify(password, &hash).await.map_err(crate::defaults::hasher_error)?;
        if matches && !locked {
            return Ok(());
        }
        let own = self.own_account(principal).await?;
        self.count_failure(own, "wrong_password", None).await?;
        Err(MfaServiceError::WrongPassword)
    }

    /// Whether an account must have two-factor authentication: a user of
    /// `role`, or (`None`) the superuser.
    async fn mfa_required(&self, role: Option<tenantry_domain::RoleRef>) -> Result<bool, InfraError> {
        Ok(match role {
            Some(role) => self.platform_settings().await?.mfa_required_for(role),
            None => self.config.superuser_mfa_required,
        })
    }

    /// Saves `mfa` as `own`'s confirmed two-factor state after a code was
    /// accepted, with `saved`'s audit event. The superuser's save holds only
    /// if it moves forward (a code works once): otherwise `Replayed`.
    async fn save_mfa(
        &self,
        own: Own,
        mfa: Mfa,
        action: AuditAction,
        keep: Option<tenantry_domain::SessionId>,
    ) -> Result<(), MfaServiceError> {
        let enabling = action == AuditAction::MfaEnabled;
        match own {
            Own::User { scope, mut tx, mut user } => {
                user.keep_mfa(mfa);
                tx.update_user(&user).await?;
                let mut event = self.user_event(&scope, &user, action, AuditOutcome::Success)?;
                if enabling {
                    // Every other session of the account was opened with the password alone: they end.
                    let ended = self.end_other_sessions(tx.as_mut(), &user, keep).await?;
                    event = event.with("other_sessions_ended", ended);
                }
                tx.append_audit(&event).await?;
                tx.commit().await?;
            }
            Own::Superuser(su) => {
                let mut ptx = self.deps.store.begin_platform().await?;
                if !ptx.save_superuser_mfa(su.id, &mfa).await? {
                    return Err(MfaServiceError::Code(MfaError::Replayed));
                }
                let mut event = self.superuser_event(&su, action, AuditOutcome::Success)?;
                if enabling {
                    let mut ended = 0u32;
                    for other in ptx.superuser_sessions(su.id).await? {
                        if Some(other.id()) != keep
                            && ptx
                                .end_superuser_session(other.id(), tenantry_domain::session::SessionEnd::Superseded)
                                .await?
                        {
                            ended += 1;
                        }
                    }
                    event = event.with("other_sessions_ended", ended);
                }
                ptx.append_platform_audit(&event).await?;
                ptx.commit().await?;
            }
        }
        Ok(())
    }

    /// `GET /v1/me/mfa`.
    pub async fn mfa_status(&self, principal: &Principal) -> Result<MfaStatus, MfaServiceError> {
        let own = self.own_account(principal).await?;
        let (role, mfa) = match own {
            Own::User { user, .. } => (Some(user.role()), user.mfa().clone()),
            Own::Superuser(su) => (None, su.mfa),
        };
        let required = self.mfa_required(role).await?;
        let mfa = mfa.as_ref();
        Ok(MfaStatus {
            enabled: mfa.is_some_and(Mfa::is_enabled),
            pending: mfa.is_some_and(|m| !m.is_enabled()),
            required,
            recovery_codes_remaining: mfa.map_or(0, |m| u32::try_from(m.recovery_remaining()).unwrap_or(u32::MAX)),
        })
    }

    /// `POST /v1/me/mfa`: starts (or restarts) an enrolment with a new secret;
    /// needs the account's password.
    pub async fn start_mfa(
        &self,
        principal: &Principal,
        password: &SecretString,
    ) -> Result<MfaEnrolment, MfaServiceError> {
        self.check_own_password(principal, password).await?;
        let own = self.own_account(principal).await?;
        if own.mfa().is_some_and(Mfa::is_enabled) {
            return Err(MfaServiceError::AlreadyEnabled);
        }
        let secret = TotpSecret::from_bytes(self.random_bytes::<20>()?);
        let otpauth_url = mfa::otpauth_url(&secret, ISSUER, own.email()).map_err(MfaServiceError::Code)?;
        let enrolment = MfaEnrolment { secret: secret.to_base32(), otpauth_url };
        match own {
            Own::User { mut tx, mut user, .. } => {
                user.keep_mfa(Mfa::start(secret, self.now()));
                tx.update_user(&user).await?;
                tx.commit().await?;
            }
            Own::Superuser(su) => {
                let mut ptx = self.deps.store.begin_platform().await?;
                if !ptx.begin_superuser_mfa(su.id, &secret).await? {
                    return Err(MfaServiceError::AlreadyEnabled);
                }
                ptx.commit().await?;
            }
        }
        Ok(enrolment)
    }

    /// `POST /v1/me/mfa/confirm`: the first code from the app turns 2FA on;
    /// answers ten recovery codes (shown once); the account's other sessions
    /// end. A wrong code counts toward the lockout. Audited.
    pub async fn confirm_mfa(&self, principal: &Principal, code: &str) -> Result<RecoveryCodes, MfaServiceError> {
        let own = self.own_account(principal).await?;
        let mut enrolment = own.mfa().cloned().ok_or(MfaServiceError::NotEnabled)?;
        let (codes, hashes) = self.recovery_codes()?;
        match enrolment.confirm(code, self.now(), hashes) {
            Ok(()) => {}
            Err(MfaError::AlreadyEnabled) => return Err(MfaServiceError::AlreadyEnabled),
            Err(MfaError::Malformed) => return Err(MfaServiceError::Code(MfaError::Malformed)),
            Err(other) => {
                self.count_failure(own, "wrong_mfa_code", None).await?;
                return Err(MfaServiceError::Code(other));
            }
        }
        self.save_mfa(own, enrolment, AuditAction::MfaEnabled, principal.session()).await?;
        Ok(RecoveryCodes { recovery_codes: codes })
    }

    /// `POST /v1/me/mfa/recovery-codes`: ten new recovery codes for a current
    /// code (the old ones stop working). A wrong code counts toward the lockout.
    pub async fn renew_recovery_codes(
        &self,
        principal: &Principal,
        code: &str,
    ) -> Result<RecoveryCodes, MfaServiceError> {
        let own = self.own_account(principal).await?;
        let mut enrolment = own.mfa().cloned().filter(Mfa::is_enabled).ok_or(MfaServiceError::NotEnabled)?;
        if let Err(e) = enrolment.verify(code, self.now()) {
            if e != MfaError::Malformed {
                self.count_failure(own, "wrong_mfa_code", None).await?;
            }
            return Err(MfaServiceError::Code(e));
        }
        let (codes, hashes) = self.recovery_codes()?;
        enrolment.replace_recovery(hashes);
        self.save_mfa(own, enrolment, AuditAction::MfaRecoveryCodesRenewed, None).await?;
        Ok(RecoveryCodes { recovery_codes: codes })
    }

    /// `DELETE /v1/me/mfa`: turns 2FA off with the password and a current code
    /// or a recovery code — unless the platform requires it for the user (a
    /// superuser's is removed by the operator only). Wrong ones count toward
    /// the lockout. Audited.
    pub async fn disable_mfa(
        &self,
        principal: &Principal,
        password: &SecretString,
        code: &str,
    ) -> Result<(), MfaServiceError> {
        if matches!(principal, Principal::Superuser { .. }) {
            // (Checked first: nothing to count for a request that can never succeed.)
            self.own_account(principal).await?;
            return Err(MfaServiceError::Required);
        }
        self.check_own_password(principal, password).await?;
        let Own::User { scope, mut tx, mut user } = self.own_account(principal).await? else {
            return Err(MfaServiceError::Required);
        };
        let required = self.mfa_required(Some(user.role())).await?;
        let Some(mut enrolment) = user.mfa().clone() else { return Err(MfaServiceError::NotEnabled) };
        if enrolment.is_enabled() {
            if required {
                return Err(MfaServiceError::Required);
            }
            if let Err(e) = enrolment.verify(code, self.now()) {
                if e != MfaError::Malformed {
                    self.count_failure(Own::User { scope, tx, user }, "wrong_mfa_code", None).await?;
                }
                return Err(MfaServiceError::Code(e));
            }
            let event = self.user_event(&scope, &user, AuditAction::MfaDisabled, AuditOutcome::Success)?;
            tx.append_audit(&event).await?;
        }
        // (An unconfirmed enrolment is simply dropped.)
        user.remove_mfa();
        tx.update_user(&user).await?;
        tx.commit().await?;
        Ok(())
    }

    /// `DELETE /v1/admin/tenants/{tid}/users/{uid}/mfa`: the superuser removes
    /// a user's two-factor authentication (a lost device and lost recovery
    /// codes, identity checked out of band). The user's sessions end; they log
    /// in with their password and, where the platform requires it, enrol
    /// again. Audited in the tenant's log and the platform's.
    pub async fn reset_user_mfa(&self, scope: &TenantScope, user_id: UserId) -> Result<(), MfaServiceError> {
        if !matches!(scope.actor(), crate::scope::Actor::Superuser { .. }) {
            return Err(MfaServiceError::NotFound);
        }
        let mut tx = self.begin(scope, Access::Write).await?;
        let mut user = tx.user(user_id).await?.ok_or(MfaServiceError::NotFound)?;
        if user.mfa().is_none() {
            return Err(MfaServiceError::NotEnabled);
        }
        user.remove_mfa();
        user.end_sessions();
        tx.update_user(&user).await?;
        let event =
            self.event(scope, AuditAction::MfaReset, Some(AuditTarget::User(user_id)), AuditOutcome::Success)?;
        self.commit_audited_in_both(tx, event).await?;
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
        if let Principal::Superuser { id, token_version, session: None } = *pending {
            return self.complete_superuser_mfa_login(id, token_version, code, client).await;
        }
        let Principal::User { tenant_id, user_id, token_version, session: None } = *pending else {
            return Err(LoginError::InvalidCredentials);
        };
        let now = self.now();
        let scope = self.system_scope(tenant_id, SystemActor::Login);
        let mut tx = self.begin(&scope, Access::Write).await?;
        let Some(mut user) = tx.user(user_id).await? else { return Err(LoginError::InvalidCredentials) };
        let address = tenantry_domain::user::address_key(client.address);
        if !user.is_active()
            || user.token_version() != token_version
            || user.throttle().locked_at(now, &address).is_some()
        {
            return Err(LoginError::InvalidCredentials);
        }
        let Some(mut enrolment) = user.mfa().clone().filter(Mfa::is_enabled) else {
            return Err(LoginError::InvalidCredentials);
        };
        let recovery_before = enrolment.recovery_remaining();
        if let Err(e) = enrolment.verify(code, now) {
            let reason = match e {
                MfaError::Replayed => "mfa_code_used",
                _ => "wrong_mfa_code",
            };
            self.count_failure(Own::User { scope, tx, user }, reason, client.address).await.map_err(login_error)?;
            return Err(LoginError::WrongSecondFactor);
        }
        let second = if enrolment.recovery_remaining() < recovery_before { "recovery_code" } else { "totp" };
        user.keep_mfa(enrolment);
        user.record_login(now, &address);
        tx.update_user(&user).await?;
        tx.add_usage(Month::of(now), UsageDelta { logins: 1, ..UsageDelta::default() }).await?;
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
                token_version: user.token_version(),
                session: Some(session.id()),
            },
            user: Some(UserView::from(&user)),
            mfa_required: false,
        })
    }

    /// The superuser's second step: the code is checked here and its use saved
    /// through the platform's forward-only operation (so a code works once,
    /// even for logins racing with it); the login is then recorded as the
    /// password step records one without a second factor.
    async fn complete_superuser_mfa_login(
        &self,
        id: tenantry_domain::PlatformUserId,
        token_version: u32,
        code: &str,
        client: &super::sessions::ClientInfo,
    ) -> Result<LoggedIn, LoginError> {
        let now = self.now();
        let su = {
            let mut ptx = self.deps.store.begin_platform().await?;
            ptx.superuser(id).await?
        };
        let Some(su) =
            su.filter(|su| su.active && su.token_version == token_version && su.throttle.locked_at(now).is_none())
        else {
            return Err(LoginError::InvalidCredentials);
        };
        let Some(mut enrolment) = su.mfa.clone().filter(Mfa::is_enabled) else {
            return Err(LoginError::InvalidCredentials);
        };
        let recovery_before = enrolment.recovery_remaining();
        let verified = enrolment.verify(code, now);
        let mut ptx = self.deps.store.begin_platform().await?;
        let saved = verified.is_ok() && ptx.save_superuser_mfa(id, &enrolment).await?;
        if !saved {
            drop(ptx);
            let reason = match verified {
                Err(MfaError::Replayed) | Ok(()) => "mfa_code_used",
                _ => "wrong_mfa_code",
            };
            self.count_failure(Own::Superuser(su), reason, client.address).await.map_err(login_error)?;
            return Err(LoginError::WrongSecondFactor);
        }
        if !ptx.superuser_login_succeeded(id, token_version).await? {
            return Err(LoginError::InvalidCredentials);
        }
        let second = if enrolment.recovery_remaining() < recovery_before { "recovery_code" } else { "totp" };
        let event = self.superuser_event(&su, AuditAction::LoginSucceeded, AuditOutcome::Success)?;
        ptx.append_platform_audit(&event.with("second_factor", second)).await?;
        ptx.commit().await?;
        let session = self.begin_superuser_session(id, client).await?.ok_or(LoginError::InvalidCredentials)?.id();
        Ok(LoggedIn {
            principal: crate::scope::Principal::Superuser { id, token_version, session: Some(session) },
            user: None,
            mfa_required: false,
        })
    }
}

/// A failure while counting a failed login, as the login answers it.
fn login_error(e: MfaServiceError) -> LoginError {
    match e {
        MfaServiceError::Infra(e) => LoginError::Infra(e),
        _ => LoginError::InvalidCredentials,
    }
}

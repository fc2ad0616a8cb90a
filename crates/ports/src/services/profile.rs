//! A user's own profile (issue 24): their name, and their password with the
//! current one. Only the person themselves: an API key, the superuser and a
//! support session acting as the user are refused (404, as for anything that
//! is not theirs).

use super::sessions::ClientInfo;
use super::views::UserView;
use super::{AccessError, Tenantry, infra_from_store};
use crate::error::InfraError;
use crate::scope::{Actor, Principal, TenantScope};
use crate::store::Access;
use secrecy::SecretString;
use tenantry_domain::audit::AuditTarget;
use tenantry_domain::password::PasswordError;
use tenantry_domain::text::{PersonName, TextError};
use tenantry_domain::{AuditAction, AuditOutcome, User, UserId};

/// Why a change to one's own profile was refused. Nothing changed.
#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    /// Not a user acting for themselves.
    #[error(transparent)]
    Access(#[from] AccessError),
    /// The name as written.
    #[error(transparent)]
    InvalidName(#[from] TextError),
    /// The current password given is not the account's.
    #[error("the current password is not right")]
    WrongPassword,
    /// The new password breaks the platform's policy.
    #[error(transparent)]
    WeakPassword(#[from] PasswordError),
    /// Infrastructure.
    #[error(transparent)]
    Infra(#[from] InfraError),
}
infra_from_store!(ProfileError);

crate::problem!(ProfileError {
    ProfileError::Access(e) => (via e),
    ProfileError::InvalidName(_) => ("invalid_name", Invalid),
    ProfileError::WrongPassword => ("wrong_password", Invalid),
    ProfileError::WeakPassword(_) => ("weak_password", Invalid),
    ProfileError::Infra(e) => (via e),
});

/// The user a scope is, when it is a user acting for themselves.
fn own(scope: &TenantScope) -> Result<UserId, AccessError> {
    match scope.actor() {
        Actor::User { user_id, .. } => Ok(*user_id),
        _ => Err(AccessError::NotFound),
    }
}

impl Tenantry {
    /// `PATCH /v1/me`: the caller's display name. Audited (`user.profile_changed`).
    pub async fn rename_me(&self, scope: &TenantScope, name: &str) -> Result<UserView, ProfileError> {
        let id = own(scope)?;
        let name = PersonName::parse(name)?;
        let mut tx = self.begin(scope, Access::Write).await?;
        let mut user = tx.user(id).await?.filter(User::is_active).ok_or(AccessError::NotFound)?;
        user.rename(name);
        tx.update_user(&user).await?;
        let event = self
            .event(scope, AuditAction::ProfileChanged, Some(AuditTarget::User(id)), AuditOutcome::Success)?
            .with("field", "name");
        tx.append_audit(&event).await?;
        tx.commit().await?;
        Ok(UserView::from(&user))
    }

    /// `POST /v1/me/password`: a new password, with the current one. Every
    /// session of the account ends (its other browsers and clients); the
    /// caller goes on in a new session of `client`'s kind, answered. A wrong
    /// current password is audited as failed. The passwords are hashed and
    /// checked with no unit of work open.
    pub async fn change_my_password(
        &self,
        scope: &TenantScope,
        current: &SecretString,
        new: &SecretString,
        client: &ClientInfo,
    ) -> Result<Principal, ProfileError> {
        let id = own(scope)?;
        self.check_new_password(new).await??;
        let hash = {
            let mut tx = self.begin(scope, Access::Read).await?;
            tx.user(id).await?.filter(User::is_active).ok_or(AccessError::NotFound)?.password_hash().clone()
        };
        let right = self.deps.hasher.verify(current, &hash).await.map_err(crate::defaults::hasher_error)?;
        if !right {
            let mut tx = self.begin(scope, Access::Write).await?;
            let event = self
                .event(scope, AuditAction::PasswordChanged, Some(AuditTarget::User(id)), AuditOutcome::Failed)?
                .with("reason", "wrong_password");
            tx.append_audit(&event).await?;
            tx.commit().await?;
            return Err(ProfileError::WrongPassword);
        }
        let new_hash = self.deps.hasher.hash(new).await.map_err(crate::defaults::hasher_error)?;
        let mut tx = self.begin(scope, Access::Write).await?;
        let mut user = tx.user(id).await?.filter(User::is_active).ok_or(AccessError::NotFound)?;
        if user.password_hash() != &hash {
            // Changed meanwhile (another tab, a reset link): this change was made from a stale state.
            return Err(ProfileError::WrongPassword);
        }
        user.set_password(new_hash);
        tx.update_user(&user).await?;
        let session = self.begin_user_session(tx.as_mut(), &user, client, None, None).await?;
        let event =
            self.event(scope, AuditAction::PasswordChanged, Some(AuditTarget::User(id)), AuditOutcome::Success)?;
        tx.append_audit(&event).await?;
        tx.commit().await?;
        Ok(Principal::User {
            tenant_id: scope.tenant_id(),
            user_id: id,
            token_version: user.token_version(),
            session: Some(session.id()),
        })
    }
}

//! A user's own profile (issue 24): their name; their password, with the
//! current one; their address, moved only by a link sent to the new one (the
//! old one is told); their language and time zone. Only the person
//! themselves: an API key, the superuser and a support session acting as the
//! user are refused (404, as for anything that is not theirs).

use super::sessions::ClientInfo;
use super::views::UserView;
use super::{AccessError, Tenantry, infra_from_store};
use crate::error::InfraError;
use crate::scope::{Actor, Principal, TenantScope};
use crate::store::Access;
use crate::system::{Mail, Message};
use secrecy::SecretString;
use tenantry_domain::audit::AuditTarget;
use tenantry_domain::email::EmailError;
use tenantry_domain::password::PasswordError;
use tenantry_domain::password_reset::LinkPurpose;
use tenantry_domain::preferences::{Language, PreferenceError, Preferences, TimeZone};
use tenantry_domain::text::{PersonName, TextError};
use tenantry_domain::{AuditAction, AuditOutcome, Email, User, UserId};

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
    /// The new address as written.
    #[error(transparent)]
    InvalidEmail(#[from] EmailError),
    /// The new address is the account's already.
    #[error("that is your address already")]
    SameEmail,
    /// Another account of the workspace has the new address.
    #[error("another account of this workspace uses that address")]
    EmailTaken,
    /// A language or time zone tenantry does not know.
    #[error(transparent)]
    InvalidPreference(#[from] PreferenceError),
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
    ProfileError::InvalidEmail(_) => ("invalid_email", Invalid),
    ProfileError::SameEmail => ("same_email", Invalid),
    ProfileError::EmailTaken => ("email_taken", Conflict),
    ProfileError::InvalidPreference(_) => ("invalid_preference", Invalid),
    ProfileError::Infra(e) => (via e),
});

/// A change of one's language and time zone (`PATCH /v1/me`): each field
/// left out stays; an empty text clears it (back to the workspace's).
#[derive(Clone, Debug, Default)]
pub struct PreferencesPatch {
    /// `en`, `nl`, or empty.
    pub language: Option<String>,
    /// An IANA name, or empty.
    pub time_zone: Option<String>,
}

impl PreferencesPatch {
    /// Whether it changes nothing.
    pub fn is_empty(&self) -> bool {
        self.language.is_none() && self.time_zone.is_none()
    }

    /// `current` with the patch applied, or why not.
    pub fn apply(&self, current: Preferences) -> Result<Preferences, PreferenceError> {
        fn pick<T>(
            given: Option<&String>,
            now: Option<T>,
            parse: impl Fn(&str) -> Result<T, PreferenceError>,
        ) -> Result<Option<T>, PreferenceError> {
            match given.map(|t| t.trim()) {
                None => Ok(now),
                Some("") => Ok(None),
                Some(t) => parse(t).map(Some),
            }
        }
        Ok(Preferences {
            language: pick(self.language.as_ref(), current.language, Language::parse)?,
            time_zone: pick(self.time_zone.as_ref(), current.time_zone, TimeZone::parse)?,
        })
    }
}

/// The user a scope is, when it is a user acting for themselves.
fn own(scope: &TenantScope) -> Result<UserId, AccessError> {
    match scope.actor() {
        Actor::User { user_id, .. } => Ok(*user_id),
        _ => Err(AccessError::NotFound),
    }
}

impl Tenantry {
    /// `PATCH /v1/me` with a name only: the caller's display name.
    pub async fn rename_me(&self, scope: &TenantScope, name: &str) -> Result<UserView, ProfileError> {
        self.update_me(scope, Some(name), &PreferencesPatch::default()).await
    }

    /// `PATCH /v1/me`: the caller's display name and preferences (language,
    /// time zone), in one unit of work — a refused field changes nothing.
    /// Audited (`user.profile_changed`, naming the fields changed).
    pub async fn update_me(
        &self,
        scope: &TenantScope,
        name: Option<&str>,
        patch: &PreferencesPatch,
    ) -> Result<UserView, ProfileError> {
        let id = own(scope)?;
        let name = name.map(PersonName::parse).transpose()?;
        let mut tx = self.begin(scope, Access::Write).await?;
        let mut user = tx.user(id).await?.filter(User::is_active).ok_or(AccessError::NotFound)?;
        let chosen = patch.apply(user.preferences())?;
        if name.is_none() && patch.is_empty() {
            return Ok(UserView::from(&user));
        }
        let mut event =
            self.event(scope, AuditAction::ProfileChanged, Some(AuditTarget::User(id)), AuditOutcome::Success)?;
        if let Some(name) = name {
            user.rename(name);
            event = event.with("field", "name");
        }
        if patch.language.is_some() {
            event = event.with("language", chosen.language.map_or("", Language::tag));
        }
        if patch.time_zone.is_some() {
            event = event.with("time_zone", chosen.time_zone.map_or("", TimeZone::name));
        }
        user.choose(chosen);
        tx.update_user(&user).await?;
        tx.append_audit(&event).await?;
        tx.commit().await?;
        Ok(UserView::from(&user))
    }

    /// `POST /v1/me/email`: asks to move the caller's account to `new_email`,
    /// with the current password. A link goes to the new address (it moves
    /// the account when followed, within a day; an earlier link is void) and
    /// the old address is told. Audited (`user.email_change_requested`; a
    /// wrong password as failed). At most one pair of mails a minute: asking
    /// again sooner answers the same and mails nothing.
    pub async fn request_email_change(
        &self,
        scope: &TenantScope,
        new_email: &str,
        password: &SecretString,
    ) -> Result<(), ProfileError> {
        let id = own(scope)?;
        let new_email = Email::parse(new_email)?;
        let hash = {
            let mut tx = self.begin(scope, Access::Read).await?;
            tx.user(id).await?.filter(User::is_active).ok_or(AccessError::NotFound)?.password_hash().clone()
        };
        let right = self.deps.hasher.verify(password, &hash).await.map_err(crate::defaults::hasher_error)?;
        let mut tx = self.begin(scope, Access::Write).await?;
        let user = tx.user(id).await?.filter(User::is_active).ok_or(AccessError::NotFound)?;
        if !right || user.password_hash() != &hash {
            let event = self
                .event(scope, AuditAction::EmailChangeRequested, Some(AuditTarget::User(id)), AuditOutcome::Failed)?
                .with("reason", "wrong_password");
            tx.append_audit(&event).await?;
            tx.commit().await?;
            return Err(ProfileError::WrongPassword);
        }
        if user.email() == &new_email {
            return Err(ProfileError::SameEmail);
        }
        if tx.user_by_email(&new_email).await?.is_some() {
            return Err(ProfileError::EmailTaken);
        }
        let minute = self.now().timestamp().div_euclid(60);
        if !tx.mark(&format!("mail:email_change:{id}:{minute}"), self.now()).await? {
            return Ok(());
        }
        tx.expire_links_of(id, LinkPurpose::EmailChange, self.now()).await?;
        let action = Some(AuditAction::EmailChangeRequested);
        let confirm = self.issue_link_to(tx.as_mut(), scope, &user, new_email.clone(), action).await?;
        let tenant = Some(Self::mail_tenant(&self.tenant_row(tx.as_mut()).await?));
        let told =
            Mail::new(user.email().clone(), tenant, Message::EmailChangeRequested { new_email: new_email.to_string() })
                .read_by(user.preferences());
        let queued = self.queue_mails(tx.as_mut(), scope, [confirm, told]).await?;
        tx.commit().await?;
        self.deliver(queued).await;
        Ok(())
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
        // An address change asked for by whoever had the old password is void.
        tx.expire_links_of(id, LinkPurpose::EmailChange, self.now()).await?;
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

//! Sessions (issue 18; OAuth 2.0 Security BCP): each login makes one, every
//! token names it, and authorisation checks it on every request — so one
//! session can end without the others (a logout, a revoke from the list), a
//! refresh token rotates and its reuse ends its session, and a browser's
//! session ends when idle. "Sign out everywhere", a password change and a
//! deactivation move the account's token version on, which ends them all.
//!
//! A tenant user's sessions (and the superuser's support sessions as one of
//! them) live in the tenant's store; the superuser's own in the platform's,
//! written through its narrow operations.

use super::Tenantry;
use super::auth::AuthorizeError;
use crate::error::{InfraError, StoreError};
use crate::scope::Principal;
use crate::store::{Access, TenantTx};
use chrono::{DateTime, Utc};
use serde::Serialize;
use tenantry_domain::audit::{AuditTarget, SystemActor};
use tenantry_domain::session::{RefreshError, Session, SessionEnd, SessionKind, SessionOwner};
use tenantry_domain::{AuditAction, AuditActor, AuditEvent, AuditOutcome, PlatformUserId, SessionId, TenantId, User};

/// Who is logging in from where, as the HTTP layer saw it: the session's kind
/// (an API client's tokens or a browser's cookie), the user agent and the
/// client's address (kept as its network only).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientInfo {
    /// API tokens or a browser cookie.
    pub kind: SessionKind,
    /// The `User-Agent`.
    pub user_agent: Option<String>,
    /// The client's address (the socket's, or a trusted proxy's `X-Forwarded-For`).
    pub address: Option<std::net::IpAddr>,
}

impl ClientInfo {
    /// An API client about which nothing is known (tests, embedders).
    pub fn api() -> Self {
        Self { kind: SessionKind::Api, user_agent: None, address: None }
    }
}

/// One session as its owner sees it in the list.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SessionView {
    /// Its id (`DELETE /v1/me/sessions/{id}` ends it).
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Uuid))]
    pub id: SessionId,
    /// API tokens, a browser, or a support session.
    pub kind: SessionKind,
    /// The session this request comes from.
    pub current: bool,
    /// When it began.
    pub created_at: DateTime<Utc>,
    /// When it was last used (to the minute).
    pub last_used_at: DateTime<Utc>,
    /// When it ends at the latest.
    pub expires_at: DateTime<Utc>,
    /// The client's user agent.
    pub user_agent: Option<String>,
    /// The client's network (`203.0.113.0/24`).
    pub address: Option<String>,
}

impl SessionView {
    fn of(s: &Session, current: Option<SessionId>) -> Self {
        SessionView {
            id: s.id(),
            kind: s.kind(),
            current: current == Some(s.id()),
            created_at: s.created_at(),
            last_used_at: s.last_used_at(),
            expires_at: s.expires_at(),
            user_agent: s.user_agent().clone(),
            address: s.address().clone(),
        }
    }
}

/// Why a session operation was refused.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// The token is not (or no longer) valid.
    #[error("the session has ended; log in again")]
    Ended,
    /// A refresh token was used a second time: its session has ended, with every token of it.
    #[error("this refresh token was used before: the session has ended; log in again")]
    Reused,
    /// No such session of the caller's.
    #[error("not found")]
    NotFound,
    /// Infrastructure.
    #[error(transparent)]
    Infra(#[from] InfraError),
}
super::infra_from_store!(SessionError);

impl From<AuthorizeError> for SessionError {
    fn from(e: AuthorizeError) -> Self {
        match e {
            AuthorizeError::Infra(e) => SessionError::Infra(e),
            AuthorizeError::NotFound => SessionError::NotFound,
            _ => SessionError::Ended,
        }
    }
}

crate::problem!(SessionError {
    SessionError::Ended => ("unauthenticated", Unauthenticated),
    SessionError::Reused => ("refresh_token_reused", Unauthenticated),
    SessionError::NotFound => ("not_found", NotFound),
    SessionError::Infra(e) => (via e),
});

impl Tenantry {
    /// A new session of `user`, written in `tx` (committed with the login).
    pub(crate) async fn begin_user_session(
        &self,
        tx: &mut dyn TenantTx,
        user: &User,
        client: &ClientInfo,
        until: Option<DateTime<Utc>>,
        impersonator: Option<PlatformUserId>,
    ) -> Result<Session, InfraError> {
        let session = Session::begin(
            self.new_id()?,
            SessionOwner::User(user.id()),
            client.kind,
            user.token_version(),
            self.now(),
            until,
            client.user_agent.as_deref(),
            client.address,
        )
        .with_impersonator(impersonator);
        tx.insert_session(&session).await?;
        Ok(session)
    }

    /// A new session of the superuser `id` (the platform's store dates it).
    pub(crate) async fn begin_superuser_session(
        &self,
        id: PlatformUserId,
        client: &ClientInfo,
    ) -> Result<Option<Session>, InfraError> {
        let mut ptx = self.deps.store.begin_platform().await?;
        let user_agent = client.user_agent.as_deref().map(tenantry_domain::session::user_agent_text);
        let address = client.address.map(tenantry_domain::session::address_prefix);
        let session = ptx.start_superuser_session(self.new_id()?, id, client.kind, user_agent, address).await?;
        ptx.commit().await?;
        Ok(session)
    }

    /// Whether `principal`'s session holds for `user` now — `found` is the
    /// session its token names, as read in the caller's unit of work: a session
    /// of this user (a support session only for the impersonation naming it),
    /// not ended, at the user's token version, neither idle nor past its end. A
    /// browser's is touched (once a minute at most): then it is answered, for
    /// the caller to save (in its own write unit of work, or after its read).
    pub(crate) fn check_user_session(
        &self,
        found: Option<Session>,
        principal: &Principal,
        user: &User,
    ) -> Result<Option<Session>, AuthorizeError> {
        let (id, impersonator) = match *principal {
            Principal::User { session: Some(id), .. } => (id, None),
            Principal::Impersonation { session: Some(id), superuser, .. } => (id, Some(superuser)),
            _ => return Err(AuthorizeError::Unauthenticated),
        };
        let now = self.now();
        let Some(mut session) = found.filter(|s| s.id() == id) else { return Err(AuthorizeError::Unauthenticated) };
        let support = session.kind() == SessionKind::Impersonation;
        if session.owner() != SessionOwner::User(user.id())
            || support != impersonator.is_some()
            || session.impersonator() != impersonator
            || !session.is_live(now, user.token_version())
        {
            return Err(AuthorizeError::Unauthenticated);
        }
        Ok((session.kind() == SessionKind::Web && session.touch(now)).then_some(session))
    }

    /// Saves a touched session in a write unit of work of its own.
    pub(crate) async fn save_touched(&self, tenant: TenantId, session: &Session) -> Result<(), InfraError> {
        let scope = self.system_scope(tenant, SystemActor::Login);
        let mut write = self.begin(&scope, Access::Write).await?;
        write.update_session(session).await?;
        write.commit().await?;
        Ok(())
    }

    /// Whether the superuser's `principal` names a live session of theirs at
    /// `token_version` (read in the platform's store). A browser's is touched.
    pub(crate) async fn check_superuser_session(
        &self,
        principal: &Principal,
        token_version: u32,
    ) -> Result<(), AuthorizeError> {
        let Principal::Superuser { id, session: Some(sid), .. } = *principal else {
            return Err(AuthorizeError::Unauthenticated);
        };
        let mut ptx = self.deps.store.begin_platform().await?;
        let Some(session) = ptx.superuser_session(sid).await? else { return Err(AuthorizeError::Unauthenticated) };
        let now = self.now();
        if session.owner() != SessionOwner::Superuser(id) || !session.is_live(now, token_version) {
            return Err(AuthorizeError::Unauthenticated);
        }
        if session.kind() == SessionKind::Web && now - session.last_used_at() >= chrono::Duration::minutes(1) {
            ptx.touch_superuser_session(sid).await?;
            ptx.commit().await?;
        }
        Ok(())
    }

    /// `POST /v1/auth/refresh`: a refresh token of generation `generation` of
    /// `principal`'s session is exchanged for the next generation (the HTTP
    /// layer signs the new pair). A token exchanged before ends the session —
    /// every token of it — and the reuse is audited.
    pub async fn refresh(&self, principal: &Principal, generation: u32) -> Result<u32, SessionError> {
        match *principal {
            Principal::User { tenant_id, user_id, token_version, session: Some(sid) } => {
                let scope = self.system_scope(tenant_id, SystemActor::Login);
                let mut tx = self.begin(&scope, Access::Write).await?;
                let user = tx.user(user_id).await?.filter(|u| u.is_active() && u.token_version() == token_version);
                let (Some(user), Some(mut session)) = (user, tx.session(sid).await?) else {
                    return Err(SessionError::Ended);
                };
                if session.owner() != SessionOwner::User(user_id) || session.kind() != SessionKind::Api {
                    return Err(SessionError::Ended);
                }
                match session.rotate(generation, self.now(), user.token_version()) {
                    Ok(next) => {
                        tx.update_session(&session).await?;
                        tx.commit().await?;
                        Ok(next)
                    }
                    Err(RefreshError::Ended) => Err(SessionError::Ended),
                    Err(RefreshError::Reused) => {
                        tx.update_session(&session).await?;
                        let mut event = self
                            .event(
                                &scope,
                                AuditAction::RefreshReused,
                                Some(AuditTarget::User(user_id)),
                                AuditOutcome::Denied,
                            )?
                            .with("session", sid);
                        event.actor = AuditActor::User(user_id);
                        tx.append_audit(&event).await?;
                        tx.commit().await?;
                        Err(SessionError::Reused)
                    }
                }
            }
            Principal::Superuser { id, session: Some(sid), .. } => {
                let mut ptx = self.deps.store.begin_platform().await?;
                let owned = ptx
                    .superuser_session(sid)
                    .await?
                    .is_some_and(|s| s.owner() == SessionOwner::Superuser(id) && s.kind() == SessionKind::Api);
                if !owned {
                    return Err(SessionError::Ended);
                }
                match ptx.rotate_superuser_session(sid, generation).await? {
                    Ok(next) => {
                        ptx.commit().await?;
                        Ok(next)
                    }
                    Err(RefreshError::Ended) => Err(SessionError::Ended),
                    Err(RefreshError::Reused) => {
                        let event = AuditEvent {
                            id: self.new_id()?,
                            at: self.now(),
                            tenant_id: None,
                            actor: AuditActor::Superuser(id),
                            action: AuditAction::RefreshReused,
                            target: Some(AuditTarget::Superuser(id)),
                            outcome: AuditOutcome::Denied,
                            details: Default::default(),
                        }
                        .with("session", sid);
                        ptx.append_platform_audit(&event).await?;
                        ptx.commit().await?;
                        Err(SessionError::Reused)
                    }
                }
            }
            _ => Err(SessionError::Ended),
        }
    }

    /// `GET /v1/me/sessions`: the caller's sessions that hold, newest first,
    /// the current one marked.
    pub async fn sessions(&self, principal: &Principal) -> Result<Vec<SessionView>, SessionError> {
        let current = principal.session();
        let now = self.now();
        match *principal {
            Principal::User { tenant_id, user_id, .. } => {
                self.authorize_own_account(principal, tenant_id).await?;
                let scope = self.system_scope(tenant_id, SystemActor::Login);
                let mut tx = self.begin(&scope, Access::Read).await?;
                let user = tx.user(user_id).await?.ok_or(SessionError::Ended)?;
                let list = tx.sessions_of(user_id).await?;
                Ok(list
                    .iter()
                    .filter(|s| s.is_live(now, user.token_version()))
                    .map(|s| SessionView::of(s, current))
                    .collect())
            }
            Principal::Superuser { id, .. } => {
                self.authorize_platform_account(principal).await?;
                let mut ptx = self.deps.store.begin_platform().await?;
                let version = ptx.superuser(id).await?.map(|su| su.token_version).ok_or(SessionError::Ended)?;
                let list = ptx.superuser_sessions(id).await?;
                Ok(list.iter().filter(|s| s.is_live(now, version)).map(|s| SessionView::of(s, current)).collect())
            }
            _ => Err(SessionError::NotFound),
        }
    }

    /// `DELETE /v1/me/sessions/{id}`: ends one of the caller's own sessions
    /// (another's id is `NotFound`). Audited.
    pub async fn end_session(&self, principal: &Principal, id: SessionId) -> Result<(), SessionError> {
        self.end_one_session(principal, id, SessionEnd::Revoked).await
    }

    /// Ends session `id` of the caller's account for `why` (their logout, or a
    /// revoke from the list).
    pub(crate) async fn end_one_session(
        &self,
        principal: &Principal,
        id: SessionId,
        why: SessionEnd,
    ) -> Result<(), SessionError> {
        let action = if why == SessionEnd::LoggedOut { AuditAction::LoggedOut } else { AuditAction::SessionRevoked };
        match *principal {
            Principal::User { tenant_id, user_id, .. } => {
                self.authorize_own_account(principal, tenant_id).await?;
                let scope = self.system_scope(tenant_id, SystemActor::Login);
                let mut tx = self.begin(&scope, Access::Write).await?;
                let mut session = tx
                    .session(id)
                    .await?
                    .filter(|s| s.owner() == SessionOwner::User(user_id) && s.ended().is_none())
                    .ok_or(SessionError::NotFound)?;
                session.end(self.now(), why);
                tx.update_session(&session).await?;
                let mut event = self.event(&scope, action, Some(AuditTarget::User(user_id)), AuditOutcome::Success)?;
                event.actor = AuditActor::User(user_id);
                tx.append_audit(&event.with("session", id)).await?;
                tx.commit().await?;
                Ok(())
            }
            Principal::Superuser { id: su, .. } => {
                self.authorize_platform_account(principal).await?;
                let who = crate::scope::PlatformScope::new(su);
                let mut ptx = self.deps.store.begin_platform().await?;
                let owned = ptx.superuser_session(id).await?.is_some_and(|s| s.owner() == SessionOwner::Superuser(su));
                if !owned || !ptx.end_superuser_session(id, why).await? {
                    return Err(SessionError::NotFound);
                }
                ptx.append_platform_audit(&self.platform_event(&who, action, None)?.with("session", id)).await?;
                ptx.commit().await?;
                Ok(())
            }
            _ => Err(SessionError::NotFound),
        }
    }

    /// The caller's own account, authorised as the caller (a user who must
    /// still enrol in mandatory 2FA may manage their sessions too).
    async fn authorize_own_account(
        &self,
        principal: &Principal,
        tenant_id: tenantry_domain::TenantId,
    ) -> Result<(), SessionError> {
        match self.authorize(principal, tenant_id).await {
            Ok(_) | Err(AuthorizeError::MfaEnrolmentRequired) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// Ends every other live session of `user` (enabling two-factor
    /// authentication, or a password reset, supersedes them), in `tx`.
    pub(crate) async fn end_other_sessions(
        &self,
        tx: &mut dyn TenantTx,
        user: &User,
        keep: Option<SessionId>,
    ) -> Result<u32, StoreError> {
        let now = self.now();
        let mut ended = 0;
        for mut session in tx.sessions_of(user.id()).await? {
            if Some(session.id()) != keep && session.ended().is_none() {
                session.end(now, SessionEnd::Superseded);
                tx.update_session(&session).await?;
                ended += 1;
            }
        }
        Ok(ended)
    }
}

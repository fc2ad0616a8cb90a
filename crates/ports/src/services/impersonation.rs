//! Impersonation: the superuser acting as one user, for a few minutes, with the user's role minus what only the user may do.

use super::sessions::ClientInfo;
use super::{Tenantry, infra_from_store};
use crate::error::InfraError;
use crate::scope::{Actor, Principal, TenantScope};
use crate::services::auth::AuthorizeError;
use crate::store::Access;
use chrono::{DateTime, Utc};
use tenantry_domain::audit::AuditTarget;
use tenantry_domain::rbac::{PermissionSet, builtin};
use tenantry_domain::{AuditAction, AuditOutcome, UserId};

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

impl Tenantry {
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
            .with("session", session.id());
        self.commit_audited_in_both(tx, event).await?;
        Ok(Impersonation {
            principal: Principal::Impersonation {
                tenant_id: scope.tenant_id(),
                user_id,
                user_version: user.token_version(),
                superuser: id,
                superuser_version,
                session: Some(session.id()),
            },
            user: crate::services::views::UserView::from(&user),
            until,
        })
    }
}

crate::problem!(ImpersonationError {
    ImpersonationError::NotFound => ("not_found", NotFound),
    ImpersonationError::InvalidMinutes => ("invalid_minutes", Invalid),
    ImpersonationError::UserInactive => ("user_inactive", Conflict),
    ImpersonationError::Infra(e) => (via e),
});

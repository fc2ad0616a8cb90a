//! The authorisation step that turns a verified [`Principal`] into a [`TenantScope`] — wall 3's check that the token's tenant is the path's tenant lives here, so every adapter gets it the same way — and the caller's own view (`me`).

use super::views::{MeView, TenantView, UserView};
use super::{AccessError, Tenantry, infra_from_store};
use crate::error::InfraError;
use crate::scope::{Actor, PlatformScope, Principal, TenantScope};
use crate::store::{Access, AuthorizationRead, TenantTx};
use tenantry_domain::audit::{AuditTarget, SystemActor};
use tenantry_domain::rbac::{CustomRole, PermissionSet, builtin};
use tenantry_domain::session::Session;
use tenantry_domain::subscription::SubscriptionState;
use tenantry_domain::{AuditAction, AuditOutcome, RoleRef, Slug, SubscriptionStatus, TenantId};

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
crate::problem!(AuthorizeError {
    AuthorizeError::Unauthenticated => ("unauthenticated", Unauthenticated),
    AuthorizeError::NotFound => ("not_found", NotFound),
    AuthorizeError::TenantInactive(_) => ("tenant_inactive", Forbidden),
    AuthorizeError::MfaEnrolmentRequired => ("mfa_enrolment_required", Forbidden),
    AuthorizeError::UpgradeRequired(_) => ("upgrade_required", UpgradeRequired),
    AuthorizeError::Infra(e) => (via e),
});
infra_from_store!(AuthorizeError);

/// `scope`, marked when its tenant waits for its payment method (the
/// `required` trial policy): the use cases then refuse all but the few that
/// end the wait (`payment_method_required`).
fn gated(scope: TenantScope, sub: &tenantry_domain::Subscription) -> TenantScope {
    if sub.awaits_payment_method() { scope.awaiting_payment_method() } else { scope }
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
crate::problem!(MeError {
    MeError::NotAUser => ("not_a_user", NotFound),
    MeError::Access(e) => (via e),
    MeError::Infra(e) => (via e),
});
infra_from_store!(MeError);

impl Tenantry {
    /// Every permission the policy knows: what system actors and the superuser hold inside a tenant.
    pub(crate) fn all_permissions(&self) -> PermissionSet {
        PermissionSet::of(&self.policy().all().map(|(p, _)| p).collect::<Vec<_>>())
    }

    /// A system actor's scope in one tenant (billing events, timers, signup, invitation links).
    pub(crate) fn system_scope(&self, tenant_id: TenantId, who: SystemActor) -> TenantScope {
        TenantScope::system(tenant_id, who, self.all_permissions())
    }

    /// [`Tenantry::authorize`] for a tenant named by its slug (the web pages'
    /// `/app/{slug}`): a slug that names no tenant answers `NotFound`, like
    /// another tenant's (which is audited as a cross-tenant attempt).
    pub async fn authorize_slug(&self, principal: &Principal, slug: &str) -> Result<TenantScope, AuthorizeError> {
        let tenant_id = self.tenant_of_slug(slug).await?;
        self.authorize(principal, tenant_id).await
    }

    /// [`Tenantry::authorize_to_read`] for a tenant named by its slug.
    pub async fn authorize_slug_to_read(
        &self,
        principal: &Principal,
        slug: &str,
    ) -> Result<TenantScope, AuthorizeError> {
        let tenant_id = self.tenant_of_slug(slug).await?;
        self.authorize_to_read(principal, tenant_id).await
    }

    async fn tenant_of_slug(&self, slug: &str) -> Result<TenantId, AuthorizeError> {
        let Ok(slug) = Slug::parse(slug) else { return Err(AuthorizeError::NotFound) };
        self.deps.directory.resolve_slug(&slug).await?.ok_or(AuthorizeError::NotFound)
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
        self.authorize_keeping(principal, tenant_id, false).await
    }

    /// [`Tenantry::authorize`] for one request that reads: the read unit of work
    /// the caller was authorised in stays open in the scope and serves the
    /// first read unit of work a use case opens with it, so that authorising
    /// and reading take one transaction (on PostgreSQL, what authorising needs
    /// is read in its first round trip). A write lets it go and opens its own.
    /// Until that first read the scope holds a store connection: use it for a
    /// scope that lives for one request (the HTTP layer's `GET`s), and
    /// [`Tenantry::authorize`] for one that is kept.
    pub async fn authorize_to_read(
        &self,
        principal: &Principal,
        tenant_id: TenantId,
    ) -> Result<TenantScope, AuthorizeError> {
        self.authorize_keeping(principal, tenant_id, true).await
    }

    /// The permissions of `role`, a custom one from `custom` (the role read
    /// with the caller); `None` when a custom role is gone.
    fn permissions_of(&self, role: RoleRef, custom: Option<&CustomRole>) -> Option<PermissionSet> {
        match role {
            RoleRef::Builtin(b) => Some(self.policy().builtin(b)),
            RoleRef::Custom(id) => custom.filter(|r| r.id == id).map(|r| self.policy().custom(r)),
        }
    }

    /// The authorised `scope`, keeping `tx` when asked — unless a session's
    /// touch is due: then `tx` is let go first and the touch saved in a unit of
    /// work of its own (a request holds one connection at a time).
    async fn authorized(
        &self,
        tenant_id: TenantId,
        touched: Option<Session>,
        tx: Box<dyn TenantTx>,
        scope: TenantScope,
        keep: bool,
    ) -> Result<TenantScope, AuthorizeError> {
        if let Some(session) = touched {
            drop(tx);
            self.save_touched(tenant_id, &session).await?;
            return Ok(scope);
        }
        Ok(if keep { scope.keeping(tx) } else { scope })
    }

    async fn authorize_keeping(
        &self,
        principal: &Principal,
        tenant_id: TenantId,
        keep: bool,
    ) -> Result<TenantScope, AuthorizeError> {
        let missing = || AuthorizeError::Infra(InfraError::Unknown(anyhow::anyhow!("subscription row missing")));
        match *principal {
            Principal::User { tenant_id: own, user_id, token_version, session, .. } => {
                if own != tenant_id {
                    let actor = Actor::User { user_id, role: RoleRef::Builtin(tenantry_domain::BuiltinRole::Viewer) };
                    self.record_cross_tenant_attempt(own, actor, tenant_id).await;
                    return Err(AuthorizeError::NotFound);
                }
                // Read before the unit of work opens (cached; on a miss it takes a
                // connection of its own): a request never holds one connection
                // while it waits for a second, which a full pool would never give.
                let settings = self.platform_settings().await?;
                let probe = self.system_scope(tenant_id, SystemActor::Login);
                let read = AuthorizationRead { user: Some(user_id), session, api_key: None };
                let (tx, facts) = self.deps.store.begin_authorizing(&probe, Access::Read, &read).await?;
                let Some(user) = facts.user else {
                    return Err(AuthorizeError::Unauthenticated);
                };
                if !user.is_active() || user.token_version() != token_version {
                    return Err(AuthorizeError::Unauthenticated);
                }
                let touched = self.check_user_session(facts.session, principal, &user)?;
                if !user.mfa().as_ref().is_some_and(tenantry_domain::mfa::Mfa::is_enabled)
                    && settings.mfa_required_for(user.role())
                {
                    // Mandatory 2FA: only `/v1/me/mfa` (which does not come through here) is open.
                    return Err(AuthorizeError::MfaEnrolmentRequired);
                }
                let sub = facts.subscription.ok_or_else(missing)?;
                let owner_may_cancel_deletion =
                    user.is_owner() && matches!(sub.state(), SubscriptionState::PendingDeletion { .. });
                if !sub.allows_access() && !owner_may_cancel_deletion {
                    return Err(AuthorizeError::TenantInactive(sub.status()));
                }
                let mut permissions =
                    self.permissions_of(user.role(), facts.custom_role.as_ref()).unwrap_or(PermissionSet::EMPTY);
                if owner_may_cancel_deletion {
                    // Deletion deactivates the tenant at once: the owner keeps only
                    // what reading the profile, cancelling the deletion and taking
                    // the data out need.
                    let kept = PermissionSet::of(&[builtin::TENANT_READ, builtin::TENANT_DELETE, builtin::DATA_MANAGE]);
                    permissions = permissions.intersection(&kept);
                }
                let scope = TenantScope::new(tenant_id, Actor::User { user_id, role: user.role() }, permissions);
                self.authorized(tenant_id, touched, tx, gated(scope, &sub), keep).await
            }
            Principal::ApiKey { tenant_id: own, key_id, secret_hash } => {
                // The key is checked in its own tenant first: a made-up key gets 401 and
                // writes nothing anywhere.
                let probe = self.system_scope(own, SystemActor::Login);
                let read = AuthorizationRead { api_key: Some(key_id), ..Default::default() };
                let (tx, facts) = self.deps.store.begin_authorizing(&probe, Access::Read, &read).await?;
                let key = match facts.api_key {
                    Some(key) if key.is_active() && key.secret_hash().same_as(&secret_hash) => key,
                    _ => return Err(AuthorizeError::Unauthenticated),
                };
                if own != tenant_id {
                    drop(tx);
                    self.record_cross_tenant_attempt(own, Actor::ApiKey { key_id, role: key.role() }, tenant_id).await;
                    return Err(AuthorizeError::NotFound);
                }
                let sub = facts.subscription.ok_or_else(missing)?;
                if !sub.allows_access() {
                    return Err(AuthorizeError::TenantInactive(sub.status()));
                }
                self.catalog().entitles(sub.plan_kind(), &tenantry_domain::Feature::api_keys())?;
                let permissions =
                    self.permissions_of(key.role(), facts.custom_role.as_ref()).unwrap_or(PermissionSet::EMPTY);
                let scope = TenantScope::new(tenant_id, Actor::ApiKey { key_id, role: key.role() }, permissions);
                self.authorized(tenant_id, None, tx, gated(scope, &sub), keep).await
            }
            Principal::Impersonation {
                tenant_id: own,
                user_id,
                user_version,
                superuser,
                superuser_version,
                session,
                ..
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
                let read = AuthorizationRead { user: Some(user_id), session, api_key: None };
                let (tx, facts) = self.deps.store.begin_authorizing(&probe, Access::Read, &read).await?;
                let Some(user) = facts.user else { return Err(AuthorizeError::Unauthenticated) };
                if !user.is_active() || user.token_version() != user_version {
                    return Err(AuthorizeError::Unauthenticated);
                }
                let touched = self.check_user_session(facts.session, principal, &user)?;
                let sub = facts.subscription.ok_or_else(missing)?;
                if !sub.allows_access() {
                    return Err(AuthorizeError::TenantInactive(sub.status()));
                }
                let permissions = impersonation_permissions(
                    self.permissions_of(user.role(), facts.custom_role.as_ref()).unwrap_or(PermissionSet::EMPTY),
                );
                let actor = Actor::Impersonation { user_id, role: user.role(), superuser };
                let scope = gated(TenantScope::new(tenant_id, actor, permissions), &sub);
                self.authorized(tenant_id, touched, tx, scope, keep).await
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
        let role_name = self.role_name(tx.as_mut(), user.role()).await?;
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

// The use cases this module held before it was split (issue 21), at their old paths.
pub use super::impersonation::{IMPERSONATION_DENIED, Impersonation, ImpersonationError, impersonation_permissions};
pub use super::login::{LoggedIn, LoginError, LoginInput};
pub use super::signup::{SignedUp, SignupError, SignupInput, SignupPlan};
pub use super::superusers::{CreateSuperuserError, NewSuperuser};

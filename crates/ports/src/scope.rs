//! Wall 1 of tenant isolation (DESIGN.md section 2): **types**.
//!
//! Every tenant-scoped store method is reached through a unit of work opened
//! with a [`TenantScope`], and a `TenantScope` can only be made inside this crate
//! — by the authorisation step ([`crate::Tenantry::authorize`]), by signup and
//! login, and by the named system paths (billing events, timers, invitation
//! links), each of which acts as an audited system actor scoped to one tenant.
//! There is no other constructor, not even behind a test feature: contract
//! suites and property tests get their scopes by signing up and authorising,
//! like a real client. Forgetting the tenant does not compile.

use crate::store::TenantTx;
use std::sync::{Arc, Mutex};
use tenantry_domain::audit::SystemActor;
use tenantry_domain::rbac::{Permission, PermissionSet};
use tenantry_domain::token::TokenHash;
use tenantry_domain::{ApiKeyId, AuditActor, PlatformUserId, RoleRef, SessionId, TenantId, UserId};

/// Who acts inside a tenant.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Actor {
    /// A user of the tenant with their role.
    User {
        /// The user.
        user_id: UserId,
        /// Their role when the scope was made.
        role: RoleRef,
    },
    /// The platform superuser acting inside this one tenant (audited).
    Superuser {
        /// The operator.
        id: PlatformUserId,
    },
    /// A tenant's API key acting with its (built-in) role.
    ApiKey {
        /// The key.
        key_id: ApiKeyId,
        /// Its role.
        role: RoleRef,
    },
    /// The superuser acting as a user (support impersonation), with the user's
    /// role minus billing, security and data rights.
    Impersonation {
        /// The user acted as.
        user_id: UserId,
        /// Their role.
        role: RoleRef,
        /// The operator.
        superuser: PlatformUserId,
    },
    /// An automatic part of the system (billing events, timers, signup, invitation links).
    System(SystemActor),
}

impl Actor {
    /// How the actor appears in audit events.
    pub fn audit(&self) -> AuditActor {
        match *self {
            Actor::User { user_id, .. } => AuditActor::User(user_id),
            Actor::Superuser { id } => AuditActor::Superuser(id),
            Actor::ApiKey { key_id, .. } => AuditActor::ApiKey(key_id),
            Actor::Impersonation { user_id, superuser, .. } => AuditActor::Impersonation { superuser, user: user_id },
            Actor::System(s) => AuditActor::System(s),
        }
    }

    /// The acting user, if a user acts.
    pub fn user_id(&self) -> Option<UserId> {
        match self {
            Actor::User { user_id, .. } | Actor::Impersonation { user_id, .. } => Some(*user_id),
            _ => None,
        }
    }
}

/// Permission to act inside exactly one tenant, with the actor's permissions.
///
/// No public constructor: see the module documentation. `Clone` is fine (the
/// scope is already authorised); there is no `Deserialize` and no way to change
/// the tenant of an existing scope.
#[derive(Clone, Debug)]
pub struct TenantScope {
    tenant_id: TenantId,
    actor: Actor,
    permissions: PermissionSet,
    kept: KeptWork,
    /// The tenant waits for its payment method (the `required` trial policy).
    awaiting_payment_method: bool,
}

/// The read unit of work a scope was authorised in, kept open for the first
/// read of the request it was made for ([`crate::Tenantry::authorize_to_read`]):
/// the authorisation and the use case's read then share one transaction. Taken
/// once; clones of the scope share it.
#[derive(Clone, Default)]
struct KeptWork(Option<Arc<Slot>>);

/// Where the kept unit of work waits to be taken.
type Slot = Mutex<Option<Box<dyn TenantTx>>>;

impl std::fmt::Debug for KeptWork {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() { "KeptWork(open)" } else { "KeptWork(none)" })
    }
}

impl TenantScope {
    pub(crate) fn new(tenant_id: TenantId, actor: Actor, permissions: PermissionSet) -> Self {
        Self { tenant_id, actor, permissions, kept: KeptWork::default(), awaiting_payment_method: false }
    }

    /// This scope of a tenant that waits for its payment method: every use case
    /// but the few [`crate::Tenantry`] keeps open refuses it (`payment_method_required`).
    pub(crate) fn awaiting_payment_method(mut self) -> Self {
        self.awaiting_payment_method = true;
        self
    }

    /// Whether the tenant waits for its payment method before its trial starts.
    pub fn awaits_payment_method(&self) -> bool {
        self.awaiting_payment_method
    }

    /// This scope with `tx` (a read unit of work of its tenant) kept for its first read.
    pub(crate) fn keeping(mut self, tx: Box<dyn TenantTx>) -> Self {
        self.kept = KeptWork(Some(Arc::new(Mutex::new(Some(tx)))));
        self
    }

    /// The kept unit of work, if it is still there (once).
    pub(crate) fn take_kept(&self) -> Option<Box<dyn TenantTx>> {
        let kept = self.kept.0.as_ref()?;
        kept.lock().unwrap_or_else(|p| p.into_inner()).take()
    }

    /// A system actor's scope with every permission (billing events, timers).
    pub(crate) fn system(tenant_id: TenantId, who: SystemActor, permissions: PermissionSet) -> Self {
        Self::new(tenant_id, Actor::System(who), permissions)
    }

    /// The one tenant this scope reaches.
    pub fn tenant_id(&self) -> TenantId {
        self.tenant_id
    }

    /// Who acts.
    pub fn actor(&self) -> &Actor {
        &self.actor
    }

    /// Whether the actor holds `permission`.
    #[inline]
    pub fn can(&self, permission: Permission) -> bool {
        self.permissions.contains(permission)
    }

    /// The actor's permissions.
    pub fn permissions(&self) -> &PermissionSet {
        &self.permissions
    }
}

/// Permission to act as the platform superuser across tenants — only through the
/// named cross-tenant paths, or by entering one tenant's scope (audited).
#[derive(Clone, Debug)]
pub struct PlatformScope {
    superuser: PlatformUserId,
}

impl PlatformScope {
    pub(crate) fn new(superuser: PlatformUserId) -> Self {
        Self { superuser }
    }

    /// The operator.
    pub fn superuser(&self) -> PlatformUserId {
        self.superuser
    }
}

/// What a verified access token says about its bearer (issued by login; the HTTP
/// layer signs and verifies it). A principal is a *claim*: it grants nothing
/// until [`crate::Tenantry::authorize`] has checked it against the store, and it
/// is no secret — it must only ever be built from a token whose signature was
/// verified, never from request input.
#[derive(Clone, Copy, PartialEq, Eq, Debug, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Principal {
    /// A tenant user.
    User {
        /// Their tenant.
        tenant_id: TenantId,
        /// The user.
        user_id: UserId,
        /// The user's token version when the token was issued.
        token_version: u32,
        /// The session the token names (`None` only for a login's pending
        /// second step, which authorises nothing).
        session: Option<SessionId>,
    },
    /// The platform superuser.
    Superuser {
        /// The operator.
        id: PlatformUserId,
        /// Their token version when the token was issued.
        token_version: u32,
        /// The session the token names (`None` only for a login's pending
        /// second step or enrolment, which authorises nothing else).
        session: Option<SessionId>,
    },
    /// The superuser acting as one user of one tenant (support impersonation):
    /// time-boxed by the token, and ended by either account's token version
    /// moving on.
    Impersonation {
        /// The tenant.
        tenant_id: TenantId,
        /// The user acted as.
        user_id: UserId,
        /// The user's token version when the token was issued.
        user_version: u32,
        /// The operator.
        superuser: PlatformUserId,
        /// The operator's token version when the token was issued.
        superuser_version: u32,
        /// The support session (the user's tenant's), which Stop ends at once.
        session: Option<SessionId>,
    },
    /// A tenant API key, as presented: the key it names and the hash of the
    /// secret it carried (checked against the stored hash by `authorize`).
    ApiKey {
        /// The tenant the key names.
        tenant_id: TenantId,
        /// The key.
        key_id: ApiKeyId,
        /// SHA-256 of the presented secret.
        secret_hash: TokenHash,
    },
}

impl Principal {
    /// The session its token names (an API key has none).
    pub fn session(&self) -> Option<SessionId> {
        match *self {
            Principal::User { session, .. }
            | Principal::Superuser { session, .. }
            | Principal::Impersonation { session, .. } => session,
            Principal::ApiKey { .. } => None,
        }
    }

    /// The tenant the principal belongs to (`None` for the superuser).
    pub fn tenant_id(&self) -> Option<TenantId> {
        match *self {
            Principal::User { tenant_id, .. }
            | Principal::Impersonation { tenant_id, .. }
            | Principal::ApiKey { tenant_id, .. } => Some(tenant_id),
            Principal::Superuser { .. } => None,
        }
    }
}

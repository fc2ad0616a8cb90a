//! The application services: one async method per use case on [`Tenantry`].
//!
//! Every use case follows the same shape: authorise the actor (a
//! [`TenantScope`](crate::TenantScope) carries the permissions; a missing one is
//! refused with `Forbidden` and recorded as an `access.denied` audit event),
//! parse the input into domain types, open one unit of work, load what the
//! rule needs, ask the domain, write the outcome and its audit events, commit,
//! and only then talk to the outside world that cannot take part in the
//! transaction (mail). A use case that fails leaves nothing behind but the
//! audit event or lockout counter it is meant to record.

pub mod admin;
pub mod ads;
pub mod audit;
pub mod auth;
pub mod billing;
pub mod invitations;
pub mod roles;
mod support;
pub mod tenant;
pub mod timers;
pub mod usage;
pub mod users;
pub mod views;

use crate::directory::TenantDirectory;
use crate::error::{ErrorKind, Problem};
use crate::payment::PaymentProvider;
use crate::store::UnitOfWork;
use crate::system::{Clock, IdGenerator, Mailer, PasswordHasher, TokenGenerator};
use std::sync::Arc;
use tenantry_domain::password::{LockoutPolicy, PasswordPolicy};
use tenantry_domain::{PlanCatalog, Policy, SubscriptionStatus, UpgradeRequired};

/// The ports a [`Tenantry`] runs on.
#[derive(Clone)]
pub struct Deps {
    /// Units of work over the tenant and platform tables.
    pub store: Arc<dyn UnitOfWork>,
    /// The named cross-tenant lookups.
    pub directory: Arc<dyn TenantDirectory>,
    /// Stripe or the billing simulator.
    pub payments: Arc<dyn PaymentProvider>,
    /// The time.
    pub clock: Arc<dyn Clock>,
    /// Ids.
    pub ids: Arc<dyn IdGenerator>,
    /// Secrets for links.
    pub tokens: Arc<dyn TokenGenerator>,
    /// Password hashing.
    pub hasher: Arc<dyn PasswordHasher>,
    /// Mail delivery.
    pub mailer: Arc<dyn Mailer>,
}

/// The rules' numbers and the permission model; every field has the DESIGN.md default.
#[derive(Clone, Debug, Default)]
pub struct TenantryConfig {
    /// Plans, prices, trial, grace and retention.
    pub catalog: PlanCatalog,
    /// Permissions and built-in roles (register product permissions here).
    pub policy: Policy,
    /// New-password rules.
    pub password_policy: PasswordPolicy,
    /// Failed-login lockout.
    pub lockout: LockoutPolicy,
}

/// tenantry's application services. Cheap to clone; share one per process.
#[derive(Clone)]
pub struct Tenantry {
    deps: Arc<Deps>,
    config: Arc<TenantryConfig>,
}

impl Tenantry {
    /// Composes the services from ports and configuration.
    pub fn new(deps: Deps, config: TenantryConfig) -> Self {
        Self { deps: Arc::new(deps), config: Arc::new(config) }
    }

    /// The configuration.
    pub fn config(&self) -> &TenantryConfig {
        &self.config
    }

    /// The plan catalog.
    pub fn catalog(&self) -> &PlanCatalog {
        &self.config.catalog
    }

    /// The permission policy.
    pub fn policy(&self) -> &Policy {
        &self.config.policy
    }

    /// The ports (for adapters composed around the services, such as the HTTP layer's readiness check).
    pub fn deps(&self) -> &Deps {
        &self.deps
    }
}

/// Refusals every tenant-scoped use case can give.
#[derive(Debug, thiserror::Error)]
pub enum AccessError {
    /// The resource does not exist in the scope's tenant (also for ids of other
    /// tenants: there is no existence oracle).
    #[error("not found")]
    NotFound,
    /// The actor lacks a permission.
    #[error("this needs the permission `{0}`")]
    Forbidden(String),
    /// The plan lacks a feature.
    #[error(transparent)]
    UpgradeRequired(#[from] UpgradeRequired),
    /// The tenant is suspended or pending deletion.
    #[error("the tenant is {0}")]
    TenantInactive(SubscriptionStatus),
}

impl Problem for AccessError {
    fn code(&self) -> &'static str {
        match self {
            AccessError::NotFound => "not_found",
            AccessError::Forbidden(_) => "forbidden",
            AccessError::UpgradeRequired(_) => "upgrade_required",
            AccessError::TenantInactive(_) => "tenant_inactive",
        }
    }
    fn kind(&self) -> ErrorKind {
        match self {
            AccessError::NotFound => ErrorKind::NotFound,
            AccessError::Forbidden(_) => ErrorKind::Forbidden,
            AccessError::UpgradeRequired(_) => ErrorKind::UpgradeRequired,
            AccessError::TenantInactive(_) => ErrorKind::Forbidden,
        }
    }
}

/// Implements `From<StoreError>` (through [`InfraError`]) for use-case errors
/// that have an `Infra(InfraError)` variant.
macro_rules! infra_from_store {
    ($($error:ty),* $(,)?) => {
        $(
            impl From<$crate::error::StoreError> for $error {
                fn from(e: $crate::error::StoreError) -> Self {
                    Self::Infra(e.into())
                }
            }
        )*
    };
}
pub(crate) use infra_from_store;

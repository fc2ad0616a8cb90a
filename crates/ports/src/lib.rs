//! # tenantry-ports
//!
//! The inside of the hexagon's edge: (a) the **driven ports** — the traits the
//! core needs from the outside world (stores with their unit of work, the
//! named cross-tenant lookups, the payment provider, clock, id and secret
//! generators, password hasher, mailer) — and (b) the **application services**,
//! one async method per use case on [`Tenantry`], each of which authorises the
//! actor, loads state through the ports, asks the domain, and persists the
//! outcome in one unit of work with its audit events.
//!
//! ## Invariants (stated as absences)
//!
//! - This crate depends on **no adapter**: no sqlx, no axum, no stripe. Adapters
//!   depend on it, never the reverse.
//! - There is **no way to reach tenant data without a [`TenantScope`]**, and no
//!   public constructor for one: scopes come out of [`Tenantry::authorize`],
//!   signup, login and the named system paths (billing events, timers) — not
//!   even a test feature adds one.
//! - There is **no general cross-tenant read**: the only paths across tenants
//!   are the named methods of [`TenantDirectory`].
//! - Services **never read the system clock or make randomness** themselves:
//!   they ask the [`Clock`], [`IdGenerator`] and [`TokenGenerator`] ports.

pub mod backup;
pub mod crypto;
pub mod defaults;
pub mod directory;
pub mod error;
pub mod files;
pub mod links;
pub mod payment;
pub mod ratelimit;
pub mod scope;
pub mod services;
pub mod store;
pub mod system;

pub use directory::TenantDirectory;
pub use error::{ErrorKind, InfraError, Problem, StoreError};
pub use payment::PaymentProvider;
pub use ratelimit::{InProcessRateLimiter, Rate, RateDecision, RateLimiter};
pub use scope::{Actor, PlatformScope, Principal, TenantScope};
pub use services::{Deps, Tenantry, TenantryConfig};
pub use store::{PlatformTx, TenantTx, UnitOfWork};
pub use system::{Clock, IdGenerator, Mailer, PasswordHasher, TokenGenerator};

/// Re-export of the domain, so that a product needs one dependency.
pub use tenantry_domain as domain;

//! # tenantry-testkit
//!
//! Everything needed to test tenantry's rules offline (a dev-dependency only; the
//! in-memory store and the billing simulator it runs on are `tenantry-memory`'s,
//! re-exported here as [`memory`] and [`simulator`]):
//!
//! - [`fakes`] — a controllable clock, sequential ids, predictable secrets, a
//!   fast hasher, a recording mailer;
//! - [`harness::Harness`] — a complete tenantry on these, with front-door helpers;
//! - [`strategies`] — proptest strategies for tenants, actors and operation sequences;
//! - [`contract`] — one contract suite per port, as public functions any
//!   adapter crate runs against its implementation;
//! - [`scenarios`] — whole-service scenarios every store must pass (the seat
//!   rush), run over memory here and over PostgreSQL by its adapter;
//! - [`properties`] — the cross-tenant and business-rule property checks, run by
//!   this crate's tests over memory and by adapter crates over theirs.
//!
//! ## Invariants (stated as absences)
//!
//! - Nothing here constructs a `TenantScope` except through the ports'
//!   front door (signup, login, authorise): the testkit has no back door either.
//! - Nothing here reads the system clock or the OS random source: time and
//!   secrets are the fakes', so every failure replays.

pub use tenantry_memory::{simulator, store as memory};

pub mod contract;
pub mod fakes;
pub mod harness;
pub mod outbox;
pub mod promotions;
pub mod properties;
pub mod restore;
pub mod scale;
pub mod scenarios;
pub mod strategies;

pub use fakes::{FakeClock, InsecureFastHasher, PredictableTokens, RecordingMailer, SequentialIds};
pub use harness::{Harness, Stores, TestTenant};
pub use memory::MemoryStore;
pub use simulator::{BillingSimulator, TestCard};

/// The README's embedding example, compiled and run as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
pub struct ReadmeExample;

/// `user` with fields set as a store could hold them, bypassing the domain's
/// transitions: for tests of what a store accepts or refuses (a custom role
/// that does not exist, a lower token version), never for the rules.
pub fn edited_user(
    user: &tenantry_domain::User,
    edit: impl FnOnce(&mut tenantry_domain::UserRecord),
) -> tenantry_domain::User {
    let mut record = user.record();
    edit(&mut record);
    tenantry_domain::User::restore(record)
}

//! # tenantry-memory
//!
//! The in-memory adapters: the embedded default runs on them, and so do the
//! test suites that exercise the rules offline.
//!
//! - [`store::MemoryStore`] — every store port, the unit of work and the named
//!   cross-tenant lookups in memory, with the database's transactional
//!   semantics (per-tenant serialisation, copy-on-commit, rollback on drop);
//! - [`simulator::BillingSimulator`] — a local payment provider with the
//!   money timeline of DESIGN.md, driven by the clock, and
//!   [`simulator::run_timeline`], the scheduler step that feeds its events in.
//!
//! ## Invariants (stated as absences)
//!
//! - No test code: no proptest, no fakes, no fixtures (those are
//!   `tenantry-testkit`'s, a dev-dependency only).
//! - A unit of work holds only its own tenant's data: there is nothing of
//!   another tenant in reach to return by mistake.

pub mod invoice_pdf;
pub mod simulator;
pub mod store;

pub use simulator::{BillingSimulator, TestCard, run_timeline};
pub use store::MemoryStore;

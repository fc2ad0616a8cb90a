//! # The timesheets example
//!
//! A small but real product module built only on tenantry's public embedding
//! API (docs/EMBEDDING.md): employees log time per project and day, managers
//! approve or reject it, everyone reads. It has its own migration (one table,
//! made tenant-owned by `tenantry.register_product_table`), its own
//! permissions in tenantry's RBAC, its own audit events, its use cases on
//! tenant-scoped transactions, and its routes mounted with
//! `router_with_product`.
//!
//! Its store has two adapters, like tenantry's: [`PgEntries`] on
//! `PgStore::scoped` transactions — whose queries carry no `WHERE tenant_id`:
//! row-level security confines them — and [`MemoryEntries`] on
//! `MemoryStore::scoped`, which holds one tenant's rows only, for the embedded
//! default and offline tests. The use cases are written once, above both.
//!
//! The crate is laid out as tenantry is, in miniature: `domain` (rules and
//! values), `store` (the port), `app` (the use cases), `postgres` and `memory`
//! (the port's adapters) and `routes` (the HTTP adapter).

mod app;
mod domain;
mod memory;
mod postgres;
mod routes;
mod store;

pub use app::*;
pub use domain::*;
pub use memory::*;
pub use postgres::*;
pub use routes::*;
pub use store::*;

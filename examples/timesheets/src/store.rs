//! The product's store port: a unit of work on one tenant's entries (the scope's), with its two adapters in `postgres` and `memory`.

use crate::Entry;
use async_trait::async_trait;
use tenantry_ports::store::Access;
use tenantry_ports::{StoreError, TenantScope};
use uuid::Uuid;

/// The product's store port: a unit of work on the scope's tenant's entries.
#[async_trait]
pub trait EntryStore: Send + Sync {
    /// A unit of work confined to `scope`'s tenant.
    async fn begin(&self, scope: &TenantScope, access: Access) -> Result<Box<dyn EntryTx>, StoreError>;
}

/// A unit of work on one tenant's entries; dropped without commit, it rolls back.
#[async_trait]
pub trait EntryTx: Send {
    /// Adds an entry.
    async fn insert(&mut self, entry: &Entry) -> Result<(), StoreError>;
    /// The newest entries (by day, then by logging time), at most `limit`.
    async fn list(&mut self, limit: usize) -> Result<Vec<Entry>, StoreError>;
    /// One entry, locked against concurrent decisions until the end.
    async fn entry_for_update(&mut self, id: Uuid) -> Result<Option<Entry>, StoreError>;
    /// Records a decision.
    async fn decide(&mut self, entry: &Entry) -> Result<(), StoreError>;
    /// Appends a product audit event to the tenant's log.
    async fn audit(&mut self, event: &tenantry_domain::AuditEvent) -> Result<(), StoreError>;
    /// Commits.
    async fn commit(self: Box<Self>) -> Result<(), StoreError>;
}

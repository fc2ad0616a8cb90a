//! The store in memory, on `MemoryStore::scoped` (one tenant's rows only): for the embedded default and offline tests.

use crate::{Entry, EntryStore, EntryTx, TABLE};
use async_trait::async_trait;
use tenantry_memory::MemoryStore;
use tenantry_memory::store::MemoryScoped;
use tenantry_ports::store::Access;
use tenantry_ports::{StoreError, TenantScope};
use uuid::Uuid;

/// Entries in tenantry's memory store, on `MemoryStore::scoped` units of work
/// (which hold one tenant's rows only). Writers hold the tenant's lock, so
/// reading an entry "for update" needs nothing more.
pub struct MemoryEntries(pub MemoryStore);

struct MemoryEntryTx(MemoryScoped);

#[async_trait]
impl EntryStore for MemoryEntries {
    async fn begin(&self, scope: &TenantScope, access: Access) -> Result<Box<dyn EntryTx>, StoreError> {
        Ok(Box::new(MemoryEntryTx(self.0.scoped(scope, access).await?)))
    }
}

#[async_trait]
impl EntryTx for MemoryEntryTx {
    async fn insert(&mut self, e: &Entry) -> Result<(), StoreError> {
        self.0.table(TABLE)?.insert(&e.id.to_string(), e)
    }

    async fn list(&mut self, limit: usize) -> Result<Vec<Entry>, StoreError> {
        let mut all: Vec<Entry> = self.0.table(TABLE)?.list()?;
        all.sort_by(|a, b| b.day.cmp(&a.day).then(b.created_at.cmp(&a.created_at)).then(a.id.cmp(&b.id)));
        all.truncate(limit);
        Ok(all)
    }

    async fn entry_for_update(&mut self, id: Uuid) -> Result<Option<Entry>, StoreError> {
        self.0.table(TABLE)?.get(&id.to_string())
    }

    async fn decide(&mut self, e: &Entry) -> Result<(), StoreError> {
        self.0.table(TABLE)?.update(&e.id.to_string(), e)
    }

    async fn audit(&mut self, event: &tenantry_domain::AuditEvent) -> Result<(), StoreError> {
        self.0.audit(event).await
    }

    async fn commit(self: Box<Self>) -> Result<(), StoreError> {
        self.0.commit().await
    }
}

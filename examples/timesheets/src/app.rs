//! The product's use cases, written once above both stores: each checks its permission in tenantry's RBAC, works in one tenant-scoped unit of work and audits what it decided.

use crate::{
    APPROVE, APPROVED, Entry, EntryStore, LOG, LogInput, MemoryEntries, PgEntries, READ, REJECTED, Status, TABLE,
    TimesheetError,
};
use std::sync::Arc;
use tenantry_domain::{AuditTarget, EntityId, ProductAction, UserId};
use tenantry_memory::MemoryStore;
use tenantry_memory::store::ProductTableError;
use tenantry_ports::store::Access;
use tenantry_ports::{InfraError, TenantScope, Tenantry};
use tenantry_postgres::PgStore;
use uuid::Uuid;

/// The product's use cases.
pub struct Timesheets {
    tenantry: Tenantry,
    store: Arc<dyn EntryStore>,
}

impl Timesheets {
    /// On tenantry's use cases (for permissions, the clock, ids and audit events) and an entry store.
    pub fn new(tenantry: Tenantry, store: Arc<dyn EntryStore>) -> Self {
        Self { tenantry, store }
    }

    /// On PostgreSQL (after [`migrate`]).
    pub fn on_postgres(tenantry: Tenantry, store: PgStore) -> Self {
        Self::new(tenantry, Arc::new(PgEntries(store)))
    }

    /// On tenantry's memory store (the embedded default); registers the table.
    pub fn in_memory(tenantry: Tenantry, store: MemoryStore) -> Result<Self, ProductTableError> {
        store.register_product_table(TABLE)?;
        Ok(Self::new(tenantry, Arc::new(MemoryEntries(store))))
    }

    /// Logs the caller's own time.
    pub async fn log(&self, scope: &TenantScope, input: LogInput) -> Result<Entry, TimesheetError> {
        self.tenantry.require_permission(scope, LOG, "timesheets.log").await?;
        let user = scope.actor().user_id().ok_or(TimesheetError::NotAUser)?;
        let project = input.project.trim();
        if project.is_empty() || project.chars().count() > 100 {
            return Err(TimesheetError::Invalid("project", "1 to 100 characters"));
        }
        if !(1..=1440).contains(&input.minutes) {
            return Err(TimesheetError::Invalid("minutes", "between 1 and 1440"));
        }
        if input.note.chars().count() > 500 {
            return Err(TimesheetError::Invalid("note", "at most 500 characters"));
        }
        let entry = Entry {
            id: self.tenantry.new_uuid(),
            user_id: user.as_uuid(),
            project: project.to_owned(),
            day: input.day,
            minutes: input.minutes,
            note: input.note,
            status: Status::Submitted,
            decided_by: None,
            created_at: self.tenantry.now(),
        };
        let mut tx = self.store.begin(scope, Access::Write).await?;
        tx.insert(&entry).await?;
        tx.commit().await?;
        Ok(entry)
    }

    /// Every entry of the tenant, newest day first (at most 500).
    pub async fn list(&self, scope: &TenantScope) -> Result<Vec<Entry>, TimesheetError> {
        self.tenantry.require_permission(scope, READ, "timesheets.list").await?;
        let mut tx = self.store.begin(scope, Access::Read).await?;
        Ok(tx.list(500).await?)
    }

    /// Approves (`true`) or rejects a submitted entry, recording it in the tenant's audit log.
    pub async fn decide(&self, scope: &TenantScope, id: Uuid, approve: bool) -> Result<Entry, TimesheetError> {
        self.tenantry.require_permission(scope, APPROVE, "timesheets.decide").await?;
        let (status, action) = if approve { (Status::Approved, APPROVED) } else { (Status::Rejected, REJECTED) };
        let action = ProductAction::new(action).map_err(|e| InfraError::Unknown(e.into()))?;
        let mut tx = self.store.begin(scope, Access::Write).await?;
        let mut entry = tx.entry_for_update(id).await?.ok_or(TimesheetError::NotFound)?;
        if entry.status != Status::Submitted {
            return Err(TimesheetError::AlreadyDecided(entry.status));
        }
        entry.status = status;
        entry.decided_by = scope.actor().user_id().map(|u| u.as_uuid());
        tx.decide(&entry).await?;
        let about = UserId::from_uuid(entry.user_id).ok().map(AuditTarget::User);
        let event = self
            .tenantry
            .product_event(scope, action, about)?
            .with("entry", entry.id)
            .with("project", &entry.project)
            .with("minutes", entry.minutes);
        tx.audit(&event).await?;
        tx.commit().await?;
        Ok(entry)
    }
}

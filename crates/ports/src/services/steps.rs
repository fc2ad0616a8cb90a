//! The steps every use case takes: ids and time from the ports, opening a unit of work, writing audit events (and their platform copy), the tenant row, mail branding.

use super::Tenantry;
use crate::error::{InfraError, StoreError};
use crate::scope::TenantScope;
use crate::store::{Access, TenantTx};
use crate::system::MailTenant;
use chrono::{DateTime, Utc};
use tenantry_domain::audit::AuditTarget;
use tenantry_domain::{AuditAction, AuditEvent, AuditOutcome, EntityId, ProductAction, RoleRef, Tenant};

/// Counts without `as` casts.
pub(crate) fn count<T>(iter: impl Iterator<Item = T>) -> u32 {
    u32::try_from(iter.count()).unwrap_or(u32::MAX)
}

impl Tenantry {
    /// The time by the clock tenantry was built with (a product stamps its
    /// rows with it, so that tests on a fake clock see the same time).
    pub fn now(&self) -> DateTime<Utc> {
        self.deps.clock.now()
    }

    /// A fresh id from the generator tenantry was built with (time-ordered
    /// UUID v7 in the service), for a product's rows.
    pub fn new_uuid(&self) -> uuid::Uuid {
        self.deps.ids.new_uuid()
    }

    pub(crate) fn new_id<T: EntityId>(&self) -> Result<T, InfraError> {
        T::from_uuid(self.deps.ids.new_uuid()).map_err(|e| InfraError::Unknown(anyhow::anyhow!("id generator: {e}")))
    }

    pub(crate) async fn begin(&self, scope: &TenantScope, access: Access) -> Result<Box<dyn TenantTx>, InfraError> {
        // The read unit of work the scope was authorised in serves its first read
        // (a writer lets it go: it was opened without the tenant's write lock).
        if let Some(kept) = scope.take_kept()
            && access == Access::Read
        {
            return Ok(kept);
        }
        Ok(self.deps.store.begin(scope, access).await?)
    }

    /// An audit event in the scope's tenant log, by the scope's actor.
    pub(crate) fn event(
        &self,
        scope: &TenantScope,
        action: AuditAction,
        target: Option<AuditTarget>,
        outcome: AuditOutcome,
    ) -> Result<AuditEvent, InfraError> {
        Ok(AuditEvent {
            id: self.new_id()?,
            at: self.now(),
            tenant_id: Some(scope.tenant_id()),
            actor: scope.actor().audit(),
            action,
            target,
            outcome,
            details: Default::default(),
        })
    }

    /// A product's audit event in the scope's tenant log, by the scope's actor,
    /// stamped by tenantry's clock and id generator — to be appended in the
    /// product's own scoped transaction (`ScopedTx::audit` on PostgreSQL,
    /// `MemoryScoped::audit` in memory), so that it commits with the change it
    /// records. Add facts with [`AuditEvent::with`]; never secrets.
    pub fn product_event(
        &self,
        scope: &TenantScope,
        action: ProductAction,
        target: Option<AuditTarget>,
    ) -> Result<AuditEvent, InfraError> {
        self.event(scope, AuditAction::Product(action), target, AuditOutcome::Success)
    }

    pub(crate) async fn tenant_row(&self, tx: &mut dyn TenantTx) -> Result<Tenant, InfraError> {
        tx.tenant().await?.ok_or_else(|| InfraError::Unknown(anyhow::anyhow!("tenant row missing in its own scope")))
    }

    /// Copies a tenant's audit event to the platform log, where the
    /// superuser's own trail is read (under an id of its own).
    pub(crate) async fn copy_to_platform_log(&self, event: AuditEvent) -> Result<(), InfraError> {
        let mut ptx = self.deps.store.begin_platform().await?;
        ptx.append_platform_audit(&AuditEvent { id: self.new_id()?, ..event }).await?;
        ptx.commit().await?;
        Ok(())
    }

    /// Appends `event` to the tenant's log in `tx`, commits, and copies the
    /// event to the platform log (a superuser's action inside a tenant).
    pub(crate) async fn commit_audited_in_both(
        &self,
        mut tx: Box<dyn TenantTx>,
        event: AuditEvent,
    ) -> Result<(), InfraError> {
        tx.append_audit(&event).await?;
        tx.commit().await?;
        self.copy_to_platform_log(event).await
    }

    /// The display name of a role.
    pub(crate) async fn role_name(&self, tx: &mut dyn TenantTx, role: RoleRef) -> Result<String, StoreError> {
        Ok(match role {
            RoleRef::Builtin(b) => b.as_str().to_owned(),
            RoleRef::Custom(id) => {
                tx.role(id).await?.map(|r| r.name.as_str().to_owned()).unwrap_or_else(|| "deleted role".into())
            }
        })
    }

    pub(crate) fn mail_tenant(tenant: &Tenant) -> MailTenant {
        MailTenant {
            id: tenant.id(),
            name: tenant.name().to_string(),
            branding: tenant.settings().branding.clone(),
            defaults: tenant.settings().defaults,
        }
    }
}

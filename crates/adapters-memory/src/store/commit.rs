//! Committing a unit of work: the tenant's copy replaces its data and the
//! committed index (slugs, customers, summaries, audit logs) is updated in the
//! same step; a platform unit of work likewise.

use super::{MemPlatformTx, MemTenantTx, Summary, lock};
use async_trait::async_trait;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use tenantry_domain::job::JobState;
use tenantry_ports::error::{Constraint, StoreError};
use tenantry_ports::store::{Access, PlatformTx, Redaction, TenantTx};

#[async_trait]
impl TenantTx for MemTenantTx {
    async fn commit(mut self: Box<Self>) -> Result<(), StoreError> {
        self.live()?;
        if self.access == Access::Read {
            return Ok(());
        }
        if self.inner.fail_next_commit.swap(false, Ordering::SeqCst) {
            return Err(StoreError::Unavailable(anyhow::anyhow!("injected commit failure")));
        }
        let tenant_id = self.tenant;
        let mut committed = self.inner.committed.write().unwrap_or_else(|p| p.into_inner());
        // Unique constraints across tenants are checked again under the index lock.
        if let Some(t) = &self.work.tenant
            && committed.slugs.get(t.slug()).is_some_and(|owner| *owner != tenant_id)
        {
            return Err(StoreError::Conflict(Constraint::TenantSlug));
        }
        let customer =
            self.work.subscription.as_ref().and_then(|(s, _)| s.provider().as_ref().map(|l| l.customer.clone()));
        if let Some(c) = &customer
            && committed.customers.get(c).is_some_and(|owner| *owner != tenant_id)
        {
            return Err(StoreError::Conflict(Constraint::BillingCustomer));
        }
        committed.slugs.retain(|_, t| *t != tenant_id);
        committed.customers.retain(|_, t| *t != tenant_id);
        if self.purged {
            committed.audit.retain(|e| e.tenant_id != Some(tenant_id));
        }
        if !self.redactions.is_empty() {
            for e in committed.audit.iter_mut().filter(|e| e.tenant_id == Some(tenant_id)) {
                Redaction::apply_all(&self.redactions, &mut e.details);
            }
        }
        committed.audit.extend(self.appended.iter().cloned());
        committed.jobs.retain(|(t, _), _| *t != tenant_id);
        for job in self.work.jobs.values().filter(|j| !matches!(j.state, JobState::Done { .. })) {
            committed.jobs.insert((tenant_id, job.id), job.clone());
        }
        match &self.work.tenant {
            Some(t) => {
                committed.slugs.insert(t.slug().clone(), tenant_id);
                if let Some(c) = customer {
                    committed.customers.insert(c, tenant_id);
                }
                let summary = Summary {
                    tenant: t.clone(),
                    facts: self.work.subscription.as_ref().map(|(_, f)| *f),
                    active_users: u32::try_from(self.work.users.values().filter(|u| u.is_active()).count())
                        .unwrap_or(u32::MAX),
                    active_emails: self
                        .work
                        .users
                        .values()
                        .filter(|u| u.is_active() && u.email_verified_at().is_some())
                        .map(|u| u.email().clone())
                        .collect(),
                    usage: self.work.usage.clone(),
                    storage_bytes: self.work.storage_bytes,
                };
                committed.summaries.insert(tenant_id, summary);
            }
            None => {
                committed.summaries.remove(&tenant_id);
            }
        }
        let Some(mut guard) = self.guard.take() else {
            return Err(StoreError::Unknown(anyhow::anyhow!("a writer without its lock")));
        };
        {
            let mut ledger = lock(&self.inner.erasure_ledger);
            for copy in self.ledger_copies.drain(..) {
                if !ledger.contains(&copy) {
                    ledger.push(copy);
                }
            }
        }
        {
            let mut credentials = lock(&self.inner.credentials);
            let ledger = credentials.entry(tenant_id).or_default();
            for note in self.credential_notes.drain(..) {
                note.apply(ledger);
            }
        }
        let mut work = std::mem::take(&mut self.work);
        // Let go of this transaction's own reference so that the append below
        // happens in place unless a reader still holds the old log.
        self.base_audit = Arc::new(Vec::new());
        let mut audit = if self.purged { Arc::new(Vec::new()) } else { std::mem::take(&mut guard.audit) };
        if !self.redactions.is_empty() {
            for e in Arc::make_mut(&mut audit).iter_mut() {
                Redaction::apply_all(&self.redactions, &mut e.details);
            }
        }
        Arc::make_mut(&mut audit).append(&mut self.appended);
        work.audit = audit;
        *guard = work;
        Ok(())
    }
}

#[async_trait]
impl PlatformTx for MemPlatformTx {
    async fn commit(mut self: Box<Self>) -> Result<(), StoreError> {
        self.live()?;
        let mut committed = self.inner.committed.write().unwrap_or_else(|p| p.into_inner());
        committed.platform_audit.append(&mut self.appended);
        *self.guard = std::mem::take(&mut self.work);
        Ok(())
    }
}

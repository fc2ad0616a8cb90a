//! The tenant's records in a unit of work: subscription and invoices, the
//! audit log, usage and markers, jobs, the mail outbox, exports, erasures and
//! the product's tables.

use super::{MemTenantTx, lock, mismatch, page_of};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::sync::Arc;
use tenantry_domain::export::Export;
use tenantry_domain::file::StoredFile;
use tenantry_domain::job::{Job, JobKind};
use tenantry_domain::user::Erasure;
use tenantry_domain::{AuditEvent, Email, Subscription};
use tenantry_domain::{ExportId, FileId, JobId};
use tenantry_ports::error::{Constraint, StoreError};
use tenantry_ports::payment::Invoice;
use tenantry_ports::store::{
    AuditQuery, AuditStore, ErasureStore, ExportStore, JobStore, MarkerStore, Month, ProductDataStore,
    ProductTableRows, Redaction, SubscriptionFacts, SubscriptionStore, UsageCounters, UsageDelta, UsageStore,
};

#[async_trait]
impl SubscriptionStore for MemTenantTx {
    async fn subscription(&mut self) -> Result<Option<Subscription>, StoreError> {
        self.live()?;
        Ok(self.work.subscription.as_ref().map(|(s, _)| s.clone()))
    }
    async fn save_subscription(
        &mut self,
        subscription: &Subscription,
        facts: &SubscriptionFacts,
    ) -> Result<(), StoreError> {
        self.writable()?;
        self.own(subscription.tenant_id(), "a subscription")?;
        if self.work.tenant.is_none() {
            return Err(StoreError::Unknown(anyhow::anyhow!("foreign key: the tenant does not exist")));
        }
        if let Some(link) = &subscription.provider() {
            let taken = {
                let committed = self.inner.committed.read().unwrap_or_else(|p| p.into_inner());
                committed.customers.get(&link.customer).is_some_and(|t| *t != self.tenant)
            };
            if taken {
                return Err(self.conflict(Constraint::BillingCustomer));
            }
        }
        self.work.subscription = Some((subscription.clone(), *facts));
        Ok(())
    }
    async fn invoices(&mut self) -> Result<Vec<Invoice>, StoreError> {
        self.live()?;
        let mut list: Vec<Invoice> = self.work.invoices.values().cloned().collect();
        list.sort_by(|a, b| (b.created_at, &b.id).cmp(&(a.created_at, &a.id)));
        Ok(list)
    }
    async fn save_invoice(&mut self, invoice: &Invoice) -> Result<(), StoreError> {
        self.writable()?;
        self.work.invoices.insert(invoice.id.clone(), invoice.clone());
        Ok(())
    }
    async fn record_billing_event(&mut self, event_id: &str, _at: DateTime<Utc>) -> Result<bool, StoreError> {
        self.writable()?;
        Ok(self.work.billing_events.insert(event_id.to_owned()))
    }
}

#[async_trait]
impl AuditStore for MemTenantTx {
    async fn append_audit(&mut self, event: &AuditEvent) -> Result<(), StoreError> {
        self.writable()?;
        if event.tenant_id != Some(self.tenant) {
            return Err(mismatch("an audit event"));
        }
        self.appended.push(event.clone());
        Ok(())
    }
    async fn redact_audit(&mut self, redactions: &[Redaction]) -> Result<u64, StoreError> {
        self.writable()?;
        let existing = if self.purged { &[][..] } else { &self.base_audit[..] };
        let mut changed: u64 = 0;
        for e in existing {
            let mut details = e.details.clone();
            if Redaction::apply_all(redactions, &mut details) {
                changed += 1;
            }
        }
        for e in &mut self.appended {
            if Redaction::apply_all(redactions, &mut e.details) {
                changed += 1;
            }
        }
        self.redactions.extend(redactions.iter().cloned());
        Ok(changed)
    }
    async fn audit_events(&mut self, query: &AuditQuery) -> Result<Vec<AuditEvent>, StoreError> {
        self.live()?;
        let existing = if self.purged { &[][..] } else { &self.base_audit[..] };
        Ok(page_of(existing.iter().chain(self.appended.iter()), query))
    }
}

#[async_trait]
impl UsageStore for MemTenantTx {
    async fn usage(&mut self, month: Month) -> Result<UsageCounters, StoreError> {
        self.live()?;
        Ok(self.work.usage.get(&month).copied().unwrap_or_default())
    }
    async fn add_usage(&mut self, month: Month, delta: UsageDelta) -> Result<UsageCounters, StoreError> {
        self.writable()?;
        let c = self.work.usage.entry(month).or_default();
        c.api_calls = c.api_calls.saturating_add(delta.api_calls);
        c.logins = c.logins.saturating_add(delta.logins);
        c.page_views = c.page_views.saturating_add(delta.page_views);
        Ok(*c)
    }
    async fn storage_used(&mut self) -> Result<u64, StoreError> {
        self.live()?;
        Ok(self.work.storage_bytes)
    }
    async fn set_storage_used(&mut self, bytes: u64) -> Result<(), StoreError> {
        self.writable()?;
        self.work.storage_bytes = bytes;
        Ok(())
    }
}

#[async_trait]
impl MarkerStore for MemTenantTx {
    async fn mark(&mut self, key: &str, at: DateTime<Utc>) -> Result<bool, StoreError> {
        self.writable()?;
        if self.work.markers.contains_key(key) {
            return Ok(false);
        }
        self.work.markers.insert(key.to_owned(), at);
        Ok(true)
    }
    async fn is_marked(&mut self, key: &str) -> Result<bool, StoreError> {
        self.live()?;
        Ok(self.work.markers.contains_key(key))
    }
    async fn unmark(&mut self, key: &str) -> Result<(), StoreError> {
        self.writable()?;
        self.work.markers.remove(key);
        Ok(())
    }
}

#[async_trait]
impl JobStore for MemTenantTx {
    async fn insert_job(&mut self, job: &Job) -> Result<(), StoreError> {
        self.writable()?;
        self.own(job.tenant_id, "a job")?;
        if self.work.jobs.contains_key(&job.id) {
            return Err(self.conflict(Constraint::PrimaryKey));
        }
        self.work.jobs.insert(job.id, job.clone());
        Ok(())
    }
    async fn job(&mut self, id: JobId) -> Result<Option<Job>, StoreError> {
        self.live()?;
        Ok(self.work.jobs.get(&id).cloned())
    }
    async fn jobs_of_kind(&mut self, kind: &JobKind) -> Result<Vec<Job>, StoreError> {
        self.live()?;
        let mut jobs: Vec<Job> = self.work.jobs.values().filter(|j| j.kind == *kind).cloned().collect();
        jobs.sort_by_key(|j| (j.created_at, j.id));
        Ok(jobs)
    }
    async fn update_job(&mut self, job: &Job) -> Result<(), StoreError> {
        self.writable()?;
        self.own(job.tenant_id, "a job")?;
        match self.work.jobs.get_mut(&job.id) {
            Some(slot) => {
                *slot = job.clone();
                Ok(())
            }
            None => Err(StoreError::NotFound),
        }
    }
    async fn claim_job(&mut self, id: JobId, now: DateTime<Utc>) -> Result<Option<Job>, StoreError> {
        // A writer holds the tenant's lock: the directory's claim waits for it.
        self.writable()?;
        let Some(job) = self.work.jobs.get_mut(&id).filter(|j| j.claimable(now)) else { return Ok(None) };
        job.claim(now);
        Ok(Some(job.clone()))
    }
}

#[async_trait]
impl tenantry_ports::store::OutboxStore for MemTenantTx {
    async fn insert_mail(&mut self, mail: &tenantry_ports::system::QueuedMail) -> Result<(), StoreError> {
        self.writable()?;
        self.own(mail.tenant_id, "a mail")?;
        if self.work.mails.contains_key(&mail.id) {
            return Err(self.conflict(Constraint::PrimaryKey));
        }
        self.work.mails.insert(mail.id, mail.clone());
        Ok(())
    }
    async fn queued_mail(
        &mut self,
        id: tenantry_domain::MailId,
    ) -> Result<Option<tenantry_ports::system::QueuedMail>, StoreError> {
        self.live()?;
        Ok(self.work.mails.get(&id).cloned())
    }
    async fn mark_mail_sent(
        &mut self,
        id: tenantry_domain::MailId,
        at: DateTime<Utc>,
        accepted: &tenantry_ports::system::Accepted,
    ) -> Result<(), StoreError> {
        self.writable()?;
        let mail = self.work.mails.get_mut(&id).ok_or(StoreError::NotFound)?;
        mail.mail.message.set_token(secrecy::SecretString::from(""));
        mail.sent = Some((at, accepted.clone()));
        Ok(())
    }
    async fn forget_mails_of(&mut self, email: &Email, name: &str) -> Result<u64, StoreError> {
        self.writable()?;
        fn names(v: &serde_json::Value, email: &str, name: &str) -> bool {
            match v {
                serde_json::Value::String(s) => s.contains(email) || (!name.is_empty() && s == name),
                serde_json::Value::Array(a) => a.iter().any(|v| names(v, email, name)),
                serde_json::Value::Object(o) => o.values().any(|v| names(v, email, name)),
                _ => false,
            }
        }
        let before = self.work.mails.len();
        self.work.mails.retain(|_, m| {
            m.mail.to != *email && !serde_json::to_value(&m.mail).is_ok_and(|v| names(&v, email.as_str(), name))
        });
        Ok(u64::try_from(before - self.work.mails.len()).unwrap_or(u64::MAX))
    }
    async fn void_unsent_mails(&mut self) -> Result<u64, StoreError> {
        self.writable()?;
        let before = self.work.mails.len();
        self.work.mails.retain(|_, m| m.sent.is_some());
        Ok(u64::try_from(before - self.work.mails.len()).unwrap_or(u64::MAX))
    }
}

#[async_trait]
impl ExportStore for MemTenantTx {
    async fn insert_export(&mut self, export: &Export) -> Result<(), StoreError> {
        self.writable()?;
        self.own(export.tenant_id(), "an export")?;
        if self.work.exports.contains_key(&export.id()) {
            return Err(self.conflict(Constraint::PrimaryKey));
        }
        self.work.exports.insert(export.id(), export.clone());
        Ok(())
    }
    async fn update_export(&mut self, export: &Export) -> Result<(), StoreError> {
        self.writable()?;
        self.own(export.tenant_id(), "an export")?;
        match self.work.exports.get_mut(&export.id()) {
            Some(slot) => {
                *slot = export.clone();
                Ok(())
            }
            None => Err(StoreError::NotFound),
        }
    }
    async fn export(&mut self, id: ExportId) -> Result<Option<Export>, StoreError> {
        self.live()?;
        Ok(self.work.exports.get(&id).cloned())
    }
    async fn exports(&mut self) -> Result<Vec<Export>, StoreError> {
        self.live()?;
        let mut list: Vec<Export> = self.work.exports.values().cloned().collect();
        list.sort_by_key(|e| std::cmp::Reverse((e.created_at(), e.id())));
        Ok(list)
    }
    async fn append_export_file(&mut self, id: ExportId, bytes: &[u8]) -> Result<(), StoreError> {
        self.writable()?;
        if !self.work.exports.contains_key(&id) {
            return Err(StoreError::Unknown(anyhow::anyhow!("foreign key: the export does not exist")));
        }
        Arc::make_mut(self.work.export_files.entry(id).or_default()).extend_from_slice(bytes);
        Ok(())
    }
    async fn export_file_chunk(&mut self, id: ExportId, offset: u64, len: u32) -> Result<Option<Vec<u8>>, StoreError> {
        self.live()?;
        Ok(self.work.export_files.get(&id).map(|file| {
            let start = usize::try_from(offset).unwrap_or(usize::MAX).min(file.len());
            let end = start.saturating_add(usize::try_from(len).unwrap_or(usize::MAX)).min(file.len());
            file.get(start..end).map(<[u8]>::to_vec).unwrap_or_default()
        }))
    }
    async fn delete_export_file(&mut self, id: ExportId) -> Result<(), StoreError> {
        self.writable()?;
        self.work.export_files.remove(&id);
        Ok(())
    }
}

#[async_trait]
impl tenantry_ports::store::FileRecordStore for MemTenantTx {
    async fn insert_file(&mut self, file: &StoredFile) -> Result<(), StoreError> {
        self.writable()?;
        self.own(file.tenant_id, "a file")?;
        if self.work.files.contains_key(&file.id) {
            return Err(self.conflict(Constraint::PrimaryKey));
        }
        self.work.files.insert(file.id, file.clone());
        Ok(())
    }
    async fn file(&mut self, id: FileId) -> Result<Option<StoredFile>, StoreError> {
        self.live()?;
        Ok(self.work.files.get(&id).cloned())
    }
    async fn files(&mut self) -> Result<Vec<StoredFile>, StoreError> {
        self.live()?;
        let mut list: Vec<StoredFile> = self.work.files.values().cloned().collect();
        list.sort_by_key(|f| std::cmp::Reverse((f.uploaded_at, f.id)));
        Ok(list)
    }
    async fn delete_file(&mut self, id: FileId) -> Result<(), StoreError> {
        self.writable()?;
        self.work.files.remove(&id).map(|_| ()).ok_or(StoreError::NotFound)
    }
}

#[async_trait]
impl ErasureStore for MemTenantTx {
    async fn record_erasure(&mut self, erasure: &Erasure) -> Result<(), StoreError> {
        self.writable()?;
        self.own(erasure.tenant_id, "an erasure")?;
        self.work.erasures.push(erasure.clone());
        self.ledger_copies.push(erasure.clone());
        Ok(())
    }
    async fn erasures(&mut self) -> Result<Vec<Erasure>, StoreError> {
        self.live()?;
        Ok(self.work.erasures.clone())
    }
    async fn platform_erasures(&mut self) -> Result<Vec<Erasure>, StoreError> {
        self.live()?;
        let mut found: Vec<Erasure> =
            lock(&self.inner.erasure_ledger).iter().filter(|e| e.tenant_id == self.tenant).cloned().collect();
        found.sort_by_key(|e| (e.erased_at, e.user_id));
        Ok(found)
    }
}

#[async_trait]
impl ProductDataStore for MemTenantTx {
    async fn product_rows(&mut self) -> Result<Vec<ProductTableRows>, StoreError> {
        self.live()?;
        let tables: Vec<String> = lock(&self.inner.product_tables).iter().cloned().collect();
        let excluded = lock(&self.inner.export_excluded).clone();
        Ok(tables
            .into_iter()
            .map(|table| {
                let left_out = excluded.get(&table).map(Vec::as_slice).unwrap_or_default();
                let rows = self
                    .work
                    .product
                    .get(&table)
                    .map(|r| {
                        r.values()
                            .cloned()
                            .map(|mut row| {
                                if let Some(object) = row.as_object_mut() {
                                    for column in left_out {
                                        object.remove(column);
                                    }
                                }
                                row
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                ProductTableRows { table, rows }
            })
            .collect())
    }
}

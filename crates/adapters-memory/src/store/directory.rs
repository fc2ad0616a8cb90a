//! The named cross-tenant lookups, read from the committed index only.

use super::{MemoryStore, TenantData, capped, lock, page_of};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::sync::Arc;
use tenantry_domain::JobId;
use tenantry_domain::job::{Job, JobState};
use tenantry_domain::session::Session;
use tenantry_domain::{AuditEvent, AuditEventId, Interval, PlatformUserId, Slug, SubscriptionStatus, TenantId};
use tenantry_ports::TenantDirectory;
use tenantry_ports::directory::{
    AuditReadReason, CLAIM_MAX_JOBS, Housekept, NAMED_PATH_MAX_ROWS, PlatformFigures, TenantListQuery, TenantSummary,
    audit_read_event,
};
use tenantry_ports::error::{Constraint, StoreError};
use tenantry_ports::store::{AuditQuery, Month};
use tokio::sync::Mutex as AsyncMutex;

#[async_trait]
impl TenantDirectory for MemoryStore {
    async fn resolve_slug(&self, slug: &Slug) -> Result<Option<TenantId>, StoreError> {
        Ok(self.inner.committed.read().unwrap_or_else(|p| p.into_inner()).slugs.get(slug).copied())
    }

    async fn tenants_of_email(&self, email: &tenantry_domain::Email) -> Result<Vec<TenantId>, StoreError> {
        let committed = self.inner.committed.read().unwrap_or_else(|p| p.into_inner());
        let mut found: Vec<(DateTime<Utc>, TenantId)> = committed
            .summaries
            .iter()
            .filter(|(_, s)| s.active_emails.contains(email))
            .map(|(id, s)| (s.tenant.created_at(), *id))
            .collect();
        found.sort();
        let max = usize::try_from(tenantry_ports::directory::WORKSPACES_MAX).unwrap_or(usize::MAX);
        Ok(found.into_iter().take(max).map(|(_, id)| id).collect())
    }

    async fn resolve_billing_customer(&self, customer: &str) -> Result<Option<TenantId>, StoreError> {
        Ok(self.inner.committed.read().unwrap_or_else(|p| p.into_inner()).customers.get(customer).copied())
    }

    async fn due_tenants(&self, limit: u32) -> Result<Vec<TenantId>, StoreError> {
        let now = self.now();
        let limit = limit.min(NAMED_PATH_MAX_ROWS);
        let committed = self.inner.committed.read().unwrap_or_else(|p| p.into_inner());
        let mut due: Vec<(DateTime<Utc>, TenantId)> = committed
            .summaries
            .iter()
            .filter_map(|(id, s)| s.facts.and_then(|f| f.next_due_at).filter(|d| *d <= now).map(|d| (d, *id)))
            .collect();
        due.sort();
        Ok(due.into_iter().take(usize::try_from(limit).unwrap_or(usize::MAX)).map(|(_, id)| id).collect())
    }

    async fn claim_due_jobs(&self, limit: u32) -> Result<Vec<(TenantId, JobId)>, StoreError> {
        let now = self.now();
        let limit = limit.min(CLAIM_MAX_JOBS);
        let mut candidates: Vec<(DateTime<Utc>, TenantId, JobId)> = {
            let committed = self.inner.committed.read().unwrap_or_else(|p| p.into_inner());
            committed.jobs.iter().filter(|(_, j)| j.claimable(now)).map(|((t, id), j)| (j.run_at, *t, *id)).collect()
        };
        candidates.sort();
        let mut claimed = Vec::new();
        for (_, tenant, id) in candidates {
            if claimed.len() >= usize::try_from(limit).unwrap_or(usize::MAX) {
                break;
            }
            // Under the tenant's lock (after any writer of it commits), as the
            // database claims under the row's lock: a second claimer finds it leased.
            let slot = self.slot(tenant);
            let mut data = slot.lock().await;
            let Some(job) = data.jobs.get_mut(&id).filter(|j| j.claimable(now)) else { continue };
            job.claim(now);
            let job = job.clone();
            drop(data);
            self.inner.committed.write().unwrap_or_else(|p| p.into_inner()).jobs.insert((tenant, id), job);
            claimed.push((tenant, id));
        }
        Ok(claimed)
    }

    async fn housekeeping(&self) -> Result<Housekept, StoreError> {
        use tenantry_ports::directory::housekeeping::{
            DONE_JOB_RETENTION_DAYS, LINK_RETENTION_DAYS, MARKER_RETENTION_DAYS, SENT_MAIL_RETENTION_DAYS,
            SESSION_RETENTION_DAYS, SHORT_LIVED_MARKERS,
        };
        let now = self.now();
        let links_expired_before = now - chrono::Duration::days(LINK_RETENTION_DAYS);
        let jobs_done_before = now - chrono::Duration::days(DONE_JOB_RETENTION_DAYS);
        let markers_before = now - chrono::Duration::days(MARKER_RETENTION_DAYS);
        let sessions_before = now - chrono::Duration::days(SESSION_RETENTION_DAYS);
        let mails_sent_before = now - chrono::Duration::days(SENT_MAIL_RETENTION_DAYS);
        let old_session =
            |s: &Session| s.ended().map_or(s.expires_at(), |(at, _)| at.min(s.expires_at())) < sessions_before;
        let platform_sessions = {
            let mut platform = self.inner.platform.lock().await;
            let before = platform.superuser_sessions.len();
            platform.superuser_sessions.retain(|_, s| !old_session(s));
            before.saturating_sub(platform.superuser_sessions.len())
        };
        let slots: Vec<(TenantId, Arc<AsyncMutex<TenantData>>)> =
            lock(&self.inner.tenants).iter().map(|(t, s)| (*t, s.clone())).collect();
        let mut out =
            Housekept { sessions: u64::try_from(platform_sessions).unwrap_or(u64::MAX), ..Housekept::default() };
        let old = |j: &Job| matches!(j.state, JobState::Done { at } if at < jobs_done_before);
        let short_lived = |k: &str| SHORT_LIVED_MARKERS.iter().any(|p| k.starts_with(p));
        for (tenant, slot) in slots {
            // Under the tenant's lock, as the database deletes under the rows' locks.
            let mut data = slot.lock().await;
            let links = data.resets.len();
            data.resets.retain(|_, r| r.expires_at >= links_expired_before);
            let links = links.saturating_sub(data.resets.len());
            let markers = data.markers.len();
            data.markers.retain(|k, at| *at >= markers_before || !short_lived(k));
            out.markers += u64::try_from(markers.saturating_sub(data.markers.len())).unwrap_or(u64::MAX);
            let sessions = data.sessions.len();
            data.sessions.retain(|_, s| !old_session(s));
            out.sessions += u64::try_from(sessions.saturating_sub(data.sessions.len())).unwrap_or(u64::MAX);
            let mails = data.mails.len();
            data.mails.retain(|_, m| m.sent.as_ref().is_none_or(|(at, _)| *at >= mails_sent_before));
            out.mails += u64::try_from(mails.saturating_sub(data.mails.len())).unwrap_or(u64::MAX);
            let gone: Vec<JobId> = data.jobs.values().filter(|j| old(j)).map(|j| j.id).collect();
            for id in &gone {
                data.jobs.remove(id);
            }
            drop(data);
            let mut committed = self.inner.committed.write().unwrap_or_else(|p| p.into_inner());
            for id in &gone {
                committed.jobs.remove(&(tenant, *id));
            }
            out.account_links += u64::try_from(links).unwrap_or(u64::MAX);
            out.jobs += u64::try_from(gone.len()).unwrap_or(u64::MAX);
        }
        Ok(out)
    }

    async fn failed_jobs(&self, limit: u32) -> Result<Vec<Job>, StoreError> {
        let limit = limit.min(NAMED_PATH_MAX_ROWS);
        let committed = self.inner.committed.read().unwrap_or_else(|p| p.into_inner());
        let mut failed: Vec<Job> =
            committed.jobs.values().filter(|j| matches!(j.state, JobState::Failed { .. })).cloned().collect();
        failed.sort_by_key(|j| {
            std::cmp::Reverse(match &j.state {
                JobState::Failed { at, .. } => (*at, j.id),
                _ => (j.created_at, j.id),
            })
        });
        failed.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        Ok(failed)
    }

    async fn list_tenants(&self, query: &TenantListQuery) -> Result<Vec<TenantSummary>, StoreError> {
        let committed = self.inner.committed.read().unwrap_or_else(|p| p.into_inner());
        let needle = query.search.as_deref().map(str::to_lowercase);
        let mut rows: Vec<TenantSummary> = committed
            .summaries
            .values()
            .filter_map(|s| {
                let f = s.facts?;
                Some(TenantSummary {
                    id: s.tenant.id(),
                    slug: s.tenant.slug().clone(),
                    name: s.tenant.name().to_string(),
                    status: f.status,
                    plan: f.plan,
                    interval: f.interval,
                    seats: f.seats,
                    active_users: s.active_users,
                    recurring_cents: f.recurring_cents,
                    created_at: s.tenant.created_at(),
                })
            })
            .filter(|r| query.status.is_none_or(|st| r.status == st))
            .filter(|r| {
                needle.as_deref().is_none_or(|n| r.name.to_lowercase().contains(n) || r.slug.as_str().contains(n))
            })
            .collect();
        rows.sort_by_key(|r| std::cmp::Reverse((r.created_at, r.id)));
        Ok(rows
            .into_iter()
            .skip(usize::try_from(query.offset).unwrap_or(usize::MAX))
            .take(usize::try_from(query.limit.min(NAMED_PATH_MAX_ROWS)).unwrap_or(usize::MAX))
            .collect())
    }

    async fn platform_figures(&self) -> Result<PlatformFigures, StoreError> {
        let month = Month::of(self.now());
        let committed = self.inner.committed.read().unwrap_or_else(|p| p.into_inner());
        let mut f = PlatformFigures { month: Some(month), ..PlatformFigures::default() };
        for status in SubscriptionStatus::ALL {
            f.tenants_by_status.insert(status, 0);
        }
        for s in committed.summaries.values() {
            let Some(facts) = s.facts else { continue };
            *f.tenants_by_status.entry(facts.status).or_default() += 1;
            f.active_users += u64::from(s.active_users);
            let usage = s.usage.get(&month).copied().unwrap_or_default();
            f.logins += usage.logins;
            f.api_calls += usage.api_calls;
            f.page_views += usage.page_views;
            f.storage_bytes += s.storage_bytes;
            if let (Some(cents), Some(interval)) = (facts.recurring_cents, facts.interval) {
                match interval {
                    Interval::Month => f.monthly_recurring_cents.push(cents),
                    Interval::Year => f.yearly_recurring_cents.push(cents),
                }
            }
        }
        Ok(f)
    }

    async fn tenant_audit_events(&self, tenant: TenantId, query: &AuditQuery) -> Result<Vec<AuditEvent>, StoreError> {
        let committed = self.inner.committed.read().unwrap_or_else(|p| p.into_inner());
        let tenant_log = committed.audit.iter().filter(|e| e.tenant_id == Some(tenant));
        let platform_log = committed.platform_audit.iter().filter(|e| e.tenant_id == Some(tenant));
        Ok(page_of(tenant_log.chain(platform_log), &capped(query)))
    }

    async fn all_audit_events(
        &self,
        event_id: AuditEventId,
        superuser: PlatformUserId,
        reason: &AuditReadReason,
        query: &AuditQuery,
    ) -> Result<Vec<AuditEvent>, StoreError> {
        let active = self.inner.platform.lock().await.superusers.get(&superuser).is_some_and(|su| su.active);
        if !active {
            return Ok(Vec::new());
        }
        let read = audit_read_event(event_id, self.now(), superuser, reason, query);
        let mut committed = self.inner.committed.write().unwrap_or_else(|p| p.into_inner());
        if committed.platform_audit.iter().any(|e| e.id == event_id) {
            return Err(StoreError::Conflict(Constraint::PrimaryKey));
        }
        committed.platform_audit.push(read);
        Ok(page_of(committed.audit.iter().chain(committed.platform_audit.iter()), &capped(query)))
    }
}

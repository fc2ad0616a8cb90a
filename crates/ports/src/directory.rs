//! The named cross-tenant paths (DESIGN.md section 2, wall 2): the only reads
//! that span tenants. Each is narrow and returns only what its path needs; in
//! PostgreSQL each is a `SECURITY DEFINER` function or a platform table without
//! tenant data. There is no general bypass.
//!
//! Invitation links need no entry here: an invitation token names its tenant, so
//! accepting one happens inside that tenant's scope (as the audited system actor
//! `invitation_link`).

use crate::error::StoreError;
use crate::store::{AuditQuery, Month};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use tenantry_domain::job::Job;
use tenantry_domain::{AuditEvent, Interval, JobId, PlanKind, Slug, SubscriptionStatus, TenantId};

/// One row of the superuser's tenant list.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TenantSummary {
    /// The tenant.
    pub id: TenantId,
    /// Its slug.
    pub slug: Slug,
    /// Its name.
    pub name: String,
    /// Subscription status.
    pub status: SubscriptionStatus,
    /// Plan in force.
    pub plan: PlanKind,
    /// Interval.
    pub interval: Option<Interval>,
    /// Licensed seats (None: uncapped).
    pub seats: Option<u32>,
    /// Active users.
    pub active_users: u32,
    /// Price per period of a paid plan, in cents.
    pub recurring_cents: Option<i64>,
    /// When it signed up.
    pub created_at: DateTime<Utc>,
}

/// Filters of the tenant list (ordered by creation, newest first).
#[derive(Clone, PartialEq, Eq, Debug, Default, Serialize, Deserialize)]
pub struct TenantListQuery {
    /// Substring of the name or slug (case-insensitive).
    pub search: Option<String>,
    /// Only this status.
    pub status: Option<SubscriptionStatus>,
    /// Skip this many.
    pub offset: u32,
    /// At most this many.
    pub limit: u32,
}

/// Raw platform figures for one month; the service turns them into stats.
#[derive(Clone, PartialEq, Eq, Debug, Default, Serialize, Deserialize)]
pub struct PlatformFigures {
    /// Tenants by status.
    pub tenants_by_status: BTreeMap<SubscriptionStatus, u64>,
    /// Active users over all tenants.
    pub active_users: u64,
    /// Per-period prices of monthly paid plans that count towards MRR, in cents.
    pub monthly_recurring_cents: Vec<i64>,
    /// Per-period prices of yearly paid plans that count towards MRR, in cents.
    pub yearly_recurring_cents: Vec<i64>,
    /// Successful logins in the month.
    pub logins: u64,
    /// Bytes stored.
    pub storage_bytes: u64,
}

/// The superuser's view of the audit logs of all tenants and the platform.
#[derive(Clone, PartialEq, Eq, Debug, Default, Serialize, Deserialize)]
pub struct PlatformAuditQuery {
    /// Only this tenant's log (None: every tenant and the platform log).
    pub tenant: Option<TenantId>,
    /// Only the platform log.
    pub platform_only: bool,
    /// Paging and filters.
    pub page: AuditQuery,
}

/// What the daily housekeeping deletes, across tenants.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Housekeeping {
    /// One-time account links that expired before this.
    pub links_expired_before: DateTime<Utc>,
    /// Jobs done before this (failed jobs stay: they are listed until retried).
    pub jobs_done_before: DateTime<Utc>,
    /// Markers recorded before this whose key starts with one of
    /// `marker_prefixes` (the short-lived ones: mail throttles, ad modals).
    pub markers_before: DateTime<Utc>,
    /// See `markers_before`.
    pub marker_prefixes: Vec<String>,
}

/// What one run of the daily housekeeping deleted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Housekept {
    /// Expired one-time account links (password resets, verifications).
    pub account_links: u64,
    /// Jobs done long ago.
    pub jobs: u64,
    /// Short-lived markers.
    pub markers: u64,
}

/// The named cross-tenant lookups.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait TenantDirectory: Send + Sync {
    /// Login and signup: which tenant holds this slug (committed state only).
    async fn resolve_slug(&self, slug: &Slug) -> Result<Option<TenantId>, StoreError>;
    /// Billing events: which tenant is this provider customer.
    async fn resolve_billing_customer(&self, customer: &str) -> Result<Option<TenantId>, StoreError>;
    /// Timers: tenants whose `next_due_at` is at or before `now`, earliest first.
    async fn due_tenants(&self, now: DateTime<Utc>, limit: u32) -> Result<Vec<TenantId>, StoreError>;
    /// Claims up to `limit` due jobs across tenants (oldest `run_at` first):
    /// each is leased (`Job::claim`: one more attempt, held for the lease)
    /// atomically, so that concurrent workers never claim one job twice.
    async fn claim_due_jobs(&self, now: DateTime<Utc>, limit: u32) -> Result<Vec<(TenantId, JobId)>, StoreError>;
    /// Jobs that failed for good, newest first (for the superuser).
    async fn failed_jobs(&self, limit: u32) -> Result<Vec<Job>, StoreError>;
    /// The daily housekeeping, across tenants: deletes what `cutoffs` names
    /// as old, and nothing else.
    async fn housekeeping(&self, cutoffs: &Housekeeping) -> Result<Housekept, StoreError>;
    /// Superuser: the tenant list.
    async fn list_tenants(&self, query: &TenantListQuery) -> Result<Vec<TenantSummary>, StoreError>;
    /// Superuser: platform figures for a month.
    async fn platform_figures(&self, month: Month) -> Result<PlatformFigures, StoreError>;
    /// Superuser: audit events across tenants, newest first.
    async fn audit_events(&self, query: &PlatformAuditQuery) -> Result<Vec<AuditEvent>, StoreError>;
}

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

impl TenantSummary {
    /// Its monthly recurring revenue in cents, by the domain's one rule
    /// (`money::mrr_cents`: a yearly price counts a twelfth, rounded half away
    /// from zero), so that every page shows the platform figures' number.
    pub fn mrr_cents(&self) -> Option<i64> {
        let cents = self.recurring_cents?;
        match self.interval {
            Some(Interval::Year) => tenantry_domain::money::mrr_cents(&[], &[cents]).ok(),
            _ => tenantry_domain::money::mrr_cents(&[cents], &[]).ok(),
        }
    }
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
    /// Metered API calls in the month.
    pub api_calls: u64,
    /// Metered web page views in the month.
    pub page_views: u64,
    /// Bytes stored.
    pub storage_bytes: u64,
    /// The month the figures are of (the store's current month).
    pub month: Option<Month>,
}

/// Why the superuser reads every tenant's audit log at once: recorded with
/// the read in the platform log (1–200 characters).
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct AuditReadReason(String);

impl AuditReadReason {
    /// The reason when the superuser gives none.
    pub const DEFAULT: &'static str = "the platform audit log viewed";

    /// A reason of 1–200 characters (trimmed); `None` otherwise.
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        (!text.is_empty() && text.chars().count() <= 200 && !text.chars().any(char::is_control))
            .then(|| Self(text.to_owned()))
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The record of the superuser's read of every tenant's log
/// (`platform.audit_read`): who, why, and with which filters — written by the
/// store before it answers (`TenantDirectory::all_audit_events`).
pub fn audit_read_event(
    id: tenantry_domain::AuditEventId,
    at: DateTime<Utc>,
    superuser: tenantry_domain::PlatformUserId,
    reason: &AuditReadReason,
    query: &AuditQuery,
) -> AuditEvent {
    use tenantry_domain::{AuditAction, AuditActor, AuditOutcome};
    let mut event = AuditEvent {
        id,
        at,
        tenant_id: None,
        actor: AuditActor::Superuser(superuser),
        action: AuditAction::PlatformAuditRead,
        target: None,
        outcome: AuditOutcome::Success,
        details: Default::default(),
    }
    .with("reason", reason.as_str())
    .with("limit", query.limit.min(NAMED_PATH_MAX_ROWS));
    if let Some(before) = query.before {
        event = event.with("before", before.as_uuid());
    }
    if let Some(action) = &query.action {
        event = event.with("action", action.as_str());
    }
    if let Some(user) = query.user {
        event = event.with("user", user.as_uuid());
    }
    event
}

/// What the daily housekeeping deletes, across tenants: the store computes
/// the cut-offs from these numbers and its own clock (the caller passes none).
pub mod housekeeping {
    /// One-time account links are deleted this many days after they expired.
    pub const LINK_RETENTION_DAYS: i64 = tenantry_domain::password_reset::LINK_RETENTION_DAYS;
    /// Jobs done this many days ago are deleted (failed jobs stay: they are
    /// listed until retried).
    pub const DONE_JOB_RETENTION_DAYS: i64 = tenantry_domain::job::DONE_RETENTION_DAYS;
    /// Short-lived markers (mail throttles, ad modals) older than this are
    /// deleted (a trial reminder's lasts well past its trial).
    pub const MARKER_RETENTION_DAYS: i64 = 90;
    /// The key prefixes of the short-lived markers (a mail sent once, a modal
    /// shown once a day); other markers stay as long as the tenant.
    pub const SHORT_LIVED_MARKERS: [&str; 2] = ["mail:", "ads:modal:"];
    /// Sessions that ended (or expired) this many days ago are deleted.
    pub const SESSION_RETENTION_DAYS: i64 = 30;
    /// The outbox's record of a mail sent this many days ago is deleted
    /// (unsent mails stay: their jobs are pending or listed as failed).
    pub const SENT_MAIL_RETENTION_DAYS: i64 = 30;
}

/// The most rows one call of a named path answers (`due_tenants`,
/// `list_tenants`, the audit reads, `failed_jobs`); larger limits are capped.
pub const NAMED_PATH_MAX_ROWS: u32 = 1000;
/// The most workspaces one `/find-workspace` answers (so one request mails at most this many).
pub const WORKSPACES_MAX: u32 = 20;

/// The most jobs one claim leases.
pub const CLAIM_MAX_JOBS: u32 = 100;

/// What one run of the daily housekeeping deleted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Housekept {
    /// Expired one-time account links (password resets, verifications).
    pub account_links: u64,
    /// Jobs done long ago.
    pub jobs: u64,
    /// Short-lived markers.
    pub markers: u64,
    /// Sessions (users' and superusers') that ended or expired 30 days ago.
    pub sessions: u64,
    /// Outbox records of mails sent 30 days ago.
    pub mails: u64,
}

/// The named cross-tenant lookups (DESIGN.md section 2). Each computes its own
/// time (the store's clock: in PostgreSQL `tenantry.now()`), cut-offs and
/// limits, and none answers for "all tenants" because an argument was left
/// out: the one read of every tenant's log is its own operation, recorded.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait TenantDirectory: Send + Sync {
    /// Login and signup: which tenant holds this slug (committed state only).
    async fn resolve_slug(&self, slug: &Slug) -> Result<Option<TenantId>, StoreError>;
    /// `/find-workspace`: the tenants where an active user has proven this address,
    /// oldest first, at most [`WORKSPACES_MAX`] — ids only; the service reads
    /// each user in its own tenant's unit of work.
    async fn tenants_of_email(&self, email: &tenantry_domain::Email) -> Result<Vec<TenantId>, StoreError>;
    /// Billing events: which tenant is this provider customer.
    async fn resolve_billing_customer(&self, customer: &str) -> Result<Option<TenantId>, StoreError>;
    /// Timers: tenants whose `next_due_at` has come by the store's clock,
    /// earliest first; at most `limit` (capped at [`NAMED_PATH_MAX_ROWS`]).
    async fn due_tenants(&self, limit: u32) -> Result<Vec<TenantId>, StoreError>;
    /// Claims due jobs across tenants by the store's clock (oldest `run_at`
    /// first; at most `limit`, capped at [`CLAIM_MAX_JOBS`]): each is leased
    /// (`Job::claim`: one more attempt, held for `job::LEASE_SECONDS`)
    /// atomically, so that concurrent workers never claim one job twice.
    async fn claim_due_jobs(&self, limit: u32) -> Result<Vec<(TenantId, JobId)>, StoreError>;
    /// Jobs that failed for good, newest first (for the superuser).
    async fn failed_jobs(&self, limit: u32) -> Result<Vec<Job>, StoreError>;
    /// The daily housekeeping, across tenants: deletes what [`housekeeping`]
    /// names as old by the store's clock, and nothing else.
    async fn housekeeping(&self) -> Result<Housekept, StoreError>;
    /// Superuser: the tenant list.
    async fn list_tenants(&self, query: &TenantListQuery) -> Result<Vec<TenantSummary>, StoreError>;
    /// Superuser: platform figures of the store's current month.
    async fn platform_figures(&self) -> Result<PlatformFigures, StoreError>;
    /// Superuser: one tenant's log with the platform log's events about it,
    /// newest first.
    async fn tenant_audit_events(&self, tenant: TenantId, query: &AuditQuery) -> Result<Vec<AuditEvent>, StoreError>;
    /// Superuser: every tenant's and the platform's events, newest first. The
    /// read itself is recorded first, in the same operation, as `event_id`
    /// (`platform.audit_read` by `superuser`, with the reason and filters) in
    /// the platform log; an unknown or inactive superuser reads nothing.
    async fn all_audit_events(
        &self,
        event_id: tenantry_domain::AuditEventId,
        superuser: tenantry_domain::PlatformUserId,
        reason: &AuditReadReason,
        query: &AuditQuery,
    ) -> Result<Vec<AuditEvent>, StoreError>;
}

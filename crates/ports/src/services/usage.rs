//! Metered usage and quotas (DESIGN.md "Quotas" and "Entitlements"): API calls
//! and logins per month, storage bytes, active users, against the plan's limits
//! with the superuser's per-tenant override.

use super::access::Attempt;
use super::{AccessError, Tenantry, infra_from_store};
use crate::error::InfraError;
use crate::scope::TenantScope;
use crate::store::{Access, Month, UsageDelta};
use serde::Serialize;
use tenantry_domain::TenantId;
use tenantry_domain::audit::SystemActor;
use tenantry_domain::quota::{Quota, StorageQuotaExceeded, check_storage, next_month_start};
use tenantry_domain::rbac::builtin;
use tenantry_domain::{AuditAction, PlanKind};

/// This month's usage against the limits.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UsageView {
    /// The month.
    pub month: Month,
    /// The plan in force.
    pub plan: PlanKind,
    /// API calls this month (metered by the service; added every few seconds).
    pub api_calls: u64,
    /// Limit: API calls this month.
    pub api_calls_per_month: u64,
    /// When the monthly API allowance starts afresh (the next month, UTC).
    pub resets_at: chrono::DateTime<chrono::Utc>,
    /// Web page views this month (the service's own pages).
    pub page_views: u64,
    /// Logins this month.
    pub logins: u64,
    /// Bytes stored.
    pub storage_bytes: u64,
    /// Limit: bytes.
    pub storage_limit_bytes: u64,
    /// Limit: API requests per minute.
    pub requests_per_minute: u32,
    /// Active users.
    pub active_users: u32,
    /// Pending invitations.
    pub pending_invitations: u32,
    /// Limit: seats (None: not capped).
    pub seats: Option<u32>,
}

/// Why a usage request was refused.
#[derive(Debug, thiserror::Error)]
pub enum UsageError {
    /// More storage than the quota allows.
    #[error(transparent)]
    StorageQuotaExceeded(#[from] StorageQuotaExceeded),
    /// Access.
    #[error(transparent)]
    Access(#[from] AccessError),
    /// Infrastructure.
    #[error(transparent)]
    Infra(#[from] InfraError),
}
infra_from_store!(UsageError);

crate::problem!(UsageError {
    UsageError::StorageQuotaExceeded(_) => ("storage_quota_exceeded", TooLarge),
    UsageError::Access(e) => (via e),
    UsageError::Infra(e) => (via e),
});

impl Tenantry {
    /// The quota in force: the plan's, with the tenant's override.
    pub async fn effective_quota(&self, scope: &TenantScope) -> Result<Quota, InfraError> {
        let mut tx = self.begin(scope, Access::Read).await?;
        let tenant = self.tenant_row(tx.as_mut()).await?;
        let sub = self.subscription(tx.as_mut()).await?;
        Ok(self.plan_quota(sub.plan_kind()).await?.with_override(tenant.quota_override()))
    }

    /// `GET /v1/tenants/{tid}/usage`.
    pub async fn usage(&self, scope: &TenantScope) -> Result<UsageView, UsageError> {
        self.require(scope, builtin::USAGE_READ, Attempt::ReadUsage).await?;
        let now = self.now();
        let month = Month::of(now);
        let mut tx = self.begin(scope, Access::Read).await?;
        let tenant = self.tenant_row(tx.as_mut()).await?;
        let sub = self.subscription(tx.as_mut()).await?;
        let counters = tx.usage(month).await?;
        let storage = tx.storage_used().await?;
        let (usage, _, _) = self.seat_usage(tx.as_mut(), now).await?;
        let quota = self.plan_quota(sub.plan_kind()).await?.with_override(tenant.quota_override());
        Ok(UsageView {
            month,
            plan: sub.plan_kind(),
            api_calls: counters.api_calls,
            api_calls_per_month: quota.api_calls_per_month,
            resets_at: next_month_start(now),
            page_views: counters.page_views,
            logins: counters.logins,
            storage_bytes: storage,
            storage_limit_bytes: quota.storage_bytes,
            requests_per_minute: quota.requests_per_minute,
            active_users: usage.active_users,
            pending_invitations: usage.pending_invitations,
            seats: sub.seat_limit(self.catalog()).capped_by(quota.active_users).cap(),
        })
    }

    /// The API calls the store has counted for the tenant this month (what
    /// metering starts from; the quota comes from [`Tenantry::effective_quota`]).
    pub async fn api_calls_this_month(&self, scope: &TenantScope) -> Result<(Month, u64), InfraError> {
        let month = Month::of(self.now());
        let mut tx = self.begin(scope, Access::Read).await?;
        Ok((month, tx.usage(month).await?.api_calls))
    }

    /// Adds metered API calls and page views to a tenant's month (the HTTP
    /// layer aggregates them in the process and flushes them every few
    /// seconds) and answers the month's totals after the addition, with what
    /// other instances added.
    pub async fn add_metered_usage(
        &self,
        tenant: TenantId,
        month: Month,
        delta: UsageDelta,
    ) -> Result<crate::store::UsageCounters, InfraError> {
        let scope = self.system_scope(tenant, SystemActor::Meter);
        let mut tx = self.begin(&scope, Access::Write).await?;
        let totals = tx.add_usage(month, UsageDelta { logins: 0, ..delta }).await?;
        tx.commit().await?;
        Ok(totals)
    }

    /// Reserves `bytes` of storage; refused beyond the quota (and recorded).
    pub async fn reserve_storage(&self, scope: &TenantScope, bytes: u64) -> Result<u64, UsageError> {
        let mut tx = self.begin(scope, Access::Write).await?;
        let tenant = self.tenant_row(tx.as_mut()).await?;
        let sub = self.subscription(tx.as_mut()).await?;
        let quota = self.plan_quota(sub.plan_kind()).await?.with_override(tenant.quota_override());
        let used = tx.storage_used().await?;
        match check_storage(&quota, used, bytes) {
            Ok(total) => {
                tx.set_storage_used(total).await?;
                tx.commit().await?;
                Ok(total)
            }
            Err(e) => {
                drop(tx);
                self.record_denial(scope, AuditAction::StorageQuotaExceeded.as_str(), &e.to_string()).await;
                Err(e.into())
            }
        }
    }

    /// Releases `bytes` of storage.
    pub async fn release_storage(&self, scope: &TenantScope, bytes: u64) -> Result<u64, InfraError> {
        let mut tx = self.begin(scope, Access::Write).await?;
        let total = tx.storage_used().await?.saturating_sub(bytes);
        tx.set_storage_used(total).await?;
        tx.commit().await?;
        Ok(total)
    }
}

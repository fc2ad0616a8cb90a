//! Metered usage and quotas (DESIGN.md "Quotas" and "Entitlements"): API calls
//! and logins per month, storage bytes, active users, against the plan's limits
//! with the superuser's per-tenant override.

use super::{AccessError, Tenantry, infra_from_store};
use crate::error::{ErrorKind, InfraError, Problem};
use crate::scope::TenantScope;
use crate::store::{Access, Month, UsageDelta};
use serde::Serialize;
use tenantry_domain::quota::{Quota, StorageQuotaExceeded, check_storage};
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
    /// API calls this month.
    pub api_calls: u64,
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

impl Problem for UsageError {
    fn code(&self) -> &'static str {
        match self {
            UsageError::StorageQuotaExceeded(_) => "storage_quota_exceeded",
            UsageError::Access(e) => e.code(),
            UsageError::Infra(e) => e.code(),
        }
    }
    fn kind(&self) -> ErrorKind {
        match self {
            UsageError::StorageQuotaExceeded(_) => ErrorKind::QuotaExceeded,
            UsageError::Access(e) => e.kind(),
            UsageError::Infra(e) => e.kind(),
        }
    }
}

impl Tenantry {
    /// The quota in force: the plan's, with the tenant's override.
    pub async fn effective_quota(&self, scope: &TenantScope) -> Result<Quota, InfraError> {
        let mut tx = self.begin(scope, Access::Read).await?;
        let tenant = self.tenant_row(tx.as_mut()).await?;
        let sub = self.subscription(tx.as_mut()).await?;
        Ok(self.plan_quota(sub.plan_kind()).await?.with_override(&tenant.quota_override))
    }

    /// `GET /v1/tenants/{tid}/usage`.
    pub async fn usage(&self, scope: &TenantScope) -> Result<UsageView, UsageError> {
        self.require(scope, builtin::USAGE_READ, "usage.read").await?;
        let now = self.now();
        let month = Month::of(now);
        let mut tx = self.begin(scope, Access::Read).await?;
        let tenant = self.tenant_row(tx.as_mut()).await?;
        let sub = self.subscription(tx.as_mut()).await?;
        let counters = tx.usage(month).await?;
        let storage = tx.storage_used().await?;
        let (usage, _, _) = self.seat_usage(tx.as_mut(), now).await?;
        let quota = self.plan_quota(sub.plan_kind()).await?.with_override(&tenant.quota_override);
        Ok(UsageView {
            month,
            plan: sub.plan_kind(),
            api_calls: counters.api_calls,
            logins: counters.logins,
            storage_bytes: storage,
            storage_limit_bytes: quota.storage_bytes,
            requests_per_minute: quota.requests_per_minute,
            active_users: usage.active_users,
            pending_invitations: usage.pending_invitations,
            seats: sub.seat_limit(self.catalog()).capped_by(quota.active_users).cap(),
        })
    }

    /// Meters API calls (the HTTP layer batches them).
    pub async fn record_api_calls(&self, scope: &TenantScope, calls: u64) -> Result<(), InfraError> {
        let mut tx = self.begin(scope, Access::Write).await?;
        tx.add_usage(Month::of(self.now()), UsageDelta { api_calls: calls, logins: 0 }).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Reserves `bytes` of storage; refused beyond the quota (and recorded).
    pub async fn reserve_storage(&self, scope: &TenantScope, bytes: u64) -> Result<u64, UsageError> {
        let mut tx = self.begin(scope, Access::Write).await?;
        let tenant = self.tenant_row(tx.as_mut()).await?;
        let sub = self.subscription(tx.as_mut()).await?;
        let quota = self.plan_quota(sub.plan_kind()).await?.with_override(&tenant.quota_override);
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

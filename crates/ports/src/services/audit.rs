//! Reading the tenant's audit log (a premium feature).

use super::access::Attempt;
use super::{AccessError, Tenantry, infra_from_store};
use crate::error::InfraError;
use crate::scope::TenantScope;
use crate::store::{Access, AuditQuery};
use serde::Serialize;
use tenantry_domain::rbac::builtin;
use tenantry_domain::{AuditAction, AuditEvent, AuditEventId, Feature, UserId};

/// The most events one page holds.
pub const MAX_PAGE: u32 = 200;

/// Filters and paging of `GET /v1/tenants/{tid}/audit-events`.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// Only events older than this id (the previous page's `next_before`).
    pub before: Option<AuditEventId>,
    /// Page size (default 50, at most 200).
    pub limit: Option<u32>,
    /// Only this action (`user.role_changed`).
    pub action: Option<String>,
    /// Only events by or about this user.
    pub user: Option<UserId>,
}

/// One page of events, newest first.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditPage {
    /// The events.
    pub events: Vec<AuditEvent>,
    /// Pass as `before` for the next page; `None` on the last page.
    pub next_before: Option<AuditEventId>,
}

/// Why the audit log could not be read.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    /// An unknown action name.
    #[error("unknown audit action `{0}`")]
    UnknownAction(String),
    /// The reason for reading every tenant's log is empty, longer than 200
    /// characters or holds control characters.
    #[error("the reason must be 1 to 200 characters of plain text")]
    InvalidReason,
    /// Access (including `upgrade_required` on freemium).
    #[error(transparent)]
    Access(#[from] AccessError),
    /// Infrastructure.
    #[error(transparent)]
    Infra(#[from] InfraError),
}
infra_from_store!(AuditError);

crate::problem!(AuditError {
    AuditError::UnknownAction(_) => ("unknown_action", Invalid),
    AuditError::InvalidReason => ("invalid_reason", Invalid),
    AuditError::Access(e) => (via e),
    AuditError::Infra(e) => (via e),
});

/// Turns a filter into a store query (shared with the platform audit).
pub(crate) fn to_query(filter: &AuditFilter) -> Result<AuditQuery, AuditError> {
    let action = match &filter.action {
        Some(a) => Some(AuditAction::parse(a).ok_or_else(|| AuditError::UnknownAction(a.chars().take(60).collect()))?),
        None => None,
    };
    Ok(AuditQuery {
        before: filter.before,
        limit: filter.limit.unwrap_or(50).clamp(1, MAX_PAGE),
        action,
        user: filter.user,
    })
}

/// Cuts a page and computes its cursor.
pub(crate) fn page(events: Vec<AuditEvent>, limit: u32) -> AuditPage {
    let next_before =
        if events.len() >= usize::try_from(limit).unwrap_or(usize::MAX) { events.last().map(|e| e.id) } else { None };
    AuditPage { events, next_before }
}

impl Tenantry {
    /// `GET /v1/tenants/{tid}/audit-events`: newest first, filterable, paginated.
    pub async fn audit_events(&self, scope: &TenantScope, filter: AuditFilter) -> Result<AuditPage, AuditError> {
        self.require(scope, builtin::AUDIT_READ, Attempt::ReadAudit).await?;
        let query = to_query(&filter)?;
        let mut tx = self.begin(scope, Access::Read).await?;
        let sub = self.subscription(tx.as_mut()).await?;
        self.entitled(&sub, &Feature::audit_log())?;
        let events = tx.audit_events(&query).await?;
        Ok(page(events, query.limit))
    }
}

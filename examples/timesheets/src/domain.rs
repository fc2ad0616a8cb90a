//! The product's rules and values: its permissions and audit actions, an entry and its status, what logging time takes, and why a request is refused.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use tenantry_domain::rbac::{BuiltinRole, Policy, RbacError};
use tenantry_ports::services::AccessError;
use tenantry_ports::{ErrorKind, InfraError, Problem, StoreError};
use uuid::Uuid;

/// Read every entry of the tenant.
pub const READ: &str = "timesheets:read";
/// Log one's own time.
pub const LOG: &str = "timesheets:log";
/// Approve or reject entries.
pub const APPROVE: &str = "timesheets:approve";

/// The product's table.
pub const TABLE: &str = "timesheets.entries";
/// The audit action of an approval.
pub const APPROVED: &str = "timesheets.entry_approved";
/// The audit action of a rejection.
pub const REJECTED: &str = "timesheets.entry_rejected";

/// tenantry's policy with the product's permissions: everyone reads; members,
/// managers and admins log; managers and admins approve (the owner holds all).
pub fn policy() -> Result<Policy, RbacError> {
    use BuiltinRole::*;
    Ok(Policy::builder()
        .permission(READ, &[Admin, Manager, Member, Viewer])?
        .permission(LOG, &[Admin, Manager, Member])?
        .permission(APPROVE, &[Admin, Manager])?
        .build())
}

/// Where an entry stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Logged, waiting for a manager.
    Submitted,
    /// Approved by a manager.
    Approved,
    /// Rejected by a manager.
    Rejected,
}

impl Status {
    /// As stored and shown (`submitted`, `approved`, `rejected`).
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Submitted => "submitted",
            Status::Approved => "approved",
            Status::Rejected => "rejected",
        }
    }

    /// From its stored text; anything else is a broken row.
    pub(crate) fn parse(text: &str) -> Result<Self, StoreError> {
        match text {
            "submitted" => Ok(Status::Submitted),
            "approved" => Ok(Status::Approved),
            "rejected" => Ok(Status::Rejected),
            other => Err(StoreError::Unknown(anyhow::anyhow!("timesheets.entries: unknown status `{other}`"))),
        }
    }
}

/// One entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// Id.
    pub id: Uuid,
    /// Who worked.
    pub user_id: Uuid,
    /// The project.
    pub project: String,
    /// The day.
    pub day: NaiveDate,
    /// Minutes worked (1 to 1440).
    pub minutes: i32,
    /// A note.
    pub note: String,
    /// Where it stands.
    pub status: Status,
    /// Who approved or rejected it.
    pub decided_by: Option<Uuid>,
    /// When it was logged.
    pub created_at: DateTime<Utc>,
}

/// Time to log.
#[derive(Clone, Debug, Deserialize)]
pub struct LogInput {
    /// The project (1 to 100 characters).
    pub project: String,
    /// The day.
    pub day: NaiveDate,
    /// Minutes (1 to 1440).
    pub minutes: i32,
    /// A note (at most 500 characters).
    #[serde(default)]
    pub note: String,
}

/// Why a timesheet request was refused; nothing changed.
#[derive(Debug, thiserror::Error)]
pub enum TimesheetError {
    /// A field is invalid.
    #[error("`{0}`: {1}")]
    Invalid(&'static str, &'static str),
    /// No such entry in the tenant (also for another tenant's ids).
    #[error("not found")]
    NotFound,
    /// The entry was already approved or rejected.
    #[error("the entry was already {}", .0.as_str())]
    AlreadyDecided(Status),
    /// Only a user logs time (not an API key or the operator).
    #[error("only a user of the tenant logs time")]
    NotAUser,
    /// Access.
    #[error(transparent)]
    Access(#[from] AccessError),
    /// The store.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// tenantry's clock or id generator.
    #[error(transparent)]
    Infra(#[from] InfraError),
}

impl Problem for TimesheetError {
    fn code(&self) -> &'static str {
        match self {
            TimesheetError::Invalid(..) => "invalid_request",
            TimesheetError::NotFound => "not_found",
            TimesheetError::AlreadyDecided(_) => "already_decided",
            TimesheetError::NotAUser => "not_a_user",
            TimesheetError::Access(e) => e.code(),
            TimesheetError::Store(_) | TimesheetError::Infra(_) => "internal_error",
        }
    }
    fn kind(&self) -> ErrorKind {
        match self {
            TimesheetError::Invalid(..) => ErrorKind::Invalid,
            TimesheetError::NotFound => ErrorKind::NotFound,
            TimesheetError::AlreadyDecided(_) => ErrorKind::Conflict,
            TimesheetError::NotAUser => ErrorKind::Forbidden,
            TimesheetError::Access(e) => e.kind(),
            TimesheetError::Store(StoreError::Unavailable(_)) | TimesheetError::Infra(InfraError::Unavailable(_)) => {
                ErrorKind::Unavailable
            }
            TimesheetError::Store(_) | TimesheetError::Infra(_) => ErrorKind::Internal,
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // test code
mod tests {
    use super::*;
    use tenantry_domain::ProductAction;

    #[test]
    fn the_audit_actions_are_valid_product_actions() {
        for action in [APPROVED, REJECTED] {
            assert_eq!(ProductAction::new(action).unwrap().as_str(), action);
        }
    }
}

//! GDPR exports (DESIGN.md "Data rights"): the tenant's data without secrets,
//! produced asynchronously (a job), with progress, downloadable until it
//! expires. One export runs at a time per tenant: asking again while one is
//! queued or running answers the running one.

use crate::audit::AuditActor;
use crate::ids::{ExportId, TenantId};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// How long a finished export can be downloaded.
pub const EXPORT_RETENTION_DAYS: i64 = 7;

/// The archive's format tag; a reader refuses any other.
pub const EXPORT_FORMAT: &str = "tenantry-export/1";

/// Where an export stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ExportStatus {
    /// Waiting for a worker.
    Queued,
    /// Being produced.
    Running,
    /// Ready to download until `expires_at`.
    Ready,
    /// Failed on its job's last attempt.
    Failed,
    /// Past `expires_at`; the file is gone.
    Expired,
}

impl ExportStatus {
    /// The stable text form (as serde writes it).
    pub fn as_str(self) -> &'static str {
        match self {
            ExportStatus::Queued => "queued",
            ExportStatus::Running => "running",
            ExportStatus::Ready => "ready",
            ExportStatus::Failed => "failed",
            ExportStatus::Expired => "expired",
        }
    }
}

/// One GDPR export of one tenant.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Export {
    /// Its id.
    pub id: ExportId,
    /// Whose data.
    pub tenant_id: TenantId,
    /// Who asked.
    pub requested_by: AuditActor,
    /// Where it stands (see [`Export::status_at`] for expiry).
    pub status: ExportStatus,
    /// Sections written so far.
    pub sections_done: u32,
    /// Sections in all (known once it runs).
    pub sections_total: u32,
    /// The archive's size.
    pub size_bytes: u64,
    /// When it was asked for.
    pub created_at: DateTime<Utc>,
    /// When it was ready or failed.
    pub finished_at: Option<DateTime<Utc>>,
    /// Downloadable until then.
    pub expires_at: Option<DateTime<Utc>>,
}

impl Export {
    /// A queued export.
    pub fn new(id: ExportId, tenant_id: TenantId, requested_by: AuditActor, now: DateTime<Utc>) -> Self {
        Export {
            id,
            tenant_id,
            requested_by,
            status: ExportStatus::Queued,
            sections_done: 0,
            sections_total: 0,
            size_bytes: 0,
            created_at: now,
            finished_at: None,
            expires_at: None,
        }
    }

    /// The status at `now` (a ready export past its expiry is expired).
    pub fn status_at(&self, now: DateTime<Utc>) -> ExportStatus {
        match (self.status, self.expires_at) {
            (ExportStatus::Ready, Some(end)) if now >= end => ExportStatus::Expired,
            (status, _) => status,
        }
    }

    /// Whether it still occupies the tenant's one export slot.
    pub fn in_progress(&self) -> bool {
        matches!(self.status, ExportStatus::Queued | ExportStatus::Running)
    }

    /// Progress in whole percent (rounded down; 100 only when ready).
    pub fn percent(&self) -> u32 {
        match self.status {
            ExportStatus::Ready | ExportStatus::Expired => 100,
            _ if self.sections_total == 0 => 0,
            _ => (self.sections_done.min(self.sections_total) * 100 / self.sections_total).min(99),
        }
    }

    /// Ready: downloadable for [`EXPORT_RETENTION_DAYS`].
    pub fn finish(&mut self, size_bytes: u64, now: DateTime<Utc>) {
        self.status = ExportStatus::Ready;
        self.sections_done = self.sections_total;
        self.size_bytes = size_bytes;
        self.finished_at = Some(now);
        self.expires_at = Some(now + Duration::days(EXPORT_RETENTION_DAYS));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_export_is_ready_for_seven_days_and_reports_progress_in_whole_percent() {
        let t0 = DateTime::from_timestamp(1_790_000_000, 0).unwrap_or_default();
        let id = ExportId::parse("01900000-0000-7000-8000-000000000003").unwrap();
        let tenant = TenantId::parse("01900000-0000-7000-8000-000000000002").unwrap();
        let mut e = Export::new(id, tenant, AuditActor::Anonymous, t0);
        assert!(e.in_progress());
        assert_eq!(e.percent(), 0);
        e.status = ExportStatus::Running;
        e.sections_total = 3;
        e.sections_done = 2;
        assert_eq!(e.percent(), 66);
        e.sections_done = 3;
        assert_eq!(e.percent(), 99, "100 only once the file is stored");
        e.finish(1234, t0);
        assert_eq!((e.percent(), e.in_progress()), (100, false));
        let end = t0 + Duration::days(7);
        assert_eq!(e.status_at(end - Duration::seconds(1)), ExportStatus::Ready);
        assert_eq!(e.status_at(end), ExportStatus::Expired);
    }
}

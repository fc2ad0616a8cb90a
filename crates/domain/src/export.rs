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

/// One GDPR export of one tenant. Its state changes only through the
/// transitions below (queued → running → ready → expired, or → failed); a
/// store reads one back with [`Export::restore`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Export {
    /// Every field, private: read through the accessors, changed by the transitions.
    r: ExportRecord,
}

/// An export as a store keeps it: every field, for writing a row and for
/// reading one back ([`Export::restore`], [`Export::record`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportRecord {
    /// Its id.
    pub id: ExportId,
    /// Whose data.
    pub tenant_id: TenantId,
    /// Who asked.
    pub requested_by: AuditActor,
    /// Where it stands.
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
            r: ExportRecord {
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
            },
        }
    }

    /// An export as a store kept it (no transition is checked: the store wrote
    /// what the transitions made).
    pub fn restore(r: ExportRecord) -> Self {
        Self { r }
    }

    /// Every field, for a store to write.
    pub fn record(&self) -> ExportRecord {
        self.r.clone()
    }

    /// Its id.
    pub fn id(&self) -> ExportId {
        self.r.id
    }
    /// Whose data.
    pub fn tenant_id(&self) -> TenantId {
        self.r.tenant_id
    }
    /// Who asked.
    pub fn requested_by(&self) -> AuditActor {
        self.r.requested_by
    }
    /// Where it stands as stored (see [`Export::status_at`] for expiry).
    pub fn status(&self) -> ExportStatus {
        self.r.status
    }
    /// Sections written so far.
    pub fn sections_done(&self) -> u32 {
        self.r.sections_done
    }
    /// Sections in all (known once it runs).
    pub fn sections_total(&self) -> u32 {
        self.r.sections_total
    }
    /// The archive's size (0 until ready).
    pub fn size_bytes(&self) -> u64 {
        self.r.size_bytes
    }
    /// When it was asked for.
    pub fn created_at(&self) -> DateTime<Utc> {
        self.r.created_at
    }
    /// When it was ready or failed.
    pub fn finished_at(&self) -> Option<DateTime<Utc>> {
        self.r.finished_at
    }
    /// Downloadable until then.
    pub fn expires_at(&self) -> Option<DateTime<Utc>> {
        self.r.expires_at
    }

    /// The status at `now` (a ready export past its expiry is expired).
    pub fn status_at(&self, now: DateTime<Utc>) -> ExportStatus {
        match (self.r.status, self.r.expires_at) {
            (ExportStatus::Ready, Some(end)) if now >= end => ExportStatus::Expired,
            (status, _) => status,
        }
    }

    /// Whether it still occupies the tenant's one export slot.
    pub fn in_progress(&self) -> bool {
        matches!(self.r.status, ExportStatus::Queued | ExportStatus::Running)
    }

    /// Progress in whole percent (rounded down; 100 only when ready).
    pub fn percent(&self) -> u32 {
        match self.r.status {
            ExportStatus::Ready | ExportStatus::Expired => 100,
            _ if self.r.sections_total == 0 => 0,
            _ => (self.r.sections_done.min(self.r.sections_total) * 100 / self.r.sections_total).min(99),
        }
    }

    /// Running (again, after a crash: from the first section) over `sections` sections.
    pub fn start(&mut self, sections: u32) {
        self.r.status = ExportStatus::Running;
        self.r.sections_done = 0;
        self.r.sections_total = sections;
    }

    /// `done` sections written (at most all of them).
    pub fn progress(&mut self, done: u32) {
        self.r.sections_done = done.min(self.r.sections_total);
    }

    /// Ready: downloadable for [`EXPORT_RETENTION_DAYS`].
    pub fn finish(&mut self, size_bytes: u64, now: DateTime<Utc>) {
        self.r.status = ExportStatus::Ready;
        self.r.sections_done = self.r.sections_total;
        self.r.size_bytes = size_bytes;
        self.r.finished_at = Some(now);
        self.r.expires_at = Some(now + Duration::days(EXPORT_RETENTION_DAYS));
    }

    /// Failed on its job's last attempt.
    pub fn fail(&mut self, now: DateTime<Utc>) {
        self.r.status = ExportStatus::Failed;
        self.r.finished_at = Some(now);
    }

    /// Its archive deleted: a ready export is expired from now on (any other
    /// state stays as it is); whether it changed.
    pub fn expire(&mut self) -> bool {
        if self.r.status == ExportStatus::Ready {
            self.r.status = ExportStatus::Expired;
            true
        } else {
            false
        }
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
        e.start(3);
        e.progress(2);
        assert_eq!(e.percent(), 66);
        e.progress(3);
        assert_eq!(e.percent(), 99, "100 only once the file is stored");
        e.finish(1234, t0);
        assert_eq!((e.percent(), e.in_progress()), (100, false));
        let end = t0 + Duration::days(7);
        assert_eq!(e.status_at(end - Duration::seconds(1)), ExportStatus::Ready);
        assert_eq!(e.status_at(end), ExportStatus::Expired);
        assert!(e.expire());
        assert_eq!((e.status(), e.percent()), (ExportStatus::Expired, 100));
        assert!(!e.expire(), "only a ready export expires");
    }

    #[test]
    fn a_failed_export_keeps_its_progress_and_frees_the_slot_and_a_store_round_trip_is_exact() {
        let t0 = DateTime::from_timestamp(1_790_000_000, 0).unwrap_or_default();
        let id = ExportId::parse("01900000-0000-7000-8000-000000000003").unwrap();
        let tenant = TenantId::parse("01900000-0000-7000-8000-000000000002").unwrap();
        let mut e = Export::new(id, tenant, AuditActor::Anonymous, t0);
        e.start(4);
        e.progress(9);
        assert_eq!(e.sections_done(), 4, "progress never passes the total");
        e.progress(1);
        e.fail(t0 + Duration::seconds(5));
        assert_eq!((e.status(), e.in_progress(), e.percent()), (ExportStatus::Failed, false, 25));
        assert!(!e.expire(), "a failed export does not become expired");
        assert_eq!(e.finished_at(), Some(t0 + Duration::seconds(5)));
        assert_eq!(Export::restore(e.record()), e);
    }
}

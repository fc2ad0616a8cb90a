//! The tenant's background jobs (`tenantry.jobs`).

use super::{PgTenantTx, int};
use crate::rows;
use async_trait::async_trait;
use sqlx::types::Json;
use tenantry_domain::JobId;
use tenantry_domain::job::{Job, JobKind};
use tenantry_ports::error::StoreError;
use tenantry_ports::store::JobStore;

#[async_trait]
impl JobStore for PgTenantTx {
    async fn insert_job(&mut self, j: &Job) -> Result<(), StoreError> {
        self.writable()?;
        self.own(j.tenant_id, "a job")?;
        let (state, finished_at) = rows::job_state_columns(&j.state);
        self.execute(sqlx::query(
            "INSERT INTO tenantry.jobs (tenant_id, id, kind, run_at, attempts, leased_until, last_error, state, finished_at, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(self.t())
        .bind(j.id.as_uuid())
        .bind(Json(&j.kind))
        .bind(j.run_at)
        .bind(int(j.attempts))
        .bind(j.leased_until)
        .bind(j.last_error.as_deref())
        .bind(state)
        .bind(finished_at)
        .bind(j.created_at)).await?;
        Ok(())
    }

    async fn job(&mut self, id: JobId) -> Result<Option<Job>, StoreError> {
        let row = self
            .optional(
                sqlx::query("SELECT * FROM tenantry.jobs WHERE tenant_id = $1 AND id = $2")
                    .bind(self.t())
                    .bind(id.as_uuid()),
            )
            .await?;
        row.as_ref().map(rows::job).transpose()
    }

    async fn jobs_of_kind(&mut self, kind: &JobKind) -> Result<Vec<Job>, StoreError> {
        let rows = self
            .all(
                sqlx::query("SELECT * FROM tenantry.jobs WHERE tenant_id = $1 AND kind = $2 ORDER BY created_at, id")
                    .bind(self.t())
                    .bind(Json(kind)),
            )
            .await?;
        rows.iter().map(rows::job).collect()
    }

    async fn update_job(&mut self, j: &Job) -> Result<(), StoreError> {
        self.writable()?;
        self.own(j.tenant_id, "a job")?;
        let (state, finished_at) = rows::job_state_columns(&j.state);
        let changed = self.execute(sqlx::query(
            "UPDATE tenantry.jobs SET run_at = $3, attempts = $4, leased_until = $5, last_error = $6, state = $7, finished_at = $8 \
             WHERE tenant_id = $1 AND id = $2",
        )
        .bind(self.t())
        .bind(j.id.as_uuid())
        .bind(j.run_at)
        .bind(int(j.attempts))
        .bind(j.leased_until)
        .bind(j.last_error.as_deref())
        .bind(state)
        .bind(finished_at)).await?;
        if changed == 1 { Ok(()) } else { Err(StoreError::NotFound) }
    }

    async fn claim_job(&mut self, id: JobId, now: chrono::DateTime<chrono::Utc>) -> Result<Option<Job>, StoreError> {
        self.writable()?;
        // The row's lock orders this claim with the directory's (FOR UPDATE SKIP
        // LOCKED): after waiting, the row read is the one the other claim wrote.
        let row = self
            .optional(
                sqlx::query("SELECT * FROM tenantry.jobs WHERE tenant_id = $1 AND id = $2 FOR UPDATE")
                    .bind(self.t())
                    .bind(id.as_uuid()),
            )
            .await?;
        let Some(mut job) = row.as_ref().map(rows::job).transpose()? else { return Ok(None) };
        if !job.claimable(now) {
            return Ok(None);
        }
        job.claim(now);
        self.update_job(&job).await?;
        Ok(Some(job))
    }
}

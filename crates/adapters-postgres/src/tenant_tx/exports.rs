//! The tenant's GDPR exports and their archives, stored in chunks.

use super::{PgTenantTx, int};
use crate::rows;
use async_trait::async_trait;
use sqlx::types::Json;
use tenantry_domain::ExportId;
use tenantry_domain::export::Export;
use tenantry_ports::error::StoreError;
use tenantry_ports::store::ExportStore;

#[async_trait]
impl ExportStore for PgTenantTx {
    async fn insert_export(&mut self, e: &Export) -> Result<(), StoreError> {
        self.writable()?;
        self.own(e.tenant_id(), "an export")?;
        self.execute(sqlx::query(
            "INSERT INTO tenantry.exports (tenant_id, id, requested_by, status, sections_done, sections_total, size_bytes, created_at, finished_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(self.t())
        .bind(e.id().as_uuid())
        .bind(Json(&e.requested_by()))
        .bind(e.status().as_str())
        .bind(int(e.sections_done()))
        .bind(int(e.sections_total()))
        .bind(i64::try_from(e.size_bytes()).unwrap_or(i64::MAX))
        .bind(e.created_at())
        .bind(e.finished_at())
        .bind(e.expires_at())).await?;
        Ok(())
    }

    async fn update_export(&mut self, e: &Export) -> Result<(), StoreError> {
        self.writable()?;
        self.own(e.tenant_id(), "an export")?;
        let changed = self.execute(sqlx::query(
            "UPDATE tenantry.exports SET status = $3, sections_done = $4, sections_total = $5, size_bytes = $6, finished_at = $7, expires_at = $8 \
             WHERE tenant_id = $1 AND id = $2",
        )
        .bind(self.t())
        .bind(e.id().as_uuid())
        .bind(e.status().as_str())
        .bind(int(e.sections_done()))
        .bind(int(e.sections_total()))
        .bind(i64::try_from(e.size_bytes()).unwrap_or(i64::MAX))
        .bind(e.finished_at())
        .bind(e.expires_at())).await?;
        if changed == 1 { Ok(()) } else { Err(StoreError::NotFound) }
    }

    async fn export(&mut self, id: ExportId) -> Result<Option<Export>, StoreError> {
        let row = self
            .optional(
                sqlx::query("SELECT * FROM tenantry.exports WHERE tenant_id = $1 AND id = $2")
                    .bind(self.t())
                    .bind(id.as_uuid()),
            )
            .await?;
        row.as_ref().map(rows::export).transpose()
    }

    async fn exports(&mut self) -> Result<Vec<Export>, StoreError> {
        let found = self
            .all(
                sqlx::query("SELECT * FROM tenantry.exports WHERE tenant_id = $1 ORDER BY created_at DESC, id DESC")
                    .bind(self.t()),
            )
            .await?;
        found.iter().map(rows::export).collect()
    }

    async fn append_export_file(&mut self, id: ExportId, bytes: &[u8]) -> Result<(), StoreError> {
        self.writable()?;
        self.execute(sqlx::query(
            "INSERT INTO tenantry.export_files (tenant_id, export_id, content) VALUES ($1, $2, $3) \
             ON CONFLICT (tenant_id, export_id) DO UPDATE SET content = tenantry.export_files.content || EXCLUDED.content",
        )
        .bind(self.t())
        .bind(id.as_uuid())
        .bind(bytes)).await?;
        Ok(())
    }

    async fn export_file_chunk(&mut self, id: ExportId, offset: u64, len: u32) -> Result<Option<Vec<u8>>, StoreError> {
        // The column is stored uncompressed (migration 0024): substring reads only the chunk's pages.
        // PostgreSQL's substring counts from 1 in int4 (a bytea holds at most 1 GB).
        let from = i32::try_from(offset).ok().and_then(|o| o.checked_add(1)).ok_or_else(|| {
            StoreError::Unknown(anyhow::anyhow!("an export archive's offset {offset} is past what PostgreSQL holds"))
        })?;
        let len = i32::try_from(len).unwrap_or(i32::MAX);
        sqlx::query_scalar(
            "SELECT substring(content FROM $3 FOR $4) FROM tenantry.export_files WHERE tenant_id = $1 AND export_id = $2",
        )
        .bind(self.t())
        .bind(id.as_uuid())
        .bind(from)
        .bind(len)
        .fetch_optional(&mut *self.tx)
        .await
        .map_err(|e| self.fail(e))
    }

    async fn delete_export_file(&mut self, id: ExportId) -> Result<(), StoreError> {
        self.writable()?;
        self.execute(
            sqlx::query("DELETE FROM tenantry.export_files WHERE tenant_id = $1 AND export_id = $2")
                .bind(self.t())
                .bind(id.as_uuid()),
        )
        .await?;
        Ok(())
    }
}

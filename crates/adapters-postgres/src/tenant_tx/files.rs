//! What the tenant keeps about its files (`tenantry.files`, issue 27); the
//! bytes are the file store's (`crate::files` on PostgreSQL).

use super::PgTenantTx;
use crate::error::Db as _;
use async_trait::async_trait;
use sqlx::Row;
use sqlx::postgres::PgRow;
use tenantry_domain::file::{FileName, FilePurpose, StoredFile};
use tenantry_domain::{EntityId as _, FileId, TenantId, UserId};
use tenantry_ports::error::StoreError;
use tenantry_ports::store::FileRecordStore;

fn file(row: &PgRow) -> Result<StoredFile, StoreError> {
    let bad = |what: &str| StoreError::Unknown(anyhow::anyhow!("tenantry.files holds a bad {what}"));
    let purpose: String = row.try_get("purpose").db()?;
    let size: i64 = row.try_get("size").db()?;
    let name: String = row.try_get("name").db()?;
    Ok(StoredFile {
        id: FileId::from_uuid(row.try_get("id").db()?).map_err(|_| bad("id"))?,
        tenant_id: TenantId::from_uuid(row.try_get("tenant_id").db()?).map_err(|_| bad("tenant"))?,
        name: FileName::parse(&name).map_err(|_| bad("name"))?,
        content_type: row.try_get("content_type").db()?,
        size: u64::try_from(size).map_err(|_| bad("size"))?,
        sha256: row.try_get("sha256").db()?,
        uploaded_by: row
            .try_get::<Option<uuid::Uuid>, _>("uploaded_by")
            .db()?
            .map(UserId::from_uuid)
            .transpose()
            .map_err(|_| bad("uploader"))?,
        uploaded_at: row.try_get("uploaded_at").db()?,
        purpose: FilePurpose::parse(&purpose).ok_or_else(|| bad("purpose"))?,
    })
}

#[async_trait]
impl FileRecordStore for PgTenantTx {
    async fn insert_file(&mut self, f: &StoredFile) -> Result<(), StoreError> {
        self.writable()?;
        self.own(f.tenant_id, "a file")?;
        self.execute(
            sqlx::query(
                "INSERT INTO tenantry.files (tenant_id, id, name, content_type, size, sha256, uploaded_by, uploaded_at, purpose) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(self.t())
            .bind(f.id.as_uuid())
            .bind(f.name.as_str())
            .bind(&f.content_type)
            .bind(i64::try_from(f.size).unwrap_or(i64::MAX))
            .bind(&f.sha256)
            .bind(f.uploaded_by.map(|u| u.as_uuid()))
            .bind(f.uploaded_at)
            .bind(f.purpose.as_str()),
        )
        .await?;
        Ok(())
    }

    async fn file(&mut self, id: FileId) -> Result<Option<StoredFile>, StoreError> {
        let row = self
            .optional(
                sqlx::query("SELECT * FROM tenantry.files WHERE tenant_id = $1 AND id = $2")
                    .bind(self.t())
                    .bind(id.as_uuid()),
            )
            .await?;
        row.as_ref().map(file).transpose()
    }

    async fn files(&mut self) -> Result<Vec<StoredFile>, StoreError> {
        let rows = self
            .all(
                sqlx::query("SELECT * FROM tenantry.files WHERE tenant_id = $1 ORDER BY uploaded_at DESC, id DESC")
                    .bind(self.t()),
            )
            .await?;
        rows.iter().map(file).collect()
    }

    async fn delete_file(&mut self, id: FileId) -> Result<(), StoreError> {
        self.writable()?;
        let deleted = self
            .execute(
                sqlx::query("DELETE FROM tenantry.files WHERE tenant_id = $1 AND id = $2")
                    .bind(self.t())
                    .bind(id.as_uuid()),
            )
            .await?;
        if deleted == 1 { Ok(()) } else { Err(StoreError::NotFound) }
    }
}

//! The PostgreSQL file store (issue 27): a file's bytes in
//! `tenantry.file_chunks`, 1 MiB a row, behind the same walls as every tenant
//! row (the service role, the tenant set for the transaction, forced RLS; on
//! Citus on the tenant's shard).
//!
//! An upload is written in one transaction of its own, chunk by chunk as the
//! bytes arrive — never held whole — and without the tenant's writer lock
//! (the quota and the row are the unit of work's, afterwards). A download reads
//! one chunk per short transaction, so a slow client holds no connection.

use crate::embedding::begin_in;
use crate::{PgStore, error};
use async_trait::async_trait;
use bytes::{Bytes, BytesMut};
use futures::StreamExt as _;
use tenantry_domain::{EntityId as _, FileId, TenantId};
use tenantry_ports::error::StoreError;
use tenantry_ports::files::{ByteStream, FileStore, FileStoreError};

/// The bytes of a chunk row.
pub const CHUNK_BYTES: usize = 1024 * 1024;

fn unavailable(e: impl Into<anyhow::Error>) -> FileStoreError {
    FileStoreError::Unavailable(e.into())
}

fn store(e: StoreError) -> FileStoreError {
    unavailable(anyhow::anyhow!(e))
}

impl PgStore {
    async fn file_tx(
        &self,
        tenant: TenantId,
        start: &str,
    ) -> Result<sqlx::Transaction<'static, sqlx::Postgres>, FileStoreError> {
        crate::open_on(self.pool(), begin_in(tenant, start.to_owned(), self.citus)).await.map_err(store)
    }

    async fn chunk(&self, tenant: TenantId, id: FileId, seq: i32) -> Result<Option<Vec<u8>>, FileStoreError> {
        let mut tx = self.file_tx(tenant, "BEGIN READ ONLY").await?;
        let data = sqlx::query_scalar(
            "SELECT data FROM tenantry.file_chunks WHERE tenant_id = $1 AND file_id = $2 AND seq = $3",
        )
        .bind(tenant.as_uuid())
        .bind(id.as_uuid())
        .bind(seq)
        .fetch_optional(&mut *tx)
        .await
        .map_err(|e| store(error::store(e)))?;
        tx.commit().await.map_err(|e| store(error::store(e)))?;
        Ok(data)
    }

    async fn delete_where(&self, tenant: TenantId, id: Option<FileId>) -> Result<(), FileStoreError> {
        let mut tx = self.file_tx(tenant, "BEGIN").await?;
        sqlx::query("DELETE FROM tenantry.file_chunks WHERE tenant_id = $1 AND ($2::uuid IS NULL OR file_id = $2)")
            .bind(tenant.as_uuid())
            .bind(id.map(|i| i.as_uuid()))
            .execute(&mut *tx)
            .await
            .map_err(|e| store(error::store(e)))?;
        tx.commit().await.map_err(|e| store(error::store(e)))
    }
}

#[async_trait]
impl FileStore for PgStore {
    async fn put(&self, tenant: TenantId, id: FileId, mut content: ByteStream) -> Result<(), FileStoreError> {
        // Dropped on any error before the commit: the transaction rolls back, nothing stays.
        let mut tx = self.file_tx(tenant, "BEGIN").await?;
        let mut pending = BytesMut::new();
        let mut seq: i32 = 0;
        let mut ended = false;
        while !ended {
            match content.next().await {
                Some(chunk) => pending.extend_from_slice(&chunk?),
                None => ended = true,
            }
            while pending.len() >= CHUNK_BYTES || (ended && !pending.is_empty()) {
                let take = pending.len().min(CHUNK_BYTES);
                let data: Bytes = pending.split_to(take).freeze();
                sqlx::query("INSERT INTO tenantry.file_chunks (tenant_id, file_id, seq, data) VALUES ($1, $2, $3, $4)")
                    .bind(tenant.as_uuid())
                    .bind(id.as_uuid())
                    .bind(seq)
                    .bind(data.as_ref())
                    .execute(&mut *tx)
                    .await
                    .map_err(|e| store(error::store(e)))?;
                seq = seq.checked_add(1).ok_or_else(|| unavailable(anyhow::anyhow!("too many chunks")))?;
            }
        }
        tx.commit().await.map_err(|e| store(error::store(e)))
    }

    async fn get(&self, tenant: TenantId, id: FileId) -> Result<Option<ByteStream>, FileStoreError> {
        let Some(first) = self.chunk(tenant, id, 0).await? else { return Ok(None) };
        let store = self.clone();
        let rest = futures::stream::try_unfold(1_i32, move |seq| {
            let store = store.clone();
            async move {
                let next = store.chunk(tenant, id, seq).await?;
                Ok(next.map(|data| (Bytes::from(data), seq.saturating_add(1))))
            }
        });
        Ok(Some(Box::pin(futures::stream::once(async move { Ok(Bytes::from(first)) }).chain(rest))))
    }

    async fn delete(&self, tenant: TenantId, id: FileId) -> Result<(), FileStoreError> {
        self.delete_where(tenant, Some(id)).await
    }

    async fn list(&self, tenant: TenantId) -> Result<Vec<FileId>, FileStoreError> {
        let mut tx = self.file_tx(tenant, "BEGIN READ ONLY").await?;
        let ids: Vec<uuid::Uuid> = sqlx::query_scalar(
            "SELECT file_id FROM tenantry.file_chunks WHERE tenant_id = $1 AND seq = 0 ORDER BY file_id",
        )
        .bind(tenant.as_uuid())
        .fetch_all(&mut *tx)
        .await
        .map_err(|e| store(error::store(e)))?;
        tx.commit().await.map_err(|e| store(error::store(e)))?;
        ids.into_iter().map(|u| FileId::from_uuid(u).map_err(unavailable)).collect()
    }

    async fn delete_tenant(&self, tenant: TenantId) -> Result<(), FileStoreError> {
        self.delete_where(tenant, None).await
    }
}

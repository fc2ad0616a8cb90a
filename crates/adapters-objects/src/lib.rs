//! tenantry's [`FileStore`] on an object store (issue 27), through the
//! `object_store` crate: the local file system (`TENANTRY_FILES=fs:<dir>`) and
//! memory (the embedded default: nothing persisted).
//!
//! A file's key is `tenants/<tenant id>/files/<file id>`: both ids are
//! tenantry's (UUIDs it generated), never a caller's path, so a key cannot
//! leave its tenant's folder. Unlike PostgreSQL's chunks there is no row-level
//! wall under the bytes: the tenant's file row (read under RLS in the unit of
//! work) is what says a file exists, and only then are its bytes read.
//!
//! Uploads stream through [`BufWriter`]: up to 5 MiB buffered, larger files
//! as a multipart upload with at most two parts in flight (on the file system: a temporary file renamed into
//! place when complete, so a broken upload never shows as a file).

use async_trait::async_trait;
use futures::{StreamExt as _, TryStreamExt as _};
use object_store::buffered::BufWriter;
use object_store::path::Path;
use object_store::{ObjectStore, memory::InMemory};
use std::sync::Arc;
use tenantry_domain::{EntityId as _, FileId, TenantId};
use tenantry_ports::files::{ByteStream, FileStore, FileStoreError};
use tokio::io::AsyncWriteExt as _;

/// Bytes buffered before an upload becomes a multipart upload (S3's smallest part).
const BUFFER_BYTES: usize = 5 * 1024 * 1024;
/// Parts in flight at once: an upload holds at most about this many buffers.
const PARTS_IN_FLIGHT: usize = 2;

/// The file store on an object store.
#[derive(Clone)]
pub struct ObjectFileStore {
    store: Arc<dyn ObjectStore>,
}

impl std::fmt::Debug for ObjectFileStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ObjectFileStore").field("store", &self.store.to_string()).finish()
    }
}

fn unavailable(e: impl Into<anyhow::Error>) -> FileStoreError {
    FileStoreError::Unavailable(e.into())
}

impl ObjectFileStore {
    /// Files in memory (the embedded default, tests): gone with the process.
    pub fn in_memory() -> Self {
        Self { store: Arc::new(InMemory::new()) }
    }

    /// Files under `dir` on the local file system (created if missing).
    pub fn local(dir: impl AsRef<std::path::Path>) -> Result<Self, FileStoreError> {
        std::fs::create_dir_all(dir.as_ref()).map_err(unavailable)?;
        let store = object_store::local::LocalFileSystem::new_with_prefix(dir).map_err(unavailable)?;
        Ok(Self { store: Arc::new(store) })
    }

    /// Any object store (another adapter of the crate).
    pub fn on(store: Arc<dyn ObjectStore>) -> Self {
        Self { store }
    }

    fn folder(tenant: TenantId) -> Path {
        Path::from_iter(["tenants", &tenant.as_uuid().to_string(), "files"])
    }

    fn key(tenant: TenantId, id: FileId) -> Path {
        Self::folder(tenant).child(id.as_uuid().to_string())
    }
}

#[async_trait]
impl FileStore for ObjectFileStore {
    async fn put(&self, tenant: TenantId, id: FileId, mut content: ByteStream) -> Result<(), FileStoreError> {
        let mut writer = BufWriter::with_capacity(self.store.clone(), Self::key(tenant, id), BUFFER_BYTES)
            .with_max_concurrency(PARTS_IN_FLIGHT);
        let written: Result<(), FileStoreError> = async {
            while let Some(chunk) = content.next().await {
                writer.put(chunk?).await.map_err(unavailable)?;
            }
            Ok(())
        }
        .await;
        match written {
            Ok(()) => writer.shutdown().await.map_err(unavailable),
            Err(e) => {
                // Nothing of a broken upload stays (a multipart upload is cleaned up).
                if let Err(cleanup) = writer.abort().await {
                    return Err(unavailable(anyhow::anyhow!("{e}; and cleaning up failed: {cleanup}")));
                }
                Err(e)
            }
        }
    }

    async fn get(&self, tenant: TenantId, id: FileId) -> Result<Option<ByteStream>, FileStoreError> {
        match self.store.get(&Self::key(tenant, id)).await {
            Ok(found) => Ok(Some(Box::pin(found.into_stream().map_err(unavailable)))),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(unavailable(e)),
        }
    }

    async fn delete(&self, tenant: TenantId, id: FileId) -> Result<(), FileStoreError> {
        match self.store.delete(&Self::key(tenant, id)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(unavailable(e)),
        }
    }

    async fn list(&self, tenant: TenantId) -> Result<Vec<FileId>, FileStoreError> {
        let folder = Self::folder(tenant);
        let found: Vec<_> = self.store.list(Some(&folder)).try_collect().await.map_err(unavailable)?;
        let mut ids = Vec::with_capacity(found.len());
        for meta in found {
            // Only the folder's own files (a name that is not a file id is not tenantry's).
            let Some(name) = meta.location.filename() else { continue };
            let Ok(uuid) = name.parse() else { continue };
            if meta.location == Self::folder(tenant).child(name)
                && let Ok(id) = FileId::from_uuid(uuid)
            {
                ids.push(id);
            }
        }
        ids.sort();
        Ok(ids)
    }

    async fn delete_tenant(&self, tenant: TenantId) -> Result<(), FileStoreError> {
        let folder = Self::folder(tenant);
        let locations = self.store.list(Some(&folder)).map_ok(|meta| meta.location).boxed();
        let deleted: Vec<_> = self.store.delete_stream(locations).collect().await;
        for outcome in deleted {
            match outcome {
                Ok(_) | Err(object_store::Error::NotFound { .. }) => {}
                Err(e) => return Err(unavailable(e)),
            }
        }
        Ok(())
    }
}

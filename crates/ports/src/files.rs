//! The bytes of tenants' files (issue 27). What tenantry keeps *about* a file
//! (name, type, size, checksum, uploader) is a tenant row in the unit of work
//! ([`crate::store::FileRecordStore`]), where the storage quota is checked;
//! the bytes live in a [`FileStore`], under a key made of the tenant and a
//! file id that tenantry generates — never a caller's path.
//!
//! Bytes are streamed both ways: an upload is read as it comes and never held
//! whole ([`Metered`] counts it, hashes it and stops it at its limit), and a
//! download is a stream of chunks.

use async_trait::async_trait;
use bytes::Bytes;
use futures::Stream;
use sha2::{Digest, Sha256};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use tenantry_domain::{FileId, TenantId};

/// A file's bytes, chunk by chunk.
pub type ByteStream = Pin<Box<dyn Stream<Item = Result<Bytes, FileStoreError>> + Send>>;

/// Why bytes could not be stored or read.
#[derive(Debug, thiserror::Error)]
pub enum FileStoreError {
    /// The upload passed the most it may have.
    #[error("the file is larger than {limit} bytes")]
    TooLarge {
        /// The limit, in bytes.
        limit: u64,
    },
    /// The client's upload broke off or was malformed.
    #[error("the upload could not be read: {0}")]
    Upload(String),
    /// The file store failed.
    #[error("the file store failed: {0}")]
    Unavailable(#[source] anyhow::Error),
}

/// Where tenants' file bytes live: PostgreSQL (in chunks, under the tenant
/// wall), an object store (the local file system), or memory.
///
/// Contract (the testkit's `contract::files` checks it on every adapter):
/// - `put` reads `content` as it comes (never whole); when the stream fails,
///   nothing of the file stays stored and the stream's error is answered;
/// - `get`, `delete` and `list` see only `tenant`'s files: a file of another
///   tenant is absent (`None`, nothing deleted, not listed);
/// - `delete` of an absent file is fine; `delete_tenant` removes every file of
///   the tenant (a purge).
#[async_trait]
pub trait FileStore: Send + Sync {
    /// Stores the bytes of a new file.
    async fn put(&self, tenant: TenantId, id: FileId, content: ByteStream) -> Result<(), FileStoreError>;
    /// The bytes of a file, or `None` if the tenant has no such file.
    async fn get(&self, tenant: TenantId, id: FileId) -> Result<Option<ByteStream>, FileStoreError>;
    /// Deletes a file's bytes (an absent file is fine).
    async fn delete(&self, tenant: TenantId, id: FileId) -> Result<(), FileStoreError>;
    /// The ids of the tenant's stored files (housekeeping compares them with
    /// the rows: bytes without a row are an upload that did not commit).
    async fn list(&self, tenant: TenantId) -> Result<Vec<FileId>, FileStoreError>;
    /// Deletes every file of the tenant.
    async fn delete_tenant(&self, tenant: TenantId) -> Result<(), FileStoreError>;
}

/// What a [`Metered`] stream has seen.
#[derive(Default)]
struct Seen {
    size: u64,
    hash: Sha256,
}

/// The size and SHA-256 of an upload, read once its stream has ended.
#[derive(Clone)]
pub struct Meter(Arc<Mutex<Seen>>);

impl std::fmt::Debug for Meter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Meter").field("size", &self.0.lock().map(|s| s.size).ok()).finish()
    }
}

impl Meter {
    /// The bytes seen so far, and their SHA-256 (hex).
    pub fn finish(&self) -> (u64, String) {
        let seen = self.0.lock().map(|s| (s.size, hex::encode(s.hash.clone().finalize())));
        seen.unwrap_or_default()
    }
}

/// An upload's stream, counted and hashed as it passes, that fails with
/// [`FileStoreError::TooLarge`] as soon as it passes `limit` bytes.
pub struct Metered {
    inner: ByteStream,
    limit: u64,
    seen: Arc<Mutex<Seen>>,
    done: bool,
}

impl Metered {
    /// Wraps `inner`; the [`Meter`] reads what it saw.
    pub fn new(inner: ByteStream, limit: u64) -> (Self, Meter) {
        let seen = Arc::new(Mutex::new(Seen::default()));
        (Self { inner, limit, seen: seen.clone(), done: false }, Meter(seen))
    }
}

impl Stream for Metered {
    type Item = Result<Bytes, FileStoreError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.done {
            return Poll::Ready(None);
        }
        match self.inner.as_mut().poll_next(cx) {
            Poll::Ready(Some(Ok(chunk))) => {
                let limit = self.limit;
                let over = match self.seen.lock() {
                    Ok(mut seen) => {
                        seen.size = seen.size.saturating_add(chunk.len() as u64);
                        seen.hash.update(&chunk);
                        seen.size > limit
                    }
                    Err(_) => true,
                };
                if over {
                    self.done = true;
                    return Poll::Ready(Some(Err(FileStoreError::TooLarge { limit })));
                }
                Poll::Ready(Some(Ok(chunk)))
            }
            Poll::Ready(Some(Err(e))) => {
                self.done = true;
                Poll::Ready(Some(Err(e)))
            }
            // Ended: never polled again (an unfold panics when it is).
            Poll::Ready(None) => {
                self.done = true;
                Poll::Ready(None)
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

/// A stream of one chunk (tests, and small files made in the process).
pub fn once(bytes: impl Into<Bytes>) -> ByteStream {
    Box::pin(futures::stream::iter([Ok(bytes.into())]))
}

/// Reads a stream whole (small files only: a logo, a test's).
pub async fn read_all(mut stream: ByteStream, limit: u64) -> Result<Vec<u8>, FileStoreError> {
    use futures::StreamExt as _;
    let mut out = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk?;
        if (out.len() + chunk.len()) as u64 > limit {
            return Err(FileStoreError::TooLarge { limit });
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // test code
    use super::*;
    use futures::StreamExt as _;

    fn chunks(parts: &[&'static [u8]]) -> ByteStream {
        Box::pin(futures::stream::iter(parts.iter().map(|p| Ok(Bytes::from_static(p))).collect::<Vec<_>>()))
    }

    #[tokio::test]
    async fn a_metered_stream_counts_and_hashes_what_passes() {
        let (metered, meter) = Metered::new(chunks(&[b"hello ", b"world"]), 11);
        let all: Vec<_> = metered.collect().await;
        assert!(all.iter().all(Result::is_ok));
        let (size, sha) = meter.finish();
        assert_eq!(size, 11);
        assert_eq!(sha, "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9");
    }

    #[tokio::test]
    async fn a_metered_stream_that_ended_is_never_polled_again() {
        // An unfold panics when polled after its end: the meter must not do that to it.
        let inner =
            futures::stream::unfold(0, |n| async move { (n < 2).then(|| (Ok(Bytes::from_static(b"ab")), n + 1)) });
        let (mut metered, meter) = Metered::new(Box::pin(inner), 100);
        while metered.next().await.is_some() {}
        assert!(metered.next().await.is_none());
        assert!(metered.next().await.is_none());
        assert_eq!(meter.finish().0, 4);
    }

    #[tokio::test]
    async fn a_metered_stream_stops_at_the_first_byte_over_its_limit() {
        let (metered, _) = Metered::new(chunks(&[b"hello ", b"world", b"!"]), 10);
        let all: Vec<_> = metered.collect().await;
        assert_eq!(all.len(), 2, "the chunk that passes the limit is the last");
        assert!(matches!(all[1], Err(FileStoreError::TooLarge { limit: 10 })));
    }
}

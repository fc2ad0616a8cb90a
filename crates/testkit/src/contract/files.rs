//! The [`FileStore`] contract (issue 27), for every adapter: PostgreSQL's
//! chunks, the object store on the local file system, memory.

use super::{Broken, Context};
use crate::ensure;
use bytes::Bytes;
use futures::StreamExt as _;
use sha2::{Digest, Sha256};
use tenantry_domain::{EntityId as _, FileId, TenantId};
use tenantry_ports::files::{ByteStream, FileStore, FileStoreError};

/// Deterministic bytes: `len` of them, in pieces of `piece` (never held whole).
pub fn generated(len: u64, piece: usize, seed: u8) -> ByteStream {
    let piece = piece.max(1) as u64;
    let pieces = len.div_ceil(piece);
    Box::pin(futures::stream::iter(0..pieces).map(move |i| {
        let start = i * piece;
        let end = (start + piece).min(len);
        let bytes: Vec<u8> = (start..end).map(|n| (n % 251) as u8 ^ seed).collect();
        Ok(Bytes::from(bytes))
    }))
}

/// The length and SHA-256 (hex) of a stream, read as it comes.
pub async fn digest(mut stream: ByteStream) -> Result<(u64, String), FileStoreError> {
    let mut hash = Sha256::new();
    let mut len = 0u64;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk?;
        len += chunk.len() as u64;
        hash.update(&chunk);
    }
    Ok((len, hex::encode(hash.finalize())))
}

/// A stream that yields `good` bytes and then fails (a client that broke off).
fn broken(good: u64) -> ByteStream {
    let failure = futures::stream::once(async { Err(FileStoreError::Upload("the client went away".into())) });
    Box::pin(generated(good, 64 * 1024, 7).chain(failure))
}

fn file_id(n: u128) -> Result<FileId, Broken> {
    // A UUID v7 with a fixed time and `n` as its random part: distinct per call site.
    let uuid = uuid::Uuid::from_u128((0x0190_0000_0000_7000_8000_0000_0000_0000u128) | (n & 0xfff_ffff_ffff));
    FileId::from_uuid(uuid).ctx("a file id")
}

/// [`FileStore`] for two existing tenants `a` and `b` (PostgreSQL's chunks
/// reference the tenant): bytes come back exactly, across chunk boundaries;
/// another tenant's file is absent for every operation; a broken upload leaves
/// nothing; deletes are idempotent; a tenant's purge leaves the other's files.
pub async fn file_store(store: &dyn FileStore, a: TenantId, b: TenantId) -> Result<(), Broken> {
    let (one, two, three) = (file_id(1)?, file_id(2)?, file_id(3)?);
    // 3.5 MiB in 64 KiB pieces: several of PostgreSQL's 1 MiB chunks, one partial.
    let len = 3 * 1024 * 1024 + 512 * 1024;
    store.put(a, one, generated(len, 64 * 1024, 1)).await.ctx("put a's file")?;
    let expected = digest(generated(len, 1024 * 1024, 1)).await.ctx("the expected digest")?;
    let got = store.get(a, one).await.ctx("get a's file")?.ctx("a's file after put")?;
    ensure!(digest(got).await.ctx("read a's file")? == expected, "a file does not come back byte for byte");
    store.put(a, two, generated(1, 1, 2)).await.ctx("put a one-byte file")?;
    let got = store.get(a, two).await.ctx("get")?.ctx("a one-byte file")?;
    ensure!(digest(got).await.ctx("read")?.0 == 1, "a one-byte file does not come back");

    // Tenant b sees nothing of a's, and cannot delete it.
    ensure!(store.get(b, one).await.ctx("get as b")?.is_none(), "b read a's file");
    ensure!(store.list(b).await.ctx("list b")?.is_empty(), "b's list shows a's files");
    store.delete(b, one).await.ctx("delete a's file as b")?;
    store.delete_tenant(b).await.ctx("purge b")?;
    ensure!(store.get(a, one).await.ctx("get")?.is_some(), "b deleted a's file");
    let listed = store.list(a).await.ctx("list a")?;
    ensure!(listed == vec![one, two], "a's list is {listed:?}, not [{one}, {two}]");

    // A broken upload leaves nothing, and says why.
    match store.put(a, three, broken(2 * 1024 * 1024 + 5)).await {
        Err(FileStoreError::Upload(_)) => {}
        other => return Err(Broken(format!("a broken upload answered {other:?}, not its stream's error"))),
    }
    ensure!(store.get(a, three).await.ctx("get")?.is_none(), "a broken upload left a file");
    ensure!(!store.list(a).await.ctx("list")?.contains(&three), "a broken upload is listed");

    // b's own file, then a's deletes and purge.
    store.put(b, three, generated(10, 3, 3)).await.ctx("put b's file")?;
    store.delete(a, one).await.ctx("delete")?;
    store.delete(a, one).await.ctx("delete twice")?;
    ensure!(store.get(a, one).await.ctx("get")?.is_none(), "a deleted file is still there");
    store.delete_tenant(a).await.ctx("purge a")?;
    ensure!(store.list(a).await.ctx("list")?.is_empty(), "a purged tenant still has files");
    let kept = store.get(b, three).await.ctx("get b's")?.ctx("b's file after a's purge")?;
    ensure!(digest(kept).await.ctx("read b's")?.0 == 10, "a's purge touched b's file");
    store.delete_tenant(b).await.ctx("purge b")?;
    Ok(())
}

fn upload(name: &str, bytes: &'static [u8]) -> tenantry_ports::services::files::Upload {
    tenantry_ports::services::files::Upload { name: name.to_owned(), content: tenantry_ports::files::once(bytes) }
}

/// A PDF's first bytes and some more: `len` bytes that sniff as a PDF.
fn pdf(len: usize) -> &'static [u8] {
    let mut bytes = b"%PDF-1.7\n".to_vec();
    bytes.resize(len.max(bytes.len()), b'x');
    Box::leak(bytes.into_boxed_slice())
}

/// The files service on a harness built on the store under test (its file
/// store the store's own): the quota counted to the byte and held under
/// concurrency (of two uploads that together pass it, exactly one is kept and
/// the other answers `storage_quota_exceeded`); a deletion gives the bytes
/// back; a downgrade below the bytes stored deletes nothing and refuses uploads
/// until the tenant is under its quota again; markup and unknown bytes are
/// refused by type; one's own file may be deleted with `files:write`,
/// another's only with `tenant:update`; another tenant's file is a 404 for
/// every operation.
pub async fn files_service(h: &crate::Harness) -> Result<(), Broken> {
    use tenantry_domain::quota::QuotaOverride;
    use tenantry_ports::services::admin::AdminTenantPatch;
    let t = h.signup("files").await.ctx("signup")?;
    let other = h.signup("elsewhere").await.ctx("signup")?;
    let owner = h.owner_scope(&t).await.ctx("owner")?;
    let stranger = h.owner_scope(&other).await.ctx("other owner")?;
    let su = h.superuser("ops@platform.example.com").await.ctx("superuser")?;
    let as_su = h.tenantry.authorize(&su, t.id).await.ctx("superuser's scope")?;
    let quota = |bytes: u64| AdminTenantPatch {
        quota_override: Some(QuotaOverride { storage_bytes: Some(bytes), ..Default::default() }),
        ..Default::default()
    };
    h.tenantry.admin_update_tenant(&as_su, quota(1000)).await.ctx("quota 1000")?;

    // Two uploads of 600 bytes at once against 1000: exactly one is kept.
    let (first, second) = futures::join!(
        h.tenantry.upload_file(&owner, upload("a.pdf", pdf(600))),
        h.tenantry.upload_file(&owner, upload("b.pdf", pdf(600))),
    );
    let kept: Vec<_> = [&first, &second].into_iter().filter_map(|r| r.as_ref().ok()).collect();
    let refused: Vec<_> = [&first, &second].into_iter().filter_map(|r| r.as_ref().err()).collect();
    ensure!(kept.len() == 1 && refused.len() == 1, "two racing uploads: {first:?} / {second:?}");
    use tenantry_ports::error::Problem as _;
    ensure!(refused[0].code() == "storage_quota_exceeded", "the loser answered {}", refused[0]);
    let kept = kept[0].clone();
    ensure!(kept.size == 600 && kept.content_type == "application/pdf", "{kept:?}");
    let usage = h.tenantry.usage(&owner).await.ctx("usage")?;
    ensure!(usage.storage_bytes == 600, "storage used is {} after one 600-byte file", usage.storage_bytes);
    // The superuser's statistics count them (the daily snapshots read the same figures).
    let figures = h.tenantry.deps().directory.platform_figures().await.ctx("platform figures")?;
    ensure!(figures.storage_bytes == 600, "the platform's storage figure is {}", figures.storage_bytes);
    let listed = h.tenantry.list_files(&owner).await.ctx("list")?;
    ensure!(listed.len() == 1 && listed[0].id == kept.id, "the refused upload is listed: {listed:?}");

    // Served back byte for byte; another tenant sees nothing of it.
    let (view, bytes) = h.tenantry.download_file(&owner, kept.id).await.ctx("download")?;
    let (len, sha) = digest(bytes).await.ctx("read")?;
    ensure!(len == 600 && sha == view.sha256, "the download differs from the upload");
    for code in [
        h.tenantry.download_file(&stranger, kept.id).await.err().map(|e| e.code()),
        h.tenantry.delete_file(&stranger, kept.id).await.err().map(|e| e.code()),
    ] {
        ensure!(code == Some("not_found"), "another tenant's file answered {code:?}, not not_found");
    }
    ensure!(h.tenantry.list_files(&stranger).await.ctx("list")?.is_empty(), "another tenant lists the file");
    let stranger_usage = h.tenantry.usage(&stranger).await.ctx("usage")?;
    ensure!(stranger_usage.storage_bytes == 0, "another tenant is charged the bytes");

    // Types: markup and unknown bytes are refused, nothing stored.
    for (name, bytes, code) in [
        (
            "x.svg",
            &b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>"[..],
            "file_type_not_allowed",
        ),
        ("x.html", &b"<!doctype html><script>alert(1)</script>"[..], "file_type_not_allowed"),
        ("x.bin", &[0u8, 1, 2, 3, 0xff][..], "file_type_not_allowed"),
        ("x.txt", &b""[..], "empty_file"),
        ("../", &b"hello"[..], "invalid_file_name"),
    ] {
        let refused = h.tenantry.upload_file(&owner, upload(name, bytes)).await.err().map(|e| e.code());
        ensure!(refused == Some(code), "{name} answered {refused:?}, not {code}");
    }

    // The tenant's own list: only CSV; a PDF is refused, a CSV kept; a list naming HTML is refused.
    use tenantry_ports::services::tenant::SettingsInput;
    let types = |list: Option<Vec<String>>| SettingsInput { file_types: Some(list), ..Default::default() };
    h.tenantry.update_tenant(&owner, types(Some(vec!["text/csv".into()]))).await.ctx("only CSV")?;
    let refused = h.tenantry.upload_file(&owner, upload("c.pdf", pdf(20))).await.err().map(|e| e.code());
    ensure!(refused == Some("file_type_not_allowed"), "a PDF under a CSV-only list answered {refused:?}");
    let csv = h.tenantry.upload_file(&owner, upload("h.csv", b"a;b\n1;2\n")).await.ctx("a CSV under CSV-only")?;
    h.tenantry.delete_file(&owner, csv.id).await.ctx("delete the CSV")?;
    let refused = h.tenantry.update_tenant(&owner, types(Some(vec!["text/html".into()]))).await.err().map(|e| e.code());
    ensure!(refused == Some("invalid_file_types"), "a list accepting HTML answered {refused:?}");
    h.tenantry.update_tenant(&owner, types(None)).await.ctx("the default list again")?;

    // A downgrade below what is stored deletes nothing; uploads wait until the tenant is under it.
    h.tenantry.admin_update_tenant(&as_su, quota(500)).await.ctx("quota 500")?;
    ensure!(h.tenantry.list_files(&owner).await.ctx("list")?.len() == 1, "a lower quota deleted a file");
    let refused = h.tenantry.upload_file(&owner, upload("c.txt", b"one byte more")).await.err().map(|e| e.code());
    ensure!(refused == Some("storage_quota_exceeded"), "an upload over a lowered quota answered {refused:?}");

    // One's own file with files:write; another's only with tenant:update.
    let (member_id, member) = h.add_user(&t, "member@files.example.com", "member").await.ctx("member")?;
    let member = h.scope(&member, t.id).await.ctx("member's scope")?;
    h.tenantry.admin_update_tenant(&as_su, quota(10_000)).await.ctx("quota 10000")?;
    let mine = h.tenantry.upload_file(&member, upload("notes.txt", b"the member's")).await.ctx("member upload")?;
    ensure!(mine.uploaded_by == Some(member_id), "the uploader is {:?}", mine.uploaded_by);
    let refused = h.tenantry.delete_file(&member, kept.id).await.err().map(|e| e.code());
    ensure!(refused == Some("forbidden"), "a member deleting the owner's file answered {refused:?}");
    h.tenantry.delete_file(&member, mine.id).await.ctx("the member deletes their own")?;
    h.tenantry.delete_file(&owner, kept.id).await.ctx("the owner deletes")?;
    let usage = h.tenantry.usage(&owner).await.ctx("usage")?;
    ensure!(usage.storage_bytes == 0, "storage used is {} after deleting every file", usage.storage_bytes);
    let left = h.tenantry.deps().files.list(t.id).await.ctx("the stored bytes")?;
    ensure!(left.is_empty(), "a deleted file's bytes are still in the file store: {left:?}");
    Ok(())
}

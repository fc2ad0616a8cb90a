//! The superuser's per-tenant backup archive (DESIGN.md "Data rights"): every
//! row one tenant owns — tenantry's tables and the products' registered tables,
//! secrets included — sealed with AES-256-GCM under the platform's backup key.
//!
//! Layout (all integers big-endian):
//!
//! | bytes | what |
//! |---|---|
//! | 8 | magic `TNTRYBAK` |
//! | 2 | format ([`FORMAT`]) |
//! | 8 | key fingerprint: the first 8 bytes of SHA-256 of the key |
//! | 16 | the tenant's id |
//! | 8 | when it was made (seconds since the epoch) |
//! | 8 | the length of what follows the nonce |
//! | 12 | the nonce |
//! | rest | the JSON [`BackupContents`], encrypted, with its 16-byte tag |
//!
//! The header is the cipher's associated data: changing any byte of it (the
//! tenant id, the date), of the ciphertext or of the tag makes [`open`] refuse the
//! archive, and nothing is written before it has been opened. A foreign-tenant,
//! truncated, corrupt or tampered archive is refused with a typed
//! [`ArchiveError`].

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretBox, SecretString};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use tenantry_domain::user::Erasure;
use tenantry_domain::{EntityId, TenantId};

/// The archive's magic bytes.
pub const MAGIC: &[u8; 8] = b"TNTRYBAK";
/// The format this version writes and reads.
pub const FORMAT: u16 = 1;
const HEADER_LEN: usize = 8 + 2 + 8 + 16 + 8 + 8 + 12;
const TAG_LEN: usize = 16;

/// The platform's backup key: 32 bytes, from configuration
/// (`TENANTRY_BACKUP_KEY`, 64 hex characters). Never printed.
#[derive(Clone)]
pub struct BackupKey(std::sync::Arc<SecretBox<[u8; 32]>>);

impl std::fmt::Debug for BackupKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "BackupKey({})", hex::encode(self.fingerprint()))
    }
}

/// Why a key text was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a backup key is 64 hexadecimal characters (32 bytes)")]
pub struct BackupKeyError;

impl BackupKey {
    /// A key from its 32 bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(std::sync::Arc::new(SecretBox::new(Box::new(bytes))))
    }

    /// Reads 64 hex characters.
    pub fn from_hex(text: &SecretString) -> Result<Self, BackupKeyError> {
        let bytes = hex::decode(text.expose_secret().trim()).map_err(|_| BackupKeyError)?;
        let arr: [u8; 32] = bytes.try_into().map_err(|_| BackupKeyError)?;
        Ok(Self::from_bytes(arr))
    }

    /// The first 8 bytes of the key's SHA-256: names the key in an archive
    /// without revealing it, so that an archive made under another key is told
    /// apart from a tampered one.
    pub fn fingerprint(&self) -> [u8; 8] {
        let digest = Sha256::digest(self.0.expose_secret());
        let mut out = [0u8; 8];
        out.copy_from_slice(&digest[..8]);
        out
    }

    fn cipher(&self) -> Aes256Gcm {
        Aes256Gcm::new(self.0.expose_secret().into())
    }
}

/// Every row one tenant owns, as its store keeps them: table → rows (JSON
/// objects). A store reads only archives of its own kind (`store`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TenantRows {
    /// The store that wrote them (`postgres`, `memory`).
    pub store: String,
    /// Table → its rows, in the order a restore inserts them.
    pub tables: Vec<TableRows>,
}

/// One table's rows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TableRows {
    /// The table's name (`tenantry.users`, `timesheets.entries`).
    pub table: String,
    /// The columns the rows were written with (a restore into a newer schema
    /// gives the columns added since their defaults).
    pub columns: Vec<String>,
    /// The rows.
    pub rows: Vec<serde_json::Value>,
}

impl TenantRows {
    /// The number of rows, by table.
    pub fn counts(&self) -> BTreeMap<String, usize> {
        self.tables.iter().map(|t| (t.table.clone(), t.rows.len())).collect()
    }

    /// Rewrites `from` to `to` in every string of every row (the tenant's id in
    /// its `tenant_id` columns and wherever a row mentions it): what a clone
    /// under a new id needs. Ids are random UUIDs, so no other value matches.
    pub fn retarget(&mut self, from: TenantId, to: TenantId) {
        fn walk(v: &mut serde_json::Value, from: &str, to: &str) {
            match v {
                serde_json::Value::String(s) if s == from => *s = to.to_owned(),
                serde_json::Value::Array(items) => items.iter_mut().for_each(|i| walk(i, from, to)),
                serde_json::Value::Object(map) => map.values_mut().for_each(|i| walk(i, from, to)),
                _ => {}
            }
        }
        let (from, to) = (from.as_uuid().to_string(), to.as_uuid().to_string());
        for table in &mut self.tables {
            table.rows.iter_mut().for_each(|r| walk(r, &from, &to));
        }
    }
}

impl TenantRows {
    /// Sets `field` to null in every row of the table named `table` (or
    /// `<schema>.table`): what a clone must not keep of a row.
    pub fn clear_field(&mut self, table: &str, field: &str) {
        let dotted = format!(".{table}");
        for t in self.tables.iter_mut().filter(|t| t.table == table || t.table.ends_with(&dotted)) {
            for row in &mut t.rows {
                if let Some(object) = row.as_object_mut().filter(|o| o.contains_key(field)) {
                    object.insert(field.to_owned(), serde_json::Value::Null);
                }
            }
        }
    }
}

/// What an archive holds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BackupContents {
    /// The tenant.
    pub tenant_id: TenantId,
    /// Its slug when the backup was made.
    pub slug: String,
    /// When.
    pub created_at: DateTime<Utc>,
    /// The erasure ledger at that time (also among the rows; kept typed here
    /// so that a restore re-applies it whatever the store).
    pub erasures: Vec<Erasure>,
    /// Every row.
    pub rows: TenantRows,
    /// The bytes of the tenant's files (issue 27), read through the file
    /// store; an archive from before files has none.
    #[serde(default)]
    pub files: Vec<FileBytes>,
}

/// One file's bytes in an archive.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct FileBytes {
    /// The file.
    pub id: tenantry_domain::FileId,
    /// Its bytes, base64.
    #[serde(with = "base64_bytes")]
    pub bytes: Vec<u8>,
}

impl std::fmt::Debug for FileBytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileBytes").field("id", &self.id).field("len", &self.bytes.len()).finish()
    }
}

mod base64_bytes {
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD;
    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&STANDARD.encode(bytes))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(d)?;
        STANDARD.decode(text.as_bytes()).map_err(serde::de::Error::custom)
    }
}

/// Why an archive was refused. Nothing was written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ArchiveError {
    /// Shorter than a header and a tag.
    #[error("the archive is truncated")]
    Truncated,
    /// No magic bytes.
    #[error("this is not a tenantry backup")]
    NotABackup,
    /// A format this version cannot read.
    #[error("backup format {found} is not supported (this version reads format {supported})")]
    UnsupportedFormat {
        /// In the archive.
        found: u16,
        /// What this version reads.
        supported: u16,
    },
    /// Made under another backup key.
    #[error("the backup was made with another backup key")]
    WrongKey,
    /// Authentication failed: a byte changed somewhere.
    #[error("the backup is corrupt or was tampered with")]
    Tampered,
    /// Decrypted, but not contents this version understands.
    #[error("the backup's contents are not readable: {0}")]
    Unreadable(String),
}

/// Seals `contents` under `key`, with a fresh `nonce` (12 bytes never used with this key).
pub fn seal(key: &BackupKey, contents: &BackupContents, nonce: [u8; 12]) -> Result<Vec<u8>, ArchiveError> {
    let mut header = Vec::with_capacity(HEADER_LEN);
    header.extend_from_slice(MAGIC);
    header.extend_from_slice(&FORMAT.to_be_bytes());
    header.extend_from_slice(&key.fingerprint());
    header.extend_from_slice(contents.tenant_id.as_uuid().as_bytes());
    header.extend_from_slice(&contents.created_at.timestamp().to_be_bytes());
    let plain = serde_json::to_vec(contents).map_err(|e| ArchiveError::Unreadable(e.to_string()))?;
    let sealed_len = u64::try_from(plain.len() + TAG_LEN).map_err(|e| ArchiveError::Unreadable(e.to_string()))?;
    header.extend_from_slice(&sealed_len.to_be_bytes());
    header.extend_from_slice(&nonce);
    let sealed = key
        .cipher()
        .encrypt(&Nonce::from(nonce), Payload { msg: &plain, aad: &header })
        .map_err(|_| ArchiveError::Unreadable("encryption failed".into()))?;
    header.extend_from_slice(&sealed);
    Ok(header)
}

/// The tenant an archive says it holds, read from its header without opening it.
pub fn peek_tenant(bytes: &[u8]) -> Result<TenantId, ArchiveError> {
    let header = check_header(bytes)?;
    tenant_of(header)
}

fn check_header(bytes: &[u8]) -> Result<&[u8], ArchiveError> {
    let prefix = bytes.len().min(MAGIC.len());
    if bytes[..prefix] != MAGIC[..prefix] {
        return Err(ArchiveError::NotABackup);
    }
    if bytes.len() < HEADER_LEN + TAG_LEN {
        return Err(ArchiveError::Truncated);
    }
    let format = u16::from_be_bytes([bytes[8], bytes[9]]);
    if format != FORMAT {
        return Err(ArchiveError::UnsupportedFormat { found: format, supported: FORMAT });
    }
    let mut len = [0u8; 8];
    len.copy_from_slice(&bytes[42..50]);
    let expected = u64::from_be_bytes(len);
    let actual = (bytes.len() - HEADER_LEN) as u64;
    if actual < expected {
        return Err(ArchiveError::Truncated);
    }
    if actual > expected {
        return Err(ArchiveError::Tampered);
    }
    Ok(&bytes[..HEADER_LEN])
}

fn tenant_of(header: &[u8]) -> Result<TenantId, ArchiveError> {
    let mut id = [0u8; 16];
    id.copy_from_slice(&header[18..34]);
    TenantId::from_uuid(uuid::Uuid::from_bytes(id)).map_err(|e| ArchiveError::Unreadable(e.to_string()))
}

/// Opens an archive: checks its header, its key, its authentication tag, and
/// that the contents name the tenant the header names.
pub fn open(key: &BackupKey, bytes: &[u8]) -> Result<BackupContents, ArchiveError> {
    let header = check_header(bytes)?;
    if header[10..18] != key.fingerprint() {
        return Err(ArchiveError::WrongKey);
    }
    let tenant = tenant_of(header)?;
    let mut nonce = [0u8; 12];
    nonce.copy_from_slice(&header[50..62]);
    let plain = key
        .cipher()
        .decrypt(&Nonce::from(nonce), Payload { msg: &bytes[HEADER_LEN..], aad: header })
        .map_err(|_| ArchiveError::Tampered)?;
    let contents: BackupContents =
        serde_json::from_slice(&plain).map_err(|e| ArchiveError::Unreadable(e.to_string()))?;
    if contents.tenant_id != tenant {
        return Err(ArchiveError::Unreadable("the contents name another tenant than the header".into()));
    }
    Ok(contents)
}

/// A nonce from a generated secret (256 random bits, hashed): the services
/// take randomness from the `TokenGenerator` port only.
pub fn nonce_from(secret: &SecretString) -> [u8; 12] {
    let digest = Sha256::digest(secret.expose_secret().as_bytes());
    let mut out = [0u8; 12];
    out.copy_from_slice(&digest[..12]);
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)] // test code
mod tests {
    use super::*;
    use tenantry_domain::ids::uuid_v7_from_parts;

    fn contents() -> BackupContents {
        let tenant_id = TenantId::from_uuid(uuid_v7_from_parts(1, [7; 10])).unwrap();
        BackupContents {
            tenant_id,
            slug: "acme".into(),
            created_at: DateTime::from_timestamp(1_790_000_000, 0).unwrap(),
            erasures: vec![],
            rows: TenantRows {
                store: "memory".into(),
                tables: vec![TableRows {
                    table: "users".into(),
                    columns: vec!["tenant_id".into(), "name".into()],
                    rows: vec![serde_json::json!({"tenant_id": tenant_id.as_uuid().to_string(), "name": "Ada"})],
                }],
            },
            files: vec![],
        }
    }

    #[test]
    fn an_archive_opens_with_its_key_and_every_changed_byte_is_refused() {
        let key = BackupKey::from_bytes([1; 32]);
        let sealed = seal(&key, &contents(), [2; 12]).unwrap();
        assert_eq!(open(&key, &sealed).unwrap(), contents());
        assert_eq!(peek_tenant(&sealed).unwrap(), contents().tenant_id);
        // The plaintext is not in the archive.
        assert!(!sealed.windows(3).any(|w| w == b"Ada"));
        for i in 0..sealed.len() {
            let mut bad = sealed.clone();
            bad[i] ^= 0x01;
            let refused = open(&key, &bad).unwrap_err();
            let expected = match i {
                0..8 => ArchiveError::NotABackup,
                8..10 => ArchiveError::UnsupportedFormat { found: u16::from_be_bytes([bad[8], bad[9]]), supported: 1 },
                10..18 => ArchiveError::WrongKey,
                42..50 => {
                    let mut len = [0u8; 8];
                    len.copy_from_slice(&bad[42..50]);
                    if u64::from_be_bytes(len) > (sealed.len() - HEADER_LEN) as u64 {
                        ArchiveError::Truncated
                    } else {
                        ArchiveError::Tampered
                    }
                }
                _ => ArchiveError::Tampered,
            };
            assert_eq!(refused, expected, "byte {i}");
        }
    }

    #[test]
    fn truncated_foreign_and_other_key_archives_are_refused() {
        let key = BackupKey::from_bytes([1; 32]);
        let sealed = seal(&key, &contents(), [2; 12]).unwrap();
        for len in [0, 5, 8, 20, HEADER_LEN, HEADER_LEN + TAG_LEN - 1] {
            let err = open(&key, &sealed[..len]).unwrap_err();
            assert!(matches!(err, ArchiveError::Truncated), "{len}: {err:?}");
        }
        assert_eq!(open(&key, &sealed[..sealed.len() - 1]), Err(ArchiveError::Truncated));
        let mut longer = sealed.clone();
        longer.push(0);
        assert_eq!(open(&key, &longer), Err(ArchiveError::Tampered));
        assert_eq!(
            open(&key, b"PK\x03\x04 a zip file, not a backup at all........................"),
            Err(ArchiveError::NotABackup)
        );
        assert_eq!(open(&BackupKey::from_bytes([3; 32]), &sealed), Err(ArchiveError::WrongKey));
    }

    #[test]
    fn keys_are_read_from_hex_and_never_printed() {
        let text = SecretString::from("ab".repeat(32));
        let key = BackupKey::from_hex(&text).unwrap();
        assert!(!format!("{key:?}").contains(&"ab".repeat(32)));
        assert!(!format!("{key:?}").contains("abab"));
        assert_eq!(BackupKey::from_hex(&SecretString::from("ab".repeat(31))).unwrap_err(), BackupKeyError);
        assert_eq!(BackupKey::from_hex(&SecretString::from("zz".repeat(32))).unwrap_err(), BackupKeyError);
    }

    #[test]
    fn retarget_rewrites_the_tenant_id_everywhere_and_nothing_else() {
        let mut c = contents();
        let other = TenantId::from_uuid(uuid_v7_from_parts(2, [9; 10])).unwrap();
        c.rows.retarget(c.tenant_id, other);
        assert_eq!(c.rows.tables[0].rows[0]["tenant_id"], other.as_uuid().to_string());
        assert_eq!(c.rows.tables[0].rows[0]["name"], "Ada");
    }
}

//! Tenant files (issue 27): what tenantry keeps of a stored file besides its
//! bytes, and the rules for what may be stored — a name that is only a name
//! (never a path: the key is tenantry's), a content type sniffed from the
//! bytes (never taken from the client) and checked against the tenant's
//! allow-list, a logo that is a PNG or a JPEG of limited size.

use crate::ids::{FileId, TenantId, UserId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// At most this many bytes of a file's start decide its type.
pub const SNIFF_BYTES: usize = 8192;
/// The largest logo: 1 MiB.
pub const LOGO_MAX_BYTES: u64 = 1024 * 1024;
/// The largest upload unless the service is configured otherwise: 100 MiB.
pub const DEFAULT_MAX_UPLOAD_BYTES: u64 = 100 * 1024 * 1024;

/// The types a tenant accepts unless it chose others: common documents and
/// images. Markup (HTML, SVG) is not among them.
pub const DEFAULT_ALLOWED_TYPES: &[&str] = &[
    "application/pdf",
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "text/plain",
    "text/csv",
    "application/msword",
    "application/vnd.ms-excel",
    "application/vnd.ms-powerpoint",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "application/vnd.oasis.opendocument.text",
    "application/vnd.oasis.opendocument.spreadsheet",
    "application/vnd.oasis.opendocument.presentation",
];

/// The types a logo may have.
pub const LOGO_TYPES: &[&str] = &["image/png", "image/jpeg"];

/// Why a file was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FileError {
    /// Not a usable name.
    #[error("a file name needs 1 to 255 characters and no control characters")]
    BadName,
    /// The sniffed type is not on the tenant's list.
    #[error("files of type {0} are not accepted here")]
    TypeNotAllowed(String),
    /// A logo that is not a PNG or a JPEG.
    #[error("a logo must be a PNG or a JPEG image (this one is {0})")]
    LogoType(String),
    /// Larger than an upload may be.
    #[error("the file is larger than {limit} bytes, the most an upload may have")]
    TooLarge {
        /// The limit, in bytes.
        limit: u64,
    },
    /// Nothing in it.
    #[error("the file is empty")]
    Empty,
    /// A list of accepted types that cannot be one.
    #[error("{0}")]
    TypeList(String),
}

/// Types a browser runs (HTML, XHTML, SVG): no tenant's list may accept them.
pub const NEVER_ACCEPTED: &[&str] = &["text/html", "application/xhtml+xml", "image/svg+xml"];

/// A tenant's own list of accepted types, checked: 1 to 50 `type/subtype`
/// names (lower-case letters, digits and `.+-`), none of the types a browser
/// runs, each once.
pub fn accepted_types(list: &[String]) -> Result<Vec<String>, FileError> {
    if list.is_empty() || list.len() > 50 {
        return Err(FileError::TypeList("give 1 to 50 types, or none to accept the default list".into()));
    }
    let name = |part: &str| {
        !part.is_empty()
            && part.len() <= 100
            && part.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || ".+-".contains(c))
    };
    let mut out: Vec<String> = Vec::with_capacity(list.len());
    for raw in list {
        let t = raw.trim().to_ascii_lowercase();
        let shaped = t.split_once('/').is_some_and(|(a, b)| name(a) && name(b));
        if !shaped {
            return Err(FileError::TypeList(format!(
                "`{}` is not a type/subtype",
                raw.chars().take(60).collect::<String>()
            )));
        }
        if NEVER_ACCEPTED.contains(&t.as_str()) {
            return Err(FileError::TypeList(format!("{t} runs in a browser and is never accepted")));
        }
        if !out.contains(&t) {
            out.push(t);
        }
    }
    Ok(out)
}

/// A file's name as shown and offered for download: the last component of
/// what the client sent, trimmed.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct FileName(String);

impl FileName {
    /// Checks a client's name; a path keeps only its last component.
    pub fn parse(raw: &str) -> Result<Self, FileError> {
        let last = raw.rsplit(['/', '\\']).next().unwrap_or_default().trim();
        let bad = last.is_empty()
            || last == "."
            || last == ".."
            || last.chars().count() > 255
            || last.chars().any(|c| c.is_control() || c == '\u{feff}');
        if bad { Err(FileError::BadName) } else { Ok(Self(last.to_owned())) }
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for FileName {
    type Error = FileError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<FileName> for String {
    fn from(value: FileName) -> Self {
        value.0
    }
}

/// What a file is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum FilePurpose {
    /// A tenant's document (a contract, a receipt…).
    Attachment,
    /// The tenant's logo (shown on its pages and in its mails).
    Logo,
}

impl FilePurpose {
    /// The stored word.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Attachment => "attachment",
            Self::Logo => "logo",
        }
    }

    /// From the stored word.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "attachment" => Some(Self::Attachment),
            "logo" => Some(Self::Logo),
            _ => None,
        }
    }
}

/// What tenantry keeps of a stored file (its bytes are the file store's).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredFile {
    /// Its id, tenantry's (the file store's key with the tenant).
    pub id: FileId,
    /// The tenant whose file it is.
    pub tenant_id: TenantId,
    /// Its name.
    pub name: FileName,
    /// Its type, sniffed from its bytes.
    pub content_type: String,
    /// Its size in bytes.
    pub size: u64,
    /// The SHA-256 of its bytes, hex.
    pub sha256: String,
    /// Who uploaded it (None: a system actor, or the user was erased).
    pub uploaded_by: Option<UserId>,
    /// When.
    pub uploaded_at: DateTime<Utc>,
    /// What it is for.
    pub purpose: FilePurpose,
}

/// The type of a file from its first bytes (at most [`SNIFF_BYTES`] are
/// looked at) and, for text only, its name: what the bytes are, never what
/// the client says. Markup is named as such (so that an allow-list without it
/// refuses it); text that is not markup is `text/plain` (`text/csv` for a
/// `.csv` name); anything unknown is `application/octet-stream`.
pub fn sniff(head: &[u8], name: &FileName) -> String {
    let head = &head[..head.len().min(SNIFF_BYTES)];
    // A binary format is what its magic says; text (infer also names XML and HTML) is read below.
    if let Some(kind) = infer::get(head)
        && !kind.mime_type().starts_with("text/")
        && !kind.mime_type().ends_with("xml")
    {
        return kind.mime_type().to_owned();
    }
    let text = match std::str::from_utf8(head) {
        Ok(text) => text,
        // A character cut at the end of the sniffed bytes is still text.
        Err(e) if e.error_len().is_none() => std::str::from_utf8(&head[..e.valid_up_to()]).unwrap_or_default(),
        Err(_) => return "application/octet-stream".to_owned(),
    };
    if text.contains('\0') {
        return "application/octet-stream".to_owned();
    }
    let start = text.trim_start_matches('\u{feff}').trim_start().to_ascii_lowercase();
    let lower = text.to_ascii_lowercase();
    if start.starts_with("<svg") || (start.starts_with("<?xml") && lower.contains("<svg")) || lower.contains("<svg") {
        return "image/svg+xml".to_owned();
    }
    let html = ["<!doctype html", "<html", "<script", "<head", "<body", "<iframe", "<object", "<embed", "<meta"];
    if html.iter().any(|tag| lower.contains(tag)) {
        return "text/html".to_owned();
    }
    if start.starts_with("<?xml") {
        return "application/xml".to_owned();
    }
    if name.as_str().to_ascii_lowercase().ends_with(".csv") { "text/csv".to_owned() } else { "text/plain".to_owned() }
}

/// Whether `content_type` is on `allowed` (exact, case-insensitive).
pub fn check_type<S: AsRef<str>>(content_type: &str, allowed: &[S]) -> Result<(), FileError> {
    if allowed.iter().any(|a| a.as_ref().eq_ignore_ascii_case(content_type)) {
        Ok(())
    } else {
        Err(FileError::TypeNotAllowed(content_type.to_owned()))
    }
}

/// Whether a logo's sniffed type and size are a logo's.
pub fn check_logo(content_type: &str, size: u64) -> Result<(), FileError> {
    if !LOGO_TYPES.contains(&content_type) {
        return Err(FileError::LogoType(content_type.to_owned()));
    }
    if size > LOGO_MAX_BYTES {
        return Err(FileError::TooLarge { limit: LOGO_MAX_BYTES });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // test code
    use super::*;
    use proptest::prelude::*;

    fn name(n: &str) -> FileName {
        FileName::parse(n).unwrap()
    }

    #[test]
    fn a_path_keeps_only_its_last_component_and_nothing_unusable_is_a_name() {
        assert_eq!(name("../../etc/passwd").as_str(), "passwd");
        assert_eq!(name("C:\\Users\\ann\\receipt 2026.pdf").as_str(), "receipt 2026.pdf");
        assert_eq!(name("  contract.pdf ").as_str(), "contract.pdf");
        for bad in ["", "   ", "dir/", "..", "a/..", "tab\there", "nul\0", "\u{feff}", &"x".repeat(256)] {
            assert_eq!(FileName::parse(bad), Err(FileError::BadName), "{bad:?}");
        }
        assert!(FileName::parse(&"é".repeat(255)).is_ok(), "255 characters, not bytes");
    }

    #[test]
    fn the_type_comes_from_the_bytes_not_the_name() {
        let png = [0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, b'I', b'H', b'D', b'R'];
        assert_eq!(sniff(&png, &name("photo.txt")), "image/png");
        assert_eq!(sniff(&[0xff, 0xd8, 0xff, 0xe0, 0, 0x10, b'J', b'F', b'I', b'F'], &name("x")), "image/jpeg");
        assert_eq!(sniff(b"%PDF-1.7\n%\xe2\xe3", &name("payslip.png")), "application/pdf");
        assert_eq!(sniff(b"date;hours\n2026-12-01;8\n", &name("hours.CSV")), "text/csv");
        assert_eq!(sniff("Grüße\n".as_bytes(), &name("note")), "text/plain");
        // A character cut by the sniffing window is still text.
        let mut long = "a".repeat(SNIFF_BYTES - 1).into_bytes();
        long.extend("é".as_bytes());
        assert_eq!(sniff(&long, &name("long.txt")), "text/plain");
        assert_eq!(sniff(&[0, 1, 2, 3, 0xfe, 0xff, 0x80], &name("blob.txt")), "application/octet-stream");
    }

    #[test]
    fn markup_is_named_as_markup_and_refused_by_the_default_list() {
        let cases = [
            ("<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>", "image/svg+xml"),
            ("<?xml version='1.0'?>\n<svg onload='alert(1)'/>", "image/svg+xml"),
            ("\u{feff}  <!DOCTYPE html><html><body>hi</body></html>", "text/html"),
            ("just text then <script>alert(1)</script>", "text/html"),
            ("<?xml version='1.0'?><invoice/>", "application/xml"),
        ];
        for (text, expected) in cases {
            let sniffed = sniff(text.as_bytes(), &name("innocent.txt"));
            assert_eq!(sniffed, expected, "{text}");
            assert_eq!(check_type(&sniffed, DEFAULT_ALLOWED_TYPES), Err(FileError::TypeNotAllowed(sniffed.clone())));
        }
        assert_eq!(check_type("IMAGE/PNG", DEFAULT_ALLOWED_TYPES), Ok(()));
    }

    #[test]
    fn a_tenants_list_of_types_is_checked_and_never_accepts_what_a_browser_runs() {
        let list = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert_eq!(
            accepted_types(&list(&[" Application/PDF ", "image/png", "application/pdf"])),
            Ok(list(&["application/pdf", "image/png"]))
        );
        for bad in [&[][..], &["pdf"], &["text/html"], &["image/svg+xml"], &["a/b c"], &["*/*"]] {
            assert!(matches!(accepted_types(&list(bad)), Err(FileError::TypeList(_))), "{bad:?}");
        }
        assert!(accepted_types(&vec!["image/png".to_owned(); 51]).is_err());
    }

    #[test]
    fn a_logo_is_a_png_or_a_jpeg_of_at_most_one_mebibyte() {
        assert_eq!(check_logo("image/png", LOGO_MAX_BYTES), Ok(()));
        assert_eq!(check_logo("image/jpeg", 1), Ok(()));
        assert_eq!(check_logo("image/png", LOGO_MAX_BYTES + 1), Err(FileError::TooLarge { limit: LOGO_MAX_BYTES }));
        for other in ["image/gif", "image/svg+xml", "application/pdf", "text/html"] {
            assert_eq!(check_logo(other, 10), Err(FileError::LogoType(other.to_owned())));
        }
    }

    proptest! {
        /// Whatever a client sends as a name, what is kept has no separator and no control character.
        #[test]
        fn no_name_is_a_path(raw in any::<String>()) {
            if let Ok(n) = FileName::parse(&raw) {
                prop_assert!(!n.as_str().contains(['/', '\\']));
                prop_assert!(!n.as_str().chars().any(char::is_control));
                prop_assert!(n.as_str() != ".." && n.as_str() != "." && !n.as_str().is_empty());
            }
        }

        /// Sniffing never panics and always names a type.
        #[test]
        fn sniffing_any_bytes_names_a_type(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            prop_assert!(sniff(&bytes, &name("f")).contains('/'));
        }
    }
}

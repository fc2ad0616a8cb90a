//! Short human texts with limits: company names, person names, role names,
//! descriptions, and the few URL and code shapes the settings accept.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Why a text field was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    /// Empty after trimming.
    #[error("{field} must not be empty")]
    Empty {
        /// Which field.
        field: &'static str,
    },
    /// Too long.
    #[error("{field} is longer than {max} characters")]
    TooLong {
        /// Which field.
        field: &'static str,
        /// The limit.
        max: usize,
    },
    /// Contains control characters (newlines, NUL, ...).
    #[error("{field} contains control characters")]
    Control {
        /// Which field.
        field: &'static str,
    },
    /// Does not have the required shape.
    #[error("{field} is not valid: {why}")]
    Shape {
        /// Which field.
        field: &'static str,
        /// What shape was expected.
        why: &'static str,
    },
}

fn clean(text: &str, field: &'static str, max: usize) -> Result<String, TextError> {
    let t = text.trim();
    if t.is_empty() {
        return Err(TextError::Empty { field });
    }
    if t.chars().count() > max {
        return Err(TextError::TooLong { field, max });
    }
    if t.chars().any(char::is_control) {
        return Err(TextError::Control { field });
    }
    Ok(t.to_owned())
}

macro_rules! bounded_text {
    ($(#[$meta:meta])* $name:ident, $field:literal, $max:expr) => {
        $(#[$meta])*
        #[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// The longest accepted text, in characters.
            pub const MAX_CHARS: usize = $max;

            /// Trims and checks the text.
            pub fn parse(text: &str) -> Result<Self, TextError> {
                clean(text, $field, $max).map(Self)
            }

            /// The text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = TextError;
            fn try_from(value: String) -> Result<Self, TextError> {
                Self::parse(&value)
            }
        }

        impl From<$name> for String {
            fn from(v: $name) -> String {
                v.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($name), "({:?})"), self.0)
            }
        }
    };
}

bounded_text!(
    /// A company's display name (1–100 characters).
    CompanyName,
    "company name",
    100
);
bounded_text!(
    /// A person's display name (1–100 characters).
    PersonName,
    "name",
    100
);
bounded_text!(
    /// A short free text such as a role description (1–500 characters).
    Description,
    "description",
    500
);
bounded_text!(
    /// What an API key is for (1–100 characters).
    KeyName,
    "key name",
    100
);
bounded_text!(
    /// An ad's text (1–280 characters).
    AdText,
    "ad text",
    280
);

/// An absolute `https://` URL (logo, ad image, ad link), at most 2048 characters.
///
/// Only the shape is checked — scheme, host present, no whitespace — because
/// these URLs are shown to browsers, never fetched by the server.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(try_from = "String", into = "String")]
pub struct HttpsUrl(String);

impl HttpsUrl {
    /// Checks and keeps the URL.
    pub fn parse(text: &str) -> Result<Self, TextError> {
        let field = "URL";
        let t = clean(text, field, 2048)?;
        let rest = t.strip_prefix("https://").ok_or(TextError::Shape { field, why: "it must start with https://" })?;
        let host = rest.split(['/', '?', '#']).next().unwrap_or("");
        if host.is_empty() || t.chars().any(char::is_whitespace) || host.contains('@') {
            return Err(TextError::Shape { field, why: "it needs a host and no spaces or credentials" });
        }
        Ok(Self(t))
    }
    /// The URL.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for HttpsUrl {
    type Error = TextError;
    fn try_from(value: String) -> Result<Self, TextError> {
        Self::parse(&value)
    }
}
impl From<HttpsUrl> for String {
    fn from(v: HttpsUrl) -> String {
        v.0
    }
}
impl fmt::Debug for HttpsUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HttpsUrl({})", self.0)
    }
}
impl fmt::Display for HttpsUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A brand colour as `#rrggbb` (lower-cased).
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize, Debug)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(try_from = "String", into = "String")]
pub struct HexColor(String);

impl HexColor {
    /// Parses `#rrggbb`.
    pub fn parse(text: &str) -> Result<Self, TextError> {
        let t = text.trim().to_ascii_lowercase();
        let ok = t.len() == 7 && t.starts_with('#') && t.chars().skip(1).all(|c| c.is_ascii_hexdigit());
        if ok { Ok(Self(t)) } else { Err(TextError::Shape { field: "colour", why: "use #rrggbb" }) }
    }
    /// The colour text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}
impl TryFrom<String> for HexColor {
    type Error = TextError;
    fn try_from(value: String) -> Result<Self, TextError> {
        Self::parse(&value)
    }
}
impl From<HexColor> for String {
    fn from(v: HexColor) -> String {
        v.0
    }
}

/// An ISO 3166-1 alpha-2 country code (`DE`, `FR`), upper-cased.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Debug)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(value_type = String, pattern = "^[A-Z]{2}$"))]
#[serde(try_from = "String", into = "String")]
pub struct CountryCode([u8; 2]);

impl CountryCode {
    /// Parses two ASCII letters.
    pub fn parse(text: &str) -> Result<Self, TextError> {
        let t = text.trim().to_ascii_uppercase();
        match t.as_bytes() {
            [a, b] if a.is_ascii_uppercase() && b.is_ascii_uppercase() => Ok(Self([*a, *b])),
            _ => Err(TextError::Shape { field: "country", why: "use a two-letter ISO 3166 code" }),
        }
    }
    /// The code.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or("??")
    }
}
impl TryFrom<String> for CountryCode {
    type Error = TextError;
    fn try_from(value: String) -> Result<Self, TextError> {
        Self::parse(&value)
    }
}
impl From<CountryCode> for String {
    fn from(v: CountryCode) -> String {
        v.as_str().to_owned()
    }
}

/// A VAT identification number: a two-letter country prefix and 2–13 letters or
/// digits (`DE123456789`). Spaces, dots and dashes are removed; the number is not
/// checked against VIES (that is the payment provider's job).
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize, Debug)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(try_from = "String", into = "String")]
pub struct VatId(String);

impl VatId {
    /// Parses and normalises a VAT id.
    pub fn parse(text: &str) -> Result<Self, TextError> {
        let t: String = text.chars().filter(|c| !matches!(c, ' ' | '.' | '-')).collect::<String>().to_ascii_uppercase();
        // Checked on bytes, which are characters once the text is known to be ASCII.
        let b = t.as_bytes();
        let ok = t.is_ascii()
            && (4..=15).contains(&b.len())
            && b[..2].iter().all(u8::is_ascii_uppercase)
            && b[2..].iter().all(u8::is_ascii_alphanumeric);
        if ok {
            Ok(Self(t))
        } else {
            Err(TextError::Shape { field: "VAT id", why: "use a country prefix and 2 to 13 letters or digits" })
        }
    }
    /// The normalised id.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}
impl TryFrom<String> for VatId {
    type Error = TextError;
    fn try_from(value: String) -> Result<Self, TextError> {
        Self::parse(&value)
    }
}
impl From<VatId> for String {
    fn from(v: VatId) -> String {
        v.0
    }
}

impl PersonName {
    /// The name an erased user is shown with.
    pub fn erased() -> Self {
        PersonName("Erased user".to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(CompanyName::parse("  Acme GmbH ").unwrap().as_str(), "Acme GmbH");
        assert_eq!(CompanyName::parse("   "), Err(TextError::Empty { field: "company name" }));
        assert!(matches!(PersonName::parse(&"x".repeat(101)), Err(TextError::TooLong { max: 100, .. })));
        assert!(matches!(PersonName::parse("a\nb"), Err(TextError::Control { .. })));
    }

    #[test]
    fn urls_must_be_https_with_a_host() {
        assert!(HttpsUrl::parse("https://cdn.example.com/logo.png").is_ok());
        assert!(HttpsUrl::parse("http://example.com").is_err());
        assert!(HttpsUrl::parse("https://").is_err());
        assert!(HttpsUrl::parse("https://user:pw@example.com").is_err());
        assert!(HttpsUrl::parse("javascript:alert(1)").is_err());
    }

    proptest::proptest! {
        /// No parser panics, whatever the input (a VAT id once split a
        /// multi-byte character in two).
        #[test]
        fn no_parser_panics_on_any_text(text in "\\PC{0,40}|.{0,300}") {
            let _ = CompanyName::parse(&text);
            let _ = PersonName::parse(&text);
            let _ = Description::parse(&text);
            let _ = AdText::parse(&text);
            let _ = HttpsUrl::parse(&text);
            let _ = HexColor::parse(&text);
            let _ = CountryCode::parse(&text);
            let _ = VatId::parse(&text);
            let _ = crate::money::Currency::parse(&text);
            let _ = crate::money::Money::parse_decimal(&text, crate::money::Currency::EUR);
            let _ = crate::rbac::PermissionName::parse(&text);
            let _ = crate::rbac::RoleName::parse(&text);
            let _ = crate::rbac::RoleRef::parse(&text);
            let _ = crate::entitlements::Feature::parse(&text);
            let _ = crate::ids::TenantId::parse(&text);
            let _ = crate::token::InvitationToken::parse(&text);
            let _ = crate::token::TokenHash::from_hex(&text);
            let _ = crate::time::Interval::parse(&text);
            let _ = crate::plan::PlanKind::parse(&text);
        }
    }

    #[test]
    fn a_vat_id_with_multibyte_characters_is_refused_not_a_panic() {
        assert!(VatId::parse("ü1234567").is_err());
        assert!(VatId::parse("DÉ123456").is_err());
    }

    #[test]
    fn codes_are_normalised() {
        assert_eq!(CountryCode::parse("de").unwrap().as_str(), "DE");
        assert!(CountryCode::parse("DEU").is_err());
        assert_eq!(VatId::parse("de 123.456-789").unwrap().as_str(), "DE123456789");
        assert!(VatId::parse("123456789").is_err());
        assert!(VatId::parse("DE1").is_err());
        assert_eq!(HexColor::parse("#AABBCC").unwrap().as_str(), "#aabbcc");
        assert!(HexColor::parse("red").is_err());
    }
}

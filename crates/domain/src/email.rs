//! E-mail addresses: parsed once, normalised to lower case, compared as such.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Why a text is not an acceptable e-mail address.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmailError {
    /// Empty after trimming.
    #[error("the e-mail address is empty")]
    Empty,
    /// Longer than RFC 5321 allows for a path (254 characters).
    #[error("the e-mail address is longer than 254 characters")]
    TooLong,
    /// Not of the form `local@domain.tld`.
    #[error("`{0}` is not a valid e-mail address")]
    Invalid(String),
}

/// A syntactically valid e-mail address, normalised: trimmed and lower-cased.
///
/// Addresses are compared case-insensitively (DESIGN.md: email is unique within a
/// tenant), which normalising at parse time makes a plain `==`. Domains must
/// contain a dot, which refuses `user@localhost`-style addresses that no mail
/// provider delivers to.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

impl Email {
    /// The pseudonym of an erased user: `erased-<id>@erased.invalid` (the
    /// reserved `.invalid` domain never receives mail), unique per user.
    pub fn erased(id: uuid::Uuid) -> Self {
        Self(format!("erased-{}@erased.invalid", id.simple()))
    }

    /// Whether this is an erased user's pseudonym.
    pub fn is_erased(&self) -> bool {
        self.0.starts_with("erased-") && self.0.ends_with("@erased.invalid")
    }

    /// Parses and normalises an address.
    pub fn parse(text: &str) -> Result<Self, EmailError> {
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return Err(EmailError::Empty);
        }
        if trimmed.chars().count() > 254 {
            return Err(EmailError::TooLong);
        }
        let invalid = || EmailError::Invalid(trimmed.chars().take(80).collect());
        if trimmed.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(invalid());
        }
        if !email_address::EmailAddress::is_valid(trimmed) {
            return Err(invalid());
        }
        let (local, domain) = trimmed.rsplit_once('@').ok_or_else(invalid)?;
        let domain_ok = domain.contains('.')
            && !domain.starts_with('[')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..");
        if local.is_empty() || local.starts_with('"') || !domain_ok {
            return Err(invalid());
        }
        Ok(Self(trimmed.to_lowercase()))
    }

    /// The normalised address.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The part after `@`.
    pub fn domain(&self) -> &str {
        self.0.rsplit_once('@').map(|(_, d)| d).unwrap_or("")
    }
}

impl TryFrom<String> for Email {
    type Error = EmailError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Email> for String {
    fn from(e: Email) -> String {
        e.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Email({})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn addresses_are_normalised_so_that_case_does_not_matter() {
        let a = Email::parse("  Ada.Lovelace@Example.COM ").unwrap();
        let b = Email::parse("ada.lovelace@example.com").unwrap();
        assert_eq!(a, b);
        assert_eq!(a.as_str(), "ada.lovelace@example.com");
        assert_eq!(a.domain(), "example.com");
    }

    #[test]
    fn malformed_addresses_are_refused() {
        for bad in [
            "",
            "   ",
            "plain",
            "@example.com",
            "a@",
            "a@b",
            "a b@example.com",
            "a@example..com",
            "a@.example.com",
            "a@[127.0.0.1]",
            "a@example.com.",
            "\"q\"@example.com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?} should be refused");
        }
        let long = format!("{}@example.com", "a".repeat(250));
        assert_eq!(Email::parse(&long), Err(EmailError::TooLong));
    }

    proptest! {
        #[test]
        fn parsing_never_panics_and_is_idempotent(text in ".{0,300}") {
            if let Ok(email) = Email::parse(&text) {
                prop_assert_eq!(Email::parse(email.as_str()).unwrap(), email);
            }
        }
    }
}

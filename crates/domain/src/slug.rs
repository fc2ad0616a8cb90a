//! Tenant slugs: the short name a user types at login (`acme` in
//! `tenant=acme`), unique across the platform.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Names that would collide with routes, hosts or staff roles.
pub const RESERVED_SLUGS: &[&str] = &[
    "admin",
    "api",
    "app",
    "assets",
    "auth",
    "billing",
    "docs",
    "help",
    "login",
    "logout",
    "platform",
    "root",
    "signup",
    "static",
    "status",
    "superuser",
    "support",
    "system",
    "tenantry",
    "v1",
    "www",
];

/// Why a text is not an acceptable slug.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SlugError {
    /// Outside 3..=63 characters.
    #[error("a slug has 3 to 63 characters, `{0}` has {1}")]
    Length(String, usize),
    /// A character other than a-z, 0-9 and `-`.
    #[error("a slug may contain only a-z, 0-9 and `-`: `{0}`")]
    Characters(String),
    /// Leading, trailing or doubled hyphen.
    #[error("a slug may not start or end with `-` or contain `--`: `{0}`")]
    Hyphens(String),
    /// One of [`RESERVED_SLUGS`].
    #[error("`{0}` is reserved")]
    Reserved(String),
}

/// A tenant's short name: 3–63 of `a-z0-9-`, DNS-label shaped so that it can also
/// serve as a subdomain. Upper case input is lower-cased.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(try_from = "String", into = "String")]
pub struct Slug(String);

impl Slug {
    /// Parses a slug, lower-casing it.
    pub fn parse(text: &str) -> Result<Self, SlugError> {
        let s = text.trim().to_ascii_lowercase();
        let shown: String = s.chars().take(70).collect();
        let len = s.chars().count();
        if !(3..=63).contains(&len) {
            return Err(SlugError::Length(shown, len));
        }
        if !s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-') {
            return Err(SlugError::Characters(shown));
        }
        if s.starts_with('-') || s.ends_with('-') || s.contains("--") {
            return Err(SlugError::Hyphens(shown));
        }
        if RESERVED_SLUGS.contains(&s.as_str()) {
            return Err(SlugError::Reserved(s));
        }
        Ok(Self(s))
    }

    /// The slug text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Slug {
    type Error = SlugError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Slug> for String {
    fn from(s: Slug) -> String {
        s.0
    }
}

impl fmt::Display for Slug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Slug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Slug({})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn good_slugs_are_accepted_and_lower_cased() {
        assert_eq!(Slug::parse("Acme-GmbH").unwrap().as_str(), "acme-gmbh");
        assert_eq!(Slug::parse("a1b").unwrap().as_str(), "a1b");
    }

    #[test]
    fn bad_slugs_are_refused_with_the_reason() {
        assert!(matches!(Slug::parse("ab"), Err(SlugError::Length(_, 2))));
        assert!(matches!(Slug::parse(&"a".repeat(64)), Err(SlugError::Length(_, 64))));
        assert!(matches!(Slug::parse("acme_gmbh"), Err(SlugError::Characters(_))));
        assert!(matches!(Slug::parse("ac me"), Err(SlugError::Characters(_))));
        assert!(matches!(Slug::parse("-acme"), Err(SlugError::Hyphens(_))));
        assert!(matches!(Slug::parse("ac--me"), Err(SlugError::Hyphens(_))));
        assert!(matches!(Slug::parse("admin"), Err(SlugError::Reserved(_))));
        assert!(matches!(Slug::parse("äbc"), Err(SlugError::Characters(_))));
    }

    proptest! {
        #[test]
        fn parsing_never_panics_and_valid_slugs_are_dns_labels(text in ".{0,80}") {
            if let Ok(slug) = Slug::parse(&text) {
                prop_assert!(slug.as_str().len() <= 63);
                prop_assert!(slug.as_str().bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'));
            }
        }
    }
}

//! Passwords known from breaches: a new password that is on this list is refused,
//! whatever its length (NIST SP 800-63B, 5.1.1.2: verifiers compare new secrets
//! against values known to be commonly used or compromised).
//!
//! The list ships with the crate as data (`data/breached-passwords.txt`: the
//! 20,000 most common passwords of the zxcvbn frequency list, MIT licence; its first
//! line names the source). It is compiled in with `include_str!`, so reading it is
//! no I/O.

use secrecy::{ExposeSecret, SecretString};
use std::fmt;
use std::sync::OnceLock;

/// The shipped list: `#` lines are comments, every other line is one lower-case password.
const SHIPPED: &str = include_str!("../data/breached-passwords.txt");

/// A sorted list of lower-case passwords known from breaches.
pub struct BreachedList {
    /// Sorted and deduplicated, for binary search.
    sorted: Vec<&'static str>,
}

impl BreachedList {
    /// The list shipped with the crate, parsed once on first use.
    pub fn shipped() -> &'static BreachedList {
        static LIST: OnceLock<BreachedList> = OnceLock::new();
        LIST.get_or_init(|| Self::from_text(SHIPPED))
    }

    /// A list from text in the shipped format: one password per line, `#` lines and
    /// blank lines skipped. Entries are compared lower-cased, so they should be
    /// lower-case; the text need not be sorted.
    pub fn from_text(text: &'static str) -> Self {
        let mut sorted: Vec<&'static str> = text
            .lines()
            .map(|line| line.trim_end_matches('\r'))
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .collect();
        sorted.sort_unstable();
        sorted.dedup();
        Self { sorted }
    }

    /// Whether `password` is on the list, ignoring case (an exact match otherwise:
    /// `password1` is on it, `password1!x` is not).
    pub fn contains(&self, password: &SecretString) -> bool {
        // The lower-cased copy is a secret too: it is wiped when dropped.
        let lowered = SecretString::from(password.expose_secret().to_lowercase());
        self.sorted.binary_search(&lowered.expose_secret()).is_ok()
    }

    /// How many passwords the list holds.
    pub fn len(&self) -> usize {
        self.sorted.len()
    }

    /// Whether the list holds no password.
    pub fn is_empty(&self) -> bool {
        self.sorted.is_empty()
    }
}

impl fmt::Debug for BreachedList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BreachedList({} passwords)", self.sorted.len())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // test code
mod tests {
    use super::*;

    fn secret(text: &str) -> SecretString {
        SecretString::from(text.to_owned())
    }

    #[test]
    fn the_most_common_passwords_are_on_the_list() {
        let list = BreachedList::shipped();
        for common in ["password", "123456", "qwerty", "letmein", "iloveyou", "dragon"] {
            assert!(list.contains(&secret(common)), "{common}");
        }
    }

    #[test]
    fn a_long_random_looking_password_is_not_on_the_list() {
        let list = BreachedList::shipped();
        assert!(!list.contains(&secret("vT9#qLm2!xR7wZp4@kE")));
        assert!(!list.contains(&secret("correct horse battery staple")));
        assert!(!list.contains(&secret("")));
    }

    #[test]
    fn the_match_ignores_case_but_is_otherwise_exact() {
        let list = BreachedList::shipped();
        assert!(list.contains(&secret("PASSWORD")));
        assert!(list.contains(&secret("QwErTy")));
        assert!(!list.contains(&secret("password ")));
        assert!(!list.contains(&secret("qwerty-but-longer-and-odd-9f3k")));
    }

    #[test]
    fn the_shipped_file_is_sorted_lower_case_ascii_and_large() {
        let entries: Vec<&str> = SHIPPED.lines().filter(|l| !l.starts_with('#')).collect();
        assert!(entries.len() > 10_000, "{}", entries.len());
        assert!(entries.windows(2).all(|w| w[0] < w[1]), "sorted and without duplicates");
        assert!(entries.iter().all(|e| !e.is_empty() && e.is_ascii() && *e == e.to_lowercase()));
        assert_eq!(BreachedList::shipped().len(), entries.len());
        assert!(!BreachedList::shipped().is_empty());
        // the header names the source and the licence
        let header = SHIPPED.lines().next().unwrap();
        assert!(header.starts_with('#') && header.contains("zxcvbn") && header.contains("MIT"));
    }

    #[test]
    fn a_list_from_text_skips_comments_and_blank_lines_and_sorts() {
        let list = BreachedList::from_text("# a comment\nzebra\r\n\nalpha\nalpha\n");
        assert_eq!(list.len(), 2);
        assert!(list.contains(&secret("Alpha")));
        assert!(list.contains(&secret("zebra")));
        assert!(!list.contains(&secret("# a comment")));
        assert_eq!(format!("{list:?}"), "BreachedList(2 passwords)");
    }
}

//! tenantry's words in the reader's language (issue 25).
//!
//! Every page, form error, problem text and mail is a message of the Fluent
//! catalogue under `locales/{en,nl}/*.ftl`, compiled into the binary. A
//! [`Locale`] is one reader's language and time zone: it looks messages up
//! ([`Locale::text`], the [`t!`] macro with arguments) and writes money and
//! moments as that reader does ([`Locale::money`], [`Locale::date_time`]) —
//! in Rust, from integer cents and UTC instants, handed to Fluent as finished
//! text (never Fluent's `NUMBER()` or `DATETIME()`). Counts go to Fluent as
//! integers, so that plural rules pick `one` or `other`.
//!
//! Which language a reader gets is decided by the caller in this order: the
//! user's own setting, the tenant's default, the browser's `Accept-Language`
//! ([`negotiate`]), English.
//!
//! With the `pseudo` feature (tests only), the tag `x-pseudo` selects a
//! pseudo-locale: English, every message and every formatted amount or moment
//! wrapped in `⟦ ⟧`, so that a test can find text that did not come from
//! the catalogue.

use std::borrow::Cow;
use std::sync::LazyLock;

use chrono::{DateTime, Utc};
use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
pub use tenantry_domain::preferences::{Language, Preferences, TimeZone};
use tenantry_domain::{Money, locale};

/// Opens a pseudo-localised text.
pub const PSEUDO_OPEN: char = '⟦';
/// Closes a pseudo-localised text.
pub const PSEUDO_CLOSE: char = '⟧';

/// Declares the catalogue's files, once for both languages.
macro_rules! catalogue {
    ($($area:literal),+ $(,)?) => {
        /// The catalogue's files: (area, English source, Dutch source).
        pub const FILES: &[(&str, &str, &str)] = &[
            $(($area,
               include_str!(concat!("../locales/en/", $area, ".ftl")),
               include_str!(concat!("../locales/nl/", $area, ".ftl")))),+
        ];
    };
}

catalogue!("common", "account", "tenant", "billing", "admin", "platform", "mail", "problem");

type Bundle = FluentBundle<FluentResource>;

/// Both languages' bundles, and whatever the catalogue got wrong while loading
/// them (a syntax error, an id defined twice) — empty when it is sound, which
/// a test asserts.
struct Catalogue {
    en: Bundle,
    nl: Bundle,
    faults: Vec<String>,
}

fn bundle(language: Language, faults: &mut Vec<String>) -> Bundle {
    let id: unic_langid::LanguageIdentifier = match language {
        Language::En => unic_langid::LanguageIdentifier::from_bytes(b"en").unwrap_or_default(),
        Language::Nl => unic_langid::LanguageIdentifier::from_bytes(b"nl").unwrap_or_default(),
    };
    let mut bundle = FluentBundle::new_concurrent(vec![id]);
    // The texts go into HTML and mails, not into bidirectional UI: no isolation marks.
    bundle.set_use_isolating(false);
    for (area, en, nl) in FILES {
        let source = match language {
            Language::En => *en,
            Language::Nl => *nl,
        };
        let resource = match FluentResource::try_new(source.to_owned()) {
            Ok(r) => r,
            Err((r, errors)) => {
                faults.extend(errors.iter().map(|e| format!("{}/{area}.ftl: {e}", language.tag())));
                r
            }
        };
        if let Err(errors) = bundle.add_resource(resource) {
            faults.extend(errors.iter().map(|e| format!("{}/{area}.ftl: {e}", language.tag())));
        }
    }
    bundle
}

static CATALOGUE: LazyLock<Catalogue> = LazyLock::new(|| {
    let mut faults = Vec::new();
    let en = bundle(Language::En, &mut faults);
    let nl = bundle(Language::Nl, &mut faults);
    Catalogue { en, nl, faults }
});

/// What went wrong loading the catalogue (empty when it is sound).
pub fn faults() -> Vec<String> {
    CATALOGUE.faults.clone()
}

/// An argument of a message: text, or a count (plural rules select on it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Arg<'a> {
    /// Text, inserted as it is.
    Text(Cow<'a, str>),
    /// A whole number.
    Count(i64),
}

impl<'a> From<&'a str> for Arg<'a> {
    fn from(s: &'a str) -> Self {
        Arg::Text(Cow::Borrowed(s))
    }
}
impl<'a> From<&'a String> for Arg<'a> {
    fn from(s: &'a String) -> Self {
        Arg::Text(Cow::Borrowed(s.as_str()))
    }
}
impl From<String> for Arg<'_> {
    fn from(s: String) -> Self {
        Arg::Text(Cow::Owned(s))
    }
}
macro_rules! count {
    ($($t:ty),+) => { $(impl From<$t> for Arg<'_> {
        fn from(n: $t) -> Self { Arg::Count(i64::try_from(n).unwrap_or(i64::MAX)) }
    })+ };
}
count!(i64, i32, u32, u64, usize, u16, u8);

/// One reader: the language they read and the zone their clock is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Locale {
    language: Language,
    zone: TimeZone,
    pseudo: bool,
}

impl Default for Locale {
    /// English, UTC.
    fn default() -> Self {
        Self { language: Language::En, zone: TimeZone::utc(), pseudo: false }
    }
}

impl Locale {
    /// A reader of `language` in `zone`.
    pub fn new(language: Language, zone: TimeZone) -> Self {
        Self { language, zone, pseudo: false }
    }

    /// The pseudo-locale (tests only).
    #[cfg(feature = "pseudo")]
    pub fn pseudo() -> Self {
        Self { language: Language::En, zone: TimeZone::utc(), pseudo: true }
    }

    /// The language.
    pub fn language(&self) -> Language {
        self.language
    }

    /// The time zone.
    pub fn zone(&self) -> TimeZone {
        self.zone
    }

    /// Whether this is the pseudo-locale.
    pub fn is_pseudo(&self) -> bool {
        self.pseudo
    }

    /// The same reader in another language (the pseudo-locale stays).
    #[must_use]
    pub fn with_language(self, language: Language) -> Self {
        if self.pseudo { self } else { Self { language, ..self } }
    }

    /// The same reader in another time zone.
    #[must_use]
    pub fn with_zone(self, zone: TimeZone) -> Self {
        Self { zone, ..self }
    }

    /// The reader settled by preferences, most specific last: a tenant's
    /// defaults, then the user's own; what neither sets stays as it is.
    #[must_use]
    pub fn settled(self, layers: &[&Preferences]) -> Self {
        layers.iter().fold(self, |l, p| {
            let l = match p.language {
                Some(language) => l.with_language(language),
                None => l,
            };
            match p.time_zone {
                Some(zone) => l.with_zone(zone),
                None => l,
            }
        })
    }

    /// The message `id`, in this reader's language (its id when the catalogue
    /// lacks it — a test makes sure none is missing).
    pub fn text(&self, id: &str) -> String {
        self.text_with(id, &[])
    }

    /// The message `id` with its arguments.
    pub fn text_with(&self, id: &str, args: &[(&str, Arg<'_>)]) -> String {
        let bundle = match self.language {
            Language::En => &CATALOGUE.en,
            Language::Nl => &CATALOGUE.nl,
        };
        let Some(pattern) = bundle.get_message(id).and_then(|m| m.value()) else {
            return id.to_owned();
        };
        let mut fluent = FluentArgs::with_capacity(args.len());
        for (name, arg) in args {
            let value = match arg {
                Arg::Text(s) => FluentValue::from(s.as_ref()),
                Arg::Count(n) => FluentValue::from(*n),
            };
            fluent.set(*name, value);
        }
        let mut errors = Vec::new();
        let text = bundle.format_pattern(pattern, Some(&fluent), &mut errors).into_owned();
        self.mark(text)
    }

    /// Whether the catalogue has `id` (for texts chosen at run time, such as a
    /// problem's code, that may fall back to another text).
    pub fn has(&self, id: &str) -> bool {
        match self.language {
            Language::En => CATALOGUE.en.has_message(id),
            Language::Nl => CATALOGUE.nl.has_message(id),
        }
    }

    fn mark(&self, text: String) -> String {
        if self.pseudo { format!("{PSEUDO_OPEN}{text}{PSEUDO_CLOSE}") } else { text }
    }

    /// An amount as this reader writes it: nl `€ 49,95`, en `€49.95`.
    pub fn money(&self, amount: Money) -> String {
        self.mark(locale::money(amount, self.language))
    }

    /// A day in this reader's zone: nl `6 december 2026`, en `6 December 2026`.
    pub fn date(&self, at: DateTime<Utc>) -> String {
        self.mark(locale::date(at, self.zone, self.language))
    }

    /// A moment in this reader's zone: nl `6 december 2026 om 14:05`, en `6 December 2026, 14:05`.
    pub fn date_time(&self, at: DateTime<Utc>) -> String {
        self.mark(locale::date_time(at, self.zone, self.language))
    }

    /// The `lang` of a page in this language.
    pub fn tag(&self) -> &'static str {
        self.language.tag()
    }
}

/// A message in `locale`'s language: `t!(locale, "id")` or
/// `t!(locale, "id", name = value, count = n)`. Ids are literals, so that a
/// test can tell which messages are used.
#[macro_export]
macro_rules! t {
    ($locale:expr, $id:literal) => { $locale.text($id) };
    ($locale:expr, $id:literal, $($name:ident = $value:expr),+ $(,)?) => {
        $locale.text_with($id, &[$((stringify!($name), $crate::Arg::from($value))),+])
    };
}

/// The language an `Accept-Language` header asks for first among those
/// tenantry speaks (q-values honoured, `nl-BE` counts as `nl`), as a reader
/// in UTC; None when it names none of them.
pub fn negotiate(header: &str) -> Option<Locale> {
    // A browser sends a handful; a header longer than this is not a person's choice.
    if header.len() > MAX_ACCEPT_LANGUAGE {
        return None;
    }
    let mut asked: Vec<(u16, usize, &str)> = header
        .split(',')
        .take(MAX_RANGES)
        .enumerate()
        .filter_map(|(i, part)| {
            let mut pieces = part.split(';');
            let tag = pieces.next()?.trim();
            // The weight's name is case-insensitive (`Q=0` refuses as `q=0` does).
            let q = pieces
                .filter_map(|p| p.split_once('='))
                .find(|(name, _)| name.trim().eq_ignore_ascii_case("q"))
                .map_or(Some(1000), |(_, q)| {
                    q.trim().parse::<f32>().ok().map(|q| (q.clamp(0.0, 1.0) * 1000.0) as u16)
                })?;
            (q > 0 && !tag.is_empty()).then_some((q, i, tag))
        })
        .collect();
    asked.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    asked.into_iter().find_map(|(_, _, tag)| chosen(tag))
}

/// The longest `Accept-Language` read (longer ones choose nothing).
const MAX_ACCEPT_LANGUAGE: usize = 1024;
/// The most language ranges read from one header.
const MAX_RANGES: usize = 32;

/// A language tag tenantry speaks, as a reader in UTC.
pub fn chosen(tag: &str) -> Option<Locale> {
    // Test builds only: a release build never answers in the pseudo-locale, whatever its features.
    #[cfg(feature = "pseudo")]
    if cfg!(debug_assertions) && tag.eq_ignore_ascii_case("x-pseudo") {
        return Some(Locale::pseudo());
    }
    let primary = tag.split(['-', '_']).next().unwrap_or_default();
    Language::parse(&primary.to_ascii_lowercase()).ok().map(|l| Locale::new(l, TimeZone::utc()))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code
mod tests;

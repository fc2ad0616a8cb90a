//! A person's language and time zone (issue 24; used by the languages issue):
//! each is optional — unset, the tenant's default and then the request's
//! `Accept-Language` decide.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// A language tenantry speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Language {
    /// English.
    En,
    /// Dutch.
    Nl,
}

impl Language {
    /// Every language, in the order a choice lists them.
    pub const ALL: [Language; 2] = [Language::En, Language::Nl];

    /// Its BCP 47 tag.
    pub fn tag(self) -> &'static str {
        match self {
            Language::En => "en",
            Language::Nl => "nl",
        }
    }

    /// Its name in itself (as a language switch shows it).
    pub fn endonym(self) -> &'static str {
        match self {
            Language::En => "English",
            Language::Nl => "Nederlands",
        }
    }

    /// Reads a tag (`en`, `nl`, case-insensitive).
    pub fn parse(tag: &str) -> Result<Self, PreferenceError> {
        match tag.trim().to_ascii_lowercase().as_str() {
            "en" => Ok(Language::En),
            "nl" => Ok(Language::Nl),
            _ => Err(PreferenceError::UnknownLanguage),
        }
    }
}

/// An IANA time zone, by its name (`Europe/Amsterdam`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TimeZone(chrono_tz::Tz);

impl TimeZone {
    /// Reads an IANA name exactly as the tz database spells it.
    pub fn parse(name: &str) -> Result<Self, PreferenceError> {
        chrono_tz::Tz::from_str(name.trim()).map(TimeZone).map_err(|_| PreferenceError::UnknownTimeZone)
    }

    /// Coordinated Universal Time.
    pub const fn utc() -> Self {
        TimeZone(chrono_tz::Tz::UTC)
    }

    /// Its IANA name.
    pub fn name(self) -> &'static str {
        self.0.name()
    }

    /// The zone, for conversions.
    pub fn tz(self) -> chrono_tz::Tz {
        self.0
    }

    /// Every canonical zone name (a choice lists them), sorted.
    pub fn names() -> impl Iterator<Item = &'static str> {
        chrono_tz::TZ_VARIANTS.iter().map(|z| z.name())
    }
}

impl fmt::Display for TimeZone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Serialize for TimeZone {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for TimeZone {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        TimeZone::parse(&name).map_err(serde::de::Error::custom)
    }
}

/// Why a preference was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PreferenceError {
    /// Not `en` or `nl`.
    #[error("the language must be one of: en, nl")]
    UnknownLanguage,
    /// Not a name in the IANA tz database.
    #[error("the time zone must be an IANA name such as Europe/Amsterdam")]
    UnknownTimeZone,
}

/// What a person chose; `None` is "as the workspace".
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Preferences {
    /// The language of pages and mails.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<Language>,
    /// The zone times are shown in (an IANA name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub time_zone: Option<TimeZone>,
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // test code
mod tests {
    use super::*;

    #[test]
    fn languages_and_zones_are_read_strictly() {
        assert_eq!(Language::parse("NL").unwrap(), Language::Nl);
        assert_eq!(Language::parse("de"), Err(PreferenceError::UnknownLanguage));
        assert_eq!(TimeZone::parse("Europe/Amsterdam").unwrap().name(), "Europe/Amsterdam");
        assert_eq!(TimeZone::parse("Mars/Olympus"), Err(PreferenceError::UnknownTimeZone));
        assert_eq!(TimeZone::parse(""), Err(PreferenceError::UnknownTimeZone));
        assert!(TimeZone::names().any(|n| n == "America/New_York"));
    }

    #[test]
    fn preferences_round_trip_and_old_records_read_as_unset() {
        let p =
            Preferences { language: Some(Language::Nl), time_zone: Some(TimeZone::parse("Europe/Amsterdam").unwrap()) };
        let json = serde_json::to_string(&p).unwrap();
        assert_eq!(json, r#"{"language":"nl","time_zone":"Europe/Amsterdam"}"#);
        assert_eq!(serde_json::from_str::<Preferences>(&json).unwrap(), p);
        assert_eq!(serde_json::from_str::<Preferences>("{}").unwrap(), Preferences::default());
        assert!(serde_json::from_str::<Preferences>(r#"{"time_zone":"Nowhere/Else"}"#).is_err());
    }
}

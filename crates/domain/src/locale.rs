//! Money and moments as a reader of each language writes them (issue 25):
//! formatted here, from integer cents and UTC instants, and handed to the
//! message catalogue as finished text — never through Fluent's `NUMBER()`
//! (an f64 with a point, blind to currency and locale) or `DATETIME()` (not
//! implemented by fluent-bundle).
//!
//! | | en | nl |
//! |---|---|---|
//! | 4995 cents | `€49.95` | `€ 49,95` |
//! | 123456789 cents | `€1,234,567.89` | `€ 1.234.567,89` |
//! | −1650 cents (a credit) | `-€16.50` | `€ -16,50` |
//! | 1200 cents CHF | `CHF 12.00` | `CHF 12,00` |
//! | a moment | `6 December 2026, 14:05` | `6 december 2026 om 14:05` |
//!
//! (CLDR's patterns for `en` and `nl`; a currency without a symbol here is
//! written with its ISO code.) Moments are shown in the reader's time zone,
//! which moves with daylight saving time.

use crate::money::Money;
use crate::preferences::{Language, TimeZone};
use chrono::{DateTime, Datelike, Timelike, Utc};

const MONTHS_EN: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const MONTHS_NL: [&str; 12] = [
    "januari",
    "februari",
    "maart",
    "april",
    "mei",
    "juni",
    "juli",
    "augustus",
    "september",
    "oktober",
    "november",
    "december",
];

/// The digits of `whole`, grouped by three with `separator`.
fn grouped(whole: u64, separator: char) -> String {
    let digits = whole.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(separator);
        }
        out.push(d);
    }
    out
}

/// An amount as `language` writes it, exact to the cent.
pub fn money(amount: Money, language: Language) -> String {
    let cents = amount.cents();
    let sign = if cents < 0 { "-" } else { "" };
    let abs = cents.unsigned_abs();
    let (whole, part) = (abs / 100, abs % 100);
    let symbol = match amount.currency().as_str() {
        "EUR" => Some("€"),
        "USD" => Some("$"),
        "GBP" => Some("£"),
        _ => None,
    };
    let code = amount.currency().to_string();
    match language {
        Language::En => {
            let number = format!("{}.{part:02}", grouped(whole, ','));
            match symbol {
                Some(s) => format!("{sign}{s}{number}"),
                None => format!("{sign}{code} {number}"),
            }
        }
        Language::Nl => {
            let number = format!("{}{},{part:02}", sign, grouped(whole, '.'));
            format!("{} {number}", symbol.unwrap_or(&code))
        }
    }
}

/// A day, `6 December 2026` / `6 december 2026`, in `zone`.
pub fn date(at: DateTime<Utc>, zone: TimeZone, language: Language) -> String {
    let local = at.with_timezone(&zone.tz());
    let month = usize::try_from(local.month0()).unwrap_or(0);
    let name = match language {
        Language::En => MONTHS_EN[month % 12],
        Language::Nl => MONTHS_NL[month % 12],
    };
    format!("{} {name} {}", local.day(), local.year())
}

/// A moment to the minute, `6 December 2026, 14:05` / `6 december 2026 om 14:05`, in `zone`.
pub fn date_time(at: DateTime<Utc>, zone: TimeZone, language: Language) -> String {
    let local = at.with_timezone(&zone.tz());
    let day = date(at, zone, language);
    let clock = format!("{:02}:{:02}", local.hour(), local.minute());
    match language {
        Language::En => format!("{day}, {clock}"),
        Language::Nl => format!("{day} om {clock}"),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // test code
mod tests {
    use super::*;
    use crate::money::Currency;

    #[test]
    fn amounts_are_written_from_integer_cents_in_each_language() {
        let cases: [(i64, &str, &str); 8] = [
            (0, "€0.00", "€ 0,00"),
            (1, "€0.01", "€ 0,01"),
            (495, "€4.95", "€ 4,95"),
            (4995, "€49.95", "€ 49,95"),
            (47900, "€479.00", "€ 479,00"),
            (123_456_789, "€1,234,567.89", "€ 1.234.567,89"),
            (-1650, "-€16.50", "€ -16,50"),
            (-123_456_789, "-€1,234,567.89", "€ -1.234.567,89"),
        ];
        for (cents, en, nl) in cases {
            assert_eq!(money(Money::eur(cents), Language::En), en, "{cents}");
            assert_eq!(money(Money::eur(cents), Language::Nl), nl, "{cents}");
        }
        let chf = Currency::parse("CHF").unwrap();
        assert_eq!(money(Money::from_cents(1200, chf), Language::En), "CHF 12.00");
        assert_eq!(money(Money::from_cents(-1200, chf), Language::Nl), "CHF -12,00");
        // The extremes of i64 neither overflow nor lose a cent.
        assert_eq!(money(Money::eur(i64::MIN), Language::En), "-€92,233,720,368,547,758.08");
        assert_eq!(money(Money::eur(i64::MAX), Language::Nl), "€ 92.233.720.368.547.758,07");
    }

    #[test]
    fn moments_are_shown_in_the_readers_zone_across_daylight_saving_time() {
        let amsterdam = TimeZone::parse("Europe/Amsterdam").unwrap();
        let at = |text: &str| DateTime::parse_from_rfc3339(text).unwrap().with_timezone(&Utc);
        let cases = [
            // Winter (UTC+1) and summer (UTC+2).
            ("2026-12-06T13:05:00Z", "6 December 2026, 14:05", "6 december 2026 om 14:05"),
            ("2026-07-01T12:00:00Z", "1 July 2026, 14:00", "1 juli 2026 om 14:00"),
            // The clocks go forward on 29 March 2026 at 01:00 UTC: 01:59 is followed by 03:00.
            ("2026-03-29T00:59:00Z", "29 March 2026, 01:59", "29 maart 2026 om 01:59"),
            ("2026-03-29T01:00:00Z", "29 March 2026, 03:00", "29 maart 2026 om 03:00"),
            // They go back on 25 October 2026 at 01:00 UTC: 02:30 happens twice.
            ("2026-10-25T00:30:00Z", "25 October 2026, 02:30", "25 oktober 2026 om 02:30"),
            ("2026-10-25T01:30:00Z", "25 October 2026, 02:30", "25 oktober 2026 om 02:30"),
            // A UTC evening is the next day in Amsterdam.
            ("2026-12-31T23:30:00Z", "1 January 2027, 00:30", "1 januari 2027 om 00:30"),
        ];
        for (utc, en, nl) in cases {
            assert_eq!(date_time(at(utc), amsterdam, Language::En), en, "{utc}");
            assert_eq!(date_time(at(utc), amsterdam, Language::Nl), nl, "{utc}");
        }
        let utc = TimeZone::parse("UTC").unwrap();
        assert_eq!(date(at("2026-12-31T23:30:00Z"), utc, Language::Nl), "31 december 2026");
    }
}

//! The pages' shared form steps: ids from paths (404 when not one), query values, percent-encoding, a form's own refusal.

use crate::l10n::t;
use crate::web::PageError;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::Deserialize;

pub(crate) fn id_of<T: std::str::FromStr>(text: &str) -> Result<T, PageError> {
    text.parse().map_err(|_| PageError::not_found())
}

/// A refusal of the form itself (422), before any use case runs.
pub(crate) fn invalid(detail: &str) -> PageError {
    PageError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_form", detail)
}

/// A query or form value, trimmed; `None` when empty.
pub(crate) fn given(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

/// Percent-encodes a query value (everything but RFC 3986's unreserved characters).
pub(crate) fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

pub(crate) fn invalid_query(detail: &str) -> PageError {
    PageError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_query", detail)
}

/// A checkbox: present when ticked.
pub(crate) fn ticked(value: &Option<String>) -> bool {
    value.is_some()
}

#[derive(Deserialize, Default)]
pub(crate) struct Saved {
    pub(crate) saved: Option<String>,
}

/// A `<input type="date">` value (`YYYY-MM-DD`) as that day's midnight, UTC.
pub(crate) fn midnight(text: &str, which: &str) -> Result<DateTime<Utc>, PageError> {
    chrono::NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .map(|d| d.and_time(chrono::NaiveTime::MIN).and_utc())
        .map_err(|_| invalid(&t!("account-form-date-invalid", which = which)))
}

//! Errors as RFC 9457 `application/problem+json`, mapped from the use cases'
//! typed errors in one place: the status from the error's [`ErrorKind`], the
//! stable `code` from [`Problem::code`], the human text from its `Display`.
//! Internal errors are logged and answered without their details.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use tenantry_ports::{ErrorKind, Problem};

/// An error answer. Build it from any use-case error (`?` does), or with the
/// constructors for errors of the HTTP layer itself.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    detail: String,
    /// Seconds for `Retry-After` (a throttle's 429; 503 says 2 by default).
    retry_after: Option<u64>,
    /// A quota's 429: which quota, and when it is full again.
    quota: Option<(&'static str, chrono::DateTime<chrono::Utc>)>,
}

/// The body of an error answer.
#[derive(Serialize, Debug, utoipa::ToSchema)]
pub struct ProblemBody {
    /// A URI naming the problem type.
    #[serde(rename = "type")]
    #[schema(rename = "type")]
    pub kind: String,
    /// A short summary of the type.
    pub title: &'static str,
    /// The HTTP status.
    pub status: u16,
    /// Stable, machine-readable, snake_case.
    pub code: &'static str,
    /// What happened, for a person.
    pub detail: String,
    /// `quota_exceeded`: the quota used up (`api_calls_per_month`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quota: Option<&'static str>,
    /// `quota_exceeded`: when the quota is full again (RFC 3339, UTC).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resets_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// The status an error kind answers with.
pub fn status_of(kind: ErrorKind) -> StatusCode {
    match kind {
        ErrorKind::Invalid => StatusCode::UNPROCESSABLE_ENTITY,
        ErrorKind::Unauthenticated => StatusCode::UNAUTHORIZED,
        ErrorKind::Forbidden | ErrorKind::UpgradeRequired => StatusCode::FORBIDDEN,
        ErrorKind::NotFound => StatusCode::NOT_FOUND,
        ErrorKind::Conflict | ErrorKind::Gone => StatusCode::CONFLICT,
        ErrorKind::PaymentRequired => StatusCode::PAYMENT_REQUIRED,
        ErrorKind::QuotaExceeded => StatusCode::TOO_MANY_REQUESTS,
        ErrorKind::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        ErrorKind::UnsupportedType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ErrorKind::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        ErrorKind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

impl<E: Problem> From<E> for ApiError {
    fn from(e: E) -> Self {
        let status = status_of(e.kind());
        if status == StatusCode::INTERNAL_SERVER_ERROR {
            // The details stay in the log; the client learns only that it was not its fault.
            tracing::error!(code = e.code(), error = %e, "internal error");
            return Self {
                status,
                code: e.code(),
                detail: "an internal error occurred; it has been logged".into(),
                retry_after: None,
                quota: None,
            };
        }
        if status == StatusCode::SERVICE_UNAVAILABLE {
            tracing::warn!(code = e.code(), error = %e, "unavailable");
            return Self {
                status,
                code: e.code(),
                detail: "temporarily unavailable; nothing was changed, retry".into(),
                retry_after: Some(2),
                quota: None,
            };
        }
        Self { status, code: e.code(), detail: e.to_string(), retry_after: None, quota: None }
    }
}

impl ApiError {
    /// What happened, for a person.
    pub fn detail(&self) -> &str {
        &self.detail
    }
    /// An error of the HTTP layer itself.
    pub fn new(status: StatusCode, code: &'static str, detail: impl Into<String>) -> Self {
        Self { status, code, detail: detail.into(), retry_after: None, quota: None }
    }
    /// With `Retry-After: seconds`.
    pub fn retry_after(mut self, seconds: u64) -> Self {
        self.retry_after = Some(seconds);
        self
    }
    /// Names the quota a 429 `quota_exceeded` is about and when it resets.
    pub fn with_quota(mut self, quota: &'static str, resets_at: chrono::DateTime<chrono::Utc>) -> Self {
        self.quota = Some((quota, resets_at));
        self
    }
    /// The `Retry-After` seconds, if any.
    pub fn retry_after_secs(&self) -> Option<u64> {
        self.retry_after
    }
    /// 401: no or bad credentials.
    pub fn unauthenticated(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthenticated", detail)
    }
    /// 404, the same for missing and for another tenant's.
    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", "no such resource")
    }
    /// The status.
    pub fn status(&self) -> StatusCode {
        self.status
    }
    /// The code.
    pub fn code(&self) -> &'static str {
        self.code
    }
}

/// A problem's text for the request's reader (issue 25). English readers get
/// the use case's own text, which names the specifics (the limit, the field);
/// readers of another language — and the pseudo-locale of the tests — get the
/// catalogue's sentence for the problem's code, when it has one.
pub(crate) fn localised(code: &str, english: &str) -> String {
    let reader = crate::l10n::reader();
    if reader.language() == tenantry_i18n::Language::En && !reader.is_pseudo() {
        return english.to_owned();
    }
    let id = format!("problem-{code}");
    if reader.has(&id) { reader.text(&id) } else { english.to_owned() }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        // The API keeps its machine values; only the text follows a language the client asked for.
        let detail = if crate::l10n::accepted() { localised(self.code, &self.detail) } else { self.detail };
        let body = ProblemBody {
            kind: format!("https://tenantry.dev/problems/{}", self.code),
            title: self.status.canonical_reason().unwrap_or("error"),
            status: self.status.as_u16(),
            code: self.code,
            detail,
            quota: self.quota.map(|(q, _)| q),
            resets_at: self.quota.map(|(_, at)| at),
        };
        let mut response = (self.status, axum::Json(body)).into_response();
        response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if let Some(seconds) = self.retry_after {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

impl ApiError {
    /// A refused JSON body: 422 naming the field (serde's message), 415 without
    /// a JSON content type, 413 over the body limit.
    pub fn json(r: JsonRejection) -> Self {
        // serde's message names the field and what was wrong with it.
        let (status, code) = match r {
            JsonRejection::MissingJsonContentType(_) => (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type"),
            JsonRejection::BytesRejection(_) => (StatusCode::PAYLOAD_TOO_LARGE, "body_too_large"),
            // axum's rejection is `non_exhaustive`: every other one is a body that does not parse.
            _ => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_body"),
        };
        Self::new(status, code, r.body_text())
    }

    /// A refused query string: 422.
    pub fn query(r: QueryRejection) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_query", r.body_text())
    }

    /// A refused path parameter: 404, as for a missing resource.
    pub fn path(_: PathRejection) -> Self {
        // A malformed id names nothing that exists: the same answer as a missing one.
        Self::not_found()
    }
}

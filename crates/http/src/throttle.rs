//! The throttles of what anyone can call (issue 18): signup, login, the
//! login's second step, password reset and its confirmation, e-mail
//! verification and invitation acceptance — on the API and the web — get a
//! token bucket per client address (every request of theirs) and one per
//! account they name (the e-mail and tenant of a login or a reset, the account
//! of a second step, the link of an acceptance); a signed-in account reaching
//! for another tenant gets one too, checked before anything is read or
//! audited. Over a limit: 429 with `Retry-After`, as problem+json or a page.
//!
//! The limits are the platform setting `anonymous_limits` (the test suites
//! raise them); a change takes effect at the next request. The buckets are
//! counted by the `RateLimiter` port (keys `per_address:…`, `per_account:…`,
//! `cross_tenant:…`): in this process by default, in Redis with `REDIS_URL`, so
//! that several instances share them; when Redis does not answer, the
//! in-process limiter counts (never "allow everything").

use crate::problem::ApiError;
use crate::state::AppState;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::net::IpAddr;
use std::sync::Arc;
use tenantry_domain::settings::{AnonymousLimits, Bucket};
use tenantry_ports::{InProcessRateLimiter, Rate, RateLimiter, Tenantry};

/// Which throttle refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Throttle {
    /// The client's address.
    PerAddress,
    /// The account named.
    PerAccount,
    /// An account reaching for another tenant.
    CrossTenant,
}

impl Throttle {
    fn as_str(self) -> &'static str {
        match self {
            Throttle::PerAddress => "per_address",
            Throttle::PerAccount => "per_account",
            Throttle::CrossTenant => "cross_tenant",
        }
    }
}

/// A refusal: which throttle, and in how many seconds one more is allowed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Refused {
    /// The throttle.
    pub throttle: Throttle,
    /// Seconds to wait (at least 1).
    pub retry_after: u64,
}

impl From<Refused> for ApiError {
    fn from(r: Refused) -> Self {
        ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_requests",
            format!(
                "too many attempts ({}); retry in {} seconds",
                r.throttle.as_str().replace('_', " "),
                r.retry_after
            ),
        )
        .retry_after(r.retry_after)
    }
}

/// The throttles, counted by a [`RateLimiter`].
pub struct Throttles {
    limiter: Arc<dyn RateLimiter>,
}

impl Default for Throttles {
    fn default() -> Self {
        Self::new(Arc::new(InProcessRateLimiter::default()))
    }
}

impl std::fmt::Debug for Throttles {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Throttles")
    }
}

/// An address's key: an IPv4 address as it is, an IPv6 address by its /64 (a
/// subscriber gets a whole /64), `unknown` without one.
pub fn address_key(address: Option<IpAddr>) -> String {
    tenantry_domain::user::address_key(address)
}

/// The key of a mailed link (a secret): a digest of it, never the secret.
pub fn link_key(token: &secrecy::SecretString) -> String {
    use secrecy::ExposeSecret;
    use sha2::Digest;
    let digest = sha2::Sha256::digest(token.expose_secret().as_bytes());
    format!("link:{}", hex::encode(&digest[..12]))
}

/// The key of the account a principal names (a login's second step).
pub fn principal_key(principal: &tenantry_ports::Principal) -> String {
    use tenantry_ports::Principal;
    match principal {
        Principal::User { user_id, .. } => format!("user:{user_id}"),
        Principal::Superuser { id, .. } => format!("superuser:{id}"),
        Principal::Impersonation { user_id, superuser, .. } => format!("support:{superuser}:{user_id}"),
        Principal::ApiKey { key_id, .. } => format!("key:{key_id}"),
    }
}

impl Throttles {
    /// Throttles counted by `limiter`.
    pub fn new(limiter: Arc<dyn RateLimiter>) -> Self {
        Self { limiter }
    }

    /// Counts one request from `address` naming `account` (if any); the first
    /// throttle that refuses is answered. The limits are read from the
    /// platform settings (cached by the use cases).
    pub async fn anonymous(
        &self,
        tenantry: &Tenantry,
        address: Option<IpAddr>,
        account: Option<&str>,
    ) -> Result<(), ApiError> {
        let limits = Self::limits(tenantry).await?;
        self.check(Throttle::PerAddress, limits.per_address, &address_key(address)).await?;
        if let Some(account) = account {
            self.check(Throttle::PerAccount, limits.per_account, &account.to_lowercase()).await?;
        }
        Ok(())
    }

    /// Counts one request naming `account` only (the per-address bucket was
    /// counted by [`per_address`] for the route).
    pub async fn account(&self, tenantry: &Tenantry, account: &str) -> Result<(), ApiError> {
        let limits = Self::limits(tenantry).await?;
        self.check(Throttle::PerAccount, limits.per_account, &account.to_lowercase()).await
    }

    /// Counts one attempt of the account `who` at another tenant.
    pub async fn cross_tenant(&self, tenantry: &Tenantry, who: &str) -> Result<(), ApiError> {
        let limits = Self::limits(tenantry).await?;
        self.check(Throttle::CrossTenant, limits.cross_tenant, who).await
    }

    async fn limits(tenantry: &Tenantry) -> Result<AnonymousLimits, ApiError> {
        Ok(tenantry.platform_settings().await?.anonymous_limits)
    }

    /// Counts one request of `key` against `throttle`'s bucket made for `bucket`.
    pub async fn check(&self, throttle: Throttle, bucket: Bucket, key: &str) -> Result<(), ApiError> {
        let rate = Rate::with_burst(bucket.per_minute, bucket.burst);
        let decision = self.limiter.check(&format!("{}:{key}", throttle.as_str()), rate).await?;
        if decision.allowed {
            return Ok(());
        }
        metrics::counter!("tenantry_throttled_total", "throttle" => throttle.as_str()).increment(1);
        Err(Refused { throttle, retry_after: decision.retry_after_secs().unwrap_or(1) }.into())
    }
}

/// The per-address throttle of an anonymous route (a middleware): counted
/// before the body is read; over the limit, 429 (a page for the web's routes).
pub async fn per_address(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let (mut parts, body) = request.into_parts();
    let crate::client::Client(client) =
        match <crate::client::Client as axum::extract::FromRequestParts<AppState>>::from_request_parts(
            &mut parts, &state,
        )
        .await
        {
            Ok(c) => c,
            Err(never) => match never {},
        };
    // Inside the nested `/v1` router the URI has lost its prefix: the original names the API.
    let path = parts.extensions.get::<axum::extract::OriginalUri>().map_or(parts.uri.path(), |o| o.0.path());
    let web = !path.starts_with("/v1/");
    match state.throttles.anonymous(&state.tenantry, client.address, None).await {
        Ok(()) => next.run(Request::from_parts(parts, body)).await,
        Err(e) if web => crate::web::too_many(e),
        Err(e) => e.into_response(),
    }
}

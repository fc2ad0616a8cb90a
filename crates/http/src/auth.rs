//! Authentication: HS256 access and refresh tokens (jsonwebtoken), and the
//! extractors that turn a request into a [`Principal`], a [`TenantScope`] or a
//! [`PlatformScope`].
//!
//! A token carries who (user or superuser), their tenant, their token version
//! and the session it belongs to (a refresh token also the session's refresh
//! generation). It proves only identity: every request is authorised again by
//! [`Tenantry::authorize`], which refuses a token whose user was deactivated,
//! or whose role or password changed since it was issued (the version), or
//! whose session has ended or idled out, and answers 404 when the token's
//! tenant is not the one in the path (wall 3).
//! Time comes from the service's clock, so that tests with a fake clock see
//! tokens expire when it says.

use crate::problem::ApiError;
use crate::ratelimit::RateInfo;
use crate::state::AppState;
use axum::extract::Request;
use axum::extract::{FromRequestParts, Path};
use axum::http::HeaderValue;
use axum::http::header::{AUTHORIZATION, RETRY_AFTER};
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::Response;
use chrono::Duration;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tenantry_domain::{PlatformUserId, SessionId, TenantId, UserId};
use tenantry_ports::{Clock, PlatformScope, Principal, TenantScope, Tenantry};

/// How long an access token is valid.
pub const ACCESS_TTL: Duration = Duration::minutes(15);
/// How long a refresh token is valid.
pub const REFRESH_TTL: Duration = Duration::days(14);
/// How long the login's second step may wait.
pub const MFA_TTL: Duration = Duration::minutes(5);

/// The signing key (at least 32 bytes), never printed.
#[derive(Clone)]
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
}

impl std::fmt::Debug for TokenKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenKeys([redacted])")
    }
}

/// Why a signing secret was refused.
#[derive(Debug, thiserror::Error)]
#[error("the token signing secret must be hex or base64 decoding to at least 32 random bytes")]
pub struct WeakSecret;

impl TokenKeys {
    /// Keys from a secret written as hex or base64 (standard or URL-safe,
    /// padded or not) that decodes to at least 32 bytes: a passphrase of 32
    /// characters carries far fewer than 256 bits, random bytes do.
    pub fn from_secret(secret: &SecretString) -> Result<Self, WeakSecret> {
        let bytes = decode_secret(secret.expose_secret().trim()).ok_or(WeakSecret)?;
        if bytes.len() < 32 {
            return Err(WeakSecret);
        }
        Ok(Self { encoding: EncodingKey::from_secret(&bytes), decoding: DecodingKey::from_secret(&bytes) })
    }

    /// Keys from 32 bytes of the OS random source (tokens do not survive a restart).
    pub fn random() -> Result<Self, getrandom::Error> {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes)?;
        let secret = SecretString::from(hex::encode(bytes));
        Self::from_secret(&secret).map_err(|_| getrandom::Error::UNSUPPORTED)
    }
}

/// The bytes of a secret written as hex, else as base64 (either alphabet, padded or not).
fn decode_secret(text: &str) -> Option<Vec<u8>> {
    use base64::Engine;
    use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
    if let Ok(bytes) = hex::decode(text) {
        return Some(bytes);
    }
    [STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD].iter().find_map(|engine| engine.decode(text).ok())
}

/// What kind of token.
#[derive(Serialize, Deserialize, Clone, Copy, PartialEq, Eq, Debug)]
#[serde(rename_all = "snake_case")]
pub enum TokenUse {
    /// Sent with every request.
    Access,
    /// Exchanged for a new pair at `/v1/auth/refresh`.
    Refresh,
    /// The login's first step passed; exchanged, with a second factor, at `/v1/auth/mfa`.
    Mfa,
    /// A browser's session cookie (the web pages).
    Web,
}

/// The claims.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct Claims {
    /// The user or superuser id.
    pub sub: uuid::Uuid,
    /// The tenant (absent for the superuser).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tid: Option<uuid::Uuid>,
    /// The token version of the account when issued.
    pub ver: u32,
    /// Access or refresh.
    #[serde(rename = "use")]
    pub token_use: TokenUse,
    /// An impersonation: the superuser acting as `sub`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub imp: Option<uuid::Uuid>,
    /// The impersonating superuser's token version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iver: Option<u32>,
    /// The session the token belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<uuid::Uuid>,
    /// A refresh token's generation (a refresh answers the next one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generation: Option<u32>,
    /// Issued at (seconds).
    pub iat: i64,
    /// Expires at (seconds).
    pub exp: i64,
}

/// The pair handed out at login and refresh.
#[derive(Serialize, Debug, Clone, utoipa::ToSchema)]
pub struct TokenPair {
    /// For `Authorization: Bearer`.
    pub access_token: String,
    /// For `/v1/auth/refresh`.
    pub refresh_token: String,
    /// Always `Bearer`.
    #[schema(schema_with = token_type_schema)]
    pub token_type: &'static str,
    /// Seconds the access token is valid.
    pub expires_in: i64,
}

/// The login's answer when the password was right and the user has two-factor
/// authentication: finish at `/v1/auth/mfa` with `mfa_token` and a code.
#[derive(Serialize, Debug, Clone, utoipa::ToSchema)]
pub struct MfaChallenge {
    /// Always `true`.
    pub mfa_required: bool,
    /// For `/v1/auth/mfa` only (no access anywhere else); valid for five minutes.
    pub mfa_token: String,
    /// Seconds `mfa_token` is valid.
    pub expires_in: i64,
}

/// What a login answers: tokens, or the second step's challenge.
#[derive(Serialize, Debug, Clone, utoipa::ToSchema)]
#[serde(untagged)]
pub enum LoginAnswer {
    /// Logged in.
    Tokens(TokenPair),
    /// A second factor is needed.
    Mfa(MfaChallenge),
}

/// The answer to an impersonation: one access token, no refresh token.
#[derive(Serialize, Debug, Clone, utoipa::ToSchema)]
pub struct ImpersonationToken {
    /// For `Authorization: Bearer`: acts as the user, without billing, security and data rights.
    pub access_token: String,
    /// Always `Bearer`.
    #[schema(schema_with = token_type_schema)]
    pub token_type: &'static str,
    /// Seconds until it ends.
    pub expires_in: i64,
    /// When it ends.
    pub expires_at: chrono::DateTime<chrono::Utc>,
    /// The user acted as.
    pub user: tenantry_ports::services::views::UserView,
}

/// The schema of [`TokenPair::token_type`]: the one value [`pair`] writes.
pub(crate) fn token_type_schema() -> utoipa::openapi::Object {
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    ObjectBuilder::new().schema_type(Type::String).enum_values(Some(["Bearer"])).build()
}

impl Claims {
    fn principal(&self) -> Result<Principal, ApiError> {
        let bad = || ApiError::unauthenticated("the token names no valid account");
        let session = self.sid.map(|s| SessionId::parse(&s.to_string()).map_err(|_| bad())).transpose()?;
        match (self.tid, self.imp, self.iver) {
            (Some(tid), Some(imp), Some(iver)) => Ok(Principal::Impersonation {
                tenant_id: TenantId::parse(&tid.to_string()).map_err(|_| bad())?,
                user_id: UserId::parse(&self.sub.to_string()).map_err(|_| bad())?,
                user_version: self.ver,
                superuser: PlatformUserId::parse(&imp.to_string()).map_err(|_| bad())?,
                superuser_version: iver,
                session,
            }),
            (_, Some(_), _) | (_, _, Some(_)) => Err(bad()),
            (Some(tid), None, None) => Ok(Principal::User {
                tenant_id: TenantId::parse(&tid.to_string()).map_err(|_| bad())?,
                user_id: UserId::parse(&self.sub.to_string()).map_err(|_| bad())?,
                token_version: self.ver,
                session,
            }),
            (None, None, None) => Ok(Principal::Superuser {
                id: PlatformUserId::parse(&self.sub.to_string()).map_err(|_| bad())?,
                token_version: self.ver,
                session,
            }),
        }
    }
}

/// Signs a token for `principal` (a refresh token of generation 0; see [`issue_refresh`]).
pub fn issue(
    keys: &TokenKeys,
    clock: &dyn Clock,
    principal: &Principal,
    token_use: TokenUse,
) -> Result<String, ApiError> {
    issue_with(keys, clock, principal, token_use, 0)
}

/// Signs a refresh token of the session's refresh generation `generation`.
pub fn issue_refresh(
    keys: &TokenKeys,
    clock: &dyn Clock,
    principal: &Principal,
    generation: u32,
) -> Result<String, ApiError> {
    issue_with(keys, clock, principal, TokenUse::Refresh, generation)
}

fn issue_with(
    keys: &TokenKeys,
    clock: &dyn Clock,
    principal: &Principal,
    token_use: TokenUse,
    generation: u32,
) -> Result<String, ApiError> {
    let now = clock.now();
    let ttl = match token_use {
        TokenUse::Access => ACCESS_TTL,
        TokenUse::Refresh | TokenUse::Web => REFRESH_TTL,
        TokenUse::Mfa => MFA_TTL,
    };
    let (sub, tid, ver) = match *principal {
        Principal::User { tenant_id, user_id, token_version, .. } => {
            (user_id.as_uuid(), Some(tenant_id.as_uuid()), token_version)
        }
        Principal::Superuser { id, token_version, .. } => (id.as_uuid(), None, token_version),
        Principal::ApiKey { .. } => {
            return Err(ApiError::unauthenticated("an API key is sent as it is; it is not exchanged for tokens"));
        }
        Principal::Impersonation { .. } => {
            return Err(ApiError::unauthenticated("an impersonation is not renewed; the superuser starts another"));
        }
    };
    let claims = Claims {
        sub,
        tid,
        ver,
        token_use,
        imp: None,
        iver: None,
        sid: principal.session().map(|s| s.as_uuid()),
        generation: (token_use == TokenUse::Refresh).then_some(generation),
        iat: now.timestamp(),
        exp: (now + ttl).timestamp(),
    };
    sign(keys, &claims)
}

/// Signs the access token of an impersonation, ending at `until` (no refresh token).
pub fn issue_impersonation(
    keys: &TokenKeys,
    clock: &dyn Clock,
    principal: &Principal,
    until: chrono::DateTime<chrono::Utc>,
) -> Result<String, ApiError> {
    let Principal::Impersonation { tenant_id, user_id, user_version, superuser, superuser_version, session } =
        *principal
    else {
        return Err(ApiError::unauthenticated("not an impersonation"));
    };
    let claims = Claims {
        sub: user_id.as_uuid(),
        tid: Some(tenant_id.as_uuid()),
        ver: user_version,
        token_use: TokenUse::Access,
        imp: Some(superuser.as_uuid()),
        iver: Some(superuser_version),
        sid: session.map(|s| s.as_uuid()),
        generation: None,
        iat: clock.now().timestamp(),
        exp: until.timestamp(),
    };
    sign(keys, &claims)
}

fn sign(keys: &TokenKeys, claims: &Claims) -> Result<String, ApiError> {
    jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &keys.encoding).map_err(|e| {
        tracing::error!(error = %e, "token signing failed");
        ApiError::new(axum::http::StatusCode::INTERNAL_SERVER_ERROR, "internal_error", "could not sign a token")
    })
}

/// An access and a refresh token for `principal`'s session, the refresh token
/// of its refresh generation `generation` (0 at login).
pub fn pair(
    keys: &TokenKeys,
    clock: &dyn Clock,
    principal: &Principal,
    generation: u32,
) -> Result<TokenPair, ApiError> {
    Ok(TokenPair {
        access_token: issue(keys, clock, principal, TokenUse::Access)?,
        refresh_token: issue_refresh(keys, clock, principal, generation)?,
        token_type: "Bearer",
        expires_in: ACCESS_TTL.num_seconds(),
    })
}

/// When a token (already verified) expires; `None` if it cannot be read.
pub fn expiry(keys: &TokenKeys, token: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    let mut validation = Validation::new(Algorithm::HS256);
    validation.validate_exp = false;
    validation.required_spec_claims.clear();
    let data = jsonwebtoken::decode::<Claims>(token, &keys.decoding, &validation).ok()?;
    chrono::DateTime::from_timestamp(data.claims.exp, 0)
}

/// Verifies a refresh token: the principal and the token's refresh generation.
pub fn verify_refresh(keys: &TokenKeys, clock: &dyn Clock, token: &str) -> Result<(Principal, u32), ApiError> {
    let claims = verified_claims(keys, clock, token, TokenUse::Refresh)?;
    let generation =
        claims.generation.ok_or_else(|| ApiError::unauthenticated("the refresh token names no generation"))?;
    Ok((claims.principal()?, generation))
}

/// Verifies a token's signature, use and expiry (against the service's clock).
pub fn verify(keys: &TokenKeys, clock: &dyn Clock, token: &str, expected: TokenUse) -> Result<Principal, ApiError> {
    verified_claims(keys, clock, token, expected)?.principal()
}

fn verified_claims(keys: &TokenKeys, clock: &dyn Clock, token: &str, expected: TokenUse) -> Result<Claims, ApiError> {
    let mut validation = Validation::new(Algorithm::HS256);
    // Expiry is checked below against the service's clock, not the OS clock.
    validation.validate_exp = false;
    validation.required_spec_claims.clear();
    let data = jsonwebtoken::decode::<Claims>(token, &keys.decoding, &validation)
        .map_err(|_| ApiError::unauthenticated("the token is malformed or its signature is wrong"))?;
    let claims = data.claims;
    if claims.token_use != expected {
        return Err(ApiError::unauthenticated("this token cannot be used here"));
    }
    if claims.exp <= clock.now().timestamp() {
        return Err(ApiError::unauthenticated("the token has expired"));
    }
    Ok(claims)
}

fn bearer(parts: &Parts) -> Result<&str, ApiError> {
    let value = parts
        .headers
        .get(AUTHORIZATION)
        .ok_or_else(|| ApiError::unauthenticated("send Authorization: Bearer <access token>"))?;
    let text = value.to_str().map_err(|_| ApiError::unauthenticated("the Authorization header is not text"))?;
    let (scheme, token) =
        text.split_once(' ').ok_or_else(|| ApiError::unauthenticated("send Authorization: Bearer <access token>"))?;
    if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
        return Err(ApiError::unauthenticated("send Authorization: Bearer <access token>"));
    }
    Ok(token.trim())
}

/// The caller, from a valid access token or a well-formed API key (not yet
/// authorised for anything).
#[derive(Debug, Clone)]
pub struct Caller(pub Principal);

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let token = bearer(parts)?;
        if tenantry_domain::token::ApiKeyToken::looks_like(token) {
            // Checked against the stored hash when the request is authorised.
            let text = SecretString::from(token.to_owned());
            return Tenantry::api_key_principal(&text)
                .map(Caller)
                .ok_or_else(|| ApiError::unauthenticated("the API key is malformed"));
        }
        verify(&state.keys, state.clock.as_ref(), token, TokenUse::Access).map(Caller)
    }
}

/// The caller authorised in the tenant of the path's `{tid}`: 404 when it is
/// another tenant's (or none), as for a missing tenant.
#[derive(Debug, Clone)]
pub struct InTenant(pub TenantScope);

impl FromRequestParts<AppState> for InTenant {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let Caller(principal) = Caller::from_request_parts(parts, state).await?;
        let Path(params) =
            Path::<HashMap<String, String>>::from_request_parts(parts, state).await.map_err(ApiError::path)?;
        let tenant = params.get("tid").and_then(|t| TenantId::parse(t).ok()).ok_or_else(ApiError::not_found)?;
        // Reaching for another tenant is throttled before anything is read or audited.
        if principal.tenant_id().is_some_and(|own| own != tenant) {
            state.throttles.cross_tenant(&state.tenantry, &crate::throttle::principal_key(&principal)).await?;
        }
        // A read is answered in the unit of work it was authorised in; a write
        // opens its own (with the tenant's lock) and is authorised as before.
        let scope = if parts.method == axum::http::Method::GET || parts.method == axum::http::Method::HEAD {
            state.tenantry.authorize_to_read(&principal, tenant).await?
        } else {
            state.tenantry.authorize(&principal, tenant).await?
        };
        if let Some(info) = state.limits.check(&state.tenantry, &scope).await? {
            if let Some(slot) = parts.extensions.get::<RateSlot>() {
                slot.set(info);
            }
            if let Some(retry) = info.retry_after_secs {
                return Err(ApiError::new(
                    axum::http::StatusCode::TOO_MANY_REQUESTS,
                    "rate_limited",
                    format!("the tenant's limit of {} requests per minute is used up; retry later", info.limit),
                )
                .retry_after(retry));
            }
        }
        meter_api_call(state, &scope).await?;
        Ok(InTenant(scope))
    }
}

/// Counts one API call of an authorised request (a user's token, an API key,
/// an impersonation; not the superuser's own requests) and refuses it with 429
/// `quota_exceeded` when the month's allowance is used up. A support session
/// is counted but never refused.
pub(crate) async fn meter_api_call(state: &AppState, scope: &TenantScope) -> Result<(), ApiError> {
    use tenantry_ports::Actor;
    if !state.metering {
        return Ok(());
    }
    let enforce = match scope.actor() {
        Actor::User { .. } | Actor::ApiKey { .. } => true,
        Actor::Impersonation { .. } => false,
        Actor::Superuser { .. } | Actor::System(_) => return Ok(()),
    };
    let quota = state.limits.quota(&state.tenantry, scope).await?;
    state.meter.api_call(&state.tenantry, scope, &quota, enforce).await.map_err(ApiError::from)
}

/// Where [`InTenant`] leaves what the rate limiter said, for
/// [`rate_limit_headers`] to put on the response (an extractor cannot).
#[derive(Clone, Default, Debug)]
pub struct RateSlot(Arc<Mutex<Option<RateInfo>>>);

impl RateSlot {
    fn set(&self, info: RateInfo) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = Some(info);
    }
    fn get(&self) -> Option<RateInfo> {
        *self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Adds `X-RateLimit-Limit`, `-Remaining`, `-Reset` to every tenant response,
/// and `Retry-After` to a 429.
pub async fn rate_limit_headers(mut request: Request, next: Next) -> Response {
    let slot = RateSlot::default();
    request.extensions_mut().insert(slot.clone());
    let mut response = next.run(request).await;
    if let Some(info) = slot.get() {
        let headers = response.headers_mut();
        headers.insert("x-ratelimit-limit", HeaderValue::from(info.limit));
        headers.insert("x-ratelimit-remaining", HeaderValue::from(info.remaining));
        headers.insert("x-ratelimit-reset", HeaderValue::from(info.reset_secs));
        if let Some(wait) = info.retry_after_secs {
            headers.insert(RETRY_AFTER, HeaderValue::from(wait));
        }
    }
    response
}

/// The platform superuser (a tenant user gets 404: the platform paths do not exist for them).
#[derive(Debug, Clone)]
pub struct Platform(pub PlatformScope);

impl FromRequestParts<AppState> for Platform {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let Caller(principal) = Caller::from_request_parts(parts, state).await?;
        Ok(Platform(state.tenantry.authorize_platform(&principal).await?))
    }
}

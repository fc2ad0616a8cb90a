//! The v1 handlers: each parses the request, calls one use case, and answers
//! its view as JSON (or its typed error as problem+json). No rule lives here.

use crate::auth::{self, Caller, InTenant, Platform, TokenPair, TokenUse};
use crate::client::Client;
use crate::problem::ApiError;
use crate::problem::ProblemBody;
use crate::state::AppState;
use axum::extract::{FromRequest, Path, Query, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use secrecy::SecretString;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use tenantry_domain::subscription::{PlanChoice, PlanTiming};
use tenantry_domain::tenant::NotificationPrefs;
use tenantry_domain::{
    AdCampaign, AdFormat, ApiKeyId, AuditEventId, CampaignId, InvitationId, PlatformUserId, RoleId, SubscriptionStatus,
    TenantId, UserId,
};
use tenantry_domain::{ExportId, Interval};
use tenantry_ports::directory::{TenantListQuery, TenantSummary};
use tenantry_ports::payment::{HostedSession, Invoice};
use tenantry_ports::services::admin::{
    AdminNewTenant, AdminTenantPatch, CampaignInput, CampaignStats, PlatformStats, TenantDetail,
};
use tenantry_ports::services::ads::AdDecisionView;
use tenantry_ports::services::api_keys::{ApiKeyIssued, ApiKeyView};
use tenantry_ports::services::audit::{AuditFilter, AuditPage};
use tenantry_ports::services::auth::{LoginInput, SignupInput};
use tenantry_ports::services::billing::{PlanChanged, PreviewInput, PreviewView, SeatsChanged};
use tenantry_ports::services::exports::{ExportDocument, ExportView};
use tenantry_ports::services::invitations::{AcceptInput, InvitationIssued, InviteInput};
use tenantry_ports::services::roles::{RoleInput, RolePatch};
use tenantry_ports::services::tenant::SettingsInput;
use tenantry_ports::services::usage::UsageView;
use tenantry_ports::services::users::UserPatch;
use tenantry_ports::services::views::{InvitationView, MeView, RoleView, SubscriptionView, TenantView, UserView};
use tenantry_ports::store::AdCountKind;
use utoipa::{IntoParams, ToSchema};

/// A JSON body whose refusal is a problem+json 422 naming the field.
pub struct Body<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Body<T> {
    type Rejection = ApiError;
    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let axum::Json(value) = axum::Json::<T>::from_request(req, state).await.map_err(ApiError::json)?;
        Ok(Body(value))
    }
}

/// Path parameters whose refusal (a malformed id) is a 404, as for a missing resource.
pub struct Ids<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> axum::extract::FromRequestParts<S> for Ids<T> {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut axum::http::request::Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Path(value) = Path::<T>::from_request_parts(parts, state).await.map_err(ApiError::path)?;
        Ok(Ids(value))
    }
}

/// A query string whose refusal is a problem+json 422.
pub struct Params<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> axum::extract::FromRequestParts<S> for Params<T> {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut axum::http::request::Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Query(value) = Query::<T>::from_request_parts(parts, state).await.map_err(ApiError::query)?;
        Ok(Params(value))
    }
}

type Answer = Result<Response, ApiError>;

fn ok(value: impl serde::Serialize) -> Answer {
    Ok(axum::Json(value).into_response())
}

fn created(value: impl serde::Serialize) -> Answer {
    Ok((StatusCode::CREATED, axum::Json(value)).into_response())
}

fn no_content() -> Answer {
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Where hosted billing pages send the browser back to.
const RETURN_URL: &str = "/v1/billing/return";

// ---------------------------------------------------------------- answers built here

/// The answer of the health probes.
#[derive(Serialize, ToSchema)]
pub(crate) struct Health {
    /// `ok` at `/healthz` (the process is up), `ready` at `/readyz` (the store answers).
    status: HealthStatus,
}

/// What a health probe found.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum HealthStatus {
    /// The process is up.
    Ok,
    /// The store answers.
    Ready,
}

/// Where a hosted billing page returned to.
#[derive(Serialize, ToSchema)]
pub(crate) struct BillingReturn {
    /// Always `returned`.
    status: Returned,
    /// What the client does next.
    #[schema(value_type = String)]
    next: &'static str,
}

/// The status of [`BillingReturn`].
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Returned {
    /// Back from the hosted page.
    Returned,
}

/// A signup: the tenant in its trial, its owner, and the owner's tokens.
#[derive(Serialize, ToSchema)]
pub(crate) struct SignedUpAnswer {
    /// The new tenant.
    tenant: TenantView,
    /// Its owner.
    user: UserView,
    /// The owner's tokens.
    #[serde(flatten)]
    tokens: TokenPair,
}

/// An accepted invitation: the new user and their tokens.
#[derive(Serialize, ToSchema)]
pub(crate) struct AcceptedAnswer {
    /// The new user.
    user: UserView,
    /// Their tokens.
    #[serde(flatten)]
    tokens: TokenPair,
}

/// A tenant the superuser created, with its admin (the owner).
#[derive(Serialize, ToSchema)]
pub(crate) struct CreatedTenant {
    /// The new tenant.
    tenant: TenantView,
    /// Its admin.
    user: UserView,
}

/// `GET /v1/me`: what the caller is, by kind of caller.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub(crate) enum MeAnswer {
    /// A user of a tenant.
    User(Box<MeView>),
    /// The superuser.
    Superuser {
        /// Who.
        superuser: SuperuserMe,
    },
    /// A tenant's API key.
    ApiKey {
        /// Which.
        api_key: ApiKeyMe,
    },
}

/// The superuser calling `/v1/me`.
#[derive(Serialize, ToSchema)]
pub(crate) struct SuperuserMe {
    /// Their id.
    id: PlatformUserId,
}

/// An API key calling `/v1/me`.
#[derive(Serialize, ToSchema)]
pub(crate) struct ApiKeyMe {
    /// The key.
    id: ApiKeyId,
    /// Its tenant.
    tenant_id: TenantId,
    /// Its role.
    role: String,
}

// ---------------------------------------------------------------- health

#[utoipa::path(get, path = "/healthz", tag = "Health", description = "The process is up.",
    responses((status = 200, description = "Done", body = Health), (status = "4XX", description = "A refusal (problem+json)", body = ProblemBody, content_type = "application/problem+json")),
)]
pub(crate) async fn healthz() -> Answer {
    ok(Health { status: HealthStatus::Ok })
}

#[utoipa::path(get, path = "/readyz", tag = "Health", description = "The store answers.",
    responses((status = 200, description = "Done", body = Health), (status = "4XX", description = "A refusal (problem+json)", body = ProblemBody, content_type = "application/problem+json")),
)]
pub(crate) async fn readyz(State(state): State<AppState>) -> Answer {
    state.tenantry.ready().await?;
    ok(Health { status: HealthStatus::Ready })
}

/// Where hosted billing pages send the browser back to: ask the API again.
#[utoipa::path(get, path = "/v1/billing/return", tag = "Billing", description = "Where hosted billing pages return to.",
    responses((status = 200, description = "Done", body = BillingReturn), (status = "4XX", description = "A refusal (problem+json)", body = ProblemBody, content_type = "application/problem+json")),
)]
pub(crate) async fn billing_return() -> Answer {
    ok(BillingReturn { status: Returned::Returned, next: "read the subscription, or repeat the plan request" })
}

// ---------------------------------------------------------------- signup and login

#[derive(Deserialize, ToSchema)]
pub(crate) struct SignupBody {
    company_name: String,
    slug: String,
    email: String,
    #[schema(value_type = String, format = Password)]
    password: SecretString,
    name: String,
}

#[utoipa::path(post, path = "/v1/signup", tag = "Auth", description = "A new tenant in its trial, its owner, and tokens.",
    request_body = SignupBody,
    responses((status = 201, description = "Done", body = SignedUpAnswer), (status = "4XX", description = "A refusal (problem+json)", body = ProblemBody, content_type = "application/problem+json")),
)]
pub(crate) async fn signup(
    State(state): State<AppState>,
    Client(client): Client,
    Body(body): Body<SignupBody>,
) -> Answer {
    state.throttles.account(&state.tenantry, &format!("signup:{}", body.email.trim())).await?;
    let input = SignupInput {
        company_name: body.company_name,
        slug: body.slug,
        email: body.email,
        password: body.password,
        name: body.name,
    };
    let done = state.tenantry.signup_from(input, &client).await?;
    let tokens = auth::pair(&state.keys, state.clock.as_ref(), &done.principal, 0)?;
    created(SignedUpAnswer { tenant: done.tenant, user: done.user, tokens })
}

/// `POST /v1/auth/verify-email`'s body.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct VerifyEmailBody {
    /// The mailed code.
    #[schema(value_type = String, format = Password)]
    token: SecretString,
}

#[utoipa::path(post, path = "/v1/auth/verify-email", tag = "Auth", description = "Proves an address with the mailed code (once, within seven days). `token_used` and `token_expired` when it no longer works.",
    request_body = VerifyEmailBody,
    responses((status = 204, description = "Done"), (status = "4XX", description = "A refusal (problem+json)", body = ProblemBody, content_type = "application/problem+json")),
)]
pub(crate) async fn verify_email(State(state): State<AppState>, Body(body): Body<VerifyEmailBody>) -> Answer {
    state.throttles.account(&state.tenantry, &crate::throttle::link_key(&body.token)).await?;
    state.tenantry.verify_email(&body.token).await?;
    no_content()
}

#[utoipa::path(post, path = "/v1/me/email-verification", tag = "Auth", description = "Mails the caller a new verification code (`already_verified` when the address is proven).",
    responses((status = 204, description = "Queued in the outbox with the change (sent by the job runner, retried; never lost)"), (status = "4XX", description = "A refusal (problem+json)", body = ProblemBody, content_type = "application/problem+json")),
    security(("bearer" = [])),
)]
pub(crate) async fn resend_verification(State(state): State<AppState>, Caller(principal): Caller) -> Answer {
    let tenantry_ports::Principal::User { tenant_id, .. } = principal else { return Err(ApiError::not_found()) };
    let scope = state.tenantry.authorize(&principal, tenant_id).await?;
    state.tenantry.resend_verification(&scope).await?;
    no_content()
}

/// `POST /v1/auth/password-reset`'s body.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ResetRequestBody {
    /// The tenant's slug.
    tenant: String,
    /// The account's email.
    email: String,
}

#[utoipa::path(post, path = "/v1/auth/password-reset", tag = "Auth", description = "Mails a reset link (valid once, for an hour) when the address is an active user of the tenant. The answer is the same whether or not it is.",
    request_body = ResetRequestBody,
    responses((status = 204, description = "Done (a link is mailed if the account exists)"), (status = "4XX", description = "A refusal (problem+json)", body = ProblemBody, content_type = "application/problem+json")),
)]
pub(crate) async fn password_reset(State(state): State<AppState>, Body(body): Body<ResetRequestBody>) -> Answer {
    let account = format!("reset:{}:{}", body.tenant.trim(), body.email.trim());
    state.throttles.account(&state.tenantry, &account).await?;
    let input = tenantry_ports::services::account::ResetRequest { tenant: body.tenant, email: body.email };
    state.tenantry.request_password_reset(input).await?;
    no_content()
}

/// `POST /v1/auth/password-reset/confirm`'s body.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ResetConfirmBody {
    /// The mailed code.
    #[schema(value_type = String, format = Password)]
    token: SecretString,
    /// The new password.
    #[schema(value_type = String, format = Password)]
    password: SecretString,
}

#[utoipa::path(post, path = "/v1/auth/password-reset/confirm", tag = "Auth", description = "Sets a new password with a mailed code: once, within the hour. Every session of the user ends; a login lock is lifted. `token_used` and `token_expired` when the code no longer works.",
    request_body = ResetConfirmBody,
    responses((status = 204, description = "Done"), (status = "4XX", description = "A refusal (problem+json)", body = ProblemBody, content_type = "application/problem+json")),
)]
pub(crate) async fn password_reset_confirm(
    State(state): State<AppState>,
    Body(body): Body<ResetConfirmBody>,
) -> Answer {
    state.throttles.account(&state.tenantry, &crate::throttle::link_key(&body.token)).await?;
    let input = tenantry_ports::services::account::ResetConfirmation { token: body.token, password: body.password };
    state.tenantry.confirm_password_reset(input).await?;
    no_content()
}

/// `POST /v1/admin/tenants/{tid}/impersonate`'s body.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ImpersonateBody {
    /// The user to act as.
    user_id: UserId,
    /// For how long (1 to 60 minutes; 30 by default).
    minutes: Option<u32>,
}

#[utoipa::path(post, path = "/v1/admin/tenants/{tid}/impersonate", tag = "Admin", description = "The superuser acts as one user of the tenant for support: explicit, time-boxed (30 minutes by default, at most 60), audited in the tenant's log and the platform log, and without billing, security and data rights. One access token, no refresh.",
    request_body = ImpersonateBody,
    params(("tid" = String, Path, format = Uuid, description = "The tenant")),
    responses((status = 201, description = "Done", body = crate::auth::ImpersonationToken), (status = "4XX", description = "A refusal (problem+json)", body = ProblemBody, content_type = "application/problem+json")),
    security(("bearer" = [])),
)]
pub(crate) async fn impersonate(
    State(state): State<AppState>,
    InTenant(scope): InTenant,
    Body(body): Body<ImpersonateBody>,
) -> Answer {
    let started = state.tenantry.impersonate(&scope, body.user_id, body.minutes).await?;
    let now = state.clock.now();
    let access_token = auth::issue_impersonation(&state.keys, state.clock.as_ref(), &started.principal, started.until)?;
    created(auth::ImpersonationToken {
        access_token,
        token_type: "Bearer",
        expires_in: (started.until - now).num_seconds(),
        expires_at: started.until,
        user: started.user,
    })
}

#[utoipa::path(delete, path = "/v1/admin/tenants/{tid}/users/{uid}/mfa", tag = "Admin", description = "The superuser removes a user's two-factor authentication (a lost device and lost recovery codes; check the person's identity out of band first). The user's sessions end; where the platform requires 2FA they enrol again at the next login. Audited in the tenant's log and the platform log.",
    params(("tid" = String, Path, format = Uuid, description = "The tenant"), ("uid" = String, Path, format = Uuid, description = "A user of the tenant")),
    responses((status = 204, description = "Removed"), (status = "4XX", description = "A refusal (problem+json)", body = ProblemBody, content_type = "application/problem+json")),
    security(("bearer" = [])),
)]
pub(crate) async fn admin_reset_mfa(
    State(state): State<AppState>,
    InTenant(scope): InTenant,
    Ids((_, uid)): Ids<(TenantId, UserId)>,
) -> Answer {
    state.tenantry.reset_user_mfa(&scope, uid).await?;
    no_content()
}

#[utoipa::path(post, path = "/v1/admin/tenants/{tid}/users/{uid}/password-reset", tag = "Admin", description = "The superuser mails a user a password reset link (support); audited in the tenant's log.",
    params(("tid" = String, Path, format = Uuid, description = "The tenant"), ("uid" = String, Path, format = Uuid, description = "A user of the tenant")),
    responses((status = 204, description = "Queued in the outbox with the change (sent by the job runner, retried; never lost)"), (status = "4XX", description = "A refusal (problem+json)", body = ProblemBody, content_type = "application/problem+json")),
    security(("bearer" = [])),
)]
pub(crate) async fn admin_password_reset(
    State(state): State<AppState>,
    InTenant(scope): InTenant,
    Ids((_, uid)): Ids<(TenantId, UserId)>,
) -> Answer {
    state.tenantry.admin_password_reset(&scope, uid).await?;
    no_content()
}

#[derive(Deserialize, ToSchema)]
pub(crate) struct LoginBody {
    tenant: Option<String>,
    email: String,
    #[schema(value_type = String, format = Password)]
    password: SecretString,
}

#[utoipa::path(post, path = "/v1/auth/login", tag = "Auth", description = "Tokens for a tenant user (tenant = slug) or the superuser (no tenant) — or, when the user has two-factor authentication, `{mfa_required: true, mfa_token}` to finish at `/v1/auth/mfa`.",
    request_body = LoginBody,
    responses((status = 200, description = "Done", body = auth::LoginAnswer), (status = "4XX", description = "A refusal (problem+json)", body = ProblemBody, content_type = "application/problem+json")),
)]
pub(crate) async fn login(
    State(state): State<AppState>,
    Client(client): Client,
    Body(body): Body<LoginBody>,
) -> Answer {
    let account = format!("login:{}:{}", body.tenant.as_deref().unwrap_or_default(), body.email.trim());
    state.throttles.account(&state.tenantry, &account).await?;
    let input = LoginInput { tenant: body.tenant, email: body.email, password: body.password };
    let done = state.tenantry.login_from(input, &client).await?;
    if done.mfa_required {
        return ok(auth::LoginAnswer::Mfa(auth::MfaChallenge {
            mfa_required: true,
            mfa_token: auth::issue(&state.keys, state.clock.as_ref(), &done.principal, TokenUse::Mfa)?,
            expires_in: auth::MFA_TTL.num_seconds(),
        }));
    }
    ok(auth::LoginAnswer::Tokens(auth::pair(&state.keys, state.clock.as_ref(), &done.principal, 0)?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct MfaLoginBody {
    /// The login's `mfa_token`.
    #[schema(value_type = String, format = Password)]
    mfa_token: SecretString,
    /// A 6-digit code from the authenticator app, or a recovery code.
    #[schema(value_type = String, format = Password)]
    code: SecretString,
}

#[utoipa::path(post, path = "/v1/auth/mfa", tag = "Auth", description = "The login's second step: the `mfa_token` of the first and a 6-digit code (or a recovery code, which then stops working). A wrong code counts as a failed login (401 `wrong_mfa_code`; five lock the account for 15 minutes).",
    request_body = MfaLoginBody,
    responses((status = 200, description = "Logged in", body = TokenPair), (status = "4XX", description = "A refusal (problem+json)", body = ProblemBody, content_type = "application/problem+json")),
)]
pub(crate) async fn mfa_login(
    State(state): State<AppState>,
    Client(client): Client,
    Body(body): Body<MfaLoginBody>,
) -> Answer {
    use secrecy::ExposeSecret;
    let pending = auth::verify(&state.keys, state.clock.as_ref(), body.mfa_token.expose_secret(), TokenUse::Mfa)?;
    state.throttles.account(&state.tenantry, &crate::throttle::principal_key(&pending)).await?;
    let done = state.tenantry.complete_mfa_login_from(&pending, body.code.expose_secret(), &client).await?;
    ok(auth::pair(&state.keys, state.clock.as_ref(), &done.principal, 0)?)
}

#[utoipa::path(get, path = "/v1/me/mfa", tag = "Auth", description = "The caller's two-factor authentication: enabled, pending, required by the platform, recovery codes left.",
    responses((status = 200, description = "Done", body = tenantry_ports::services::mfa::MfaStatus), (status = "4XX", description = "A refusal (problem+json)", body = ProblemBody, content_type = "application/problem+json")),
    security(("bearer" = [])),
)]
pub(crate) async fn mfa_status(State(state): State<AppState>, Caller(principal): Caller) -> Answer {
    ok(state.tenantry.mfa_status(&principal).await?)
}

/// The account's password, which starting an enrolment needs.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct MfaStartBody {
    /// The account's password (a wrong one counts toward the lockout: 422 `wrong_password`).
    #[schema(value_type = String, format = Password)]
    password: SecretString,
}

#[utoipa::path(post, path = "/v1/me/mfa", tag = "Auth", description = "Starts an enrolment with the account's password: a new TOTP secret and its `otpauth://` URL for the authenticator app (shown once). Confirm with a first code at `/v1/me/mfa/confirm`. A superuser without a second factor, where it is mandatory, can do nothing else until then.",
    request_body = MfaStartBody,
    responses((status = 201, description = "Started", body = tenantry_ports::services::mfa::MfaEnrolment), (status = "4XX", description = "A refusal (problem+json)", body = ProblemBody, content_type = "application/problem+json")),
    security(("bearer" = [])),
)]
pub(crate) async fn mfa_start(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Body(body): Body<MfaStartBody>,
) -> Answer {
    created(state.tenantry.start_mfa(&principal, &body.password).await?)
}

/// The password and a code, which turning two-factor authentication off needs.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct MfaDisableBody {
    /// The account's password.
    #[schema(value_type = String, format = Password)]
    password: SecretString,
    /// A 6-digit code from the authenticator app, or a recovery code.
    #[schema(value_type = String, format = Password)]
    code: SecretString,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct MfaCodeBody {
    /// A 6-digit code from the authenticator app (or, where accepted, a recovery code).
    #[schema(value_type = String, format = Password)]
    code: SecretString,
}

#[utoipa::path(post, path = "/v1/me/mfa/confirm", tag = "Auth", description = "Turns two-factor authentication on with the app's first code; answers ten single-use recovery codes (shown once).",
    request_body = MfaCodeBody,
    responses((status = 200, description = "Enabled", body = tenantry_ports::services::mfa::RecoveryCodes), (status = "4XX", description = "A refusal (problem+json)", body = ProblemBody, content_type = "application/problem+json")),
    security(("bearer" = [])),
)]
pub(crate) async fn mfa_confirm(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Body(body): Body<MfaCodeBody>,
) -> Answer {
    use secrecy::ExposeSecret;
    ok(state.tenantry.confirm_mfa(&principal, body.code.expose_secret()).await?)
}

#[utoipa::path(post, path = "/v1/me/mfa/recovery-codes", tag = "Auth", description = "Ten new recovery codes for a current code; the old ones stop working.",
    request_body = MfaCodeBody,
    responses((status = 200, description = "Renewed", body = tenantry_ports::services::mfa::RecoveryCodes), (status = "4XX", description = "A refusal (problem+json)", body = ProblemBody, content_type = "application/problem+json")),
    security(("bearer" = [])),
)]
pub(crate) async fn mfa_recovery_codes(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Body(body): Body<MfaCodeBody>,
) -> Answer {
    use secrecy::ExposeSecret;
    ok(state.tenantry.renew_recovery_codes(&principal, body.code.expose_secret()).await?)
}

#[utoipa::path(delete, path = "/v1/me/mfa", tag = "Auth", description = "Turns two-factor authentication off with the password and a current code or a recovery code (409 `mfa_required` when the platform requires it for the caller; a superuser's is removed only by the operator). Wrong ones count toward the lockout.",
    request_body = MfaDisableBody,
    responses((status = 204, description = "Off"), (status = "4XX", description = "A refusal (problem+json)", body = ProblemBody, content_type = "application/problem+json")),
    security(("bearer" = [])),
)]
pub(crate) async fn mfa_disable(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Body(body): Body<MfaDisableBody>,
) -> Answer {
    use secrecy::ExposeSecret;
    state.tenantry.disable_mfa(&principal, &body.password, body.code.expose_secret()).await?;
    no_content()
}

#[derive(Deserialize, ToSchema)]
pub(crate) struct RefreshBody {
    #[schema(value_type = String, format = Password)]
    refresh_token: SecretString,
}

/// A new pair for a valid refresh token whose account is still what it was
/// (same token version: not deactivated, role and password unchanged) and
/// whose session holds. The refresh token rotates: the answer's replaces it,
/// and using the old one again ends the session (every token of it).
#[utoipa::path(post, path = "/v1/auth/refresh", tag = "Auth", description = "A new token pair for a valid refresh token. Refresh tokens rotate: the old one is spent, and presenting a spent one again ends its whole session (401 `refresh_token_reused`) — a stolen copy stops working, and so does the one it was copied from.",
    request_body = RefreshBody,
    responses((status = 200, description = "Done", body = TokenPair), (status = "4XX", description = "A refusal (problem+json)", body = ProblemBody, content_type = "application/problem+json")),
)]
pub(crate) async fn refresh(State(state): State<AppState>, Body(body): Body<RefreshBody>) -> Answer {
    use secrecy::ExposeSecret;
    let (principal, generation) =
        auth::verify_refresh(&state.keys, state.clock.as_ref(), body.refresh_token.expose_secret())?;
    let next = state.tenantry.refresh(&principal, generation).await?;
    ok(auth::pair(&state.keys, state.clock.as_ref(), &principal, next)?)
}

#[utoipa::path(post, path = "/v1/auth/logout", tag = "Auth", description = "Ends the caller's session: every token of it stops working (their other sessions hold; `DELETE /v1/me/sessions` ends them all).",
    responses((status = 204, description = "Done"), (status = "4XX", description = "A refusal (problem+json)", body = ProblemBody, content_type = "application/problem+json")),
    security(("bearer" = [])),
)]
pub(crate) async fn logout(State(state): State<AppState>, Caller(principal): Caller) -> Answer {
    state.tenantry.logout(&principal).await?;
    no_content()
}

#[utoipa::path(get, path = "/v1/me/sessions", tag = "Auth", description = "The caller's sessions that hold (API clients, browsers, support sessions as them), newest first, the current one marked.",
    responses((status = 200, description = "Done", body = Vec<tenantry_ports::services::sessions::SessionView>), (status = "4XX", description = "A refusal (problem+json)", body = ProblemBody, content_type = "application/problem+json")),
    security(("bearer" = [])),
)]
pub(crate) async fn my_sessions(State(state): State<AppState>, Caller(principal): Caller) -> Answer {
    ok(state.tenantry.sessions(&principal).await?)
}

#[utoipa::path(delete, path = "/v1/me/sessions", tag = "Auth", description = "Sign out everywhere: every session of the caller's account ends, this one too (every token issued so far stops working).",
    responses((status = 204, description = "Done"), (status = "4XX", description = "A refusal (problem+json)", body = ProblemBody, content_type = "application/problem+json")),
    security(("bearer" = [])),
)]
pub(crate) async fn end_all_sessions(State(state): State<AppState>, Caller(principal): Caller) -> Answer {
    state.tenantry.logout_everywhere(&principal).await?;
    no_content()
}

#[utoipa::path(delete, path = "/v1/me/sessions/{sid}", tag = "Auth", description = "Ends one of the caller's sessions (another's id is 404).",
    params(("sid" = String, Path, format = Uuid, description = "The session")),
    responses((status = 204, description = "Done"), (status = "4XX", description = "A refusal (problem+json)", body = ProblemBody, content_type = "application/problem+json")),
    security(("bearer" = [])),
)]
pub(crate) async fn end_my_session(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Ids(sid): Ids<tenantry_domain::SessionId>,
) -> Answer {
    state.tenantry.end_session(&principal, sid).await?;
    no_content()
}

#[utoipa::path(get, path = "/v1/me", tag = "Auth", description = "The caller, their tenant, role and permissions.",
    responses((status = 200, description = "Done", body = MeAnswer), (status = "4XX", description = "A refusal (problem+json)", body = ProblemBody, content_type = "application/problem+json")),
    security(("bearer" = [])),
)]
pub(crate) async fn me(State(state): State<AppState>, Caller(principal): Caller) -> Answer {
    match principal {
        tenantry_ports::Principal::User { tenant_id, .. }
        | tenantry_ports::Principal::Impersonation { tenant_id, .. } => {
            let scope = state.tenantry.authorize(&principal, tenant_id).await?;
            ok(MeAnswer::User(Box::new(state.tenantry.me(&scope).await?)))
        }
        tenantry_ports::Principal::Superuser { id, .. } => {
            state.tenantry.authorize_platform(&principal).await?;
            ok(MeAnswer::Superuser { superuser: SuperuserMe { id } })
        }
        tenantry_ports::Principal::ApiKey { tenant_id, key_id, .. } => {
            let scope = state.tenantry.authorize(&principal, tenant_id).await?;
            let role = match scope.actor() {
                tenantry_ports::Actor::ApiKey { role, .. } => role.to_string(),
                _ => String::new(),
            };
            ok(MeAnswer::ApiKey { api_key: ApiKeyMe { id: key_id, tenant_id, role } })
        }
    }
}

// ---------------------------------------------------------------- notifications

/// The caller's tenant scope as a person (a user, or the superuser acting as one).
async fn person_scope(
    state: &AppState,
    principal: &tenantry_ports::Principal,
) -> Result<tenantry_ports::TenantScope, ApiError> {
    match principal {
        tenantry_ports::Principal::User { tenant_id, .. }
        | tenantry_ports::Principal::Impersonation { tenant_id, .. } => {
            Ok(state.tenantry.authorize(principal, *tenant_id).await?)
        }
        _ => Err(ApiError::not_found()),
    }
}

#[utoipa::path(get, path = "/v1/me/notifications", tag = "Auth", description = "The caller's mail preferences, and what their tenant allows. Account mails and the billing notices a tenant cannot refuse go whatever these say.",
    responses((status = 200, description = "Done", body = tenantry_ports::services::notifications::MailPrefsView), (status = "4XX", description = "A refusal (problem+json)", body = ProblemBody, content_type = "application/problem+json")),
    security(("bearer" = [])),
)]
pub(crate) async fn my_notifications(State(state): State<AppState>, Caller(principal): Caller) -> Answer {
    let scope = person_scope(&state, &principal).await?;
    ok(state.tenantry.my_mail_prefs(&scope).await?)
}

/// `PATCH /v1/me/notifications`'s body (an absent field stays as it is).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct MailPrefsBody {
    /// The billing mails an owner or admin may refuse.
    billing: Option<bool>,
    /// The platform's product updates (off until you opt in).
    product_updates: Option<bool>,
}

#[utoipa::path(patch, path = "/v1/me/notifications", tag = "Auth", description = "Changes the caller's own mail preferences (audited as `user.mail_preferences_changed`).",
    request_body = MailPrefsBody,
    responses((status = 200, description = "Done", body = tenantry_ports::services::notifications::MailPrefsView), (status = "4XX", description = "A refusal (problem+json)", body = ProblemBody, content_type = "application/problem+json")),
    security(("bearer" = [])),
)]
pub(crate) async fn patch_my_notifications(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Body(body): Body<MailPrefsBody>,
) -> Answer {
    let scope = person_scope(&state, &principal).await?;
    let patch = tenantry_ports::services::notifications::MailPrefsPatch {
        billing: body.billing,
        product_updates: body.product_updates,
    };
    ok(state.tenantry.set_my_mail_prefs(&scope, patch).await?)
}

/// `POST /v1/unsubscribe`'s body.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct UnsubscribeBody {
    /// The token of a product update's unsubscribe link.
    token: String,
}

#[utoipa::path(post, path = "/v1/unsubscribe", tag = "Auth", description = "Ends the product updates of the person a mailed unsubscribe link names, without signing in. The link is signed and does only this, for its own person. 422 `invalid_link` for a link this platform did not make.",
    request_body = UnsubscribeBody,
    responses((status = 204, description = "No more product updates"), (status = "4XX", description = "A refusal (problem+json)", body = ProblemBody, content_type = "application/problem+json")),
)]
pub(crate) async fn unsubscribe(State(state): State<AppState>, Body(body): Body<UnsubscribeBody>) -> Answer {
    state.tenantry.unsubscribe(&body.token).await?;
    no_content()
}

/// A broadcast's text.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct BroadcastBody {
    /// One line, 1 to 200 characters.
    subject: String,
    /// Plain text, 1 to 20000 characters; paragraphs by blank lines.
    body: String,
    /// The broadcast's idempotency key (1 to 64 of `A-Z a-z 0-9 _ -`; the preview answers one): sending
    /// again with it queues nothing twice. Absent: a new broadcast.
    key: Option<String>,
}

impl BroadcastBody {
    fn draft(self) -> tenantry_ports::services::notifications::BroadcastDraft {
        tenantry_ports::services::notifications::BroadcastDraft {
            subject: self.subject,
            body: self.body,
            key: self.key,
        }
    }
}

/// A broadcast as it would go.
#[derive(Serialize, ToSchema)]
pub(crate) struct BroadcastPreviewAnswer {
    /// The key to send it with (sending twice with it sends once).
    key: String,
    /// Tenants with at least one recipient.
    tenants: u64,
    /// People who would receive it (opted in, in tenants that allow product updates).
    recipients: u64,
    /// The subject line.
    subject: String,
    /// The plain-text body as sent (its unsubscribe link a placeholder).
    text: String,
    /// The HTML body as sent.
    html: String,
}

#[utoipa::path(post, path = "/v1/admin/broadcasts/preview", tag = "Admin", description = "How many would receive a product update, and the mail as they would get it. Queues nothing.",
    request_body = BroadcastBody,
    responses((status = 200, description = "Done", body = BroadcastPreviewAnswer), (status = "4XX", description = "A refusal (problem+json)", body = ProblemBody, content_type = "application/problem+json")),
    security(("bearer" = [])),
)]
pub(crate) async fn admin_preview_broadcast(
    State(state): State<AppState>,
    Platform(who): Platform,
    Body(body): Body<BroadcastBody>,
) -> Answer {
    let preview = state.tenantry.preview_broadcast(&who, &body.draft()).await?;
    let rendered = state.mails.render(&preview.sample);
    ok(BroadcastPreviewAnswer {
        key: preview.key,
        tenants: preview.tenants,
        recipients: preview.recipients,
        subject: rendered.subject,
        text: rendered.text,
        html: rendered.html,
    })
}

#[utoipa::path(post, path = "/v1/admin/broadcasts", tag = "Admin", description = "Sends a product update to every person who opted in, in every tenant that allows them: one outbox mail each, with its own unsubscribe link, due one after the other (120 a minute). Audited in the platform log before the first mail (`platform.broadcast_started`) and after the last (`platform.broadcast_sent`). With the preview's `key`, sending again (a retry after 503 `broadcast_interrupted`, a second click) skips the tenants done: nothing is sent twice.",
    request_body = BroadcastBody,
    responses((status = 202, description = "Queued", body = tenantry_ports::services::notifications::BroadcastSent), (status = "4XX", description = "A refusal (problem+json)", body = ProblemBody, content_type = "application/problem+json")),
    security(("bearer" = [])),
)]
pub(crate) async fn admin_send_broadcast(
    State(state): State<AppState>,
    Platform(who): Platform,
    Body(body): Body<BroadcastBody>,
) -> Answer {
    let sent = state.tenantry.send_broadcast(&who, &body.draft()).await?;
    Ok((StatusCode::ACCEPTED, axum::Json(sent)).into_response())
}

// ---------------------------------------------------------------- tenant

#[utoipa::path(get, path = "/v1/tenants/{tid}", tag = "Tenant", description = "Tenant profile and settings.",
    params(("tid" = String, Path, format = Uuid, description = "The tenant")),
    responses((status = 200, description = "Done", body = TenantView), (status = "4XX", description = "A refusal (problem+json)", body = ProblemBody, content_type = "application/problem+json")),
    security(("bearer" = [])),
)]
pub(crate) async fn get_tenant(State(state): State<AppState>, InTenant(scope): InTenant) -> Answer {
    ok(state.tenantry.get_tenant(&scope).await?)
}

#[derive(Deserialize, Default, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct TenantPatchBody {
    name: Option<String>,
    #[serde(default, with = "double_option")]
    primary_color: Option<Option<String>>,
    #[serde(default, with = "double_option")]
    logo_url: Option<Option<String>>,
    #[schema(value_type = Option<Object>)]
    notifications: Option<NotificationPrefs>,
    #[serde(default, with = "double_option")]
    legal_name: Option<Option<String>>,
    #[serde(default, with = "double_option")]
    country: Option<Option<String>>,
    #[serde(default, with = "double_option")]
    vat_id: Option<Option<String>>,
    #[serde(default, with = "double_option")]
    billing_email: Option<Option<String>>,
}

/// `absent` → `None` (unchanged), `null` → `Some(None)` (cleared), a value → `Some(Some(v))`.
mod double_option {
    use serde::{Deserialize, Deserializer};
    pub(super) fn deserialize<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
    where
        D: Deserializer<'de>,
        T: Deserialize<'de>,
    {
        Option::<T>::deserialize(d).map(Some)
    }
}

#[utoipa::path(patch, path = "/v1/tenants/{tid}", tag = "Tenant", description = "Change profile, branding, notifications and billing details.",
    request_body = TenantPatchBody,
    params(("tid" = String, Path, format = Uuid, description = "The tenant")),
    responses((status = 200, description = "Done", body = TenantView), (status = "4XX", description = "A refusal (problem+json)", body = ProblemBody, content_type = "application/problem+json")),
    security(("bearer" = [])),
)]
pub(crate) async fn patch_tenant(
    State(state): State<AppState>,
    InTenant(scope): InTenant,
    Body(body): Body<TenantPatchBody>,
) -> Answer {
    let input = SettingsInput {
        name: body.name,
        primary_color: body.primary_color,
        logo_url: body.logo_url,
        notifications: body.notifications,
        legal_name: body.legal_name,
        country: body.country,
        vat_id: body.vat_id,
        billing_email: body.billing_email,
    };
    ok(state.tenantry.update_tenant(&scope, input).await?)
}

// ---------------------------------------------------------------- users

#[utoipa::path(get, path = "/v1/tenants/{tid}/users", tag = "Users", description = "Users of the tenant.",
    params(("tid" = String, Path, format = Uuid, description = "The tenant")),
    responses((status = 200, description = "Done", body = Vec<UserView>), (status = "4XX", description = "A refusal (problem+json)", body = ProblemBody, content_type = "application/problem+json")),
    security(("bearer" = [])),
)]
pub(crate) async fn list_users(State(state): State<AppState>, InTenant(scope): InTenant) -> Answer {
    ok(state.tenantry.list_users(&scope).await?)
}

#[utoipa::path(get, path = "/v1/tenants/{tid}/users/{uid}", tag = "Users", description = "One user.",
    params(("tid" = String, Path, format = Uuid, description = "The tenant"), ("uid" = String, Path, format = Uuid, description = "A user of the tenant")),
    responses((status = 200, description = "Done", body = UserView), (status = "4XX", description = "A refusal (problem+json)", body = ProblemBody, content_type = "application/problem+json")),
    security(("bearer" = [])),
)]
pub(crate) async fn get_user(
    State(state): State<AppState>,
    InTenant(scope): InTenant,
    Ids((_, uid)): Ids<(TenantId, UserId)>,
) -> Answer {
    ok(state.tenantry.get_user(&scope, uid).await?)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct UserPatchBody {
    role: Option<String>,
    active: Option<bool>,
}

#[utoipa::path(patch, path = "/v1/tenants/{tid}/users/{uid}", tag = "Users", description = "Change role; deactivate or reactivate.",
    request_body = UserPatchBody,
    params(("tid" = String, Path, format = Uuid, description = "The tenant"), ("uid" = String, Path, format = Uuid, description = "A user of the tenant")),
    responses((status = 200, description = "Done", body = UserView), (status = "4XX", description = "A refusal (problem+json)", body = ProblemBody, content_type = "application/problem+json")),
    security(("bearer" = [])),
)]
pub(crate) async fn patch_user(
    State(state): State<AppState>,
    InTenant(scope): InTenant,
    Ids((_, uid)): Ids<(TenantId, UserId)>,
    Body(body): Body<UserPatchBody>,
) -> Answer {
    ok(state.tenantry.update_user(&scope, uid, UserPatch { role: body.role, active: body.active }).await?)
}

#[utoipa::path(delete, path = "/v1/tenants/{tid}/users/{uid}", tag = "Users", description = "Remove a user.",
    params(("tid" = String, Path, format = Uuid, description = "The tenant"), ("uid" = String, Path, format = Uuid, description = "A user of the tenant")),
    responses((status = 204, description = "Done"), (status = "4XX", description = "A refusal (problem+json)", body = ProblemBody, content_type = "application/problem+json")),
    security(("bearer" = [])),
)]
pub(crate) async fn delete_user(
    State(state): State<AppState>,
    InTenant(scope): InTenant,
    Ids((_, uid)): Ids<(TenantId, UserId)>,
) -> Answer {
    state.tenantry.remove_user(&scope, uid).await?;
    no_content()
}

#[derive(Deserialize, ToSchema)]
pub(crate) struct OwnerBody {
    #[schema(value_type = String, format = Uuid)]
    user_id: UserId,
}

#[utoipa::path(post, path = "/v1/tenants/{tid}/owner", tag = "Users", description = "Transfer ownership to another active user.",
    request_body = OwnerBody,
    params(("tid" = String, Path, format = Uuid, description = "The tenant")),
    responses((status = 200, description = "Done", body = UserView), (status = "4XX", description = "A refusal (problem+json)", body = ProblemBody, content_type = "application/problem+json")),
    security(("bearer" = [])),
)]
pub(crate) async fn transfer_owner(
    State(state): State<AppState>,
    InTenant(scope): InTenant,
    Body(body): Body<OwnerBody>,
) -> Answer {
    ok(state.tenantry.transfer_ownership(&scope, body.user_id).await?)
}

// ---------------------------------------------------------------- invitations

#[derive(Deserialize, Default, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct InvitationsQuery {
    #[serde(default)]
    all: bool,
}

#[utoipa::path(get, path = "/v1/tenants/{tid}/invitations", tag = "Invitations", description = "Pending invitations (all with all=true).",
    params(("tid" = String, Path, format = Uuid, description = "The tenant"), InvitationsQuery),
    responses((status = 200, description = "Done", body = Vec<InvitationView>), (status = "4XX", description = "A refusal (problem+json)", body = ProblemBody, content_type = "application/problem+json")),
    security(("bearer" = [])),
)]
pub(crate) async fn list_invitations(
    State(state): State<AppState>,
    InTenant(scope): InTenant,
    Params(q): Params<InvitationsQuery>,
) -> Answer {
    ok(state.tenantry.list_invitations(&scope, q.all).await?)
}

#[derive(Deserialize, ToSchema)]
pub(crate) struct InviteBody {
    email: String,
    role: String,
}

#[utoipa::path(post, path = "/v1/tenants/{tid}/invitations", tag = "Invitations", description = "Invite someone; the link goes out by mail.",
    request_body = InviteBody,
    params(("tid" = String, Path, format = Uuid, description = "The tenant")),
    responses((status = 201, description = "Done", body = InvitationIssued), (status = "4XX", description = "A refusal (problem+json)", body = ProblemBody, content_type = "application/problem+json")),
    security(("bearer" = [])),
)]
pub(crate) async fn invite(
    State(state): State<AppState>,
    InTenant(scope): InTenant,
    Body(body): Body<InviteBody>,
) -> Answer {
    created(state.tenantry.invite(&scope, InviteInput { email: body.email, role: body.role }).await?)
}

#[utoipa::path(delete, path = "/v1/tenants/{tid}/invitations/{iid}", tag = "Invitations", description = "Revoke (frees the seat).",
    params(("tid" = String, Path, format = Uuid, description = "The tenant"), ("iid" = String, Path, format = Uuid, description = "An invitation of the tenant")),
    responses((status = 200, description = "Done", body = InvitationView), (status = "4XX", description = "A refusal (problem+json)", body = ProblemBody, content_type = "application/problem+json")),
    security(("bearer" = [])),
)]
pub(crate) async fn revoke_invitation(
    State(state): State<AppState>,
    InTenant(scope): InTenant,
    Ids((_, iid)): Ids<(TenantId, InvitationId)>,
) -> Answer {
    ok(state.tenantry.revoke_invitation(&scope, iid).await?)
}

#[utoipa::path(post, path = "/v1/tenants/{tid}/invitations/{iid}/resend", tag = "Invitations", description = "Resend with a new link.",
    params(("tid" = String, Path, format = Uuid, description = "The tenant"), ("iid" = String, Path, format = Uuid, description = "An invitation of the tenant")),
    responses((status = 200, description = "Done", body = InvitationIssued), (status = "4XX", description = "A refusal (problem+json)", body = ProblemBody, content_type = "application/problem+json")),
    security(("bearer" = [])),
)]
pub(crate) async fn resend_invitation(
    State(state): State<AppState>,
    InTenant(scope): InTenant,
    Ids((_, iid)): Ids<(TenantId, InvitationId)>,
) -> Answer {
    ok(state.tenantry.resend_invitation(&scope, iid).await?)
}

#[derive(Deserialize, ToSchema)]
pub(crate) struct AcceptBody {
    #[schema(value_type = String, format = Password)]
    token: SecretString,
    name: String,
    #[schema(value_type = String, format = Password)]
    password: SecretString,
}

#[utoipa::path(post, path = "/v1/invitations/accept", tag = "Invitations", description = "Accept with the mailed token: the new user and tokens.",
    request_body = AcceptBody,
    responses((status = 201, description = "Done", body = AcceptedAnswer), (status = "4XX", description = "A refusal (problem+json)", body = ProblemBody, content_type = "application/problem+json")),
)]
pub(crate) async fn accept_invitation(
    State(state): State<AppState>,
    Client(client): Client,
    Body(body): Body<AcceptBody>,
) -> Answer {
    state.throttles.account(&state.tenantry, &crate::throttle::link_key(&body.token)).await?;
    let input = AcceptInput { token: body.token, name: body.name, password: body.password };
    let done = state.tenantry.accept_invitation_from(input, &client).await?;
    let tokens = auth::pair(&state.keys, state.clock.as_ref(), &done.principal, 0)?;
    created(AcceptedAnswer { user: done.user, tokens })
}

// ---------------------------------------------------------------- roles

#[utoipa::path(get, path = "/v1/tenants/{tid}/roles", tag = "Roles", description = "Built-in and custom roles with their permissions.",
    params(("tid" = String, Path, format = Uuid, description = "The tenant")),
    responses((status = 200, description = "Done", body = Vec<RoleView>), (status = "4XX", description = "A refusal (problem+json)", body = ProblemBody, content_type = "application/problem+json")),
    security(("bearer" = [])),
)]
pub(crate) async fn list_roles(State(state): State<AppState>, InTenant(scope): InTenant) -> Answer {
    ok(state.tenantry.list_roles(&scope).await?)
}

#[derive(Deserialize, ToSchema)]
pub(crate) struct RoleBody {
    name: String,
    description: Option<String>,
    permissions: Vec<String>,
}

#[utoipa::path(post, path = "/v1/tenants/{tid}/roles", tag = "Roles", description = "A custom role.",
    request_body = RoleBody,
    params(("tid" = String, Path, format = Uuid, description = "The tenant")),
    responses((status = 201, description = "Done", body = RoleView), (status = "4XX", description = "A refusal (problem+json)", body = ProblemBody, content_type = "application/problem+json")),
    security(("bearer" = [])),
)]
pub(crate) async fn create_role(
    State(state): State<AppState>,
    InTenant(scope): InTenant,
    Body(body): Body<RoleBody>,
) -> Answer {
    let input = RoleInput { name: body.name, description: body.description, permissions: body.permissions };
    created(state.tenantry.create_role(&scope, input).await?)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RolePatchBody {
    name: Option<String>,
    #[serde(default, with = "double_option")]
    description: Option<Option<String>>,
    permissions: Option<Vec<String>>,
}

#[utoipa::path(patch, path = "/v1/tenants/{tid}/roles/{rid}", tag = "Roles", description = "Change a custom role.",
    request_body = RolePatchBody,
    params(("tid" = String, Path, format = Uuid, description = "The tenant"), ("rid" = String, Path, format = Uuid, description = "A custom role of the tenant")),
    responses((status = 200, description = "Done", body = RoleView), (status = "4XX", description = "A refusal (problem+json)", body = ProblemBody, content_type = "application/problem+json")),
    security(("bearer" = [])),
)]
pub(crate) async fn patch_role(
    State(state): State<AppState>,
    InTenant(scope): InTenant,
    Ids((_, rid)): Ids<(TenantId, RoleId)>,
    Body(body): Body<RolePatchBody>,
) -> Answer {
    let patch = RolePatch { name: body.name, description: body.description, permissions: body.permissions };
    ok(state.tenantry.update_role(&scope, rid, patch).await?)
}

#[utoipa::path(delete, path = "/v1/tenants/{tid}/roles/{rid}", tag = "Roles", description = "Delete a custom role nobody holds.",
    params(("tid" = String, Path, format = Uuid, description = "The tenant"), ("rid" = String, Path, format = Uuid, description = "A custom role of the tenant")),
    responses((status = 204, description = "Done"), (status = "4XX", description = "A refusal (problem+json)", body = ProblemBody, content_type = "application/problem+json")),
    security(("bearer" = [])),
)]
pub(crate) async fn delete_role(
    State(state): State<AppState>,
    InTenant(scope): InTenant,
    Ids((_, rid)): Ids<(TenantId, RoleId)>,
) -> Answer {
    state.tenantry.delete_role(&scope, rid).await?;
    no_content()
}

// ---------------------------------------------------------------- API keys

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ApiKeyBody {
    /// What the key is for.
    name: String,
    /// A built-in role other than owner: admin, manager, member or viewer.
    role: String,
}

#[utoipa::path(get, path = "/v1/tenants/{tid}/api-keys", tag = "API keys", description = "The tenant's API keys (never their secrets).",
    params(("tid" = String, Path, format = Uuid, description = "The tenant")),
    responses((status = 200, description = "Done", body = Vec<ApiKeyView>), (status = "4XX", description = "A refusal (problem+json)", body = ProblemBody, content_type = "application/problem+json")),
    security(("bearer" = [])),
)]
pub(crate) async fn list_api_keys(State(state): State<AppState>, InTenant(scope): InTenant) -> Answer {
    ok(state.tenantry.list_api_keys(&scope).await?)
}

#[utoipa::path(post, path = "/v1/tenants/{tid}/api-keys", tag = "API keys", description = "A new key; its text (send it as a bearer token) is shown once.",
    request_body = ApiKeyBody,
    params(("tid" = String, Path, format = Uuid, description = "The tenant")),
    responses((status = 201, description = "Done", body = ApiKeyIssued), (status = "4XX", description = "A refusal (problem+json)", body = ProblemBody, content_type = "application/problem+json")),
    security(("bearer" = [])),
)]
pub(crate) async fn create_api_key(
    State(state): State<AppState>,
    InTenant(scope): InTenant,
    Body(body): Body<ApiKeyBody>,
) -> Answer {
    let input = tenantry_ports::services::api_keys::ApiKeyInput { name: body.name, role: body.role };
    created(state.tenantry.create_api_key(&scope, input).await?)
}

#[utoipa::path(delete, path = "/v1/tenants/{tid}/api-keys/{kid}", tag = "API keys", description = "Revoke a key: it stops working at once.",
    params(("tid" = String, Path, format = Uuid, description = "The tenant"), ("kid" = String, Path, format = Uuid, description = "A key of the tenant")),
    responses((status = 200, description = "Done", body = ApiKeyView), (status = "4XX", description = "A refusal (problem+json)", body = ProblemBody, content_type = "application/problem+json")),
    security(("bearer" = [])),
)]
pub(crate) async fn revoke_api_key(
    State(state): State<AppState>,
    InTenant(scope): InTenant,
    Ids((_, kid)): Ids<(TenantId, ApiKeyId)>,
) -> Answer {
    ok(state.tenantry.revoke_api_key(&scope, kid).await?)
}

// ---------------------------------------------------------------- GDPR erasure

#[utoipa::path(post, path = "/v1/tenants/{tid}/users/{uid}/erase", tag = "Data rights", description = "GDPR erasure of one user: their email and name become a pseudonym everywhere (user, invitations, audit details), the account is deactivated for good, finished exports are deleted, and the erasure is recorded for restores. Never the owner, never oneself.",
    params(("tid" = String, Path, format = Uuid, description = "The tenant"), ("uid" = String, Path, format = Uuid, description = "A user of the tenant")),
    responses((status = 200, description = "The erased user (pseudonymous)", body = UserView), (status = "4XX", description = "A refusal (problem+json)", body = ProblemBody, content_type = "application/problem+json")),
    security(("bearer" = [])),
)]
pub(crate) async fn erase_user(
    State(state): State<AppState>,
    InTenant(scope): InTenant,
    Ids((_, uid)): Ids<(TenantId, UserId)>,
) -> Answer {
    ok(state.tenantry.erase_user(&scope, uid).await?)
}

// ---------------------------------------------------------------- tenant deletion

#[utoipa::path(post, path = "/v1/tenants/{tid}/deletion", tag = "Data rights", description = "The owner asks for the tenant's deletion: access ends at once (the owner keeps reading the profile, exporting the data and cancelling); billing stops; everything is purged after the retention period (30 days).",
    params(("tid" = String, Path, format = Uuid, description = "The tenant")),
    responses((status = 204, description = "Done"), (status = "4XX", description = "A refusal (problem+json)", body = ProblemBody, content_type = "application/problem+json")),
    security(("bearer" = [])),
)]
pub(crate) async fn request_deletion(State(state): State<AppState>, InTenant(scope): InTenant) -> Answer {
    state.tenantry.request_deletion(&scope).await?;
    no_content()
}

#[utoipa::path(delete, path = "/v1/tenants/{tid}/deletion", tag = "Data rights", description = "The owner cancels a pending deletion before the purge: access and billing resume.",
    params(("tid" = String, Path, format = Uuid, description = "The tenant")),
    responses((status = 204, description = "Done"), (status = "4XX", description = "A refusal (problem+json)", body = ProblemBody, content_type = "application/problem+json")),
    security(("bearer" = [])),
)]
pub(crate) async fn cancel_deletion(State(state): State<AppState>, InTenant(scope): InTenant) -> Answer {
    state.tenantry.cancel_deletion(&scope).await?;
    no_content()
}

// ---------------------------------------------------------------- GDPR exports

#[utoipa::path(post, path = "/v1/tenants/{tid}/exports", tag = "Data rights", description = "Start a GDPR export of the tenant's data (without secrets), produced in the background: 202 with the new export, or 200 with the one already queued or running.",
    params(("tid" = String, Path, format = Uuid, description = "The tenant")),
    responses((status = 202, description = "Queued", body = ExportView), (status = 200, description = "One is already queued or running: that one", body = ExportView), (status = "4XX", description = "A refusal (problem+json)", body = ProblemBody, content_type = "application/problem+json")),
    security(("bearer" = [])),
)]
pub(crate) async fn request_export(State(state): State<AppState>, InTenant(scope): InTenant) -> Answer {
    let answer = state.tenantry.request_export(&scope).await?;
    let status = if answer.created { StatusCode::ACCEPTED } else { StatusCode::OK };
    let location = format!("/v1/tenants/{}/exports/{}", scope.tenant_id(), answer.export.id);
    Ok((status, [(axum::http::header::LOCATION, location)], axum::Json(answer.export)).into_response())
}

#[utoipa::path(get, path = "/v1/tenants/{tid}/exports", tag = "Data rights", description = "The tenant's exports, newest first.",
    params(("tid" = String, Path, format = Uuid, description = "The tenant")),
    responses((status = 200, description = "Done", body = Vec<ExportView>), (status = "4XX", description = "A refusal (problem+json)", body = ProblemBody, content_type = "application/problem+json")),
    security(("bearer" = [])),
)]
pub(crate) async fn list_exports(State(state): State<AppState>, InTenant(scope): InTenant) -> Answer {
    ok(state.tenantry.list_exports(&scope).await?)
}

#[utoipa::path(get, path = "/v1/tenants/{tid}/exports/{eid}", tag = "Data rights", description = "One export: status, progress, size and expiry.",
    params(("tid" = String, Path, format = Uuid, description = "The tenant"), ("eid" = String, Path, format = Uuid, description = "An export of the tenant")),
    responses((status = 200, description = "Done", body = ExportView), (status = "4XX", description = "A refusal (problem+json)", body = ProblemBody, content_type = "application/problem+json")),
    security(("bearer" = [])),
)]
pub(crate) async fn export_status(
    State(state): State<AppState>,
    InTenant(scope): InTenant,
    Ids((_, eid)): Ids<(TenantId, ExportId)>,
) -> Answer {
    ok(state.tenantry.export_status(&scope, eid).await?)
}

#[utoipa::path(get, path = "/v1/tenants/{tid}/exports/{eid}/download", tag = "Data rights", description = "The archive (a JSON document), while the export is ready: 409 `export_not_ready` before, 409 `export_expired` after seven days.",
    params(("tid" = String, Path, format = Uuid, description = "The tenant"), ("eid" = String, Path, format = Uuid, description = "An export of the tenant")),
    responses((status = 200, description = "The archive", body = ExportDocument, content_type = "application/json"), (status = "4XX", description = "A refusal (problem+json)", body = ProblemBody, content_type = "application/problem+json")),
    security(("bearer" = [])),
)]
pub(crate) async fn download_export(
    State(state): State<AppState>,
    InTenant(scope): InTenant,
    Ids((_, eid)): Ids<(TenantId, ExportId)>,
) -> Answer {
    Ok(export_download(state.tenantry.download_export(&scope, eid).await?))
}

/// An export's archive as a download (the API's and the web page's answer),
/// streamed chunk by chunk with its length: the service never holds it whole.
/// An archive that expires while it is sent ends the body early (the client
/// sees a short body against the `Content-Length`).
pub(crate) fn export_download(archive: tenantry_ports::services::exports::ExportArchive) -> Response {
    use axum::http::header;
    let disposition = format!("attachment; filename=\"{}\"", archive.filename);
    let length = archive.size_bytes.to_string();
    let chunks = futures::stream::unfold(Some(archive), |archive| async move {
        let mut archive = archive?;
        match archive.next_chunk().await {
            Ok(Some(chunk)) => Some((Ok(axum::body::Bytes::from(chunk)), Some(archive))),
            Ok(None) => None,
            Err(e) => {
                tracing::warn!(error = %e, "an export's download ended early");
                Some((Err(std::io::Error::other(e.to_string())), None))
            }
        }
    });
    (
        [
            (header::CONTENT_TYPE, "application/json".to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
            (header::CACHE_CONTROL, "no-store".to_owned()),
            (header::CONTENT_LENGTH, length),
        ],
        axum::body::Body::from_stream(chunks),
    )
        .into_response()
}

// ---------------------------------------------------------------- subscription and billing

#[utoipa::path(get, path = "/v1/tenants/{tid}/subscription", tag = "Subscription", description = "Plan, status, seats, trial, period, price.",
    params(("tid" = String, Path, format = Uuid, description = "The tenant")),
    responses((status = 200, description = "Done", body = SubscriptionView), (status = "4XX", description = "A refusal (problem+json)", body = ProblemBody, content_type = "application/problem+json")),
    security(("bearer" = [])),
)]
pub(crate) async fn subscription(State(state): State<AppState>, InTenant(scope): InTenant) -> Answer {
    ok(state.tenantry.subscription_view(&scope).await?)
}

/// A plan by name.
#[derive(Deserialize, Clone, Copy, ToSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum PlanName {
    Freemium,
    Standard,
}

/// A billing interval.
#[derive(Deserialize, Clone, Copy, ToSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum IntervalName {
    Month,
    Year,
}

/// When a plan chosen during the trial takes effect: `now` ends the trial and
/// charges at once; `at_trial_end` only sets what the trial converts to.
#[derive(Deserialize, Clone, Copy, Default, ToSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum TimingName {
    #[default]
    Now,
    AtTrialEnd,
}

impl From<TimingName> for PlanTiming {
    fn from(t: TimingName) -> Self {
        match t {
            TimingName::Now => PlanTiming::Now,
            TimingName::AtTrialEnd => PlanTiming::AtTrialEnd,
        }
    }
}

/// The plan choice of a body: `standard` needs an interval; `freemium` takes none.
fn plan_choice(plan: PlanName, interval: Option<IntervalName>) -> Result<PlanChoice, ApiError> {
    match (plan, interval) {
        (PlanName::Freemium, None) => Ok(PlanChoice::Freemium),
        (PlanName::Standard, Some(IntervalName::Month)) => Ok(PlanChoice::Standard(Interval::Month)),
        (PlanName::Standard, Some(IntervalName::Year)) => Ok(PlanChoice::Standard(Interval::Year)),
        (PlanName::Standard, None) => Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
            "interval: the standard plan needs an interval (month or year)",
        )),
        (PlanName::Freemium, Some(_)) => {
            Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_body", "interval: the freemium plan has none"))
        }
    }
}

#[derive(Deserialize, Default, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PreviewBody {
    /// Seats to preview (a seat change).
    seats: Option<i64>,
    /// A plan to preview (a plan change).
    plan: Option<PlanName>,
    /// Its interval (with `standard`).
    interval: Option<IntervalName>,
    #[serde(default)]
    timing: TimingName,
}

#[utoipa::path(post, path = "/v1/tenants/{tid}/subscription/preview", tag = "Subscription", description = "Lines, total and proration_date of a change, changing nothing.",
    request_body = PreviewBody,
    params(("tid" = String, Path, format = Uuid, description = "The tenant")),
    responses((status = 200, description = "Done", body = PreviewView), (status = "4XX", description = "A refusal (problem+json)", body = ProblemBody, content_type = "application/problem+json")),
    security(("bearer" = [])),
)]
pub(crate) async fn preview(
    State(state): State<AppState>,
    InTenant(scope): InTenant,
    Body(body): Body<PreviewBody>,
) -> Answer {
    let plan = body.plan.map(|p| plan_choice(p, body.interval)).transpose()?;
    let input = PreviewInput { seats: body.seats, plan, timing: body.timing.into() };
    ok(state.tenantry.preview_change(&scope, input).await?)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SeatsBody {
    seats: i64,
    proration_date: Option<DateTime<Utc>>,
}

#[utoipa::path(post, path = "/v1/tenants/{tid}/subscription/seats", tag = "Subscription", description = "Buy seats now or reduce them at renewal.",
    request_body = SeatsBody,
    params(("tid" = String, Path, format = Uuid, description = "The tenant")),
    responses((status = 200, description = "Done", body = SeatsChanged), (status = "4XX", description = "A refusal (problem+json)", body = ProblemBody, content_type = "application/problem+json")),
    security(("bearer" = [])),
)]
pub(crate) async fn change_seats(
    State(state): State<AppState>,
    InTenant(scope): InTenant,
    Body(body): Body<SeatsBody>,
) -> Answer {
    ok(state.tenantry.change_seats(&scope, body.seats, body.proration_date).await?)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PlanBody {
    plan: PlanName,
    /// Required with `standard`.
    interval: Option<IntervalName>,
    #[serde(default)]
    timing: TimingName,
    /// The `proration_date` of the preview being confirmed.
    proration_date: Option<DateTime<Utc>>,
}

#[utoipa::path(post, path = "/v1/tenants/{tid}/subscription/plan", tag = "Subscription", description = "Change plan or interval (answers a Checkout session when a payment method is needed).",
    request_body = PlanBody,
    params(("tid" = String, Path, format = Uuid, description = "The tenant")),
    responses((status = 200, description = "Done", body = PlanChanged), (status = "4XX", description = "A refusal (problem+json)", body = ProblemBody, content_type = "application/problem+json")),
    security(("bearer" = [])),
)]
pub(crate) async fn change_plan(
    State(state): State<AppState>,
    InTenant(scope): InTenant,
    Body(body): Body<PlanBody>,
) -> Answer {
    let plan = plan_choice(body.plan, body.interval)?;
    ok(state.tenantry.change_plan(&scope, plan, body.timing.into(), body.proration_date, RETURN_URL).await?)
}

#[utoipa::path(post, path = "/v1/tenants/{tid}/subscription/cancel", tag = "Subscription", description = "To freemium at the period end.",
    params(("tid" = String, Path, format = Uuid, description = "The tenant")),
    responses((status = 200, description = "Done", body = PlanChanged), (status = "4XX", description = "A refusal (problem+json)", body = ProblemBody, content_type = "application/problem+json")),
    security(("bearer" = [])),
)]
pub(crate) async fn cancel(State(state): State<AppState>, InTenant(scope): InTenant) -> Answer {
    ok(state.tenantry.cancel_subscription(&scope, RETURN_URL).await?)
}

#[utoipa::path(post, path = "/v1/tenants/{tid}/subscription/continue-free", tag = "Subscription", description = "During the trial: become freemium at its end.",
    params(("tid" = String, Path, format = Uuid, description = "The tenant")),
    responses((status = 200, description = "Done", body = PlanChanged), (status = "4XX", description = "A refusal (problem+json)", body = ProblemBody, content_type = "application/problem+json")),
    security(("bearer" = [])),
)]
pub(crate) async fn continue_free(State(state): State<AppState>, InTenant(scope): InTenant) -> Answer {
    ok(state.tenantry.continue_free(&scope, RETURN_URL).await?)
}

#[utoipa::path(post, path = "/v1/tenants/{tid}/billing/checkout", tag = "Billing", description = "A Checkout session to add a payment method.",
    params(("tid" = String, Path, format = Uuid, description = "The tenant")),
    responses((status = 200, description = "Done", body = HostedSession), (status = "4XX", description = "A refusal (problem+json)", body = ProblemBody, content_type = "application/problem+json")),
    security(("bearer" = [])),
)]
pub(crate) async fn checkout(State(state): State<AppState>, InTenant(scope): InTenant) -> Answer {
    ok(state.tenantry.checkout_session(&scope, RETURN_URL).await?)
}

#[utoipa::path(post, path = "/v1/tenants/{tid}/billing/portal", tag = "Billing", description = "A Customer Portal session.",
    params(("tid" = String, Path, format = Uuid, description = "The tenant")),
    responses((status = 200, description = "Done", body = HostedSession), (status = "4XX", description = "A refusal (problem+json)", body = ProblemBody, content_type = "application/problem+json")),
    security(("bearer" = [])),
)]
pub(crate) async fn portal(State(state): State<AppState>, InTenant(scope): InTenant) -> Answer {
    ok(state.tenantry.portal_session(&scope, RETURN_URL).await?)
}

#[utoipa::path(get, path = "/v1/tenants/{tid}/invoices", tag = "Billing", description = "Invoices.",
    params(("tid" = String, Path, format = Uuid, description = "The tenant")),
    responses((status = 200, description = "Done", body = Vec<Invoice>), (status = "4XX", description = "A refusal (problem+json)", body = ProblemBody, content_type = "application/problem+json")),
    security(("bearer" = [])),
)]
pub(crate) async fn invoices(State(state): State<AppState>, InTenant(scope): InTenant) -> Answer {
    ok(state.tenantry.invoices(&scope).await?)
}

// ---------------------------------------------------------------- audit, usage, ads

#[derive(Deserialize, Default, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct AuditQuery {
    /// The `next_before` of the previous page.
    #[param(value_type = Option<String>, format = Uuid)]
    before: Option<AuditEventId>,
    /// Page size.
    limit: Option<u32>,
    /// Only this action (e.g. `invitation.created`).
    action: Option<String>,
    /// Only events by or about this user.
    #[param(value_type = Option<String>, format = Uuid)]
    user: Option<UserId>,
}

impl AuditQuery {
    fn filter(&self) -> AuditFilter {
        AuditFilter { before: self.before, limit: self.limit, action: self.action.clone(), user: self.user }
    }
}

#[utoipa::path(get, path = "/v1/tenants/{tid}/audit-events", tag = "Audit", description = "The audit log of the tenant, newest first.",
    params(("tid" = String, Path, format = Uuid, description = "The tenant"), AuditQuery),
    responses((status = 200, description = "Done", body = AuditPage), (status = "4XX", description = "A refusal (problem+json)", body = ProblemBody, content_type = "application/problem+json")),
    security(("bearer" = [])),
)]
pub(crate) async fn audit_events(
    State(state): State<AppState>,
    InTenant(scope): InTenant,
    Params(q): Params<AuditQuery>,
) -> Answer {
    ok(state.tenantry.audit_events(&scope, q.filter()).await?)
}

#[utoipa::path(get, path = "/v1/tenants/{tid}/usage", tag = "Usage", description = "Usage this month against the limits of the plan.",
    params(("tid" = String, Path, format = Uuid, description = "The tenant")),
    responses((status = 200, description = "Done", body = UsageView), (status = "4XX", description = "A refusal (problem+json)", body = ProblemBody, content_type = "application/problem+json")),
    security(("bearer" = [])),
)]
pub(crate) async fn usage(State(state): State<AppState>, InTenant(scope): InTenant) -> Answer {
    ok(state.tenantry.usage(&scope).await?)
}

#[utoipa::path(get, path = "/v1/tenants/{tid}/ads/decision", tag = "Ads", description = "What ad, if any, to render now.",
    params(("tid" = String, Path, format = Uuid, description = "The tenant")),
    responses((status = 200, description = "Done", body = AdDecisionView), (status = "4XX", description = "A refusal (problem+json)", body = ProblemBody, content_type = "application/problem+json")),
    security(("bearer" = [])),
)]
pub(crate) async fn ad_decision(State(state): State<AppState>, InTenant(scope): InTenant) -> Answer {
    ok(state.tenantry.ad_decision(&scope).await?)
}

#[utoipa::path(post, path = "/v1/tenants/{tid}/ads/{cid}/impression", tag = "Ads", description = "Count a view.",
    params(("tid" = String, Path, format = Uuid, description = "The tenant"), ("cid" = String, Path, format = Uuid, description = "An ad campaign")),
    responses((status = 204, description = "Done"), (status = "4XX", description = "A refusal (problem+json)", body = ProblemBody, content_type = "application/problem+json")),
    security(("bearer" = [])),
)]
pub(crate) async fn ad_impression(
    State(state): State<AppState>,
    InTenant(scope): InTenant,
    Ids((_, cid)): Ids<(TenantId, CampaignId)>,
) -> Answer {
    state.tenantry.record_ad_event(&scope, cid, AdCountKind::Impression).await?;
    no_content()
}

#[utoipa::path(post, path = "/v1/tenants/{tid}/ads/{cid}/click", tag = "Ads", description = "Count a click.",
    params(("tid" = String, Path, format = Uuid, description = "The tenant"), ("cid" = String, Path, format = Uuid, description = "An ad campaign")),
    responses((status = 204, description = "Done"), (status = "4XX", description = "A refusal (problem+json)", body = ProblemBody, content_type = "application/problem+json")),
    security(("bearer" = [])),
)]
pub(crate) async fn ad_click(
    State(state): State<AppState>,
    InTenant(scope): InTenant,
    Ids((_, cid)): Ids<(TenantId, CampaignId)>,
) -> Answer {
    state.tenantry.record_ad_event(&scope, cid, AdCountKind::Click).await?;
    no_content()
}

// ---------------------------------------------------------------- superuser

#[derive(Deserialize, Default, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct TenantsQuery {
    search: Option<String>,
    #[param(value_type = Option<String>)]
    status: Option<SubscriptionStatus>,
    #[serde(default)]
    offset: u32,
    limit: Option<u32>,
}

#[utoipa::path(get, path = "/v1/admin/tenants", tag = "Admin", description = "Tenants with plan, status and usage.",
    params(TenantsQuery),
    responses((status = 200, description = "Done", body = Vec<TenantSummary>), (status = "4XX", description = "A refusal (problem+json)", body = ProblemBody, content_type = "application/problem+json")),
    security(("bearer" = [])),
)]
pub(crate) async fn admin_tenants(
    State(state): State<AppState>,
    Platform(who): Platform,
    Params(q): Params<TenantsQuery>,
) -> Answer {
    let query = TenantListQuery { search: q.search, status: q.status, offset: q.offset, limit: q.limit.unwrap_or(50) };
    ok(state.tenantry.admin_list_tenants(&who, query).await?)
}

#[derive(Deserialize, ToSchema)]
pub(crate) struct NewTenantBody {
    company_name: String,
    slug: String,
    admin_email: String,
    admin_name: String,
    #[schema(value_type = String, format = Password)]
    admin_password: SecretString,
}

#[utoipa::path(post, path = "/v1/admin/tenants", tag = "Admin", description = "Create a tenant with its admin.",
    request_body = NewTenantBody,
    responses((status = 201, description = "Done", body = CreatedTenant), (status = "4XX", description = "A refusal (problem+json)", body = ProblemBody, content_type = "application/problem+json")),
    security(("bearer" = [])),
)]
pub(crate) async fn admin_create_tenant(
    State(state): State<AppState>,
    Platform(who): Platform,
    Body(body): Body<NewTenantBody>,
) -> Answer {
    let input = AdminNewTenant {
        company_name: body.company_name,
        slug: body.slug,
        admin_email: body.admin_email,
        admin_name: body.admin_name,
        admin_password: body.admin_password,
    };
    let done = state.tenantry.admin_create_tenant(&who, input).await?;
    created(CreatedTenant { tenant: done.tenant, user: done.user })
}

/// A superuser in one tenant: [`InTenant`] authorises the superuser's principal
/// for the tenant (audited in its log and the platform's); a tenant user gets
/// 404 from the use case.
#[utoipa::path(get, path = "/v1/admin/tenants/{tid}", tag = "Admin", description = "Inspect a tenant (audited).",
    params(("tid" = String, Path, format = Uuid, description = "The tenant")),
    responses((status = 200, description = "Done", body = TenantDetail), (status = "4XX", description = "A refusal (problem+json)", body = ProblemBody, content_type = "application/problem+json")),
    security(("bearer" = [])),
)]
pub(crate) async fn admin_tenant(State(state): State<AppState>, InTenant(scope): InTenant) -> Answer {
    ok(state.tenantry.admin_tenant_detail(&scope).await?)
}

#[derive(Deserialize, Default, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct AdminPatchBody {
    suspended: Option<bool>,
    #[schema(value_type = Option<Object>)]
    quota_override: Option<tenantry_domain::quota::QuotaOverride>,
    trial_ends_at: Option<DateTime<Utc>>,
    #[serde(default)]
    force_freemium: bool,
}

#[utoipa::path(patch, path = "/v1/admin/tenants/{tid}", tag = "Admin", description = "Suspend, override quotas, move the trial end, force freemium.",
    request_body = AdminPatchBody,
    params(("tid" = String, Path, format = Uuid, description = "The tenant")),
    responses((status = 200, description = "Done", body = TenantDetail), (status = "4XX", description = "A refusal (problem+json)", body = ProblemBody, content_type = "application/problem+json")),
    security(("bearer" = [])),
)]
pub(crate) async fn admin_patch_tenant(
    State(state): State<AppState>,
    InTenant(scope): InTenant,
    Body(body): Body<AdminPatchBody>,
) -> Answer {
    let patch = AdminTenantPatch {
        suspended: body.suspended,
        quota_override: body.quota_override,
        trial_ends_at: body.trial_ends_at,
        force_freemium: body.force_freemium,
    };
    let detail = state.tenantry.admin_update_tenant(&scope, patch).await?;
    // A new quota takes effect at this instance's next request (others within their cache's 30 s).
    state.limits.forget(scope.tenant_id());
    ok(detail)
}

#[utoipa::path(delete, path = "/v1/admin/tenants/{tid}", tag = "Admin", description = "Delete a tenant (purged after retention).",
    params(("tid" = String, Path, format = Uuid, description = "The tenant")),
    responses((status = 204, description = "Done"), (status = "4XX", description = "A refusal (problem+json)", body = ProblemBody, content_type = "application/problem+json")),
    security(("bearer" = [])),
)]
pub(crate) async fn admin_delete_tenant(State(state): State<AppState>, InTenant(scope): InTenant) -> Answer {
    state.tenantry.admin_delete_tenant(&scope).await?;
    no_content()
}

/// `GET /v1/admin/jobs`'s query.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub(crate) struct JobsQuery {
    /// At most this many (1 to 500, default 100).
    limit: Option<u32>,
}

#[utoipa::path(get, path = "/v1/admin/jobs", tag = "Admin", description = "Jobs that failed on their last attempt, newest first (they are never dropped), and the tenants waiting for their purge.",
    params(JobsQuery),
    responses((status = 200, description = "Done", body = tenantry_ports::services::jobs::AdminJobs), (status = "4XX", description = "A refusal (problem+json)", body = ProblemBody, content_type = "application/problem+json")),
    security(("bearer" = [])),
)]
pub(crate) async fn admin_jobs(
    State(state): State<AppState>,
    Platform(who): Platform,
    Params(query): Params<JobsQuery>,
) -> Answer {
    ok(state.tenantry.admin_jobs(&who, query.limit.unwrap_or(100)).await?)
}

#[utoipa::path(post, path = "/v1/admin/tenants/{tid}/jobs/{job_id}/retry", tag = "Admin", description = "Retries a job that failed for good (listed by `GET /v1/admin/jobs`): it is pending again, due now, with all its attempts. 409 `job_not_failed` for a job that is pending or done. Audited in the tenant's log (`job.retried`).",
    params(("tid" = String, Path, format = Uuid, description = "The tenant"), ("job_id" = String, Path, format = Uuid, description = "A job of the tenant")),
    responses((status = 200, description = "Pending again", body = tenantry_domain::job::Job), (status = "4XX", description = "A refusal (problem+json)", body = ProblemBody, content_type = "application/problem+json")),
    security(("bearer" = [])),
)]
pub(crate) async fn admin_retry_job(
    State(state): State<AppState>,
    InTenant(scope): InTenant,
    Ids((_, job_id)): Ids<(TenantId, tenantry_domain::JobId)>,
) -> Answer {
    ok(state.tenantry.retry_job(&scope, job_id).await?)
}

#[utoipa::path(post, path = "/v1/admin/tenants/{tid}/backups", tag = "Admin", description = "An encrypted backup of every row the tenant owns (tenantry's tables and the products' registered tables), sealed with AES-256-GCM under the platform's backup key (`TENANTRY_BACKUP_KEY`). The archive is answered, not kept: the operator holds it. 409 `backups_not_configured` without a key. Audited.",
    params(("tid" = String, Path, format = Uuid, description = "The tenant")),
    responses((status = 200, description = "The sealed archive", content_type = "application/octet-stream", body = Vec<u8>), (status = "4XX", description = "A refusal (problem+json)", body = ProblemBody, content_type = "application/problem+json")),
    security(("bearer" = [])),
)]
pub(crate) async fn admin_backup(State(state): State<AppState>, InTenant(scope): InTenant) -> Answer {
    use axum::http::header;
    let made = state.tenantry.backup_tenant(&scope).await?;
    let disposition = format!(
        "attachment; filename=\"tenantry-backup-{}-{}.tbk\"",
        made.slug,
        made.created_at.format("%Y%m%dT%H%M%SZ")
    );
    Ok((
        [
            (header::CONTENT_TYPE, "application/octet-stream".to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        made.archive,
    )
        .into_response())
}

/// How `POST /v1/admin/tenants/{tid}/restore` restores.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub(crate) struct RestoreQuery {
    /// `same_id` (default): replace what the tenant holds now, or bring a purged tenant back;
    /// `clone`: a new tenant with a new id and `slug`, the original untouched, without billing link.
    #[param(inline, value_type = Option<String>, pattern = "^(same_id|clone)$")]
    mode: Option<String>,
    /// The clone's slug (required with `mode=clone`).
    slug: Option<String>,
}

/// The largest archive a restore takes.
pub const RESTORE_LIMIT: usize = 256 * 1024 * 1024;

#[utoipa::path(post, path = "/v1/admin/tenants/{tid}/restore", tag = "Admin", description = "Restores an uploaded backup of tenant `tid` (the request body is the archive as `POST …/backups` answered it) in one unit of work of that one tenant, re-applying the erasure ledger so that no erased person comes back. A corrupt, truncated, tampered, other-key or other-tenant archive is refused before anything is written (422 `backup_tampered`, `backup_truncated`, `not_a_backup`, `backup_key_mismatch`, `backup_foreign_tenant`, `backup_incompatible`, `backup_format_unsupported`). Audited in the tenant's log and the platform log.",
    params(("tid" = String, Path, format = Uuid, description = "The tenant the archive is of"), RestoreQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "The archive"),
    responses((status = 201, description = "Restored", body = tenantry_ports::services::backups::Restored), (status = "4XX", description = "A refusal (problem+json)", body = ProblemBody, content_type = "application/problem+json")),
    security(("bearer" = [])),
)]
pub(crate) async fn admin_restore(
    State(state): State<AppState>,
    Platform(who): Platform,
    Ids(tid): Ids<TenantId>,
    Params(query): Params<RestoreQuery>,
    body: Result<axum::body::Bytes, axum::extract::rejection::BytesRejection>,
) -> Answer {
    use tenantry_ports::services::backups::RestoreMode;
    let mode = match (query.mode.as_deref().unwrap_or("same_id"), query.slug) {
        ("same_id", None) => RestoreMode::SameId,
        ("clone", Some(slug)) => RestoreMode::Clone { slug },
        ("same_id", Some(_)) => {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_query",
                "`slug` names a clone's slug: use it with `mode=clone`",
            ));
        }
        ("clone", None) => {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_query",
                "`mode=clone` needs the clone's `slug`",
            ));
        }
        _ => {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_query",
                "`mode` is `same_id` or `clone`",
            ));
        }
    };
    let body = body.map_err(|e| ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "body_too_large", e.body_text()))?;
    created(state.tenantry.restore_tenant(&who, tid, &body, mode).await?)
}

#[utoipa::path(get, path = "/v1/admin/settings", tag = "Admin", description = "The platform's security settings: password policy (length, breached-list check), mandatory two-factor authentication (everyone, or by built-in role), default quotas by plan.",
    responses((status = 200, description = "Done", body = tenantry_domain::settings::PlatformSettings), (status = "4XX", description = "A refusal (problem+json)", body = ProblemBody, content_type = "application/problem+json")),
    security(("bearer" = [])),
)]
pub(crate) async fn admin_settings(State(state): State<AppState>, Platform(who): Platform) -> Answer {
    ok(state.tenantry.admin_settings(&who).await?)
}

#[utoipa::path(patch, path = "/v1/admin/settings", tag = "Admin", description = "Changes what the body names (a value out of range refuses the whole change: 422 `invalid_settings`). Audited in the platform log.",
    request_body = tenantry_domain::settings::SettingsPatch,
    responses((status = 200, description = "Done", body = tenantry_domain::settings::PlatformSettings), (status = "4XX", description = "A refusal (problem+json)", body = ProblemBody, content_type = "application/problem+json")),
    security(("bearer" = [])),
)]
pub(crate) async fn admin_patch_settings(
    State(state): State<AppState>,
    Platform(who): Platform,
    Body(patch): Body<tenantry_domain::settings::SettingsPatch>,
) -> Answer {
    ok(state.tenantry.update_settings(&who, &patch).await?)
}

#[utoipa::path(get, path = "/v1/admin/stats", tag = "Admin", description = "Platform figures.",
    responses((status = 200, description = "Done", body = PlatformStats), (status = "4XX", description = "A refusal (problem+json)", body = ProblemBody, content_type = "application/problem+json")),
    security(("bearer" = [])),
)]
pub(crate) async fn admin_stats(State(state): State<AppState>, Platform(who): Platform) -> Answer {
    ok(state.tenantry.platform_stats(&who).await?)
}

/// The superuser's audit read: one tenant's log, or every tenant's (recorded, with a reason).
#[derive(Deserialize, Default, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct AdminAuditQuery {
    /// The `next_before` of the previous page.
    #[param(value_type = Option<String>, format = Uuid)]
    before: Option<AuditEventId>,
    /// Page size.
    limit: Option<u32>,
    /// Only this action (e.g. `invitation.created`).
    action: Option<String>,
    /// Only events by or about this user.
    #[param(value_type = Option<String>, format = Uuid)]
    user: Option<UserId>,
    /// Only this tenant's log (and the platform log's events about it).
    #[param(value_type = Option<String>, format = Uuid)]
    tenant: Option<TenantId>,
    /// Without `tenant`: why every tenant's log is read (1–200 characters;
    /// recorded in the platform log as `platform.audit_read`).
    reason: Option<String>,
}

#[utoipa::path(get, path = "/v1/admin/audit-events", tag = "Admin",
    description = "One tenant's audit log (`tenant`), or every tenant's and the platform's — a read the platform log records (`platform.audit_read`, with `reason`).",
    params(AdminAuditQuery),
    responses((status = 200, description = "Done", body = AuditPage), (status = "4XX", description = "A refusal (problem+json)", body = ProblemBody, content_type = "application/problem+json")),
    security(("bearer" = [])),
)]
pub(crate) async fn admin_audit(
    State(state): State<AppState>,
    Platform(who): Platform,
    Params(q): Params<AdminAuditQuery>,
) -> Answer {
    let filter = AuditFilter { before: q.before, limit: q.limit, action: q.action, user: q.user };
    ok(state.tenantry.platform_audit(&who, q.tenant, filter, q.reason.as_deref()).await?)
}

#[derive(Deserialize, ToSchema)]
pub(crate) struct CampaignBody {
    name: String,
    #[schema(value_type = String)]
    format: AdFormat,
    text: String,
    image_url: Option<String>,
    link_url: String,
    #[schema(value_type = Option<Vec<String>>)]
    tenants: Option<Vec<TenantId>>,
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
    #[serde(default = "yes")]
    enabled: bool,
}

fn yes() -> bool {
    true
}

impl CampaignBody {
    fn input(self) -> CampaignInput {
        CampaignInput {
            name: self.name,
            format: self.format,
            text: self.text,
            image_url: self.image_url,
            link_url: self.link_url,
            tenants: self.tenants,
            starts_at: self.starts_at,
            ends_at: self.ends_at,
            enabled: self.enabled,
        }
    }
}

#[utoipa::path(get, path = "/v1/admin/ads/campaigns", tag = "Admin", description = "Ad campaigns.",
    responses((status = 200, description = "Done", body = Vec<AdCampaign>), (status = "4XX", description = "A refusal (problem+json)", body = ProblemBody, content_type = "application/problem+json")),
    security(("bearer" = [])),
)]
pub(crate) async fn list_campaigns(State(state): State<AppState>, Platform(who): Platform) -> Answer {
    ok(state.tenantry.list_campaigns(&who).await?)
}

#[utoipa::path(post, path = "/v1/admin/ads/campaigns", tag = "Admin", description = "A new campaign.",
    request_body = CampaignBody,
    responses((status = 201, description = "Done", body = AdCampaign), (status = "4XX", description = "A refusal (problem+json)", body = ProblemBody, content_type = "application/problem+json")),
    security(("bearer" = [])),
)]
pub(crate) async fn create_campaign(
    State(state): State<AppState>,
    Platform(who): Platform,
    Body(body): Body<CampaignBody>,
) -> Answer {
    created(state.tenantry.create_campaign(&who, body.input()).await?)
}

#[utoipa::path(get, path = "/v1/admin/ads/campaigns/{cid}", tag = "Admin", description = "A campaign and its counts.",
    params(("cid" = String, Path, format = Uuid, description = "An ad campaign")),
    responses((status = 200, description = "Done", body = CampaignStats), (status = "4XX", description = "A refusal (problem+json)", body = ProblemBody, content_type = "application/problem+json")),
    security(("bearer" = [])),
)]
pub(crate) async fn campaign_stats(
    State(state): State<AppState>,
    Platform(who): Platform,
    Ids(cid): Ids<CampaignId>,
) -> Answer {
    ok(state.tenantry.campaign_stats(&who, cid).await?)
}

#[utoipa::path(put, path = "/v1/admin/ads/campaigns/{cid}", tag = "Admin", description = "Replace a campaign.",
    request_body = CampaignBody,
    params(("cid" = String, Path, format = Uuid, description = "An ad campaign")),
    responses((status = 200, description = "Done", body = AdCampaign), (status = "4XX", description = "A refusal (problem+json)", body = ProblemBody, content_type = "application/problem+json")),
    security(("bearer" = [])),
)]
pub(crate) async fn update_campaign(
    State(state): State<AppState>,
    Platform(who): Platform,
    Ids(cid): Ids<CampaignId>,
    Body(body): Body<CampaignBody>,
) -> Answer {
    ok(state.tenantry.update_campaign(&who, cid, body.input()).await?)
}

#[utoipa::path(delete, path = "/v1/admin/ads/campaigns/{cid}", tag = "Admin", description = "Delete a campaign.",
    params(("cid" = String, Path, format = Uuid, description = "An ad campaign")),
    responses((status = 204, description = "Done"), (status = "4XX", description = "A refusal (problem+json)", body = ProblemBody, content_type = "application/problem+json")),
    security(("bearer" = [])),
)]
pub(crate) async fn delete_campaign(
    State(state): State<AppState>,
    Platform(who): Platform,
    Ids(cid): Ids<CampaignId>,
) -> Answer {
    state.tenantry.delete_campaign(&who, cid).await?;
    no_content()
}

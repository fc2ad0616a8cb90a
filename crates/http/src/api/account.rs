//! Getting in and out: signup, login (with the second factor), refresh, logout, password reset and e-mail verification.

use crate::api::{Answer, Body, Refused, created, no_content, ok};
use crate::auth::{self, Caller, TokenPair, TokenUse};
use crate::client::Client;
use crate::state::AppState;
use axum::extract::State;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use tenantry_domain::{Interval, SubscriptionStatus};
use tenantry_ports::payment::HostedSession;
use tenantry_ports::services::auth::{LoginInput, SignupInput, SignupPlan};
use tenantry_ports::services::views::{TenantView, UserView};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Its routes anyone may call (behind the per-address throttle).
pub(super) fn anonymous() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(signup))
        .routes(routes!(verify_email))
        .routes(routes!(confirm_email_change))
        .routes(routes!(find_workspace))
        .routes(routes!(password_reset))
        .routes(routes!(password_reset_confirm))
        .routes(routes!(login))
        .routes(routes!(mfa_login))
}

/// Its routes.
pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(refresh)).routes(routes!(logout))
}

/// A signup: the tenant, its owner, the owner's tokens, and — under the
/// `required` trial policy — the setup Checkout that starts the trial.
#[derive(Serialize, ToSchema)]
pub(crate) struct SignedUpAnswer {
    /// The new tenant.
    tenant: TenantView,
    /// Its owner.
    user: UserView,
    /// `pending_payment_method` (until the Checkout is completed), `trialing` or `freemium`.
    status: SubscriptionStatus,
    /// The setup Checkout (payment method at signup); absent under cardless
    /// trials, on freemium, or when the provider did not answer
    /// (`POST /v1/tenants/{tid}/billing/checkout` then makes one).
    #[serde(skip_serializing_if = "Option::is_none")]
    checkout: Option<HostedSession>,
    /// The owner's tokens.
    #[serde(flatten)]
    tokens: TokenPair,
}

#[derive(Deserialize, ToSchema)]
pub(crate) struct SignupBody {
    company_name: String,
    slug: String,
    email: String,
    #[schema(value_type = String, format = Password)]
    password: SecretString,
    name: String,
    /// `standard` (the default: a 14-day trial, then the paid plan) or `freemium`.
    #[serde(default)]
    plan: SignupPlan,
    /// The standard plan's interval after the trial: `month` (the default) or `year`.
    #[serde(default = "monthly")]
    #[schema(default = "month")]
    interval: Interval,
    /// A promotion code for the standard plan (refused as on the billing
    /// page: `promotion_code_unknown`, `…_expired`, `…_exhausted`,
    /// `…_inactive`); redeemed when the payment method is on file.
    #[serde(default)]
    promotion_code: Option<String>,
}

fn monthly() -> Interval {
    Interval::Month
}

#[utoipa::path(post, path = "/v1/signup", tag = "Auth", description = "A new tenant, its owner, and tokens. Under the default trial policy (a payment method at signup) the tenant is `pending_payment_method` and `checkout` is a setup Checkout: the 14-day trial starts when it is completed, and until then every tenant route but the tenant, its subscription and `…/billing/checkout` answers 403 `payment_method_required`. Under cardless trials the trial starts at once.",
    request_body = SignupBody,
    responses((status = 201, description = "Done", body = SignedUpAnswer), Refused),
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
        plan: body.plan,
        interval: body.interval,
        promotion_code: body.promotion_code,
        language: crate::l10n::requested(),
    };
    let done = state.tenantry.signup_from(input, &client).await?;
    let tokens = auth::pair(&state.keys, state.clock.as_ref(), &done.principal, 0)?;
    created(SignedUpAnswer {
        tenant: done.tenant,
        user: done.user,
        status: done.status,
        checkout: done.checkout,
        tokens,
    })
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
    responses((status = 204, description = "Done"), Refused),
)]
pub(crate) async fn verify_email(State(state): State<AppState>, Body(body): Body<VerifyEmailBody>) -> Answer {
    state.throttles.account(&state.tenantry, &crate::throttle::link_key(&body.token)).await?;
    state.tenantry.verify_email(&body.token).await?;
    no_content()
}

#[utoipa::path(post, path = "/v1/auth/email-change", tag = "Auth", description = "Moves an account to the new address its mailed code carries (once, within a day; the code reaching that address proves it). `token_used` and `token_expired` when it no longer works; 409 `email_taken` when another account of the workspace took the address meanwhile.",
    request_body = VerifyEmailBody,
    responses((status = 204, description = "Done"), Refused),
)]
pub(crate) async fn confirm_email_change(State(state): State<AppState>, Body(body): Body<VerifyEmailBody>) -> Answer {
    state.throttles.account(&state.tenantry, &crate::throttle::link_key(&body.token)).await?;
    state.tenantry.confirm_email_change(&body.token).await?;
    no_content()
}

/// `POST /v1/auth/find-workspace`'s body.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct FindWorkspaceBody {
    /// The address.
    email: String,
}

#[utoipa::path(post, path = "/v1/auth/find-workspace", tag = "Auth", description = "Mails the address, from each workspace where it has an account, that workspace's name and sign-in link (one mail per workspace). The answer is the same, and as quick, whatever the address: the lookup runs after it.",
    request_body = FindWorkspaceBody,
    responses((status = 204, description = "Done (a mail goes out per workspace, if any, just after)"), Refused),
)]
pub(crate) async fn find_workspace(State(state): State<AppState>, Body(body): Body<FindWorkspaceBody>) -> Answer {
    state.throttles.account(&state.tenantry, &format!("find:{}", body.email.trim().to_lowercase())).await?;
    find_workspaces_later(&state, body.email);
    no_content()
}

/// Looks the address up after the answer (so that neither the answer nor its
/// time tells whether the address has accounts); a failure is logged.
pub(crate) fn find_workspaces_later(state: &AppState, email: String) {
    let tenantry = state.tenantry.clone();
    tokio::spawn(async move {
        if let Err(e) = tenantry.find_workspaces(&email).await {
            tracing::warn!(error = %e, "the workspace lookup failed");
        }
    });
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
    responses((status = 204, description = "Done (a link is mailed if the account exists)"), Refused),
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
    responses((status = 204, description = "Done"), Refused),
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

#[derive(Deserialize, ToSchema)]
pub(crate) struct LoginBody {
    tenant: Option<String>,
    email: String,
    #[schema(value_type = String, format = Password)]
    password: SecretString,
}

#[utoipa::path(post, path = "/v1/auth/login", tag = "Auth", description = "Tokens for a tenant user (tenant = slug) or the superuser (no tenant) — or, when the user has two-factor authentication, `{mfa_required: true, mfa_token}` to finish at `/v1/auth/mfa`.",
    request_body = LoginBody,
    responses((status = 200, description = "Done", body = auth::LoginAnswer), Refused),
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
    responses((status = 200, description = "Logged in", body = TokenPair), Refused),
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
    responses((status = 200, description = "Done", body = TokenPair), Refused),
)]
pub(crate) async fn refresh(State(state): State<AppState>, Body(body): Body<RefreshBody>) -> Answer {
    use secrecy::ExposeSecret;
    let (principal, generation) =
        auth::verify_refresh(&state.keys, state.clock.as_ref(), body.refresh_token.expose_secret())?;
    let next = state.tenantry.refresh(&principal, generation).await?;
    ok(auth::pair(&state.keys, state.clock.as_ref(), &principal, next)?)
}

#[utoipa::path(post, path = "/v1/auth/logout", tag = "Auth", description = "Ends the caller's session: every token of it stops working (their other sessions hold; `DELETE /v1/me/sessions` ends them all).",
    responses((status = 204, description = "Done"), Refused),
    security(("bearer" = [])),
)]
pub(crate) async fn logout(State(state): State<AppState>, Caller(principal): Caller) -> Answer {
    state.tenantry.logout(&principal).await?;
    no_content()
}

//! The caller: `/v1/me`, their sessions, their second factor and the verification mail.

use crate::api::{Answer, Body, Ids, Refused, created, no_content, ok};
use crate::auth::Caller;
use crate::problem::ApiError;
use crate::state::AppState;
use axum::extract::State;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use tenantry_domain::{ApiKeyId, PlatformUserId, TenantId};
use tenantry_ports::services::views::MeView;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Its routes.
pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(me, rename_me))
        .routes(routes!(change_my_password))
        .routes(routes!(change_my_email))
        .routes(routes!(resend_verification))
        .routes(routes!(my_sessions, end_all_sessions))
        .routes(routes!(end_my_session))
        .routes(routes!(mfa_status, mfa_start, mfa_disable))
        .routes(routes!(mfa_confirm))
        .routes(routes!(mfa_recovery_codes))
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

#[utoipa::path(get, path = "/v1/me", tag = "Auth", description = "The caller, their tenant, role and permissions.",
    responses((status = 200, description = "Done", body = MeAnswer), Refused),
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

/// `PATCH /v1/me`'s body: each field left out stays.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct MePatch {
    /// The display name (1 to 100 characters).
    name: Option<String>,
    /// `en` or `nl`; empty: the workspace's.
    language: Option<String>,
    /// An IANA time zone (`Europe/Amsterdam`); empty: the workspace's.
    time_zone: Option<String>,
}

#[utoipa::path(patch, path = "/v1/me", tag = "Auth", description = "Changes the caller's own display name, language and time zone (a user acting for themselves only; audited as `user.profile_changed`). One refused field changes nothing.",
    request_body = MePatch,
    responses((status = 200, description = "Done", body = tenantry_ports::services::views::UserView), Refused),
    security(("bearer" = [])),
)]
pub(crate) async fn rename_me(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Body(body): Body<MePatch>,
) -> Answer {
    let tenantry_ports::Principal::User { tenant_id, .. } = principal else { return Err(ApiError::not_found()) };
    let scope = state.tenantry.authorize(&principal, tenant_id).await?;
    let prefs =
        tenantry_ports::services::profile::PreferencesPatch { language: body.language, time_zone: body.time_zone };
    ok(state.tenantry.update_me(&scope, body.name.as_deref(), &prefs).await?)
}

/// `POST /v1/me/email`'s body.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct EmailChange {
    /// The new address.
    email: String,
    /// The account's password now.
    #[schema(value_type = String, format = Password)]
    password: SecretString,
}

#[utoipa::path(post, path = "/v1/me/email", tag = "Auth", description = "Asks to move the caller's account to a new address, with the current password: a link valid for a day goes to the new address (following it moves the account: `POST /v1/auth/email-change`), and the old address is told. 422 `wrong_password` (audited as failed), `invalid_email`, `same_email`; 409 `email_taken`; nothing changes then.",
    request_body = EmailChange,
    responses((status = 204, description = "Both mails queued in the outbox; the address changes when the link is followed"), Refused),
    security(("bearer" = [])),
)]
pub(crate) async fn change_my_email(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Body(body): Body<EmailChange>,
) -> Answer {
    let tenantry_ports::Principal::User { tenant_id, user_id, .. } = principal else {
        return Err(ApiError::not_found());
    };
    // Guesses of the current password are throttled per account, as logins are.
    state.throttles.account(&state.tenantry, &format!("password:{user_id}")).await?;
    let scope = state.tenantry.authorize(&principal, tenant_id).await?;
    state.tenantry.request_email_change(&scope, &body.email, &body.password).await?;
    no_content()
}

/// `POST /v1/me/password`'s body.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PasswordChange {
    /// The account's password now.
    #[schema(value_type = String, format = Password)]
    current_password: SecretString,
    /// The new one (the platform's policy).
    #[schema(value_type = String, format = Password)]
    new_password: SecretString,
}

#[utoipa::path(post, path = "/v1/me/password", tag = "Auth", description = "Changes the caller's password with the current one. Every session of the account ends — its other browsers and clients, and this token too; the answer is a new token pair of a new session. 422 `wrong_password` (audited as failed) or `weak_password`; nothing changes then.",
    request_body = PasswordChange,
    responses((status = 200, description = "Done", body = crate::auth::TokenPair), Refused),
    security(("bearer" = [])),
)]
pub(crate) async fn change_my_password(
    State(state): State<AppState>,
    Caller(principal): Caller,
    crate::client::Client(client): crate::client::Client,
    Body(body): Body<PasswordChange>,
) -> Answer {
    let tenantry_ports::Principal::User { tenant_id, user_id, .. } = principal else {
        return Err(ApiError::not_found());
    };
    // Guesses of the current password are throttled per account, as logins are.
    state.throttles.account(&state.tenantry, &format!("password:{user_id}")).await?;
    let scope = state.tenantry.authorize(&principal, tenant_id).await?;
    let renewed =
        state.tenantry.change_my_password(&scope, &body.current_password, &body.new_password, &client).await?;
    ok(crate::auth::pair(&state.keys, state.clock.as_ref(), &renewed, 0)?)
}

#[utoipa::path(post, path = "/v1/me/email-verification", tag = "Auth", description = "Mails the caller a new verification code (`already_verified` when the address is proven).",
    responses((status = 204, description = "Queued in the outbox with the change (sent by the job runner, retried; never lost)"), Refused),
    security(("bearer" = [])),
)]
pub(crate) async fn resend_verification(State(state): State<AppState>, Caller(principal): Caller) -> Answer {
    let tenantry_ports::Principal::User { tenant_id, .. } = principal else { return Err(ApiError::not_found()) };
    let scope = state.tenantry.authorize(&principal, tenant_id).await?;
    state.tenantry.resend_verification(&scope).await?;
    no_content()
}

#[utoipa::path(get, path = "/v1/me/sessions", tag = "Auth", description = "The caller's sessions that hold (API clients, browsers, support sessions as them), newest first, the current one marked.",
    responses((status = 200, description = "Done", body = Vec<tenantry_ports::services::sessions::SessionView>), Refused),
    security(("bearer" = [])),
)]
pub(crate) async fn my_sessions(State(state): State<AppState>, Caller(principal): Caller) -> Answer {
    ok(state.tenantry.sessions(&principal).await?)
}

#[utoipa::path(delete, path = "/v1/me/sessions", tag = "Auth", description = "Sign out everywhere: every session of the caller's account ends, this one too (every token issued so far stops working).",
    responses((status = 204, description = "Done"), Refused),
    security(("bearer" = [])),
)]
pub(crate) async fn end_all_sessions(State(state): State<AppState>, Caller(principal): Caller) -> Answer {
    state.tenantry.logout_everywhere(&principal).await?;
    no_content()
}

#[utoipa::path(delete, path = "/v1/me/sessions/{sid}", tag = "Auth", description = "Ends one of the caller's sessions (another's id is 404).",
    params(("sid" = String, Path, format = Uuid, description = "The session")),
    responses((status = 204, description = "Done"), Refused),
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

#[utoipa::path(get, path = "/v1/me/mfa", tag = "Auth", description = "The caller's two-factor authentication: enabled, pending, required by the platform, recovery codes left.",
    responses((status = 200, description = "Done", body = tenantry_ports::services::mfa::MfaStatus), Refused),
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
    responses((status = 201, description = "Started", body = tenantry_ports::services::mfa::MfaEnrolment), Refused),
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
    responses((status = 200, description = "Enabled", body = tenantry_ports::services::mfa::RecoveryCodes), Refused),
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
    responses((status = 200, description = "Renewed", body = tenantry_ports::services::mfa::RecoveryCodes), Refused),
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
    responses((status = 204, description = "Off"), Refused),
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

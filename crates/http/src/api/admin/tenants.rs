//! The superuser's tenants: list, create, read, change, delete, impersonate, reset a user's password or second factor.

use crate::api::{Answer, Body, Ids, Params, Refused, TenantPath, created, no_content, ok};
use crate::auth::{self, InTenant, Platform};
use crate::state::AppState;
use axum::extract::State;
use chrono::{DateTime, Utc};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use tenantry_domain::{SubscriptionStatus, TenantId, UserId};
use tenantry_ports::directory::{TenantListQuery, TenantSummary};
use tenantry_ports::services::admin::{AdminNewTenant, AdminTenantPatch, TenantDetail};
use tenantry_ports::services::views::{TenantView, UserView};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Its routes.
pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(admin_tenants, admin_create_tenant))
        .routes(routes!(admin_tenant, admin_patch_tenant, admin_delete_tenant))
        .routes(routes!(impersonate))
        .routes(routes!(admin_reset_mfa))
        .routes(routes!(admin_password_reset))
}

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
    responses((status = 200, description = "Done", body = Vec<TenantSummary>), Refused),
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

/// A tenant the superuser created, with its admin (the owner).
#[derive(Serialize, ToSchema)]
pub(crate) struct CreatedTenant {
    /// The new tenant.
    tenant: TenantView,
    /// Its admin.
    user: UserView,
}

#[utoipa::path(post, path = "/v1/admin/tenants", tag = "Admin", description = "Create a tenant with its admin.",
    request_body = NewTenantBody,
    responses((status = 201, description = "Done", body = CreatedTenant), Refused),
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
    params(TenantPath),
    responses((status = 200, description = "Done", body = TenantDetail), Refused),
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
    /// Pause (`true`) or resume (`false`) collecting the paid plan's invoices, without suspending.
    collection_paused: Option<bool>,
    /// The paid plan free for this many months from now (1 to 36).
    comp_months: Option<u32>,
}

#[utoipa::path(patch, path = "/v1/admin/tenants/{tid}", tag = "Admin", description = "Suspend (a paying tenant's collection pauses too; resuming clears it), pause or resume collection alone, comp the paid plan for some months, override quotas, move the trial end, force freemium.",
    request_body = AdminPatchBody,
    params(TenantPath),
    responses((status = 200, description = "Done", body = TenantDetail), Refused),
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
        collection_paused: body.collection_paused,
        comp_months: body.comp_months,
    };
    let detail = state.tenantry.admin_update_tenant(&scope, patch).await?;
    // A new quota takes effect at this instance's next request (others within their cache's 30 s).
    state.limits.forget(scope.tenant_id());
    ok(detail)
}

#[utoipa::path(delete, path = "/v1/admin/tenants/{tid}", tag = "Admin", description = "Delete a tenant (purged after retention).",
    params(TenantPath),
    responses((status = 204, description = "Done"), Refused),
    security(("bearer" = [])),
)]
pub(crate) async fn admin_delete_tenant(State(state): State<AppState>, InTenant(scope): InTenant) -> Answer {
    state.tenantry.admin_delete_tenant(&scope).await?;
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
    params(TenantPath),
    responses((status = 201, description = "Done", body = crate::auth::ImpersonationToken), Refused),
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
    params(TenantPath, ("uid" = String, Path, format = Uuid, description = "A user of the tenant")),
    responses((status = 204, description = "Removed"), Refused),
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
    params(TenantPath, ("uid" = String, Path, format = Uuid, description = "A user of the tenant")),
    responses((status = 204, description = "Queued in the outbox with the change (sent by the job runner, retried; never lost)"), Refused),
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

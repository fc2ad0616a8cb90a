//! The OpenAPI 3.1 document, generated from the handlers' annotations, served
//! at `/openapi.json`, with Swagger UI at `/docs` (assets vendored in the
//! binary: nothing is fetched at build or run time).
//!
//! Request bodies, parameters, statuses, the problem+json error body and every
//! success body are described exactly: the views of `tenantry-ports` and the
//! domain types in them derive `utoipa::ToSchema` under their crates' `openapi`
//! feature (which this crate enables), the answers built in [`routes`] are typed
//! structs, and each schema is what serde writes (hand-written where a derive
//! would not be: `RoleRef`, `AuditAction`).

use crate::routes;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

/// The document.
#[derive(OpenApi)]
#[openapi(
    info(title = "tenantry", description = "The multi-tenant core of a SaaS product: the v1 API."),
    paths(
        routes::healthz, routes::readyz, routes::billing_return,
        routes::signup, routes::login, routes::refresh, routes::logout, routes::me, routes::my_sessions,
        routes::end_all_sessions, routes::end_my_session,
        routes::password_reset, routes::password_reset_confirm, routes::admin_password_reset, routes::admin_reset_mfa,
        routes::verify_email, routes::resend_verification, routes::impersonate,
        routes::get_tenant, routes::patch_tenant,
        routes::list_users, routes::get_user, routes::patch_user, routes::delete_user, routes::transfer_owner,
        routes::list_invitations, routes::invite, routes::revoke_invitation, routes::resend_invitation,
        routes::accept_invitation,
        routes::list_api_keys, routes::create_api_key, routes::revoke_api_key,
        routes::list_roles, routes::create_role, routes::patch_role, routes::delete_role,
        routes::subscription, routes::preview, routes::change_seats, routes::change_plan, routes::cancel,
        routes::continue_free, routes::checkout, routes::portal, routes::invoices, crate::webhooks::stripe,
        routes::audit_events, routes::usage,
        routes::erase_user, routes::request_deletion, routes::cancel_deletion, routes::request_export, routes::list_exports, routes::export_status, routes::download_export, routes::ad_decision, routes::ad_impression, routes::ad_click,
        routes::admin_tenants, routes::admin_create_tenant, routes::admin_tenant, routes::admin_patch_tenant,
        routes::admin_delete_tenant, routes::admin_stats, routes::admin_audit, routes::admin_jobs, routes::admin_retry_job,
        routes::admin_backup, routes::admin_restore, routes::admin_settings, routes::admin_patch_settings,
        routes::mfa_login, routes::mfa_status, routes::mfa_start, routes::mfa_confirm, routes::mfa_recovery_codes,
        routes::mfa_disable,
        routes::list_campaigns, routes::create_campaign, routes::campaign_stats, routes::update_campaign,
        routes::delete_campaign,
        routes::my_notifications, routes::patch_my_notifications, routes::unsubscribe,
        routes::admin_preview_broadcast, routes::admin_send_broadcast,
    ),
    modifiers(&BearerAuth)
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).bearer_format("JWT").build()),
        );
    }
}

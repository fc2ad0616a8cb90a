//! Invitations: issue, list, resend, revoke, and accept (anonymous, with the mailed code).

use crate::api::{Answer, Body, Ids, Params, Refused, TenantPath, created, ok};
use crate::auth::{self, InTenant, TokenPair};
use crate::client::Client;
use crate::state::AppState;
use axum::extract::State;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use tenantry_domain::{InvitationId, TenantId};
use tenantry_ports::services::invitations::{AcceptInput, InvitationIssued, InviteInput};
use tenantry_ports::services::views::{InvitationView, UserView};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Its routes under `/v1/tenants/{tid}` (the tenant's rate limit and its headers).
pub(super) fn tenant() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_invitations, invite))
        .routes(routes!(revoke_invitation))
        .routes(routes!(resend_invitation))
}

/// Its routes anyone may call (behind the per-address throttle).
pub(super) fn anonymous() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(accept_invitation))
}

#[derive(Deserialize, Default, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct InvitationsQuery {
    #[serde(default)]
    all: bool,
}

#[utoipa::path(get, path = "/v1/tenants/{tid}/invitations", tag = "Invitations", description = "Pending invitations (all with all=true).",
    params(TenantPath, InvitationsQuery),
    responses((status = 200, description = "Done", body = Vec<InvitationView>), Refused),
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
    params(TenantPath),
    responses((status = 201, description = "Done", body = InvitationIssued), Refused),
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
    params(TenantPath, ("iid" = String, Path, format = Uuid, description = "An invitation of the tenant")),
    responses((status = 200, description = "Done", body = InvitationView), Refused),
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
    params(TenantPath, ("iid" = String, Path, format = Uuid, description = "An invitation of the tenant")),
    responses((status = 200, description = "Done", body = InvitationIssued), Refused),
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

/// An accepted invitation: the new user and their tokens.
#[derive(Serialize, ToSchema)]
pub(crate) struct AcceptedAnswer {
    /// The new user.
    user: UserView,
    /// Their tokens.
    #[serde(flatten)]
    tokens: TokenPair,
}

#[utoipa::path(post, path = "/v1/invitations/accept", tag = "Invitations", description = "Accept with the mailed token: the new user and tokens.",
    request_body = AcceptBody,
    responses((status = 201, description = "Done", body = AcceptedAnswer), Refused),
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

//! The OpenAPI 3.1 document, generated from the handlers' annotations, served
//! at `/openapi.json`, with Swagger UI at `/docs` (assets vendored in the
//! binary: nothing is fetched at build or run time).
//!
//! Request bodies, parameters, statuses, the problem+json error body and every
//! success body are described exactly: the views of `tenantry-ports` and the
//! domain types in them derive `utoipa::ToSchema` under their crates' `openapi`
//! feature (which this crate enables), the answers built in the handlers are typed
//! structs, and each schema is what serde writes (hand-written where a derive
//! would not be: `RoleRef`, `AuditAction`).

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

/// The document's frame: its title and security scheme (the paths come from
/// the resource modules' routers; see [`document`]).
#[derive(OpenApi)]
#[openapi(
    info(title = "tenantry", description = "The multi-tenant core of a SaaS product: the v1 API."),
    components(schemas(crate::problem::ProblemBody)),
    modifiers(&BearerAuth)
)]
pub struct ApiDoc;

/// The document: the frame with every v1 route the router serves.
pub fn document() -> utoipa::openapi::OpenApi {
    let crate::api::Api { anonymous, tenant, other } = crate::api::api();
    utoipa_axum::router::OpenApiRouter::<crate::AppState>::with_openapi(ApiDoc::openapi())
        .merge(anonymous)
        .merge(tenant)
        .merge(other)
        .into_openapi()
}

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

//! The v1 API, one module per resource. Each module's handlers parse the
//! request, call one use case, and answer its view as JSON (or its typed error
//! as problem+json); no rule lives here. Each module owns its router, written
//! once with `utoipa_axum::routes!` from the handlers' `#[utoipa::path]`
//! attributes, so the route table and the OpenAPI document cannot disagree.
//!
//! Routes fall in three audiences, each with its own layer: anyone's (the
//! per-address throttle), a tenant's under `/v1/tenants/{tid}` (the tenant's
//! rate limit headers, and a product's own routes beside them), and the rest
//! (the caller's own, the platform's, health and webhooks).

pub(crate) mod account;
mod admin;
mod ads;
mod api_keys;
mod audit;
mod exports;
mod files;
mod health;
mod invitations;
mod me;
mod notifications;
mod roles;
mod subscription;
mod tenant;
mod users;
mod webhooks;

pub(crate) use exports::export_download;
pub(crate) use files::{file_download, multipart_upload};

/// What every operation may refuse with, in the document: 4XX as problem+json
/// (`ProblemBody`), written once instead of in every operation's attribute.
pub(crate) struct Refused;

impl utoipa::IntoResponses for Refused {
    fn responses() -> std::collections::BTreeMap<String, utoipa::openapi::RefOr<utoipa::openapi::response::Response>> {
        let content = utoipa::openapi::ContentBuilder::new()
            .schema(Some(utoipa::openapi::Ref::from_schema_name("ProblemBody")))
            .build();
        let refusal = utoipa::openapi::ResponseBuilder::new()
            .description("A refusal (problem+json)")
            .content("application/problem+json", content)
            .build();
        std::collections::BTreeMap::from([("4XX".to_owned(), refusal.into())])
    }
}

/// The tenant in an operation's path (`{tid}`), in the document.
pub(crate) struct TenantPath;

impl utoipa::IntoParams for TenantPath {
    fn into_params(
        _: impl Fn() -> Option<utoipa::openapi::path::ParameterIn>,
    ) -> Vec<utoipa::openapi::path::Parameter> {
        use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
        let uuid =
            ObjectBuilder::new().schema_type(Type::String).format(Some(SchemaFormat::KnownFormat(KnownFormat::Uuid)));
        vec![
            utoipa::openapi::path::ParameterBuilder::new()
                .name("tid")
                .parameter_in(utoipa::openapi::path::ParameterIn::Path)
                .description(Some("The tenant"))
                .required(utoipa::openapi::Required::True)
                .schema(Some(uuid))
                .build(),
        ]
    }
}

use crate::problem::ApiError;
use crate::state::AppState;
use axum::extract::{FromRequest, Path, Query, Request};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use utoipa_axum::router::OpenApiRouter;

/// The v1 API's routes by audience, before their layers.
pub(crate) struct Api {
    /// What anyone may call.
    pub anonymous: OpenApiRouter<AppState>,
    /// What lies under `/v1/tenants/{tid}`.
    pub tenant: OpenApiRouter<AppState>,
    /// The rest.
    pub other: OpenApiRouter<AppState>,
}

/// Every v1 route, from the resource modules.
pub(crate) fn api() -> Api {
    Api {
        anonymous: OpenApiRouter::new()
            .merge(account::anonymous())
            .merge(invitations::anonymous())
            .merge(notifications::anonymous()),
        tenant: OpenApiRouter::new()
            .merge(tenant::tenant())
            .merge(users::tenant())
            .merge(invitations::tenant())
            .merge(roles::tenant())
            .merge(api_keys::tenant())
            .merge(files::tenant())
            .merge(subscription::tenant())
            .merge(exports::tenant())
            .merge(audit::tenant())
            .merge(ads::tenant()),
        other: OpenApiRouter::new()
            .merge(health::routes())
            .merge(account::routes())
            .merge(me::routes())
            .merge(notifications::routes())
            .merge(subscription::routes())
            .merge(webhooks::routes())
            // The public logo: loaded by every page and mail client, cached a day (its address
            // changes with each logo), hashing nothing — not behind the sign-in paths' per-address
            // throttle, which an office behind one address would exhaust in a minute.
            .merge(files::public())
            .merge(admin::routes()),
    }
}

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

pub(crate) type Answer = Result<Response, ApiError>;

pub(crate) fn ok(value: impl serde::Serialize) -> Answer {
    Ok(axum::Json(value).into_response())
}

pub(crate) fn created(value: impl serde::Serialize) -> Answer {
    Ok((StatusCode::CREATED, axum::Json(value)).into_response())
}

pub(crate) fn no_content() -> Answer {
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `absent` → `None` (unchanged), `null` → `Some(None)` (cleared), a value → `Some(Some(v))`.
pub(crate) mod double_option {
    use serde::{Deserialize, Deserializer};
    pub(crate) fn deserialize<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
    where
        D: Deserializer<'de>,
        T: Deserialize<'de>,
    {
        Option::<T>::deserialize(d).map(Some)
    }
}

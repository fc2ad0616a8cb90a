//! The platform's superuser API under `/v1/admin`.

mod backups;
mod broadcasts;
mod campaigns;
mod jobs;
mod platform;
mod promotions;
mod tenants;

use crate::state::AppState;
use utoipa_axum::router::OpenApiRouter;

/// Every `/v1/admin` route.
pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(tenants::routes())
        .merge(backups::routes())
        .merge(jobs::routes())
        .merge(platform::routes())
        .merge(broadcasts::routes())
        .merge(campaigns::routes())
        .merge(promotions::routes())
}

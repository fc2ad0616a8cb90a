//! The signed-in person's own pages under `/account`: two-factor
//! authentication and mail preferences (their sessions are `session`'s).

mod mfa;
mod notifications;

use crate::state::AppState;
use axum::Router;

/// Its pages.
pub(super) fn routes() -> Router<AppState> {
    Router::new().merge(mfa::routes()).merge(notifications::routes())
}

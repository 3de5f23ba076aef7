//! The policy library and the plain-words explanation of a policy's criteria.

pub mod explain;
pub mod library;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;

/// The policy library.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(library::library))
        .routes(routes!(library::policy))
}

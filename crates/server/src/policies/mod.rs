//! The policy library, the plain-words explanation of a policy's criteria, and following
//! categories to hear of new policies.

pub mod explain;
pub mod follows;
pub mod library;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;

/// The policy library, and following its categories.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(library::library))
        .routes(routes!(library::policy))
        .routes(routes!(follows::follows, follows::set_follows))
        .routes(routes!(follows::notices))
}

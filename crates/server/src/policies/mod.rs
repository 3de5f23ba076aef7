//! The policy library, the plain-words explanation of a policy's criteria, and following
//! categories to hear of new policies.

pub mod admin;
pub mod approval;
pub mod drafting;
pub mod evaluation;
pub mod explain;
pub mod follows;
pub mod library;
pub mod sandbox;
pub mod store;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;

/// The policy library, and following its categories.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(library::library))
        .routes(routes!(library::policy))
        .routes(routes!(library::policy_set))
        .routes(routes!(follows::follows, follows::set_follows))
        .routes(routes!(follows::notices))
        .routes(routes!(admin::list, drafting::create))
        .routes(routes!(admin::version, drafting::save))
        .routes(routes!(drafting::revise))
        .routes(routes!(drafting::submit))
        .routes(routes!(approval::send_back))
        .routes(routes!(approval::approve))
        .routes(routes!(approval::retire))
        .routes(routes!(sandbox::impact))
        .routes(routes!(evaluation::evaluation))
        .routes(routes!(evaluation::record))
}

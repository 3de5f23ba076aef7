//! The departments' shared data: what is known of each resident and enterprise, with its
//! source, and the feeds through which departments push it.

pub mod feeds;
pub mod known;
pub mod store;

use axum::extract::DefaultBodyLimit;
use futures_util::future::BoxFuture;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;

/// What runs after the departments' data changed some subjects, before the feed answers. The
/// data feature knows nothing of what others make of its data; the server puts matching here
/// (`AppState::after_data_change`).
pub trait AfterChange: Send + Sync {
    fn after_change<'a>(&'a self, state: &'a AppState, subjects: &'a [i64]) -> BoxFuture<'a, ()>;
}

/// The departments' feeds, with larger bodies than the rest of the API.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(feeds::push))
        .layer(DefaultBodyLimit::max(feeds::FEED_BODY_LIMIT))
}

//! Subsidies: matching people to policies, grants and their life, consent, payments through
//! the treasury, objections, and the person's home and receipts.

pub mod grant_life;
pub mod grant_moves;
pub mod handlers;
pub mod matching;
pub mod objections;
pub mod payments;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;

/// The person's subsidies, the disbursement desk and objections.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(handlers::home))
        .routes(routes!(handlers::notifications))
        .routes(routes!(handlers::read_notifications))
        .routes(routes!(handlers::check))
        .routes(routes!(handlers::apply))
        .routes(routes!(handlers::grant))
        .routes(routes!(handlers::consent))
        .routes(routes!(handlers::decline))
        .routes(routes!(handlers::disbursement))
        .routes(routes!(handlers::retry_payment))
        .routes(routes!(handlers::stream))
        .routes(routes!(objections::create))
        .routes(routes!(objections::mine))
        .routes(routes!(objections::for_department))
        .routes(routes!(objections::answer))
}

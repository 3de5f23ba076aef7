//! Subsidies (免申即享, 秒报秒批秒付): matching people to policies ([`matching`], [`monthly`]),
//! writing grants ([`grants`]) and moving them through their life ([`grant_life`], the table;
//! [`grant_moves`], the one place a status changes), receipts, payments through the treasury,
//! objections, and what people see ([`home`], [`decisions`]) and staff ([`disbursement`]).
//! Applications a department reviews (线上申报): [`claims`] (the applicant's side and every
//! step), [`claim_review`] (the department's queue and decisions), [`claim_steps`] (every step), [`claim_life`] (the table).
//! [`beneficiary::Beneficiary`] says whose subsidies a request is about.

pub mod beneficiary;
pub mod claim_life;
pub mod claim_review;
pub mod claim_steps;
pub mod claims;
pub mod decisions;
pub mod disbursement;
pub mod grant_life;
pub mod grant_moves;
pub mod grants;
pub mod home;
pub mod matching;
pub mod monthly;
pub mod objections;
pub mod payments;
pub mod policy_changes;
pub mod receipts;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;

/// The person's subsidies, the disbursement desk and objections.
pub fn router() -> OpenApiRouter<AppState> {
    // Uploads: bodies up to the upload limit, read by the handler (which answers over-size
    // files itself, in words).
    let upload_routes = OpenApiRouter::new()
        .routes(routes!(claims::upload_material))
        .layer(axum::extract::DefaultBodyLimit::disable());
    OpenApiRouter::new()
        .routes(routes!(home::home))
        .routes(routes!(home::notifications))
        .routes(routes!(home::read_notifications))
        .routes(routes!(decisions::check))
        .routes(routes!(decisions::apply))
        .routes(routes!(decisions::grant))
        .routes(routes!(decisions::decide))
        .routes(routes!(disbursement::disbursement))
        .routes(routes!(disbursement::retry_payment))
        .routes(routes!(home::stream))
        .routes(routes!(objections::create))
        .routes(routes!(objections::mine))
        .routes(routes!(objections::for_department))
        .routes(routes!(objections::answer))
        .routes(routes!(claims::start))
        .routes(routes!(claims::mine))
        .routes(routes!(claims::claim))
        .routes(routes!(claims::answers))
        .routes(routes!(claims::material_file))
        .routes(routes!(claims::applicant_step))
        .routes(routes!(claim_review::queue))
        .routes(routes!(claim_review::claim))
        .routes(routes!(claim_review::material))
        .routes(routes!(claim_review::step))
        .merge(upload_routes)
}

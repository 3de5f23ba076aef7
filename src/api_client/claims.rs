//! 线上申报: applications for subsidies a department reviews, and the department's queue.

use std::collections::BTreeMap;

use api::claim::{Claim, ClaimAnswers, ClaimQueue, ClaimStepRequest, ClaimSummary};

use super::Call;
use crate::route::encode;

/// `POST /api/policies/{id}/claims`: starts an application (or opens this period's).
pub fn start_claim(policy: &str) -> Call<Claim> {
    Call::post_empty(format!("/api/policies/{}/claims", encode(policy)))
}

/// `GET /api/claims`: the caller's applications.
pub fn my_claims() -> Call<Vec<ClaimSummary>> {
    Call::get("/api/claims".to_owned())
}

/// `GET /api/claims/{id}`.
pub fn claim(id: i64) -> Call<Claim> {
    Call::get(format!("/api/claims/{id}"))
}

/// `PUT /api/claims/{id}/answers`.
pub fn save_claim_answers(id: i64, answers: &BTreeMap<String, String>) -> Call<Claim> {
    Call::put(
        format!("/api/claims/{id}/answers"),
        &ClaimAnswers {
            answers: answers.clone(),
        },
    )
}

/// `PUT /api/claims/{id}/materials/{material}`.
pub fn upload_claim_material(id: i64, code: &str, file: web_sys::File) -> Call<Claim> {
    let path = format!(
        "/api/claims/{id}/materials/{}?name={}",
        encode(code),
        encode(&file.name())
    );
    Call::new("PUT", path, super::Body::File(file))
}

/// The address of one of the caller's uploaded materials.
pub fn claim_material_url(id: i64, code: &str) -> String {
    format!("/api/claims/{id}/materials/{}", encode(code))
}

/// `POST /api/claims/{id}/steps`: submit or withdraw.
pub fn claim_step(id: i64, body: &ClaimStepRequest) -> Call<Claim> {
    Call::post(format!("/api/claims/{id}/steps"), body)
}

/// `GET /api/staff/claims`: the reviewer's queue.
pub fn claim_queue() -> Call<ClaimQueue> {
    Call::get("/api/staff/claims".to_owned())
}

/// `GET /api/staff/claims/{id}`.
pub fn claim_for_review(id: i64) -> Call<Claim> {
    Call::get(format!("/api/staff/claims/{id}"))
}

/// The address of a material, for the reviewer (the read is logged).
pub fn claim_review_material_url(id: i64, code: &str) -> String {
    format!("/api/staff/claims/{id}/materials/{}", encode(code))
}

/// `POST /api/staff/claims/{id}/steps`: approve, return or reject.
pub fn review_claim(id: i64, body: &ClaimStepRequest) -> Call<Claim> {
    Call::post(format!("/api/staff/claims/{id}/steps"), body)
}

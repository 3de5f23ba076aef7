//! Policy administration (staff): policies and their versions, drafts, approval, retirement,
//! and the impact sandbox.

use api::policy_admin::{
    AdminPolicy, Approval, DraftSource, Impact, Retirement, ReturnDraft, VersionDetail, VersionInfo,
};

use super::Call;
use crate::route::encode;

fn version_path(id: &str, version: u32) -> String {
    format!("/api/staff/policies/{}/versions/{version}", encode(id))
}

/// `GET /api/staff/policies`.
pub fn admin_policies() -> Call<Vec<AdminPolicy>> {
    Call::get("/api/staff/policies".to_owned())
}

/// `POST /api/staff/policies`: a new policy's first draft.
pub fn new_policy(source: &str) -> Call<VersionDetail> {
    Call::post(
        "/api/staff/policies".to_owned(),
        &DraftSource {
            source: source.to_owned(),
        },
    )
}

/// `POST /api/staff/policies/{id}/drafts`: a revision of the version in force.
pub fn revise_policy(id: &str) -> Call<VersionDetail> {
    Call::post_empty(format!("/api/staff/policies/{}/drafts", encode(id)))
}

/// `GET /api/staff/policies/{id}/versions/{version}`.
pub fn policy_version(id: &str, version: u32) -> Call<VersionDetail> {
    Call::get(version_path(id, version))
}

/// `PUT …/versions/{version}`: saves a draft's file.
pub fn save_policy_draft(id: &str, version: u32, source: &str) -> Call<VersionDetail> {
    Call::put(
        version_path(id, version),
        &DraftSource {
            source: source.to_owned(),
        },
    )
}

/// `POST …/submit`.
pub fn submit_policy(id: &str, version: u32) -> Call<VersionDetail> {
    Call::post_empty(format!("{}/submit", version_path(id, version)))
}

/// `POST …/return`.
pub fn return_policy(id: &str, version: u32, reason: &str) -> Call<VersionDetail> {
    Call::post(
        format!("{}/return", version_path(id, version)),
        &ReturnDraft {
            reason: reason.to_owned(),
        },
    )
}

/// `POST …/approve`.
pub fn approve_policy(id: &str, version: u32, from: api::Date) -> Call<VersionDetail> {
    Call::post(
        format!("{}/approve", version_path(id, version)),
        &Approval {
            effective_from: from,
        },
    )
}

/// `POST /api/staff/policies/{id}/retire`.
pub fn retire_policy(id: &str, retirement: &Retirement) -> Call<Vec<VersionInfo>> {
    Call::post(
        format!("/api/staff/policies/{}/retire", encode(id)),
        retirement,
    )
}

/// `POST …/impact`: the impact sandbox.
pub fn policy_impact(id: &str, version: u32) -> Call<Impact> {
    Call::post_empty(format!("{}/impact", version_path(id, version)))
}

/// `GET /api/staff/policies/{id}/evaluation`: how each published version has done.
pub fn policy_evaluation(id: &str) -> Call<api::policy_admin::Evaluation> {
    Call::get(format!("/api/staff/policies/{}/evaluation", encode(id)))
}

/// `POST /api/staff/policies/{id}/evaluations`: records an evaluation.
pub fn record_evaluation(
    id: &str,
    body: &api::policy_admin::NewEvaluation,
) -> Call<api::policy_admin::Evaluation> {
    Call::post(
        format!("/api/staff/policies/{}/evaluations", encode(id)),
        body,
    )
}

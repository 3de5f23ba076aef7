//! The policy library, and subsidies: the home, grants, checks, 申报, objections, the
//! disbursement board and live updates.

use api::policy::PolicyInfo;
use api::subsidy::{
    ApplyResult, Disbursement, GrantDecision, GrantDetail, GrantSummary, Home, NewObjection,
    Objection, PolicyCheck,
};

use super::{Call, Events};
use crate::route::encode;

/// What the policy library is asked for: words, and the value of each filter (empty for all).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PolicySearch {
    pub q: String,
    pub audience: String,
    pub mode: String,
    pub status: String,
}

/// `GET /api/policies?q=&audience=&mode=&status=`: the policy library.
pub fn policies(search: &PolicySearch) -> Call<Vec<PolicyInfo>> {
    Call::get(format!(
        "/api/policies?q={}&audience={}&mode={}&status={}",
        encode(search.q.trim()),
        encode(&search.audience),
        encode(&search.mode),
        encode(&search.status)
    ))
}

/// `GET /api/policies/{id}`: one policy.
pub fn policy(id: &str) -> Call<PolicyInfo> {
    Call::get(format!("/api/policies/{}", encode(id)))
}

/// `GET /api/policy-set`: the published policies' files, for the calculator (the browser's
/// cache keeps them until the set changes: the server answers 304 to its ETag).
#[cfg(feature = "selfcheck")]
pub fn policy_set() -> Call<api::policy::PolicySet> {
    Call::get("/api/policy-set".to_owned())
}

/// `GET /api/policies/{id}/check`: whether the signed-in person qualifies, and why.
pub fn policy_check(id: &str) -> Call<PolicyCheck> {
    Call::get(format!("/api/policies/{}/check", encode(id)))
}

/// `POST /api/policies/{id}/apply`: 申报 for a policy decided at once.
pub fn apply(id: &str) -> Call<ApplyResult> {
    Call::post_empty(format!("/api/policies/{}/apply", encode(id)))
}

/// `GET /api/objections`: the objections the person has sent.
pub fn objections() -> Call<Vec<Objection>> {
    Call::get("/api/objections".to_owned())
}

/// `POST /api/policies/{id}/objections`: "I think I qualify" or "my data is wrong".
pub fn object(policy: &str, body: &NewObjection) -> Call<Objection> {
    Call::post(format!("/api/policies/{}/objections", encode(policy)), body)
}

/// `GET /api/home`: a resident's or enterprise's subsidies.
pub fn home() -> Call<Home> {
    Call::get("/api/home".to_owned())
}

/// `GET /api/grants/{id}`: a grant's receipt.
pub fn grant(id: i64) -> Call<GrantDetail> {
    Call::get(format!("/api/grants/{id}"))
}

/// `POST /api/grants/{id}/{decision}`: consent to a grant or decline it.
pub fn decide(id: i64, decision: GrantDecision) -> Call<GrantSummary> {
    Call::post_empty(format!("/api/grants/{id}/{}", decision.as_str()))
}

/// `POST /api/notifications/read`: marks every message read.
pub fn read_notifications() -> Call<()> {
    Call::post_empty("/api/notifications/read".to_owned())
}

/// `GET /api/staff/disbursement`: the policy administrators' board.
pub fn disbursement() -> Call<Disbursement> {
    Call::get("/api/staff/disbursement".to_owned())
}

/// `POST /api/staff/payments/{id}/retry`: queues a failed payment again.
pub fn retry_payment(id: i64) -> Call<()> {
    Call::post_empty(format!("/api/staff/payments/{id}/retry"))
}

/// `GET /api/events`: live word that something of the signed-in person's changed.
pub fn events() -> Events {
    Events {
        path: "/api/events".to_owned(),
    }
}

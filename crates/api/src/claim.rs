//! 线上申报: applying for a policy that staff review (mode `apply_reviewed`): the policy's
//! questions and materials, the department's review against a working-day deadline, and the
//! grant an approval makes. Dates are `YYYY-MM-DD` in Asia/Shanghai; times UTC RFC 3339.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::licence::{FieldProblem, ItemReason, MaterialNeed, Question};
use crate::policy::{Audience, Bilingual};
use crate::subsidy::{GrantSummary, PolicyCheck};

/// Where an application under review stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ClaimStatus {
    /// Being filled in by the applicant.
    Draft,
    /// With the department, its clock running.
    Submitted,
    /// Sent back to the applicant to correct (补正); the clock starts again on resubmission.
    Returned,
    /// Granted: the grant pays like any other.
    Approved,
    Rejected,
    /// Given up by the applicant before a decision.
    Withdrawn,
}

impl ClaimStatus {
    pub const ALL: [ClaimStatus; 6] = [
        ClaimStatus::Draft,
        ClaimStatus::Submitted,
        ClaimStatus::Returned,
        ClaimStatus::Approved,
        ClaimStatus::Rejected,
        ClaimStatus::Withdrawn,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ClaimStatus::Draft => "draft",
            ClaimStatus::Submitted => "submitted",
            ClaimStatus::Returned => "returned",
            ClaimStatus::Approved => "approved",
            ClaimStatus::Rejected => "rejected",
            ClaimStatus::Withdrawn => "withdrawn",
        }
    }

    pub fn parse(s: &str) -> Option<ClaimStatus> {
        ClaimStatus::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// What someone does to an application.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ClaimAction {
    /// The applicant sends it (or sends it again after a return).
    Submit,
    /// The applicant gives it up.
    Withdraw,
    /// The reviewer sends it back with reasons.
    Return,
    /// The reviewer grants it.
    Approve,
    /// The reviewer refuses it, with the reason.
    Reject,
}

impl ClaimAction {
    pub fn as_str(self) -> &'static str {
        match self {
            ClaimAction::Submit => "submit",
            ClaimAction::Withdraw => "withdraw",
            ClaimAction::Return => "return",
            ClaimAction::Approve => "approve",
            ClaimAction::Reject => "reject",
        }
    }
}

/// One step of an application's history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ClaimStep {
    /// `start` or a [`ClaimAction`].
    pub action: String,
    pub status: ClaimStatus,
    /// `applicant`, `reviewer` or `system`.
    pub actor: String,
    /// The reviewer's name, to staff only.
    pub actor_name: Option<String>,
    pub at: String,
    pub reason: Option<String>,
    pub items: Vec<ItemReason>,
}

/// One application under review, as its applicant or a reviewer sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Claim {
    pub id: i64,
    /// The number the applicant quotes, e.g. `SB-20261202-0003`.
    pub number: String,
    pub policy: String,
    pub policy_version: u32,
    pub name: Bilingual,
    /// The department that reviews it.
    pub department: Bilingual,
    pub audience: Audience,
    /// Whom it is for: the enterprise's name, or the resident's name (masked to staff).
    pub applicant: String,
    pub period: String,
    pub status: ClaimStatus,
    /// What the rules give on the departments' data now (the approval pays what they give then).
    pub amount_fen: Option<i64>,
    pub questions: Vec<Question>,
    pub answers: BTreeMap<String, String>,
    pub problems: Vec<FieldProblem>,
    pub materials: Vec<MaterialNeed>,
    /// Every answer and material is there and valid: it can be submitted (`blocking` is empty).
    pub ready: bool,
    /// What stops it being sent: each missing or wrong answer (on its question's key), then
    /// each document not uploaded or returned (on `materials.{code}`).
    pub blocking: Vec<FieldProblem>,
    /// The working days the department has, from each (re)submission.
    pub review_days: u32,
    pub created_at: String,
    pub submitted_at: Option<String>,
    /// The date the department decides by, while it is with them.
    pub due_on: Option<String>,
    /// Working days left to `due_on` (negative: overdue).
    pub working_days_left: Option<i64>,
    /// The latest return's or rejection's reason.
    pub reason: Option<String>,
    /// The grant an approval made, and where its payment stands.
    pub grant: Option<GrantSummary>,
    pub steps: Vec<ClaimStep>,
    /// What the viewer may do now.
    pub actions: Vec<ClaimAction>,
    /// For reviewers: the rules' check on the departments' data now, criterion by criterion.
    pub check: Option<PolicyCheck>,
}

/// An application in a list: the applicant's, or a reviewer's queue (overdue first, then by
/// due date).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ClaimSummary {
    pub id: i64,
    pub number: String,
    pub policy: String,
    pub name: Bilingual,
    pub applicant: String,
    pub status: ClaimStatus,
    pub submitted_at: Option<String>,
    pub due_on: Option<String>,
    pub working_days_left: Option<i64>,
    pub overdue: bool,
}

/// A reviewer's queue.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ClaimQueue {
    /// The reviewer's department, whose applications these are.
    pub department: String,
    pub waiting: Vec<ClaimSummary>,
    /// Decided in the last 30 days, newest first.
    pub decided: Vec<ClaimSummary>,
}

/// Answers to save.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ClaimAnswers {
    /// Question key → answer; an empty answer clears it.
    pub answers: BTreeMap<String, String>,
}

/// A step asked for: by the applicant (`submit`, `withdraw`) or the reviewer (`return`,
/// `approve`, `reject`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ClaimStepRequest {
    pub action: ClaimAction,
    /// The status the sender saw: a repeat of a step already taken changes nothing.
    pub from: ClaimStatus,
    /// Why (a return or a rejection needs one).
    #[serde(default)]
    pub reason: Option<String>,
    /// For a return: materials to replace, each with its reason.
    #[serde(default)]
    pub items: Vec<ItemReason>,
}

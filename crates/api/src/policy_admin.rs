//! Policy administration (政策制定、评估、修订、退出): versions and their lifecycle, drafts in
//! the rules language, approval by a second person, the impact sandbox, retirement.

use serde::{Deserialize, Serialize};

use crate::date::Date;
use crate::policy::Bilingual;

/// Where a version is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// Being written; only its drafters see it.
    Draft,
    /// Submitted: waiting for a person with the approve permission.
    Review,
    /// Approved, in force from a later date.
    Scheduled,
    /// In force today.
    InForce,
    /// Its window has passed (a later version took over, or it ran out).
    Ended,
    /// Repealed (废止) or expired (失效), with a notice.
    Retired,
}

/// 废止 (repealed by a decision) or 失效 (expired at its end date).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RetirementKind {
    Repealed,
    Expired,
}

impl RetirementKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RetirementKind::Repealed => "repealed",
            RetirementKind::Expired => "expired",
        }
    }

    pub fn parse(s: &str) -> Option<RetirementKind> {
        [RetirementKind::Repealed, RetirementKind::Expired]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

/// A retirement: its kind, the last day the policy applies, and the notice people are shown.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Retirement {
    pub kind: RetirementKind,
    /// The last day it applies.
    pub last_day: Date,
    pub notice: String,
}

/// One version of a policy, as the administration lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VersionInfo {
    pub policy: String,
    pub version: u32,
    pub name: Bilingual,
    pub stage: Stage,
    pub effective_from: Option<Date>,
    pub effective_until: Option<Date>,
    /// Display names of the staff members (none for a version seeded from a file).
    pub drafted_by: Option<String>,
    pub drafted_at: String,
    pub submitted_at: Option<String>,
    pub approved_by: Option<String>,
    pub approved_at: Option<String>,
    /// Why a reviewer sent it back (until submitted again).
    pub returned_reason: Option<String>,
    pub retirement: Option<Retirement>,
}

/// A policy with all its versions (newest first).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AdminPolicy {
    pub id: String,
    pub name: Bilingual,
    pub versions: Vec<VersionInfo>,
    /// It ends within six months and no evaluation of it has been recorded (粤府令第277号).
    pub needs_evaluation: bool,
}

/// One version in full: its file, the file of the version in force to compare it with, and
/// what the caller may do with it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VersionDetail {
    pub info: VersionInfo,
    pub source: String,
    /// The version in force (or the last published one), when it is another version.
    pub in_force: Option<InForce>,
    /// The caller may edit and submit it (a draft, and the caller administers policies).
    pub may_edit: bool,
    /// The caller may approve or return it (under review, the caller approves policies and
    /// did not draft it).
    pub may_approve: bool,
    /// The caller may retire it (published, not retired, the caller approves policies).
    pub may_retire: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InForce {
    pub version: u32,
    pub source: String,
}

/// A draft's file (the whole policy in the rules language).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DraftSource {
    pub source: String,
}

/// Approval: publish from this date (today or later).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Approval {
    pub effective_from: Date,
}

/// Sending a draft back to its drafter.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReturnDraft {
    pub reason: String,
}

/// The longest reason, notice or explanation text accepted.
pub const NOTE_MAX: usize = 1000;

/// The impact of a version against the one in force (政策沙盘), over the whole district.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Impact {
    pub policy: String,
    pub version: u32,
    /// The version compared with (none: a new policy).
    pub against: Option<u32>,
    /// The month simulated, YYYY-MM.
    pub month: String,
    pub subjects: u64,
    pub total: ImpactTally,
    /// Periods a year (12 monthly, 1 a year or once).
    pub periods_a_year: i64,
    /// The draft's yearly budget, if it states one.
    pub annual_budget_fen: Option<i64>,
    pub breakdowns: Vec<Breakdown>,
    pub histogram: Vec<HistogramBar>,
    /// Some subjects whose outcome changes, masked (staff only; the reading is logged).
    pub sample: Vec<ImpactSample>,
    /// How long the simulation took, in milliseconds.
    pub elapsed_ms: u64,
}

/// Counts and money per period (fen) of a group of subjects.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ImpactTally {
    pub eligible_before: u64,
    pub eligible_after: u64,
    pub newly: u64,
    pub no_longer: u64,
    pub amount_changed: u64,
    pub cost_before_fen: i64,
    pub cost_after_fen: i64,
}

/// What a breakdown groups by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum BreakdownBy {
    Street,
    AgeBand,
    DisabilityGrade,
    Industry,
    Size,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Breakdown {
    pub by: BreakdownBy,
    pub groups: Vec<ImpactGroup>,
}

/// One group: its key (a street's name, an age band "90-99", a grade, an industry division,
/// a size band; empty when unknown) and its tally.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ImpactGroup {
    pub key: String,
    pub tally: ImpactTally,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HistogramBar {
    pub from_fen: i64,
    pub to_fen: i64,
    pub count: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ImpactSample {
    /// The subject's reference, masked.
    pub subject: String,
    pub street: Option<String>,
    pub before_fen: Option<i64>,
    pub after_fen: Option<i64>,
}

/// What an evaluation concludes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Conclusion {
    /// It works: keep it as it is.
    Continue,
    /// It should change: draft a revision.
    Revise,
    /// It has done its work, or does not: retire it.
    Retire,
}

impl Conclusion {
    pub fn as_str(self) -> &'static str {
        match self {
            Conclusion::Continue => "continue",
            Conclusion::Revise => "revise",
            Conclusion::Retire => "retire",
        }
    }

    pub fn parse(s: &str) -> Option<Conclusion> {
        [Conclusion::Continue, Conclusion::Revise, Conclusion::Retire]
            .into_iter()
            .find(|c| c.as_str() == s)
    }
}

/// How one published version has done (政策评估), from the grants, payments and objections.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VersionFigures {
    pub version: u32,
    /// Subjects paid at least once.
    pub beneficiaries: u64,
    /// Grants made (offered or decided), revoked ones left out.
    pub granted: u64,
    /// Of those, accepted or applied for and decided (approved, on the way, or paid).
    pub taken_up: u64,
    /// Offers declined, and offers left to expire.
    pub declined: u64,
    pub expired: u64,
    pub paid_fen: i64,
    /// Paid in the last twelve months.
    pub paid_last_year_fen: i64,
    pub annual_budget_fen: Option<i64>,
    /// The impact sandbox's yearly cost when it was approved.
    pub simulated_annual_fen: Option<i64>,
    /// From the grant being made to its payment, in hours: median and 90th percentile.
    pub hours_to_payment_median: Option<i64>,
    pub hours_to_payment_p90: Option<i64>,
    pub objections: u64,
    pub objections_answered: u64,
}

/// A recorded evaluation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EvaluationRecord {
    pub version: u32,
    pub conclusion: Conclusion,
    pub findings: String,
    pub by: String,
    pub at: String,
}

/// A policy's evaluation: each published version's figures, and the evaluations recorded.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Evaluation {
    pub policy: String,
    pub versions: Vec<VersionFigures>,
    pub records: Vec<EvaluationRecord>,
}

/// Recording an evaluation of a version.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewEvaluation {
    pub version: u32,
    pub conclusion: Conclusion,
    pub findings: String,
}

//! 免申即享: what a resident or enterprise sees of the grants made to them, and what staff see
//! of disbursement. Money is fen; times are UTC RFC 3339 text (shown in Asia/Shanghai).

use serde::{Deserialize, Serialize};

use crate::policy::{Audience, Bilingual, GrantMode};

/// Where a grant is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum GrantStatus {
    Matched,
    AwaitingConsent,
    Approved,
    PaymentInstructed,
    Paid,
    Declined,
    Revoked,
    Expired,
}

/// What the subject answers to a grant that waits for consent (意愿确认): the last segment of
/// `POST /api/grants/{id}/{decision}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum GrantDecision {
    /// Agrees to receive it: its payment is queued.
    Consent,
    /// Does not want it.
    Decline,
}

impl GrantDecision {
    pub fn as_str(self) -> &'static str {
        match self {
            GrantDecision::Consent => "consent",
            GrantDecision::Decline => "decline",
        }
    }
}

impl GrantStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            GrantStatus::Matched => "matched",
            GrantStatus::AwaitingConsent => "awaiting_consent",
            GrantStatus::Approved => "approved",
            GrantStatus::PaymentInstructed => "payment_instructed",
            GrantStatus::Paid => "paid",
            GrantStatus::Declined => "declined",
            GrantStatus::Revoked => "revoked",
            GrantStatus::Expired => "expired",
        }
    }

    pub fn parse(s: &str) -> Option<GrantStatus> {
        [
            GrantStatus::Matched,
            GrantStatus::AwaitingConsent,
            GrantStatus::Approved,
            GrantStatus::PaymentInstructed,
            GrantStatus::Paid,
            GrantStatus::Declined,
            GrantStatus::Revoked,
            GrantStatus::Expired,
        ]
        .into_iter()
        .find(|g| g.as_str() == s)
    }
}

/// A grant in a list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GrantSummary {
    pub id: i64,
    pub policy: String,
    pub name: Bilingual,
    /// `2026-11`, `2026` or `once`.
    pub period: String,
    pub amount_fen: i64,
    pub status: GrantStatus,
    pub created_at: String,
    pub updated_at: String,
    /// For a grant awaiting consent: when it expires.
    pub consent_deadline: Option<String>,
}

/// A policy the subject qualifies for and can apply for now (秒报秒批).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApplyOffer {
    pub policy: String,
    pub name: Bilingual,
    pub amount_fen: i64,
    pub period: String,
}

/// A message in the subject's inbox.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Notification {
    pub id: i64,
    /// `granted`, `consent_needed`, `paid`, `revoked`, `expired`, `objection_answered`,
    /// `can_apply` (newly eligible for a policy one applies for), `policy_retired`,
    /// `claim_returned`, `claim_rejected` (an application under review).
    pub kind: String,
    pub policy: Option<String>,
    pub name: Option<Bilingual>,
    pub grant: Option<i64>,
    /// The application under review it is about (`claim_returned`, `claim_rejected`).
    #[serde(default)]
    pub claim: Option<i64>,
    pub amount_fen: Option<i64>,
    pub created_at: String,
    pub read: bool,
}

/// The home page of a signed-in resident or enterprise.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Home {
    /// Whom the departments' data knows this account as; `None` when it does not know them
    /// yet (then there is nothing to show).
    pub audience: Option<Audience>,
    /// Paid to the subject this calendar year (Asia/Shanghai).
    pub received_this_year_fen: i64,
    /// Grants waiting for the subject's consent.
    pub awaiting_consent: Vec<GrantSummary>,
    /// Policies the subject can apply for and would be granted at once.
    pub can_apply: Vec<ApplyOffer>,
    /// The latest grants and where their payment stands.
    pub recent: Vec<GrantSummary>,
    pub notifications: Vec<Notification>,
    pub unread: i64,
}

/// A value a decision used, and where it came from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UsedValue {
    /// The attribute (or fact table) it is, as an objection names it.
    pub key: String,
    pub name: Bilingual,
    /// Shown as is (dates `YYYY-MM-DD`, money in yuan, codes as codes).
    pub value: Bilingual,
    pub department: Bilingual,
    /// When the department sent it.
    pub at: Option<String>,
}

/// What a criterion's rule is about: "上一年度研发费用 ¥2,000,000.00", or "年龄 84 岁" worked
/// out from a birth date.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Measured {
    pub name: Bilingual,
    pub value: Bilingual,
    /// It is one of the criterion's `inputs`, shown as is (otherwise it is worked out from
    /// them, as an age is).
    pub is_input: bool,
}

/// One criterion of a decision: ✓ or ✗, the subject's values and the rule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CriterionResult {
    pub id: String,
    pub label: Bilingual,
    pub passed: bool,
    /// For a test: the values it read.
    pub inputs: Vec<UsedValue>,
    /// For a test: what its rule is about, and its value now.
    pub measured: Option<Measured>,
    /// For a test: the rule on `measured`, e.g. "≥ 80 岁", from the evaluation that decided.
    pub rule: Option<Bilingual>,
    /// For a group: its parts.
    #[cfg_attr(feature = "openapi", schema(no_recursion))]
    pub children: Vec<CriterionResult>,
}

/// Why a subject qualifies for a policy or not, now.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PolicyCheck {
    pub policy: String,
    pub mode: GrantMode,
    pub audience: Audience,
    /// The departments' data knows the subject (otherwise nothing can be checked).
    pub known: bool,
    pub eligible: bool,
    pub amount_fen: Option<i64>,
    pub criteria: Vec<CriterionResult>,
    /// What would make the subject eligible, one change each.
    pub suggestions: Vec<Bilingual>,
    /// The date from which time alone makes the subject eligible (an 80th birthday).
    pub eligible_from: Option<String>,
    /// This period's grant, if there is one.
    pub grant: Option<GrantSummary>,
    /// 申报 is offered (an apply policy the subject qualifies for, not yet granted).
    pub can_apply: bool,
    /// This period's open (or approved) application under review, for `apply_reviewed`.
    #[serde(default)]
    pub claim: Option<i64>,
}

/// One step of a grant's timeline.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GrantStep {
    /// A grant status, or `applied`, `amended`, `payment_retried`.
    pub step: String,
    /// `engine`, `subject`, `treasury` or `staff`.
    pub actor: String,
    pub at: String,
}

/// A grant with its decision receipt and payment timeline.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GrantDetail {
    pub grant: GrantSummary,
    pub policy_version: u32,
    pub reference_date: String,
    /// The criteria as applied, rebuilt from the data recorded at the decision.
    pub criteria: Vec<CriterionResult>,
    /// The data used, with its source department and time.
    pub used: Vec<UsedValue>,
    pub timeline: Vec<GrantStep>,
    /// The treasury's reference, once paid.
    pub payment_reference: Option<String>,
}

/// What an application (申报) decided.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApplyResult {
    /// The grant, approved and on its way to payment; `None` when not eligible.
    pub grant: Option<GrantSummary>,
    /// The decision, criterion by criterion.
    pub check: PolicyCheck,
}

/// Staff: grants of one policy in one status.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GrantTally {
    pub policy: String,
    pub name: Bilingual,
    pub status: GrantStatus,
    pub count: i64,
    pub amount_fen: i64,
}

/// Staff: a payment that failed and waits for a retry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FailedPayment {
    pub id: i64,
    pub grant: i64,
    pub policy: String,
    pub amount_fen: i64,
    pub attempts: i64,
    pub error: Option<String>,
    pub updated_at: String,
}

/// Staff: money paid in one month (Asia/Shanghai).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MonthPaid {
    pub month: String,
    pub amount_fen: i64,
    pub count: i64,
}

/// Staff: the disbursement dashboard.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Disbursement {
    pub tallies: Vec<GrantTally>,
    pub failed: Vec<FailedPayment>,
    pub paid_by_month: Vec<MonthPaid>,
}

/// What an objection says.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ObjectionKind {
    /// 我认为我符合条件.
    ThinkEligible,
    /// 我的数据有误.
    DataWrong,
}

/// An objection as the person writes it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewObjection {
    pub kind: ObjectionKind,
    /// The attribute or fact table disputed (a `key` of the check's values).
    pub attribute: String,
    /// In the person's words: 5 to 1,000 characters.
    pub explanation: String,
}

/// An objection and where it stands.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Objection {
    pub id: i64,
    pub policy: String,
    pub kind: ObjectionKind,
    pub attribute: Bilingual,
    /// The department it was sent to: the one that owns the disputed data.
    pub department: Bilingual,
    pub explanation: String,
    pub answer: Option<String>,
    pub created_at: String,
    pub answered_at: Option<String>,
}

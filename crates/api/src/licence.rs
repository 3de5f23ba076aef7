//! 一照通: the permit catalogue, one application for a business licence and the permits it
//! carries, its workflow, and the issued licence with its verification. Times are UTC RFC 3339
//! text (shown in Asia/Shanghai); dates are `YYYY-MM-DD`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::policy::Bilingual;

macro_rules! string_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$vm])* $variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            pub fn parse(s: &str) -> Option<$name> {
                $name::ALL.iter().copied().find(|v| v.as_str() == s)
            }
        }
    };
}

string_enum! {
    /// Where an application stands.
    Stage {
        /// Being filled in; saved as it is typed.
        Draft = "draft",
        /// Sent; waiting to be accepted (受理) or returned.
        Submitted = "submitted",
        /// Returned for correction (补正): the applicant must fix the items named.
        Returned = "returned",
        /// Accepted (受理): under review; the promised time runs from here.
        Accepted = "accepted",
        /// An on-site check is scheduled.
        OnSiteCheck = "on_site_check",
        /// The on-site check passed.
        CheckPassed = "check_passed",
        /// A signed commitment replaces the on-site check (告知承诺制).
        Commitment = "commitment",
        /// Approved; the licence is being issued.
        Approved = "approved",
        /// The licence is issued.
        Issued = "issued",
        /// Refused (with reasons and how to appeal).
        Rejected = "rejected",
        /// Withdrawn by the applicant.
        Withdrawn = "withdrawn",
    }
}

string_enum! {
    /// A step in the workflow.
    Action {
        Submit = "submit",
        Resubmit = "resubmit",
        Withdraw = "withdraw",
        Accept = "accept",
        Return = "return",
        ScheduleCheck = "schedule_check",
        PassCheck = "pass_check",
        FailCheck = "fail_check",
        UseCommitment = "use_commitment",
        Approve = "approve",
        Reject = "reject",
        Issue = "issue",
    }
}

string_enum! {
    /// Whether a permit needs an on-site check before approval.
    OnSite {
        /// No check.
        None = "none",
        /// A check, or a signed commitment in its place (告知承诺制).
        CommitmentAllowed = "commitment_allowed",
        /// Always a check.
        Required = "required",
    }
}

string_enum! {
    /// What a form field holds, and so how it is checked.
    FieldKind {
        Text = "text",
        LongText = "long_text",
        /// A whole number, e.g. an area in square metres.
        Number = "number",
        /// One of `options`.
        Choice = "choice",
        /// 统一社会信用代码.
        Uscc = "uscc",
        /// 居民身份证号码.
        IdNumber = "id_number",
        /// A mainland mobile number.
        Mobile = "mobile",
        /// An address in 禅城区.
        Address = "address",
        /// The business scope (经营范围): must name what the chosen permits cover.
        Scope = "scope",
        /// `YYYY-MM-DD`.
        Date = "date",
    }
}

string_enum! {
    /// How far a section of the form is filled in.
    SectionStatus {
        NotStarted = "not_started",
        InProgress = "in_progress",
        Completed = "completed",
    }
}

string_enum! {
    /// What a verification finds.
    Verdict {
        Valid = "valid",
        Revoked = "revoked",
        Expired = "expired",
        /// The signature does not match: the code was altered or made up.
        Forged = "forged",
    }
}

/// One choice of a `choice` field.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FieldOption {
    pub value: String,
    pub label: Bilingual,
}

/// A question on the form.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Question {
    /// Unique within the application, e.g. `business.address` or `drug_retail.pharmacist`.
    pub key: String,
    pub label: Bilingual,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint: Option<Bilingual>,
    pub kind: FieldKind,
    #[serde(default = "yes")]
    pub required: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<FieldOption>,
}

fn yes() -> bool {
    true
}

/// A document the applicant uploads.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MaterialSpec {
    pub code: String,
    pub name: Bilingual,
    pub hint: Bilingual,
}

/// A permit that a business licence can carry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Permit {
    pub code: String,
    pub name: Bilingual,
    /// The authority that grants it.
    pub authority: Bilingual,
    pub on_site: OnSite,
    /// The promised time limit (承诺时限), in working days from acceptance.
    pub promised_days: u32,
    /// The statutory time limit (法定时限) of a separate application, in working days.
    pub statutory_days: u32,
    /// Years of validity; 0 for 长期 (no end).
    pub valid_years: u32,
    /// The business scope must name one of these (empty: anything).
    #[serde(default)]
    pub scope_keywords: Vec<String>,
    #[serde(default)]
    pub questions: Vec<Question>,
    /// Material codes; a material shared with another chosen permit is asked for once.
    pub materials: Vec<String>,
}

/// A kind of business, with the permits it usually needs (the applicant may add or remove).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BusinessType {
    pub code: String,
    pub name: Bilingual,
    pub permits: Vec<String>,
}

/// The permit catalogue: what 一照通 can issue and what each needs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Catalogue {
    /// Increases with every edit; applications keep the version they started with.
    #[serde(default)]
    pub version: i64,
    pub business_types: Vec<BusinessType>,
    pub permits: Vec<Permit>,
    pub materials: Vec<MaterialSpec>,
}

/// Starts an application.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewApplication {
    pub business_type: String,
    /// Permit codes; the business licence is always included.
    pub permits: Vec<String>,
}

/// Answers to save (a draft saves as it is typed).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AnswersUpdate {
    /// Field key → answer; an empty answer clears the field.
    pub answers: BTreeMap<String, String>,
}

/// A section of the form, as the task list shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Section {
    /// `applicant`, `business`, a permit code, `materials` or `commitment`.
    pub key: String,
    pub title: Bilingual,
    pub questions: Vec<Question>,
    pub status: SectionStatus,
}

/// Something wrong with an answer, in the request's language.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FieldProblem {
    pub field: String,
    pub code: String,
    pub message: String,
}

/// An uploaded file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Upload {
    pub file_name: String,
    pub content_type: String,
    pub size: i64,
    pub uploaded_at: String,
}

/// A material the application needs, once however many permits ask for it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MaterialNeed {
    /// 1-based, as "item 3" in a return reason.
    pub item: u32,
    pub code: String,
    pub name: Bilingual,
    pub hint: Bilingual,
    /// The permits that need it.
    pub for_permits: Vec<Bilingual>,
    pub upload: Option<Upload>,
    /// Why the reviewer returned it, while it waits to be replaced.
    pub returned: Option<String>,
}

/// What one transition did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Step {
    pub action: Action,
    pub from: Stage,
    pub to: Stage,
    /// `applicant`, `reviewer` or `system`.
    pub actor: String,
    /// The reviewer's display name, for a reviewer's step.
    pub actor_name: Option<String>,
    pub at: String,
    pub comment: Option<String>,
    /// Returned items with their reasons.
    pub items: Vec<ItemReason>,
    /// For a scheduled on-site check: when.
    pub scheduled_for: Option<String>,
}

/// A material returned for correction, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ItemReason {
    pub material: String,
    pub reason: String,
}

/// One application, as its applicant (or a reviewer) sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Application {
    pub id: i64,
    /// The number the applicant quotes, e.g. `YZT-20261129-0007`.
    pub number: String,
    pub stage: Stage,
    pub business_type: BusinessType,
    pub permits: Vec<Permit>,
    pub sections: Vec<Section>,
    /// Field key → answer (ID and phone numbers masked for reviewers).
    pub answers: BTreeMap<String, String>,
    pub problems: Vec<FieldProblem>,
    pub materials: Vec<MaterialNeed>,
    /// Whether every chosen permit that needs an on-site check allows a commitment instead.
    pub commitment_allowed: bool,
    pub commitment_signed: bool,
    /// Some chosen permit needs an on-site check (or the commitment that replaces it).
    pub needs_check: bool,
    /// Everything is filled in and valid: it can be submitted.
    pub ready: bool,
    /// The promised time for the whole licence: the longest of its permits'.
    pub promised_days: u32,
    pub created_at: String,
    pub updated_at: String,
    pub submitted_at: Option<String>,
    pub accepted_at: Option<String>,
    /// The end of the promised time (UTC), once accepted.
    pub deadline: Option<String>,
    /// Working days left until the deadline (negative: overdue), while it runs.
    pub working_days_left: Option<i64>,
    /// Working days taken since acceptance (to the licence, once issued).
    pub working_days_used: Option<i64>,
    pub steps: Vec<Step>,
    /// What the viewer may do now.
    pub actions: Vec<Action>,
    /// The issued licence's number.
    pub licence: Option<String>,
    /// For a rejection: the reasons and how to appeal.
    pub rejection: Option<String>,
}

/// An application in a list (the applicant's, or a reviewer's queue).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApplicationSummary {
    pub id: i64,
    pub number: String,
    pub stage: Stage,
    /// The business's name as entered (may be empty in a fresh draft).
    pub business_name: String,
    pub permits: Vec<Bilingual>,
    pub updated_at: String,
    pub submitted_at: Option<String>,
    pub deadline: Option<String>,
    pub working_days_left: Option<i64>,
    pub overdue: bool,
}

/// A reviewer's (or the applicant's) step.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TransitionRequest {
    pub action: Action,
    /// The stage the sender saw: a repeat of a step already taken is recognised and changes
    /// nothing.
    pub from: Stage,
    #[serde(default)]
    pub comment: Option<String>,
    /// For `return`: each material to fix and why (at least one).
    #[serde(default)]
    pub items: Vec<ItemReason>,
    /// For `schedule_check`: when, as UTC RFC 3339 text.
    #[serde(default)]
    pub scheduled_for: Option<String>,
}

/// Finds an application without logging in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TrackRequest {
    pub number: String,
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "13800138000"))]
    pub phone: String,
}

/// What the public tracking page shows: no personal data.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Tracking {
    pub number: String,
    pub stage: Stage,
    pub permits: Vec<Bilingual>,
    pub promised_days: u32,
    pub submitted_at: Option<String>,
    pub deadline: Option<String>,
    pub working_days_left: Option<i64>,
    /// Working days taken since acceptance (to the licence, once issued).
    pub working_days_used: Option<i64>,
    pub steps: Vec<Step>,
    /// Materials the applicant must replace now.
    pub to_fix: Vec<ItemReason>,
    pub licence: Option<String>,
    /// For `GET /api/track/events?watch=`: live updates of this application, for a day.
    pub watch: String,
}

/// A permit on an issued licence.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IssuedPermit {
    pub code: String,
    pub name: Bilingual,
    /// The permit's own number.
    pub number: String,
    pub authority: Bilingual,
    pub valid_from: crate::Date,
    /// `None`: 长期.
    pub valid_to: Option<crate::Date>,
    pub revoked_at: Option<String>,
    pub revocation_reason: Option<String>,
}

/// An issued business licence with its permits.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Licence {
    pub number: String,
    pub uscc: String,
    pub business_name: String,
    pub legal_representative: String,
    pub address: String,
    pub business_scope: String,
    pub issued_at: String,
    pub permits: Vec<IssuedPermit>,
    /// The verification address that the QR code encodes.
    pub verify_url: String,
    pub application: String,
}

/// What a scan shows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Verification {
    /// The licence's own verdict: forged if the signature fails or the register disagrees;
    /// otherwise that of the business licence it carries (or, without one, valid while any
    /// permit is). Each permit has its own verdict beside it.
    pub verdict: Verdict,
    /// Every permit it carries is valid: what a scanner needs to know besides the licence.
    pub all_permits_valid: bool,
    pub number: Option<String>,
    pub uscc: Option<String>,
    pub business_name: Option<String>,
    pub issued_on: Option<crate::Date>,
    pub permits: Vec<VerifiedPermit>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VerifiedPermit {
    pub code: String,
    pub name: Bilingual,
    pub number: String,
    pub valid_from: crate::Date,
    pub valid_to: Option<crate::Date>,
    pub verdict: Verdict,
}

/// The largest document an applicant may upload (10 MB): the app checks before sending, the
/// server refuses anything larger.
pub const MAX_UPLOAD_BYTES: usize = 10 * 1024 * 1024;

/// Revokes one permit of an issued licence.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Revocation {
    pub reason: String,
}

/// Staff figures for one combination of permits: the seed's "materials −50%, time −85%".
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CombinationFigures {
    pub permits: Vec<Bilingual>,
    pub applications: i64,
    pub issued: i64,
    /// Materials asked for once in this form.
    pub materials_asked: u32,
    /// Materials separate applications would ask for, together.
    pub materials_separate: u32,
    /// The statutory days of separate applications, added up.
    pub statutory_days: u32,
    pub promised_days: u32,
    /// Mean working days from submission to licence over issued applications.
    pub mean_working_days: Option<f64>,
    /// Mean hours from submission to licence.
    pub mean_hours: Option<f64>,
    pub within_promise: i64,
}

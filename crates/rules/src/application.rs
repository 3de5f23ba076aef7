//! What a policy applied for and reviewed by a department (线上申报) asks of its applicants:
//! the `[application]` section of a policy file.

use crate::problem::Problem;
use serde::Deserialize;

/// What an application under review (线上申报, `apply_reviewed`) asks for, and who reviews it.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApplicationSpec {
    /// The department that reviews the applications, named as its staff accounts name it.
    pub department: api::policy::Bilingual,
    /// Working days the department has to decide, from the (re)submission.
    pub review_days: u32,
    /// The policy's questions (keys `a-z`, `0-9`, `_` and `.`).
    #[serde(default, rename = "question")]
    pub questions: Vec<api::licence::Question>,
    /// The documents the applicant uploads.
    #[serde(rename = "material")]
    pub materials: Vec<api::licence::MaterialSpec>,
}

/// The longest review a policy can promise, in working days.
pub const REVIEW_DAYS_MAX: u32 = 60;

impl ApplicationSpec {
    /// Unique, well-formed keys and codes; choices with options; a review time within limits.
    pub(crate) fn check(&self) -> Result<(), (&'static str, Problem)> {
        use api::licence::FieldKind;
        if self.review_days == 0 || self.review_days > REVIEW_DAYS_MAX {
            return Err((
                "application.review_days",
                Problem::new("review_days").with("max", REVIEW_DAYS_MAX),
            ));
        }
        if self.department.zh_cn.trim().is_empty() || self.department.en.trim().is_empty() {
            return Err(("application.department", Problem::new("department_names")));
        }
        if self.materials.is_empty() {
            return Err(("application.material", Problem::new("no_materials")));
        }
        let well_formed = |k: &str| {
            !k.is_empty()
                && k.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '.')
        };
        let mut seen = std::collections::BTreeSet::new();
        for q in &self.questions {
            if !well_formed(&q.key) || !seen.insert(q.key.as_str()) {
                return Err((
                    "application.question",
                    Problem::new("question_key").with("key", format!("{:?}", q.key)),
                ));
            }
            let has_options = !q.options.is_empty();
            if (q.kind == FieldKind::Choice) != has_options {
                return Err((
                    "application.question",
                    Problem::new("question_options").with("key", &q.key),
                ));
            }
            if q.kind == FieldKind::Scope {
                return Err((
                    "application.question",
                    Problem::new("question_scope").with("key", &q.key),
                ));
            }
        }
        let mut seen = std::collections::BTreeSet::new();
        for m in &self.materials {
            if !well_formed(&m.code) || m.code.contains('.') || !seen.insert(m.code.as_str()) {
                return Err((
                    "application.material",
                    Problem::new("material_code").with("code", format!("{:?}", m.code)),
                ));
            }
        }
        Ok(())
    }
}

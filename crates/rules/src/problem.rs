//! What is wrong with a policy file, as a code and its details. The app words a problem in
//! the reader's language from its locale files (`policy_admin.problems.<code>`, with
//! `{{ detail }}` for each detail; a detail named `…_type` holds a type's name, worded from
//! `policy_admin.types`, and one named `kind` holds `resident` or `enterprise`). The English
//! here is what the command line prints.

use crate::catalogue::{SubjectKind, Type};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub code: &'static str,
    pub details: Vec<(&'static str, String)>,
}

impl Problem {
    pub fn new(code: &'static str) -> Problem {
        debug_assert!(english(code).is_some(), "a problem without words: {code}");
        Problem {
            code,
            details: Vec::new(),
        }
    }

    pub fn with(mut self, name: &'static str, value: impl ToString) -> Problem {
        self.details.push((name, value.to_string()));
        self
    }

    /// A detail naming a type (`name` ends in `_type`).
    pub fn ty(self, name: &'static str, ty: Type) -> Problem {
        self.with(name, ty.name())
    }

    pub fn kind(self, kind: SubjectKind) -> Problem {
        self.with(
            "kind",
            match kind {
                SubjectKind::Resident => "resident",
                SubjectKind::Enterprise => "enterprise",
            },
        )
    }

    /// The details, each that names a type or a kind of subject (a word, not a value) put
    /// through `word` (the caller's words for `date`, `resident`, …).
    pub fn worded_details(
        &self,
        word: impl Fn(&str) -> Option<String>,
    ) -> Vec<(&'static str, String)> {
        self.details
            .iter()
            .map(|(name, value)| {
                let is_word = name.ends_with("_type") || *name == "kind";
                let value = is_word
                    .then(|| word(value))
                    .flatten()
                    .unwrap_or_else(|| value.clone());
                (*name, value)
            })
            .collect()
    }

    /// The problem in English.
    pub fn english(&self) -> String {
        let details: Vec<(&str, &str)> =
            self.details.iter().map(|(n, v)| (*n, v.as_str())).collect();
        api::text::fill(english(self.code).unwrap_or(self.code), &details)
    }
}

/// Every code, with its English words.
pub const CODES: &[(&str, &str)] = &[
    // The file's form (TOML), as its reader words it: the detail stays as it is.
    ("file_form", "{{ detail }}"),
    ("missing_field", "missing field `{{ field }}`"),
    ("unknown_field", "unknown field `{{ field }}`"),
    ("bad_id", "an id is lower-case letters, digits and hyphens"),
    ("bad_date", "{{ text }} is not a date (YYYY-MM-DD)"),
    ("ends_before_start", "the policy ends before it starts"),
    ("no_criteria", "a policy needs at least one criterion"),
    ("amount_missing", "missing field `{{ field }}` for an amount of kind {{ amount_kind }}"),
    ("amount_extra", "`{{ field }}` does not apply to an amount of kind {{ amount_kind }}"),
    ("amount_negative", "an amount cannot be negative"),
    ("tiers_type", "tiers need a number, not a {{ measure_type }}"),
    ("tiers_order", "tiers must be non-empty, in increasing order of `from`, with amounts of 0 or more"),
    ("proportion_type", "a proportion needs a number, not a {{ base_type }}"),
    ("fraction", "the fraction needs numerator ≥ 0 and denominator > 0"),
    ("floor_above_cap", "the floor is above the cap"),
    ("amount_kind", "unknown amount kind {{ amount_kind }}: expected \"fixed\", \"tiered\" or \"proportional\""),
    ("budget_negative", "a budget cannot be negative"),
    ("consent_days", "a consent window is {{ min }} to {{ max }} days"),
    ("consent_days_mode", "only mode = \"automatic_after_consent\" takes consent_days"),
    ("application_missing", "mode = \"apply_reviewed\" needs an [application] section: its department, review_days and materials"),
    ("application_extra", "only mode = \"apply_reviewed\" takes an [application] section"),
    ("criterion_id_twice", "the id {{ id }} is used twice"),
    ("criterion_shape", "a criterion has exactly one of `test`, `all`, `any` or `not`"),
    ("group_empty", "`{{ key }}` needs at least one criterion"),
    ("review_days", "a review takes 1 to {{ max }} working days"),
    ("department_names", "name the reviewing department in both languages"),
    ("no_materials", "an application under review asks for at least one material"),
    ("question_key", "question key {{ key }} must be unique, in a-z, 0-9, _ and ."),
    ("question_options", "question {{ key }}: options go with kind = \"choice\" only"),
    ("question_scope", "question {{ key }}: a business scope is asked by 一照通 only"),
    ("material_code", "material code {{ code }} must be unique, in a-z, 0-9 and _"),
    // The conditions (the rules language).
    ("expr_date", "{{ text }} is not a date (write YYYY-MM-DD)"),
    ("number_too_large", "this number is too large"),
    ("string_open", "this string has no closing quote"),
    ("unexpected_character", "unexpected character {{ character }}"),
    ("expected_list_end", "expected `,` or `]`"),
    ("expected_range", "expected `..=` (an inclusive range such as 13..=43)"),
    ("expected_close", "expected `)`"),
    ("expected_table_dot", "expected `.` and a field of the table"),
    ("expected_filter_eq", "expected `==` (a filter keeps the rows whose field equals a value)"),
    ("trailing_text", "unexpected text after the end of the expression"),
    ("expected_null", "expected `null` after `is`"),
    ("empty_range", "the range is empty: its start is after its end"),
    ("expected_comparison", "expected a comparison (==, !=, <, <=, >, >=), `in` or `is null`"),
    ("cannot_compare", "cannot compare {{ left_type }} with {{ right_type }}"),
    ("equality_only", "a {{ value_type }} can only be compared with == or !="),
    ("cannot_negate", "cannot negate a {{ value_type }}"),
    ("expected_value", "expected a value (a number, a date, a 'string', true or false)"),
    ("age_type", "age() takes a date, not a {{ value_type }}"),
    ("unknown_attribute", "unknown attribute `{{ name }}` for a {{ kind }} (known: {{ known }})"),
    ("expected_operand", "expected an attribute, a value, age(…), sum(…) or `(`"),
    ("expected_table", "expected a fact table, as in sum(table.field)"),
    ("unknown_table", "unknown fact table `{{ table }}` (known: {{ known }})"),
    ("expected_field", "expected a field of the table"),
    ("no_field", "`{{ table }}` has no field `{{ field }}`"),
    ("cannot_sum", "cannot sum `{{ field }}`, a {{ value_type }}"),
    ("expected_filter_field", "expected a field to filter on"),
    ("set_member_type", "a member of the set must be a {{ value_type }} like the value it is compared with"),
    ("range_type", "the range must be a {{ value_type }} like the value it is compared with"),
    ("filter_type", "the filter value must be a {{ value_type }} like the value it is compared with"),
    ("cannot_add", "cannot add a {{ left_type }} and a {{ right_type }}"),
    ("cannot_subtract", "cannot subtract a {{ left_type }} and a {{ right_type }}"),
    ("cannot_multiply", "cannot multiply a {{ left_type }} and a {{ right_type }}"),
    ("cannot_divide", "cannot divide a {{ left_type }} and a {{ right_type }}"),
    ("division_by_zero", "division by zero"),
];

fn english(code: &str) -> Option<&'static str> {
    CODES
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, text)| *text)
}

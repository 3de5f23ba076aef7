//! Each answer to a form's questions checked by its kind: the same checks for 一照通's form and
//! for a subsidy application's questions.

use std::collections::BTreeMap;

use api::licence::{FieldKind, Permit, Question};
use api::{Date, IdNumber, Mobile, Uscc};

use crate::catalogue::{Problem, CHANCHENG_PLACES};

const TEXT_MAX: usize = 100;
const LONG_TEXT_MAX: usize = 1000;
const SCOPE_MAX: usize = 500;
const ADDRESS_MIN: usize = 8;
const ADDRESS_MAX: usize = 120;

/// Why an answer is refused: a code and what its message needs.
type Refused = (String, Vec<(&'static str, String)>);

/// Every problem with the `answers` to `questions`, whichever form asks them (missing
/// required answers included when `complete`); a business scope must name what `permits`
/// cover.
pub fn problems<'q>(
    questions: impl IntoIterator<Item = &'q Question>,
    permits: &[Permit],
    answers: &BTreeMap<String, String>,
    today: Date,
    complete: bool,
) -> Vec<Problem> {
    let mut out = Vec::new();
    for question in questions {
        let value = answers.get(&question.key).map(|v| v.trim()).unwrap_or("");
        if value.is_empty() {
            if complete && question.required {
                out.push(Problem {
                    field: question.key.clone(),
                    code: "required".into(),
                    args: vec![],
                });
            }
            continue;
        }
        if let Err((code, args)) = check_answer(question, permits, value, today) {
            out.push(Problem {
                field: question.key.clone(),
                code,
                args,
            });
        }
    }
    out
}

fn check_answer(
    question: &Question,
    permits: &[Permit],
    value: &str,
    today: Date,
) -> Result<(), Refused> {
    let too_long = |max: usize| {
        if value.chars().count() > max {
            Err(("too_long".to_owned(), vec![("max", max.to_string())]))
        } else {
            Ok(())
        }
    };
    let invalid = |e: api::ValidationError| {
        let args = e
            .position()
            .map(|p| vec![("position", p.to_string())])
            .unwrap_or_default();
        (e.code().to_owned(), args)
    };
    match question.kind {
        FieldKind::Text => too_long(TEXT_MAX),
        FieldKind::LongText => too_long(LONG_TEXT_MAX),
        FieldKind::Number => match value.parse::<u64>() {
            Ok(n) if (1..=1_000_000_000).contains(&n) => Ok(()),
            _ => Err(("not_a_number".into(), vec![])),
        },
        FieldKind::Choice => {
            if question.options.iter().any(|o| o.value == value) {
                Ok(())
            } else {
                Err(("not_an_option".into(), vec![]))
            }
        }
        FieldKind::Uscc => Uscc::parse(value).map(|_| ()).map_err(invalid),
        FieldKind::IdNumber => IdNumber::parse(value, today).map(|_| ()).map_err(invalid),
        FieldKind::Mobile => Mobile::parse(value).map(|_| ()).map_err(invalid),
        FieldKind::Address => {
            too_long(ADDRESS_MAX)?;
            if value.chars().count() < ADDRESS_MIN {
                return Err(("address_incomplete".into(), vec![]));
            }
            if CHANCHENG_PLACES.iter().any(|p| value.contains(p)) {
                Ok(())
            } else {
                Err(("not_in_chancheng".into(), vec![]))
            }
        }
        FieldKind::Scope => {
            too_long(SCOPE_MAX)?;
            for p in permits {
                if !p.scope_keywords.is_empty()
                    && !p.scope_keywords.iter().any(|k| value.contains(k.as_str()))
                {
                    return Err((
                        "scope_missing".into(),
                        vec![
                            ("permit", p.name.zh_cn.clone()),
                            ("permit_en", p.name.en.clone()),
                            ("word", p.scope_keywords[0].clone()),
                        ],
                    ));
                }
            }
            Ok(())
        }
        FieldKind::Date => value
            .parse::<Date>()
            .map(|_| ())
            .map_err(|_| ("not_a_date".into(), vec![])),
    }
}

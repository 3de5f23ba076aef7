//! What each step of an application needs besides being legal in the workflow: a submitted form
//! complete and every material present, a return naming what to fix and why, a rejection or a
//! failed check with its reason, an on-site check scheduled in the future, and reasons of a
//! readable length. Pure: the server reads the application and the clock, and turns a
//! [`Refused`] into an error naming the field.

use std::collections::BTreeMap;

use api::licence::{Action, ItemReason};
use api::Date;

use crate::catalogue::{Form, Problem};

/// The shortest reason or comment accepted, in characters (after trimming).
pub const REASON_MIN: usize = 2;
/// The longest.
pub const REASON_MAX: usize = 500;

/// A step's request, as the server read it.
#[derive(Clone, Copy, Debug)]
pub struct Request<'a> {
    pub action: Action,
    pub comment: Option<&'a str>,
    /// For a return: each material to fix and why.
    pub items: &'a [ItemReason],
    /// For scheduling a check: when (milliseconds since 1970 UTC), if given and readable as a time.
    pub scheduled_for: Option<i64>,
}

/// The application as the step finds it.
#[derive(Clone, Copy, Debug)]
pub struct Found<'a> {
    pub form: &'a Form,
    pub answers: &'a BTreeMap<String, String>,
    /// Materials still to upload or to replace.
    pub missing: &'a [String],
}

/// When the step is taken.
#[derive(Clone, Copy, Debug)]
pub struct Now {
    /// Today in Asia/Shanghai (what answers' dates are checked against).
    pub today: Date,
    /// Milliseconds since 1970 UTC.
    pub unix_ms: i64,
}

/// What the step records besides itself.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Checked {
    /// The comment, trimmed; none when empty.
    pub comment: Option<String>,
    /// For a return: the materials to fix, each reason trimmed.
    pub items: Vec<ItemReason>,
    /// For scheduling a check: when.
    pub scheduled_for: Option<i64>,
}

/// A request refused, naming the field (`comment`, `items[0].reason`, `answers.business.name`…).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refused {
    pub field: String,
    pub why: Why,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Why {
    TooShort {
        min: usize,
    },
    TooLong {
        max: usize,
    },
    /// An answer is missing or wrong.
    NotReady(Problem),
    MaterialMissing,
    ItemsRequired,
    UnknownMaterial,
    /// No time given, or not one.
    NotATime,
    NotFuture,
    ReasonRequired,
}

impl Why {
    /// The error code the API answers with.
    pub fn code(&self) -> &'static str {
        match self {
            Why::TooShort { .. } => "too_short",
            Why::TooLong { .. } => "too_long",
            Why::NotReady(_) => "not_ready",
            Why::MaterialMissing => "material_missing",
            Why::ItemsRequired => "items_required",
            Why::UnknownMaterial => "unknown_material",
            Why::NotATime => "not_a_time",
            Why::NotFuture => "not_future",
            Why::ReasonRequired => "reason_required",
        }
    }
}

fn refused(field: impl Into<String>, why: Why) -> Refused {
    Refused {
        field: field.into(),
        why,
    }
}

/// A reason or comment: trimmed, between [`REASON_MIN`] and [`REASON_MAX`] characters.
pub fn reason(field: &str, text: &str) -> Result<String, Refused> {
    let t = text.trim();
    let n = t.chars().count();
    if n < REASON_MIN {
        return Err(refused(field, Why::TooShort { min: REASON_MIN }));
    }
    if n > REASON_MAX {
        return Err(refused(field, Why::TooLong { max: REASON_MAX }));
    }
    Ok(t.to_owned())
}

/// Checks what `req` needs of `found` at `now`; the first problem refuses it.
pub fn check(req: Request<'_>, found: Found<'_>, now: Now) -> Result<Checked, Refused> {
    let comment = match req.comment.map(str::trim).filter(|c| !c.is_empty()) {
        Some(c) => Some(reason("comment", c)?),
        None => None,
    };
    let mut checked = Checked {
        comment,
        ..Checked::default()
    };
    match req.action {
        Action::Submit | Action::Resubmit => {
            if let Some(p) = found.form.problems(found.answers, now.today, true).first() {
                return Err(refused(
                    format!("answers.{}", p.field),
                    Why::NotReady(p.clone()),
                ));
            }
            if let Some(m) = found.missing.first() {
                return Err(refused(format!("materials.{m}"), Why::MaterialMissing));
            }
        }
        Action::Return => {
            if req.items.is_empty() {
                return Err(refused("items", Why::ItemsRequired));
            }
            for (i, item) in req.items.iter().enumerate() {
                if !found
                    .form
                    .materials
                    .iter()
                    .any(|(m, _)| m.code == item.material)
                {
                    return Err(refused(
                        format!("items[{i}].material"),
                        Why::UnknownMaterial,
                    ));
                }
                checked.items.push(ItemReason {
                    material: item.material.clone(),
                    reason: reason(&format!("items[{i}].reason"), &item.reason)?,
                });
            }
        }
        Action::ScheduleCheck => {
            let when = req
                .scheduled_for
                .ok_or_else(|| refused("scheduled_for", Why::NotATime))?;
            if when <= now.unix_ms {
                return Err(refused("scheduled_for", Why::NotFuture));
            }
            checked.scheduled_for = Some(when);
        }
        Action::Reject | Action::FailCheck if checked.comment.is_none() => {
            return Err(refused("comment", Why::ReasonRequired));
        }
        _ => {}
    }
    Ok(checked)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::{form as form_of, standard};

    /// A pharmacy's form: answers to give and materials to bring.
    fn form() -> Form {
        form_of(&standard(), "pharmacy", &["drug_retail".into()]).unwrap()
    }

    fn today() -> Date {
        Date::new(2026, 12, 2).unwrap()
    }

    fn now() -> Now {
        Now {
            today: today(),
            unix_ms: 1_796_000_000_000,
        }
    }

    fn request(action: Action) -> Request<'static> {
        Request {
            action,
            comment: None,
            items: &[],
            scheduled_for: None,
        }
    }

    fn found<'a>(form: &'a Form, answers: &'a BTreeMap<String, String>) -> Found<'a> {
        Found {
            form,
            answers,
            missing: &[],
        }
    }

    #[test]
    fn reasons_are_trimmed_and_kept_between_two_and_five_hundred_characters() {
        assert_eq!(reason("comment", "  缺页 ").unwrap(), "缺页");
        assert_eq!(
            reason("comment", " 缺 ").unwrap_err().why,
            Why::TooShort { min: 2 }
        );
        let long = "字".repeat(501);
        assert_eq!(
            reason("x", &long).unwrap_err(),
            refused("x", Why::TooLong { max: 500 })
        );
        assert!(reason("x", &"字".repeat(500)).is_ok());
    }

    #[test]
    fn a_submission_names_the_first_unanswered_question_then_the_first_missing_material() {
        let form = form();
        let empty = BTreeMap::new();
        let refusal = check(request(Action::Submit), found(&form, &empty), now()).unwrap_err();
        assert!(refusal.field.starts_with("answers."), "{refusal:?}");
        assert!(matches!(refusal.why, Why::NotReady(_)));
        assert_eq!(refusal.why.code(), "not_ready");
    }

    #[test]
    fn a_return_needs_known_materials_each_with_a_reason() {
        let form = form();
        let answers = BTreeMap::new();
        let none = check(request(Action::Return), found(&form, &answers), now());
        assert_eq!(none.unwrap_err(), refused("items", Why::ItemsRequired));
        let code = form.materials[0].0.code.clone();
        let unknown = [ItemReason {
            material: "no-such-material".into(),
            reason: "看不清".into(),
        }];
        let req = Request {
            items: &unknown,
            ..request(Action::Return)
        };
        assert_eq!(
            check(req, found(&form, &answers), now()).unwrap_err(),
            refused("items[0].material", Why::UnknownMaterial)
        );
        let short = [ItemReason {
            material: code.clone(),
            reason: "糊".into(),
        }];
        let req = Request {
            items: &short,
            ..request(Action::Return)
        };
        assert_eq!(
            check(req, found(&form, &answers), now()).unwrap_err().field,
            "items[0].reason"
        );
        let good = [ItemReason {
            material: code.clone(),
            reason: " 照片看不清 ".into(),
        }];
        let req = Request {
            items: &good,
            ..request(Action::Return)
        };
        let checked = check(req, found(&form, &answers), now()).unwrap();
        assert_eq!(checked.items[0].reason, "照片看不清");
        assert_eq!(checked.items[0].material, code);
    }

    #[test]
    fn a_rejection_or_failed_check_needs_a_reason_and_other_steps_do_not() {
        let form = form();
        let answers = BTreeMap::new();
        for action in [Action::Reject, Action::FailCheck] {
            assert_eq!(
                check(request(action), found(&form, &answers), now()).unwrap_err(),
                refused("comment", Why::ReasonRequired)
            );
            let req = Request {
                comment: Some("  经营场所与登记不符 "),
                ..request(action)
            };
            let checked = check(req, found(&form, &answers), now()).unwrap();
            assert_eq!(checked.comment.as_deref(), Some("经营场所与登记不符"));
        }
        let accepted = check(request(Action::Accept), found(&form, &answers), now()).unwrap();
        assert_eq!(accepted, Checked::default());
        // A blank comment is no comment.
        let req = Request {
            comment: Some("   "),
            ..request(Action::Accept)
        };
        assert_eq!(
            check(req, found(&form, &answers), now()).unwrap(),
            Checked::default()
        );
    }

    #[test]
    fn a_check_is_scheduled_only_in_the_future() {
        let form = form();
        let answers = BTreeMap::new();
        let at = |t: Option<i64>| {
            check(
                Request {
                    scheduled_for: t,
                    ..request(Action::ScheduleCheck)
                },
                found(&form, &answers),
                now(),
            )
        };
        assert_eq!(
            at(None).unwrap_err(),
            refused("scheduled_for", Why::NotATime)
        );
        assert_eq!(
            at(Some(now().unix_ms)).unwrap_err(),
            refused("scheduled_for", Why::NotFuture)
        );
        assert_eq!(
            at(Some(now().unix_ms + 3_600_000)).unwrap().scheduled_for,
            Some(now().unix_ms + 3_600_000)
        );
    }

    #[test]
    fn a_missing_material_is_named_once_the_answers_are_complete() {
        // An empty form has nothing to answer: the first missing material is named.
        let form = Form {
            sections: Vec::new(),
            ..form()
        };
        let answers = BTreeMap::new();
        let missing = ["id_card".to_owned()];
        let refusal = check(
            request(Action::Resubmit),
            Found {
                form: &form,
                answers: &answers,
                missing: &missing,
            },
            now(),
        )
        .unwrap_err();
        assert_eq!(refusal, refused("materials.id_card", Why::MaterialMissing));
    }
}

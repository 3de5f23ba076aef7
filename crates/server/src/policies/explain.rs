//! A decision in words: each criterion ✓ or ✗ with the values it read, where they came from,
//! and its rule, all taken from the evaluation that decided (never re-derived for display).

use api::policy::Bilingual;
use api::subsidy::{CriterionResult, Measured, UsedValue};
use rules::eval::{Detail, Explanation, Measure, Requirement, Suggestion};
use rules::{Catalogue, SubjectKind, Value};

use crate::platform::i18n::{bilingual, both, message, Lang};
use crate::policies::library::bi;

pub fn same(s: String) -> Bilingual {
    Bilingual {
        zh_cn: s.clone(),
        en: s,
    }
}

fn pick(lang: Lang, b: &Bilingual) -> String {
    match lang {
        Lang::ZhCn => b.zh_cn.clone(),
        Lang::En => b.en.clone(),
    }
}

/// The attribute holding an enterprise's industry class (GB/T 4754-2017).
const INDUSTRY: &str = "industry_code";

/// What a number counts, when it is not the value itself.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Unit {
    None,
    Years,
    /// Industry codes: class codes (100 to a division) or divisions (1), read with the name
    /// of their section.
    Industry(i128),
}

/// A value as people read it: money in yuan, divisions by name, yes/no, ages in years.
pub fn show(v: &Value) -> Bilingual {
    show_in(v, Unit::None)
}

fn show_in(v: &Value, unit: Unit) -> Bilingual {
    match v {
        Value::Null => bilingual("server.values.none", &[]),
        Value::Money(fen) => same(api::text::yuan(*fen)),
        Value::Bool(true) => bilingual("server.values.yes", &[]),
        Value::Bool(false) => bilingual("server.values.no", &[]),
        Value::String(s) => same(s.clone()),
        Value::Code(c) => Catalogue::standard()
            .division(*c)
            .map_or_else(|| same(v.to_string()), bi),
        Value::Int(n) if unit == Unit::Years => {
            bilingual("server.values.years", &[("n", n.to_string())])
        }
        Value::Int(n) => match unit {
            Unit::Industry(per_division) => u32::try_from(i128::from(*n).div_euclid(per_division))
                .ok()
                .and_then(|d| Catalogue::standard().industry_section(d))
                .map_or_else(
                    || same(n.to_string()),
                    |section| {
                        let name = bi(&section.name);
                        both(|lang| {
                            message(
                                lang,
                                "server.values.industry",
                                &[("code", n.to_string()), ("section", pick(lang, &name))],
                            )
                        })
                    },
                ),
            _ => same(n.to_string()),
        },
        other => same(other.to_string()),
    }
}

/// What a test requires, in words: "≥ ¥780,000.00", "禅城区", "1 至 4".
fn rule(r: &Requirement, unit: Unit) -> Bilingual {
    match r {
        Requirement::Compare { op, value } => {
            let v = show_in(value, unit);
            both(|lang| {
                if *op == rules::expr::CmpOp::Eq {
                    message(lang, "server.values.equal", &[("value", pick(lang, &v))])
                } else {
                    message(
                        lang,
                        "server.values.compare",
                        &[("op", op.symbol().to_owned()), ("value", pick(lang, &v))],
                    )
                }
            })
        }
        Requirement::OneOf { values } => {
            let shown: Vec<Bilingual> = values.iter().map(|v| show_in(v, unit)).collect();
            both(|lang| {
                let separator = message(lang, "server.values.or", &[]);
                let list: Vec<String> = shown.iter().map(|b| pick(lang, b)).collect();
                list.join(&separator)
            })
        }
        Requirement::Between { low, high } => {
            // A range of industry codes that is whole sections reads as their names.
            if let (Unit::Industry(per_division), Some(low), Some(high)) =
                (unit, low.number(), high.number())
            {
                if let Some(sections) =
                    Catalogue::standard().industry_sections(low, high, per_division)
                {
                    let names: Vec<Bilingual> = sections.iter().map(|s| bi(&s.name)).collect();
                    return both(|lang| {
                        let separator = message(lang, "server.values.or", &[]);
                        let list: Vec<String> = names.iter().map(|b| pick(lang, b)).collect();
                        list.join(&separator)
                    });
                }
            }
            let (l, h) = (show_in(low, unit), show_in(high, unit));
            both(|lang| {
                message(
                    lang,
                    "server.values.between",
                    &[("low", pick(lang, &l)), ("high", pick(lang, &h))],
                )
            })
        }
        Requirement::Empty => bilingual("server.values.empty", &[]),
        Requirement::NotEmpty => bilingual("server.values.not_empty", &[]),
    }
}

/// A department's name in both languages.
pub fn department(d: rules::Department) -> Bilingual {
    let (zh, en) = d.names();
    Bilingual {
        zh_cn: zh.into(),
        en: en.into(),
    }
}

/// When each input was sent, from a receipt or the live store.
pub type SentAt<'a> = &'a dyn Fn(&str) -> Option<String>;

/// The key an objection names an input by: the attribute, or the fact table of an aggregate.
fn key_of(name: &str) -> String {
    name.strip_prefix("sum(")
        .and_then(|n| n.split('.').next())
        .unwrap_or(name)
        .to_owned()
}

fn criterion(e: &Explanation, sent_at: SentAt<'_>) -> CriterionResult {
    let mut result = CriterionResult {
        id: e.id.clone(),
        label: bi(&e.label),
        passed: e.passed,
        inputs: Vec::new(),
        measured: None,
        rule: None,
        children: Vec::new(),
    };
    match &e.detail {
        Detail::Test {
            inputs,
            measure,
            actual,
            requirement,
        } => {
            result.inputs = inputs
                .iter()
                .map(|i| UsedValue {
                    key: key_of(&i.name),
                    name: bi(&i.description),
                    value: if i.name == INDUSTRY {
                        show_in(&i.value, Unit::Industry(100))
                    } else {
                        show(&i.value)
                    },
                    department: department(i.department),
                    at: sent_at(&i.name),
                })
                .collect();
            let input = |name: &str| inputs.iter().find(|i| i.name == name);
            // Industry codes: as read, or their division (the code / 100, the only arithmetic
            // the catalogue's industry rules use).
            let industry = inputs.len() == 1 && inputs[0].name == INDUSTRY;
            let (name, unit, is_input) = match measure {
                Measure::Input { name } => (
                    input(name).map_or_else(|| same(name.clone()), |i| bi(&i.description)),
                    if name == INDUSTRY {
                        Unit::Industry(100)
                    } else {
                        Unit::None
                    },
                    true,
                ),
                Measure::Age { .. } => (bilingual("server.values.age", &[]), Unit::Years, false),
                Measure::Computed if industry && actual.number().is_some_and(|d| d < 100) => {
                    (bi(&e.label), Unit::Industry(1), false)
                }
                Measure::Computed => (bi(&e.label), Unit::None, false),
            };
            result.measured = Some(Measured {
                name,
                value: show_in(actual, unit),
                is_input,
            });
            result.rule = Some(rule(requirement, unit));
        }
        Detail::All { children } => {
            result.children = children.iter().map(|c| criterion(c, sent_at)).collect();
        }
        // A passed "either" is shown by the alternative that passed; a failed one by all.
        Detail::Any { children } => {
            result.children = match children.iter().find(|c| c.passed) {
                Some(passed) => vec![criterion(passed, sent_at)],
                None => children.iter().map(|c| criterion(c, sent_at)).collect(),
            };
        }
        Detail::Not { child } => result.children = vec![criterion(child, sent_at)],
    }
    result
}

/// The top-level criteria of an explanation (its root is the policy's implicit "all").
pub fn criteria(e: &Explanation, sent_at: SentAt<'_>) -> Vec<CriterionResult> {
    match &e.detail {
        Detail::All { children } => children.iter().map(|c| criterion(c, sent_at)).collect(),
        _ => vec![criterion(e, sent_at)],
    }
}

/// "年主营业务收入需 ≥ ¥20,000,000.00（当前 ¥18,500,000.00）".
pub fn suggestion(kind: SubjectKind, s: &Suggestion) -> Bilingual {
    let name = Catalogue::standard()
        .attribute(kind, &s.attribute)
        .map_or_else(|| same(s.attribute.clone()), |a| bi(&a.description));
    let (needed, current) = (show(&s.needed), show(&s.current));
    let op = s.relation.symbol().to_owned();
    let key = if s.relation == rules::expr::CmpOp::Eq {
        "server.values.suggestion_equal"
    } else {
        "server.values.suggestion"
    };
    both(|lang| {
        message(
            lang,
            key,
            &[
                ("name", pick(lang, &name)),
                ("op", op.clone()),
                ("needed", pick(lang, &needed)),
                ("current", pick(lang, &current)),
            ],
        )
    })
}

#[cfg(test)]
mod tests {
    //! What a person reads must agree with itself: the requirement shown, applied to the value
    //! shown (both parsed back from the text), gives the ✓ or ✗ shown.

    use std::cmp::Ordering;

    use api::subsidy::CriterionResult;
    use proptest::prelude::*;
    use rules::testing::value_of;
    use rules::{reference_policies, Catalogue, Context, Month, Subject, SubjectKind, Type, Value};

    use super::criteria;

    /// A value as read back from its text.
    #[derive(Debug, PartialEq)]
    enum Read {
        None,
        Number(i128),
        Text(String),
    }

    fn read(text: &str) -> Read {
        let t = text.trim();
        if t == "无" {
            return Read::None;
        }
        if let Some(yuan) = t.strip_prefix('¥') {
            let digits: String = yuan.chars().filter(char::is_ascii_digit).collect();
            assert!(yuan.contains('.'), "money without fen: {t}");
            return Read::Number(digits.parse().unwrap());
        }
        if let Some(n) = t.strip_suffix(" 岁") {
            return Read::Number(n.parse().unwrap());
        }
        let b = t.as_bytes();
        if b.len() == 10 && b[4] == b'-' && b[7] == b'-' {
            return Read::Number(t.replace('-', "").parse().unwrap());
        }
        match t.parse::<i128>() {
            Ok(n) => Read::Number(n),
            Err(_) => Read::Text(t.to_owned()),
        }
    }

    fn order(a: &Read, b: &Read) -> Option<Ordering> {
        match (a, b) {
            (Read::Number(x), Read::Number(y)) => Some(x.cmp(y)),
            (Read::Text(x), Read::Text(y)) => Some(x.cmp(y)),
            _ => None,
        }
    }

    /// Applies a rule's text to a value's text, as a reader would.
    fn holds(rule: &str, value: &str) -> bool {
        // An industry code shown with its section ("3311（制造业）"): against sections by name,
        // against anything else by its number.
        if let Some((code, section)) = value.strip_suffix('）').and_then(|v| v.split_once('（')) {
            let sections: Vec<&str> = rule.split('或').collect();
            let named = |name: &str| {
                Catalogue::standard()
                    .industry_section
                    .iter()
                    .any(|s| s.name.zh_cn == name)
            };
            if sections.iter().all(|s| named(s)) {
                return sections.contains(&section);
            }
            return holds(rule, code);
        }
        let v = read(value);
        let compare = |op: &str, rest: &str| {
            let o = order(&v, &read(rest));
            match op {
                "≥" => o.is_some_and(|o| o != Ordering::Less),
                "≤" => o.is_some_and(|o| o != Ordering::Greater),
                ">" => o == Some(Ordering::Greater),
                "<" => o == Some(Ordering::Less),
                "≠" => o.is_some_and(|o| o != Ordering::Equal),
                _ => unreachable!(),
            }
        };
        for op in ["≥", "≤", ">", "<", "≠"] {
            if let Some(rest) = rule.strip_prefix(op) {
                return compare(op, rest);
            }
        }
        match rule {
            "无记录" => return v == Read::None,
            "有记录" => return v != Read::None,
            _ => {}
        }
        if let Some((low, high)) = rule.split_once(" 至 ") {
            return compare("≥", low) && compare("≤", high);
        }
        if rule.contains('或') {
            return rule
                .split('或')
                .any(|one| order(&v, &read(one)) == Some(Ordering::Equal));
        }
        order(&v, &read(rule)) == Some(Ordering::Equal)
    }

    fn check(c: &CriterionResult, path: &str) -> Result<(), TestCaseError> {
        let path = format!("{path}/{}", c.id);
        if let (Some(measured), Some(rule)) = (&c.measured, &c.rule) {
            prop_assert_eq!(
                holds(&rule.zh_cn, &measured.value.zh_cn),
                c.passed,
                "{}: {} applied to {} shows {}",
                path,
                rule.zh_cn,
                measured.value.zh_cn,
                if c.passed { "✓" } else { "✗" }
            );
            if measured.is_input {
                prop_assert!(
                    c.inputs
                        .iter()
                        .any(|i| i.name == measured.name && i.value == measured.value),
                    "{}: {:?} is not among the values shown",
                    path,
                    measured
                );
            }
        } else {
            prop_assert!(c.measured.is_none() && c.rule.is_none(), "{}", path);
        }
        // A passed "either" shows the one alternative that passed.
        if c.passed && c.children.len() == 1 {
            prop_assert!(c.children[0].passed, "{}", path);
        }
        for child in &c.children {
            check(child, &path)?;
        }
        Ok(())
    }

    fn subject(kind: SubjectKind) -> impl Strategy<Value = Subject> {
        let attributes: Vec<(String, Type)> = Catalogue::standard()
            .attributes(kind)
            .iter()
            .map(|a| (a.name.clone(), a.ty))
            .collect();
        let values: Vec<_> = attributes.iter().map(|(_, ty)| value_of(*ty)).collect();
        let facts = prop::collection::vec((0i64..300_000, any::<bool>()), 0..4);
        (values, facts).prop_map(move |(values, facts)| {
            let month = Month {
                year: 2026,
                month: 3,
            };
            Subject {
                id: "S".into(),
                attributes: attributes
                    .iter()
                    .map(|(n, _)| n.clone())
                    .zip(values)
                    .collect(),
                facts: facts
                    .into_iter()
                    .map(|(n, gas)| rules::eval::Fact {
                        table: if gas { "gas_usage" } else { "loan_interest" }.into(),
                        month,
                        fields: if gas {
                            [("cubic_meters".to_owned(), Value::Int(n))].into()
                        } else {
                            [
                                ("interest_fen".to_owned(), Value::Money(n)),
                                ("product".to_owned(), Value::String("数字贷".into())),
                            ]
                            .into()
                        },
                    })
                    .collect(),
            }
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

        #[test]
        fn every_shown_requirement_gives_the_shown_verdict(
            resident in subject(SubjectKind::Resident),
            enterprise in subject(SubjectKind::Enterprise),
        ) {
            let ctx = Context::for_month(Month { year: 2026, month: 3 });
            for policy in reference_policies() {
                let s = if policy.subject == SubjectKind::Resident { &resident } else { &enterprise };
                let e = rules::evaluate(&policy, s, &ctx).unwrap();
                for c in criteria(&e.explanation, &|_| None) {
                    check(&c, &policy.id)?;
                }
            }
        }
    }

    #[test]
    fn the_reading_of_rules_is_itself_right() {
        assert!(holds("≥ ¥780,000.00", "¥2,000,000.00"));
        assert!(!holds("≥ ¥78,000,000.00", "¥2,000,000.00"));
        assert!(holds("1300 至 4399", "3821"));
        assert!(!holds("1300 至 4399", "无"));
        assert!(holds("1 或 2", "2"));
        assert!(holds("禅城区", "禅城区"));
        assert!(!holds("禅城区", "南海区"));
        assert!(holds("≥ 80 岁", "85 岁"));
        assert!(holds("> 2026-03-01", "2026-03-02"));
        assert!(holds("无记录", "无"));
        assert!(holds("制造业", "3311（制造业）"));
        assert!(!holds("制造业", "1299（采矿业）"));
        assert!(holds("1300 至 4399", "3311（制造业）"));
    }

    #[test]
    fn industry_ranges_read_as_their_sections() {
        let policy = reference_policies()
            .into_iter()
            .find(|p| p.id == "manufacturing-digital")
            .expect("the manufacturing policy");
        let enterprise = Subject {
            id: "E".into(),
            attributes: [
                ("district".to_owned(), Value::Code(440604)),
                ("industry_code".to_owned(), Value::Int(3311)),
            ]
            .into(),
            facts: Vec::new(),
        };
        let ctx = Context::for_month(Month {
            year: 2026,
            month: 3,
        });
        let e = rules::evaluate(&policy, &enterprise, &ctx).unwrap();
        let shown = format!("{:?}", criteria(&e.explanation, &|_| None));
        assert!(
            shown.contains("制造业") && shown.contains("Manufacturing"),
            "{shown}"
        );
        assert!(
            !shown.contains("1300 至 4399") && !shown.contains("13 至 43"),
            "{shown}"
        );
    }
}

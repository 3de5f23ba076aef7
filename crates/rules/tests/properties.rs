//! Properties that must hold for any population: the batch path gives exactly the one-subject
//! results, explanations agree with verdicts, and suggestions do what they say.

use std::collections::BTreeMap;

use proptest::prelude::*;
use rules::batch::{self, Column, FactRows, Population};
use rules::eval::{decide, evaluate};
use rules::testing::value_of;
use rules::{reference_policies, Catalogue, Context, Month, SubjectKind, Type, Value};

fn population(kind: SubjectKind) -> impl Strategy<Value = Population> {
    let attributes: Vec<(String, Type)> = Catalogue::standard()
        .attributes(kind)
        .iter()
        .map(|a| (a.name.clone(), a.ty))
        .collect();
    let row = attributes
        .iter()
        .map(|(_, ty)| value_of(*ty))
        .collect::<Vec<_>>();
    let facts = prop::collection::vec(
        (
            0usize..40,
            prop_oneof![Just(0i32), Just(1), Just(-1)],
            prop_oneof![Just("数字贷"), Just("经营贷")],
            0i64..5_000_000,
            0i64..300_000,
        ),
        0..60,
    );
    (prop::collection::vec(row, 1..40), facts).prop_map(move |(rows, facts)| {
        let mut p = Population::new(kind);
        for i in 0..rows.len() {
            p.ids.push(&format!("S{i:05}"));
        }
        for (j, (name, ty)) in attributes.iter().enumerate() {
            let values: Vec<Value> = rows.iter().map(|r| r[j].clone()).collect();
            p.columns
                .insert(name.clone(), Column::from_values(*ty, &values));
        }
        if kind == SubjectKind::Enterprise {
            let base = Month {
                year: 2026,
                month: 3,
            }
            .index();
            let (mut loans, mut gas) = (FactRows::default(), FactRows::default());
            let (mut products, mut interest, mut m3) = (vec![], vec![], vec![]);
            for (subject, month, product, fen, cubic) in facts {
                let subject = (subject % rows.len()) as u32;
                loans.subject.push(subject);
                loans.month.push(base + month);
                products.push(Value::String(product.into()));
                interest.push(Value::Money(fen));
                gas.subject.push(subject);
                gas.month.push(base + month);
                m3.push(Value::Int(cubic));
            }
            loans.columns.insert(
                "product".into(),
                Column::from_values(Type::String, &products),
            );
            loans.columns.insert(
                "interest_fen".into(),
                Column::from_values(Type::Money, &interest),
            );
            gas.columns
                .insert("cubic_meters".into(), Column::from_values(Type::Int, &m3));
            p.facts.insert("loan_interest".into(), loans);
            p.facts.insert("gas_usage".into(), gas);
        }
        p
    })
}

fn ctx() -> Context {
    Context::for_month(Month {
        year: 2026,
        month: 3,
    })
}

fn check_batch_equals_one_by_one(p: &Population, threads: usize) -> Result<(), TestCaseError> {
    let policies = reference_policies();
    let grants = batch::evaluate(&policies, p, &ctx(), threads).unwrap();
    let mut from_batch: BTreeMap<(usize, u32), i64> = BTreeMap::new();
    for g in grants {
        prop_assert!(
            from_batch.insert((g.policy, g.row), g.amount_fen).is_none(),
            "one grant per pair"
        );
    }
    for row in 0..p.len() {
        let subject = p.subject(row);
        for (i, policy) in policies
            .iter()
            .enumerate()
            .filter(|(_, pol)| pol.subject == p.kind)
        {
            let one = decide(policy, &subject, &ctx()).unwrap();
            prop_assert_eq!(
                one,
                from_batch.get(&(i, row as u32)).copied(),
                "{} for {:?}",
                policy.id,
                subject
            );
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn batch_equals_one_by_one_for_residents(p in population(SubjectKind::Resident), threads in 1usize..4) {
        check_batch_equals_one_by_one(&p, threads)?;
    }

    #[test]
    fn batch_equals_one_by_one_for_enterprises(p in population(SubjectKind::Enterprise), threads in 1usize..4) {
        check_batch_equals_one_by_one(&p, threads)?;
    }

    #[test]
    fn explanations_agree_and_suggestions_work(p in population(SubjectKind::Enterprise), r in population(SubjectKind::Resident)) {
        let policies = reference_policies();
        for pop in [&p, &r] {
            for row in 0..pop.len() {
                let subject = pop.subject(row);
                for policy in policies.iter().filter(|pol| pol.subject == pop.kind) {
                    let e = evaluate(policy, &subject, &ctx()).unwrap();
                    prop_assert_eq!(e.eligible, e.explanation.passed);
                    shown_tests_agree(&e.explanation, &subject)?;
                    prop_assert_eq!(e.amount_fen, decide(policy, &subject, &ctx()).unwrap());
                    for s in &e.suggestions {
                        // Applying the suggested value makes that criterion pass.
                        let mut changed = subject.clone();
                        changed.attributes.insert(s.attribute.clone(), s.needed.clone());
                        let after = evaluate(policy, &changed, &ctx()).unwrap();
                        prop_assert!(passed(&after.explanation, &s.criterion), "{} {:?} did not pass {}", s.attribute, s.needed, s.criterion);
                    }
                    for (criterion, date) in &e.passes_on {
                        prop_assert!(*date > ctx().reference_date);
                        let later = Context { month: ctx().month, reference_date: *date };
                        let after = evaluate(policy, &subject, &later).unwrap();
                        prop_assert!(passed(&after.explanation, criterion));
                    }
                }
            }
        }
    }
}

/// Every test of an explanation shows a value and a requirement that, applied to each other,
/// give the test's verdict; the value is the subject's own (or its age); every test of the
/// reference policies has such a simple reading.
fn shown_tests_agree(
    e: &rules::eval::Explanation,
    subject: &rules::Subject,
) -> Result<(), TestCaseError> {
    use rules::eval::{Detail, Measure};
    match &e.detail {
        Detail::All { children } | Detail::Any { children } => {
            for c in children {
                shown_tests_agree(c, subject)?;
            }
        }
        Detail::Not { child } => shown_tests_agree(child, subject)?,
        Detail::Test {
            inputs,
            measure,
            actual,
            requirement,
        } => {
            prop_assert_eq!(
                requirement.admits(actual),
                e.passed,
                "{}: {:?} against {:?}",
                e.id,
                actual,
                requirement
            );
            match measure {
                Measure::Input { name } => {
                    let input = inputs.iter().find(|i| i.name == *name);
                    prop_assert!(input.is_some(), "{}: {} is not an input", e.id, name);
                    prop_assert_eq!(&input.unwrap().value, actual);
                }
                Measure::Age { of } => {
                    prop_assert!(inputs.iter().any(|i| i.name == *of));
                    if let Value::Date(birth) = subject.get(of) {
                        prop_assert_eq!(
                            actual,
                            &Value::Int(rules::eval::age(*birth, ctx().reference_date))
                        );
                    } else {
                        prop_assert_eq!(actual, &Value::Null);
                    }
                }
                Measure::Computed => prop_assert!(false, "{}: no simple reading", e.id),
            }
        }
    }
    Ok(())
}

fn passed(e: &rules::eval::Explanation, id: &str) -> bool {
    use rules::eval::Detail;
    if e.id == id {
        return e.passed;
    }
    match &e.detail {
        Detail::All { children } | Detail::Any { children } => {
            children.iter().any(|c| passed(c, id))
        }
        Detail::Not { child } => passed(child, id),
        Detail::Test { .. } => false,
    }
}

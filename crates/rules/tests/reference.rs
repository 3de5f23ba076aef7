//! The seven reference policies of POLICIES.md, at every boundary it names.

use std::collections::BTreeMap;

use api::Date;
use rules::eval::{age, decide, evaluate, Fact};
use rules::{reference_policies, Context, Policy, Subject, Value};

fn policy(id: &str) -> Policy {
    reference_policies()
        .into_iter()
        .find(|p| p.id == id)
        .unwrap()
}

fn d(s: &str) -> Date {
    s.parse().unwrap()
}

fn ctx(month: &str) -> Context {
    Context::for_month(month.parse().unwrap())
}

fn resident(birth: &str) -> Subject {
    let mut attributes = BTreeMap::new();
    attributes.insert("birth_date".into(), Value::Date(d(birth)));
    attributes.insert("hukou_district".into(), Value::Code(440604));
    attributes.insert("street".into(), Value::String("祖庙街道".into()));
    attributes.insert("disability_grade".into(), Value::Int(0));
    attributes.insert("dibao".into(), Value::Bool(false));
    Subject {
        id: "R1".into(),
        attributes,
        facts: vec![],
    }
}

fn with(mut s: Subject, name: &str, v: Value) -> Subject {
    s.attributes.insert(name.into(), v);
    s
}

fn enterprise() -> Subject {
    let mut attributes = BTreeMap::new();
    attributes.insert("district".into(), Value::Code(440604));
    attributes.insert("industry_code".into(), Value::Int(3311));
    attributes.insert("established".into(), Value::Date(d("2010-05-01")));
    attributes.insert("employees".into(), Value::Int(50));
    attributes.insert("revenue_y1".into(), Value::Money(1_000_000_000));
    attributes.insert("revenue_y2".into(), Value::Money(900_000_000));
    attributes.insert("rd_expense_y1".into(), Value::Money(10_000_000));
    Subject {
        id: "E1".into(),
        attributes,
        facts: vec![],
    }
}

fn loan(month: &str, product: &str, fen: i64) -> Fact {
    let mut fields = BTreeMap::new();
    fields.insert("product".into(), Value::String(product.into()));
    fields.insert("interest_fen".into(), Value::Money(fen));
    Fact {
        table: "loan_interest".into(),
        month: month.parse().unwrap(),
        fields,
    }
}

fn gas(month: &str, m3: i64) -> Fact {
    let mut fields = BTreeMap::new();
    fields.insert("cubic_meters".into(), Value::Int(m3));
    Fact {
        table: "gas_usage".into(),
        month: month.parse().unwrap(),
        fields,
    }
}

/// The amount when eligible, checking that the explained verdict agrees.
fn pays(p: &Policy, s: &Subject, c: &Context) -> Option<i64> {
    let quick = decide(p, s, c).unwrap();
    let full = evaluate(p, s, c).unwrap();
    assert_eq!(full.eligible, full.explanation.passed);
    assert_eq!(quick, full.amount_fen, "decide and evaluate agree");
    quick
}

#[test]
fn age_is_completed_years_and_29_february_turns_on_1_march() {
    assert_eq!(age(d("1946-03-01"), d("2026-03-01")), 80);
    assert_eq!(age(d("1946-03-02"), d("2026-03-01")), 79);
    assert_eq!(age(d("1944-02-29"), d("2024-02-29")), 80);
    assert_eq!(age(d("1944-02-29"), d("2025-02-28")), 80);
    assert_eq!(age(d("1944-02-29"), d("2025-03-01")), 81);
    assert_eq!(age(d("1945-02-28"), d("2025-02-28")), 80);
}

#[test]
fn senior_allowance_boundaries() {
    let p = policy("senior-allowance");
    let c = ctx("2026-03");
    // 80 exactly on the reference date, and one day short.
    assert_eq!(pays(&p, &resident("1946-03-01"), &c), Some(10000));
    assert_eq!(pays(&p, &resident("1946-03-02"), &c), None);
    assert_eq!(pays(&p, &resident("1936-03-02"), &c), Some(10000), "89");
    assert_eq!(pays(&p, &resident("1936-03-01"), &c), Some(30000), "90");
    assert_eq!(pays(&p, &resident("1926-03-02"), &c), Some(30000), "99");
    assert_eq!(pays(&p, &resident("1926-03-01"), &c), Some(60000), "100");
    // Born on 29 February: 80 on 1 March of a leap year's run, not on 1 February.
    assert_eq!(
        pays(&p, &resident("1944-02-29"), &ctx("2024-03")),
        Some(10000)
    );
    assert_eq!(pays(&p, &resident("1944-02-29"), &ctx("2024-02")), None);
    // Another district's hukou.
    assert_eq!(
        pays(
            &p,
            &with(
                resident("1930-01-01"),
                "hukou_district",
                Value::Code(440605)
            ),
            &c
        ),
        None
    );
    // Alive means a death date later than the reference date.
    let old = resident("1930-01-01");
    assert_eq!(
        pays(
            &p,
            &with(old.clone(), "death_date", Value::Date(d("2026-03-01"))),
            &c
        ),
        None,
        "died on it"
    );
    assert_eq!(
        pays(
            &p,
            &with(old.clone(), "death_date", Value::Date(d("2026-02-28"))),
            &c
        ),
        None,
        "died before"
    );
    assert_eq!(
        pays(
            &p,
            &with(old, "death_date", Value::Date(d("2026-03-02"))),
            &c
        ),
        Some(30000),
        "died after"
    );
}

#[test]
fn disability_policies_boundaries() {
    let living = policy("disability-living");
    let nursing = policy("disability-nursing");
    let c = ctx("2026-03");
    for grade in 0..=4 {
        let s = with(
            with(
                resident("1980-01-01"),
                "disability_grade",
                Value::Int(grade),
            ),
            "dibao",
            Value::Bool(true),
        );
        assert_eq!(
            pays(&living, &s, &c),
            (1..=4).contains(&grade).then_some(18800),
            "living, grade {grade}"
        );
        assert_eq!(
            pays(&nursing, &s, &c),
            (1..=2).contains(&grade).then_some(23800),
            "nursing, grade {grade}"
        );
        let no_dibao = with(s, "dibao", Value::Bool(false));
        assert_eq!(pays(&living, &no_dibao, &c), None, "living needs dibao");
    }
    // Several policies in one month: an 85-year-old with grade 1.
    let s = with(resident("1941-01-01"), "disability_grade", Value::Int(1));
    assert_eq!(pays(&policy("senior-allowance"), &s, &c), Some(10000));
    assert_eq!(pays(&nursing, &s, &c), Some(23800));
    let dead = with(s, "death_date", Value::Date(d("2026-01-05")));
    assert_eq!(pays(&nursing, &dead, &c), None);
}

#[test]
fn digital_loan_interest_sums_the_month_s_digital_loans_only() {
    let p = policy("digital-loan-interest");
    let c = ctx("2026-03");
    let mut e = enterprise();
    e.facts = vec![
        loan("2026-03", "数字贷", 3001),
        loan("2026-03", "数字贷", 1000),
        loan("2026-03", "经营贷", 50000),
        loan("2026-02", "数字贷", 90000),
    ];
    assert_eq!(pays(&p, &e, &c), Some(2000), "half of 4001, rounded down");
    e.facts = vec![loan("2026-03", "数字贷", 4_000_001)];
    assert_eq!(pays(&p, &e, &c), Some(2_000_000), "capped");
    e.facts = vec![
        loan("2026-03", "经营贷", 5000),
        loan("2026-04", "数字贷", 5000),
    ];
    assert_eq!(pays(&p, &e, &c), None, "no digital-loan interest in March");
    e.facts = vec![loan("2026-03", "数字贷", 1)];
    assert_eq!(
        pays(&p, &e, &c),
        Some(0),
        "eligible, half of 1 fen rounds down to 0"
    );
    let elsewhere = with(e, "district", Value::Code(440605));
    assert_eq!(pays(&p, &elsewhere, &c), None);
}

#[test]
fn gas_subsidy_is_for_manufacturers_only() {
    let p = policy("gas-subsidy");
    let c = ctx("2026-03");
    let mut e = enterprise();
    e.facts = vec![
        gas("2026-03", 1000),
        gas("2026-03", 500),
        gas("2026-02", 7000),
    ];
    assert_eq!(pays(&p, &e, &c), Some(30000));
    for (code, manufacturing) in [
        (1300, true),
        (1299, false),
        (4399, true),
        (4400, false),
        (5211, false),
    ] {
        let s = with(e.clone(), "industry_code", Value::Int(code));
        assert_eq!(pays(&p, &s, &c).is_some(), manufacturing, "industry {code}");
    }
    e.facts = vec![gas("2026-03", 250_000)];
    assert_eq!(pays(&p, &e, &c), Some(5_000_000));
    e.facts = vec![gas("2026-03", 250_001)];
    assert_eq!(pays(&p, &e, &c), Some(5_000_000), "capped");
    e.facts = vec![];
    assert_eq!(pays(&p, &e, &c), None);
}

#[test]
fn small_to_large_thresholds_are_exact() {
    let p = policy("small-to-large");
    let c = ctx("2026-03");
    let s = |y2: i64, y1: i64| {
        with(
            with(enterprise(), "revenue_y2", Value::Money(y2)),
            "revenue_y1",
            Value::Money(y1),
        )
    };
    assert_eq!(
        pays(&p, &s(1_999_999_999, 2_000_000_000), &c),
        Some(10_000_000)
    );
    assert_eq!(pays(&p, &s(2_000_000_000, 2_000_000_000), &c), None);
    assert_eq!(pays(&p, &s(1_999_999_999, 1_999_999_999), &c), None);
    let services = with(s(1, 3_000_000_000), "industry_code", Value::Int(7212));
    assert_eq!(pays(&p, &services, &c), None);
}

#[test]
fn hitech_rd_boundaries() {
    let p = policy("hitech-rd");
    let c = ctx("2026-03");
    let base = || {
        let e = with(
            enterprise(),
            "high_tech_until",
            Value::Date(d("2026-03-01")),
        );
        let e = with(e, "revenue_y1", Value::Money(3_000_000_000));
        with(e, "rd_expense_y1", Value::Money(90_000_000 + 10_000_000))
    };
    // R&D 1,000,000 yuan exactly: ≥ 100000000 fen, and exactly 3% of 3,333,333,333? Use 3%.
    let e = with(base(), "revenue_y1", Value::Money(3_333_333_333));
    assert_eq!(
        pays(&p, &e, &c),
        Some(10_000_000),
        "3% exactly (100000000 × 100 ≥ 3333333333 × 3)"
    );
    let e = with(base(), "revenue_y1", Value::Money(3_333_333_334));
    assert_eq!(pays(&p, &e, &c), None, "just under 3%");
    assert_eq!(
        pays(
            &p,
            &with(base(), "rd_expense_y1", Value::Money(99_999_999)),
            &c
        ),
        None
    );
    assert_eq!(
        pays(
            &p,
            &with(base(), "high_tech_until", Value::Date(d("2026-02-28"))),
            &c
        ),
        None,
        "expired"
    );
    assert_eq!(
        pays(&p, &with(base(), "high_tech_until", Value::Null), &c),
        None,
        "no certificate"
    );
    assert_eq!(
        pays(&p, &with(base(), "revenue_y1", Value::Money(0)), &c),
        None,
        "no revenue"
    );
    let big = with(
        with(base(), "rd_expense_y1", Value::Money(600_000_000)),
        "revenue_y1",
        Value::Money(6_000_000_000),
    );
    assert_eq!(pays(&p, &big, &c), Some(50_000_000), "capped");
}

#[test]
fn explanations_name_values_departments_and_requirements() {
    let p = policy("small-to-large");
    let s = with(enterprise(), "revenue_y1", Value::Money(1_850_000_000));
    let e = evaluate(&p, &s, &ctx("2026-03")).unwrap();
    assert!(!e.eligible);
    let json = serde_json_like(&e);
    assert!(json.contains("revenue_y1"), "{json}");
    let rules::eval::Detail::All { children } = &e.explanation.detail else {
        panic!()
    };
    let reached = children.iter().find(|c| c.id == "reached").unwrap();
    assert!(!reached.passed);
    let rules::eval::Detail::Test {
        inputs,
        actual,
        requirement,
        ..
    } = &reached.detail
    else {
        panic!()
    };
    assert_eq!(*actual, Value::Money(1_850_000_000));
    assert_eq!(inputs[0].department, rules::Department::Tax);
    assert_eq!(inputs[0].description.zh_cn, "上一年度主营业务收入");
    assert_eq!(
        *requirement,
        rules::eval::Requirement::Compare {
            op: rules::expr::CmpOp::Ge,
            value: Value::Money(2_000_000_000)
        }
    );
    // What would make it eligible: revenue of 2000 万元.
    let s = &e.suggestions;
    assert_eq!(s.len(), 1, "{s:?}");
    assert_eq!(
        (s[0].criterion.as_str(), s[0].needed.clone(), s[0].relation),
        (
            "reached",
            Value::Money(2_000_000_000),
            rules::expr::CmpOp::Ge
        )
    );
    assert_eq!(s[0].current, Value::Money(1_850_000_000));
}

fn serde_json_like(e: &rules::Evaluation) -> String {
    format!("{e:?}")
}

#[test]
fn an_eightieth_birthday_is_the_date_one_qualifies() {
    let p = policy("senior-allowance");
    let e = evaluate(&p, &resident("1946-12-15"), &ctx("2026-03")).unwrap();
    assert!(!e.eligible);
    assert_eq!(e.passes_on, vec![("age-80".to_owned(), d("2026-12-15"))]);
    assert_eq!(e.eligible_from, Some(d("2026-12-15")));
    // Born on 29 February 1948: 80 on 29 February 2028 (a leap year).
    let e = evaluate(&p, &resident("1948-02-29"), &ctx("2026-03")).unwrap();
    assert_eq!(e.eligible_from, Some(d("2028-02-29")));
    // Born on 29 February 1947? No such day; 1949-02-28 turns 80 on 2029-02-28.
    // Time does not help a resident of another district.
    let elsewhere = with(
        resident("1946-12-15"),
        "hukou_district",
        Value::Code(440605),
    );
    let e = evaluate(&p, &elsewhere, &ctx("2026-03")).unwrap();
    assert_eq!(e.eligible_from, None);
    assert_eq!(e.suggestions[0].needed, Value::Code(440604));
}

#[test]
fn suggestions_cover_sets_ranges_and_ratios() {
    let c = ctx("2026-03");
    let e = evaluate(
        &policy("gas-subsidy"),
        &with(enterprise(), "industry_code", Value::Int(5211)),
        &c,
    )
    .unwrap();
    let s = e
        .suggestions
        .iter()
        .find(|s| s.criterion == "manufacturing")
        .unwrap();
    assert_eq!(
        (s.needed.clone(), s.relation),
        (Value::Int(4399), rules::expr::CmpOp::Le)
    );
    let e = evaluate(
        &policy("disability-nursing"),
        &with(resident("1980-01-01"), "disability_grade", Value::Int(3)),
        &c,
    )
    .unwrap();
    assert_eq!(e.suggestions[0].needed, Value::Int(2));
    let firm = with(
        with(
            enterprise(),
            "high_tech_until",
            Value::Date(d("2027-01-01")),
        ),
        "rd_expense_y1",
        Value::Money(100_000_000),
    );
    let firm = with(firm, "revenue_y1", Value::Money(5_000_000_000));
    let e = evaluate(&policy("hitech-rd"), &firm, &c).unwrap();
    let s = e
        .suggestions
        .iter()
        .find(|s| s.criterion == "rd-ratio")
        .unwrap();
    assert_eq!(s.needed, Value::Money(150_000_000), "3% of 5000 万元");
    let e = evaluate(
        &policy("disability-living"),
        &with(resident("1980-01-01"), "disability_grade", Value::Int(2)),
        &c,
    )
    .unwrap();
    assert_eq!(e.suggestions[0].needed, Value::Bool(true));
}

/// The requirement of a test, as its explanation shows it.
fn shown(
    e: &rules::Evaluation,
    id: &str,
) -> (rules::eval::Measure, Value, rules::eval::Requirement) {
    fn find<'e>(e: &'e rules::eval::Explanation, id: &str) -> Option<&'e rules::eval::Explanation> {
        use rules::eval::Detail;
        if e.id == id {
            return Some(e);
        }
        match &e.detail {
            Detail::All { children } | Detail::Any { children } => {
                children.iter().find_map(|c| find(c, id))
            }
            Detail::Not { child } => find(child, id),
            Detail::Test { .. } => None,
        }
    }
    match &find(&e.explanation, id).unwrap().detail {
        rules::eval::Detail::Test {
            measure,
            actual,
            requirement,
            ..
        } => (measure.clone(), actual.clone(), requirement.clone()),
        other => panic!("{other:?}"),
    }
}

#[test]
fn explanations_show_requirements_on_the_subjects_own_values() {
    use rules::eval::{Measure, Requirement};
    use rules::expr::CmpOp;
    // 黄总's firm: revenue ¥26,000,000, R&D ¥2,000,000: 3% of revenue is ¥780,000, not
    // ¥78,000,000 (the test is `rd_expense_y1 * 100 >= revenue_y1 * 3`).
    let firm = with(
        with(
            enterprise(),
            "high_tech_until",
            Value::Date(d("2027-01-01")),
        ),
        "revenue_y1",
        Value::Money(2_600_000_000),
    );
    let firm = with(firm, "rd_expense_y1", Value::Money(200_000_000));
    let e = evaluate(&policy("hitech-rd"), &firm, &ctx("2026-03")).unwrap();
    assert_eq!(
        shown(&e, "rd-ratio"),
        (
            Measure::Input {
                name: "rd_expense_y1".into()
            },
            Value::Money(200_000_000),
            Requirement::Compare {
                op: CmpOp::Ge,
                value: Value::Money(78_000_000)
            }
        )
    );
    // A share that does not divide evenly rounds up: 3% of ¥33,333,333.34 is ¥1,000,000.0002, so
    // at least ¥1,000,000.01.
    let odd = with(firm.clone(), "revenue_y1", Value::Money(3_333_333_334));
    let e = evaluate(&policy("hitech-rd"), &odd, &ctx("2026-03")).unwrap();
    assert_eq!(
        shown(&e, "rd-ratio").2,
        Requirement::Compare {
            op: CmpOp::Ge,
            value: Value::Money(100_000_001)
        }
    );
    // `industry_code / 100 in 13..=43` is about the code: 1300 to 4399.
    let e = evaluate(&policy("gas-subsidy"), &firm, &ctx("2026-03")).unwrap();
    assert_eq!(
        shown(&e, "manufacturing").2,
        Requirement::Between {
            low: Value::Int(1300),
            high: Value::Int(4399)
        }
    );
    // An age is shown as the age, worked out on the reference date.
    let e = evaluate(
        &policy("senior-allowance"),
        &resident("1941-05-02"),
        &ctx("2026-03"),
    )
    .unwrap();
    assert_eq!(
        shown(&e, "age-80"),
        (
            Measure::Age {
                of: "birth_date".into()
            },
            Value::Int(84),
            Requirement::Compare {
                op: CmpOp::Ge,
                value: Value::Int(80)
            }
        )
    );
}

#[test]
fn a_policy_names_every_attribute_it_reads() {
    let names = |id: &str| -> Vec<String> { policy(id).attributes().into_iter().collect() };
    assert_eq!(
        names("senior-allowance"),
        ["birth_date", "death_date", "hukou_district"]
    );
    // The amount's measure counts too.
    assert!(names("hitech-rd").contains(&"rd_expense_y1".to_owned()));
    let all = rules::policy::attributes_of(&rules::reference_policies());
    assert!(
        all.contains("dibao") && all.contains("industry_code"),
        "{all:?}"
    );
}

#[test]
fn a_department_s_code_is_its_name_in_the_catalogue() {
    for d in rules::Department::ALL {
        let read: std::collections::BTreeMap<String, rules::Department> =
            toml::from_str(&format!("d = \"{}\"", d.code())).unwrap();
        assert_eq!(read["d"], d);
    }
}

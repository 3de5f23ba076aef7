//! Policy files that are wrong are refused with the file, line, column and what was expected.

use rules::{load, reference_policies, Catalogue, LoadError};

const GOOD: &str = include_str!("../../../policies/small-to-large.toml");

fn load_str(src: &str) -> Result<rules::Policy, LoadError> {
    load("policies/test.toml", src, Catalogue::standard())
}

/// The line and column of the first occurrence of `needle` (1-based), to state expectations.
fn position_of(src: &str, needle: &str) -> (usize, usize) {
    let offset = src
        .find(needle)
        .unwrap_or_else(|| panic!("{needle:?} not in the file"));
    rules::policy::line_col(src, offset)
}

#[test]
fn the_reference_policies_load() {
    let all = reference_policies();
    assert!(
        all.iter().all(|p| p.sample),
        "they are marked as sample parameters"
    );
    let ids: Vec<&str> = all.iter().map(|p| p.id.as_str()).collect();
    for id in [
        "senior-allowance",
        "disability-living",
        "disability-nursing",
        "digital-loan-interest",
        "gas-subsidy",
        "small-to-large",
        "hitech-rd",
    ] {
        assert!(ids.contains(&id), "{id} is among {ids:?}");
    }
}

#[test]
fn an_unknown_attribute_is_refused_at_its_place() {
    let src = GOOD.replace("revenue_y1 >= 2000000000", "revenu_y1 >= 2000000000");
    let e = load_str(&src).unwrap_err();
    let (line, column) = position_of(&src, "revenu_y1");
    assert_eq!((e.line, e.column), (line, column), "{e}");
    assert_eq!(e.path, "criteria[3].test");
    assert!(e.message.contains("unknown attribute `revenu_y1`"), "{e}");
    assert!(
        e.to_string().starts_with(&format!(
            "policies/test.toml:{line}:{column}: criteria[3].test: "
        )),
        "{e}"
    );
}

#[test]
fn comparing_a_date_with_money_is_refused() {
    let src = GOOD.replace("revenue_y1 >= 2000000000", "established >= revenue_y1");
    let e = load_str(&src).unwrap_err();
    assert_eq!(e.message, "cannot compare date with money");
    assert_eq!((e.line, e.column), position_of(&src, "revenue_y1\""));
}

#[test]
fn a_missing_required_field_is_named() {
    let src = GOOD.replace("period = \"once\"\n", "");
    let e = load_str(&src).unwrap_err();
    assert!(e.message.contains("missing field `period`"), "{e}");
    let src = GOOD.replace("fen = 10000000\n", "");
    let e = load_str(&src).unwrap_err();
    assert_eq!(e.path, "amount.fen");
    assert!(e.message.contains("missing field `fen`"), "{e}");
}

#[test]
fn unknown_fields_and_values_are_refused() {
    let e = load_str(&GOOD.replace("version = 1", "version = 1\nowner = \"x\"")).unwrap_err();
    assert!(e.message.contains("unknown field `owner`"), "{e}");
    assert_eq!(e.line, 3);
    let e = load_str(&GOOD.replace("period = \"once\"", "period = \"weekly\"")).unwrap_err();
    assert!(e.message.contains("weekly"), "{e}");
    assert_eq!(
        (e.line, e.column),
        position_of(
            &GOOD.replace("period = \"once\"", "period = \"weekly\""),
            "\"weekly\""
        )
    );
    let e = load_str(&GOOD.replace("kind = \"fixed\"", "kind = \"percent\"")).unwrap_err();
    assert_eq!(e.path, "amount.kind");
    let e = load_str(&GOOD.replace("kind = \"fixed\"", "kind = \"fixed\"\ncap = 5")).unwrap_err();
    assert_eq!(e.path, "amount.cap");
}

#[test]
fn malformed_criteria_are_refused() {
    // Two criteria with one id.
    let e = load_str(&GOOD.replace("id = \"reached\"", "id = \"district\"")).unwrap_err();
    assert!(e.message.contains("used twice"), "{e}");
    // A criterion with both a test and a group.
    let src = GOOD.replace(
        "test = \"revenue_y1 >= 2000000000\"",
        "test = \"revenue_y1 >= 2000000000\"\nany = [{ id = \"x\", label = { zh-CN = \"x\", en = \"x\" }, test = \"employees > 1\" }]",
    );
    let e = load_str(&src).unwrap_err();
    assert!(e.message.contains("exactly one of"), "{e}");
    // A label in one language only.
    let e = load_str(&GOOD.replace(", en = \"Registered in Chancheng\"", "")).unwrap_err();
    assert!(e.message.contains("missing field `en`"), "{e}");
    // A test that is not TOML-quoted properly.
    let e = load_str(&GOOD.replace(
        "test = \"revenue_y2 < 2000000000\"",
        "test = revenue_y2 < 2000000000",
    ))
    .unwrap_err();
    assert_eq!(e.line, position_of(GOOD, "revenue_y2 <").0);
    // Bad dates and windows.
    let e = load_str(&GOOD.replace("from = \"2021-01-01\"", "from = \"2021-02-30\"")).unwrap_err();
    assert_eq!(e.path, "effective.from");
    let e = load_str(&GOOD.replace(
        "from = \"2021-01-01\"",
        "from = \"2021-01-01\", until = \"2020-01-01\"",
    ))
    .unwrap_err();
    assert!(e.message.contains("ends before it starts"), "{e}");
}

#[test]
fn a_resident_policy_cannot_use_enterprise_attributes() {
    let src = include_str!("../../../policies/senior-allowance.toml")
        .replace("age(birth_date) >= 80\"", "age(established) >= 80\"");
    let e = load_str(&src).unwrap_err();
    assert!(
        e.message
            .contains("unknown attribute `established` for a resident"),
        "{e}"
    );
}

const REVIEWED: &str = include_str!("../../../policies/tech-renovation.toml");

#[test]
fn an_application_under_review_states_what_it_asks_for() {
    let p = load_str(REVIEWED).unwrap();
    let a = p.application.expect("apply_reviewed has its application");
    assert_eq!(a.review_days, 10);
    assert_eq!(a.department.zh_cn, "禅城区经济和科技促进局");
    assert_eq!(a.questions.len(), 4);
    assert!(!a.questions[3].required, "the summary is optional");
    let codes: Vec<&str> = a.materials.iter().map(|m| m.code.as_str()).collect();
    assert_eq!(codes, ["project_filing", "equipment_invoices"]);
}

#[test]
fn an_application_section_goes_with_apply_reviewed_only() {
    let without = &REVIEWED[..REVIEWED.find("[application]").unwrap()];
    let e = load_str(without).unwrap_err();
    assert_eq!(e.path, "application");
    assert!(e.message.contains("needs an [application] section"), "{e}");

    let instant = REVIEWED.replace("mode = \"apply_reviewed\"", "mode = \"apply_instant\"");
    let e = load_str(&instant).unwrap_err();
    assert_eq!(e.path, "application");
    assert_eq!(e.line, position_of(&instant, "[application]").0, "{e}");
    assert!(e.message.contains("only mode = \"apply_reviewed\""), "{e}");
}

#[test]
fn a_bad_application_section_is_refused_with_its_field() {
    for (from, to, path, says) in [
        (
            "review_days = 10",
            "review_days = 0",
            "application.review_days",
            "1 to 60",
        ),
        (
            "review_days = 10",
            "review_days = 61",
            "application.review_days",
            "1 to 60",
        ),
        (
            "key = \"project.summary\"",
            "key = \"project.name\"",
            "application.question",
            "unique",
        ),
        (
            "key = \"project.summary\"",
            "key = \"Project Summary\"",
            "application.question",
            "a-z",
        ),
        (
            "kind = \"long_text\"",
            "kind = \"choice\"",
            "application.question",
            "options go with",
        ),
        (
            "kind = \"long_text\"",
            "kind = \"scope\"",
            "application.question",
            "一照通",
        ),
        (
            "code = \"equipment_invoices\"",
            "code = \"project_filing\"",
            "application.material",
            "unique",
        ),
        (
            "en = \"Chancheng Economy and Technology Bureau\"",
            "en = \" \"",
            "application.department",
            "both languages",
        ),
    ] {
        let src = REVIEWED.replace(from, to);
        let e = load_str(&src).unwrap_err();
        assert_eq!(e.path, path, "{to}: {e}");
        assert!(e.message.contains(says), "{to}: {e}");
    }
    let no_materials = REVIEWED[..REVIEWED.find("[[application.material]]").unwrap()].to_owned();
    let e = load_str(&no_materials).unwrap_err();
    assert!(e.message.contains("material"), "{e}");
}

#[test]
fn a_consent_window_is_the_policy_s_own() {
    let gas = rules::reference_policies()
        .into_iter()
        .find(|p| p.id == "gas-subsidy")
        .unwrap();
    assert_eq!(gas.consent_days, 42);
    let senior = rules::reference_policies()
        .into_iter()
        .find(|p| p.id == "senior-allowance")
        .unwrap();
    assert_eq!(senior.consent_days, rules::policy::CONSENT_DAYS);
    let source =
        std::fs::read_to_string(rules::testing::policies_dir().join("gas-subsidy.toml")).unwrap();
    let too_long = source.replace("consent_days = 42", "consent_days = 400");
    let e = rules::load("gas.toml", &too_long, rules::Catalogue::standard()).unwrap_err();
    assert_eq!(
        (e.problem.code, e.path.as_str()),
        ("consent_days", "consent_days"),
        "{e}"
    );
    let senior_source =
        std::fs::read_to_string(rules::testing::policies_dir().join("senior-allowance.toml"))
            .unwrap();
    let wrong_mode = senior_source.replace(
        "mode = \"automatic\"",
        "mode = \"automatic\"\nconsent_days = 30",
    );
    let e = rules::load("senior.toml", &wrong_mode, rules::Catalogue::standard()).unwrap_err();
    assert_eq!(e.problem.code, "consent_days_mode", "{e}");
}

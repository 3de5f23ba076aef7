use super::*;

fn test_of(kind: SubjectKind, src: &str) -> Result<Test, ExprError> {
    parse_test(src, kind, Catalogue::standard())
}

fn resident(src: &str) -> Result<Test, ExprError> {
    test_of(SubjectKind::Resident, src)
}

fn enterprise(src: &str) -> Result<Test, ExprError> {
    test_of(SubjectKind::Enterprise, src)
}

#[test]
fn parses_the_reference_shapes() {
    assert!(resident("age(birth_date) >= 80").is_ok());
    assert!(resident("hukou_district == '440604'").is_ok());
    assert!(resident("death_date is null").is_ok());
    assert!(resident("death_date > ref_date").is_ok());
    assert!(resident("disability_grade in 1..=4").is_ok());
    assert!(resident("disability_grade in [1, 2]").is_ok());
    assert!(resident("dibao == true").is_ok());
    assert!(enterprise("industry_code / 100 in 13..=43").is_ok());
    assert!(enterprise("sum(loan_interest.interest_fen where product == '数字贷') > 0").is_ok());
    assert!(enterprise("rd_expense_y1 * 100 >= revenue_y1 * 3").is_ok());
    assert!(enterprise("revenue_y1 >= 2_000_000_000").is_ok());
    assert!(enterprise("high_tech_until >= ref_date").is_ok());
    assert!(enterprise("established < 2020-01-01").is_ok());
}

#[test]
fn literals_take_the_type_of_the_other_side() {
    let Test::Cmp { right, .. } = enterprise("revenue_y1 >= 2000000000").unwrap() else {
        panic!()
    };
    assert_eq!(right, Expr::Lit(Value::Money(2_000_000_000)));
    let Test::Cmp { right, .. } = resident("hukou_district == '440604'").unwrap() else {
        panic!()
    };
    assert_eq!(right, Expr::Lit(Value::Code(440_604)));
    let Test::Cmp { right, .. } = enterprise("revenue_y1 > 20 * 100000000").unwrap() else {
        panic!()
    };
    assert_eq!(right.ty(), Type::Money);
}

#[test]
fn refuses_unknown_names_with_their_place() {
    let e = resident("age(birthdate) >= 80").unwrap_err();
    assert_eq!(e.offset, 4);
    assert!(
        e.message.contains("unknown attribute `birthdate`"),
        "{}",
        e.message
    );
    assert!(
        e.message.contains("birth_date"),
        "lists what exists: {}",
        e.message
    );
    let e = resident("revenue_y1 > 0").unwrap_err();
    assert!(
        e.message
            .contains("unknown attribute `revenue_y1` for a resident"),
        "{}",
        e.message
    );
    let e = enterprise("sum(loans.interest_fen) > 0").unwrap_err();
    assert_eq!(
        (
            e.offset,
            e.message.starts_with("unknown fact table `loans`")
        ),
        (4, true)
    );
    let e = enterprise("sum(loan_interest.interest) > 0").unwrap_err();
    assert_eq!(e.offset, 18);
    let e = enterprise("sum(loan_interest.product) > 0").unwrap_err();
    assert!(e.message.contains("cannot sum"), "{}", e.message);
}

#[test]
fn refuses_type_errors() {
    let e = enterprise("established > revenue_y1").unwrap_err();
    assert_eq!(e.message, "cannot compare date with money");
    assert_eq!(e.offset, 14);
    assert_eq!(
        resident("birth_date >= 80").unwrap_err().message,
        "cannot compare date with int"
    );
    assert_eq!(
        enterprise("revenue_y1 * revenue_y2 > 0")
            .unwrap_err()
            .message,
        "cannot multiply a money and a money"
    );
    assert_eq!(
        enterprise("revenue_y1 + employees > 0")
            .unwrap_err()
            .message,
        "cannot add a money and a int"
    );
    assert!(resident("age(disability_grade) > 1")
        .unwrap_err()
        .message
        .starts_with("age() takes a date"));
    assert!(resident("dibao > false")
        .unwrap_err()
        .message
        .contains("only be compared with =="));
    assert!(resident("hukou_district == '4406'").is_err());
    assert!(resident("disability_grade in [1, 'two']").is_err());
    assert!(resident("disability_grade in 4..=1")
        .unwrap_err()
        .message
        .contains("empty"));
    assert!(enterprise("revenue_y1 / 0 > 1")
        .unwrap_err()
        .message
        .contains("division by zero"));
}

#[test]
fn refuses_malformed_text() {
    assert!(resident("age(birth_date) >=").is_err());
    assert!(resident("age(birth_date >= 80").is_err());
    assert!(resident("hukou_district == '440604")
        .unwrap_err()
        .message
        .contains("closing quote"));
    assert!(resident("birth_date > 2023-02-30")
        .unwrap_err()
        .message
        .contains("not a date"));
    assert!(resident("age(birth_date) >= 80 80")
        .unwrap_err()
        .message
        .contains("after the end"));
    assert!(resident("age(birth_date) # 80")
        .unwrap_err()
        .message
        .contains("unexpected character"));
    assert!(resident("").is_err());
}

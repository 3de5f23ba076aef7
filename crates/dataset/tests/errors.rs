//! Every kind of bad input is refused with the file, line, column and problem.

use dataset::{load, DataError, Files, Options};

const RESIDENTS: &str =
    "resident_id,birth_date,hukou_district,street,death_date,disability_grade,dibao\n\
R1,1946-03-01,440604,祖庙街道,,0,false\n\
R2,1950-07-15,440604,\"张槎街道\",,2,true\n";
const ENTERPRISES: &str = "enterprise_id,uscc,name,district,street,industry_code,established,high_tech_until,employees,revenue_y1,revenue_y2,rd_expense_y1\n\
E1,91350100M000100Y43,\"佛山市\"\"好运\"\"五金, 建材有限公司\",440604,祖庙街道,3311,2010-05-01,,12,2000000000,1999999999,0\n\
E2,91440300708461136T,康宁药房,440604,,5251,2015-01-01,2027-01-01,5,1000,1000,100\n";
const LOANS: &str =
    "enterprise_id,month,product,interest_fen\nE1,2026-03,数字贷,3001\nE1,2026-03,数字贷,1000\n";
const GAS: &str = "enterprise_id,month,cubic_meters\nE2,2026-03,120\n";

fn load_with(
    residents: &str,
    enterprises: &str,
    loans: &str,
    gas: &str,
) -> Result<dataset::DataSet, dataset::DataErrors> {
    let files = Files {
        residents: residents.as_bytes(),
        enterprises: enterprises.as_bytes(),
        loan_interest: loans.as_bytes(),
        gas_usage: gas.as_bytes(),
    };
    load(&files, &Options::default())
}

fn error(residents: &str, enterprises: &str, loans: &str, gas: &str) -> DataError {
    let mut errors = load_with(residents, enterprises, loans, gas).unwrap_err().0;
    assert_eq!(errors.len(), 1, "{errors:?}");
    errors.remove(0)
}

#[test]
fn every_bad_row_is_named_not_only_the_first() {
    let residents = RESIDENTS.replace("1950-07-15", "1950-02-30").replace(
        "R1,1946-03-01,440604,祖庙街道,,0,",
        "R1,1946-03-01,440604,祖庙街道,,7,",
    );
    let gas = format!("{GAS}E9,2026-03,5\n");
    let errors = load_with(&residents, ENTERPRISES, LOANS, &gas)
        .unwrap_err()
        .0;
    let places: Vec<(&str, usize)> = errors.iter().map(|e| (e.file, e.line)).collect();
    assert_eq!(places, [("residents.csv", 2), ("residents.csv", 3)]);
    // Fact rows are tied to enterprises only once every file reads: then the unknown one is named.
    let errors = load_with(RESIDENTS, ENTERPRISES, LOANS, &gas)
        .unwrap_err()
        .0;
    assert_eq!(errors.len(), 1);
    assert_eq!((errors[0].file, errors[0].line), ("gas_usage.csv", 3));
}

#[test]
fn a_good_set_loads_with_quoted_fields() {
    let set = load_with(RESIDENTS, ENTERPRISES, LOANS, GAS).unwrap();
    assert_eq!(set.residents.len(), 2);
    assert_eq!(
        set.enterprises.subject(0).get("name"),
        &rules::Value::String("佛山市\"好运\"五金, 建材有限公司".into())
    );
    assert_eq!(
        set.residents.subject(1).get("street"),
        &rules::Value::String("张槎街道".into())
    );
    assert_eq!(set.enterprises.subject(0).facts.len(), 2);
    // CRLF line ends read the same.
    let crlf = load_with(&RESIDENTS.replace('\n', "\r\n"), ENTERPRISES, LOANS, GAS).unwrap();
    assert_eq!(crlf.residents, set.residents);
}

#[test]
fn a_bad_date() {
    let e = error(
        &RESIDENTS.replace("1950-07-15", "1950-02-30"),
        ENTERPRISES,
        LOANS,
        GAS,
    );
    assert_eq!(
        e.to_string(),
        "residents.csv:3: column 2 (birth_date): \"1950-02-30\" is not a date (YYYY-MM-DD)"
    );
}

#[test]
fn money_that_is_not_a_number() {
    let e = error(
        RESIDENTS,
        &ENTERPRISES.replace("1000,1000,100", "1000,10.5,100"),
        LOANS,
        GAS,
    );
    assert_eq!((e.file, e.line), ("enterprises.csv", 3));
    assert_eq!(e.column, Some((11, "revenue_y2".to_owned())));
    assert!(e.message.contains("not money in whole fen"), "{e}");
    let e = error(RESIDENTS, ENTERPRISES, &LOANS.replace("3001", "三千"), GAS);
    assert_eq!(
        e.to_string(),
        "loan_interest.csv:2: column 4 (interest_fen): \"三千\" is not money in whole fen"
    );
}

#[test]
fn a_missing_column() {
    let e = error(
        &RESIDENTS.replacen(",dibao", "", 1),
        ENTERPRISES,
        LOANS,
        GAS,
    );
    assert_eq!((e.file, e.line), ("residents.csv", 1));
    assert!(e.message.starts_with("missing column `dibao`"), "{e}");
}

#[test]
fn a_duplicate_id() {
    let e = error(&RESIDENTS.replace("R2,", "R1,"), ENTERPRISES, LOANS, GAS);
    assert_eq!(
        e.to_string(),
        "residents.csv:3: column 1 (resident_id): duplicate id \"R1\" (also on line 2)"
    );
    // Out of order too.
    let unsorted =
        format!("{RESIDENTS}R0,1960-01-01,440604,,,0,false\nR2,1960-01-01,440604,,,0,false\n");
    let e = error(&unsorted, ENTERPRISES, LOANS, GAS);
    assert_eq!(
        (e.line, e.message.as_str()),
        (5, "duplicate id \"R2\" (also on line 3)")
    );
}

#[test]
fn a_wrong_uscc_check_character() {
    let e = error(
        RESIDENTS,
        &ENTERPRISES.replace("91350100M000100Y43", "91350100M000100Y44"),
        LOANS,
        GAS,
    );
    assert_eq!(
        e.to_string(),
        "enterprises.csv:2: column 2 (uscc): \"91350100M000100Y44\" is not a valid 统一社会信用代码: its check character (the 18th) is wrong"
    );
}

#[test]
fn other_problems() {
    let e = error(
        &RESIDENTS.replace("440604,祖庙", "4406,祖庙"),
        ENTERPRISES,
        LOANS,
        GAS,
    );
    assert!(e.message.contains("6-digit division code"), "{e}");
    let e = error(
        &RESIDENTS.replace(",2,true", ",5,true"),
        ENTERPRISES,
        LOANS,
        GAS,
    );
    assert!(e.message.contains("out of range (0 to 4)"), "{e}");
    let e = error(
        &RESIDENTS.replace(",0,false", ",0,no"),
        ENTERPRISES,
        LOANS,
        GAS,
    );
    assert!(e.message.contains("not true or false"), "{e}");
    let e = error(
        &RESIDENTS.replace(",0,false", ",0"),
        ENTERPRISES,
        LOANS,
        GAS,
    );
    assert_eq!(
        (e.line, e.message.as_str()),
        (2, "expected 7 fields, found 6")
    );
    let e = error(
        RESIDENTS,
        ENTERPRISES,
        &LOANS.replace("E1,2026-03,数字贷,1000", "E9,2026-03,数字贷,1000"),
        GAS,
    );
    assert_eq!(
        e.to_string(),
        "loan_interest.csv:3: column 1 (enterprise_id): no enterprise \"E9\" in enterprises.csv"
    );
    let e = error(
        RESIDENTS,
        ENTERPRISES,
        LOANS,
        &GAS.replace("2026-03", "2026-3"),
    );
    assert!(e.message.contains("not a month"), "{e}");
    let e = error(&format!("\u{feff}{RESIDENTS}"), ENTERPRISES, LOANS, GAS);
    assert!(e.message.contains("byte order mark"), "{e}");
    let e = error("", ENTERPRISES, LOANS, GAS);
    assert!(e.message.contains("empty"), "{e}");
    let e = error(
        &RESIDENTS.replace("\"张槎街道\"", "\"张槎街道"),
        ENTERPRISES,
        LOANS,
        GAS,
    );
    assert!(e.message.contains("not closed"), "{e}");
}

#[test]
fn errors_in_the_second_half_of_a_split_file_have_the_right_line() {
    let mut big = String::from(
        "resident_id,birth_date,hukou_district,street,death_date,disability_grade,dibao\n",
    );
    for i in 0..1000 {
        big.push_str(&format!("R{i:05},1960-01-01,440604,祖庙街道,,0,false\n"));
    }
    let big = big.replace("R00900,1960-01-01", "R00900,1960-13-01");
    let files = Files {
        residents: big.as_bytes(),
        enterprises: ENTERPRISES.as_bytes(),
        loan_interest: LOANS.as_bytes(),
        gas_usage: GAS.as_bytes(),
    };
    let e = load(
        &files,
        &Options {
            keep: None,
            threads: 4,
        },
    )
    .unwrap_err()
    .0
    .remove(0);
    assert_eq!((e.line, e.column.unwrap().0), (902, 2));
}

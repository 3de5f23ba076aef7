//! What an issued licence says: its number, the 统一社会信用代码 of a new business, each
//! permit's number and validity; and the working days an application has used and has left.
//! Pure: the server stores what this decides.

use std::collections::BTreeMap;

use api::Date;

use crate::calendar::Calendar;
use crate::catalogue::{Form, BUSINESS_LICENCE};

/// The district's administrative division code (禅城区), which licence numbers begin with.
pub const DISTRICT: &str = "440604";

/// A licence's number: the district, the year of issue and the application's id.
pub fn licence_number(issued_on: Date, application: i64) -> String {
    format!("{DISTRICT}{:04}{application:06}", issued_on.year())
}

/// A date `years` after `from`, less a day (a licence valid 5 years from 2026-11-29 ends on
/// 2031-11-28; from 29 February, on 28 February when that year has no 29th).
pub fn valid_to(from: Date, years: u32) -> Date {
    let year = from.year() + years as i32;
    let same = Date::new(year, from.month(), from.day())
        .or_else(|_| Date::new(year, 3, 1))
        .expect("a day of the month");
    Date::from_days_since_epoch(same.days_since_epoch() - 1)
}

/// A 统一社会信用代码 for a new business: 91 (company) or 92 (individual business), the
/// district, then a serial, then its check character.
pub fn new_uscc(form: &str, serial: i64) -> String {
    let kind = if form == "sole_trader" { "92" } else { "91" };
    let first17 = format!("{kind}{DISTRICT}MA{:07}", serial % 10_000_000);
    let check = api::validate::uscc_check_character(&first17).expect("digits and MA are valid");
    format!("{first17}{check}")
}

/// One permit of an issued licence.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IssuedPermit {
    pub code: String,
    /// The business licence carries the credit code; every other permit the licence number
    /// and its place (`…-01`).
    pub number: String,
    /// The last day it is valid; none for a permit without a term.
    pub valid_to: Option<Date>,
}

/// What approval issues.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Issue {
    pub number: String,
    /// The business's credit code: the one it answered, or a new one.
    pub uscc: String,
    pub permits: Vec<IssuedPermit>,
}

/// What application `application` of `form`, answered with `answers`, issues on `day`.
pub fn issue(
    form: &Form,
    answers: &BTreeMap<String, String>,
    application: i64,
    day: Date,
) -> Issue {
    let number = licence_number(day, application);
    let uscc = answers
        .get("business.uscc")
        .filter(|u| !u.is_empty())
        .cloned()
        .unwrap_or_else(|| {
            let legal_form = answers
                .get("business_licence.form")
                .map(String::as_str)
                .unwrap_or_default();
            new_uscc(legal_form, application)
        });
    let permits = form
        .permits
        .iter()
        .enumerate()
        .map(|(i, p)| IssuedPermit {
            code: p.code.clone(),
            number: if p.code == BUSINESS_LICENCE {
                uscc.clone()
            } else {
                format!("{number}-{i:02}")
            },
            valid_to: (p.valid_years > 0).then(|| valid_to(day, p.valid_years)),
        })
        .collect();
    Issue {
        number,
        uscc,
        permits,
    }
}

/// The day the promised time ends, counted in working days from acceptance.
pub fn deadline(accepted: Date, promised_days: u32) -> Date {
    Calendar::standard().add_working_days(accepted, promised_days)
}

/// Working days from acceptance to `end` (the last step of a finished application, or today).
pub fn working_days_used(accepted: Date, end: Date) -> i64 {
    Calendar::standard().working_days_between(accepted, end)
}

/// Working days from `today` until the deadline's day.
pub fn working_days_left(today: Date, deadline: Date) -> i64 {
    Calendar::standard().working_days_between(today, deadline)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::{form, standard};

    fn d(s: &str) -> Date {
        s.parse().unwrap()
    }

    #[test]
    fn validity_ends_the_day_before_the_anniversary() {
        assert_eq!(valid_to(d("2026-11-29"), 5), d("2031-11-28"));
        assert_eq!(valid_to(d("2028-02-29"), 4), d("2032-02-28"));
        assert_eq!(valid_to(d("2028-02-29"), 1), d("2029-02-28"));
        assert_eq!(valid_to(d("2026-01-01"), 4), d("2029-12-31"));
    }

    #[test]
    fn new_codes_are_valid_credit_codes() {
        for (form, serial) in [("sole_trader", 1), ("llc", 42), ("", 9_999_999)] {
            let code = new_uscc(form, serial);
            assert!(api::Uscc::parse(&code).is_ok(), "{code}");
        }
        assert!(new_uscc("sole_trader", 7).starts_with("92440604MA0000007"));
    }

    #[test]
    fn a_pharmacy_licence_carries_its_code_and_numbered_permits() {
        let f = form(
            &standard(),
            "pharmacy",
            &["business_licence".into(), "drug_retail".into()],
        )
        .unwrap();
        let mut answers = BTreeMap::new();
        answers.insert("business_licence.form".to_owned(), "sole_trader".to_owned());
        let issued = issue(&f, &answers, 12, d("2026-12-02"));
        assert_eq!(issued.number, "4406042026000012");
        assert!(issued.uscc.starts_with("92440604MA0000012"));
        let licence = issued
            .permits
            .iter()
            .find(|p| p.code == BUSINESS_LICENCE)
            .unwrap();
        assert_eq!(licence.number, issued.uscc);
        let others: Vec<&IssuedPermit> = issued
            .permits
            .iter()
            .filter(|p| p.code != BUSINESS_LICENCE)
            .collect();
        assert!(!others.is_empty());
        for p in others {
            assert!(p.number.starts_with("4406042026000012-"), "{p:?}");
        }
        // An answered credit code is kept, not replaced.
        answers.insert("business.uscc".to_owned(), "91440604MA4UXXXX0X".to_owned());
        assert_eq!(
            issue(&f, &answers, 12, d("2026-12-02")).uscc,
            "91440604MA4UXXXX0X"
        );
    }

    #[test]
    fn deadlines_count_working_days_only() {
        // Friday 2026-12-04 plus one working day is Monday 2026-12-07.
        assert_eq!(deadline(d("2026-12-04"), 1), d("2026-12-07"));
        assert_eq!(working_days_used(d("2026-12-04"), d("2026-12-07")), 1);
        assert_eq!(working_days_left(d("2026-12-07"), d("2026-12-04")), -1);
    }
}

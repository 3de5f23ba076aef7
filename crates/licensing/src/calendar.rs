//! Working days (工作日) in Asia/Shanghai, for promised time limits (承诺时限): a limit of N
//! working days starts the day after acceptance and ends at the close of the Nth working day.

use std::collections::BTreeSet;

use api::Date;
use serde::Deserialize;

/// Public holidays and worked weekend days, by year.
#[derive(Clone, Debug)]
pub struct Calendar {
    holidays: BTreeSet<Date>,
    workdays: BTreeSet<Date>,
    years: BTreeSet<i32>,
}

#[derive(Deserialize)]
struct File {
    year: Vec<Year>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Year {
    year: i32,
    holidays: Vec<Date>,
    workdays: Vec<Date>,
}

/// Monday is 0, Sunday 6.
pub fn weekday(d: Date) -> u8 {
    // 1970-01-01 was a Thursday (3).
    (d.days_since_epoch() + 3).rem_euclid(7) as u8
}

impl Calendar {
    /// The calendar compiled into Zhida (`calendar.toml`), read once.
    pub fn standard() -> &'static Calendar {
        static STANDARD: std::sync::LazyLock<Calendar> = std::sync::LazyLock::new(|| {
            Calendar::parse(include_str!("calendar.toml")).expect("the built-in calendar parses")
        });
        &STANDARD
    }

    pub fn parse(text: &str) -> Result<Calendar, String> {
        let file: File = toml::from_str(text).map_err(|e| e.to_string())?;
        let mut c = Calendar {
            holidays: BTreeSet::new(),
            workdays: BTreeSet::new(),
            years: BTreeSet::new(),
        };
        for y in file.year {
            for d in y.holidays.iter().chain(&y.workdays) {
                if d.year() != y.year {
                    return Err(format!("{d} is listed under {}", y.year));
                }
            }
            c.holidays.extend(y.holidays);
            c.workdays.extend(y.workdays);
            c.years.insert(y.year);
        }
        Ok(c)
    }

    /// Whether the holidays of `year` are known (otherwise only weekends are days off).
    pub fn knows(&self, year: i32) -> bool {
        self.years.contains(&year)
    }

    pub fn is_working_day(&self, d: Date) -> bool {
        if self.workdays.contains(&d) {
            return true;
        }
        weekday(d) < 5 && !self.holidays.contains(&d)
    }

    /// The day a limit of `n` working days ends when counting starts the day after `from`
    /// (with `n` = 0, `from` itself).
    pub fn add_working_days(&self, from: Date, n: u32) -> Date {
        let mut day = from.days_since_epoch();
        let mut left = n;
        while left > 0 {
            day += 1;
            if self.is_working_day(Date::from_days_since_epoch(day)) {
                left -= 1;
            }
        }
        Date::from_days_since_epoch(day)
    }

    /// Working days after `from` up to and including `to` (negative when `to` is earlier):
    /// what a countdown shows.
    pub fn working_days_between(&self, from: Date, to: Date) -> i64 {
        let (a, b, sign) = if to >= from {
            (from, to, 1)
        } else {
            (to, from, -1)
        };
        let count = (a.days_since_epoch() + 1..=b.days_since_epoch())
            .filter(|d| self.is_working_day(Date::from_days_since_epoch(*d)))
            .count() as i64;
        sign * count
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        s.parse().unwrap()
    }

    #[test]
    fn weekdays_are_right() {
        assert_eq!(weekday(d("1970-01-01")), 3);
        assert_eq!(weekday(d("2026-11-29")), 6); // a Sunday
        assert_eq!(weekday(d("2026-11-30")), 0);
        assert_eq!(weekday(d("2024-02-29")), 3);
    }

    #[test]
    fn holidays_and_worked_weekends_of_2026() {
        let c = Calendar::standard();
        assert!(c.knows(2026));
        assert!(!c.is_working_day(d("2026-10-01")), "National Day");
        assert!(
            !c.is_working_day(d("2026-02-16")),
            "Spring Festival, a Monday"
        );
        assert!(c.is_working_day(d("2026-02-14")), "a Saturday worked");
        assert!(c.is_working_day(d("2026-10-10")), "a Saturday worked");
        assert!(!c.is_working_day(d("2026-11-28")), "an ordinary Saturday");
        assert!(c.is_working_day(d("2026-11-30")), "an ordinary Monday");
    }

    #[test]
    fn limits_count_from_the_next_working_day() {
        let c = Calendar::standard();
        // Accepted on a Friday: 1 working day ends on Monday.
        assert_eq!(c.add_working_days(d("2026-11-27"), 1), d("2026-11-30"));
        assert_eq!(c.add_working_days(d("2026-11-27"), 5), d("2026-12-04"));
        assert_eq!(c.add_working_days(d("2026-11-27"), 0), d("2026-11-27"));
        // Accepted on 30 September: the Golden Week and the worked Saturday.
        assert_eq!(c.add_working_days(d("2026-09-30"), 1), d("2026-10-08"));
        assert_eq!(c.add_working_days(d("2026-09-30"), 3), d("2026-10-10"));
        // Across the Spring Festival, with the worked Saturday before it.
        assert_eq!(c.add_working_days(d("2026-02-12"), 2), d("2026-02-14"));
        assert_eq!(c.add_working_days(d("2026-02-12"), 3), d("2026-02-24"));
    }

    #[test]
    fn a_countdown_is_the_inverse_of_adding() {
        let c = Calendar::standard();
        for start in ["2026-01-01", "2026-02-10", "2026-09-28", "2026-12-30"] {
            for n in 0..25 {
                let end = c.add_working_days(d(start), n);
                assert_eq!(
                    c.working_days_between(d(start), end),
                    n as i64,
                    "{start} + {n}"
                );
                assert_eq!(c.working_days_between(end, d(start)), -(n as i64));
            }
        }
    }

    #[test]
    fn a_date_under_the_wrong_year_is_refused() {
        let e =
            Calendar::parse("[[year]]\nyear = 2027\nholidays = [\"2026-01-01\"]\nworkdays = []\n")
                .unwrap_err();
        assert!(e.contains("2026-01-01 is listed under 2027"), "{e}");
    }
}

//! The registers' personal columns (DATASET.md): a resident's `id_number` and `name`, an
//! enterprise's `legal_rep_id_number`. They are optional, and read apart from the attributes
//! so that they never become columns the rules engine sees; they serve only to link a
//! verified account to its record.

use std::borrow::Cow;

use api::{Date, IdNumber};
use rules::SubjectKind;

use crate::csv::Reader;
use crate::table::line_of;
use crate::{DataError, DataErrors, Files, ENTERPRISES, RESIDENTS};

/// The longest name a register may hold.
pub const NAME_MAX: usize = 50;

/// What a register says of who one subject is. `Debug` masks it.
#[derive(Clone, PartialEq, Eq)]
pub struct Personal {
    pub kind: SubjectKind,
    /// The subject's id (`resident_id`, `enterprise_id`).
    pub id: String,
    /// The resident's, or the enterprise's legal representative's, ID number.
    pub id_number: Option<IdNumber>,
    /// The resident's name (enterprises: none).
    pub name: Option<String>,
}

impl std::fmt::Debug for Personal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Personal")
            .field("kind", &self.kind)
            .field("id", &self.id)
            .field("id_number", &self.id_number)
            .field("name", &self.name.as_ref().map(|_| "…"))
            .finish()
    }
}

/// Whether a register's name can be kept: at most [`NAME_MAX`] characters, no control
/// characters. The refusal names no content.
pub fn check_name(name: &str) -> Result<(), String> {
    if name.chars().count() > NAME_MAX || name.chars().any(char::is_control) {
        Err(format!(
            "a name of at most {NAME_MAX} characters, without control characters"
        ))
    } else {
        Ok(())
    }
}

/// A name as compared: inner spaces and the middle dot's various forms in minority names
/// (·, •, ・, ．) are the same to a person, so they are to the check.
pub fn normalize_name(name: &str) -> String {
    name.chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| {
            if matches!(c, '•' | '・' | '.' | '．') {
                '·'
            } else {
                c
            }
        })
        .collect()
}

/// Reads the personal columns of a data set's registers: nothing when a file has none of
/// them. `today` bounds the dates of birth in ID numbers. Every bad value is named by file,
/// line and column, never by its content.
pub fn read(files: &Files<'_>, today: Date) -> Result<Vec<Personal>, DataErrors> {
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for (file, data, kind, id_column, number_column, name_column) in [
        (
            RESIDENTS,
            files.residents,
            SubjectKind::Resident,
            "resident_id",
            "id_number",
            Some("name"),
        ),
        (
            ENTERPRISES,
            files.enterprises,
            SubjectKind::Enterprise,
            "enterprise_id",
            "legal_rep_id_number",
            None,
        ),
    ] {
        let columns = Columns {
            file,
            data,
            kind,
            id: id_column,
            number: number_column,
            name: name_column,
        };
        columns.read(today, &mut out, &mut errors);
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(DataErrors(errors))
    }
}

struct Columns<'a> {
    file: &'static str,
    data: &'a [u8],
    kind: SubjectKind,
    id: &'static str,
    number: &'static str,
    name: Option<&'static str>,
}

impl Columns<'_> {
    fn read(&self, today: Date, out: &mut Vec<Personal>, errors: &mut Vec<DataError>) {
        let data = self.data;
        let mut reader = Reader::new(data, 0, data.len());
        let mut fields: Vec<Cow<'_, [u8]>> = Vec::new();
        let fail = |offset: usize, column: Option<(usize, &str)>, message: String| DataError {
            file: self.file,
            line: line_of(data, offset),
            column: column.map(|(i, n)| (i + 1, n.to_owned())),
            message,
        };
        // The attributes' reader has checked the header and the records' syntax already.
        if !matches!(reader.record(&mut fields), Ok(true)) {
            return;
        }
        let names: Vec<String> = fields
            .iter()
            .map(|f| String::from_utf8_lossy(f).trim().to_owned())
            .collect();
        let at = |name: &str| names.iter().position(|n| n == name);
        let (Some(id_at), number_at, name_at) =
            (at(self.id), at(self.number), self.name.and_then(at))
        else {
            return;
        };
        if number_at.is_none() && name_at.is_none() {
            return;
        }
        loop {
            let offset = reader.position();
            match reader.record(&mut fields) {
                Ok(true) => {}
                Ok(false) => break,
                Err(e) => {
                    errors.push(fail(e.offset, None, e.message.to_owned()));
                    break;
                }
            }
            let text = |i: Option<usize>| {
                i.and_then(|i| fields.get(i))
                    .map(|f| String::from_utf8_lossy(f).trim().to_owned())
                    .filter(|s| !s.is_empty())
            };
            let Some(id) = text(Some(id_at)) else {
                continue;
            };
            let id_number = match text(number_at) {
                None => None,
                Some(n) => match IdNumber::parse(&n, today) {
                    Ok(n) => Some(n),
                    Err(e) => {
                        let column = number_at.map(|i| (i, self.number));
                        errors.push(fail(
                            offset,
                            column,
                            format!("not a valid ID number ({e:?})"),
                        ));
                        continue;
                    }
                },
            };
            let name = text(name_at);
            if let Some(Err(why)) = name.as_deref().map(check_name) {
                errors.push(fail(offset, name_at.zip(self.name), why));
                continue;
            }
            if id_number.is_some() || name.is_some() {
                out.push(Personal {
                    kind: self.kind,
                    id,
                    id_number,
                    name,
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files<'a>(residents: &'a str, enterprises: &'a str) -> Files<'a> {
        Files {
            residents: residents.as_bytes(),
            enterprises: enterprises.as_bytes(),
            loan_interest: b"",
            gas_usage: b"",
        }
    }

    const TODAY: (i32, u8, u8) = (2026, 12, 2);

    fn today() -> Date {
        Date::new(TODAY.0, TODAY.1, TODAY.2).unwrap()
    }

    #[test]
    fn names_compare_without_spaces_and_with_one_middle_dot() {
        assert_eq!(normalize_name(" 林 秀英 "), "林秀英");
        assert_eq!(normalize_name("阿依古丽•买买提"), "阿依古丽·买买提");
        assert_eq!(
            normalize_name("阿依古丽・买买提"),
            normalize_name("阿依古丽·买买提")
        );
    }

    #[test]
    fn files_without_the_columns_have_nothing() {
        let f = files(
            "resident_id,birth_date\nR1,1950-01-01\n",
            "enterprise_id,uscc\nE1,x\n",
        );
        assert_eq!(read(&f, today()).unwrap(), vec![]);
    }

    #[test]
    fn reads_numbers_and_names_and_skips_empty_ones() {
        let f = files(
            "resident_id,id_number,name\nR1,440604194103150019,陈 伯\nR2,,\n",
            "enterprise_id,legal_rep_id_number\nE1,440604194103150019\nE2,\n",
        );
        let got = read(&f, today()).unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].kind, SubjectKind::Resident);
        assert_eq!(got[0].id, "R1");
        assert_eq!(
            got[0].id_number.as_ref().unwrap().expose(),
            "440604194103150019"
        );
        assert_eq!(got[0].name.as_deref(), Some("陈 伯"));
        assert_eq!(got[1].kind, SubjectKind::Enterprise);
        assert_eq!(got[1].name, None);
    }

    #[test]
    fn a_bad_number_is_named_by_line_and_column_not_by_value() {
        let f = files(
            "resident_id,name,id_number\nR1,陈伯,440604194103150019\nR2,李四,440604194103150018\n",
            "enterprise_id\nE1\n",
        );
        let errors = read(&f, today()).unwrap_err().0;
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].file, RESIDENTS);
        assert_eq!(errors[0].line, 3);
        assert_eq!(errors[0].column, Some((3, "id_number".to_owned())));
        assert!(
            !errors[0].message.contains("440604"),
            "{}",
            errors[0].message
        );
        assert!(!format!(
            "{:?}",
            read(
                &files("resident_id,name\nR1,陈伯\n", "enterprise_id\n"),
                today()
            )
        )
        .contains("陈伯"));
    }
}

//! One field read and checked against its column's kind, and the small parsers it uses.

use super::*;

/// A field read and checked: an identifier, a number (dates as days, months as
/// [`Month::index`], booleans as 0/1, [`NULL`] for empty) or text.
pub(crate) enum Checked<'a> {
    Id(&'a str),
    Num(i64),
    Str(&'a str),
}

/// Checks one field against its column's kind: what is wrong with it, in a sentence.
pub(crate) fn check(kind: Kind, raw: &[u8]) -> Result<Checked<'_>, String> {
    let text = || String::from_utf8_lossy(raw).into_owned();
    let utf8 = || std::str::from_utf8(raw).map_err(|_| "not UTF-8".to_owned());
    Ok(Checked::Num(match kind {
        Kind::Id | Kind::EnterpriseRef => {
            let id = utf8()?;
            if id.is_empty() {
                return Err("an identifier is required".into());
            }
            // Control characters: ASCII ones by byte, the others (U+0080 to U+009F) only
            // where there is text beyond ASCII.
            if id.bytes().any(|b| b < 0x20 || b == 0x7f)
                || (!id.is_ascii() && id.chars().any(char::is_control))
            {
                return Err(format!(
                    "{id:?}: an identifier may not contain control characters"
                ));
            }
            return Ok(Checked::Id(id));
        }
        Kind::Date { required } => parse_date(raw, required)
            .ok_or_else(|| format!("{:?} is not a date (YYYY-MM-DD)", text()))?,
        Kind::Month => {
            parse_month(raw).ok_or_else(|| format!("{:?} is not a month (YYYY-MM)", text()))?
        }
        Kind::Code => {
            parse_code(raw).ok_or_else(|| format!("{:?} is not a 6-digit division code", text()))?
        }
        Kind::Int { min, max, required } => match parse_int(raw) {
            Some(n) if (min..=max).contains(&n) => n,
            None if raw.is_empty() && !required => NULL,
            Some(n) => return Err(format!("{n} is out of range ({min} to {max})")),
            None => return Err(format!("{:?} is not a whole number", text())),
        },
        Kind::Money => match parse_int(raw) {
            Some(n) if n >= 0 => n,
            Some(n) => return Err(format!("{n} is negative: money is 0 fen or more")),
            None => return Err(format!("{:?} is not money in whole fen", text())),
        },
        Kind::Bool => match raw {
            b"true" => 1,
            b"false" => 0,
            b"" => NULL,
            _ => return Err(format!("{:?} is not true or false", text())),
        },
        Kind::Str { required } => {
            let s = utf8()?;
            if required && s.is_empty() {
                return Err("a value is required".into());
            }
            return Ok(Checked::Str(s));
        }
        Kind::Uscc => {
            let s = utf8()?;
            // A tidy code is checked as it is; any other is read as typed.
            if let Err(e) = api::Uscc::check(s).or_else(|_| api::Uscc::parse(s).map(drop)) {
                let why = match e {
                    api::ValidationError::UsccCheck => {
                        "its check character (the 18th) is wrong".to_owned()
                    }
                    api::ValidationError::UsccLength | api::ValidationError::Required => {
                        "it must have 18 characters".to_owned()
                    }
                    other => match other.position() {
                        Some(p) => format!("character {p} is not allowed there"),
                        None => other.code().to_owned(),
                    },
                };
                return Err(format!("{s:?} is not a valid 统一社会信用代码: {why}"));
            }
            return Ok(Checked::Str(s));
        }
    }))
}

/// The columns of one file of the layout (`residents`, `enterprises`, `loan_interest`,
/// `gas_usage`), in order.
pub(crate) fn schema(table: &str) -> Option<&'static [(&'static str, Kind)]> {
    Some(match table {
        "residents" => RESIDENT_COLUMNS,
        "enterprises" => ENTERPRISE_COLUMNS,
        "loan_interest" => LOAN_COLUMNS,
        "gas_usage" => GAS_COLUMNS,
        _ => return None,
    })
}

/// Reads one field of the layout as its file would hold it (`""` for no value), with the
/// same checks as the files get: the value, or what is wrong with it. Used by the
/// departments' live feeds, so that a value is accepted by the feed exactly when it would be
/// accepted in a file.
/// An attribute of the catalogue that is not a column of the files (one a department added
/// since the layout was fixed) is read by its type, with the checks of a column of that type
/// (never required; whole numbers 0 or more).
pub fn parse_field(table: &str, column: &str, raw: &str) -> Result<rules::Value, String> {
    let kind = schema(table)
        .and_then(|s| s.iter().find(|(n, _)| *n == column))
        .map(|(_, k)| *k)
        .or_else(|| catalogue_kind(table, column))
        .ok_or_else(|| format!("{table} has no column {column:?}"))?;
    Ok(match check(kind, raw.as_bytes())? {
        Checked::Id(s) | Checked::Str(s) if s.is_empty() => rules::Value::Null,
        Checked::Id(s) | Checked::Str(s) => rules::Value::String(s.to_owned()),
        Checked::Num(NULL) => rules::Value::Null,
        Checked::Num(n) => match kind {
            Kind::Date { .. } => rules::Value::Date(Date::from_days_since_epoch(n)),
            Kind::Code => rules::Value::Code(n as u32),
            Kind::Money => rules::Value::Money(n),
            Kind::Bool => rules::Value::Bool(n == 1),
            _ => rules::Value::Int(n),
        },
    })
}

/// The kind of a catalogue attribute of `table`'s subjects that the files do not carry.
fn catalogue_kind(table: &str, column: &str) -> Option<Kind> {
    let subject = match table {
        "residents" => rules::SubjectKind::Resident,
        "enterprises" => rules::SubjectKind::Enterprise,
        _ => return None,
    };
    let attribute = rules::Catalogue::standard()
        .attributes(subject)
        .iter()
        .find(|a| a.name == column)?;
    Some(match attribute.ty {
        rules::Type::Int => Kind::Int {
            min: 0,
            max: i64::from(i32::MAX),
            required: false,
        },
        rules::Type::Money => Kind::Money,
        rules::Type::Date => Kind::Date { required: false },
        rules::Type::Code => Kind::Code,
        rules::Type::String => Kind::Str { required: false },
        rules::Type::Bool => Kind::Bool,
    })
}

/// The most bad records reported per part of a file.
pub(crate) const MAX_ERRORS: usize = 200;

pub(crate) fn intern(s: &str, dict: &mut Vec<String>, lookup: &mut HashMap<String, u32>) -> u32 {
    if s.is_empty() {
        return NULL_STR;
    }
    if let Some(&code) = lookup.get(s) {
        return code;
    }
    let code = dict.len() as u32;
    dict.push(s.to_owned());
    lookup.insert(s.to_owned(), code);
    code
}

pub(crate) fn finish(b: Builder, ty: Type) -> Column {
    match b {
        Builder::Num(values) => Column::Num { ty, values },
        Builder::Str { codes, dict, .. } => Column::Str { codes, dict },
    }
}

/// The first pair of rows with the same id, if any. Ids in increasing order (as exported by
/// the departments' systems) are checked in one pass; others are sorted.
pub(crate) fn duplicate(ids: &Ids, in_order: bool) -> Option<(usize, usize)> {
    let n = ids.len();
    if in_order {
        return None;
    }
    let mut order: Vec<u32> = (0..n as u32).collect();
    order.sort_by(|&a, &b| ids.get(a as usize).cmp(ids.get(b as usize)).then(a.cmp(&b)));
    order
        .windows(2)
        .find(|w| ids.get(w[0] as usize) == ids.get(w[1] as usize))
        .map(|w| (w[0] as usize, w[1] as usize))
}

/// Whether every id is greater than the one before (then none is repeated).
pub fn in_order(ids: &Ids) -> bool {
    (1..ids.len()).all(|i| ids.get(i - 1) < ids.get(i))
}

/// Finds an enterprise's row by id: binary search when the ids are in order, a map otherwise.
pub(crate) struct IdIndex<'a> {
    pub(crate) ids: &'a Ids,
    pub(crate) sorted: bool,
    pub(crate) map: HashMap<&'a str, u32>,
}

impl<'a> IdIndex<'a> {
    pub(crate) fn new(ids: &'a Ids, sorted: bool) -> IdIndex<'a> {
        let map = if sorted {
            HashMap::new()
        } else {
            (0..ids.len()).map(|i| (ids.get(i), i as u32)).collect()
        };
        IdIndex { ids, sorted, map }
    }

    pub(crate) fn find(&self, id: &str) -> Option<u32> {
        if !self.sorted {
            return self.map.get(id).copied();
        }
        let (mut lo, mut hi) = (0usize, self.ids.len());
        while lo < hi {
            let mid = (lo + hi) / 2;
            match self.ids.get(mid).cmp(id) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return Some(mid as u32),
            }
        }
        None
    }
}

pub(crate) fn digits(raw: &[u8]) -> Option<i64> {
    if raw.is_empty() || raw.len() > 18 {
        return None;
    }
    let mut n: i64 = 0;
    for &b in raw {
        if !b.is_ascii_digit() {
            return None;
        }
        n = n * 10 + i64::from(b - b'0');
    }
    Some(n)
}

pub(crate) fn parse_int(raw: &[u8]) -> Option<i64> {
    match raw.first() {
        Some(b'-') => digits(&raw[1..]).map(|n| -n),
        _ => digits(raw),
    }
}

/// A `YYYY-MM-DD` date as days since 1970-01-01; empty is [`NULL`] unless required.
pub(crate) fn parse_date(raw: &[u8], required: bool) -> Option<i64> {
    if raw.is_empty() {
        return (!required).then_some(NULL);
    }
    if raw.len() != 10 || raw[4] != b'-' || raw[7] != b'-' {
        return None;
    }
    let (y, m, d) = (digits(&raw[..4])?, digits(&raw[5..7])?, digits(&raw[8..])?);
    let date = Date::new(y as i32, m as u8, d as u8).ok()?;
    Some(date.days_since_epoch())
}

/// A `YYYY-MM` month as [`Month::index`].
pub(crate) fn parse_month(raw: &[u8]) -> Option<i64> {
    if raw.len() != 7 || raw[4] != b'-' {
        return None;
    }
    let month = Month::new(digits(&raw[..4])? as i32, digits(&raw[5..])? as u8)?;
    Some(i64::from(month.index()))
}

pub(crate) fn parse_code(raw: &[u8]) -> Option<i64> {
    if raw.len() != 6 {
        return None;
    }
    digits(raw)
}

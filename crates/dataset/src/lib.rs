//! The departments' shared data set, in the layout of `../shared/reference/DATASET.md`:
//! reading it into the rules engine's columns ([`load`]), and generating synthetic ones
//! ([`gen`]). No IO: callers pass the files' bytes in and write the bytes out.
//!
//! Reading is strict and precise: any bad value (a date that does not exist, money that is not
//! an integer, a missing column, a duplicate id, a USCC whose check character is wrong, a fact
//! row for an unknown enterprise) stops it with the file, line, column and problem.

pub mod csv;
mod fields;
pub mod gen;
pub mod personal;
mod table;

use std::borrow::Cow;
use std::collections::{BTreeSet, HashMap};

use api::Date;
use rules::batch::{Column, FactRows, Ids, Population, NULL, NULL_STR};
use rules::{Month, SubjectKind, Type};

pub use fields::parse_field;
use fields::IdIndex;
use table::{Builder, Chunk, Table};

/// The four files of a data set, as bytes.
#[derive(Clone, Copy, Debug)]
pub struct Files<'a> {
    pub residents: &'a [u8],
    pub enterprises: &'a [u8],
    pub loan_interest: &'a [u8],
    pub gas_usage: &'a [u8],
}

/// The file names of the layout.
pub const RESIDENTS: &str = "residents.csv";
pub const ENTERPRISES: &str = "enterprises.csv";
pub const LOAN_INTEREST: &str = "loan_interest.csv";
pub const GAS_USAGE: &str = "gas_usage.csv";

/// A data set in columns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DataSet {
    pub residents: Population,
    pub enterprises: Population,
}

/// What to keep while reading.
#[derive(Clone, Debug)]
pub struct Options {
    /// Attributes to keep as columns (all are still checked); `None` keeps every one.
    pub keep: Option<BTreeSet<String>>,
    /// Threads to read with.
    pub threads: usize,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            keep: None,
            threads: 2,
        }
    }
}

/// Why a data set was refused: where, and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DataError {
    pub file: &'static str,
    pub line: usize,
    /// The column's position (1-based) and name, when one column is at fault.
    pub column: Option<(usize, String)>,
    pub message: String,
}

impl std::fmt::Display for DataError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}: ", self.file, self.line)?;
        if let Some((n, name)) = &self.column {
            write!(f, "column {n} ({name}): ")?;
        }
        f.write_str(&self.message)
    }
}

impl std::error::Error for DataError {}

/// How a column is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// The subject's identifier (non-empty, unique).
    Id,
    /// An enterprise's identifier in a fact table.
    EnterpriseRef,
    Date {
        required: bool,
    },
    Month,
    /// A 6-digit division code.
    Code,
    Int {
        min: i64,
        max: i64,
        required: bool,
    },
    /// Integer fen, 0 or more.
    Money,
    Bool,
    Str {
        required: bool,
    },
    /// A 统一社会信用代码 with a valid check character.
    Uscc,
}

impl Kind {
    fn ty(self) -> Type {
        match self {
            Kind::Date { .. } => Type::Date,
            Kind::Code => Type::Code,
            Kind::Int { .. } | Kind::Month => Type::Int,
            Kind::Money => Type::Money,
            Kind::Bool => Type::Bool,
            Kind::Id | Kind::EnterpriseRef | Kind::Str { .. } | Kind::Uscc => Type::String,
        }
    }
}

const RESIDENT_COLUMNS: &[(&str, Kind)] = &[
    ("resident_id", Kind::Id),
    ("birth_date", Kind::Date { required: true }),
    ("hukou_district", Kind::Code),
    ("street", Kind::Str { required: false }),
    ("death_date", Kind::Date { required: false }),
    (
        "disability_grade",
        Kind::Int {
            min: 0,
            max: 4,
            required: true,
        },
    ),
    ("dibao", Kind::Bool),
];

const ENTERPRISE_COLUMNS: &[(&str, Kind)] = &[
    ("enterprise_id", Kind::Id),
    ("uscc", Kind::Uscc),
    ("name", Kind::Str { required: true }),
    ("district", Kind::Code),
    ("street", Kind::Str { required: false }),
    (
        "industry_code",
        Kind::Int {
            min: 100,
            max: 9999,
            required: true,
        },
    ),
    ("established", Kind::Date { required: true }),
    ("high_tech_until", Kind::Date { required: false }),
    (
        "employees",
        Kind::Int {
            min: 0,
            max: i64::MAX,
            required: true,
        },
    ),
    ("revenue_y1", Kind::Money),
    ("revenue_y2", Kind::Money),
    ("rd_expense_y1", Kind::Money),
];

const LOAN_COLUMNS: &[(&str, Kind)] = &[
    ("enterprise_id", Kind::EnterpriseRef),
    ("month", Kind::Month),
    ("product", Kind::Str { required: true }),
    ("interest_fen", Kind::Money),
];

const GAS_COLUMNS: &[(&str, Kind)] = &[
    ("enterprise_id", Kind::EnterpriseRef),
    ("month", Kind::Month),
    (
        "cubic_meters",
        Kind::Int {
            min: 0,
            max: i64::MAX,
            required: true,
        },
    ),
];

/// Reads a whole data set.
pub fn load(files: &Files<'_>, options: &Options) -> Result<DataSet, DataErrors> {
    let keep = |name: &str| options.keep.as_ref().is_none_or(|k| k.contains(name));
    let threads = options.threads.max(1);
    // Residents are most of the bytes: they are read in `threads` parts while the other files
    // are read alongside.
    let residents = Table::prepare(RESIDENTS, files.residents, RESIDENT_COLUMNS)?;
    let enterprises = Table::prepare(ENTERPRISES, files.enterprises, ENTERPRISE_COLUMNS)?;
    let loans = Table::prepare(LOAN_INTEREST, files.loan_interest, LOAN_COLUMNS)?;
    let gas = Table::prepare(GAS_USAGE, files.gas_usage, GAS_COLUMNS)?;
    let parts = residents.parts(threads);
    let keep_r: Vec<bool> = RESIDENT_COLUMNS.iter().map(|(n, _)| keep(n)).collect();
    let keep_e: Vec<bool> = ENTERPRISE_COLUMNS.iter().map(|(n, _)| keep(n)).collect();
    let all = vec![true; 4];
    type Chunks = (
        Vec<Result<Chunk, DataError>>,
        Result<Chunk, DataError>,
        Result<Chunk, DataError>,
        Result<Chunk, DataError>,
    );
    let (resident_chunks, enterprise_chunk, loan_chunk, gas_chunk): Chunks =
        if threads == 1 || cfg!(target_arch = "wasm32") {
            (
                parts
                    .iter()
                    .map(|&(a, b)| residents.read(a, b, &keep_r))
                    .collect(),
                enterprises.read(enterprises.body, enterprises.data.len(), &keep_e),
                loans.read(loans.body, loans.data.len(), &all),
                gas.read(gas.body, gas.data.len(), &all),
            )
        } else {
            std::thread::scope(|s| {
                let (residents, keep_r) = (&residents, &keep_r);
                let handles: Vec<_> = parts
                    .iter()
                    .map(|&(a, b)| s.spawn(move || residents.read(a, b, keep_r)))
                    .collect();
                let others = s.spawn(|| {
                    (
                        enterprises.read(enterprises.body, enterprises.data.len(), &keep_e),
                        loans.read(loans.body, loans.data.len(), &all),
                        gas.read(gas.body, gas.data.len(), &all),
                    )
                });
                let chunks = handles
                    .into_iter()
                    .map(|h| h.join().expect("a reader thread panicked"))
                    .collect();
                let (e, l, g) = others.join().expect("a reader thread panicked");
                (chunks, e, l, g)
            })
        };
    let mut resident_chunk = Chunk::default();
    for chunk in resident_chunks {
        resident_chunk.append(chunk?);
    }
    let (enterprise_chunk, loan_chunk, gas_chunk) = (enterprise_chunk?, loan_chunk?, gas_chunk?);
    let mut errors: Vec<DataError> = [&resident_chunk, &enterprise_chunk, &loan_chunk, &gas_chunk]
        .iter()
        .flat_map(|c| c.errors.iter().cloned())
        .collect();
    if !errors.is_empty() {
        return Err(DataErrors(errors));
    }
    let residents_pop = residents.population(SubjectKind::Resident, resident_chunk)?;
    let mut enterprises_pop = enterprises.population(SubjectKind::Enterprise, enterprise_chunk)?;
    let index = IdIndex::new(&enterprises_pop.ids);
    let loans = loans.facts(loan_chunk, &index);
    let gas = gas.facts(gas_chunk, &index);
    match (loans, gas) {
        (Ok(loans), Ok(gas)) => {
            enterprises_pop.facts.insert("loan_interest".into(), loans);
            enterprises_pop.facts.insert("gas_usage".into(), gas);
        }
        (l, g) => {
            errors.extend(l.err().into_iter().flat_map(|e| e.0));
            errors.extend(g.err().into_iter().flat_map(|e| e.0));
            return Err(DataErrors(errors));
        }
    }
    Ok(DataSet {
        residents: residents_pop,
        enterprises: enterprises_pop,
    })
}

/// Every bad record of a data set that was refused (at least one), in file order per file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DataErrors(pub Vec<DataError>);

impl From<DataError> for DataErrors {
    fn from(e: DataError) -> DataErrors {
        DataErrors(vec![e])
    }
}

impl std::fmt::Display for DataErrors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for DataErrors {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fields::{parse_code, parse_date, parse_int, parse_month};

    #[test]
    fn parses_fields() {
        assert_eq!(parse_date(b"1970-01-02", true), Some(1));
        assert_eq!(parse_date(b"2023-02-29", true), None);
        assert_eq!(parse_date(b"", false), Some(NULL));
        assert_eq!(parse_date(b"", true), None);
        assert_eq!(parse_date(b"2023-2-28", true), None);
        assert_eq!(
            parse_month(b"2026-03"),
            Some(i64::from(
                Month {
                    year: 2026,
                    month: 3
                }
                .index()
            ))
        );
        assert_eq!(parse_month(b"2026-13"), None);
        assert_eq!(parse_code(b"440604"), Some(440604));
        assert_eq!(parse_code(b"44060"), None);
        assert_eq!(parse_int(b"-12"), Some(-12));
        assert_eq!(parse_int(b"12.5"), None);
        assert_eq!(parse_int(b"9999999999999999999"), None);
    }
}

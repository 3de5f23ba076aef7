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
    /// Whether each population's ids are in (byte) order, as generated sets are: then output
    /// in id order needs no sorting.
    pub residents_in_order: bool,
    pub enterprises_in_order: bool,
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
    let residents = Table::prepare(RESIDENTS, files.residents, RESIDENT_COLUMNS)?;
    let enterprises = Table::prepare(ENTERPRISES, files.enterprises, ENTERPRISE_COLUMNS)?;
    let loans = Table::prepare(LOAN_INTEREST, files.loan_interest, LOAN_COLUMNS)?;
    let gas = Table::prepare(GAS_USAGE, files.gas_usage, GAS_COLUMNS)?;
    let keep_r: Vec<bool> = RESIDENT_COLUMNS.iter().map(|(n, _)| keep(n)).collect();
    let keep_e: Vec<bool> = ENTERPRISE_COLUMNS.iter().map(|(n, _)| keep(n)).collect();
    let all = vec![true; 4];
    let tables = [
        (&enterprises, &keep_e, threads),
        (&residents, &keep_r, threads),
        (&loans, &all, 1),
        (&gas, &all, 1),
    ];
    // The files in parts, the slowest first (an enterprise record costs most), read by `threads` readers taking the next part
    // as they finish one, so that both cores are busy to the end.
    let work: Vec<(usize, usize, usize)> = tables
        .iter()
        .enumerate()
        .flat_map(|(t, (table, _, n))| {
            let n = if threads == 1 { 1 } else { *n };
            let mut parts = table.parts(n);
            if parts.is_empty() {
                // A file with no records still gives (empty) columns.
                parts.push((table.body, table.data.len()));
            }
            parts.into_iter().map(move |(a, b)| (t, a, b))
        })
        .collect();
    let read = |&(t, a, b): &(usize, usize, usize)| {
        let (table, keep, _) = tables[t];
        table.read(a, b, keep)
    };
    let chunks: Vec<Result<Chunk, DataError>> = if threads == 1 || cfg!(target_arch = "wasm32") {
        work.iter().map(read).collect()
    } else {
        let next = std::sync::atomic::AtomicUsize::new(0);
        let mut done: Vec<(usize, Result<Chunk, DataError>)> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..threads)
                .map(|_| {
                    s.spawn(|| {
                        let mut mine = Vec::new();
                        loop {
                            let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                            let Some(part) = work.get(i) else { break };
                            mine.push((i, read(part)));
                        }
                        mine
                    })
                })
                .collect();
            handles
                .into_iter()
                .flat_map(|h| h.join().expect("a reader thread panicked"))
                .collect()
        });
        done.sort_by_key(|(i, _)| *i);
        done.into_iter().map(|(_, chunk)| chunk).collect()
    };
    // Each file's parts, in order; the first syntax error in file order (residents first).
    let mut parts: [Vec<Result<Chunk, DataError>>; 4] = Default::default();
    for ((t, ..), chunk) in work.iter().zip(chunks) {
        parts[*t].push(chunk);
    }
    let [enterprise_parts, resident_parts, loan_parts, gas_parts] = parts;
    let in_file_order = [&resident_parts, &enterprise_parts, &loan_parts, &gas_parts];
    let mut errors = Vec::new();
    for part in in_file_order.iter().flat_map(|parts| parts.iter()) {
        match part {
            Err(e) => return Err(e.clone().into()),
            Ok(chunk) => errors.extend(chunk.errors.iter().cloned()),
        }
    }
    if !errors.is_empty() {
        return Err(DataErrors(errors));
    }
    let whole = |parts: Vec<Result<Chunk, DataError>>| {
        let mut chunk = Chunk::default();
        for part in parts.into_iter().flatten() {
            chunk.append(part);
        }
        chunk
    };
    // Residents on one thread, enterprises and their facts on another.
    let residents_work = || residents.population(SubjectKind::Resident, whole(resident_parts));
    let enterprises_work = || {
        let (loan_chunk, gas_chunk) = (whole(loan_parts), whole(gas_parts));
        let (mut enterprises_pop, in_order) = enterprises
            .population(SubjectKind::Enterprise, whole(enterprise_parts))
            .map_err(|e| DataErrors(vec![e]))?;
        let index = IdIndex::new(&enterprises_pop.ids, in_order);
        let (loans, gas) = match (
            loans.facts(loan_chunk, &index),
            gas.facts(gas_chunk, &index),
        ) {
            (Ok(l), Ok(g)) => (l, g),
            (l, g) => {
                return Err(DataErrors(
                    l.err()
                        .into_iter()
                        .flat_map(|e| e.0)
                        .chain(g.err().into_iter().flat_map(|e| e.0))
                        .collect(),
                ))
            }
        };
        enterprises_pop.facts.insert("loan_interest".into(), loans);
        enterprises_pop.facts.insert("gas_usage".into(), gas);
        Ok((enterprises_pop, in_order))
    };
    let (residents_done, enterprises_done) = if threads == 1 || cfg!(target_arch = "wasm32") {
        (residents_work(), enterprises_work())
    } else {
        std::thread::scope(|s| {
            let residents_done = s.spawn(residents_work);
            let enterprises_done = enterprises_work();
            (
                residents_done
                    .join()
                    .expect("the residents thread panicked"),
                enterprises_done,
            )
        })
    };
    let (residents_pop, residents_in_order) = residents_done?;
    let (enterprises_pop, enterprises_in_order) = match enterprises_done {
        Ok(done) => done,
        Err(e) => {
            errors.extend(e.0);
            return Err(DataErrors(errors));
        }
    };
    Ok(DataSet {
        residents: residents_pop,
        enterprises: enterprises_pop,
        residents_in_order,
        enterprises_in_order,
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

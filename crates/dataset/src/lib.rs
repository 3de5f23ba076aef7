//! The departments' shared data set, in the layout of `../shared/reference/DATASET.md`:
//! reading it into the rules engine's columns ([`load`]), and generating synthetic ones
//! ([`gen`]). No IO: callers pass the files' bytes in and write the bytes out.
//!
//! Reading is strict and precise: any bad value (a date that does not exist, money that is not
//! an integer, a missing column, a duplicate id, a USCC whose check character is wrong, a fact
//! row for an unknown enterprise) stops it with the file, line, column and problem.

pub mod csv;
pub mod gen;

use std::borrow::Cow;
use std::collections::{BTreeSet, HashMap};

use api::Date;
use rules::batch::{Column, FactRows, Ids, Population, NULL, NULL_STR};
use rules::{Month, SubjectKind, Type};

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

/// A file with its header read.
struct Table<'a> {
    file: &'static str,
    data: &'a [u8],
    schema: &'static [(&'static str, Kind)],
    /// For each schema column, its position in the file's records.
    positions: Vec<usize>,
    width: usize,
    /// Where the records after the header start.
    body: usize,
}

/// Columns read from part of a file.
#[derive(Default)]
struct Chunk {
    ids: Ids,
    /// Byte offset of each record, for error messages.
    offsets: Vec<u32>,
    /// One per schema column (None when not kept, and for the id).
    columns: Vec<Option<Builder>>,
    /// Every bad record met (up to [`MAX_ERRORS`]); the chunk's columns are useless if any.
    errors: Vec<DataError>,
}

enum Builder {
    Num(Vec<i64>),
    Str {
        codes: Vec<u32>,
        dict: Vec<String>,
        lookup: HashMap<String, u32>,
    },
}

impl Chunk {
    fn append(&mut self, other: Chunk) {
        if self.columns.is_empty() {
            *self = other;
            return;
        }
        self.errors.extend(other.errors);
        let base = self.ids.bytes.len() as u32;
        self.ids.bytes.push_str(&other.ids.bytes);
        self.ids
            .ends
            .extend(other.ids.ends.iter().map(|e| e + base));
        self.offsets.extend(other.offsets);
        for (mine, theirs) in self.columns.iter_mut().zip(other.columns) {
            match (mine, theirs) {
                (Some(Builder::Num(a)), Some(Builder::Num(b))) => a.extend(b),
                (
                    Some(Builder::Str {
                        codes,
                        dict,
                        lookup,
                    }),
                    Some(Builder::Str {
                        codes: c2,
                        dict: d2,
                        ..
                    }),
                ) => {
                    // Renumber the other part's dictionary into this one.
                    let remap: Vec<u32> = d2
                        .into_iter()
                        .map(|s| match lookup.get(&s) {
                            Some(&code) => code,
                            None => {
                                let code = dict.len() as u32;
                                dict.push(s.clone());
                                lookup.insert(s, code);
                                code
                            }
                        })
                        .collect();
                    codes.extend(c2.into_iter().map(|c| {
                        if c == NULL_STR {
                            NULL_STR
                        } else {
                            remap[c as usize]
                        }
                    }));
                }
                _ => {}
            }
        }
    }
}

fn line_of(data: &[u8], offset: usize) -> usize {
    memchr::memchr_iter(b'\n', &data[..offset.min(data.len())]).count() + 1
}

impl<'a> Table<'a> {
    fn prepare(
        file: &'static str,
        data: &'a [u8],
        schema: &'static [(&'static str, Kind)],
    ) -> Result<Table<'a>, DataError> {
        let fail = |message: String| DataError {
            file,
            line: 1,
            column: None,
            message,
        };
        if data.starts_with(&[0xEF, 0xBB, 0xBF]) {
            return Err(fail(
                "the file starts with a byte order mark; save it as UTF-8 without BOM".into(),
            ));
        }
        let mut reader = csv::Reader::new(data, 0, data.len());
        let mut header = Vec::new();
        let syntax = |e: csv::SyntaxError| DataError {
            file,
            line: line_of(data, e.offset),
            column: None,
            message: e.message.to_owned(),
        };
        if !reader.record(&mut header).map_err(syntax)? {
            return Err(fail("the file is empty: expected a header row".into()));
        }
        let names: Vec<String> = header
            .iter()
            .map(|f| String::from_utf8_lossy(f).trim().to_owned())
            .collect();
        let mut positions = Vec::new();
        for (name, _) in schema {
            match names.iter().position(|n| n == name) {
                Some(p) => positions.push(p),
                None => {
                    let expected: Vec<&str> = schema.iter().map(|(n, _)| *n).collect();
                    return Err(fail(format!(
                        "missing column `{name}` (the header must name {})",
                        expected.join(", ")
                    )));
                }
            }
        }
        Ok(Table {
            file,
            data,
            schema,
            positions,
            width: names.len(),
            body: reader.position(),
        })
    }

    /// Ranges of the body for `n` readers, split between records.
    fn parts(&self, n: usize) -> Vec<(usize, usize)> {
        let len = self.data.len() - self.body;
        let mut cuts = vec![self.body];
        for i in 1..n {
            let cut = csv::split_point(self.data, self.body + len * i / n);
            cuts.push(cut.max(*cuts.last().expect("non-empty")));
        }
        cuts.push(self.data.len());
        cuts.windows(2)
            .map(|w| (w[0], w[1]))
            .filter(|(a, b)| a < b)
            .collect()
    }

    fn error(&self, offset: usize, column: Option<usize>, message: String) -> DataError {
        DataError {
            file: self.file,
            line: line_of(self.data, offset),
            column: column.map(|c| (self.positions[c] + 1, self.schema[c].0.to_owned())),
            message,
        }
    }

    /// Reads the records in `from..to`, keeping the columns marked in `keep`.
    fn read(&self, from: usize, to: usize, keep: &[bool]) -> Result<Chunk, DataError> {
        let mut reader = csv::Reader::new(self.data, from, to);
        let mut fields: Vec<Cow<'a, [u8]>> = Vec::with_capacity(self.width);
        let mut chunk = Chunk {
            columns: self
                .schema
                .iter()
                .zip(keep)
                .map(|((_, kind), keep)| match (kind, keep) {
                    (Kind::Id | Kind::EnterpriseRef, _) | (_, false) => None,
                    (k, true) if k.ty() == Type::String => Some(Builder::Str {
                        codes: Vec::new(),
                        dict: Vec::new(),
                        lookup: HashMap::new(),
                    }),
                    _ => Some(Builder::Num(Vec::new())),
                })
                .collect(),
            ..Chunk::default()
        };
        'records: loop {
            if chunk.errors.len() >= MAX_ERRORS {
                break;
            }
            let start = reader.position();
            let more = reader.record(&mut fields).map_err(|e| DataError {
                file: self.file,
                line: line_of(self.data, e.offset),
                column: None,
                message: e.message.to_owned(),
            })?;
            if !more {
                break;
            }
            if fields.len() == 1 && fields[0].is_empty() {
                // A blank line (e.g. at the end of the file).
                continue;
            }
            if fields.len() != self.width {
                chunk.errors.push(self.error(
                    start,
                    None,
                    format!("expected {} fields, found {}", self.width, fields.len()),
                ));
                continue;
            }
            chunk.offsets.push(start as u32);
            for (c, ((_, kind), &pos)) in self.schema.iter().zip(&self.positions).enumerate() {
                let raw: &[u8] = &fields[pos];
                let bad = |message: String| self.error(start, Some(c), message);
                let checked = match check(*kind, raw) {
                    Ok(v) => v,
                    Err(message) => {
                        chunk.errors.push(bad(message));
                        continue 'records;
                    }
                };
                match checked {
                    Checked::Id(id) => chunk.ids.push(id),
                    Checked::Str(s) => {
                        if let Some(Builder::Str {
                            codes,
                            dict,
                            lookup,
                        }) = &mut chunk.columns[c]
                        {
                            codes.push(intern(s, dict, lookup));
                        }
                    }
                    Checked::Num(value) => {
                        if let Some(Builder::Num(values)) = &mut chunk.columns[c] {
                            values.push(value);
                        }
                    }
                }
            }
        }
        Ok(chunk)
    }

    /// Turns a subject file's chunk into a population, refusing duplicate ids.
    fn population(&self, kind: SubjectKind, chunk: Chunk) -> Result<Population, DataError> {
        if let Some((first, second)) = duplicate(&chunk.ids) {
            let line = line_of(self.data, chunk.offsets[first] as usize);
            return Err(DataError {
                file: self.file,
                line: line_of(self.data, chunk.offsets[second] as usize),
                column: Some((self.positions[0] + 1, self.schema[0].0.to_owned())),
                message: format!(
                    "duplicate id {:?} (also on line {line})",
                    chunk.ids.get(second)
                ),
            });
        }
        let mut population = Population::new(kind);
        population.ids = chunk.ids;
        for ((name, kind), builder) in self.schema.iter().zip(chunk.columns) {
            if let Some(b) = builder {
                population
                    .columns
                    .insert((*name).to_owned(), finish(b, kind.ty()));
            }
        }
        Ok(population)
    }

    /// Turns a fact file's chunk into rows tied to enterprises.
    fn facts(&self, chunk: Chunk, index: &IdIndex<'_>) -> Result<FactRows, DataErrors> {
        let mut rows = FactRows::default();
        rows.subject.reserve(chunk.ids.len());
        let mut errors = Vec::new();
        for i in 0..chunk.ids.len() {
            let id = chunk.ids.get(i);
            match index.find(id) {
                Some(row) => rows.subject.push(row),
                None if errors.len() < MAX_ERRORS => errors.push(DataError {
                    file: self.file,
                    line: line_of(self.data, chunk.offsets[i] as usize),
                    column: Some((self.positions[0] + 1, self.schema[0].0.to_owned())),
                    message: format!("no enterprise {id:?} in {ENTERPRISES}"),
                }),
                None => {}
            }
        }
        if !errors.is_empty() {
            return Err(DataErrors(errors));
        }
        for ((name, kind), builder) in self.schema.iter().zip(chunk.columns) {
            match (builder, kind) {
                (Some(Builder::Num(values)), Kind::Month) => {
                    rows.month = values.into_iter().map(|m| m as i32).collect()
                }
                (Some(b), _) => {
                    rows.columns
                        .insert((*name).to_owned(), finish(b, kind.ty()));
                }
                (None, _) => {}
            }
        }
        Ok(rows)
    }
}

/// A field read and checked: an identifier, a number (dates as days, months as
/// [`Month::index`], booleans as 0/1, [`NULL`] for empty) or text.
enum Checked<'a> {
    Id(&'a str),
    Num(i64),
    Str(&'a str),
}

/// Checks one field against its column's kind: what is wrong with it, in a sentence.
fn check(kind: Kind, raw: &[u8]) -> Result<Checked<'_>, String> {
    let text = || String::from_utf8_lossy(raw).into_owned();
    let utf8 = || std::str::from_utf8(raw).map_err(|_| "not UTF-8".to_owned());
    Ok(Checked::Num(match kind {
        Kind::Id | Kind::EnterpriseRef => {
            let id = utf8()?;
            if id.is_empty() {
                return Err("an identifier is required".into());
            }
            if id.chars().any(char::is_control) {
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
            if let Err(e) = api::Uscc::parse(s) {
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
fn schema(table: &str) -> Option<&'static [(&'static str, Kind)]> {
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
pub fn parse_field(table: &str, column: &str, raw: &str) -> Result<rules::Value, String> {
    let kind = schema(table)
        .and_then(|s| s.iter().find(|(n, _)| *n == column))
        .map(|(_, k)| *k)
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

/// The most bad records reported per part of a file.
const MAX_ERRORS: usize = 200;

fn intern(s: &str, dict: &mut Vec<String>, lookup: &mut HashMap<String, u32>) -> u32 {
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

fn finish(b: Builder, ty: Type) -> Column {
    match b {
        Builder::Num(values) => Column::Num { ty, values },
        Builder::Str { codes, dict, .. } => Column::Str { codes, dict },
    }
}

/// The first pair of rows with the same id, if any. Ids in increasing order (as exported by
/// the departments' systems) are checked in one pass; others are sorted.
fn duplicate(ids: &Ids) -> Option<(usize, usize)> {
    let n = ids.len();
    if (1..n).all(|i| ids.get(i - 1) < ids.get(i)) {
        return None;
    }
    let mut order: Vec<u32> = (0..n as u32).collect();
    order.sort_by(|&a, &b| ids.get(a as usize).cmp(ids.get(b as usize)).then(a.cmp(&b)));
    order
        .windows(2)
        .find(|w| ids.get(w[0] as usize) == ids.get(w[1] as usize))
        .map(|w| (w[0] as usize, w[1] as usize))
}

/// Finds an enterprise's row by id: binary search when the ids are in order, a map otherwise.
struct IdIndex<'a> {
    ids: &'a Ids,
    sorted: bool,
    map: HashMap<&'a str, u32>,
}

impl<'a> IdIndex<'a> {
    fn new(ids: &'a Ids) -> IdIndex<'a> {
        let sorted = (1..ids.len()).all(|i| ids.get(i - 1) < ids.get(i));
        let map = if sorted {
            HashMap::new()
        } else {
            (0..ids.len()).map(|i| (ids.get(i), i as u32)).collect()
        };
        IdIndex { ids, sorted, map }
    }

    fn find(&self, id: &str) -> Option<u32> {
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

fn digits(raw: &[u8]) -> Option<i64> {
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

fn parse_int(raw: &[u8]) -> Option<i64> {
    match raw.first() {
        Some(b'-') => digits(&raw[1..]).map(|n| -n),
        _ => digits(raw),
    }
}

/// A `YYYY-MM-DD` date as days since 1970-01-01; empty is [`NULL`] unless required.
fn parse_date(raw: &[u8], required: bool) -> Option<i64> {
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
fn parse_month(raw: &[u8]) -> Option<i64> {
    if raw.len() != 7 || raw[4] != b'-' {
        return None;
    }
    let month = Month::new(digits(&raw[..4])? as i32, digits(&raw[5..])? as u8)?;
    Some(i64::from(month.index()))
}

fn parse_code(raw: &[u8]) -> Option<i64> {
    if raw.len() != 6 {
        return None;
    }
    digits(raw)
}

#[cfg(test)]
mod tests {
    use super::*;

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

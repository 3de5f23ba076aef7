//! A file read into columns: its header matched to the schema, its records split between
//! threads and each field checked.

use super::*;
use crate::fields::*;

/// A file with its header read.
pub(crate) struct Table<'a> {
    pub(crate) file: &'static str,
    pub(crate) data: &'a [u8],
    pub(crate) schema: &'static [(&'static str, Kind)],
    /// For each schema column, its position in the file's records.
    pub(crate) positions: Vec<usize>,
    pub(crate) width: usize,
    /// Where the records after the header start.
    pub(crate) body: usize,
}

/// Columns read from part of a file.
#[derive(Default)]
pub(crate) struct Chunk {
    pub(crate) ids: Ids,
    /// Byte offset of each record, for error messages.
    pub(crate) offsets: Vec<u32>,
    /// One per schema column (None when not kept, and for the id).
    pub(crate) columns: Vec<Option<Builder>>,
    /// Every bad record met (up to [`MAX_ERRORS`]); the chunk's columns are useless if any.
    pub(crate) errors: Vec<DataError>,
}

pub(crate) enum Builder {
    Num(Vec<i64>),
    Str {
        codes: Vec<u32>,
        dict: Vec<String>,
        lookup: HashMap<String, u32>,
    },
}

impl Chunk {
    pub(crate) fn append(&mut self, other: Chunk) {
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

pub(crate) fn line_of(data: &[u8], offset: usize) -> usize {
    memchr::memchr_iter(b'\n', &data[..offset.min(data.len())]).count() + 1
}

impl<'a> Table<'a> {
    pub(crate) fn prepare(
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
    pub(crate) fn parts(&self, n: usize) -> Vec<(usize, usize)> {
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

    pub(crate) fn error(&self, offset: usize, column: Option<usize>, message: String) -> DataError {
        DataError {
            file: self.file,
            line: line_of(self.data, offset),
            column: column.map(|c| (self.positions[c] + 1, self.schema[c].0.to_owned())),
            message,
        }
    }

    /// Reads the records in `from..to`, keeping the columns marked in `keep`.
    pub(crate) fn read(&self, from: usize, to: usize, keep: &[bool]) -> Result<Chunk, DataError> {
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

    /// Turns a subject file's chunk into a population, refusing duplicate ids; with whether
    /// its ids are in order.
    pub(crate) fn population(
        &self,
        kind: SubjectKind,
        chunk: Chunk,
    ) -> Result<(Population, bool), DataError> {
        let in_order = in_order(&chunk.ids);
        if let Some((first, second)) = duplicate(&chunk.ids, in_order) {
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
        Ok((population, in_order))
    }

    /// Turns a fact file's chunk into rows tied to enterprises.
    pub(crate) fn facts(&self, chunk: Chunk, index: &IdIndex<'_>) -> Result<FactRows, DataErrors> {
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

//! Batch evaluation over columnar data: a whole district at once, on every core, with exactly
//! the results of one-subject evaluation ([`crate::eval::decide`]).

use std::collections::BTreeMap;

mod plan;
mod rows;
use plan::Plan;

use crate::catalogue::{SubjectKind, Type};
use crate::eval::{Context, Fact, Subject};
use crate::policy::Policy;
use crate::value::Value;

/// "No value" in a numeric column.
pub const NULL: i64 = i64::MIN;
/// "No value" in a string column.
pub const NULL_STR: u32 = u32::MAX;

/// One attribute for every subject.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Column {
    /// Ints, money (fen), dates (days since 1970-01-01), codes and booleans (0/1); [`NULL`]
    /// for no value.
    Num { ty: Type, values: Vec<i64> },
    /// Strings, dictionary-encoded; [`NULL_STR`] for no value.
    Str { codes: Vec<u32>, dict: Vec<String> },
}

impl Column {
    pub fn len(&self) -> usize {
        match self {
            Column::Num { values, .. } => values.len(),
            Column::Str { codes, .. } => codes.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The value at `row`.
    pub fn value(&self, row: usize) -> Value {
        match self {
            Column::Num { values, .. } if values[row] == NULL => Value::Null,
            Column::Num { ty, values } => {
                Value::from_number(*ty, i128::from(values[row])).unwrap_or(Value::Null)
            }
            Column::Str { codes, .. } if codes[row] == NULL_STR => Value::Null,
            Column::Str { codes, dict } => Value::String(dict[codes[row] as usize].clone()),
        }
    }

    /// A column from values (used by tests and small populations).
    pub fn from_values(ty: Type, values: &[Value]) -> Column {
        if ty == Type::String {
            let mut dict: Vec<String> = Vec::new();
            let codes = values
                .iter()
                .map(|v| match v {
                    Value::String(s) => match dict.iter().position(|d| d == s) {
                        Some(i) => i as u32,
                        None => {
                            dict.push(s.clone());
                            (dict.len() - 1) as u32
                        }
                    },
                    _ => NULL_STR,
                })
                .collect();
            Column::Str { codes, dict }
        } else {
            let values = values
                .iter()
                .map(|v| {
                    v.number()
                        .and_then(|n| i64::try_from(n).ok())
                        .unwrap_or(NULL)
                })
                .collect();
            Column::Num { ty, values }
        }
    }
}

/// Identifiers, one after another in one buffer.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Ids {
    pub bytes: String,
    pub ends: Vec<u32>,
}

impl Ids {
    pub fn push(&mut self, id: &str) {
        self.bytes.push_str(id);
        self.ends.push(self.bytes.len() as u32);
    }

    pub fn get(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        &self.bytes[start..self.ends[i] as usize]
    }

    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }
}

/// A fact table's rows, each tied to a subject by its row in the population.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FactRows {
    pub subject: Vec<u32>,
    /// [`crate::Month::index`] of each row.
    pub month: Vec<i32>,
    pub columns: BTreeMap<String, Column>,
}

/// Every subject of one kind, column by column.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Population {
    pub kind: SubjectKind,
    pub ids: Ids,
    /// By attribute name; an attribute without a column is null for everyone.
    pub columns: BTreeMap<String, Column>,
    /// By fact table name.
    pub facts: BTreeMap<String, FactRows>,
}

impl Population {
    pub fn new(kind: SubjectKind) -> Population {
        Population {
            kind,
            ids: Ids::default(),
            columns: BTreeMap::new(),
            facts: BTreeMap::new(),
        }
    }

    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// Subject `row` as one-subject evaluation sees it.
    pub fn subject(&self, row: usize) -> Subject {
        let attributes = self
            .columns
            .iter()
            .map(|(name, col)| (name.clone(), col.value(row)))
            .filter(|(_, v)| !v.is_null())
            .collect();
        let mut facts = Vec::new();
        for (table, rows) in &self.facts {
            for (i, _) in rows
                .subject
                .iter()
                .enumerate()
                .filter(|(_, s)| **s as usize == row)
            {
                let month = rows.month[i];
                facts.push(Fact {
                    table: table.clone(),
                    month: crate::Month {
                        year: month.div_euclid(12),
                        month: (month.rem_euclid(12) + 1) as u8,
                    },
                    fields: rows
                        .columns
                        .iter()
                        .map(|(n, c)| (n.clone(), c.value(i)))
                        .collect(),
                });
            }
        }
        Subject {
            id: self.ids.get(row).to_owned(),
            attributes,
            facts,
        }
    }
}

/// One eligible (policy, subject) pair of a batch.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Grant {
    /// The policy's position in the list given to [`evaluate`].
    pub policy: usize,
    /// The subject's row in the population.
    pub row: u32,
    pub amount_fen: i64,
}

/// A batch failure: only arithmetic overflow (everything else is checked when loading).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BatchError(pub String);

impl std::fmt::Display for BatchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BatchError {}

/// Evaluates every policy for `population`'s kind over the whole population, on `threads`
/// threads. Grants come out ordered by row, then policy.
pub fn evaluate(
    policies: &[Policy],
    population: &Population,
    ctx: &Context,
    threads: usize,
) -> Result<Vec<Grant>, BatchError> {
    let mut grants: Vec<Grant> = by_policy(policies, population, ctx, threads)?
        .into_iter()
        .flatten()
        .collect();
    grants.sort_unstable_by_key(|g| (g.row, g.policy));
    Ok(grants)
}

/// Rows per block: a block's selections stay in the processor's cache while every policy is
/// run over it.
const BLOCK: usize = 16_384;

/// As [`evaluate`], grouped by policy: one list for each of `policies` (empty for a policy of
/// the other kind), each ordered by row.
pub fn by_policy(
    policies: &[Policy],
    population: &Population,
    ctx: &Context,
    threads: usize,
) -> Result<Vec<Vec<Grant>>, BatchError> {
    let ages = rows::Ages::new(ctx.reference_date);
    let plans: Vec<Plan> = policies
        .iter()
        .enumerate()
        .filter(|(_, p)| p.subject == population.kind)
        .map(|(i, p)| Plan::compile(i, p, population, ctx, &ages))
        .collect::<Result<_, _>>()?;
    let n = population.len();
    let threads = threads.clamp(1, 64).min(n.max(1));
    let chunk = n.div_ceil(threads).max(1);
    // Each part: one list per plan.
    let run = |from: usize, to: usize| -> Result<Vec<Vec<Grant>>, BatchError> {
        let mut out = vec![Vec::new(); plans.len()];
        for start in (from..to).step_by(BLOCK) {
            let end = (start + BLOCK).min(to);
            for (plan, grants) in plans.iter().zip(&mut out) {
                plan.grants(start as u32, end as u32, grants)?;
            }
        }
        Ok(out)
    };
    let parts: Vec<Result<Vec<Vec<Grant>>, BatchError>> =
        if threads == 1 || cfg!(target_arch = "wasm32") {
            vec![run(0, n)]
        } else {
            std::thread::scope(|scope| {
                let handles: Vec<_> = (0..threads)
                    .map(|t| {
                        let (from, to) = ((t * chunk).min(n), ((t + 1) * chunk).min(n));
                        let run = &run;
                        scope.spawn(move || run(from, to))
                    })
                    .collect();
                handles
                    .into_iter()
                    .map(|h| h.join().expect("a batch thread panicked"))
                    .collect()
            })
        };
    let mut grouped = vec![Vec::new(); policies.len()];
    for part in parts {
        for (plan, grants) in plans.iter().zip(part?) {
            grouped[plan.index()].extend(grants);
        }
    }
    Ok(grouped)
}

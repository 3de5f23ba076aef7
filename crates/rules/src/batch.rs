//! Batch evaluation over columnar data: a whole district at once, on every core, with exactly
//! the results of one-subject evaluation ([`crate::eval::decide`]).

use std::collections::BTreeMap;

use api::Date;

use crate::catalogue::{SubjectKind, Type};
use crate::eval::{self, Context, Fact, Subject};
use crate::expr::{Arith, CmpOp, Expr, Test};
use crate::policy::{Amount, Criterion, CriterionKind, Policy};
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
    let plans: Vec<(usize, Plan)> = policies
        .iter()
        .enumerate()
        .filter(|(_, p)| p.subject == population.kind)
        .map(|(i, p)| Plan::compile(p, population, ctx).map(|plan| (i, plan)))
        .collect::<Result<_, _>>()?;
    let n = population.len();
    let threads = threads.clamp(1, 64).min(n.max(1));
    let chunk = n.div_ceil(threads).max(1);
    let run = |from: usize, to: usize| -> Result<Vec<Grant>, BatchError> {
        let mut out = Vec::new();
        for row in from..to {
            for (index, plan) in &plans {
                if let Some(amount) = plan.decide(row)? {
                    out.push(Grant {
                        policy: *index,
                        row: row as u32,
                        amount_fen: amount,
                    });
                }
            }
        }
        Ok(out)
    };
    if threads == 1 || cfg!(target_arch = "wasm32") {
        return run(0, n);
    }
    let parts: Vec<Result<Vec<Grant>, BatchError>> = std::thread::scope(|scope| {
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
    });
    let mut grants = Vec::new();
    for part in parts {
        grants.extend(part?);
    }
    Ok(grants)
}

/// A numeric expression compiled against a population's columns.
enum Num<'a> {
    Col(&'a [i64]),
    Const(i128),
    Age(Box<Num<'a>>),
    Agg(usize),
    Bin(Arith, Box<Num<'a>>, Box<Num<'a>>),
    Neg(Box<Num<'a>>),
    /// A column the population lacks, or a string where a number was wanted: always null.
    Null,
}

/// A test compiled against a population's columns.
enum Check<'a> {
    Cmp(Num<'a>, CmpOp, Num<'a>),
    In(Num<'a>, Vec<i128>),
    Range(Num<'a>, i128, i128),
    IsNull(Num<'a>, bool),
    /// A string column compared with a set of strings (`codes`, by the column's dictionary).
    StrIn {
        codes: &'a [u32],
        wanted: Vec<u32>,
        negated: bool,
    },
    StrIsNull {
        codes: &'a [u32],
        negated: bool,
    },
    All(Vec<Check<'a>>),
    Any(Vec<Check<'a>>),
    Not(Box<Check<'a>>),
}

struct Plan<'a> {
    check: Check<'a>,
    amount: PlanAmount<'a>,
    reference_date: Date,
    /// Per-subject sums of fact aggregates, by [`Num::Agg`] index.
    aggregates: Vec<Vec<i128>>,
    policy: &'a str,
    ids: &'a Ids,
}

enum PlanAmount<'a> {
    Fixed(i64),
    Tiered(Num<'a>, Vec<(i128, i64)>),
    Proportional(Num<'a>, i64, i64, Option<i64>, Option<i64>),
}

impl<'a> Plan<'a> {
    fn compile(
        policy: &'a Policy,
        population: &'a Population,
        ctx: &Context,
    ) -> Result<Plan<'a>, BatchError> {
        let mut plan = Plan {
            check: Check::All(vec![]),
            amount: PlanAmount::Fixed(0),
            reference_date: ctx.reference_date,
            aggregates: Vec::new(),
            policy: &policy.id,
            ids: &population.ids,
        };
        let mut sums: Vec<&Expr> = Vec::new();
        plan.check = plan.criterion(&policy.criteria, population, &mut sums);
        plan.amount = match &policy.amount {
            Amount::Fixed(f) => PlanAmount::Fixed(*f),
            Amount::Tiered { by, tiers } => PlanAmount::Tiered(
                plan.num(by, population, &mut sums),
                tiers
                    .iter()
                    .map(|(v, fen)| (v.number().expect("tiers are numbers"), *fen))
                    .collect(),
            ),
            Amount::Proportional {
                of,
                numerator,
                denominator,
                floor,
                cap,
            } => PlanAmount::Proportional(
                plan.num(of, population, &mut sums),
                *numerator,
                *denominator,
                *floor,
                *cap,
            ),
        };
        plan.aggregates = sums
            .iter()
            .map(|s| aggregate(s, population, ctx))
            .collect::<Result<_, _>>()?;
        Ok(plan)
    }

    fn criterion(
        &self,
        c: &'a Criterion,
        population: &'a Population,
        sums: &mut Vec<&'a Expr>,
    ) -> Check<'a> {
        match &c.kind {
            CriterionKind::Test(t) => self.test(t, population, sums),
            CriterionKind::All(cs) => Check::All(
                cs.iter()
                    .map(|c| self.criterion(c, population, sums))
                    .collect(),
            ),
            CriterionKind::Any(cs) => Check::Any(
                cs.iter()
                    .map(|c| self.criterion(c, population, sums))
                    .collect(),
            ),
            CriterionKind::Not(c) => Check::Not(Box::new(self.criterion(c, population, sums))),
        }
    }

    fn test(&self, t: &'a Test, population: &'a Population, sums: &mut Vec<&'a Expr>) -> Check<'a> {
        // Strings compare by dictionary code.
        if t.subject_side().ty() == Type::String {
            let codes_of = |name: &str| match population.columns.get(name) {
                Some(Column::Str { codes, dict }) => Some((codes.as_slice(), dict)),
                _ => None,
            };
            let Expr::Attr { name, .. } = t.subject_side() else {
                return Check::All(vec![]);
            };
            let Some((codes, dict)) = codes_of(name) else {
                // No column: every value is null.
                return match t {
                    Test::IsNull { negated, .. } => Check::Any(if *negated {
                        vec![]
                    } else {
                        vec![Check::All(vec![])]
                    }),
                    _ => Check::Any(vec![]),
                };
            };
            let lookup = |v: &Value| match v {
                Value::String(s) => dict.iter().position(|d| d == s).map(|i| i as u32),
                _ => None,
            };
            return match t {
                Test::Cmp {
                    op,
                    right: Expr::Lit(v),
                    ..
                } => Check::StrIn {
                    codes,
                    wanted: lookup(v).into_iter().collect(),
                    negated: *op == CmpOp::Ne,
                },
                Test::In { set, .. } => Check::StrIn {
                    codes,
                    wanted: set.iter().filter_map(lookup).collect(),
                    negated: false,
                },
                Test::IsNull { negated, .. } => Check::StrIsNull {
                    codes,
                    negated: *negated,
                },
                // Comparing two string attributes is not something the reference policies do;
                // it never holds here, and one-subject evaluation handles it exactly.
                _ => Check::Any(vec![]),
            };
        }
        match t {
            Test::Cmp { left, op, right } => Check::Cmp(
                self.num(left, population, sums),
                *op,
                self.num(right, population, sums),
            ),
            Test::In { expr, set } => Check::In(
                self.num(expr, population, sums),
                set.iter().filter_map(Value::number).collect(),
            ),
            Test::Range { expr, lo, hi } => Check::Range(
                self.num(expr, population, sums),
                lo.number().unwrap_or(0),
                hi.number().unwrap_or(0),
            ),
            Test::IsNull { expr, negated } => {
                Check::IsNull(self.num(expr, population, sums), *negated)
            }
        }
    }

    fn num(&self, e: &'a Expr, population: &'a Population, sums: &mut Vec<&'a Expr>) -> Num<'a> {
        match e {
            Expr::Attr { name, .. } => match population.columns.get(name) {
                Some(Column::Num { values, .. }) => Num::Col(values),
                _ => Num::Null,
            },
            Expr::RefDate => Num::Const(i128::from(self.reference_date.days_since_epoch())),
            Expr::Lit(v) => v.number().map_or(Num::Null, Num::Const),
            Expr::Age(inner) => Num::Age(Box::new(self.num(inner, population, sums))),
            Expr::Sum { .. } => {
                let index = sums.iter().position(|s| *s == e).unwrap_or_else(|| {
                    sums.push(e);
                    sums.len() - 1
                });
                Num::Agg(index)
            }
            Expr::Bin {
                op, left, right, ..
            } => Num::Bin(
                *op,
                Box::new(self.num(left, population, sums)),
                Box::new(self.num(right, population, sums)),
            ),
            Expr::Neg(inner) => Num::Neg(Box::new(self.num(inner, population, sums))),
        }
    }

    fn fail(&self, row: usize, message: String) -> BatchError {
        BatchError(format!(
            "policy {} for subject {}: {message}",
            self.policy,
            self.ids.get(row)
        ))
    }

    fn value(&self, n: &Num<'_>, row: usize) -> Result<Option<i128>, BatchError> {
        Ok(match n {
            Num::Col(values) => {
                let v = values[row];
                (v != NULL).then_some(i128::from(v))
            }
            Num::Const(c) => Some(*c),
            Num::Age(inner) => self.value(inner, row)?.map(|days| {
                let birth = Date::from_days_since_epoch(days as i64);
                i128::from(eval::age(birth, self.reference_date))
            }),
            Num::Agg(i) => Some(self.aggregates[*i][row]),
            Num::Bin(op, l, r) => match (self.value(l, row)?, self.value(r, row)?) {
                (Some(l), Some(r)) => Some(eval::arith(*op, l, r).map_err(|m| self.fail(row, m))?),
                _ => None,
            },
            Num::Neg(inner) => self.value(inner, row)?.map(|v| -v),
            Num::Null => None,
        })
    }

    fn holds(&self, c: &Check<'_>, row: usize) -> Result<bool, BatchError> {
        Ok(match c {
            Check::Cmp(l, op, r) => match (self.value(l, row)?, self.value(r, row)?) {
                (Some(l), Some(r)) => op.holds(l.cmp(&r)),
                _ => false,
            },
            Check::In(e, set) => self.value(e, row)?.is_some_and(|v| set.contains(&v)),
            Check::Range(e, lo, hi) => self.value(e, row)?.is_some_and(|v| *lo <= v && v <= *hi),
            Check::IsNull(e, negated) => self.value(e, row)?.is_none() != *negated,
            Check::StrIn {
                codes,
                wanted,
                negated,
            } => {
                let code = codes[row];
                code != NULL_STR && (wanted.contains(&code) != *negated)
            }
            Check::StrIsNull { codes, negated } => (codes[row] == NULL_STR) != *negated,
            Check::All(cs) => {
                for c in cs {
                    if !self.holds(c, row)? {
                        return Ok(false);
                    }
                }
                true
            }
            Check::Any(cs) => {
                for c in cs {
                    if self.holds(c, row)? {
                        return Ok(true);
                    }
                }
                false
            }
            Check::Not(c) => !self.holds(c, row)?,
        })
    }

    fn decide(&self, row: usize) -> Result<Option<i64>, BatchError> {
        if !self.holds(&self.check, row)? {
            return Ok(None);
        }
        let fen = match &self.amount {
            PlanAmount::Fixed(f) => *f,
            PlanAmount::Tiered(by, tiers) => match self.value(by, row)? {
                Some(v) => tiers
                    .iter()
                    .rev()
                    .find(|(from, _)| v >= *from)
                    .map_or(0, |(_, fen)| *fen),
                None => 0,
            },
            PlanAmount::Proportional(of, num, den, floor, cap) => match self.value(of, row)? {
                Some(base) => eval::proportional(base, *num, *den, *floor, *cap)
                    .map_err(|m| self.fail(row, m))?,
                None => 0,
            },
        };
        Ok(Some(fen))
    }
}

/// The per-subject sum of a fact aggregate over the run's month.
fn aggregate(sum: &Expr, population: &Population, ctx: &Context) -> Result<Vec<i128>, BatchError> {
    let Expr::Sum {
        table,
        field,
        filter,
        ..
    } = sum
    else {
        unreachable!("only sums are aggregates")
    };
    let mut totals = vec![0i128; population.len()];
    let Some(rows) = population.facts.get(table) else {
        return Ok(totals);
    };
    let month = ctx.month.index();
    let Some(Column::Num { values, .. }) = rows.columns.get(field) else {
        return Ok(totals);
    };
    // The filter, as a test on a row.
    let keep: Box<dyn Fn(usize) -> bool + Sync> = match filter {
        None => Box::new(|_| true),
        Some((name, wanted)) => match (rows.columns.get(name), wanted) {
            (Some(Column::Str { codes, dict }), Value::String(s)) => {
                match dict.iter().position(|d| d == s) {
                    Some(code) => {
                        let code = code as u32;
                        Box::new(move |i| codes[i] == code)
                    }
                    None => Box::new(|_| false),
                }
            }
            (Some(Column::Num { values: col, .. }), v) => {
                let wanted = v
                    .number()
                    .and_then(|n| i64::try_from(n).ok())
                    .unwrap_or(NULL);
                Box::new(move |i| col[i] == wanted && wanted != NULL)
            }
            _ => Box::new(|_| false),
        },
    };
    for i in 0..rows.subject.len() {
        if rows.month[i] == month && values[i] != NULL && keep(i) {
            totals[rows.subject[i] as usize] += i128::from(values[i]);
        }
    }
    Ok(totals)
}

//! One policy compiled against a population's columns, and evaluated over selections of rows.

use api::Date;

use super::rows::{bounds, minus, union, Ages, Rows};
use super::{BatchError, Column, Grant, Ids, Population, NULL, NULL_STR};
use crate::catalogue::Type;
use crate::eval::{self, Context};
use crate::expr::{Arith, CmpOp, Expr, Test};
use crate::policy::{Amount, Criterion, CriterionKind, Policy};
use crate::value::Value;

/// A numeric expression compiled against a population's columns.
enum Num<'a> {
    Col(&'a [i64]),
    Const(i128),
    Age(Box<Num<'a>>),
    /// The age of a date column, read from the table of ages by birth day.
    AgeOf(&'a [i64], &'a Ages),
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

pub(super) struct Plan<'a> {
    /// The policy's position in the list given to [`super::evaluate`].
    index: usize,
    check: Check<'a>,
    amount: PlanAmount<'a>,
    reference_date: Date,
    /// Per-subject sums of fact aggregates, by [`Num::Agg`] index.
    aggregates: Vec<Vec<i128>>,
    policy: &'a str,
    ids: &'a Ids,
    ages: &'a Ages,
}

enum PlanAmount<'a> {
    Fixed(i64),
    Tiered(Num<'a>, Vec<(i128, i64)>),
    Proportional(Num<'a>, i64, i64, Option<i64>, Option<i64>),
}

impl<'a> Plan<'a> {
    pub(super) fn compile(
        index: usize,
        policy: &'a Policy,
        population: &'a Population,
        ctx: &Context,
        ages: &'a Ages,
    ) -> Result<Plan<'a>, BatchError> {
        let mut plan = Plan {
            index,
            ages,
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
        // The tests of each group in the order that settles most rows first, as measured on
        // a sample of the population.
        let n = population.len();
        let sample: Vec<u32> = (0..n as u32).step_by((n / SAMPLE).max(1)).collect();
        let mut check = std::mem::replace(&mut plan.check, Check::All(vec![]));
        plan.reorder(&mut check, &sample)?;
        plan.check = check;
        Ok(plan)
    }

    /// Orders the parts of every `all` so that those rejecting most of `sample` come first,
    /// and of every `any` so that those accepting most come first: later parts then see few
    /// rows. Only parts that cannot fail are moved (a part with arithmetic may overflow, and
    /// must meet the rows one-subject evaluation would give it), so every row's result is
    /// the same in any order.
    fn reorder(&self, c: &mut Check<'a>, sample: &[u32]) -> Result<(), BatchError> {
        match c {
            Check::All(_) | Check::Any(_) => {
                let any = matches!(c, Check::Any(_));
                let (Check::All(parts) | Check::Any(parts)) = c else {
                    unreachable!("matched above")
                };
                for part in parts.iter_mut() {
                    self.reorder(part, sample)?;
                }
                if parts.len() < 2 || parts.iter().any(fallible) {
                    return Ok(());
                }
                let mut held = Vec::with_capacity(parts.len());
                for part in parts.iter() {
                    held.push(self.select(part, Rows::List(sample))?.len());
                }
                let mut rated: Vec<(usize, Check<'a>)> =
                    held.into_iter().zip(std::mem::take(parts)).collect();
                if any {
                    rated.sort_by_key(|(held, _)| std::cmp::Reverse(*held));
                } else {
                    rated.sort_by_key(|(held, _)| *held);
                }
                *parts = rated.into_iter().map(|(_, part)| part).collect();
                Ok(())
            }
            Check::Not(inner) => self.reorder(inner, sample),
            _ => Ok(()),
        }
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
        fold(match t {
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
        })
    }

    fn num(&self, e: &'a Expr, population: &'a Population, sums: &mut Vec<&'a Expr>) -> Num<'a> {
        match e {
            Expr::Attr { name, .. } => match population.columns.get(name) {
                Some(Column::Num { values, .. }) => Num::Col(values),
                _ => Num::Null,
            },
            Expr::RefDate => Num::Const(i128::from(self.reference_date.days_since_epoch())),
            Expr::Lit(v) => v.number().map_or(Num::Null, Num::Const),
            Expr::Age(inner) => match self.num(inner, population, sums) {
                Num::Col(values) => Num::AgeOf(values, self.ages),
                other => Num::Age(Box::new(other)),
            },
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
            Num::AgeOf(values, ages) => {
                let v = values[row];
                (v != NULL).then(|| i128::from(ages.age(v)))
            }
            Num::Agg(i) => Some(self.aggregates[*i][row]),
            Num::Bin(op, l, r) => match (self.value(l, row)?, self.value(r, row)?) {
                (Some(l), Some(r)) => Some(eval::arith(*op, l, r).map_err(|m| self.fail(row, m))?),
                _ => None,
            },
            Num::Neg(inner) => self.value(inner, row)?.map(|v| -v),
            Num::Null => None,
        })
    }

    /// The rows of `rows` for which `c` holds, in order. A row is tested against a part of
    /// the criteria only when one-subject evaluation would test it (all: until one fails; any:
    /// until one holds), so an arithmetic error surfaces exactly where it would there.
    fn select(&self, c: &Check<'_>, rows: Rows<'_>) -> Result<Vec<u32>, BatchError> {
        match c {
            Check::All(cs) => {
                let Some((first, rest)) = cs.split_first() else {
                    return Ok(rows.to_vec());
                };
                let mut kept = self.select(first, rows)?;
                for c in rest {
                    if kept.is_empty() {
                        break;
                    }
                    kept = self.select(c, Rows::List(&kept))?;
                }
                Ok(kept)
            }
            Check::Any(cs) if cs.is_empty() => Ok(Vec::new()),
            Check::Any(cs) => {
                let mut left = rows.to_vec();
                let mut hit = Vec::new();
                for c in cs {
                    if left.is_empty() {
                        break;
                    }
                    let held = self.select(c, Rows::List(&left))?;
                    if !held.is_empty() {
                        left = minus(&left, &held);
                        hit = union(&hit, &held);
                    }
                }
                Ok(hit)
            }
            Check::Not(c) => {
                let all = rows.to_vec();
                let held = self.select(c, Rows::List(&all))?;
                Ok(minus(&all, &held))
            }
            leaf => match rows {
                Rows::Range(from, to) => self.filter(leaf, from..to),
                Rows::List(list) => self.filter(leaf, list.iter().copied()),
            },
        }
    }

    /// The rows for which the test `c` holds: a tight loop over one column for the common
    /// shapes (an attribute or an age against constants), row by row otherwise.
    fn filter(
        &self,
        c: &Check<'_>,
        rows: impl Iterator<Item = u32>,
    ) -> Result<Vec<u32>, BatchError> {
        let mut out = Vec::new();
        match c {
            Check::Cmp(l, op, Num::Const(k)) if simple(l) => {
                let (lo, hi, outside) = bounds(*op, *k);
                scan(l, rows, &mut out, |v| (lo <= v && v <= hi) != outside);
            }
            Check::Cmp(Num::Const(k), op, r) if simple(r) => {
                let (lo, hi, outside) = bounds(op.flipped(), *k);
                scan(r, rows, &mut out, |v| (lo <= v && v <= hi) != outside);
            }
            Check::Range(e, lo, hi) if simple(e) => {
                scan(e, rows, &mut out, |v| {
                    *lo <= i128::from(v) && i128::from(v) <= *hi
                });
            }
            Check::In(e, set) if simple(e) => {
                scan(e, rows, &mut out, |v| set.contains(&i128::from(v)));
            }
            Check::IsNull(e, negated) if simple(e) => {
                let values = match e {
                    Num::Col(values) | Num::AgeOf(values, _) => values,
                    _ => unreachable!("simple numbers read a column"),
                };
                out.extend(rows.filter(|&r| (values[r as usize] == NULL) != *negated));
            }
            Check::StrIn {
                codes,
                wanted,
                negated,
            } => out.extend(rows.filter(|&r| {
                let code = codes[r as usize];
                code != NULL_STR && (wanted.contains(&code) != *negated)
            })),
            Check::StrIsNull { codes, negated } => {
                out.extend(rows.filter(|&r| (codes[r as usize] == NULL_STR) != *negated))
            }
            _ => {
                for r in rows {
                    if self.holds(c, r as usize)? {
                        out.push(r);
                    }
                }
            }
        }
        Ok(out)
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

    pub(super) fn index(&self) -> usize {
        self.index
    }

    /// The grants of rows `from..to`, in row order.
    pub(super) fn grants(
        &self,
        from: u32,
        to: u32,
        out: &mut Vec<Grant>,
    ) -> Result<(), BatchError> {
        for row in self.select(&self.check, Rows::Range(from, to))? {
            out.push(Grant {
                policy: self.index,
                row,
                amount_fen: self.amount(row as usize)?,
            });
        }
        Ok(())
    }

    /// The amount for `row`, which meets the criteria.
    fn amount(&self, row: usize) -> Result<i64, BatchError> {
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
        Ok(fen)
    }
}

/// Rows sampled to order a policy's tests.
const SAMPLE: usize = 4096;

/// Whether a test can fail with an error: only arithmetic can, by dividing by something that
/// may be zero or by going beyond the engine's wide numbers.
fn fallible(c: &Check<'_>) -> bool {
    let wide = |n: &Num<'_>| bound(n).is_none_or(|b| b > i128::MAX as u128);
    match c {
        Check::Cmp(l, _, r) => wide(l) || wide(r),
        Check::In(e, _) | Check::Range(e, ..) | Check::IsNull(e, _) => wide(e),
        Check::StrIn { .. } | Check::StrIsNull { .. } => false,
        Check::All(parts) | Check::Any(parts) => parts.iter().any(fallible),
        Check::Not(inner) => fallible(inner),
    }
}

/// The largest magnitude `n` can take, when it is known and its arithmetic cannot fail.
fn bound(n: &Num<'_>) -> Option<u128> {
    const COLUMN: u128 = 1 << 63;
    match n {
        Num::Col(_) | Num::AgeOf(..) => Some(COLUMN),
        // A sum over at most 2^32 rows of one column.
        Num::Agg(_) => Some(COLUMN << 32),
        Num::Const(k) => Some(k.unsigned_abs()),
        Num::Null => Some(0),
        Num::Age(inner) | Num::Neg(inner) => bound(inner),
        Num::Bin(op, l, r) => {
            // Every step must stay within the wide numbers, not only the result.
            let (lb, rb) = (bound(l)?, bound(r)?);
            if lb.max(rb) > i128::MAX as u128 {
                return None;
            }
            match op {
                Arith::Add | Arith::Sub => lb.checked_add(rb),
                Arith::Mul => lb.checked_mul(rb),
                Arith::Div => match **r {
                    Num::Const(k) if k != 0 => Some(lb),
                    _ => None,
                },
            }
        }
    }
}

/// A test on a value that is null for everyone (an attribute the population lacks) as the
/// constant it is, unless it can fail (then the rows must meet it as they would one by one).
fn fold(c: Check<'_>) -> Check<'_> {
    const NEVER: fn() -> Check<'static> = || Check::Any(vec![]);
    const ALWAYS: fn() -> Check<'static> = || Check::All(vec![]);
    if fallible(&c) {
        return c;
    }
    match &c {
        Check::Cmp(l, _, r) if always_null(l) || always_null(r) => NEVER(),
        Check::In(e, _) | Check::Range(e, ..) if always_null(e) => NEVER(),
        Check::IsNull(e, negated) if always_null(e) => {
            if *negated {
                NEVER()
            } else {
                ALWAYS()
            }
        }
        _ => c,
    }
}

/// Whether `n` has no value for anyone.
fn always_null(n: &Num<'_>) -> bool {
    match n {
        Num::Null => true,
        Num::Age(inner) | Num::Neg(inner) => always_null(inner),
        Num::Bin(_, l, r) => always_null(l) || always_null(r),
        _ => false,
    }
}

/// Whether `n` is read straight from a column (an attribute, or the age of a date attribute).
fn simple(n: &Num<'_>) -> bool {
    matches!(n, Num::Col(_) | Num::AgeOf(..))
}

/// Pushes the rows whose value of the simple `n` is not null and passes `test`, without a
/// branch per row (each row is written, and kept by moving on when it passes).
fn scan(
    n: &Num<'_>,
    rows: impl Iterator<Item = u32>,
    out: &mut Vec<u32>,
    test: impl Fn(i64) -> bool,
) {
    let (values, ages) = match n {
        Num::Col(values) => (*values, None),
        Num::AgeOf(values, ages) => (*values, Some(*ages)),
        _ => unreachable!("only simple numbers are scanned"),
    };
    let start = out.len();
    let most = rows.size_hint().1.expect("rows of a known number");
    out.resize(start + most, 0);
    let mut kept = start;
    match ages {
        None => {
            for r in rows {
                let v = values[r as usize];
                out[kept] = r;
                kept += usize::from((v != NULL) & test(v));
            }
        }
        Some(ages) => {
            for r in rows {
                let v = values[r as usize];
                out[kept] = r;
                kept += usize::from(v != NULL && test(ages.age(v)));
            }
        }
    }
    out.truncate(kept);
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

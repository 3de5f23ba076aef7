//! Evaluating one subject: the verdict, the amount, the explanation, and what would make the
//! subject eligible.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use api::Date;
use serde::{Deserialize, Serialize};

use crate::catalogue::{Catalogue, Department, Text, Type};
use crate::expr::{Arith, CmpOp, Expr, Test};
use crate::policy::{Amount, Criterion, CriterionKind, Policy};
use crate::value::Value;

/// A calendar month, the period of monthly policies and of monthly facts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Month {
    pub year: i32,
    pub month: u8,
}

impl Month {
    pub fn new(year: i32, month: u8) -> Option<Month> {
        (1..=12).contains(&month).then_some(Month { year, month })
    }

    /// The first day of the month: the reference date of a run for this month.
    pub fn first_day(self) -> Date {
        Date::new(self.year, self.month, 1).expect("a valid month")
    }

    /// The month a date falls in.
    pub fn of(date: Date) -> Month {
        Month {
            year: date.year(),
            month: date.month(),
        }
    }

    /// A number that orders months (for compact storage).
    pub fn index(self) -> i32 {
        self.year * 12 + i32::from(self.month) - 1
    }

    pub fn next(self) -> Month {
        if self.month == 12 {
            Month {
                year: self.year + 1,
                month: 1,
            }
        } else {
            Month {
                year: self.year,
                month: self.month + 1,
            }
        }
    }
}

impl std::fmt::Display for Month {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

impl std::str::FromStr for Month {
    type Err = ();
    /// Reads `YYYY-MM`.
    fn from_str(s: &str) -> Result<Month, ()> {
        let b = s.as_bytes();
        if b.len() != 7 || b[4] != b'-' || !b[..4].iter().chain(&b[5..]).all(u8::is_ascii_digit) {
            return Err(());
        }
        Month::new(
            s[..4].parse().map_err(|_| ())?,
            s[5..].parse().map_err(|_| ())?,
        )
        .ok_or(())
    }
}

/// One row of a fact table for a subject.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fact {
    pub table: String,
    pub month: Month,
    pub fields: BTreeMap<String, Value>,
}

/// Everything known about one subject.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subject {
    pub id: String,
    /// Attribute values by name; a missing attribute is null.
    pub attributes: BTreeMap<String, Value>,
    pub facts: Vec<Fact>,
}

impl Subject {
    pub fn get(&self, name: &str) -> &Value {
        self.attributes.get(name).unwrap_or(&Value::Null)
    }
}

/// What a run evaluates against: the month (for facts) and its reference date.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Context {
    pub month: Month,
    pub reference_date: Date,
}

impl Context {
    /// The run for month `month`: its reference date is the month's first day.
    pub fn for_month(month: Month) -> Context {
        Context {
            month,
            reference_date: month.first_day(),
        }
    }
}

/// A value that could not be computed (only overflow: every other problem is refused when the
/// policy is loaded).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EvalError {
    pub policy: String,
    pub subject: String,
    pub message: String,
}

impl std::fmt::Display for EvalError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "policy {} for subject {}: {}",
            self.policy, self.subject, self.message
        )
    }
}

impl std::error::Error for EvalError {}

/// The value a test compares against, for the explanation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Requirement {
    Compare { op: CmpOp, value: Value },
    OneOf { values: Vec<Value> },
    Between { low: Value, high: Value },
    Empty,
    NotEmpty,
}

impl Requirement {
    /// Whether `value` meets the requirement. For every test of an explanation,
    /// `requirement.admits(actual)` is the test's verdict.
    pub fn admits(&self, value: &Value) -> bool {
        match self {
            Requirement::Compare { op, value: v } => compare(value, v).is_some_and(|o| op.holds(o)),
            Requirement::OneOf { values } => one_of(value, values),
            Requirement::Between { low, high } => between(value, low, high),
            Requirement::Empty => value.is_null(),
            Requirement::NotEmpty => !value.is_null(),
        }
    }
}

/// `value` is one of `values` (never when null).
fn one_of(value: &Value, values: &[Value]) -> bool {
    !value.is_null() && values.contains(value)
}

/// `low ≤ value ≤ high` (never when null).
fn between(value: &Value, low: &Value, high: &Value) -> bool {
    compare(value, low).is_some_and(|o| o != Ordering::Less)
        && compare(value, high).is_some_and(|o| o != Ordering::Greater)
}

/// What the requirement of a test's explanation is about.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Measure {
    /// The value of the input of this name (an attribute, or an aggregate as written): a test
    /// such as `rd_expense_y1 * 100 >= revenue_y1 * 3` is explained as "rd_expense_y1 ≥ 3% of
    /// revenue_y1", worked out by this evaluation.
    Input { name: String },
    /// Completed years from the date input of this name to the reference date.
    Age { of: String },
    /// The test's expression as a whole, when it has no simpler reading.
    Computed,
}

/// An attribute (or fact aggregate) a test read, with where it came from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Input {
    /// The attribute's name, or the aggregate as written (`sum(gas_usage.cubic_meters)`).
    pub name: String,
    pub description: Text,
    pub value: Value,
    pub department: Department,
}

/// The explanation of one criterion.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Explanation {
    pub id: String,
    pub label: Text,
    pub passed: bool,
    pub detail: Detail,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Detail {
    /// A test: the measured value (`actual`, read or computed from `inputs`) against the
    /// requirement on it. `requirement.admits(&actual)` is always this test's verdict: both
    /// come from the same evaluation, never re-derived for display.
    Test {
        inputs: Vec<Input>,
        measure: Measure,
        actual: Value,
        requirement: Requirement,
    },
    All {
        children: Vec<Explanation>,
    },
    Any {
        children: Vec<Explanation>,
    },
    Not {
        child: Box<Explanation>,
    },
}

/// A change of one attribute that would make a failed criterion pass: "年主营业务收入需 ≥ 2000
/// 万元，当前 1850 万元".
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Suggestion {
    pub criterion: String,
    pub attribute: String,
    pub description: Text,
    pub current: Value,
    /// The nearest value that satisfies the criterion.
    pub needed: Value,
    /// How `needed` relates to the values that satisfy it: `Ge` (that or more), `Le` (that or
    /// less) or `Eq` (exactly that).
    pub relation: CmpOp,
}

/// The verdict on one subject for one policy.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evaluation {
    pub policy: String,
    pub version: u32,
    pub subject: String,
    pub eligible: bool,
    /// The amount for the period, in fen, when eligible.
    pub amount_fen: Option<i64>,
    pub explanation: Explanation,
    /// For failed criteria that one attribute change would satisfy.
    pub suggestions: Vec<Suggestion>,
    /// For criteria that depend on time: the first date on which each would pass with today's
    /// data (an 80th birthday).
    pub passes_on: Vec<(String, Date)>,
    /// The first date from which the whole policy holds, if time alone makes the subject
    /// eligible.
    pub eligible_from: Option<Date>,
}

/// Evaluates `policy` for `subject` in the run `ctx`, with its explanation and suggestions.
pub fn evaluate(
    policy: &Policy,
    subject: &Subject,
    ctx: &Context,
) -> Result<Evaluation, EvalError> {
    let fail = |message: String| EvalError {
        policy: policy.id.clone(),
        subject: subject.id.clone(),
        message,
    };
    let ev = Evaluator {
        policy,
        subject,
        ctx: *ctx,
    };
    let explanation = ev.explain(&policy.criteria).map_err(&fail)?;
    let eligible = explanation.passed;
    let amount_fen = if eligible {
        Some(amount(policy, subject, ctx).map_err(&fail)?)
    } else {
        None
    };
    let mut suggestions = Vec::new();
    let mut passes_on = Vec::new();
    if !eligible {
        let mut failing = Vec::new();
        ev.failing_tests(&policy.criteria, &mut failing);
        for (criterion, test) in failing {
            if test.uses_ref_date() {
                if let Some(date) = first_passing_date(policy, test, subject, ctx) {
                    passes_on.push((criterion.id.clone(), date));
                }
            } else if let Some(s) = suggest(policy, criterion, test, subject, ctx) {
                suggestions.push(s);
            }
        }
    }
    let eligible_from = if eligible {
        None
    } else {
        // Time alone helps only if, on the last of those dates, everything holds.
        passes_on.iter().map(|(_, d)| *d).max().filter(|d| {
            let later = Context {
                month: ctx.month,
                reference_date: *d,
            };
            Evaluator {
                policy,
                subject,
                ctx: later,
            }
            .holds(&policy.criteria)
            .unwrap_or(false)
        })
    };
    Ok(Evaluation {
        policy: policy.id.clone(),
        version: policy.version,
        subject: subject.id.clone(),
        eligible,
        amount_fen,
        explanation,
        suggestions,
        passes_on,
        eligible_from,
    })
}

/// Whether `subject` is eligible, and for how much: [`evaluate`] without the explanation.
pub fn decide(policy: &Policy, subject: &Subject, ctx: &Context) -> Result<Option<i64>, EvalError> {
    let fail = |message: String| EvalError {
        policy: policy.id.clone(),
        subject: subject.id.clone(),
        message,
    };
    let ev = Evaluator {
        policy,
        subject,
        ctx: *ctx,
    };
    if ev.holds(&policy.criteria).map_err(&fail)? {
        Ok(Some(amount(policy, subject, ctx).map_err(&fail)?))
    } else {
        Ok(None)
    }
}

fn amount(policy: &Policy, subject: &Subject, ctx: &Context) -> Result<i64, String> {
    let ev = Evaluator {
        policy,
        subject,
        ctx: *ctx,
    };
    match &policy.amount {
        Amount::Fixed(fen) => Ok(*fen),
        Amount::Tiered { by, tiers } => {
            let Some(measure) = ev.number(by)? else {
                return Ok(0);
            };
            Ok(tiers
                .iter()
                .rev()
                .find(|(from, _)| from.number().is_some_and(|f| measure >= f))
                .map_or(0, |(_, fen)| *fen))
        }
        Amount::Proportional {
            of,
            numerator,
            denominator,
            floor,
            cap,
        } => {
            let Some(base) = ev.number(of)? else {
                return Ok(0);
            };
            proportional(base, *numerator, *denominator, *floor, *cap)
        }
    }
}

/// `base × numerator ÷ denominator` rounded down, between `floor` and `cap`, as fen.
pub fn proportional(
    base: i128,
    numerator: i64,
    denominator: i64,
    floor: Option<i64>,
    cap: Option<i64>,
) -> Result<i64, String> {
    let raw = base
        .checked_mul(i128::from(numerator))
        .ok_or("amount overflow")?
        .div_euclid(i128::from(denominator));
    let mut fen = raw;
    if let Some(c) = cap {
        fen = fen.min(i128::from(c));
    }
    if let Some(f) = floor {
        fen = fen.max(i128::from(f));
    }
    i64::try_from(fen).map_err(|_| format!("amount {fen} fen does not fit in 64 bits"))
}

/// Completed years from `birth` to `on` (POLICIES.md): someone born on 29 February turns a year
/// older on 1 March in a non-leap year.
pub fn age(birth: Date, on: Date) -> i64 {
    let years = i64::from(on.year()) - i64::from(birth.year());
    if (on.month(), on.day()) < (birth.month(), birth.day()) {
        years - 1
    } else {
        years
    }
}

/// One monotone step by a constant, for [`Evaluator::shown`].
#[derive(Clone, Copy, Debug)]
enum Step {
    /// `x * k`, k > 0.
    Mul(i128),
    /// `x / k` rounded down, k > 0.
    Div(i128),
    /// `x + c` (`x - c` is `x + (-c)`).
    Add(i128),
}

struct Evaluator<'a> {
    policy: &'a Policy,
    subject: &'a Subject,
    ctx: Context,
}

impl Evaluator<'_> {
    fn holds(&self, c: &Criterion) -> Result<bool, String> {
        Ok(match &c.kind {
            CriterionKind::Test(t) => self.test(t)?.0,
            CriterionKind::All(cs) => {
                for c in cs {
                    if !self.holds(c)? {
                        return Ok(false);
                    }
                }
                true
            }
            CriterionKind::Any(cs) => {
                for c in cs {
                    if self.holds(c)? {
                        return Ok(true);
                    }
                }
                false
            }
            CriterionKind::Not(c) => !self.holds(c)?,
        })
    }

    /// The failed tests whose passing could change the verdict: those under a failed `all`,
    /// and every alternative of a failed `any` (a `not` is left alone).
    fn failing_tests<'p>(&self, c: &'p Criterion, out: &mut Vec<(&'p Criterion, &'p Test)>) {
        if self.holds(c).unwrap_or(true) {
            return;
        }
        match &c.kind {
            CriterionKind::Test(t) => out.push((c, t)),
            CriterionKind::All(cs) | CriterionKind::Any(cs) => {
                cs.iter().for_each(|c| self.failing_tests(c, out))
            }
            CriterionKind::Not(_) => {}
        }
    }

    fn explain(&self, c: &Criterion) -> Result<Explanation, String> {
        let (passed, detail) = match &c.kind {
            CriterionKind::Test(t) => {
                let (passed, _) = self.test(t)?;
                let (measure, actual, requirement) = self.shown(t, passed)?;
                (
                    passed,
                    Detail::Test {
                        inputs: self.inputs(t)?,
                        measure,
                        actual,
                        requirement,
                    },
                )
            }
            CriterionKind::All(cs) => {
                let children = cs
                    .iter()
                    .map(|c| self.explain(c))
                    .collect::<Result<Vec<_>, _>>()?;
                (children.iter().all(|c| c.passed), Detail::All { children })
            }
            CriterionKind::Any(cs) => {
                let children = cs
                    .iter()
                    .map(|c| self.explain(c))
                    .collect::<Result<Vec<_>, _>>()?;
                (children.iter().any(|c| c.passed), Detail::Any { children })
            }
            CriterionKind::Not(inner) => {
                let child = self.explain(inner)?;
                (
                    !child.passed,
                    Detail::Not {
                        child: Box::new(child),
                    },
                )
            }
        };
        Ok(Explanation {
            id: c.id.clone(),
            label: c.label.clone(),
            passed,
            detail,
        })
    }

    fn inputs(&self, t: &Test) -> Result<Vec<Input>, String> {
        let catalogue = Catalogue::standard();
        let mut inputs = Vec::new();
        for name in t.attributes() {
            let a = catalogue
                .attribute(self.policy.subject, &name)
                .expect("checked when loaded");
            inputs.push(Input {
                name: name.clone(),
                description: a.description.clone(),
                value: self.subject.get(&name).clone(),
                department: a.department,
            });
        }
        for sum in t.sums() {
            let Expr::Sum { table, .. } = sum else {
                continue;
            };
            let fact = catalogue
                .fact_table(self.policy.subject, table)
                .expect("checked when loaded");
            inputs.push(Input {
                name: describe_sum(sum),
                description: fact.description.clone(),
                value: self.value(sum)?,
                department: fact.department,
            });
        }
        Ok(inputs)
    }

    /// The test as a person reads it: the attribute it is about (or an age), that value, and
    /// what it must be, solved from the test with this subject's values. `x * 100 >= y * 3`
    /// becomes `x ≥ ⌈3y / 100⌉`; `x / 100 in 13..=43` becomes `x in 1300..=4399`. Whatever
    /// has no such reading, or whose reading would not give `passed`, is shown whole.
    fn shown(&self, t: &Test, passed: bool) -> Result<(Measure, Value, Requirement), String> {
        let whole = || -> Result<(Measure, Value, Requirement), String> {
            Ok((
                Measure::Computed,
                self.value(t.subject_side())?,
                self.requirement(t)?,
            ))
        };
        let (base, steps) = self.peel(t.subject_side())?;
        let measure = match base {
            Expr::Attr { name, .. } => Measure::Input { name: name.clone() },
            Expr::Sum { .. } => Measure::Input {
                name: describe_sum(base),
            },
            Expr::Age(inner) => match &**inner {
                Expr::Attr { name, .. } => Measure::Age { of: name.clone() },
                _ => return whole(),
            },
            _ => return whole(),
        };
        let actual = self.value(base)?;
        let requirement = if steps.is_empty() {
            Some(self.requirement(t)?)
        } else {
            self.solved(t, &steps, base.ty())?
        };
        match requirement {
            Some(r) if r.admits(&actual) == passed => Ok((measure, actual, r)),
            _ => whole(),
        }
    }

    /// The innermost operand of a chain of monotone steps by constants (`x * 100`,
    /// `x / 100`, `x + c`, `x - c`), and the steps, outermost first.
    fn peel<'e>(&self, mut e: &'e Expr) -> Result<(&'e Expr, Vec<Step>), String> {
        let mut steps = Vec::new();
        while let Expr::Bin {
            op, left, right, ..
        } = e
        {
            let (var, constant, var_left) = if right.is_constant() && !left.is_constant() {
                (&**left, &**right, true)
            } else if left.is_constant() && !right.is_constant() {
                (&**right, &**left, false)
            } else {
                break;
            };
            let Some(k) = self.number(constant)? else {
                break;
            };
            let step = match (op, var_left) {
                (Arith::Mul, _) if k > 0 => Step::Mul(k),
                (Arith::Div, true) if k > 0 => Step::Div(k),
                (Arith::Add, _) => Step::Add(k),
                (Arith::Sub, true) => Step::Add(-k),
                _ => break,
            };
            steps.push(step);
            e = var;
        }
        Ok((e, steps))
    }

    /// The requirement on the innermost operand, from the test on the stepped expression.
    fn solved(&self, t: &Test, steps: &[Step], ty: Type) -> Result<Option<Requirement>, String> {
        // The least x with f(x) >= r (f is non-decreasing on integers).
        let least = |r: i128| -> Option<i128> {
            steps.iter().try_fold(r, |r, step| match *step {
                Step::Mul(k) => Some(r.div_euclid(k) + i128::from(r.rem_euclid(k) != 0)),
                Step::Div(k) => r.checked_mul(k),
                Step::Add(c) => r.checked_sub(c),
            })
        };
        let value = |n: Option<i128>| n.and_then(|n| Value::from_number(ty, n));
        let compare =
            |op: CmpOp, n: Option<i128>| value(n).map(|value| Requirement::Compare { op, value });
        let between = |lo: Option<i128>, hi: Option<i128>| match (lo, hi) {
            (Some(l), Some(h)) if l == h => compare(CmpOp::Eq, Some(l)),
            (Some(l), Some(h)) if l < h => Some(Requirement::Between {
                low: value(Some(l))?,
                high: value(Some(h))?,
            }),
            _ => None,
        };
        // The greatest x with f(x) <= r.
        let greatest = |r: i128| r.checked_add(1).and_then(least).map(|n| n - 1);
        Ok(match t {
            Test::Cmp { op, right, .. } => match self.number(right)? {
                None => Some(Requirement::Compare {
                    op: *op,
                    value: Value::Null,
                }),
                Some(r) => match op {
                    CmpOp::Ge => compare(CmpOp::Ge, least(r)),
                    CmpOp::Lt => compare(CmpOp::Lt, least(r)),
                    CmpOp::Gt => compare(CmpOp::Gt, greatest(r)),
                    CmpOp::Le => compare(CmpOp::Le, greatest(r)),
                    CmpOp::Eq => between(least(r), greatest(r)),
                    CmpOp::Ne => match (least(r), greatest(r)) {
                        (Some(l), Some(h)) if l == h => compare(CmpOp::Ne, Some(l)),
                        _ => None,
                    },
                },
            },
            Test::Range { lo, hi, .. } => match (lo.number(), hi.number()) {
                (Some(l), Some(h)) => between(least(l), greatest(h)),
                _ => None,
            },
            Test::IsNull { negated: false, .. } => Some(Requirement::Empty),
            Test::IsNull { negated: true, .. } => Some(Requirement::NotEmpty),
            Test::In { .. } => None,
        })
    }

    fn requirement(&self, t: &Test) -> Result<Requirement, String> {
        Ok(match t {
            Test::Cmp { op, right, .. } => Requirement::Compare {
                op: *op,
                value: self.value(right)?,
            },
            Test::In { set, .. } => Requirement::OneOf {
                values: set.clone(),
            },
            Test::Range { lo, hi, .. } => Requirement::Between {
                low: lo.clone(),
                high: hi.clone(),
            },
            Test::IsNull { negated: false, .. } => Requirement::Empty,
            Test::IsNull { negated: true, .. } => Requirement::NotEmpty,
        })
    }

    /// Whether the test passes, and the subject's side of it.
    fn test(&self, t: &Test) -> Result<(bool, Value), String> {
        let actual = self.value(t.subject_side())?;
        let passed = match t {
            Test::Cmp { op, right, .. } => {
                let right = self.value(right)?;
                compare(&actual, &right).is_some_and(|o| op.holds(o))
            }
            Test::In { set, .. } => one_of(&actual, set),
            Test::Range { lo, hi, .. } => between(&actual, lo, hi),
            Test::IsNull { negated, .. } => actual.is_null() != *negated,
        };
        Ok((passed, actual))
    }

    fn value(&self, e: &Expr) -> Result<Value, String> {
        match e {
            Expr::Lit(v) => Ok(v.clone()),
            Expr::Attr { name, .. } => Ok(self.subject.get(name).clone()),
            Expr::RefDate => Ok(Value::Date(self.ctx.reference_date)),
            Expr::Age(_) | Expr::Sum { .. } | Expr::Bin { .. } | Expr::Neg(_) => {
                match self.number(e)? {
                    Some(n) => {
                        Value::from_number(e.ty(), n).ok_or_else(|| format!("{n} is out of range"))
                    }
                    None => Ok(Value::Null),
                }
            }
        }
    }

    /// A numeric expression's value on its line (dates in days), or `None` for null.
    fn number(&self, e: &Expr) -> Result<Option<i128>, String> {
        Ok(match e {
            Expr::Lit(v) => v.number(),
            Expr::Attr { name, .. } => self.subject.get(name).number(),
            Expr::RefDate => Some(i128::from(self.ctx.reference_date.days_since_epoch())),
            Expr::Age(inner) => match self.value(inner)? {
                Value::Date(birth) => Some(i128::from(age(birth, self.ctx.reference_date))),
                _ => None,
            },
            Expr::Sum {
                table,
                field,
                filter,
                ..
            } => {
                let mut total: i128 = 0;
                for fact in &self.subject.facts {
                    if fact.table != *table || fact.month != self.ctx.month {
                        continue;
                    }
                    if let Some((name, wanted)) = filter {
                        if fact.fields.get(name) != Some(wanted) {
                            continue;
                        }
                    }
                    if let Some(n) = fact.fields.get(field).and_then(Value::number) {
                        total += n;
                    }
                }
                Some(total)
            }
            Expr::Neg(inner) => self.number(inner)?.map(|n| -n),
            Expr::Bin {
                op, left, right, ..
            } => match (self.number(left)?, self.number(right)?) {
                (Some(l), Some(r)) => Some(arith(*op, l, r)?),
                _ => None,
            },
        })
    }
}

/// Integer arithmetic on the engine's wide numbers; division rounds down.
pub fn arith(op: Arith, l: i128, r: i128) -> Result<i128, String> {
    match op {
        Arith::Add => l.checked_add(r),
        Arith::Sub => l.checked_sub(r),
        Arith::Mul => l.checked_mul(r),
        Arith::Div => (r != 0).then(|| l.div_euclid(r)),
    }
    .ok_or_else(|| "arithmetic overflow".to_owned())
}

/// Orders two values of the same type; `None` when either is null.
pub fn compare(a: &Value, b: &Value) -> Option<Ordering> {
    match (a, b) {
        (Value::Null, _) | (_, Value::Null) => None,
        (Value::String(x), Value::String(y)) => Some(x.cmp(y)),
        _ => Some(a.number()?.cmp(&b.number()?)),
    }
}

/// An aggregate as a policy writes it, for explanations.
pub fn describe_sum(e: &Expr) -> String {
    match e {
        Expr::Sum {
            table,
            field,
            filter: Some((name, value)),
            ..
        } => format!("sum({table}.{field} where {name} == {value})"),
        Expr::Sum {
            table,
            field,
            filter: None,
            ..
        } => format!("sum({table}.{field})"),
        _ => String::new(),
    }
}

/// The first date after the reference date on which a time-dependent test passes with the
/// subject's current data, searching up to 150 years ahead (the tests are monotone in time).
fn first_passing_date(
    policy: &Policy,
    test: &Test,
    subject: &Subject,
    ctx: &Context,
) -> Option<Date> {
    let start = ctx.reference_date.days_since_epoch();
    let passes = |days: i64| {
        let c = Context {
            month: ctx.month,
            reference_date: Date::from_days_since_epoch(days),
        };
        matches!(
            Evaluator {
                policy,
                subject,
                ctx: c
            }
            .test(test),
            Ok((true, _))
        )
    };
    let limit = start + 150 * 366;
    let (mut lo, mut hi) = (start, start + 1);
    while !passes(hi) {
        lo = hi;
        hi = start + (hi - start) * 2;
        if hi > limit {
            return None;
        }
    }
    // passes(hi) and not passes(lo): the first passing day is in (lo, hi].
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if passes(mid) {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    Some(Date::from_days_since_epoch(hi))
}

/// The nearest value of the test's (first) attribute that makes it pass, the others unchanged.
fn suggest(
    policy: &Policy,
    criterion: &Criterion,
    test: &Test,
    subject: &Subject,
    ctx: &Context,
) -> Option<Suggestion> {
    let mut names = Vec::new();
    test.subject_side().attributes(&mut names);
    if !test.sums().is_empty() {
        return None;
    }
    let name = names.first()?.clone();
    let attribute = Catalogue::standard().attribute(policy.subject, &name)?;
    let current = subject.get(&name).clone();
    let passes_with = |v: &Value| {
        let mut changed = subject.clone();
        changed.attributes.insert(name.clone(), v.clone());
        matches!(
            Evaluator {
                policy,
                subject: &changed,
                ctx: *ctx
            }
            .test(test),
            Ok((true, _))
        )
    };
    let candidate = match attribute.ty {
        Type::String | Type::Code | Type::Bool => {
            // Few values can pass: the ones the test names.
            let mut options: Vec<Value> = match test {
                Test::Cmp { right, .. } => vec![Evaluator {
                    policy,
                    subject,
                    ctx: *ctx,
                }
                .value(right)
                .ok()?],
                Test::In { set, .. } => set.clone(),
                _ => vec![],
            };
            if attribute.ty == Type::Bool {
                options.extend([Value::Bool(true), Value::Bool(false)]);
            }
            options.into_iter().find(|v| passes_with(v))?
        }
        Type::Int | Type::Money | Type::Date => {
            let ty = attribute.ty;
            let here = current.number().unwrap_or_else(|| match ty {
                Type::Date => i128::from(ctx.reference_date.days_since_epoch()),
                _ => 0,
            });
            let pass_at = |n: i128| Value::from_number(ty, n).is_some_and(|v| passes_with(&v));
            let bound: i128 = if ty == Type::Date { 1_000_000 } else { 1 << 60 };
            let up = nearest(here, bound, &pass_at, 1);
            let down = nearest(here, bound, &pass_at, -1);
            let n = match (up, down) {
                (Some(u), Some(d)) => {
                    if u - here <= here - d {
                        u
                    } else {
                        d
                    }
                }
                (Some(u), None) => u,
                (None, Some(d)) => d,
                (None, None) => return None,
            };
            Value::from_number(ty, n)?
        }
    };
    let relation = match (candidate.number(), current.number()) {
        (Some(c), Some(h)) if c > h => CmpOp::Ge,
        (Some(c), Some(h)) if c < h => CmpOp::Le,
        _ => CmpOp::Eq,
    };
    let relation = match test {
        // A single value passes: say "exactly".
        Test::Cmp { op: CmpOp::Eq, .. } | Test::In { .. } => CmpOp::Eq,
        _ => relation,
    };
    Some(Suggestion {
        criterion: criterion.id.clone(),
        attribute: name,
        description: attribute.description.clone(),
        current,
        needed: candidate,
        relation,
    })
}

/// The passing value nearest to `here` in direction `dir` (±1), assuming the passing values
/// form intervals that a doubling search can reach: tests on monotone expressions do.
fn nearest(here: i128, bound: i128, passes: &dyn Fn(i128) -> bool, dir: i128) -> Option<i128> {
    if passes(here) {
        return Some(here);
    }
    let mut step: i128 = 1;
    let mut last_fail = here;
    loop {
        let probe = here + dir * step;
        if probe.abs() > bound {
            return None;
        }
        if passes(probe) {
            // The first passing value lies between last_fail (exclusive) and probe.
            let (mut fail, mut pass) = (last_fail, probe);
            while (pass - fail).abs() > 1 {
                let mid = fail + (pass - fail) / 2;
                if passes(mid) {
                    pass = mid;
                } else {
                    fail = mid;
                }
            }
            return Some(pass);
        }
        last_fail = probe;
        step *= 2;
    }
}

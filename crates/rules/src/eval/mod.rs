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

mod evaluator;
mod suggest;

use evaluator::Evaluator;
use suggest::{first_passing_date, suggest};

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

    /// The last day of the month.
    pub fn last_day(self) -> Date {
        self.next().first_day().add_days(-1)
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
    let fail = failure(policy, subject);
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
    let fail = failure(policy, subject);
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

/// Turns an evaluation's message into the error that names the policy and the subject.
fn failure<'a>(policy: &'a Policy, subject: &'a Subject) -> impl Fn(String) -> EvalError + 'a {
    move |message| EvalError {
        policy: policy.id.clone(),
        subject: subject.id.clone(),
        message,
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

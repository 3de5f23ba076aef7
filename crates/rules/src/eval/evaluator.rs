//! Walking a policy's criteria for one subject: each test's verdict, the values it read, and
//! what it requires of the value it is about.

use super::*;

/// One monotone step by a constant, for [`Evaluator::shown`].
#[derive(Clone, Copy, Debug)]
pub(super) enum Step {
    /// `x * k`, k > 0.
    Mul(i128),
    /// `x / k` rounded down, k > 0.
    Div(i128),
    /// `x + c` (`x - c` is `x + (-c)`).
    Add(i128),
}

pub(super) struct Evaluator<'a> {
    pub(super) policy: &'a Policy,
    pub(super) subject: &'a Subject,
    pub(super) ctx: Context,
}

impl Evaluator<'_> {
    pub(super) fn holds(&self, c: &Criterion) -> Result<bool, String> {
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
    pub(super) fn failing_tests<'p>(
        &self,
        c: &'p Criterion,
        out: &mut Vec<(&'p Criterion, &'p Test)>,
    ) {
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

    pub(super) fn explain(&self, c: &Criterion) -> Result<Explanation, String> {
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

    pub(super) fn inputs(&self, t: &Test) -> Result<Vec<Input>, String> {
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
    pub(super) fn shown(
        &self,
        t: &Test,
        passed: bool,
    ) -> Result<(Measure, Value, Requirement), String> {
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
    pub(super) fn peel<'e>(&self, mut e: &'e Expr) -> Result<(&'e Expr, Vec<Step>), String> {
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
    pub(super) fn solved(
        &self,
        t: &Test,
        steps: &[Step],
        ty: Type,
    ) -> Result<Option<Requirement>, String> {
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

    pub(super) fn requirement(&self, t: &Test) -> Result<Requirement, String> {
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
    pub(super) fn test(&self, t: &Test) -> Result<(bool, Value), String> {
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

    pub(super) fn value(&self, e: &Expr) -> Result<Value, String> {
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
    pub(super) fn number(&self, e: &Expr) -> Result<Option<i128>, String> {
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

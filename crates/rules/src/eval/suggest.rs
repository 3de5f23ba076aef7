//! What would make a subject eligible: the nearest values that pass, and the date time alone
//! makes a test pass.

use super::*;

/// The first date after the reference date on which a time-dependent test passes with the
/// subject's current data, searching up to 150 years ahead (the tests are monotone in time).
pub(super) fn first_passing_date(
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
pub(super) fn suggest(
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
pub(super) fn nearest(
    here: i128,
    bound: i128,
    passes: &dyn Fn(i128) -> bool,
    dir: i128,
) -> Option<i128> {
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

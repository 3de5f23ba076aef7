//! Rows and numbers for the plans: spans and ordered lists of rows, comparisons as bounds,
//! and ages by day of birth.

use api::Date;

use super::NULL;
use crate::eval;
use crate::expr::CmpOp;

/// Rows to test: a span of the population, or some of its rows in order.
#[derive(Clone, Copy)]
pub(super) enum Rows<'r> {
    Range(u32, u32),
    List(&'r [u32]),
}

impl Rows<'_> {
    pub(super) fn to_vec(self) -> Vec<u32> {
        match self {
            Rows::Range(from, to) => (from..to).collect(),
            Rows::List(list) => list.to_vec(),
        }
    }
}

/// The rows of `all` not in `some` (both in order, `some` drawn from `all`).
pub(super) fn minus(all: &[u32], some: &[u32]) -> Vec<u32> {
    let mut out = Vec::with_capacity(all.len() - some.len().min(all.len()));
    let mut j = 0;
    for &r in all {
        if j < some.len() && some[j] == r {
            j += 1;
        } else {
            out.push(r);
        }
    }
    out
}

/// The rows of two disjoint ordered lists, in order.
pub(super) fn union(a: &[u32], b: &[u32]) -> Vec<u32> {
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        if a[i] < b[j] {
            out.push(a[i]);
            i += 1;
        } else {
            out.push(b[j]);
            j += 1;
        }
    }
    out.extend_from_slice(&a[i..]);
    out.extend_from_slice(&b[j..]);
    out
}

/// `v op k` for a non-null `v` as `(lo <= v && v <= hi) != outside`.
pub(super) fn bounds(op: CmpOp, k: i128) -> (i64, i64, bool) {
    const NONE: (i64, i64, bool) = (1, 0, false);
    let (min, max) = (i128::from(NULL) + 1, i128::from(i64::MAX));
    let clamp = |v: i128| v.clamp(min, max) as i64;
    match op {
        CmpOp::Eq if (min..=max).contains(&k) => (k as i64, k as i64, false),
        CmpOp::Eq => NONE,
        CmpOp::Ne if (min..=max).contains(&k) => (k as i64, k as i64, true),
        CmpOp::Ne => (clamp(min), clamp(max), false),
        CmpOp::Lt if k.saturating_sub(1) < min => NONE,
        CmpOp::Lt => (clamp(min), clamp(k.saturating_sub(1)), false),
        CmpOp::Le if k < min => NONE,
        CmpOp::Le => (clamp(min), clamp(k), false),
        CmpOp::Gt if k.saturating_add(1) > max => NONE,
        CmpOp::Gt => (clamp(k.saturating_add(1)), clamp(max), false),
        CmpOp::Ge if k > max => NONE,
        CmpOp::Ge => (clamp(k), clamp(max), false),
    }
}

/// Ages on the run's reference date by day of birth, for births in the 200 years before it;
/// computed once per run, so an age test costs a table read.
pub(super) struct Ages {
    first: i64,
    ages: Vec<i64>,
    on: Date,
}

impl Ages {
    pub(super) fn new(on: Date) -> Ages {
        let last = on.days_since_epoch();
        let first = last - 200 * 366;
        let ages = (first..=last)
            .map(|d| eval::age(Date::from_days_since_epoch(d), on))
            .collect();
        Ages { first, ages, on }
    }

    /// The age of someone born on day `birth` (days since 1970-01-01).
    pub(super) fn age(&self, birth: i64) -> i64 {
        match usize::try_from(birth - self.first) {
            Ok(i) if i < self.ages.len() => self.ages[i],
            _ => eval::age(Date::from_days_since_epoch(birth), self.on),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_agree_with_comparison_at_the_edges() {
        let values = [NULL + 1, NULL + 2, -5, -1, 0, 1, 5, i64::MAX - 1, i64::MAX];
        let constants = [
            i128::MIN,
            i128::from(NULL) - 1,
            i128::from(NULL),
            i128::from(NULL) + 1,
            -5,
            0,
            5,
            i128::from(i64::MAX),
            i128::from(i64::MAX) + 1,
            i128::MAX,
        ];
        let ops = [
            CmpOp::Eq,
            CmpOp::Ne,
            CmpOp::Lt,
            CmpOp::Le,
            CmpOp::Gt,
            CmpOp::Ge,
        ];
        for op in ops {
            for k in constants {
                let (lo, hi, outside) = bounds(op, k);
                for v in values {
                    assert_eq!(
                        (lo <= v && v <= hi) != outside,
                        op.holds(i128::from(v).cmp(&k)),
                        "{v} {op:?} {k}"
                    );
                }
            }
        }
    }

    #[test]
    fn ordered_row_lists_combine() {
        assert_eq!(minus(&[1, 3, 5, 7], &[3, 7]), vec![1, 5]);
        assert_eq!(minus(&[1, 3], &[]), vec![1, 3]);
        assert_eq!(union(&[1, 5, 9], &[2, 3, 10]), vec![1, 2, 3, 5, 9, 10]);
        assert_eq!(union(&[], &[4]), vec![4]);
    }

    #[test]
    fn ages_by_table_match_ages_by_date() {
        let on = Date::new(2026, 3, 1).unwrap();
        let ages = Ages::new(on);
        for birth in [
            Date::new(1936, 2, 29).unwrap(),
            Date::new(1926, 3, 1).unwrap(),
            Date::new(1926, 3, 2).unwrap(),
            Date::new(1800, 1, 1).unwrap(),
            Date::new(2030, 1, 1).unwrap(),
        ] {
            assert_eq!(
                ages.age(birth.days_since_epoch()),
                eval::age(birth, on),
                "{birth:?}"
            );
        }
    }
}

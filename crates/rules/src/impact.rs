//! The impact of a policy version (政策沙盘): a draft against the version in force, over a
//! whole population, with the exact engine that pays. No IO: the server loads the population.

use std::collections::BTreeMap;

use crate::batch::{self, BatchError, Population};
use crate::eval::{age, Context};
use crate::policy::{Period, Policy};
use crate::value::Value;

/// How one subject fares: its amount per period before and after (`None`: not eligible).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Change {
    pub row: u32,
    pub before: Option<i64>,
    pub after: Option<i64>,
}

impl Change {
    pub fn kind(&self) -> ChangeKind {
        match (self.before, self.after) {
            (None, Some(_)) => ChangeKind::Newly,
            (Some(_), None) => ChangeKind::NoLonger,
            (Some(a), Some(b)) if a != b => ChangeKind::Amount,
            _ => ChangeKind::Same,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ChangeKind {
    Newly,
    NoLonger,
    Amount,
    Same,
}

/// Counts and money of one group of subjects (all of them, or a street, an age band…).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    pub eligible_before: u64,
    pub eligible_after: u64,
    pub newly: u64,
    pub no_longer: u64,
    pub amount_changed: u64,
    /// Per period, in fen.
    pub cost_before: i64,
    pub cost_after: i64,
}

impl Tally {
    fn add(&mut self, c: &Change) {
        self.eligible_before += u64::from(c.before.is_some());
        self.eligible_after += u64::from(c.after.is_some());
        self.cost_before += c.before.unwrap_or(0);
        self.cost_after += c.after.unwrap_or(0);
        match c.kind() {
            ChangeKind::Newly => self.newly += 1,
            ChangeKind::NoLonger => self.no_longer += 1,
            ChangeKind::Amount => self.amount_changed += 1,
            ChangeKind::Same => {}
        }
    }

    /// Whether anything in the group changes.
    pub fn changes(&self) -> bool {
        self.newly + self.no_longer + self.amount_changed > 0
    }
}

/// What a group breakdown is by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum GroupBy {
    /// `street` (镇街), either kind.
    Street,
    /// Residents: completed years on the reference date, in bands of ten from 60.
    AgeBand,
    /// Residents: `disability_grade` (0 none, 1–4).
    DisabilityGrade,
    /// Enterprises: the division of `industry_code` (its first two digits).
    Industry,
    /// Enterprises: by `employees` (fewer than 10, 10–99, 100–299, 300 and over).
    Size,
}

impl GroupBy {
    /// The breakdowns that apply to a kind of subject.
    pub fn for_kind(kind: crate::SubjectKind) -> &'static [GroupBy] {
        match kind {
            crate::SubjectKind::Resident => {
                &[GroupBy::Street, GroupBy::AgeBand, GroupBy::DisabilityGrade]
            }
            crate::SubjectKind::Enterprise => &[GroupBy::Street, GroupBy::Industry, GroupBy::Size],
        }
    }

    /// The attributes the breakdown reads.
    pub fn attribute(self) -> &'static str {
        match self {
            GroupBy::Street => "street",
            GroupBy::AgeBand => "birth_date",
            GroupBy::DisabilityGrade => "disability_grade",
            GroupBy::Industry => "industry_code",
            GroupBy::Size => "employees",
        }
    }

    /// The group of one subject: a key that sorts in a sensible order (an empty key: unknown).
    fn key(self, population: &Population, row: usize, ctx: &Context) -> String {
        let Some(column) = population.columns.get(self.attribute()) else {
            return String::new();
        };
        match (self, column.value(row)) {
            (GroupBy::Street, Value::String(s)) => s,
            (GroupBy::AgeBand, Value::Date(birth)) => {
                let years = age(birth, ctx.reference_date);
                match years {
                    ..60 => "0-59".into(),
                    100.. => "100+".into(),
                    y => format!("{}-{}", y / 10 * 10, y / 10 * 10 + 9),
                }
            }
            (GroupBy::DisabilityGrade, Value::Int(g)) => g.to_string(),
            (GroupBy::Industry, Value::Int(code)) => format!("{:02}", code / 100),
            (GroupBy::Size, Value::Int(n)) => match n {
                ..10 => "0-9".into(),
                10..=99 => "10-99".into(),
                100..=299 => "100-299".into(),
                _ => "300+".into(),
            },
            _ => String::new(),
        }
    }
}

/// One bar of the histogram of amounts after the change: subjects with `from <= amount < to`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bucket {
    pub from_fen: i64,
    pub to_fen: i64,
    pub count: u64,
}

/// The whole impact of `after` (a draft) against `before` (the version in force, if any).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Impact {
    pub subjects: u64,
    pub total: Tally,
    /// Per breakdown, per group key (sorted), its tally.
    pub groups: BTreeMap<GroupBy, BTreeMap<String, Tally>>,
    pub histogram: Vec<Bucket>,
    /// Subjects whose outcome changes, in row order, at most `sample` of them.
    pub sample: Vec<Change>,
    /// Periods a year (12 monthly, 1 otherwise): a year's cost is the period's × this.
    pub periods_a_year: i64,
}

/// How many periods of `period` a year holds (a one-time policy pays once).
pub fn periods_a_year(period: Period) -> i64 {
    match period {
        Period::Monthly => 12,
        Period::Annual | Period::Once => 1,
    }
}

/// Runs `before` and `after` over `population` in the period of `ctx` and compares them
/// subject by subject. `after` must read only attributes the population holds.
pub fn impact(
    before: Option<&Policy>,
    after: &Policy,
    population: &Population,
    ctx: &Context,
    threads: usize,
    sample: usize,
) -> Result<Impact, BatchError> {
    let mut policies = vec![after.clone()];
    policies.extend(before.cloned());
    // Grouped by policy: no need to put the grants in row order.
    let grants = batch::by_policy(&policies, population, ctx, threads)?;
    let n = population.len();
    let mut after_amounts: Vec<Option<i64>> = vec![None; n];
    let mut before_amounts: Vec<Option<i64>> = vec![None; n];
    for g in grants.into_iter().flatten().filter(|g| g.amount_fen > 0) {
        let slot = if g.policy == 0 {
            &mut after_amounts
        } else {
            &mut before_amounts
        };
        slot[g.row as usize] = Some(g.amount_fen);
    }
    let by = GroupBy::for_kind(population.kind);
    let mut out = Impact {
        subjects: n as u64,
        periods_a_year: periods_a_year(after.period),
        ..Impact::default()
    };
    for b in by {
        out.groups.insert(*b, BTreeMap::new());
    }
    let max = after_amounts.iter().flatten().copied().max().unwrap_or(0);
    let width = histogram_width(max);
    let mut bars: BTreeMap<i64, u64> = BTreeMap::new();
    for row in 0..n {
        let change = Change {
            row: row as u32,
            before: before_amounts[row],
            after: after_amounts[row],
        };
        if change.before.is_none() && change.after.is_none() {
            continue;
        }
        out.total.add(&change);
        for b in by {
            let key = b.key(population, row, ctx);
            out.groups
                .get_mut(b)
                .expect("inserted above")
                .entry(key)
                .or_default()
                .add(&change);
        }
        if let Some(a) = change.after {
            *bars.entry(a / width).or_default() += 1;
        }
        if change.kind() != ChangeKind::Same && out.sample.len() < sample {
            out.sample.push(change);
        }
    }
    out.histogram = bars
        .into_iter()
        .map(|(i, count)| Bucket {
            from_fen: i * width,
            to_fen: (i + 1) * width,
            count,
        })
        .collect();
    Ok(out)
}

/// A round bar width (1, 2 or 5 × a power of ten yuan) giving at most ten bars up to `max`.
fn histogram_width(max: i64) -> i64 {
    let mut power = 100; // ¥1
    loop {
        for step in [1, 2, 5] {
            let width = power * step;
            if max / width < 10 {
                return width;
            }
        }
        power *= 10;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_widths_are_round() {
        let mut seen = Vec::new();
        for max in [0, 999, 1000, 30_000, 60_000, 120_000, 13_000_000] {
            let w = histogram_width(max);
            assert!(max / w < 10, "{max} in bars of {w}");
            let lead = w.to_string().chars().next().unwrap();
            assert!(matches!(lead, '1' | '2' | '5'), "{w} is round");
            seen.push(w);
        }
        assert_eq!(seen[0], 100);
    }
}

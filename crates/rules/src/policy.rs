//! Policy files: reading, validating and compiling them (see the crate documentation for the
//! format).

use crate::problem::Problem;
use api::Date;
use serde::{Deserialize, Serialize};
use toml::Spanned;

use crate::catalogue::{Catalogue, SubjectKind, Text};
use crate::expr::{self, Expr, ExprError, Test};
use crate::value::Value;

/// How often a policy pays.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Period {
    Monthly,
    Annual,
    Once,
}

/// How a grant comes about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// 免申即享: matched and paid with no action by the subject.
    Automatic,
    /// Matched automatically, paid after the subject's one-click consent (意愿确认).
    AutomaticAfterConsent,
    /// 秒报秒批: the subject applies and the engine decides at once.
    ApplyInstant,
    /// The subject applies and staff review the application.
    ApplyReviewed,
}

/// Where a policy's authority comes from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LegalBasis {
    pub document: String,
    pub issuer: String,
    pub clause: String,
    #[serde(default)]
    pub link: Option<String>,
}

/// The dates between which a policy is in force (`until` inclusive, open when absent).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Window {
    pub from: Date,
    pub until: Option<Date>,
}

impl Window {
    pub fn contains(&self, date: Date) -> bool {
        date >= self.from && self.until.is_none_or(|u| date <= u)
    }
}

/// A criterion: a test, or a group of criteria.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Criterion {
    pub id: String,
    pub label: Text,
    /// The article of the legal basis this criterion comes from (e.g. 第三条第一款).
    pub basis: Option<String>,
    pub kind: CriterionKind,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CriterionKind {
    Test(Test),
    All(Vec<Criterion>),
    Any(Vec<Criterion>),
    Not(Box<Criterion>),
}

impl Criterion {
    /// Every test below this criterion, depth first.
    pub fn tests(&self) -> Vec<(&Criterion, &Test)> {
        let mut out = Vec::new();
        fn walk<'a>(c: &'a Criterion, out: &mut Vec<(&'a Criterion, &'a Test)>) {
            match &c.kind {
                CriterionKind::Test(t) => out.push((c, t)),
                CriterionKind::All(cs) | CriterionKind::Any(cs) => {
                    cs.iter().for_each(|c| walk(c, out))
                }
                CriterionKind::Not(c) => walk(c, out),
            }
        }
        walk(self, &mut out);
        out
    }
}

/// How much a grant pays per period, in fen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Amount {
    Fixed(i64),
    /// The amount of the last tier whose `from` the measure reaches (0 below the first tier).
    Tiered {
        by: Expr,
        tiers: Vec<(Value, i64)>,
    },
    /// `of × numerator ÷ denominator`, rounded down to whole fen, then held between `floor`
    /// and `cap`.
    Proportional {
        of: Expr,
        numerator: i64,
        denominator: i64,
        floor: Option<i64>,
        cap: Option<i64>,
    },
}

/// A validated, compiled policy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Policy {
    pub id: String,
    pub version: u32,
    /// The amounts and thresholds are sample parameters, not official figures.
    pub sample: bool,
    pub subject: SubjectKind,
    pub period: Period,
    pub mode: Mode,
    pub category: String,
    pub keywords: Vec<String>,
    pub name: Text,
    pub summary: Text,
    pub effective: Window,
    pub legal_basis: LegalBasis,
    /// All of these must hold.
    pub criteria: Criterion,
    pub amount: Amount,
    /// The article of the legal basis the amount comes from.
    pub amount_basis: Option<String>,
    /// The money set aside for the policy per year, in fen (what the impact sandbox compares
    /// the cost with).
    pub annual_budget_fen: Option<i64>,
    /// What an application under review asks for (`apply_reviewed` policies only).
    pub application: Option<ApplicationSpec>,
    /// Days a subject has to confirm an offer (`automatic_after_consent` policies), after
    /// which it lapses.
    pub consent_days: u32,
}

/// Days to confirm an offer when a policy does not say.
pub const CONSENT_DAYS: u32 = 30;
/// The shortest and longest consent windows a policy may set.
pub const CONSENT_DAYS_RANGE: std::ops::RangeInclusive<u32> = 7..=90;

pub use crate::application::{ApplicationSpec, REVIEW_DAYS_MAX};

impl Policy {
    /// Every attribute the policy reads: in its criteria and in its amount.
    pub fn attributes(&self) -> std::collections::BTreeSet<String> {
        let mut used: std::collections::BTreeSet<String> = self
            .criteria
            .tests()
            .into_iter()
            .flat_map(|(_, test)| test.attributes())
            .collect();
        let mut names = Vec::new();
        match &self.amount {
            Amount::Fixed(_) => {}
            Amount::Tiered { by: e, .. } | Amount::Proportional { of: e, .. } => {
                e.attributes(&mut names)
            }
        }
        used.extend(names);
        used
    }
}

/// Every attribute any of `policies` reads.
pub fn attributes_of(policies: &[Policy]) -> std::collections::BTreeSet<String> {
    policies.iter().flat_map(Policy::attributes).collect()
}

/// Why a policy file was refused: where, and what was expected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadError {
    pub file: String,
    pub line: usize,
    pub column: usize,
    /// The path of the offending value in the file, e.g. `criteria[2].test`.
    pub path: String,
    /// The problem in English.
    pub message: String,
    /// The problem, for wording in the reader's language (boxed: errors stay small).
    pub problem: Box<Problem>,
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}:{}: ", self.file, self.line, self.column)?;
        if !self.path.is_empty() {
            write!(f, "{}: ", self.path)?;
        }
        f.write_str(&self.message)
    }
}

impl std::error::Error for LoadError {}

// The file's shape, as serde reads it.

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicyFile {
    id: Spanned<String>,
    version: u32,
    #[serde(default)]
    sample: bool,
    subject: SubjectKind,
    period: Period,
    mode: Mode,
    category: String,
    #[serde(default)]
    keywords: Vec<String>,
    name: Text,
    summary: Text,
    effective: WindowFile,
    legal_basis: LegalBasis,
    #[serde(default)]
    annual_budget_fen: Option<i64>,
    criteria: Vec<Spanned<CriterionFile>>,
    amount: Spanned<AmountFile>,
    #[serde(default)]
    application: Option<Spanned<ApplicationSpec>>,
    #[serde(default)]
    consent_days: Option<Spanned<u32>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WindowFile {
    from: Spanned<String>,
    #[serde(default)]
    until: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CriterionFile {
    id: String,
    label: Text,
    #[serde(default)]
    basis: Option<String>,
    #[serde(default)]
    test: Option<Spanned<String>>,
    #[serde(default)]
    all: Option<Vec<Spanned<CriterionFile>>>,
    #[serde(default)]
    any: Option<Vec<Spanned<CriterionFile>>>,
    #[serde(default)]
    not: Option<Box<Spanned<CriterionFile>>>,
}

/// `kind` says which of the other fields apply (checked after reading).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AmountFile {
    kind: Spanned<String>,
    #[serde(default)]
    basis: Option<String>,
    fen: Option<i64>,
    by: Option<Spanned<String>>,
    tiers: Option<Vec<TierFile>>,
    of: Option<Spanned<String>>,
    numerator: Option<i64>,
    denominator: Option<i64>,
    floor: Option<i64>,
    cap: Option<i64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TierFile {
    from: i64,
    fen: i64,
}

/// The TOML reader's words as a problem: a missing or unknown field by name, others as they are.
fn form_problem(message: &str) -> Problem {
    let field = |rest: &str| rest.split('`').next().unwrap_or_default().to_owned();
    if let Some(rest) = message.strip_prefix("missing field `") {
        Problem::new("missing_field").with("field", field(rest))
    } else if let Some(rest) = message.strip_prefix("unknown field `") {
        Problem::new("unknown_field").with("field", field(rest))
    } else {
        Problem::new("file_form").with("detail", message)
    }
}

/// Reads `source` (the text of `file`) as a policy, checking every name and type against the
/// catalogue.
pub fn load(file: &str, source: &str, catalogue: &Catalogue) -> Result<Policy, LoadError> {
    let at = |offset: usize, path: &str, problem: Problem| {
        let (line, column) = line_col(source, offset);
        LoadError {
            file: file.to_owned(),
            line,
            column,
            path: path.to_owned(),
            message: problem.english(),
            problem: Box::new(problem),
        }
    };
    let raw: PolicyFile = toml::from_str(source).map_err(|e| {
        let offset = e.span().map_or(0, |s| s.start);
        at(offset, "", form_problem(e.message().trim()))
    })?;
    let id = raw.id.get_ref();
    if id.is_empty()
        || !id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        return Err(at(raw.id.span().start, "id", Problem::new("bad_id")));
    }
    let kind = raw.subject;
    let date = |s: &Spanned<String>, path: &str| {
        s.get_ref().parse::<Date>().map_err(|_| {
            at(
                s.span().start,
                path,
                Problem::new("bad_date").with("text", format!("{:?}", s.get_ref())),
            )
        })
    };
    let effective = Window {
        from: date(&raw.effective.from, "effective.from")?,
        until: raw
            .effective
            .until
            .as_ref()
            .map(|u| date(u, "effective.until"))
            .transpose()?,
    };
    if effective.until.is_some_and(|u| u < effective.from) {
        return Err(at(
            raw.effective.from.span().start,
            "effective",
            Problem::new("ends_before_start"),
        ));
    }
    // An expression's offsets are relative to its text; its text starts one byte (the quote)
    // into its span in the file.
    let expr_error = |s: &Spanned<String>, path: &str, e: ExprError| {
        at(s.span().start + 1 + e.offset, path, e.problem)
    };
    let mut ids = Vec::new();
    let criteria: Vec<Criterion> = raw
        .criteria
        .iter()
        .enumerate()
        .map(|(i, c)| {
            criterion(
                c,
                &format!("criteria[{i}]"),
                kind,
                catalogue,
                &at,
                &expr_error,
                &mut ids,
            )
        })
        .collect::<Result<_, _>>()?;
    if criteria.is_empty() {
        return Err(at(0, "criteria", Problem::new("no_criteria")));
    }
    let amount_span = raw.amount.span().start;
    let a = raw.amount.get_ref();
    let need = |present: bool, field: &str| {
        if present {
            Ok(())
        } else {
            Err(at(
                amount_span,
                &format!("amount.{field}"),
                Problem::new("amount_missing")
                    .with("field", field)
                    .with("amount_kind", format!("{:?}", a.kind.get_ref())),
            ))
        }
    };
    let only = |allowed: &[&str]| {
        let given = [
            ("fen", a.fen.is_some()),
            ("by", a.by.is_some()),
            ("tiers", a.tiers.is_some()),
            ("of", a.of.is_some()),
            ("numerator", a.numerator.is_some()),
            ("denominator", a.denominator.is_some()),
            ("floor", a.floor.is_some()),
            ("cap", a.cap.is_some()),
        ];
        match given
            .iter()
            .find(|(name, set)| *set && !allowed.contains(name))
        {
            Some((name, _)) => Err(at(
                amount_span,
                &format!("amount.{name}"),
                Problem::new("amount_extra")
                    .with("field", name)
                    .with("amount_kind", format!("{:?}", a.kind.get_ref())),
            )),
            None => Ok(()),
        }
    };
    let amount = match a.kind.get_ref().as_str() {
        "fixed" => {
            only(&["fen"])?;
            need(a.fen.is_some(), "fen")?;
            let fen = a.fen.unwrap_or_default();
            if fen < 0 {
                return Err(at(
                    amount_span,
                    "amount.fen",
                    Problem::new("amount_negative"),
                ));
            }
            Amount::Fixed(fen)
        }
        "tiered" => {
            only(&["by", "tiers"])?;
            need(a.by.is_some(), "by")?;
            need(a.tiers.is_some(), "tiers")?;
            let (by, tiers) = (
                a.by.as_ref().expect("checked"),
                a.tiers.as_ref().expect("checked"),
            );
            let measure = expr::parse_expr(by.get_ref(), kind, catalogue)
                .map_err(|e| expr_error(by, "amount.by", e))?;
            if !measure.ty().is_numeric() {
                return Err(at(
                    by.span().start,
                    "amount.by",
                    Problem::new("tiers_type").ty("measure_type", measure.ty()),
                ));
            }
            if tiers.is_empty()
                || tiers.windows(2).any(|w| w[0].from >= w[1].from)
                || tiers.iter().any(|t| t.fen < 0)
            {
                return Err(at(amount_span, "amount.tiers", Problem::new("tiers_order")));
            }
            let ty = measure.ty();
            let tiers = tiers
                .iter()
                .map(|t| {
                    (
                        Value::from_number(ty, i128::from(t.from)).expect("an i64 fits"),
                        t.fen,
                    )
                })
                .collect();
            Amount::Tiered { by: measure, tiers }
        }
        "proportional" => {
            only(&["of", "numerator", "denominator", "floor", "cap"])?;
            need(a.of.is_some(), "of")?;
            need(a.numerator.is_some(), "numerator")?;
            need(a.denominator.is_some(), "denominator")?;
            let of = a.of.as_ref().expect("checked");
            let base = expr::parse_expr(of.get_ref(), kind, catalogue)
                .map_err(|e| expr_error(of, "amount.of", e))?;
            if !base.ty().is_numeric() {
                return Err(at(
                    of.span().start,
                    "amount.of",
                    Problem::new("proportion_type").ty("base_type", base.ty()),
                ));
            }
            let (numerator, denominator) = (
                a.numerator.unwrap_or_default(),
                a.denominator.unwrap_or_default(),
            );
            if denominator <= 0 || numerator < 0 {
                return Err(at(amount_span, "amount", Problem::new("fraction")));
            }
            if let (Some(f), Some(c)) = (a.floor, a.cap) {
                if f > c {
                    return Err(at(amount_span, "amount", Problem::new("floor_above_cap")));
                }
            }
            Amount::Proportional {
                of: base,
                numerator,
                denominator,
                floor: a.floor,
                cap: a.cap,
            }
        }
        other => {
            return Err(at(
                a.kind.span().start,
                "amount.kind",
                Problem::new("amount_kind").with("amount_kind", format!("{other:?}")),
            ))
        }
    };
    if raw.annual_budget_fen.is_some_and(|b| b < 0) {
        return Err(at(0, "annual_budget_fen", Problem::new("budget_negative")));
    }
    let application = match (raw.mode, raw.application) {
        (Mode::ApplyReviewed, Some(a)) => {
            let start = a.span().start;
            let a = a.into_inner();
            a.check().map_err(|(field, why)| at(start, field, why))?;
            Some(a)
        }
        (Mode::ApplyReviewed, None) => {
            return Err(at(0, "application", Problem::new("application_missing")))
        }
        (_, Some(a)) => {
            return Err(at(
                a.span().start,
                "application",
                Problem::new("application_extra"),
            ))
        }
        (_, None) => None,
    };
    let consent_days = match (raw.mode, raw.consent_days) {
        (_, None) => CONSENT_DAYS,
        (Mode::AutomaticAfterConsent, Some(days))
            if CONSENT_DAYS_RANGE.contains(days.get_ref()) =>
        {
            days.into_inner()
        }
        (Mode::AutomaticAfterConsent, Some(days)) => {
            return Err(at(
                days.span().start,
                "consent_days",
                Problem::new("consent_days")
                    .with("min", CONSENT_DAYS_RANGE.start())
                    .with("max", CONSENT_DAYS_RANGE.end()),
            ))
        }
        (_, Some(days)) => {
            return Err(at(
                days.span().start,
                "consent_days",
                Problem::new("consent_days_mode"),
            ))
        }
    };
    Ok(Policy {
        id: raw.id.into_inner(),
        version: raw.version,
        sample: raw.sample,
        subject: kind,
        period: raw.period,
        mode: raw.mode,
        category: raw.category,
        keywords: raw.keywords,
        name: raw.name,
        summary: raw.summary,
        effective,
        legal_basis: raw.legal_basis,
        criteria: Criterion {
            id: "all".into(),
            label: Text {
                zh_cn: "全部条件".into(),
                en: "All conditions".into(),
            },
            basis: None,
            kind: CriterionKind::All(criteria),
        },
        amount,
        amount_basis: a.basis.clone(),
        annual_budget_fen: raw.annual_budget_fen,
        application,
        consent_days,
    })
}

#[allow(clippy::too_many_arguments)]
fn criterion(
    c: &Spanned<CriterionFile>,
    path: &str,
    kind: SubjectKind,
    catalogue: &Catalogue,
    at: &dyn Fn(usize, &str, Problem) -> LoadError,
    expr_error: &dyn Fn(&Spanned<String>, &str, ExprError) -> LoadError,
    ids: &mut Vec<String>,
) -> Result<Criterion, LoadError> {
    let span = c.span().start;
    let c = c.get_ref();
    if ids.contains(&c.id) {
        return Err(at(
            span,
            &format!("{path}.id"),
            Problem::new("criterion_id_twice").with("id", format!("{:?}", c.id)),
        ));
    }
    ids.push(c.id.clone());
    let chosen = [
        c.test.is_some(),
        c.all.is_some(),
        c.any.is_some(),
        c.not.is_some(),
    ]
    .iter()
    .filter(|b| **b)
    .count();
    if chosen != 1 {
        return Err(at(span, path, Problem::new("criterion_shape")));
    }
    let group = |list: &Vec<Spanned<CriterionFile>>,
                 key: &str,
                 ids: &mut Vec<String>|
     -> Result<Vec<Criterion>, LoadError> {
        if list.is_empty() {
            return Err(at(
                span,
                &format!("{path}.{key}"),
                Problem::new("group_empty").with("key", key),
            ));
        }
        list.iter()
            .enumerate()
            .map(|(i, c)| {
                criterion(
                    c,
                    &format!("{path}.{key}[{i}]"),
                    kind,
                    catalogue,
                    at,
                    expr_error,
                    ids,
                )
            })
            .collect()
    };
    let kind_ = if let Some(test) = &c.test {
        let t = expr::parse_test(test.get_ref(), kind, catalogue)
            .map_err(|e| expr_error(test, &format!("{path}.test"), e))?;
        CriterionKind::Test(t)
    } else if let Some(list) = &c.all {
        CriterionKind::All(group(list, "all", ids)?)
    } else if let Some(list) = &c.any {
        CriterionKind::Any(group(list, "any", ids)?)
    } else {
        let inner = c.not.as_ref().expect("one was chosen");
        CriterionKind::Not(Box::new(criterion(
            inner,
            &format!("{path}.not"),
            kind,
            catalogue,
            at,
            expr_error,
            ids,
        )?))
    };
    Ok(Criterion {
        id: c.id.clone(),
        label: c.label.clone(),
        basis: c.basis.clone(),
        kind: kind_,
    })
}

/// The 1-based line and column (in characters) of a byte offset.
pub fn line_col(source: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(source.len());
    let before = &source[..offset];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
    (line, column)
}

//! The small expression language of criteria and amounts, e.g.
//! `age(birth_date) >= 80`, `industry_code / 100 in 13..=43`,
//! `sum(loan_interest.interest_fen where product == '数字贷') > 0`,
//! `rd_expense_y1 * 100 >= revenue_y1 * 3`.
//!
//! Parsing checks every name against the catalogue and every operation against the types, so a
//! policy that compares a date with money never loads. Errors carry the byte offset in the
//! expression, which the policy loader turns into a line and column of the file.

use api::Date;

use crate::catalogue::{Catalogue, SubjectKind, Type};
use crate::value::Value;

/// An error in an expression: where (byte offset into it) and what.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExprError {
    pub offset: usize,
    pub message: String,
}

fn err<T>(offset: usize, message: impl Into<String>) -> Result<T, ExprError> {
    Err(ExprError {
        offset,
        message: message.into(),
    })
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Arith {
    Add,
    Sub,
    Mul,
    /// Integer division rounding down (toward negative infinity).
    Div,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl CmpOp {
    pub fn symbol(self) -> &'static str {
        match self {
            CmpOp::Eq => "=",
            CmpOp::Ne => "≠",
            CmpOp::Lt => "<",
            CmpOp::Le => "≤",
            CmpOp::Gt => ">",
            CmpOp::Ge => "≥",
        }
    }

    pub fn holds(self, ordering: std::cmp::Ordering) -> bool {
        use std::cmp::Ordering::*;
        match self {
            CmpOp::Eq => ordering == Equal,
            CmpOp::Ne => ordering != Equal,
            CmpOp::Lt => ordering == Less,
            CmpOp::Le => ordering != Greater,
            CmpOp::Gt => ordering == Greater,
            CmpOp::Ge => ordering != Less,
        }
    }
}

/// A typed expression.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Expr {
    /// A subject's attribute.
    Attr {
        name: String,
        ty: Type,
    },
    /// The reference date of the run (the first day of the period).
    RefDate,
    Lit(Value),
    /// Completed years from a date to the reference date (POLICIES.md's "age").
    Age(Box<Expr>),
    /// The sum of a fact table's field over the period's rows for this subject, optionally only
    /// the rows whose `filter.0` equals `filter.1`.
    Sum {
        table: String,
        field: String,
        ty: Type,
        filter: Option<(String, Value)>,
    },
    Bin {
        op: Arith,
        left: Box<Expr>,
        right: Box<Expr>,
        ty: Type,
    },
    Neg(Box<Expr>),
}

impl Expr {
    pub fn ty(&self) -> Type {
        match self {
            Expr::Attr { ty, .. } | Expr::Sum { ty, .. } | Expr::Bin { ty, .. } => *ty,
            Expr::RefDate => Type::Date,
            Expr::Lit(v) => v.ty().unwrap_or(Type::Int),
            Expr::Age(_) => Type::Int,
            Expr::Neg(e) => e.ty(),
        }
    }

    /// Whether the expression is made of literals only.
    pub fn is_constant(&self) -> bool {
        match self {
            Expr::Lit(_) => true,
            Expr::Neg(e) => e.is_constant(),
            Expr::Bin { left, right, .. } => left.is_constant() && right.is_constant(),
            _ => false,
        }
    }

    /// Every attribute the expression reads, in order of appearance.
    pub fn attributes(&self, out: &mut Vec<String>) {
        match self {
            Expr::Attr { name, .. } => {
                if !out.contains(name) {
                    out.push(name.clone());
                }
            }
            Expr::Age(e) | Expr::Neg(e) => e.attributes(out),
            Expr::Bin { left, right, .. } => {
                left.attributes(out);
                right.attributes(out);
            }
            Expr::RefDate | Expr::Lit(_) | Expr::Sum { .. } => {}
        }
    }

    /// Whether the value depends on the reference date.
    pub fn uses_ref_date(&self) -> bool {
        match self {
            Expr::RefDate | Expr::Age(_) => true,
            Expr::Neg(e) => e.uses_ref_date(),
            Expr::Bin { left, right, .. } => left.uses_ref_date() || right.uses_ref_date(),
            _ => false,
        }
    }

    /// Every fact aggregate the expression reads.
    pub fn sums<'a>(&'a self, out: &mut Vec<&'a Expr>) {
        match self {
            Expr::Sum { .. } => out.push(self),
            Expr::Age(e) | Expr::Neg(e) => e.sums(out),
            Expr::Bin { left, right, .. } => {
                left.sums(out);
                right.sums(out);
            }
            _ => {}
        }
    }
}

/// A criterion's test: one comparison, so that its explanation is "your value, the rule".
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Test {
    Cmp {
        left: Expr,
        op: CmpOp,
        right: Expr,
    },
    /// `expr in [a, b, c]`.
    In {
        expr: Expr,
        set: Vec<Value>,
    },
    /// `expr in lo..=hi`, inclusive.
    Range {
        expr: Expr,
        lo: Value,
        hi: Value,
    },
    /// `expr is null` (negated: `is not null`).
    IsNull {
        expr: Expr,
        negated: bool,
    },
}

impl Test {
    /// The side of the test that describes the subject.
    pub fn subject_side(&self) -> &Expr {
        match self {
            Test::Cmp { left, .. }
            | Test::In { expr: left, .. }
            | Test::Range { expr: left, .. } => left,
            Test::IsNull { expr, .. } => expr,
        }
    }

    pub fn uses_ref_date(&self) -> bool {
        match self {
            Test::Cmp { left, right, .. } => left.uses_ref_date() || right.uses_ref_date(),
            Test::In { expr, .. } | Test::Range { expr, .. } | Test::IsNull { expr, .. } => {
                expr.uses_ref_date()
            }
        }
    }

    pub fn attributes(&self) -> Vec<String> {
        let mut out = Vec::new();
        match self {
            Test::Cmp { left, right, .. } => {
                left.attributes(&mut out);
                right.attributes(&mut out);
            }
            Test::In { expr, .. } | Test::Range { expr, .. } | Test::IsNull { expr, .. } => {
                expr.attributes(&mut out)
            }
        }
        out
    }

    pub fn sums(&self) -> Vec<&Expr> {
        let mut out = Vec::new();
        match self {
            Test::Cmp { left, right, .. } => {
                left.sums(&mut out);
                right.sums(&mut out);
            }
            Test::In { expr, .. } | Test::Range { expr, .. } | Test::IsNull { expr, .. } => {
                expr.sums(&mut out)
            }
        }
        out
    }
}

// ---------------------------------------------------------------------------------------------
// Lexer

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Ident(String),
    Int(i64),
    Date(Date),
    Str(String),
    Cmp(CmpOp),
    Plus,
    Minus,
    Star,
    Slash,
    LParen,
    RParen,
    LBracket,
    RBracket,
    Comma,
    Dot,
    DotDotEq,
    End,
}

fn lex(src: &str) -> Result<Vec<(usize, Tok)>, ExprError> {
    let b = src.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let start = i;
        match c {
            b' ' | b'\t' | b'\n' | b'\r' => {
                i += 1;
                continue;
            }
            b'0'..=b'9' => {
                while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'_') {
                    i += 1;
                }
                // A date: 2026-01-01, with no spaces.
                if i - start == 4 && src[i..].len() >= 6 && b[i] == b'-' {
                    let text = src.get(start..start + 10).unwrap_or_default();
                    match text.parse::<Date>() {
                        Ok(d) => {
                            out.push((start, Tok::Date(d)));
                            i = start + 10;
                            continue;
                        }
                        Err(_) => {
                            return err(start, format!("{text:?} is not a date (write YYYY-MM-DD)"))
                        }
                    }
                }
                let digits: String = src[start..i].chars().filter(|c| *c != '_').collect();
                let n = digits
                    .parse::<i64>()
                    .or_else(|_| err(start, "this number is too large"))?;
                out.push((start, Tok::Int(n)));
                continue;
            }
            b'a'..=b'z' | b'A'..=b'Z' | b'_' => {
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                    i += 1;
                }
                out.push((start, Tok::Ident(src[start..i].to_owned())));
                continue;
            }
            b'\'' | b'"' => {
                let quote = c;
                i += 1;
                let from = i;
                while i < b.len() && b[i] != quote {
                    i += 1;
                }
                if i >= b.len() {
                    return err(start, "this string has no closing quote");
                }
                out.push((start, Tok::Str(src[from..i].to_owned())));
                i += 1;
                continue;
            }
            _ => {}
        }
        let two = src.get(i..i + 2).unwrap_or("");
        let three = src.get(i..i + 3).unwrap_or("");
        let (tok, len) = if three == "..=" {
            (Tok::DotDotEq, 3)
        } else {
            match two {
                "==" => (Tok::Cmp(CmpOp::Eq), 2),
                "!=" => (Tok::Cmp(CmpOp::Ne), 2),
                "<=" => (Tok::Cmp(CmpOp::Le), 2),
                ">=" => (Tok::Cmp(CmpOp::Ge), 2),
                _ => match c {
                    b'<' => (Tok::Cmp(CmpOp::Lt), 1),
                    b'>' => (Tok::Cmp(CmpOp::Gt), 1),
                    b'+' => (Tok::Plus, 1),
                    b'-' => (Tok::Minus, 1),
                    b'*' => (Tok::Star, 1),
                    b'/' => (Tok::Slash, 1),
                    b'(' => (Tok::LParen, 1),
                    b')' => (Tok::RParen, 1),
                    b'[' => (Tok::LBracket, 1),
                    b']' => (Tok::RBracket, 1),
                    b',' => (Tok::Comma, 1),
                    b'.' => (Tok::Dot, 1),
                    _ => {
                        let ch = src[i..].chars().next().unwrap_or('?');
                        return err(i, format!("unexpected character {ch:?}"));
                    }
                },
            }
        };
        out.push((i, tok));
        i += len;
    }
    out.push((src.len(), Tok::End));
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// Parser and type checker

struct Parser<'a> {
    toks: Vec<(usize, Tok)>,
    pos: usize,
    kind: SubjectKind,
    catalogue: &'a Catalogue,
}

/// Parses a criterion's test for subjects of `kind`.
pub fn parse_test(src: &str, kind: SubjectKind, catalogue: &Catalogue) -> Result<Test, ExprError> {
    let mut p = Parser {
        toks: lex(src)?,
        pos: 0,
        kind,
        catalogue,
    };
    let test = p.test()?;
    p.expect_end()?;
    Ok(test)
}

/// Parses a value expression (an amount's base, a tier's measure) for subjects of `kind`.
pub fn parse_expr(src: &str, kind: SubjectKind, catalogue: &Catalogue) -> Result<Expr, ExprError> {
    let mut p = Parser {
        toks: lex(src)?,
        pos: 0,
        kind,
        catalogue,
    };
    let (_, expr) = p.sum()?;
    p.expect_end()?;
    Ok(expr)
}

impl Parser<'_> {
    fn peek(&self) -> &Tok {
        &self.toks[self.pos].1
    }

    fn offset(&self) -> usize {
        self.toks[self.pos].0
    }

    fn next(&mut self) -> (usize, Tok) {
        let t = self.toks[self.pos].clone();
        if self.pos + 1 < self.toks.len() {
            self.pos += 1;
        }
        t
    }

    fn eat(&mut self, tok: &Tok) -> bool {
        if self.peek() == tok {
            self.next();
            true
        } else {
            false
        }
    }

    fn expect(&mut self, tok: Tok, what: &str) -> Result<(), ExprError> {
        if self.eat(&tok) {
            Ok(())
        } else {
            err(self.offset(), format!("expected {what}"))
        }
    }

    fn keyword(&mut self, word: &str) -> bool {
        if matches!(self.peek(), Tok::Ident(w) if w == word) {
            self.next();
            true
        } else {
            false
        }
    }

    fn expect_end(&mut self) -> Result<(), ExprError> {
        if *self.peek() == Tok::End {
            Ok(())
        } else {
            err(
                self.offset(),
                "unexpected text after the end of the expression",
            )
        }
    }

    fn test(&mut self) -> Result<Test, ExprError> {
        let (start, left) = self.sum()?;
        if self.keyword("is") {
            let negated = self.keyword("not");
            if !self.keyword("null") {
                return err(self.offset(), "expected `null` after `is`");
            }
            return Ok(Test::IsNull {
                expr: left,
                negated,
            });
        }
        if self.keyword("in") {
            if *self.peek() == Tok::LBracket {
                self.next();
                let mut set = Vec::new();
                loop {
                    let at = self.offset();
                    let v = self.literal()?;
                    set.push(
                        coerce(v, left.ty())
                            .ok_or_else(|| type_mismatch(at, left.ty(), "a member of the set"))?,
                    );
                    if self.eat(&Tok::Comma) {
                        continue;
                    }
                    self.expect(Tok::RBracket, "`,` or `]`")?;
                    break;
                }
                return Ok(Test::In { expr: left, set });
            }
            let at = self.offset();
            let lo = self.literal()?;
            self.expect(Tok::DotDotEq, "`..=` (an inclusive range such as 13..=43)")?;
            let hi = self.literal()?;
            let (lo, hi) = match (coerce(lo, left.ty()), coerce(hi, left.ty())) {
                (Some(lo), Some(hi)) if left.ty().is_numeric() || left.ty() == Type::Date => {
                    (lo, hi)
                }
                _ => return Err(type_mismatch(at, left.ty(), "the range")),
            };
            if lo > hi {
                return err(at, "the range is empty: its start is after its end");
            }
            return Ok(Test::Range { expr: left, lo, hi });
        }
        let at = self.offset();
        let op = match self.next().1 {
            Tok::Cmp(op) => op,
            _ => {
                return err(
                    at,
                    "expected a comparison (==, !=, <, <=, >, >=), `in` or `is null`",
                )
            }
        };
        let right_at = self.offset();
        let (_, right) = self.sum()?;
        let (left, right) = unify(left, right).map_err(|(l, r)| ExprError {
            offset: right_at,
            message: format!("cannot compare {} with {}", l.name(), r.name()),
        })?;
        if matches!(left.ty(), Type::String | Type::Bool | Type::Code)
            && !matches!(op, CmpOp::Eq | CmpOp::Ne)
        {
            return err(
                at,
                format!("a {} can only be compared with == or !=", left.ty().name()),
            );
        }
        let _ = start;
        Ok(Test::Cmp { left, op, right })
    }

    /// `a + b - c`.
    fn sum(&mut self) -> Result<(usize, Expr), ExprError> {
        let (start, mut left) = self.product()?;
        loop {
            let op = match self.peek() {
                Tok::Plus => Arith::Add,
                Tok::Minus => Arith::Sub,
                _ => return Ok((start, left)),
            };
            let at = self.offset();
            self.next();
            let (_, right) = self.product()?;
            left = arith(op, left, right, at)?;
        }
    }

    /// `a * b / c`.
    fn product(&mut self) -> Result<(usize, Expr), ExprError> {
        let (start, mut left) = self.unary()?;
        loop {
            let op = match self.peek() {
                Tok::Star => Arith::Mul,
                Tok::Slash => Arith::Div,
                _ => return Ok((start, left)),
            };
            let at = self.offset();
            self.next();
            let (_, right) = self.unary()?;
            left = arith(op, left, right, at)?;
        }
    }

    fn unary(&mut self) -> Result<(usize, Expr), ExprError> {
        let at = self.offset();
        if self.eat(&Tok::Minus) {
            let (_, e) = self.unary()?;
            if !e.ty().is_numeric() {
                return err(at, format!("cannot negate a {}", e.ty().name()));
            }
            return Ok((at, Expr::Neg(Box::new(e))));
        }
        Ok((at, self.atom()?))
    }

    fn literal(&mut self) -> Result<Value, ExprError> {
        let at = self.offset();
        let negative = self.eat(&Tok::Minus);
        match self.next().1 {
            Tok::Int(n) => Ok(Value::Int(if negative { -n } else { n })),
            Tok::Date(d) if !negative => Ok(Value::Date(d)),
            Tok::Str(s) if !negative => Ok(Value::String(s)),
            Tok::Ident(w) if !negative && w == "true" => Ok(Value::Bool(true)),
            Tok::Ident(w) if !negative && w == "false" => Ok(Value::Bool(false)),
            _ => err(
                at,
                "expected a value (a number, a date, a 'string', true or false)",
            ),
        }
    }

    fn atom(&mut self) -> Result<Expr, ExprError> {
        let at = self.offset();
        match self.next().1 {
            Tok::Int(n) => Ok(Expr::Lit(Value::Int(n))),
            Tok::Date(d) => Ok(Expr::Lit(Value::Date(d))),
            Tok::Str(s) => Ok(Expr::Lit(Value::String(s))),
            Tok::LParen => {
                let (_, e) = self.sum()?;
                self.expect(Tok::RParen, "`)`")?;
                Ok(e)
            }
            Tok::Ident(word) => match word.as_str() {
                "true" => Ok(Expr::Lit(Value::Bool(true))),
                "false" => Ok(Expr::Lit(Value::Bool(false))),
                "ref_date" => Ok(Expr::RefDate),
                "age" if *self.peek() == Tok::LParen => {
                    self.next();
                    let arg_at = self.offset();
                    let (_, arg) = self.sum()?;
                    if arg.ty() != Type::Date {
                        return err(
                            arg_at,
                            format!("age() takes a date, not a {}", arg.ty().name()),
                        );
                    }
                    self.expect(Tok::RParen, "`)`")?;
                    Ok(Expr::Age(Box::new(arg)))
                }
                "sum" if *self.peek() == Tok::LParen => {
                    self.next();
                    self.aggregate()
                }
                name => match self.catalogue.attribute(self.kind, name) {
                    Some(a) => Ok(Expr::Attr {
                        name: a.name.clone(),
                        ty: a.ty,
                    }),
                    None => {
                        let known: Vec<&str> =
                            self.catalogue.names(self.kind).into_keys().collect();
                        err(
                            at,
                            format!(
                                "unknown attribute `{name}` for a {} (known: {})",
                                kind_name(self.kind),
                                known.join(", ")
                            ),
                        )
                    }
                },
            },
            _ => err(at, "expected an attribute, a value, age(…), sum(…) or `(`"),
        }
    }

    /// After `sum(`: `table.field [where field == value])`.
    fn aggregate(&mut self) -> Result<Expr, ExprError> {
        let at = self.offset();
        let Tok::Ident(table) = self.next().1 else {
            return err(at, "expected a fact table, as in sum(table.field)");
        };
        let Some(fact) = self.catalogue.fact_table(self.kind, &table) else {
            let known: Vec<&str> = self
                .catalogue
                .fact
                .iter()
                .filter(|t| t.subject == self.kind)
                .map(|t| t.table.as_str())
                .collect();
            return err(
                at,
                format!("unknown fact table `{table}` (known: {})", known.join(", ")),
            );
        };
        self.expect(Tok::Dot, "`.` and a field of the table")?;
        let field_at = self.offset();
        let Tok::Ident(field) = self.next().1 else {
            return err(field_at, "expected a field of the table");
        };
        let Some(f) = fact.field(&field) else {
            return err(field_at, format!("`{table}` has no field `{field}`"));
        };
        if !f.ty.is_numeric() {
            return err(field_at, format!("cannot sum `{field}`, a {}", f.ty.name()));
        }
        let ty = f.ty;
        let mut filter = None;
        if self.keyword("where") {
            let at = self.offset();
            let Tok::Ident(name) = self.next().1 else {
                return err(at, "expected a field to filter on");
            };
            let Some(ff) = fact.field(&name) else {
                return err(at, format!("`{table}` has no field `{name}`"));
            };
            let fty = ff.ty;
            self.expect(
                Tok::Cmp(CmpOp::Eq),
                "`==` (a filter keeps the rows whose field equals a value)",
            )?;
            let vat = self.offset();
            let v = self.literal()?;
            let v = coerce(v, fty).ok_or_else(|| type_mismatch(vat, fty, "the filter value"))?;
            filter = Some((name, v));
        }
        self.expect(Tok::RParen, "`)`")?;
        Ok(Expr::Sum {
            table,
            field,
            ty,
            filter,
        })
    }
}

fn kind_name(kind: SubjectKind) -> &'static str {
    match kind {
        SubjectKind::Resident => "resident",
        SubjectKind::Enterprise => "enterprise",
    }
}

fn type_mismatch(offset: usize, expected: Type, what: &str) -> ExprError {
    ExprError {
        offset,
        message: format!(
            "{what} must be a {} like the value it is compared with",
            expected.name()
        ),
    }
}

/// A literal read as a value of `ty`, where that makes sense (an integer as money, a string of
/// six digits as a division code).
fn coerce(v: Value, ty: Type) -> Option<Value> {
    match (v, ty) {
        (Value::Int(n), Type::Int) => Some(Value::Int(n)),
        (Value::Int(n), Type::Money) => Some(Value::Money(n)),
        (Value::Date(d), Type::Date) => Some(Value::Date(d)),
        (Value::String(s), Type::String) => Some(Value::String(s)),
        (Value::String(s), Type::Code) if s.len() == 6 && s.bytes().all(|b| b.is_ascii_digit()) => {
            s.parse().ok().map(Value::Code)
        }
        (Value::Bool(b), Type::Bool) => Some(Value::Bool(b)),
        _ => None,
    }
}

/// Makes both sides of a comparison the same type: literals take the type of the other side.
fn unify(left: Expr, right: Expr) -> Result<(Expr, Expr), (Type, Type)> {
    let (lt, rt) = (left.ty(), right.ty());
    if lt == rt {
        return Ok((left, right));
    }
    let retype = |e: Expr, ty: Type| -> Option<Expr> {
        match e {
            Expr::Lit(v) => coerce(v, ty).map(Expr::Lit),
            // An arithmetic of integer literals (e.g. 20 * 100000000) is read as money too.
            e if e.is_constant() && ty == Type::Money && e.ty() == Type::Int => {
                Some(retype_money(e))
            }
            _ => None,
        }
    };
    if right.is_constant() {
        if let Some(r) = retype(right.clone(), lt) {
            return Ok((left, r));
        }
    }
    if left.is_constant() {
        if let Some(l) = retype(left, rt) {
            return Ok((l, right));
        }
    }
    Err((lt, rt))
}

fn retype_money(e: Expr) -> Expr {
    match e {
        Expr::Lit(Value::Int(n)) => Expr::Lit(Value::Money(n)),
        Expr::Neg(inner) => Expr::Neg(Box::new(retype_money(*inner))),
        Expr::Bin {
            op, left, right, ..
        } => {
            // Only one factor of a product becomes money, so that the product is money.
            let (left, right) = match op {
                Arith::Mul | Arith::Div => (retype_money(*left), *right),
                Arith::Add | Arith::Sub => (retype_money(*left), retype_money(*right)),
            };
            Expr::Bin {
                op,
                left: Box::new(left),
                right: Box::new(right),
                ty: Type::Money,
            }
        }
        other => other,
    }
}

/// Types an arithmetic operation: money stays money when scaled by a plain number, and money
/// times money, or arithmetic on dates, strings or booleans, is refused.
fn arith(op: Arith, left: Expr, right: Expr, at: usize) -> Result<Expr, ExprError> {
    let (lt, rt) = (left.ty(), right.ty());
    let ty = match (op, lt, rt) {
        (_, Type::Int, Type::Int) => Type::Int,
        (Arith::Add | Arith::Sub, Type::Money, Type::Money) => Type::Money,
        (Arith::Add | Arith::Sub, Type::Money, Type::Int) if right.is_constant() => Type::Money,
        (Arith::Add | Arith::Sub, Type::Int, Type::Money) if left.is_constant() => Type::Money,
        (Arith::Mul, Type::Money, Type::Int) | (Arith::Mul, Type::Int, Type::Money) => Type::Money,
        (Arith::Div, Type::Money, Type::Int) => Type::Money,
        _ => {
            let verb = match op {
                Arith::Add => "add",
                Arith::Sub => "subtract",
                Arith::Mul => "multiply",
                Arith::Div => "divide",
            };
            return err(
                at,
                format!("cannot {verb} a {} and a {}", lt.name(), rt.name()),
            );
        }
    };
    if op == Arith::Div && matches!(right, Expr::Lit(Value::Int(0))) {
        return err(at, "division by zero");
    }
    Ok(Expr::Bin {
        op,
        left: Box::new(left),
        right: Box::new(right),
        ty,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn test_of(kind: SubjectKind, src: &str) -> Result<Test, ExprError> {
        parse_test(src, kind, Catalogue::standard())
    }

    fn resident(src: &str) -> Result<Test, ExprError> {
        test_of(SubjectKind::Resident, src)
    }

    fn enterprise(src: &str) -> Result<Test, ExprError> {
        test_of(SubjectKind::Enterprise, src)
    }

    #[test]
    fn parses_the_reference_shapes() {
        assert!(resident("age(birth_date) >= 80").is_ok());
        assert!(resident("hukou_district == '440604'").is_ok());
        assert!(resident("death_date is null").is_ok());
        assert!(resident("death_date > ref_date").is_ok());
        assert!(resident("disability_grade in 1..=4").is_ok());
        assert!(resident("disability_grade in [1, 2]").is_ok());
        assert!(resident("dibao == true").is_ok());
        assert!(enterprise("industry_code / 100 in 13..=43").is_ok());
        assert!(
            enterprise("sum(loan_interest.interest_fen where product == '数字贷') > 0").is_ok()
        );
        assert!(enterprise("rd_expense_y1 * 100 >= revenue_y1 * 3").is_ok());
        assert!(enterprise("revenue_y1 >= 2_000_000_000").is_ok());
        assert!(enterprise("high_tech_until >= ref_date").is_ok());
        assert!(enterprise("established < 2020-01-01").is_ok());
    }

    #[test]
    fn literals_take_the_type_of_the_other_side() {
        let Test::Cmp { right, .. } = enterprise("revenue_y1 >= 2000000000").unwrap() else {
            panic!()
        };
        assert_eq!(right, Expr::Lit(Value::Money(2_000_000_000)));
        let Test::Cmp { right, .. } = resident("hukou_district == '440604'").unwrap() else {
            panic!()
        };
        assert_eq!(right, Expr::Lit(Value::Code(440_604)));
        let Test::Cmp { right, .. } = enterprise("revenue_y1 > 20 * 100000000").unwrap() else {
            panic!()
        };
        assert_eq!(right.ty(), Type::Money);
    }

    #[test]
    fn refuses_unknown_names_with_their_place() {
        let e = resident("age(birthdate) >= 80").unwrap_err();
        assert_eq!(e.offset, 4);
        assert!(
            e.message.contains("unknown attribute `birthdate`"),
            "{}",
            e.message
        );
        assert!(
            e.message.contains("birth_date"),
            "lists what exists: {}",
            e.message
        );
        let e = resident("revenue_y1 > 0").unwrap_err();
        assert!(
            e.message
                .contains("unknown attribute `revenue_y1` for a resident"),
            "{}",
            e.message
        );
        let e = enterprise("sum(loans.interest_fen) > 0").unwrap_err();
        assert_eq!(
            (
                e.offset,
                e.message.starts_with("unknown fact table `loans`")
            ),
            (4, true)
        );
        let e = enterprise("sum(loan_interest.interest) > 0").unwrap_err();
        assert_eq!(e.offset, 18);
        let e = enterprise("sum(loan_interest.product) > 0").unwrap_err();
        assert!(e.message.contains("cannot sum"), "{}", e.message);
    }

    #[test]
    fn refuses_type_errors() {
        let e = enterprise("established > revenue_y1").unwrap_err();
        assert_eq!(e.message, "cannot compare date with money");
        assert_eq!(e.offset, 14);
        assert_eq!(
            resident("birth_date >= 80").unwrap_err().message,
            "cannot compare date with int"
        );
        assert_eq!(
            enterprise("revenue_y1 * revenue_y2 > 0")
                .unwrap_err()
                .message,
            "cannot multiply a money and a money"
        );
        assert_eq!(
            enterprise("revenue_y1 + employees > 0")
                .unwrap_err()
                .message,
            "cannot add a money and a int"
        );
        assert!(resident("age(disability_grade) > 1")
            .unwrap_err()
            .message
            .starts_with("age() takes a date"));
        assert!(resident("dibao > false")
            .unwrap_err()
            .message
            .contains("only be compared with =="));
        assert!(resident("hukou_district == '4406'").is_err());
        assert!(resident("disability_grade in [1, 'two']").is_err());
        assert!(resident("disability_grade in 4..=1")
            .unwrap_err()
            .message
            .contains("empty"));
        assert!(enterprise("revenue_y1 / 0 > 1")
            .unwrap_err()
            .message
            .contains("division by zero"));
    }

    #[test]
    fn refuses_malformed_text() {
        assert!(resident("age(birth_date) >=").is_err());
        assert!(resident("age(birth_date >= 80").is_err());
        assert!(resident("hukou_district == '440604")
            .unwrap_err()
            .message
            .contains("closing quote"));
        assert!(resident("birth_date > 2023-02-30")
            .unwrap_err()
            .message
            .contains("not a date"));
        assert!(resident("age(birth_date) >= 80 80")
            .unwrap_err()
            .message
            .contains("after the end"));
        assert!(resident("age(birth_date) # 80")
            .unwrap_err()
            .message
            .contains("unexpected character"));
        assert!(resident("").is_err());
    }
}

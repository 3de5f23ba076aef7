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

mod lex;
mod parse;
#[cfg(test)]
mod tests;

pub use parse::{parse_expr, parse_test};

use crate::problem::Problem;

/// An error in an expression: where (byte offset into it) and what.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExprError {
    pub offset: usize,
    /// The problem in English.
    pub message: String,
    pub problem: Problem,
}

impl ExprError {
    fn new(offset: usize, problem: Problem) -> ExprError {
        ExprError {
            offset,
            message: problem.english(),
            problem,
        }
    }
}

fn err<T>(offset: usize, problem: Problem) -> Result<T, ExprError> {
    Err(ExprError::new(offset, problem))
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

    /// The operator with its sides swapped: `a < b` is `b > a`.
    pub fn flipped(self) -> CmpOp {
        match self {
            CmpOp::Lt => CmpOp::Gt,
            CmpOp::Le => CmpOp::Ge,
            CmpOp::Gt => CmpOp::Lt,
            CmpOp::Ge => CmpOp::Le,
            same => same,
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

//! Parsing tokens into a typed expression: every name checked against the catalogue, every
//! operation against the types.

use super::lex::{lex, Tok};
use super::*;

pub(super) struct Parser<'a> {
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

    /// `tok`, or the problem `code` (what was expected).
    fn expect(&mut self, tok: Tok, code: &'static str) -> Result<(), ExprError> {
        if self.eat(&tok) {
            Ok(())
        } else {
            err(self.offset(), Problem::new(code))
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
            err(self.offset(), Problem::new("trailing_text"))
        }
    }

    fn test(&mut self) -> Result<Test, ExprError> {
        let (start, left) = self.sum()?;
        if self.keyword("is") {
            let negated = self.keyword("not");
            if !self.keyword("null") {
                return err(self.offset(), Problem::new("expected_null"));
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
                            .ok_or_else(|| type_mismatch(at, left.ty(), "set_member_type"))?,
                    );
                    if self.eat(&Tok::Comma) {
                        continue;
                    }
                    self.expect(Tok::RBracket, "expected_list_end")?;
                    break;
                }
                return Ok(Test::In { expr: left, set });
            }
            let at = self.offset();
            let lo = self.literal()?;
            self.expect(Tok::DotDotEq, "expected_range")?;
            let hi = self.literal()?;
            let (lo, hi) = match (coerce(lo, left.ty()), coerce(hi, left.ty())) {
                (Some(lo), Some(hi)) if left.ty().is_numeric() || left.ty() == Type::Date => {
                    (lo, hi)
                }
                _ => return Err(type_mismatch(at, left.ty(), "range_type")),
            };
            if lo > hi {
                return err(at, Problem::new("empty_range"));
            }
            return Ok(Test::Range { expr: left, lo, hi });
        }
        let at = self.offset();
        let op = match self.next().1 {
            Tok::Cmp(op) => op,
            _ => return err(at, Problem::new("expected_comparison")),
        };
        let right_at = self.offset();
        let (_, right) = self.sum()?;
        let (left, right) = unify(left, right).map_err(|(l, r)| {
            ExprError::new(
                right_at,
                Problem::new("cannot_compare")
                    .ty("left_type", l)
                    .ty("right_type", r),
            )
        })?;
        if matches!(left.ty(), Type::String | Type::Bool | Type::Code)
            && !matches!(op, CmpOp::Eq | CmpOp::Ne)
        {
            return err(
                at,
                Problem::new("equality_only").ty("value_type", left.ty()),
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
                return err(at, Problem::new("cannot_negate").ty("value_type", e.ty()));
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
            _ => err(at, Problem::new("expected_value")),
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
                self.expect(Tok::RParen, "expected_close")?;
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
                        return err(arg_at, Problem::new("age_type").ty("value_type", arg.ty()));
                    }
                    self.expect(Tok::RParen, "expected_close")?;
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
                            Problem::new("unknown_attribute")
                                .with("name", name)
                                .kind(self.kind)
                                .with("known", known.join(", ")),
                        )
                    }
                },
            },
            _ => err(at, Problem::new("expected_operand")),
        }
    }

    /// After `sum(`: `table.field [where field == value])`.
    fn aggregate(&mut self) -> Result<Expr, ExprError> {
        let at = self.offset();
        let Tok::Ident(table) = self.next().1 else {
            return err(at, Problem::new("expected_table"));
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
                Problem::new("unknown_table")
                    .with("table", &table)
                    .with("known", known.join(", ")),
            );
        };
        self.expect(Tok::Dot, "expected_table_dot")?;
        let field_at = self.offset();
        let Tok::Ident(field) = self.next().1 else {
            return err(field_at, Problem::new("expected_field"));
        };
        let Some(f) = fact.field(&field) else {
            return err(
                field_at,
                Problem::new("no_field")
                    .with("table", &table)
                    .with("field", &field),
            );
        };
        if !f.ty.is_numeric() {
            return err(
                field_at,
                Problem::new("cannot_sum")
                    .with("field", &field)
                    .ty("value_type", f.ty),
            );
        }
        let ty = f.ty;
        let mut filter = None;
        if self.keyword("where") {
            let at = self.offset();
            let Tok::Ident(name) = self.next().1 else {
                return err(at, Problem::new("expected_filter_field"));
            };
            let Some(ff) = fact.field(&name) else {
                return err(
                    at,
                    Problem::new("no_field")
                        .with("table", &table)
                        .with("field", &name),
                );
            };
            let fty = ff.ty;
            self.expect(Tok::Cmp(CmpOp::Eq), "expected_filter_eq")?;
            let vat = self.offset();
            let v = self.literal()?;
            let v = coerce(v, fty).ok_or_else(|| type_mismatch(vat, fty, "filter_type"))?;
            filter = Some((name, v));
        }
        self.expect(Tok::RParen, "expected_close")?;
        Ok(Expr::Sum {
            table,
            field,
            ty,
            filter,
        })
    }
}

/// `code` names what must be of type `expected`.
pub(super) fn type_mismatch(offset: usize, expected: Type, code: &'static str) -> ExprError {
    ExprError::new(offset, Problem::new(code).ty("value_type", expected))
}

/// A literal read as a value of `ty`, where that makes sense (an integer as money, a string of
/// six digits as a division code).
pub(super) fn coerce(v: Value, ty: Type) -> Option<Value> {
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
pub(super) fn unify(left: Expr, right: Expr) -> Result<(Expr, Expr), (Type, Type)> {
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

pub(super) fn retype_money(e: Expr) -> Expr {
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
pub(super) fn arith(op: Arith, left: Expr, right: Expr, at: usize) -> Result<Expr, ExprError> {
    let (lt, rt) = (left.ty(), right.ty());
    let ty = match (op, lt, rt) {
        (_, Type::Int, Type::Int) => Type::Int,
        (Arith::Add | Arith::Sub, Type::Money, Type::Money) => Type::Money,
        (Arith::Add | Arith::Sub, Type::Money, Type::Int) if right.is_constant() => Type::Money,
        (Arith::Add | Arith::Sub, Type::Int, Type::Money) if left.is_constant() => Type::Money,
        (Arith::Mul, Type::Money, Type::Int) | (Arith::Mul, Type::Int, Type::Money) => Type::Money,
        (Arith::Div, Type::Money, Type::Int) => Type::Money,
        _ => {
            let code = match op {
                Arith::Add => "cannot_add",
                Arith::Sub => "cannot_subtract",
                Arith::Mul => "cannot_multiply",
                Arith::Div => "cannot_divide",
            };
            return err(
                at,
                Problem::new(code).ty("left_type", lt).ty("right_type", rt),
            );
        }
    };
    if op == Arith::Div && matches!(right, Expr::Lit(Value::Int(0))) {
        return err(at, Problem::new("division_by_zero"));
    }
    Ok(Expr::Bin {
        op,
        left: Box::new(left),
        right: Box::new(right),
        ty,
    })
}

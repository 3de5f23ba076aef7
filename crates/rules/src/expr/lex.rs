//! Reading an expression into tokens, each with its byte offset.

use super::*;

#[derive(Clone, Debug, PartialEq)]
pub(super) enum Tok {
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

pub(super) fn lex(src: &str) -> Result<Vec<(usize, Tok)>, ExprError> {
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
                            return err(
                                start,
                                Problem::new("expr_date").with("text", format!("{text:?}")),
                            )
                        }
                    }
                }
                let digits: String = src[start..i].chars().filter(|c| *c != '_').collect();
                let n = digits
                    .parse::<i64>()
                    .or_else(|_| err(start, Problem::new("number_too_large")))?;
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
                    return err(start, Problem::new("string_open"));
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
                        return err(
                            i,
                            Problem::new("unexpected_character")
                                .with("character", format!("{ch:?}")),
                        );
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

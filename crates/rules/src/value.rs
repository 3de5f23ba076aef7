//! Values of attributes and expressions.

use std::fmt;

use api::Date;
use serde::{Deserialize, Serialize};

use crate::catalogue::Type;

/// A value of one of the catalogue's types, or no value at all.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "type", content = "value", rename_all = "snake_case")]
pub enum Value {
    /// An empty field: the department has no value for this subject.
    Null,
    Int(i64),
    /// Integer fen.
    Money(i64),
    Date(Date),
    /// A 6-digit administrative division code.
    Code(u32),
    String(String),
    Bool(bool),
}

impl Value {
    pub fn ty(&self) -> Option<Type> {
        Some(match self {
            Value::Null => return None,
            Value::Int(_) => Type::Int,
            Value::Money(_) => Type::Money,
            Value::Date(_) => Type::Date,
            Value::Code(_) => Type::Code,
            Value::String(_) => Type::String,
            Value::Bool(_) => Type::Bool,
        })
    }

    /// The value as a number on the line of its type (days for dates), for comparison and
    /// arithmetic; `None` for null, strings and booleans.
    pub fn number(&self) -> Option<i128> {
        match self {
            Value::Int(n) | Value::Money(n) => Some(i128::from(*n)),
            Value::Date(d) => Some(i128::from(d.days_since_epoch())),
            Value::Code(c) => Some(i128::from(*c)),
            Value::Bool(b) => Some(i128::from(*b)),
            Value::Null | Value::String(_) => None,
        }
    }

    /// The value of type `ty` at position `n` on its line (the inverse of [`Value::number`]).
    pub fn from_number(ty: Type, n: i128) -> Option<Value> {
        Some(match ty {
            Type::Int => Value::Int(i64::try_from(n).ok()?),
            Type::Money => Value::Money(i64::try_from(n).ok()?),
            Type::Date => Value::Date(Date::from_days_since_epoch(i64::try_from(n).ok()?)),
            Type::Code => Value::Code(u32::try_from(n).ok()?),
            Type::Bool => Value::Bool(n != 0),
            Type::String => return None,
        })
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }
}

impl fmt::Display for Value {
    /// A plain rendering for logs and error messages (the app formats values per locale).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => f.write_str("null"),
            Value::Int(n) => write!(f, "{n}"),
            Value::Money(n) => write!(f, "{n} fen"),
            Value::Date(d) => write!(f, "{d}"),
            Value::Code(c) => write!(f, "{c:06}"),
            Value::String(s) => write!(f, "{s:?}"),
            Value::Bool(b) => write!(f, "{b}"),
        }
    }
}

//! Zhida's eligibility rules engine: policies are data, checked by machine, exactly, with an
//! explanation a citizen can read. No IO: the same crate runs on the server over a whole
//! district and in the browser (wasm32) for a private self-check.
//!
//! # The policy format
//!
//! A policy is a TOML file (see `policies/`: the seven reference policies and samples):
//!
//! ```toml
//! id = "senior-allowance"          # lower-case letters, digits, hyphens
//! version = 1                      # a new version for every change of rules or amounts
//! sample = true                    # the figures are sample parameters, not official ones
//! subject = "resident"             # resident | enterprise
//! period = "monthly"               # monthly | annual | once
//! mode = "automatic"               # automatic | automatic_after_consent | apply_instant | apply_reviewed
//! category = "elderly"             # for the policy library's filters
//! keywords = ["高龄", "senior"]     # for search
//! name = { zh-CN = "高龄老人津贴", en = "Senior citizens' allowance" }
//! summary = { zh-CN = "…", en = "…" }
//! effective = { from = "2021-01-01", until = "2030-12-31" }   # until is optional
//! legal_basis = { document = "…", issuer = "…", clause = "第三条", link = "https://…" }
//! consent_days = 30                # automatic_after_consent only: days to confirm, 7 to 90 (30)
//!
//! [[criteria]]                     # all top-level criteria must hold
//! id = "age-80"
//! label = { zh-CN = "年满 80 周岁", en = "Aged 80 or over" }
//! test = "age(birth_date) >= 80"
//!
//! [[criteria]]                     # a group: exactly one of test, all, any, not
//! id = "alive"
//! label = { zh-CN = "户籍状态正常", en = "Household registration in order" }
//! any = [
//!   { id = "no-death", label = { zh-CN = "…", en = "…" }, test = "death_date is null" },
//!   { id = "died-after", label = { zh-CN = "…", en = "…" }, test = "death_date > ref_date" },
//! ]
//!
//! [amount]                         # fen; one of:
//! kind = "tiered"                  # fixed: fen = 18800
//! by = "age(birth_date)"           # proportional: of = "…", numerator, denominator, floor?, cap?
//! tiers = [{ from = 80, fen = 10000 }, { from = 90, fen = 30000 }]
//!
//! [application]                    # mode = "apply_reviewed" only, and then required
//! department = { zh-CN = "禅城区经济和科技促进局", en = "…" }   # as its staff accounts name it
//! review_days = 10                 # working days to decide, 1 to 60
//! [[application.question]]         # the 一照通 form's fields: key, label, hint?, kind, required?, options?
//! key = "project.name"
//! label = { zh-CN = "技术改造项目名称", en = "Name of the upgrade project" }
//! kind = "text"                    # text | long_text | number | date | choice | uscc | id_number | mobile | address
//! [[application.material]]         # at least one: code, name, hint
//! code = "project_filing"
//! name = { zh-CN = "…", en = "…" }
//! hint = { zh-CN = "…", en = "…" }
//! ```
//!
//! A test is one comparison, so that its explanation is "your value, the rule":
//! `expr (==|!=|<|<=|>|>=) expr`, `expr in [a, b]`, `expr in lo..=hi` (inclusive),
//! `expr is null`, `expr is not null`. Expressions use the attributes of the catalogue
//! ([`Catalogue::standard`], `src/catalogue.toml`), literals (`80`, `2_000_000_000` fen for money,
//! `2026-01-01`, `'440604'` for a division code, `'数字贷'`, `true`), `ref_date` (the first day of
//! the period), `age(date)` (completed years on the reference date), integer arithmetic
//! (`+ - * /`, division rounding down; money may be scaled by a number but not multiplied by
//! money), and `sum(table.field where field == value)` over the period's rows of a fact table.
//! Every comparison is exact integer arithmetic, in 128 bits.
//!
//! A file that names an unknown attribute, compares values of different types, lacks a field
//! or has one it does not know is refused by [`load`] with its file, line, column, path and
//! what was expected.

pub mod application;
pub mod batch;
pub mod catalogue;
pub mod eval;
pub mod expr;
pub mod impact;
pub mod policy;
pub mod problem;
#[cfg(feature = "testing")]
pub mod testing;
pub mod value;

pub use catalogue::{Catalogue, Department, SubjectKind, Text, Type};
pub use eval::{evaluate, Context, Evaluation, Month, Subject};
pub use policy::{load, LoadError, Policy};
pub use problem::Problem;
#[cfg(feature = "testing")]
pub use testing::{reference_policies, reference_sources};
pub use value::Value;

//! The public policy library: what a policy is, who it is for, how much it pays, on what
//! authority, in both languages.

use serde::{Deserialize, Serialize};

use crate::date::Date;

/// Text in both of the app's languages.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Bilingual {
    #[serde(rename = "zh-CN")]
    pub zh_cn: String,
    pub en: String,
}

/// How a grant comes about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum GrantMode {
    Automatic,
    AutomaticAfterConsent,
    ApplyInstant,
    ApplyReviewed,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Audience {
    Resident,
    Enterprise,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum PayPeriod {
    Monthly,
    Annual,
    Once,
}

/// One step of a tiered amount: from this value of the measure on, this much.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Tier {
    pub from: i64,
    pub fen: i64,
}

/// How much a policy pays per period (fen).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AmountInfo {
    Fixed {
        fen: i64,
    },
    Tiered {
        measure: Bilingual,
        tiers: Vec<Tier>,
    },
    /// `base × numerator ÷ denominator`, rounded down; `base_is_money` tells fen from units.
    Proportional {
        base: Bilingual,
        base_is_money: bool,
        numerator: i64,
        denominator: i64,
        floor: Option<i64>,
        cap: Option<i64>,
    },
}

/// A policy as the public library shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PolicyInfo {
    pub id: String,
    pub version: u32,
    /// The figures are sample parameters, not official ones.
    pub sample: bool,
    pub audience: Audience,
    pub period: PayPeriod,
    pub mode: GrantMode,
    pub category: String,
    pub keywords: Vec<String>,
    pub name: Bilingual,
    pub summary: Bilingual,
    pub effective_from: Date,
    pub effective_until: Option<Date>,
    /// In force today.
    pub in_force: bool,
    pub legal_document: String,
    pub legal_issuer: String,
    pub legal_clause: String,
    pub legal_link: Option<String>,
    pub amount: AmountInfo,
    /// The conditions, in plain words.
    pub criteria: Vec<Bilingual>,
    /// The article of the legal basis of each condition (in the order of `criteria`), when the
    /// policy names one.
    pub criteria_basis: Vec<Option<String>>,
    /// The article the amount comes from.
    pub amount_basis: Option<String>,
    /// Retired (废止 or 失效): its last day and the notice.
    pub retirement: Option<crate::policy_admin::Retirement>,
}

/// The published policies in force (and scheduled), as their files: what the policy
/// calculator compiles and runs in the browser. `stamp` changes whenever the set does (the
/// response's ETag).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PolicySet {
    pub stamp: String,
    pub policies: Vec<PolicySource>,
}

/// One published version: its file (TOML, the rules language) and the window its decision set.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PolicySource {
    pub id: String,
    pub version: u32,
    pub source: String,
    pub effective_from: Date,
    pub effective_until: Option<Date>,
}

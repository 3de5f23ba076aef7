//! The public policy library: the published policies, searchable in both languages, with no
//! login needed.

use axum::extract::{Path, Query, State};
use axum::Json;
use serde::Deserialize;

use api::policy::{
    AmountInfo, Audience, Bilingual, GrantMode, PayPeriod, PolicyInfo, PolicySet, PolicySource,
    Tier,
};
use api::ErrorBody;
use rules::expr::Expr;
use rules::policy::{Amount, Mode, Period};
use rules::{Catalogue, Policy, SubjectKind, Text};

use crate::platform::error::ApiError;
use crate::policies::explain::same;
use crate::AppState;

/// A published policy's name; the id itself when it is no longer published.
pub fn policy_name(state: &AppState, id: &str) -> Bilingual {
    state
        .policies
        .current(id)
        .map_or_else(|| same(id.to_owned()), |p| bi(&p.name))
}

pub fn bi(t: &Text) -> Bilingual {
    Bilingual {
        zh_cn: t.zh_cn.clone(),
        en: t.en.clone(),
    }
}

/// What an amount is computed from, in plain words.
fn describe(policy: &Policy, e: &Expr) -> Bilingual {
    let catalogue = Catalogue::standard();
    match e {
        Expr::Age(_) => Bilingual {
            zh_cn: "年龄".into(),
            en: "age".into(),
        },
        Expr::Attr { name, .. } => catalogue.attribute(policy.subject, name).map_or_else(
            || Bilingual {
                zh_cn: name.clone(),
                en: name.clone(),
            },
            |a| bi(&a.description),
        ),
        Expr::Sum {
            table,
            field,
            filter,
            ..
        } => {
            let text = catalogue
                .fact_table(policy.subject, table)
                .and_then(|t| t.field(field))
                .map(|f| bi(&f.description));
            let mut text = text.unwrap_or_else(|| Bilingual {
                zh_cn: field.clone(),
                en: field.clone(),
            });
            if let Some((_, rules::Value::String(v))) = filter {
                text.zh_cn = format!("{}（{v}）", text.zh_cn);
                text.en = format!("{} ({v})", text.en);
            }
            text
        }
        _ => Bilingual {
            zh_cn: "计算值".into(),
            en: "the computed value".into(),
        },
    }
}

/// A policy as the library shows it.
pub fn info(
    policy: &Policy,
    retirement: Option<&api::policy_admin::Retirement>,
    today: api::Date,
) -> PolicyInfo {
    let amount = match &policy.amount {
        Amount::Fixed(fen) => AmountInfo::Fixed { fen: *fen },
        Amount::Tiered { by, tiers } => AmountInfo::Tiered {
            measure: describe(policy, by),
            tiers: tiers
                .iter()
                .map(|(from, fen)| Tier {
                    from: from.number().unwrap_or(0) as i64,
                    fen: *fen,
                })
                .collect(),
        },
        Amount::Proportional {
            of,
            numerator,
            denominator,
            floor,
            cap,
        } => AmountInfo::Proportional {
            base: describe(policy, of),
            base_is_money: of.ty() == rules::Type::Money,
            numerator: *numerator,
            denominator: *denominator,
            floor: *floor,
            cap: *cap,
        },
    };
    let top: Vec<&rules::policy::Criterion> = match &policy.criteria.kind {
        rules::policy::CriterionKind::All(cs) => cs.iter().collect(),
        _ => vec![&policy.criteria],
    };
    let criteria = top.iter().map(|c| bi(&c.label)).collect();
    let criteria_basis = top.iter().map(|c| c.basis.clone()).collect();
    PolicyInfo {
        id: policy.id.clone(),
        version: policy.version,
        sample: policy.sample,
        audience: match policy.subject {
            SubjectKind::Resident => Audience::Resident,
            SubjectKind::Enterprise => Audience::Enterprise,
        },
        period: match policy.period {
            Period::Monthly => PayPeriod::Monthly,
            Period::Annual => PayPeriod::Annual,
            Period::Once => PayPeriod::Once,
        },
        mode: match policy.mode {
            Mode::Automatic => GrantMode::Automatic,
            Mode::AutomaticAfterConsent => GrantMode::AutomaticAfterConsent,
            Mode::ApplyInstant => GrantMode::ApplyInstant,
            Mode::ApplyReviewed => GrantMode::ApplyReviewed,
        },
        category: policy.category.clone(),
        keywords: policy.keywords.clone(),
        name: bi(&policy.name),
        summary: bi(&policy.summary),
        effective_from: policy.effective.from,
        effective_until: policy.effective.until,
        in_force: policy.effective.contains(today),
        legal_document: policy.legal_basis.document.clone(),
        legal_issuer: policy.legal_basis.issuer.clone(),
        legal_clause: policy.legal_basis.clause.clone(),
        legal_link: policy.legal_basis.link.clone(),
        amount,
        criteria,
        retirement: retirement.cloned(),
        criteria_basis,
        amount_basis: policy.amount_basis.clone(),
    }
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
pub struct LibraryQuery {
    /// Words to find in the name, summary or keywords, in either language.
    q: Option<String>,
    /// `resident` or `enterprise`.
    audience: Option<String>,
    /// `automatic` (with or without consent) or `apply` (instant or reviewed).
    mode: Option<String>,
    category: Option<String>,
    /// `in_force` (the default), `retired` or `all`.
    status: Option<String>,
}

fn matches(p: &PolicyInfo, q: &LibraryQuery) -> Result<bool, ApiError> {
    if let Some(words) = q.q.as_deref().map(str::trim).filter(|w| !w.is_empty()) {
        let hay = format!(
            "{} {} {} {} {} {}",
            p.name.zh_cn,
            p.name.en,
            p.summary.zh_cn,
            p.summary.en,
            p.keywords.join(" "),
            p.category
        )
        .to_lowercase();
        if !words
            .to_lowercase()
            .split_whitespace()
            .all(|w| hay.contains(w))
        {
            return Ok(false);
        }
    }
    let audience = match q.audience.as_deref() {
        None | Some("") | Some("all") => true,
        Some("resident") => p.audience == Audience::Resident,
        Some("enterprise") => p.audience == Audience::Enterprise,
        Some(_) => return Err(ApiError::invalid_field_because("audience", "choice")),
    };
    let mode = match q.mode.as_deref() {
        None | Some("") | Some("all") => true,
        Some("automatic") => matches!(
            p.mode,
            GrantMode::Automatic | GrantMode::AutomaticAfterConsent
        ),
        Some("apply") => matches!(p.mode, GrantMode::ApplyInstant | GrantMode::ApplyReviewed),
        Some(_) => return Err(ApiError::invalid_field_because("mode", "choice")),
    };
    let status = match q.status.as_deref() {
        None | Some("") | Some("in_force") => p.in_force,
        Some("retired") => !p.in_force,
        Some("all") => true,
        Some(_) => return Err(ApiError::invalid_field_because("status", "choice")),
    };
    let category = q
        .category
        .as_deref()
        .filter(|c| !c.is_empty() && *c != "all")
        .is_none_or(|c| c == p.category);
    Ok(audience && mode && status && category)
}

/// Searches the published policies.
#[utoipa::path(get, path = "/api/policies", tag = "policies", params(LibraryQuery),
    responses((status = 200, body = Vec<PolicyInfo>), (status = 422, description = "A filter value that does not exist", body = ErrorBody)))]
pub async fn library(
    State(state): State<AppState>,
    Query(q): Query<LibraryQuery>,
) -> Result<Json<Vec<PolicyInfo>>, ApiError> {
    let today = crate::platform::db::today_shanghai();
    let mut out = Vec::new();
    let published = state.policies.get();
    for p in published.each_current(today) {
        let i = info(p, published.retirement(&p.id), today);
        if matches(&i, &q)? {
            out.push(i);
        }
    }
    Ok(Json(out))
}

/// One published policy.
#[utoipa::path(get, path = "/api/policies/{id}", tag = "policies", params(("id" = String, Path)),
    responses((status = 200, body = PolicyInfo), (status = 404, body = ErrorBody)))]
pub async fn policy(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<PolicyInfo>, ApiError> {
    let published = state.policies.get();
    let today = crate::platform::db::today_shanghai();
    let p = published
        .current(&id, today)
        .ok_or_else(ApiError::not_found)?;
    Ok(Json(info(p, published.retirement(&id), today)))
}

/// The policies in force today and those scheduled, as their files (the calculator's set),
/// answered 304 when the caller holds this set already (`If-None-Match`).
#[utoipa::path(get, path = "/api/policy-set", tag = "policies",
    responses((status = 200, body = PolicySet), (status = 304, description = "The set the caller has (its ETag) is the set published")))]
pub async fn policy_set(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let published = state.policies.get();
    let etag = format!("\"{}\"", published.stamp);
    let cache = [
        (axum::http::header::ETAG, etag.clone()),
        (axum::http::header::CACHE_CONTROL, "no-cache".to_owned()),
    ];
    if headers
        .get(axum::http::header::IF_NONE_MATCH)
        .is_some_and(|v| v.as_bytes() == etag.as_bytes())
    {
        return (axum::http::StatusCode::NOT_MODIFIED, cache).into_response();
    }
    let today = crate::platform::db::today_shanghai();
    let policies = published
        .all()
        .iter()
        .filter(|p| p.effective.until.is_none_or(|u| u >= today))
        .map(|p| PolicySource {
            id: p.id.clone(),
            version: p.version,
            source: published
                .source(&p.id, p.version)
                .unwrap_or_default()
                .to_owned(),
            effective_from: p.effective.from,
            effective_until: p.effective.until,
        })
        .collect();
    (
        cache,
        Json(PolicySet {
            stamp: published.stamp.clone(),
            policies,
        }),
    )
        .into_response()
}

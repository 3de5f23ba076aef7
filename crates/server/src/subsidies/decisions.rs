//! Deciding with a person: checking a policy against their data, applying (申报), a grant and
//! its receipt, and consenting to or declining an offer.

use axum::extract::{Path, State};
use axum::Json;
use serde_json::Value as Json_;
use sqlx::Row;

use api::subsidy::{
    ApplyResult, GrantDecision, GrantDetail, GrantStatus, GrantStep, GrantSummary, PolicyCheck,
    UsedValue,
};
use api::ErrorBody;
use rules::policy::Mode;
use rules::{Catalogue, Context, Policy, SubjectKind};

use crate::data::known;
use crate::data::store;
use crate::platform::db::now_utc;
use crate::platform::error::ApiError;
use crate::platform::events::Event;
use crate::platform::i18n::bilingual;
use crate::policies::explain::{self, criteria, department, show};
use crate::policies::library::bi;
use crate::subsidies::beneficiary::Beneficiary;
use crate::subsidies::grant_life::GrantEvent;
use crate::subsidies::grant_moves::{move_grant, Actor, Grant};
use crate::subsidies::home::{audience, current_grant, mode, summary_of, GRANT_COLUMNS};
use crate::subsidies::matching;
use crate::subsidies::{grants, receipts};
use crate::AppState;

fn find_policy(state: &AppState, id: &str) -> Result<Policy, ApiError> {
    state.policies.current(id).ok_or_else(ApiError::not_found)
}

pub(super) async fn check_for(
    state: &AppState,
    policy: &Policy,
    who: &Beneficiary,
) -> Result<PolicyCheck, ApiError> {
    let mut check = PolicyCheck {
        policy: policy.id.clone(),
        mode: mode(policy.mode),
        audience: audience(policy.subject),
        known: false,
        eligible: false,
        amount_fen: None,
        criteria: Vec::new(),
        suggestions: Vec::new(),
        eligible_from: None,
        grant: None,
        can_apply: false,
        claim: None,
    };
    let Some(subject) = who.subject.filter(|_| who.kind == policy.subject) else {
        return Ok(check);
    };
    let Some(known) = Box::pin(known::load_subject(&state.db, subject)).await? else {
        return Ok(check);
    };
    let ctx = Context::for_month(matching::current_month());
    let evaluation = rules::evaluate(policy, &known.subject, &ctx)?;
    let sent_at = |name: &str| {
        known.sources.get(name).map(|s| s.at.clone()).or_else(|| {
            let table = name.strip_prefix("sum(")?.split('.').next()?;
            known
                .fact_sources
                .get(&(table.to_owned(), ctx.month))
                .map(|s| s.at.clone())
        })
    };
    check.known = true;
    check.eligible = evaluation.eligible;
    check.amount_fen = evaluation.amount_fen;
    check.criteria = criteria(&evaluation.explanation, &sent_at);
    check.suggestions = evaluation
        .suggestions
        .iter()
        .map(|s| explain::suggestion(policy.subject, s))
        .collect();
    check.eligible_from = evaluation.eligible_from.map(|d| d.to_string());
    check.grant = current_grant(state, policy, subject).await?;
    if policy.mode == Mode::ApplyReviewed {
        check.claim = super::claims::open_claim(state, policy, subject).await?;
    }
    check.can_apply = matches!(policy.mode, Mode::ApplyInstant | Mode::ApplyReviewed)
        && evaluation.eligible
        && evaluation.amount_fen.unwrap_or(0) > 0
        && check.grant.is_none();
    Ok(check)
}

/// Why the caller qualifies for a policy or not, criterion by criterion, with their values
/// and where they came from; what would make them eligible; this period's grant.
#[utoipa::path(get, path = "/api/policies/{id}/check", tag = "subsidies",
    params(("id" = String, Path, description = "The policy's id")),
    responses(
        (status = 200, body = PolicyCheck),
        (status = 401, body = ErrorBody),
        (status = 404, description = "No such policy", body = ErrorBody),
    ))]
pub async fn check(
    State(state): State<AppState>,
    who: Beneficiary,
    Path(id): Path<String>,
) -> Result<Json<PolicyCheck>, ApiError> {
    let policy = &find_policy(&state, &id)?;
    Ok(Json(Box::pin(check_for(&state, policy, &who)).await?))
}

/// 申报, decided at once (秒报秒批): the engine decides on the data the departments hold; an
/// approval goes straight to payment. Applying again for the same period changes nothing.
#[utoipa::path(post, path = "/api/policies/{id}/apply", tag = "subsidies",
    params(("id" = String, Path, description = "The policy's id")),
    responses(
        (status = 200, description = "Decided: granted, or not with the reasons", body = ApplyResult),
        (status = 401, body = ErrorBody),
        (status = 403, description = "Outside the subsidies scope", body = ErrorBody),
        (status = 404, description = "No such policy", body = ErrorBody),
        (status = 409, description = "This policy is not applied for", body = ErrorBody),
    ))]
pub async fn apply(
    State(state): State<AppState>,
    who: Beneficiary,
    Path(id): Path<String>,
) -> Result<Json<ApplyResult>, ApiError> {
    let policy = &find_policy(&state, &id)?;
    if policy.mode != Mode::ApplyInstant {
        return Err(ApiError::conflict("not_applied_for"));
    }
    let check = Box::pin(check_for(&state, policy, &who)).await?;
    let (Some(subject), true) = (who.subject, check.can_apply) else {
        // Not eligible (or granted already: then the grant is in the check).
        return Ok(Json(ApplyResult {
            grant: check.grant.clone(),
            check,
        }));
    };
    let known = known::load_subject(&state.db, subject)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let ctx = Context::for_month(matching::current_month());
    let amount = check.amount_fen.unwrap_or(0);
    let receipt = receipts::receipt(policy, &known, &ctx, amount);
    let at = now_utc();
    let mut tx = state.db.begin().await?;
    grants::create_grant(
        &mut tx,
        grants::NewGrant {
            policy,
            subject,
            period: matching::period_of(policy, ctx.month),
            amount_fen: amount,
            receipt: receipt.to_string(),
            applied: true,
        },
        &at,
    )
    .await?;
    tx.commit().await?;
    state.wake_payments.notify_one();
    state.events.publish(Event::Subject(subject)).await;
    let check = Box::pin(check_for(&state, policy, &who)).await?;
    Ok(Json(ApplyResult {
        grant: check.grant.clone(),
        check,
    }))
}

async fn own_grant(
    state: &AppState,
    who: &Beneficiary,
    id: i64,
) -> Result<sqlx::any::AnyRow, ApiError> {
    let subject = who.subject.ok_or_else(ApiError::not_found)?;
    sqlx::query(&format!(
        "SELECT {GRANT_COLUMNS}, policy_version, receipt, subject_id FROM grants WHERE id = $1 AND subject_id = $2"
    ))
    .bind(id)
    .bind(subject)
    .fetch_optional(&state.db.pool)
    .await?
    .ok_or_else(ApiError::not_found)
}

/// A grant: its receipt (policy version, criteria as applied, data used with its source) and
/// its timeline to payment.
#[utoipa::path(get, path = "/api/grants/{id}", tag = "subsidies",
    params(("id" = i64, Path, description = "The grant's id")),
    responses(
        (status = 200, body = GrantDetail),
        (status = 401, body = ErrorBody),
        (status = 404, description = "No such grant of yours", body = ErrorBody),
    ))]
pub async fn grant(
    State(state): State<AppState>,
    who: Beneficiary,
    Path(id): Path<i64>,
) -> Result<Json<GrantDetail>, ApiError> {
    let row = own_grant(&state, &who, id).await?;
    let summary = summary_of(&state, &row)?;
    let version: i64 = row.try_get("policy_version")?;
    let receipt: Json_ =
        serde_json::from_str(&row.try_get::<String, _>("receipt")?).map_err(ApiError::internal)?;
    let policy = u32::try_from(version)
        .ok()
        .and_then(|v| state.policies.version(&summary.policy, v));
    let (subject, ctx) = receipts::replay(&receipt)
        .ok_or_else(|| ApiError::internal(format!("grant {id} has an unreadable receipt")))?;
    let sent_at = |name: &str| -> Option<String> {
        receipt
            .get("attributes")
            .and_then(|a| a.get(name))
            .and_then(|a| a.get("at"))
            .and_then(Json_::as_str)
            .map(str::to_owned)
            .or_else(|| {
                let table = name.strip_prefix("sum(")?.split('.').next()?;
                receipt.get("facts")?.as_array()?.iter().find_map(|f| {
                    (f.get("table")?.as_str()? == table)
                        .then(|| f.get("at")?.as_str().map(str::to_owned))
                        .flatten()
                })
            })
    };
    let criteria = match policy {
        Some(p) => criteria(&rules::evaluate(&p, &subject, &ctx)?.explanation, &sent_at),
        None => Vec::new(),
    };
    let catalogue = Catalogue::standard();
    let kind = store::parse_kind(
        receipt
            .get("kind")
            .and_then(Json_::as_str)
            .unwrap_or_default(),
    )
    .unwrap_or(SubjectKind::Resident);
    let mut used = Vec::new();
    if let Some(attributes) = receipt.get("attributes").and_then(Json_::as_object) {
        for (name, a) in attributes {
            let Some(attr) = catalogue.attribute(kind, name) else {
                continue;
            };
            used.push(UsedValue {
                key: name.clone(),
                name: bi(&attr.description),
                value: show(subject.get(name)),
                department: department(attr.department),
                at: a.get("at").and_then(Json_::as_str).map(str::to_owned),
            });
        }
    }
    for f in receipt
        .get("facts")
        .and_then(Json_::as_array)
        .into_iter()
        .flatten()
    {
        let Some(table) = f
            .get("table")
            .and_then(Json_::as_str)
            .and_then(|t| catalogue.fact_table(kind, t))
        else {
            continue;
        };
        let rows = f.get("rows").and_then(Json_::as_array).map_or(0, Vec::len);
        used.push(UsedValue {
            key: table.table.clone(),
            name: bi(&table.description),
            value: bilingual(
                "server.values.fact_rows",
                &[("month", ctx.month.to_string()), ("rows", rows.to_string())],
            ),
            department: department(table.department),
            at: f.get("at").and_then(Json_::as_str).map(str::to_owned),
        });
    }
    let timeline =
        sqlx::query("SELECT status, actor, at FROM grant_events WHERE grant_id = $1 ORDER BY id")
            .bind(id)
            .fetch_all(&state.db.pool)
            .await?
            .into_iter()
            .map(|r| -> Result<GrantStep, ApiError> {
                let actor: String = r.try_get("actor")?;
                Ok(GrantStep {
                    step: r.try_get("status")?,
                    // Staff are named to staff only.
                    actor: actor.split(':').next().unwrap_or_default().to_owned(),
                    at: r.try_get("at")?,
                })
            })
            .collect::<Result<_, _>>()?;
    let payment_reference: Option<String> =
        sqlx::query_scalar("SELECT treasury_ref FROM payments WHERE grant_id = $1")
            .bind(id)
            .fetch_optional(&state.db.pool)
            .await?
            .flatten();
    Ok(Json(GrantDetail {
        grant: summary,
        policy_version: version as u32,
        reference_date: ctx.reference_date.to_string(),
        criteria,
        used,
        timeline,
        payment_reference,
    }))
}

/// Consent (意愿确认) or refusal of a grant that waits for it; a repeat is a no-op.
async fn decide_consent(
    state: &AppState,
    who: &Beneficiary,
    id: i64,
    consent: bool,
) -> Result<GrantSummary, ApiError> {
    let row = own_grant(state, who, id).await?;
    let summary = summary_of(state, &row)?;
    let subject: i64 = row.try_get("subject_id")?;
    let wanted = if consent {
        GrantStatus::Approved
    } else {
        GrantStatus::Declined
    };
    match summary.status {
        GrantStatus::AwaitingConsent => {}
        // Sent twice: the first one counted.
        s if s == wanted
            || (consent && matches!(s, GrantStatus::PaymentInstructed | GrantStatus::Paid)) =>
        {
            return Ok(summary)
        }
        _ => return Err(ApiError::conflict("grant_not_awaiting_consent")),
    }
    let at = now_utc();
    let mut tx = state.db.begin().await?;
    let grant = Grant {
        id,
        subject,
        policy: &summary.policy,
        amount_fen: summary.amount_fen,
        status: summary.status,
    };
    let what = if consent {
        GrantEvent::Consent
    } else {
        GrantEvent::Decline
    };
    let changed = move_grant(&mut tx, &grant, what, Actor::Subject, None, &at)
        .await?
        .is_some();
    if changed && consent {
        grants::instruct_payment(&mut tx, id, summary.amount_fen, &at).await?;
    }
    tx.commit().await?;
    if changed && consent {
        state.wake_payments.notify_one();
    }
    state.events.publish(Event::Subject(subject)).await;
    let row = own_grant(state, who, id).await?;
    summary_of(state, &row)
}

/// One click: the subject agrees to receive the grant (意愿确认), and its payment is queued,
/// or declines it.
#[utoipa::path(post, path = "/api/grants/{id}/{decision}", tag = "subsidies",
    params(
        ("id" = i64, Path, description = "The grant's id"),
        ("decision" = inline(GrantDecision), Path, description = "consent or decline"),
    ),
    responses(
        (status = 200, body = GrantSummary),
        (status = 401, body = ErrorBody),
        (status = 404, description = "No such grant of yours", body = ErrorBody),
        (status = 409, description = "The grant is not waiting for consent", body = ErrorBody),
    ))]
pub async fn decide(
    State(state): State<AppState>,
    who: Beneficiary,
    Path((id, decision)): Path<(i64, GrantDecision)>,
) -> Result<Json<GrantSummary>, ApiError> {
    let consent = decision == GrantDecision::Consent;
    Ok(Json(decide_consent(&state, &who, id, consent).await?))
}

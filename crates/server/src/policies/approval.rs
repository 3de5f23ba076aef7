//! Deciding on a policy: a second person approves a version from a date or returns it with a
//! reason; a policy is retired (废止 or 失效) with a notice.

use axum::extract::{Path, State};
use axum::Json;
use sqlx::Row;

use api::policy_admin::{Approval, Retirement, ReturnDraft, VersionDetail, VersionInfo};
use api::ErrorBody;

use crate::platform::db::{now_utc, today_shanghai};
use crate::platform::error::ApiError;
use crate::platform::json::ApiJson;
use crate::policies::admin::{
    check_source, date, detail_of, note, one_version, versions_of, PolicyStaff, Row_,
};
use crate::policies::drafting::step;
use crate::policies::store::mark_changed;
use crate::AppState;

/// The approver of a version under review: holds the permission, and did not draft it. The
/// version, as read.
async fn approver(
    state: &AppState,
    who: &PolicyStaff,
    id: &str,
    version: u32,
) -> Result<Row_, ApiError> {
    if !who.approves {
        return Err(ApiError::forbidden());
    }
    let row = one_version(state, id, version).await?;
    if row.drafted_by == Some(who.staff) {
        return Err(ApiError::forbidden_because("own_draft").worded("policy_admin.err_own_draft"));
    }
    Ok(row)
}

/// Sends a version under review back to its drafter, with the reason.
#[utoipa::path(post, path = "/api/staff/policies/{id}/versions/{version}/return", tag = "policy administration",
    params(("id" = String, Path), ("version" = u32, Path)), request_body = ReturnDraft,
    responses((status = 200, body = VersionDetail), (status = 403, description = "Not an approver, or the caller's own draft", body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, description = "No reason", body = ErrorBody)))]
pub async fn send_back(
    State(state): State<AppState>,
    who: PolicyStaff,
    Path((id, version)): Path<(String, u32)>,
    ApiJson(body): ApiJson<ReturnDraft>,
) -> Result<Json<VersionDetail>, ApiError> {
    approver(&state, &who, &id, version).await?;
    let reason = note("reason", &body.reason)?;
    step(
        &state,
        &id,
        version,
        "review",
        "status = 'draft', returned_reason = $3, updated_at = $4",
        &[Some(reason), Some(now_utc())],
    )
    .await?;
    Ok(Json(detail_of(&state, &who, &id, version).await?))
}

/// Approves a version under review: published from `effective_from` (today or later). The
/// version in force ends the day before; a version already scheduled on or after that date is
/// a conflict.
#[utoipa::path(post, path = "/api/staff/policies/{id}/versions/{version}/approve", tag = "policy administration",
    params(("id" = String, Path), ("version" = u32, Path)), request_body = Approval,
    responses((status = 200, body = VersionDetail), (status = 403, description = "Not an approver, or the caller's own draft", body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, description = "No longer under review, or another version is scheduled", body = ErrorBody),
        (status = 422, description = "A date in the past, or after the policy's own end", body = ErrorBody)))]
pub async fn approve(
    State(state): State<AppState>,
    who: PolicyStaff,
    Path((id, version)): Path<(String, u32)>,
    ApiJson(body): ApiJson<Approval>,
) -> Result<Json<VersionDetail>, ApiError> {
    let row = approver(&state, &who, &id, version).await?;
    let policy = check_source(&row.source)?;
    let from = body.effective_from;
    if from < today_shanghai() {
        return Err(ApiError::invalid_field_because(
            "effective_from",
            "date_past",
        ));
    }
    let until = policy.effective.until;
    if until.is_some_and(|u| u < from) {
        return Err(
            ApiError::invalid_field_because("effective_from", "after_policy_end")
                .worded("policy_admin.err_after_end"),
        );
    }
    // The sandbox's yearly cost from that date, kept to compare with what it comes to cost.
    let simulated = {
        let mut from_then = policy.clone();
        from_then.effective.from = from;
        let (report, ..) = crate::policies::sandbox::simulate(&state, &from_then).await?;
        report.total.cost_after * report.periods_a_year
    };
    let at = now_utc();
    let mut tx = state.db.begin().await?;
    let others = sqlx::query(
        "SELECT version, effective_from, effective_until FROM policy_versions \
         WHERE policy_id = $1 AND status IN ('published', 'retired') AND version <> $2",
    )
    .bind(&id)
    .bind(i64::from(version))
    .fetch_all(&mut *tx)
    .await?;
    for o in others {
        let o_from = date(o.try_get("effective_from")?)?;
        let o_until = date(o.try_get("effective_until")?)?;
        if o_from.is_some_and(|f| f >= from) {
            return Err(ApiError::conflict("policy_scheduled_exists")
                .worded("policy_admin.err_scheduled_exists"));
        }
        if o_until.is_none_or(|u| u >= from) {
            sqlx::query("UPDATE policy_versions SET effective_until = $1, updated_at = $2 WHERE policy_id = $3 AND version = $4")
                .bind(from.add_days(-1).to_string())
                .bind(&at)
                .bind(&id)
                .bind(o.try_get::<i64, _>("version")?)
                .execute(&mut *tx)
                .await?;
        }
    }
    let moved = sqlx::query(
        "UPDATE policy_versions SET status = 'published', effective_from = $1, effective_until = $2, \
         approved_by = $3, approved_at = $4, updated_at = $4, simulated_annual_fen = $7 \
         WHERE policy_id = $5 AND version = $6 AND status = 'review'",
    )
    .bind(from.to_string())
    .bind(until.map(|u| u.to_string()))
    .bind(who.staff)
    .bind(&at)
    .bind(&id)
    .bind(i64::from(version))
    .bind(simulated)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if moved == 0 {
        return Err(
            ApiError::conflict("policy_stage_changed").worded("policy_admin.err_stage_changed")
        );
    }
    mark_changed(&mut tx).await.map_err(ApiError::internal)?;
    tx.commit().await?;
    state
        .policies
        .reload(&state.db)
        .await
        .map_err(ApiError::internal)?;
    // A policy published for the first time is announced to the followers of its category
    // (once: a revision of one announced before is not news to them).
    crate::policies::follows::announce_new_policies(&state)
        .await
        .map_err(ApiError::internal)?;
    Ok(Json(detail_of(&state, &who, &id, version).await?))
}

/// Retires a policy (废止 or 失效): every published version ends on `last_day` at the latest,
/// with the notice people are shown.
#[utoipa::path(post, path = "/api/staff/policies/{id}/retire", tag = "policy administration",
    params(("id" = String, Path)), request_body = Retirement,
    responses((status = 200, body = Vec<VersionInfo>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "Retired already", body = ErrorBody),
        (status = 422, description = "A last day in the past, or no notice", body = ErrorBody)))]
pub async fn retire(
    State(state): State<AppState>,
    who: PolicyStaff,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<Retirement>,
) -> Result<Json<Vec<VersionInfo>>, ApiError> {
    if !who.approves {
        return Err(ApiError::forbidden());
    }
    let notice = note("notice", &body.notice)?;
    if body.last_day < today_shanghai().add_days(-1) {
        return Err(ApiError::invalid_field_because("last_day", "date_past"));
    }
    let rows = versions_of(&state, Some(&id)).await?;
    if rows.is_empty() {
        return Err(ApiError::not_found());
    }
    if rows.iter().any(|r| r.status == "retired") {
        return Err(ApiError::conflict("policy_retired").worded("policy_admin.err_retired"));
    }
    let at = now_utc();
    let last = body.last_day;
    let mut tx = state.db.begin().await?;
    for r in rows.iter().filter(|r| r.status == "published") {
        // A version that would only start after the last day never applies.
        let until = match (r.info.effective_from, r.info.effective_until) {
            (Some(f), _) if f > last => f.add_days(-1),
            (_, Some(u)) if u < last => u,
            _ => last,
        };
        sqlx::query(
            "UPDATE policy_versions SET status = 'retired', effective_until = $1, retired_at = $2, \
             retirement_kind = $3, retirement_notice = $4, updated_at = $2 WHERE policy_id = $5 AND version = $6",
        )
        .bind(until.to_string())
        .bind(&at)
        .bind(body.kind.as_str())
        .bind(&notice)
        .bind(&id)
        .bind(i64::from(r.info.version))
        .execute(&mut *tx)
        .await?;
    }
    mark_changed(&mut tx).await.map_err(ApiError::internal)?;
    tx.commit().await?;
    state
        .policies
        .reload(&state.db)
        .await
        .map_err(ApiError::internal)?;
    Ok(Json(
        versions_of(&state, Some(&id))
            .await?
            .into_iter()
            .map(|r| r.info)
            .collect(),
    ))
}

//! A department's review of applications for its policies (线上申报): the queue with the
//! working days left (overdue first), the whole application with the rules' check on the
//! departments' data (every read written to the applicant's access log), its materials, and
//! the reviewer's step: approve, return with reasons, or reject.

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::Json;

use api::claim::{Claim, ClaimQueue, ClaimStatus, ClaimStepRequest};
use api::ErrorBody;

use crate::accounts::auth::{StaffWith, SubsidyReview};
use crate::platform::db::{format_utc, now};
use crate::platform::error::ApiError;
use crate::platform::i18n::Lang;
use crate::platform::json::ApiJson;
use crate::platform::upload;
use crate::subsidies::claim_life::{self, By};
use crate::subsidies::claim_steps::take_step;
use crate::subsidies::claims::{load, render, summaries, Loaded, WHAT_CLAIM};
use crate::AppState;

/// The reviewer's department, as their account names it.
async fn department(state: &AppState, staff: i64) -> Result<String, ApiError> {
    Ok(
        sqlx::query_scalar("SELECT department FROM staff WHERE id = $1")
            .bind(staff)
            .fetch_optional(&state.db.pool)
            .await?
            .unwrap_or_default(),
    )
}

/// Application `id`, when it is sent and its policy is reviewed by the reviewer's department
/// (404 otherwise: a draft is the applicant's own, another department's is not theirs).
async fn theirs(state: &AppState, staff: i64, id: i64) -> Result<Loaded, ApiError> {
    let c = load(state, id).await?;
    let dept = department(state, staff).await?;
    if c.status == ClaimStatus::Draft || c.spec().department.zh_cn != dept {
        return Err(ApiError::not_found());
    }
    Ok(c)
}

async fn log_read(state: &AppState, c: &Loaded, staff: i64) -> Result<(), ApiError> {
    sqlx::query(
        "INSERT INTO data_access_log (user_id, staff_id, reason, what, at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(c.user)
    .bind(staff)
    .bind(&c.number)
    .bind(WHAT_CLAIM)
    .bind(format_utc(now()))
    .execute(&state.db.pool)
    .await?;
    Ok(())
}

/// The reviewer's queue: applications waiting for their department, overdue first, then the
/// nearest due date; and what was decided in the last 30 days.
#[utoipa::path(get, path = "/api/staff/claims", tag = "subsidies",
    responses((status = 200, body = ClaimQueue), (status = 403, body = ErrorBody)))]
pub async fn queue(
    State(state): State<AppState>,
    staff: StaffWith<SubsidyReview>,
) -> Result<Json<ClaimQueue>, ApiError> {
    let dept = department(&state, staff.staff).await?;
    // Policy ids are the policy files' own (lowercase letters, digits and -), never input.
    let published = state.policies.get();
    let ours: Vec<String> = published
        .all()
        .iter()
        .filter(|p| {
            p.application
                .as_ref()
                .is_some_and(|a| a.department.zh_cn == dept)
        })
        .map(|p| format!("'{}'", p.id.replace('\'', "")))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    if ours.is_empty() {
        return Ok(Json(ClaimQueue {
            department: dept,
            waiting: Vec::new(),
            decided: Vec::new(),
        }));
    }
    let list = ours.join(", ");
    let mut waiting = summaries(
        &state,
        &format!(
            "c.status IN {} AND c.policy_id IN ({list})",
            claim_life::statuses_sql(claim_life::with_department)
        ),
        None,
    )
    .await?;
    waiting.sort_by_key(|c| (c.working_days_left.unwrap_or(i64::MAX), c.id));
    let since = format_utc(now() - time::Duration::days(30));
    let decided = summaries(
        &state,
        &format!("c.decided_at > '{since}' AND c.policy_id IN ({list})"),
        None,
    )
    .await?;
    Ok(Json(ClaimQueue {
        department: dept,
        waiting,
        decided,
    }))
}

/// The whole application with the rules' check now; the read is written to the applicant's
/// access log.
#[utoipa::path(get, path = "/api/staff/claims/{id}", tag = "subsidies",
    params(("id" = i64, Path)),
    responses((status = 200, body = Claim), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn claim(
    State(state): State<AppState>,
    staff: StaffWith<SubsidyReview>,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Result<Json<Claim>, ApiError> {
    let c = theirs(&state, staff.staff, id).await?;
    log_read(&state, &c, staff.staff).await?;
    Ok(Json(
        render(&state, &c, By::Reviewer, Lang::from_headers(&headers)).await?,
    ))
}

/// One material of an application (the read is logged).
#[utoipa::path(get, path = "/api/staff/claims/{id}/materials/{material}", tag = "subsidies",
    params(("id" = i64, Path), ("material" = String, Path)),
    responses((status = 200, description = "The file"), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn material(
    State(state): State<AppState>,
    staff: StaffWith<SubsidyReview>,
    Path((id, material)): Path<(i64, String)>,
) -> Result<axum::response::Response, ApiError> {
    let c = theirs(&state, staff.staff, id).await?;
    let m = c.material(&material).ok_or_else(ApiError::not_found)?;
    log_read(&state, &c, staff.staff).await?;
    upload::serve(
        state.storage.as_ref(),
        &m.storage_key,
        &m.upload.content_type,
    )
    .await
}

/// The reviewer's step: approve (the rules decide the amount on the departments' data now and
/// the grant pays through the outbox), return with a reason (and materials to replace), or
/// reject with the reason.
#[utoipa::path(post, path = "/api/staff/claims/{id}/steps", tag = "subsidies",
    params(("id" = i64, Path)),
    request_body = ClaimStepRequest,
    responses(
        (status = 200, body = Claim),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "Not a step a reviewer can take now, or the subject no longer qualifies", body = ErrorBody),
        (status = 422, description = "A missing or unreadable reason, or an unknown material", body = ErrorBody),
    ))]
pub async fn step(
    State(state): State<AppState>,
    staff: StaffWith<SubsidyReview>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    ApiJson(req): ApiJson<ClaimStepRequest>,
) -> Result<Json<Claim>, ApiError> {
    let lang = Lang::from_headers(&headers);
    let c = theirs(&state, staff.staff, id).await?;
    Box::pin(take_step(
        &state,
        &c,
        By::Reviewer,
        None,
        Some(staff.staff),
        &req,
        lang,
    ))
    .await?;
    let c = load(&state, id).await?;
    Ok(Json(render(&state, &c, By::Reviewer, lang).await?))
}

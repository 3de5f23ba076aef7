//! Starting an application, listing one's own, and saving answers as they are typed.

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use sqlx::Row;

use api::licence::{AnswersUpdate, Application, ApplicationSummary, NewApplication, Stage};
use api::ErrorBody;
use licensing::workflow;

use super::application::{applicant_view, form_error, load, stages_sql, summaries, uscc_is_own};
use super::catalogue::current_catalogue;
use super::Applicant;
use crate::platform::db::{now_utc, today_shanghai};
use crate::platform::error::ApiError;
use crate::platform::json::ApiJson;
use crate::AppState;

/// The longest answer, in characters.
const ANSWER_MAX: usize = 2000;

/// Starts an application: a draft with the questions and materials of the chosen permits,
/// what Zhida already knows filled in (the phone; the enterprise's name and code when acting
/// for one; the ID number when recorded).
#[utoipa::path(post, path = "/api/licences/applications", tag = "licences",
    request_body = NewApplication,
    responses(
        (status = 201, body = Application),
        (status = 401, body = ErrorBody),
        (status = 403, description = "Acting for an enterprise without the licences scope", body = ErrorBody),
        (status = 422, description = "An unknown business type or permit, or a permit named twice", body = ErrorBody),
    ))]
pub async fn create(
    State(state): State<AppState>,
    who: Applicant,
    headers: HeaderMap,
    ApiJson(body): ApiJson<NewApplication>,
) -> Result<(StatusCode, Json<Application>), ApiError> {
    let catalogue = current_catalogue(&state).await?;
    let form = licensing::catalogue::form(&catalogue, &body.business_type, &body.permits)
        .map_err(form_error)?;
    let user = sqlx::query("SELECT phone_enc, phone_hash, id_number_enc FROM users WHERE id = $1")
        .bind(who.user)
        .fetch_one(&state.db.pool)
        .await?;
    let mut answers = BTreeMap::new();
    answers.insert(
        "applicant.phone".to_owned(),
        state
            .vault
            .decrypt(&user.try_get::<Vec<u8>, _>("phone_enc")?)?,
    );
    if let Some(sealed) = user.try_get::<Option<Vec<u8>>, _>("id_number_enc")? {
        answers.insert(
            "applicant.id_number".to_owned(),
            state.vault.decrypt(&sealed)?,
        );
    }
    if let Some(e) = who.enterprise {
        let (uscc, name): (String, String) =
            sqlx::query_as("SELECT uscc, name FROM enterprises WHERE id = $1")
                .bind(e)
                .fetch_one(&state.db.pool)
                .await?;
        answers.insert("business.uscc".to_owned(), uscc);
        answers.insert("business.name".to_owned(), name);
    }
    let stamp = now_utc();
    let codes: Vec<&str> = form.permits.iter().map(|p| p.code.as_str()).collect();
    let mut tx = state.db.begin().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO licence_applications (number, user_id, enterprise_id, catalogue_version, business_type, permits, stage, answers_enc, business_name, phone_hash, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11) RETURNING id",
    )
    .bind(format!("pending-{}", uuid::Uuid::new_v4()))
    .bind(who.user)
    .bind(who.enterprise)
    .bind(catalogue.version)
    .bind(&body.business_type)
    .bind(codes.join(","))
    .bind(Stage::Draft.as_str())
    .bind(state.vault.encrypt(&serde_json::to_string(&answers).map_err(ApiError::internal)?))
    .bind(answers.get("business.name").cloned().unwrap_or_default())
    .bind(user.try_get::<Vec<u8>, _>("phone_hash")?)
    .bind(&stamp)
    .fetch_one(&mut *tx)
    .await?;
    let day = today_shanghai();
    let number = format!(
        "YZT-{:04}{:02}{:02}-{id:05}",
        day.year(),
        day.month(),
        day.day()
    );
    sqlx::query("UPDATE licence_applications SET number = $1 WHERE id = $2")
        .bind(&number)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok((
        StatusCode::CREATED,
        applicant_view(&state, id, who, &headers).await?,
    ))
}

/// The caller's applications, newest first.
#[utoipa::path(get, path = "/api/licences/applications", tag = "licences",
    responses((status = 200, body = [ApplicationSummary]), (status = 401, body = ErrorBody)))]
pub async fn mine(
    State(state): State<AppState>,
    who: Applicant,
) -> Result<Json<Vec<ApplicationSummary>>, ApiError> {
    let (filter, binds) = match who.enterprise {
        Some(e) => (
            "user_id = $1 AND enterprise_id = $2",
            vec![Some(who.user), Some(e)],
        ),
        None => (
            "user_id = $1 AND enterprise_id IS NULL",
            vec![Some(who.user)],
        ),
    };
    let mut list = summaries(&state, filter, binds, None).await?;
    list.sort_by(|a, b| b.updated_at.cmp(&a.updated_at));
    Ok(Json(list))
}

/// One of the caller's applications, whole.
#[utoipa::path(get, path = "/api/licences/applications/{id}", tag = "licences",
    params(("id" = i64, Path)),
    responses((status = 200, body = Application), (status = 404, body = ErrorBody)))]
pub async fn get_one(
    State(state): State<AppState>,
    who: Applicant,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Result<Json<Application>, ApiError> {
    applicant_view(&state, id, who, &headers).await
}

/// Saves answers (merged into those saved before). Answers are kept even when wrong, so
/// nothing typed is lost; the problems come back with the application, in words.
#[utoipa::path(put, path = "/api/licences/applications/{id}/answers", tag = "licences",
    params(("id" = i64, Path)),
    request_body = AnswersUpdate,
    responses(
        (status = 200, body = Application),
        (status = 404, body = ErrorBody),
        (status = 409, description = "The application is no longer with the applicant", body = ErrorBody),
        (status = 422, description = "A field this form does not ask, or an answer over 2,000 characters", body = ErrorBody),
    ))]
pub async fn save_answers(
    State(state): State<AppState>,
    who: Applicant,
    headers: HeaderMap,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<AnswersUpdate>,
) -> Result<Json<Application>, ApiError> {
    // Merged onto what is stored, and written only if nobody wrote in between (the stored
    // blob is the check: each write's nonce makes it unique); otherwise merged again.
    let mut written = false;
    for _ in 0..10 {
        let a = Box::pin(load(&state, id, Some(who))).await?;
        if !workflow::waits_for_applicant(a.stage) {
            return Err(ApiError::conflict("not_editable"));
        }
        let mut answers = a.answers.clone();
        for (key, value) in &body.answers {
            if !a.form.asks(key) {
                return Err(ApiError::invalid_field_because(
                    format!("answers.{key}"),
                    "unknown_field",
                ));
            }
            if value.chars().count() > ANSWER_MAX {
                return Err(
                    ApiError::invalid_field_because(format!("answers.{key}"), "too_long")
                        .with_arg("max", ANSWER_MAX.to_string()),
                );
            }
            // A malformed code is kept and explained like any wrong answer; a well-formed one
            // must be the acting enterprise's own.
            if key == "business.uscc"
                && api::Uscc::parse(value).is_ok()
                && !uscc_is_own(&state, who.enterprise, value).await?
            {
                return Err(ApiError::invalid_field_because(
                    format!("answers.{key}"),
                    "uscc_not_yours",
                ));
            }
            let value = value.trim().to_owned();
            if value.is_empty() {
                answers.remove(key);
            } else {
                answers.insert(key.clone(), value);
            }
        }
        let updated = sqlx::query(&format!(
            "UPDATE licence_applications SET answers_enc = $1, business_name = $2, updated_at = $3 \
             WHERE id = $4 AND stage IN {} AND answers_enc = $5",
            stages_sql(licensing::workflow::waits_for_applicant)
        ))
        .bind(
            state
                .vault
                .encrypt(&serde_json::to_string(&answers).map_err(ApiError::internal)?),
        )
        .bind(answers.get("business.name").cloned().unwrap_or_default())
        .bind(now_utc())
        .bind(id)
        .bind(a.answers_enc.clone())
        .execute(&state.db.pool)
        .await?
        .rows_affected();
        if updated == 1 {
            written = true;
            break;
        }
    }
    if !written {
        return Err(ApiError::conflict("stage_changed"));
    }
    applicant_view(&state, id, who, &headers).await
}

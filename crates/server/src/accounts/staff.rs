//! What staff do with people's records. Every read of a person's record is written to the
//! access log that the person sees.

use axum::extract::{Path, State};
use axum::Json;
use serde::{Deserialize, Serialize};
use sqlx::Row;

use api::ErrorBody;

use crate::accounts::auth::{Principal, Session};
use crate::platform::db::{format_utc, now};
use crate::platform::error::ApiError;
use crate::AppState;

#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReadReason {
    /// Why the record is read, e.g. "一照通申请 YZT-2026-000123 审核". Required; shown to the person.
    pub reason: String,
}

/// What a read showed, as recorded in the access log: a code the app words in the person's
/// language (`account.what_{code}` in the locale files).
pub const WHAT_PROFILE: &str = "profile";

/// A person's record as staff see it: numbers masked.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PersonRecord {
    pub id: i64,
    pub phone: String,
    pub name: Option<String>,
    pub id_number: Option<String>,
}

/// Reads a person's record, logging who, when and why. A POST: it writes the access log, so it
/// carries the CSRF header like every other state change.
#[utoipa::path(post, path = "/api/staff/people/{id}/read", tag = "staff", params(("id" = i64, Path)), request_body = ReadReason,
    responses(
        (status = 200, body = PersonRecord),
        (status = 403, description = "Not staff", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 422, description = "No reason given", body = ErrorBody),
    ))]
pub async fn read_person(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<i64>,
    crate::platform::json::ApiJson(q): crate::platform::json::ApiJson<ReadReason>,
) -> Result<Json<PersonRecord>, ApiError> {
    let Principal::Staff(staff) = session.principal else {
        return Err(ApiError::forbidden_because("staff_only"));
    };
    let reason = q.reason.trim();
    if reason.is_empty() {
        return Err(ApiError::invalid_field(
            "reason",
            api::ValidationError::Required,
        ));
    }
    if reason.chars().count() > 200 {
        return Err(ApiError::invalid_field_because("reason", "too_long").with_arg("max", "200"));
    }
    let row = sqlx::query("SELECT phone_enc, name, id_number_enc FROM users WHERE id = $1")
        .bind(id)
        .fetch_optional(&state.db.pool)
        .await?
        .ok_or_else(ApiError::not_found)?;
    sqlx::query("INSERT INTO data_access_log (user_id, staff_id, reason, what, at) VALUES ($1, $2, $3, $4, $5)")
        .bind(id)
        .bind(staff)
        .bind(reason)
        .bind(WHAT_PROFILE)
        .bind(format_utc(now()))
        .execute(&state.db.pool)
        .await?;
    tracing::info!(staff, person = id, "staff read a person's record");
    let phone = state
        .vault
        .masked_phone(&row.try_get::<Vec<u8>, _>("phone_enc")?)?;
    let id_number = row
        .try_get::<Option<Vec<u8>>, _>("id_number_enc")?
        .map(|sealed| state.vault.masked_id_number(&sealed))
        .transpose()?;
    Ok(Json(PersonRecord {
        id,
        phone,
        name: row.try_get("name")?,
        id_number,
    }))
}

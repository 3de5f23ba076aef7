//! 家人代办: a resident authorises a family member, by phone, to handle their subsidies (see
//! them, accept or decline, apply, object) until a date; the resident sees every such
//! authorisation and revokes it at once. The family member then chooses "acting for" the
//! resident as an enterprise's agent does (`POST /api/me/acting-for` with `person_id`), and
//! every act of theirs is written in the resident's access log.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use sqlx::Row;

use api::account::{AccessLogEntry, Agent, FamilyAccess, NewAgent};
use api::ErrorBody;

use crate::accounts::account::{agent_from, ended, new_agent, stored_date};
use crate::accounts::auth::Person;
use crate::platform::db::{format_utc, now, today_shanghai};
use crate::platform::error::ApiError;
use crate::platform::json::ApiJson;
use crate::AppState;

const FAMILY_SELECT: &str = "SELECT a.id, u.phone_enc, a.scope_subsidies, 0 AS scope_licences, \
     a.expires_at, a.revoked_at FROM family_agents a JOIN users u ON u.id = a.user_id";

/// The family members this person has authorised, newest first.
#[utoipa::path(get, path = "/api/me/family-agents", tag = "account",
    responses((status = 200, body = Vec<Agent>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn family_agents(
    State(state): State<AppState>,
    person: Person,
) -> Result<Json<Vec<Agent>>, ApiError> {
    let rows = sqlx::query(&format!(
        "{FAMILY_SELECT} WHERE a.principal_user_id = $1 ORDER BY a.id DESC"
    ))
    .bind(person.0)
    .fetch_all(&state.db.pool)
    .await?;
    let today = today_shanghai();
    rows.iter()
        .map(|r| agent_from(&state, r, today))
        .collect::<Result<_, _>>()
        .map(Json)
}

/// Authorises a family member (by phone) to handle this person's subsidies until a date.
#[utoipa::path(post, path = "/api/me/family-agents", tag = "account", request_body = NewAgent,
    responses(
        (status = 201, body = Agent),
        (status = 401, body = ErrorBody),
        (status = 409, description = "Already authorised, or one's own phone", body = ErrorBody),
        (status = 422, description = "Without subsidies, with licences, or an end date in the past", body = ErrorBody),
        (status = 429, body = ErrorBody),
    ))]
pub async fn add_family_agent(
    State(state): State<AppState>,
    person: Person,
    ApiJson(body): ApiJson<NewAgent>,
) -> Result<(StatusCode, Json<Agent>), ApiError> {
    // A family member handles the person's subsidies; licences are a business's, not theirs.
    if !body.scopes.subsidies || body.scopes.licences {
        return Err(ApiError::invalid_field_because("scopes", "family_scope"));
    }
    let (user, today) = new_agent(
        &state,
        person.0,
        person.0,
        &body,
        "SELECT id FROM family_agents WHERE principal_user_id = $1 AND user_id = $2 \
         AND revoked_at IS NULL AND expires_at >= $3",
    )
    .await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO family_agents (principal_user_id, user_id, scope_subsidies, expires_at, created_at) \
         VALUES ($1, $2, 1, $3, $4) RETURNING id",
    )
    .bind(person.0)
    .bind(user)
    .bind(body.expires_on.to_string())
    .bind(format_utc(now()))
    .fetch_one(&state.db.pool)
    .await?;
    let row = sqlx::query(&format!("{FAMILY_SELECT} WHERE a.id = $1"))
        .bind(id)
        .fetch_one(&state.db.pool)
        .await?;
    Ok((StatusCode::CREATED, Json(agent_from(&state, &row, today)?)))
}

/// Revokes a family member's authorisation at once: their next act is refused.
#[utoipa::path(delete, path = "/api/me/family-agents/{agent}", tag = "account", params(("agent" = i64, Path)),
    responses((status = 204), (status = 401, body = ErrorBody),
        (status = 404, description = "No such authorisation of this person still in force", body = ErrorBody)))]
pub async fn revoke_family_agent(
    State(state): State<AppState>,
    person: Person,
    Path(agent): Path<i64>,
) -> Result<StatusCode, ApiError> {
    let done = sqlx::query(
        "UPDATE family_agents SET revoked_at = $1 WHERE id = $2 AND principal_user_id = $3 AND revoked_at IS NULL",
    )
    .bind(format_utc(now()))
    .bind(agent)
    .bind(person.0)
    .execute(&state.db.pool)
    .await?
    .rows_affected();
    ended(done)
}

/// The family members `user` may act for today.
pub async fn family_of(state: &AppState, user: i64) -> Result<Vec<FamilyAccess>, ApiError> {
    let rows = sqlx::query(
        "SELECT p.id, p.name, p.phone_enc, a.expires_at FROM family_agents a JOIN users p ON p.id = a.principal_user_id \
         WHERE a.user_id = $1 AND a.revoked_at IS NULL AND a.expires_at >= $2 AND a.scope_subsidies = 1 ORDER BY a.id",
    )
    .bind(user)
    .bind(today_shanghai().to_string())
    .fetch_all(&state.db.pool)
    .await?;
    let mut out = Vec::new();
    for r in rows {
        let name: Option<String> = r.try_get("name")?;
        let name = match name {
            Some(n) => n,
            None => state
                .vault
                .masked_phone(&r.try_get::<Vec<u8>, _>("phone_enc")?)?,
        };
        out.push(FamilyAccess {
            id: r.try_get("id")?,
            name,
            expires_on: stored_date(&r, "expires_at")?,
        });
    }
    Ok(out)
}

/// What family agents did for `user`, for their access log.
pub async fn acts_for(state: &AppState, user: i64) -> Result<Vec<AccessLogEntry>, ApiError> {
    let rows = sqlx::query(
        "SELECT f.at, f.what, u.phone_enc FROM family_acts f JOIN users u ON u.id = f.agent_user_id \
         WHERE f.principal_user_id = $1 ORDER BY f.at DESC, f.id DESC LIMIT 200",
    )
    .bind(user)
    .fetch_all(&state.db.pool)
    .await?;
    let mut out = Vec::new();
    for r in rows {
        out.push(AccessLogEntry {
            at: r.try_get("at")?,
            staff_name: state
                .vault
                .masked_phone(&r.try_get::<Vec<u8>, _>("phone_enc")?)?,
            department: String::new(),
            reason: String::new(),
            what: r.try_get("what")?,
            by_family: true,
        });
    }
    Ok(out)
}

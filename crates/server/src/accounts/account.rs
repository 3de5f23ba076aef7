//! What an account sees of itself: who it is, its enterprises and agents, its signed-in
//! devices, and who among the staff looked at its data.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use sqlx::Row;

use api::account::{
    AccessLogEntry, ActFor, Agent, EnterpriseAccess, EnterpriseRole, Me, NewAgent, Permission,
    Scopes, SessionInfo,
};
use api::{Date, ErrorBody};

use crate::accounts::auth::{may_act, may_act_for_person, Person, Principal, Session};
use crate::platform::db::{format_utc, now};
use crate::platform::error::ApiError;
use crate::platform::json::ApiJson;
use crate::AppState;

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
pub struct MeQuery {
    /// `phone` shows the owner's own phone number unmasked.
    reveal: Option<String>,
}

/// Who is logged in, with personal numbers masked (the owner may reveal their own phone).
#[utoipa::path(get, path = "/api/me", tag = "account", params(MeQuery),
    responses((status = 200, body = Me), (status = 401, body = ErrorBody)))]
pub async fn me(
    State(state): State<AppState>,
    session: Session,
    Query(q): Query<MeQuery>,
) -> Result<Json<Me>, ApiError> {
    let reveal = q.reveal.as_deref() == Some("phone");
    Ok(Json(
        me_for(
            &state,
            session.principal,
            (session.acting_for, session.acting_for_person),
            reveal,
        )
        .await?,
    ))
}

/// Who is logged in, if anyone: `null` (not a 401) when nobody is, so that the app can ask at
/// every start without an error.
#[utoipa::path(get, path = "/api/auth/session", tag = "auth", responses((status = 200, body = Option<Me>)))]
pub async fn current(
    State(state): State<AppState>,
    session: Result<Session, ApiError>,
) -> Result<Json<Option<Me>>, ApiError> {
    match session {
        Ok(s) => Ok(Json(Some(
            me_for(
                &state,
                s.principal,
                (s.acting_for, s.acting_for_person),
                false,
            )
            .await?,
        ))),
        Err(e) if e.status() == axum::http::StatusCode::UNAUTHORIZED => Ok(Json(None)),
        Err(e) => Err(e),
    }
}

pub async fn me_for(
    state: &AppState,
    principal: Principal,
    acting: (Option<i64>, Option<i64>),
    reveal_phone: bool,
) -> Result<Me, ApiError> {
    let (acting_for, acting_for_person) = acting;
    match principal {
        Principal::Person(id) => {
            let row = sqlx::query("SELECT phone_enc, name, id_number_enc FROM users WHERE id = $1")
                .bind(id)
                .fetch_optional(&state.db.pool)
                .await?
                .ok_or_else(ApiError::unauthenticated)?;
            let sealed_phone: Vec<u8> = row.try_get("phone_enc")?;
            let phone = if reveal_phone {
                state.vault.decrypt(&sealed_phone)?
            } else {
                state.vault.masked_phone(&sealed_phone)?
            };
            let id_number = row
                .try_get::<Option<Vec<u8>>, _>("id_number_enc")?
                .map(|sealed| state.vault.masked_id_number(&sealed))
                .transpose()?;
            Ok(Me::Person {
                id,
                phone,
                name: row.try_get("name")?,
                id_number,
                enterprises: enterprises_of(state, id).await?,
                // Shown only while still allowed (an authorisation may have ended since).
                acting_for: match acting_for {
                    Some(e) if crate::accounts::auth::may_act(state, id, e, None).await? => Some(e),
                    _ => None,
                },
                family: crate::accounts::family::family_of(state, id).await?,
                acting_for_person: match acting_for_person {
                    Some(p) if may_act_for_person(state, id, p).await? => Some(p),
                    _ => None,
                },
            })
        }
        Principal::Staff(id) => {
            let row = sqlx::query(
                "SELECT username, display_name, department, permissions FROM staff WHERE id = $1",
            )
            .bind(id)
            .fetch_optional(&state.db.pool)
            .await?
            .ok_or_else(ApiError::unauthenticated)?;
            let permissions: String = row.try_get("permissions")?;
            Ok(Me::Staff {
                id,
                username: row.try_get("username")?,
                display_name: row.try_get("display_name")?,
                department: row.try_get("department")?,
                permissions: permissions
                    .split(',')
                    .filter_map(|p| Permission::parse(p.trim()))
                    .collect(),
            })
        }
    }
}

/// The enterprises a person may act for today: as legal representative, or as an agent in force.
async fn enterprises_of(state: &AppState, user: i64) -> Result<Vec<EnterpriseAccess>, ApiError> {
    let mut out = Vec::new();
    for row in sqlx::query(
        "SELECT id, name, uscc FROM enterprises WHERE legal_rep_user_id = $1 ORDER BY id",
    )
    .bind(user)
    .fetch_all(&state.db.pool)
    .await?
    {
        out.push(EnterpriseAccess {
            id: row.try_get("id")?,
            name: row.try_get("name")?,
            uscc: row.try_get("uscc")?,
            role: EnterpriseRole::LegalRepresentative,
            scopes: Scopes {
                subsidies: true,
                licences: true,
            },
            expires_on: None,
        });
    }
    let today = crate::platform::db::today_shanghai().to_string();
    let rows = sqlx::query(
        "SELECT e.id, e.name, e.uscc, a.scope_subsidies, a.scope_licences, a.expires_at FROM enterprise_agents a \
         JOIN enterprises e ON e.id = a.enterprise_id \
         WHERE a.user_id = $1 AND a.revoked_at IS NULL AND a.expires_at >= $2 ORDER BY e.id",
    )
    .bind(user)
    .bind(today)
    .fetch_all(&state.db.pool)
    .await?;
    for row in rows {
        out.push(EnterpriseAccess {
            id: row.try_get("id")?,
            name: row.try_get("name")?,
            uscc: row.try_get("uscc")?,
            role: EnterpriseRole::Agent,
            scopes: Scopes {
                subsidies: row.try_get::<i64, _>("scope_subsidies")? == 1,
                licences: row.try_get::<i64, _>("scope_licences")? == 1,
            },
            expires_on: row.try_get::<String, _>("expires_at")?.parse().ok(),
        });
    }
    Ok(out)
}

/// Chooses whom to act for: an enterprise, a family member who authorised this person, or
/// (both `null`) oneself.
#[utoipa::path(post, path = "/api/me/acting-for", tag = "account", request_body = ActFor,
    responses((status = 200, body = Me), (status = 401, body = ErrorBody),
        (status = 404, description = "Not an enterprise or a person this person may act for", body = ErrorBody),
        (status = 422, description = "Both an enterprise and a person", body = ErrorBody)))]
pub async fn act_for(
    State(state): State<AppState>,
    session: Session,
    person: Person,
    ApiJson(body): ApiJson<ActFor>,
) -> Result<Json<Me>, ApiError> {
    if body.enterprise_id.is_some() && body.person_id.is_some() {
        return Err(ApiError::invalid_field_because(
            "person_id",
            "one_at_a_time",
        ));
    }
    if let Some(enterprise) = body.enterprise_id {
        if !may_act(&state, person.0, enterprise, None).await? {
            return Err(ApiError::not_found());
        }
    }
    if let Some(principal) = body.person_id {
        if !may_act_for_person(&state, person.0, principal).await? {
            return Err(ApiError::not_found());
        }
    }
    sqlx::query("UPDATE sessions SET acting_for = $1, acting_for_person = $2 WHERE id = $3")
        .bind(body.enterprise_id)
        .bind(body.person_id)
        .bind(session.id)
        .execute(&state.db.pool)
        .await?;
    let acting = (body.enterprise_id, body.person_id);
    Ok(Json(
        me_for(&state, session.principal, acting, false).await?,
    ))
}

/// The account's signed-in devices.
#[utoipa::path(get, path = "/api/me/sessions", tag = "account", responses((status = 200, body = Vec<SessionInfo>), (status = 401, body = ErrorBody)))]
pub async fn sessions(
    State(state): State<AppState>,
    session: Session,
) -> Result<Json<Vec<SessionInfo>>, ApiError> {
    let (column, id) = owner(&session);
    let rows = sqlx::query(&format!(
        "SELECT id, created_at, last_seen_at, user_agent FROM sessions \
         WHERE {column} = $1 AND revoked_at IS NULL AND idle_expires_at > $2 AND absolute_expires_at > $2 ORDER BY last_seen_at DESC"
    ))
    .bind(id)
    .bind(format_utc(now()))
    .fetch_all(&state.db.pool)
    .await?;
    rows.iter()
        .map(|r| {
            let sid: i64 = r.try_get("id")?;
            Ok(SessionInfo {
                id: sid,
                current: sid == session.id,
                created_at: r.try_get("created_at")?,
                last_seen_at: r.try_get("last_seen_at")?,
                user_agent: r.try_get("user_agent")?,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()
        .map(Json)
        .map_err(ApiError::from)
}

fn owner(session: &Session) -> (&'static str, i64) {
    match session.principal {
        Principal::Person(id) => ("user_id", id),
        Principal::Staff(id) => ("staff_id", id),
    }
}

/// Signs one of the account's devices out.
#[utoipa::path(delete, path = "/api/me/sessions/{id}", tag = "account", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, description = "Not a session of this account", body = ErrorBody)))]
pub async fn end_session(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    let (column, owner_id) = owner(&session);
    let done = sqlx::query(&format!("UPDATE sessions SET revoked_at = $1 WHERE id = $2 AND {column} = $3 AND revoked_at IS NULL"))
        .bind(format_utc(now()))
        .bind(id)
        .bind(owner_id)
        .execute(&state.db.pool)
        .await?
        .rows_affected();
    ended(done)
}

/// Who among the staff looked at this person's data, when and why; and what family members
/// acting for them did.
#[utoipa::path(get, path = "/api/me/access-log", tag = "account", responses((status = 200, body = Vec<AccessLogEntry>), (status = 401, body = ErrorBody)))]
pub async fn access_log(
    State(state): State<AppState>,
    person: Person,
) -> Result<Json<Vec<AccessLogEntry>>, ApiError> {
    let rows = sqlx::query(
        "SELECT l.at, s.display_name, s.department, l.reason, l.what FROM data_access_log l JOIN staff s ON s.id = l.staff_id \
         WHERE l.user_id = $1 ORDER BY l.at DESC, l.id DESC LIMIT 200",
    )
    .bind(person.0)
    .fetch_all(&state.db.pool)
    .await?;
    let mut entries = rows
        .iter()
        .map(|r| {
            Ok(AccessLogEntry {
                at: r.try_get("at")?,
                staff_name: r.try_get("display_name")?,
                department: r.try_get("department")?,
                reason: r.try_get("reason")?,
                what: r.try_get("what")?,
                by_family: false,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    entries.extend(crate::accounts::family::acts_for(&state, person.0).await?);
    // Newest first; RFC 3339 UTC text sorts as time does.
    entries.sort_by(|a, b| b.at.cmp(&a.at));
    entries.truncate(200);
    Ok(Json(entries))
}

/// The enterprise, if `user` is its legal representative; 404 otherwise (another's resource).
async fn represented(state: &AppState, user: i64, enterprise: i64) -> Result<(), ApiError> {
    let found: Option<i64> =
        sqlx::query_scalar("SELECT id FROM enterprises WHERE id = $1 AND legal_rep_user_id = $2")
            .bind(enterprise)
            .bind(user)
            .fetch_optional(&state.db.pool)
            .await?;
    found.map(|_| ()).ok_or_else(ApiError::not_found)
}

/// The enterprise's agents, for its legal representative.
#[utoipa::path(get, path = "/api/enterprises/{id}/agents", tag = "account", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<Agent>), (status = 404, description = "Not an enterprise this person represents", body = ErrorBody)))]
pub async fn agents(
    State(state): State<AppState>,
    person: Person,
    Path(enterprise): Path<i64>,
) -> Result<Json<Vec<Agent>>, ApiError> {
    represented(&state, person.0, enterprise).await?;
    let rows = sqlx::query(&format!(
        "{AGENT_SELECT} WHERE a.enterprise_id = $1 ORDER BY a.id DESC"
    ))
    .bind(enterprise)
    .fetch_all(&state.db.pool)
    .await?;
    let today = crate::platform::db::today_shanghai();
    let mut out = Vec::new();
    for r in rows {
        out.push(agent_from(&state, &r, today)?);
    }
    Ok(Json(out))
}

/// The columns [`agent_from`] reads.
const AGENT_SELECT: &str =
    "SELECT a.id, u.phone_enc, a.scope_subsidies, a.scope_licences, a.expires_at, a.revoked_at \
     FROM enterprise_agents a JOIN users u ON u.id = a.user_id";

/// A `YYYY-MM-DD` column read as a date.
pub(crate) fn stored_date(r: &sqlx::any::AnyRow, column: &str) -> Result<Date, ApiError> {
    r.try_get::<String, _>(column)?
        .parse()
        .map_err(|_| ApiError::internal("a stored date does not parse"))
}

pub(crate) fn agent_from(
    state: &AppState,
    r: &sqlx::any::AnyRow,
    today: Date,
) -> Result<Agent, ApiError> {
    let phone = state
        .vault
        .masked_phone(&r.try_get::<Vec<u8>, _>("phone_enc")?)?;
    let expires_on = stored_date(r, "expires_at")?;
    let revoked_at: Option<String> = r.try_get("revoked_at")?;
    Ok(Agent {
        id: r.try_get("id")?,
        phone,
        scopes: Scopes {
            subsidies: r.try_get::<i64, _>("scope_subsidies")? == 1,
            licences: r.try_get::<i64, _>("scope_licences")? == 1,
        },
        expires_on,
        active: revoked_at.is_none() && expires_on >= today,
        revoked_at,
    })
}

/// The checks every new authorisation passes, an enterprise's agent or a family member: at
/// most 20 an hour per person, an end date not in the past, not oneself, not one already in
/// force (`in_force` finds it: `$1` whom it is for, `$2` the agent, `$3` today). Returns the
/// agent's account (made for a phone seen for the first time) and today.
pub(crate) async fn new_agent(
    state: &AppState,
    person: i64,
    principal: i64,
    body: &NewAgent,
    in_force: &str,
) -> Result<(i64, Date), ApiError> {
    crate::platform::ratelimit::hit(
        &state.db,
        &format!("agents:{person}"),
        crate::platform::ratelimit::Limit {
            max: 20,
            window_secs: 3600,
        },
    )
    .await?;
    let today = crate::platform::db::today_shanghai();
    if body.expires_on < today {
        return Err(ApiError::invalid_field_because("expires_on", "date_past"));
    }
    let user = crate::accounts::login::find_or_create_user(state, &body.phone).await?;
    if user == person {
        return Err(ApiError::conflict("self"));
    }
    let existing: Option<i64> = sqlx::query_scalar(in_force)
        .bind(principal)
        .bind(user)
        .bind(today.to_string())
        .fetch_optional(&state.db.pool)
        .await?;
    if existing.is_some() {
        return Err(ApiError::conflict("agent_exists"));
    }
    Ok((user, today))
}

/// Authorises a person (by phone) to act for the enterprise within a scope, until a date.
#[utoipa::path(post, path = "/api/enterprises/{id}/agents", tag = "account", params(("id" = i64, Path)), request_body = NewAgent,
    responses(
        (status = 201, body = Agent),
        (status = 404, description = "Not an enterprise this person represents", body = ErrorBody),
        (status = 409, description = "Already an active agent", body = ErrorBody),
        (status = 422, description = "No scope, or an end date in the past", body = ErrorBody),
    ))]
pub async fn add_agent(
    State(state): State<AppState>,
    person: Person,
    Path(enterprise): Path<i64>,
    ApiJson(body): ApiJson<NewAgent>,
) -> Result<(StatusCode, Json<Agent>), ApiError> {
    represented(&state, person.0, enterprise).await?;
    if !body.scopes.subsidies && !body.scopes.licences {
        return Err(ApiError::invalid_field_because("scopes", "scope_required"));
    }
    let (user, today) = new_agent(
        &state,
        person.0,
        enterprise,
        &body,
        "SELECT id FROM enterprise_agents WHERE enterprise_id = $1 AND user_id = $2 AND revoked_at IS NULL AND expires_at >= $3",
    )
    .await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO enterprise_agents (enterprise_id, user_id, scope_subsidies, scope_licences, expires_at, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(enterprise)
    .bind(user)
    .bind(i64::from(body.scopes.subsidies))
    .bind(i64::from(body.scopes.licences))
    .bind(body.expires_on.to_string())
    .bind(format_utc(now()))
    .fetch_one(&state.db.pool)
    .await?;
    let row = sqlx::query(&format!("{AGENT_SELECT} WHERE a.id = $1"))
        .bind(id)
        .fetch_one(&state.db.pool)
        .await?;
    Ok((StatusCode::CREATED, Json(agent_from(&state, &row, today)?)))
}

/// Revokes an agent's authorisation at once.
#[utoipa::path(delete, path = "/api/enterprises/{id}/agents/{agent}", tag = "account", params(("id" = i64, Path), ("agent" = i64, Path)),
    responses((status = 204), (status = 404, description = "No such agent of an enterprise this person represents", body = ErrorBody)))]
pub async fn revoke_agent(
    State(state): State<AppState>,
    person: Person,
    Path((enterprise, agent)): Path<(i64, i64)>,
) -> Result<StatusCode, ApiError> {
    represented(&state, person.0, enterprise).await?;
    let done = sqlx::query("UPDATE enterprise_agents SET revoked_at = $1 WHERE id = $2 AND enterprise_id = $3 AND revoked_at IS NULL")
        .bind(format_utc(now()))
        .bind(agent)
        .bind(enterprise)
        .execute(&state.db.pool)
        .await?
        .rows_affected();
    ended(done)
}
/// The answer to ending something of one's own: done (204) when one row was ended; otherwise
/// there was none of theirs still active (404).
pub(crate) fn ended(rows: u64) -> Result<StatusCode, ApiError> {
    if rows == 1 {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found())
    }
}

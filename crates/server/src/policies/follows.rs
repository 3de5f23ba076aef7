//! 政策找人 for what is new: a person follows policy categories and is told when a new policy in
//! one is published, in the app (我的) and by SMS or WeChat through the outbox (as they chose
//! for the group `new_policies`). A policy is announced once: the first time this service
//! serves it (today a release that adds it; with policy administration, its publication).

use std::collections::BTreeSet;

use axum::extract::State;
use axum::Json;
use sqlx::Row;

use api::account::{FollowedCategory, Follows, PolicyNotice};
use api::ErrorBody;

use crate::accounts::auth::Person;
use crate::platform::db::now_utc;
use crate::platform::error::ApiError;
use crate::platform::json::ApiJson;
use crate::policies::library::bi;
use crate::AppState;

/// The categories of the policies served, in order.
fn categories(state: &AppState) -> BTreeSet<String> {
    state
        .policies
        .get()
        .all()
        .iter()
        .map(|p| p.category.clone())
        .collect()
}

/// Every category, and whether the person follows it.
#[utoipa::path(get, path = "/api/me/follows", tag = "account",
    responses((status = 200, body = Vec<FollowedCategory>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn follows(
    State(state): State<AppState>,
    person: Person,
) -> Result<Json<Vec<FollowedCategory>>, ApiError> {
    Ok(Json(followed(&state, person.0).await?))
}

async fn followed(state: &AppState, user: i64) -> Result<Vec<FollowedCategory>, ApiError> {
    let mine: BTreeSet<String> =
        sqlx::query_scalar("SELECT category FROM policy_follows WHERE user_id = $1")
            .bind(user)
            .fetch_all(&state.db.pool)
            .await?
            .into_iter()
            .collect();
    Ok(categories(state)
        .into_iter()
        .map(|c| FollowedCategory {
            following: mine.contains(&c),
            category: c,
        })
        .collect())
}

/// Follows exactly these categories.
#[utoipa::path(put, path = "/api/me/follows", tag = "account", request_body = Follows,
    responses((status = 200, body = Vec<FollowedCategory>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, description = "A category no policy has", body = ErrorBody)))]
pub async fn set_follows(
    State(state): State<AppState>,
    person: Person,
    ApiJson(body): ApiJson<Follows>,
) -> Result<Json<Vec<FollowedCategory>>, ApiError> {
    let known = categories(&state);
    if let Some(i) = body.categories.iter().position(|c| !known.contains(c)) {
        return Err(ApiError::invalid_field_because(
            format!("categories[{i}]"),
            "unknown_category",
        ));
    }
    let mut tx = state.db.begin().await?;
    sqlx::query("DELETE FROM policy_follows WHERE user_id = $1")
        .bind(person.0)
        .execute(&mut *tx)
        .await?;
    let chosen: BTreeSet<&String> = body.categories.iter().collect();
    for c in chosen {
        sqlx::query(
            "INSERT INTO policy_follows (user_id, category, created_at) VALUES ($1, $2, $3)",
        )
        .bind(person.0)
        .bind(c)
        .bind(now_utc())
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(Json(followed(&state, person.0).await?))
}

/// The new policies the person was told of, newest first.
#[utoipa::path(get, path = "/api/me/policy-notices", tag = "account",
    responses((status = 200, body = Vec<PolicyNotice>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn notices(
    State(state): State<AppState>,
    person: Person,
) -> Result<Json<Vec<PolicyNotice>>, ApiError> {
    let rows = sqlx::query(
        "SELECT id, policy_id, created_at FROM policy_notices WHERE user_id = $1 ORDER BY id DESC LIMIT 50",
    )
    .bind(person.0)
    .fetch_all(&state.db.pool)
    .await?;
    let mut out = Vec::new();
    for r in rows {
        let policy: String = r.try_get("policy_id")?;
        // A policy no longer served is not shown (nothing to open).
        let Some(p) = state.policies.current(&policy) else {
            continue;
        };
        out.push(PolicyNotice {
            id: r.try_get("id")?,
            name: bi(&p.name),
            policy,
            created_at: r.try_get("created_at")?,
        });
    }
    Ok(Json(out))
}

/// Announces every served policy not announced before: each follower of its category is told
/// once. Returns how many people were told. Safe to run at every start and on several
/// servers at once (the announcement's key decides who announces).
pub async fn announce_new_policies(state: &AppState) -> anyhow::Result<usize> {
    let announced: BTreeSet<String> =
        sqlx::query_scalar("SELECT policy_id FROM policy_announcements")
            .fetch_all(&state.db.pool)
            .await?
            .into_iter()
            .collect();
    let mut told = 0;
    let published = state.policies.get();
    let today = crate::platform::db::today_shanghai();
    for policy in published
        .each_current(today)
        .into_iter()
        .filter(|p| !announced.contains(&p.id) && p.effective.until.is_none_or(|u| u >= today))
    {
        let at = now_utc();
        let mut tx = state.db.begin().await?;
        let first = sqlx::query(
            "INSERT INTO policy_announcements (policy_id, announced_at) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        )
        .bind(&policy.id)
        .bind(&at)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        if first {
            told += sqlx::query(
                "INSERT INTO policy_notices (user_id, policy_id, created_at) \
                 SELECT user_id, $1, $2 FROM policy_follows WHERE category = $3",
            )
            .bind(&policy.id)
            .bind(&at)
            .bind(&policy.category)
            .execute(&mut *tx)
            .await?
            .rows_affected() as usize;
        }
        tx.commit().await?;
    }
    Ok(told)
}

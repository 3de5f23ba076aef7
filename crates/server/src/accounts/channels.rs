//! How each person wants to be told outside the app (SMS, WeChat), per group of messages. The
//! app's inbox always shows everything; these settings only choose the other channels, which
//! the notification outbox reads for every message.

use axum::extract::State;
use axum::Json;
use sqlx::Row;

use api::account::{ChannelSetting, CHANNEL_GROUPS};
use api::ErrorBody;

use crate::accounts::auth::Person;
use crate::platform::error::ApiError;
use crate::platform::json::ApiJson;
use crate::AppState;

/// The person's channels for every group (both, where they chose nothing).
#[utoipa::path(get, path = "/api/me/channels", tag = "account",
    responses((status = 200, body = Vec<ChannelSetting>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn channels(
    State(state): State<AppState>,
    person: Person,
) -> Result<Json<Vec<ChannelSetting>>, ApiError> {
    Ok(Json(settings_of(&state, person.0).await?))
}

/// Saves the channels of the groups given (the others stay as they were).
#[utoipa::path(put, path = "/api/me/channels", tag = "account", request_body = Vec<ChannelSetting>,
    responses((status = 200, body = Vec<ChannelSetting>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, description = "An unknown group", body = ErrorBody)))]
pub async fn set_channels(
    State(state): State<AppState>,
    person: Person,
    ApiJson(body): ApiJson<Vec<ChannelSetting>>,
) -> Result<Json<Vec<ChannelSetting>>, ApiError> {
    for (i, s) in body.iter().enumerate() {
        if !CHANNEL_GROUPS.contains(&s.group.as_str()) {
            return Err(ApiError::invalid_field_because(
                format!("[{i}].group"),
                "unknown_group",
            ));
        }
    }
    let mut tx = state.db.begin().await?;
    for s in &body {
        sqlx::query(
            "INSERT INTO notification_channels (user_id, grp, sms, wechat) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (user_id, grp) DO UPDATE SET sms = excluded.sms, wechat = excluded.wechat",
        )
        .bind(person.0)
        .bind(&s.group)
        .bind(i64::from(s.sms))
        .bind(i64::from(s.wechat))
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(Json(settings_of(&state, person.0).await?))
}

/// Every group's channels for `user`, in [`CHANNEL_GROUPS`] order.
pub async fn settings_of(state: &AppState, user: i64) -> Result<Vec<ChannelSetting>, ApiError> {
    let rows = sqlx::query("SELECT grp, sms, wechat FROM notification_channels WHERE user_id = $1")
        .bind(user)
        .fetch_all(&state.db.pool)
        .await?;
    let mut out: Vec<ChannelSetting> = CHANNEL_GROUPS
        .iter()
        .map(|g| ChannelSetting {
            group: (*g).to_owned(),
            sms: true,
            wechat: true,
        })
        .collect();
    for r in rows {
        let group: String = r.try_get("grp")?;
        if let Some(s) = out.iter_mut().find(|s| s.group == group) {
            (s.sms, s.wechat) = stored(r.try_get("sms")?, r.try_get("wechat")?);
        }
    }
    Ok(out)
}

/// Whether `user` wants messages of `group` by SMS and by WeChat: `(sms, wechat)`, both where
/// they chose nothing.
pub async fn chosen(
    db: &crate::platform::db::Db,
    user: i64,
    group: &str,
) -> sqlx::Result<(bool, bool)> {
    let row: Option<(i64, i64)> = sqlx::query_as(
        "SELECT sms, wechat FROM notification_channels WHERE user_id = $1 AND grp = $2",
    )
    .bind(user)
    .bind(group)
    .fetch_optional(&db.pool)
    .await?;
    Ok(row.map_or((true, true), |(sms, wechat)| stored(sms, wechat)))
}

fn stored(sms: i64, wechat: i64) -> (bool, bool) {
    (sms == 1, wechat == 1)
}

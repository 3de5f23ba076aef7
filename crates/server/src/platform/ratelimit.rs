//! Fixed-window rate limits kept in the database, so that every server instance counts
//! together.

use crate::platform::db::Db;
use crate::platform::error::ApiError;

/// A limit: at most `max` hits per `window_secs`.
#[derive(Clone, Copy, Debug)]
pub struct Limit {
    pub max: i64,
    pub window_secs: i64,
}

/// Counts a hit on `key`; refuses with 429 and `Retry-After` when over the limit.
pub async fn hit(db: &Db, key: &str, limit: Limit) -> Result<(), ApiError> {
    let (count, retry) = count(db, key, limit.window_secs).await?;
    if count > limit.max {
        return Err(ApiError::rate_limited(retry));
    }
    Ok(())
}

/// Counts a hit on `key` in the current window: the count so far, and the seconds until the
/// window ends.
pub async fn count(db: &Db, key: &str, window_secs: i64) -> Result<(i64, u64), ApiError> {
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let window = now - now.rem_euclid(window_secs);
    let count: i64 = sqlx::query_scalar(
        "INSERT INTO rate_limits (key, window_start, count) VALUES ($1, $2, 1) \
         ON CONFLICT (key) DO UPDATE SET \
           count = CASE WHEN rate_limits.window_start = excluded.window_start THEN rate_limits.count + 1 ELSE 1 END, \
           window_start = excluded.window_start \
         RETURNING count",
    )
    .bind(key)
    .bind(window)
    .fetch_one(&db.pool)
    .await?;
    Ok((count, (window + window_secs - now).max(1) as u64))
}

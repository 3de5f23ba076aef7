//! Departments as machine clients: each department has one API key, sent as
//! `Authorization: Bearer <key>`. The [`Department`] extractor names the department a request
//! comes from (a feed's push, an answer to an objection).

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;

use crate::platform::crypto::{random_token, secret_hash};
use crate::platform::db::{format_utc, now, Db};
use crate::platform::error::ApiError;
use crate::AppState;

/// Whether `code` names a department that feeds data (an owner in the rules catalogue).
fn is_department(code: &str) -> bool {
    rules::Department::ALL.iter().any(|d| d.code() == code)
}

/// A request authenticated with a department's key: `.0` is the department.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Department(pub String);

impl FromRequestParts<AppState> for Department {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Department, ApiError> {
        let key = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|k| !k.is_empty())
            .ok_or_else(ApiError::unauthenticated)?;
        let department: Option<String> = sqlx::query_scalar(
            "SELECT department FROM department_keys WHERE key_hash = $1 AND revoked_at IS NULL",
        )
        .bind(secret_hash(key))
        .fetch_optional(&state.db.pool)
        .await?;
        department
            .map(Department)
            .ok_or_else(ApiError::unauthenticated)
    }
}

/// Issues a new key for `department`, revoking its previous one. The key is shown once.
pub async fn issue_key(db: &Db, department: &str) -> anyhow::Result<String> {
    anyhow::ensure!(
        is_department(department),
        "unknown department {department:?}: one of {}",
        rules::Department::ALL
            .map(rules::Department::code)
            .join(", ")
    );
    let key = format!("zdk_{}", random_token());
    let mut tx = db.begin().await?;
    sqlx::query(
        "UPDATE department_keys SET revoked_at = $1 WHERE department = $2 AND revoked_at IS NULL",
    )
    .bind(format_utc(now()))
    .bind(department)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO department_keys (department, key_hash, created_at) VALUES ($1, $2, $3)",
    )
    .bind(department)
    .bind(secret_hash(&key))
    .bind(format_utc(now()))
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(key)
}

//! The disbursement desk: payments as they stand, and retrying one the treasury refused.

use axum::extract::{Path, State};
use axum::Json;
use sqlx::Row;

use api::subsidy::{Disbursement, FailedPayment, GrantStatus, GrantTally, MonthPaid};
use api::ErrorBody;

use crate::accounts::auth::StaffWith;
use crate::platform::error::ApiError;
use crate::policies::library::policy_name;
use crate::AppState;

/// Staff: grants by policy and status with their amounts, failed payments, money paid per
/// month.
#[utoipa::path(get, path = "/api/staff/disbursement", tag = "staff",
    responses(
        (status = 200, body = Disbursement),
        (status = 401, body = ErrorBody),
        (status = 403, description = "Not a policy administrator", body = ErrorBody),
    ))]
pub async fn disbursement(
    State(state): State<AppState>,
    _staff: StaffWith<crate::accounts::auth::PolicyAdmin>,
) -> Result<Json<Disbursement>, ApiError> {
    let mut tallies = Vec::new();
    for r in sqlx::query(
        "SELECT policy_id, status, COUNT(*) AS n, CAST(SUM(amount_fen) AS BIGINT) AS fen FROM grants GROUP BY policy_id, status ORDER BY policy_id, status",
    )
    .fetch_all(&state.db.pool)
    .await?
    {
        let policy: String = r.try_get("policy_id")?;
        let status: String = r.try_get("status")?;
        tallies.push(GrantTally {
            name: policy_name(&state, &policy),
            policy,
            status: GrantStatus::parse(&status)
                .ok_or_else(|| ApiError::internal(format!("unknown grant status {status}")))?,
            count: r.try_get("n")?,
            amount_fen: r.try_get::<Option<i64>, _>("fen")?.unwrap_or(0),
        });
    }
    let failed = sqlx::query(
        "SELECT p.id, p.grant_id, g.policy_id, p.amount_fen, p.attempts, p.last_error, p.updated_at \
         FROM payments p JOIN grants g ON g.id = p.grant_id WHERE p.status = 'failed' ORDER BY p.id LIMIT 200",
    )
    .fetch_all(&state.db.pool)
    .await?
    .into_iter()
    .map(|r| -> Result<FailedPayment, ApiError> {
        Ok(FailedPayment {
            id: r.try_get("id")?,
            grant: r.try_get("grant_id")?,
            policy: r.try_get("policy_id")?,
            amount_fen: r.try_get("amount_fen")?,
            attempts: r.try_get("attempts")?,
            error: r.try_get("last_error")?,
            updated_at: r.try_get("updated_at")?,
        })
    })
    .collect::<Result<_, _>>()?;
    // Paid per month in Shanghai time: shift the UTC stamps by eight hours first.
    let mut by_month: std::collections::BTreeMap<String, (i64, i64)> = Default::default();
    for r in sqlx::query("SELECT paid_at, amount_fen FROM payments WHERE status = 'paid'")
        .fetch_all(&state.db.pool)
        .await?
    {
        let paid_at: Option<String> = r.try_get("paid_at")?;
        let Some(t) = paid_at.as_deref().and_then(crate::platform::db::parse_utc) else {
            continue;
        };
        let day = crate::platform::db::shanghai_date(t);
        let e = by_month
            .entry(format!("{:04}-{:02}", day.year(), day.month()))
            .or_default();
        e.0 += r.try_get::<i64, _>("amount_fen")?;
        e.1 += 1;
    }
    Ok(Json(Disbursement {
        tallies,
        failed,
        paid_by_month: by_month
            .into_iter()
            .map(|(month, (amount_fen, count))| MonthPaid {
                month,
                amount_fen,
                count,
            })
            .collect(),
    }))
}

/// Staff: send a failed payment again (with its original idempotency key).
#[utoipa::path(post, path = "/api/staff/payments/{id}/retry", tag = "staff",
    params(("id" = i64, Path, description = "The payment's id")),
    responses(
        (status = 204, description = "Queued again"),
        (status = 401, body = ErrorBody),
        (status = 403, description = "Not a policy administrator", body = ErrorBody),
        (status = 404, description = "No failed payment with this id", body = ErrorBody),
    ))]
pub async fn retry_payment(
    State(state): State<AppState>,
    staff: StaffWith<crate::accounts::auth::PolicyAdmin>,
    Path(id): Path<i64>,
) -> Result<axum::http::StatusCode, ApiError> {
    if crate::subsidies::payments::retry(&state, id, &staff.staff.to_string()).await? {
        Ok(axum::http::StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found())
    }
}

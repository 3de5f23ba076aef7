//! 政策评估: how each published version of a policy has done, from the grants it made, their
//! payments and the objections to it, against its budget and the sandbox's estimate; and the
//! evaluations recorded (a policy ending within six months without one is flagged).

use std::collections::{BTreeMap, BTreeSet};

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use sqlx::Row;

use api::policy_admin::{Conclusion, Evaluation, EvaluationRecord, NewEvaluation, VersionFigures};
use api::ErrorBody;

use crate::platform::db::{now, now_utc, parse_utc};
use crate::platform::error::ApiError;
use crate::platform::json::ApiJson;
use crate::policies::admin::PolicyStaff;
use crate::AppState;

/// The value at `q` (0–100) of sorted `values`, by the nearest rank.
pub fn percentile(sorted: &[i64], q: usize) -> Option<i64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (q * sorted.len()).div_ceil(100).clamp(1, sorted.len());
    Some(sorted[rank - 1])
}

/// Each published version's figures.
pub async fn figures(state: &AppState, id: &str) -> Result<Vec<VersionFigures>, ApiError> {
    let versions = sqlx::query(
        "SELECT version, simulated_annual_fen FROM policy_versions WHERE policy_id = $1 \
         AND status IN ('published', 'retired') ORDER BY version",
    )
    .bind(id)
    .fetch_all(&state.db.pool)
    .await?;
    if versions.is_empty() {
        return Err(ApiError::not_found());
    }
    let year_ago = crate::platform::db::format_utc(now() - time::Duration::days(365));
    let mut out = Vec::new();
    for v in versions {
        let version: i64 = v.try_get("version")?;
        let budget = state
            .policies
            .version(id, u32::try_from(version).map_err(ApiError::internal)?)
            .and_then(|p| p.annual_budget_fen);
        let mut f = VersionFigures {
            version: u32::try_from(version).map_err(ApiError::internal)?,
            annual_budget_fen: budget,
            simulated_annual_fen: v.try_get("simulated_annual_fen")?,
            ..VersionFigures::default()
        };
        let grants = sqlx::query(
            "SELECT g.subject_id, g.status, g.amount_fen, g.created_at, \
             (SELECT MIN(e.at) FROM grant_events e WHERE e.grant_id = g.id AND e.status = 'paid') AS paid_at \
             FROM grants g WHERE g.policy_id = $1 AND g.policy_version = $2",
        )
        .bind(id)
        .bind(version)
        .fetch_all(&state.db.pool)
        .await?;
        let mut paid_subjects = BTreeSet::new();
        let mut hours = Vec::new();
        for g in grants {
            let status: String = g.try_get("status")?;
            let amount: i64 = g.try_get("amount_fen")?;
            match status.as_str() {
                "revoked" => continue,
                "declined" => f.declined += 1,
                "expired" => f.expired += 1,
                "approved" | "payment_instructed" | "paid" => f.taken_up += 1,
                _ => {}
            }
            f.granted += 1;
            if let Some(paid_at) = g.try_get::<Option<String>, _>("paid_at")? {
                paid_subjects.insert(g.try_get::<i64, _>("subject_id")?);
                f.paid_fen += amount;
                if paid_at >= year_ago {
                    f.paid_last_year_fen += amount;
                }
                let created: String = g.try_get("created_at")?;
                if let (Some(a), Some(b)) = (parse_utc(&created), parse_utc(&paid_at)) {
                    hours.push((b - a).whole_hours());
                }
            }
        }
        f.beneficiaries = paid_subjects.len() as u64;
        hours.sort_unstable();
        f.hours_to_payment_median = percentile(&hours, 50);
        f.hours_to_payment_p90 = percentile(&hours, 90);
        out.push(f);
    }
    // Objections are to a policy, whichever version decided: counted against the last one.
    let objections = sqlx::query("SELECT status FROM objections WHERE policy_id = $1")
        .bind(id)
        .fetch_all(&state.db.pool)
        .await?;
    if let Some(last) = out.last_mut() {
        last.objections = objections.len() as u64;
        last.objections_answered = objections
            .iter()
            .filter(|r| {
                r.try_get::<String, _>("status")
                    .is_ok_and(|s| s == "answered")
            })
            .count() as u64;
    }
    Ok(out)
}

async fn records(state: &AppState, id: &str) -> Result<Vec<EvaluationRecord>, ApiError> {
    let rows = sqlx::query(
        "SELECT e.version, e.conclusion, e.findings, e.created_at, s.display_name FROM policy_evaluations e \
         JOIN staff s ON s.id = e.staff_id WHERE e.policy_id = $1 ORDER BY e.id DESC",
    )
    .bind(id)
    .fetch_all(&state.db.pool)
    .await?;
    rows.iter()
        .map(|r| {
            let conclusion: String = r.try_get("conclusion")?;
            Ok(EvaluationRecord {
                version: u32::try_from(r.try_get::<i64, _>("version")?)
                    .map_err(ApiError::internal)?,
                conclusion: Conclusion::parse(&conclusion)
                    .ok_or_else(|| ApiError::internal(format!("a conclusion {conclusion:?}")))?,
                findings: r.try_get("findings")?,
                by: r.try_get("display_name")?,
                at: r.try_get("created_at")?,
            })
        })
        .collect()
}

/// The policies evaluated since `since` (a stored UTC time), for the list's alert.
pub async fn evaluated_since(
    state: &AppState,
    since: &str,
) -> Result<BTreeMap<String, String>, ApiError> {
    let rows = sqlx::query("SELECT policy_id, MAX(created_at) AS at FROM policy_evaluations WHERE created_at >= $1 GROUP BY policy_id")
        .bind(since)
        .fetch_all(&state.db.pool)
        .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("policy_id")?, r.try_get("at")?)))
        .collect()
}

/// How a policy has done, version by version, with the evaluations recorded.
#[utoipa::path(get, path = "/api/staff/policies/{id}/evaluation", tag = "policy administration",
    params(("id" = String, Path)),
    responses((status = 200, body = Evaluation), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn evaluation(
    State(state): State<AppState>,
    _who: PolicyStaff,
    Path(id): Path<String>,
) -> Result<Json<Evaluation>, ApiError> {
    Ok(Json(Evaluation {
        versions: figures(&state, &id).await?,
        records: records(&state, &id).await?,
        policy: id,
    }))
}

/// Records an evaluation of a published version, with the figures it was made on.
#[utoipa::path(post, path = "/api/staff/policies/{id}/evaluations", tag = "policy administration",
    params(("id" = String, Path)), request_body = NewEvaluation,
    responses((status = 201, body = Evaluation), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, description = "No findings, or findings too long", body = ErrorBody)))]
pub async fn record(
    State(state): State<AppState>,
    who: PolicyStaff,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<NewEvaluation>,
) -> Result<(StatusCode, Json<Evaluation>), ApiError> {
    if !who.drafts {
        return Err(ApiError::forbidden());
    }
    let findings = crate::policies::admin::note("findings", &body.findings)?;
    let all = figures(&state, &id).await?;
    let figures = all
        .iter()
        .find(|f| f.version == body.version)
        .ok_or_else(ApiError::not_found)?;
    sqlx::query(
        "INSERT INTO policy_evaluations (policy_id, version, staff_id, conclusion, findings, figures, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&id)
    .bind(i64::from(body.version))
    .bind(who.staff)
    .bind(body.conclusion.as_str())
    .bind(&findings)
    .bind(serde_json::to_string(figures).map_err(ApiError::internal)?)
    .bind(now_utc())
    .execute(&state.db.pool)
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(Evaluation {
            versions: all,
            records: records(&state, &id).await?,
            policy: id,
        }),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_by_nearest_rank() {
        let v: Vec<i64> = (1..=10).collect();
        assert_eq!(percentile(&v, 50), Some(5));
        assert_eq!(percentile(&v, 90), Some(9));
        assert_eq!(percentile(&[7], 90), Some(7));
        assert_eq!(percentile(&[], 50), None);
    }
}

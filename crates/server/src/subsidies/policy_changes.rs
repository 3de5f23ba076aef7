//! What follows a policy decision (publishing re-matches): a version that has taken effect
//! re-matches everyone against it; a retired policy's beneficiaries are told, and grants of
//! periods after its last day that have not been paid are revoked. Run by the background loop
//! (and at once by whoever wants it), each step once: the version row records that it ran.

use api::subsidy::GrantStatus;
use rules::policy::Mode;
use sqlx::Row;

use crate::platform::db::{now_utc, today_shanghai};
use crate::subsidies::grant_moves::{notify, Grant};
use crate::subsidies::grants::revoke;
use crate::subsidies::matching::{current_month, period_of};
use crate::subsidies::monthly::run_month;
use crate::AppState;

/// The reason recorded on a grant's timeline when a retirement revokes it.
pub const RETIRED: &str = "policy_retired";

/// Follows every version that took effect or retired since last seen. Returns how many.
pub async fn follow(state: &AppState) -> anyhow::Result<usize> {
    Ok(take_effect(state).await? + tell_retirements(state).await?)
}

/// Versions in force from today or earlier that have not been followed: everyone is matched
/// for the current month (grants due under them are made, the newly eligible told), and for
/// a policy people apply for, every subject of its kind is re-matched one by one (to be told
/// they may apply).
async fn take_effect(state: &AppState) -> anyhow::Result<usize> {
    let today = today_shanghai().to_string();
    let due = sqlx::query(
        "SELECT policy_id, version FROM policy_versions WHERE status IN ('published', 'retired') \
         AND took_effect_at IS NULL AND effective_from <= $1 ORDER BY effective_from",
    )
    .bind(&today)
    .fetch_all(&state.db.pool)
    .await?;
    if due.is_empty() {
        return Ok(0);
    }
    // The set the run reads must hold them.
    state.policies.refresh(&state.db).await?;
    let report = run_month(state, current_month()).await?;
    for r in &due {
        let id: String = r.try_get("policy_id")?;
        let version: i64 = r.try_get("version")?;
        if let Some(p) = state.policies.version(&id, u32::try_from(version)?) {
            if p.mode == Mode::ApplyInstant {
                sqlx::query("UPDATE subjects SET pending = 1 WHERE kind = $1")
                    .bind(crate::data::store::kind_str(p.subject))
                    .execute(&state.db.pool)
                    .await?;
            }
        }
        sqlx::query(
            "UPDATE policy_versions SET took_effect_at = $1 WHERE policy_id = $2 AND version = $3",
        )
        .bind(now_utc())
        .bind(&id)
        .bind(version)
        .execute(&state.db.pool)
        .await?;
        tracing::info!(policy = %id, version, created = report.created, "a policy version took effect: everyone matched");
    }
    Ok(due.len())
}

/// Retired policies whose beneficiaries have not been told: each subject with a grant of it in
/// the last year is told (once), and grants of periods after its last day not yet paid are
/// revoked, in one transaction per policy.
async fn tell_retirements(state: &AppState) -> anyhow::Result<usize> {
    let rows = sqlx::query(
        "SELECT DISTINCT policy_id FROM policy_versions WHERE status = 'retired' AND retirement_told_at IS NULL",
    )
    .fetch_all(&state.db.pool)
    .await?;
    let mut n = 0;
    for r in rows {
        let id: String = r.try_get("policy_id")?;
        let Some(policy) = state.policies.current(&id) else {
            continue;
        };
        let Some(last_day) = policy.effective.until else {
            continue;
        };
        let at = now_utc();
        let since = current_month().index() - 12;
        let mut tx = state.db.begin().await?;
        let grants = sqlx::query(
            "SELECT id, subject_id, amount_fen, status, period FROM grants WHERE policy_id = $1 ORDER BY subject_id, id",
        )
        .bind(&id)
        .fetch_all(&mut *tx)
        .await?;
        let mut told = std::collections::HashSet::new();
        let after_end = period_of(&policy, rules::Month::of(last_day).next());
        for g in grants {
            let subject: i64 = g.try_get("subject_id")?;
            let period: String = g.try_get("period")?;
            let status: String = g.try_get("status")?;
            let status = GrantStatus::parse(&status)
                .ok_or_else(|| anyhow::anyhow!("a grant with status {status:?}"))?;
            // Periods compare as text: YYYY-MM, YYYY.
            if policy.period != rules::policy::Period::Once && period >= after_end {
                let grant = Grant {
                    id: g.try_get("id")?,
                    subject,
                    policy: &id,
                    amount_fen: g.try_get("amount_fen")?,
                    status,
                };
                revoke(&mut tx, &grant, RETIRED, &at).await?;
            }
            let recent = period
                .get(..7)
                .and_then(|m| m.parse::<rules::Month>().ok())
                .is_none_or(|m| m.index() >= since);
            if recent && told.insert(subject) {
                notify(&mut tx, subject, RETIRED, None, &id, None, &at).await?;
            }
        }
        sqlx::query("UPDATE policy_versions SET retirement_told_at = $1 WHERE policy_id = $2 AND status = 'retired'")
            .bind(&at)
            .bind(&id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        tracing::info!(policy = %id, told = told.len(), "a retired policy's beneficiaries told");
        n += 1;
    }
    Ok(n)
}

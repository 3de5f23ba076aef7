//! The impact sandbox (政策沙盘): a version run against the current district beside the version
//! in force, with the engine that pays, over a warm columnar copy of the population (reloaded
//! when the departments' data or the month changes).

use std::sync::{Arc, Mutex};

use axum::extract::{Path, State};
use axum::Json;
use sqlx::Row;

use api::policy_admin::{
    Breakdown, BreakdownBy, HistogramBar, Impact, ImpactGroup, ImpactSample, ImpactTally,
};
use api::ErrorBody;
use rules::batch::Population;
use rules::impact::{GroupBy, Tally};
use rules::{Month, SubjectKind};

use crate::data::known;
use crate::platform::db::{now_utc, today_shanghai, Db};
use crate::platform::error::ApiError;
use crate::policies::admin::{check_source, one_version, PolicyStaff};
use crate::AppState;

/// How many changed subjects the sandbox shows.
pub const SAMPLE: usize = 20;

/// A population as loaded, with every attribute of the catalogue, and what it was loaded at.
struct Snapshot {
    kind: SubjectKind,
    month: Month,
    data_version: i64,
    population: Arc<Population>,
}

/// The warm copies of the population, one per kind.
#[derive(Default)]
pub struct Snapshots {
    held: Mutex<Vec<Snapshot>>,
}

/// Changes whenever a subject's data does.
async fn data_version(db: &Db) -> anyhow::Result<i64> {
    Ok(
        sqlx::query_scalar("SELECT COALESCE(MAX(id), 0) FROM subject_changes")
            .fetch_one(&db.pool)
            .await?,
    )
}

impl Snapshots {
    /// The population of `kind` for `month`, loaded once per change of the data.
    pub async fn get(
        &self,
        db: &Db,
        kind: SubjectKind,
        month: Month,
    ) -> anyhow::Result<Arc<Population>> {
        let version = data_version(db).await?;
        let held = |s: &Snapshot| s.kind == kind && s.month == month && s.data_version == version;
        if let Some(s) = self.lock().iter().find(|s| held(s)) {
            return Ok(s.population.clone());
        }
        let every: std::collections::BTreeSet<String> = rules::Catalogue::standard()
            .attributes(kind)
            .iter()
            .map(|a| a.name.clone())
            .collect();
        let (population, _) = known::load_population(db, kind, &every, month).await?;
        let population = Arc::new(population);
        let mut all = self.lock();
        all.retain(|s| s.kind != kind);
        all.push(Snapshot {
            kind,
            month,
            data_version: version,
            population: population.clone(),
        });
        Ok(population)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Snapshot>> {
        self.held
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

fn tally(t: &Tally) -> ImpactTally {
    ImpactTally {
        eligible_before: t.eligible_before,
        eligible_after: t.eligible_after,
        newly: t.newly,
        no_longer: t.no_longer,
        amount_changed: t.amount_changed,
        cost_before_fen: t.cost_before,
        cost_after_fen: t.cost_after,
    }
}

fn by(g: GroupBy) -> BreakdownBy {
    match g {
        GroupBy::Street => BreakdownBy::Street,
        GroupBy::AgeBand => BreakdownBy::AgeBand,
        GroupBy::DisabilityGrade => BreakdownBy::DisabilityGrade,
        GroupBy::Industry => BreakdownBy::Industry,
        GroupBy::Size => BreakdownBy::Size,
    }
}

/// A subject's reference with its middle hidden.
pub fn mask(reference: &str) -> String {
    let chars: Vec<char> = reference.chars().collect();
    let keep = (chars.len() / 4).min(4);
    if keep == 0 {
        return "*".repeat(chars.len().max(1));
    }
    let head: String = chars[..keep].iter().collect();
    let tail: String = chars[chars.len() - keep..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(chars.len() - 2 * keep))
}

/// Runs `after` against the version of its policy in force in the first month it could apply
/// in, over the warm population: the comparison, the version compared with, the month, and the
/// population (for its references).
pub async fn simulate(
    state: &AppState,
    after: &rules::Policy,
) -> Result<
    (
        rules::impact::Impact,
        Option<rules::Policy>,
        Month,
        Arc<Population>,
    ),
    ApiError,
> {
    let (id, version) = (after.id.clone(), after.version);
    let today = today_shanghai();
    // The first month it could apply in.
    let month = Month::of(after.effective.from.max(today));
    let ctx = rules::Context::for_month(month);
    // The version in force in that month, unless it is this one.
    let published = state.policies.get();
    let others = || {
        published
            .all()
            .iter()
            .filter(|p| p.id == id && p.version != version)
    };
    let before = others()
        .find(|p| p.effective.contains(ctx.reference_date))
        .or_else(|| others().find(|p| p.effective.contains(today)))
        .cloned();
    let population = state
        .snapshots
        .get(&state.db, after.subject, month)
        .await
        .map_err(ApiError::internal)?;
    let (report, population) = {
        let after = after.clone();
        let before = before.clone();
        tokio::task::spawn_blocking(move || {
            let r = rules::impact::impact(before.as_ref(), &after, &population, &ctx, 2, SAMPLE);
            (r, population)
        })
        .await
        .map_err(ApiError::internal)?
    };
    let report = report.map_err(ApiError::internal)?;
    Ok((report, before, month, population))
}

/// Runs a version (a draft, one under review, or a published one) against the version in
/// force over the whole district. A POST: showing changed subjects, even masked, is a staff
/// reading of their records, logged for each person who has an account.
#[utoipa::path(post, path = "/api/staff/policies/{id}/versions/{version}/impact", tag = "policy administration",
    params(("id" = String, Path), ("version" = u32, Path)),
    responses((status = 200, body = Impact), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn impact(
    State(state): State<AppState>,
    who: PolicyStaff,
    Path((id, version)): Path<(String, u32)>,
) -> Result<Json<Impact>, ApiError> {
    let started = std::time::Instant::now();
    let row = one_version(&state, &id, version).await?;
    let after = check_source(&row.source)?;
    let (report, before, month, population) = simulate(&state, &after).await?;
    let street = population.columns.get("street");
    let sample: Vec<(String, ImpactSample)> = report
        .sample
        .iter()
        .map(|c| {
            let reference = population.ids.get(c.row as usize).to_owned();
            let s = ImpactSample {
                subject: mask(&reference),
                street: street.and_then(|col| match col.value(c.row as usize) {
                    rules::Value::String(s) => Some(s),
                    _ => None,
                }),
                before_fen: c.before,
                after_fen: c.after,
            };
            (reference, s)
        })
        .collect();
    let reason = format!("政策影响测算：{}（第 {version} 版）", after.name.zh_cn);
    log_sample(&state, who.staff, &reason, &sample).await?;
    Ok(Json(Impact {
        policy: id,
        version,
        against: before.map(|b| b.version),
        month: month.to_string(),
        subjects: report.subjects,
        total: tally(&report.total),
        periods_a_year: report.periods_a_year,
        annual_budget_fen: after.annual_budget_fen,
        breakdowns: report
            .groups
            .iter()
            .map(|(g, groups)| Breakdown {
                by: by(*g),
                groups: groups
                    .iter()
                    .map(|(key, t)| ImpactGroup {
                        key: key.clone(),
                        tally: tally(t),
                    })
                    .collect(),
            })
            .collect(),
        histogram: report
            .histogram
            .iter()
            .map(|b| HistogramBar {
                from_fen: b.from_fen,
                to_fen: b.to_fen,
                count: b.count,
            })
            .collect(),
        sample: sample.into_iter().map(|(_, s)| s).collect(),
        elapsed_ms: started.elapsed().as_millis() as u64,
    }))
}

/// Each person in the sample who has an account sees the reading in their access log.
async fn log_sample(
    state: &AppState,
    staff: i64,
    reason: &str,
    sample: &[(String, ImpactSample)],
) -> Result<(), ApiError> {
    if sample.is_empty() {
        return Ok(());
    }
    let at = now_utc();
    let mut tx = state.db.begin().await?;
    for (reference, _) in sample {
        let users = sqlx::query(
            "SELECT id FROM users WHERE resident_ref = $1 \
             UNION SELECT e.legal_rep_user_id FROM enterprises e WHERE e.enterprise_ref = $1",
        )
        .bind(reference)
        .fetch_all(&mut *tx)
        .await?;
        for u in users {
            sqlx::query("INSERT INTO data_access_log (user_id, staff_id, reason, what, at) VALUES ($1, $2, $3, $4, $5)")
                .bind(u.try_get::<i64, _>(0)?)
                .bind(staff)
                .bind(reason)
                .bind("impact_sample")
                .bind(&at)
                .execute(&mut *tx)
                .await?;
        }
    }
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_hide_the_middle() {
        assert_eq!(mask("DEMO-R3"), "D*****3");
        assert_eq!(mask("440604199001011234"), "4406**********1234");
        assert_eq!(mask("ab"), "**");
        assert_eq!(mask(""), "*");
    }
}

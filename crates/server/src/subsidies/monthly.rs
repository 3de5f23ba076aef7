//! The monthly run over everyone, in chunks: which months are due (each missed month once),
//! the facts of the month, and what ran after an import.

use std::collections::{BTreeMap, HashMap, HashSet};

use rules::batch::Population;
use rules::{Context, Month, Policy, SubjectKind};
use serde_json::{Map, Value as Json};
use sqlx::Row;

use crate::data::known;
use crate::data::known::Known;
use crate::data::store;
use crate::platform::db::now_utc;
use crate::subsidies::grants::{create_grants, NewGrant};
use crate::subsidies::matching::{current_month, is_automatic, period_of, IMPORTED_KEY};
use crate::subsidies::receipts::receipt;
use crate::AppState;

/// What a monthly run did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RunReport {
    pub subjects: usize,
    pub eligible: usize,
    /// Grants created by this run (a re-run of a month creates none).
    pub created: usize,
}

/// The run of `month` over everyone, for every automatic policy in force: idempotent (grants
/// that exist are left alone), written in chunks that each commit whole.
pub async fn run_month(state: &AppState, month: Month) -> anyhow::Result<RunReport> {
    let at = now_utc();
    sqlx::query(
        "INSERT INTO monthly_runs (month, started_at) VALUES ($1, $2) ON CONFLICT (month) DO NOTHING",
    )
    .bind(month.to_string())
    .bind(&at)
    .execute(&state.db.pool)
    .await?;
    let ctx = Context::for_month(month);
    let mut report = RunReport::default();
    for kind in [SubjectKind::Resident, SubjectKind::Enterprise] {
        let policies: Vec<Policy> = state
            .policies
            .get()
            .in_force(ctx.reference_date)
            .filter(|p| p.subject == kind && is_automatic(p))
            .cloned()
            .collect();
        if policies.is_empty() {
            continue;
        }
        let keep = rules::policy::attributes_of(&policies);
        let phase = std::time::Instant::now();
        let (population, ids) = known::load_population(&state.db, kind, &keep, month).await?;
        tracing::info!(
            kind = store::kind_str(kind),
            subjects = population.len(),
            ms = phase.elapsed().as_millis() as u64,
            "monthly run: data loaded"
        );
        let phase = std::time::Instant::now();
        report.subjects += population.len();
        // The engine uses both cores: off the async workers.
        let (population, policies, eligible) = tokio::task::spawn_blocking(move || {
            let eligible = rules::batch::evaluate(&policies, &population, &ctx, 2);
            (population, policies, eligible)
        })
        .await?;
        let eligible = eligible?;
        let eligible: Vec<_> = eligible.into_iter().filter(|g| g.amount_fen > 0).collect();
        report.eligible += eligible.len();
        let eligible_count = eligible.len();
        // Leave out what exists (a re-run after a crash, or grants made by events).
        let mut existing: HashSet<(usize, i64)> = HashSet::new();
        for (i, p) in policies.iter().enumerate() {
            let rows: Vec<i64> = sqlx::query_scalar(
                "SELECT subject_id FROM grants WHERE policy_id = $1 AND period = $2",
            )
            .bind(&p.id)
            .bind(period_of(p, month))
            .fetch_all(&state.db.pool)
            .await?;
            existing.extend(rows.into_iter().map(|s| (i, s)));
        }
        let todo: Vec<_> = eligible
            .into_iter()
            .filter(|g| !existing.contains(&(g.policy, ids[g.row as usize])))
            .collect();
        tracing::info!(
            eligible = eligible_count,
            new = todo.len(),
            ms = phase.elapsed().as_millis() as u64,
            "monthly run: evaluated"
        );
        let phase = std::time::Instant::now();
        let facts = FactIndex::new(&population);
        for chunk in todo.chunks(2000) {
            let subject_ids: Vec<i64> = chunk.iter().map(|g| ids[g.row as usize]).collect();
            let provenance = Provenance::load(&state.db, &subject_ids).await?;
            let new: Vec<NewGrant<'_>> = chunk
                .iter()
                .map(|g| {
                    let subject = ids[g.row as usize];
                    let policy = &policies[g.policy];
                    let known = known_at(&population, &facts, g.row as usize, subject, &provenance);
                    NewGrant {
                        policy,
                        subject,
                        period: period_of(policy, month),
                        amount_fen: g.amount_fen,
                        receipt: receipt(policy, &known, &ctx, g.amount_fen).to_string(),
                        applied: false,
                    }
                })
                .collect();
            let mut tx = state.db.begin().await?;
            report.created += create_grants(&mut tx, &new, &at)
                .await?
                .iter()
                .flatten()
                .count();
            tx.commit().await?;
            state.wake_payments.notify_one();
        }
        tracing::info!(
            ms = phase.elapsed().as_millis() as u64,
            "monthly run: grants written"
        );
    }
    sqlx::query("UPDATE monthly_runs SET finished_at = $1, grants = $2 WHERE month = $3")
        .bind(now_utc())
        .bind(report.created as i64)
        .bind(month.to_string())
        .execute(&state.db.pool)
        .await?;
    state
        .events
        .publish(crate::platform::events::Event::Everyone)
        .await;
    Ok(report)
}

/// The months whose run is due: every month after the last finished one up to the current
/// month (only the current one on a new installation), and any run that did not finish.
pub async fn due_months(state: &AppState, now: Month) -> anyhow::Result<Vec<Month>> {
    let rows = sqlx::query("SELECT month, finished_at FROM monthly_runs")
        .fetch_all(&state.db.pool)
        .await?;
    let mut finished = HashSet::new();
    let mut started = Vec::new();
    for row in rows {
        let Ok(m) = row.try_get::<String, _>("month")?.parse::<Month>() else {
            continue;
        };
        if row.try_get::<Option<String>, _>("finished_at")?.is_some() {
            finished.insert(m);
        } else {
            started.push(m);
        }
    }
    let mut due = started;
    match finished.iter().max().copied() {
        None => due.push(now),
        Some(last) => {
            let mut m = last.next();
            while m <= now {
                due.push(m);
                m = m.next();
            }
        }
    }
    due.retain(|m| !finished.contains(m) && *m <= now);
    due.sort();
    due.dedup();
    Ok(due)
}

/// Runs every due month, oldest first.
pub async fn run_due_months(state: &AppState) -> anyhow::Result<Vec<(Month, RunReport)>> {
    let mut out = Vec::new();
    for month in due_months(state, current_month()).await? {
        let report = run_month(state, month).await?;
        tracing::info!(%month, subjects = report.subjects, created = report.created, "monthly run finished");
        out.push((month, report));
    }
    Ok(out)
}

/// After `zhida import`: matches everyone for the current month, once per import.
pub async fn after_import(state: &AppState) -> anyhow::Result<()> {
    let Some(batch) = state.db.meta(IMPORTED_KEY).await? else {
        return Ok(());
    };
    let report = run_month(state, current_month()).await?;
    tracing::info!(
        batch,
        created = report.created,
        "matched everyone after an import"
    );
    sqlx::query("DELETE FROM app_meta WHERE key = $1 AND value = $2")
        .bind(IMPORTED_KEY)
        .bind(&batch)
        .execute(&state.db.pool)
        .await?;
    Ok(())
}

/// For each subject row, its fact rows (for receipts of a whole run).
struct FactIndex {
    rows: HashMap<u32, Vec<(String, usize)>>,
}

impl FactIndex {
    fn new(population: &Population) -> FactIndex {
        let mut rows: HashMap<u32, Vec<(String, usize)>> = HashMap::new();
        for (table, facts) in &population.facts {
            for (i, s) in facts.subject.iter().enumerate() {
                rows.entry(*s).or_default().push((table.clone(), i));
            }
        }
        FactIndex { rows }
    }
}

/// Where each attribute of some subjects came from.
struct Provenance {
    by_subject: HashMap<i64, BTreeMap<String, known::Provenance>>,
    facts: HashMap<(i64, String, String), known::Provenance>,
}

impl Provenance {
    async fn load(db: &crate::platform::db::Db, subjects: &[i64]) -> anyhow::Result<Provenance> {
        let mut by_subject = HashMap::new();
        let mut facts = HashMap::new();
        let mut batches: HashMap<i64, String> = HashMap::new();
        for chunk in subjects.chunks(500) {
            let list: Vec<String> = chunk.iter().map(i64::to_string).collect();
            // Ids are integers from the database: safe to inline.
            let sql = format!(
                "SELECT id, prov FROM subjects WHERE id IN ({})",
                list.join(",")
            );
            for row in sqlx::query(&sql).fetch_all(&db.pool).await? {
                let prov: Map<String, Json> =
                    serde_json::from_str(&row.try_get::<String, _>("prov")?)?;
                let map: BTreeMap<String, i64> = prov
                    .into_iter()
                    .filter_map(|(k, v)| Some((k, v.as_i64()?)))
                    .collect();
                by_subject.insert(row.try_get::<i64, _>("id")?, map);
            }
            let sql = format!(
                "SELECT DISTINCT subject_id, tbl, month, batch_id FROM facts WHERE subject_id IN ({})",
                list.join(",")
            );
            for row in sqlx::query(&sql).fetch_all(&db.pool).await? {
                facts.insert(
                    (
                        row.try_get::<i64, _>("subject_id")?,
                        row.try_get::<String, _>("tbl")?,
                        row.try_get::<String, _>("month")?,
                    ),
                    row.try_get::<i64, _>("batch_id")?,
                );
            }
        }
        let mut ids: Vec<i64> = by_subject
            .values()
            .flat_map(|m: &BTreeMap<String, i64>| m.values().copied())
            .chain(facts.values().copied())
            .collect();
        ids.sort_unstable();
        ids.dedup();
        for chunk in ids.chunks(500) {
            let list: Vec<String> = chunk.iter().map(i64::to_string).collect();
            let sql = format!(
                "SELECT id, received_at FROM feed_batches WHERE id IN ({})",
                list.join(",")
            );
            for row in sqlx::query(&sql).fetch_all(&db.pool).await? {
                batches.insert(row.try_get("id")?, row.try_get("received_at")?);
            }
        }
        let source = |b: i64| known::Provenance {
            batch: b,
            at: batches.get(&b).cloned().unwrap_or_default(),
        };
        Ok(Provenance {
            by_subject: by_subject
                .into_iter()
                .map(|(s, m)| (s, m.into_iter().map(|(k, b)| (k, source(b))).collect()))
                .collect(),
            facts: facts.into_iter().map(|(k, b)| (k, source(b))).collect(),
        })
    }
}

/// A subject of a whole-population run as a receipt needs it.
fn known_at(
    population: &Population,
    facts: &FactIndex,
    row: usize,
    id: i64,
    provenance: &Provenance,
) -> Known {
    let mut subject = rules::Subject {
        id: population.ids.get(row).to_owned(),
        ..Default::default()
    };
    for (name, column) in &population.columns {
        let v = column.value(row);
        if !v.is_null() {
            subject.attributes.insert(name.clone(), v);
        }
    }
    let mut fact_sources = BTreeMap::new();
    for (table, i) in facts
        .rows
        .get(&(row as u32))
        .map(Vec::as_slice)
        .unwrap_or(&[])
    {
        let rows = &population.facts[table];
        let m = rows.month[*i];
        let month = Month {
            year: m.div_euclid(12),
            month: (m.rem_euclid(12) + 1) as u8,
        };
        if let Some(p) = provenance
            .facts
            .get(&(id, table.clone(), month.to_string()))
        {
            fact_sources.insert((table.clone(), month), p.clone());
        }
        subject.facts.push(rules::eval::Fact {
            table: table.clone(),
            month,
            fields: rows
                .columns
                .iter()
                .map(|(n, c)| (n.clone(), c.value(*i)))
                .collect(),
        });
    }
    Known {
        id,
        kind: population.kind,
        subject,
        sources: provenance.by_subject.get(&id).cloned().unwrap_or_default(),
        fact_sources,
    }
}

//! From data to grants: the rules engine run over subjects whose data changed (at once), over
//! everyone for each new month (scheduled, each month to the end once), and on a subject's
//! application (秒报秒批).
//!
//! A grant is unique per (policy version, subject, period): the database's constraint, not
//! this code, is what makes a re-run, a retried event or two instances unable to grant twice.
//! Everything a grant's step changes (the grant, its timeline, its payment instruction, the
//! subject's notification) is written in one transaction.

use std::collections::{BTreeMap, HashMap, HashSet};

use rules::batch::Population;
use rules::policy::{Mode, Period};
use rules::{Catalogue, Context, Month, Policy, SubjectKind};
use serde_json::{json, Map, Value as Json};
use sqlx::{Any, Row, Transaction};

use api::subsidy::GrantStatus;

use crate::data::store::{self, Known};
use crate::platform::db::{format_utc, now_utc, today_shanghai};
use crate::subsidies::grant_life::{GrantEvent, Reconcile};
use crate::subsidies::grant_moves::{event, move_grant, Actor, Grant, MoveError};
use crate::AppState;

/// Days a subject has to give consent (意愿确认) before a grant expires.
pub const CONSENT_DAYS: i64 = 30;

/// The period key of a grant of `policy` in `month`: `2026-11`, `2026` or `once`.
pub fn period_of(policy: &Policy, month: Month) -> String {
    match policy.period {
        Period::Monthly => month.to_string(),
        Period::Annual => format!("{:04}", month.year),
        Period::Once => "once".to_owned(),
    }
}

/// The month matching happens in now (Asia/Shanghai).
pub fn current_month() -> Month {
    Month::of(today_shanghai())
}

/// The `app_meta` key under which an import leaves its batch for matching everyone after it.
pub const IMPORTED_KEY: &str = "import_to_match";

/// Whether the engine grants `policy` by itself (without an application).
pub fn is_automatic(policy: &Policy) -> bool {
    matches!(policy.mode, Mode::Automatic | Mode::AutomaticAfterConsent)
}

/// The decision receipt: everything the decision used, with where it came from, so that the
/// explanation can be rebuilt exactly as it was (policy versions never change once published).
pub fn receipt(policy: &Policy, known: &Known, ctx: &Context, amount_fen: i64) -> Json {
    let catalogue = Catalogue::standard();
    let used = policy.attributes();
    let mut attributes = Map::new();
    for name in &used {
        let Some(a) = catalogue.attribute(known.kind, name) else {
            continue;
        };
        let source = known.sources.get(name);
        attributes.insert(
            name.clone(),
            json!({
                "value": store::to_json(known.subject.get(name)),
                "department": a.department.code(),
                "batch": source.map(|s| s.batch),
                "at": source.map(|s| s.at.clone()),
            }),
        );
    }
    let mut facts: BTreeMap<&str, Vec<Json>> = BTreeMap::new();
    for f in known.subject.facts.iter().filter(|f| f.month == ctx.month) {
        facts.entry(&f.table).or_default().push(Json::Object(
            f.fields
                .iter()
                .map(|(k, v)| (k.clone(), store::to_json(v)))
                .collect(),
        ));
    }
    let facts: Vec<Json> = facts
        .into_iter()
        .map(|(table, rows)| {
            let source = known.fact_sources.get(&(table.to_owned(), ctx.month));
            let department = catalogue
                .fact_table(known.kind, table)
                .map(|t| t.department.code());
            json!({
                "table": table,
                "month": ctx.month.to_string(),
                "rows": rows,
                "department": department,
                "batch": source.map(|s| s.batch),
                "at": source.map(|s| s.at.clone()),
            })
        })
        .collect();
    json!({
        "policy": policy.id,
        "version": policy.version,
        "subject": known.subject.id,
        "kind": store::kind_str(known.kind),
        "month": ctx.month.to_string(),
        "reference_date": ctx.reference_date.to_string(),
        "amount_fen": amount_fen,
        "attributes": attributes,
        "facts": facts,
    })
}

/// The subject and run a receipt records, to evaluate the policy again exactly as decided.
pub fn replay(receipt: &Json) -> Option<(rules::Subject, Context)> {
    let kind = store::parse_kind(receipt.get("kind")?.as_str()?)?;
    let month: Month = receipt.get("month")?.as_str()?.parse().ok()?;
    let reference_date = receipt.get("reference_date")?.as_str()?.parse().ok()?;
    let catalogue = Catalogue::standard();
    let mut subject = rules::Subject {
        id: receipt.get("subject")?.as_str()?.to_owned(),
        ..Default::default()
    };
    for (name, a) in receipt.get("attributes")?.as_object()? {
        let ty = catalogue.attribute(kind, name)?.ty;
        let value = store::from_json(ty, a.get("value")?);
        if !value.is_null() {
            subject.attributes.insert(name.clone(), value);
        }
    }
    for f in receipt.get("facts")?.as_array()? {
        let table = f.get("table")?.as_str()?;
        for row in f.get("rows")?.as_array()? {
            let fields = row
                .as_object()?
                .iter()
                .filter_map(|(k, v)| {
                    Some((
                        k.clone(),
                        store::from_json(store::fact_field_type(kind, table, k)?, v),
                    ))
                })
                .collect();
            subject.facts.push(rules::eval::Fact {
                table: table.to_owned(),
                month,
                fields,
            });
        }
    }
    Some((
        subject,
        Context {
            month,
            reference_date,
        },
    ))
}

/// Queues the payment of an approved grant.
pub async fn instruct_payment(
    tx: &mut Transaction<'static, Any>,
    grant: i64,
    amount_fen: i64,
    at: &str,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO payments (grant_id, amount_fen, status, next_attempt_at, created_at, updated_at) \
         VALUES ($1, $2, 'queued', $3, $3, $3) ON CONFLICT (grant_id) DO NOTHING",
    )
    .bind(grant)
    .bind(amount_fen)
    .bind(at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// A grant to create.
pub struct NewGrant<'a> {
    pub policy: &'a Policy,
    pub subject: i64,
    pub period: String,
    pub amount_fen: i64,
    pub receipt: String,
    /// Made by the subject's application (秒报秒批) rather than by matching.
    pub applied: bool,
}

impl NewGrant<'_> {
    /// A consent policy's grant waits for the subject; every other is approved at once.
    fn awaiting(&self) -> bool {
        self.policy.mode == Mode::AutomaticAfterConsent && !self.applied
    }

    fn status(&self) -> &'static str {
        if self.awaiting() {
            "awaiting_consent"
        } else {
            "approved"
        }
    }
}

/// The rows of a multi-row `VALUES`: `row` makes one row from a source of numbered placeholders
/// (`$1`, `$2`, … across all rows).
fn values(rows: usize, row: impl Fn(&mut dyn FnMut() -> String) -> String) -> String {
    let mut n = 0;
    let mut next = || {
        n += 1;
        format!("${n}")
    };
    let out: Vec<String> = (0..rows).map(|_| row(&mut next)).collect();
    out.join(", ")
}

/// Creates grants, leaving out any that exists for its (policy version, subject, period).
/// Approved ones get their payment queued; each gets its timeline and a notification. A few
/// statements per few hundred grants, so that a whole district's month writes quickly. Returns
/// the new grants' ids, in the order given (`None` where one existed).
pub async fn create_grants(
    tx: &mut Transaction<'static, Any>,
    grants: &[NewGrant<'_>],
    at: &str,
) -> sqlx::Result<Vec<Option<i64>>> {
    let mut out = Vec::with_capacity(grants.len());
    let deadline = format_utc(crate::platform::db::now() + time::Duration::days(CONSENT_DAYS));
    for chunk in grants.chunks(400) {
        let sql = format!(
            "INSERT INTO grants (policy_id, policy_version, subject_id, period, amount_fen, status, receipt, consent_deadline, created_at, updated_at) VALUES {} \
             ON CONFLICT (policy_id, policy_version, subject_id, period) DO NOTHING RETURNING id, policy_id, subject_id, period",
            values(chunk.len(), |p| {
                let v: Vec<String> = (0..9).map(|_| p()).collect();
                format!("({}, {})", v.join(", "), v[8])
            })
        );
        let mut q = sqlx::query(&sql);
        for g in chunk {
            q = q
                .bind(&g.policy.id)
                .bind(i64::from(g.policy.version))
                .bind(g.subject)
                .bind(&g.period)
                .bind(g.amount_fen)
                .bind(g.status())
                .bind(&g.receipt)
                .bind(g.awaiting().then(|| deadline.clone()))
                .bind(at);
        }
        let mut created: HashMap<(String, i64, String), i64> = HashMap::new();
        for row in q.fetch_all(&mut **tx).await? {
            created.insert(
                (
                    row.try_get("policy_id")?,
                    row.try_get("subject_id")?,
                    row.try_get("period")?,
                ),
                row.try_get("id")?,
            );
        }
        let ids: Vec<Option<i64>> = chunk
            .iter()
            .map(|g| {
                created
                    .get(&(g.policy.id.clone(), g.subject, g.period.clone()))
                    .copied()
            })
            .collect();
        let new: Vec<(&NewGrant<'_>, i64)> = chunk
            .iter()
            .zip(&ids)
            .filter_map(|(g, id)| Some((g, (*id)?)))
            .collect();
        out.extend(ids);
        if new.is_empty() {
            continue;
        }
        // The timeline: matched (or applied), then the status it starts in.
        let sql = format!(
            "INSERT INTO grant_events (grant_id, status, actor, note, at) VALUES {}",
            values(new.len() * 2, |p| format!(
                "({}, {}, {}, NULL, {})",
                p(),
                p(),
                p(),
                p()
            ))
        );
        let mut q = sqlx::query(&sql);
        for (g, id) in &new {
            let (first, actor) = if g.applied {
                ("applied", Actor::Subject)
            } else {
                ("matched", Actor::Engine)
            };
            q = q.bind(*id).bind(first).bind(actor.label()).bind(at);
            q = q
                .bind(*id)
                .bind(g.status())
                .bind(Actor::Engine.label())
                .bind(at);
        }
        q.execute(&mut **tx).await?;
        let paying: Vec<&(&NewGrant<'_>, i64)> =
            new.iter().filter(|(g, _)| !g.awaiting()).collect();
        if !paying.is_empty() {
            let sql = format!(
                "INSERT INTO payments (grant_id, amount_fen, status, next_attempt_at, created_at, updated_at) VALUES {} ON CONFLICT (grant_id) DO NOTHING",
                values(paying.len(), |p| {
                    let (id, fen, at) = (p(), p(), p());
                    format!("({id}, {fen}, 'queued', {at}, {at}, {at})")
                })
            );
            let mut q = sqlx::query(&sql);
            for (g, id) in &paying {
                q = q.bind(*id).bind(g.amount_fen).bind(at);
            }
            q.execute(&mut **tx).await?;
        }
        let sql = format!(
            "INSERT INTO notifications (subject_id, kind, grant_id, policy_id, amount_fen, created_at) VALUES {}",
            values(new.len(), |p| {
                let v: Vec<String> = (0..6).map(|_| p()).collect();
                format!("({})", v.join(", "))
            })
        );
        let mut q = sqlx::query(&sql);
        for (g, id) in &new {
            let kind = if g.awaiting() {
                "consent_needed"
            } else {
                "granted"
            };
            q = q
                .bind(g.subject)
                .bind(kind)
                .bind(*id)
                .bind(&g.policy.id)
                .bind(g.amount_fen)
                .bind(at);
        }
        q.execute(&mut **tx).await?;
    }
    Ok(out)
}

/// Creates one grant (see [`create_grants`]): its id, or `None` when it existed.
pub async fn create_grant(
    tx: &mut Transaction<'static, Any>,
    grant: NewGrant<'_>,
    at: &str,
) -> sqlx::Result<Option<i64>> {
    Ok(create_grants(tx, std::slice::from_ref(&grant), at).await?[0])
}

/// Revokes a grant whose payment has not left for the treasury (its instruction was never
/// sent, and is cancelled here): true when it was revoked.
async fn revoke(
    tx: &mut Transaction<'static, Any>,
    grant: &Grant<'_>,
    at: &str,
) -> Result<bool, MoveError> {
    let payment_sent = if grant.status == GrantStatus::Approved {
        sqlx::query(
            "UPDATE payments SET status = 'cancelled', updated_at = $1 \
             WHERE grant_id = $2 AND status = 'queued' AND attempts = 0",
        )
        .bind(at)
        .bind(grant.id)
        .execute(&mut **tx)
        .await?
        .rows_affected()
            != 1
    } else {
        false
    };
    let revoke = GrantEvent::Revoke { payment_sent };
    match move_grant(tx, grant, revoke, Actor::Engine, Some("data_changed"), at).await {
        Ok(moved) => Ok(moved.is_some()),
        // Its payment has left: it stands.
        Err(MoveError::Refused(_)) => Ok(false),
        Err(e) => Err(e),
    }
}

/// Re-evaluates one subject for the current period of every automatic policy: grants what is
/// now due, revokes what is no longer due and not yet paid, amends unpaid amounts.
pub async fn match_subject(state: &AppState, id: i64) -> anyhow::Result<()> {
    let Some(known) = Box::pin(store::load_subject(&state.db, id)).await? else {
        return Ok(());
    };
    let month = current_month();
    let ctx = Context::for_month(month);
    let at = now_utc();
    let mut tx = state.db.begin().await?;
    for policy in state.policies.iter().filter(|p| {
        p.subject == known.kind && is_automatic(p) && p.effective.contains(ctx.reference_date)
    }) {
        let decided = rules::eval::decide(policy, &known.subject, &ctx)?.filter(|a| *a > 0);
        let period = period_of(policy, month);
        let existing = sqlx::query(
            "SELECT id, status, amount_fen FROM grants WHERE policy_id = $1 AND policy_version = $2 AND subject_id = $3 AND period = $4",
        )
        .bind(&policy.id)
        .bind(i64::from(policy.version))
        .bind(id)
        .bind(&period)
        .fetch_optional(&mut *tx)
        .await?;
        let existing = match existing {
            Some(r) => {
                let status: String = r.try_get("status")?;
                Some(Grant {
                    id: r.try_get("id")?,
                    subject: id,
                    policy: &policy.id,
                    amount_fen: r.try_get("amount_fen")?,
                    status: GrantStatus::parse(&status)
                        .ok_or_else(|| anyhow::anyhow!("a grant with status {status:?}"))?,
                })
            }
            None => None,
        };
        let seen = existing.map(|g| (g.status, g.amount_fen));
        match (
            crate::subsidies::grant_life::reconcile(seen, decided),
            existing,
        ) {
            (Reconcile::Grant(amount), _) => {
                let receipt = receipt(policy, &known, &ctx, amount);
                let grant = NewGrant {
                    policy,
                    subject: id,
                    period: period.clone(),
                    amount_fen: amount,
                    receipt: receipt.to_string(),
                    applied: false,
                };
                Box::pin(create_grant(&mut tx, grant, &at)).await?;
            }
            (Reconcile::Revoke, Some(g)) => {
                revoke(&mut tx, &g, &at).await?;
            }
            (Reconcile::Amend(amount), Some(g)) => {
                // Not yet consented to: the offer follows the data.
                let receipt = receipt(policy, &known, &ctx, amount);
                sqlx::query("UPDATE grants SET amount_fen = $1, receipt = $2, updated_at = $3 WHERE id = $4")
                    .bind(amount)
                    .bind(receipt.to_string())
                    .bind(&at)
                    .bind(g.id)
                    .execute(&mut *tx)
                    .await?;
                event(
                    &mut tx,
                    g.id,
                    "amended",
                    Actor::Engine,
                    Some("data_changed"),
                    &at,
                )
                .await?;
            }
            _ => {}
        }
    }
    sqlx::query("UPDATE subjects SET pending = 0 WHERE id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// After a feed changed `subjects`: matches them at once, wakes the payment sender and tells
/// their open apps. A failure leaves them marked pending, for the background sweep.
pub async fn after_change(state: &AppState, subjects: &[i64]) {
    for &id in subjects {
        if let Err(e) = Box::pin(match_subject(state, id)).await {
            tracing::error!(subject = id, error = %format!("{e:#}"), "matching failed; left pending");
        }
        state
            .events
            .publish(crate::platform::events::Event::Subject(id))
            .await;
    }
    if !subjects.is_empty() {
        state.wake_payments.notify_one();
    }
}

/// Matching is what runs after departments' data changed.
pub struct MatchChanged;

impl crate::data::AfterChange for MatchChanged {
    fn after_change<'a>(
        &'a self,
        state: &'a AppState,
        subjects: &'a [i64],
    ) -> futures_util::future::BoxFuture<'a, ()> {
        Box::pin(after_change(state, subjects))
    }
}

/// Matches every subject left pending (by a crash between a feed and its matching).
pub async fn sweep_pending(state: &AppState) -> anyhow::Result<usize> {
    let ids: Vec<i64> =
        sqlx::query_scalar("SELECT id FROM subjects WHERE pending = 1 ORDER BY id LIMIT 1000")
            .fetch_all(&state.db.pool)
            .await?;
    after_change(state, &ids).await;
    Ok(ids.len())
}

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
            .iter()
            .filter(|p| {
                p.subject == kind && is_automatic(p) && p.effective.contains(ctx.reference_date)
            })
            .cloned()
            .collect();
        if policies.is_empty() {
            continue;
        }
        let keep = rules::policy::attributes_of(&policies);
        let phase = std::time::Instant::now();
        let (population, ids) = store::load_population(&state.db, kind, &keep, month).await?;
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
                "SELECT subject_id FROM grants WHERE policy_id = $1 AND policy_version = $2 AND period = $3",
            )
            .bind(&p.id)
            .bind(i64::from(p.version))
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

/// Grants awaiting consent past their deadline expire.
pub async fn expire_consents(state: &AppState) -> anyhow::Result<usize> {
    let at = now_utc();
    let rows = sqlx::query(
        "SELECT id, subject_id, policy_id, amount_fen FROM grants WHERE status = 'awaiting_consent' AND consent_deadline < $1",
    )
    .bind(&at)
    .fetch_all(&state.db.pool)
    .await?;
    let mut n = 0;
    for row in rows {
        let id: i64 = row.try_get("id")?;
        let subject: i64 = row.try_get("subject_id")?;
        let policy: String = row.try_get("policy_id")?;
        let mut tx = state.db.begin().await?;
        let grant = Grant {
            id,
            subject,
            policy: &policy,
            amount_fen: row.try_get("amount_fen")?,
            status: GrantStatus::AwaitingConsent,
        };
        if move_grant(&mut tx, &grant, GrantEvent::Lapse, Actor::Engine, None, &at)
            .await?
            .is_some()
        {
            n += 1;
        }
        tx.commit().await?;
        state
            .events
            .publish(crate::platform::events::Event::Subject(subject))
            .await;
    }
    Ok(n)
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
    by_subject: HashMap<i64, BTreeMap<String, store::Provenance>>,
    facts: HashMap<(i64, String, String), store::Provenance>,
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
        let source = |b: i64| store::Provenance {
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

//! From data to grants: the rules engine run over subjects whose data changed (at once), over
//! everyone for each new month (scheduled, each month to the end once), and on a subject's
//! application (秒报秒批).
//!
//! A grant is unique per (policy version, subject, period): the database's constraint, not
//! this code, is what makes a re-run, a retried event or two instances unable to grant twice.
//! Everything a grant's step changes (the grant, its timeline, its payment instruction, the
//! subject's notification) is written in one transaction.

use rules::policy::{Mode, Period};
use rules::{Context, Month, Policy};
use sqlx::Row;

use api::subsidy::GrantStatus;

use crate::data::known;
use crate::platform::db::{now_utc, today_shanghai};
use crate::subsidies::grant_life::Reconcile;
use crate::subsidies::grant_moves::{event, Actor, Grant};
use crate::subsidies::grants::{create_grant, revoke, NewGrant};
use crate::subsidies::receipts::receipt;
use crate::AppState;

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

/// Re-evaluates one subject for the current period of every automatic policy: grants what is
/// now due, revokes what is no longer due and not yet paid, amends unpaid amounts.
pub async fn match_subject(state: &AppState, id: i64) -> anyhow::Result<()> {
    let Some(known) = Box::pin(known::load_subject(&state.db, id)).await? else {
        return Ok(());
    };
    let month = current_month();
    let ctx = Context::for_month(month);
    let at = now_utc();
    let published = state.policies.get();
    let mut tx = state.db.begin().await?;
    for policy in published
        .in_force(ctx.reference_date)
        .filter(|p| p.subject == known.kind && is_automatic(p))
    {
        let decided = rules::eval::decide(policy, &known.subject, &ctx)?.filter(|a| *a > 0);
        let period = period_of(policy, month);
        let existing = sqlx::query(
            "SELECT id, status, amount_fen FROM grants WHERE policy_id = $1 AND subject_id = $2 AND period = $3",
        )
        .bind(&policy.id)
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
                revoke(&mut tx, &g, "data_changed", &at).await?;
            }
            (Reconcile::Amend(amount), Some(g)) => {
                // Not yet consented to: the offer follows the data, and the version in force.
                let receipt = receipt(policy, &known, &ctx, amount);
                sqlx::query("UPDATE grants SET amount_fen = $1, receipt = $2, policy_version = $3, updated_at = $4 WHERE id = $5")
                    .bind(amount)
                    .bind(receipt.to_string())
                    .bind(i64::from(policy.version))
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
    tell_who_may_apply(&mut tx, state, &known, id, month, &ctx, &at).await?;
    sqlx::query("UPDATE subjects SET pending = 0 WHERE id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// 政策找人: a subject whose data now makes them eligible for a policy they apply for is told
/// so, with the amount, once per policy and period (not at every re-match), unless they have
/// a grant of it for the period already.
async fn tell_who_may_apply(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    state: &AppState,
    known: &known::Known,
    id: i64,
    month: Month,
    ctx: &Context,
    at: &str,
) -> anyhow::Result<()> {
    let published = state.policies.get();
    for policy in published
        .in_force(ctx.reference_date)
        .filter(|p| p.subject == known.kind && p.mode == Mode::ApplyInstant)
    {
        let Some(amount) = rules::eval::decide(policy, &known.subject, ctx)?.filter(|a| *a > 0)
        else {
            continue;
        };
        let period = period_of(policy, month);
        let granted: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM grants WHERE policy_id = $1 AND subject_id = $2 AND period = $3",
        )
        .bind(&policy.id)
        .bind(id)
        .bind(&period)
        .fetch_optional(&mut **tx)
        .await?;
        if granted.is_some() {
            continue;
        }
        let first = sqlx::query(
            "INSERT INTO eligibility_notices (subject_id, policy_id, period, notified_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
        )
        .bind(id)
        .bind(&policy.id)
        .bind(&period)
        .bind(at)
        .execute(&mut **tx)
        .await?
        .rows_affected()
            == 1;
        if first {
            crate::subsidies::grant_moves::notify(
                tx,
                id,
                "can_apply",
                None,
                &policy.id,
                Some(amount),
                at,
            )
            .await?;
        }
    }
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

//! Writing grants: creating them (grant, timeline, payment instruction and notification in one
//! transaction, many at once for a monthly run), revoking what is no longer due, and expiring
//! consents not given in time.

use std::collections::HashMap;

use rules::policy::Mode;
use rules::Policy;
use sqlx::{Any, Row, Transaction};

use api::subsidy::GrantStatus;

use crate::platform::db::{format_utc, now_utc};
use crate::subsidies::grant_life::GrantEvent;
use crate::subsidies::grant_moves::{move_grant, Actor, Grant, MoveError};
use crate::AppState;

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
pub(super) fn values(rows: usize, row: impl Fn(&mut dyn FnMut() -> String) -> String) -> String {
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
    // Each offer lapses after its policy's consent window.
    let now = crate::platform::db::now();
    let deadline =
        |g: &NewGrant<'_>| format_utc(now + time::Duration::days(i64::from(g.policy.consent_days)));
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
                .bind(g.awaiting().then(|| deadline(g)))
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
pub(super) async fn revoke(
    tx: &mut Transaction<'static, Any>,
    grant: &Grant<'_>,
    reason: &str,
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
    match move_grant(tx, grant, revoke, Actor::Engine, Some(reason), at).await {
        Ok(moved) => Ok(moved.is_some()),
        // Its payment has left: it stands.
        Err(MoveError::Refused(_)) => Ok(false),
        Err(e) => Err(e),
    }
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

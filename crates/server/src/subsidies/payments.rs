//! Paying grants: the outbox of payment instructions and the treasury they go to.
//!
//! An approved grant's instruction is queued in the same transaction that approves it. A
//! sender takes due instructions, claims each with a compare-and-set (so two instances never
//! send one at the same moment), and sends it to the [`Treasury`] with the grant's id as the
//! idempotency key: the treasury acts on a key once, so sending again after a crash, a timeout
//! or a restart can never pay twice, and nothing is lost because an instruction leaves the
//! outbox only when the treasury has confirmed it. Failures back off (2, 4, 8 … seconds, at
//! most 10 minutes); after six in a row the payment shows as failed to staff, who can retry it.

use std::time::Duration;

use serde_json::{json, Value as Json};
use sqlx::Row;

use api::subsidy::GrantStatus;

use crate::platform::db::{format_utc, now_utc};
use crate::platform::http_client::retry_at;
use crate::subsidies::grant_life::GrantEvent;
use crate::subsidies::grant_moves::{event, move_grant, status_of, Actor, Grant};
use crate::AppState;

/// Consecutive failures after which a payment waits for staff.
pub const MAX_ERRORS: i64 = 6;

/// One payment instruction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Instruction {
    /// `zhida-grant-<id>`: the same for every attempt.
    pub key: String,
    pub payee_kind: String,
    /// The payee's id in the departments' data; the treasury knows their account.
    pub payee: String,
    pub amount_fen: i64,
    pub policy: String,
    pub period: String,
}

/// What the treasury says of an instruction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TreasuryStatus {
    /// Received; not yet paid.
    Accepted,
    Paid {
        reference: String,
    },
    Rejected {
        reason: String,
    },
    /// The treasury has no instruction with this key.
    Unknown,
}

/// The payment system (国库集中支付). It cannot exist here: the real one is reached over HTTP
/// at a configured address; tests run a local fake that speaks the same protocol.
#[async_trait::async_trait]
pub trait Treasury: Send + Sync {
    /// Sends an instruction. Sending the same key again returns the first answer.
    async fn instruct(&self, instruction: &Instruction) -> anyhow::Result<TreasuryStatus>;
    /// Asks how an instruction stands.
    async fn status(&self, key: &str) -> anyhow::Result<TreasuryStatus>;
}

/// The protocol: `POST {base}/payments` with `Idempotency-Key: <key>` and a JSON body
/// `{"key", "payee": {"kind", "id"}, "amount_fen", "purpose": {"policy", "period"}}`; answers
/// `{"status": "accepted" | "paid" | "rejected", "reference"?, "reason"?}`.
/// `GET {base}/payments/{key}` answers the same, or 404 for an unknown key.
pub struct HttpTreasury {
    pub base: String,
    pub token: String,
    pub client: crate::platform::http_client::Client,
}

fn read_status(status: u16, body: &Json) -> anyhow::Result<TreasuryStatus> {
    if status == 404 {
        return Ok(TreasuryStatus::Unknown);
    }
    anyhow::ensure!(
        (200..300).contains(&status),
        "the treasury answered {status}"
    );
    let text = |k: &str| {
        body.get(k)
            .and_then(Json::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    match body.get("status").and_then(Json::as_str) {
        Some("accepted") => Ok(TreasuryStatus::Accepted),
        Some("paid") => Ok(TreasuryStatus::Paid {
            reference: text("reference"),
        }),
        Some("rejected") => Ok(TreasuryStatus::Rejected {
            reason: text("reason"),
        }),
        other => anyhow::bail!("the treasury answered an unknown status {other:?}"),
    }
}

#[async_trait::async_trait]
impl Treasury for HttpTreasury {
    async fn instruct(&self, i: &Instruction) -> anyhow::Result<TreasuryStatus> {
        let body = json!({
            "key": i.key,
            "payee": { "kind": i.payee_kind, "id": i.payee },
            "amount_fen": i.amount_fen,
            "purpose": { "policy": i.policy, "period": i.period },
        });
        let url = format!("{}/payments", self.base.trim_end_matches('/'));
        let (status, answer) = self
            .client
            .idempotent_json(
                reqwest::Method::POST,
                &url,
                &self.token,
                &i.key,
                Some(&body),
            )
            .await?;
        read_status(status, &answer)
    }

    async fn status(&self, key: &str) -> anyhow::Result<TreasuryStatus> {
        let url = format!("{}/payments/{key}", self.base.trim_end_matches('/'));
        let (status, answer) = self
            .client
            .idempotent_json(reqwest::Method::GET, &url, &self.token, key, None)
            .await?;
        read_status(status, &answer)
    }
}

/// Demo mode without a configured treasury: accepts every instruction and reports it paid
/// when next asked, logging both (nothing is paid).
#[derive(Default)]
pub struct DemoTreasury {
    accepted: std::sync::Mutex<std::collections::HashSet<String>>,
}

#[async_trait::async_trait]
impl Treasury for DemoTreasury {
    async fn instruct(&self, i: &Instruction) -> anyhow::Result<TreasuryStatus> {
        tracing::info!(key = %i.key, amount_fen = i.amount_fen, "demo treasury: instruction accepted (nothing is paid)");
        self.accepted
            .lock()
            .expect("not poisoned")
            .insert(i.key.clone());
        Ok(TreasuryStatus::Accepted)
    }

    async fn status(&self, key: &str) -> anyhow::Result<TreasuryStatus> {
        if self.accepted.lock().expect("not poisoned").contains(key) {
            Ok(TreasuryStatus::Paid {
                reference: format!("DEMO-{key}"),
            })
        } else {
            Ok(TreasuryStatus::Unknown)
        }
    }
}

/// No treasury configured outside demo mode: every instruction waits, failing visibly.
pub struct NoTreasury;

#[async_trait::async_trait]
impl Treasury for NoTreasury {
    async fn instruct(&self, _: &Instruction) -> anyhow::Result<TreasuryStatus> {
        anyhow::bail!("no treasury is configured (ZHIDA_TREASURY_URL)")
    }
    async fn status(&self, _: &str) -> anyhow::Result<TreasuryStatus> {
        anyhow::bail!("no treasury is configured (ZHIDA_TREASURY_URL)")
    }
}

/// A due payment.
struct Due {
    id: i64,
    grant: i64,
    status: String,
    attempts: i64,
    errors: i64,
    amount_fen: i64,
    subject: i64,
    payee_kind: String,
    payee: String,
    policy: String,
    period: String,
}

/// Sends every due instruction once (or asks about it); returns how many it handled.
pub async fn send_due(state: &AppState) -> anyhow::Result<usize> {
    let now = now_utc();
    let rows = sqlx::query(
        "SELECT p.id, p.grant_id, p.status, p.attempts, p.errors, p.amount_fen, g.subject_id, g.policy_id, g.period, s.kind, s.ref \
         FROM payments p JOIN grants g ON g.id = p.grant_id JOIN subjects s ON s.id = g.subject_id \
         WHERE p.status IN ('queued', 'instructed') AND p.next_attempt_at <= $1 ORDER BY p.id LIMIT 200",
    )
    .bind(&now)
    .fetch_all(&state.db.pool)
    .await?;
    let mut due = Vec::with_capacity(rows.len());
    for r in rows {
        due.push(Due {
            id: r.try_get("id")?,
            grant: r.try_get("grant_id")?,
            status: r.try_get("status")?,
            attempts: r.try_get("attempts")?,
            errors: r.try_get("errors")?,
            amount_fen: r.try_get("amount_fen")?,
            subject: r.try_get("subject_id")?,
            payee_kind: r.try_get("kind")?,
            payee: r.try_get("ref")?,
            policy: r.try_get("policy_id")?,
            period: r.try_get("period")?,
        });
    }
    let n = due.len();
    for p in due {
        // Claim it: push its next attempt out first, so another sender leaves it alone and a
        // crash mid-call retries it later (the idempotency key makes the retry harmless).
        let claimed = sqlx::query(
            "UPDATE payments SET attempts = attempts + 1, next_attempt_at = $1, updated_at = $2 \
             WHERE id = $3 AND attempts = $4 AND status = $5",
        )
        .bind(retry_at(p.errors + 1))
        .bind(&now)
        .bind(p.id)
        .bind(p.attempts)
        .bind(&p.status)
        .execute(&state.db.pool)
        .await?
        .rows_affected()
            == 1;
        if !claimed {
            continue;
        }
        let key = format!("zhida-grant-{}", p.grant);
        let answer = if p.status == "queued" {
            state
                .treasury
                .instruct(&Instruction {
                    key: key.clone(),
                    payee_kind: p.payee_kind.clone(),
                    payee: p.payee.clone(),
                    amount_fen: p.amount_fen,
                    policy: p.policy.clone(),
                    period: p.period.clone(),
                })
                .await
        } else {
            match state.treasury.status(&key).await {
                // It never arrived: send it again.
                Ok(TreasuryStatus::Unknown) => {
                    sqlx::query("UPDATE payments SET status = 'queued', next_attempt_at = $1 WHERE id = $2 AND status = 'instructed'")
                        .bind(&now)
                        .bind(p.id)
                        .execute(&state.db.pool)
                        .await?;
                    continue;
                }
                other => other,
            }
        };
        record(state, &p, answer).await?;
    }
    Ok(n)
}

/// Writes what the treasury answered.
async fn record(
    state: &AppState,
    p: &Due,
    answer: anyhow::Result<TreasuryStatus>,
) -> anyhow::Result<()> {
    let now = now_utc();
    let mut tx = state.db.begin().await?;
    // Whether the subject can see a difference (only then is their app told).
    let mut changed = true;
    match answer {
        Ok(TreasuryStatus::Accepted) => {
            if p.status == "queued" {
                sqlx::query("UPDATE payments SET status = 'instructed', errors = 0, last_error = NULL, next_attempt_at = $1, updated_at = $2 WHERE id = $3")
                    .bind(format_utc(crate::platform::db::now() + Duration::from_millis(500)))
                    .bind(&now)
                    .bind(p.id)
                    .execute(&mut *tx)
                    .await?;
                by_treasury(&mut tx, p, false, &now).await?;
            } else {
                // Not paid yet: ask again soon.
                changed = false;
                sqlx::query("UPDATE payments SET errors = 0, next_attempt_at = $1 WHERE id = $2")
                    .bind(format_utc(
                        crate::platform::db::now() + Duration::from_secs(2),
                    ))
                    .bind(p.id)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        Ok(TreasuryStatus::Paid { reference }) => {
            sqlx::query("UPDATE payments SET status = 'paid', errors = 0, last_error = NULL, treasury_ref = $1, paid_at = $2, updated_at = $2 WHERE id = $3")
                .bind(&reference)
                .bind(&now)
                .bind(p.id)
                .execute(&mut *tx)
                .await?;
            by_treasury(&mut tx, p, true, &now).await?;
        }
        Ok(TreasuryStatus::Rejected { reason }) => {
            fail(
                &mut tx,
                p,
                &format!("rejected by the treasury: {reason}"),
                true,
                &now,
            )
            .await?;
        }
        Ok(TreasuryStatus::Unknown) => {
            fail(
                &mut tx,
                p,
                "the treasury does not know this instruction",
                false,
                &now,
            )
            .await?;
        }
        Err(e) => {
            tracing::warn!(payment = p.id, error = %format!("{e:#}"), "payment attempt failed");
            fail(&mut tx, p, &format!("{e:#}"), false, &now).await?;
        }
    }
    tx.commit().await?;
    if changed {
        state
            .events
            .publish(crate::platform::events::Event::Subject(p.subject))
            .await;
    }
    Ok(())
}

/// Moves the grant of payment `p` along what the treasury answered, from the status it has
/// now, through the table: to `payment_instructed`, and on to `paid` when `paid` (its timeline
/// shows both steps; the person is told when paid). An answer already recorded (two senders
/// asked at once) writes nothing.
async fn by_treasury(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    p: &Due,
    paid: bool,
    at: &str,
) -> anyhow::Result<()> {
    let mut grant = Grant {
        id: p.grant,
        subject: p.subject,
        policy: &p.policy,
        amount_fen: p.amount_fen,
        status: status_of(tx, p.grant)
            .await?
            .ok_or_else(|| anyhow::anyhow!("grant {} of payment {} is gone", p.grant, p.id))?,
    };
    let steps = [
        (GrantEvent::Instructed, true, GrantStatus::PaymentInstructed),
        (GrantEvent::Paid, paid, GrantStatus::Paid),
    ];
    for (what, wanted, reached) in steps {
        // Already there (or past it): nothing to write.
        let already = grant.status == reached || grant.status == GrantStatus::Paid;
        if !wanted || already {
            continue;
        }
        if let Some(to) = move_grant(tx, &grant, what, Actor::Treasury, None, at).await? {
            grant.status = to;
        }
    }
    Ok(())
}

async fn fail(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    p: &Due,
    error: &str,
    at_once: bool,
    now: &str,
) -> sqlx::Result<()> {
    let errors = p.errors + 1;
    let failed = at_once || errors >= MAX_ERRORS;
    let error: String = error.chars().take(500).collect();
    sqlx::query("UPDATE payments SET errors = $1, last_error = $2, status = CASE WHEN $3 = 1 THEN 'failed' ELSE status END, updated_at = $4 WHERE id = $5")
        .bind(errors)
        .bind(&error)
        .bind(i64::from(failed))
        .bind(now)
        .bind(p.id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Staff send a failed payment again (its key unchanged, so it cannot pay twice).
pub async fn retry(state: &AppState, payment: i64, staff: &str) -> anyhow::Result<bool> {
    let now = now_utc();
    let mut tx = state.db.begin().await?;
    let Some(grant): Option<i64> =
        sqlx::query_scalar("SELECT grant_id FROM payments WHERE id = $1 AND status = 'failed'")
            .bind(payment)
            .fetch_optional(&mut *tx)
            .await?
    else {
        return Ok(false);
    };
    // Back to where it was: never instructed (attempts that all failed) or instructed.
    let instructed: Option<String> = sqlx::query_scalar("SELECT status FROM grants WHERE id = $1")
        .bind(grant)
        .fetch_optional(&mut *tx)
        .await?;
    let status = if instructed.as_deref() == Some("payment_instructed") {
        "instructed"
    } else {
        "queued"
    };
    sqlx::query("UPDATE payments SET status = $1, errors = 0, next_attempt_at = $2, updated_at = $2 WHERE id = $3")
        .bind(status)
        .bind(&now)
        .bind(payment)
        .execute(&mut *tx)
        .await?;
    event(
        &mut tx,
        grant,
        "payment_retried",
        Actor::Staff(staff),
        None,
        &now,
    )
    .await?;
    tx.commit().await?;
    state.wake_payments.notify_one();
    Ok(true)
}

/// Runs the sender until the process ends: at once when woken, and every second otherwise.
pub async fn sender_loop(state: AppState) {
    loop {
        match send_due(&state).await {
            Ok(n) if n > 0 => continue,
            Ok(_) => {}
            Err(e) => tracing::error!(error = %format!("{e:#}"), "payment sender"),
        }
        let _ = tokio::time::timeout(Duration::from_secs(1), state.wake_payments.notified()).await;
    }
}

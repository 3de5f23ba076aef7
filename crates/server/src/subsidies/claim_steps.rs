//! Every step of an application under review, in one place ([`take_step`]): legality from
//! [`claim_life`](super::claim_life), what the step needs, its record, the applicant's message
//! and, on approval, the grant.

use api::claim::{ClaimAction, ClaimStatus, ClaimStepRequest};
use api::licence::ItemReason;
use rules::policy::Mode;
use rules::{Context, Policy};

use crate::data::known;
use crate::licences::transition::reason_ok;
use crate::platform::db::{now_utc, today_shanghai};
use crate::platform::error::ApiError;
use crate::platform::events::Event;
use crate::platform::i18n::Lang;
use crate::subsidies::claim_life::{self, By};
use crate::subsidies::claims::{blocking, Loaded};
use crate::subsidies::{grants, matching, receipts};
use crate::AppState;

#[allow(clippy::too_many_arguments)]
pub(super) async fn record_step(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    claim: i64,
    action: &str,
    to: ClaimStatus,
    by: By,
    user: Option<i64>,
    staff: Option<i64>,
    reason: Option<&str>,
    items: &[ItemReason],
    at: &str,
) -> Result<(), ApiError> {
    sqlx::query(
        "INSERT INTO claim_steps (claim_id, action, to_status, actor, user_id, staff_id, at, reason, items) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(claim)
    .bind(action)
    .bind(to.as_str())
    .bind(by.label())
    .bind(user)
    .bind(staff)
    .bind(at)
    .bind(reason)
    .bind(serde_json::to_string(items).map_err(ApiError::internal)?)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Takes one step: legal for `by` from the status the sender saw (a repeat of a step already
/// taken changes nothing), with what it needs (a complete application to submit, reasons to
/// return or reject, eligibility to submit and approve), its record, the applicant's message
/// and, on approval, the grant, in one transaction.
pub async fn take_step(
    state: &AppState,
    c: &Loaded,
    by: By,
    user: Option<i64>,
    staff: Option<i64>,
    req: &ClaimStepRequest,
    lang: Lang,
) -> Result<(), ApiError> {
    if c.status != req.from {
        let repeat: Option<i64> = sqlx::query_scalar(
            "SELECT s.id FROM claim_steps s WHERE s.claim_id = $1 AND s.action = $2 LIMIT 1",
        )
        .bind(c.id)
        .bind(req.action.as_str())
        .fetch_optional(&state.db.pool)
        .await?;
        return match repeat {
            Some(_) if next_is(c.status, req) => Ok(()),
            _ => Err(ApiError::conflict("stage_changed")),
        };
    }
    let to = claim_life::next(c.status, req.action, by)
        .ok_or_else(|| ApiError::conflict("illegal_transition"))?;
    let at = now_utc();
    let mut reason: Option<String> = None;
    let mut items: Vec<ItemReason> = Vec::new();
    let mut due_on: Option<String> = c.due_on.clone();
    let mut grant: Option<(Policy, i64, String)> = None;
    match req.action {
        ClaimAction::Submit => {
            if let Some(p) = blocking(c, lang).into_iter().next() {
                return Err(if p.field.starts_with("materials.") {
                    ApiError::invalid_field_because(p.field, "material_missing")
                } else {
                    ApiError::invalid_field_because(format!("answers.{}", p.field), "not_ready")
                        .with_arg("problem", p.message)
                });
            }
            eligible_now(state, c).await?;
            let today = today_shanghai();
            due_on = Some(
                licensing::calendar::Calendar::standard()
                    .add_working_days(today, c.spec().review_days)
                    .to_string(),
            );
        }
        ClaimAction::Return => {
            reason = Some(reason_ok(
                "reason",
                req.reason.as_deref().unwrap_or(""),
                lang,
            )?);
            for (i, item) in req.items.iter().enumerate() {
                if c.spec().materials.iter().all(|m| m.code != item.material) {
                    return Err(ApiError::invalid_field_because(
                        format!("items[{i}].material"),
                        "choice",
                    ));
                }
                items.push(ItemReason {
                    material: item.material.clone(),
                    reason: reason_ok(&format!("items[{i}].reason"), &item.reason, lang)?,
                });
            }
        }
        ClaimAction::Reject => {
            reason = Some(reason_ok(
                "reason",
                req.reason.as_deref().unwrap_or(""),
                lang,
            )?);
        }
        ClaimAction::Approve => {
            let (policy, amount, receipt) = eligible_now(state, c).await?;
            grant = Some((policy, amount, receipt));
        }
        ClaimAction::Withdraw => {}
    }
    let mut tx = state.db.begin().await?;
    let decided = matches!(to, ClaimStatus::Approved | ClaimStatus::Rejected);
    let moved = sqlx::query(
        "UPDATE claims SET status = $1, updated_at = $2, submitted_at = COALESCE($3, submitted_at), \
         due_on = $4, decided_at = COALESCE($5, decided_at) WHERE id = $6 AND status = $7",
    )
    .bind(to.as_str())
    .bind(&at)
    .bind((to == ClaimStatus::Submitted).then(|| at.clone()))
    // The clock stops on a return and starts again on resubmission; a decision keeps the date
    // it was due by.
    .bind(due_on.filter(|_| to == ClaimStatus::Submitted || decided))
    .bind(decided.then(|| at.clone()))
    .bind(c.id)
    .bind(c.status.as_str())
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if moved == 0 {
        return Err(ApiError::conflict("stage_changed"));
    }
    for item in &items {
        sqlx::query(
            "UPDATE claim_materials SET returned_reason = $1 WHERE claim_id = $2 AND material = $3",
        )
        .bind(&item.reason)
        .bind(c.id)
        .bind(&item.material)
        .execute(&mut *tx)
        .await?;
    }
    record_step(
        &mut tx,
        c.id,
        req.action.as_str(),
        to,
        by,
        user,
        staff,
        reason.as_deref(),
        &items,
        &at,
    )
    .await?;
    let kind = match req.action {
        ClaimAction::Return => Some("claim_returned"),
        ClaimAction::Reject => Some("claim_rejected"),
        _ => None,
    };
    if let Some(kind) = kind {
        sqlx::query(
            "INSERT INTO notifications (subject_id, kind, policy_id, claim_id, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(c.subject)
        .bind(kind)
        .bind(&c.policy.id)
        .bind(c.id)
        .bind(&at)
        .execute(&mut *tx)
        .await?;
    }
    if let Some((policy, amount, receipt)) = &grant {
        let made = grants::create_grant(
            &mut tx,
            grants::NewGrant {
                policy,
                subject: c.subject,
                period: c.period.clone(),
                amount_fen: *amount,
                receipt: receipt.clone(),
                applied: true,
            },
            &at,
        )
        .await?
        .ok_or_else(|| ApiError::conflict("claim_granted").worded("claim.err_granted"))?;
        sqlx::query("UPDATE claims SET grant_id = $1 WHERE id = $2")
            .bind(made)
            .bind(c.id)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    if grant.is_some() {
        state.wake_payments.notify_one();
    }
    state.events.publish(Event::Subject(c.subject)).await;
    Ok(())
}

/// Whether the application is already where `req` would have taken it.
fn next_is(now: ClaimStatus, req: &ClaimStepRequest) -> bool {
    [By::Applicant, By::Reviewer]
        .into_iter()
        .any(|by| claim_life::next(req.from, req.action, by) == Some(now))
}

/// The rules' decision now under the version in force: the policy, the amount and the
/// receipt; 409 when the subject no longer qualifies (the reviewer rejects with the reason).
async fn eligible_now(state: &AppState, c: &Loaded) -> Result<(Policy, i64, String), ApiError> {
    let policy = state
        .policies
        .current(&c.policy.id)
        .filter(|p| p.mode == Mode::ApplyReviewed)
        .ok_or_else(|| ApiError::conflict("claim_not_eligible").worded("claim.err_not_eligible"))?;
    let known = known::load_subject(&state.db, c.subject)
        .await?
        .ok_or_else(|| ApiError::conflict("claim_not_eligible").worded("claim.err_not_eligible"))?;
    let ctx = Context::for_month(matching::current_month());
    let e = rules::evaluate(&policy, &known.subject, &ctx)?;
    let amount = e.amount_fen.unwrap_or(0);
    if !e.eligible || amount <= 0 {
        return Err(ApiError::conflict("claim_not_eligible").worded("claim.err_not_eligible"));
    }
    let receipt = receipts::receipt(&policy, &known, &ctx, amount).to_string();
    Ok((policy, amount, receipt))
}

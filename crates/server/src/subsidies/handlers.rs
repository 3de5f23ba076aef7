//! What residents and enterprises see of 免申即享 (home, grants with their receipts, why they
//! qualify, consent, 申报, the inbox), and staff's disbursement dashboard.

use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::Json;
use serde_json::Value as Json_;
use sqlx::Row;

use api::policy::{Audience, GrantMode};
use api::subsidy::{
    ApplyOffer, ApplyResult, Disbursement, FailedPayment, GrantDetail, GrantStatus, GrantStep,
    GrantSummary, GrantTally, Home, MonthPaid, Notification, PolicyCheck, UsedValue,
};
use api::ErrorBody;
use rules::policy::Mode;
use rules::{Catalogue, Context, Policy, SubjectKind};

use crate::accounts::auth::{may_act, Principal, Session, StaffWith};
use crate::data::store;
use crate::platform::db::now_utc;
use crate::platform::error::ApiError;
use crate::platform::events::{self, Event};
use crate::platform::i18n::bilingual;
use crate::policies::explain::{self, criteria, department, same, show};
use crate::policies::library::bi;
use crate::subsidies::grant_life::GrantEvent;
use crate::subsidies::grant_moves::{move_grant, Actor, Grant};
use crate::subsidies::matching;
use crate::AppState;

/// The resident or enterprise a request is about: the person themself, or the enterprise they
/// act for within the subsidies scope (checked in the database on every request). `subject`
/// is `None` when the departments' data does not know them (yet).
#[derive(Clone, Debug)]
pub struct Beneficiary {
    pub kind: SubjectKind,
    pub subject: Option<i64>,
}

impl FromRequestParts<AppState> for Beneficiary {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Beneficiary, ApiError> {
        let session = Session::from_request_parts(parts, state).await?;
        let Principal::Person(user) = session.principal else {
            return Err(ApiError::forbidden_because("people_only"));
        };
        let (kind, reference): (SubjectKind, Option<String>) = match session.acting_for {
            Some(enterprise) => {
                if !may_act(state, user, enterprise, Some("scope_subsidies")).await? {
                    return Err(ApiError::forbidden_because("scope"));
                }
                let r = sqlx::query_scalar("SELECT enterprise_ref FROM enterprises WHERE id = $1")
                    .bind(enterprise)
                    .fetch_optional(&state.db.pool)
                    .await?
                    .flatten();
                (SubjectKind::Enterprise, r)
            }
            None => {
                let r = sqlx::query_scalar("SELECT resident_ref FROM users WHERE id = $1")
                    .bind(user)
                    .fetch_optional(&state.db.pool)
                    .await?
                    .flatten();
                (SubjectKind::Resident, r)
            }
        };
        let subject = match reference {
            Some(r) => store::subject_id(&state.db, kind, &r).await?,
            None => None,
        };
        Ok(Beneficiary { kind, subject })
    }
}

fn audience(kind: SubjectKind) -> Audience {
    match kind {
        SubjectKind::Resident => Audience::Resident,
        SubjectKind::Enterprise => Audience::Enterprise,
    }
}

fn mode(m: Mode) -> GrantMode {
    match m {
        Mode::Automatic => GrantMode::Automatic,
        Mode::AutomaticAfterConsent => GrantMode::AutomaticAfterConsent,
        Mode::ApplyInstant => GrantMode::ApplyInstant,
        Mode::ApplyReviewed => GrantMode::ApplyReviewed,
    }
}

fn summary_of(state: &AppState, row: &sqlx::any::AnyRow) -> Result<GrantSummary, ApiError> {
    let policy: String = row.try_get("policy_id")?;
    let status: String = row.try_get("status")?;
    Ok(GrantSummary {
        id: row.try_get("id")?,
        name: state
            .policies
            .iter()
            .find(|p| p.id == policy)
            .map_or_else(|| same(policy.clone()), |p| bi(&p.name)),
        policy,
        period: row.try_get("period")?,
        amount_fen: row.try_get("amount_fen")?,
        status: GrantStatus::parse(&status)
            .ok_or_else(|| ApiError::internal(format!("unknown grant status {status}")))?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        consent_deadline: row.try_get("consent_deadline")?,
    })
}

const GRANT_COLUMNS: &str =
    "id, policy_id, period, amount_fen, status, created_at, updated_at, consent_deadline";

async fn grants_where(
    state: &AppState,
    condition: &str,
    subject: i64,
    limit: i64,
) -> Result<Vec<GrantSummary>, ApiError> {
    let rows = sqlx::query(&format!(
        "SELECT {GRANT_COLUMNS} FROM grants WHERE subject_id = $1 AND {condition} ORDER BY id DESC LIMIT $2"
    ))
    .bind(subject)
    .bind(limit)
    .fetch_all(&state.db.pool)
    .await?;
    rows.iter().map(|r| summary_of(state, r)).collect()
}

/// The grant of this period of `policy` for `subject`, if any.
async fn current_grant(
    state: &AppState,
    policy: &Policy,
    subject: i64,
) -> Result<Option<GrantSummary>, ApiError> {
    let row = sqlx::query(&format!(
        "SELECT {GRANT_COLUMNS} FROM grants WHERE subject_id = $1 AND policy_id = $2 AND policy_version = $3 AND period = $4"
    ))
    .bind(subject)
    .bind(&policy.id)
    .bind(i64::from(policy.version))
    .bind(matching::period_of(policy, matching::current_month()))
    .fetch_optional(&state.db.pool)
    .await?;
    row.map(|r| summary_of(state, &r)).transpose()
}

/// The home page: money received this year, what needs an action, recent grants and their
/// payments, the inbox.
#[utoipa::path(get, path = "/api/home", tag = "subsidies",
    responses(
        (status = 200, body = Home),
        (status = 401, description = "Not logged in", body = ErrorBody),
        (status = 403, description = "Staff, or acting for an enterprise outside the subsidies scope", body = ErrorBody),
    ))]
pub async fn home(State(state): State<AppState>, who: Beneficiary) -> Result<Json<Home>, ApiError> {
    let Some(subject) = who.subject else {
        return Ok(Json(Home {
            audience: None,
            received_this_year_fen: 0,
            awaiting_consent: Vec::new(),
            can_apply: Vec::new(),
            recent: Vec::new(),
            notifications: Vec::new(),
            unread: 0,
        }));
    };
    // The year in Shanghai, as UTC bounds: from 1 January 00:00 (UTC+8) on.
    let year = crate::platform::db::today_shanghai().year();
    let from = format!("{:04}-12-31T16:00:00.000Z", year - 1);
    let received: Option<i64> = sqlx::query_scalar(
        "SELECT CAST(SUM(p.amount_fen) AS BIGINT) FROM payments p JOIN grants g ON g.id = p.grant_id \
         WHERE g.subject_id = $1 AND p.status = 'paid' AND p.paid_at >= $2",
    )
    .bind(subject)
    .bind(from)
    .fetch_one(&state.db.pool)
    .await?;
    let awaiting_consent = grants_where(&state, "status = 'awaiting_consent'", subject, 20).await?;
    let recent = grants_where(&state, "status <> 'awaiting_consent'", subject, 10).await?;
    let mut can_apply = Vec::new();
    if let Some(known) = Box::pin(store::load_subject(&state.db, subject)).await? {
        let ctx = Context::for_month(matching::current_month());
        for p in state.policies.iter().filter(|p| {
            p.subject == known.kind
                && p.mode == Mode::ApplyInstant
                && p.effective.contains(ctx.reference_date)
        }) {
            if let Some(amount) = rules::eval::decide(p, &known.subject, &ctx)?.filter(|a| *a > 0) {
                if current_grant(&state, p, subject).await?.is_none() {
                    can_apply.push(ApplyOffer {
                        policy: p.id.clone(),
                        name: bi(&p.name),
                        amount_fen: amount,
                        period: matching::period_of(p, ctx.month),
                    });
                }
            }
        }
    }
    let (notifications, unread) = inbox(&state, subject, 10).await?;
    Ok(Json(Home {
        audience: Some(audience(who.kind)),
        received_this_year_fen: received.unwrap_or(0),
        awaiting_consent,
        can_apply,
        recent,
        notifications,
        unread,
    }))
}

async fn inbox(
    state: &AppState,
    subject: i64,
    limit: i64,
) -> Result<(Vec<Notification>, i64), ApiError> {
    let rows = sqlx::query(
        "SELECT id, kind, grant_id, policy_id, amount_fen, created_at, read_at FROM notifications \
         WHERE subject_id = $1 ORDER BY id DESC LIMIT $2",
    )
    .bind(subject)
    .bind(limit)
    .fetch_all(&state.db.pool)
    .await?;
    let mut out = Vec::new();
    for r in rows {
        let policy: Option<String> = r.try_get("policy_id")?;
        out.push(Notification {
            id: r.try_get("id")?,
            kind: r.try_get("kind")?,
            name: policy
                .as_deref()
                .and_then(|id| state.policies.iter().find(|p| p.id == id))
                .map(|p| bi(&p.name)),
            policy,
            grant: r.try_get("grant_id")?,
            amount_fen: r.try_get("amount_fen")?,
            created_at: r.try_get("created_at")?,
            read: r.try_get::<Option<String>, _>("read_at")?.is_some(),
        });
    }
    let unread: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM notifications WHERE subject_id = $1 AND read_at IS NULL",
    )
    .bind(subject)
    .fetch_one(&state.db.pool)
    .await?;
    Ok((out, unread))
}

/// The inbox, newest first (the latest 100).
#[utoipa::path(get, path = "/api/notifications", tag = "subsidies",
    responses((status = 200, body = Vec<Notification>), (status = 401, body = ErrorBody)))]
pub async fn notifications(
    State(state): State<AppState>,
    who: Beneficiary,
) -> Result<Json<Vec<Notification>>, ApiError> {
    let Some(subject) = who.subject else {
        return Ok(Json(Vec::new()));
    };
    Ok(Json(inbox(&state, subject, 100).await?.0))
}

/// Marks every notification read.
#[utoipa::path(post, path = "/api/notifications/read", tag = "subsidies",
    responses((status = 204), (status = 401, body = ErrorBody)))]
pub async fn read_notifications(
    State(state): State<AppState>,
    who: Beneficiary,
) -> Result<axum::http::StatusCode, ApiError> {
    if let Some(subject) = who.subject {
        sqlx::query(
            "UPDATE notifications SET read_at = $1 WHERE subject_id = $2 AND read_at IS NULL",
        )
        .bind(now_utc())
        .bind(subject)
        .execute(&state.db.pool)
        .await?;
        state.events.publish(Event::Subject(subject)).await;
    }
    Ok(axum::http::StatusCode::NO_CONTENT)
}

fn find_policy<'a>(state: &'a AppState, id: &str) -> Result<&'a Policy, ApiError> {
    state
        .policies
        .iter()
        .find(|p| p.id == id)
        .ok_or_else(ApiError::not_found)
}

async fn check_for(
    state: &AppState,
    policy: &Policy,
    who: &Beneficiary,
) -> Result<PolicyCheck, ApiError> {
    let mut check = PolicyCheck {
        policy: policy.id.clone(),
        mode: mode(policy.mode),
        audience: audience(policy.subject),
        known: false,
        eligible: false,
        amount_fen: None,
        criteria: Vec::new(),
        suggestions: Vec::new(),
        eligible_from: None,
        grant: None,
        can_apply: false,
    };
    let Some(subject) = who.subject.filter(|_| who.kind == policy.subject) else {
        return Ok(check);
    };
    let Some(known) = Box::pin(store::load_subject(&state.db, subject)).await? else {
        return Ok(check);
    };
    let ctx = Context::for_month(matching::current_month());
    let evaluation = rules::evaluate(policy, &known.subject, &ctx)?;
    let sent_at = |name: &str| {
        known.sources.get(name).map(|s| s.at.clone()).or_else(|| {
            let table = name.strip_prefix("sum(")?.split('.').next()?;
            known
                .fact_sources
                .get(&(table.to_owned(), ctx.month))
                .map(|s| s.at.clone())
        })
    };
    check.known = true;
    check.eligible = evaluation.eligible;
    check.amount_fen = evaluation.amount_fen;
    check.criteria = criteria(&evaluation.explanation, &sent_at);
    check.suggestions = evaluation
        .suggestions
        .iter()
        .map(|s| explain::suggestion(policy.subject, s))
        .collect();
    check.eligible_from = evaluation.eligible_from.map(|d| d.to_string());
    check.grant = current_grant(state, policy, subject).await?;
    check.can_apply = policy.mode == Mode::ApplyInstant
        && evaluation.eligible
        && evaluation.amount_fen.unwrap_or(0) > 0
        && check.grant.is_none();
    Ok(check)
}

/// Why the caller qualifies for a policy or not, criterion by criterion, with their values
/// and where they came from; what would make them eligible; this period's grant.
#[utoipa::path(get, path = "/api/policies/{id}/check", tag = "subsidies",
    params(("id" = String, Path, description = "The policy's id")),
    responses(
        (status = 200, body = PolicyCheck),
        (status = 401, body = ErrorBody),
        (status = 404, description = "No such policy", body = ErrorBody),
    ))]
pub async fn check(
    State(state): State<AppState>,
    who: Beneficiary,
    Path(id): Path<String>,
) -> Result<Json<PolicyCheck>, ApiError> {
    let policy = find_policy(&state, &id)?;
    Ok(Json(Box::pin(check_for(&state, policy, &who)).await?))
}

/// 申报, decided at once (秒报秒批): the engine decides on the data the departments hold; an
/// approval goes straight to payment. Applying again for the same period changes nothing.
#[utoipa::path(post, path = "/api/policies/{id}/apply", tag = "subsidies",
    params(("id" = String, Path, description = "The policy's id")),
    responses(
        (status = 200, description = "Decided: granted, or not with the reasons", body = ApplyResult),
        (status = 401, body = ErrorBody),
        (status = 403, description = "Outside the subsidies scope", body = ErrorBody),
        (status = 404, description = "No such policy", body = ErrorBody),
        (status = 409, description = "This policy is not applied for", body = ErrorBody),
    ))]
pub async fn apply(
    State(state): State<AppState>,
    who: Beneficiary,
    Path(id): Path<String>,
) -> Result<Json<ApplyResult>, ApiError> {
    let policy = find_policy(&state, &id)?;
    if policy.mode != Mode::ApplyInstant {
        return Err(ApiError::conflict("not_applied_for"));
    }
    let check = Box::pin(check_for(&state, policy, &who)).await?;
    let (Some(subject), true) = (who.subject, check.can_apply) else {
        // Not eligible (or granted already: then the grant is in the check).
        return Ok(Json(ApplyResult {
            grant: check.grant.clone(),
            check,
        }));
    };
    let known = store::load_subject(&state.db, subject)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let ctx = Context::for_month(matching::current_month());
    let amount = check.amount_fen.unwrap_or(0);
    let receipt = matching::receipt(policy, &known, &ctx, amount);
    let at = now_utc();
    let mut tx = state.db.begin().await?;
    matching::create_grant(
        &mut tx,
        matching::NewGrant {
            policy,
            subject,
            period: matching::period_of(policy, ctx.month),
            amount_fen: amount,
            receipt: receipt.to_string(),
            applied: true,
        },
        &at,
    )
    .await?;
    tx.commit().await?;
    state.wake_payments.notify_one();
    state.events.publish(Event::Subject(subject)).await;
    let check = Box::pin(check_for(&state, policy, &who)).await?;
    Ok(Json(ApplyResult {
        grant: check.grant.clone(),
        check,
    }))
}

async fn own_grant(
    state: &AppState,
    who: &Beneficiary,
    id: i64,
) -> Result<sqlx::any::AnyRow, ApiError> {
    let subject = who.subject.ok_or_else(ApiError::not_found)?;
    sqlx::query(&format!(
        "SELECT {GRANT_COLUMNS}, policy_version, receipt, subject_id FROM grants WHERE id = $1 AND subject_id = $2"
    ))
    .bind(id)
    .bind(subject)
    .fetch_optional(&state.db.pool)
    .await?
    .ok_or_else(ApiError::not_found)
}

/// A grant: its receipt (policy version, criteria as applied, data used with its source) and
/// its timeline to payment.
#[utoipa::path(get, path = "/api/grants/{id}", tag = "subsidies",
    params(("id" = i64, Path, description = "The grant's id")),
    responses(
        (status = 200, body = GrantDetail),
        (status = 401, body = ErrorBody),
        (status = 404, description = "No such grant of yours", body = ErrorBody),
    ))]
pub async fn grant(
    State(state): State<AppState>,
    who: Beneficiary,
    Path(id): Path<i64>,
) -> Result<Json<GrantDetail>, ApiError> {
    let row = own_grant(&state, &who, id).await?;
    let summary = summary_of(&state, &row)?;
    let version: i64 = row.try_get("policy_version")?;
    let receipt: Json_ =
        serde_json::from_str(&row.try_get::<String, _>("receipt")?).map_err(ApiError::internal)?;
    let policy = state
        .policies
        .iter()
        .find(|p| p.id == summary.policy && i64::from(p.version) == version);
    let (subject, ctx) = matching::replay(&receipt)
        .ok_or_else(|| ApiError::internal(format!("grant {id} has an unreadable receipt")))?;
    let sent_at = |name: &str| -> Option<String> {
        receipt
            .get("attributes")
            .and_then(|a| a.get(name))
            .and_then(|a| a.get("at"))
            .and_then(Json_::as_str)
            .map(str::to_owned)
            .or_else(|| {
                let table = name.strip_prefix("sum(")?.split('.').next()?;
                receipt.get("facts")?.as_array()?.iter().find_map(|f| {
                    (f.get("table")?.as_str()? == table)
                        .then(|| f.get("at")?.as_str().map(str::to_owned))
                        .flatten()
                })
            })
    };
    let criteria = match policy {
        Some(p) => criteria(&rules::evaluate(p, &subject, &ctx)?.explanation, &sent_at),
        None => Vec::new(),
    };
    let catalogue = Catalogue::standard();
    let kind = store::parse_kind(
        receipt
            .get("kind")
            .and_then(Json_::as_str)
            .unwrap_or_default(),
    )
    .unwrap_or(SubjectKind::Resident);
    let mut used = Vec::new();
    if let Some(attributes) = receipt.get("attributes").and_then(Json_::as_object) {
        for (name, a) in attributes {
            let Some(attr) = catalogue.attribute(kind, name) else {
                continue;
            };
            used.push(UsedValue {
                key: name.clone(),
                name: bi(&attr.description),
                value: show(subject.get(name)),
                department: department(attr.department),
                at: a.get("at").and_then(Json_::as_str).map(str::to_owned),
            });
        }
    }
    for f in receipt
        .get("facts")
        .and_then(Json_::as_array)
        .into_iter()
        .flatten()
    {
        let Some(table) = f
            .get("table")
            .and_then(Json_::as_str)
            .and_then(|t| catalogue.fact_table(kind, t))
        else {
            continue;
        };
        let rows = f.get("rows").and_then(Json_::as_array).map_or(0, Vec::len);
        used.push(UsedValue {
            key: table.table.clone(),
            name: bi(&table.description),
            value: bilingual(
                "server.values.fact_rows",
                &[("month", ctx.month.to_string()), ("rows", rows.to_string())],
            ),
            department: department(table.department),
            at: f.get("at").and_then(Json_::as_str).map(str::to_owned),
        });
    }
    let timeline =
        sqlx::query("SELECT status, actor, at FROM grant_events WHERE grant_id = $1 ORDER BY id")
            .bind(id)
            .fetch_all(&state.db.pool)
            .await?
            .into_iter()
            .map(|r| -> Result<GrantStep, ApiError> {
                let actor: String = r.try_get("actor")?;
                Ok(GrantStep {
                    step: r.try_get("status")?,
                    // Staff are named to staff only.
                    actor: actor.split(':').next().unwrap_or_default().to_owned(),
                    at: r.try_get("at")?,
                })
            })
            .collect::<Result<_, _>>()?;
    let payment_reference: Option<String> =
        sqlx::query_scalar("SELECT treasury_ref FROM payments WHERE grant_id = $1")
            .bind(id)
            .fetch_optional(&state.db.pool)
            .await?
            .flatten();
    Ok(Json(GrantDetail {
        grant: summary,
        policy_version: version as u32,
        reference_date: ctx.reference_date.to_string(),
        criteria,
        used,
        timeline,
        payment_reference,
    }))
}

/// Consent (意愿确认) or refusal of a grant that waits for it; a repeat is a no-op.
async fn decide_consent(
    state: &AppState,
    who: &Beneficiary,
    id: i64,
    consent: bool,
) -> Result<GrantSummary, ApiError> {
    let row = own_grant(state, who, id).await?;
    let summary = summary_of(state, &row)?;
    let subject: i64 = row.try_get("subject_id")?;
    let wanted = if consent {
        GrantStatus::Approved
    } else {
        GrantStatus::Declined
    };
    match summary.status {
        GrantStatus::AwaitingConsent => {}
        // Sent twice: the first one counted.
        s if s == wanted
            || (consent && matches!(s, GrantStatus::PaymentInstructed | GrantStatus::Paid)) =>
        {
            return Ok(summary)
        }
        _ => return Err(ApiError::conflict("grant_not_awaiting_consent")),
    }
    let at = now_utc();
    let mut tx = state.db.begin().await?;
    let grant = Grant {
        id,
        subject,
        policy: &summary.policy,
        amount_fen: summary.amount_fen,
        status: summary.status,
    };
    let what = if consent {
        GrantEvent::Consent
    } else {
        GrantEvent::Decline
    };
    let changed = move_grant(&mut tx, &grant, what, Actor::Subject, None, &at)
        .await?
        .is_some();
    if changed && consent {
        matching::instruct_payment(&mut tx, id, summary.amount_fen, &at).await?;
    }
    tx.commit().await?;
    if changed && consent {
        state.wake_payments.notify_one();
    }
    state.events.publish(Event::Subject(subject)).await;
    let row = own_grant(state, who, id).await?;
    summary_of(state, &row)
}

/// One click: the subject agrees to receive the grant (意愿确认); its payment is queued.
#[utoipa::path(post, path = "/api/grants/{id}/consent", tag = "subsidies",
    params(("id" = i64, Path, description = "The grant's id")),
    responses(
        (status = 200, body = GrantSummary),
        (status = 401, body = ErrorBody),
        (status = 404, description = "No such grant of yours", body = ErrorBody),
        (status = 409, description = "The grant is not waiting for consent", body = ErrorBody),
    ))]
pub async fn consent(
    State(state): State<AppState>,
    who: Beneficiary,
    Path(id): Path<i64>,
) -> Result<Json<GrantSummary>, ApiError> {
    Ok(Json(decide_consent(&state, &who, id, true).await?))
}

/// The subject declines a grant that waits for consent.
#[utoipa::path(post, path = "/api/grants/{id}/decline", tag = "subsidies",
    params(("id" = i64, Path, description = "The grant's id")),
    responses(
        (status = 200, body = GrantSummary),
        (status = 401, body = ErrorBody),
        (status = 404, description = "No such grant of yours", body = ErrorBody),
        (status = 409, description = "The grant is not waiting for consent", body = ErrorBody),
    ))]
pub async fn decline(
    State(state): State<AppState>,
    who: Beneficiary,
    Path(id): Path<i64>,
) -> Result<Json<GrantSummary>, ApiError> {
    Ok(Json(decide_consent(&state, &who, id, false).await?))
}

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
            name: state
                .policies
                .iter()
                .find(|p| p.id == policy)
                .map_or_else(|| same(policy.clone()), |p| bi(&p.name)),
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
        let t = t.to_offset(crate::platform::db::SHANGHAI);
        let e = by_month
            .entry(format!("{:04}-{:02}", t.year(), u8::from(t.month())))
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

/// The live stream for the caller's subject (Server-Sent Events): `changed` whenever
/// something of theirs changed; a comment every 15 seconds keeps proxies from closing it.
#[utoipa::path(get, path = "/api/events", tag = "subsidies",
    responses(
        (status = 200, description = "An event stream: `ready`, then `changed` events", content_type = "text/event-stream"),
        (status = 401, description = "Not logged in", body = api::ErrorBody),
    ))]
pub async fn stream(State(state): State<AppState>, who: Beneficiary) -> axum::response::Response {
    let mine = who.subject;
    events::changed_stream(&state.events, move |e| match e {
        Event::Everyone => true,
        Event::Subject(s) => Some(s) == mine,
        Event::Application(_) => false,
    })
}

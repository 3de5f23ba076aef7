//! A person's subsidies at a glance: their grants, their messages, and the live stream that
//! tells an open app something of theirs changed.

use axum::extract::State;
use axum::Json;
use sqlx::Row;

use api::policy::{Audience, GrantMode};
use api::subsidy::{ApplyOffer, GrantStatus, GrantSummary, Home, Notification};
use api::ErrorBody;
use rules::policy::Mode;
use rules::{Context, Policy, SubjectKind};

use crate::data::known;
use crate::platform::db::now_utc;
use crate::platform::error::ApiError;
use crate::platform::events::{self, Event};
use crate::policies::library::{bi, policy_name};
use crate::subsidies::beneficiary::Beneficiary;
use crate::subsidies::matching;
use crate::AppState;

pub(super) fn audience(kind: SubjectKind) -> Audience {
    match kind {
        SubjectKind::Resident => Audience::Resident,
        SubjectKind::Enterprise => Audience::Enterprise,
    }
}

pub(super) fn mode(m: Mode) -> GrantMode {
    match m {
        Mode::Automatic => GrantMode::Automatic,
        Mode::AutomaticAfterConsent => GrantMode::AutomaticAfterConsent,
        Mode::ApplyInstant => GrantMode::ApplyInstant,
        Mode::ApplyReviewed => GrantMode::ApplyReviewed,
    }
}

pub(super) fn summary_of(
    state: &AppState,
    row: &sqlx::any::AnyRow,
) -> Result<GrantSummary, ApiError> {
    let policy: String = row.try_get("policy_id")?;
    let status: String = row.try_get("status")?;
    Ok(GrantSummary {
        id: row.try_get("id")?,
        name: policy_name(state, &policy),
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

pub(super) const GRANT_COLUMNS: &str =
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
pub(super) async fn current_grant(
    state: &AppState,
    policy: &Policy,
    subject: i64,
) -> Result<Option<GrantSummary>, ApiError> {
    let row = sqlx::query(&format!(
        "SELECT {GRANT_COLUMNS} FROM grants WHERE subject_id = $1 AND policy_id = $2 AND period = $3"
    ))
    .bind(subject)
    .bind(&policy.id)
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
    if let Some(known) = Box::pin(known::load_subject(&state.db, subject)).await? {
        let ctx = Context::for_month(matching::current_month());
        let published = state.policies.get();
        for p in published
            .in_force(ctx.reference_date)
            .filter(|p| p.subject == known.kind && p.mode == Mode::ApplyInstant)
        {
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
        "SELECT id, kind, grant_id, claim_id, policy_id, amount_fen, created_at, read_at FROM notifications \
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
                .and_then(|id| state.policies.current(id))
                .map(|p| bi(&p.name)),
            policy,
            grant: r.try_get("grant_id")?,
            claim: r.try_get("claim_id")?,
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

//! Every step of an application goes through [`transition`]: legal in the workflow, what the
//! step needs (`licensing::checks`), recorded with its actor, told to the applicant, and on
//! approval the licence issued, in one transaction.

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::Json;

use api::licence::{Action, Application, ItemReason, Stage, TransitionRequest};
use api::ErrorBody;
use licensing::checks::{self, Why};
use licensing::workflow::{self, Refusal, Role};

use super::application::{applicant_view, deadline_after, load, problem_message, Loaded};
use super::{issued, Applicant};
use crate::platform::db::{format_utc, now, parse_utc, shanghai_date};
use crate::platform::error::ApiError;
use crate::platform::events::Event;
use crate::platform::i18n::Lang;
use crate::platform::json::ApiJson;
use crate::AppState;

/// The applicant's steps: submit, resubmit after a return, withdraw.
#[utoipa::path(post, path = "/api/licences/applications/{id}/transitions", tag = "licences",
    params(("id" = i64, Path)),
    request_body = TransitionRequest,
    responses(
        (status = 200, description = "Done, or already done (a repeat changes nothing)", body = Application),
        (status = 403, description = "A reviewer's step", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "Not possible at this stage, or the stage changed meanwhile", body = ErrorBody),
        (status = 422, description = "Something is missing or wrong: the field is named", body = ErrorBody),
    ))]
pub async fn applicant_transition(
    State(state): State<AppState>,
    who: Applicant,
    headers: HeaderMap,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<TransitionRequest>,
) -> Result<Json<Application>, ApiError> {
    let a = Box::pin(load(&state, id, Some(who))).await?;
    let lang = Lang::from_headers(&headers);
    Box::pin(transition(
        &state,
        &a,
        Actor::Applicant(who.user),
        &body,
        lang,
    ))
    .await?;
    applicant_view(&state, id, who, &headers).await
}

/// Who takes a step.
#[derive(Clone, Copy, Debug)]
pub enum Actor {
    Applicant(i64),
    Reviewer(i64),
}

impl Actor {
    fn role(self) -> Role {
        match self {
            Actor::Applicant(_) => Role::Applicant,
            Actor::Reviewer(_) => Role::Reviewer,
        }
    }
}

/// Milliseconds since 1970, as `licensing::checks` counts time.
fn unix_ms(t: time::OffsetDateTime) -> i64 {
    i64::try_from(t.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}

/// A step's request refused by what the step needs, as an error naming the field.
pub fn refusal_error(refused: checks::Refused, lang: Lang) -> ApiError {
    let error = ApiError::invalid_field_because(refused.field, refused.why.code());
    match refused.why {
        Why::TooShort { min } => error.with_arg("min", min.to_string()),
        Why::TooLong { max } => error.with_arg("max", max.to_string()),
        Why::NotReady(p) => error.with_arg("problem", problem_message(lang, &p)),
        _ => error,
    }
}

/// A reason (for a revocation, say): trimmed, of a readable length.
pub fn reason_ok(field: &str, text: &str, lang: Lang) -> Result<String, ApiError> {
    checks::reason(field, text).map_err(|r| refusal_error(r, lang))
}

/// Takes one step of the workflow: checks it is legal for this actor and application, records
/// it (actor, time, comment), tells the applicant, and issues the licence on approval, in one
/// transaction. A repeat of a step already taken from `from` changes nothing.
pub async fn transition(
    state: &AppState,
    a: &Loaded,
    actor: Actor,
    req: &TransitionRequest,
    lang: Lang,
) -> Result<(), ApiError> {
    let id = a.id;
    if a.stage != req.from {
        let done: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM licence_steps WHERE application_id = $1 AND from_stage = $2 AND action = $3 LIMIT 1",
        )
        .bind(id)
        .bind(req.from.as_str())
        .bind(req.action.as_str())
        .fetch_optional(&state.db.pool)
        .await?;
        return match done {
            Some(_) => Ok(()),
            None => Err(ApiError::conflict("stage_changed")),
        };
    }
    let to = match workflow::next(a.stage, req.action, actor.role(), a.facts()) {
        Ok(to) => to,
        Err(Refusal::NotYours) => return Err(ApiError::forbidden()),
        Err(Refusal::Illegal) => return Err(ApiError::conflict("illegal_transition")),
        Err(Refusal::Condition) => return Err(ApiError::conflict("transition_condition")),
    };
    let stamp = now();
    let when = req.scheduled_for.as_deref().and_then(parse_utc);
    let checked = checks::check(
        checks::Request {
            action: req.action,
            comment: req.comment.as_deref(),
            items: &req.items,
            scheduled_for: when.map(unix_ms),
        },
        checks::Found {
            form: &a.form,
            answers: &a.answers,
            missing: &a.materials_missing(),
        },
        checks::Now {
            today: shanghai_date(stamp),
            unix_ms: unix_ms(stamp),
        },
    )
    .map_err(|refused| refusal_error(refused, lang))?;
    let comment = checked.comment;
    let items = checked.items;
    // The time as it was sent, once the check has accepted it.
    let scheduled_for = checked.scheduled_for.and(when).map(format_utc);
    let at = format_utc(stamp);
    let mut tx = state.db.begin().await?;
    // Each column set, with its value: bound in order.
    let mut sets: Vec<(&str, String)> = vec![
        ("stage", to.as_str().to_owned()),
        ("updated_at", at.clone()),
    ];
    match (req.action, to) {
        (Action::Submit, _) => sets.push(("submitted_at", at.clone())),
        (Action::Accept, _) => {
            sets.push(("accepted_at", at.clone()));
            sets.push(("deadline", deadline_after(stamp, a.form.promised_days)));
        }
        (_, Stage::Rejected | Stage::Withdrawn) => sets.push(("finished_at", at.clone())),
        _ => {}
    }
    if to == Stage::Rejected {
        sets.push(("rejection", comment.clone().unwrap_or_default()));
    }
    let assignments: Vec<String> = sets
        .iter()
        .enumerate()
        .map(|(i, (column, _))| format!("{column} = ${}", i + 1))
        .collect();
    let sql = format!(
        "UPDATE licence_applications SET {} WHERE id = ${} AND stage = ${}",
        assignments.join(", "),
        sets.len() + 1,
        sets.len() + 2
    );
    let mut update = sqlx::query(&sql);
    for (_, value) in &sets {
        update = update.bind(value.clone());
    }
    let moved = update
        .bind(id)
        .bind(a.stage.as_str())
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if moved == 0 {
        // Someone else moved it first; the caller sees the new stage and decides again.
        return Err(ApiError::conflict("stage_changed"));
    }
    for item in &items {
        sqlx::query("UPDATE licence_materials SET returned_reason = $1 WHERE application_id = $2 AND material = $3")
            .bind(&item.reason)
            .bind(id)
            .bind(&item.material)
            .execute(&mut *tx)
            .await?;
    }
    let (user, staff) = match actor {
        Actor::Applicant(u) => (Some(u), None),
        Actor::Reviewer(s) => (None, Some(s)),
    };
    record_step(
        &mut tx,
        id,
        req.action,
        a.stage,
        to,
        actor.role(),
        user,
        staff,
        &at,
        comment.as_deref(),
        &items,
        scheduled_for.as_deref(),
    )
    .await?;
    notify(&mut tx, a.user_id, id, to, &at).await?;
    if to == Stage::Approved {
        issued::issue(state, &mut tx, a, stamp).await?;
    }
    tx.commit().await?;
    state.events.publish(Event::Application(id)).await;
    Ok(())
}

#[allow(clippy::too_many_arguments)]
pub async fn record_step(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    id: i64,
    action: Action,
    from: Stage,
    to: Stage,
    role: Role,
    user: Option<i64>,
    staff: Option<i64>,
    at: &str,
    comment: Option<&str>,
    items: &[ItemReason],
    scheduled_for: Option<&str>,
) -> Result<(), ApiError> {
    let actor = match role {
        Role::Applicant => "applicant",
        Role::Reviewer => "reviewer",
        Role::System => "system",
    };
    sqlx::query(
        "INSERT INTO licence_steps (application_id, action, from_stage, to_stage, actor, user_id, staff_id, at, comment, items, scheduled_for) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(id)
    .bind(action.as_str())
    .bind(from.as_str())
    .bind(to.as_str())
    .bind(actor)
    .bind(user)
    .bind(staff)
    .bind(at)
    .bind(comment)
    .bind(serde_json::to_string(items).map_err(ApiError::internal)?)
    .bind(scheduled_for)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Tells the applicant (in the app and by SMS / WeChat through the notifiers).
pub async fn notify(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    user: i64,
    id: i64,
    stage: Stage,
    at: &str,
) -> Result<(), ApiError> {
    sqlx::query("INSERT INTO licence_notifications (user_id, application_id, stage, created_at) VALUES ($1, $2, $3, $4)")
        .bind(user)
        .bind(id)
        .bind(stage.as_str())
        .bind(at)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

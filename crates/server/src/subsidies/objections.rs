//! Objections (我认为我符合条件 / 我的数据有误): a person disputes a decision or their data; the
//! objection goes to the department that owns the disputed attribute, which sees it on its
//! feed and answers; the person sees the answer (and is told). A correction itself arrives as
//! the department's data, which re-matches the person at once.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use sqlx::Row;
use utoipa::ToSchema;

use api::policy::Bilingual;
use api::subsidy::{NewObjection, Objection, ObjectionKind};
use api::ErrorBody;
use rules::{Catalogue, Policy};

use crate::accounts::departments::Department;
use crate::platform::db::now_utc;
use crate::platform::error::ApiError;
use crate::platform::json::ApiJson;
use crate::policies::explain::{department, same};
use crate::policies::library::bi;
use crate::subsidies::beneficiary::Beneficiary;
use crate::AppState;

const EXPLANATION_MIN: usize = 5;
const EXPLANATION_MAX: usize = 1000;

/// The attributes and fact tables a policy reads, with their owning departments.
fn disputable(policy: &Policy) -> Vec<(String, rules::Text, rules::Department)> {
    let catalogue = Catalogue::standard();
    let mut out = Vec::new();
    for name in policy.attributes() {
        if let Some(a) = catalogue.attribute(policy.subject, &name) {
            out.push((name, a.description.clone(), a.department));
        }
    }
    for t in catalogue
        .fact
        .iter()
        .filter(|t| t.subject == policy.subject)
    {
        let used = policy.criteria.tests().iter().any(|(_, test)| {
            test.sums()
                .iter()
                .any(|e| matches!(e, rules::expr::Expr::Sum { table, .. } if *table == t.table))
        });
        if used {
            out.push((t.table.clone(), t.description.clone(), t.department));
        }
    }
    out
}

fn kind_str(k: ObjectionKind) -> &'static str {
    match k {
        ObjectionKind::ThinkEligible => "think_eligible",
        ObjectionKind::DataWrong => "data_wrong",
    }
}

fn department_text(name: &str) -> Bilingual {
    let catalogue = Catalogue::standard();
    catalogue
        .resident
        .iter()
        .chain(&catalogue.enterprise)
        .map(|a| a.department)
        .chain(catalogue.fact.iter().map(|t| t.department))
        .find(|d| d.code() == name)
        .map_or_else(|| same(name.to_owned()), department)
}

fn objection_of(state: &AppState, r: &sqlx::any::AnyRow) -> Result<Objection, ApiError> {
    let policy: String = r.try_get("policy_id")?;
    let attribute: String = r.try_get("attribute")?;
    let department: String = r.try_get("department")?;
    let kind: String = r.try_get("kind")?;
    let described = state
        .policies
        .current(&policy)
        .and_then(|p| disputable(&p).into_iter().find(|(n, _, _)| *n == attribute))
        .map_or_else(|| same(attribute.clone()), |(_, t, _)| bi(&t));
    Ok(Objection {
        id: r.try_get("id")?,
        policy,
        kind: if kind == "data_wrong" {
            ObjectionKind::DataWrong
        } else {
            ObjectionKind::ThinkEligible
        },
        attribute: described,
        department: department_text(&department),
        explanation: r.try_get("explanation")?,
        answer: r.try_get("answer")?,
        created_at: r.try_get("created_at")?,
        answered_at: r.try_get("answered_at")?,
    })
}

const COLUMNS: &str =
    "id, policy_id, kind, attribute, department, explanation, answer, created_at, answered_at";

/// Objects to a decision or to one's data on a policy: sent to the department that owns the
/// disputed attribute.
#[utoipa::path(post, path = "/api/policies/{id}/objections", tag = "subsidies",
    params(("id" = String, Path, description = "The policy's id")),
    request_body = NewObjection,
    responses(
        (status = 201, body = Objection),
        (status = 401, body = ErrorBody),
        (status = 404, description = "No such policy, or the data does not know the caller", body = ErrorBody),
        (status = 422, description = "The explanation's length, or an attribute the policy does not use", body = ErrorBody),
    ))]
pub async fn create(
    State(state): State<AppState>,
    who: Beneficiary,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<NewObjection>,
) -> Result<(StatusCode, Json<Objection>), ApiError> {
    let policy = state
        .policies
        .current(&id)
        .ok_or_else(ApiError::not_found)?;
    let subject = who
        .subject
        .filter(|_| who.kind == policy.subject)
        .ok_or_else(ApiError::not_found)?;
    let explanation = body.explanation.trim();
    let length = explanation.chars().count();
    if length < EXPLANATION_MIN {
        return Err(ApiError::invalid_field_because("explanation", "too_short")
            .with_arg("min", EXPLANATION_MIN.to_string()));
    }
    if length > EXPLANATION_MAX {
        return Err(ApiError::invalid_field_because("explanation", "too_long")
            .with_arg("max", EXPLANATION_MAX.to_string()));
    }
    let (attribute, _, department) = disputable(&policy)
        .into_iter()
        .find(|(n, _, _)| *n == body.attribute)
        .ok_or_else(|| ApiError::invalid_field_because("attribute", "choice"))?;
    let row = sqlx::query(&format!(
        "INSERT INTO objections (subject_id, policy_id, kind, attribute, department, explanation, status, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, 'open', $7) RETURNING {COLUMNS}"
    ))
    .bind(subject)
    .bind(&policy.id)
    .bind(kind_str(body.kind))
    .bind(&attribute)
    .bind(department.code())
    .bind(explanation)
    .bind(now_utc())
    .fetch_one(&state.db.pool)
    .await?;
    Ok((StatusCode::CREATED, Json(objection_of(&state, &row)?)))
}

/// The caller's objections, newest first.
#[utoipa::path(get, path = "/api/objections", tag = "subsidies",
    responses((status = 200, body = Vec<Objection>), (status = 401, body = ErrorBody)))]
pub async fn mine(
    State(state): State<AppState>,
    who: Beneficiary,
) -> Result<Json<Vec<Objection>>, ApiError> {
    let Some(subject) = who.subject else {
        return Ok(Json(Vec::new()));
    };
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM objections WHERE subject_id = $1 ORDER BY id DESC LIMIT 100"
    ))
    .bind(subject)
    .fetch_all(&state.db.pool)
    .await?;
    Ok(Json(
        rows.iter()
            .map(|r| objection_of(&state, r))
            .collect::<Result<_, _>>()?,
    ))
}

/// An objection as the department sees it: the subject by its id in the shared data.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct DepartmentObjection {
    pub id: i64,
    /// `resident` or `enterprise`.
    pub subject: String,
    pub subject_id: String,
    pub policy: String,
    /// `think_eligible` or `data_wrong`.
    pub kind: String,
    pub attribute: String,
    pub explanation: String,
    pub created_at: String,
}

/// A department's answer.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ObjectionAnswer {
    /// 2 to 1,000 characters, shown to the person as written.
    pub answer: String,
}

/// A department's open objections, oldest first.
#[utoipa::path(get, path = "/api/feeds/objections", tag = "feeds",
    security(("department_key" = [])),
    responses((status = 200, body = Vec<DepartmentObjection>), (status = 401, body = ErrorBody)))]
pub async fn for_department(
    State(state): State<AppState>,
    Department(department): Department,
) -> Result<Json<Vec<DepartmentObjection>>, ApiError> {
    let rows = sqlx::query(
        "SELECT o.id, s.kind AS subject_kind, s.ref, o.policy_id, o.kind, o.attribute, o.explanation, o.created_at \
         FROM objections o JOIN subjects s ON s.id = o.subject_id \
         WHERE o.department = $1 AND o.status = 'open' ORDER BY o.id LIMIT 500",
    )
    .bind(&department)
    .fetch_all(&state.db.pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(DepartmentObjection {
                id: r.try_get("id")?,
                subject: r.try_get("subject_kind")?,
                subject_id: r.try_get("ref")?,
                policy: r.try_get("policy_id")?,
                kind: r.try_get("kind")?,
                attribute: r.try_get("attribute")?,
                explanation: r.try_get("explanation")?,
                created_at: r.try_get("created_at")?,
            })
        })
        .collect::<Result<_, ApiError>>()
        .map(Json)
}

/// The department answers an objection sent to it; the person is told. Answering twice is
/// refused (409); another department's objection is not found (404).
#[utoipa::path(post, path = "/api/feeds/objections/{id}/answer", tag = "feeds",
    params(("id" = i64, Path, description = "The objection's id")),
    request_body = ObjectionAnswer,
    security(("department_key" = [])),
    responses(
        (status = 204, description = "Answered"),
        (status = 401, body = ErrorBody),
        (status = 404, description = "No objection of this department with this id", body = ErrorBody),
        (status = 409, description = "Already answered", body = ErrorBody),
        (status = 422, description = "The answer's length", body = ErrorBody),
    ))]
pub async fn answer(
    State(state): State<AppState>,
    Department(department): Department,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<ObjectionAnswer>,
) -> Result<StatusCode, ApiError> {
    let answer = body.answer.trim();
    let length = answer.chars().count();
    if !(2..=EXPLANATION_MAX).contains(&length) {
        return Err(ApiError::invalid_field_because("answer", "too_long")
            .with_arg("max", EXPLANATION_MAX.to_string()));
    }
    let row = sqlx::query(
        "SELECT subject_id, policy_id, status FROM objections WHERE id = $1 AND department = $2",
    )
    .bind(id)
    .bind(&department)
    .fetch_optional(&state.db.pool)
    .await?
    .ok_or_else(ApiError::not_found)?;
    if row.try_get::<String, _>("status")? != "open" {
        return Err(ApiError::conflict("already_answered"));
    }
    let subject: i64 = row.try_get("subject_id")?;
    let policy: String = row.try_get("policy_id")?;
    let at = now_utc();
    let mut tx = state.db.begin().await?;
    let done = sqlx::query(
        "UPDATE objections SET status = 'answered', answer = $1, answered_at = $2 WHERE id = $3 AND status = 'open'",
    )
    .bind(answer)
    .bind(&at)
    .bind(id)
    .execute(&mut *tx)
    .await?
    .rows_affected()
        == 1;
    if !done {
        return Err(ApiError::conflict("already_answered"));
    }
    crate::subsidies::grant_moves::notify(
        &mut tx,
        subject,
        "objection_answered",
        None,
        &policy,
        None,
        &at,
    )
    .await?;
    tx.commit().await?;
    state
        .events
        .publish(crate::platform::events::Event::Subject(subject))
        .await;
    Ok(StatusCode::NO_CONTENT)
}

//! 线上申报: applications for a policy that a department reviews (mode `apply_reviewed`). The
//! applicant answers the policy's questions and uploads its materials (checked like 一照通's),
//! submits, and the department decides within the policy's working days; a return (补正) sends
//! it back with reasons and the clock starts again on resubmission; an approval makes the
//! grant, decided by the rules on the departments' data then, which pays through the outbox
//! like any grant. Every step goes through [`take_step`]; the table is [`claim_life`].
//!
//! [`take_step`]: super::claim_steps::take_step
//! [`claim_life`]: super::claim_life

use std::collections::BTreeMap;

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::Json;
use sqlx::Row;

use api::claim::{Claim, ClaimAnswers, ClaimStatus, ClaimStep, ClaimStepRequest, ClaimSummary};
use api::licence::{FieldProblem, MaterialNeed, Upload};
use api::ErrorBody;
use rules::policy::{ApplicationSpec, Mode};
use rules::Policy;

use crate::licences::application::problem_message;
use crate::licences::uploads::UploadName;
use crate::platform::db::{now_utc, today_shanghai};
use crate::platform::error::ApiError;
use crate::platform::i18n::{self, Lang};
use crate::platform::json::ApiJson;
use crate::platform::upload;
use crate::policies::library::bi;
use crate::subsidies::beneficiary::Beneficiary;
use crate::subsidies::claim_life::{self, By};
use crate::subsidies::claim_steps::{record_step, take_step};
use crate::subsidies::decisions::check_for;
use crate::subsidies::home::{audience, summary_of, GRANT_COLUMNS};
use crate::subsidies::matching;
use crate::AppState;

/// What the access log says a reviewer read.
pub const WHAT_CLAIM: &str = "subsidy_claim";

/// A material as stored.
pub struct StoredMaterial {
    pub code: String,
    pub storage_key: String,
    pub upload: Upload,
    pub returned: Option<String>,
}

/// An application as stored, with the policy version it answers.
pub struct Loaded {
    pub id: i64,
    pub number: String,
    pub policy: Policy,
    pub subject: i64,
    pub period: String,
    pub user: i64,
    /// The enterprise's name, or the applicant's.
    pub applicant: String,
    pub status: ClaimStatus,
    pub answers: BTreeMap<String, String>,
    pub created_at: String,
    pub submitted_at: Option<String>,
    pub due_on: Option<String>,
    pub grant: Option<i64>,
    pub materials: Vec<StoredMaterial>,
}

impl Loaded {
    pub fn spec(&self) -> &ApplicationSpec {
        self.policy
            .application
            .as_ref()
            .expect("only apply_reviewed policies have applications")
    }

    pub fn material(&self, code: &str) -> Option<&StoredMaterial> {
        self.materials.iter().find(|m| m.code == code)
    }
}

/// The application `id`, whoever's it is (404 when there is none).
pub async fn load(state: &AppState, id: i64) -> Result<Loaded, ApiError> {
    let row = sqlx::query(&format!(
        "SELECT number, policy_id, policy_version, subject_id, period, user_id, status, answers_enc, \
         created_at, submitted_at, due_on, grant_id, {APPLICANT} FROM claims c WHERE id = $1",
    ))
    .bind(id)
    .fetch_optional(&state.db.pool)
    .await?
    .ok_or_else(ApiError::not_found)?;
    let policy_id: String = row.try_get("policy_id")?;
    let version: i64 = row.try_get("policy_version")?;
    let policy = u32::try_from(version)
        .ok()
        .and_then(|v| state.policies.version(&policy_id, v))
        .filter(|p| p.application.is_some())
        .ok_or_else(|| {
            ApiError::internal(format!("claim {id}: no policy {policy_id} v{version}"))
        })?;
    let status: String = row.try_get("status")?;
    let sealed: Vec<u8> = row.try_get("answers_enc")?;
    let answers =
        serde_json::from_str(&state.vault.decrypt(&sealed)?).map_err(ApiError::internal)?;
    let materials = sqlx::query(
        "SELECT material, storage_key, file_name, content_type, size, uploaded_at, returned_reason \
         FROM claim_materials WHERE claim_id = $1",
    )
    .bind(id)
    .fetch_all(&state.db.pool)
    .await?
    .into_iter()
    .map(|r| -> Result<StoredMaterial, sqlx::Error> {
        Ok(StoredMaterial {
            code: r.try_get("material")?,
            storage_key: r.try_get("storage_key")?,
            upload: Upload {
                file_name: r.try_get("file_name")?,
                content_type: r.try_get("content_type")?,
                size: r.try_get("size")?,
                uploaded_at: r.try_get("uploaded_at")?,
            },
            returned: r.try_get("returned_reason")?,
        })
    })
    .collect::<Result<_, _>>()?;
    Ok(Loaded {
        id,
        number: row.try_get("number")?,
        policy,
        subject: row.try_get("subject_id")?,
        period: row.try_get("period")?,
        user: row.try_get("user_id")?,
        applicant: row.try_get("applicant")?,
        status: ClaimStatus::parse(&status)
            .ok_or_else(|| ApiError::internal(format!("claim {id}: status {status}")))?,
        answers,
        created_at: row.try_get("created_at")?,
        submitted_at: row.try_get("submitted_at")?,
        due_on: row.try_get("due_on")?,
        grant: row.try_get("grant_id")?,
        materials,
    })
}

/// The caller's own application (404 for anyone else's).
async fn own(state: &AppState, who: &Beneficiary, id: i64) -> Result<Loaded, ApiError> {
    let c = load(state, id).await?;
    if Some(c.subject) != who.subject {
        return Err(ApiError::not_found());
    }
    Ok(c)
}

/// Working days from today to `due_on` (negative: overdue).
fn days_left(due_on: &str) -> Option<i64> {
    let due: api::Date = due_on.parse().ok()?;
    Some(licensing::issue::working_days_left(today_shanghai(), due))
}

/// This period's open or approved application of `subject` for `policy`.
pub async fn open_claim(
    state: &AppState,
    policy: &Policy,
    subject: i64,
) -> Result<Option<i64>, ApiError> {
    let period = matching::period_of(policy, matching::current_month());
    Ok(sqlx::query_scalar(&format!(
        "SELECT id FROM claims WHERE policy_id = $1 AND subject_id = $2 AND period = $3 \
         AND status IN {}",
        claim_life::statuses_sql(claim_life::holds_the_period)
    ))
    .bind(&policy.id)
    .bind(subject)
    .bind(period)
    .fetch_optional(&state.db.pool)
    .await?)
}

/// Whom application `c` is for, as a column `applicant`: the enterprise's name, or the name of
/// the person who applied.
const APPLICANT: &str = "COALESCE((SELECT e.name FROM subjects s JOIN enterprises e ON e.enterprise_ref = s.ref \
     WHERE s.id = c.subject_id AND s.kind = 'enterprise'), (SELECT u.name FROM users u WHERE u.id = c.user_id), '') AS applicant";

pub(super) fn problems(c: &Loaded, complete: bool) -> Vec<licensing::catalogue::Problem> {
    licensing::catalogue::problems(
        &c.spec().questions,
        &[],
        &c.answers,
        today_shanghai(),
        complete,
    )
}

/// What stops the application being sent, in `lang`: each missing or wrong answer (on its
/// question's key), then each document not uploaded or returned (on `materials.{code}`).
pub(super) fn blocking(c: &Loaded, lang: Lang) -> Vec<FieldProblem> {
    let answers = problems(c, true).into_iter().map(|p| FieldProblem {
        message: problem_message(lang, &p),
        field: p.field,
        code: p.code,
    });
    let documents = c.spec().materials.iter().filter_map(|m| {
        let code = match c.material(&m.code) {
            None => "not_uploaded",
            Some(s) if s.returned.is_some() => "upload_again",
            Some(_) => return None,
        };
        Some(FieldProblem {
            field: format!("materials.{}", m.code),
            code: code.to_owned(),
            message: i18n::message(lang, &format!("claim.{code}"), &[]),
        })
    });
    answers.chain(documents).collect()
}

/// The whole application as `by` sees it, in `lang`.
pub async fn render(state: &AppState, c: &Loaded, by: By, lang: Lang) -> Result<Claim, ApiError> {
    let spec = c.spec();
    let complete = c.status != ClaimStatus::Draft || c.submitted_at.is_some();
    let shown = problems(c, complete);
    let blocking = blocking(c, lang);
    let materials = spec
        .materials
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let stored = c.material(&m.code);
            MaterialNeed {
                item: i as u32 + 1,
                code: m.code.clone(),
                name: m.name.clone(),
                hint: m.hint.clone(),
                for_permits: Vec::new(),
                upload: stored.map(|s| s.upload.clone()),
                returned: stored.and_then(|s| s.returned.clone()),
            }
        })
        .collect();
    let grant = match c.grant {
        Some(g) => {
            let row = sqlx::query(&format!("SELECT {GRANT_COLUMNS} FROM grants WHERE id = $1"))
                .bind(g)
                .fetch_one(&state.db.pool)
                .await?;
            Some(summary_of(state, &row)?)
        }
        None => None,
    };
    let steps = steps(state, c.id, by).await?;
    let reason = steps
        .iter()
        .rev()
        .find(|s| s.action == "return" || s.action == "reject")
        .filter(|_| matches!(c.status, ClaimStatus::Returned | ClaimStatus::Rejected))
        .and_then(|s| s.reason.clone());
    // The rules on the departments' data now, under the version in force.
    let current = state.policies.current(&c.policy.id);
    let check = match &current {
        Some(p) => {
            let whose = Beneficiary {
                user: c.user,
                kind: c.policy.subject,
                subject: Some(c.subject),
            };
            Some(Box::pin(check_for(state, p, &whose)).await?)
        }
        None => None,
    };
    let running = claim_life::with_department(c.status);
    Ok(Claim {
        id: c.id,
        number: c.number.clone(),
        policy: c.policy.id.clone(),
        policy_version: c.policy.version,
        name: bi(&c.policy.name),
        department: spec.department.clone(),
        audience: audience(c.policy.subject),
        applicant: c.applicant.clone(),
        period: c.period.clone(),
        status: c.status,
        amount_fen: grant
            .as_ref()
            .map(|g| g.amount_fen)
            .or_else(|| check.as_ref().and_then(|k| k.amount_fen)),
        questions: spec.questions.clone(),
        answers: c.answers.clone(),
        problems: shown
            .iter()
            .map(|p| FieldProblem {
                field: p.field.clone(),
                code: p.code.clone(),
                message: problem_message(lang, p),
            })
            .collect(),
        materials,
        ready: blocking.is_empty(),
        blocking,
        review_days: spec.review_days,
        created_at: c.created_at.clone(),
        submitted_at: c.submitted_at.clone(),
        due_on: c.due_on.clone().filter(|_| running),
        working_days_left: c.due_on.as_deref().filter(|_| running).and_then(days_left),
        reason,
        grant,
        steps,
        actions: claim_life::available(c.status, by),
        check: check.filter(|_| by == By::Reviewer),
    })
}

/// The steps of application `id`, oldest first; reviewers' names to reviewers only.
async fn steps(state: &AppState, id: i64, by: By) -> Result<Vec<ClaimStep>, ApiError> {
    sqlx::query(
        "SELECT s.action, s.to_status, s.actor, s.at, s.reason, s.items, st.display_name \
         FROM claim_steps s LEFT JOIN staff st ON st.id = s.staff_id WHERE s.claim_id = $1 ORDER BY s.id",
    )
    .bind(id)
    .fetch_all(&state.db.pool)
    .await?
    .into_iter()
    .map(|r| -> Result<ClaimStep, ApiError> {
        let status: String = r.try_get("to_status")?;
        let items: String = r.try_get("items")?;
        Ok(ClaimStep {
            action: r.try_get("action")?,
            status: ClaimStatus::parse(&status)
                .ok_or_else(|| ApiError::internal(format!("a claim step to {status}")))?,
            actor: r.try_get("actor")?,
            actor_name: r
                .try_get::<Option<String>, _>("display_name")?
                .filter(|_| by == By::Reviewer),
            at: r.try_get("at")?,
            reason: r.try_get("reason")?,
            items: serde_json::from_str(&items).map_err(ApiError::internal)?,
        })
    })
    .collect()
}

/// A list of applications (the caller's, or a queue), given the condition on `claims c` (which
/// may use `$1`, bound to `subject`).
pub async fn summaries(
    state: &AppState,
    condition: &str,
    subject: Option<i64>,
) -> Result<Vec<ClaimSummary>, ApiError> {
    let sql = format!(
        "SELECT c.id, c.number, c.policy_id, c.policy_version, c.status, c.submitted_at, c.due_on, \
         {APPLICANT} FROM claims c WHERE {condition} ORDER BY c.id DESC LIMIT 200"
    );
    let mut q = sqlx::query(&sql);
    if let Some(s) = subject {
        q = q.bind(s);
    }
    let mut out = Vec::new();
    for r in q.fetch_all(&state.db.pool).await? {
        let id: i64 = r.try_get("id")?;
        let policy: String = r.try_get("policy_id")?;
        let version: i64 = r.try_get("policy_version")?;
        let name = u32::try_from(version)
            .ok()
            .and_then(|v| state.policies.version(&policy, v))
            .ok_or_else(|| {
                ApiError::internal(format!("claim {id}: no policy {policy} v{version}"))
            })?
            .name;
        let status: String = r.try_get("status")?;
        let status = ClaimStatus::parse(&status)
            .ok_or_else(|| ApiError::internal(format!("claim {id}: status {status}")))?;
        let running = claim_life::with_department(status);
        let due_on: Option<String> = r
            .try_get::<Option<String>, _>("due_on")?
            .filter(|_| running);
        let left = due_on.as_deref().and_then(days_left);
        out.push(ClaimSummary {
            id,
            number: r.try_get("number")?,
            policy,
            name: bi(&name),
            applicant: r.try_get("applicant")?,
            status,
            submitted_at: r.try_get("submitted_at")?,
            due_on,
            working_days_left: left,
            overdue: left.is_some_and(|d| d < 0),
        });
    }
    Ok(out)
}

/// Starts an application for a policy that is reviewed (or returns this period's open one):
/// only for a subject the rules find eligible on the departments' data, not yet granted.
#[utoipa::path(post, path = "/api/policies/{id}/claims", tag = "subsidies",
    params(("id" = String, Path, description = "The policy's id")),
    responses(
        (status = 200, body = Claim),
        (status = 401, body = ErrorBody),
        (status = 404, description = "No such policy", body = ErrorBody),
        (status = 409, description = "Not applied for this way, not eligible, or granted already", body = ErrorBody),
    ))]
pub async fn start(
    State(state): State<AppState>,
    who: Beneficiary,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<Claim>, ApiError> {
    let policy = state
        .policies
        .current(&id)
        .ok_or_else(ApiError::not_found)?;
    if policy.mode != Mode::ApplyReviewed {
        return Err(ApiError::conflict("not_applied_for"));
    }
    let check = Box::pin(check_for(&state, &policy, &who)).await?;
    let lang = Lang::from_headers(&headers);
    if let Some(existing) = check.claim {
        let c = own(&state, &who, existing).await?;
        return Ok(Json(render(&state, &c, By::Applicant, lang).await?));
    }
    let Some(subject) = who.subject.filter(|_| check.known) else {
        return Err(ApiError::conflict("claim_not_eligible").worded("claim.err_not_eligible"));
    };
    if check.grant.is_some() {
        return Err(ApiError::conflict("claim_granted").worded("claim.err_granted"));
    }
    if !check.can_apply {
        return Err(ApiError::conflict("claim_not_eligible").worded("claim.err_not_eligible"));
    }
    let at = now_utc();
    let period = matching::period_of(&policy, matching::current_month());
    let mut tx = state.db.begin().await?;
    let inserted: Option<i64> = sqlx::query_scalar(&format!(
        "INSERT INTO claims (number, policy_id, policy_version, subject_id, period, user_id, status, answers_enc, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, 'draft', $7, $8, $8) \
         ON CONFLICT (policy_id, subject_id, period) WHERE status IN {} DO NOTHING RETURNING id",
        // The predicate of the index `claims_one_open`.
        claim_life::statuses_sql(claim_life::holds_the_period)
    ))
    .bind(format!("pending-{}", crate::platform::crypto::random_token()))
    .bind(&policy.id)
    .bind(i64::from(policy.version))
    .bind(subject)
    .bind(&period)
    .bind(who.user)
    .bind(state.vault.encrypt("{}"))
    .bind(&at)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(claim) = inserted else {
        // Started at the same moment by another request: that one stands.
        drop(tx);
        let existing = open_claim(&state, &policy, subject)
            .await?
            .ok_or_else(|| ApiError::conflict("stage_changed"))?;
        let c = own(&state, &who, existing).await?;
        return Ok(Json(render(&state, &c, By::Applicant, lang).await?));
    };
    let number = format!(
        "SB-{}-{:04}",
        today_shanghai().to_string().replace('-', ""),
        claim
    );
    sqlx::query("UPDATE claims SET number = $1 WHERE id = $2")
        .bind(&number)
        .bind(claim)
        .execute(&mut *tx)
        .await?;
    record_step(
        &mut tx,
        claim,
        "start",
        ClaimStatus::Draft,
        By::Applicant,
        Some(who.user),
        None,
        None,
        &[],
        &at,
    )
    .await?;
    tx.commit().await?;
    let c = own(&state, &who, claim).await?;
    Ok(Json(render(&state, &c, By::Applicant, lang).await?))
}

/// The caller's applications under review, newest first.
#[utoipa::path(get, path = "/api/claims", tag = "subsidies",
    responses((status = 200, body = [ClaimSummary]), (status = 401, body = ErrorBody)))]
pub async fn mine(
    State(state): State<AppState>,
    who: Beneficiary,
) -> Result<Json<Vec<ClaimSummary>>, ApiError> {
    let Some(subject) = who.subject else {
        return Ok(Json(Vec::new()));
    };
    Ok(Json(
        summaries(&state, "c.subject_id = $1", Some(subject)).await?,
    ))
}

/// One of the caller's applications.
#[utoipa::path(get, path = "/api/claims/{id}", tag = "subsidies",
    params(("id" = i64, Path)),
    responses((status = 200, body = Claim), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn claim(
    State(state): State<AppState>,
    who: Beneficiary,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Result<Json<Claim>, ApiError> {
    let c = own(&state, &who, id).await?;
    Ok(Json(
        render(&state, &c, By::Applicant, Lang::from_headers(&headers)).await?,
    ))
}

/// Saves answers (an empty one clears it) while the application is with the applicant; every
/// problem comes back with the application, each on its field.
#[utoipa::path(put, path = "/api/claims/{id}/answers", tag = "subsidies",
    params(("id" = i64, Path)),
    request_body = ClaimAnswers,
    responses(
        (status = 200, body = Claim),
        (status = 404, body = ErrorBody),
        (status = 409, description = "With the department or decided", body = ErrorBody),
        (status = 422, description = "A question the policy does not ask, or an answer over 2,000 characters", body = ErrorBody),
    ))]
pub async fn answers(
    State(state): State<AppState>,
    who: Beneficiary,
    headers: HeaderMap,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<ClaimAnswers>,
) -> Result<Json<Claim>, ApiError> {
    let mut c = own(&state, &who, id).await?;
    if !claim_life::editable(c.status) {
        return Err(ApiError::conflict("not_editable"));
    }
    for (key, value) in body.answers {
        if !c.spec().questions.iter().any(|q| q.key == key) {
            return Err(ApiError::invalid_field_because(
                format!("answers.{key}"),
                "unknown_field",
            ));
        }
        if value.chars().count() > 2000 {
            return Err(
                ApiError::invalid_field_because(format!("answers.{key}"), "too_long")
                    .with_arg("max", "2000"),
            );
        }
        if value.trim().is_empty() {
            c.answers.remove(&key);
        } else {
            c.answers.insert(key, value);
        }
    }
    let sealed = state
        .vault
        .encrypt(&serde_json::to_string(&c.answers).map_err(ApiError::internal)?);
    let changed = sqlx::query(&format!(
        "UPDATE claims SET answers_enc = $1, updated_at = $2 WHERE id = $3 AND status IN {}",
        claim_life::statuses_sql(claim_life::editable)
    ))
    .bind(sealed)
    .bind(now_utc())
    .bind(id)
    .execute(&state.db.pool)
    .await?
    .rows_affected();
    if changed == 0 {
        return Err(ApiError::conflict("not_editable"));
    }
    Ok(Json(
        render(&state, &c, By::Applicant, Lang::from_headers(&headers)).await?,
    ))
}

/// Uploads one material (PDF, JPEG or PNG up to 10 MB, its content what its type says); a new
/// upload replaces the old one and clears a return reason.
#[utoipa::path(put, path = "/api/claims/{id}/materials/{material}", tag = "subsidies",
    params(("id" = i64, Path), ("material" = String, Path), UploadName),
    request_body(content = Vec<u8>, content_type = "application/pdf"),
    responses(
        (status = 200, body = Claim),
        (status = 404, body = ErrorBody),
        (status = 409, description = "With the department or decided", body = ErrorBody),
        (status = 413, description = "Over 10 MB", body = ErrorBody),
        (status = 422, description = "Empty, not PDF/JPEG/PNG, or content that does not match its type", body = ErrorBody),
    ))]
pub async fn upload_material(
    State(state): State<AppState>,
    who: Beneficiary,
    headers: HeaderMap,
    Path((id, material)): Path<(i64, String)>,
    Query(q): Query<UploadName>,
    body: Body,
) -> Result<Json<Claim>, ApiError> {
    let c = own(&state, &who, id).await?;
    if !c.spec().materials.iter().any(|m| m.code == material) {
        return Err(ApiError::not_found());
    }
    if !claim_life::editable(c.status) {
        return Err(ApiError::conflict("not_editable"));
    }
    let stored = upload::receive(
        state.storage.as_ref(),
        &headers,
        body,
        q.name,
        &material,
        &format!("claims/{id}/{material}"),
    )
    .await?;
    let at = now_utc();
    let mut tx = state.db.begin().await?;
    let editable = sqlx::query(&format!(
        "UPDATE claims SET updated_at = $1 WHERE id = $2 AND status IN {}",
        claim_life::statuses_sql(claim_life::editable)
    ))
    .bind(&at)
    .bind(id)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if editable == 0 {
        return Err(ApiError::conflict("not_editable"));
    }
    upload::record(
        &mut tx,
        ("claim_materials", "claim_id", id),
        &material,
        &stored,
        &at,
    )
    .await?;
    tx.commit().await?;
    let c = own(&state, &who, id).await?;
    Ok(Json(
        render(&state, &c, By::Applicant, Lang::from_headers(&headers)).await?,
    ))
}

/// The file of one of the caller's materials.
#[utoipa::path(get, path = "/api/claims/{id}/materials/{material}", tag = "subsidies",
    params(("id" = i64, Path), ("material" = String, Path)),
    responses((status = 200, description = "The file"), (status = 404, body = ErrorBody)))]
pub async fn material_file(
    State(state): State<AppState>,
    who: Beneficiary,
    Path((id, material)): Path<(i64, String)>,
) -> Result<axum::response::Response, ApiError> {
    let c = own(&state, &who, id).await?;
    let m = c.material(&material).ok_or_else(ApiError::not_found)?;
    upload::serve(
        state.storage.as_ref(),
        &m.storage_key,
        &m.upload.content_type,
    )
    .await
}

/// The applicant's step: submit (again, after a return) or withdraw.
#[utoipa::path(post, path = "/api/claims/{id}/steps", tag = "subsidies",
    params(("id" = i64, Path)),
    request_body = ClaimStepRequest,
    responses(
        (status = 200, body = Claim),
        (status = 404, body = ErrorBody),
        (status = 409, description = "Not a step the applicant can take now, or no longer eligible", body = ErrorBody),
        (status = 422, description = "An answer or a material is missing or wrong (named)", body = ErrorBody),
    ))]
pub async fn applicant_step(
    State(state): State<AppState>,
    who: Beneficiary,
    headers: HeaderMap,
    Path(id): Path<i64>,
    ApiJson(req): ApiJson<ClaimStepRequest>,
) -> Result<Json<Claim>, ApiError> {
    let lang = Lang::from_headers(&headers);
    let c = own(&state, &who, id).await?;
    Box::pin(take_step(
        &state,
        &c,
        By::Applicant,
        Some(who.user),
        None,
        &req,
        lang,
    ))
    .await?;
    let c = own(&state, &who, id).await?;
    Ok(Json(render(&state, &c, By::Applicant, lang).await?))
}

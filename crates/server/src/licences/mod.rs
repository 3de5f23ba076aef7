//! 一照通: one application for a business licence and the permits it carries.
//!
//! - [`catalogue`](self::catalogue_get): the permit catalogue, versioned, edited by policy
//!   administrators; an application keeps the version it started with.
//! - The applicant's side (this module): start, autosave answers, upload materials, submit,
//!   resubmit after a return, withdraw, follow live.
//! - [`review`]: the staff workbench (queues with deadlines, the whole application, every
//!   transition, figures).
//! - [`issued`]: the issued licence, its QR code, public verification and revocation, and
//!   public tracking by number and phone.
//!
//! The workflow itself is `licensing::workflow`; every transition goes through [`transition`].

pub mod issued;
pub mod review;

use std::collections::BTreeMap;

use axum::body::Body;
use axum::extract::{DefaultBodyLimit, FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sqlx::Row;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use api::licence::{
    Action, Application, ApplicationSummary, Catalogue, ItemReason, MaterialNeed, NewApplication,
    Section, SectionStatus, Stage, Step, TransitionRequest, Upload,
};
use api::policy::Bilingual;
use api::ErrorBody;
use licensing::catalogue::{Form, FormError};
use licensing::workflow::{self, Facts, Refusal, Role};

use crate::accounts::auth::{may_act, Principal, Session};
use crate::platform::db::{format_utc, now, now_utc, today_shanghai};
use crate::platform::error::ApiError;
use crate::platform::events::{self, Event};
use crate::platform::i18n::{self, Lang};
use crate::platform::json::ApiJson;
use crate::AppState;

/// The largest file accepted.
pub const MAX_UPLOAD: usize = api::licence::MAX_UPLOAD_BYTES;
const ANSWER_MAX: usize = 2000;
const REASON_MIN: usize = 2;
const REASON_MAX: usize = 500;

/// The catalogue in force: the newest version (the built-in one on first use).
pub async fn current_catalogue(state: &AppState) -> Result<Catalogue, ApiError> {
    let row: Option<(i64, String)> = sqlx::query_as(
        "SELECT version, document FROM licence_catalogues ORDER BY version DESC LIMIT 1",
    )
    .fetch_optional(&state.db.pool)
    .await?;
    if let Some((version, document)) = row {
        let mut c: Catalogue = serde_json::from_str(&document).map_err(ApiError::internal)?;
        c.version = version;
        return Ok(c);
    }
    let mut c = licensing::catalogue::standard();
    c.version = 1;
    sqlx::query("INSERT INTO licence_catalogues (version, document, created_at) VALUES (1, $1, $2) ON CONFLICT (version) DO NOTHING")
        .bind(serde_json::to_string(&c).map_err(ApiError::internal)?)
        .bind(now_utc())
        .execute(&state.db.pool)
        .await?;
    Box::pin(catalogue_version(state, 1)).await
}

/// One version of the catalogue (read from the database once per process: versions never
/// change).
pub async fn catalogue_version(state: &AppState, version: i64) -> Result<Catalogue, ApiError> {
    let cached = state
        .licence_catalogues
        .lock()
        .expect("the catalogue cache")
        .get(&version)
        .cloned();
    if let Some(c) = cached {
        return Ok((*c).clone());
    }
    let document: String =
        sqlx::query_scalar("SELECT document FROM licence_catalogues WHERE version = $1")
            .bind(version)
            .fetch_one(&state.db.pool)
            .await?;
    let mut c: Catalogue = serde_json::from_str(&document).map_err(ApiError::internal)?;
    c.version = version;
    state
        .licence_catalogues
        .lock()
        .expect("the catalogue cache")
        .insert(version, std::sync::Arc::new(c.clone()));
    Ok(c)
}

/// The permit catalogue: business types, permits with their questions, materials, on-site
/// check or commitment, and promised times.
#[utoipa::path(get, path = "/api/licences/catalogue", tag = "licences",
    responses((status = 200, body = Catalogue)))]
pub async fn catalogue_get(State(state): State<AppState>) -> Result<Json<Catalogue>, ApiError> {
    Ok(Json(current_catalogue(&state).await?))
}

/// Replaces the catalogue with a new version (policy administrators). Applications already
/// started keep theirs.
#[utoipa::path(put, path = "/api/licences/catalogue", tag = "licences",
    request_body = Catalogue,
    responses(
        (status = 200, body = Catalogue),
        (status = 403, body = ErrorBody),
        (status = 422, description = "The catalogue is inconsistent; the message says how", body = ErrorBody),
    ))]
pub async fn catalogue_put(
    State(state): State<AppState>,
    admin: crate::accounts::auth::StaffWith<crate::accounts::auth::PolicyAdmin>,
    ApiJson(mut body): ApiJson<Catalogue>,
) -> Result<Json<Catalogue>, ApiError> {
    licensing::catalogue::check(&body).map_err(|reason| {
        ApiError::invalid_field_because("catalogue", "catalogue_invalid").with_arg("reason", reason)
    })?;
    let current = current_catalogue(&state).await?;
    body.version = current.version + 1;
    let inserted = sqlx::query("INSERT INTO licence_catalogues (version, document, created_at, created_by) VALUES ($1, $2, $3, $4) ON CONFLICT (version) DO NOTHING")
        .bind(body.version)
        .bind(serde_json::to_string(&body).map_err(ApiError::internal)?)
        .bind(now_utc())
        .bind(admin.staff)
        .execute(&state.db.pool)
        .await?
        .rows_affected();
    if inserted == 0 {
        return Err(ApiError::conflict("catalogue_changed"));
    }
    Ok(Json(body))
}

/// A person applying for themselves, or for an enterprise they may act for in licence matters
/// (checked in the database on every request).
#[derive(Clone, Copy, Debug)]
pub struct Applicant {
    pub user: i64,
    pub enterprise: Option<i64>,
}

impl FromRequestParts<AppState> for Applicant {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Applicant, ApiError> {
        let session = Session::from_request_parts(parts, state).await?;
        let Principal::Person(user) = session.principal else {
            return Err(ApiError::forbidden_because("people_only"));
        };
        if let Some(enterprise) = session.acting_for {
            if !may_act(state, user, enterprise, Some("scope_licences")).await? {
                return Err(ApiError::forbidden_because("scope"));
            }
        }
        Ok(Applicant {
            user,
            enterprise: session.acting_for,
        })
    }
}

/// An application's row, with its form rebuilt from its catalogue version.
pub struct Loaded {
    pub id: i64,
    pub number: String,
    pub user_id: i64,
    pub catalogue_version: i64,
    pub stage: Stage,
    pub form: Form,
    pub answers: BTreeMap<String, String>,
    /// The answers as stored (encrypted): a save writes only over exactly this.
    pub answers_enc: Vec<u8>,
    pub created_at: String,
    pub updated_at: String,
    pub submitted_at: Option<String>,
    pub accepted_at: Option<String>,
    pub deadline: Option<String>,
    pub licence: Option<String>,
    pub rejection: Option<String>,
    pub materials: Vec<StoredMaterial>,
}

pub struct StoredMaterial {
    pub code: String,
    pub storage_key: String,
    pub upload: Upload,
    pub returned: Option<String>,
}

const APPLICATION_COLUMNS: &str = "id, number, user_id, enterprise_id, catalogue_version, business_type, permits, stage, answers_enc, created_at, updated_at, submitted_at, accepted_at, deadline, licence_number, rejection";

fn form_error(e: FormError) -> ApiError {
    match e {
        FormError::UnknownBusinessType => {
            ApiError::invalid_field_because("business_type", "unknown_business_type")
        }
        FormError::UnknownPermit(p) => {
            ApiError::invalid_field_because("permits", "unknown_permit").with_arg("permit", p)
        }
        FormError::RepeatedPermit(p) => {
            ApiError::invalid_field_because("permits", "repeated_permit").with_arg("permit", p)
        }
    }
}

/// Loads application `id`; `owner` restricts it to that applicant (someone else's: 404).
pub async fn load(state: &AppState, id: i64, owner: Option<Applicant>) -> Result<Loaded, ApiError> {
    let row = sqlx::query(&format!(
        "SELECT {APPLICATION_COLUMNS} FROM licence_applications WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(&state.db.pool)
    .await?
    .ok_or_else(ApiError::not_found)?;
    if let Some(o) = owner {
        let user: i64 = row.try_get("user_id")?;
        let enterprise: Option<i64> = row.try_get("enterprise_id")?;
        if user != o.user || enterprise != o.enterprise {
            return Err(ApiError::not_found());
        }
    }
    let version: i64 = row.try_get("catalogue_version")?;
    let catalogue = Box::pin(catalogue_version(state, version)).await?;
    let permits: String = row.try_get("permits")?;
    let permits: Vec<String> = permits.split(',').map(str::to_owned).collect();
    let form = licensing::catalogue::form(
        &catalogue,
        &row.try_get::<String, _>("business_type")?,
        &permits,
    )
    .map_err(|e| ApiError::internal(format!("a stored application's form: {e:?}")))?;
    let answers_enc: Vec<u8> = row.try_get("answers_enc")?;
    let answers: BTreeMap<String, String> =
        serde_json::from_str(&state.vault.decrypt(&answers_enc)?).map_err(ApiError::internal)?;
    let stage: String = row.try_get("stage")?;
    let materials = sqlx::query(
        "SELECT material, storage_key, file_name, content_type, size, uploaded_at, returned_reason FROM licence_materials WHERE application_id = $1",
    )
    .bind(id)
    .fetch_all(&state.db.pool)
    .await?
    .into_iter()
    .map(|r| {
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
    .collect::<Result<Vec<_>, sqlx::Error>>()?;
    Ok(Loaded {
        id,
        number: row.try_get("number")?,
        user_id: row.try_get("user_id")?,
        catalogue_version: version,
        stage: Stage::parse(&stage).ok_or_else(|| ApiError::internal("an unknown stage"))?,
        form,
        answers,
        answers_enc,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        submitted_at: row.try_get("submitted_at")?,
        accepted_at: row.try_get("accepted_at")?,
        deadline: row.try_get("deadline")?,
        licence: row.try_get("licence_number")?,
        rejection: row.try_get("rejection")?,
        materials,
    })
}

impl Loaded {
    pub fn facts(&self) -> Facts {
        Facts {
            needs_check: self.form.needs_check,
            commitment_signed: self.commitment_signed(),
        }
    }

    pub fn commitment_signed(&self) -> bool {
        self.form.commitment_allowed
            && self
                .answers
                .get(licensing::catalogue::COMMITMENT_KEY)
                .map(String::as_str)
                == Some("commit")
    }

    fn material(&self, code: &str) -> Option<&StoredMaterial> {
        self.materials.iter().find(|m| m.code == code)
    }

    /// Materials still to upload or to replace.
    pub fn materials_missing(&self) -> Vec<String> {
        self.form
            .materials
            .iter()
            .filter(|(spec, _)| {
                self.material(&spec.code)
                    .is_none_or(|m| m.returned.is_some())
            })
            .map(|(spec, _)| spec.code.clone())
            .collect()
    }

    pub fn business_name(&self) -> String {
        self.answers
            .get("business.name")
            .cloned()
            .unwrap_or_default()
    }
}

/// Working days from acceptance to the end (the last step of a finished application) or today.
pub fn working_days_used(a: &Loaded) -> Option<i64> {
    let parse = crate::platform::db::parse_utc;
    let accepted = shanghai_date(parse(a.accepted_at.as_deref()?)?);
    let finished = workflow::is_final(a.stage) || a.stage == Stage::Approved;
    let end = if finished {
        shanghai_date(parse(&a.updated_at)?)
    } else {
        today_shanghai()
    };
    Some(licensing::calendar::Calendar::standard().working_days_between(accepted, end))
}

/// Working days left until `deadline` (UTC text), counted in Shanghai.
pub fn working_days_left(deadline: &str) -> Option<i64> {
    let end = crate::platform::db::parse_utc(deadline)?;
    let end = shanghai_date(end);
    Some(licensing::calendar::Calendar::standard().working_days_between(today_shanghai(), end))
}

pub use crate::platform::db::shanghai_date;

/// The stages for which `keep` holds, as an SQL list: `('draft', 'returned')`. The sets come
/// from the workflow, never from literals (and the names are its own, never input).
pub fn stages_sql(keep: fn(Stage) -> bool) -> String {
    let names: Vec<String> = Stage::ALL
        .iter()
        .filter(|s| keep(**s))
        .map(|s| format!("'{}'", s.as_str()))
        .collect();
    format!("({})", names.join(", "))
}

/// The end (23:59:59 Shanghai, as UTC text) of the promised time counted from `accepted`.
pub fn deadline_after(accepted: time::OffsetDateTime, working_days: u32) -> String {
    let day = licensing::calendar::Calendar::standard()
        .add_working_days(shanghai_date(accepted), working_days);
    let month = time::Month::try_from(day.month()).expect("a month");
    let end = time::Date::from_calendar_date(day.year(), month, day.day())
        .expect("a date")
        .with_hms(23, 59, 59)
        .expect("a time")
        .assume_offset(crate::platform::db::SHANGHAI);
    format_utc(end)
}

/// The steps of application `id`, oldest first.
pub async fn steps(state: &AppState, id: i64) -> Result<Vec<Step>, ApiError> {
    let rows = sqlx::query(
        "SELECT l.action, l.from_stage, l.to_stage, l.actor, s.display_name, l.at, l.comment, l.items, l.scheduled_for \
         FROM licence_steps l LEFT JOIN staff s ON s.id = l.staff_id WHERE l.application_id = $1 ORDER BY l.id",
    )
    .bind(id)
    .fetch_all(&state.db.pool)
    .await?;
    rows.into_iter()
        .map(|r| {
            let stage = |c: &str| -> Result<Stage, ApiError> {
                Stage::parse(&r.try_get::<String, _>(c)?)
                    .ok_or_else(|| ApiError::internal("a stage"))
            };
            let items: String = r.try_get("items")?;
            Ok(Step {
                action: Action::parse(&r.try_get::<String, _>("action")?)
                    .ok_or_else(|| ApiError::internal("an action"))?,
                from: stage("from_stage")?,
                to: stage("to_stage")?,
                actor: r.try_get("actor")?,
                actor_name: r.try_get("display_name")?,
                at: r.try_get("at")?,
                comment: r.try_get("comment")?,
                items: serde_json::from_str(&items).map_err(ApiError::internal)?,
                scheduled_for: r.try_get("scheduled_for")?,
            })
        })
        .collect()
}

/// A problem's message in `lang`.
fn problem_message(lang: Lang, p: &licensing::catalogue::Problem) -> String {
    let key = if p.code.starts_with("uscc_")
        || p.code.starts_with("id_")
        || p.code.starts_with("mobile_")
        || p.code == "required"
        || p.code == "too_long"
    {
        format!("validation.{}", p.code)
    } else {
        format!("server.licence.problem.{}", p.code)
    };
    let mut args = p.args.clone();
    if lang == Lang::En {
        if let Some((_, v)) = p.args.iter().find(|(n, _)| *n == "permit_en") {
            args.retain(|(n, _)| *n != "permit");
            args.push(("permit", v.clone()));
        }
    }
    i18n::message(lang, &key, &args)
}

/// Masks ID and phone numbers among `answers` (for anyone but the applicant).
fn masked(form: &Form, answers: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    use api::licence::FieldKind;
    let mut out = answers.clone();
    for q in form.questions() {
        if let Some(v) = out.get_mut(&q.key) {
            match q.kind {
                FieldKind::IdNumber => *v = api::validate::mask_id_number(v),
                FieldKind::Mobile => *v = api::validate::mask_mobile(v),
                _ => {}
            }
        }
    }
    out
}

/// The whole application as `role` sees it.
pub async fn render(
    state: &AppState,
    a: &Loaded,
    role: Role,
    lang: Lang,
) -> Result<Application, ApiError> {
    let today = today_shanghai();
    let complete = !workflow::waits_for_applicant(a.stage) || a.submitted_at.is_some();
    let problems = a.form.problems(&a.answers, today, complete);
    let missing = a.materials_missing();
    let mut sections: Vec<Section> = a
        .form
        .sections
        .iter()
        .map(|(key, title, questions)| Section {
            key: key.clone(),
            title: title.clone(),
            questions: questions.clone(),
            status: a.form.status(key, &a.answers, &problems),
        })
        .collect();
    let uploaded = a.form.materials.len() - missing.len();
    let materials_status = if missing.is_empty() {
        SectionStatus::Completed
    } else if uploaded == 0 && a.materials.is_empty() {
        SectionStatus::NotStarted
    } else {
        SectionStatus::InProgress
    };
    let position = sections
        .iter()
        .position(|s| s.key == "commitment")
        .unwrap_or(sections.len());
    sections.insert(
        position,
        Section {
            key: "materials".into(),
            title: i18n::bilingual("server.licence.materials_section", &[]),
            questions: Vec::new(),
            status: materials_status,
        },
    );
    let ready = a.form.problems(&a.answers, today, true).is_empty() && missing.is_empty();
    let materials = a
        .form
        .materials
        .iter()
        .enumerate()
        .map(|(i, (spec, by))| {
            let stored = a.material(&spec.code);
            MaterialNeed {
                item: i as u32 + 1,
                code: spec.code.clone(),
                name: spec.name.clone(),
                hint: spec.hint.clone(),
                for_permits: by.clone(),
                upload: stored.map(|m| m.upload.clone()),
                returned: stored.and_then(|m| m.returned.clone()),
            }
        })
        .collect();
    let running = !workflow::is_final(a.stage) && a.stage != Stage::Approved;
    Ok(Application {
        id: a.id,
        number: a.number.clone(),
        stage: a.stage,
        business_type: a.form.business_type.clone(),
        permits: a.form.permits.clone(),
        sections,
        answers: if role == Role::Applicant {
            a.answers.clone()
        } else {
            masked(&a.form, &a.answers)
        },
        problems: problems
            .iter()
            .map(|p| api::licence::FieldProblem {
                field: p.field.clone(),
                code: p.code.clone(),
                message: problem_message(lang, p),
            })
            .collect(),
        materials,
        commitment_allowed: a.form.commitment_allowed,
        commitment_signed: a.commitment_signed(),
        needs_check: a.form.needs_check,
        ready,
        promised_days: a.form.promised_days,
        created_at: a.created_at.clone(),
        updated_at: a.updated_at.clone(),
        submitted_at: a.submitted_at.clone(),
        accepted_at: a.accepted_at.clone(),
        deadline: a.deadline.clone(),
        working_days_left: a
            .deadline
            .as_deref()
            .filter(|_| running)
            .and_then(working_days_left),
        working_days_used: working_days_used(a),
        steps: steps(state, a.id).await?,
        actions: workflow::available(a.stage, role, a.facts()),
        licence: a.licence.clone(),
        rejection: a.rejection.clone(),
    })
}

/// Application `id` as its applicant sees it now, in the request's language.
async fn applicant_view(
    state: &AppState,
    id: i64,
    who: Applicant,
    headers: &HeaderMap,
) -> Result<Json<Application>, ApiError> {
    let a = Box::pin(load(state, id, Some(who))).await?;
    let lang = Lang::from_headers(headers);
    Ok(Json(
        Box::pin(render(state, &a, Role::Applicant, lang)).await?,
    ))
}

/// Starts an application: a draft with the questions and materials of the chosen permits,
/// what Zhida already knows filled in (the phone; the enterprise's name and code when acting
/// for one; the ID number when recorded).
#[utoipa::path(post, path = "/api/licences/applications", tag = "licences",
    request_body = NewApplication,
    responses(
        (status = 201, body = Application),
        (status = 401, body = ErrorBody),
        (status = 403, description = "Acting for an enterprise without the licences scope", body = ErrorBody),
        (status = 422, description = "An unknown business type or permit, or a permit named twice", body = ErrorBody),
    ))]
pub async fn create(
    State(state): State<AppState>,
    who: Applicant,
    headers: HeaderMap,
    ApiJson(body): ApiJson<NewApplication>,
) -> Result<(StatusCode, Json<Application>), ApiError> {
    let catalogue = current_catalogue(&state).await?;
    let form = licensing::catalogue::form(&catalogue, &body.business_type, &body.permits)
        .map_err(form_error)?;
    let user = sqlx::query("SELECT phone_enc, phone_hash, id_number_enc FROM users WHERE id = $1")
        .bind(who.user)
        .fetch_one(&state.db.pool)
        .await?;
    let mut answers = BTreeMap::new();
    answers.insert(
        "applicant.phone".to_owned(),
        state
            .vault
            .decrypt(&user.try_get::<Vec<u8>, _>("phone_enc")?)?,
    );
    if let Some(sealed) = user.try_get::<Option<Vec<u8>>, _>("id_number_enc")? {
        answers.insert(
            "applicant.id_number".to_owned(),
            state.vault.decrypt(&sealed)?,
        );
    }
    if let Some(e) = who.enterprise {
        let (uscc, name): (String, String) =
            sqlx::query_as("SELECT uscc, name FROM enterprises WHERE id = $1")
                .bind(e)
                .fetch_one(&state.db.pool)
                .await?;
        answers.insert("business.uscc".to_owned(), uscc);
        answers.insert("business.name".to_owned(), name);
    }
    let stamp = now_utc();
    let codes: Vec<&str> = form.permits.iter().map(|p| p.code.as_str()).collect();
    let mut tx = state.db.begin().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO licence_applications (number, user_id, enterprise_id, catalogue_version, business_type, permits, stage, answers_enc, business_name, phone_hash, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, 'draft', $7, $8, $9, $10, $10) RETURNING id",
    )
    .bind(format!("pending-{}", uuid::Uuid::new_v4()))
    .bind(who.user)
    .bind(who.enterprise)
    .bind(catalogue.version)
    .bind(&body.business_type)
    .bind(codes.join(","))
    .bind(state.vault.encrypt(&serde_json::to_string(&answers).map_err(ApiError::internal)?))
    .bind(answers.get("business.name").cloned().unwrap_or_default())
    .bind(user.try_get::<Vec<u8>, _>("phone_hash")?)
    .bind(&stamp)
    .fetch_one(&mut *tx)
    .await?;
    let day = today_shanghai();
    let number = format!(
        "YZT-{:04}{:02}{:02}-{id:05}",
        day.year(),
        day.month(),
        day.day()
    );
    sqlx::query("UPDATE licence_applications SET number = $1 WHERE id = $2")
        .bind(&number)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok((
        StatusCode::CREATED,
        applicant_view(&state, id, who, &headers).await?,
    ))
}

async fn summaries(
    state: &AppState,
    filter: &str,
    binds: Vec<Option<i64>>,
    stage: Option<&str>,
) -> Result<Vec<ApplicationSummary>, ApiError> {
    let mut sql = format!(
        "SELECT id, number, stage, business_name, permits, catalogue_version, updated_at, submitted_at, deadline FROM licence_applications WHERE {filter}"
    );
    if stage.is_some() {
        sql.push_str(&format!(" AND stage = ${}", binds.len() + 1));
    }
    sql.push_str(
        " ORDER BY CASE WHEN deadline IS NULL THEN 1 ELSE 0 END, deadline, id DESC LIMIT 500",
    );
    let mut q = sqlx::query(&sql);
    for b in binds {
        q = q.bind(b);
    }
    if let Some(s) = stage {
        q = q.bind(s.to_owned());
    }
    let rows = q.fetch_all(&state.db.pool).await?;
    let catalogue = current_catalogue(state).await?;
    rows.into_iter()
        .map(|r| {
            let stage = Stage::parse(&r.try_get::<String, _>("stage")?)
                .ok_or_else(|| ApiError::internal("a stage"))?;
            let deadline: Option<String> = r.try_get("deadline")?;
            let running = !workflow::is_final(stage) && stage != Stage::Approved;
            let left = deadline
                .as_deref()
                .filter(|_| running)
                .and_then(working_days_left);
            let permits: String = r.try_get("permits")?;
            Ok(ApplicationSummary {
                id: r.try_get("id")?,
                number: r.try_get("number")?,
                stage,
                business_name: r.try_get("business_name")?,
                permits: permits
                    .split(',')
                    .map(|code| {
                        catalogue
                            .permits
                            .iter()
                            .find(|p| p.code == code)
                            .map_or_else(
                                || Bilingual {
                                    zh_cn: code.into(),
                                    en: code.into(),
                                },
                                |p| p.name.clone(),
                            )
                    })
                    .collect(),
                updated_at: r.try_get("updated_at")?,
                submitted_at: r.try_get("submitted_at")?,
                overdue: left.is_some_and(|l| l < 0),
                deadline,
                working_days_left: left,
            })
        })
        .collect()
}

/// The caller's applications, newest first.
#[utoipa::path(get, path = "/api/licences/applications", tag = "licences",
    responses((status = 200, body = [ApplicationSummary]), (status = 401, body = ErrorBody)))]
pub async fn mine(
    State(state): State<AppState>,
    who: Applicant,
) -> Result<Json<Vec<ApplicationSummary>>, ApiError> {
    let (filter, binds) = match who.enterprise {
        Some(e) => (
            "user_id = $1 AND enterprise_id = $2",
            vec![Some(who.user), Some(e)],
        ),
        None => (
            "user_id = $1 AND enterprise_id IS NULL",
            vec![Some(who.user)],
        ),
    };
    let mut list = summaries(&state, filter, binds, None).await?;
    list.sort_by(|a, b| b.updated_at.cmp(&a.updated_at));
    Ok(Json(list))
}

/// One of the caller's applications, whole.
#[utoipa::path(get, path = "/api/licences/applications/{id}", tag = "licences",
    params(("id" = i64, Path)),
    responses((status = 200, body = Application), (status = 404, body = ErrorBody)))]
pub async fn get_one(
    State(state): State<AppState>,
    who: Applicant,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Result<Json<Application>, ApiError> {
    applicant_view(&state, id, who, &headers).await
}

/// Answers to save (a draft saves as it is typed).
#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct AnswersUpdate {
    /// Field key → answer; an empty answer clears the field.
    pub answers: BTreeMap<String, String>,
}

/// Saves answers (merged into those saved before). Answers are kept even when wrong, so
/// nothing typed is lost; the problems come back with the application, in words.
#[utoipa::path(put, path = "/api/licences/applications/{id}/answers", tag = "licences",
    params(("id" = i64, Path)),
    request_body = AnswersUpdate,
    responses(
        (status = 200, body = Application),
        (status = 404, body = ErrorBody),
        (status = 409, description = "The application is no longer with the applicant", body = ErrorBody),
        (status = 422, description = "A field this form does not ask, or an answer over 2,000 characters", body = ErrorBody),
    ))]
pub async fn save_answers(
    State(state): State<AppState>,
    who: Applicant,
    headers: HeaderMap,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<AnswersUpdate>,
) -> Result<Json<Application>, ApiError> {
    // Merged onto what is stored, and written only if nobody wrote in between (the stored
    // blob is the check: each write's nonce makes it unique); otherwise merged again.
    let mut written = false;
    for _ in 0..10 {
        let a = Box::pin(load(&state, id, Some(who))).await?;
        if !workflow::waits_for_applicant(a.stage) {
            return Err(ApiError::conflict("not_editable"));
        }
        let mut answers = a.answers.clone();
        for (key, value) in &body.answers {
            if !a.form.asks(key) {
                return Err(ApiError::invalid_field_because(
                    format!("answers.{key}"),
                    "unknown_field",
                ));
            }
            if value.chars().count() > ANSWER_MAX {
                return Err(
                    ApiError::invalid_field_because(format!("answers.{key}"), "too_long")
                        .with_arg("max", ANSWER_MAX.to_string()),
                );
            }
            let value = value.trim().to_owned();
            if value.is_empty() {
                answers.remove(key);
            } else {
                answers.insert(key.clone(), value);
            }
        }
        let updated = sqlx::query(&format!(
            "UPDATE licence_applications SET answers_enc = $1, business_name = $2, updated_at = $3 \
             WHERE id = $4 AND stage IN {} AND answers_enc = $5",
            stages_sql(licensing::workflow::waits_for_applicant)
        ))
        .bind(
            state
                .vault
                .encrypt(&serde_json::to_string(&answers).map_err(ApiError::internal)?),
        )
        .bind(answers.get("business.name").cloned().unwrap_or_default())
        .bind(now_utc())
        .bind(id)
        .bind(a.answers_enc.clone())
        .execute(&state.db.pool)
        .await?
        .rows_affected();
        if updated == 1 {
            written = true;
            break;
        }
    }
    if !written {
        return Err(ApiError::conflict("stage_changed"));
    }
    applicant_view(&state, id, who, &headers).await
}

/// The upload's file name.
#[derive(Debug, Deserialize, IntoParams)]
pub struct UploadName {
    /// The file's name as the applicant chose it (shown back to them).
    pub name: Option<String>,
}

/// What a file's first bytes say it is.
pub fn sniff(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"%PDF-") {
        Some("application/pdf")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
        Some("image/png")
    } else {
        None
    }
}

fn declared_type(headers: &HeaderMap) -> String {
    headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
        .map(|v| {
            if v == "image/jpg" || v == "image/pjpeg" {
                "image/jpeg".to_owned()
            } else {
                v
            }
        })
        .unwrap_or_default()
}

/// Uploads one material (PDF, JPEG or PNG up to 10 MB; the content must be what the type
/// says). Replaces an earlier upload of it, which clears a return reason.
#[utoipa::path(put, path = "/api/licences/applications/{id}/materials/{material}", tag = "licences",
    params(("id" = i64, Path), ("material" = String, Path), UploadName),
    request_body(content = Vec<u8>, content_type = "application/pdf"),
    responses(
        (status = 200, body = Application),
        (status = 404, body = ErrorBody),
        (status = 409, description = "The application is no longer with the applicant", body = ErrorBody),
        (status = 413, description = "Over 10 MB", body = ErrorBody),
        (status = 422, description = "Empty, not PDF/JPEG/PNG, or content that does not match its type", body = ErrorBody),
    ))]
pub async fn upload(
    State(state): State<AppState>,
    who: Applicant,
    headers: HeaderMap,
    Path((id, material)): Path<(i64, String)>,
    Query(q): Query<UploadName>,
    body: Body,
) -> Result<Json<Application>, ApiError> {
    let a = Box::pin(load(&state, id, Some(who))).await?;
    if !a.form.materials.iter().any(|(m, _)| m.code == material) {
        return Err(ApiError::not_found());
    }
    if !workflow::waits_for_applicant(a.stage) {
        return Err(ApiError::conflict("not_editable"));
    }
    let declared = declared_type(&headers);
    if !["application/pdf", "image/jpeg", "image/png"].contains(&declared.as_str()) {
        return Err(ApiError::invalid_field_because("file", "file_type"));
    }
    let bytes = match axum::body::to_bytes(body, MAX_UPLOAD).await {
        Ok(b) => b,
        Err(_) => return Err(ApiError::file_too_large(MAX_UPLOAD)),
    };
    if bytes.is_empty() {
        return Err(ApiError::invalid_field_because("file", "file_empty"));
    }
    match sniff(&bytes) {
        Some(t) if t == declared => {}
        _ => return Err(ApiError::invalid_field_because("file", "file_content")),
    }
    let name: String = q
        .name
        .unwrap_or_default()
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '/' | '\\'))
        .take(120)
        .collect();
    let name = if name.trim().is_empty() {
        material.clone()
    } else {
        name
    };
    let sha = Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<String>();
    let key = format!("applications/{id}/{material}-{sha}");
    let size = bytes.len() as i64;
    state
        .storage
        .put(&key, bytes.to_vec(), &declared)
        .await
        .map_err(|e| {
            tracing::error!(error = %format!("{e:#}"), "storing an upload");
            ApiError::unavailable()
        })?;
    let stamp = now_utc();
    let mut tx = state.db.begin().await?;
    let editable = sqlx::query(&format!(
        "UPDATE licence_applications SET updated_at = $1 WHERE id = $2 AND stage IN {}",
        stages_sql(licensing::workflow::waits_for_applicant)
    ))
    .bind(&stamp)
    .bind(id)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if editable == 0 {
        return Err(ApiError::conflict("not_editable"));
    }
    sqlx::query(
        "INSERT INTO licence_materials (application_id, material, storage_key, file_name, content_type, size, sha256, uploaded_at, returned_reason) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULL) \
         ON CONFLICT (application_id, material) DO UPDATE SET storage_key = excluded.storage_key, file_name = excluded.file_name, \
         content_type = excluded.content_type, size = excluded.size, sha256 = excluded.sha256, uploaded_at = excluded.uploaded_at, returned_reason = NULL",
    )
    .bind(id)
    .bind(&material)
    .bind(&key)
    .bind(&name)
    .bind(&declared)
    .bind(size)
    .bind(&sha)
    .bind(&stamp)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    applicant_view(&state, id, who, &headers).await
}

/// The bytes of a stored material, for the applicant or a reviewer.
pub async fn material_file(
    state: &AppState,
    a: &Loaded,
    material: &str,
) -> Result<axum::response::Response, ApiError> {
    use axum::response::IntoResponse;
    let m = a.material(material).ok_or_else(ApiError::not_found)?;
    let bytes = state
        .storage
        .get(&m.storage_key)
        .await
        .map_err(|e| {
            tracing::error!(error = %format!("{e:#}"), "reading an upload");
            ApiError::unavailable()
        })?
        .ok_or_else(ApiError::not_found)?;
    Ok((
        [
            (
                axum::http::header::CONTENT_TYPE,
                m.upload.content_type.clone(),
            ),
            (
                axum::http::header::CACHE_CONTROL,
                "private, no-store".to_owned(),
            ),
            (axum::http::header::CONTENT_DISPOSITION, "inline".to_owned()),
        ],
        bytes,
    )
        .into_response())
}

/// Downloads one of the applicant's uploaded materials.
#[utoipa::path(get, path = "/api/licences/applications/{id}/materials/{material}", tag = "licences",
    params(("id" = i64, Path), ("material" = String, Path)),
    responses((status = 200, description = "The file"), (status = 404, body = ErrorBody)))]
pub async fn download(
    State(state): State<AppState>,
    who: Applicant,
    Path((id, material)): Path<(i64, String)>,
) -> Result<axum::response::Response, ApiError> {
    let a = Box::pin(load(&state, id, Some(who))).await?;
    material_file(&state, &a, &material).await
}

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

fn reason_ok(field: &str, text: &str) -> Result<String, ApiError> {
    let t = text.trim();
    let n = t.chars().count();
    if n < REASON_MIN {
        return Err(ApiError::invalid_field_because(field, "too_short")
            .with_arg("min", REASON_MIN.to_string()));
    }
    if n > REASON_MAX {
        return Err(ApiError::invalid_field_because(field, "too_long")
            .with_arg("max", REASON_MAX.to_string()));
    }
    Ok(t.to_owned())
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
    let today = today_shanghai();
    let mut comment = req
        .comment
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(str::to_owned);
    if let Some(c) = &comment {
        comment = Some(reason_ok("comment", c)?);
    }
    let mut items: Vec<ItemReason> = Vec::new();
    let mut scheduled_for = None;
    match req.action {
        Action::Submit | Action::Resubmit => {
            if let Some(p) = a.form.problems(&a.answers, today, true).first() {
                return Err(ApiError::invalid_field_because(
                    format!("answers.{}", p.field),
                    "not_ready",
                )
                .with_arg("problem", problem_message(lang, p)));
            }
            if let Some(m) = a.materials_missing().first() {
                return Err(ApiError::invalid_field_because(
                    format!("materials.{m}"),
                    "material_missing",
                ));
            }
        }
        Action::Return => {
            if req.items.is_empty() {
                return Err(ApiError::invalid_field_because("items", "items_required"));
            }
            for (i, item) in req.items.iter().enumerate() {
                if !a
                    .form
                    .materials
                    .iter()
                    .any(|(m, _)| m.code == item.material)
                {
                    return Err(ApiError::invalid_field_because(
                        format!("items[{i}].material"),
                        "unknown_material",
                    ));
                }
                items.push(ItemReason {
                    material: item.material.clone(),
                    reason: reason_ok(&format!("items[{i}].reason"), &item.reason)?,
                });
            }
        }
        Action::ScheduleCheck => {
            let when = req
                .scheduled_for
                .as_deref()
                .and_then(crate::platform::db::parse_utc)
                .ok_or_else(|| ApiError::invalid_field_because("scheduled_for", "not_a_time"))?;
            if when <= now() {
                return Err(ApiError::invalid_field_because(
                    "scheduled_for",
                    "not_future",
                ));
            }
            scheduled_for = Some(format_utc(when));
        }
        Action::Reject | Action::FailCheck if comment.is_none() => {
            return Err(ApiError::invalid_field_because(
                "comment",
                "reason_required",
            ));
        }
        _ => {}
    }
    let stamp = now();
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

/// Live updates of one of the caller's applications (Server-Sent Events): `changed` whenever
/// it moves.
#[utoipa::path(get, path = "/api/licences/applications/{id}/events", tag = "licences",
    params(("id" = i64, Path)),
    responses((status = 200, description = "An event stream", content_type = "text/event-stream"), (status = 404, body = ErrorBody)))]
pub async fn application_events(
    State(state): State<AppState>,
    who: Applicant,
    Path(id): Path<i64>,
) -> Result<axum::response::Response, ApiError> {
    Box::pin(load(&state, id, Some(who))).await?;
    Ok(application_stream(&state, id))
}

/// The live stream of one licence application: `ready`, then `changed` whenever it moves.
pub(crate) fn application_stream(state: &AppState, id: i64) -> axum::response::Response {
    events::changed_stream(&state.events, move |e| match e {
        Event::Application(a) => a == id,
        Event::Everyone => true,
        Event::Subject(_) => false,
    })
}

/// Applications, the review desk, issued licences, verification and tracking.
pub fn router() -> OpenApiRouter<AppState> {
    // Uploads: bodies up to the upload limit, read by the handler (which answers over-size
    // files itself, in words).
    let uploads = OpenApiRouter::new()
        .routes(routes!(upload))
        .layer(DefaultBodyLimit::disable());
    OpenApiRouter::new()
        .routes(routes!(catalogue_get, catalogue_put))
        .routes(routes!(create, mine))
        .routes(routes!(get_one))
        .routes(routes!(save_answers))
        .routes(routes!(download))
        .routes(routes!(applicant_transition))
        .routes(routes!(application_events))
        .routes(routes!(review::queue))
        .routes(routes!(review::application))
        .routes(routes!(review::material))
        .routes(routes!(review::step))
        .routes(routes!(review::figures))
        .routes(routes!(issued::licence))
        .routes(routes!(issued::staff_licence))
        .routes(routes!(issued::qr))
        .routes(routes!(issued::verify))
        .routes(routes!(issued::revoke))
        .routes(routes!(issued::track))
        .routes(routes!(issued::track_events))
        .routes(routes!(issued::track_current))
        .merge(uploads)
        .route(
            "/.well-known/zhida-licence-key.json",
            axum::routing::get(issued::public_key),
        )
}

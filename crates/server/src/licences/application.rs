//! An application as stored and as shown: loading it (with its form rebuilt from its catalogue
//! version), its steps, working days, and rendering it for its applicant or a reviewer.

use std::collections::BTreeMap;

use axum::http::HeaderMap;
use axum::Json;
use sqlx::Row;

use api::licence::{
    Action, Application, ApplicationSummary, MaterialNeed, Section, SectionStatus, Stage, Step,
    Upload,
};
use api::policy::Bilingual;
use licensing::catalogue::{Form, FormError};
use licensing::workflow::{self, Facts, Role};

use super::catalogue::{catalogue_version, current_catalogue};
use super::Applicant;
use crate::platform::db::{format_utc, parse_utc, shanghai_date, today_shanghai, SHANGHAI};
use crate::platform::error::ApiError;
use crate::platform::i18n::{self, Lang};
use crate::AppState;

/// An application's row, with its form rebuilt from its catalogue version.
pub struct Loaded {
    pub id: i64,
    pub number: String,
    pub user_id: i64,
    /// The enterprise applied for (acting for it), if any.
    pub enterprise_id: Option<i64>,
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

pub(super) fn form_error(e: FormError) -> ApiError {
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

/// Whether `answered` (a `business.uscc` answer) may stand on an application for
/// `enterprise`: only that enterprise's own code, or none (a new business gets one when its
/// licence is issued). Anyone else's code would put their number on this licence.
pub async fn uscc_is_own(
    state: &AppState,
    enterprise: Option<i64>,
    answered: &str,
) -> Result<bool, ApiError> {
    let answered = answered.trim();
    if answered.is_empty() {
        return Ok(true);
    }
    let Some(enterprise) = enterprise else {
        return Ok(false);
    };
    let own: Option<String> = sqlx::query_scalar("SELECT uscc FROM enterprises WHERE id = $1")
        .bind(enterprise)
        .fetch_optional(&state.db.pool)
        .await?;
    Ok(own.is_some_and(|own| own.eq_ignore_ascii_case(answered)))
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
        enterprise_id: row.try_get("enterprise_id")?,
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

    pub fn material(&self, code: &str) -> Option<&StoredMaterial> {
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
    let accepted = shanghai_date(parse_utc(a.accepted_at.as_deref()?)?);
    let finished = workflow::is_final(a.stage) || a.stage == Stage::Approved;
    let end = if finished {
        shanghai_date(parse_utc(&a.updated_at)?)
    } else {
        today_shanghai()
    };
    Some(licensing::issue::working_days_used(accepted, end))
}

/// Working days left until `deadline` (UTC text), counted in Shanghai.
pub fn working_days_left(deadline: &str) -> Option<i64> {
    let end = shanghai_date(parse_utc(deadline)?);
    Some(licensing::issue::working_days_left(today_shanghai(), end))
}

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
    let day = licensing::issue::deadline(shanghai_date(accepted), working_days);
    let month = time::Month::try_from(day.month()).expect("a month");
    let end = time::Date::from_calendar_date(day.year(), month, day.day())
        .expect("a date")
        .with_hms(23, 59, 59)
        .expect("a time")
        .assume_offset(SHANGHAI);
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
pub fn problem_message(lang: Lang, p: &licensing::catalogue::Problem) -> String {
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
pub(super) fn masked(form: &Form, answers: &BTreeMap<String, String>) -> BTreeMap<String, String> {
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
pub(super) async fn applicant_view(
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

pub(super) async fn summaries(
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

//! The staff workbench: queues by stage with a countdown to each deadline, the whole
//! application with its materials and audit trail, every reviewer's step, and the figures.

use std::collections::BTreeMap;

use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::Json;
use serde::Deserialize;
use sqlx::Row;
use utoipa::IntoParams;

use api::licence::{Application, ApplicationSummary, CombinationFigures, Stage, TransitionRequest};
use api::ErrorBody;
use licensing::workflow::Role;

use super::application::{load, render};
use super::transition::{transition, Actor};
use crate::accounts::auth::{LicenceReview, StaffWith};
use crate::platform::db::format_utc;
use crate::platform::error::ApiError;
use crate::platform::i18n::Lang;
use crate::platform::json::ApiJson;
use crate::AppState;

/// What the access log says a reviewer read.
pub const WHAT_APPLICATION: &str = "licence_application";

#[derive(Debug, Deserialize, IntoParams)]
pub struct QueueFilter {
    /// One stage; without it, every application waiting for the service centre.
    pub stage: Option<String>,
}

/// A reviewer's queue: applications by stage, the nearest deadline first (overdue ones are
/// marked).
#[utoipa::path(get, path = "/api/staff/licences/applications", tag = "licences",
    params(QueueFilter),
    responses(
        (status = 200, body = [ApplicationSummary]),
        (status = 403, body = ErrorBody),
        (status = 422, description = "An unknown stage", body = ErrorBody),
    ))]
pub async fn queue(
    State(state): State<AppState>,
    _staff: StaffWith<LicenceReview>,
    Query(f): Query<QueueFilter>,
) -> Result<Json<Vec<ApplicationSummary>>, ApiError> {
    let stage = match f.stage.as_deref() {
        None | Some("") => None,
        Some(s) => Some(
            Stage::parse(s)
                .filter(|s| *s != Stage::Draft)
                .ok_or_else(|| ApiError::invalid_field_because("stage", "choice"))?,
        ),
    };
    let filter = match stage {
        Some(_) => format!("stage <> '{}'", Stage::Draft.as_str()),
        None => format!(
            "stage IN {}",
            super::application::stages_sql(licensing::workflow::waits_for_centre)
        ),
    };
    Ok(Json(
        super::application::summaries(&state, &filter, Vec::new(), stage.map(Stage::as_str))
            .await?,
    ))
}

/// The whole application for review; ID and phone numbers masked. The read is written to the
/// applicant's data-access log.
#[utoipa::path(get, path = "/api/staff/licences/applications/{id}", tag = "licences",
    params(("id" = i64, Path)),
    responses((status = 200, body = Application), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn application(
    State(state): State<AppState>,
    staff: StaffWith<LicenceReview>,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Result<Json<Application>, ApiError> {
    let a = Box::pin(load(&state, id, None)).await?;
    if a.stage == Stage::Draft {
        // A draft is the applicant's own until they send it.
        return Err(ApiError::not_found());
    }
    log_read(&state, a.user_id, staff.staff, &a.number).await?;
    Ok(Json(
        Box::pin(render(
            &state,
            &a,
            Role::Reviewer,
            Lang::from_headers(&headers),
        ))
        .await?,
    ))
}

async fn log_read(state: &AppState, user: i64, staff: i64, number: &str) -> Result<(), ApiError> {
    sqlx::query("INSERT INTO data_access_log (user_id, staff_id, reason, what, at) VALUES ($1, $2, $3, $4, $5)")
        .bind(user)
        .bind(staff)
        .bind(number)
        .bind(WHAT_APPLICATION)
        .bind(format_utc(crate::platform::db::now()))
        .execute(&state.db.pool)
        .await?;
    Ok(())
}

/// One material of an application under review (the read is logged).
#[utoipa::path(get, path = "/api/staff/licences/applications/{id}/materials/{material}", tag = "licences",
    params(("id" = i64, Path), ("material" = String, Path)),
    responses((status = 200, description = "The file"), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn material(
    State(state): State<AppState>,
    staff: StaffWith<LicenceReview>,
    Path((id, material)): Path<(i64, String)>,
) -> Result<axum::response::Response, ApiError> {
    let a = Box::pin(load(&state, id, None)).await?;
    if a.stage == Stage::Draft {
        return Err(ApiError::not_found());
    }
    log_read(&state, a.user_id, staff.staff, &a.number).await?;
    super::uploads::material_file(&state, &a, &material).await
}

/// A reviewer's step: accept, return (with a reason per item), schedule or record the on-site
/// check, take the commitment, approve (which issues the licence) or reject (with reasons).
#[utoipa::path(post, path = "/api/staff/licences/applications/{id}/transitions", tag = "licences",
    params(("id" = i64, Path)),
    request_body = TransitionRequest,
    responses(
        (status = 200, description = "Done, or already done (a repeat changes nothing)", body = Application),
        (status = 403, description = "Not a licence reviewer, or an applicant's step", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "Not possible at this stage or for this application, or the stage changed meanwhile", body = ErrorBody),
        (status = 422, description = "A missing reason, item or time: the field is named", body = ErrorBody),
    ))]
pub async fn step(
    State(state): State<AppState>,
    staff: StaffWith<LicenceReview>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<TransitionRequest>,
) -> Result<Json<Application>, ApiError> {
    let lang = Lang::from_headers(&headers);
    let a = Box::pin(load(&state, id, None)).await?;
    if a.stage == Stage::Draft {
        return Err(ApiError::not_found());
    }
    Box::pin(transition(
        &state,
        &a,
        Actor::Reviewer(staff.staff),
        &body,
        lang,
    ))
    .await?;
    let a = Box::pin(load(&state, id, None)).await?;
    Ok(Json(
        Box::pin(render(&state, &a, Role::Reviewer, lang)).await?,
    ))
}

fn hours_between(a: &str, b: &str) -> Option<f64> {
    let parse = crate::platform::db::parse_utc;
    Some((parse(b)? - parse(a)?).as_seconds_f64() / 3600.0)
}

/// Per combination of permits: materials asked in one form against separate applications, and
/// the time from submission to licence against the promised and statutory times.
#[utoipa::path(get, path = "/api/staff/licences/figures", tag = "licences",
    responses((status = 200, body = [CombinationFigures]), (status = 403, body = ErrorBody)))]
pub async fn figures(
    State(state): State<AppState>,
    _staff: StaffWith<LicenceReview>,
) -> Result<Json<Vec<CombinationFigures>>, ApiError> {
    let rows = sqlx::query(
        "SELECT a.business_type, a.permits, a.catalogue_version, a.stage, a.submitted_at, l.issued_at \
         FROM licence_applications a LEFT JOIN licences l ON l.application_id = a.id WHERE a.stage <> $1",
    )
    .bind(Stage::Draft.as_str())
    .fetch_all(&state.db.pool)
    .await?;
    let calendar = licensing::calendar::Calendar::standard();
    let mut by: BTreeMap<String, (CombinationFigures, Vec<f64>, Vec<f64>)> = BTreeMap::new();
    for r in rows {
        let permits: String = r.try_get("permits")?;
        let catalogue = Box::pin(super::catalogue::catalogue_version(
            &state,
            r.try_get("catalogue_version")?,
        ))
        .await?;
        let codes: Vec<String> = permits.split(',').map(str::to_owned).collect();
        let Ok(form) = licensing::catalogue::form(
            &catalogue,
            &r.try_get::<String, _>("business_type")?,
            &codes,
        ) else {
            continue;
        };
        let entry = by.entry(permits.clone()).or_insert_with(|| {
            (
                CombinationFigures {
                    permits: form.permits.iter().map(|p| p.name.clone()).collect(),
                    applications: 0,
                    issued: 0,
                    materials_asked: form.materials.len() as u32,
                    materials_separate: form.materials_separately(),
                    statutory_days: form.permits.iter().map(|p| p.statutory_days).sum(),
                    promised_days: form.promised_days,
                    mean_working_days: None,
                    mean_hours: None,
                    within_promise: 0,
                },
                Vec::new(),
                Vec::new(),
            )
        });
        entry.0.applications += 1;
        let submitted: Option<String> = r.try_get("submitted_at")?;
        let issued: Option<String> = r.try_get("issued_at")?;
        if let (Some(s), Some(i)) = (submitted, issued) {
            entry.0.issued += 1;
            let parse = crate::platform::db::parse_utc;
            if let (Some(hours), Some(a), Some(b)) = (hours_between(&s, &i), parse(&s), parse(&i)) {
                let days = calendar.working_days_between(
                    crate::platform::db::shanghai_date(a),
                    crate::platform::db::shanghai_date(b),
                );
                entry.1.push(hours);
                entry.2.push(days as f64);
                if days <= form.promised_days as i64 {
                    entry.0.within_promise += 1;
                }
            }
        }
    }
    let mean = |v: &[f64]| (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64);
    Ok(Json(
        by.into_values()
            .map(|(mut f, hours, days)| {
                f.mean_hours = mean(&hours);
                f.mean_working_days = mean(&days);
                f
            })
            .collect(),
    ))
}

//! Materials: uploads checked by their content, stored, and downloaded by their owner or a
//! reviewer.

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::Json;
use serde::Deserialize;
use utoipa::IntoParams;

use api::licence::Application;
use api::ErrorBody;
use licensing::workflow;

use super::application::{applicant_view, load, stages_sql, Loaded};
use super::Applicant;
use crate::platform::db::now_utc;
use crate::platform::error::ApiError;
use crate::platform::upload;
use crate::AppState;

/// The upload's file name.
#[derive(Debug, Deserialize, IntoParams)]
pub struct UploadName {
    /// The file's name as the applicant chose it (shown back to them).
    pub name: Option<String>,
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
    let stored = upload::receive(
        state.storage.as_ref(),
        &headers,
        body,
        q.name,
        &material,
        &format!("applications/{id}/{material}"),
    )
    .await?;
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
    upload::record(
        &mut tx,
        ("licence_materials", "application_id", id),
        &material,
        &stored,
        &stamp,
    )
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
    let m = a.material(material).ok_or_else(ApiError::not_found)?;
    upload::serve(
        state.storage.as_ref(),
        &m.storage_key,
        &m.upload.content_type,
    )
    .await
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

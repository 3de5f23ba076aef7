//! The permit catalogue, versioned: policy administrators edit it; an application keeps the
//! version it started with.

use axum::extract::State;
use axum::Json;

use api::licence::Catalogue;
use api::ErrorBody;

use crate::platform::db::now_utc;
use crate::platform::error::ApiError;
use crate::platform::json::ApiJson;
use crate::AppState;

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

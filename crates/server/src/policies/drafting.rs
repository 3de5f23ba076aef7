//! Drafting a policy: a new policy's first version, a revision from the version in force,
//! saving a draft (it must compile), submitting it for approval.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;

use api::policy_admin::{DraftSource, VersionDetail};
use api::ErrorBody;

use crate::platform::db::now_utc;
use crate::platform::error::ApiError;
use crate::platform::json::ApiJson;
use crate::policies::admin::{
    check_source, detail_of, in_force, one_version, versions_of, PolicyStaff,
};
use crate::AppState;

/// A new policy: its first draft (version 1, an id no policy has).
#[utoipa::path(post, path = "/api/staff/policies", tag = "policy administration", request_body = DraftSource,
    responses((status = 201, body = VersionDetail), (status = 403, body = ErrorBody),
        (status = 409, description = "A policy with this id exists", body = ErrorBody),
        (status = 422, description = "The file does not compile, or is not version 1", body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    who: PolicyStaff,
    ApiJson(body): ApiJson<DraftSource>,
) -> Result<(StatusCode, Json<VersionDetail>), ApiError> {
    if !who.drafts {
        return Err(ApiError::forbidden());
    }
    let policy = check_source(&body.source)?;
    if policy.version != 1 {
        return Err(
            ApiError::invalid_field_because("source", "policy_first_version")
                .worded("policy_admin.err_first_version"),
        );
    }
    let at = now_utc();
    let mut tx = state.db.begin().await?;
    let taken: Option<i64> =
        sqlx::query_scalar("SELECT version FROM policy_versions WHERE policy_id = $1 LIMIT 1")
            .bind(&policy.id)
            .fetch_optional(&mut *tx)
            .await?;
    if taken.is_some() {
        return Err(ApiError::conflict("policy_exists").worded("policy_admin.err_exists"));
    }
    insert_draft(&mut tx, &policy, &body.source, who.staff, &at).await?;
    tx.commit().await?;
    Ok((
        StatusCode::CREATED,
        Json(detail_of(&state, &who, &policy.id, 1).await?),
    ))
}

async fn insert_draft(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    policy: &rules::Policy,
    source: &str,
    staff: i64,
    at: &str,
) -> Result<(), ApiError> {
    sqlx::query(
        "INSERT INTO policy_versions (policy_id, version, status, source, drafted_by, drafted_at, updated_at) \
         VALUES ($1, $2, 'draft', $3, $4, $5, $5)",
    )
    .bind(&policy.id)
    .bind(i64::from(policy.version))
    .bind(source)
    .bind(staff)
    .bind(at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The file of `source` renumbered as `version` (its `version = N` line).
pub fn renumber(source: &str, version: u32) -> Option<String> {
    let mut done = false;
    let lines: Vec<String> = source
        .lines()
        .map(|l| {
            let t = l.trim_start();
            if !done
                && t.starts_with("version")
                && t["version".len()..].trim_start().starts_with('=')
            {
                done = true;
                format!("version = {version}")
            } else {
                l.to_owned()
            }
        })
        .collect();
    done.then(|| lines.join("\n") + if source.ends_with('\n') { "\n" } else { "" })
}

/// A revision: a new draft from the version in force, numbered after the last version.
#[utoipa::path(post, path = "/api/staff/policies/{id}/drafts", tag = "policy administration",
    params(("id" = String, Path)),
    responses((status = 201, body = VersionDetail), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "A draft or a version under review exists already", body = ErrorBody)))]
pub async fn revise(
    State(state): State<AppState>,
    who: PolicyStaff,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<VersionDetail>), ApiError> {
    if !who.drafts {
        return Err(ApiError::forbidden());
    }
    let rows = versions_of(&state, Some(&id)).await?;
    if rows
        .iter()
        .any(|r| matches!(r.status.as_str(), "draft" | "review"))
    {
        return Err(ApiError::conflict("draft_exists").worded("policy_admin.err_draft_exists"));
    }
    let base = in_force(&rows).ok_or_else(ApiError::not_found)?;
    let next = rows.iter().map(|r| r.info.version).max().unwrap_or(0) + 1;
    let source = renumber(&base.source, next)
        .ok_or_else(|| ApiError::internal("a policy file without a version"))?;
    let policy = check_source(&source)?;
    let at = now_utc();
    let mut tx = state.db.begin().await?;
    insert_draft(&mut tx, &policy, &source, who.staff, &at).await?;
    tx.commit().await?;
    Ok((
        StatusCode::CREATED,
        Json(detail_of(&state, &who, &id, next).await?),
    ))
}

/// Saves a draft's file (it must compile, with its own id and version).
#[utoipa::path(put, path = "/api/staff/policies/{id}/versions/{version}", tag = "policy administration",
    params(("id" = String, Path), ("version" = u32, Path)), request_body = DraftSource,
    responses((status = 200, body = VersionDetail), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "Not a draft any more", body = ErrorBody),
        (status = 422, description = "The file does not compile, or names another policy or version", body = ErrorBody)))]
pub async fn save(
    State(state): State<AppState>,
    who: PolicyStaff,
    Path((id, version)): Path<(String, u32)>,
    ApiJson(body): ApiJson<DraftSource>,
) -> Result<Json<VersionDetail>, ApiError> {
    if !who.drafts {
        return Err(ApiError::forbidden());
    }
    let policy = check_source(&body.source)?;
    if policy.id != id || policy.version != version {
        return Err(ApiError::invalid_field_because("source", "policy_renamed")
            .worded("policy_admin.err_renamed")
            .with_arg("id", id.clone())
            .with_arg("version", version.to_string()));
    }
    let changed = sqlx::query(
        "UPDATE policy_versions SET source = $1, updated_at = $2 WHERE policy_id = $3 AND version = $4 AND status = 'draft'",
    )
    .bind(&body.source)
    .bind(now_utc())
    .bind(&id)
    .bind(i64::from(version))
    .execute(&state.db.pool)
    .await?
    .rows_affected();
    if changed == 0 {
        one_version(&state, &id, version).await?;
        return Err(ApiError::conflict("not_a_draft").worded("policy_admin.err_not_a_draft"));
    }
    Ok(Json(detail_of(&state, &who, &id, version).await?))
}

/// Moves a version from one status to another, or says why not (409).
pub(super) async fn step(
    state: &AppState,
    id: &str,
    version: u32,
    from: &str,
    set: &str,
    binds: &[Option<String>],
) -> Result<(), ApiError> {
    let sql = format!(
        "UPDATE policy_versions SET {set} WHERE policy_id = $1 AND version = $2 AND status = '{from}'"
    );
    let mut q = sqlx::query(&sql).bind(id).bind(i64::from(version));
    for b in binds {
        q = q.bind(b.clone());
    }
    if q.execute(&state.db.pool).await?.rows_affected() == 0 {
        one_version(state, id, version).await?;
        return Err(
            ApiError::conflict("policy_stage_changed").worded("policy_admin.err_stage_changed")
        );
    }
    Ok(())
}

/// Submits a draft for approval.
#[utoipa::path(post, path = "/api/staff/policies/{id}/versions/{version}/submit", tag = "policy administration",
    params(("id" = String, Path), ("version" = u32, Path)),
    responses((status = 200, body = VersionDetail), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn submit(
    State(state): State<AppState>,
    who: PolicyStaff,
    Path((id, version)): Path<(String, u32)>,
) -> Result<Json<VersionDetail>, ApiError> {
    if !who.drafts {
        return Err(ApiError::forbidden());
    }
    step(
        &state,
        &id,
        version,
        "draft",
        "status = 'review', submitted_at = $3, returned_reason = NULL",
        &[Some(now_utc())],
    )
    .await?;
    Ok(Json(detail_of(&state, &who, &id, version).await?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renumbering_changes_only_the_version_line() {
        let src = "id = \"a\"\nversion = 1\nname = \"version = 3\"\n";
        assert_eq!(
            renumber(src, 2).unwrap(),
            "id = \"a\"\nversion = 2\nname = \"version = 3\"\n"
        );
        assert_eq!(renumber("id = \"a\"", 2), None);
    }
}

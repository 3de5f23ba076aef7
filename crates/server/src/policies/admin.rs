//! Policy administration: drafting a policy or a revision in the rules language, submitting it,
//! a second person approving it from a date (or returning it with a reason), retiring a policy
//! with a notice. A published version's file never changes; its window is the decision.

use axum::extract::{Path, State};
use axum::Json;
use sqlx::Row;

use api::policy_admin::{
    AdminPolicy, InForce, Retirement, RetirementKind, Stage, VersionDetail, VersionInfo, NOTE_MAX,
};
use api::{Date, ErrorBody};

use crate::accounts::auth::staff_permissions;
use crate::platform::db::today_shanghai;
use crate::platform::error::ApiError;
use crate::platform::i18n::{both, message, Lang};
use crate::policies::library::bi;
use crate::AppState;
/// A staff member who administers policies (drafts) or approves them, or both.
pub struct PolicyStaff {
    pub staff: i64,
    pub drafts: bool,
    pub approves: bool,
}

impl axum::extract::FromRequestParts<AppState> for PolicyStaff {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &AppState,
    ) -> Result<PolicyStaff, ApiError> {
        let (staff, permissions) = staff_permissions(parts, state).await?;
        let who = PolicyStaff {
            staff,
            drafts: permissions.contains(&api::account::Permission::PolicyAdmin),
            approves: permissions.contains(&api::account::Permission::PolicyApprove),
        };
        if who.drafts || who.approves {
            Ok(who)
        } else {
            Err(ApiError::forbidden())
        }
    }
}

const VERSION_COLUMNS: &str = "v.policy_id, v.version, v.status, v.source, v.effective_from, \
    v.effective_until, v.drafted_by, v.drafted_at, v.submitted_at, v.approved_at, \
    v.returned_reason, v.retired_at, v.retirement_kind, v.retirement_notice, \
    d.display_name AS drafter, a.display_name AS approver";

const VERSION_FROM: &str = "FROM policy_versions v LEFT JOIN staff d ON d.id = v.drafted_by \
    LEFT JOIN staff a ON a.id = v.approved_by";

/// A stored version as read.
pub(super) struct Row_ {
    pub(super) info: VersionInfo,
    pub(super) status: String,
    pub(super) source: String,
    pub(super) drafted_by: Option<i64>,
}

fn stage(status: &str, from: Option<Date>, until: Option<Date>, today: Date) -> Stage {
    match status {
        "draft" => Stage::Draft,
        "review" => Stage::Review,
        _ if from.is_some_and(|f| f > today) => Stage::Scheduled,
        _ if until.is_some_and(|u| u < today) => {
            if status == "retired" {
                Stage::Retired
            } else {
                Stage::Ended
            }
        }
        _ => Stage::InForce,
    }
}

pub(super) fn date(text: Option<String>) -> Result<Option<Date>, ApiError> {
    text.map(|t| {
        t.parse::<Date>()
            .map_err(|_| ApiError::internal(format!("a stored date {t:?}")))
    })
    .transpose()
}

fn read_row(r: &sqlx::any::AnyRow, today: Date) -> Result<Row_, ApiError> {
    let source: String = r.try_get("source")?;
    let status: String = r.try_get("status")?;
    let from = date(r.try_get("effective_from")?)?;
    let until = date(r.try_get("effective_until")?)?;
    // The name as the file says (a draft that does not compile is never stored).
    let name = rules::load("", &source, rules::Catalogue::standard())
        .map(|p| bi(&p.name))
        .map_err(ApiError::internal)?;
    let retirement = match (
        r.try_get::<Option<String>, _>("retirement_kind")?,
        until,
        r.try_get::<Option<String>, _>("retirement_notice")?,
    ) {
        (Some(kind), Some(last_day), notice) => Some(Retirement {
            kind: RetirementKind::parse(&kind)
                .ok_or_else(|| ApiError::internal(format!("a retirement of kind {kind:?}")))?,
            last_day,
            notice: notice.unwrap_or_default(),
        }),
        _ => None,
    };
    Ok(Row_ {
        info: VersionInfo {
            policy: r.try_get("policy_id")?,
            version: u32::try_from(r.try_get::<i64, _>("version")?).map_err(ApiError::internal)?,
            name,
            stage: stage(&status, from, until, today),
            effective_from: from,
            effective_until: until,
            drafted_by: r.try_get("drafter")?,
            drafted_at: r.try_get("drafted_at")?,
            submitted_at: r.try_get("submitted_at")?,
            approved_by: r.try_get("approver")?,
            approved_at: r.try_get("approved_at")?,
            returned_reason: r.try_get("returned_reason")?,
            retirement,
        },
        status,
        source,
        drafted_by: r.try_get("drafted_by")?,
    })
}

pub(super) async fn versions_of(state: &AppState, id: Option<&str>) -> Result<Vec<Row_>, ApiError> {
    let today = today_shanghai();
    let sql = format!(
        "SELECT {VERSION_COLUMNS} {VERSION_FROM} {} ORDER BY v.policy_id, v.version DESC",
        if id.is_some() {
            "WHERE v.policy_id = $1"
        } else {
            ""
        }
    );
    let mut q = sqlx::query(&sql);
    if let Some(id) = id {
        q = q.bind(id);
    }
    q.fetch_all(&state.db.pool)
        .await?
        .iter()
        .map(|r| read_row(r, today))
        .collect()
}

pub(super) async fn one_version(
    state: &AppState,
    id: &str,
    version: u32,
) -> Result<Row_, ApiError> {
    let sql = format!(
        "SELECT {VERSION_COLUMNS} {VERSION_FROM} WHERE v.policy_id = $1 AND v.version = $2"
    );
    let row = sqlx::query(&sql)
        .bind(id)
        .bind(i64::from(version))
        .fetch_optional(&state.db.pool)
        .await?
        .ok_or_else(ApiError::not_found)?;
    read_row(&row, today_shanghai())
}

/// Every policy with its versions, newest first; those ending within six months without an
/// evaluation are flagged.
#[utoipa::path(get, path = "/api/staff/policies", tag = "policy administration",
    responses((status = 200, body = Vec<AdminPolicy>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    _who: PolicyStaff,
) -> Result<Json<Vec<AdminPolicy>>, ApiError> {
    let today = today_shanghai();
    let soon = today.add_days(183);
    // Evaluated within the last six months: not flagged.
    let since =
        crate::platform::db::format_utc(crate::platform::db::now() - time::Duration::days(183));
    let evaluated = crate::policies::evaluation::evaluated_since(&state, &since).await?;
    let mut out: Vec<AdminPolicy> = Vec::new();
    for row in versions_of(&state, None).await? {
        let info = row.info;
        match out.last_mut() {
            Some(p) if p.id == info.policy => p.versions.push(info),
            _ => out.push(AdminPolicy {
                id: info.policy.clone(),
                name: info.name.clone(),
                versions: vec![info],
                needs_evaluation: false,
            }),
        }
    }
    for p in &mut out {
        // The version people mean now: its name, and whether it ends soon.
        if let Some(current) = p
            .versions
            .iter()
            .find(|v| matches!(v.stage, Stage::InForce | Stage::Scheduled))
        {
            p.name = current.name.clone();
            p.needs_evaluation = current.effective_until.is_some_and(|u| u <= soon)
                && !evaluated.contains_key(&p.id);
        }
    }
    Ok(Json(out))
}

/// The version people mean now (in force, else scheduled, else the last published).
pub(super) fn in_force(rows: &[Row_]) -> Option<&Row_> {
    let published = |r: &&Row_| matches!(r.status.as_str(), "published" | "retired");
    rows.iter()
        .filter(published)
        .find(|r| r.info.stage == Stage::InForce)
        .or_else(|| {
            rows.iter()
                .filter(published)
                .find(|r| r.info.stage == Stage::Scheduled)
        })
        .or_else(|| rows.iter().find(published))
}

pub(super) async fn detail_of(
    state: &AppState,
    who: &PolicyStaff,
    id: &str,
    version: u32,
) -> Result<VersionDetail, ApiError> {
    let rows = versions_of(state, Some(id)).await?;
    let row = rows
        .iter()
        .find(|r| r.info.version == version)
        .ok_or_else(ApiError::not_found)?;
    let current = in_force(&rows).filter(|r| r.info.version != version);
    let published = matches!(row.status.as_str(), "published");
    Ok(VersionDetail {
        info: row.info.clone(),
        source: row.source.clone(),
        in_force: current.map(|r| InForce {
            version: r.info.version,
            source: r.source.clone(),
        }),
        may_edit: who.drafts && row.status == "draft",
        may_approve: who.approves && row.status == "review" && row.drafted_by != Some(who.staff),
        may_retire: who.approves
            && published
            && matches!(row.info.stage, Stage::InForce | Stage::Scheduled),
    })
}

/// One version in full, with the version in force to compare it with.
#[utoipa::path(get, path = "/api/staff/policies/{id}/versions/{version}", tag = "policy administration",
    params(("id" = String, Path), ("version" = u32, Path)),
    responses((status = 200, body = VersionDetail), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn version(
    State(state): State<AppState>,
    who: PolicyStaff,
    Path((id, version)): Path<(String, u32)>,
) -> Result<Json<VersionDetail>, ApiError> {
    Ok(Json(detail_of(&state, &who, &id, version).await?))
}

/// A reason, notice or findings text: trimmed, required, at most [`NOTE_MAX`] characters.
pub fn note(field: &str, text: &str) -> Result<String, ApiError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(ApiError::invalid_field_because(field, "reason_required"));
    }
    if text.chars().count() > NOTE_MAX {
        return Err(ApiError::invalid_field_because(field, "too_long")
            .with_arg("max", NOTE_MAX.to_string()));
    }
    Ok(text.to_owned())
}

/// Compiles a draft's file, or says where it is wrong: 422 on `source`, with the line and
/// column and the engine's problem worded from the locale files (as the app's editor words it).
pub fn check_source(source: &str) -> Result<rules::Policy, ApiError> {
    rules::load("", source, rules::Catalogue::standard()).map_err(|e| {
        ApiError::invalid_field_because("source", "policy_source")
            .worded("policy_admin.err_source")
            .with_arg("line", e.line.to_string())
            .with_arg("column", e.column.to_string())
            .with_worded_arg("problem", both(|lang| worded(lang, &e.problem)))
    })
}

/// A rules problem in `lang`: `policy_admin.problems.<code>`, with each detail that names a
/// type or a kind of subject worded from `policy_admin.words`.
fn worded(lang: Lang, problem: &rules::Problem) -> String {
    let details =
        problem.worded_details(|w| Some(message(lang, &format!("policy_admin.words.{w}"), &[])));
    message(
        lang,
        &format!("policy_admin.problems.{}", problem.code),
        &details,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stages_follow_status_and_dates() {
        let d = |s: &str| s.parse::<Date>().unwrap();
        let today = d("2026-12-02");
        assert_eq!(stage("draft", None, None, today), Stage::Draft);
        assert_eq!(
            stage("published", Some(d("2027-01-01")), None, today),
            Stage::Scheduled
        );
        assert_eq!(
            stage(
                "published",
                Some(d("2021-01-01")),
                Some(d("2026-12-01")),
                today
            ),
            Stage::Ended
        );
        assert_eq!(
            stage(
                "published",
                Some(d("2021-01-01")),
                Some(d("2026-12-02")),
                today
            ),
            Stage::InForce
        );
        assert_eq!(
            stage(
                "retired",
                Some(d("2021-01-01")),
                Some(d("2026-12-01")),
                today
            ),
            Stage::Retired
        );
        assert_eq!(
            stage(
                "retired",
                Some(d("2021-01-01")),
                Some(d("2026-12-31")),
                today
            ),
            Stage::InForce
        );
    }
}

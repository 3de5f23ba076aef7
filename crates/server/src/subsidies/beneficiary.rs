//! Whose subsidies a request is about: the person, or the enterprise they act for.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use rules::SubjectKind;

use crate::accounts::auth::{may_act, may_act_for_person, Principal, Session};
use crate::data::known;
use crate::platform::error::ApiError;
use crate::AppState;

/// The resident or enterprise a request is about: the person themself, or the enterprise they
/// act for within the subsidies scope (checked in the database on every request). `subject`
/// is `None` when the departments' data does not know them (yet).
#[derive(Clone, Debug)]
pub struct Beneficiary {
    /// The person making the request (for an enterprise or a family member: the one acting).
    pub user: i64,
    pub kind: SubjectKind,
    pub subject: Option<i64>,
}

impl FromRequestParts<AppState> for Beneficiary {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Beneficiary, ApiError> {
        let session = Session::from_request_parts(parts, state).await?;
        let Principal::Person(user) = session.principal else {
            return Err(ApiError::forbidden_because("people_only"));
        };
        let (kind, reference): (SubjectKind, Option<String>) = match session.acting_for {
            Some(enterprise) if session.acting_for_person.is_none() => {
                if !may_act(state, user, enterprise, Some("scope_subsidies")).await? {
                    return Err(ApiError::forbidden_because("scope"));
                }
                let r = sqlx::query_scalar("SELECT enterprise_ref FROM enterprises WHERE id = $1")
                    .bind(enterprise)
                    .fetch_optional(&state.db.pool)
                    .await?
                    .flatten();
                (SubjectKind::Enterprise, r)
            }
            _ => {
                // The person themself, or the family member they act for.
                let whose = match session.acting_for_person {
                    Some(principal) => {
                        if !may_act_for_person(state, user, principal).await? {
                            return Err(ApiError::forbidden_because("scope"));
                        }
                        record_family_act(state, principal, user, parts).await?;
                        principal
                    }
                    None => user,
                };
                let r = sqlx::query_scalar("SELECT resident_ref FROM users WHERE id = $1")
                    .bind(whose)
                    .fetch_optional(&state.db.pool)
                    .await?
                    .flatten();
                (SubjectKind::Resident, r)
            }
        };
        let subject = match reference {
            Some(r) => known::subject_id(&state.db, kind, &r).await?,
            None => None,
        };
        Ok(Beneficiary {
            user,
            kind,
            subject,
        })
    }
}

/// What a family agent's request does, in the words of the person's access log: a key of the
/// locale files' `account.family_act_*`.
pub fn family_act(method: &axum::http::Method, path: &str) -> &'static str {
    let post = method == axum::http::Method::POST;
    if post && path.ends_with("/consent") {
        "consent"
    } else if post && path.ends_with("/decline") {
        "decline"
    } else if post && path.ends_with("/apply") {
        "apply"
    } else if post && path.ends_with("/objections") {
        "object"
    } else if (post || method == axum::http::Method::PUT)
        && (path.starts_with("/api/claims") || path.ends_with("/claims"))
    {
        "claim"
    } else {
        "view"
    }
}

/// Writes a family agent's act in the person's access log. Looking is written once an hour
/// (a page loads several things at once); every decision is written.
async fn record_family_act(
    state: &AppState,
    principal: i64,
    agent: i64,
    parts: &Parts,
) -> Result<(), ApiError> {
    let what = family_act(&parts.method, parts.uri.path());
    let now = crate::platform::db::now();
    if what == "view" {
        let since = crate::platform::db::format_utc(now - std::time::Duration::from_secs(3600));
        let recent: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM family_acts WHERE principal_user_id = $1 AND agent_user_id = $2 \
             AND what = 'view' AND at > $3 LIMIT 1",
        )
        .bind(principal)
        .bind(agent)
        .bind(&since)
        .fetch_optional(&state.db.pool)
        .await?;
        if recent.is_some() {
            return Ok(());
        }
    }
    sqlx::query(
        "INSERT INTO family_acts (principal_user_id, agent_user_id, what, at) VALUES ($1, $2, $3, $4)",
    )
    .bind(principal)
    .bind(agent)
    .bind(what)
    .bind(crate::platform::db::format_utc(now))
    .execute(&state.db.pool)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use axum::http::Method;

    use super::family_act;

    #[test]
    fn a_family_agent_s_requests_are_named_by_what_they_do() {
        assert_eq!(
            family_act(&Method::POST, "/api/grants/7/consent"),
            "consent"
        );
        assert_eq!(
            family_act(&Method::POST, "/api/grants/7/decline"),
            "decline"
        );
        assert_eq!(family_act(&Method::POST, "/api/policies/x/apply"), "apply");
        assert_eq!(
            family_act(&Method::POST, "/api/policies/x/objections"),
            "object"
        );
        assert_eq!(family_act(&Method::POST, "/api/claims/3/steps"), "claim");
        assert_eq!(family_act(&Method::POST, "/api/policies/x/claims"), "claim");
        assert_eq!(
            family_act(&Method::PUT, "/api/claims/3/materials/invoice"),
            "claim"
        );
        assert_eq!(family_act(&Method::GET, "/api/claims/3"), "view");
        assert_eq!(family_act(&Method::GET, "/api/home"), "view");
        assert_eq!(family_act(&Method::GET, "/api/grants/7"), "view");
    }
}

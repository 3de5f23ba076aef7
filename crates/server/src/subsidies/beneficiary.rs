//! Whose subsidies a request is about: the person, or the enterprise they act for.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use rules::SubjectKind;

use crate::accounts::auth::{may_act, Principal, Session};
use crate::data::known;
use crate::platform::error::ApiError;
use crate::AppState;

/// The resident or enterprise a request is about: the person themself, or the enterprise they
/// act for within the subsidies scope (checked in the database on every request). `subject`
/// is `None` when the departments' data does not know them (yet).
#[derive(Clone, Debug)]
pub struct Beneficiary {
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
            Some(enterprise) => {
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
            None => {
                let r = sqlx::query_scalar("SELECT resident_ref FROM users WHERE id = $1")
                    .bind(user)
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
        Ok(Beneficiary { kind, subject })
    }
}

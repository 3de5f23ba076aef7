//! Sessions and who may do what.
//!
//! A session is a row in the database, found by the SHA-256 of a random token that only the
//! browser holds, in an HttpOnly, SameSite=Lax cookie. Handlers state who may call them by the
//! extractor they take: [`Person`] (a resident or enterprise user), [`ActingFor`] (a person
//! acting for an enterprise within a scope, checked in the database on every request), or
//! [`StaffWith`] (staff holding a permission). Nothing about identity is taken from the client.

use std::marker::PhantomData;
use std::time::Duration;

use axum::extract::{FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderValue, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sqlx::Row;

use api::account::Permission;

use crate::platform::crypto::{random_token, secret_hash};
use crate::platform::db::{format_utc, now};
use crate::platform::error::ApiError;
use crate::AppState;

pub use crate::platform::request::{read_cookie, SESSION_COOKIE as COOKIE};
/// The header the app sends on every state-changing request; a cross-site form cannot.
pub const CSRF_HEADER: &str = "x-requested-with";
pub const CSRF_VALUE: &str = "zhida";

/// How long sessions last. People: 30 minutes idle, 24 hours at most (a WeChat web-view logs
/// back in silently with a ticket). Staff: 15 minutes idle, 10 hours at most (a working day).
pub struct Lifetimes {
    pub idle: Duration,
    pub absolute: Duration,
}

pub const PERSON_SESSION: Lifetimes = Lifetimes {
    idle: Duration::from_secs(30 * 60),
    absolute: Duration::from_secs(24 * 3600),
};
pub const STAFF_SESSION: Lifetimes = Lifetimes {
    idle: Duration::from_secs(15 * 60),
    absolute: Duration::from_secs(10 * 3600),
};

/// Who a session belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Principal {
    Person(i64),
    Staff(i64),
}

/// The caller's live session.
#[derive(Clone, Debug)]
pub struct Session {
    pub id: i64,
    pub principal: Principal,
    /// The enterprise the person acts for.
    pub acting_for: Option<i64>,
    /// The family member the person acts for (家人代办); never with `acting_for`.
    pub acting_for_person: Option<i64>,
}

fn later(d: Duration) -> String {
    format_utc(now() + d)
}

/// Starts a session and returns the `Set-Cookie` value for it.
pub async fn start(
    state: &AppState,
    principal: Principal,
    user_agent: Option<&str>,
) -> Result<HeaderValue, ApiError> {
    let token = random_token();
    let lifetimes = match principal {
        Principal::Person(_) => PERSON_SESSION,
        Principal::Staff(_) => STAFF_SESSION,
    };
    let (user, staff) = match principal {
        Principal::Person(id) => (Some(id), None),
        Principal::Staff(id) => (None, Some(id)),
    };
    let stamp = format_utc(now());
    sqlx::query(
        "INSERT INTO sessions (token_hash, user_id, staff_id, created_at, last_seen_at, idle_expires_at, absolute_expires_at, user_agent) \
         VALUES ($1, $2, $3, $4, $4, $5, $6, $7)",
    )
    .bind(secret_hash(&token))
    .bind(user)
    .bind(staff)
    .bind(&stamp)
    .bind(later(lifetimes.idle))
    .bind(later(lifetimes.absolute))
    .bind(user_agent.map(|ua| ua.chars().take(300).collect::<String>()))
    .execute(&state.db.pool)
    .await?;
    Ok(cookie(state, &token, lifetimes.absolute.as_secs()))
}

/// The `Set-Cookie` value for a session token (or, with max-age 0, one that clears it).
fn cookie(state: &AppState, token: &str, max_age: u64) -> HeaderValue {
    set_cookie(state, COOKIE, token, "/", "Lax", max_age)
}

/// A `Set-Cookie` for every cookie the server sets: HttpOnly always, `Secure` when the public
/// address is HTTPS. `value` must be cookie-safe ASCII (tokens, percent-encoded text).
pub fn set_cookie(
    state: &AppState,
    name: &str,
    value: &str,
    path: &str,
    same_site: &str,
    max_age: u64,
) -> HeaderValue {
    let secure = if state.settings.secure_cookies {
        "; Secure"
    } else {
        ""
    };
    HeaderValue::from_str(&format!(
        "{name}={value}; Path={path}; HttpOnly; SameSite={same_site}; Max-Age={max_age}{secure}"
    ))
    .expect("cookie values are ASCII")
}

/// A `Set-Cookie` that removes the session cookie.
pub fn clear_cookie(state: &AppState) -> HeaderValue {
    cookie(state, "", 0)
}

fn token_from(parts: &Parts) -> Option<String> {
    read_cookie(&parts.headers, COOKIE)
}

impl FromRequestParts<AppState> for Session {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Session, ApiError> {
        if let Some(session) = parts.extensions.get::<Session>() {
            return Ok(session.clone());
        }
        let token = token_from(parts).ok_or_else(ApiError::unauthenticated)?;
        let stamp = format_utc(now());
        let row = sqlx::query(
            "SELECT id, user_id, staff_id, acting_for, acting_for_person, last_seen_at FROM sessions \
             WHERE token_hash = $1 AND revoked_at IS NULL AND idle_expires_at > $2 AND absolute_expires_at > $2",
        )
        .bind(secret_hash(&token))
        .bind(&stamp)
        .fetch_optional(&state.db.pool)
        .await?
        .ok_or_else(ApiError::unauthenticated)?;
        let id: i64 = row.try_get("id").map_err(ApiError::from)?;
        let user: Option<i64> = row.try_get("user_id").map_err(ApiError::from)?;
        let staff: Option<i64> = row.try_get("staff_id").map_err(ApiError::from)?;
        let principal = match (user, staff) {
            (Some(u), None) => Principal::Person(u),
            (None, Some(s)) => Principal::Staff(s),
            _ => {
                return Err(ApiError::internal(
                    "a session with neither or both of a user and a staff member",
                ))
            }
        };
        // Activity extends the idle expiry; writing at most once a minute keeps reads cheap.
        let last_seen: String = row.try_get("last_seen_at").map_err(ApiError::from)?;
        if last_seen < format_utc(now() - Duration::from_secs(60)) {
            let idle = match principal {
                Principal::Person(_) => PERSON_SESSION.idle,
                Principal::Staff(_) => STAFF_SESSION.idle,
            };
            sqlx::query(
                "UPDATE sessions SET last_seen_at = $1, idle_expires_at = $2 WHERE id = $3",
            )
            .bind(&stamp)
            .bind(later(idle))
            .bind(id)
            .execute(&state.db.pool)
            .await?;
        }
        let session = Session {
            id,
            principal,
            acting_for: row.try_get("acting_for").map_err(ApiError::from)?,
            acting_for_person: row.try_get("acting_for_person").map_err(ApiError::from)?,
        };
        parts.extensions.insert(session.clone());
        Ok(session)
    }
}

/// The client's address as the socket saw it, for rate limits. Behind a reverse proxy every
/// client shares the proxy's address, which errs on the safe side; "local" when unknown
/// (in-process tests).
#[derive(Clone, Debug)]
pub struct ClientAddr(pub String);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        _: &S,
    ) -> Result<ClientAddr, std::convert::Infallible> {
        let addr = parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|c| c.0.ip().to_string());
        Ok(ClientAddr(addr.unwrap_or_else(|| "local".to_owned())))
    }
}

/// A resident or enterprise user (logged in by phone): `.0` is their user id.
#[derive(Clone, Copy, Debug)]
pub struct Person(pub i64);

impl FromRequestParts<AppState> for Person {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Person, ApiError> {
        match Session::from_request_parts(parts, state).await?.principal {
            Principal::Person(id) => Ok(Person(id)),
            Principal::Staff(_) => Err(ApiError::forbidden_because("people_only")),
        }
    }
}

/// A kind of business an agent may be authorised for.
pub trait Scope: Send + Sync + 'static {
    const COLUMN: &'static str;
}

/// Subsidies: consent, apply, object.
pub struct Subsidies;
impl Scope for Subsidies {
    const COLUMN: &'static str = "scope_subsidies";
}

/// Licence applications.
pub struct Licences;
impl Scope for Licences {
    const COLUMN: &'static str = "scope_licences";
}

/// A person acting for an enterprise, as its legal representative or as an agent whose
/// authorisation covers `S`, is in force and is not revoked: checked in the database.
#[derive(Debug)]
pub struct ActingFor<S: Scope> {
    pub user: i64,
    pub enterprise: i64,
    scope: PhantomData<S>,
}

impl<S: Scope> FromRequestParts<AppState> for ActingFor<S> {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<ActingFor<S>, ApiError> {
        let session = Session::from_request_parts(parts, state).await?;
        let Principal::Person(user) = session.principal else {
            return Err(ApiError::forbidden_because("people_only"));
        };
        let enterprise = session
            .acting_for
            .ok_or_else(|| ApiError::forbidden_because("not_acting"))?;
        if may_act(state, user, enterprise, Some(S::COLUMN)).await? {
            Ok(ActingFor {
                user,
                enterprise,
                scope: PhantomData,
            })
        } else {
            Err(ApiError::forbidden_because("scope"))
        }
    }
}

/// Whether `user` may act for `enterprise` (within the scope column, if given) today.
pub async fn may_act(
    state: &AppState,
    user: i64,
    enterprise: i64,
    scope_column: Option<&str>,
) -> Result<bool, ApiError> {
    let representative: Option<i64> =
        sqlx::query_scalar("SELECT id FROM enterprises WHERE id = $1 AND legal_rep_user_id = $2")
            .bind(enterprise)
            .bind(user)
            .fetch_optional(&state.db.pool)
            .await?;
    if representative.is_some() {
        return Ok(true);
    }
    let scope = scope_column
        .map(|c| format!(" AND {c} = 1"))
        .unwrap_or_default();
    let today = crate::platform::db::today_shanghai().to_string();
    let agent: Option<i64> = sqlx::query_scalar(&format!(
        "SELECT id FROM enterprise_agents WHERE enterprise_id = $1 AND user_id = $2 AND revoked_at IS NULL AND expires_at >= $3{scope}"
    ))
    .bind(enterprise)
    .bind(user)
    .bind(today)
    .fetch_optional(&state.db.pool)
    .await?;
    Ok(agent.is_some())
}

/// Whether `user` may act for the family member `principal` today: an authorisation of theirs
/// that covers subsidies, in force and not revoked.
pub async fn may_act_for_person(
    state: &AppState,
    user: i64,
    principal: i64,
) -> Result<bool, ApiError> {
    let today = crate::platform::db::today_shanghai().to_string();
    let agent: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM family_agents WHERE principal_user_id = $1 AND user_id = $2 \
         AND revoked_at IS NULL AND expires_at >= $3 AND scope_subsidies = 1",
    )
    .bind(principal)
    .bind(user)
    .bind(today)
    .fetch_optional(&state.db.pool)
    .await?;
    Ok(agent.is_some())
}

/// A permission a staff member may hold.
pub trait Perm: Send + Sync + 'static {
    const PERMISSION: Permission;
}

pub struct LicenceReview;
impl Perm for LicenceReview {
    const PERMISSION: Permission = Permission::LicenceReview;
}

pub struct SubsidyReview;
impl Perm for SubsidyReview {
    const PERMISSION: Permission = Permission::SubsidyReview;
}

pub struct PolicyAdmin;
impl Perm for PolicyAdmin {
    const PERMISSION: Permission = Permission::PolicyAdmin;
}

pub struct Admin;
impl Perm for Admin {
    const PERMISSION: Permission = Permission::Admin;
}

/// A staff member holding permission `P` (read from the database on every request).
#[derive(Debug)]
pub struct StaffWith<P: Perm> {
    pub staff: i64,
    perm: PhantomData<P>,
}

impl<P: Perm> FromRequestParts<AppState> for StaffWith<P> {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<StaffWith<P>, ApiError> {
        let (staff, permissions) = staff_permissions(parts, state).await?;
        if permissions.contains(&P::PERMISSION) {
            Ok(StaffWith {
                staff,
                perm: PhantomData,
            })
        } else {
            Err(ApiError::forbidden())
        }
    }
}

/// The signed-in staff member and the permissions they hold (read from the database on every
/// request); 403 for anyone else.
pub async fn staff_permissions(
    parts: &mut Parts,
    state: &AppState,
) -> Result<(i64, Vec<Permission>), ApiError> {
    let session = Session::from_request_parts(parts, state).await?;
    let Principal::Staff(staff) = session.principal else {
        return Err(ApiError::forbidden_because("staff_only"));
    };
    let permissions: String = sqlx::query_scalar("SELECT permissions FROM staff WHERE id = $1")
        .bind(staff)
        .fetch_optional(&state.db.pool)
        .await?
        .ok_or_else(ApiError::unauthenticated)?;
    Ok((
        staff,
        permissions
            .split(',')
            .filter_map(|p| Permission::parse(p.trim()))
            .collect(),
    ))
}

/// Refuses state-changing API requests that lack the app's header: a page on another site can
/// make a browser send a form or a simple request with our cookie, but not with this header.
/// This is on top of the SameSite=Lax cookie.
pub async fn require_csrf_header(request: Request, next: Next) -> Response {
    let changes_state = !matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    if changes_state && crate::platform::request::is_api_path(request.uri().path()) {
        let ok = request
            .headers()
            .get(CSRF_HEADER)
            .and_then(|v| v.to_str().ok())
            == Some(CSRF_VALUE);
        if !ok {
            return ApiError::csrf_required().into_response();
        }
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_session_cookie_among_others() {
        let (mut parts, _) = axum::http::Request::builder()
            .header(
                axum::http::header::COOKIE,
                "a=1; zhida_session=tok-en_1; b=2",
            )
            .body(())
            .unwrap()
            .into_parts();
        assert_eq!(token_from(&parts).as_deref(), Some("tok-en_1"));
        parts.headers.insert(
            axum::http::header::COOKIE,
            HeaderValue::from_static("zhida_session="),
        );
        assert_eq!(token_from(&parts), None);
    }
}

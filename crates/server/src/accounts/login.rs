//! Logging in and out: residents and enterprise users by phone and SMS code, staff by
//! password and authenticator code.

use std::time::Duration;

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use sqlx::Row;

use api::account::{CodeSent, SendCode, StaffLogin, VerifyCode};
use api::ErrorBody;

use crate::accounts::account::me_for;
use crate::accounts::auth::{self, ClientAddr, Principal, Session};
use crate::platform::crypto::{random_bytes, same, secret_hash};
use crate::platform::db::{format_utc, now};
use crate::platform::error::ApiError;
use crate::platform::json::ApiJson;
use crate::platform::ratelimit::{self, Limit};
use crate::AppState;

const CODE_LIFETIME: Duration = Duration::from_secs(5 * 60);
const CODE_TRIES: i64 = 5;
const RESEND_AFTER: u32 = 60;

/// At most one code a minute and ten a day per phone; thirty an hour per client address.
const SEND_PER_PHONE_MINUTE: Limit = Limit {
    max: 1,
    window_secs: 60,
};
const SEND_PER_PHONE_DAY: Limit = Limit {
    max: 10,
    window_secs: 86_400,
};
const SEND_PER_CLIENT_HOUR: Limit = Limit {
    max: 30,
    window_secs: 3600,
};
/// Ten verification attempts an hour per phone and client, whatever the codes.
const VERIFY_PER_PHONE_HOUR: Limit = Limit {
    max: 10,
    window_secs: 3600,
};
/// Thirty staff login attempts per 15 minutes per client address.
const STAFF_PER_CLIENT: Limit = Limit {
    max: 30,
    window_secs: 900,
};

/// Consecutive staff failures before a lockout, and its first length (doubling after).
const LOCK_AFTER: i64 = 5;
const FIRST_LOCK_SECS: i64 = 60;
const LONGEST_LOCK_SECS: i64 = 3600;

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Sends a login code by SMS.
#[utoipa::path(post, path = "/api/auth/sms/send", tag = "auth", request_body = SendCode,
    responses(
        (status = 200, body = CodeSent),
        (status = 422, description = "Not a mainland mobile number", body = ErrorBody),
        (status = 429, description = "Too many codes asked for; see Retry-After", body = ErrorBody),
    ))]
pub async fn send_code(
    State(state): State<AppState>,
    client: ClientAddr,
    ApiJson(body): ApiJson<SendCode>,
) -> Result<Json<CodeSent>, ApiError> {
    let phone_hash = state.vault.lookup_hash("phone", body.phone.expose());
    let key = hex(&phone_hash[..12]);
    ratelimit::hit(
        &state.db,
        &format!("sms:ip:{}", client.0),
        SEND_PER_CLIENT_HOUR,
    )
    .await?;
    ratelimit::hit(&state.db, &format!("sms:min:{key}"), SEND_PER_PHONE_MINUTE).await?;
    ratelimit::hit(&state.db, &format!("sms:day:{key}"), SEND_PER_PHONE_DAY).await?;
    let n = u32::from_be_bytes(random_bytes::<4>()) % 1_000_000;
    let code = format!("{n:06}");
    sqlx::query("INSERT INTO sms_codes (phone_hash, code_hash, expires_at, created_at) VALUES ($1, $2, $3, $4)")
        .bind(&phone_hash)
        .bind(secret_hash(&format!("{key}:{code}")))
        .bind(format_utc(now() + CODE_LIFETIME))
        .bind(format_utc(now()))
        .execute(&state.db.pool)
        .await?;
    if let Err(e) = state.sms.send_code(&body.phone, &code).await {
        tracing::error!(error = %format!("{e:#}"), "sending an SMS code failed");
        return Err(ApiError::unavailable());
    }
    Ok(Json(CodeSent {
        phone: body.phone.masked(),
        resend_after_seconds: RESEND_AFTER,
        demo_code: state.settings.demo.then_some(code),
    }))
}

/// Logs in with the SMS code; a phone seen for the first time becomes an account.
#[utoipa::path(post, path = "/api/auth/sms/verify", tag = "auth", request_body = VerifyCode,
    responses(
        (status = 200, description = "Logged in; the session cookie is set", body = api::account::Me),
        (status = 400, description = "The code is wrong, expired or used", body = ErrorBody),
        (status = 429, description = "Too many attempts; see Retry-After", body = ErrorBody),
    ))]
pub async fn verify_code(
    State(state): State<AppState>,
    headers: HeaderMap,
    client: ClientAddr,
    ApiJson(body): ApiJson<VerifyCode>,
) -> Result<Response, ApiError> {
    let phone_hash = state.vault.lookup_hash("phone", body.phone.expose());
    let key = hex(&phone_hash[..12]);
    // Keyed by phone and client together: a stranger's wrong guesses cannot lock the owner out
    // (each code allows only five tries, which bounds guessing whatever the client).
    ratelimit::hit(
        &state.db,
        &format!("verify:{key}:{}", client.0),
        VERIFY_PER_PHONE_HOUR,
    )
    .await?;
    // A first WeChat login of this browser waits in a cookie to be bound to this phone's account.
    let binding = match crate::accounts::wechat::binding_from(&headers) {
        Some(b)
            if crate::accounts::wechat::check_binding(&state, &b)
                .await
                .is_ok() =>
        {
            Some(b)
        }
        _ => None,
    };
    let code = body.code.trim();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ApiError::invalid_code("code", "wrong"));
    }
    let row = sqlx::query("SELECT id, code_hash, attempts, expires_at, used_at FROM sms_codes WHERE phone_hash = $1 ORDER BY id DESC LIMIT 1")
        .bind(&phone_hash)
        .fetch_optional(&state.db.pool)
        .await?
        .ok_or_else(|| ApiError::invalid_code("code", "wrong"))?;
    let id: i64 = row.try_get("id")?;
    let used: Option<String> = row.try_get("used_at")?;
    if used.is_some() {
        return Err(ApiError::invalid_code("code", "used"));
    }
    let expires: String = row.try_get("expires_at")?;
    let attempts: i64 = row.try_get("attempts")?;
    if expires <= format_utc(now()) || attempts >= CODE_TRIES {
        return Err(ApiError::invalid_code("code", "expired"));
    }
    // Count the try before comparing, atomically: parallel guesses cannot exceed the tries.
    let counted =
        sqlx::query("UPDATE sms_codes SET attempts = attempts + 1 WHERE id = $1 AND attempts < $2")
            .bind(id)
            .bind(CODE_TRIES)
            .execute(&state.db.pool)
            .await?
            .rows_affected();
    if counted != 1 {
        return Err(ApiError::invalid_code("code", "expired"));
    }
    let stored: Vec<u8> = row.try_get("code_hash")?;
    if !same(&stored, &secret_hash(&format!("{key}:{code}"))) {
        return Err(ApiError::invalid_code("code", "wrong"));
    }
    // Only one request can use a code, however many arrive at once.
    let claimed =
        sqlx::query("UPDATE sms_codes SET used_at = $1 WHERE id = $2 AND used_at IS NULL")
            .bind(format_utc(now()))
            .bind(id)
            .execute(&state.db.pool)
            .await?
            .rows_affected();
    if claimed != 1 {
        return Err(ApiError::invalid_code("code", "used"));
    }
    let user = find_or_create_user(&state, &body.phone).await?;
    if let Some(b) = &binding {
        crate::accounts::wechat::bind(&state, b, user).await?;
    }
    let mut response = signed_in(&state, Principal::Person(user), &headers).await?;
    if crate::accounts::wechat::binding_from(&headers).is_some() {
        response.headers_mut().append(
            header::SET_COOKIE,
            crate::accounts::wechat::clear_binding_cookie(&state),
        );
    }
    Ok(response)
}

fn user_agent(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
}

/// The account of a phone number, created on first use.
pub async fn find_or_create_user(state: &AppState, phone: &api::Mobile) -> Result<i64, ApiError> {
    let hash = state.vault.lookup_hash("phone", phone.expose());
    if let Some(id) = sqlx::query_scalar::<_, i64>("SELECT id FROM users WHERE phone_hash = $1")
        .bind(&hash)
        .fetch_optional(&state.db.pool)
        .await?
    {
        return Ok(id);
    }
    let inserted: Option<i64> = sqlx::query_scalar(
        "INSERT INTO users (phone_enc, phone_hash, created_at) VALUES ($1, $2, $3) ON CONFLICT (phone_hash) DO NOTHING RETURNING id",
    )
    .bind(state.vault.encrypt(phone.expose()))
    .bind(&hash)
    .bind(format_utc(now()))
    .fetch_optional(&state.db.pool)
    .await?;
    match inserted {
        Some(id) => Ok(id),
        // Another request created it meanwhile.
        None => Ok(
            sqlx::query_scalar("SELECT id FROM users WHERE phone_hash = $1")
                .bind(&hash)
                .fetch_one(&state.db.pool)
                .await?,
        ),
    }
}

/// Logs a staff member in with username, password and authenticator code.
#[utoipa::path(post, path = "/api/auth/staff/login", tag = "auth", request_body = StaffLogin,
    responses(
        (status = 200, description = "Logged in; the session cookie is set", body = api::account::Me),
        (status = 401, description = "Wrong username, password or code", body = ErrorBody),
        (status = 429, description = "Locked after repeated failures; see Retry-After", body = ErrorBody),
    ))]
pub async fn staff_login(
    State(state): State<AppState>,
    headers: HeaderMap,
    client: ClientAddr,
    ApiJson(body): ApiJson<StaffLogin>,
) -> Result<Response, ApiError> {
    ratelimit::hit(
        &state.db,
        &format!("staff:ip:{}", client.0),
        STAFF_PER_CLIENT,
    )
    .await?;
    // An account waiting for enrolment, or disabled, answers as an unknown one.
    let row = sqlx::query("SELECT id, password_hash, totp_secret_enc, last_totp_step, failed_attempts, locked_until FROM staff \
         WHERE username = $1 AND enrolled_at IS NOT NULL AND disabled_at IS NULL")
        .bind(body.username.trim().to_lowercase())
        .fetch_optional(&state.db.pool)
        .await?;
    let Some(row) = row else {
        // An unknown username answers as a real one would: as long a check, and the same
        // lockout after repeated failures, so that neither tells which usernames exist.
        let _ = verify_password(DUMMY_HASH, &body.password);
        let key = format!("staff:unknown:{}", body.username.trim().to_lowercase());
        let (failed, _) = ratelimit::count(&state.db, &key, LONGEST_LOCK_SECS).await?;
        return Err(match lock_secs(failed) {
            Some(secs) => ApiError::login_locked(secs as u64),
            None => ApiError::invalid_credentials(),
        });
    };
    let id: i64 = row.try_get("id")?;
    let stamp = format_utc(now());
    let locked: Option<String> = row.try_get("locked_until")?;
    if let Some(until) = locked.filter(|u| *u > stamp) {
        let _ = verify_password(DUMMY_HASH, &body.password);
        return Err(ApiError::login_locked(seconds_until(&until)));
    }
    let password_hash: String = row.try_get("password_hash")?;
    let secret = state
        .vault
        .decrypt(&row.try_get::<Vec<u8>, _>("totp_secret_enc")?)?;
    let last_step: Option<i64> = row.try_get("last_totp_step")?;
    let password_ok = verify_password(&password_hash, &body.password);
    let step = crate::accounts::totp::verify(secret.as_bytes(), &body.totp, now().unix_timestamp())
        .filter(|s| last_step.is_none_or(|l| *s > l));
    // A recovery code stands in for the authenticator's code once (a lost phone).
    let recovered = password_ok
        && step.is_none()
        && crate::accounts::enrolment::use_recovery_code(&state.db, id, &body.totp).await?;
    if recovered {
        tracing::warn!(staff = id, "staff login with a recovery code");
        sqlx::query("UPDATE staff SET failed_attempts = 0, locked_until = NULL WHERE id = $1")
            .bind(id)
            .execute(&state.db.pool)
            .await?;
        return signed_in(&state, Principal::Staff(id), &headers).await;
    }
    // Claims the code's time step atomically: two logins with one code cannot both succeed.
    let claimed =
        match step.filter(|_| password_ok) {
            Some(step) => sqlx::query(
                "UPDATE staff SET failed_attempts = 0, locked_until = NULL, last_totp_step = $1 \
                 WHERE id = $2 AND (last_totp_step IS NULL OR last_totp_step < $1)",
            )
            .bind(step)
            .bind(id)
            .execute(&state.db.pool)
            .await?
            .rows_affected()
                == 1,
            None => false,
        };
    if !claimed {
        // Counted atomically, so parallel failures all count.
        let failed: i64 = sqlx::query_scalar("UPDATE staff SET failed_attempts = failed_attempts + 1 WHERE id = $1 RETURNING failed_attempts")
            .bind(id)
            .fetch_one(&state.db.pool)
            .await?;
        let lock = lock_secs(failed)
            .map(|secs| (secs, format_utc(now() + Duration::from_secs(secs as u64))));
        if let Some((_, until)) = &lock {
            sqlx::query("UPDATE staff SET locked_until = $1 WHERE id = $2")
                .bind(until)
                .bind(id)
                .execute(&state.db.pool)
                .await?;
        }
        tracing::warn!(staff = id, failed, "staff login failed");
        return Err(match lock {
            Some((secs, _)) => ApiError::login_locked(secs as u64),
            None => ApiError::invalid_credentials(),
        });
    }
    signed_in(&state, Principal::Staff(id), &headers).await
}

/// How long a staff login stays locked after `failed` failures in a row: none below
/// `LOCK_AFTER`, then doubling from `FIRST_LOCK_SECS` up to `LONGEST_LOCK_SECS`.
fn lock_secs(failed: i64) -> Option<i64> {
    (failed >= LOCK_AFTER)
        .then(|| (FIRST_LOCK_SECS << (failed - LOCK_AFTER).min(10)).min(LONGEST_LOCK_SECS))
}

/// A new session for whoever just proved who they are: the session cookie and what the app
/// shows of them.
async fn signed_in(
    state: &AppState,
    who: Principal,
    headers: &HeaderMap,
) -> Result<Response, ApiError> {
    let (cookie, me) = signed_in_cookie(state, who, headers).await?;
    Ok(([(header::SET_COOKIE, cookie)], Json(me)).into_response())
}

/// A new session's cookie, and what the app shows of its owner.
pub async fn signed_in_cookie(
    state: &AppState,
    who: Principal,
    headers: &HeaderMap,
) -> Result<(axum::http::HeaderValue, api::account::Me), ApiError> {
    let cookie = auth::start(state, who, user_agent(headers)).await?;
    let me = me_for(state, who, (None, None), false).await?;
    Ok((cookie, me))
}

fn seconds_until(stamp: &str) -> u64 {
    crate::platform::db::parse_utc(stamp).map_or(60, |t| (t - now()).whole_seconds().max(1) as u64)
}

/// An argon2id hash of a password nobody has, for timing-equal refusals.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$0JZV4Ev5PrqAF6Qe6K6y0dVUeQ2j5N2wQ3p3uMSXl1o";

pub fn hash_password(password: &str) -> String {
    use argon2::password_hash::{PasswordHasher, SaltString};
    let salt = SaltString::encode_b64(&random_bytes::<16>()).expect("16 bytes make a salt");
    argon2::Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .expect("hashing a password")
        .to_string()
}

fn verify_password(hash: &str, password: &str) -> bool {
    use argon2::password_hash::{PasswordHash, PasswordVerifier};
    PasswordHash::new(hash).is_ok_and(|h| {
        argon2::Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
pub struct DemoTotpQuery {
    username: String,
}

/// The ways to log in that this server can perform now: the app offers only these.
#[utoipa::path(get, path = "/api/auth/methods", tag = "auth",
    responses((status = 200, body = api::account::LoginMethods)))]
pub async fn methods(State(state): State<AppState>) -> Json<api::account::LoginMethods> {
    Json(api::account::LoginMethods {
        sms: state.sms.available(),
        wechat_browser: crate::accounts::wechat::offers_browser_login(&state),
        wechat_mini: state.wechat.configured().0,
    })
}

/// Demo mode only: the current authenticator code of a demo staff account, shown as a hint on
/// the staff login form. Outside demo mode this endpoint does not exist (404).
#[utoipa::path(get, path = "/api/auth/staff/demo-totp", tag = "auth", params(DemoTotpQuery),
    responses((status = 200, body = String), (status = 404, description = "Not in demo mode, or no such staff member", body = ErrorBody)))]
pub async fn demo_totp(
    State(state): State<AppState>,
    axum::extract::Query(q): axum::extract::Query<DemoTotpQuery>,
) -> Result<Json<String>, ApiError> {
    if !state.settings.demo {
        return Err(ApiError::not_found());
    }
    let sealed: Vec<u8> =
        sqlx::query_scalar("SELECT totp_secret_enc FROM staff WHERE username = $1")
            .bind(q.username.trim())
            .fetch_optional(&state.db.pool)
            .await?
            .ok_or_else(ApiError::not_found)?;
    let secret = state.vault.decrypt(&sealed)?;
    Ok(Json(crate::accounts::totp::code_at(
        secret.as_bytes(),
        now()
            .unix_timestamp()
            .div_euclid(crate::accounts::totp::STEP_SECS),
    )))
}

/// Ends this session on the server and clears the cookie.
#[utoipa::path(post, path = "/api/auth/logout", tag = "auth", responses((status = 204), (status = 401, body = ErrorBody)))]
pub async fn logout(State(state): State<AppState>, session: Session) -> Result<Response, ApiError> {
    sqlx::query("UPDATE sessions SET revoked_at = $1 WHERE id = $2")
        .bind(format_utc(now()))
        .bind(session.id)
        .execute(&state.db.pool)
        .await?;
    Ok((
        StatusCode::NO_CONTENT,
        [(header::SET_COOKIE, auth::clear_cookie(&state))],
    )
        .into_response())
}

/// Ends every session of this account, on every device.
#[utoipa::path(post, path = "/api/auth/logout-all", tag = "auth", responses((status = 204), (status = 401, body = ErrorBody)))]
pub async fn logout_all(
    State(state): State<AppState>,
    session: Session,
) -> Result<Response, ApiError> {
    let (column, id) = match session.principal {
        Principal::Person(id) => ("user_id", id),
        Principal::Staff(id) => ("staff_id", id),
    };
    sqlx::query(&format!(
        "UPDATE sessions SET revoked_at = $1 WHERE {column} = $2 AND revoked_at IS NULL"
    ))
    .bind(format_utc(now()))
    .bind(id)
    .execute(&state.db.pool)
    .await?;
    Ok((
        StatusCode::NO_CONTENT,
        [(header::SET_COOKIE, auth::clear_cookie(&state))],
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_and_verify() {
        let h = hash_password("correct horse");
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password(&h, "correct horse"));
        assert!(!verify_password(&h, "wrong horse"));
        assert!(!verify_password(DUMMY_HASH, ""));
    }
}

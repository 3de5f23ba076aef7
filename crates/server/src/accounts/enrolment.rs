//! Staff provisioned for real. `zhida staff add` makes an account that waits for enrolment and
//! prints a one-time link (valid three days); whoever opens it sets the password and enrols an
//! authenticator app from a QR code, gets ten one-time recovery codes, and is logged in.
//! Until then the account cannot log in; `zhida staff disable` ends it and its sessions, and
//! `zhida staff relink` starts enrolment again (a lost phone).

use axum::extract::State;
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use axum::Json;
use sqlx::Row;

use api::account::{
    EnrolmentDone, EnrolmentFinish, EnrolmentStart, EnrolmentToken, Permission, STAFF_PASSWORD_MIN,
};
use api::ErrorBody;

use crate::accounts::auth::Principal;
use crate::accounts::login::{hash_password, signed_in_cookie};
use crate::accounts::totp;
use crate::platform::crypto::{random_token, secret_hash};
use crate::platform::db::{format_utc, now, Db};
use crate::platform::error::ApiError;
use crate::platform::json::ApiJson;
use crate::AppState;

/// How long an enrolment link stays valid.
pub const LINK_HOURS: u64 = 72;
/// Recovery codes made at enrolment.
pub const RECOVERY_CODES: usize = 10;

/// When a link made now stops working.
fn link_expiry() -> String {
    format_utc(now() + std::time::Duration::from_secs(LINK_HOURS * 3600))
}

/// `N` random characters of `alphabet`.
fn random_chars<const N: usize>(alphabet: &[u8]) -> String {
    crate::platform::crypto::random_bytes::<N>()
        .iter()
        .map(|b| alphabet[*b as usize % alphabet.len()] as char)
        .collect()
}

/// Makes a staff account waiting for enrolment; returns the link's token.
pub async fn provision(
    db: &Db,
    username: &str,
    display_name: &str,
    department: &str,
    permissions: &[Permission],
) -> anyhow::Result<String> {
    let username = username.trim().to_lowercase();
    anyhow::ensure!(
        !username.is_empty()
            && username.len() <= 32
            && username
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '_' || c == '-'),
        "a username is 1 to 32 letters, digits, '.', '_' or '-'"
    );
    anyhow::ensure!(!display_name.trim().is_empty(), "the name is empty");
    anyhow::ensure!(!permissions.is_empty(), "give at least one --role");
    let taken: Option<i64> = sqlx::query_scalar("SELECT id FROM staff WHERE username = $1")
        .bind(&username)
        .fetch_optional(&db.pool)
        .await?;
    anyhow::ensure!(taken.is_none(), "the username {username} is taken");
    let token = random_token();
    let roles: Vec<&str> = permissions.iter().map(|p| p.as_str()).collect();
    sqlx::query(
        "INSERT INTO staff (username, display_name, department, permissions, password_hash, totp_secret_enc, \
         enrolment_hash, enrolment_expires_at, created_at) VALUES ($1, $2, $3, $4, '', $5, $6, $7, $8)",
    )
    .bind(&username)
    .bind(display_name.trim())
    .bind(department.trim())
    .bind(roles.join(","))
    .bind(Vec::<u8>::new())
    .bind(secret_hash(&token))
    .bind(link_expiry())
    .bind(format_utc(now()))
    .execute(&db.pool)
    .await?;
    Ok(token)
}

/// Starts enrolment again for `username` (a lost phone): the password, authenticator and
/// recovery codes are void, every session ends; returns the new link's token.
pub async fn relink(db: &Db, username: &str) -> anyhow::Result<String> {
    let token = random_token();
    let expires = link_expiry();
    let reset = sqlx::query(
        "UPDATE staff SET password_hash = '', totp_secret_enc = $1, enrolled_at = NULL, last_totp_step = NULL, \
         enrolment_hash = $2, enrolment_expires_at = $3, disabled_at = NULL WHERE username = $4",
    )
    .bind(Vec::<u8>::new())
    .bind(secret_hash(&token))
    .bind(expires);
    end_account(db, username, reset).await?;
    Ok(token)
}

/// Ends `username`'s account: it cannot log in or enrol, and every session ends now.
pub async fn disable(db: &Db, username: &str) -> anyhow::Result<()> {
    let end =
        sqlx::query("UPDATE staff SET disabled_at = $1, enrolment_hash = NULL WHERE username = $2")
            .bind(format_utc(now()));
    end_account(db, username, end).await
}

/// Runs `change` (an UPDATE whose last parameter is the username) on `username`'s account,
/// then ends its sessions and recovery codes, in one transaction.
async fn end_account<'q>(
    db: &Db,
    username: &'q str,
    change: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
) -> anyhow::Result<()> {
    let username = username.trim().to_lowercase();
    let mut tx = db.begin().await?;
    let id: Option<i64> = sqlx::query_scalar("SELECT id FROM staff WHERE username = $1")
        .bind(&username)
        .fetch_optional(&mut *tx)
        .await?;
    let Some(id) = id else {
        anyhow::bail!("no staff member is called {username}");
    };
    change.bind(username.clone()).execute(&mut *tx).await?;
    end_everything(&mut tx, id).await?;
    tx.commit().await?;
    Ok(())
}

async fn end_everything(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    staff: i64,
) -> anyhow::Result<()> {
    sqlx::query("UPDATE sessions SET revoked_at = $1 WHERE staff_id = $2 AND revoked_at IS NULL")
        .bind(format_utc(now()))
        .bind(staff)
        .execute(&mut **tx)
        .await?;
    sqlx::query("DELETE FROM staff_recovery_codes WHERE staff_id = $1")
        .bind(staff)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// The account a valid, unexpired link is for: (id, username, display name).
async fn waiting(state: &AppState, token: &str) -> Result<(i64, String, String), ApiError> {
    let row = sqlx::query(
        "SELECT id, username, display_name FROM staff WHERE enrolment_hash = $1 \
         AND enrolment_expires_at > $2 AND disabled_at IS NULL",
    )
    .bind(secret_hash(token.trim()))
    .bind(format_utc(now()))
    .fetch_optional(&state.db.pool)
    .await?
    .ok_or_else(|| ApiError::invalid_code("token", "link"))?;
    Ok((
        row.try_get("id")?,
        row.try_get("username")?,
        row.try_get("display_name")?,
    ))
}

/// Opens an enrolment link: a new authenticator secret, as a QR code and as text. Opening it
/// again makes a new one (only the last one enrols).
#[utoipa::path(post, path = "/api/staff/enrolment/start", tag = "auth", request_body = EnrolmentToken,
    responses(
        (status = 200, body = EnrolmentStart),
        (status = 400, description = "The link is wrong, used or expired", body = ErrorBody),
        (status = 429, body = ErrorBody),
    ))]
pub async fn start(
    State(state): State<AppState>,
    client: crate::accounts::auth::ClientAddr,
    ApiJson(body): ApiJson<EnrolmentToken>,
) -> Result<Json<EnrolmentStart>, ApiError> {
    limit(&state, &client).await?;
    let (id, username, display_name) = waiting(&state, &body.token).await?;
    // The key is the secret's bytes, as for every staff account (`totp::verify`): twenty
    // random letters and digits, 32 characters in base32 to type when a QR code cannot be
    // scanned.
    let secret =
        random_chars::<20>(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789");
    sqlx::query("UPDATE staff SET totp_secret_enc = $1 WHERE id = $2")
        .bind(state.vault.encrypt(&secret))
        .bind(id)
        .execute(&state.db.pool)
        .await?;
    let base32 = totp::base32(secret.as_bytes());
    let otpauth_uri = format!(
        "otpauth://totp/Zhida:{username}?secret={base32}&issuer=Zhida&digits=6&period={}",
        totp::STEP_SECS
    );
    Ok(Json(EnrolmentStart {
        qr_svg: crate::platform::qr::qr_svg(&otpauth_uri)?,
        username,
        display_name,
        secret: base32,
        otpauth_uri,
    }))
}

/// Finishes enrolment: the password and the authenticator's first code. Logs in and returns
/// the recovery codes, shown this once.
#[utoipa::path(post, path = "/api/staff/enrolment/finish", tag = "auth", request_body = EnrolmentFinish,
    responses(
        (status = 200, description = "Enrolled and logged in; the session cookie is set", body = EnrolmentDone),
        (status = 400, description = "The link is wrong, used or expired, or the code is wrong", body = ErrorBody),
        (status = 422, description = "The password is too short", body = ErrorBody),
        (status = 429, body = ErrorBody),
    ))]
pub async fn finish(
    State(state): State<AppState>,
    client: crate::accounts::auth::ClientAddr,
    headers: HeaderMap,
    ApiJson(body): ApiJson<EnrolmentFinish>,
) -> Result<Response, ApiError> {
    limit(&state, &client).await?;
    let (id, username, _) = waiting(&state, &body.token).await?;
    if body.password.chars().count() < STAFF_PASSWORD_MIN {
        return Err(
            ApiError::invalid_field_because("password", "password_short")
                .with_arg("min", STAFF_PASSWORD_MIN.to_string()),
        );
    }
    if body.password.to_lowercase().contains(&username) {
        return Err(ApiError::invalid_field_because(
            "password",
            "password_username",
        ));
    }
    let sealed: Vec<u8> = sqlx::query_scalar("SELECT totp_secret_enc FROM staff WHERE id = $1")
        .bind(id)
        .fetch_one(&state.db.pool)
        .await?;
    let secret = if sealed.is_empty() {
        return Err(ApiError::invalid_code("totp", "wrong"));
    } else {
        state.vault.decrypt(&sealed)?
    };
    let step = totp::verify(secret.as_bytes(), &body.totp, now().unix_timestamp())
        .ok_or_else(|| ApiError::invalid_code("totp", "wrong"))?;
    let codes: Vec<String> = (0..RECOVERY_CODES).map(|_| recovery_code()).collect();
    let mut tx = state.db.begin().await?;
    // Only one request can use the link, however many arrive at once.
    let claimed = sqlx::query(
        "UPDATE staff SET password_hash = $1, enrolled_at = $2, last_totp_step = $3, failed_attempts = 0, \
         locked_until = NULL, enrolment_hash = NULL, enrolment_expires_at = NULL \
         WHERE id = $4 AND enrolment_hash = $5",
    )
    .bind(hash_password(&body.password))
    .bind(format_utc(now()))
    .bind(step)
    .bind(id)
    .bind(secret_hash(body.token.trim()))
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if claimed != 1 {
        return Err(ApiError::invalid_code("token", "link"));
    }
    for code in &codes {
        sqlx::query("INSERT INTO staff_recovery_codes (staff_id, code_hash) VALUES ($1, $2)")
            .bind(id)
            .bind(secret_hash(code))
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    let (cookie, me) = signed_in_cookie(&state, Principal::Staff(id), &headers).await?;
    Ok((
        [(header::SET_COOKIE, cookie)],
        Json(EnrolmentDone {
            me,
            recovery_codes: codes,
        }),
    )
        .into_response())
}

/// Whether `code` is one of the staff member's unused recovery codes; if so it is used up now
/// (atomically: one code, one login).
pub async fn use_recovery_code(db: &Db, staff: i64, code: &str) -> Result<bool, ApiError> {
    let code = code.trim().to_lowercase();
    if code.len() != 9 {
        return Ok(false);
    }
    let used = sqlx::query(
        "UPDATE staff_recovery_codes SET used_at = $1 WHERE staff_id = $2 AND code_hash = $3 AND used_at IS NULL",
    )
    .bind(format_utc(now()))
    .bind(staff)
    .bind(secret_hash(&code))
    .execute(&db.pool)
    .await?
    .rows_affected();
    Ok(used == 1)
}

/// A recovery code: `abcd-efgh`, letters and digits that cannot be mistaken for each other.
fn recovery_code() -> String {
    let letters = random_chars::<8>(b"abcdefghjkmnpqrstuvwxyz23456789");
    format!("{}-{}", &letters[..4], &letters[4..])
}

/// Links are guessed from one address at most this often.
async fn limit(
    state: &AppState,
    client: &crate::accounts::auth::ClientAddr,
) -> Result<(), ApiError> {
    crate::platform::ratelimit::hit(
        &state.db,
        &format!("enrol:{}", client.0),
        crate::platform::ratelimit::Limit {
            max: 30,
            window_secs: 3600,
        },
    )
    .await
}

//! The issued licence: numbers, validity, the Ed25519-sealed QR payload; the licence page's
//! data and QR code; public verification (valid / revoked / expired / forged); revocation by
//! staff, effective at once; and public tracking by application number and phone.

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use sqlx::Row;
use utoipa::{IntoParams, ToSchema};

use api::licence::{
    Action, IssuedPermit, Licence, Revocation, Stage, TrackRequest, Tracking, Verdict,
    Verification, VerifiedPermit,
};
use api::{ErrorBody, Mobile};
use licensing::seal::Sealed;
use licensing::workflow::{self, Role};

use super::application::{load, Loaded};
use super::Applicant;
use crate::accounts::auth::{ClientAddr, LicenceReview, StaffWith};
use crate::platform::db::{format_utc, today_shanghai};
use crate::platform::error::ApiError;
use crate::platform::events::Event;
use crate::platform::i18n::Lang;
use crate::platform::json::ApiJson;
use crate::AppState;

/// Issues the licence of an approved application, inside the approving transaction: the
/// licence and its permits, the sealed QR payload, the `issue` step and its notification.
pub async fn issue(
    state: &AppState,
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    a: &Loaded,
    at: time::OffsetDateTime,
) -> Result<(), ApiError> {
    let stamp = format_utc(at);
    let day = crate::platform::db::shanghai_date(at);
    // Issuing is a step of the workflow like any other: from approved, by the system.
    let to = workflow::next(Stage::Approved, Action::Issue, Role::System, a.facts())
        .map_err(|_| ApiError::conflict("illegal_transition"))?;
    // Checked when saved; checked again here, where the code goes onto the licence.
    let answered = a.answers.get("business.uscc").map_or("", String::as_str);
    if !super::application::uscc_is_own(state, a.enterprise_id, answered).await? {
        return Err(ApiError::invalid_field_because(
            "answers.business.uscc",
            "uscc_not_yours",
        ));
    }
    let issue = licensing::issue::issue(&a.form, &a.answers, a.id, day);
    let answer = |k: &str| a.answers.get(k).cloned().unwrap_or_default();
    let (number, uscc) = (issue.number.clone(), issue.uscc.clone());
    let sealed = Sealed {
        number: number.clone(),
        uscc: uscc.clone(),
        business_name: answer("business.name"),
        issued_on: day,
        permits: issue
            .permits
            .iter()
            .map(|p| (p.code.clone(), p.valid_to))
            .collect(),
    };
    let token = sealed.seal(&state.licence_key);
    let licence: i64 = sqlx::query_scalar(
        "INSERT INTO licences (number, application_id, uscc, business_name, legal_representative, address, business_scope, issued_at, token) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
    )
    .bind(&number)
    .bind(a.id)
    .bind(&uscc)
    .bind(answer("business.name"))
    .bind(answer("applicant.name"))
    .bind(answer("business.address"))
    .bind(answer("business.scope"))
    .bind(&stamp)
    .bind(&token)
    .fetch_one(&mut **tx)
    .await?;
    for p in &issue.permits {
        sqlx::query("INSERT INTO licence_permits (licence_id, code, number, valid_from, valid_to) VALUES ($1, $2, $3, $4, $5)")
            .bind(licence)
            .bind(&p.code)
            .bind(&p.number)
            .bind(day.to_string())
            .bind(p.valid_to.map(|d| d.to_string()))
            .execute(&mut **tx)
            .await?;
    }
    let moved = sqlx::query("UPDATE licence_applications SET stage = $1, licence_number = $2, finished_at = $3, updated_at = $3 WHERE id = $4 AND stage = $5")
        .bind(to.as_str())
        .bind(&number)
        .bind(&stamp)
        .bind(a.id)
        .bind(Stage::Approved.as_str())
        .execute(&mut **tx)
        .await?
        .rows_affected();
    if moved != 1 {
        return Err(ApiError::conflict("stage_changed"));
    }
    super::transition::record_step(
        tx,
        a.id,
        Action::Issue,
        Stage::Approved,
        to,
        Role::System,
        None,
        None,
        &stamp,
        None,
        &[],
        None,
    )
    .await?;
    super::transition::notify(tx, a.user_id, a.id, to, &stamp).await?;
    Ok(())
}

/// The address people reach Zhida at: the configured public URL, else the request's host.
fn origin(state: &AppState, headers: &HeaderMap) -> String {
    if let Some(url) = &state.settings.public_url {
        return url.trim_end_matches('/').to_owned();
    }
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("127.0.0.1:8080");
    format!("http://{host}")
}

/// The verification address a licence's QR code encodes.
pub fn verify_url(origin: &str, token: &str) -> String {
    format!("{origin}/verify?t={token}")
}

async fn licence_of(state: &AppState, number: &str) -> Result<(i64, sqlx::any::AnyRow), ApiError> {
    let row = sqlx::query("SELECT id, number, application_id, uscc, business_name, legal_representative, address, business_scope, issued_at, token FROM licences WHERE number = $1")
        .bind(number)
        .fetch_optional(&state.db.pool)
        .await?
        .ok_or_else(ApiError::not_found)?;
    Ok((row.try_get("id")?, row))
}

async fn permits_of(
    state: &AppState,
    licence: i64,
    catalogue: &api::licence::Catalogue,
) -> Result<Vec<IssuedPermit>, ApiError> {
    let rows = sqlx::query("SELECT code, number, valid_from, valid_to, revoked_at, revocation_reason FROM licence_permits WHERE licence_id = $1")
        .bind(licence)
        .fetch_all(&state.db.pool)
        .await?;
    let mut out = Vec::new();
    for r in rows {
        let code: String = r.try_get("code")?;
        let p = catalogue.permits.iter().find(|p| p.code == code);
        let date = |s: String| {
            s.parse::<api::Date>()
                .map_err(|_| ApiError::internal("a stored date"))
        };
        out.push(IssuedPermit {
            name: p.map_or_else(
                || api::policy::Bilingual {
                    zh_cn: code.clone(),
                    en: code.clone(),
                },
                |p| p.name.clone(),
            ),
            authority: p.map_or_else(
                || api::policy::Bilingual {
                    zh_cn: String::new(),
                    en: String::new(),
                },
                |p| p.authority.clone(),
            ),
            code,
            number: r.try_get("number")?,
            valid_from: date(r.try_get("valid_from")?)?,
            valid_to: r
                .try_get::<Option<String>, _>("valid_to")?
                .map(date)
                .transpose()?,
            revoked_at: r.try_get("revoked_at")?,
            revocation_reason: r.try_get("revocation_reason")?,
        });
    }
    // In the catalogue's order: the business licence first.
    out.sort_by_key(|p| {
        catalogue
            .permits
            .iter()
            .position(|c| c.code == p.code)
            .unwrap_or(usize::MAX)
    });
    Ok(out)
}

async fn licence_body(
    state: &AppState,
    headers: &HeaderMap,
    number: &str,
    owner: Option<Applicant>,
) -> Result<Licence, ApiError> {
    let (id, row) = licence_of(state, number).await?;
    let application: i64 = row.try_get("application_id")?;
    let a = Box::pin(load(state, application, owner)).await?;
    let catalogue = Box::pin(super::catalogue::catalogue_version(
        state,
        a.catalogue_version,
    ))
    .await?;
    let token: String = row.try_get("token")?;
    Ok(Licence {
        number: row.try_get("number")?,
        uscc: row.try_get("uscc")?,
        business_name: row.try_get("business_name")?,
        legal_representative: row.try_get("legal_representative")?,
        address: row.try_get("address")?,
        business_scope: row.try_get("business_scope")?,
        issued_at: row.try_get("issued_at")?,
        permits: permits_of(state, id, &catalogue).await?,
        verify_url: verify_url(&origin(state, headers), &token),
        application: a.number,
    })
}

/// One of the caller's licences, with its permits and the verification address of its QR code.
#[utoipa::path(get, path = "/api/licences/issued/{number}", tag = "licences",
    params(("number" = String, Path)),
    responses((status = 200, body = Licence), (status = 404, body = ErrorBody)))]
pub async fn licence(
    State(state): State<AppState>,
    who: Applicant,
    headers: HeaderMap,
    Path(number): Path<String>,
) -> Result<Json<Licence>, ApiError> {
    Ok(Json(
        Box::pin(licence_body(&state, &headers, &number, Some(who))).await?,
    ))
}

/// A licence as staff see it (to revoke a permit).
#[utoipa::path(get, path = "/api/staff/licences/issued/{number}", tag = "licences",
    params(("number" = String, Path)),
    responses((status = 200, body = Licence), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn staff_licence(
    State(state): State<AppState>,
    _staff: StaffWith<LicenceReview>,
    headers: HeaderMap,
    Path(number): Path<String>,
) -> Result<Json<Licence>, ApiError> {
    Ok(Json(
        Box::pin(licence_body(&state, &headers, &number, None)).await?,
    ))
}

/// The licence's QR code (SVG) of its verification address.
#[utoipa::path(get, path = "/api/licences/issued/{number}/qr.svg", tag = "licences",
    params(("number" = String, Path)),
    responses((status = 200, description = "An SVG image", content_type = "image/svg+xml"), (status = 404, body = ErrorBody)))]
pub async fn qr(
    State(state): State<AppState>,
    who: Applicant,
    headers: HeaderMap,
    Path(number): Path<String>,
) -> Result<Response, ApiError> {
    let l = Box::pin(licence_body(&state, &headers, &number, Some(who))).await?;
    let svg = crate::platform::qr::qr_svg(&l.verify_url)?;
    Ok((
        [
            (header::CONTENT_TYPE, "image/svg+xml"),
            (header::CACHE_CONTROL, "private, max-age=300"),
        ],
        svg,
    )
        .into_response())
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct VerifyQuery {
    /// The token from the QR code's address.
    pub t: String,
}

/// A licence's own verdict from its permits': the business licence's when it carries one;
/// otherwise valid while any permit is, else revoked if any was revoked, else expired.
fn licence_verdict(permits: &[VerifiedPermit]) -> Verdict {
    if let Some(b) = permits
        .iter()
        .find(|p| p.code == licensing::catalogue::BUSINESS_LICENCE)
    {
        return b.verdict;
    }
    if permits.iter().any(|p| p.verdict == Verdict::Valid) {
        Verdict::Valid
    } else if permits.iter().any(|p| p.verdict == Verdict::Revoked) {
        Verdict::Revoked
    } else {
        Verdict::Expired
    }
}

/// What a scanned QR code is worth: forged (the signature fails, or the register disagrees),
/// else each permit valid, revoked or expired as the register says now, and the licence's own
/// verdict: its business licence's, or without one, valid while any permit is.
#[utoipa::path(get, path = "/api/verify", tag = "licences",
    params(VerifyQuery),
    responses((status = 200, body = Verification)))]
pub async fn verify(
    State(state): State<AppState>,
    Query(q): Query<VerifyQuery>,
) -> Result<Json<Verification>, ApiError> {
    let forged = Verification {
        verdict: Verdict::Forged,
        number: None,
        uscc: None,
        business_name: None,
        issued_on: None,
        permits: Vec::new(),
        all_permits_valid: false,
    };
    let key = state.licence_key.verifying_key();
    let Some(sealed) = Sealed::open(&q.t, &key) else {
        return Ok(Json(forged));
    };
    let row = sqlx::query("SELECT l.id, l.uscc, l.business_name, a.catalogue_version FROM licences l JOIN licence_applications a ON a.id = l.application_id WHERE l.number = $1")
        .bind(&sealed.number)
        .fetch_optional(&state.db.pool)
        .await?;
    let Some(row) = row else {
        return Ok(Json(forged));
    };
    let uscc: String = row.try_get("uscc")?;
    let name: String = row.try_get("business_name")?;
    if uscc != sealed.uscc || name != sealed.business_name {
        return Ok(Json(forged));
    }
    let catalogue = Box::pin(super::catalogue::catalogue_version(
        &state,
        row.try_get("catalogue_version")?,
    ))
    .await?;
    let register = permits_of(&state, row.try_get("id")?, &catalogue).await?;
    let today = today_shanghai();
    let mut permits = Vec::new();
    for (code, to) in &sealed.permits {
        let Some(p) = register.iter().find(|p| &p.code == code) else {
            return Ok(Json(forged));
        };
        let verdict = if p.revoked_at.is_some() {
            Verdict::Revoked
        } else if to.is_some_and(|to| to < today) {
            Verdict::Expired
        } else {
            Verdict::Valid
        };
        permits.push(VerifiedPermit {
            code: code.clone(),
            name: p.name.clone(),
            number: p.number.clone(),
            valid_from: p.valid_from,
            valid_to: *to,
            verdict,
        });
    }
    let verdict = licence_verdict(&permits);
    Ok(Json(Verification {
        verdict,
        all_permits_valid: permits.iter().all(|p| p.verdict == Verdict::Valid),
        number: Some(sealed.number),
        uscc: Some(sealed.uscc),
        business_name: Some(sealed.business_name),
        issued_on: Some(sealed.issued_on),
        permits,
    }))
}

/// The public key that verifies licence QR codes.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PublicKey {
    /// `Ed25519`.
    pub alg: String,
    /// The 32-byte key, base64url without padding.
    pub key: String,
    /// How a token is made: `base64url(payload) "." base64url(signature)`.
    pub format: String,
}

/// Served at `/.well-known/zhida-licence-key.json`: verifiers may check codes offline with it.
pub async fn public_key(State(state): State<AppState>) -> Response {
    (
        [(header::CACHE_CONTROL, "public, max-age=3600")],
        Json(PublicKey {
            alg: "Ed25519".into(),
            key: licensing::seal::public_key_text(&state.licence_key.verifying_key()),
            format: "base64url(payload).base64url(ed25519 signature); payload lines: Z1, licence number, USCC, name, issued YYYYMMDD, then code:YYYYMMDD|- per permit".into(),
        }),
    )
        .into_response()
}

/// Revokes one permit of a licence: verification shows it revoked from this moment.
#[utoipa::path(post, path = "/api/staff/licences/issued/{number}/permits/{code}/revoke", tag = "licences",
    params(("number" = String, Path), ("code" = String, Path)),
    request_body = Revocation,
    responses(
        (status = 200, body = Licence),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 422, description = "No reason given", body = ErrorBody),
    ))]
pub async fn revoke(
    State(state): State<AppState>,
    staff: StaffWith<LicenceReview>,
    headers: HeaderMap,
    Path((number, code)): Path<(String, String)>,
    ApiJson(body): ApiJson<Revocation>,
) -> Result<Json<Licence>, ApiError> {
    let reason =
        super::transition::reason_ok("reason", &body.reason, Lang::from_headers(&headers))?;
    let (id, row) = licence_of(&state, &number).await?;
    let stamp = format_utc(crate::platform::db::now());
    let changed = sqlx::query("UPDATE licence_permits SET revoked_at = $1, revocation_reason = $2, revoked_by = $3 WHERE licence_id = $4 AND code = $5 AND revoked_at IS NULL")
        .bind(&stamp)
        .bind(&reason)
        .bind(staff.staff)
        .bind(id)
        .bind(&code)
        .execute(&state.db.pool)
        .await?
        .rows_affected();
    if changed == 0 {
        let exists: Option<String> = sqlx::query_scalar(
            "SELECT code FROM licence_permits WHERE licence_id = $1 AND code = $2",
        )
        .bind(id)
        .bind(&code)
        .fetch_optional(&state.db.pool)
        .await?;
        // Revoking twice changes nothing.
        exists.ok_or_else(ApiError::not_found)?;
    }
    let application: i64 = row.try_get("application_id")?;
    state.events.publish(Event::Application(application)).await;
    Ok(Json(
        Box::pin(licence_body(&state, &headers, &number, None)).await?,
    ))
}

const TRACK_LIMIT: crate::platform::ratelimit::Limit = crate::platform::ratelimit::Limit {
    max: 20,
    window_secs: 600,
};

fn watch_token(state: &AppState, id: i64, until: i64) -> String {
    let mac = state
        .vault
        .lookup_hash("track_watch", &format!("{id}.{until}"));
    let hex: String = mac.iter().take(16).map(|b| format!("{b:02x}")).collect();
    format!("{id}.{until}.{hex}")
}

fn watched(state: &AppState, token: &str) -> Option<i64> {
    let mut parts = token.splitn(3, '.');
    let id: i64 = parts.next()?.parse().ok()?;
    let until: i64 = parts.next()?.parse().ok()?;
    if until < time::OffsetDateTime::now_utc().unix_timestamp() {
        return None;
    }
    crate::platform::crypto::same(watch_token(state, id, until).as_bytes(), token.as_bytes())
        .then_some(id)
}

/// Finds an application by its number and the applicant's phone, without logging in. Shows
/// where it stands and what the applicant must do; no personal data.
#[utoipa::path(post, path = "/api/track", tag = "licences",
    request_body = TrackRequest,
    responses(
        (status = 200, body = Tracking),
        (status = 404, description = "No application with this number and phone", body = ErrorBody),
        (status = 422, description = "Not a mobile number", body = ErrorBody),
        (status = 429, body = ErrorBody),
    ))]
pub async fn track(
    State(state): State<AppState>,
    ClientAddr(addr): ClientAddr,
    ApiJson(body): ApiJson<TrackRequest>,
) -> Result<Json<Tracking>, ApiError> {
    crate::platform::ratelimit::hit(&state.db, &format!("track:{addr}"), TRACK_LIMIT).await?;
    let phone = Mobile::parse(&body.phone).map_err(|e| ApiError::invalid_field("phone", e))?;
    let id: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM licence_applications WHERE number = $1 AND phone_hash = $2 AND stage <> $3",
    )
    .bind(body.number.trim())
    .bind(state.vault.lookup_hash("phone", phone.expose()))
    .bind(Stage::Draft.as_str())
    .fetch_optional(&state.db.pool)
    .await?;
    let id = id.ok_or_else(ApiError::not_found)?;
    let until = time::OffsetDateTime::now_utc().unix_timestamp() + 86_400;
    let mut t = Box::pin(tracking(&state, id)).await?;
    t.watch = watch_token(&state, id, until);
    Ok(Json(t))
}

/// What the public tracking page shows of application `id`.
pub async fn tracking(state: &AppState, id: i64) -> Result<Tracking, ApiError> {
    let a = Box::pin(load(state, id, None)).await?;
    let running = !licensing::workflow::is_final(a.stage) && a.stage != Stage::Approved;
    let steps = super::application::steps(state, id).await?;
    Ok(Tracking {
        number: a.number.clone(),
        stage: a.stage,
        permits: a.form.permits.iter().map(|p| p.name.clone()).collect(),
        promised_days: a.form.promised_days,
        submitted_at: a.submitted_at.clone(),
        deadline: a.deadline.clone(),
        working_days_left: a
            .deadline
            .as_deref()
            .filter(|_| running)
            .and_then(super::application::working_days_left),
        working_days_used: super::application::working_days_used(&a),
        to_fix: a
            .materials
            .iter()
            .filter_map(|m| {
                m.returned.clone().map(|reason| api::licence::ItemReason {
                    material: m.code.clone(),
                    reason,
                })
            })
            .collect(),
        steps: steps
            .into_iter()
            .map(|mut s| {
                // Staff names stay inside.
                s.actor_name = None;
                s
            })
            .collect(),
        licence: a.licence.clone(),
        watch: String::new(),
    })
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct WatchQuery {
    pub watch: String,
}

/// The tracked application again, by the watch token `POST /api/track` gave (what the public
/// page reloads when its live stream says it moved).
#[utoipa::path(get, path = "/api/track/current", tag = "licences",
    params(WatchQuery),
    responses((status = 200, body = Tracking), (status = 404, description = "An unknown or expired token", body = ErrorBody)))]
pub async fn track_current(
    State(state): State<AppState>,
    Query(q): Query<WatchQuery>,
) -> Result<Json<Tracking>, ApiError> {
    let id = watched(&state, &q.watch).ok_or_else(ApiError::not_found)?;
    let mut t = Box::pin(tracking(&state, id)).await?;
    t.watch = q.watch;
    Ok(Json(t))
}

/// Live updates for the public tracking page (Server-Sent Events).
#[utoipa::path(get, path = "/api/track/events", tag = "licences",
    params(WatchQuery),
    responses((status = 200, description = "An event stream", content_type = "text/event-stream"), (status = 404, body = ErrorBody)))]
pub async fn track_events(
    State(state): State<AppState>,
    Query(q): Query<WatchQuery>,
) -> Result<Response, ApiError> {
    let id = watched(&state, &q.watch).ok_or_else(ApiError::not_found)?;
    Ok(super::application_stream(&state, id))
}

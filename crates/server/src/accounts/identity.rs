//! Who a person is (实名核验), and their records in the departments' data.
//!
//! A person records their name and ID number; an [`IdentityVerifier`] checks the pair. The
//! default checks the population register's own record (sent by the register's feed or
//! import); an external real-name service can be configured for people the register does not
//! hold. A checked account is linked to its resident record (one account per resident) and
//! becomes the representative of every enterprise whose market-register record names its ID
//! number. A refusal never tells whether the number exists.

use std::sync::Arc;

use api::account::Me;
use api::{ErrorBody, IdNumber};
use axum::extract::State;
use axum::Json;
use dataset::personal::NAME_MAX;
use sqlx::Row;

use crate::accounts::account::me_for;
use crate::accounts::auth::{Person, Session};
use crate::platform::crypto::Vault;
use crate::platform::db::{now_utc, Db};
use crate::platform::error::ApiError;
use crate::platform::json::ApiJson;
use crate::AppState;
use dataset::personal::normalize_name;

/// What a verifier found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The name is the holder's.
    Match,
    /// The number is known, with another name.
    Mismatch,
    /// The verifier holds no record of the number.
    Unknown,
}

/// Checks that a name belongs to the holder of an ID number.
#[async_trait::async_trait]
pub trait IdentityVerifier: Send + Sync {
    async fn verify(&self, name: &str, id_number: &IdNumber) -> anyhow::Result<Verdict>;
}

/// The population register's record, as the departments sent it.
pub struct RegisterVerifier {
    pub db: Db,
    pub vault: Arc<Vault>,
}

#[async_trait::async_trait]
impl IdentityVerifier for RegisterVerifier {
    async fn verify(&self, name: &str, id_number: &IdNumber) -> anyhow::Result<Verdict> {
        let hash = self.vault.lookup_hash("id_number", id_number.expose());
        let stored: Option<Option<Vec<u8>>> = sqlx::query_scalar(
            "SELECT name_hash FROM register_identities WHERE kind = 'resident' AND id_number_hash = $1",
        )
        .bind(&hash)
        .fetch_optional(&self.db.pool)
        .await?;
        let given = self.vault.lookup_hash("name", &normalize_name(name));
        Ok(match stored {
            None | Some(None) => Verdict::Unknown,
            Some(Some(h)) if crate::platform::crypto::same(&h, &given) => Verdict::Match,
            Some(Some(_)) => Verdict::Mismatch,
        })
    }
}

/// An external real-name service (e.g. the province's 实名核验 interface): `POST {url}` with
/// `{"name": "…", "id_number": "…"}` and a bearer token, answered `{"result": "match"}`,
/// `{"result": "mismatch"}` or `{"result": "unknown"}`. Anything else is an error.
pub struct HttpIdentity {
    pub url: String,
    pub token: String,
    pub client: crate::platform::http_client::Client,
}

#[async_trait::async_trait]
impl IdentityVerifier for HttpIdentity {
    async fn verify(&self, name: &str, id_number: &IdNumber) -> anyhow::Result<Verdict> {
        let body = serde_json::json!({ "name": name.trim(), "id_number": id_number.expose() });
        let (status, answer) = self.client.post_json(&self.url, &self.token, &body).await?;
        anyhow::ensure!(
            (200..300).contains(&status),
            "the real-name service answered {status}"
        );
        match answer.get("result").and_then(|r| r.as_str()) {
            Some("match") => Ok(Verdict::Match),
            Some("mismatch") => Ok(Verdict::Mismatch),
            Some("unknown") => Ok(Verdict::Unknown),
            _ => anyhow::bail!("the real-name service's answer has no known result"),
        }
    }
}

/// The register first; a number it does not hold goes to the external service, if any.
pub struct RegisterThenService {
    pub register: RegisterVerifier,
    pub service: Option<Arc<dyn IdentityVerifier>>,
}

#[async_trait::async_trait]
impl IdentityVerifier for RegisterThenService {
    async fn verify(&self, name: &str, id_number: &IdNumber) -> anyhow::Result<Verdict> {
        match (self.register.verify(name, id_number).await?, &self.service) {
            (Verdict::Unknown, Some(service)) => service.verify(name, id_number).await,
            (verdict, _) => Ok(verdict),
        }
    }
}

/// Links a verified account to what the registers hold of its ID number, in `tx`: its
/// resident record, and the enterprises it represents. Returns whether a resident record was
/// linked. Fails with `id_number_taken` when another account holds the resident record.
pub async fn link_records(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    user: i64,
    id_hash: &[u8],
) -> Result<bool, ApiError> {
    let resident: Option<String> = sqlx::query_scalar(
        "SELECT s.ref FROM register_identities r JOIN subjects s ON s.id = r.subject_id \
         WHERE r.kind = 'resident' AND r.id_number_hash = $1",
    )
    .bind(id_hash)
    .fetch_optional(&mut **tx)
    .await?;
    if let Some(r) = &resident {
        let holder: Option<i64> =
            sqlx::query_scalar("SELECT id FROM users WHERE resident_ref = $1")
                .bind(r)
                .fetch_optional(&mut **tx)
                .await?;
        if holder.is_some_and(|h| h != user) {
            return Err(ApiError::conflict("id_number_taken"));
        }
        sqlx::query("UPDATE users SET resident_ref = $1 WHERE id = $2")
            .bind(r)
            .bind(user)
            .execute(&mut **tx)
            .await?;
    }
    claim_enterprises(tx, user, id_hash).await?;
    Ok(resident.is_some())
}

/// Makes `user` the representative of every enterprise whose market-register record names
/// their ID number (taking over from an earlier representative the register no longer names).
async fn claim_enterprises(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    user: i64,
    id_hash: &[u8],
) -> Result<(), ApiError> {
    let rows = sqlx::query(
        "SELECT s.ref, s.vals FROM register_identities r JOIN subjects s ON s.id = r.subject_id \
         WHERE r.kind = 'enterprise' AND r.id_number_hash = $1 ORDER BY s.id",
    )
    .bind(id_hash)
    .fetch_all(&mut **tx)
    .await?;
    let now = now_utc();
    for row in rows {
        let reference: String = row.try_get("ref")?;
        let vals: serde_json::Value =
            serde_json::from_str(&row.try_get::<String, _>("vals")?).unwrap_or_default();
        let text = |k: &str| vals.get(k).and_then(|v| v.as_str()).map(str::to_owned);
        // Without its code and name in the register an enterprise cannot be shown or act.
        let (Some(uscc), Some(name)) = (text("uscc"), text("name")) else {
            continue;
        };
        sqlx::query(
            "INSERT INTO enterprises (uscc, name, legal_rep_user_id, enterprise_ref, created_at) \
             VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (uscc) DO UPDATE SET name = excluded.name, \
             legal_rep_user_id = excluded.legal_rep_user_id, enterprise_ref = excluded.enterprise_ref",
        )
        .bind(&uscc)
        .bind(&name)
        .bind(user)
        .bind(&reference)
        .bind(&now)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// Tries of recording one's identity, per account: enough for typing mistakes, too few to
/// guess whose number is whose.
const TRIES: crate::platform::ratelimit::Limit = crate::platform::ratelimit::Limit {
    max: 5,
    window_secs: 3600,
};

/// Records the person's real name and ID number once checked (实名核验), and links the account
/// to their records: the resident record the population register holds under that number,
/// and the enterprises whose market-register record names them as legal representative.
#[utoipa::path(put, path = "/api/me/identity", tag = "account", request_body = api::account::Identity,
    responses(
        (status = 200, body = Me),
        (status = 401, body = ErrorBody),
        (status = 409, description = "Another account holds this person, or this account's identity is already settled", body = ErrorBody),
        (status = 422, description = "A name or ID number that is not valid, or that do not belong together", body = ErrorBody),
        (status = 429, description = "Too many tries; see Retry-After", body = ErrorBody),
        (status = 503, description = "The real-name service cannot be reached", body = ErrorBody),
    ))]
pub async fn set_identity(
    State(state): State<AppState>,
    session: Session,
    person: Person,
    ApiJson(body): ApiJson<api::account::Identity>,
) -> Result<Json<Me>, ApiError> {
    let name = body.name.trim();
    if name.is_empty() {
        return Err(ApiError::invalid_field(
            "name",
            api::ValidationError::Required,
        ));
    }
    if name.chars().count() > NAME_MAX {
        return Err(ApiError::invalid_field_because("name", "too_long")
            .with_arg("max", NAME_MAX.to_string()));
    }
    let id = IdNumber::parse(&body.id_number, crate::platform::db::today_shanghai())
        .map_err(|e| ApiError::invalid_field("id_number", e))?;
    crate::platform::ratelimit::hit(&state.db, &format!("identity:{}", person.0), TRIES).await?;
    let hash = state.vault.lookup_hash("id_number", id.expose());
    let settled: Option<Vec<u8>> = sqlx::query_scalar(
        "SELECT id_number_hash FROM users WHERE id = $1 AND identity_verified_at IS NOT NULL",
    )
    .bind(person.0)
    .fetch_optional(&state.db.pool)
    .await?
    .flatten();
    if settled.as_deref().is_some_and(|h| h != hash.as_slice()) {
        return Err(ApiError::conflict("identity_settled"));
    }
    let verdict = state.identity.verify(name, &id).await.map_err(|e| {
        tracing::warn!(error = %e, "identity verification failed");
        ApiError::unavailable()
    })?;
    if verdict != Verdict::Match {
        // The same words whether the number is unknown or held under another name.
        return Err(ApiError::invalid_field_because("name", "identity_mismatch"));
    }
    let mut tx = state.db.begin().await?;
    let holder: Option<i64> = sqlx::query_scalar("SELECT id FROM users WHERE id_number_hash = $1")
        .bind(&hash)
        .fetch_optional(&mut *tx)
        .await?;
    if holder.is_some_and(|h| h != person.0) {
        return Err(ApiError::conflict("id_number_taken"));
    }
    sqlx::query(
        "UPDATE users SET name = $1, id_number_enc = $2, id_number_hash = $3, \
         identity_verified_at = COALESCE(identity_verified_at, $4) WHERE id = $5",
    )
    .bind(name)
    .bind(state.vault.encrypt(id.expose()))
    .bind(&hash)
    .bind(now_utc())
    .bind(person.0)
    .execute(&mut *tx)
    .await
    .map_err(taken)?;
    link_records(&mut tx, person.0, &hash).await?;
    tx.commit().await.map_err(taken)?;
    Ok(Json(
        me_for(
            &state,
            session.principal,
            (session.acting_for, session.acting_for_person),
            false,
        )
        .await?,
    ))
}

/// Another request took the number or the record meanwhile (a unique index refused it).
fn taken(e: sqlx::Error) -> ApiError {
    match e.as_database_error() {
        Some(db) if db.is_unique_violation() => ApiError::conflict("id_number_taken"),
        _ => ApiError::from(e),
    }
}

/// Demo mode without a real-name service: any valid pair the register does not hold is taken
/// as checked (the register's own records are still checked). Never used outside demo mode.
pub struct DemoIdentity;

#[async_trait::async_trait]
impl IdentityVerifier for DemoIdentity {
    async fn verify(&self, _: &str, _: &IdNumber) -> anyhow::Result<Verdict> {
        Ok(Verdict::Match)
    }
}

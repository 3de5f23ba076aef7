//! A grant's records: its timeline ([`event`]), the person's messages ([`notify`]), and the
//! one place its status changes ([`move_grant`]): the move is asked of the table
//! ([`crate::subsidies::grant_life::next`]); the UPDATE holds only while the grant is still in the status
//! it was read in; the timeline step and the person's message are written in the same
//! transaction.

use api::subsidy::GrantStatus;
use sqlx::{Any, Transaction};

use crate::subsidies::grant_life::{next, GrantEvent, Refusal};

/// Who or what made a step of a grant.
#[derive(Clone, Copy, Debug)]
pub enum Actor<'a> {
    Engine,
    Subject,
    Staff(&'a str),
    Treasury,
}

impl Actor<'_> {
    pub fn label(&self) -> String {
        match self {
            Actor::Engine => "engine".to_owned(),
            Actor::Subject => "subject".to_owned(),
            Actor::Staff(name) => format!("staff:{name}"),
            Actor::Treasury => "treasury".to_owned(),
        }
    }
}

/// Records a step of a grant's timeline.
pub async fn event(
    tx: &mut Transaction<'static, Any>,
    grant: i64,
    status: &str,
    actor: Actor<'_>,
    note: Option<&str>,
    at: &str,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO grant_events (grant_id, status, actor, note, at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(grant)
    .bind(status)
    .bind(actor.label())
    .bind(note)
    .bind(at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Tells the subject something, in the app's inbox.
pub async fn notify(
    tx: &mut Transaction<'static, Any>,
    subject: i64,
    kind: &str,
    grant: Option<i64>,
    policy: &str,
    amount_fen: Option<i64>,
    at: &str,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO notifications (subject_id, kind, grant_id, policy_id, amount_fen, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(subject)
    .bind(kind)
    .bind(grant)
    .bind(policy)
    .bind(amount_fen)
    .bind(at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// A grant as it was read, about to move.
#[derive(Clone, Copy, Debug)]
pub struct Grant<'a> {
    pub id: i64,
    pub subject: i64,
    pub policy: &'a str,
    pub amount_fen: i64,
    pub status: GrantStatus,
}

/// Why a grant did not move.
#[derive(Debug)]
pub enum MoveError {
    /// The table does not allow it: a bug in the caller, never written.
    Refused(Refusal),
    Db(sqlx::Error),
}

impl std::fmt::Display for MoveError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MoveError::Refused(r) => write!(f, "{r}"),
            MoveError::Db(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for MoveError {}

impl From<sqlx::Error> for MoveError {
    fn from(e: sqlx::Error) -> MoveError {
        MoveError::Db(e)
    }
}

impl From<MoveError> for crate::platform::error::ApiError {
    fn from(e: MoveError) -> crate::platform::error::ApiError {
        match e {
            MoveError::Db(e) => e.into(),
            MoveError::Refused(r) => crate::platform::error::ApiError::internal(r),
        }
    }
}

/// Moves `grant` by `what`, as `actor` (with an optional `note` on its timeline), at `at`.
/// `Ok(Some(status))` when it moved; `Ok(None)` when it was no longer in the status it was
/// read in (someone moved it first: nothing is written); `Err(Refused)` when the table does
/// not allow the move (nothing is written).
pub async fn move_grant(
    tx: &mut Transaction<'static, Any>,
    grant: &Grant<'_>,
    what: GrantEvent,
    actor: Actor<'_>,
    note: Option<&str>,
    at: &str,
) -> Result<Option<GrantStatus>, MoveError> {
    let to = next(grant.status, what).map_err(MoveError::Refused)?;
    let moved =
        sqlx::query("UPDATE grants SET status = $1, updated_at = $2 WHERE id = $3 AND status = $4")
            .bind(to.as_str())
            .bind(at)
            .bind(grant.id)
            .bind(grant.status.as_str())
            .execute(&mut **tx)
            .await?
            .rows_affected()
            == 1;
    if !moved {
        return Ok(None);
    }
    event(tx, grant.id, to.as_str(), actor, note, at).await?;
    if let Some(kind) = what.notification() {
        notify(
            tx,
            grant.subject,
            kind,
            Some(grant.id),
            grant.policy,
            Some(grant.amount_fen),
            at,
        )
        .await?;
    }
    Ok(Some(to))
}

/// The status of grant `id` as stored now (in `tx`).
pub async fn status_of(
    tx: &mut Transaction<'static, Any>,
    id: i64,
) -> Result<Option<GrantStatus>, MoveError> {
    let status: Option<String> = sqlx::query_scalar("SELECT status FROM grants WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?;
    Ok(status.as_deref().and_then(GrantStatus::parse))
}

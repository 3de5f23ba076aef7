//! Demo data for `zhida serve --demo` (`ZHIDA_DEMO=1`): seeded once, into an empty database.

use crate::db::Db;

const SEEDED_KEY: &str = "demo_seeded_at";

/// The demo sign-ins, printed at start-up by `zhida serve --demo`.
///
/// Accounts arrive with issue #4 (accounts, roles and security); until then the demo has no
/// sign-ins, and this list says so rather than printing logins that do not work.
pub fn logins() -> Vec<(&'static str, &'static str)> {
    Vec::new()
}

/// Seeds the demo data when this database has never been seeded. Returns whether it seeded.
pub async fn seed_if_empty(db: &Db) -> anyhow::Result<bool> {
    if db.meta(SEEDED_KEY).await?.is_some() {
        return Ok(false);
    }
    // Each capability adds its demo records here, inside this one transaction, as it lands.
    let tx = db.pool.begin().await?;
    tx.commit().await?;
    db.set_meta(SEEDED_KEY, &crate::db::now_utc()).await?;
    Ok(true)
}

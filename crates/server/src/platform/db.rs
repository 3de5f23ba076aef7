//! The database: SQLite (embedded, the default) or PostgreSQL, chosen by the URL.
//!
//! Queries go through sqlx's `Any` driver, so one query text serves both backends: write
//! placeholders as `$1, $2, …` (both accept them) and keep to the types both share (integers,
//! text, bytes). Times are stored as UTC text in RFC 3339 (`2026-11-29T02:19:05.123Z`), which
//! sorts correctly as text. Each backend has its own migrations, kept in step by number.

use std::path::Path;
use std::str::FromStr;
use std::time::{Duration, Instant};

use anyhow::Context;
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::migrate::Migrator;
use sqlx::{AnyPool, Executor, Row};

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/postgres");

/// Which database engine a [`Db`] talks to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// The backend a database URL selects.
    pub fn of_url(url: &str) -> anyhow::Result<Backend> {
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Backend::Postgres)
        } else {
            anyhow::bail!("unsupported database URL {url:?}: use sqlite://PATH or postgres://…")
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// A connection pool with the backend it talks to. Cheap to clone.
#[derive(Clone)]
pub struct Db {
    pub pool: AnyPool,
    pub backend: Backend,
    /// The URL it was opened with (PostgreSQL's `LISTEN` needs a connection of its own).
    pub url: String,
}

impl std::fmt::Debug for Db {
    /// Without the URL, which may carry a password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db")
            .field("backend", &self.backend)
            .finish()
    }
}

impl Db {
    /// Connects to `url`, creating a SQLite file (and its folder) when it does not exist yet.
    pub async fn connect(url: &str) -> anyhow::Result<Db> {
        sqlx::any::install_default_drivers();
        let backend = Backend::of_url(url)?;
        let original = url.to_owned();
        let mut url = url.to_owned();
        let mut options = AnyPoolOptions::new().acquire_timeout(Duration::from_secs(10));
        if backend == Backend::Sqlite {
            let path = sqlite_path(&url);
            if let Some(dir) = Path::new(&path)
                .parent()
                .filter(|d| !d.as_os_str().is_empty())
            {
                std::fs::create_dir_all(dir)
                    .with_context(|| format!("creating the database folder {}", dir.display()))?;
            }
            if !url.contains("mode=") {
                url.push_str(if url.contains('?') {
                    "&mode=rwc"
                } else {
                    "?mode=rwc"
                });
            }
            // One writer at a time is SQLite's nature; WAL lets readers go on meanwhile, and a
            // busy timeout makes a second writer wait instead of failing.
            options = options.max_connections(8).after_connect(|conn, _| {
                Box::pin(async move {
                    conn.execute("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;")
                        .await?;
                    Ok(())
                })
            });
        } else {
            options = options.max_connections(16);
        }
        let pool = options
            .connect(&url)
            .await
            .with_context(|| format!("connecting to the {} database", backend.as_str()))?;
        Ok(Db {
            pool,
            backend,
            url: original,
        })
    }

    /// Begins a transaction that may write. On SQLite it takes the write lock at once
    /// (`BEGIN IMMEDIATE`): a transaction that read first and wrote later would otherwise fail
    /// with "database is locked" whenever another connection wrote in between, since SQLite
    /// cannot wait for a newer snapshot. Every writing transaction begins here.
    pub async fn begin(&self) -> sqlx::Result<sqlx::Transaction<'static, sqlx::Any>> {
        match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await,
            Backend::Postgres => self.pool.begin().await,
        }
    }

    /// Applies every migration not yet applied. Safe to run at every start.
    pub async fn migrate(&self) -> anyhow::Result<()> {
        let migrator = match self.backend {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        };
        migrator
            .run(&self.pool)
            .await
            .context("migrating the database")?;
        Ok(())
    }

    /// A round trip to the database: how long it took and the newest migration applied.
    pub async fn ping(&self) -> anyhow::Result<(Duration, Option<i64>)> {
        let started = Instant::now();
        let row: AnyRow = sqlx::query("SELECT MAX(version) AS version FROM _sqlx_migrations")
            .fetch_one(&self.pool)
            .await?;
        let version: Option<i64> = row.try_get("version")?;
        Ok((started.elapsed(), version))
    }

    /// A value of the `app_meta` table (installation settings and markers).
    pub async fn meta(&self, key: &str) -> anyhow::Result<Option<String>> {
        let row = sqlx::query("SELECT value FROM app_meta WHERE key = $1")
            .bind(key)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| r.try_get("value")).transpose()?)
    }

    /// Sets a key of the `app_meta` table.
    pub async fn set_meta(&self, key: &str, value: &str) -> anyhow::Result<()> {
        sqlx::query(
            "INSERT INTO app_meta (key, value, updated_at) VALUES ($1, $2, $3) \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
        )
        .bind(key)
        .bind(value)
        .bind(now_utc())
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}

/// The file path in a `sqlite:` URL.
fn sqlite_path(url: &str) -> String {
    let rest = url.trim_start_matches("sqlite:").trim_start_matches("//");
    rest.split('?').next().unwrap_or_default().to_owned()
}

/// Asia/Shanghai: UTC+8 all year (no summer time), the time people read.
pub const SHANGHAI: time::UtcOffset = time::macros::offset!(+8);

/// How far demo mode runs the clock ahead (`zhida serve --clock-shift-days`); set once, at start.
static CLOCK_SHIFT: std::sync::OnceLock<time::Duration> = std::sync::OnceLock::new();

/// Runs this process's clock ahead by `by` (demo mode only, before anything reads the time).
pub fn shift_clock(by: time::Duration) {
    let _ = CLOCK_SHIFT.set(by);
}

/// Now.
pub fn now() -> time::OffsetDateTime {
    time::OffsetDateTime::now_utc() + CLOCK_SHIFT.get().copied().unwrap_or(time::Duration::ZERO)
}

/// The current time in UTC, formatted as the database stores it.
pub fn now_utc() -> String {
    format_utc(now())
}

/// Today's date in Asia/Shanghai, the date people and policies mean.
pub fn today_shanghai() -> api::Date {
    shanghai_date(now())
}

/// The date in Asia/Shanghai at the moment `t`.
pub fn shanghai_date(t: time::OffsetDateTime) -> api::Date {
    let local = t.to_offset(SHANGHAI);
    api::Date::new(local.year(), u8::from(local.month()), local.day()).expect("a real date")
}

/// Reads a stored UTC time (RFC 3339), as [`format_utc`] writes them.
pub fn parse_utc(text: &str) -> Option<time::OffsetDateTime> {
    time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).ok()
}

/// A UTC timestamp as the database stores it: RFC 3339 with milliseconds and `Z`.
pub fn format_utc(t: time::OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    let format = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
    );
    t.format(&format).expect("a UTC timestamp always formats")
}

impl FromStr for Backend {
    type Err = anyhow::Error;
    fn from_str(s: &str) -> anyhow::Result<Backend> {
        Backend::of_url(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backend_follows_the_url() {
        assert_eq!(
            Backend::of_url("sqlite://data/zhida.sqlite").unwrap(),
            Backend::Sqlite
        );
        assert_eq!(Backend::of_url("sqlite::memory:").unwrap(), Backend::Sqlite);
        assert_eq!(
            Backend::of_url("postgres://127.0.0.1/zhida").unwrap(),
            Backend::Postgres
        );
        assert_eq!(
            Backend::of_url("postgresql://127.0.0.1/zhida").unwrap(),
            Backend::Postgres
        );
        assert!(Backend::of_url("mysql://127.0.0.1/zhida").is_err());
    }

    #[test]
    fn sqlite_path_drops_scheme_and_options() {
        assert_eq!(
            sqlite_path("sqlite://data/zhida.sqlite"),
            "data/zhida.sqlite"
        );
        assert_eq!(
            sqlite_path("sqlite:///tmp/z.sqlite?mode=rwc"),
            "/tmp/z.sqlite"
        );
    }

    /// A transaction that reads, lets another connection write, then writes itself: on SQLite
    /// the second writer waits for the first instead of breaking it ("database is locked").
    #[tokio::test]
    async fn a_transaction_that_reads_then_writes_is_not_broken_by_another_writer() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("z.sqlite").display());
        let db = Db::connect(&url).await.unwrap();
        db.migrate().await.unwrap();
        db.set_meta("k", "0").await.unwrap();

        let mut tx = db.begin().await.unwrap();
        sqlx::query("SELECT value FROM app_meta WHERE key = 'k'")
            .fetch_one(&mut *tx)
            .await
            .unwrap();
        let other = tokio::spawn({
            let db = db.clone();
            async move { db.set_meta("other", "1").await }
        });
        tokio::time::sleep(Duration::from_millis(200)).await;
        sqlx::query("UPDATE app_meta SET value = '1' WHERE key = 'k'")
            .execute(&mut *tx)
            .await
            .expect("the first transaction writes");
        tx.commit().await.unwrap();
        other
            .await
            .unwrap()
            .expect("the other writer waited its turn");
        assert_eq!(db.meta("k").await.unwrap().as_deref(), Some("1"));
        assert_eq!(db.meta("other").await.unwrap().as_deref(), Some("1"));
    }

    #[test]
    fn utc_text_sorts_and_reads_back() {
        let t = time::macros::datetime!(2026-11-29 02:19:05.123456 +08:00);
        assert_eq!(format_utc(t), "2026-11-28T18:19:05.123Z");
    }
}

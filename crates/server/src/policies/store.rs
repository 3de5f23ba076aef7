//! The policies as the database keeps them, versioned: the published set every feature reads
//! ([`Published`], held by [`PolicyBook`] and reloaded when a version is published or retired),
//! and the first start's seeding from a folder of policy files.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context as _};
use std::sync::{Arc, RwLock};

use rules::policy::Window;
use rules::Policy;
use sqlx::Row;

use crate::platform::db::{now_utc, Db};

/// The `app_meta` key changed whenever the published set changes (publication, retirement),
/// so that every instance reloads it.
pub const CHANGED_KEY: &str = "policies_changed";

/// Every published version (scheduled, in force or ended, retired ones included so that past
/// receipts stay readable), each with the window the decision gave it.
#[derive(Debug, Default)]
pub struct Published {
    versions: Vec<Policy>,
    /// Each version's file, by (policy, version).
    sources: std::collections::BTreeMap<(String, u32), String>,
    /// Retired policies: the retirement (kind, last day, notice).
    retirements: std::collections::BTreeMap<String, api::policy_admin::Retirement>,
    /// The marker it was read at (see [`CHANGED_KEY`]): the calculator caches by it.
    pub stamp: String,
}

impl Published {
    /// The set of `versions`, each with its file.
    pub fn new(versions: Vec<(Policy, String)>, stamp: String) -> Published {
        let mut sources = std::collections::BTreeMap::new();
        let mut versions: Vec<Policy> = versions
            .into_iter()
            .map(|(p, s)| {
                sources.insert((p.id.clone(), p.version), s);
                p
            })
            .collect();
        versions.sort_by(|a, b| a.id.cmp(&b.id).then(a.version.cmp(&b.version)));
        Published {
            versions,
            sources,
            retirements: Default::default(),
            stamp,
        }
    }

    /// The retirement of policy `id`, if it is retired.
    pub fn retirement(&self, id: &str) -> Option<&api::policy_admin::Retirement> {
        self.retirements.get(id)
    }

    /// A version's file (the rules language), as published.
    pub fn source(&self, id: &str, version: u32) -> Option<&str> {
        self.sources
            .get(&(id.to_owned(), version))
            .map(String::as_str)
    }

    /// Every published version, by policy and version.
    pub fn all(&self) -> &[Policy] {
        &self.versions
    }

    /// The versions in force on `date` (at most one per policy).
    pub fn in_force(&self, date: api::Date) -> impl Iterator<Item = &Policy> {
        self.versions
            .iter()
            .filter(move |p| p.effective.contains(date))
    }

    /// One version of a policy (a grant's, a receipt's).
    pub fn version(&self, id: &str, version: u32) -> Option<&Policy> {
        self.versions
            .iter()
            .find(|p| p.id == id && p.version == version)
    }

    /// The version people mean by a policy on `today`: the one in force, else the one about to
    /// start, else the last one (ended or retired).
    pub fn current(&self, id: &str, today: api::Date) -> Option<&Policy> {
        let versions: Vec<&Policy> = self.versions.iter().filter(|p| p.id == id).collect();
        versions
            .iter()
            .find(|p| p.effective.contains(today))
            .or_else(|| {
                versions
                    .iter()
                    .filter(|p| p.effective.from > today)
                    .min_by_key(|p| p.effective.from)
            })
            .or_else(|| versions.iter().max_by_key(|p| p.version))
            .copied()
    }

    /// Each policy once, as [`Published::current`] on `today`.
    pub fn each_current(&self, today: api::Date) -> Vec<&Policy> {
        let mut ids: Vec<&str> = self.versions.iter().map(|p| p.id.as_str()).collect();
        ids.dedup();
        ids.into_iter()
            .filter_map(|id| self.current(id, today))
            .collect()
    }
}

/// The published set this instance serves, swapped whole when it changes.
#[derive(Debug, Default)]
pub struct PolicyBook {
    published: RwLock<Arc<Published>>,
}

impl PolicyBook {
    /// A book holding `published` (tests, and tools that evaluate files).
    pub fn holding(published: Published) -> PolicyBook {
        PolicyBook {
            published: RwLock::new(Arc::new(published)),
        }
    }

    /// The set as it is now (cheap: a reference count).
    pub fn get(&self) -> Arc<Published> {
        self.published
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// The version people mean by policy `id` today (see [`Published::current`]).
    pub fn current(&self, id: &str) -> Option<Policy> {
        self.get()
            .current(id, crate::platform::db::today_shanghai())
            .cloned()
    }

    /// One version of a policy.
    pub fn version(&self, id: &str, version: u32) -> Option<Policy> {
        self.get().version(id, version).cloned()
    }

    /// Reads the published set from the database.
    pub async fn reload(&self, db: &Db) -> anyhow::Result<()> {
        let published = load_published(db).await?;
        *self
            .published
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Arc::new(published);
        Ok(())
    }

    /// Reloads when another instance (or this one) changed the set since it was read.
    pub async fn refresh(&self, db: &Db) -> anyhow::Result<bool> {
        let stamp = db.meta(CHANGED_KEY).await?.unwrap_or_default();
        if stamp == self.get().stamp {
            return Ok(false);
        }
        self.reload(db).await?;
        Ok(true)
    }
}

/// The name a stored version is compiled under (in its errors).
pub fn file_name(id: &str, version: u32) -> String {
    format!("{id} v{version}")
}

/// Compiles a stored version and gives it the window its decision set.
pub fn compile(
    id: &str,
    version: u32,
    source: &str,
    from: Option<&str>,
    until: Option<&str>,
) -> anyhow::Result<Policy> {
    let mut policy = rules::load(
        &file_name(id, version),
        source,
        rules::Catalogue::standard(),
    )?;
    anyhow::ensure!(
        policy.id == id && policy.version == version,
        "the stored policy {id} v{version} says it is {} v{}",
        policy.id,
        policy.version
    );
    let date = |s: &str| {
        s.parse::<api::Date>()
            .map_err(|_| anyhow::anyhow!("{id} v{version}: a stored date {s:?} is not a date"))
    };
    if let Some(from) = from {
        policy.effective = Window {
            from: date(from)?,
            until: until.map(date).transpose()?,
        };
    }
    Ok(policy)
}

/// Every published or retired version, compiled.
pub async fn load_published(db: &Db) -> anyhow::Result<Published> {
    let stamp = db.meta(CHANGED_KEY).await?.unwrap_or_default();
    let rows = sqlx::query(
        "SELECT policy_id, version, source, effective_from, effective_until, retirement_kind, \
         retirement_notice FROM policy_versions \
         WHERE status IN ('published', 'retired') ORDER BY policy_id, version",
    )
    .fetch_all(&db.pool)
    .await?;
    let mut versions = Vec::with_capacity(rows.len());
    let mut retirements = std::collections::BTreeMap::new();
    for r in rows {
        let id: String = r.try_get("policy_id")?;
        let version: i64 = r.try_get("version")?;
        let from: Option<String> = r.try_get("effective_from")?;
        let until: Option<String> = r.try_get("effective_until")?;
        let source: String = r.try_get("source")?;
        let policy = compile(
            &id,
            u32::try_from(version)?,
            &source,
            from.as_deref(),
            until.as_deref(),
        )?;
        let kind: Option<String> = r.try_get("retirement_kind")?;
        if let (Some(kind), Some(last_day)) = (
            kind.as_deref()
                .and_then(api::policy_admin::RetirementKind::parse),
            policy.effective.until,
        ) {
            retirements.insert(
                id.clone(),
                api::policy_admin::Retirement {
                    kind,
                    last_day,
                    notice: r
                        .try_get::<Option<String>, _>("retirement_notice")?
                        .unwrap_or_default(),
                },
            );
        }
        versions.push((policy, source));
    }
    let mut published = Published::new(versions, stamp);
    published.retirements = retirements;
    Ok(published)
}

/// Marks the published set changed (in the same transaction as the change).
pub async fn mark_changed(tx: &mut sqlx::Transaction<'static, sqlx::Any>) -> anyhow::Result<()> {
    let at = now_utc();
    sqlx::query(
        "INSERT INTO app_meta (key, value, updated_at) VALUES ($1, $2, $3) \
         ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
    )
    .bind(CHANGED_KEY)
    .bind(format!("{at}/{}", uuid::Uuid::new_v4()))
    .bind(&at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// On a database that holds no policy yet: every `*.toml` of `dir`, published as written (its
/// window from the file). Returns how many it published; refuses a folder with a bad file
/// whole.
pub async fn seed_if_empty(db: &Db, dir: &Path) -> anyhow::Result<usize> {
    let any: Option<String> = sqlx::query_scalar("SELECT policy_id FROM policy_versions LIMIT 1")
        .fetch_optional(&db.pool)
        .await?;
    if any.is_some() {
        return Ok(0);
    }
    if !dir.is_dir() {
        tracing::warn!(folder = %dir.display(), "no policy folder to seed the policies from");
        return Ok(0);
    }
    let files = read_folder(dir)?;
    seed(db, &files.iter().map(|(p, s)| (p, s)).collect::<Vec<_>>()).await?;
    Ok(files.len())
}

/// Every `*.toml` in `dir`, compiled, with its text; a second file of one id is refused.
pub fn read_folder(dir: &Path) -> anyhow::Result<Vec<(Policy, String)>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("reading the policy folder {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    if files.is_empty() {
        bail!("{} holds no policy files (*.toml)", dir.display());
    }
    let mut policies = Vec::new();
    for file in files {
        let source = std::fs::read_to_string(&file)
            .with_context(|| format!("reading {}", file.display()))?;
        let policy = rules::load(
            &file.display().to_string(),
            &source,
            rules::Catalogue::standard(),
        )?;
        if policies
            .iter()
            .any(|(p, _): &(Policy, String)| p.id == policy.id)
        {
            bail!(
                "{}: a second policy with id {:?}",
                file.display(),
                policy.id
            );
        }
        policies.push((policy, source));
    }
    Ok(policies)
}

/// Publishes compiled policies with their sources, as written (the first start, and tests).
pub async fn seed(db: &Db, policies: &[(&Policy, &String)]) -> anyhow::Result<()> {
    let at = now_utc();
    let mut tx = db.begin().await?;
    for (policy, source) in policies {
        sqlx::query(
            "INSERT INTO policy_versions (policy_id, version, status, source, effective_from, \
             effective_until, drafted_at, updated_at, submitted_at, approved_at, took_effect_at) \
             VALUES ($1, $2, 'published', $3, $4, $5, $6, $6, $6, $6, $6)",
        )
        .bind(&policy.id)
        .bind(i64::from(policy.version))
        .bind(source.as_str())
        .bind(policy.effective.from.to_string())
        .bind(policy.effective.until.map(|d| d.to_string()))
        .bind(&at)
        .execute(&mut *tx)
        .await?;
    }
    mark_changed(&mut tx).await?;
    tx.commit().await?;
    Ok(())
}

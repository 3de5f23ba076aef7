//! The departments' shared data as Zhida keeps it: subjects (residents and enterprises) with
//! their attributes and monthly facts, and the history of every change.
//!
//! Data arrives in [`Delivery`]s, from a department's feed or from `zhida import`. A delivery
//! is checked whole before anything is written ([`apply`]); on any problem nothing is applied
//! and every problem is named. Applying the same delivery twice changes nothing: only values
//! that differ from what is stored are written, each change with its history row (which
//! delivery, so who and when; old → new; the table keeps its first name, `batches`). A department's fact rows for (subject, table, month) are its
//! whole statement for that month: they replace the rows it sent before.

use std::collections::{BTreeMap, HashMap};

use rules::{Catalogue, Month, SubjectKind, Type, Value};
use serde_json::{json, Map, Value as Json};
use sqlx::Row;

pub use crate::platform::crypto::Sealed;
use crate::platform::db::{now_utc, Db};

/// New values for one subject's attributes; [`Value::Null`] clears one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    pub kind: SubjectKind,
    pub id: String,
    pub attributes: Vec<(String, Value)>,
    /// What the register says of who the subject is (kept apart from the attributes).
    pub identity: Identity,
}

/// A register's personal fields of one subject, sealed before they reach the store: a
/// resident's ID number and name, an enterprise's legal representative's ID number.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Identity {
    pub id_number: Personal,
    pub name: Personal,
}

impl Identity {
    pub fn is_unchanged(&self) -> bool {
        self.id_number == Personal::Unchanged && self.name == Personal::Unchanged
    }
}

/// One personal field in a delivery.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Personal {
    /// Not sent: what is stored stays.
    #[default]
    Unchanged,
    /// Sent empty: what is stored goes.
    Cleared,
    Set(Sealed),
}

impl Personal {
    fn hash(&self) -> Option<&[u8]> {
        match self {
            Personal::Set(s) => Some(&s.hash),
            _ => None,
        }
    }
}

/// A department's whole statement of one fact table for one enterprise and month.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FactSet {
    pub table: String,
    pub kind: SubjectKind,
    pub subject: String,
    pub month: Month,
    pub rows: Vec<BTreeMap<String, Value>>,
}

/// What one department sent at once (a feed's push, or a data set imported).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Delivery {
    pub records: Vec<Record>,
    pub facts: Vec<FactSet>,
}

/// Where a delivery came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// A department's feed (`POST /api/feeds/batches`).
    Api,
    /// `zhida import --data DIR`: a whole data set, every department's part of it.
    Import,
    /// The demo data seeded by `zhida serve --demo`.
    Demo,
}

impl Source {
    fn as_str(self) -> &'static str {
        match self {
            Source::Api => "api",
            Source::Import => "import",
            Source::Demo => "demo",
        }
    }
}

/// Which part of a batch a problem is in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Place {
    Record(usize),
    Facts(usize),
}

/// Why part of a batch cannot be applied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub place: Place,
    /// The field at fault (e.g. `id`, `subject`).
    pub field: &'static str,
    /// A key of the locale files' `errors.feed` section.
    pub reason: &'static str,
}

/// A batch applied: its id and the subjects whose data changed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Applied {
    pub batch_id: i64,
    pub records: usize,
    pub changed: Vec<i64>,
}

/// The department that keeps the register a kind of subject is created from: only its feed
/// may introduce a new resident or enterprise.
pub fn register_keeper(kind: SubjectKind) -> &'static str {
    match kind {
        SubjectKind::Resident => "public_security",
        SubjectKind::Enterprise => "market_regulation",
    }
}

pub fn kind_str(kind: SubjectKind) -> &'static str {
    match kind {
        SubjectKind::Resident => "resident",
        SubjectKind::Enterprise => "enterprise",
    }
}

pub fn parse_kind(s: &str) -> Option<SubjectKind> {
    match s {
        "resident" => Some(SubjectKind::Resident),
        "enterprise" => Some(SubjectKind::Enterprise),
        _ => None,
    }
}

/// A value as stored in JSON: numbers for ints and money, `YYYY-MM-DD` for dates, text for
/// codes and strings, booleans as such.
pub fn to_json(v: &Value) -> Json {
    match v {
        Value::Null => Json::Null,
        Value::Int(n) | Value::Money(n) => json!(n),
        Value::Date(d) => json!(d.to_string()),
        Value::Code(c) => json!(format!("{c:06}")),
        Value::String(s) => json!(s),
        Value::Bool(b) => json!(b),
    }
}

/// The inverse of [`to_json`] for an attribute of type `ty` (null when it does not fit).
pub fn from_json(ty: Type, j: &Json) -> Value {
    let v = match (ty, j) {
        (Type::Int, Json::Number(n)) => n.as_i64().map(Value::Int),
        (Type::Money, Json::Number(n)) => n.as_i64().map(Value::Money),
        (Type::Date, Json::String(s)) => s.parse().ok().map(Value::Date),
        (Type::Code, Json::String(s)) => s.parse().ok().map(Value::Code),
        (Type::String, Json::String(s)) => Some(Value::String(s.clone())),
        (Type::Bool, Json::Bool(b)) => Some(Value::Bool(*b)),
        _ => None,
    };
    v.unwrap_or(Value::Null)
}

/// The type of a fact table's field (`month` excluded).
pub fn fact_field_type(kind: SubjectKind, table: &str, field: &str) -> Option<Type> {
    Catalogue::standard()
        .fact_table(kind, table)?
        .field(field)
        .map(|f| f.ty)
}

/// A stored subject.
#[derive(Clone, Debug)]
struct Stored {
    id: i64,
    vals: Map<String, Json>,
    prov: Map<String, Json>,
}

/// Reads the stored subjects of `kind` among `refs`.
async fn load_stored(
    db: &Db,
    kind: SubjectKind,
    refs: &[&str],
) -> anyhow::Result<HashMap<String, Stored>> {
    let mut out = HashMap::new();
    let parse = |row: &sqlx::any::AnyRow| -> anyhow::Result<(String, Stored)> {
        let vals: String = row.try_get("vals")?;
        let prov: String = row.try_get("prov")?;
        Ok((
            row.try_get("ref")?,
            Stored {
                id: row.try_get("id")?,
                vals: serde_json::from_str(&vals)?,
                prov: serde_json::from_str(&prov)?,
            },
        ))
    };
    if refs.len() > 20_000 {
        // A whole data set: one pass over the table beats many lookups.
        let rows = sqlx::query("SELECT id, ref, vals, prov FROM subjects WHERE kind = $1")
            .bind(kind_str(kind))
            .fetch_all(&db.pool)
            .await?;
        for row in &rows {
            let (r, s) = parse(row)?;
            out.insert(r, s);
        }
        return Ok(out);
    }
    for chunk in refs.chunks(500) {
        let placeholders: Vec<String> = (0..chunk.len()).map(|i| format!("${}", i + 2)).collect();
        let sql = format!(
            "SELECT id, ref, vals, prov FROM subjects WHERE kind = $1 AND ref IN ({})",
            placeholders.join(", ")
        );
        let mut q = sqlx::query(&sql).bind(kind_str(kind));
        for r in chunk {
            q = q.bind(*r);
        }
        for row in &q.fetch_all(&db.pool).await? {
            let (r, s) = parse(row)?;
            out.insert(r, s);
        }
    }
    Ok(out)
}

/// Checks `batch` against the store and, when nothing is wrong, applies it in one
/// transaction. `department` is the feed's department (`None` for an import, which carries
/// every department's part).
pub async fn apply(
    db: &Db,
    department: Option<&str>,
    source: Source,
    batch: &Delivery,
) -> anyhow::Result<Result<Applied, Vec<Problem>>> {
    let mut stored: HashMap<(SubjectKind, String), Stored> = HashMap::new();
    for kind in [SubjectKind::Resident, SubjectKind::Enterprise] {
        let mut refs: Vec<&str> = batch
            .records
            .iter()
            .filter(|r| r.kind == kind)
            .map(|r| r.id.as_str())
            .chain(
                batch
                    .facts
                    .iter()
                    .filter(|f| f.kind == kind)
                    .map(|f| f.subject.as_str()),
            )
            .collect();
        refs.sort_unstable();
        refs.dedup();
        for (r, s) in load_stored(db, kind, &refs).await? {
            stored.insert((kind, r), s);
        }
    }

    // Check everything first.
    let mut problems = Vec::new();
    let may_create = |kind| department.is_none_or(|d| d == register_keeper(kind));
    let created: std::collections::HashSet<(SubjectKind, &str)> = batch
        .records
        .iter()
        .filter(|r| may_create(r.kind))
        .map(|r| (r.kind, r.id.as_str()))
        .collect();
    let known = |kind: SubjectKind, id: &str| {
        stored.contains_key(&(kind, id.to_owned())) || created.contains(&(kind, id))
    };
    for (i, r) in batch.records.iter().enumerate() {
        if !known(r.kind, &r.id) {
            problems.push(Problem {
                place: Place::Record(i),
                field: "id",
                reason: "unknown_subject",
            });
        }
    }
    problems.extend(resident_numbers_taken(db, batch).await?);
    for (i, f) in batch.facts.iter().enumerate() {
        if !known(f.kind, &f.subject) {
            problems.push(Problem {
                place: Place::Facts(i),
                field: "subject",
                reason: "unknown_subject",
            });
        }
    }
    if !problems.is_empty() {
        return Ok(Err(problems));
    }

    // Work out every change in memory, then write them in one transaction.
    let now = now_utc();
    let mut tx = db.begin().await?;
    let batch_id: i64 = sqlx::query_scalar(
        "INSERT INTO feed_batches (department, source, records, changed, received_at) \
         VALUES ($1, $2, $3, 0, $4) RETURNING id",
    )
    .bind(department.unwrap_or(match source {
        Source::Demo => "demo",
        _ => "import",
    }))
    .bind(source.as_str())
    .bind((batch.records.len() + batch.facts.len()) as i64)
    .bind(&now)
    .fetch_one(&mut *tx)
    .await?;

    // A feed's changes are matched at once, and marked until they are (a crash in between is
    // caught up at start). An import is matched as a whole by a run over everyone instead.
    let pending = i64::from(source != Source::Import);
    // Subjects as they will be, and their changes.
    let mut next: HashMap<(SubjectKind, String), Stored> = HashMap::new();
    let mut changes: HashMap<(SubjectKind, String), Map<String, Json>> = HashMap::new();
    for r in &batch.records {
        let key = (r.kind, r.id.clone());
        let entry = next.entry(key.clone()).or_insert_with(|| {
            stored.get(&key).cloned().unwrap_or(Stored {
                id: 0,
                vals: Map::new(),
                prov: Map::new(),
            })
        });
        for (name, value) in &r.attributes {
            let new = to_json(value);
            let old = entry.vals.get(name).cloned().unwrap_or(Json::Null);
            if old == new {
                continue;
            }
            if new.is_null() {
                entry.vals.remove(name);
            } else {
                entry.vals.insert(name.clone(), new.clone());
            }
            entry.prov.insert(name.clone(), json!(batch_id));
            let c = changes.entry(key.clone()).or_default();
            let first_old = c
                .get(name)
                .and_then(|pair| pair.get(0).cloned())
                .unwrap_or(old);
            c.insert(name.clone(), json!([first_old, new]));
        }
    }
    let mut changed_ids = Vec::new();
    let mut ids: HashMap<(SubjectKind, String), i64> =
        stored.iter().map(|(k, s)| (k.clone(), s.id)).collect();
    for (key, subject) in &next {
        let is_new = subject.id == 0;
        if !is_new && !changes.contains_key(key) {
            continue;
        }
        let vals = Json::Object(subject.vals.clone()).to_string();
        let prov = Json::Object(subject.prov.clone()).to_string();
        let id = if is_new {
            sqlx::query_scalar(
                "INSERT INTO subjects (kind, ref, vals, prov, pending, updated_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            )
            .bind(kind_str(key.0))
            .bind(&key.1)
            .bind(vals)
            .bind(prov)
            .bind(pending)
            .bind(&now)
            .fetch_one(&mut *tx)
            .await?
        } else {
            sqlx::query("UPDATE subjects SET vals = $1, prov = $2, pending = $3, updated_at = $4 WHERE id = $5")
                .bind(vals)
                .bind(prov)
                .bind(pending)
                .bind(&now)
                .bind(subject.id)
                .execute(&mut *tx)
                .await?;
            subject.id
        };
        ids.insert(key.clone(), id);
        if let Some(c) = changes.get(key) {
            sqlx::query(
                "INSERT INTO subject_changes (subject_id, batch_id, changes) VALUES ($1, $2, $3)",
            )
            .bind(id)
            .bind(batch_id)
            .bind(Json::Object(c.clone()).to_string())
            .execute(&mut *tx)
            .await?;
            changed_ids.push(id);
        }
    }

    for r in batch.records.iter().filter(|r| !r.identity.is_unchanged()) {
        let subject = ids[&(r.kind, r.id.clone())];
        write_identity(&mut tx, subject, r.kind, &r.identity, &now).await?;
    }

    // Facts: replace a (subject, table, month) only when its rows differ.
    for f in &batch.facts {
        let subject = ids[&(f.kind, f.subject.clone())];
        let month = f.month.to_string();
        let mut new_rows: Vec<String> = f
            .rows
            .iter()
            .map(|row| {
                Json::Object(row.iter().map(|(k, v)| (k.clone(), to_json(v))).collect()).to_string()
            })
            .collect();
        new_rows.sort();
        let mut old_rows: Vec<String> = sqlx::query_scalar(
            "SELECT fields FROM facts WHERE subject_id = $1 AND tbl = $2 AND month = $3",
        )
        .bind(subject)
        .bind(&f.table)
        .bind(&month)
        .fetch_all(&mut *tx)
        .await?;
        old_rows.sort();
        if old_rows == new_rows {
            continue;
        }
        sqlx::query("DELETE FROM facts WHERE subject_id = $1 AND tbl = $2 AND month = $3")
            .bind(subject)
            .bind(&f.table)
            .bind(&month)
            .execute(&mut *tx)
            .await?;
        for row in &new_rows {
            sqlx::query(
                "INSERT INTO facts (subject_id, tbl, month, fields, batch_id) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(subject)
            .bind(&f.table)
            .bind(&month)
            .bind(row)
            .bind(batch_id)
            .execute(&mut *tx)
            .await?;
        }
        let as_json = |rows: &[String]| -> Json {
            Json::Array(
                rows.iter()
                    .map(|r| serde_json::from_str(r).unwrap_or(Json::Null))
                    .collect(),
            )
        };
        let change =
            json!({ format!("{} {month}", f.table): [as_json(&old_rows), as_json(&new_rows)] });
        sqlx::query(
            "INSERT INTO subject_changes (subject_id, batch_id, changes) VALUES ($1, $2, $3)",
        )
        .bind(subject)
        .bind(batch_id)
        .bind(change.to_string())
        .execute(&mut *tx)
        .await?;
        sqlx::query("UPDATE subjects SET pending = $1 WHERE id = $2")
            .bind(pending)
            .bind(subject)
            .execute(&mut *tx)
            .await?;
        changed_ids.push(subject);
    }
    changed_ids.sort_unstable();
    changed_ids.dedup();
    sqlx::query("UPDATE feed_batches SET changed = $1 WHERE id = $2")
        .bind(changed_ids.len() as i64)
        .bind(batch_id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(Ok(Applied {
        batch_id,
        records: batch.records.len() + batch.facts.len(),
        changed: changed_ids,
    }))
}

/// Records whose resident ID number another resident holds, in the store or earlier in the
/// batch: the population register has one record per person.
async fn resident_numbers_taken(db: &Db, batch: &Delivery) -> anyhow::Result<Vec<Problem>> {
    let mut problems = Vec::new();
    let mut seen: HashMap<&[u8], &str> = HashMap::new();
    for (i, r) in batch.records.iter().enumerate() {
        let Some(hash) = r
            .identity
            .id_number
            .hash()
            .filter(|_| r.kind == SubjectKind::Resident)
        else {
            continue;
        };
        let held_by: Option<String> = match seen.get(hash) {
            Some(other) => Some((*other).to_owned()),
            None => sqlx::query_scalar(
                "SELECT s.ref FROM register_identities r JOIN subjects s ON s.id = r.subject_id \
                 WHERE r.kind = 'resident' AND r.id_number_hash = $1",
            )
            .bind(hash)
            .fetch_optional(&db.pool)
            .await?,
        };
        if held_by.is_some_and(|other| other != r.id) {
            problems.push(Problem {
                place: Place::Record(i),
                field: "attributes.id_number",
                reason: "id_number_taken",
            });
        }
        seen.insert(hash, &r.id);
    }
    Ok(problems)
}

/// Writes what the register says of who `subject` is, field by field; a repeat changes
/// nothing.
async fn write_identity(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    subject: i64,
    kind: SubjectKind,
    identity: &Identity,
    now: &str,
) -> anyhow::Result<()> {
    type Row = (
        Option<Vec<u8>>,
        Option<Vec<u8>>,
        Option<Vec<u8>>,
        Option<Vec<u8>>,
    );
    let stored: Option<Row> = sqlx::query_as(
        "SELECT id_number_enc, id_number_hash, name_enc, name_hash FROM register_identities \
         WHERE subject_id = $1",
    )
    .bind(subject)
    .fetch_optional(&mut **tx)
    .await?;
    let (mut number_enc, mut number_hash, mut name_enc, mut name_hash) =
        stored.clone().unwrap_or_default();
    for (field, enc, hash) in [
        (&identity.id_number, &mut number_enc, &mut number_hash),
        (&identity.name, &mut name_enc, &mut name_hash),
    ] {
        match field {
            Personal::Unchanged => {}
            Personal::Cleared => (*enc, *hash) = (None, None),
            // The same value again keeps its stored sealing (a repeat writes nothing).
            Personal::Set(s) if hash.as_deref() == Some(s.hash.as_slice()) => {}
            Personal::Set(s) => (*enc, *hash) = (Some(s.enc.clone()), Some(s.hash.clone())),
        }
    }
    let next = (number_enc, number_hash, name_enc, name_hash);
    if stored.as_ref() == Some(&next) || (stored.is_none() && next == Row::default()) {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO register_identities (subject_id, kind, id_number_enc, id_number_hash, name_enc, name_hash, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) \
         ON CONFLICT (subject_id) DO UPDATE SET id_number_enc = excluded.id_number_enc, \
         id_number_hash = excluded.id_number_hash, name_enc = excluded.name_enc, \
         name_hash = excluded.name_hash, updated_at = excluded.updated_at",
    )
    .bind(subject)
    .bind(kind_str(kind))
    .bind(next.0)
    .bind(next.1)
    .bind(next.2)
    .bind(next.3)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Adds the registers' personal fields to the records of a data set's batch, sealed with
/// `seal` (kind, value).
pub fn add_personal(
    batch: &mut Delivery,
    personal: &[dataset::personal::Personal],
    seal: &dyn Fn(&str, &str) -> Sealed,
) {
    let mut by_subject: HashMap<(SubjectKind, &str), &dataset::personal::Personal> = personal
        .iter()
        .map(|p| ((p.kind, p.id.as_str()), p))
        .collect();
    for r in &mut batch.records {
        let Some(p) = by_subject.remove(&(r.kind, r.id.as_str())) else {
            continue;
        };
        if let Some(n) = &p.id_number {
            r.identity.id_number = Personal::Set(seal("id_number", n.expose()));
        }
        if let Some(name) = &p.name {
            r.identity.name = Personal::Set(seal("name", &dataset::personal::normalize_name(name)));
        }
    }
}

/// A data set (DATASET.md) as one batch: every subject's whole record and every fact row.
pub fn delivery_of_data_set(set: &dataset::DataSet) -> Delivery {
    let mut batch = Delivery::default();
    for population in [&set.residents, &set.enterprises] {
        for row in 0..population.len() {
            batch.records.push(Record {
                kind: population.kind,
                id: population.ids.get(row).to_owned(),
                attributes: population
                    .columns
                    .iter()
                    .map(|(name, column)| (name.clone(), column.value(row)))
                    .collect(),
                identity: Identity::default(),
            });
        }
        let mut sets: BTreeMap<(u32, String, i32), Vec<BTreeMap<String, Value>>> = BTreeMap::new();
        for (table, rows) in &population.facts {
            for i in 0..rows.subject.len() {
                sets.entry((rows.subject[i], table.clone(), rows.month[i]))
                    .or_default()
                    .push(
                        rows.columns
                            .iter()
                            .map(|(n, c)| (n.clone(), c.value(i)))
                            .collect(),
                    );
            }
        }
        for ((row, table, month), rows) in sets {
            batch.facts.push(FactSet {
                table,
                kind: population.kind,
                subject: population.ids.get(row as usize).to_owned(),
                month: Month {
                    year: month.div_euclid(12),
                    month: (month.rem_euclid(12) + 1) as u8,
                },
                rows,
            });
        }
    }
    batch
}

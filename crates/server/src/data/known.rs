//! Reading what is known: one subject with where each value came from, or a whole kind of
//! subject as columns for the rules engine.

use std::collections::{BTreeMap, HashMap};

use rules::batch::{Column, FactRows, Ids, Population};
use rules::{Catalogue, Month, SubjectKind, Type, Value};
use serde_json::{Map, Value as Json};
use sqlx::Row;

use crate::data::store::{fact_field_type, from_json, kind_str, parse_kind};
use crate::platform::db::Db;

/// A subject as the rules engine sees it, with where each value came from.
#[derive(Clone, Debug)]
pub struct Known {
    pub id: i64,
    pub kind: SubjectKind,
    pub subject: rules::Subject,
    /// Per attribute: the batch that set it, its department (`import` for a data set) and time.
    pub sources: BTreeMap<String, Provenance>,
    /// Per fact table and month: the batch that sent its rows.
    pub fact_sources: BTreeMap<(String, Month), Provenance>,
}

/// Where a value came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Provenance {
    pub batch: i64,
    pub at: String,
}

/// Reads a stored subject with all its facts.
pub async fn load_subject(db: &Db, id: i64) -> anyhow::Result<Option<Known>> {
    let Some(row) = sqlx::query("SELECT kind, ref, vals, prov FROM subjects WHERE id = $1")
        .bind(id)
        .fetch_optional(&db.pool)
        .await?
    else {
        return Ok(None);
    };
    let kind = parse_kind(&row.try_get::<String, _>("kind")?)
        .ok_or_else(|| anyhow::anyhow!("subject {id} has an unknown kind"))?;
    let vals: Map<String, Json> = serde_json::from_str(&row.try_get::<String, _>("vals")?)?;
    let prov: Map<String, Json> = serde_json::from_str(&row.try_get::<String, _>("prov")?)?;
    let mut subject = rules::Subject {
        id: row.try_get("ref")?,
        ..Default::default()
    };
    let catalogue = Catalogue::standard();
    for (name, j) in &vals {
        if let Some(a) = catalogue.attribute(kind, name) {
            subject.attributes.insert(name.clone(), from_json(a.ty, j));
        }
    }
    let batches: Vec<i64> = prov.values().filter_map(Json::as_i64).collect();
    let times = batch_times(db, &batches).await?;
    let sources = prov
        .iter()
        .filter_map(|(name, b)| {
            let b = b.as_i64()?;
            Some((
                name.clone(),
                Provenance {
                    batch: b,
                    at: times.get(&b).cloned().unwrap_or_default(),
                },
            ))
        })
        .collect();
    let mut fact_sources = BTreeMap::new();
    let rows = sqlx::query(
        "SELECT f.tbl, f.month, f.fields, f.batch_id, b.received_at FROM facts f \
         JOIN feed_batches b ON b.id = f.batch_id WHERE f.subject_id = $1 ORDER BY f.id",
    )
    .bind(id)
    .fetch_all(&db.pool)
    .await?;
    for row in rows {
        let table: String = row.try_get("tbl")?;
        let Ok(month) = row.try_get::<String, _>("month")?.parse::<Month>() else {
            continue;
        };
        let fields: Map<String, Json> = serde_json::from_str(&row.try_get::<String, _>("fields")?)?;
        let fields = fields
            .iter()
            .filter_map(|(k, v)| Some((k.clone(), from_json(fact_field_type(kind, &table, k)?, v))))
            .collect();
        fact_sources.insert(
            (table.clone(), month),
            Provenance {
                batch: row.try_get("batch_id")?,
                at: row.try_get("received_at")?,
            },
        );
        subject.facts.push(rules::eval::Fact {
            table,
            month,
            fields,
        });
    }
    Ok(Some(Known {
        id,
        kind,
        subject,
        sources,
        fact_sources,
    }))
}

/// When each batch was received.
async fn batch_times(db: &Db, batches: &[i64]) -> anyhow::Result<HashMap<i64, String>> {
    let mut batches = batches.to_vec();
    batches.sort_unstable();
    batches.dedup();
    let mut out = HashMap::new();
    for chunk in batches.chunks(500) {
        let placeholders: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT id, received_at FROM feed_batches WHERE id IN ({})",
            placeholders.join(", ")
        );
        let mut q = sqlx::query(&sql);
        for b in chunk {
            q = q.bind(*b);
        }
        for row in q.fetch_all(&db.pool).await? {
            out.insert(row.try_get("id")?, row.try_get("received_at")?);
        }
    }
    Ok(out)
}

/// The subject id of a resident or enterprise known by its departments' id.
pub async fn subject_id(db: &Db, kind: SubjectKind, r: &str) -> anyhow::Result<Option<i64>> {
    Ok(
        sqlx::query_scalar("SELECT id FROM subjects WHERE kind = $1 AND ref = $2")
            .bind(kind_str(kind))
            .bind(r)
            .fetch_optional(&db.pool)
            .await?,
    )
}

/// Every stored subject of `kind` in columns, for a run over the whole population: the
/// attributes in `keep` and the fact rows of `month`. Also returns each row's subject id.
pub async fn load_population(
    db: &Db,
    kind: SubjectKind,
    keep: &std::collections::BTreeSet<String>,
    month: Month,
) -> anyhow::Result<(Population, Vec<i64>)> {
    let catalogue = Catalogue::standard();
    let attributes: Vec<(&str, Type)> = catalogue
        .attributes(kind)
        .iter()
        .filter(|a| keep.contains(&a.name))
        .map(|a| (a.name.as_str(), a.ty))
        .collect();
    // Fetched a chunk of subjects per row, joined in SQL: a row per subject costs more in the
    // driver than the whole evaluation. Ids and refs hold no control characters (checked when
    // they arrive) and JSON escapes them, so the separators cannot occur in the data.
    // SQLite: `+kind` keeps the planner on the primary key (a range scan) rather than the
    // (kind, ref) index and a sort per chunk.
    let (join, kind_test) = match db.backend {
        crate::platform::db::Backend::Sqlite => (
            "group_concat(CAST(id AS TEXT) || char(31) || ref || char(31) || vals, char(30))",
            "+kind = $1",
        ),
        crate::platform::db::Backend::Postgres => (
            "string_agg(CAST(id AS TEXT) || chr(31) || ref || chr(31) || vals, chr(30) ORDER BY id)",
            "kind = $1",
        ),
    };
    let sql = format!(
        "SELECT {join} FROM (SELECT id, ref, vals FROM subjects WHERE {kind_test} AND id > $2 ORDER BY id LIMIT 20000) t"
    );
    let mut ids = Vec::new();
    let mut values: Vec<Vec<Value>> = vec![Vec::new(); attributes.len()];
    let mut refs = Ids::default();
    let mut after = 0i64;
    loop {
        let chunk: Option<String> = sqlx::query_scalar(&sql)
            .bind(kind_str(kind))
            .bind(after)
            .fetch_one(&db.pool)
            .await?;
        let Some(chunk) = chunk.filter(|c| !c.is_empty()) else {
            break;
        };
        for record in chunk.split('\u{1e}') {
            let mut parts = record.splitn(3, '\u{1f}');
            let (Some(id), Some(r), Some(vals)) = (parts.next(), parts.next(), parts.next()) else {
                anyhow::bail!("a subject row did not read back: {record:.80}");
            };
            let id: i64 = id.parse()?;
            after = after.max(id);
            ids.push(id);
            refs.push(r);
            let vals: Map<String, Json> = serde_json::from_str(vals)?;
            for ((name, ty), column) in attributes.iter().zip(values.iter_mut()) {
                column.push(vals.get(*name).map_or(Value::Null, |j| from_json(*ty, j)));
            }
        }
    }
    let mut population = Population::new(kind);
    population.ids = refs;
    for ((name, ty), column) in attributes.iter().zip(values) {
        population
            .columns
            .insert((*name).to_owned(), Column::from_values(*ty, &column));
    }
    let row_of: HashMap<i64, u32> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| (*id, i as u32))
        .collect();
    for table in &catalogue.fact {
        if table.subject != kind {
            continue;
        }
        let rows =
            sqlx::query("SELECT subject_id, fields FROM facts WHERE tbl = $1 AND month = $2")
                .bind(&table.table)
                .bind(month.to_string())
                .fetch_all(&db.pool)
                .await?;
        let mut facts = FactRows::default();
        let mut columns: Vec<Vec<Value>> = vec![Vec::new(); table.fields.len()];
        for row in &rows {
            let Some(&r) = row_of.get(&row.try_get::<i64, _>("subject_id")?) else {
                continue;
            };
            facts.subject.push(r);
            facts.month.push(month.index());
            let fields: Map<String, Json> =
                serde_json::from_str(&row.try_get::<String, _>("fields")?)?;
            for (f, column) in table.fields.iter().zip(columns.iter_mut()) {
                column.push(
                    fields
                        .get(&f.name)
                        .map_or(Value::Null, |j| from_json(f.ty, j)),
                );
            }
        }
        for (f, column) in table.fields.iter().zip(columns) {
            facts
                .columns
                .insert(f.name.clone(), Column::from_values(f.ty, &column));
        }
        population.facts.insert(table.table.clone(), facts);
    }
    Ok((population, ids))
}

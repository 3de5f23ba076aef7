//! Departments' data feeds: a department (a machine client, `accounts::departments`) pushes
//! records and monthly facts; it may write only the attributes and fact tables the rules
//! catalogue says it owns.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use rules::{Catalogue, Month, SubjectKind};
use serde::{Deserialize, Serialize};
use serde_json::Value as Json_;
use utoipa::ToSchema;

use api::ErrorBody;

use crate::accounts::departments::Department;
use crate::data::store;
use crate::platform::i18n::{self, Lang};
use crate::platform::json::ApiJson;

use crate::platform::error::ApiError;
use crate::AppState;

/// The most records and fact sets one push may carry (a bigger load goes through `zhida import`).
pub const MAX_BATCH: usize = 10_000;
/// The largest body a push may have.
pub const FEED_BODY_LIMIT: usize = 8 * 1024 * 1024;

/// A push of a department's data: new values for subjects' attributes, and whole months of
/// fact rows. Values are written as in the data set's files (DATASET.md): dates
/// `"YYYY-MM-DD"`, money as integer fen, division codes as `"440604"`; `null` clears a value.
#[derive(Clone, Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FeedBatch {
    #[serde(default)]
    pub records: Vec<FeedRecord>,
    #[serde(default)]
    pub facts: Vec<FeedFacts>,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FeedRecord {
    /// `resident` or `enterprise`.
    pub subject: String,
    /// The subject's id in the departments' shared data (`resident_id`, `enterprise_id`).
    pub id: String,
    /// Attribute name → value; only the department's own attributes (see the catalogue).
    #[schema(value_type = Object)]
    pub attributes: BTreeMap<String, Json_>,
}

/// Every row of one fact table for one subject and month: they replace what was sent before.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FeedFacts {
    pub table: String,
    /// The enterprise's id.
    pub subject_id: String,
    /// `YYYY-MM`.
    pub month: String,
    #[schema(value_type = Vec<Object>)]
    pub rows: Vec<BTreeMap<String, Json_>>,
}

/// A push applied.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct FeedReceipt {
    pub batch_id: i64,
    pub records: usize,
    /// Subjects whose data changed (0 when the push repeated what was known).
    pub changed_subjects: usize,
}

/// A push refused: nothing of it was applied.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct FeedRejected {
    /// `invalid_batch`.
    pub code: String,
    pub message: String,
    /// Every problem found, each with its place in the body.
    pub problems: Vec<FeedProblem>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct FeedProblem {
    /// Where, as a path into the body: `records[3].attributes.birth_date`.
    pub path: String,
    /// Machine-readable: `unknown_attribute`, `not_your_attribute`, `invalid_value`, …
    pub code: String,
    pub message: String,
    /// What exactly is wrong with a value (English).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// A problem found in a push: its path in the body, its code, and what exactly is wrong.
type Issue = (String, &'static str, Option<String>);

/// The file of DATASET.md a kind of subject's attributes are checked as.
fn file_of(kind: SubjectKind) -> &'static str {
    match kind {
        SubjectKind::Resident => "residents",
        SubjectKind::Enterprise => "enterprises",
    }
}

/// A JSON value as a field of a file would hold it.
fn as_field(j: &Json_) -> Option<String> {
    match j {
        Json_::Null => Some(String::new()),
        Json_::String(s) => Some(s.clone()),
        Json_::Number(n) => Some(n.to_string()),
        Json_::Bool(b) => Some(b.to_string()),
        Json_::Array(_) | Json_::Object(_) => None,
    }
}

/// The register fields of a kind of subject that are personal data: they are sealed and kept
/// apart from the attributes (DATASET.md). Only the register's keeper sends them.
pub fn personal_field(kind: SubjectKind, name: &str) -> Option<PersonalField> {
    match (kind, name) {
        (SubjectKind::Resident, "id_number") | (SubjectKind::Enterprise, "legal_rep_id_number") => {
            Some(PersonalField::IdNumber)
        }
        (SubjectKind::Resident, "name") => Some(PersonalField::Name),
        _ => None,
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PersonalField {
    IdNumber,
    Name,
}

/// Reads one personal field as sent: empty clears it, otherwise it must be a valid ID number
/// or a name. The problem names no value (it is personal data).
pub fn read_personal(
    field: PersonalField,
    text: &str,
    seal: &dyn Fn(&str, &str) -> store::Sealed,
) -> Result<store::Personal, String> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(store::Personal::Cleared);
    }
    match field {
        PersonalField::IdNumber => {
            let id = api::IdNumber::parse(text, crate::platform::db::today_shanghai())
                .map_err(|e| format!("not a valid ID number ({e:?})"))?;
            Ok(store::Personal::Set(seal("id_number", id.expose())))
        }
        PersonalField::Name => {
            dataset::personal::check_name(text)?;
            Ok(store::Personal::Set(seal(
                "name",
                &dataset::personal::normalize_name(text),
            )))
        }
    }
}

/// Reads a push into a batch, naming every problem. Only `department`'s own attributes and
/// tables may be written. Personal fields are sealed with `seal` (kind, value).
pub fn read_delivery(
    department: &str,
    body: &FeedBatch,
    seal: &dyn Fn(&str, &str) -> store::Sealed,
) -> Result<store::Delivery, Vec<Issue>> {
    let catalogue = Catalogue::standard();
    let mut problems = Vec::new();
    let mut batch = store::Delivery::default();
    if body.records.len() + body.facts.len() > MAX_BATCH {
        problems.push(("records".to_owned(), "too_many", None));
        return Err(problems);
    }
    if body.records.is_empty() && body.facts.is_empty() {
        problems.push(("records".to_owned(), "empty_batch", None));
        return Err(problems);
    }
    for (i, r) in body.records.iter().enumerate() {
        let at = |rest: &str| format!("records[{i}]{rest}");
        let Some(kind) = store::parse_kind(&r.subject) else {
            problems.push((at(".subject"), "unknown_subject_kind", None));
            continue;
        };
        if r.id.trim().is_empty() || r.id.len() > 64 || r.id.chars().any(char::is_control) {
            problems.push((at(".id"), "invalid_id", None));
            continue;
        }
        let mut attributes = Vec::new();
        let mut identity = store::Identity::default();
        for (name, value) in &r.attributes {
            let path = at(&format!(".attributes.{name}"));
            if let Some(field) = personal_field(kind, name) {
                if department != store::register_keeper(kind) {
                    problems.push((path, "not_your_attribute", None));
                    continue;
                }
                let text = match value {
                    Json_::Null => String::new(),
                    Json_::String(s) => s.clone(),
                    _ => {
                        problems.push((
                            path,
                            "invalid_value",
                            Some("expected a string or null".into()),
                        ));
                        continue;
                    }
                };
                match read_personal(field, &text, seal) {
                    Ok(v) => match field {
                        PersonalField::IdNumber => identity.id_number = v,
                        PersonalField::Name => identity.name = v,
                    },
                    Err(why) => problems.push((path, "invalid_value", Some(why))),
                }
                continue;
            }
            let Some(a) = catalogue.attribute(kind, name) else {
                problems.push((path, "unknown_attribute", None));
                continue;
            };
            if a.department.code() != department {
                problems.push((path, "not_your_attribute", None));
                continue;
            }
            let Some(text) = as_field(value) else {
                problems.push((
                    path,
                    "invalid_value",
                    Some("expected a string, number, boolean or null".into()),
                ));
                continue;
            };
            match dataset::parse_field(file_of(kind), name, &text) {
                Ok(v) => attributes.push((name.clone(), v)),
                Err(why) => problems.push((path, "invalid_value", Some(why))),
            }
        }
        batch.records.push(store::Record {
            kind,
            id: r.id.trim().to_owned(),
            attributes,
            identity,
        });
    }
    for (i, f) in body.facts.iter().enumerate() {
        let at = |rest: &str| format!("facts[{i}]{rest}");
        let kind = SubjectKind::Enterprise;
        let Some(table) = catalogue.fact_table(kind, &f.table) else {
            problems.push((at(".table"), "unknown_table", None));
            continue;
        };
        if table.department.code() != department {
            problems.push((at(".table"), "not_your_table", None));
            continue;
        }
        let Ok(month) = f.month.parse::<Month>() else {
            problems.push((
                at(".month"),
                "invalid_value",
                Some(format!("{:?} is not a month (YYYY-MM)", f.month)),
            ));
            continue;
        };
        if f.subject_id.trim().is_empty() || f.subject_id.chars().any(char::is_control) {
            problems.push((at(".subject_id"), "invalid_id", None));
            continue;
        }
        let mut rows = Vec::new();
        for (j, row) in f.rows.iter().enumerate() {
            let mut fields = BTreeMap::new();
            for name in row.keys() {
                if table.field(name).is_none() {
                    problems.push((at(&format!(".rows[{j}].{name}")), "unknown_field", None));
                }
            }
            for field in &table.fields {
                let path = at(&format!(".rows[{j}].{}", field.name));
                let text = row.get(&field.name).map_or(Some(String::new()), as_field);
                let Some(text) = text else {
                    problems.push((
                        path,
                        "invalid_value",
                        Some("expected a string, number, boolean or null".into()),
                    ));
                    continue;
                };
                match dataset::parse_field(&table.table, &field.name, &text) {
                    Ok(v) => {
                        fields.insert(field.name.clone(), v);
                    }
                    Err(why) => problems.push((path, "invalid_value", Some(why))),
                }
            }
            rows.push(fields);
        }
        batch.facts.push(store::FactSet {
            table: table.table.clone(),
            kind,
            subject: f.subject_id.trim().to_owned(),
            month,
            rows,
        });
    }
    if problems.is_empty() {
        Ok(batch)
    } else {
        Err(problems)
    }
}

fn rejected(lang: Lang, problems: Vec<Issue>) -> Response {
    let body = FeedRejected {
        code: "invalid_batch".to_owned(),
        message: i18n::message(
            lang,
            "server.feed.invalid_batch",
            &[("count", problems.len().to_string())],
        ),
        problems: problems
            .into_iter()
            .map(|(path, code, detail)| FeedProblem {
                message: i18n::message(
                    lang,
                    &format!("server.feed.{code}"),
                    &[("path", path.clone())],
                ),
                path,
                code: code.to_owned(),
                detail,
            })
            .collect(),
    };
    let mut response = (StatusCode::UNPROCESSABLE_ENTITY, Json(body)).into_response();
    response.headers_mut().insert(
        axum::http::header::CONTENT_LANGUAGE,
        axum::http::HeaderValue::from_static(lang.tag()),
    );
    response
}

/// A department pushes data: checked whole, applied whole or not at all, and the subjects it
/// changes are matched against the policies at once.
#[utoipa::path(post, path = "/api/feeds/batches", tag = "feeds",
    request_body = FeedBatch,
    security(("department_key" = [])),
    responses(
        (status = 200, description = "Applied (a repeat changes nothing)", body = FeedReceipt),
        (status = 401, description = "No valid department key", body = ErrorBody),
        (status = 413, description = "Larger than 8 MiB", body = ErrorBody),
        (status = 422, description = "Nothing applied: every problem is listed", body = FeedRejected),
    ))]
pub async fn push(
    State(state): State<AppState>,
    Department(department): Department,
    headers: axum::http::HeaderMap,
    ApiJson(body): ApiJson<FeedBatch>,
) -> Result<Response, ApiError> {
    let lang = Lang::from_headers(&headers);
    let seal = |kind: &str, value: &str| state.vault.seal(kind, value);
    let batch = match read_delivery(&department, &body, &seal) {
        Ok(b) => b,
        Err(problems) => return Ok(rejected(lang, problems)),
    };
    let applied = match Box::pin(store::apply(
        &state.db,
        Some(&department),
        store::Source::Api,
        &batch,
    ))
    .await?
    {
        Ok(a) => a,
        Err(problems) => {
            let problems = problems
                .into_iter()
                .map(|p| {
                    let path = match p.place {
                        store::Place::Record(i) => format!("records[{i}].{}", p.field),
                        store::Place::Facts(i) => format!("facts[{i}].subject_id"),
                    };
                    (path, p.reason, None)
                })
                .collect();
            return Ok(rejected(lang, problems));
        }
    };
    tracing::info!(
        department,
        batch = applied.batch_id,
        changed = applied.changed.len(),
        "feed batch applied"
    );
    state
        .after_data_change
        .after_change(&state, &applied.changed)
        .await;
    Ok(Json(FeedReceipt {
        batch_id: applied.batch_id,
        records: applied.records,
        changed_subjects: applied.changed.len(),
    })
    .into_response())
}

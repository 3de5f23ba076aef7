//! A grant's receipt: what the rules saw and decided, kept with the grant, and replayed to
//! explain it later exactly as it was decided.

use std::collections::BTreeMap;

use rules::{Catalogue, Context, Month, Policy};
use serde_json::{json, Map, Value as Json};

use crate::data::known::Known;
use crate::data::store;

/// The decision receipt: everything the decision used, with where it came from, so that the
/// explanation can be rebuilt exactly as it was (policy versions never change once published).
pub fn receipt(policy: &Policy, known: &Known, ctx: &Context, amount_fen: i64) -> Json {
    let catalogue = Catalogue::standard();
    let used = policy.attributes();
    let mut attributes = Map::new();
    for name in &used {
        let Some(a) = catalogue.attribute(known.kind, name) else {
            continue;
        };
        let source = known.sources.get(name);
        attributes.insert(
            name.clone(),
            json!({
                "value": store::to_json(known.subject.get(name)),
                "department": a.department.code(),
                "batch": source.map(|s| s.batch),
                "at": source.map(|s| s.at.clone()),
            }),
        );
    }
    let mut facts: BTreeMap<&str, Vec<Json>> = BTreeMap::new();
    for f in known.subject.facts.iter().filter(|f| f.month == ctx.month) {
        facts.entry(&f.table).or_default().push(Json::Object(
            f.fields
                .iter()
                .map(|(k, v)| (k.clone(), store::to_json(v)))
                .collect(),
        ));
    }
    let facts: Vec<Json> = facts
        .into_iter()
        .map(|(table, rows)| {
            let source = known.fact_sources.get(&(table.to_owned(), ctx.month));
            let department = catalogue
                .fact_table(known.kind, table)
                .map(|t| t.department.code());
            json!({
                "table": table,
                "month": ctx.month.to_string(),
                "rows": rows,
                "department": department,
                "batch": source.map(|s| s.batch),
                "at": source.map(|s| s.at.clone()),
            })
        })
        .collect();
    json!({
        "policy": policy.id,
        "version": policy.version,
        "subject": known.subject.id,
        "kind": store::kind_str(known.kind),
        "month": ctx.month.to_string(),
        "reference_date": ctx.reference_date.to_string(),
        "amount_fen": amount_fen,
        "attributes": attributes,
        "facts": facts,
    })
}

/// The subject and run a receipt records, to evaluate the policy again exactly as decided.
pub fn replay(receipt: &Json) -> Option<(rules::Subject, Context)> {
    let kind = store::parse_kind(receipt.get("kind")?.as_str()?)?;
    let month: Month = receipt.get("month")?.as_str()?.parse().ok()?;
    let reference_date = receipt.get("reference_date")?.as_str()?.parse().ok()?;
    let catalogue = Catalogue::standard();
    let mut subject = rules::Subject {
        id: receipt.get("subject")?.as_str()?.to_owned(),
        ..Default::default()
    };
    for (name, a) in receipt.get("attributes")?.as_object()? {
        let ty = catalogue.attribute(kind, name)?.ty;
        let value = store::from_json(ty, a.get("value")?);
        if !value.is_null() {
            subject.attributes.insert(name.clone(), value);
        }
    }
    for f in receipt.get("facts")?.as_array()? {
        let table = f.get("table")?.as_str()?;
        for row in f.get("rows")?.as_array()? {
            let fields = row
                .as_object()?
                .iter()
                .filter_map(|(k, v)| {
                    Some((
                        k.clone(),
                        store::from_json(store::fact_field_type(kind, table, k)?, v),
                    ))
                })
                .collect();
            subject.facts.push(rules::eval::Fact {
                table: table.to_owned(),
                month,
                fields,
            });
        }
    }
    Some((
        subject,
        Context {
            month,
            reference_date,
        },
    ))
}

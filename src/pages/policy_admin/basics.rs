//! The policy's basic facts as a form (names, dates, budget, consent window, legal basis),
//! written into the policy file in place: the file stays the one truth, its layout and
//! comments kept, and the conditions and amounts stay in the rules language below.

use leptos::prelude::*;
use toml_edit::{DocumentMut, Item, Value};

use crate::prefs::{tr, use_prefs};

/// Where a field lives in the file, and how it is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    NameZh,
    NameEn,
    From,
    Until,
    /// Yuan in the form, fen in the file.
    Budget,
    ConsentDays,
    Document,
    Clause,
    /// How often it pays: a choice.
    Period,
    /// How it reaches people: a choice.
    Mode,
    /// A fixed amount per period (yuan in the form).
    Fen,
    /// A proportional amount's least and most (yuan in the form).
    Floor,
    Cap,
}

impl Field {
    const ALL: [Field; 13] = [
        Field::NameZh,
        Field::NameEn,
        Field::Mode,
        Field::Period,
        Field::Fen,
        Field::Floor,
        Field::Cap,
        Field::From,
        Field::Until,
        Field::Budget,
        Field::ConsentDays,
        Field::Document,
        Field::Clause,
    ];

    /// The table (none: the top) and key.
    fn place(self) -> (Option<&'static str>, &'static str) {
        match self {
            Field::NameZh => (Some("name"), "zh-CN"),
            Field::NameEn => (Some("name"), "en"),
            Field::From => (Some("effective"), "from"),
            Field::Until => (Some("effective"), "until"),
            Field::Budget => (None, "annual_budget_fen"),
            Field::ConsentDays => (None, "consent_days"),
            Field::Document => (Some("legal_basis"), "document"),
            Field::Clause => (Some("legal_basis"), "clause"),
            Field::Period => (None, "period"),
            Field::Mode => (None, "mode"),
            Field::Fen => (Some("amount"), "fen"),
            Field::Floor => (Some("amount"), "floor"),
            Field::Cap => (Some("amount"), "cap"),
        }
    }

    fn key(self) -> &'static str {
        match self {
            Field::NameZh => "name-zh",
            Field::NameEn => "name-en",
            Field::From => "from",
            Field::Until => "until",
            Field::Budget => "budget",
            Field::ConsentDays => "consent-days",
            Field::Document => "document",
            Field::Clause => "clause",
            Field::Period => "period",
            Field::Mode => "mode",
            Field::Fen => "fen",
            Field::Floor => "floor",
            Field::Cap => "cap",
        }
    }

    /// Money: yuan in the form, fen in the file.
    fn is_money(self) -> bool {
        matches!(self, Field::Budget | Field::Fen | Field::Floor | Field::Cap)
    }

    /// The values a choice may take.
    pub fn choices(self) -> &'static [&'static str] {
        match self {
            Field::Period => &["monthly", "annual", "once"],
            Field::Mode => &[
                "automatic",
                "automatic_after_consent",
                "apply_instant",
                "apply_reviewed",
            ],
            _ => &[],
        }
    }

    /// May be left empty (then it is taken out of the file).
    fn optional(self) -> bool {
        matches!(
            self,
            Field::Until | Field::Budget | Field::ConsentDays | Field::Floor | Field::Cap
        )
    }
}

/// Why a field's text cannot go into the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    Required,
    Date,
    Yuan,
    Days,
}

/// What the form shows of a file, read in one pass: each field's value (in the order of
/// [`Field::ALL`]) and the amount's kind; `None` when the file is not readable.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Facts {
    values: Vec<String>,
    pub amount_kind: String,
}

impl Facts {
    pub fn read(source: &str) -> Option<Facts> {
        let doc: DocumentMut = source.parse().ok()?;
        Some(Facts {
            values: Field::ALL.iter().map(|f| value_in(&doc, *f)).collect(),
            amount_kind: doc
                .get("amount")
                .and_then(|a| a.get("kind"))
                .and_then(|k| k.as_str())
                .unwrap_or_default()
                .to_owned(),
        })
    }

    pub fn value(&self, field: Field) -> &str {
        Field::ALL
            .iter()
            .position(|f| *f == field)
            .map_or("", |i| &self.values[i])
    }
}

/// The field's value in the form, from a parsed file.
fn value_in(doc: &DocumentMut, field: Field) -> String {
    let (table, key) = field.place();
    let item = match table {
        Some(t) => doc.get(t).and_then(|t| t.get(key)),
        None => doc.get(key),
    };
    let Some(item) = item else {
        return String::new();
    };
    match field {
        f if f.is_money() => item
            .as_integer()
            .map(api::text::plain_yuan)
            .unwrap_or_default(),
        Field::ConsentDays => item.as_integer().map(|d| d.to_string()).unwrap_or_default(),
        _ => item.as_str().unwrap_or_default().to_owned(),
    }
}

/// The file with `field` set to `text` (taken out when an optional field is emptied).
pub fn write(source: &str, field: Field, text: &str) -> Result<String, Refusal> {
    let text = text.trim();
    let value: Option<Value> = if text.is_empty() {
        if !field.optional() {
            return Err(Refusal::Required);
        }
        None
    } else {
        Some(match field {
            Field::From | Field::Until => {
                text.parse::<api::Date>().map_err(|_| Refusal::Date)?;
                Value::from(text)
            }
            f if f.is_money() => Value::from(api::text::parse_yuan(text).ok_or(Refusal::Yuan)?),
            f if !f.choices().is_empty() => {
                if !f.choices().contains(&text) {
                    return Err(Refusal::Required);
                }
                Value::from(text)
            }
            Field::ConsentDays => {
                let days: u32 = text.parse().map_err(|_| Refusal::Days)?;
                if !rules::policy::CONSENT_DAYS_RANGE.contains(&days) {
                    return Err(Refusal::Days);
                }
                Value::from(i64::from(days))
            }
            _ => Value::from(text),
        })
    };
    let mut doc: DocumentMut = source.parse().map_err(|_| Refusal::Required)?;
    let (table, key) = field.place();
    let target = match table {
        Some(t) => match doc.get_mut(t).and_then(Item::as_table_like_mut) {
            Some(table) => table,
            None => return Err(Refusal::Required),
        },
        None => doc.as_table_mut() as &mut dyn toml_edit::TableLike,
    };
    match value {
        Some(v) => {
            // An existing value keeps its place and spacing.
            match target.get_mut(key).and_then(Item::as_value_mut) {
                Some(old) => {
                    let decor = old.decor().clone();
                    *old = v;
                    *old.decor_mut() = decor;
                }
                None => {
                    target.insert(key, Item::Value(v));
                }
            }
        }
        None => {
            target.remove(key);
        }
    }
    Ok(doc.to_string())
}

/// A choice in words.
fn choice_text(m: &crate::i18n::Messages, f: Field, value: &str) -> &'static str {
    let t = &m.policy_admin;
    match (f, value) {
        (Field::Period, "monthly") => t.form_period_monthly,
        (Field::Period, "annual") => t.form_period_annual,
        (Field::Period, _) => t.form_period_once,
        (_, "automatic") => t.form_mode_automatic,
        (_, "automatic_after_consent") => t.form_mode_consent,
        (_, "apply_instant") => t.form_mode_instant,
        _ => t.form_mode_reviewed,
    }
}

/// The form over `source`.
#[component]
pub fn Basics(source: RwSignal<String>) -> impl IntoView {
    let prefs = use_prefs();
    // The file is read once per change, for every field.
    let facts = Memo::new(move |_| Facts::read(&source.get()));
    let readable = move || facts.with(Option::is_some);
    let consent = move || {
        facts.with(|f| {
            f.as_ref()
                .is_some_and(|f| f.value(Field::Mode) == "automatic_after_consent")
        })
    };
    let kind = move || {
        facts.with(|f| {
            f.as_ref()
                .map(|f| f.amount_kind.clone())
                .unwrap_or_default()
        })
    };
    let field = move |f: Field| {
        let refused = RwSignal::new(None::<Refusal>);
        let id = format!("basics-{}", f.key());
        let label = move || {
            let t = &prefs.t().policy_admin;
            match f {
                Field::NameZh => t.form_name_zh,
                Field::NameEn => t.form_name_en,
                Field::From => t.form_from,
                Field::Until => t.form_until,
                Field::Budget => t.form_budget,
                Field::ConsentDays => t.form_consent_days,
                Field::Document => t.form_document,
                Field::Clause => t.form_clause,
                Field::Period => t.form_period,
                Field::Mode => t.form_mode,
                Field::Fen => t.form_fen,
                Field::Floor => t.form_floor,
                Field::Cap => t.form_cap,
            }
        };
        let error = move || {
            refused.get().map(|r| {
                let t = &prefs.t().policy_admin;
                match r {
                    Refusal::Required => t.form_required,
                    Refusal::Date => t.form_date,
                    Refusal::Yuan => t.form_yuan,
                    Refusal::Days => t.form_days,
                }
            })
        };
        let error_id = format!("{id}-error");
        let described = error_id.clone();
        let input_type = match f {
            Field::From | Field::Until => "date",
            _ => "text",
        };
        let mode = match f {
            f if f.is_money() => "decimal",
            Field::ConsentDays => "numeric",
            _ => "text",
        };
        let change = move |ev: leptos::ev::Event| match write(
            &source.get_untracked(),
            f,
            &event_target_value(&ev),
        ) {
            Ok(updated) => {
                refused.set(None);
                source.set(updated);
            }
            Err(r) => refused.set(Some(r)),
        };
        let value = move || {
            facts.with(|x| {
                x.as_ref()
                    .map(|x| x.value(f).to_owned())
                    .unwrap_or_default()
            })
        };
        let control = if f.choices().is_empty() {
            view! {
                <input id=id.clone() type=input_type inputmode=mode
                    aria-invalid=move || refused.get().is_some().to_string()
                    aria-describedby=move || refused.get().map(|_| described.clone())
                    prop:value=value
                    on:change=change />
            }
            .into_any()
        } else {
            view! {
                <select id=id.clone() prop:value=value on:change=change>
                    {f.choices().iter().map(|c| view! {
                        <option value=*c>{move || choice_text(prefs.t(), f, c)}</option>
                    }).collect_view()}
                </select>
            }
            .into_any()
        };
        view! {
            <div class="field" data-field=f.key()>
                <label for=id>{label}</label>
                {move || error().map(|e| view! { <p class="field-error" id=error_id.clone()>{e}</p> })}
                {control}
            </div>
        }
    };
    view! {
        <details class="panel" open data-test="basics">
            <summary>{tr(|m| m.policy_admin.form_title)}</summary>
            <p class="hint">{tr(|m| m.policy_admin.form_hint)}</p>
            {move || (!readable()).then(|| view! { <p class="field-error">{tr(|m| m.policy_admin.form_unreadable)}</p> })}
            {Field::ALL
                .into_iter()
                .map(|f| {
                    let shown = move || match f {
                        Field::ConsentDays => consent(),
                        Field::Fen => kind() == "fixed",
                        Field::Floor | Field::Cap => kind() == "proportional",
                        _ => true,
                    };
                    view! { <Show when=shown>{field(f)}</Show> }
                })
                .collect_view()}
        </details>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> String {
        std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/policies/gas-subsidy.toml"
        ))
        .expect("a sample policy")
    }

    #[test]
    fn reads_the_file_s_facts() {
        let source = sample();
        assert_eq!(
            Facts::read(&source).unwrap().value(Field::NameZh),
            "工业企业用气补贴"
        );
        assert_eq!(
            Facts::read(&source).unwrap().value(Field::From),
            "2021-01-01"
        );
        assert_eq!(Facts::read(&source).unwrap().value(Field::Until), "");
        assert_eq!(
            Facts::read(&source).unwrap().value(Field::ConsentDays),
            "42"
        );
        assert_eq!(Facts::read("id = "), None);
        assert_eq!(
            Facts::read(&source).unwrap().value(Field::Mode),
            "automatic_after_consent"
        );
        let facts = Facts::read(&source).unwrap();
        assert_eq!(facts.amount_kind, "proportional");
        assert_eq!(facts.value(Field::ConsentDays), "42");
        assert_eq!(Facts::read(&source).unwrap().value(Field::Cap), "50000");
    }

    #[test]
    fn writes_in_place_and_the_engine_agrees() {
        let source = sample();
        let updated = write(&source, Field::Until, "2030-12-31").unwrap();
        let updated = write(&updated, Field::Budget, "1,200,000.50").unwrap();
        let updated = write(&updated, Field::ConsentDays, "60").unwrap();
        let updated = write(&updated, Field::NameEn, "Gas subsidy").unwrap();
        let updated = write(&updated, Field::Cap, "60000").unwrap();
        let updated = write(&updated, Field::Period, "annual").unwrap();
        let policy = rules::load("", &updated, rules::Catalogue::standard()).unwrap();
        assert_eq!(policy.effective.until.unwrap().to_string(), "2030-12-31");
        assert_eq!(policy.annual_budget_fen, Some(120_000_050));
        assert_eq!(policy.consent_days, 60);
        assert_eq!(policy.name.en, "Gas subsidy");
        assert_eq!(policy.period, rules::policy::Period::Annual);
        let rules::policy::Amount::Proportional { cap, .. } = policy.amount else {
            panic!("still proportional")
        };
        assert_eq!(cap, Some(6_000_000));
        // The rest of the file is as it was: its comments too.
        assert!(updated.contains("# A factory owner is often away: six weeks to confirm."));
        assert_eq!(updated.lines().count(), source.lines().count() + 1);
        // Emptied, an optional field leaves the file.
        let back = write(&updated, Field::Until, "").unwrap();
        assert!(!back.contains("2030-12-31"));
    }

    #[test]
    fn refuses_what_the_file_cannot_hold() {
        let source = sample();
        assert_eq!(write(&source, Field::NameZh, " "), Err(Refusal::Required));
        assert_eq!(
            write(&source, Field::From, "2021-02-30"),
            Err(Refusal::Date)
        );
        assert_eq!(write(&source, Field::Budget, "12.345"), Err(Refusal::Yuan));
        assert_eq!(write(&source, Field::Budget, "-5"), Err(Refusal::Yuan));
        assert_eq!(
            write(&source, Field::ConsentDays, "400"),
            Err(Refusal::Days)
        );
        assert_eq!(
            write(&source, Field::Period, "weekly"),
            Err(Refusal::Required)
        );
    }
}

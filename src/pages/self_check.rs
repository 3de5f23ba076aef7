//! `/self-check` (政策计算器): anyone answers a few questions and sees which policies they would
//! probably qualify for. The rules engine runs here, in the browser, over the policy files the
//! server publishes (fetched once per published set); the answers never leave the device.

use api::Date;
use leptos::prelude::*;
use rules::{Context, Month, Policy, Subject, SubjectKind, Value};

use crate::format;
use crate::prefs::{tr, use_prefs, use_title};

/// Reads a money field typed in yuan (`12.5`, `1,200`) as fen.
fn yuan(text: &str) -> Option<i64> {
    let t: String = text
        .trim()
        .chars()
        .filter(|c| *c != ',' && *c != '，')
        .collect();
    if t.is_empty() {
        return Some(0);
    }
    let (whole, frac) = t.split_once('.').unwrap_or((&t, ""));
    if frac.len() > 2
        || !whole.chars().all(|c| c.is_ascii_digit())
        || !frac.chars().all(|c| c.is_ascii_digit())
    {
        return None;
    }
    let whole: i64 = whole.parse().ok()?;
    let frac: i64 = format!("{frac:0<2}").parse().ok()?;
    whole.checked_mul(100)?.checked_add(frac)
}

fn number(text: &str) -> Option<i64> {
    let t = text.trim();
    if t.is_empty() {
        Some(0)
    } else {
        t.parse().ok().filter(|n: &i64| *n >= 0)
    }
}

/// The answers as a subject the engine can evaluate.
#[derive(Clone, Default)]
struct Answers {
    enterprise: bool,
    birth: String,
    chancheng: bool,
    grade: String,
    dibao: bool,
    industry: String,
    high_tech_until: String,
    revenue_y1: String,
    revenue_y2: String,
    rd: String,
    gas: String,
    loan_interest: String,
}

impl Answers {
    fn subject(&self, month: Month) -> Result<Subject, &'static str> {
        let mut s = Subject {
            id: "self-check".into(),
            ..Default::default()
        };
        let district = Value::Code(if self.chancheng { 440604 } else { 440000 });
        let mut set = |k: &str, v: Value| {
            s.attributes.insert(k.to_owned(), v);
        };
        if self.enterprise {
            set("district", district);
            set(
                "industry_code",
                Value::Int(number(&self.industry).ok_or("industry_code")?),
            );
            if !self.high_tech_until.is_empty() {
                let d: Date = self
                    .high_tech_until
                    .parse()
                    .map_err(|_| "high_tech_until")?;
                set("high_tech_until", Value::Date(d));
            }
            set(
                "revenue_y1",
                Value::Money(yuan(&self.revenue_y1).ok_or("revenue_y1")?),
            );
            set(
                "revenue_y2",
                Value::Money(yuan(&self.revenue_y2).ok_or("revenue_y2")?),
            );
            set(
                "rd_expense_y1",
                Value::Money(yuan(&self.rd).ok_or("rd_expense_y1")?),
            );
            let gas = number(&self.gas).ok_or("gas")?;
            let interest = yuan(&self.loan_interest).ok_or("loan_interest")?;
            let fact = |table: &str, fields: Vec<(&str, Value)>| rules::eval::Fact {
                table: table.to_owned(),
                month,
                fields: fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect(),
            };
            s.facts
                .push(fact("gas_usage", vec![("cubic_meters", Value::Int(gas))]));
            s.facts.push(fact(
                "loan_interest",
                vec![
                    ("product", Value::String("数字贷".into())),
                    ("interest_fen", Value::Money(interest)),
                ],
            ));
        } else {
            let birth: Date = self.birth.parse().map_err(|_| "birth_date")?;
            set("birth_date", Value::Date(birth));
            set("hukou_district", district);
            set(
                "disability_grade",
                Value::Int(
                    number(&self.grade)
                        .filter(|g| *g <= 4)
                        .ok_or("disability_grade")?,
                ),
            );
            set("dibao", Value::Bool(self.dibao));
        }
        Ok(s)
    }
}

/// The published set's files, compiled; a file this build cannot read is left out (its
/// policy is not offered) rather than stopping the others.
fn compile(set: &api::policy::PolicySet) -> Vec<Policy> {
    set.policies
        .iter()
        .filter_map(|p| {
            let mut policy = rules::load(&p.id, &p.source, rules::Catalogue::standard()).ok()?;
            policy.effective = rules::policy::Window {
                from: p.effective_from,
                until: p.effective_until,
            };
            Some(policy)
        })
        .collect()
}

#[component]
pub fn SelfCheck() -> impl IntoView {
    let prefs = use_prefs();
    use_title(|m| m.self_check.title);
    let set = crate::load::load(|| Some(crate::api_client::policy_set()));
    // Each published version compiled here, with the window its decision set.
    let policies = Memo::new(move |_| match set.get() {
        Some(Ok(set)) => Some(Ok(compile(&set))),
        Some(Err(e)) => Some(Err(e)),
        None => None,
    });
    let answers = RwSignal::new(Answers {
        chancheng: true,
        grade: "0".into(),
        ..Default::default()
    });
    let field = move |id: &'static str,
                      label: crate::prefs::Key,
                      kind: &'static str,
                      get: fn(&Answers) -> String,
                      put: fn(&mut Answers, String)| {
        view! {
            <label for=id>{tr(label)}</label>
            <input id=id type=kind inputmode=if kind == "text" { "decimal" } else { "" } prop:value=move || get(&answers.get()) on:input=move |ev| { let v = event_target_value(&ev); answers.update(|a| put(a, v)); } />
        }
    };
    let check = move |id: &'static str,
                      label: crate::prefs::Key,
                      get: fn(&Answers) -> bool,
                      put: fn(&mut Answers, bool)| {
        view! {
            <label class="choice" for=id>
                <input id=id type="checkbox" prop:checked=move || get(&answers.get()) on:change=move |ev| { let v = event_target_checked(&ev); answers.update(|a| put(a, v)); } />
                {tr(label)}
            </label>
        }
    };
    let results = move || {
        let a = answers.get();
        let month = Month::of(format::today());
        let kind = if a.enterprise {
            SubjectKind::Enterprise
        } else {
            SubjectKind::Resident
        };
        let subject = a.subject(month)?;
        let ctx = Context::for_month(month);
        let Some(Ok(ps)) = policies.get() else {
            return Ok(Vec::new());
        };
        Ok::<_, &'static str>({
            ps.iter()
                .filter(|p| p.subject == kind && p.effective.contains(ctx.reference_date))
                .filter_map(|p| {
                    rules::evaluate(p, &subject, &ctx)
                        .ok()
                        .map(|e| (p.clone(), e))
                })
                .collect::<Vec<_>>()
        })
    };
    view! {
        <h1 class="page-title">{tr(|m| m.self_check.title)}</h1>
        <p class="lead">{tr(|m| m.self_check.intro)}</p>
        <p class="demo-hint" role="note" data-test="private">{tr(|m| m.self_check.private)}</p>
        <form class="panel form" on:submit=|ev| ev.prevent_default()>
            <fieldset>
                <legend>{tr(|m| m.self_check.who)}</legend>
                <label class="choice" for="who-resident">
                    <input type="radio" id="who-resident" name="who" prop:checked=move || !answers.get().enterprise on:change=move |_| answers.update(|a| a.enterprise = false) />
                    {tr(|m| m.self_check.resident)}
                </label>
                <label class="choice" for="who-enterprise">
                    <input type="radio" id="who-enterprise" name="who" prop:checked=move || answers.get().enterprise on:change=move |_| answers.update(|a| a.enterprise = true) />
                    {tr(|m| m.self_check.enterprise)}
                </label>
            </fieldset>
            {move || if answers.get().enterprise {
                view! {
                    {check("q-chancheng", |m| m.self_check.registered_here, |a| a.chancheng, |a, v| a.chancheng = v)}
                    {field("q-industry", |m| m.self_check.industry, "text", |a| a.industry.clone(), |a, v| a.industry = v)}
                    {field("q-high-tech", |m| m.self_check.high_tech_until, "date", |a| a.high_tech_until.clone(), |a, v| a.high_tech_until = v)}
                    {field("q-revenue-y1", |m| m.self_check.revenue_y1, "text", |a| a.revenue_y1.clone(), |a, v| a.revenue_y1 = v)}
                    {field("q-revenue-y2", |m| m.self_check.revenue_y2, "text", |a| a.revenue_y2.clone(), |a, v| a.revenue_y2 = v)}
                    {field("q-rd", |m| m.self_check.rd_expense, "text", |a| a.rd.clone(), |a, v| a.rd = v)}
                    {field("q-gas", |m| m.self_check.gas, "text", |a| a.gas.clone(), |a, v| a.gas = v)}
                    {field("q-loan", |m| m.self_check.loan_interest, "text", |a| a.loan_interest.clone(), |a, v| a.loan_interest = v)}
                }.into_any()
            } else {
                view! {
                    {field("q-birth", |m| m.self_check.birth_date, "date", |a| a.birth.clone(), |a, v| a.birth = v)}
                    {check("q-hukou", |m| m.self_check.hukou_here, |a| a.chancheng, |a, v| a.chancheng = v)}
                    {field("q-grade", |m| m.self_check.disability_grade, "number", |a| a.grade.clone(), |a, v| a.grade = v)}
                    {check("q-dibao", |m| m.self_check.dibao, |a| a.dibao, |a, v| a.dibao = v)}
                }.into_any()
            }}
        </form>
        <section class="panel" aria-labelledby="results-title" aria-live="polite">
            <h2 id="results-title">{tr(|m| m.self_check.results)}</h2>
            {move || match policies.get() {
                None => Some(view! { <p class="hint" role="status">{tr(|m| m.common.loading)}</p> }.into_any()),
                Some(Err(e)) => Some(view! { <p class="field-error" role="alert">{e.message(prefs.t())}</p> }.into_any()),
                Some(Ok(_)) => None,
            }}
            {move || match results() {
                Err(_) => view! { <p class="hint">{tr(|m| m.self_check.incomplete)}</p> }.into_any(),
                Ok(list) => view! {
                    <ul class="rows" data-test="self-check-results">
                        {list.into_iter().map(|(p, e)| {
                            let name = if prefs.locale.get() == crate::i18n::Locale::ZhCn { p.name.zh_cn.clone() } else { p.name.en.clone() };
                            let verdict = match e.amount_fen.filter(|_| e.eligible) {
                                Some(fen) => format!("{} {}", tr(|m| m.self_check.likely)(), format::money(fen)),
                                None => tr(|m| m.self_check.unlikely)().to_owned(),
                            };
                            view! {
                                <li class="row-item" data-policy=p.id.clone() data-eligible=e.eligible.to_string()>
                                    <a href=crate::route::Route::Policy(p.id.clone()).path()>{name}</a>
                                    <span class=if e.eligible { "badge status-paid" } else { "badge muted" }>{verdict}</span>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any(),
            }}
            <p class="hint">{tr(|m| m.self_check.disclaimer)}</p>
        </section>
    }
}

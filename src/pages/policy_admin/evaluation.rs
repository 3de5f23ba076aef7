//! 政策评估 on a published version's page: what it has granted and paid against its budget and
//! the sandbox's estimate, take-up, time to payment, objections; and recording an evaluation.

use api::policy_admin::{Conclusion, Evaluation, NewEvaluation, VersionFigures};
use api::text::fill;
use leptos::prelude::*;

use crate::api_client;
use crate::format;
use crate::i18n::Messages;
use crate::load::{act, bump, load, show};
use crate::prefs::{tr, use_prefs};

fn conclusion_text(m: &'static Messages, c: Conclusion) -> &'static str {
    match c {
        Conclusion::Continue => m.policy_admin.conclusion_continue,
        Conclusion::Revise => m.policy_admin.conclusion_revise,
        Conclusion::Retire => m.policy_admin.conclusion_retire,
    }
}

/// Hours as days and hours ("2 天 3 小时", "under an hour").
fn duration(m: &'static Messages, hours: Option<i64>) -> String {
    match hours {
        None => m.policy_admin.none_yet.to_owned(),
        Some(0) => m.policy_admin.under_an_hour.to_owned(),
        Some(h) if h < 24 => fill(m.policy_admin.hours, &[("hours", &h.to_string())]),
        Some(h) => fill(
            m.policy_admin.days_hours,
            &[
                ("days", &(h / 24).to_string()),
                ("hours", &(h % 24).to_string()),
            ],
        ),
    }
}

/// Take-up as "3 / 4（75%）".
fn share(part: u64, whole: u64) -> String {
    if whole == 0 {
        return "0 / 0".to_owned();
    }
    format!("{part} / {whole}（{}%）", part * 100 / whole)
}

#[component]
pub fn EvaluationPanel(id: String, version: u32, may_record: bool) -> impl IntoView {
    let prefs = use_prefs();
    let tick = RwSignal::new(0u32);
    let key = id.clone();
    let data = load::<Evaluation>(move || {
        tick.track();
        Some(api_client::policy_evaluation(&key))
    });
    let conclusion = RwSignal::new(Conclusion::Continue);
    let findings = RwSignal::new(String::new());
    let record = move |_| {
        let body = NewEvaluation {
            version,
            conclusion: conclusion.get_untracked(),
            findings: findings.get_untracked(),
        };
        act(api_client::record_evaluation(&id, &body), move |_| {
            bump(tick)
        });
    };
    let money = move |fen: Option<i64>| {
        fen.map_or_else(|| prefs.t().policy_admin.none_yet.to_owned(), format::money)
    };
    view! {
        <section class="panel" aria-labelledby="evaluation-title" data-test="evaluation">
            <h2 id="evaluation-title">{tr(|m| m.policy_admin.evaluation_title)}</h2>
            {show(data, move |e: Evaluation| {
                let f: VersionFigures = e.versions.iter().find(|f| f.version == version).cloned().unwrap_or_default();
                let records = e.records.clone();
                view! {
                    <dl class="facts impact-summary" data-test="evaluation-figures">
                        <dt>{tr(|m| m.policy_admin.eval_beneficiaries)}</dt>
                        <dd data-test="eval-beneficiaries">{f.beneficiaries}</dd>
                        <dt>{tr(|m| m.policy_admin.eval_take_up)}</dt>
                        <dd>{share(f.taken_up, f.granted)}</dd>
                        <dt>{tr(|m| m.policy_admin.eval_paid)}</dt>
                        <dd>{format::money(f.paid_fen)}</dd>
                        <dt>{tr(|m| m.policy_admin.eval_paid_year)}</dt>
                        <dd>{format::money(f.paid_last_year_fen)}</dd>
                        <dt>{tr(|m| m.policy_admin.impact_budget)}</dt>
                        <dd>{move || f.annual_budget_fen.map_or_else(|| prefs.t().policy_admin.impact_no_budget.to_owned(), format::money)}</dd>
                        <dt>{tr(|m| m.policy_admin.eval_simulated)}</dt>
                        <dd data-test="eval-simulated">{move || money(f.simulated_annual_fen)}</dd>
                        <dt>{tr(|m| m.policy_admin.eval_time_median)}</dt>
                        <dd>{move || duration(prefs.t(), f.hours_to_payment_median)}</dd>
                        <dt>{tr(|m| m.policy_admin.eval_time_p90)}</dt>
                        <dd>{move || duration(prefs.t(), f.hours_to_payment_p90)}</dd>
                        <dt>{tr(|m| m.policy_admin.eval_declined)}</dt>
                        <dd>{format!("{} / {}", f.declined, f.expired)}</dd>
                        <dt>{tr(|m| m.policy_admin.eval_objections)}</dt>
                        <dd>{share(f.objections_answered, f.objections)}</dd>
                    </dl>
                    {(!records.is_empty()).then(|| view! {
                        <h3>{tr(|m| m.policy_admin.eval_records)}</h3>
                        <ul class="rows" data-test="evaluation-records">
                            {records.into_iter().map(|r| view! {
                                <li class="row-item">
                                    <div class="row-main">
                                        <strong>{move || fill(prefs.t().policy_admin.eval_record, &[("version", &r.version.to_string()), ("conclusion", conclusion_text(prefs.t(), r.conclusion))])}</strong>
                                        <p>{r.findings.clone()}</p>
                                        <p class="hint">{format!("{} · {}", r.by, format::stamp(prefs.t(), &r.at))}</p>
                                    </div>
                                </li>
                            }).collect_view()}
                        </ul>
                    })}
                }
            })}
            {may_record.then(|| view! {
                <fieldset class="field">
                    <legend>{tr(|m| m.policy_admin.eval_conclusion)}</legend>
                    {[Conclusion::Continue, Conclusion::Revise, Conclusion::Retire].into_iter().map(|c| {
                        let input_id = format!("conclusion-{}", c.as_str());
                        let for_id = input_id.clone();
                        view! {
                            <label class="choice" for=for_id>
                                <input type="radio" id=input_id name="conclusion" prop:checked=move || conclusion.get() == c on:change=move |_| conclusion.set(c) />
                                {move || conclusion_text(prefs.t(), c)}
                            </label>
                        }
                    }).collect_view()}
                </fieldset>
                <div class="field">
                    <label for="eval-findings">{tr(|m| m.policy_admin.eval_findings)}</label>
                    <textarea id="eval-findings" rows="4" on:input=move |ev| findings.set(event_target_value(&ev))></textarea>
                </div>
                <p><button class="button primary" data-test="record-evaluation" on:click=record>{tr(|m| m.policy_admin.eval_record_button)}</button></p>
            })}
        </section>
    }
}

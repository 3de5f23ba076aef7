//! `/grants/{id}`: a grant's receipt (the policy version, each criterion as applied with the
//! data used and where it came from) and its progress to payment, updating live.

use api::subsidy::{CriterionResult, GrantDetail, UsedValue};
use api::text::fill;
use leptos::prelude::*;

use crate::api_client;
use crate::format;
use crate::load::{load, show};
use crate::pages::home::{live_changes, pick, status_text};
use crate::prefs::{tr, use_prefs, use_title};
use crate::route::Route;
use crate::router::Link;

/// A value with its source: "出生日期 1945-01-01 · 来源：公安，…".
pub fn used_value(v: UsedValue) -> impl IntoView {
    let prefs = use_prefs();
    view! {
        <li>
            {move || fill(prefs.t().subsidy.value_line, &[("name", &pick(prefs.locale.get(), &v.name)), ("value", &pick(prefs.locale.get(), &v.value))])}
            <span class="hint">" · "{move || {
                let m = prefs.t();
                let department = pick(prefs.locale.get(), &v.department);
                match v.at.as_deref() {
                    Some(t) => fill(m.subsidy.source_at, &[("department", &department), ("time", &format::stamp(m, t))]),
                    None => fill(m.subsidy.source, &[("department", &department)]),
                }
            }}</span>
        </li>
    }
}

/// One criterion, ✓ or ✗, with its values and rule (and its parts, for a group).
pub fn criterion(c: CriterionResult) -> AnyView {
    let prefs = use_prefs();
    let passed = c.passed;
    let label = c.label.clone();
    let rule = c.rule.clone();
    // The rule names what it is about when that is not plain from a single value shown, and
    // gives its value when it is worked out (an age from a birth date).
    let measured = c.measured.clone();
    let single_input = c.inputs.len() == 1;
    view! {
        <li class:passed=passed class:failed=!passed data-test="criterion" data-criterion=c.id.clone() data-passed=passed.to_string()>
            <span aria-hidden="true">{if passed { "✓ " } else { "✗ " }}</span>
            <span class="visually-hidden">{move || if passed { tr(|m| m.subsidy.met)() } else { tr(|m| m.subsidy.not_met)() }}"："</span>
            {move || pick(prefs.locale.get(), &label)}
            {rule.map(|r| view! { <span class="hint" data-test="rule">" · "{move || {
                let (m, locale) = (prefs.t(), prefs.locale.get());
                let rule = pick(locale, &r);
                match &measured {
                    Some(x) if !x.is_input => fill(m.subsidy.rule_now, &[("name", &pick(locale, &x.name)), ("rule", &rule), ("value", &pick(locale, &x.value))]),
                    Some(x) if !single_input => fill(m.subsidy.rule_named, &[("name", &pick(locale, &x.name)), ("rule", &rule)]),
                    _ => fill(m.subsidy.rule, &[("rule", &rule)]),
                }
            }}</span> })}
            {(!c.inputs.is_empty()).then(|| view! { <ul>{c.inputs.into_iter().map(used_value).collect_view()}</ul> })}
            {(!c.children.is_empty()).then(|| view! { <ul>{c.children.into_iter().map(criterion).collect_view()}</ul> })}
        </li>
    }
    .into_any()
}

/// `/grants/{id}`.
#[component]
pub fn GrantPage(id: i64) -> impl IntoView {
    let prefs = use_prefs();
    use_title(|m| m.subsidy.title);
    let (tick, _) = live_changes();
    let detail = load::<GrantDetail>(move || {
        tick.get();
        Some(api_client::grant(id))
    });
    view! {
        <p><Link to=Route::Landing>{tr(|m| m.subsidy.back_home)}</Link></p>
        {show(detail, move |d: GrantDetail| {
            let g = d.grant.clone();
            let name = g.name.clone();
            let status = g.status;
            let (version, date) = (d.policy_version, d.reference_date.clone());
            view! {
                <h1 class="page-title">{move || pick(prefs.locale.get(), &name)}</h1>
                <p class="amount">{format::money(g.amount_fen)}" "
                    <span class=format!("badge status-{}", status.as_str()) data-test="grant-status">{move || status_text(prefs.t(), status)}</span>
                </p>
                <p class="hint">{move || fill(prefs.t().subsidy.period, &[("period", &g.period)])}" · "
                    {move || fill(prefs.t().subsidy.version, &[("version", &version.to_string()), ("date", &date)])}</p>
                <section class="panel" aria-labelledby="timeline-title">
                    <h2 id="timeline-title">{tr(|m| m.subsidy.timeline_title)}</h2>
                    <ol class="timeline" data-test="timeline">
                        {d.timeline.into_iter().map(|s| { let step_name = s.step.clone(); view! {
                            <li data-step=step_name>
                                {move || {
                                    let m = prefs.t();
                                    let t = &m.subsidy;
                                    let step = match s.step.as_str() {
                                        "applied" => t.step_applied,
                                        "amended" => t.step_amended,
                                        "payment_retried" => t.step_payment_retried,
                                        other => api::subsidy::GrantStatus::parse(other).map_or(t.status_matched, |st| status_text(m, st)),
                                    };
                                    let actor = match s.actor.as_str() {
                                        "subject" => t.actor_subject,
                                        "treasury" => t.actor_treasury,
                                        "staff" => t.actor_staff,
                                        _ => t.actor_engine,
                                    };
                                    format!("{step} · {actor} · {}", format::stamp(m, &s.at))
                                }}
                            </li>
                        }}).collect_view()}
                    </ol>
                    {d.payment_reference.map(|r| view! { <p class="hint">{move || fill(prefs.t().subsidy.payment_reference, &[("reference", &r)])}</p> })}
                </section>
                <section class="panel" aria-labelledby="why-title">
                    <h2 id="why-title">{tr(|m| m.subsidy.why_title)}</h2>
                    <ul class="criteria" data-test="criteria">{d.criteria.into_iter().map(criterion).collect_view()}</ul>
                </section>
                <section class="panel" aria-labelledby="data-title">
                    <h2 id="data-title">{tr(|m| m.subsidy.data_title)}</h2>
                    <ul>{d.used.into_iter().map(used_value).collect_view()}</ul>
                </section>
            }
        })}
    }
}

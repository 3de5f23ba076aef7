//! On a policy's page, for a signed-in resident or enterprise: do they qualify, criterion by
//! criterion with their own data and its source; what would make them qualify; when time
//! alone will; and 申报 for a policy decided at once.

use api::policy::{Bilingual, GrantMode};
use api::subsidy::{CriterionResult, NewObjection, Objection, ObjectionKind, PolicyCheck};
use api::text::fill;
use leptos::prelude::*;

use crate::api_client;
use crate::format;
use crate::load::{act, bump, load, show, Put};
use crate::pages::grant::criterion;
use crate::pages::home::{grant_row, live_changes, pick};
use crate::prefs::{tr, use_prefs};
use crate::route::Route;
use crate::router::Link;
use crate::session::use_auth;

#[component]
pub fn EligibilityPanel(id: String) -> impl IntoView {
    let auth = use_auth();
    view! {
        <section class="panel" aria-labelledby="check-title" data-test="check">
            <h2 id="check-title">{tr(|m| m.subsidy.check_title)}</h2>
            {move || match auth.me.get() {
                Some(api::account::Me::Person { .. }) => view! { <Check id=id.clone() /> }.into_any(),
                _ => view! { <p><Link to=Route::Login>{tr(|m| m.subsidy.check_login)}</Link></p> }.into_any(),
            }}
        </section>
    }
}

#[component]
fn Check(id: String) -> impl IntoView {
    let prefs = use_prefs();
    let (tick, _) = live_changes();
    let id = StoredValue::new(id);
    let check = load::<PolicyCheck>(move || {
        tick.get();
        Some(api_client::policy_check(&id.get_value()))
    });
    let apply = move || {
        act(api_client::apply(&id.get_value()), move |_| bump(tick));
    };
    let navigate = crate::router::use_navigate();
    let start_claim = move || {
        let navigate = navigate.clone();
        act(api_client::start_claim(&id.get_value()), move |c| {
            navigate(Route::Claim(c.id))
        });
    };
    view! {
        {show(check, move |c: PolicyCheck| {
            if !c.known {
                return view! { <p>{tr(|m| m.subsidy.check_unknown)}</p> }.into_any();
            }
            let verdict = if c.eligible { tr(|m| m.subsidy.check_yes) } else { tr(|m| m.subsidy.check_no) };
            let criteria_copy = c.criteria.clone();
            let suggestions = c.suggestions.clone();
            view! {
                <p data-test="verdict" data-eligible=c.eligible.to_string()>
                    {verdict}
                    {c.amount_fen.map(|a| format!(" {}", format::money(a)))}
                </p>
                <ul class="criteria" data-test="criteria">{c.criteria.into_iter().map(criterion).collect_view()}</ul>
                {c.eligible_from.map(|d| view! { <p>{move || fill(prefs.t().subsidy.eligible_from, &[("date", &d)])}</p> })}
                {(!suggestions.is_empty()).then(|| view! {
                    <h3>{tr(|m| m.subsidy.suggestions_title)}</h3>
                    <ul>{suggestions.into_iter().map(|s| view! { <li>{move || pick(prefs.locale.get(), &s)}</li> }).collect_view()}</ul>
                })}
                {c.grant.map(|g| view! { <p>{tr(|m| m.subsidy.granted_already)}</p><ul class="rows">{grant_row(g)}</ul> })}
                {c.claim.map(|claim| view! {
                    <p><a class="button primary" href=Route::Claim(claim).path() data-test="open-claim">{tr(|m| m.claim.open_mine)}</a></p>
                })}
                {(c.can_apply && c.claim.is_none() && c.mode == GrantMode::ApplyReviewed).then(|| {
                    let start_claim = start_claim.clone();
                    view! {
                        <p><button class="button primary" data-test="start-claim" on:click=move |_| start_claim()>{tr(|m| m.claim.start)}</button></p>
                    }
                })}
                {(c.can_apply && c.mode == GrantMode::ApplyInstant).then(|| view! {
                    <p class="hint">{tr(|m| m.subsidy.apply_hint)}</p>
                    <button class="button primary" data-test="apply" on:click=move |_| apply()>{tr(|m| m.subsidy.apply)}</button>
                })}
                <Objections policy=c.policy.clone() data=disputable(&criteria_copy) />
            }.into_any()
        })}
    }
}

/// The data a check read, once each: what an objection can be about.
fn disputable(criteria: &[CriterionResult]) -> Vec<(String, Bilingual)> {
    fn walk(c: &CriterionResult, out: &mut Vec<(String, Bilingual)>) {
        for i in &c.inputs {
            if !out.iter().any(|(k, _)| *k == i.key) {
                out.push((i.key.clone(), i.name.clone()));
            }
        }
        c.children.iter().for_each(|c| walk(c, out));
    }
    let mut out = Vec::new();
    criteria.iter().for_each(|c| walk(c, &mut out));
    out
}

/// 我认为我符合条件 / 我的数据有误: the form, and the objections sent about this policy with
/// their answers.
#[component]
fn Objections(policy: String, data: Vec<(String, Bilingual)>) -> impl IntoView {
    let prefs = use_prefs();
    let reload = RwSignal::new(0u32);
    let (tick, _) = live_changes();
    let list = load::<Vec<Objection>>(move || {
        reload.get();
        tick.get();
        Some(api_client::objections())
    });
    let kind = RwSignal::new(ObjectionKind::ThinkEligible);
    let attribute = RwSignal::new(data.first().map(|(k, _)| k.clone()).unwrap_or_default());
    let explanation = RwSignal::new(String::new());
    let mine = StoredValue::new(policy);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = NewObjection {
            kind: kind.get_untracked(),
            attribute: attribute.get_untracked(),
            explanation: explanation.get_untracked(),
        };
        act(api_client::object(&mine.get_value(), &body), move |_| {
            explanation.put(String::new());
            bump(reload);
        });
    };
    let choice = move |value: ObjectionKind, label: crate::prefs::Key, id: &'static str| {
        view! {
            <label class="choice" for=id>
                <input type="radio" id=id name="objection-kind" prop:checked=move || kind.get() == value on:change=move |_| kind.set(value) />
                {tr(label)}
            </label>
        }
    };
    view! {
        <h3>{tr(|m| m.subsidy.objection_title)}</h3>
        <ul class="rows" data-test="objections">
            {move || list.get().and_then(Result::ok).unwrap_or_default().into_iter().filter(|o| o.policy == mine.get_value()).map(|o| {
                let m = prefs.t();
                let department = pick(prefs.locale.get(), &o.department);
                let status = match &o.answer {
                    Some(a) => fill(m.subsidy.objection_answer, &[("department", &department), ("answer", a)]),
                    None => fill(m.subsidy.objection_waiting, &[("department", &department)]),
                };
                view! { <li class="row-item" data-answered=o.answer.is_some().to_string()><span>{o.explanation}</span><span class="hint">{status}</span></li> }
            }).collect_view()}
        </ul>
        <form class="form" on:submit=submit data-test="objection-form">
            <p class="hint">{tr(|m| m.subsidy.objection_intro)}</p>
            <fieldset>
                <legend>{tr(|m| m.subsidy.objection_kind)}</legend>
                {choice(ObjectionKind::ThinkEligible, |m| m.subsidy.objection_think_eligible, "objection-eligible")}
                {choice(ObjectionKind::DataWrong, |m| m.subsidy.objection_data_wrong, "objection-data")}
            </fieldset>
            <label for="objection-attribute">{tr(|m| m.subsidy.objection_attribute)}</label>
            <select id="objection-attribute" on:change=move |ev| attribute.set(event_target_value(&ev))>
                {data.into_iter().map(|(k, name)| view! { <option value=k>{move || pick(prefs.locale.get(), &name)}</option> }).collect_view()}
            </select>
            <label for="objection-explanation">{tr(|m| m.subsidy.objection_explanation)}</label>
            <textarea id="objection-explanation" rows="3" maxlength="1000" prop:value=explanation on:input=move |ev| explanation.set(event_target_value(&ev))></textarea>
            <button type="submit" class="button">{tr(|m| m.subsidy.objection_submit)}</button>
        </form>
    }
}

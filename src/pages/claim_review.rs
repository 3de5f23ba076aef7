//! The department's review of subsidy applications (线上申报): `/staff/claims`, the queue
//! (overdue first, then the nearest due date), and `/staff/claims/{id}`, the application first
//! (answers, documents, the rules' check on the departments' data), then the decision: approve
//! (confirmed, with the amount and to whom), return for corrections, or not approve.

use std::collections::BTreeSet;

use api::claim::{Claim, ClaimAction, ClaimQueue, ClaimStepRequest, ClaimSummary};
use api::licence::ItemReason;
use api::text::fill;
use leptos::prelude::*;

use crate::api_client;
use crate::format;
use crate::load::{act, bump, load, show};
use crate::pages::claim::{answers_list, day, head, history, status_badge};
use crate::pages::grant::criterion;
use crate::prefs::{pick, tr, use_prefs, use_title};
use crate::route::Route;

fn row(c: ClaimSummary) -> impl IntoView {
    let prefs = use_prefs();
    let name = c.name.clone();
    let submitted = c.submitted_at.clone();
    view! {
        <li class="row-item" data-test="claim" data-claim=c.id.to_string() class:overdue=c.overdue>
            <div>
                <a href=Route::ClaimReview(c.id).path()>{c.number.clone()}</a>
                <p>{c.applicant.clone()}</p>
                <p class="hint">{move || pick(prefs.locale.get(), &name)}</p>
                {submitted.map(|s| view! { <p class="hint">{move || { let m = prefs.t(); fill(m.claim.submitted_on, &[("time", &format::stamp(m, &s))]) }}</p> })}
            </div>
            <div class="row-end">
                {status_badge(c.status)}
                {crate::pages::licence::countdown(c.working_days_left, None)}
            </div>
        </li>
    }
}

/// `/staff/claims`.
#[component]
pub fn QueuePage() -> impl IntoView {
    use_title(|m| m.claim.queue_title);
    let prefs = use_prefs();
    let queue = load::<ClaimQueue>(|| Some(api_client::claim_queue()));
    view! {
        <h1 class="page-title">{tr(|m| m.claim.queue_title)}</h1>
        {show(queue, move |q: ClaimQueue| {
            let department = q.department.clone();
            let count = q.waiting.len();
            let empty = q.waiting.is_empty();
            view! {
                <p class="lead">{move || fill(prefs.t().claim.queue_department, &[("department", &department)])}</p>
                <section class="panel" aria-labelledby="waiting-title">
                    <h2 id="waiting-title">{move || fill(prefs.t().claim.queue_waiting, &[("count", &count.to_string())])}</h2>
                    {empty.then(|| view! { <p>{tr(|m| m.claim.queue_empty)}</p> })}
                    <ul class="rows" data-test="waiting">{q.waiting.into_iter().map(row).collect_view()}</ul>
                </section>
                {(!q.decided.is_empty()).then(|| view! {
                    <section class="panel" aria-labelledby="decided-title">
                        <h2 id="decided-title">{tr(|m| m.claim.queue_decided)}</h2>
                        <ul class="rows" data-test="decided">{q.decided.into_iter().map(row).collect_view()}</ul>
                    </section>
                })}
            }
        })}
    }
}

/// `/staff/claims/{id}`.
#[component]
pub fn ReviewPage(id: i64) -> impl IntoView {
    use_title(|m| m.claim.queue_title);
    let reload = RwSignal::new(0u32);
    let claim = load::<Claim>(move || {
        reload.get();
        Some(api_client::claim_for_review(id))
    });
    view! {
        <p><a href=Route::ClaimQueue.path()>{tr(|m| m.claim.queue_title)}</a></p>
        {show(claim, move |c: Claim| {
            let prefs = use_prefs();
            let check = c.check.clone();
            let applicant = c.applicant.clone();
            let due = c.due_on.clone();
            let name = c.name.clone();
            view! {
                <h1 class="page-title">{move || pick(prefs.locale.get(), &name)}</h1>
                <p class="lead" data-test="claim-applicant"><strong>{applicant}</strong></p>
                {head(&c)}
                {due.map(|d| view! { <p>{move || { let m = prefs.t(); fill(m.claim.due, &[("date", &day(m, &d))]) }}</p> })}
                {answers_list(&c, Some(api_client::claim_review_material_url))}
                {check.map(|k| {
                    let amount = k.amount_fen.unwrap_or(0);
                    let eligible = k.eligible;
                    view! {
                        <section class="panel" aria-labelledby="rules-title" data-test="claim-check">
                            <h2 id="rules-title">{tr(|m| m.claim.review_check)}</h2>
                            <p data-eligible=eligible.to_string()><strong>{move || if eligible {
                                fill(prefs.t().claim.review_check_yes, &[("amount", &format::money(amount))])
                            } else {
                                prefs.t().claim.review_check_no.to_owned()
                            }}</strong></p>
                            <ul class="criteria">{k.criteria.into_iter().map(criterion).collect_view()}</ul>
                        </section>
                    }
                })}
                <Decision claim=c.clone() reload />
                {history(c.steps.clone())}
            }
        })}
    }
}

/// The reviewer's decision, after the application: approve (confirmed first), return with a
/// reason and the documents to upload again, or not approve with the reason.
#[component]
fn Decision(claim: Claim, reload: RwSignal<u32>) -> impl IntoView {
    let prefs = use_prefs();
    if claim.actions.is_empty() {
        return ().into_any();
    }
    let id = claim.id;
    let from = claim.status;
    let confirming = RwSignal::new(false);
    let reason = RwSignal::new(String::new());
    let refusal = RwSignal::new(String::new());
    let items = RwSignal::new(BTreeSet::<String>::new());
    let send = move |action: ClaimAction| {
        let (text, items) = match action {
            ClaimAction::Return => {
                let r = reason.get_untracked();
                let items = items
                    .get_untracked()
                    .into_iter()
                    .map(|material| ItemReason {
                        material,
                        reason: r.clone(),
                    })
                    .collect();
                (Some(r), items)
            }
            ClaimAction::Reject => (Some(refusal.get_untracked()), Vec::new()),
            _ => (None, Vec::new()),
        };
        let body = ClaimStepRequest {
            action,
            from,
            reason: text,
            items,
        };
        act(api_client::review_claim(id, &body), move |_| bump(reload));
    };
    let amount = claim.amount_fen.map(format::money).unwrap_or_default();
    let applicant = claim.applicant.clone();
    let materials = claim.materials.clone();
    view! {
        <section class="panel decision no-print" aria-labelledby="decide-title" data-test="claim-decision">
            <h2 id="decide-title">{tr(|m| m.claim.decide_title)}</h2>
            {move || if confirming.get() {
                let (amount, applicant) = (amount.clone(), applicant.clone());
                view! {
                    <div class="notice-retired" role="alert">
                        <p>{move || fill(prefs.t().claim.approve_confirm, &[("amount", &amount), ("applicant", &applicant)])}</p>
                        <p class="button-row">
                            <button type="button" class="button primary" data-test="approve-yes" on:click=move |_| send(ClaimAction::Approve)>{tr(|m| m.claim.approve_yes)}</button>
                            <button type="button" class="button" on:click=move |_| confirming.set(false)>{tr(|m| m.claim.cancel)}</button>
                        </p>
                    </div>
                }.into_any()
            } else {
                view! {
                    <p><button type="button" class="button primary" data-action="approve" on:click=move |_| confirming.set(true)>{tr(|m| m.claim.approve)}</button></p>
                }.into_any()
            }}
            <details class="decision-option" data-test="return-form">
                <summary>{tr(|m| m.claim.send_back)}</summary>
                <div class="field">
                    <label for="return-reason">{tr(|m| m.claim.return_reason)}</label>
                    <textarea id="return-reason" rows="3" on:input=move |ev| reason.set(event_target_value(&ev))></textarea>
                </div>
                <fieldset class="field">
                    <legend>{tr(|m| m.claim.return_items)}</legend>
                    {materials.into_iter().map(|m| {
                        let code = m.code.clone();
                        let name = m.name.clone();
                        let input_id = format!("return-{code}");
                        view! {
                            <label class="option" for=input_id.clone()>
                                <input type="checkbox" id=input_id.clone() data-material=code.clone() on:change=move |ev| {
                                    let on = event_target_checked(&ev);
                                    let code = code.clone();
                                    items.update(|s| { if on { s.insert(code); } else { s.remove(&code); } });
                                } />
                                " " {move || pick(prefs.locale.get(), &name)}
                            </label>
                        }
                    }).collect_view()}
                </fieldset>
                <p><button type="button" class="button" data-action="return" on:click=move |_| send(ClaimAction::Return)>{tr(|m| m.claim.send_back)}</button></p>
            </details>
            <details class="decision-option danger-zone" data-test="reject-form">
                <summary>{tr(|m| m.claim.reject)}</summary>
                <p class="hint">{tr(|m| m.claim.reject_warning)}</p>
                <div class="field">
                    <label for="reject-reason">{tr(|m| m.claim.reject_reason)}</label>
                    <textarea id="reject-reason" rows="3" on:input=move |ev| refusal.set(event_target_value(&ev))></textarea>
                </div>
                <p><button type="button" class="button danger" data-action="reject" on:click=move |_| send(ClaimAction::Reject)>{tr(|m| m.claim.reject)}</button></p>
            </details>
        </section>
    }.into_any()
}

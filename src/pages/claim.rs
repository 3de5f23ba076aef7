//! `/claims/{id}`: an application for a subsidy that a department reviews (线上申报). While it
//! is with the applicant: the policy's questions (saved as they are answered), its materials
//! (uploaded one by one) and the send button; once sent: the date the department answers by;
//! after a return: the reason and the materials to replace; once approved: the grant and its
//! payment. The page follows the application live.

use std::collections::BTreeMap;

use api::claim::{Claim, ClaimAction, ClaimStatus, ClaimStep, ClaimStepRequest};
use api::text::fill;
use leptos::prelude::*;

use crate::api_client;
use crate::format;
use crate::i18n::Messages;
use crate::load::{act, bump, load, show, Put};
use crate::pages::home::{grant_row, live_changes};
use crate::pages::licence::apply::size_text;
use crate::pages::licence::form::{material_uploads, question};
use crate::prefs::{pick, tr, use_prefs, use_title};

pub fn status_text(m: &Messages, s: ClaimStatus) -> &'static str {
    let t = &m.claim;
    match s {
        ClaimStatus::Draft => t.status_draft,
        ClaimStatus::Submitted => t.status_submitted,
        ClaimStatus::Returned => t.status_returned,
        ClaimStatus::Approved => t.status_approved,
        ClaimStatus::Rejected => t.status_rejected,
        ClaimStatus::Withdrawn => t.status_withdrawn,
    }
}

/// A status as a coloured badge.
pub fn status_badge(s: ClaimStatus) -> impl IntoView {
    let prefs = use_prefs();
    view! {
        <span class=format!("badge claim-{}", s.as_str()) data-test="claim-status" data-status=s.as_str()>
            {move || status_text(prefs.t(), s)}
        </span>
    }
}

/// "2026年12月16日" from `YYYY-MM-DD`.
pub fn day(m: &Messages, text: &str) -> String {
    text.parse::<api::Date>()
        .map(|d| format::date(m, d))
        .unwrap_or_else(|_| text.to_owned())
}

/// Every step so far, oldest first: what, who (reviewers named to staff only), when, why.
pub fn history(steps: Vec<ClaimStep>) -> impl IntoView {
    let prefs = use_prefs();
    view! {
        <section class="panel" aria-labelledby="history-title">
            <h2 id="history-title">{tr(|m| m.claim.history)}</h2>
            <ol class="timeline" data-test="timeline">
                {steps.into_iter().map(|s| {
                    let action = s.action.clone();
                    let reason = s.reason.clone();
                    let items = s.items.clone();
                    view! {
                        <li data-action=s.action.clone()>
                            <strong>{move || {
                                let t = &prefs.t().claim;
                                match action.as_str() {
                                    "start" => t.step_start,
                                    "submit" => t.step_submit,
                                    "return" => t.step_return,
                                    "approve" => t.step_approve,
                                    "reject" => t.step_reject,
                                    _ => t.step_withdraw,
                                }
                            }}</strong>
                            " · "
                            {move || {
                                let m = prefs.t();
                                let who = match s.actor.as_str() {
                                    "applicant" => m.claim.actor_applicant.to_owned(),
                                    _ => s.actor_name.clone().unwrap_or_else(|| m.claim.actor_reviewer.to_owned()),
                                };
                                format!("{who} · {}", format::stamp(m, &s.at))
                            }}
                            {reason.map(|r| view! { <p class="comment">{r}</p> })}
                            {(!items.is_empty()).then(|| view! {
                                <ul class="returned-items">{items.into_iter().map(|i| view! { <li>{i.reason}</li> }).collect_view()}</ul>
                            })}
                        </li>
                    }
                }).collect_view()}
            </ol>
        </section>
    }
}

/// The application's facts: status, number, amount, department, working days left.
pub fn head(c: &Claim) -> impl IntoView {
    let prefs = use_prefs();
    let department = c.department.clone();
    let number = c.number.clone();
    let amount = c.amount_fen;
    let due = c.due_on.clone();
    let left = c.working_days_left;
    view! {
        <div class="panel" data-test="claim-head">
            <p>{status_badge(c.status)}</p>
            <p data-test="claim-number">{move || fill(prefs.t().claim.number, &[("number", &number)])}</p>
            {amount.map(|a| view! { <p data-test="claim-amount"><strong>{move || fill(prefs.t().claim.amount, &[("amount", &format::money(a))])}</strong></p> })}
            <p class="hint">{move || fill(prefs.t().claim.department, &[("department", &pick(prefs.locale.get(), &department))])}</p>
            {due.map(|_| crate::pages::licence::countdown(left, None))}
        </div>
    }
}

/// `/claims/{id}`.
#[component]
pub fn ClaimPage(id: i64) -> impl IntoView {
    use_title(|m| m.claim.title);
    let (tick, _) = live_changes();
    let reload = RwSignal::new(0u32);
    let claim = load::<Claim>(move || {
        tick.get();
        reload.get();
        Some(api_client::claim(id))
    });
    view! {
        {show(claim, move |c: Claim| view! { <ClaimView claim=c reload /> })}
    }
}

#[component]
fn ClaimView(claim: Claim, reload: RwSignal<u32>) -> impl IntoView {
    let prefs = use_prefs();
    let c = claim;
    let name = c.name.clone();
    let editable = matches!(c.status, ClaimStatus::Draft | ClaimStatus::Returned);
    let reason_box = match (c.status, c.reason.clone()) {
        (ClaimStatus::Returned, Some(r)) => Some(
            view! {
                <div class="notice-retired" role="alert" data-test="claim-reason">
                    <h2>{tr(|m| m.claim.returned_title)}</h2>
                    <p>{move || fill(prefs.t().claim.reason, &[("reason", &r)])}</p>
                </div>
            }
            .into_any(),
        ),
        (ClaimStatus::Rejected, Some(r)) => Some(
            view! {
                <div class="notice-retired" role="alert" data-test="claim-reason">
                    <h2>{tr(|m| m.claim.rejected_title)}</h2>
                    <p>{move || fill(prefs.t().claim.reason, &[("reason", &r)])}</p>
                </div>
            }
            .into_any(),
        ),
        _ => None,
    };
    let sent = (c.status == ClaimStatus::Submitted).then(|| {
        let number = c.number.clone();
        let department = c.department.clone();
        let due = c.due_on.clone().unwrap_or_default();
        view! {
            <div class="panel confirmation" data-test="claim-sent">
                <h2>{tr(|m| m.claim.sent_title)}</h2>
                <p>{move || { let m = prefs.t(); fill(m.claim.sent_body, &[("number", &number), ("department", &pick(prefs.locale.get(), &department)), ("date", &day(m, &due))]) }}</p>
            </div>
        }
    });
    let approved = c.grant.clone().map(|g| view! {
        <section class="panel" data-test="claim-grant">
            <h2>{if g.status == api::subsidy::GrantStatus::Paid { tr(|m| m.claim.paid_title) } else { tr(|m| m.claim.approved_title) }}</h2>
            <ul class="rows">{grant_row(g)}</ul>
        </section>
    });
    let body = if editable {
        view! { <ClaimForm claim=c.clone() reload /> }.into_any()
    } else {
        answers_list(&c, None).into_any()
    };
    // What just happened comes first (the confirmation, or why it came back), then the rest.
    view! {
        <h1 class="page-title">{move || pick(prefs.locale.get(), &name)}</h1>
        {sent}
        {reason_box}
        {head(&c)}
        {approved}
        {body}
        {history(c.steps.clone())}
    }
}

/// The answers as given, each under its question; with `files`, a link to each material.
pub fn answers_list(c: &Claim, files: Option<fn(i64, &str) -> String>) -> impl IntoView {
    let prefs = use_prefs();
    let answers = c.answers.clone();
    let questions = c.questions.clone();
    let materials = c.materials.clone();
    let id = c.id;
    view! {
        <section class="panel" aria-labelledby="answers-title" data-test="claim-answers">
            <h2 id="answers-title">{move || if files.is_some() { prefs.t().claim.review_application } else { prefs.t().claim.your_answers }}</h2>
            <dl class="facts stacked">
                {questions.into_iter().map(|q| {
                    let label = q.label.clone();
                    let value = answers.get(&q.key).cloned();
                    view! {
                        <dt>{move || pick(prefs.locale.get(), &label)}</dt>
                        <dd data-field=q.key.clone()>{match value {
                            Some(v) => v.into_any(),
                            None => view! { <span class="hint">{tr(|m| m.claim.no_answer)}</span> }.into_any(),
                        }}</dd>
                    }
                }).collect_view()}
                {materials.into_iter().map(|m| {
                    let name = m.name.clone();
                    let href = files.map(|f| f(id, &m.code)).unwrap_or_else(|| api_client::claim_material_url(id, &m.code));
                    let returned = m.returned.clone();
                    view! {
                        <dt>{move || pick(prefs.locale.get(), &name)}</dt>
                        <dd data-material=m.code.clone()>
                            {match m.upload.clone() {
                                Some(u) => view! { <a href=href target="_blank" rel="noopener">{u.file_name.clone()}</a> {move || fill(prefs.t().claim.file_size, &[("size", &size_text(u.size))])} }.into_any(),
                                None => view! { <span class="hint">{tr(|m| m.licence.not_uploaded)}</span> }.into_any(),
                            }}
                            {returned.map(|r| view! { <p class="returned">{move || fill(prefs.t().licence.returned_reason, &[("reason", &r)])}</p> })}
                        </dd>
                    }
                }).collect_view()}
            </dl>
        </section>
    }
}

/// The questions, the materials and the send button, while the application is with the
/// applicant.
#[component]
fn ClaimForm(claim: Claim, reload: RwSignal<u32>) -> impl IntoView {
    let prefs = use_prefs();
    let id = claim.id;
    let from = claim.status;
    let values = RwSignal::new(claim.answers.clone());
    let problems = RwSignal::new(claim.problems.clone());
    let materials = RwSignal::new(claim.materials.clone());
    let saved = RwSignal::new(false);
    let on_change = move |key: String, value: String| {
        let mut one = BTreeMap::new();
        one.insert(key, value);
        act(api_client::save_claim_answers(id, &one), move |c: Claim| {
            problems.put(c.problems);
            saved.put(true);
        });
    };
    let questions = claim.questions.clone();
    let department = claim.department.clone();
    let days = claim.review_days;
    // What still stops sending, found before anything is sent: each missing or wrong answer
    // beside its field and in the summary at the button, each missing document in the summary.
    let summary = RwSignal::new(Vec::<(String, String)>::new());
    let labels: BTreeMap<String, api::policy::Bilingual> = claim
        .questions
        .iter()
        .map(|q| (q.key.clone(), q.label.clone()))
        .chain(
            claim
                .materials
                .iter()
                .map(|m| (format!("materials.{}", m.code), m.name.clone())),
        )
        .collect();
    let submit = move |_| {
        // Everything on the form is saved first; what the server says still blocks it is
        // listed, or else it is sent.
        let all = values.get_untracked();
        let labels = labels.clone();
        act(api_client::save_claim_answers(id, &all), move |c: Claim| {
            let m = prefs.t();
            let locale = prefs.locale.get_untracked();
            let lines: Vec<(String, String)> = c
                .blocking
                .iter()
                .map(|p| {
                    let target = match p.field.strip_prefix("materials.") {
                        Some(code) => format!("#upload-{code}"),
                        None => format!("#{}", crate::pages::licence::form::field_id(&p.field)),
                    };
                    let label = labels
                        .get(&p.field)
                        .map(|l| pick(locale, l))
                        .unwrap_or_default();
                    (
                        target,
                        fill(
                            m.claim.missing_line,
                            &[("what", &label), ("why", &p.message)],
                        ),
                    )
                })
                .collect();
            let found = c
                .blocking
                .into_iter()
                .filter(|p| !p.field.starts_with("materials."))
                .collect();
            problems.put(found);
            materials.put(c.materials);
            if !lines.is_empty() {
                summary.put(lines);
                return;
            }
            summary.put(Vec::new());
            let body = ClaimStepRequest {
                action: ClaimAction::Submit,
                from,
                reason: None,
                items: Vec::new(),
            };
            act(api_client::claim_step(id, &body), move |_| {
                bump(reload);
                // The confirmation is at the top of the page.
                if let Some(w) = web_sys::window() {
                    w.scroll_to_with_x_and_y(0.0, 0.0);
                }
            });
        });
    };
    let withdraw = move |_| {
        let confirmed = web_sys::window()
            .and_then(|w| {
                w.confirm_with_message(prefs.t().claim.withdraw_confirm)
                    .ok()
            })
            .unwrap_or(false);
        if confirmed {
            let body = ClaimStepRequest {
                action: ClaimAction::Withdraw,
                from,
                reason: None,
                items: Vec::new(),
            };
            act(api_client::claim_step(id, &body), move |_| bump(reload));
        }
    };
    let submit_label = if from == ClaimStatus::Returned {
        tr(|m| m.claim.resubmit)
    } else {
        tr(|m| m.claim.submit)
    };
    view! {
        <section class="panel" aria-labelledby="questions-title" data-test="claim-questions">
            <h2 id="questions-title">{tr(|m| m.claim.answers_title)}</h2>
            {questions.into_iter().map(|q| {
                let value = values.get_untracked().get(&q.key).cloned().unwrap_or_default();
                question(q, value, values, problems, on_change)
            }).collect_view()}
            {move || saved.get().then(|| view! { <p class="hint" role="status">{tr(|m| m.claim.answers_saved)}</p> })}
        </section>
        <section class="panel" aria-labelledby="materials-title">
            <h2 id="materials-title">{tr(|m| m.claim.materials_title)}</h2>
            <p class="hint">{tr(|m| m.claim.materials_hint)}</p>
            {material_uploads(id, materials, true, true, api_client::upload_claim_material, |c: Claim| c.materials)}
        </section>
        <section class="panel" aria-labelledby="send-title">
            <h2 id="send-title">{tr(|m| m.claim.submit_title)}</h2>
            <p>{move || fill(prefs.t().claim.submit_hint, &[("department", &pick(prefs.locale.get(), &department)), ("days", &days.to_string())])}</p>
            {move || {
                let lines = summary.get();
                (!lines.is_empty()).then(|| view! {
                    <div class="error-summary" role="alert" data-test="claim-missing">
                        <h3>{tr(|m| m.claim.missing_title)}</h3>
                        <ul>{lines.into_iter().map(|(href, text)| view! { <li><a href=href>{text}</a></li> }).collect_view()}</ul>
                    </div>
                })
            }}
            <p class="button-row">
                <button type="button" class="button primary" data-test="claim-submit" on:click=submit>{submit_label}</button>
                <button type="button" class="button" data-test="claim-withdraw" on:click=withdraw>{tr(|m| m.claim.withdraw)}</button>
            </p>
        </section>
    }
}

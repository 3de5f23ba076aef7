//! The staff workbench: `/staff/licences` (queues by stage, nearest deadline first, overdue
//! marked), `/staff/licences/{id}` (the whole application, its materials and audit trail, and
//! the reviewer's steps), `/staff/licences/figures` (materials and time against separate
//! applications).

use std::collections::BTreeMap;

use api::licence::{
    Action, Application, ApplicationSummary, CombinationFigures, ItemReason, Licence, Revocation,
    Stage, TransitionRequest,
};
use api::text::fill;
use leptos::prelude::*;

use super::{
    action_text, application_row, countdown, permit_names, stage_badge, stage_text, timeline,
    validity,
};
use crate::api_client;
use crate::load::{act, bump, load, show};
use crate::prefs::{pick, tr, use_prefs, use_title};
use crate::route::Route;
use crate::router::Link;

const QUEUES: [Option<Stage>; 7] = [
    None,
    Some(Stage::Submitted),
    Some(Stage::Accepted),
    Some(Stage::OnSiteCheck),
    Some(Stage::Returned),
    Some(Stage::Issued),
    Some(Stage::Rejected),
];

/// `/staff/licences?stage=` (a page per queue: the tabs are links).
#[component]
pub fn Workbench(stage: Option<Stage>) -> impl IntoView {
    let prefs = use_prefs();
    use_title(|m| m.licence.workbench_title);
    let queue = load::<Vec<ApplicationSummary>>(move || Some(api_client::queue(stage)));
    view! {
        <h1 class="page-title">{tr(|m| m.licence.workbench_title)}</h1>
        <p><a href=Route::Figures.path()>{tr(|m| m.licence.open_figures)}</a></p>
        <nav class="tabs" aria-label=tr(|m| m.licence.queues)>
            {QUEUES.into_iter().map(|q| {
                view! {
                    <a href=Route::Workbench(q).path() aria-current=(stage == q).then_some("page")>
                        {move || q.map_or(prefs.t().licence.queue_open, |s| stage_text(prefs.t(), s))}
                    </a>
                }
            }).collect_view()}
        </nav>
        {show(queue, move |list: Vec<ApplicationSummary>| view! {
            {list.is_empty().then(|| view! { <p class="empty-state">{tr(|m| m.licence.queue_empty)}</p> })}
            <ul class="rows" data-test="queue">
                {list.into_iter().map(|a| {
                    let permits = a.permits.clone();
                    application_row(
                        &a,
                        a.overdue,
                        view! { <a href=Route::Review(a.id).path()>{a.number.clone()}" · "{a.business_name.clone()}</a> },
                        move || permit_names(prefs.locale.get(), &permits),
                    )
                }).collect_view()}
            </ul>
        })}
    }
}

/// `/staff/licences/{id}`.
#[component]
pub fn ReviewPage(id: i64) -> impl IntoView {
    let prefs = use_prefs();
    use_title(|m| m.licence.review_title);
    let tick = RwSignal::new(0u32);
    let application = load::<Application>(move || {
        tick.get();
        Some(api_client::review(id))
    });
    view! {
        <p><Link to=Route::Workbench(None)>{tr(|m| m.licence.workbench_title)}</Link></p>
        {show(application, move |a: Application| {
            let number = a.number.clone();
            let permits = a.permits.iter().map(|p| p.name.clone()).collect::<Vec<_>>();
            let licence = a.licence.clone();
            view! {
                <h1 class="page-title">{move || fill(prefs.t().licence.review_heading, &[("number", &number)])}</h1>
                <p>{stage_badge(a.stage)}" "<span class="hint">{move || permit_names(prefs.locale.get(), &permits)}</span></p>
                {countdown(a.working_days_left, a.deadline.clone())}
                <Actions id application=a.clone() tick />
                {licence.map(|n| view! { <IssuedPermits number=n /> })}
                <section class="panel" aria-labelledby="answers-title">
                    <h2 id="answers-title">{tr(|m| m.licence.answers_title)}</h2>
                    {a.sections.iter().filter(|s| !s.questions.is_empty()).map(|s| {
                        let title = s.title.clone();
                        view! {
                            <h3>{move || pick(prefs.locale.get(), &title)}</h3>
                            <dl class="check-answers">
                                {s.questions.iter().map(|q| {
                                    let label = q.label.clone();
                                    let options = q.options.clone();
                                    let answer = a.answers.get(&q.key).cloned().unwrap_or_default();
                                    view! {
                                        <dt>{move || pick(prefs.locale.get(), &label)}</dt>
                                        <dd>{move || options.iter().find(|o| o.value == answer).map_or_else(|| answer.clone(), |o| pick(prefs.locale.get(), &o.label))}</dd>
                                    }
                                }).collect_view()}
                            </dl>
                        }
                    }).collect_view()}
                </section>
                <section class="panel" aria-labelledby="materials-title">
                    <h2 id="materials-title">{tr(|m| m.licence.materials_review)}</h2>
                    <ol class="rows">
                        {a.materials.iter().map(|m| {
                            let name = m.name.clone();
                            let upload = m.upload.clone();
                            let code = m.code.clone();
                            view! {
                                <li class="row-item" data-material=code.clone()>
                                    <span>{m.item}". "{move || pick(prefs.locale.get(), &name)}</span>
                                    {upload.map(|u| view! {
                                        <a target="_blank" rel="noopener" href=api_client::material_url(id, &code)>{tr(|m| m.licence.open_file)}" ("{u.file_name}")"</a>
                                    })}
                                </li>
                            }
                        }).collect_view()}
                    </ol>
                </section>
                <section class="panel" aria-labelledby="audit-title">
                    <h2 id="audit-title">{tr(|m| m.licence.audit_title)}</h2>
                    {timeline(a.steps.clone())}
                </section>
            }
        })}
    }
}

/// The reviewer's possible steps for this application.
#[component]
fn Actions(id: i64, application: Application, tick: RwSignal<u32>) -> impl IntoView {
    let prefs = use_prefs();
    let comment = RwSignal::new(String::new());
    let when = RwSignal::new(String::new());
    let reasons = RwSignal::new(BTreeMap::<String, String>::new());
    let from = application.stage;
    let send = move |action: Action| {
        let items: Vec<ItemReason> = if action == Action::Return {
            reasons
                .get_untracked()
                .into_iter()
                .map(|(material, reason)| ItemReason { material, reason })
                .collect()
        } else {
            Vec::new()
        };
        let scheduled_for = (action == Action::ScheduleCheck && !when.get_untracked().is_empty())
            .then(|| format!("{}:00+08:00", when.get_untracked()));
        let text = comment.get_untracked();
        let body = TransitionRequest {
            action,
            from,
            comment: (!text.trim().is_empty()).then_some(text),
            items,
            scheduled_for,
        };
        act(api_client::reviewer_step(id, &body), move |_| bump(tick));
    };
    let actions = application.actions.clone();
    if actions.is_empty() {
        return ().into_any();
    }
    let can_return = actions.contains(&Action::Return);
    let can_schedule = actions.contains(&Action::ScheduleCheck);
    let materials = application.materials.clone();
    view! {
        <section class="panel actions" aria-labelledby="actions-title" data-test="review-actions">
            <h2 id="actions-title">{tr(|m| m.licence.actions_title)}</h2>
            {can_return.then(|| view! {
                <fieldset class="field">
                    <legend>{tr(|m| m.licence.return_items)}</legend>
                    {materials.into_iter().map(|m| {
                        let code = m.code.clone();
                        let name = m.name.clone();
                        let id = format!("reason-{code}");
                        let item = m.item;
                        view! {
                            <div class="field">
                                <label for=id.clone()>{move || fill(prefs.t().licence.item_reason, &[("item", &item.to_string()), ("name", &pick(prefs.locale.get(), &name))])}</label>
                                <input id=id data-material=code.clone() on:input=move |ev| {
                                    let v = event_target_value(&ev);
                                    let code = code.clone();
                                    reasons.update(|r| { if v.trim().is_empty() { r.remove(&code); } else { r.insert(code, v); } });
                                } />
                            </div>
                        }
                    }).collect_view()}
                </fieldset>
            })}
            {can_schedule.then(|| view! {
                <div class="field">
                    <label for="check-time">{tr(|m| m.licence.schedule_at)}</label>
                    <input id="check-time" type="datetime-local" on:input=move |ev| when.set(event_target_value(&ev)) />
                </div>
            })}
            <div class="field">
                <label for="review-comment">{tr(|m| m.licence.comment)}</label>
                <p class="hint" id="review-comment-hint">{tr(|m| m.licence.appeal_hint)}</p>
                <textarea id="review-comment" rows="3" aria-describedby="review-comment-hint" on:input=move |ev| comment.set(event_target_value(&ev))></textarea>
            </div>
            <p class="button-row">
                {actions.into_iter().map(|a| {
                    let primary = matches!(a, Action::Accept | Action::Approve | Action::PassCheck | Action::UseCommitment);
                    view! {
                        <button class="button" class:primary=primary data-action=a.as_str() on:click=move |_| send(a)>
                            {move || action_text(prefs.t(), a)}
                        </button>
                    }
                }).collect_view()}
            </p>
        </section>
    }.into_any()
}

/// The issued licence's permits, each revocable.
#[component]
fn IssuedPermits(number: String) -> impl IntoView {
    let prefs = use_prefs();
    let tick = RwSignal::new(0u32);
    let licence = load::<Licence>(move || {
        tick.get();
        Some(api_client::issued_for_staff(&number))
    });
    let reason = RwSignal::new(String::new());
    let revoke = move |number: String, code: String| {
        let body = Revocation {
            reason: reason.get_untracked(),
        };
        act(
            api_client::revoke_permit(&number, &code, &body),
            move |_| bump(tick),
        );
    };
    view! {
        <section class="panel" aria-labelledby="issued-title" data-test="issued-permits">
            <h2 id="issued-title">{tr(|m| m.licence.permits_title)}</h2>
            {show(licence, move |l: Licence| {
                let number = l.number.clone();
                view! {
                    <p><a href=l.verify_url.clone() target="_blank" rel="noopener">{tr(|m| m.licence.open_verification)}</a></p>
                    <div class="field">
                        <label for="revoke-reason">{tr(|m| m.licence.revoke_reason)}</label>
                        <input id="revoke-reason" on:input=move |ev| reason.set(event_target_value(&ev)) />
                    </div>
                    <ul class="rows">
                        {l.permits.into_iter().map(|p| {
                            let name = p.name.clone();
                            let code = p.code.clone();
                            let number = number.clone();
                            let revoked = p.revoked_at.is_some();
                            let valid = p.clone();
                            view! {
                                <li class="row-item" data-permit=p.code.clone()>
                                    <div>
                                        <strong>{move || pick(prefs.locale.get(), &name)}</strong>
                                        <p class="hint">{p.number.clone()}" · "{move || validity(prefs.t(), valid.valid_from, valid.valid_to)}</p>
                                    </div>
                                    {if revoked {
                                        view! { <span class="badge verdict-revoked">{tr(|m| m.licence.verify_revoked)}</span> }.into_any()
                                    } else {
                                        view! { <button class="button" data-test="revoke" on:click=move |_| revoke(number.clone(), code.clone())>{tr(|m| m.licence.revoke)}</button> }.into_any()
                                    }}
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }
            })}
        </section>
    }
}

fn less(m: &'static crate::i18n::Messages, now: f64, before: f64) -> String {
    if before <= 0.0 {
        return String::new();
    }
    let percent = ((before - now) / before * 100.0).round();
    fill(m.licence.less, &[("percent", &format!("{percent}"))])
}

/// `/staff/licences/figures`.
#[component]
pub fn FiguresPage() -> impl IntoView {
    let prefs = use_prefs();
    use_title(|m| m.licence.figures_title);
    let figures = load::<Vec<CombinationFigures>>(|| Some(api_client::figures()));
    view! {
        <p><Link to=Route::Workbench(None)>{tr(|m| m.licence.workbench_title)}</Link></p>
        <h1 class="page-title">{tr(|m| m.licence.figures_title)}</h1>
        <p class="lead">{tr(|m| m.licence.figures_intro)}</p>
        {show(figures, move |list: Vec<CombinationFigures>| view! {
            {list.is_empty().then(|| view! { <p class="empty-state">{tr(|m| m.licence.queue_empty)}</p> })}
            <table class="table" data-test="figures">
                <thead><tr>
                    <th scope="col">{tr(|m| m.licence.combination)}</th>
                    <th scope="col">{tr(|m| m.licence.applications)}</th>
                    <th scope="col">{tr(|m| m.licence.materials_compare)}</th>
                    <th scope="col">{tr(|m| m.licence.time_compare)}</th>
                    <th scope="col">{tr(|m| m.licence.mean_time)}</th>
                </tr></thead>
                <tbody>
                    {list.into_iter().map(|f| {
                        let permits = f.permits.clone();
                        view! {
                            <tr>
                                <td>{move || permit_names(prefs.locale.get(), &permits)}</td>
                                <td>{move || fill(prefs.t().licence.applications_value, &[("all", &f.applications.to_string()), ("issued", &f.issued.to_string())])}</td>
                                <td>{format!("{} / {}", f.materials_asked, f.materials_separate)}" "
                                    <span class="hint">{move || less(prefs.t(), f.materials_asked as f64, f.materials_separate as f64)}</span></td>
                                <td>{format!("{} / {}", f.promised_days, f.statutory_days)}" "
                                    <span class="hint">{move || less(prefs.t(), f.promised_days as f64, f.statutory_days as f64)}</span></td>
                                <td>{move || {
                                    let m = prefs.t();
                                    match (f.mean_hours, f.mean_working_days) {
                                        (Some(h), Some(d)) => format!("{} · {} · {}",
                                            fill(m.licence.hours, &[("hours", &format!("{h:.1}"))]),
                                            fill(m.licence.working_days, &[("days", &format!("{d:.1}"))]),
                                            fill(m.licence.within, &[("count", &f.within_promise.to_string()), ("issued", &f.issued.to_string())])),
                                        _ => "—".to_owned(),
                                    }
                                }}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        })}
    }
}

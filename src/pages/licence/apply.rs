//! The applicant's pages: `/licences` (my applications), `/licences/new` (what to open, which
//! permits), `/licences/{id}` (the task list while drafting; the live progress after).

use api::licence::{
    Action, Application, ApplicationSummary, Catalogue, NewApplication, SectionStatus, Stage,
    TransitionRequest,
};
use api::text::fill;
use leptos::prelude::*;

use super::{application_row, countdown, live, permit_names, stage_badge, time_used, timeline};
use crate::api_client;
use crate::load::{act, load, show, spawn_request, Put};
use crate::prefs::{pick, tr, use_prefs, use_title};
use crate::route::Route;
use crate::router::{use_navigate, Link};

/// `/licences`: the applications of the person (or of the enterprise they act for).
#[component]
pub fn LicencesPage() -> impl IntoView {
    let prefs = use_prefs();
    use_title(|m| m.licence.list_title);
    let list = load::<Vec<ApplicationSummary>>(|| Some(api_client::applications()));
    view! {
        <h1 class="page-title">{tr(|m| m.licence.list_title)}</h1>
        <p class="lead">{tr(|m| m.licence.intro)}</p>
        <p><Link to=Route::NewApplication class="button primary">{tr(|m| m.licence.new)}</Link></p>
        {show(list, move |list: Vec<ApplicationSummary>| view! {
            {list.is_empty().then(|| view! { <p class="empty-state">{tr(|m| m.licence.none)}</p> })}
            <ul class="rows" data-test="applications">
                {list.into_iter().map(|a| {
                    let name = a.business_name.clone();
                    let permits = a.permits.clone();
                    let number = a.number.clone();
                    application_row(
                        &a,
                        false,
                        view! { <a href=Route::Application(a.id).path()>{move || if name.is_empty() { prefs.t().licence.unnamed.to_owned() } else { name.clone() }}</a> },
                        view! { {number}" · "{move || permit_names(prefs.locale.get(), &permits)} },
                    )
                }).collect_view()}
            </ul>
        })}
    }
}

/// `/licences/new`: the kind of business, then the permits (its usual ones ticked); one form
/// follows for all of them.
#[component]
pub fn NewApplicationPage() -> impl IntoView {
    let prefs = use_prefs();
    use_title(|m| m.licence.new_title);
    let catalogue = load::<Catalogue>(|| Some(api_client::catalogue()));
    let business_type = RwSignal::new(String::new());
    let chosen = RwSignal::new(Vec::<String>::new());
    let busy = RwSignal::new(false);
    let navigate = use_navigate();
    let start = move |_| {
        let body = NewApplication {
            business_type: business_type.get_untracked(),
            permits: chosen.get_untracked(),
        };
        let navigate = navigate.clone();
        busy.set(true);
        let page = crate::alerts::page();
        spawn_request(
            api_client::new_application(&body),
            move |answer, _| match answer {
                // To the new application, unless the person has gone elsewhere meanwhile.
                Ok(a) => {
                    if page.is_current() {
                        navigate(Route::Application(a.id));
                    }
                }
                Err(e) => {
                    page.show(e);
                    busy.put(false);
                }
            },
        );
    };
    view! {
        <p><Link to=Route::Licences>{tr(|m| m.licence.back_to_list)}</Link></p>
        <h1 class="page-title">{tr(|m| m.licence.new_title)}</h1>
        {show(catalogue, move |c: Catalogue| {
            let types = c.business_types.clone();
            let permits = c.permits.clone();
            view! {
                <fieldset class="choice panel" data-test="business-types">
                    <legend>{tr(|m| m.licence.business_type)}</legend>
                    {types.into_iter().map(|t| {
                        let code = t.code.clone();
                        let usual = t.permits.clone();
                        let name = t.name.clone();
                        view! {
                            <label class="option">
                                <input type="radio" name="business-type" value=code.clone()
                                    on:change=move |_| {
                                        business_type.set(code.clone());
                                        chosen.set(usual.iter().filter(|p| *p != "business_licence").cloned().collect());
                                    } />
                                " " {move || pick(prefs.locale.get(), &name)}
                            </label>
                        }
                    }).collect_view()}
                </fieldset>
                <fieldset class="choice panel" data-test="permits">
                    <legend>{tr(|m| m.licence.permits_label)}</legend>
                    {permits.into_iter().map(|p| {
                        let code = p.code.clone();
                        let always = code == "business_licence";
                        let name = p.name.clone();
                        let days = p.promised_days;
                        let check_code = code.clone();
                        view! {
                            <label class="option">
                                <input type="checkbox" value=code.clone() disabled=always
                                    prop:checked=move || always || chosen.get().contains(&check_code)
                                    on:change=move |ev| {
                                        let on = event_target_checked(&ev);
                                        let code = code.clone();
                                        chosen.update(|c| {
                                            c.retain(|x| *x != code);
                                            if on { c.push(code); }
                                        });
                                    } />
                                " " {move || pick(prefs.locale.get(), &name)}
                                <span class="hint">" · "{move || fill(prefs.t().licence.promised, &[("days", &days.to_string())])}
                                    {always.then(|| view! { " · " {tr(|m| m.licence.always)} })}</span>
                            </label>
                        }
                    }).collect_view()}
                </fieldset>
            }
        })}
        <p><button class="button primary" data-test="start" on:click=start
            disabled=move || business_type.get().is_empty() || busy.get()>{tr(|m| m.licence.start)}</button></p>
    }
}

/// Takes the applicant's step (submit, resubmit, withdraw); `done` runs with the new state
/// while the page that asked is still there.
pub fn take_step(
    id: i64,
    from: Stage,
    action: Action,
    comment: Option<String>,
    done: impl FnOnce(Application) + 'static,
) {
    let body = TransitionRequest {
        action,
        from,
        comment,
        items: Vec::new(),
        scheduled_for: None,
    };
    act(api_client::applicant_step(id, &body), done);
}

fn status_text(m: &'static crate::i18n::Messages, s: SectionStatus) -> &'static str {
    match s {
        SectionStatus::NotStarted => m.licence.status_not_started,
        SectionStatus::InProgress => m.licence.status_in_progress,
        SectionStatus::Completed => m.licence.status_completed,
    }
}

/// `/licences/{id}`: while it is with the applicant, the task list and what to fix; then the
/// progress, live.
#[component]
pub fn ApplicationPage(id: i64) -> impl IntoView {
    let prefs = use_prefs();
    use_title(|m| m.licence.application_title);
    let (tick, updated) = live(api_client::application_events(id));
    let application = load::<Application>(move || {
        tick.get();
        Some(api_client::application(id))
    });
    let withdraw = move |from: Stage| {
        take_step(id, from, Action::Withdraw, None, move |a| {
            application.put(Some(Ok(a)))
        });
    };
    view! {
        <p><Link to=Route::Licences>{tr(|m| m.licence.back_to_list)}</Link></p>
        <p class="visually-hidden" role="status" aria-live="polite">{move || updated.get().then(|| tr(|m| m.licence.updated)())}</p>
        {show(application, move |a: Application| {
            let stage = a.stage;
            let drafting = matches!(stage, Stage::Draft | Stage::Returned);
            let permits = a.permits.iter().map(|p| p.name.clone()).collect::<Vec<_>>();
            let number = a.number.clone();
            let to_fix: Vec<_> = a.materials.iter().filter(|m| m.returned.is_some()).cloned().collect();
            let can_withdraw = a.actions.contains(&Action::Withdraw);
            let promised = a.promised_days;
            view! {
                <h1 class="page-title">{move || pick(prefs.locale.get(), &a.business_type.name)}</h1>
                <p class="hint">{move || fill(prefs.t().licence.number, &[("number", &number)])}" · "{move || permit_names(prefs.locale.get(), &permits)}</p>
                <p>{stage_badge(stage)}" "<span class="hint">{move || fill(prefs.t().licence.promised, &[("days", &promised.to_string())])}</span></p>
                {countdown(a.working_days_left, a.deadline.clone())}
                {time_used(a.working_days_used, promised)}
                <section class="panel todo" aria-labelledby="todo-title" data-test="todo">
                    <h2 id="todo-title">{tr(|m| m.licence.todo_title)}</h2>
                    {match stage {
                        Stage::Draft => view! { <p>{tr(|m| m.licence.todo_fill)}</p> }.into_any(),
                        Stage::Returned => view! {
                            <ul class="returned-items">
                                {to_fix.into_iter().map(|m| {
                                    let name = m.name.clone();
                                    let reason = m.returned.clone().unwrap_or_default();
                                    view! { <li data-material=m.code.clone()>{move || fill(prefs.t().licence.todo_fix, &[("item", &m.item.to_string()), ("name", &pick(prefs.locale.get(), &name)), ("reason", &reason)])}</li> }
                                }).collect_view()}
                            </ul>
                        }.into_any(),
                        Stage::Issued => view! {
                            <p><a class="button primary" data-test="view-licence" href=Route::Licence(a.licence.clone().unwrap_or_default()).path()>{tr(|m| m.licence.view_licence)}</a></p>
                        }.into_any(),
                        Stage::Rejected => view! {
                            <h3>{tr(|m| m.licence.rejection_title)}</h3>
                            <p data-test="rejection">{a.rejection.clone().unwrap_or_default()}</p>
                        }.into_any(),
                        Stage::Withdrawn => view! { <p>{tr(|m| m.licence.todo_withdrawn)}</p> }.into_any(),
                        _ => view! { <p>{tr(|m| m.licence.todo_none)}</p> }.into_any(),
                    }}
                </section>
                {drafting.then(|| {
                    let sections = a.sections.clone();
                    view! {
                        <section class="panel" aria-labelledby="tasks-title">
                            <h2 id="tasks-title">{tr(|m| m.licence.task_list)}</h2>
                            <ol class="task-list" data-test="tasks">
                                {sections.into_iter().map(|s| {
                                    let title = s.title.clone();
                                    let status = s.status;
                                    view! {
                                        <li class="row-item" data-section=s.key.clone() data-status=status.as_str()>
                                            <a href=Route::Section(id, s.key.clone()).path()>{move || pick(prefs.locale.get(), &title)}</a>
                                            <span class=format!("badge task-{}", status.as_str())>{move || status_text(prefs.t(), status)}</span>
                                        </li>
                                    }
                                }).collect_view()}
                            </ol>
                            <p><a class="button primary" data-test="check-answers" href=Route::CheckAnswers(id).path()>{tr(|m| m.licence.check_and_submit)}</a></p>
                        </section>
                    }
                })}
                {(!a.steps.is_empty()).then(|| view! {
                    <section class="panel" aria-labelledby="progress-title">
                        <h2 id="progress-title">{tr(|m| m.licence.timeline_title)}</h2>
                        {timeline(a.steps.clone())}
                    </section>
                })}
                {can_withdraw.then(|| view! {
                    <p><button class="button" data-test="withdraw" on:click=move |_| withdraw(stage)>{tr(|m| m.licence.withdraw)}</button></p>
                })}
            }
        })}
    }
}

/// The size of a file, as people read it.
pub fn size_text(bytes: i64) -> String {
    if bytes >= 1024 * 1024 {
        format!("{:.1} MB", bytes as f64 / (1024.0 * 1024.0))
    } else {
        format!("{} KB", (bytes + 1023) / 1024)
    }
}

//! 一照通 in the app: the applicant's form and tracking, the issued licence, the staff
//! workbench (signed-in bundle), and the public tracking and verification pages (also in the
//! visitors' `track` bundle).

#[cfg(feature = "account")]
pub mod apply;
#[cfg(feature = "account")]
pub mod catalogue;
#[cfg(feature = "account")]
pub mod form;
#[cfg(feature = "account")]
pub mod issued;
pub mod public;
#[cfg(feature = "account")]
pub mod staff;

use api::licence::{Action, Stage, Step};
use api::text::fill;
use leptos::prelude::*;

use crate::api_client::Events;
use crate::format;
use crate::i18n::Messages;
use crate::load::{bump, Put};
use crate::prefs::{pick, use_prefs};

pub fn stage_text(m: &Messages, s: Stage) -> &'static str {
    let t = &m.licence;
    match s {
        Stage::Draft => t.stage_draft,
        Stage::Submitted => t.stage_submitted,
        Stage::Returned => t.stage_returned,
        Stage::Accepted => t.stage_accepted,
        Stage::OnSiteCheck => t.stage_on_site_check,
        Stage::CheckPassed => t.stage_check_passed,
        Stage::Commitment => t.stage_commitment,
        Stage::Approved => t.stage_approved,
        Stage::Issued => t.stage_issued,
        Stage::Rejected => t.stage_rejected,
        Stage::Withdrawn => t.stage_withdrawn,
    }
}

pub fn action_text(m: &Messages, a: Action) -> &'static str {
    let t = &m.licence;
    match a {
        Action::Submit => t.action_submit,
        Action::Resubmit => t.action_resubmit,
        Action::Withdraw => t.action_withdraw,
        Action::Accept => t.action_accept,
        Action::Return => t.action_return,
        Action::ScheduleCheck => t.action_schedule_check,
        Action::PassCheck => t.action_pass_check,
        Action::FailCheck => t.action_fail_check,
        Action::UseCommitment => t.action_use_commitment,
        Action::Approve => t.action_approve,
        Action::Reject => t.action_reject,
        Action::Issue => t.action_issue,
    }
}

/// A stage as a coloured badge.
pub fn stage_badge(stage: Stage) -> impl IntoView {
    let prefs = use_prefs();
    view! {
        <span class=format!("badge stage-{}", stage.as_str()) data-test="stage" data-stage=stage.as_str()>
            {move || stage_text(prefs.t(), stage)}
        </span>
    }
}

/// "剩余 3 个工作日" / "今天到期" / "已超期 2 个工作日", with the deadline.
pub fn countdown(left: Option<i64>, deadline: Option<String>) -> impl IntoView {
    let prefs = use_prefs();
    left.map(|days| {
        let overdue = days < 0;
        view! {
            <p class="countdown" class:overdue=overdue data-test="countdown" data-days=days.to_string()>
                <strong>{move || {
                    let t = &prefs.t().licence;
                    match days {
                        0 => t.due_today.to_owned(),
                        d if d < 0 => fill(t.overdue, &[("days", &(-d).to_string())]),
                        d => fill(t.days_left, &[("days", &d.to_string())]),
                    }
                }}</strong>
                {deadline.clone().map(|d| view! { " · " <span class="hint">{move || { let m = prefs.t(); fill(m.licence.deadline, &[("time", &format::stamp(m, &d))]) }}</span> })}
            </p>
        }
    })
}

/// "已用 2 个工作日（承诺 10 个）": time taken against time promised, once accepted.
pub fn time_used(used: Option<i64>, promised: u32) -> impl IntoView {
    let prefs = use_prefs();
    used.map(|used| {
        view! {
            <p class="hint" data-test="time-used">{move || fill(prefs.t().licence.time_used, &[("used", &used.to_string()), ("promised", &promised.to_string())])}</p>
        }
    })
}

/// Every step so far, oldest first: what, who, when, why.
pub fn timeline(steps: Vec<Step>) -> impl IntoView {
    let prefs = use_prefs();
    view! {
        <ol class="timeline" data-test="timeline">
            {steps.into_iter().map(|s| {
                let action = s.action;
                let comment = s.comment.clone();
                let items = s.items.clone();
                let scheduled = s.scheduled_for.clone();
                view! {
                    <li data-action=action.as_str()>
                        <strong>{move || action_text(prefs.t(), action)}</strong>
                        " · "
                        {move || {
                            let m = prefs.t();
                            let who = match s.actor.as_str() {
                                "applicant" => m.licence.actor_applicant.to_owned(),
                                "reviewer" => s.actor_name.clone().unwrap_or_else(|| m.licence.actor_reviewer.to_owned()),
                                _ => m.licence.actor_system.to_owned(),
                            };
                            format!("{who} · {}", format::stamp(m, &s.at))
                        }}
                        {scheduled.map(|t| view! { <p class="hint">{move || { let m = prefs.t(); fill(m.licence.scheduled_for, &[("time", &format::stamp(m, &t))]) }}</p> })}
                        {comment.map(|c| view! { <p class="comment">{c}</p> })}
                        {(!items.is_empty()).then(|| view! {
                            <ul class="returned-items">{items.into_iter().map(|i| view! { <li>{i.reason}</li> }).collect_view()}</ul>
                        })}
                    </li>
                }
            }).collect_view()}
        </ol>
    }
}

/// A permit's validity: "2026年11月29日 至 2031年11月28日", or from a date with no end (长期).
pub fn validity(m: &'static Messages, from: api::Date, to: Option<api::Date>) -> String {
    match to {
        None => fill(
            m.licence.valid_long_term,
            &[("from", &format::date(m, from))],
        ),
        Some(to) => fill(
            m.licence.valid_range,
            &[
                ("from", &format::date(m, from)),
                ("to", &format::date(m, to)),
            ],
        ),
    }
}

/// One application in a list: a link to it (`link`), a line under it (`hint`), its stage and
/// the working days left; `overdue` marks it for the staff who owe it an answer.
#[cfg(feature = "account")]
pub fn application_row(
    a: &api::licence::ApplicationSummary,
    overdue: bool,
    link: impl IntoView,
    hint: impl IntoView,
) -> impl IntoView {
    view! {
        <li class="row-item" class:overdue=overdue data-number=a.number.clone()>
            <div>
                {link}
                <p class="hint">{hint}</p>
            </div>
            <div class="row-end">
                {stage_badge(a.stage)}
                {countdown(a.working_days_left, None)}
            </div>
        </li>
    }
}

/// The permits' names, joined.
pub fn permit_names(locale: crate::i18n::Locale, names: &[api::policy::Bilingual]) -> String {
    let sep = if locale == crate::i18n::Locale::ZhCn {
        "、"
    } else {
        ", "
    };
    names
        .iter()
        .map(|n| pick(locale, n))
        .collect::<Vec<_>>()
        .join(sep)
}

/// A counter that goes up whenever the server's stream `events` says something changed (and
/// whether it has); the stream closes with the page.
pub fn live(events: Events) -> (RwSignal<u32>, RwSignal<bool>) {
    let tick = RwSignal::new(0u32);
    let updated = RwSignal::new(false);
    let stream = StoredValue::new_local(events.subscribe(move || {
        bump(tick);
        updated.put(true);
    }));
    // Closed when the page goes: cleanups run before its signals are disposed, so no event
    // reaches them afterwards (the callback is safe with disposed signals anyway).
    on_cleanup(move || {
        let _ = stream.try_update_value(Option::take);
    });
    (tick, updated)
}

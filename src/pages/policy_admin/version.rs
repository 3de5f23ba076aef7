//! `/staff/policies/{id}/versions/{version}`: one version: its facts, its file (editable while
//! a draft), the comparison with the version in force, the impact sandbox, and what the
//! signed-in staff member may decide.

use api::policy_admin::{Retirement, RetirementKind, Stage, VersionDetail};
use api::text::fill;
use api::Date;
use leptos::prelude::*;

use super::{basics, diff, editor, evaluation, holds, impact, stage_badge};
use crate::api_client;
use crate::format;
use crate::load::{act, bump, load, show};
use crate::prefs::{pick, tr, use_prefs, use_title};
use crate::route::Route;
use crate::router::{use_navigate, Link};

/// The first day of the month after `today`: the date a change usually starts.
fn first_of_next_month(today: Date) -> Date {
    let (y, m) = if today.month() == 12 {
        (today.year() + 1, 1)
    } else {
        (today.year(), today.month() + 1)
    };
    Date::new(y, m, 1).unwrap_or(today)
}

#[component]
pub fn VersionPage(id: String, version: u32) -> impl IntoView {
    use_title(|m| m.policy_admin.title);
    let tick = RwSignal::new(0u32);
    let key = id.clone();
    let detail = load::<VersionDetail>(move || {
        tick.track();
        Some(api_client::policy_version(&key, version))
    });
    view! {
        {show(detail, move |d: VersionDetail| view! { <Version detail=d tick /> })}
        <p><Link to=Route::PolicyAdmin>{tr(|m| m.policy_admin.title)}</Link></p>
    }
}

#[component]
fn Version(detail: VersionDetail, tick: RwSignal<u32>) -> impl IntoView {
    let prefs = use_prefs();
    let info = detail.info.clone();
    let id = info.policy.clone();
    let version = info.version;
    let name = info.name.clone();
    let date = move |d: Option<Date>| d.map(|d| format::date(prefs.t(), d));
    let drafts = holds(api::account::Permission::PolicyAdmin);
    let navigate = use_navigate();
    let revise = {
        let id = id.clone();
        move |_| {
            let navigate = navigate.clone();
            act(api_client::revise_policy(&id), move |d| {
                navigate(Route::PolicyVersion(d.info.policy, d.info.version))
            });
        }
    };
    let published = matches!(info.stage, Stage::InForce | Stage::Scheduled);
    let source = RwSignal::new(detail.source.clone());
    let facts = info.clone();
    view! {
        <h1 class="page-title">{move || pick(prefs.locale.get(), &name)}</h1>
        <p class="badges">
            <span class="badge muted">{move || fill(prefs.t().policy_admin.version_n, &[("version", &version.to_string())])}</span>
            {stage_badge(info.stage)}
        </p>
        <dl class="facts" data-test="version-facts">
            <dt>{tr(|m| m.policy_admin.effective_from)}</dt>
            <dd>{move || date(facts.effective_from).unwrap_or_else(|| "—".to_owned())}</dd>
            <dt>{tr(|m| m.policy_admin.effective_until)}</dt>
            <dd>{move || date(facts.effective_until).unwrap_or_else(|| prefs.t().policy_admin.open_ended.to_owned())}</dd>
            <dt>{tr(|m| m.policy_admin.drafted_by)}</dt>
            <dd>{let who = facts.drafted_by.clone(); move || who.clone().unwrap_or_else(|| prefs.t().policy_admin.from_file.to_owned())}</dd>
            {facts.approved_by.clone().map(|who| view! {
                <dt>{tr(|m| m.policy_admin.approved_by)}</dt>
                <dd data-test="approved-by">{who}</dd>
            })}
            {facts.returned_reason.clone().map(|why| view! {
                <dt>{tr(|m| m.policy_admin.returned_reason)}</dt>
                <dd data-test="returned-reason">{why}</dd>
            })}
            {facts.retirement.clone().map(|r| view! {
                <dt>{tr(|m| m.policy_admin.retirement)}</dt>
                <dd data-test="retirement">{move || retirement_text(prefs.t(), &r)}</dd>
            })}
        </dl>
        {move || (drafts() && published).then(|| view! {
            <p><button class="button" data-test="revise" on:click=revise.clone()>{tr(|m| m.policy_admin.revise)}</button></p>
        })}
        {if detail.may_edit {
            view! { <DraftActions id=id.clone() version source tick /> }.into_any()
        } else {
            view! {
                <h2>{tr(|m| m.policy_admin.file)}</h2>
                <pre class="code source" data-test="source" tabindex="0" aria-label=tr(|m| m.policy_admin.file)>{detail.source.clone()}</pre>
            }.into_any()
        }}
        {detail.in_force.clone().map(|current| view! { <Comparison current_version=current.version current=current.source draft=source /> })}
        {matches!(info.stage, Stage::Draft | Stage::Review | Stage::Scheduled).then(|| view! { <impact::Sandbox id=id.clone() version /> })}
        {(info.stage == Stage::Review && !detail.may_approve && holds(api::account::Permission::PolicyApprove)()).then(|| view! {
            <p class="hint" data-test="own-draft">{tr(|m| m.policy_admin.own_draft)}</p>
        })}
        {matches!(info.stage, Stage::InForce | Stage::Ended | Stage::Retired).then(|| view! {
            <evaluation::EvaluationPanel id=id.clone() version may_record=drafts() />
        })}
        {detail.may_approve.then(|| view! { <Decision id=id.clone() version tick /> })}
        {detail.may_retire.then(|| view! { <Retire id=id.clone() tick /> })}
    }
}

/// "废止，最后执行日 2026年12月31日：…".
pub fn retirement_text(m: &'static crate::i18n::Messages, r: &Retirement) -> String {
    let kind = match r.kind {
        RetirementKind::Repealed => m.policy_admin.retired_repealed,
        RetirementKind::Expired => m.policy_admin.retired_expired,
    };
    fill(
        m.policy_admin.retired_on,
        &[
            ("kind", kind),
            ("date", &format::date(m, r.last_day)),
            ("notice", &r.notice),
        ],
    )
}

/// A draft: the editor, save, submit.
#[component]
fn DraftActions(
    id: String,
    version: u32,
    source: RwSignal<String>,
    tick: RwSignal<u32>,
) -> impl IntoView {
    let saved = RwSignal::new(false);
    let key = id.clone();
    let save = move |_| {
        saved.set(false);
        act(
            api_client::save_policy_draft(&key, version, &source.get_untracked()),
            move |_| saved.put(true),
        );
    };
    let submit = move |_| {
        let id = id.clone();
        let call_source = source.get_untracked();
        // Saved first, so what is submitted is what is on the screen.
        act(
            api_client::save_policy_draft(&id, version, &call_source),
            move |_| {
                act(api_client::submit_policy(&id, version), move |_| bump(tick));
            },
        );
    };
    use crate::load::Put;
    view! {
        <basics::Basics source />
        <editor::Editor source />
        <p class="button-row">
            <button class="button" data-test="save-draft" on:click=save>{tr(|m| m.policy_admin.save)}</button>
            <button class="button primary" data-test="submit-draft" on:click=submit>{tr(|m| m.policy_admin.submit)}</button>
        </p>
        {move || saved.get().then(|| view! { <p class="check-ok" role="status" data-test="saved">{tr(|m| m.policy_admin.saved)}</p> })}
    }
}

/// The file beside the version in force, line by line.
#[component]
fn Comparison(current_version: u32, current: String, draft: RwSignal<String>) -> impl IntoView {
    let prefs = use_prefs();
    let rows = Memo::new(move |_| diff::side_by_side(&current, &draft.get()));
    let cell = |side: Option<(usize, String)>, changed: bool, class: &'static str| match side {
        Some((n, text)) => view! {
            <td class="line-number">{n}</td>
            <td class=class class:changed=changed><code>{text}</code></td>
        }
        .into_any(),
        None => view! { <td class="line-number"></td><td class=class></td> }.into_any(),
    };
    view! {
        <section class="panel comparison" aria-labelledby="diff-title" data-test="diff">
            <h2 id="diff-title">{move || fill(prefs.t().policy_admin.diff_title, &[("version", &current_version.to_string())])}</h2>
            {move || {
                let rows = rows.get();
                let changed = rows.iter().filter(|r| r.changed()).count();
                if changed == 0 {
                    return view! { <p class="hint">{tr(|m| m.policy_admin.diff_none)}</p> }.into_any();
                }
                view! {
                    <p class="hint" data-test="diff-count">{move || fill(prefs.t().policy_admin.diff_changes, &[("count", &changed.to_string())])}</p>
                    <div class="table-scroll" tabindex="0" role="region" aria-label=tr(|m| m.policy_admin.diff_table)>
                        <table class="table diff">
                            <thead><tr>
                                <th colspan="2" scope="col">{tr(|m| m.policy_admin.diff_current)}</th>
                                <th colspan="2" scope="col">{tr(|m| m.policy_admin.diff_draft)}</th>
                            </tr></thead>
                            <tbody>
                                {rows.into_iter().filter(|r| r.changed()).map(|r| view! {
                                    <tr class="diff-row">
                                        {cell(r.left.clone(), true, "removed")}
                                        {cell(r.right.clone(), true, "added")}
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                }.into_any()
            }}
        </section>
    }
}

/// Approve from a date, or send back with a reason.
#[component]
fn Decision(id: String, version: u32, tick: RwSignal<u32>) -> impl IntoView {
    let from = RwSignal::new(first_of_next_month(format::today()).to_string());
    let reason = RwSignal::new(String::new());
    let key = id.clone();
    let approve = move |_| {
        let Ok(date) = from.get_untracked().parse::<Date>() else {
            return;
        };
        act(api_client::approve_policy(&key, version, date), move |_| {
            bump(tick)
        });
    };
    let send_back = move |_| {
        act(
            api_client::return_policy(&id, version, &reason.get_untracked()),
            move |_| bump(tick),
        );
    };
    view! {
        <section class="panel no-print" aria-labelledby="decision-title" data-test="decision">
            <h2 id="decision-title">{tr(|m| m.policy_admin.approve_title)}</h2>
            <p class="hint">{tr(|m| m.policy_admin.approve_lead)}</p>
            <div class="field">
                <label for="approve-from">{tr(|m| m.policy_admin.approve_from)}</label>
                <input id="approve-from" type="date" prop:value=move || from.get() on:input=move |ev| from.set(event_target_value(&ev)) />
            </div>
            <p><button class="button primary" data-test="approve" on:click=approve>{tr(|m| m.policy_admin.approve)}</button></p>
            <div class="field">
                <label for="return-reason">{tr(|m| m.policy_admin.return_reason)}</label>
                <textarea id="return-reason" rows="3" on:input=move |ev| reason.set(event_target_value(&ev))></textarea>
            </div>
            <p><button class="button" data-test="send-back" on:click=send_back>{tr(|m| m.policy_admin.send_back)}</button></p>
        </section>
    }
}

/// Retire the policy: 废止 or 失效, the last day, a notice.
#[component]
fn Retire(id: String, tick: RwSignal<u32>) -> impl IntoView {
    let kind = RwSignal::new(RetirementKind::Repealed);
    let last_day = RwSignal::new(format::today().to_string());
    let notice = RwSignal::new(String::new());
    let retire = move |_| {
        let Ok(last) = last_day.get_untracked().parse::<Date>() else {
            return;
        };
        let body = Retirement {
            kind: kind.get_untracked(),
            last_day: last,
            notice: notice.get_untracked(),
        };
        act(api_client::retire_policy(&id, &body), move |_| bump(tick));
    };
    let choice = move |value: RetirementKind, key: crate::prefs::Key, html_id: &'static str| {
        view! {
            <label class="choice" for=html_id>
                <input type="radio" id=html_id name="retire-kind" prop:checked=move || kind.get() == value on:change=move |_| kind.set(value) />
                {tr(key)}
            </label>
        }
    };
    view! {
        <details class="panel no-print danger-zone" data-test="retire-panel">
            <summary>{tr(|m| m.policy_admin.retire_title)}</summary>
            <p class="hint">{tr(|m| m.policy_admin.retire_lead)}</p>
            <fieldset class="field">
                <legend>{tr(|m| m.policy_admin.retire_kind)}</legend>
                {choice(RetirementKind::Repealed, |m| m.policy_admin.retired_repealed, "retire-repealed")}
                {choice(RetirementKind::Expired, |m| m.policy_admin.retired_expired, "retire-expired")}
            </fieldset>
            <div class="field">
                <label for="retire-last-day">{tr(|m| m.policy_admin.retire_last_day)}</label>
                <input id="retire-last-day" type="date" prop:value=move || last_day.get() on:input=move |ev| last_day.set(event_target_value(&ev)) />
            </div>
            <div class="field">
                <label for="retire-notice">{tr(|m| m.policy_admin.retire_notice)}</label>
                <textarea id="retire-notice" rows="3" on:input=move |ev| notice.set(event_target_value(&ev))></textarea>
            </div>
            <p><button class="button danger" data-test="retire" on:click=retire>{tr(|m| m.policy_admin.retire)}</button></p>
        </details>
    }
}

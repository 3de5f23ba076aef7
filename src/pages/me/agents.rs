//! An enterprise's authorised agents, for its legal representative: list, add, revoke.

use api::account::{Agent, EnterpriseAccess, NewAgent, Scopes};
use api::{Date, Mobile};
use leptos::prelude::*;

use crate::api_client;
use crate::format;
use crate::load::{act, bump, load, show, Put};
use crate::prefs::{tr, use_prefs};

/// The agents section of one enterprise.
#[component]
pub fn Agents(enterprise: EnterpriseAccess) -> impl IntoView {
    let prefs = use_prefs();
    let id = enterprise.id;
    let reload = RwSignal::new(0u32);
    let list = load::<Vec<Agent>>(move || {
        let _ = reload.try_get();
        Some(api_client::agents(id))
    });
    let phone = RwSignal::new(String::new());
    let subsidies = RwSignal::new(true);
    let licences = RwSignal::new(false);
    let today = crate::format::today();
    let expires =
        RwSignal::new(Date::from_days_since_epoch(today.days_since_epoch() + 365).to_string());
    let error = RwSignal::new(None::<String>);
    let add = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let m = prefs.t();
        let parsed = match Mobile::parse(&phone.get_untracked()) {
            Ok(p) => p,
            Err(e) => return error.put(Some(format::validation(m, e))),
        };
        let Ok(expires_on) = expires.get_untracked().parse::<Date>() else {
            return error.put(Some(m.validation.date_past.to_owned()));
        };
        let body = NewAgent {
            phone: parsed,
            scopes: Scopes {
                subsidies: subsidies.get_untracked(),
                licences: licences.get_untracked(),
            },
            expires_on,
        };
        // What the server refuses shows in the alert region; the checks as typed stay here.
        error.put(None);
        act(api_client::add_agent(id, &body), move |_| {
            phone.put(String::new());
            bump(reload);
        });
    };
    let title_id = format!("agents-{}", enterprise.id);
    let labelled_by = title_id.clone();
    view! {
        <section class="panel" aria-labelledby=labelled_by>
            <h2 id=title_id>{tr(|m| m.account.agents)} " · " {enterprise.name.clone()}</h2>
            <p class="hint">{tr(|m| m.account.agents_intro)}</p>
            {show(list, move |agents: Vec<Agent>| {
                if agents.is_empty() {
                    view! { <p>{tr(|m| m.account.no_agents)}</p> }.into_any()
                } else {
                    view! {
                        <ul class="rows" data-test="agents">
                            {agents.into_iter().map(|a| view! { <AgentRow agent=a enterprise=id reload /> }).collect_view()}
                        </ul>
                    }
                    .into_any()
                }
            })}
            <form class="form" on:submit=add novalidate>
                <label for="agent-phone">{tr(|m| m.account.agent_phone)}</label>
                <input id="agent-phone" type="tel" inputmode="numeric" autocomplete="off" prop:value=phone on:input=move |ev| phone.put(event_target_value(&ev)) />
                <label class="check">
                    <input type="checkbox" prop:checked=subsidies on:change=move |ev| subsidies.set(event_target_checked(&ev)) />
                    {tr(|m| m.account.scope_subsidies)}
                </label>
                <label class="check">
                    <input type="checkbox" prop:checked=licences on:change=move |ev| licences.set(event_target_checked(&ev)) />
                    {tr(|m| m.account.scope_licences)}
                </label>
                <label for="agent-expires">{tr(|m| m.account.expires_on)}</label>
                <input id="agent-expires" type="date" prop:value=expires on:input=move |ev| expires.set(event_target_value(&ev)) />
                <p class="field-error" role="alert">{move || error.get()}</p>
                <button type="submit" class="button" data-test="add-agent">{tr(|m| m.account.add_agent)}</button>
            </form>
        </section>
    }
}

/// One agent, with a revoke button while active.
#[component]
fn AgentRow(agent: Agent, enterprise: i64, reload: RwSignal<u32>) -> impl IntoView {
    let prefs = use_prefs();
    let agent_id = agent.id;
    let revoke = move |_| {
        act(api_client::revoke_agent(enterprise, agent_id), move |()| {
            bump(reload)
        })
    };
    let scopes = agent.scopes;
    let expires_on = agent.expires_on;
    let status = move || {
        let a = &prefs.t().account;
        if agent.revoked_at.is_some() {
            a.revoked
        } else if agent.active {
            a.active
        } else {
            a.expired
        }
    };
    view! {
        <li class="row-item">
            <span>
                <strong>{agent.phone.clone()}</strong>
                " · "
                {move || {
                    let a = &prefs.t().account;
                    [(scopes.subsidies, a.scope_subsidies), (scopes.licences, a.scope_licences)]
                        .iter()
                        .filter(|(on, _)| *on)
                        .map(|(_, t)| *t)
                        .collect::<Vec<_>>()
                        .join(prefs.t().common.list_separator)
                }}
                " · "
                {move || format::date(prefs.t(), expires_on)}
                " · "
                {status}
            </span>
            {agent.active.then(|| view! { <button type="button" class="button small" on:click=revoke>{tr(|m| m.account.revoke)}</button> })}
        </li>
    }
}

//! Who may act for whom: an enterprise's agents, for its legal representative, and the family
//! members a person has authorised (家人代办): list, add, revoke.

use api::account::{Agent, EnterpriseAccess, NewAgent, Scopes};
use api::{Date, Mobile};
use leptos::prelude::*;

use crate::api_client::{self, Call};
use crate::format;
use crate::load::{act, bump, load, show, Put};
use crate::prefs::{tr, use_prefs};

/// Whose agents a section shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Whose {
    /// An enterprise's (its id): subsidies and licences.
    Enterprise(i64),
    /// The person's own family members: subsidies only.
    Family,
}

impl Whose {
    fn list(self) -> Call<Vec<Agent>> {
        match self {
            Whose::Enterprise(e) => api_client::agents(e),
            Whose::Family => api_client::family_agents(),
        }
    }

    fn add(self, body: &NewAgent) -> Call<Agent> {
        match self {
            Whose::Enterprise(e) => api_client::add_agent(e, body),
            Whose::Family => api_client::add_family_agent(body),
        }
    }

    fn revoke(self, agent: i64) -> Call<()> {
        match self {
            Whose::Enterprise(e) => api_client::revoke_agent(e, agent),
            Whose::Family => api_client::revoke_family_agent(agent),
        }
    }

    /// The prefix of the section's element ids.
    fn key(self) -> String {
        match self {
            Whose::Enterprise(e) => format!("agents-{e}"),
            Whose::Family => "family".to_owned(),
        }
    }
}

/// The agents section of one enterprise.
#[component]
pub fn Agents(enterprise: EnterpriseAccess) -> impl IntoView {
    let prefs = use_prefs();
    let name = enterprise.name.clone();
    let title = move || format!("{} · {name}", prefs.t().account.agents);
    let intro = move || prefs.t().account.agents_intro.to_owned();
    view! { <AgentsOf whose=Whose::Enterprise(enterprise.id) title=Signal::derive(title) intro=Signal::derive(intro) /> }
}

/// The family members who may handle the person's subsidies.
#[component]
pub fn Family() -> impl IntoView {
    let prefs = use_prefs();
    view! { <AgentsOf whose=Whose::Family title=Signal::derive(move || prefs.t().account.family_title.to_owned()) intro=Signal::derive(move || prefs.t().account.family_intro.to_owned()) /> }
}

/// A list of agents, the form that adds one, and a revoke button for each in force.
#[component]
fn AgentsOf(whose: Whose, title: Signal<String>, intro: Signal<String>) -> impl IntoView {
    let prefs = use_prefs();
    let family = whose == Whose::Family;
    let reload = RwSignal::new(0u32);
    let list = load::<Vec<Agent>>(move || {
        let _ = reload.try_get();
        Some(whose.list())
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
        act(whose.add(&body), move |_| {
            phone.put(String::new());
            bump(reload);
        });
    };
    let key = whose.key();
    let (title_id, phone_id, expires_id) = (
        format!("{key}-title"),
        format!("{key}-phone"),
        format!("{key}-expires"),
    );
    let (labelled_by, phone_for, expires_for) =
        (title_id.clone(), phone_id.clone(), expires_id.clone());
    view! {
        <section class="panel" aria-labelledby=labelled_by data-test=key>
            <h2 id=title_id>{title}</h2>
            <p class="hint">{intro}</p>
            {show(list, move |agents: Vec<Agent>| {
                if agents.is_empty() {
                    let none = move || if family { prefs.t().account.no_family } else { prefs.t().account.no_agents };
                    view! { <p>{none}</p> }.into_any()
                } else {
                    view! {
                        <ul class="rows" data-test="agents">
                            {agents.into_iter().map(|a| view! { <AgentRow agent=a whose reload /> }).collect_view()}
                        </ul>
                    }
                    .into_any()
                }
            })}
            <form class="form" on:submit=add novalidate>
                <label for=phone_for>{move || if family { prefs.t().account.family_phone } else { prefs.t().account.agent_phone }}</label>
                <input id=phone_id type="tel" inputmode="numeric" autocomplete="off" prop:value=phone on:input=move |ev| phone.put(event_target_value(&ev)) />
                // A family member handles subsidies only: there is no scope to choose.
                {(!family).then(|| view! {
                    <label class="check">
                        <input type="checkbox" prop:checked=subsidies on:change=move |ev| subsidies.set(event_target_checked(&ev)) />
                        {tr(|m| m.account.scope_subsidies)}
                    </label>
                    <label class="check">
                        <input type="checkbox" prop:checked=licences on:change=move |ev| licences.set(event_target_checked(&ev)) />
                        {tr(|m| m.account.scope_licences)}
                    </label>
                })}
                <label for=expires_for>{tr(|m| m.account.expires_on)}</label>
                <input id=expires_id type="date" prop:value=expires on:input=move |ev| expires.set(event_target_value(&ev)) />
                <p class="field-error" role="alert">{move || error.get()}</p>
                <button type="submit" class="button" data-test="add-agent">{move || if family { prefs.t().account.add_family } else { prefs.t().account.add_agent }}</button>
            </form>
        </section>
    }
}

/// One agent, with a revoke button while active.
#[component]
fn AgentRow(agent: Agent, whose: Whose, reload: RwSignal<u32>) -> impl IntoView {
    let prefs = use_prefs();
    let agent_id = agent.id;
    let revoke = move |_| act(whose.revoke(agent_id), move |()| bump(reload));
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

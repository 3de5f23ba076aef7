//! On a policy's page, for a signed-in resident or enterprise: do they qualify, criterion by
//! criterion with their own data and its source; what would make them qualify; when time
//! alone will; and 申报 for a policy decided at once.

use api::subsidy::{ApplyResult, PolicyCheck};
use api::text::fill;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api_client;
use crate::format;
use crate::load::{load, show, Put};
use crate::pages::grant::criterion;
use crate::pages::home::{grant_row, live_changes, pick};
use crate::prefs::{tr, use_prefs};
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
                _ => view! { <p><Link href="/login">{tr(|m| m.subsidy.check_login)}</Link></p> }.into_any(),
            }}
        </section>
    }
}

#[component]
fn Check(id: String) -> impl IntoView {
    let prefs = use_prefs();
    let (tick, _) = live_changes();
    let encoded = StoredValue::new(
        js_sys::encode_uri_component(&id)
            .as_string()
            .unwrap_or_default(),
    );
    let path = format!("/api/policies/{}/check", encoded.get_value());
    let check = load::<PolicyCheck>(move || {
        tick.get();
        Some(path.clone())
    });
    let error = RwSignal::new(None::<String>);
    let apply = move || {
        let path = format!("/api/policies/{}/apply", encoded.get_value());
        spawn_local(async move {
            match api_client::post::<_, ApplyResult>(&path, &(), prefs.locale.get_untracked()).await
            {
                Ok(_) => tick.try_update(|n| *n += 1).unwrap_or(()),
                Err(e) => error.put(Some(e.message(prefs.t()))),
            }
        });
    };
    view! {
        {move || error.get().map(|e| view! { <p class="field-error" role="alert">{e}</p> })}
        {show(check, move |c: PolicyCheck| {
            if !c.known {
                return view! { <p>{tr(|m| m.subsidy.check_unknown)}</p> }.into_any();
            }
            let verdict = if c.eligible { tr(|m| m.subsidy.check_yes) } else { tr(|m| m.subsidy.check_no) };
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
                {c.can_apply.then(|| view! {
                    <p class="hint">{tr(|m| m.subsidy.apply_hint)}</p>
                    <button class="button primary" data-test="apply" on:click=move |_| apply()>{tr(|m| m.subsidy.apply)}</button>
                })}
            }.into_any()
        })}
    }
}

//! Recording one's real name and ID number (实名), checked here as typed and again by the server.

use api::account::Identity;
use api::IdNumber;
use leptos::prelude::*;

use crate::api_client;
use crate::format;
use crate::load::Put;
use crate::prefs::{tr, use_prefs};
use crate::session::{self, use_auth};

/// The identity form, for a person who has not recorded one.
#[component]
pub fn IdentityForm() -> impl IntoView {
    let prefs = use_prefs();
    let auth = use_auth();
    let name = RwSignal::new(String::new());
    let id_number = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let m = prefs.t();
        if name.get_untracked().trim().is_empty() {
            return error.put(Some(m.validation.required.to_owned()));
        }
        if let Err(e) = IdNumber::parse(&id_number.get_untracked(), format::today()) {
            return error.put(Some(format::validation(m, e)));
        }
        let body = Identity {
            name: name.get_untracked(),
            id_number: id_number.get_untracked(),
        };
        // What the server refuses shows in the alert region; the checks as typed stay here.
        error.put(None);
        session::change_account(auth, api_client::set_identity(&body));
    };
    view! {
        <section class="panel" aria-labelledby="identity-title">
            <h2 id="identity-title">{tr(|m| m.account.identity_title)}</h2>
            <p class="hint">{tr(|m| m.account.identity_intro)}</p>
            <form class="form" on:submit=submit novalidate>
                <label for="identity-name">{tr(|m| m.account.name)}</label>
                <input id="identity-name" autocomplete="name" prop:value=name on:input=move |ev| name.set(event_target_value(&ev)) />
                <label for="identity-number">{tr(|m| m.account.id_number)}</label>
                <input id="identity-number" autocomplete="off" maxlength="18" prop:value=id_number on:input=move |ev| id_number.set(event_target_value(&ev)) />
                <p class="field-error" role="alert">{move || error.get()}</p>
                <button type="submit" class="button primary" data-test="save-identity">{tr(|m| m.account.identity_submit)}</button>
            </form>
        </section>
    }
}

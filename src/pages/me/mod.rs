//! `/me` (我的): the account page when logged in (profile, acting for an enterprise or a family
//! member, identity, agents and family members, how we tell you, devices, who looked at my
//! data, log out), the way in when not; display settings either way.

#[cfg(feature = "account")]
mod access_log;
#[cfg(feature = "account")]
mod agents;
#[cfg(feature = "account")]
mod channels;
#[cfg(feature = "account")]
mod claims;
#[cfg(feature = "account")]
mod devices;
#[cfg(feature = "account")]
mod follows;
#[cfg(feature = "account")]
mod identity;
#[cfg(feature = "account")]
mod profile;

#[cfg(feature = "account")]
use api::account::Me as Account;
use api::system::Version;
use leptos::prelude::*;

use crate::api_client;
use crate::components::settings::{ElderSwitch, LanguageSwitch};
use crate::load::{load, show};
use crate::prefs::{tr, use_prefs, use_title};
use crate::route::Route;
use crate::router::Link;
use crate::session::use_auth;

/// The "me" page.
#[component]
pub fn Me() -> impl IntoView {
    let prefs = use_prefs();
    let auth = use_auth();
    use_title(|m| m.me.title);
    let version = load::<Version>(|| Some(api_client::version()));
    view! {
        <h1 class="page-title">{tr(|m| m.me.title)}</h1>
        {move || match auth.me.get() {
            #[cfg(feature = "account")]
            Some(account) => view! { <LoggedIn account /> }.into_any(),
            // Signed in, but this is the visitors' bundle: load the signed-in one.
            #[cfg(not(feature = "account"))]
            Some(_) => {
                crate::router::full_load(&Route::Me);
                ().into_any()
            }
            None => view! {
                <p class="lead">{tr(|m| m.me.login_prompt)}</p>
                <p><Link to=Route::Login class="button primary">{tr(|m| m.landing.login)}</Link></p>
            }
            .into_any(),
        }}
        <section class="panel" aria-labelledby="settings-title">
            <h2 id="settings-title">{tr(|m| m.me.settings_title)}</h2>
            <div class="settings-row">
                <span>{tr(|m| m.settings.language)}</span>
                <LanguageSwitch />
            </div>
            <div class="settings-row">
                <span>{tr(|m| m.settings.elder_mode_hint)}</span>
                <ElderSwitch />
            </div>
        </section>
        <section class="panel" aria-labelledby="about-title">
            <h2 id="about-title">{tr(|m| m.me.about_title)}</h2>
            {show(version, move |v| view! {
                <p class="version" data-test="version">{move || api::text::fill(prefs.t().me.version, &[("version", &v.version)])}</p>
            })}
        </section>
    }
}

/// Everything a logged-in account sees of itself.
#[cfg(feature = "account")]
#[component]
fn LoggedIn(account: Account) -> impl IntoView {
    let represented: Vec<_> = match &account {
        Account::Person { enterprises, .. } => enterprises
            .iter()
            .filter(|e| e.role == api::account::EnterpriseRole::LegalRepresentative)
            .cloned()
            .collect(),
        Account::Staff { .. } => Vec::new(),
    };
    let is_person = matches!(account, Account::Person { .. });
    let needs_identity = matches!(
        account,
        Account::Person {
            id_number: None,
            ..
        }
    );
    view! {
        <profile::Profile account />
        {needs_identity.then(|| view! { <identity::IdentityForm /> })}
        {represented.into_iter().map(|e| view! { <agents::Agents enterprise=e /> }).collect_view()}
        {is_person.then(|| view! { <agents::Family /> })}
        {is_person.then(|| view! { <claims::MyClaims /> })}
        {is_person.then(|| view! { <follows::FollowPolicies /> })}
        {is_person.then(|| view! { <channels::Channels /> })}
        <devices::Devices />
        {is_person.then(|| view! { <access_log::AccessLog /> })}
    }
}

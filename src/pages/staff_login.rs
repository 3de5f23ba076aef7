//! `/login/staff`: staff log in with username, password and an authenticator code.

use api::account::StaffLogin;
use api::text::fill;
use leptos::prelude::*;

use crate::api_client;
use crate::load::{load, Put};
use crate::prefs::{tr, use_prefs, use_title};
use crate::route::Route;
use crate::router::Link;
use crate::session::{self, use_auth};

/// The staff login page.
#[component]
pub fn StaffLoginPage() -> impl IntoView {
    let prefs = use_prefs();
    let auth = use_auth();
    use_title(|m| m.login.staff_title);
    let username = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let totp = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    // In demo mode the server tells the current code of a demo account.
    let hint = load::<String>(move || {
        let name = username.get();
        let name = name.trim();
        (!name.is_empty()).then(|| api_client::demo_totp(name))
    });

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = StaffLogin {
            username: username.get_untracked(),
            password: password.get_untracked(),
            totp: totp.get_untracked(),
        };
        busy.put(true);
        let page = crate::alerts::page();
        let call = api_client::staff_login(&body);
        leptos::task::spawn_local(async move {
            if let Err(e) = session::log_in(auth, call).await {
                page.show(e);
            }
            busy.put(false);
        });
    };

    view! {
        <h1 class="page-title">{tr(|m| m.login.staff_title)}</h1>
        <p class="lead">{tr(|m| m.login.staff_intro)}</p>
        <form class="panel form" on:submit=submit novalidate>
            <label for="username">{tr(|m| m.login.username)}</label>
            <input id="username" name="username" autocomplete="username" prop:value=username on:change=move |ev| username.set(event_target_value(&ev)) />
            <label for="password">{tr(|m| m.login.password)}</label>
            <input id="password" name="password" type="password" autocomplete="current-password" prop:value=password on:input=move |ev| password.set(event_target_value(&ev)) />
            <label for="totp">{tr(|m| m.login.totp)}</label>
            <p class="hint" id="totp-hint">{tr(|m| m.login.totp_hint)}</p>
            <input id="totp" name="totp" inputmode="numeric" autocomplete="one-time-code" maxlength="6" aria-describedby="totp-hint" prop:value=totp on:input=move |ev| totp.set(event_target_value(&ev)) />
            {move || {
                hint.get()
                    .and_then(Result::ok)
                    .map(|code| view! { <p class="demo-hint" data-test="demo-totp">{fill(prefs.t().login.demo_totp, &[("code", &code)])}</p> })
            }}
            <button type="submit" class="button primary" data-test="staff-login" disabled=move || busy.get()>
                {tr(|m| m.login.submit)}
            </button>
        </form>
        <p>
            <Link to=Route::Login>{tr(|m| m.login.citizen_link)}</Link>
        </p>
    }
}

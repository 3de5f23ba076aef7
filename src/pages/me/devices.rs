//! The account's signed-in devices: sign one out, or all.

use api::account::SessionInfo;
use api::text::fill;
use leptos::prelude::*;

use crate::api_client;
use crate::format;
use crate::load::{act, bump, load, show};
use crate::prefs::{tr, use_prefs};
use crate::session::{self, use_auth};

/// The devices section.
#[component]
pub fn Devices() -> impl IntoView {
    let prefs = use_prefs();
    let auth = use_auth();
    let reload = RwSignal::new(0u32);
    let list = load::<Vec<SessionInfo>>(move || {
        let _ = reload.try_get();
        Some(api_client::sessions())
    });
    let logout_all = move |_| session::log_out(auth, api_client::logout_all());
    view! {
        <section class="panel" aria-labelledby="devices-title">
            <h2 id="devices-title">{tr(|m| m.account.devices)}</h2>
            {show(list, move |sessions: Vec<SessionInfo>| view! {
                            <ul class="rows" data-test="devices">
                                {sessions.into_iter().map(|s| {
                                    let id = s.id;
                                    let end = move |_| act(api_client::end_session(id), move |()| bump(reload));
                                    let device = s.user_agent.clone();
                                    let (created, seen) = (s.created_at.clone(), s.last_seen_at.clone());
                                    view! {
                                        <li class="row-item">
                                            <span>
                                                <strong>{move || if s.current { prefs.t().account.this_device.to_owned() } else { device.clone().map(short_agent).unwrap_or_else(|| prefs.t().account.unknown_device.to_owned()) }}</strong>
                                                <br />
                                                {move || fill(prefs.t().account.signed_in, &[("time", &format::stamp(prefs.t(), &created))])}
                                                " · "
                                                {move || fill(prefs.t().account.last_seen, &[("time", &format::stamp(prefs.t(), &seen))])}
                                            </span>
                                            {(!s.current).then(|| view! { <button type="button" class="button small" on:click=end>{tr(|m| m.account.sign_out_device)}</button> })}
                                        </li>
                                    }
                                }).collect_view()}
                            </ul>
                        })}
            <button type="button" class="button" data-test="logout-all" on:click=logout_all>{tr(|m| m.account.logout_all)}</button>
        </section>
    }
}

/// The browser and system of a user agent, roughly ("Chrome · Android").
fn short_agent(ua: String) -> String {
    let browser = ["MicroMessenger", "Edg", "Chrome", "Firefox", "Safari"]
        .into_iter()
        .find(|b| ua.contains(b))
        .unwrap_or("");
    let system = ["Android", "iPhone", "iPad", "Windows", "Mac OS", "Linux"]
        .into_iter()
        .find(|s| ua.contains(s))
        .unwrap_or("");
    let browser = if browser == "MicroMessenger" {
        "WeChat"
    } else {
        browser
    };
    match (browser, system) {
        ("", "") => ua.chars().take(40).collect(),
        (b, "") => b.to_owned(),
        ("", s) => s.to_owned(),
        (b, s) => format!("{b} · {s}"),
    }
}

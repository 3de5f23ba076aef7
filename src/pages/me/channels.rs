//! "How we tell you": for each group of messages, whether SMS and WeChat tell the person too
//! (the inbox always has everything).

use api::account::ChannelSetting;
use leptos::prelude::*;

use crate::api_client;
use crate::i18n::Messages;
use crate::load::{act, load, show};
use crate::prefs::{tr, use_prefs};

/// The channels section.
#[component]
pub fn Channels() -> impl IntoView {
    let settings = load::<Vec<ChannelSetting>>(|| Some(api_client::channels()));
    view! {
        <section class="panel" aria-labelledby="channels-title" data-test="channels">
            <h2 id="channels-title">{tr(|m| m.account.channels_title)}</h2>
            <p class="hint">{tr(|m| m.account.channels_intro)}</p>
            {show(settings, |all: Vec<ChannelSetting>| {
                all.into_iter().map(|s| view! { <Group setting=s /> }).collect_view()
            })}
        </section>
    }
}

/// One group: its name, and a switch per channel, saved as soon as it changes.
#[component]
fn Group(setting: ChannelSetting) -> impl IntoView {
    let prefs = use_prefs();
    let group = setting.group.clone();
    let sms = RwSignal::new(setting.sms);
    let wechat = RwSignal::new(setting.wechat);
    let save = move || {
        let body = vec![ChannelSetting {
            group: group.clone(),
            sms: sms.get_untracked(),
            wechat: wechat.get_untracked(),
        }];
        act(api_client::set_channels(&body), |_| ());
    };
    let save_too = save.clone();
    let name = setting.group.clone();
    let label = move || group_name(prefs.t(), &name);
    let key = setting.group.clone();
    view! {
        <fieldset class="channel-group" data-group=key>
            <legend>{label}</legend>
            <label class="check">
                <input type="checkbox" data-channel="sms" prop:checked=sms on:change=move |ev| { sms.set(event_target_checked(&ev)); save() } />
                {tr(|m| m.account.channel_sms)}
            </label>
            <label class="check">
                <input type="checkbox" data-channel="wechat" prop:checked=wechat on:change=move |ev| { wechat.set(event_target_checked(&ev)); save_too() } />
                {tr(|m| m.account.channel_wechat)}
            </label>
        </fieldset>
    }
}

fn group_name(m: &'static Messages, group: &str) -> &'static str {
    let a = &m.account;
    match group {
        "actions" => a.channels_actions,
        "licences" => a.channels_licences,
        "objections" => a.channels_objections,
        "new_policies" => a.channels_new_policies,
        _ => a.channels_grants,
    }
}

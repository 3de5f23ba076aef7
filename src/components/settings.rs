//! The two display switches: language and elder mode. Both are remembered on the device.

use leptos::prelude::*;

use crate::prefs::{tr, use_prefs};

/// Switches between Chinese and English; its label is written in the language it offers.
#[component]
pub fn LanguageSwitch() -> impl IntoView {
    let prefs = use_prefs();
    view! {
        <button
            type="button"
            class="switch-button lang-switch"
            data-test="lang-switch"
            lang=move || prefs.locale.get().other().tag()
            title=tr(|m| m.settings.language_switch_label)
            on:click=move |_| prefs.locale.update(|l| *l = l.other())
        >
            {tr(|m| m.settings.language_switch)}
        </button>
    }
}

/// Turns elder mode (长辈模式) on and off: larger text, larger targets, higher contrast.
#[component]
pub fn ElderSwitch() -> impl IntoView {
    let prefs = use_prefs();
    view! {
        <button
            type="button"
            role="switch"
            class="switch-button elder-switch"
            data-test="elder-switch"
            aria-checked=move || prefs.elder.get().to_string()
            title=tr(|m| m.settings.elder_mode_hint)
            on:click=move |_| prefs.elder.update(|on| *on = !*on)
        >
            <span class="knob" aria-hidden="true"></span>
            {tr(|m| m.settings.elder_mode)}
        </button>
    }
}

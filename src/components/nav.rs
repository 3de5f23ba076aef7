//! The main navigation: four tabs. One element serves both layouts: a bar along the bottom of a
//! phone's screen (≤ 640 px), and links in the top bar on wider screens (see `style/main.css`).

use leptos::prelude::*;
use leptos_router::components::A;

use crate::components::icons::{Icon, IconKind};
use crate::i18n::Messages;
use crate::prefs::use_prefs;

/// A tab's label in the current language.
type Label = fn(&'static Messages) -> &'static str;

const TABS: [(&str, IconKind, Label); 4] = [
    ("/", IconKind::Home, |m| m.nav.home),
    ("/policies", IconKind::Policies, |m| m.nav.policies),
    ("/services", IconKind::Services, |m| m.nav.services),
    ("/me", IconKind::Me, |m| m.nav.me),
];

/// 首页 / 政策 / 办事 / 我的.
#[component]
pub fn MainNav() -> impl IntoView {
    let prefs = use_prefs();
    view! {
        <nav class="main-nav" aria-label=move || prefs.t().nav.label>
            <ul>
                {TABS
                    .into_iter()
                    .map(|(href, icon, label)| {
                        view! {
                            <li>
                                <A href=href exact=true>
                                    <Icon kind=icon />
                                    <span class="tab-label">{move || label(prefs.t())}</span>
                                </A>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        </nav>
    }
}

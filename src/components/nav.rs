//! The main navigation: four tabs. One element serves both layouts: a bar along the bottom of a
//! phone's screen (≤ 640 px), and links in the top bar on wider screens (see `style/main.css`).

use crate::router::Link;
use leptos::prelude::*;

use crate::components::icons::{Icon, IconKind};
use crate::prefs::{tr, Key};

const TABS: [(&str, IconKind, Key); 4] = [
    ("/", IconKind::Home, |m| m.nav.home),
    ("/policies", IconKind::Policies, |m| m.nav.policies),
    ("/services", IconKind::Services, |m| m.nav.services),
    ("/me", IconKind::Me, |m| m.nav.me),
];

/// 首页 / 政策 / 办事 / 我的.
#[component]
pub fn MainNav() -> impl IntoView {
    view! {
        <nav class="main-nav" aria-label=tr(|m| m.nav.label)>
            <ul>
                {TABS
                    .into_iter()
                    .map(|(href, icon, label)| {
                        view! {
                            <li>
                                <Link href=href>
                                    <Icon kind=icon />
                                    <span class="tab-label">{tr(label)}</span>
                                </Link>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        </nav>
    }
}

//! The main navigation: four tabs. One element serves both layouts: a bar along the bottom of a
//! phone's screen (≤ 640 px), and links in the top bar on wider screens (see `style/main.css`).

use leptos::prelude::*;

use crate::components::icons::{Icon, IconKind};
use crate::prefs::{tr, Key};
use crate::route::Route;
use crate::router::Link;

const TABS: [(Route, IconKind, Key); 4] = [
    (Route::Landing, IconKind::Home, |m| m.nav.home),
    (Route::Policies, IconKind::Policies, |m| m.nav.policies),
    (Route::Services, IconKind::Services, |m| m.nav.services),
    (Route::Me, IconKind::Me, |m| m.nav.me),
];

/// 首页 / 政策 / 办事 / 我的.
#[component]
pub fn MainNav() -> impl IntoView {
    view! {
        <nav class="main-nav" aria-label=tr(|m| m.nav.label)>
            <ul>
                {TABS
                    .into_iter()
                    .map(|(to, icon, label)| {
                        view! {
                            <li>
                                <Link to>
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

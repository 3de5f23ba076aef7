//! The frame around every page: the top bar (name, navigation, display switches, and under it
//! the alert region where a failed action is said) and the main content area.

use leptos::prelude::*;

use crate::alerts::AlertRegion;
use crate::components::nav::MainNav;
use crate::components::settings::{ElderSwitch, LanguageSwitch};
use crate::prefs::tr;
use crate::route::Route;

/// The shell; `children` is the current page.
#[component]
pub fn Shell(children: Children) -> impl IntoView {
    view! {
        <a class="skip-link" href="#main">{tr(|m| m.app.skip_to_content)}</a>
        <header class="topbar">
            <a class="brand" href=Route::Landing.path()>
                <span class="brand-mark" aria-hidden="true">"政"</span>
                <span class="brand-text">
                    <span class="brand-name">{tr(|m| m.app.name)}</span>
                    <span class="brand-district">{tr(|m| m.app.district)}</span>
                </span>
            </a>
            <MainNav />
            <div class="topbar-tools">
                <LanguageSwitch />
                <ElderSwitch />
            </div>
            <AlertRegion />
        </header>
        <main id="main" tabindex="-1">{children()}</main>
    }
}

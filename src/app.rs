//! The root component: preferences, the router and the shell around every page.

use leptos::prelude::*;
use leptos_router::components::{Route, Router, Routes};
use leptos_router::path;

use crate::components::shell::Shell;
use crate::pages::{
    landing::Landing, login::Login, me::Me, not_found::NotFound, policies::Policies,
    services::Services,
};
use crate::prefs::provide_prefs;

/// The whole app.
#[component]
pub fn App() -> impl IntoView {
    provide_prefs();
    view! {
        <Router>
            <Shell>
                <Routes fallback=NotFound>
                    <Route path=path!("/") view=Landing />
                    <Route path=path!("/policies") view=Policies />
                    <Route path=path!("/services") view=Services />
                    <Route path=path!("/me") view=Me />
                    <Route path=path!("/login") view=Login />
                </Routes>
            </Shell>
        </Router>
    }
}

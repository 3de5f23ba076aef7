//! `/login`: sign-in (SMS code, staff password, WeChat) arrives with accounts.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::prefs::{use_prefs, use_title};

/// The login page.
#[component]
pub fn Login() -> impl IntoView {
    let prefs = use_prefs();
    use_title(|m| m.login.title);
    view! {
        <h1 class="page-title">{move || prefs.t().login.title}</h1>
        <p class="empty-state" role="status">{move || prefs.t().me.login_unavailable}</p>
        <p>
            <A href="/policies" attr:class="button">{move || prefs.t().landing.browse_policies}</A>
        </p>
    }
}

//! `/login`: sign-in (SMS code, staff password, WeChat) arrives with accounts.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::prefs::{tr, use_title};

/// The login page.
#[component]
pub fn Login() -> impl IntoView {
    use_title(|m| m.login.title);
    view! {
        <h1 class="page-title">{tr(|m| m.login.title)}</h1>
        <p class="empty-state" role="status">{tr(|m| m.me.login_unavailable)}</p>
        <p>
            <A href="/policies" attr:class="button">{tr(|m| m.landing.browse_policies)}</A>
        </p>
    }
}

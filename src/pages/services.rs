//! `/services` (办事): applications a person makes (they arrive with 一照通 and 秒报秒批).

use leptos::prelude::*;

use crate::prefs::{tr, use_title};

/// The services page.
#[component]
pub fn Services() -> impl IntoView {
    use_title(|m| m.services.title);
    view! {
        <h1 class="page-title">{tr(|m| m.services.title)}</h1>
        <p class="lead">{tr(|m| m.services.intro)}</p>
        <p class="empty-state" role="status">{tr(|m| m.services.empty)}</p>
    }
}

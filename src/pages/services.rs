//! `/services` (办事): applications a person makes (they arrive with 一照通 and 秒报秒批).

use leptos::prelude::*;

use crate::prefs::{use_prefs, use_title};

/// The services page.
#[component]
pub fn Services() -> impl IntoView {
    let prefs = use_prefs();
    use_title(|m| m.services.title);
    view! {
        <h1 class="page-title">{move || prefs.t().services.title}</h1>
        <p class="lead">{move || prefs.t().services.intro}</p>
        <p class="empty-state" role="status">{move || prefs.t().services.empty}</p>
    }
}

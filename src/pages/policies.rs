//! `/policies`: the public policy library (its contents arrive with the rules engine).

use leptos::prelude::*;

use crate::prefs::{use_prefs, use_title};

/// The policy library.
#[component]
pub fn Policies() -> impl IntoView {
    let prefs = use_prefs();
    use_title(|m| m.policies.title);
    view! {
        <h1 class="page-title">{move || prefs.t().policies.title}</h1>
        <p class="lead">{move || prefs.t().policies.intro}</p>
        <p class="empty-state" role="status">{move || prefs.t().policies.empty}</p>
    }
}

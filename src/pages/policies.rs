//! `/policies`: the public policy library (its contents arrive with the rules engine).

use leptos::prelude::*;

use crate::prefs::{tr, use_title};

/// The policy library.
#[component]
pub fn Policies() -> impl IntoView {
    use_title(|m| m.policies.title);
    view! {
        <h1 class="page-title">{tr(|m| m.policies.title)}</h1>
        <p class="lead">{tr(|m| m.policies.intro)}</p>
        <p class="empty-state" role="status">{tr(|m| m.policies.empty)}</p>
    }
}

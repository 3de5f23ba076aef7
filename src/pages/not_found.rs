//! Any path the app does not know.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::prefs::{use_prefs, use_title};

/// The 404 page.
#[component]
pub fn NotFound() -> impl IntoView {
    let prefs = use_prefs();
    use_title(|m| m.not_found.title);
    view! {
        <h1 class="page-title">{move || prefs.t().not_found.title}</h1>
        <p class="lead">{move || prefs.t().not_found.body}</p>
        <p>
            <A href="/" attr:class="button primary">{move || prefs.t().not_found.home}</A>
        </p>
    }
}

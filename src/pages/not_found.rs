//! Any path the app does not know.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::prefs::{tr, use_title};

/// The 404 page.
#[component]
pub fn NotFound() -> impl IntoView {
    use_title(|m| m.not_found.title);
    view! {
        <h1 class="page-title">{tr(|m| m.not_found.title)}</h1>
        <p class="lead">{tr(|m| m.not_found.body)}</p>
        <p>
            <A href="/" attr:class="button primary">{tr(|m| m.not_found.home)}</A>
        </p>
    }
}

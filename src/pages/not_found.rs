//! Any path the app does not know.

use leptos::prelude::*;

use crate::prefs::{tr, use_title};
use crate::route::Route;
use crate::router::Link;

/// The 404 page.
#[component]
pub fn NotFound() -> impl IntoView {
    use_title(|m| m.not_found.title);
    view! {
        <h1 class="page-title">{tr(|m| m.not_found.title)}</h1>
        <p class="lead">{tr(|m| m.not_found.body)}</p>
        <p>
            <Link to=Route::Landing class="button primary">{tr(|m| m.not_found.home)}</Link>
        </p>
    }
}

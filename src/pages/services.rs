//! `/services` (办事): what a person can do here: 一照通 (open a business: the business licence
//! and its permits in one application), follow an application, check a licence.

use leptos::prelude::*;

use crate::prefs::{tr, use_title};
use crate::route::Route;
use crate::session::use_auth;

/// The services page.
#[component]
pub fn Services() -> impl IntoView {
    use_title(|m| m.services.title);
    let auth = use_auth();
    // Signed in: the application pages; otherwise log in first (then come back here).
    let apply = move || {
        if auth.me.get().is_some() {
            Route::Licences.path()
        } else {
            Route::Login.path()
        }
    };
    view! {
        <h1 class="page-title">{tr(|m| m.services.title)}</h1>
        <p class="lead">{tr(|m| m.services.intro)}</p>
        <ul class="rows services" data-test="services">
            <li class="row-item">
                <div>
                    <a href=apply target="_self" data-test="licence-service">{tr(|m| m.services.licence)}</a>
                    <p class="hint">{tr(|m| m.services.licence_hint)}</p>
                </div>
            </li>
            <li class="row-item">
                <div>
                    <a href=Route::Track.path() target="_self" data-test="track-service">{tr(|m| m.services.track)}</a>
                    <p class="hint">{tr(|m| m.services.track_hint)}</p>
                </div>
            </li>
            <li class="row-item">
                <div>
                    <a href=Route::Verify(None).path() target="_self">{tr(|m| m.services.verify)}</a>
                    <p class="hint">{tr(|m| m.services.verify_hint)}</p>
                </div>
            </li>
        </ul>
    }
}

//! Client-side navigation: the current path as a signal, links that change it without a page
//! load, and the back button.
//!
//! The app's addresses are a handful of shapes ([`Route`]), so this small router replaces
//! `leptos_router`, whose general route matching cost about a sixth of the wasm bundle.

use leptos::prelude::*;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;

use crate::route::Route;

/// The current path, shared through context; `Copy`.
#[derive(Clone, Copy, Debug)]
pub struct Location {
    pub path: RwSignal<String>,
}

impl Location {
    /// The page the address names (its path and query), following navigation; `None` for an
    /// address the app does not know.
    pub fn route(self) -> Option<Route> {
        let path = self.path.get();
        let query = window().location().search().unwrap_or_default();
        Route::parse(&format!("{path}{query}"))
    }
}

fn current_path() -> String {
    window()
        .location()
        .pathname()
        .unwrap_or_else(|_| "/".to_owned())
}

/// Provides [`Location`] and starts following link clicks and the back and forward buttons.
pub fn provide_location() -> Location {
    let location = Location {
        path: RwSignal::new(current_path()),
    };
    provide_context(location);
    let on_pop = Closure::<dyn Fn()>::new(move || {
        crate::alerts::page_changed();
        location.path.set(current_path());
    });
    let _ = window().add_event_listener_with_callback("popstate", on_pop.as_ref().unchecked_ref());
    on_pop.forget();
    let on_click = Closure::<dyn Fn(web_sys::MouseEvent)>::new(move |ev: web_sys::MouseEvent| {
        if let Some(href) = internal_link(&ev) {
            ev.prevent_default();
            go(location, &href);
        }
    });
    let _ = document().add_event_listener_with_callback("click", on_click.as_ref().unchecked_ref());
    on_click.forget();
    location
}

/// The path of an in-app link that a plain left click followed; `None` for anything the
/// browser should handle itself (new tab, download, another site, an `/api` URL).
fn internal_link(ev: &web_sys::MouseEvent) -> Option<String> {
    if ev.default_prevented()
        || ev.button() != 0
        || ev.ctrl_key()
        || ev.meta_key()
        || ev.shift_key()
        || ev.alt_key()
    {
        return None;
    }
    let target: web_sys::Element = ev.target()?.dyn_into().ok()?;
    let anchor = target.closest("a[href]").ok()??;
    if anchor.has_attribute("target") || anchor.has_attribute("download") {
        return None;
    }
    let href = anchor.get_attribute("href")?;
    let internal =
        href.starts_with('/') && !href.starts_with("//") && !crate::api_client::is_api(&href);
    internal.then_some(href)
}

fn go(location: Location, to: &str) {
    if let Ok(history) = window().history() {
        let _ = history.push_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(to));
    }
    crate::alerts::page_changed();
    location
        .path
        .set(to.split(['?', '#']).next().unwrap_or("/").to_owned());
    window().scroll_to_with_x_and_y(0.0, 0.0);
}

/// Loads `to` afresh from the server. Signing in or out changes which bundle of the app the
/// server sends (the public pages alone for visitors, everything for signed-in people), so
/// those moves reload the page instead of navigating inside it.
pub fn full_load(to: &Route) {
    let _ = window().location().assign(&to.path());
}

/// A function that goes to a page, as a link would.
pub fn use_navigate() -> impl Fn(Route) + Clone + 'static {
    let location = expect_context::<Location>();
    move |to: Route| go(location, &to.path())
}

pub fn use_location() -> Location {
    expect_context::<Location>()
}

/// A link inside the app. On the current page it is marked `aria-current="page"`.
#[component]
pub fn Link(to: Route, #[prop(optional)] class: &'static str, children: Children) -> impl IntoView {
    let location = use_location();
    let href = to.path();
    let current = href.clone();
    view! {
        <a href=href class=class aria-current=move || (location.path.get() == current).then_some("page")>
            {children()}
        </a>
    }
}

//! The one place that says an action failed: a region under the top bar (mounted once, in the
//! shell) that shows the latest failure until it is dismissed, the page changes, or a later
//! action succeeds. Field errors stay next to their fields; this is for the rest.
//!
//! Answers arrive after an await, when the page that asked may be gone and there is no context:
//! so the region is reached through a thread-local, and a failure is shown only while the page
//! that asked ([`Page`], taken when asking) is still the one on screen.

use std::cell::Cell;

use leptos::prelude::*;

use crate::api_client::ApiFailure;
use crate::prefs::{tr, use_prefs};

thread_local! {
    /// The region's failure, once it is mounted.
    static SHOWN: Cell<Option<RwSignal<Option<ApiFailure>>>> = const { Cell::new(None) };
    /// How many times the page on screen has changed.
    static PAGE: Cell<u64> = const { Cell::new(0) };
}

/// The page on screen when a request was made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Page(u64);

/// The page on screen now.
pub fn page() -> Page {
    Page(PAGE.get())
}

impl Page {
    /// Whether this page is still the one on screen.
    pub fn is_current(self) -> bool {
        self == page()
    }

    /// Shows `failure`, if this page is still on screen (the person has not moved on).
    pub fn show(self, failure: ApiFailure) {
        if self.is_current() {
            set(Some(failure));
        }
    }

    /// Takes away a failure shown, if this page is still on screen.
    pub fn clear(self) {
        if self.is_current() {
            set(None);
        }
    }
}

/// The router calls this when another page comes on screen: what failed on the last one is
/// not about this one, and answers to its requests are no longer shown.
pub fn page_changed() {
    PAGE.set(PAGE.get().wrapping_add(1));
    set(None);
}

fn set(value: Option<ApiFailure>) {
    if let Some(shown) = SHOWN.get() {
        // Left alone once disposed (an app unmounted, as in component tests).
        let _ = shown.try_set(value);
    }
}

/// The region itself. `role="alert"` is there from the start, empty, so that what appears in
/// it is announced; a failure shown again is rendered afresh, and announced again.
#[component]
pub fn AlertRegion() -> impl IntoView {
    let prefs = use_prefs();
    let shown = RwSignal::new(None::<ApiFailure>);
    SHOWN.set(Some(shown));
    view! {
        <div class="alert-region" role="alert" data-test="alert">
            {move || shown.get().map(|failure| view! {
                <div class="alert">
                    <p class="alert-text">{move || failure.message(prefs.t())}</p>
                    <button type="button" class="button small alert-dismiss" data-test="dismiss-alert"
                        on:click=move |_| shown.set(None)>
                        {tr(|m| m.common.dismiss)}
                    </button>
                </div>
            })}
        </div>
    }
}

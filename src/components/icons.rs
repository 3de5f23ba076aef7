//! Line icons for the navigation, drawn inline so they cost no request. Decorative only: the
//! text beside each icon is what assistive technology reads.

use leptos::prelude::*;

/// Which icon to draw.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IconKind {
    Home,
    Policies,
    Services,
    Me,
}

/// A 24×24 icon in the current text colour.
#[component]
pub fn Icon(kind: IconKind) -> impl IntoView {
    let path = match kind {
        IconKind::Home => "M3 11.5 12 4l9 7.5M5.5 9.5V20h13V9.5M10 20v-5.5h4V20",
        IconKind::Policies => "M6 3h9l4 4v14H6zM15 3v4h4M9 11h7M9 15h7M9 19h4",
        IconKind::Services => "M4 7h16v12H4zM9 7V4.5h6V7M4 12h16M11 12v2h2v-2",
        IconKind::Me => "M12 12a4 4 0 1 0 0-8 4 4 0 0 0 0 8zM4 21c0-4 3.6-6.5 8-6.5s8 2.5 8 6.5",
    };
    view! {
        <svg class="icon" viewBox="0 0 24 24" width="24" height="24" aria-hidden="true" focusable="false">
            <path d=path fill="none" stroke="currentColor" stroke-width="1.8" stroke-linecap="round" stroke-linejoin="round" />
        </svg>
    }
}

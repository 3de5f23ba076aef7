//! `/problem?error=…`: where the server sends a browser whose navigation to the API ended in an
//! error (a WeChat login that is not set up here, a link that expired): what happened, in the
//! person's language, and a way back. Only known reasons are named; the page never shows text
//! taken from the address.

use leptos::prelude::*;

use crate::prefs::{tr, use_title, Key};
use crate::route::Route;
use crate::router::Link;

/// The message for a reason the server names (the tail of its `errors.*` key).
fn message(reason: &str) -> Key {
    match reason {
        "unavailable_wechat" => |m| m.errors.unavailable_wechat,
        "unavailable" => |m| m.errors.unavailable,
        "rate_limited" => |m| m.errors.rate_limited,
        "invalid_code_ticket" | "invalid_code" => |m| m.errors.invalid_code_ticket,
        "unauthenticated" => |m| m.errors.unauthenticated,
        "not_found" => |m| m.errors.not_found,
        "forbidden" => |m| m.errors.forbidden,
        _ => |m| m.problem.generic,
    }
}

/// The problem page; `reason` is the tail of the server's `errors.*` key.
#[component]
pub fn ProblemPage(reason: String) -> impl IntoView {
    use_title(|m| m.problem.title);
    // A login that could not happen leads to the other way of logging in.
    let about_login = reason.contains("wechat") || reason.starts_with("invalid_code");
    let back = move |_| {
        let _ = window().history().and_then(|h| h.back());
    };
    view! {
        <h1 class="page-title">{tr(|m| m.problem.title)}</h1>
        <p class="lead" role="alert" data-test="problem">{tr(message(&reason))}</p>
        <p class="actions">
            {if about_login {
                view! { <Link to=Route::Login class="button primary">{tr(|m| m.problem.login)}</Link> }.into_any()
            } else {
                view! { <Link to=Route::Landing class="button primary">{tr(|m| m.problem.home)}</Link> }.into_any()
            }}
            <button type="button" class="button" on:click=back>{tr(|m| m.problem.back)}</button>
        </p>
    }
}

//! "Who looked at my data": every staff read of the person's record.

use api::account::AccessLogEntry;
use leptos::prelude::*;

use crate::api_client;
use crate::format;
use crate::load::{load, show};
use crate::prefs::{tr, use_prefs};

/// The access log section.
#[component]
pub fn AccessLog() -> impl IntoView {
    let prefs = use_prefs();
    let log = load::<Vec<AccessLogEntry>>(|| Some(api_client::access_log()));
    view! {
        <section class="panel" aria-labelledby="access-title">
            <h2 id="access-title">{tr(|m| m.account.access_log)}</h2>
            <p class="hint">{tr(|m| m.account.access_log_intro)}</p>
            {show(log, move |entries: Vec<AccessLogEntry>| {
                if entries.is_empty() {
                    view! { <p>{tr(|m| m.account.no_access)}</p> }.into_any()
                } else {
                    view! {
                            <ul class="rows" data-test="access-log">
                                {entries.into_iter().map(|e| {
                                    let at = e.at.clone();
                                    let what = e.what.clone();
                                    view! {
                                        <li class="row-item">
                                            <span>
                                                <strong>{move || format::stamp(prefs.t(), &at)}</strong>
                                                " · " {e.staff_name} " · " {e.department}
                                                <br />
                                                {e.reason} " · " {move || what_text(prefs.t(), &what)}
                                            </span>
                                        </li>
                                    }
                                }).collect_view()}
                            </ul>
                        }.into_any()
                }
            })}
        </section>
    }
}

/// What a staff read showed, in the person's language (an unknown code shows as it is).
fn what_text(m: &'static crate::i18n::Messages, code: &str) -> String {
    match code {
        "profile" => m.account.what_profile.to_owned(),
        "licence_application" => m.account.what_licence_application.to_owned(),
        other => other.to_owned(),
    }
}

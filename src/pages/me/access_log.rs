//! "Who looked at my data": every staff read of the person's record, and everything a family
//! member did for them.

use api::account::AccessLogEntry;
use api::text::fill;
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
                                    let who = e.staff_name.clone();
                                    // A family member's act: who, and what they did for the person.
                                    let detail = if e.by_family {
                                        view! {
                                            {move || fill(prefs.t().account.family_member, &[("phone", &who)])}
                                            <br />
                                            {move || family_act_text(prefs.t(), &what)}
                                        }.into_any()
                                    } else {
                                        view! {
                                            {e.staff_name} " · " {e.department}
                                            <br />
                                            {e.reason} " · " {move || what_text(prefs.t(), &what)}
                                        }.into_any()
                                    };
                                    view! {
                                        <li class="row-item" data-by-family=e.by_family.to_string()>
                                            <span>
                                                <strong>{move || format::stamp(prefs.t(), &at)}</strong>
                                                " · " {detail}
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

/// What a family member did for the person, in the person's language.
fn family_act_text(m: &'static crate::i18n::Messages, code: &str) -> &'static str {
    let a = &m.account;
    match code {
        "consent" => a.family_act_consent,
        "decline" => a.family_act_decline,
        "apply" => a.family_act_apply,
        "object" => a.family_act_object,
        _ => a.family_act_view,
    }
}

/// What a staff read showed, in the person's language (an unknown code shows as it is).
fn what_text(m: &'static crate::i18n::Messages, code: &str) -> String {
    match code {
        "profile" => m.account.what_profile.to_owned(),
        "licence_application" => m.account.what_licence_application.to_owned(),
        "impact_sample" => m.account.what_impact_sample.to_owned(),
        other => other.to_owned(),
    }
}

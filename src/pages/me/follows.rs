//! "Follow policies": the categories a person follows, and the new policies they were told of.

use api::account::{FollowedCategory, Follows, PolicyNotice};
use leptos::prelude::*;

use crate::api_client;
use crate::format;
use crate::i18n::Messages;
use crate::load::{act, load, show};
use crate::prefs::{pick, tr, use_prefs};
use crate::route::Route;

/// The follow section.
#[component]
pub fn FollowPolicies() -> impl IntoView {
    let prefs = use_prefs();
    let categories = load::<Vec<FollowedCategory>>(|| Some(api_client::follows()));
    let notices = load::<Vec<PolicyNotice>>(|| Some(api_client::policy_notices()));
    view! {
        <section class="panel" aria-labelledby="follow-title" data-test="follows">
            <h2 id="follow-title">{tr(|m| m.account.follow_title)}</h2>
            <p class="hint">{tr(|m| m.account.follow_intro)}</p>
            {show(categories, move |all: Vec<FollowedCategory>| {
                // Each tick saves the whole choice, as it now stands.
                let chosen: Vec<(String, RwSignal<bool>)> = all
                    .into_iter()
                    .map(|c| (c.category, RwSignal::new(c.following)))
                    .collect();
                let save = {
                    let chosen = chosen.clone();
                    move || {
                        let body = Follows {
                            categories: chosen
                                .iter()
                                .filter(|(_, on)| on.get_untracked())
                                .map(|(c, _)| c.clone())
                                .collect(),
                        };
                        act(api_client::set_follows(&body), |_| ());
                    }
                };
                view! {
                    <div class="follow-categories">
                        {chosen.clone().into_iter().map(|(category, on)| {
                            let save = save.clone();
                            let name = category.clone();
                            view! {
                                <label class="check">
                                    <input type="checkbox" data-category=category prop:checked=on
                                        on:change=move |ev| { on.set(event_target_checked(&ev)); save() } />
                                    {move || category_name(prefs.t(), &name)}
                                </label>
                            }
                        }).collect_view()}
                    </div>
                }
            })}
            <h3>{tr(|m| m.account.new_policies)}</h3>
            {show(notices, move |list: Vec<PolicyNotice>| {
                if list.is_empty() {
                    view! { <p>{tr(|m| m.account.no_new_policies)}</p> }.into_any()
                } else {
                    view! {
                        <ul class="rows" data-test="policy-notices">
                            {list.into_iter().map(|n| {
                                let when = n.created_at.clone();
                                let name = n.name.clone();
                                view! {
                                    <li class="row-item">
                                        <a href=Route::Policy(n.policy.clone()).path()>{move || pick(prefs.locale.get(), &name)}</a>
                                        <span class="hint">{move || format::stamp(prefs.t(), &when)}</span>
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

/// A category in the person's words (one the app does not know yet shows as the policies'
/// own word for it).
fn category_name(m: &'static Messages, category: &str) -> String {
    let a = &m.account;
    match category {
        "elderly" => a.category_elderly,
        "disability" => a.category_disability,
        "industry" => a.category_industry,
        "employment" => a.category_employment,
        "family" => a.category_family,
        "assistance" => a.category_assistance,
        "business" => a.category_business,
        "innovation" => a.category_innovation,
        "finance" => a.category_finance,
        other => other,
    }
    .to_owned()
}

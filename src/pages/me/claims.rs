//! "My applications": the subsidies a person applied for with a department's review (线上申报),
//! each with where it stands and a link to it. Shown once there is one.

use api::claim::ClaimSummary;
use api::text::fill;
use leptos::prelude::*;

use crate::api_client;
use crate::format;
use crate::load::{load, show};
use crate::pages::claim::status_badge;
use crate::prefs::{pick, tr, use_prefs};
use crate::route::Route;

/// The applications section.
#[component]
pub fn MyClaims() -> impl IntoView {
    let prefs = use_prefs();
    let claims = load::<Vec<ClaimSummary>>(|| Some(api_client::my_claims()));
    show(claims, move |all: Vec<ClaimSummary>| {
        (!all.is_empty()).then(|| {
            view! {
                <section class="panel" aria-labelledby="my-claims-title" data-test="my-claims">
                    <h2 id="my-claims-title">{tr(|m| m.claim.mine_title)}</h2>
                    <ul class="rows">
                        {all.into_iter().map(|c| {
                            let name = c.name.clone();
                            let number = c.number.clone();
                            let submitted = c.submitted_at.clone();
                            view! {
                                <li class="row-item" data-test="my-claim" data-claim=c.id.to_string()>
                                    <div>
                                        <a href=Route::Claim(c.id).path()>{move || pick(prefs.locale.get(), &name)}</a>
                                        <p class="hint">{move || fill(prefs.t().claim.number, &[("number", &number)])}</p>
                                        {submitted.map(|s| view! { <p class="hint">{move || { let m = prefs.t(); fill(m.claim.submitted_on, &[("time", &format::stamp(m, &s))]) }}</p> })}
                                    </div>
                                    <div class="row-end">{status_badge(c.status)}</div>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                </section>
            }
        })
    })
}

//! `/`: what Zhida does, for a visitor, with the ways in.

use leptos::prelude::*;

use crate::prefs::{tr, use_title};
use crate::route::Route;
use crate::router::Link;

/// The landing page; for a signed-in resident or enterprise user (in the signed-in bundle),
/// their subsidies.
#[component]
pub fn Landing() -> impl IntoView {
    #[cfg(feature = "account")]
    {
        let auth = crate::session::use_auth();
        (move || match auth.me.get() {
            Some(api::account::Me::Person { .. }) => {
                view! { <crate::pages::home::HomePage /> }.into_any()
            }
            _ => view! { <Visitor /> }.into_any(),
        })
        .into_any()
    }
    #[cfg(not(feature = "account"))]
    view! { <Visitor /> }.into_any()
}

/// What Zhida does, for a visitor.
#[component]
fn Visitor() -> impl IntoView {
    use_title(|m| m.landing.title);
    view! {
        <section class="hero" aria-labelledby="hero-title">
            <h1 id="hero-title" class="page-title">{tr(|m| m.landing.hero_title)}</h1>
            <p class="lead">{tr(|m| m.landing.hero_body)}</p>
            <div class="actions">
                <Link to=Route::Login class="button primary">{tr(|m| m.landing.login)}</Link>
                <Link to=Route::Policies class="button">{tr(|m| m.landing.browse_policies)}</Link>
                <crate::app::SelfCheckLink />
            </div>
        </section>
        <section class="features" aria-labelledby="features-title">
            <h2 id="features-title">{tr(|m| m.landing.features_title)}</h2>
            <ul class="cards">
                <li class="card">
                    <h3>{tr(|m| m.landing.feature_match_title)}</h3>
                    <p>{tr(|m| m.landing.feature_match_body)}</p>
                </li>
                <li class="card">
                    <h3>{tr(|m| m.landing.feature_pay_title)}</h3>
                    <p>{tr(|m| m.landing.feature_pay_body)}</p>
                </li>
                <li class="card">
                    <h3>{tr(|m| m.landing.feature_license_title)}</h3>
                    <p>{tr(|m| m.landing.feature_license_body)}</p>
                </li>
            </ul>
        </section>
        <section class="for-whom" aria-labelledby="for-whom-title">
            <h2 id="for-whom-title">{tr(|m| m.landing.for_whom_title)}</h2>
            <ul>
                <li>{tr(|m| m.landing.for_residents)}</li>
                <li>{tr(|m| m.landing.for_enterprises)}</li>
                <li>{tr(|m| m.landing.for_staff)}</li>
            </ul>
        </section>
    }
}

//! `/`: what Zhida does, for a visitor, with the ways in.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::prefs::{use_prefs, use_title};

/// The landing page.
#[component]
pub fn Landing() -> impl IntoView {
    let prefs = use_prefs();
    use_title(|m| m.landing.title);
    let t = move || prefs.t();
    view! {
        <section class="hero" aria-labelledby="hero-title">
            <h1 id="hero-title" class="page-title">{move || t().landing.hero_title}</h1>
            <p class="lead">{move || t().landing.hero_body}</p>
            <div class="actions">
                <A href="/login" attr:class="button primary">{move || t().landing.login}</A>
                <A href="/policies" attr:class="button">{move || t().landing.browse_policies}</A>
            </div>
        </section>
        <section class="features" aria-labelledby="features-title">
            <h2 id="features-title">{move || t().landing.features_title}</h2>
            <ul class="cards">
                <li class="card">
                    <h3>{move || t().landing.feature_match_title}</h3>
                    <p>{move || t().landing.feature_match_body}</p>
                </li>
                <li class="card">
                    <h3>{move || t().landing.feature_pay_title}</h3>
                    <p>{move || t().landing.feature_pay_body}</p>
                </li>
                <li class="card">
                    <h3>{move || t().landing.feature_license_title}</h3>
                    <p>{move || t().landing.feature_license_body}</p>
                </li>
            </ul>
        </section>
        <section class="for-whom" aria-labelledby="for-whom-title">
            <h2 id="for-whom-title">{move || t().landing.for_whom_title}</h2>
            <ul>
                <li>{move || t().landing.for_residents}</li>
                <li>{move || t().landing.for_enterprises}</li>
                <li>{move || t().landing.for_staff}</li>
            </ul>
        </section>
    }
}

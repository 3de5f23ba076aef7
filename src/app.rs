//! The root component: preferences, the session, navigation and the shell around every page.

use leptos::prelude::*;

use crate::components::shell::Shell;
#[cfg(feature = "account")]
use crate::pages::grant::GrantPage;
use crate::pages::{
    landing::Landing, login::Login, me::Me, not_found::NotFound, policies::Policies,
    policies::PolicyDetail, services::Services, staff_login::StaffLoginPage, wechat::WeChatPage,
};
use crate::prefs::provide_prefs;
use crate::router::provide_location;
use crate::session::provide_auth;

/// The whole app.
#[component]
pub fn App() -> impl IntoView {
    provide_prefs();
    provide_auth();
    let location = provide_location();
    view! {
        <Shell>
            {move || match location.path.get().trim_end_matches('/') {
                "" => view! { <Landing /> }.into_any(),
                "/policies" => view! { <Policies /> }.into_any(),
                p if p.starts_with("/policies/") => {
                    let id = p["/policies/".len()..].to_owned();
                    view! { <PolicyDetail id /> }.into_any()
                }
                #[cfg(feature = "account")]
                "/staff/disbursement" => {
                    view! { <crate::pages::disbursement::DisbursementPage /> }.into_any()
                }
                #[cfg(feature = "account")]
                p if p.starts_with("/grants/") => {
                    let id = p["/grants/".len()..].to_owned();
                    view! { <GrantPage id /> }.into_any()
                }
                #[cfg(feature = "account")]
                p if p.starts_with("/licences") || p.starts_with("/staff/licences") => licence_route(p),
                #[cfg(any(feature = "account", feature = "track"))]
                "/track" => view! { <crate::pages::licence::public::TrackPage /> }.into_any(),
                #[cfg(any(feature = "account", feature = "track"))]
                "/verify" => view! { <crate::pages::licence::public::VerifyPage /> }.into_any(),
                // The public 一照通 pages are a bundle of their own: links load it.
                #[cfg(not(any(feature = "account", feature = "track")))]
                "/track" | "/verify" => {
                    crate::router::full_load(&format!("{}{}", location.path.get_untracked(), window().location().search().unwrap_or_default()));
                    ().into_any()
                }
                #[cfg(feature = "selfcheck")]
                "/self-check" => view! { <crate::pages::self_check::SelfCheck /> }.into_any(),
                // The calculator is a bundle of its own: a link that loads it.
                #[cfg(not(feature = "selfcheck"))]
                "/self-check" => view! { <p><SelfCheckLink /></p> }.into_any(),
                "/services" => view! { <Services /> }.into_any(),
                "/me" => view! { <Me /> }.into_any(),
                "/login" => view! { <Login /> }.into_any(),
                "/login/staff" => view! { <StaffLoginPage /> }.into_any(),
                "/wechat" => view! { <WeChatPage /> }.into_any(),
                "/problem" => view! { <crate::pages::problem::ProblemPage /> }.into_any(),
                _ => view! { <NotFound /> }.into_any(),
            }}
        </Shell>
    }
}

/// The 一照通 pages of signed-in people: `/licences…` (applicants) and `/staff/licences…`
/// (reviewers).
#[cfg(feature = "account")]
fn licence_route(path: &str) -> AnyView {
    use crate::pages::licence::{apply, form, issued, staff};
    let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    match parts.as_slice() {
        ["licences"] => view! { <apply::LicencesPage /> }.into_any(),
        ["licences", "new"] => view! { <apply::NewApplicationPage /> }.into_any(),
        ["licences", "issued", number] => {
            let number = (*number).to_owned();
            view! { <issued::LicencePage number /> }.into_any()
        }
        ["licences", id] if id.parse::<i64>().is_ok() => {
            let id = id.parse().unwrap_or_default();
            view! { <apply::ApplicationPage id /> }.into_any()
        }
        ["licences", id, "check"] if id.parse::<i64>().is_ok() => {
            let id = id.parse().unwrap_or_default();
            view! { <form::CheckPage id /> }.into_any()
        }
        ["licences", id, section] if id.parse::<i64>().is_ok() => {
            let id = id.parse().unwrap_or_default();
            let section = (*section).to_owned();
            view! { <form::SectionPage id section /> }.into_any()
        }
        ["staff", "licences"] => view! { <staff::Workbench /> }.into_any(),
        ["staff", "licences", "figures"] => view! { <staff::FiguresPage /> }.into_any(),
        ["staff", "licences", "catalogue"] => {
            view! { <crate::pages::licence::catalogue::CataloguePage /> }.into_any()
        }
        ["staff", "licences", id] if id.parse::<i64>().is_ok() => {
            let id = id.parse().unwrap_or_default();
            view! { <staff::ReviewPage id /> }.into_any()
        }
        _ => view! { <NotFound /> }.into_any(),
    }
}

/// A link to the policy calculator (政策计算器), which the browser loads afresh: it is a bundle
/// of its own (`target="_self"` keeps the in-app router from handling it).
#[component]
pub fn SelfCheckLink() -> impl IntoView {
    view! {
        <a href="/self-check" target="_self" class="button" data-test="self-check-link">
            {crate::prefs::tr(|m| m.self_check.open)}
        </a>
    }
}

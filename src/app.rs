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
use crate::route::Route;
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
            {move || match location.route() {
                Some(route) => page(route),
                None => view! { <NotFound /> }.into_any(),
            }}
        </Shell>
    }
}

/// The page of `route`, in the pages this bundle carries.
fn page(route: Route) -> AnyView {
    match route {
        Route::Landing => view! { <Landing /> }.into_any(),
        Route::Policies => view! { <Policies /> }.into_any(),
        Route::Policy(id) => view! { <PolicyDetail id /> }.into_any(),
        #[cfg(feature = "account")]
        Route::Disbursement => {
            view! { <crate::pages::disbursement::DisbursementPage /> }.into_any()
        }
        #[cfg(feature = "account")]
        Route::Grant(id) => view! { <GrantPage id /> }.into_any(),
        #[cfg(feature = "account")]
        Route::PolicyAdmin => view! { <crate::pages::policy_admin::AdminList /> }.into_any(),
        #[cfg(feature = "account")]
        Route::NewPolicy => view! { <crate::pages::policy_admin::NewPolicy /> }.into_any(),
        #[cfg(feature = "account")]
        Route::Claim(id) => view! { <crate::pages::claim::ClaimPage id /> }.into_any(),
        #[cfg(feature = "account")]
        Route::ClaimQueue => view! { <crate::pages::claim_review::QueuePage /> }.into_any(),
        #[cfg(feature = "account")]
        Route::ClaimReview(id) => {
            view! { <crate::pages::claim_review::ReviewPage id /> }.into_any()
        }
        #[cfg(feature = "account")]
        Route::PolicyVersion(id, version) => {
            view! { <crate::pages::policy_admin::version::VersionPage id version /> }.into_any()
        }
        #[cfg(feature = "account")]
        Route::Licences
        | Route::NewApplication
        | Route::Application(_)
        | Route::Section(..)
        | Route::CheckAnswers(_)
        | Route::Licence(_)
        | Route::Workbench(_)
        | Route::Review(_)
        | Route::Figures
        | Route::Catalogue => licence_page(route),
        #[cfg(any(feature = "account", feature = "track"))]
        Route::Track => view! { <crate::pages::licence::public::TrackPage /> }.into_any(),
        #[cfg(any(feature = "account", feature = "track"))]
        Route::Verify(token) => {
            view! { <crate::pages::licence::public::VerifyPage token /> }.into_any()
        }
        #[cfg(any(feature = "account", feature = "track"))]
        Route::StaffEnrol(token) => {
            view! { <crate::pages::staff_enrol::EnrolPage token /> }.into_any()
        }
        // The public 一照通 pages and staff enrolment are a bundle of their own: links load it.
        #[cfg(not(any(feature = "account", feature = "track")))]
        route @ (Route::Track | Route::Verify(_) | Route::StaffEnrol(_)) => {
            crate::router::full_load(&route);
            ().into_any()
        }
        #[cfg(feature = "selfcheck")]
        Route::SelfCheck => view! { <crate::pages::self_check::SelfCheck /> }.into_any(),
        // The calculator is a bundle of its own: a link that loads it.
        #[cfg(not(feature = "selfcheck"))]
        Route::SelfCheck => view! { <p><SelfCheckLink /></p> }.into_any(),
        Route::Services => view! { <Services /> }.into_any(),
        Route::Me => view! { <Me /> }.into_any(),
        Route::Login => view! { <Login binding=false /> }.into_any(),
        Route::BindWeChat => view! { <Login binding=true /> }.into_any(),
        Route::StaffLogin => view! { <StaffLoginPage /> }.into_any(),
        Route::WeChat(ticket) => view! { <WeChatPage ticket /> }.into_any(),
        Route::Problem(reason) => {
            view! { <crate::pages::problem::ProblemPage reason /> }.into_any()
        }
        #[allow(unreachable_patterns)]
        _ => view! { <NotFound /> }.into_any(),
    }
}

/// The 一照通 pages of signed-in people: `/licences…` (applicants) and `/staff/licences…`
/// (reviewers).
#[cfg(feature = "account")]
fn licence_page(route: Route) -> AnyView {
    use crate::pages::licence::{apply, catalogue, form, issued, staff};
    match route {
        Route::Licences => view! { <apply::LicencesPage /> }.into_any(),
        Route::NewApplication => view! { <apply::NewApplicationPage /> }.into_any(),
        Route::Licence(number) => view! { <issued::LicencePage number /> }.into_any(),
        Route::Application(id) => view! { <apply::ApplicationPage id /> }.into_any(),
        Route::CheckAnswers(id) => view! { <form::CheckPage id /> }.into_any(),
        Route::Section(id, section) => view! { <form::SectionPage id section /> }.into_any(),
        Route::Workbench(stage) => view! { <staff::Workbench stage /> }.into_any(),
        Route::Figures => view! { <staff::FiguresPage /> }.into_any(),
        Route::Catalogue => view! { <catalogue::CataloguePage /> }.into_any(),
        Route::Review(id) => view! { <staff::ReviewPage id /> }.into_any(),
        _ => view! { <NotFound /> }.into_any(),
    }
}

/// A link to the policy calculator (政策计算器), which the browser loads afresh: it is a bundle
/// of its own (`target="_self"` keeps the in-app router from handling it).
#[component]
pub fn SelfCheckLink() -> impl IntoView {
    view! {
        <a href=Route::SelfCheck.path() target="_self" class="button" data-test="self-check-link">
            {crate::prefs::tr(|m| m.self_check.open)}
        </a>
    }
}

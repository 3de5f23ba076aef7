//! `/me` (我的): the person's own corner; for now the display settings and what is running.

use api::system::Version;
use leptos::prelude::*;

use crate::api_client;
use crate::components::settings::{ElderSwitch, LanguageSwitch};
use crate::prefs::{tr, use_prefs, use_title};

/// The "me" page.
#[component]
pub fn Me() -> impl IntoView {
    let prefs = use_prefs();
    use_title(|m| m.me.title);
    let t = move || prefs.t();
    let version =
        LocalResource::new(move || api_client::get::<Version>("/api/version", prefs.locale.get()));
    view! {
        <h1 class="page-title">{tr(|m| m.me.title)}</h1>
        <p class="lead">{tr(|m| m.me.login_prompt)}</p>
        <section class="panel" aria-labelledby="settings-title">
            <h2 id="settings-title">{tr(|m| m.me.settings_title)}</h2>
            <div class="settings-row">
                <span>{tr(|m| m.settings.language)}</span>
                <LanguageSwitch />
            </div>
            <div class="settings-row">
                <span>{tr(|m| m.settings.elder_mode_hint)}</span>
                <ElderSwitch />
            </div>
        </section>
        <section class="panel" aria-labelledby="about-title">
            <h2 id="about-title">{tr(|m| m.me.about_title)}</h2>
            <p class="version" data-test="version">
                <Suspense fallback=tr(|m| m.common.loading)>
                    {move || Suspend::new(async move {
                        match version.await {
                            Ok(v) => api::text::fill(t().me.version, &[("version", &v.version)]),
                            Err(e) => e.message(t()),
                        }
                    })}
                </Suspense>
            </p>
        </section>
    }
}

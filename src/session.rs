//! Who is logged in, for the whole app: read from `/api/auth/session` at start, set by the login pages,
//! cleared by logging out.

use api::account::Me;
use leptos::prelude::*;

use crate::load::Put;

use crate::api_client;
use crate::prefs::use_prefs;

/// Shared through context; `Copy`.
#[derive(Clone, Copy, Debug)]
pub struct Auth {
    /// The account, or `None` when nobody is logged in.
    pub me: RwSignal<Option<Me>>,
    /// Whether the server has been asked yet.
    pub checked: RwSignal<bool>,
}

/// Provides [`Auth`] and asks the server who is logged in.
pub fn provide_auth() -> Auth {
    let auth = Auth {
        me: RwSignal::new(None),
        checked: RwSignal::new(false),
    };
    provide_context(auth);
    let locale = use_prefs().locale.get_untracked();
    leptos::task::spawn_local(async move {
        auth.me.put(
            api_client::get::<Option<Me>>("/api/auth/session", locale)
                .await
                .ok()
                .flatten(),
        );
        auth.checked.put(true);
    });
    auth
}

pub fn use_auth() -> Auth {
    expect_context::<Auth>()
}

/// Posts a login (`path`, `body`); on success the app knows the account and goes to 我的,
/// loading the signed-in bundle of the app.
pub async fn log_in<B: serde::Serialize>(
    auth: Auth,
    path: &str,
    body: &B,
    locale: crate::i18n::Locale,
) -> Result<(), api_client::ApiFailure> {
    let me = api_client::post::<_, Me>(path, body, locale).await?;
    auth.me.put(Some(me));
    crate::router::full_load("/me");
    Ok(())
}

//! Who is logged in, for the whole app: asked of the server at start, set by the login pages,
//! cleared by logging out.

use api::account::Me;
use leptos::prelude::*;

use crate::alerts;
use crate::api_client::{self, ApiFailure, Call};
use crate::load::{spawn_request, Put};
use crate::route::Route;

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
    let call = api_client::session();
    leptos::task::spawn_local(async move {
        auth.me.put(call.await.ok().flatten());
        auth.checked.put(true);
    });
    auth
}

pub fn use_auth() -> Auth {
    expect_context::<Auth>()
}

/// Sends a login; on success the app knows the account and goes to 我的, loading the signed-in
/// bundle of the app.
pub async fn log_in(auth: Auth, call: Call<Me>) -> Result<(), ApiFailure> {
    let me = call.await?;
    auth.me.put(Some(me));
    crate::router::full_load(&Route::Me);
    Ok(())
}

/// Sends a logout (here, or on every device): on success the app forgets the account and goes
/// to the login page (the visitors' bundle), even if the person has left the page that asked.
/// A failure shows in the alert region while that page is on screen.
pub fn log_out(auth: Auth, call: Call<()>) {
    let page = alerts::page();
    spawn_request(call, move |answer, _| match answer {
        Ok(()) => {
            auth.me.put(None);
            crate::router::full_load(&Route::Login);
        }
        Err(e) => page.show(e),
    });
}

/// Sends a change that answers with the account as it is now (an identity recorded, another
/// enterprise acted for): the app takes it even if the person has left the page that asked.
/// A failure shows in the alert region while that page is on screen.
pub fn change_account(auth: Auth, call: Call<Me>) {
    let page = alerts::page();
    spawn_request(call, move |answer, _| match answer {
        Ok(me) => {
            page.clear();
            auth.me.put(Some(me));
        }
        Err(e) => page.show(e),
    });
}

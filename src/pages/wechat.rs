//! `/wechat?ticket=…`: where a WeChat mini-program opens its web-view. The ticket is traded
//! for a session; the first time, the person goes on to verify their phone, which binds WeChat.

use api::account::{WeChatLogin, WeChatTicket};
use leptos::prelude::*;

use crate::api_client;
use crate::load::{spawn_request, Put};
use crate::prefs::{tr, use_title};
use crate::route::Route;
use crate::router::{use_navigate, Link};
use crate::session::use_auth;

/// The WeChat landing page.
#[component]
pub fn WeChatPage(ticket: Option<String>) -> impl IntoView {
    let auth = use_auth();
    let navigate = use_navigate();
    use_title(|m| m.wechat.title);
    // Whether the login did not happen (why, when the server said, is in the alert region).
    let failed = RwSignal::new(false);
    match ticket {
        Some(ticket) => {
            let page = crate::alerts::page();
            spawn_request(
                api_client::wechat_ticket(&WeChatTicket { ticket }),
                move |answer, _| match answer {
                    // Logged in: the signed-in bundle, wherever the person is by now.
                    Ok(WeChatLogin { me: Some(me), .. }) => {
                        auth.me.put(Some(me));
                        crate::router::full_load(&Route::Me);
                    }
                    Ok(WeChatLogin {
                        needs_phone: true, ..
                    }) => {
                        if !failed.is_disposed() {
                            navigate(Route::BindWeChat);
                        }
                    }
                    Ok(_) => failed.put(true),
                    Err(e) => {
                        failed.put(true);
                        page.show(e);
                    }
                },
            )
        }
        None => failed.set(true),
    }
    view! {
        <h1 class="page-title">{tr(|m| m.wechat.title)}</h1>
        {move || if failed.get() {
            view! {
                <p class="field-error">{tr(|m| m.wechat.failed)}</p>
                <p><Link to=Route::Login class="button primary">{tr(|m| m.landing.login)}</Link></p>
            }
            .into_any()
        } else {
            view! { <p role="status">{tr(|m| m.wechat.working)}</p> }.into_any()
        }}
    }
}

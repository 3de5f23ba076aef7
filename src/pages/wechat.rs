//! `/wechat?ticket=…`: where a WeChat mini-program opens its web-view. The ticket is traded
//! for a session; the first time, the person goes on to verify their phone, which binds WeChat.

use api::account::{WeChatLogin, WeChatTicket};
use leptos::prelude::*;

use crate::load::{spawn_request, Put};

use crate::api_client;
use crate::prefs::{tr, use_prefs, use_title};
use crate::router::{use_navigate, Link};
use crate::session::use_auth;

/// The value of `name` in the page's query string.
pub fn query_param(name: &str) -> Option<String> {
    let search = window().location().search().ok()?;
    search.trim_start_matches('?').split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        (k == name).then(|| {
            js_sys::decode_uri_component(v)
                .ok()
                .and_then(|s| s.as_string())
                .unwrap_or_else(|| v.to_owned())
        })
    })
}

/// The WeChat landing page.
#[component]
pub fn WeChatPage() -> impl IntoView {
    let prefs = use_prefs();
    let auth = use_auth();
    let navigate = use_navigate();
    use_title(|m| m.wechat.title);
    let error = RwSignal::new(None::<String>);
    match query_param("ticket") {
        Some(ticket) => spawn_request(
            move |locale| async move {
                api_client::post::<_, WeChatLogin>(
                    "/api/wechat/ticket",
                    &WeChatTicket { ticket },
                    locale,
                )
                .await
            },
            move |answer, m| match answer {
                // Logged in: the signed-in bundle, wherever the person is by now.
                Ok(WeChatLogin { me: Some(me), .. }) => {
                    auth.me.put(Some(me));
                    crate::router::full_load("/me");
                }
                Ok(WeChatLogin {
                    needs_phone: true, ..
                }) => {
                    if !error.is_disposed() {
                        navigate("/login?wechat=1");
                    }
                }
                Ok(_) => error.put(Some(m.wechat.failed.to_owned())),
                Err(e) => error.put(Some(e.message(m))),
            },
        ),
        None => error.put(Some(prefs.t().wechat.failed.to_owned())),
    }
    view! {
        <h1 class="page-title">{tr(|m| m.wechat.title)}</h1>
        {move || match error.get() {
            None => view! { <p role="status">{tr(|m| m.wechat.working)}</p> }.into_any(),
            Some(message) => view! {
                <p class="field-error" role="alert">{message}</p>
                <p><Link href="/login" class="button primary">{tr(|m| m.landing.login)}</Link></p>
            }
            .into_any(),
        }}
    }
}

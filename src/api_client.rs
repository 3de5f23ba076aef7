//! The only module that talks to the server. Every request says which language the answer's
//! messages should be in, and every failure comes back as an [`ApiFailure`] a page can show.

use api::ErrorBody;
use serde::de::DeserializeOwned;
use serde::Serialize;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use crate::i18n::{Locale, Messages};

/// Why a request failed.
#[derive(Clone, Debug, PartialEq)]
pub enum ApiFailure {
    /// The server was not reached (offline, timed out).
    Network,
    /// The server refused, and said why in its error body.
    Server(ErrorBody),
    /// The answer was not what this version of the app expects.
    Unexpected,
}

impl ApiFailure {
    /// What to tell the person, in their language.
    pub fn message(&self, m: &Messages) -> String {
        match self {
            ApiFailure::Network => m.errors.network.to_owned(),
            ApiFailure::Server(body) => body.message.clone(),
            ApiFailure::Unexpected => m.errors.internal.to_owned(),
        }
    }
}

/// `GET path`, decoded as `T`.
pub async fn get<T: DeserializeOwned>(path: &str, locale: Locale) -> Result<T, ApiFailure> {
    request("GET", path, None, locale).await
}

/// `POST path` with a JSON body, decoded as `T` (`()` for an empty answer).
pub async fn post<B: Serialize, T: DeserializeOwned>(
    path: &str,
    body: &B,
    locale: Locale,
) -> Result<T, ApiFailure> {
    let json = serde_json::to_string(body).map_err(|_| ApiFailure::Unexpected)?;
    request("POST", path, Some(json), locale).await
}

/// `PUT path` with a JSON body, decoded as `T`.
pub async fn put<B: Serialize, T: DeserializeOwned>(
    path: &str,
    body: &B,
    locale: Locale,
) -> Result<T, ApiFailure> {
    let json = serde_json::to_string(body).map_err(|_| ApiFailure::Unexpected)?;
    request("PUT", path, Some(json), locale).await
}

/// `PUT path` with a file as the body (its own content type), decoded as `T`.
#[cfg(feature = "account")]
pub async fn upload<T: DeserializeOwned>(
    path: &str,
    file: &web_sys::File,
    locale: Locale,
) -> Result<T, ApiFailure> {
    let init = web_sys::RequestInit::new();
    init.set_method("PUT");
    let headers = web_sys::Headers::new().map_err(|_| ApiFailure::Unexpected)?;
    let _ = headers.set("Accept", "application/json");
    let _ = headers.set("Accept-Language", locale.tag());
    let _ = headers.set(CSRF_HEADER, CSRF_VALUE);
    let _ = headers.set("Content-Type", &file.type_());
    init.set_headers(&headers);
    init.set_body(file);
    let request =
        web_sys::Request::new_with_str_and_init(path, &init).map_err(|_| ApiFailure::Unexpected)?;
    let text = answer(request).await?;
    serde_json::from_str(&text).map_err(|_| ApiFailure::Unexpected)
}

/// `DELETE path`.
pub async fn delete(path: &str, locale: Locale) -> Result<(), ApiFailure> {
    request("DELETE", path, None, locale).await
}

async fn request<T: DeserializeOwned>(
    method: &str,
    path: &str,
    body: Option<String>,
    locale: Locale,
) -> Result<T, ApiFailure> {
    let text = exchange(method, path, body, locale).await?;
    // An empty answer (204) reads as JSON null, which `()` accepts.
    serde_json::from_str(if text.is_empty() { "null" } else { &text })
        .map_err(|_| ApiFailure::Unexpected)
}

/// The request itself, kept free of the answer's type so that it is compiled once rather than
/// once per type (a real saving in wasm size): the text of a 2xx answer, or the failure.
async fn exchange(
    method: &str,
    path: &str,
    body: Option<String>,
    locale: Locale,
) -> Result<String, ApiFailure> {
    let init = web_sys::RequestInit::new();
    init.set_method(method);
    let headers = web_sys::Headers::new().map_err(|_| ApiFailure::Unexpected)?;
    let _ = headers.set("Accept", "application/json");
    let _ = headers.set("Accept-Language", locale.tag());
    if method != "GET" {
        let _ = headers.set(CSRF_HEADER, CSRF_VALUE);
    }
    if let Some(body) = &body {
        let _ = headers.set("Content-Type", "application/json");
        init.set_body(&JsValue::from_str(body));
    }
    init.set_headers(&headers);
    let request =
        web_sys::Request::new_with_str_and_init(path, &init).map_err(|_| ApiFailure::Unexpected)?;
    answer(request).await
}

/// Sends `request`: the text of a 2xx answer, or the failure.
async fn answer(request: web_sys::Request) -> Result<String, ApiFailure> {
    let response: web_sys::Response =
        JsFuture::from(leptos::prelude::window().fetch_with_request(&request))
            .await
            .map_err(|_| ApiFailure::Network)?
            .dyn_into()
            .map_err(|_| ApiFailure::Unexpected)?;
    let text = JsFuture::from(response.text().map_err(|_| ApiFailure::Network)?)
        .await
        .map_err(|_| ApiFailure::Network)?
        .as_string()
        .unwrap_or_default();
    if response.ok() {
        Ok(text)
    } else {
        Err(serde_json::from_str::<ErrorBody>(&text)
            .map(ApiFailure::Server)
            .unwrap_or(ApiFailure::Unexpected))
    }
}

impl ApiFailure {
    /// The field a server refusal names, for showing the message next to it.
    pub fn field(&self) -> Option<&str> {
        match self {
            ApiFailure::Server(body) => body.field.as_deref(),
            _ => None,
        }
    }

    /// Whether the server said "log in first".
    pub fn is_unauthenticated(&self) -> bool {
        matches!(self, ApiFailure::Server(body) if body.code == api::ErrorCode::Unauthenticated)
    }
}

/// Logs panics to the console and reports them to the server (`POST /api/client-reports`),
/// so that a crash on someone's phone does not go unnoticed.
pub fn install_panic_reporter() {
    std::panic::set_hook(Box::new(|info| {
        console_error_panic_hook::hook(info);
        let path = leptos::prelude::window()
            .location()
            .pathname()
            .unwrap_or_default();
        let report = api::system::ClientReport {
            kind: api::system::ClientReportKind::Panic,
            message: info.to_string().chars().take(2000).collect(),
            path,
        };
        if let Ok(json) = serde_json::to_string(&report) {
            send_keepalive("/api/client-reports", &json);
        }
    }));
}

/// POSTs a JSON body that outlives the page (and the crashed app): `fetch` with `keepalive`.
fn send_keepalive(path: &str, json: &str) {
    let init = web_sys::RequestInit::new();
    init.set_method("POST");
    // `keepalive` is not in web-sys's stable API: set the field directly.
    let _ = js_sys::Reflect::set(&init, &JsValue::from_str("keepalive"), &JsValue::TRUE);
    init.set_body(&JsValue::from_str(json));
    if let Ok(headers) = web_sys::Headers::new() {
        let _ = headers.set("Content-Type", "application/json");
        let _ = headers.set(CSRF_HEADER, CSRF_VALUE);
        init.set_headers(&headers);
    }
    let _ = leptos::prelude::window().fetch_with_str_and_init(path, &init);
}

/// The header every state-changing request carries; the server refuses those without it.
pub const CSRF_HEADER: &str = "X-Requested-With";
pub const CSRF_VALUE: &str = "zhida";

/// A live stream from the server (Server-Sent Events), closed when dropped.
pub struct LiveStream {
    source: web_sys::EventSource,
    _on_event: wasm_bindgen::closure::Closure<dyn FnMut(web_sys::Event)>,
}

impl Drop for LiveStream {
    fn drop(&mut self) {
        self.source.close();
    }
}

/// Listens to `path` (the server's `/api/events`): `on_change` runs when it says something
/// changed, and when it reconnects after a lost connection (something may have changed
/// meanwhile). The browser reconnects by itself.
pub fn subscribe(path: &str, on_change: impl Fn() + 'static) -> Option<LiveStream> {
    let source = web_sys::EventSource::new(path).ok()?;
    let mut readies = 0u32;
    let on_event = wasm_bindgen::closure::Closure::<dyn FnMut(web_sys::Event)>::new(
        move |e: web_sys::Event| {
            if e.type_() == "ready" {
                readies += 1;
                if readies == 1 {
                    return;
                }
            }
            on_change();
        },
    );
    for name in ["ready", "changed"] {
        let _ = source.add_event_listener_with_callback(name, on_event.as_ref().unchecked_ref());
    }
    Some(LiveStream {
        source,
        _on_event: on_event,
    })
}

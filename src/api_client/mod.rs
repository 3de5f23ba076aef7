//! The only module that talks to the server, and the only one that knows its addresses: one
//! function per endpoint (in [`accounts`], [`subsidies`] and [`licences`], all re-exported
//! here), taking and returning the wire types of `crates/api`. Each returns a [`Call`]: the
//! request, with the language its answer's messages should be in read when it is made, sent
//! when awaited. Every failure comes back as an [`ApiFailure`] a page can show.

mod accounts;
#[cfg(feature = "account")]
mod claims;
mod licences;
#[cfg(feature = "account")]
mod policy_admin;
mod subsidies;

use std::future::{Future, IntoFuture};
use std::marker::PhantomData;
use std::pin::Pin;

use api::ErrorBody;
use serde::de::DeserializeOwned;
use serde::Serialize;
use wasm_bindgen::JsValue;

pub use accounts::*;
#[cfg(feature = "account")]
pub use claims::*;
pub use licences::*;
#[cfg(feature = "account")]
pub use policy_admin::*;
pub use subsidies::*;

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

/// Whether `href` points into the API (a file, a redirect to WeChat) rather than at a page of
/// the app: the browser follows such links itself.
pub fn is_api(href: &str) -> bool {
    href == "/api" || href.starts_with("/api/") || href.starts_with("/api?")
}

/// A request to the server, ready to send: `.await` it for the decoded answer (`T`; `()` for an
/// empty one). It asks for its answer in the language that was current when it was made, so it
/// can be made in a component or an event handler and awaited anywhere: the code after an
/// await may run when the page, and the context, are gone.
#[must_use = "a call does nothing until it is awaited"]
pub struct Call<T> {
    method: &'static str,
    path: String,
    body: Body,
    locale: Locale,
    answer: PhantomData<fn() -> T>,
}

enum Body {
    None,
    Json(String),
    /// A body that could not be written (never for the wire types): the call fails.
    Broken,
    #[cfg(feature = "account")]
    File(web_sys::File),
}

impl<T> Call<T> {
    fn new(method: &'static str, path: String, body: Body) -> Call<T> {
        Call {
            method,
            path,
            body,
            locale: crate::prefs::locale_now(),
            answer: PhantomData,
        }
    }

    fn get(path: String) -> Call<T> {
        Call::new("GET", path, Body::None)
    }

    fn post(path: String, body: &impl Serialize) -> Call<T> {
        Call::new("POST", path, json(body))
    }

    /// A POST with no body: a step that needs nothing but its address.
    fn post_empty(path: String) -> Call<T> {
        Call::new("POST", path, Body::None)
    }

    fn put(path: String, body: &impl Serialize) -> Call<T> {
        Call::new("PUT", path, json(body))
    }

    fn delete(path: String) -> Call<T> {
        Call::new("DELETE", path, Body::None)
    }

    /// The language the answer's messages will be in.
    pub fn locale(&self) -> Locale {
        self.locale
    }

    /// The same call asking in `locale`: for one made where the preferences cannot be read
    /// (after an await), in the language read before.
    pub fn in_locale(self, locale: Locale) -> Call<T> {
        Call { locale, ..self }
    }

    /// The method and address, as sent (for tests and logs).
    pub fn target(&self) -> (&'static str, &str) {
        (self.method, &self.path)
    }
}

fn json(body: &impl Serialize) -> Body {
    serde_json::to_string(body).map_or(Body::Broken, Body::Json)
}

impl<T: DeserializeOwned + 'static> IntoFuture for Call<T> {
    type Output = Result<T, ApiFailure>;
    type IntoFuture = Pin<Box<dyn Future<Output = Result<T, ApiFailure>>>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(async move {
            let text = exchange(self.method, &self.path, self.body, self.locale).await?;
            // An empty answer (204) reads as JSON null, which `()` accepts.
            serde_json::from_str(if text.is_empty() { "null" } else { &text })
                .map_err(|_| ApiFailure::Unexpected)
        })
    }
}

/// The request itself, kept free of the answer's type so that it is compiled once rather than
/// once per type (a real saving in wasm size): the text of a 2xx answer, or the failure.
async fn exchange(
    method: &str,
    path: &str,
    body: Body,
    locale: Locale,
) -> Result<String, ApiFailure> {
    use gloo_net::http::{Method, RequestBuilder};
    let method = match method {
        "POST" => Method::POST,
        "PUT" => Method::PUT,
        "DELETE" => Method::DELETE,
        _ => Method::GET,
    };
    let mut builder = RequestBuilder::new(path)
        .header("Accept", "application/json")
        .header("Accept-Language", locale.tag());
    if method != Method::GET {
        builder = builder.header(CSRF_HEADER, CSRF_VALUE);
    }
    let builder = builder.method(method);
    let request = match body {
        Body::None => builder.build(),
        Body::Json(json) => builder
            .header("Content-Type", "application/json")
            .body(json),
        Body::Broken => return Err(ApiFailure::Unexpected),
        #[cfg(feature = "account")]
        Body::File(file) => {
            let kind = file.type_();
            builder.header("Content-Type", &kind).body(file)
        }
    }
    .map_err(|_| ApiFailure::Unexpected)?;
    let response = request.send().await.map_err(|_| ApiFailure::Network)?;
    let text = response.text().await.map_err(|_| ApiFailure::Network)?;
    if response.ok() {
        Ok(text)
    } else {
        Err(serde_json::from_str::<ErrorBody>(&text)
            .map(ApiFailure::Server)
            .unwrap_or(ApiFailure::Unexpected))
    }
}

/// `GET /api/auth/session`: who is logged in, if anyone.
pub fn session() -> Call<Option<api::account::Me>> {
    Call::get("/api/auth/session".to_owned())
}

/// `GET /api/version`: the server's version.
pub fn version() -> Call<api::system::Version> {
    Call::get("/api/version".to_owned())
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

/// A stream of the server's live updates (Server-Sent Events), not yet opened.
#[must_use = "a stream does nothing until subscribed to"]
pub struct Events {
    path: String,
}

/// An open stream, closed when dropped (which ends the tasks that listen to it).
pub struct LiveStream {
    _source: gloo_net::eventsource::futures::EventSource,
}

impl Events {
    /// Opens the stream: `on_change` runs when the server says something changed, and when it
    /// reconnects after a lost connection (something may have changed meanwhile). The browser
    /// reconnects by itself.
    pub fn subscribe(self, on_change: impl Fn() + 'static) -> Option<LiveStream> {
        use futures_core::Stream;
        let mut source = gloo_net::eventsource::futures::EventSource::new(&self.path).ok()?;
        let on_change = std::rc::Rc::new(on_change);
        // The first `ready` is the stream opening; each later one a reconnection.
        for (name, mut skip) in [("ready", 1u32), ("changed", 0)] {
            let mut events = Box::pin(source.subscribe(name).ok()?);
            let on_change = on_change.clone();
            leptos::task::spawn_local(async move {
                // Ends when the stream is closed (it then reports an error).
                while let Some(Ok(_)) =
                    std::future::poll_fn(|cx| events.as_mut().poll_next(cx)).await
                {
                    match skip.checked_sub(1) {
                        Some(left) => skip = left,
                        None => on_change(),
                    }
                }
            });
        }
        Some(LiveStream { _source: source })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use api::subsidy::GrantDecision;

    #[test]
    fn calls_know_their_method_and_address() {
        assert_eq!(grant(5).target(), ("GET", "/api/grants/5"));
        assert_eq!(
            decide(5, GrantDecision::Consent).target(),
            ("POST", "/api/grants/5/consent")
        );
        assert_eq!(
            decide(5, GrantDecision::Decline).target(),
            ("POST", "/api/grants/5/decline")
        );
        assert_eq!(policy("a b/c").target(), ("GET", "/api/policies/a%20b%2Fc"));
        assert_eq!(end_session(3).target(), ("DELETE", "/api/me/sessions/3"));
        assert_eq!(
            queue(None).target(),
            ("GET", "/api/staff/licences/applications?stage=")
        );
        assert_eq!(
            queue(Some(api::licence::Stage::OnSiteCheck)).target(),
            (
                "GET",
                "/api/staff/licences/applications?stage=on_site_check"
            )
        );
        assert_eq!(
            demo_totp("张 三").target(),
            (
                "GET",
                "/api/auth/staff/demo-totp?username=%E5%BC%A0%20%E4%B8%89"
            )
        );
    }

    #[test]
    fn every_call_is_under_the_api() {
        let paths = [
            session().path,
            version().path,
            home().path,
            licence("n").path,
            verify("t").path,
            track_events("w").path,
            application_events(1).path,
            events().path,
        ];
        for path in paths {
            assert!(is_api(&path), "{path}");
        }
        assert!(!is_api("/apis"));
        assert!(!is_api("/policies"));
    }

    #[test]
    fn failures_read_in_words() {
        let m = Locale::ZhCn.messages();
        assert_eq!(ApiFailure::Network.message(m), m.errors.network);
        let body = ErrorBody {
            code: api::ErrorCode::Unauthenticated,
            field: Some("phone".into()),
            message: "请先登录".into(),
        };
        let failure = ApiFailure::Server(body);
        assert_eq!(failure.message(m), "请先登录");
        assert_eq!(failure.field(), Some("phone"));
        assert!(failure.is_unauthenticated());
    }
}

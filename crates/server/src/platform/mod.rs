//! What every feature stands on and none of them owns: the database, errors and the JSON
//! extractor, languages, headers, the app's files, the HTTP client, keys and hashes, rate
//! limits, the live-event hub, document storage, QR codes and the SMS gateway. Nothing here imports a
//! feature (the import check of `cargo xtask test` holds it).

pub mod crypto;
pub mod db;
pub mod error;
pub mod events;
pub mod headers;
pub mod http_client;
pub mod i18n;
pub mod json;
pub mod qr;
pub mod ratelimit;
pub mod request;
pub mod sms;
pub mod static_files;
pub mod storage;
pub mod upload;

use axum::http::HeaderValue;

/// Settings fixed at start-up.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Demo mode: SMS codes are shown on the login form instead of sent.
    pub demo: bool,
    /// The public address is HTTPS: cookies are `Secure` and HSTS is sent.
    pub secure_cookies: bool,
    /// The Content-Security-Policy for the built app.
    pub csp: HeaderValue,
    /// The address people reach Zhida at (for redirects back from WeChat), when configured.
    pub public_url: Option<String>,
}

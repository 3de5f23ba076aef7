//! Zhida's server: the HTTP API over the database, and the built app.
//!
//! [`app`] builds the whole router from an [`AppState`]; `main` and the tests share it, so
//! every test exercises exactly what production serves.

pub mod account;
pub mod auth;
pub mod batch;
pub mod cli;
pub mod crypto;
pub mod db;
pub mod demo;
pub mod error;
pub mod feeds;
pub mod headers;
pub mod http_client;
pub mod i18n;
pub mod json;
pub mod login;
pub mod policies;
pub mod ratelimit;
pub mod routes;
pub mod sms;
pub mod staff;
pub mod static_files;
pub mod totp;
pub mod wechat;

use std::sync::Arc;

use axum::http::HeaderValue;

pub use routes::app;

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

/// What every handler can reach. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub db: db::Db,
    pub assets: Arc<static_files::StaticAssets>,
    pub vault: Arc<crypto::Vault>,
    pub sms: Arc<dyn sms::SmsSender>,
    pub wechat: Arc<dyn wechat::WeChat>,
    /// The published policies (the reference set until policy administration arrives).
    pub policies: Arc<Vec<rules::Policy>>,
    pub settings: Arc<Settings>,
}

impl AppState {
    pub fn new(
        db: db::Db,
        assets: static_files::StaticAssets,
        vault: crypto::Vault,
        sms: Arc<dyn sms::SmsSender>,
        demo: bool,
        secure_cookies: bool,
    ) -> AppState {
        let scripts = assets
            .index_html()
            .map(headers::inline_scripts)
            .unwrap_or_default();
        let csp = HeaderValue::from_str(&headers::content_security_policy(&scripts))
            .expect("a CSP is ASCII");
        AppState {
            db,
            assets: Arc::new(assets),
            vault: Arc::new(vault),
            sms,
            wechat: Arc::new(wechat::NoWeChat),
            policies: Arc::new(rules::reference_policies()),
            settings: Arc::new(Settings {
                demo,
                secure_cookies,
                csp,
                public_url: None,
            }),
        }
    }

    /// Logs in with WeChat through `wechat`.
    pub fn with_wechat(mut self, wechat: Arc<dyn wechat::WeChat>) -> AppState {
        self.wechat = wechat;
        self
    }

    /// The public address (for redirect URLs).
    pub fn with_public_url(mut self, url: Option<String>) -> AppState {
        Arc::make_mut(&mut self.settings).public_url = url;
        self
    }
}

//! Zhida's server: the HTTP API over the database, and the built app.
//!
//! [`app`] builds the whole router from an [`AppState`]; `main` and the tests share it, so
//! every test exercises exactly what production serves.

pub mod account;
pub mod auth;
pub mod batch;
pub mod cli;
pub mod crypto;
pub mod data;
pub mod db;
pub mod demo;
pub mod error;
pub mod events;
pub mod explain;
pub mod feeds;
pub mod grant_life;
pub mod grant_moves;
pub mod headers;
pub mod http_client;
pub mod i18n;
pub mod json;
pub mod licences;
pub mod login;
pub mod matching;
pub mod notifier;
pub mod objections;
pub mod payments;
pub mod policies;
pub mod ratelimit;
pub mod routes;
pub mod sms;
pub mod staff;
pub mod static_files;
pub mod storage;
pub mod subsidies;
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
    /// Where payment instructions go.
    pub treasury: Arc<dyn payments::Treasury>,
    /// Wakes the payment sender when instructions were queued.
    pub wake_payments: Arc<tokio::sync::Notify>,
    /// This instance's live connections (Server-Sent Events).
    pub events: Arc<events::Hub>,
    /// The channels that tell people outside the app (SMS, WeChat subscription messages).
    pub notifiers: Arc<Vec<Arc<dyn notifier::Notifier>>>,
    /// Where uploaded materials are kept.
    pub storage: Arc<dyn storage::Storage>,
    /// Permit catalogue versions read so far (a version never changes once written).
    pub licence_catalogues:
        Arc<std::sync::Mutex<std::collections::HashMap<i64, Arc<api::licence::Catalogue>>>>,
    /// Signs licence QR payloads (its public key is published).
    pub licence_key: Arc<licensing::SigningKey>,
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
        // Every bundle's page: each has its own loader script, allowed by its hash.
        let mut scripts: Vec<_> = assets.pages().flat_map(headers::inline_scripts).collect();
        scripts.sort();
        scripts.dedup();
        let csp = HeaderValue::from_str(&headers::content_security_policy(&scripts))
            .expect("a CSP is ASCII");
        AppState {
            db,
            assets: Arc::new(assets),
            vault: Arc::new(vault),
            sms,
            wechat: Arc::new(wechat::NoWeChat),
            policies: Arc::new(rules::reference_policies()),
            treasury: if demo {
                Arc::new(payments::DemoTreasury::default())
            } else {
                Arc::new(payments::NoTreasury)
            },
            wake_payments: Arc::new(tokio::sync::Notify::new()),
            events: Arc::new(events::Hub::default()),
            notifiers: Arc::new(if demo {
                vec![Arc::new(notifier::DemoNotifier) as Arc<dyn notifier::Notifier>]
            } else {
                Vec::new()
            }),
            // Until configured (`with_storage`): a directory of this process's own.
            storage: Arc::new(storage::LocalDir::new(
                std::env::temp_dir().join(format!("zhida-uploads-{}", uuid::Uuid::new_v4())),
            )),
            licence_catalogues: Arc::default(),
            // Until configured (`with_licence_key`): a key of this process's own.
            licence_key: Arc::new(licensing::SigningKey::from_bytes(
                &crypto::random_bytes::<32>(),
            )),
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

    /// Another instance's view of the same database: its own live connections.
    pub fn with_events(mut self, hub: Arc<events::Hub>) -> AppState {
        self.events = hub;
        self
    }

    /// Tells people outside the app through `notifiers`.
    pub fn with_notifiers(mut self, notifiers: Vec<Arc<dyn notifier::Notifier>>) -> AppState {
        self.notifiers = Arc::new(notifiers);
        self
    }

    /// Pays through `treasury`.
    pub fn with_treasury(mut self, treasury: Arc<dyn payments::Treasury>) -> AppState {
        self.treasury = treasury;
        self
    }

    /// Starts the work that runs beside requests: PostgreSQL's event listener, the payment
    /// sender, catching up subjects left unmatched, the monthly runs and consent expiry.
    pub async fn start_background(&self) -> anyhow::Result<()> {
        events::listen(self).await?;
        tokio::spawn(payments::sender_loop(self.clone()));
        tokio::spawn(notifier::delivery_loop(self.clone()));
        let state = self.clone();
        tokio::spawn(async move {
            loop {
                if let Err(e) = matching::sweep_pending(&state).await {
                    tracing::error!(error = %format!("{e:#}"), "matching pending subjects");
                }
                if let Err(e) = matching::after_import(&state).await {
                    tracing::error!(error = %format!("{e:#}"), "matching after an import");
                }
                if let Err(e) = matching::run_due_months(&state).await {
                    tracing::error!(error = %format!("{e:#}"), "monthly run");
                }
                if let Err(e) = matching::expire_consents(&state).await {
                    tracing::error!(error = %format!("{e:#}"), "consent expiry");
                }
                tokio::time::sleep(std::time::Duration::from_secs(30)).await;
            }
        });
        Ok(())
    }

    /// Keeps uploads in `storage`.
    pub fn with_storage(mut self, storage: Arc<dyn storage::Storage>) -> AppState {
        self.storage = storage;
        self
    }

    /// Signs licences with `key`.
    pub fn with_licence_key(mut self, key: licensing::SigningKey) -> AppState {
        self.licence_key = Arc::new(key);
        self
    }

    /// The public address (for redirect URLs).
    pub fn with_public_url(mut self, url: Option<String>) -> AppState {
        Arc::make_mut(&mut self.settings).public_url = url;
        self
    }
}

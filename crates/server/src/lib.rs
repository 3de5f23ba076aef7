//! Zhida's server: the HTTP API over the database, and the built app.
//!
//! [`app`] builds the whole router from an [`AppState`]; `main` and the tests share it, so
//! every test exercises exactly what production serves.

pub mod accounts;
pub mod cli;
pub mod data;
pub mod demo;
pub mod licences;
pub mod notifications;
pub mod platform;
pub mod policies;
pub mod routes;
pub mod subsidies;
pub mod system;

use std::sync::Arc;

use axum::http::HeaderValue;

use accounts::wechat;
use platform::{crypto, db, events, headers, sms, static_files, storage};
use subsidies::{grants, matching, monthly, payments};

pub use routes::app;

pub use platform::Settings;

/// What every handler can reach. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub db: db::Db,
    pub assets: Arc<static_files::StaticAssets>,
    pub vault: Arc<crypto::Vault>,
    pub sms: Arc<dyn sms::SmsSender>,
    pub wechat: Arc<dyn wechat::WeChat>,
    /// The published policies, read from the database (see `policies::store`).
    pub policies: Arc<policies::store::PolicyBook>,
    /// Where payment instructions go.
    pub treasury: Arc<dyn payments::Treasury>,
    /// Wakes the payment sender when instructions were queued.
    pub wake_payments: Arc<tokio::sync::Notify>,
    /// This instance's live connections (Server-Sent Events).
    pub events: Arc<events::Hub>,
    /// The channels that tell people outside the app (SMS, WeChat subscription messages).
    pub notifiers: Arc<Vec<Arc<dyn notifications::Notifier>>>,
    /// Where uploaded materials are kept.
    pub storage: Arc<dyn storage::Storage>,
    /// Permit catalogue versions read so far (a version never changes once written).
    pub licence_catalogues:
        Arc<std::sync::Mutex<std::collections::HashMap<i64, Arc<api::licence::Catalogue>>>>,
    /// Signs licence QR payloads (its public key is published).
    pub licence_key: Arc<licensing::SigningKey>,
    pub settings: Arc<Settings>,
    /// What runs after a feed changed subjects: matching them to the policies.
    pub after_data_change: Arc<dyn data::AfterChange>,
    /// The warm copies of the population the impact sandbox runs drafts over.
    pub snapshots: Arc<policies::sandbox::Snapshots>,
    /// Checks that a name belongs to an ID number (the register, then a real-name service).
    pub identity: Arc<dyn accounts::identity::IdentityVerifier>,
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
        let vault = Arc::new(vault);
        AppState {
            identity: Arc::new(accounts::identity::RegisterThenService {
                register: accounts::identity::RegisterVerifier {
                    db: db.clone(),
                    vault: vault.clone(),
                },
                service: demo.then(|| {
                    Arc::new(accounts::identity::DemoIdentity)
                        as Arc<dyn accounts::identity::IdentityVerifier>
                }),
            }),
            db: db.clone(),
            assets: Arc::new(assets),
            vault,
            sms,
            wechat: Arc::new(wechat::NoWeChat),
            policies: Arc::default(),
            treasury: if demo {
                Arc::new(payments::DemoTreasury::default())
            } else {
                Arc::new(payments::NoTreasury)
            },
            wake_payments: Arc::new(tokio::sync::Notify::new()),
            events: Arc::new(events::Hub::new(db.clone())),
            notifiers: Arc::new(if demo {
                vec![Arc::new(notifications::DemoNotifier) as Arc<dyn notifications::Notifier>]
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
            after_data_change: Arc::new(matching::MatchChanged),
            snapshots: Arc::default(),
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
    pub fn with_notifiers(mut self, notifiers: Vec<Arc<dyn notifications::Notifier>>) -> AppState {
        self.notifiers = Arc::new(notifiers);
        self
    }

    /// Pays through `treasury`.
    /// Asks this real-name service of the numbers the register does not hold.
    pub fn with_identity_service(
        mut self,
        service: Arc<dyn accounts::identity::IdentityVerifier>,
    ) -> AppState {
        self.identity = Arc::new(accounts::identity::RegisterThenService {
            register: accounts::identity::RegisterVerifier {
                db: self.db.clone(),
                vault: self.vault.clone(),
            },
            service: Some(service),
        });
        self
    }

    pub fn with_treasury(mut self, treasury: Arc<dyn payments::Treasury>) -> AppState {
        self.treasury = treasury;
        self
    }

    /// Starts the work that runs beside requests: PostgreSQL's event listener, the payment
    /// sender, catching up subjects left unmatched, the monthly runs and consent expiry.
    pub async fn start_background(&self) -> anyhow::Result<()> {
        self.events.listen().await?;
        self.policies.reload(&self.db).await?;
        match policies::follows::announce_new_policies(self).await {
            Ok(n) if n > 0 => tracing::info!(told = n, "new policies announced to their followers"),
            Ok(_) => {}
            Err(e) => tracing::error!(error = %format!("{e:#}"), "announcing new policies"),
        }
        tokio::spawn(payments::sender_loop(self.clone()));
        tokio::spawn(notifications::delivery_loop(self.clone()));
        let state = self.clone();
        tokio::spawn(async move {
            loop {
                match state.policies.refresh(&state.db).await {
                    Ok(true) => tracing::info!("the published policies changed: reloaded"),
                    Ok(false) => {}
                    Err(e) => tracing::error!(error = %format!("{e:#}"), "reloading the policies"),
                }
                if let Err(e) = matching::sweep_pending(&state).await {
                    tracing::error!(error = %format!("{e:#}"), "matching pending subjects");
                }
                if let Err(e) = monthly::after_import(&state).await {
                    tracing::error!(error = %format!("{e:#}"), "matching after an import");
                }
                if let Err(e) = subsidies::policy_changes::follow(&state).await {
                    tracing::error!(error = %format!("{e:#}"), "following policy decisions");
                }
                if let Err(e) = monthly::run_due_months(&state).await {
                    tracing::error!(error = %format!("{e:#}"), "monthly run");
                }
                if let Err(e) = grants::expire_consents(&state).await {
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

//! Zhida's server: the HTTP API over the database, and the built app.
//!
//! [`app`] builds the whole router from an [`AppState`]; `main` and the tests share it, so
//! every test exercises exactly what production serves.

pub mod batch;
pub mod cli;
pub mod db;
pub mod demo;
pub mod error;
pub mod i18n;
pub mod json;
pub mod routes;
pub mod static_files;

use std::sync::Arc;

pub use routes::app;

/// What every handler can reach. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub db: db::Db,
    pub assets: Arc<static_files::StaticAssets>,
}

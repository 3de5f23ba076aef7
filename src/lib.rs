//! Zhida's app: a Leptos single-page app for residents, businesses and staff.
//!
//! Code map: [`app`] maps each [`route::Route`] to its page; [`router`] follows navigation;
//! `pages/` one module per page; `components/` the pieces pages share; [`alerts`] the one place
//! a failed action is said; [`prefs`] the remembered language and elder mode; [`i18n`] the
//! messages generated from `locales/*.json`; [`format`] money and dates per locale;
//! [`api_client`] the only place that talks to the server and knows its addresses.

pub mod alerts;
pub mod api_client;
pub mod app;
pub mod components;
pub mod format;
pub mod i18n;
pub mod load;
pub mod pages;
pub mod prefs;
pub mod route;
pub mod router;
pub mod session;

pub use app::App;

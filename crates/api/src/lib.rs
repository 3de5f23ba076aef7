//! The wire types that the app and the server share.
//!
//! This crate is serde only and does no IO: it compiles for the browser (wasm32) and the server
//! alike, so both sides agree on every request and response body, on the error format, and on
//! what a valid 统一社会信用代码, 居民身份证号码 or mobile number is.

pub mod account;
pub mod claim;
pub mod date;
pub mod error;
pub mod licence;
pub mod policy;
pub mod policy_admin;
pub mod subsidy;
pub mod system;
pub mod text;
pub mod validate;

pub use date::Date;
pub use error::{ErrorBody, ErrorCode};
pub use validate::{IdNumber, Mobile, Uscc, ValidationError};

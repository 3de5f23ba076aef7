//! 一照通 (one licence with its permits): the permit catalogue and the one form a choice of
//! permits makes ([`catalogue`]), the application workflow ([`workflow`]) and what each step
//! needs ([`checks`]), working-day time limits in Asia/Shanghai ([`calendar`]), the licence's
//! numbers and validity ([`issue`]), and its signed QR payload ([`seal`]).
//!
//! No IO: the server stores and serves all of this.

pub mod answers;
pub mod calendar;
pub mod catalogue;
pub mod checks;
pub mod issue;
pub mod seal;
pub mod workflow;

pub use ed25519_dalek::{SigningKey, VerifyingKey};

//! 一照通 (one licence with its permits): the permit catalogue and the one form a choice of
//! permits makes ([`catalogue`]), the application workflow ([`workflow`]), working-day time
//! limits in Asia/Shanghai ([`calendar`]), and the licence's signed QR payload ([`seal`]).
//!
//! No IO: the server stores and serves all of this.

pub mod calendar;
pub mod catalogue;
pub mod seal;
pub mod workflow;

pub use ed25519_dalek::{SigningKey, VerifyingKey};

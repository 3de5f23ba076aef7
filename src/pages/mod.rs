//! One module per page, named after its route.

//! The signed-in pages (feature `account`) are built into a second bundle that the server sends
//! to signed-in people only, so that a visitor's first load stays small.

#[cfg(feature = "account")]
pub mod check;
#[cfg(feature = "account")]
pub mod claim;
#[cfg(feature = "account")]
pub mod claim_review;
#[cfg(feature = "account")]
pub mod disbursement;
#[cfg(feature = "account")]
pub mod grant;
#[cfg(feature = "account")]
pub mod home;
pub mod landing;
#[cfg(any(feature = "account", feature = "track"))]
pub mod licence;
pub mod login;
pub mod me;
pub mod not_found;
pub mod policies;
#[cfg(feature = "account")]
pub mod policy_admin;
pub mod problem;
#[cfg(feature = "selfcheck")]
pub mod self_check;
pub mod services;
#[cfg(any(feature = "account", feature = "track"))]
pub mod staff_enrol;
pub mod staff_login;
pub mod wechat;

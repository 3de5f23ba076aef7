//! One module per page, named after its route.

pub mod check;
pub mod grant;
pub mod home;
pub mod landing;
pub mod login;
pub mod me;
pub mod not_found;
pub mod policies;
pub mod services;
pub mod staff_login;
pub mod wechat;

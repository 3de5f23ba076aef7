//! People and staff: logging in (SMS code, WeChat, password with an authenticator code),
//! sessions, identity, acting for an enterprise and its agents, and staff reading a person's
//! record. Other features use its extractors (`auth`).

pub mod account;
pub mod auth;
pub mod channels;
pub mod departments;
pub mod enrolment;
pub mod family;
pub mod identity;
pub mod login;
pub mod staff;
pub mod totp;
pub mod wechat;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;

/// Logging in and out, the account, agents, and staff reading a person's record.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(login::methods))
        .routes(routes!(login::send_code))
        .routes(routes!(login::verify_code))
        .routes(routes!(login::staff_login))
        .routes(routes!(enrolment::start))
        .routes(routes!(enrolment::finish))
        .routes(routes!(login::demo_totp))
        .routes(routes!(login::logout))
        .routes(routes!(login::logout_all))
        .routes(routes!(account::me))
        .routes(routes!(account::current))
        .routes(routes!(account::act_for))
        .routes(routes!(identity::set_identity))
        .routes(routes!(account::sessions))
        .routes(routes!(account::end_session))
        .routes(routes!(account::access_log))
        .routes(routes!(account::agents, account::add_agent))
        .routes(routes!(account::revoke_agent))
        .routes(routes!(family::family_agents, family::add_family_agent))
        .routes(routes!(family::revoke_family_agent))
        .routes(routes!(channels::channels, channels::set_channels))
        .routes(routes!(staff::read_person))
        .routes(routes!(wechat::mini_login))
        .routes(routes!(wechat::ticket))
        .routes(routes!(wechat::oauth_start))
        .routes(routes!(wechat::oauth_callback))
}

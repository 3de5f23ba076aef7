//! Logging in and out, and what an account sees and changes of itself.

use api::account::{
    AccessLogEntry, ActFor, Agent, ChannelSetting, CodeSent, EnrolmentDone, EnrolmentFinish,
    EnrolmentStart, EnrolmentToken, FollowedCategory, Follows, Identity, LoginMethods, Me,
    NewAgent, PolicyNotice, SendCode, SessionInfo, StaffLogin, VerifyCode, WeChatLogin,
    WeChatTicket,
};

use super::Call;
use crate::route::encode;

/// `GET /api/auth/methods`: the ways to log in this server can perform.
pub fn login_methods() -> Call<LoginMethods> {
    Call::get("/api/auth/methods".to_owned())
}

/// `POST /api/auth/sms/send`: a login code to a phone.
pub fn send_code(body: &SendCode) -> Call<CodeSent> {
    Call::post("/api/auth/sms/send".to_owned(), body)
}

/// `POST /api/auth/sms/verify`: logs in with the code.
pub fn verify_code(body: &VerifyCode) -> Call<Me> {
    Call::post("/api/auth/sms/verify".to_owned(), body)
}

/// `POST /api/auth/staff/login`: logs staff in with password and authenticator code.
pub fn staff_login(body: &StaffLogin) -> Call<Me> {
    Call::post("/api/auth/staff/login".to_owned(), body)
}

/// `GET /api/auth/staff/demo-totp?username=`: a demo account's current code (demo mode only).
pub fn demo_totp(username: &str) -> Call<String> {
    Call::get(format!(
        "/api/auth/staff/demo-totp?username={}",
        encode(username)
    ))
}

/// `POST /api/auth/logout`.
pub fn logout() -> Call<()> {
    Call::post_empty("/api/auth/logout".to_owned())
}

/// `POST /api/auth/logout-all`: ends every session of the account.
pub fn logout_all() -> Call<()> {
    Call::post_empty("/api/auth/logout-all".to_owned())
}

/// `POST /api/wechat/ticket`: trades a mini-program's ticket for a session.
pub fn wechat_ticket(body: &WeChatTicket) -> Call<WeChatLogin> {
    Call::post("/api/wechat/ticket".to_owned(), body)
}

/// Where WeChat's own browser starts a WeChat login (a link the browser follows: the server
/// sends it on to WeChat, and back to `return_to` in the app).
pub fn wechat_login_url(return_to: &str) -> String {
    format!("/api/wechat/oauth/start?return={}", encode(return_to))
}

/// `PUT /api/me/identity`: records one's real name and ID number.
pub fn set_identity(body: &Identity) -> Call<Me> {
    Call::put("/api/me/identity".to_owned(), body)
}

/// `POST /api/me/acting-for`: act for an enterprise, or for oneself.
pub fn act_for(body: &ActFor) -> Call<Me> {
    Call::post("/api/me/acting-for".to_owned(), body)
}

/// `GET /api/me/sessions`: the account's signed-in devices.
pub fn sessions() -> Call<Vec<SessionInfo>> {
    Call::get("/api/me/sessions".to_owned())
}

/// `DELETE /api/me/sessions/{id}`: signs one device out.
pub fn end_session(id: i64) -> Call<()> {
    Call::delete(format!("/api/me/sessions/{id}"))
}

/// `GET /api/me/access-log`: staff reads of the person's record.
pub fn access_log() -> Call<Vec<AccessLogEntry>> {
    Call::get("/api/me/access-log".to_owned())
}

/// `GET /api/enterprises/{id}/agents`.
pub fn agents(enterprise: i64) -> Call<Vec<Agent>> {
    Call::get(format!("/api/enterprises/{enterprise}/agents"))
}

/// `POST /api/enterprises/{id}/agents`: authorises an agent.
pub fn add_agent(enterprise: i64, body: &NewAgent) -> Call<Agent> {
    Call::post(format!("/api/enterprises/{enterprise}/agents"), body)
}

/// `DELETE /api/enterprises/{id}/agents/{agent}`: revokes an agent.
pub fn revoke_agent(enterprise: i64, agent: i64) -> Call<()> {
    Call::delete(format!("/api/enterprises/{enterprise}/agents/{agent}"))
}

/// `GET /api/me/family-agents`: the family members this person has authorised.
pub fn family_agents() -> Call<Vec<Agent>> {
    Call::get("/api/me/family-agents".to_owned())
}

/// `POST /api/me/family-agents`: authorises a family member (家人代办).
pub fn add_family_agent(body: &NewAgent) -> Call<Agent> {
    Call::post("/api/me/family-agents".to_owned(), body)
}

/// `DELETE /api/me/family-agents/{agent}`: revokes a family member's authorisation.
pub fn revoke_family_agent(agent: i64) -> Call<()> {
    Call::delete(format!("/api/me/family-agents/{agent}"))
}

/// `POST /api/staff/enrolment/start`: opens a new staff member's link.
pub fn enrolment_start(body: &EnrolmentToken) -> Call<EnrolmentStart> {
    Call::post("/api/staff/enrolment/start".to_owned(), body)
}

/// `POST /api/staff/enrolment/finish`: sets the password, enrols the authenticator, logs in.
pub fn enrolment_finish(body: &EnrolmentFinish) -> Call<EnrolmentDone> {
    Call::post("/api/staff/enrolment/finish".to_owned(), body)
}

/// `GET /api/me/channels`: how the person wants each group of messages outside the app.
pub fn channels() -> Call<Vec<ChannelSetting>> {
    Call::get("/api/me/channels".to_owned())
}

/// `PUT /api/me/channels`: saves the channels of the groups given.
pub fn set_channels(body: &Vec<ChannelSetting>) -> Call<Vec<ChannelSetting>> {
    Call::put("/api/me/channels".to_owned(), body)
}

/// `GET /api/me/follows`: the policy categories, and which the person follows.
pub fn follows() -> Call<Vec<FollowedCategory>> {
    Call::get("/api/me/follows".to_owned())
}

/// `PUT /api/me/follows`: follows exactly these categories.
pub fn set_follows(body: &Follows) -> Call<Vec<FollowedCategory>> {
    Call::put("/api/me/follows".to_owned(), body)
}

/// `GET /api/me/policy-notices`: the new policies the person was told of.
pub fn policy_notices() -> Call<Vec<PolicyNotice>> {
    Call::get("/api/me/policy-notices".to_owned())
}

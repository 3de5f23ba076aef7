//! Logging in, sessions, and what an account may see of itself.

use serde::{Deserialize, Serialize};

use crate::date::Date;
use crate::validate::Mobile;

/// `POST /api/auth/sms/send`: send a one-time code to this phone.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SendCode {
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "13800138000"))]
    pub phone: Mobile,
}

/// The answer to [`SendCode`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CodeSent {
    /// The phone, masked (`138****8000`).
    pub phone: String,
    /// Seconds before another code may be asked for.
    pub resend_after_seconds: u32,
    /// Only in demo mode: the code itself, shown as a hint on the login form.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub demo_code: Option<String>,
}

/// `POST /api/auth/sms/verify`: log in with the code.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct VerifyCode {
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "13800138000"))]
    pub phone: Mobile,
    pub code: String,
}

/// `POST /api/auth/staff/login`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct StaffLogin {
    pub username: String,
    pub password: String,
    /// The 6-digit code of the staff member's authenticator app.
    pub totp: String,
}

impl std::fmt::Debug for StaffLogin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StaffLogin")
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

/// What a staff member may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Permission {
    /// Accept, return, schedule, approve and reject licence applications.
    LicenceReview,
    /// Draft policies and their revisions, and run the impact sandbox.
    PolicyAdmin,
    /// Approve (publish) and retire policies drafted by someone else.
    PolicyApprove,
    /// Review applications for subsidies of their department's policies (线上申报).
    SubsidyReview,
    /// Route citizens' requests to departments.
    RequestDispatch,
    /// Manage staff accounts and department keys.
    Admin,
}

impl Permission {
    pub fn as_str(self) -> &'static str {
        match self {
            Permission::LicenceReview => "licence_review",
            Permission::PolicyAdmin => "policy_admin",
            Permission::PolicyApprove => "policy_approve",
            Permission::SubsidyReview => "subsidy_review",
            Permission::RequestDispatch => "request_dispatch",
            Permission::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<Permission> {
        [
            Permission::LicenceReview,
            Permission::PolicyAdmin,
            Permission::PolicyApprove,
            Permission::SubsidyReview,
            Permission::RequestDispatch,
            Permission::Admin,
        ]
        .into_iter()
        .find(|p| p.as_str() == s)
    }
}

/// What an agent may do for an enterprise.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Scopes {
    /// Subsidies: consent, apply, object.
    pub subsidies: bool,
    /// Licence applications.
    pub licences: bool,
}

/// How a person is tied to an enterprise.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum EnterpriseRole {
    LegalRepresentative,
    Agent,
}

/// An enterprise the person may act for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EnterpriseAccess {
    pub id: i64,
    pub name: String,
    pub uscc: String,
    pub role: EnterpriseRole,
    pub scopes: Scopes,
    /// For an agent: the last day of the authorisation.
    pub expires_on: Option<Date>,
}

/// A family member the person may act for (家人代办).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FamilyAccess {
    /// Their account's id (what `POST /api/me/acting-for` takes as `person_id`).
    pub id: i64,
    /// Their recorded name, or their masked phone number.
    pub name: String,
    /// The last day of the authorisation.
    pub expires_on: Date,
}

/// `GET /api/me`: who is logged in: `{"person": {…}}` or `{"staff": {…}}`. (Externally tagged:
/// an internally tagged enum would cost the app tens of kilobytes of decoding code.)
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Me {
    /// A resident or an enterprise user (logged in by phone).
    Person {
        id: i64,
        /// Masked unless asked for by its owner with `?reveal=phone`.
        phone: String,
        name: Option<String>,
        /// Masked: `4406**********1234`.
        id_number: Option<String>,
        enterprises: Vec<EnterpriseAccess>,
        acting_for: Option<i64>,
        /// Family members who authorised this person to handle their subsidies (家人代办).
        #[serde(default)]
        family: Vec<FamilyAccess>,
        /// The family member this session acts for (never with `acting_for`).
        #[serde(default)]
        acting_for_person: Option<i64>,
    },
    Staff {
        id: i64,
        username: String,
        display_name: String,
        department: String,
        permissions: Vec<Permission>,
    },
}

/// `POST /api/me/acting-for`: act for an enterprise (or, with `null`, for oneself).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ActFor {
    pub enterprise_id: Option<i64>,
    /// A family member who authorised this person (at most one of the two).
    #[serde(default)]
    pub person_id: Option<i64>,
}

/// A signed-in device.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SessionInfo {
    pub id: i64,
    /// This request's session.
    pub current: bool,
    /// UTC, RFC 3339.
    pub created_at: String,
    pub last_seen_at: String,
    pub user_agent: Option<String>,
}

/// An agent of an enterprise, as its legal representative sees them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Agent {
    pub id: i64,
    /// Masked. (No name: authorising a phone must not reveal whose it is.)
    pub phone: String,
    pub scopes: Scopes,
    pub expires_on: Date,
    /// UTC, RFC 3339, when revoked.
    pub revoked_at: Option<String>,
    /// Not revoked and not expired.
    pub active: bool,
}

/// `POST /api/enterprises/{id}/agents`: authorise someone.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewAgent {
    /// A mobile number, e.g. 13900139000.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub phone: Mobile,
    pub scopes: Scopes,
    /// The last day of the authorisation, `YYYY-MM-DD`.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub expires_on: Date,
}

/// A staff member's read of the person's data.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AccessLogEntry {
    /// UTC, RFC 3339.
    pub at: String,
    /// The staff member, or for a family agent their masked phone number.
    pub staff_name: String,
    pub department: String,
    pub reason: String,
    /// What was read, as a code: `profile` (phone, name, ID number); for a family agent what
    /// they did: `view`, `consent`, `decline`, `apply`, `object`.
    pub what: String,
    /// Done by a family agent acting for the person, not by staff.
    #[serde(default)]
    pub by_family: bool,
}

/// `GET /api/auth/methods`: the ways to log in that this server can perform now, so that the
/// app offers no other.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LoginMethods {
    /// A phone number and an SMS code (an SMS gateway is configured, or demo mode is on).
    pub sms: bool,
    /// WeChat's own browser (an official account is configured, with our public address).
    pub wechat_browser: bool,
    /// A WeChat mini-program's web-view, with a ticket from the mini-program.
    pub wechat_mini: bool,
}

/// `POST /api/wechat/mini/login`: the mini-program's `wx.login` code.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct WeChatCode {
    pub code: String,
}

/// A one-time ticket for the mini-program to open its web-view with (`/wechat?ticket=…`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TicketIssued {
    pub ticket: String,
    pub expires_in_seconds: u32,
}

/// `POST /api/wechat/ticket`: the web-view trades its ticket for a session.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct WeChatTicket {
    pub ticket: String,
}

/// The outcome of a WeChat login: logged in (`me`), or, the first time, `needs_phone`: the
/// person verifies a phone number next, which binds this WeChat identity to that account. (The
/// pending binding travels in an HttpOnly cookie of this browser, never in a URL.)
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WeChatLogin {
    pub me: Option<Me>,
    pub needs_phone: bool,
}

/// `PUT /api/me/identity`: the person's real name and ID number (实名), kept encrypted and
/// shown masked.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Identity {
    pub name: String,
    /// 18 characters; checked for a real birth date and the check digit.
    pub id_number: String,
}

/// `POST /api/staff/enrolment/start`: the one-time enrolment link's token.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct EnrolmentToken {
    pub token: String,
}

/// The authenticator to enrol: scan the QR code, or type the secret.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EnrolmentStart {
    pub username: String,
    pub display_name: String,
    /// Base32, for typing into an authenticator app.
    pub secret: String,
    /// `otpauth://totp/…`, what the QR code holds.
    pub otpauth_uri: String,
    /// The QR code as an SVG image.
    pub qr_svg: String,
}

/// The shortest password a staff member may choose (the app checks it as typed, the server
/// again).
pub const STAFF_PASSWORD_MIN: usize = 12;

/// `POST /api/staff/enrolment/finish`: the new password and the authenticator's first code.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct EnrolmentFinish {
    pub token: String,
    pub password: String,
    pub totp: String,
}

/// Enrolled and logged in: the recovery codes, shown this once.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EnrolmentDone {
    pub me: Me,
    /// Each stands in for an authenticator code once (a lost phone).
    pub recovery_codes: Vec<String>,
}

/// The groups of messages a person chooses channels for: things to do (accept, apply), money
/// (granted, paid, withdrawn), licence applications' progress, answers to objections, new
/// policies in the categories they follow.
pub const CHANNEL_GROUPS: [&str; 5] = [
    "actions",
    "grants",
    "licences",
    "objections",
    "new_policies",
];

/// The group a message kind belongs to (`granted`, `licence_accepted`, …).
pub fn channel_group(kind: &str) -> &'static str {
    match kind {
        "consent_needed" | "can_apply" => "actions",
        "objection_answered" => "objections",
        "policy_published" => "new_policies",
        k if k.starts_with("licence_") => "licences",
        _ => "grants",
    }
}

/// How a person wants one group of messages outside the app (the inbox always has them).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ChannelSetting {
    /// One of [`CHANNEL_GROUPS`].
    pub group: String,
    pub sms: bool,
    pub wechat: bool,
}

/// A policy category the person may follow (政策找人), and whether they do.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FollowedCategory {
    /// `elderly`, `disability`, `industry`, `innovation`, `finance`, …
    pub category: String,
    pub following: bool,
}

/// `PUT /api/me/follows`: the categories to follow (every other one is unfollowed).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Follows {
    pub categories: Vec<String>,
}

/// A new policy in a category the person follows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PolicyNotice {
    pub id: i64,
    pub policy: String,
    pub name: crate::policy::Bilingual,
    /// UTC, RFC 3339.
    pub created_at: String,
}

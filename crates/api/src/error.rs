//! The one error body every Zhida endpoint answers with.

use serde::{Deserialize, Serialize};

/// The body of every 4xx and 5xx answer from `/api`.
///
/// `code` is for programs, `message` is for people: it is already in the language the request
/// asked for (`Accept-Language`, zh-CN by default). `field` names the offending input as a path
/// into the request body (`applicant.id_number`, `items[2].amount`) when one input is at fault.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    pub code: ErrorCode,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    pub message: String,
}

/// What went wrong, for programs. New codes may be added; a client that meets one it does not
/// know reads it as [`ErrorCode::Unknown`] and shows the message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The body is not well-formed JSON.
    MalformedJson,
    /// The body is JSON but does not have the expected shape (a missing field, a wrong type).
    InvalidBody,
    /// The request is missing `Content-Type: application/json` or sends another type.
    UnsupportedContentType,
    /// One field holds a value that is not acceptable (a bad check digit, too long, …).
    InvalidField,
    /// The body is larger than the endpoint accepts.
    PayloadTooLarge,
    /// No such endpoint or resource.
    NotFound,
    /// The endpoint exists but not for this HTTP method.
    MethodNotAllowed,
    /// Too many requests; the `Retry-After` header says when to try again.
    RateLimited,
    /// Not logged in, or the session has ended.
    Unauthenticated,
    /// Logged in, but this role may not do this.
    Forbidden,
    /// A state-changing request without the header the app always sends (cross-site request
    /// forgery protection).
    CsrfRequired,
    /// A wrong, expired or already used one-time code or ticket.
    InvalidCode,
    /// A wrong username, password or authenticator code.
    InvalidCredentials,
    /// Too many failed logins: the account is locked for a while (`Retry-After`).
    LoginLocked,
    /// The request conflicts with what exists (e.g. an agent already authorised).
    Conflict,
    /// The database or another dependency is not reachable right now.
    Unavailable,
    /// A bug on our side. The message carries no detail; the server log does.
    Internal,
    /// A code this client does not know yet.
    #[serde(other)]
    Unknown,
}

impl ErrorCode {
    /// The code as it appears on the wire and as the key of its message in the locale files.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::MalformedJson => "malformed_json",
            ErrorCode::InvalidBody => "invalid_body",
            ErrorCode::UnsupportedContentType => "unsupported_content_type",
            ErrorCode::InvalidField => "invalid_field",
            ErrorCode::PayloadTooLarge => "payload_too_large",
            ErrorCode::NotFound => "not_found",
            ErrorCode::MethodNotAllowed => "method_not_allowed",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::Unauthenticated => "unauthenticated",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::CsrfRequired => "csrf_required",
            ErrorCode::InvalidCode => "invalid_code",
            ErrorCode::InvalidCredentials => "invalid_credentials",
            ErrorCode::LoginLocked => "login_locked",
            ErrorCode::Conflict => "conflict",
            ErrorCode::Unavailable => "unavailable",
            ErrorCode::Internal => "internal",
            ErrorCode::Unknown => "unknown",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serializes_without_an_absent_field() {
        let body = ErrorBody {
            code: ErrorCode::NotFound,
            field: None,
            message: "没有找到".into(),
        };
        assert_eq!(
            serde_json::to_string(&body).unwrap(),
            r#"{"code":"not_found","message":"没有找到"}"#
        );
    }

    #[test]
    fn unknown_codes_still_decode() {
        let body: ErrorBody =
            serde_json::from_str(r#"{"code":"some_future_code","field":"x","message":"m"}"#)
                .unwrap();
        assert_eq!(body.code, ErrorCode::Unknown);
        assert_eq!(body.field.as_deref(), Some("x"));
    }

    #[test]
    fn as_str_matches_the_wire_name() {
        for code in [
            ErrorCode::MalformedJson,
            ErrorCode::InvalidBody,
            ErrorCode::UnsupportedContentType,
            ErrorCode::InvalidField,
            ErrorCode::PayloadTooLarge,
            ErrorCode::NotFound,
            ErrorCode::MethodNotAllowed,
            ErrorCode::RateLimited,
            ErrorCode::Unauthenticated,
            ErrorCode::Forbidden,
            ErrorCode::CsrfRequired,
            ErrorCode::InvalidCode,
            ErrorCode::InvalidCredentials,
            ErrorCode::LoginLocked,
            ErrorCode::Conflict,
            ErrorCode::Unavailable,
            ErrorCode::Internal,
        ] {
            assert_eq!(
                serde_json::to_string(&code).unwrap(),
                format!("\"{}\"", code.as_str())
            );
        }
    }
}

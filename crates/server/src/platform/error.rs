//! The one error type of every handler, and the middleware that writes it in the caller's
//! language.
//!
//! A handler returns [`ApiError`]; its response carries the error in an extension and no body
//! yet. [`localize_errors`], the outermost layer, reads the request's `Accept-Language` and
//! writes the [`ErrorBody`] in that language. It also turns the bare 4xx answers that the
//! framework or a layer produces (405, 413, …) into the same format, so no client ever sees a
//! plain-text rejection.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use api::{ErrorBody, ErrorCode, ValidationError};

use crate::platform::i18n::{self, Lang};

/// An error that a handler answers with.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: ErrorCode,
    field: Option<String>,
    /// The message's key in the locale files, e.g. `errors.not_found`.
    key: String,
    /// Values for the message's `{{ name }}` placeholders.
    args: Vec<(&'static str, String)>,
    /// Values that are words themselves, in each language.
    worded_args: Vec<(&'static str, api::policy::Bilingual)>,
    /// Seconds for a `Retry-After` header.
    retry_after: Option<u64>,
}

impl ApiError {
    fn new(status: StatusCode, code: ErrorCode) -> ApiError {
        ApiError {
            status,
            code,
            field: None,
            key: format!("errors.{}", code.as_str()),
            args: Vec::new(),
            worded_args: Vec::new(),
            retry_after: None,
        }
    }

    /// No such resource (or one the caller may not know exists).
    pub fn not_found() -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, ErrorCode::NotFound)
    }

    pub fn method_not_allowed() -> ApiError {
        ApiError::new(StatusCode::METHOD_NOT_ALLOWED, ErrorCode::MethodNotAllowed)
    }

    pub fn payload_too_large() -> ApiError {
        ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, ErrorCode::PayloadTooLarge)
    }

    /// An upload over `max` bytes.
    pub fn file_too_large(max: usize) -> ApiError {
        let mut e = ApiError::payload_too_large().with_field("file");
        e.key = "errors.file_too_large".to_owned();
        e.with_arg("max_mb", (max / (1024 * 1024)).to_string())
    }

    pub fn unsupported_content_type() -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, ErrorCode::UnsupportedContentType)
            .with_field("Content-Type")
    }

    /// The body is not JSON at all; `line` and `column` say where reading stopped.
    pub fn malformed_json(line: usize, column: usize) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, ErrorCode::MalformedJson)
            .with_arg("line", line.to_string())
            .with_arg("column", column.to_string())
    }

    /// The body is JSON of the wrong shape. `reason` is `missing`, `unknown` or `type`.
    pub fn invalid_body(field: impl Into<String>, reason: &str) -> ApiError {
        let mut e =
            ApiError::new(StatusCode::BAD_REQUEST, ErrorCode::InvalidBody).with_field(field);
        e.key = format!("errors.invalid_body_{reason}");
        e
    }

    /// A field holds a value that is refused for `reason` (see [`ValidationError`]).
    pub fn invalid_field(field: impl Into<String>, reason: ValidationError) -> ApiError {
        let mut e = ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::InvalidField)
            .with_field(field);
        e.key = format!("validation.{}", reason.code());
        if let Some(position) = reason.position() {
            e = e.with_arg("position", position.to_string());
        }
        e
    }

    /// A field holds a value that is refused for a reason that has its own message under
    /// `validation.{key}` in the locale files.
    pub fn invalid_field_because(field: impl Into<String>, key: &str) -> ApiError {
        let mut e = ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::InvalidField)
            .with_field(field);
        e.key = format!("validation.{key}");
        e
    }

    /// Not logged in, or the session has ended.
    pub fn unauthenticated() -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, ErrorCode::Unauthenticated)
    }

    /// Logged in, but not allowed to do this.
    pub fn forbidden() -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, ErrorCode::Forbidden)
    }

    /// Forbidden, with a message that says why (`errors.forbidden_{reason}`).
    pub fn forbidden_because(reason: &str) -> ApiError {
        let mut e = ApiError::forbidden();
        e.key = format!("errors.forbidden_{reason}");
        e
    }

    pub fn csrf_required() -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, ErrorCode::CsrfRequired).with_field("X-Requested-With")
    }

    /// A one-time code or ticket that is wrong (`reason` = `wrong`), `expired` or `used`.
    pub fn invalid_code(field: &str, reason: &str) -> ApiError {
        let mut e =
            ApiError::new(StatusCode::BAD_REQUEST, ErrorCode::InvalidCode).with_field(field);
        e.key = format!("errors.invalid_code_{reason}");
        e
    }

    pub fn invalid_credentials() -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, ErrorCode::InvalidCredentials)
    }

    /// Too many attempts: try again after `seconds`.
    pub fn rate_limited(seconds: u64) -> ApiError {
        let mut e = ApiError::new(StatusCode::TOO_MANY_REQUESTS, ErrorCode::RateLimited);
        e.retry_after = Some(seconds.max(1));
        e
    }

    /// Too many failed logins: locked for `seconds`.
    pub fn login_locked(seconds: u64) -> ApiError {
        let mut e = ApiError::new(StatusCode::TOO_MANY_REQUESTS, ErrorCode::LoginLocked);
        e.retry_after = Some(seconds.max(1));
        e.with_arg("minutes", seconds.div_ceil(60).to_string())
    }

    /// A conflict with what exists; the message is `errors.conflict_{reason}`.
    pub fn conflict(reason: &str) -> ApiError {
        let mut e = ApiError::new(StatusCode::CONFLICT, ErrorCode::Conflict);
        e.key = format!("errors.conflict_{reason}");
        e
    }

    /// A dependency (the database) is down; worth retrying.
    pub fn unavailable() -> ApiError {
        ApiError::new(StatusCode::SERVICE_UNAVAILABLE, ErrorCode::Unavailable)
    }

    /// A service this server is not set up to offer (no WeChat app configured): 404, like a
    /// page that does not exist here, with words that say so (`errors.unavailable_{reason}`).
    /// Not a 5xx: nothing failed, and trying again will not help.
    pub fn not_offered(reason: &str) -> ApiError {
        let mut e = ApiError::not_found();
        e.key = format!("errors.unavailable_{reason}");
        e
    }

    /// A bug. The cause is logged here and never sent to the client.
    pub fn internal(cause: impl std::fmt::Display) -> ApiError {
        tracing::error!(error = %cause, "internal error");
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, ErrorCode::Internal)
    }

    /// The same error, worded by another message of the locale files (`group.key`): for a
    /// feature's own words, kept in its own group.
    pub fn worded(mut self, key: &str) -> ApiError {
        self.key = key.to_owned();
        self
    }

    pub fn with_field(mut self, field: impl Into<String>) -> ApiError {
        self.field = Some(field.into());
        self
    }

    pub fn with_arg(mut self, name: &'static str, value: impl Into<String>) -> ApiError {
        self.args.push((name, value.into()));
        self
    }

    /// A placeholder's value that is words, given in both languages.
    pub fn with_worded_arg(
        mut self,
        name: &'static str,
        value: api::policy::Bilingual,
    ) -> ApiError {
        self.worded_args.push((name, value));
        self
    }

    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The body of this error in `lang`.
    pub fn body(&self, lang: Lang) -> ErrorBody {
        let mut args = self.args.clone();
        for (name, value) in &self.worded_args {
            let text = match lang {
                Lang::ZhCn => &value.zh_cn,
                Lang::En => &value.en,
            };
            args.push((name, text.clone()));
        }
        if let Some(field) = &self.field {
            args.push(("field", field.clone()));
        }
        ErrorBody {
            code: self.code,
            field: self.field.clone(),
            message: i18n::message(lang, &self.key, &args),
        }
    }

    /// The error that stands for a bare framework answer with this status.
    fn for_status(status: StatusCode) -> ApiError {
        match status {
            StatusCode::NOT_FOUND => ApiError::not_found(),
            StatusCode::METHOD_NOT_ALLOWED => ApiError::method_not_allowed(),
            StatusCode::PAYLOAD_TOO_LARGE => ApiError::payload_too_large(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE => ApiError::unsupported_content_type(),
            StatusCode::SERVICE_UNAVAILABLE => ApiError::unavailable(),
            s if s.is_client_error() => ApiError {
                status: s,
                ..ApiError::new(s, ErrorCode::InvalidBody)
            },
            s => ApiError {
                status: s,
                ..ApiError::new(s, ErrorCode::Internal)
            },
        }
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(e: sqlx::Error) -> ApiError {
        match e {
            sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => {
                tracing::warn!(error = %e, "database unavailable");
                ApiError::unavailable()
            }
            e => ApiError::internal(e),
        }
    }
}

impl From<rules::eval::EvalError> for ApiError {
    fn from(e: rules::eval::EvalError) -> ApiError {
        ApiError::internal(e)
    }
}

impl From<anyhow::Error> for ApiError {
    fn from(e: anyhow::Error) -> ApiError {
        ApiError::internal(format!("{e:#}"))
    }
}

/// The error travels in the response's extensions until [`localize_errors`] writes it.
#[derive(Clone)]
struct PendingError(std::sync::Arc<ApiError>);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = self.status.into_response();
        response
            .extensions_mut()
            .insert(PendingError(std::sync::Arc::new(self)));
        response
    }
}

/// Writes every error response in the caller's language (see the module documentation).
pub async fn localize_errors(request: Request, next: Next) -> Response {
    let lang = Lang::from_headers(request.headers());
    let is_api = crate::platform::request::is_api_path(request.uri().path());
    let navigation = is_navigation(request.headers());
    let response = next.run(request).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let pending = response.extensions().get::<PendingError>().cloned();
    let error = match pending {
        Some(PendingError(error)) => error,
        // A bare rejection from the framework or a layer: only API callers get JSON for it.
        None if is_api && !is_json(&response) => std::sync::Arc::new(ApiError::for_status(status)),
        None => return response,
    };
    // A browser that navigated here (a WeChat login link, a bookmark) is shown an app page in
    // the person's language with a way back, never a JSON body.
    if is_api && navigation {
        let reason = error
            .key
            .strip_prefix("errors.")
            .unwrap_or(error.code.as_str());
        return (
            StatusCode::SEE_OTHER,
            [(header::LOCATION, format!("/problem?error={reason}"))],
        )
            .into_response();
    }
    let (mut parts, _) = response.into_parts();
    let body = serde_json::to_vec(&error.body(lang)).expect("an error body always serializes");
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    parts.headers.insert(
        header::CONTENT_LANGUAGE,
        HeaderValue::from_static(lang.tag()),
    );
    if let Some(seconds) = error.retry_after {
        parts
            .headers
            .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    // The new body is plain JSON: whatever encoding the old body had (a compression layer
    // may have encoded it) no longer applies.
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.remove(header::CONTENT_ENCODING);
    Response::from_parts(parts, Body::from(body))
}

/// Whether a request is a browser's top-level navigation: `Sec-Fetch-Mode: navigate`, or, from a
/// browser too old to send that, one that asks for HTML.
fn is_navigation(headers: &axum::http::HeaderMap) -> bool {
    match headers.get("sec-fetch-mode").and_then(|v| v.to_str().ok()) {
        Some(mode) => mode == "navigate",
        None => headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|a| a.starts_with("text/html")),
    }
}

fn is_json(response: &Response) -> bool {
    response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"))
}

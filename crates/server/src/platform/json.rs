//! `ApiJson<T>`: the JSON body extractor of every endpoint.
//!
//! Unlike axum's `Json`, every way a body can be wrong becomes an [`ApiError`] in our format
//! that names the field: a missing or wrong `Content-Type`, a body too large, text that is not
//! JSON, JSON of the wrong shape, and values refused by the domain parsers (`Uscc`, `Mobile`, …)
//! that the body type uses.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::header;
use serde::de::DeserializeOwned;

use api::ValidationError;

use crate::platform::error::ApiError;

/// A request body read as JSON into `T`.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        if !is_json_content_type(
            req.headers()
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok()),
        ) {
            return Err(ApiError::unsupported_content_type());
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::payload_too_large()
            } else {
                ApiError::malformed_json(1, 0)
            }
        })?;
        parse(&bytes).map(ApiJson)
    }
}

/// `application/json`, or a `+json` type, with any parameters (`; charset=utf-8`).
fn is_json_content_type(value: Option<&str>) -> bool {
    let Some(value) = value else { return false };
    let essence = value
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// Reads `bytes` as a `T`, mapping each failure to the error that names its field.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    let result: Result<T, _> = serde_path_to_error::deserialize(de);
    let error = match result {
        Ok(value) => return Ok(value),
        Err(error) => error,
    };
    let path = error.path().to_string();
    let inner = error.into_inner();
    use serde_json::error::Category;
    match inner.classify() {
        Category::Syntax | Category::Eof | Category::Io => {
            Err(ApiError::malformed_json(inner.line(), inner.column()))
        }
        Category::Data => {
            let text = inner.to_string();
            // serde_json's messages end with " at line L column C"; the reason is before that.
            let reason = text
                .rsplit_once(" at line ")
                .map_or(text.as_str(), |(r, _)| r);
            let parent = if path == "." { String::new() } else { path };
            if let Some(name) = backticked(reason, "missing field `") {
                Err(ApiError::invalid_body(join(&parent, name), "missing"))
            } else if let Some(name) = backticked(reason, "unknown field `") {
                // Here the path already ends with the unknown field itself.
                Err(ApiError::invalid_body(
                    if parent.is_empty() {
                        name.to_owned()
                    } else {
                        parent
                    },
                    "unknown",
                ))
            } else if let Some(validation) = validation_reason(reason) {
                Err(ApiError::invalid_field(parent, validation))
            } else {
                Err(ApiError::invalid_body(
                    if parent.is_empty() {
                        "$".to_owned()
                    } else {
                        parent
                    },
                    "type",
                ))
            }
        }
    }
}

/// The name between `prefix` and the next backtick, when `text` starts with `prefix`.
fn backticked<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    text.strip_prefix(prefix)?.split('`').next()
}

fn join(parent: &str, name: &str) -> String {
    if parent.is_empty() {
        name.to_owned()
    } else {
        format!("{parent}.{name}")
    }
}

/// A domain parser's refusal, recognised from its `Display` text (its code, then an optional
/// "(character N)").
fn validation_reason(text: &str) -> Option<ValidationError> {
    let (code, rest) = text.split_once(' ').unwrap_or((text, ""));
    let position = rest
        .strip_prefix("(character ")
        .and_then(|r| r.strip_suffix(')'))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    Some(match code {
        "required" => ValidationError::Required,
        "uscc_length" => ValidationError::UsccLength,
        "uscc_character" => ValidationError::UsccCharacter { position },
        "uscc_check" => ValidationError::UsccCheck,
        "id_length" => ValidationError::IdLength,
        "id_character" => ValidationError::IdCharacter { position },
        "id_region" => ValidationError::IdRegion,
        "id_birth_date" => ValidationError::IdBirthDate,
        "id_check" => ValidationError::IdCheck,
        "mobile_format" => ValidationError::MobileFormat,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::platform::i18n::Lang;
    use api::{ErrorCode, Mobile, Uscc};
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Shop {
        name: String,
        uscc: Uscc,
        owner: Owner,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Owner {
        phone: Mobile,
        staff: Vec<u32>,
    }

    fn error(json: &str) -> api::ErrorBody {
        parse::<Shop>(json.as_bytes()).unwrap_err().body(Lang::En)
    }

    const GOOD: &str = r#"{"name":"康宁药房","uscc":"91350100M000100Y43","owner":{"phone":"13800138000","staff":[1,2]}}"#;

    #[test]
    fn accepts_a_good_body() {
        assert!(parse::<Shop>(GOOD.as_bytes()).is_ok());
    }

    #[test]
    fn names_where_the_json_breaks() {
        let e = error("{\n  \"name\": \"x\",\n  oops\n}");
        assert_eq!(e.code, ErrorCode::MalformedJson);
        assert!(e.message.contains("line 3"), "{}", e.message);
        assert_eq!(error("").code, ErrorCode::MalformedJson);
    }

    #[test]
    fn names_a_missing_field_by_its_path() {
        let e =
            error(r#"{"name":"x","uscc":"91350100M000100Y43","owner":{"phone":"13800138000"}}"#);
        assert_eq!(
            (e.code, e.field.as_deref()),
            (ErrorCode::InvalidBody, Some("owner.staff"))
        );
    }

    #[test]
    fn names_an_unknown_field() {
        let e = error(&GOOD.replace("\"name\"", "\"nmae\""));
        assert_eq!(
            (e.code, e.field.as_deref()),
            (ErrorCode::InvalidBody, Some("nmae"))
        );
    }

    #[test]
    fn names_a_value_of_the_wrong_type() {
        let e = error(&GOOD.replace("[1,2]", "[1,\"two\"]"));
        assert_eq!(
            (e.code, e.field.as_deref()),
            (ErrorCode::InvalidBody, Some("owner.staff[1]"))
        );
        let e = error("[]");
        assert_eq!(
            (e.code, e.field.as_deref()),
            (ErrorCode::InvalidBody, Some("$"))
        );
    }

    #[test]
    fn domain_refusals_become_field_errors() {
        let e = error(&GOOD.replace("Y43", "Y44"));
        assert_eq!(
            (e.code, e.field.as_deref()),
            (ErrorCode::InvalidField, Some("uscc"))
        );
        assert!(e.message.contains("check"), "{}", e.message);
        let e = error(&GOOD.replace("13800138000", "12345"));
        assert_eq!(
            (e.code, e.field.as_deref()),
            (ErrorCode::InvalidField, Some("owner.phone"))
        );
        let e = error(&GOOD.replace("91350100M000100Y43", "9135A100M000100Y43"));
        assert_eq!(e.field.as_deref(), Some("uscc"));
        assert!(e.message.contains('5'), "{}", e.message);
    }

    #[test]
    fn content_types() {
        assert!(is_json_content_type(Some("application/json")));
        assert!(is_json_content_type(Some(
            "application/json; charset=utf-8"
        )));
        assert!(is_json_content_type(Some("Application/JSON")));
        assert!(is_json_content_type(Some("application/problem+json")));
        assert!(!is_json_content_type(Some("text/plain")));
        assert!(!is_json_content_type(Some(
            "application/x-www-form-urlencoded"
        )));
        assert!(!is_json_content_type(None));
    }
}

//! Server-side messages, read from the same locale files as the app (`locales/*.json`), so a
//! message has one wording wherever it is shown.

use std::collections::HashMap;
use std::sync::LazyLock;

use axum::http::{header, HeaderMap};
use serde_json::Value;

/// A language the server writes messages in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    ZhCn,
    En,
}

impl Lang {
    /// The BCP 47 tag, as in `Content-Language`.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::ZhCn => "zh-CN",
            Lang::En => "en",
        }
    }

    /// The language a request prefers by its `Accept-Language` header: the highest-weighted of
    /// zh-CN and English, and zh-CN when it names neither.
    pub fn from_headers(headers: &HeaderMap) -> Lang {
        headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .map(Lang::negotiate)
            .unwrap_or(Lang::ZhCn)
    }

    /// Picks a language from an `Accept-Language` value.
    pub fn negotiate(accept: &str) -> Lang {
        let mut best: Option<(u16, Lang)> = None;
        for item in accept.split(',') {
            let mut parts = item.split(';');
            let tag = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
            let weight = parts
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.trim().parse::<f32>().ok())
                .map_or(1000, |q| (q.clamp(0.0, 1.0) * 1000.0) as u16);
            let lang = if tag == "zh" || tag.starts_with("zh-") {
                Lang::ZhCn
            } else if tag == "en" || tag.starts_with("en-") {
                Lang::En
            } else {
                continue;
            };
            if weight > 0 && best.is_none_or(|(w, _)| weight > w) {
                best = Some((weight, lang));
            }
        }
        best.map_or(Lang::ZhCn, |(_, lang)| lang)
    }
}

/// Every message of a locale file, by its dotted key (`errors.not_found`).
type Catalogue = HashMap<String, String>;

static ZH_CN: LazyLock<Catalogue> =
    LazyLock::new(|| flatten(include_str!("../../../../locales/zh-CN.json")));
static EN: LazyLock<Catalogue> =
    LazyLock::new(|| flatten(include_str!("../../../../locales/en.json")));

fn flatten(json: &str) -> Catalogue {
    fn walk(prefix: &str, value: &Value, out: &mut Catalogue) {
        match value {
            Value::Object(map) => {
                for (k, v) in map {
                    let key = if prefix.is_empty() {
                        k.clone()
                    } else {
                        format!("{prefix}.{k}")
                    };
                    walk(&key, v, out);
                }
            }
            Value::String(s) => {
                out.insert(prefix.to_owned(), s.clone());
            }
            _ => {}
        }
    }
    let value: Value =
        serde_json::from_str(json).expect("the locale files are valid JSON (checked by tests)");
    let mut out = Catalogue::new();
    walk("", &value, &mut out);
    out
}

/// The message `key` in `lang` with its `{{ name }}` placeholders filled in. A key missing from
/// a catalogue falls back to zh-CN, then to the key itself (and a test keeps that from happening).
pub fn message(lang: Lang, key: &str, args: &[(&str, String)]) -> String {
    let catalogue = match lang {
        Lang::ZhCn => &*ZH_CN,
        Lang::En => &*EN,
    };
    let template = catalogue
        .get(key)
        .or_else(|| ZH_CN.get(key))
        .map_or(key, String::as_str);
    let args: Vec<(&str, &str)> = args.iter().map(|(n, v)| (*n, v.as_str())).collect();
    api::text::fill(template, &args)
}

/// The message `key` in both languages, for text the app shows in the person's language.
pub fn bilingual(key: &str, args: &[(&str, String)]) -> api::policy::Bilingual {
    api::policy::Bilingual {
        zh_cn: message(Lang::ZhCn, key, args),
        en: message(Lang::En, key, args),
    }
}

/// Builds text in both languages from a function of the language.
pub fn both(text: impl Fn(Lang) -> String) -> api::policy::Bilingual {
    api::policy::Bilingual {
        zh_cn: text(Lang::ZhCn),
        en: text(Lang::En),
    }
}

/// The keys of both catalogues, for tests that keep them in step.
pub fn keys(lang: Lang) -> Vec<String> {
    let catalogue = match lang {
        Lang::ZhCn => &*ZH_CN,
        Lang::En => &*EN,
    };
    let mut keys: Vec<String> = catalogue.keys().cloned().collect();
    keys.sort();
    keys
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negotiates_by_weight() {
        assert_eq!(Lang::negotiate("en-US,en;q=0.9"), Lang::En);
        assert_eq!(Lang::negotiate("zh-CN,zh;q=0.9,en;q=0.8"), Lang::ZhCn);
        assert_eq!(Lang::negotiate("fr-FR, en;q=0.5, zh;q=0.4"), Lang::En);
        assert_eq!(Lang::negotiate("en;q=0.2, zh-TW;q=0.5"), Lang::ZhCn);
        assert_eq!(Lang::negotiate("fr, de"), Lang::ZhCn);
        assert_eq!(Lang::negotiate("en;q=0"), Lang::ZhCn);
        assert_eq!(Lang::negotiate(""), Lang::ZhCn);
    }

    #[test]
    fn both_locales_have_the_same_keys() {
        assert_eq!(keys(Lang::ZhCn), keys(Lang::En));
    }

    #[test]
    fn every_error_code_and_validation_reason_has_a_message() {
        use api::{ErrorCode, ValidationError as V};
        for code in [
            ErrorCode::MalformedJson,
            ErrorCode::UnsupportedContentType,
            ErrorCode::InvalidField,
            ErrorCode::PayloadTooLarge,
            ErrorCode::NotFound,
            ErrorCode::MethodNotAllowed,
            ErrorCode::RateLimited,
            ErrorCode::Unavailable,
            ErrorCode::Internal,
        ] {
            for lang in [Lang::ZhCn, Lang::En] {
                let key = format!("errors.{}", code.as_str());
                assert_ne!(message(lang, &key, &[]), key, "{key} in {lang:?}");
            }
        }
        for reason in ["missing", "unknown", "type"] {
            let key = format!("errors.invalid_body_{reason}");
            assert_ne!(message(Lang::En, &key, &[]), key);
        }
        for v in [
            V::Required,
            V::UsccLength,
            V::UsccCharacter { position: 1 },
            V::UsccCheck,
            V::IdLength,
            V::IdCharacter { position: 1 },
            V::IdRegion,
            V::IdBirthDate,
            V::IdCheck,
            V::MobileFormat,
        ] {
            let key = format!("validation.{}", v.code());
            assert_ne!(message(Lang::ZhCn, &key, &[]), key);
        }
    }
}

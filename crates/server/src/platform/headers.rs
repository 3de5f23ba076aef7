//! Security headers on every response, above all a Content-Security-Policy that lets the wasm
//! app run with no inline script other than the ones `index.html` carries, allowed by hash.

use axum::extract::{Request, State};
use axum::http::{header, HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use base64::Engine;
use sha2::{Digest, Sha256};

use std::sync::Arc;

use crate::platform::Settings;

/// The policy for a built app whose `index.html` has these inline scripts.
pub fn content_security_policy(inline_scripts: &[String]) -> String {
    let hashes: String = inline_scripts
        .iter()
        .map(|s| {
            format!(
                " 'sha256-{}'",
                base64::engine::general_purpose::STANDARD.encode(Sha256::digest(s.as_bytes()))
            )
        })
        .collect();
    format!(
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'{hashes}; style-src 'self'; img-src 'self' data:; \
         font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'self'"
    )
}

/// The text of every inline `<script>` of an HTML page (a simple scan: Trunk's output is
/// regular).
pub fn inline_scripts(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find("<script") {
        let after = &rest[start..];
        let Some(open_end) = after.find('>') else {
            break;
        };
        let tag = &after[..open_end];
        let body = &after[open_end + 1..];
        let Some(close) = body.find("</script>") else {
            break;
        };
        if !tag.contains("src=") {
            out.push(body[..close].to_owned());
        }
        rest = &body[close + "</script>".len()..];
    }
    out
}

/// Adds the headers. HSTS only when the public address is HTTPS.
pub async fn security_headers(
    State(settings): State<Arc<Settings>>,
    request: Request,
    next: Next,
) -> Response {
    let mut response = next.run(request).await;
    let h = response.headers_mut();
    h.insert(header::CONTENT_SECURITY_POLICY, settings.csp.clone());
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("strict-origin-when-cross-origin"),
    );
    h.insert(
        HeaderName::from_static("permissions-policy"),
        HeaderValue::from_static(
            "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()",
        ),
    );
    h.insert(
        HeaderName::from_static("cross-origin-opener-policy"),
        HeaderValue::from_static("same-origin"),
    );
    h.insert(
        header::X_FRAME_OPTIONS,
        HeaderValue::from_static("SAMEORIGIN"),
    );
    if settings.secure_cookies {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_inline_scripts_only() {
        let html = "<script>a()</script><script type=\"module\" src=\"/x.js\"></script><script type=module>import x</script>";
        assert_eq!(inline_scripts(html), ["a()", "import x"]);
    }

    #[test]
    fn hashes_each_inline_script() {
        let csp = content_security_policy(&["alert(1)".to_owned()]);
        // echo -n 'alert(1)' | openssl dgst -sha256 -binary | base64
        assert!(
            csp.contains("'sha256-bhHHL3z2vDgxUt0W3dWQOrprscmda2Y5pLsLg4GF+pI='"),
            "{csp}"
        );
        assert!(csp.contains("'wasm-unsafe-eval'") && !csp.contains("unsafe-inline"));
    }
}

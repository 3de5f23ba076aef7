//! The outgoing HTTP client for services we call (the SMS gateway, WeChat): JSON in and out,
//! with timeouts, over HTTPS (rustls) or HTTP.

use std::time::Duration;

use anyhow::Context;
use serde_json::Value;

#[derive(Clone, Debug)]
pub struct Client(reqwest::Client);

impl Default for Client {
    fn default() -> Client {
        Client::new()
    }
}

impl Client {
    pub fn new() -> Client {
        Client(
            reqwest::Client::builder()
                .connect_timeout(Duration::from_secs(5))
                .timeout(Duration::from_secs(10))
                .build()
                .expect("an HTTP client"),
        )
    }

    /// POSTs `body` as JSON with a bearer token; returns the status and the JSON answer (null
    /// when the answer is not JSON).
    pub async fn post_json(
        &self,
        url: &str,
        bearer: &str,
        body: &Value,
    ) -> anyhow::Result<(u16, Value)> {
        let mut request = self.0.post(url).json(body);
        if !bearer.is_empty() {
            request = request.bearer_auth(bearer);
        }
        send(request, url).await
    }

    /// A JSON request with a bearer token and an idempotency key (`Idempotency-Key`), for
    /// services that must not act twice on a retried request.
    pub async fn idempotent_json(
        &self,
        method: reqwest::Method,
        url: &str,
        bearer: &str,
        key: &str,
        body: Option<&Value>,
    ) -> anyhow::Result<(u16, Value)> {
        let mut request = self.0.request(method, url).header("Idempotency-Key", key);
        if let Some(body) = body {
            request = request.json(body);
        }
        if !bearer.is_empty() {
            request = request.bearer_auth(bearer);
        }
        send(request, url).await
    }

    /// GETs `url` (with its query); returns the status and the JSON answer.
    pub async fn get_json(&self, url: &str) -> anyhow::Result<(u16, Value)> {
        send(self.0.get(url), url).await
    }
}

/// A URL without its query, for logs and errors: queries may carry secrets and codes (and
/// reqwest's errors, which would repeat the URL, are stripped of it above).
pub fn without_query(url: &str) -> &str {
    url.split('?').next().unwrap_or(url)
}

/// The wait before attempt `n + 1` of an outgoing call after `n` failures: 2ⁿ seconds, at
/// most ten minutes.
pub fn backoff(errors: i64) -> std::time::Duration {
    std::time::Duration::from_secs(2u64.saturating_pow(errors.clamp(0, 20) as u32).min(600))
}

/// When (UTC text) an outgoing call that has failed `errors` times is next tried: now plus its
/// [`backoff`]. An outbox row claimed for a try is pushed to this time first, so that another
/// server leaves it alone and a crash mid-call retries it later.
pub fn retry_at(errors: i64) -> String {
    crate::platform::db::format_utc(crate::platform::db::now() + backoff(errors))
}

/// Sends `request`; returns the status and the JSON answer (`null` when it is not JSON). The
/// error names the address without its query, which may carry secrets.
async fn send(request: reqwest::RequestBuilder, url: &str) -> anyhow::Result<(u16, Value)> {
    let response = request
        .send()
        .await
        .map_err(|e| e.without_url())
        .with_context(|| format!("calling {}", without_query(url)))?;
    let status = response.status().as_u16();
    Ok((status, response.json().await.unwrap_or(Value::Null)))
}

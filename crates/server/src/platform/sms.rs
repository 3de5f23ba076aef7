//! Sending one-time codes by SMS. The gateway is a service that cannot exist here: the real
//! sender posts to a configurable gateway URL; demo mode writes the code to the log instead.

use std::sync::Mutex;

use api::Mobile;

/// Something that delivers a text message to a phone.
#[async_trait::async_trait]
pub trait SmsSender: Send + Sync {
    /// Sends the login code; the message text is the gateway's template, not ours.
    async fn send_code(&self, phone: &Mobile, code: &str) -> anyhow::Result<()>;
    /// Whether codes can be sent at all (the app offers phone logins only then).
    fn available(&self) -> bool {
        true
    }
}

/// Posts `{"phone": "...", "template": "login_code", "params": {"code": "..."}}` as JSON to the
/// gateway URL, with a bearer token, and expects a 2xx.
pub struct GatewaySms {
    pub url: String,
    pub token: String,
    pub client: crate::platform::http_client::Client,
}

#[async_trait::async_trait]
impl SmsSender for GatewaySms {
    async fn send_code(&self, phone: &Mobile, code: &str) -> anyhow::Result<()> {
        let body = serde_json::json!({ "phone": phone.expose(), "template": "login_code", "params": { "code": code } });
        let (status, _) = self.client.post_json(&self.url, &self.token, &body).await?;
        anyhow::ensure!(
            (200..300).contains(&status),
            "the SMS gateway answered {status}"
        );
        Ok(())
    }
}

/// Demo mode: the code is written to the server log (never the phone number in full) and
/// returned to the login form as a hint.
#[derive(Default)]
pub struct DemoSms;

#[async_trait::async_trait]
impl SmsSender for DemoSms {
    async fn send_code(&self, phone: &Mobile, code: &str) -> anyhow::Result<()> {
        tracing::info!(phone = %phone.masked(), code, "demo mode: SMS login code (not sent)");
        Ok(())
    }
}

/// Tests: remembers what was sent.
#[derive(Default)]
pub struct RecordingSms {
    pub sent: Mutex<Vec<(String, String)>>,
}

impl RecordingSms {
    /// The last code sent to `phone`.
    pub fn last_code(&self, phone: &str) -> Option<String> {
        self.sent
            .lock()
            .expect("not poisoned")
            .iter()
            .rev()
            .find(|(p, _)| p == phone)
            .map(|(_, c)| c.clone())
    }
}

#[async_trait::async_trait]
impl SmsSender for RecordingSms {
    async fn send_code(&self, phone: &Mobile, code: &str) -> anyhow::Result<()> {
        self.sent
            .lock()
            .expect("not poisoned")
            .push((phone.expose().to_owned(), code.to_owned()));
        Ok(())
    }
}

/// No gateway configured and not in demo mode: logins by SMS cannot work, and say so.
pub struct NoSms;

#[async_trait::async_trait]
impl SmsSender for NoSms {
    async fn send_code(&self, _: &Mobile, _: &str) -> anyhow::Result<()> {
        anyhow::bail!(
            "no SMS gateway is configured (set ZHIDA_SMS_GATEWAY_URL, or run with ZHIDA_DEMO=1)"
        )
    }
    fn available(&self) -> bool {
        false
    }
}

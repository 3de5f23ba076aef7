//! Telling people outside the app: SMS and WeChat subscription messages, for every notification
//! of the inbox. Both services cannot exist here: each sits behind [`Notifier`], whose real
//! implementation speaks the service's protocol at a configured address (tests use local
//! fakes). Delivery is at least once: a notification is marked delivered after every notifier
//! took it; failures are retried with back-off, six times at most, and kept for staff to see.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::{json, Value as Json};
use sqlx::Row;

use crate::platform::db::now_utc;
use crate::AppState;

/// Who a message goes to: the accounts behind a subject.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Recipient {
    pub phones: Vec<String>,
    pub openids: Vec<String>,
}

/// What to tell them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outgoing {
    /// `granted`, `consent_needed`, `paid`, `revoked`, `expired`, `objection_answered`,
    /// `can_apply`, `licence_<stage>`, `policy_published`.
    pub kind: String,
    /// The policy's name (Chinese: messages follow the service's templates).
    pub policy: String,
    pub amount_fen: Option<i64>,
}

impl Outgoing {
    /// The SMS template: `subsidy_<kind>`, or the licence kind itself (`licence_<stage>`), or
    /// `policy_published`.
    pub fn template(&self) -> String {
        if self.kind.starts_with("licence_") || self.kind == "policy_published" {
            self.kind.clone()
        } else {
            format!("subsidy_{}", self.kind)
        }
    }

    fn amount_text(&self) -> String {
        self.amount_fen.map(api::text::yuan).unwrap_or_default()
    }
}

/// A channel that tells people things.
#[async_trait::async_trait]
pub trait Notifier: Send + Sync {
    /// Sends `message` to whichever of `to`'s addresses this channel uses (none: nothing).
    async fn deliver(&self, to: &Recipient, message: &Outgoing) -> anyhow::Result<()>;
}

/// SMS through the gateway of login codes: `{"phone", "template": "subsidy_<kind>",
/// "params": {"policy", "amount"}}`.
pub struct SmsNotifier {
    pub url: String,
    pub token: String,
    pub client: crate::platform::http_client::Client,
}

#[async_trait::async_trait]
impl Notifier for SmsNotifier {
    async fn deliver(&self, to: &Recipient, m: &Outgoing) -> anyhow::Result<()> {
        for phone in &to.phones {
            let body = json!({
                "phone": phone,
                "template": m.template(),
                "params": { "policy": m.policy, "amount": m.amount_text() },
            });
            let (status, _) = self.client.post_json(&self.url, &self.token, &body).await?;
            anyhow::ensure!(
                (200..300).contains(&status),
                "the SMS gateway answered {status}"
            );
        }
        Ok(())
    }
}

/// WeChat subscription messages (订阅消息) of the mini-program: an access token from
/// `cgi-bin/token` (kept until it expires), then `cgi-bin/message/subscribe/send`.
pub struct WeChatSubscribe {
    pub api_base: String,
    pub appid: String,
    pub secret: String,
    pub template_id: String,
    pub client: crate::platform::http_client::Client,
    token: Mutex<Option<(String, Instant)>>,
}

impl WeChatSubscribe {
    pub fn new(
        api_base: String,
        appid: String,
        secret: String,
        template_id: String,
    ) -> WeChatSubscribe {
        WeChatSubscribe {
            api_base,
            appid,
            secret,
            template_id,
            client: crate::platform::http_client::Client::new(),
            token: Mutex::new(None),
        }
    }

    async fn access_token(&self) -> anyhow::Result<String> {
        if let Some((t, until)) = self.token.lock().expect("not poisoned").clone() {
            if Instant::now() < until {
                return Ok(t);
            }
        }
        let url = format!(
            "{}/cgi-bin/token?grant_type=client_credential&appid={}&secret={}",
            self.api_base.trim_end_matches('/'),
            self.appid,
            self.secret
        );
        let (_, answer) = self.client.get_json(&url).await?;
        let token = answer
            .get("access_token")
            .and_then(Json::as_str)
            .ok_or_else(|| {
                anyhow::anyhow!(
                    "WeChat gave no access token (errcode {})",
                    answer.get("errcode").unwrap_or(&Json::Null)
                )
            })?
            .to_owned();
        let lifetime = answer
            .get("expires_in")
            .and_then(Json::as_u64)
            .unwrap_or(7200);
        // Renewed five minutes early.
        let until = Instant::now() + Duration::from_secs(lifetime.saturating_sub(300));
        *self.token.lock().expect("not poisoned") = Some((token.clone(), until));
        Ok(token)
    }
}

#[async_trait::async_trait]
impl Notifier for WeChatSubscribe {
    async fn deliver(&self, to: &Recipient, m: &Outgoing) -> anyhow::Result<()> {
        if to.openids.is_empty() {
            return Ok(());
        }
        let token = self.access_token().await?;
        let url = format!(
            "{}/cgi-bin/message/subscribe/send?access_token={token}",
            self.api_base.trim_end_matches('/')
        );
        for openid in &to.openids {
            let body = json!({
                "touser": openid,
                "template_id": self.template_id,
                "page": "pages/index/index",
                "data": {
                    "thing1": { "value": m.policy.chars().take(20).collect::<String>() },
                    "amount2": { "value": m.amount_text() },
                    "phrase3": { "value": crate::platform::i18n::message(crate::platform::i18n::Lang::ZhCn, &format!("server.notify.{}", m.kind), &[]) },
                },
            });
            let (_, answer) = self.client.post_json(&url, "", &body).await?;
            let code = answer.get("errcode").and_then(Json::as_i64).unwrap_or(-1);
            // 43101: the person has not subscribed to this template: nothing to send.
            anyhow::ensure!(
                code == 0 || code == 43101,
                "WeChat refused the message (errcode {code})"
            );
        }
        Ok(())
    }
}

/// Demo mode: the message is written to the log, without the phone number in full.
pub struct DemoNotifier;

#[async_trait::async_trait]
impl Notifier for DemoNotifier {
    async fn deliver(&self, to: &Recipient, m: &Outgoing) -> anyhow::Result<()> {
        tracing::info!(kind = %m.kind, policy = %m.policy, phones = to.phones.len(), openids = to.openids.len(), "demo mode: notification (not sent)");
        Ok(())
    }
}

/// Failed deliveries after which a notification stays in the inbox only.
const MAX_ATTEMPTS: i64 = 6;

/// The people behind a subject: a resident's own account; an enterprise's legal representative.
async fn recipient(state: &AppState, subject: i64, kind: &str) -> anyhow::Result<Recipient> {
    let rows = sqlx::query(
        "SELECT u.id, u.phone_enc FROM subjects s JOIN users u ON u.resident_ref = s.ref WHERE s.id = $1 AND s.kind = 'resident' \
         UNION SELECT u.id, u.phone_enc FROM subjects s JOIN enterprises e ON e.enterprise_ref = s.ref JOIN users u ON u.id = e.legal_rep_user_id \
         WHERE s.id = $1 AND s.kind = 'enterprise'",
    )
    .bind(subject)
    .fetch_all(&state.db.pool)
    .await?;
    accounts(state, rows, kind).await
}

/// One account: a licence applicant.
async fn user_recipient(state: &AppState, user: i64, kind: &str) -> anyhow::Result<Recipient> {
    let rows = sqlx::query("SELECT id, phone_enc FROM users WHERE id = $1")
        .bind(user)
        .fetch_all(&state.db.pool)
        .await?;
    accounts(state, rows, kind).await
}

/// The phones and WeChat openids of accounts (rows of `id`, `phone_enc`), for a message of
/// `kind`: each account only on the channels it keeps for that kind's group.
async fn accounts(
    state: &AppState,
    rows: Vec<sqlx::any::AnyRow>,
    kind: &str,
) -> anyhow::Result<Recipient> {
    let group = api::account::channel_group(kind);
    let mut to = Recipient::default();
    for row in rows {
        let user: i64 = row.try_get("id")?;
        let (sms, wechat) = crate::accounts::channels::chosen(&state.db, user, group).await?;
        if sms {
            let phone: Vec<u8> = row.try_get("phone_enc")?;
            to.phones.push(state.vault.decrypt(&phone)?);
        }
        if wechat {
            let openids: Vec<String> =
                sqlx::query_scalar("SELECT openid FROM wechat_bindings WHERE user_id = $1")
                    .bind(user)
                    .fetch_all(&state.db.pool)
                    .await?;
            to.openids.extend(openids);
        }
    }
    Ok(to)
}

/// The inboxes whose notifications go out: subsidies' (by subject), licence applicants' (by
/// account), and new policies for their followers (by account).
#[derive(Clone, Copy)]
enum Inbox {
    Subsidies,
    Licences,
    NewPolicies,
}

impl Inbox {
    fn table(self) -> &'static str {
        match self {
            Inbox::Subsidies => "notifications",
            Inbox::Licences => "licence_notifications",
            Inbox::NewPolicies => "policy_notices",
        }
    }

    fn columns(self) -> &'static str {
        match self {
            Inbox::Subsidies => "id, subject_id, kind, policy_id, amount_fen, delivery_attempts",
            Inbox::Licences => {
                "n.id, n.user_id, n.stage, a.number, a.business_name, n.delivery_attempts"
            }
            Inbox::NewPolicies => "n.id, n.user_id, n.policy_id, n.delivery_attempts",
        }
    }

    fn from(self) -> &'static str {
        match self {
            Inbox::Subsidies => "notifications n",
            Inbox::Licences => {
                "licence_notifications n JOIN licence_applications a ON a.id = n.application_id"
            }
            Inbox::NewPolicies => "policy_notices n",
        }
    }

    async fn recipient_and_message(
        self,
        state: &AppState,
        row: &sqlx::any::AnyRow,
    ) -> anyhow::Result<(Recipient, Outgoing)> {
        match self {
            Inbox::Subsidies => {
                let policy: Option<String> = row.try_get("policy_id")?;
                let message = Outgoing {
                    kind: row.try_get("kind")?,
                    policy: policy
                        .as_deref()
                        .and_then(|p| state.policies.current(p))
                        .map(|p| p.name.zh_cn.clone())
                        .unwrap_or_default(),
                    amount_fen: row.try_get("amount_fen")?,
                };
                let to = recipient(state, row.try_get("subject_id")?, &message.kind).await?;
                Ok((to, message))
            }
            Inbox::Licences => {
                let stage: String = row.try_get("stage")?;
                let number: String = row.try_get("number")?;
                let name: String = row.try_get("business_name")?;
                let message = Outgoing {
                    kind: format!("licence_{stage}"),
                    policy: if name.is_empty() {
                        number
                    } else {
                        format!("{name} {number}")
                    },
                    amount_fen: None,
                };
                let to = user_recipient(state, row.try_get("user_id")?, &message.kind).await?;
                Ok((to, message))
            }
            Inbox::NewPolicies => {
                let policy: String = row.try_get("policy_id")?;
                let message = Outgoing {
                    kind: "policy_published".to_owned(),
                    policy: state
                        .policies
                        .current(&policy)
                        .map_or(policy, |p| p.name.zh_cn.clone()),
                    amount_fen: None,
                };
                let to = user_recipient(state, row.try_get("user_id")?, &message.kind).await?;
                Ok((to, message))
            }
        }
    }
}

/// Delivers every notification that is due through every notifier; returns how many it tried.
pub async fn deliver_due(state: &AppState) -> anyhow::Result<usize> {
    if state.notifiers.is_empty() {
        return Ok(0);
    }
    let mut n = 0;
    for inbox in [Inbox::Subsidies, Inbox::Licences, Inbox::NewPolicies] {
        n += deliver_inbox(state, inbox).await?;
    }
    Ok(n)
}

async fn deliver_inbox(state: &AppState, inbox: Inbox) -> anyhow::Result<usize> {
    let now = now_utc();
    let table = inbox.table();
    let rows = sqlx::query(&format!(
        "SELECT {} FROM {} \
         WHERE n.delivered_at IS NULL AND n.delivery_attempts < $1 AND (n.next_delivery_at IS NULL OR n.next_delivery_at <= $2) \
         ORDER BY n.id LIMIT 200",
        inbox.columns(),
        inbox.from()
    ))
    .bind(MAX_ATTEMPTS)
    .bind(&now)
    .fetch_all(&state.db.pool)
    .await?;
    let n = rows.len();
    for row in rows {
        let id: i64 = row.try_get("id")?;
        let attempts: i64 = row.try_get("delivery_attempts")?;
        // Claim it (another instance leaves it alone until the next attempt is due).
        let claimed = sqlx::query(&format!(
            "UPDATE {table} SET delivery_attempts = delivery_attempts + 1, next_delivery_at = $1 \
             WHERE id = $2 AND delivery_attempts = $3 AND delivered_at IS NULL"
        ))
        .bind(crate::platform::http_client::retry_at(attempts + 1))
        .bind(id)
        .bind(attempts)
        .execute(&state.db.pool)
        .await?
        .rows_affected()
            == 1;
        if !claimed {
            continue;
        }
        let result = async {
            let (to, message) = inbox.recipient_and_message(state, &row).await?;
            for notifier in state.notifiers.iter() {
                notifier.deliver(&to, &message).await?;
            }
            anyhow::Ok(())
        }
        .await;
        match result {
            Ok(()) => {
                sqlx::query(&format!(
                    "UPDATE {table} SET delivered_at = $1, delivery_error = NULL WHERE id = $2"
                ))
                .bind(now_utc())
                .bind(id)
                .execute(&state.db.pool)
                .await?;
            }
            Err(e) => {
                let error: String = format!("{e:#}").chars().take(500).collect();
                tracing::warn!(notification = id, error = %error, "delivery failed");
                sqlx::query(&format!(
                    "UPDATE {table} SET delivery_error = $1 WHERE id = $2"
                ))
                .bind(error)
                .bind(id)
                .execute(&state.db.pool)
                .await?;
            }
        }
    }
    Ok(n)
}

/// Runs the deliveries until the process ends, every two seconds.
pub async fn delivery_loop(state: AppState) {
    loop {
        if let Err(e) = deliver_due(&state).await {
            tracing::error!(error = %format!("{e:#}"), "notification delivery");
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
}

//! Logging in with WeChat. WeChat's servers cannot exist here: the real client speaks their
//! protocol against configurable base URLs (`api.weixin.qq.com`, `open.weixin.qq.com`), and the
//! tests run it against a local fake that speaks the same endpoints.
//!
//! (a) Mini-program: `wx.login` gives the mini-program a code; it posts the code here; we
//! exchange it at `sns/jscode2session` for the openid and answer a one-time ticket; the
//! mini-program opens its web-view at `/wechat?ticket=…`; the app trades the ticket for a session.
//! (b) WeChat's browser: official-account OAuth with `snsapi_base` (silent): we redirect to
//! `connect/oauth2/authorize`, WeChat redirects back with a code, we exchange it at
//! `sns/oauth2/access_token` for the openid.
//! Either way, an openid seen for the first time is bound to an account only after the person
//! verifies a phone number by SMS.

use std::time::Duration;

use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::Value;
use sqlx::Row;

use api::account::{TicketIssued, WeChatCode, WeChatLogin, WeChatTicket};
use api::ErrorBody;

use crate::accounts::account::me_for;
use crate::accounts::auth::{self, ClientAddr, Principal};
use crate::platform::crypto::{random_token, secret_hash};
use crate::platform::db::{format_utc, now};
use crate::platform::error::ApiError;
use crate::platform::json::ApiJson;
use crate::platform::ratelimit::{self, Limit};
use crate::AppState;

/// Who WeChat says the person is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    pub openid: String,
    pub unionid: Option<String>,
}

/// Why WeChat refused.
#[derive(Debug)]
pub enum WeChatError {
    /// The code is wrong, expired or used (WeChat's errcode 40029, 40163, …).
    BadCode(i64),
    /// No such WeChat app is configured here.
    NotConfigured(String),
    /// WeChat did not answer, or answered with an error of its own.
    Unavailable(String),
}

#[async_trait::async_trait]
pub trait WeChat: Send + Sync {
    /// Mini-program: `sns/jscode2session`.
    async fn code_to_session(&self, code: &str) -> Result<Identity, WeChatError>;
    /// Official account: `sns/oauth2/access_token`.
    async fn oauth_code(&self, code: &str) -> Result<Identity, WeChatError>;
    /// Where to send the browser to start official-account OAuth.
    fn authorize_url(&self, redirect_uri: &str, state: &str) -> Option<String>;
    /// Which logins are configured: (mini-program, official account).
    fn configured(&self) -> (bool, bool);
}

/// WeChat's real API, at configurable base URLs.
pub struct WeChatApi {
    pub api_base: String,
    pub open_base: String,
    pub mini: Option<(String, String)>,
    pub official: Option<(String, String)>,
    pub client: crate::platform::http_client::Client,
}

fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

impl WeChatApi {
    /// Trades a code at one of WeChat's `sns/…` endpoints, with the app's id and secret.
    async fn exchange(
        &self,
        app: &Option<(String, String)>,
        which: &str,
        endpoint: &str,
        code_param: &str,
        code: &str,
    ) -> Result<Identity, WeChatError> {
        let Some((appid, secret)) = app else {
            return Err(WeChatError::NotConfigured(format!(
                "no {which} is configured"
            )));
        };
        self.identity(format!(
            "{}/{endpoint}?appid={}&secret={}&{code_param}={}&grant_type=authorization_code",
            self.api_base.trim_end_matches('/'),
            enc(appid),
            enc(secret),
            enc(code)
        ))
        .await
    }

    async fn identity(&self, url: String) -> Result<Identity, WeChatError> {
        let (status, body) = self
            .client
            .get_json(&url)
            .await
            .map_err(|e| WeChatError::Unavailable(format!("{e:#}")))?;
        if status != 200 {
            return Err(WeChatError::Unavailable(format!(
                "WeChat answered {status}"
            )));
        }
        identity_from(&body)
    }
}

/// Reads `{openid, unionid?}` or `{errcode, errmsg}` as WeChat answers them.
pub fn identity_from(body: &Value) -> Result<Identity, WeChatError> {
    match body.get("errcode").and_then(Value::as_i64) {
        Some(0) | None => {}
        Some(code @ (40029 | 40163 | 40125 | 40226)) => return Err(WeChatError::BadCode(code)),
        Some(code) => return Err(WeChatError::Unavailable(format!("WeChat errcode {code}"))),
    }
    let openid = body
        .get("openid")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| WeChatError::Unavailable("no openid in WeChat's answer".into()))?;
    Ok(Identity {
        openid: openid.to_owned(),
        unionid: body
            .get("unionid")
            .and_then(Value::as_str)
            .map(str::to_owned),
    })
}

#[async_trait::async_trait]
impl WeChat for WeChatApi {
    async fn code_to_session(&self, code: &str) -> Result<Identity, WeChatError> {
        self.exchange(
            &self.mini,
            "mini-program",
            "sns/jscode2session",
            "js_code",
            code,
        )
        .await
    }

    async fn oauth_code(&self, code: &str) -> Result<Identity, WeChatError> {
        self.exchange(
            &self.official,
            "official account",
            "sns/oauth2/access_token",
            "code",
            code,
        )
        .await
    }

    fn authorize_url(&self, redirect_uri: &str, state: &str) -> Option<String> {
        let (appid, _) = self.official.as_ref()?;
        Some(format!(
            "{}/connect/oauth2/authorize?appid={}&redirect_uri={}&response_type=code&scope=snsapi_base&state={}#wechat_redirect",
            self.open_base.trim_end_matches('/'),
            enc(appid),
            enc(redirect_uri),
            enc(state)
        ))
    }
    fn configured(&self) -> (bool, bool) {
        (self.mini.is_some(), self.official.is_some())
    }
}

const TICKET_LIFETIME: Duration = Duration::from_secs(120);
const BINDING_LIFETIME: Duration = Duration::from_secs(15 * 60);
const EXCHANGES_PER_CLIENT: Limit = Limit {
    max: 30,
    window_secs: 300,
};
const STATE_COOKIE: &str = "zhida_oauth";

/// Every WeChat exchange counts against the client's limit.
async fn limit_client(state: &AppState, client: &ClientAddr) -> Result<(), ApiError> {
    ratelimit::hit(
        &state.db,
        &format!("wechat:ip:{}", client.0),
        EXCHANGES_PER_CLIENT,
    )
    .await
}

fn refused(e: WeChatError) -> ApiError {
    match e {
        WeChatError::BadCode(code) => {
            tracing::warn!(errcode = code, "WeChat refused a login code");
            ApiError::invalid_code("code", "ticket")
        }
        WeChatError::NotConfigured(why) => {
            tracing::info!(reason = %why, "a WeChat login this server does not offer");
            ApiError::not_offered("wechat")
        }
        WeChatError::Unavailable(why) => {
            tracing::error!(error = %why, "WeChat login unavailable");
            ApiError::unavailable()
        }
    }
}

/// Stores a one-time token for `identity`; returns the token.
async fn issue(
    state: &AppState,
    purpose: &str,
    identity: &Identity,
    lifetime: Duration,
) -> Result<String, ApiError> {
    let token = random_token();
    sqlx::query("INSERT INTO wechat_tokens (token_hash, purpose, openid, unionid, expires_at, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(secret_hash(&token))
        .bind(purpose)
        .bind(&identity.openid)
        .bind(&identity.unionid)
        .bind(format_utc(now() + lifetime))
        .bind(format_utc(now()))
        .execute(&state.db.pool)
        .await?;
    Ok(token)
}

/// Uses a one-time token once: the identity it stands for, or why not.
pub async fn redeem(
    state: &AppState,
    purpose: &str,
    token: &str,
    field: &str,
) -> Result<Identity, ApiError> {
    let hash = secret_hash(token.trim());
    let row = sqlx::query("SELECT openid, unionid, expires_at, used_at FROM wechat_tokens WHERE token_hash = $1 AND purpose = $2")
        .bind(&hash)
        .bind(purpose)
        .fetch_optional(&state.db.pool)
        .await?
        .ok_or_else(|| ApiError::invalid_code(field, "ticket"))?;
    if row.try_get::<Option<String>, _>("used_at")?.is_some()
        || row.try_get::<String, _>("expires_at")? <= format_utc(now())
    {
        return Err(ApiError::invalid_code(field, "ticket"));
    }
    let claimed = sqlx::query(
        "UPDATE wechat_tokens SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL",
    )
    .bind(format_utc(now()))
    .bind(&hash)
    .execute(&state.db.pool)
    .await?
    .rows_affected();
    if claimed != 1 {
        return Err(ApiError::invalid_code(field, "ticket"));
    }
    Ok(Identity {
        openid: row.try_get("openid")?,
        unionid: row.try_get("unionid")?,
    })
}

/// Checks, without using it, that a binding token is valid (before the SMS code is spent).
pub async fn check_binding(state: &AppState, token: &str) -> Result<(), ApiError> {
    let found: Option<String> = sqlx::query_scalar("SELECT expires_at FROM wechat_tokens WHERE token_hash = $1 AND purpose = 'binding' AND used_at IS NULL")
        .bind(secret_hash(token.trim()))
        .fetch_optional(&state.db.pool)
        .await?;
    match found {
        Some(expires) if expires > format_utc(now()) => Ok(()),
        _ => Err(ApiError::invalid_code("wechat_binding", "ticket")),
    }
}

/// Binds the identity of a binding token to `user` (after their phone was verified). An
/// identity already bound to another account stays where it is.
pub async fn bind(state: &AppState, token: &str, user: i64) -> Result<(), ApiError> {
    let identity = redeem(state, "binding", token, "wechat").await?;
    sqlx::query("INSERT INTO wechat_bindings (openid, unionid, user_id, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT (openid) DO NOTHING")
        .bind(&identity.openid)
        .bind(&identity.unionid)
        .bind(user)
        .bind(format_utc(now()))
        .execute(&state.db.pool)
        .await?;
    let owner: i64 = sqlx::query_scalar("SELECT user_id FROM wechat_bindings WHERE openid = $1")
        .bind(&identity.openid)
        .fetch_one(&state.db.pool)
        .await?;
    if owner != user {
        return Err(ApiError::conflict("wechat_bound"));
    }
    tracing::info!(user, "WeChat identity bound to an account");
    Ok(())
}

/// The account an identity is bound to (by openid, or by unionid across our WeChat apps; the
/// first binding wins, so the answer never varies).
async fn bound_user(state: &AppState, identity: &Identity) -> Result<Option<i64>, ApiError> {
    let by_openid: Option<i64> =
        sqlx::query_scalar("SELECT user_id FROM wechat_bindings WHERE openid = $1")
            .bind(&identity.openid)
            .fetch_optional(&state.db.pool)
            .await?;
    if by_openid.is_some() {
        return Ok(by_openid);
    }
    match &identity.unionid {
        Some(unionid) => Ok(sqlx::query_scalar(
            "SELECT user_id FROM wechat_bindings WHERE unionid = $1 ORDER BY created_at, user_id LIMIT 1",
        )
        .bind(unionid)
        .fetch_optional(&state.db.pool)
        .await?),
        None => Ok(None),
    }
}

/// The cookie that carries a pending binding in this browser only: HttpOnly, SameSite=Strict,
/// sent only to the login endpoints. A binding never travels in a URL, so a link cannot make
/// someone else bind an attacker's WeChat to their account.
const BIND_COOKIE: &str = "zhida_wechat_bind";

fn binding_cookie(state: &AppState, token: &str, max_age: u64) -> HeaderValue {
    auth::set_cookie(state, BIND_COOKIE, token, "/api/auth", "Strict", max_age)
}

/// The `Set-Cookie` that removes a pending binding.
pub fn clear_binding_cookie(state: &AppState) -> HeaderValue {
    binding_cookie(state, "", 0)
}

/// The pending binding of this browser, if any.
pub fn binding_from(headers: &HeaderMap) -> Option<String> {
    auth::read_cookie(headers, BIND_COOKIE)
}

/// Logs the identity in if bound; otherwise issues a binding, in a cookie.
async fn login_or_binding(
    state: &AppState,
    identity: &Identity,
    headers: &HeaderMap,
) -> Result<(HeaderValue, WeChatLogin), ApiError> {
    match bound_user(state, identity).await? {
        Some(user) => {
            let ua = headers
                .get(header::USER_AGENT)
                .and_then(|v| v.to_str().ok());
            let cookie = auth::start(state, Principal::Person(user), ua).await?;
            Ok((
                cookie,
                WeChatLogin {
                    me: Some(me_for(state, Principal::Person(user), (None, None), false).await?),
                    needs_phone: false,
                },
            ))
        }
        None => {
            let token = issue(state, "binding", identity, BINDING_LIFETIME).await?;
            Ok((
                binding_cookie(state, &token, BINDING_LIFETIME.as_secs()),
                WeChatLogin {
                    me: None,
                    needs_phone: true,
                },
            ))
        }
    }
}

/// Mini-program: trades a `wx.login` code for a one-time web-view ticket.
#[utoipa::path(post, path = "/api/wechat/mini/login", tag = "wechat", request_body = WeChatCode,
    responses(
        (status = 200, body = TicketIssued),
        (status = 400, description = "WeChat refused the code", body = ErrorBody),
        (status = 429, body = ErrorBody),
        (status = 404, description = "No mini-program is configured here", body = ErrorBody),
        (status = 503, description = "WeChat did not answer", body = ErrorBody),
    ))]
pub async fn mini_login(
    State(state): State<AppState>,
    client: ClientAddr,
    ApiJson(body): ApiJson<WeChatCode>,
) -> Result<Json<TicketIssued>, ApiError> {
    limit_client(&state, &client).await?;
    let identity = state
        .wechat
        .code_to_session(body.code.trim())
        .await
        .map_err(refused)?;
    let ticket = issue(&state, "ticket", &identity, TICKET_LIFETIME).await?;
    Ok(Json(TicketIssued {
        ticket,
        expires_in_seconds: TICKET_LIFETIME.as_secs() as u32,
    }))
}

/// The web-view: trades the ticket for a session (or, the first time, a binding).
#[utoipa::path(post, path = "/api/wechat/ticket", tag = "wechat", request_body = WeChatTicket,
    responses((status = 200, body = WeChatLogin), (status = 400, description = "The ticket is wrong, expired or used", body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn ticket(
    State(state): State<AppState>,
    client: ClientAddr,
    headers: HeaderMap,
    ApiJson(body): ApiJson<WeChatTicket>,
) -> Result<Response, ApiError> {
    limit_client(&state, &client).await?;
    // Tickets are for the mini-program's own web-view (its user agent says `miniProgram`), not
    // for a link opened elsewhere.
    let in_mini_program = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ua| ua.contains("miniProgram"));
    if !in_mini_program {
        return Err(ApiError::invalid_code("ticket", "ticket"));
    }
    let identity = redeem(&state, "ticket", &body.ticket, "ticket").await?;
    let (cookie, login) = login_or_binding(&state, &identity, &headers).await?;
    let mut response = Json(login).into_response();
    response.headers_mut().insert(header::SET_COOKIE, cookie);
    Ok(response)
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct OauthStart {
    /// The app path to return to after logging in (default `/me`).
    #[serde(rename = "return")]
    return_to: Option<String>,
}

fn safe_return(path: Option<&str>) -> String {
    match path {
        // No other site, and no control character (browsers drop tabs, turning "/\t/x" into
        // "//x", another site).
        Some(p)
            if p.starts_with('/')
                && !p.starts_with("//")
                && !p.contains('\\')
                && !p.chars().any(char::is_control) =>
        {
            p.to_owned()
        }
        _ => "/me".to_owned(),
    }
}

/// Our address for WeChat to redirect back to: the configured public URL. Only demo mode falls
/// back to the request's `Host`, which a client chooses.
fn origin(state: &AppState, headers: &HeaderMap) -> Result<String, ApiError> {
    if let Some(url) = &state.settings.public_url {
        return Ok(url.trim_end_matches('/').to_owned());
    }
    if !state.settings.demo {
        tracing::error!("WeChat OAuth needs ZHIDA_PUBLIC_URL for its redirect address");
        return Err(ApiError::not_offered("wechat"));
    }
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("127.0.0.1:8080");
    Ok(format!("http://{host}"))
}

/// Whether WeChat's browser can log in here: an official account, and an address for WeChat
/// to send the browser back to.
pub fn offers_browser_login(state: &AppState) -> bool {
    state.wechat.configured().1 && (state.settings.public_url.is_some() || state.settings.demo)
}

/// WeChat's browser: starts official-account OAuth (`snsapi_base`).
#[utoipa::path(get, path = "/api/wechat/oauth/start", tag = "wechat", params(OauthStart),
    responses((status = 302, description = "To WeChat's authorize page"), (status = 404, description = "No official account is configured here", body = ErrorBody)))]
pub async fn oauth_start(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<OauthStart>,
) -> Result<Response, ApiError> {
    let nonce = random_token();
    let redirect_uri = format!("{}/api/wechat/oauth/callback", origin(&state, &headers)?);
    let url = state
        .wechat
        .authorize_url(&redirect_uri, &nonce)
        .ok_or_else(|| ApiError::not_offered("wechat"))?;
    let return_to = safe_return(q.return_to.as_deref());
    let cookie = auth::set_cookie(
        &state,
        STATE_COOKIE,
        &format!("{nonce}|{}", enc(&return_to)),
        "/api/wechat",
        "Lax",
        600,
    );
    Ok((
        StatusCode::FOUND,
        [
            (
                header::LOCATION,
                HeaderValue::from_str(&url).map_err(ApiError::internal)?,
            ),
            (header::SET_COOKIE, cookie),
        ],
    )
        .into_response())
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct OauthCallback {
    code: Option<String>,
    state: Option<String>,
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let Ok(v) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// WeChat redirects back here with a code; we log the person in and send them on.
#[utoipa::path(get, path = "/api/wechat/oauth/callback", tag = "wechat", params(OauthCallback),
    responses((status = 302, description = "Into the app: logged in, or to the phone step that binds WeChat"), (status = 400, description = "A wrong or replayed state or code", body = ErrorBody)))]
pub async fn oauth_callback(
    State(state): State<AppState>,
    client: ClientAddr,
    headers: HeaderMap,
    Query(q): Query<OauthCallback>,
) -> Result<Response, ApiError> {
    limit_client(&state, &client).await?;
    let cookie = auth::read_cookie(&headers, STATE_COOKIE)
        .ok_or_else(|| ApiError::invalid_code("state", "ticket"))?;
    let (nonce, return_to) = cookie
        .split_once('|')
        .ok_or_else(|| ApiError::invalid_code("state", "ticket"))?;
    if q.state.as_deref() != Some(nonce) {
        return Err(ApiError::invalid_code("state", "ticket"));
    }
    let code = q
        .code
        .filter(|c| !c.is_empty())
        .ok_or_else(|| ApiError::invalid_code("code", "ticket"))?;
    let identity = state.wechat.oauth_code(&code).await.map_err(refused)?;
    let (cookie, login) = login_or_binding(&state, &identity, &headers).await?;
    let target = if login.needs_phone {
        "/login?wechat=1".to_owned()
    } else {
        safe_return(Some(&percent_decode(return_to)))
    };
    let clear = auth::set_cookie(&state, STATE_COOKIE, "", "/api/wechat", "Lax", 0);
    let mut response = (
        StatusCode::FOUND,
        [(
            header::LOCATION,
            HeaderValue::from_str(&target).map_err(ApiError::internal)?,
        )],
    )
        .into_response();
    response.headers_mut().append(header::SET_COOKIE, clear);
    response.headers_mut().append(header::SET_COOKIE, cookie);
    Ok(response)
}

/// No WeChat app is configured: every WeChat login says so.
pub struct NoWeChat;

#[async_trait::async_trait]
impl WeChat for NoWeChat {
    async fn code_to_session(&self, _: &str) -> Result<Identity, WeChatError> {
        Err(WeChatError::NotConfigured(
            "no WeChat mini-program is configured (ZHIDA_WECHAT_MINI_APPID)".into(),
        ))
    }
    async fn oauth_code(&self, _: &str) -> Result<Identity, WeChatError> {
        Err(WeChatError::NotConfigured(
            "no WeChat official account is configured (ZHIDA_WECHAT_MP_APPID)".into(),
        ))
    }
    fn authorize_url(&self, _: &str, _: &str) -> Option<String> {
        None
    }
    fn configured(&self) -> (bool, bool) {
        (false, false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_wechat_answers() {
        let ok = identity_from(
            &serde_json::json!({"openid": "o1", "session_key": "k", "unionid": "u1"}),
        )
        .unwrap();
        assert_eq!(
            ok,
            Identity {
                openid: "o1".into(),
                unionid: Some("u1".into())
            }
        );
        assert!(matches!(
            identity_from(&serde_json::json!({"errcode": 40029, "errmsg": "invalid code"})),
            Err(WeChatError::BadCode(40029))
        ));
        assert!(matches!(
            identity_from(&serde_json::json!({"errcode": -1, "errmsg": "busy"})),
            Err(WeChatError::Unavailable(_))
        ));
        assert!(matches!(
            identity_from(&serde_json::json!({})),
            Err(WeChatError::Unavailable(_))
        ));
    }

    #[test]
    fn return_paths_stay_in_the_app() {
        assert_eq!(safe_return(Some("/policies")), "/policies");
        assert_eq!(safe_return(Some("//evil.example")), "/me");
        assert_eq!(safe_return(Some("https://evil.example")), "/me");
        assert_eq!(safe_return(None), "/me");
        assert_eq!(safe_return(Some("/\t/evil.example")), "/me");
        assert_eq!(safe_return(Some("/\u{1}")), "/me");
        assert_eq!(percent_decode(&enc("/me?x=1")), "/me?x=1");
    }
}

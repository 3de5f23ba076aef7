//! A local fake of WeChat's servers, speaking the endpoints Zhida calls: `sns/jscode2session`,
//! `sns/oauth2/access_token` and the `connect/oauth2/authorize` redirect. Codes are one-time,
//! as WeChat's are.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::{Query, State};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;

pub const MINI_APPID: &str = "wx-mini-test";
pub const MINI_SECRET: &str = "mini-secret";
pub const MP_APPID: &str = "wx-mp-test";
pub const MP_SECRET: &str = "mp-secret";

#[derive(Clone, Default)]
pub struct Fake {
    /// code → (openid, unionid); removed when used.
    codes: Arc<Mutex<HashMap<String, (String, String)>>>,
    used: Arc<Mutex<Vec<String>>>,
    /// The openid the authorize page logs in (the WeChat user of the browser).
    pub browser_openid: Arc<Mutex<String>>,
}

impl Fake {
    /// Makes a code that WeChat would give this user.
    pub fn code_for(&self, openid: &str) -> String {
        let code = format!("code-{}-{}", openid, uuid::Uuid::new_v4().simple());
        self.codes
            .lock()
            .unwrap()
            .insert(code.clone(), (openid.to_owned(), format!("union-{openid}")));
        code
    }

    fn take(&self, code: &str) -> serde_json::Value {
        if self.used.lock().unwrap().iter().any(|c| c == code) {
            return json!({ "errcode": 40163, "errmsg": "code been used" });
        }
        match self.codes.lock().unwrap().remove(code) {
            Some((openid, unionid)) => {
                self.used.lock().unwrap().push(code.to_owned());
                json!({ "openid": openid, "unionid": unionid, "session_key": "sk", "access_token": "at", "expires_in": 7200, "scope": "snsapi_base" })
            }
            None => json!({ "errcode": 40029, "errmsg": "invalid code" }),
        }
    }
}

/// Starts the fake on a free port; returns its base URL.
pub async fn start(fake: Fake) -> String {
    let app = Router::new()
        .route("/sns/jscode2session", get(jscode2session))
        .route("/sns/oauth2/access_token", get(access_token))
        .route("/connect/oauth2/authorize", get(authorize))
        .with_state(fake);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

async fn jscode2session(
    State(fake): State<Fake>,
    Query(q): Query<HashMap<String, String>>,
) -> impl IntoResponse {
    if q.get("appid").map(String::as_str) != Some(MINI_APPID)
        || q.get("secret").map(String::as_str) != Some(MINI_SECRET)
    {
        return Json(json!({ "errcode": 40013, "errmsg": "invalid appid" }));
    }
    if q.get("grant_type").map(String::as_str) != Some("authorization_code") {
        return Json(json!({ "errcode": 40002, "errmsg": "invalid grant_type" }));
    }
    Json(fake.take(q.get("js_code").map_or("", String::as_str)))
}

async fn access_token(
    State(fake): State<Fake>,
    Query(q): Query<HashMap<String, String>>,
) -> impl IntoResponse {
    if q.get("appid").map(String::as_str) != Some(MP_APPID)
        || q.get("secret").map(String::as_str) != Some(MP_SECRET)
    {
        return Json(json!({ "errcode": 40013, "errmsg": "invalid appid" }));
    }
    Json(fake.take(q.get("code").map_or("", String::as_str)))
}

/// `snsapi_base` is silent: WeChat redirects straight back with a code.
async fn authorize(
    State(fake): State<Fake>,
    Query(q): Query<HashMap<String, String>>,
) -> impl IntoResponse {
    assert_eq!(q.get("scope").map(String::as_str), Some("snsapi_base"));
    assert_eq!(q.get("response_type").map(String::as_str), Some("code"));
    let openid = fake.browser_openid.lock().unwrap().clone();
    let code = fake.code_for(&openid);
    let redirect = q.get("redirect_uri").cloned().unwrap_or_default();
    let to = format!(
        "{redirect}?code={code}&state={}",
        q.get("state").cloned().unwrap_or_default()
    );
    (
        axum::http::StatusCode::FOUND,
        [(axum::http::header::LOCATION, to)],
    )
}

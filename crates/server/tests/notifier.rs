//! Telling people outside the app: SMS through the gateway and WeChat subscription messages,
//! each against a local fake that speaks the service's protocol.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use common::TestApp;
use serde_json::{json, Value};
use server::notifications::{deliver_due, Notifier, SmsNotifier, WeChatSubscribe};

on_both_databases!(
    grants_are_told_by_sms_and_wechat_and_failures_are_retried,
    each_person_chooses_the_channels_of_each_group
);

#[derive(Clone, Default)]
struct Fake {
    sms: Arc<Mutex<Vec<Value>>>,
    wechat: Arc<Mutex<Vec<Value>>>,
    tokens: Arc<AtomicUsize>,
    fail_sms: Arc<AtomicUsize>,
}

async fn sms(State(f): State<Fake>, Json(body): Json<Value>) -> StatusCode {
    if f.fail_sms
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok()
    {
        return StatusCode::SERVICE_UNAVAILABLE;
    }
    f.sms.lock().unwrap().push(body);
    StatusCode::OK
}

async fn token(
    State(f): State<Fake>,
    Query(q): Query<std::collections::HashMap<String, String>>,
) -> Json<Value> {
    if q.get("appid").map(String::as_str) != Some("wx-mini")
        || q.get("secret").map(String::as_str) != Some("mini-secret")
    {
        return Json(json!({ "errcode": 40013, "errmsg": "invalid appid" }));
    }
    f.tokens.fetch_add(1, Ordering::SeqCst);
    Json(json!({ "access_token": "AT-1", "expires_in": 7200 }))
}

async fn subscribe(
    State(f): State<Fake>,
    Query(q): Query<std::collections::HashMap<String, String>>,
    Json(body): Json<Value>,
) -> Json<Value> {
    if q.get("access_token").map(String::as_str) != Some("AT-1") {
        return Json(json!({ "errcode": 40001, "errmsg": "invalid credential" }));
    }
    f.wechat.lock().unwrap().push(body);
    Json(json!({ "errcode": 0, "errmsg": "ok" }))
}

/// SMS through the fake gateway and WeChat through the fake WeChat at `base`.
fn notifiers(base: &str) -> Vec<Arc<dyn Notifier>> {
    vec![
        Arc::new(SmsNotifier {
            url: format!("{base}/sms"),
            token: "t".into(),
            client: server::platform::http_client::Client::new(),
        }),
        Arc::new(WeChatSubscribe::new(
            base.to_owned(),
            "wx-mini".into(),
            "mini-secret".into(),
            "TPL-1".into(),
        )),
    ]
}

async fn start() -> (String, Fake) {
    let fake = Fake::default();
    let app = Router::new()
        .route("/sms", post(sms))
        .route("/cgi-bin/token", get(token))
        .route("/cgi-bin/message/subscribe/send", post(subscribe))
        .with_state(fake.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (base, fake)
}

/// 李姨 logged in with WeChat once: her openid is bound to her account.
async fn bind_li_to_wechat(app: &TestApp) {
    sqlx::query("INSERT INTO wechat_bindings (openid, user_id, created_at) SELECT 'o-li', id, '2026-01-01T00:00:00.000Z' FROM users WHERE resident_ref = 'DEMO-R2'")
        .execute(&app.db.pool)
        .await
        .unwrap();
}

async fn grants_are_told_by_sms_and_wechat_and_failures_are_retried(app: TestApp) {
    let (base, fake) = start().await;
    let app = app.demo().await;
    bind_li_to_wechat(&app).await;
    let state = app.state.clone().with_notifiers(notifiers(&base));
    // The first SMS fails: that notification waits for its next attempt, the rest go.
    fake.fail_sms.store(1, Ordering::SeqCst);
    let tried = deliver_due(&state).await.unwrap();
    assert!(tried >= 5, "the demo's grants: {tried}");
    let failed: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM notifications WHERE delivered_at IS NULL AND delivery_error LIKE '%503%'")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(failed, 1);
    sqlx::query("UPDATE notifications SET next_delivery_at = '2000-01-01T00:00:00.000Z'")
        .execute(&app.db.pool)
        .await
        .unwrap();
    deliver_due(&state).await.unwrap();
    let pending: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM notifications WHERE delivered_at IS NULL")
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    assert_eq!(pending, 0, "every notification delivered");
    // Nothing is delivered twice once marked.
    assert_eq!(deliver_due(&state).await.unwrap(), 0);

    let sms = fake.sms.lock().unwrap().clone();
    let to_li: Vec<&Value> = sms.iter().filter(|m| m["phone"] == "13800000002").collect();
    // Both disability subsidies, the transport allowance and the dibao festival grant.
    assert_eq!(to_li.len(), 4, "李姨's four grants: {sms:?}");
    assert!(to_li.iter().all(|m| m["template"] == "subsidy_granted"));
    assert!(to_li.iter().any(
        |m| m["params"]["policy"] == "重度残疾人护理补贴" && m["params"]["amount"] == "¥238.00"
    ));
    // The enterprise's news reaches its legal representative.
    assert!(sms
        .iter()
        .any(|m| m["phone"] == "13800000003" && m["template"] == "subsidy_consent_needed"));
    let wechat = fake.wechat.lock().unwrap().clone();
    assert_eq!(wechat.len(), 4, "only 李姨 is bound to WeChat: {wechat:?}");
    assert!(wechat
        .iter()
        .all(|m| m["touser"] == "o-li" && m["template_id"] == "TPL-1"));
    assert_eq!(
        fake.tokens.load(Ordering::SeqCst),
        1,
        "the access token is kept"
    );
}

async fn each_person_chooses_the_channels_of_each_group(app: TestApp) {
    let (base, fake) = start().await;
    let app = app.demo().await;
    bind_li_to_wechat(&app).await;
    // 李姨: money news by WeChat only. 黄总: no SMS or WeChat for things to do.
    let li = common::login_phone(&app, "13800000002").await;
    let put = |cookie: String, body: Value| {
        let app = &app;
        async move {
            app.call("PUT", "/api/me/channels", &cookie, Some(&body.to_string()))
                .await
        }
    };
    let saved = put(
        li.clone(),
        json!([{ "group": "grants", "sms": false, "wechat": true }]),
    )
    .await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.text());
    let saved = saved.json();
    assert_eq!(
        saved.as_array().unwrap().len(),
        api::account::CHANNEL_GROUPS.len(),
        "every group, with its defaults"
    );
    assert!(saved
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s["group"] == "grants" && s["sms"] == false && s["wechat"] == true));
    let huang = common::login_phone(&app, "13800000003").await;
    put(
        huang.clone(),
        json!([{ "group": "actions", "sms": false, "wechat": false }]),
    )
    .await;
    let unknown = put(
        huang,
        json!([{ "group": "lottery", "sms": true, "wechat": true }]),
    )
    .await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(unknown.json()["field"], "[0].group");
    assert_eq!(unknown.json()["message"], "没有这一类消息");

    let state = app.state.clone().with_notifiers(notifiers(&base));
    deliver_due(&state).await.unwrap();
    let sms = fake.sms.lock().unwrap().clone();
    assert!(
        sms.iter().all(|m| m["phone"] != "13800000002"),
        "no SMS to 李姨: {sms:?}"
    );
    assert_eq!(
        fake.wechat.lock().unwrap().len(),
        4,
        "her WeChat still tells her"
    );
    assert!(sms
        .iter()
        .all(|m| !(m["phone"] == "13800000003" && m["template"] == "subsidy_consent_needed")));
    assert!(
        sms.iter()
            .any(|m| m["phone"] == "13800000003" && m["template"] == "subsidy_granted"),
        "his money news still comes by SMS: {sms:?}"
    );
    // The inbox keeps everything: delivery is done, whatever the channels.
    let pending: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM notifications WHERE delivered_at IS NULL")
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    assert_eq!(pending, 0);
}

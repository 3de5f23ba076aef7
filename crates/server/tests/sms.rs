//! The SMS gateway client speaks its protocol to a local fake gateway; a gateway that fails
//! makes sending a code answer 503, never a 500.

mod common;

use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use axum::routing::post;
use axum::{Json, Router};
use common::TestApp;
use server::platform::sms::{GatewaySms, SmsSender};
use tower::ServiceExt;

on_both_databases!(a_failing_gateway_is_a_503);

type Received = Arc<Mutex<Vec<(String, serde_json::Value)>>>;

/// A fake gateway answering `status`; returns its URL and what it received.
async fn gateway(status: StatusCode) -> (String, Received) {
    let received: Received = Arc::default();
    let seen = received.clone();
    let app = Router::new().route(
        "/send",
        post(
            move |headers: HeaderMap, Json(body): Json<serde_json::Value>| {
                let seen = seen.clone();
                async move {
                    let auth = headers
                        .get("authorization")
                        .map_or("", |v| v.to_str().unwrap())
                        .to_owned();
                    seen.lock().unwrap().push((auth, body));
                    status
                }
            },
        ),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/send", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, received)
}

fn sender(url: String) -> GatewaySms {
    GatewaySms {
        url,
        token: "gateway-token".into(),
        client: server::platform::http_client::Client::new(),
    }
}

#[tokio::test]
async fn the_gateway_gets_the_code_in_its_protocol() {
    let (url, received) = gateway(StatusCode::OK).await;
    let phone = api::Mobile::parse("13912345678").unwrap();
    sender(url).send_code(&phone, "123456").await.unwrap();
    let got = received.lock().unwrap().clone();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].0, "Bearer gateway-token");
    assert_eq!(
        got[0].1,
        serde_json::json!({ "phone": "13912345678", "template": "login_code", "params": { "code": "123456" } })
    );
}

#[tokio::test]
async fn a_gateway_error_is_an_error() {
    let (url, _) = gateway(StatusCode::INTERNAL_SERVER_ERROR).await;
    let phone = api::Mobile::parse("13912345678").unwrap();
    assert!(sender(url).send_code(&phone, "123456").await.is_err());
    // No gateway listening at all.
    assert!(sender("http://127.0.0.1:9/send".into())
        .send_code(&phone, "123456")
        .await
        .is_err());
}

async fn a_failing_gateway_is_a_503(app: TestApp) {
    let (url, _) = gateway(StatusCode::BAD_GATEWAY).await;
    let state = server::AppState::new(
        app.db.clone(),
        server::platform::static_files::StaticAssets::default(),
        server::platform::crypto::Vault::from_config(common::TEST_KEY).unwrap(),
        Arc::new(sender(url)),
        false,
        false,
    );
    let request = Request::post("/api/auth/sms/send")
        .header("content-type", "application/json")
        .header("x-requested-with", "zhida")
        .body(Body::from(r#"{"phone":"13912345678"}"#))
        .unwrap();
    let response = server::app(state).oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
}

//! The API's own endpoints and its error format, against SQLite and PostgreSQL.

mod common;

use std::io::Read;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::TestApp;
use sqlx::Row;

on_both_databases!(
    health_checks_the_database,
    health_is_503_when_the_database_is_gone,
    version_names_the_server,
    openapi_documents_every_endpoint,
    unknown_api_paths_are_json_404s,
    errors_follow_accept_language,
    wrong_method_is_a_json_405,
    client_report_is_stored,
    malformed_json_is_a_400_naming_the_place,
    wrong_content_type_is_a_400,
    body_of_the_wrong_shape_names_the_field,
    refused_values_are_422_naming_the_field,
    oversized_body_is_a_json_413,
    every_answer_carries_a_request_id,
    api_answers_are_compressed_when_accepted,
    error_bodies_decode_as_their_headers_say,
    a_browser_navigating_into_an_error_is_sent_to_an_app_page,
    migrations_run_twice_without_harm,
);

async fn health_checks_the_database(app: TestApp) {
    let answer = app.get("/api/health").await;
    assert_eq!(answer.status, StatusCode::OK);
    let body = answer.json();
    assert_eq!(body["status"], "ok");
    assert_eq!(body["database"]["ok"], true);
    assert_eq!(body["database"]["backend"], app.db.backend.as_str());
    let migrations = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/sqlite"))
        .unwrap()
        .count();
    assert_eq!(
        body["database"]["schema_version"], migrations as i64,
        "the newest migration"
    );
}

async fn health_is_503_when_the_database_is_gone(app: TestApp) {
    app.db.pool.close().await;
    let answer = app.get("/api/health").await;
    assert_eq!(answer.status, StatusCode::SERVICE_UNAVAILABLE);
    let body = answer.json();
    assert_eq!(body["status"], "degraded");
    assert_eq!(body["database"]["ok"], false);
}

async fn version_names_the_server(app: TestApp) {
    let answer = app.get("/api/version").await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.json()["name"], "zhida");
    assert_eq!(answer.json()["version"], env!("CARGO_PKG_VERSION"));
}

async fn openapi_documents_every_endpoint(app: TestApp) {
    let answer = app.get("/api/openapi.json").await;
    assert_eq!(answer.status, StatusCode::OK);
    assert!(answer
        .header("content-type")
        .starts_with("application/json"));
    let doc = answer.json();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_object().unwrap();
    for path in [
        "/api/health",
        "/api/version",
        "/api/openapi.json",
        "/api/client-reports",
    ] {
        assert!(paths.contains_key(path), "{path} is not documented");
    }
    let not_routed = app.get("/api/no-such-operation").await.json();
    // Every documented operation is routed: none answers the router's 404, or 405. Path parameters get a
    // value of an existing resource (the reference policies exist; the rest need a login first).
    for (path, ops) in paths {
        let uri = path
            .replace("/api/policies/{id}", "/api/policies/senior-allowance")
            .replace("{id}", "1")
            .replace("{number}", "1")
            .replace("{material}", "legal_rep_id")
            .replace("{code}", "drug_retail")
            .replace("{agent}", "1");
        for method in ops.as_object().unwrap().keys() {
            let request = Request::builder()
                .method(method.to_uppercase().as_str())
                .uri(&uri)
                .header("content-type", "application/json")
                .body(Body::from("{}"))
                .unwrap();
            let answer = app.send(request).await;
            let status = answer.status;
            // A 404 in words of its own (a WeChat login not offered here) comes from a handler.
            let unrouted = status == StatusCode::METHOD_NOT_ALLOWED
                || (status == StatusCode::NOT_FOUND && answer.json() == not_routed);
            assert!(
                !unrouted,
                "{method} {path} is documented but answers {status}"
            );
        }
    }
    assert!(doc["components"]["schemas"].get("ErrorBody").is_some());
}

async fn unknown_api_paths_are_json_404s(app: TestApp) {
    for path in ["/api/nope", "/api", "/api/health/extra"] {
        let answer = app.get(path).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{path}");
        assert!(
            answer
                .header("content-type")
                .starts_with("application/json"),
            "{path}"
        );
        let body = answer.json();
        assert_eq!(body["code"], "not_found");
        assert_eq!(body["message"], "没有找到您要的内容");
        assert_eq!(answer.header("content-language"), "zh-CN");
    }
}

async fn errors_follow_accept_language(app: TestApp) {
    let request = Request::get("/api/nope")
        .header("accept-language", "en-GB,en;q=0.9")
        .body(Body::empty())
        .unwrap();
    let answer = app.send(request).await;
    assert_eq!(answer.json()["message"], "Nothing was found here");
    assert_eq!(answer.header("content-language"), "en");
}

async fn wrong_method_is_a_json_405(app: TestApp) {
    let answer = app
        .send(Request::delete("/api/health").body(Body::empty()).unwrap())
        .await;
    assert_eq!(answer.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(answer.json()["code"], "method_not_allowed");
    let answer = app.get("/api/client-reports").await;
    assert_eq!(answer.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(answer.json()["code"], "method_not_allowed");
}

async fn client_report_is_stored(app: TestApp) {
    let request = Request::post("/api/client-reports")
        .header("content-type", "application/json; charset=utf-8")
        .header(
            "user-agent",
            "Mozilla/5.0 (Linux; Android 7.0) MicroMessenger/6.5",
        )
        .body(Body::from(
            r#"{"kind":"unsupported_browser","message":"no WebAssembly","path":"/policies"}"#,
        ))
        .unwrap();
    let answer = app.send(request).await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text());
    let id = answer.json()["id"].as_i64().unwrap();
    let row = sqlx::query("SELECT kind, message, path, user_agent, request_id, created_at FROM client_reports WHERE id = $1")
        .bind(id)
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(row.get::<String, _>("kind"), "unsupported_browser");
    assert_eq!(row.get::<String, _>("message"), "no WebAssembly");
    assert_eq!(row.get::<String, _>("path"), "/policies");
    assert!(row
        .get::<String, _>("user_agent")
        .contains("MicroMessenger"));
    assert_eq!(
        row.get::<String, _>("request_id"),
        answer.header("x-request-id")
    );
    assert!(row.get::<String, _>("created_at").ends_with('Z'));
}

async fn count_reports(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM client_reports")
        .fetch_one(&app.db.pool)
        .await
        .unwrap()
}

async fn malformed_json_is_a_400_naming_the_place(app: TestApp) {
    let answer = app
        .post_json(
            "/api/client-reports",
            "{\"kind\": \"panic\",\n \"message\": }",
        )
        .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    let body = answer.json();
    assert_eq!(body["code"], "malformed_json");
    assert!(
        body["message"].as_str().unwrap().contains("第 2 行"),
        "{body}"
    );
    assert_eq!(count_reports(&app).await, 0);
}

async fn wrong_content_type_is_a_400(app: TestApp) {
    for content_type in [
        None,
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
    ] {
        let mut request = Request::post("/api/client-reports");
        if let Some(ct) = content_type {
            request = request.header("content-type", ct);
        }
        let answer = app
            .send(
                request
                    .body(Body::from(r#"{"kind":"panic","message":"m","path":"/"}"#))
                    .unwrap(),
            )
            .await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{content_type:?}");
        let body = answer.json();
        assert_eq!(body["code"], "unsupported_content_type");
        assert_eq!(body["field"], "Content-Type");
    }
    assert_eq!(count_reports(&app).await, 0);
}

async fn body_of_the_wrong_shape_names_the_field(app: TestApp) {
    let cases = [
        (
            r#"{"message":"m","path":"/"}"#,
            "kind",
            "缺少必填字段“kind”",
        ),
        (
            r#"{"kind":"crash","message":"m","path":"/"}"#,
            "kind",
            "字段“kind”的类型不正确",
        ),
        (
            r#"{"kind":"panic","message":7,"path":"/"}"#,
            "message",
            "字段“message”的类型不正确",
        ),
        (
            r#"{"kind":"panic","message":"m","path":"/","extra":1}"#,
            "extra",
            "不认识的字段“extra”",
        ),
    ];
    for (json, field, message) in cases {
        let answer = app.post_json("/api/client-reports", json).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{json}");
        let body = answer.json();
        assert_eq!(body["code"], "invalid_body", "{json}");
        assert_eq!(body["field"], field, "{json}");
        assert_eq!(body["message"], message, "{json}");
    }
    assert_eq!(count_reports(&app).await, 0);
}

async fn refused_values_are_422_naming_the_field(app: TestApp) {
    let long = "长".repeat(2001);
    let cases = [
        (
            r#"{"kind":"panic","message":"   ","path":"/"}"#.to_owned(),
            "message",
        ),
        (
            format!(r#"{{"kind":"panic","message":"{long}","path":"/"}}"#),
            "message",
        ),
        (
            r#"{"kind":"panic","message":"m","path":"policies"}"#.to_owned(),
            "path",
        ),
    ];
    for (json, field) in cases {
        let answer = app.post_json("/api/client-reports", &json).await;
        assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
        let body = answer.json();
        assert_eq!(body["code"], "invalid_field");
        assert_eq!(body["field"], field);
    }
    let request = Request::post("/api/client-reports")
        .header("content-type", "application/json")
        .header("accept-language", "en")
        .body(Body::from(format!(
            r#"{{"kind":"panic","message":"{long}","path":"/"}}"#
        )))
        .unwrap();
    assert_eq!(
        app.send(request).await.json()["message"],
        "Too long: at most 2000 characters"
    );
    assert_eq!(count_reports(&app).await, 0);
}

async fn oversized_body_is_a_json_413(app: TestApp) {
    let huge = "x".repeat(70 * 1024);
    let answer = app
        .post_json(
            "/api/client-reports",
            &format!(r#"{{"kind":"panic","message":"{huge}","path":"/"}}"#),
        )
        .await;
    assert_eq!(answer.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(answer.json()["code"], "payload_too_large");
    assert_eq!(count_reports(&app).await, 0);
}

async fn every_answer_carries_a_request_id(app: TestApp) {
    let first = app.get("/api/version").await;
    let second = app.get("/api/nope").await;
    assert_eq!(first.header("x-request-id").len(), 36);
    assert_ne!(first.header("x-request-id"), second.header("x-request-id"));
    let given = app
        .send(
            Request::get("/api/version")
                .header("x-request-id", "trace-from-gateway-42")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(given.header("x-request-id"), "trace-from-gateway-42");
}

async fn api_answers_are_compressed_when_accepted(app: TestApp) {
    for (accept, encoding) in [("br", "br"), ("gzip", "gzip")] {
        let answer = app
            .send(
                Request::get("/api/openapi.json")
                    .header("accept-encoding", accept)
                    .body(Body::empty())
                    .unwrap(),
            )
            .await;
        assert_eq!(answer.status, StatusCode::OK);
        assert_eq!(answer.header("content-encoding"), encoding);
    }
    assert_eq!(
        app.get("/api/openapi.json")
            .await
            .header("content-encoding"),
        ""
    );
}

/// Errors that the framework or a handler answers before a body exists (a missing query
/// parameter, a path that does not parse) are written by the error layer after compression:
/// the body it writes must not carry the encoding of the body it replaced.
async fn error_bodies_decode_as_their_headers_say(app: TestApp) {
    let app = app.demo().await;
    let cookie = common::login_phone(&app, "13800000001").await;
    for (method, uri) in [
        ("GET", "/api/verify"),
        ("GET", "/api/track/current"),
        ("GET", "/api/auth/staff/demo-totp"),
        ("DELETE", "/api/me/sessions/abc"),
        ("DELETE", "/api/enterprises/x/agents/y"),
        ("GET", "/api/nowhere"),
    ] {
        for signed_in in [false, true] {
            let mut request = Request::builder()
                .method(method)
                .uri(uri)
                .header("accept-encoding", "gzip, deflate, br");
            if signed_in {
                request = request.header("cookie", &cookie);
            }
            let answer = app.send(request.body(Body::empty()).unwrap()).await;
            assert!(
                answer.status.is_client_error(),
                "{method} {uri}: {}",
                answer.status
            );
            let encoding = answer.header("content-encoding").to_owned();
            let body: Vec<u8> = match encoding.as_str() {
                "" => answer.body.to_vec(),
                "gzip" => {
                    let mut out = Vec::new();
                    flate2::read::GzDecoder::new(&answer.body[..])
                        .read_to_end(&mut out)
                        .unwrap_or_else(|e| panic!("{method} {uri}: says gzip but is not: {e}"));
                    out
                }
                other => panic!("{method} {uri}: unexpected encoding {other}"),
            };
            let error: serde_json::Value = serde_json::from_slice(&body)
                .unwrap_or_else(|e| panic!("{method} {uri}: not JSON ({e}) with {encoding:?}"));
            assert!(
                error["message"].as_str().is_some_and(|m| !m.is_empty()),
                "{error}"
            );
        }
    }
}

/// A page the browser navigated to (a link, WeChat's redirect) never ends on a JSON body: the
/// browser goes to the app's page for the problem, which says it in words with a way back.
async fn a_browser_navigating_into_an_error_is_sent_to_an_app_page(app: TestApp) {
    let navigate = |uri: &str, fetch_mode: Option<&str>| {
        let mut r = Request::get(uri).header(
            "accept",
            "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
        );
        if let Some(mode) = fetch_mode {
            r = r.header("sec-fetch-mode", mode);
        }
        r.body(Body::empty()).unwrap()
    };
    // No WeChat app is configured here.
    let answer = app
        .send(navigate(
            "/api/wechat/oauth/start?return=/me",
            Some("navigate"),
        ))
        .await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER);
    assert_eq!(
        answer.header("location"),
        "/problem?error=unavailable_wechat"
    );
    // An old WeChat web-view that sends no Sec-Fetch headers, and a replayed callback.
    let answer = app
        .send(navigate("/api/wechat/oauth/callback?code=x&state=y", None))
        .await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER);
    assert_eq!(
        answer.header("location"),
        "/problem?error=invalid_code_ticket"
    );
    // The app's own requests still get JSON.
    let answer = app
        .send(navigate("/api/wechat/oauth/start", Some("cors")))
        .await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
    assert_eq!(answer.json()["code"], "not_found");
    let answer = app.get("/api/wechat/oauth/start").await;
    assert!(answer
        .header("content-type")
        .starts_with("application/json"));
}

async fn migrations_run_twice_without_harm(app: TestApp) {
    app.db.migrate().await.unwrap();
    app.db.set_meta("k", "v1").await.unwrap();
    app.db.set_meta("k", "v2").await.unwrap();
    assert_eq!(app.db.meta("k").await.unwrap().as_deref(), Some("v2"));
    assert_eq!(app.db.meta("missing").await.unwrap(), None);
}

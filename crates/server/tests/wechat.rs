//! Both WeChat logins, against a local fake of WeChat's servers, on both databases.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::fake_wechat::{self, Fake};
use common::{Answer, TestApp};

on_both_databases!(
    tickets_work_only_in_the_mini_program,
    a_bound_wechat_cannot_be_moved,
    a_mini_program_login_binds_then_logs_in,
    tickets_and_codes_work_once,
    official_account_oauth_binds_then_logs_in,
    oauth_refuses_a_forged_state,
    wechat_not_configured_says_so,
);

/// A mini-program web-view's user agent.
const WEB_VIEW: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) MicroMessenger/8.0.50 miniProgram/wx-mini-test";

async fn post(app: &TestApp, uri: &str, json: String, cookie: Option<&str>) -> Answer {
    let mut r = Request::post(uri)
        .header("content-type", "application/json")
        .header("user-agent", WEB_VIEW);
    if let Some(c) = cookie {
        r = r.header("cookie", c);
    }
    app.send(r.body(Body::from(json)).unwrap()).await
}

fn cookie_named(a: &Answer, name: &str) -> Option<String> {
    a.headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with(&format!("{name}=")) && !c.contains("Max-Age=0"))
        .map(|c| c.split(';').next().unwrap().to_owned())
}

fn session_cookie(a: &Answer) -> Option<String> {
    cookie_named(a, "zhida_session")
}

/// The pending binding this browser was given (an HttpOnly, SameSite=Strict cookie).
fn binding_cookie(a: &Answer) -> String {
    let set = a
        .headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("zhida_wechat_bind="))
        .expect("a binding cookie")
        .to_owned();
    assert!(
        set.contains("HttpOnly")
            && set.contains("SameSite=Strict")
            && set.contains("Path=/api/auth"),
        "{set}"
    );
    cookie_named(a, "zhida_wechat_bind").unwrap()
}

/// Verifies a phone by SMS in the browser that holds the binding cookie.
async fn verify_phone_with_binding(app: &TestApp, phone: &str, binding_cookie: &str) -> Answer {
    sqlx::query("DELETE FROM rate_limits")
        .execute(&app.db.pool)
        .await
        .unwrap();
    let sent = post(
        app,
        "/api/auth/sms/send",
        format!(r#"{{"phone":"{phone}"}}"#),
        None,
    )
    .await;
    assert_eq!(sent.status, StatusCode::OK);
    let code = app.sms.last_code(phone).unwrap();
    post(
        app,
        "/api/auth/sms/verify",
        format!(r#"{{"phone":"{phone}","code":"{code}"}}"#),
        Some(binding_cookie),
    )
    .await
}

async fn with_fake(app: TestApp) -> (TestApp, Fake) {
    let fake = Fake::default();
    let base = fake_wechat::start(fake.clone()).await;
    (app.with_wechat(&base), fake)
}

async fn a_mini_program_login_binds_then_logs_in(app: TestApp) {
    let (app, fake) = with_fake(app).await;
    // The mini-program trades its wx.login code for a ticket.
    let issued = post(
        &app,
        "/api/wechat/mini/login",
        format!(r#"{{"code":"{}"}}"#, fake.code_for("o-alice")),
        None,
    )
    .await;
    assert_eq!(issued.status, StatusCode::OK, "{}", issued.text());
    let ticket = issued.json()["ticket"].as_str().unwrap().to_owned();
    // The web-view trades the ticket: the first time, a binding is needed.
    let first = post(
        &app,
        "/api/wechat/ticket",
        format!(r#"{{"ticket":"{ticket}"}}"#),
        None,
    )
    .await;
    assert_eq!(first.status, StatusCode::OK);
    assert!(first.json()["me"].is_null() && session_cookie(&first).is_none());
    assert_eq!(first.json()["needs_phone"], true);
    let binding = binding_cookie(&first);
    let bound = verify_phone_with_binding(&app, "13500000001", &binding).await;
    assert_eq!(bound.status, StatusCode::OK, "{}", bound.text());
    let user = bound.json()["person"]["id"].clone();
    // Next time, the ticket alone logs in.
    let issued = post(
        &app,
        "/api/wechat/mini/login",
        format!(r#"{{"code":"{}"}}"#, fake.code_for("o-alice")),
        None,
    )
    .await;
    let ticket = issued.json()["ticket"].as_str().unwrap().to_owned();
    let second = post(
        &app,
        "/api/wechat/ticket",
        format!(r#"{{"ticket":"{ticket}"}}"#),
        None,
    )
    .await;
    assert_eq!(second.json()["me"]["person"]["id"], user);
    let cookie = session_cookie(&second).expect("a session");
    let me = app
        .send(
            Request::get("/api/me")
                .header("cookie", cookie)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(me.json()["person"]["id"], user);
    assert!(
        bound.headers.get_all("set-cookie").iter().any(|c| c
            .to_str()
            .unwrap()
            .starts_with("zhida_wechat_bind=; Path=/api/auth")),
        "the cookie is cleared"
    );
    // A binding is used once: a replayed cookie binds nothing more (the login itself works).
    let before = bindings(&app).await;
    let again = verify_phone_with_binding(&app, "13500000003", &binding).await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(bindings(&app).await, before);
}

async fn tickets_and_codes_work_once(app: TestApp) {
    let (app, fake) = with_fake(app).await;
    let code = fake.code_for("o-bob");
    let issued = post(
        &app,
        "/api/wechat/mini/login",
        format!(r#"{{"code":"{code}"}}"#),
        None,
    )
    .await;
    let ticket = issued.json()["ticket"].as_str().unwrap().to_owned();
    // WeChat refuses a code used twice; so do we.
    let reused = post(
        &app,
        "/api/wechat/mini/login",
        format!(r#"{{"code":"{code}"}}"#),
        None,
    )
    .await;
    assert_eq!(
        (reused.status, reused.json()["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_code"))
    );
    let unknown = post(
        &app,
        "/api/wechat/mini/login",
        r#"{"code":"made-up"}"#.to_owned(),
        None,
    )
    .await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        post(
            &app,
            "/api/wechat/ticket",
            format!(r#"{{"ticket":"{ticket}"}}"#),
            None
        )
        .await
        .status,
        StatusCode::OK
    );
    let replay = post(
        &app,
        "/api/wechat/ticket",
        format!(r#"{{"ticket":"{ticket}"}}"#),
        None,
    )
    .await;
    assert_eq!(
        (replay.status, replay.json()["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("ticket"))
    );
    assert_eq!(replay.json()["message"], "登录凭证无效或已使用，请重新打开");
    let forged = post(
        &app,
        "/api/wechat/ticket",
        r#"{"ticket":"forged"}"#.to_owned(),
        None,
    )
    .await;
    assert_eq!(forged.status, StatusCode::BAD_REQUEST);
    // An expired ticket.
    let issued = post(
        &app,
        "/api/wechat/mini/login",
        format!(r#"{{"code":"{}"}}"#, fake.code_for("o-bob")),
        None,
    )
    .await;
    sqlx::query("UPDATE wechat_tokens SET expires_at = '2000-01-01T00:00:00.000Z'")
        .execute(&app.db.pool)
        .await
        .unwrap();
    let late = post(
        &app,
        "/api/wechat/ticket",
        format!(
            r#"{{"ticket":"{}"}}"#,
            issued.json()["ticket"].as_str().unwrap()
        ),
        None,
    )
    .await;
    assert_eq!(late.status, StatusCode::BAD_REQUEST);
}

/// Follows WeChat's silent authorize redirect over real HTTP: the callback URL it sends us to.
async fn through_wechat(location: &str) -> String {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let answer = client.get(location).send().await.unwrap();
    assert_eq!(answer.status(), 302);
    answer.headers()["location"].to_str().unwrap().to_owned()
}

async fn oauth_round(app: &TestApp) -> Answer {
    let start = app.get("/api/wechat/oauth/start?return=/policies").await;
    assert_eq!(start.status, StatusCode::FOUND);
    let location = start.header("location").to_owned();
    assert!(location.contains("/connect/oauth2/authorize?appid=wx-mp-test&redirect_uri=http%3A%2F%2Fzhida.test%2Fapi%2Fwechat%2Foauth%2Fcallback"), "{location}");
    assert!(location.ends_with("#wechat_redirect"));
    let state_cookie = start
        .header("set-cookie")
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let callback = through_wechat(&location).await;
    let path = callback
        .strip_prefix("http://zhida.test")
        .unwrap()
        .to_owned();
    app.send(
        Request::get(path)
            .header("cookie", state_cookie)
            .body(Body::empty())
            .unwrap(),
    )
    .await
}

async fn official_account_oauth_binds_then_logs_in(app: TestApp) {
    let (app, fake) = with_fake(app).await;
    let methods = app.get("/api/auth/methods").await.json();
    assert_eq!(methods["wechat_browser"], true, "{methods}");
    assert_eq!(methods["wechat_mini"], true, "{methods}");
    *fake.browser_openid.lock().unwrap() = "o-carol".into();
    let first = oauth_round(&app).await;
    assert_eq!(first.status, StatusCode::FOUND);
    assert_eq!(
        first.header("location"),
        "/login?wechat=1",
        "first time: to the phone step, no token in the URL"
    );
    assert!(session_cookie(&first).is_none());
    let bound = verify_phone_with_binding(&app, "13500000002", &binding_cookie(&first)).await;
    assert_eq!(bound.status, StatusCode::OK, "{}", bound.text());
    let second = oauth_round(&app).await;
    assert_eq!(
        second.header("location"),
        "/policies",
        "back where the person was going"
    );
    let cookie = session_cookie(&second).expect("a session");
    let me = app
        .send(
            Request::get("/api/me")
                .header("cookie", cookie)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(me.json()["person"]["phone"], "135****0002");
}

async fn oauth_refuses_a_forged_state(app: TestApp) {
    let (app, fake) = with_fake(app).await;
    let code = fake.code_for("o-dave");
    let no_cookie = app
        .get(&format!("/api/wechat/oauth/callback?code={code}&state=abc"))
        .await;
    assert_eq!(
        (no_cookie.status, no_cookie.json()["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("state"))
    );
    let wrong = app
        .send(
            Request::get(format!("/api/wechat/oauth/callback?code={code}&state=abc"))
                .header("cookie", "zhida_oauth=xyz|%2Fme")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::BAD_REQUEST);
}

async fn wechat_not_configured_says_so(app: TestApp) {
    // The app is told, so it offers no WeChat login.
    let methods = app.get("/api/auth/methods").await.json();
    assert_eq!(methods["wechat_browser"], false, "{methods}");
    assert_eq!(methods["wechat_mini"], false, "{methods}");
    let answer = post(
        &app,
        "/api/wechat/mini/login",
        r#"{"code":"x"}"#.to_owned(),
        None,
    )
    .await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
    assert_eq!(
        app.get("/api/wechat/oauth/start").await.status,
        StatusCode::NOT_FOUND
    );
}

async fn tickets_work_only_in_the_mini_program(app: TestApp) {
    let (app, fake) = with_fake(app).await;
    let issued = post(
        &app,
        "/api/wechat/mini/login",
        format!(r#"{{"code":"{}"}}"#, fake.code_for("o-erin")),
        None,
    )
    .await;
    let ticket = issued.json()["ticket"].as_str().unwrap().to_owned();
    // The same ticket opened as a link in an ordinary browser is refused.
    let request = Request::post("/api/wechat/ticket")
        .header("content-type", "application/json")
        .header(
            "user-agent",
            "Mozilla/5.0 (Linux; Android 14) Chrome/156.0 Mobile Safari/537.36",
        )
        .body(Body::from(format!(r#"{{"ticket":"{ticket}"}}"#)))
        .unwrap();
    let answer = app.send(request).await;
    assert_eq!(
        (answer.status, answer.json()["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("ticket"))
    );
    // And it was not spent: the web-view can still use it.
    assert_eq!(
        post(
            &app,
            "/api/wechat/ticket",
            format!(r#"{{"ticket":"{ticket}"}}"#),
            None
        )
        .await
        .status,
        StatusCode::OK
    );
}

async fn a_bound_wechat_cannot_be_moved(app: TestApp) {
    let (app, fake) = with_fake(app).await;
    // Two pending bindings for one WeChat user (two web-views opened before either finished).
    let mut cookies = Vec::new();
    for _ in 0..2 {
        let issued = post(
            &app,
            "/api/wechat/mini/login",
            format!(r#"{{"code":"{}"}}"#, fake.code_for("o-frank")),
            None,
        )
        .await;
        let ticket = issued.json()["ticket"].as_str().unwrap().to_owned();
        cookies.push(binding_cookie(
            &post(
                &app,
                "/api/wechat/ticket",
                format!(r#"{{"ticket":"{ticket}"}}"#),
                None,
            )
            .await,
        ));
    }
    assert_eq!(
        verify_phone_with_binding(&app, "13500000004", &cookies[0])
            .await
            .status,
        StatusCode::OK
    );
    let moved = verify_phone_with_binding(&app, "13500000005", &cookies[1]).await;
    assert_eq!(
        (moved.status, moved.json()["code"].as_str()),
        (StatusCode::CONFLICT, Some("conflict"))
    );
}

async fn bindings(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM wechat_bindings")
        .fetch_one(&app.db.pool)
        .await
        .unwrap()
}

//! Logging in and out, sessions, CSRF, rate limits and security headers, on both databases.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::{Answer, TestApp};

on_both_databases!(
    a_resident_logs_in_with_phone_and_code,
    a_wrong_code_is_refused_then_the_right_one_works,
    a_code_cannot_be_used_twice,
    an_expired_code_is_refused,
    too_many_wrong_codes_end_the_code,
    sending_codes_is_rate_limited,
    a_malformed_phone_is_a_field_error,
    state_changing_requests_need_the_csrf_header,
    a_forged_cookie_is_unauthenticated,
    logging_out_ends_the_session_on_the_server,
    logging_out_everywhere_ends_every_session,
    staff_log_in_with_password_and_authenticator,
    staff_are_locked_out_after_repeated_failures,
    an_authenticator_code_works_once,
    security_headers_are_on_every_answer,
    personal_numbers_are_encrypted_at_rest_and_masked,
    demo_mode_shows_codes_and_nothing_else_does,
    a_person_records_their_identity_with_checks,
    over_https_cookies_are_secure_and_hsts_is_sent,
    unknown_staff_usernames_answer_like_real_ones,
    the_app_is_told_whether_phone_logins_work,
);

const PHONE: &str = "13912345678";

fn cookie_of(answer: &Answer) -> String {
    let set = answer.header("set-cookie");
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Lax") && set.contains("Path=/"),
        "{set}"
    );
    set.split(';').next().unwrap().to_owned()
}

async fn post(app: &TestApp, uri: &str, json: &str, cookie: Option<&str>) -> Answer {
    let mut r = Request::post(uri).header("content-type", "application/json");
    if let Some(c) = cookie {
        r = r.header("cookie", c);
    }
    app.send(r.body(Body::from(json.to_owned())).unwrap()).await
}

async fn get(app: &TestApp, uri: &str, cookie: &str) -> Answer {
    app.send(
        Request::get(uri)
            .header("cookie", cookie)
            .body(Body::empty())
            .unwrap(),
    )
    .await
}

/// Asks for a code and returns the one the SMS gateway was given.
async fn code_for(app: &TestApp, phone: &str) -> String {
    let sent = post(
        app,
        "/api/auth/sms/send",
        &format!(r#"{{"phone":"{phone}"}}"#),
        None,
    )
    .await;
    assert_eq!(sent.status, StatusCode::OK, "{}", sent.text());
    let phone = api::Mobile::parse(phone).unwrap();
    assert_eq!(sent.json()["phone"], phone.masked());
    if !app.state.settings.demo {
        assert!(
            sent.json().get("demo_code").is_none(),
            "no code in the answer outside demo mode"
        );
    }
    app.sms.last_code(phone.expose()).unwrap()
}

async fn login(app: &TestApp, phone: &str) -> String {
    let code = code_for(app, phone).await;
    let answer = post(
        app,
        "/api/auth/sms/verify",
        &format!(r#"{{"phone":"{phone}","code":"{code}"}}"#),
        None,
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    cookie_of(&answer)
}

async fn a_resident_logs_in_with_phone_and_code(app: TestApp) {
    let cookie = login(&app, PHONE).await;
    let me = get(&app, "/api/me", &cookie).await;
    assert_eq!(me.status, StatusCode::OK);
    assert!(me.json()["person"].is_object(), "{}", me.text());
    assert_eq!(me.json()["person"]["phone"], "139****5678");
    let revealed = get(&app, "/api/me?reveal=phone", &cookie).await;
    assert_eq!(
        revealed.json()["person"]["phone"],
        PHONE,
        "the owner may see their own number"
    );
    assert!(get(&app, "/api/auth/session", &cookie).await.json()["person"].is_object());
    assert_eq!(
        app.get("/api/auth/session").await.json(),
        serde_json::Value::Null,
        "nobody: null, not 401"
    );
    // The same phone logs into the same account (a minute later, as far as limits go).
    sqlx::query("DELETE FROM rate_limits")
        .execute(&app.db.pool)
        .await
        .unwrap();
    let again = login(&app, "+86 139 1234 5678").await;
    assert_eq!(
        get(&app, "/api/me", &again).await.json()["person"]["id"],
        me.json()["person"]["id"]
    );
    assert_eq!(app.get("/api/me").await.status, StatusCode::UNAUTHORIZED);
}

async fn a_wrong_code_is_refused_then_the_right_one_works(app: TestApp) {
    let code = code_for(&app, PHONE).await;
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let answer = post(
        &app,
        "/api/auth/sms/verify",
        &format!(r#"{{"phone":"{PHONE}","code":"{wrong}"}}"#),
        None,
    )
    .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        (
            answer.json()["code"].as_str(),
            answer.json()["field"].as_str()
        ),
        (Some("invalid_code"), Some("code"))
    );
    assert_eq!(answer.json()["message"], "验证码不正确，请重新输入");
    assert!(answer.header("set-cookie").is_empty());
    let answer = post(
        &app,
        "/api/auth/sms/verify",
        &format!(r#"{{"phone":"{PHONE}","code":"12ab"}}"#),
        None,
    )
    .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    let answer = post(
        &app,
        "/api/auth/sms/verify",
        &format!(r#"{{"phone":"{PHONE}","code":"{code}"}}"#),
        None,
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK);
}

async fn a_code_cannot_be_used_twice(app: TestApp) {
    let code = code_for(&app, PHONE).await;
    let body = format!(r#"{{"phone":"{PHONE}","code":"{code}"}}"#);
    assert_eq!(
        post(&app, "/api/auth/sms/verify", &body, None).await.status,
        StatusCode::OK
    );
    let again = post(&app, "/api/auth/sms/verify", &body, None).await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST);
    assert_eq!(again.json()["message"], "验证码已使用过，请重新获取");
}

async fn an_expired_code_is_refused(app: TestApp) {
    let code = code_for(&app, PHONE).await;
    sqlx::query("UPDATE sms_codes SET expires_at = '2000-01-01T00:00:00.000Z'")
        .execute(&app.db.pool)
        .await
        .unwrap();
    let answer = post(
        &app,
        "/api/auth/sms/verify",
        &format!(r#"{{"phone":"{PHONE}","code":"{code}"}}"#),
        None,
    )
    .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_eq!(answer.json()["message"], "验证码已过期，请重新获取");
}

async fn too_many_wrong_codes_end_the_code(app: TestApp) {
    let code = code_for(&app, PHONE).await;
    let wrong = if code == "000000" { "111111" } else { "000000" };
    for _ in 0..5 {
        post(
            &app,
            "/api/auth/sms/verify",
            &format!(r#"{{"phone":"{PHONE}","code":"{wrong}"}}"#),
            None,
        )
        .await;
    }
    let answer = post(
        &app,
        "/api/auth/sms/verify",
        &format!(r#"{{"phone":"{PHONE}","code":"{code}"}}"#),
        None,
    )
    .await;
    assert_eq!(
        answer.status,
        StatusCode::BAD_REQUEST,
        "guessing cannot go on"
    );
}

async fn sending_codes_is_rate_limited(app: TestApp) {
    code_for(&app, PHONE).await;
    let again = post(
        &app,
        "/api/auth/sms/send",
        &format!(r#"{{"phone":"{PHONE}"}}"#),
        None,
    )
    .await;
    assert_eq!(again.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(again.json()["code"], "rate_limited");
    let retry: u64 = again.header("retry-after").parse().unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    // Another phone is not affected.
    code_for(&app, "13700000000").await;
}

async fn a_malformed_phone_is_a_field_error(app: TestApp) {
    let answer = post(&app, "/api/auth/sms/send", r#"{"phone":"12345"}"#, None).await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        (
            answer.json()["code"].as_str(),
            answer.json()["field"].as_str()
        ),
        (Some("invalid_field"), Some("phone"))
    );
    assert_eq!(answer.json()["message"], "请输入 11 位手机号码");
}

async fn state_changing_requests_need_the_csrf_header(app: TestApp) {
    let request = Request::post("/api/auth/sms/send")
        .header("content-type", "application/json")
        .body(Body::from(format!(r#"{{"phone":"{PHONE}"}}"#)))
        .unwrap();
    let answer = app.send_raw(request).await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert_eq!(
        (
            answer.json()["code"].as_str(),
            answer.json()["field"].as_str()
        ),
        (Some("csrf_required"), Some("X-Requested-With"))
    );
    assert!(app.sms.last_code(PHONE).is_none(), "nothing was sent");
    let cookie = login(&app, PHONE).await;
    let logout = app
        .send_raw(
            Request::post("/api/auth/logout")
                .header("cookie", &cookie)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(logout.status, StatusCode::FORBIDDEN);
    assert_eq!(
        get(&app, "/api/me", &cookie).await.status,
        StatusCode::OK,
        "the session survives a forged logout"
    );
}

async fn a_forged_cookie_is_unauthenticated(app: TestApp) {
    for cookie in ["zhida_session=forged", "zhida_session=", "other=1"] {
        let answer = get(&app, "/api/me", cookie).await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{cookie}");
        assert_eq!(answer.json()["message"], "请先登录");
    }
    // An expired session is as good as none.
    let cookie = login(&app, PHONE).await;
    sqlx::query("UPDATE sessions SET idle_expires_at = '2000-01-01T00:00:00.000Z'")
        .execute(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(
        get(&app, "/api/me", &cookie).await.status,
        StatusCode::UNAUTHORIZED
    );
}

async fn logging_out_ends_the_session_on_the_server(app: TestApp) {
    let cookie = login(&app, PHONE).await;
    let out = post(&app, "/api/auth/logout", "", Some(&cookie)).await;
    assert_eq!(out.status, StatusCode::NO_CONTENT);
    assert!(out.header("set-cookie").contains("Max-Age=0"));
    assert_eq!(
        get(&app, "/api/me", &cookie).await.status,
        StatusCode::UNAUTHORIZED,
        "the old cookie no longer works"
    );
}

async fn logging_out_everywhere_ends_every_session(app: TestApp) {
    let phone_one = login(&app, PHONE).await;
    sqlx::query("DELETE FROM rate_limits")
        .execute(&app.db.pool)
        .await
        .unwrap();
    let phone_two = login(&app, PHONE).await;
    let devices = get(&app, "/api/me/sessions", &phone_one).await.json();
    assert_eq!(devices.as_array().unwrap().len(), 2);
    assert_eq!(
        devices
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| d["current"] == true)
            .count(),
        1
    );
    assert_eq!(
        post(&app, "/api/auth/logout-all", "", Some(&phone_two))
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        get(&app, "/api/me", &phone_one).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        get(&app, "/api/me", &phone_two).await.status,
        StatusCode::UNAUTHORIZED
    );
}

async fn staff_login(app: &TestApp, username: &str, password: &str, totp: &str) -> Answer {
    post(
        app,
        "/api/auth/staff/login",
        &format!(r#"{{"username":"{username}","password":"{password}","totp":"{totp}"}}"#),
        None,
    )
    .await
}

fn totp_now(username: &str, offset_steps: i64) -> String {
    let step = time::OffsetDateTime::now_utc().unix_timestamp() / 30 + offset_steps;
    server::accounts::totp::code_at(format!("zhida-demo-totp-{username}").as_bytes(), step)
}

async fn staff_log_in_with_password_and_authenticator(app: TestApp) {
    let app = app.demo().await;
    let answer = staff_login(
        &app,
        "reviewer",
        server::demo::STAFF_PASSWORD,
        &totp_now("reviewer", 0),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    assert!(answer.json()["staff"].is_object());
    assert_eq!(
        answer.json()["staff"]["permissions"],
        serde_json::json!(["licence_review"])
    );
    let cookie = cookie_of(&answer);
    assert_eq!(
        get(&app, "/api/me", &cookie).await.json()["staff"]["username"],
        "reviewer"
    );
    for (password, totp) in [
        ("wrong".to_owned(), totp_now("reviewer", 0)),
        (server::demo::STAFF_PASSWORD.to_owned(), "000000".to_owned()),
    ] {
        let answer = staff_login(&app, "reviewer", &password, &totp).await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
        assert_eq!(answer.json()["message"], "用户名、密码或动态验证码不正确");
    }
    assert_eq!(
        staff_login(&app, "nobody", "x", "123456").await.status,
        StatusCode::UNAUTHORIZED
    );
}

async fn staff_are_locked_out_after_repeated_failures(app: TestApp) {
    let app = app.demo().await;
    for _ in 0..4 {
        assert_eq!(
            staff_login(&app, "reviewer", "wrong", "123456")
                .await
                .status,
            StatusCode::UNAUTHORIZED
        );
    }
    let locked = staff_login(&app, "reviewer", "wrong", "123456").await;
    assert_eq!(locked.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(locked.json()["code"], "login_locked");
    assert_eq!(locked.header("retry-after"), "60");
    // Even the right credentials wait for the lock to pass.
    let right = staff_login(
        &app,
        "reviewer",
        server::demo::STAFF_PASSWORD,
        &totp_now("reviewer", 0),
    )
    .await;
    assert_eq!(right.status, StatusCode::TOO_MANY_REQUESTS);
    // The next failure after a lock doubles it.
    sqlx::query("UPDATE staff SET locked_until = NULL")
        .execute(&app.db.pool)
        .await
        .unwrap();
    let again = staff_login(&app, "reviewer", "wrong", "123456").await;
    assert_eq!(again.header("retry-after"), "120");
}

async fn an_authenticator_code_works_once(app: TestApp) {
    let app = app.demo().await;
    let code = totp_now("policyadmin", 0);
    assert_eq!(
        staff_login(&app, "policyadmin", server::demo::STAFF_PASSWORD, &code)
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        staff_login(&app, "policyadmin", server::demo::STAFF_PASSWORD, &code)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
}

async fn security_headers_are_on_every_answer(app: TestApp) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("index.html"), "<html><script>gate()</script><script type=\"module\">import init from '/a.js';</script></html>").unwrap();
    let app = app.with_static_dir(dir.path());
    for path in ["/", "/api/health", "/api/nope", "/policies"] {
        let a = app.get(path).await;
        let csp = a.header("content-security-policy");
        assert!(
            csp.contains("script-src 'self' 'wasm-unsafe-eval' 'sha256-"),
            "{path}: {csp}"
        );
        assert_eq!(
            csp.matches("'sha256-").count(),
            2,
            "both inline scripts are allowed by hash"
        );
        assert!(
            !csp.contains("unsafe-inline")
                && csp.contains("object-src 'none'")
                && csp.contains("frame-ancestors 'self'")
        );
        assert_eq!(a.header("x-content-type-options"), "nosniff", "{path}");
        assert_eq!(
            a.header("referrer-policy"),
            "strict-origin-when-cross-origin"
        );
        assert!(a.header("permissions-policy").contains("camera=()"));
        assert_eq!(
            a.header("strict-transport-security"),
            "",
            "no HSTS over plain HTTP"
        );
    }
}

async fn personal_numbers_are_encrypted_at_rest_and_masked(app: TestApp) {
    let app = app.demo().await;
    let phones: Vec<Vec<u8>> = sqlx::query_scalar("SELECT phone_enc FROM users")
        .fetch_all(&app.db.pool)
        .await
        .unwrap();
    assert!(phones.len() >= 5);
    for sealed in &phones {
        assert!(
            !sealed.windows(11).any(|w| w.starts_with(b"1380000")),
            "no phone number in clear"
        );
    }
    let ids: Vec<Vec<u8>> = sqlx::query_scalar("SELECT id_number_enc FROM users")
        .fetch_all(&app.db.pool)
        .await
        .unwrap();
    assert!(
        ids.iter().all(|s| !s.windows(6).any(|w| w == b"440604")),
        "no ID number in clear"
    );
    let cookie = login(&app, "13800000001").await;
    let me = get(&app, "/api/me", &cookie).await.json();
    let id = me["person"]["id_number"].as_str().unwrap();
    assert_eq!((id.len(), &id[..4], &id[4..14]), (18, "4406", "**********"));
    assert_eq!(me["person"]["phone"], "138****0001");
}

async fn demo_mode_shows_codes_and_nothing_else_does(app: TestApp) {
    assert_eq!(
        app.get("/api/auth/staff/demo-totp?username=reviewer")
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let app = app.demo().await;
    let sent = post(
        &app,
        "/api/auth/sms/send",
        r#"{"phone":"13800000001"}"#,
        None,
    )
    .await;
    assert_eq!(sent.json()["demo_code"].as_str().map(str::len), Some(6));
    let hint = app.get("/api/auth/staff/demo-totp?username=reviewer").await;
    assert_eq!(hint.status, StatusCode::OK);
    let now = totp_now("reviewer", 0);
    let code = hint.json();
    assert!(
        code == now.as_str() || code == totp_now("reviewer", -1).as_str(),
        "{code} vs {now}"
    );
}

async fn put(app: &TestApp, uri: &str, json: &str, cookie: &str) -> Answer {
    let r = Request::put(uri)
        .header("content-type", "application/json")
        .header("cookie", cookie);
    app.send(r.body(Body::from(json.to_owned())).unwrap()).await
}

async fn a_person_records_their_identity_with_checks(app: TestApp) {
    common::register_resident(&app, "R-LIN", "11010519491231002X", "林小梅").await;
    let cookie = login(&app, PHONE).await;
    let good = r#"{"name":"林小梅","id_number":"11010519491231002x"}"#;
    let answer = put(&app, "/api/me/identity", good, &cookie).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    assert_eq!(answer.json()["person"]["id_number"], "1101**********002X");
    assert_eq!(answer.json()["person"]["name"], "林小梅");
    for (json, field, message) in [
        (
            r#"{"name":"林","id_number":"110105194912310021"}"#,
            "id_number",
            "身份证号码校验位不对，请核对是否输错",
        ),
        (
            r#"{"name":"林","id_number":"11010519490231002X"}"#,
            "id_number",
            "身份证号码中的出生日期不正确",
        ),
        (
            r#"{"name":"林","id_number":"1101051949"}"#,
            "id_number",
            "身份证号码应为 18 位",
        ),
        (
            r#"{"name":"  ","id_number":"11010519491231002X"}"#,
            "name",
            "请填写此项",
        ),
    ] {
        let answer = put(&app, "/api/me/identity", json, &cookie).await;
        assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY, "{json}");
        assert_eq!(
            (
                answer.json()["field"].as_str(),
                answer.json()["message"].as_str()
            ),
            (Some(field), Some(message)),
            "{json}"
        );
    }
    // One account per ID number.
    sqlx::query("DELETE FROM rate_limits")
        .execute(&app.db.pool)
        .await
        .unwrap();
    let other = login(&app, "13700000001").await;
    let taken = put(&app, "/api/me/identity", good, &other).await;
    assert_eq!(
        (taken.status, taken.json()["code"].as_str()),
        (StatusCode::CONFLICT, Some("conflict"))
    );
    assert_eq!(
        put(&app, "/api/me/identity", good, "zhida_session=nope")
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
}

async fn over_https_cookies_are_secure_and_hsts_is_sent(app: TestApp) {
    let app = app.https();
    assert_eq!(
        app.get("/api/health")
            .await
            .header("strict-transport-security"),
        "max-age=31536000; includeSubDomains"
    );
    let code = code_for(&app, PHONE).await;
    let answer = post(
        &app,
        "/api/auth/sms/verify",
        &format!(r#"{{"phone":"{PHONE}","code":"{code}"}}"#),
        None,
    )
    .await;
    assert!(
        answer.header("set-cookie").ends_with("; Secure"),
        "{}",
        answer.header("set-cookie")
    );
}

async fn unknown_staff_usernames_answer_like_real_ones(app: TestApp) {
    let app = app.demo().await;
    for (username, _) in [("reviewer", ()), ("no-such-person", ())] {
        let mut statuses = Vec::new();
        for _ in 0..5 {
            statuses.push(staff_login(&app, username, "wrong", "123456").await);
        }
        let last = statuses.pop().unwrap();
        assert!(
            statuses
                .iter()
                .all(|a| a.status == StatusCode::UNAUTHORIZED),
            "{username}"
        );
        assert_eq!(
            (last.status, last.json()["code"].as_str()),
            (StatusCode::TOO_MANY_REQUESTS, Some("login_locked")),
            "{username}"
        );
        assert_eq!(last.header("retry-after"), "60", "{username}");
    }
}

/// Without an SMS gateway the login page must not offer the phone form: the server says so.
async fn the_app_is_told_whether_phone_logins_work(app: TestApp) {
    assert_eq!(app.get("/api/auth/methods").await.json()["sms"], true);
    let mut app = app;
    app.state.sms = std::sync::Arc::new(server::platform::sms::NoSms);
    let app = app.rebuilt();
    assert_eq!(app.get("/api/auth/methods").await.json()["sms"], false);
}

//! Staff provisioned for real: `zhida staff add` makes an account that cannot log in until its
//! one-time link is used to set a password and enrol an authenticator; the new reviewer then
//! reviews an application. Recovery codes stand in for a lost phone once each; a disabled
//! account and its sessions end at once.

mod common;

use api::account::{EnrolmentFinish, EnrolmentToken, Permission, StaffLogin};
use api::licence::{Action, Stage};
use axum::http::StatusCode;
use common::licence::{go, step, submitted_pharmacy};
use common::{login_phone, Answer, TestApp};
use server::accounts::enrolment;
use server::accounts::totp;

on_both_databases!(
    a_new_reviewer_enrols_and_reviews,
    staff_accounts_end_and_recover
);

async fn post<T: serde::Serialize>(app: &TestApp, uri: &str, cookie: &str, body: &T) -> Answer {
    app.call(
        "POST",
        uri,
        cookie,
        Some(&serde_json::to_string(body).unwrap()),
    )
    .await
}

/// The authenticator's code now, from the secret the server keeps (as the app on the
/// reviewer's phone would compute it from the QR code).
async fn code_now(app: &TestApp, username: &str) -> String {
    let sealed: Vec<u8> =
        sqlx::query_scalar("SELECT totp_secret_enc FROM staff WHERE username = $1")
            .bind(username)
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    let secret = app.state.vault.decrypt(&sealed).unwrap();
    let step = time::OffsetDateTime::now_utc().unix_timestamp() / totp::STEP_SECS;
    totp::code_at(secret.as_bytes(), step)
}

async fn login(app: &TestApp, username: &str, password: &str, code: &str) -> Answer {
    sqlx::query("DELETE FROM rate_limits")
        .execute(&app.db.pool)
        .await
        .unwrap();
    let body = StaffLogin {
        username: username.to_owned(),
        password: password.to_owned(),
        totp: code.to_owned(),
    };
    post(app, "/api/auth/staff/login", "", &body).await
}

const PASSWORD: &str = "a long enough passphrase";

/// Provisions `wang` and enrols him: the session cookie and his recovery codes.
async fn enrolled(app: &TestApp) -> (String, Vec<String>) {
    let token = enrolment::provision(
        &app.db,
        "Wang",
        "王审批（许可审查员）",
        "禅城区行政服务中心",
        &[Permission::LicenceReview],
    )
    .await
    .unwrap();
    // Not yet enrolled: no login, whatever is typed.
    assert_eq!(
        login(app, "wang", "", "000000").await.status,
        StatusCode::UNAUTHORIZED
    );
    let wrong = EnrolmentToken {
        token: "not-a-link".into(),
    };
    let refused = post(app, "/api/staff/enrolment/start", "", &wrong).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert_eq!(refused.json()["field"], "token");
    assert!(refused.json()["message"]
        .as_str()
        .unwrap()
        .contains("开通链接已用过或已过期"));
    let link = EnrolmentToken {
        token: token.clone(),
    };
    let started = post(app, "/api/staff/enrolment/start", "", &link).await;
    assert_eq!(started.status, StatusCode::OK, "{}", started.text());
    let started = started.json();
    assert_eq!(started["username"], "wang");
    let uri = started["otpauth_uri"].as_str().unwrap();
    assert!(
        uri.starts_with("otpauth://totp/Zhida:wang?secret="),
        "{uri}"
    );
    assert!(uri.contains(started["secret"].as_str().unwrap()));
    assert!(started["qr_svg"].as_str().unwrap().contains("<svg"));

    let finish = |password: &str, code: &str| EnrolmentFinish {
        token: token.clone(),
        password: password.to_owned(),
        totp: code.to_owned(),
    };
    let short = post(
        app,
        "/api/staff/enrolment/finish",
        "",
        &finish("short", "000000"),
    )
    .await;
    assert_eq!(short.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(short.json()["field"], "password");
    let named = finish("wang-wang-wang-wang", "000000");
    assert_eq!(
        post(app, "/api/staff/enrolment/finish", "", &named)
            .await
            .json()["field"],
        "password"
    );
    let code = code_now(app, "wang").await;
    let wrong_code = if code == "000000" { "111111" } else { "000000" };
    let bad = post(
        app,
        "/api/staff/enrolment/finish",
        "",
        &finish(PASSWORD, wrong_code),
    )
    .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad.json()["field"], "totp");
    let done = post(
        app,
        "/api/staff/enrolment/finish",
        "",
        &finish(PASSWORD, &code),
    )
    .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.text());
    let cookie = done
        .header("set-cookie")
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let body = done.json();
    assert_eq!(body["me"]["staff"]["username"], "wang");
    let codes: Vec<String> = body["recovery_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(codes.len(), enrolment::RECOVERY_CODES);
    // The link is used up.
    let again = post(app, "/api/staff/enrolment/start", "", &link).await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST);
    (cookie, codes)
}

async fn a_new_reviewer_enrols_and_reviews(app: TestApp) {
    let app = app.demo().await;
    let owner = login_phone(&app, "13800000005").await;
    let id = submitted_pharmacy(&app, &owner).await;
    let (wang, _) = enrolled(&app).await;
    let queue = app
        .call("GET", "/api/staff/licences/applications", &wang, None)
        .await;
    assert_eq!(queue.status, StatusCode::OK, "{}", queue.text());
    let accepted = step(&app, &wang, true, id, &go(Action::Accept, Stage::Submitted)).await;
    assert_eq!(accepted.status, StatusCode::OK, "{}", accepted.text());
    assert_eq!(accepted.json()["stage"], "accepted");
}

async fn staff_accounts_end_and_recover(app: TestApp) {
    let (session, codes) = enrolled(&app).await;
    // A recovery code stands in for the authenticator once.
    assert_eq!(
        login(&app, "wang", PASSWORD, &codes[0]).await.status,
        StatusCode::OK
    );
    assert_eq!(
        login(&app, "wang", PASSWORD, &codes[0]).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        login(&app, "wang", "wrong password here", &codes[1])
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    // Disabled: no login, and the open session ends now.
    enrolment::disable(&app.db, "wang").await.unwrap();
    assert_eq!(
        app.call("GET", "/api/me", &session, None).await.status,
        StatusCode::UNAUTHORIZED
    );
    let code = code_now(&app, "wang").await;
    assert_eq!(
        login(&app, "wang", PASSWORD, &code).await.status,
        StatusCode::UNAUTHORIZED
    );
    // Re-linked (a lost phone): the old password is void until enrolled again.
    let token = enrolment::relink(&app.db, "wang").await.unwrap();
    assert!(!token.is_empty());
    assert_eq!(
        login(&app, "wang", PASSWORD, &code).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert!(
        enrolment::provision(&app.db, "wang", "x", "y", &[Permission::Admin])
            .await
            .is_err()
    );
    assert!(enrolment::disable(&app.db, "nobody").await.is_err());
}

//! The authorization matrix: every account endpoint × every role × own or another's resource.
//! Another person's resource answers 404; a wrong role 403; no session 401.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::routing::get;
use axum::Router;
use common::{login_phone, TestApp};
use server::accounts::auth::{ActingFor, Licences, Subsidies};
use tower::ServiceExt;

on_both_databases!(
    department_feeds_authenticate_by_key,
    the_matrix_holds,
    agents_are_authorised_revoked_and_expire,
    acting_for_checks_scope_expiry_and_revocation,
    staff_reads_are_logged_for_the_person
);

/// The demo accounts, logged in: (name, cookie).
struct Roles {
    anonymous: String,
    resident: String,
    representative: String,
    agent: String,
    pharmacy: String,
    staff: String,
}

async fn login_staff(app: &TestApp) -> String {
    common::login_staff(app, "reviewer").await
}

async fn roles(app: &TestApp) -> Roles {
    Roles {
        anonymous: String::new(),
        resident: login_phone(app, "13800000001").await,
        representative: login_phone(app, "13800000003").await,
        agent: login_phone(app, "13800000004").await,
        pharmacy: login_phone(app, "13800000005").await,
        staff: login_staff(app).await,
    }
}

async fn call(
    app: &TestApp,
    method: &str,
    uri: &str,
    cookie: &str,
    body: Option<&str>,
) -> StatusCode {
    let mut r = Request::builder().method(method).uri(uri);
    if !cookie.is_empty() {
        r = r.header("cookie", cookie);
    }
    let r = match body {
        Some(b) => r
            .header("content-type", "application/json")
            .body(Body::from(b.to_owned())),
        None => r.body(Body::empty()),
    };
    app.send(r.unwrap()).await.status
}

async fn enterprise_ids(app: &TestApp) -> (i64, i64) {
    let m: i64 = sqlx::query_scalar("SELECT id FROM enterprises WHERE enterprise_ref = 'DEMO-E1'")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    let p: i64 = sqlx::query_scalar("SELECT id FROM enterprises WHERE enterprise_ref = 'DEMO-E2'")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    (m, p)
}

async fn the_matrix_holds(app: TestApp) {
    let app = app.demo().await;
    let r = roles(&app).await;
    let (m, p) = enterprise_ids(&app).await;
    let resident_id: i64 =
        sqlx::query_scalar("SELECT id FROM users WHERE resident_ref = 'DEMO-R1'")
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    let agent_row: i64 = sqlx::query_scalar("SELECT id FROM enterprise_agents")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    // 家人代办: the pharmacy owner has authorised a family member.
    let family = r#"{"phone":"13700000008","scopes":{"subsidies":true,"licences":false},"expires_on":"2099-12-31"}"#;
    let family_row = app
        .call("POST", "/api/me/family-agents", &r.pharmacy, Some(family))
        .await
        .json()["id"]
        .as_i64()
        .unwrap();
    let other_session: i64 = sqlx::query_scalar("SELECT MIN(id) FROM sessions")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    // 一照通: the pharmacy owner's draft, and a sent application (as a person).
    let draft = common::licence::start(&app, &r.pharmacy, "other", &[]).await["id"]
        .as_i64()
        .unwrap();
    let sent = common::licence::submitted_pharmacy(&app, &r.pharmacy).await;
    let draft_uri = format!("/api/licences/applications/{draft}");
    let draft_answers = format!("{draft_uri}/answers");
    let sent_uri = format!("/api/licences/applications/{sent}");
    let sent_steps = format!("{sent_uri}/transitions");
    let sent_file = format!("{sent_uri}/materials/legal_rep_id");
    let staff_draft = format!("/api/staff/licences/applications/{draft}");
    let staff_sent = format!("/api/staff/licences/applications/{sent}");
    let staff_file = format!("{staff_sent}/materials/legal_rep_id");
    let staff_steps = format!("{staff_sent}/transitions");
    let catalogue = app.get("/api/licences/catalogue").await.text();
    use StatusCode as S;
    let agents_m = format!("/api/enterprises/{m}/agents");
    let agents_p = format!("/api/enterprises/{p}/agents");
    let new_agent = r#"{"phone":"13700000009","scopes":{"subsidies":true,"licences":false},"expires_on":"2099-12-31"}"#;
    let act_m = format!(r#"{{"enterprise_id":{m}}}"#);
    let revoke = format!("/api/enterprises/{m}/agents/{agent_row}");
    let person = format!("/api/staff/people/{resident_id}/read");
    let session_other = format!("/api/me/sessions/{other_session}");
    // (method, uri, body, [anonymous, resident, representative, agent, pharmacy, staff])
    let new_family = r#"{"phone":"13700000007","scopes":{"subsidies":true,"licences":false},"expires_on":"2099-12-31"}"#;
    let revoke_family = format!("/api/me/family-agents/{family_row}");
    let rows: Vec<(&str, &str, Option<&str>, [S; 6])> = vec![
        (
            "GET",
            "/api/me",
            None,
            [S::UNAUTHORIZED, S::OK, S::OK, S::OK, S::OK, S::OK],
        ),
        (
            "GET",
            "/api/me/family-agents",
            None,
            [S::UNAUTHORIZED, S::OK, S::OK, S::OK, S::OK, S::FORBIDDEN],
        ),
        (
            "GET",
            "/api/me/channels",
            None,
            [S::UNAUTHORIZED, S::OK, S::OK, S::OK, S::OK, S::FORBIDDEN],
        ),
        (
            "GET",
            "/api/me/follows",
            None,
            [S::UNAUTHORIZED, S::OK, S::OK, S::OK, S::OK, S::FORBIDDEN],
        ),
        (
            "PUT",
            "/api/me/follows",
            Some(r#"{"categories":["elderly"]}"#),
            [S::UNAUTHORIZED, S::OK, S::OK, S::OK, S::OK, S::FORBIDDEN],
        ),
        (
            "GET",
            "/api/me/policy-notices",
            None,
            [S::UNAUTHORIZED, S::OK, S::OK, S::OK, S::OK, S::FORBIDDEN],
        ),
        (
            "PUT",
            "/api/me/channels",
            Some(r#"[{"group":"grants","sms":true,"wechat":false}]"#),
            [S::UNAUTHORIZED, S::OK, S::OK, S::OK, S::OK, S::FORBIDDEN],
        ),
        (
            "POST",
            "/api/me/family-agents",
            Some(new_family),
            [
                S::UNAUTHORIZED,
                S::CREATED,
                S::CREATED,
                S::CREATED,
                S::CREATED,
                S::FORBIDDEN,
            ],
        ),
        (
            "DELETE",
            &revoke_family,
            None,
            [
                S::UNAUTHORIZED,
                S::NOT_FOUND,
                S::NOT_FOUND,
                S::NOT_FOUND,
                S::NO_CONTENT,
                S::FORBIDDEN,
            ],
        ),
        (
            "GET",
            "/api/me/sessions",
            None,
            [S::UNAUTHORIZED, S::OK, S::OK, S::OK, S::OK, S::OK],
        ),
        (
            "GET",
            "/api/me/access-log",
            None,
            [S::UNAUTHORIZED, S::OK, S::OK, S::OK, S::OK, S::FORBIDDEN],
        ),
        (
            "POST",
            "/api/me/acting-for",
            Some(&act_m),
            [
                S::UNAUTHORIZED,
                S::NOT_FOUND,
                S::OK,
                S::OK,
                S::NOT_FOUND,
                S::FORBIDDEN,
            ],
        ),
        (
            "GET",
            &agents_m,
            None,
            [
                S::UNAUTHORIZED,
                S::NOT_FOUND,
                S::OK,
                S::NOT_FOUND,
                S::NOT_FOUND,
                S::FORBIDDEN,
            ],
        ),
        (
            "GET",
            &agents_p,
            None,
            [
                S::UNAUTHORIZED,
                S::NOT_FOUND,
                S::NOT_FOUND,
                S::NOT_FOUND,
                S::OK,
                S::FORBIDDEN,
            ],
        ),
        (
            "POST",
            &agents_m,
            Some(new_agent),
            [
                S::UNAUTHORIZED,
                S::NOT_FOUND,
                S::CREATED,
                S::NOT_FOUND,
                S::NOT_FOUND,
                S::FORBIDDEN,
            ],
        ),
        (
            "POST",
            &person,
            Some(r#"{"reason":"审核"}"#),
            [
                S::UNAUTHORIZED,
                S::FORBIDDEN,
                S::FORBIDDEN,
                S::FORBIDDEN,
                S::FORBIDDEN,
                S::OK,
            ],
        ),
        // Someone else's session (the resident's first one): 404 for everyone but the resident.
        (
            "DELETE",
            &session_other,
            None,
            [
                S::UNAUTHORIZED,
                S::NO_CONTENT,
                S::NOT_FOUND,
                S::NOT_FOUND,
                S::NOT_FOUND,
                S::NOT_FOUND,
            ],
        ),
        (
            "DELETE",
            &revoke,
            None,
            [
                S::UNAUTHORIZED,
                S::NOT_FOUND,
                S::NO_CONTENT,
                S::NOT_FOUND,
                S::NOT_FOUND,
                S::FORBIDDEN,
            ],
        ),
        // 一照通. By now the representative and the agent act for the manufacturer: the
        // representative may apply for it; its agent holds the subsidies scope only.
        ("GET", "/api/licences/catalogue", None, [S::OK; 6]),
        (
            "PUT",
            "/api/licences/catalogue",
            Some(&catalogue),
            [
                S::UNAUTHORIZED,
                S::FORBIDDEN,
                S::FORBIDDEN,
                S::FORBIDDEN,
                S::FORBIDDEN,
                S::FORBIDDEN,
            ],
        ),
        (
            "GET",
            "/api/licences/applications",
            None,
            [
                S::UNAUTHORIZED,
                S::OK,
                S::OK,
                S::FORBIDDEN,
                S::OK,
                S::FORBIDDEN,
            ],
        ),
        (
            "GET",
            &draft_uri,
            None,
            [
                S::UNAUTHORIZED,
                S::NOT_FOUND,
                S::NOT_FOUND,
                S::FORBIDDEN,
                S::OK,
                S::FORBIDDEN,
            ],
        ),
        (
            "PUT",
            &draft_answers,
            Some(r#"{"answers":{}}"#),
            [
                S::UNAUTHORIZED,
                S::NOT_FOUND,
                S::NOT_FOUND,
                S::FORBIDDEN,
                S::OK,
                S::FORBIDDEN,
            ],
        ),
        (
            "GET",
            &sent_file,
            None,
            [
                S::UNAUTHORIZED,
                S::NOT_FOUND,
                S::NOT_FOUND,
                S::FORBIDDEN,
                S::OK,
                S::FORBIDDEN,
            ],
        ),
        // A repeat of the submission: nothing changes for its owner.
        (
            "POST",
            &sent_steps,
            Some(r#"{"action":"submit","from":"draft"}"#),
            [
                S::UNAUTHORIZED,
                S::NOT_FOUND,
                S::NOT_FOUND,
                S::FORBIDDEN,
                S::OK,
                S::FORBIDDEN,
            ],
        ),
        (
            "GET",
            "/api/staff/licences/applications",
            None,
            [
                S::UNAUTHORIZED,
                S::FORBIDDEN,
                S::FORBIDDEN,
                S::FORBIDDEN,
                S::FORBIDDEN,
                S::OK,
            ],
        ),
        (
            "GET",
            &staff_sent,
            None,
            [
                S::UNAUTHORIZED,
                S::FORBIDDEN,
                S::FORBIDDEN,
                S::FORBIDDEN,
                S::FORBIDDEN,
                S::OK,
            ],
        ),
        (
            "GET",
            &staff_file,
            None,
            [
                S::UNAUTHORIZED,
                S::FORBIDDEN,
                S::FORBIDDEN,
                S::FORBIDDEN,
                S::FORBIDDEN,
                S::OK,
            ],
        ),
        // A draft is its applicant's alone.
        (
            "GET",
            &staff_draft,
            None,
            [
                S::UNAUTHORIZED,
                S::FORBIDDEN,
                S::FORBIDDEN,
                S::FORBIDDEN,
                S::FORBIDDEN,
                S::NOT_FOUND,
            ],
        ),
        (
            "GET",
            "/api/staff/licences/figures",
            None,
            [
                S::UNAUTHORIZED,
                S::FORBIDDEN,
                S::FORBIDDEN,
                S::FORBIDDEN,
                S::FORBIDDEN,
                S::OK,
            ],
        ),
        (
            "POST",
            &staff_steps,
            Some(r#"{"action":"accept","from":"submitted"}"#),
            [
                S::UNAUTHORIZED,
                S::FORBIDDEN,
                S::FORBIDDEN,
                S::FORBIDDEN,
                S::FORBIDDEN,
                S::OK,
            ],
        ),
        (
            "POST",
            "/api/track",
            Some(r#"{"number":"YZT-20000101-00000","phone":"13800000005"}"#),
            [S::NOT_FOUND; 6],
        ),
        ("GET", "/api/verify?t=x.y", None, [S::OK; 6]),
        ("GET", "/api/policy-set", None, [S::OK; 6]),
    ];
    // Policy administration: only staff with a policy permission (none of these roles).
    let no_policy_staff = [
        S::UNAUTHORIZED,
        S::FORBIDDEN,
        S::FORBIDDEN,
        S::FORBIDDEN,
        S::FORBIDDEN,
        S::FORBIDDEN,
    ];
    let v = "/api/staff/policies/senior-allowance/versions/1";
    let (submit, send_back, approve, impact) = (
        format!("{v}/submit"),
        format!("{v}/return"),
        format!("{v}/approve"),
        format!("{v}/impact"),
    );
    let source = r#"{"source":"id = \"x\""}"#;
    // 线上申报: 黄总's application for his company, in a session of its own.
    let huang = login_phone(&app, "13800000003").await;
    common::act_for(&app, &huang, "DEMO-E1").await;
    let claim = app
        .call("POST", "/api/policies/tech-renovation/claims", &huang, None)
        .await
        .json()["id"]
        .as_i64()
        .unwrap();
    let claim_uri = format!("/api/claims/{claim}");
    let claim_answers = format!("{claim_uri}/answers");
    let claim_steps = format!("{claim_uri}/steps");
    let claim_file = format!("{claim_uri}/materials/project_filing");
    let staff_claim = format!("/api/staff/claims/{claim}");
    let staff_claim_steps = format!("{staff_claim}/steps");
    // By now the representative acts for his company (its application is his) and the agent's
    // authorisation is revoked.
    let his = [
        S::UNAUTHORIZED,
        S::NOT_FOUND,
        S::OK,
        S::FORBIDDEN,
        S::NOT_FOUND,
        S::FORBIDDEN,
    ];
    // No role here reviews subsidy applications.
    let no_claim_reviewer = no_policy_staff;
    let rows: Vec<(&str, &str, Option<&str>, [S; 6])> = rows
        .into_iter()
        .chain([
            (
                "GET",
                "/api/claims",
                None,
                [
                    S::UNAUTHORIZED,
                    S::OK,
                    S::OK,
                    S::FORBIDDEN,
                    S::OK,
                    S::FORBIDDEN,
                ],
            ),
            (
                "POST",
                "/api/policies/tech-renovation/claims",
                None,
                [
                    S::UNAUTHORIZED,
                    S::CONFLICT,
                    S::OK,
                    S::FORBIDDEN,
                    S::CONFLICT,
                    S::FORBIDDEN,
                ],
            ),
            ("GET", &claim_uri, None, his),
            ("PUT", &claim_answers, Some(r#"{"answers":{}}"#), his),
            (
                "GET",
                &claim_file,
                None,
                [
                    S::UNAUTHORIZED,
                    S::NOT_FOUND,
                    S::NOT_FOUND,
                    S::FORBIDDEN,
                    S::NOT_FOUND,
                    S::FORBIDDEN,
                ],
            ),
            (
                "POST",
                &claim_steps,
                Some(r#"{"action":"withdraw","from":"draft"}"#),
                his,
            ),
            ("GET", "/api/staff/claims", None, no_claim_reviewer),
            ("GET", &staff_claim, None, no_claim_reviewer),
            (
                "POST",
                &staff_claim_steps,
                Some(r#"{"action":"approve","from":"submitted"}"#),
                no_claim_reviewer,
            ),
            ("GET", "/api/staff/policies", None, no_policy_staff),
            ("POST", "/api/staff/policies", Some(source), no_policy_staff),
            ("GET", v, None, no_policy_staff),
            ("PUT", v, Some(source), no_policy_staff),
            (
                "POST",
                "/api/staff/policies/senior-allowance/drafts",
                None,
                no_policy_staff,
            ),
            ("POST", &submit, None, no_policy_staff),
            (
                "POST",
                &send_back,
                Some(r#"{"reason":"x"}"#),
                no_policy_staff,
            ),
            (
                "POST",
                &approve,
                Some(r#"{"effective_from":"2099-01-01"}"#),
                no_policy_staff,
            ),
            (
                "POST",
                "/api/staff/policies/senior-allowance/retire",
                Some(r#"{"kind":"repealed","last_day":"2099-01-01","notice":"x"}"#),
                no_policy_staff,
            ),
            ("POST", &impact, None, no_policy_staff),
            (
                "GET",
                "/api/staff/policies/senior-allowance/evaluation",
                None,
                no_policy_staff,
            ),
            (
                "POST",
                "/api/staff/policies/senior-allowance/evaluations",
                Some(r#"{"version":1,"conclusion":"continue","findings":"x"}"#),
                no_policy_staff,
            ),
        ])
        .collect();
    let cookies = [
        &r.anonymous,
        &r.resident,
        &r.representative,
        &r.agent,
        &r.pharmacy,
        &r.staff,
    ];
    let names = [
        "anonymous",
        "resident",
        "representative",
        "agent",
        "pharmacy",
        "staff",
    ];
    for (method, uri, body, expected) in &rows {
        // The resident's own session must be deleted last in its row: they go in order, and
        // only the resident's call succeeds, so the order does not matter for the others.
        for ((cookie, name), want) in cookies.iter().zip(names).zip(expected) {
            if *method == "DELETE" && uri.starts_with("/api/me/sessions") && name == "resident" {
                continue;
            }
            let got = call(&app, method, uri, cookie, *body).await;
            assert_eq!(got, *want, "{method} {uri} as {name}");
        }
    }
    // Last: the resident ends their own session.
    assert_eq!(
        call(&app, "DELETE", &session_other, &r.resident, None).await,
        S::NO_CONTENT
    );
}

async fn agents_are_authorised_revoked_and_expire(app: TestApp) {
    let app = app.demo().await;
    let rep = login_phone(&app, "13800000003").await;
    let (m, _) = enterprise_ids(&app).await;
    let uri = format!("/api/enterprises/{m}/agents");
    let add = |body: &'static str| {
        let app = &app;
        let rep = rep.clone();
        let uri = uri.clone();
        async move {
            app.send(
                Request::post(&uri)
                    .header("cookie", rep)
                    .header("content-type", "application/json")
                    .body(Body::from(body))
                    .unwrap(),
            )
            .await
        }
    };
    let created = add(r#"{"phone":"139 0013 9000","scopes":{"subsidies":false,"licences":true},"expires_on":"2099-01-31"}"#).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());
    assert_eq!(created.json()["phone"], "139****9000");
    assert_eq!(created.json()["active"], true);
    let twice = add(r#"{"phone":"13900139000","scopes":{"subsidies":true,"licences":true},"expires_on":"2099-01-31"}"#).await;
    assert_eq!(
        (twice.status, twice.json()["code"].as_str()),
        (StatusCode::CONFLICT, Some("conflict"))
    );
    let no_scope = add(r#"{"phone":"13900139001","scopes":{"subsidies":false,"licences":false},"expires_on":"2099-01-31"}"#).await;
    assert_eq!(
        (no_scope.status, no_scope.json()["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("scopes"))
    );
    let past = add(r#"{"phone":"13900139001","scopes":{"subsidies":true,"licences":false},"expires_on":"2001-01-31"}"#).await;
    assert_eq!(past.json()["field"], "expires_on");
    let bad_phone = add(r#"{"phone":"1390013","scopes":{"subsidies":true,"licences":false},"expires_on":"2099-01-31"}"#).await;
    assert_eq!(bad_phone.json()["field"], "phone");
    let bad_date = add(r#"{"phone":"13900139001","scopes":{"subsidies":true,"licences":false},"expires_on":"2099-02-30"}"#).await;
    assert_eq!(
        (bad_date.status, bad_date.json()["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("expires_on"))
    );
    // The new agent sees the enterprise; after revocation, no longer.
    let agent = login_phone(&app, "13900139000").await;
    let me = app
        .send(
            Request::get("/api/me")
                .header("cookie", &agent)
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .json();
    assert_eq!(me["person"]["enterprises"][0]["role"], "agent");
    assert_eq!(me["person"]["enterprises"][0]["scopes"]["licences"], true);
    let id = created.json()["id"].as_i64().unwrap();
    let revoke = Request::delete(format!("{uri}/{id}"))
        .header("cookie", &rep)
        .body(Body::empty())
        .unwrap();
    assert_eq!(app.send(revoke).await.status, StatusCode::NO_CONTENT);
    let me = app
        .send(
            Request::get("/api/me")
                .header("cookie", &agent)
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .json();
    assert_eq!(me["person"]["enterprises"], serde_json::json!([]));
    let list = app
        .send(
            Request::get(&uri)
                .header("cookie", &rep)
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .json();
    let revoked = list
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == id)
        .unwrap();
    assert_eq!(revoked["active"], false);
    assert!(revoked["revoked_at"].is_string());
}

async fn guarded(app: &TestApp, cookie: &str) -> (StatusCode, StatusCode) {
    // Endpoints that need each scope, as the subsidy and licence endpoints will.
    let router = Router::new()
        .route(
            "/subsidies",
            get(|a: ActingFor<Subsidies>| async move { a.enterprise.to_string() }),
        )
        .route(
            "/licences",
            get(|a: ActingFor<Licences>| async move { a.enterprise.to_string() }),
        )
        .with_state(app.state.clone());
    let mut out = Vec::new();
    for path in ["/subsidies", "/licences"] {
        let r = Request::get(path)
            .header("cookie", cookie)
            .body(Body::empty())
            .unwrap();
        out.push(router.clone().oneshot(r).await.unwrap().status());
    }
    (out[0], out[1])
}

async fn acting_for_checks_scope_expiry_and_revocation(app: TestApp) {
    let app = app.demo().await;
    let (m, _) = enterprise_ids(&app).await;
    let agent = login_phone(&app, "13800000004").await;
    assert_eq!(
        guarded(&app, &agent).await,
        (StatusCode::FORBIDDEN, StatusCode::FORBIDDEN),
        "not acting for anyone yet"
    );
    assert_eq!(
        call(
            &app,
            "POST",
            "/api/me/acting-for",
            &agent,
            Some(&format!(r#"{{"enterprise_id":{m}}}"#))
        )
        .await,
        StatusCode::OK
    );
    assert_eq!(
        guarded(&app, &agent).await,
        (StatusCode::OK, StatusCode::FORBIDDEN),
        "subsidies only"
    );
    sqlx::query("UPDATE enterprise_agents SET expires_at = '2001-01-01'")
        .execute(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(
        guarded(&app, &agent).await.0,
        StatusCode::FORBIDDEN,
        "expired"
    );
    sqlx::query("UPDATE enterprise_agents SET expires_at = '2099-01-01', revoked_at = '2026-01-01T00:00:00.000Z'").execute(&app.db.pool).await.unwrap();
    assert_eq!(
        guarded(&app, &agent).await.0,
        StatusCode::FORBIDDEN,
        "revoked"
    );
    let rep = login_phone(&app, "13800000003").await;
    assert_eq!(
        call(
            &app,
            "POST",
            "/api/me/acting-for",
            &rep,
            Some(&format!(r#"{{"enterprise_id":{m}}}"#))
        )
        .await,
        StatusCode::OK
    );
    assert_eq!(
        guarded(&app, &rep).await,
        (StatusCode::OK, StatusCode::OK),
        "the representative may do everything"
    );
}

async fn staff_reads_are_logged_for_the_person(app: TestApp) {
    let app = app.demo().await;
    let resident = login_phone(&app, "13800000001").await;
    let staff = login_staff(&app).await;
    let id: i64 = sqlx::query_scalar("SELECT id FROM users WHERE resident_ref = 'DEMO-R1'")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    let read_with = |reason: &'static str| {
        Request::post(format!("/api/staff/people/{id}/read"))
            .header("cookie", &staff)
            .header("content-type", "application/json")
            .body(Body::from(format!(r#"{{"reason":"{reason}"}}"#)))
            .unwrap()
    };
    let read = app.send(read_with("审核高龄津贴")).await;
    assert_eq!(read.status, StatusCode::OK);
    assert_eq!(
        read.json()["phone"],
        "138****0001",
        "staff see masked numbers"
    );
    let no_reason = app.send(read_with("")).await;
    // A cross-site link cannot make a staff member's browser write the log.
    let forged = app
        .send_raw(
            Request::get(format!("/api/staff/people/{id}/read"))
                .header("cookie", &staff)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(forged.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(
        (no_reason.status, no_reason.json()["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("reason"))
    );
    let log = app
        .send(
            Request::get("/api/me/access-log")
                .header("cookie", &resident)
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .json();
    assert_eq!(log.as_array().unwrap().len(), 1);
    assert_eq!(log[0]["reason"], "审核高龄津贴");
    assert_eq!(log[0]["department"], "禅城区行政服务中心");
}

async fn department_feeds_authenticate_by_key(app: TestApp) {
    use server::accounts::departments::Department;
    let router = Router::new()
        .route("/feed", get(|d: Department| async move { d.0 }))
        .with_state(app.state.clone());
    let call = |auth: Option<String>| {
        let router = router.clone();
        async move {
            let mut r = Request::get("/feed");
            if let Some(a) = auth {
                r = r.header("authorization", a);
            }
            let response = router
                .oneshot(r.body(Body::empty()).unwrap())
                .await
                .unwrap();
            let status = response.status();
            let body = http_body_util::BodyExt::collect(response.into_body())
                .await
                .unwrap()
                .to_bytes();
            (status, String::from_utf8_lossy(&body).into_owned())
        }
    };
    let key = server::accounts::departments::issue_key(&app.db, "tax")
        .await
        .unwrap();
    assert_eq!(
        call(Some(format!("Bearer {key}"))).await,
        (StatusCode::OK, "tax".to_owned())
    );
    assert_eq!(call(None).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(
        call(Some("Bearer zdk_forged".into())).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        call(Some(key.clone())).await.0,
        StatusCode::UNAUTHORIZED,
        "not a bearer header"
    );
    // A new key revokes the old one.
    let newer = server::accounts::departments::issue_key(&app.db, "tax")
        .await
        .unwrap();
    assert_eq!(
        call(Some(format!("Bearer {key}"))).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        call(Some(format!("Bearer {newer}"))).await.0,
        StatusCode::OK
    );
    assert!(
        server::accounts::departments::issue_key(&app.db, "weather_bureau")
            .await
            .is_err()
    );
    // The key is stored only as a hash.
    let stored: Vec<Vec<u8>> = sqlx::query_scalar("SELECT key_hash FROM department_keys")
        .fetch_all(&app.db.pool)
        .await
        .unwrap();
    assert!(stored.iter().all(|h| !h.windows(4).any(|w| w == b"zdk_")));
}

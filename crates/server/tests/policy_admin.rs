//! The policy lifecycle through the API: a revision drafted, checked, submitted, returned,
//! approved by a second person for the first of next month, taking effect in that month's run
//! (grants name the new version); retirement tells beneficiaries and stops the policy.

mod common;

use axum::http::StatusCode;
use common::{login_phone, login_staff, TestApp};
use serde_json::{json, Value};
use server::subsidies::matching::current_month;

on_both_databases!(
    a_revision_is_drafted_approved_and_takes_effect,
    only_policy_staff_and_never_the_drafter_approve,
    a_retired_policy_stops_and_its_beneficiaries_are_told,
    a_new_policy_starts_at_version_one,
    new_departments_feed_the_policies_that_need_them
);

const BASE: &str = "/api/staff/policies/senior-allowance";

fn first_of_next_month() -> String {
    current_month().next().first_day().to_string()
}

/// 赵审定 (or whoever `cookie` is) approves version 2 of the senior allowance from `from`.
async fn approve_v2(app: &TestApp, cookie: &str, from: &str) -> common::Answer {
    app.call(
        "POST",
        &format!("{BASE}/versions/2/approve"),
        cookie,
        Some(&json!({ "effective_from": from }).to_string()),
    )
    .await
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    sqlx::query_scalar(sql)
        .fetch_one(&app.db.pool)
        .await
        .unwrap()
}

/// 王政策's revision of the senior allowance (¥300 → ¥350 at 90–99), submitted.
async fn submitted_raise(app: &TestApp, drafter: &str) -> Value {
    let draft = app
        .call("POST", &format!("{BASE}/drafts"), drafter, None)
        .await;
    assert_eq!(draft.status, StatusCode::CREATED, "{}", draft.text());
    let draft = draft.json();
    assert_eq!(draft["info"]["version"], 2);
    assert_eq!(draft["info"]["stage"], "draft");
    assert_eq!(draft["in_force"]["version"], 1);
    let source = draft["source"].as_str().unwrap();
    assert!(source.contains("version = 2"));
    let raised = source.replace("{ from = 90, fen = 30000 }", "{ from = 90, fen = 35000 }");
    let saved = app
        .call(
            "PUT",
            &format!("{BASE}/versions/2"),
            drafter,
            Some(&json!({ "source": raised }).to_string()),
        )
        .await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.text());
    let submitted = app
        .call("POST", &format!("{BASE}/versions/2/submit"), drafter, None)
        .await;
    assert_eq!(submitted.status, StatusCode::OK, "{}", submitted.text());
    assert_eq!(submitted.json()["info"]["stage"], "review");
    submitted.json()
}

async fn a_revision_is_drafted_approved_and_takes_effect(app: TestApp) {
    let app = app.demo().await;
    let wang = login_staff(&app, "policyadmin").await;
    let zhao = login_staff(&app, "approver").await;

    let list = app.call("GET", "/api/staff/policies", &wang, None).await;
    assert_eq!(list.status, StatusCode::OK);
    let senior = list
        .json()
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == "senior-allowance")
        .unwrap()
        .clone();
    assert_eq!(senior["versions"][0]["stage"], "in_force");
    assert_eq!(senior["name"]["zh-CN"], "高龄老人津贴");

    // A file that does not compile is refused on `source`, at its line.
    app.call("POST", &format!("{BASE}/drafts"), &wang, None)
        .await;
    let bad = app
        .call("PUT", &format!("{BASE}/versions/2"), &wang, Some(&json!({ "source": "id = \"senior-allowance\"\nversion = 2\nperiod = \"weekly\"\n" }).to_string()))
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad.json()["field"], "source");
    assert!(
        bad.json()["message"].as_str().unwrap().contains("第 3 行"),
        "{}",
        bad.text()
    );
    // The engine's problem is worded in the reader's language, as the editor words it.
    let draft = app
        .call("GET", &format!("{BASE}/versions/1"), &wang, None)
        .await
        .json();
    let unknown = draft["source"]
        .as_str()
        .unwrap()
        .replace("version = 1", "version = 2")
        .replace(
            "test = \"age(birth_date) >= 80\"",
            "test = \"age(birthdate) >= 80\"",
        );
    let bad = app
        .call(
            "PUT",
            &format!("{BASE}/versions/2"),
            &wang,
            Some(&json!({ "source": unknown }).to_string()),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let said = bad.json()["message"].as_str().unwrap().to_owned();
    assert!(said.contains("居民没有叫 birthdate 的数据项"), "{said}");
    // Nor may a draft become another policy or version.
    let v1 = app
        .call("GET", &format!("{BASE}/versions/1"), &wang, None)
        .await
        .json();
    let renamed = app
        .call(
            "PUT",
            &format!("{BASE}/versions/2"),
            &wang,
            Some(&json!({ "source": v1["source"] }).to_string()),
        )
        .await;
    assert_eq!(
        (renamed.status, renamed.json()["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("source"))
    );
    // A second draft while one is open is a conflict.
    let again = app
        .call("POST", &format!("{BASE}/drafts"), &wang, None)
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    sqlx::query("DELETE FROM policy_versions WHERE policy_id = 'senior-allowance' AND version = 2")
        .execute(&app.db.pool)
        .await
        .unwrap();

    submitted_raise(&app, &wang).await;
    // The sandbox: the two residents aged 90–99 get ¥50 more a month, in two streets.
    let impact = app
        .call("POST", &format!("{BASE}/versions/2/impact"), &zhao, None)
        .await;
    assert_eq!(impact.status, StatusCode::OK, "{}", impact.text());
    let impact = impact.json();
    assert_eq!(impact["against"], 1);
    assert_eq!(impact["total"]["amount_changed"], 2);
    assert_eq!(
        (
            impact["total"]["newly"].as_i64(),
            impact["total"]["no_longer"].as_i64()
        ),
        (Some(0), Some(0))
    );
    let extra = impact["total"]["cost_after_fen"].as_i64().unwrap()
        - impact["total"]["cost_before_fen"].as_i64().unwrap();
    assert_eq!(
        extra * impact["periods_a_year"].as_i64().unwrap(),
        2 * 5_000 * 12,
        "¥1,200 more a year"
    );
    let streets = impact["breakdowns"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["by"] == "street")
        .unwrap();
    let changed: Vec<&str> = streets["groups"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|g| g["tally"]["amount_changed"] != 0)
        .map(|g| g["key"].as_str().unwrap())
        .collect();
    assert_eq!(changed, ["张槎街道", "石湾镇街道"]);
    let sample = impact["sample"].as_array().unwrap();
    assert_eq!(sample.len(), 2);
    assert!(
        sample
            .iter()
            .all(|s| s["subject"].as_str().unwrap().contains('*') && s["after_fen"] == 35_000),
        "{sample:?}"
    );
    let resident = login_phone(&app, "13800000001").await;
    assert_eq!(
        app.call(
            "POST",
            &format!("{BASE}/versions/2/impact"),
            &resident,
            None
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
    // Returned with a reason, then submitted again.
    let no_reason = app
        .call(
            "POST",
            &format!("{BASE}/versions/2/return"),
            &zhao,
            Some(r#"{"reason":"  "}"#),
        )
        .await;
    assert_eq!(
        (no_reason.status, no_reason.json()["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("reason"))
    );
    let returned = app
        .call(
            "POST",
            &format!("{BASE}/versions/2/return"),
            &zhao,
            Some(r#"{"reason":"请补充测算依据"}"#),
        )
        .await;
    assert_eq!(returned.status, StatusCode::OK, "{}", returned.text());
    assert_eq!(returned.json()["info"]["stage"], "draft");
    assert_eq!(returned.json()["info"]["returned_reason"], "请补充测算依据");
    let resubmitted = app
        .call("POST", &format!("{BASE}/versions/2/submit"), &wang, None)
        .await
        .json();
    assert_eq!(resubmitted["info"]["returned_reason"], Value::Null);
    assert_eq!(resubmitted["may_approve"], false, "not for its drafter");
    let as_approver = app
        .call("GET", &format!("{BASE}/versions/2"), &zhao, None)
        .await
        .json();
    assert_eq!(as_approver["may_approve"], true);

    // Approval: not in the past; from the first of next month.
    let past = approve_v2(&app, &zhao, "2020-01-01").await;
    assert_eq!(
        (past.status, past.json()["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("effective_from"))
    );
    let from = first_of_next_month();
    let approved = approve_v2(&app, &zhao, &from.to_string()).await;
    assert_eq!(approved.status, StatusCode::OK, "{}", approved.text());
    let approved = approved.json();
    assert_eq!(approved["info"]["stage"], "scheduled");
    assert_eq!(approved["info"]["approved_by"], "赵审定（政策审批人）");
    assert_eq!(approved["info"]["effective_from"], from.as_str());
    let v1 = app
        .call("GET", &format!("{BASE}/versions/1"), &wang, None)
        .await
        .json();
    assert_eq!(
        v1["info"]["effective_until"],
        current_month().last_day().to_string(),
        "v1 ends the day before"
    );

    // Today the library still shows version 1; the calculator's set holds both.
    assert_eq!(
        app.get("/api/policies/senior-allowance").await.json()["version"],
        1
    );
    let set = app.get("/api/policy-set").await;
    let versions: Vec<i64> = set.json()["policies"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["id"] == "senior-allowance")
        .map(|p| p["version"].as_i64().unwrap())
        .collect();
    assert_eq!(versions, [1, 2]);
    let etag = set.header("etag").to_owned();
    let cached = app
        .send(
            axum::http::Request::get("/api/policy-set")
                .header("if-none-match", &etag)
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(cached.status, StatusCode::NOT_MODIFIED);

    // Next month's run grants under version 2: ¥350 to the two residents aged 90–99, the
    // others unchanged, each receipt naming version 2.
    let next = current_month().next();
    server::subsidies::monthly::run_month(&app.state, next)
        .await
        .unwrap();
    let rows: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT policy_version, amount_fen FROM grants WHERE policy_id = 'senior-allowance' AND period = $1 ORDER BY amount_fen",
    )
    .bind(next.to_string())
    .fetch_all(&app.db.pool)
    .await
    .unwrap();
    assert_eq!(
        rows,
        [
            (2, 10_000),
            (2, 10_000),
            (2, 35_000),
            (2, 35_000),
            (2, 60_000)
        ]
    );
    let receipt: String = sqlx::query_scalar("SELECT receipt FROM grants WHERE policy_id = 'senior-allowance' AND period = $1 AND amount_fen = 35000")
        .bind(next.to_string())
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    let receipt: Value = serde_json::from_str(&receipt).unwrap();
    assert_eq!(receipt["version"], 2, "{receipt}");
    // This month's grants stay under version 1, and a re-run grants nobody twice.
    assert_eq!(count(&app, &format!("SELECT COUNT(*) FROM grants WHERE policy_id = 'senior-allowance' AND period = '{}' AND policy_version = 1", current_month())).await, 5);
    let again = server::subsidies::monthly::run_month(&app.state, next)
        .await
        .unwrap();
    assert_eq!(again.created, 0);
}

async fn only_policy_staff_and_never_the_drafter_approve(app: TestApp) {
    let app = app.demo().await;
    let wang = login_staff(&app, "policyadmin").await;
    let zhang = login_staff(&app, "reviewer").await;
    let resident = login_phone(&app, "13800000001").await;
    assert_eq!(
        app.call("GET", "/api/staff/policies", &zhang, None)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.call("GET", "/api/staff/policies", &resident, None)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.get("/api/staff/policies").await.status,
        StatusCode::UNAUTHORIZED
    );
    submitted_raise(&app, &wang).await;
    // A drafter without the approve permission cannot approve at all…
    let by_wang = approve_v2(&app, &wang, &first_of_next_month().to_string()).await;
    assert_eq!(by_wang.status, StatusCode::FORBIDDEN);
    // …and with it, still not their own draft.
    sqlx::query("UPDATE staff SET permissions = 'policy_admin,policy_approve' WHERE username = 'policyadmin'")
        .execute(&app.db.pool)
        .await
        .unwrap();
    let own = approve_v2(&app, &wang, &first_of_next_month().to_string()).await;
    assert_eq!(own.status, StatusCode::FORBIDDEN);
    assert!(
        own.json()["message"].as_str().unwrap().contains("自己起草"),
        "{}",
        own.text()
    );
    // An approver cannot draft.
    let zhao = login_staff(&app, "approver").await;
    assert_eq!(
        app.call(
            "POST",
            "/api/staff/policies/gas-subsidy/drafts",
            &zhao,
            None
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
}

async fn a_retired_policy_stops_and_its_beneficiaries_are_told(app: TestApp) {
    let app = app.demo().await;
    let zhao = login_staff(&app, "approver").await;
    // A grant of next month exists already (made early): it is revoked with the retirement.
    let next = current_month().next();
    server::subsidies::monthly::run_month(&app.state, next)
        .await
        .unwrap();
    let last_day = current_month().last_day().to_string();
    let no_notice = app
        .call(
            "POST",
            &format!("{BASE}/retire"),
            &zhao,
            Some(&json!({ "kind": "repealed", "last_day": last_day, "notice": "" }).to_string()),
        )
        .await;
    assert_eq!(
        (no_notice.status, no_notice.json()["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("notice"))
    );
    let retired = app
        .call("POST", &format!("{BASE}/retire"), &zhao, Some(&json!({ "kind": "repealed", "last_day": last_day, "notice": "并入新的长者津贴制度" }).to_string()))
        .await;
    assert_eq!(retired.status, StatusCode::OK, "{}", retired.text());
    assert_eq!(retired.json()[0]["retirement"]["kind"], "repealed");
    let twice = app
        .call(
            "POST",
            &format!("{BASE}/retire"),
            &zhao,
            Some(
                &json!({ "kind": "repealed", "last_day": last_day, "notice": "再次" }).to_string(),
            ),
        )
        .await;
    assert_eq!(twice.status, StatusCode::CONFLICT);
    assert_eq!(
        server::subsidies::policy_changes::follow(&app.state)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        server::subsidies::policy_changes::follow(&app.state)
            .await
            .unwrap(),
        0,
        "once"
    );
    // Next month's grants are revoked; this month's stand; each beneficiary told once.
    assert_eq!(count(&app, &format!("SELECT COUNT(*) FROM grants WHERE policy_id = 'senior-allowance' AND period = '{next}' AND status <> 'revoked'")).await, 0);
    assert_eq!(count(&app, &format!("SELECT COUNT(*) FROM grants WHERE policy_id = 'senior-allowance' AND period = '{}' AND status <> 'revoked'", current_month())).await, 5);
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM notifications WHERE kind = 'policy_retired'"
        )
        .await,
        5
    );
    // 陈伯 (85) sees it on his home; the library says it ends, with the notice.
    let chen = login_phone(&app, "13800000001").await;
    let home = app.call("GET", "/api/home", &chen, None).await.json();
    assert!(
        home["notifications"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["kind"] == "policy_retired"),
        "{home}"
    );
    let info = app.get("/api/policies/senior-allowance").await.json();
    assert_eq!(info["retirement"]["notice"], "并入新的长者津贴制度");
    assert_eq!(info["effective_until"], last_day.as_str());
    // From next month nobody is matched: the run makes no grant of it.
    let after = current_month().next().next();
    server::subsidies::monthly::run_month(&app.state, after)
        .await
        .unwrap();
    assert_eq!(count(&app, &format!("SELECT COUNT(*) FROM grants WHERE policy_id = 'senior-allowance' AND period = '{after}'")).await, 0);
}

async fn a_new_policy_starts_at_version_one(app: TestApp) {
    let app = app.demo().await;
    let wang = login_staff(&app, "policyadmin").await;
    let source =
        std::fs::read_to_string(rules::testing::policies_dir().join("senior-allowance.toml"))
            .unwrap()
            .replace("id = \"senior-allowance\"", "id = \"longevity-test-gift\"");
    let created = app
        .call(
            "POST",
            "/api/staff/policies",
            &wang,
            Some(&json!({ "source": source }).to_string()),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());
    assert_eq!(created.json()["in_force"], Value::Null);
    let again = app
        .call(
            "POST",
            "/api/staff/policies",
            &wang,
            Some(&json!({ "source": source }).to_string()),
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    let v3 = source
        .replace("version = 1", "version = 3")
        .replace("longevity-test-gift", "other-gift");
    let wrong = app
        .call(
            "POST",
            "/api/staff/policies",
            &wang,
            Some(&json!({ "source": v3 }).to_string()),
        )
        .await;
    assert_eq!(
        (wrong.status, wrong.json()["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("source"))
    );
    // A draft is not published: the library does not have it.
    let seen: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM policy_announcements WHERE policy_id = 'longevity-test-gift'",
    )
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    assert_eq!(seen, 0, "not announced while a draft");
    assert_eq!(
        app.get("/api/policies/longevity-test-gift").await.status,
        StatusCode::NOT_FOUND
    );
    // Published, it is announced to the followers of its category (陈伯 follows 养老).
    let chen = login_phone(&app, "13800000001").await;
    let follow = app
        .call(
            "PUT",
            "/api/me/follows",
            &chen,
            Some(r#"{"categories":["elderly"]}"#),
        )
        .await;
    assert_eq!(follow.status, StatusCode::OK, "{}", follow.text());
    let v1 = "/api/staff/policies/longevity-test-gift/versions/1";
    assert_eq!(
        app.call("POST", &format!("{v1}/submit"), &wang, None)
            .await
            .status,
        StatusCode::OK
    );
    let zhao = login_staff(&app, "approver").await;
    let approved = app
        .call(
            "POST",
            &format!("{v1}/approve"),
            &zhao,
            Some(&json!({ "effective_from": first_of_next_month() }).to_string()),
        )
        .await;
    assert_eq!(approved.status, StatusCode::OK, "{}", approved.text());
    let notices = app
        .call("GET", "/api/me/policy-notices", &chen, None)
        .await
        .json();
    assert!(
        notices
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["policy"] == "longevity-test-gift"),
        "{notices}"
    );
}

/// 人社 and 卫健 feed what the new policies read: a registered unemployment pays the living
/// allowance; a birth the one-off nutrition grant (once, whatever later versions say); a
/// department may not write another's attributes.
async fn new_departments_feed_the_policies_that_need_them(app: TestApp) {
    let app = app.demo().await;
    let key = |d: &'static str| {
        let db = app.db.clone();
        async move {
            server::accounts::departments::issue_key(&db, d)
                .await
                .unwrap()
        }
    };
    let (police, hr, health) = (
        key("public_security").await,
        key("human_resources").await,
        key("health").await,
    );
    let batch = |attributes: Value| -> server::data::feeds::FeedBatch {
        serde_json::from_value(json!({ "records": [{ "subject": "resident", "id": "R-NEW", "attributes": attributes }] })).unwrap()
    };
    let pushed = common::push_feed(
        &app,
        &police,
        &batch(
            json!({ "birth_date": "1990-05-01", "hukou_district": "440604", "street": "祖庙街道" }),
        ),
    )
    .await;
    assert_eq!(pushed.status, StatusCode::OK, "{}", pushed.text());
    // 卫健 may not say someone is unemployed.
    let wrong = common::push_feed(
        &app,
        &health,
        &batch(json!({ "registered_unemployed": true })),
    )
    .await;
    assert_eq!(
        wrong.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        wrong.text()
    );
    let ok = common::push_feed(&app, &hr, &batch(json!({ "registered_unemployed": true }))).await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.text());
    let newborn = server::platform::db::today_shanghai()
        .add_days(-30)
        .to_string();
    let ok = common::push_feed(
        &app,
        &health,
        &batch(json!({ "newborn_birth_date": newborn })),
    )
    .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.text());
    let grants: Vec<(String, i64)> = sqlx::query_as(
        "SELECT g.policy_id, g.amount_fen FROM grants g JOIN subjects s ON s.id = g.subject_id WHERE s.ref = 'R-NEW' ORDER BY g.policy_id",
    )
    .fetch_all(&app.db.pool)
    .await
    .unwrap();
    assert!(
        grants.contains(&("unemployment-living".to_owned(), 60_000)),
        "{grants:?}"
    );
    assert!(
        grants.contains(&("childbirth-nutrition".to_owned(), 200_000)),
        "{grants:?}"
    );
    // The childcare allowance waits for a tap (意愿确认).
    let status: String = sqlx::query_scalar(
        "SELECT g.status FROM grants g JOIN subjects s ON s.id = g.subject_id WHERE s.ref = 'R-NEW' AND g.policy_id = 'childcare-subsidy'",
    )
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    assert_eq!(status, "awaiting_consent");
}

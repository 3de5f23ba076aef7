//! 免申即享 end to end through the router: a department's feed changes data, the engine
//! grants at once, the payment goes to the (fake) treasury exactly once, and the subject sees
//! it, with the reasons, in their home, their inbox and their live stream.

mod common;

use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::{fake_treasury, login_phone, login_staff, pay, TestApp};
use http_body_util::BodyExt;
use serde_json::{json, Value};
use server::data::feeds::{FeedBatch, FeedFacts, FeedRecord};
use server::subsidies::matching;
use server::subsidies::payments::send_due;

on_both_databases!(
    a_feed_needs_its_department_key,
    a_bad_push_applies_nothing_and_names_every_problem,
    a_push_twice_changes_nothing_and_keeps_history,
    turning_80_grants_the_allowance_at_once_and_it_is_paid_once,
    a_consent_policy_waits_for_one_click,
    applying_is_decided_at_once,
    a_data_change_before_payment_revokes_the_offer,
    the_monthly_run_is_idempotent_and_catches_up,
    grants_are_private,
    failed_payments_wait_for_staff_and_retry_safely,
    the_live_stream_tells_the_subject,
    objections_reach_the_owning_department_and_come_back_answered,
    a_grant_moves_only_as_its_table_allows,
    newly_eligible_to_apply_is_told_once,
);

async fn key(app: &TestApp, department: &str) -> String {
    server::accounts::departments::issue_key(&app.db, department)
        .await
        .unwrap()
}

/// Pushes `body` as a department with `key`.
async fn push(app: &TestApp, key: &str, body: FeedBatch) -> common::Answer {
    common::push_feed(app, key, &body).await
}

/// One subject's attributes (a JSON object: name → value, as the feed writes them).
fn rec(subject: &str, id: &str, attributes: Value) -> FeedRecord {
    FeedRecord {
        subject: subject.to_owned(),
        id: id.to_owned(),
        attributes: serde_json::from_value(attributes).expect("an object of attributes"),
    }
}

/// A push of one subject's attributes.
fn record(subject: &str, id: &str, attributes: Value) -> FeedBatch {
    FeedBatch {
        records: vec![rec(subject, id, attributes)],
        ..FeedBatch::default()
    }
}

/// A push of one month of one fact table for one enterprise (each row a JSON object).
fn facts(table: &str, subject_id: &str, month: &str, rows: Vec<Value>) -> FeedBatch {
    FeedBatch {
        facts: vec![FeedFacts {
            table: table.to_owned(),
            subject_id: subject_id.to_owned(),
            month: month.to_owned(),
            rows: rows
                .into_iter()
                .map(|r| serde_json::from_value(r).expect("a row object"))
                .collect(),
        }],
        ..FeedBatch::default()
    }
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    sqlx::query_scalar(sql)
        .fetch_one(&app.db.pool)
        .await
        .unwrap()
}

async fn demo_with_treasury(app: TestApp) -> (TestApp, fake_treasury::Fake) {
    let (base, fake) = fake_treasury::start().await;
    (app.demo().await.with_treasury(&base), fake)
}

async fn a_feed_needs_its_department_key(app: TestApp) {
    let body = record("resident", "R1", json!({ "birth_date": "1940-01-01" }));
    assert_eq!(
        push(&app, "zdk_forged", body.clone()).await.status,
        StatusCode::UNAUTHORIZED
    );
    let tax = key(&app, "tax").await;
    // A valid key of another department: its own attributes only.
    let answer = push(&app, &tax, body).await;
    assert_eq!(
        answer.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        answer.text()
    );
    assert_eq!(answer.json()["problems"][0]["code"], "not_your_attribute");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM subjects").await, 0);
}

async fn a_bad_push_applies_nothing_and_names_every_problem(app: TestApp) {
    let ps = key(&app, "public_security").await;
    let answer = push(
        &app,
        &ps,
        FeedBatch {
            records: vec![
                rec(
                    "resident",
                    "R1",
                    json!({ "birth_date": "1940-01-01", "hukou_district": "440604" }),
                ),
                rec("resident", "R2", json!({ "birth_date": "1940-02-30" })),
                rec("resident", "R3", json!({ "shoe_size": 42 })),
                rec("person", "R4", json!({})),
                rec("resident", "R5", json!({ "dibao": true })),
            ],
            ..FeedBatch::default()
        },
    )
    .await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    let body = answer.json();
    let problems: Vec<(String, String)> = body["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["path"].as_str().unwrap().to_owned(),
                p["code"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        problems,
        [
            (
                "records[1].attributes.birth_date".to_owned(),
                "invalid_value".to_owned()
            ),
            (
                "records[2].attributes.shoe_size".to_owned(),
                "unknown_attribute".to_owned()
            ),
            (
                "records[3].subject".to_owned(),
                "unknown_subject_kind".to_owned()
            ),
            (
                "records[4].attributes.dibao".to_owned(),
                "not_your_attribute".to_owned()
            ),
        ]
    );
    assert!(body["message"].as_str().unwrap().contains('4'), "{body}");
    assert!(body["problems"][0]["detail"]
        .as_str()
        .unwrap()
        .contains("1940-02-30"));
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM subjects").await,
        0,
        "nothing applied"
    );
    assert_eq!(count(&app, "SELECT COUNT(*) FROM feed_batches").await, 0);

    // Facts for an enterprise nobody registered: refused, nothing applied.
    let gas = key(&app, "gas_utility").await;
    let answer = push(
        &app,
        &gas,
        facts(
            "gas_usage",
            "E-none",
            "2026-11",
            vec![json!({ "cubic_meters": 5 })],
        ),
    )
    .await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(answer.json()["problems"][0]["code"], "unknown_subject");
    // A department other than the register cannot create a resident.
    let dpf = key(&app, "disabled_persons_federation").await;
    let answer = push(
        &app,
        &dpf,
        record("resident", "R9", json!({ "disability_grade": 1 })),
    )
    .await;
    assert_eq!(answer.json()["problems"][0]["code"], "unknown_subject");
    // In English when asked.
    let answer = app
        .send(
            Request::post("/api/feeds/batches")
                .header("content-type", "application/json")
                .header("accept-language", "en")
                .header("authorization", format!("Bearer {dpf}"))
                .body(Body::from(r#"{"records":[]}"#))
                .unwrap(),
        )
        .await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(answer.json()["problems"][0]["message"]
        .as_str()
        .unwrap()
        .contains("no records"));
}

async fn a_push_twice_changes_nothing_and_keeps_history(app: TestApp) {
    let ps = key(&app, "public_security").await;
    let body = record(
        "resident",
        "R1",
        json!({ "birth_date": "1950-01-01", "hukou_district": "440604" }),
    );
    let first = push(&app, &ps, body.clone()).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.text());
    assert_eq!(first.json()["changed_subjects"], 1);
    let again = push(&app, &ps, body).await;
    assert_eq!(again.json()["changed_subjects"], 0);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM subject_changes").await, 1);
    // A correction: old → new, with who and when.
    let fix = push(
        &app,
        &ps,
        record("resident", "R1", json!({ "birth_date": "1951-01-01" })),
    )
    .await;
    assert_eq!(fix.json()["changed_subjects"], 1);
    let row: (String, String) = sqlx::query_as(
        "SELECT c.changes, b.department FROM subject_changes c JOIN feed_batches b ON b.id = c.batch_id ORDER BY c.id DESC LIMIT 1",
    )
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    let changes: Value = serde_json::from_str(&row.0).unwrap();
    assert_eq!(
        changes,
        json!({ "birth_date": ["1950-01-01", "1951-01-01"] })
    );
    assert_eq!(row.1, "public_security");
    // Fact rows: a month is replaced whole; the same rows again change nothing.
    let mr = key(&app, "market_regulation").await;
    push(
        &app,
        &mr,
        record(
            "enterprise",
            "E1",
            json!({ "district": "440604", "industry_code": 3311 }),
        ),
    )
    .await;
    let gas = key(&app, "gas_utility").await;
    let rows = facts(
        "gas_usage",
        "E1",
        "2026-11",
        vec![json!({ "cubic_meters": 100 })],
    );
    assert_eq!(
        push(&app, &gas, rows.clone()).await.json()["changed_subjects"],
        1
    );
    assert_eq!(push(&app, &gas, rows).await.json()["changed_subjects"], 0);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM facts").await, 1);
}

async fn turning_80_grants_the_allowance_at_once_and_it_is_paid_once(app: TestApp) {
    let (app, fake) = demo_with_treasury(app).await;
    let resident = login_phone(&app, "13800000002").await;
    let before = app.call("GET", "/api/home", &resident, None).await.json();
    assert!(before["recent"]
        .as_array()
        .unwrap()
        .iter()
        .all(|g| g["policy"] != "senior-allowance"));
    // The population register corrects her date of birth: she is 80.
    let today = server::platform::db::today_shanghai();
    let birth = format!("{}-01-01", today.year() - 81);
    let ps = key(&app, "public_security").await;
    let answer = push(
        &app,
        &ps,
        record("resident", "DEMO-R2", json!({ "birth_date": birth })),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    let home = app.call("GET", "/api/home", &resident, None).await.json();
    let grant = home["recent"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["policy"] == "senior-allowance")
        .expect("granted at once")
        .clone();
    assert_eq!(grant["status"], "approved");
    assert_eq!(grant["amount_fen"], 10000);
    assert!(home["unread"].as_i64().unwrap() >= 1);
    assert_eq!(home["notifications"][0]["kind"], "granted");

    // The grant explains why, from the data recorded at the decision.
    let id = grant["id"].as_i64().unwrap();
    let detail = app
        .call("GET", &format!("/api/grants/{id}"), &resident, None)
        .await
        .json();
    let age = detail["criteria"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "age-80")
        .expect("the age criterion")
        .clone();
    assert_eq!(age["passed"], true);
    assert_eq!(age["inputs"][0]["value"]["zh-CN"], birth);
    assert_eq!(age["inputs"][0]["department"]["zh-CN"], "公安");
    assert!(age["inputs"][0]["at"].as_str().unwrap().ends_with('Z'));
    // A later correction does not rewrite the receipt.
    push(
        &app,
        &ps,
        record("resident", "DEMO-R2", json!({ "street": "石湾镇街道" })),
    )
    .await;

    // Instructed; the treasury confirms later. Paid exactly once, however often the sender runs.
    pay(&app).await;
    let status: String = sqlx::query_scalar("SELECT status FROM grants WHERE id = $1")
        .bind(id)
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(status, "payment_instructed");
    fake.confirm_all();
    pay(&app).await;
    let home = app.call("GET", "/api/home", &resident, None).await.json();
    let grant = home["recent"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["id"] == id)
        .unwrap()
        .clone();
    assert_eq!(grant["status"], "paid");
    assert!(home["received_this_year_fen"].as_i64().unwrap() >= 10000);
    let key = format!("zhida-grant-{id}");
    let entry = fake.entries.lock().unwrap().get(&key).cloned().unwrap();
    assert_eq!(
        (entry.amount_fen, entry.payee.as_str(), entry.paid),
        (10000, "DEMO-R2", true)
    );
    assert!(fake.conflicts.lock().unwrap().is_empty());
    // Sending again (as after a crash) changes nothing at the treasury.
    sqlx::query("UPDATE payments SET status = 'queued', next_attempt_at = '2000-01-01T00:00:00.000Z' WHERE grant_id = $1")
        .bind(id)
        .execute(&app.db.pool)
        .await
        .unwrap();
    pay(&app).await;
    assert_eq!(
        fake.paid()
            .iter()
            .filter(|e| e.payee == "DEMO-R2" && e.policy == "senior-allowance")
            .count(),
        1
    );
    let detail = app
        .call("GET", &format!("/api/grants/{id}"), &resident, None)
        .await
        .json();
    let steps: Vec<&str> = detail["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["step"].as_str().unwrap())
        .collect();
    assert_eq!(
        &steps[..4],
        ["matched", "approved", "payment_instructed", "paid"]
    );
    assert_eq!(detail["payment_reference"], format!("TR-{key}"));
}

async fn a_consent_policy_waits_for_one_click(app: TestApp) {
    let (app, fake) = demo_with_treasury(app).await;
    let rep = login_phone(&app, "13800000003").await;
    let enterprise: i64 =
        sqlx::query_scalar("SELECT id FROM enterprises WHERE enterprise_ref = 'DEMO-E1'")
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    app.call(
        "POST",
        "/api/me/acting-for",
        &rep,
        Some(&format!(r#"{{"enterprise_id":{enterprise}}}"#)),
    )
    .await;
    let home = app.call("GET", "/api/home", &rep, None).await.json();
    let offer = home["awaiting_consent"][0].clone();
    assert_eq!(offer["policy"], "gas-subsidy");
    assert_eq!(offer["amount_fen"], 240000);
    // The policy's own consent window: six weeks.
    let deadline = offer["consent_deadline"].as_str().unwrap();
    let in_42_days = server::platform::db::format_utc(
        time::OffsetDateTime::now_utc() + time::Duration::days(42),
    );
    assert_eq!(&deadline[..10], &in_42_days[..10], "{deadline}");
    let id = offer["id"].as_i64().unwrap();
    pay(&app).await;
    assert!(
        fake.entries
            .lock()
            .unwrap()
            .get(&format!("zhida-grant-{id}"))
            .is_none(),
        "not paid before consent"
    );
    let answer = app
        .call("POST", &format!("/api/grants/{id}/consent"), &rep, None)
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    assert_eq!(answer.json()["status"], "approved");
    // A second click is a no-op; declining now is refused.
    assert_eq!(
        app.call("POST", &format!("/api/grants/{id}/consent"), &rep, None)
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        app.call("POST", &format!("/api/grants/{id}/decline"), &rep, None)
            .await
            .status,
        StatusCode::CONFLICT
    );
    pay(&app).await;
    fake.confirm_all();
    pay(&app).await;
    let detail = app
        .call("GET", &format!("/api/grants/{id}"), &rep, None)
        .await
        .json();
    assert_eq!(detail["grant"]["status"], "paid");
    assert_eq!(
        fake.entries.lock().unwrap()[&format!("zhida-grant-{id}")].sends,
        1
    );
}

async fn applying_is_decided_at_once(app: TestApp) {
    let (app, fake) = demo_with_treasury(app).await;
    fake.pay_at_once
        .store(true, std::sync::atomic::Ordering::SeqCst);
    let rep = login_phone(&app, "13800000003").await;
    let enterprise: i64 =
        sqlx::query_scalar("SELECT id FROM enterprises WHERE enterprise_ref = 'DEMO-E1'")
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    app.call(
        "POST",
        "/api/me/acting-for",
        &rep,
        Some(&format!(r#"{{"enterprise_id":{enterprise}}}"#)),
    )
    .await;
    let check = app
        .call("GET", "/api/policies/hitech-rd/check", &rep, None)
        .await
        .json();
    assert_eq!(
        (check["eligible"].clone(), check["can_apply"].clone()),
        (json!(true), json!(true))
    );
    assert_eq!(
        app.call("GET", "/api/home", &rep, None).await.json()["can_apply"][0]["policy"],
        "hitech-rd"
    );
    let answer = app
        .call("POST", "/api/policies/hitech-rd/apply", &rep, None)
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    let result = answer.json();
    assert_eq!(result["grant"]["status"], "approved");
    assert_eq!(result["grant"]["amount_fen"], 13_000_000);
    let id = result["grant"]["id"].as_i64().unwrap();
    // Applying again changes nothing.
    let again = app
        .call("POST", "/api/policies/hitech-rd/apply", &rep, None)
        .await
        .json();
    assert_eq!(again["grant"]["id"], id);
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM grants WHERE policy_id = 'hitech-rd'"
        )
        .await,
        1
    );
    pay(&app).await;
    assert_eq!(
        app.call("GET", &format!("/api/grants/{id}"), &rep, None)
            .await
            .json()["grant"]["status"],
        "paid"
    );
    // An automatic policy is not applied for; the pharmacy does not qualify and gets reasons.
    assert_eq!(
        app.call("POST", "/api/policies/gas-subsidy/apply", &rep, None)
            .await
            .status,
        StatusCode::CONFLICT
    );
    let pharmacy = login_phone(&app, "13800000005").await;
    let e2: i64 = sqlx::query_scalar("SELECT id FROM enterprises WHERE enterprise_ref = 'DEMO-E2'")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    app.call(
        "POST",
        "/api/me/acting-for",
        &pharmacy,
        Some(&format!(r#"{{"enterprise_id":{e2}}}"#)),
    )
    .await;
    let refused = app
        .call("POST", "/api/policies/hitech-rd/apply", &pharmacy, None)
        .await
        .json();
    assert!(refused["grant"].is_null());
    assert_eq!(refused["check"]["eligible"], false);
    assert!(refused["check"]["criteria"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["passed"] == false));
}

async fn a_data_change_before_payment_revokes_the_offer(app: TestApp) {
    let (app, _fake) = demo_with_treasury(app).await;
    let month = matching::current_month().to_string();
    let offer: i64 = sqlx::query_scalar("SELECT id FROM grants WHERE policy_id = 'gas-subsidy'")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    // The gas utility corrects the month: more gas, a bigger offer.
    let gas = key(&app, "gas_utility").await;
    let rows = |m3: i64| {
        facts(
            "gas_usage",
            "DEMO-E1",
            &month,
            vec![json!({ "cubic_meters": m3 })],
        )
    };
    push(&app, &gas, rows(15_000)).await;
    let amount: i64 = sqlx::query_scalar("SELECT amount_fen FROM grants WHERE id = $1")
        .bind(offer)
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(amount, 300_000);
    // Then no gas at all: the offer is withdrawn and the subject told.
    push(&app, &gas, facts("gas_usage", "DEMO-E1", &month, vec![])).await;
    let status: String = sqlx::query_scalar("SELECT status FROM grants WHERE id = $1")
        .bind(offer)
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(status, "revoked");
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM notifications WHERE kind = 'revoked'"
        )
        .await,
        1
    );
    // A paid grant is never revoked.
    pay(&app).await;
    let ps = key(&app, "public_security").await;
    push(
        &app,
        &ps,
        record("resident", "DEMO-R1", json!({ "death_date": "2000-01-01" })),
    )
    .await;
    let senior: String = sqlx::query_scalar("SELECT g.status FROM grants g JOIN subjects s ON s.id = g.subject_id WHERE s.ref = 'DEMO-R1'")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(senior, "payment_instructed");
}

async fn the_monthly_run_is_idempotent_and_catches_up(app: TestApp) {
    let (app, _fake) = demo_with_treasury(app).await;
    let now = matching::current_month();
    // A new installation runs the current month only.
    assert_eq!(
        server::subsidies::monthly::due_months(&app.state, now)
            .await
            .unwrap(),
        [now]
    );
    let grants = count(&app, "SELECT COUNT(*) FROM grants").await;
    let first = server::subsidies::monthly::run_month(&app.state, now)
        .await
        .unwrap();
    assert_eq!(
        first.created, 0,
        "the demo's grants were made by its data's arrival"
    );
    assert!(first.eligible >= 5, "{first:?}");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM grants").await, grants);
    // Three months of downtime: each missed month once, in order.
    let mut later = now;
    for _ in 0..3 {
        later = later.next();
    }
    let due = server::subsidies::monthly::due_months(&app.state, later)
        .await
        .unwrap();
    assert_eq!(due, [now.next(), now.next().next(), later]);
    let report = server::subsidies::monthly::run_month(&app.state, now.next())
        .await
        .unwrap();
    // Monthly policies grant again for a new month; once-only ones do not.
    assert!(report.created >= 3, "{report:?}");
    let again = server::subsidies::monthly::run_month(&app.state, now.next())
        .await
        .unwrap();
    assert_eq!(again.created, 0, "never twice");
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM (SELECT policy_id, subject_id, period, COUNT(*) AS n FROM grants GROUP BY policy_id, subject_id, period) t WHERE n > 1").await,
        0
    );
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM grants WHERE policy_id = 'small-to-large'"
        )
        .await,
        1
    );
}

async fn grants_are_private(app: TestApp) {
    let (app, _fake) = demo_with_treasury(app).await;
    let senior: i64 = sqlx::query_scalar(
        "SELECT g.id FROM grants g JOIN subjects s ON s.id = g.subject_id WHERE s.ref = 'DEMO-R1'",
    )
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    let owner = login_phone(&app, "13800000001").await;
    let other = login_phone(&app, "13800000002").await;
    let staff = login_staff(&app, "reviewer").await;
    let uri = format!("/api/grants/{senior}");
    assert_eq!(
        app.call("GET", &uri, &owner, None).await.status,
        StatusCode::OK
    );
    assert_eq!(
        app.call("GET", &uri, &other, None).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.call("GET", &uri, "", None).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.call("GET", &uri, &staff, None).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.call("GET", "/api/home", &staff, None).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.call(
            "POST",
            &format!("/api/grants/{senior}/consent"),
            &other,
            None
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.call("GET", "/api/grants/999999", &owner, None)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    // The manufacturer's agent acts for it within the subsidies scope.
    let agent = login_phone(&app, "13800000004").await;
    let enterprise: i64 =
        sqlx::query_scalar("SELECT id FROM enterprises WHERE enterprise_ref = 'DEMO-E1'")
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    app.call(
        "POST",
        "/api/me/acting-for",
        &agent,
        Some(&format!(r#"{{"enterprise_id":{enterprise}}}"#)),
    )
    .await;
    let home = app.call("GET", "/api/home", &agent, None).await;
    assert_eq!(home.status, StatusCode::OK);
    assert_eq!(home.json()["audience"], "enterprise");
    sqlx::query("UPDATE enterprise_agents SET revoked_at = '2026-01-01T00:00:00.000Z'")
        .execute(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(
        app.call("GET", "/api/home", &agent, None).await.status,
        StatusCode::FORBIDDEN
    );
    // Staff without the policy administration permission see no dashboard.
    assert_eq!(
        app.call("GET", "/api/staff/disbursement", &staff, None)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.call("GET", "/api/staff/disbursement", &owner, None)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
}

async fn failed_payments_wait_for_staff_and_retry_safely(app: TestApp) {
    let (app, fake) = demo_with_treasury(app).await;
    fake.fail_next
        .store(1000, std::sync::atomic::Ordering::SeqCst);
    for _ in 0..server::subsidies::payments::MAX_ERRORS {
        sqlx::query("UPDATE payments SET next_attempt_at = '2000-01-01T00:00:00.000Z' WHERE status = 'queued'")
            .execute(&app.db.pool)
            .await
            .unwrap();
        send_due(&app.state).await.unwrap();
    }
    let failed = count(
        &app,
        "SELECT COUNT(*) FROM payments WHERE status = 'failed'",
    )
    .await;
    assert!(failed >= 4, "{failed}");
    let admin = login_staff(&app, "policyadmin").await;
    let board = app
        .call("GET", "/api/staff/disbursement", &admin, None)
        .await;
    assert_eq!(board.status, StatusCode::OK, "{}", board.text());
    let board = board.json();
    assert_eq!(board["failed"].as_array().unwrap().len() as i64, failed);
    assert!(board["failed"][0]["error"]
        .as_str()
        .unwrap()
        .contains("503"));
    fake.fail_next.store(0, std::sync::atomic::Ordering::SeqCst);
    fake.pay_at_once
        .store(true, std::sync::atomic::Ordering::SeqCst);
    for p in board["failed"].as_array().unwrap() {
        let answer = app
            .call(
                "POST",
                &format!("/api/staff/payments/{}/retry", p["id"]),
                &admin,
                None,
            )
            .await;
        assert_eq!(answer.status, StatusCode::NO_CONTENT);
    }
    assert_eq!(
        app.call("POST", "/api/staff/payments/999999/retry", &admin, None)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    pay(&app).await;
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM payments WHERE status = 'failed'"
        )
        .await,
        0
    );
    let board = app
        .call("GET", "/api/staff/disbursement", &admin, None)
        .await
        .json();
    let paid: i64 = board["paid_by_month"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["count"].as_i64().unwrap())
        .sum();
    assert_eq!(paid, failed);
    assert!(board["tallies"]
        .as_array()
        .unwrap()
        .iter()
        .any(|t| t["status"] == "paid"));
}

/// Reads the stream until an event named `name` arrives (or fails after 5 s).
async fn next_event(body: &mut Body, name: &str) {
    let wanted = format!("event: {name}");
    let found = tokio::time::timeout(Duration::from_secs(5), async {
        let mut seen = String::new();
        while let Some(frame) = body.frame().await {
            if let Ok(data) = frame.unwrap().into_data() {
                seen.push_str(&String::from_utf8_lossy(&data));
                if seen.contains(&wanted) {
                    return true;
                }
            }
        }
        false
    })
    .await;
    assert_eq!(found, Ok(true), "no {name} event");
}

async fn the_live_stream_tells_the_subject(app: TestApp) {
    let (app, _fake) = demo_with_treasury(app).await;
    app.state.events.listen().await.unwrap();
    let resident = login_phone(&app, "13800000002").await;
    let request = Request::get("/api/events")
        .header("cookie", &resident)
        .body(Body::empty())
        .unwrap();
    let response = tower::ServiceExt::oneshot(server::app(app.state.clone()), request)
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/event-stream"));
    let mut body = response.into_body();
    next_event(&mut body, "ready").await;
    let ps = key(&app, "public_security").await;
    push(
        &app,
        &ps,
        record("resident", "DEMO-R2", json!({ "birth_date": "1940-01-01" })),
    )
    .await;
    next_event(&mut body, "changed").await;
    assert_eq!(
        app.call("GET", "/api/events", "", None).await.status,
        StatusCode::UNAUTHORIZED
    );
}

async fn objections_reach_the_owning_department_and_come_back_answered(app: TestApp) {
    let app = app.demo().await;
    let resident = login_phone(&app, "13800000002").await;
    let uri = "/api/policies/senior-allowance/objections";
    let body = |attribute: &str, text: &str| {
        let objection = api::subsidy::NewObjection {
            kind: api::subsidy::ObjectionKind::DataWrong,
            attribute: attribute.to_owned(),
            explanation: text.to_owned(),
        };
        serde_json::to_string(&objection).unwrap()
    };
    let sent = app
        .call(
            "POST",
            uri,
            &resident,
            Some(&body(
                "birth_date",
                "我的出生日期登记错了，应为1945年1月1日",
            )),
        )
        .await;
    assert_eq!(sent.status, StatusCode::CREATED, "{}", sent.text());
    assert_eq!(sent.json()["department"]["zh-CN"], "公安");
    assert!(sent.json()["answer"].is_null());
    let short = app
        .call("POST", uri, &resident, Some(&body("birth_date", "错")))
        .await;
    assert_eq!(
        (short.status, short.json()["field"].clone()),
        (StatusCode::UNPROCESSABLE_ENTITY, json!("explanation"))
    );
    let unused = app
        .call(
            "POST",
            uri,
            &resident,
            Some(&body("dibao", "低保信息有误，请核实")),
        )
        .await;
    assert_eq!(
        (unused.status, unused.json()["field"].clone()),
        (StatusCode::UNPROCESSABLE_ENTITY, json!("attribute"))
    );
    assert_eq!(
        app.call("POST", uri, "", Some(&body("birth_date", "出生日期有误")))
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    let staff = login_staff(&app, "reviewer").await;
    assert_eq!(
        app.call(
            "POST",
            uri,
            &staff,
            Some(&body("birth_date", "出生日期有误"))
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );

    // The population register sees it; civil affairs does not, and cannot answer it.
    let ps = key(&app, "public_security").await;
    let ca = key(&app, "civil_affairs").await;
    let with_key = |k: &str, method: &str, uri: &str, body: Option<&str>| {
        let mut r = Request::builder()
            .method(method)
            .uri(uri)
            .header("authorization", format!("Bearer {k}"));
        if body.is_some() {
            r = r.header("content-type", "application/json");
        }
        r.body(Body::from(body.unwrap_or_default().to_owned()))
            .unwrap()
    };
    let listed = app
        .send(with_key(&ps, "GET", "/api/feeds/objections", None))
        .await
        .json();
    assert_eq!(listed[0]["subject_id"], "DEMO-R2");
    assert_eq!(listed[0]["attribute"], "birth_date");
    let id = listed[0]["id"].as_i64().unwrap();
    assert_eq!(
        app.send(with_key(&ca, "GET", "/api/feeds/objections", None))
            .await
            .json(),
        json!([])
    );
    let answer = format!("/api/feeds/objections/{id}/answer");
    let reply = r#"{"answer":"已核实并更正出生日期"}"#;
    assert_eq!(
        app.send(with_key(&ca, "POST", &answer, Some(reply)))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.send(with_key(&ps, "POST", &answer, Some(reply)))
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.send(with_key(&ps, "POST", &answer, Some(reply)))
            .await
            .status,
        StatusCode::CONFLICT
    );

    // The person sees the answer, and is told.
    let mine = app
        .call("GET", "/api/objections", &resident, None)
        .await
        .json();
    assert_eq!(mine[0]["answer"], "已核实并更正出生日期");
    let home = app.call("GET", "/api/home", &resident, None).await.json();
    assert_eq!(home["notifications"][0]["kind"], "objection_answered");
    // Another person sees none of it.
    let other = login_phone(&app, "13800000001").await;
    assert_eq!(
        app.call("GET", "/api/objections", &other, None)
            .await
            .json(),
        json!([])
    );
}

mod two_instances_on {
    mod postgres {
        /// Several instances on one PostgreSQL: an event produced through instance A reaches a
        /// client connected to instance B.
        #[tokio::test]
        async fn an_event_through_one_instance_reaches_another() {
            super::super::an_event_through_one_instance_reaches_another().await;
        }
    }
}

async fn an_event_through_one_instance_reaches_another() {
    let a = TestApp::postgres().await.demo().await;
    let b_state =
        a.state
            .clone()
            .with_events(std::sync::Arc::new(server::platform::events::Hub::new(
                a.state.db.clone(),
            )));
    a.state.events.listen().await.unwrap();
    b_state.events.listen().await.unwrap();
    let resident = login_phone(&a, "13800000002").await;
    let request = Request::get("/api/events")
        .header("cookie", &resident)
        .body(Body::empty())
        .unwrap();
    let response = tower::ServiceExt::oneshot(server::app(b_state.clone()), request)
        .await
        .unwrap();
    let mut body = response.into_body();
    next_event(&mut body, "ready").await;
    let ps = key(&a, "public_security").await;
    push(
        &a,
        &ps,
        record("resident", "DEMO-R2", json!({ "birth_date": "1940-01-01" })),
    )
    .await;
    next_event(&mut body, "changed").await;
}

/// Every status change goes through `move_grant`: a move the table does not allow is refused
/// and writes nothing; a move from a status the grant is no longer in writes nothing; an
/// allowed one writes the status and its timeline step together.
async fn a_grant_moves_only_as_its_table_allows(app: TestApp) {
    use api::subsidy::GrantStatus;
    use server::subsidies::grant_life::GrantEvent;
    use server::subsidies::grant_moves::{move_grant, Grant, MoveError};
    use sqlx::Row;

    let app = app.demo().await;
    let row = sqlx::query(
        "SELECT id, subject_id, policy_id, amount_fen FROM grants WHERE status = 'awaiting_consent' ORDER BY id LIMIT 1",
    )
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    let id: i64 = row.try_get("id").unwrap();
    let policy: String = row.try_get("policy_id").unwrap();
    let grant = Grant {
        id,
        subject: row.try_get("subject_id").unwrap(),
        policy: &policy,
        amount_fen: row.try_get("amount_fen").unwrap(),
        status: GrantStatus::AwaitingConsent,
    };
    let state = |app: &TestApp| {
        let pool = app.db.pool.clone();
        async move {
            let status: String = sqlx::query_scalar("SELECT status FROM grants WHERE id = $1")
                .bind(id)
                .fetch_one(&pool)
                .await
                .unwrap();
            let steps: i64 =
                sqlx::query_scalar("SELECT COUNT(*) FROM grant_events WHERE grant_id = $1")
                    .bind(id)
                    .fetch_one(&pool)
                    .await
                    .unwrap();
            (status, steps)
        }
    };
    let before = state(&app).await;
    let at = "2026-12-02T00:00:00.000Z";
    let actor = || server::subsidies::grant_moves::Actor::Treasury;

    // Paid while it waits for consent: not in the table.
    let mut tx = app.db.begin().await.unwrap();
    let refused = move_grant(&mut tx, &grant, GrantEvent::Paid, actor(), None, at).await;
    assert!(matches!(refused, Err(MoveError::Refused(_))), "{refused:?}");
    // Read as approved, but it is not (any more): nothing happens.
    let stale = Grant {
        status: GrantStatus::Approved,
        ..grant
    };
    let moved = move_grant(&mut tx, &stale, GrantEvent::Instructed, actor(), None, at).await;
    assert_eq!(moved.unwrap(), None);
    tx.commit().await.unwrap();
    assert_eq!(state(&app).await, before, "nothing was written");

    // Consent, as the table allows: the status and its step, together.
    let mut tx = app.db.begin().await.unwrap();
    let subject = server::subsidies::grant_moves::Actor::Subject;
    let moved = move_grant(&mut tx, &grant, GrantEvent::Consent, subject, None, at).await;
    assert_eq!(moved.unwrap(), Some(GrantStatus::Approved));
    tx.commit().await.unwrap();
    assert_eq!(state(&app).await, ("approved".to_owned(), before.1 + 1));
    // And a second consent from the status it was read in finds it moved on.
    let mut tx = app.db.begin().await.unwrap();
    let again = move_grant(&mut tx, &grant, GrantEvent::Consent, subject, None, at).await;
    assert_eq!(again.unwrap(), None);
    tx.rollback().await.unwrap();
}

/// 政策找人: a tax feed that makes the pharmacy eligible for the R&D grant (which is applied
/// for) puts a message with the amount in its inbox, once, however often the data repeats.
async fn newly_eligible_to_apply_is_told_once(app: TestApp) {
    let app = app.demo().await;
    let owner = login_phone(&app, "13800000005").await;
    assert_eq!(
        common::act_for(&app, &owner, "DEMO-E2").await.status,
        StatusCode::OK
    );
    let told = |home: &Value| {
        home["notifications"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|n| n["kind"] == "can_apply" && n["policy"] == "hitech-rd")
            .cloned()
            .collect::<Vec<_>>()
    };
    let before = app.call("GET", "/api/home", &owner, None).await.json();
    assert!(told(&before).is_empty(), "{before}");
    let tax = key(&app, "tax").await;
    let data = || {
        record(
            "enterprise",
            "DEMO-E2",
            json!({ "high_tech_until": "2030-12-31", "rd_expense_y1": 100_000_000 }),
        )
    };
    for _ in 0..2 {
        let answer = push(&app, &tax, data()).await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    }
    let home = app.call("GET", "/api/home", &owner, None).await.json();
    let notices = told(&home);
    assert_eq!(notices.len(), 1, "told once: {home}");
    assert_eq!(notices[0]["amount_fen"], 10_000_000);
    assert!(home["can_apply"]
        .as_array()
        .unwrap()
        .iter()
        .any(|o| o["policy"] == "hitech-rd"));
    // It goes out by SMS or WeChat too, through the outbox.
    let queued = count(
        &app,
        "SELECT COUNT(*) FROM notifications WHERE kind = 'can_apply' AND delivered_at IS NULL",
    )
    .await;
    assert!(queued >= 1);
}

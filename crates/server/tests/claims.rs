//! 线上申报 through the API: 黄总 applies for the technology-upgrade grant for his company with
//! the policy's answers and materials; the department's reviewer returns it once for a
//! material, approves the corrected application, and the grant is paid through the outbox.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::licence::{PDF, PNG};
use common::{act_for, fake_treasury, login_phone, login_staff, pay, Answer, TestApp};
use serde_json::{json, Value};

on_both_databases!(
    an_application_is_returned_once_approved_and_paid,
    only_the_reviewing_department_sees_and_decides,
    only_eligible_subjects_apply_and_only_this_way,
    refusals_name_their_field_and_change_nothing,
    no_longer_eligible_is_not_approved
);

const POLICY: &str = "tech-renovation";

async fn upload(
    app: &TestApp,
    cookie: &str,
    id: i64,
    material: &str,
    content_type: &str,
    bytes: &[u8],
) -> Answer {
    app.send(
        Request::put(format!(
            "/api/claims/{id}/materials/{material}?name={material}.pdf"
        ))
        .header("cookie", cookie)
        .header("content-type", content_type)
        .body(Body::from(bytes.to_vec()))
        .unwrap(),
    )
    .await
}

async fn step(app: &TestApp, uri: &str, cookie: &str, body: Value) -> Answer {
    app.call("POST", uri, cookie, Some(&body.to_string())).await
}

fn answers() -> Value {
    json!({ "answers": {
        "project.name": "注塑车间自动化改造",
        "project.investment": "3200000",
        "project.completed_on": "2026-10-31",
    }})
}

/// 黄总, acting for his manufacturer (DEMO-E1), with a draft started.
async fn huang_with_draft(app: &TestApp) -> (String, i64) {
    let huang = login_phone(app, "13800000003").await;
    assert_eq!(act_for(app, &huang, "DEMO-E1").await.status, StatusCode::OK);
    let check = app
        .call(
            "GET",
            &format!("/api/policies/{POLICY}/check"),
            &huang,
            None,
        )
        .await
        .json();
    assert_eq!(check["eligible"], true, "{check}");
    assert_eq!(check["can_apply"], true);
    assert_eq!(check["claim"], Value::Null);
    let started = app
        .call(
            "POST",
            &format!("/api/policies/{POLICY}/claims"),
            &huang,
            None,
        )
        .await;
    assert_eq!(started.status, StatusCode::OK, "{}", started.text());
    let c = started.json();
    assert_eq!(c["status"], "draft");
    assert!(c["number"].as_str().unwrap().starts_with("SB-"), "{c}");
    assert_eq!(c["amount_fen"], 10_000_000);
    assert_eq!(c["applicant"], "佛山市恒立电气自动化有限公司");
    assert_eq!(c["review_days"], 10);
    assert_eq!(c["ready"], false);
    assert_eq!(c["check"], Value::Null, "the rules' check is for reviewers");
    (huang, c["id"].as_i64().unwrap())
}

/// The draft, answered, with both materials, submitted.
async fn submitted(app: &TestApp) -> (String, i64) {
    let (huang, id) = huang_with_draft(app).await;
    let saved = app
        .call(
            "PUT",
            &format!("/api/claims/{id}/answers"),
            &huang,
            Some(&answers().to_string()),
        )
        .await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.text());
    assert_eq!(
        upload(app, &huang, id, "project_filing", "application/pdf", PDF)
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        upload(app, &huang, id, "equipment_invoices", "image/png", PNG)
            .await
            .status,
        StatusCode::OK
    );
    let sent = step(
        app,
        &format!("/api/claims/{id}/steps"),
        &huang,
        json!({ "action": "submit", "from": "draft" }),
    )
    .await;
    assert_eq!(sent.status, StatusCode::OK, "{}", sent.text());
    (huang, id)
}

async fn an_application_is_returned_once_approved_and_paid(app: TestApp) {
    let (base, fake) = fake_treasury::start().await;
    let app = app.demo().await.with_treasury(&base);
    let (huang, id) = huang_with_draft(&app).await;
    let url = format!("/api/claims/{id}");

    // Sending an empty application names the first missing answer.
    let early = step(
        &app,
        &format!("{url}/steps"),
        &huang,
        json!({ "action": "submit", "from": "draft" }),
    )
    .await;
    assert_eq!(early.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        early.json()["field"],
        "answers.project.name",
        "{}",
        early.text()
    );

    // A wrong answer is named on its field; a question the policy does not ask is refused.
    let wrong = app
        .call(
            "PUT",
            &format!("{url}/answers"),
            &huang,
            Some(&json!({ "answers": { "project.investment": "三百万" } }).to_string()),
        )
        .await
        .json();
    assert_eq!(
        wrong["problems"][0]["field"], "project.investment",
        "{wrong}"
    );
    let unknown = app
        .call(
            "PUT",
            &format!("{url}/answers"),
            &huang,
            Some(&json!({ "answers": { "nope": "x" } }).to_string()),
        )
        .await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(unknown.json()["field"], "answers.nope");

    let saved = app
        .call(
            "PUT",
            &format!("{url}/answers"),
            &huang,
            Some(&answers().to_string()),
        )
        .await
        .json();
    assert_eq!(saved["problems"], json!([]), "{saved}");
    // A file whose content is not what it says is refused; the materials are then uploaded.
    let fake_pdf = upload(&app, &huang, id, "project_filing", "application/pdf", PNG).await;
    assert_eq!(fake_pdf.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fake_pdf.json()["field"], "file");
    assert_eq!(
        upload(&app, &huang, id, "project_filing", "application/pdf", PDF)
            .await
            .status,
        StatusCode::OK
    );
    let missing = step(
        &app,
        &format!("{url}/steps"),
        &huang,
        json!({ "action": "submit", "from": "draft" }),
    )
    .await;
    assert_eq!(missing.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(missing.json()["field"], "materials.equipment_invoices");
    let ready = upload(&app, &huang, id, "equipment_invoices", "image/png", PNG)
        .await
        .json();
    assert_eq!(ready["ready"], true, "{ready}");

    let sent = step(
        &app,
        &format!("{url}/steps"),
        &huang,
        json!({ "action": "submit", "from": "draft" }),
    )
    .await
    .json();
    assert_eq!(sent["status"], "submitted");
    assert_eq!(sent["working_days_left"], 10, "{sent}");
    let due: api::Date = sent["due_on"].as_str().unwrap().parse().unwrap();
    let today = server::platform::db::today_shanghai();
    assert_eq!(
        due,
        licensing::calendar::Calendar::standard().add_working_days(today, 10)
    );
    let locked = app
        .call(
            "PUT",
            &format!("{url}/answers"),
            &huang,
            Some(&answers().to_string()),
        )
        .await;
    assert_eq!(
        locked.status,
        StatusCode::CONFLICT,
        "not while the department reads it"
    );

    // The department's reviewer finds it in the queue, with the rules' check; the read is
    // written to 黄总's access log.
    let qian = login_staff(&app, "claimreviewer").await;
    let queue = app
        .call("GET", "/api/staff/claims", &qian, None)
        .await
        .json();
    assert_eq!(queue["department"], "禅城区经济和科技促进局");
    assert_eq!(queue["waiting"][0]["id"], id, "{queue}");
    assert_eq!(queue["waiting"][0]["working_days_left"], 10);
    let seen = app
        .call("GET", &format!("/api/staff/claims/{id}"), &qian, None)
        .await
        .json();
    assert_eq!(seen["check"]["eligible"], true, "{seen}");
    assert_eq!(seen["answers"]["project.name"], "注塑车间自动化改造");
    assert_eq!(seen["actions"], json!(["approve", "return", "reject"]));
    let file = app
        .call(
            "GET",
            &format!("/api/staff/claims/{id}/materials/project_filing"),
            &qian,
            None,
        )
        .await;
    assert_eq!(file.status, StatusCode::OK);
    assert_eq!(file.header("content-type"), "application/pdf");
    let log = app
        .call("GET", "/api/me/access-log", &huang, None)
        .await
        .text();
    assert!(log.contains("subsidy_claim"), "{log}");

    // Returned once: a reason is needed; the invoice is named.
    let staff_steps = format!("/api/staff/claims/{id}/steps");
    let bare = step(
        &app,
        &staff_steps,
        &qian,
        json!({ "action": "return", "from": "submitted" }),
    )
    .await;
    assert_eq!(bare.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bare.json()["field"], "reason");
    let returned = step(
        &app,
        &staff_steps,
        &qian,
        json!({
            "action": "return", "from": "submitted",
            "reason": "发票不清晰，请补正",
            "items": [{ "material": "equipment_invoices", "reason": "发票金额看不清" }],
        }),
    )
    .await;
    assert_eq!(returned.status, StatusCode::OK, "{}", returned.text());
    let mine = app.call("GET", &url, &huang, None).await.json();
    assert_eq!(mine["status"], "returned");
    assert_eq!(mine["reason"], "发票不清晰，请补正");
    assert_eq!(
        mine["due_on"],
        Value::Null,
        "the clock stops while it is with the applicant"
    );
    assert_eq!(mine["materials"][1]["returned"], "发票金额看不清");
    assert_eq!(mine["ready"], false);
    assert_eq!(
        mine["steps"][2]["actor_name"],
        Value::Null,
        "reviewers are not named to applicants"
    );
    let home = app.call("GET", "/api/home", &huang, None).await.json();
    let told = home["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["kind"] == "claim_returned")
        .cloned();
    assert_eq!(told.unwrap()["claim"], id, "{home}");
    // The corrected invoice, then sent again (a repeat of the step changes nothing).
    upload(&app, &huang, id, "equipment_invoices", "image/png", PNG).await;
    let again = step(
        &app,
        &format!("{url}/steps"),
        &huang,
        json!({ "action": "submit", "from": "returned" }),
    )
    .await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.text());
    let repeat = step(
        &app,
        &format!("{url}/steps"),
        &huang,
        json!({ "action": "submit", "from": "returned" }),
    )
    .await;
    assert_eq!(repeat.status, StatusCode::OK);
    assert_eq!(repeat.json()["status"], "submitted");

    // Approved: the grant is made and paid through the outbox, once.
    let approved = step(
        &app,
        &staff_steps,
        &qian,
        json!({ "action": "approve", "from": "submitted" }),
    )
    .await;
    assert_eq!(approved.status, StatusCode::OK, "{}", approved.text());
    let approved = approved.json();
    assert_eq!(approved["status"], "approved");
    assert_eq!(approved["grant"]["amount_fen"], 10_000_000);
    let twice = step(
        &app,
        &staff_steps,
        &qian,
        json!({ "action": "approve", "from": "submitted" }),
    )
    .await;
    assert_eq!(twice.status, StatusCode::OK, "a repeat changes nothing");
    let reject = step(
        &app,
        &staff_steps,
        &qian,
        json!({ "action": "reject", "from": "approved", "reason": "重复" }),
    )
    .await;
    assert_eq!(reject.status, StatusCode::CONFLICT);
    pay(&app).await;
    fake.confirm_all();
    pay(&app).await;
    let mine = app.call("GET", &url, &huang, None).await.json();
    assert_eq!(mine["grant"]["status"], "paid", "{mine}");
    let actions: Vec<&str> = mine["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["start", "submit", "return", "submit", "approve"]);
    let grants: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM grants WHERE policy_id = 'tech-renovation'")
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    assert_eq!(grants, 1);
    let grant = mine["grant"]["id"].as_i64().unwrap();
    let entry = fake
        .entries
        .lock()
        .unwrap()
        .get(&format!("zhida-grant-{grant}"))
        .cloned()
        .unwrap();
    assert_eq!(
        (
            entry.amount_fen,
            entry.payee.as_str(),
            entry.paid,
            entry.sends
        ),
        (10_000_000, "DEMO-E1", true, 1)
    );
    // Nothing more to apply for this year: the policy page shows the application.
    let check = app
        .call(
            "GET",
            &format!("/api/policies/{POLICY}/check"),
            &huang,
            None,
        )
        .await
        .json();
    assert_eq!(
        (check["can_apply"].as_bool(), check["claim"].as_i64()),
        (Some(false), Some(id))
    );
    let list = app.call("GET", "/api/claims", &huang, None).await.json();
    assert_eq!(list[0]["status"], "approved");
}

async fn only_the_reviewing_department_sees_and_decides(app: TestApp) {
    let app = app.demo().await;
    let (huang, id) = submitted(&app).await;
    // A licence reviewer holds no subsidy permission; a person is no reviewer.
    let zhang = login_staff(&app, "reviewer").await;
    assert_eq!(
        app.call("GET", "/api/staff/claims", &zhang, None)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.call("GET", &format!("/api/staff/claims/{id}"), &huang, None)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    // A subsidy reviewer of another department neither sees nor decides it.
    let qian = login_staff(&app, "claimreviewer").await;
    sqlx::query("UPDATE staff SET department = '禅城区民政局' WHERE username = 'claimreviewer'")
        .execute(&app.db.pool)
        .await
        .unwrap();
    let queue = app
        .call("GET", "/api/staff/claims", &qian, None)
        .await
        .json();
    assert_eq!(queue["waiting"], json!([]), "{queue}");
    assert_eq!(
        app.call("GET", &format!("/api/staff/claims/{id}"), &qian, None)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let approve = step(
        &app,
        &format!("/api/staff/claims/{id}/steps"),
        &qian,
        json!({ "action": "approve", "from": "submitted" }),
    )
    .await;
    assert_eq!(approve.status, StatusCode::NOT_FOUND);
    // Another person cannot read it.
    let liang = login_phone(&app, "13800000005").await;
    assert_eq!(
        app.call("GET", &format!("/api/claims/{id}"), &liang, None)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    // The applicant cannot decide it; a reviewer cannot submit it.
    let self_approve = step(
        &app,
        &format!("/api/claims/{id}/steps"),
        &huang,
        json!({ "action": "approve", "from": "submitted" }),
    )
    .await;
    assert_eq!(self_approve.status, StatusCode::CONFLICT);
    // Withdrawn, it leaves the queue.
    let gone = step(
        &app,
        &format!("/api/claims/{id}/steps"),
        &huang,
        json!({ "action": "withdraw", "from": "submitted" }),
    )
    .await;
    assert_eq!(gone.json()["status"], "withdrawn");
}

async fn only_eligible_subjects_apply_and_only_this_way(app: TestApp) {
    let app = app.demo().await;
    // The pharmacy is no manufacturer.
    let liang = login_phone(&app, "13800000005").await;
    assert_eq!(
        act_for(&app, &liang, "DEMO-E2").await.status,
        StatusCode::OK
    );
    let refused = app
        .call(
            "POST",
            &format!("/api/policies/{POLICY}/claims"),
            &liang,
            None,
        )
        .await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
    assert!(refused.text().contains("不符合"), "{}", refused.text());
    // A reviewed policy is not decided at once, and an instant one takes no application.
    let huang = login_phone(&app, "13800000003").await;
    act_for(&app, &huang, "DEMO-E1").await;
    assert_eq!(
        app.call(
            "POST",
            &format!("/api/policies/{POLICY}/apply"),
            &huang,
            None
        )
        .await
        .status,
        StatusCode::CONFLICT
    );
    assert_eq!(
        app.call("POST", "/api/policies/startup-grant/claims", &huang, None)
            .await
            .status,
        StatusCode::CONFLICT
    );
    // Starting twice gives the same application.
    let a = app
        .call(
            "POST",
            &format!("/api/policies/{POLICY}/claims"),
            &huang,
            None,
        )
        .await
        .json();
    let b = app
        .call(
            "POST",
            &format!("/api/policies/{POLICY}/claims"),
            &huang,
            None,
        )
        .await
        .json();
    assert_eq!(a["id"], b["id"]);
}

async fn refusals_name_their_field_and_change_nothing(app: TestApp) {
    let app = app.demo().await;
    let (huang, id) = huang_with_draft(&app).await;
    // An answer over 2,000 characters.
    let long = json!({ "answers": { "project.summary": "改".repeat(2001) } });
    let refused = app
        .call(
            "PUT",
            &format!("/api/claims/{id}/answers"),
            &huang,
            Some(&long.to_string()),
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refused.json()["field"], "answers.project.summary");
    // A document of a material the policy does not ask for.
    let unknown = upload(&app, &huang, id, "passport", "application/pdf", PDF).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    // Once sent, no document can be replaced.
    let saved = app
        .call(
            "PUT",
            &format!("/api/claims/{id}/answers"),
            &huang,
            Some(&answers().to_string()),
        )
        .await;
    assert_eq!(saved.status, StatusCode::OK);
    upload(&app, &huang, id, "project_filing", "application/pdf", PDF).await;
    upload(&app, &huang, id, "equipment_invoices", "image/png", PNG).await;
    let sent = step(
        &app,
        &format!("/api/claims/{id}/steps"),
        &huang,
        json!({ "action": "submit", "from": "draft" }),
    )
    .await;
    assert_eq!(sent.status, StatusCode::OK);
    let late = upload(&app, &huang, id, "project_filing", "application/pdf", PDF).await;
    assert_eq!(late.status, StatusCode::CONFLICT);
    // A rejection needs its reason; a return names only the policy's materials.
    let qian = login_staff(&app, "claimreviewer").await;
    let staff_steps = format!("/api/staff/claims/{id}/steps");
    let bare = step(
        &app,
        &staff_steps,
        &qian,
        json!({ "action": "reject", "from": "submitted" }),
    )
    .await;
    assert_eq!(bare.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bare.json()["field"], "reason");
    let wrong_item = step(
        &app,
        &staff_steps,
        &qian,
        json!({
            "action": "return", "from": "submitted", "reason": "请补正",
            "items": [{ "material": "passport", "reason": "看不清" }],
        }),
    )
    .await;
    assert_eq!(wrong_item.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(wrong_item.json()["field"], "items[0].material");
    let still = app
        .call("GET", &format!("/api/claims/{id}"), &huang, None)
        .await
        .json();
    assert_eq!(still["status"], "submitted", "nothing was written");
    // A step the sender did not see (the application moved meanwhile) is refused.
    let stale = step(
        &app,
        &staff_steps,
        &qian,
        json!({ "action": "approve", "from": "returned" }),
    )
    .await;
    assert_eq!(stale.status, StatusCode::CONFLICT);
}

async fn no_longer_eligible_is_not_approved(app: TestApp) {
    let app = app.demo().await;
    let (_huang, id) = submitted(&app).await;
    // The tax bureau's data changes while the application waits: last year's revenue is below
    // the threshold now.
    let tax = server::accounts::departments::issue_key(&app.db, "tax")
        .await
        .unwrap();
    let body = server::data::feeds::FeedBatch {
        records: vec![server::data::feeds::FeedRecord {
            subject: "enterprise".into(),
            id: "DEMO-E1".into(),
            attributes: serde_json::from_value(json!({ "revenue_y1": "1500000000" })).unwrap(),
        }],
        ..Default::default()
    };
    let pushed = common::push_feed(&app, &tax, &body).await;
    assert_eq!(pushed.status, StatusCode::OK, "{}", pushed.text());
    let qian = login_staff(&app, "claimreviewer").await;
    let seen = app
        .call("GET", &format!("/api/staff/claims/{id}"), &qian, None)
        .await
        .json();
    assert_eq!(seen["check"]["eligible"], false, "{seen}");
    let approve = step(
        &app,
        &format!("/api/staff/claims/{id}/steps"),
        &qian,
        json!({ "action": "approve", "from": "submitted" }),
    )
    .await;
    assert_eq!(approve.status, StatusCode::CONFLICT);
    assert!(approve.text().contains("不符合"), "{}", approve.text());
    let grants: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM grants WHERE policy_id = 'tech-renovation'")
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    assert_eq!(grants, 0);
    // The reviewer refuses it with the reason instead.
    let rejected = step(
        &app,
        &format!("/api/staff/claims/{id}/steps"),
        &qian,
        json!({
            "action": "reject", "from": "submitted", "reason": "上年营业收入不足 2000 万元",
        }),
    )
    .await;
    assert_eq!(rejected.json()["status"], "rejected");
}

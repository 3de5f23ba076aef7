//! Real people outside demo mode: the registers' feeds carry ID numbers and names (sealed,
//! never in the attributes); a person who records a name and number that the population
//! register holds is linked to her record and sees her grants; a wrong name is refused in
//! words that do not tell whether the number exists; one account per person; the enterprise
//! whose market-register record names her appears under 我的. The real-name service speaks
//! its protocol to a local fake.

mod common;

use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::{Json, Router};
use common::{Answer, TestApp};
use serde_json::{json, Value};
use server::accounts::identity::{HttpIdentity, IdentityVerifier, Verdict};
use server::data::feeds::{FeedBatch, FeedRecord};

on_both_databases!(
    a_resident_in_the_register_is_linked_and_sees_her_grant,
    a_wrong_or_unknown_pair_is_refused_alike_and_tries_are_limited,
    one_account_per_person,
    personal_fields_are_sealed_and_only_the_register_sends_them,
    the_representative_in_the_market_register_gets_the_enterprise,
    a_real_name_service_answers_for_people_the_register_lacks,
);

/// 林秀英, born 1941: 85 this year, so the senior allowance is hers.
const LIN: &str = "440604194103150043";
/// Another valid number that no register holds.
const NOBODY: &str = "440604196001010073";

async fn key(app: &TestApp, department: &str) -> String {
    server::accounts::departments::issue_key(&app.db, department)
        .await
        .unwrap()
}

async fn push(app: &TestApp, department: &str, records: Vec<FeedRecord>) -> Answer {
    let key = key(app, department).await;
    let body = FeedBatch {
        records,
        ..FeedBatch::default()
    };
    common::push_feed(app, &key, &body).await
}

fn rec(subject: &str, id: &str, attributes: Value) -> FeedRecord {
    FeedRecord {
        subject: subject.to_owned(),
        id: id.to_owned(),
        attributes: serde_json::from_value(attributes).expect("an object of attributes"),
    }
}

/// The population register sends 林秀英 with her number and name.
async fn register_lin(app: &TestApp) {
    let answer = push(
        app,
        "public_security",
        vec![rec(
            "resident",
            "R-LIN",
            json!({
                "birth_date": "1941-03-15", "hukou_district": "440604", "street": "祖庙街道",
                "id_number": LIN, "name": "林秀英",
            }),
        )],
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
}

/// Logs in by SMS outside demo mode: the code is read from what the gateway was given.
async fn login(app: &TestApp, phone: &str) -> String {
    let sent = common::sms_send(app, phone).await;
    assert_eq!(sent.status, StatusCode::OK, "{}", sent.text());
    assert_eq!(
        sent.json()["demo_code"],
        Value::Null,
        "no code shown outside demo mode"
    );
    let code = app.sms.last_code(phone).expect("a code was sent");
    common::sms_verify(app, phone, &code).await
}

async fn record_identity(app: &TestApp, cookie: &str, name: &str, number: &str) -> Answer {
    app.call(
        "PUT",
        "/api/me/identity",
        cookie,
        Some(&json!({ "name": name, "id_number": number }).to_string()),
    )
    .await
}

async fn a_resident_in_the_register_is_linked_and_sees_her_grant(app: TestApp) {
    register_lin(&app).await;
    let cookie = login(&app, "13900000101").await;
    let before = app.call("GET", "/api/home", &cookie, None).await.json();
    assert_eq!(before["audience"], Value::Null, "not linked yet: {before}");

    // Spaces and the form of the name as typed do not matter.
    let answer = record_identity(&app, &cookie, " 林 秀英 ", &LIN.to_lowercase()).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    assert_eq!(answer.json()["person"]["id_number"], "4406**********0043");

    let home = app.call("GET", "/api/home", &cookie, None).await.json();
    assert_eq!(home["audience"], "resident", "{home}");
    let grant = home["recent"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["policy"] == "senior-allowance")
        .unwrap_or_else(|| panic!("the allowance shows at once: {home}"))
        .clone();
    let id = grant["id"].as_i64().unwrap();
    let receipt = app
        .call("GET", &format!("/api/grants/{id}"), &cookie, None)
        .await;
    assert_eq!(receipt.status, StatusCode::OK, "{}", receipt.text());

    // Recording the same again changes nothing; another number is refused once settled.
    assert_eq!(
        record_identity(&app, &cookie, "林秀英", LIN).await.status,
        StatusCode::OK
    );
    let other = record_identity(&app, &cookie, "林秀英", NOBODY).await;
    assert_eq!(other.status, StatusCode::CONFLICT, "{}", other.text());
    assert_eq!(
        other.json()["message"],
        "您已完成实名登记，不能改成另一个身份证号。如需更正，请到政务服务中心办理。"
    );
}

async fn a_wrong_or_unknown_pair_is_refused_alike_and_tries_are_limited(app: TestApp) {
    register_lin(&app).await;
    let cookie = login(&app, "13900000102").await;
    let too_long = record_identity(&app, &cookie, &"林".repeat(51), LIN).await;
    assert_eq!(too_long.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(too_long.json()["field"], "name");
    let wrong_name = record_identity(&app, &cookie, "林小英", LIN).await;
    let unknown = record_identity(&app, &cookie, "林秀英", NOBODY).await;
    for answer in [&wrong_name, &unknown] {
        assert_eq!(
            answer.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            answer.text()
        );
        assert_eq!(answer.json()["field"], "name");
    }
    assert_eq!(
        wrong_name.json(),
        unknown.json(),
        "the answer does not tell whether the number exists"
    );
    assert!(wrong_name.json()["message"]
        .as_str()
        .unwrap()
        .starts_with("姓名和身份证号码与登记信息对不上"));
    // Nothing was recorded or linked.
    let me = app.call("GET", "/api/me", &cookie, None).await.json();
    assert_eq!(me["person"]["id_number"], Value::Null);
    // Five tries an hour, then a wait.
    for _ in 0..3 {
        record_identity(&app, &cookie, "林小英", LIN).await;
    }
    let limited = record_identity(&app, &cookie, "林秀英", LIN).await;
    assert_eq!(
        limited.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        limited.text()
    );
    assert!(!limited.header("retry-after").is_empty());
}

async fn one_account_per_person(app: TestApp) {
    register_lin(&app).await;
    let first = login(&app, "13900000103").await;
    assert_eq!(
        record_identity(&app, &first, "林秀英", LIN).await.status,
        StatusCode::OK
    );
    let second = login(&app, "13900000104").await;
    let taken = record_identity(&app, &second, "林秀英", LIN).await;
    assert_eq!(taken.status, StatusCode::CONFLICT, "{}", taken.text());
    assert_eq!(taken.json()["code"], "conflict");
    let home = app.call("GET", "/api/home", &second, None).await.json();
    assert_eq!(
        home["audience"],
        Value::Null,
        "the second account sees nothing of hers"
    );
    // The database holds the rule too: one account per resident record.
    let linked: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE resident_ref = 'R-LIN'")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(linked, 1);
    let id: i64 = sqlx::query_scalar("SELECT id FROM users WHERE resident_ref IS NULL LIMIT 1")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    let duplicate = sqlx::query("UPDATE users SET resident_ref = 'R-LIN' WHERE id = $1")
        .bind(id)
        .execute(&app.db.pool)
        .await;
    assert!(duplicate.is_err(), "a unique index refuses a second link");
}

async fn personal_fields_are_sealed_and_only_the_register_sends_them(app: TestApp) {
    register_lin(&app).await;
    // Never in the attributes, never in plain text anywhere in the row.
    let vals: String = sqlx::query_scalar("SELECT vals FROM subjects WHERE ref = 'R-LIN'")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert!(!vals.contains(LIN) && !vals.contains("林秀英"), "{vals}");
    let history: Vec<String> = sqlx::query_scalar("SELECT changes FROM subject_changes")
        .fetch_all(&app.db.pool)
        .await
        .unwrap();
    assert!(history
        .iter()
        .all(|h| !h.contains(LIN) && !h.contains("林秀英")));
    let sealed: Vec<u8> = sqlx::query_scalar("SELECT id_number_enc FROM register_identities")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert!(!String::from_utf8_lossy(&sealed).contains("440604"));
    let stamp = || async {
        sqlx::query_scalar::<_, String>("SELECT updated_at FROM register_identities")
            .fetch_one(&app.db.pool)
            .await
            .unwrap()
    };
    let before = stamp().await;
    register_lin(&app).await;
    assert_eq!(stamp().await, before, "a repeat writes nothing");

    // Another department may not send them; bad numbers are named without their value.
    let answer = push(
        &app,
        "civil_affairs",
        vec![rec("resident", "R-LIN", json!({ "name": "林某" }))],
    )
    .await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(answer.json()["problems"][0]["code"], "not_your_attribute");
    let bad = "440604194103150042";
    let answer = push(
        &app,
        "public_security",
        vec![rec(
            "resident",
            "R-2",
            json!({ "birth_date": "1950-01-01", "hukou_district": "440604", "id_number": bad }),
        )],
    )
    .await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        answer.json()["problems"][0]["path"],
        "records[0].attributes.id_number"
    );
    assert!(!answer.text().contains(bad), "{}", answer.text());
    // One resident per number: a second record with hers is refused, and nothing applied.
    let answer = push(
        &app,
        "public_security",
        vec![rec(
            "resident",
            "R-3",
            json!({ "birth_date": "1950-01-01", "hukou_district": "440604", "id_number": LIN }),
        )],
    )
    .await;
    assert_eq!(
        answer.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        answer.text()
    );
    assert_eq!(answer.json()["problems"][0]["code"], "id_number_taken");
    let r3: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM subjects WHERE ref = 'R-3'")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(r3, 0);
}

async fn the_representative_in_the_market_register_gets_the_enterprise(app: TestApp) {
    register_lin(&app).await;
    let answer = push(
        &app,
        "market_regulation",
        vec![rec(
            "enterprise",
            "E-LIN",
            json!({
                "uscc": "91440604MA4UXY0179", "name": "佛山市秀英五金有限公司",
                "district": "440604", "industry_code": 3311, "established": "2015-04-01",
                "legal_rep_id_number": LIN,
            }),
        )],
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    let cookie = login(&app, "13900000105").await;
    let me = record_identity(&app, &cookie, "林秀英", LIN).await.json();
    let enterprises = me["person"]["enterprises"].as_array().unwrap().clone();
    assert_eq!(enterprises.len(), 1, "{me}");
    assert_eq!(enterprises[0]["name"], "佛山市秀英五金有限公司");
    assert_eq!(enterprises[0]["role"], "legal_representative");
    let acting = common::act_for(&app, &cookie, "E-LIN").await;
    assert_eq!(acting.status, StatusCode::OK, "{}", acting.text());
    let enterprise = enterprises[0]["id"].as_i64().unwrap();
    let until = format!(
        "{}-12-31",
        server::platform::db::today_shanghai().year() + 1
    );
    let agent = app
        .call(
            "POST",
            &format!("/api/enterprises/{enterprise}/agents"),
            &cookie,
            Some(
                &json!({ "phone": "13900000106",
                         "scopes": { "subsidies": true, "licences": false },
                         "expires_on": until })
                .to_string(),
            ),
        )
        .await;
    assert_eq!(agent.status, StatusCode::CREATED, "{}", agent.text());
}

type Received = Arc<Mutex<Vec<(String, Value)>>>;

/// A fake real-name service: knows one person; answers 500 for the number `…0060`.
async fn real_name_service() -> (String, Received) {
    let received: Received = Arc::default();
    let seen = received.clone();
    let app = Router::new().route(
        "/verify",
        post(move |headers: HeaderMap, Json(body): Json<Value>| {
            let seen = seen.clone();
            async move {
                let auth = headers
                    .get("authorization")
                    .map_or("", |v| v.to_str().unwrap())
                    .to_owned();
                seen.lock().unwrap().push((auth, body.clone()));
                let result = match (body["name"].as_str(), body["id_number"].as_str()) {
                    (_, Some("440604198501010060")) => {
                        return (StatusCode::INTERNAL_SERVER_ERROR, Json(json!({})));
                    }
                    (Some("张伟"), Some("440604197006200057")) => "match",
                    (_, Some("440604197006200057")) => "mismatch",
                    _ => "unknown",
                };
                (StatusCode::OK, Json(json!({ "result": result })))
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/verify", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, received)
}

async fn a_real_name_service_answers_for_people_the_register_lacks(app: TestApp) {
    let (url, received) = real_name_service().await;
    let service = HttpIdentity {
        url: url.clone(),
        token: "service-token".into(),
        client: server::platform::http_client::Client::new(),
    };
    let zhang =
        api::IdNumber::parse("440604197006200057", server::platform::db::today_shanghai()).unwrap();
    assert_eq!(
        service.verify("张伟", &zhang).await.unwrap(),
        Verdict::Match
    );
    assert_eq!(
        service.verify("张三", &zhang).await.unwrap(),
        Verdict::Mismatch
    );
    let got = received.lock().unwrap().clone();
    assert_eq!(got[0].0, "Bearer service-token");
    assert_eq!(
        got[0].1,
        json!({ "name": "张伟", "id_number": "440604197006200057" })
    );

    register_lin(&app).await;
    let mut app = app;
    app.state = app.state.clone().with_identity_service(Arc::new(service));
    let app = app.rebuilt();
    // Not in the register: the service vouches; verified, but no record to link.
    let cookie = login(&app, "13900000107").await;
    let answer = record_identity(&app, &cookie, "张伟", "440604197006200057").await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    let home = app.call("GET", "/api/home", &cookie, None).await.json();
    assert_eq!(home["audience"], Value::Null);
    // The register's own answer stands: the service is not asked about numbers it holds.
    let asked = received.lock().unwrap().len();
    let lin = login(&app, "13900000108").await;
    assert_eq!(
        record_identity(&app, &lin, "林小英", LIN).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(received.lock().unwrap().len(), asked);
    // A service that fails is a 503 the person can retry, never a 500.
    let failing = record_identity(&app, &lin, "王五", "440604198501010060").await;
    assert_eq!(
        failing.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        failing.text()
    );
    let _ = Body::empty();
}

/// `zhida import` of a data set whose population register carries the personal columns: they
/// are sealed into the register's identities, and the person can be linked.
#[tokio::test]
async fn an_imported_register_links_its_residents() {
    let app = TestApp::sqlite().await;
    let residents = format!(
        "resident_id,birth_date,hukou_district,street,death_date,disability_grade,dibao,id_number,name\n\
         R-LIN,1941-03-15,440604,祖庙街道,,0,false,{LIN},林秀英\n\
         R-2,1980-01-01,440604,祖庙街道,,0,false,,\n"
    );
    let files = dataset::Files {
        residents: residents.as_bytes(),
        enterprises: b"enterprise_id,uscc,name,district,street,industry_code,established,high_tech_until,employees,revenue_y1,revenue_y2,rd_expense_y1,legal_rep_id_number\n",
        loan_interest: b"enterprise_id,month,product,interest_fen\n",
        gas_usage: b"enterprise_id,month,cubic_meters\n",
    };
    let set = dataset::load(&files, &dataset::Options::default()).unwrap();
    let personal = dataset::personal::read(&files, server::platform::db::today_shanghai()).unwrap();
    assert_eq!(personal.len(), 1, "the empty row carries nothing");
    let mut batch = server::data::store::delivery_of_data_set(&set);
    let vault = app.state.vault.clone();
    server::data::store::add_personal(&mut batch, &personal, &|kind, value| {
        vault.seal(kind, value)
    });
    server::data::store::apply(&app.db, None, server::data::store::Source::Import, &batch)
        .await
        .unwrap()
        .unwrap();
    let cookie = login(&app, "13900000109").await;
    let answer = record_identity(&app, &cookie, "林秀英", LIN).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    let linked: Option<String> =
        sqlx::query_scalar("SELECT resident_ref FROM users WHERE resident_ref = 'R-LIN'")
            .fetch_optional(&app.db.pool)
            .await
            .unwrap();
    assert_eq!(linked.as_deref(), Some("R-LIN"));
}

/// A data set whose registers carry ID numbers is not imported without the data key that
/// encrypts them: nothing is written, and the error says which setting is missing.
#[tokio::test]
async fn an_import_with_identities_needs_the_data_key() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| std::fs::write(dir.path().join(name), text).unwrap();
    write(
        "residents.csv",
        &format!("resident_id,birth_date,hukou_district,street,death_date,disability_grade,dibao,id_number,name\nR-LIN,1941-03-15,440604,,,0,false,{LIN},林秀英\n"),
    );
    write("enterprises.csv", "enterprise_id,uscc,name,district,street,industry_code,established,high_tech_until,employees,revenue_y1,revenue_y2,rd_expense_y1\n");
    write(
        "loan_interest.csv",
        "enterprise_id,month,product,interest_fen\n",
    );
    write("gas_usage.csv", "enterprise_id,month,cubic_meters\n");
    let database = dir.path().join("zhida.sqlite");
    let args = server::cli::ImportArgs {
        data: dir.path().to_owned(),
        data_key: None,
        database_url: format!("sqlite://{}", database.display()),
    };
    let refused = server::cli::import_command(&args)
        .await
        .unwrap_err()
        .to_string();
    assert!(refused.contains("ZHIDA_DATA_KEY"), "{refused}");
    assert!(
        !database.exists() || {
            let db = server::platform::db::Db::connect(&args.database_url)
                .await
                .unwrap();
            db.migrate().await.unwrap();
            let subjects: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM subjects")
                .fetch_one(&db.pool)
                .await
                .unwrap();
            subjects == 0
        }
    );
}

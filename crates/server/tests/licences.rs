//! 一照通 through the router: one form for a business licence and its permits, uploads checked
//! by content, the workflow with its guards, the issued licence with a signed QR payload,
//! verification and revocation, public tracking, and the figures.

mod common;

use api::licence::{Action, Stage, TransitionRequest};
use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::licence::{
    accepted_salon, go, id_number, item, pharmacy_answers, ready_pharmacy, save, start, step,
    submitted_pharmacy, upload, JPEG, PDF, PNG,
};
use common::{act_for, login_phone, login_staff, Answer, TestApp};
use serde_json::{json, Value};

on_both_databases!(
    the_catalogue_is_public_and_policy_administrators_edit_it,
    a_pharmacy_applies_in_one_form_and_gets_its_licence,
    uploads_are_checked_by_content_type_and_size,
    answers_are_saved_as_typed_and_checked_field_by_field,
    transitions_are_guarded_and_a_repeat_changes_nothing,
    applications_are_private,
    an_on_site_check_is_scheduled_and_its_result_recorded,
    the_applicant_is_told_of_every_step,
    refusals_of_review_revocation_and_tracking_name_their_field,
    only_the_acting_enterprise_s_own_code_goes_on_a_licence,
);

fn stage(a: &Answer) -> String {
    a.json()["stage"].as_str().unwrap_or_default().to_owned()
}

async fn the_catalogue_is_public_and_policy_administrators_edit_it(app: TestApp) {
    let app = app.demo().await;
    let catalogue = app.get("/api/licences/catalogue").await.json();
    let names: Vec<&str> = catalogue["permits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"]["zh-CN"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "营业执照",
            "药品经营许可证（零售）",
            "第二类医疗器械经营备案",
            "食品经营许可证",
            "公共场所卫生许可证"
        ]
    );
    assert_eq!(catalogue["version"], 1);
    // An application started now keeps version 1.
    let owner = login_phone(&app, "13800000005").await;
    let before = start(&app, &owner, "pharmacy", &["drug_retail"]).await;
    assert_eq!(before["promised_days"], 10);

    let mut edited = catalogue.clone();
    edited["permits"][1]["promised_days"] = json!(5);
    let reviewer = login_staff(&app, "reviewer").await;
    assert_eq!(
        app.call(
            "PUT",
            "/api/licences/catalogue",
            &reviewer,
            Some(&edited.to_string())
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.call(
            "PUT",
            "/api/licences/catalogue",
            &owner,
            Some(&edited.to_string())
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
    let admin = login_staff(&app, "policyadmin").await;
    let mut broken = catalogue.clone();
    broken["permits"][1]["materials"] = json!(["no_such_material"]);
    let refused = app
        .call(
            "PUT",
            "/api/licences/catalogue",
            &admin,
            Some(&broken.to_string()),
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.json()["message"]
            .as_str()
            .unwrap()
            .contains("no_such_material"),
        "{}",
        refused.text()
    );
    let saved = app
        .call(
            "PUT",
            "/api/licences/catalogue",
            &admin,
            Some(&edited.to_string()),
        )
        .await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.text());
    assert_eq!(saved.json()["version"], 2);
    assert_eq!(
        app.get("/api/licences/catalogue").await.json()["permits"][1]["promised_days"],
        5
    );
    let after = start(&app, &owner, "pharmacy", &["drug_retail"]).await;
    assert_eq!(after["promised_days"], 5);
    let id = before["id"].as_i64().unwrap();
    let again = app
        .call(
            "GET",
            &format!("/api/licences/applications/{id}"),
            &owner,
            None,
        )
        .await
        .json();
    assert_eq!(
        again["promised_days"], 10,
        "the earlier application keeps its version"
    );
}

async fn a_pharmacy_applies_in_one_form_and_gets_its_licence(app: TestApp) {
    let app = app.demo().await;
    let owner = login_phone(&app, "13800000005").await;
    let a = start(&app, &owner, "pharmacy", &["drug_retail"]).await;
    let id = a["id"].as_i64().unwrap();
    let number = a["number"].as_str().unwrap().to_owned();
    assert!(number.starts_with("YZT-"), "{number}");
    // One form: shared materials are asked once (6 instead of 8), the phone is filled in.
    assert_eq!(a["materials"].as_array().unwrap().len(), 6);
    assert_eq!(a["answers"]["applicant.phone"], "13800000005");
    let sections: Vec<&str> = a["sections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["key"].as_str().unwrap())
        .collect();
    assert_eq!(
        sections,
        [
            "applicant",
            "business",
            "business_licence",
            "drug_retail",
            "materials",
            "commitment"
        ]
    );
    assert_eq!(a["sections"][0]["status"], "in_progress");
    assert_eq!(a["sections"][1]["status"], "not_started");

    let ready = ready_pharmacy(&app, &owner).await;
    let id2 = ready["id"].as_i64().unwrap();
    assert!(
        ready["sections"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["status"] == "completed"),
        "{ready:#}"
    );
    let _ = (id, number);
    let id = id2;
    let number = ready["number"].as_str().unwrap().to_owned();
    let submitted = step(&app, &owner, false, id, &go(Action::Submit, Stage::Draft)).await;
    assert_eq!(submitted.status, StatusCode::OK, "{}", submitted.text());
    assert_eq!(stage(&submitted), "submitted");

    // The reviewer returns item 5 (the pharmacist's certificate) with a reason.
    let reviewer = login_staff(&app, "reviewer").await;
    let queue = app
        .call("GET", "/api/staff/licences/applications", &reviewer, None)
        .await
        .json();
    assert!(queue
        .as_array()
        .unwrap()
        .iter()
        .any(|q| q["number"] == number.as_str()));
    let seen = app
        .call(
            "GET",
            &format!("/api/staff/licences/applications/{id}"),
            &reviewer,
            None,
        )
        .await
        .json();
    assert_eq!(
        seen["answers"]["applicant.phone"], "138****0005",
        "masked for staff"
    );
    assert!(seen["answers"]["applicant.id_number"]
        .as_str()
        .unwrap()
        .contains("****"));
    let logged: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM data_access_log WHERE what = 'licence_application'",
    )
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    assert_eq!(logged, 1, "the staff read is in the applicant's access log");
    let fix = item(
        "pharmacist_certificate",
        "注册证已过有效期，请上传有效的执业药师注册证",
    );
    let returned = step(
        &app,
        &reviewer,
        true,
        id,
        &TransitionRequest {
            items: vec![fix],
            ..go(Action::Return, Stage::Submitted)
        },
    )
    .await;
    assert_eq!(stage(&returned), "returned", "{}", returned.text());

    let mine = app
        .call(
            "GET",
            &format!("/api/licences/applications/{id}"),
            &owner,
            None,
        )
        .await
        .json();
    let cert = mine["materials"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["code"] == "pharmacist_certificate")
        .unwrap()
        .clone();
    assert_eq!(cert["item"], 5);
    assert!(cert["returned"].as_str().unwrap().contains("有效期"));
    assert_eq!(mine["ready"], false);
    assert_eq!(mine["actions"], json!(["resubmit", "withdraw"]));
    // Resubmitting before the fix is refused, naming the material.
    let early = step(
        &app,
        &owner,
        false,
        id,
        &go(Action::Resubmit, Stage::Returned),
    )
    .await;
    assert_eq!(early.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(early.json()["field"], "materials.pharmacist_certificate");
    // The owner fixes that one item and resubmits.
    assert_eq!(
        upload(
            &app,
            &owner,
            id,
            "pharmacist_certificate",
            "image/png",
            PNG.to_vec()
        )
        .await
        .status,
        StatusCode::OK
    );
    let again = step(
        &app,
        &owner,
        false,
        id,
        &go(Action::Resubmit, Stage::Returned),
    )
    .await;
    assert_eq!(stage(&again), "submitted", "{}", again.text());

    // Accept (受理): the promised 10 working days start.
    let accepted = step(
        &app,
        &reviewer,
        true,
        id,
        &go(Action::Accept, Stage::Submitted),
    )
    .await;
    assert_eq!(stage(&accepted), "accepted", "{}", accepted.text());
    let accepted = accepted.json();
    assert!(accepted["deadline"].is_string());
    assert_eq!(accepted["working_days_left"], 10);
    assert_eq!(
        accepted["actions"],
        json!(["schedule_check", "use_commitment", "reject"])
    );
    let commitment = step(
        &app,
        &reviewer,
        true,
        id,
        &go(Action::UseCommitment, Stage::Accepted),
    )
    .await;
    assert_eq!(stage(&commitment), "commitment");
    let approved = step(
        &app,
        &reviewer,
        true,
        id,
        &TransitionRequest {
            comment: Some("材料齐全，同意许可".into()),
            ..go(Action::Approve, Stage::Commitment)
        },
    )
    .await;
    assert_eq!(
        stage(&approved),
        "issued",
        "approval issues the licence at once"
    );
    let approved = approved.json();
    let licence_number = approved["licence"].as_str().unwrap().to_owned();
    let actions: Vec<&str> = approved["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "submit",
            "return",
            "resubmit",
            "accept",
            "use_commitment",
            "approve",
            "issue"
        ]
    );
    assert_eq!(approved["steps"][1]["actor_name"], "张审批（许可审查员）");

    // The licence carries both permits; its QR code's address verifies.
    let licence = app
        .call(
            "GET",
            &format!("/api/licences/issued/{licence_number}"),
            &owner,
            None,
        )
        .await;
    assert_eq!(licence.status, StatusCode::OK, "{}", licence.text());
    let licence = licence.json();
    assert_eq!(licence["permits"].as_array().unwrap().len(), 2);
    assert_eq!(licence["permits"][0]["code"], "business_licence");
    let uscc = licence["uscc"].as_str().unwrap();
    assert!(
        api::Uscc::parse(uscc).is_ok() && uscc.starts_with("92440604"),
        "{uscc}"
    );
    assert_eq!(licence["permits"][0]["valid_to"], Value::Null, "长期");
    assert!(licence["permits"][1]["valid_to"].is_string());
    let url = licence["verify_url"].as_str().unwrap().to_owned();
    let token = url.split("/verify?t=").nth(1).unwrap().to_owned();
    let stranger = login_phone(&app, "13800000001").await;
    for uri in [
        format!("/api/licences/issued/{licence_number}"),
        format!("/api/licences/issued/{licence_number}/qr.svg"),
    ] {
        assert_eq!(
            app.call("GET", &uri, &stranger, None).await.status,
            StatusCode::NOT_FOUND,
            "{uri}"
        );
        assert_eq!(
            app.call("GET", &uri, "", None).await.status,
            StatusCode::UNAUTHORIZED,
            "{uri}"
        );
    }
    let qr = app
        .call(
            "GET",
            &format!("/api/licences/issued/{licence_number}/qr.svg"),
            &owner,
            None,
        )
        .await;
    assert_eq!(qr.header("content-type"), "image/svg+xml");
    assert!(qr.text().contains("<svg"));
    let verdict = app.get(&format!("/api/verify?t={token}")).await.json();
    assert_eq!(verdict["verdict"], "valid", "{verdict:#}");
    assert_eq!(verdict["all_permits_valid"], true);
    assert_eq!(verdict["business_name"], "佛山市禅城区康宁大药房（季华店）");
    assert_eq!(verdict["permits"][1]["verdict"], "valid");

    // A tampered payload is forged.
    use base64::Engine;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let (payload, signature) = token.split_once('.').unwrap();
    let text = String::from_utf8(b64.decode(payload).unwrap()).unwrap();
    let longer = text.replace("drug_retail:2", "drug_retail:3");
    assert_ne!(text, longer);
    let tampered = format!("{}.{signature}", b64.encode(longer));
    assert_eq!(
        app.get(&format!("/api/verify?t={tampered}")).await.json()["verdict"],
        "forged"
    );
    assert_eq!(
        app.get("/api/verify?t=not-a-token").await.json()["verdict"],
        "forged"
    );
    // The public key verifies offline.
    let key = app.get("/.well-known/zhida-licence-key.json").await.json();
    assert_eq!(key["alg"], "Ed25519");
    let public: [u8; 32] = b64
        .decode(key["key"].as_str().unwrap())
        .unwrap()
        .try_into()
        .unwrap();
    let public = licensing::VerifyingKey::from_bytes(&public).unwrap();
    assert_eq!(
        licensing::seal::Sealed::open(&token, &public)
            .unwrap()
            .number,
        licence_number
    );

    // Revoking the drug permit shows at once.
    let owner_cannot = app
        .call(
            "POST",
            &format!("/api/staff/licences/issued/{licence_number}/permits/drug_retail/revoke"),
            &owner,
            Some(r#"{"reason":"自行停业"}"#),
        )
        .await;
    assert_eq!(owner_cannot.status, StatusCode::FORBIDDEN);
    let revoked = app
        .call(
            "POST",
            &format!("/api/staff/licences/issued/{licence_number}/permits/drug_retail/revoke"),
            &reviewer,
            Some(r#"{"reason":"执业药师未在岗，经核查属实"}"#),
        )
        .await;
    assert_eq!(revoked.status, StatusCode::OK, "{}", revoked.text());
    let verdict = app.get(&format!("/api/verify?t={token}")).await.json();
    // The licence itself stands; the scanner is told that one of its permits does not.
    assert_eq!(verdict["verdict"], "valid", "{verdict:#}");
    assert_eq!(verdict["all_permits_valid"], false);
    assert_eq!(verdict["permits"][0]["verdict"], "valid");
    assert_eq!(verdict["permits"][1]["verdict"], "revoked");

    // Public tracking: number + phone, no personal data.
    let tracked = app
        .post_json(
            "/api/track",
            &json!({"number": number, "phone": "138 0000 0005"}).to_string(),
        )
        .await;
    assert_eq!(tracked.status, StatusCode::OK, "{}", tracked.text());
    let tracked = tracked.json();
    assert_eq!(tracked["stage"], "issued");
    assert_eq!(tracked["licence"], licence_number.as_str());
    assert!(tracked["watch"].is_string());
    assert!(
        !tracked.to_string().contains("张审批"),
        "staff names stay inside"
    );
    assert!(!tracked.to_string().contains("梁志强"));
    let wrong = app
        .post_json(
            "/api/track",
            &json!({"number": number, "phone": "13800000001"}).to_string(),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::NOT_FOUND);
    let bad = app
        .post_json(
            "/api/track",
            &json!({"number": number, "phone": "123"}).to_string(),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad.json()["field"], "phone");
    assert_eq!(
        app.get("/api/track/events?watch=1.99999999999.00")
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    // Figures: 6 materials asked instead of 8, promised 10 days against 23 statutory.
    let figures = app
        .call("GET", "/api/staff/licences/figures", &reviewer, None)
        .await
        .json();
    let pharmacy = figures
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["permits"].as_array().unwrap().len() == 2)
        .unwrap();
    assert_eq!(pharmacy["materials_asked"], 6);
    assert_eq!(pharmacy["materials_separate"], 8);
    assert_eq!(pharmacy["statutory_days"], 23);
    assert_eq!(pharmacy["issued"], 1);
    assert_eq!(pharmacy["within_promise"], 1);
    assert!(pharmacy["mean_hours"].as_f64().unwrap() < 1.0);
}

async fn uploads_are_checked_by_content_type_and_size(app: TestApp) {
    let app = app.demo().await;
    let owner = login_phone(&app, "13800000005").await;
    let id = start(&app, &owner, "pharmacy", &["drug_retail"]).await["id"]
        .as_i64()
        .unwrap();
    let refused = |a: &Answer, status: StatusCode, words: &str| {
        assert_eq!(a.status, status, "{}", a.text());
        let body = a.json();
        assert_eq!(body["field"], "file");
        assert!(body["message"].as_str().unwrap().contains(words), "{body}");
    };
    // A PNG sent as a PDF (a renamed file).
    refused(
        &upload(
            &app,
            &owner,
            id,
            "legal_rep_id",
            "application/pdf",
            PNG.to_vec(),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "内容与类型不符",
    );
    // Text dressed as a JPEG.
    refused(
        &upload(
            &app,
            &owner,
            id,
            "legal_rep_id",
            "image/jpeg",
            b"hello".to_vec(),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "内容与类型不符",
    );
    // Empty.
    refused(
        &upload(
            &app,
            &owner,
            id,
            "legal_rep_id",
            "application/pdf",
            Vec::new(),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "文件是空的",
    );
    // Too large: 10 MB and one byte.
    let mut big = PDF.to_vec();
    big.resize(10 * 1024 * 1024 + 1, b' ');
    refused(
        &upload(&app, &owner, id, "legal_rep_id", "application/pdf", big).await,
        StatusCode::PAYLOAD_TOO_LARGE,
        "最大 10 MB",
    );
    // Not an accepted type at all.
    refused(
        &upload(
            &app,
            &owner,
            id,
            "legal_rep_id",
            "text/plain",
            b"x".to_vec(),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "PDF、JPG 或 PNG",
    );
    // Nothing was stored by any of them.
    let a = app
        .call(
            "GET",
            &format!("/api/licences/applications/{id}"),
            &owner,
            None,
        )
        .await
        .json();
    assert_eq!(a["materials"][0]["upload"], Value::Null);
    // In English too.
    let english = app
        .send(
            Request::put(format!(
                "/api/licences/applications/{id}/materials/legal_rep_id"
            ))
            .header("cookie", &owner)
            .header("accept-language", "en")
            .header("content-type", "application/pdf")
            .body(Body::from(PNG.to_vec()))
            .unwrap(),
        )
        .await;
    assert!(english.json()["message"]
        .as_str()
        .unwrap()
        .contains("does not match its type"));
    // Exactly 10 MB of real JPEG is fine; a material the form does not ask for is 404.
    let mut ten = JPEG.to_vec();
    ten.resize(10 * 1024 * 1024, 0);
    let ok = upload(&app, &owner, id, "legal_rep_id", "image/jpeg", ten).await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.text());
    assert_eq!(
        ok.json()["materials"][0]["upload"]["size"],
        10 * 1024 * 1024
    );
    assert_eq!(
        upload(
            &app,
            &owner,
            id,
            "hygiene_rules",
            "application/pdf",
            PDF.to_vec()
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
    // The stored file comes back as uploaded.
    let file = app
        .call(
            "GET",
            &format!("/api/licences/applications/{id}/materials/legal_rep_id"),
            &owner,
            None,
        )
        .await;
    assert_eq!(file.header("content-type"), "image/jpeg");
    assert_eq!(file.body.len(), 10 * 1024 * 1024);
}

async fn answers_are_saved_as_typed_and_checked_field_by_field(app: TestApp) {
    let app = app.demo().await;
    let owner = login_phone(&app, "13800000005").await;
    let id = start(&app, &owner, "pharmacy", &["drug_retail"]).await["id"]
        .as_i64()
        .unwrap();
    let saved = save(
        &app,
        &owner,
        id,
        &json!({"answers": {
            "business.address": "广州市天河区体育西路 1 号",
            "business.scope": "日用百货销售",
            "applicant.id_number": "440604198209155270",
            "business.uscc": "9144060",
        }}),
    )
    .await;
    assert_eq!(saved.status, StatusCode::OK);
    let saved = saved.json();
    // Wrong answers are kept (nothing typed is lost) and explained.
    assert_eq!(
        saved["answers"]["business.address"],
        "广州市天河区体育西路 1 号"
    );
    let problem = |field: &str| {
        saved["problems"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["field"] == field)
            .map(|p| p["message"].as_str().unwrap().to_owned())
    };
    assert!(problem("business.address").unwrap().contains("禅城区"));
    assert!(problem("business.scope").unwrap().contains("药品"));
    assert!(problem("business.uscc").is_some());
    assert!(problem("applicant.id_number").is_some() || id_number().ends_with('0'));
    // Empty required fields are not nagged about while drafting.
    assert!(problem("drug_retail.pharmacist").is_none());
    assert_eq!(saved["sections"][1]["status"], "in_progress");
    // Saves arriving together (quick typing, two tabs) each keep their answer.
    let fields = [
        ("applicant.name", "梁志强"),
        ("business.name", "康宁大药房（季华店）"),
        ("business.scope", "药品零售"),
        ("drug_retail.pharmacist", "何敏"),
        ("drug_retail.pharmacist_number", "ZY44060120230017"),
        ("drug_retail.area", "85"),
        ("business_licence.capital", "30"),
        ("drug_retail.category", "all"),
    ];
    let saves = fields.iter().map(|(k, v)| {
        let body = json!({ "answers": { *k: *v } });
        let (app, owner) = (&app, &owner);
        async move { save(app, owner, id, &body).await.status }
    });
    for status in futures_util::future::join_all(saves).await {
        assert_eq!(status, StatusCode::OK);
    }
    let all = app
        .call(
            "GET",
            &format!("/api/licences/applications/{id}"),
            &owner,
            None,
        )
        .await
        .json();
    for (k, v) in fields {
        assert_eq!(all["answers"][k], v, "{k} kept");
    }
    // Clearing a field removes it.
    let cleared = save(&app, &owner, id, &json!({"answers": {"business.uscc": ""}}))
        .await
        .json();
    assert!(cleared["answers"].get("business.uscc").is_none());
    // A question the form does not ask.
    let unknown = save(
        &app,
        &owner,
        id,
        &json!({"answers": {"food_business.category": "bulk"}}),
    )
    .await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(unknown.json()["field"], "answers.food_business.category");
    let long = save(
        &app,
        &owner,
        id,
        &json!({"answers": {"business.scope": "药".repeat(2001)}}),
    )
    .await;
    assert_eq!(long.status, StatusCode::UNPROCESSABLE_ENTITY);
    // Submitting an incomplete form names the first thing to fix.
    let early = step(&app, &owner, false, id, &go(Action::Submit, Stage::Draft)).await;
    assert_eq!(early.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        early.json()["field"]
            .as_str()
            .unwrap()
            .starts_with("answers."),
        "{}",
        early.text()
    );
    // Bad business types and permits.
    let bad = app
        .call(
            "POST",
            "/api/licences/applications",
            &owner,
            Some(r#"{"business_type":"casino","permits":[]}"#),
        )
        .await;
    assert_eq!(bad.json()["field"], "business_type");
    let twice = app
        .call(
            "POST",
            "/api/licences/applications",
            &owner,
            Some(r#"{"business_type":"pharmacy","permits":["drug_retail","drug_retail"]}"#),
        )
        .await;
    assert_eq!(twice.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(twice.json()["field"], "permits");
    // A malformed 统一社会信用代码 in an otherwise complete form: sending it is refused, naming
    // the field, in the caller's language.
    let ready = ready_pharmacy(&app, &owner).await;
    let rid = ready["id"].as_i64().unwrap();
    save(
        &app,
        &owner,
        rid,
        &json!({"answers": {"business.uscc": "92440604MA4UKN0020"}}),
    )
    .await;
    let refused = app
        .send(
            Request::post(format!("/api/licences/applications/{rid}/transitions"))
                .header("cookie", &owner)
                .header("content-type", "application/json")
                .header("accept-language", "en")
                .body(Body::from(
                    serde_json::to_string(&go(Action::Submit, Stage::Draft)).unwrap(),
                ))
                .unwrap(),
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    let body = refused.json();
    assert_eq!(body["field"], "answers.business.uscc");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("check character"),
        "{body}"
    );
    save(
        &app,
        &owner,
        rid,
        &json!({"answers": {"business.uscc": ""}}),
    )
    .await;
    // Once submitted, the answers are frozen.
    let ready = ready_pharmacy(&app, &owner).await;
    let rid = ready["id"].as_i64().unwrap();
    step(&app, &owner, false, rid, &go(Action::Submit, Stage::Draft)).await;
    let frozen = save(&app, &owner, rid, &pharmacy_answers()).await;
    assert_eq!(frozen.status, StatusCode::CONFLICT);
    assert_eq!(
        upload(
            &app,
            &owner,
            rid,
            "legal_rep_id",
            "application/pdf",
            PDF.to_vec()
        )
        .await
        .status,
        StatusCode::CONFLICT
    );
}

async fn transitions_are_guarded_and_a_repeat_changes_nothing(app: TestApp) {
    let app = app.demo().await;
    let owner = login_phone(&app, "13800000005").await;
    let reviewer = login_staff(&app, "reviewer").await;
    let admin = login_staff(&app, "policyadmin").await;
    let id = ready_pharmacy(&app, &owner).await["id"].as_i64().unwrap();
    // A draft is the applicant's: staff do not see it.
    assert_eq!(
        app.call(
            "GET",
            &format!("/api/staff/licences/applications/{id}"),
            &reviewer,
            None
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
    // The applicant cannot accept their own application.
    let submit = go(Action::Submit, Stage::Draft);
    assert_eq!(
        step(&app, &owner, false, id, &submit).await.status,
        StatusCode::OK
    );
    assert_eq!(
        step(
            &app,
            &owner,
            false,
            id,
            &go(Action::Accept, Stage::Submitted)
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
    // Sent twice, a step happens once.
    let again = step(&app, &owner, false, id, &submit).await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(stage(&again), "submitted");
    let steps: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM licence_steps WHERE application_id = $1")
            .bind(id)
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    assert_eq!(steps, 1);
    // A policy administrator is not a licence reviewer.
    assert_eq!(
        step(
            &app,
            &admin,
            true,
            id,
            &go(Action::Accept, Stage::Submitted)
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
    // Illegal here: approving what was not accepted.
    let illegal = step(
        &app,
        &reviewer,
        true,
        id,
        &go(Action::Approve, Stage::Submitted),
    )
    .await;
    assert_eq!(illegal.status, StatusCode::CONFLICT);
    assert!(illegal.json()["message"]
        .as_str()
        .unwrap()
        .contains("不能进行这一步"));
    // A return needs items with reasons.
    let empty = step(
        &app,
        &reviewer,
        true,
        id,
        &TransitionRequest {
            items: Vec::new(),
            ..go(Action::Return, Stage::Submitted)
        },
    )
    .await;
    assert_eq!(empty.json()["field"], "items");
    let no_reason = step(
        &app,
        &reviewer,
        true,
        id,
        &TransitionRequest {
            items: vec![item("articles", " ")],
            ..go(Action::Return, Stage::Submitted)
        },
    )
    .await;
    assert_eq!(no_reason.json()["field"], "items[0].reason");
    let unknown = step(
        &app,
        &reviewer,
        true,
        id,
        &TransitionRequest {
            items: vec![item("hygiene_rules", "缺少")],
            ..go(Action::Return, Stage::Submitted)
        },
    )
    .await;
    assert_eq!(unknown.json()["field"], "items[0].material");
    // Accepting twice (two clicks) is one step.
    for _ in 0..2 {
        let a = step(
            &app,
            &reviewer,
            true,
            id,
            &go(Action::Accept, Stage::Submitted),
        )
        .await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.text());
    }
    // A stale view (someone else moved it) is told so.
    let stale = step(
        &app,
        &reviewer,
        true,
        id,
        &TransitionRequest {
            items: vec![item("articles", "缺少签字")],
            ..go(Action::Return, Stage::Submitted)
        },
    )
    .await;
    assert_eq!(stale.status, StatusCode::CONFLICT);
    // The drug permit needs a check or the commitment: no straight approval.
    let shortcut = step(
        &app,
        &reviewer,
        true,
        id,
        &go(Action::Approve, Stage::Accepted),
    )
    .await;
    assert_eq!(shortcut.status, StatusCode::CONFLICT);
    assert!(shortcut.json()["message"]
        .as_str()
        .unwrap()
        .contains("现场核查"));
    // A rejection needs its reasons.
    let bare = step(
        &app,
        &reviewer,
        true,
        id,
        &go(Action::Reject, Stage::Accepted),
    )
    .await;
    assert_eq!(bare.json()["field"], "comment");
    let rejected = step(&app, &reviewer, true, id, &TransitionRequest { comment: Some("执业药师注册地不在本店。如不服，可在 60 日内申请行政复议，或在 6 个月内提起行政诉讼。".into()), ..go(Action::Reject, Stage::Accepted) }).await;
    assert_eq!(stage(&rejected), "rejected");
    assert!(rejected.json()["rejection"]
        .as_str()
        .unwrap()
        .contains("行政复议"));
    // Nothing more can happen to it.
    assert_eq!(
        step(
            &app,
            &owner,
            false,
            id,
            &go(Action::Withdraw, Stage::Rejected)
        )
        .await
        .status,
        StatusCode::CONFLICT
    );

    // Withdrawing is the applicant's, while it is under way.
    let other = submitted_pharmacy(&app, &owner).await;
    assert_eq!(
        step(
            &app,
            &reviewer,
            true,
            other,
            &go(Action::Withdraw, Stage::Submitted)
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
    let withdrawn = step(
        &app,
        &owner,
        false,
        other,
        &TransitionRequest {
            comment: Some("换了店址，重新申请".into()),
            ..go(Action::Withdraw, Stage::Submitted)
        },
    )
    .await;
    assert_eq!(stage(&withdrawn), "withdrawn");
}

async fn applications_are_private(app: TestApp) {
    let app = app.demo().await;
    let owner = login_phone(&app, "13800000005").await;
    let stranger = login_phone(&app, "13800000001").await;
    let id = start(&app, &owner, "other", &[]).await["id"]
        .as_i64()
        .unwrap();
    let uri = format!("/api/licences/applications/{id}");
    assert_eq!(
        app.call("GET", &uri, &stranger, None).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.call("GET", &uri, "", None).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        save(
            &app,
            &stranger,
            id,
            &json!({"answers": {"business.name": "x"}})
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        upload(
            &app,
            &stranger,
            id,
            "legal_rep_id",
            "application/pdf",
            PDF.to_vec()
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.call("GET", &format!("{uri}/events"), &stranger, None)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert!(app
        .call("GET", "/api/licences/applications", &stranger, None)
        .await
        .json()
        .as_array()
        .unwrap()
        .is_empty());
    // Acting for the pharmacy is a different applicant from the owner as a person.
    act_for(&app, &owner, "DEMO-E2").await;
    assert_eq!(
        app.call("GET", &uri, &owner, None).await.status,
        StatusCode::NOT_FOUND
    );
    let for_pharmacy = start(&app, &owner, "pharmacy", &["drug_retail"]).await;
    assert_eq!(
        for_pharmacy["answers"]["business.name"], "佛山市禅城区康宁大药房",
        "prefilled from the enterprise"
    );
    assert!(api::Uscc::parse(for_pharmacy["answers"]["business.uscc"].as_str().unwrap()).is_ok());
    // The manufacturer's agent may handle its subsidies, not its licences.
    let agent = login_phone(&app, "13800000004").await;
    act_for(&app, &agent, "DEMO-E1").await;
    let refused = app
        .call("GET", "/api/licences/applications", &agent, None)
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(
        app.call("GET", "/api/home", &agent, None).await.status,
        StatusCode::OK
    );
    // Staff cannot apply; people cannot review.
    let reviewer = login_staff(&app, "reviewer").await;
    assert_eq!(
        app.call("GET", "/api/licences/applications", &reviewer, None)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.call("GET", "/api/staff/licences/applications", &owner, None)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.call("GET", "/api/staff/licences/figures", &owner, None)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let bad_stage = app
        .call(
            "GET",
            "/api/staff/licences/applications?stage=nope",
            &reviewer,
            None,
        )
        .await;
    assert_eq!(bad_stage.json()["field"], "stage");
}

async fn an_on_site_check_is_scheduled_and_its_result_recorded(app: TestApp) {
    let app = app.demo().await;
    let owner = login_phone(&app, "13800000005").await;
    let reviewer = login_staff(&app, "reviewer").await;
    // A salon: the hygiene licence always needs a check.
    let id = accepted_salon(&app, &owner, &reviewer).await;
    let no_commitment = step(
        &app,
        &reviewer,
        true,
        id,
        &go(Action::UseCommitment, Stage::Accepted),
    )
    .await;
    assert_eq!(no_commitment.status, StatusCode::CONFLICT);
    let past = step(
        &app,
        &reviewer,
        true,
        id,
        &TransitionRequest {
            scheduled_for: Some("2020-01-01T02:00:00Z".into()),
            ..go(Action::ScheduleCheck, Stage::Accepted)
        },
    )
    .await;
    assert_eq!(past.json()["field"], "scheduled_for");
    let when =
        server::platform::db::format_utc(time::OffsetDateTime::now_utc() + time::Duration::days(2));
    let scheduled = step(
        &app,
        &reviewer,
        true,
        id,
        &TransitionRequest {
            scheduled_for: Some(when.clone()),
            ..go(Action::ScheduleCheck, Stage::Accepted)
        },
    )
    .await;
    assert_eq!(stage(&scheduled), "on_site_check", "{}", scheduled.text());
    assert_eq!(scheduled.json()["steps"][2]["scheduled_for"], when.as_str());
    let fail_bare = step(
        &app,
        &reviewer,
        true,
        id,
        &go(Action::FailCheck, Stage::OnSiteCheck),
    )
    .await;
    assert_eq!(fail_bare.json()["field"], "comment");
    let passed = step(
        &app,
        &reviewer,
        true,
        id,
        &TransitionRequest {
            comment: Some("消毒设施齐全".into()),
            ..go(Action::PassCheck, Stage::OnSiteCheck)
        },
    )
    .await;
    assert_eq!(stage(&passed), "check_passed");
    let issued = step(
        &app,
        &reviewer,
        true,
        id,
        &go(Action::Approve, Stage::CheckPassed),
    )
    .await;
    assert_eq!(stage(&issued), "issued");
    let number = issued.json()["licence"].as_str().unwrap().to_owned();
    let licence = app
        .call(
            "GET",
            &format!("/api/licences/issued/{number}"),
            &owner,
            None,
        )
        .await
        .json();
    assert_eq!(licence["permits"][1]["code"], "public_health");
    // An old code whose hygiene permit ran out (signed with this server's key): expired.
    let old = licensing::seal::Sealed {
        number: number.clone(),
        uscc: licence["uscc"].as_str().unwrap().to_owned(),
        business_name: licence["business_name"].as_str().unwrap().to_owned(),
        issued_on: "2020-01-02".parse().unwrap(),
        permits: vec![
            ("business_licence".to_owned(), None),
            (
                "public_health".to_owned(),
                Some("2024-01-01".parse().unwrap()),
            ),
        ],
    }
    .seal(&app.state.licence_key);
    let verdict = app.get(&format!("/api/verify?t={old}")).await.json();
    // The business licence runs without end; only the hygiene permit has expired.
    assert_eq!(verdict["verdict"], "valid", "{verdict:#}");
    assert_eq!(verdict["all_permits_valid"], false);
    assert_eq!(verdict["permits"][0]["verdict"], "valid");
    assert_eq!(verdict["permits"][1]["verdict"], "expired");
    // A code for a licence the register does not hold is not trusted, even signed.
    let unknown = licensing::seal::Sealed {
        number: "440604202699999999".into(),
        ..licensing::seal::Sealed::open(&old, &app.state.licence_key.verifying_key()).unwrap()
    }
    .seal(&app.state.licence_key);
    assert_eq!(
        app.get(&format!("/api/verify?t={unknown}")).await.json()["verdict"],
        "forged"
    );
    assert_eq!(
        licence["permits"][1]["authority"]["zh-CN"],
        "佛山市禅城区卫生健康局"
    );
}

async fn the_applicant_is_told_of_every_step(app: TestApp) {
    use std::sync::{Arc, Mutex};
    /// (phones, kind, subject) of each message sent.
    type Sent = Arc<Mutex<Vec<(Vec<String>, String, String)>>>;
    struct Recording(Sent);
    #[async_trait::async_trait]
    impl server::notifications::Notifier for Recording {
        async fn deliver(
            &self,
            to: &server::notifications::Recipient,
            m: &server::notifications::Outgoing,
        ) -> anyhow::Result<()> {
            self.0
                .lock()
                .unwrap()
                .push((to.phones.clone(), m.kind.clone(), m.policy.clone()));
            Ok(())
        }
    }
    let app = app.demo().await;
    let sent = Arc::new(Mutex::new(Vec::new()));
    let state = app
        .state
        .clone()
        .with_notifiers(vec![Arc::new(Recording(sent.clone()))]);
    let owner = login_phone(&app, "13800000005").await;
    let reviewer = login_staff(&app, "reviewer").await;
    let id = submitted_pharmacy(&app, &owner).await;
    step(
        &app,
        &reviewer,
        true,
        id,
        &go(Action::Accept, Stage::Submitted),
    )
    .await;
    server::notifications::deliver_due(&state).await.unwrap();
    let sent = sent.lock().unwrap().clone();
    let licence: Vec<_> = sent
        .iter()
        .filter(|(_, k, _)| k.starts_with("licence_"))
        .collect();
    assert_eq!(licence.len(), 2, "{sent:?}");
    assert_eq!(licence[0].0, vec!["13800000005".to_owned()]);
    assert_eq!(licence[0].1, "licence_submitted");
    assert_eq!(licence[1].1, "licence_accepted");
    assert!(licence[1].2.contains("YZT-"));
}

async fn refusals_of_review_revocation_and_tracking_name_their_field(app: TestApp) {
    let app = app.demo().await;
    let owner = login_phone(&app, "13800000005").await;
    let reviewer = login_staff(&app, "reviewer").await;
    // A salon (its hygiene licence needs a check), sent and accepted.
    let id = accepted_salon(&app, &owner, &reviewer).await;
    // A check without its time, or with one that is not a time.
    for body in [
        &go(Action::ScheduleCheck, Stage::Accepted),
        &TransitionRequest {
            scheduled_for: Some("next Tuesday".into()),
            ..go(Action::ScheduleCheck, Stage::Accepted)
        },
    ] {
        let refused = step(&app, &reviewer, true, id, body).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(refused.json()["field"], "scheduled_for");
        assert!(refused.json()["message"]
            .as_str()
            .unwrap()
            .contains("核查时间"));
    }
    let when =
        server::platform::db::format_utc(time::OffsetDateTime::now_utc() + time::Duration::days(1));
    step(
        &app,
        &reviewer,
        true,
        id,
        &TransitionRequest {
            scheduled_for: Some(when.clone()),
            ..go(Action::ScheduleCheck, Stage::Accepted)
        },
    )
    .await;
    step(
        &app,
        &reviewer,
        true,
        id,
        &go(Action::PassCheck, Stage::OnSiteCheck),
    )
    .await;
    let issued = step(
        &app,
        &reviewer,
        true,
        id,
        &go(Action::Approve, Stage::CheckPassed),
    )
    .await;
    let number = issued.json()["licence"].as_str().unwrap().to_owned();
    // Revoking needs a reason, and a permit the licence carries.
    let uri = format!("/api/staff/licences/issued/{number}/permits/public_health/revoke");
    let bare = app
        .call("POST", &uri, &reviewer, Some(r#"{"reason":" "}"#))
        .await;
    assert_eq!(bare.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bare.json()["field"], "reason");
    let other = format!("/api/staff/licences/issued/{number}/permits/drug_retail/revoke");
    assert_eq!(
        app.call("POST", &other, &reviewer, Some(r#"{"reason":"核查属实"}"#))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let unknown = "/api/staff/licences/issued/440604209999999999/permits/public_health/revoke";
    assert_eq!(
        app.call("POST", unknown, &reviewer, Some(r#"{"reason":"核查属实"}"#))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    // Revoking twice changes nothing.
    for _ in 0..2 {
        assert_eq!(
            app.call(
                "POST",
                &uri,
                &reviewer,
                Some(r#"{"reason":"消毒设施缺失"}"#)
            )
            .await
            .status,
            StatusCode::OK
        );
    }
    let revoked_at: Vec<String> =
        sqlx::query_scalar("SELECT revoked_at FROM licence_permits WHERE revoked_at IS NOT NULL")
            .fetch_all(&app.db.pool)
            .await
            .unwrap();
    assert_eq!(revoked_at.len(), 1);
    // Tracking: a forged or unknown watch token finds nothing; a real one reloads.
    assert_eq!(
        app.get("/api/track/current?watch=1.99999999999.00")
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let app_number = issued.json()["number"].as_str().unwrap().to_owned();
    let tracked = app
        .post_json(
            "/api/track",
            &json!({"number": app_number, "phone": "13800000005"}).to_string(),
        )
        .await
        .json();
    let watch = tracked["watch"].as_str().unwrap();
    let again = app.get(&format!("/api/track/current?watch={watch}")).await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(again.json()["stage"], "issued");
    // Looking applications up is limited per address.
    let mut last = StatusCode::OK;
    for _ in 0..25 {
        last = app
            .post_json(
                "/api/track",
                &json!({"number": "YZT-20000101-00000", "phone": "13800000005"}).to_string(),
            )
            .await
            .status;
    }
    assert_eq!(last, StatusCode::TOO_MANY_REQUESTS);
}

async fn only_the_acting_enterprise_s_own_code_goes_on_a_licence(app: TestApp) {
    let app = app.demo().await;
    let uscc = |reference: &'static str| {
        let pool = app.db.pool.clone();
        async move {
            sqlx::query_scalar::<_, String>(
                "SELECT uscc FROM enterprises WHERE enterprise_ref = $1",
            )
            .bind(reference)
            .fetch_one(&pool)
            .await
            .unwrap()
        }
    };
    let (manufacturer, pharmacy) = (uscc("DEMO-E1").await, uscc("DEMO-E2").await);
    // The pharmacy's owner, applying as herself for a new business: no one's code may be typed.
    let owner = login_phone(&app, "13800000005").await;
    let id = start(&app, &owner, "pharmacy", &["drug_retail"]).await["id"]
        .as_i64()
        .unwrap();
    for code in [&manufacturer, &pharmacy] {
        let refused = save(
            &app,
            &owner,
            id,
            &json!({"answers": {"business.uscc": code}}),
        )
        .await;
        assert_eq!(
            refused.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            refused.text()
        );
        assert_eq!(refused.json()["field"], "answers.business.uscc");
        assert!(refused.json()["message"]
            .as_str()
            .unwrap()
            .contains("不是您所代表的企业的"));
    }
    // Acting for her pharmacy, its own code stands; another enterprise's does not.
    assert_eq!(
        act_for(&app, &owner, "DEMO-E2").await.status,
        StatusCode::OK
    );
    let id = start(&app, &owner, "pharmacy", &["drug_retail"]).await["id"]
        .as_i64()
        .unwrap();
    let own = save(
        &app,
        &owner,
        id,
        &json!({"answers": {"business.uscc": pharmacy}}),
    )
    .await;
    assert_eq!(own.status, StatusCode::OK, "{}", own.text());
    let other = save(
        &app,
        &owner,
        id,
        &json!({"answers": {"business.uscc": manufacturer}}),
    )
    .await;
    assert_eq!(other.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(other.json()["field"], "answers.business.uscc");
}

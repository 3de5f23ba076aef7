//! 一照通 helpers: a pharmacy's application, filled in and uploaded.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::{json, Value};

use api::licence::{Action, ItemReason, Stage, TransitionRequest};

use super::{Answer, TestApp};

pub const PDF: &[u8] = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n";
pub const PNG: &[u8] = &[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13];
pub const JPEG: &[u8] = &[0xFF, 0xD8, 0xFF, 0xE0, 0, 16, b'J', b'F', b'I', b'F'];

pub fn id_number() -> String {
    let first17 = "44060419820915527";
    format!(
        "{first17}{}",
        api::validate::id_check_character(first17).unwrap()
    )
}

pub async fn upload(
    app: &TestApp,
    cookie: &str,
    id: i64,
    material: &str,
    content_type: &str,
    bytes: Vec<u8>,
) -> Answer {
    app.send(
        Request::put(format!(
            "/api/licences/applications/{id}/materials/{material}?name={material}.pdf"
        ))
        .header("cookie", cookie)
        .header("content-type", content_type)
        .body(Body::from(bytes))
        .unwrap(),
    )
    .await
}

pub async fn start(app: &TestApp, cookie: &str, business_type: &str, permits: &[&str]) -> Value {
    let answer = app
        .call(
            "POST",
            "/api/licences/applications",
            cookie,
            Some(&json!({ "business_type": business_type, "permits": permits }).to_string()),
        )
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text());
    answer.json()
}

/// Everything a pharmacy's form needs, right.
pub fn pharmacy_answers() -> Value {
    json!({ "answers": {
        "applicant.name": "梁志强",
        "applicant.id_number": id_number(),
        "business.name": "佛山市禅城区康宁大药房（季华店）",
        "business.address": "佛山市禅城区祖庙街道季华五路 21 号首层",
        "business.scope": "药品零售；第二类医疗器械零售",
        "business_licence.form": "sole_trader",
        "business_licence.capital": "30",
        "drug_retail.pharmacist": "何敏",
        "drug_retail.pharmacist_number": "ZY44060120230017",
        "drug_retail.area": "85",
        "drug_retail.category": "all",
        "commitment.choice": "commit",
    }})
}

pub async fn save(app: &TestApp, cookie: &str, id: i64, answers: &Value) -> Answer {
    app.call(
        "PUT",
        &format!("/api/licences/applications/{id}/answers"),
        cookie,
        Some(&answers.to_string()),
    )
    .await
}

/// A pharmacy application (business licence + drug retail permit), filled in and with every
/// material uploaded, not yet submitted.
pub async fn ready_pharmacy(app: &TestApp, owner: &str) -> Value {
    let a = start(app, owner, "pharmacy", &["drug_retail"]).await;
    let id = a["id"].as_i64().unwrap();
    assert_eq!(
        save(app, owner, id, &pharmacy_answers()).await.status,
        StatusCode::OK
    );
    let mut last = Value::Null;
    for m in a["materials"].as_array().unwrap() {
        let answer = upload(
            app,
            owner,
            id,
            m["code"].as_str().unwrap(),
            "application/pdf",
            PDF.to_vec(),
        )
        .await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
        last = answer.json();
    }
    assert_eq!(last["ready"], true, "{last:#}");
    last
}

/// A step `action` from the stage `from`, with nothing else.
pub fn go(action: Action, from: Stage) -> TransitionRequest {
    TransitionRequest {
        action,
        from,
        comment: None,
        items: Vec::new(),
        scheduled_for: None,
    }
}

/// A material to fix, and why.
pub fn item(material: &str, reason: &str) -> ItemReason {
    ItemReason {
        material: material.to_owned(),
        reason: reason.to_owned(),
    }
}

/// Takes a step as the applicant, or as a reviewer (`staff`).
pub async fn step(
    app: &TestApp,
    cookie: &str,
    staff: bool,
    id: i64,
    body: &TransitionRequest,
) -> Answer {
    let uri = if staff {
        format!("/api/staff/licences/applications/{id}/transitions")
    } else {
        format!("/api/licences/applications/{id}/transitions")
    };
    let body = serde_json::to_string(body).expect("a request serializes");
    app.call("POST", &uri, cookie, Some(&body)).await
}

/// A pharmacy application of `owner`'s, complete and submitted; its id.
pub async fn submitted_pharmacy(app: &TestApp, owner: &str) -> i64 {
    let id = ready_pharmacy(app, owner).await["id"].as_i64().unwrap();
    let submitted = step(app, owner, false, id, &go(Action::Submit, Stage::Draft)).await;
    assert_eq!(submitted.status, StatusCode::OK, "{}", submitted.text());
    id
}

/// A pharmacy application of `owner`'s, approved by `reviewer` on the owner's commitment, so
/// its licence is issued; its id.
pub async fn issued_pharmacy(app: &TestApp, owner: &str, reviewer: &str) -> i64 {
    let id = submitted_pharmacy(app, owner).await;
    for (action, from) in [
        (Action::Accept, Stage::Submitted),
        (Action::UseCommitment, Stage::Accepted),
        (Action::Approve, Stage::Commitment),
    ] {
        let answer = step(app, reviewer, true, id, &go(action, from)).await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    }
    id
}

/// Everything a hair salon's form needs (its hygiene licence always needs an on-site check).
pub fn salon_answers() -> Value {
    json!({"answers": {
        "applicant.name": "梁志强", "applicant.id_number": id_number(),
        "business.name": "佛山市禅城区美发工作室", "business.address": "佛山市禅城区张槎街道华宝南路 13 号",
        "business.scope": "理发及美容服务", "business_licence.form": "sole_trader", "business_licence.capital": "10",
        "public_health.venue": "beauty", "public_health.staff": "4",
    }})
}

/// A salon application of `owner`'s, complete, submitted and accepted by `reviewer`: waiting
/// for its on-site check to be scheduled. Its id.
pub async fn accepted_salon(app: &TestApp, owner: &str, reviewer: &str) -> i64 {
    let a = start(app, owner, "salon", &["public_health"]).await;
    let id = a["id"].as_i64().unwrap();
    assert_eq!(a["commitment_allowed"], false);
    let saved = save(app, owner, id, &salon_answers()).await.json();
    assert!(
        saved["problems"].as_array().unwrap().is_empty(),
        "{saved:#}"
    );
    for m in a["materials"].as_array().unwrap() {
        let code = m["code"].as_str().unwrap();
        let answer = upload(app, owner, id, code, "image/jpeg", JPEG.to_vec()).await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    }
    for (who, staff, action, from) in [
        (owner, false, Action::Submit, Stage::Draft),
        (reviewer, true, Action::Accept, Stage::Submitted),
    ] {
        let answer = step(app, who, staff, id, &go(action, from)).await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    }
    id
}

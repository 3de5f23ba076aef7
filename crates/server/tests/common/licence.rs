//! 一照通 helpers: a pharmacy's application, filled in and uploaded.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::{json, Value};

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

pub async fn step(app: &TestApp, cookie: &str, staff: bool, id: i64, body: Value) -> Answer {
    let uri = if staff {
        format!("/api/staff/licences/applications/{id}/transitions")
    } else {
        format!("/api/licences/applications/{id}/transitions")
    };
    app.call("POST", &uri, cookie, Some(&body.to_string()))
        .await
}

//! 家人代办 through the router: 陈伯 (85) authorises his daughter by phone; she acts for him as
//! an enterprise's agent acts for it, accepts a grant for him, and every act of hers is in his
//! access log; he revokes her and her next act is refused. Nobody else can use or end the
//! authorisation, and acting for him never reaches licences.

mod common;

use axum::http::StatusCode;
use common::{login_phone, Answer, TestApp};
use serde_json::{json, Value};

on_both_databases!(
    a_daughter_acts_for_her_father_until_he_revokes_her,
    family_authorisations_are_checked
);

const FATHER: &str = "13800000001";
const DAUGHTER: &str = "13900000301";

fn next_year() -> String {
    format!(
        "{}-12-31",
        server::platform::db::today_shanghai().year() + 1
    )
}

async fn authorise(app: &TestApp, cookie: &str, phone: &str, licences: bool) -> Answer {
    let body = json!({ "phone": phone, "scopes": { "subsidies": true, "licences": licences },
                       "expires_on": next_year() });
    app.call(
        "POST",
        "/api/me/family-agents",
        cookie,
        Some(&body.to_string()),
    )
    .await
}

async fn act_for_person(app: &TestApp, cookie: &str, person: Value) -> Answer {
    let body = json!({ "enterprise_id": null, "person_id": person });
    app.call(
        "POST",
        "/api/me/acting-for",
        cookie,
        Some(&body.to_string()),
    )
    .await
}

/// The senior allowance, asked to be accepted first (as 意愿确认 policies are): so that the
/// daughter has something to accept for him.
async fn with_a_consent_policy(app: TestApp) -> TestApp {
    common::publish_variant(
        &app,
        "senior-allowance.toml",
        &[
            ("id = \"senior-allowance\"", "id = \"senior-consent\""),
            ("mode = \"automatic\"", "mode = \"automatic_after_consent\""),
        ],
    )
    .await;
    app
}

async fn a_daughter_acts_for_her_father_until_he_revokes_her(app: TestApp) {
    let app = with_a_consent_policy(app.demo().await).await;
    let father = login_phone(&app, FATHER).await;
    let added = authorise(&app, &father, DAUGHTER, false).await;
    assert_eq!(added.status, StatusCode::CREATED, "{}", added.text());
    assert_eq!(added.json()["phone"], "139****0301");
    let listed = app
        .call("GET", "/api/me/family-agents", &father, None)
        .await
        .json();
    assert_eq!(listed[0]["active"], true);

    // She sees him among those she may act for, and acts for him.
    let daughter = login_phone(&app, DAUGHTER).await;
    let me = app.call("GET", "/api/me", &daughter, None).await.json();
    let family = me["person"]["family"].as_array().unwrap().clone();
    assert_eq!(family.len(), 1, "{me}");
    assert_eq!(family[0]["name"], "陈伯（85 岁居民）");
    let acting = act_for_person(&app, &daughter, family[0]["id"].clone()).await;
    assert_eq!(acting.status, StatusCode::OK, "{}", acting.text());
    assert_eq!(
        acting.json()["person"]["acting_for_person"],
        family[0]["id"]
    );

    // His grant to accept is there; she accepts it for him.
    let subject: i64 = sqlx::query_scalar("SELECT id FROM subjects WHERE ref = 'DEMO-R1'")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    server::subsidies::matching::match_subject(&app.state, subject)
        .await
        .unwrap();
    let home = app.call("GET", "/api/home", &daughter, None).await.json();
    let offer = home["awaiting_consent"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["policy"] == "senior-consent")
        .unwrap_or_else(|| panic!("his offer: {home}"))
        .clone();
    let id = offer["id"].as_i64().unwrap();
    let accepted = app
        .call(
            "POST",
            &format!("/api/grants/{id}/consent"),
            &daughter,
            None,
        )
        .await;
    assert_eq!(accepted.status, StatusCode::OK, "{}", accepted.text());
    assert_eq!(accepted.json()["status"], "approved");
    // Her own licences are not reached while she acts for him.
    assert_eq!(
        app.call("GET", "/api/licences/applications", &daughter, None)
            .await
            .status,
        StatusCode::FORBIDDEN
    );

    // He sees what she did, and revokes her.
    let log = app
        .call("GET", "/api/me/access-log", &father, None)
        .await
        .json();
    let acts: Vec<&str> = log
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["by_family"] == true)
        .map(|e| e["what"].as_str().unwrap())
        .collect();
    assert!(acts.contains(&"view") && acts.contains(&"consent"), "{log}");
    assert!(log
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["by_family"] == true)
        .all(|e| e["staff_name"] == "139****0301"));
    let agent = listed[0]["id"].as_i64().unwrap();
    let revoked = app
        .call(
            "DELETE",
            &format!("/api/me/family-agents/{agent}"),
            &father,
            None,
        )
        .await;
    assert_eq!(revoked.status, StatusCode::NO_CONTENT);
    let refused = app.call("GET", "/api/home", &daughter, None).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.text());
    let me = app.call("GET", "/api/me", &daughter, None).await.json();
    assert_eq!(me["person"]["acting_for_person"], Value::Null);
    assert_eq!(me["person"]["family"], json!([]));
}

async fn family_authorisations_are_checked(app: TestApp) {
    let app = app.demo().await;
    let father = login_phone(&app, FATHER).await;
    // Subsidies only; not oneself; not twice; not in the past.
    let licences = authorise(&app, &father, DAUGHTER, true).await;
    assert_eq!(licences.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(licences.json()["field"], "scopes");
    assert_eq!(
        authorise(&app, &father, FATHER, false).await.status,
        StatusCode::CONFLICT
    );
    assert_eq!(
        authorise(&app, &father, DAUGHTER, false).await.status,
        StatusCode::CREATED
    );
    assert_eq!(
        authorise(&app, &father, DAUGHTER, false).await.status,
        StatusCode::CONFLICT
    );
    let agent = app
        .call("GET", "/api/me/family-agents", &father, None)
        .await
        .json()[0]["id"]
        .as_i64()
        .unwrap();
    let father_id: i64 = sqlx::query_scalar("SELECT id FROM users WHERE resident_ref = 'DEMO-R1'")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    // Someone he did not authorise cannot act for him, nor end his authorisations.
    let stranger = login_phone(&app, "13800000002").await;
    assert_eq!(
        act_for_person(&app, &stranger, json!(father_id))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.call(
            "DELETE",
            &format!("/api/me/family-agents/{agent}"),
            &stranger,
            None
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
    // One at a time: an enterprise and a person together are refused.
    let daughter = login_phone(&app, DAUGHTER).await;
    let both = app
        .call(
            "POST",
            "/api/me/acting-for",
            &daughter,
            Some(&json!({ "enterprise_id": 1, "person_id": father_id }).to_string()),
        )
        .await;
    assert_eq!(both.status, StatusCode::UNPROCESSABLE_ENTITY);
    // Staff and visitors have no family agents.
    let staff = common::login_staff(&app, "reviewer").await;
    assert_eq!(
        app.call("GET", "/api/me/family-agents", &staff, None)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.call("GET", "/api/me/family-agents", "", None)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
}

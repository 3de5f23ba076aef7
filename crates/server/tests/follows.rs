//! 政策找人 for what is new: a person follows categories; a policy served for the first time is
//! announced once to the followers of its category, in the app and through the outbox.

mod common;

use std::sync::{Arc, Mutex};

use axum::http::StatusCode;
use common::{login_phone, TestApp};
use serde_json::{json, Value};
use server::notifications::{deliver_due, Notifier, Outgoing, Recipient};
use server::policies::follows::announce_new_policies;

on_both_databases!(followers_hear_of_a_new_policy_once);

#[derive(Default)]
struct Recording(Mutex<Vec<(Recipient, Outgoing)>>);

#[async_trait::async_trait]
impl Notifier for Recording {
    async fn deliver(&self, to: &Recipient, m: &Outgoing) -> anyhow::Result<()> {
        self.0.lock().unwrap().push((to.clone(), m.clone()));
        Ok(())
    }
}

async fn followers_hear_of_a_new_policy_once(app: TestApp) {
    let app = app.demo().await;
    // What is served at start is announced then, to no one yet.
    assert_eq!(announce_new_policies(&app.state).await.unwrap(), 0);
    let chen = login_phone(&app, "13800000001").await;
    let li = login_phone(&app, "13800000002").await;
    let listed = app.call("GET", "/api/me/follows", &chen, None).await.json();
    let categories: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["category"].as_str().unwrap())
        .collect();
    assert!(categories.contains(&"elderly") && categories.contains(&"disability"));
    assert!(listed
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c["following"] == false));
    let follow = |cookie: String, categories: Value| {
        let app = &app;
        async move {
            app.call(
                "PUT",
                "/api/me/follows",
                &cookie,
                Some(&json!({ "categories": categories }).to_string()),
            )
            .await
        }
    };
    let saved = follow(chen.clone(), json!(["elderly"])).await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.text());
    assert!(saved
        .json()
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["category"] == "elderly" && c["following"] == true));
    let unknown = follow(li.clone(), json!(["lottery"])).await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(unknown.json()["field"], "categories[0]");
    follow(li.clone(), json!(["disability"])).await;

    // A new policy for older people is served.
    common::publish_variant(
        &app,
        "senior-allowance.toml",
        &[
            ("id = \"senior-allowance\"", "id = \"senior-meals\""),
            (
                "name = { zh-CN = \"高龄老人津贴\"",
                "name = { zh-CN = \"长者饭堂助餐补贴\"",
            ),
        ],
    )
    .await;
    assert_eq!(announce_new_policies(&app.state).await.unwrap(), 1);
    assert_eq!(announce_new_policies(&app.state).await.unwrap(), 0, "once");
    let notices = app
        .call("GET", "/api/me/policy-notices", &chen, None)
        .await
        .json();
    assert_eq!(notices.as_array().unwrap().len(), 1, "{notices}");
    assert_eq!(notices[0]["policy"], "senior-meals");
    assert_eq!(notices[0]["name"]["zh-CN"], "长者饭堂助餐补贴");
    let none = app
        .call("GET", "/api/me/policy-notices", &li, None)
        .await
        .json();
    assert_eq!(none, json!([]));

    // It goes out by SMS too, as he did not turn that group off.
    let recording = Arc::new(Recording::default());
    let state = app
        .state
        .clone()
        .with_notifiers(vec![recording.clone() as Arc<dyn Notifier>]);
    deliver_due(&state).await.unwrap();
    let sent = recording.0.lock().unwrap().clone();
    let told: Vec<_> = sent
        .iter()
        .filter(|(_, m)| m.kind == "policy_published")
        .collect();
    assert_eq!(told.len(), 1);
    assert_eq!(told[0].0.phones, vec!["13800000001".to_owned()]);
    assert_eq!(told[0].1.policy, "长者饭堂助餐补贴");
    assert_eq!(told[0].1.template(), "policy_published");
}

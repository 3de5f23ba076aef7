//! The public policy library: search, filters and detail, with no login.

mod common;

use axum::http::StatusCode;
use common::TestApp;

on_both_databases!(the_library_lists_and_searches, one_policy_in_full);

fn ids(json: &serde_json::Value) -> Vec<String> {
    json.as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap().to_owned())
        .collect()
}

async fn the_library_lists_and_searches(app: TestApp) {
    let all = app.get("/api/policies").await;
    assert_eq!(all.status, StatusCode::OK);
    let files = rules::reference_policies();
    assert_eq!(
        ids(&all.json()).len(),
        files.len(),
        "every policy of policies/ is in force"
    );
    let cases: [(&str, &[&str]); 8] = [
        // 高龄: the allowance, and the centenarians' gift that says it comes on top of it.
        (
            "/api/policies?q=%E9%AB%98%E9%BE%84",
            &["senior-allowance", "centenarian-gift"],
        ),
        ("/api/policies?q=GAS", &["gas-subsidy"]),
        (
            "/api/policies?q=loan%20interest",
            &["digital-loan-interest"],
        ),
        (
            "/api/policies?q=%E6%95%B0%E5%AD%97%E8%B4%B7",
            &["digital-loan-interest"],
        ),
        (
            "/api/policies?audience=resident",
            &[
                "senior-allowance",
                "disability-living",
                "disability-nursing",
                "unemployment-living",
                "childbirth-nutrition",
                "childcare-subsidy",
                "pension-elderly-top-up",
                "disability-transport",
                "dibao-festival",
                "centenarian-gift",
                "disabled-child-rehab",
            ],
        ),
        (
            "/api/policies?mode=apply",
            &[
                "hitech-rd",
                "job-creation",
                "graduate-hiring",
                "revenue-growth-award",
                "small-micro-rent",
                "manufacturing-digital",
                "startup-grant",
                "tech-renovation",
            ],
        ),
        (
            "/api/policies?audience=enterprise&mode=automatic&category=industry",
            &["gas-subsidy", "small-to-large"],
        ),
        ("/api/policies?status=retired", &[]),
    ];
    for (uri, expected) in cases {
        let answer = app.get(uri).await;
        assert_eq!(answer.status, StatusCode::OK, "{uri}");
        let mut expected: Vec<String> = expected.iter().map(|s| s.to_string()).collect();
        expected.sort();
        assert_eq!(ids(&answer.json()), expected, "{uri}: by id");
    }
    let bad = app.get("/api/policies?audience=aliens").await;
    assert_eq!(
        (bad.status, bad.json()["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("audience"))
    );
}

async fn one_policy_in_full(app: TestApp) {
    let p = app.get("/api/policies/senior-allowance").await.json();
    assert_eq!(p["name"]["zh-CN"], "高龄老人津贴");
    assert_eq!(p["sample"], true);
    assert_eq!(p["in_force"], true);
    assert_eq!(p["mode"], "automatic");
    assert_eq!(p["amount"]["tiered"]["measure"]["zh-CN"], "年龄");
    assert_eq!(
        p["amount"]["tiered"]["tiers"][2],
        serde_json::json!({ "from": 100, "fen": 60000 })
    );
    assert_eq!(p["criteria"].as_array().unwrap().len(), 3);
    // A policy that names the article of each condition and of its amount says so.
    let u = app.get("/api/policies/unemployment-living").await.json();
    assert_eq!(u["criteria_basis"][0], "第二条");
    assert_eq!(
        u["criteria_basis"].as_array().unwrap().len(),
        u["criteria"].as_array().unwrap().len()
    );
    assert_eq!(u["amount_basis"], "第四条");
    assert_eq!(p["legal_issuer"], "佛山市禅城区民政局");
    let loan = app.get("/api/policies/digital-loan-interest").await.json();
    assert_eq!(
        loan["amount"]["proportional"]["base"]["zh-CN"],
        "付息金额（数字贷）"
    );
    assert_eq!(loan["amount"]["proportional"]["base_is_money"], true);
    assert_eq!(loan["amount"]["proportional"]["cap"], 2_000_000);
    let missing = app.get("/api/policies/no-such-policy").await;
    assert_eq!(
        (missing.status, missing.json()["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );
}

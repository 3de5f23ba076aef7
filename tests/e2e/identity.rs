//! Real people outside demo mode: a server with no one seeded, codes sent through the SMS
//! gateway. The registers' feeds carry a resident's ID number and name and an enterprise's
//! legal representative; a new account records its identity and finds its grant and its
//! enterprise; a wrong name and a second account are refused.

use fantoccini::{Client, Locator};
use serde_json::json;

use crate::browse::*;
use crate::harness::{console_errors, post_json, Server, TestResult};
use crate::Ctx;

/// 林秀英, born 1941, in the population register.
const LIN: &str = "440604194103150043";

/// Logs in by phone on `server`'s login page, with the code the SMS gateway received; the
/// form never shows a code outside demo mode.
async fn log_in_for_real(server: &Server, c: &Client, phone: &str) -> TestResult {
    c.goto(&format!("{}/login", server.url)).await?;
    heading_becomes(c, "登录").await?;
    type_into(c, "#phone", phone).await?;
    click(c, "[data-test=send-code]").await?;
    let sms = server.sms.as_ref().ok_or("a server outside demo mode")?;
    let code = sms
        .code_for(phone)
        .await
        .ok_or("no code reached the gateway")?;
    check(
        c.find_all(Locator::Css("[data-test=demo-code]"))
            .await?
            .is_empty(),
        "no code is shown on the form",
    )?;
    type_into(c, "#code", &code).await?;
    click(c, "[data-test=login]").await?;
    appears(c, "[data-test=name]").await?;
    Ok(())
}

/// The browser logs a refused request itself: those of `path` with `status`, and nothing else.
async fn only_refusals(c: &Client, path: &str, status: &str) -> TestResult {
    let logged = console_errors(c).await?;
    check(
        logged
            .iter()
            .all(|e| e.contains(path) && e.contains(status)),
        format!("{logged:?}"),
    )
}

async fn record_identity(c: &Client, name: &str, number: &str) -> TestResult {
    type_into(c, "#identity-name", name).await?;
    type_into(c, "#identity-number", number).await?;
    click(c, "[data-test=save-identity]").await
}

pub(crate) async fn outside_demo_mode_a_resident_records_her_identity_and_finds_her_grant(
    ctx: &Ctx,
) -> TestResult {
    let server = Server::start_real("real");
    let (status, body) = post_json(
        &server.url,
        "/api/feeds/batches",
        &server.feed_key,
        &json!({ "records": [{ "subject": "resident", "id": "R-LIN", "attributes": {
            "birth_date": "1941-03-15", "hukou_district": "440604", "street": "祖庙街道",
            "id_number": LIN, "name": "林秀英" } }] }),
    );
    check(
        status == 200,
        format!("the register's feed: {status} {body}"),
    )?;
    let (status, body) = post_json(
        &server.url,
        "/api/feeds/batches",
        &server.market_key,
        &json!({ "records": [{ "subject": "enterprise", "id": "E-LIN", "attributes": {
            "uscc": "91440604MA4UXY0179", "name": "佛山市秀英五金有限公司",
            "district": "440604", "industry_code": 3311, "established": "2015-04-01",
            "legal_rep_id_number": LIN } }] }),
    );
    check(
        status == 200,
        format!("the market register's feed: {status} {body}"),
    )?;

    let server = &server;
    in_session(ctx, PHONE, |c| async move {
        log_in_for_real(server, &c, "13900000201").await?;
        // Not linked yet: the home says how to be found.
        c.goto(&format!("{}/", server.url)).await?;
        text_becomes(&c, "[data-test=needs-identity]", "实名登记").await?;
        page_is_clean(&c).await?;
        click(&c, "[data-test=needs-identity] a").await?;
        // A wrong name for her number is refused, in words that do not say the number exists.
        record_identity(&c, "林小英", LIN).await?;
        text_becomes(&c, "[data-test=alert]", "姓名和身份证号码与登记信息对不上").await?;
        only_refusals(&c, "/api/me/identity", "422").await?;
        record_identity(&c, "林秀英", LIN).await?;
        text_becomes(&c, "[data-test=id-number]", "4406**********0043").await?;
        // The enterprise the market register names her for is hers to act for.
        text_becomes(&c, "main", "佛山市秀英五金有限公司").await?;
        page_is_clean(&c).await?;
        // Her home shows the allowance the register's data decided, with its receipt.
        c.goto(&format!("{}/", server.url)).await?;
        let grant = "[data-test=recent] [data-test=grant][data-policy=senior-allowance]";
        text_becomes(&c, grant, "¥100.00").await?;
        click(&c, &format!("{grant} a")).await?;
        appears(&c, "[data-criterion=age-80][data-passed=true]").await?;
        page_is_clean(&c).await
    })
    .await?;

    // A second account claiming her is refused.
    in_session(ctx, PHONE, |c| async move {
        log_in_for_real(server, &c, "13900000202").await?;
        record_identity(&c, "林秀英", LIN).await?;
        text_becomes(&c, "[data-test=alert]", "这个身份已登记在另一个账号下").await?;
        only_refusals(&c, "/api/me/identity", "409").await?;
        let shown = text_of(&c, "[data-test=id-number]").await?;
        check(
            !shown.contains("0043"),
            format!("nothing recorded: {shown}"),
        )?;
        check(
            !c.find_all(Locator::Css("#identity-title"))
                .await?
                .is_empty(),
            "the form stays for another try",
        )
    })
    .await
}

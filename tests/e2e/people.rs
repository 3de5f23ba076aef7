//! Real people. Outside demo mode (a server with no one seeded, codes sent through the SMS
//! gateway), the registers' feeds carry a resident's ID number and name and an enterprise's
//! legal representative; a new account records its identity and finds its grant and its
//! enterprise; a wrong name and a second account are refused. And 家人代办: a daughter acts for
//! her father until he revokes her.

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
        snap(&c, "home-not-linked").await?;
        click(&c, "[data-test=needs-identity] a").await?;
        appears(&c, "#identity-title").await?;
        snap(&c, "me-identity-form").await?;
        // A wrong name for her number is refused, in words that do not say the number exists.
        record_identity(&c, "林小英", LIN).await?;
        text_becomes(&c, "[data-test=alert]", "姓名和身份证号码与登记信息对不上").await?;
        only_refusals(&c, "/api/me/identity", "422").await?;
        record_identity(&c, "林秀英", LIN).await?;
        text_becomes(&c, "[data-test=id-number]", "4406**********0043").await?;
        // The enterprise the market register names her for is hers to act for.
        text_becomes(&c, "main", "佛山市秀英五金有限公司").await?;
        page_is_clean(&c).await?;
        snap(&c, "me-verified").await?;
        // Her home shows the allowance the register's data decided, with its receipt.
        c.goto(&format!("{}/", server.url)).await?;
        let grant = "[data-test=recent] [data-test=grant][data-policy=senior-allowance]";
        text_becomes(&c, grant, "¥100.00").await?;
        click(&c, &format!("{grant} a")).await?;
        appears(&c, "[data-criterion=age-80][data-passed=true]").await?;
        page_is_clean(&c).await?;
        // 政策找人: acting for her enterprise, with its home open, the tax bureau's data makes
        // it eligible for the R&D grant; the message and its action arrive without a reload.
        c.goto(&format!("{}/me", server.url)).await?;
        act_for_enterprise(&c).await?;
        c.goto(&format!("{}/", server.url)).await?;
        text_becomes(&c, "[data-test=notifications]", "").await?;
        let (status, body) = post_json(
            &server.url,
            "/api/feeds/batches",
            &server.tax_key,
            &json!({ "records": [{ "subject": "enterprise", "id": "E-LIN", "attributes": {
                "high_tech_until": "2030-12-31", "revenue_y1": 1_000_000_000,
                "rd_expense_y1": 100_000_000 } }] }),
        );
        check(
            status == 200,
            format!("the tax bureau's feed: {status} {body}"),
        )?;
        text_becomes(
            &c,
            "[data-test=notifications] [data-kind=can_apply][data-policy=hitech-rd]",
            "¥100,000.00",
        )
        .await?;
        appears(
            &c,
            "[data-test=notifications] [data-kind=can_apply][data-policy=hitech-rd] [data-test=go-apply]",
        )
        .await?;
        page_is_clean(&c).await?;
        snap(&c, "home-told-to-apply").await
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

/// Chooses, on 我的, the first one this person may act for besides themself, and waits until
/// the server has it.
async fn act_for_first(c: &Client) -> TestResult {
    let select = appears(c, "[data-test=acting-for]").await?;
    select.select_by_index(1).await?;
    for _ in 0..50 {
        let me = crate::harness::js(c, "return fetch('/api/me').then(r => r.json())").await?;
        if me["person"]["acting_for_person"].is_number() {
            return Ok(());
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    Err("the session does not act for the family member".into())
}

pub(crate) async fn a_daughter_acts_for_her_father_until_he_revokes_her(ctx: &Ctx) -> TestResult {
    const DAUGHTER: &str = "13900000302";
    in_session(ctx, PHONE, |father| async move {
        log_in_by_phone(ctx, &father, "13800000001").await?;
        let family = "section[data-test=family]";
        type_into(&father, &format!("{family} input[type=tel]"), DAUGHTER).await?;
        click(&father, &format!("{family} [data-test=add-agent]")).await?;
        text_becomes(
            &father,
            &format!("{family} [data-test=agents]"),
            "139****0302",
        )
        .await?;
        // He follows policies for older people: saved as soon as he ticks it.
        click(&father, "[data-test=follows] [data-category=elderly]").await?;
        let mut following = false;
        for _ in 0..50 {
            let follows = crate::harness::js(
                &father,
                "return fetch('/api/me/follows').then(r => r.json())",
            )
            .await?;
            following = follows.as_array().is_some_and(|a| {
                a.iter()
                    .any(|c| c["category"] == "elderly" && c["following"] == true)
            });
            if following {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        check(following, "the follow was saved")?;
        page_is_clean(&father).await?;
        snap(&father, "me-family").await?;

        in_session(ctx, PHONE, |daughter| async move {
            log_in_by_phone(ctx, &daughter, DAUGHTER).await?;
            act_for_first(&daughter).await?;
            open(ctx, &daughter, "/").await?;
            text_becomes(
                &daughter,
                "[data-test=recent] [data-test=grant][data-policy=senior-allowance]",
                "¥",
            )
            .await?;
            page_is_clean(&daughter).await?;

            // He sees what she did, and stops it.
            open(ctx, &father, "/me").await?;
            text_becomes(&father, "[data-by-family=true]", "代您查看了补贴").await?;
            click(&father, &format!("{family} [data-test=agents] button")).await?;
            text_becomes(&father, &format!("{family} [data-test=agents]"), "已撤销").await?;
            page_is_clean(&father).await?;

            // Her next look at his subsidies is refused.
            open(ctx, &daughter, "/").await?;
            text_becomes(&daughter, "main .field-error", "授权已过期、已撤销").await?;
            let logged = console_errors(&daughter).await?;
            check(
                !logged.is_empty() && logged.iter().all(|e| e.contains("403")),
                format!("{logged:?}"),
            )
        })
        .await
    })
    .await
}

/// The authenticator app's code now for a base32 secret, computed in the browser (RFC 6238
/// with WebCrypto's HMAC-SHA-1), as the app on the reviewer's phone would.
const TOTP_JS: &str = "
const done = arguments[arguments.length - 1];
const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
let bits = '';
for (const ch of arguments[0].replace(/ /g, '')) bits += alphabet.indexOf(ch).toString(2).padStart(5, '0');
const key = new Uint8Array(Math.floor(bits.length / 8));
for (let i = 0; i < key.length; i++) key[i] = parseInt(bits.slice(i * 8, i * 8 + 8), 2);
const step = Math.floor(Date.now() / 1000 / 30);
const counter = new Uint8Array(8);
new DataView(counter.buffer).setUint32(4, step);
crypto.subtle.importKey('raw', key, { name: 'HMAC', hash: 'SHA-1' }, false, ['sign'])
  .then(k => crypto.subtle.sign('HMAC', k, counter))
  .then(sig => {
    const h = new Uint8Array(sig);
    const o = h[19] & 15;
    const n = ((h[o] & 127) << 24) | (h[o + 1] << 16) | (h[o + 2] << 8) | h[o + 3];
    done(String(n % 1000000).padStart(6, '0'));
  });
";

pub(crate) async fn a_staff_member_made_by_the_command_line_enrols_and_works(
    ctx: &Ctx,
) -> TestResult {
    let bin = std::env::var("ZHIDA_BIN")?;
    let added = std::process::Command::new(bin)
        .args([
            "staff",
            "add",
            "--username",
            "wang",
            "--name",
            "王审批（许可审查员）",
        ])
        .args([
            "--department",
            "禅城区行政服务中心",
            "--role",
            "licence_review",
        ])
        .args(["--database-url", &ctx.server.database])
        .args(["--public-url", &ctx.server.url])
        .output()?;
    check(
        added.status.success(),
        String::from_utf8_lossy(&added.stderr).into_owned(),
    )?;
    let stdout = String::from_utf8(added.stdout)?;
    let link = stdout
        .lines()
        .find(|l| l.starts_with("http"))
        .ok_or("no link printed")?
        .to_owned();
    in_session(ctx, PHONE, |c| async move {
        // Not enrolled: the staff login refuses whatever is typed.
        c.goto(&link).await?;
        heading_becomes(&c, "开通工作账号").await?;
        appears(&c, ".qr svg").await?;
        page_is_clean(&c).await?;
        snap(&c, "staff-enrol").await?;
        let secret = text_of(&c, "[data-test=enrol-secret]").await?;
        type_into(&c, "#password", "Great wall 1949 river").await?;
        type_into(&c, "#again", "Great wall 1949 river").await?;
        let code = c.execute_async(TOTP_JS, vec![json!(secret)]).await?;
        type_into(&c, "#totp", code.as_str().unwrap_or_default()).await?;
        click(&c, "[data-test=enrol-finish]").await?;
        let codes = text_of(&c, "[data-test=recovery-codes]").await?;
        check(
            codes.lines().count() == 10,
            format!("ten recovery codes: {codes}"),
        )?;
        page_is_clean(&c).await?;
        // (Shown once: a reload would not show them again, so one picture, as it is.)
        if let Some(dir) = std::env::var_os("ZHIDA_SCREENSHOTS") {
            let png = crate::harness::whole_page_png(&c, 375).await?;
            std::fs::write(
                std::path::Path::new(&dir).join("staff-enrolled-zh-375.png"),
                png,
            )?;
        }
        // Signed in: his workspace, and the reviewers' queues.
        click(&c, "[data-test=enrol-continue]").await?;
        text_becomes(&c, "[data-test=name]", "王审批").await?;
        click(&c, "[data-test=open-workbench]").await?;
        appears(&c, "[data-test=queue], .rows, .empty-state").await?;
        page_is_clean(&c).await
    })
    .await
}

//! Accounts: logging in by phone and code, staff with password and authenticator, logging
//! out, agents of an enterprise, recording one's identity, and WeChat.

use std::time::Duration;

use fantoccini::Locator;

use crate::browse::*;
use crate::harness::*;
use crate::Ctx;

pub(crate) async fn a_resident_logs_in_with_phone_and_code_and_sees_their_own_data(
    ctx: &Ctx,
) -> TestResult {
    in_session(ctx, PHONE, |c| async move {
        log_in_by_phone(ctx, &c, "13800000001").await?;
        check(c.current_url().await?.path() == "/me", "lands on 我的")?;
        check(
            text_of(&c, "[data-test=name]").await?.contains("陈伯"),
            "their name",
        )?;
        check(
            text_of(&c, "[data-test=phone]").await? == "138****0001",
            "their phone, masked",
        )?;
        let id = text_of(&c, "[data-test=id-number]").await?;
        check(
            id.starts_with("4406**********") && id.len() == 18,
            format!("their ID number, masked: {id}"),
        )?;
        c.wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::Css("[data-test=devices] li"))
            .await?;
        page_is_clean(&c).await
    })
    .await
}

pub(crate) async fn a_wrong_code_is_refused_in_words(ctx: &Ctx) -> TestResult {
    in_session(ctx, DESKTOP, |c| async move {
        open(ctx, &c, "/login").await?;
        type_into(&c, "#phone", "12345").await?;
        click(&c, "[data-test=send-code]").await?;
        check(
            text_of(&c, "#phone-error").await? == "请输入 11 位手机号码",
            "a local check of the phone",
        )?;
        // A phone no other scenario uses: a phone may ask for one code a minute.
        type_into(&c, "#phone", "13800000099").await?;
        click(&c, "[data-test=send-code]").await?;
        let code = digits_in(&text_of(&c, "[data-test=demo-code]").await?);
        let wrong = if code == "000000" { "111111" } else { "000000" };
        type_into(&c, "#code", wrong).await?;
        click(&c, "[data-test=login]").await?;
        for _ in 0..50 {
            if c.find(Locator::Css("#code-error")).await?.text().await?
                == "验证码不正确，请重新输入"
            {
                // The browser logs the refused request itself; nothing else may be logged.
                let errors = console_errors(&c).await?;
                check(
                    errors
                        .iter()
                        .all(|e| e.contains("/api/auth/sms/verify") && e.contains("400")),
                    format!("{errors:?}"),
                )?;
                return axe(&c).await;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Err("the wrong code was not refused in words".into())
    })
    .await
}

pub(crate) async fn staff_log_in_with_password_and_authenticator_code(ctx: &Ctx) -> TestResult {
    in_session(ctx, DESKTOP, |c| async move {
        check(
            open(ctx, &c, "/login/staff").await? == "工作人员登录",
            "the staff login page",
        )?;
        type_into(&c, "#username", "reviewer").await?;
        type_into(&c, "#password", "zhida-demo-2026").await?;
        // Leaving the username field asks the demo server for the current code.
        let code = digits_in(&text_of(&c, "[data-test=demo-totp]").await?);
        type_into(&c, "#totp", &code).await?;
        page_is_clean(&c).await?;
        click(&c, "[data-test=staff-login]").await?;
        check(
            text_of(&c, "[data-test=name]").await?.contains("张审批"),
            "the reviewer's name",
        )?;
        page_is_clean(&c).await
    })
    .await
}

pub(crate) async fn logging_out_kills_the_session_on_the_server(ctx: &Ctx) -> TestResult {
    in_session(ctx, PHONE, |c| async move {
        log_in_by_phone(ctx, &c, "13800000005").await?;
        let cookie = c.get_named_cookie("zhida_session").await?;
        click(&c, "[data-test=logout]").await?;
        c.wait()
            .at_most(Duration::from_secs(10))
            .for_url(&format!("{}/login", ctx.server.url).parse()?)
            .await?;
        // Put the old cookie back: the server must refuse it.
        c.add_cookie(cookie).await?;
        open(ctx, &c, "/me").await?;
        c.wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::Css("main a[href='/login']"))
            .await?;
        check(
            c.find_all(Locator::Css("[data-test=name]"))
                .await?
                .is_empty(),
            "no account shows with the old cookie",
        )?;
        Ok(())
    })
    .await
}

pub(crate) async fn a_representative_authorises_and_revokes_an_agent(ctx: &Ctx) -> TestResult {
    in_session(ctx, DESKTOP, |c| async move {
        log_in_by_phone(ctx, &c, "13800000003").await?;
        c.wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::Css("[data-test=agents] li"))
            .await?;
        type_into(
            &c,
            "section[data-test^=agents-] input[type=tel]",
            "13600000006",
        )
        .await?;
        click(&c, "[data-test=add-agent]").await?;
        for _ in 0..50 {
            let rows = c.find_all(Locator::Css("[data-test=agents] li")).await?;
            if rows.len() == 2 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let rows = c.find_all(Locator::Css("[data-test=agents] li")).await?;
        check(rows.len() == 2, format!("two agents now: {}", rows.len()))?;
        check(
            rows[0].text().await?.contains("136****0006"),
            "the new agent, masked, first",
        )?;
        page_is_clean(&c).await?;
        click_element(&c, &rows[0].find(Locator::Css("button")).await?).await?;
        for _ in 0..50 {
            let first = c
                .find(Locator::Css("[data-test=agents] li"))
                .await?
                .text()
                .await?;
            if first.contains("已撤销") {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Err("the agent was not shown as revoked".into())
    })
    .await
}

pub(crate) async fn an_agent_switches_to_act_for_the_enterprise(ctx: &Ctx) -> TestResult {
    in_session(ctx, PHONE, |c| async move {
        log_in_by_phone(ctx, &c, "13800000004").await?;
        let select = c
            .wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::Css("[data-test=acting-for]"))
            .await?;
        let options = select.find_all(Locator::Css("option")).await?;
        check(options.len() == 2, "myself, and the enterprise")?;
        check(
            options[1]
                .text()
                .await?
                .contains("佛山市恒立电气自动化有限公司"),
            "the enterprise by name",
        )?;
        check(options[1].text().await?.contains("经办人"), "as an agent")?;
        select.select_by_index(1).await?;
        for _ in 0..50 {
            let acting = js(&c, "return fetch('/api/me').then(r => r.json())").await;
            if let Ok(me) = acting {
                if me["person"]["acting_for"].is_number() {
                    return page_is_clean(&c).await;
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Err("the session does not act for the enterprise".into())
    })
    .await
}

pub(crate) async fn a_new_resident_records_their_identity(ctx: &Ctx) -> TestResult {
    in_session(ctx, PHONE, |c| async move {
        log_in_by_phone(ctx, &c, "13600000007").await?;
        type_into(&c, "#identity-name", "林小梅").await?;
        type_into(&c, "#identity-number", "110105194912310021").await?;
        click(&c, "[data-test=save-identity]").await?;
        let error = text_of(&c, "#identity-title ~ form .field-error").await?;
        check(
            error == "身份证号码校验位不对，请核对是否输错",
            format!("checked as typed: {error}"),
        )?;
        type_into(&c, "#identity-number", "11010519491231002X").await?;
        click(&c, "[data-test=save-identity]").await?;
        for _ in 0..50 {
            if let Ok(id) = c
                .find(Locator::Css("[data-test=id-number]"))
                .await?
                .text()
                .await
            {
                if id == "1101**********002X" {
                    check(
                        c.find_all(Locator::Css("#identity-title"))
                            .await?
                            .is_empty(),
                        "the form is gone",
                    )?;
                    return page_is_clean(&c).await;
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Err("the masked ID number never showed".into())
    })
    .await
}

pub(crate) async fn wechat_s_browser_logs_in_binds_once_then_logs_in_by_itself(
    ctx: &Ctx,
) -> TestResult {
    // The phone session's user agent is WeChat's browser, so the login page offers WeChat.
    let wechat_button = Locator::Css("a[href^='/api/wechat/oauth/start']");
    in_session(ctx, PHONE, |c| async move {
        open(ctx, &c, "/login").await?;
        let button = c
            .wait()
            .at_most(Duration::from_secs(10))
            .for_element(wechat_button)
            .await?;
        click_element(&c, &button).await?;
        // Through WeChat's (fake) authorize page and back: the first time, to the phone step.
        // (Browsers carry WeChat's `#wechat_redirect` fragment through the redirects.)
        arrive_at(&c, "/login", Some("wechat=1")).await?;
        check(page_heading(&c).await? == "登录", "the phone step")?;
        let note = text_of(&c, "main .demo-hint")
            .await
            .map_err(|e| format!("no binding note: {e}"))?;
        check(note.contains("绑定您的微信"), "says WeChat will be bound")?;
        page_is_clean(&c).await?;
        type_into(&c, "#phone", "13600000008").await?;
        click(&c, "[data-test=send-code]").await?;
        let hint = text_of(&c, "[data-test=demo-code]")
            .await
            .map_err(|e| format!("no demo code: {e}"))?;
        type_into(&c, "#code", &digits_in(&hint)).await?;
        click(&c, "[data-test=login]").await?;
        let phone = text_of(&c, "[data-test=phone]")
            .await
            .map_err(|e| format!("after the phone step: {e}"))?;
        check(phone == "136****0008", "logged in")?;
        click(&c, "[data-test=logout]").await?;
        arrive_at(&c, "/login", None).await?;
        // Next time WeChat alone logs in, straight back to 我的.
        let button = c
            .wait()
            .at_most(Duration::from_secs(10))
            .for_element(wechat_button)
            .await
            .map_err(|e| format!("no WeChat button after logging out: {e}"))?;
        click_element(&c, &button).await?;
        arrive_at(&c, "/me", None).await?;
        let phone = text_of(&c, "[data-test=phone]")
            .await
            .map_err(|e| format!("after the WeChat login: {e}"))?;
        check(phone == "136****0008", "logged in by WeChat")?;
        page_is_clean(&c).await
    })
    .await
}

/// WeChat never leads to a dead end: inside a mini-program the login page offers no WeChat
/// button (the mini-program logs in with a ticket), and a WeChat login that fails lands on an
/// app page in the person's language with a way back, not on a JSON body.
pub(crate) async fn wechat_never_leads_to_a_dead_end(ctx: &Ctx) -> TestResult {
    let mini = Session {
        viewport: Viewport::MiniProgram,
        without_wasm: false,
    };
    in_session(ctx, mini, |c| async move {
        open(ctx, &c, "/login").await?;
        appears(&c, "form[data-methods=loaded]").await?;
        check(
            c.find_all(Locator::Css("[data-test=wechat-login]"))
                .await?
                .is_empty(),
            "no WeChat button in a mini-program's web-view",
        )?;
        page_is_clean(&c).await?;
        snap(&c, "login-mini-program").await?;
        // WeChat sends the browser back with a code that does not work.
        c.goto(&format!(
            "{}/api/wechat/oauth/callback?code=stale&state=stale",
            ctx.server.url
        ))
        .await?;
        arrive_at(&c, "/problem", Some("error=invalid_code_ticket")).await?;
        check(page_heading(&c).await? == "没能完成这一步", "an app page")?;
        text_becomes(&c, "[data-test=problem]", "登录凭证无效").await?;
        page_is_clean(&c).await?;
        snap(&c, "problem-wechat").await?;
        // Where a WeChat login this server is not set up for ends (the server redirects there;
        // this suite's server has an official account, so the page is opened as it would be).
        open(ctx, &c, "/problem?error=unavailable_wechat").await?;
        text_becomes(&c, "[data-test=problem]", "微信登录暂时不能使用").await?;
        appears(&c, "main a[href='/login']").await?;
        page_is_clean(&c).await?;
        click(&c, "main a[href='/login']").await?;
        heading_becomes(&c, "登录").await?;
        Ok(())
    })
    .await
}

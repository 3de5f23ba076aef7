//! Subsidies: an allowance arriving live and paid, an enterprise's consent and 申报, agents
//! within their scope, and an elder's receipt in plain words.

use std::time::Duration;

use fantoccini::Locator;

use crate::browse::*;
use crate::harness::*;
use crate::Ctx;

pub(crate) async fn a_resident_sees_a_new_allowance_arrive_live_then_paid(ctx: &Ctx) -> TestResult {
    in_session(ctx, PHONE, |c| async move {
        log_in_by_phone(ctx, &c, "13800000002").await?;
        open(ctx, &c, "/").await?;
        // Her home may first show while its data loads.
        heading_becomes(&c, "我的补贴").await?;
        appears(&c, "[data-test=recent] [data-test=grant]").await?;
        page_is_clean(&c).await?;
        check(
            c.find_all(Locator::Css("[data-policy=senior-allowance]")).await?.is_empty(),
            "no senior allowance yet",
        )?;
        // The population register corrects her date of birth: she is 80.
        let year: i32 = js(&c, "return new Date().getFullYear()").await?.as_i64().unwrap_or(2026) as i32;
        let (status, body) = crate::harness::post_json(
            &ctx.server.url,
            "/api/feeds/batches",
            &ctx.server.feed_key,
            &serde_json::json!({ "records": [{ "subject": "resident", "id": "DEMO-R2", "attributes": { "birth_date": format!("{}-01-01", year - 81) } }] }),
        );
        check(status == 200, format!("the feed was applied: {status} {body}"))?;
        // The open page shows it without a reload, with a message.
        text_becomes(
            &c,
            "[data-test=recent] [data-test=grant][data-policy=senior-allowance]",
            "¥100.00",
        )
        .await?;
        appears(&c, "[data-test=notifications] [data-kind=granted]").await?;
        appears(&c, "[data-test=unread]").await?;
        // The grant explains why.
        click(&c, "[data-policy=senior-allowance] a").await?;
        appears(&c, "[data-criterion=age-80][data-passed=true]").await?;
        text_becomes(&c, "[data-criterion=age-80]", "公安").await?;
        page_is_clean(&c).await?;
        // The treasury confirms the payment: the page shows it paid.
        text_becomes(&c, "[data-test=timeline]", "支付中").await?;
        ctx.server.treasury.confirm_all();
        text_becomes(&c, "[data-test=grant-status]", "已到账").await?;
        let sends: Vec<u32> = ctx.server.treasury.entries.lock().unwrap().values().map(|e| e.2).collect();
        check(sends.iter().all(|n| *n == 1), format!("each instruction sent once: {sends:?}"))?;
        Ok(())
    })
    .await
}

pub(crate) async fn an_enterprise_accepts_one_subsidy_and_applies_for_another(
    ctx: &Ctx,
) -> TestResult {
    in_session(ctx, DESKTOP, |c| async move {
        log_in_by_phone(ctx, &c, "13800000003").await?;
        act_for_enterprise(&c).await?;
        check(
            open(ctx, &c, "/").await? == "我的补贴",
            "the enterprise's home",
        )?;
        // The gas subsidy waits for one click (意愿确认).
        // ¥0.20 × 12,000 m³. (The page re-renders as payments progress: elements are found
        // afresh, never held.)
        appears(&c, "[data-test=consent][data-policy=gas-subsidy]").await?;
        text_becomes(
            &c,
            "[data-test=consent][data-policy=gas-subsidy]",
            "¥2,400.00",
        )
        .await?;
        page_is_clean(&c).await?;
        click(
            &c,
            "[data-test=consent][data-policy=gas-subsidy] button.primary",
        )
        .await?;
        appears(&c, "[data-test=recent] [data-policy=gas-subsidy]").await?;
        // The R&D grant is applied for and decided at once (秒报秒批).
        click(&c, "[data-test=apply][data-policy=hitech-rd] button").await?;
        // 10% of the R&D expense.
        text_becomes(
            &c,
            "[data-test=recent] [data-policy=hitech-rd]",
            "¥130,000.00",
        )
        .await?;
        ctx.server.treasury.confirm_all();
        for policy in ["gas-subsidy", "hitech-rd"] {
            text_becomes(
                &c,
                &format!("[data-test=recent] [data-policy={policy}]"),
                "已到账",
            )
            .await?;
        }
        // The R&D grant's receipt: the 3% is of the firm's revenue of ¥26,000,000, worked out
        // by the evaluation that decided (not ¥78,000,000).
        click(&c, "[data-test=recent] [data-policy=hitech-rd] a").await?;
        appears(&c, "[data-criterion=rd-ratio][data-passed=true]").await?;
        text_becomes(
            &c,
            "[data-criterion=rd-ratio] [data-test=rule]",
            "要求：上一年度研发费用 ≥ ¥780,000.00",
        )
        .await?;
        check(
            !text_of(&c, "main").await?.contains("78,000,000"),
            "no requirement off by a factor of 100",
        )?;
        check(
            c.find_all(Locator::Css("[data-passed=false]"))
                .await?
                .is_empty(),
            "no ✗ on a paid grant",
        )?;
        page_is_clean(&c).await?;
        snap(&c, "receipt-hitech-rd").await?;
        // Why it qualified, on the policy's page.
        open(ctx, &c, "/policies/hitech-rd").await?;
        appears(
            &c,
            "[data-test=check] [data-test=verdict][data-eligible=true]",
        )
        .await?;
        page_is_clean(&c).await?;
        snap(&c, "policy-check-hitech-rd").await?;
        // An industry rule reads as the industry's name, not as a range of codes.
        open(ctx, &c, "/policies/gas-subsidy").await?;
        appears(&c, "[data-test=check] [data-test=verdict]").await?;
        let check_text = text_of(&c, "[data-test=check]").await?;
        crate::browse::check(
            check_text.contains("（制造业）") && !check_text.contains("13 至 43"),
            format!("the industry by name: {check_text}"),
        )?;
        snap(&c, "policy-check-gas-subsidy").await
    })
    .await
}

pub(crate) async fn an_agent_acts_within_scope_and_is_refused_outside_it_and_after_revocation(
    ctx: &Ctx,
) -> TestResult {
    in_session(ctx, PHONE, |agent| async move {
        log_in_by_phone(ctx, &agent, "13800000004").await?;
        act_for_enterprise(&agent).await?;
        // Within scope: the manufacturer's subsidies.
        check(
            open(ctx, &agent, "/").await? == "我的补贴",
            "the enterprise's home",
        )?;
        appears(&agent, "[data-test=received]").await?;
        page_is_clean(&agent).await?;
        // Outside it: the agent may not handle the manufacturer's licences.
        open(ctx, &agent, "/licences").await?;
        text_becomes(&agent, "main [role=alert]", "授权").await?;
        // The representative revokes the agent; the agent is refused from then on.
        let rep = DESKTOP.open(&ctx.driver).await;
        let revoked = async {
            log_in_by_phone(ctx, &rep, "13800000003").await?;
            appears(&rep, "[data-test=agents] li").await?;
            // The agent's row, found by its masked phone (afresh if the list re-renders).
            let mut done = false;
            for _ in 0..20 {
                let mut stale = false;
                for row in rep.find_all(Locator::Css("[data-test=agents] li")).await? {
                    match row.text().await {
                        Ok(text) if text.contains("138****0004") => {
                            match row.find(Locator::Css("button")).await {
                                Ok(button) => match click_element(&rep, &button).await {
                                    Ok(()) => done = true,
                                    Err(e) if e.to_string().contains("stale element") => {
                                        stale = true
                                    }
                                    Err(e) => return Err(e),
                                },
                                Err(_) => stale = true,
                            }
                            break;
                        }
                        Ok(_) => {}
                        Err(_) => {
                            stale = true;
                            break;
                        }
                    }
                }
                if done || !stale {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            check(done, "the demo agent is listed")?;
            for _ in 0..50 {
                for row in rep.find_all(Locator::Css("[data-test=agents] li")).await? {
                    let text = row.text().await.unwrap_or_default();
                    if text.contains("138****0004") && text.contains("已撤销") {
                        return Ok(());
                    }
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err::<(), Box<dyn std::error::Error>>("the agent was not revoked".into())
        }
        .await;
        let _ = rep.close().await;
        revoked?;
        open(ctx, &agent, "/").await?;
        text_becomes(&agent, "main [role=alert]", "授权").await?;
        Ok(())
    })
    .await
}

/// 陈伯's senior allowance receipt: "户籍状态正常" shown by the alternative that held (no red ✗
/// of the other), the district by its name, and no dangling comma after a source.
pub(crate) async fn an_elder_s_receipt_reads_plainly_and_shows_no_failed_branch(
    ctx: &Ctx,
) -> TestResult {
    in_session(ctx, PHONE, |c| async move {
        log_in_by_phone(ctx, &c, "13800000001").await?;
        check(open(ctx, &c, "/").await? == "我的补贴", "his home")?;
        appears(&c, "[data-test=recent] [data-policy=senior-allowance] a").await?;
        click(&c, "[data-test=recent] [data-policy=senior-allowance] a").await?;
        appears(&c, "[data-criterion=alive][data-passed=true]").await?;
        text_becomes(&c, "[data-criterion=alive]", "户籍状态正常").await?;
        let branches = c
            .find_all(Locator::Css("[data-criterion=alive] [data-test=criterion]"))
            .await?;
        check(
            branches.len() == 1,
            format!("one alternative shown, not {}", branches.len()),
        )?;
        check(
            c.find_all(Locator::Css("[data-passed=false]"))
                .await?
                .is_empty(),
            "no ✗ on a grant that was made",
        )?;
        let text = text_of(&c, "[data-test=criteria]").await?;
        check(
            text.contains("禅城区"),
            format!("the district by name: {text}"),
        )?;
        check(!text.contains("440604"), format!("no raw code: {text}"))?;
        check(
            !text.contains("死亡日期晚于"),
            format!("no failed branch: {text}"),
        )?;
        text_becomes(
            &c,
            "[data-criterion=age-80] [data-test=rule]",
            "要求：年龄 ≥ 80 岁，现为",
        )
        .await?;
        for hint in c
            .find_all(Locator::Css("[data-test=criteria] .hint"))
            .await?
        {
            let t = hint.text().await?;
            check(
                !t.trim_end().ends_with('，') && !t.trim_end().ends_with(','),
                format!("a dangling comma: {t:?}"),
            )?;
        }
        page_is_clean(&c).await?;
        snap(&c, "receipt-senior-allowance").await
    })
    .await
}

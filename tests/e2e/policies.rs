//! Policies: the library searched in both languages, and the calculator in the browser alone.

use std::time::Duration;

use fantoccini::{Client, Locator};

use crate::browse::*;
use crate::harness::*;
use crate::Ctx;

/// Waits until the library shows `n` policies.
pub(crate) async fn policies_shown(c: &Client, n: usize) -> TestResult {
    for _ in 0..50 {
        if c.find_all(Locator::Css("[data-test=policies] li"))
            .await?
            .len()
            == n
        {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err(format!("the library never showed {n} policies").into())
}

pub(crate) async fn the_policy_library_searches_in_both_languages(ctx: &Ctx) -> TestResult {
    in_session(ctx, PHONE, |c| async move {
        check(open(ctx, &c, "/policies").await? == "政策库", "the library")?;
        // Every policy file of the repository was published at the first start.
        let published = std::fs::read_dir("policies")?
            .filter(|e| {
                e.as_ref()
                    .is_ok_and(|e| e.path().extension().is_some_and(|x| x == "toml"))
            })
            .count();
        policies_shown(&c, published).await?;
        page_is_clean(&c).await?;
        type_into(&c, "#policy-search", "高龄老人").await?;
        policies_shown(&c, 1).await?;
        c.find(Locator::Css("#filter-audience option[value=enterprise]"))
            .await?
            .click()
            .await?;
        policies_shown(&c, 0).await?;
        check(
            text_of(&c, ".empty-state").await?.contains("没有找到"),
            "says nothing matched",
        )?;
        c.find(Locator::Css("#filter-audience option[value='']"))
            .await?
            .click()
            .await?;
        policies_shown(&c, 1).await?;
        let link = c.find(Locator::Css("[data-test=policies] li a")).await?;
        click_element(&c, &link).await?;
        heading_becomes(&c, "高龄老人津贴").await?;
        check(
            c.current_url().await?.path() == "/policies/senior-allowance",
            "a link of its own",
        )?;
        let amount = text_of(&c, "[data-test=amount]").await?;
        check(
            amount.contains("¥100.00") && amount.contains("¥600.00"),
            format!("the tiers: {amount}"),
        )?;
        check(
            c.find_all(Locator::Css("[data-test=criteria] li"))
                .await?
                .len()
                == 3,
            "three conditions",
        )?;
        page_is_clean(&c).await?;
        click(&c, "[data-test=lang-switch]").await?;
        heading_becomes(&c, "Senior citizens' allowance").await?;
        check(
            text_of(&c, "[data-test=amount]")
                .await?
                .contains("per month"),
            "the amount in English",
        )?;
        page_is_clean(&c).await
    })
    .await
}

pub(crate) async fn the_policy_calculator_works_in_the_browser_alone(ctx: &Ctx) -> TestResult {
    in_session(ctx, PHONE, |c| async move {
        check(open(ctx, &c, "/policies").await? == "政策库", "the library")?;
        click(&c, "[data-test=self-check-link]").await?;
        heading_becomes(&c, "政策计算器").await?;
        check(
            text_of(&c, "[data-test=private]").await?.contains("不会发送到服务器"),
            "the page says the answers stay here",
        )?;
        // A resident of 91 with hukou here.
        let birth = c.find(Locator::Css("#q-birth")).await?;
        c.execute(
            "arguments[0].value = '1935-01-01'; arguments[0].dispatchEvent(new Event('input', { bubbles: true }));",
            vec![serde_json::to_value(&birth)?],
        )
        .await?;
        let senior = appears(&c, "[data-test=self-check-results] [data-policy=senior-allowance][data-eligible=true]").await?;
        check(senior.text().await?.contains("¥300.00"), "the 90–99 tier")?;
        check(
            c.find_all(Locator::Css("[data-policy=disability-nursing][data-eligible=true]")).await?.is_empty(),
            "no disability, no nursing subsidy",
        )?;
        // Nothing was sent: the only API calls are the session check every page makes and the
        // published policies' files (a GET that carries nothing of the answers).
        let calls = js(
            &c,
            "return performance.getEntriesByType('resource').map(e => e.name).filter(n => n.includes('/api/'))",
        )
        .await?;
        let calls: Vec<String> = serde_json::from_value(calls)?;
        check(
            calls
                .iter()
                .all(|u| u.ends_with("/api/auth/session") || u.ends_with("/api/policy-set")),
            format!("no answers sent: {calls:?}"),
        )?;
        page_is_clean(&c).await
    })
    .await
}

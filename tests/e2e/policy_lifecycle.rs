//! The policy lifecycle in the browser, on a demo server of its own (its clock moves): 王政策
//! drafts a raise of the senior allowance for 90–99 from ¥300 to ¥350, sees the sandbox and the
//! comparison, submits it; 赵审定 approves it for the 1st of next month. On that date (the server
//! restarts with its clock there) 周奶奶's grant uses the new version and her receipt names it.
//! Then the allowance is retired and she is told.

use fantoccini::{Client, Locator};

use crate::browse::*;
use crate::harness::{page_heading, Server, TestResult};
use crate::Ctx;

/// Today in Asia/Shanghai, and the days until the 1st of next month.
fn days_to_next_month() -> (api::Date, i64) {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let today = api::Date::from_days_since_epoch((secs + 8 * 3600).div_euclid(86_400));
    let (y, m) = if today.month() == 12 {
        (today.year() + 1, 1)
    } else {
        (today.year(), today.month() + 1)
    };
    let first = api::Date::new(y, m, 1).unwrap();
    (first, first.days_since_epoch() - today.days_since_epoch())
}

/// The policy file as it stands in the editor.
async fn editor_text(c: &Client) -> Result<String, Box<dyn std::error::Error>> {
    Ok(c.find(Locator::Css("#policy-source"))
        .await?
        .prop("value")
        .await?
        .unwrap_or_default())
}

async fn log_out(c: &Client, base: &str) -> TestResult {
    open_at(base, c, "/me").await?;
    click(c, "[data-test=logout]").await?;
    c.wait()
        .at_most(std::time::Duration::from_secs(10))
        .for_url(&format!("{base}/login").parse()?)
        .await?;
    Ok(())
}

pub(crate) async fn a_raise_is_drafted_simulated_approved_and_paid_from_its_date(
    ctx: &Ctx,
) -> TestResult {
    let mut server = Server::start_demo("lifecycle");
    let base = server.url.clone();
    let (first, days) = days_to_next_month();
    in_session(ctx, PHONE, |c| async move {
        // 王政策 drafts the raise.
        log_in_staff_at(&base, &c, "policyadmin").await?;
        click(&c, "[data-test=open-policy-admin]").await?;
        heading_becomes(&c, "政策管理").await?;
        page_is_clean(&c).await?;
        snap(&c, "policy-admin-list").await?;
        click(&c, "[data-policy=senior-allowance] .row-main > a").await?;
        heading_becomes(&c, "高龄老人津贴").await?;
        click(&c, "[data-test=revise]").await?;
        appears(&c, "#policy-source").await?;
        let source = editor_text(&c).await?;
        check(source.contains("version = 2"), "the draft is version 2")?;
        // A slip is caught as it is typed, at its line.
        let broken = source.replace("kind = \"tiered\"", "kind = \"tierd\"");
        set_value(&c, "#policy-source", &broken).await?;
        let problem = text_of(&c, "[data-test=source-check]").await?;
        check(
            problem.contains("行") && problem.contains("不认识的金额方式"),
            format!("the problem names its line, in Chinese: {problem}"),
        )?;
        // Names complete as they are typed: "age(birt" offers birth_date, which a tap fills in.
        let partial = source.replacen("age(birth_date)", "age(birt)", 1);
        let type_partial = || async {
            let field = c.find(Locator::Css("#policy-source")).await?;
            c.execute(
                "const el = arguments[0]; el.value = arguments[1]; \
                 const at = el.value.indexOf('age(birt)') + 'age(birt'.length; \
                 el.setSelectionRange(at, at); el.dispatchEvent(new Event('input', { bubbles: true }));",
                vec![serde_json::to_value(&field)?, serde_json::Value::from(partial.clone())],
            )
            .await?;
            appears(&c, "[data-test=completion]").await?;
            Ok(())
        };
        type_partial().await?;
        let offered = text_of(&c, "[data-test=completions]").await?;
        check(
            offered.contains("birth_date") && offered.contains("出生日期"),
            format!("birth_date is offered with its meaning: {offered}"),
        )?;
        snap_after(&c, "policy-editor-completion", type_partial).await?;
        // (Screenshots reload the page.)
        type_partial().await?;
        click(&c, "[data-test=completion]").await?;
        let completed = editor_text(&c).await?;
        check(completed == source, "the tap fills in the whole name")?;
        // The raise, and the summary that states it.
        let raised = source
            .replace("{ from = 90, fen = 30000 }", "{ from = 90, fen = 35000 }")
            .replace("90–99 岁每月 300 元", "90–99 岁每月 350 元")
            .replace("¥300 at 90–99", "¥350 at 90–99");
        set_value(&c, "#policy-source", &raised).await?;
        appears(&c, "[data-test=source-ok]").await?;
        // The basic facts are a form that writes into the file: a budget of ¥60 million a year.
        let budget = c.find(Locator::Css("#basics-budget")).await?;
        c.execute(
            "arguments[0].value = '60,000,000'; arguments[0].dispatchEvent(new Event('change', { bubbles: true }));",
            vec![serde_json::to_value(&budget)?],
        )
        .await?;
        let with_budget = editor_text(&c).await?;
        check(
            with_budget.contains("annual_budget_fen = 6000000000"),
            "the budget is written into the file in fen",
        )?;
        appears(&c, "[data-test=source-ok]").await?;
        click(&c, "[data-test=save-draft]").await?;
        appears(&c, "[data-test=saved]").await?;
        // The comparison shows the one changed line on each side.
        let diff = text_of(&c, "[data-test=diff]").await?;
        check(
            diff.contains("35000") && diff.contains("30000"),
            format!("the diff: {diff}"),
        )?;
        // The sandbox: two residents aged 90–99 in two streets, ¥1,200 more a year.
        click(&c, "[data-test=run-impact]").await?;
        appears(&c, "[data-test=impact-summary]").await?;
        text_becomes(&c, "[data-test=impact-changed]", "2").await?;
        let extra = text_of(&c, "[data-test=impact-difference]").await?;
        check(
            extra.contains("1,200.00"),
            format!("extra cost a year: {extra}"),
        )?;
        let streets = text_of(&c, "[data-test=breakdown-street]").await?;
        check(
            streets.contains("石湾镇街道") && streets.contains("张槎街道"),
            format!("by street: {streets}"),
        )?;
        page_is_clean(&c).await?;
        snap_after(&c, "policy-draft", || async {
            click(&c, "[data-test=run-impact]").await?;
            appears(&c, "[data-test=impact-summary]").await?;
            Ok(())
        })
        .await?;
        click(&c, "[data-test=submit-draft]").await?;
        text_becomes(&c, "[data-test=policy-stage]", "待审批").await?;
        log_out(&c, &base).await?;

        // 赵审定 approves it for the 1st of next month.
        log_in_staff_at(&base, &c, "approver").await?;
        open_at(&base, &c, "/staff/policies/senior-allowance/versions/2").await?;
        appears(&c, "[data-test=decision]").await?;
        set_value(&c, "#approve-from", &first.to_string()).await?;
        page_is_clean(&c).await?;
        snap(&c, "policy-decision").await?;
        click(&c, "[data-test=approve]").await?;
        text_becomes(&c, "[data-test=policy-stage]", "已批准，待生效").await?;
        check(
            text_of(&c, "[data-test=approved-by]")
                .await?
                .contains("赵审定"),
            "the approver is named",
        )?;
        Ok(())
    })
    .await?;

    // The 1st of next month.
    server.restart(days);
    let base = server.url.clone();
    in_session(ctx, PHONE, |c| async move {
        log_in_by_phone_at(&base, &c, "13800000006").await?;
        open_at(&base, &c, "/").await?;
        // Her grant of the new month: ¥350 under version 2 (the server matches everyone when
        // the version takes effect; it may take a moment after its start).
        let mut found = None;
        for _ in 0..60 {
            c.refresh().await?;
            page_heading(&c).await?;
            for row in c
                .find_all(Locator::Css(
                    "[data-test=grant][data-policy=senior-allowance]",
                ))
                .await?
            {
                if row.text().await.unwrap_or_default().contains("350.00") {
                    found = row.find(Locator::Css("a")).await?.attr("href").await?;
                }
            }
            if found.is_some() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        }
        let href = found.ok_or("no ¥350 grant on her home")?;
        open_at(&base, &c, &href).await?;
        let receipt = text_of(&c, "main").await?;
        check(
            receipt.contains("政策版本 2"),
            format!("the receipt names version 2: {receipt}"),
        )?;
        page_is_clean(&c).await?;
        snap(&c, "policy-new-version-receipt").await?;
        log_out(&c, &base).await?;

        // The allowance is retired at the end of the month: she is told, and the library says so.
        // First the version in force, with its evaluation so far.
        log_in_staff_at(&base, &c, "approver").await?;
        open_at(&base, &c, "/staff/policies/senior-allowance/versions/2").await?;
        appears(&c, "[data-test=evaluation-figures]").await?;
        page_is_clean(&c).await?;
        snap(&c, "policy-in-force-evaluation").await?;
        click(&c, "[data-test=retire-panel] summary").await?;
        // Its last day: today on the server's clock (the device's clock is a month behind).
        set_value(&c, "#retire-last-day", &first.to_string()).await?;
        type_into(
            &c,
            "#retire-notice",
            "并入新的长者津贴制度，已领取的不受影响",
        )
        .await?;
        click(&c, "[data-test=retire]").await?;
        appears(&c, "[data-test=retirement]").await?;
        log_out(&c, &base).await?;
        open_at(&base, &c, "/policies/senior-allowance").await?;
        let notice = text_of(&c, "[data-test=retired-notice]").await?;
        check(
            notice.contains("并入新的长者津贴制度"),
            format!("the library: {notice}"),
        )?;
        page_is_clean(&c).await?;
        snap(&c, "policy-retired").await?;
        // A policy that names the article of each condition says so beside it.
        open_at(&base, &c, "/policies/unemployment-living").await?;
        let criteria = text_of(&c, "[data-test=criteria]").await?;
        check(
            criteria.contains("依据第三条"),
            format!("the articles: {criteria}"),
        )?;
        page_is_clean(&c).await?;
        snap(&c, "policy-with-articles").await?;
        log_in_by_phone_at(&base, &c, "13800000006").await?;
        open_at(&base, &c, "/").await?;
        for _ in 0..60 {
            let page = text_of(&c, "main").await?;
            if page.contains("已停止执行") {
                return Ok(());
            }
            tokio::time::sleep(std::time::Duration::from_millis(500)).await;
            c.refresh().await?;
            page_heading(&c).await?;
        }
        Err("周奶奶 was not told of the retirement".into())
    })
    .await
}

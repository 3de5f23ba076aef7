//! 线上申报 in the browser: 黄总 applies for the technology-upgrade grant for his company on a
//! phone, with the policy's answers and two documents; the department's reviewer (钱审核, on a
//! desktop) returns it for the invoices; he replaces them and sends it again, his open page
//! following each step; the reviewer approves it and the treasury pays it.

use crate::browse::*;
use crate::harness::*;
use crate::licences::{answer, sample_file, upload};
use crate::Ctx;

const PDF: &[u8] = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n";
const PNG: &[u8] = &[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13];

pub(crate) async fn an_application_is_returned_once_approved_and_paid(ctx: &Ctx) -> TestResult {
    let pdf = sample_file("filing.pdf", PDF)?;
    let png = sample_file("invoices.png", PNG)?;
    in_session(ctx, PHONE, |owner| async move {
        log_in_by_phone(ctx, &owner, "13800000003").await?;
        act_for_enterprise(&owner).await?;
        // The policy page offers the online application.
        open(ctx, &owner, "/policies/tech-renovation").await?;
        heading_becomes(&owner, "工业企业技术改造事后奖补").await?;
        appears(&owner, "[data-test=start-claim]").await?;
        page_is_clean(&owner).await?;
        snap(&owner, "claim-policy-page").await?;
        click(&owner, "[data-test=start-claim]").await?;
        appears(&owner, "[data-test=claim-questions]").await?;
        heading_becomes(&owner, "工业企业技术改造事后奖补").await?;
        text_becomes(&owner, "[data-test=claim-amount]", "¥100,000.00").await?;
        let url = owner.current_url().await?;
        let id = url.path().trim_start_matches("/claims/").to_owned();
        page_is_clean(&owner).await?;
        snap(&owner, "claim-draft").await?;

        // Sent too early: the page lists what is missing, each beside its field too.
        click(&owner, "[data-test=claim-submit]").await?;
        text_becomes(
            &owner,
            "[data-test=claim-missing]",
            "技术改造项目名称：请填写此项",
        )
        .await?;
        text_becomes(
            &owner,
            "[data-test=claim-missing]",
            "设备购置发票：还没有上传",
        )
        .await?;
        text_becomes(&owner, "#field-project-name-error", "请填写此项").await?;
        snap_after(&owner, "claim-missing", || async {
            click(&owner, "[data-test=claim-submit]").await?;
            appears(&owner, "[data-test=claim-missing]").await?;
            Ok(())
        })
        .await?;
        answer(&owner, "project.name", "注塑车间自动化改造").await?;
        answer(&owner, "project.investment", "三百万").await?;
        // Leaving the field saves it, and a wrong answer is explained beside it.
        click(&owner, "#field-project-name").await?;
        text_becomes(&owner, "#field-project-investment-error", "正整数").await?;
        set_value(&owner, "#field-project-investment", "3200000").await?;
        set_value(&owner, "#field-project-completed_on", "2026-10-31").await?;
        upload(&owner, "project_filing", &pdf).await?;
        upload(&owner, "equipment_invoices", &png).await?;
        page_is_clean(&owner).await?;
        click(&owner, "[data-test=claim-submit]").await?;
        appears(&owner, "[data-test=claim-status][data-status=submitted]").await?;
        text_becomes(&owner, "[data-test=claim-sent]", "SB-").await?;
        text_becomes(&owner, "[data-test=claim-sent]", "禅城区经济和科技促进局").await?;
        page_is_clean(&owner).await?;
        snap(&owner, "claim-sent").await?;

        // The reviewer, on a desktop: the queue, the application first, then the decision.
        let reviewer = DESKTOP.open(&ctx.driver).await;
        let review = async {
            log_in_staff(ctx, &reviewer, "claimreviewer").await?;
            click(&reviewer, "[data-test=open-claim-queue]").await?;
            heading_becomes(&reviewer, "补贴申报审核").await?;
            appears(
                &reviewer,
                &format!("[data-test=waiting] [data-claim='{id}']"),
            )
            .await?;
            text_becomes(
                &reviewer,
                &format!("[data-claim='{id}']"),
                "剩余 10 个工作日",
            )
            .await?;
            page_is_clean(&reviewer).await?;
            snap(&reviewer, "claim-queue").await?;
            click(&reviewer, &format!("[data-claim='{id}'] a")).await?;
            appears(&reviewer, "[data-test=claim-decision]").await?;
            text_becomes(&reviewer, "[data-test=claim-check]", "符合条件").await?;
            text_becomes(&reviewer, "[data-test=claim-answers]", "注塑车间自动化改造").await?;
            page_is_clean(&reviewer).await?;
            snap(&reviewer, "claim-review").await?;
            // Returned for the invoices.
            click(&reviewer, "[data-test=return-form] summary").await?;
            type_into(
                &reviewer,
                "#return-reason",
                "发票金额看不清，请重新上传清晰的发票",
            )
            .await?;
            click(&reviewer, "#return-equipment_invoices").await?;
            click(&reviewer, "[data-action=return]").await?;
            appears(&reviewer, "[data-test=claim-status][data-status=returned]").await?;
            // 黄总's open page shows it without a reload, the reason first.
            appears(&owner, "[data-test=claim-status][data-status=returned]").await?;
            text_becomes(&owner, "[data-test=claim-reason]", "发票金额看不清").await?;
            appears(
                &owner,
                "[data-material=equipment_invoices] [data-test=returned]",
            )
            .await?;
            page_is_clean(&owner).await?;
            snap(&owner, "claim-returned").await?;
            upload(&owner, "equipment_invoices", &png).await?;
            text_becomes(&owner, "[data-test=claim-submit]", "补正后重新提交").await?;
            click(&owner, "[data-test=claim-submit]").await?;
            appears(&owner, "[data-test=claim-status][data-status=submitted]").await?;
            // Approved, after saying what it pays and to whom.
            open(ctx, &reviewer, &format!("/staff/claims/{id}")).await?;
            appears(&reviewer, "[data-action=approve]").await?;
            click(&reviewer, "[data-action=approve]").await?;
            text_becomes(&reviewer, "[data-test=claim-decision]", "¥100,000.00").await?;
            click(&reviewer, "[data-test=approve-yes]").await?;
            appears(&reviewer, "[data-test=claim-status][data-status=approved]").await?;
            Ok::<(), Box<dyn std::error::Error>>(())
        }
        .await;
        let _ = reviewer.close().await;
        review?;

        // 黄总 sees it approved, then paid.
        appears(&owner, "[data-test=claim-status][data-status=approved]").await?;
        appears(
            &owner,
            "[data-test=claim-grant] [data-policy=tech-renovation]",
        )
        .await?;
        ctx.server.treasury.confirm_all();
        appears(&owner, "[data-test=claim-grant] [data-status=paid]").await?;
        text_becomes(&owner, "[data-test=timeline]", "退回补正").await?;
        page_is_clean(&owner).await?;
        snap(&owner, "claim-paid").await?;
        // 我的 lists the application, with where it stands.
        open(ctx, &owner, "/me").await?;
        appears(
            &owner,
            "[data-test=my-claim] [data-test=claim-status][data-status=approved]",
        )
        .await?;
        let mine = text_of(&owner, "[data-test=my-claims]").await?;
        check(
            mine.contains("技术改造") && mine.contains("已批准"),
            format!("my applications: {mine}"),
        )?;
        snap(&owner, "me-claims").await?;
        Ok(())
    })
    .await
}

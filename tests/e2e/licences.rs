//! 一照通: a pharmacy's licence in one form, verified by anyone; the permit catalogue edited;
//! leaving a form mid-save.

use std::time::Duration;

use fantoccini::{Client, Locator};

use crate::browse::*;
use crate::harness::*;
use crate::Ctx;

/// A small file of the given type, written for the browser to upload.
pub(crate) fn sample_file(name: &str, bytes: &[u8]) -> Result<String, Box<dyn std::error::Error>> {
    let dir = crate::harness::run_dir().join("uploads");
    std::fs::create_dir_all(&dir)?;
    let path = dir.join(name);
    std::fs::write(&path, bytes)?;
    Ok(path.to_string_lossy().into_owned())
}

/// Uploads the file at `path` as material `code` of the open page, and waits until the page
/// shows it uploaded.
pub(crate) async fn upload(c: &Client, code: &str, path: &str) -> TestResult {
    c.find(Locator::Css(&format!("#upload-{code}")))
        .await?
        .send_keys(path)
        .await?;
    appears(c, &format!("[data-material={code}][data-uploaded=true]")).await?;
    Ok(())
}

/// Fills the text field `key` of the open section.
pub(crate) async fn answer(c: &Client, key: &str, value: &str) -> TestResult {
    type_into(c, &format!("#field-{}", key.replace('.', "-")), value).await
}

/// Picks `value` of the choice `key` of the open section.
pub(crate) async fn choose(c: &Client, key: &str, value: &str) -> TestResult {
    click(c, &format!("[data-field='{key}'] input[value='{value}']")).await
}

/// Opens a section from the task list, fills it with `fill`, saves, and waits for the task list.
pub(crate) async fn section(ctx: &Ctx, c: &Client, id: &str, key: &str) -> TestResult {
    open(ctx, c, &format!("/licences/{id}/{key}")).await?;
    appears(c, "[data-test=section-form]").await?;
    Ok(())
}

pub(crate) async fn save_section(c: &Client) -> TestResult {
    click(c, "[data-test=save-section]").await?;
    appears(c, "[data-test=tasks]").await?;
    Ok(())
}

pub(crate) async fn a_pharmacy_gets_its_licence_in_one_form_and_anyone_can_verify_it(
    ctx: &Ctx,
) -> TestResult {
    let pdf = sample_file(
        "scan.pdf",
        b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n",
    )?;
    let png = sample_file(
        "certificate.png",
        &[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13],
    )?;
    in_session(ctx, DESKTOP, |owner| async move {
        log_in_by_phone(ctx, &owner, "13800000005").await?;
        // 办事 → 一照通 → a pharmacy, with the drug retail permit only.
        open(ctx, &owner, "/services").await?;
        click(&owner, "[data-test=licence-service]").await?;
        heading_becomes(&owner, "我的开办申请").await?;
        page_is_clean(&owner).await?;
        click(&owner, "a[href='/licences/new']").await?;
        appears(&owner, "[data-test=business-types] input[value=pharmacy]").await?;
        click(&owner, "[data-test=business-types] input[value=pharmacy]").await?;
        let device = owner.find(Locator::Css("[data-test=permits] input[value=medical_device_2]")).await?;
        check(device.prop("checked").await?.as_deref() == Some("true"), "a pharmacy's usual permits are ticked")?;
        click_element(&owner, &device).await?;
        page_is_clean(&owner).await?;
        click(&owner, "[data-test=start]").await?;
        let tasks = appears(&owner, "[data-test=tasks]").await?;
        check(tasks.text().await?.contains("药品经营许可证（零售）"), "the drug permit's own questions")?;
        check(!tasks.text().await?.contains("医疗器械"), "no device filing")?;
        let url = owner.current_url().await?;
        let id = url.path().trim_start_matches("/licences/").to_owned();
        page_is_clean(&owner).await?;

        // The applicant: the phone is already there.
        section(ctx, &owner, &id, "applicant").await?;
        check(owner.find(Locator::Css("#field-applicant-phone")).await?.prop("value").await?.as_deref() == Some("13800000005"), "the phone is filled in")?;
        answer(&owner, "applicant.name", "梁志强").await?;
        answer(&owner, "applicant.id_number", "440604198209155270").await?;
        page_is_clean(&owner).await?;
        save_section(&owner).await?;
        // The business: a wrong address is explained beside the field, and kept.
        section(ctx, &owner, &id, "business").await?;
        answer(&owner, "business.name", "佛山市禅城区康宁大药房（季华店）").await?;
        answer(&owner, "business.address", "广州市天河区体育西路 1 号").await?;
        answer(&owner, "business.scope", "药品零售").await?;
        text_becomes(&owner, "#field-business-address-error", "禅城区").await?;
        page_is_clean(&owner).await?;
        answer(&owner, "business.address", "佛山市禅城区祖庙街道季华五路 21 号首层").await?;
        save_section(&owner).await?;
        section(ctx, &owner, &id, "business_licence").await?;
        choose(&owner, "business_licence.form", "sole_trader").await?;
        answer(&owner, "business_licence.capital", "30").await?;
        save_section(&owner).await?;
        section(ctx, &owner, &id, "drug_retail").await?;
        answer(&owner, "drug_retail.pharmacist", "何敏").await?;
        answer(&owner, "drug_retail.pharmacist_number", "ZY44060120230017").await?;
        answer(&owner, "drug_retail.area", "85").await?;
        choose(&owner, "drug_retail.category", "all").await?;
        save_section(&owner).await?;
        section(ctx, &owner, &id, "commitment").await?;
        choose(&owner, "commitment.choice", "commit").await?;
        save_section(&owner).await?;
        // Six documents, shared ones once.
        open(ctx, &owner, &format!("/licences/{id}/materials")).await?;
        appears(&owner, "[data-test=materials] li").await?;
        let items = owner.find_all(Locator::Css("[data-test=materials] li")).await?;
        check(items.len() == 6, format!("six documents, not {}", items.len()))?;
        page_is_clean(&owner).await?;
        for item in items {
            let code = item.attr("data-material").await?.unwrap_or_default();
            upload(&owner, &code, &pdf).await?;
        }
        // The application in the owner's list.
        open(ctx, &owner, "/licences").await?;
        appears(&owner, "[data-test=applications] li").await?;
        snap(&owner, "licences-list").await?;
        // Check your answers, then send.
        open(ctx, &owner, &format!("/licences/{id}/check")).await?;
        appears(&owner, "[data-section=business]").await?;
        appears(&owner, "[data-test=submit]:not([disabled])").await?;
        page_is_clean(&owner).await?;
        click(&owner, "[data-test=submit]").await?;
        appears(&owner, "[data-test=stage][data-stage=submitted]").await?;
        page_is_clean(&owner).await?;

        // The reviewer returns the pharmacist's certificate; the owner's open page shows it.
        let reviewer = DESKTOP.open(&ctx.driver).await;
        let review = async {
            log_in_staff(ctx, &reviewer, "reviewer").await?;
            open(ctx, &reviewer, "/staff/licences").await?;
            appears(&reviewer, &format!("[data-test=queue] a[href='/staff/licences/{id}']")).await?;
            page_is_clean(&reviewer).await?;
            snap(&reviewer, "workbench-queue").await?;
            open(ctx, &reviewer, &format!("/staff/licences/{id}")).await?;
            appears(&reviewer, "[data-test=review-actions]").await?;
            page_is_clean(&reviewer).await?;
            type_into(&reviewer, "#reason-pharmacist_certificate", "注册证已过有效期，请上传有效的执业药师注册证").await?;
            appears(&reviewer, "[data-action=return]").await?;
            click(&reviewer, "[data-action=return]").await?;
            appears(&owner, "[data-test=stage][data-stage=returned]").await?;
            text_becomes(&owner, "[data-test=todo]", "有效期").await?;
            page_is_clean(&owner).await?;
            // The owner replaces that one document and sends it again.
            open(ctx, &owner, &format!("/licences/{id}/materials")).await?;
            appears(&owner, "[data-material=pharmacist_certificate] [data-test=returned]").await?;
            upload(&owner, "pharmacist_certificate", &png).await?;
            text_becomes(&owner, "[data-material=pharmacist_certificate] [data-test=upload-status]", "certificate.png").await?;
            open(ctx, &owner, &format!("/licences/{id}/check")).await?;
            appears(&owner, "[data-test=submit]").await?;
            text_becomes(&owner, "[data-test=submit]", "提交补正").await?;
            click(&owner, "[data-test=submit]").await?;
            appears(&owner, "[data-test=stage][data-stage=submitted]").await?;
            // Accepted, commitment, approved: the owner's page follows each step by itself.
            for (action, stage) in [("accept", "accepted"), ("use_commitment", "commitment"), ("approve", "issued")] {
                open(ctx, &reviewer, &format!("/staff/licences/{id}")).await?;
                appears(&reviewer, &format!("[data-action={action}]")).await?;
                click(&reviewer, &format!("[data-action={action}]")).await?;
                appears(&owner, &format!("[data-test=stage][data-stage={stage}]")).await?;
            }
            page_is_clean(&owner).await?;
            Ok::<(), Box<dyn std::error::Error>>(())
        }
        .await;
        if let Err(e) = review {
            let _ = reviewer.close().await;
            return Err(e);
        }

        // The licence, its permits and its QR code.
        appears(&owner, "[data-test=view-licence]").await?;
        click(&owner, "[data-test=view-licence]").await?;
        appears(&owner, "[data-test=licence] [data-test=qr]").await?;
        let permits = owner.find_all(Locator::Css("[data-test=permits] tbody tr")).await?;
        check(permits.len() == 2, "the business licence and the drug permit")?;
        page_is_clean(&owner).await?;
        let verify_url = owner.find(Locator::Css("[data-test=qr]")).await?.attr("data-verify-url").await?.unwrap_or_default();
        let svg = js(&owner, "return fetch(document.querySelector('[data-test=qr]').src).then(r => r.text())").await?;
        check(svg.as_str().is_some_and(|s| s.contains("<svg")), "the QR code is an SVG")?;
        let token = verify_url.split("/verify?t=").nth(1).unwrap_or_default().to_owned();
        check(!token.is_empty(), format!("a verification address: {verify_url}"))?;

        // Anyone scanning it, without logging in: valid; altered: forged; revoked: revoked.
        let visitor = PHONE.open(&ctx.driver).await;
        let scanned = async {
            open(ctx, &visitor, &format!("/verify?t={token}")).await?;
            appears(&visitor, "[data-test=verdict][data-verdict=valid][data-all-valid=true]").await?;
            text_becomes(&visitor, "[data-test=verdict]", "佛山市禅城区康宁大药房（季华店）").await?;
            text_becomes(&visitor, "[data-test=verdict] .verdict-word", "营业执照及所载许可均有效").await?;
            page_is_clean(&visitor).await?;
            let mut forged = token.clone().into_bytes();
            let i = forged.len() / 3;
            forged[i] = if forged[i] == b'A' { b'B' } else { b'A' };
            open(ctx, &visitor, &format!("/verify?t={}", String::from_utf8(forged)?)).await?;
            appears(&visitor, "[data-test=verdict][data-verdict=forged]").await?;
            page_is_clean(&visitor).await?;
            // The reviewer revokes the drug permit: the next scan shows it.
            open(ctx, &reviewer, &format!("/staff/licences/{id}")).await?;
            appears(&reviewer, "[data-test=issued-permits] [data-permit=drug_retail] [data-test=revoke]").await?;
            type_into(&reviewer, "#revoke-reason", "执业药师未在岗，经核查属实").await?;
            click(&reviewer, "[data-test=issued-permits] [data-permit=drug_retail] [data-test=revoke]").await?;
            appears(&reviewer, "[data-test=issued-permits] [data-permit=drug_retail] .verdict-revoked").await?;
            page_is_clean(&reviewer).await?;
            // The scanner learns that the business licence stands and which permit does not,
            // not a red "revoked" over a valid licence.
            open(ctx, &visitor, &format!("/verify?t={token}")).await?;
            appears(&visitor, "[data-test=verdict][data-verdict=valid][data-all-valid=false]").await?;
            text_becomes(&visitor, "[data-test=verdict] .verdict-word", "营业执照有效，但以下许可已不能使用").await?;
            text_becomes(&visitor, "[data-test=not-valid-permits]", "药品经营许可证（零售）：已撤销").await?;
            check(!text_of(&visitor, "[data-test=verdict]").await?.contains("✗"), "no ✗ over a valid licence")?;
            appears(&visitor, "[data-test=verified-permits] [data-permit=drug_retail][data-verdict=revoked]").await?;
            appears(&visitor, "[data-test=verified-permits] [data-permit=business_licence][data-verdict=valid]").await?;
            page_is_clean(&visitor).await?;
            snap(&visitor, "verify-permit-revoked").await?;
            // The public tracking page finds it by number and phone.
            let number = js(&owner, &format!("return fetch('/api/licences/applications/{id}').then(r => r.json()).then(a => a.number)")).await?;
            open(ctx, &visitor, "/track").await?;
            type_into(&visitor, "#track-number", number.as_str().unwrap_or_default()).await?;
            type_into(&visitor, "#track-phone", "13800000005").await?;
            click(&visitor, "[data-test=track]").await?;
            appears(&visitor, "[data-test=tracking] [data-test=stage][data-stage=issued]").await?;
            page_is_clean(&visitor).await
        }
        .await;
        let _ = visitor.close().await;
        let _ = reviewer.close().await;
        scanned
    })
    .await
}

pub(crate) async fn a_policy_administrator_edits_the_permit_catalogue(ctx: &Ctx) -> TestResult {
    in_session(ctx, DESKTOP, |c| async move {
        log_in_staff(ctx, &c, "policyadmin").await?;
        appears(&c, "[data-test=open-catalogue]").await?;
        click(&c, "[data-test=open-catalogue]").await?;
        appears(&c, "[data-permit=drug_retail] input").await?;
        page_is_clean(&c).await?;
        let before = js(&c, "return fetch('/api/licences/catalogue').then(r => r.json()).then(c => c.version)").await?;
        // A promise beyond the statutory time is refused, in words, in the one alert region.
        let refuse = || async {
            appears(&c, "[data-permit=drug_retail] input").await?;
            type_into(&c, "[data-permit=drug_retail] input[id$=-promised]", "99").await?;
            click(&c, "[data-test=save-catalogue]").await?;
            text_becomes(&c, "[data-test=alert] .alert", "promised time").await
        };
        refuse().await?;
        // The browser logs the refused request itself: that, and nothing else.
        let refused = console_errors(&c).await?;
        check(
            refused.iter().all(|e| e.contains("/api/licences/catalogue") && e.contains("422")),
            format!("{refused:?}"),
        )?;
        axe(&c).await?;
        // It can be dismissed; shown again, it goes when the next save succeeds.
        click(&c, "[data-test=dismiss-alert]").await?;
        gone(&c, "[data-test=alert] .alert").await?;
        snap_after(&c, "catalogue-refused", refuse).await?;
        refuse().await?;
        let _ = console_errors(&c).await?;
        type_into(&c, "[data-permit=drug_retail] input[id$=-promised]", "8").await?;
        click(&c, "[data-test=save-catalogue]").await?;
        let next = before.as_i64().unwrap_or(0) + 1;
        text_becomes(&c, "[data-test=catalogue-message]", &format!("第 {next} 版")).await?;
        gone(&c, "[data-test=alert] .alert").await?;
        let promised = js(&c, "return fetch('/api/licences/catalogue').then(r => r.json()).then(c => c.permits.find(p => p.code == 'drug_retail').promised_days)").await?;
        check(promised.as_i64() == Some(8), format!("the new promise is in force: {promised}"))?;
        page_is_clean(&c).await
    })
    .await
}

/// Leaving a form while its answers are being saved (a tab, 返回申请, another page) leaves
/// the app alive: nothing touches the left page, the console stays clean, the next page works.
pub(crate) async fn leaving_a_form_mid_save_keeps_the_app_alive(ctx: &Ctx) -> TestResult {
    in_session(ctx, PHONE, |c| async move {
        log_in_by_phone(ctx, &c, "13800000005").await?;
        open(ctx, &c, "/licences/new").await?;
        appears(
            &c,
            "[data-test=business-types] input[value=convenience_store]",
        )
        .await?;
        click(
            &c,
            "[data-test=business-types] input[value=convenience_store]",
        )
        .await?;
        click(&c, "[data-test=start]").await?;
        appears(&c, "[data-test=tasks]").await?;
        let id = c
            .current_url()
            .await?
            .path()
            .trim_start_matches("/licences/")
            .to_owned();
        for (field, value, leave) in [
            ("applicant.name", "梁志强", "back"),
            ("business.name", "佛山市禅城区便民士多", "tab"),
            ("business.scope", "预包装食品销售", "back"),
        ] {
            let by_tab = leave == "tab";
            // 返回申请, or the 办事 tab.
            let leave = if by_tab {
                "nav a[href='/services']".to_owned()
            } else {
                format!("main a[href='/licences/{id}']")
            };
            let section = field.split('.').next().unwrap_or_default();
            // Into the section from the task list, as a person taps it (no page load).
            click(
                &c,
                &format!("[data-test=tasks] a[href='/licences/{id}/{section}']"),
            )
            .await?;
            appears(&c, "[data-test=section-form]").await?;
            if section == "applicant" {
                snap(&c, "licence-section-form").await?;
                appears(&c, "[data-test=section-form]").await?;
            }
            // Type, then leave at once: the field's save starts as it loses focus.
            let input = c
                .find(Locator::Css(&format!("#field-{}", field.replace('.', "-"))))
                .await?;
            input.send_keys(value).await?;
            click(&c, &leave).await?;
            // The next page works: it renders, and a tap on it still navigates.
            appears(
                &c,
                if by_tab {
                    "[data-test=licence-service]"
                } else {
                    "[data-test=tasks]"
                },
            )
            .await?;
            tokio::time::sleep(Duration::from_millis(800)).await;
            let died = app_died(&c).await?;
            check(
                died.is_empty(),
                format!("after leaving {section} by {leave}: {died:#?}"),
            )?;
            click(&c, "nav a[href='/me']").await?;
            appears(&c, "[data-test=phone]").await?;
            open(ctx, &c, &format!("/licences/{id}")).await?;
            appears(&c, "[data-test=tasks]").await?;
        }
        // What was typed before leaving was saved.
        open(ctx, &c, &format!("/licences/{id}/applicant")).await?;
        appears(&c, "[data-test=section-form]").await?;
        let name = c
            .find(Locator::Css("#field-applicant-name"))
            .await?
            .prop("value")
            .await?;
        check(
            name.as_deref() == Some("梁志强"),
            format!("the answer was kept: {name:?}"),
        )?;
        // The login page's countdown, left while it runs.
        page_is_clean(&c).await
    })
    .await?;
    in_session(ctx, PHONE, |c| async move {
        open(ctx, &c, "/login").await?;
        type_into(&c, "#phone", "13600000011").await?;
        ask_for_code(&c).await?;
        click(&c, "nav a[href='/policies']").await?;
        heading_becomes(&c, "政策库").await?;
        tokio::time::sleep(Duration::from_millis(2500)).await;
        let died = app_died(&c).await?;
        check(
            died.is_empty(),
            format!("after leaving the login countdown: {died:#?}"),
        )?;
        click(&c, "nav a[href='/services']").await?;
        appears(&c, "[data-test=licence-service]").await?;
        Ok(())
    })
    .await
}

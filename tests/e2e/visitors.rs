//! Visitors: the landing page on a phone and a desktop, language and elder mode remembered,
//! every page by its own link, a browser without WebAssembly, and the suite's own checks.

use std::time::Duration;

use fantoccini::Locator;

use crate::browse::*;
use crate::harness::*;
use crate::Ctx;

pub(crate) const ZH_HERO: &str = "政策找人，补贴免申即享";
pub(crate) const EN_HERO: &str = "Policies that find you, subsidies paid without applying";

pub(crate) async fn landing_page_on_a_phone_in_both_languages(ctx: &Ctx) -> TestResult {
    in_session(ctx, PHONE, |c| async move {
        check(open(ctx, &c, "/").await? == ZH_HERO, "the landing page opens in Chinese")?;
        check(js(&c, "return document.title").await? == "首页 · 政策直达", "the title names the page")?;
        check(js(&c, "return document.documentElement.lang").await? == "zh-CN", "<html lang> is zh-CN")?;
        // On a phone the navigation is a tab bar along the bottom of the screen.
        let nav = js(
            &c,
            "const n = document.querySelector('nav.main-nav'); const r = n.getBoundingClientRect();
             return [getComputedStyle(n).position, Math.round(r.bottom), window.innerHeight, n.querySelectorAll('a').length];",
        )
        .await?;
        check(nav[0] == "fixed" && nav[1] == nav[2] && nav[3] == 4, format!("a bottom tab bar of 4 tabs: {nav}"))?;
        let links = js(&c, "return [...document.querySelectorAll('main a')].map(a => a.getAttribute('href'))").await?;
        check(
            links.as_array().is_some_and(|l| l.contains(&"/login".into()) && l.contains(&"/policies".into())),
            format!("entry points to log in and to the policy library: {links}"),
        )?;
        page_is_clean(&c).await?;

        click(&c, "[data-test=lang-switch]").await?;
        heading_becomes(&c, EN_HERO).await?;
        check(js(&c, "return document.title").await? == "Home · Zhida", "the title follows the language")?;
        page_is_clean(&c).await
    })
    .await
}

pub(crate) async fn landing_page_on_a_desktop_in_both_languages(ctx: &Ctx) -> TestResult {
    in_session(ctx, DESKTOP, |c| async move {
        check(open(ctx, &c, "/").await? == ZH_HERO, "the landing page opens in Chinese")?;
        // On a wide screen the navigation sits in the top bar.
        let nav = js(
            &c,
            "const n = document.querySelector('nav.main-nav');
             return [getComputedStyle(n).position, Math.round(n.getBoundingClientRect().top) < 100, !!n.closest('header')];",
        )
        .await?;
        check(nav[0] == "static" && nav[1] == true && nav[2] == true, format!("a top navigation: {nav}"))?;
        page_is_clean(&c).await?;
        click(&c, "[data-test=lang-switch]").await?;
        heading_becomes(&c, EN_HERO).await?;
        page_is_clean(&c).await
    })
    .await
}

pub(crate) async fn language_and_elder_mode_are_remembered_across_reloads(ctx: &Ctx) -> TestResult {
    in_session(ctx, PHONE, |c| async move {
        open(ctx, &c, "/").await?;
        let before = js(&c, "return parseFloat(getComputedStyle(document.querySelector('main p')).fontSize)").await?;
        check(before.as_f64() < Some(20.0), format!("normal text is smaller than elder text: {before}"))?;
        click(&c, "[data-test=lang-switch]").await?;
        click(&c, "[data-test=elder-switch]").await?;
        heading_becomes(&c, EN_HERO).await?;

        c.refresh().await?;
        heading_becomes(&c, EN_HERO).await?;
        let state = js(
            &c,
            "return [document.documentElement.lang, document.documentElement.classList.contains('elder'),
                     document.querySelector('[data-test=elder-switch]').getAttribute('aria-checked')];",
        )
        .await?;
        check(state == serde_json::json!(["en", true, "true"]), format!("both remembered after a reload: {state}"))?;
        // Elder mode: body text of at least 20 px and touch targets of at least 48 px.
        let smallest_text = js(
            &c,
            "return Math.min(...[...document.querySelectorAll('main p, main li, main a')].map(e => parseFloat(getComputedStyle(e).fontSize)))",
        )
        .await?;
        check(smallest_text.as_f64() >= Some(20.0), format!("body text ≥ 20 px in elder mode: {smallest_text}"))?;
        let smallest_target = js(
            &c,
            "return Math.min(...[...document.querySelectorAll('button, nav a, main a.button')].map(e => e.getBoundingClientRect().height))",
        )
        .await?;
        check(smallest_target.as_f64() >= Some(48.0), format!("touch targets ≥ 48 px in elder mode: {smallest_target}"))?;
        page_is_clean(&c).await
    })
    .await
}

/// Each page opened by its own link: heading, title, active tab, and a clean page.
pub(crate) async fn deep_links(ctx: &Ctx, session: Session) -> TestResult {
    in_session(ctx, session, |c| async move {
        let pages = [
            ("/policies", "政策库", Some("/policies")),
            ("/services", "办事", Some("/services")),
            ("/me", "我的", Some("/me")),
            ("/login", "登录", None),
            // The public 一照通 pages (their own bundle for visitors).
            ("/track", "查询办理进度", None),
            ("/verify", "证照核验", None),
            ("/no/such/page", "页面不存在", None),
        ];
        for (path, heading, tab) in pages {
            check(open(ctx, &c, path).await? == heading, format!("{path} shows {heading}"))?;
            let title = js(&c, "return document.title").await?;
            check(title == format!("{heading} · 政策直达").as_str(), format!("{path} has its title: {title}"))?;
            let current = js(&c, "const a = document.querySelector('nav a[aria-current=page]'); return a && a.getAttribute('href')").await?;
            check(current.as_str() == tab, format!("{path}: the active tab is {current}"))?;
            if path == "/me" {
                // The version comes from the server's API, over real HTTP.
                let version = c.wait().at_most(Duration::from_secs(10)).for_element(Locator::XPath("//p[@data-test='version'][starts-with(normalize-space(), '版本 ')]")).await?;
                let text = version.text().await?;
                check(text == format!("版本 {}", env!("CARGO_PKG_VERSION")), format!("the version line: {text}"))?;
            }
            page_is_clean(&c).await?;
        }
        Ok(())
    })
    .await
}

pub(crate) async fn deep_links_open_directly_on_a_phone(ctx: &Ctx) -> TestResult {
    deep_links(ctx, PHONE).await
}

pub(crate) async fn deep_links_open_directly_on_a_desktop(ctx: &Ctx) -> TestResult {
    deep_links(ctx, DESKTOP).await
}

pub(crate) async fn a_browser_without_webassembly_sees_the_upgrade_message(
    ctx: &Ctx,
) -> TestResult {
    in_session(
        ctx,
        Session {
            viewport: Viewport::Phone,
            without_wasm: true,
        },
        |c| async move {
            c.goto(&format!("{}/policies", ctx.server.url)).await?;
            check(
                js(&c, "return typeof WebAssembly").await? == "undefined",
                "this browser has no WebAssembly",
            )?;
            let message = c
                .wait()
                .at_most(Duration::from_secs(10))
                .for_element(Locator::Css("#compat-message"))
                .await?;
            let text = message.text().await?;
            check(
                text.contains("您的微信或手机系统版本过低"),
                format!("the Chinese message: {text}"),
            )?;
            check(
                text.contains("Your browser is too old to run this service"),
                format!("the English line: {text}"),
            )?;
            check(
                message.attr("role").await?.as_deref() == Some("alert"),
                "the message is announced",
            )?;
            axe(&c).await
        },
    )
    .await
}

/// The suite's own checks must be able to fail: a page with a known accessibility violation and
/// a console error is caught by both.
pub(crate) async fn the_checks_themselves_catch_problems(ctx: &Ctx) -> TestResult {
    in_session(ctx, DESKTOP, |c| async move {
        open(ctx, &c, "/").await?;
        page_is_clean(&c).await?;
        js(&c, "console.error('planted error'); document.querySelector('main').append(document.createElement('button')); return null").await?;
        let errors = console_errors(&c).await?;
        check(errors.iter().any(|e| e.contains("planted error")), format!("the planted console error is seen: {errors:?}"))?;
        match axe(&c).await {
            Err(e) if e.to_string().contains("button-name") => Ok(()),
            other => Err(format!("axe should report the unnamed button, got {other:?}").into()),
        }
    })
    .await
}

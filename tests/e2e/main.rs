//! The end-to-end suite: the real server and the built app, driven in headless Chromium through
//! chromedriver, at a phone and a desktop viewport. Every page visited is checked with axe-core
//! and for console errors. Run by `cargo xtask test` (which builds the app and the server first).

mod harness;

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use fantoccini::{Client, Locator};
use harness::{
    axe, console_errors, js, page_heading, Driver, Server, Session, TestResult, Viewport,
};

struct Ctx {
    server: Server,
    driver: Driver,
}

type Scenario = for<'a> fn(&'a Ctx) -> Pin<Box<dyn Future<Output = TestResult> + 'a>>;

macro_rules! scenarios {
    ($($name:ident),* $(,)?) => {
        [$((stringify!($name), (|ctx| Box::pin($name(ctx))) as Scenario)),*]
    };
}

fn main() {
    let filter: Option<String> = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let ctx = Ctx {
        server: Server::start(),
        driver: Driver::start(),
    };
    let all = scenarios!(
        landing_page_on_a_phone_in_both_languages,
        landing_page_on_a_desktop_in_both_languages,
        language_and_elder_mode_are_remembered_across_reloads,
        deep_links_open_directly_on_a_phone,
        deep_links_open_directly_on_a_desktop,
        a_browser_without_webassembly_sees_the_upgrade_message,
        the_checks_themselves_catch_problems,
        a_resident_logs_in_with_phone_and_code_and_sees_their_own_data,
        a_wrong_code_is_refused_in_words,
        staff_log_in_with_password_and_authenticator_code,
        logging_out_kills_the_session_on_the_server,
        a_representative_authorises_and_revokes_an_agent,
        an_agent_switches_to_act_for_the_enterprise,
        a_new_resident_records_their_identity,
        the_policy_library_searches_in_both_languages,
        wechat_s_browser_logs_in_binds_once_then_logs_in_by_itself,
        a_resident_sees_a_new_allowance_arrive_live_then_paid,
        an_enterprise_accepts_one_subsidy_and_applies_for_another,
        the_policy_calculator_works_in_the_browser_alone,
        an_agent_acts_within_scope_and_is_refused_outside_it_and_after_revocation,
        a_pharmacy_gets_its_licence_in_one_form_and_anyone_can_verify_it,
        a_policy_administrator_edits_the_permit_catalogue,
        an_elder_s_receipt_reads_plainly_and_shows_no_failed_branch,
        leaving_a_form_mid_save_keeps_the_app_alive,
        wechat_never_leads_to_a_dead_end,
    );
    let mut failures = Vec::new();
    let mut passed = 0;
    for (name, scenario) in all {
        if filter.as_deref().is_some_and(|f| !name.contains(f)) {
            continue;
        }
        let outcome = runtime.block_on(async {
            tokio::time::timeout(Duration::from_secs(180), scenario(&ctx))
                .await
                .unwrap_or_else(|_| Err("timed out after 180 s".into()))
        });
        match outcome {
            Ok(()) => {
                passed += 1;
                println!("test {name} ... ok");
            }
            Err(e) => {
                println!("test {name} ... FAILED");
                failures.push((name, e.to_string()));
            }
        }
    }
    for (name, error) in &failures {
        println!("\n---- {name} ----\n{error}");
    }
    println!("\ne2e: {passed} passed, {} failed", failures.len());
    drop(ctx);
    let _ = std::fs::remove_dir_all(harness::run_dir());
    std::process::exit(if failures.is_empty() { 0 } else { 1 });
}

/// Opens a browser session, runs `body` in it, and closes it whatever happened.
async fn in_session<F, Fut>(ctx: &Ctx, session: Session, body: F) -> TestResult
where
    F: FnOnce(Client) -> Fut,
    Fut: Future<Output = TestResult>,
{
    let client = session.open(&ctx.driver).await;
    let result = body(client.clone()).await;
    let _ = client.close().await;
    result
}

const PHONE: Session = Session {
    viewport: Viewport::Phone,
    without_wasm: false,
};
const DESKTOP: Session = Session {
    viewport: Viewport::Desktop,
    without_wasm: false,
};

fn check(ok: bool, what: impl Into<String>) -> TestResult {
    if ok {
        Ok(())
    } else {
        Err(what.into().into())
    }
}

/// After a page has rendered: no console errors, no accessibility violations.
async fn page_is_clean(c: &Client) -> TestResult {
    let errors = console_errors(c).await?;
    check(
        errors.is_empty(),
        format!("console errors on {}: {errors:#?}", c.current_url().await?),
    )?;
    axe(c).await
}

/// Opens `path` directly (as a typed or shared link would) and returns its heading.
async fn open(ctx: &Ctx, c: &Client, path: &str) -> Result<String, Box<dyn std::error::Error>> {
    c.goto(&format!("{}{path}", ctx.server.url)).await?;
    Ok(page_heading(c).await?)
}

/// Waits until the page's heading reads `text` (the app re-renders in place).
async fn heading_becomes(c: &Client, text: &str) -> TestResult {
    for _ in 0..50 {
        if page_heading(c).await? == text {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err(format!(
        "the heading never became {text:?}; it is {:?}",
        page_heading(c).await?
    )
    .into())
}

/// Clicks the element `selector` finds. Pages that update live may re-render it between
/// finding and clicking: then it is found afresh and clicked again.
async fn click(c: &Client, selector: &str) -> TestResult {
    let mut last = None;
    for _ in 0..10 {
        let element = c.find(Locator::Css(selector)).await?;
        match click_element(c, &element).await {
            Ok(()) => return Ok(()),
            Err(e) if e.to_string().contains("stale element") => {
                last = Some(e);
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| "the element kept going stale".into()))
}

/// Scrolls an element to the middle of the screen, as a person would, then clicks it: on a
/// phone the bottom tab bar covers the lowest part of the page.
async fn click_element(c: &Client, element: &fantoccini::elements::Element) -> TestResult {
    c.execute(
        "arguments[0].scrollIntoView({ block: 'center' });",
        vec![serde_json::to_value(element)?],
    )
    .await?;
    match element.click().await {
        // A click that loads another page (logging in changes bundle) may be reported as
        // interrupted by that navigation: it did happen.
        Err(e) if navigation_interrupted(&e.to_string()) => Ok(()),
        other => Ok(other?),
    }
}

/// Whether a WebDriver error only says a page load interrupted the command.
fn navigation_interrupted(error: &str) -> bool {
    error.contains("aborted by navigation")
}

const ZH_HERO: &str = "政策找人，补贴免申即享";
const EN_HERO: &str = "Policies that find you, subsidies paid without applying";

async fn landing_page_on_a_phone_in_both_languages(ctx: &Ctx) -> TestResult {
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

async fn landing_page_on_a_desktop_in_both_languages(ctx: &Ctx) -> TestResult {
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

async fn language_and_elder_mode_are_remembered_across_reloads(ctx: &Ctx) -> TestResult {
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
async fn deep_links(ctx: &Ctx, session: Session) -> TestResult {
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

async fn deep_links_open_directly_on_a_phone(ctx: &Ctx) -> TestResult {
    deep_links(ctx, PHONE).await
}

async fn deep_links_open_directly_on_a_desktop(ctx: &Ctx) -> TestResult {
    deep_links(ctx, DESKTOP).await
}

async fn a_browser_without_webassembly_sees_the_upgrade_message(ctx: &Ctx) -> TestResult {
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
async fn the_checks_themselves_catch_problems(ctx: &Ctx) -> TestResult {
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

/// Types into a field (after clearing it).
async fn type_into(c: &Client, selector: &str, text: &str) -> TestResult {
    // A page that re-renders (its data arriving) may replace the field between finding and
    // typing: then it is found afresh and typed into again.
    let mut last = None;
    for _ in 0..10 {
        let field = c.find(Locator::Css(selector)).await?;
        let typed = async {
            field.clear().await?;
            field.send_keys(text).await
        }
        .await;
        match typed {
            Ok(()) => return Ok(()),
            Err(e) if e.to_string().contains("stale element") => {
                last = Some(e);
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(last.map_or_else(|| "the field kept going stale".into(), |e| e.into()))
}

/// The text of an element once it appears.
async fn text_of(c: &Client, selector: &str) -> Result<String, Box<dyn std::error::Error>> {
    for _ in 0..10 {
        let el = c
            .wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::Css(selector))
            .await?;
        match el.text().await {
            Ok(text) => return Ok(text),
            // Re-rendered meanwhile: read the new one.
            Err(e) if e.to_string().contains("stale element") => {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(format!("{selector} kept going stale").into())
}

/// The six digits in a hint such as "演示模式：验证码是 123456".
fn digits_in(text: &str) -> String {
    text.chars()
        .filter(char::is_ascii_digit)
        .collect::<String>()
        .chars()
        .rev()
        .take(6)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect()
}

/// Logs in by phone through the login page, as a person would.
async fn log_in_by_phone(ctx: &Ctx, c: &Client, phone: &str) -> TestResult {
    check(open(ctx, c, "/login").await? == "登录", "the login page")?;
    page_is_clean(c).await?;
    type_into(c, "#phone", phone).await?;
    ask_for_code(c).await?;
    let hint = text_of(c, "[data-test=demo-code]").await?;
    type_into(c, "#code", &digits_in(&hint)).await?;
    click(c, "[data-test=login]").await?;
    appears(c, "[data-test=name]").await?;
    Ok(())
}

/// Asks for a code for the phone typed in, until the form shows it. A phone may ask for one
/// code a minute, and several scenarios log in the same demo person: when refused, wait and
/// ask again, as a person would, but seldom (every ask counts against the address's 30 an hour,
/// and the whole suite asks from one address).
async fn ask_for_code(c: &Client) -> TestResult {
    click(c, "[data-test=send-code]").await?;
    'asking: for _ in 0..9 {
        for _ in 0..12 {
            if !c
                .find_all(Locator::Css("[data-test=demo-code]"))
                .await?
                .is_empty()
            {
                break 'asking;
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        tokio::time::sleep(Duration::from_secs(12)).await;
        click(c, "[data-test=send-code]").await?;
    }
    // The browser logs each refused request itself; those, and nothing else, are expected.
    let refused = console_errors(c).await?;
    check(
        refused
            .iter()
            .all(|e| e.contains("/api/auth/sms/send") && e.contains("429")),
        format!("{refused:?}"),
    )?;
    appears(c, "[data-test=demo-code]").await?;
    Ok(())
}

async fn a_resident_logs_in_with_phone_and_code_and_sees_their_own_data(ctx: &Ctx) -> TestResult {
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

async fn a_wrong_code_is_refused_in_words(ctx: &Ctx) -> TestResult {
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

async fn staff_log_in_with_password_and_authenticator_code(ctx: &Ctx) -> TestResult {
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

async fn logging_out_kills_the_session_on_the_server(ctx: &Ctx) -> TestResult {
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

async fn a_representative_authorises_and_revokes_an_agent(ctx: &Ctx) -> TestResult {
    in_session(ctx, DESKTOP, |c| async move {
        log_in_by_phone(ctx, &c, "13800000003").await?;
        c.wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::Css("[data-test=agents] li"))
            .await?;
        type_into(&c, "#agent-phone", "13600000006").await?;
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

async fn an_agent_switches_to_act_for_the_enterprise(ctx: &Ctx) -> TestResult {
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

async fn a_new_resident_records_their_identity(ctx: &Ctx) -> TestResult {
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

/// Waits until the library shows `n` policies.
async fn policies_shown(c: &Client, n: usize) -> TestResult {
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

async fn the_policy_library_searches_in_both_languages(ctx: &Ctx) -> TestResult {
    in_session(ctx, PHONE, |c| async move {
        check(open(ctx, &c, "/policies").await? == "政策库", "the library")?;
        policies_shown(&c, 7).await?;
        page_is_clean(&c).await?;
        type_into(&c, "#policy-search", "高龄").await?;
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

/// Waits until the browser is at `path` (with `query`, if given).
async fn arrive_at(c: &Client, path: &str, query: Option<&str>) -> TestResult {
    for _ in 0..100 {
        let url = c.current_url().await?;
        if url.path() == path && (query.is_none() || url.query() == query) {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err(format!("never arrived at {path}: at {}", c.current_url().await?).into())
}

async fn wechat_s_browser_logs_in_binds_once_then_logs_in_by_itself(ctx: &Ctx) -> TestResult {
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

/// Waits (up to 15 s, no reload) for an element.
async fn appears(
    c: &Client,
    selector: &str,
) -> Result<fantoccini::elements::Element, Box<dyn std::error::Error>> {
    // A page load under way may interrupt the wait: wait again on the new page.
    for _ in 0..3 {
        match c
            .wait()
            .at_most(Duration::from_secs(15))
            .for_element(Locator::Css(selector))
            .await
        {
            Ok(e) => return Ok(e),
            Err(e) if navigation_interrupted(&e.to_string()) => {
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(e) => return Err(format!("{selector} never appeared: {e}").into()),
        }
    }
    Err(format!("{selector}: page loads kept interrupting the wait").into())
}

/// Waits (up to 15 s, no reload) until `selector`'s text contains `text`.
async fn text_becomes(c: &Client, selector: &str, text: &str) -> TestResult {
    let mut last = String::new();
    for _ in 0..150 {
        if let Ok(e) = c.find(Locator::Css(selector)).await {
            last = e.text().await.unwrap_or_default();
            if last.contains(text) {
                return Ok(());
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err(format!("{selector} never read {text:?}; it reads {last:?}").into())
}

async fn a_resident_sees_a_new_allowance_arrive_live_then_paid(ctx: &Ctx) -> TestResult {
    in_session(ctx, PHONE, |c| async move {
        log_in_by_phone(ctx, &c, "13800000002").await?;
        check(open(ctx, &c, "/").await? == "我的补贴", "her home")?;
        appears(&c, "[data-test=recent] [data-test=grant]").await?;
        page_is_clean(&c).await?;
        check(
            c.find_all(Locator::Css("[data-policy=senior-allowance]")).await?.is_empty(),
            "no senior allowance yet",
        )?;
        // The population register corrects her date of birth: she is 80.
        let year: i32 = js(&c, "return new Date().getFullYear()").await?.as_i64().unwrap_or(2026) as i32;
        let (status, body) = harness::post_json(
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

async fn an_enterprise_accepts_one_subsidy_and_applies_for_another(ctx: &Ctx) -> TestResult {
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
        snap(&c, "policy-check-hitech-rd").await
    })
    .await
}

async fn the_policy_calculator_works_in_the_browser_alone(ctx: &Ctx) -> TestResult {
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
        // Nothing was sent: the only API call is the session check every page makes.
        let calls = js(
            &c,
            "return performance.getEntriesByType('resource').map(e => e.name).filter(n => n.includes('/api/'))",
        )
        .await?;
        let calls: Vec<String> = serde_json::from_value(calls)?;
        check(
            calls.iter().all(|u| u.ends_with("/api/auth/session")),
            format!("no answers sent: {calls:?}"),
        )?;
        page_is_clean(&c).await
    })
    .await
}

/// Logs a demo staff member in through the staff login page.
async fn log_in_staff(ctx: &Ctx, c: &Client, username: &str) -> TestResult {
    open(ctx, c, "/login/staff").await?;
    type_into(c, "#username", username).await?;
    type_into(c, "#password", "zhida-demo-2026").await?;
    let code = digits_in(&text_of(c, "[data-test=demo-totp]").await?);
    type_into(c, "#totp", &code).await?;
    click(c, "[data-test=staff-login]").await?;
    appears(c, "[data-test=name]").await?;
    Ok(())
}

/// Chooses the enterprise to act for on 我的, and waits until the server has it.
async fn act_for_enterprise(c: &Client) -> TestResult {
    // 我的 may re-render as the account loads: a select gone stale is found afresh.
    for attempt in 0..10 {
        let select = appears(c, "[data-test=acting-for]").await?;
        match select.select_by_index(1).await {
            Ok(()) => break,
            Err(e) if attempt < 9 && e.to_string().contains("stale element") => {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(e) => return Err(e.into()),
        }
    }
    for _ in 0..50 {
        let me = js(c, "return fetch('/api/me').then(r => r.json())").await?;
        if me["person"]["acting_for"].is_number() {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err("the session does not act for the enterprise".into())
}

async fn an_agent_acts_within_scope_and_is_refused_outside_it_and_after_revocation(
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

/// A small file of the given type, written for the browser to upload.
fn sample_file(name: &str, bytes: &[u8]) -> Result<String, Box<dyn std::error::Error>> {
    let dir = harness::run_dir().join("uploads");
    std::fs::create_dir_all(&dir)?;
    let path = dir.join(name);
    std::fs::write(&path, bytes)?;
    Ok(path.to_string_lossy().into_owned())
}

/// Fills the text field `key` of the open section.
async fn answer(c: &Client, key: &str, value: &str) -> TestResult {
    type_into(c, &format!("#field-{}", key.replace('.', "-")), value).await
}

/// Picks `value` of the choice `key` of the open section.
async fn choose(c: &Client, key: &str, value: &str) -> TestResult {
    click(c, &format!("[data-field='{key}'] input[value='{value}']")).await
}

/// Opens a section from the task list, fills it with `fill`, saves, and waits for the task list.
async fn section(ctx: &Ctx, c: &Client, id: &str, key: &str) -> TestResult {
    open(ctx, c, &format!("/licences/{id}/{key}")).await?;
    appears(c, "[data-test=section-form]").await?;
    Ok(())
}

async fn save_section(c: &Client) -> TestResult {
    click(c, "[data-test=save-section]").await?;
    appears(c, "[data-test=tasks]").await?;
    Ok(())
}

async fn a_pharmacy_gets_its_licence_in_one_form_and_anyone_can_verify_it(ctx: &Ctx) -> TestResult {
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
            let input = owner.find(Locator::Css(&format!("#upload-{code}"))).await?;
            input.send_keys(&pdf).await?;
            appears(&owner, &format!("[data-material={code}][data-uploaded=true]")).await?;
        }
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
            owner.find(Locator::Css("#upload-pharmacist_certificate")).await?.send_keys(&png).await?;
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

async fn a_policy_administrator_edits_the_permit_catalogue(ctx: &Ctx) -> TestResult {
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

/// 陈伯's senior allowance receipt: "户籍状态正常" shown by the alternative that held (no red ✗
/// of the other), the district by its name, and no dangling comma after a source.
async fn an_elder_s_receipt_reads_plainly_and_shows_no_failed_branch(ctx: &Ctx) -> TestResult {
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

/// Console messages that mean the app touched what a left page owned, or died.
async fn app_died(c: &Client) -> Result<Vec<String>, Box<dyn std::error::Error>> {
    Ok(harness::console_messages(c)
        .await?
        .into_iter()
        .filter(|m| {
            m.contains("disposed")
                || m.contains("unreachable")
                || m.contains("panicked")
                || m.contains("RuntimeError")
        })
        .collect())
}

/// Leaving a form while its answers are being saved (a tab, 返回申请, another page) leaves
/// the app alive: nothing touches the left page, the console stays clean, the next page works.
async fn leaving_a_form_mid_save_keeps_the_app_alive(ctx: &Ctx) -> TestResult {
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

/// WeChat never leads to a dead end: inside a mini-program the login page offers no WeChat
/// button (the mini-program logs in with a ticket), and a WeChat login that fails lands on an
/// app page in the person's language with a way back, not on a JSON body.
async fn wechat_never_leads_to_a_dead_end(ctx: &Ctx) -> TestResult {
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

/// Waits until nothing matches `selector`.
async fn gone(c: &Client, selector: &str) -> TestResult {
    for _ in 0..50 {
        if c.find_all(Locator::Css(selector)).await?.is_empty() {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err(format!("{selector} is still there").into())
}

/// With `ZHIDA_SCREENSHOTS=DIR`, pictures of the open page for a person to look at: at 375 px in
/// Chinese, English and elder mode, and at 320 px in elder mode (`DIR/NAME-*.png`). The
/// language and elder mode are put back to Chinese, ordinary, afterwards.
async fn snap(c: &Client, name: &str) -> TestResult {
    snap_after(c, name, || async { Ok(()) }).await
}

/// As [`snap`], with `again` run after each reload to bring back what the pictures are of (a
/// failure in the alert region does not outlive a reload).
async fn snap_after<F, Fut>(c: &Client, name: &str, again: F) -> TestResult
where
    F: Fn() -> Fut,
    Fut: Future<Output = TestResult>,
{
    let Some(dir) = std::env::var_os("ZHIDA_SCREENSHOTS") else {
        return Ok(());
    };
    let dir = std::path::PathBuf::from(dir);
    std::fs::create_dir_all(&dir)?;
    for (variant, locale, elder, width) in [
        ("zh-375", "zh-CN", "0", 375),
        ("en-375", "en", "0", 375),
        ("elder-375", "zh-CN", "1", 375),
        ("elder-320", "zh-CN", "1", 320),
        ("restore", "zh-CN", "0", 0),
    ] {
        js(c, &format!("localStorage.setItem('zhida.locale','{locale}'); localStorage.setItem('zhida.elder','{elder}'); location.reload();")).await?;
        page_heading(c).await?;
        if width > 0 {
            again().await?;
        }
        tokio::time::sleep(Duration::from_millis(1500)).await;
        if width > 0 {
            let png = harness::whole_page_png(c, width).await?;
            std::fs::write(dir.join(format!("{name}-{variant}.png")), png)?;
        }
    }
    Ok(())
}

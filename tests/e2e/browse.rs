//! What the scenarios do in a browser, as a person would: open a page, click, type, wait for
//! text, log in, and check that a page is clean (no console errors, no accessibility
//! violations); and pictures of a page for a person to look at.

use std::future::Future;
use std::time::Duration;

use fantoccini::{Client, Locator};

use crate::harness::*;
use crate::Ctx;

/// Opens a browser session, runs `body` in it, and closes it whatever happened.
pub(crate) async fn in_session<F, Fut>(ctx: &Ctx, session: Session, body: F) -> TestResult
where
    F: FnOnce(Client) -> Fut,
    Fut: Future<Output = TestResult>,
{
    let client = session.open(&ctx.driver).await;
    let result = body(client.clone()).await;
    let _ = client.close().await;
    result
}

pub(crate) const PHONE: Session = Session {
    viewport: Viewport::Phone,
    without_wasm: false,
};
pub(crate) const DESKTOP: Session = Session {
    viewport: Viewport::Desktop,
    without_wasm: false,
};

pub(crate) fn check(ok: bool, what: impl Into<String>) -> TestResult {
    if ok {
        Ok(())
    } else {
        Err(what.into().into())
    }
}

/// After a page has rendered: no console errors, no accessibility violations.
pub(crate) async fn page_is_clean(c: &Client) -> TestResult {
    let errors = console_errors(c).await?;
    check(
        errors.is_empty(),
        format!("console errors on {}: {errors:#?}", c.current_url().await?),
    )?;
    axe(c).await
}

/// Opens `path` directly (as a typed or shared link would) and returns its heading.
pub(crate) async fn open(
    ctx: &Ctx,
    c: &Client,
    path: &str,
) -> Result<String, Box<dyn std::error::Error>> {
    open_at(&ctx.server.url, c, path).await
}

/// As [`open`], on the server at `base`.
pub(crate) async fn open_at(
    base: &str,
    c: &Client,
    path: &str,
) -> Result<String, Box<dyn std::error::Error>> {
    c.goto(&format!("{base}{path}")).await?;
    Ok(page_heading(c).await?)
}

/// Waits until the page's heading reads `text` (the app re-renders in place).
pub(crate) async fn heading_becomes(c: &Client, text: &str) -> TestResult {
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
pub(crate) async fn click(c: &Client, selector: &str) -> TestResult {
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
pub(crate) async fn click_element(
    c: &Client,
    element: &fantoccini::elements::Element,
) -> TestResult {
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
pub(crate) fn navigation_interrupted(error: &str) -> bool {
    error.contains("aborted by navigation")
}

/// Types into a field (after clearing it).
pub(crate) async fn type_into(c: &Client, selector: &str, text: &str) -> TestResult {
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
pub(crate) async fn text_of(
    c: &Client,
    selector: &str,
) -> Result<String, Box<dyn std::error::Error>> {
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
pub(crate) fn digits_in(text: &str) -> String {
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
pub(crate) async fn log_in_by_phone(ctx: &Ctx, c: &Client, phone: &str) -> TestResult {
    log_in_by_phone_at(&ctx.server.url, c, phone).await
}

/// As [`log_in_by_phone`], on the demo server at `base`.
pub(crate) async fn log_in_by_phone_at(base: &str, c: &Client, phone: &str) -> TestResult {
    check(
        open_at(base, c, "/login").await? == "登录",
        "the login page",
    )?;
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
pub(crate) async fn ask_for_code(c: &Client) -> TestResult {
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

/// Waits until the browser is at `path` (with `query`, if given).
pub(crate) async fn arrive_at(c: &Client, path: &str, query: Option<&str>) -> TestResult {
    for _ in 0..100 {
        let url = c.current_url().await?;
        if url.path() == path && (query.is_none() || url.query() == query) {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err(format!("never arrived at {path}: at {}", c.current_url().await?).into())
}

/// Waits (up to 15 s, no reload) for an element.
pub(crate) async fn appears(
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
pub(crate) async fn text_becomes(c: &Client, selector: &str, text: &str) -> TestResult {
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

/// Logs a demo staff member in through the staff login page.
pub(crate) async fn log_in_staff(ctx: &Ctx, c: &Client, username: &str) -> TestResult {
    log_in_staff_at(&ctx.server.url, c, username).await
}

/// As [`log_in_staff`], on the demo server at `base`.
pub(crate) async fn log_in_staff_at(base: &str, c: &Client, username: &str) -> TestResult {
    open_at(base, c, "/login/staff").await?;
    type_into(c, "#username", username).await?;
    type_into(c, "#password", "zhida-demo-2026").await?;
    let code = digits_in(&text_of(c, "[data-test=demo-totp]").await?);
    type_into(c, "#totp", &code).await?;
    click(c, "[data-test=staff-login]").await?;
    appears(c, "[data-test=name]").await?;
    Ok(())
}

/// Chooses the enterprise to act for on 我的, and waits until the server has it.
pub(crate) async fn act_for_enterprise(c: &Client) -> TestResult {
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

/// Console messages that mean the app touched what a left page owned, or died.
pub(crate) async fn app_died(c: &Client) -> Result<Vec<String>, Box<dyn std::error::Error>> {
    Ok(crate::harness::console_messages(c)
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

/// Waits until nothing matches `selector`.
pub(crate) async fn gone(c: &Client, selector: &str) -> TestResult {
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
pub(crate) async fn snap(c: &Client, name: &str) -> TestResult {
    snap_after(c, name, || async { Ok(()) }).await
}

/// As [`snap`], with `again` run after each reload to bring back what the pictures are of (a
/// failure in the alert region does not outlive a reload).
pub(crate) async fn snap_after<F, Fut>(c: &Client, name: &str, again: F) -> TestResult
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
            let png = crate::harness::whole_page_png(c, width).await?;
            std::fs::write(dir.join(format!("{name}-{variant}.png")), png)?;
        }
    }
    Ok(())
}

/// Sets a field's whole value at once (a long text a person would paste) and tells the app, as
/// typing would.
pub(crate) async fn set_value(c: &Client, selector: &str, value: &str) -> TestResult {
    let field = c.find(Locator::Css(selector)).await?;
    c.execute(
        "arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('input', { bubbles: true }));",
        vec![serde_json::to_value(&field)?, serde_json::Value::from(value)],
    )
    .await?;
    Ok(())
}

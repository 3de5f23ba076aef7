//! Component tests: real components in headless Chromium (wasm-bindgen-test).
//! Run by `cargo xtask test`, or `cargo test -p zhida-app --target wasm32-unknown-unknown --test web`.

#![cfg(target_arch = "wasm32")]

use leptos::mount::mount_to;
use leptos::prelude::*;
use leptos::task::tick;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use zhida_app::alerts::{self, AlertRegion};
use zhida_app::api_client::ApiFailure;
use zhida_app::components::nav::MainNav;
use zhida_app::components::settings::{ElderSwitch, LanguageSwitch};
use zhida_app::i18n::Locale;
use zhida_app::pages::landing::Landing;
use zhida_app::prefs::{provide_prefs, Prefs};
use zhida_app::router::provide_location;

wasm_bindgen_test_configure!(run_in_browser);

/// A fresh element to mount into; the test page has its own text in `<body>`.
fn container() -> web_sys::HtmlElement {
    let el = document().create_element("section").unwrap();
    document().body().unwrap().append_child(&el).unwrap();
    el.unchecked_into()
}

fn storage() -> web_sys::Storage {
    window().local_storage().unwrap().unwrap()
}

/// Starts each test from a device that has remembered nothing.
fn forget_everything() {
    storage().clear().unwrap();
    let root = document().document_element().unwrap();
    root.set_attribute("lang", "").unwrap();
    root.class_list().remove_1("elder").unwrap();
}

fn find(el: &web_sys::HtmlElement, selector: &str) -> web_sys::HtmlElement {
    el.query_selector(selector)
        .unwrap()
        .unwrap_or_else(|| panic!("no {selector}"))
        .unchecked_into()
}

/// Mounts the display switches, the navigation and the landing page under fresh preferences.
fn mount_shell_parts(el: &web_sys::HtmlElement) -> (Prefs, impl Drop) {
    let prefs = StoredValue::new(None::<Prefs>);
    let handle = mount_to(el.clone(), move || {
        prefs.set_value(Some(provide_prefs()));
        provide_location();
        view! {
            <LanguageSwitch />
            <ElderSwitch />
            <MainNav />
            <Landing />
        }
    });
    (prefs.get_value().unwrap(), DropHandle(Some(handle)))
}

struct DropHandle<T>(Option<T>);
impl<T> Drop for DropHandle<T> {
    fn drop(&mut self) {
        self.0.take();
    }
}

#[wasm_bindgen_test]
async fn starts_in_chinese_and_switches_to_english() {
    forget_everything();
    storage().set_item("zhida.locale", "zh-CN").unwrap();
    let el = container();
    let (prefs, _handle) = mount_shell_parts(&el);
    tick().await;
    assert_eq!(prefs.locale.get_untracked(), Locale::ZhCn);
    assert_eq!(
        find(&el, "h1").text_content().unwrap(),
        "政策找人，补贴免申即享"
    );
    assert_eq!(
        find(&el, "nav").get_attribute("aria-label").unwrap(),
        "主导航"
    );
    let switch = find(&el, "[data-test=lang-switch]");
    assert_eq!(switch.text_content().unwrap().trim(), "English");
    assert_eq!(switch.get_attribute("lang").unwrap(), "en");

    switch.click();
    tick().await;
    assert_eq!(
        find(&el, "h1").text_content().unwrap(),
        "Policies that find you, subsidies paid without applying"
    );
    assert_eq!(switch.text_content().unwrap().trim(), "中文");
    assert_eq!(
        document()
            .document_element()
            .unwrap()
            .get_attribute("lang")
            .unwrap(),
        "en"
    );
    assert_eq!(
        storage().get_item("zhida.locale").unwrap().as_deref(),
        Some("en")
    );
    assert_eq!(document().title(), "Home · Zhida");
}

#[wasm_bindgen_test]
async fn remembers_english_across_mounts() {
    forget_everything();
    storage().set_item("zhida.locale", "en").unwrap();
    let el = container();
    let (prefs, _handle) = mount_shell_parts(&el);
    tick().await;
    assert_eq!(prefs.locale.get_untracked(), Locale::En);
    assert_eq!(
        find(&el, "h1").text_content().unwrap(),
        "Policies that find you, subsidies paid without applying"
    );
    assert_eq!(
        document()
            .document_element()
            .unwrap()
            .get_attribute("lang")
            .unwrap(),
        "en"
    );
}

#[wasm_bindgen_test]
async fn elder_mode_switches_and_is_remembered() {
    forget_everything();
    let el = container();
    let (prefs, handle) = mount_shell_parts(&el);
    tick().await;
    let switch = find(&el, "[data-test=elder-switch]");
    assert_eq!(switch.get_attribute("role").unwrap(), "switch");
    assert_eq!(switch.get_attribute("aria-checked").unwrap(), "false");
    let root = document().document_element().unwrap();
    assert!(!root.class_list().contains("elder"));

    switch.click();
    tick().await;
    assert!(prefs.elder.get_untracked());
    assert_eq!(switch.get_attribute("aria-checked").unwrap(), "true");
    assert!(root.class_list().contains("elder"));
    assert_eq!(
        storage().get_item("zhida.elder").unwrap().as_deref(),
        Some("1")
    );
    // The test page has no stylesheet: the end-to-end suite measures the real sizes.

    drop(handle);
    let el = container();
    let (prefs, _handle) = mount_shell_parts(&el);
    tick().await;
    assert!(
        prefs.elder.get_untracked(),
        "elder mode is restored from the device"
    );
    assert_eq!(
        find(&el, "[data-test=elder-switch]")
            .get_attribute("aria-checked")
            .unwrap(),
        "true"
    );
}

#[wasm_bindgen_test]
async fn navigation_has_the_four_tabs() {
    forget_everything();
    storage().set_item("zhida.locale", "zh-CN").unwrap();
    let el = container();
    let (_prefs, _handle) = mount_shell_parts(&el);
    tick().await;
    let links = el.query_selector_all("nav a").unwrap();
    let tabs: Vec<(String, String)> = (0..links.length())
        .map(|i| {
            let a: web_sys::Element = links.item(i).unwrap().unchecked_into();
            (a.get_attribute("href").unwrap(), a.text_content().unwrap())
        })
        .collect();
    let expected = [
        ("/", "首页"),
        ("/policies", "政策"),
        ("/services", "办事"),
        ("/me", "我的"),
    ];
    assert_eq!(tabs.len(), 4);
    for ((href, text), (want_href, want_text)) in tabs.iter().zip(expected) {
        assert_eq!(href, want_href);
        assert_eq!(text.trim(), want_text);
    }
    // Icons are decoration: hidden from assistive technology.
    assert_eq!(
        el.query_selector_all("nav svg[aria-hidden=true]")
            .unwrap()
            .length(),
        4
    );
}

#[wasm_bindgen_test]
async fn a_failed_action_shows_in_the_one_alert_region() {
    forget_everything();
    storage().set_item("zhida.locale", "zh-CN").unwrap();
    let el = container();
    let _handle = DropHandle(Some(mount_to(el.clone(), || {
        provide_prefs();
        view! { <AlertRegion /> }
    })));
    tick().await;
    // There, empty, from the start: what appears in it is announced.
    let region = find(&el, "[data-test=alert]");
    assert_eq!(region.get_attribute("role").as_deref(), Some("alert"));
    assert_eq!(region.text_content().unwrap(), "");

    let asked = alerts::page();
    asked.show(ApiFailure::Network);
    tick().await;
    assert!(region.text_content().unwrap().contains("网络连接失败"));
    find(&el, "[data-test=dismiss-alert]").click();
    tick().await;
    assert_eq!(region.text_content().unwrap(), "");

    // The server's own words; gone when another page comes on screen.
    alerts::page().show(ApiFailure::Server(api::ErrorBody {
        code: api::ErrorCode::Forbidden,
        field: None,
        message: "您没有权限进行此操作".to_owned(),
    }));
    tick().await;
    assert!(region
        .text_content()
        .unwrap()
        .contains("您没有权限进行此操作"));
    alerts::page_changed();
    tick().await;
    assert_eq!(region.text_content().unwrap(), "");

    // An answer to a page the person has left is not shown on the next one.
    asked.show(ApiFailure::Unexpected);
    tick().await;
    assert_eq!(region.text_content().unwrap(), "");
}

//! `/login`: residents and enterprise users log in with their phone and an SMS code.

use api::account::{CodeSent, LoginMethods, SendCode, VerifyCode};
use api::text::fill;
use api::Mobile;
use leptos::prelude::*;

use crate::alerts;
use crate::api_client::{self, ApiFailure};
use crate::components::field::{FieldError, FieldInput};
use crate::format;
use crate::load::{load, spawn_request, Put};
use crate::prefs::{tr, use_prefs, use_title};
use crate::route::Route;
use crate::router::Link;
use crate::session::{self, use_auth};

/// Shows a refusal under the field it names (the phone; the code, where the step has one), and
/// any other in the alert region.
fn refused(
    e: ApiFailure,
    m: &'static crate::i18n::Messages,
    phone: RwSignal<Option<String>>,
    code: Option<RwSignal<Option<String>>>,
    page: alerts::Page,
) {
    match (e.field(), code) {
        (Some("phone"), _) => phone.put(Some(e.message(m))),
        (Some("code"), Some(code)) => code.put(Some(e.message(m))),
        _ => page.show(e),
    }
}

/// The phone login page; `binding` when a first WeChat login waits for this phone
/// verification to bind it.
#[component]
pub fn Login(binding: bool) -> impl IntoView {
    let prefs = use_prefs();
    let auth = use_auth();
    use_title(|m| m.login.title);
    let phone = RwSignal::new(String::new());
    let code = RwSignal::new(String::new());
    let sent = RwSignal::new(None::<CodeSent>);
    let phone_error = RwSignal::new(None::<String>);
    let code_error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    // Seconds before another code may be asked for.
    let wait = RwSignal::new(0u32);
    // WeChat's own browser (not a mini-program's web-view, where the mini-program logs in with
    // a ticket) may log in with WeChat, when the server says it can.
    let in_wechat_browser = window()
        .navigator()
        .user_agent()
        .is_ok_and(|ua| ua.contains("MicroMessenger") && !ua.contains("miniProgram"));
    let methods = load::<LoginMethods>(|| Some(api_client::login_methods()));
    let offers = move |pick: fn(&LoginMethods) -> bool| {
        methods.get().and_then(Result::ok).is_some_and(|m| pick(&m))
    };
    // No SMS gateway: the phone form cannot work, so it is not offered.
    let sms_off = move || methods.get().is_some() && !offers(|m| m.sms);

    let send = move |_| {
        let m = prefs.t();
        let parsed = match Mobile::parse(&phone.get_untracked()) {
            Ok(p) => p,
            Err(e) => return phone_error.put(Some(format::validation(m, e))),
        };
        phone_error.put(None);
        busy.put(true);
        let page = alerts::page();
        spawn_request(
            api_client::send_code(&SendCode { phone: parsed }),
            move |answer, m| {
                match answer {
                    Ok(s) => {
                        wait.put(s.resend_after_seconds);
                        sent.put(Some(s));
                        count_down(wait);
                    }
                    Err(e) => refused(e, m, phone_error, None, page),
                }
                busy.put(false);
            },
        );
    };

    let verify = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let m = prefs.t();
        let parsed = match Mobile::parse(&phone.get_untracked()) {
            Ok(p) => p,
            Err(e) => return phone_error.put(Some(format::validation(m, e))),
        };
        let body = VerifyCode {
            phone: parsed,
            code: code.get_untracked().trim().to_owned(),
        };
        busy.put(true);
        code_error.put(None);
        let page = alerts::page();
        let call = api_client::verify_code(&body);
        let m = call.locale().messages();
        leptos::task::spawn_local(async move {
            if let Err(e) = session::log_in(auth, call).await {
                refused(e, m, phone_error, Some(code_error), page);
            }
            busy.put(false);
        });
    };

    view! {
        <h1 class="page-title">{tr(|m| m.login.title)}</h1>
        <p class="lead">{tr(|m| m.login.intro)}</p>
        {binding.then(|| view! { <p class="demo-hint" role="status">{tr(|m| m.login.wechat_bind)}</p> })}
        {move || (in_wechat_browser && !binding && offers(|m| m.wechat_browser)).then(|| view! {
            <p><a class="button primary" href=api_client::wechat_login_url(&Route::Me.path()) data-test="wechat-login">{tr(|m| m.login.wechat_button)}</a></p>
        })}
        {move || sms_off().then(|| view! {
            <p class="panel" role="status" data-test="sms-unavailable">{tr(|m| m.login.sms_unavailable)}</p>
        })}
        <form class="panel form" on:submit=verify novalidate data-methods=move || if methods.get().is_some() { "loaded" } else { "loading" } hidden=sms_off>
            <label for="phone">{tr(|m| m.login.phone)}</label>
            <p class="hint" id="phone-hint">{tr(|m| m.login.phone_hint)}</p>
            <div class="row">
                <FieldInput id="phone" value=phone error=phone_error attr:r#type="tel" attr:inputmode="numeric" attr:autocomplete="tel" />
                <button
                    type="button"
                    class="button"
                    data-test="send-code"
                    on:click=send
                    disabled=move || busy.get() || (wait.get() != 0)
                >
                    {tr(|m| m.login.send_code)}
                </button>
            </div>
            <FieldError id="phone" error=phone_error />
            <p class="hint" role="status">
                {move || {
                    let m = prefs.t();
                    sent.get()
                        .map(|s| {
                            let mut text = fill(m.login.code_sent, &[("phone", &s.phone)]);
                            if wait.get() > 0 {
                                text.push(' ');
                                text.push_str(&fill(m.login.resend_in, &[("seconds", &wait.get().to_string())]));
                            }
                            text
                        })
                }}
            </p>
            {move || {
                sent.get()
                    .and_then(|s| s.demo_code)
                    .map(|c| view! { <p class="demo-hint" data-test="demo-code">{fill(prefs.t().login.demo_code, &[("code", &c)])}</p> })
            }}
            <label for="code">{tr(|m| m.login.code)}</label>
            <p class="hint" id="code-hint">{tr(|m| m.login.code_hint)}</p>
            <FieldInput id="code" value=code error=code_error attr:inputmode="numeric" attr:autocomplete="one-time-code" attr:maxlength="6" />
            <FieldError id="code" error=code_error />
            <button type="submit" class="button primary" data-test="login" disabled=move || busy.get()>
                {tr(|m| m.login.submit)}
            </button>
        </form>
        <p>
            <Link to=Route::StaffLogin>{tr(|m| m.login.staff_link)}</Link>
        </p>
    }
}

/// Counts `wait` down to zero, a second at a time; stops when the page is gone (the person
/// logged in or moved on), whose signal is then disposed.
fn count_down(wait: RwSignal<u32>) {
    gloo_timers::callback::Timeout::new(1_000, move || {
        let Some(now) = wait.try_get_untracked() else {
            return;
        };
        let left = now.saturating_sub(1);
        wait.put(left);
        if left > 0 {
            count_down(wait);
        }
    })
    .forget();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Locale;

    fn refusal(field: Option<&str>) -> ApiFailure {
        ApiFailure::Server(api::ErrorBody {
            code: api::ErrorCode::InvalidField,
            field: field.map(str::to_owned),
            message: "不对".to_owned(),
        })
    }

    #[test]
    fn a_refusal_goes_under_the_field_it_names_and_nowhere_else() {
        let m = Locale::ZhCn.messages();
        let page = alerts::page();
        let phone = RwSignal::new(None::<String>);
        let code = RwSignal::new(None::<String>);
        refused(refusal(Some("phone")), m, phone, Some(code), page);
        assert_eq!(phone.get_untracked().as_deref(), Some("不对"));
        assert_eq!(code.get_untracked(), None);

        phone.set(None);
        refused(refusal(Some("code")), m, phone, Some(code), page);
        assert_eq!(code.get_untracked().as_deref(), Some("不对"));
        assert_eq!(phone.get_untracked(), None);

        // A step without a code field, or a refusal naming no field: neither field shows it
        // (it goes to the alert region).
        code.set(None);
        refused(refusal(Some("code")), m, phone, None, page);
        refused(refusal(None), m, phone, Some(code), page);
        refused(ApiFailure::Network, m, phone, Some(code), page);
        assert_eq!((phone.get_untracked(), code.get_untracked()), (None, None));
    }
}

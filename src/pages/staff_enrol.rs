//! `/staff/enrol?t=…`: a new staff member's one-time link. They add the authenticator (a QR
//! code, or the secret typed), choose a password, type the first code; then they see their
//! recovery codes, once, and go on signed in. In the small public bundle: nobody is signed in
//! yet.

use api::account::{
    EnrolmentDone, EnrolmentFinish, EnrolmentStart, EnrolmentToken, STAFF_PASSWORD_MIN,
};
use api::text::fill;
use leptos::prelude::*;

use crate::api_client;
use crate::components::field::{FieldError, FieldInput};
use crate::load::{load, show, spawn_request, Put};
use crate::prefs::{tr, use_prefs, use_title};
use crate::route::Route;

#[component]
pub fn EnrolPage(token: Option<String>) -> impl IntoView {
    use_title(|m| m.enrol.title);
    let Some(token) = token.filter(|t| !t.is_empty()) else {
        return view! {
            <h1 class="page-title">{tr(|m| m.enrol.title)}</h1>
            <p class="panel" data-test="enrol-incomplete">{tr(|m| m.enrol.incomplete)}</p>
        }
        .into_any();
    };
    let body = EnrolmentToken {
        token: token.clone(),
    };
    // Opened once: each opening makes a new secret.
    let started = load::<EnrolmentStart>(move || Some(api_client::enrolment_start(&body)));
    let done = RwSignal::new(None::<EnrolmentDone>);
    view! {
        <h1 class="page-title">{tr(|m| m.enrol.title)}</h1>
        {move || match done.get() {
            Some(d) => view! { <RecoveryCodes codes=d.recovery_codes /> }.into_any(),
            None => {
                let token = token.clone();
                show(started, move |s: EnrolmentStart| {
                    view! { <Enrol start=s token=token.clone() done /> }
                })
                .into_any()
            }
        }}
    }
    .into_any()
}

/// The three steps: authenticator, password, first code.
#[component]
fn Enrol(
    start: EnrolmentStart,
    token: String,
    done: RwSignal<Option<EnrolmentDone>>,
) -> impl IntoView {
    let prefs = use_prefs();
    let password = RwSignal::new(String::new());
    let again = RwSignal::new(String::new());
    let code = RwSignal::new(String::new());
    let password_error = RwSignal::new(None::<String>);
    let again_error = RwSignal::new(None::<String>);
    let code_error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let m = prefs.t();
        password_error.put(None);
        again_error.put(None);
        code_error.put(None);
        let typed = password.get_untracked();
        if typed.chars().count() < STAFF_PASSWORD_MIN {
            let min = STAFF_PASSWORD_MIN.to_string();
            return password_error.put(Some(fill(m.validation.password_short, &[("min", &min)])));
        }
        if typed != again.get_untracked() {
            return again_error.put(Some(m.enrol.mismatch.to_owned()));
        }
        let body = EnrolmentFinish {
            token: token.clone(),
            password: typed,
            totp: code.get_untracked().trim().to_owned(),
        };
        busy.put(true);
        let page = crate::alerts::page();
        spawn_request(api_client::enrolment_finish(&body), move |answer, m| {
            match answer {
                Ok(d) => done.put(Some(d)),
                Err(e) => match e.field() {
                    Some("password") => password_error.put(Some(e.message(m))),
                    Some("totp") => code_error.put(Some(e.message(m))),
                    _ => page.show(e),
                },
            }
            busy.put(false);
        });
    };
    let secret = start
        .secret
        .as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ");
    let hello = move || {
        fill(
            prefs.t().enrol.hello,
            &[("name", &start.display_name), ("username", &start.username)],
        )
    };
    view! {
        <p class="lead" data-test="enrol-hello">{hello}</p>
        <form class="panel form" on:submit=submit novalidate>
            <h2>{tr(|m| m.enrol.step_app)}</h2>
            <p>{tr(|m| m.enrol.step_app_intro)}</p>
            <div class="qr" role="img" aria-label=move || prefs.t().enrol.qr_label inner_html=start.qr_svg></div>
            <p class="hint">{tr(|m| m.enrol.secret_intro)}</p>
            <p><code class="secret" data-test="enrol-secret">{secret}</code></p>
            <h2>{tr(|m| m.enrol.step_password)}</h2>
            <label for="password">{tr(|m| m.enrol.password)}</label>
            <p class="hint" id="password-hint">{move || fill(prefs.t().enrol.password_hint, &[("min", &STAFF_PASSWORD_MIN.to_string())])}</p>
            <FieldInput id="password" value=password error=password_error attr:r#type="password" attr:autocomplete="new-password" />
            <FieldError id="password" error=password_error />
            <label for="again">{tr(|m| m.enrol.again)}</label>
            <p class="hint" id="again-hint">{tr(|m| m.enrol.again_hint)}</p>
            <FieldInput id="again" value=again error=again_error attr:r#type="password" attr:autocomplete="new-password" />
            <FieldError id="again" error=again_error />
            <h2>{tr(|m| m.enrol.step_code)}</h2>
            <label for="totp">{tr(|m| m.enrol.code)}</label>
            <p class="hint" id="totp-hint">{tr(|m| m.enrol.code_hint)}</p>
            <FieldInput id="totp" value=code error=code_error attr:inputmode="numeric" attr:autocomplete="one-time-code" attr:maxlength="6" />
            <FieldError id="totp" error=code_error />
            <button type="submit" class="button primary" data-test="enrol-finish" disabled=move || busy.get()>
                {tr(|m| m.enrol.finish)}
            </button>
        </form>
    }
}

/// The recovery codes, shown this once, and the way on.
#[component]
fn RecoveryCodes(codes: Vec<String>) -> impl IntoView {
    view! {
        <section class="panel" aria-labelledby="recovery-title">
            <h2 id="recovery-title">{tr(|m| m.enrol.done_title)}</h2>
            <p>{tr(|m| m.enrol.recovery_intro)}</p>
            <ul class="recovery-codes" data-test="recovery-codes">
                {codes.into_iter().map(|c| view! { <li><code>{c}</code></li> }).collect_view()}
            </ul>
            // Signed in now: the signed-in pages are another bundle, loaded afresh.
            <p><a class="button primary" href=Route::Me.path() target="_self" data-test="enrol-continue">{tr(|m| m.enrol.continue_to)}</a></p>
        </section>
    }
}

//! The public 一照通 pages, for visitors too: `/track` (an application's progress by its number
//! and phone, live) and `/verify?t=` (what a scanned licence QR code is worth).

use api::licence::{TrackRequest, Tracking, Verdict, Verification};
use api::text::fill;
use leptos::prelude::*;

use super::{countdown, permit_names, stage_badge, time_used, timeline, validity};
use crate::api_client::{self, LiveStream};
use crate::format;
use crate::load::{load, show, spawn_request, Put};
use crate::prefs::{pick, tr, use_prefs, use_title};

/// `/track`.
#[component]
pub fn TrackPage() -> impl IntoView {
    let prefs = use_prefs();
    use_title(|m| m.licence.track_title);
    let number = RwSignal::new(String::new());
    let phone = RwSignal::new(String::new());
    let found = RwSignal::new(None::<Tracking>);
    // A refusal that names the number or the phone, shown under it (any other shows in the
    // alert region).
    let error = RwSignal::new(None::<(String, String)>);
    let updated = RwSignal::new(false);
    let stream: StoredValue<Option<LiveStream>, LocalStorage> = StoredValue::new_local(None);
    // The stream's callback asks again through this counter (see the effect below).
    let again = RwSignal::new(0u32);
    let ask_again = move || {
        again.try_update(|n| *n += 1);
    };
    let watch = RwSignal::new(None::<String>);
    // The form's question: by number and phone; the answer carries a token for live updates.
    let ask = move || {
        let body = TrackRequest {
            number: number.get_untracked().trim().to_owned(),
            phone: phone.get_untracked(),
        };
        let page = crate::alerts::page();
        spawn_request(api_client::track(&body), move |answer, m| match answer {
            Ok(t) => {
                error.put(None);
                page.clear();
                let watch_token = t.watch.clone();
                found.put(Some(t));
                let s = api_client::track_events(&watch_token).subscribe(ask_again);
                let _ = stream.try_set_value(s);
                watch.put(Some(watch_token));
            }
            Err(e) => {
                found.put(None);
                match e.field() {
                    Some(field @ ("number" | "phone")) => {
                        error.put(Some((field.to_owned(), e.message(m))))
                    }
                    _ => {
                        error.put(None);
                        page.show(e);
                    }
                }
            }
        });
    };
    // When the stream says it moved: the application again, by its token.
    Effect::new(move |previous: Option<u32>| {
        let n = again.get();
        if let (Some(_), Some(token)) = (previous, watch.get_untracked()) {
            spawn_request(api_client::tracked(&token), move |answer, _| {
                if let Ok(t) = answer {
                    found.put(Some(t));
                    updated.put(true);
                }
            });
        }
        n
    });
    let field_error =
        move |field: &'static str| move || error.get().and_then(|(f, m)| (f == field).then_some(m));
    view! {
        <h1 class="page-title">{tr(|m| m.licence.track_title)}</h1>
        <p class="lead">{tr(|m| m.licence.track_intro)}</p>
        <form class="panel form" data-test="track-form" on:submit=move |ev| { ev.prevent_default(); ask(); }>
            <div class="field">
                <label for="track-number">{tr(|m| m.licence.track_number)}</label>
                <input id="track-number" autocomplete="off" placeholder="YZT-20261129-00001" required
                    aria-describedby="track-number-error" on:input=move |ev| number.set(event_target_value(&ev)) />
                <p class="field-error" id="track-number-error" role="alert">{field_error("number")}</p>
            </div>
            <div class="field">
                <label for="track-phone">{tr(|m| m.licence.track_phone)}</label>
                <input id="track-phone" type="tel" inputmode="tel" autocomplete="tel" required
                    aria-describedby="track-phone-error" on:input=move |ev| phone.set(event_target_value(&ev)) />
                <p class="field-error" id="track-phone-error" role="alert">{field_error("phone")}</p>
            </div>
            <p><button class="button primary" type="submit" data-test="track">{tr(|m| m.licence.track_submit)}</button></p>
        </form>
        <p class="visually-hidden" role="status" aria-live="polite">{move || updated.get().then(|| tr(|m| m.licence.updated)())}</p>
        {move || found.get().map(|t| {
            let permits = t.permits.clone();
            let promised = t.promised_days;
            view! {
                <section class="panel" aria-labelledby="tracked-title" data-test="tracking">
                    <h2 id="tracked-title">{t.number.clone()}</h2>
                    <p>{stage_badge(t.stage)}" "<span class="hint">{move || permit_names(prefs.locale.get(), &permits)}</span></p>
                    <p class="hint">{move || fill(prefs.t().licence.promised, &[("days", &promised.to_string())])}</p>
                    {countdown(t.working_days_left, t.deadline.clone())}
                    {time_used(t.working_days_used, promised)}
                    {(!t.to_fix.is_empty()).then(|| view! {
                        <h3>{tr(|m| m.licence.todo_title)}</h3>
                        <ul class="returned-items">{t.to_fix.iter().map(|i| view! { <li>{i.reason.clone()}</li> }).collect_view()}</ul>
                    })}
                    <h3>{tr(|m| m.licence.timeline_title)}</h3>
                    {timeline(t.steps.clone())}
                </section>
            }
        })}
    }
}

fn verdict_text(m: &'static crate::i18n::Messages, v: Verdict) -> &'static str {
    match v {
        Verdict::Valid => m.licence.verify_valid,
        Verdict::Revoked => m.licence.verify_revoked,
        Verdict::Expired => m.licence.verify_expired,
        Verdict::Forged => m.licence.verify_forged,
    }
}

/// `/verify?t=…`; `token` is the QR code's.
#[component]
pub fn VerifyPage(token: Option<String>) -> impl IntoView {
    let prefs = use_prefs();
    use_title(|m| m.licence.verify_title);
    let has_token = token.is_some();
    let result = load::<Verification>(move || token.as_deref().map(api_client::verify));
    let checked_at = js_sys::Date::now() as i64;
    view! {
        <h1 class="page-title">{tr(|m| m.licence.verify_title)}</h1>
        {(!has_token).then(|| view! { <p class="panel">{tr(|m| m.licence.verify_missing)}</p> })}
        {has_token.then(|| show(result, move |v: Verification| {
            let verdict = v.verdict;
            // The headline says what a scanner needs to know: whether the licence stands, and
            // whether every permit it carries does too (each permit's own state is below).
            let (class, mark, words): (&str, &str, crate::prefs::Key) = match (verdict, v.all_permits_valid) {
                (Verdict::Valid, true) => ("valid", "✓ ", |m| m.licence.verify_all_valid),
                (Verdict::Valid, false) => ("partial", "! ", |m| m.licence.verify_some_not_valid),
                (Verdict::Revoked, _) => ("revoked", "✗ ", |m| m.licence.verify_licence_revoked),
                (Verdict::Expired, _) => ("expired", "✗ ", |m| m.licence.verify_licence_expired),
                (Verdict::Forged, _) => ("forged", "✗ ", |m| m.licence.verify_forged),
            };
            let not_valid: Vec<_> = v.permits.iter().filter(|p| p.verdict != Verdict::Valid).map(|p| (p.name.clone(), p.verdict)).collect();
            view! {
                <section class=format!("panel verdict verdict-{class}") data-test="verdict" data-verdict=verdict.as_str() data-all-valid=v.all_permits_valid.to_string() role="status">
                    <p class="verdict-word">
                        <span aria-hidden="true">{mark}</span>
                        {tr(words)}
                    </p>
                    {(verdict == Verdict::Valid && !not_valid.is_empty()).then(|| view! {
                        <ul class="verdict-exceptions" data-test="not-valid-permits">
                            {not_valid.into_iter().map(|(name, verdict)| view! {
                                <li>{move || { let m = prefs.t(); fill(m.licence.verify_permit_state, &[("permit", &pick(prefs.locale.get(), &name)), ("state", verdict_text(m, verdict))]) }}</li>
                            }).collect_view()}
                        </ul>
                    })}
                    {v.business_name.clone().map(|n| view! { <p class="amount">{n}</p> })}
                    <dl class="licence-fields">
                        {v.uscc.clone().map(|u| view! { <dt>{tr(|m| m.licence.uscc)}</dt><dd>{u}</dd> })}
                        {v.number.clone().map(|n| view! { <dt>{tr(|m| m.licence.licence_number)}</dt><dd>{n}</dd> })}
                        {v.issued_on.map(|d| view! { <dt>{tr(|m| m.licence.issued)}</dt><dd>{move || format::date(prefs.t(), d)}</dd> })}
                    </dl>
                    <p class="hint">{move || { let m = prefs.t(); fill(m.licence.verify_checked_at, &[("time", &format::datetime(m, checked_at))]) }}</p>
                </section>
                {(!v.permits.is_empty()).then(|| view! {
                    <section class="panel" aria-labelledby="verified-permits">
                        <h2 id="verified-permits">{tr(|m| m.licence.permits_title)}</h2>
                        <ul class="rows" data-test="verified-permits">
                            {v.permits.into_iter().map(|p| {
                                let name = p.name.clone();
                                let verdict = p.verdict;
                                let (from, to) = (p.valid_from, p.valid_to);
                                view! {
                                    <li class="row-item" data-permit=p.code.clone() data-verdict=verdict.as_str()>
                                        <div>
                                            <strong>{move || pick(prefs.locale.get(), &name)}</strong>
                                            <p class="hint">{p.number.clone()}" · "{move || validity(prefs.t(), from, to)}</p>
                                        </div>
                                        <span class=format!("badge verdict-{}", verdict.as_str())>{move || verdict_text(prefs.t(), verdict)}</span>
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                    </section>
                })}
            }
        }))}
    }
}

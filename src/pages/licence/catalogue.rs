//! `/staff/licences/catalogue` (policy administrators): the permit catalogue, edited permit by
//! permit (names, authority, on-site check or commitment, promised and statutory days,
//! validity, scope words, materials). Each save is a new version; applications already started
//! keep theirs.

use api::licence::{Catalogue, OnSite};
use api::text::fill;
use leptos::prelude::*;

use crate::api_client;
use crate::load::{load, show, spawn_request, Put};
use crate::prefs::{pick, tr, use_prefs, use_title};
use crate::route::Route;
use crate::router::Link;

#[component]
pub fn CataloguePage() -> impl IntoView {
    let prefs = use_prefs();
    use_title(|m| m.licence.catalogue_title);
    let loaded = load::<Catalogue>(|| Some(api_client::catalogue()));
    let draft = RwSignal::new(None::<Catalogue>);
    Effect::new(move || {
        if let Some(Ok(c)) = loaded.get() {
            draft.set(Some(c));
        }
    });
    // The version just saved, or why the JSON typed below does not read (what the server
    // refuses shows in the alert region).
    let message = RwSignal::new(None::<(bool, String)>);
    let save = move |_| {
        let Some(c) = draft.get_untracked() else {
            return;
        };
        let page = crate::alerts::page();
        spawn_request(
            api_client::save_catalogue(&c),
            move |answer, m| match answer {
                Ok(saved) => {
                    let text = fill(
                        m.licence.catalogue_saved,
                        &[("version", &saved.version.to_string())],
                    );
                    page.clear();
                    draft.put(Some(saved));
                    message.put(Some((true, text)));
                }
                Err(e) => {
                    message.put(None);
                    page.show(e);
                }
            },
        );
    };
    // Edits one permit of the draft.
    let edit = move |i: usize, f: Box<dyn Fn(&mut api::licence::Permit)>| {
        draft.update(|d| {
            if let Some(p) = d.as_mut().and_then(|d| d.permits.get_mut(i)) {
                f(p);
            }
        });
    };
    // The whole catalogue as JSON (questions and business types too) into the draft.
    let from_json = move |ev: leptos::ev::Event| match serde_json::from_str::<Catalogue>(
        &event_target_value(&ev),
    ) {
        Ok(c) => {
            message.set(None);
            draft.set(Some(c));
        }
        Err(e) => message.set(Some((
            false,
            fill(
                prefs.t().licence.catalogue_json_error,
                &[("reason", &e.to_string())],
            ),
        ))),
    };
    view! {
        <p><Link to=Route::Workbench(None)>{tr(|m| m.licence.workbench_title)}</Link></p>
        <h1 class="page-title">{tr(|m| m.licence.catalogue_title)}</h1>
        <p class="lead">{tr(|m| m.licence.catalogue_intro)}</p>
        {show(loaded, move |c: Catalogue| {
            let materials = c.materials.clone();
            view! {
                <p class="hint" data-test="catalogue-version">{move || fill(prefs.t().licence.catalogue_version, &[("version", &draft.get().map(|d| d.version).unwrap_or(c.version).to_string())])}</p>
                {c.permits.into_iter().enumerate().map(|(i, p)| {
                    let id = |f: &str| format!("permit-{i}-{f}");
                    let name = p.name.clone();
                    let materials = materials.clone();
                    let number = move |f: fn(&mut api::licence::Permit, u32)| move |ev| {
                        if let Ok(v) = event_target_value(&ev).trim().parse::<u32>() {
                            edit(i, Box::new(move |p| f(p, v)));
                        }
                    };
                    view! {
                        <section class="panel" data-permit=p.code.clone()>
                            <h2>{move || pick(prefs.locale.get(), &name)}</h2>
                            <div class="field">
                                <label for=id("zh")>{tr(|m| m.licence.catalogue_name_zh)}</label>
                                <input id=id("zh") value=p.name.zh_cn.clone() on:change=move |ev| { let v = event_target_value(&ev); edit(i, Box::new(move |p| p.name.zh_cn = v.clone())); } />
                            </div>
                            <div class="field">
                                <label for=id("en")>{tr(|m| m.licence.catalogue_name_en)}</label>
                                <input id=id("en") value=p.name.en.clone() on:change=move |ev| { let v = event_target_value(&ev); edit(i, Box::new(move |p| p.name.en = v.clone())); } />
                            </div>
                            <div class="field">
                                <label for=id("authority")>{tr(|m| m.licence.authority)}</label>
                                <input id=id("authority") value=p.authority.zh_cn.clone() on:change=move |ev| { let v = event_target_value(&ev); edit(i, Box::new(move |p| p.authority.zh_cn = v.clone())); } />
                            </div>
                            <div class="field">
                                <label for=id("on-site")>{tr(|m| m.licence.catalogue_on_site)}</label>
                                <select id=id("on-site") on:change=move |ev| {
                                    if let Some(v) = OnSite::parse(&event_target_value(&ev)) { edit(i, Box::new(move |p| p.on_site = v)); }
                                }>
                                    {OnSite::ALL.iter().map(|o| {
                                        let o = *o;
                                        view! { <option value=o.as_str() selected=o == p.on_site>{move || { let t = &prefs.t().licence; match o { OnSite::None => t.on_site_none, OnSite::CommitmentAllowed => t.on_site_commitment, OnSite::Required => t.on_site_required } }}</option> }
                                    }).collect_view()}
                                </select>
                            </div>
                            <div class="field">
                                <label for=id("promised")>{tr(|m| m.licence.catalogue_promised)}</label>
                                <input id=id("promised") inputmode="numeric" value=p.promised_days.to_string() on:change=number(|p, v| p.promised_days = v) />
                            </div>
                            <div class="field">
                                <label for=id("statutory")>{tr(|m| m.licence.catalogue_statutory)}</label>
                                <input id=id("statutory") inputmode="numeric" value=p.statutory_days.to_string() on:change=number(|p, v| p.statutory_days = v) />
                            </div>
                            <div class="field">
                                <label for=id("years")>{tr(|m| m.licence.catalogue_years)}</label>
                                <input id=id("years") inputmode="numeric" value=p.valid_years.to_string() on:change=number(|p, v| p.valid_years = v) />
                            </div>
                            <div class="field">
                                <label for=id("scope")>{tr(|m| m.licence.catalogue_scope)}</label>
                                <input id=id("scope") value=p.scope_keywords.join("，") on:change=move |ev| {
                                    let words: Vec<String> = event_target_value(&ev).split(['，', ',', '、']).map(|w| w.trim().to_owned()).filter(|w| !w.is_empty()).collect();
                                    edit(i, Box::new(move |p| p.scope_keywords = words.clone()));
                                } />
                            </div>
                            <fieldset class="choice field">
                                <legend>{tr(|m| m.licence.catalogue_materials)}</legend>
                                {materials.into_iter().map(|m| {
                                    let code = m.code.clone();
                                    let checked = p.materials.contains(&code);
                                    let mname = m.name.clone();
                                    view! {
                                        <label class="option">
                                            <input type="checkbox" checked=checked on:change=move |ev| {
                                                let on = event_target_checked(&ev);
                                                let code = code.clone();
                                                edit(i, Box::new(move |p| {
                                                    p.materials.retain(|c| *c != code);
                                                    if on { p.materials.push(code.clone()); }
                                                }));
                                            } />
                                            " " {move || pick(prefs.locale.get(), &mname)}
                                        </label>
                                    }
                                }).collect_view()}
                            </fieldset>
                        </section>
                    }
                }).collect_view()}
            }
        })}
        <details class="panel">
            <summary>{tr(|m| m.licence.catalogue_json)}</summary>
            <p class="hint" id="catalogue-json-hint">{tr(|m| m.licence.catalogue_json_hint)}</p>
            <label class="visually-hidden" for="catalogue-json">{tr(|m| m.licence.catalogue_json)}</label>
            <textarea id="catalogue-json" rows="16" class="code" aria-describedby="catalogue-json-hint"
                prop:value=move || draft.get().and_then(|d| serde_json::to_string_pretty(&d).ok()).unwrap_or_default()
                on:change=from_json></textarea>
        </details>
        {move || message.get().map(|(ok, text)| view! { <p class=if ok { "hint" } else { "field-error" } role="alert" data-test="catalogue-message">{text}</p> })}
        <p><button class="button primary" data-test="save-catalogue" on:click=save>{tr(|m| m.licence.catalogue_save)}</button></p>
    }
}

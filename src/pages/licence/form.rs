//! The form: `/licences/{id}/{section}` (one section's questions, saved as they are answered;
//! or the materials, uploaded one by one) and `/licences/{id}/check` (check your answers, then
//! submit).

use std::collections::BTreeMap;

use api::licence::{Action, Application, FieldKind, FieldProblem, MaterialNeed, Question, Stage};
use api::text::fill;
use leptos::prelude::*;
use leptos::task::spawn_local;

use super::apply::{size_text, take_step};
use super::permit_names;
use crate::alerts;
use crate::api_client;
use crate::load::{load, show, spawn_request, Put};
use crate::prefs::{pick, tr, use_prefs, use_title};
use crate::route::Route;
use crate::router::{use_navigate, Link};

const MAX_UPLOAD: f64 = api::licence::MAX_UPLOAD_BYTES as f64;

pub(crate) fn field_id(key: &str) -> String {
    format!("field-{}", key.replace('.', "-"))
}

/// Saves answers one request at a time, in the order they were given: changes made while a
/// save is under way wait and go in the next one, so a later answer is never overwritten by an
/// earlier one. A finish (go back to the task list) runs once everything given is saved.
///
/// What is still to send lives outside the page ([`QUEUES`], one queue per application): an
/// answer given just before the person leaves the section (its `change` fires as they tap back
/// or a tab) is still sent, after the saves before it, and a section opened again joins the same
/// queue. The page's signals only show how saving goes, and are left alone once it is gone; a
/// failed save shows in the alert region while the page is on screen.
#[derive(Clone, Copy)]
struct Saver {
    id: i64,
    finish: StoredValue<Option<Box<dyn Fn()>>, LocalStorage>,
    problems: RwSignal<Vec<FieldProblem>>,
    saved: RwSignal<Option<String>>,
    page: alerts::Page,
}

/// One application's answers not yet sent, and whether a save of them is under way.
struct Queue {
    pending: BTreeMap<String, String>,
    busy: bool,
    /// The page that gave the latest answers: it hears how the saves went.
    to: Saver,
    /// The language of the latest answers: the saves ask in it.
    locale: crate::i18n::Locale,
}

thread_local! {
    static QUEUES: std::cell::RefCell<BTreeMap<i64, Queue>> =
        const { std::cell::RefCell::new(BTreeMap::new()) };
}

impl Saver {
    fn save(self, answers: BTreeMap<String, String>, finish: Option<Box<dyn Fn()>>) {
        if finish.is_some() {
            let _ = self.finish.try_set_value(finish);
        }
        let locale = crate::prefs::locale_now();
        let start = QUEUES.with_borrow_mut(|queues| {
            let queue = queues.entry(self.id).or_insert_with(|| Queue {
                pending: BTreeMap::new(),
                busy: false,
                to: self,
                locale,
            });
            queue.pending.extend(answers);
            queue.to = self;
            queue.locale = locale;
            // The save under way sends these next (no await between its last look and its end).
            !std::mem::replace(&mut queue.busy, true)
        });
        self.saved
            .put(Some(locale.messages().licence.saving.to_owned()));
        if start {
            spawn_local(send_answers(self.id));
        }
    }
}

/// Sends the queue of application `id`, a batch at a time, until it is empty or a save fails.
/// It may run on after the page is gone: it reads no signal and no context, and writes only
/// with `put` and `try_` methods.
async fn send_answers(id: i64) {
    loop {
        // The next batch; an empty one ends the save, and the queue goes with it (no await in
        // between: an answer given later finds no save under way and starts one).
        let Some((batch, to, locale)) = QUEUES.with_borrow_mut(|queues| {
            let queue = queues.get_mut(&id)?;
            let next = (std::mem::take(&mut queue.pending), queue.to, queue.locale);
            if next.0.is_empty() {
                queues.remove(&id);
            }
            Some(next)
        }) else {
            return;
        };
        if batch.is_empty() {
            // Everything given is saved: the finish asked for, unless its page is gone.
            if let Some(finish) = to.finish.try_update_value(Option::take).flatten() {
                finish();
            }
            return;
        }
        let answer = api_client::save_answers(id, &batch).in_locale(locale).await;
        // Tell the page that gave the latest answers (the section may have been opened again).
        let to = QUEUES
            .with_borrow(|queues| queues.get(&id).map(|queue| queue.to))
            .unwrap_or(to);
        let m = locale.messages();
        match answer {
            Ok(a) => {
                to.problems.put(a.problems);
                to.saved.put(Some(fill(
                    m.licence.saved_at,
                    &[("time", &crate::format::stamp(m, &a.updated_at))],
                )));
                to.page.clear();
            }
            Err(e) => {
                to.saved.put(None);
                to.page.show(e);
                // Answers given meanwhile wait for the next save; the finish is dropped (the
                // person sees why and saves again).
                QUEUES.with_borrow_mut(|queues| {
                    if let Some(queue) = queues.get_mut(&id) {
                        queue.busy = false;
                        if queue.pending.is_empty() {
                            queues.remove(&id);
                        }
                    }
                });
                let _ = to.finish.try_set_value(None);
                return;
            }
        }
    }
}

/// One question: its input, hint and (reactive) problem.
pub(crate) fn question(
    q: Question,
    value: String,
    values: RwSignal<BTreeMap<String, String>>,
    problems: RwSignal<Vec<FieldProblem>>,
    on_change: impl Fn(String, String) + Clone + Send + Sync + 'static,
) -> impl IntoView {
    let prefs = use_prefs();
    let id = field_id(&q.key);
    let error_id = format!("{id}-error");
    let hint_id = format!("{id}-hint");
    let key = q.key.clone();
    let problem_key = q.key.clone();
    let problem = move || {
        problems
            .get()
            .into_iter()
            .find(|p| p.field == problem_key)
            .map(|p| p.message)
    };
    let label = q.label.clone();
    let hint = q.hint.clone();
    let has_hint = hint.is_some();
    let described = move || {
        let mut ids = Vec::new();
        if has_hint {
            ids.push(hint_id.clone());
        }
        ids.push(error_id.clone());
        ids.join(" ")
    };
    let required = q.required;
    let hint_view = hint.map(|h| {
        let hid = format!("{id}-hint");
        view! { <p class="hint" id=hid>{move || pick(prefs.locale.get(), &h)}</p> }
    });
    let error_view = {
        let eid = format!("{id}-error");
        let problem = problem.clone();
        view! { <p class="field-error" id=eid role="alert">{problem}</p> }
    };
    let invalid = {
        let problem = problem.clone();
        move || problem().is_some().then_some("true")
    };
    let input_key = key.clone();
    let on_input = move |ev| {
        let v = event_target_value(&ev);
        values.update(|m| {
            m.insert(input_key.clone(), v);
        });
    };
    let change_key = key.clone();
    let changed = on_change.clone();
    let on_blur_change = move |ev| changed(change_key.clone(), event_target_value(&ev));
    let optional = move || {
        (!required).then(|| view! { " " <span class="hint">{tr(|m| m.licence.optional)}</span> })
    };
    match q.kind {
        FieldKind::Choice => {
            let options = q.options.clone();
            view! {
                <fieldset class="field choice" data-field=key.clone() aria-describedby=described>
                    <legend>{move || pick(prefs.locale.get(), &label)}{optional}</legend>
                    {hint_view}
                    {options.into_iter().map(|o| {
                        let checked = o.value == value;
                        let (v, l) = (o.value.clone(), o.label.clone());
                        let name = id.clone();
                        let k = key.clone();
                        let on_change = on_change.clone();
                        view! {
                            <label class="option">
                                <input type="radio" name=name value=v.clone() checked=checked
                                    on:change=move |_| {
                                        values.update(|m| { m.insert(k.clone(), v.clone()); });
                                        on_change(k.clone(), v.clone());
                                    } />
                                " " {move || pick(prefs.locale.get(), &l)}
                            </label>
                        }
                    }).collect_view()}
                    {error_view}
                </fieldset>
            }
            .into_any()
        }
        FieldKind::LongText | FieldKind::Scope => view! {
            <div class="field" data-field=key.clone()>
                <label for=id.clone()>{move || pick(prefs.locale.get(), &label)}{optional}</label>
                {hint_view}
                <textarea id=id rows="3" aria-describedby=described aria-invalid=invalid
                    on:input=on_input on:change=on_blur_change>{value}</textarea>
                {error_view}
            </div>
        }
        .into_any(),
        kind => {
            let (input_type, mode, autocomplete) = match kind {
                FieldKind::Number => ("text", "numeric", "off"),
                FieldKind::Mobile => ("tel", "tel", "tel"),
                FieldKind::IdNumber => ("text", "text", "off"),
                FieldKind::Date => ("date", "text", "off"),
                FieldKind::Address => ("text", "text", "street-address"),
                _ if key == "applicant.name" => ("text", "text", "name"),
                _ if key == "business.name" => ("text", "text", "organization"),
                _ => ("text", "text", "off"),
            };
            view! {
                <div class="field" data-field=key.clone()>
                    <label for=id.clone()>{move || pick(prefs.locale.get(), &label)}{optional}</label>
                    {hint_view}
                    <input id=id type=input_type inputmode=mode autocomplete=autocomplete value=value
                        aria-describedby=described aria-invalid=invalid
                        on:input=on_input on:change=on_blur_change />
                    {error_view}
                </div>
            }.into_any()
        }
    }
}

/// `/licences/{id}/{section}`.
#[component]
pub fn SectionPage(id: i64, section: String) -> impl IntoView {
    use_title(|m| m.licence.application_title);
    let application = load::<Application>(move || Some(api_client::application(id)));
    let prefs = use_prefs();
    view! {
        <p><a href=Route::Application(id).path()>{tr(|m| m.licence.back_to_application)}</a></p>
        {show(application, move |a: Application| {
            if section == "materials" {
                return view! { <Materials id application=a /> }.into_any();
            }
            let Some(s) = a.sections.iter().find(|s| s.key == section).cloned() else {
                return view! { <crate::pages::not_found::NotFound /> }.into_any();
            };
            let editable = matches!(a.stage, Stage::Draft | Stage::Returned);
            let values = RwSignal::new(a.answers.clone());
            let problems = RwSignal::new(a.problems.clone());
            let saved = RwSignal::new(None::<String>);
            let keys: Vec<String> = s.questions.iter().map(|q| q.key.clone()).collect();
            let saver = Saver {
                id,
                finish: StoredValue::new_local(None),
                problems,
                saved,
                page: alerts::page(),
            };
            let autosave = move |key: String, value: String| {
                let mut one = BTreeMap::new();
                one.insert(key, value);
                saver.save(one, None);
            };
            let navigate = use_navigate();
            let done = move |ev: leptos::ev::SubmitEvent| {
                ev.prevent_default();
                let all: BTreeMap<String, String> = values
                    .try_with_untracked(|v| v.iter().filter(|(k, _)| keys.contains(k)).map(|(k, v)| (k.clone(), v.clone())).collect())
                    .unwrap_or_default();
                let navigate = navigate.clone();
                saver.save(all, Some(Box::new(move || navigate(Route::Application(id)))));
            };
            let title = s.title.clone();
            view! {
                <h1 class="page-title">{move || pick(prefs.locale.get(), &title)}</h1>
                {(!editable).then(|| view! { <p class="panel">{tr(|m| m.licence.not_editable)}</p> })}
                <form class="panel form" data-test="section-form" on:submit=done>
                    <fieldset disabled=!editable class="plain">
                        {s.questions.into_iter().map(|q| {
                            let value = a.answers.get(&q.key).cloned().unwrap_or_default();
                            question(q, value, values, problems, autosave)
                        }).collect_view()}
                    </fieldset>
                    <p class="hint" role="status" aria-live="polite" data-test="saved">{move || saved.get()}</p>
                    <p><button class="button primary" type="submit" data-test="save-section" disabled=!editable>{tr(|m| m.licence.save_continue)}</button></p>
                </form>
            }.into_any()
        })}
    }
}

/// The materials: each with its upload (or the reason it was returned).
#[component]
fn Materials(id: i64, application: Application) -> impl IntoView {
    let materials = RwSignal::new(application.materials.clone());
    let editable = matches!(application.stage, Stage::Draft | Stage::Returned);
    view! {
        <h1 class="page-title">{tr(|m| m.licence.materials_title)}</h1>
        <p class="lead">{tr(|m| m.licence.materials_hint)}</p>
        {material_uploads(id, materials, editable, false, api_client::upload_material, |a: Application| a.materials)}
        <p><a class="button primary" href=Route::Application(id).path()>{tr(|m| m.licence.save_continue)}</a></p>
    }
}

/// The materials of application `id`, each with its upload while `editable` (one at a time,
/// checked for size first): `upload` stores a file, `materials_of` reads the materials back
/// from its answer. `nested`: inside a section of a page (headings one level down), rather
/// than the page's own list.
pub(crate) fn material_uploads<T: serde::de::DeserializeOwned + 'static>(
    id: i64,
    materials: RwSignal<Vec<MaterialNeed>>,
    editable: bool,
    nested: bool,
    upload: fn(i64, &str, web_sys::File) -> api_client::Call<T>,
    materials_of: fn(T) -> Vec<MaterialNeed>,
) -> impl IntoView {
    let prefs = use_prefs();
    let errors = RwSignal::new(BTreeMap::<String, String>::new());
    let busy = RwSignal::new(None::<String>);
    let send = move |code: String, input: web_sys::HtmlInputElement| {
        let Some(file) = input.files().and_then(|f| f.get(0)) else {
            return;
        };
        if file.size() > MAX_UPLOAD {
            errors.update(|e| {
                e.insert(code, prefs.t().licence.file_too_big.to_owned());
            });
            input.set_value("");
            return;
        }
        busy.set(Some(code.clone()));
        spawn_request(upload(id, &code, file), move |answer, m| {
            busy.put(None);
            match answer {
                Ok(a) => {
                    errors.try_update(|e| {
                        e.remove(&code);
                    });
                    materials.put(materials_of(a));
                }
                Err(e) => {
                    errors.try_update(|all| {
                        all.insert(code, e.message(m));
                    });
                }
            }
            input.set_value("");
        });
    };
    view! {
        <ol class="materials" data-test="materials">
            <For each=move || materials.get() key=|m: &MaterialNeed| (m.code.clone(), m.upload.as_ref().map(|u| u.uploaded_at.clone()), m.returned.clone()) let:m>
                {
                    let code = m.code.clone();
                    let input_id = format!("upload-{code}");
                    let name = m.name.clone();
                    let title = move || pick(prefs.locale.get(), &name);
                    let hint = m.hint.clone();
                    let for_permits = m.for_permits.clone();
                    let shared = for_permits.len() > 1;
                    let error_code = code.clone();
                    let busy_code = code.clone();
                    let change_code = code.clone();
                    let label_name = m.name.clone();
                    let item = m.item;
                    view! {
                        <li class="material" class:panel=!nested data-material=code.clone() data-uploaded=(m.upload.is_some() && m.returned.is_none()).to_string()>
                            {if nested {
                                view! { <h3>{item}". "{title}</h3> }.into_any()
                            } else {
                                view! { <h2>{item}". "{title}</h2> }.into_any()
                            }}
                            <p class="hint">{move || pick(prefs.locale.get(), &hint)}</p>
                            {(!for_permits.is_empty()).then(|| view! {
                                <p class="hint" class:shared=shared>{move || fill(prefs.t().licence.shared_by, &[("permits", &permit_names(prefs.locale.get(), &for_permits))])}</p>
                            })}
                            {m.returned.clone().map(|r| view! { <p class="returned" role="alert" data-test="returned">{move || fill(prefs.t().licence.returned_reason, &[("reason", &r)])}</p> })}
                            <p data-test="upload-status">{match m.upload.clone() {
                                Some(u) => view! { <span>"✓ "{move || { let m = prefs.t(); fill(m.licence.uploaded, &[("name", &u.file_name), ("size", &size_text(u.size)), ("time", &crate::format::stamp(m, &u.uploaded_at))]) }}</span> }.into_any(),
                                None => view! { <span>{tr(|m| m.licence.not_uploaded)}</span> }.into_any(),
                            }}</p>
                            {editable.then(|| view! {
                                <label class="button" for=input_id.clone()>{move || fill(prefs.t().licence.choose_file, &[("name", &pick(prefs.locale.get(), &label_name))])}</label>
                                <input class="visually-hidden file-input" type="file" id=input_id accept=".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"
                                    on:change=move |ev| send(change_code.clone(), event_target::<web_sys::HtmlInputElement>(&ev)) />
                            })}
                            {move || (busy.get().as_deref() == Some(busy_code.as_str())).then(|| view! { <p class="hint" role="status">{tr(|m| m.licence.uploading)}</p> })}
                            {move || errors.get().get(&error_code).cloned().map(|e| view! { <p class="field-error" role="alert">{e}</p> })}
                        </li>
                    }
                }
            </For>
        </ol>
    }
}

/// `/licences/{id}/check`: every answer and upload with a link to change it, then submit.
#[component]
pub fn CheckPage(id: i64) -> impl IntoView {
    let prefs = use_prefs();
    use_title(|m| m.licence.check_title);
    let application = load::<Application>(move || Some(api_client::application(id)));
    let navigate = use_navigate();
    view! {
        <p><a href=Route::Application(id).path()>{tr(|m| m.licence.back_to_application)}</a></p>
        <h1 class="page-title">{tr(|m| m.licence.check_title)}</h1>
        <p class="lead">{tr(|m| m.licence.check_intro)}</p>
        {show(application, move |a: Application| {
            let stage = a.stage;
            let action = if stage == Stage::Returned { Action::Resubmit } else { Action::Submit };
            let ready = a.ready;
            let problems = a.problems.clone();
            let navigate = navigate.clone();
            let submit = move |_| {
                let navigate = navigate.clone();
                take_step(id, stage, action, None, move |_| navigate(Route::Application(id)));
            };
            let missing: Vec<MaterialNeed> = a.materials.iter().filter(|m| m.upload.is_none() || m.returned.is_some()).cloned().collect();
            view! {
                {a.sections.iter().filter(|s| !s.questions.is_empty()).map(|s| {
                    let title = s.title.clone();
                    let key = s.key.clone();
                    view! {
                        <section class="panel check-answers" data-section=key.clone()>
                            <h2>{move || pick(prefs.locale.get(), &title)}" "<a href=Route::Section(id, key.clone()).path() class="change">{tr(|m| m.licence.change)}</a></h2>
                            <dl>
                                {s.questions.iter().map(|q| {
                                    let label = q.label.clone();
                                    let answer = a.answers.get(&q.key).cloned();
                                    let options = q.options.clone();
                                    view! {
                                        <dt>{move || pick(prefs.locale.get(), &label)}</dt>
                                        <dd>{move || match &answer {
                                            None => prefs.t().licence.empty_answer.to_owned(),
                                            Some(v) => options.iter().find(|o| &o.value == v).map_or_else(|| v.clone(), |o| pick(prefs.locale.get(), &o.label)),
                                        }}</dd>
                                    }
                                }).collect_view()}
                            </dl>
                        </section>
                    }
                }).collect_view()}
                <section class="panel check-answers" data-section="materials">
                    <h2>{tr(|m| m.licence.materials_title)}" "<a href=Route::Section(id, "materials".to_owned()).path() class="change">{tr(|m| m.licence.change)}</a></h2>
                    <ol>{a.materials.iter().map(|m| {
                        let name = m.name.clone();
                        let file = m.upload.as_ref().map(|u| u.file_name.clone());
                        view! { <li>{move || pick(prefs.locale.get(), &name)}" · "{move || file.clone().unwrap_or_else(|| prefs.t().licence.not_uploaded.to_owned())}</li> }
                    }).collect_view()}</ol>
                </section>
                {(!ready).then(|| view! {
                    <section class="panel problems" role="alert" data-test="problems">
                        <h2>{tr(|m| m.licence.not_ready)}</h2>
                        <ul>
                            {problems.into_iter().map(|p| {
                                let section = p.field.split('.').next().unwrap_or_default().to_owned();
                                view! { <li><a href=Route::Section(id, section).path()>{p.message}</a></li> }
                            }).collect_view()}
                            {missing.into_iter().map(|m| {
                                let name = m.name.clone();
                                view! { <li><a href=Route::Section(id, "materials".to_owned()).path()>{move || fill(prefs.t().licence.material_needed, &[("name", &pick(prefs.locale.get(), &name))])}</a></li> }
                            }).collect_view()}
                        </ul>
                    </section>
                })}
                <p><button class="button primary" data-test="submit" disabled=!ready on:click=submit>
                    {move || if action == Action::Resubmit { prefs.t().licence.resubmit } else { prefs.t().licence.submit }}
                </button></p>
            }
        })}
        <p><Link to=Route::Licences>{tr(|m| m.licence.back_to_list)}</Link></p>
    }
}

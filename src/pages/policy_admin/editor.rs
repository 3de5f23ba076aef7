//! The policy file editor: the file in the rules language, checked as it is typed by the same
//! engine the server runs (here, in the browser), with a problem shown at its line, and the
//! data items the conditions may use.

use api::text::fill;
use leptos::prelude::*;
use rules::{Catalogue, SubjectKind};

use crate::prefs::{tr, use_prefs};

/// What the engine says of a file: `Ok(kind)` when it compiles, or the line, column, the
/// line's text and the problem.
pub fn check(source: &str) -> Result<SubjectKind, (usize, usize, String, String)> {
    rules::load("", source, Catalogue::standard())
        .map(|p| p.subject)
        .map_err(|e| {
            let text = source
                .lines()
                .nth(e.line.saturating_sub(1))
                .unwrap_or_default();
            (e.line, e.column, text.to_owned(), e.message)
        })
}

/// The editor of `source` (read and written as the person types).
#[component]
pub fn Editor(source: RwSignal<String>) -> impl IntoView {
    let prefs = use_prefs();
    let checked = Memo::new(move |_| check(&source.get()));
    // The kind the file is for, to list its data items (residents' until it says otherwise).
    let kind = Memo::new(move |_| {
        checked.get().ok().unwrap_or_else(|| {
            if source.get().contains("subject = \"enterprise\"") {
                SubjectKind::Enterprise
            } else {
                SubjectKind::Resident
            }
        })
    });
    let rows = move || source.get().lines().count().clamp(12, 40);
    view! {
        <div class="field policy-editor">
            <label for="policy-source">{tr(|m| m.policy_admin.file)}</label>
            <p class="hint" id="policy-source-hint">{tr(|m| m.policy_admin.file_hint)}</p>
            <textarea id="policy-source" class="code" spellcheck="false" autocapitalize="off" autocomplete="off"
                rows=rows aria-describedby="policy-source-hint policy-source-check"
                aria-invalid=move || checked.get().is_err().to_string()
                prop:value=move || source.get()
                on:input=move |ev| source.set(event_target_value(&ev))></textarea>
            <div id="policy-source-check" aria-live="polite" data-test="source-check">
                {move || match checked.get() {
                    Ok(_) => view! { <p class="check-ok" data-test="source-ok">{tr(|m| m.policy_admin.check_ok)}</p> }.into_any(),
                    Err((line, column, text, problem)) => view! {
                        <div class="field-error source-problem" role="alert" data-line=line.to_string()>
                            <p>{move || fill(prefs.t().policy_admin.check_error, &[("line", &line.to_string()), ("column", &column.to_string()), ("problem", &problem)])}</p>
                            <pre class="code-line"><span class="line-number">{line}</span>{text.clone()}</pre>
                        </div>
                    }.into_any(),
                }}
            </div>
        </div>
        <details class="panel attributes">
            <summary>{tr(|m| m.policy_admin.attributes)}</summary>
            <p class="hint">{tr(|m| m.policy_admin.attributes_hint)}</p>
            <dl class="attribute-list" data-test="attributes">
                {move || {
                    let locale = prefs.locale.get();
                    Catalogue::standard().attributes(kind.get()).iter().map(|a| {
                        let description = if locale == crate::i18n::Locale::ZhCn { a.description.zh_cn.clone() } else { a.description.en.clone() };
                        view! {
                            <dt><code>{a.name.clone()}</code></dt>
                            <dd>{description}</dd>
                        }
                    }).collect_view()
                }}
            </dl>
        </details>
    }
}

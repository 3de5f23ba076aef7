//! The policy file editor: the file in the rules language, checked as it is typed by the same
//! engine the server runs (here, in the browser), with a problem shown at its line, and the
//! data items the conditions may use.

use api::text::fill;
use leptos::html::Textarea;
use leptos::prelude::*;
use rules::{Catalogue, SubjectKind};

use crate::prefs::{tr, use_prefs};

/// What the engine says of a file: `Ok(kind)` when it compiles, or the line, column, the
/// line's text and the problem.
pub fn check(source: &str) -> Result<SubjectKind, (usize, usize, String, rules::Problem)> {
    rules::load("", source, Catalogue::standard())
        .map(|p| p.subject)
        .map_err(|e| {
            let text = source
                .lines()
                .nth(e.line.saturating_sub(1))
                .unwrap_or_default();
            (e.line, e.column, text.to_owned(), *e.problem)
        })
}

/// A problem in the reader's language: its words from the locale files, with each detail
/// that names a type or a kind of subject worded too.
pub fn worded(m: &crate::i18n::Messages, problem: &rules::Problem) -> String {
    let t = &m.policy_admin;
    let details = problem.worded_details(|w| t.words.get(w).map(str::to_owned));
    let details: Vec<(&str, &str)> = details.iter().map(|(n, v)| (*n, v.as_str())).collect();
    match t.problems.get(problem.code) {
        Some(words) => fill(words, &details),
        None => problem.english(),
    }
}

/// A name the conditions may use: an attribute of the subject, or a table of monthly facts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Completion {
    pub name: String,
    pub description: rules::Text,
}

/// The names of `kind`'s catalogue that complete the word being typed before byte `cursor`
/// of `source` (at least two letters, not yet a whole name), and the byte where that word
/// starts.
pub fn completions(source: &str, cursor: usize, kind: SubjectKind) -> (usize, Vec<Completion>) {
    let cursor = cursor.min(source.len());
    let Some(before) = source.get(..cursor) else {
        return (cursor, Vec::new());
    };
    let word = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_';
    let start = before.bytes().rposition(|b| !word(b)).map_or(0, |i| i + 1);
    let typed = &before[start..];
    let continues = source[cursor..].bytes().next().is_some_and(word);
    if typed.len() < 2 || continues || typed.starts_with(|c: char| c.is_ascii_digit()) {
        return (start, Vec::new());
    }
    let catalogue = Catalogue::standard();
    let attributes = catalogue.attributes(kind).iter().map(|a| Completion {
        name: a.name.clone(),
        description: a.description.clone(),
    });
    let tables = catalogue
        .fact
        .iter()
        .filter(|t| t.subject == kind)
        .map(|t| Completion {
            name: t.table.clone(),
            description: t.description.clone(),
        });
    let found = attributes
        .chain(tables)
        .filter(|c| c.name.starts_with(typed) && c.name != typed)
        .take(6)
        .collect();
    (start, found)
}

/// The byte offset of the `units`-th UTF-16 unit of `s` (as a text box counts its cursor).
pub fn byte_offset(s: &str, units: usize) -> usize {
    let mut seen = 0;
    for (i, c) in s.char_indices() {
        if seen >= units {
            return i;
        }
        seen += c.len_utf16();
    }
    s.len()
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
    // Where the cursor is (a byte of `source`), for completing names.
    let cursor = RwSignal::new(0usize);
    let textarea = NodeRef::<Textarea>::new();
    let follow_cursor = move || {
        if let Some(el) = textarea.get_untracked() {
            let units = el.selection_start().ok().flatten().unwrap_or(0) as usize;
            cursor.set(byte_offset(&el.value(), units));
        }
    };
    let suggestions = Memo::new(move |_| completions(&source.get(), cursor.get(), kind.get()));
    let complete = move |name: String| {
        let (start, _) = suggestions.get_untracked();
        let text = source.get_untracked();
        let at = cursor.get_untracked().min(text.len());
        let updated = format!("{}{name}{}", &text[..start], &text[at..]);
        let end = start + name.len();
        let units: usize = updated[..end].encode_utf16().count();
        source.set(updated.clone());
        cursor.set(end);
        if let Some(el) = textarea.get_untracked() {
            el.set_value(&updated);
            let _ = el.set_selection_range(units as u32, units as u32);
            let _ = el.focus();
        }
    };
    view! {
        <div class="field policy-editor">
            <label for="policy-source">{tr(|m| m.policy_admin.file)}</label>
            <p class="hint" id="policy-source-hint">{tr(|m| m.policy_admin.file_hint)}</p>
            <textarea id="policy-source" class="code" spellcheck="false" autocapitalize="off" autocomplete="off"
                rows=rows aria-describedby="policy-source-hint policy-source-check"
                aria-invalid=move || checked.get().is_err().to_string()
                node_ref=textarea
                prop:value=move || source.get()
                on:input=move |ev| { source.set(event_target_value(&ev)); follow_cursor(); }
                on:keyup=move |_| follow_cursor()
                on:click=move |_| follow_cursor()></textarea>
            {move || {
                let (_, found) = suggestions.get();
                (!found.is_empty()).then(|| {
                    let locale = prefs.locale.get();
                    view! {
                        <div class="completions" data-test="completions">
                            <p class="hint">{tr(|m| m.policy_admin.completions)}</p>
                            <p class="button-row">
                                {found.into_iter().map(|c| {
                                    let description = if locale == crate::i18n::Locale::ZhCn { c.description.zh_cn.clone() } else { c.description.en.clone() };
                                    let name = c.name.clone();
                                    view! {
                                        <button type="button" class="button" data-test="completion"
                                            on:click=move |_| complete(name.clone())>
                                            <code>{c.name.clone()}</code>{format!(" {description}")}
                                        </button>
                                    }
                                }).collect_view()}
                            </p>
                        </div>
                    }
                })
            }}
            <div id="policy-source-check" aria-live="polite" data-test="source-check">
                {move || match checked.get() {
                    Ok(_) => view! { <p class="check-ok" data-test="source-ok">{tr(|m| m.policy_admin.check_ok)}</p> }.into_any(),
                    Err((line, column, text, problem)) => view! {
                        <div class="field-error source-problem" role="alert" data-line=line.to_string()>
                            <p>{move || fill(prefs.t().policy_admin.check_error, &[("line", &line.to_string()), ("column", &column.to_string()), ("problem", &worded(prefs.t(), &problem))])}</p>
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Locale;

    #[test]
    fn every_problem_has_words_in_each_language() {
        for locale in [Locale::ZhCn, Locale::En] {
            for (code, _) in rules::problem::CODES {
                assert!(
                    locale.messages().policy_admin.problems.get(code).is_some(),
                    "{code} in {locale:?}"
                );
            }
        }
    }

    #[test]
    fn a_problem_reads_in_chinese_on_a_chinese_page() {
        let file = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/policies/senior-allowance.toml"
        );
        let source = std::fs::read_to_string(file)
            .expect("a sample policy")
            .replace("age(birth_date)", "age(birthdate)");
        let Err((_, _, _, problem)) = check(&source) else {
            panic!("an unknown name is refused")
        };
        let zh = worded(Locale::ZhCn.messages(), &problem);
        assert!(zh.contains("居民没有叫 birthdate 的数据项"), "{zh}");
        let problem = rules::Problem::new("cannot_compare")
            .ty("left_type", rules::Type::Date)
            .ty("right_type", rules::Type::Money);
        assert_eq!(
            worded(Locale::ZhCn.messages(), &problem),
            "日期 不能和 金额 比较"
        );
        assert_eq!(
            worded(Locale::En.messages(), &problem),
            "cannot compare date with amount of money"
        );
    }

    #[test]
    fn completes_the_word_before_the_cursor() {
        let source = "test = \"age(bir";
        let (start, found) = completions(source, source.len(), SubjectKind::Resident);
        assert_eq!(&source[start..], "bir");
        assert_eq!(found[0].name, "birth_date");
        // Enterprises have their own names, and their tables of facts.
        let source = "sum(loan";
        let (_, found) = completions(source, source.len(), SubjectKind::Enterprise);
        assert_eq!(found[0].name, "loan_interest");
    }

    #[test]
    fn offers_nothing_for_a_short_whole_or_unknown_word() {
        for source in ["b", "birth_date", "zzz", "\"9", "1ab"] {
            assert!(
                completions(source, source.len(), SubjectKind::Resident)
                    .1
                    .is_empty(),
                "{source}"
            );
        }
        // In the middle of a word: nothing.
        assert!(completions("birth_date", 3, SubjectKind::Resident)
            .1
            .is_empty());
    }

    #[test]
    fn counts_the_cursor_as_a_text_box_does() {
        let s = "名称 = \"x\"\nbir";
        assert_eq!(byte_offset(s, 2), "名称".len());
        assert_eq!(byte_offset(s, s.encode_utf16().count()), s.len());
        assert_eq!(byte_offset("😀a", 2), 4);
    }
}

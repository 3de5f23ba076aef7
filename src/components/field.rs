//! A form field's input and its error line, tied together for screen readers: the input is
//! described by `{id}-hint` and `{id}-error` and marked invalid while there is an error.

use leptos::prelude::*;

/// A text input bound to `value`, `aria-invalid` while `error` holds a message. Other
/// attributes (`type`, `inputmode`, `autocomplete`, `maxlength`) are passed on to it:
/// `<FieldInput id="code" value=code error=code_error attr:inputmode="numeric" />`.
#[component]
pub fn FieldInput(
    id: &'static str,
    value: RwSignal<String>,
    error: RwSignal<Option<String>>,
) -> impl IntoView {
    view! {
        <input
            id=id
            name=id
            aria-describedby=format!("{id}-hint {id}-error")
            aria-invalid=move || error.get().is_some().to_string()
            prop:value=value
            on:input=move |ev| value.set(event_target_value(&ev))
        />
    }
}

/// The line under a field that says what is wrong with it, read out when it appears.
#[component]
pub fn FieldError(id: &'static str, error: RwSignal<Option<String>>) -> impl IntoView {
    view! { <p class="field-error" id=format!("{id}-error") role="alert">{move || error.get()}</p> }
}

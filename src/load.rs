//! Loading data for a page: a signal that holds nothing while loading, then the result.
//!
//! This is deliberately lighter than `LocalResource` + `<Suspense>`: each of those instantiates
//! Leptos's async machinery per data type, which costs the wasm bundle several kilobytes a use.

use leptos::prelude::*;
use leptos::task::spawn_local;
use serde::de::DeserializeOwned;

use crate::alerts;
use crate::api_client::{ApiFailure, Call};
use crate::i18n::Messages;
use crate::prefs::{tr, use_prefs};

// Code that runs after an await, in a timer or in a stream's callback may outlive the page
// that started it (the person tapped back or a tab meanwhile), and with it every signal and
// stored value the page owned: reading one then (`get`, `get_untracked`, `with`, `get_value`,
// `write_value`…) panics, and a panic kills the app (`panic = "abort"`). So such code reads
// what it needs (values, the language, the messages) before it starts, and afterwards touches
// signals only through `put`, `bump` and the `try_` methods, which leave a disposed one alone.
// [`spawn_request`] and [`act`] are that shape for a request to the server.

/// Setting a signal from code that may outlive its component (an answer arriving after the
/// person moved on): a signal already disposed is left alone instead of panicking.
pub trait Put<T> {
    fn put(&self, value: T);
}

impl<T: Send + Sync + 'static> Put<T> for RwSignal<T> {
    fn put(&self, value: T) {
        let _ = self.try_set(value);
    }
}

/// Adds one to a counter that a page reads to load again; nothing once the page is gone.
pub fn bump(counter: RwSignal<u32>) {
    counter.try_update(|n| *n = n.wrapping_add(1));
}

/// Sends `call` now and hands its answer to `done` when it comes, with the messages of the
/// language it asked in (the ones the server answered in), so `done` need not read the
/// preferences. The page may be gone when `done` runs: it must touch signals only through
/// `put`, `bump` and `try_` methods, and not use context.
pub fn spawn_request<T: DeserializeOwned + 'static>(
    call: Call<T>,
    done: impl FnOnce(Result<T, ApiFailure>, &'static Messages) + 'static,
) {
    let m = call.locale().messages();
    spawn_local(async move { done(call.await, m) });
}

/// A step a page takes on the server: its failure shows in the alert region; its success
/// takes a failure shown away and runs `ok`, unless the page that asked is gone by then
/// (nothing of it is left to update, and the person is elsewhere: `ok` does not navigate them
/// away from there). Call it from an event handler or a component.
pub fn act<T: DeserializeOwned + 'static>(call: Call<T>, ok: impl FnOnce(T) + 'static) {
    let page = alerts::page();
    spawn_request(call, move |answer, _| match answer {
        Ok(value) => {
            if page.is_current() {
                page.clear();
                ok(value);
            }
        }
        Err(e) => page.show(e),
    });
}

/// Nothing yet (loading), or what the server answered.
pub type Loaded<T> = RwSignal<Option<Result<T, ApiFailure>>>;

/// Sends the call `call()` makes now, and again whenever what `call` reads changes (or the
/// language: messages come back in it). `None` from `call` loads nothing.
pub fn load<T>(call: impl Fn() -> Option<Call<T>> + 'static) -> Loaded<T>
where
    T: DeserializeOwned + Clone + Send + Sync + 'static,
{
    let out: Loaded<T> = RwSignal::new(None);
    let prefs = use_prefs();
    // Answers can arrive out of order (a search typed quickly): only the latest request's
    // answer is kept.
    let latest = std::rc::Rc::new(std::cell::Cell::new(0u64));
    Effect::new(move |_| {
        prefs.locale.track();
        if let Some(call) = call() {
            let generation = latest.get() + 1;
            latest.set(generation);
            let latest = latest.clone();
            // After the await only `latest` (a plain cell) and `put` (safe once disposed).
            spawn_local(async move {
                let answer = call.await;
                if latest.get() == generation {
                    out.put(Some(answer));
                }
            });
        }
    });
    out
}

/// Shows a loading line, the error, or `render` of the data.
pub fn show<T, V>(data: Loaded<T>, render: impl Fn(T) -> V + Send + Sync + 'static) -> impl IntoView
where
    T: Clone + Send + Sync + 'static,
    V: IntoView + 'static,
{
    let prefs = use_prefs();
    move || match data.try_get().flatten() {
        None => view! { <p class="hint" role="status">{tr(|m| m.common.loading)}</p> }.into_any(),
        Some(Ok(v)) => render(v).into_any(),
        Some(Err(e)) => {
            view! { <p class="field-error" role="alert">{e.message(prefs.t())}</p> }.into_any()
        }
    }
}

//! Loading data for a page: a signal that holds nothing while loading, then the result.
//!
//! This is deliberately lighter than `LocalResource` + `<Suspense>`: each of those instantiates
//! Leptos's async machinery per data type, which costs the wasm bundle several kilobytes a use.

use leptos::prelude::*;
use leptos::task::spawn_local;
use serde::de::DeserializeOwned;

use crate::api_client::{self, ApiFailure};
use crate::prefs::{tr, use_prefs};

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

/// Nothing yet (loading), or what the server answered.
pub type Loaded<T> = RwSignal<Option<Result<T, ApiFailure>>>;

/// Fetches `GET path()` now, and again whenever what `path` reads changes (or the language:
/// messages come back in it). `None` from `path` loads nothing.
pub fn load<T>(path: impl Fn() -> Option<String> + 'static) -> Loaded<T>
where
    T: DeserializeOwned + Clone + Send + Sync + 'static,
{
    let out: Loaded<T> = RwSignal::new(None);
    let prefs = use_prefs();
    // Answers can arrive out of order (a search typed quickly): only the latest request's
    // answer is kept.
    let latest = std::rc::Rc::new(std::cell::Cell::new(0u64));
    Effect::new(move |_| {
        let locale = prefs.locale.get();
        if let Some(path) = path() {
            let generation = latest.get() + 1;
            latest.set(generation);
            let latest = latest.clone();
            spawn_local(async move {
                let answer = api_client::get::<T>(&path, locale).await;
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

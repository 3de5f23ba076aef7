//! The person's display preferences: language and elder mode (长辈模式), remembered on the
//! device and applied to the whole document.

use leptos::prelude::*;

use crate::i18n::{Locale, Messages};

const LOCALE_KEY: &str = "zhida.locale";
const ELDER_KEY: &str = "zhida.elder";

/// Shared through context; `Copy`, so every component can hold it.
#[derive(Clone, Copy, Debug)]
pub struct Prefs {
    pub locale: RwSignal<Locale>,
    pub elder: RwSignal<bool>,
}

impl Prefs {
    /// The messages of the current language (reactive).
    pub fn t(self) -> &'static Messages {
        self.locale.try_get().unwrap_or_default().messages()
    }

    /// The current language, read once (untracked): what a request about to be sent asks in.
    pub fn now(self) -> Locale {
        self.locale.try_get_untracked().unwrap_or_default()
    }
}

/// The current language, for a request that an event handler or a component is about to send
/// (where the preferences are in context; the default language elsewhere). Read it before the
/// request, never after an await: by then the page may be gone, and there is no context there.
pub fn locale_now() -> Locale {
    use_context::<Prefs>().map_or_else(Locale::default, Prefs::now)
}

/// The device's storage. Read and written as plain text rather than through gloo-storage,
/// which keeps values as JSON (`"en"` with its quotes): it would not read what devices have
/// saved already.
fn storage() -> Option<web_sys::Storage> {
    window().local_storage().ok().flatten()
}

/// The language to start in: the one chosen before on this device, else the browser's when it
/// is English, else zh-CN.
fn initial_locale() -> Locale {
    let saved = storage().and_then(|s| s.get_item(LOCALE_KEY).ok().flatten());
    saved
        .as_deref()
        .and_then(Locale::from_tag)
        .or_else(|| {
            window()
                .navigator()
                .language()
                .as_deref()
                .and_then(Locale::from_tag)
        })
        .unwrap_or_default()
}

/// Reads the remembered preferences, provides them as context, and keeps the document (its
/// `lang`, its `elder` class) and the device's storage in step with them.
pub fn provide_prefs() -> Prefs {
    let elder = storage()
        .and_then(|s| s.get_item(ELDER_KEY).ok().flatten())
        .as_deref()
        == Some("1");
    let prefs = Prefs {
        locale: RwSignal::new(initial_locale()),
        elder: RwSignal::new(elder),
    };
    apply(prefs.locale.get_untracked(), elder);
    Effect::new(move |previous: Option<(Locale, bool)>| {
        let now = (prefs.locale.get(), prefs.elder.get());
        apply(now.0, now.1);
        // The first run only applies what was read; later runs are the person's choices.
        if previous.is_some() {
            if let Some(s) = storage() {
                let _ = s.set_item(LOCALE_KEY, now.0.tag());
                let _ = s.set_item(ELDER_KEY, if now.1 { "1" } else { "0" });
            }
        }
        now
    });
    provide_context(prefs);
    prefs
}

fn apply(locale: Locale, elder: bool) {
    if let Some(root) = document().document_element() {
        let _ = root.set_attribute("lang", locale.tag());
        let _ = root.class_list().toggle_with_force("elder", elder);
    }
}

/// Picks one message out of a locale's messages: `|m| m.nav.home`.
pub type Key = fn(&'static Messages) -> &'static str;

/// The message `key` in the current language, for a text node or an attribute; it follows
/// language switches. Every call returns the same closure type, so all the app's text shares
/// one piece of rendering code instead of one per message (a large saving in wasm size).
pub fn tr(key: Key) -> impl Fn() -> &'static str + Copy + Send + Sync + 'static {
    let prefs = use_prefs();
    move || key(prefs.t())
}

/// The text of `b` in `locale`.
pub fn pick(locale: Locale, b: &api::policy::Bilingual) -> String {
    if locale == Locale::ZhCn {
        b.zh_cn.clone()
    } else {
        b.en.clone()
    }
}

/// The preferences provided by [`provide_prefs`].
pub fn use_prefs() -> Prefs {
    expect_context::<Prefs>()
}

/// Sets the document title to `page · 政策直达` (in the current language) while the page shows.
pub fn use_title(page: Key) {
    let prefs = use_prefs();
    Effect::new(move || {
        let m = prefs.t();
        document().set_title(&format!("{} · {}", page(m), m.app.name));
    });
}

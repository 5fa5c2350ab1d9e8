//! What the account, admin and sharing pages have in common: running an API
//! call from an event, showing its error, and a secret shown once with a Copy button.

use crate::api::ApiResult;
use leptos::prelude::*;
use std::future::Future;

/// Runs an API call started by an event: `pending` while it runs, its error
/// (or none) in `error`, then `done` with its answer if it succeeded.
pub(super) fn run<T: 'static>(
    pending: RwSignal<bool>,
    error: RwSignal<Option<String>>,
    call: impl Future<Output = ApiResult<T>> + 'static,
    done: impl FnOnce(T) + 'static,
) {
    pending.set(true);
    leptos::task::spawn_local(async move {
        let result = call.await;
        // The page may have been left meanwhile: its signals are then disposed.
        let _ = pending.try_set(false);
        match result {
            Ok(value) => {
                let _ = error.try_set(None);
                done(value);
            }
            Err(e) => {
                let _ = error.try_set(Some(e.message));
            }
        }
    });
}

/// The error of the last call, if any, read out when it appears, as a
/// sentence (the API's messages start in lower case).
#[component]
pub(super) fn ErrorText(error: RwSignal<Option<String>>) -> impl IntoView {
    view! {
        <p class="error" role="alert" data-testid="form-error">{move || error.get().map(|e| sentence(&e))}</p>
    }
}

/// `message` with its first letter in upper case.
fn sentence(message: &str) -> String {
    let mut chars = message.chars();
    chars.next().map(|first| first.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

/// A secret or link shown once: a read-only field with it, a Copy button,
/// and `note` under them.
#[component]
pub(super) fn CopyField(label: &'static str, value: String, note: &'static str) -> impl IntoView {
    let copied = RwSignal::new(false);
    let field = NodeRef::<leptos::html::Input>::new();
    let copy_value = value.clone();
    let copy = move |_| {
        copied.set(copy_text(&copy_value));
        if let Some(input) = field.get() {
            input.select(); // a browser without clipboard access still lets the person copy it
        }
    };
    view! {
        <div class="copy-field">
            <label>
                <span>{label}</span>
                <input node_ref=field type="text" readonly value=value data-testid="secret" on:focus=move |ev| {
                    event_target::<leptos::web_sys::HtmlInputElement>(&ev).select();
                }/>
            </label>
            <button type="button" class="secondary" on:click=copy>{move || if copied.get() { "Copied" } else { "Copy" }}</button>
            <p class="muted note">{note}</p>
        </div>
    }
}

/// Puts `text` on the clipboard; `false` if the browser does not allow it.
fn copy_text(text: &str) -> bool {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        let navigator = window().navigator();
        let Ok(clipboard) = js_sys::Reflect::get(&navigator, &"clipboard".into()) else { return false };
        let write = js_sys::Reflect::get(&clipboard, &"writeText".into()).ok();
        let Some(write) = write.and_then(|w| w.dyn_into::<js_sys::Function>().ok()) else { return false };
        write.call1(&clipboard, &text.into()).is_ok()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = text;
        false
    }
}

/// `path` (`/s/…`, `/invite/…`) as a full URL on this site.
pub(super) fn full_url(path: &str) -> String {
    #[cfg(feature = "hydrate")]
    return format!("{}{}", window().location().origin().unwrap_or_default(), crate::base::url(path));
    #[cfg(not(feature = "hydrate"))]
    return crate::base::url(path);
}

/// API data the browser loads once the page has hydrated, and again on
/// [`BrowserLoad::refetch`]. The server renders it as not loaded yet, and it
/// registers with no Suspense: a resource read under the page's Suspense
/// would make that Suspense render the whole page again when it loads,
/// dropping what the page's forms hold.
pub(super) struct BrowserLoad<T: Send + Sync + 'static> {
    value: RwSignal<Option<ApiResult<T>>>,
    /// Changed to load again: the browser's effect loads on each change.
    generation: RwSignal<u64>,
}

impl<T: Send + Sync> Clone for BrowserLoad<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T: Send + Sync> Copy for BrowserLoad<T> {}

/// Loads `fetch()` in the browser after hydration (the server never calls it).
pub(super) fn browser_load<T: Clone + Send + Sync + 'static, Fut: Future<Output = ApiResult<T>> + 'static>(
    fetch: impl Fn() -> Fut + 'static,
) -> BrowserLoad<T> {
    let load = BrowserLoad { value: RwSignal::new(None), generation: RwSignal::new(0) };
    #[cfg(feature = "hydrate")]
    Effect::new(move || {
        load.generation.track();
        let call = fetch();
        let value = load.value;
        leptos::task::spawn_local(async move {
            let loaded = call.await;
            // The page may have been left meanwhile: the signal is then disposed.
            let _ = value.try_set(Some(loaded));
        });
    });
    #[cfg(not(feature = "hydrate"))]
    drop(fetch);
    load
}

impl<T: Clone + Send + Sync + 'static> BrowserLoad<T> {
    /// What was loaded, if it has been (tracked).
    pub(super) fn get(self) -> Option<ApiResult<T>> {
        self.value.get()
    }

    /// Loads it again.
    pub(super) fn refetch(self) {
        self.generation.update(|g| *g += 1);
    }
}

/// Asks the person to confirm `question` (the browser's own dialog); `false` outside the browser.
pub(super) fn confirm(question: &str) -> bool {
    #[cfg(feature = "hydrate")]
    return window().confirm_with_message(question).unwrap_or(false);
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = question;
        false
    }
}

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
    return format!("{}{path}", window().location().origin().unwrap_or_default());
    #[cfg(not(feature = "hydrate"))]
    return path.to_owned();
}

//! Parts of a page that the browser fetches the code of the first time they
//! are shown: a function marked `#[wasm_split]` (what Leptos' `#[lazy]`
//! uses) is, with `cargo leptos build --split`, split into a wasm chunk of
//! its own (with whatever only it uses), and calling it loads that chunk first. The editor's dialogs are built this
//! way, so that the editor's first load does without them; they share one
//! chunk (each split function cuts the code it shares with the editor
//! into more, smaller chunks of the editor's first load).

use leptos::prelude::*;
use std::future::Future;

/// A part of the page whose code could not be fetched (the network or the
/// server is gone): shown as such, with a way to try again, instead of the
/// panic that would stop the whole page.
#[derive(Debug, Clone, Copy)]
pub(super) struct Unavailable;

impl From<leptos::wasm_split::SplitLoaderError> for Unavailable {
    fn from(_: leptos::wasm_split::SplitLoaderError) -> Self {
        Unavailable
    }
}

/// Shows the view `load` resolves to — a split function's, once its chunk
/// is here — and "Loading…" until then; if the chunk cannot be fetched, says
/// so with a button that tries again. In a Suspense of its own: the page's
/// Suspense around it would otherwise fall back to its placeholder
/// meanwhile, taking the page (and the dialog this opens in) off the screen.
#[component]
pub(super) fn Later<F, Fut>(load: F) -> impl IntoView
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<AnyView, Unavailable>> + Send + 'static,
{
    let attempt = RwSignal::new(0u32);
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || {
                attempt.track();
                let loading = load();
                Suspend::new(async move {
                    loading.await.unwrap_or_else(|Unavailable| view! {
                        <p class="error" role="alert" data-testid="unavailable">
                            "This could not be loaded: the server cannot be reached. "
                            <button type="button" class="secondary" on:click=move |_| attempt.update(|n| *n += 1)>"Try again"</button>
                        </p>
                    }.into_any())
                })
            }}
        </Suspense>
    }
}

/// What an editor dialog shows.
pub(super) enum Dialog {
    /// The History dialog's versions of document `doc`; `close` closes the dialog.
    History { doc: String, close: Callback<()> },
    /// The Share dialog's access to document `doc`.
    Share { doc: String },
    /// The name prompt of a link guest: `rename` takes the name, `asking` ends it.
    Name { rename: Callback<String>, asking: RwSignal<bool> },
}

/// The editor's dialogs, in a chunk of their own. Split as `fallible` (which
/// Leptos' `#[lazy]` is not): a chunk that cannot be fetched is an error.
#[leptos::wasm_split::wasm_split(dialog_view, wasm_split_path = ::leptos::wasm_split, fallible)]
pub(super) fn dialog_view(which: Dialog) -> Result<AnyView, Unavailable> {
    Ok(match which {
        Dialog::History { doc, close } => super::history::panel(doc, close),
        Dialog::Share { doc } => super::share::panel(doc),
        Dialog::Name { rename, asking } => super::editor::name_prompt(rename, asking),
    })
}

//! Parts of a page that the browser fetches the code of the first time they
//! are shown: a function marked `#[lazy]` is, with `cargo leptos build
//! --split`, split into a wasm chunk of its own (with whatever only it uses),
//! and calling it loads that chunk first. The editor's dialogs are built this
//! way, so that the editor's first load does without them; they share one
//! chunk (each `#[lazy]` function cuts the code it shares with the editor
//! into more, smaller chunks of the editor's first load).

use leptos::prelude::*;
use std::future::Future;

/// Shows the view `load` resolves to — a `#[lazy]` function's, once its
/// chunk is here — and "Loading…" until then. In a Suspense of its own: the
/// page's Suspense around it would otherwise fall back to its placeholder
/// meanwhile, taking the page (and the dialog this opens in) off the screen.
#[component]
pub(super) fn Later<F, Fut>(load: F) -> impl IntoView
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: Future<Output = AnyView> + Send + 'static,
{
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(load())}
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

/// The editor's dialogs, in a chunk of their own.
#[lazy]
pub(super) fn dialog_view(which: Dialog) -> AnyView {
    match which {
        Dialog::History { doc, close } => super::history::panel(doc, close),
        Dialog::Share { doc } => super::share::panel(doc),
        Dialog::Name { rename, asking } => super::editor::name_prompt(rename, asking),
    }
}

//! Parts of a page that the browser fetches the code of the first time they
//! are shown: a function marked `#[lazy]` is, with `cargo leptos build
//! --split`, split into a wasm chunk of its own (with whatever only it uses),
//! and calling it loads that chunk first. The editor's dialogs are built this
//! way, so that the editor's first load does without them.

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

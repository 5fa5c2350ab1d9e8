//! The pages of the app.

use leptos::prelude::*;
use leptos_meta::{Stylesheet, Title, provide_meta_context};
use leptos_router::{
    StaticSegment,
    components::{Route, Router, Routes},
};

/// The root component: metadata, stylesheet and routes.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Stylesheet id="leptos" href="/pkg/tandem.css"/>
        <Title text="Tandem"/>
        <Router>
            <Routes fallback=NotFound>
                <Route path=StaticSegment("") view=Home/>
            </Routes>
        </Router>
    }
}

/// The landing page of the workspace.
#[component]
fn Home() -> impl IntoView {
    // Flips to "ready" once the wasm has hydrated the page: the browser is live.
    let hydrated = RwSignal::new(false);
    Effect::new(move || hydrated.set(true));
    let state = move || if hydrated.get() { "ready" } else { "loading" };
    view! {
        <main class="home" data-testid="home" data-state=state>
            <h1>"Tandem"</h1>
            <p class="lede">"Write documents together, live."</p>
        </main>
    }
}

/// Shown for any path that matches no page.
#[component]
fn NotFound() -> impl IntoView {
    view! {
        <main class="home">
            <h1>"Not found"</h1>
            <p><a href="/">"Back to the workspace"</a></p>
        </main>
    }
}

//! `/signin`: name and password; then back to the page that sent the person here.

use super::forms::{ErrorText, run};
use super::nav::{go, safe_next};
use crate::api;
use crate::server_fns::current_session;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

/// The sign-in page.
#[component]
pub fn SignIn() -> impl IntoView {
    let query = use_query_map();
    let (username, password) = (RwSignal::new(String::new()), RwSignal::new(String::new()));
    let (pending, error) = (RwSignal::new(false), RwSignal::new(None));
    let hydrated = super::hydrated();
    let session = Resource::new(|| (), |_| current_session());
    let needs_setup = move || session.get().and_then(Result::ok).is_some_and(|s| s.needs_setup);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let next = safe_next(query.read_untracked().get("next").as_deref()).to_owned();
        let call = api::sign_in(username.get_untracked(), password.get_untracked());
        run(pending, error, call, move |_| go(&next));
    };
    view! {
        <Title text="Sign in · Tandem"/>
        <main class="page narrow" data-testid="signin" data-state=move || if hydrated.get() { "ready" } else { "loading" }>
            <h1>"Sign in"</h1>
            <form class="form" on:submit=submit>
                <label>"Username"
                    <input name="username" autocomplete="username" required bind:value=username/>
                </label>
                <label>"Password"
                    <input name="password" type="password" autocomplete="current-password" required bind:value=password/>
                </label>
                // Disabled until the page can send it: a plain form submission would put the password in the URL.
                <button class="primary" type="submit" disabled=move || !hydrated.get() || pending.get()>"Sign in"</button>
                <ErrorText error/>
            </form>
            <Transition>
                {move || if needs_setup() {
                    view! {
                        <p class="notice" data-testid="needs-setup">
                            "This server has no account yet. Its log holds a setup link (it ends in /setup?token=…) \
                             that creates the first administrator."
                        </p>
                    }.into_any()
                } else {
                    view! { <p class="muted">"Ask your administrator for an account or an invite link."</p> }.into_any()
                }}
            </Transition>
        </main>
    }
}

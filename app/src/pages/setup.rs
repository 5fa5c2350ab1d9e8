//! `/setup?token=T`: the first administrator of a new server, made with the
//! one-time token the server printed in its log.

use super::forms::{ErrorText, run};
use super::nav::go;
use crate::api;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

/// The setup page.
#[component]
pub fn Setup() -> impl IntoView {
    let query = use_query_map();
    let token = move || query.read().get("token").filter(|t| !t.is_empty());
    view! {
        <Title text="Set up · Tandem"/>
        <main class="page narrow" data-testid="setup">
            <h1>"Create the first administrator"</h1>
            {move || match token() {
                Some(token) => view! { <NewAccountForm token purpose=Purpose::Setup/> }.into_any(),
                None => view! {
                    <p>"This page needs the setup link the server printed in its log when it started. \
                        Open that link (it ends in ?token=…) to continue."</p>
                }.into_any(),
            }}
        </main>
    }
}

/// What a new account's form makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Purpose {
    /// The first administrator, with the setup token.
    Setup,
    /// A member, with an invite's token.
    Join,
}

/// Username, password and the password again; the account is made with
/// `token` and signed in, then the workspace opens.
#[component]
pub(super) fn NewAccountForm(token: String, purpose: Purpose) -> impl IntoView {
    let (username, password, repeat) = (RwSignal::new(String::new()), RwSignal::new(String::new()), RwSignal::new(String::new()));
    let (pending, error) = (RwSignal::new(false), RwSignal::new(None));
    let hydrated = super::hydrated();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if password.get_untracked() != repeat.get_untracked() {
            return error.set(Some("The two passwords differ.".into()));
        }
        let (token, name, pass) = (token.clone(), username.get_untracked(), password.get_untracked());
        match purpose {
            Purpose::Setup => run(pending, error, api::setup(token, name, pass), |_| go("/")),
            Purpose::Join => run(pending, error, api::join(token, name, pass), |_| go("/")),
        }
    };
    let label = match purpose {
        Purpose::Setup => "Create administrator",
        Purpose::Join => "Create account",
    };
    view! {
        <form class="form" on:submit=submit data-state=move || if hydrated.get() { "ready" } else { "loading" }>
            <label>"Username"
                <input name="username" autocomplete="username" required bind:value=username/>
            </label>
            <label>"Password"
                <input name="password" type="password" autocomplete="new-password" minlength="8" required bind:value=password/>
            </label>
            <label>"Repeat password"
                <input name="repeat" type="password" autocomplete="new-password" minlength="8" required bind:value=repeat/>
            </label>
            <p class="muted hint">"At least 8 characters."</p>
            <button class="primary" type="submit" disabled=move || !hydrated.get() || pending.get()>{label}</button>
            <ErrorText error/>
        </form>
    }
}

//! `/invite/{token}`: someone invited chooses a name and password.

use super::setup::{NewAccountForm, Purpose};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

/// The invite page.
#[component]
pub fn Invite() -> impl IntoView {
    let params = use_params_map();
    let token = params.read_untracked().get("token").unwrap_or_default();
    view! {
        <Title text="Join · Tandem"/>
        <main class="page narrow" data-testid="invite">
            <h1>"Join Tandem"</h1>
            <p class="lede">"You were invited. Choose the name and password you will sign in with."</p>
            <NewAccountForm token purpose=Purpose::Join/>
        </main>
    }
}

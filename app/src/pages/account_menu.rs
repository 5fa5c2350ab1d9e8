//! The signed-in person's menu in the top bar: their account, the members
//! page (administrators), and signing out. Only in accounts mode.

use super::forms::run;
use super::nav::go;
use crate::api;
use crate::model::Me;
use leptos::prelude::*;

/// The person's name, opening their menu (a disclosure: keyboard and screen
/// reader friendly without any script).
#[component]
pub(super) fn AccountMenu(me: Me) -> impl IntoView {
    view! {
        <details class="account-menu" data-testid="account-menu">
            <summary aria-label=format!("Account menu of {}", me.username)>
                <span class="who">{me.username.clone()}</span>
            </summary>
            <div class="menu">
                <a href=crate::base::url("/account")>"Account"</a>
                {me.admin.then(|| view! { <a href=crate::base::url("/admin")>"Members"</a> })}
                <SignOutButton/>
            </div>
        </details>
    }
}

/// Signs out, then shows the sign-in page.
#[component]
pub(super) fn SignOutButton() -> impl IntoView {
    let (pending, error) = (RwSignal::new(false), RwSignal::new(None::<String>));
    let sign_out = move |_| run(pending, error, api::sign_out(), |_| go("/signin"));
    view! {
        <button type="button" class="link-button" data-testid="sign-out" on:click=sign_out disabled=move || pending.get()>
            "Sign out"
        </button>
        {move || error.get().map(|e| view! { <span class="error" role="alert">{e}</span> })}
    }
}

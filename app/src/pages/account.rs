//! `/account`: the signed-in person's name, password, API tokens, and signing out.

use super::account_menu::SignOutButton;
use super::forms::{CopyField, ErrorText, browser_load, run};
use super::nav::{Failure, GoSignIn};
use crate::api::{self, ApiToken, NewToken};
use crate::model::{Me, PageSession};
use crate::server_fns::current_session;
use leptos::prelude::*;
use leptos_meta::Title;

/// The account page.
#[component]
pub fn Account() -> impl IntoView {
    let session = Resource::new(|| (), |_| current_session());
    view! {
        <Title text="Account · Tandem"/>
        <Suspense fallback=|| view! { <p class="muted page">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match session.await {
                    Ok(PageSession { me: Some(me), .. }) => view! { <AccountView me/> }.into_any(),
                    Ok(_) => view! {
                        <main class="page"><h1>"Account"</h1><p>"This server runs without accounts."</p></main>
                    }.into_any(),
                    Err(e) if Failure::of(&e) == Failure::SignIn => view! { <GoSignIn/> }.into_any(),
                    Err(_) => view! { <main class="page"><p class="error">"The account could not be loaded."</p></main> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn AccountView(me: Me) -> impl IntoView {
    let hydrated = super::hydrated();
    view! {
        <main class="page" data-testid="account" data-state=move || if hydrated.get() { "ready" } else { "loading" }>
            <p><a href=crate::base::url("/")>"← Back to the workspace"</a></p>
            <header class="page-head">
                <div>
                    <h1>"Account"</h1>
                    <p class="lede">"Signed in as " <strong data-testid="username">{me.username}</strong></p>
                </div>
                <SignOutButton/>
            </header>
            <ChangePassword/>
            <Tokens/>
        </main>
    }
}

#[component]
fn ChangePassword() -> impl IntoView {
    let (current, new) = (RwSignal::new(String::new()), RwSignal::new(String::new()));
    let (pending, error, changed) = (RwSignal::new(false), RwSignal::new(None), RwSignal::new(false));
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        changed.set(false);
        run(pending, error, api::change_password(current.get_untracked(), new.get_untracked()), move |_| {
            current.set(String::new());
            new.set(String::new());
            changed.set(true);
        });
    };
    view! {
        <section class="section" aria-labelledby="password-heading">
            <h2 id="password-heading">"Change password"</h2>
            <form class="form" on:submit=submit>
                <label>"Current password"
                    <input type="password" autocomplete="current-password" required bind:value=current/>
                </label>
                <label>"New password"
                    <input type="password" autocomplete="new-password" minlength="8" required bind:value=new/>
                </label>
                <button class="primary" type="submit" disabled=move || pending.get()>"Change password"</button>
                <ErrorText error/>
                <p class="ok" role="status">{move || changed.get().then_some("Password changed.")}</p>
            </form>
        </section>
    }
}

/// This person's API tokens: listed with a delete button, and made with a name
/// (the new token is shown once).
#[component]
fn Tokens() -> impl IntoView {
    let list = browser_load(api::tokens);
    let name = RwSignal::new(String::new());
    let (pending, error) = (RwSignal::new(false), RwSignal::new(None));
    let made = RwSignal::new(None::<NewToken>);
    let create = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        run(pending, error, api::create_token(name.get_untracked()), move |token| {
            name.set(String::new());
            made.set(Some(token));
            list.refetch();
        });
    };
    let delete = move |token: ApiToken| run(pending, error, api::delete_token(token.id), move |_| list.refetch());
    view! {
        <section class="section" aria-labelledby="tokens-heading">
            <h2 id="tokens-heading">"API tokens"</h2>
            <p class="muted">"Tokens let scripts and tools use Tandem as you."</p>
            {move || list.get().map(|tokens| match tokens {
                Ok(tokens) if tokens.is_empty() => view! { <p class="muted">"No tokens yet."</p> }.into_any(),
                Ok(tokens) => view! {
                    <table class="table" data-testid="tokens">
                        <thead><tr><th scope="col">"Name"</th><th scope="col">"Created"</th><th scope="col"><span class="sr-only">"Actions"</span></th></tr></thead>
                        <tbody>
                            {tokens.into_iter().map(|token| {
                                let label = format!("Delete token {}", token.name);
                                view! {
                                    <tr>
                                        <td>{token.name.clone()}</td>
                                        <td class="muted">{token.created_at.to_string()}</td>
                                        <td><button type="button" class="secondary danger" aria-label=label
                                            on:click=move |_| delete(token.clone())>"Delete"</button></td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any(),
                Err(e) => view! { <p class="error">{e.message}</p> }.into_any(),
            })}
            <form class="form inline" on:submit=create>
                <label>"Token name"
                    <input required placeholder="e.g. backup script" bind:value=name/>
                </label>
                <button class="primary" type="submit" disabled=move || pending.get()>"Create token"</button>
            </form>
            <ErrorText error/>
            {move || made.get().map(|token| view! {
                <CopyField label="New token" value=token.token note="This token is shown only once: copy it now."/>
            })}
        </section>
    }
}

//! `/admin`: the workspace's members (list, add, remove) and invite links,
//! for administrators.

use super::forms::{CopyField, ErrorText, browser_load, full_url, run};
use super::nav::{Failure, GoSignIn};
use crate::api::{self, Invite, Member, NewInvite};
use crate::model::{Me, PageSession};
use crate::server_fns::current_session;
use leptos::prelude::*;
use leptos_meta::Title;

/// The members page.
#[component]
pub fn Admin() -> impl IntoView {
    let session = Resource::new(|| (), |_| current_session());
    view! {
        <Title text="Members · Tandem"/>
        <Suspense fallback=|| view! { <p class="muted page">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match session.await {
                    Ok(PageSession { me: Some(me), .. }) if me.admin => view! { <AdminView me/> }.into_any(),
                    Ok(_) => view! {
                        <main class="page" data-testid="admin">
                            <h1>"Members"</h1>
                            <p>"Only administrators can manage members."</p>
                            <p><a href=crate::base::url("/")>"Back to the workspace"</a></p>
                        </main>
                    }.into_any(),
                    Err(e) if Failure::of(&e) == Failure::SignIn => view! { <GoSignIn/> }.into_any(),
                    Err(_) => view! { <main class="page"><p class="error">"The members could not be loaded."</p></main> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn AdminView(me: Me) -> impl IntoView {
    let hydrated = super::hydrated();
    view! {
        <main class="page" data-testid="admin" data-state=move || if hydrated.get() { "ready" } else { "loading" }>
            <p><a href=crate::base::url("/")>"← Back to the workspace"</a></p>
            <h1>"Members"</h1>
            <Members me=me.username/>
            <Invites/>
        </main>
    }
}

/// Every member, each removable but oneself, and a form to add one.
#[component]
fn Members(me: String) -> impl IntoView {
    let list = browser_load(api::members);
    let (pending, error) = (RwSignal::new(false), RwSignal::new(None));
    let remove = move |name: String| run(pending, error, api::remove_member(name), move |_| list.refetch());
    let me = StoredValue::new(me);
    view! {
        <section class="section" aria-labelledby="members-heading">
            <h2 id="members-heading">"People"</h2>
            {move || list.get().map(|members| match members {
                Ok(members) => view! {
                    <table class="table" data-testid="members">
                        <thead><tr>
                            <th scope="col">"Name"</th><th scope="col">"Administrator"</th>
                            <th scope="col">"Since"</th><th scope="col"><span class="sr-only">"Actions"</span></th>
                        </tr></thead>
                        <tbody>{members.into_iter().map(|m| view! { <MemberRow m me=me.get_value() remove/> }).collect_view()}</tbody>
                    </table>
                }.into_any(),
                Err(e) => view! { <p class="error">{e.message}</p> }.into_any(),
            })}
            <ErrorText error/>
            <AddMember added=move || list.refetch()/>
        </section>
    }
}

#[component]
fn MemberRow(m: Member, me: String, remove: impl Fn(String) + Copy + 'static) -> impl IntoView {
    let name = m.username.clone();
    let label = format!("Remove {}", m.username);
    let removable = m.username != me;
    view! {
        <tr>
            <td>{m.username.clone()}</td>
            <td>{if m.admin { "Yes" } else { "No" }}</td>
            <td class="muted">{m.created_at.to_string()}</td>
            <td>{removable.then(|| view! {
                <button type="button" class="secondary danger" aria-label=label on:click=move |_| remove(name.clone())>"Remove"</button>
            })}</td>
        </tr>
    }
}

/// Adds a member with a name, a first password and whether they administer.
#[component]
fn AddMember(added: impl Fn() + Copy + 'static) -> impl IntoView {
    let (name, password, admin) = (RwSignal::new(String::new()), RwSignal::new(String::new()), RwSignal::new(false));
    let (pending, error) = (RwSignal::new(false), RwSignal::new(None));
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let call = api::add_member(name.get_untracked(), password.get_untracked(), admin.get_untracked());
        run(pending, error, call, move |_| {
            name.set(String::new());
            password.set(String::new());
            admin.set(false);
            added();
        });
    };
    view! {
        <h3>"Add a member"</h3>
        <form class="form" on:submit=submit data-testid="add-member">
            <label>"Username"<input required autocomplete="off" bind:value=name/></label>
            <label>"Password"<input type="password" autocomplete="new-password" minlength="8" required bind:value=password/></label>
            <label class="check"><input type="checkbox" bind:checked=admin/>"Administrator"</label>
            <button class="primary" type="submit" disabled=move || pending.get()>"Add member"</button>
            <ErrorText error/>
        </form>
    }
}

/// Invite links: made (the full link is shown once), listed, revoked.
#[component]
fn Invites() -> impl IntoView {
    let list = browser_load(api::invites);
    let admin = RwSignal::new(false);
    let (pending, error) = (RwSignal::new(false), RwSignal::new(None));
    let made = RwSignal::new(None::<NewInvite>);
    let create = move |_| {
        run(pending, error, api::create_invite(admin.get_untracked()), move |invite| {
            made.set(Some(invite));
            list.refetch();
        });
    };
    let revoke = move |invite: Invite| run(pending, error, api::revoke_invite(invite.id), move |_| list.refetch());
    view! {
        <section class="section" aria-labelledby="invites-heading">
            <h2 id="invites-heading">"Invite links"</h2>
            <p class="muted">"Whoever opens an invite link chooses their own name and password. Each link works once."</p>
            <div class="form inline">
                <label class="check"><input type="checkbox" bind:checked=admin/>"Invite as administrator"</label>
                <button type="button" class="primary" data-testid="create-invite" on:click=create disabled=move || pending.get()>
                    "Create invite link"
                </button>
            </div>
            <ErrorText error/>
            {move || made.get().map(|invite| view! {
                <CopyField label="Invite link" value=full_url(&invite.url) note="This link is shown only once: copy it now."/>
            })}
            {move || list.get().map(|invites| match invites {
                Ok(invites) if invites.is_empty() => view! { <p class="muted">"No open invites."</p> }.into_any(),
                Ok(invites) => view! {
                    <table class="table" data-testid="invites">
                        <thead><tr>
                            <th scope="col">"For"</th><th scope="col">"Created"</th><th scope="col">"Expires"</th>
                            <th scope="col"><span class="sr-only">"Actions"</span></th>
                        </tr></thead>
                        <tbody>
                            {invites.into_iter().map(|invite| {
                                let label = format!("Revoke the invite created {}", invite.created_at);
                                view! {
                                    <tr>
                                        <td>{if invite.admin { "Administrator" } else { "Member" }}</td>
                                        <td class="muted">{invite.created_at.to_string()}</td>
                                        <td class="muted">{invite.expires_at.to_string()}</td>
                                        <td><button type="button" class="secondary danger" aria-label=label
                                            on:click=move |_| revoke(invite.clone())>"Revoke"</button></td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any(),
                Err(e) => view! { <p class="error">{e.message}</p> }.into_any(),
            })}
        </section>
    }
}

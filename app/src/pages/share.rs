//! The editor's Share dialog, for a document's owner (and administrators):
//! what the whole workspace may do, people with roles of their own, share
//! links, and at its foot deleting the document.

use super::forms::{CopyField, ErrorText, browser_load, full_url, run};
use super::later::{Dialog, Later, dialog_view};
use crate::api::{self, DocAccess, DocMember, NewLink, ShareLink};
use leptos::prelude::*;
use tandem_sync::DocId;

/// The Share button and its modal dialog: focus moves into it when it opens,
/// Escape closes it (a native `<dialog>`), and its contents are loaded afresh each time.
#[component]
pub(super) fn ShareButton(doc: DocId) -> impl IntoView {
    let dialog = NodeRef::<leptos::html::Dialog>::new();
    let open = RwSignal::new(false);
    let show = move |_| {
        open.set(true);
        if let Some(dialog) = dialog.get() {
            let _ = dialog.show_modal();
        }
    };
    let close = move |_| if let Some(dialog) = dialog.get() { dialog.close() };
    let doc = StoredValue::new(doc.to_string());
    view! {
        <button type="button" class="secondary" data-testid="share" aria-haspopup="dialog" on:click=show>"Share"</button>
        <dialog node_ref=dialog class="dialog" aria-labelledby="share-heading" data-testid="share-dialog"
            on:close=move |_| open.set(false)>
            <div class="dialog-head">
                <h2 id="share-heading">"Share"</h2>
                <button type="button" class="secondary" on:click=close>"Close"</button>
            </div>
            <Show when=move || open.get()>
                <Later load=move || dialog_view(Dialog::Share { doc: doc.get_value() })/>
            </Show>
        </dialog>
    }
}

/// What the dialog holds while open (in the dialogs' chunk).
pub(super) fn panel(doc: String) -> AnyView {
    view! { <SharePanel doc/> }.into_any()
}

/// What the dialog shows once the document's access has loaded.
#[component]
fn SharePanel(doc: String) -> impl IntoView {
    let doc = StoredValue::new(doc);
    let access = browser_load(move || api::access(doc.get_value()));
    let (pending, error) = (RwSignal::new(false), RwSignal::new(None));
    let ctx = Ctx { doc, pending, error, refresh: Callback::new(move |_| access.refetch()), made: RwSignal::new(None) };
    // Loaded by the browser, outside the editor page's Suspense, which would
    // otherwise take the page (and the open dialog with it) out of the
    // document while this loads.
    view! {
        <ErrorText error/>
        {move || match access.get() {
            None => view! { <p class="muted">"Loading…"</p> }.into_any(),
            Some(Ok(access)) => view! { <AccessView access ctx/> }.into_any(),
            Some(Err(e)) => view! { <p class="error">{e.message}</p> }.into_any(),
        }}
    }
}

/// What every part of the panel needs to make a call.
#[derive(Clone, Copy)]
struct Ctx {
    doc: StoredValue<String>,
    pending: RwSignal<bool>,
    error: RwSignal<Option<String>>,
    /// Loads the access again (after a change).
    refresh: Callback<()>,
    /// The link made last, shown once with its token. Kept here, not in the
    /// links section, which is rebuilt when the access loads again.
    made: RwSignal<Option<NewLink>>,
}

impl Ctx {
    /// Runs `call` and loads the access again once it succeeded.
    fn change(self, call: impl std::future::Future<Output = api::ApiResult<()>> + 'static) {
        run(self.pending, self.error, call, move |_| self.refresh.run(()));
    }
}

#[component]
fn AccessView(access: DocAccess, ctx: Ctx) -> impl IntoView {
    let DocAccess { owner, workspace, members, links } = access;
    view! {
        <p class="muted">"Owner: " <strong>{owner}</strong></p>
        <WorkspaceAccess current=workspace ctx/>
        <People members ctx/>
        <Links links ctx/>
    }
}

/// The role names the API uses, and how people read them.
const WORKSPACE_ROLES: [(&str, &str); 3] = [("none", "No access"), ("viewer", "Can view"), ("editor", "Can edit")];
const PERSON_ROLES: [(&str, &str); 3] = [("viewer", "Can view"), ("editor", "Can edit"), ("owner", "Owner")];

/// How people read `role`.
fn role_label(role: &str) -> &'static str {
    WORKSPACE_ROLES.iter().chain(&PERSON_ROLES).find(|(r, _)| *r == role).map_or("Unknown", |(_, label)| label)
}

/// A `<select>`'s options from `roles`, with `current` selected.
fn role_options(roles: &'static [(&'static str, &'static str)], current: &str) -> impl IntoView + use<> {
    roles
        .iter()
        .map(|(role, label)| view! { <option value=*role selected=*role == current>{*label}</option> })
        .collect_view()
}

#[component]
fn WorkspaceAccess(current: String, ctx: Ctx) -> impl IntoView {
    let change = move |ev: leptos::ev::Event| ctx.change(api::set_workspace_role(ctx.doc.get_value(), event_target_value(&ev)));
    view! {
        <section class="share-section">
            <label class="row-label">"Everyone in the workspace"
                <select data-testid="workspace-access" on:change=change>{role_options(&WORKSPACE_ROLES, &current)}</select>
            </label>
        </section>
    }
}

#[component]
fn People(members: Vec<DocMember>, ctx: Ctx) -> impl IntoView {
    view! {
        <section class="share-section" aria-labelledby="people-heading">
            <h3 id="people-heading">"People"</h3>
            {if members.is_empty() {
                view! { <p class="muted">"No one has a role of their own."</p> }.into_any()
            } else {
                view! {
                    <ul class="people" data-testid="people">
                        {members.into_iter().map(|m| view! { <Person m ctx/> }).collect_view()}
                    </ul>
                }.into_any()
            }}
            <AddPerson ctx/>
        </section>
    }
}

#[component]
fn Person(m: DocMember, ctx: Ctx) -> impl IntoView {
    let name = StoredValue::new(m.username.clone());
    let change = move |ev: leptos::ev::Event| {
        ctx.change(api::set_member_role(ctx.doc.get_value(), name.get_value(), event_target_value(&ev)));
    };
    let remove = move |_| ctx.change(api::remove_doc_member(ctx.doc.get_value(), name.get_value()));
    view! {
        <li>
            <span class="name">{m.username.clone()}</span>
            <select aria-label=format!("Role of {}", m.username) on:change=change>{role_options(&PERSON_ROLES, &m.role)}</select>
            <button type="button" class="secondary danger" aria-label=format!("Remove {}", m.username) on:click=remove>
                "Remove"
            </button>
        </li>
    }
}

#[component]
fn AddPerson(ctx: Ctx) -> impl IntoView {
    let (name, role) = (RwSignal::new(String::new()), RwSignal::new("editor".to_owned()));
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let call = api::set_member_role(ctx.doc.get_value(), name.get_untracked(), role.get_untracked());
        run(ctx.pending, ctx.error, call, move |_| {
            name.set(String::new());
            ctx.refresh.run(());
        });
    };
    view! {
        <form class="form inline" on:submit=submit data-testid="add-person">
            <label>"Username"<input required autocomplete="off" bind:value=name/></label>
            <label>"Role"
                <select on:change=move |ev| role.set(event_target_value(&ev))>{role_options(&PERSON_ROLES, "editor")}</select>
            </label>
            <button type="submit" class="primary" disabled=move || ctx.pending.get()>"Add person"</button>
        </form>
    }
}

#[component]
fn Links(links: Vec<ShareLink>, ctx: Ctx) -> impl IntoView {
    let made = ctx.made;
    let create = move |role: &'static str| {
        run(ctx.pending, ctx.error, api::create_link(ctx.doc.get_value(), role.into()), move |link| {
            made.set(Some(link));
            ctx.refresh.run(());
        });
    };
    view! {
        <section class="share-section" aria-labelledby="links-heading">
            <h3 id="links-heading">"Links"</h3>
            <p class="muted">"Anyone with a link can open the document, without an account."</p>
            <div class="form inline">
                <button type="button" class="secondary" data-testid="create-view-link" on:click=move |_| create("viewer")>
                    "Create view link"
                </button>
                <button type="button" class="secondary" data-testid="create-edit-link" on:click=move |_| create("editor")>
                    "Create edit link"
                </button>
            </div>
            {move || made.get().map(|link| view! {
                <CopyField label=if link.role == "editor" { "Edit link" } else { "View link" } value=full_url(&link.url) note="This link is shown only once: copy it now."/>
            })}
            {(!links.is_empty()).then(|| view! {
                <ul class="links" data-testid="links">
                    {links.into_iter().map(|link| view! { <LinkRow link ctx/> }).collect_view()}
                </ul>
            })}
        </section>
    }
}

#[component]
fn LinkRow(link: ShareLink, ctx: Ctx) -> impl IntoView {
    let label = role_label(&link.role);
    let created = link.created_at.to_string();
    let revoke_label = format!("Revoke the {} link created {created}", label.to_lowercase());
    let id = StoredValue::new(link.id);
    let revoke = move |_| ctx.change(api::revoke_link(ctx.doc.get_value(), id.get_value()));
    view! {
        <li>
            <span class="name">{label}" link"</span>
            <span class="muted">"created "{created}</span>
            <button type="button" class="secondary danger" aria-label=revoke_label on:click=revoke>"Revoke"</button>
        </li>
    }
}

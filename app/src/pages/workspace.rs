//! `/`: the documents of the workspace, a "New document" action, importing
//! Markdown files, and links to the trash and to an export of everything.

use super::account_menu::AccountMenu;
use super::import::ImportButton;
use super::nav::{Failure, GoSignIn};
use crate::model::{DocSummary, Role};
use crate::server_fns::{create_doc, current_session, list_docs};
use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

/// The workspace page.
#[component]
pub fn Workspace() -> impl IntoView {
    let docs = Resource::new(|| (), |_| list_docs());
    let session = Resource::new(|| (), |_| current_session());
    #[cfg(feature = "hydrate")]
    refetch_on_changes(docs);
    let hydrated = super::hydrated();
    let state = move || if hydrated.get() { "ready" } else { "loading" };
    let now = clock();
    let import_error = RwSignal::new(None::<String>);
    let imported = Callback::new(move |_| docs.refetch());
    view! {
        <main class="page" data-testid="home" data-state=state>
            <header class="page-head">
                <div>
                    <h1>"Tandem"</h1>
                    <p class="lede">"Write documents together, live."</p>
                </div>
                <div class="head-actions">
                    <a href=crate::base::url("/trash") data-testid="trash-link">"Trash"</a>
                    <ImportButton error=import_error imported/>
                    <NewDocButton error=import_error/>
                    <Suspense>
                        {move || Suspend::new(async move {
                            session.await.ok().and_then(|s| s.me).map(|me| view! { <AccountMenu me/> })
                        })}
                    </Suspense>
                </div>
            </header>
            <p class="error" role="alert" data-testid="import-error">{move || import_error.get()}</p>
            // A transition keeps the current list on screen while a live update refetches it.
            <Transition fallback=|| view! { <p class="muted">"Loading documents…"</p> }>
                {move || Suspend::new(async move {
                    match docs.await {
                        Ok(list) => view! { <DocList docs=list now/> }.into_any(),
                        Err(e) if Failure::of(&e) == Failure::SignIn => view! { <GoSignIn/> }.into_any(),
                        Err(_) => view! { <p class="error">"The documents could not be loaded."</p> }.into_any(),
                    }
                })}
            </Transition>
            <p class="page-foot"><a href=crate::base::url("/api/export") download="" data-testid="export-all">"Export everything (.zip)"</a></p>
        </main>
    }
}

/// Refetches the list whenever the server says a document appeared or was
/// renamed, and each time the event stream (re)opens: a change made before
/// the server was listening for this page (between the list's first fetch
/// and the stream's opening, or while reconnecting) sends no event.
#[cfg(feature = "hydrate")]
fn refetch_on_changes(docs: Resource<Result<Vec<DocSummary>, ServerFnError>>) {
    use wasm_bindgen::JsCast;
    use wasm_bindgen::closure::Closure;
    let Ok(source) = web_sys::EventSource::new(&crate::base::url("/api/events")) else { return };
    let refetch = Closure::<dyn FnMut(web_sys::Event)>::new(move |_| docs.refetch());
    source.set_onmessage(Some(refetch.as_ref().unchecked_ref()));
    source.set_onopen(Some(refetch.as_ref().unchecked_ref()));
    let keep = send_wrapper::SendWrapper::new((source, refetch));
    on_cleanup(move || keep.0.close());
}

/// Creates a document and opens it; says why in `error` if it could not.
#[component]
fn NewDocButton(error: RwSignal<Option<String>>) -> impl IntoView {
    let navigate = use_navigate();
    let create = Action::new(|_: &()| create_doc());
    Effect::new(move || match create.value().get() {
        Some(Ok(id)) => navigate(&format!("/d/{id}"), Default::default()),
        // The server's own words: a full store, too many documents.
        Some(Err(ServerFnError::ServerError(message))) => error.set(Some(message)),
        // Refused before the server function ran: too many creations from this address.
        Some(Err(_)) => error.set(Some("The document could not be created; try again in a minute.".to_owned())),
        None => {}
    });
    view! {
        <button class="primary" data-testid="new-doc" on:click=move |_| { create.dispatch(()); }
            disabled=move || create.pending().get()>
            "New document"
        </button>
    }
}

/// The current time in Unix milliseconds, once the page has hydrated (`None`
/// before, on the server and while hydrating, so that the first paint and
/// hydration show the server's UTC times); then renewed every minute.
fn clock() -> RwSignal<Option<f64>> {
    let now = RwSignal::new(None);
    #[cfg(feature = "hydrate")]
    Effect::new(move || {
        now.set(Some(js_sys::Date::now()));
        let tick = move || now.set(Some(js_sys::Date::now()));
        if let Ok(handle) = set_interval_with_handle(tick, std::time::Duration::from_secs(60)) {
            on_cleanup(move || handle.clear());
        }
    });
    now
}

/// The list of documents, most recently edited first; `now` turns the
/// server's UTC times into the reader's local, relative ones.
#[component]
fn DocList(docs: Vec<DocSummary>, now: RwSignal<Option<f64>>) -> impl IntoView {
    if docs.is_empty() {
        return view! { <p class="muted">"No documents yet. Start one with “New document”."</p> }.into_any();
    }
    view! {
        <ul class="doc-list" data-testid="doc-list">
            // Keyed by the row's whole content: when a live update reorders the
            // list, each row's element moves with its document instead of being
            // refilled in place with another's link, so a click lands on the
            // document it was aimed at (a row whose content changed is drawn anew).
            <For each=move || docs.clone() key=|doc| doc.clone() let:doc>
                <li>
                    <a href=crate::base::url(&format!("/d/{}", doc.id)) class:untitled=doc.title.trim().is_empty()>{doc.name().to_owned()}</a>
                    <span class="doc-meta">
                        {access_label(doc.role, &doc.owner).map(|label| view! { <span class="muted access">{label}</span> })}
                        <Updated ms=doc.updated_at utc=doc.updated.clone() iso=doc.updated_iso.clone() now/>
                    </span>
                </li>
            </For>
        </ul>
    }
    .into_any()
}

/// Who owns a document and what the reader may do with it; nothing in open
/// mode (no owners there).
fn access_label(role: Role, owner: &str) -> Option<String> {
    if owner.is_empty() {
        return None;
    }
    Some(match role {
        Role::Owner => format!("Owner: {owner}"),
        Role::Editor => format!("Owner: {owner} · you can edit"),
        Role::Viewer => format!("Owner: {owner} · view only"),
    })
}

/// When a document was last changed: the server's UTC text until `now` is
/// known, then relative or local, with the exact local time on hover.
#[component]
fn Updated(ms: i64, utc: String, iso: String, now: RwSignal<Option<f64>>) -> impl IntoView {
    let utc_title = utc.clone();
    let text = move || match now.get() {
        #[cfg(feature = "hydrate")]
        Some(now) => crate::local_time::label(ms, now),
        _ => utc.clone(),
    };
    let title = move || match now.get() {
        #[cfg(feature = "hydrate")]
        Some(_) => crate::local_time::exact(ms),
        _ => utc_title.clone(),
    };
    view! { <time class="muted" datetime=iso title=title data-ms=ms>{text}</time> }
}

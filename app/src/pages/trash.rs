//! `/trash`: deleted documents, each restorable or deletable for good. The
//! list is loaded by the browser; someone signed out is offered to sign in.

use super::forms::{ErrorText, browser_load, confirm, run};
use crate::api::{self, ApiResult, Trashed};
use crate::model::display_title;
use leptos::prelude::*;
use leptos_meta::Title;

/// The trash page.
#[component]
pub fn Trash() -> impl IntoView {
    let list = browser_load(api::trash);
    let hydrated = super::hydrated();
    let (pending, error) = (RwSignal::new(false), RwSignal::new(None));
    let act = Act { pending, error, refresh: Callback::new(move |_| list.refetch()) };
    view! {
        <Title text="Trash · Tandem"/>
        <main class="page" data-testid="trash" data-state=move || if hydrated.get() { "ready" } else { "loading" }>
            <p><a href=crate::base::url("/")>"← Back to the workspace"</a></p>
            <h1>"Trash"</h1>
            <p class="lede">"Deleted documents stay here until they are restored or deleted for good."</p>
            <ErrorText error/>
            {move || match list.get() {
                None => view! { <p class="muted">"Loading…"</p> }.into_any(),
                Some(Err(e)) if e.status == 401 => view! {
                    <p><a href=super::nav::signin_href()>"Sign in to see the trash"</a></p>
                }.into_any(),
                Some(Err(e)) => view! { <p class="error">{e.message}</p> }.into_any(),
                Some(Ok(items)) if items.is_empty() => view! { <p class="muted">"The trash is empty."</p> }.into_any(),
                Some(Ok(items)) => view! { <TrashList items act/> }.into_any(),
            }}
        </main>
    }
}

/// What each row needs to act: the call's state, and reloading the list after.
#[derive(Clone, Copy)]
struct Act {
    pending: RwSignal<bool>,
    error: RwSignal<Option<String>>,
    refresh: Callback<()>,
}

impl Act {
    fn run(self, call: impl std::future::Future<Output = ApiResult<()>> + 'static) {
        run(self.pending, self.error, call, move |_| self.refresh.run(()));
    }
}

#[component]
fn TrashList(items: Vec<Trashed>, act: Act) -> impl IntoView {
    view! {
        <table class="table" data-testid="trash-list">
            <thead><tr>
                <th scope="col">"Title"</th><th scope="col">"Deleted"</th><th scope="col">"By"</th>
                <th scope="col"><span class="sr-only">"Actions"</span></th>
            </tr></thead>
            <tbody>{items.into_iter().map(|item| view! { <TrashRow item act/> }).collect_view()}</tbody>
        </table>
    }
}

#[component]
fn TrashRow(item: Trashed, act: Act) -> impl IntoView {
    let title = display_title(&item.title).to_owned();
    let (restore_label, forever_label) = (format!("Restore {title}"), format!("Delete {title} forever"));
    let question = format!("Delete “{title}” forever? This cannot be undone.");
    let id = StoredValue::new(item.id);
    let restore = move |_| act.run(api::restore_trashed(id.get_value()));
    let forever = move |_| {
        if confirm(&question) {
            act.run(api::delete_forever(id.get_value()));
        }
    };
    view! {
        <tr>
            <td>{title}</td>
            <td class="muted">{item.deleted_at.to_string()}</td>
            <td class="muted">{item.deleted_by.unwrap_or_default()}</td>
            <td class="row-actions">
                <button type="button" class="secondary" aria-label=restore_label on:click=restore
                    disabled=move || act.pending.get()>"Restore"</button>
                <button type="button" class="secondary danger" aria-label=forever_label on:click=forever
                    disabled=move || act.pending.get()>"Delete forever"</button>
            </td>
        </tr>
    }
}

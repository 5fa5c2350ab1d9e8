//! Deleting the open document, for its owner (and administrators): after a
//! confirmation it moves to the trash, and the person goes back to the workspace.

use super::forms::{confirm, run};
use crate::api;
use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

/// The Delete button, with what went wrong under it, if anything.
#[component]
pub(super) fn DeleteButton(doc: String) -> impl IntoView {
    let doc = StoredValue::new(doc);
    let navigate = use_navigate();
    let (pending, error) = (RwSignal::new(false), RwSignal::new(None::<String>));
    let delete = move |_| {
        if !confirm("Delete this document? It moves to the trash, where it can be restored.") {
            return;
        }
        let navigate = navigate.clone();
        run(pending, error, api::delete_doc(doc.get_value()), move |_| navigate("/", Default::default()));
    };
    view! {
        <button type="button" class="secondary danger" data-testid="delete-doc" on:click=delete disabled=move || pending.get()>
            "Delete document"
        </button>
        <span class="error" role="alert">{move || error.get()}</span>
    }
}

//! Importing Markdown files on the workspace page: chosen with a button, or
//! dropped anywhere on the page. Each file becomes a document; one file is
//! opened once imported, several refresh the list. What failed is said inline.

#[cfg(any(feature = "hydrate", test))]
use crate::api::ApiError;
use leptos::prelude::*;

/// The Import button and its hidden file input; `error` shows what failed
/// (the page places it), `imported` reloads the list.
#[component]
pub(super) fn ImportButton(error: RwSignal<Option<String>>, imported: Callback<()>) -> impl IntoView {
    let input = NodeRef::<leptos::html::Input>::new();
    let pending = RwSignal::new(false);
    #[cfg(feature = "hydrate")]
    let start = {
        let navigate = leptos_router::hooks::use_navigate();
        let start = move |files: Vec<web_sys::File>| {
            let navigate = navigate.clone();
            browser::import_all(files, pending, error, move |single| match single {
                Some(id) => navigate(&format!("/d/{}", id.0), Default::default()),
                None => imported.run(()),
            });
        };
        browser::accept_drops(start.clone());
        start
    };
    let pick = move |_| {
        if let Some(input) = input.get() {
            input.click();
        }
    };
    let chosen = move |_| {
        #[cfg(feature = "hydrate")]
        if let Some(input) = input.get() {
            start(browser::files(input.files()));
            input.set_value(""); // choosing the same file again is a change too
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (error, imported);
    };
    view! {
        <button type="button" class="secondary" data-testid="import" on:click=pick disabled=move || pending.get()
            title="Or drop Markdown files onto the page">
            {move || if pending.get() { "Importing…" } else { "Import Markdown" }}
        </button>
        <input node_ref=input type="file" accept=".md,text/markdown,text/plain" multiple hidden
            data-testid="import-input" aria-label="Markdown files to import" on:change=chosen/>
    }
}

/// Whether a file called `name` may be imported (Markdown or plain text, by its extension).
#[cfg(any(feature = "hydrate", test))]
fn importable(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    [".md", ".markdown", ".txt"].iter().any(|ext| name.ends_with(ext))
}

/// Why the file `name` was not imported, for people.
#[cfg(any(feature = "hydrate", test))]
fn failure(name: &str, e: &ApiError) -> String {
    let why = match (e.status, e.code.as_str()) {
        (413, _) => "it is too large.".to_owned(),
        (_, "not_utf8") => "it is not UTF-8 text.".to_owned(),
        _ => e.message.clone(),
    };
    format!("{name} was not imported: {why}")
}

#[cfg(feature = "hydrate")]
mod browser {
    use crate::api::{self, Id};
    use leptos::prelude::*;

    /// The files of a file list, in order.
    pub(super) fn files(list: Option<web_sys::FileList>) -> Vec<web_sys::File> {
        let Some(list) = list else { return Vec::new() };
        (0..list.length()).filter_map(|i| list.get(i)).collect()
    }

    /// Imports `files` one after another; then says what failed in `error`,
    /// and calls `done` with the new document's id if there was one file and
    /// it was imported, with `None` if any of several was.
    pub(super) fn import_all(
        files: Vec<web_sys::File>,
        pending: RwSignal<bool>,
        error: RwSignal<Option<String>>,
        done: impl FnOnce(Option<Id>) + 'static,
    ) {
        if files.is_empty() {
            return;
        }
        pending.set(true);
        error.set(None);
        leptos::task::spawn_local(async move {
            let count = files.len();
            let (mut made, mut failed) = (Vec::new(), Vec::new());
            for file in files {
                let name = file.name();
                if !super::importable(&name) {
                    failed.push(format!("{name} was not imported: only Markdown files (.md) can be."));
                    continue;
                }
                match api::import_markdown(file).await {
                    Ok(doc) => made.push(doc.id),
                    Err(e) => failed.push(super::failure(&name, &e)),
                }
            }
            // The page may have been left meanwhile: its signals are then disposed.
            let _ = pending.try_set(false);
            let _ = error.try_set((!failed.is_empty()).then(|| failed.join(" ")));
            match (count, made.pop()) {
                (1, Some(id)) => done(Some(id)),
                (_, Some(_)) => done(None),
                _ => {}
            }
        });
    }

    /// Files dragged onto the page are imported with `start` (for as long as the page is shown).
    pub(super) fn accept_drops(start: impl Fn(Vec<web_sys::File>) + 'static) {
        let over = window_event_listener(leptos::ev::dragover, |ev| {
            if carries_files(&ev) {
                ev.prevent_default(); // lets the drop happen here
            }
        });
        let drop = window_event_listener(leptos::ev::drop, move |ev| {
            if carries_files(&ev) {
                ev.prevent_default(); // instead of the browser opening the file
                start(files(ev.data_transfer().and_then(|d| d.files())));
            }
        });
        on_cleanup(move || {
            over.remove();
            drop.remove();
        });
    }

    fn carries_files(ev: &web_sys::DragEvent) -> bool {
        ev.data_transfer().is_some_and(|d| d.types().includes(&"Files".into(), 0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_and_text_files_are_importable() {
        assert!(importable("Notes.MD") && importable("a.markdown") && importable("b.txt"));
        assert!(!importable("photo.png") && !importable("md"));
    }

    #[test]
    fn failures_name_the_file_and_the_reason() {
        let big = ApiError { status: 413, code: String::new(), message: "Something went wrong (HTTP 413).".into() };
        assert_eq!(failure("a.md", &big), "a.md was not imported: it is too large.");
        let bad = ApiError { status: 400, code: "not_utf8".into(), message: "x".into() };
        assert_eq!(failure("b.md", &bad), "b.md was not imported: it is not UTF-8 text.");
    }
}

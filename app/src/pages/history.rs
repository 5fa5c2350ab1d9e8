//! The editor's History dialog, for those who may edit: the saved versions,
//! one chosen shown whole with its differences from the current text, restoring
//! it, and naming the current text as a version.

use super::forms::{ErrorText, browser_load, run};
use super::later::{Dialog, Later, dialog_view};
use crate::api::{self, Id, Version};
use crate::unified_diff::{DiffLine, LineKind, overlay};
use leptos::prelude::*;
use tandem_sync::DocId;

/// The History button and its modal dialog (a native `<dialog>`: Escape
/// closes it); the versions are loaded afresh each time it opens.
#[component]
pub(super) fn HistoryButton(doc: DocId) -> impl IntoView {
    let dialog = NodeRef::<leptos::html::Dialog>::new();
    let open = RwSignal::new(false);
    let show = move |_| {
        open.set(true);
        if let Some(dialog) = dialog.get() {
            let _ = dialog.show_modal();
        }
    };
    let close = Callback::new(move |_| if let Some(dialog) = dialog.get() { dialog.close() });
    let doc = StoredValue::new(doc.to_string());
    view! {
        <button type="button" class="secondary" data-testid="history" aria-haspopup="dialog" on:click=show>"History"</button>
        <dialog node_ref=dialog class="dialog wide" aria-labelledby="history-heading" data-testid="history-panel"
            on:close=move |_| open.set(false)>
            <div class="dialog-head">
                <h2 id="history-heading">"History"</h2>
                <button type="button" class="secondary" on:click=move |_| close.run(())>"Close"</button>
            </div>
            <Show when=move || open.get()>
                <Later load=move || dialog_view(Dialog::History { doc: doc.get_value(), close })/>
            </Show>
        </dialog>
    }
}

/// What the dialog holds while open (with the diff views and the versions'
/// API calls, in the dialogs' chunk).
pub(super) fn panel(doc: String, close: Callback<()>) -> AnyView {
    view! { <HistoryPanel doc close/> }.into_any()
}

/// What the dialog holds while open.
#[component]
fn HistoryPanel(doc: String, close: Callback<()>) -> impl IntoView {
    let doc = StoredValue::new(doc);
    let list = browser_load(move || api::versions(doc.get_value()));
    let chosen = RwSignal::new(None::<Version>);
    let (pending, error) = (RwSignal::new(false), RwSignal::new(None));
    view! {
        <NameVersion doc pending error named=move || list.refetch()/>
        <ErrorText error/>
        <div class="history">
            <section class="history-list" aria-label="Versions">
                {move || match list.get() {
                    None => view! { <p class="muted">"Loading…"</p> }.into_any(),
                    Some(Err(e)) => view! { <p class="error">{e.message}</p> }.into_any(),
                    Some(Ok(versions)) if versions.is_empty() => view! { <p class="muted">"No versions yet."</p> }.into_any(),
                    Some(Ok(versions)) => view! {
                        <ol class="versions" data-testid="versions">
                            {versions.into_iter().map(|v| view! { <VersionRow v chosen/> }).collect_view()}
                        </ol>
                    }.into_any(),
                }}
            </section>
            <section class="history-view" aria-label="Chosen version">
                {move || match chosen.get() {
                    None => view! { <p class="muted">"Choose a version to see how it differs from the current text."</p> }.into_any(),
                    Some(v) => view! { <VersionView doc id=v.id pending error close/> }.into_any(),
                }}
            </section>
        </div>
    }
}

/// How a version is named in the list: its label, else how it came about.
fn version_name(v: &Version) -> String {
    match (&v.label, v.kind.as_str()) {
        (Some(label), _) if !label.trim().is_empty() => label.clone(),
        (_, "named") => "Named version".into(),
        (_, "restore") => "Restored".into(),
        (_, "import") => "Imported".into(),
        _ => "Saved automatically".into(),
    }
}

/// Up to two initials of `name`, in upper case.
fn initials(name: &str) -> String {
    let letters: String = name.split(|c: char| c.is_whitespace() || c == '.' || c == '_').filter_map(|w| w.chars().next()).take(2).collect();
    letters.to_uppercase()
}

/// One version in the list: a button that shows it, with when, what and who.
#[component]
fn VersionRow(v: Version, chosen: RwSignal<Option<Version>>) -> impl IntoView {
    let (name, when) = (version_name(&v), v.created_at.to_string());
    let label = format!("{name}, {when}");
    let id = v.id.clone();
    let is_chosen = move || chosen.with(|c| c.as_ref().is_some_and(|c| c.id == id)).to_string();
    let authors = v.authors.clone();
    view! {
        <li>
            <button type="button" class="version" aria-label=label aria-pressed=is_chosen
                on:click=move |_| chosen.set(Some(v.clone()))>
                <span class="version-name">{name}</span>
                <time class="muted">{when}</time>
            </button>
            <span class="authors">
                {authors.into_iter().map(|a| {
                    let (short, title) = (initials(&a), a.clone());
                    view! {
                        <span class="chip" title=title><span aria-hidden="true">{short}</span><span class="sr-only">{a}</span></span>
                    }
                }).collect_view()}
            </span>
        </li>
    }
}

/// The chosen version's whole text, its differences from the current text
/// marked, and a button that restores it (then closes the dialog: the
/// restored text reaches the editor as a live edit).
#[component]
fn VersionView(
    doc: StoredValue<String>,
    id: Id,
    pending: RwSignal<bool>,
    error: RwSignal<Option<String>>,
    close: Callback<()>,
) -> impl IntoView {
    let id = StoredValue::new(id);
    let shown = browser_load(move || {
        let (doc, id) = (doc.get_value(), id.get_value());
        async move {
            let old = api::version(doc.clone(), id.clone()).await?;
            let diff = api::diff_to_current(doc, id).await?;
            Ok(overlay(&old.text, &diff))
        }
    });
    let restore = move |_| {
        run(pending, error, api::restore_version(doc.get_value(), id.get_value()), move |_| close.run(()));
    };
    view! {
        <div class="history-actions">
            <button type="button" class="primary" data-testid="restore-version" on:click=restore disabled=move || pending.get()>
                "Restore this version"
            </button>
        </div>
        <p class="muted legend">
            <span class="diff-removed">"− only in this version"</span>" · "<span class="diff-added">"+ only in the current text"</span>
        </p>
        {move || match shown.get() {
            None => view! { <p class="muted">"Loading…"</p> }.into_any(),
            Some(Err(e)) => view! { <p class="error">{e.message}</p> }.into_any(),
            Some(Ok(lines)) => view! { <DiffText lines/> }.into_any(),
        }}
    }
}

/// The lines, read-only, each marked by its side.
#[component]
fn DiffText(lines: Vec<DiffLine>) -> impl IntoView {
    view! {
        <pre class="version-diff" data-testid="version-diff" tabindex="0" aria-label="The version's text, with the differences from the current text">
            {lines.into_iter().map(|l| match l.kind {
                LineKind::Same => view! { <span class="diff-line"><span class="sign" aria-hidden="true">" "</span>{l.text}"\n"</span> }.into_any(),
                LineKind::Removed => view! {
                    <del class="diff-line diff-removed"><span class="sign">"−"</span><span class="sr-only">"only in this version: "</span>{words(&l)}"\n"</del>
                }.into_any(),
                LineKind::Added => view! {
                    <ins class="diff-line diff-added"><span class="sign">"+"</span><span class="sr-only">"only in the current text: "</span>{words(&l)}"\n"</ins>
                }.into_any(),
            }).collect_view()}
        </pre>
    }
}

/// A changed line's text, its changed words marked.
fn words(line: &DiffLine) -> AnyView {
    line.pieces()
        .into_iter()
        .map(|(text, changed)| {
            let text = text.to_owned();
            if changed { view! { <mark class="diff-word">{text}</mark> }.into_any() } else { text.into_any() }
        })
        .collect_view()
        .into_any()
}

/// Saves the current text as a version with a name.
#[component]
fn NameVersion(
    doc: StoredValue<String>,
    pending: RwSignal<bool>,
    error: RwSignal<Option<String>>,
    named: impl Fn() + Copy + 'static,
) -> impl IntoView {
    let label = RwSignal::new(String::new());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        run(pending, error, api::name_version(doc.get_value(), label.get_untracked()), move |_| {
            label.set(String::new());
            named();
        });
    };
    view! {
        <form class="form inline" on:submit=submit data-testid="name-version">
            <label>"Name of the current version"<input required maxlength="100" autocomplete="off" bind:value=label/></label>
            <button type="submit" class="secondary" disabled=move || pending.get()>"Name current version"</button>
        </form>
    }
}

#[cfg(test)]
mod tests {
    use super::initials;

    #[test]
    fn initials_of_names() {
        assert_eq!(initials("ann"), "A");
        assert_eq!(initials("mary ann.lee"), "MA");
        assert_eq!(initials(""), "");
    }
}

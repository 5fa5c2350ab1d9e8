//! The editor's Document menu: the document as a Markdown or an HTML file —
//! plain links the browser downloads (`download` also keeps the router's
//! hands off them) — and, for its owner, Delete.

use leptos::prelude::*;
use tandem_sync::DocId;

/// A small menu: download links, and Delete when `owner`.
#[component]
pub(super) fn ExportMenu(doc: DocId, owner: bool) -> impl IntoView {
    let id = doc.to_string();
    let href = move |format: &str| crate::base::url(&format!("/api/docs/{doc}/export?format={format}"));
    view! {
        <details class="account-menu export-menu" data-testid="doc-menu">
            <summary>"Document"</summary>
            <div class="menu">
                <a href=href("md") download="" data-testid="export-md">"Export as Markdown"</a>
                <a href=href("html") download="" data-testid="export-html">"Export as HTML"</a>
                {owner.then(|| view! { <super::delete::DeleteButton doc=id/> })}
            </div>
        </details>
    }
}

//! The editor's Export menu: the document as a Markdown or an HTML file.
//! Plain links the browser downloads (`download` also keeps the router's hands off them).

use leptos::prelude::*;
use tandem_sync::DocId;

/// A small menu of download links.
#[component]
pub(super) fn ExportMenu(doc: DocId) -> impl IntoView {
    let href = move |format: &str| format!("/api/docs/{doc}/export?format={format}");
    view! {
        <details class="account-menu export-menu">
            <summary>"Export"</summary>
            <div class="menu">
                <a href=href("md") download="" data-testid="export-md">"Markdown"</a>
                <a href=href("html") download="" data-testid="export-html">"HTML"</a>
            </div>
        </details>
    }
}

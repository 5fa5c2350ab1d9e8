//! The wasm chunks of the browser bundle, as `cargo leptos build --split`
//! cut it: a page names in its head the chunks its route needs, so that the
//! browser fetches them beside the main module rather than after it (the
//! router fetches a route's chunks before it hydrates the page).
//!
//! The server reads the build's manifest of the chunks where it serves the
//! site's files from (the site directory, or the copy built into the binary,
//! which runs away from any directory) and provides it with each page render.
//! Leptos's own hints (`HydrationScripts`) read the manifest from the
//! directory only, once per process with the first page's prefix, and are
//! missing from some pages (the editor's, rendered `SsrMode::Async`); where
//! they appear beside these, the browser fetches each file once.

use std::collections::HashMap;
use std::sync::Arc;

/// The manifest file in the site's `pkg` directory.
pub const MANIFEST: &str = "__wasm_split_manifest.json";

/// The site build's manifest: for each lazy function, the chunk files (in
/// `pkg`, without `.wasm`) it needs. Empty for a build that is not split.
#[derive(Debug, Clone, Default)]
pub struct SplitManifest(pub Arc<HashMap<String, Vec<String>>>);

impl SplitManifest {
    /// The manifest in `json` (the file's text); empty if it is not one.
    pub fn parse(json: &str) -> SplitManifest {
        SplitManifest(Arc::new(serde_json::from_str(json).unwrap_or_default()))
    }

    /// The chunk files the lazy function named `function` needs: split by
    /// name (`editor_chunk`), or as `#[lazy]` names it, after the function
    /// and a number (`editor_chunk_2389…`).
    pub fn chunks_of(&self, function: &str) -> Option<&[String]> {
        if let Some(files) = self.0.get(function) {
            return Some(files);
        }
        let numbered = |key: &str| {
            let number = key.strip_prefix(function).and_then(|rest| rest.strip_prefix('_'));
            number.is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        };
        self.0.iter().find(|(key, _)| numbered(key)).map(|(_, files)| files.as_slice())
    }
}

/// Names, in the head of the page being rendered, the chunk files of the
/// lazy function `function` and the loader they need (`<link rel=preload>`).
/// Call it during the render, where the server's [`SplitManifest`] is provided.
#[cfg(feature = "ssr")]
pub fn preload(function: &str) {
    use leptos::prelude::*;
    use leptos_meta::Link;
    let manifest = use_context::<SplitManifest>().unwrap_or_default();
    let Some(files) = manifest.chunks_of(function) else { return };
    // `crossorigin` as the loader's `fetch` and module import ask, so the browser reuses what it preloaded.
    for file in files {
        let href = crate::base::url(&format!("/pkg/{file}.wasm"));
        let _ = view! { <Link rel="preload" href as_="fetch" type_="application/wasm" crossorigin="anonymous"/> }.to_html();
    }
    let loader = crate::base::url("/pkg/__wasm_split.______________________.js");
    let _ = view! { <Link rel="modulepreload" href=loader crossorigin="anonymous"/> }.to_html();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lazy_function_finds_its_chunks_by_name() {
        let manifest = SplitManifest::parse(
            r#"{"editor_chunk_23": ["chunk_3", "split_editor_chunk_23"], "editor_chunk_extra_5": ["chunk_4"]}"#,
        );
        assert_eq!(manifest.chunks_of("editor_chunk"), Some(&["chunk_3".to_owned(), "split_editor_chunk_23".to_owned()][..]));
        assert_eq!(manifest.chunks_of("editor"), None, "a whole name, then a number");
        let named = SplitManifest::parse(r#"{"editor_chunk": ["chunk_3", "split_editor_chunk"]}"#);
        assert_eq!(named.chunks_of("editor_chunk"), Some(&["chunk_3".to_owned(), "split_editor_chunk".to_owned()][..]));
        assert!(SplitManifest::parse("not json").0.is_empty(), "a build without chunks");
    }
}

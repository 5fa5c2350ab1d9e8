//! Documents in and out of Tandem: a document as Markdown or as one
//! standalone HTML file, and a Markdown file imported as a new document.

use super::{Caller, Workspace, WorkspaceError, people};
use base64::Engine;
use std::collections::BTreeSet;
use crate::store::VersionKind;
use tandem_sync::{DocId, document};

/// A file to download: its name, media type and contents.
#[derive(Debug, Clone)]
pub struct Download {
    /// The file name, from the document's title.
    pub file_name: String,
    /// Its media type.
    pub content_type: &'static str,
    /// Its contents.
    pub body: String,
}

/// The formats a document exports to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// The body, as the editor holds it.
    Markdown,
    /// One standalone file, rendered like the preview and sanitized the same way.
    Html,
}

/// Longest file name stem made from a title, in characters.
const MAX_STEM_CHARS: usize = 80;

/// A file name stem from `title`: its letters, digits, spaces, `-` and `_`,
/// or `untitled`.
pub fn file_stem(title: &str) -> String {
    let kept: String = title
        .chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_'))
        .take(MAX_STEM_CHARS)
        .collect();
    let kept = kept.split_whitespace().collect::<Vec<_>>().join(" ");
    if kept.is_empty() { "untitled".to_owned() } else { kept }
}

/// The title an imported file gets: `title` if given, else its first
/// heading, else its file name without the extension, else none.
/// A title taken from the text or the file name is cut to
/// [`super::quotas::MAX_TITLE_CHARS`]; one given explicitly is kept whole (and
/// refused if too long).
pub fn import_title(title: Option<&str>, text: &str, file_name: Option<&str>) -> String {
    if let Some(title) = title.map(str::trim).filter(|t| !t.is_empty()) {
        return title.to_owned();
    }
    let found = found_title(text, file_name);
    found.chars().take(super::quotas::MAX_TITLE_CHARS).collect()
}

/// The first heading of `text`, else the stem of `file_name`, else nothing.
fn found_title(text: &str, file_name: Option<&str>) -> String {
    let heading = text.lines().map(str::trim).find(|l| l.starts_with('#')).map(|l| l.trim_start_matches('#').trim());
    if let Some(heading) = heading.filter(|h| !h.is_empty()) {
        return heading.to_owned();
    }
    let stem = file_name.map(|n| n.rsplit_once('.').map_or(n, |(stem, _)| stem).trim());
    stem.unwrap_or_default().to_owned()
}

/// One HTML file that opens offline: the rendered body under its title, with its own styles.
fn standalone_html(title: &str, body: &str) -> String {
    let title = html_escape::encode_text(app::model::display_title(title));
    let rendered = app::markdown::render(body);
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{title}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<article>\n{rendered}\n</article>\n</body>\n</html>\n"
    )
}

/// The exported file's styles: readable, light and dark.
const STYLE: &str = "body{margin:0;font:16px/1.6 system-ui,sans-serif;color:#1d2125;background:#fff}\
article{max-width:46rem;margin:0 auto;padding:2rem 1.25rem}\
pre,code{font-family:ui-monospace,monospace;font-size:.9em}pre{overflow:auto;padding:.75rem;background:#f3f4f6;border-radius:.4rem}\
blockquote{margin:0;padding-left:1rem;border-left:3px solid #d0d7de;color:#57606a}img{max-width:100%}\
@media (prefers-color-scheme:dark){body{color:#e6e6e6;background:#15181c}pre{background:#22272e}}";

impl Workspace {
    /// Document `id` as a file in `format`.
    pub async fn export(&self, caller: &Caller, id: &DocId, format: Format) -> Result<Download, WorkspaceError> {
        self.role(caller, id).await?;
        let room = self.existing(id).await?;
        let (title, body) = room.read(|core| (document::title(core.doc()), document::content(core.doc())));
        let stem = file_stem(&title);
        Ok(match format {
            Format::Markdown => Download { file_name: format!("{stem}.md"), content_type: "text/markdown; charset=utf-8", body },
            Format::Html => Download {
                file_name: format!("{stem}.html"),
                content_type: "text/html; charset=utf-8",
                body: self.inline_images(id, standalone_html(&title, &body)).await?,
            },
        })
    }

    /// `html` with the images of document `id`'s own attachments carried in
    /// it as `data:` URLs, so the file shows them with no server behind it.
    async fn inline_images(&self, id: &DocId, html: String) -> Result<String, WorkspaceError> {
        let prefix = format!("src=\"{}", app::attachment::path(id, ""));
        let aids: BTreeSet<String> = html
            .match_indices(&prefix)
            .filter_map(|(at, _)| html.get(at + prefix.len()..)?.split_once('"').map(|(aid, _)| aid.to_owned()))
            .filter(|aid| app::attachment::is_id(aid))
            .collect();
        if aids.is_empty() {
            return Ok(html);
        }
        let (store, doc) = (self.rooms().store().clone(), id.clone());
        let found = people::blocking(move || {
            let mut found = Vec::with_capacity(aids.len());
            for aid in aids {
                if let Some(attachment) = store.attachment(&doc, &aid)? {
                    found.push(attachment);
                }
            }
            Ok(found)
        })
        .await?;
        Ok(found.into_iter().fold(html, |html, a| {
            let data = base64::engine::general_purpose::STANDARD.encode(&a.bytes);
            let inline = format!("src=\"data:{};base64,{data}\"", a.content_type.mime());
            html.replace(&format!("src=\"{}\"", app::attachment::path(id, &a.id)), &inline)
        }))
    }

    /// Creates a document from Markdown `text`, owned by the caller, with an
    /// `import` version; its id once durable.
    pub async fn import(&self, caller: &Caller, title: &str, text: &str) -> Result<DocId, WorkspaceError> {
        if caller.may_create() {
            self.ensure_room(text.len() as u64).await?;
        }
        let id = self.create(caller, title).await?;
        let room = self.existing(&id).await?;
        self.rewrite(caller, &room, title, text, VersionKind::Import).await?;
        Ok(id)
    }
}

/// File names made unique within one archive: `Notes.md`, `Notes (2).md`, …
#[derive(Debug, Default)]
pub struct UniqueNames(std::collections::HashSet<String>);

impl UniqueNames {
    /// A name for `stem` with `extension` that no earlier call gave (compared without regard to case).
    pub fn name(&mut self, stem: &str, extension: &str) -> String {
        for n in 1.. {
            let name = if n == 1 { format!("{stem}.{extension}") } else { format!("{stem} ({n}).{extension}") };
            if self.0.insert(name.to_lowercase()) {
                return name;
            }
        }
        unreachable!("some name is always free")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_come_from_titles_and_stay_safe() {
        assert_eq!(file_stem("Minutes: 3/4 😀"), "Minutes 34");
        assert_eq!(file_stem("../../etc/passwd"), "etcpasswd");
        assert_eq!(file_stem("  "), "untitled");
        assert_eq!(file_stem("Grüße"), "Grüße");
    }

    #[test]
    fn names_in_an_archive_are_unique() {
        let mut names = UniqueNames::default();
        assert_eq!(names.name("Notes", "md"), "Notes.md");
        assert_eq!(names.name("notes", "md"), "notes (2).md");
        assert_eq!(names.name("Notes", "md"), "Notes (3).md");
    }

    #[test]
    fn an_import_is_titled_by_the_query_else_its_first_heading() {
        assert_eq!(import_title(Some("Given"), "# Heading", None), "Given");
        assert_eq!(import_title(None, "intro\n## Plan for May\ntext", Some("x.md")), "Plan for May");
        assert_eq!(import_title(None, "no heading", Some("notes.v2.md")), "notes.v2");
        assert_eq!(import_title(None, "no heading", None), "");
    }

    #[test]
    fn the_html_export_is_one_sanitized_file() {
        let html = standalone_html("<Title>", "# Hi\n<script>alert(1)</script>");
        assert!(html.starts_with("<!DOCTYPE html>") && html.contains("<title>&lt;Title&gt;</title>"), "{html}");
        assert!(!html.contains("<script>"), "{html}");
        assert!(html.contains("<h1"), "{html}");
    }
}

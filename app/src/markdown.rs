//! The Markdown preview renderer, the same on server and browser.
//!
//! Document text is untrusted. Instead of sanitizing HTML after the fact, the
//! renderer never lets markup through: raw HTML in the text is shown as text,
//! links keep only safe schemes, and images are shown as their alt text (so a
//! preview never loads anything from elsewhere) — except this server's own
//! attachments (`/api/docs/{id}/attachments/{aid}`, see [`crate::attachment`]),
//! shown as images under the sub-path prefix ([`crate::base::url`]) — with
//! the share link's token for a page opened by one, whose reader has no
//! cookie for the image request to carry. The HTML
//! writer escapes every text and attribute value, so the output contains only
//! the tags it writes.

use crate::{attachment, base};
use pulldown_cmark::{CowStr, Event, Options, Parser, Tag, TagEnd, html};

/// The Markdown extensions Tandem renders.
const OPTIONS: Options = Options::ENABLE_TABLES.union(Options::ENABLE_STRIKETHROUGH).union(Options::ENABLE_TASKLISTS);

/// Renders `markdown` to safe HTML.
pub fn render(markdown: &str) -> String {
    let mut safe = Safe::default();
    let mut out = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut out, Parser::new_ext(markdown, OPTIONS).map(|e| safe.event(e)));
    out
}

/// Renders `markdown` block by block: each top-level block's start (bytes)
/// and safe HTML. Together they are [`render`]'s output, except that for a
/// page opened by a share link, `link` holds its token, which the
/// attachments' URLs carry.
pub fn render_blocks(markdown: &str, link: Option<&str>) -> Vec<(usize, String)> {
    let query = link.map(|token| format!("?token={}", crate::pages::encode_component(token))).unwrap_or_default();
    let mut safe = Safe { query, ..Safe::default() };
    let mut blocks = Vec::new();
    let mut events = Vec::new();
    let (mut depth, mut start) = (0usize, 0usize);
    for (event, range) in Parser::new_ext(markdown, OPTIONS).into_offset_iter() {
        if depth == 0 {
            start = range.start;
        }
        match &event {
            Event::Start(_) => depth += 1,
            Event::End(_) => depth = depth.saturating_sub(1),
            _ => {}
        }
        events.push(safe.event(event));
        if depth == 0 {
            let mut html = String::new();
            html::push_html(&mut html, events.drain(..));
            blocks.push((start, html));
        }
    }
    blocks
}

/// Makes a parser's events safe to show: raw HTML becomes text, links keep
/// only safe schemes, and images other than this server's attachments
/// become their description (emphasized).
#[derive(Default)]
struct Safe {
    /// Whether each open image is shown (an attachment) or is its description;
    /// images nest inside an image's description, so a stack.
    shown: Vec<bool>,
    /// What an attachment's URL ends with: empty, or `?token=…` for a share link's reader.
    query: String,
}

impl Safe {
    fn event<'a>(&mut self, event: Event<'a>) -> Event<'a> {
        match event {
            Event::Html(raw) | Event::InlineHtml(raw) => Event::Text(raw),
            Event::Start(Tag::Link { link_type, dest_url, title, id }) => {
                Event::Start(Tag::Link { link_type, dest_url: safe_url(dest_url), title, id })
            }
            Event::Start(Tag::Image { link_type, dest_url, title, id }) => {
                let show = attachment::is_path(&dest_url);
                self.shown.push(show);
                if !show {
                    return Event::Start(Tag::Emphasis);
                }
                Event::Start(Tag::Image { link_type, dest_url: format!("{}{}", base::url(&dest_url), self.query).into(), title, id })
            }
            Event::End(TagEnd::Image) if self.shown.pop() == Some(true) => Event::End(TagEnd::Image),
            Event::End(TagEnd::Image) => Event::End(TagEnd::Emphasis),
            other => other,
        }
    }
}

/// `url` if it is relative or uses http, https or mailto; otherwise a dead link.
fn safe_url(url: CowStr<'_>) -> CowStr<'_> {
    let trimmed = url.trim_start();
    let scheme_end = trimmed.find([':', '/', '?', '#']);
    let allowed = match scheme_end {
        Some(i) if trimmed[i..].starts_with(':') => {
            matches!(trimmed[..i].to_ascii_lowercase().as_str(), "http" | "https" | "mailto")
        }
        _ => !trimmed.starts_with("//"),
    };
    if allowed { url } else { CowStr::Borrowed("#") }
}

#[cfg(test)]
mod tests {
    use super::{render, render_blocks};

    /// An attachment id of the right shape.
    const AID: &str = "47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU";

    #[test]
    fn renders_markdown() {
        assert_eq!(render("# Hi\n\n**bold** and [a link](https://example.com)"),
            "<h1>Hi</h1>\n<p><strong>bold</strong> and <a href=\"https://example.com\">a link</a></p>\n");
        assert!(render("- [x] done").contains("checkbox"));
    }

    #[test]
    fn raw_html_is_shown_as_text() {
        let html = render("<script>alert(1)</script>\n\nhi <img src=x onerror=alert(2)>");
        assert!(!html.contains("<script") && !html.contains("<img"), "{html}");
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "{html}");
        assert!(html.contains("&lt;img src=x onerror=alert(2)&gt;"), "{html}");
    }

    #[test]
    fn only_safe_link_schemes_survive() {
        for bad in ["javascript:alert(1)", " JavaScript:alert(1)", "data:text/html,x", "vbscript:x", "//evil.example/x"] {
            let html = render(&format!("[x]({bad})"));
            assert!(html.contains("href=\"#\""), "{bad}: {html}");
        }
        for good in ["https://a.example/x", "mailto:a@b.example", "/d/abc", "notes.md", "#top"] {
            assert!(render(&format!("[x]({good})")).contains(&format!("href=\"{good}\"")), "{good}");
        }
    }

    #[test]
    fn a_share_links_reader_asks_for_attachments_with_its_token() {
        let text = format!("![pic](/api/docs/abc/attachments/{AID})\n\n![far](https://tracker.example/p.png)");
        let html: String = render_blocks(&text, Some("Tok_en-1")).into_iter().map(|(_, html)| html).collect();
        assert!(html.contains(&format!("<img src=\"/api/docs/abc/attachments/{AID}?token=Tok_en-1\"")), "{html}");
        assert!(!html.contains("tracker"), "{html}");
        let html: String = render_blocks(&text, None).into_iter().map(|(_, html)| html).collect();
        assert!(html.contains(&format!("<img src=\"/api/docs/abc/attachments/{AID}\"")), "{html}");
    }

    #[test]
    fn images_never_load_anything() {
        let html = render("![a cat](https://tracker.example/pixel.png \"t\")");
        assert!(!html.contains("<img") && !html.contains("tracker"), "{html}");
        assert!(html.contains("<em>a cat</em>"), "{html}");
    }

    #[test]
    fn only_this_servers_attachments_are_shown_as_images() {
        let html = render(&format!("![a \"cat\"](/api/docs/abc/attachments/{AID})"));
        assert_eq!(html, format!("<p><img src=\"/api/docs/abc/attachments/{AID}\" alt=\"a &quot;cat&quot;\" /></p>\n"));
        for other in [
            format!("https://evil.example/api/docs/abc/attachments/{AID}"),
            format!("//evil.example/api/docs/abc/attachments/{AID}"),
            format!("/api/docs/abc/attachments/{AID}?x"),
            format!("/api/docs/abc/export"),
            "data:image/png;base64,AAAA".to_owned(),
        ] {
            let html = render(&format!("![pic]({other})"));
            assert!(!html.contains("<img"), "{other}: {html}");
            assert!(html.contains("<em>pic</em>"), "{other}: {html}");
        }
    }

    #[test]
    fn an_image_inside_a_description_is_judged_on_its_own() {
        let shown = format!("/api/docs/abc/attachments/{AID}");
        let html = render(&format!("![outer ![inner]({shown})](https://evil.example/x.png) after"));
        assert!(!html.contains("evil") && html.contains("<em>"), "{html}");
        let html = render(&format!("![a ![b](https://evil.example/x.png) c]({shown}) after"));
        assert!(html.starts_with("<p><img src=") && !html.contains("evil") && html.contains(" after</p>"), "{html}");
    }

    #[cfg(not(feature = "hydrate"))]
    #[test]
    fn attachment_images_go_under_the_sub_path() {
        use leptos::prelude::{Owner, provide_context};
        let owner = Owner::new();
        owner.with(|| {
            provide_context(crate::base::Prefix("/notes".into()));
            let html = render(&format!("![x](/api/docs/abc/attachments/{AID})"));
            assert!(html.contains(&format!("src=\"/notes/api/docs/abc/attachments/{AID}\"")), "{html}");
        });
    }

    #[test]
    fn attribute_breakouts_are_escaped() {
        let html = render("[x](https://a.example/\"onmouseover=\"alert(1))");
        assert!(!html.contains("\"onmouseover"), "{html}");
    }
}

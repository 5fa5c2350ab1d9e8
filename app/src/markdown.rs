//! The Markdown preview renderer, the same on server and browser.
//!
//! Document text is untrusted. Instead of sanitizing HTML after the fact, the
//! renderer never lets markup through: raw HTML in the text is shown as text,
//! links keep only safe schemes, and images are shown as their alt text (so a
//! preview never loads anything from elsewhere). The HTML writer escapes every
//! text and attribute value, so the output contains only the tags it writes.

use pulldown_cmark::{CowStr, Event, Options, Parser, Tag, TagEnd, html};

/// Renders `markdown` to safe HTML.
pub fn render(markdown: &str) -> String {
    let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS;
    let events = Parser::new_ext(markdown, options).map(|event| match event {
        Event::Html(raw) | Event::InlineHtml(raw) => Event::Text(raw),
        Event::Start(Tag::Link { link_type, dest_url, title, id }) => {
            Event::Start(Tag::Link { link_type, dest_url: safe_url(dest_url), title, id })
        }
        Event::Start(Tag::Image { .. }) => Event::Start(Tag::Emphasis),
        Event::End(TagEnd::Image) => Event::End(TagEnd::Emphasis),
        other => other,
    });
    let mut out = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut out, events);
    out
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
    use super::render;

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
    fn images_never_load_anything() {
        let html = render("![a cat](https://tracker.example/pixel.png \"t\")");
        assert!(!html.contains("<img") && !html.contains("tracker"), "{html}");
        assert!(html.contains("<em>a cat</em>"), "{html}");
    }

    #[test]
    fn attribute_breakouts_are_escaped() {
        let html = render("[x](https://a.example/\"onmouseover=\"alert(1))");
        assert!(!html.contains("\"onmouseover"), "{html}");
    }
}
